"""Discretisation: published Jenks breaks (jenkspy, mapclassify), jenkspy side by side,
hand cases for every method and closure, bad inputs."""

from __future__ import annotations

import json
import os
from fractions import Fraction

import jenkspy
import mapclassify
import numba
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landcarbon.errors import BackendError, ParameterError
from landcarbon.stats._kernels import (
    _prefix_sums,
    dp_table,
    fisher_jenks_edges,
    merged_unique_counts,
    sorted_unique_counts,
)
from landcarbon.stats.classify import (
    PARALLEL_MIN_VALUES,
    _distinct,
    _finite,
    _row_threads,
    _sorted_finite,
    assign_classes,
    breaks,
    discretize,
    equal_interval_breaks,
    geometric_breaks,
    natural_breaks,
    natural_breaks_upto,
    quantile_breaks,
    sd_breaks,
)
from landcarbon.testing import make_raster


# ----------------------------------------------------------------- published references
def test_jenkspy_data1_published_breaks(shared_data):
    folder = shared_data / "jenks_natural_breaks"
    expected = json.loads((folder / "expected.json").read_text())["jenkspy_data1"]
    values = json.loads((folder / "jenkspy_test_data.json").read_text())
    edges = natural_breaks(values, 5)
    np.testing.assert_allclose(edges, expected["breaks_published_places_6"], atol=1e-6)
    # the full-precision edges are data values, so they must match exactly
    np.testing.assert_array_equal(edges, expected["breaks_full_precision_derived_check"])


def test_jenkspy_data2_published_breaks_and_labels(shared_data):
    folder = shared_data / "jenks_natural_breaks"
    expected = json.loads((folder / "expected.json").read_text())["jenkspy_data2"]
    values = json.loads((folder / "jenkspy_data2.json").read_text())
    edges = natural_breaks(values, 4)
    np.testing.assert_array_equal(edges, expected["breaks"])
    labels = assign_classes(values, edges, closed="right") - 1
    np.testing.assert_array_equal(labels, expected["labels_0_based"])
    np.testing.assert_array_equal(np.bincount(labels), expected["class_sizes"])


@pytest.mark.parametrize("k, key", [(5, "fisher_jenks_k5"), (9, "fisher_jenks_k9_derived_check")])
def test_calemp_fisher_jenks_bins_counts_adcm(shared_data, k, key):
    folder = shared_data / "jenks_natural_breaks"
    expected = json.loads((folder / "expected.json").read_text())["calemp"]
    y = pd.read_csv(folder / "calempdensity.csv")["emp/sq km"].to_numpy()
    edges = natural_breaks(y, k)
    np.testing.assert_allclose(edges[1:], expected[key]["bins"], rtol=0, atol=1e-9)
    classes = assign_classes(y, edges)
    np.testing.assert_array_equal(np.bincount(classes)[1:], expected[key]["counts"])
    adcm = sum(np.abs(y[classes == c] - np.median(y[classes == c])).sum() for c in range(1, k + 1))
    assert round(adcm, 2) == expected[key]["adcm"]
    # mapclassify's find_bin examples: value == bin joins the lower class (right-closed)
    find = expected["find_bin_published"]
    got = assign_classes(find["values"], edges, closed="right") - 1
    np.testing.assert_array_equal(got, find[f"k{k}"])


def test_calemp_equal_interval_published(shared_data):
    folder = shared_data / "jenks_natural_breaks"
    expected = json.loads((folder / "expected.json").read_text())["calemp"]["equal_interval_k5"]
    y = pd.read_csv(folder / "calempdensity.csv")["emp/sq km"].to_numpy()
    edges = equal_interval_breaks(y, 5)
    np.testing.assert_allclose(edges[1:], expected["bins"], atol=5e-4)  # published to 3 places
    classes = assign_classes(y, edges)
    np.testing.assert_array_equal(np.bincount(classes, minlength=6)[1:], expected["counts"])


