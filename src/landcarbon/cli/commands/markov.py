"""``landcarbon markov A.tif B.tif --years Y0 Y1 --target Y``: Markov demand, with scenarios."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.options import (
    CLASSES,
    OUT,
    OVERWRITE,
    STRICT_NODATA,
    common_cells,
    prepare_out_dir,
    year,
)
from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("markov")(markov)


def markov(
    before: Path = typer.Argument(..., help="Land-use map at the first date (GeoTIFF)."),
    after: Path = typer.Argument(..., help="Land-use map at the second date, same grid."),
    years: tuple[float, float] = year(..., "--years", help="The two dates, e.g. 2000 2010."),
    target: float = year(..., "--target", help="Year of the demand, e.g. 2035."),
    scenario: str = typer.Option(
        None,
        "--scenario",
        help='Scenario TOML file, or a shipped preset: "arid" or "redsoil" (keyed by '
        "land-use group: give --classes).",
    ),
    classes: str | None = CLASSES,
    name: str = typer.Option(None, "--name", help="Scenario to use from the file."),
    method: str = typer.Option(
        "matrix_power",
        "--method",
        help='Non-integer intervals: "matrix_power" (fractional power) or "linear".',
    ),
    strict_nodata: bool = STRICT_NODATA,
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Transition probabilities between two dates and the class demand (cells, ha) at the
    target year, optionally adjusted by a scenario; with --out, CSV tables."""
    from landcarbon.groups import class_groups, classes_option
    from landcarbon.landuse.change import transfer_matrix
    from landcarbon.landuse.markov import transition_probabilities
    from landcarbon.landuse.scenarios import (
        Scenario,
        apply_to_markov,
        load_scenario_source,
        scenario_demand,
    )
    from landcarbon.raster import read_stack
    from landcarbon.writes import write_csv

    stack = read_stack(
        {"before": before, "after": after}, {"before": "categorical", "after": "categorical"}
    )
    maps, dropped = common_cells(stack, strict_nodata)
    tp = transition_probabilities(transfer_matrix(maps["before"], maps["after"], years=years))
    groups = class_groups(classes_option(classes)) if classes else {}
    chosen = (
        Scenario("markov") if scenario is None else load_scenario_source(scenario, name, groups)
    )
    adjusted = apply_to_markov(tp, chosen)
    demand = scenario_demand(tp, chosen, target, method=method)  # type: ignore[arg-type]
    written = []
    if out is not None:
        folder = prepare_out_dir(out, overwrite)
        for stem, frame in {
            "probabilities": adjusted.to_frame(),
            "demand": demand.to_frame(),
        }.items():
            write_csv(frame, folder / f"{stem}.csv", index=True, overwrite=overwrite)
            written.append(str(folder / f"{stem}.csv"))
    emit(
        {
            "codes": list(tp.codes),
            "interval_years": tp.interval_years,
            "scenario": None if scenario is None else chosen.name,
            "probabilities": adjusted.matrix.tolist(),
            "demand": demand.summary(),
            "nodata_cells_dropped": dropped,
            "files": written,
        }
    )
    say(f"[bold]Markov transition probabilities[/bold] {years[0]:g} -> {years[1]:g} (rows = from)")
    say(adjusted.to_frame().round(6).to_string())
    say(f"[bold]demand {target:g}[/bold]" + (f" (scenario {chosen.name})" if scenario else ""))
    say(demand.to_frame().round(4).to_string())
    for path in written:
        say(f"wrote {path}")
