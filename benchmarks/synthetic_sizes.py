"""Benchmark: the synthetic region's change pattern at 500, 2000 and 10 000 cells a side.

For each side, the land use of 2010 and 2020 is generated row block by row block (never a
whole layer; bounded memory at 10^8 cells) and tallied into a 2010 -> 2020 transfer
matrix. Printed per class: share in 2010 and 2020, and gains between them (share of the
map). Checked, as ``tests/datasets/test_synthetic.py`` checks at small sizes: every class
is on the map (>= 0.3 %), none over 90 %, and every class that grows gained >= 0.2 % of
the map (enough for a 5 % training sample of the simulation to see it).

Run: ``.venv/bin/python benchmarks/synthetic_sizes.py [--sides 500 2000 10000] [--seed 0]``.
At 10 000 a side the land use alone takes tens of minutes on a shared 2-core VM.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from landcarbon.datasets.synthetic import _Region, _window_layers

CODES = range(1, 7)


def transfer(side: int, seed: int, block_cells: int = 1 << 19) -> np.ndarray:
    """2010 x 2020 class-pair counts (7 x 7, codes 0-6) of a ``side`` x ``side`` region."""
    region = _Region((side, side), 30.0, seed)
    step = max(8, block_cells // side)
    counts = np.zeros((7, 7), dtype=np.int64)
    for row0 in range(0, side, step):
        layers = _window_layers(row0, min(side, row0 + step), 0, side, region)
        pair = layers["landuse_2010"].ravel() * 7 + layers["landuse_2020"].ravel()
        counts += np.bincount(pair, minlength=49).reshape(7, 7)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[500, 2000, 10_000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    failed = []
    for side in args.sides:
        start = time.perf_counter()
        m = transfer(side, args.seed)
        total = m.sum()
        before, after = m.sum(axis=1)[1:] / total, m.sum(axis=0)[1:] / total
        gains = (m.sum(axis=0) - np.diag(m))[1:] / total
        print(f"{side} x {side}: {time.perf_counter() - start:.1f} s")
        for code, b, a, g in zip(CODES, before, after, gains, strict=True):
            print(f"  class {code}: {b:7.2%} -> {a:7.2%}, gains {g:6.2%}")
        grown = after > before
        ok = min(before.min(), after.min()) >= 0.003 and max(before.max(), after.max()) <= 0.9
        if not (ok and (gains[grown] >= 0.002).all()):
            failed.append(side)
    print("every size holds the change pattern" if not failed else f"FAILED at {failed}")


if __name__ == "__main__":
    main()
