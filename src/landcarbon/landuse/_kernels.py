"""Numba kernels of the land-use allocation (PLUS CARS and FLUS cellular automata).

Maps enter as class *indices* (``int8``/``int16``/``int32``: 0..K-1, -1 for nodata), the
suitability stack as ``float64[K, rows, cols]``. One iteration is two kernels:

1. :func:`propose` (parallel over rows): for every cell that may change, the neighbourhood
   counts in the n x n window, the overall probability of each class, a roulette draw and the
   model's acceptance test give a *candidate* class (or -1). It reads the map of the previous
   iteration only, so the cells are independent.
2. :func:`apply_proposals` (sequential): the candidates are visited in a random order and
   converted while the new class still lacks cells and the old class is above its floor
   (its demand, or less for the relay class of a chain of conversions), so no class ever
   rises above its demand. A cell converts at most once per allocation.

Every random number comes from a counter-based generator (:func:`uniform`): a splitmix64
hash of (seed key, iteration, cell, stream). The result therefore depends on the seed only,
never on the number of threads or on which cells were visited before.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 4294967296.0  # 2**-32
_LOW32 = np.uint64(0xFFFFFFFF)

# random streams of one cell in one iteration
STREAM_ROULETTE = 0
STREAM_ACCEPT = 1
STREAM_ZONE = 2
STREAM_ORDER = 3
STREAM_SEED = 4  # + class index: the r of the patch-seed rule

# models understood by :func:`propose`
CARS = 0
FLUS_PAPER = 1
FLUS_RELEASED = 2

FLUS_OMEGA_EPS = 1e-9  # FLUS release: Omega uses (w_k + 1e-9)
FLUS_INERTIA_SCALE = 10.0  # FLUS release: TProb of the current class times 10 * K * A_c

PARALLEL_MIN_CELLS = 1 << 16  # smaller maps are swept on one thread (same result)


@njit(cache=True, nogil=True)
def splitmix64(x: np.uint64) -> np.uint64:
    """The splitmix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mix."""
    z = np.uint64(x) + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def iteration_key(key: np.uint64, iteration: int) -> np.uint64:
    """Key of one iteration, derived from the run's 64-bit seed key."""
    return splitmix64(np.uint64(key) ^ splitmix64(np.uint64(iteration)))


@njit(cache=True, nogil=True)
def cell_key(ikey: np.uint64, cell: int) -> np.uint64:
    """Key of one cell (flat index) in one iteration."""
    return splitmix64(np.uint64(ikey) ^ np.uint64(cell))


@njit(cache=True, nogil=True)
def pair_hash(ckey: np.uint64, stream: int) -> np.uint64:
    """64 random bits shared by streams 2m and 2m + 1 of a cell key."""
    return splitmix64(np.uint64(ckey) + np.uint64(stream >> 1) * _GOLDEN)


@njit(cache=True, nogil=True)
def half_uniform(h: np.uint64, stream: int) -> float:
    """U[0, 1) from the high (even stream) or low (odd stream) 32 bits of a pair hash."""
    bits = h >> np.uint64(32) if stream % 2 == 0 else h & _LOW32
    return float(np.int64(bits)) * _TO_UNIT  # signed conversion: one instruction


@njit(cache=True, nogil=True)
def stream_uniform(ckey: np.uint64, stream: int) -> float:
    """U[0, 1) number (32 random bits) of one stream of a cell key."""
    return half_uniform(pair_hash(ckey, stream), stream)


@njit(cache=True, nogil=True)
def uniform(key: np.uint64, iteration: int, cell: int, stream: int) -> float:
    """U[0, 1) number keyed by (seed key, iteration, cell, stream); no state, no threads."""
    return stream_uniform(cell_key(iteration_key(key, iteration), cell), stream)


@njit(cache=True, nogil=True)
def window_counts(cls: np.ndarray, r: int, c: int, half: int, counts: np.ndarray) -> None:
    """Cells of each class in the (2*half+1)^2 window around (r, c), the centre excluded.

    Cells outside the map and nodata cells (index -1) count for no class.
    """
    rows, cols = cls.shape
    counts[:] = 0
    for rr in range(max(r - half, 0), min(r + half + 1, rows)):
        for cc in range(max(c - half, 0), min(c + half + 1, cols)):
            k = cls[rr, cc]
            if k >= 0:
                counts[k] += 1
    centre = cls[r, c]
    if centre >= 0:
        counts[centre] -= 1


