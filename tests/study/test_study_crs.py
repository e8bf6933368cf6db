"""Rasters without a CRS (the Sibuyan CLUE-S data): refused with the fix, then run with the
CRS the study gives ([inputs] crs), through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from landcarbon.raster import read_grid
from landcarbon.testing import run_cli

# the published 1997 class counts (equal to row 0 of every CLUE-S demand table)
CELLS_1997 = {1: 4723, 2: 1158, 3: 839, 4: 224, 5: 282}
DENSITY = {1: 210.0, 2: 112.0, 3: 59.0, 4: 49.0, 5: 21.0}  # the pools below, summed (t C/ha)


def _study(folder: Path, sibuyan: Path, crs: str | None) -> Path:
    (folder / "classes.csv").write_text(
        "code,name\n1,forest\n2,coconut\n3,grassland\n4,rice\n5,other\n"
    )
    (folder / "pools.csv").write_text(
        "code,c_above,c_below,c_soil,c_dead\n1,100,25,80,5\n2,40,10,60,2\n3,5,3,50,1\n"
        "4,3,1,45,0\n5,1,0,20,0\n"
    )
    study = folder / "study.toml"
    study.write_text(
        '[study]\nname = "Sibuyan 1997"\n[inputs]\ncategorical = ["lu1997"]\n'
        'classes = "classes"\n'
        + (f'crs = "{crs}"\n' if crs else "")
        + f'[rasters]\nlu1997 = "{sibuyan / "lu_sib_1997.tif"}"\n'
        '[tables]\nclasses = "classes.csv"\npools = "pools.csv"\n'
        '[carbon]\nmaps = { "1997" = "lu1997" }\npools = "pools"\n'
    )
    return study


def test_raster_without_crs_is_refused_with_both_fixes(shared_data: Path, tmp_path: Path):
    sibuyan = shared_data / "lulcc_sibuyan"
    assert read_grid(sibuyan / "lu_sib_1997.tif").crs is None
    study = _study(tmp_path, sibuyan, None)
    for command in (("validate", str(study)), ("run", str(study), "--out", str(tmp_path / "o"))):
        proc = run_cli(*command)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 1
        assert "lu_sib_1997.tif: the raster has no CRS" in lines[0]
        assert '[inputs] crs = "EPSG:XXXX"' in lines[0] and "gdal_edit.py -a_srs" in lines[0]
    assert not (tmp_path / "o").exists()


def test_study_crs_georeferences_a_copy_and_gives_true_areas(shared_data: Path, tmp_path: Path):
    sibuyan = shared_data / "lulcc_sibuyan"
    source = (sibuyan / "lu_sib_1997.tif").read_bytes()
    study = _study(tmp_path, sibuyan, "EPSG:32651")  # WGS 84 / UTM 51N: Sibuyan, 122.5 E
    assert run_cli("validate", str(study)).returncode == 0
    out = tmp_path / "out"
    proc = run_cli("run", str(study), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    copy = out / ".cache" / "georeferenced" / "lu1997.tif"
    assert read_grid(copy).crs.to_epsg() == 32651
    assert (sibuyan / "lu_sib_1997.tif").read_bytes() == source  # the input is never written
    # 250 m cells = 6.25 ha, by hand: 6.25 * sum(cells x density)
    expected = 6.25 * sum(CELLS_1997[c] * DENSITY[c] for c in CELLS_1997)
    summary = json.loads((out / "carbon" / "1997" / "account.json").read_text())
    assert summary["storage_t_c"] == pytest.approx(expected, rel=1e-12)
    assert expected == 7_424_531.25


def test_a_crs_gdal_does_not_know_is_a_problem(shared_data: Path, tmp_path: Path):
    study = _study(tmp_path, shared_data / "lulcc_sibuyan", "EPSG:999999")
    proc = run_cli("validate", str(study))
    assert proc.returncode == 1
    assert "inputs.crs: 'EPSG:999999' is not a CRS GDAL knows" in proc.stderr
