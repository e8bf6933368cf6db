"""One class scheme per study: a class table with codes 10/20/90 and Chinese names labels
the transfer tables, the simulated GeoTIFF (category names, attribute table, tags, .qml)
and the report, through the real ``landcarbon run``; bad class tables and scheme names are
one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

from landcarbon.datasets import write_synthetic_region
from landcarbon.raster import read_raster, write_raster
from landcarbon.testing import run_cli

NAMES = {10: "耕地", 20: "林地", 90: "建设用地"}

STUDY = """
[study]
name = "classes"

[inputs]
categorical = ["lu2010", "lu2020"]
classes = "classes"

[rasters]
lu2010 = "lu2010.tif"
lu2020 = "lu2020.tif"
dem = "data/dem.tif"
slope = "data/slope.tif"

[tables]
classes = "classes.csv"
scenarios = "scenarios.toml"

[landuse]
maps = { "2010" = "lu2010", "2020" = "lu2020" }

[simulation]
t0 = "lu2010"
t1 = "lu2020"
years = [2010, 2020]
target_year = 2030
drivers = ["dem", "slope"]
scenarios = "scenarios"
suitability = "ann"
model = "flus"
sample_rate = 0.3
"""


def _study(tmp_path: Path, classes: str = "code,name\n10,耕地\n20,林地\n90,建设用地\n") -> Path:
    """The synthetic region's 2010 and 2020 maps reclassified to codes 10 (cropland),
    20 (forest, grassland) and 90 (water, built-up, unused), written without class names."""
    layers = write_synthetic_region(
        tmp_path / "data",
        (40, 50),
        seed=3,
        layers=("landuse_2010", "landuse_2020", "dem", "slope"),
    )
    recode = np.array([0, 10, 20, 20, 90, 90, 90])
    for year in (2010, 2020):
        lu = read_raster(layers[f"landuse_{year}"], "categorical")
        write_raster(lu.copy(data=recode[np.asarray(lu.values)]), tmp_path / f"lu{year}.tif")
    (tmp_path / "classes.csv").write_text(classes, encoding="utf-8")
    (tmp_path / "scenarios.toml").write_text(
        '[scenarios.trend]\ndescription = "plain Markov demand"\n'
    )
    study = tmp_path / "study.toml"
    study.write_text(STUDY, encoding="utf-8")
    return study


@pytest.mark.slow
def test_class_table_names_every_output(tmp_path: Path):
    study = _study(tmp_path)
    out = tmp_path / "out"
    proc = run_cli("run", str(study), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    # the transfer matrix is labelled by name, in the table's order of codes
    header = (out / "landuse/transfer_2010_2020/transfer_ha.csv").read_text(encoding="utf-8")
    assert header.splitlines()[0] == "from,耕地,林地,建设用地"
    long = (out / "landuse/transfer_2010_2020/transfer_long.csv").read_text(encoding="utf-8")
    assert "from,from_name,to,to_name" in long and "20,林地,90,建设用地," in long
    # the simulated map: colour table, GDAL category names + attribute table, tag, .qml
    tif = out / "landuse/simulation/trend/lulc_trend_2030.tif"
    with rasterio.open(tif) as ds:
        assert json.loads(ds.tags(1)["class_names"]) == {str(k): v for k, v in NAMES.items()}
        assert set(ds.colormap(1)) >= set(NAMES)
    aux = Path(f"{tif}.aux.xml").read_text(encoding="utf-8")
    categories = aux.split("<CategoryNames>")[1].split("</CategoryNames>")[0]
    listed = [c.split("</Category>")[0] for c in categories.split("<Category>")[1:]]
    assert len(listed) == 91 and {i: listed[i] for i in NAMES} == NAMES
    assert set(listed) - set(NAMES.values()) == {""}
    assert '<Row index="2"><F>90</F><F>建设用地</F>' in aux
    qml = tif.with_suffix(".qml").read_text(encoding="utf-8")
    assert all(f'value="{k}"' in qml and f'label="{v}"' in qml for k, v in NAMES.items())
    report = (out / "report/index.html").read_text(encoding="utf-8")
    assert all(name in report for name in NAMES.values())
    for text in (header, long, aux, qml, report):
        assert "cropland" not in text and "class 10" not in text
    # CJK names in maps and charts: no warning per glyph, at most one about the font
    assert "Glyph" not in proc.stderr
    assert proc.stderr.count("fonts-noto-cjk") <= 1


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        (
            "code,name\n10,耕地\n20,耕地\n90,建设用地\n",
            "duplicate name(s) '耕地' (code 10), '耕地' (code 20); give each class its own name",
        ),
        (
            "code,name\n10,耕地\n20,林地\n20,草地\n90,建设用地\n",
            "duplicate code(s) [20] in column 'code' (rows 3, 4); keep one row per code",
        ),
        (
            "code,name\n10,耕地\n20,林地\n",
            "codes found in {lu2010} but missing from the class scheme: 90 (",
        ),
        (
            "code,name,group\n10,耕地,cropland\n20,林地,forset\n90,建设用地,built-up\n",
            "column 'group': row 3 (code 20): 'forset' is not a land-use group "
            "(did you mean 'forest'?)",
        ),
    ],
    ids=["duplicate-name", "duplicate-code", "missing-code", "unknown-group"],
)
def test_bad_class_table_is_one_line(tmp_path: Path, classes: str, message: str):
    study = _study(tmp_path, classes)
    text = study.read_text(encoding="utf-8").split("[simulation]")[0]
    study.write_text(text, encoding="utf-8")
    proc = run_cli("run", str(study), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert str(tmp_path / "classes.csv") in errors[0]
    assert message.format(lu2010=tmp_path / "lu2010.tif") in errors[0]


def test_missing_code_lists_cell_counts(tmp_path: Path):
    study = _study(tmp_path, "code,name\n10,耕地\n20,林地\n")
    study.write_text(study.read_text(encoding="utf-8").split("[simulation]")[0])
    n90 = int((np.asarray(read_raster(tmp_path / "lu2010.tif", "categorical").values) == 90).sum())
    proc = run_cli("run", str(study), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert f"90 ({n90} cells); add a row for each code to the class table" in proc.stderr


def test_unknown_scheme_name_is_one_line_with_did_you_mean(tmp_path: Path):
    study = _study(tmp_path)
    text = study.read_text(encoding="utf-8").split("[simulation]")[0]
    study.write_text(text.replace('classes = "classes"', 'classes = "worldcovr"'))
    proc = run_cli("run", str(study), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(study) in errors[0]
    assert "[inputs] classes = 'worldcovr'" in errors[0]
    assert "(did you mean 'worldcover'?)" in errors[0]
    assert not (tmp_path / "out").exists()
