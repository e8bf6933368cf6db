"""Numba kernels of the land-use allocation (PLUS CARS and FLUS cellular automata).

Maps enter as class *indices* (``int8``/``int16``/``int32``: 0..K-1, -1 for nodata), the
suitability stack as ``float64[K, rows, cols]``. One iteration is two kernels:

1. :func:`propose` (parallel over blocks of rows): for every cell that may change, the
   neighbourhood counts in the n x n window, the overall probability of each class, a
   roulette draw and the model's acceptance test give a *candidate* class (or -1). It reads
   the map of the previous iteration only, so the cells are independent. A row is processed
   in tiles of columns, each in passes over tile buffers (OP per class, roulette, decision)
   that the compiler vectorises; each cell still sees exactly the arithmetic of the formulas
   in :func:`propose`, in the same order, so the result is that of a cell-by-cell loop.
   Tiles without a cell that may change are skipped.
2. :func:`apply_proposals` (sequential): the candidates are visited in a random order and
   converted while the new class still lacks cells and the old class is above its floor
   (its demand, or less for the relay class of a chain of conversions), so no class ever
   rises above its demand. A cell converts at most once per allocation. The walk takes
   consecutive ranges of the order in batches of at most ``WALK_BATCH`` candidates, so it
   holds one batch (and a byte a cell for the batches' buckets), not every candidate.

With FLUS's ``flus_compat`` option one sequential kernel, :func:`flus_compat_sweep`, does
both in the GeoSOS-FLUS C++ way (raster order, FLUS demand gate, anti-reversal flags).

Every random number comes from a counter-based generator (:func:`uniform`): a splitmix64
hash of (seed key, iteration, cell, stream). The result therefore depends on the seed only,
never on the number of threads, the row blocks, the tiles or which cells were visited
before.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 4294967296.0  # 2**-32
_LOW32 = np.uint64(0xFFFFFFFF)

# random streams of one cell in one iteration. numpy integers, not Python ints: numba types
# a global Python int given to a kernel as a literal and compiles the kernel once more for
# each literal value (pair_hash four times, seconds of a cold start); an int64 is one type
STREAM_ROULETTE = np.int64(0)
STREAM_ACCEPT = np.int64(1)
STREAM_ZONE = np.int64(2)
STREAM_ORDER = np.int64(3)
STREAM_SEED = np.int64(4)  # + class index: the r of the patch-seed rule

# models understood by :func:`propose`
CARS = 0
FLUS_PAPER = 1
FLUS_RELEASED = 2

FLUS_OMEGA_EPS = 1e-9  # FLUS release: Omega uses (w_k + 1e-9)
FLUS_INERTIA_SCALE = 10.0  # FLUS release: TProb of the current class times 10 * K * A_c

PARALLEL_MIN_CELLS = 1 << 16  # smaller maps are swept on one thread (same result)
BLOCK_ROWS = 32  # rows per parallel task; row buffers are allocated once per block
TILE_COLS = 256  # columns per tile of the sweep: its buffers stay in the L1/L2 cache
RADIX_BITS = 11  # digit of the radix sort of the visiting order (3 passes for 32 bits)
WALK_BATCH = 1 << 22  # candidates apply_proposals gathers and walks at once (~28 bytes each)
VISIT_BITS = 7  # batches of the walk join buckets of the visiting numbers by their top bits
VISIT_BUCKETS = 1 << VISIT_BITS
NO_BUCKET = 255  # bucket of a cell that the walk does not visit


@njit(cache=True, nogil=True)
def class_index_counts(cls: np.ndarray, n_classes: int) -> np.ndarray:
    """``int64[K]``: cells of each class index 0..K-1 in ``cls`` (-1, nodata, not counted).

    One pass with no temporary: ``np.bincount`` would first copy the valid cells and
    widen them to int64, 9 bytes a cell.
    """
    out = np.zeros(n_classes, dtype=np.int64)
    for v in cls.ravel():
        if v >= 0:
            out[v] += 1
    return out


@njit(cache=True, nogil=True)
def class_indices(current: np.ndarray, codes: np.ndarray, nodata: int) -> tuple[np.ndarray, int]:
    """``int8`` class indices of a map of class codes (the position of each cell's code in
    ``codes``, sorted ascending), -1 for ``nodata`` and for codes not in ``codes``; and the
    number of cells of such unknown codes.

    One pass, 1 byte a cell: no int64 positions of a ``searchsorted`` over the map.
    """
    out = np.empty(current.shape, dtype=np.int8)
    flat, into = current.ravel(), out.ravel()
    unknown = 0
    for i in range(flat.size):
        v = flat[i]
        k = np.searchsorted(codes, v)
        if v == nodata:
            into[i] = -1
        elif k < codes.size and codes[k] == v:
            into[i] = k
        else:
            into[i] = -1
            unknown += 1
    return out, unknown


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
def pair_hash(ckey: np.uint64, stream: int | np.int64) -> np.uint64:
    """64 random bits shared by streams 2m and 2m + 1 of a cell key."""
    return splitmix64(np.uint64(ckey) + np.uint64(stream >> 1) * _GOLDEN)


@njit(cache=True, nogil=True, inline="always")
def _half_shift(stream: int | np.int64) -> np.uint64:
    """Shift that brings a stream's 32 bits of its pair hash down: high half for even."""
    return np.uint64(32) if stream % 2 == 0 else np.uint64(0)


