"""The [erosion] chapter on the synthetic region: A equals the product of its factor maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
