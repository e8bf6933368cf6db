"""Synchronous sweep + quota allocation, in memory or over tiles (docs/scaling.md).

The sequential engine (:func:`landcarbon.landuse.allocation.run_allocation`) walks the
proposals of an iteration in a random order and updates the class counts after each
conversion. That walk is global. The *synchronous* engine keeps everything else: every
iteration, each cell's proposal comes from the map at the start of the iteration
(:func:`landcarbon.landuse._kernels.propose`: the same probability, roulette and threshold,
with counter-based random numbers keyed by (seed, iteration, global cell index)); the
global part (adaptive coefficients D_k or FLUS inertia, threshold decay, stop rule) is the
same :class:`~landcarbon.landuse.allocation.Schedule`. Only the acceptance differs:

1. the proposals are counted per *category* (new patch seed or not, from class, to class);
2. :func:`quotas` gives each category a number of cells so that no class rises above its
   demand, no class falls below its floor and no more than the seed cap of new patch seeds
   are planted (PLUS "Percentage of seeds");
3. each category admits its ``quota`` proposals with the smallest keys: the 32 random
   bits of ``STREAM_ORDER`` of (seed, iteration, global cell), ties broken by the global
   cell index (:func:`smallest`, :func:`cutoffs`).

Nothing in this depends on an order of the cells, so the map can be cut into tiles
(:class:`Tile`: a window of the map plus a halo of (n - 1) / 2 cells) that each propose and
accept on their own: per iteration the tiles send their category counts, then their
smallest keys per category (at most the quota each), and finally their class-count
changes and border strips. The result is bit-identical for any tiling; one tile is the
in-memory synchronous engine. :func:`run_synchronous` runs the tiles in process or as
actors on the workers of a ``dask.distributed`` client.

The synchronous engine has no transition plan and no ``flus_compat`` sweep (both are
walks in a global order); it refuses them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from landcarbon.errors import ComputeError, InputFileError, LandcarbonError, ParameterError
from landcarbon.landuse.allocation import (
    AllocationParameters,
    AllocationProblem,
    AllocationResult,
    CarsParameters,
    FlusParameters,
    Schedule,
    SeedLike,
    _model_code,
    finish,
    prepare,
)
from landcarbon.raster import atomic_path

if TYPE_CHECKING:  # the engine's keys are checked at plan time: kernels and xarray load to run
    import xarray as xr

    from landcarbon.landuse.conversion import ConversionMatrix

TileSpec = tuple[int, int] | tuple[Sequence[int], Sequence[int]]
"""Tiling of a map: ``(tile rows, tile columns)`` cut evenly, or the row and column edges
(``([0, 100, 250], [0, 400])``: 2 x 1 tiles of uneven height)."""

Rect = tuple[int, int, int, int]
"""Rows r0..r1-1 and columns c0..c1-1 of the map: ``(r0, r1, c0, c1)``."""


# --------------------------------------------------------------------------- the cut


def _scaled(values: np.ndarray, cap: int) -> np.ndarray:
    """``values`` (cells) cut to sum to ``cap`` in proportion, by the largest remainder.

    Returned unchanged when they sum to ``cap`` or less; ties of remainders go to the
    lower index. Exact integer arithmetic (Python ints: no overflow at 10^10 cells).
    """
    total = int(values.sum())
    if total <= cap:
        return values
    exact = [int(v) * cap for v in values]
    out = np.asarray([e // total for e in exact], dtype=np.int64)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] % total), i))
    out[order[: cap - int(out.sum())]] += 1
    return out


def quotas(
    proposed: np.ndarray,
    gain_cap: np.ndarray,
    loss_cap: np.ndarray,
    seed_cap: int,
) -> np.ndarray:
    """Cells each category of proposals may convert in one iteration.

    Parameters
    ----------
    proposed : int64[2, K, K]
        Proposals per (new patch seed, from class, to class).
    gain_cap : int64[K]
        Cells each class may still gain (demand - count, at least 0).
    loss_cap : int64[K]
        Cells each class may still lose (count - floor, at least 0).
    seed_cap : int
        New patch seeds allowed in the iteration.

    Returns
    -------
    int64[2, K, K]
        Quotas, at most the proposals, such that no class gains more than its gain cap,
        none loses more than its loss cap and at most ``seed_cap`` seeds are planted.

    Notes
    -----
    Rounds of proportional cuts (:func:`_scaled`): the seeds to the seed cap, each
    target class to its gain cap, each source class to its loss cap; proposals whose cap
    is spent leave, and the next round shares what the cuts left. Every round admits at
    least one cell or ends, so the quotas are as large as the caps allow.
    """
    left = proposed.astype(np.int64).copy()
    out = np.zeros_like(left)
    while True:
        gains = gain_cap - out.sum(axis=(0, 1))
        losses = loss_cap - out.sum(axis=(0, 2))
        seeds = seed_cap - int(out[1].sum())
        left[:, :, gains <= 0] = 0
        left[:, losses <= 0, :] = 0
        if seeds <= 0:
            left[1] = 0
        take = left.copy()
        take[1] = _scaled(take[1].ravel(), seeds).reshape(take[1].shape)
        for new in np.flatnonzero(take.sum(axis=(0, 1)) > gains):
            take[:, :, new] = _scaled(take[:, :, new].ravel(), gains[new]).reshape(2, -1)
        for old in np.flatnonzero(take.sum(axis=(0, 2)) > losses):
            take[:, old, :] = _scaled(take[:, old, :].ravel(), losses[old]).reshape(2, -1)
        if not take.any():
            return out
        out += take
        left -= take


def smallest(
    category: np.ndarray, order: np.ndarray, cell: np.ndarray, quota: np.ndarray
) -> np.ndarray:
    """Indices of the ``quota[category]`` proposals with the smallest (order, cell) per category.

    Returned sorted by (category, order, cell). A tile sends these (its own smallest keys,
    at most the quota per category): the global smallest are among them.
    """
    idx = np.lexsort((cell, order, category))
    sorted_category = category[idx]
    first = np.searchsorted(sorted_category, sorted_category, side="left")
    rank = np.arange(idx.shape[0]) - first
    return idx[rank < quota[sorted_category]]


def cutoffs(
    category: np.ndarray, order: np.ndarray, cell: np.ndarray, quota: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per category, the (order, cell) of the last admitted proposal.

    A proposal is admitted when its (order, cell) is at most its category's cut-off; a
    category that admits none gets (0, -1), which no proposal passes.
    """
    keep = smallest(category, order, cell, quota)
    kept = category[keep]
    last = keep[np.append(kept[1:] != kept[:-1], True)] if keep.size else keep
    cut_order = np.zeros(quota.size, dtype=np.uint64)
    cut_cell = np.full(quota.size, -1, dtype=np.int64)
    cut_order[category[last]] = order[last]
    cut_cell[category[last]] = cell[last]
    return cut_order, cut_cell


