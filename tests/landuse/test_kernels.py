"""Allocation kernels: counter-based RNG, neighbourhood counts, numba vs numpy reference."""

from __future__ import annotations

import functools

import numba
import numpy as np
import pytest

from landcarbon.landuse import _kernels as K


def test_splitmix64_matches_published_reference_values() -> None:
    # splitmix64 seeded with 1234567 (Vigna's reference C code, next() = mix(state += golden)):
    # the first outputs are 6457827717110365317 and 3203168211198807973.
    state = np.uint64(1234567)
    first = K.splitmix64(state)
    second = K.splitmix64(np.uint64(state + np.uint64(0x9E3779B97F4A7C15)))
    assert int(first) == 6457827717110365317
    assert int(second) == 3203168211198807973


def test_uniform_is_a_pure_function_of_its_counters() -> None:
    key = np.uint64(42)
    a = K.uniform(key, 3, 17, K.STREAM_ROULETTE)
    assert a == K.uniform(key, 3, 17, K.STREAM_ROULETTE)
    others = [
        K.uniform(key, 4, 17, 0),
        K.uniform(key, 3, 18, 0),
        K.uniform(key, 3, 17, 1),
        K.uniform(np.uint64(43), 3, 17, 0),
    ]
    assert all(0.0 <= v < 1.0 for v in [a, *others])
    assert len({a, *others}) == 5


def test_uniform_numpy_equals_numba_and_is_uniform() -> None:
    cells = np.arange(200_000, dtype=np.int64)
    vec = K.uniform_numpy(7, 2, cells, K.STREAM_ORDER)
    assert vec[123] == K.uniform(np.uint64(7), 2, 123, K.STREAM_ORDER)
    # mean 1/2 and variance 1/12 of U(0,1): standard errors 6.5e-4 and 1.9e-4
    assert abs(vec.mean() - 0.5) < 0.004
    assert abs(vec.var() - 1 / 12) < 0.002
    counts = np.bincount((vec * 10).astype(int), minlength=10)
    assert counts.min() > 19_500 and counts.max() < 20_500


def test_window_counts_hand_case() -> None:
    # class indices (codes 1, 2, 3 -> 0, 1, 2), -1 is nodata
    # 0  0  1
    # 2  1  1
    # 0 -1  1
    cls = np.array([[0, 0, 1], [2, 1, 1], [0, -1, 1]], dtype=np.int8)
    counts = K.neighbourhood_counts(cls, 3, 1)
    # centre: class 0 at (0,0),(0,1),(2,0) = 3; class 1 at (0,2),(1,2),(2,2) (+ centre,
    # excluded) = 3; class 2 at (1,0) = 1; the nodata cell counts for no class
    assert counts[:, 1, 1].tolist() == [3, 3, 1]
    # corner (0,0) sees (0,1)=0, (1,0)=2, (1,1)=1; itself excluded -> [1, 1, 1]
    assert counts[:, 0, 0].tolist() == [1, 1, 1]
    # bottom-right (2,2) sees (1,1)=1, (1,2)=1, (2,1)=nodata -> [0, 2, 0]
    assert counts[:, 2, 2].tolist() == [0, 2, 0]


@pytest.mark.parametrize("half", [1, 2])
def test_neighbourhood_counts_numba_equals_numpy(half: int) -> None:
    rng = np.random.default_rng(5)
    cls = rng.integers(-1, 4, size=(23, 31)).astype(np.int8)
    np.testing.assert_array_equal(
        K.neighbourhood_counts(cls, 4, half), K.neighbourhood_counts_numpy(cls, 4, half)
    )


def _inputs(seed: int, shape: tuple[int, int] = (40, 50), n_classes: int = 4):
    rng = np.random.default_rng(seed)
    cls = rng.integers(-1, n_classes, size=shape).astype(np.int8)
    prob = rng.random((n_classes, *shape))
    prob[rng.random(prob.shape) < 0.2] = 0.0
    weights = rng.random(n_classes)
    drive = rng.uniform(0.5, 2.0, n_classes)
    expansion = rng.random(n_classes)
    allowed = rng.random((n_classes, n_classes)) < 0.7
    zone = (rng.random(shape) < 0.9).astype(np.uint8)
    return cls, prob, weights, drive, expansion, allowed, zone


