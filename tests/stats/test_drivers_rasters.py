"""GeoDetector on rasters: numpy and chunked dask give the same numbers; seeded samples."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.errors import AlignmentError, ParameterError
from landcarbon.stats.drivers import geodetector_rasters, sample_cells
from landcarbon.testing import make_raster

NODATA = np.iinfo(np.int32).min


@pytest.fixture
def layers():
    rng = np.random.default_rng(12)
    a = rng.integers(1, 5, (12, 10)).astype(np.int32)
    b = rng.integers(0, 3, (12, 10)).astype(np.int32)
    y = a * 1.5 + b + rng.normal(size=(12, 10))
    y[0, 0] = np.nan
    a[5, 5] = NODATA
    return y, a, b


def test_dask_reduction_equals_numpy(layers):
    y, a, b = layers
    dense = geodetector_rasters(make_raster(y), {"a": make_raster(a), "b": make_raster(b)})
    chunked = geodetector_rasters(
        make_raster(y, "dask", (5, 4)),
        {"a": make_raster(a, "dask", (5, 4)), "b": make_raster(b, "dask", (5, 4))},
    )
    assert dense.n == chunked.n == 118 and dense.dropped_rows == 2
    for name in ("a", "b"):
        assert chunked.factor[name].q == pytest.approx(dense.factor[name].q, abs=1e-13)
        assert chunked.factor[name].p == pytest.approx(dense.factor[name].p, rel=1e-9)
        np.testing.assert_allclose(chunked.risk[name].mean, dense.risk[name].mean, rtol=1e-13)
    assert chunked.interaction["a:b"].q == pytest.approx(dense.interaction["a:b"].q, abs=1e-13)


def test_seeded_samples(layers):
    y, a, b = layers
    ys, xs = make_raster(y), {"a": make_raster(a), "b": make_raster(b)}
    first = sample_cells(ys, xs, sample=50, seed=3)
    assert len(first) == 50 and not first["y"].isna().any()
    assert first.equals(sample_cells(ys, xs, sample=50, seed=3))
    assert not first.equals(sample_cells(ys, xs, sample=50, seed=4))
    regular = sample_cells(ys, xs, sample=59, how="regular")
    # every other valid cell of the 118, in row-major order
    np.testing.assert_array_equal(regular["y"], sample_cells(ys, xs)["y"].to_numpy()[::2])
    result = geodetector_rasters(ys, xs, sample=80, seed=1)
    assert result.n == 80


def test_continuous_dask_factor_needs_sample(layers):
    y = layers[0]
    with pytest.raises(ParameterError, match=r"chunked rasters \['t'\] are continuous"):
        geodetector_rasters(make_raster(y, "dask"), {"t": make_raster(y * 2.0, "dask")})
    # with a sample and OPGD it works
    result = geodetector_rasters(
        make_raster(y),
        {"t": make_raster(y * 2.0 + 0.1)},
        sample=60,
        seed=2,
        discretize="auto",
        ks=[3, 4],
    )
    assert result.discretization["t"]["k"] in (3, 4)


def test_misaligned_rasters(layers):
    y, a, _ = layers
    with pytest.raises(AlignmentError, match="not aligned"):
        geodetector_rasters(make_raster(y), {"a": make_raster(a, cell_size=10.0)})


def _dem(shape=(100, 120)):
    """A float DEM (every cell its own value) and a y that rises with it."""
    rng = np.random.default_rng(7)
    dem = rng.uniform(200.0, 1800.0, shape)
    return dem * 0.01 + rng.normal(size=shape), dem


def test_float_factor_without_discretisation_is_refused():
    y, dem = _dem()
    with pytest.raises(ParameterError) as err:
        geodetector_rasters(make_raster(y), {"dem": make_raster(dem)})
    assert str(err.value) == (
        "rasters: factor 'dem' holds non-integer numbers (12000 distinct values over 12000 "
        "rows); GeoDetector would take each value as a stratum: pass --discretize auto "
        "(optimal-parameter discretisation; discretize='auto' in Python), or classify it into "
        "integer classes first (edges from `landcarbon breaks --method natural --k 5`)"
    )


def test_integer_factor_with_too_many_values():
    y, dem = _dem()
    whole = np.round(dem).astype(np.int32)  # ~1600 distinct metres > max(50, sqrt(12000)) = 109
    distinct = np.unique(whole).size
    with pytest.raises(
        ParameterError,
        match=f"factor 'dem' has {distinct} distinct values over "
        "12000 rows, more than the 109 strata",
    ):
        geodetector_rasters(make_raster(y), {"dem": make_raster(whole)})
    # with discretisation asked the integer DEM is classified by OPGD instead
    result = geodetector_rasters(
        make_raster(y), {"dem": make_raster(whole)}, discretize="auto", ks=(3, 4, 5)
    )
    assert result.discretization["dem"]["k"] in (3, 4, 5)
    assert result.factor["dem"].strata == result.discretization["dem"]["k"]
    # y = dem/100 + N(0, 1): dem/100 has variance 16^2/12 = 21.3, so no stratification of
    # dem explains more than 21.3/22.3 = 0.955 of y; k equal-width classes leave 1/k^2 of
    # the 21.3 unexplained, so k >= 3 gives q >= (1 - 1/9) * 0.955 = 0.849
    assert 0.82 < result.factor["dem"].q < 0.96


def test_chunked_integer_factor_with_too_many_values():
    y, dem = _dem()
    whole = np.round(dem).astype(np.int32)
    with pytest.raises(ParameterError, match=r"chunked rasters: factor 'dem' .* pass sample=N"):
        geodetector_rasters(make_raster(y, "dask"), {"dem": make_raster(whole, "dask")})
