"""Energy (IPCC) carbon emissions and their allocation to cells by a weight raster.

Energy emissions: ``E = Σ_f E_f · SC_f · CF_f`` (t C), with ``E_f`` the consumption of
fuel f (t, or 1000 m³ of gas), ``SC_f`` its standard-coal factor (tce per unit) and
``CF_f`` its carbon factor (t C/tce). Fuel factors ship as the ``energy_ipcc`` preset.

Allocation (the province carbon-balance study's population-density method; night-time
lights alike): ``E_g = E_r · W_g / Σ_{g∈r} W_g`` for each cell g of region r, with W a
population-density or night-light raster, optionally masked (e.g. to built-up cells).
The regional totals are conserved exactly (to float64 rounding). A region whose weights
are all zero is an error, or, with ``zero_weight="area"``, gets an equal share per ha.

References
----------
IPCC (2006). Guidelines for National Greenhouse Gas Inventories, Vol. 2 (Energy),
Table 1.3. GB/T 2589-2008, General principles for calculation of the comprehensive
energy consumption. The province carbon-balance study (Henan; shared/studies/004).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from landcarbon.backend import chunked_bincount, map_cells
from landcarbon.carbon.classes import ClassIndex, cell_area_map, map_label
from landcarbon.carbon.presets import load_preset
from landcarbon.carbon.storage import check_same_grid
from landcarbon.errors import ParameterError, RasterError, TableError
from landcarbon.raster import CLASS_NODATA
from landcarbon.tables import ClassTable

if TYPE_CHECKING:
    import xarray as xr

FUEL_COLUMNS = ("sc_tce_per_unit", "cf_t_c_per_tce")


def fuel_factors(name: str = "ipcc") -> ClassTable:
    """Fuel factor preset ``emissions_energy_<name>.toml``: per fuel the standard-coal
    factor ``sc_tce_per_unit`` (tce per t; natural gas per 1000 m³) and the carbon
    factor ``cf_t_c_per_tce`` (t C/tce; ``cf_recomputed`` from the IPCC contents)."""
    return load_preset(
        "emissions", f"energy_{name}", required=FUEL_COLUMNS, nonnegative=FUEL_COLUMNS
    )


def energy_emissions(
    consumption: Mapping[str, float], fuels: ClassTable, cf_column: str = "cf_t_c_per_tce"
) -> pd.DataFrame:
    """Emissions per fuel: ``fuel, consumption, sc_tce_per_unit, cf, tce, emissions_t_c``.

    ``consumption`` maps fuel name (as in the table, case-insensitive) to the amount
    consumed in the table's unit. Unknown fuels and negative amounts raise errors.
    """
    by_name = {str(n).lower(): code for code, n in fuels.names().items()}
    unknown = [f for f in consumption if f.lower() not in by_name]
    if unknown:
        raise TableError(
            f"{fuels.source}: unknown fuel(s) {', '.join(unknown)}; known: {', '.join(by_name)}"
        )
    rows = []
    for fuel, amount in consumption.items():
        if not np.isfinite(amount) or amount < 0:
            raise ParameterError(f"consumption of {fuel} is {amount}; give an amount >= 0")
        code = by_name[fuel.lower()]
        sc = float(fuels.column("sc_tce_per_unit")[code])
        cf = float(fuels.column(cf_column)[code])
        rows.append(
            {
                "fuel": fuel,
                "consumption": amount,
                "sc_tce_per_unit": sc,
                "cf_t_c_per_tce": cf,
                "tce": amount * sc,
                "emissions_t_c": amount * sc * cf,
            }
        )
    return pd.DataFrame(rows)


def allocate_emissions(
    totals_t_c: float | Mapping[int, float],
    weights: xr.DataArray,
    zones: xr.DataArray | None = None,
    *,
    mask: xr.DataArray | None = None,
    zero_weight: Literal["error", "area"] = "error",
) -> xr.DataArray:
    """Allocate regional emission totals (t C) to cells in proportion to ``weights``.

    ``totals_t_c`` is one total for the whole map, or zone code -> total with ``zones`` a
    categorical map (counties, provinces). ``mask`` (nonzero = eligible) limits the
    cells that receive emissions. NaN weights and cells of zones without a total give
    NaN. Result in t C per cell; the sum over each zone equals its total. Lazy on dask
    (the zone sums of the weights are a chunked map-reduce).
    """
    whole_map = zones is None
    if zones is None:
        if isinstance(totals_t_c, Mapping):
            raise ParameterError("regional totals need a zone raster (zones=...)")
        zones = map_cells(_single_zone, weights, dtype=np.int32, name="zone")
        zones = zones.rio.write_nodata(int(CLASS_NODATA), encoded=False)
        totals = {0: float(totals_t_c)}
    else:
        if not isinstance(totals_t_c, Mapping):
            raise ParameterError(
                f"with a zone raster ({map_label(zones)}) give one total per zone, a mapping "
                f"zone code -> t C; for one total over the whole map leave zones out"
            )
        check_same_grid(weights, zones)
        totals = dict(totals_t_c)
    label = map_label(weights, "the weight raster")  # before masking renames it
    area = cell_area_map(weights)
    extra = [] if mask is None else [mask]
    if mask is not None:
        check_same_grid(weights, mask)
    eligible_area = map_cells(_eligible_area, weights, area, *extra, name="eligible_area")
    if mask is not None:
        weights = map_cells(_masked, weights, mask, name="weight")
    if float(weights.min(skipna=True).values) < 0:
        raise RasterError(
            f"{label}: has negative weights; population or night-light weights "
            f"must be >= 0 (set nodata for missing cells)"
        )
    index = ClassIndex.of(np.array(sorted(totals)), "the emission totals")
    amount = np.array([totals[int(c)] for c in index.codes], dtype=np.float64)
    bins = index.bins(zones)
    n = len(index.codes)
    weight_sum = chunked_bincount(bins, n + 1, weights=weights.fillna(0.0))[:n]
    present = chunked_bincount(bins, n + 1)[:n]
    absent = [int(c) for c, k in zip(index.codes, present, strict=True) if k == 0]
    if absent:
        raise RasterError(
            f"{map_label(zones)}: zone(s) {absent} have an emission total but no cells; "
            f"check the zone codes"
        )
    per_weight = np.divide(amount, weight_sum, out=np.zeros(n), where=weight_sum > 0)
    per_ha = np.zeros(n)
    empty = (weight_sum == 0) & (amount != 0)
    if empty.any():
        if zero_weight != "area":
            where = (
                "the weight raster is zero everywhere"
                if whole_map
                else f"every weight is zero in zone(s) {_codes(index.codes[empty])}"
            )
            raise RasterError(
                f"{label}: {where}, so the emissions cannot be allocated; check the "
                f"population / night-light raster (and the mask), or allocate by area "
                f"there (zero_weight = 'area'; CLI --zero-weight area)"
            )
        area_sum = chunked_bincount(bins, n + 1, weights=eligible_area.fillna(0.0))[:n]
        no_area = empty & (area_sum == 0)
        if no_area.any():
            where = (
                "no cell is eligible"
                if whole_map
                else f"zone(s) {_codes(index.codes[no_area])} have no eligible cell"
            )
            raise RasterError(
                f"{label}: {where} with data (every cell is masked out or has no weight "
                f"data), so the emissions cannot be allocated even by area; check the mask "
                f"and the weight raster"
            )
        per_ha[empty] = amount[empty] / area_sum[empty]
    out = map_cells(
        _share,
        zones,
        weights,
        eligible_area,
        name="energy_emissions_t_c",
        lo=index.lo,
        index_lut=index.index_lut,
        per_weight=np.append(per_weight, np.nan),
        per_ha=np.append(per_ha, np.nan),
    )
    out.attrs["units"] = "t C per cell"
    return out


def _codes(codes: np.ndarray) -> str:
    return ", ".join(str(int(c)) for c in codes)


def _single_zone(weights: np.ndarray) -> np.ndarray:
    return np.zeros(weights.shape, dtype=np.int32)


def _eligible_area(
    weights: np.ndarray, area: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray:
    ok = np.ones(weights.shape, dtype=bool) if mask is None else np.nan_to_num(mask) != 0
    return np.where(np.isnan(weights), np.nan, np.where(ok, area, 0.0))


def _masked(weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(np.nan_to_num(mask) != 0, weights, 0.0)


def _share(
    zones: np.ndarray,
    weights: np.ndarray,
    area: np.ndarray,
    lo: int,
    index_lut: np.ndarray,
    per_weight: np.ndarray,
    per_ha: np.ndarray,
) -> np.ndarray:
    from landcarbon.carbon._kernels import class_bins  # numba loads on first use

    bins = class_bins(zones, lo, index_lut, len(per_weight) - 1, int(CLASS_NODATA))
    row = np.where(bins < 0, len(per_weight) - 1, bins)
    return per_weight[row] * weights + per_ha[row] * area
