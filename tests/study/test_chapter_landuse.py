"""The [landuse] chapter: transfer matrices of a study, checked against pandas.crosstab."""

from __future__ import annotations

import re
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
    assert maps == ["landuse_2000.png", "landuse_2010.png", "landuse_2020.png", "landuse_all.png"]
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


def test_transfer_tables_name_the_scheme_classes_and_figures_are_exported(tmp_path: Path):
    from PIL import Image

    from landcarbon.classes import named_scheme

    study = STUDY.replace("categorical = [", 'classes = "cnlucc"\ncategorical = [')
    (tmp_path / "study.toml").write_text(study)
    run_study(tmp_path / "study.toml", tmp_path / "out")
    out = tmp_path / "out"
    ha = pd.read_csv(out / "landuse/transfer_2000_2020/transfer_ha.csv", index_col=0)
    region = synthetic_region((60, 80), seed=5)
    codes = sorted(int(c) for c in np.unique(region["landuse_2000"].values))
    names = [v[0] for v in named_scheme("cnlucc").legend(codes).values()]
    assert list(ha.index) == list(ha.columns) == names  # cropland, forest, ...
    # every cell once: the matrix sums to the map's area (60 x 80 cells of 0.09 ha)
    assert ha.to_numpy().sum() == pytest.approx(60 * 80 * 0.09, rel=1e-12)
    changes = pd.read_csv(out / "landuse/transfer_2000_2020/class_changes.csv")
    assert list(changes["name"]) == names and "dynamic_degree_pct_per_yr" in changes
    figures = out / "report" / "figures"
    for stem in ("landuse_2000", "landuse_all", "sankey_2000_2020", "sankey_2000_2010"):
        with Image.open(figures / f"{stem}.png") as image:
            assert image.info["dpi"][0] == pytest.approx(300, abs=0.01)
        assert "<svg" in (figures / f"{stem}.svg").read_text()
    # the three dates side by side, one legend naming every class of the scheme
    panel = (figures / "landuse_all.svg").read_text()
    assert panel.count('<g id="axes_') == 3
    texts = re.findall(r"<!-- (.*?) -->", panel)  # matplotlib notes each text drawn
    assert [t for t in texts if t in ("2000", "2010", "2020")] == ["2000", "2010", "2020"]
    assert [t for t in texts if t.split(" ", 1)[-1] in names] == [
        f"{c} {n}" for c, n in zip(codes, names, strict=True)
    ]
