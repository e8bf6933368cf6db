"""Conversion matrix (which class may become which) and the demand reachability check.

Orientation is explicit everywhere: ``allowed[i, j]`` is True when a cell of class
``codes[i]`` (row, *from*) may become class ``codes[j]`` (column, *to*). This is the
orientation of the PLUS "Transition matrix" and FLUS "Cost Matrix" as the PLUS sample data
need it (the Chinese PLUS manual states the transpose; the clean-room openplus project found
rows = current class to be the only orientation that made the bundled demand reachable).
Tables written the other way round are read with ``orientation="to_rows"``.

:func:`check_demand_reachable` solves a max-flow problem (scipy's ``maximum_flow``):
source -> class with surplus (capacity = surplus) -> group of its cells sharing the same set
of reachable classes (capacity = cells in the group) -> class with a deficit (capacity =
deficit) -> sink. Cells in restricted zones and target classes with zero probability are left
out of the groups. When direct conversions fall short, the same network with a *relay* edge
from every class's "to" node back to its "from" node (a transshipment problem) decides
whether chains such as grassland -> cropland -> built-up meet the demand: cells arriving at a
class let as many of that class's original cells leave. Every original cell still converts
at most once (its group's capacity). The error names each class whose demand cannot be met
even through chains, and why.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack
from scipy.sparse.csgraph import maximum_flow

from landcarbon.errors import InputFileError, ParameterError, TableError
from landcarbon.landuse._kernels import movable_group_keys
from landcarbon.tables import read_frame

Orientation = Literal["from_rows", "to_rows"]
LISTED_CELLS = 20
"""Bad cells a conversion-matrix error lists one by one (the rest are counted)."""


class ScenarioRules(Protocol):
    """The parts of a :class:`landcarbon.landuse.scenarios.Scenario` used here."""

    @property
    def name(self) -> str: ...

    @property
    def forbidden(self) -> frozenset[tuple[int, int]]: ...

    @property
    def protected_classes(self) -> frozenset[int]: ...


@dataclass(frozen=True)
class ConversionMatrix:
    """Allowed conversions between land-use classes.

    Attributes
    ----------
    codes : tuple of int
        Class codes, in the order of the matrix rows and columns.
    allowed : bool ndarray, shape (K, K)
        ``allowed[i, j]``: class ``codes[i]`` (from, row) may become ``codes[j]`` (to, column).
        The diagonal (staying) is always True.
    source : str
        The file it was read from (set by :func:`read_conversion_matrix`), named in errors.
    """

    codes: tuple[int, ...]
    allowed: np.ndarray
    source: str = field(default="", compare=False)
    """File the matrix was read from ("" when built in code), for messages."""

    def __post_init__(self) -> None:
        matrix = np.asarray(self.allowed, dtype=bool)
        k = len(self.codes)
        if matrix.shape != (k, k):
            raise ParameterError(
                f"conversion matrix is {matrix.shape[0]}x{matrix.shape[1]} "
                f"but {k} class codes were given; give one row and one "
                f"column per class"
            )
        if len(set(self.codes)) != k:
            raise ParameterError(f"conversion matrix codes {list(self.codes)} repeat a code")
        matrix = matrix.copy()
        np.fill_diagonal(matrix, True)
        matrix.setflags(write=False)
        object.__setattr__(self, "codes", tuple(int(c) for c in self.codes))
        object.__setattr__(self, "allowed", matrix)

    @classmethod
    def all_allowed(cls, codes: Iterable[int]) -> ConversionMatrix:
        """Every class may become every other class."""
        codes = tuple(codes)
        return cls(codes, np.ones((len(codes), len(codes)), dtype=bool))

    @classmethod
    def from_scenario(cls, codes: Iterable[int], scenario: ScenarioRules) -> ConversionMatrix:
        """All conversions allowed except the scenario's forbidden (from, to) pairs and any
        conversion out of its protected classes."""
        codes = tuple(codes)
        index = {c: i for i, c in enumerate(codes)}
        allowed = np.ones((len(codes), len(codes)), dtype=bool)
        for src, dst in sorted(scenario.forbidden):
            for code in (src, dst):
                _require_code(
                    code, index, f"scenario {scenario.name!r} forbidden pair ({src}, {dst})"
                )
            allowed[index[src], index[dst]] = False
        for code in sorted(scenario.protected_classes):
            _require_code(code, index, f"scenario {scenario.name!r} protected classes")
            allowed[index[code], :] = False
        return cls(codes, allowed)

    def reordered(self, codes: Sequence[int], where: str = "conversion matrix") -> np.ndarray:
        """The boolean matrix for another class order; codes absent here are an error.

        Messages name ``where`` and, for a matrix read from a file, the file.
        """
        where = f"{self.source} ({where})" if self.source else where
        index = {c: i for i, c in enumerate(self.codes)}
        extra = sorted(set(self.codes) - set(codes))
        if extra:
            raise ParameterError(
                f"{where}: class code(s) {extra} are absent from the land-use "
                f"map and the suitability stack (classes {list(codes)}); "
                f"remove their rows and columns or fix the codes"
            )
        for code in codes:
            _require_code(code, index, where)
        order = [index[c] for c in codes]
        return self.allowed[np.ix_(order, order)]


def _require_code(code: int, index: Mapping[int, int], where: str) -> None:
    if code not in index:
        raise ParameterError(
            f"{where}: class code {code} is not one of the classes "
            f"{sorted(index)}; fix the code or add the class"
        )


def read_conversion_matrix(
    path: str | Path, orientation: Orientation = "from_rows"
) -> ConversionMatrix:
    """Read a square 0/1 matrix from CSV or TOML.

    CSV: the first column holds the row class codes, the header the column class codes, cells
    are 0 (forbidden) or 1 (allowed). TOML: ``codes = [..]`` and ``allowed = [[..], ..]``,
    optionally ``orientation = "from_rows" | "to_rows"`` (overrides the argument).
    ``orientation="from_rows"`` (default, PLUS sample data): rows are the current class.
    Unreadable files and every cell that is not 0 or 1 (text, blank, other numbers) raise
    TableError naming the file and the cells by row and column code.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: conversion matrix file not found")
    rows_are: str = orientation
    if p.suffix.lower() == ".toml":
        codes, cells, rows_are = _toml_cells(p, orientation)
    else:
        codes, cells = _csv_cells(p)
    if rows_are not in ("from_rows", "to_rows"):
        raise TableError(f"{p}: orientation {rows_are!r} is not 'from_rows' or 'to_rows'")
    if cells.shape != (len(codes), len(codes)):
        raise TableError(
            f"{p}: the matrix is {cells.shape} for {len(codes)} class codes; "
            f"give a square 0/1 matrix"
        )
    values = cells.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.argwhere(~np.isin(values, (0.0, 1.0)))
    if len(bad):
        listed = "; ".join(
            f"row code {codes[i]}, column code {codes[j]}: {_cell_text(cells.iat[i, j])}"
            for i, j in bad[:LISTED_CELLS]
        ) + (f"; and {len(bad) - LISTED_CELLS} more" if len(bad) > LISTED_CELLS else "")
        raise TableError(
            f"{p}: {len(bad)} cell(s) not 0 or 1 ({listed}); write 1 where the conversion "
            f"is allowed and 0 where it is forbidden, in every cell"
        )
    allowed = values.astype(bool)
    return ConversionMatrix(tuple(codes), allowed if rows_are == "from_rows" else allowed.T, str(p))


