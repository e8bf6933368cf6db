"""The ``[simulation]`` chapter: Markov demand + PLUS/FLUS allocation under scenarios.

A suitability step trains PLUS LEAS (random forest per class on the expansion between
two dates) once; each scenario then gets its Markov demand (adjusted by the scenario),
its conversion rules, and a CA allocation (PLUS CARS or FLUS) from the later date to
``target_year``. Simulated maps are artifacts ``simulation.<scenario>`` that other
chapters (carbon, erosion) take like any land-use map.

With ``target_years`` (e.g. [2030, 2040, 2050, 2060]) each scenario step simulates the
years in sequence: the demand of year y is the t0 -> t1 Markov chain (adjusted by the
scenario) projected from t1 to y, exactly the single-year demand for ``target_year = y``,
and the allocation of y starts from the simulated map of the year before (t1 for the
first). Each year is an artifact ``simulation.<scenario>.<year>`` (with its demand table
``simulation.<scenario>.<year>.demand``) under ``landuse/simulation/<scenario>/<year>/``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import MISSING, Field, asdict, dataclass, fields
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from landcarbon.errors import ConfigError, UnmetDemandWarning
from landcarbon.landuse import PLUS_TREES
from landcarbon.limits import YEARS
from landcarbon.report.figures import text as figure_text
from landcarbon.study.chapters import steps_for
from landcarbon.study.chapters._common import (
    artifact,
    drawing,
    export_outputs,
    exports_of,
    read,
    write_csv,
    write_json,
)
from landcarbon.study.chapters.landuse import (
    class_inputs,
    class_scheme,
    legend,
    map_codes,
)
from landcarbon.study.config import Study, chapter
from landcarbon.study.pipeline import Context, Output, Step
from landcarbon.study.schema import did_you_mean, doc

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import xarray as xr

    from landcarbon.landuse.allocation import AllocationParameters, AllocationProblem, Engine
    from landcarbon.landuse.scenarios import Scenario
    from landcarbon.landuse.simulate import SimulationResult

CITE = (
    "Liang X, Guan Q, Clarke KC, Liu S, Wang B, Yao Y (2021) Understanding the drivers of "
    "sustainable land expansion using a patch-generating land use simulation (PLUS) model. "
    "Computers, Environment and Urban Systems 85:101569.",
    "Liu X, Liang X, Li X et al. (2017) A future land use simulation model (FLUS) for "
    "simulating multiple land use scenarios. Landscape and Urban Planning 168:94-116.",
)


@chapter("simulation")
@dataclass(frozen=True)
class SimulationSection:
    t0: str = doc("Land-use raster of the earlier date (training start).")
    t1: str = doc("Land-use raster of the later date (training end and simulation start).")
    years: tuple[float, ...] = doc(
        "Years of t0 and t1, e.g. [2010, 2020].", length=2, increasing=True, **YEARS
    )
    drivers: tuple[str, ...] = doc("Driver rasters for LEAS suitability.", distinct=True)
    target_year: float | None = doc(
        "Year to simulate (Markov steps of t1 - t0 years); or give target_years.", None, **YEARS
    )
    target_years: tuple[float, ...] = doc(
        "Years to simulate in sequence, e.g. [2030, 2040, 2050, 2060]: each year's demand "
        "projected from t1, its allocation starting from the previous year's map.",
        (),
        increasing=True,
        **YEARS,
    )
    scenarios: str = doc(
        "Scenario file: a preset (arid, redsoil; keyed by land-use group, applied through the "
        "class table's groups) or a [tables] TOML name. None given: the Markov trend only, "
        "as one scenario named `trend` (map `simulation.trend`); nothing is applied by default.",
        "",
    )
    names: tuple[str, ...] = doc(
        "Scenarios to run (default: every one in the file).", (), names=True, distinct=True
    )
    model: Literal["plus", "flus"] = doc("CA: PLUS CARS patch seeds or FLUS inertia.", "plus")
    suitability: Literal["leas", "ann"] = doc(
        "PLUS LEAS (random forest on the t0 -> t1 expansion) or FLUS ANN (neural network on "
        "the t1 map: probability of occurrence).",
        "leas",
    )
    restriction: str = doc(
        "Optional restricted-zone raster (0 no change, 1 convertible, 2 development zone).", ""
    )
    runs: int = doc("Allocations per scenario (> 1 adds a Monte Carlo ensemble).", 1, ge=1)
    sample_rate: float = doc("LEAS sampling rate of cells.", 0.01, gt=0, le=1)
    max_samples: int | None = doc(
        "Cap on the training cells (LEAS or ANN): where sample_rate would draw more, the rate "
        "is lowered to draw about this many, so a large map's fit stops growing with the map. "
        "Default: no cap.",
        None,
        ge=1,
    )
    n_trees: int = doc("Trees per random forest (PLUS default 20).", PLUS_TREES, ge=1)
    neighborhood: int = doc(
        "CA neighbourhood window n (cells, odd) [PLUS 'Input Neighborhood', FLUS '[Size of "
        "neighborhood]'].",
        3,
        ge=3,
    )
    max_iterations: int = doc("Allocation iterations before giving up.", 1000, ge=1)
    neighborhood_weights: dict[str, float] = doc(
        "Neighbourhood weight w_k per class code, e.g. {1 = 0.3, 5 = 1.0}; classes not "
        "given get 1 [PLUS 'Neighborhood Weight', FLUS '[Intensity of neighborhood]'].",
        default_factory=dict,
        ge=0,
        le=1,
    )
    development_class: int | None = doc(
        "Class code promoted inside development zones (restriction value 2) [PLUS "
        "'Development type'].",
        None,
    )
    development_weight: float = doc(
        "w of the development-zone rule [PLUS 'weight'; manual default 0.5].", 0.5, gt=0, le=1
    )
    demand_tolerance: int = doc(
        "Cells by which each class may miss its demand when the run stops.", 0, ge=0
    )
    lock_in_iterations: int = doc(
        "Iterations without any conversion before the run is declared locked in.", 100, ge=1
    )
    transition_plan: bool = doc(
        "Lock-in fix: conversions limited to one transition plan (see docs/allocation.md); "
        "neither PLUS nor FLUS has it.",
        False,
    )
    patch_generation_threshold: float = doc(
        "PLUS: decay factor delta of the threshold tau = delta^l r1 [PLUS 'Patch "
        "generation']; 0.5 is a value common in papers, not a documented PLUS default.",
        0.5,
        gt=0,
        lt=1,
    )
    expansion_coefficient: float | dict[str, float] = doc(
        "PLUS: mu_k of the patch-seed rule, one value or per class code [PLUS 'Expansion "
        "coefficient'].",
        0.1,
        ge=0,
        le=1,
    )
    percentage_of_seeds: float = doc(
        "PLUS: most new patch seeds per iteration, share of the valid cells [PLUS "
        "'Percentage of seeds'; the manual's example 0.0001].",
        0.0001,
        ge=0,
        le=1,
    )
    decay_step: int | None = doc(
        "PLUS: Step of the threshold decay (cells); none: max(1, initial total residual / "
        "200), landcarbon's choice (PLUS does not publish its rule).",
        None,
        ge=1,
    )
    accelerated_factor: float = doc(
        "FLUS: a of the self-adaptive inertia [FLUS '[Accelerated factor]', 0.1].", 0.1, gt=0, lt=1
    )
    flus_variant: Literal["released", "paper"] = doc(
        "FLUS: 'released' (what the published code does) or 'paper' (Liu et al. 2017 formula).",
        "released",
    )
    flus_compat: bool = doc(
        "FLUS: follow the GeoSOS-FLUS C++ sweep (raster order, FLUS demand gate, 5 % "
        "anti-reversal flags) to reproduce FLUS runs, instead of landcarbon's demand gates.",
        False,
    )
    engine: Literal["sequential", "synchronous"] = doc(
        "Allocation engine: 'sequential' (PLUS/FLUS: the proposals of an iteration accepted "
        "one by one in a random order) or 'synchronous' (sweep + quota: every cell proposes "
        "from the map at the start of the iteration; the same map for any tiles and workers, "
        "run over the [compute] dask cluster when the study has one; see docs/allocation.md).",
        "sequential",
    )
    tiles: tuple[int, ...] = doc(
        "Synchronous engine: [rows, columns] of tiles the map is cut into, each at least "
        "(neighborhood - 1) / 2 cells a side; the map does not depend on them. Default one "
        "tile.",
        (),
        length=2,
        ge=1,
    )
    checkpoint_every: int = doc(
        "Synchronous engine: iterations between checkpoints, saved under --out in "
        ".cache/checkpoints/ (a killed run resumes from its last save).",
        10,
        ge=1,
    )
    strict_nodata: bool = doc(
        "Refuse t0/t1 maps whose nodata masks differ (default false: work on the cells valid "
        "in both, the cells dropped from each reported in the summary).",
        False,
    )


CHECKPOINTS = ".cache/checkpoints"
"""Folder (in ``--out``) of the synchronous engine's checkpoints, per scenario and year."""

