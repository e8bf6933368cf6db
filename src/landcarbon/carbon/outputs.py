"""Carbon accounts and their outputs: GeoTIFF maps, CSV tables by class and zone, JSON.

:func:`carbon_account` computes every total first (so a code missing from the pools
table fails before anything is written); :func:`write_carbon_outputs` then writes the
maps with :func:`landcarbon.raster.write_raster` (float32, ZSTD, tiled; dask input
window by window), ``carbon_by_class.csv``, ``carbon_by_zone.csv`` (any categorical
raster as zones) and ``summary.json``. File names follow InVEST >= 3.15
(``c_storage_bas.tif``, ``c_storage_alt.tif``, ``c_change_bas_alt.tif``, ``npv_alt.tif``,
``c_<pool>_bas.tif``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from landcarbon.backend import chunked_bincount, fixed_total, is_dask
from landcarbon.carbon.classes import cell_area_map, map_label, per_cell, zone_index
from landcarbon.carbon.storage import (
    POOLS,
    T_CO2_PER_T_C,
    ChangeTotals,
    StorageTotals,
    array_change_totals,
    array_totals,
    change_totals,
    check_same_grid,
    map_units,
    sequestration_array,
    sequestration_map,
    storage_array,
    storage_map,
    storage_rows,
    storage_totals,
    storage_totals_per_block,
)
from landcarbon.carbon.valuation import Valuation, value_units
from landcarbon.errors import ParameterError
from landcarbon.grid import Grid
from landcarbon.raster import PerBlock, write_array, write_arrays, write_raster
from landcarbon.tables import ClassTable
from landcarbon.writes import write_csv, write_json

if TYPE_CHECKING:  # the in-memory storage outputs (write_storage_outputs) load no xarray
    import xarray as xr


@dataclass(frozen=True)
class CarbonAccount:
    """Totals of a storage (and optional sequestration and valuation) run, in t C."""

    current: StorageTotals
    future: StorageTotals | None = None
    sequestration_t_c: float | None = None
    value: float | None = None

    def summary(self, co2: bool = False) -> dict[str, Any]:
        """The JSON summary: ``total_t_c``, ``by_class`` and, when asked for,
        ``future_total_t_c``, ``sequestration_t_c``, ``value`` (and ``*_t_co2``)."""
        by_class = self.current.by_class.set_index("code")["total_t_c"]
        out: dict[str, Any] = {
            "total_t_c": self.current.total_t_c,
            "by_class": {str(k): float(v) for k, v in by_class.items()},
        }
        if self.future is not None:
            out["future_total_t_c"] = self.future.total_t_c
            out["sequestration_t_c"] = self.sequestration_t_c
        if self.value is not None:
            out["value"] = self.value
        if co2:
            for key in ("total", "future_total", "sequestration"):
                if f"{key}_t_c" in out:
                    out[f"{key}_t_co2"] = out[f"{key}_t_c"] * T_CO2_PER_T_C
        return out

    def by_class_table(self) -> pd.DataFrame:
        """Current (and future) carbon by class, t C, with the change."""
        frame = self.current.by_class.copy()
        if self.future is not None:
            fut = self.future.by_class
            frame["future_area_ha"] = fut["area_ha"].to_numpy()
            frame["future_total_t_c"] = fut["total_t_c"].to_numpy()
            frame["change_t_c"] = frame["future_total_t_c"] - frame["total_t_c"]
        return frame


def carbon_account(
    current: xr.DataArray,
    pools: ClassTable,
    future: xr.DataArray | None = None,
    valuation: Valuation | None = None,
) -> CarbonAccount:
    """Storage totals of the current map, and with ``future`` its totals, the
    sequestration (t C) and, with ``valuation``, its value (currency)."""
    if future is None:
        return CarbonAccount(storage_totals(current, pools))
    return _change_account(change_totals(current, future, pools), valuation)


def _change_account(change: ChangeTotals, valuation: Valuation | None) -> CarbonAccount:
    """The account of two maps from their totals and sequestration, with ``valuation``
    its value (currency)."""
    seq = change.sequestration_t_c
    value = seq * valuation.constant if valuation is not None else None
    return CarbonAccount(change.current, change.future, seq, value)


@dataclass(frozen=True)
class EmissionAccount:
    """Land-use emissions by class (t C/yr) and, optionally, allocated energy emissions."""

    by_class: pd.DataFrame
    energy: xr.DataArray | None = None

    def summary(self, co2: bool = False) -> dict[str, Any]:
        """``land_use_t_c_yr``, ``by_class`` (t C/yr), ``energy_t_c_yr`` (if any), ``total_t_c_yr``
        and, with ``co2``, ``total_t_co2_yr``."""
        land = float(self.by_class["emissions_t_c_yr"].sum())
        out: dict[str, Any] = {
            "land_use_t_c_yr": land,
            "by_class": {
                str(c): float(v)
                for c, v in zip(
                    self.by_class["code"], self.by_class["emissions_t_c_yr"], strict=True
                )
            },
        }
        energy = 0.0
        if self.energy is not None:
            energy = fixed_total(self.energy)
            out["energy_t_c_yr"] = energy
        out["total_t_c_yr"] = land + energy
        if co2:
            out["total_t_co2_yr"] = out["total_t_c_yr"] * T_CO2_PER_T_C
        return out


def emission_account(
    lulc: xr.DataArray,
    factors: ClassTable,
    energy_t_c: float | None = None,
    weights: xr.DataArray | None = None,
    *,
    mask: xr.DataArray | None = None,
    zero_weight: Literal["error", "area"] = "error",
) -> EmissionAccount:
    """Emission-factor totals by class and, with both ``energy_t_c`` and ``weights``,
    the energy emissions allocated to cells in proportion to the weights (``mask`` and
    ``zero_weight`` as :func:`landcarbon.carbon.energy.allocate_emissions`)."""
    if (energy_t_c is None) != (weights is None):
        raise ParameterError("energy allocation needs both a regional total and a weight raster")
    from landcarbon.carbon.emissions import emission_totals  # not for the storage outputs
    from landcarbon.carbon.energy import allocate_emissions

    by_class = emission_totals(lulc, factors)
    if energy_t_c is None or weights is None:
        return EmissionAccount(by_class)
    check_same_grid(lulc, weights)
    return EmissionAccount(
        by_class, allocate_emissions(energy_t_c, weights, mask=mask, zero_weight=zero_weight)
    )


def zone_totals(per_ha: xr.DataArray, zones: xr.DataArray, column: str) -> pd.DataFrame:
    """Sum of a t/ha map over each zone (t) and the zone's valid area (ha)."""
    check_same_grid(per_ha, zones)
    index = zone_index(zones, map_label(zones, "zones"))
    bins = index.bins(zones)
    n = len(index.codes)
    cells = per_cell(per_ha)
    total = chunked_bincount(bins, n + 1, weights=cells.fillna(0.0))[:n]
    valid_area = cell_area_map(per_ha).where(per_ha.notnull(), 0.0)
    area = chunked_bincount(bins, n + 1, weights=valid_area)[:n]
    return pd.DataFrame({"zone": index.codes, "area_ha": area, column: total})


