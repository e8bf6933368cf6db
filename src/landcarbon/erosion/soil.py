"""Soil erodibility K (t ha h ha⁻¹ MJ⁻¹ mm⁻¹) from texture and organic carbon, or by soil type.

EPIC (Williams 1990; Sharpley & Williams 1990)::

    K_EPIC = {0.2 + 0.3 exp[-0.0256 SAN (1 - SIL/100)]} · [SIL/(CLA + SIL)]^0.3
             · {1 - 0.25 C / [C + exp(3.72 - 2.95 C)]}
             · {1 - 0.7 SN1 / [SN1 + exp(-5.51 + 22.9 SN1)]}

SAN, SIL, CLA: sand, silt, clay (% by mass, USDA limits); C: organic carbon (%);
SN1 = 1 - SAN/100. K_EPIC is in US units (t ac h / (100 ac ft tonf in)); × 0.1317
gives SI. Chinese studies apply Zhang et al.'s (2007) correction against measured plot
K, ``K = (-0.01383 + 0.51575 K_EPIC) × 0.1317`` (the default here, METHODS.md §7).
The regression's intercept makes it negative for K_EPIC < 0.0268 (silt-free sandy
soils, where ``[SIL/(CLA + SIL)]^0.3`` is 0); K is floored at 0 there, since a
negative erodibility would turn soil loss negative. Where SIL = CLA = 0 (pure sand)
the EPIC equation is undefined and K is NaN.

References
----------
Sharpley, A. N., Williams, J. R. (1990). *EPIC - Erosion/Productivity Impact Calculator:
1. Model documentation.* USDA Technical Bulletin 1768.
Zhang, K., Shu, A., Xu, X., Yang, Q., Yu, B. (2008). Soil erodibility and its estimation for
agricultural soils in China. *J. Arid Environ.* 72(6), 1002-1011
(https://doi.org/10.1016/j.jaridenv.2007.11.018); Chinese version: Zhang, K. et al. (2007)
*Acta Pedologica Sinica* 44(1), 7-13.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

from landcarbon.arrays import categorical
from landcarbon.backend import map_cells
from landcarbon.errors import ParameterError
from landcarbon.tables import ClassTable

US_TO_SI_ERODIBILITY = 0.1317
"""t ac h/(100 ac ft tonf in) → t ha h ha⁻¹ MJ⁻¹ mm⁻¹ (Renard et al. 1997)."""

TEXTURE_SUM_TOLERANCE_PCT = 2.0
"""Sand + silt + clay may differ from 100 % by this much (rounding in soil databases)."""


def k_epic_us(sand: np.ndarray, silt: np.ndarray, clay: np.ndarray, oc: np.ndarray) -> np.ndarray:
    """EPIC K in US units from sand, silt, clay and organic carbon (all in %)."""
    sn1 = 1.0 - sand / 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        f_csand = 0.2 + 0.3 * np.exp(-0.0256 * sand * (1.0 - silt / 100.0))
        f_clsi = (silt / (clay + silt)) ** 0.3
        f_orgc = 1.0 - 0.25 * oc / (oc + np.exp(3.72 - 2.95 * oc))
        f_hisand = 1.0 - 0.7 * sn1 / (sn1 + np.exp(-5.51 + 22.9 * sn1))
    return f_csand * f_clsi * f_orgc * f_hisand  # type: ignore[no-any-return]


def _k_si(
    sand: np.ndarray, silt: np.ndarray, clay: np.ndarray, oc: np.ndarray, corrected: bool
) -> np.ndarray:
    k = k_epic_us(sand, silt, clay, oc)
    if corrected:
        k = np.maximum(-0.01383 + 0.51575 * k, 0.0)  # NaN stays NaN
    return k * US_TO_SI_ERODIBILITY  # type: ignore[no-any-return]


def k_factor_epic(
    sand_pct: xr.DataArray,
    silt_pct: xr.DataArray,
    clay_pct: xr.DataArray,
    organic_carbon_pct: xr.DataArray,
    *,
    correction: Literal["zhang2007", "none"] = "zhang2007",
) -> xr.DataArray:
    """K (SI) per cell from texture and organic carbon rasters with the EPIC equation.

    Parameters
    ----------
    sand_pct, silt_pct, clay_pct : DataArray, % by mass (USDA fractions), summing to
        100 ± 2 on every cell.
    organic_carbon_pct : DataArray, organic carbon in % (organic matter × 0.58).
    correction : ``"zhang2007"`` (default) applies ``-0.01383 + 0.51575 K_EPIC``
        (floored at 0) before the × 0.1317 conversion; ``"none"`` gives the plain EPIC
        K in SI.

    Returns
    -------
    DataArray, K in t ha h ha⁻¹ MJ⁻¹ mm⁻¹. Per-cell, lazy on dask (the range checks
    are chunked reductions).
    """
    if correction not in ("zhang2007", "none"):
        raise ParameterError(
            f"K correction {correction!r} is unknown; select from ['zhang2007', 'none']"
        )
    _check_texture(sand_pct, silt_pct, clay_pct, organic_carbon_pct)
    out = map_cells(
        _k_si,
        sand_pct,
        silt_pct,
        clay_pct,
        organic_carbon_pct,
        name="k_factor",
        corrected=correction == "zhang2007",
    )
    out.attrs["units"] = "t ha h ha-1 MJ-1 mm-1"
    return out


def _check_texture(
    sand: xr.DataArray, silt: xr.DataArray, clay: xr.DataArray, oc: xr.DataArray
) -> None:
    import dask

    total = sand + silt + clay
    off = abs(total - 100.0) > TEXTURE_SUM_TOLERANCE_PCT
    lo = xr.concat([sand.min(), silt.min(), clay.min(), oc.min()], "v")
    n_off, worst, lo_v, oc_max = dask.compute(off.sum(), total.max(), lo, oc.max())
    if int(n_off):
        raise ParameterError(
            f"sand + silt + clay differ from 100 % by more than {TEXTURE_SUM_TOLERANCE_PCT:g} "
            f"on {int(n_off)} cells (largest sum {float(worst):g}); give percentages of the "
            f"fine earth (USDA sand/silt/clay), not fractions or g/kg"
        )
    if float(np.nanmin(np.asarray(lo_v))) < 0:
        raise ParameterError("texture or organic carbon has negative values; mask nodata first")
    if float(oc_max) > 60:
        raise ParameterError(
            f"organic carbon reaches {float(oc_max):g}, implausible in %; values in g/kg must "
            f"be divided by 10 (organic matter: × 0.58 first)"
        )


def k_factor_from_table(soil: xr.DataArray, table: ClassTable, column: str = "k") -> xr.DataArray:
    """K per cell from a soil-type map and a table of K by soil code (SI units).

    A soil code present in the map but absent from the table raises TableError listing
    each missing code with its cell count. Nodata cells give NaN. Lazy on dask.
    """
    soil = categorical(soil, "the soil map")
    out = table.reclassify(soil, column, name="k_factor", map_name="the soil map")
    out.attrs["units"] = "t ha h ha-1 MJ-1 mm-1"
    return out
