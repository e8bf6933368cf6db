"""NEP = NPP - Rh (monthly Rh) and carbon balance metrics: hand cases and bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from landcarbon.carbon import (
    RhParameters,
    balance_index,
    balance_table,
    balance_zones,
    heterotrophic_respiration,
    nep_t_c_per_cell,
    net_ecosystem_production,
    net_emissions,
    supply_demand_quadrants,
    supply_demand_ratio,
)
from landcarbon.errors import RasterError
from landcarbon.raster import CLASS_NODATA
from landcarbon.testing import assert_backends_agree, make_raster


def monthly(values: list[float]):
    return [make_raster(np.full((2, 2), v)) for v in values]


def test_rh_hand_case_methods_values():
    # METHODS.md: T = 20 °C, R = 100 mm gives 29.697 (0.0912) vs 29.735 (0.0913) g C/m2/month
    temps, precs = monthly([20.0] * 12), monthly([100.0] * 12)
    rh = heterotrophic_respiration(temps, precs).values
    month = 0.22 * (math.exp(0.0912 * 20) + math.log(0.3145 * 100 + 1)) * 30 * 0.465
    assert month == pytest.approx(29.697, abs=5e-4)
    np.testing.assert_allclose(rh, 12 * month, rtol=1e-14)
    later = heterotrophic_respiration(temps, precs, RhParameters(temperature_coef=0.0913))
    assert later.values[0, 0] / 12 == pytest.approx(29.735, abs=5e-4)


def test_rh_sums_twelve_different_months_and_12_band_raster():
    temps = [float(t) for t in range(-5, 19, 2)]
    precs = [float(p) for p in range(0, 120, 10)]
    expected = sum(
        0.22 * (math.exp(0.0912 * t) + math.log(0.3145 * r + 1)) * 30 * 0.465
        for t, r in zip(temps, precs, strict=True)
    )
    stack_t = xr_stack(monthly(temps))
    stack_p = xr_stack(monthly(precs))
    assert heterotrophic_respiration(stack_t, stack_p).values[0, 0] == pytest.approx(expected)
    assert_backends_agree(
        lambda *a: heterotrophic_respiration(list(a[:12]), list(a[12:])),
        *monthly(temps),
        *monthly(precs),
        chunks=(1, 2),
    )


def xr_stack(layers):
    import xarray as xr

    return xr.concat(layers, dim="band")


def test_monthly_climate_wrong_band_count_and_negative_rain():
    with pytest.raises(
        RasterError, match=r"monthly temperature: 11 raster\(s\) given \(.+\), need 12"
    ):
        heterotrophic_respiration(monthly([1.0] * 11), monthly([1.0] * 12))
    precs = monthly([1.0] * 12)
    precs[3] = make_raster(np.array([[-1.0, 1.0], [1.0, 1.0]]))
    rh = heterotrophic_respiration(monthly([1.0] * 12), precs).values
    assert np.isnan(rh[0, 0]) and not np.isnan(rh[0, 1])


def test_nep_and_per_cell_total():
    npp = make_raster(np.array([[400.0, 100.0]]))
    rh = make_raster(np.array([[150.0, 120.0]]))
    nep = net_ecosystem_production(npp, rh)
    np.testing.assert_allclose(nep.values, [[250.0, -20.0]])
    # 250 g/m2 over 900 m2 = 225 000 g = 0.225 t; -20 x 900 = -0.018 t
    np.testing.assert_allclose(nep_t_c_per_cell(nep).values, [[0.225, -0.018]], rtol=1e-14)


def test_balance_index_and_net_emissions():
    cs = make_raster(np.array([[10.0, 5.0, 3.0]]))
    ce = make_raster(np.array([[2.0, 0.0, -1.0]]))
    np.testing.assert_allclose(balance_index(cs, ce).values, [[5.0, np.nan, np.nan]])
    np.testing.assert_allclose(net_emissions(ce, cs).values, [[-8.0, -5.0, -4.0]])
    assert_backends_agree(balance_index, cs, ce, chunks=(1, 2))


def test_esdr_and_zones():
    supply = make_raster(np.array([[10.0, 1.0, 4.0, np.nan]]))
    demand = make_raster(np.array([[2.0, 4.0, 4.0, 1.0]]))
    esdr = supply_demand_ratio(supply, demand)
    # (S - D) / ((S_max + D_max) / 2) = (S - D) / 7: 8/7, -3/7, 0, NaN
    np.testing.assert_allclose(esdr.values, [[8 / 7, -3 / 7, 0.0, np.nan]])
    zones = balance_zones(esdr).values
    assert zones.tolist() == [[3, 1, 2, CLASS_NODATA]]
    quad = supply_demand_quadrants(supply, demand).values
    # z-scores: S mean 5 -> H, L, L; D mean 2.75 -> L, H, H
    assert quad.tolist() == [[4, 2, 2, CLASS_NODATA]]


def test_balance_table_by_region():
    table = balance_table(pd.Series({1: 10.0, 2: 1.0}), pd.Series({1: 2.0, 2: 4.0}))
    assert table["balance_index"].tolist() == [5.0, 0.25]
    assert table["net_emissions_t_c"].tolist() == [-8.0, 3.0]
    assert table["esdr"].tolist() == pytest.approx([8 / 7, -3 / 7])
    assert table["zone"].tolist() == ["surplus", "deficit"]


def test_nep_refuses_rasters_on_other_grids():
    from landcarbon.errors import AlignmentError

    npp = make_raster(np.full((2, 2), 400.0), name="npp")
    # one row: numpy would broadcast it silently over both rows of NPP
    rh_row = make_raster(np.array([[150.0, 120.0]]), name="rh")
    with pytest.raises(AlignmentError, match=r"rh is not on the grid of npp: shape \(1, 2\)"):
        net_ecosystem_production(npp, rh_row)
    shifted = make_raster(np.full((2, 2), 1.0), origin=(500_030.0, 4_000_000.0), name="july")
    precs = monthly([1.0] * 12)
    precs[6] = shifted
    with pytest.raises(AlignmentError, match=r"july is not on the grid of .* shifted"):
        heterotrophic_respiration(monthly([1.0] * 12), precs)


def test_balance_table_missing_unit_is_not_called_balance():
    table = balance_table(pd.Series({1: 10.0, 2: np.nan}), pd.Series({1: 2.0, 2: 4.0}))
    # unit 1: ESDR = (10 - 2) / ((10 + 4) / 2) = 8/7 > 0; unit 2 has no CS: no zone
    assert table["esdr"].iloc[0] == pytest.approx(8 / 7)
    assert np.isnan(table["esdr"].iloc[1])
    assert table["zone"].tolist() == ["surplus", ""]
    zero = balance_table(pd.Series({1: 0.0}), pd.Series({1: 0.0}))
    assert np.isnan(zero["esdr"].iloc[0])  # S_max + D_max = 0: undefined, no 0/0 warning


def test_quadrants_of_a_constant_supply_are_high():
    # z = (x - mean) / std with std = 0 is taken as 0 (>= 0: "H"), not NaN ("L")
    supply = make_raster(np.array([[5.0, 5.0, 5.0, np.nan]]))
    demand = make_raster(np.array([[1.0, 2.0, 6.0, 1.0]]))
    # D: mean over the 4 valid cells 2.5 -> L, L, H, L; S: H everywhere valid
    assert supply_demand_quadrants(supply, demand).values.tolist() == [[4, 4, 1, CLASS_NODATA]]


def test_balance_index_reproduces_the_arid_studys_published_values():
    # study 002, sections 2.x: CS and CE (t) as printed (3 significant figures) and the
    # carbon balance index CO = CS/CE it reports. 1990: 3.15e8 / 2.37e6 = 132.91;
    # 2035 cultivated-land protection: 389.08e6 / 2.17e6 = 179.30 (printed 179.26);
    # 2035 economic development: 387.56e6 / 3.14e6 = 123.43. (Its natural-development and
    # ecological-protection pairs do not divide to the printed indices, so are left out.)
    cs = pd.Series({"1990": 3.15e8, "2035 cultivated": 389.08e6, "2035 economic": 387.56e6})
    ce = pd.Series({"1990": 2.37e6, "2035 cultivated": 2.17e6, "2035 economic": 3.14e6})
    published = [132.91, 179.26, 123.43]
    assert balance_table(cs, ce)["balance_index"].tolist() == pytest.approx(published, rel=5e-4)
    cs_map, ce_map = (make_raster(s.to_numpy()[None, :]) for s in (cs, ce))
    maps = balance_index(cs_map, ce_map)
    np.testing.assert_allclose(maps.values[0], published, rtol=5e-4)