TREND = "trend"
"""The one scenario of a simulation without a scenario file: the Markov trend continued."""


def load_section_scenarios(
    study: Study, sec: SimulationSection, path: Path | None = None
) -> dict[str, Scenario]:
    """The scenarios of the section (file ``path``, default the study's), resolved onto the
    study's codes through its class table's groups; ``{"trend": ...}`` without a file."""
    from landcarbon.groups import class_groups
    from landcarbon.landuse.scenarios import Scenario, load_scenarios, preset_path

    if not sec.scenarios:
        return {TREND: Scenario(TREND, "Markov trend of t0 -> t1 continued (no scenario rules)")}
    if path is None:
        path = (
            study.tables[sec.scenarios]
            if sec.scenarios in study.tables
            else preset_path(sec.scenarios)
        )
    return load_scenarios(path, class_groups(class_scheme(study)))


def scenario_names(study: Study, sec: SimulationSection) -> list[str]:
    """The scenarios to run: ``names``, checked against the file, else every one of it."""
    found = list(load_section_scenarios(study, sec))
    unknown = [n for n in sec.names if n not in found]
    if unknown:
        listed = ", ".join(f"{n!r}{did_you_mean(n, found)}" for n in unknown)
        raise ConfigError(
            f"{study.path}: [simulation] names {listed}: not scenarios of "
            f"{sec.scenarios or 'the plain Markov trend'} (it holds {found}); use those names"
        )
    return list(sec.names) or found


