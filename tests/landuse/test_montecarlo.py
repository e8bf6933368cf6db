"""Monte Carlo ensembles: spawned seeds, per-cell frequency, class-area table."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from landcarbon.errors import ParameterError
from landcarbon.grid import Grid
from landcarbon.landuse.allocation import allocate
from landcarbon.landuse.montecarlo import monte_carlo
from landcarbon.raster import CLASS_NODATA
from landcarbon.testing import make_raster


def _problem(crs: str = "EPSG:32650", cell_size: float = 30.0):
    rng = np.random.default_rng(4)
    lu = rng.choice([1, 2, 3], size=(20, 25), p=[0.6, 0.3, 0.1]).astype(np.int32)
    lu[0, :4] = CLASS_NODATA
    lulc = make_raster(lu, crs=crs, cell_size=cell_size, origin=(100.0, 40.0))
    prob = rng.uniform(0.1, 1.0, size=(3, 20, 25))
    stack = xr.concat([lulc.copy(data=p) for p in prob], dim="class")
    stack = stack.assign_coords({"class": [1, 2, 3]})
    counts = {c: int((lu == c).sum()) for c in (1, 2, 3)}
    demand = {1: counts[1] - 40, 2: counts[2] + 30, 3: counts[3] + 10}
    zone = np.ones(lu.shape, dtype=np.int32)
    zone[10:, :5] = 0
    return lulc, stack, demand, lulc.copy(data=zone)


def test_frequencies_and_reproducible_runs() -> None:
    lulc, prob, demand, zone = _problem()
    mc = monte_carlo(lulc, prob, demand, runs=5, seed=123, restriction=zone)
    freq = mc.frequency.values
    valid = lulc.values != CLASS_NODATA
    np.testing.assert_allclose(freq.sum(axis=0)[valid], 1.0)
    assert np.isnan(freq[:, ~valid]).all()
    # restricted cells keep their class in every run
    frozen = (zone.values == 0) & valid
    codes = lulc.values[frozen]
    np.testing.assert_array_equal(
        freq[codes - 1, np.nonzero(frozen)[0], np.nonzero(frozen)[1]], 1.0
    )
    # frequencies are multiples of 1/5 and some cells really vary between runs
    np.testing.assert_allclose(freq[:, valid] * 5, np.round(freq[:, valid] * 5))
    assert ((freq > 0) & (freq < 1)).any()
    # run 3 alone, from the recorded entropy and its spawn key, gives the same map
    maps = [
        allocate(
            lulc,
            prob,
            demand,
            restriction=zone,
            seed=np.random.SeedSequence(mc.entropy, spawn_key=(i,)),
        ).lulc.values
        for i in range(5)
    ]
    expected = np.stack([np.mean([m == c for m in maps], axis=0) for c in (1, 2, 3)])
    np.testing.assert_allclose(freq[:, valid], expected[:, valid])
    again = monte_carlo(lulc, prob, demand, runs=5, seed=123, restriction=zone)
    np.testing.assert_array_equal(again.frequency.values, freq)
    assert mc.runs["converged"].all()


def test_area_table_on_a_geographic_grid() -> None:
    # on EPSG:4326 cell areas shrink northwards, so areas differ between runs even though
    # every run meets the demand in cells
    lulc, prob, demand, _ = _problem(crs="EPSG:4326", cell_size=0.5)
    mc = monte_carlo(lulc, prob, demand, runs=4, seed=9, percentiles=(10, 50, 90))
    row_area = Grid.from_dataarray(lulc).row_area_ha()
    areas = []
    for i in range(4):
        out = allocate(
            lulc, prob, demand, seed=np.random.SeedSequence(mc.entropy, spawn_key=(i,))
        ).lulc.values
        # area = sum over rows of (cells of the class in the row) * (area of a cell in the row)
        areas.append([float(((out == c).sum(axis=1) * row_area).sum()) for c in (1, 2, 3)])
    areas_arr = np.array(areas)
    np.testing.assert_allclose(mc.areas["mean_ha"].to_numpy(), areas_arr.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(
        mc.areas["sd_ha"].to_numpy(), areas_arr.std(axis=0, ddof=1), rtol=1e-9
    )
    np.testing.assert_allclose(
        mc.areas["p90_ha"].to_numpy(), np.percentile(areas_arr, 90, axis=0), rtol=1e-12
    )
    assert (mc.areas["sd_ha"] > 0).all()
    assert mc.areas["mean_cells"].to_dict() == {c: float(demand[c]) for c in (1, 2, 3)}
    assert list(mc.runs.columns[:4]) == ["run", "iterations", "converged", "locked_in"]


def test_bad_monte_carlo_arguments() -> None:
    lulc, prob, demand, _ = _problem()
    with pytest.raises(ParameterError, match="runs = 0: give at least 1"):
        monte_carlo(lulc, prob, demand, runs=0)
    with pytest.raises(ParameterError, match=r"percentiles \[5, 150\] must lie in"):
        monte_carlo(lulc, prob, demand, runs=2, percentiles=(5, 150))
