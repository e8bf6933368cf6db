"""Biological (B), engineering (E) and tillage (T) factors of the CSLE (all dimensionless).

* **B** from vegetation cover (Cai et al. 2000), for the land-use classes whose table
  row says ``b_from_cover = 1`` when a cover map is given; otherwise the table's ``b``
  by land-use code. On cropland B = 1 and T carries the crop effect (METHODS.md §7).
* **E** and **T** by land-use code from the table (``e``, ``t`` columns).
* RUSLE's C and P go in the same slots: C as B, P as E, with T = 1.

Cai et al. (2000)::

    B = 1                          f = 0
    B = 0.6508 - 0.3436 lg f       0 < f < 78.3 %
    B = 0                          f ≥ 78.3 %

with f the vegetation fraction in %. The formula exceeds 1 below f ≈ 0.1 %; B is
clipped to 1 there so it stays a ratio to bare fallow.

References
----------
Cai, C., Ding, S., Shi, Z., Huang, L., Zhang, G. (2000). Study of applying USLE and
geographical information system IDRISI to predict soil erosion in small watershed.
*Journal of Soil and Water Conservation* 14(2), 19-24.
Gutman, G., Ignatov, A. (1998). The derivation of the green vegetation fraction from
NOAA/AVHRR data for use in numerical weather prediction models. *Int. J. Remote Sens.*
19(8), 1533-1543. https://doi.org/10.1080/014311698215333
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from landcarbon.arrays import categorical
from landcarbon.backend import map_cells
from landcarbon.errors import ParameterError
from landcarbon.tables import ClassTable, lookup_codes

LAND_USE_MAP = "the land-use map"

FULL_COVER_PCT = 78.3
"""Vegetation fraction (%) at and above which Cai et al.'s B is 0."""


def _b_cai(f: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        b = np.minimum(0.6508 - 0.3436 * np.log10(f), 1.0)
    return np.where(f >= FULL_COVER_PCT, 0.0, np.where(f <= 0, 1.0, b))


def b_factor_from_cover(cover_pct: xr.DataArray) -> xr.DataArray:
    """B (dimensionless, 0-1) from vegetation fraction f (%) with Cai et al. (2000); lazy.

    Refuses fractions given as 0-1 ratios (all values ≤ 1) or outside 0-100 %.
    """
    import dask

    lo, hi = dask.compute(cover_pct.min(), cover_pct.max())
    if float(lo) < 0 or float(hi) > 100:
        raise ParameterError(
            f"vegetation cover must be a percentage in 0-100; found {float(lo):g} to "
            f"{float(hi):g}; mask nodata or rescale"
        )
    if float(hi) <= 1:
        raise ParameterError(
            f"vegetation cover looks like a 0-1 fraction (max {float(hi):g}), not %; "
            f"multiply by 100"
        )
    out = map_cells(_b_cai, cover_pct, name="b_factor")
    out.attrs["units"] = "1"
    return out


def _dimidiate(ndvi: np.ndarray, soil: float, veg: float) -> np.ndarray:
    return 100.0 * np.clip((ndvi - soil) / (veg - soil), 0.0, 1.0)  # type: ignore[no-any-return]


def vegetation_fraction(ndvi: xr.DataArray, ndvi_soil: float, ndvi_veg: float) -> xr.DataArray:
    """Vegetation fraction (%) by the dimidiate pixel model (Gutman & Ignatov 1998).

    ``f = (NDVI - NDVI_soil) / (NDVI_veg - NDVI_soil)`` clipped to [0, 1], × 100. The
    bare-soil and full-cover NDVI are explicit (often the 5 % and 95 % percentiles of
    the study area's NDVI); there is no hidden default.
    """
    if not ndvi_veg > ndvi_soil:
        raise ParameterError(f"ndvi_veg ({ndvi_veg}) must be greater than ndvi_soil ({ndvi_soil})")
    out = map_cells(_dimidiate, ndvi, name="vegetation_fraction", soil=ndvi_soil, veg=ndvi_veg)
    out.attrs["units"] = "%"
    return out


def _choose(use_cover: np.ndarray, from_cover: np.ndarray, from_table: np.ndarray) -> np.ndarray:
    return np.where(use_cover > 0, from_cover, from_table)  # type: ignore[no-any-return]


def _column(lulc: xr.DataArray, table: ClassTable, column: str, name: str) -> xr.DataArray:
    """Table values by code, per cell, for a map whose codes were checked already."""
    values = table.column(column).to_numpy(dtype=np.float64)
    out = map_cells(lookup_codes, lulc, codes=table.codes, values=values, name=name)
    out.attrs["units"] = "1"
    return out


def _b_layer(lulc: xr.DataArray, table: ClassTable, cover_pct: xr.DataArray | None) -> xr.DataArray:
    by_class = _column(lulc, table, "b", "b_factor")
    if cover_pct is None or "b_from_cover" not in table.frame:
        return by_class
    use_cover = _column(lulc, table, "b_from_cover", "b_from_cover")
    out = map_cells(_choose, use_cover, b_factor_from_cover(cover_pct), by_class, name="b_factor")
    out.attrs["units"] = "1"
    return out


def b_factor(
    lulc: xr.DataArray, table: ClassTable, cover_pct: xr.DataArray | None = None
) -> xr.DataArray:
    """B (dimensionless, 0-1) per cell from land use, and from cover where the table says so.

    ``table`` needs a ``b`` column (B by land-use code); an optional ``b_from_cover``
    column (1/0) marks the classes whose B comes from ``cover_pct`` with Cai et al.
    (2000) when a cover map is given. Missing land-use codes raise TableError.
    """
    lulc = categorical(lulc, LAND_USE_MAP)
    table.check_codes(lulc, LAND_USE_MAP)
    return _b_layer(lulc, table, cover_pct)


def land_use_factors(
    lulc: xr.DataArray, table: ClassTable, cover_pct: xr.DataArray | None = None
) -> dict[str, xr.DataArray]:
    """B, E and T per cell (keys ``b``, ``e``, ``t``; dimensionless, 0-1), codes checked once."""
    lulc = categorical(lulc, LAND_USE_MAP)
    table.check_codes(lulc, LAND_USE_MAP)
    return {
        "b": _b_layer(lulc, table, cover_pct),
        "e": _column(lulc, table, "e", "e_factor"),
        "t": _column(lulc, table, "t", "t_factor"),
    }


def practice_factor(lulc: xr.DataArray, table: ClassTable, column: str) -> xr.DataArray:
    """E (``column="e"``) or T (``column="t"``), dimensionless 0-1, per cell; lazy."""
    if column not in ("e", "t"):
        raise ParameterError(f"practice factor column {column!r} is unknown; select 'e' or 't'")
    lulc = categorical(lulc, LAND_USE_MAP)
    table.check_codes(lulc, LAND_USE_MAP)
    return _column(lulc, table, column, f"{column}_factor")
