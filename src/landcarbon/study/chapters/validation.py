"""The ``[validation]`` chapter: simulate a known year and compare it with its observed map.

Three dated maps of ``[landuse] maps`` (``years = [t0, t1, t2]``): the simulation is trained
on t0 -> t1 with the study's own ``[simulation]`` settings (suitability, model,
neighbourhood, iterations, restriction, nodata rule), simulates t2 from t1 under the Markov
trend (no scenario: validation checks the model, not a policy), and the simulated t2 is
compared with the observed one (:func:`landcarbon.landuse.simulate.validate_simulation`,
the same code as ``landcarbon validate-sim``): overall accuracy, Kappa, quantity and
allocation disagreement, the Figure of Merit overall and in every per-class form, and the
change agreement map (miss, hit, wrong hit, false alarm; t1 the initial map).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from landcarbon.errors import ConfigError, UnmetDemandWarning
from landcarbon.limits import YEARS
from landcarbon.study.chapters import steps_for
from landcarbon.study.chapters._common import artifact, read
from landcarbon.study.chapters.landuse import (
    LanduseSection,
    class_inputs,
    class_scheme,
    legend,
    years_of,
)
from landcarbon.study.chapters.simulation import (
    CHECKPOINTS,
    UNMET_FIX,
    SimulationSection,
    allocation_engine,
    allocation_parameters,
    fit_probability,
)
from landcarbon.study.config import Study, chapter
from landcarbon.study.pipeline import Context, Kind, Output, Step
from landcarbon.study.schema import doc

if TYPE_CHECKING:
    import xarray as xr

CITE = (
    "Pontius RG Jr, Millones M (2011) Death to Kappa: birth of quantity disagreement and "
    "allocation disagreement for accuracy assessment. Int J Remote Sensing 32:4407-4429.",
    "Pontius RG Jr et al. (2008) Comparing the input, output, and validation maps for "
    "several models of land change. Annals of Regional Science 42:11-37 (Figure of Merit).",
    "The arid-region carbon budget study (Mu Us), section 2.4.1: the PLUS simulation "
    "validated by its Kappa (0.82) before the scenarios.",
)


@chapter("validation")
@dataclass(frozen=True)
class ValidationSection:
    years: tuple[float, ...] = doc(
        "Years t0, t1, t2 of three [landuse] maps, e.g. [2000, 2010, 2020]: trained on "
        "t0 -> t1 with the [simulation] settings, t2 simulated from t1 (Markov trend) and "
        "compared with the observed t2.",
        length=3,
        **YEARS,
    )


FOLDER = "validation"


@steps_for("validation")
def validation_steps(study: Study, sec: ValidationSection) -> list[Step]:
    """One step: the simulation of t2 and its comparison with the observed map."""
    from landcarbon.landuse.simulate import check_files

    sim = _simulation(study)
    maps = _maps(study, sec)
    t0, t1, t2 = sec.years
    files = check_files(t2)
    docs: dict[str, tuple[Kind, str, str]] = {
        "simulated": ("raster", "class", f"land use {t2:g} simulated from {t1:g} (validation)"),
        "confusion": ("table", "cells", f"confusion matrix, observed (rows) vs simulated {t2:g}"),
        "change_agreement": (
            "raster",
            "category",
            f"change agreement {t1:g} -> {t2:g}: miss, hit, wrong hit, false alarm",
        ),
        "summary": ("json", "1", ""),
    }
    outputs = tuple(
        Output(f"validation.{key}", f"{FOLDER}/{name}", *docs.get(key, _fom_doc(key)))
        for key, name in files.items()
    )
    drivers = {d: artifact(study, d) for d in sim.drivers}
    restriction = (artifact(study, sim.restriction),) if sim.restriction else ()
    parameters = allocation_parameters(study, sim)

    def run(ctx: Context) -> None:
        from landcarbon.landuse.change import common_mask
        from landcarbon.landuse.simulate import validate_simulation, write_check
        from landcarbon.tables import class_counts

        where = f"[validation] of {study.path}"
        chunks = study.compute.chunks  # chunked: the suitability as the simulation step's
        given = {
            f"{year:g}": read(ctx.inputs[name], "categorical", chunks)
            for year, name in zip(sec.years, maps, strict=True)
        }
        both, dropped = common_mask(
            given, strict=sim.strict_nodata, strict_option=f"strict_nodata = true from {where}"
        )
        lulc = [both[f"{year:g}"] for year in sec.years]
        stack = {d: read(ctx.inputs[a], chunks=chunks) for d, a in drivers.items()}
        zones = read(ctx.inputs[restriction[0]], "categorical") if restriction else None
        # chunked, no map is held whole: the allocation reads its start map block by block
        # into its int8 classes, the Markov demand and the scores are map-reduces
        check = validate_simulation(
            lulc[0],
            lulc[1],
            lulc[2],
            _fitted_stack(sim, lulc[0], lulc[1], stack, ctx.seed),  # handed over
            years=(t0, t1, t2),
            start=lulc[1],
            restriction=zones,
            parameters=parameters,
            seed=ctx.seed,
            engine=allocation_engine(
                study,
                sim,
                (lulc[1].sizes["y"], lulc[1].sizes["x"]),
                Path(ctx.out_dir) / CHECKPOINTS / "validation",
            ),
        )
        unmet = check.simulation.unmet_demand(
            f"the validation simulates with the [simulation] settings: {UNMET_FIX}"
        )
        if unmet:  # the scores then rate a map that missed the Markov demand
            warnings.warn(f"[validation] {unmet}", UnmetDemandWarning, stacklevel=1)
        codes = sorted(set().union(*(class_counts(m) for m in lulc)))
        by_file = {str(ctx.inputs[m]): da for m, da in zip(maps, lulc, strict=True)}
        names = legend(class_scheme(study, ctx.inputs), codes, by_file)
        written = write_check(
            check, lulc[1], lulc[2], Path(ctx.out_dir) / FOLDER, classes=names, overwrite=True
        )
        for key, path in written.items():
            declared = ctx.outputs[f"validation.{key}"]
            if path != declared:
                raise RuntimeError(f"{key} written to {path}, not {declared}")
        summary = check.summary()
        ctx.summary.update({k: v for k, v in summary.items() if k != "figure_of_merit"})
        ctx.summary["nodata_cells_dropped"] = dropped

    step = Step(
        "validation",
        "validation",
        (*maps, *drivers.values(), *restriction, *class_inputs(study)),
        outputs,
        run,
        params={"years": list(sec.years), "simulation": asdict(sim)},
        doc=f"simulation of {t2:g} from {t0:g} -> {t1:g} compared with the observed map",
        cite=CITE,
    )
    return [step]


def _fitted_stack(
    sim: SimulationSection,
    t0: xr.DataArray,
    t1: xr.DataArray,
    drivers: dict[str, xr.DataArray],
    seed: int | None,
) -> xr.DataArray:
    """The stack the validation allocates, fitted on t0 -> t1 with the [simulation] settings.

    Computed (chunked: block by block, the drivers never whole) into the one float32 array
    the allocation uses (4 bytes per cell and class), as the simulation step writes its
    stack and its scenarios read it. Returned with no other reference, so that
    :func:`validate_simulation`, to which it is handed, frees it before the scores.
    """
    import numpy as np

    from landcarbon.landuse.allocation import allocation_stack

    fitted, _ = fit_probability(sim, t0, t1, drivers, seed)
    return allocation_stack(fitted, np.float32)


FOM_TITLES = {
    "by_initial_class": "Figure of Merit by initial class (Pontius et al. 2011, Eq. 10)",
    "by_transition": "Figure of Merit by transition (Pontius et al. 2011, Eq. 11)",
    "by_gaining_class": "Figure of Merit by gaining class (not a published form)",
}
"""Titles of the Figure of Merit tables ``fom_<field>`` (:meth:`FigureOfMerit.tables`)."""


def _fom_doc(key: str) -> tuple[Kind, str, str]:
    """Kind, units and title of a Figure of Merit table ``fom_<field>``."""
    field = key.removeprefix("fom_")
    return "table", "cells, 1", FOM_TITLES.get(field, f"Figure of Merit {field.replace('_', ' ')}")


def _simulation(study: Study) -> SimulationSection:
    """The study's [simulation] section, whose settings the validation uses."""
    sim = study.chapters.get("simulation")
    if not isinstance(sim, SimulationSection):
        raise ConfigError(
            f"{study.path}: [validation] simulates with the study's own [simulation] "
            f"settings, and the study has no [simulation]; add one (t0, t1, years, drivers, "
            f"model ...) or leave out [validation]"
        )
    return sim


