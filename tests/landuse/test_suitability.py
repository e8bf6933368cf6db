"""PLUS LEAS and FLUS ANN suitability: known-truth synthetic cases, references, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from landcarbon.errors import (
    AlignmentError,
    LandcarbonWarning,
    ParameterError,
    RasterError,
)
from landcarbon.landuse.sampling import (
    capped_rate,
    cell_keys,
    driver_stack,
    random_cells,
    stratified_cells,
    values_at,
)
from landcarbon.landuse.suitability import (
    ann_probability,
    fit_ann,
    leas,
    training_labels,
    tree_votes,
)
from landcarbon.raster import CLASS_NODATA, read_stack
from landcarbon.testing import make_raster

ND = CLASS_NODATA


@pytest.fixture(scope="module")
def region() -> dict[str, xr.DataArray]:
    """60x60 map: class 2 expands only where driver A is high, class 3 anywhere.

    Class 1 covers the map at t0 (plus a few seed cells of 2 and 3); at t1, 30 % of the
    class-1 cells with A > 0.7 became 2, 5 % of all class-1 cells became 3 and 30 % of the
    class-3 cells became 1. Driver B is noise. The top-left 2x3 corner is nodata in both maps.
    """
    rng = np.random.default_rng(42)
    a = np.tile(np.linspace(0, 1, 60), (60, 1))
    b = rng.random((60, 60))
    t0 = np.ones((60, 60), dtype=np.int32)
    t0[rng.random((60, 60)) < 0.05] = 2
    t0[rng.random((60, 60)) < 0.05] = 3
    t1 = t0.copy()
    t1[(t0 == 1) & (a > 0.7) & (rng.random((60, 60)) < 0.3)] = 2
    t1[(t0 == 1) & (t1 == 1) & (rng.random((60, 60)) < 0.05)] = 3
    t1[(t0 == 3) & (rng.random((60, 60)) < 0.3)] = 1
    t0[:2, :3] = ND
    t1[:2, :3] = ND
    return {
        "t0": make_raster(t0),
        "t1": make_raster(t1),
        "A": make_raster(a, name="A"),
        "B": make_raster(b, name="B"),
    }


def _drivers(region: dict[str, xr.DataArray]) -> dict[str, xr.DataArray]:
    return {"A": region["A"], "B": region["B"]}


@pytest.fixture(scope="module")
def fitted(region: dict[str, xr.DataArray]):  # type: ignore[no-untyped-def]
    return leas(region["t0"], region["t1"], _drivers(region), sample_rate=1.0, n_trees=30)


# ---------------------------------------------------------------- expansion map (hand case)
def test_training_labels_keep_the_t1_class_of_changed_cells() -> None:
    t0 = np.array([[1, 1, 2], [3, ND, 1]], dtype=np.int32)
    t1 = np.array([[1, 2, 2], [1, 2, ND]], dtype=np.int32)
    # (0,1) 1->2 keeps 2; (1,0) 3->1 keeps 1; unchanged and nodata cells are empty
    expected = np.array([[ND, 2, ND], [1, ND, ND]], dtype=np.int32)
    np.testing.assert_array_equal(training_labels(t0, t1), expected)
    single = np.array([[1, 2, 2], [1, ND, ND]], dtype=np.int32)
    np.testing.assert_array_equal(training_labels(t0, t1, "single_date"), single)
    with pytest.raises(ParameterError, match="mode='both'; use 'expansion'"):
        training_labels(t0, t1, "both")  # type: ignore[arg-type]


# ---------------------------------------------------------------- LEAS on a known truth
def test_leas_probability_is_high_where_the_class_expanded(region, fitted) -> None:
    p2 = fitted.probability.sel({"class": 2}).values
    a = region["A"].values
    high, low = np.nanmean(p2[a > 0.75]), np.nanmean(p2[a < 0.6])
    assert high > 0.5 > 0.1 > low  # class 2 only expanded where A > 0.7
    contribution = fitted.contribution
    assert contribution.loc[2, "A"] > 2 * contribution.loc[2, "B"]
    np.testing.assert_allclose(contribution.sum(axis=1), 1.0)
    assert list(contribution.columns) == ["A", "B"]
    assert contribution.index.name == "class"


def test_leas_probability_is_the_share_of_trees_voting_for_expansion(region, fitted) -> None:
    """Reference: sklearn's own DecisionTreeClassifier.predict of every tree, averaged."""
    x = fitted.drivers.rows(slice(None))
    usable = fitted.drivers.usable.ravel()
    for code, forest in fitted.models.items():
        votes = np.mean([tree.predict(x[usable]) for tree in forest.estimators_], axis=0)
        got = fitted.probability.sel({"class": code}).values.ravel()[usable]
        np.testing.assert_array_equal(got, votes)
        # vote shares are multiples of 1/M
        np.testing.assert_allclose(got * 30, np.round(got * 30), atol=1e-9)