def admitted(
    category: np.ndarray,
    order: np.ndarray,
    cell: np.ndarray,
    cut_order: np.ndarray,
    cut_cell: np.ndarray,
) -> np.ndarray:
    """Mask of the proposals at or below their category's cut-off (:func:`cutoffs`)."""
    limit = cut_order[category]
    return (order < limit) | ((order == limit) & (cell <= cut_cell[category]))


# --------------------------------------------------------------------------- tiles


@dataclass(frozen=True)
class Rules:
    """What every tile needs to propose, fixed for the run (see :func:`_kernels.propose`)."""

    weights: np.ndarray
    expansion: np.ndarray
    allowed: np.ndarray
    model: int
    zone_class: int
    zone_weight: float
    key: np.uint64
    half: int
    stride: int


@dataclass(frozen=True)
class Step:
    """The scalars the client broadcasts with one iteration."""

    iteration: int
    drive: np.ndarray
    tau: float
    may_lose: np.ndarray


def _edges(size: int, spec: int | Sequence[int], what: str) -> list[int]:
    if isinstance(spec, int | np.integer):
        if spec < 1:
            raise ParameterError(f"tiles: {spec} {what} of tiles; give 1 or more")
        return [round(i * size / int(spec)) for i in range(int(spec) + 1)]
    edges = [int(e) for e in spec]
    if len(edges) < 2 or edges[0] != 0 or edges[-1] != size or np.any(np.diff(edges) <= 0):
        raise ParameterError(
            f"tiles: {what} edges {edges} must rise from 0 to the map's {size} {what}"
        )
    return edges


