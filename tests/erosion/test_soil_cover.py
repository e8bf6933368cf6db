"""K (EPIC, table) and B (Cai 2000), E, T: published test vectors, hand cases, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.erosion.cover import (
    b_factor,
    b_factor_from_cover,
    land_use_factors,
    practice_factor,
    vegetation_fraction,
)
from landcarbon.erosion.soil import k_epic_us, k_factor_epic, k_factor_from_table
from landcarbon.errors import ParameterError, TableError
from landcarbon.raster import CLASS_NODATA
from landcarbon.tables import table_from_records
from landcarbon.testing import assert_backends_agree, make_raster


def _full(value: float, shape=(3, 4)):
    return make_raster(np.full(shape, value))


def test_k_epic_published_test_vector() -> None:
    # METHODS.md §7 test vector: sand 30, silt 50, clay 20, OC 1 % gives K_EPIC 0.3366,
    # SI 0.0443 and Zhang et al. (2007) corrected 0.0210. By hand:
    # 0.2 + 0.3 exp(−0.0256·30·0.5) = 0.40433; (50/70)^0.3 = 0.90416;
    # 1 − 0.25/(1 + e^0.77) = 0.92088; 1 − 0.7·0.7/(0.7 + e^10.52) ≈ 0.99999
    # product 0.3366; × 0.1317 = 0.04433; (−0.01383 + 0.51575 × 0.3366) × 0.1317 = 0.02104
    k_us = float(k_epic_us(np.array(30.0), np.array(50.0), np.array(20.0), np.array(1.0)))
    assert k_us == pytest.approx(0.3366, abs=5e-5)
    args = (_full(30.0), _full(50.0), _full(20.0), _full(1.0))
    np.testing.assert_allclose(k_factor_epic(*args, correction="none").values, 0.0443, atol=5e-5)
    np.testing.assert_allclose(k_factor_epic(*args).values, 0.0210, atol=5e-5)


def test_k_zhang_correction_never_negative() -> None:
    # Silt-free sandy soil (sand 90, silt 0, clay 10): [SIL/(CLA + SIL)]^0.3 = 0, so
    # K_EPIC = 0 and (-0.01383 + 0.51575 × 0) × 0.1317 = -0.00182 would make soil loss
    # negative; K is floored at 0. A silt-poor soil just above the floor keeps its value:
    # (89.5, 0.5, 10, 1 %) gives K_EPIC 0.0434101, (-0.01383 + 0.51575 × 0.0434101)
    # × 0.1317 = 0.0011272.
    sand = make_raster(np.array([[90.0, 89.5]]))
    silt = make_raster(np.array([[0.0, 0.5]]))
    clay = make_raster(np.array([[10.0, 10.0]]))
    k = k_factor_epic(sand, silt, clay, make_raster(np.array([[1.0, 1.0]]))).values
    assert k[0, 0] == 0.0
    assert k[0, 1] == pytest.approx(0.0011272, abs=5e-8)


def test_k_epic_backends_agree() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(4))
    sand = rng.uniform(5, 80, (5, 6))
    clay = rng.uniform(5, 100 - sand)
    silt = 100 - sand - clay
    oc = rng.uniform(0.2, 4, (5, 6))
    assert_backends_agree(
        k_factor_epic, make_raster(sand), make_raster(silt), make_raster(clay), make_raster(oc)
    )


def test_k_epic_bad_texture_and_carbon_units() -> None:
    with pytest.raises(ParameterError, match=r"differ from 100 % by more than 2 on 12 cells"):
        k_factor_epic(_full(0.3), _full(0.5), _full(0.2), _full(1.0))
    with pytest.raises(ParameterError, match=r"organic carbon reaches 120, implausible in %"):
        k_factor_epic(_full(30.0), _full(50.0), _full(20.0), _full(120.0))
    with pytest.raises(ParameterError, match=r"K correction 'x' is unknown"):
        k_factor_epic(_full(30.0), _full(50.0), _full(20.0), _full(1.0), correction="x")  # type: ignore[arg-type]


def test_k_from_table_and_missing_soil_codes() -> None:
    table = table_from_records(
        [{"code": 1, "k": 0.02}, {"code": 2, "k": 0.035}], "soil.csv", required=["k"]
    )
    soil = make_raster(np.array([[1, 2, CLASS_NODATA], [2, 2, 1]], dtype=np.int32))
    got = assert_backends_agree(k_factor_from_table, soil, table=table)
    np.testing.assert_array_equal(got.values, [[0.02, 0.035, np.nan], [0.035, 0.035, 0.02]])
    bad = make_raster(np.array([[1, 7, 7], [9, 2, 1]], dtype=np.int32))
    with pytest.raises(TableError) as err:
        k_factor_from_table(bad, table)
    assert str(err.value) == (
        "soil.csv: codes found in the soil map but missing from the table: 7 (2 cells), "
        "9 (1 cells); add a row for each code (or mark those cells as nodata)"
    )


def test_b_cai_2000_test_values() -> None:
    # METHODS.md §7: f = 10 % → 0.6508 − 0.3436 × 1 = 0.3072;
    # f = 50 % → 0.6508 − 0.3436 × 1.69897 = 0.0670; f = 0 → 1; f ≥ 78.3 → 0;
    # f = 0.01 % → 0.6508 + 0.6872 = 1.338, clipped to 1
    cover = make_raster(np.array([[10.0, 50.0, 0.0], [78.3, 95.0, 0.01]]))
    got = b_factor_from_cover(cover).values
    np.testing.assert_allclose(got[0, :2], [0.3072, 0.06703], atol=5e-6)
    np.testing.assert_array_equal(got[0, 2:], [1.0])
    np.testing.assert_array_equal(got[1], [0.0, 0.0, 1.0])
    # continuous at 78.3 %: just below, 0.6508 − 0.3436 lg 78.29 = 0.6508 − 0.650729
    # = 0.000071 ≈ the 0 from 78.3 % on
    below = float(b_factor_from_cover(make_raster(np.array([[78.29, 5.0]])))[0, 0])
    assert below == pytest.approx(0.6508 - 0.3436 * np.log10(78.29), rel=1e-12)
    assert 0 < below < 2e-4


def test_b_cover_bad_units() -> None:
    with pytest.raises(ParameterError, match=r"looks like a 0-1 fraction \(max 0.9\), not %"):
        b_factor_from_cover(make_raster(np.array([[0.2, 0.9]])))
    with pytest.raises(ParameterError, match="percentage in 0-100; found 5 to 250"):
        b_factor_from_cover(make_raster(np.array([[5.0, 250.0]])))


def test_vegetation_fraction_dimidiate() -> None:
    # NDVI_soil 0.05, NDVI_veg 0.85: NDVI 0.45 → (0.45 − 0.05)/0.8 = 50 %; clipped ends
    ndvi = make_raster(np.array([[0.45, 0.0, 0.9]]))
    np.testing.assert_allclose(vegetation_fraction(ndvi, 0.05, 0.85).values, [[50.0, 0.0, 100.0]])
    with pytest.raises(ParameterError, match="ndvi_veg"):
        vegetation_fraction(ndvi, 0.8, 0.1)


def _land_use_table():
    return table_from_records(
        [
            {"code": 1, "name": "cropland", "b": 1.0, "b_from_cover": 0, "e": 1.0, "t": 0.4},
            {"code": 2, "name": "forest", "b": 0.02, "b_from_cover": 1, "e": 1.0, "t": 1.0},
            {"code": 4, "name": "water", "b": 0.0, "b_from_cover": 0, "e": 0.0, "t": 1.0},
        ],
        "lu.toml",
        required=["b", "e", "t"],
    )


def test_b_from_land_use_and_cover() -> None:
    lulc = make_raster(np.array([[1, 2], [2, 4]], dtype=np.int32))
    cover = make_raster(np.array([[10.0, 10.0], [50.0, 50.0]]))
    table = _land_use_table()
    # cropland keeps its table B (1) whatever the cover; forest follows Cai (0.3072,
    # 0.0670); without a cover map forest takes the table's 0.02
    with_cover = assert_backends_agree(lambda lu, c: b_factor(lu, table, c), lulc, cover)
    np.testing.assert_allclose(with_cover.values, [[1.0, 0.3072], [0.06703, 0.0]], atol=5e-6)
    np.testing.assert_array_equal(b_factor(lulc, table).values, [[1.0, 0.02], [0.02, 0.0]])
    np.testing.assert_array_equal(practice_factor(lulc, table, "t").values, [[0.4, 1], [1, 1]])
    np.testing.assert_array_equal(practice_factor(lulc, table, "e").values, [[1, 1], [1, 0]])
    with pytest.raises(ParameterError, match="select 'e' or 't'"):
        practice_factor(lulc, table, "p")
    with pytest.raises(TableError, match=r"missing from the table: 3 \(1 cells\)"):
        b_factor(make_raster(np.array([[1, 3]], dtype=np.int32)), table)


def test_land_use_factors_match_the_single_factors() -> None:
    lulc = make_raster(np.array([[1, 2, 4], [2, 2, 1]], dtype=np.int32))
    cover = make_raster(np.array([[10.0, 30.0, 5.0], [60.0, 80.0, 0.0]]))
    table = _land_use_table()
    got = assert_backends_agree(lambda lu, c: land_use_factors(lu, table, c)["b"], lulc, cover)
    np.testing.assert_array_equal(got.values, b_factor(lulc, table, cover).values)
    both = land_use_factors(lulc, table)
    for col in ("e", "t"):
        np.testing.assert_array_equal(both[col].values, practice_factor(lulc, table, col).values)
    with pytest.raises(TableError, match=r"the land-use map but missing from the table: 9"):
        land_use_factors(make_raster(np.array([[9]], dtype=np.int32)), table)