@njit(cache=True, nogil=True, inline="always")
def _add_column(
    cls: np.ndarray, r: int, col: int, half: int, counts: np.ndarray, delta: int
) -> None:
    """Add ``delta`` to the counts of the classes in column ``col`` of the window of row r."""
    rows, cols = cls.shape
    if col < 0 or col >= cols:
        return
    for rr in range(max(r - half, 0), min(r + half + 1, rows)):
        k = cls[rr, col]
        if k >= 0:
            counts[k] += delta


@njit(cache=True, nogil=True, inline="always")
def _slide(cls: np.ndarray, r: int, c: int, half: int, counts: np.ndarray) -> None:
    """Move the window counts (centre included) of row r from column c - 1 to c.

    At c = 0 the counts are rebuilt from zero.
    """
    if c == 0:
        counts[:] = 0
        for col in range(half + 1):
            _add_column(cls, r, col, half, counts, 1)
    else:
        _add_column(cls, r, c - half - 1, half, counts, -1)
        _add_column(cls, r, c + half, half, counts, 1)


@njit(cache=True, nogil=True, parallel=True)
def neighbourhood_counts(cls: np.ndarray, n_classes: int, half: int) -> np.ndarray:
    """``int32[K, rows, cols]``: class counts in the window of every cell (centre excluded)."""
    rows, cols = cls.shape
    out = np.zeros((n_classes, rows, cols), dtype=np.int32)
    for r in prange(rows):
        counts = np.zeros(n_classes, dtype=np.int64)
        for c in range(cols):
            window_counts(cls, r, c, half, counts)
            for k in range(n_classes):
                out[k, r, c] = counts[k]
    return out


@njit(cache=True, nogil=True)
def _roulette(weights: np.ndarray, total: float, u: float) -> int:
    """Index drawn with probability weights[k] / total (u ~ U[0, 1))."""
    target = u * total
    acc = 0.0
    last = -1
    for k in range(weights.shape[0]):
        if weights[k] > 0.0:
            acc += weights[k]
            last = k
            if target < acc:
                return k
    return last


