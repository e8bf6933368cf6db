"""``landcarbon change A.tif B.tif``: transfer matrix, gains/losses and dynamic degree."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.options import OUT, OVERWRITE, prepare_out_dir, year
from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("change")(change)


def change(
    before: Path = typer.Argument(..., help="Land-use map at the first date (GeoTIFF)."),
    after: Path = typer.Argument(..., help="Land-use map at the second date, same grid."),
    years: tuple[float, float] | None = year(
        None, "--years", help="The two dates, for the dynamic degrees (e.g. 2000 2020)."
    ),
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Transfer matrix (cells, ha, km2, % of row), gains/losses/net/swap per class and
    dynamic degrees; with --out, one CSV per table. A class absent from the first map has
    no single dynamic degree (undefined: empty CSV cell, JSON null); see its gain."""
    from landcarbon.landuse.change import transfer_matrix
    from landcarbon.raster import read_stack
    from landcarbon.writes import write_csv

    maps = read_stack(
        {"first": before, "second": after}, {"first": "categorical", "second": "categorical"}
    )
    tm = transfer_matrix(maps["first"], maps["second"], years=years)
    written = []
    if out is not None:
        folder = prepare_out_dir(out, overwrite)
        for stem, frame in tm.tables().items():
            write_csv(
                frame, folder / f"{stem}.csv", index=stem != "transfer_long", overwrite=overwrite
            )
            written.append(str(folder / f"{stem}.csv"))
    emit({**tm.summary(), "files": written})
    say(f"[bold]transfer matrix[/bold] {before.name} -> {after.name} (ha; rows = from)")
    say(tm.to_frame("ha").round(4).to_string())
    say(tm.tables()["class_changes"].round(4).to_string())
    for path in written:
        say(f"wrote {path}")
