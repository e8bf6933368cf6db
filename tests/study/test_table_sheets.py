"""A study's [tables] entry may name a workbook sheet: ``book.xlsx#Sheet``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl

from landcarbon.raster import write_raster
from landcarbon.testing import make_raster, run_cli


def _study(tmp_path: Path, pools: str) -> Path:
    write_raster(make_raster(np.array([[1, 2], [2, 2]], np.int32), cell_size=100.0),
                 tmp_path / "lu.tif")  # fmt: skip
    book = openpyxl.Workbook()
    book.active.title = "pools"
    for row in (["lucode", "c_above", "c_below", "c_soil", "c_dead"], [1, 10.5, 0, 0, 0],
                [2, 20, 0, 0, 0]):  # fmt: skip
        book.active.append(row)
    factors = book.create_sheet("factors")
    for row in (["code", "factor_t_c_per_ha_yr"], [1, 0.5], [2, -0.25]):
        factors.append(row)
    book.save(tmp_path / "book.xlsx")
    study = tmp_path / "study.toml"
    study.write_text(
        f"""
[study]
name = "sheets"

[inputs]
categorical = ["lu"]

[rasters]
lu = "lu.tif"

[tables]
pools = "{pools}"
factors = "book.xlsx#factors"

[carbon]
maps = {{ "2020" = "lu" }}
pools = "pools"
emission_factors = "factors"
"""
    )
    return study


def test_study_tables_from_workbook_sheets(tmp_path: Path):
    out = tmp_path / "out"
    result = run_cli("--json", "run", str(_study(tmp_path, "book.xlsx#pools")), "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.dumps(json.loads(result.stdout)["steps"])
    # 1 ha cells: 1 cell of 10.5 t C/ha and 3 of 20 t C/ha; 0.5 - 3 x 0.25 t C/yr
    assert '"storage_t_c": 70.5' in summary, summary
    assert '"emissions_total_t_c_yr": -0.25' in summary, summary


def test_study_workbook_without_sheet_is_one_error(tmp_path: Path):
    study = _study(tmp_path, "book.xlsx")
    result = run_cli("run", str(study), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1, result.stderr
    assert "book.xlsx: the workbook has 2 sheets (pools, factors) and none is named" in errors[0]
    assert "book.xlsx#pools" in errors[0]
