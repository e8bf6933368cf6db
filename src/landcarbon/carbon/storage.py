"""InVEST-style carbon storage and sequestration from a land-use map and a pools table.

Per cell, ``C(x) = c_above[l] + c_below[l] + c_soil[l] + c_dead[l]`` with ``l`` the cell's
land-use code, in t C/ha (Mg C/ha) of elemental carbon; sequestration is
``C_future(x) - C_current(x)`` (positive = gain). Totals are exact: the cell count of
each class (``bincount``) times its density times the true cell area, in float64, so
geographic CRSs work (InVEST refuses them). t C per cell (what InVEST <= 3.14 wrote and
older papers report) is the density times the cell area, on request.

References
----------
Sharp, R. et al. InVEST User's Guide, "Carbon Storage and Sequestration", Natural
Capital Project (natcap/invest ``src/natcap/invest/carbon/carbon.py``).
Tallis, H., Polasky, S. (2009). Mapping and valuing ecosystem services as an approach
for conservation and natural-resource management. *Ann. N.Y. Acad. Sci.* 1162:265-283,
doi:10.1111/j.1749-6632.2009.04152.x.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import DTypeLike

from landcarbon.arrays import categorical
from landcarbon.backend import fixed_total
from landcarbon.carbon.classes import ClassIndex, map_label
from landcarbon.errors import AlignmentError, ParameterError
from landcarbon.grid import Grid
from landcarbon.tables import ClassTable, read_table

if TYPE_CHECKING:
    import xarray as xr

    from landcarbon.classes import ClassScheme
    from landcarbon.raster import PerBlock

POOLS = ("c_above", "c_below", "c_soil", "c_dead")
"""The four InVEST carbon pools (columns of the pools table, t C/ha)."""

MAX_PAIR_CLASSES = 4096
"""Largest table for which sequestration totals use a class-pair bincount (n² bins)."""

T_CO2_PER_T_C = 44.0 / 12.0
"""Mass ratio CO2/C: t CO2 = 44/12 t C (applied only at the output edge)."""


def read_pools(path: str | Path) -> ClassTable:
    """Read an InVEST carbon pools table (CSV or TOML) and validate it.

    Columns ``lucode`` (or ``code``/``lulc``...), ``c_above``, ``c_below``, ``c_soil``,
    ``c_dead`` in t C/ha, matched case-insensitively; extra columns are kept. Blank,
    non-numeric (NaN) or negative densities raise TableError naming column and row.
    """
    return read_table(path, required=POOLS, nonnegative=POOLS)


def pools_preset(name: str, classes: ClassScheme | None = None) -> ClassTable:
    """A shipped pools table ``carbon_<name>.toml`` (densities in t C/ha): ``henan_table1``
    is the province carbon-balance study's Table 1 (soil 0-100 cm). Keyed by land-use
    group, resolved onto the codes of ``classes`` through its ``group`` column (without
    ``classes`` a group-keyed table is refused)."""
    from landcarbon.carbon.presets import load_preset

    return load_preset("carbon", name, required=POOLS, nonnegative=POOLS, classes=classes)


def pool_density(pools: ClassTable, pool: str = "total") -> np.ndarray:
    """Density (t C/ha, float64) of one pool, or of the four summed (``"total"``), per row."""
    if pool == "total":
        return np.sum([pools.column(p).to_numpy(np.float64) for p in POOLS], axis=0)
    if pool not in POOLS:
        raise ParameterError(f"unknown carbon pool {pool!r}; use total, {', '.join(POOLS)}")
    return pools.column(pool).to_numpy(np.float64)


def storage_map(
    lulc: xr.DataArray,
    pools: ClassTable,
    pool: str = "total",
    *,
    per_cell_units: bool = False,
    check: bool = True,
    dtype: DTypeLike = np.float64,
) -> xr.DataArray:
    """Carbon of one pool (or ``"total"``) per cell: t C/ha, or t C per cell on request.

    One pass over the map, lazy on dask input; float64 arithmetic rounded once to ``dtype``
    (float32 for files). With ``check`` (default) every code of the map must be in the
    table: TableError lists the missing codes and their cell counts.
    """
    return storage_maps(
        lulc, pools, (pool,), per_cell_units=per_cell_units, check=check, dtype=dtype
    )[pool]


def storage_maps(
    lulc: xr.DataArray,
    pools: ClassTable,
    which: Sequence[str] = ("total", *POOLS),
    *,
    per_cell_units: bool = False,
    check: bool = True,
    dtype: DTypeLike = np.float64,
) -> dict[str, xr.DataArray]:
    """:func:`storage_map` of several pools (``"total"`` and/or :data:`POOLS`), by pool.

    In memory all of them come from one pass over the map
    (:meth:`~landcarbon.carbon.classes.ClassIndex.values_maps`); on dask each stays lazy.
    Values are bit-identical to one :func:`storage_map` per pool.
    """
    lulc = categorical(lulc, "lulc")
    index = ClassIndex.of(pools.codes, pools.source)
    if check:
        index.class_area_ha(lulc, map_label(lulc))
    per = _per(per_cell_units)
    columns = {f"{pool}_t_c_per_{per}": pool_density(pools, pool) for pool in which}
    maps = index.values_maps(lulc, columns, dtype=dtype, per_cell_units=per_cell_units)
    for out in maps.values():
        out.attrs["units"] = map_units(per_cell_units)
    return dict(zip(which, maps.values(), strict=True))


def storage_array(
    codes: np.ndarray,
    grid: Grid,
    pools: ClassTable,
    pool: str = "total",
    *,
    per_cell_units: bool = False,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """:func:`storage_map` (unchecked) of an in-memory class map (int32 codes on ``grid``,
    :func:`landcarbon.raster.read_codes`) as a numpy array: the same values, no xarray."""
    rows = storage_rows(codes, grid, pools, (pool,), per_cell_units=per_cell_units, dtype=dtype)
    return rows(0, grid.rows)[0]


def storage_rows(
    codes: np.ndarray,
    grid: Grid,
    pools: ClassTable,
    which: Sequence[str],
    *,
    per_cell_units: bool = False,
    dtype: DTypeLike = np.float64,
) -> Callable[[int, int], np.ndarray]:
    """Rows ``top:bottom`` of :func:`storage_array` of each pool of ``which`` (``total``
    and/or :data:`POOLS`), on demand: ``K x rows x cols``, one pass over those rows for all
    of them (a strip of a map is looked up when it is written)."""
    index = ClassIndex.of(pools.codes, pools.source)
    values = np.stack([pool_density(pools, pool) for pool in which])
    area = grid.cell_area_ha() if per_cell_units else None

    def rows(top: int, bottom: int) -> np.ndarray:
        strip_area = None if area is None else area[top:bottom]
        return index.values_array(codes[top:bottom], values, dtype=dtype, area=strip_area)

    return rows


def array_totals(codes: np.ndarray, grid: Grid, pools: ClassTable, label: str) -> StorageTotals:
    """:func:`storage_totals` of an in-memory class map (int32 codes on ``grid``; ``label``
    names the map in messages), no xarray."""
    index = ClassIndex.of(pools.codes, pools.source)
    return _totals(pools, *index.array_area_ha(codes, grid.row_area_ha(), label))


def map_units(per_cell_units: bool) -> str:
    """The units of a carbon map: ``t C/ha``, or ``t C per cell``."""
    return "t C per cell" if per_cell_units else "t C/ha"


def _per(per_cell_units: bool) -> str:
    """The area unit of a map: ``cell`` or ``ha``."""
    return "cell" if per_cell_units else "ha"


def sequestration_map(
    current: xr.DataArray,
    future: xr.DataArray,
    pools: ClassTable,
    *,
    per_cell_units: bool = False,
    check: bool = True,
    dtype: DTypeLike = np.float64,
) -> xr.DataArray:
    """Sequestration ``C_future - C_current`` per cell (t C/ha or t C per cell).

    One numba pass over both maps (options as :func:`storage_map`). NaN where either map
    is nodata. Raises AlignmentError when the maps' grids differ.
    """
    current, future = categorical(current, "current"), categorical(future, "future")
    check_same_grid(current, future)
    index = ClassIndex.of(pools.codes, pools.source)
    if check:
        index.class_area_ha(current, map_label(current))
        index.class_area_ha(future, map_label(future))
    out = index.change_map(
        current,
        future,
        pool_density(pools),
        f"sequestration_t_c_per_{_per(per_cell_units)}",
        dtype=dtype,
        per_cell_units=per_cell_units,
    )
    out.attrs["units"] = map_units(per_cell_units)
    return out


@dataclass(frozen=True)
class StorageTotals:
    """Carbon by class (t C) and overall for one land-use map."""

    by_class: pd.DataFrame
    """One row per table code: ``code, name, cells, area_ha``, ``<pool>_t_c`` for each pool
    and ``total_t_c``."""

    @property
    def total_t_c(self) -> float:
        return float(self.by_class["total_t_c"].sum())


def storage_totals(lulc: xr.DataArray, pools: ClassTable) -> StorageTotals:
    """Exact totals: cells of each class x density x true cell area, float64 (t C).

    Raises TableError listing the map's codes missing from the table (with cell counts).
    Map-reduce over dask chunks; nothing is loaded whole.
    """
    lulc = categorical(lulc, "lulc")
    index = ClassIndex.of(pools.codes, pools.source)
    cells, area = index.class_area_ha(lulc, map_label(lulc))
    return _totals(pools, cells, area)


def storage_totals_per_block(
    lulc: xr.DataArray, pools: ClassTable, done: Callable[[StorageTotals], None]
) -> PerBlock:
    """:func:`storage_totals` of a chunked map counted in the tasks of a chunked write of a
    map made from it (:class:`~landcarbon.raster.PerBlock`, e.g. its :func:`storage_map`):
    one read of each chunk for both. ``done`` gets the totals (bit for bit
    :func:`storage_totals`') when every block is counted, before the file is put in place;
    codes missing from the table raise TableError there instead (no file is left)."""
    lulc = categorical(lulc, "lulc")
    index = ClassIndex.of(pools.codes, pools.source)
    return index.area_per_block(
        lulc, map_label(lulc), lambda cells, area: done(_totals(pools, cells, area))
    )


def _totals(pools: ClassTable, cells: np.ndarray, area: np.ndarray) -> StorageTotals:
    names = pools.names()
    frame = pd.DataFrame(
        {"code": pools.codes, "name": [names[int(c)] for c in pools.codes], "cells": cells}
    )
    frame["area_ha"] = area
    for pool in POOLS:
        frame[f"{pool}_t_c"] = area * pool_density(pools, pool)
    frame["total_t_c"] = area * pool_density(pools)
    return StorageTotals(frame)


@dataclass(frozen=True)
class ChangeTotals:
    """Storage totals of two maps and the sequestration between them (t C)."""

    current: StorageTotals
    future: StorageTotals
    sequestration_t_c: float


def change_totals(current: xr.DataArray, future: xr.DataArray, pools: ClassTable) -> ChangeTotals:
    """Both maps' totals and the total sequestration over cells valid in both, exactly.

    Sequestration is ``Σ_ij A_ij (d_j - d_i)`` with ``A_ij`` the area going from class i
    to class j: one class-pair bincount gives both maps' class areas and the change.
    Tables of more than :data:`MAX_PAIR_CLASSES` classes fall back to two class passes
    and the sum of the per-cell change map.
    """
    current, future = categorical(current, "current"), categorical(future, "future")
    check_same_grid(current, future)
    index = ClassIndex.of(pools.codes, pools.source)
    n = len(index.codes)
    if n > MAX_PAIR_CLASSES:
        change = sequestration_map(current, future, pools, per_cell_units=True)
        seq = fixed_total(change)
        return ChangeTotals(storage_totals(current, pools), storage_totals(future, pools), seq)
    counts, area = index.pair_table(current, future, (map_label(current), map_label(future)))
    return _change_totals(pools, counts, area)


def array_change_totals(
    current: np.ndarray,
    future: np.ndarray,
    grid: Grid,
    pools: ClassTable,
    labels: tuple[str, str],
) -> ChangeTotals:
    """:func:`change_totals` of two in-memory class maps on ``grid`` (int32 codes;
    ``labels`` name them in messages), no xarray. Tables of more than
    :data:`MAX_PAIR_CLASSES` classes are refused (ValueError): :func:`change_totals` on
    DataArrays handles them."""
    index = ClassIndex.of(pools.codes, pools.source)
    if len(index.codes) > MAX_PAIR_CLASSES:
        raise ValueError(f"{pools.source}: over {MAX_PAIR_CLASSES} classes: use change_totals")
    counts, area = index.array_pair_table(current, future, grid.row_area_ha(), labels)
    return _change_totals(pools, counts, area)


def _change_totals(pools: ClassTable, counts: np.ndarray, area: np.ndarray) -> ChangeTotals:
    """Both maps' totals and the sequestration from their pair table (counts and areas)."""
    n = len(pools.codes)
    density = pool_density(pools)
    both = area[:n, :n]
    seq = float(both.sum(axis=0) @ density - both.sum(axis=1) @ density)
    current_totals = _totals(pools, counts[:n].sum(axis=1), area[:n].sum(axis=1))
    future_totals = _totals(pools, counts[:, :n].sum(axis=0), area[:, :n].sum(axis=0))
    return ChangeTotals(current_totals, future_totals, seq)


def sequestration_array(
    current: np.ndarray,
    future: np.ndarray,
    grid: Grid,
    pools: ClassTable,
    *,
    per_cell_units: bool = False,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """:func:`sequestration_map` (unchecked) of two in-memory class maps on ``grid`` as a
    numpy array: the same values, no xarray."""
    index = ClassIndex.of(pools.codes, pools.source)
    area = grid.cell_area_ha() if per_cell_units else None
    return index.change_array(current, future, pool_density(pools), dtype=dtype, area=area)


def check_same_grid(current: xr.DataArray, future: xr.DataArray) -> None:
    """Raise AlignmentError naming the difference when two maps' grids differ."""
    require_same_grid(
        Grid.from_dataarray(current),
        Grid.from_dataarray(future),
        (map_label(current), map_label(future)),
    )


def require_same_grid(current: Grid, future: Grid, labels: tuple[str, str]) -> None:
    """:func:`check_same_grid` of two grids, ``labels`` naming their maps."""
    diff = current.difference(future)
    if diff:
        raise AlignmentError(
            f"{labels[1]} is not on the grid of {labels[0]}: {diff}; "
            f"warp it onto that grid (gdalwarp -tr/-te/-t_srs)"
        )


def check_all_same_grid(first: xr.DataArray, *others: xr.DataArray) -> None:
    """:func:`check_same_grid` of every one of ``others`` against ``first``.

    Per-cell steps combine raw blocks, so rasters on different grids (or shapes that
    numpy would broadcast) must be refused before any arithmetic.
    """
    for other in others:
        check_same_grid(first, other)


def as_co2(t_c: float | np.ndarray | pd.Series) -> float | np.ndarray | pd.Series:
    """t C to t CO2 (x 44/12), for reporting only."""
    return t_c * T_CO2_PER_T_C
