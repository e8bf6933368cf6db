"""The ``[landuse]`` chapter: maps per year, transfer matrices, dynamic degrees.

Scenario simulation (Markov demand, suitability, PLUS/FLUS allocation) lives in
``[landuse.simulation]`` (see :mod:`landcarbon.study.chapters.simulation`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from landcarbon.errors import ConfigError, ParameterError
from landcarbon.study.chapters import steps_for
from landcarbon.study.chapters._common import (
    artifact,
    drawing,
    export_outputs,
    exports_of,
    read,
    write_csv,
)
from landcarbon.study.config import Study, chapter
from landcarbon.study.pipeline import Context, Output, Step
from landcarbon.study.schema import doc

if TYPE_CHECKING:
    import xarray as xr

    from landcarbon.classes import ClassScheme

CITE_CHANGE = (
    "Wang X, Bao Y (1999) Study on the methods of land use dynamic change research. "
    "Progress in Geography 18(1):81-87 (single and comprehensive dynamic degree).",
)


@chapter("landuse")
@dataclass(frozen=True)
class LanduseSection:
    maps: dict[str, str] = doc(
        "Year → land-use raster name in [rasters], e.g. "
        '{ "2000" = "landuse_2000", "2020" = "landuse_2020" }.',
        names=True,
    )
    transfers: str = doc("'consecutive' (each pair of dates) or 'all' (also first → last).", "all")


def class_inputs(study: Study) -> tuple[str, ...]:
    """The artifact of the study's class table ([inputs] classes naming a [tables] entry),
    for the inputs of every step that names classes; empty otherwise."""
    name = study.inputs.classes
    return (artifact(study, name),) if name in study.tables else ()


def class_scheme(study: Study, inputs: Mapping[str, Path] | None = None) -> ClassScheme | None:
    """The study's class scheme: its class table (read from ``inputs``, a step's inputs,
    else from the study's [tables]) or named scheme; None when it declares neither.

    ConfigError (file and key) for a name that is neither a [tables] entry nor a scheme.
    """
    from landcarbon.classes import named_scheme, scheme_from_table

    name = study.inputs.classes
    if not name:
        return None
    if name in study.tables:
        path = (inputs or {}).get(artifact(study, name), study.tables[name])
        return scheme_from_table(str(path))
    try:
        return named_scheme(name)
    except ParameterError as exc:
        raise ConfigError(
            f"{study.path}: [inputs] classes = {name!r}: {exc}, or name a [tables] entry"
        ) from exc


def legend(
    scheme: ClassScheme | None, codes: Iterable[int], maps: Mapping[str, xr.DataArray]
) -> dict[int, tuple[str, str]]:
    """Code → (name, colour) of ``codes`` in the study's scheme ("class N" without one).

    A code the scheme lacks is a TableError listing, for the first of ``maps`` (label →
    map) that holds such codes, each missing code with its cell count.
    """
    from landcarbon.classes import generic_scheme

    if scheme is None:
        return generic_scheme(codes).legend()
    if any(int(c) not in scheme.classes for c in codes):
        for label, da in maps.items():
            scheme.check_codes(da, label)
    return scheme.legend(codes)


def map_codes(study: Study, ref: str) -> tuple[dict[int, int], str] | None:
    """Cells per class code of the land-use map ``ref`` before any step runs, and how to
    name the map: a [rasters] map is read now; a simulated map (``simulation.<name>...``)
    may hold any class of the simulation's t0 and t1 maps. None when the map is another
    step's output or not on disk yet (a synthetic input that ``run`` generates)."""
    if ref in study.rasters:
        path = study.rasters[ref]
        if not path.is_file():
            return None
        from landcarbon.inspect import read_band  # numpy only: no xarray at plan time
        from landcarbon.tables import class_counts

        return class_counts(read_band(path, categorical=True)), f"the map {ref} ({path})"
    sim = study.chapters.get("simulation")
    if not ref.startswith("simulation.") or sim is None:
        return None
    counts: dict[int, int] = {}
    for start in (sim.t0, sim.t1):  # type: ignore[attr-defined]
        found = map_codes(study, start)
        if found is None:
            return None
        for code, cells in found[0].items():
            counts[code] = counts.get(code, 0) + cells
    names = f"{sim.t0} and {sim.t1}"  # type: ignore[attr-defined]
    return counts, f"{ref} (its classes may be any of {names}: cells of both counted)"


def years_of(study: Study, sec: LanduseSection) -> list[str]:
    """The keys of ``maps`` in time order; each must be a year (a finite number)."""
    bad = [key for key in sec.maps if not _is_year(key)]
    if bad:
        raise ConfigError(
            f"{study.path}: [landuse] maps key {', '.join(repr(k) for k in bad)}: not a year; "
            f'key each map by its year, e.g. maps = {{ "2010" = "landuse_2010" }}'
        )
    return sorted(sec.maps, key=float)


def _is_year(key: str) -> bool:
    try:
        return math.isfinite(float(key))
    except ValueError:
        return False


CITE_MAPS = (
    "The study's own land-use maps ([rasters]), drawn with the class names and colours of "
    "its [inputs] classes.",
)


@steps_for("landuse")
def landuse_steps(study: Study, sec: LanduseSection) -> list[Step]:
    """One transfer-matrix step per pair of dates."""
    years = years_of(study, sec)
    pairs = list(itertools.pairwise(years))
    if sec.transfers == "all" and len(years) > 2:
        pairs.append((years[0], years[-1]))
    classes = class_inputs(study)
    return [
        _maps_step(study, sec, classes),
        *(_transfer_step(study, sec, a, b, classes) for a, b in pairs),
    ]