# ----------------------------------------------------------------- jenkspy side by side
def _exact_ssw(values: np.ndarray, edges: np.ndarray) -> Fraction:
    """Within-class sum of squares in exact rational arithmetic."""
    classes = assign_classes(values, edges)
    total = Fraction(0)
    for c in np.unique(classes):
        members = [Fraction(float(v)) for v in values[classes == c]]
        mean = sum(members) / len(members)
        total += sum((v - mean) ** 2 for v in members)
    return total


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=120),
        st.lists(st.integers(0, 25).map(float), min_size=2, max_size=120),
    ),
    st.integers(1, 8),
)
def test_partition_is_optimal_like_jenkspy(values, k):
    """Either the same edges as jenkspy or an equally good partition up to floating-point
    resolution: exact ties (integers, a midpoint value) are broken by rounding noise in
    both implementations, and partitions whose within-class sums of squares differ by less
    than ~1e-16 of the total sum of squares cannot be told apart in double precision."""
    x = np.asarray(values)
    k = min(k, np.unique(x).size)
    ours, ref = natural_breaks(x, k), np.asarray(jenkspy.jenks_breaks(x, k))
    if not np.array_equal(ours, ref):
        total = _exact_ssw(x, np.array([x.min(), x.max()]))
        assert _exact_ssw(x, ours) <= _exact_ssw(x, ref) + Fraction(1e-12) * total


@pytest.mark.parametrize("seed", range(6))
def test_same_breaks_as_jenkspy_on_continuous_data(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=int(rng.integers(10, 600))) * 10 ** rng.uniform(-3, 5)
    for k in (2, 4, 6, 9):
        np.testing.assert_array_equal(natural_breaks(x, k), jenkspy.jenks_breaks(x, k))


def test_same_as_jenkspy_on_3000_gamma_values():
    x = np.random.default_rng(11).gamma(2.0, 3.0, 3000)
    for k in (3, 7, 12):
        np.testing.assert_array_equal(natural_breaks(x, k), jenkspy.jenks_breaks(x, k))


@pytest.mark.parametrize("seed", range(8))
def test_weighted_unique_values_equal_jenkspy_on_the_repeated_data(seed):
    """The kernel works on unique values with counts: every k from one programme equals
    jenkspy on the data with each value repeated ``count`` times (tied data), including the
    pruned scan and the previous-row bound on the split point."""
    rng = np.random.default_rng(seed)
    unique = np.unique(rng.gamma(2.0, 3.0, int(rng.integers(30, 250))))
    counts = rng.integers(1, 12, unique.size)
    counts[rng.random(unique.size) < 0.1] = 40  # a few heavy ties
    x = np.repeat(unique, counts)
    table = fisher_jenks_edges(unique, counts.astype(np.int64), 9)
    for k in range(1, 10):
        expected = np.asarray(jenkspy.jenks_breaks(x, k))
        np.testing.assert_array_equal(table[k - 1, : k + 1], expected)
        np.testing.assert_array_equal(natural_breaks_upto(x, 9)[k - 1], expected)


@pytest.mark.parametrize("k_max", [2, 3, 5, 8])
def test_second_last_row_filled_from_the_last_class_keeps_every_k_exact(k_max):
    """The row before the last is filled only from the start of its last class at the end
    of the data (all the last row reads): with a few outliers on top that is a handful of
    cells, and every k <= k_max must still equal jenkspy."""
    rng = np.random.default_rng(k_max)
    x = np.concatenate([rng.gamma(2.0, 3.0, 400), [80.0, 95.0, 95.0, 140.0]])
    table = natural_breaks_upto(x, k_max)
    for k in range(1, k_max + 1):
        np.testing.assert_array_equal(table[k - 1], jenkspy.jenks_breaks(x, k))


def _full_programme_splits(unique, counts, k_max):
    """Every split point of the full O(k m^2) programme on the kernel's own prefix sums
    (the first optimum on ties): row j, cell i >= j."""
    sums = np.full((3, unique.size + 1), np.nan)
    unit = _prefix_sums(unique, counts.astype(np.int64), sums)
    s1, s2, w = sums
    assert unit == bool(np.all(counts == 1)) and np.isnan(w).all() == unit

    def ss(a, b):  # classes a..b, vectorised over a
        total = s1[b + 1] - s1[a]
        weight = (b + 1.0 - a) if unit else (w[b + 1] - w[a])
        return np.maximum((s2[b + 1] - s2[a]) - total * total / weight, 0.0)

    m = unique.size
    cost = ss(np.zeros(m, dtype=np.int64), np.arange(m))
    split = np.zeros((k_max, m), dtype=np.int64)
    for j in range(1, k_max):
        row = np.full(m, np.inf)
        for i in range(j, m):
            t = np.arange(j, i + 1)
            values = cost[t - 1] + ss(t, i)
            row[i] = values.min()
            split[j, i] = t[np.argmin(values)]
        cost = row
    return split


