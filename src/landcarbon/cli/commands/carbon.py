"""``landcarbon carbon``: InVEST-style carbon storage, sequestration and value of a map."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from landcarbon.cli.options import OUT, OVERWRITE, number, output_folder, year
from landcarbon.cli.output import emit, say
from landcarbon.limits import PRECIPITATION_MM, TEMPERATURE_C

if TYPE_CHECKING:
    from landcarbon.carbon import Valuation
    from landcarbon.carbon.outputs import CarbonAccount
    from landcarbon.tables import ClassTable


def register(app: typer.Typer) -> None:
    app.command("carbon")(carbon)


def carbon(
    lulc: Path = typer.Option(..., "--lulc", help="Current land-use map (GeoTIFF)."),
    pools: Path = typer.Option(
        ..., "--pools", help="Pools table: lucode, c_above, c_below, c_soil, c_dead (t C/ha)."
    ),
    lulc_future: Path | None = typer.Option(
        None, "--lulc-future", help="Future land-use map on the same grid (sequestration)."
    ),
    price: float | None = number(None, "--price", ge=0, help="Price per t C (valuation)."),
    discount_rate: float = number(
        0.0, "--discount-rate", ge=0, le=100, help="Annual market discount rate, percent."
    ),
    price_change: float = number(
        0.0,
        "--price-change",
        gt=-100,
        le=100,
        help="Annual change in the price of carbon, percent.",
    ),
    years: tuple[int, int] | None = year(
        None, "--years", help="Current and future years (valuation)."
    ),
    zones: Path | None = typer.Option(
        None, "--zones", help="Categorical raster of zones (e.g. counties) for a zone table."
    ),
    per_cell: bool = typer.Option(
        False, "--per-cell", help="Maps in t C per cell (InVEST <= 3.14) instead of t C/ha."
    ),
    all_pools: bool = typer.Option(
        False, "--all-pools", help="Also write one map per pool (the five InVEST rasters)."
    ),
    co2: bool = typer.Option(False, "--co2", help="Also report totals in t CO2 (x 44/12)."),
    climate: tuple[float, float] | None = number(
        None,
        "--climate",
        items=(PRECIPITATION_MM, TEMPERATURE_C),
        metavar="MAP_MM MAT_C",
        help="Correct the pools to this mean annual precipitation (mm) and temperature (°C); "
        "writes pools_corrected.csv with --out.",
    ),
    reference_climate: tuple[float, float] | None = number(
        None,
        "--reference-climate",
        items=(PRECIPITATION_MM, TEMPERATURE_C),
        metavar="MAP_MM MAT_C",
        help="Climate of the region the pools table is for (e.g. the national mean).",
    ),
    climate_variant: str = typer.Option(
        "product",
        "--climate-variant",
        help="Biomass factor K_B: product (K_BP·K_BT), mean ((K_BP+K_BT)/2) or precipitation.",
    ),
    climate_dead: str = typer.Option(
        "none", "--climate-dead", help="c_dead: none (as is), biomass (x K_B) or soil (x K_S)."
    ),
    chunks: int | None = typer.Option(
        None, "--chunks", min=1, help="Read rasters in chunks of this many cells (large maps)."
    ),
    out: Path | None = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Carbon storage (t C) of a land-use map, and its change and value with a future map."""
    from landcarbon.carbon import Valuation, carbon_account, read_pools, write_carbon_outputs
    from landcarbon.carbon.storage import MAX_PAIR_CLASSES
    from landcarbon.errors import ParameterError
    from landcarbon.raster import read_raster

    table = read_pools(pools)
    factors = None
    if climate is not None or reference_climate is not None:
        table, factors = _climate_corrected(
            table, climate, reference_climate, climate_variant, climate_dead
        )
    if chunks is None:
        _require_memory(lulc, 1 if lulc_future is None else 2)
    if zones is not None and out is None:
        raise ParameterError("--zones writes carbon_by_zone.csv: give --out DIR as well")
    if years is not None and price is None:
        raise ParameterError("--years is for valuation: give --price as well (price per t C)")
    if price is not None and (lulc_future is None or years is None):
        raise ParameterError("valuation (--price) needs --lulc-future and --years Y0 Y1")
    valuation = None
    if price is not None and years is not None:
        valuation = Valuation(price, discount_rate, price_change, years[0], years[1])
    if chunks is None and zones is None and len(table.codes) <= MAX_PAIR_CLASSES:
        maps = (lulc,) if lulc_future is None else (lulc, lulc_future)
        opts = {"per_cell_units": per_cell, "all_pools": all_pools, "co2": co2}
        account = _in_memory(maps, table, valuation, out, overwrite, factors, opts)
        _report(account, factors, co2)
        return
    current = read_raster(lulc, "categorical", chunks=chunks)
    future = read_raster(lulc_future, "categorical", chunks=chunks) if lulc_future else None
    if out is None:
        account = carbon_account(current, table, future, valuation)
    else:
        zone_map = read_raster(zones, "categorical", chunks=chunks) if zones else None
        with output_folder(out, overwrite) as folder:
            account, written = write_carbon_outputs(
                folder,
                current,
                table,
                future,
                valuation,
                per_cell_units=per_cell,
                all_pools=all_pools,
                zones=zone_map,
                co2=co2,
                overwrite=overwrite,
            )
            _write_climate(written, account, factors, table, folder, overwrite, co2)
        say(f"wrote {len(written)} files to {out}")
    _report(account, factors, co2)