def test_leas_features_are_min_max_normalised(region, fitted) -> None:
    # A = linspace(0, 1) is already in [0, 1]; B's range over usable cells maps to [0, 1]
    x = fitted.drivers.rows(slice(None))[fitted.drivers.usable.ravel()]
    b = region["B"].values[fitted.drivers.usable]
    np.testing.assert_allclose(x[:, 0], region["A"].values[fitted.drivers.usable], atol=1e-7)
    np.testing.assert_allclose(x[:, 1], (b - b.min()) / (b.max() - b.min()), atol=1e-7)


def test_leas_fit_report(region, fitted) -> None:
    changed = training_labels(region["t0"].values, region["t1"].values) != ND
    fit = fitted.fit
    assert list(fit.index) == [1, 2, 3]
    assert (fit["samples"] == changed.sum()).all()  # sample_rate=1: every changed cell
    labels = region["t1"].values[changed]
    assert fit["expansion_samples"].tolist() == [int((labels == c).sum()) for c in (1, 2, 3)]
    assert ((fit["rmse"] >= 0) & (fit["rmse"] <= fit["oob_rmse"])).all()


def test_leas_output_shape_coords_and_nodata(region, fitted) -> None:
    prob = fitted.probability
    assert prob.dims == ("class", "y", "x")
    assert prob["class"].values.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(prob["y"].values, region["t1"]["y"].values)
    assert prob.rio.crs == region["t1"].rio.crs
    assert np.isnan(prob.values[:, :2, :3]).all()
    inside = prob.values[:, 2:, :]
    assert not np.isnan(inside).any()
    assert inside.min() >= 0 and inside.max() <= 1


def test_leas_is_deterministic_by_seed_and_independent_of_threads(region) -> None:
    args = (region["t0"], region["t1"], _drivers(region))
    one = leas(*args, sample_rate=0.5, n_trees=10, seed=7, n_jobs=1)
    two = leas(*args, sample_rate=0.5, n_trees=10, seed=7, n_jobs=2)
    np.testing.assert_array_equal(one.probability.values, two.probability.values)
    np.testing.assert_array_equal(one.contribution.values, two.contribution.values)
    other = leas(*args, sample_rate=0.5, n_trees=10, seed=8)
    assert not np.array_equal(one.probability.values, other.probability.values, equal_nan=True)


def test_leas_prediction_by_row_blocks_equals_one_block(region, fitted) -> None:
    small = leas(
        region["t0"], region["t1"], _drivers(region), sample_rate=1.0, n_trees=30, cells_per_block=7
    )
    np.testing.assert_array_equal(small.probability.values, fitted.probability.values)


def test_leas_balance_and_single_date_mode(region) -> None:
    args = (region["t0"], region["t1"], _drivers(region))
    balanced = leas(*args, sample_rate=1.0, n_trees=5, balance=True, classes=[1])
    ones = int(balanced.fit.loc[1, "expansion_samples"])
    assert balanced.fit.loc[1, "samples"] == 2 * ones  # as many d=0 as d=1 cells
    single = leas(*args, sample_rate=0.2, n_trees=5, mode="single_date")
    valid = int((region["t1"].values != ND).sum())  # 3594 cells, each drawn with p = 0.2
    assert abs(single.fit.loc[1, "samples"] - 0.2 * valid) < 3 * np.sqrt(valid * 0.2 * 0.8)
    assert single.fit.loc[1, "samples"] == 733  # seed 0's draw (719 expected, sd 24)


def test_leas_planned_driver_replaces_the_driver_at_prediction(region, fitted) -> None:
    a = region["A"].values
    planned_a = make_raster(np.where(a < 0.3, 1.0, a))  # plan: the low-A strip becomes high-A
    kw = {"sample_rate": 1.0, "n_trees": 30}
    result = leas(region["t0"], region["t1"], _drivers(region), planned={"A": planned_a}, **kw)
    pd.testing.assert_frame_equal(result.contribution, fitted.contribution)  # same training
    p_now = fitted.probability.sel({"class": 2}).values
    p_plan = result.probability.sel({"class": 2}).values
    assert np.nanmean(p_plan[a < 0.3]) > 0.5 > 0.1 > np.nanmean(p_now[a < 0.3])
    np.testing.assert_array_equal(p_plan[a >= 0.3], p_now[a >= 0.3])
    with pytest.raises(ParameterError, match=r"planned drivers \['C'\] are not among"):
        leas(region["t0"], region["t1"], _drivers(region), planned={"C": planned_a}, **kw)
    holes = planned_a.values.copy()
    holes[20, 20] = np.nan
    with pytest.raises(RasterError, match=r"planned A \(1 cells\)"):
        leas(*list(region.values())[:2], _drivers(region), planned={"A": make_raster(holes)}, **kw)