def _csv_cells(p: Path) -> tuple[list[int], pd.DataFrame]:
    """Row codes (first column, checked against the header's codes) and the raw cells."""
    frame = read_frame(p)
    labels, cells = frame.iloc[:, 0], frame.iloc[:, 1:]
    try:
        codes = [int(c) for c in labels]
        columns = [int(c) for c in cells.columns]
    except ValueError as exc:
        raise TableError(f"{p}: row and column labels must be integer class codes ({exc})") from exc
    if columns != codes:
        raise TableError(
            f"{p}: column codes {columns} differ from row codes {codes}; "
            f"write the classes in the same order in both"
        )
    return codes, cells


def _toml_cells(p: Path, orientation: str) -> tuple[list[int], pd.DataFrame, str]:
    """``codes``, the raw ``allowed`` cells and the orientation of a TOML matrix file."""
    try:
        with p.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TableError(f"{p}: TOML syntax error: {exc}") from exc
    try:
        codes = [int(c) for c in doc["codes"]]
        rows = doc["allowed"]
        if not all(isinstance(r, list) for r in rows):
            raise TypeError("`allowed` must be a list of rows")
    except (KeyError, TypeError, ValueError) as exc:
        raise TableError(
            f"{p}: needs `codes = [..]` and a square `allowed = [[0/1..]..]` ({exc})"
        ) from exc
    if any(len(r) != len(codes) for r in rows):
        raise TableError(
            f"{p}: rows of `allowed` have {sorted({len(r) for r in rows})} cells for "
            f"{len(codes)} class codes; give a square 0/1 matrix"
        )
    cells = pd.DataFrame(rows, dtype=object)
    return codes, cells, str(doc.get("orientation", orientation))


