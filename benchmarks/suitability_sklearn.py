"""The peer of the suitability benchmark: scikit-learn directly, no landcarbon.

Reads the two land-use maps and the drivers with rasterio, draws ``rate`` of the cells that
changed class (PLUS's expansion map), fits one ``RandomForestClassifier`` per class (class
vs the rest: bootstrap, Gini, every driver per split, out-of-bag score, as LEAS), predicts
``predict_proba`` on every cell in blocks and writes ``probability_<code>.tif`` per class
and the ``probability.tif`` stack (float32, the creation options given). What a user would
write by hand with scikit-learn on the same files.

Run: ``python benchmarks/suitability_sklearn.py T0 T1 OUT_DIR TREES THREADS RATE
'{"compress": "zstd", ...}' DRIVER [DRIVER ...]``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import rasterio
from sklearn.ensemble import RandomForestClassifier

BLOCK = 1 << 20  # cells predicted at once


def main() -> None:
    t0_path, t1_path, out_dir, trees, threads, rate, codec, *driver_paths = sys.argv[1:]
    with rasterio.open(t0_path) as src:
        t0 = src.read(1)
    with rasterio.open(t1_path) as src:
        t1 = src.read(1)
        profile = src.profile
    x = np.empty((t1.size, len(driver_paths)), dtype=np.float32)
    for j, path in enumerate(driver_paths):
        with rasterio.open(path) as src:
            x[:, j] = src.read(1).ravel()
    labels = np.where(t0 != t1, t1, 0).ravel()
    rng = np.random.default_rng(0)
    changed = np.flatnonzero(labels)
    sample = rng.choice(changed, size=max(1, int(float(rate) * changed.size)), replace=False)
    codes = np.unique(np.concatenate([np.unique(t0), np.unique(t1)]))
    out = np.empty((codes.size, t1.size), dtype=np.float32)
    for i, code in enumerate(codes):
        forest = RandomForestClassifier(
            n_estimators=int(trees), bootstrap=True, oob_score=True, n_jobs=int(threads)
        )
        forest.fit(x[sample], labels[sample] == code)
        positive = list(forest.classes_).index(True)
        for start in range(0, t1.size, BLOCK):
            rows = slice(start, start + BLOCK)
            out[i, rows] = forest.predict_proba(x[rows])[:, positive]
    folder = Path(out_dir)
    folder.mkdir(parents=True)
    profile.update(
        dtype="float32", nodata=np.nan, tiled=True, blockxsize=256, blockysize=256, count=1
    )
    profile.update(json.loads(codec))
    maps = out.reshape(codes.size, *t1.shape)
    for code, layer in zip(codes, maps, strict=True):
        with rasterio.open(folder / f"probability_{code}.tif", "w", **profile) as dst:
            dst.write(layer, 1)
    with rasterio.open(folder / "probability.tif", "w", **{**profile, "count": codes.size}) as dst:
        dst.write(maps)


if __name__ == "__main__":
    main()