# ---------------------------------------------------------------- LEAS bad input
def test_leas_refuses_drivers_on_another_grid(region) -> None:
    moved = make_raster(region["A"].values, origin=(500_030.0, 4_000_000.0))
    with pytest.raises(AlignmentError, match=r"driver A: origin .* is shifted by \(1, -?0\) cells"):
        leas(region["t0"], region["t1"], {"A": moved, "B": region["B"]})
    with pytest.raises(AlignmentError, match="land use t0: shape"):
        leas(make_raster(np.ones((5, 5), np.int32)), region["t1"], _drivers(region))


def test_leas_class_without_expansion_gets_zero_with_a_warning(region) -> None:
    t1 = region["t1"].values.copy()
    t1[(t1 == 3) & (region["t0"].values != 3)] = 1  # undo every expansion into 3
    with pytest.warns(LandcarbonWarning, match="class 3: no cell changed into it"):
        result = leas(region["t0"], make_raster(t1), _drivers(region), sample_rate=1.0, n_trees=5)
    assert np.nanmax(result.probability.sel({"class": 3}).values) == 0
    assert result.contribution.loc[3].isna().all()


def test_leas_sample_without_a_class_says_how_to_fix(region) -> None:
    with pytest.raises(
        ParameterError, match=r"class 1: the training sample of 1 cells holds"
    ) as err:
        leas(region["t0"], region["t1"], _drivers(region), sample_rate=1e-6, seed=3)
    assert "raise the sampling rate (sample_rate; CLI --sample-rate;" in str(err.value)


def test_leas_parameter_checks(region) -> None:
    args = (region["t0"], region["t1"], _drivers(region))
    with pytest.raises(
        ParameterError, match=r"mtry=3 must be between 1 and the number of drivers \(2\)"
    ):
        leas(*args, mtry=3)
    with pytest.raises(ParameterError, match=r"classes \[9\] are in neither land-use map"):
        leas(*args, classes=[2, 9])
    with pytest.raises(ParameterError, match="n_trees=0 must be at least 1"):
        leas(*args, n_trees=0)
    with pytest.raises(ParameterError, match=r"sample rate 1.5 must be in \(0, 1\]"):
        leas(*args, sample_rate=1.5)
    with pytest.raises(ParameterError, match="no drivers given"):
        leas(region["t0"], region["t1"], {})


def _with_holes(region: dict[str, xr.DataArray]) -> dict[str, xr.DataArray]:
    b = region["B"].values.copy()
    b[10, 10:14] = np.nan  # 4 holes on valid land use
    b[0, 0] = np.nan  # a hole on nodata land use does not count
    return {"A": region["A"], "B": make_raster(b)}


def test_nan_drivers_raise_by_default_naming_the_driver_and_count(region) -> None:
    with pytest.raises(RasterError, match=r"no data where land use is valid: B \(4 cells\)") as err:
        leas(region["t0"], region["t1"], _with_holes(region))
    # the fix names both the keyword and the CLI option, never only `missing='exclude'`
    assert "missing = 'exclude' (CLI --missing exclude: those cells" in str(err.value)


def test_nan_drivers_excluded_or_filled(region) -> None:
    drivers = _with_holes(region)
    kw = {"sample_rate": 1.0, "n_trees": 5}
    excluded = leas(region["t0"], region["t1"], drivers, missing="exclude", **kw)
    assert np.isnan(excluded.probability.values[:, 10, 10:14]).all()
    assert np.isfinite(excluded.probability.values[:, 10, 14]).all()
    filled = leas(region["t0"], region["t1"], drivers, missing="mean", **kw)
    assert np.isfinite(filled.probability.values[:, 10, 10:14]).all()
    # the holes take B's mean over the cells where it has data, then min-max scaling
    stack = filled.drivers
    b = drivers["B"].values
    mean = np.nanmean(b[stack.usable])
    x = stack.rows(slice(10, 11))[10:14, 1]
    np.testing.assert_allclose(x, (mean - stack.low[1]) / (stack.high[1] - stack.low[1]), rtol=1e-6)
    with pytest.raises(
        ParameterError, match=r"missing = 'zero' \(CLI --missing zero\): use raise, exclude or mean"
    ):
        leas(region["t0"], region["t1"], drivers, missing="zero")  # type: ignore[arg-type]


