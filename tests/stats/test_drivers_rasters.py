"""GeoDetector on rasters: numpy and chunked dask give the same numbers; seeded samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
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


def test_continuous_dask_factor_is_refused_as_in_memory(layers):
    y = layers[0]
    with pytest.raises(ParameterError) as dense:
        geodetector_rasters(make_raster(y), {"t": make_raster(y * 2.0)})
    with pytest.raises(ParameterError) as chunked:
        geodetector_rasters(make_raster(y, "dask", (5, 4)), {"t": make_raster(y * 2.0, "dask")})
    assert str(chunked.value) == str(dense.value)
    assert "factor 't' holds non-integer numbers (119 distinct values over 119 rows)" in str(
        dense.value
    )
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
    assert result.conventions["cells"] == "a random sample of 60 valid cells (seed 2)"


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
    with pytest.raises(ParameterError) as dense:
        geodetector_rasters(make_raster(y), {"dem": make_raster(whole)})
    with pytest.raises(ParameterError) as chunked:
        geodetector_rasters(make_raster(y, "dask", (30, 50)), {"dem": make_raster(whole, "dask")})
    assert str(chunked.value) == str(dense.value)
    assert "more than the 109 strata" in str(chunked.value)


def _study_layers():
    """y, a float DEM, an integer DEM (too many values: discretised), classes 1..4, with a
    nodata cell, a NaN y cell, and a 20 x 24 corner of y all NaN (a whole chunk at
    chunks (20, 24))."""
    y, dem = _dem()
    rng = np.random.default_rng(3)
    classes = rng.integers(1, 5, dem.shape).astype(np.int32)
    y = y + classes
    y[:20, :24] = np.nan
    y[50, 50] = np.nan
    classes[60, 7] = NODATA
    return y, {"dem": dem, "metres": np.round(dem).astype(np.int32), "cls": classes}


@pytest.mark.parametrize("chunks", [(100, 120), (20, 24), (33, 17), (7, 120)])
def test_chunked_opgd_and_detectors_equal_in_memory(chunks):
    y, factors = _study_layers()
    options = {"discretize": "auto", "ks": (3, 4, 5, 6)}
    dense = geodetector_rasters(
        make_raster(y), {k: make_raster(v) for k, v in factors.items()}, **options
    )
    chunked = geodetector_rasters(
        make_raster(y, "dask", chunks),
        {k: make_raster(v, "dask", chunks) for k, v in factors.items()},
        **options,
    )
    assert chunked.n == dense.n == 12000 - 480 - 2 and chunked.dropped_rows == dense.dropped_rows
    assert set(chunked.discretization) == set(dense.discretization) == {"dem", "metres"}
    for name, best in dense.discretization.items():
        got = chunked.discretization[name]
        assert (got["method"], got["k"]) == (best["method"], best["k"])
        for method, row in best["grid"].items():
            for k, q in row.items():
                assert got["grid"][method][k] == pytest.approx(q, abs=1e-12, nan_ok=True)
    for name, r in dense.factor.items():
        assert chunked.factor[name].q == pytest.approx(r.q, abs=1e-12)
        assert chunked.factor[name].strata == r.strata
        np.testing.assert_allclose(chunked.risk[name].mean, dense.risk[name].mean, rtol=1e-12)
        np.testing.assert_array_equal(chunked.risk[name].n, dense.risk[name].n)
        np.testing.assert_array_equal(chunked.risk[name].labels, dense.risk[name].labels)
        np.testing.assert_array_equal(chunked.risk[name].significant, dense.risk[name].significant)
    for pair, r in dense.interaction.items():
        assert chunked.interaction[pair].q == pytest.approx(r.q, abs=1e-12)
        assert chunked.interaction[pair].type == r.type
    for got, want in zip(chunked.ecological, dense.ecological, strict=True):
        assert (got.a, got.b, got.significant) == (want.a, want.b, want.significant)
        assert got.f == pytest.approx(want.f, rel=1e-9)
    # classes 1..4 add variance 1.25 to y (variance ~23.5): q ~ 0.053
    assert dense.factor["cls"].strata == 4 and 0.04 < dense.factor["cls"].q < 0.07
    assert chunked.conventions["cells"] == "every valid cell (chunked: exact map-reduce sums)"
    assert dense.conventions["cells"] == "every valid cell"


def test_chunked_refuses_permutations_and_too_many_values(monkeypatch):
    import landcarbon.stats.drivers as drivers

    y, factors = _study_layers()
    lazy_y = make_raster(y, "dask", (20, 24))
    lazy = {"dem": make_raster(factors["dem"], "dask", (20, 24))}
    with pytest.raises(ParameterError, match=r"^permutation p-values .* sample=N"):
        geodetector_rasters(lazy_y, lazy, discretize="auto", permutations=9)
    monkeypatch.setattr(drivers, "EXACT_VALUES_LIMIT", 1000)
    with pytest.raises(ParameterError) as err:
        geodetector_rasters(lazy_y, lazy, discretize="auto")
    assert str(err.value).startswith(
        "rasters: factor 'dem' has more than 1000 distinct values: too many to discretise "
        "chunk by chunk exactly; classify it into integer classes first"
    )


@pytest.mark.parametrize("chunks", [(20, 24), (33, 17), (100, 7)])
@pytest.mark.parametrize("how", ["random", "regular"])
def test_chunked_sample_is_the_in_memory_sample(chunks, how):
    y, factors = _study_layers()
    dense = sample_cells(
        make_raster(y), {k: make_raster(v) for k, v in factors.items()}, 700, how, 5
    )
    lazy = {k: make_raster(v, "dask", chunks) for k, v in factors.items()}
    chunked = sample_cells(make_raster(y, "dask", chunks), lazy, 700, how, 5)
    pd.testing.assert_frame_equal(chunked, dense)
    assert len(dense) == 700 and not dense["y"].isna().any()
    # more cells asked than valid: every valid cell, in row-major order
    everything = sample_cells(make_raster(y, "dask", chunks), lazy, 10**6, how, 5)
    pd.testing.assert_frame_equal(everything, sample_cells(make_raster(y), lazy, None))


def test_chunked_sample_of_no_valid_cell():
    y = _study_layers()[0]
    with pytest.raises(ParameterError, match="no cell is valid in y and every factor raster"):
        sample_cells(make_raster(y * np.nan, "dask", (20, 24)), {}, 10, "random", 1)
