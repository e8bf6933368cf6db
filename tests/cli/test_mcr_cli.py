"""``landcarbon mcr`` through the CLI: JSON summary, outputs, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.raster import read_raster, write_raster
from landcarbon.testing import make_raster

runner = CliRunner()


def _inputs(tmp_path: Path, sources: np.ndarray) -> tuple[Path, Path]:
    r = write_raster(
        make_raster(np.array([[1.0, 3.0], [10.0, 12.0]]), cell_size=1.0), tmp_path / "r.tif"
    )
    s = write_raster(make_raster(sources.astype(np.int32), cell_size=1.0), tmp_path / "s.tif")
    return r, s


def test_mcr_json(tmp_path: Path) -> None:
    r, s = _inputs(tmp_path, np.array([[1, 0], [0, 0]]))
    result = runner.invoke(
        app,
        [
            "--json",
            "mcr",
            "--resistance",
            str(r),
            "--sources",
            str(s),
            "--out",
            str(tmp_path / "out"),
            "--allocation",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # costs 0, 2, 5.5 and sqrt(2) * 6.5 = 9.19238815542512 (scikit-image's example)
    assert summary["cells_reached"] == 4
    assert summary["max_cost"] == 9.19238815542512
    assert summary["mean_cost"] == (0 + 2 + 5.5 + 9.19238815542512) / 4
    cost = read_raster(tmp_path / "out" / "mcr.tif").values
    np.testing.assert_allclose(cost, np.array([[0, 2], [5.5, 9.19238815542512]]), rtol=1e-15)
    assert (tmp_path / "out" / "allocation.tif").exists()


def test_mcr_no_sources(tmp_path: Path) -> None:
    r, s = _inputs(tmp_path, np.zeros((2, 2)))
    result = runner.invoke(
        app, ["mcr", "--resistance", str(r), "--sources", str(s), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code != 0
    assert "no source cells" in str(result.exception)


def test_mcr_needs_out(tmp_path: Path) -> None:
    r, s = _inputs(tmp_path, np.array([[1, 0], [0, 0]]))
    result = runner.invoke(app, ["mcr", "--resistance", str(r), "--sources", str(s)])
    assert result.exit_code != 0
    assert "give an output folder" in result.output