def _cell_text(value: Any) -> str:
    """A matrix cell as the user wrote it: text quoted, numbers plain, blanks named."""
    if isinstance(value, str):
        return repr(value)
    if pd.isna(value):
        return "blank"
    return f"{value:.15g}" if isinstance(value, int | float | np.number) else repr(value)


class CellGroups(NamedTuple):
    """Convertible cells grouped by (current class, set of classes they can become)."""

    from_index: np.ndarray
    """int[G]: class index of each group's cells."""
    masks: np.ndarray
    """bool[G, K]: classes the group's cells can become."""
    cells: np.ndarray
    """int[G]: cells per group."""
    cell_group: np.ndarray
    """int32[rows, cols]: group of each cell, -1 for nodata and restricted cells."""


def movable_groups(
    cls: np.ndarray, prob: np.ndarray, allowed: np.ndarray, zone: np.ndarray
) -> CellGroups:
    """Group the cells that may change by current class and reachable classes.

    A cell can become class j when it is not in a restricted zone (0),
    ``allowed[current, j]`` and its probability of j is above 0. At most 30 classes.
    One numba pass over the map (no per-class copies, no sort of the cells), so the
    reachability check costs a fraction of one allocation iteration.
    """
    n_classes = prob.shape[0]
    group, cells, cell_group = movable_group_keys(cls, prob, allowed, zone)
    masks = (group[:, None] & (1 << np.arange(n_classes))) > 0
    return CellGroups(group >> n_classes, masks, cells, cell_group)


def _flow_network(
    surplus: np.ndarray, deficit: np.ndarray, groups: CellGroups, relay: bool
) -> tuple[Any, int]:
    """Maximum flow source -> surplus classes -> groups -> deficit classes -> sink.

    Nodes: 0 source, 1..K from-classes, K+1..K+G groups, K+G+1..2K+G to-classes, last sink.
    With ``relay`` each to-class node also feeds its from-class node (a chain). Returns
    scipy's flow result and the sink's node number.
    """
    k = len(surplus)
    n_groups = len(groups.cells)
    sink = 2 * k + n_groups + 1
    big = int(groups.cells.sum()) + int(deficit.sum()) + 1
    rows: list[int] = []
    cols: list[int] = []
    caps: list[int] = []

    def edge(a: int, b: int, cap: int) -> None:
        if cap > 0:
            rows.append(a)
            cols.append(b)
            caps.append(cap)

    for i in range(k):
        edge(0, 1 + i, int(surplus[i]))
        edge(k + n_groups + 1 + i, sink, int(deficit[i]))
        if relay:
            edge(k + n_groups + 1 + i, 1 + i, big)
    for g in range(n_groups):
        edge(1 + int(groups.from_index[g]), k + 1 + g, int(groups.cells[g]))
        for target in np.flatnonzero(groups.masks[g]).tolist():
            edge(k + 1 + g, k + n_groups + 1 + target, big)
    graph = csr_matrix((np.asarray(caps, dtype=np.int32), (rows, cols)), shape=(sink + 1, sink + 1))
    return maximum_flow(graph, 0, sink), sink