@njit(cache=True, nogil=True, inline="always")
def _unit(bits: np.uint64) -> float:
    """U[0, 1) from 32 random bits (signed conversion: one instruction)."""
    return float(np.int64(bits)) * _TO_UNIT


@njit(cache=True, nogil=True)
def half_uniform(h: np.uint64, stream: int | np.int64) -> float:
    """U[0, 1) from the high (even stream) or low (odd stream) 32 bits of a pair hash."""
    return _unit((h >> _half_shift(stream)) & _LOW32)


@njit(cache=True, nogil=True)
def stream_uniform(ckey: np.uint64, stream: int | np.int64) -> float:
    """U[0, 1) number (32 random bits) of one stream of a cell key."""
    return half_uniform(pair_hash(ckey, stream), stream)


@njit(cache=True, nogil=True)
def uniform(key: np.uint64, iteration: int, cell: int, stream: int | np.int64) -> float:
    """U[0, 1) number keyed by (seed key, iteration, cell, stream); no state, no threads."""
    return stream_uniform(cell_key(iteration_key(key, iteration), cell), stream)


# --------------------------------------------------------------------------------------
# Neighbourhood counts, one row at a time: ``column[k, half + c]`` holds the cells of class
# k in column c of the window's rows (slid down the rows of a block: one row in, one out),
# and the counts of row r are sums of 2*half + 1 shifted columns.


_ADD = np.int64(1)  # signs of :func:`_column_add` (int64, not literals: one signature)
_REMOVE = np.int64(-1)


@njit(cache=True, nogil=True)
def _column_add(
    cls: np.ndarray, rr: int, half: int, column: np.ndarray, sign: int | np.int64
) -> None:
    """Add (``sign`` = 1) or remove (-1) row ``rr`` of the map from the column counts."""
    line = cls[rr]
    cols = line.shape[0]
    for k in range(column.shape[0]):
        column_k = column[k, half : half + cols]  # a view: no negative-index code below
        for c in range(cols):
            column_k[c] += sign * (line[c] == k)


@njit(cache=True, nogil=True)
def _column_step(cls: np.ndarray, r: int, r0: int, half: int, column: np.ndarray) -> None:
    """Column counts of the window rows of row ``r``; built afresh at the block start r0."""
    rows = cls.shape[0]
    if r == r0:
        column[:, :] = 0
        for rr in range(max(r - half, 0), min(r + half + 1, rows)):
            _column_add(cls, rr, half, column, _ADD)
        return
    if r - half - 1 >= 0:
        _column_add(cls, r - half - 1, half, column, _REMOVE)
    if r + half < rows:
        _column_add(cls, r + half, half, column, _ADD)


@njit(cache=True, nogil=True)
def _row_counts(cls: np.ndarray, r: int, half: int, column: np.ndarray, counts: np.ndarray) -> None:
    """``counts[k, c]``: cells of class k in the window of (r, c), the centre excluded.

    Cells outside the map and nodata cells (index -1) count for no class.
    """
    cols = cls.shape[1]
    centre = cls[r]
    for k in range(counts.shape[0]):
        counts_k = counts[k]
        for c in range(cols):
            counts_k[c] = -1 if centre[c] == k else 0
        for j in range(2 * half + 1):
            column_k = column[k, j : j + cols]
            for c in range(cols):
                counts_k[c] += column_k[c]


@njit(cache=True, nogil=True)
def _counts_block(cls: np.ndarray, half: int, r0: int, r1: int, out: np.ndarray) -> None:
    """Rows r0..r1-1 of :func:`neighbourhood_counts`."""
    n_classes, _, cols = out.shape
    column = np.empty((n_classes, cols + 2 * half), dtype=np.int32)
    counts = np.empty((n_classes, cols), dtype=np.int32)
    for r in range(r0, r1):
        _column_step(cls, r, r0, half, column)
        _row_counts(cls, r, half, column, counts)
        out[:, r, :] = counts


