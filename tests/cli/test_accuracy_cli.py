"""``landcarbon accuracy``: kappa, overall accuracy and FoM as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.errors import AlignmentError, ParameterError
from landcarbon.raster import write_raster
from landcarbon.testing import make_raster

runner = CliRunner()
INITIAL = np.array([[1, 1, 1, 1, 2, 2, 2, 2]], dtype=np.int32)
OBSERVED = np.array([[2, 2, 3, 1, 2, 2, 1, 3]], dtype=np.int32)
SIMULATED = np.array([[2, 1, 2, 2, 2, 1, 1, 2]], dtype=np.int32)


def _write(tmp_path: Path, **kw: object) -> list[str]:
    return [
        str(write_raster(make_raster(a, **kw), tmp_path / f"{n}.tif"))  # type: ignore[arg-type]
        for n, a in (("initial", INITIAL), ("observed", OBSERVED), ("simulated", SIMULATED))
    ]


def test_kappa_and_oa_without_initial(tmp_path):
    _, observed, simulated = _write(tmp_path)
    result = runner.invoke(app, ["--json", "accuracy", observed, simulated])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # agreement at cells 0, 4, 6: OA = 3/8
    assert summary["overall_accuracy"] == pytest.approx(3 / 8)
    assert summary["fom"] is None and summary["fom_by_transition"] is None
    assert {"kappa", "quantity_disagreement", "allocation_disagreement"} <= set(summary)


def test_fom_with_initial_and_outputs(tmp_path):
    initial, observed, simulated = _write(tmp_path)
    out = tmp_path / "out"
    args = ["--json", "accuracy", observed, simulated, "--initial", initial, "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["fom"] == pytest.approx(2 / 7)  # hits 2 / (2 + 2 + 1 + 2)
    assert summary["fom_counts"]["wrong_hits"] == 1
    assert summary["producer_accuracy"] == pytest.approx(2 / 5)  # B / (A + B + C)
    assert summary["user_accuracy"] == pytest.approx(2 / 5)  # B / (B + C + D)
    # Pontius et al. 2011 Eq. 10 by initial class, Eq. 11 by transition (union of observed
    # 1->2 cells 0, 1 and simulated 1->2 cells 0, 2, 3; hit 0)
    assert summary["fom_by_initial_class"] == {"1": 0.25, "2": pytest.approx(1 / 3), "3": None}
    assert summary["fom_by_transition"]["1->2"] == pytest.approx(1 / 4)
    assert summary["fom_by_transition"]["2->1"] == pytest.approx(1 / 2)
    assert sorted(summary["fom_by_transition"]) == ["1->2", "1->3", "2->1", "2->3", "3->1", "3->2"]
    assert sorted(p.name for p in out.iterdir() if p.suffix in {".csv", ".tif"}) == [
        "change_agreement.tif",
        "confusion.csv",
        "fom_by_gaining_class.csv",
        "fom_by_initial_class.csv",
        "fom_by_transition.csv",
    ]


def test_sampled_kappa_needs_a_seed(tmp_path):
    _, observed, simulated = _write(tmp_path)
    args = ["--json", "accuracy", observed, simulated, "--sample-rate", "1"]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, ParameterError)
    assert "give --seed too" in str(result.exception)
    result = runner.invoke(app, [*args, "--seed", "3"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["sample_rate"] == 1.0
    assert summary["overall_accuracy"] == pytest.approx(3 / 8)  # every cell drawn


def test_maps_of_different_grids(tmp_path):
    _, observed, _ = _write(tmp_path)
    other = write_raster(make_raster(SIMULATED, cell_size=10.0), tmp_path / "other.tif")
    result = runner.invoke(app, ["accuracy", observed, str(other)])
    assert isinstance(result.exception, AlignmentError)
    assert "other.tif" in str(result.exception)