def _propose(cls: np.ndarray, *args: object) -> tuple[np.ndarray, np.ndarray]:
    """``K.propose`` on fresh output arrays: (candidate class per cell, seeded flag)."""
    candidate = np.empty(cls.shape, dtype=np.int8)
    seeded = np.empty(cls.shape, dtype=bool)
    K.propose(cls, *args, candidate, seeded)
    return candidate, seeded


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cars_proposal_numba_equals_numpy_reference(seed: int) -> None:
    cls, prob, weights, drive, expansion, allowed, zone = _inputs(seed)
    may_lose = np.ones(4, dtype=bool)
    candidate, seeded = _propose(
        cls,
        prob,
        weights,
        drive,
        expansion,
        allowed,
        zone,
        may_lose,
        K.CARS,
        0.3,
        -1,
        0.5,
        np.uint64(99),
        4,
        1,
    )
    expected = K.propose_cars_numpy(
        cls, prob, weights, drive, expansion, allowed, zone, may_lose, 0.3, 99, 4, 1
    )
    assert (candidate >= 0).sum() > 50
    np.testing.assert_array_equal(candidate, expected)
    # a seeded proposal is one whose class has no cell in the window
    counts = K.neighbourhood_counts(cls, 4, 1)
    rows, cols = np.nonzero(candidate >= 0)
    no_neighbour = counts[candidate[rows, cols], rows, cols] == 0
    np.testing.assert_array_equal(seeded[rows, cols], no_neighbour)


def test_proposals_do_not_depend_on_thread_count() -> None:
    # 300 x 240 = 72000 cells: above PARALLEL_MIN_CELLS, so the prange loop is used
    cls, prob, weights, drive, expansion, allowed, zone = _inputs(3, shape=(300, 240))
    assert cls.size >= K.PARALLEL_MIN_CELLS
    zone[::7] = 2
    results = []
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            for model in (K.CARS, K.FLUS_PAPER, K.FLUS_RELEASED):
                candidate, _seeded = _propose(
                    cls,
                    prob,
                    weights,
                    drive,
                    expansion,
                    allowed,
                    zone,
                    np.ones(4, dtype=bool),
                    model,
                    0.2,
                    1,
                    0.5,
                    np.uint64(5),
                    2,
                    1,
                )
                results.append(candidate)
    finally:
        numba.set_num_threads(before)
    if len(results) == 6:
        for a, b in zip(results[:3], results[3:], strict=True):
            np.testing.assert_array_equal(a, b)


def test_apply_never_overshoots_demand_and_respects_seed_cap() -> None:
    # six candidates 0 -> 1; class 1 may gain 3 cells, class 0 may lose 4
    cls = np.zeros((2, 5), dtype=np.int8)
    cls[1, 3:] = 1
    candidate = np.full((2, 5), -1, dtype=np.int8)
    candidate[0, :] = 1
    candidate[1, 0] = 1
    seeded = np.zeros((2, 5), dtype=bool)
    counts = np.array([8, 2], dtype=np.int64)
    demand = np.array([5, 5], dtype=np.int64)
    no_plan = (np.zeros((2, 5), dtype=np.int32), np.zeros((1, 2), dtype=np.int64), False)
    changed = K.apply_proposals(
        cls, candidate, seeded, counts, demand, demand, cls.copy(), np.uint64(1), 0, 10, *no_plan
    )
    assert changed == 3
    assert counts.tolist() == [5, 5]
    assert (cls == 1).sum() == 5
    # with every candidate a new seed and a cap of 1 seed per iteration, one cell moves
    cls = np.zeros((2, 5), dtype=np.int8)
    counts = np.array([10, 0], dtype=np.int64)
    seeded[:] = True
    changed = K.apply_proposals(
        cls, candidate, seeded, counts, demand, demand, cls.copy(), np.uint64(1), 0, 1, *no_plan
    )
    assert changed == 1
    assert counts.tolist() == [9, 1]
    # with a plan that lets group 0 give only 2 cells to class 1, two cells move
    cls = np.zeros((2, 5), dtype=np.int8)
    counts = np.array([10, 0], dtype=np.int64)
    seeded[:] = False
    quota = np.array([[0, 2]], dtype=np.int64)
    changed = K.apply_proposals(
        cls,
        candidate,
        seeded,
        counts,
        demand,
        demand,
        cls.copy(),
        np.uint64(1),
        0,
        10,
        np.zeros((2, 5), dtype=np.int32),
        quota,
        True,
    )
    assert changed == 2
    assert quota.tolist() == [[0, 0]]