@njit(cache=True, nogil=True, parallel=True)
def propose(
    cls: np.ndarray,
    prob: np.ndarray,
    weights: np.ndarray,
    drive: np.ndarray,
    expansion: np.ndarray,
    allowed: np.ndarray,
    zone: np.ndarray,
    may_lose: np.ndarray,
    model: int,
    tau: float,
    zone_class: int,
    zone_weight: float,
    key: np.uint64,
    iteration: int,
    half: int,
    candidate: np.ndarray,
    seeded: np.ndarray,
) -> None:
    """One proposal sweep; writes ``candidate`` (class index or -1) and ``seeded``.

    Parameters
    ----------
    cls : int[rows, cols]
        Class index of every cell (-1 nodata), map of the previous iteration.
    prob : float64[K, rows, cols]
        Development probability P_{i,k} (PLUS LEAS) or probability of occurrence sp (FLUS).
    weights : float64[K]
        Neighbourhood weights w_k.
    drive : float64[K]
        PLUS adaptive driving coefficient D_k, FLUS inertia (paper: Inertia_k; release: A_k).
    expansion : float64[K]
        PLUS expansion coefficient mu_k of the patch-seed rule (CARS only).
    allowed : bool[K, K]
        Conversion matrix, rows = from class, columns = to class.
    zone : uint8[rows, cols]
        Restricted raster: 0 no change, 1 convertible, 2 development zone of ``zone_class``.
    may_lose : bool[K]
        Classes still above their floor (see :func:`apply_proposals`); cells of other
        classes cannot change this iteration
        (they are skipped: the counter-based generator makes skipping exact).
    model : int
        :data:`CARS`, :data:`FLUS_PAPER` or :data:`FLUS_RELEASED`.
    tau : float
        CARS decreasing threshold: a conversion needs P_{i,c} > tau.
    zone_class, zone_weight : int, float
        Class index promoted in development zones (-1: none) and its weight w.
    key, iteration : uint64, int
        Seed key and iteration number of the counter-based generator.
    half : int
        Half window: the window is (2*half+1) x (2*half+1).

    Notes
    -----
    CARS (Liang et al. 2021, doi:10.1016/j.compenvurbsys.2020.101569):
    Omega_{i,k} = con_k / (n*n - 1) * w_k and OP_{i,k} = P_{i,k} * Omega_{i,k} * D_k; where no
    cell of class k is in the window and r < P_{i,k}, OP_{i,k} = P_{i,k} * (r * mu_k) * D_k
    (a new patch seed). A class c is drawn by roulette over OP_{i,.}; the cell converts when
    P_{i,c} > tau and TM[current, c] = 1. In a development zone of class z, when P_{i,z} > r,
    TP_z = (r + TP_z) * w if r + TP_z <= 1 else w (PLUS >= 1.3.5, Tutorial B).

    FLUS (Liu et al. 2017, doi:10.1016/j.landurbplan.2017.07.003): paper rule
    TProb_{p,k} = sp_{p,k} * Omega_{p,k} * Inertia_k * TM[c, k]; released-code rule
    TProb_{p,k} = sp_{p,k} * con_k / (n*n - 1) * (w_k + 1e-9) * TM[c, k] with the current
    class's TProb times 10 * K * A_c, and acceptance only if (r + 1/K) / (iteration + 1) <
    sp_{p,new}.
    """
    rows, cols = cls.shape
    inv_denom = 1.0 / ((2 * half + 1) ** 2 - 1)  # Omega = con_k / (n*n - 1)
    ikey = iteration_key(key, iteration)
    if rows * cols >= PARALLEL_MIN_CELLS:
        for r in prange(rows):
            _propose_row(
                cls,
                prob,
                weights,
                drive,
                expansion,
                allowed,
                zone,
                may_lose,
                model,
                tau,
                zone_class,
                zone_weight,
                ikey,
                iteration,
                half,
                inv_denom,
                r,
                candidate,
                seeded,
            )
    else:  # a parallel launch costs more than a small map
        for r in range(rows):
            _propose_row(
                cls,
                prob,
                weights,
                drive,
                expansion,
                allowed,
                zone,
                may_lose,
                model,
                tau,
                zone_class,
                zone_weight,
                ikey,
                iteration,
                half,
                inv_denom,
                r,
                candidate,
                seeded,
            )


@njit(cache=True, nogil=True, inline="always")
def _propose_row(
    cls: np.ndarray,
    prob: np.ndarray,
    weights: np.ndarray,
    drive: np.ndarray,
    expansion: np.ndarray,
    allowed: np.ndarray,
    zone: np.ndarray,
    may_lose: np.ndarray,
    model: int,
    tau: float,
    zone_class: int,
    zone_weight: float,
    ikey: np.uint64,
    iteration: int,
    half: int,
    inv_denom: float,
    r: int,
    candidate: np.ndarray,
    seeded: np.ndarray,
) -> None:
    """The proposals of row ``r`` (see :func:`propose`)."""
    n_classes = prob.shape[0]
    cols = cls.shape[1]
    counts = np.zeros(n_classes, dtype=np.int64)
    op = np.zeros(n_classes, dtype=np.float64)
    for c in range(cols):
        _slide(cls, r, c, half, counts)
        candidate[r, c] = -1
        seeded[r, c] = False
        old = cls[r, c]
        if old < 0 or zone[r, c] == 0 or not may_lose[old]:
            continue
        counts[old] -= 1  # the centre is not its own neighbour
        new = _choose(
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
            cell_key(ikey, r * cols + c),
            iteration,
            inv_denom,
            r,
            c,
            old,
            counts,
            op,
        )
        if new >= 0:
            candidate[r, c] = new
            seeded[r, c] = counts[new] == 0
        counts[old] += 1