@njit(cache=True, nogil=True, parallel=True)
def neighbourhood_counts(cls: np.ndarray, n_classes: int, half: int) -> np.ndarray:
    """``int32[K, rows, cols]``: class counts in the window of every cell (centre excluded)."""
    rows, cols = cls.shape
    out = np.empty((n_classes, rows, cols), dtype=np.int32)
    for b in prange((rows + BLOCK_ROWS - 1) // BLOCK_ROWS):
        _counts_block(cls, half, b * BLOCK_ROWS, min((b + 1) * BLOCK_ROWS, rows), out)
    return out


# --------------------------------------------------------------------------------------
# Proposal sweep. Per row: neighbourhood counts and the cells that may change; then, per
# tile of TILE_COLS columns holding such a cell: cell keys, OP of every class, development
# zones, roulette and decision, each a loop over the tile held in row buffers. The steps
# that only :func:`_propose_block` calls are inlined into it by numba (``inline="always"``):
# compiled once there instead of each on its own first (1.3-2 s less of a cold start; the
# sweep is as fast, as LLVM inlined them anyway).

_Sweep = namedtuple(
    "_Sweep",
    [
        "cls",
        "prob",
        "weights",
        "drive",
        "expansion",
        "allowed_bits",  # uint64[K, ceil(K / 64)]: bit k % 64 of word k // 64: old -> k allowed
        "zone",
        "may_lose",
        "movable",  # uint8[K, K]: conversion old -> new allowed and new != old
        "model",
        "tau",
        "zone_class",
        "zone_weight",
        "ikey",  # key of the iteration
        "iteration",
        "half",
        "inv_denom",  # 1 / (n*n - 1)
        "candidate",
        "seeded",
        "first_cell",  # global index of cell (0, 0) of ``cls``: the generator's counter
        "stride",  # cells per row of the whole map (``cls`` may be a window of it)
    ],
)

_Buffers = namedtuple(
    "_Buffers",
    [
        "column",  # int32[K, cols + 2*half]: column counts (see _column_step)
        "counts",  # int32[K, cols]: window counts of the row, centre excluded
        "active",  # uint8[cols]: the cell may change (valid, zone != 0, class may lose)
        "op",  # float64[K, TILE_COLS]: overall probability OP (CARS) or TProb (FLUS)
        "ckey",  # uint64[TILE_COLS]: cell keys
        "bits",  # uint64[TILE_COLS]: pair hash of the stream in use
        "total",  # float64[TILE_COLS]: sum of OP over the classes (in class order)
        "target",  # float64[TILE_COLS]: roulette target u * total
        "acc",  # float64[TILE_COLS]: running sum of the positive OP
        "new",  # int64[TILE_COLS]: drawn class (-1: none)
        "last",  # int64[TILE_COLS]: last class with a positive OP (-1: none)
        "threshold",  # float64[TILE_COLS]: the drawn class needs a probability above it
        "p_new",  # float64[TILE_COLS]: probability of the drawn class
        "n_new",  # int32[TILE_COLS]: window count of the drawn class
        "movable",  # uint8[TILE_COLS]: the cell's class may become the drawn class
        "permit",  # uint64[TILE_COLS]: FLUS: allowed_bits of the cell's class, a word
    ],
)


@njit(cache=True, nogil=True, inline="always")
def _buffers(n_classes: int, cols: int, half: int) -> _Buffers:
    """Row and tile buffers of one block of rows (see :class:`_Buffers`)."""
    tile = min(cols, TILE_COLS)
    return _Buffers(
        np.empty((n_classes, cols + 2 * half), dtype=np.int32),
        np.empty((n_classes, cols), dtype=np.int32),
        np.empty(cols, dtype=np.uint8),
        np.empty((n_classes, tile), dtype=np.float64),
        np.empty(tile, dtype=np.uint64),
        np.empty(tile, dtype=np.uint64),
        np.empty(tile, dtype=np.float64),
        np.empty(tile, dtype=np.float64),
        np.empty(tile, dtype=np.float64),
        np.empty(tile, dtype=np.int64),
        np.empty(tile, dtype=np.int64),
        np.empty(tile, dtype=np.float64),
        np.empty(tile, dtype=np.float64),
        np.empty(tile, dtype=np.int32),
        np.empty(tile, dtype=np.uint8),
        np.empty(tile, dtype=np.uint64),
    )


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
    first_cell: int = 0,
    stride: int = 0,
) -> None:
    """One proposal sweep; writes ``candidate`` (class index or -1) and ``seeded``.

    A map of :data:`PARALLEL_MIN_CELLS` cells or more is swept by blocks of rows in
    parallel (:func:`_propose_blocks`), a smaller one on one thread, so the parallel kernel
    (seconds of compilation) is compiled only where a map uses it. The scalars and small
    tables are given fixed types here: every caller shares one compiled signature.

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
        classes cannot change this iteration (no candidate: the counter-based generator
        makes skipping exact).
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
    first_cell, stride : int
        When ``cls`` is a window of a larger map (a tile): the map's flat index of the
        window's cell (0, 0) and the map's columns, so that every cell draws the random
        numbers of its place in the whole map. Default: ``cls`` is the whole map.

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
    n_classes = prob.shape[0]
    allowed = np.asarray(allowed, dtype=np.bool_)
    old, new = np.nonzero(allowed)
    allowed_bits = np.zeros((n_classes, (n_classes + 63) // 64), dtype=np.uint64)
    np.bitwise_or.at(allowed_bits, (old, new // 64), np.uint64(1) << (new % 64).astype(np.uint64))
    sweep = _Sweep(
        cls,
        prob,
        np.asarray(weights, dtype=np.float64),
        np.asarray(drive, dtype=np.float64),
        np.asarray(expansion, dtype=np.float64),
        allowed_bits,
        zone,
        np.asarray(may_lose, dtype=np.bool_),
        (allowed & ~np.eye(n_classes, dtype=np.bool_)).astype(np.uint8),
        int(model),
        float(tau),
        int(zone_class),
        float(zone_weight),
        np.uint64(iteration_key(np.uint64(key), int(iteration))),
        int(iteration),
        int(half),
        1.0 / ((2 * half + 1) ** 2 - 1),
        candidate,
        seeded,
        int(first_cell),
        int(stride) if stride > 0 else cls.shape[1],
    )
    if cls.size >= PARALLEL_MIN_CELLS:
        _propose_blocks(sweep)
    else:  # a parallel launch costs more than a small map (and compiles for seconds)
        _propose_block(sweep, 0, cls.shape[0])


@njit(cache=True, nogil=True, parallel=True)
def _propose_blocks(s: _Sweep) -> None:
    """:func:`propose` of a large map: its blocks of rows in parallel."""
    rows = s.cls.shape[0]
    for b in prange((rows + BLOCK_ROWS - 1) // BLOCK_ROWS):
        _propose_block(s, b * BLOCK_ROWS, min((b + 1) * BLOCK_ROWS, rows))


@njit(cache=True, nogil=True)
def _propose_block(s: _Sweep, r0: int, r1: int) -> None:
    """The proposals of rows r0..r1-1 (see :func:`propose`)."""
    cols = s.cls.shape[1]
    buf = _buffers(s.prob.shape[0], cols, s.half)
    for r in range(r0, r1):
        _column_step(s.cls, r, r0, s.half, buf.column)
        _row_counts(s.cls, r, s.half, buf.column, buf.counts)
        _row_active(s, r, buf.active)
        for c0 in range(0, cols, TILE_COLS):
            c1 = min(c0 + TILE_COLS, cols)
            if not buf.active[c0:c1].any():  # e.g. nodata, zone 0, classes at their floor
                s.candidate[r, c0:c1] = -1
                s.seeded[r, c0:c1] = False
                continue
            ckey, ikey = buf.ckey, s.ikey
            first = s.first_cell + r * s.stride + c0
            for j in range(c1 - c0):
                ckey[j] = cell_key(ikey, first + j)
            _tile_op(s, r, c0, c1, buf)
            if s.zone_class >= 0:
                _tile_zone(s, r, c0, c1, buf)
            _tile_roulette(s, c1 - c0, buf)
            _tile_decide(s, r, c0, c1, buf)


@njit(cache=True, nogil=True, inline="always")
def _row_active(s: _Sweep, r: int, active: np.ndarray) -> None:
    """``active[c]``: cell (r, c) may change (class >= 0, zone != 0, class may lose)."""
    centre = s.cls[r]
    zone_r = s.zone[r]
    may_lose = s.may_lose
    for c in range(centre.shape[0]):
        old = np.uint64(max(centre[c], 0))  # unsigned: no negative-index code
        active[c] = (centre[c] >= 0) & (zone_r[c] != 0) & may_lose[old]


@njit(cache=True, nogil=True, inline="always")
def _tile_op(s: _Sweep, r: int, c0: int, c1: int, buf: _Buffers) -> None:
    """``buf.op[k, j]`` of every class and ``buf.total`` (summed in class order) of the
    cells (r, c0 + j)."""
    n_classes = s.prob.shape[0]
    m = c1 - c0
    centre = s.cls[r, c0:c1]
    inv_denom, allowed_bits = s.inv_denom, s.allowed_bits
    # the buffers as locals: an attribute read in a loop would count references each time
    ckey, bits, permit, total = buf.ckey, buf.bits, buf.permit, buf.total
    total[:m] = 0.0
    for k in range(n_classes):
        p_k = s.prob[k, r, c0:c1]
        n_k = buf.counts[k, c0:c1]
        op_k = buf.op[k]
        w = s.weights[k]
        d = s.drive[k]
        if s.model == CARS:
            stream = STREAM_SEED + k
            if k == 0 or stream % 2 == 0:  # streams 2m, 2m + 1 share a pair hash
                for j in range(m):
                    bits[j] = pair_hash(ckey[j], stream)
            shift = _half_shift(stream)
            e = s.expansion[k]
            for j in range(m):
                u = _unit((bits[j] >> shift) & _LOW32)
                p = p_k[j]
                seed_value = p * (u * e) * d if u < p else 0.0
                near_value = p * (n_k[j] * inv_denom) * w * d
                value = seed_value if n_k[j] == 0 else near_value
                op_k[j] = value
                total[j] += value
            continue
        if k % 64 == 0:  # TM[current, k..k+63] as bits, gathered once per 64 classes
            for j in range(m):
                permit[j] = allowed_bits[np.uint64(max(centre[j], 0)), k // 64]
        bit = np.uint64(k % 64)
        if s.model == FLUS_PAPER:
            for j in range(m):
                value = p_k[j] * (n_k[j] * inv_denom) * w * d
                value = value if (permit[j] >> bit) & np.uint64(1) else 0.0
                op_k[j] = value
                total[j] += value
        else:
            w_eps = w + FLUS_OMEGA_EPS
            inertia = FLUS_INERTIA_SCALE * n_classes * d
            for j in range(m):
                value = p_k[j] * (n_k[j] * inv_denom) * w_eps
                value = value if (permit[j] >> bit) & np.uint64(1) else 0.0
                value = value * inertia if centre[j] == k else value
                op_k[j] = value
                total[j] += value


@njit(cache=True, nogil=True, inline="always")
def _tile_zone(s: _Sweep, r: int, c0: int, c1: int, buf: _Buffers) -> None:
    """Development-zone rule: TP_z = (u + TP_z) * w, or w if u + TP_z > 1."""
    op_z = buf.op[s.zone_class]
    zone_r = s.zone[r, c0:c1]
    p_z = s.prob[s.zone_class, r, c0:c1]
    ckey, total, weight = buf.ckey, buf.total, s.zone_weight
    for j in range(c1 - c0):
        if zone_r[j] != 2:
            continue
        u = stream_uniform(ckey[j], STREAM_ZONE)
        if p_z[j] > u:
            boosted = (u + op_z[j]) * weight
            if u + op_z[j] > 1.0:
                boosted = weight
            total[j] += boosted - op_z[j]
            op_z[j] = boosted


@njit(cache=True, nogil=True, inline="always")
def _tile_roulette(s: _Sweep, m: int, buf: _Buffers) -> None:
    """Roulette draw over ``buf.op`` into ``buf.new``; acceptance threshold of the model.

    The drawn class is the first k with a positive OP whose running sum of positive OP
    exceeds the target u * total, or the last class with a positive OP if none does. As the
    running sums never decrease, that first k is the number of classes whose running sum
    does not exceed the target, which is counted without a branch.
    """
    n_classes = s.prob.shape[0]
    ckey, op, total, bits = buf.ckey, buf.op, buf.total, buf.bits
    target, acc, new, last = buf.target, buf.acc, buf.new, buf.last  # locals: see _tile_op
    for j in range(m):
        bits[j] = pair_hash(ckey[j], STREAM_ROULETTE)  # shared with STREAM_ACCEPT
        target[j] = _unit((bits[j] >> _half_shift(STREAM_ROULETTE)) & _LOW32) * total[j]
        acc[j] = 0.0
        new[j] = 0
        last[j] = -1
    for k in range(n_classes):
        op_k = op[k]
        for j in range(m):
            w = op_k[j]
            positive = w > 0.0
            running = acc[j] + (w if positive else 0.0)  # acc >= +0.0: acc + 0.0 == acc
            acc[j] = running  # (a select of acc would become a slow masked store)
            new[j] += 0 if target[j] < running else 1
            last[j] = k if positive else last[j]
    for j in range(m):
        new[j] = new[j] if new[j] < n_classes else last[j]
    threshold = buf.threshold
    if s.model == CARS:
        threshold[:m] = s.tau
    elif s.model == FLUS_RELEASED:
        step = s.iteration + 1
        for j in range(m):
            u = _unit((bits[j] >> _half_shift(STREAM_ACCEPT)) & _LOW32)
            threshold[j] = (u + 1.0 / n_classes) / step
    else:
        threshold[:m] = -np.inf


@njit(cache=True, nogil=True, inline="always")
def _tile_decide(s: _Sweep, r: int, c0: int, c1: int, buf: _Buffers) -> None:
    """Candidates of cells (r, c0..c1-1): the drawn class where the cell may take it.

    A candidate needs an active cell (:func:`_row_active`), a positive total, an allowed
    conversion to a class other than its own and a probability of the new class above the
    model's threshold; it is a new patch seed when no cell of the new class is in its window.
    """
    m = c1 - c0
    centre = s.cls[r, c0:c1]
    prob_r = s.prob[:, r, c0:c1]
    counts = buf.counts[:, c0:c1]
    movable_table = s.movable
    drawn, total, threshold = buf.new, buf.total, buf.threshold  # locals: see _tile_op
    p_new, n_new, movable = buf.p_new, buf.n_new, buf.movable
    for j in range(m):  # gathers, kept apart so that the next loop has none
        old = np.uint64(max(centre[j], 0))  # unsigned: no negative-index code
        new = np.uint64(max(drawn[j], 0))
        p_new[j] = prob_r[new, j]
        n_new[j] = counts[new, j]
        movable[j] = movable_table[old, new]
    active = buf.active[c0:c1]
    candidate = s.candidate[r, c0:c1]
    seeded = s.seeded[r, c0:c1]
    for j in range(m):
        new = drawn[j]
        ok = (active[j] != 0) & (new >= 0) & (not total[j] <= 0.0)
        ok &= (movable[j] != 0) & (not p_new[j] <= threshold[j])
        candidate[j] = (new + 1) * ok - 1  # arithmetic rather than a branch
        seeded[j] = ok & (n_new[j] == 0)


# --------------------------------------------------------------------------------------
# Applying the candidates


@njit(cache=True, nogil=True)
def _sort_by_high_half(values: np.ndarray) -> np.ndarray:
    """``values`` (uint64) sorted by their high 32 bits, stably (LSD radix sort).

    The input array is reused as scratch space; the sorted array is returned.
    """
    n = values.shape[0]
    other = np.empty_like(values)
    mask = np.uint64((1 << RADIX_BITS) - 1)
    start = np.empty(1 << RADIX_BITS, dtype=np.int64)
    for shift in range(32, 64, RADIX_BITS):
        digit_shift = np.uint64(shift)
        start[:] = 0
        for i in range(n):
            start[(values[i] >> digit_shift) & mask] += 1
        offset = 0
        for d in range(start.shape[0]):
            size = start[d]
            start[d] = offset
            offset += size
        for i in range(n):
            d = (values[i] >> digit_shift) & mask
            other[start[d]] = values[i]
            start[d] += 1
        values, other = other, values
    return values


@njit(cache=True, nogil=True, inline="always")
def _visit_number(ikey: np.uint64, cell: int) -> np.uint64:
    """The 32 random bits (``STREAM_ORDER``) that place a cell in the visiting order."""
    return (pair_hash(cell_key(ikey, cell), STREAM_ORDER) >> _half_shift(STREAM_ORDER)) & _LOW32


@njit(cache=True, nogil=True, inline="always")
def _waits(candidate: np.ndarray, cls: np.ndarray, origin: np.ndarray, r: int, c: int) -> bool:
    """Whether a cell is a candidate that may still convert (it has not moved yet)."""
    return candidate[r, c] >= 0 and cls[r, c] == origin[r, c]


@njit(cache=True, nogil=True)
def _visit_batches(
    cls: np.ndarray, candidate: np.ndarray, origin: np.ndarray, ikey: np.uint64, batch: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split the visiting order into batches of at most about ``batch`` candidates.

    The visiting numbers fall in ``VISIT_BUCKETS`` buckets by their top ``VISIT_BITS`` bits;
    a batch is a run of buckets, never a part of one (so it exceeds ``batch`` only when one
    bucket does). Returns ``(edges, sizes, bucket)``: batch i is buckets ``edges[i]`` to
    ``edges[i + 1] - 1`` and holds ``sizes[i]`` candidates; ``bucket`` is every cell's bucket
    (uint8, ``NO_BUCKET`` for cells that will not be walked). Up to ``batch`` candidates:
    one batch, no hashing, and an empty ``bucket`` (read ``_waits`` instead).
    """
    rows, cols = cls.shape
    n = 0
    for r in range(rows):
        for c in range(cols):
            n += _waits(candidate, cls, origin, r, c)
    if n <= batch:
        one = np.array([0, VISIT_BUCKETS], dtype=np.int64)
        return one, np.array([n], dtype=np.int64), np.empty((0, 0), dtype=np.uint8)
    bucket = np.full((rows, cols), NO_BUCKET, dtype=np.uint8)
    per_bucket = np.zeros(VISIT_BUCKETS, dtype=np.int64)
    shift = np.uint64(32 - VISIT_BITS)
    for r in range(rows):
        for c in range(cols):
            if _waits(candidate, cls, origin, r, c):
                slot = np.intp(_visit_number(ikey, r * cols + c) >> shift)
                bucket[r, c] = slot
                per_bucket[slot] += 1
    edges = [0]
    sizes = [0]
    for k in range(VISIT_BUCKETS):
        size = int(per_bucket[k])
        if sizes[-1] > 0 and sizes[-1] + size > batch:
            edges.append(k)
            sizes.append(0)
        sizes[-1] += size
    edges.append(VISIT_BUCKETS)
    return np.array(edges, dtype=np.int64), np.array(sizes, dtype=np.int64), bucket


