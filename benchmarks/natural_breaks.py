"""Benchmark of exact natural breaks (issue 5) against jenkspy and mapclassify.

Prints, for gamma-distributed values (continuous, no ties):

1. 10^4 and 10^5 values, k = 5: landcarbon ``natural_breaks`` vs jenkspy 0.4.1
   (exact Fisher-Jenks, O(k n^2)) run in the same process, the speed ratio and whether
   the edges are identical (10^5 with jenkspy takes ~20 s; ``--skip-jenkspy-1e5`` skips it);
2. mapclassify's ``FisherJenks`` at 10^4: its time and whether its partition is jenkspy's
   (it accumulates in float32 and can miss the optimum);
3. 10^6 values, k = 5: landcarbon and ckwrap (Ckmeans.1d.dp 4.3.5, SMAWK, exact) run
   interleaved (A B A B ..., 5 pairs): median and min-max of the paired ratios, whether
   the partitions are equal, the load average (target < 1 s and >= 4x ckwrap; ckwrap is
   skipped when not installed: ``pip install ckwrap``) and the share of the sort
   (``np.unique`` with counts, which the dynamic programme cannot start without);
4. 10^6 values, k = 10 and 15, and ``natural_breaks_upto`` (every k <= 15 from one
   dynamic programme); jenkspy would take about 35 min, so it is not run.

Usage: ``python benchmarks/natural_breaks.py [--skip-jenkspy-1e5]``.
"""

from __future__ import annotations

import argparse
import os
import time

import jenkspy
import mapclassify
import numpy as np

from landcarbon.stats.classify import natural_breaks, natural_breaks_upto


def timed(func, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = func(*args)
    return time.perf_counter() - start, value


def versus_ckwrap(x: np.ndarray, k: int, pairs: int = 5) -> None:
    """landcarbon and ckwrap interleaved on ``x``: times, paired ratios, same partition."""
    try:
        import ckwrap
    except ImportError:
        t, _ = timed(natural_breaks, x, k)
        print(f"n = {x.size}, k = {k}: landcarbon {t:.3f} s (ckwrap not installed)")
        return
    ours_t, ref_t, sort_t = [], [], []
    for _ in range(pairs):
        t, ours = timed(natural_breaks, x, k)
        ours_t.append(t)
        t, result = timed(ckwrap.ckmeans, x, k)
        ref_t.append(t)
        t, _ = timed(np.unique, x, False, False, True)  # the sort + counts natural_breaks does
        sort_t.append(t)
    uppers = [x[result.labels == c].max() for c in range(k)]
    same = np.array_equal(ours[1:], uppers)
    ratios = np.asarray(ref_t) / np.asarray(ours_t)
    print(
        f"n = {x.size}, k = {k}: landcarbon median {np.median(ours_t):.3f} s, ckwrap median "
        f"{np.median(ref_t):.3f} s; paired ratio median {np.median(ratios):.1f}x "
        f"(min {ratios.min():.1f}, max {ratios.max():.1f}); same partition: {same}; "
        f"load {os.getloadavg()[0]:.2f} (target < 1 s, >= 4x); of landcarbon's time the "
        f"sort (np.unique with counts) takes {np.median(np.asarray(sort_t) / ours_t):.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-jenkspy-1e5", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    natural_breaks(rng.random(100), 3)  # numba compile (cached on disk afterwards)
    sizes = [10_000] if args.skip_jenkspy_1e5 else [10_000, 100_000]
    for n in sizes:
        x = rng.gamma(2.0, 3.0, n)
        t_ours, ours = timed(natural_breaks, x, 5)
        t_ref, ref = timed(jenkspy.jenks_breaks, x, 5)
        same = np.array_equal(ours, np.asarray(ref))
        print(
            f"n = {n:>7}, k = 5: landcarbon {t_ours:8.4f} s, jenkspy {t_ref:8.3f} s "
            f"-> {t_ref / t_ours:8.0f}x faster; identical edges: {same}"
        )
        if n == 10_000:
            t_mc, fj = timed(mapclassify.FisherJenks, x, 5)
            same_mc = np.array_equal(np.asarray(ref)[1:], fj.bins)
            print(
                f"n = {n:>7}, k = 5: mapclassify FisherJenks {t_mc:8.3f} s -> "
                f"{t_mc / t_ours:8.0f}x; same partition as jenkspy: {same_mc} "
                f"(it accumulates in float32)"
            )
    x = rng.gamma(2.0, 3.0, 1_000_000)
    versus_ckwrap(x, 5)
    for k in (10, 15):
        t, _ = timed(natural_breaks, x, k)
        print(f"n = 1000000, k = {k:>2}: landcarbon {t:.3f} s")
    t, _ = timed(natural_breaks_upto, x, 15)
    print(f"n = 1000000, every k <= 15 from one programme: {t:.3f} s")


if __name__ == "__main__":
    main()
