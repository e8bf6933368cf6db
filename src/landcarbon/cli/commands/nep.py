"""``landcarbon nep``: NEP = NPP - Rh with Rh from monthly temperature and precipitation."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.options import OUT, OVERWRITE, number, output_folder
from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("nep")(nep)


def nep(
    npp: Path = typer.Option(..., "--npp", help="Annual NPP raster, g C m-2 yr-1."),
    temperature: list[Path] = typer.Option(
        ...,
        "--temperature",
        help="Monthly mean temperature (°C): one 12-band raster or 12 rasters.",
    ),
    precipitation: list[Path] = typer.Option(
        ..., "--precipitation", help="Monthly precipitation (mm): one 12-band raster or 12 rasters."
    ),
    temperature_coef: float = number(
        0.0912,
        "--temperature-coef",
        gt=0,
        le=1,
        help="Rh temperature coefficient (Pei et al. 2010: 0.0912).",
    ),
    out: Path | None = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Net ecosystem production (g C m-2 yr-1) and its total (t C)."""
    from landcarbon.carbon.nep import (
        RhParameters,
        heterotrophic_respiration,
        nep_t_c_per_cell,
        net_ecosystem_production,
    )
    from landcarbon.raster import read_raster, require_data, write_raster
    from landcarbon.writes import write_json

    def monthly(paths: list[Path]) -> object:
        if len(paths) == 1:
            return read_raster(paths[0], "continuous", band=0)
        return [read_raster(p, "continuous") for p in paths]

    production = read_raster(npp, "continuous")
    rh = heterotrophic_respiration(
        monthly(temperature),  # type: ignore[arg-type]
        monthly(precipitation),  # type: ignore[arg-type]
        RhParameters(temperature_coef=temperature_coef),
    )
    result = net_ecosystem_production(production, rh)
    require_data(
        result,
        f"{npp}: the NEP",
        "--npp, --temperature and --precipitation share no cell with data (every month); "
        "check their nodata values and extents",
    )
    summary = {
        "mean_nep_g_c_m2_yr": float(result.mean(skipna=True).values),
        "mean_rh_g_c_m2_yr": float(rh.mean(skipna=True).values),
        "total_nep_t_c": float(nep_t_c_per_cell(result).sum(skipna=True).values),
    }
    if out is not None:
        with output_folder(out, overwrite) as folder:
            write_raster(result, folder / "nep.tif", overwrite=overwrite, units="g C m-2 yr-1")
            write_raster(rh, folder / "rh.tif", overwrite=overwrite, units="g C m-2 yr-1")
            write_json(summary, folder / "summary.json", overwrite=overwrite)
        say(f"wrote nep.tif, rh.tif and summary.json to {out}")
    emit(summary)
    say(f"mean NEP {summary['mean_nep_g_c_m2_yr']:.6g} g C m-2 yr-1")
    say(f"total NEP {summary['total_nep_t_c']:.6g} t C")