_Walk = namedtuple(
    "_Walk",
    [
        "cls",
        "candidate",
        "seeded",
        "counts",
        "demand",
        "floor",
        "origin",
        "ikey",  # the iteration's key: the cells' visiting numbers
        "seed_cap",
        "cell_group",
        "quota",
        "use_quota",
        "bucket",  # uint8 map of the cells' buckets, or empty: one batch (_visit_batches)
    ],
)


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
    batch: int = WALK_BATCH,
) -> int:
    """Convert candidates in a random order while demand allows; returns cells changed.

    A candidate old -> new is taken only while ``counts[new] < demand[new]`` and
    ``counts[old] > floor[old]``, and only if the cell still holds its class of the start of
    the allocation, ``origin`` (a cell converts at most once). ``floor`` is the demand, or
    less for a class that relays a chain of conversions (it gives cells while others arrive;
    :func:`landcarbon.landuse.conversion.donor_floor`). At most ``seed_cap`` new patch seeds
    are planted in one iteration (PLUS "Percentage of seeds"). With ``use_quota`` a cell of
    group g may become class c only while ``quota[g, c] > 0`` (a max-flow transition plan).
    ``cls``, ``counts`` and ``quota`` are updated in place.

    The order is that of the cells' ``STREAM_ORDER`` numbers, ties by flat cell index. It is
    walked in consecutive ranges of those numbers of about ``batch`` candidates each
    (:func:`_visit_batches`): each range is gathered from the map, walked and written back
    before the next, so it holds one batch (28 bytes a candidate) and a byte a cell, not
    every candidate. The walk reads nothing of other cells, so the ranges give the map of
    one walk.
    """
    ikey = iteration_key(key, iteration)
    edges, sizes, bucket = _visit_batches(cls, candidate, origin, ikey, batch)
    walk = _Walk(
        cls,
        candidate,
        seeded,
        counts,
        demand,
        floor,
        origin,
        ikey,
        seed_cap,
        cell_group,
        quota,
        use_quota,
        bucket,
    )
    changed = 0
    planted = 0
    for b in range(sizes.shape[0]):
        taken, planted = _walk_range(walk, edges[b], edges[b + 1], sizes[b], planted)
        changed += taken
    return changed