@njit(cache=True, nogil=True, inline="always")
def _choose(
    cls: np.ndarray,
    prob: np.ndarray,
    weights: np.ndarray,
    drive: np.ndarray,
    expansion: np.ndarray,
    allowed: np.ndarray,
    zone: np.ndarray,
    model: int,
    tau: float,
    zone_class: int,
    zone_weight: float,
    ckey: np.uint64,
    iteration: int,
    inv_denom: float,
    r: int,
    c: int,
    old: int,
    counts: np.ndarray,
    op: np.ndarray,
) -> int:
    """Proposed class of cell (r, c) or -1 (see :func:`propose`); ``counts`` exclude it."""
    n_classes = prob.shape[0]
    total = 0.0
    if model == CARS:
        h = np.uint64(0)  # streams 2m, 2m + 1 share a hash (STREAM_SEED is even)
        for k in range(n_classes):  # branch-free: both values, then select
            if k % 2 == 0:
                h = pair_hash(ckey, STREAM_SEED + k)
            u = half_uniform(h, STREAM_SEED + k)
            p = prob[k, r, c]
            seed_value = p * (u * expansion[k]) * drive[k] * (u < p)
            near_value = p * (counts[k] * inv_denom) * weights[k] * drive[k]
            value = seed_value if counts[k] == 0 else near_value
            op[k] = value
            total += value
    elif model == FLUS_PAPER:
        for k in range(n_classes):
            value = prob[k, r, c] * (counts[k] * inv_denom) * weights[k] * drive[k]
            value = value if allowed[old, k] else 0.0
            op[k] = value
            total += value
    else:
        for k in range(n_classes):
            value = prob[k, r, c] * (counts[k] * inv_denom) * (weights[k] + FLUS_OMEGA_EPS)
            value = value if allowed[old, k] else 0.0
            if k == old:
                value *= FLUS_INERTIA_SCALE * n_classes * drive[k]
            op[k] = value
            total += value
    if zone[r, c] == 2 and zone_class >= 0:
        u = stream_uniform(ckey, STREAM_ZONE)
        if prob[zone_class, r, c] > u:
            boosted = (u + op[zone_class]) * zone_weight
            if u + op[zone_class] > 1.0:
                boosted = zone_weight
            total += boosted - op[zone_class]
            op[zone_class] = boosted
    if total <= 0.0:
        return -1
    h = pair_hash(ckey, STREAM_ROULETTE)  # STREAM_ROULETTE and STREAM_ACCEPT share a pair
    new = _roulette(op, total, half_uniform(h, STREAM_ROULETTE))
    if new == old or not allowed[old, new]:
        return -1
    if model == CARS:
        if prob[new, r, c] <= tau:
            return -1
    elif model == FLUS_RELEASED:
        u = half_uniform(h, STREAM_ACCEPT)
        if (u + 1.0 / n_classes) / (iteration + 1) >= prob[new, r, c]:
            return -1
    return new


@njit(cache=True, nogil=True)
def apply_proposals(
    cls: np.ndarray,
    candidate: np.ndarray,
    seeded: np.ndarray,
    counts: np.ndarray,
    demand: np.ndarray,
    floor: np.ndarray,
    origin: np.ndarray,
    key: np.uint64,
    iteration: int,
    seed_cap: int,
    cell_group: np.ndarray,
    quota: np.ndarray,
    use_quota: bool,
) -> int:
    """Convert candidates in a random order while demand allows; returns cells changed.

    A candidate old -> new is taken only while ``counts[new] < demand[new]`` and
    ``counts[old] > floor[old]``, and only if the cell still holds its class of the start of
    the allocation, ``origin`` (a cell converts at most once). ``floor`` is the demand, or
    less for a class that relays a chain of conversions (it gives cells while others arrive;
    :func:`landcarbon.landuse.conversion.donor_floor`). At most ``seed_cap`` new patch seeds
    are planted in
    one iteration (PLUS "Percentage of seeds"). With ``use_quota`` a cell of group g may
    become class c only while ``quota[g, c] > 0`` (a max-flow transition plan).
    ``cls``, ``counts`` and ``quota`` are updated in place.
    """
    cols = cls.shape[1]
    flat = candidate.ravel()
    cells = np.flatnonzero(flat >= 0)
    order_key = np.empty(cells.shape[0], dtype=np.float64)
    ikey = iteration_key(key, iteration)
    for j in range(cells.shape[0]):
        order_key[j] = stream_uniform(cell_key(ikey, cells[j]), STREAM_ORDER)
    changed = 0
    planted = 0
    for j in np.argsort(order_key, kind="mergesort"):
        cell = cells[j]
        r = cell // cols
        c = cell - r * cols
        new = candidate[r, c]
        old = cls[r, c]
        if counts[new] >= demand[new] or counts[old] <= floor[old] or old != origin[r, c]:
            continue
        if use_quota and quota[cell_group[r, c], new] <= 0:
            continue
        if seeded[r, c]:
            if planted >= seed_cap:
                continue
            planted += 1
        if use_quota:
            quota[cell_group[r, c], new] -= 1
        cls[r, c] = new
        counts[old] -= 1
        counts[new] += 1
        changed += 1
    return changed


