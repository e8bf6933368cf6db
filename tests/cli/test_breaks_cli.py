"""``landcarbon breaks``: published calemp Fisher-Jenks edges, raster input, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.errors import TableError
from landcarbon.raster import write_raster
from landcarbon.testing import make_raster, one_error_line, run_cli

runner = CliRunner()


def test_calemp_natural_breaks(shared_data):
    path = shared_data / "jenks_natural_breaks" / "calempdensity.csv"
    expected = json.loads((path.parent / "expected.json").read_text())["calemp"]["fisher_jenks_k5"]
    args = ["--json", "breaks", str(path), "--column", "emp/sq km", "--k", "5"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["edges"][1:] == pytest.approx(expected["bins"], abs=1e-9)
    assert out["counts"] == expected["counts"]


def test_raster_equal_interval(tmp_path: Path):
    data = np.array([[0.0, 1.0, 2.5], [5.0, np.nan, 10.0]])
    path = write_raster(make_raster(data), tmp_path / "v.tif")
    result = runner.invoke(app, ["--json", "breaks", str(path), "--k", "4", "--method", "equal"])
    out = json.loads(result.stdout)
    # edges 0, 2.5, 5, 7.5, 10; right-closed: [0, 2.5] = 3 values, (2.5, 5] = 1, (7.5, 10] = 1
    assert out["edges"] == [0.0, 2.5, 5.0, 7.5, 10.0]
    assert out["counts"] == [3, 1, 0, 1] and out["n"] == 5


def test_bad_column(tmp_path: Path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "name": ["x", "y"]}).to_csv(path, index=False)
    for args, message in (
        ([], "give --column; available columns: a, b, name"),
        (["--column", "c"], "column 'c' not found; available columns: a, b, name"),
        (["--column", "name"], "column 'name' is not numeric"),
    ):
        result = runner.invoke(app, ["breaks", str(path), *args])
        assert isinstance(result.exception, TableError)
        assert message in str(result.exception)


def test_more_classes_than_distinct_values_names_the_file_and_the_fix(tmp_path: Path):
    """Constant and two-valued columns through the real entry point: one error line with
    the file, the counts and the fix, exit 1, no traceback; k = 2 on two values works."""
    path = tmp_path / "flat.csv"
    pd.DataFrame({"v": [2.0, 2.0, 7.0, 2.0]}).to_csv(path, index=False)
    line = one_error_line(run_cli("breaks", str(path), "--k", "3"))
    assert line == (
        f"error: {path}: natural breaks: 3 classes need at least 3 distinct values, "
        "the data have 2; lower k"
    )
    done = run_cli("--json", "breaks", str(path), "--k", "2")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["edges"] == [2.0, 2.0, 7.0]
    assert json.loads(done.stdout)["counts"] == [3, 1]
