"""``landcarbon emissions``: land-use emissions by emission factors, plus energy emissions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from landcarbon.cli.options import (
    CLASSES,
    OUT,
    OVERWRITE,
    number,
    output_folder,
)
from landcarbon.cli.output import emit, say
from landcarbon.limits import out_of_range

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr


def register(app: typer.Typer) -> None:
    app.command("emissions")(emissions)


def emissions(
    lulc: Path = typer.Option(..., "--lulc", help="Land-use map (GeoTIFF)."),
    factors: Path | None = typer.Option(
        None, "--factors", help="Factor table: code, factor_t_c_per_ha_yr (signed, t C/ha/yr)."
    ),
    preset: str | None = typer.Option(
        None,
        "--preset",
        help="Shipped factor set instead of --factors: arid_muus, sun2015 (keyed by land-use "
        "group: give --classes).",
    ),
    classes: str | None = CLASSES,
    energy_t_c: float | None = number(
        None, "--energy-t-c", ge=0, help="Regional energy emissions (t C) to allocate to cells."
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
    zones: Path | None = typer.Option(
        None,
        "--zones",
        help="Categorical raster of regions (counties, provinces): writes emissions_by_zone.csv.",
    ),
    zone_energy: Path | None = typer.Option(
        None,
        "--zone-energy",
        help="Energy emissions per region (CSV/TOML: zone, energy_t_c), each allocated "
        "within its --zones region (instead of --energy-t-c / --fuel).",
    ),
    mask: Path | None = typer.Option(
        None, "--mask", help="Raster, nonzero = cells that may receive energy emissions."
    ),
    zero_weight: str = typer.Option(
        "error",
        "--zero-weight",
        help="A region whose weights are all zero: error, or area (equal share per ha).",
    ),
    co2: bool = typer.Option(False, "--co2", help="Also report totals in t CO2 (x 44/12)."),
    out: Path | None = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Emissions (t C/yr) of a land-use map by class, and energy emissions allocated to cells."""
    from landcarbon.carbon.emissions import (
        FACTOR_COLUMN,
        emission_factor_preset,
        emission_map,
        emission_totals,
        read_emission_factors,
    )
    from landcarbon.carbon.energy import allocate_emissions
    from landcarbon.carbon.outputs import EmissionAccount
    from landcarbon.carbon.storage import check_same_grid
    from landcarbon.errors import ParameterError
    from landcarbon.groups import classes_option, read_class_values
    from landcarbon.raster import read_raster, write_raster
    from landcarbon.tables import class_counts
    from landcarbon.writes import write_csv, write_json

    if (factors is None) == (preset is None):
        raise ParameterError("give exactly one of --factors FILE or --preset NAME")
    if zones is not None and out is None:
        raise ParameterError("--zones writes emissions_by_zone.csv: give --out DIR as well")
    if zone_energy is not None and zones is None:
        raise ParameterError("--zone-energy gives totals per region: give --zones REGIONS.tif")
    totals = energy_totals(energy_t_c, fuel, zone_energy)
    if (totals is None) != (weights is None):
        raise ParameterError(
            "energy allocation needs both a total (--energy-t-c, --fuel or --zone-energy) "
            "and a weight raster (--weights)"
        )
    if totals is None and (mask is not None or zero_weight != "error"):
        raise ParameterError(
            "--mask and --zero-weight are for the energy allocation: give --weights and a "
            "total as well"
        )
    if zero_weight not in ("error", "area"):
        raise ParameterError(f"--zero-weight {zero_weight}: use error or area")
    land = read_raster(lulc, "categorical")
    if classes is None and preset is not None:
        raise ParameterError(
            f"--preset {preset} is keyed by land-use group, and the codes "
            f"{list(class_counts(land))} of {lulc} have no group: give --classes FILE (code, "
            f"name, group) or --classes cnlucc (CNLUCC first-level codes 1-6)"
        )
    table_of = classes_option(classes) if classes else None
    if preset is not None:
        table = emission_factor_preset(preset, table_of)
    elif table_of is not None:
        table = read_class_values(str(factors), table_of, required=(FACTOR_COLUMN,))
    else:
        table = read_emission_factors(str(factors))
    regions = read_raster(zones, "categorical") if zones else None
    if regions is not None:
        check_same_grid(land, regions)
    energy = None
    if totals is not None and weights is not None:
        weight_map = read_raster(weights, "continuous")
        check_same_grid(land, weight_map)
        energy = allocate_emissions(
            totals,
            weight_map,
            regions if isinstance(totals, dict) else None,
            mask=read_raster(mask, "continuous") if mask else None,
            zero_weight=zero_weight,  # type: ignore[arg-type]
        )
    account = EmissionAccount(emission_totals(land, table), energy)
    summary = account.summary(co2)
    if out is not None:
        with output_folder(out, overwrite) as folder:
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
            write_csv(account.by_class, folder / "emissions_by_class.csv", overwrite=overwrite)
            if regions is not None:
                by_zone = zone_table(emission_map(land, table), account.energy, regions)
                write_csv(by_zone, folder / "emissions_by_zone.csv", overwrite=overwrite)
            write_json(summary, folder / "summary.json", overwrite=overwrite)
        say(f"wrote outputs to {out}")
    emit(summary)
    say(f"land-use emissions {summary['land_use_t_c_yr']:.6g} t C/yr")
    say(f"total emissions {summary['total_t_c_yr']:.6g} t C/yr")


