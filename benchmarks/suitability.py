"""Benchmark of PLUS LEAS and FLUS ANN suitability (issue 4).

Synthetic region built here with plain numpy: ``side x side`` cells (3162 -> 10^7), six
smooth drivers (block noise upsampled, plus a gradient), six classes from the drivers, and a
second date where 5 % of the cells changed, each into the class its drivers favour. Prints

1. LEAS (PLUS default ``mode="expansion"``: 1 % of the changed cells) and LEAS on a 1 % sample
   of every cell (``mode="single_date"``, 10^5 samples at 10^7 cells): training seconds
   (target < 60 s on 2 cores) and prediction seconds over the whole map, with seconds per
   10^6 cells;
2. our hard-vote prediction (the PLUS formula) against scikit-learn's own
   ``RandomForestClassifier.predict_proba`` (soft votes) on the same cells, same process;
3. the FLUS ANN (uniform sample, 12 hidden units): training and prediction seconds;
4. peak resident memory of the process.

Wall and CPU seconds are both printed: on a shared machine CPU seconds / threads is the wall
time the same run takes on dedicated cores.

Usage: ``python benchmarks/suitability.py [--side 3162] [--trees 20] [--threads 2]`` (20 trees:
the PLUS GUI default).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import xarray as xr

from landcarbon.landuse import PLUS_TREES
from landcarbon.landuse.suitability import _predict, ann_probability, leas
from landcarbon.testing import make_raster

N_CLASSES = 6
N_DRIVERS = 6
CHANGE_SHARE = 0.05


def smooth_field(side: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """Block noise of ``block``-cell squares, upsampled and cut to ``side x side``."""
    coarse = rng.random((side // block + 2, side // block + 2))
    return np.repeat(np.repeat(coarse, block, axis=0), block, axis=1)[:side, :side]


def synthetic(side: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Land use at t0 and t1 (int32 codes 1..6) and six float64 drivers.

    Class k's score is a random linear mix of the drivers plus Gumbel noise; t0 is the best
    class, and the 5 % of cells that change take their second-best class. One score map is
    held at a time (best and second best are tracked), so the region costs little memory.
    """
    rng = np.random.default_rng(seed)
    drivers = [smooth_field(side, b, rng) for b in (8, 16, 32, 64, 128)]
    drivers.append(np.tile(np.linspace(0, 1, side), (side, 1)))
    weights = rng.normal(size=(N_CLASSES, N_DRIVERS))
    best = np.full((side, side), -np.inf)
    second = best.copy()
    t0 = np.zeros((side, side), dtype=np.int32)
    target = t0.copy()
    for k in range(N_CLASSES):
        score = sum(w * d for w, d in zip(weights[k], drivers, strict=True))
        score = score + rng.gumbel(size=score.shape) * 0.3
        above_best = score > best
        above_second = ~above_best & (score > second)
        second = np.where(above_best, best, np.where(above_second, score, second))
        target = np.where(above_best, t0, np.where(above_second, k + 1, target))
        best = np.where(above_best, score, best)
        t0 = np.where(above_best, k + 1, t0).astype(np.int32)
    flat = rng.choice(t0.size, size=int(CHANGE_SHARE * t0.size), replace=False)
    t1 = t0.copy()
    t1.ravel()[flat] = target.ravel()[flat]
    return t0, t1, drivers


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_leas(
    t0: xr.DataArray, t1: xr.DataArray, drivers: dict[str, xr.DataArray], **kw: object
) -> None:
    start, cpu = time.perf_counter(), time.process_time()
    result = leas(t0, t1, drivers, **kw)  # type: ignore[arg-type]
    total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    codes = [int(c) for c in result.probability["class"].values]
    models, stack, fit, contribution = (
        result.models,
        result.drivers,
        result.fit,
        result.contribution,
    )
    del result  # free the probability stack before predicting it again
    start, cpu = time.perf_counter(), time.process_time()
    _predict(stack, codes, models, kw.get("n_jobs"), 1 << 20, t1)  # type: ignore[arg-type]
    predict, predict_cpu = time.perf_counter() - start, time.process_time() - cpu
    cells = t1.size / 1e6
    samples = int(fit["samples"].max())
    print(
        f"  LEAS {kw['mode']:<11} {samples:>7} samples: training {total - predict:6.1f} s "
        f"({total_cpu - predict_cpu:6.1f} CPU s), prediction {predict:6.1f} s "
        f"({predict_cpu:6.1f} CPU s; {predict / cells:.2f} s per 10^6 cells)"
    )
    print(f"    contribution (mean decrease in impurity):\n{contribution.round(3)}")
    forest = models[codes[0]]
    x = stack.rows(slice(0, max(1, (1 << 20) // t1.shape[1])))
    start = time.perf_counter()
    forest.predict_proba(x)
    soft = time.perf_counter() - start
    from landcarbon.landuse.suitability import tree_votes

    start = time.perf_counter()
    tree_votes(forest, x, kw.get("n_jobs"))  # type: ignore[arg-type]
    hard = time.perf_counter() - start
    print(
        f"    one class on {x.shape[0]} cells: hard votes {hard:.2f} s, sklearn "
        f"predict_proba {soft:.2f} s (ratio {hard / soft:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=3162)
    parser.add_argument("--trees", type=int, default=PLUS_TREES)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    start = time.perf_counter()
    t0_np, t1_np, driver_arrays = synthetic(args.side)
    changed, cells = float(np.mean(t0_np != t1_np)), t0_np.size
    t0, t1 = make_raster(t0_np), make_raster(t1_np)
    drivers = {f"d{i + 1}": make_raster(d) for i, d in enumerate(driver_arrays)}
    del t0_np, t1_np, driver_arrays  # make_raster copied them
    print(
        f"region {args.side} x {args.side} ({cells / 1e6:.1f} x 10^6 cells), "
        f"{N_CLASSES} classes, {changed:.1%} changed, built in {time.perf_counter() - start:.1f} s"
    )
    print(f"peak resident memory after building the region {peak_mb():.0f} MB")
    common = {"sample_rate": 0.01, "n_trees": args.trees, "seed": 0, "n_jobs": args.threads}
    time_leas(t0, t1, drivers, mode="expansion", **common)
    time_leas(t0, t1, drivers, mode="single_date", **common)
    start = time.perf_counter()
    ann_probability(t1, drivers, sample_size=20_000, seed=0)
    print(f"  FLUS ANN 20000 samples, 12 hidden: {time.perf_counter() - start:.1f} s in all")
    print(f"peak resident memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
