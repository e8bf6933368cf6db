"""``landcarbon init MAP [MAP ...]``: a study file and tables written from your own maps."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.options import OVERWRITE
from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    maps: list[Path] = typer.Argument(..., help="Land-use maps (GeoTIFF), one per date."),
    drivers: list[Path] = typer.Option(
        [], "--driver", "-d", help="A driver raster for the simulation (repeat the option)."
    ),
    years: list[int] = typer.Option(
        [], "--year", help="Each map's year, in order (default: read from the file names)."
    ),
    out: Path = typer.Option(
        Path("study.toml"), "--out", "-o", help="The study file to write (tables go beside it)."
    ),
    name: str = typer.Option(None, "--name", help="Title of the study."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Write a runnable study file, classes.csv (names from the maps, else 'class N') and
    empty pools.csv / emission_factors.csv with one row per code, for you to fill."""
    from landcarbon.study.init import init_study

    result = init_study(
        maps, out, drivers=drivers, years=years or None, name=name, overwrite=overwrite
    )
    emit(result.summary())
    for m in result.maps:
        say(f"[bold]{m.path.name}[/bold] ({m.year}): {len(m.cells)} classes")
        for code, cells in m.cells.items():
            area = "area unknown (no CRS)" if m.area_ha is None else f"{m.area_ha[code]:.4f} ha"
            label = m.names.get(code, f"class {code}")
            say(f"  {code:>6} {label:<24} {cells:>12} cells  {area}")
    for note in result.notes:
        say(f"note: {note}")
    say(f"wrote {result.study} and " + ", ".join(p.name for p in result.tables.values()))
    say("fill the tables (names, groups, pools, factors), then: landcarbon validate " + str(out))
