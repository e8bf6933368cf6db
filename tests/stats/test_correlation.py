"""Pearson and Spearman matrices against scipy.stats run side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from landcarbon.errors import BackendError, ParameterError
from landcarbon.stats.correlation import correlation_matrix, raster_correlation
from landcarbon.testing import make_raster


@pytest.fixture
def frame():
    rng = np.random.default_rng(8)
    a = rng.normal(size=300)
    return pd.DataFrame(
        {"a": a, "b": a * 0.5 + rng.normal(size=300), "c": rng.integers(0, 5, 300).astype(float)}
    )  # c has ties


@pytest.mark.parametrize("method, ref", [("pearson", sps.pearsonr), ("spearman", sps.spearmanr)])
def test_matches_scipy(frame, method, ref):
    result = correlation_matrix(frame, method)
    assert result.n == 300
    for i in frame:
        for j in frame:
            if i != j:
                r, p = ref(frame[i], frame[j])
                assert result.r.loc[i, j] == pytest.approx(r, abs=1e-12)
                assert result.p.loc[i, j] == pytest.approx(p, rel=1e-9, abs=1e-300)
    np.testing.assert_allclose(np.diag(result.r), 1.0)


def test_listwise_deletion_of_nan_rows(frame):
    with_nan = frame.copy()
    with_nan.loc[[3, 7], "b"] = np.nan
    got = correlation_matrix(with_nan)
    ref = correlation_matrix(frame.drop(index=[3, 7]))
    assert got.n == 298
    pd.testing.assert_frame_equal(got.r, ref.r)


def test_rasters_use_cells_valid_everywhere():
    a = np.array([[1.0, 2.0, 3.0], [4.0, np.nan, 6.0]])
    b = np.array([[2.0, 1.0, 4.0], [3.0, 5.0, 9.0]])
    c = np.array([[1, 2, 2], [3, 3, np.iinfo(np.int32).min]], dtype=np.int32)
    result = raster_correlation({"a": make_raster(a), "b": make_raster(b), "c": make_raster(c)})
    # valid in all three: cells (0,0) (0,1) (0,2) (1,0)
    assert result.n == 4
    r, _ = sps.pearsonr([1, 2, 3, 4], [2, 1, 4, 3])
    assert result.r.loc["a", "b"] == pytest.approx(r)
    with pytest.raises(BackendError, match="correlation is a global step"):
        raster_correlation({"a": make_raster(a, "dask"), "b": make_raster(b, "dask")})


def test_bad_inputs(frame):
    with pytest.raises(ParameterError, match="correlation method 'kendall'"):
        correlation_matrix(frame, "kendall")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="at least 2 variables"):
        correlation_matrix(frame[["a"]])
    with pytest.raises(ParameterError, match=r"variable\(s\) \['k'\] are constant"):
        correlation_matrix({"a": [1.0, 2.0, 3.0], "k": [1.0, 1.0, 1.0]})
    with pytest.raises(ParameterError, match="only 2 row"):
        correlation_matrix({"a": [1.0, 2.0, np.nan], "b": [1.0, 3.0, 2.0]})