def tile_windows(shape: tuple[int, int], tiles: TileSpec, half: int) -> list[Rect]:
    """The core windows of a tiling, row by row (see :data:`TileSpec`).

    Raises ParameterError when a tile is smaller than the halo ``half`` = (n - 1) / 2 on a
    side: a halo then needs cells of tiles beyond the neighbours.
    """
    rows, cols = shape
    row_edges = _edges(rows, tiles[0], "rows")
    col_edges = _edges(cols, tiles[1], "columns")
    for edges, what in ((row_edges, "rows"), (col_edges, "columns")):
        sizes = np.diff(edges)
        if len(sizes) > 1 and sizes.min() < half:
            i = int(np.argmin(sizes))
            raise ParameterError(
                f"tiles: the tile of {what} {edges[i]}..{edges[i + 1] - 1} is "
                f"{int(sizes[i])} {what} wide, smaller than its halo of {half} "
                f"(neighborhood = {2 * half + 1}); tiles must be at least {half} rows and "
                f"{half} columns: use at most {rows // half} x {cols // half} tiles here"
            )
    return [(r0, r1, c0, c1) for r0, r1 in pairwise(row_edges) for c0, c1 in pairwise(col_edges)]


def _outer(core: Rect, shape: tuple[int, int], half: int) -> Rect:
    r0, r1, c0, c1 = core
    return max(r0 - half, 0), min(r1 + half, shape[0]), max(c0 - half, 0), min(c1 + half, shape[1])


def _overlap(a: Rect, b: Rect) -> Rect | None:
    r0, r1 = max(a[0], b[0]), min(a[1], b[1])
    c0, c1 = max(a[2], b[2]), min(a[3], b[3])
    return (r0, r1, c0, c1) if r0 < r1 and c0 < c1 else None


def _local(rect: Rect, origin: Rect) -> tuple[slice, slice]:
    """Slices of ``rect`` (map coordinates) in an array that covers ``origin``."""
    return slice(rect[0] - origin[0], rect[1] - origin[0]), slice(
        rect[2] - origin[2], rect[3] - origin[2]
    )