@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("k_max", [2, 5, 9])
def test_rows_filled_on_demand_hold_the_full_programme_where_read(parts, k_max):
    """Each row is filled only from the cell the row above reads (the last row at the end
    of the data alone): filled[j - 1] = max(j - 1, split[j - 1][filled[j]] - 1), well under
    the full rows, and every filled split point is that of the full O(k m^2) programme
    (same prefix sums, first optimum on ties); tied data go through the weights."""
    rng = np.random.default_rng(k_max)
    x = rng.gamma(2.0, 3.0, 400)
    for data in (x, np.round(x, 1)):
        unique, counts = np.unique(data, return_counts=True)
        m = unique.size
        split, filled = dp_table(unique, counts.astype(np.int64), k_max, parts)
        assert filled[0] == 0 and filled[k_max - 1] == m - 1
        for j in range(2, k_max):
            assert filled[j - 1] == max(j - 1, split[j - 1][filled[j]] - 1)
        assert (m - filled[1:]).sum() < 0.5 * (k_max - 1) * m
        full = _full_programme_splits(unique, counts, k_max)
        for j in range(1, k_max):
            np.testing.assert_array_equal(split[j][filled[j] :], full[j][filled[j] :])


@pytest.mark.parametrize("parts", [2, 3])
def test_rows_on_threads_and_in_blocks_give_jenkspy_edges_for_every_k(parts):
    """Rows shared out to ``parts`` threads (top levels first, then subranges) and cells
    scanned in vectorised blocks (the top cells of 3000 values have windows of over 1024
    candidates) give the edges of one thread, which are jenkspy's, for k up to 15:
    continuous and tied data, and integers on a 1e9 offset give the same classes."""
    x = np.random.default_rng(parts).gamma(2.0, 3.0, 3000)
    tied = np.round(x, 1)
    for data in (x, tied):
        unique, counts = np.unique(data, return_counts=True)
        one = fisher_jenks_edges(unique, counts.astype(np.int64), 15, 1)
        table = fisher_jenks_edges(unique, counts.astype(np.int64), 15, parts)
        np.testing.assert_array_equal(table, one)
        for k in (2, 5, 9, 15):
            np.testing.assert_array_equal(table[k - 1, : k + 1], jenkspy.jenks_breaks(data, k))
    ints = np.unique(np.round(x * 100))
    ones = np.ones(ints.size, dtype=np.int64)
    np.testing.assert_array_equal(
        fisher_jenks_edges(ints + 1e9, ones, 15, parts) - 1e9, fisher_jenks_edges(ints, ones, 15, 1)
    )


@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("k", [1, 2, 5, 15])
def test_tiny_data_k_up_to_15_on_threads(parts, k):
    """n = k (every value its own class), n = k + 1 and n = 3k with ties: jenkspy's edges,
    on one thread or shared out (fewer cells than subranges)."""
    rng = np.random.default_rng(k)
    for x in (rng.normal(size=k), rng.normal(size=k + 1), np.round(rng.normal(size=3 * k), 1)):
        if np.unique(x).size < k:
            continue
        unique, counts = np.unique(x, return_counts=True)
        table = fisher_jenks_edges(unique, counts.astype(np.int64), k, parts)
        np.testing.assert_array_equal(table[k - 1], jenkspy.jenks_breaks(x, k))


def test_sorted_unique_counts_is_numpy_unique_with_counts():
    x = np.sort(np.random.default_rng(4).gamma(2.0, 3.0, 20_000))
    for data in (x, np.round(x, 1), np.array([2.5]), np.array([-1.0, -1.0, 0.0, 7.0, 7.0])):
        unique, counts = sorted_unique_counts(np.sort(data))
        expected, expected_counts = np.unique(data, return_counts=True)
        np.testing.assert_array_equal(unique, expected)
        np.testing.assert_array_equal(counts, expected_counts)
        assert counts.dtype == np.int64


def test_row_threads_one_on_a_busy_machine_or_few_values(monkeypatch):
    """Natural breaks share rows out to the threads the load leaves a core, never below
    PARALLEL_MIN_VALUES distinct values; the edges do not depend on it (tests above)."""
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert _row_threads(PARALLEL_MIN_VALUES - 1) == 1
    assert _row_threads(PARALLEL_MIN_VALUES) == min(numba.get_num_threads(), cores)
    monkeypatch.setattr(os, "getloadavg", lambda: (cores + 4.0, 0.0, 0.0))
    assert _row_threads(1 << 20) == 1


