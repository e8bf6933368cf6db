"""Benchmark of PLUS LEAS suitability (issues 4 and 18), whole process, on the shared harness.

Synthetic region built here with plain numpy: ``side x side`` cells (``--side``), six
smooth drivers (block noise upsampled, plus a gradient), six classes from the drivers, and a
second date where 5 % of the cells changed, each into the class its drivers favour, written
as GeoTIFFs. Times, interleaved (benchmarks/harness.py: medians, min-max of the paired
ratios, load before and after):

1. what the user waits for, whole processes from reading the rasters to the written
   probability maps: ``landcarbon suitability`` (LEAS, PLUS default ``mode="expansion"``,
   1 % of the changed cells, ``--trees`` trees per class, ``--threads``) against a plain
   scikit-learn script on the same files (``benchmarks/suitability_sklearn.py``: one
   ``RandomForestClassifier`` per class, ``predict_proba``, the same sample share, trees,
   threads and codec), and ``landcarbon suitability --method ann`` (FLUS ANN, 20000
   samples, 12 hidden units) beside them;
2. in one process, on 2^20 cells of one class's forest: our hard-vote prediction (the PLUS
   formula, :func:`landcarbon.landuse.suitability.tree_votes`) against scikit-learn's own
   ``predict_proba`` (soft votes).

Usage: ``python benchmarks/suitability.py [--side 1000] [--trees 20] [--threads 2]
[--pairs 5] [--sample-rate 0.01]`` (20 trees: the PLUS GUI default).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import harness
import numpy as np

from landcarbon.landuse import PLUS_TREES
from landcarbon.landuse.suitability import leas, tree_votes
from landcarbon.raster import GTIFF_CREATION, read_raster, write_raster
from landcarbon.testing import make_raster

N_CLASSES = 6
N_DRIVERS = 6
CHANGE_SHARE = 0.05
LANDCARBON = [sys.executable, "-c", "from landcarbon.cli import main; main()", "suitability"]
PEER = Path(__file__).with_name("suitability_sklearn.py")


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


def write_inputs(side: int, folder: Path) -> tuple[Path, Path, list[Path]]:
    """The synthetic region as GeoTIFFs: t0, t1 (int32 codes) and the six drivers."""
    t0, t1, drivers = synthetic(side)
    paths = [folder / "t0.tif", folder / "t1.tif"]
    paths += [folder / f"d{i + 1}.tif" for i in range(len(drivers))]
    for path, data in zip(paths, [t0, t1, *drivers], strict=True):
        write_raster(make_raster(data), path)
    return paths[0], paths[1], paths[2:]


def whole_process(
    folder: Path, t0: Path, t1: Path, drivers: list[Path], opts: argparse.Namespace
) -> list[str]:
    """landcarbon LEAS and ANN vs the scikit-learn script, interleaved; markdown lines."""
    common = [*LANDCARBON, "--t1", str(t1), "--seed", "0"]
    for path in drivers:
        common += ["--driver", str(path)]
    leas_args = [*common, "--t0", str(t0), "--trees", str(opts.trees)]
    leas_args += ["--threads", str(opts.threads), "--sample-rate", str(opts.sample_rate)]
    peer = [sys.executable, str(PEER), str(t0), str(t1)]
    settings = [
        str(opts.trees),
        str(opts.threads),
        str(opts.sample_rate),
        json.dumps(GTIFF_CREATION),
    ]
    tools = {
        "landcarbon LEAS": harness.process(lambda i: [*leas_args, "-o", str(folder / f"l{i}")]),
        "scikit-learn": harness.process(
            lambda i: [*peer, str(folder / f"s{i}"), *settings, *map(str, drivers)]
        ),
        "landcarbon ANN": harness.process(
            lambda i: [
                *common,
                "--method",
                "ann",
                "--sample-size",
                "20000",
                "-o",
                str(folder / f"a{i}"),
            ]
        ),
    }
    result = harness.interleaved(tools, opts.pairs)
    return [
        f"**1. whole process, {opts.side} x {opts.side} = {opts.side**2 / 1e6:.1f} M cells**, "
        f"{N_CLASSES} classes, {N_DRIVERS} drivers, {CHANGE_SHARE:.0%} changed; LEAS and "
        f"scikit-learn: {opts.sample_rate:.0%} of the changed cells, {opts.trees} trees per class, "
        f"{opts.threads} threads; ANN: 20000 samples, 12 hidden units; {opts.pairs} "
        f"interleaved rounds after one untimed round; {result.load_text()}",
        "",
        *result.table(),
        "",
        f"- {result.ratio_text('landcarbon LEAS', 'scikit-learn')} (hard votes, the PLUS "
        f"formula, against sklearn's soft votes; same sample share, trees and threads)",
        "",
    ]


def votes_vs_predict_proba(
    t0: Path, t1: Path, drivers: list[Path], opts: argparse.Namespace
) -> list[str]:
    """Hard votes vs ``predict_proba`` of one trained forest on 2^20 cells, interleaved."""
    result = leas(
        read_raster(t0, "categorical"),
        read_raster(t1, "categorical"),
        [read_raster(p).rename(p.stem) for p in drivers],
        sample_rate=opts.sample_rate,
        n_trees=opts.trees,
        seed=0,
        n_jobs=opts.threads,
    )
    forest = next(iter(result.models.values()))
    x = result.drivers.rows(slice(0, max(1, (1 << 20) // opts.side)))
    x = np.ascontiguousarray(x, dtype=np.float32)
    timed = harness.interleaved(
        {
            "hard votes": harness.call(lambda i: tree_votes(forest, x, opts.threads)),
            "predict_proba": harness.call(lambda i: forest.predict_proba(x)),
        },
        opts.pairs,
    )
    return [
        f"**2. prediction of one class's forest on {x.shape[0]} cells**, in one process; "
        f"{timed.load_text()}",
        "",
        *timed.table(),
        "",
        f"- {timed.ratio_text('hard votes', 'predict_proba')}",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=1000)
    parser.add_argument("--trees", type=int, default=PLUS_TREES)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument(
        "--sample-rate", type=float, default=0.01, help="share of the changed cells sampled"
    )
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lc-bench-suit-") as tmp:
        folder = Path(tmp)
        t0, t1, drivers = write_inputs(opts.side, folder)
        lines = [f"Machine: {harness.machine()}", ""]
        lines += whole_process(folder, t0, t1, drivers, opts)
        lines += votes_vs_predict_proba(t0, t1, drivers, opts)
        harness.report(f"suitability (PLUS LEAS), whole process, {opts.side}^2", lines)


if __name__ == "__main__":
    main()
