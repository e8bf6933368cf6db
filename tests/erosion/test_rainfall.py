"""R factor: the Chinese formulas against METHODS.md values and hand arithmetic; unit checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from landcarbon.erosion.rainfall import (
    ErosivityModel,
    r_factor,
    r_factor_annual,
    r_factor_daily,
    r_factor_monthly,
)
from landcarbon.errors import ParameterError
from landcarbon.testing import assert_backends_agree, make_raster


def _stack(values: np.ndarray, dim: str, coords=None) -> xr.DataArray:
    """(n, y, x) DataArray on make_raster's grid with ``values`` (n,) or (n, y, x)."""
    base = make_raster(np.zeros((2, 3)), name="precip")
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr[:, None, None], (arr.size, 2, 3)).copy()
    out = xr.concat([base.copy(data=a) for a in arr], dim=dim)
    if coords is not None:
        out = out.assign_coords({dim: coords})
    return out


def test_annual_zhang_fu_2003_value() -> None:
    # METHODS.md §7: the annual model gives 4 019 for 885 mm:
    # 0.0534 × 885^1.6548 = 0.0534 × exp(1.6548 × ln 885) = 0.0534 × 75 266.5 = 4 019.2
    got = r_factor_annual(make_raster(np.full((2, 2), 885.0), name="p"))
    np.testing.assert_allclose(got.values, 4019.0, atol=0.6)
    assert got.attrs["units"] == "MJ mm ha-1 h-1 a-1"


def test_annual_backends_agree_and_nodata() -> None:
    p = np.linspace(600, 2200, 35).reshape(5, 7)
    p[2, 3] = np.nan
    got = assert_backends_agree(r_factor_annual, make_raster(p, name="p"))
    assert np.isnan(got.values[2, 3])


def test_monthly_wischmeier_arnoldus_uniform_year() -> None:
    # 885 mm spread evenly: p_i = 73.75 mm, p_i²/P = 6.1458333;
    # R_US = Σ 1.735·10^(1.5·lg 6.1458333 − 0.8188) = 12 × 1.735 × 10^(1.18287 − 0.8188)
    #      = 12 × 1.735 × 10^0.36407 = 12 × 1.735 × 2.31244 = 48.145; R_SI = 17.02 × 48.145
    #      = 819.43
    monthly = _stack(np.full(12, 73.75), "band")
    expected = 17.02 * 12 * 1.735 * 10 ** (1.5 * np.log10(73.75**2 / 885.0) - 0.8188)
    got = r_factor_monthly(monthly)
    np.testing.assert_allclose(got.values, expected, rtol=1e-12)
    assert float(got[0, 0]) == pytest.approx(819.43, abs=0.01)


def test_monthly_fournier_hand_value_and_dry_cells() -> None:
    # F = Σ p_i²/P = 12 × 6.1458333 = 73.75; R = 0.1833 × 73.75^1.9957
    values = np.broadcast_to(np.full(12, 73.75)[:, None, None], (12, 2, 3)).copy()
    values[:, 0, 0] = 0.0  # a rainless cell: R = 0, not NaN
    got = r_factor_monthly(_stack(values, "band"), variant="fournier")
    assert float(got[1, 1]) == pytest.approx(0.1833 * 73.75**1.9957, rel=1e-12)
    assert float(got[0, 0]) == 0.0


def test_monthly_backends_agree() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(2))
    base = make_raster(np.zeros((6, 7)), name="precip")
    monthly = xr.concat([base.copy(data=rng.uniform(5, 300, (6, 7))) for _ in range(12)], "band")
    assert_backends_agree(r_factor_monthly, monthly)


def _daily(values_by_date: dict[str, float], years: list[int]) -> xr.DataArray:
    time = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-31", freq="D")
    series = np.zeros(time.size)
    for day, mm in values_by_date.items():
        series[time.get_loc(pd.Timestamp(day))] = mm
    return _stack(series, "time", coords=time)