def test_mapclassify_fisher_jenks_agrees():
    x = np.random.default_rng(5).lognormal(size=800)
    fj = mapclassify.FisherJenks(x, k=6)
    np.testing.assert_allclose(natural_breaks(x, 6)[1:], fj.bins, rtol=1e-12)


def test_nan_ignored_and_offset_data_stays_exact():
    x = np.random.default_rng(2).normal(size=500)
    with_nan = np.concatenate([x, [np.nan, np.nan]])
    np.testing.assert_array_equal(natural_breaks(with_nan, 4), natural_breaks(x, 4))
    # a large offset must not change the partition (values are centred before summing)
    shifted = natural_breaks(x + 1e7, 4) - 1e7
    np.testing.assert_allclose(shifted, natural_breaks(x, 4), atol=1e-8)


def test_adversarial_inputs_constant_two_values_and_ties():
    """Degenerate data: one distinct value (k = 1 only), two distinct values (each its own
    class whatever the counts), k = number of distinct values (every value its own class),
    and a million values with three distinct ones (the weighted kernel sees 3 cells)."""
    np.testing.assert_array_equal(natural_breaks([4.5] * 7, 1), [4.5, 4.5])
    with pytest.raises(
        ParameterError, match="2 classes need at least 2 distinct values, the data have 1"
    ):
        natural_breaks([4.5] * 7, 2)
    x = np.array([3.0] * 999 + [-2.0])
    np.testing.assert_array_equal(natural_breaks(x, 2), [-2.0, -2.0, 3.0])
    np.testing.assert_array_equal(natural_breaks(x, 1), [-2.0, 3.0])
    y = np.array([5.0, 1.0, 3.0, 1.0, 5.0, 2.0])
    np.testing.assert_array_equal(natural_breaks(y, 4), [1.0, 1.0, 2.0, 3.0, 5.0])
    big = np.repeat([0.0, 1.0, 10.0], [500_000, 400_000, 100_000])
    np.testing.assert_array_equal(natural_breaks(big, 2), [0.0, 1.0, 10.0])
    np.testing.assert_array_equal(natural_breaks(big, 3), [0.0, 0.0, 1.0, 10.0])


@pytest.mark.parametrize("seed", range(3))
def test_ties_and_continuous_agree_with_jenkspy_at_5000_values(seed):
    """Rounded (tied, as real rasters) and continuous data at 5000 values, k = 5: the
    weighted kernel on unique values with counts equals jenkspy on the raw data."""
    x = np.random.default_rng(seed).gamma(2.0, 3.0, 5000)
    for data in (x, np.round(x, 1)):
        np.testing.assert_array_equal(natural_breaks(data, 5), jenkspy.jenks_breaks(data, 5))


# ----------------------------------------------------------------- hand cases
def test_natural_breaks_hand_case():
    # jenkspy's docstring example: [1.2, 2.3 | 3.9 ... 5.0 | 7.1 ... 7.8]
    x = [1.3, 7.1, 7.3, 2.3, 3.9, 4.1, 7.8, 1.2, 4.3, 7.3, 5.0, 4.3]
    np.testing.assert_array_equal(natural_breaks(x, 3), [1.2, 2.3, 5.0, 7.8])
    np.testing.assert_array_equal(natural_breaks(x, 1), [1.2, 7.8])


def test_assign_classes_closures():
    edges = [0.0, 1.0, 2.0, 3.0]
    x = np.array([[0.0, 0.5, 1.0], [1.5, 2.0, 3.0], [-1.0, 4.0, np.nan]])
    right = assign_classes(x, edges, closed="right")
    left = assign_classes(x, edges, closed="left")
    # right-closed: [0,1] -> 1, (1,2] -> 2, (2,3] -> 3; outside -> first/last class
    np.testing.assert_array_equal(right, [[1, 1, 1], [2, 2, 3], [1, 3, 0]])
    # left-closed: [0,1) -> 1, [1,2) -> 2, [2,3] -> 3
    np.testing.assert_array_equal(left, [[1, 1, 2], [2, 3, 3], [1, 3, 0]])


