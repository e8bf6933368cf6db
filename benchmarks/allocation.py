"""Benchmark of the CARS allocation: the reachability check against the allocation it
guards, 1 vs 2 threads, numba vs numpy (issues 4 and 18), on the shared harness.

Synthetic region: a patchy 6-class map (block noise, upsampled), smooth probabilities, and a
demand that moves 5 % of the cells. Prints, each as medians of interleaved runs with the
min-max of the paired ratios and the load (benchmarks/harness.py):

1. on ``--side`` x ``--side`` cells (3162: 10^7), the max-flow reachability check (cell
   groups + flow, as :func:`landcarbon.landuse.allocation.prepare` runs it) and the CARS
   allocation to full demand it guards, run after run, then the same with a demand that
   needs chains of conversions (transshipment check and relay floors); target: the check
   costs less than the allocation;
2. the proposal sweep at 10^6 cells on 1 and on 2 numba threads, interleaved (target: 2
   threads never slower than 1; the allocation itself picks its threads by the load,
   :func:`landcarbon.landuse.allocation.sweep_threads`);
3. the numba sweep vs the vectorised numpy version of the same step (3x3 counts + OP +
   roulette, :func:`landcarbon.landuse._kernels.propose_cars_numpy`), with a check that
   both give the same candidates.

In-memory arrays: the step's own reads and writes are timed by the study benchmarks.

Usage: ``python benchmarks/allocation.py [--side 3162] [--pairs 5]``.
"""

from __future__ import annotations

import argparse
import resource
import time

import harness
import numba
import numpy as np

from landcarbon.landuse import _kernels
from landcarbon.landuse.allocation import (
    AllocationProblem,
    CarsParameters,
    run_allocation,
    seed_key,
    sweep_threads,
)
from landcarbon.landuse.conversion import (
    CellGroups,
    check_demand_reachable,
    donor_floor,
    movable_groups,
)

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


def full_runs(side: int, pairs: int, chained: bool = False) -> list[str]:
    """Check vs allocation, run after run; ``chained``: classes 0-2 may not become class 5,
    so its cells must come from the growing classes 3 and 4 (a chain such as 0 -> 3 -> 5)."""
    cls, prob, demand = synthetic(side)
    allowed = np.ones((N_CLASSES, N_CLASSES), dtype=bool)
    if chained:
        allowed[:3, 5] = False
    zone = np.ones(cls.shape, dtype=np.uint8)
    counts = np.bincount(cls.ravel(), minlength=N_CLASSES)
    checked: list[tuple[CellGroups, np.ndarray]] = []
    outcome: list[tuple[int, bool, int]] = []

    def check(i: int) -> None:
        groups = movable_groups(cls, prob, allowed, zone)
        plan = check_demand_reachable(counts, demand, groups, allowed, list(range(N_CLASSES)))
        checked[:] = [(groups, plan)]

    def allocation(i: int) -> None:
        groups, plan = checked[0]
        problem = AllocationProblem(
            list(range(N_CLASSES)),
            cls.copy(),
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
        iterations, converged, _, history = run_allocation(problem, CarsParameters(), seed_key(1))
        outcome[:] = [(iterations, converged, int(history[-1]))]

    result = harness.interleaved(
        {"check": harness.call(check), "allocation": harness.call(allocation)}, pairs
    )
    iterations, converged, residual = outcome[0]
    title = "chained demand" if chained else "direct demand"
    return [
        f"**{title}**, {side} x {side} = {cls.size / 1e6:.1f} M cells, {iterations} iterations, "
        f"converged={converged}, residual {residual} cells, allocation on "
        f"{sweep_threads(numba.get_num_threads())} thread(s) by the load; {result.load_text()}",
        "",
        *result.table(),
        "",
        f"- {result.ratio_text('check', 'allocation')} (target < 1)",
        f"- peak RSS so far {peak_rss_gb():.2f} GB",
        "",
    ]


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


def sweeps(side: int, pairs: int) -> list[str]:
    """1 vs 2 threads and numba vs numpy for one full sweep at ``side`` x ``side``."""
    cls, prob, _ = synthetic(side)
    every = np.ones(N_CLASSES, dtype=bool)
    threads = numba.get_num_threads()

    def on(n: int) -> harness.Tool:
        def run(i: int) -> None:
            numba.set_num_threads(n)
            try:
                sweep_numba(cls, prob, every, 0.2, i + 1)
            finally:
                numba.set_num_threads(threads)

        return harness.call(run)

    by_threads = harness.interleaved(
        {"1 thread": on(1), "2 threads": on(min(2, threads))}, 3 * pairs
    )
    by_code = harness.interleaved(
        {
            "numpy": harness.call(lambda i: sweep_numpy(cls, prob, every, 0.2, i + 1)),
            "numba": on(1),
        },
        pairs,
    )
    same = np.array_equal(
        sweep_numpy(cls, prob, every, 0.2, 5), sweep_numba(cls, prob, every, 0.2, 5)[0]
    )
    return [
        f"**proposal sweep, {cls.size / 1e6:.1f} M cells, 1 vs 2 threads** (numba set to "
        f"{threads}); {by_threads.load_text()}",
        "",
        *by_threads.table(),
        "",
        f"- {by_threads.ratio_text('2 threads', '1 thread')} (target <= 1)",
        "",
        f"**numba (1 thread) vs numpy, same sweep**; {by_code.load_text()}; identical "
        f"candidates: {same}",
        "",
        *by_code.table(),
        "",
        f"- {by_code.ratio_text('numpy', 'numba')}",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=3162, help="side of the full allocations")
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    lines = [f"Machine: {harness.machine()}", ""]
    lines += full_runs(args.side, args.pairs)
    lines += full_runs(args.side, args.pairs, chained=True)
    lines += sweeps(1000, args.pairs)
    harness.report("allocation: reachability check, threads, numba vs numpy", lines)


if __name__ == "__main__":
    main()
