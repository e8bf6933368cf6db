"""The [drivers] chapter: GeoDetector q of a study's drivers equals a direct computation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from landcarbon.datasets import synthetic_region
from landcarbon.study.run import run_study

STUDY = """
[study]
name = "drivers chapter"

[synthetic]
shape = [40, 50]
seed = 3

[inputs]
categorical = ["landuse", "vegetation"]

[rasters]
npp = "synthetic_data/npp.tif"
landuse = "synthetic_data/landuse_2020.tif"
vegetation = "synthetic_data/vegetation.tif"

[drivers]
y = "npp"
x = ["landuse", "vegetation"]
sample = 0
"""


def _q(y: np.ndarray, strata: np.ndarray) -> float:
    """q = 1 - SSW/SST written out with a Python loop over strata (independent reference)."""
    sst = ((y - y.mean()) ** 2).sum()
    ssw = sum(((y[strata == s] - y[strata == s].mean()) ** 2).sum() for s in np.unique(strata))
    return float(1 - ssw / sst)


def test_drivers_chapter_q_matches_definition(tmp_path: Path):
    (tmp_path / "study.toml").write_text(STUDY)
    run_study(tmp_path / "study.toml", tmp_path / "out")
    data = json.loads((tmp_path / "out/drivers/geodetector.json").read_text())
    region = synthetic_region((40, 50), seed=3)
    y = region["npp"].values.astype(np.float32).astype(np.float64).ravel()  # stored float32
    for name, layer in (("landuse", "landuse_2020"), ("vegetation", "vegetation")):
        strata = region[layer].values.ravel()
        assert data["factor"][name]["q"] == pytest.approx(_q(y, strata), rel=1e-9)
    assert data["n"] == y.size
    assert (tmp_path / "out/drivers/q.png").stat().st_size > 3000