def energy_totals(
    energy_t_c: float | None, fuel: list[str], zone_energy: Path | None
) -> float | dict[int, float] | None:
    """The energy emissions to allocate (t C): one total (``--energy-t-c``, or the
    ``--fuel`` consumption through the IPCC preset), region code -> total from the
    ``--zone-energy`` table, or None when none of them is given."""
    from landcarbon.carbon.energy import energy_emissions, fuel_factors
    from landcarbon.errors import ParameterError
    from landcarbon.tables import read_table

    if (energy_t_c is not None) + bool(fuel) + (zone_energy is not None) > 1:
        raise ParameterError("give one of --energy-t-c, --fuel or --zone-energy, not several")
    if fuel:
        return float(energy_emissions(parse_fuels(fuel), fuel_factors())["emissions_t_c"].sum())
    if zone_energy is not None:
        regional = read_table(
            zone_energy, required=("energy_t_c",), nonnegative=("energy_t_c",), code_column="zone"
        )
        return dict(zip(regional.codes.tolist(), regional.column("energy_t_c"), strict=True))
    return energy_t_c


def zone_table(
    land_per_ha: xr.DataArray, energy: xr.DataArray | None, zones: xr.DataArray
) -> pd.DataFrame:
    """Per region: ``zone, area_ha, land_use_t_c_yr`` and, with energy emissions (t C per
    cell), ``energy_t_c_yr`` (their sum; NaN where no cell of the region got any, e.g. a
    region without a total) and ``total_t_c_yr``."""
    import numpy as np

    from landcarbon.backend import chunked_bincount
    from landcarbon.carbon.classes import map_label, zone_index
    from landcarbon.carbon.outputs import zone_totals

    table = zone_totals(land_per_ha, zones, "land_use_t_c_yr")
    if energy is None:
        return table
    index = zone_index(zones, map_label(zones, "zones"))
    bins = index.bins(zones)
    n = len(index.codes)
    total = chunked_bincount(bins, n + 1, weights=energy.fillna(0.0))[:n]
    cells = chunked_bincount(bins, n + 1, weights=energy.notnull().astype(np.float64))[:n]
    table["energy_t_c_yr"] = np.where(cells > 0, total, np.nan)
    table["total_t_c_yr"] = table["land_use_t_c_yr"] + table["energy_t_c_yr"]
    return table


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
        problem = out_of_range(value, {"ge": 0})
        if problem:
            raise ParameterError(f"--fuel {item!r}: the amount {problem}")
        out[name.strip()] = value
    return out
