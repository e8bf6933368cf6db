"""``landcarbon --version`` and ``--progress-json`` (the stream GUIs such as the QGIS
plugin read): JSON lines on stderr with the percent done and the messages."""

from __future__ import annotations

import json
from pathlib import Path

from landcarbon import __version__
from landcarbon.raster import write_raster
from landcarbon.testing import make_raster, run_cli

STUDY = """\
[study]
name = "progress"

[synthetic]
shape = [30, 30]
folder = "synthetic"

[inputs]
classes = "cnlucc"

[rasters]
landuse_2000 = "synthetic/landuse_2000.tif"
landuse_2010 = "synthetic/landuse_2010.tif"
landuse_2020 = "synthetic/landuse_2020.tif"

[landuse]
maps = { "2000" = "landuse_2000", "2010" = "landuse_2010", "2020" = "landuse_2020" }
"""


def test_version() -> None:
    proc = run_cli("--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"landcarbon {__version__}\n", "")


def test_progress_json_lines_for_each_step(tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_text(STUDY, encoding="utf-8")
    # the flag may come after the command, as --json may
    proc = run_cli("run", str(tmp_path / "study.toml"), "--json", "--progress-json")
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stderr.splitlines()]
    progress = [r for r in records if "progress" in r]
    steps = [r["message"] for r in progress]
    assert steps[0].startswith("[1/") and len(steps) == int(steps[0][3:].split("]")[0])
    n = len(steps)
    assert [r["progress"] for r in progress] == [round(100 * i / n, 2) for i in range(n)]
    # the human messages, markup removed, whatever --json says
    assert any(r["message"].startswith("done: ") for r in records if "progress" not in r)
    assert json.loads(proc.stdout)["out_dir"] == str(tmp_path / "outputs")


def test_warnings_stay_on_under_json_with_progress_json(tmp_path: Path) -> None:
    first = write_raster(make_raster([[1, 1, 2], [2, 1, 1]]), tmp_path / "a.tif")
    second = write_raster(make_raster([[1, 3, 2], [2, 1, 3]]), tmp_path / "b.tif")
    args = ["markov", str(first), str(second), "--years", "2000", "2010", "--target", "2020"]
    quiet = run_cli("--json", *args)
    assert quiet.returncode == 0 and quiet.stderr == ""
    proc = run_cli("--json", "--progress-json", *args)
    assert proc.returncode == 0, proc.stderr
    warning, *others = proc.stderr.splitlines()
    assert warning.startswith("warning: class(es) 3 (2 cells at t1) have no cells at t0")
    messages = [json.loads(line)["message"] for line in others]  # one JSON line each
    assert messages[0] == "Markov transition probabilities 2000 -> 2010 (rows = from)"
    assert messages[1].splitlines()[0].split() == ["to", "1", "2", "3"]
    assert json.loads(proc.stdout) == json.loads(quiet.stdout)