def test_quantile_rule_truncating_index():
    x = np.arange(1.0, 11.0)  # n = 10, k = 3: indices int(j*9/3) = 0, 3, 6, 9
    np.testing.assert_array_equal(quantile_breaks(x, 3), [1.0, 4.0, 7.0, 10.0])
    # right-closed: 1..4 -> 1, 5..7 -> 2, 8..10 -> 3
    np.testing.assert_array_equal(discretize(x, "quantile", 3), [1, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    # ties: equal cut-points are kept; the repeated minimum is a class of its own
    # n = 5, k = 4: indices 0, 1, 2, 3, 4 -> cuts 1, 1, 1, 1, 2
    np.testing.assert_array_equal(quantile_breaks([1, 1, 1, 1, 2], 4), [1, 1, 1, 1, 2])
    # n = 3, k = 4: indices int(j*2/4) = 0, 0, 1, 1, 2 -> cuts 1, 1, 1.5, 1.5, 2;
    # first j with x <= cut_j: 1 -> 1, 1.5 -> 2, 2 -> 4 (class 3 stays empty)
    np.testing.assert_array_equal(discretize([1, 1.5, 2], "quantile", 4), [1, 2, 4])


def test_equal_interval_ceil_rule():
    x = np.array([0.0, 1.0, 2.5, 5.0, 7.5, 10.0])  # w = 10/4 = 2.5
    # ceil(x/2.5) = 0, 1, 1, 2, 3, 4 -> clipped to 1..4
    np.testing.assert_array_equal(discretize(x, "equal", 4), [1, 1, 1, 2, 3, 4])
    np.testing.assert_array_equal(breaks(x, 4, "equal"), [0.0, 2.5, 5.0, 7.5, 10.0])


def test_geometric_rule():
    x = np.array([1.0, 2.0, 3.9, 4.0, 16.0])  # f = (16/1)^(1/4) = 2
    np.testing.assert_allclose(geometric_breaks(x, 4), [1, 2, 4, 8, 16])
    # floor(log2(x)) + 1 = 1, 2, 2, 3, 5 -> clipped to 4
    np.testing.assert_array_equal(discretize(x, "geometric", 4), [1, 2, 2, 3, 4])


def test_sd_rules():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])  # mean 0, sample sd sqrt(2.5)
    s = np.sqrt(2.5)
    # sdsfun: floor(z + 5/2): z = -1.26, -0.63, 0, 0.63, 1.26 -> 1, 1, 2, 3, 3
    np.testing.assert_array_equal(discretize(x, "sd", 5), [1, 1, 2, 3, 3])
    np.testing.assert_allclose(sd_breaks(x, 5)[1:-1], np.array([-0.5, 0.5, 1.5, 2.5]) * s)
    np.testing.assert_allclose(
        sd_breaks(x, 4, convention="centred")[1:-1], np.array([-1.0, 0.0, 1.0]) * s
    )
    # the left-closed edges give the same classes as the direct formula
    np.testing.assert_array_equal(assign_classes(x, sd_breaks(x, 5), "left"), [1, 1, 2, 3, 3])


def test_natural_discretize_is_left_closed():
    x = np.array([1.0, 2.0, 3.0, 10.0, 11.0, 12.0])
    # edges [1, 3, 12]: left-closed puts the edge value 3 in class 2, right-closed in class 1
    np.testing.assert_array_equal(discretize(x, "natural", 2), [1, 1, 2, 2, 2, 2])
    np.testing.assert_array_equal(discretize(x, "natural", 2, closed="right"), [1, 1, 1, 2, 2, 2])


# ----------------------------------------------------------------- bad input
def _unloadable(block: np.ndarray) -> np.ndarray:
    raise AssertionError("a chunk was computed")


def test_breaks_refuse_dask_input_without_computing_it():
    x = np.array([[1.3, 7.1, 7.3, 2.3], [3.9, 4.1, 7.8, 1.2], [4.3, 7.3, 5.0, 4.3]])
    # a numpy-backed DataArray is classified as its values (jenkspy example, k = 3)
    np.testing.assert_array_equal(natural_breaks(make_raster(x), 3), [1.2, 2.3, 5.0, 7.8])
    chunked = make_raster(x).chunk({"y": 1})
    poisoned = chunked.data.map_blocks(_unloadable, dtype=np.float64)  # computing it fails
    for values, method in ((chunked, "natural"), (poisoned, "natural"), (poisoned, "quantile")):
        with pytest.raises(BackendError) as err:
            breaks(values, 3, method)
        what = "natural breaks" if method == "natural" else "quantile"
        assert str(err.value) == (
            f"{what} is a global step and holds the whole map in memory; it does not accept "
            "chunked (dask) input. Fix: fit the breaks on a sample: draw N values first "
            "(e.g. data.ravel()[idx].compute()) and classify those; importance_levels takes "
            "sample_size=N (CLI: landcarbon sinks --breaks-sample N)"
        )


