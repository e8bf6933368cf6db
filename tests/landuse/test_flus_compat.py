"""FLUS ``flus_compat``: the GeoSOS-FLUS C++ sweep, checked against a line-by-line Python
transcription of ``runloop2`` (XunGST/flusver1.0 ``simulationprocess.cpp``, as the pyflus-ca
port writes it) fed with the same random numbers; the default mode is left unchanged
(tests/landuse/test_allocation.py keeps its numbers)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from landcarbon.errors import ParameterError
from landcarbon.landuse import _kernels
from landcarbon.landuse.allocation import (
    FlusParameters,
    allocate,
    flus_reversal_flags,
    seed_key,
)
from landcarbon.landuse.conversion import ConversionMatrix
from landcarbon.raster import CLASS_NODATA
from landcarbon.testing import make_raster


def _stack(prob: np.ndarray, codes: list[int]) -> xr.DataArray:
    layers = [make_raster(p) for p in prob]
    return xr.concat(layers, dim="class").assign_coords({"class": codes})


def test_reversal_flags_hand_trace():
    g0 = np.array([10, -10, 0, 20])
    best, flags = g0.astype(float), np.zeros(4, dtype=bool)
    # iteration 1: classes 0 and 1 get closer (best follows), class 3 drifts by 1/20 = 5 %:
    # not above 5 %, no flag
    best, flags = flus_reversal_flags(np.array([6, -4, 0, 21]), g0, best, flags)
    assert best.tolist() == [6, -4, 0, 20] and flags.tolist() == [False] * 4
    # iteration 2: class 0 drifts from 6 to 7 (1/10 > 5 %), class 1 from -4 to -4.4 would be
    # 4 %; class 3 from 20 to 22 (2/20 = 10 %); class 2 (G0 = 0) stays 0: never flagged
    best, flags = flus_reversal_flags(np.array([7, -4, 0, 22]), g0, best, flags)
    assert flags.tolist() == [True, False, False, True]
    # a flag is never cleared, also when the class comes back to its best
    best, flags = flus_reversal_flags(np.array([1, -1, 0, 2]), g0, best, flags)
    assert flags.tolist() == [True, False, False, True] and best.tolist() == [1, -1, 0, 2]


def _cpp_runloop2(land, prob, future, cost, weights, max_iter, key, accel=0.1):
    """runloop2 of the FLUS C++ source (pyflus-ca's transcription), one cell at a time.

    Only the random numbers differ from the C++ (``rand()``): the roulette and acceptance
    uniforms come from landcarbon's counter-based generator, so both runs draw the same.
    Classes are 0..K-1 here, -1 nodata; 3 x 3 window.
    """
    land = land.copy()
    rows, cols = land.shape
    n = prob.shape[0]
    counts = np.array([(land == c).sum() for c in range(n)])
    initial = future - counts
    dyna = initial * 1.01
    best = initial.astype(float)
    effect = np.ones(n)
    flag = np.zeros(n, dtype=bool)
    for k in range(max_iter):
        dist = future - counts
        if not np.abs(dist).any():
            return land, k
        for c in range(n):
            if abs(best[c]) > abs(dist[c]):
                best[c] = dist[c]
            elif initial[c] != 0 and (abs(dist[c]) - abs(best[c])) / abs(initial[c]) > 0.05:
                flag[c] = True
            adj = dist[c] / dyna[c] if dyna[c] != 0 else 0.0
            if 0 < adj < 1:
                dyna[c] = dist[c]
                if initial[c] > 0 and adj > 1 - accel:
                    effect[c] *= adj + accel
                if initial[c] < 0 and adj > 1 - accel:
                    effect[c] *= 1 / (adj + accel)
            if initial[c] > 0 and adj > 1:
                effect[c] *= adj * adj
            if initial[c] < 0 and adj > 1:
                effect[c] *= 1 / adj / adj
        temp = land.copy()
        for i in range(rows):
            for j in range(cols):
                old = land[i, j]
                if old < 0:
                    continue
                val = np.zeros(n)
                for dx in (-1, 0, 1):
                    for dy in (-1, 0, 1):
                        x, y = i + dx, j + dy
                        if (dx or dy) and 0 <= x < rows and 0 <= y < cols and land[x, y] >= 0:
                            val[land[x, y]] += 1
                p = np.array([prob[c, i, j] * (val[c] / 8) * (weights[c] + 1e-9) for c in range(n)])
                p[old] *= effect[old] * 10 * n
                p = p * cost[old]
                if p.sum() == 0:
                    continue
                roulette = np.concatenate([[0.0], np.cumsum(p / p.sum())])
                cell = i * cols + j
                r = _kernels.uniform(key, k, cell, _kernels.STREAM_ROULETTE)
                for new in range(n):
                    if roulette[new] < r <= roulette[new + 1]:
                        convert = old != new and cost[old, new] != 0
                        if initial[new] >= 0 and future[new] - counts[new] == 0:
                            effect[new] = 1.0
                            convert = False
                        if initial[old] <= 0 and future[old] - counts[old] == 0:
                            effect[old] = 1.0
                            convert = False
                        if initial[old] >= 0 and flag[old]:
                            convert = False
                        if initial[new] <= 0 and flag[new]:
                            convert = False
                        if convert:
                            r3 = _kernels.uniform(key, k, cell, _kernels.STREAM_ACCEPT)
                            convert = (r3 + 1.0 / n) / (k + 1) < prob[new, i, j]
                        if convert:
                            temp[i, j] = new
                            counts[new] += 1
                            counts[old] -= 1
                        break
        land = temp
        counts = np.array([(land == c).sum() for c in range(n)])
    return land, max_iter


def _case(seed: int):
    rng = np.random.default_rng(seed)
    shape = (14, 17)
    lu = rng.choice([1, 2, 3], size=shape, p=[0.55, 0.3, 0.15]).astype(np.int32)
    lu[0, :2] = CLASS_NODATA
    prob = rng.uniform(0.0, 1.0, size=(3, *shape))
    counts = np.array([(lu == c).sum() for c in (1, 2, 3)])
    future = counts + np.array([-30, 18, 12])
    return lu, prob, future


@pytest.mark.parametrize("seed", [0, 1])
def test_flus_compat_equals_the_cpp_transcription(seed: int):
    lu, prob, future = _case(seed)
    weights = np.array([0.6, 1.0, 0.8])
    cost = np.ones((3, 3))
    cost[2, 0] = 0  # class 3 may not become class 1
    params = FlusParameters(
        flus_compat=True,
        neighborhood_weights={1: 0.6, 2: 1.0, 3: 0.8},
        max_iterations=60,
        lock_in_iterations=60,
    )
    rules = ConversionMatrix((1, 2, 3), cost.astype(bool))
    result = allocate(
        make_raster(lu),
        _stack(prob, [1, 2, 3]),
        dict(zip((1, 2, 3), future.tolist(), strict=True)),
        conversion=rules,
        parameters=params,
        seed=seed,
    )
    cls = np.where(lu > 0, lu - 1, -1)
    expected, iterations = _cpp_runloop2(
        cls, prob, future, cost, weights, 60, seed_key(result.seed)
    )
    got = np.where(result.lulc.values > 0, result.lulc.values - 1, -1)
    np.testing.assert_array_equal(got, expected)
    assert result.iterations == iterations


def test_flus_compat_changes_the_run_and_the_default_is_unchanged():
    lu, prob, future = _case(0)
    demand = dict(zip((1, 2, 3), future.tolist(), strict=True))
    args = (make_raster(lu), _stack(prob, [1, 2, 3]), demand)
    default = allocate(*args, parameters=FlusParameters(), seed=3)
    again = allocate(*args, parameters=FlusParameters(flus_compat=False), seed=3)
    compat = allocate(*args, parameters=FlusParameters(flus_compat=True), seed=3)
    np.testing.assert_array_equal(default.lulc.values, again.lulc.values)
    assert not np.array_equal(default.lulc.values, compat.lulc.values)
    # landcarbon's gates: only the 30 cells class 1 must give change, each once
    assert int((default.lulc.values != lu).sum()) == 30
    # FLUS's gate lets a growing class give cells and a shrinking one receive them: the
    # total residual first grows (60 -> 64 cells) and more cells change than the net 30
    assert compat.converged
    assert compat.residual_history[:2].tolist() == [60, 64]
    assert int((compat.lulc.values != lu).sum()) > 30


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variant": "paper"}, "use it with variant = 'released'"),
        ({"transition_plan": True}, "set transition_plan = false"),
        ({"development_class": 2}, "no development zones"),
    ],
)
def test_flus_compat_refuses_what_flus_does_not_have(kwargs: dict, message: str):
    with pytest.raises(ParameterError, match=message):
        FlusParameters(flus_compat=True, **kwargs)
