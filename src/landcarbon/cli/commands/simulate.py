"""``landcarbon simulate``: Markov demand + scenario + suitability + PLUS/FLUS allocation.

Explicit-input form: two dated land-use maps, the suitability (a probability stack or the
drivers to train LEAS on), an optional scenario file and restricted raster. The study-file
form runs the same :func:`landcarbon.landuse.simulate.simulate` through the pipeline.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import typer

from landcarbon.cli.options import (
    CLASSES,
    OUT,
    OVERWRITE,
    SEED,
    STRICT_NODATA,
    common_cells,
    number,
    prepare_out_dir,
    require,
    run_study_steps,
    year,
)
from landcarbon.cli.output import emit, say
from landcarbon.errors import UnmetDemandWarning
from landcarbon.landuse import PLUS_TREES
from landcarbon.limits import RATE

T0 = typer.Option(None, "--t0", help="Land-use map of the first date (GeoTIFF).")
T0_YEAR = year(None, "--t0-year", help="Year of --t0.")
T1 = typer.Option(None, "--t1", help="Land-use map of the second date: the start map.")
T1_YEAR = year(None, "--t1-year", help="Year of --t1.")
DRIVERS = typer.Option(
    None, "--driver", help="Driver raster for LEAS (repeat the option, one file each)."
)
PROBABILITY = typer.Option(
    None,
    "--probability",
    help="Ready suitability stack: one band per class, ascending codes (instead of --driver).",
)
MISSING = typer.Option(
    "raise",
    "--missing",
    help="Drivers NaN where land use is valid: raise, exclude (cells) or mean (fill).",
)
SAMPLE_RATE = number(0.01, "--sample-rate", **RATE, help="LEAS sampling rate (PLUS default 0.01).")
MAX_SAMPLES = typer.Option(
    None,
    "--max-samples",
    min=1,
    help="Cap on the LEAS training cells: a lower rate where --sample-rate draws more.",
)
N_TREES = typer.Option(PLUS_TREES, "--n-trees", help="LEAS trees per class (PLUS default 20).")
SCENARIO_FILE = typer.Option(None, "--scenario-file", help="Scenario TOML file.")
SCENARIO = typer.Option(None, "--scenario", help="Scenario name in --scenario-file.")
CONVERSION = typer.Option(
    None, "--conversion", help="Conversion matrix CSV/TOML (0/1; rows = from class)."
)
ORIENTATION = typer.Option(
    "from_rows",
    "--orientation",
    help="'from_rows' (PLUS) or 'to_rows' for --conversion (and a FLUS/PLUS --parameters).",
)
RESTRICTION = typer.Option(
    None, "--restriction", help="Restricted raster: 0 no change, 1 convertible, 2 zone."
)
MODEL = typer.Option(None, "--model", help="cars (PLUS), flus (released) or flus-paper.")
PARAMETERS = typer.Option(
    None,
    "--parameters",
    help="TOML file with an [allocation] table of model knobs, or a FLUS config_mp.log / "
    "PLUS_CARS.tmp (its class i = the i-th smallest map code; its matrix is used when "
    "--conversion is not given).",
)

ENGINES = ("sequential", "synchronous")
ENGINE = typer.Option(
    None,
    "--engine",
    help="With a study file: 'sequential' (PLUS/FLUS) or 'synchronous' (sweep + quota, over "
    "tiles); overrides its [simulation] engine.",
)
TILES = typer.Option(
    None,
    "--tiles",
    min=1,
    help="With a study file and the synchronous engine: ROWS COLUMNS of tiles; overrides "
    "its [simulation] tiles (the map does not depend on them).",
)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)


def leas_keywords(
    missing: str, sample_rate: float, max_samples: int | None, n_trees: int
) -> dict[str, Any]:
    """The LEAS keywords of --missing, --sample-rate, --max-samples and --n-trees."""
    return {
        "missing": missing,
        "sample_rate": sample_rate,
        "max_samples": max_samples,
        "n_trees": n_trees,
    }


def inputs(
    maps: dict[str, Path],
    drivers: list[Path] | None,
    probability: Path | None,
    restriction: Path | None,
    seed: int | None,
    leas_options: dict[str, Any],
    strict_nodata: bool = False,
) -> dict[str, Any]:
    """Read the maps, restriction and suitability on one grid (shared with validate-sim).

    The land-use maps are cut to the cells valid in all of them (``nodata_dropped``: the
    cells dropped from each), or must share one mask with ``strict_nodata``.
    ``leas_options`` (:func:`leas_keywords`) go to LEAS with --driver.
    """
    import numpy as np

    from landcarbon.landuse.allocation import allocation_stack
    from landcarbon.landuse.simulate import fit_suitability, read_probability
    from landcarbon.raster import read_stack

    if (drivers is None) == (probability is None):
        raise typer.BadParameter("give either --probability or one or more --driver")
    paths: dict[str, Path] = dict(maps)
    if restriction is not None:
        paths["restriction"] = restriction
    stack = read_stack(paths, dict.fromkeys(paths, "categorical"))
    masked, dropped = common_cells({name: stack[name] for name in maps}, strict_nodata)
    stack |= masked
    codes = tuple(sorted({int(c) for name in maps for c in _codes(stack[name])}))
    # the stack as the allocation holds it: nodata as 0 (no NaN, so no copy of the stack
    # to zero them), float32 as the suitability files (4 bytes per cell and class)
    if probability is not None:
        prob = read_probability(probability, codes, nodata=0.0)
    else:
        layers = read_stack(
            {p.stem: p for p in drivers or []} | {"t1": maps["t1"]},
            {"t1": "categorical"},
            reference="t1",
        )
        # rounded as `suitability` writes it: the map equals `suitability` then --probability
        fitted = fit_suitability(
            stack["t0"],
            stack["t1"],
            {k: v for k, v in layers.items() if k != "t1"},
            seed=seed,
            **leas_options,
        )
        prob = allocation_stack(fitted, np.float32)
    return {
        "maps": stack,
        "probability": prob,
        "restriction": stack.get("restriction"),
        "nodata_dropped": dropped,
    }


def _codes(da: Any) -> list[int]:
    from landcarbon.tables import class_counts

    return list(class_counts(da))


def scenario_and_rules(
    scenario_file: Path | None,
    scenario: str | None,
    conversion: Path | None,
    orientation: str,
    model: str | None,
    parameters: Path | None,
    codes: tuple[int, ...] | None = None,
    classes: str | None = None,
) -> dict[str, Any]:
    """Scenario, conversion matrix and allocation parameters from the CLI options.

    ``codes``: the maps' class codes, ascending; class i of a FLUS/PLUS parameter file takes
    ``codes[i - 1]`` (default i). ``classes``: the ``--classes`` table (or ``cnlucc``)
    through whose groups a scenario file's land-use groups resolve.
    """
    from landcarbon.groups import class_groups, classes_option
    from landcarbon.landuse.allocation import make_parameters
    from landcarbon.landuse.conversion import read_conversion_matrix
    from landcarbon.landuse.legacy_files import legacy_kind, read_legacy_file, read_parameters
    from landcarbon.landuse.scenarios import load_scenarios

    chosen = None
    if scenario_file is not None:
        groups = class_groups(classes_option(classes)) if classes else {}
        scenarios = load_scenarios(scenario_file, groups)
        if scenario is None or scenario not in scenarios:
            raise typer.BadParameter(
                f"{scenario!r} is not a scenario of {scenario_file}; choose one of "
                f"{sorted(scenarios)}",
                param_hint="--scenario",
            )
        chosen = scenarios[scenario]
    elif scenario is not None:
        raise typer.BadParameter("--scenario needs --scenario-file", param_hint="--scenario")
    matrix = None
    if conversion is not None:
        matrix = read_conversion_matrix(conversion, orientation)  # type: ignore[arg-type]
    if parameters is not None and legacy_kind(parameters) is not None:
        legacy = read_legacy_file(
            parameters,
            codes=codes,
            orientation=orientation,  # type: ignore[arg-type]
            model=model,
        )
        knobs = legacy.allocation_parameters()
        if matrix is None and legacy.conversion is not None:
            matrix = legacy.conversion
            say(f"conversion matrix (rows = from class) from {parameters}")
        if legacy.demands:
            say(f"demand of {parameters} not used: simulate projects the Markov demand")
    elif parameters is not None:
        knobs = read_parameters(parameters, model)
    else:
        knobs = make_parameters(model or "cars")
    return {"scenario": chosen, "conversion": matrix, "parameters": knobs}


def simulate_command(
    study: Path | None = typer.Argument(
        None,
        help="A study file: run its [simulation] chapter (with --scenario: that scenario only)"
        "; else give --t0, --t1 and their years.",
    ),
    t0: Path | None = T0,
    t0_year: float | None = T0_YEAR,
    t1: Path | None = T1,
    t1_year: float | None = T1_YEAR,
    target_year: float | None = year(None, "--target-year", help="Year to simulate."),
    driver: list[Path] = DRIVERS,
    probability: Path = PROBABILITY,
    missing: str = MISSING,
    sample_rate: float = SAMPLE_RATE,
    max_samples: int | None = MAX_SAMPLES,
    n_trees: int = N_TREES,
    scenario_file: Path = SCENARIO_FILE,
    scenario: str = SCENARIO,
    classes: str | None = CLASSES,
    conversion: Path = CONVERSION,
    orientation: str = ORIENTATION,
    restriction: Path = RESTRICTION,
    model: str = MODEL,
    parameters: Path = PARAMETERS,
    strict_nodata: bool = STRICT_NODATA,
    runs: int | None = typer.Option(
        None,
        "--runs",
        min=1,
        help="Monte Carlo runs, seeds spawned from --seed (default 1; with a study file, "
        "overrides its [simulation] runs).",
    ),
    engine: str | None = ENGINE,
    tiles: tuple[int, int] | None = TILES,
    seed: int = SEED,
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Simulate the land use of --target-year from --t1 (Markov demand, PLUS CARS / FLUS)."""
    from landcarbon.landuse.simulate import simulate, write_simulation
    from landcarbon.paths import safe_name

    if scenario is not None:  # its outputs are files named after it
        safe_name(scenario, "--scenario")
    if study is not None:
        steps = [f"simulation_{scenario}"] if scenario else ["simulation"]
        if engine not in (None, *ENGINES):
            raise typer.BadParameter(f"{engine!r}: choose one of {ENGINES}", param_hint="--engine")
        given = {"runs": runs, "engine": engine, "tiles": tiles}
        settings = {k: v for k, v in given.items() if v is not None}
        run_study_steps(
            study, steps, out, overwrite, seed, {"simulation": settings} if settings else None
        )
        return
    if engine is not None or tiles is not None:
        raise typer.BadParameter(
            "--engine and --tiles apply to a study file's [simulation] (its checkpoints go "
            "under --out); give the study file, or leave them out for the sequential engine",
            param_hint="--engine",
        )
    require(
        **{
            "--t0": t0,
            "--t0-year": t0_year,
            "--t1": t1,
            "--t1-year": t1_year,
            "--target-year": target_year,
        }
    )
    assert t0 and t1 and t0_year is not None and t1_year is not None
    assert target_year is not None
    if out is None:
        raise typer.BadParameter("give an output folder", param_hint="--out")
    leas_options = leas_keywords(missing, sample_rate, max_samples, n_trees)
    data = inputs(
        {"t0": t0, "t1": t1}, driver, probability, restriction, seed, leas_options, strict_nodata
    )
    codes = tuple(int(c) for c in data["probability"]["class"].values)
    rules = scenario_and_rules(
        scenario_file, scenario, conversion, orientation, model, parameters, codes, classes
    )
    result = simulate(
        data["maps"]["t0"],
        data["maps"]["t1"],
        data["probability"],
        years=(t0_year, t1_year),
        target_year=target_year,
        restriction=data["restriction"],
        runs=runs or 1,
        seed=seed,
        **rules,
    )
    folder = prepare_out_dir(out, overwrite)
    files = write_simulation(result, folder, overwrite=overwrite)
    summary = result.summary() | {
        "nodata_cells_dropped": data["nodata_dropped"],
        "files": {k: str(v) for k, v in files.items()},
    }
    emit(summary)
    state = (
        "demand met"
        if result.allocation.converged
        else ("LOCKED IN" if result.allocation.locked_in else "iteration limit reached")
    )
    say(
        f"[bold]simulate[/bold] {result.scenario} {target_year:g}: {state} after "
        f"{result.allocation.iterations} iterations -> {files['lulc']}"
    )
    unmet = result.unmet_demand(
        "allow the conversions these classes need (--conversion, the scenario's rules, "
        "--restriction) or raise max_iterations in --parameters"
    )
    if unmet:
        warnings.warn(unmet, UnmetDemandWarning, stacklevel=1)
