"""``landcarbon init`` through the real entry point: a study from the user's own maps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.raster import read_raster, write_raster
from landcarbon.testing import make_raster, one_error_line, run_cli


def test_init_on_plum_island_writes_a_study_that_validates(shared_data: Path, tmp_path: Path):
    pie = shared_data / "lulcc_plum_island"
    maps = [pie / f"lu_pie_{y}.tif" for y in (1985, 1991, 1999)]
    study = tmp_path / "pie" / "study.toml"
    proc = run_cli(
        "--json", "init", *map(str, maps), "-d", str(pie / "ef_002.tif"), "--out", str(study)
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    # cells per class of 1985, as the published 1985 -> 1991 matrix's row sums give them
    published = json.loads((pie / "expected.json").read_text())
    rows = published["published"]["transfer_matrix_1985_to_1991"]
    cells_1985 = {c["code"]: c["cells"] for c in summary["maps"][0]["classes"]}
    names = ("Forest", "Built", "Other")
    assert [cells_1985[c] for c in (1, 2, 3)] == [sum(rows[n]) for n in names]
    cells_1991 = {c["code"]: c["cells"] for c in summary["maps"][1]["classes"]}
    assert [cells_1991[c] for c in (1, 2, 3)] == np.sum([rows[n] for n in names], axis=0).tolist()
    # areas are true hectares: cells x the 99.92 m x 99.95 m cell
    grid_area = 99.92 * 99.95 / 10_000
    for row in summary["maps"][0]["classes"]:
        assert row["area_ha"] == pytest.approx(row["cells"] * grid_area, rel=1e-3)
    classes = pd.read_csv(study.parent / "classes.csv", keep_default_na=False)
    assert classes["code"].tolist() == [1, 2, 3]
    assert classes["name"].tolist() == ["class 1", "class 2", "class 3"]  # nothing invented
    assert classes["group"].tolist() == ["", "", ""]
    pools = pd.read_csv(study.parent / "pools.csv")
    assert pools["code"].tolist() == [1, 2, 3] and pools["c_above"].isna().all()
    factors = pd.read_csv(study.parent / "emission_factors.csv")
    assert factors["factor_t_c_per_ha_yr"].isna().all()
    text = study.read_text()
    assert "target_year = 2007" in text and "years = [1991, 1999]" in text
    assert run_cli("validate", str(study)).returncode == 0


def _codes_10_20_90(tmp_path: Path, year: int) -> Path:
    rng = np.random.default_rng(year)
    data = rng.choice(np.array([10, 20, 90], dtype=np.int32), size=(12, 15))
    path = tmp_path / f"landcover_{year}.tif"
    write_raster(make_raster(data), path)
    return path


def test_init_takes_chinese_category_names_from_the_aux_xml(tmp_path: Path):
    maps = [_codes_10_20_90(tmp_path, y) for y in (2000, 2020)]
    # GDAL category names (index = code), as ArcGIS / QGIS store them in the PAM file
    categories = ["" for _ in range(91)]
    categories[10], categories[20], categories[90] = "耕地", "林地", "建设用地"
    cats = "".join(f"<Category>{c}</Category>" for c in categories)
    Path(f"{maps[0]}.aux.xml").write_text(
        f'<PAMDataset><PAMRasterBand band="1"><CategoryNames>{cats}</CategoryNames>'
        "</PAMRasterBand></PAMDataset>",
        encoding="utf-8",
    )
    # a raster attribute table on the other date (Value + Name columns)
    rows = "".join(
        f"<Row index='{i}'><F>{c}</F><F>{n}</F></Row>"
        for i, (c, n) in enumerate([(10, "耕地"), (20, "林地"), (90, "建设用地")])
    )
    Path(f"{maps[1]}.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><GDALRasterAttributeTable>'
        "<FieldDefn index='0'><Name>Value</Name><Type>0</Type><Usage>0</Usage></FieldDefn>"
        "<FieldDefn index='1'><Name>Name</Name><Type>2</Type><Usage>2</Usage></FieldDefn>"
        f"{rows}</GDALRasterAttributeTable></PAMRasterBand></PAMDataset>",
        encoding="utf-8",
    )
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    study = tmp_path / "study" / "study.toml"
    proc = run_cli("init", *map(str, maps), "--out", str(study))
    assert proc.returncode == 0, proc.stderr
    classes = pd.read_csv(study.parent / "classes.csv", keep_default_na=False)
    assert dict(zip(classes["code"], classes["name"], strict=True)) == {
        10: "耕地",
        20: "林地",
        90: "建设用地",
    }
    assert {p: p.read_bytes() for p in before} == before  # inputs untouched
    assert run_cli("validate", str(study)).returncode == 0


def test_init_reads_landcarbon_class_names_tag(tmp_path: Path):
    path = tmp_path / "lc_2010.tif"
    data = np.array([[10, 20], [90, 10]], dtype=np.int32)
    write_raster(make_raster(data), path, classes={10: ("水田", "#ffff00"), 20: ("林", "#00aa00")})
    study = tmp_path / "out" / "s.toml"
    assert run_cli("init", str(path), "--out", str(study)).returncode == 0
    classes = pd.read_csv(study.parent / "classes.csv", keep_default_na=False)
    assert classes["name"].tolist() == ["水田", "林", "class 90"]  # 90 has no name in the file
    # the file's colour table is the user's choice of colours: carried over, 90 has none
    assert classes["colour"].tolist() == ["#ffff00", "#00aa00", ""]
    assert read_raster(path, "categorical").shape == (2, 2)


def test_init_never_replaces_existing_files_without_overwrite(tmp_path: Path):
    maps = [_codes_10_20_90(tmp_path, y) for y in (2000, 2020)]
    (tmp_path / "classes.csv").write_text("my own table\n")
    study = tmp_path / "study.toml"
    line = one_error_line(run_cli("init", *map(str, maps), "--out", str(study)))
    assert "classes.csv: exists; pass --overwrite" in line
    assert (tmp_path / "classes.csv").read_text() == "my own table\n"
    assert not study.exists()
    proc = run_cli("init", *map(str, maps), "--out", str(study), "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "classes.csv").read_text().startswith("code,name,colour,group")


def test_init_refuses_to_write_onto_an_input(tmp_path: Path):
    map_ = _codes_10_20_90(tmp_path, 2000)
    line = one_error_line(run_cli("init", str(map_), "--out", str(map_), "--overwrite"))
    assert "is one of the input files" in line


def test_init_needs_a_year_per_map(tmp_path: Path):
    path = tmp_path / "landcover.tif"
    write_raster(make_raster(np.array([[10, 20]], dtype=np.int32)), path)
    line = one_error_line(run_cli("init", str(path), "--out", str(tmp_path / "s.toml")))
    assert "no single four-digit year in the file name" in line and "--year" in line
    proc = run_cli("init", str(path), "--year", "2015", "--out", str(tmp_path / "s.toml"))
    assert proc.returncode == 0, proc.stderr
    line = one_error_line(
        run_cli("init", str(path), "--year", "2015", "--year", "2020", "--out", "x.toml")
    )
    assert "one year per map" in line
