"""Resistance levels (county study Table 5 preset), entropy weights, weighted overlay."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from landcarbon.classes import named_scheme, scheme_from_table
from landcarbon.errors import LandcarbonWarning, ParameterError, TableError
from landcarbon.raster import CLASS_NODATA
from landcarbon.sinks.resistance import (
    level_table,
    load_level_tables,
    reclassify_factor,
    resistance_surface,
)
from landcarbon.stats.entropy import entropy_weights, weights_from_entropy
from landcarbon.testing import assert_backends_agree, make_raster

# the county study's maps use CNLUCC codes; the preset's land-use levels are keyed by group
CNLUCC = named_scheme("cnlucc")


def _values(factor: str, data: list, scheme: str = "cnlucc") -> np.ndarray:
    dtype = np.int32 if factor == "landuse" else np.float64
    raster = make_raster(np.array([data], dtype=dtype))
    table = load_level_tables(classes=named_scheme(scheme))[factor]
    return reclassify_factor(raster, table).values[0]


@pytest.mark.parametrize(
    ("factor", "raw", "expected"),
    [
        # Table 5: slope < 20 -> 1, [20, 40) -> 3, [40, 60) -> 5, [60, 80) -> 7, >= 80 -> 9
        ("slope", [0, 19.99, 20, 39.9, 40, 60, 79.99, 80, 90], [1, 1, 3, 3, 5, 7, 7, 9, 9]),
        # elevation < 2000 -> 1, [2000, 3000) -> 2, ... [5000, 6000) -> 8, >= 6000 -> 10
        ("elevation", [-5, 1999, 2000, 3000, 4500, 5999, 6000, 8000], [1, 1, 2, 4, 6, 8, 10, 10]),
        # forest 1, grassland 1, farmland 3, water 5, development 10, unused 5 (CNLUCC codes)
        ("landuse", [2, 3, 1, 4, 5, 6], [1, 1, 3, 5, 10, 5]),
        # the same on CNLUCC second-level codes (test_preset_is_table5_on_cnlucc2)
        # accumulated temperature >= 4000 -> 1 ... < 1000 -> 9
        ("accumulated_temperature", [4000, 3999, 3000, 2500, 1000, 999], [1, 3, 3, 5, 7, 9]),
        # precipitation >= 600 -> 1, [450, 600) -> 3, [300, 450) -> 5, [150, 300) -> 7, < 150 -> 9
        ("precipitation", [65.4, 150, 449, 450, 600], [9, 7, 5, 3, 1]),
        # population < 1000 -> 1, [1000, 2000) -> 3, ..., >= 4000 -> 9
        ("population", [0, 999, 1000, 2500, 3999, 4000], [1, 1, 3, 5, 7, 9]),
    ],
)
def test_preset_is_table5(factor: str, raw: list, expected: list) -> None:
    np.testing.assert_array_equal(_values(factor, raw), expected)


def test_preset_is_table5_on_cnlucc2() -> None:
    # each CNLUCC sub-class takes its type's value: dry land 3, sparse woodland 1,
    # low-coverage grassland 1, bottomland 5, rural settlements 10, bare rock 5
    got = _values("landuse", [12, 23, 33, 46, 52, 66], "cnlucc2")
    np.testing.assert_array_equal(got, [3, 1, 1, 5, 10, 5])


def test_preset_published_weights_are_table4() -> None:
    tables = load_level_tables(classes=CNLUCC)
    assert list(tables) == [
        "slope",
        "elevation",
        "landuse",
        "accumulated_temperature",
        "precipitation",
        "population",
    ]
    published = np.array([t.published_weight for t in tables.values()])
    assert published.sum() == pytest.approx(1.0, abs=1e-12)  # 100.0000 % in Table 4
    e = [0.8898, 0.8758, 0.9680, 0.9101, 0.9881, 0.9857]  # Table 4, e
    np.testing.assert_allclose(weights_from_entropy(e), published, atol=1e-4)


def test_preset_published_entropies_are_table4() -> None:
    # Table 4, e of slope, elevation, land use, accumulated temperature, precipitation,
    # population; d = 1 - e: 0.1102, 0.1242, 0.0320, 0.0899, 0.0119, 0.0143
    doc = tomllib.loads(
        resources.files("landcarbon.presets").joinpath("sinks_resistance.toml").read_text()
    )
    e = [f["published_entropy"] for f in doc["factors"].values()]
    assert e == [0.8898, 0.8758, 0.9680, 0.9101, 0.9881, 0.9857]
    w = [f["published_weight"] for f in doc["factors"].values()]
    assert w == [0.288111, 0.324634, 0.083713, 0.234966, 0.031203, 0.037373]


def _factor_maps() -> dict:
    rng = np.random.default_rng(np.random.SeedSequence(7))
    slope = rng.uniform(0, 90, (7, 8))
    slope[0, 0] = np.nan
    elevation = rng.uniform(1000, 7000, (7, 8))
    landuse = rng.choice([1, 2, 3, 4, 5, 6], (7, 8)).astype(np.int32)
    landuse[3, 3] = CLASS_NODATA
    return {
        "slope": make_raster(slope),
        "elevation": make_raster(elevation),
        "landuse": make_raster(landuse),
    }


def test_entropy_weights_equal_the_cell_matrix() -> None:
    factors = _factor_maps()
    got = resistance_surface(factors, classes=CNLUCC)
    matrix = np.stack([got.factors[f].values.ravel() for f in factors], axis=1)
    expected = entropy_weights(matrix, list(factors))  # drops the 2 incomplete cells
    assert got.entropy is not None
    np.testing.assert_allclose(got.entropy.weights, expected.weights, rtol=1e-12)
    np.testing.assert_allclose(got.entropy.entropy, expected.entropy, rtol=1e-12)
    table = got.weight_table()
    assert list(table["factor"]) == list(factors)
    surface = got.surface.values
    assert np.isnan(surface[0, 0]) and np.isnan(surface[3, 3])  # nodata -> barrier
    w = got.weights
    np.testing.assert_allclose(
        surface, sum(w[f] * got.factors[f].values for f in factors), rtol=1e-15
    )


def test_hand_case_given_weights() -> None:
    # slope 25 -> 3, elevation 2500 -> 2: 0.6 * 3 + 0.4 * 2 = 2.6
    # slope 85 -> 9, elevation 100 -> 1:  0.6 * 9 + 0.4 * 1 = 5.8
    got = resistance_surface(
        {
            "slope": make_raster(np.array([[25.0, 85.0]])),
            "elevation": make_raster(np.array([[2500.0, 100.0]])),
        },
        weights={"slope": 0.6, "elevation": 0.4},
    )
    np.testing.assert_allclose(got.surface.values, [[2.6, 5.8]], rtol=1e-15)
    assert got.entropy is None and got.weight_table()["weight_w"].tolist() == [0.6, 0.4]


def test_backends_agree() -> None:
    factors = _factor_maps()
    names = list(factors)
    for weights in ("entropy", {"slope": 0.5, "elevation": 0.3, "landuse": 0.2}):
        assert_backends_agree(
            lambda *arrs, w=weights: (
                resistance_surface(
                    dict(zip(names, arrs, strict=True)), weights=w, classes=CNLUCC
                ).surface
            ),
            *factors.values(),
        )


def test_published_weights_of_a_subset_are_renormalised() -> None:
    factors = {
        "slope": make_raster(np.array([[25.0, 85.0]])),
        "elevation": make_raster(np.array([[2500.0, 100.0]])),
    }
    with pytest.warns(LandcarbonWarning, match="sum to 0.612745, not 1"):
        got = resistance_surface(factors, weights="published")
    # Table 4: 0.288111 / (0.288111 + 0.324634) = 0.470195
    assert got.weights["slope"] == pytest.approx(0.288111 / 0.612745, rel=1e-12)


def test_weights_not_summing_to_one_are_normalised() -> None:
    factors = {
        "slope": make_raster(np.array([[25.0, 85.0]])),
        "elevation": make_raster(np.array([[2500.0, 100.0]])),
    }
    with pytest.warns(LandcarbonWarning, match="sum to 2, not 1; they were divided by 2"):
        got = resistance_surface(factors, weights={"slope": 1.2, "elevation": 0.8})
    assert got.weights == {"slope": 0.6, "elevation": 0.4}
    with pytest.raises(ParameterError, match="every weight is zero"):
        resistance_surface(factors, weights={"slope": 0.0, "elevation": 0.0})
    with pytest.raises(ParameterError, match=r"layers without a weight \['elevation'\]"):
        resistance_surface(factors, weights={"slope": 1.0})


def test_value_outside_every_level_names_value_and_table() -> None:
    table = level_table(
        "slope",
        {"levels": [{"lower": 0, "upper": 20, "value": 1}, {"lower": 20, "upper": 90, "value": 3}]},
        "my.toml",
    )
    with pytest.raises(
        ParameterError,
        match=r"slope value 95 \(2 cell\(s\) outside every "
        r"level\) is not covered by the 'slope' level "
        r"table \(my.toml\), whose levels are \[0, 20\), "
        r"\[20, 90\)",
    ):
        reclassify_factor(make_raster(np.array([[95.0, 5.0, 120.0]])), table)
    with pytest.raises(
        TableError,
        match=r"codes found in the landuse map but missing from "
        r"the table: 7 \(1 cells\)",
    ):
        reclassify_factor(
            make_raster(np.array([[7, 1]], dtype=np.int32)),
            load_level_tables(classes=CNLUCC)["landuse"],
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[factors.a]\nlevels = [{lower = 0, upper = 5, value = 1}, {lower = 4, upper = 9, "
            "value = 2}]",
            r"\[factors.a\]: levels \[0, 5\) and \[4, 9\) overlap",
        ),
        ("[factors.a]\nlevels = [{lower = 5, upper = 5, value = 1}]", r"level \[5, 5\) is empty"),
        ("[factors.a]\nlevels = [{lower = 0, upper = 5, value = 0}]", "must be > 0 and finite"),
        ("[factors.a]\nlevels = [{lower = 0, value = 1}]", "level 1 lacks upper"),
        (
            "[factors.a]\nlevels = [{code = 1, value = 1}, {lower = 0, upper = 1, value = 1}]",
            "mixes interval levels",
        ),
        ("[factors.a]\nunits = 'm'", "no levels"),
        ("title = 'x'", "no \\[factors.NAME\\] sections"),
        ("[factors.a", "TOML syntax error"),
    ],
)
def test_bad_level_tables(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "levels.toml"
    path.write_text(text)
    with pytest.raises(TableError, match=message):
        load_level_tables(path)


def test_unknown_factor() -> None:
    with pytest.raises(ParameterError, match=r"no level table for factor\(s\) \['ndvi'\]"):
        resistance_surface({"ndvi": make_raster(np.ones((2, 2)))})


def test_landuse_levels_by_group_resolve_through_the_class_table(tmp_path: Path) -> None:
    rows = [(10, "cropland"), (20, "shrubland"), (50, "built-up"), (64, "wetland")]
    path = tmp_path / "classes.csv"
    path.write_text("code,group\n" + "".join(f"{c},{g}\n" for c, g in rows))
    table = load_level_tables(classes=scheme_from_table(str(path)))["landuse"]
    lulc = make_raster(np.array([[10, 20, 50, 64]], dtype=np.int32))
    # Table 5: farmland 3, forest (shrub land) 1, development land 10, unused (marsh) 5
    np.testing.assert_array_equal(reclassify_factor(lulc, table).values[0], [3, 1, 10, 5])
    ungrouped = tmp_path / "c.csv"
    ungrouped.write_text("code,group\n10,cropland\n7,\n")  # a blank group: no group
    with pytest.raises(TableError, match=r"class code\(s\) \[7\] of .*c.csv have no group"):
        load_level_tables(classes=scheme_from_table(str(ungrouped)))


def test_landuse_levels_by_group_need_classes() -> None:
    # no CNLUCC fallback: the preset's land-use levels are keyed by group
    with pytest.raises(TableError, match=r"\[factors.landuse\] is keyed by land-use group"):
        load_level_tables()
    with pytest.raises(TableError, match="no class table maps the map's codes to groups"):
        resistance_surface(_factor_maps())
    # a surface without land use needs no classes
    slope = {"slope": make_raster(np.array([[25.0, 85.0]]))}
    np.testing.assert_array_equal(resistance_surface(slope).surface.values, [[3.0, 9.0]])
