"""``landcarbon change``: JSON matrix, CSV tables, misaligned maps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.errors import AlignmentError, OutputExistsError
from landcarbon.raster import write_raster
from landcarbon.testing import make_raster

runner = CliRunner()
BEFORE = np.array([[1, 1, 2], [1, 2, 2]], dtype=np.int32)
AFTER = np.array([[1, 2, 2], [1, 2, 1]], dtype=np.int32)


def _maps(tmp_path: Path, **after_kw: object) -> tuple[str, str]:
    a = write_raster(make_raster(BEFORE), tmp_path / "a.tif")
    b = write_raster(make_raster(AFTER, **after_kw), tmp_path / "b.tif")  # type: ignore[arg-type]
    return str(a), str(b)


def test_json_matrix(tmp_path):
    a, b = _maps(tmp_path)
    result = runner.invoke(app, ["--json", "change", a, b, "--years", "2000", "2010"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # 1->1: 2, 1->2: 1, 2->1: 1, 2->2: 2 cells of 0.09 ha
    assert summary["codes"] == [1, 2]
    assert summary["cells"] == [[2, 1], [1, 2]]
    np.testing.assert_allclose(summary["area_ha"], [[0.18, 0.09], [0.09, 0.18]])
    assert summary["classes"][0]["gain_ha"] == pytest.approx(0.09)
    # changed 0.18 ha of 0.54 ha over 10 years: 0.18 / (2 * 0.54) / 10 * 100
    assert summary["comprehensive_dynamic_degree_pct_per_yr"] == pytest.approx(1 / 0.6)


def test_out_writes_csv_tables(tmp_path):
    a, b = _maps(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["change", a, b, "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        f"{s}.csv"
        for s in (
            "transfer_cells",
            "transfer_ha",
            "transfer_km2",
            "transfer_percent",
            "class_changes",
            "transfer_long",
        )
    )
    cells = pd.read_csv(out / "transfer_cells.csv", index_col=0)
    assert cells.values.tolist() == [[2, 1], [1, 2]]
    again = runner.invoke(app, ["change", a, b, "--out", str(out)])
    assert isinstance(again.exception, OutputExistsError)


def test_maps_of_different_grids(tmp_path):
    a, b = _maps(tmp_path, cell_size=10.0)
    result = runner.invoke(app, ["change", a, b])
    assert isinstance(result.exception, AlignmentError)
    assert "b.tif" in str(result.exception) and "cell size" in str(result.exception)
