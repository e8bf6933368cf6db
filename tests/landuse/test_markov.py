"""Markov demand: hand cases, fractional steps vs scipy/eigen, adjustments, overrides."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from landcarbon.errors import LandcarbonWarning, ParameterError
from landcarbon.landuse.change import TransferMatrix, transfer_matrix
from landcarbon.landuse.markov import (
    TransitionProbabilities,
    adjust_transitions,
    matrix_power,
    override_demand,
    project_demand,
    round_preserving_total,
    transition_probabilities,
)
from landcarbon.raster import read_raster

CELL_HA = 0.09


def _tm(cells: list[list[int]], years: tuple[float, float] | None = (2000, 2010)) -> TransferMatrix:
    c = np.asarray(cells, dtype=np.int64)
    return TransferMatrix(tuple(range(1, len(c) + 1)), c, c * CELL_HA, years)


def _hand() -> TransitionProbabilities:
    # 1->1: 3, 1->2: 2, 2->1: 1, 2->2: 2 cells over 2000-2010
    return transition_probabilities(_tm([[3, 2], [1, 2]]))


def test_probabilities_are_row_normalised_counts():
    tp = _hand()
    # row 1: 3/5, 2/5; row 2: 1/3, 2/3
    np.testing.assert_allclose(tp.matrix, [[0.6, 0.4], [1 / 3, 2 / 3]], rtol=1e-15)
    assert tp.interval_years == 10 and tp.start_year == 2010
    np.testing.assert_array_equal(tp.start_cells, [4, 4])  # column sums: the t1 map
    # a class absent at t0 keeps its t1 cells (identity row), and a warning says so
    with pytest.warns(LandcarbonWarning, match=r"class\(es\) 2 \(1 cells at t1\) have no cells"):
        absent = transition_probabilities(_tm([[3, 1], [0, 0]]))
    np.testing.assert_array_equal(absent.matrix[1], [0, 1])


def test_whole_steps_by_hand():
    tp = _hand()
    one = project_demand(tp, 2020)
    # [4, 4] . P = [4*0.6 + 4/3, 4*0.4 + 8/3] = [3.7333, 4.2667] cells
    np.testing.assert_allclose(
        one.area_ha, CELL_HA * np.array([3.7333333333, 4.2666666667]), rtol=1e-9
    )
    # largest remainder: floors [3, 4], one cell short -> class 1 (.733 > .267)
    np.testing.assert_array_equal(one.cells, [4, 4])
    two = project_demand(tp, 2030)
    # P^2 = [[0.49333, 0.50667], [0.42222, 0.57778]]; [4, 4] . P^2 = [3.66222, 4.33778]
    np.testing.assert_allclose(two.area_ha / CELL_HA, [3.6622222222, 4.3377777778], rtol=1e-9)
    np.testing.assert_array_equal(two.cells, [4, 4])
    assert two.source == ("markov", "markov") and two.regularisation == 0.0
    same = project_demand(tp, 2010)
    np.testing.assert_array_equal(same.cells, [4, 4])


def test_half_step_equals_eigen_decomposition_and_scipy_sqrtm():
    tp = _hand()
    half = project_demand(tp, 2015)
    # eigen-decomposition P = V diag(w) V^-1; w = 1 and trace - 1 = 0.26667 (both > 0)
    w, v = np.linalg.eig(tp.matrix)
    root = (v @ np.diag(np.sqrt(w)) @ np.linalg.inv(v)).real
    np.testing.assert_allclose(root, scipy.linalg.sqrtm(tp.matrix), atol=1e-14)
    np.testing.assert_allclose(half.area_ha, tp.start_area_ha @ root, rtol=1e-12)
    assert half.regularisation < 1e-12
    # 1.5 steps = P . P^0.5
    np.testing.assert_allclose(
        project_demand(tp, 2025).area_ha, tp.start_area_ha @ tp.matrix @ root, rtol=1e-12
    )


def test_non_stochastic_root_is_clipped_renormalised_and_warned():
    # a swap matrix has eigenvalue -1: its square root is complex
    tp = transition_probabilities(_tm([[0, 3], [5, 0]]))
    with pytest.warns(LandcarbonWarning, match=r"not stochastic .* method=\"linear\""):
        demand = project_demand(tp, 2015)
    power, change = matrix_power(tp.matrix, 0.5)
    assert change > 1e-6
    assert np.all(power >= 0)
    np.testing.assert_allclose(power.sum(axis=1), 1.0, rtol=1e-15)
    assert demand.cells.sum() == 8 and demand.area_ha.sum() == pytest.approx(8 * CELL_HA)


def test_linear_method_interpolates_whole_steps():
    tp = _hand()
    # halfway between [4, 4] and [3.7333, 4.2667]
    half = project_demand(tp, 2015, method="linear")
    np.testing.assert_allclose(half.area_ha / CELL_HA, [3.8666666667, 4.1333333333], rtol=1e-9)
    with pytest.raises(ParameterError, match="method 'cubic'"):
        project_demand(tp, 2015, method="cubic")  # type: ignore[arg-type]


def test_target_before_start_and_missing_years_are_refused():
    with pytest.raises(ParameterError, match="target year 2005 is before the start year 2010"):
        project_demand(_hand(), 2005)
    with pytest.raises(ParameterError, match="no years; pass years"):
        transition_probabilities(_tm([[1]], years=None))


def test_multipliers_renormalise_their_rows():
    adjusted = adjust_transitions(_hand(), {(1, 2): 2.0})
    # row 1: [0.6, 0.8] / 1.4 = [0.428571, 0.571429]; row 2 unchanged
    np.testing.assert_allclose(
        adjusted.matrix, [[0.6 / 1.4, 0.8 / 1.4], [1 / 3, 2 / 3]], rtol=1e-15
    )


def test_bad_multipliers_are_refused():
    with pytest.raises(ParameterError, match=r"scenario 'x': transition \(1, 7\) names class 7"):
        adjust_transitions(_hand(), {(1, 7): 2.0}, label="scenario 'x'")
    with pytest.raises(ParameterError, match=r"factor -1.0: must be finite and >= 0"):
        adjust_transitions(_hand(), {(1, 2): -1.0})
    with pytest.raises(ParameterError, match=r"every transition out of class\(es\) \[1\]"):
        adjust_transitions(_hand(), {(1, 1): 0.0, (1, 2): 0.0})


def test_partial_override_rescales_the_other_classes():
    demand = project_demand(_hand(), 2010)  # [4, 4] cells = [0.36, 0.36] ha
    out = override_demand(demand, {2: 0.45})
    # class 2 = 0.45 ha = 5 cells; class 1 takes the rest: 0.72 - 0.45 = 0.27 ha = 3 cells
    np.testing.assert_allclose(out.area_ha, [0.27, 0.45], rtol=1e-12)
    np.testing.assert_array_equal(out.cells, [3, 5])
    assert out.source == ("rescaled", "override")
    assert out.cells_by_code() == {1: 3, 2: 5}


def test_demands_that_do_not_sum_to_the_region_are_refused():
    demand = project_demand(_hand(), 2010)
    with pytest.raises(
        ParameterError,
        match=r"the demands sum to 0.9 ha but the region .* is 0.72 ha; demands for every class",
    ):
        override_demand(demand, {1: 0.45, 2: 0.45})
    # within half a cell (0.045 ha) is accepted and rounded to the region's cells
    np.testing.assert_array_equal(override_demand(demand, {1: 0.37, 2: 0.37}).cells, [4, 4])
    with pytest.raises(ParameterError, match=r"classes not given \[1\] cannot take up"):
        override_demand(demand, {2: 0.9})
    with pytest.raises(ParameterError, match="class 3 is absent from the land-use maps"):
        override_demand(demand, {3: 0.1})
    with pytest.raises(ParameterError, match=r"class 2 area -1\.0 ha: must be >= 0"):
        override_demand(demand, {2: -1.0})


def test_plum_island_markov_from_published_matrix(shared_data):
    folder = shared_data / "lulcc_plum_island"
    published = json.loads((folder / "expected.json").read_text())["published"]
    counts = np.array(
        [published["transfer_matrix_1985_to_1991"][k] for k in ("Forest", "Built", "Other")], float
    )
    p = counts / counts.sum(axis=1, keepdims=True)
    a, b = (read_raster(folder / f"lu_pie_{y}.tif", "categorical") for y in (1985, 1991))
    tp = transition_probabilities(transfer_matrix(a, b, years=(1985, 1991)))
    np.testing.assert_allclose(tp.matrix, p, rtol=1e-15)
    # 1991 -> 2003 is two 6-year steps
    expected = counts.sum(axis=0) @ p @ p
    demand = project_demand(tp, 2003)
    np.testing.assert_allclose(demand.cells, expected, atol=1)
    assert demand.cells.sum() == counts.sum()


def _stochastic(raw: np.ndarray) -> np.ndarray:
    return raw / raw.sum(axis=1, keepdims=True)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (4, 4), elements=st.floats(0.01, 1.0)),
    arrays(np.int64, 4, elements=st.integers(0, 10_000)),
    st.floats(0.0, 5.0),
    st.sampled_from(["matrix_power", "linear"]),
)
def test_projection_conserves_total_area(raw, cells, steps, method):
    if cells.sum() == 0:
        return
    tp = TransitionProbabilities(
        (1, 2, 3, 4), _stochastic(raw), 5.0, 2000.0, cells, cells * CELL_HA
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LandcarbonWarning)  # a non-stochastic root is fine here
        demand = project_demand(tp, 2000.0 + 5.0 * steps, method=method)
    assert demand.cells.sum() == cells.sum()
    assert np.all(demand.cells >= 0)
    assert demand.area_ha.sum() == pytest.approx(cells.sum() * CELL_HA, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, 5, elements=st.floats(0, 1e6)), st.integers(0, 10**7))
def test_rounding_preserves_the_total(values, total):
    if values.sum() == 0:
        return
    rounded = round_preserving_total(values, total)
    assert rounded.sum() == total
    assert np.all(np.abs(rounded - values * total / values.sum()) < 1 + 1e-6)