# ---------------------------------------------------------------- FLUS ANN
@pytest.fixture(scope="module")
def occurrence(region):  # type: ignore[no-untyped-def]
    return ann_probability(region["t1"], _drivers(region), sample_rate=0.5, seed=1)


@pytest.fixture(scope="module")
def ann_reference(region):  # type: ignore[no-untyped-def]
    """The network behind ``occurrence``."""
    return fit_ann(region["t1"], _drivers(region), sample_rate=0.5, seed=1)


def test_ann_probabilities_sum_to_one_and_follow_the_driver(region, occurrence) -> None:
    assert occurrence.dims == ("class", "y", "x")
    assert occurrence["class"].values.tolist() == [1, 2, 3]
    total = occurrence.sum("class", skipna=False).values
    np.testing.assert_allclose(total[2:], 1.0, atol=1e-12)
    assert np.isnan(occurrence.values[:, :2, :3]).all()
    p2, a = occurrence.sel({"class": 2}).values, region["A"].values
    assert np.nanmean(p2[a > 0.75]) > 2 * np.nanmean(p2[a < 0.6])


def test_ann_probability_is_the_networks_predict_proba(occurrence, ann_reference) -> None:
    fitted = ann_reference
    usable = fitted.drivers.usable.ravel()
    expected = fitted.model.predict_proba(fitted.drivers.rows(slice(None))[usable])
    got = occurrence.values.reshape(3, -1)[:, usable].T
    np.testing.assert_array_equal(got, expected)
    assert fitted.model.activation == "logistic"
    assert fitted.model.hidden_layer_sizes == (12,)


def test_ann_is_deterministic_by_seed(region, occurrence) -> None:
    again = ann_probability(region["t1"], _drivers(region), sample_rate=0.5, seed=1)
    np.testing.assert_array_equal(again.values, occurrence.values)
    other = ann_probability(region["t1"], _drivers(region), sample_rate=0.5, seed=2)
    assert not np.array_equal(other.values, occurrence.values, equal_nan=True)


def test_ann_random_sampling_and_bad_input(region) -> None:
    drivers = _drivers(region)
    prob = ann_probability(region["t1"], drivers, sample_size=500, sampling="random", hidden=4)
    np.testing.assert_allclose(prob.sum("class").values[2:], 1.0, atol=1e-12)
    with pytest.raises(ParameterError, match="sampling='stratified'; use 'uniform' or 'random'"):
        ann_probability(region["t1"], drivers, sampling="stratified")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="hidden=0 must be at least 1"):
        ann_probability(region["t1"], drivers, hidden=0)
    with pytest.raises(RasterError, match=r"B \(4 cells\)"):
        ann_probability(region["t1"], _with_holes(region))
    with pytest.raises(ParameterError, match="holds one class"):
        ann_probability(make_raster(np.ones((60, 60), np.int32)), drivers)


# ---------------------------------------------------------------- sampling properties
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rate=st.floats(0.01, 1.0),
    density=st.floats(0.05, 1.0),
)
def test_random_cells_is_a_sorted_subset_of_the_mask(
    seed: int, rate: float, density: float
) -> None:
    rng = np.random.default_rng(seed)
    mask = rng.random((17, 23)) < density
    mask[0, 0] = True
    cells = random_cells(mask, rate, seed)
    assert cells.size >= 1
    assert np.all(np.diff(cells) > 0)
    assert mask.ravel()[cells].all()
    np.testing.assert_array_equal(cells, random_cells(mask, rate, seed))


def test_random_cells_draws_each_cell_with_the_rate_and_keeps_at_least_one() -> None:
    mask = np.ones((400, 250), dtype=bool)
    cells = random_cells(mask, 0.1, 7)
    assert abs(cells.size - 10_000) < 5 * np.sqrt(100_000 * 0.1 * 0.9)  # Bernoulli(0.1)
    assert 0.45 < np.mean(cells % 250 < 125) < 0.55  # spread over the columns
    assert random_cells(mask, 1.0, 7).size == mask.size
    tiny = random_cells(mask[:3, :3], 1e-9, 7)  # no key below: the smallest key is drawn
    keys = cell_keys(7, np.array([0, 1, 2, 250, 251, 252, 500, 501, 502]))
    assert tiny.tolist() == [[0, 1, 2, 250, 251, 252, 500, 501, 502][int(np.argmin(keys))]]
    assert not np.array_equal(cells, random_cells(mask, 0.1, 8))


def test_cell_keys_are_splitmix64() -> None:
    """The reference SplitMix64 stream from 0 (Vigna's splitmix64.c): 0xE220A8397B1DCDAF, ..."""
    keys = cell_keys(0, np.arange(3))
    assert [int(k) for k in keys] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


