"""Benchmark of the CARS allocation (issue 4): full runs, per-iteration cost, numba vs numpy.

Synthetic region: a patchy 6-class map (block noise, upsampled), smooth probabilities, and a
demand that moves 5 % of the cells. Prints

1. CARS allocation to full demand on 3162 x 3162 (10^7 cells): wall time, iterations, peak
   resident memory (target < 60 s on 2 cores, < 4 GB); then the same with a demand that
   needs chains of conversions (transshipment check and relay floors);
2. milliseconds per iteration per 10^6 cells at 10^6 and 10^7 cells (and 4 x 10^7 with
   --large), for a full sweep (every cell proposes) and for a real allocation iteration (the
   cells of the losing classes propose, then the candidates are applied);
3. the numba proposal sweep vs the vectorised numpy version of the same step (3x3 counts +
   OP + roulette, :func:`landcarbon.landuse._kernels.propose_cars_numpy`), timed in the same
   run on the same inputs, with a check that both give the same candidates (target >= 10x).

Usage: ``python benchmarks/allocation.py [--large] [--threads N] [--sweeps-only]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numba
import numpy as np

from landcarbon.landuse import _kernels
from landcarbon.landuse.allocation import (
    AllocationProblem,
    CarsParameters,
    run_allocation,
    seed_key,
)
from landcarbon.landuse.conversion import check_demand_reachable, donor_floor, movable_groups

N_CLASSES = 6
CHANGE_SHARE = 0.05


def synthetic(side: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class indices (int8), probabilities float64[K, side, side] and a 5 % change demand."""
    rng = np.random.default_rng(seed)
    block = 16
    coarse = -(-side // block)
    base = rng.integers(0, N_CLASSES, size=(coarse, coarse), dtype=np.int8)
    cls = np.repeat(np.repeat(base, block, 0), block, 1)[:side, :side].copy()
    noise = rng.random((side, side), dtype=np.float32) < 0.1
    cls[noise] = rng.integers(0, N_CLASSES, size=int(noise.sum()), dtype=np.int8)
    prob = np.empty((N_CLASSES, side, side))
    for k in range(N_CLASSES):
        field = rng.random((coarse, coarse))
        prob[k] = np.repeat(np.repeat(field, block, 0), block, 1)[:side, :side]
        prob[k] *= rng.uniform(0.5, 1.0, size=(side, side)).astype(np.float32)
    counts = np.bincount(cls.ravel(), minlength=N_CLASSES)
    moved = int(CHANGE_SHARE * cls.size)
    shift = np.array([-0.5, -0.3, -0.2, 0.4, 0.4, 0.2]) * moved
    demand = counts + np.round(shift).astype(np.int64)
    demand[-1] += cls.size - demand.sum()
    return cls, prob, demand


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def full_run(side: int, chained: bool = False) -> None:
    """CARS to full demand; ``chained``: classes 0-2 may not become class 5, so its cells
    must come from the growing classes 3 and 4 (a chain such as 0 -> 3 -> 5)."""
    cls, prob, demand = synthetic(side)
    parameters = CarsParameters()
    allowed = np.ones((N_CLASSES, N_CLASSES), dtype=bool)
    if chained:
        allowed[:3, 5] = False
    zone = np.ones(cls.shape, dtype=np.uint8)
    start = time.perf_counter()
    groups = movable_groups(cls, prob, allowed, zone)
    counts = np.bincount(cls.ravel(), minlength=N_CLASSES)
    plan = check_demand_reachable(counts, demand, groups, allowed, list(range(N_CLASSES)))
    check_s = time.perf_counter() - start
    problem = AllocationProblem(
        list(range(N_CLASSES)),
        cls,
        prob,
        demand,
        allowed,
        zone,
        np.ones(N_CLASSES),
        np.full(N_CLASSES, 0.1),
        -1,
        groups.cell_group,
        plan,
        donor_floor(plan, groups, demand),
    )
    start = time.perf_counter()
    iterations, converged, _, history = run_allocation(problem, parameters, seed_key(1))
    run_s = time.perf_counter() - start
    print(
        f"CARS full allocation{' (chained demand)' if chained else ''}, {side}x{side} = "
        f"{cls.size / 1e6:.1f} M cells, "
        f"{numba.get_num_threads()} threads: {run_s:.1f} s for {iterations} iterations "
        f"(+ {check_s:.1f} s max-flow check), converged={converged}, "
        f"residual {history[-1]} cells, moved {history[0] // 2} cells, "
        f"peak RSS {peak_rss_gb():.2f} GB"
    )


def sweep_numba(cls, prob, may_lose, tau, iteration):
    candidate = np.empty(cls.shape, dtype=np.int8)
    seeded = np.empty(cls.shape, dtype=np.bool_)
    ones = np.ones(N_CLASSES)
    _kernels.propose(
        cls,
        prob,
        ones,
        ones,
        np.full(N_CLASSES, 0.1),
        np.ones((N_CLASSES, N_CLASSES), dtype=bool),
        np.ones(cls.shape, dtype=np.uint8),
        may_lose,
        _kernels.CARS,
        tau,
        -1,
        0.5,
        np.uint64(1),
        iteration,
        1,
        candidate,
        seeded,
    )
    return candidate, seeded


def sweep_numpy(cls, prob, may_lose, tau, iteration):
    ones = np.ones(N_CLASSES)
    return _kernels.propose_cars_numpy(
        cls,
        prob,
        ones,
        ones,
        np.full(N_CLASSES, 0.1),
        np.ones((N_CLASSES, N_CLASSES), dtype=bool),
        np.ones(cls.shape, dtype=np.uint8),
        may_lose,
        tau,
        1,
        iteration,
        1,
    )


def timed(func, *args, repeat: int = 3) -> float:
    """Best of ``repeat`` runs (seconds); the last argument, the iteration, is varied."""
    best = float("inf")
    for i in range(repeat):
        start = time.perf_counter()
        func(*args[:-1], args[-1] + i)
        best = min(best, time.perf_counter() - start)
    return best


def apply_once(cls, candidate, seeded, counts, demand) -> float:
    """Seconds of one :func:`_kernels.apply_proposals` on a copy of ``cls``."""
    work = cls.copy()
    start = time.perf_counter()
    _kernels.apply_proposals(
        work,
        candidate,
        seeded,
        counts.copy(),
        demand,
        demand,
        cls,
        np.uint64(1),
        1,
        cls.size,
        np.zeros(cls.shape, np.int32),
        np.zeros((1, N_CLASSES), np.int64),
        False,
    )
    return time.perf_counter() - start


def per_iteration(side: int, with_numpy: bool) -> None:
    cls, prob, demand = synthetic(side)
    mcells = cls.size / 1e6
    every = np.ones(N_CLASSES, dtype=bool)
    # best of more runs on the small map: its ~20 ms runs suffer most from other jobs
    repeat, numpy_repeat = (7, 3) if cls.size < 5e6 else (3, 2)
    sweep_numba(cls, prob, every, 0.2, 0)  # compile / warm up
    full = timed(sweep_numba, cls, prob, every, 0.2, 1, repeat=repeat)
    counts = np.bincount(cls.ravel(), minlength=N_CLASSES)
    may_lose = counts > demand
    real = timed(sweep_numba, cls, prob, may_lose, 0.2, 1, repeat=repeat)
    candidate, seeded = sweep_numba(cls, prob, may_lose, 0.2, 1)
    apply_s = min(apply_once(cls, candidate, seeded, counts, demand) for _ in range(repeat))
    line = (
        f"{mcells:6.1f} M cells: numba full sweep {full / mcells * 1e3:6.1f} ms per 10^6 "
        f"cells; allocation iteration {(real + apply_s) / mcells * 1e3:6.1f} ms per 10^6 cells "
        f"(sweep of the losing classes {real / mcells * 1e3:.1f} + apply "
        f"{apply_s / mcells * 1e3:.1f}, {int((candidate >= 0).sum())} candidates)"
    )
    if with_numpy:
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        single = timed(sweep_numba, cls, prob, every, 0.2, 1, repeat=repeat)
        numba.set_num_threads(threads)
        numpy_s = timed(sweep_numpy, cls, prob, every, 0.2, 1, repeat=numpy_repeat)
        same = np.array_equal(
            sweep_numpy(cls, prob, every, 0.2, 5), sweep_numba(cls, prob, every, 0.2, 5)[0]
        )
        line += (
            f"\n{'':17}numpy same step (1 core) {numpy_s / mcells:6.3f} s per 10^6 cells -> "
            f"numba {numpy_s / full:5.1f}x faster on {threads} threads, {numpy_s / single:5.1f}x "
            f"on 1 thread (identical candidates: {same})"
        )
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also 4 x 10^7 cells")
    parser.add_argument("--threads", type=int, default=None, help="numba threads")
    parser.add_argument(
        "--sweeps-only", action="store_true", help="skip the full allocations (part 1)"
    )
    args = parser.parse_args()
    if args.threads:
        numba.set_num_threads(args.threads)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"numba {numba.__version__}, threads {numba.get_num_threads()}, "
        f"{os.cpu_count()} CPUs, load average {load}"
    )
    if not args.sweeps_only:
        full_run(3162)  # first, so the peak RSS it prints is its own
        full_run(3162, chained=True)
    per_iteration(1000, with_numpy=True)
    per_iteration(3162, with_numpy=True)
    if args.large:
        per_iteration(6325, with_numpy=False)


if __name__ == "__main__":
    main()
