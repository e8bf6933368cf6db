"""The [landuse] chapter: transfer matrices of a study, checked against pandas.crosstab."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.datasets import synthetic_region
from landcarbon.study.run import run_study

STUDY = """
[study]
name = "landuse chapter"

[synthetic]
shape = [60, 80]
seed = 5

[inputs]
categorical = ["lu2000", "lu2010", "lu2020"]

[rasters]
lu2000 = "synthetic_data/landuse_2000.tif"
lu2010 = "synthetic_data/landuse_2010.tif"
lu2020 = "synthetic_data/landuse_2020.tif"

[landuse]
maps = { "2000" = "lu2000", "2010" = "lu2010", "2020" = "lu2020" }
"""


def test_transfer_matrices_of_a_study(tmp_path: Path):
    (tmp_path / "study.toml").write_text(STUDY)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    assert [r.name for r in result.records] == [
        "landuse_maps",
        "transfer_2000_2010",
        "transfer_2010_2020",
        "transfer_2000_2020",
    ]
    maps = sorted(p.name for p in (tmp_path / "out" / "landuse" / "maps").iterdir())
    assert maps == ["landuse_2000.png", "landuse_2010.png", "landuse_2020.png"]
    region = synthetic_region((60, 80), seed=5)
    a = region["landuse_2000"].values.ravel()
    b = region["landuse_2020"].values.ravel()
    # independent reference: a cross-tabulation of cells x 0.09 ha (30 m cells)
    got = pd.read_csv(tmp_path / "out/landuse/transfer_2000_2020/transfer_ha.csv", index_col=0)
    # no class table: classes are "class N", never invented names
    assert list(got.index) == list(got.columns)
    assert all(c.startswith("class ") for c in got.columns)
    codes = [int(c.removeprefix("class ")) for c in got.columns]
    expected = pd.crosstab(a, b).reindex(index=codes, columns=codes, fill_value=0) * 0.09
    np.testing.assert_allclose(got.to_numpy(dtype=float), expected.to_numpy(), rtol=1e-12)
    changed = next(r for r in result.records if r.name == "transfer_2000_2020").summary[
        "changed_area_ha"
    ]
    assert changed == pytest.approx(np.count_nonzero(a != b) * 0.09, rel=1e-12)
    assert (tmp_path / "out/landuse/transfer_2000_2020/sankey.png").stat().st_size > 5000
