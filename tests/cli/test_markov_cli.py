"""``landcarbon markov``: demand JSON, scenario files and presets, bad scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.errors import ParameterError
from landcarbon.raster import write_raster
from landcarbon.testing import make_raster

runner = CliRunner()
BEFORE = np.array([[1, 1, 1], [1, 1, 2], [2, 2, 2]], dtype=np.int32)
AFTER = np.array([[1, 1, 1], [2, 2, 2], [2, 2, 1]], dtype=np.int32)


def _maps(tmp_path: Path) -> list[str]:
    return [
        str(write_raster(make_raster(BEFORE), tmp_path / "a.tif")),
        str(write_raster(make_raster(AFTER), tmp_path / "b.tif")),
    ]


def _run(*args: str):
    return runner.invoke(app, ["--json", "markov", *args])


def test_markov_demand_json(tmp_path):
    result = _run(*_maps(tmp_path), "--years", "2000", "2010", "--target", "2020")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # 1->1: 3, 1->2: 2; 2->1: 1, 2->2: 3 -> P = [[0.6, 0.4], [0.25, 0.75]]
    np.testing.assert_allclose(summary["probabilities"], [[0.6, 0.4], [0.25, 0.75]])
    # t1 = [4, 5] cells; [4, 5] . P = [2.4 + 1.25, 1.6 + 3.75] = [3.65, 5.35] -> [4, 5]
    demand = summary["demand"]["classes"]
    assert [d["cells"] for d in demand] == [4, 5]
    assert demand[0]["area_ha"] == pytest.approx(3.65 * 0.09)
    assert summary["scenario"] is None


def test_scenario_file_and_preset(tmp_path):
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        "[scenarios.grow]\ntransition_multipliers = [{ from = 1, to = 2, factor = 2.0 }]\n"
    )
    maps = _maps(tmp_path)
    result = _run(
        *maps, "--years", "2000", "2010", "--target", "2020", "--scenario", str(scenarios)
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # row 1: [0.6, 0.8] / 1.4
    np.testing.assert_allclose(summary["probabilities"][0], [0.6 / 1.4, 0.8 / 1.4])
    assert summary["scenario"] == "grow"
    out = tmp_path / "out"
    result = _run(
        *maps,
        *("--years", "2000", "2010", "--target", "2015", "--out", str(out)),
        *("--scenario", "redsoil", "--name", "business_as_usual", "--classes", "cnlucc"),
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["demand.csv", "probabilities.csv"]


def test_scenario_naming_a_class_absent_from_the_map(tmp_path):
    maps = _maps(tmp_path)
    result = _run(
        *maps,
        *("--years", "2000", "2010", "--target", "2020"),
        *("--scenario", "arid", "--name", "cropland_protection", "--classes", "cnlucc"),
    )
    # the maps hold classes 1 and 2 only; the preset's codes are fine (protects 1)
    assert result.exit_code == 0, result.output
    result = _run(
        *maps,
        *("--years", "2000", "2010", "--target", "2020"),
        *("--scenario", "arid", "--name", "economic_development", "--classes", "cnlucc"),
    )
    assert isinstance(result.exception, ParameterError)
    assert "scenario 'economic_development' names class code(s) [3, 4, 5]" in str(result.exception)


def test_a_group_keyed_preset_without_classes_is_refused(tmp_path):
    from landcarbon.testing import run_cli

    maps = _maps(tmp_path)
    proc = run_cli(
        "markov",
        *maps,
        *("--years", "2000", "2010", "--target", "2020"),
        *("--scenario", "arid", "--name", "cropland_protection"),
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "protected_classes: group 'cropland' given but no class table maps codes to " in (
        proc.stderr
    )
    assert "give --classes FILE (code, name, group) or --classes cnlucc" in proc.stderr