def write_carbon_outputs(
    out_dir: Path,
    current: xr.DataArray,
    pools: ClassTable,
    future: xr.DataArray | None = None,
    valuation: Valuation | None = None,
    *,
    per_cell_units: bool = False,
    all_pools: bool = False,
    zones: xr.DataArray | None = None,
    co2: bool = False,
    overwrite: bool = False,
) -> tuple[CarbonAccount, list[Path]]:
    """Compute the account, then write maps, tables and ``summary.json`` to ``out_dir``.

    A chunked ``current`` map alone (no ``future``) is read once for the account and the
    storage map: the storage map's write counts each block's classes in the task that
    encodes the block (:func:`~landcarbon.carbon.storage.storage_totals_per_block`), which
    gives :func:`carbon_account`'s totals bit for bit; a code missing from the table then
    fails before that first map is put in place, so no map is written either way.
    """
    zone_table = None if zones is None else carbon_by_zone(current, pools, zones, future)
    # float32 straight from the lookups (float64 arithmetic, one rounding): no float64 map
    # and no cast per file. Each map is made when it is written and dropped after, so a
    # map in memory holds one float32 map at a time, not five (8 GB at 20000 x 20000)
    opts: dict[str, Any] = {"per_cell_units": per_cell_units, "check": False, "dtype": np.float32}
    maps: dict[str, Callable[[], xr.DataArray]] = {
        name: partial(storage_map, current, pools, pool, **opts)
        for name, pool in _storage_files(all_pools).items()
    }
    if future is not None:
        maps["c_storage_alt"] = partial(storage_map, future, pools, **opts)
        maps["c_change_bas_alt"] = partial(sequestration_map, current, future, pools, **opts)
        if valuation is not None:
            maps["npv_alt"] = partial(_npv_map, current, future, pools, valuation, per_cell_units)
    if future is None and is_dask(current.data):
        totals: list[StorageTotals] = []
        counted = storage_totals_per_block(current, pools, totals.append)
        name = "c_storage_bas"  # the first map: the total's
        written = [_write_map(maps.pop(name)(), out_dir / f"{name}.tif", overwrite, counted)]
        account = CarbonAccount(totals[0])
    else:
        account = carbon_account(current, pools, future, valuation)
        written = []
    written += [
        _write_map(make(), out_dir / f"{name}.tif", overwrite) for name, make in maps.items()
    ]
    return account, written + _write_tables(out_dir, account, zone_table, co2, overwrite)


def carbon_arrays_account(
    current: np.ndarray,
    grid: Grid,
    pools: ClassTable,
    labels: tuple[str, ...],
    future: np.ndarray | None = None,
    valuation: Valuation | None = None,
) -> CarbonAccount:
    """:func:`carbon_account` of land-use maps held in memory (int32 codes on ``grid``;
    ``labels`` name the current and the future map in messages), no xarray."""
    if future is None:
        return CarbonAccount(array_totals(current, grid, pools, labels[0]))
    change = array_change_totals(current, future, grid, pools, (labels[0], labels[1]))
    return _change_account(change, valuation)