_CHUNKINGS = [(60, 60), (7, 13), ((50, 3, 7), (1, 58, 1))]  # one chunk, even, uneven


@pytest.mark.parametrize("chunks", _CHUNKINGS)
def test_the_sample_is_the_same_in_memory_and_chunked(chunks) -> None:
    import dask.array as da

    rng = np.random.default_rng(3)
    codes = rng.choice([1, 2, 5], size=(60, 60), p=[0.8, 0.15, 0.05]).astype(np.int32)
    mask = rng.random((60, 60)) < 0.9
    lazy_codes, lazy_mask = da.from_array(codes, chunks=chunks), da.from_array(mask, chunks=chunks)
    memory = random_cells(mask, 0.05, 11)
    np.testing.assert_array_equal(random_cells(lazy_mask, 0.05, 11), memory)
    assert 0.03 * mask.sum() < memory.size < 0.07 * mask.sum()
    strata = stratified_cells(codes, mask, [1, 2, 5], 90, 11)
    chunked = stratified_cells(lazy_codes, lazy_mask, [1, 2, 5], 90, 11)
    np.testing.assert_array_equal(chunked, strata)
    assert np.bincount(codes.ravel()[strata]).tolist()[1:] == [30, 30, 0, 0, 30]
    single = random_cells(mask & (codes == 5), 1e-12, 11)  # the smallest key of all chunks
    np.testing.assert_array_equal(random_cells(lazy_mask & (lazy_codes == 5), 1e-12, 11), single)


@pytest.mark.parametrize("chunks", _CHUNKINGS)
def test_values_at_gathers_the_cells_chunk_by_chunk_in_the_given_order(chunks) -> None:
    import dask.array as da

    rng = np.random.default_rng(5)
    values = rng.random((60, 60))
    codes = rng.integers(0, 9, (60, 60)).astype(np.int32)
    flat = rng.choice(3600, 200, replace=False)  # unsorted, as a caller may give them
    lazy = [da.from_array(a, chunks=chunks) for a in (values, codes)]
    got = values_at(flat, *lazy)
    np.testing.assert_array_equal(got[0], values.ravel()[flat])
    np.testing.assert_array_equal(got[1], codes.ravel()[flat])
    assert got[1].dtype == np.int32
    assert values_at(np.array([], np.int64), *lazy)[0].size == 0


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=6, max_size=6),
)
def test_normalised_features_lie_in_the_unit_interval(values: list[float]) -> None:
    lulc = make_raster(np.ones((2, 3), np.int32))
    driver = make_raster(np.asarray(values).reshape(2, 3))
    stack = driver_stack({"lulc": lulc}, [driver], np.ones((2, 3), bool))
    x = stack.rows(slice(None))
    assert x.min() >= 0 and x.max() <= 1
    if max(values) > min(values):
        assert x.min() == 0 and x.max() == 1


def test_tree_votes_count_whole_trees(fitted) -> None:
    forest = fitted.models[2]
    x = fitted.drivers.at(np.arange(50, 60))
    votes = tree_votes(forest, x, n_jobs=2)
    assert np.all(np.isin(np.round(votes * 30), np.arange(31)))


# ---------------------------------------------------------------- real data
def _plum(shared_data):  # type: ignore[no-untyped-def]
    folder = shared_data / "lulcc_plum_island"
    maps = {y: folder / f"lu_pie_{y}.tif" for y in ("1985", "1991", "1999")}
    drivers = {f"ef_00{i}": folder / f"ef_00{i}.tif" for i in (1, 2, 3)}
    stack = read_stack(maps | drivers, dict.fromkeys(maps, "categorical"))
    return stack, {k: stack[k] for k in drivers}


def test_plum_island_leas_predicts_the_next_built_expansion(shared_data) -> None:
    """Train on 1985->1991, score against the observed 1991->1999 expansion (AUC)."""
    stack, drivers = _plum(shared_data)
    result = leas(stack["1985"], stack["1991"], drivers, sample_rate=0.5, n_trees=50, seed=0)
    t1, t2 = stack["1991"].values, stack["1999"].values
    scored = (t1 != ND) & (t2 != ND) & (t1 != 2)
    became_built = (t2 == 2)[scored]
    assert became_built.sum() == 2183 + 1064  # 1991->1999 matrix of expected.json
    auc = roc_auc_score(became_built, result.probability.sel({"class": 2}).values[scored])
    assert auc > 0.53  # measured 0.545 (3247 new built cells: standard error about 0.005)
    smooth = leas(
        stack["1985"], stack["1991"], drivers, sample_rate=1.0, n_trees=50, min_leaf=50, seed=0
    )
    auc_smooth = roc_auc_score(became_built, smooth.probability.sel({"class": 2}).values[scored])
    assert auc_smooth > 0.57  # measured ~0.60; raw distance-to-built alone gives 0.604
    changed = 1926 + 415 + 37 + 359 + 1339  # 1985->1991 changes; each drawn with p = 0.5
    assert abs(result.fit.loc[2, "samples"] - 0.5 * changed) < 3 * np.sqrt(changed * 0.25)
    assert result.fit.loc[2, "samples"] == 1999  # seed 0's draw (2038 expected, sd 32)


