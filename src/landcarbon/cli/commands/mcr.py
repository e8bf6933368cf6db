"""``landcarbon mcr``: minimum cumulative resistance (cost distance) from source cells."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.options import OUT, OVERWRITE, prepare_out_dir
from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("mcr")(mcr)


def mcr(
    resistance: Path = typer.Option(
        ..., "--resistance", help="Resistance raster (> 0; nodata = barrier)."
    ),
    sources: Path = typer.Option(
        ..., "--sources", help="Source raster: cells > 0 are sources (their value labels them)."
    ),
    out: Path = OUT,
    connectivity: int = typer.Option(8, "--connectivity", help="8 (ESRI rule) or 4 neighbours."),
    allocation: bool = typer.Option(
        False, "--allocation", help="Also write the nearest-source allocation map."
    ),
    overwrite: bool = OVERWRITE,
) -> None:
    """Cost distance over a resistance surface: lateral (R1+R2)/2 x cell, diagonal x sqrt(2)."""
    from landcarbon.raster import read_stack, write_raster
    from landcarbon.sinks.mcr import cost_distance

    if out is None:
        raise typer.BadParameter("give an output folder", param_hint="--out")
    stack = read_stack({"resistance": resistance, "sources": sources}, {"sources": "categorical"})
    result = cost_distance(
        stack["resistance"], stack["sources"], connectivity=connectivity, allocation=allocation
    )
    folder = prepare_out_dir(out, overwrite)
    write_raster(
        result.cost,
        folder / "mcr.tif",
        overwrite=overwrite,
        description="minimum cumulative resistance",
        units="resistance x m",
    )
    if result.allocation is not None:
        write_raster(
            result.allocation,
            folder / "allocation.tif",
            overwrite=overwrite,
            description="nearest source",
        )
    summary = result.summary()
    emit(summary)
    say(
        f"[bold]mcr[/bold] {summary['cells_reached']} cells reached, max cost "
        f"{summary['max_cost']:.6g}, mean {summary['mean_cost']:.6g} -> {folder / 'mcr.tif'}"
    )
