"""``landcarbon emissions``: land-use emissions by emission factors, plus energy emissions."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.options import OUT, OVERWRITE, prepare_out_dir
from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("emissions")(emissions)


def emissions(
    lulc: Path = typer.Option(..., "--lulc", help="Land-use map (GeoTIFF)."),
    factors: Path | None = typer.Option(
        None, "--factors", help="Factor table: code, factor_t_c_per_ha_yr (signed, t C/ha/yr)."
    ),
    preset: str | None = typer.Option(
        None, "--preset", help="Shipped factor set instead of --factors: arid_muus, sun2015."
    ),
    energy_t_c: float | None = typer.Option(
        None, "--energy-t-c", help="Regional energy emissions (t C) to allocate to cells."
    ),
    fuel: list[str] = typer.Option(
        [],
        "--fuel",
        help='Fuel consumption "NAME=AMOUNT" (IPCC preset units), repeatable; '
        "their emissions are the energy total to allocate.",
    ),
    weights: Path | None = typer.Option(
        None, "--weights", help="Population-density or night-light raster for the allocation."
    ),
    co2: bool = typer.Option(False, "--co2", help="Also report totals in t CO2 (x 44/12)."),
    out: Path | None = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Emissions (t C/yr) of a land-use map by class, and energy emissions allocated to cells."""
    from landcarbon.carbon.emissions import (
        emission_factor_preset,
        emission_map,
        read_emission_factors,
    )
    from landcarbon.carbon.energy import energy_emissions, fuel_factors
    from landcarbon.carbon.outputs import emission_account, write_csv, write_json
    from landcarbon.errors import ParameterError
    from landcarbon.raster import read_raster, write_raster

    if (factors is None) == (preset is None):
        raise ParameterError("give exactly one of --factors FILE or --preset NAME")
    if fuel:
        if energy_t_c is not None:
            raise ParameterError("give either --energy-t-c or --fuel, not both")
        energy_t_c = float(
            energy_emissions(parse_fuels(fuel), fuel_factors())["emissions_t_c"].sum()
        )
    table = read_emission_factors(factors) if factors else emission_factor_preset(str(preset))
    land = read_raster(lulc, "categorical")
    energy = read_raster(weights, "continuous") if weights else None
    account = emission_account(land, table, energy_t_c, energy)
    summary = account.summary(co2)
    if out is not None:
        folder = prepare_out_dir(out, overwrite)
        write_raster(
            emission_map(land, table, per_cell_units=True).astype("float32"),
            folder / "emissions_land_use.tif",
            overwrite=overwrite,
            units="t C/yr per cell",
        )
        if account.energy is not None:
            write_raster(
                account.energy,
                folder / "emissions_energy.tif",
                overwrite=overwrite,
                units="t C per cell",
            )
        write_csv(account.by_class, folder / "emissions_by_class.csv", overwrite)
        write_json(summary, folder / "summary.json", overwrite)
        say(f"wrote outputs to {out}")
    emit(summary)
    say(f"land-use emissions {summary['land_use_t_c']:.6g} t C/yr")
    say(f"total emissions {summary['total_t_c']:.6g} t C/yr")


def parse_fuels(items: list[str]) -> dict[str, float]:
    """``["raw coal=1000", ...]`` to ``{"raw coal": 1000.0}``; bad items raise ParameterError."""
    from landcarbon.errors import ParameterError

    out: dict[str, float] = {}
    for item in items:
        name, sep, amount = item.rpartition("=")
        try:
            value = float(amount)
        except ValueError:
            value = float("nan")
        if not sep or not name.strip() or value != value:
            raise ParameterError(f'--fuel {item!r}: write NAME=AMOUNT, e.g. --fuel "raw coal=1000"')
        out[name.strip()] = value
    return out
