"""Soil loss, conservation, SL 190-2007 grades, totals; linearity and sign properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from landcarbon.erosion.csle import (
    area_by_grade_ha,
    intensity_grade,
    mean_per_ha,
    potential_soil_loss,
    soil_conservation,
    soil_loss,
    total,
    total_by_class,
)
from landcarbon.errors import ParameterError
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA
from landcarbon.testing import assert_backends_agree, make_raster

FACTORS = ("r", "k", "ls", "b", "e", "t")


def _maps(values: dict[str, np.ndarray]):
    return {k: make_raster(v) for k, v in values.items()}


def test_hand_case() -> None:
    # R 4000, K 0.02, LS 2.5, B 0.1, E 1, T 0.4: A = 4000·0.02·2.5·0.1·1·0.4 = 8 t/ha/yr;
    # potential = 4000·0.02·2.5 = 200; conservation = 200 − 8 = 192
    values = (4000, 0.02, 2.5, 0.1, 1, 0.4)
    m = _maps({k: np.full((2, 2), v) for k, v in zip(FACTORS, values, strict=True)})
    a = soil_loss(m["r"], m["k"], m["ls"], m["b"], m["e"], m["t"])
    p = potential_soil_loss(m["r"], m["k"], m["ls"])
    np.testing.assert_allclose(a.values, 8.0, rtol=1e-14)
    np.testing.assert_allclose(p.values, 200.0, rtol=1e-14)
    np.testing.assert_allclose(soil_conservation(p, a).values, 192.0, rtol=1e-14)
    # 30 m cells = 0.09 ha; 4 cells: total 4 × 8 × 0.09 = 2.88 t/yr
    assert total(a) == pytest.approx(2.88, rel=1e-14)
    assert mean_per_ha(a) == pytest.approx(8.0, rel=1e-14)


def test_backends_agree() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(8))
    m = [make_raster(rng.uniform(0.01, 3, (7, 8))) for _ in FACTORS]
    assert_backends_agree(soil_loss, *m)
    assert_backends_agree(potential_soil_loss, *m[:3])
    assert_backends_agree(intensity_grade, m[0])


positive = arrays(np.float64, (3, 4), elements=st.floats(0.001, 1e4))
ratio = arrays(np.float64, (3, 4), elements=st.floats(0.0, 1.0))


@settings(max_examples=40, deadline=None)
@given(
    r=positive,
    k=positive,
    ls=positive,
    b=ratio,
    e=ratio,
    t=ratio,
    which=st.sampled_from(range(6)),
    scale=st.floats(0.01, 100),
)
def test_loss_is_linear_in_each_factor(r, k, ls, b, e, t, which, scale) -> None:
    factors = [make_raster(v) for v in (r, k, ls, b, e, t)]
    base = soil_loss(*factors).values
    factors[which] = factors[which] * scale
    np.testing.assert_allclose(soil_loss(*factors).values, scale * base, rtol=1e-12, atol=1e-300)


@settings(max_examples=40, deadline=None)
@given(r=positive, k=positive, ls=positive, b=ratio, e=ratio, t=ratio)
def test_conservation_nonnegative_when_bet_at_most_one(r, k, ls, b, e, t) -> None:
    m = [make_raster(v) for v in (r, k, ls, b, e, t)]
    a = soil_loss(*m)
    cons = soil_conservation(potential_soil_loss(*m[:3]), a).values
    assert (cons >= 0).all()


def test_grades_sl190_thresholds() -> None:
    # t/ha/yr × 100 = t/km²/yr; red-soil region T = 500: [0, 500) slight, [500, 2500)
    # light, [2500, 5000) moderate, [5000, 8000) intense, [8000, 15000) very intense,
    # ≥ 15000 severe (bins closed below)
    a = make_raster(
        np.array([[0.0, 4.99, 5.0, 24.99, 25.0, 50.0], [79.9, 80.0, 149.9, 150.0, 900.0, np.nan]])
    )
    got = intensity_grade(a).values
    np.testing.assert_array_equal(got, [[1, 1, 2, 2, 3, 4], [4, 5, 5, 6, 6, CLASS_NODATA]])
    # the loess region's tolerable loss is 1000: 5.0 t/ha (500 t/km²) is still slight
    assert intensity_grade(a, "northwest_loess").values[0, 2] == 1
    with pytest.raises(ParameterError, match=r"erosion region 'south' is unknown; select from"):
        intensity_grade(a, "south")  # type: ignore[arg-type]


def test_area_by_grade_uses_true_geographic_areas() -> None:
    a = make_raster(
        np.array([[1.0, 30.0, 30.0], [200.0, np.nan, 1.0]]),
        cell_size=0.01,
        crs="EPSG:4326",
        origin=(110.0, 40.0),
    )
    rows = Grid.from_dataarray(a).row_area_ha()
    got = area_by_grade_ha(intensity_grade(a))
    assert got["slight"] == pytest.approx(rows[0] + rows[1], rel=1e-14)
    assert got["moderate"] == pytest.approx(2 * rows[0], rel=1e-14)
    assert got["severe"] == pytest.approx(rows[1], rel=1e-14)
    assert got["light"] == got["intense"] == got["very_intense"] == 0.0
    assert rows[0] != rows[1]  # rows differ in area on a geographic grid


def test_total_by_class_on_both_backends() -> None:
    # 30 m cells (0.09 ha): class 1 holds 2 + 4 = 6 t/ha → 0.54 t; class 3 holds 10 → 0.9 t
    values = make_raster(np.array([[2.0, 10.0, np.nan], [4.0, 7.0, 1.0]]))
    lulc = make_raster(np.array([[1, 3, 1], [1, CLASS_NODATA, 5]], dtype=np.int32))
    expected = {1: 0.54, 3: 0.9, 5: 0.09}
    for backend in ("numpy", "dask"):
        v = values.chunk({"y": 1, "x": 2}) if backend == "dask" else values
        got = total_by_class(v, lulc.chunk({"y": 1, "x": 2}) if backend == "dask" else lulc)
        assert got.keys() == expected.keys()
        for code, amount in expected.items():
            assert got[code] == pytest.approx(amount, rel=1e-14)


def test_rusle_c_and_p_in_the_b_and_e_slots() -> None:
    # RUSLE A = R K LS C P: C = 0.05 in the B slot, P = 0.5 in the E slot, T = 1:
    # 3000 × 0.03 × 4 × 0.05 × 0.5 × 1 = 9 t/ha/yr
    r, k, ls, c, p, one = (make_raster(np.full((1, 2), v)) for v in (3000, 0.03, 4, 0.05, 0.5, 1))
    np.testing.assert_allclose(soil_loss(r, k, ls, c, p, one).values, 9.0, rtol=1e-14)
