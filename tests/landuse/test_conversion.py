"""Conversion matrix I/O and orientation; max-flow reachability of a demand."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landcarbon.errors import InputFileError, ParameterError, TableError
from landcarbon.landuse.conversion import (
    CellGroups,
    ConversionMatrix,
    check_demand_reachable,
    donor_floor,
    likely_plan,
    movable_groups,
    read_conversion_matrix,
)

CSV = """code,1,2,3
1,1,1,0
2,0,1,0
3,1,1,1
"""


def test_csv_rows_are_the_from_class(tmp_path: Path) -> None:
    path = tmp_path / "tm.csv"
    path.write_text(CSV)
    m = read_conversion_matrix(path)
    assert m.codes == (1, 2, 3)
    # row 1: class 1 may become 2 but not 3; row 3: class 3 may become 1 and 2
    assert m.allowed.tolist() == [[True, True, False], [False, True, False], [True, True, True]]


def test_csv_written_with_rows_as_future_class_is_transposed(tmp_path: Path) -> None:
    path = tmp_path / "tm.csv"
    path.write_text(CSV)
    m = read_conversion_matrix(path, orientation="to_rows")
    # now column 1 of the file is the from-class 1: 1 -> 1, 1 -> 3 allowed, 1 -> 2 not
    assert m.allowed.tolist() == [[True, False, True], [True, True, True], [False, False, True]]


def test_toml_with_orientation_key(tmp_path: Path) -> None:
    path = tmp_path / "tm.toml"
    path.write_text('codes = [5, 7]\norientation = "to_rows"\nallowed = [[1, 1], [0, 1]]\n')
    m = read_conversion_matrix(path)
    # file rows are the future class: 5 -> 7 is the file's (row 7, column 5) = 0
    assert m.allowed.tolist() == [[True, False], [True, True]]


def test_diagonal_is_always_allowed() -> None:
    m = ConversionMatrix((1, 2), np.zeros((2, 2), dtype=bool))
    assert m.allowed.tolist() == [[True, False], [False, True]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,1,2\n1,1,2\n2,0,1\n", r"1 cell\(s\) not 0 or 1 \(row code 1, column code 2: 2\)"),
        ("code,1,3\n1,1,1\n2,0,1\n", r"column codes \[1, 3\] differ from row codes \[1, 2\]"),
        ("code,a,b\n1,1,1\n2,0,1\n", "labels must be integer class codes"),
    ],
)
def test_bad_csv_tables(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tm.csv"
    path.write_text(text)
    with pytest.raises(TableError, match=message):
        read_conversion_matrix(path)


def test_every_bad_cell_is_named_by_row_and_column_code(tmp_path: Path) -> None:
    path = tmp_path / "tm.csv"
    path.write_text("code,1,2,3\n1,1,x,0\n2,,1,0.5\n3,1,1,1\n")
    with pytest.raises(TableError) as err:
        read_conversion_matrix(path)
    assert str(err.value) == (
        f"{path}: 3 cell(s) not 0 or 1 (row code 1, column code 2: 'x'; row code 2, "
        f"column code 1: blank; row code 2, column code 3: 0.5); write 1 where the "
        f"conversion is allowed and 0 where it is forbidden, in every cell"
    )
    path = tmp_path / "tm.toml"
    path.write_text('codes = [5, 7]\nallowed = [[1, "yes"], [0, 1]]\n')
    with pytest.raises(
        TableError, match=r"tm\.toml: 1 cell\(s\) not 0 or 1 \(row code 5, column code 7: 'yes'\)"
    ):
        read_conversion_matrix(path)


def test_unreadable_files_are_table_errors(tmp_path: Path) -> None:
    path = tmp_path / "tm.csv"
    path.write_text("code,1,2\n1,1,0\n2,0,1,1,1\n")  # a row with two cells too many
    with pytest.raises(TableError, match=r"tm\.csv: not a readable CSV \(Error tokenizing"):
        read_conversion_matrix(path)
    path = tmp_path / "tm.toml"
    path.write_text("codes = [1, 2\n")
    with pytest.raises(TableError, match=r"tm\.toml: TOML syntax error"):
        read_conversion_matrix(path)
    path.write_text("codes = [1, 2]\nallowed = [[1, 0], [1]]\n")
    with pytest.raises(TableError, match=r"rows of `allowed` have \[1, 2\] cells for 2 class"):
        read_conversion_matrix(path)


def test_a_matrix_read_from_a_file_names_it_when_codes_do_not_match(tmp_path: Path) -> None:
    path = tmp_path / "tm.csv"
    path.write_text("code,1,2,9\n1,1,1,0\n2,0,1,0\n9,1,1,1\n")
    m = read_conversion_matrix(path)
    assert m.source == str(path)
    with pytest.raises(ParameterError) as err:
        m.reordered([1, 2])
    assert str(err.value).startswith(
        f"{path} (conversion matrix): class code(s) [9] are absent from the land-use map"
    )


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="conversion matrix file not found"):
        read_conversion_matrix(tmp_path / "nope.csv")
    path = tmp_path / "tm.toml"
    path.write_text("codes = [1, 2]\n")
    with pytest.raises(TableError, match=r"needs `codes = \[\.\.\]` and a square"):
        read_conversion_matrix(path)


@dataclass(frozen=True)
class Rules:
    name: str
    forbidden: frozenset[tuple[int, int]]
    protected_classes: frozenset[int]


def test_from_scenario_forbidden_and_protected() -> None:
    rules = Rules("eco", frozenset({(1, 3)}), frozenset({2}))
    m = ConversionMatrix.from_scenario((1, 2, 3), rules)
    # 1 -> 3 forbidden; class 2 protected: its row is closed except staying
    assert m.allowed.tolist() == [[True, True, False], [False, True, False], [True, True, True]]
    with pytest.raises(ParameterError, match=r"scenario 'eco' protected classes: class code 9"):
        ConversionMatrix.from_scenario((1, 2, 3), Rules("eco", frozenset(), frozenset({9})))


def test_reordered_follows_the_given_class_order() -> None:
    m = ConversionMatrix((1, 2, 3), np.array([[1, 1, 0], [0, 1, 0], [1, 1, 1]], dtype=bool))
    # order (3, 1, 2): row 3 -> [3, 1, 2] = [1, 1, 1]; row 1 -> [0, 1, 1]; row 2 -> [0, 0, 1]
    assert m.reordered([3, 1, 2]).astype(int).tolist() == [[1, 1, 1], [0, 1, 1], [0, 0, 1]]
    with pytest.raises(ParameterError, match="class code 4 is not one of the classes"):
        m.reordered([1, 2, 3, 4])


def _groups(cls, prob, allowed, zone=None):
    zone = np.ones(cls.shape, dtype=np.uint8) if zone is None else zone
    return movable_groups(cls, prob, allowed, zone)


def test_max_flow_hand_case_plan() -> None:
    # class 0 has 3 cells and must lose 2; class 1 (1 cell) must lose 1; class 2 gains 3.
    # 0 -> 2 and 1 -> 2 allowed. Plan: 2 cells of class 0 and 1 of class 1 become class 2.
    cls = np.array([[0, 0, 0, 1, 2]], dtype=np.int8)
    prob = np.ones((3, 1, 5))
    allowed = np.eye(3, dtype=bool)
    allowed[0, 2] = allowed[1, 2] = True
    groups = _groups(cls, prob, allowed)
    plan = check_demand_reachable(
        np.array([3, 1, 1]), np.array([1, 0, 4]), groups, allowed, [1, 2, 3]
    )
    by_class = {int(groups.from_index[g]): plan[g].tolist() for g in range(len(groups.cells))}
    assert by_class == {0: [0, 0, 2], 1: [0, 0, 1], 2: [0, 0, 0]}


def test_max_flow_explains_restricted_zones() -> None:
    # class 3 needs 2 cells; only class 1 may become it and one of its two cells is restricted
    cls = np.array([[0, 0, 1, 2]], dtype=np.int8)
    prob = np.ones((3, 1, 4))
    allowed = np.eye(3, dtype=bool)
    allowed[0, 2] = True
    zone = np.array([[1, 0, 1, 1]], dtype=np.uint8)
    with pytest.raises(
        ParameterError,
        match=(
            r"class 3 needs 2 more cells but at most 1 can reach it, directly or through "
            r"chains \(classes allowed to become it: \[1\], with 1 cells outside "
            r"restricted zones"
        ),
    ):
        check_demand_reachable(
            np.array([2, 1, 1]),
            np.array([0, 1, 3]),
            _groups(cls, prob, allowed, zone),
            allowed,
            [1, 2, 3],
        )


def test_max_flow_sees_shared_donor_cells() -> None:
    # one class-0 cell can become 1 or 2; both 1 and 2 need a cell: the per-edge capacities
    # are both 1 but the cell can serve only one of them
    cls = np.array([[0, 0, 1, 2]], dtype=np.int8)
    prob = np.ones((3, 1, 4))
    prob[1, 0, 1] = prob[2, 0, 1] = 0.0  # the second class-0 cell can become nothing
    allowed = np.ones((3, 3), dtype=bool)
    with pytest.raises(ParameterError, match="at most"):
        check_demand_reachable(
            np.array([2, 1, 1]),
            np.array([0, 2, 2]),
            _groups(cls, prob, allowed),
            allowed,
            [1, 2, 3],
        )


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 5))
def test_plan_is_a_valid_transition_plan(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    cls = rng.integers(-1, k, size=(9, 11)).astype(np.int8)
    prob = rng.random((k, 9, 11)) * (rng.random((k, 9, 11)) > 0.2)
    allowed = rng.random((k, k)) > 0.3
    np.fill_diagonal(allowed, True)
    zone = (rng.random((9, 11)) > 0.2).astype(np.uint8)
    counts = np.bincount(cls[cls >= 0], minlength=k)
    demand = np.bincount(rng.integers(0, k, size=int(counts.sum())), minlength=k)
    groups = _groups(cls, prob, allowed, zone)
    try:
        flow_plan = check_demand_reachable(counts, demand, groups, allowed, list(range(k)))
    except ParameterError:
        return
    for plan in (flow_plan, likely_plan(counts, demand, groups, prob)):
        _check_plan(plan, counts, demand, groups, k)


def _check_plan(plan, counts, demand, groups, k) -> None:
    # arrivals - departures turn every count into its demand, no group gives more cells
    # than it has (each cell converts at most once), and only to classes it can reach
    arrivals = plan.sum(axis=0)
    departures = np.bincount(groups.from_index, weights=plan.sum(axis=1), minlength=k)
    np.testing.assert_array_equal(counts + arrivals - departures, demand)
    assert np.all(plan.sum(axis=1) <= groups.cells)
    assert np.all(plan[~groups.masks] == 0)
    # the floor lets exactly the relay classes (receiving and giving) fall below demand
    floor = donor_floor(plan, groups, demand)
    relay = (arrivals > 0) & (departures > 0)
    np.testing.assert_array_equal(floor[~relay], demand[~relay])
    np.testing.assert_array_equal(floor[relay], (counts - departures)[relay])
    if not relay.any():  # direct plan: every deficit filled, no class gives past its surplus
        np.testing.assert_array_equal(arrivals, np.maximum(demand - counts, 0))
        assert np.all(departures <= np.maximum(counts - demand, 0))


def test_chain_hand_case_plan_and_floor() -> None:
    # Classes A (0), B (1), C (2). A: 3 cells, B: 2, C: 1; demand A 1, B 2, C 3.
    # Allowed: A -> B and B -> C only. Directly, C can get nothing (no shrinking class may
    # become C) and B, at its demand, may not give: direct max-flow 0 < 2.
    # Through B: 2 A cells become B, 2 original B cells become C. Plan: group A -> B 2,
    # group B -> C 2 (4 conversions, the fewest). B relays: arrivals 2, departures 2, floor
    # 2 - 2 = 0 (it may give both its cells before the A cells arrive); A and C keep their
    # demand as floor.
    cls = np.array([[0, 0, 0, 1, 1, 2]], dtype=np.int8)
    prob = np.ones((3, 1, 6))
    allowed = np.eye(3, dtype=bool)
    allowed[0, 1] = allowed[1, 2] = True
    groups = _groups(cls, prob, allowed)
    counts, demand = np.array([3, 2, 1]), np.array([1, 2, 3])
    plan = check_demand_reachable(counts, demand, groups, allowed, [1, 2, 3])
    by_class = {int(groups.from_index[g]): plan[g].tolist() for g in range(len(groups.cells))}
    assert by_class == {0: [0, 2, 0], 1: [0, 0, 2], 2: [0, 0, 0]}
    assert donor_floor(plan, groups, demand).tolist() == [1, 0, 3]
    # the likely plan of a chained demand is the same (only one plan has 4 conversions)
    likely = likely_plan(counts, demand, groups, prob)
    np.testing.assert_array_equal(likely, plan)
    # forbid B -> C too: no chain reaches C; the message says so
    allowed[1, 2] = False
    with pytest.raises(ParameterError, match="neither by direct conversions nor through chains"):
        check_demand_reachable(counts, demand, _groups(cls, prob, allowed), allowed, [1, 2, 3])


def test_likely_plan_prefers_probable_donors() -> None:
    # class 0 must give one cell to class 2. Its first cell may only become 2 (P = 0.1), its
    # second may become 1 or 2 (P_2 = 0.9): two groups. The likely plan takes the 0.9 cell.
    cls = np.array([[0, 0, 1, 2]], dtype=np.int8)
    prob = np.zeros((3, 1, 4))
    prob[2, 0, 0] = 0.1
    prob[1, 0, 1], prob[2, 0, 1] = 0.5, 0.9
    allowed = np.ones((3, 3), dtype=bool)
    groups = _groups(cls, prob, allowed)
    plan = likely_plan(np.array([2, 1, 1]), np.array([1, 1, 2]), groups, prob)
    (g,) = np.flatnonzero(plan[:, 2])
    assert groups.masks[g].tolist() == [False, True, True] and plan.sum() == 1


def _unique_groups(cls: np.ndarray, prob: np.ndarray, allowed: np.ndarray, zone: np.ndarray):
    """The reference grouping: a key per cell and numpy.unique (the check before issue 18)."""
    n = prob.shape[0]
    valid = (cls >= 0) & (zone != 0)
    current = cls[valid].astype(np.int64)
    bits = np.zeros(current.shape, dtype=np.int64)
    for j in range(n):
        bits |= (allowed[current, j] & (prob[j][valid] > 0) & (current != j)).astype(np.int64) << j
    group, inverse, cells = np.unique(
        current * (1 << n) + bits, return_inverse=True, return_counts=True
    )
    cell_group = np.full(cls.shape, -1, dtype=np.int32)
    cell_group[valid] = inverse.ravel()
    return group >> n, (group[:, None] & (1 << np.arange(n))) > 0, cells, cell_group


@pytest.mark.parametrize(
    ("seed", "k", "dtype"), [(0, 3, np.int8), (1, 9, np.int16), (2, 12, np.int8)]
)
def test_movable_groups_equal_the_unique_reference(seed: int, k: int, dtype: type) -> None:
    """One numba pass gives the groups of a per-cell key and numpy.unique, in the same order
    (so the same plan and verdict): nodata, restricted cells, NaN and zero probabilities,
    forbidden conversions, and hundreds of groups (the hash table grows several times)."""
    rng = np.random.default_rng(seed)
    shape = (61, 47)
    cls = np.repeat(rng.integers(-1, k, (shape[0], 12)), 4, axis=1)[:, : shape[1]].astype(dtype)
    prob = rng.random((k, *shape))
    prob[rng.random(prob.shape) < 0.3] = 0.0
    prob[rng.random(prob.shape) < 0.05] = np.nan
    allowed = rng.random((k, k)) < 0.7
    zone = rng.choice(np.array([0, 1, 2], dtype=np.uint8), shape, p=[0.1, 0.8, 0.1])
    got = movable_groups(cls, prob, allowed, zone)
    want = _unique_groups(cls, prob, allowed, zone)
    assert len(got.cells) > (100 if k > 3 else 5)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    counts = np.bincount(cls[cls >= 0].astype(np.int64), minlength=k)
    demand = counts.copy()
    demand[0], demand[-1] = demand[0] - 5, demand[-1] + 5
    codes = list(range(k))
    try:
        plan = check_demand_reachable(counts, demand, got, allowed, codes)
    except ParameterError as exc:
        with pytest.raises(ParameterError, match="demand cannot be reached") as ref:
            check_demand_reachable(counts, demand, CellGroups(*want), allowed, codes)
        assert str(ref.value) == str(exc)
    else:
        ref_plan = check_demand_reachable(counts, demand, CellGroups(*want), allowed, codes)
        np.testing.assert_array_equal(plan, ref_plan)