def check_demand_reachable(
    counts: np.ndarray,
    demand: np.ndarray,
    groups: CellGroups,
    allowed: np.ndarray,
    codes: Sequence[int],
) -> np.ndarray:
    """Check that every deficit can be filled, directly or through chains; return a plan.

    Parameters
    ----------
    counts, demand : int ndarray, shape (K,)
        Current and demanded cells per class.
    groups : CellGroups
        From :func:`movable_groups`.
    allowed : bool ndarray, shape (K, K)
        Conversion matrix, rows = from, columns = to (used for the explanation).
    codes : sequence of int
        Class codes, for the message.

    Returns
    -------
    int64 ndarray, shape (G, K)
        Cells of each group planned to become each class. When direct conversions (from
        shrinking to growing classes) suffice, it is one maximum flow of those and fills
        every deficit exactly. Otherwise it is the transshipment plan with the fewest
        conversions (:func:`transshipment_plan`): some classes both receive and give cells
        (see :func:`donor_floor`).

    Raises
    ------
    ParameterError
        Even with chains of conversions the flow falls short of the total deficit; the
        message names each class whose demand cannot be met and why.
    """
    k = len(codes)
    n_groups = len(groups.cells)
    gap = demand.astype(np.int64) - counts.astype(np.int64)
    deficit = np.maximum(gap, 0)
    surplus = np.maximum(-gap, 0)
    result, sink = _flow_network(surplus, deficit, groups, relay=False)
    if result.flow_value >= int(deficit.sum()):
        block = result.flow.tocsr()[k + 1 : k + 1 + n_groups, k + n_groups + 1 : sink].toarray()
        return np.maximum(block, 0).astype(np.int64)
    result, sink = _flow_network(surplus, deficit, groups, relay=True)
    if result.flow_value >= int(deficit.sum()):
        return transshipment_plan(gap, groups, np.ones((n_groups, k)))
    flow = result.flow.tocsr()
    problems = []
    for j in np.flatnonzero(deficit).tolist():
        got = int(flow[k + n_groups + 1 + j, sink])
        if got < deficit[j]:
            problems.append(_explain(j, int(deficit[j]), got, surplus, allowed, groups, codes))
    raise ParameterError(
        "demand cannot be reached, neither by direct conversions nor through chains of "
        "conversions (A->B->C): "
        + "; ".join(problems)
        + ". Fix: allow more conversions in the conversion matrix, lift restricted zones, or "
        "lower the demand"
    )


def transshipment_plan(gap: np.ndarray, groups: CellGroups, cost: np.ndarray) -> np.ndarray:
    """Cheapest plan of conversions, chains allowed, that turns the counts into the demand.

    Variables x[g, j]: cells of group g to become class j (only where the group's cells can
    become j). Constraints: sum_j x[g, j] <= cells of g (each original cell converts at most
    once) and, for every class, arrivals - departures = ``gap`` (demand - count). Minimises
    sum cost[g, j] * x[g, j] by linear programming (HiGHS dual simplex). The constraints are
    those of a network flow with one node per class and per group, so the basic solution is
    integral; with a positive cost the plan has no cycle of classes (A->B and B->A), which
    could be cancelled at a lower cost. Call it only on a demand the transshipment max-flow
    accepted.
    """
    n_groups, n_classes = groups.masks.shape
    g_idx, c_idx = np.nonzero(groups.masks)
    n_vars = len(g_idx)
    plan = np.zeros((n_groups, n_classes), dtype=np.int64)
    if n_vars == 0:
        return plan
    columns = np.arange(n_vars)
    by_group = csr_matrix((np.ones(n_vars), (g_idx, columns)), shape=(n_groups, n_vars))
    arrivals = csr_matrix((np.ones(n_vars), (c_idx, columns)), shape=(n_classes, n_vars))
    departures = csr_matrix(
        (np.ones(n_vars), (groups.from_index[g_idx], columns)), shape=(n_classes, n_vars)
    )
    result = linprog(
        cost[g_idx, c_idx],
        A_ub=by_group,
        b_ub=groups.cells,
        A_eq=arrivals - departures,
        b_eq=gap.astype(np.float64),
        bounds=(0, None),
        method="highs-ds",
    )
    if not result.success:
        raise ParameterError(f"no transition plan meets the demand ({result.message})")
    plan[g_idx, c_idx] = np.rint(result.x).astype(np.int64)
    return plan


def donor_floor(plan: np.ndarray, groups: CellGroups, demand: np.ndarray) -> np.ndarray:
    """Fewest cells each class may hold while the allocation runs (int64[K]).

    A class that the plan makes both receive and give cells (a relay of a chain) may fall
    below its demand by the cells planned to arrive: demand - arrivals = count - departures,
    so it can give all its planned cells before any arrive. Every other class keeps its
    demand as the floor (a donor never goes below its demand). For a plan of direct
    conversions the floor is the demand.
    """
    n_classes = plan.shape[1]
    arrivals = plan.sum(axis=0)
    departures = np.bincount(groups.from_index, weights=plan.sum(axis=1), minlength=n_classes)
    relay = (arrivals > 0) & (departures > 0)
    return (demand - np.where(relay, arrivals, 0)).astype(np.int64)