def write_storage_outputs(
    out_dir: Path,
    current: np.ndarray,
    grid: Grid,
    pools: ClassTable,
    labels: tuple[str, ...],
    future: np.ndarray | None = None,
    valuation: Valuation | None = None,
    *,
    per_cell_units: bool = False,
    all_pools: bool = False,
    co2: bool = False,
    overwrite: bool = False,
) -> tuple[CarbonAccount, list[Path]]:
    """:func:`write_carbon_outputs` (no zones) of land-use maps held in memory (int32 codes
    on ``grid``, :func:`landcarbon.raster.read_codes`; ``labels`` name the current and the
    future map in messages): the same files, byte for byte, through numpy and rasterio
    alone (no xarray, hence no dask: ~0.6 s less per process; no numba on projected grids).
    Every total (and the check of the codes against the table) comes first, from one
    bincount. The storage maps of the current map (total and pools) are looked up together
    one row of tiles at a time as they are written, so none is held whole; those of a
    future map are made one at a time when written. The future map must be on ``grid``
    (its own grid checked by the caller: :func:`require_same_grid`).
    """
    account = carbon_arrays_account(current, grid, pools, labels, future, valuation)
    opts: dict[str, Any] = {"per_cell_units": per_cell_units, "dtype": np.float32}
    units = map_units(per_cell_units)
    storage = _storage_files(all_pools)  # the current map's, in one pass, strip by strip
    written = write_arrays(
        {out_dir / f"{name}.tif": (name, units) for name in storage},
        grid,
        storage_rows(current, grid, pools, list(storage.values()), **opts),
        overwrite=overwrite,
    )
    maps: dict[str, Callable[[], np.ndarray]] = {}
    if future is not None:
        maps["c_storage_alt"] = partial(storage_array, future, grid, pools, **opts)
        maps["c_change_bas_alt"] = partial(
            sequestration_array, current, future, grid, pools, **opts
        )
        if valuation is not None:
            change64 = partial(
                sequestration_array, current, future, grid, pools, per_cell_units=per_cell_units
            )
            maps["npv_alt"] = lambda: valuation.value_array(change64())
    written += [
        write_array(
            make(),
            grid,
            out_dir / f"{name}.tif",
            overwrite=overwrite,
            description=name,
            units=value_units(units) if name == "npv_alt" else units,
        )
        for name, make in maps.items()
    ]
    return account, written + _write_tables(out_dir, account, None, co2, overwrite)


def _storage_files(all_pools: bool) -> dict[str, str]:
    """Storage maps written (InVEST's names): file stem -> pool (``total`` or a pool)."""
    which = ("total", *POOLS) if all_pools else ("total",)
    return {"c_storage_bas" if pool == "total" else f"{pool}_bas": pool for pool in which}


def _write_tables(
    out_dir: Path,
    account: CarbonAccount,
    zone_table: pd.DataFrame | None,
    co2: bool,
    overwrite: bool,
) -> list[Path]:
    """``carbon_by_class.csv``, ``carbon_by_zone.csv`` (with ``zone_table``) and
    ``summary.json`` of an account; the paths written."""
    written = [
        write_csv(account.by_class_table(), out_dir / "carbon_by_class.csv", overwrite=overwrite)
    ]
    if zone_table is not None:
        written.append(write_csv(zone_table, out_dir / "carbon_by_zone.csv", overwrite=overwrite))
    written.append(write_json(account.summary(co2), out_dir / "summary.json", overwrite=overwrite))
    return written


def _write_map(
    da: xr.DataArray, path: Path, overwrite: bool, per_block: PerBlock | None = None
) -> Path:
    """Write one carbon map, its file name (stem) as band description, with its units
    (``per_block``: as :func:`~landcarbon.raster.write_raster`)."""
    return write_raster(
        da,
        path,
        overwrite=overwrite,
        description=path.stem,
        units=str(da.attrs["units"]),
        per_block=per_block,
    )


def _npv_map(
    current: xr.DataArray,
    future: xr.DataArray,
    pools: ClassTable,
    valuation: Valuation,
    per_cell_units: bool,
) -> xr.DataArray:
    """Value of the sequestration per cell, float32, from the float64 change (as the totals)."""
    change = sequestration_map(current, future, pools, per_cell_units=per_cell_units, check=False)
    return valuation.value_map(change).astype(np.float32)


def carbon_by_zone(
    current: xr.DataArray,
    pools: ClassTable,
    zones: xr.DataArray,
    future: xr.DataArray | None = None,
) -> pd.DataFrame:
    """Carbon storage by zone: ``zone, area_ha, total_t_c`` (and ``future_total_t_c``), t C.

    Raises AlignmentError when the zone map is not on the land-use map's grid.
    """
    table = zone_totals(storage_map(current, pools, check=False), zones, "total_t_c")
    if future is not None:
        fut = zone_totals(storage_map(future, pools, check=False), zones, "future_total_t_c")
        table["future_total_t_c"] = fut["future_total_t_c"].to_numpy()
    return table
