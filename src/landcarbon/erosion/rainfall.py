"""Rainfall erosivity R (MJ mm ha⁻¹ h⁻¹ a⁻¹) from daily, monthly or annual precipitation.

Variants (METHODS.md §7; the Chinese formulas):

============  =========================================================  ===============
input         formula                                                    source
============  =========================================================  ===============
daily         ``R = α Σ D^β / years`` over days D ≥ 12 mm (half-month    Zhang, Xie & Liu
(default)     sums, summed per year, averaged); ``β = 0.8363 +           2002
              18.144/P_d12 + 24.455/P_y12``, ``α = 21.586 β^-7.1891``
daily         ``R = Σ α_s P_d^1.7265 / years`` over days ≥ 10 mm,        Xie et al. 2016
``xie2016``   α_s 0.3937 (May-Sep) / 0.3101 (other months)               (unverified)
monthly       ``R = 17.02 × Σ 1.735·10^(1.5 lg(p_i²/P) - 0.8188)``        Wischmeier &
(default)     (US units × 17.02 → SI)                                    Smith 1978;
                                                                         Arnoldus 1977
monthly       ``R = Σ 1.735·10^(1.5 lg(p_i²/P) - 0.08188)`` read as SI,   as quoted in
``wischmeier  no conversion: 1/3.12 of the default (to reproduce papers  many papers
_si``         that used it; see below)
monthly       ``R = 0.1833 F^1.9957``, ``F = Σ p_i²/P``                  Zhang & Fu 2003
``fournier``                                                             (unverified)
annual        ``R = 0.0534 P^1.6548``                                    Zhang & Fu 2003
============  =========================================================  ===============

The monthly power law of Zhang & Fu (2003) is not offered: its commonly quoted
coefficients are unconfirmed and give about a twentieth of the annual model's R
(METHODS.md §7). The variants marked unverified are not defaults.

**Units chain of the monthly default.** p_i and P in mm give R in the US customary unit
of the USLE, hundreds of ft·tonf·in·ac⁻¹·h⁻¹·a⁻¹; × 17.02 (Foster et al. 1981; Renard
et al. 1997) gives MJ mm ha⁻¹ h⁻¹ a⁻¹. The SI-quoted form with -0.08188 differs by
``10^(0.8188 - 0.08188) / 17.02 = 5.457 / 17.02``: it gives 1/3.12 of this. No unit
conversion is a factor 10^0.737 = 5.457, so it is read as a misplaced decimal point. The
primary texts were not at hand; the reading is settled on measured R instead: against
Renard & Freimund's (1994) regressions of measured R on annual precipitation (US
stations) and Zhang & Fu's (2003) annual model (China), the default is the closer
reading for every climate tested, the SI-quoted form 2.0-15x short (docs/erosion.md).

All precipitation is in **millimetres**. :func:`check_precipitation_units` refuses
maps whose totals are implausible in mm (metres, or the 0.1 mm units of Peng et al.'s
China datasets) and says how to convert them; every R function calls it.

References
----------
Zhang, W., Xie, Y., Liu, B. (2002). Rainfall erosivity estimation using daily rainfall
amounts. *Scientia Geographica Sinica* 22(6), 705-711.
Zhang, W., Fu, J. (2003). Rainfall erosivity estimation under different rainfall amount.
*Resources Science* 25(1), 35-41.
Xie, Y., Yin, S., Liu, B., Nearing, M. A., Zhao, Y. (2016). Models for estimating daily
rainfall erosivity in China. *J. Hydrol.* 535, 547-558.
https://doi.org/10.1016/j.jhydrol.2016.02.020
Wischmeier, W. H., Smith, D. D. (1978). *Predicting rainfall erosion losses.* USDA
Agriculture Handbook 537.
Arnoldus, H. M. J. (1977). Methodology used to determine the maximum potential average
annual soil loss due to sheet and rill erosion in Morocco. *FAO Soils Bulletin* 34, 39-51.
Foster, G. R., McCool, D. K., Renard, K. G., Moldenhauer, W. C. (1981). Conversion of the
universal soil loss equation to SI metric units. *J. Soil Water Conserv.* 36(6), 355-359.
Renard, K. G., Freimund, J. R. (1994). Using monthly precipitation data to estimate the
R-factor in the revised USLE. *J. Hydrol.* 157, 287-306.
https://doi.org/10.1016/0022-1694(94)90110-4
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr

from landcarbon.backend import map_cells
from landcarbon.errors import ParameterError

US_TO_SI_EROSIVITY = 17.02
"""hundreds of ft·tonf·in/(ac·h·a) → MJ mm ha⁻¹ h⁻¹ a⁻¹ (Renard et al. 1997)."""

PLAUSIBLE_ANNUAL_MM = (10.0, 30_000.0)
"""Annual totals outside this range (wettest cell) are taken as a unit error (world
record about 26 000 mm; below 10 mm/yr everywhere the map is almost surely in metres)."""

PLAUSIBLE_MAX_MM = {"day": 2_000.0, "month": 10_000.0, "year": 30_000.0}
"""Largest plausible single value per time step (records: 1 825 mm/day, 9 300 mm/month)."""

Period = Literal["day", "month", "year"]
MonthlyVariant = Literal["wischmeier", "wischmeier_si", "fournier"]
DailyVariant = Literal["zhang2002", "xie2016"]
MONTHLY_VARIANTS: tuple[MonthlyVariant, ...] = ("wischmeier", "wischmeier_si", "fournier")
DAILY_VARIANTS: tuple[DailyVariant, ...] = ("zhang2002", "xie2016")

WISCHMEIER_EXPONENT_US = -0.8188
"""Constant of the Wischmeier-Arnoldus exponent, R in US units (× 17.02 to SI)."""

WISCHMEIER_EXPONENT_SI_QUOTED = -0.08188
"""The same constant as often quoted with R read directly as SI (1/3.12 of the default)."""


@dataclass(frozen=True)
class ErosivityModel:
    """Which R formula each form of precipitation takes (:func:`r_factor`).

    ``monthly``: ``"wischmeier"`` (default), ``"wischmeier_si"`` or ``"fournier"``
    (:func:`r_factor_monthly`); ``daily``: ``"zhang2002"`` (default) or ``"xie2016"``
    (:func:`r_factor_daily`). Annual totals have one formula (Zhang & Fu 2003).
    """

    monthly: MonthlyVariant = "wischmeier"
    daily: DailyVariant = "zhang2002"

    def __post_init__(self) -> None:
        # checked here, not only when that form of precipitation comes: a misspelt
        # variant is refused even when the run's precipitation takes another form
        for form, value, allowed in (
            ("monthly", self.monthly, MONTHLY_VARIANTS),
            ("daily", self.daily, DAILY_VARIANTS),
        ):
            if value not in allowed:
                raise ParameterError(
                    f"{form} R variant {value!r} is unknown (CLI --r-{form}, study file "
                    f"[erosion] r_{form}); select from {list(allowed)}"
                )


def _input_name(precip: xr.DataArray) -> str:
    """The file a precipitation raster was read from, else its name, for messages."""
    return str(precip.attrs.get("source_path") or precip.name or "precipitation")


def check_precipitation_units(precip: xr.DataArray, period: Period, name: str) -> None:
    """Raise ParameterError when ``precip`` (mm per ``period``) is implausible in millimetres.

    Checks negative values (undecoded nodata), values above the world records (0.1 mm
    units or mm x 1000) and a wettest-cell annual total under 10 mm (metres).
    ``name`` names the input in the message.
    """
    import dask

    steps_per_year = {"day": 365.25, "month": 12.0, "year": 1.0}[period]
    lead = str(precip.dims[0]) if precip.ndim == 3 else None
    mean_step = precip.mean(lead) if lead else precip
    lo, hi, wettest = dask.compute(precip.min(), precip.max(), mean_step.max())
    lo, hi = float(lo), float(hi)
    annual = float(wettest) * steps_per_year
    if lo < 0:
        raise ParameterError(
            f"{name}: precipitation has negative values (min {lo:g}); set the raster's "
            f"nodata value so missing cells are masked, or clip them to 0"
        )
    if hi > PLAUSIBLE_MAX_MM[period] or annual > PLAUSIBLE_ANNUAL_MM[1]:
        raise ParameterError(
            f"{name}: precipitation is implausible in millimetres per {period}: the largest "
            f"value is {hi:g} and the wettest cell gets {annual:g} per year (records: "
            f"{PLAUSIBLE_MAX_MM[period]:g} mm per {period}, 26 000 mm per year); values in "
            f"0.1 mm (Peng et al. 2019 China datasets) must be divided by 10"
        )
    if annual < PLAUSIBLE_ANNUAL_MM[0]:
        raise ParameterError(
            f"{name}: precipitation looks like metres, not millimetres: the wettest cell "
            f"gets {annual:g} per year (plausible annual totals are "
            f"{PLAUSIBLE_ANNUAL_MM[0]:g}-{PLAUSIBLE_ANNUAL_MM[1]:g} mm); multiply by 1000, "
            f'e.g. `gdal_calc.py -A IN.tif --calc="A*1000" --outfile OUT.tif` (a '
            f"truly hyper-arid map can skip this check only from Python, with "
            f"check_units=False)"
        )


def _annual(p: np.ndarray) -> np.ndarray:
    return 0.0534 * p**1.6548  # type: ignore[no-any-return]


def r_factor_annual(precip_mm: xr.DataArray, *, check_units: bool = True) -> xr.DataArray:
    """R from mean annual precipitation P (mm): ``R = 0.0534 P^1.6548`` (Zhang & Fu 2003).

    Returns MJ mm ha⁻¹ h⁻¹ a⁻¹ per cell (NaN where P is NaN). Per-cell, lazy on dask.
    """
    if check_units:
        check_precipitation_units(precip_mm, "year", _input_name(precip_mm))
    out = map_cells(_annual, precip_mm, name="r_factor")
    out.attrs["units"] = "MJ mm ha-1 h-1 a-1"
    return out


def _wischmeier_arnoldus(
    total: np.ndarray, sum_ratio_15: np.ndarray, constant: float, to_si: float
) -> np.ndarray:
    # 10^(1.5 lg x + c) = x^1.5 · 10^c
    r = to_si * 1.735 * 10.0**constant * sum_ratio_15
    return np.where(total > 0, r, np.where(total == 0, 0.0, np.nan))


def _fournier(total: np.ndarray, sum_ratio: np.ndarray) -> np.ndarray:
    return np.where(  # type: ignore[no-any-return]
        total > 0, 0.1833 * sum_ratio**1.9957, np.where(total == 0, 0.0, np.nan)
    )


def r_factor_monthly(
    monthly_mm: xr.DataArray,
    *,
    variant: MonthlyVariant = "wischmeier",
    check_units: bool = True,
) -> xr.DataArray:
    """R from the 12 mean monthly precipitation totals p_i (mm) of a climatology.

    ``monthly_mm`` has dims ``(month, y, x)`` (any name for the first dim, length 12).
    ``variant="wischmeier"`` (default): Wischmeier & Smith (1978) / Arnoldus (1977)
    ``Σ 1.735·10^(1.5 lg(p_i²/P) - 0.8188)`` converted from US units with × 17.02.
    ``variant="wischmeier_si"``: the form quoted with ``-0.08188`` and read as SI, no
    conversion (1/3.12 of the default; to reproduce papers that used it).
    ``variant="fournier"``: ``0.1833 F^1.9957`` with the modified Fournier index
    ``F = Σ p_i²/P`` (Zhang & Fu 2003; coefficients unverified against the paper).
    Returns MJ mm ha⁻¹ h⁻¹ a⁻¹; 0 where P = 0. Lazy on dask.
    """
    if monthly_mm.ndim != 3 or monthly_mm.shape[0] != 12:
        raise ParameterError(
            f"monthly precipitation must have 12 bands (months) in front of (y, x); got "
            f"dims {monthly_mm.dims} with shape {monthly_mm.shape}"
        )
    if variant not in MONTHLY_VARIANTS:
        raise ParameterError(
            f"monthly R variant {variant!r} is unknown; select from {list(MONTHLY_VARIANTS)}"
        )
    if check_units:
        check_precipitation_units(monthly_mm, "month", _input_name(monthly_mm))
    month = str(monthly_mm.dims[0])
    total = monthly_mm.sum(month, skipna=False)
    ratio = (monthly_mm**2) / total.where(total > 0)
    if variant != "fournier":
        us = variant == "wischmeier"
        out = map_cells(
            _wischmeier_arnoldus,
            total,
            (ratio**1.5).sum(month),
            name="r_factor",
            constant=WISCHMEIER_EXPONENT_US if us else WISCHMEIER_EXPONENT_SI_QUOTED,
            to_si=US_TO_SI_EROSIVITY if us else 1.0,
        )
    else:
        out = map_cells(_fournier, total, ratio.sum(month), name="r_factor")
    out.attrs["units"] = "MJ mm ha-1 h-1 a-1"
    return out


def _years_of(daily: xr.DataArray) -> int:
    if "time" not in daily.dims or daily.dims[0] != "time":
        raise ParameterError(
            f"daily precipitation needs a leading 'time' dimension with dates; got dims "
            f"{daily.dims}"
        )
    years = daily["time"].dt.year.to_numpy()
    uniq, counts = np.unique(years, return_counts=True)
    short = [f"{y} ({c} days)" for y, c in zip(uniq, counts, strict=True) if c < 365]
    if short:
        raise ParameterError(
            f"daily precipitation must cover whole calendar years; incomplete: "
            f"{', '.join(short)}; trim the series to complete years"
        )
    return int(uniq.size)


def _erosive(daily: xr.DataArray, threshold_mm: float) -> xr.DataArray:
    """Daily rain on erosive days, 0 on other days, NaN kept."""
    return daily.where((daily >= threshold_mm) | daily.isnull(), 0.0)


def _zhang_beta(s12: np.ndarray, n12: np.ndarray, years: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        pd12 = s12 / n12
        py12 = s12 / years
        return 0.8363 + 18.144 / pd12 + 24.455 / py12  # type: ignore[no-any-return]


def r_factor_daily(
    daily_mm: xr.DataArray,
    *,
    variant: DailyVariant = "zhang2002",
    check_units: bool = True,
) -> xr.DataArray:
    """Mean annual R from a daily precipitation series (mm/day), dims ``(time, y, x)``.

    ``variant="zhang2002"`` (default, Zhang, Xie & Liu 2002): erosive days D ≥ 12 mm;
    ``R = α Σ D^β / years`` with ``β = 0.8363 + 18.144/P_d12 + 24.455/P_y12`` and
    ``α = 21.586 β^-7.1891``, where P_d12 is the cell's mean erosive-day rain (mm) and
    P_y12 its mean annual erosive rain (mm). Summing the 24 half-month sums of each
    year and averaging over years equals the sum over all days divided by the years.
    ``variant="xie2016"`` (Xie et al. 2016, unverified): days ≥ 10 mm,
    ``α_s P_d^1.7265`` with α 0.3937 May-Sep and 0.3101 otherwise.
    The series must cover whole calendar years. Cells with no erosive day get R = 0.
    """
    if variant not in DAILY_VARIANTS:
        raise ParameterError(
            f"daily R variant {variant!r} is unknown; select from {list(DAILY_VARIANTS)}"
        )
    years = _years_of(daily_mm)
    if check_units:
        check_precipitation_units(daily_mm, "day", _input_name(daily_mm))
    if variant == "xie2016":
        erosive = _erosive(daily_mm, 10.0)
        month = daily_mm["time"].dt.month
        alpha = xr.where((month >= 5) & (month <= 9), 0.3937, 0.3101)
        total = (alpha * erosive**1.7265).sum("time", skipna=False) / years
        out = total.rename("r_factor")
    else:
        erosive = _erosive(daily_mm, 12.0)
        s12 = erosive.sum("time", skipna=False)
        n12 = (daily_mm >= 12.0).sum("time")
        beta = map_cells(_zhang_beta, s12, n12, name="beta", years=float(years))
        sum_pow = (erosive ** beta.fillna(1.0)).sum("time", skipna=False)
        out = map_cells(_zhang_r, beta, sum_pow, n12, name="r_factor", years=float(years))
    out.attrs["units"] = "MJ mm ha-1 h-1 a-1"
    return out


def _zhang_r(beta: np.ndarray, sum_pow: np.ndarray, n12: np.ndarray, years: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        alpha = 21.586 * beta**-7.1891
    r = alpha * sum_pow / years
    return np.where(n12 > 0, r, np.where(np.isnan(sum_pow), np.nan, 0.0))


def r_factor(
    precip_mm: xr.DataArray, model: ErosivityModel | None = None, *, check_units: bool = True
) -> xr.DataArray:
    """R from precipitation in whichever form it comes, with ``model``'s formula for that
    form (default :class:`ErosivityModel`: each form's default).

    2-D ``(y, x)``: mean annual totals (:func:`r_factor_annual`); 3-D with 12 steps in
    front, whatever the dimension's name (``band`` of a GeoTIFF, ``time`` of a NetCDF
    climatology): a monthly climatology (:func:`r_factor_monthly`, Wischmeier/Arnoldus);
    other 3-D arrays with a ``time`` dimension: a daily series (:func:`r_factor_daily`,
    Zhang et al. 2002, whole years, so never 12 steps). A single-band 3-D array is read
    as annual totals. All in mm; R in MJ mm ha⁻¹ h⁻¹ a⁻¹.
    """
    if precip_mm.ndim == 2:
        return r_factor_annual(precip_mm, check_units=check_units)
    model = model or ErosivityModel()
    if precip_mm.ndim == 3 and precip_mm.shape[0] == 12:
        return r_factor_monthly(precip_mm, variant=model.monthly, check_units=check_units)
    if precip_mm.ndim == 3 and precip_mm.dims[0] == "time":
        return r_factor_daily(precip_mm, variant=model.daily, check_units=check_units)
    if precip_mm.ndim == 3 and precip_mm.shape[0] == 1:
        return r_factor_annual(precip_mm[0], check_units=check_units)
    raise ParameterError(
        f"precipitation must be one band (annual mm), 12 bands (monthly mm) or a daily "
        f"series with a 'time' dimension; got dims {precip_mm.dims} with shape "
        f"{precip_mm.shape}"
    )