def test_plum_island_ann_occurrence(shared_data) -> None:
    stack, drivers = _plum(shared_data)
    prob = ann_probability(stack["1985"], drivers, sample_rate=0.05, seed=0)
    t0 = stack["1985"].values
    valid = t0 != ND
    for code in (1, 2, 3):
        auc = roc_auc_score((t0 == code)[valid], prob.sel({"class": code}).values[valid])
        assert auc > 0.6, (code, auc)


def test_molusce_sample_leas_and_ann(shared_data) -> None:
    folder = shared_data / "molusce_sample"
    paths = {
        "init": folder / "init.tif",
        "final": folder / "final.tif",
        "dist_river": folder / "dist_river.tif",
        "dist_roads": folder / "dist_roads.tif",
    }
    stack = read_stack(paths, {"init": "categorical", "final": "categorical"})
    drivers = {k: stack[k] for k in ("dist_river", "dist_roads")}
    result = leas(stack["init"], stack["final"], drivers, sample_rate=0.2, n_trees=20)
    assert result.probability["class"].values.tolist() == [1, 2, 3, 4]
    valid = stack["final"].values != ND
    assert int((valid & (stack["init"].values != ND)).sum()) == 161_636  # SOURCE.md crosstab
    assert not np.isnan(result.probability.values[:, valid]).any()
    np.testing.assert_allclose(result.contribution.sum(axis=1), 1.0)
    prob = ann_probability(stack["init"], drivers, sample_rate=0.02)
    init_valid = stack["init"].values != ND
    np.testing.assert_allclose(prob.sum("class").values[init_valid], 1.0, atol=1e-12)
    assert np.isnan(prob.values[:, ~init_valid]).all()


# ---------------------------------------------------------------- chunked == in memory
# one chunk, even chunks, uneven chunks, and a first chunk (the 2 x 3 corner) all nodata
_STUDY_CHUNKS = {
    "one": (60, 60),
    "even": (20, 20),
    "uneven": ((7, 30, 23), (13, 40, 7)),
    "nodata chunk": ((2, 58), (3, 57)),
}


def _chunk(maps: dict[str, xr.DataArray], chunks) -> dict[str, xr.DataArray]:  # type: ignore[no-untyped-def]
    return {k: v.chunk({"y": chunks[0], "x": chunks[1]}) for k, v in maps.items()}


def _same_forests(chunked, memory) -> None:  # type: ignore[no-untyped-def]
    """Same classes, same trees split for split: the forests saw the same training rows."""
    assert chunked.models.keys() == memory.models.keys()
    for code, forest in memory.models.items():
        for a, b in zip(chunked.models[code].estimators_, forest.estimators_, strict=True):
            np.testing.assert_array_equal(a.tree_.feature, b.tree_.feature)
            np.testing.assert_array_equal(a.tree_.threshold, b.tree_.threshold)
            np.testing.assert_array_equal(a.tree_.value, b.tree_.value)


@pytest.mark.parametrize("chunks", _STUDY_CHUNKS.values(), ids=_STUDY_CHUNKS.keys())
def test_leas_chunked_equals_in_memory_bit_for_bit(region, chunks) -> None:
    from landcarbon.backend import is_dask

    kw = {"sample_rate": 0.5, "n_trees": 10, "seed": 3}
    memory = leas(region["t0"], region["t1"], _drivers(region), **kw)
    lazy = _chunk(region, chunks)
    chunked = leas(lazy["t0"], lazy["t1"], _drivers(lazy), **kw)
    # the statistics of the drivers, the sample (fit table, trees) and the model
    np.testing.assert_array_equal(chunked.drivers.low, memory.drivers.low)
    np.testing.assert_array_equal(chunked.drivers.high, memory.drivers.high)
    pd.testing.assert_frame_equal(chunked.fit, memory.fit, check_exact=True)
    pd.testing.assert_frame_equal(chunked.contribution, memory.contribution, check_exact=True)
    _same_forests(chunked, memory)
    # the probability: lazy, every class of a chunk predicted at once, the same bits
    assert is_dask(chunked.probability)
    assert chunked.probability.data.chunks[0] == (3,)
    np.testing.assert_array_equal(chunked.probability.values, memory.probability.values)
    assert np.isnan(chunked.probability.values[:, :2, :3]).all()