class Tile:
    """One window of the map plus its halo, with the state of a synchronous run.

    ``cls``, ``origin``, ``prob`` and ``zone`` cover the outer window (core + halo, cut
    at the map's edge); the zone is 0 in the halo, so only core cells propose. ``sends``
    lists, per neighbour, the part of this core that lies in the neighbour's halo.
    """

    def __init__(
        self,
        core: Rect,
        shape: tuple[int, int],
        cls: np.ndarray,
        prob: np.ndarray,
        zone: np.ndarray,
        rules: Rules,
        sends: list[tuple[int, Rect]],
        origin: np.ndarray,
    ) -> None:
        self.core = core
        self.outer = _outer(core, shape, rules.half)
        self.cls = cls
        self.origin = origin
        self.prob = prob
        self.zone = np.zeros_like(zone)
        self.zone[_local(core, self.outer)] = zone[_local(core, self.outer)]
        self.rules = rules
        self.sends = sends
        self.candidate = np.empty(cls.shape, dtype=np.int8)
        self.seeded = np.empty(cls.shape, dtype=np.bool_)
        self.proposals: tuple[np.ndarray, ...] = ()

    def propose(self, step: Step, strips: Sequence[tuple[Rect, np.ndarray]]) -> np.ndarray:
        """Take the neighbours' border ``strips`` into the halo, then propose.

        Returns the proposals per category, int64[2 * K * K].
        """
        from landcarbon.landuse import _kernels, _tiled_kernels

        for rect, values in strips:
            self.cls[_local(rect, self.outer)] = values
        r = self.rules
        n_classes = self.prob.shape[0]
        first_cell = self.outer[0] * r.stride + self.outer[2]
        _kernels.propose(
            self.cls,
            self.prob,
            r.weights,
            step.drive,
            r.expansion,
            r.allowed,
            self.zone,
            step.may_lose,
            r.model,
            step.tau,
            r.zone_class,
            r.zone_weight,
            r.key,
            step.iteration,
            r.half,
            self.candidate,
            self.seeded,
            first_cell,
            r.stride,
        )
        self.proposals = _tiled_kernels.gather_proposals(
            self.cls,
            self.candidate,
            self.seeded,
            self.origin,
            n_classes,
            r.key,
            step.iteration,
            first_cell,
            r.stride,
        )
        return np.bincount(self.proposals[0], minlength=2 * n_classes * n_classes)

    def smallest(self, quota: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """This tile's ``quota`` smallest proposals per category: (category, order, cell)."""
        category, order, cell, _ = self.proposals
        keep = smallest(category, order, cell, quota)
        return category[keep], order[keep], cell[keep]

    def accept(
        self, cut_order: np.ndarray, cut_cell: np.ndarray
    ) -> tuple[np.ndarray, int, list[tuple[int, Rect, np.ndarray]]]:
        """Convert the admitted proposals; returns (class-count change, cells, strips).

        The strips are ``(neighbour, rect, classes)`` of :attr:`sends`.
        """
        category, order, cell, local = self.proposals
        ok = admitted(category, order, cell, cut_order, cut_cell)
        n_classes = self.prob.shape[0]
        new = category[ok] % n_classes
        old = category[ok] // n_classes % n_classes
        self.cls.reshape(-1)[local[ok]] = new
        self.proposals = ()
        change = np.bincount(new, minlength=n_classes) - np.bincount(old, minlength=n_classes)
        strips = [(j, rect, self.cls[_local(rect, self.outer)].copy()) for j, rect in self.sends]
        return change, int(ok.sum()), strips

    def core_classes(self) -> np.ndarray:
        """Class indices of the core window."""
        return self.cls[_local(self.core, self.outer)]

    def save(self, path: Path) -> None:
        """Write the core's classes and start classes to ``path`` (.npz), atomically."""
        inside = _local(self.core, self.outer)
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            np.savez(
                fh, core=np.asarray(self.core), cls=self.cls[inside], origin=self.origin[inside]
            )


def tile_arguments(
    problem: AllocationProblem,
    parameters: AllocationParameters,
    key: np.uint64,
    tiles: TileSpec,
    origin: np.ndarray,
) -> list[tuple[Any, ...]]:
    """The arguments of :class:`Tile` for each tile of a prepared problem, row by row.

    Each tile gets its window of the map (``problem.cls``), the start map ``origin``,
    probabilities and zone with a halo of ``neighborhood // 2`` cells (copies: a tile can
    be sent to a worker).
    """
    shape = problem.cls.shape
    half = parameters.neighborhood // 2
    cores = tile_windows(shape, tiles, half)
    outers = [_outer(core, shape, half) for core in cores]
    rules = Rules(
        problem.weights,
        problem.expansion,
        problem.allowed,
        _model_code(parameters),
        problem.zone_class,
        parameters.development_weight,
        key,
        half,
        shape[1],
    )
    out = []
    for i, core in enumerate(cores):
        sends = [
            (j, rect)
            for j, outer in enumerate(outers)
            if j != i and (rect := _overlap(core, outer)) is not None
        ]
        r, c = _local(outers[i], (0, 0, 0, 0))
        out.append(
            (
                core,
                shape,
                problem.cls[r, c].copy(),
                np.ascontiguousarray(problem.prob[:, r, c]),
                problem.zone[r, c].copy(),
                rules,
                sends,
                origin[r, c].copy(),
            )
        )
    return out


class Fleet(Protocol):
    """Tiles that answer the same method call each, in tile order."""

    def call(self, method: str, args: Sequence[tuple[Any, ...]]) -> list[Any]:
        """``getattr(tile, method)(*args[i])`` of every tile i."""
        ...


class LocalFleet:
    """The tiles in this process."""

    def __init__(self, arguments: Sequence[tuple[Any, ...]]) -> None:
        self.tiles = [Tile(*a) for a in arguments]

    def call(self, method: str, args: Sequence[tuple[Any, ...]]) -> list[Any]:
        return [getattr(t, method)(*a) for t, a in zip(self.tiles, args, strict=True)]


class ActorFleet:
    """The tiles as ``dask.distributed`` actors, dealt round-robin to the workers.

    A tile stays on its worker for the run; a call sends every tile its arguments at
    once (one task per tile) and waits for all answers.
    """

    def __init__(self, client: Any, arguments: Sequence[tuple[Any, ...]]) -> None:
        workers = sorted(client.scheduler_info()["workers"])
        if not workers:
            raise ComputeError(
                "the dask cluster has no worker: start workers before the allocation"
            )
        futures = []
        for i, args in enumerate(arguments):
            where = [workers[i % len(workers)]]
            scattered = [
                client.scatter(a, workers=where) if isinstance(a, np.ndarray) else a for a in args
            ]
            futures.append(client.submit(Tile, *scattered, actor=True, workers=where, pure=False))
        self.tiles = [f.result() for f in futures]

    def call(self, method: str, args: Sequence[tuple[Any, ...]]) -> list[Any]:
        pending = [getattr(t, method)(*a) for t, a in zip(self.tiles, args, strict=True)]
        out = []
        for i, p in enumerate(pending):
            try:
                out.append(p.result())
            except LandcarbonError:
                raise
            except (RuntimeError, OSError) as exc:  # "Worker holding Actor was lost", comms
                raise _WorkerLost(f"the dask worker holding tile {i} was lost ({exc})") from exc
        return out


class _WorkerLost(ComputeError):
    """A tile's worker went away during a call."""


MAX_RESUMES = 3
"""Lost workers a checkpointed run survives before it gives up (:func:`run_synchronous`)."""


def refuse_sequential_only(parameters: AllocationParameters) -> None:
    """ParameterError for the knobs the synchronous engine cannot follow (walks in one
    global order): ``transition_plan`` and FLUS ``flus_compat``."""
    if parameters.transition_plan:
        raise ParameterError(
            "transition_plan = true walks the proposals in one global order: the "
            "synchronous engine cannot follow it; use engine = 'sequential' or "
            "transition_plan = false"
        )
    if isinstance(parameters, FlusParameters) and parameters.flus_compat:
        raise ParameterError(
            "flus_compat = true is the FLUS C++ sweep in raster order: the synchronous "
            "engine cannot follow it; use engine = 'sequential' or flus_compat = false"
        )


@dataclass(frozen=True)
class Checkpoint:
    """Where and how often a synchronous run saves its state, so a killed run resumes.

    Attributes
    ----------
    folder : Path
        A folder under the run's outputs (created). Every ``every`` iterations each tile
        writes its core (``tile_<i>_<iteration>.npz``), then the client the loop's state
        (:data:`STATE_FILE`), each atomically; the state names the iteration, so a run
        killed between two writes resumes from the last complete save. The files are
        removed when the run ends.
    every : int
        Iterations between saves (m); default 10.
    """

    folder: Path
    every: int = 10

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ParameterError(f"checkpoint every = {self.every}: must be >= 1 iteration")


STATE_FILE = "allocation_state.npz"
"""The loop's state in a :class:`Checkpoint` folder."""


def _tile_file(folder: Path, iteration: int, tile: int) -> Path:
    return folder / f"tile_{tile:05d}_{iteration:06d}.npz"


def fingerprint(problem: AllocationProblem, parameters: AllocationParameters, key: int) -> str:
    """Digest of everything that decides a run's map: a checkpoint resumes only its run."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{key}|{problem.codes}|{parameters!r}|{problem.zone_class}".encode())
    for a in (problem.cls, problem.prob, problem.demand, problem.floor, problem.zone):
        digest.update(np.ascontiguousarray(a).data)  # its buffer: no bytes copy
    digest.update(problem.allowed.tobytes())
    return digest.hexdigest()


def _save(checkpoint: Checkpoint, fleet: Fleet, n_tiles: int, schedule: Schedule, run: str) -> None:
    folder, iteration = checkpoint.folder, schedule.iteration
    for stale in folder.glob(f"tile_*_{iteration:06d}.npz"):  # of an attempt killed here
        stale.unlink()
    fleet.call("save", [(_tile_file(folder, iteration, i),) for i in range(n_tiles)])
    with atomic_path(folder / STATE_FILE) as tmp, tmp.open("wb") as fh:
        np.savez(
            fh,
            run=run,
            tiles=n_tiles,
            iteration=iteration,
            gaps=np.stack(schedule.gaps),
            history=np.asarray(schedule.history, dtype=np.int64),
            drive=schedule.drive,
            dynamic=schedule.dynamic,
            tau=schedule.tau,
            step=schedule.step,
            best=schedule.best,
            reversal=schedule.reversal,
            level=schedule.level,
            idle=schedule.idle,
        )
    for old in folder.glob("tile_*_*.npz"):
        if not old.name.endswith(f"_{iteration:06d}.npz"):
            old.unlink()


def _resume(
    checkpoint: Checkpoint,
    problem: AllocationProblem,
    parameters: AllocationParameters,
    key: np.uint64,
    run: str,
) -> tuple[Schedule, np.ndarray] | None:
    """The saved schedule and start map; ``problem.cls`` takes the saved map (None: no save)."""
    path = checkpoint.folder / STATE_FILE
    if not path.is_file():
        return None
    with np.load(path) as state:
        if str(state["run"]) != run:
            raise ParameterError(
                f"{path}: checkpoint of another allocation (other inputs, parameters or "
                f"seed); give an empty checkpoint folder or the inputs and seed of that run"
            )
        saved = {name: state[name] for name in state.files}
    iteration = int(saved["iteration"])
    origin = np.full_like(problem.cls, -1)
    files = sorted(checkpoint.folder.glob(f"tile_*_{iteration:06d}.npz"))
    if len(files) != int(saved["tiles"]):
        raise InputFileError(
            f"{checkpoint.folder}: the checkpoint of iteration {iteration} has "
            f"{len(files)} of its {int(saved['tiles'])} tile files; remove {STATE_FILE} "
            f"to start the run afresh"
        )
    for file in files:
        with np.load(file) as tile:
            inside = _local(tuple(int(v) for v in tile["core"]), (0, 0, 0, 0))  # type: ignore[arg-type]
            problem.cls[inside] = tile["cls"]
            origin[inside] = tile["origin"]
    schedule = Schedule(
        parameters,
        problem.demand,
        key,
        list(saved["gaps"]),
        [int(h) for h in saved["history"]],
        saved["drive"],
        saved["dynamic"],
        float(saved["tau"]),
        int(saved["step"]),
        saved["best"],
        saved["reversal"],
        int(saved["level"]),
        int(saved["idle"]),
        iteration,
    )
    return schedule, origin


def run_synchronous(
    problem: AllocationProblem,
    parameters: AllocationParameters,
    key: np.uint64,
    tiles: TileSpec = (1, 1),
    client: Any = None,
    checkpoint: Checkpoint | None = None,
) -> tuple[int, bool, bool, np.ndarray]:
    """The synchronous sweep + quota engine over ``tiles``.

    Same contract as :func:`landcarbon.landuse.allocation.run_allocation`:
    ``problem.cls`` is changed in place; returns ``(iterations, converged, locked_in,
    residual_history)``. The tiles live in this process, or with a ``dask.distributed``
    ``client`` on its workers (:class:`ActorFleet`); the client runs the loop, one
    iteration at a time, and does the reductions. The map depends on neither the tiling
    nor the workers. With a :class:`Checkpoint` the state is saved every ``every``
    iterations and a run finding a save of the same problem resumes from it (with any
    tiling and workers); a worker lost during the run is survived the same way, up to
    :data:`MAX_RESUMES` times (the tiles are dealt again to the workers left).

    Raises
    ------
    ComputeError
        A worker was lost and there is no checkpoint (or it was lost too often).
    """
    refuse_sequential_only(parameters)
    start = problem.cls.copy()
    for attempt in range(MAX_RESUMES + 1):
        try:
            return _run(problem, parameters, key, tiles, client, checkpoint)
        except _WorkerLost as exc:
            if checkpoint is None:
                raise ComputeError(
                    f"{exc}; give a checkpoint (Checkpoint(folder, every=m)) so that the "
                    f"allocation resumes from its last save"
                ) from exc
            if attempt == MAX_RESUMES:
                raise ComputeError(
                    f"{exc}, for the {MAX_RESUMES + 1}th time in one allocation; check the "
                    f"workers' memory limits and logs, then run again with the same "
                    f"checkpoint folder {checkpoint.folder} to resume"
                ) from exc
            problem.cls[...] = start
    raise AssertionError("unreachable")  # the loop returns or raises


def _run(
    problem: AllocationProblem,
    parameters: AllocationParameters,
    key: np.uint64,
    tiles: TileSpec,
    client: Any,
    checkpoint: Checkpoint | None,
) -> tuple[int, bool, bool, np.ndarray]:
    """One attempt of :func:`run_synchronous` (from its checkpoint, if any)."""
    from landcarbon.landuse import _kernels

    cls = problem.cls
    n_classes = len(problem.codes)
    counts = _kernels.class_index_counts(cls, n_classes)
    n_valid = int(counts.sum())
    cars = parameters if isinstance(parameters, CarsParameters) else None
    seed_cap = max(1, round(cars.percentage_of_seeds * n_valid)) if cars else n_valid
    schedule = Schedule.start(parameters, problem.demand, counts, key)
    origin = cls.copy()  # a cell converts at most once
    run = fingerprint(problem, parameters, int(key)) if checkpoint else ""
    if checkpoint is not None:
        checkpoint.folder.mkdir(parents=True, exist_ok=True)
        resumed = _resume(checkpoint, problem, parameters, key, run)
        if resumed is not None:
            schedule, origin = resumed
            counts = problem.demand - schedule.gaps[-1]
    arguments = tile_arguments(problem, parameters, key, tiles, origin)
    fleet: Fleet = LocalFleet(arguments) if client is None else ActorFleet(client, arguments)
    inbox: list[list[tuple[Rect, np.ndarray]]] = [[] for _ in arguments]
    while schedule.proceed():
        step = Step(schedule.iteration, schedule.drive, schedule.tau, counts > problem.floor)
        proposed = np.sum(fleet.call("propose", [(step, strips) for strips in inbox]), axis=0)
        quota = quotas(
            proposed.reshape(2, n_classes, n_classes),
            np.maximum(problem.demand - counts, 0),
            np.maximum(counts - problem.floor, 0),
            seed_cap,
        ).ravel()
        picks = fleet.call("smallest", [(quota,)] * len(inbox))
        category, order, cell = (np.concatenate(p) for p in zip(*picks, strict=True))
        cut = cutoffs(category, order, cell, quota)
        inbox = [[] for _ in arguments]
        changed = 0
        for change, converted, strips in fleet.call("accept", [cut] * len(inbox)):
            counts = counts + change
            changed += converted
            for j, rect, values in strips:
                inbox[j].append((rect, values))
        schedule.record(counts, changed)
        if checkpoint is not None and schedule.iteration % checkpoint.every == 0:
            _save(checkpoint, fleet, len(arguments), schedule, run)
    cores = fleet.call("core_classes", [()] * len(inbox))
    for args, core in zip(arguments, cores, strict=True):
        cls[_local(args[0], (0, 0, 0, 0))] = core
    if checkpoint is not None:
        for file in [checkpoint.folder / STATE_FILE, *checkpoint.folder.glob("tile_*_*.npz")]:
            file.unlink(missing_ok=True)
    return schedule.outcome()


def allocate_synchronous(
    lulc: xr.DataArray,
    probability: xr.DataArray,
    demand: Mapping[int, int],
    *,
    conversion: ConversionMatrix | None = None,
    restriction: xr.DataArray | None = None,
    parameters: AllocationParameters | None = None,
    seed: SeedLike = None,
    tiles: TileSpec = (1, 1),
    client: Any = None,
    checkpoint: Checkpoint | None = None,
) -> AllocationResult:
    """:func:`landcarbon.landuse.allocation.allocate` with the synchronous engine.

    Same inputs, checks and result; ``tiles`` (:data:`TileSpec`) cuts the map for the
    sweep, and with a ``dask.distributed`` ``client`` the tiles run on its workers;
    neither changes the map. A :class:`Checkpoint` saves the run every ``every``
    iterations; run again with the same inputs, seed and checkpoint, a killed run
    resumes. Raises ParameterError also for a tile smaller than its halo and for
    ``transition_plan`` / ``flus_compat`` (sequential walks).
    """
    parameters = parameters or CarsParameters()
    refuse_sequential_only(parameters)
    tile_windows((lulc.sizes["y"], lulc.sizes["x"]), tiles, parameters.neighborhood // 2)
    problem = prepare(
        lulc,
        probability,
        demand,
        conversion=conversion,
        restriction=restriction,
        parameters=parameters,
    )
    return finish(
        lulc,
        problem,
        parameters,
        seed,
        partial(run_synchronous, tiles=tiles, client=client, checkpoint=checkpoint),
    )