@njit(cache=True, nogil=True)
def _walk_range(w: _Walk, first: int, last: int, n: int, planted: int) -> tuple[int, int]:
    """Walk the ``n`` candidates of buckets ``first`` to ``last - 1`` (:func:`_visit_batches`).

    They are first gathered in cell order, then sorted by their numbers with a stable radix
    sort, so the walk reads compact arrays instead of the whole map; the conversions are
    written to ``cls`` (C-contiguous) after the walk, in cell order. Returns the cells
    changed and the patch seeds planted so far (``planted`` on entry).
    """
    cls, candidate, origin, bucket = w.cls, w.candidate, w.origin, w.bucket
    counts, demand, floor, quota = w.counts, w.demand, w.floor, w.quota
    rows, cols = cls.shape
    cells = np.empty(n, dtype=np.int64)
    new_class = np.empty(n, dtype=candidate.dtype)
    old_class = np.empty(n, dtype=cls.dtype)
    is_seed = np.empty(n, dtype=np.bool_)
    group = np.zeros(n if w.use_quota else 0, dtype=w.cell_group.dtype)
    order = np.empty(n, dtype=np.uint64)  # visiting number << 32 | position in cell order
    j = 0
    for r in range(rows):
        for c in range(cols):
            if bucket.size:  # a cell in one of these buckets waits: earlier batches are others
                if bucket[r, c] < first or bucket[r, c] >= last:
                    continue
            elif not _waits(candidate, cls, origin, r, c):
                continue
            cell = r * cols + c
            order[j] = (_visit_number(w.ikey, cell) << np.uint64(32)) | np.uint64(j)
            cells[j] = cell
            new_class[j] = candidate[r, c]
            old_class[j] = cls[r, c]
            is_seed[j] = w.seeded[r, c]
            if w.use_quota:
                group[j] = w.cell_group[r, c]
            j += 1
    taken = np.zeros(n, dtype=np.bool_)
    changed = 0
    for value in _sort_by_high_half(order):
        j = value & _LOW32
        new = new_class[j]
        old = old_class[j]
        if counts[new] >= demand[new] or counts[old] <= floor[old]:
            continue
        if w.use_quota and quota[group[j], new] <= 0:
            continue
        if is_seed[j]:
            if planted >= w.seed_cap:
                continue
            planted += 1
        if w.use_quota:
            quota[group[j], new] -= 1
        taken[j] = True
        counts[old] -= 1
        counts[new] += 1
        changed += 1
    flat = cls.reshape(-1)  # the map is written in cell order, not in the random order
    for j in range(n):
        flat[cells[j]] = new_class[j] if taken[j] else old_class[j]
    return changed, planted


