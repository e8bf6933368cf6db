"""Optimal-parameter GeoDetector: sdsfun discretisation rules re-implemented literally
(per-value loops, as the C++ reference) on the Inner Mongolia NDVI table, and the grid."""

from __future__ import annotations

import math

import jenkspy
import numpy as np
import pandas as pd
import pytest

from landcarbon.errors import ParameterError
from landcarbon.stats.classify import METHODS
from landcarbon.stats.drivers import geodetector_table
from landcarbon.stats.opgd import optimal_discretization

CONTINUOUS = ["Tempchange", "Precipitation", "GDP", "Popdensity"]


@pytest.fixture(scope="module")
def ndvi(request):
    folder = request.getfixturevalue("shared_data") / "geodetector_ndvi_innermongolia"
    return pd.read_csv(folder / "ndvi_40.csv")


def _q_groupby(y: np.ndarray, classes: list[int]) -> float:
    frame = pd.DataFrame({"y": y, "c": classes})
    g = frame.groupby("c")["y"]
    return float(1 - (g.var(ddof=0) * g.count()).sum() / (y.var() * y.size))


def _equal_sdsfun(x, k):
    lo, w = min(x), (max(x) - min(x)) / k
    return [min(max(1, math.ceil((v - lo) / w)), k) for v in x]


def _quantile_sdsfun(x, k):
    s = sorted(x)
    cuts = [s[int(i * (len(s) - 1) / k)] for i in range(k + 1)]
    return [next(j + 1 for j in range(k) if v <= cuts[j + 1]) for v in x]


def _sd_sdsfun(x, k):
    mean, sd = float(np.mean(x)), float(np.std(x, ddof=1))
    return [min(max(1, math.floor((v - mean) / sd + k / 2)), k) for v in x]


def _natural_left_closed(x, k):
    b = jenkspy.jenks_breaks(x, k)
    return [k if v >= b[-1] else next(j + 1 for j in range(k) if v < b[j + 1]) for v in x]


@pytest.mark.parametrize("column", CONTINUOUS)
def test_grid_matches_literal_sdsfun_rules(ndvi, column):
    y, x = ndvi["NDVIchange"].to_numpy(), ndvi[column].to_list()
    result = optimal_discretization(y, ndvi[column], column)
    assert list(result.grid.index) == list(METHODS)
    assert list(result.grid.columns) == list(range(3, 16))
    for k in (3, 7, 15):
        for method, rule in (
            ("equal", _equal_sdsfun),
            ("quantile", _quantile_sdsfun),
            ("sd", _sd_sdsfun),
            ("natural", _natural_left_closed),
        ):
            assert result.grid.loc[method, k] == pytest.approx(_q_groupby(y, rule(x, k)), abs=1e-10)


def test_geometric_not_applicable_with_zero_values(ndvi):
    # GDP has zeros: geometric breaks (min * f^j) are undefined, so q is NaN
    result = optimal_discretization(ndvi["NDVIchange"], ndvi["GDP"], "GDP")
    assert result.grid.loc["geometric"].isna().all()


def test_best_is_first_max_in_k_then_method_order(ndvi):
    result = optimal_discretization(ndvi["NDVIchange"], ndvi["Precipitation"], "Precipitation")
    grid = result.grid
    order = [(m, k) for k in grid.columns for m in sorted(grid.index)]
    best = max(order, key=lambda mk: (grid.loc[mk], -order.index(mk)))
    assert (result.method, result.k) == best
    assert result.q == grid.to_numpy()[~np.isnan(grid.to_numpy())].max()
    classes = result.classes
    assert classes.min() >= 1 and classes.max() <= result.k


def test_ties_go_to_smallest_k_then_alphabetical_method():
    # x = 1..9, y in three blocks of three. k = 3: equal (w = 8/3, ceil((x-1)/w) = 1 1 1 2 2 2
    # 3 3 3) and quantile (cuts sorted[int(j*8/3)] = 1, 3, 6, 9) both split y exactly: q = 1.
    # k = 4 equal puts x = 6, 7 (y = 5, 10) together, so q < 1 there.
    x = np.arange(1.0, 10.0)
    y = np.repeat([0.0, 5.0, 10.0], 3)
    result = optimal_discretization(y, x, methods=["quantile", "equal"], ks=[4, 3])
    assert result.grid.loc["quantile", 3] == result.grid.loc["equal", 3] == pytest.approx(1.0)
    assert result.grid.loc["equal", 4] < 1.0
    assert (result.method, result.k) == ("equal", 3)


def test_auto_discretizes_only_non_integer_columns(ndvi):
    result = geodetector_table(
        ndvi, "NDVIchange", ["Climatezone", "Mining", "Precipitation"], discretize="auto"
    )
    assert set(result.discretization) == {"Precipitation"}
    d = result.discretization["Precipitation"]
    assert result.factor["Precipitation"].q == pytest.approx(d["q"], abs=1e-12)
    assert result.factor["Climatezone"].strata == ndvi["Climatezone"].nunique()


def test_singleton_classes_kept_or_dropped():
    # equal, k = 3: w = 99/3 = 33, ceil((x - 1)/33) = 0 0 2 2 3 -> classes 1 1 2 2 3;
    # SSW = 0.5 + 2 = 2.5. Kept: mean 7, SST = 36 + 25 + 4 + 0 + 169 = 234.
    # Dropped (gdverse): the one-row class 3 leaves y = 1 2 5 7, SST = 22.75.
    x = np.array([1.0, 2.0, 40.0, 41.0, 100.0])
    y = np.array([1.0, 2.0, 5.0, 7.0, 20.0])
    keep = optimal_discretization(y, x, ks=[3], methods=["equal"])
    drop = optimal_discretization(y, x, ks=[3], methods=["equal"], keep_singletons=False)
    assert keep.q == pytest.approx(1 - 2.5 / 234)
    assert drop.q == pytest.approx(1 - 2.5 / 22.75)


def test_bad_parameters():
    with pytest.raises(ParameterError, match=r"unknown discretisation method\(s\) \['kmeans'\]"):
        optimal_discretization([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], methods=["kmeans"])
    with pytest.raises(ParameterError, match="give k values >= 2"):
        optimal_discretization([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], ks=[1])
    with pytest.raises(ParameterError, match="factor 'c': no discretisation"):
        optimal_discretization([1.0, 2.0, 3.0], [4.0, 4.0, 4.0], "c")
