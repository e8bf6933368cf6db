"""Benchmark: the synthetic region's change pattern at 500, 2000 and 10 000 cells a side.

For each side, the land use of 2010 and 2020 is generated row block by row block (never a
whole layer; bounded memory at 10^8 cells) and tallied into a 2010 -> 2020 transfer
matrix. Printed per class: share in 2010 and 2020, and gains between them (share of the
map). Checked, as ``tests/datasets/test_synthetic.py`` checks at small sizes: every class
is on the map (>= 0.3 %), none over 90 %, and every class that grows gained >= 0.2 % of
the map (enough for a 5 % training sample of the simulation to see it). Then the same for
windows (``--window`` cells a side) of the largest region at its four corners and centre,
each generated on its own: every class that grew on that whole map gained >= 0.2 % of
every window.

Run: ``.venv/bin/python benchmarks/synthetic_sizes.py [--sides 500 2000 10000] [--seed 0]
[--window 1000]``. At 10 000 a side the land use of the whole map takes some minutes on
a shared 2-core VM (every layer is generated, not only land use).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from landcarbon.datasets.synthetic import _Region, _window_layers

CODES = range(1, 7)


def transfer(
    side: int,
    seed: int,
    window: tuple[int, int, int, int] | None = None,
    block_cells: int = 1 << 19,
) -> np.ndarray:
    """2010 x 2020 class-pair counts (7 x 7, codes 0-6) of a ``side`` x ``side`` region, or
    of its ``window`` (row0, row1, col0, col1)."""
    region = _Region((side, side), 30.0, seed)
    row0, row1, col0, col1 = window or (0, side, 0, side)
    step = max(8, block_cells // (col1 - col0))
    counts = np.zeros((7, 7), dtype=np.int64)
    for r in range(row0, row1, step):
        layers = _window_layers(r, min(row1, r + step), col0, col1, region)
        pair = layers["landuse_2010"].ravel() * 7 + layers["landuse_2020"].ravel()
        counts += np.bincount(pair, minlength=49).reshape(7, 7)
    return counts


def _report(label: str, m: np.ndarray, seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Print and return the shares before and after and the gains (share of the cells)."""
    total = m.sum()
    before, after = m.sum(axis=1)[1:] / total, m.sum(axis=0)[1:] / total
    gains = (m.sum(axis=0) - np.diag(m))[1:] / total
    print(f"{label}: {seconds:.1f} s")
    for code, b, a, g in zip(CODES, before, after, gains, strict=True):
        print(f"  class {code}: {b:7.2%} -> {a:7.2%}, gains {g:6.2%}")
    return before, after, gains


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[500, 2000, 10_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=int, default=1000, help="window side; 0: none")
    args = parser.parse_args()
    failed = []
    grown = np.zeros(6, dtype=bool)
    for side in args.sides:
        start = time.perf_counter()
        m = transfer(side, args.seed)
        before, after, gains = _report(f"{side} x {side}", m, time.perf_counter() - start)
        grown = after > before
        ok = min(before.min(), after.min()) >= 0.003 and max(before.max(), after.max()) <= 0.9
        if not (ok and (gains[grown] >= 0.002).all()):
            failed.append(str(side))
    side, w = max(args.sides), args.window
    if 0 < w < side:
        far = side - w
        for name, r0, c0 in [
            ("north-west", 0, 0),
            ("north-east", 0, far),
            ("south-west", far, 0),
            ("south-east", far, far),
            ("centre", far // 2, far // 2),
        ]:
            start = time.perf_counter()
            m = transfer(side, args.seed, (r0, r0 + w, c0, c0 + w))
            label = f"{side} x {side}, {name} {w} x {w} window"
            _, _, gains = _report(label, m, time.perf_counter() - start)
            if not (gains[grown] >= 0.002).all():
                failed.append(label)
    print("every size holds the change pattern" if not failed else f"FAILED: {failed}")


if __name__ == "__main__":
    main()