def test_apply_lets_a_relay_class_fall_to_its_floor_and_moves_a_cell_once() -> None:
    # one row: classes [1, 1, 1, 2, 0]; class 1 is at its demand (3) but relays a chain, its
    # floor is 3 - 2 = 1: of its three candidates 1 -> 2, two convert (counts 3 -> 1), the
    # third is refused at the floor. The last cell is class 0 now but was class 1 at the
    # start (origin): it already moved once, so its candidate 0 -> 2 is refused.
    cls = np.array([[1, 1, 1, 2, 0]], dtype=np.int8)
    origin = np.array([[1, 1, 1, 2, 1]], dtype=np.int8)
    candidate = np.array([[2, 2, 2, -1, 2]], dtype=np.int8)
    seeded = np.zeros((1, 5), dtype=bool)
    counts = np.array([1, 3, 1], dtype=np.int64)
    demand = np.array([1, 3, 5], dtype=np.int64)
    floor = np.array([1, 1, 5], dtype=np.int64)
    no_plan = (np.zeros((1, 5), dtype=np.int32), np.zeros((1, 3), dtype=np.int64), False)
    changed = K.apply_proposals(
        cls, candidate, seeded, counts, demand, floor, origin, np.uint64(1), 0, 10, *no_plan
    )
    assert changed == 2
    assert counts.tolist() == [1, 1, 3]
    assert (cls[0, :3] == 2).sum() == 2 and cls[0, 4] == 0
    # with the floor at the demand (the direct rule) class 1 gives nothing
    cls = np.array([[1, 1, 1, 2, 0]], dtype=np.int8)
    counts = np.array([1, 3, 1], dtype=np.int64)
    changed = K.apply_proposals(
        cls, candidate, seeded, counts, demand, demand, origin, np.uint64(1), 0, 10, *no_plan
    )
    assert changed == 0


def test_development_zone_rule_hand_case() -> None:
    # one cell, class 0, every other class has zero probability and no neighbours, so OP is
    # zero for all classes except via the development-zone rule for class 1:
    # P_{i,1} = 1 > r always, so TP_1 = (r + 0) * w > 0 and the roulette must pick class 1.
    cls = np.zeros((1, 1), dtype=np.int8)
    prob = np.zeros((2, 1, 1))
    prob[1] = 1.0
    args = (np.ones(2), np.ones(2), np.zeros(2), np.ones((2, 2), dtype=bool))
    candidate, _seeded = _propose(
        cls,
        prob,
        *args,
        np.array([[2]], dtype=np.uint8),
        np.ones(2, dtype=bool),
        K.CARS,
        0.0,
        1,
        0.5,
        np.uint64(3),
        0,
        1,
    )
    assert candidate[0, 0] == 1
    # the same cell in an ordinary convertible zone (1) gets no proposal
    candidate, _ = _propose(
        cls,
        prob,
        *args,
        np.array([[1]], dtype=np.uint8),
        np.ones(2, dtype=bool),
        K.CARS,
        0.0,
        1,
        0.5,
        np.uint64(3),
        0,
        1,
    )
    assert candidate[0, 0] == -1