# --------------------------------------------------------------------------------------
# NumPy reference of one CARS proposal sweep (same random numbers). Used by the tests to
# check :func:`propose` cell for cell and by benchmarks/allocation.py as the vectorised
# baseline the numba kernel is timed against.


def _splitmix64_np(x: np.ndarray) -> np.ndarray:
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def uniform_numpy(key: int, iteration: int, cells: np.ndarray, stream: int) -> np.ndarray:
    """Vectorised :func:`uniform` for an array of flat cell indices."""
    ikey = np.uint64(iteration_key(np.uint64(key), iteration))
    ckey = _splitmix64_np(ikey ^ cells.astype(np.uint64))
    h = _splitmix64_np(ckey + np.uint64(((stream >> 1) * int(_GOLDEN)) % 2**64))
    bits = h >> np.uint64(32) if stream % 2 == 0 else h & _LOW32
    return bits.astype(np.float64) * _TO_UNIT


def neighbourhood_counts_numpy(cls: np.ndarray, n_classes: int, half: int) -> np.ndarray:
    """Vectorised :func:`neighbourhood_counts`: shifted sums of one-hot layers."""
    rows, cols = cls.shape
    padded = np.full((rows + 2 * half, cols + 2 * half), -1, dtype=np.int32)
    padded[half : half + rows, half : half + cols] = cls
    out = np.zeros((n_classes, rows, cols), dtype=np.int32)
    for k in range(n_classes):
        onehot = (padded == k).astype(np.int32)
        for dr in range(2 * half + 1):
            for dc in range(2 * half + 1):
                out[k] += onehot[dr : dr + rows, dc : dc + cols]
        out[k] -= cls == k
    return out


def propose_cars_numpy(
    cls: np.ndarray,
    prob: np.ndarray,
    weights: np.ndarray,
    drive: np.ndarray,
    expansion: np.ndarray,
    allowed: np.ndarray,
    zone: np.ndarray,
    may_lose: np.ndarray,
    tau: float,
    key: int,
    iteration: int,
    half: int,
) -> np.ndarray:
    """Vectorised CARS proposal (3x3 counts + OP + roulette); candidates as in :func:`propose`.

    Development zones are not modelled here (the reference covers zone values 0 and 1).
    """
    n_classes, rows, cols = prob.shape
    cells = np.arange(rows * cols, dtype=np.int64).reshape(rows, cols)
    counts = neighbourhood_counts_numpy(cls, n_classes, half)
    inv_denom = 1.0 / ((2 * half + 1) ** 2 - 1)
    op = np.empty_like(prob)
    for k in range(n_classes):
        u = uniform_numpy(key, iteration, cells, STREAM_SEED + k)
        seed_value = np.where(u < prob[k], prob[k] * (u * expansion[k]) * drive[k], 0.0)
        op[k] = np.where(
            counts[k] == 0, seed_value, prob[k] * (counts[k] * inv_denom) * weights[k] * drive[k]
        )
    total = op.sum(axis=0)
    target = uniform_numpy(key, iteration, cells, STREAM_ROULETTE) * total
    cumulative = np.cumsum(op, axis=0)
    new = np.minimum((cumulative <= target[None]).sum(axis=0), n_classes - 1)
    positive = op > 0
    last_positive = n_classes - 1 - np.argmax(positive[::-1], axis=0)
    new = np.where(
        op[new, np.arange(rows)[:, None], np.arange(cols)[None, :]] > 0, new, last_positive
    )
    safe_old = np.where(cls >= 0, cls, 0)
    ok = (
        (cls >= 0)
        & (zone != 0)
        & may_lose[safe_old]
        & (total > 0)
        & (new != cls)
        & allowed[safe_old, new]
        & (np.take_along_axis(prob, new[None], axis=0)[0] > tau)
    )
    return np.where(ok, new, -1).astype(np.int8)
