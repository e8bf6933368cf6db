"""``landcarbon info RASTER``: grid, CRS, and class counts with areas in hectares."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("info")(info)


def info(
    raster: Path = typer.Argument(..., help="A GeoTIFF (land use or any continuous raster)."),
    categorical: bool = typer.Option(
        None,
        "--categorical/--continuous",
        help="Count classes (default: integer rasters are categorical).",
    ),
) -> None:
    """Describe a raster: grid, CRS, cell area and, for class maps, cells and hectares."""
    from landcarbon.inspect import describe_raster

    summary = describe_raster(raster, categorical)
    emit(summary)
    say(
        f"[bold]{raster}[/bold]  {summary['rows']} x {summary['cols']} cells, "
        f"CRS {summary['crs']}, nodata {summary['nodata']}"
    )
    area = summary["total_area_ha"]
    say(
        f"cell size {summary['cell_size']}, area "
        + (f"{area:.6g} ha" if area is not None else "unknown (no CRS)")
    )
    for row in summary.get("classes", []):
        ha = row["area_ha"]
        say(
            f"  class {row['code']:>6}: {row['cells']:>12} cells "
            + (f"{ha:>16.4f} ha" if ha is not None else "area unknown (no CRS)")
        )
    if "stats" in summary:
        say("  " + ", ".join(f"{k} {v:.6g}" for k, v in summary["stats"].items()))
