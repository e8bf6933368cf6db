"""The [erosion] chapter on the synthetic region: A equals the product of its factor maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landcarbon.raster import read_raster
from landcarbon.study.run import run_study

STUDY = """
[study]
name = "erosion chapter"

[synthetic]
shape = [64, 72]
seed = 2

[inputs]
categorical = ["landuse", "soil"]

[rasters]
dem = "synthetic_data/dem.tif"
precipitation = "synthetic_data/monthly_precipitation.tif"
soil = "synthetic_data/soil_texture.tif"
landuse = "synthetic_data/landuse_2020.tif"

[erosion]
dem = "dem"
precipitation = "precipitation"
soil = "soil"
landuse = "landuse"
region = "northwest_loess"
climate = { same = { "2020" = 1.0 }, wetter = { "2020" = 1.1 } }
maps = { observed_2020 = "landuse" }
"""


def test_erosion_chapter_soil_loss_is_the_factor_product(tmp_path: Path):
    (tmp_path / "study.toml").write_text(STUDY)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    out = tmp_path / "out" / "erosion"
    product = np.prod(
        np.stack(
            [read_raster(out / f"{f}_factor.tif").values for f in ("r", "k", "ls", "b", "e", "t")]
        ),
        axis=0,
    )
    a = read_raster(out / "soil_loss_t_per_ha.tif").values
    np.testing.assert_allclose(a, product, rtol=1e-5)  # maps are stored as float32
    summary = result.records[0].summary
    assert summary["total_t"] > 0 and summary["conservation_t"] >= 0
    # the total is the per-ha loss times 0.09 ha cells, summed
    assert np.isclose(summary["total_t"], np.nansum(a) * 0.09, rtol=1e-5)


def test_scenario_table_with_unchanged_climate_reproduces_the_baseline(tmp_path: Path):
    import pandas as pd

    (tmp_path / "study.toml").write_text(STUDY)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    baseline = result.records[0].summary
    table = pd.read_csv(tmp_path / "out" / "erosion" / "scenarios.csv").set_index("climate")
    # the baseline map under a x1.0 climate is the baseline run itself (from K and LS maps
    # stored as float32, hence the tolerance)
    assert table.loc["same", "total_t"] == pytest.approx(baseline["total_t"], rel=1e-5)
    assert table.loc["wetter", "total_t"] > table.loc["same", "total_t"]