def test_capped_rate_lowers_the_rate_only_where_it_draws_more_than_the_cap() -> None:
    assert capped_rate(0.05, None, 10**8) == 0.05
    assert capped_rate(0.05, 25_000, 10**8) == 25_000 / 10**8  # 5e6 cells drawn -> 25 000
    assert capped_rate(0.05, 25_000, 100_000) == 0.05  # 5 000 drawn: under the cap
    assert capped_rate(0.05, 25_000, 0) == 0.05
    with pytest.raises(ParameterError, match="max_samples = 0"):
        capped_rate(0.05, 0, 100)


@pytest.mark.parametrize("chunks", [None, (17, 23)])
def test_leas_max_samples_is_the_rate_that_draws_that_many(region, chunks) -> None:
    t0, t1 = region["t0"].values, region["t1"].values
    changed = int(((t0 != t1) & (t0 != ND) & (t1 != ND)).sum())  # the expansion map's cells
    maps = region if chunks is None else _chunk(region, chunks)
    args = (maps["t0"], maps["t1"], _drivers(maps))
    capped = leas(*args, sample_rate=0.8, max_samples=150, n_trees=5, seed=2)
    by_rate = leas(
        region["t0"], region["t1"], _drivers(region), sample_rate=150 / changed, n_trees=5, seed=2
    )
    pd.testing.assert_frame_equal(capped.fit, by_rate.fit, check_exact=True)
    np.testing.assert_array_equal(capped.probability.values, by_rate.probability.values)
    drawn = int(capped.fit["samples"].iloc[0])
    assert abs(drawn - 150) < 3 * np.sqrt(150), (drawn, changed)
    # a cap above what the rate draws changes nothing
    loose = leas(*args, sample_rate=0.3, max_samples=changed, n_trees=5, seed=2)
    free = leas(*args, sample_rate=0.3, n_trees=5, seed=2)
    pd.testing.assert_frame_equal(loose.fit, free.fit, check_exact=True)


def test_ann_max_samples_caps_its_training_cells(region) -> None:
    usable = int((region["t1"].values != ND).sum())
    capped = fit_ann(
        region["t1"], _drivers(region), sample_rate=0.5, max_samples=90, sampling="random", seed=1
    )
    by_rate = fit_ann(
        region["t1"], _drivers(region), sample_rate=90 / usable, sampling="random", seed=1
    )
    np.testing.assert_array_equal(capped.model.coefs_[0], by_rate.model.coefs_[0])


@pytest.mark.parametrize("missing", ["exclude", "mean"])
def test_leas_chunked_with_driver_holes_and_planned_drivers_equals_in_memory(
    region, missing
) -> None:
    drivers = _with_holes(region)
    planned = {"A": make_raster(region["A"].values[:, ::-1].copy())}
    kw = {"sample_rate": 0.5, "n_trees": 5, "seed": 4, "missing": missing, "planned": planned}
    memory = leas(region["t0"], region["t1"], drivers, **kw)  # type: ignore[arg-type]
    chunks = _STUDY_CHUNKS["uneven"]
    lazy = _chunk({**region, **drivers}, chunks)
    lazy_planned = _chunk(planned, chunks)
    chunked = leas(
        lazy["t0"], lazy["t1"], {"A": lazy["A"], "B": lazy["B"]}, **{**kw, "planned": lazy_planned}
    )  # type: ignore[arg-type]
    np.testing.assert_array_equal(chunked.drivers.fill, memory.drivers.fill)
    if missing == "mean":  # the mean of B over the cells where it has data, 1e-15 of numpy's
        assert memory.drivers.fill[1] == pytest.approx(
            np.nanmean(
                drivers["B"].values[~np.isnan(drivers["B"].values) & (region["t1"].values != ND)]
            ),
            rel=1e-14,
        )
    else:
        assert np.isnan(memory.drivers.fill).all()  # never used: no usable cell is NaN
    _same_forests(chunked, memory)
    np.testing.assert_array_equal(chunked.probability.values, memory.probability.values)


def test_chunked_driver_holes_are_refused_with_the_same_counts(region) -> None:
    lazy = _chunk({**region, **_with_holes(region)}, _STUDY_CHUNKS["even"])
    with pytest.raises(RasterError, match=r"no data where land use is valid: B \(4 cells\)"):
        leas(lazy["t0"], lazy["t1"], {"A": lazy["A"], "B": lazy["B"]})


