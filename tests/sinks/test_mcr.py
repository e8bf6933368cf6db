"""Cost distance: scikit-image's published example, MCP_Geometric side by side, properties."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from skimage.graph import MCP_Geometric

from landcarbon.errors import AlignmentError, BackendError, ParameterError
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA, read_raster
from landcarbon.sinks import _kernels
from landcarbon.sinks._kernels import cost_distance_kernel
from landcarbon.sinks.mcr import MAX_SWEEPS, cost_distance, link_lengths_m
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


def _maze(cells: int, seed: int) -> np.ndarray:
    """A perfect maze (random depth-first search) of ``cells`` x ``cells`` rooms: corridors
    1 wide between NaN walls, resistance 1..5; (2 cells + 1) square."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    side = 2 * cells + 1
    res = np.full((side, side), np.nan)
    seen = np.zeros((cells, cells), dtype=bool)
    stack = [(0, 0)]
    seen[0, 0] = True
    res[1, 1] = 1.0
    while stack:
        r, c = stack[-1]
        steps = [
            (r + dr, c + dc)
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))
            if 0 <= r + dr < cells and 0 <= c + dc < cells and not seen[r + dr, c + dc]
        ]
        if not steps:
            stack.pop()
            continue
        nr, nc = steps[rng.integers(len(steps))]
        seen[nr, nc] = True
        res[2 * nr + 1, 2 * nc + 1] = 1.0
        res[r + nr + 1, c + nc + 1] = 1.0  # the wall between the two rooms
        stack.append((nr, nc))
    open_ = ~np.isnan(res)
    res[open_] = rng.integers(1, 6, int(open_.sum()))
    return res


def _comb(side: int) -> np.ndarray:
    """Vertical NaN walls every 2nd column with gaps alternately at the bottom and the top:
    the one path snakes up and down (the worst case of the row sweeps)."""
    res = np.linspace(1.0, 3.0, side * side).reshape(side, side)
    for k, c in enumerate(range(1, side - 1, 2)):
        res[:-1, c] = np.nan if k % 2 == 0 else res[:-1, c]
        res[1:, c] = np.nan if k % 2 == 1 else res[1:, c]
    return res