def _python_propose(
    cls,
    prob,
    weights,
    drive,
    expansion,
    allowed,
    zone,
    model,
    tau,
    zone_class,
    zone_weight,
    key,
    iteration,
    half,
):
    """Straightforward per-cell reference of :func:`K.propose` (formulas of its docstring)."""
    n_classes, rows, cols = prob.shape
    n = 2 * half + 1
    out = np.full((rows, cols), -1, dtype=np.int8)
    for r in range(rows):
        for c in range(cols):
            old = cls[r, c]
            if old < 0 or zone[r, c] == 0:
                continue
            window = cls[max(r - half, 0) : r + half + 1, max(c - half, 0) : c + half + 1]
            con = [int((window == k).sum()) - (k == old) for k in range(n_classes)]
            cell = r * cols + c

            def u(stream, cell=cell):
                return K.uniform(np.uint64(key), iteration, cell, stream)

            op = []
            for k in range(n_classes):
                p, omega = prob[k, r, c], con[k] / (n * n - 1)
                if model == K.CARS:
                    rs = u(K.STREAM_SEED + k)
                    if con[k] == 0:
                        op.append(p * (rs * expansion[k]) * drive[k] if rs < p else 0.0)
                    else:
                        op.append(p * (omega * weights[k]) * drive[k])
                elif model == K.FLUS_PAPER:
                    op.append(p * (omega * weights[k]) * drive[k] * allowed[old, k])
                else:
                    v = p * omega * (weights[k] + 1e-9) * allowed[old, k]
                    op.append(v * 10.0 * n_classes * drive[k] if k == old else v)
            if zone[r, c] == 2:
                rz = u(K.STREAM_ZONE)
                if prob[zone_class, r, c] > rz:
                    t = rz + op[zone_class]
                    op[zone_class] = t * zone_weight if t <= 1.0 else zone_weight
            total = sum(op)
            if total <= 0:
                continue
            cumulative = np.cumsum(op)
            new = int(np.searchsorted(cumulative, u(K.STREAM_ROULETTE) * total, side="right"))
            if new == old or not allowed[old, new]:
                continue
            if model == K.CARS and prob[new, r, c] <= tau:
                continue
            if model == K.FLUS_RELEASED and (
                (u(K.STREAM_ACCEPT) + 1.0 / n_classes) / (iteration + 1) >= prob[new, r, c]
            ):
                continue
            out[r, c] = new
    return out


@pytest.mark.parametrize("model", [K.CARS, K.FLUS_PAPER, K.FLUS_RELEASED])
@pytest.mark.parametrize("half", [1, 2])
def test_propose_equals_python_reference(model: int, half: int) -> None:
    cls, prob, weights, drive, expansion, allowed, zone = _inputs(11, shape=(9, 13), n_classes=3)
    zone[2:5] = 2
    candidate, _seeded = _propose(
        cls,
        prob,
        weights,
        drive,
        expansion,
        allowed,
        zone,
        np.ones(3, dtype=bool),
        model,
        0.3,
        1,
        0.5,
        np.uint64(21),
        2,
        half,
    )
    expected = _python_propose(
        cls, prob, weights, drive, expansion, allowed, zone, model, 0.3, 1, 0.5, 21, 2, half
    )
    assert (expected >= 0).sum() >= 5
    np.testing.assert_array_equal(candidate, expected)