def test_daily_zhang_2002_hand_case() -> None:
    # One year with erosive days of 20 and 30 mm (the 11 mm day is below 12 mm):
    # P_d12 = 25, P_y12 = 50; β = 0.8363 + 18.144/25 + 24.455/50 = 0.8363 + 0.72576
    # + 0.4891 = 2.05116; α = 21.586 × 2.05116^−7.1891 = 0.123361;
    # R = α (20^β + 30^β) = 0.123361 × (466.252 + 1071.056) = 189.64
    daily = _daily({"2001-06-01": 20.0, "2001-07-01": 30.0, "2001-08-01": 11.0}, [2001])
    beta = 0.8363 + 18.144 / 25 + 24.455 / 50
    expected = 21.586 * beta**-7.1891 * (20**beta + 30**beta)
    got = r_factor_daily(daily)
    np.testing.assert_allclose(got.values, expected, rtol=1e-12)
    assert float(got[0, 0]) == pytest.approx(189.64, abs=0.01)


def test_daily_zhang_2002_averages_over_years() -> None:
    # Two years, the same two storms in the first year only: P_y12 = 50 / 2 = 25,
    # β = 0.8363 + 18.144/25 + 24.455/25; R = α Σ D^β / 2
    daily = _daily({"2001-06-01": 20.0, "2001-07-01": 30.0}, [2001, 2002])
    beta = 0.8363 + 18.144 / 25 + 24.455 / 25
    expected = 21.586 * beta**-7.1891 * (20**beta + 30**beta) / 2
    np.testing.assert_allclose(r_factor_daily(daily).values, expected, rtol=1e-12)


def test_daily_xie_2016_seasons() -> None:
    # May is warm season (α 0.3937), January cold (α 0.3101); 9 mm is not erosive (≥ 10)
    daily = _daily({"2001-05-10": 20.0, "2001-01-10": 15.0, "2001-03-01": 9.0}, [2001])
    expected = 0.3937 * 20**1.7265 + 0.3101 * 15**1.7265
    got = r_factor_daily(daily, variant="xie2016")
    np.testing.assert_allclose(got.values, expected, rtol=1e-12)


def test_daily_no_erosive_day_gives_zero_and_dispatch() -> None:
    daily = _daily({f"2001-{m:02d}-10": 11.0 for m in range(1, 13)}, [2001])  # 132 mm
    np.testing.assert_array_equal(r_factor(daily).values, 0.0)


def test_daily_incomplete_year_is_refused() -> None:
    daily = _daily({"2001-05-10": 20.0}, [2001]).isel(time=slice(0, 200))
    with pytest.raises(
        ParameterError, match=r"whole calendar years; incomplete: 2001 \(200 days\)"
    ):
        r_factor_daily(daily)


def test_precipitation_in_metres_is_detected() -> None:
    p = make_raster(np.full((3, 3), 1.62), name="precip.tif")
    with pytest.raises(
        ParameterError, match=r"precip.tif: precipitation looks like metres, not millimetres"
    ) as err:
        r_factor_annual(p)
    assert "multiply by 1000" in str(err.value)
    monthly = _stack(np.full(12, 0.1), "band")
    with pytest.raises(ParameterError, match="looks like metres"):
        r_factor_monthly(monthly)
    # a hyper-arid map can opt out of the check
    assert float(r_factor_annual(p, check_units=False)[0, 0]) == pytest.approx(
        0.0534 * 1.62**1.6548
    )


def test_precipitation_in_tenths_of_mm_is_detected() -> None:
    monthly = _stack(np.full(12, 12000.0), "band")  # 0.1 mm units: 1 200 mm a month
    with pytest.raises(
        ParameterError, match=r"implausible in millimetres per month.*divided by 10"
    ):
        r_factor_monthly(monthly)
    with pytest.raises(ParameterError, match="implausible in millimetres per year"):
        r_factor_annual(make_raster(np.full((2, 2), 45000.0)))


def test_negative_precipitation_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"negative values \(min -9999\); set the raster's"):
        r_factor_annual(make_raster(np.array([[-9999.0, 900.0]])))


def test_bad_shapes_and_variants() -> None:
    with pytest.raises(ParameterError, match=r"one band \(annual mm\), 12 bands"):
        r_factor(_stack(np.full(5, 50.0), "band"))
    with pytest.raises(ParameterError, match="12 bands"):
        r_factor_monthly(_stack(np.full(5, 50.0), "band"))
    with pytest.raises(ParameterError, match=r"monthly R variant 'power' is unknown"):
        r_factor_monthly(_stack(np.full(12, 50.0), "band"), variant="power")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="leading 'time' dimension"):
        r_factor_daily(_stack(np.full(12, 50.0), "band"))