def _explain(
    j: int,
    need: int,
    got: int,
    surplus: np.ndarray,
    allowed: np.ndarray,
    groups: CellGroups,
    codes: Sequence[int],
) -> str:
    head = (
        f"class {codes[j]} needs {need} more cells but at most {got} can reach it, "
        f"directly or through chains"
    )
    feeding = groups.masks[:, j]
    feeders = sorted({int(i) for i in groups.from_index[feeding]})
    if not feeders:
        forbidden = [codes[i] for i in range(len(codes)) if i != j and not allowed[i, j]]
        return (
            f"{head} (no cell outside restricted zones and with probability > 0 may become "
            f"it; the conversion matrix forbids it from classes {forbidden})"
        )
    shrinking = [codes[i] for i in feeders if surplus[i] > 0]
    return (
        f"{head} (classes allowed to become it: {[codes[i] for i in feeders]}, with "
        f"{int(groups.cells[feeding].sum())} cells outside restricted zones and with "
        f"probability > 0, shared with other growing classes; shrinking among them: "
        f"{shrinking})"
    )


def describe(matrix: ConversionMatrix) -> dict[str, Any]:
    """JSON-ready form: codes, orientation and the 0/1 matrix (rows = from)."""
    return {
        "codes": list(matrix.codes),
        "orientation": "from_rows",
        "allowed": matrix.allowed.astype(int).tolist(),
    }


def likely_plan(
    counts: np.ndarray, demand: np.ndarray, groups: CellGroups, prob: np.ndarray
) -> np.ndarray:
    """The transition plan that favours likely conversions (for the lock-in fix).

    Among all plans that meet the demand (cells of each group to become each class, within
    the group's cells and the shrinking class's surplus), the one maximising the summed mean
    probability of the planned conversions: a min-cost transportation problem, solved as a
    linear programme (HiGHS dual simplex). Its constraint matrix is a network matrix, so the
    basic solution is integral. When no such plan exists (the demand needs chains of
    conversions) it is :func:`transshipment_plan` with cost 2 - mean probability: the fewest
    conversions, and among as many the likeliest. Call it only on a demand
    :func:`check_demand_reachable` accepted.
    """
    n_classes = prob.shape[0]
    n_groups = len(groups.cells)
    valid = groups.cell_group >= 0
    member = groups.cell_group[valid]
    mean_prob = (
        np.stack(
            [
                np.bincount(member, weights=prob[j][valid], minlength=n_groups)
                for j in range(n_classes)
            ],
            axis=1,
        )
        / np.maximum(groups.cells, 1)[:, None]
    )
    gap = demand.astype(np.int64) - counts.astype(np.int64)
    g_idx, c_idx = np.nonzero(groups.masks & (gap > 0)[None, :])
    n_vars = len(g_idx)
    if n_vars == 0:
        return np.zeros((n_groups, n_classes), dtype=np.int64)
    by_group = csr_matrix((np.ones(n_vars), (g_idx, np.arange(n_vars))), shape=(n_groups, n_vars))
    by_source = csr_matrix(
        (np.ones(n_vars), (groups.from_index[g_idx], np.arange(n_vars))), shape=(n_classes, n_vars)
    )
    by_target = csr_matrix((np.ones(n_vars), (c_idx, np.arange(n_vars))), shape=(n_classes, n_vars))
    result = linprog(
        -mean_prob[g_idx, c_idx],
        A_ub=vstack([by_group, by_source]),
        b_ub=np.concatenate([groups.cells, np.maximum(-gap, 0)]),
        A_eq=by_target,
        b_eq=np.maximum(gap, 0),
        bounds=(0, None),
        method="highs-ds",
    )
    if not result.success:
        # chains: every conversion costs 2 - P, so the fewest conversions come first and,
        # among as many, the likeliest (2 - P > 0 keeps the plan free of cycles)
        return transshipment_plan(gap, groups, 2.0 - mean_prob)
    plan = np.zeros((n_groups, n_classes), dtype=np.int64)
    plan[g_idx, c_idx] = np.rint(result.x).astype(np.int64)
    return plan