def _in_memory(
    maps: tuple[Path, ...],
    table: ClassTable,
    valuation: Valuation | None,
    out: Path | None,
    overwrite: bool,
    factors: dict[str, Any] | None,
    opts: dict[str, bool],
) -> CarbonAccount:
    """The account of the current (and future) map read whole, and with ``out`` its files
    (``opts``: per_cell_units, all_pools, co2), through numpy and rasterio alone: no
    xarray, whose first DataArray imports dask (~0.6 s a process), and on projected grids
    no numba (~0.8 s with its cache). Zones and ``--chunks`` take the DataArray path."""
    from landcarbon.carbon.outputs import carbon_arrays_account, write_storage_outputs
    from landcarbon.carbon.storage import require_same_grid
    from landcarbon.raster import read_codes

    labels = tuple(str(m) for m in maps)
    current, grid = read_codes(maps[0])
    future = None
    if len(maps) > 1:
        future, future_grid = read_codes(maps[1])
        require_same_grid(grid, future_grid, (labels[0], labels[1]))
    if out is None:
        return carbon_arrays_account(current, grid, table, labels, future, valuation)
    with output_folder(out, overwrite) as folder:
        account, written = write_storage_outputs(
            folder, current, grid, table, labels, future, valuation, overwrite=overwrite, **opts
        )
        _write_climate(written, account, factors, table, folder, overwrite, opts["co2"])
    say(f"wrote {len(written)} files to {out}")
    return account


def _write_climate(
    written: list[Path],
    account: CarbonAccount,
    factors: dict[str, Any] | None,
    table: ClassTable,
    folder: Path,
    overwrite: bool,
    co2: bool,
) -> None:
    """With a climate correction (``factors``), the corrected table
    (``pools_corrected.csv``, added to ``written``) and the factors in ``summary.json``."""
    if factors is None:
        return
    from landcarbon.carbon.climate import pools_csv_frame
    from landcarbon.writes import write_csv, write_json

    corrected = pools_csv_frame(table)
    written.append(write_csv(corrected, folder / "pools_corrected.csv", overwrite=overwrite))
    summary = {**account.summary(co2), "climate_factors": factors}
    write_json(summary, folder / "summary.json", overwrite=True)


def _report(account: CarbonAccount, factors: dict[str, Any] | None, co2: bool) -> None:
    """Print the summary (JSON on stdout) and the totals."""
    summary = account.summary(co2)
    if factors is not None:
        summary["climate_factors"] = factors
    emit(summary)
    say(f"carbon storage {summary['total_t_c']:.6g} t C")
    if "sequestration_t_c" in summary:
        say(
            f"future {summary['future_total_t_c']:.6g} t C, "
            f"sequestration {summary['sequestration_t_c']:.6g} t C"
        )
    if "value" in summary:
        say(f"value of sequestration {summary['value']:.6g}")


IN_MEMORY_BYTES_PER_CELL = 18
"""Peak memory of ``carbon`` on maps read whole, bytes per cell of one land-use map:
measured 6.9 GB at 20000 x 20000 with ``--all-pools`` (int32 codes, one float32 map at a
time, the file's codes while reading, GDAL's block cache); a future map adds
:data:`FUTURE_BYTES_PER_CELL`."""

FUTURE_BYTES_PER_CELL = 8
"""What a future map adds per cell: its int32 codes and the float32 change map."""


def _require_memory(lulc: Path, maps: int) -> None:
    """Refuse (ComputeError), before reading, land-use maps that would not fit in memory
    read whole, with the chunked path as the fix (``--chunks``: nothing is held whole)."""
    from landcarbon.errors import ComputeError
    from landcarbon.raster import read_grid
    from landcarbon.study.memory import LIMIT_ENV, available_bytes

    have = available_bytes()
    if have is None:
        return
    grid = read_grid(lulc)
    cells = grid.rows * grid.cols
    need = cells * (IN_MEMORY_BYTES_PER_CELL + (maps - 1) * FUTURE_BYTES_PER_CELL)
    if need > have:
        source = LIMIT_ENV if os.environ.get(LIMIT_ENV, "").strip() else "free memory now"
        raise ComputeError(
            f"{lulc}: {grid.rows} x {grid.cols} cells read whole need about "
            f"{need / 1e9:.3g} GB, more than the {have / 1e9:.3g} GB available ({source}); "
            f"rerun with --chunks 2048 (the maps are then read, computed and written chunk "
            f"by chunk, never held whole)"
        )


def _climate_corrected(
    table: ClassTable,
    climate: tuple[float, float] | None,
    reference: tuple[float, float] | None,
    variant: str,
    dead: str,
) -> tuple[ClassTable, dict[str, Any]]:
    """The pools corrected to ``climate`` (MAP mm, MAT °C) from ``reference``, and the
    factors with the climates for the summary (METHODS.md section 2)."""
    from landcarbon.carbon.climate import climate_corrected_pools, correction_factors
    from landcarbon.errors import ParameterError

    if climate is None or reference is None:
        raise ParameterError(
            "the climate correction needs both --climate MAP_MM MAT_C (the study area) and "
            "--reference-climate MAP_MM MAT_C (the pools table's region); there is no "
            "default reference climate"
        )
    factors = correction_factors(*climate, *reference, variant)  # type: ignore[arg-type]
    corrected = climate_corrected_pools(table, factors, dead)  # type: ignore[arg-type]
    summary = {
        **factors.as_dict(),
        "variant": variant,
        "c_dead": dead,
        "precipitation_mm": climate[0],
        "temperature_c": climate[1],
        "reference_precipitation_mm": reference[0],
        "reference_temperature_c": reference[1],
    }
    return corrected, summary
