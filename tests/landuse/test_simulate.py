"""simulate(): Markov demand + scenario rules + allocation; validation on Plum Island."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr

from landcarbon.errors import AlignmentError, ParameterError
from landcarbon.landuse.allocation import FlusParameters
from landcarbon.landuse.change import transfer_matrix
from landcarbon.landuse.conversion import ConversionMatrix
from landcarbon.landuse.markov import project_demand, transition_probabilities
from landcarbon.landuse.scenarios import Scenario
from landcarbon.landuse.simulate import (
    complete_stack,
    read_probability,
    scenario_conversion,
    simulate,
    validate_simulation,
    write_simulation,
)
from landcarbon.raster import CLASS_NODATA, STRIP_ROWS, read_raster
from landcarbon.testing import make_raster


def _maps(seed: int = 0, shape: tuple[int, int] = (30, 30)):
    """t0 and t1 where class 1 loses cells to 2 and 3 in blobs, plus a probability stack."""
    rng = np.random.default_rng(seed)
    t0 = rng.choice([1, 2, 3], size=shape, p=[0.6, 0.25, 0.15]).astype(np.int32)
    t1 = t0.copy()
    flip = (t0 == 1) & (rng.random(shape) < 0.15)
    t1[flip] = rng.choice([2, 3], size=int(flip.sum()))
    t0[0, 0] = t1[0, 0] = CLASS_NODATA
    prob = rng.uniform(0.05, 1.0, size=(3, *shape))
    lulc0, lulc1 = make_raster(t0), make_raster(t1)
    stack = xr.concat([lulc1.copy(data=p) for p in prob], dim="class")
    return lulc0, lulc1, stack.assign_coords({"class": [1, 2, 3]})


def test_simulate_meets_the_markov_demand() -> None:
    t0, t1, prob = _maps()
    result = simulate(t0, t1, prob, years=(2000, 2010), target_year=2020, seed=5)
    expected = project_demand(
        transition_probabilities(transfer_matrix(t0, t1, years=(2000, 2010))), 2020
    ).cells_by_code()
    out = result.allocation.lulc.values
    assert {c: int((out == c).sum()) for c in (1, 2, 3)} == expected
    assert result.allocation.converged and result.ensemble is None
    assert result.summary()["demand_cells"] == expected


def test_scenario_rules_are_obeyed() -> None:
    t0, t1, prob = _maps(1)
    # forbid 1 -> 3 and protect class 2: only 1 -> 2 may happen, and the Markov matrix has
    # its 1 -> 3 probability removed (the scenario module renormalises the row)
    scenario = Scenario(name="eco", forbidden=frozenset({(1, 3)}), protected_classes=frozenset({2}))
    result = simulate(t0, t1, prob, years=(2000, 2010), target_year=2020, scenario=scenario, seed=2)
    before, after = t1.values, result.allocation.lulc.values
    assert result.scenario == "eco"
    assert not np.any((before == 1) & (after == 3))
    np.testing.assert_array_equal(after[before == 2], 2)
    assert result.conversion.allowed.tolist() == [
        [True, True, False],
        [False, True, False],
        [True, True, True],
    ]


def test_scenario_conversion_is_the_and_of_matrix_and_rules() -> None:
    user = ConversionMatrix((1, 2, 3), np.array([[1, 1, 1], [1, 1, 0], [1, 1, 1]], dtype=bool))
    scenario = Scenario(name="s", forbidden=frozenset({(3, 1)}))
    # user forbids 2 -> 3, scenario forbids 3 -> 1: both are closed
    got = scenario_conversion((1, 2, 3), scenario, user).allowed.astype(int).tolist()
    assert got == [[1, 1, 1], [1, 1, 0], [0, 1, 1]]


def test_complete_stack_adds_zero_bands_for_missing_classes() -> None:
    _, _, prob = _maps()
    full = complete_stack(prob.sel({"class": [1, 3]}), (1, 2, 3))
    assert full["class"].values.tolist() == [1, 2, 3]
    assert float(full.sel({"class": 2}).max()) == 0.0
    np.testing.assert_array_equal(full.sel({"class": 3}).values, prob.sel({"class": 3}).values)


def test_a_class_without_probability_cannot_grow() -> None:
    t0, t1, prob = _maps()
    with pytest.raises(ParameterError, match=r"class 2 needs \d+ more cells but at most 0"):
        simulate(t0, t1, prob.sel({"class": [1, 3]}), years=(2000, 2010), target_year=2020)


def test_monte_carlo_outputs_are_written(tmp_path: Path) -> None:
    t0, t1, prob = _maps()
    result = simulate(
        t0,
        t1,
        prob,
        years=(2000, 2010),
        target_year=2015,
        runs=3,
        seed=1,
        parameters=FlusParameters(),
    )
    files = write_simulation(result, tmp_path)
    assert sorted(files) == ["areas", "demand", "frequency", "lulc", "runs", "summary"]
    with rasterio.open(files["frequency"]) as ds:
        assert ds.count == 3
        assert ds.descriptions == ("class 1", "class 2", "class 3")
    back = read_probability(files["frequency"], (1, 2, 3))
    assert result.ensemble is not None
    np.testing.assert_allclose(back.values, result.ensemble.frequency.values)
    written = read_raster(files["lulc"], "categorical").values
    np.testing.assert_array_equal(written, result.allocation.lulc.values)
    assert "allocated_cells" in files["demand"].read_text().splitlines()[0]


def test_the_run_and_its_ensemble_share_one_reachability_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """simulate checks the demand's reachability once for its run and its Monte Carlo
    runs (they share conversion rules), and the run is the one allocate gives."""
    from landcarbon.landuse import allocation, conversion

    t0, t1, prob = _maps()
    calls: list[int] = []
    real = conversion.check_demand_reachable

    def counted(*args: Any) -> np.ndarray:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(conversion, "check_demand_reachable", counted)  # read when called
    opts: dict[str, Any] = {"years": (2000, 2010), "target_year": 2015, "seed": 1}
    result = simulate(t0, t1, prob, runs=3, **opts)
    assert len(calls) == 1
    assert result.ensemble is not None and len(result.ensemble.runs) == 3
    single = simulate(t0, t1, prob, **opts)
    np.testing.assert_array_equal(result.allocation.lulc.values, single.allocation.lulc.values)
    demand = {int(c): int(n) for c, n in single.demand.cells_by_code().items()}
    direct = allocation.allocate(t1, complete_stack(prob, single.demand.codes), demand, seed=1)
    np.testing.assert_array_equal(single.allocation.lulc.values, direct.lulc.values)


def _kappa_oa_fom(t1: np.ndarray, t2: np.ndarray, sim: np.ndarray) -> tuple[float, ...]:
    """Independent numpy Kappa / OA (Cohen 1960) and FoM (Pontius et al. 2008)."""
    valid = (t1 != CLASS_NODATA) & (t2 != CLASS_NODATA)
    obs, pred, init = t2[valid], sim[valid], t1[valid]
    codes = np.unique(np.concatenate([obs, pred]))
    n = obs.size
    oa = float((obs == pred).mean())
    pe = sum(float((obs == c).sum()) * float((pred == c).sum()) for c in codes) / n**2
    real, simc = obs != init, pred != init
    hits = int((real & simc & (obs == pred)).sum())
    misses = int((real & ~simc).sum())
    wrong = int((real & simc & (obs != pred)).sum())
    false = int((~real & simc).sum())
    return (oa - pe) / (1 - pe), oa, hits / (hits + misses + wrong + false)


def test_plum_island_validation_1999_from_1991(shared_data) -> None:
    from sklearn.ensemble import RandomForestClassifier

    folder = shared_data / "lulcc_plum_island"
    t0, t1, t2 = (
        read_raster(folder / f"lu_pie_{y}.tif", "categorical") for y in (1985, 1991, 1999)
    )
    drivers = np.stack([read_raster(folder / f"ef_00{i}.tif").values for i in (1, 2, 3)])
    valid = t1.values != CLASS_NODATA
    x = drivers[:, valid].T
    sample = np.random.default_rng(0).random(len(x)) < 0.1  # LEAS-style sampling
    layers = []
    for code in (1, 2, 3):
        # PLUS LEAS target: cells that became `code` between 1985 and 1991
        target = ((t1.values == code) & (t0.values != code))[valid]
        forest = RandomForestClassifier(n_estimators=20, min_samples_leaf=5, random_state=0)
        band = np.zeros(t1.shape)
        band[valid] = forest.fit(x[sample], target[sample]).predict_proba(x)[:, 1]
        layers.append(t1.copy(data=band))
    prob = xr.concat(layers, dim="class").assign_coords({"class": [1, 2, 3]})
    check = validate_simulation(t0, t1, t2, prob, years=(1985, 1991, 1999), seed=1999)
    summary = check.summary()
    kappa, oa, fom = _kappa_oa_fom(t1.values, t2.values, check.simulation.allocation.lulc.values)
    assert summary["kappa"] == pytest.approx(kappa, abs=1e-12)
    assert summary["overall_accuracy"] == pytest.approx(oa, abs=1e-12)
    assert summary["fom"] == pytest.approx(fom, abs=1e-12)
    assert check.simulation.allocation.converged
    # 1999 Markov demand from the published 1985 -> 1991 matrix, 8/6 of a step
    assert sum(check.simulation.demand.cells_by_code().values()) == 113563
    # persistence dominates this 8-year interval: Kappa is high, FoM low (Pontius 2008)
    assert 0.8 < summary["kappa"] < 0.95 and 0.0 < summary["fom"] < 0.3


def test_plum_island_with_perfect_suitability_finds_the_real_change(shared_data) -> None:
    # Development probability 0.9 exactly where a class really appeared 1991 -> 1999 and
    # 0.01 elsewhere: CARS's decreasing threshold tau lets the 0.9 cells convert first, so
    # most real changes are hit; the misses come from the Markov demand (it asks for about
    # 1000 more built cells than 1999 has) and from real changes away from any neighbour.
    folder = shared_data / "lulcc_plum_island"
    t0, t1, t2 = (
        read_raster(folder / f"lu_pie_{y}.tif", "categorical") for y in (1985, 1991, 1999)
    )
    appeared = [(t2.values == c) & (t1.values != c) for c in (1, 2, 3)]
    prob = xr.concat([t1.copy(data=np.where(a, 0.9, 0.01)) for a in appeared], dim="class")
    check = validate_simulation(
        t0, t1, t2, prob.assign_coords({"class": [1, 2, 3]}), years=(1985, 1991, 1999), seed=1
    )
    summary = check.summary()
    assert summary["fom"] > 0.5
    assert summary["hits"] > 3000 and summary["wrong_hits"] < 50
    # the published forms (Pontius et al. 2011 Eq. 10, 11) beside the gaining-class one:
    # Forest's losses to Built are found (by initial class), no cell gains Forest correctly
    fom = check.figure_of_merit
    assert summary["fom_by_initial_class"]["1"] == pytest.approx(0.74176, abs=1e-5)
    assert fom.by_gaining_class.loc[1, "fom"] == 0.0
    assert summary["fom_by_initial_class"]["2"] == 0.0
    assert fom.by_gaining_class.loc[2, "fom"] == pytest.approx(0.795833, abs=1e-6)
    assert summary["fom_by_transition"]["1->2"] == pytest.approx(2183 / 2521)  # hits / union
    assert summary["producer_accuracy"] == pytest.approx(3247 / (3247 + 1505 + 4))


def test_maps_of_different_grids_are_refused() -> None:
    t0, t1, prob = _maps()
    shifted = make_raster(t0.values, origin=(0.0, 0.0))
    with pytest.raises(AlignmentError, match="is not on the grid of"):
        simulate(shifted, t1, prob, years=(2000, 2010), target_year=2020)
    moved = xr.concat([make_raster(p, cell_size=60.0) for p in prob.values], dim="class")
    with pytest.raises(AlignmentError, match="probability stack is not on the land-use map"):
        simulate(
            t0, t1, moved.assign_coords({"class": [1, 2, 3]}), years=(2000, 2010), target_year=2020
        )


def test_a_run_that_misses_its_demand_says_which_classes_and_what_to_change() -> None:
    t0, t1, prob = _maps()
    met = simulate(t0, t1, prob, years=(2000, 2010), target_year=2020, seed=5)
    assert met.unmet_demand("change X") is None
    stopped = simulate(
        t0,
        t1,
        prob,
        years=(2000, 2010),
        target_year=2020,
        seed=5,
        parameters=FlusParameters(max_iterations=1),
    )
    left = {c: n for c, n in stopped.allocation.residual_cells.items() if n}
    assert not stopped.allocation.converged and left  # one iteration cannot meet it
    line = stopped.unmet_demand("raise max_iterations")
    assert line is not None
    assert "demand not met after 1 iterations (iteration limit reached)" in line
    for code, n in left.items():
        side = "short of" if n > 0 else "over"
        assert f"class {code} {abs(n)} cells {side} its demand" in line
    assert line.endswith("the map is the allocation where it stopped. Fix: raise max_iterations")


def _probability_file(
    path: Path, shape: tuple[int, int], nodata: float | None, dtype: str = "float32"
) -> np.ndarray:
    """A 6-band suitability file on a 30 m UTM grid; returns its values."""
    from rasterio.transform import from_origin

    rng = np.random.default_rng(7)
    values = rng.random((6, *shape)).astype(dtype)
    values[:, 0, :3] = np.nan if nodata is None else nodata  # nodata cells in every band
    profile = {
        "driver": "GTiff",
        "height": shape[0],
        "width": shape[1],
        "count": 6,
        "dtype": dtype,
        "crs": "EPSG:32650",
        "transform": from_origin(500_000.0, 4_000_000.0, 30.0, 30.0),
        "nodata": np.nan if nodata is None else nodata,
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(values)
        ds.descriptions = tuple(f"class {c}" for c in range(1, 7))
    return values


@pytest.mark.parametrize(("dtype", "size"), [("float32", 4), ("float64", 8)])
def test_read_probability_reads_the_stack_once_in_the_files_precision(
    tmp_path: Path, dtype: str, size: int
) -> None:
    """Six bands of 10^6 cells: the stack is the file's values in the file's precision
    (float32 stays float32: 24 bytes per cell, not 48), nodata NaN, and reading it holds
    that one array and little else. Read band by band as float64 and concatenated, it
    peaked at about 100 bytes per cell."""
    import tracemalloc

    path = tmp_path / "suitability.tif"
    values = _probability_file(path, (1000, 1000), nodata=-9999.0, dtype=dtype)
    read_probability(path, tuple(range(1, 7)))  # imports done before the count
    tracemalloc.start()
    try:
        stack = read_probability(path, tuple(range(1, 7)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stack.dtype == np.dtype(dtype)
    assert stack.dims == ("class", "y", "x")
    assert stack["class"].values.tolist() == [1, 2, 3, 4, 5, 6]
    expected = values.copy()
    expected[expected == -9999.0] = np.nan
    np.testing.assert_array_equal(stack.values, expected)
    assert np.isnan(stack.values[:, 0, :3]).all()
    with rasterio.open(path) as ds:
        assert stack.rio.transform() == ds.transform
        assert stack.rio.crs == ds.crs
    cells = values[0].size
    strips = 6 * STRIP_ROWS * 1000 * size  # the strips read at a time: constant in rows
    assert peak < 6 * size * cells + strips, f"peak {peak / cells:.0f} bytes per cell"


def test_a_band_of_zeros_takes_no_memory(tmp_path: Path) -> None:
    """A PLUS suitability stack has a band of zeros for each class that did not grow. Read
    with nodata as 0 (as the allocation counts it), those bands and the rows of zeros of
    the others are never written into the zeroed stack, so the process's resident memory
    grows by the bands that hold values only (here 2.5 of 6 bands of 16 MB: 3 bands of
    zeros, one whose lower half is 0) and the strips being read. The values are the
    file's, nodata 0."""
    import psutil

    path = tmp_path / "suitability.tif"
    values = _probability_file(path, (2000, 2000), nodata=-9999.0)
    for band in (1, 3, 5):
        values[band] = 0.0
    values[4, 1000:] = 0.0
    values[0, 0, :3] = -9999.0
    with rasterio.open(path, "r+") as ds:
        ds.write(values)
    read_probability(path, tuple(range(1, 7)), nodata=0.0)  # imports done before the count
    gc.collect()
    before = psutil.Process().memory_info().rss
    stack = read_probability(path, tuple(range(1, 7)), nodata=0.0)
    grown = psutil.Process().memory_info().rss - before
    band = values[0].nbytes
    # 2.5 bands of values and the strips read at a time, not the 6 bands of the file
    assert grown < 4 * band, f"{grown / band:.2f} bands resident of 2.5 holding values"
    expected = np.where(values == -9999.0, 0.0, values)
    np.testing.assert_array_equal(stack.values, expected)


