"""CLI: exit codes and one-line messages for each bad input (no tracebacks)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.raster import write_raster
from landcarbon.testing import make_raster, run_cli

runner = CliRunner()


def test_info_reports_class_areas(tmp_path: Path):
    path = write_raster(
        make_raster(np.array([[1, 1], [2, 1]], dtype=np.int32)), tmp_path / "lu.tif"
    )
    result = runner.invoke(app, ["--json", "info", str(path)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["classes"] == [
        {"code": 1, "cells": 3, "area_ha": 0.27},
        {"code": 2, "cells": 1, "area_ha": 0.09},
    ]


def test_geographic_raster_works(tmp_path: Path):
    path = write_raster(
        make_raster(
            np.ones((3, 3), dtype=np.int32), cell_size=0.01, crs="EPSG:4326", origin=(110.0, 35.0)
        ),
        tmp_path / "g.tif",
    )
    summary = json.loads(runner.invoke(app, ["--json", "info", str(path)]).stdout)
    assert 9 * 100 < summary["total_area_ha"] < 9 * 103  # 0.912 km x 1.109 km cells at 35°N


def test_missing_file_one_line_no_traceback(tmp_path: Path):
    proc = run_cli("info", str(tmp_path / "nope.tif"))
    assert proc.returncode == 1
    assert (
        proc.stderr.strip() == f"error: {tmp_path / 'nope.tif'}: file not found; check the "
        f"path (relative paths are resolved from the study file's folder)"
    )
    assert "Traceback" not in proc.stderr


def test_usage_errors_show_usage_not_a_traceback(tmp_path: Path):
    unknown = run_cli("carbon", "--bogus")
    assert unknown.returncode == 2 and "No such option: --bogus" in unknown.stderr
    missing = run_cli("simulate", "--t0", str(tmp_path / "a.tif"), "--out", str(tmp_path / "x"))
    assert missing.returncode == 2 and "--t0-year" in missing.stderr
    for proc in (unknown, missing):
        assert "Traceback" not in proc.stderr and "Usage: landcarbon" in proc.stderr


def test_global_flags_also_after_the_command(tmp_path: Path):
    path = write_raster(make_raster(np.ones((2, 2), dtype=np.int32)), tmp_path / "lu.tif")
    proc = run_cli("info", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["classes"] == [{"code": 1, "cells": 4, "area_ha": 0.36}]
    quiet = run_cli("info", str(tmp_path / "nope.tif"), "--debug")
    assert quiet.returncode == 1 and "Traceback" in quiet.stderr


def test_debug_shows_traceback(tmp_path: Path):
    proc = run_cli("--debug", "info", str(tmp_path / "nope.tif"))
    assert proc.returncode == 1 and "Traceback" in proc.stderr


def test_not_a_raster(tmp_path: Path):
    (tmp_path / "x.tif").write_text("not a tiff")
    proc = run_cli("info", str(tmp_path / "x.tif"))
    assert proc.returncode == 1 and "not a raster GDAL can read" in proc.stderr


def test_validate_exits_nonzero_with_all_problems(tmp_path: Path):
    study = tmp_path / "s.toml"
    study.write_text('[study]\nname = "x"\nseeed = 1\n[rasters]\nlu = "none.tif"\n')
    proc = run_cli("validate", str(study))
    assert proc.returncode == 1
    assert "2 problem(s)" in proc.stderr and "did you mean 'seed'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_validate_ok(tmp_path: Path):
    write_raster(make_raster(np.ones((3, 3), dtype=np.int32)), tmp_path / "lu.tif")
    study = tmp_path / "s.toml"
    study.write_text('[study]\nname = "x"\n[rasters]\nlu = "lu.tif"\n')
    result = runner.invoke(app, ["--json", "validate", str(study)])
    assert result.exit_code == 0 and json.loads(result.stdout)["valid"] is True


def test_output_folder_exists_without_overwrite(tmp_path: Path):
    write_raster(make_raster(np.ones((3, 3), dtype=np.int32)), tmp_path / "lu.tif")
    study = tmp_path / "s.toml"
    study.write_text('[study]\nname = "x"\n[rasters]\nlu = "lu.tif"\n')
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    proc = run_cli("run", str(study), "--out", str(out))
    assert proc.returncode == 1 and "pass --overwrite" in proc.stderr
    assert (out / "precious.txt").read_text() == "keep me"


def test_help_prints_study_sections_as_written():
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0 and "[simulation]" in result.output


def test_bad_compute_overrides_are_one_line_errors(tmp_path: Path):
    write_raster(make_raster(np.ones((3, 3), dtype=np.int32)), tmp_path / "lu.tif")
    study = tmp_path / "s.toml"
    study.write_text('[study]\nname = "x"\n[rasters]\nlu = "lu.tif"\n')
    zero = run_cli("run", str(study), "--out", str(tmp_path / "a"), "--workers", "0")
    assert zero.returncode == 2 and "--workers" in zero.stderr and "Traceback" not in zero.stderr
    foo = run_cli("run", str(study), "--out", str(tmp_path / "b"), "--scheduler", "foo")
    assert foo.returncode == 1 and "Traceback" not in foo.stderr
    assert "--scheduler 'foo': 'foo' is not a scheduler" in foo.stderr
    assert "threads, processes, synchronous or 'tcp://host:port'" in foo.stderr


def test_refused_run_leaves_no_output_folder(tmp_path: Path):
    write_raster(make_raster(np.ones((3, 3), dtype=np.int32)), tmp_path / "lu.tif")
    study = tmp_path / "s.toml"
    study.write_text('[study]\nname = "x"\n[rasters]\nlu = "lu.tif"\n')
    steps = run_cli("run", str(study), "--out", str(tmp_path / "a" / "b"), "--steps", "nosuch")
    assert steps.returncode == 1 and "unknown step(s) ['nosuch']" in steps.stderr
    unreachable = "tcp://127.0.0.1:9"  # the discard port: nothing listens on loopback
    down = run_cli("run", str(study), "--out", str(tmp_path / "c"), "--scheduler", unreachable)
    assert down.returncode == 1 and f"{unreachable} did not answer" in down.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lu.tif", "s.toml"]