@njit(cache=True, nogil=True)
def flus_compat_sweep(
    cls: np.ndarray,
    window: np.ndarray,
    prob: np.ndarray,
    weights: np.ndarray,
    inertia: np.ndarray,
    allowed: np.ndarray,
    zone: np.ndarray,
    counts: np.ndarray,
    demand: np.ndarray,
    initial_gap: np.ndarray,
    reversal: np.ndarray,
    key: np.uint64,
    iteration: int,
    half: int,
) -> int:
    """One sweep of the GeoSOS-FLUS C++ CA (``runloop2``); returns the cells changed.

    The rules of XunGST/flusver1.0 ``simulationprocess.cpp`` as the pyflus-ca port
    transcribes them, cell by cell in raster order (row by row, left to right), with the
    counts updated at once. ``window`` holds the class counts of every cell's window in the
    map of the previous iteration (:func:`neighbourhood_counts`); ``cls`` is that map on
    entry and the new one on return.

    For a cell of class ``old`` (zone != 0): TProb_k = sp_k * con_k / (n*n - 1) *
    (w_k + 1e-9) * TM[old, k], the current class's times 10 * K * A_old; a class ``new`` is
    drawn by roulette over TProb / sum TProb (u of :data:`STREAM_ROULETTE`). With G =
    demand - counts now and G0 = ``initial_gap``:

    * G0[new] >= 0 and G[new] == 0: refused, and A_new = 1;
    * G0[old] <= 0 and G[old] == 0: refused, and A_old = 1 (also when ``new == old``);
    * refused when new == old, TM[old, new] = 0, G0[old] >= 0 and ``reversal[old]`` (a
      flagged growing class may not lose cells), or G0[new] <= 0 and ``reversal[new]``;
    * otherwise converted when (u + 1/K) / (iteration + 1) < sp_new (u of
      :data:`STREAM_ACCEPT`).

    A growing class may so give cells and a shrinking one receive them, and a cell may
    convert again in a later iteration. ``inertia`` (A) and ``counts`` change in place.
    """
    rows, cols = cls.shape
    n_classes = prob.shape[0]
    inv_denom = 1.0 / ((2 * half + 1) ** 2 - 1)
    tprob = np.empty(n_classes, dtype=np.float64)
    ikey = iteration_key(key, iteration)
    changed = 0
    for r in range(rows):
        for c in range(cols):
            old = cls[r, c]
            if old < 0 or zone[r, c] == 0:
                continue
            total = 0.0
            for k in range(n_classes):
                value = (
                    prob[k, r, c] * (window[k, r, c] * inv_denom) * (weights[k] + FLUS_OMEGA_EPS)
                )
                if k == old:
                    value *= inertia[k] * FLUS_INERTIA_SCALE * n_classes
                value = value if allowed[old, k] else 0.0
                tprob[k] = value
                total += value
            if not total > 0.0:
                continue
            ckey = cell_key(ikey, r * cols + c)
            target = stream_uniform(ckey, STREAM_ROULETTE) * total
            new = -1
            running = 0.0
            for k in range(n_classes):
                if tprob[k] > 0.0:
                    running += tprob[k]
                    new = k
                    if target < running:
                        break
            ok = new != old and allowed[old, new]
            if initial_gap[new] >= 0 and counts[new] == demand[new]:
                inertia[new] = 1.0
                ok = False
            if initial_gap[old] <= 0 and counts[old] == demand[old]:
                inertia[old] = 1.0
                ok = False
            if (initial_gap[old] >= 0 and reversal[old]) or (
                initial_gap[new] <= 0 and reversal[new]
            ):
                ok = False
            if (
                ok
                and (stream_uniform(ckey, STREAM_ACCEPT) + 1.0 / n_classes) / (iteration + 1)
                < prob[new, r, c]
            ):
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