def _maps_step(study: Study, sec: LanduseSection, classes: tuple[str, ...]) -> Step:
    """The observed land-use map of every date, drawn with the study's class legend."""
    maps = {year: artifact(study, sec.maps[year]) for year in years_of(study, sec)}
    outputs = tuple(
        out
        for year in maps
        for out in (
            Output(
                f"landuse.map_{year}",
                f"landuse/maps/landuse_{year}.png",
                "png",
                "class",
                f"land use {year} (observed)",
            ),
            *export_outputs(f"landuse.map_{year}", f"landuse_{year}", f"land use {year}"),
        )
    )
    panel = f"land use {', '.join(maps)} (observed)"
    if len(maps) > 1:  # the dates side by side with one legend, as the papers show them
        outputs += (
            Output("landuse.maps_panel", "landuse/maps/landuse_all.png", "png", "class", panel),
            *export_outputs("landuse.maps_panel", "landuse_all", panel),
        )

    def run(ctx: Context) -> None:
        from landcarbon.report.figures import heading, save_figure
        from landcarbon.report.figures import text as figure_text
        from landcarbon.report.maps import class_panel_figure, render_map
        from landcarbon.tables import class_counts

        scheme = class_scheme(study, ctx.inputs)
        every: dict[int, tuple[str, str]] = {}
        for year, name in maps.items():
            path = ctx.inputs[name]
            lulc = read(path, "categorical", study.compute.chunks)
            names = legend(scheme, class_counts(lulc), {str(path): lulc})
            every |= names
            key = f"landuse.map_{year}"
            render_map(
                path,
                ctx.outputs[key],
                heading(f"land use {year}"),
                names,
                exports_of(ctx.outputs, key),
            )
        if "landuse.maps_panel" in ctx.outputs:
            shown = {year: ctx.inputs[name] for year, name in maps.items()}
            title = figure_text("observed_maps", years=", ".join(maps))
            figure = class_panel_figure(shown, dict(sorted(every.items())), title)
            save_figure(
                figure,
                ctx.outputs["landuse.maps_panel"],
                exports_of(ctx.outputs, "landuse.maps_panel"),
            )

    return drawing(
        study,
        Step(
            "landuse_maps",
            "landuse",
            (*maps.values(), *classes),
            outputs,
            run,
            doc="observed land-use maps with the study's class legend",
            cite=CITE_MAPS,
        ),
    )


def _transfer_step(
    study: Study, sec: LanduseSection, y0: str, y1: str, classes: tuple[str, ...]
) -> Step:
    name = f"transfer_{y0}_{y1}"
    maps = (artifact(study, sec.maps[y0]), artifact(study, sec.maps[y1]))
    folder = f"landuse/{name}"
    outputs = (
        Output(
            f"landuse.{name}.ha",
            f"{folder}/transfer_ha.csv",
            "table",
            "ha",
            f"transfer matrix {y0} → {y1} (rows {y0}, columns {y1})",
        ),
        Output(
            f"landuse.{name}.percent",
            f"{folder}/transfer_percent.csv",
            "table",
            "%",
            f"transfer matrix {y0} → {y1}, % of each {y0} class",
        ),
        Output(
            f"landuse.{name}.changes",
            f"{folder}/class_changes.csv",
            "table",
            "ha",
            f"gains, losses, net, swap and dynamic degree {y0} → {y1}",
        ),
        Output(
            f"landuse.{name}.long",
            f"{folder}/transfer_long.csv",
            "table",
            "ha",
            "transfers as (from, to) rows, Sankey-ready",
        ),
        Output(
            f"landuse.{name}.sankey",
            f"{folder}/sankey.png",
            "png",
            "ha",
            f"land-use transfers {y0} → {y1}",
        ),
        *export_outputs(f"landuse.{name}.sankey", f"sankey_{y0}_{y1}", f"transfers {y0} → {y1}"),
    )

    def run(ctx: Context) -> None:
        from landcarbon.landuse.change import (
            common_mask,
            comprehensive_dynamic_degree,
            transfer_matrix,
        )
        from landcarbon.report.charts import sankey_png

        a = read(ctx.inputs[maps[0]], "categorical", study.compute.chunks)
        b = read(ctx.inputs[maps[1]], "categorical", study.compute.chunks)
        both, dropped = common_mask({y0: a, y1: b})
        tm = transfer_matrix(both[y0], both[y1], years=(float(y0), float(y1)))
        files = {str(ctx.inputs[maps[0]]): a, str(ctx.inputs[maps[1]]): b}
        names = legend(class_scheme(study, ctx.inputs), tm.codes, files)
        tables = tm.tables({c: v[0] for c, v in names.items()})
        for out in outputs[:4]:
            key = {
                "ha": "transfer_ha",
                "percent": "transfer_percent",
                "changes": "class_changes",
                "long": "transfer_long",
            }[out.name.rsplit(".", 1)[1]]
            write_csv(tables[key], ctx.outputs[out.name], index=key != "transfer_long")
        sankey = outputs[4].name
        sankey_png(
            tables["transfer_long"],
            ctx.outputs[sankey],
            names,
            (y0, y1),
            exports_of(ctx.outputs, sankey),
        )
        changed = float(tm.area_ha.sum() - tm.area_ha.trace())
        ctx.summary.update(
            {
                "changed_area_ha": changed,
                "changed_share": changed / float(tm.area_ha.sum()),
                "comprehensive_dynamic_degree_pct_per_yr": float(comprehensive_dynamic_degree(tm)),
                "nodata_cells_dropped": dropped,
            }
        )

    return drawing(
        study,
        Step(
            name,
            "landuse",
            maps + classes,
            outputs,
            run,
            params={"years": (y0, y1)},
            doc=f"transfer matrix and dynamic degree {y0} → {y1}",
            cite=CITE_CHANGE,
        ),
    )