def test_one_sort_checks_values_as_the_nan_filter_does():
    """Natural and quantile breaks sort once and read NaN (sorted last) and infinities (at
    the ends) off the sorted values: the same values, and the same refusal, wherever NaN
    and infinities sit in the input (any shape)."""
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=(40, 25)), 1)
    x[rng.random(x.shape) < 0.2] = np.nan
    np.testing.assert_array_equal(_sorted_finite(x, 3, "w"), np.sort(_finite(x, 3, "w")))
    assert _sorted_finite(np.array([2.0, np.nan, -1.0]), 1, "w").tolist() == [-1.0, 2.0]
    for bad in (np.inf, -np.inf):
        for at in (0, 7, 999):
            y = x.ravel().copy()
            y[at] = bad
            with pytest.raises(ParameterError, match=r"^w: values contain \+/-inf; mask them"):
                _sorted_finite(y, 3, "w")
    with pytest.raises(ParameterError, match=r"^quantile: no values \(all NaN or empty\)"):
        quantile_breaks(np.full((3, 3), np.nan), 2)


def test_sort_on_two_threads_gives_the_values_and_counts_of_one(monkeypatch):
    """With two cores free the halves are sorted on two threads and merged as counted: the
    distinct values and counts of the one sort, NaN anywhere, ties across the halves, and
    an infinity or all-NaN in either half refused as there."""
    cores = len(os.sched_getaffinity(0))
    rng = np.random.default_rng(8)
    x = np.round(rng.gamma(2.0, 3.0, PARALLEL_MIN_VALUES * 2), 2)
    x[rng.random(x.size) < 0.05] = np.nan
    one = _distinct(x, 5, "w")  # the real load: whichever path, compared below
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    if cores < 2 or numba.get_num_threads() < 2:
        pytest.skip("one core: the sort is never shared out")
    for data in (x, np.unique(x[~np.isnan(x)])[::-1].copy()):
        unique, counts = _distinct(data, 5, "w")
        expected, expected_counts = np.unique(data[~np.isnan(data)], return_counts=True)
        np.testing.assert_array_equal(unique, expected)
        np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_array_equal(_distinct(x, 5, "w")[1], one[1])
    u, c = merged_unique_counts(np.array([1.0, 2.0, 2.0]), np.array([]))
    assert u.tolist() == [1.0, 2.0] and c.tolist() == [1, 2]
    for at in (3, x.size - 3):
        y = x.copy()
        y[at] = -np.inf
        with pytest.raises(ParameterError, match=r"^w: values contain \+/-inf; mask them"):
            _distinct(y, 5, "w")
    y = x.copy()
    y[: y.size // 2] = np.nan
    np.testing.assert_array_equal(_distinct(y, 5, "w")[0], np.unique(y[~np.isnan(y)]))
    with pytest.raises(ParameterError, match=r"^w: no values \(all NaN or empty\)"):
        _distinct(np.full(PARALLEL_MIN_VALUES, np.nan), 5, "w")


def test_bad_inputs():
    with pytest.raises(ParameterError, match="need at least 5 distinct values, the data have 3"):
        natural_breaks([1, 2, 3, 3], 5)
    with pytest.raises(ParameterError, match=r"contain \+/-inf"):
        natural_breaks([1.0, np.inf], 1)
    with pytest.raises(ParameterError, match="no values"):
        natural_breaks([np.nan], 1)
    with pytest.raises(ParameterError, match="whole number >= 1"):
        natural_breaks([1.0, 2.0], 0)
    with pytest.raises(ParameterError, match="unknown discretisation method 'kmeans'"):
        breaks([1.0, 2.0], 2, "kmeans")
    with pytest.raises(ParameterError, match="need positive values; the minimum is 0"):
        geometric_breaks([0.0, 1.0], 2)
    with pytest.raises(ParameterError, match="sd = 0"):
        sd_breaks([2.0, 2.0], 2)
    with pytest.raises(ParameterError, match="ascending"):
        assign_classes([1.0], [2.0, 1.0])
    with pytest.raises(ParameterError, match="use 'left' or 'right'"):
        assign_classes([1.0], [0.0, 2.0], closed="both")  # type: ignore[arg-type]