def target_years(study: Study, sec: SimulationSection) -> tuple[float, ...]:
    """The simulated years: ``(target_year,)`` or ``target_years``, checked."""
    where = f"{study.path}: [simulation]"
    if (sec.target_year is None) == (not sec.target_years):
        raise ConfigError(
            f"{where} give exactly one of target_year (one year, e.g. 2040) or target_years "
            f"(years in sequence, e.g. [2030, 2040])"
        )
    years = (sec.target_year,) if sec.target_year is not None else sec.target_years
    if years[0] < sec.years[1]:  # the schema checks years is [t0, t1] and each list increases
        raise ConfigError(
            f"{where} target years {[f'{y:g}' for y in years]} must start at or after the t1 "
            f"year {sec.years[1]:g}"
        )
    if len(years) > 1 and sec.runs > 1:
        raise ConfigError(
            f"{where} runs = {sec.runs} with {len(years)} target_years: a Monte Carlo ensemble "
            f"is made for a single year only; use target_year (or runs = 1)"
        )
    return years


@steps_for("simulation")
def simulation_steps(study: Study, sec: SimulationSection) -> list[Step]:
    """Suitability once, then one allocation step per scenario (all its years)."""
    target_years(study, sec)
    names = scenario_names(study, sec)
    found = map_codes(study, "simulation.")  # the classes of t0 and t1, when on disk
    if found is not None:
        scenarios = load_section_scenarios(study, sec)
        for name in names:
            scenarios[name].check_codes(tuple(sorted(found[0])))
    if sec.t0 == sec.t1:
        raise ConfigError(
            f"{study.path}: [simulation] t0 and t1 are both {sec.t0!r}: the Markov demand "
            f"(and LEAS) learn from the change between two dates; set t0 to the earlier map"
        )
    t1_file = study.rasters.get(sec.t1)
    if sec.engine == "synchronous" and t1_file is not None and t1_file.is_file():
        from landcarbon.raster import open_dataset

        with open_dataset(t1_file) as ds:  # its header: refused before any step runs
            checked_tiles(study, sec, (ds.height, ds.width))
    steps = [_suitability_step(study, sec)]
    steps += [_scenario_step(study, sec, name) for name in names]
    steps.append(_areas_step(study, sec, names))
    return steps


METHODS = {"leas": "PLUS LEAS", "ann": "FLUS ANN"}
"""How the report names each suitability method."""


