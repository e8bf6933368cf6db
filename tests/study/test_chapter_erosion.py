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
classes = "cnlucc"  # the shipped B, E, T rows are keyed by land-use group
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
tables = "redsoil"
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


def test_erosion_preset_without_classes_is_refused(tmp_path: Path):
    # no silent CNLUCC default: the B, E, T preset reaches the map's codes only through
    # the groups of [inputs] classes
    from landcarbon.errors import TableError

    (tmp_path / "study.toml").write_text(STUDY.replace('classes = "cnlucc"', "#"))
    with pytest.raises(TableError, match=r"\[\[land_use\]\] is keyed by land-use group"):
        run_study(tmp_path / "study.toml", tmp_path / "out")


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


def test_texture_key_gives_epic_k(tmp_path: Path):
    # [erosion] texture = [sand, silt, clay] with soc: K by EPIC (Zhang 2007 correction),
    # by hand for 40/40/20 % and 15 g/kg as in tests/cli/test_erosion_cli.py
    from landcarbon.raster import write_raster
    from landcarbon.study.config import load_study

    text = STUDY.replace(
        'landuse = "landuse"\n',
        'landuse = "landuse"\ntexture = ["sand", "silt", "clay"]\nsoc = "soc"\n',
    )
    text = text.replace(
        "[erosion]",
        'sand = "sand.tif"\nsilt = "silt.tif"\nclay = "clay.tif"\nsoc = "soc.tif"\n\n[erosion]',
    )
    (tmp_path / "study.toml").write_text(STUDY)
    load_study(tmp_path / "study.toml").prepare_inputs()  # the synthetic grid
    dem = read_raster(tmp_path / "synthetic_data" / "dem.tif")
    for name, value in (("sand", 40.0), ("silt", 40.0), ("clay", 20.0), ("soc", 15.0)):
        write_raster(dem.copy(data=np.full(dem.shape, value)), tmp_path / f"{name}.tif")
    (tmp_path / "study.toml").write_text(text)
    run_study(tmp_path / "study.toml", tmp_path / "out")
    c, sn1 = 1.5, 0.6
    k_epic = (
        (0.2 + 0.3 * np.exp(-0.0256 * 40 * (1 - 0.4)))
        * (40 / 60) ** 0.3
        * (1 - 0.25 * c / (c + np.exp(3.72 - 2.95 * c)))
        * (1 - 0.7 * sn1 / (sn1 + np.exp(-5.51 + 22.9 * sn1)))
    )
    k = read_raster(tmp_path / "out" / "erosion" / "k_factor.tif").values
    assert np.isfinite(k).sum() > 0.9 * k.size
    np.testing.assert_allclose(k[np.isfinite(k)], (-0.01383 + 0.51575 * k_epic) * 0.1317, 1e-6)


def test_method_options_are_set_from_the_study_file(tmp_path: Path):
    # the LS and R options of [erosion] reach the maps: the CSLE defaults give
    # topography()'s defaults; McCool m with the accumulation rule capped at 300 m and
    # the Fournier monthly R give those
    from landcarbon.erosion.rainfall import r_factor_monthly
    from landcarbon.erosion.terrain import topography

    options = (
        'exponent = "mccool"\nslope_length = "accumulation"\nlambda_max_m = 300.0\n'
        'r_monthly = "fournier"\n'
    )
    base, changed = tmp_path / "base", tmp_path / "changed"
    for folder, extra in ((base, ""), (changed, options)):
        folder.mkdir()
        text = STUDY.replace('region = "northwest_loess"', f'region = "northwest_loess"\n{extra}')
        (folder / "study.toml").write_text(text)
        run_study(folder / "study.toml", folder / "out")
    dem = read_raster(base / "synthetic_data" / "dem.tif")
    precip = read_raster(base / "synthetic_data" / "monthly_precipitation.tif", band=0)
    for folder, ls, r in (
        (base, topography(dem).ls_factor, r_factor_monthly(precip)),
        (
            changed,
            topography(
                dem, exponent="mccool", slope_length="accumulation", lambda_max_m=300.0
            ).ls_factor,
            r_factor_monthly(precip, variant="fournier"),
        ),
    ):
        out = folder / "out" / "erosion"
        np.testing.assert_allclose(read_raster(out / "ls_factor.tif").values, ls.values, rtol=1e-6)
        np.testing.assert_allclose(read_raster(out / "r_factor.tif").values, r.values, rtol=1e-6)