def _awkward(n_classes: int, shape: tuple[int, int], seed: int):
    """Patchy map (4 x 4 blocks, 20 % noise) with nodata edges, a nodata band wider than a
    tile of the sweep, cells in zone 0 and probabilities that are 0 for a fifth of them."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    coarse = rng.integers(0, n_classes, size=(-(-rows // 4), -(-cols // 4)))
    cls = np.repeat(np.repeat(coarse, 4, 0), 4, 1)[:rows, :cols].astype(np.int8)
    noise = rng.random(shape) < 0.2
    cls[noise] = rng.integers(-1, n_classes, size=int(noise.sum()))
    cls[0, :] = -1
    cls[:, -1] = -1
    cls[rows // 3 : rows // 3 + 2, : K.TILE_COLS + 5] = -1
    prob = rng.random((n_classes, *shape))
    prob[rng.random(prob.shape) < 0.2] = 0.0
    weights = rng.random(n_classes)
    drive = rng.uniform(0.5, 2.0, n_classes)
    expansion = rng.random(n_classes)
    allowed = rng.random((n_classes, n_classes)) < 0.7
    zone = (rng.random(shape) < 0.9).astype(np.uint8)
    return cls, prob, weights, drive, expansion, allowed, zone


@pytest.mark.parametrize("shape", [(6, 300), (130, 549)])  # 71370 cells: the prange path
@pytest.mark.parametrize("half", [1, 2])
@pytest.mark.parametrize("n_classes", [2, 9])
def test_cars_proposal_equals_numpy_on_awkward_maps(
    n_classes: int, half: int, shape: tuple[int, int]
) -> None:
    cls, prob, weights, drive, expansion, allowed, zone = _awkward(n_classes, shape, half)
    may_lose = np.ones(n_classes, dtype=bool)
    may_lose[1] = False  # cells of class 1 make no proposal
    args = (cls, prob, weights, drive, expansion, allowed, zone, may_lose)
    candidate, seeded = _propose(*args, K.CARS, 0.1, -1, 0.5, np.uint64(8), 3, half)
    expected = K.propose_cars_numpy(*args, 0.1, 8, 3, half)
    np.testing.assert_array_equal(candidate, expected)
    assert (candidate >= 0).sum() > 0.05 * cls.size
    assert not (candidate[cls == 1] >= 0).any()
    counts = K.neighbourhood_counts_numpy(cls, n_classes, half)
    rows, cols = np.nonzero(candidate >= 0)
    no_neighbour = counts[candidate[rows, cols], rows, cols] == 0
    np.testing.assert_array_equal(seeded[rows, cols], no_neighbour)
    assert not seeded[candidate < 0].any()
    assert no_neighbour.sum() > 0  # the patch-seed branch is exercised


@pytest.mark.parametrize("model", [K.CARS, K.FLUS_PAPER, K.FLUS_RELEASED])
@pytest.mark.parametrize("half", [1, 2])
@pytest.mark.parametrize("n_classes", [2, 9, 70])
def test_propose_equals_python_reference_across_tiles(
    model: int, half: int, n_classes: int
) -> None:
    # 5 x 300: rows longer than a tile of the sweep; 70 classes: the conversion matrix rows
    # take two 64-bit words in the FLUS rule. Development zones in row 2.
    shape = (5, 300) if n_classes < 64 else (5, 40)
    cls, prob, weights, drive, expansion, allowed, zone = _awkward(n_classes, shape, 4)
    zone[2] = 2
    candidate, _seeded = _propose(
        cls,
        prob,
        weights,
        drive,
        expansion,
        allowed,
        zone,
        np.ones(n_classes, dtype=bool),
        model,
        0.3,
        n_classes - 1,
        0.5,
        np.uint64(21),
        2,
        half,
    )
    expected = _python_propose(
        cls,
        prob,
        weights,
        drive,
        expansion,
        allowed,
        zone,
        model,
        0.3,
        n_classes - 1,
        0.5,
        21,
        2,
        half,
    )
    assert (expected >= 0).sum() >= 20
    np.testing.assert_array_equal(candidate, expected)


def _python_apply(
    cls,
    candidate,
    seeded,
    counts,
    demand,
    floor,
    origin,
    key,
    iteration,
    cap,
    group,
    quota,
    use_quota,
):
    """Per-candidate reference of :func:`K.apply_proposals`: stable sort of the order keys."""
    cols = cls.shape[1]
    cells = np.flatnonzero(candidate.ravel() >= 0)
    order = np.argsort(K.uniform_numpy(key, iteration, cells, K.STREAM_ORDER), kind="stable")
    changed = planted = 0
    for cell in cells[order]:
        r, c = divmod(int(cell), cols)
        new, old = candidate[r, c], cls[r, c]
        if counts[new] >= demand[new] or counts[old] <= floor[old] or old != origin[r, c]:
            continue
        if use_quota and quota[group[r, c], new] <= 0:
            continue
        if seeded[r, c]:
            if planted >= cap:
                continue
            planted += 1
        if use_quota:
            quota[group[r, c], new] -= 1
        cls[r, c] = new
        counts[old] -= 1
        counts[new] += 1
        changed += 1
    return changed


def _apply_case(rng: np.random.Generator):
    """A 60 x 90 map of 5 classes with nodata, moved cells, seeds, relays and quotas."""
    shape, n_classes = (60, 90), 5
    cls = rng.integers(-1, n_classes, size=shape).astype(np.int8)
    origin = cls.copy()
    moved = rng.random(shape) < 0.1  # these cells converted in an earlier iteration
    origin[moved] = rng.integers(0, n_classes, size=int(moved.sum()))
    candidate = np.where(rng.random(shape) < 0.6, rng.integers(0, n_classes, shape), -1)
    candidate = np.where(cls >= 0, candidate, -1).astype(np.int8)
    seeded = (rng.random(shape) < 0.2) & (candidate >= 0)
    counts = np.bincount(cls[cls >= 0], minlength=n_classes).astype(np.int64)
    demand = counts + np.array([-300, -100, 0, 150, 250])
    floor = demand - np.array([50, 0, 40, 0, 0])  # classes 0 and 2 relay chains
    group = rng.integers(0, 3, size=shape).astype(np.int32)
    quota = rng.integers(20, 120, size=(3, n_classes)).astype(np.int64)
    return cls, origin, candidate, seeded, counts, demand, floor, group, quota


@pytest.mark.parametrize("batch", [K.WALK_BATCH, 700, 1])
@pytest.mark.parametrize("use_quota", [False, True])
def test_apply_equals_python_reference(use_quota: bool, batch: int) -> None:
    """One walk of every candidate in the random order; in batches of the order too (700:
    a few runs of buckets; 1: each bucket alone), which must not change the map."""
    cls, origin, candidate, seeded, counts, demand, floor, group, quota = _apply_case(
        np.random.default_rng(12)
    )
    results = []
    for func in (functools.partial(K.apply_proposals, batch=batch), _python_apply):
        state = (cls.copy(), counts.copy(), quota.copy())
        changed = func(
            state[0],
            candidate,
            seeded,
            state[1],
            demand,
            floor,
            origin,
            np.uint64(4),
            6,
            40,
            group,
            state[2],
            use_quota,
        )
        results.append((changed, *state))
    (changed, *got), (expected_changed, *expected) = results
    assert changed == expected_changed > 200
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("batch", [10_000, 700, 1])
def test_visit_batches_cover_the_candidates_in_runs_of_buckets(batch: int) -> None:
    """The batches of the walk: runs of whole buckets from 0 to the last, holding every
    candidate that waits once (by its number's top bits), none over ``batch`` unless one
    bucket alone is; the memory of a walk is that of its largest batch."""
    cls, origin, candidate, *_ = _apply_case(np.random.default_rng(12))
    ikey = K.iteration_key(np.uint64(4), 6)
    edges, sizes, bucket = K._visit_batches(cls, candidate, origin, ikey, batch)
    waits = (candidate >= 0) & (cls == origin)
    assert sizes.sum() == waits.sum() > 700
    if batch >= waits.sum():
        assert edges.tolist() == [0, K.VISIT_BUCKETS] and bucket.size == 0
        return
    cells = np.flatnonzero(waits.ravel())
    numbers = (K.uniform_numpy(4, 6, cells, K.STREAM_ORDER) * 2**32).astype(np.uint64)
    expected = np.full(cls.size, K.NO_BUCKET, np.uint8)
    expected[cells] = numbers >> np.uint64(32 - K.VISIT_BITS)
    np.testing.assert_array_equal(bucket.ravel(), expected)
    per_bucket = np.bincount(expected[cells], minlength=K.VISIT_BUCKETS)
    assert edges[0] == 0 and edges[-1] == K.VISIT_BUCKETS and (np.diff(edges) > 0).all()
    for first, last, size in zip(edges[:-1], edges[1:], sizes, strict=True):
        assert size == per_bucket[first:last].sum()
        assert size <= batch or last - first == 1
    assert len(sizes) > 1


def test_class_indices_and_counts_against_numpy() -> None:
    """Codes 10/20/90 given in the stack's order (not ascending), nodata and an unknown
    code: the int8 indices are each code's position in that order, -1 elsewhere, and the
    counts are those of ``np.bincount``; the unknown code is refused by name."""
    from landcarbon.errors import ParameterError
    from landcarbon.landuse.allocation import _class_indices
    from landcarbon.raster import CLASS_NODATA

    rng = np.random.default_rng(4)
    current = rng.choice(np.asarray([10, 20, 90, CLASS_NODATA], dtype=np.int32), (40, 50))
    codes = [90, 10, 20]
    cls = _class_indices(current, codes)
    expected = np.full(current.shape, -1, dtype=np.int8)
    for k, code in enumerate(codes):
        expected[current == code] = k
    assert cls.dtype == np.int8
    np.testing.assert_array_equal(cls, expected)
    counts = K.class_index_counts(cls, 3)
    np.testing.assert_array_equal(counts, np.bincount(expected[expected >= 0], minlength=3))
    current[7, 9] = 55
    with pytest.raises(ParameterError, match=r"class code\(s\) \[55\]"):
        _class_indices(current, codes)
