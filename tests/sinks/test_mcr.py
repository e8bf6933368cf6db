"""Cost distance: scikit-image's published example, MCP_Geometric side by side, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from skimage.graph import MCP_Geometric

from landcarbon.errors import AlignmentError, BackendError, ParameterError
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA, read_raster
from landcarbon.sinks.mcr import cost_distance, link_lengths_m
from landcarbon.testing import make_raster


def _skimage(
    res: np.ndarray, src: np.ndarray, sampling: tuple[float, float], fully_connected: bool = True
) -> np.ndarray:
    """scikit-image reference; NaN (our barrier) is inf (its impassable), unreached -> NaN."""
    mcp = MCP_Geometric(
        np.where(np.isnan(res), np.inf, res), sampling=sampling, fully_connected=fully_connected
    )
    cum, _ = mcp.find_costs(np.argwhere(src > 0))
    return np.where(np.isfinite(cum), cum, np.nan)


@pytest.mark.parametrize(("connectivity", "expected"), [(4, 9.5), (8, 9.19238815542512)])
def test_skimage_published_example(connectivity: int, expected: float) -> None:
    # scikit-image route_through_array docstring: costs [[1, 3], [10, 12]], (0,0) -> (1,1)
    # 4-connected: (1+3)/2 + (3+12)/2 = 2 + 7.5 = 9.5
    # 8-connected: sqrt(2) (1+12)/2 = 9.19238815542512
    r = make_raster(np.array([[1.0, 3.0], [10.0, 12.0]]), cell_size=1.0)
    s = make_raster(np.array([[1, 0], [0, 0]], dtype=np.int32), cell_size=1.0)
    got = cost_distance(r, s, connectivity=connectivity).cost
    assert float(got[1, 1]) == pytest.approx(expected, rel=1e-15)
    assert float(got[0, 1]) == 2.0 and float(got[1, 0]) == 5.5


def test_hand_case_cell_size_and_barrier() -> None:
    # 30 m cells, row [2, 4, NaN, 1]; source at col 0:
    # col 1 = (2+4)/2*30 = 90; col 2 barrier -> NaN; col 3 unreachable -> NaN
    r = make_raster(np.array([[2.0, 4.0, np.nan, 1.0]]))
    s = make_raster(np.array([[1, 0, 0, 0]], dtype=np.int32))
    got = cost_distance(r, s, allocation=True)
    np.testing.assert_array_equal(got.cost.values, [[0.0, 90.0, np.nan, np.nan]])
    assert got.allocation is not None
    np.testing.assert_array_equal(got.allocation.values, [[1, 1, CLASS_NODATA, CLASS_NODATA]])
    assert got.summary() == {"max_cost": 90.0, "mean_cost": 45.0, "cells_reached": 2}


def test_plum_island_slope_identical_to_mcp_geometric(shared_data) -> None:
    slope = read_raster(shared_data / "lulcc_plum_island" / "ef_002.tif")
    res = slope + 1.0  # slope 0 exists; resistance must be > 0
    res.name = "slope_resistance"
    rng = np.random.default_rng(np.random.SeedSequence(11))
    valid = np.argwhere(~np.isnan(res.values))
    picks = valid[rng.choice(len(valid), 25, replace=False)]
    src = np.zeros(res.shape, dtype=np.int32)
    src[picks[:, 0], picks[:, 1]] = np.arange(1, 26)
    sources = res.copy(data=src)
    grid = Grid.from_dataarray(res)
    sampling = (abs(grid.transform.e), abs(grid.transform.a))  # 99.95 m x 99.92 m
    for connectivity in (4, 8):
        got = cost_distance(res, sources, connectivity=connectivity, allocation=True)
        expected = _skimage(res.values, src, sampling, connectivity == 8)
        np.testing.assert_array_equal(np.isnan(got.cost.values), np.isnan(expected))
        np.testing.assert_array_equal(got.cost.values, expected)  # bit for bit
    # allocation: each cell's label is a source whose own cost distance equals the minimum
    assert got.allocation is not None
    alloc = got.allocation.values
    reached = alloc != CLASS_NODATA
    per_source = np.stack(
        [_skimage(res.values, (src == k).astype(int), sampling) for k in range(1, 26)]
    )
    chosen = np.take_along_axis(per_source, (alloc.clip(1) - 1)[None], 0)[0]
    np.testing.assert_allclose(chosen[reached], got.cost.values[reached], rtol=1e-9)


def test_distance_surface_identical_to_mcp_geometric(shared_data) -> None:
    dist = read_raster(shared_data / "lulcc_plum_island" / "ef_003.tif")
    res = dist / 100.0 + 0.5
    src = (dist.values == 0).astype(np.int32)  # built land 1985 as the source
    got = cost_distance(res, res.copy(data=src)).cost.values
    grid = Grid.from_dataarray(res)
    expected = _skimage(res.values, src, (abs(grid.transform.e), abs(grid.transform.a)))
    np.testing.assert_array_equal(got, expected)  # bit for bit


def test_geographic_link_lengths() -> None:
    # 0.01 degree cells at the equator on WGS84: east-west = a * dlon(rad) = 1113.19 m,
    # north-south ~ 1105.7 m (meridian radius of curvature M(0) = a (1 - e2))
    r = make_raster(np.ones((3, 3)), cell_size=0.01, crs="EPSG:4326", origin=(0.0, 0.015))
    ew, ns, diag = link_lengths_m(Grid.from_dataarray(r))
    a, e2 = 6378137.0, 0.00669437999014
    assert ew[1] == pytest.approx(a * np.radians(0.01), rel=1e-6)
    assert ns[0] == pytest.approx(a * (1 - e2) * np.radians(0.01), rel=1e-4)
    assert diag[0] == pytest.approx(np.hypot((ew[0] + ew[1]) / 2, ns[0]), rel=1e-15)


def test_bad_inputs() -> None:
    ones = make_raster(np.ones((3, 3)))
    none = make_raster(np.zeros((3, 3), dtype=np.int32), name="sinks")
    with pytest.raises(ParameterError, match="sinks: no source cells"):
        cost_distance(ones, none)
    one = make_raster(np.eye(3, dtype=np.int32))
    zero = make_raster(np.array([[1.0, 0.0, 1.0], [1, 1, 1], [1, 1, -2]]), name="R")
    with pytest.raises(
        ParameterError,
        match=r"R: 2 cell\(s\) are zero, negative or infinite "
        r"\(first at row 0, col 1: 0.0\)",
    ):
        cost_distance(zero, one)
    with pytest.raises(ParameterError, match="mark impassable cells as NaN"):
        cost_distance(make_raster(np.full((3, 3), np.inf)), one)
    barrier = make_raster(np.array([[np.nan, 1, 1], [1, 1, 1], [1, 1, 1.0]]))
    with pytest.raises(ParameterError, match=r"1 cell\(s\) of the sources lie on barrier"):
        cost_distance(barrier, one)
    half = make_raster(np.array([[0.5, 0, 0], [0, 2.0, 0], [0, 0, np.nan]]))
    with pytest.raises(
        ParameterError,
        match=r"sources: 1 cell\(s\) hold a fractional label \(first at row 0, col 0: 0.5\)",
    ):
        cost_distance(ones, half)
    with pytest.raises(ParameterError, match="connectivity 6: choose 4 or 8"):
        cost_distance(ones, one, connectivity=6)
    with pytest.raises(AlignmentError, match="differs from the resistance shape"):
        cost_distance(ones, make_raster(np.ones((2, 3), dtype=np.int32)))
    with pytest.raises(AlignmentError, match="origin"):
        cost_distance(ones, make_raster(np.eye(3, dtype=np.int32), origin=(0.0, 0.0)))
    with pytest.raises(BackendError, match="cost distance is a global step"):
        cost_distance(ones.chunk({"y": 2, "x": 2}), one)


resistance_maps = arrays(
    np.float64, st.tuples(st.integers(1, 9), st.integers(1, 9)), elements=st.floats(0.01, 100.0)
)


@settings(max_examples=60, deadline=None)
@given(resistance_maps, st.data())
def test_properties(res: np.ndarray, data: st.DataObject) -> None:
    flat = data.draw(st.lists(st.integers(0, res.size - 1), min_size=1, max_size=4))
    src = np.zeros(res.shape, dtype=np.int32)
    src.flat[flat] = 1
    cost = cost_distance(make_raster(res), make_raster(src)).cost.values
    assert np.all(cost[src > 0] == 0.0)  # 0 on sources
    assert np.all(cost >= 0.0)  # never negative (all cells reachable here)
    more = res * data.draw(st.floats(1.0, 3.0)) + data.draw(st.floats(0.0, 5.0))
    cost_more = cost_distance(make_raster(more), make_raster(src)).cost.values
    assert np.all(cost_more >= cost * (1 - 1e-12))  # monotone in resistance
    np.testing.assert_array_equal(cost, _skimage(res, src, (30.0, 30.0)))


def test_float_sources_with_nan_are_labels() -> None:
    # float source maps (NaN nodata) work like integer ones: labels 2 and 3, NaN not a source
    r = make_raster(np.array([[1.0, 1.0, 1.0, 1.0]]), cell_size=1.0)
    s = make_raster(np.array([[2.0, np.nan, 0.0, 3.0]]), cell_size=1.0)
    got = cost_distance(r, s, allocation=True)
    assert got.allocation is not None
    np.testing.assert_array_equal(got.cost.values, [[0.0, 1.0, 1.0, 0.0]])
    assert got.allocation.values[0, 0] == 2 and got.allocation.values[0, 3] == 3


def test_geographic_costs_use_metres() -> None:
    # one row of 0.01 degree cells at the equator: east-west link = 1113.19 m,
    # cost of the 3rd cell = (1 + 2)/2 x ew + (2 + 4)/2 x ew = 4.5 ew
    r = make_raster(
        np.array([[1.0, 2.0, 4.0]]), cell_size=0.01, crs="EPSG:4326", origin=(0.0, 0.005)
    )
    s = make_raster(
        np.array([[1, 0, 0]], dtype=np.int32), cell_size=0.01, crs="EPSG:4326", origin=(0.0, 0.005)
    )
    ew = link_lengths_m(Grid.from_dataarray(r))[0][0]
    got = cost_distance(r, s).cost.values[0]
    np.testing.assert_allclose(got, [0.0, 1.5 * ew, 4.5 * ew], rtol=1e-15)
    assert ew == pytest.approx(1113.19, abs=0.01)


def test_geographic_rows_use_their_own_bands() -> None:
    # 60 degrees north, 1 degree cells: every row and band has its own length, so each
    # link must take the band between its two rows (the kernel tables them per row)
    res = np.array([[1.0, 2.0], [4.0, 8.0], [3.0, 5.0]])
    r = make_raster(res, cell_size=1.0, crs="EPSG:4326", origin=(0.0, 61.5))
    src = np.zeros((3, 2), dtype=np.int32)
    src[0, 0] = 1
    ew, ns, diag = link_lengths_m(Grid.from_dataarray(r))
    assert ns[0] != ns[1] and diag[0] != diag[1] and ew[0] != ew[2]
    s = make_raster(src, cell_size=1.0, crs="EPSG:4326", origin=(0.0, 61.5))
    got = cost_distance(r, s, allocation=True)
    cost = got.cost.values
    assert cost[0, 1] == ew[0] * 0.5 * (1.0 + 2.0)
    assert cost[1, 0] == ns[0] * 0.5 * (1.0 + 4.0)
    # (1, 1): diagonal from (0, 0) or via a neighbour, whichever is cheaper
    assert cost[1, 1] == min(
        diag[0] * 0.5 * (1.0 + 8.0),
        cost[0, 1] + ns[0] * 0.5 * (2.0 + 8.0),
        cost[1, 0] + ew[1] * 0.5 * (4.0 + 8.0),
    )
    assert cost[2, 0] == min(
        cost[1, 0] + ns[1] * 0.5 * (4.0 + 3.0), cost[1, 1] + diag[1] * 0.5 * (8.0 + 3.0)
    )
    assert got.allocation is not None and np.all(got.allocation.values == 1)