def test_bad_method_option_in_the_study_file_is_one_error_line(tmp_path: Path):
    from landcarbon.testing import one_error_line, run_cli

    study = tmp_path / "study.toml"
    study.write_text(
        STUDY.replace(
            'region = "northwest_loess"', 'region = "northwest_loess"\nslope_length = "d8"'
        )
    )
    line = one_error_line(run_cli("validate", str(study)))
    assert "slope_length" in line and "'d8'" in line and "cumulative" in line, line


@pytest.mark.parametrize(
    ("line", "wanted"),
    [
        (
            'tables = "redsoil"\n',
            "erosion.tables: required key is missing: Erosion tables: 'redsoil'",
        ),
        (
            'region = "northwest_loess"\n',
            "erosion.region: required key is missing: SL 190-2007 region",
        ),
    ],
)
def test_the_erosion_tables_and_region_are_never_assumed(tmp_path: Path, line: str, wanted: str):
    """Without them the study got southern China's red-soil B, E, T, K and SOC and its
    tolerable loss; now validate names the key and what to give."""
    from landcarbon.testing import one_error_line, run_cli

    study = tmp_path / "study.toml"
    study.write_text(STUDY.replace(line, ""))
    assert wanted in one_error_line(run_cli("validate", str(study)))


def test_grade_areas_of_each_scenario_and_year_in_their_own_table(tmp_path: Path):
    import pandas as pd
    from PIL import Image

    (tmp_path / "study.toml").write_text(STUDY)
    run_study(tmp_path / "study.toml", tmp_path / "out")
    out = tmp_path / "out"
    grades = pd.read_csv(out / "erosion" / "scenario_grades.csv").set_index("climate")
    names = ["slight", "light", "moderate", "intense", "very_intense", "severe"]
    assert list(grades.columns) == ["land_use_scenario", "year", *(f"{g}_ha" for g in names)]
    # the wide scenario table no longer carries them (it overflowed the page)
    wide = pd.read_csv(out / "erosion" / "scenarios.csv")
    assert not {f"{g}_ha" for g in names} & set(wide.columns)
    # under the x1.0 climate the grades are the baseline run's grade map, 0.09 ha a cell
    grade = read_raster(out / "erosion" / "erosion_grade.tif", "categorical").values
    by_hand = [np.count_nonzero(grade == i + 1) * 0.09 for i in range(len(names))]
    same = grades.loc["same", [f"{g}_ha" for g in names]].to_numpy(dtype=float)
    np.testing.assert_allclose(same, by_hand, atol=3 * 0.09)  # K, LS stored as float32
    assert same.sum() == pytest.approx(sum(by_hand), rel=1e-12)
    wetter = grades.loc["wetter", [f"{g}_ha" for g in names]].to_numpy(dtype=float)
    assert wetter[0] < same[0]  # more rain: less of the map in the slight grade
    with Image.open(out / "report" / "figures" / "erosion_grades.png") as image:
        assert image.info["dpi"][0] == pytest.approx(300, abs=0.01)


def test_soil_loss_map_of_each_climate_and_scenario_year(tmp_path: Path):
    """The scenario run writes the soil-loss map of every climate x land-use scenario x
    year (the maps the erosion paper shows), and the report draws and exports them."""
    import pandas as pd

    (tmp_path / "study.toml").write_text(STUDY)
    run_study(tmp_path / "study.toml", tmp_path / "out")
    out = tmp_path / "out"
    baseline = read_raster(out / "erosion" / "soil_loss_t_per_ha.tif").values
    maps = {
        climate: read_raster(
            out / "erosion" / "scenarios" / f"soil_loss_{climate}_observed_2020_t_per_ha.tif"
        )
        for climate in ("same", "wetter")
    }
    assert maps["wetter"].attrs.get("units") == "t/ha/yr"
    # x1.0: the baseline map itself; x1.1: R (Wischmeier-Arnoldus, sum of (p_i^2/P)^1.5)
    # grows by 1.1^1.5 in every cell, K, LS, B, E and T stay
    np.testing.assert_allclose(maps["same"].values, baseline, rtol=1e-5)
    np.testing.assert_allclose(maps["wetter"].values, baseline * 1.1**1.5, rtol=1e-5)
    table = pd.read_csv(out / "erosion" / "scenarios.csv").set_index("climate")
    for climate, da in maps.items():  # the table's total is the map's, 0.09 ha a cell
        total = np.nansum(da.values) * 0.09
        assert table.loc[climate, "total_t"] == pytest.approx(total, rel=1e-5)
    stem = "erosion.soil_loss.wetter.observed_2020"
    assert (out / "report" / "img" / f"{stem}.png").is_file()
    for suffix in (".png", ".svg"):
        assert (out / "report" / "figures" / f"{stem}{suffix}").is_file()
