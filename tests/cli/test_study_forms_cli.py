"""The study-file forms of method commands: `landcarbon sinks STUDY.toml`,
`landcarbon simulate STUDY.toml --scenario NAME` run those chapters of the study."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.errors import ConfigError
from landcarbon.study.examples import install_example

runner = CliRunner()


def _small(tmp_path: Path, name: str) -> Path:
    study = install_example(name, tmp_path)
    study.write_text(
        study.read_text()
        .replace("shape = [500, 500]", "shape = [100, 110]")
        .replace("shape = [400, 400]", "shape = [100, 110]")
    )
    return study


def test_sinks_study_form_runs_the_chapter_and_what_it_needs(tmp_path: Path):
    study = _small(tmp_path, "county_sinks")
    result = runner.invoke(app, ["--json", "sinks", str(study), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    steps = json.loads(result.stdout)["steps"]
    assert set(steps) == {"carbon_nep", "carbon_soil", "sinks"}  # not the storage steps
    assert (tmp_path / "o" / "sinks" / "sink_zones.tif").exists()


def test_simulate_study_form_runs_one_scenario(tmp_path: Path):
    study = _small(tmp_path, "erosion_climate")
    # an ensemble is made for one target year: the single-year form of the example,
    # without the [erosion] chapter that takes its per-year maps
    text = study.read_text().split("[erosion]")[0]
    study.write_text(text.replace("target_years = [2030, 2040, 2050, 2060]", "target_year = 2040"))
    result = runner.invoke(
        app,
        [
            "--json",
            "simulate",
            str(study),
            "--scenario",
            "business_as_usual",
            "--runs",
            "3",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)["steps"]) == {
        "simulation_suitability",
        "simulation_business_as_usual",
    }
    # --runs overrides the study's [simulation] runs: a 3-run ensemble is written
    folder = tmp_path / "o" / "landuse" / "simulation" / "business_as_usual"
    runs = pd.read_csv(folder / "runs_business_as_usual.csv")
    assert len(runs) == 3
    assert (folder / "class_frequency_business_as_usual_2040.tif").exists()


def test_explicit_form_lists_missing_options(tmp_path: Path):
    result = runner.invoke(app, ["simulate", "--t0", "a.tif", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "--t0-year" in result.output and "--target-year" in result.output


def test_settings_for_a_chapter_the_study_lacks_are_refused(tmp_path: Path):
    study = _small(tmp_path, "county_sinks")  # no [simulation] section
    args = ["simulate", str(study), "--runs", "2", "--out", str(tmp_path / "o")]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, ConfigError)
    assert "no [simulation] section to apply {'runs': 2} to" in str(result.exception)


def test_study_form_that_cannot_start_leaves_no_folder(tmp_path: Path):
    study = _small(tmp_path, "erosion_climate")
    out = tmp_path / "o" / "sim"
    result = runner.invoke(app, ["simulate", str(study), "--scenario", "nope", "--out", str(out)])
    assert result.exit_code != 0 and "nope" in str(result.exception)
    assert not (tmp_path / "o").exists()
