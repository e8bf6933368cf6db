"""Importance index (eqs 4-5) and its five natural-breaks levels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from landcarbon.errors import BackendError, LandcarbonWarning, ParameterError
from landcarbon.raster import CLASS_NODATA
from landcarbon.sinks.importance import importance_index, importance_levels, normalise
from landcarbon.stats.classify import natural_breaks
from landcarbon.testing import assert_backends_agree, make_raster


def _layers() -> dict:
    return {
        "nep": make_raster(np.array([[0.0, 10.0], [20.0, 40.0]]), name="nep"),
        "vegetation": make_raster(np.array([[1.0, 1.0], [3.0, 5.0]])),
        "soil": make_raster(np.array([[2.0, 4.0], [6.0, 10.0]])),
    }


def test_hand_case_default_weights() -> None:
    # nep' = [0, .25, .5, 1], veg' = [0, 0, .5, 1], soil' = [0, .25, .5, 1]
    # I = .5 nep' + .25 veg' + .25 soil' = [0, .125 + .0625, .25 + .125 + .125, 1]
    got = importance_index(_layers())
    np.testing.assert_allclose(got.values, [[0.0, 0.1875], [0.5, 1.0]], rtol=1e-15)


def test_any_number_of_layers_and_backends() -> None:
    layers = {**_layers(), "ndvi": make_raster(np.array([[0.5, np.nan], [0.1, 0.9]]))}
    weights = {"nep": 0.4, "vegetation": 0.2, "soil": 0.2, "ndvi": 0.2}
    names = list(layers)
    got = assert_backends_agree(
        lambda *a: importance_index(dict(zip(names, a, strict=True)), weights),
        *layers.values(),
        chunks=(1, 2),
    )
    # cell (1, 1): .4 * 1 + .2 * 1 + .2 * 1 + .2 * (0.9 - 0.1) / 0.8 = 1.0; (0, 1) NaN
    assert got.values[1, 1] == pytest.approx(1.0) and np.isnan(got.values[0, 1])


def test_weights_checks() -> None:
    with pytest.warns(LandcarbonWarning, match="sum to 2, not 1"):
        got = importance_index(_layers(), {"nep": 1.0, "vegetation": 0.5, "soil": 0.5})
    np.testing.assert_allclose(got.values, [[0.0, 0.1875], [0.5, 1.0]], rtol=1e-15)
    with pytest.raises(ParameterError, match="every weight is zero"):
        importance_index(_layers(), {"nep": 0.0, "vegetation": 0.0, "soil": 0.0})
    with pytest.raises(ParameterError, match=r"weights without a layer \['npp'\]"):
        importance_index(_layers(), {"npp": 0.5, "nep": 0.5, "vegetation": 0, "soil": 0})
    with pytest.raises(ParameterError, match=r"must be finite and >= 0, got \{'soil': -0.25\}"):
        importance_index(_layers(), {"nep": 1.0, "vegetation": 0.25, "soil": -0.25})


def test_constant_and_empty_layers() -> None:
    with pytest.warns(LandcarbonWarning, match="flat is constant"):
        got = normalise(make_raster(np.full((2, 2), 3.0), name="flat"))
    np.testing.assert_array_equal(got.values, np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="void: every cell is nodata"):
        normalise(make_raster(np.full((2, 2), np.nan), name="void"))


def _index() -> np.ndarray:
    rng = np.random.default_rng(np.random.SeedSequence(5))
    values = np.concatenate([rng.normal(m, 0.03, 40) for m in (0.1, 0.3, 0.5, 0.7, 0.9)])
    values = values.reshape(10, 20)
    values[0, 0] = np.nan
    return values


def test_levels_are_jenks_right_closed() -> None:
    values = _index()
    index = make_raster(values, name="importance_index")
    # a sample as large as the map (200 cells) is the exact fit, on dask input too
    got = assert_backends_agree(
        lambda i: importance_levels(i, sample_size=values.size).levels, index, chunks=(4, 6)
    )
    edges = natural_breaks(values, 5)  # the exact fit of the 199 valid cells
    np.testing.assert_array_equal(importance_levels(index).edges, edges)
    expected = np.searchsorted(edges[1:-1], values, side="left") + 1
    ok = ~np.isnan(values)
    np.testing.assert_array_equal(got.values[ok], expected[ok])
    assert got.values[0, 0] == CLASS_NODATA
    assert np.all(np.bincount(got.values[ok])[1:] >= 38)  # the five clusters


def test_large_map_breaks_are_exact_by_default() -> None:
    # 150 x 150 = 22 500 cells, more than the old 10 000-cell sample: the default must be
    # the exact Jenks partition of every cell (jenkspy's), not a sample's
    rng = np.random.default_rng(np.random.SeedSequence(8))
    values = rng.gamma(2.0, 0.1, (150, 150))
    values[rng.random(values.shape) < 0.05] = np.nan
    index = make_raster(values, name="importance_index")
    exact = natural_breaks(values, 5)
    np.testing.assert_array_equal(importance_levels(index).edges, exact)
    sampled = importance_levels(index, sample_size=2000, seed=3).edges
    assert not np.array_equal(sampled, exact)  # a sample is only taken on request
    assert sampled[0] == np.nanmin(values) and sampled[-1] == np.nanmax(values)
    with pytest.raises(ParameterError, match="sample_size 0: give a positive number of cells"):
        importance_levels(index, sample_size=0)


def test_sampled_fit_keeps_the_range_and_the_seed() -> None:
    values = _index()
    index = make_raster(values)
    a = importance_levels(index, sample_size=50, seed=1)
    b = importance_levels(index.chunk({"y": 3, "x": 7}), sample_size=50, seed=1)
    np.testing.assert_array_equal(a.edges, b.edges)
    assert a.edges[0] == np.nanmin(values) and a.edges[-1] == np.nanmax(values)
    np.testing.assert_array_equal(a.levels.values, b.levels.compute().values)


def test_dask_input_needs_a_sample() -> None:
    index = make_raster(_index(), name="importance_index")
    with pytest.raises(BackendError) as err:
        importance_levels(index.chunk({"y": 4}))
    assert str(err.value) == (
        "the exact natural-breaks fit of importance_index is a global step and holds the whole "
        "map in memory; it does not accept chunked (dask) input. Fix: fit the breaks on a "
        "sample: pass sample_size=N (e.g. 100000; CLI: landcarbon sinks --breaks-sample N)"
    )


def test_too_few_distinct_values() -> None:
    index = make_raster(np.array([[0.1, 0.1, 0.5, 0.9]]), name="idx")
    with pytest.raises(
        ParameterError,
        match=r"idx has 3 distinct value\(s\) in the 4 valid cells; "
        r"5 natural-breaks classes need at least 5",
    ):
        importance_levels(index)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, (3, 4), elements=st.floats(-1e3, 1e3)),
    arrays(np.float64, (3, 4), elements=st.floats(0, 1e3)),
)
def test_index_within_unit_interval(a: np.ndarray, b: np.ndarray) -> None:
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return
    got = importance_index({"a": make_raster(a), "b": make_raster(b)}, {"a": 0.7, "b": 0.3})
    assert np.all(got.values >= -1e-12) and np.all(got.values <= 1 + 1e-12)