def _suitability_step(study: Study, sec: SimulationSection) -> Step:
    maps = (artifact(study, sec.t0), artifact(study, sec.t1))
    drivers = {d: artifact(study, d) for d in sec.drivers}
    outputs = (
        Output(
            "simulation.suitability",
            "landuse/simulation/suitability.tif",
            "raster",
            "0-1",
            f"development probability by class ({METHODS[sec.suitability]})",
        ),
        Output(
            "simulation.suitability_chart",
            "landuse/simulation/suitability.png",
            "png",
            "0-1",
            f"development probability of every class ({METHODS[sec.suitability]})",
        ),
        *export_outputs(
            "simulation.suitability_chart",
            "suitability",
            f"development probability of every class ({METHODS[sec.suitability]})",
        ),
        Output(
            "simulation.contribution",
            "landuse/simulation/driver_contribution.csv",
            "table",
            "1",
            "driver contribution to each class's expansion (Gini)",
        ),
    )

    def run(ctx: Context) -> None:
        from landcarbon.landuse.simulate import band_label
        from landcarbon.raster import write_raster
        from landcarbon.report.figures import save_figure
        from landcarbon.report.maps import bands_figure

        chunks = study.compute.chunks  # chunked: trained and written chunk by chunk
        t1 = read(ctx.inputs[maps[1]], "categorical", chunks)
        stack = {d: read(ctx.inputs[a], chunks=chunks) for d, a in drivers.items()}
        t0 = read(ctx.inputs[maps[0]], "categorical", chunks)
        prob, contribution = fit_probability(sec, t0, t1, stack, ctx.seed)
        names = legend(
            class_scheme(study, ctx.inputs),
            [int(c) for c in prob["class"].values],
            {str(ctx.inputs[maps[1]]): t1},
        )
        write_raster(
            prob.astype("float32"),
            ctx.outputs["simulation.suitability"],
            overwrite=True,
            units="probability",
            description=[band_label(int(c), names[int(c)][0]) for c in prob["class"].values],
        )
        write_csv(
            contribution, ctx.outputs["simulation.contribution"], index=sec.suitability == "leas"
        )
        chart = "simulation.suitability_chart"
        figure = bands_figure(
            ctx.outputs["simulation.suitability"],
            [f"{int(c)} {names[int(c)][0]}" for c in prob["class"].values],
            figure_text("probability_title", method=METHODS[sec.suitability]),
            figure_text("probability"),
        )
        save_figure(figure, ctx.outputs[chart], exports_of(ctx.outputs, chart))

    return drawing(
        study,
        Step(
            "simulation_suitability",
            "simulation",
            (*maps, *drivers.values(), *class_inputs(study)),
            outputs,
            run,
            params={k: v for k, v in asdict(sec).items() if k not in ENGINE_KEYS},
            doc=f"{METHODS[sec.suitability]} suitability",
            cite=CITE[:1],
        ),
    )


def fit_probability(
    sec: SimulationSection,
    t0: xr.DataArray,
    t1: xr.DataArray,
    drivers: dict[str, xr.DataArray],
    seed: int | None,
) -> tuple[xr.DataArray, pd.DataFrame]:
    """The suitability stack (class, y, x) of the section's settings and the driver
    contribution table: PLUS LEAS trained on t0 -> t1, or FLUS ANN on the t1 map; lazy
    (dask) when the maps are chunked. Shared by the suitability step and the
    ``[validation]`` chapter."""
    import pandas as pd

    from landcarbon.landuse.suitability import ann_probability, leas

    rate, cap = sec.sample_rate, sec.max_samples
    if sec.suitability == "leas":
        result = leas(
            t0, t1, drivers, sample_rate=rate, max_samples=cap, n_trees=sec.n_trees, seed=seed
        )
        return result.probability, result.contribution
    prob = ann_probability(t1, drivers, sample_rate=rate, max_samples=cap, seed=seed)
    return prob, pd.DataFrame({"note": ["FLUS ANN: no per-driver contribution"]})


SYNCHRONOUS_ONLY = ("tiles", "checkpoint_every")
ENGINE_KEYS = ("engine", *SYNCHRONOUS_ONLY)
"""Keys of the allocation engine: the suitability step does not depend on them."""
PLUS_ONLY = ("patch_generation_threshold", "expansion_coefficient", "percentage_of_seeds")
FLUS_ONLY = ("accelerated_factor", "flus_variant", "flus_compat")


