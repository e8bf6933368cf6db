"""Benchmark of exact natural breaks (issues 5 and 18) on the shared harness.

Whole work timed in-process for both tools alike: a float64 array in, the breaks out
(``natural_breaks(x, k)``: one sort, on two threads where the load leaves two cores,
with NaN and infinities read off it, unique values with counts, the dynamic programme
(each row filled only where the row above reads it) on the threads the load leaves a
core; ``ckwrap.ckmeans(x, k)``: its own sort
and SMAWK dynamic programme, labels out; turning those into edges is left out of its
time, which favours ckwrap). Runs are interleaved (A B A B ..., after one untimed round
that loads the numba cache), reported as medians and the min-max of the paired ratios
with the load (benchmarks/harness.py).
Prints, on gamma-distributed values:

1. 10^4 and 10^5 values, k = 5: landcarbon vs jenkspy (exact Fisher-Jenks, O(k n^2)) and
   whether the edges are identical (10^5 with jenkspy takes ~20 s; ``--skip-jenkspy-1e5``
   skips it); mapclassify's ``FisherJenks`` at 10^4 (float32 sums: it can miss the optimum);
2. ``--size`` values (10^6), k = 5, continuous (no ties) and tied (rounded to 0.01, a few
   thousand distinct values as in real rasters): landcarbon (as called, and held to one
   thread) vs ckwrap (Ckmeans.1d.dp, the C++ peer, one thread; from the ``bench`` extra)
   and ``np.sort`` alone, the sort that any exact method pays (the floor); whether the
   partitions are identical (target: < 1 s and >= 4x ckwrap);
3. ``--size`` values, k = 10 and 15 and ``natural_breaks_upto`` (every k <= 15 from one
   programme); jenkspy would take about 35 min, so it is not run.

Usage: ``python benchmarks/natural_breaks.py [--size 1000000] [--pairs 3]
[--skip-jenkspy-1e5]``.
"""

from __future__ import annotations

import argparse
import time

import harness
import jenkspy
import mapclassify
import numba
import numpy as np

from landcarbon.stats.classify import _row_threads, natural_breaks, natural_breaks_upto


def small_sizes(rng: np.random.Generator, skip_1e5: bool) -> list[str]:
    """landcarbon vs jenkspy (and mapclassify at 10^4), one run each: seconds and equality."""
    lines = []
    for n in [10_000] if skip_1e5 else [10_000, 100_000]:
        x = rng.gamma(2.0, 3.0, n)
        start = time.perf_counter()
        ours = natural_breaks(x, 5)
        t_ours = time.perf_counter() - start
        start = time.perf_counter()
        ref = np.asarray(jenkspy.jenks_breaks(x, 5))
        t_ref = time.perf_counter() - start
        lines.append(
            f"- n = {n}, k = 5: landcarbon {t_ours:.4f} s, jenkspy {t_ref:.3f} s "
            f"({t_ref / t_ours:.0f}x, one run each); identical edges: "
            f"{np.array_equal(ours, ref)}"
        )
        if n == 10_000:
            start = time.perf_counter()
            fj = mapclassify.FisherJenks(x, 5)
            t_mc = time.perf_counter() - start
            lines.append(
                f"- n = {n}, k = 5: mapclassify FisherJenks {t_mc:.3f} s "
                f"({t_mc / t_ours:.0f}x); same partition as jenkspy: "
                f"{np.array_equal(ref[1:], fj.bins)} (it accumulates in float32)"
            )
    return lines


def ckwrap_uppers(x: np.ndarray, k: int) -> np.ndarray:
    """ckwrap's partition as landcarbon's edges: min, the upper value of each class, max."""
    import ckwrap

    labels = ckwrap.ckmeans(x, k).labels
    uppers = np.full(k, -np.inf)
    np.maximum.at(uppers, labels, x)
    return np.concatenate([[x.min()], np.sort(uppers)])


def one_thread(x: np.ndarray, k: int) -> np.ndarray:
    """``natural_breaks`` held to one numba thread (the rows are then not shared out)."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return natural_breaks(x, k)
    finally:
        numba.set_num_threads(threads)


def versus_ckwrap(x: np.ndarray, k: int, what: str, pairs: int) -> list[str]:
    """landcarbon (as called and on one thread), ckwrap and the sort floor interleaved on
    ``x``; exactness checked."""
    ours = natural_breaks(x, k)
    tools = {
        "landcarbon natural_breaks": harness.call(lambda i: natural_breaks(x, k)),
        "landcarbon natural_breaks, 1 thread": harness.call(lambda i: one_thread(x, k)),
        "np.sort (the sort floor)": harness.call(lambda i: np.sort(x)),
    }
    try:
        same = np.array_equal(ours, ckwrap_uppers(x, k))
        import ckwrap  # timed without turning its labels into edges (favours ckwrap)

        tools["ckwrap (Ckmeans.1d.dp)"] = harness.call(lambda i: ckwrap.ckmeans(x, k))
    except ImportError:
        same = None
    timed = harness.interleaved(tools, pairs)
    head = (
        f"### {x.size} values, k = {k}, {what} ({np.unique(x).size} distinct)\n\n"
        + "\n".join(timed.table())
        + "\n"
    )
    floor = timed.ratios("np.sort (the sort floor)", "landcarbon natural_breaks")
    lines = [
        head,
        f"- landcarbon shared its sort out to {_row_threads(x.size)} and its rows to "
        f"{_row_threads(np.unique(x).size)} thread(s) at the start (those the load leaves a "
        "core)",
        f"- of landcarbon's wall time, the sort takes {np.median(floor):.0%} (median)",
    ]
    if same is None:
        lines.append("- ckwrap not installed (`pip install ckwrap`, the bench extra): not compared")
    else:
        lines += [
            "- " + timed.ratio_text("ckwrap (Ckmeans.1d.dp)", "landcarbon natural_breaks"),
            "- "
            + timed.ratio_text("ckwrap (Ckmeans.1d.dp)", "landcarbon natural_breaks, 1 thread"),
            f"- identical breaks to ckwrap: {same}",
        ]
    lines += [f"- {timed.load_text()}", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--skip-jenkspy-1e5", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    natural_breaks(rng.random(100), 3)  # numba compile (cached on disk afterwards)
    lines = ["Target (issue 18): 10^6 values, k = 5, exact: < 1 s and >= 4x ckwrap.", ""]
    lines += [*small_sizes(rng, args.skip_jenkspy_1e5), ""]
    x = rng.gamma(2.0, 3.0, args.size)
    lines += versus_ckwrap(x, 5, "continuous", args.pairs)
    lines += versus_ckwrap(np.round(x, 2), 5, "tied (rounded to 0.01)", args.pairs)
    more = harness.interleaved(
        {
            "landcarbon k = 10": harness.call(lambda i: natural_breaks(x, 10)),
            "landcarbon k = 15": harness.call(lambda i: natural_breaks(x, 15)),
            "landcarbon every k <= 15": harness.call(lambda i: natural_breaks_upto(x, 15)),
        },
        args.pairs,
        warmup=False,
    )
    lines += [f"### {args.size} values, more classes (continuous)\n", *more.table(), ""]
    lines += [f"- {more.load_text()}", "", f"Machine: {harness.machine()}"]
    harness.report(f"natural breaks, {args.size} values, array in -> breaks out, in-process", lines)


if __name__ == "__main__":
    main()
