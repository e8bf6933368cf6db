"""Climate-corrected densities and soil carbon: hand cases from the formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from landcarbon.carbon import (
    POOLS,
    climate_corrected_pools,
    correction_factors,
    layered_soil_carbon,
    soc_density,
    soc_profile_density,
)
from landcarbon.errors import ParameterError
from landcarbon.tables import table_from_records
from landcarbon.testing import assert_backends_agree, make_raster


def test_correction_factors_hand_case():
    f = correction_factors(400.0, 8.0, 628.0, 9.0)
    k_bp = math.exp(0.0054 * (400 - 628))  # 6.798 cancels: exp(-1.2312)
    k_bt = (28 * 8 + 398) / (28 * 9 + 398)  # 622 / 650
    k_s = (3.3968 * 400 + 3996.1) / (3.3968 * 628 + 3996.1)  # 5354.82 / 6129.2904
    assert (f.k_bp, f.k_bt, f.k_s) == pytest.approx((k_bp, k_bt, k_s), rel=1e-14)
    assert f.k_b == pytest.approx(k_bp * k_bt, rel=1e-14)
    assert correction_factors(400, 8, 628, 9, "mean").k_b == pytest.approx((k_bp + k_bt) / 2)
    assert correction_factors(400, 8, 628, 9, "precipitation").k_b == pytest.approx(k_bp)
    # METHODS.md: 800 mm against 628 mm gives K_BP = 2.53
    assert correction_factors(800, 9, 628, 9).k_bp == pytest.approx(2.53, abs=5e-3)


def test_corrected_table_scales_pools():
    pools = table_from_records(
        [dict(lucode=1, c_above=10.0, c_below=2.0, c_soil=50.0, c_dead=1.0, name="forest")],
        "national.csv",
        required=POOLS,
    )
    f = correction_factors(500.0, 10.0, 628.0, 9.0)
    out = climate_corrected_pools(pools, f)
    row = out.frame.loc[1]
    assert row["c_above"] == pytest.approx(10.0 * f.k_b)
    assert row["c_below"] == pytest.approx(2.0 * f.k_b)
    assert row["c_soil"] == pytest.approx(50.0 * f.k_s)
    assert row["c_dead"] == 1.0  # left uncorrected by default
    assert climate_corrected_pools(pools, f, dead="soil").frame.loc[1, "c_dead"] == pytest.approx(
        f.k_s
    )
    assert out.names() == {1: "forest"}
    assert "K_B=" in out.source


def test_climate_guards():
    with pytest.raises(ParameterError, match=r"C_BT = -50 <= 0"):
        correction_factors(400, -16, 628, 9)  # 28 x -16 + 398 = -50
    with pytest.raises(ParameterError, match=r"variant 'sum' \(CLI --climate-variant\); use"):
        correction_factors(400, 8, 628, 9, "sum")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="precipitation -1 mm is invalid"):
        correction_factors(-1, 8, 628, 9)


def test_layered_soil_carbon_eq3():
    top_oc, top_ic = make_raster(np.array([[10.0, np.nan]])), make_raster(np.array([[2.0, 1.0]]))
    sub_oc, sub_ic = make_raster(np.array([[5.0, 1.0]])), make_raster(np.array([[1.0, 1.0]]))
    out = layered_soil_carbon(top_oc, sub_oc, top_ic, sub_ic).values
    # (2 + 10) x 0.3 + (1 + 5) x 0.7 = 3.6 + 4.2 = 7.8; NaN input gives NaN
    np.testing.assert_allclose(out, [[7.8, np.nan]])
    organic = layered_soil_carbon(top_oc, sub_oc).values  # 10 x 0.3 + 5 x 0.7 = 6.5
    assert organic[0, 0] == pytest.approx(6.5)
    with pytest.raises(ParameterError, match="both topsoil and subsoil inorganic"):
        layered_soil_carbon(top_oc, sub_oc, top_ic)
    assert_backends_agree(lambda a, b: layered_soil_carbon(a, b), top_oc, sub_oc, chunks=(1, 1))


def test_soc_density_and_profile():
    oc, bd = make_raster(np.array([[1.0, 2.0]])), make_raster(np.array([[1.3, 1.5]]))
    gravel = make_raster(np.array([[0.0, 20.0]]))
    # 1 % x 1.3 x 30 cm = 39 t/ha; 2 x 1.5 x 30 x (1 - 0.2) = 72 t/ha
    np.testing.assert_allclose(soc_density(oc, bd, 30.0, gravel).values, [[39.0, 72.0]])
    # profile to 100 cm: top 30 cm + sub 70 cm; 1 x 1.3 x 30 + 0.5 x 1.4 x 70 = 39 + 49 = 88
    sub_oc, sub_bd = make_raster(np.array([[0.5, 0.5]])), make_raster(np.array([[1.4, 1.4]]))
    prof = soc_profile_density((oc, bd, None), (sub_oc, sub_bd, None), 100.0).values
    assert prof[0, 0] == pytest.approx(88.0)
    shallow = soc_profile_density((oc, bd, None), (sub_oc, sub_bd, None), 10.0).values
    assert shallow[0, 0] == pytest.approx(13.0)  # 1 x 1.3 x 10, no subsoil
    with pytest.raises(ParameterError, match=r"thickness -5\.0 cm must be >= 0"):
        soc_density(oc, bd, -5.0)


def test_non_finite_temperature_is_refused():
    # NaN would pass the C_BT <= 0 guard and give NaN factors, hence NaN densities
    with pytest.raises(ParameterError, match=r"temperature nan °C is invalid"):
        correction_factors(400, float("nan"), 628, 9)
    with pytest.raises(ParameterError, match=r"reference temperature inf °C is invalid"):
        correction_factors(400, 8, 628, float("inf"))
    # the precipitation-only variant does not use the temperatures
    assert correction_factors(400, float("nan"), 628, 9, "precipitation").k_b > 0


def test_soil_layers_must_share_a_grid():
    from landcarbon.errors import AlignmentError

    top = make_raster(np.array([[10.0, 2.0], [1.0, 1.0]]), name="topsoil")
    sub = make_raster(np.array([[5.0, 1.0]]), name="subsoil")  # would broadcast silently
    with pytest.raises(AlignmentError, match=r"subsoil is not on the grid of topsoil: shape"):
        layered_soil_carbon(top, sub)
    with pytest.raises(AlignmentError, match="not on the grid"):
        soc_density(top, sub, 30.0)