def _maps(study: Study, sec: ValidationSection) -> tuple[str, str, str]:
    """The artifacts of the t0, t1 and t2 maps: the [landuse] maps of those years."""
    where = f"{study.path}: [validation] years = {[f'{y:g}' for y in sec.years]}"
    t0, t1, t2 = sec.years
    if not t0 < t1 < t2:
        which = "t1 must come after t0" if t1 <= t0 else "t2 must come after t1"
        raise ConfigError(
            f"{where}: {which}; give three years in time order, [t0, t1, t2], the simulation "
            f"running from t1 to t2 (e.g. [2000, 2010, 2020])"
        )
    landuse = study.chapters.get("landuse")
    if not isinstance(landuse, LanduseSection):
        raise ConfigError(
            f"{where}: the years name maps of [landuse] maps, and the study has no "
            f'[landuse]; add it, e.g. maps = {{ "2000" = "landuse_2000", ... }}'
        )
    by_year = {float(k): landuse.maps[k] for k in years_of(study, landuse)}
    missing = [f"{y:g}" for y in sec.years if y not in by_year]
    if missing:
        have = ", ".join(f"{y:g}" for y in sorted(by_year)) or "none"
        raise ConfigError(
            f"{where}: {', '.join(missing)} not a year of [landuse] maps (it has {have}); "
            f"use years of those maps or add the map of each year to [landuse] maps"
        )
    return (
        artifact(study, by_year[t0]),
        artifact(study, by_year[t1]),
        artifact(study, by_year[t2]),
    )