def uniform_numpy(
    key: int, iteration: int, cells: np.ndarray, stream: int | np.int64
) -> np.ndarray:
    """Vectorised :func:`uniform` for an array of flat cell indices."""
    ikey = np.uint64(iteration_key(np.uint64(key), iteration))
    ckey = _splitmix64_np(ikey ^ cells.astype(np.uint64))
    h = _splitmix64_np(ckey + np.uint64(((int(stream) >> 1) * int(_GOLDEN)) % 2**64))
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


# --------------------------------------------------------------------------------------
# Cell groups of the demand reachability check (landcarbon.landuse.conversion).


@njit(cache=True, nogil=True)
def _slot(table: np.ndarray, key: np.int64) -> int:
    """Slot of ``key`` in an open-addressing table (size a power of two, -1 = empty):
    where it is, or the empty slot where it goes (multiplicative hash, linear probing)."""
    mask = table.size - 1
    h = int((np.uint64(key) * _GOLDEN) >> np.uint64(40)) & mask
    while table[h] != key and table[h] != -1:
        h = (h + 1) & mask
    return h


def movable_group_keys(
    cls: np.ndarray, prob: np.ndarray, allowed: np.ndarray, zone: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group every cell that may change by ``key = current * 2**K + bits`` (bit j: it may
    become class j), in one pass over the map.

    Returns ``(keys, cells, cell_group)``: the distinct keys in increasing order, the cells
    of each, and every cell's group (its key's rank; -1 for nodata and restricted cells),
    i.e. what ``numpy.unique(keys, return_inverse=True, return_counts=True)`` gives, without
    a key per cell or a sort of the map. Groups are numbered as first met (a hash table of
    the keys, :func:`_first_met_groups`), then ranked: only the keys are sorted, in numpy
    (a sort in numba would compile for seconds), and the cells take their ranks in place
    (:func:`_renumber`).
    """
    keys, cells, cell_group = _first_met_groups(cls, prob, allowed, zone)
    order = np.argsort(keys)
    rank = np.empty(keys.size, dtype=np.int32)
    rank[order] = np.arange(keys.size, dtype=np.int32)
    _renumber(cell_group, rank)
    return keys[order], cells[order], cell_group


@njit(cache=True, nogil=True)
def _first_met_groups(
    cls: np.ndarray, prob: np.ndarray, allowed: np.ndarray, zone: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`movable_group_keys` with the groups numbered as first met (unsorted keys)."""
    rows, cols = cls.shape
    n_classes = prob.shape[0]
    cell_group = np.full((rows, cols), -1, dtype=np.int32)
    table = np.full(64, -1, dtype=np.int64)  # keys; twice the groups at least
    slot_group = np.empty(64, dtype=np.int32)
    keys = np.empty(32, dtype=np.int64)
    cells = np.zeros(32, dtype=np.int64)
    n_groups = 0
    last_key, last_group = np.int64(-1), np.int32(-1)
    for r in range(rows):
        for c in range(cols):
            i = cls[r, c]
            if i < 0 or zone[r, c] == 0:
                continue
            bits = np.int64(0)
            for j in range(n_classes):
                if j != i and allowed[i, j] and prob[j, r, c] > 0:
                    bits |= np.int64(1) << j
            key = (np.int64(i) << n_classes) + bits
            if key != last_key:  # land use comes in runs: look up only where the key changes
                h = _slot(table, key)
                if table[h] == -1:  # a new group
                    if 2 * (n_groups + 1) > table.size:  # grow: rehash the keys met so far
                        keys, cells = _doubled(keys), _doubled(cells)
                        table = np.full(2 * table.size, -1, dtype=np.int64)
                        slot_group = np.empty(table.size, dtype=np.int32)
                        for g in range(n_groups):
                            k = _slot(table, keys[g])
                            table[k], slot_group[k] = keys[g], g
                        h = _slot(table, key)
                    table[h], slot_group[h] = key, n_groups
                    keys[n_groups] = key
                    n_groups += 1
                last_key, last_group = key, slot_group[h]
            cell_group[r, c] = last_group
            cells[last_group] += 1
    return keys[:n_groups], cells[:n_groups], cell_group


@njit(cache=True, nogil=True)
def _renumber(cell_group: np.ndarray, rank: np.ndarray) -> None:
    """``cell_group[cell] = rank[cell_group[cell]]`` in place, where a cell has a group."""
    flat = cell_group.reshape(-1)
    for i in range(flat.size):
        g = flat[i]
        if g >= 0:
            flat[i] = rank[g]


@njit(cache=True, nogil=True)
def _doubled(values: np.ndarray) -> np.ndarray:
    """int64 ``values`` at the start of an array twice as long (the rest zeros).

    A loop, not ``out[:n] = values``: an array assigned to a slice compiles numba's
    shape-mismatch message (string formatting, seconds of compilation).
    """
    out = np.zeros(2 * values.size, dtype=np.int64)
    for i in range(values.size):
        out[i] = values[i]
    return out