def test_daily_backends_agree() -> None:
    time = pd.date_range("2001-01-01", "2002-12-31", freq="D")
    rng = np.random.default_rng(np.random.SeedSequence(12))
    base = make_raster(np.zeros((4, 5)), name="precip")
    rain = rng.gamma(0.4, 12.0, (time.size, 4, 5))
    daily = xr.concat([base.copy(data=d) for d in rain], "time").assign_coords(time=time)
    for variant in ("zhang2002", "xie2016"):
        assert_backends_agree(r_factor_daily, daily, variant=variant)


def test_monthly_climatology_with_a_time_dimension_is_monthly() -> None:
    # A NetCDF climatology (METHODS.md §13: Peng et al., WorldClim CMIP6) carries its 12
    # months on a 'time' dimension; r_factor once sent it to the daily model, which
    # refused it as an incomplete year. It is the monthly Wischmeier/Arnoldus R.
    months = pd.date_range("2041-01-01", periods=12, freq="MS")
    rng = np.random.default_rng(np.random.SeedSequence(31))
    monthly = _stack(rng.uniform(20, 250, 12), "time", coords=months)
    np.testing.assert_array_equal(
        r_factor(monthly).values, r_factor_monthly(monthly.rename(time="band")).values
    )


def test_monthly_si_quoted_form_is_a_third_of_the_us_form() -> None:
    # -0.08188 read as SI against -0.8188 in US units × 17.02:
    # 10^(0.8188 - 0.08188) / 17.02 = 5.45660 / 17.02 = 1/3.11917 (the "3.1x")
    monthly = _stack(np.full(12, 73.75), "band")
    us = r_factor_monthly(monthly).values
    si = r_factor_monthly(monthly, variant="wischmeier_si").values
    np.testing.assert_allclose(us / si, 3.11917, rtol=1e-5)
    by_hand = 12 * 1.735 * 10 ** (1.5 * np.log10(6.1458333) - 0.08188)
    assert float(si[0, 0]) == pytest.approx(by_hand)


# Monthly climatologies (mm) of four shapes: monsoon-humid (1480 mm), semi-arid summer
# rain (450 mm), even rain (865 mm) and the even 885 mm year of METHODS.md.
CLIMATES = [
    [50, 80, 150, 200, 250, 230, 140, 150, 80, 60, 50, 40],
    [3, 5, 10, 25, 40, 80, 110, 100, 45, 20, 8, 4],
    [60, 70, 75, 80, 80, 75, 70, 80, 70, 65, 70, 70],
    [73.75] * 12,
]


@pytest.mark.parametrize("months", CLIMATES)
def test_monthly_reading_is_settled_on_measured_r(months: list[float]) -> None:
    # The US-units reading (× 17.02) against the SI-quoted one (-0.08188), judged by
    # regressions of measured R on annual precipitation P (mm):
    # Renard & Freimund (1994) from US stations, R = 0.04830 P^1.610 (P ≤ 850) and
    # 587.8 - 1.219 P + 0.004105 P² (P > 850), and Zhang & Fu (2003) from China,
    # R = 0.0534 P^1.6548. The default must be the closer reading (log ratio) to both,
    # and the SI-quoted one short of both (it is 2.0-15x short here).
    p = float(np.sum(months))
    rf94 = 0.04830 * p**1.610 if p <= 850 else 587.8 - 1.219 * p + 0.004105 * p**2
    zhang_fu = float(r_factor_annual(make_raster(np.full((2, 3), p))).values[0, 0])
    stack = _stack(np.array(months), "band")
    us = float(r_factor(stack).values[0, 0])
    si = float(r_factor(stack, ErosivityModel(monthly="wischmeier_si")).values[0, 0])
    for measured in (rf94, zhang_fu):
        assert abs(np.log(us / measured)) < abs(np.log(si / measured))
        assert si < measured


def test_erosivity_model_picks_the_variant_of_each_form() -> None:
    monthly = _stack(np.array(CLIMATES[0], dtype=float), "band")
    np.testing.assert_array_equal(
        r_factor(monthly, ErosivityModel(monthly="fournier")).values,
        r_factor_monthly(monthly, variant="fournier").values,
    )
    days = pd.date_range("2001-01-01", "2001-12-31", freq="D")
    rain = np.where(np.arange(days.size) % 9 == 0, 25.0, 1.0)
    daily = _stack(rain, "time", days)
    np.testing.assert_array_equal(
        r_factor(daily, ErosivityModel(daily="xie2016")).values,
        r_factor_daily(daily, variant="xie2016").values,
    )