def allocation_parameters(study: Study, sec: SimulationSection) -> AllocationParameters:
    """The allocation knobs of ``[simulation]`` as :class:`CarsParameters` (model "plus") or
    :class:`FlusParameters` ("flus"); a knob of the other model left at anything but its
    default, or a value the model refuses, is a ConfigError naming the key; so are the
    synchronous engine's keys on engine = "sequential" and the knobs the synchronous
    engine refuses (transition_plan, flus_compat)."""
    from landcarbon.errors import ParameterError
    from landcarbon.landuse.allocation import CarsParameters, FlusParameters
    from landcarbon.landuse.tiled import refuse_sequential_only

    where = f"{study.path}: [simulation]"
    _refuse_unused(sec, FLUS_ONLY if sec.model == "plus" else (*PLUS_ONLY, "decay_step"), where)
    if sec.engine == "sequential":
        _refuse_unused(sec, SYNCHRONOUS_ONLY, where, "engine")
    shared: dict[str, Any] = {
        "neighborhood": sec.neighborhood,
        "neighborhood_weights": _by_code(sec.neighborhood_weights, "neighborhood_weights", where),
        "development_class": sec.development_class,
        "development_weight": sec.development_weight,
        "max_iterations": sec.max_iterations,
        "demand_tolerance": sec.demand_tolerance,
        "lock_in_iterations": sec.lock_in_iterations,
        "transition_plan": sec.transition_plan,
    }
    try:
        if sec.model == "plus":
            mu = sec.expansion_coefficient
            parameters: AllocationParameters = CarsParameters(
                **shared,
                patch_generation_threshold=sec.patch_generation_threshold,
                expansion_coefficient=(
                    _by_code(mu, "expansion_coefficient", where) if isinstance(mu, dict) else mu
                ),
                percentage_of_seeds=sec.percentage_of_seeds,
                decay_step=sec.decay_step,
            )
        else:
            parameters = FlusParameters(
                **shared,
                accelerated_factor=sec.accelerated_factor,
                variant=sec.flus_variant,
                flus_compat=sec.flus_compat,
            )
        if sec.engine == "synchronous":
            refuse_sequential_only(parameters)
    except ParameterError as exc:
        raise ConfigError(f"{where} {exc}") from exc
    return parameters


def _refuse_unused(
    sec: SimulationSection, keys: tuple[str, ...], where: str, option: str = "model"
) -> None:
    """ConfigError for the ``keys`` given (not at their default) that the section's
    ``option`` (model or engine) does not use."""
    defaults = {f.name: f for f in fields(SimulationSection)}
    given = [k for k in keys if getattr(sec, k) != _default(defaults[k])]
    if given:
        them = "them" if len(given) > 1 else "it"
        raise ConfigError(
            f"{where} {', '.join(given)}: not used by {option} = {getattr(sec, option)!r}; "
            f"remove {them} or choose the {option} that uses {them}"
        )


