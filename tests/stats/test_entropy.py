"""Entropy weight method: hand case, scipy side by side, the county study's Table 4."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import entropy as scipy_entropy

from landcarbon.errors import ParameterError
from landcarbon.stats.entropy import entropy_weights, minmax_normalise, weights_from_entropy


def test_hand_case() -> None:
    # column a = [1, 2, 3] -> x' = [0, 0.5, 1], sum 1.5 -> p = [0, 1/3, 2/3]
    #   e_a = -(1/ln 3) (1/3 ln 1/3 + 2/3 ln 2/3) = (0.366204 + 0.270310) / 1.098612 = 0.579380
    # column b = [3, 3, 0] -> x' = [1, 1, 0] -> p = [1/2, 1/2, 0]
    #   e_b = -(1/ln 3) (2 * 1/2 ln 1/2) = ln 2 / ln 3 = 0.630930
    # d = [0.420620, 0.369070], w = d / 0.789690 = [0.532640, 0.467360]
    x = np.array([[1.0, 3.0], [2.0, 3.0], [3.0, 0.0]])
    ew = entropy_weights(x, ["a", "b"])
    e_a = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / math.log(3)
    e_b = math.log(2) / math.log(3)
    np.testing.assert_allclose(ew.entropy, [e_a, e_b], rtol=1e-15)
    np.testing.assert_allclose(ew.entropy, [0.579380, 0.630930], atol=1e-6)
    np.testing.assert_allclose(ew.difference, [1 - e_a, 1 - e_b], rtol=1e-14)
    np.testing.assert_allclose(ew.weights, [0.532640, 0.467360], atol=1e-6)
    table = ew.table()
    assert list(table.columns) == [
        "factor",
        "entropy_e",
        "difference_d",
        "weight_w",
        "weight_percent",
    ]
    assert table["weight_percent"].sum() == pytest.approx(100.0)


def test_against_scipy_entropy() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(2024))
    x = rng.gamma(2.0, 3.0, size=(500, 4))
    ew = entropy_weights(x)
    norm = (x - x.min(0)) / (x.max(0) - x.min(0))
    expected_e = np.array([scipy_entropy(norm[:, j], base=500) for j in range(4)])
    np.testing.assert_allclose(ew.entropy, expected_e, rtol=1e-12)
    np.testing.assert_allclose(ew.weights, (1 - expected_e) / (1 - expected_e).sum(), rtol=1e-12)


def test_county_study_table4_weights_from_entropies() -> None:
    # Zhang et al. (Wensu County), Table 4: e and w of slope, elevation, land use,
    # accumulated temperature, precipitation, population (w in percent, e to 4 places).
    e = [0.8898, 0.8758, 0.9680, 0.9101, 0.9881, 0.9857]
    w_percent = [28.8111, 32.4634, 8.3713, 23.4966, 3.1203, 3.7373]
    # e is rounded to 4 places, so w agrees to about 1e-4
    np.testing.assert_allclose(weights_from_entropy(e), np.array(w_percent) / 100, atol=1e-4)


def test_negative_indicator_and_shift() -> None:
    x = np.array([[1.0, 3.0], [2.0, 3.0], [3.0, 0.0]])
    flipped = entropy_weights(x[:, ::-1] * [-1, -1], negative=[True, True])
    np.testing.assert_allclose(flipped.entropy, entropy_weights(x).entropy[::-1], rtol=1e-15)
    # with a shift of 0.01 column a: x'' = [0.01, 0.51, 1.01], p = x''/1.53
    shifted = entropy_weights(x, shift=0.01)
    p = np.array([0.01, 0.51, 1.01]) / 1.53
    assert shifted.entropy[0] == pytest.approx(-(p * np.log(p)).sum() / math.log(3), rel=1e-14)


def test_constant_indicator_gets_zero_weight() -> None:
    x = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    ew = entropy_weights(x, ["a", "flat"])
    assert ew.as_dict() == {"a": 1.0, "flat": 0.0}
    np.testing.assert_array_equal(minmax_normalise(np.array([[2.0], [2.0]])), [[0.0], [0.0]])


def test_rows_with_nan_are_dropped() -> None:
    x = np.array([[1.0, 3.0], [np.nan, 1.0], [2.0, 3.0], [3.0, 0.0]])
    np.testing.assert_array_equal(entropy_weights(x).weights, entropy_weights(x[[0, 2, 3]]).weights)


@pytest.mark.parametrize(
    ("x", "kwargs", "message"),
    [
        (np.ones((3, 2)), {}, "every indicator (x1, x2) is constant over the 3 objects"),
        (np.ones((1, 2)), {}, "at least 2 complete rows, got 1"),
        (np.ones(3), {}, "need a 2-D array"),
        (np.arange(6.0).reshape(3, 2), {"names": ["a"]}, "1 names given for 2 indicators"),
        (np.arange(6.0).reshape(3, 2), {"negative": [True]}, "1 directions given for 2"),
        (np.arange(6.0).reshape(3, 2), {"shift": -1.0}, "shift -1.0: must be >= 0"),
    ],
)
def test_bad_input(x: np.ndarray, kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        entropy_weights(x, **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 30), st.integers(1, 5)),
        elements=st.floats(0, 1e6, allow_nan=False),
    )
)
def test_weights_are_a_distribution(x: np.ndarray) -> None:
    if np.all(x.max(0) == x.min(0)):
        return
    ew = entropy_weights(x)
    assert np.all(ew.entropy >= -1e-12) and np.all(ew.entropy <= 1 + 1e-12)
    assert np.all(ew.weights >= -1e-12)
    assert ew.weights.sum() == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (12, 3), elements=st.floats(-1e3, 1e3)),
    arrays(np.float64, 3, elements=st.floats(0.01, 100.0)),
    arrays(np.float64, 3, elements=st.floats(-1e3, 1e3)),
)
def test_weights_ignore_positive_affine_rescaling(
    x: np.ndarray, scale: np.ndarray, offset: np.ndarray
) -> None:
    # min-max normalisation cancels a x + b (a > 0): units of an indicator do not matter;
    # a x + b with a < 0 on a negative (cost-type) indicator gives the same weights too
    if np.any(np.ptp(x, axis=0) < 1.0):  # keep rounding (~1e-13 x 1e3) far below atol
        return
    ew = entropy_weights(x)
    np.testing.assert_allclose(entropy_weights(x * scale + offset).weights, ew.weights, atol=1e-9)
    flipped = entropy_weights(-x * scale + offset, negative=[True, True, True])
    np.testing.assert_allclose(flipped.weights, ew.weights, atol=1e-9)


def test_counts_equal_expanded_column() -> None:
    values = np.array([1.0, 3.0, 5.0, 9.0])
    counts = np.array([4, 1, 0, 7])
    expanded = np.repeat(values, counts)[:, None]
    from landcarbon.stats.entropy import column_entropy, weights_from_columns

    assert column_entropy(values, counts) == pytest.approx(
        entropy_weights(np.hstack([expanded, expanded[::-1] ** 2])).entropy[0], rel=1e-14
    )
    ew = weights_from_columns({"a": (values, counts), "b": (values**2, counts[::-1])})
    ref = entropy_weights(np.hstack([expanded, np.repeat(values**2, counts[::-1])[:, None]]))
    np.testing.assert_allclose(ew.weights, ref.weights, rtol=1e-13)
    with pytest.raises(ParameterError, match="different numbers of objects"):
        weights_from_columns({"a": (values, counts), "b": (values, counts + 1)})