def test_a_handed_over_stack_gives_the_map_of_the_stack_with_nan() -> None:
    """The scenario step's stack (:func:`allocation_stack`: NaN set to 0 in place, used by
    the allocation without a copy) gives the same map as the stack with its NaN (which the
    allocation counts as 0, on a copy that leaves the caller's stack as it is)."""
    from landcarbon.landuse.allocation import allocation_stack

    t0, t1, prob = _maps(seed=3, shape=(24, 24))
    prob.values[1, 5:9, 5:9] = np.nan
    prob.values[:, 0, 0] = np.nan
    options: dict[str, Any] = {"years": (2000, 2010), "target_year": 2020, "seed": 5}
    a = simulate(t0, t1, prob, **options).allocation.lulc
    assert np.isnan(prob.values[1, 5:9, 5:9]).all()  # the caller's stack is untouched
    handed = allocation_stack(prob.copy(deep=True))
    np.testing.assert_array_equal(handed.values, np.nan_to_num(prob.values, nan=0.0))
    b = simulate(t0, t1, handed, **options).allocation.lulc
    np.testing.assert_array_equal(a.values, b.values)


def test_a_stack_handed_to_validate_simulation_is_freed_before_the_scores(monkeypatch) -> None:
    """The validation hands its stack over (4 bytes per cell and class): it must be gone
    when the Figure of Merit and the change agreement map are computed, which hold maps of
    their own; a stack the caller keeps stays, and both give the same scores."""
    import weakref

    from landcarbon.landuse import simulate as module

    t0, t1, prob = _maps(3)
    t2 = make_raster(np.where(t1.values == 1, 2, t1.values).astype(np.int32))
    alive: list[bool] = []
    scores = module.figure_of_merit

    def recorded(*maps):
        alive.append(data() is not None)
        return scores(*maps)

    monkeypatch.setattr(module, "figure_of_merit", recorded)
    kept = prob.astype(np.float32)
    data = weakref.ref(kept.data)
    kept_check = validate_simulation(t0, t1, t2, kept, years=(2000, 2010, 2020), seed=2)
    handed = [prob.astype(np.float32)]
    data = weakref.ref(handed[0].data)
    handed_check = validate_simulation(t0, t1, t2, handed.pop(), years=(2000, 2010, 2020), seed=2)
    assert alive == [True, False]
    assert handed_check.summary() == kept_check.summary()
