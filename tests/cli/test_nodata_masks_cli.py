"""Land-use maps whose nodata masks differ between dates (MOLUSCE sample: final.tif has 3
valid cells that are nodata in init.tif): by default ``simulate`` (command and study
chapter) works on the cells valid in both and reports the cells dropped from each;
``--strict-nodata`` / ``strict_nodata = true`` refuse them in one line naming the option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from landcarbon.testing import run_cli

VALID_IN_BOTH = 161636  # init.tif: 161636 valid cells; final.tif: 161639 (3 more)


@pytest.fixture(scope="module")
def molusce(shared_data: Path) -> Path:
    return shared_data / "molusce_sample"


def _explicit(molusce: Path, out: Path, *extra: str) -> list[str]:
    return [
        "simulate",
        "--t0", str(molusce / "init.tif"), "--t0-year", "2000",
        "--t1", str(molusce / "final.tif"), "--t1-year", "2010",
        "--target-year", "2020",
        "--driver", str(molusce / "dist_river.tif"),
        "--driver", str(molusce / "dist_roads.tif"),
        "--n-trees", "4", "--seed", "1",
        "--out", str(out),
        *extra,
    ]  # fmt: skip


def _single_error(result, *needles: str) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "landuse.allocation" not in lines[0]
    return lines[0]


def test_simulate_drops_the_cells_not_valid_at_both_dates(molusce: Path, tmp_path: Path):
    result = run_cli("--json", *_explicit(molusce, tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["nodata_cells_dropped"] == {"t0": 0, "t1": 3}
    assert sum(summary["demand_cells"].values()) == VALID_IN_BOTH
    assert summary["converged"]


def test_simulate_strict_nodata_refuses_in_one_line(molusce: Path, tmp_path: Path):
    result = run_cli(*_explicit(molusce, tmp_path / "out", "--strict-nodata"))
    _single_error(
        result,
        "nodata masks of t0, t1 differ",
        "t1: 3 cells",
        "leave out --strict-nodata",
    )
    assert not (tmp_path / "out").exists()


def _study(molusce: Path, tmp_path: Path, extra: str = "") -> Path:
    study = tmp_path / "study.toml"
    study.write_text(
        f"""
[study]
name = "MOLUSCE sample"
seed = 1

[inputs]
categorical = ["init", "final"]
classes = "cnlucc"  # the arid scenarios are keyed by group

[rasters]
init = "{molusce / "init.tif"}"
final = "{molusce / "final.tif"}"
dist_river = "{molusce / "dist_river.tif"}"
dist_roads = "{molusce / "dist_roads.tif"}"

[landuse]
maps = {{ "2000" = "init", "2010" = "final" }}

[simulation]
t0 = "init"
t1 = "final"
years = [2000, 2010]
target_year = 2020
drivers = ["dist_river", "dist_roads"]
scenarios = "arid"
names = ["natural_development"]
n_trees = 4
sample_rate = 0.1
{extra}
"""
    )
    return study


def test_study_reports_the_dropped_cells(molusce: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = run_cli("--json", "run", str(_study(molusce, tmp_path)), "--out", str(out))
    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout)["steps"]
    assert steps["transfer_2000_2010"]["nodata_cells_dropped"] == {"2000": 0, "2010": 3}
    step = steps["simulation_natural_development"]
    assert step["nodata_cells_dropped"] == {"init": 0, "final": 3}
    assert sum(step["demand_cells"].values()) == VALID_IN_BOTH
    report = next(out.rglob("*.html")).read_text()
    assert "nodata cells dropped" in report  # the summary key, as the page labels it


def test_study_strict_nodata_refuses_in_one_line(molusce: Path, tmp_path: Path):
    study = _study(molusce, tmp_path, "strict_nodata = true")
    result = run_cli("run", str(study), "--out", str(tmp_path / "out"))
    _single_error(
        result,
        "nodata masks of init, final differ",
        "final: 3 cells",
        f"leave out strict_nodata = true from [simulation] of {study}",
    )


def test_markov_and_accuracy_drop_the_cells_not_valid_in_every_map(molusce: Path, tmp_path: Path):
    init, final = str(molusce / "init.tif"), str(molusce / "final.tif")
    markov = ["markov", init, final, "--years", "2000", "2010", "--target", "2020"]
    result = run_cli("--json", *markov)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["nodata_cells_dropped"] == {"before": 0, "after": 3}
    assert sum(row["cells"] for row in summary["demand"]["classes"]) == VALID_IN_BOTH
    accuracy = ["accuracy", final, final, "--initial", init]
    result = run_cli("--json", *accuracy)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["nodata_cells_dropped"] == {"initial": 0, "observed": 3, "simulated": 3}
    assert sum(map(sum, summary["confusion"])) == VALID_IN_BOTH
    for command in (markov, accuracy):
        _single_error(run_cli(*command, "--strict-nodata"), "differ", "3 cells", "--strict-nodata")