def _spiral(side: int) -> np.ndarray:
    """Concentric NaN square walls, each with one gap on alternating sides (integer
    resistance 1..3: many ties)."""
    res = (np.add.outer(np.arange(side), 2 * np.arange(side)) % 3 + 1).astype(np.float64)
    for k, d in enumerate(range(2, side // 2, 3)):
        res[d, d : side - d] = res[side - d - 1, d : side - d] = np.nan
        res[d : side - d, d] = res[d : side - d, side - d - 1] = np.nan
        gap = (d, side // 2) if k % 2 == 0 else (side - d - 1, side // 2)
        res[gap] = 1.0
    return res


def _adversarial(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(resistance, int32 sources) of the adversarial maps of the exactness tests."""
    rng = np.random.default_rng(np.random.SeedSequence(list(name.encode())))
    src = None
    if name == "maze":
        res = _maze(40, seed=3)
    elif name == "comb":
        res = _comb(81)
        src = np.zeros(res.shape, dtype=np.int32)
        src[0, 0] = 1  # the path's end: it snakes through all 40 walls
    elif name == "spiral":
        res = _spiral(91)
        src = np.zeros(res.shape, dtype=np.int32)
        src[45, 45] = 1  # the centre (inside the walls at 44 and 46): the path winds out
    elif name == "many_sources":
        res = rng.uniform(0.5, 2.0, (120, 97))
        src = (rng.random(res.shape) < 0.2).astype(np.int32) * rng.integers(1, 50, res.shape)
    elif name == "ties":  # integer resistance: equal path sums everywhere
        res = rng.integers(1, 3, (110, 130)).astype(np.float64)
    elif name == "wide_range":  # 1e-3 .. 1e6: additions that round, links that absorb
        res = 10.0 ** rng.uniform(-3, 6, (100, 100))
    else:  # "barriers": 40 % random NaN, unreachable pockets
        res = rng.uniform(1.0, 10.0, (150, 150))
        res[rng.random(res.shape) < 0.4] = np.nan
    if src is None:
        src = np.zeros(res.shape, dtype=np.int32)
        free = np.argwhere(~np.isnan(res))
        picks = free[rng.choice(len(free), 3, replace=False)]
        src[picks[:, 0], picks[:, 1]] = [1, 2, 3]
    src[np.isnan(res)] = 0
    return res, src


ADVERSARIAL = ["maze", "comb", "spiral", "many_sources", "ties", "wide_range", "barriers"]


def _kernel(
    res: np.ndarray, src: np.ndarray, cell: float, eight: bool, max_passes: int, parts: int = 1
) -> tuple[np.ndarray, np.ndarray, int]:
    rows = res.shape[0]
    ew, ns = np.full(rows, cell), np.full(rows - 1, cell)
    diag = np.full(rows - 1, float(np.hypot(cell, cell)))
    return cost_distance_kernel(res, src, ew, ns, diag, eight, True, -1, max_passes, parts)


@pytest.mark.parametrize("name", ADVERSARIAL)
@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("parts", [1, 2, 3])
def test_sweeps_and_dijkstra_identical_to_mcp_geometric(
    name: str, connectivity: int, parts: int
) -> None:
    # the row sweeps (run to convergence; in 1, 2 or 3 bands of rows swept at once, the
    # seams between them pulled between passes) and Dijkstra (max_passes 0) reach the
    # same fixed point: all equal MCP_Geometric bit for bit, barriers and pockets NaN
    res, src = _adversarial(name)
    expected = _skimage(res, src, (30.0, 30.0), connectivity == 8)
    eight = connectivity == 8
    swept, swept_alloc, passes = _kernel(res, src, 30.0, eight, -1, parts)
    dijkstra, dijkstra_alloc, none = _kernel(res, src, 30.0, eight, 0, parts)
    assert passes >= 2 and none == 0
    np.testing.assert_array_equal(swept, expected)
    np.testing.assert_array_equal(dijkstra, expected)
    # allocation: the label of every reached cell is a source whose own cost equals it
    reached = ~np.isnan(expected)
    for alloc in (swept_alloc, dijkstra_alloc):
        assert np.all(alloc[~reached] == -1) and np.all(alloc[src > 0] == src[src > 0])
        for k in np.unique(alloc[reached]):
            own = _skimage(res, (src == k).astype(np.int32), (30.0, 30.0), eight)
            np.testing.assert_array_equal(own[alloc == k], expected[alloc == k])


def test_mazes_need_many_sweeps_and_fall_back_exactly() -> None:
    # the comb's one path turns 40 times, each pass of the sweeps follows it through one
    # corridor of full rows: 42 passes; over the budget of MAX_SWEEPS full passes
    # Dijkstra takes over (passes 0), with the same floats
    res, src = _adversarial("comb")
    _, _, passes = _kernel(res, src, 30.0, True, -1)
    assert passes == 42 > MAX_SWEEPS
    got = cost_distance(make_raster(res), make_raster(src), allocation=True)
    np.testing.assert_array_equal(got.cost.values, _skimage(res, src, (30.0, 30.0)))
    assert _kernel(res, src, 30.0, True, MAX_SWEEPS)[2] == 0
    # winding paths are seen early, whatever the budget: after the first two passes the
    # sweeps keep reaching new cells (a corridor a pass), so Dijkstra takes over
    for name in ("comb", "maze", "spiral"):
        res, src = _adversarial(name)
        for parts in (1, 2):
            assert _kernel(res, src, 30.0, True, 10**6, parts)[2] == 0


def test_smooth_surface_converges_in_few_sweeps() -> None:
    # the benchmark kind of surface (smooth graded factors, 1 % barriers): the sweeps
    # converge well within the budget, so cost_distance does not run Dijkstra
    rng = np.random.default_rng(np.random.SeedSequence(5))
    res = np.repeat(np.repeat(rng.uniform(1.0, 10.0, (6, 6)), 50, 0), 50, 1)
    res = res + rng.uniform(0.0, 0.5, res.shape)
    res[rng.random(res.shape) < 0.01] = np.nan
    src = np.zeros(res.shape, dtype=np.int32)
    src[rng.integers(0, 300, 10), rng.integers(0, 300, 10)] = np.arange(1, 11)
    src[np.isnan(res)] = 0
    cost, _, passes = _kernel(res, src, 30.0, True, MAX_SWEEPS)
    assert 2 <= passes <= MAX_SWEEPS
    assert _kernel(res, src, 30.0, True, 10**6)[2] == passes  # the same, whatever the budget
    np.testing.assert_array_equal(cost, _skimage(res, src, (30.0, 30.0)))


def test_geographic_sweeps_equal_dijkstra() -> None:
    # per-row link lengths (60-70 degrees north): scikit-image has no such grid, so the
    # sweeps are checked against our Dijkstra, cost and allocation
    rng = np.random.default_rng(np.random.SeedSequence(9))
    res = rng.uniform(1.0, 5.0, (80, 60))
    res[rng.random(res.shape) < 0.1] = np.nan
    geo = {"cell_size": 0.125, "crs": "EPSG:4326", "origin": (10.0, 70.0)}
    r = make_raster(res, **geo)  # type: ignore[arg-type]
    ew, ns, diag = link_lengths_m(Grid.from_dataarray(r))
    src = np.zeros(res.shape, dtype=np.int32)
    src[[3, 40, 77], [5, 30, 55]] = [1, 2, 3]
    src[np.isnan(res)] = 0
    for eight in (True, False):
        dijkstra = cost_distance_kernel(res, src, ew, ns, diag, eight, True, -1, 0, 1)
        assert dijkstra[2] == 0
        for parts in (1, 2, 3):
            swept = cost_distance_kernel(res, src, ew, ns, diag, eight, True, -1, -1, parts)
            assert swept[2] >= 2
            np.testing.assert_array_equal(swept[0], dijkstra[0])
        s = make_raster(src, **geo)  # type: ignore[arg-type]
        got = cost_distance(r, s, connectivity=8 if eight else 4).cost.values
        np.testing.assert_array_equal(got, dijkstra[0])


@pytest.mark.parametrize(
    ("rows", "cores", "load", "threads", "expected"),
    [
        (4000, 2, 0.5, 2, 2),  # an idle 2-core machine: two bands
        (4000, 2, 3.0, 2, 1),  # the other core is busy: one band, no waiting for it
        (300, 2, 0.0, 2, 1),  # fewer than 2 x MIN_PART_ROWS rows
        (4000, 16, 0.0, 16, 15),  # 4000 // 256
        (4000, 16, 0.0, 4, 4),  # never above what numba is set to
    ],
)
def test_sweep_parts_follow_threads_load_and_rows(
    monkeypatch: pytest.MonkeyPatch, rows: int, cores: int, load: float, threads: int, expected: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(_kernels, "get_num_threads", lambda: threads)
    assert _kernels.sweep_parts(rows) == expected


def test_cost_distance_in_bands_identical_to_mcp_geometric(monkeypatch: pytest.MonkeyPatch) -> None:
    # through the public call: 600 rows swept in 2 bands (whatever the load), the seam at
    # row 300 crossed both ways; the same floats as MCP_Geometric, labels of equal cost
    monkeypatch.setattr(_kernels, "sweep_threads", lambda limit: 2)
    assert _kernels.sweep_parts(600) == 2
    rng = np.random.default_rng(np.random.SeedSequence(11))
    res = np.repeat(np.repeat(rng.uniform(1.0, 10.0, (12, 6)), 50, 0), 50, 1)
    res = res + rng.uniform(0.0, 0.5, res.shape)
    res[rng.random(res.shape) < 0.01] = np.nan
    src = np.zeros(res.shape, dtype=np.int32)
    src[rng.integers(0, 600, 8), rng.integers(0, 300, 8)] = np.arange(1, 9)
    src[np.isnan(res)] = 0
    got = cost_distance(make_raster(res), make_raster(src), allocation=True)
    expected = _skimage(res, src, (30.0, 30.0))
    np.testing.assert_array_equal(got.cost.values, expected)
    alloc = got.allocation.values  # type: ignore[union-attr]
    for k in np.unique(alloc[~np.isnan(expected)]):
        own = _skimage(res, (src == k).astype(np.int32), (30.0, 30.0))
        np.testing.assert_array_equal(own[alloc == k], expected[alloc == k])