def checked_tiles(study: Study, sec: SimulationSection, shape: tuple[int, int]) -> tuple[int, int]:
    """The section's ``tiles`` (default one tile), a ConfigError when a tile of a map of
    ``shape`` (rows, columns) is smaller than the halo (the minimum and the most tiles named)."""
    from landcarbon.errors import ParameterError
    from landcarbon.landuse.tiled import tile_windows

    tiles = (sec.tiles[0], sec.tiles[1]) if sec.tiles else (1, 1)
    try:
        tile_windows(shape, tiles, sec.neighborhood // 2)
    except ParameterError as exc:
        raise ConfigError(f"{study.path}: [simulation] {exc}") from exc
    return tiles


def allocation_engine(
    study: Study, sec: SimulationSection, shape: tuple[int, int], checkpoint: Path
) -> Engine:
    """The sweep of the section's ``engine`` for maps of ``shape`` (rows, columns).

    Synchronous: over ``tiles`` (checked against the halo here, before the run), on the
    dask cluster of the study's ``[compute]`` when one runs, saving a
    :class:`~landcarbon.landuse.tiled.Checkpoint` every ``checkpoint_every`` iterations
    in a folder per allocation under ``checkpoint`` (a rerun of a killed step resumes
    from it).
    """
    from landcarbon.landuse.allocation import run_allocation
    from landcarbon.study.compute import active_client

    if sec.engine == "sequential":
        return run_allocation
    return partial(
        _checkpointed,
        tiles=checked_tiles(study, sec, shape),
        client=active_client(),
        folder=checkpoint,
        every=sec.checkpoint_every,
    )


def _checkpointed(
    problem: AllocationProblem,
    parameters: AllocationParameters,
    key: np.uint64,
    *,
    tiles: tuple[int, int],
    client: Any,
    folder: Path,
    every: int,
) -> tuple[int, bool, bool, np.ndarray]:
    """:func:`~landcarbon.landuse.tiled.run_synchronous` saving in ``folder/<fingerprint
    of the allocation>``: each allocation of a step (every run of an ensemble) resumes only
    its own save; the saves of other allocations there (finished, or of inputs changed
    since a killed run) are removed."""
    import shutil

    from landcarbon.landuse.tiled import Checkpoint, fingerprint, run_synchronous

    run = fingerprint(problem, parameters, int(key))
    for old in folder.glob("*"):
        if old.name != run:
            shutil.rmtree(old)
    outcome = run_synchronous(
        problem, parameters, key, tiles, client, Checkpoint(folder / run, every)
    )
    (folder / run).rmdir()  # emptied by the finished run
    return outcome


def _default(f: Field[Any]) -> Any:
    return f.default_factory() if f.default_factory is not MISSING else f.default


def _by_code(values: dict[str, float], key: str, where: str) -> dict[int, float]:
    bad = [k for k in values if not k.lstrip("-").isdigit()]
    if bad:
        raise ConfigError(
            f"{where} {key}: keys {bad} are not class codes; key each value by its integer "
            f"class code, e.g. {key} = {{1 = 0.5}}"
        )
    return {int(k): float(v) for k, v in values.items()}


UNMET_FIX = (
    "allow the conversions these classes need (conversion rules, restricted zones), raise "
    "max_iterations, or set transition_plan = true in [simulation]"
)
"""What a study changes when an allocation misses its demand (scenario steps, validation)."""


def _scenario_step(study: Study, sec: SimulationSection, name: str) -> Step:
    maps = (artifact(study, sec.t0), artifact(study, sec.t1))
    scen = (artifact(study, sec.scenarios),) if sec.scenarios in study.tables else ()
    restriction = (artifact(study, sec.restriction),) if sec.restriction else ()
    years = target_years(study, sec)
    chained = sec.target_year is None
    # per year: (year, artifact of its map, folder of its files)
    plans = [_year_plan(name, year, chained) for year in years]
    outputs = tuple(
        o for year, key, folder in plans for o in _year_outputs(name, key, folder, year)
    )
    outputs += (
        _ensemble_outputs(name, plans[0][2], f"{years[0]:g}", sec.runs) if sec.runs > 1 else ()
    )

    params = allocation_parameters(study, sec)

    def run(ctx: Context) -> None:
        import numpy as np

        from landcarbon.landuse.allocation import allocation_stack
        from landcarbon.landuse.change import common_mask
        from landcarbon.landuse.simulate import read_probability, simulate

        chunks = study.compute.chunks  # chunked: the Markov demand is a map-reduce
        both, dropped = common_mask(
            {sec.t0: read(ctx.inputs[maps[0]], "categorical", chunks)}
            | {sec.t1: read(ctx.inputs[maps[1]], "categorical", chunks)},
            strict=sec.strict_nodata,
            strict_option=f"strict_nodata = true from [simulation] of {study.path}",
        )
        t0, t1 = both[sec.t0], both[sec.t1]
        ctx.summary["nodata_cells_dropped"] = dropped
        scenario = load_section_scenarios(study, sec, ctx.inputs[scen[0]] if scen else None)[name]
        codes = tuple(sorted(set(_codes(t0)) | set(_codes(t1))))
        files = {str(ctx.inputs[maps[0]]): t0, str(ctx.inputs[maps[1]]): t1}
        classes = legend(class_scheme(study, ctx.inputs), codes, files)
        # as the allocation holds it (float32, nodata as 0, a band of zeros in no memory):
        # every year shares this stack
        probability = allocation_stack(
            read_probability(ctx.inputs["simulation.suitability"], codes, nodata=0.0)
        )
        zones = read(ctx.inputs[restriction[0]], "categorical") if restriction else None
        start = t1  # chunked, read block by block into the allocation's int8 classes
        seeds = np.random.SeedSequence(ctx.seed).spawn(len(years)) if chained else None
        shape = (t1.sizes["y"], t1.sizes["x"])
        for i, (year, key, folder) in enumerate(plans):
            saves = Path(ctx.out_dir) / CHECKPOINTS / name / f"{year:g}"
            result = simulate(
                t0,
                t1,
                probability,
                years=(sec.years[0], sec.years[1]),
                target_year=year,
                scenario=scenario,
                restriction=zones,
                parameters=params,
                runs=sec.runs,
                seed=int(seeds[i].generate_state(1)[0]) if seeds else ctx.seed,
                start=start,
                engine=allocation_engine(study, sec, shape, saves),
            )
            summary = _write_year(ctx, result, key, folder, classes)
            unmet = result.unmet_demand(UNMET_FIX)
            if unmet:
                warnings.warn(unmet, UnmetDemandWarning, stacklevel=1)
            if chained:
                ctx.summary[f"{year:g}"] = _short(summary)
            else:
                ctx.summary.update(_short(summary))
            start = result.allocation.lulc

    inputs = (*maps, "simulation.suitability", *scen, *restriction, *class_inputs(study))
    return Step(
        f"simulation_{name}",
        "simulation",
        inputs,
        outputs,
        run,
        params={**asdict(sec), "scenario": name},
        doc=f"Markov demand and {sec.model.upper()} allocation, {name}"
        + (f", {', '.join(f'{y:g}' for y in years)} in sequence" if chained else ""),
        cite=CITE,
    )


def _areas_step(study: Study, sec: SimulationSection, names: list[str]) -> Step:
    """Area of every class in the t1 map and in each scenario's map of each year, with the
    change from t1; and per year a panel of the t1 map beside every scenario's map."""
    base = artifact(study, sec.t1)
    years = target_years(study, sec)
    chained = sec.target_year is None
    maps = {(name, year): _year_plan(name, year, chained)[1] for name in names for year in years}
    t1 = f"{sec.years[1]:g}"
    panels = {year: f"simulation.panel_{year:g}" for year in years}
    titles = {year: figure_text("scenario_maps", year=f"{year:g}", base=t1) for year in years}
    outputs: tuple[Output, ...] = (
        Output(
            "simulation.areas",
            "landuse/simulation/scenario_areas.csv",
            "table",
            "ha",
            f"area of each class in {t1} and in every scenario, and its change from {t1}",
        ),
    )
    for year, key in panels.items():
        outputs += (
            Output(key, f"landuse/simulation/scenarios_{year:g}.png", "png", "class", titles[year]),
            *export_outputs(key, f"scenarios_{year:g}", titles[year]),
        )

    def run(ctx: Context) -> None:
        from landcarbon.report.figures import save_figure
        from landcarbon.report.maps import class_panel_figure

        before = read(ctx.inputs[base], "categorical", study.compute.chunks)
        after = {
            key: read(ctx.inputs[ref], "categorical", study.compute.chunks)
            for key, ref in maps.items()
        }
        codes = sorted(set(_codes(before)).union(*(_codes(da) for da in after.values())))
        files = {str(ctx.inputs[base]): before} | {
            str(ctx.inputs[r]): after[k] for k, r in maps.items()
        }
        classes = legend(class_scheme(study, ctx.inputs), codes, files)
        write_csv(
            scenario_areas(before, after, t1, classes),
            ctx.outputs["simulation.areas"],
            index=True,
        )
        for year, key in panels.items():
            shown = {f"{t1} ({figure_text('observed')})": ctx.inputs[base]}
            shown |= {f"{name} {year:g}": ctx.inputs[maps[(name, year)]] for name in names}
            title = figure_text("scenario_maps", year=f"{year:g}", base=t1)  # in the language
            figure = class_panel_figure(shown, classes, title)
            save_figure(figure, ctx.outputs[key], exports_of(ctx.outputs, key))

    return drawing(
        study,
        Step(
            "simulation_areas",
            "simulation",
            (base, *maps.values(), *class_inputs(study)),
            outputs,
            run,
            params={"t1": t1, "maps": {f"{n} {y:g}": m for (n, y), m in maps.items()}},
            doc=f"class areas and maps of every scenario beside {t1}",
            cite=CITE,
        ),
    )


def scenario_areas(
    base: xr.DataArray,
    scenarios: Mapping[tuple[str, float], xr.DataArray],
    base_label: str,
    classes: Mapping[int, tuple[str, str]],
) -> pd.DataFrame:
    """Area (ha) of every class of ``classes`` in ``base`` and in each scenario map
    (``(scenario, year)`` -> map), and each scenario's change from the base (ha).

    Rows: the classes (index their names, column ``code``); columns ``<base_label> (ha)``,
    then per map ``<scenario> <year> (ha)`` and ``<scenario> <year> change (ha)``. Areas
    are true cell areas (a transfer matrix base -> scenario: its row sums are the base's
    areas, its column sums the scenario's), on the cells valid in both maps.
    """
    import pandas as pd

    from landcarbon.landuse.change import transfer_matrix

    codes = sorted(classes)
    frame = pd.DataFrame(
        {"code": codes}, index=pd.Index([classes[c][0] for c in codes], name="class")
    )
    for (name, year), scenario in scenarios.items():
        tm = transfer_matrix(base, scenario, codes=codes)
        if f"{base_label} (ha)" not in frame:
            frame[f"{base_label} (ha)"] = tm.area_ha.sum(axis=1)
        label = f"{name} {year:g}"
        frame[f"{label} (ha)"] = tm.area_ha.sum(axis=0)
        frame[f"{label} change (ha)"] = tm.area_ha.sum(axis=0) - tm.area_ha.sum(axis=1)
    return frame


def _year_plan(name: str, year: float, chained: bool) -> tuple[float, str, str]:
    """(year, map artifact, folder): ``simulation.<name>`` in ``landuse/simulation/<name>``
    for the single-year form, ``simulation.<name>.<year>`` in a folder per year when chained."""
    if chained:
        return year, f"simulation.{name}.{year:g}", f"landuse/simulation/{name}/{year:g}"
    return year, f"simulation.{name}", f"landuse/simulation/{name}"


def _year_outputs(name: str, key: str, folder: str, year: float) -> tuple[Output, ...]:
    """The simulated map and demand table of one year."""
    title = name.replace("_", " ")
    return (
        Output(
            key,
            f"{folder}/lulc_{name}_{year:g}.tif",
            "raster",
            "class",
            f"simulated land use {year:g}, {title}",
        ),
        Output(
            f"{key}.demand",
            f"{folder}/demand_{name}.csv",
            "table",
            "cells",
            f"Markov demand and allocated cells {year:g}, {title}",
        ),
    )


def _write_year(
    ctx: Context,
    result: SimulationResult,
    key: str,
    folder: str,
    classes: dict[int, tuple[str, str]],
) -> dict[str, object]:
    """Write one year's files (:func:`write_simulation`), the coloured map, the agreement
    raster of an ensemble and ``summary.json``; return the summary."""
    from landcarbon.landuse.simulate import write_simulation
    from landcarbon.raster import write_raster

    out = Path(ctx.out_dir) / folder
    written = write_simulation(result, out, overwrite=True)
    # the simulated map again with the study's class colours and names, for the report,
    # QGIS and ArcGIS
    write_raster(result.allocation.lulc, ctx.outputs[key], overwrite=True, classes=classes)
    name = result.scenario
    declared = {"demand": f"{key}.demand", **{k: f"simulation.{name}.{k}" for k in ENSEMBLE}}
    for file, artifact_name in declared.items():
        if file in written and written[file] != ctx.outputs[artifact_name]:
            raise RuntimeError(
                f"{file} written to {written[file]}, not {ctx.outputs[artifact_name]}"
            )
    if result.ensemble is not None:
        write_raster(
            result.ensemble.frequency.max("class").astype("float32"),
            ctx.outputs[f"simulation.{name}.agreement"],
            overwrite=True,
            units="share of runs",
        )
    summary = result.summary()
    write_json(summary, out / "summary.json")
    return summary


def _short(summary: dict[str, object]) -> dict[str, object]:
    """The step summary of one year: all but the per-class ensemble areas."""
    return {k: v for k, v in summary.items() if k != "area_ha"}


ENSEMBLE = ("runs", "areas", "frequency")
"""Outputs ``simulation.<scenario>.<key>`` of a Monte Carlo ensemble (``runs > 1``)."""


def _ensemble_outputs(name: str, folder: str, year: str, runs: int) -> tuple[Output, ...]:
    """The ensemble files of :func:`landcarbon.landuse.simulate.write_simulation`."""
    title = name.replace("_", " ")
    return (
        Output(
            f"simulation.{name}.runs",
            f"{folder}/runs_{name}.csv",
            "table",
            "ha, cells",
            f"class areas of each of the {runs} Monte Carlo runs, {title}",
        ),
        Output(
            f"simulation.{name}.areas",
            f"{folder}/areas_{name}.csv",
            "table",
            "ha",
            f"class areas across {runs} runs: mean, sd, 2.5/50/97.5 percentiles, {title}",
        ),
        Output(
            f"simulation.{name}.frequency",
            f"{folder}/class_frequency_{name}_{year}.tif",
            "raster",
            "share of runs",
            f"share of {runs} runs ending in each class (one band per class; the report "
            f"draws the first), {title}",
        ),
        Output(
            f"simulation.{name}.agreement",
            f"{folder}/class_agreement_{name}_{year}.tif",
            "raster",
            "share of runs",
            f"share of {runs} runs ending in the cell's most frequent class (1 = all agree), "
            f"{title}",
        ),
    )


def _codes(da: object) -> list[int]:
    from landcarbon.tables import class_counts

    return list(class_counts(da))  # type: ignore[arg-type]