@pytest.mark.parametrize("chunks", _STUDY_CHUNKS.values(), ids=_STUDY_CHUNKS.keys())
def test_ann_chunked_equals_in_memory(region, occurrence, ann_reference, chunks) -> None:
    """The same sample and network; the probabilities agree bit for bit here (a chunk
    predicts its own rows; BLAS could in principle sum a batch in another order, so the
    contract is 1e-12)."""
    lazy = _chunk(region, chunks)
    fitted = fit_ann(lazy["t1"], _drivers(lazy), sample_rate=0.5, seed=1)
    for a, b in zip(fitted.model.coefs_, ann_reference.model.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    chunked = ann_probability(lazy["t1"], _drivers(lazy), sample_rate=0.5, seed=1)
    assert chunked.data.chunks[0] == (3,)  # every class of a chunk predicted at once
    np.testing.assert_allclose(chunked.values, occurrence.values, rtol=0, atol=1e-12)


def test_chunked_probability_is_written_block_by_block(tmp_path) -> None:
    """Writing the lazy stack holds a few chunks, never the (class, y, x) stack: the peak
    of numpy allocations while writing stays under one float64 layer of the map."""
    import tracemalloc

    import dask
    import rasterio

    from landcarbon.raster import write_raster

    rng = np.random.default_rng(9)
    shape = (1200, 300)  # the writer's strip buffer, (64 + 256) x 300 float32, is small
    a = np.tile(np.linspace(0, 1, shape[1]), (shape[0], 1))
    t0 = np.ones(shape, np.int32)
    t1 = t0.copy()
    t1[(a > 0.6) & (rng.random(shape) < 0.2)] = 2
    t1[rng.random(shape) < 0.05] = 3
    maps = {"t0": make_raster(t0), "t1": make_raster(t1), "A": make_raster(a, name="A")}
    lazy = _chunk(maps, (64, 64))
    kw = {"sample_rate": 0.02, "n_trees": 5, "seed": 2, "classes": [2, 3]}
    chunked = leas(lazy["t0"], lazy["t1"], {"A": lazy["A"]}, **kw).probability
    layer = shape[0] * shape[1] * 8
    tracemalloc.start()
    try:  # 2 threads: the writer computes at most 4 blocks ahead
        with dask.config.set(scheduler="threads", num_workers=2):
            write_raster(chunked.astype(np.float32), tmp_path / "lazy.tif")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < layer, peak  # 2.9 MB a float64 layer, 5.8 MB the stack; 1.7 MB measured
    memory = leas(maps["t0"], maps["t1"], {"A": maps["A"]}, **kw).probability
    with rasterio.open(tmp_path / "lazy.tif") as ds:
        written = ds.read()
    np.testing.assert_array_equal(written, memory.values.astype(np.float32))


@pytest.mark.parametrize("method", ["leas", "ann"])
def test_chunked_prediction_reads_each_chunk_of_the_drivers_once(region, tmp_path, method) -> None:
    """Writing the chunked probability (the stack and one file per class) reads each chunk
    of each driver once and predicts every class from it (it read them once per class and
    file: 6 times with 3 classes), and the files hold the in-memory layers."""
    import collections

    import rasterio

    from landcarbon.landuse.suitability import write_suitability

    reads: collections.Counter[tuple[str, tuple[int, ...]]] = collections.Counter()

    def counted(block: np.ndarray, label: str, block_info=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        reads[label, block_info[0]["chunk-location"]] += 1
        return block

    def fitted(maps: dict[str, xr.DataArray]) -> xr.DataArray:
        drivers = _drivers(maps)
        if method == "leas":
            return leas(maps["t0"], maps["t1"], drivers, sample_rate=0.5, n_trees=5).probability
        return ann_probability(maps["t1"], drivers, hidden=4, sample_rate=0.5, max_iter=50)

    lazy = _chunk(region, _STUDY_CHUNKS["uneven"])
    for name in ("A", "B"):
        lazy[name] = lazy[name].copy(
            data=lazy[name].data.map_blocks(counted, label=name, dtype=float)
        )
    probability = fitted(lazy)
    reads.clear()  # the statistics and the sample read every chunk before
    write_suitability(probability, tmp_path)
    assert len(reads) == 2 * 3 * 3 and set(reads.values()) == {1}, reads
    memory = fitted(region).values.astype(np.float32)
    with rasterio.open(tmp_path / "probability.tif") as ds:
        np.testing.assert_array_equal(ds.read(), memory)
    for i, code in enumerate(probability["class"].values):
        with rasterio.open(tmp_path / f"probability_{code}.tif") as ds:
            np.testing.assert_array_equal(ds.read(1), memory[i])
