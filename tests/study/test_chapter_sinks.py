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
levels = "wensu_county"
strategies = "wensu_county"
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


def test_the_county_tables_are_used_only_when_named(tmp_path: Path):
    """No levels or strategies in [sinks]: validate says how to name them, and runs
    nothing (the county study's thresholds were applied to any region that gave none)."""
    import pytest

    from landcarbon.errors import ConfigError
    from landcarbon.study.config import load_study
    from landcarbon.study.run import build_steps

    shutil.copytree(_folder() / "tables", tmp_path / "tables")
    for key in ("levels", "strategies"):
        (tmp_path / "study.toml").write_text(STUDY.replace(f'{key} = "wensu_county"\n', ""))
        with pytest.raises(
            ConfigError, match=rf"sinks\.{key}: required key is missing: .*wensu_county"
        ):
            build_steps(load_study(tmp_path / "study.toml"))
    assert not (tmp_path / "out").exists()
