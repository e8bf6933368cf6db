"""The [sinks] chapter runs from a study file on the synthetic region, cached on rerun."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from landcarbon.raster import read_raster
from landcarbon.study.examples import _folder
from landcarbon.study.run import run_study

STUDY = """
[study]
name = "sinks chapter"
seed = 1

[synthetic]
shape = [120, 140]

[inputs]
categorical = ["landuse", "vegetation"]
classes = "cnlucc"

[rasters]
landuse = "synthetic_data/landuse_2020.tif"
vegetation = "synthetic_data/vegetation.tif"
npp = "synthetic_data/npp.tif"
soc = "synthetic_data/soc_topsoil.tif"
dem = "synthetic_data/dem.tif"
slope = "synthetic_data/slope.tif"
precipitation = "synthetic_data/precipitation.tif"
population = "synthetic_data/population.tif"
accumulated_temperature = "synthetic_data/accumulated_temperature.tif"

[tables]
vegetation_density = "tables/vegetation_density.csv"

[sinks]
nep = "npp"
vegetation = "vegetation"
vegetation_density = "vegetation_density"
soil_carbon = "soc"
landuse = "landuse"
min_area_ha = 10.0

[sinks.factors]
slope = "slope"
elevation = "dem"
precipitation = "precipitation"
population = "population"
accumulated_temperature = "accumulated_temperature"
"""


def test_sinks_chapter_end_to_end(tmp_path: Path):
    shutil.copytree(_folder() / "tables", tmp_path / "tables")
    (tmp_path / "study.toml").write_text(STUDY)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    assert [r.status for r in result.records] == ["ran"]
    zones = read_raster(tmp_path / "out" / "sinks" / "sink_zones.tif", "categorical").values
    assert set(np.unique(zones)) - {np.iinfo(np.int32).min} <= {0, 1, 2, 3}
    manifest = json.loads(result.manifest.read_text())
    assert manifest["steps"][0]["summary"]["patches"] >= 1
    assert any("Wensu" in c for c in manifest["citations"])
    assert result.report is not None and "sink_zones" in result.report.read_text()
    again = run_study(tmp_path / "study.toml", tmp_path / "out")
    assert [r.status for r in again.records] == ["cached"]


def test_strategy_texts_are_given_once_per_pattern_in_a_legend_table(tmp_path: Path):
    import pandas as pd

    shutil.copytree(_folder() / "tables", tmp_path / "tables")
    (tmp_path / "study.toml").write_text(STUDY)
    run_study(tmp_path / "study.toml", tmp_path / "out")
    sinks = tmp_path / "out" / "sinks"
    patches = pd.read_csv(sinks / "strategies_table.csv")
    legend = pd.read_csv(sinks / "strategy_legend.csv")
    # the patch table points at the legend; the long texts are not repeated per row
    assert "approach" not in patches and "strategy" not in patches
    assert legend["pattern_id"].is_unique and legend["approach"].str.len().min() > 20
    assert set(patches["pattern_id"]) == set(legend["pattern_id"])
    by_pattern = patches.groupby("pattern_id")["area_ha"].agg(["size", "sum"])
    got = legend.set_index("pattern_id")
    np.testing.assert_array_equal(got["patches"], by_pattern["size"])
    np.testing.assert_allclose(got["area_ha"], by_pattern["sum"], rtol=1e-12)
    assert got["patches"].sum() == len(patches) > len(got)
