"""``landcarbon validate-sim``: train t0 -> t1, simulate t2 from t1, score against real t2."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.commands.simulate import (
    CONVERSION,
    DRIVERS,
    MAX_SAMPLES,
    MISSING,
    MODEL,
    N_TREES,
    ORIENTATION,
    PARAMETERS,
    PROBABILITY,
    RESTRICTION,
    SAMPLE_RATE,
    SCENARIO,
    SCENARIO_FILE,
    T0,
    T0_YEAR,
    T1,
    T1_YEAR,
    inputs,
    leas_keywords,
    scenario_and_rules,
)
from landcarbon.cli.options import (
    CLASSES,
    OUT,
    OVERWRITE,
    SEED,
    prepare_out_dir,
    require,
    year,
)
from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("validate-sim")(validate_sim)


def validate_sim(
    t0: Path | None = T0,
    t0_year: float | None = T0_YEAR,
    t1: Path | None = T1,
    t1_year: float | None = T1_YEAR,
    t2: Path = typer.Option(..., "--t2", help="Observed land-use map of the date to simulate."),
    t2_year: float = year(..., "--t2-year", help="Year of --t2."),
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
    seed: int = SEED,
    out: Path | None = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Kappa, overall accuracy and Figure of Merit of a simulated --t2 against the real one;
    with --out, the simulated map, confusion matrix, Figure of Merit tables, change
    agreement map and summary.json (the files of a study's [validation] chapter)."""
    from landcarbon.landuse.simulate import validate_simulation, write_check

    require(**{"--t0": t0, "--t0-year": t0_year, "--t1": t1, "--t1-year": t1_year})
    assert t0 is not None and t1 is not None and t0_year is not None and t1_year is not None
    leas_options = leas_keywords(missing, sample_rate, max_samples, n_trees)
    data = inputs(
        {"t0": t0, "t1": t1, "t2": t2}, driver, probability, restriction, seed, leas_options
    )
    codes = tuple(int(c) for c in data["probability"]["class"].values)
    rules = scenario_and_rules(
        scenario_file, scenario, conversion, orientation, model, parameters, codes, classes
    )
    maps = data["maps"]
    check = validate_simulation(
        maps["t0"],
        maps["t1"],
        maps["t2"],
        data["probability"],
        years=(t0_year, t1_year, t2_year),
        restriction=data["restriction"],
        seed=seed,
        **rules,
    )
    summary = check.summary()
    written = []
    if out is not None:
        folder = prepare_out_dir(out, overwrite)
        files = write_check(check, maps["t1"], maps["t2"], folder, overwrite=overwrite)
        written = [str(path) for path in files.values()]
    emit({**summary, "files": written})
    say(
        f"[bold]validate-sim[/bold] {t2_year:g} from {t1_year:g}: kappa {summary['kappa']:.4f}, "
        f"overall accuracy {summary['overall_accuracy']:.4f}, FoM {summary['fom']:.4f} "
        f"(hits {summary['hits']}, misses {summary['misses']}, wrong hits "
        f"{summary['wrong_hits']}, false alarms {summary['false_alarms']})"
    )
    for path in written:
        say(f"wrote {path}")
