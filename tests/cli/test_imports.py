"""What the CLI imports: `landcarbon --help` loads no numerical library (issue 18, item 4).

Checked through ``sys.modules`` in a fresh interpreter, not by timing: a top-level
``import numpy``/``pandas`` (or scipy, numba, matplotlib, xarray, dask) in any command
module makes every invocation pay for it (~0.5-2 s of CPU), since all commands register
at start-up.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from landcarbon.testing import run_cli, write_gtiff

HEAVY = ("numpy", "pandas", "scipy", "numba", "matplotlib", "xarray", "dask", "rasterio")

PROBE = """
import json, sys
sys.argv = ["landcarbon", "--help"]
from landcarbon.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_help_imports_no_numerical_library():
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert "typer" in loaded  # the probe did run the CLI
    assert sorted(loaded.intersection(HEAVY)) == []


# ------------------------------------------------------------------ landcarbon info
INFO_HEAVY = ("xarray", "rioxarray", "dask", "pandas", "numba", "scipy", "matplotlib", "pyproj")
"""Never loaded by ``info`` (pyproj: the grid describes a projected CRS through rasterio)."""

INFO_PROBE = """
import json, sys
sys.argv = ["landcarbon", "--json", "info", *sys.argv[1:]]
from landcarbon.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _gtiff(path: Path, data: np.ndarray, nodata: float | None) -> str:
    return str(write_gtiff(path, data, nodata))


LU = np.array([[1, 1, 255], [2, 7, 7], [7, 255, 2]], dtype=np.uint8)


@pytest.mark.parametrize("flag", ["--categorical", "--continuous"])
def test_info_imports_no_xarray_dask_pandas_numba_scipy(tmp_path, flag):
    path = _gtiff(tmp_path / "lu.tif", LU, nodata=255)
    proc = subprocess.run(
        [sys.executable, "-c", INFO_PROBE, path, flag],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    *report, modules = proc.stdout.strip().splitlines()
    summary = json.loads("\n".join(report))
    assert summary["rows"] == 3  # the probe did describe the raster
    if flag == "--categorical":
        assert [(c["code"], c["cells"]) for c in summary["classes"]] == [(1, 2), (2, 2), (7, 3)]
    else:
        assert summary["stats"]["valid_cells"] == 7 and summary["stats"]["max"] == 7.0
    assert sorted(set(json.loads(modules)).intersection(INFO_HEAVY)) == []
    assert "rich" not in json.loads(modules)  # --json prints no Rich text


def test_info_figures_equal_read_raster_ones(tmp_path):
    # info reads the band with rasterio; read_raster (rioxarray) must see the same cells
    from landcarbon.inspect import describe_raster
    from landcarbon.raster import CLASS_NODATA, read_grid, read_raster

    rng = np.random.default_rng(3)
    codes = rng.integers(0, 6, size=(40, 30)).astype(np.int16)
    path = _gtiff(tmp_path / "codes.tif", codes, nodata=0)
    data = np.asarray(read_raster(path, "categorical").data)
    classes = describe_raster(path)["classes"]
    got = {c["code"]: c["cells"] for c in classes}
    want = {int(c): int((data == c).sum()) for c in np.unique(data) if c != CLASS_NODATA}
    assert got == want and 0 not in got
    row_area = read_grid(path).row_area_ha()  # hectares: each row's cells x its cell area
    areas = {c["code"]: c["area_ha"] for c in classes}
    assert areas == {c: float(((data == c).sum(axis=1) * row_area).sum()) for c in want}
    heights = rng.normal(100.0, 5.0, size=(40, 30)).astype(np.float32)
    heights[3, 4] = -9999.0
    path = _gtiff(tmp_path / "h.tif", heights, nodata=-9999.0)
    values = np.asarray(read_raster(path, "continuous").data)
    assert describe_raster(path)["stats"] == {
        "min": float(np.nanmin(values)),
        "max": float(np.nanmax(values)),
        "mean": float(np.nanmean(values)),
        "valid_cells": 30 * 40 - 1,
    }


@pytest.mark.parametrize(
    "data, nodata, flag, message",
    [
        (np.full((2, 3), 255, np.uint8), 255, "--categorical", "every cell is nodata"),
        (np.full((2, 3), -1.0, np.float32), -1.0, "--continuous", "every cell is nodata"),
        (np.array([[1.0, np.inf]], np.float64), None, "--continuous", "infinite value"),
        (np.array([[1.0, 3.5]], np.float32), None, "--categorical", "not integer class codes"),
    ],
)
def test_info_bad_rasters_one_error_line(tmp_path, data, nodata, flag, message):
    path = _gtiff(tmp_path / "bad.tif", data, nodata)
    proc = run_cli("info", path, flag)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}: ") and message in line


# ------------------------------------------------------------------ a fully cached run
CACHED_STUDY = """
[study]
name = "cached rerun"
seed = 2

[synthetic]
shape = [40, 50]

[inputs]
categorical = ["lu2000", "lu2020"]
classes = "cnlucc"

[rasters]
lu2000 = "synthetic_data/landuse_2000.tif"
lu2020 = "synthetic_data/landuse_2020.tif"
population = "synthetic_data/population.tif"

[carbon]
maps = { "2000" = "lu2000", "2020" = "lu2020" }
pools = "henan_table1"
emission_factors = "arid_muus"
energy_t_c = 1000.0
energy_weights = "population"
"""

RUN_PROBE = """
import json, sys
sys.argv = ["landcarbon", "run", *sys.argv[1:]]
from landcarbon.cli import main
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
print(json.dumps(sorted(sys.modules)))
"""

CACHED_RUN_HEAVY = ("xarray", "rioxarray", "numba", "scipy", "matplotlib", "dask", "pyproj")
"""What the plan-time checks of a cached run must not load (pandas still comes with the
class tables of the checks; dask's scheduler is set only when a step runs)."""


def test_cached_run_imports_no_chapter_computation_nor_kernels(tmp_path):
    from landcarbon.study.run import run_study

    study = tmp_path / "study.toml"
    study.write_text(CACHED_STUDY)
    out = tmp_path / "out"
    first = run_study(study, out)
    assert {r.status for r in first.records} == {"ran"}
    proc = subprocess.run(
        [sys.executable, "-c", RUN_PROBE, str(study), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert f"done: 0 step(s) ran, {len(first.records)} reused" in proc.stderr
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert sorted({m.split(".")[0] for m in loaded}.intersection(CACHED_RUN_HEAVY)) == []
    computing = ("landcarbon.carbon.outputs", "landcarbon.carbon.balance", "landcarbon.report.maps")
    assert sorted(m for m in loaded if m.endswith("._kernels") or m in computing) == []
    quiet = subprocess.run(
        [sys.executable, "-c", RUN_PROBE, str(study), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert quiet.stderr == ""  # nothing shown, so no progress bar and no Rich loaded
    assert "rich" not in {m.split(".")[0] for m in json.loads(quiet.stdout.splitlines()[-1])}


# ------------------------------------------------------------------ lazy packages
LAZY_PROBE = """
import json, sys
import landcarbon.carbon, landcarbon.sinks
own = ("numba", "landcarbon.sinks.", "landcarbon.carbon.")
before = sorted(m for m in sys.modules if m.startswith(own))
cost_distance = landcarbon.sinks.cost_distance
storage_map = landcarbon.carbon.storage_map
try:
    landcarbon.sinks.no_such_name
    missing = "no error"
except AttributeError as exc:
    missing = str(exc)
print(json.dumps([before, cost_distance.__module__, storage_map.__module__, missing,
                  "cost_distance" in dir(landcarbon.sinks)]))
"""


def test_carbon_and_sinks_packages_load_their_modules_on_first_use():
    proc = subprocess.run(
        [sys.executable, "-c", LAZY_PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    before, mcr, storage, missing, listed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert before == []  # importing the packages loaded no module of theirs, and no numba
    assert (mcr, storage) == ("landcarbon.sinks.mcr", "landcarbon.carbon.storage")
    assert missing == "module 'landcarbon.sinks' has no attribute 'no_such_name'"
    assert listed is True


# ------------------------------------------------------------------ planning the examples
PLAN_PROBE = """
import json, sys
from landcarbon.study.config import load_study
from landcarbon.study.run import build_steps
steps = build_steps(load_study(sys.argv[1]))
print(json.dumps([len(steps), sorted(sys.modules)]))
"""

PLAN_HEAVY = ("xarray", "rioxarray", "numba", "scipy", "matplotlib", "dask", "pyproj")
"""What planning a study (its checks at plan time, as a fully cached run does) must not
load: kernels, xarray and scipy load when a step runs."""


@pytest.mark.parametrize(
    "example",
    [
        "province_balance",
        "arid_budget_with_energy",
        "arid_budget_scenarios",
        "county_sinks",
        "erosion_climate",
    ],
)
def test_planning_an_example_loads_no_kernels_xarray_scipy(example):
    # the shipped study as is: inputs not generated yet, so the raster checks wait for run
    from landcarbon.study.examples import example_path

    proc = subprocess.run(
        [sys.executable, "-c", PLAN_PROBE, str(example_path(example))],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    count, loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert count > 0  # the probe did plan the chapters' steps
    assert sorted({m.split(".")[0] for m in loaded}.intersection(PLAN_HEAVY)) == []
    assert sorted(m for m in loaded if m.endswith("._kernels")) == []


EROSION_PROBE = """
import json, sys
import landcarbon.erosion
before = sorted(m for m in sys.modules if m.startswith(("numba", "xarray", "landcarbon.erosion.")))
print(json.dumps([before, landcarbon.erosion.topography.__module__, "numba" in sys.modules]))
"""


def test_erosion_package_loads_its_modules_on_first_use():
    proc = subprocess.run(
        [sys.executable, "-c", EROSION_PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    before, module, numba_after = json.loads(proc.stdout.strip().splitlines()[-1])
    assert before == []  # the package alone: no module of its own, no kernels, no xarray
    assert module == "landcarbon.erosion.terrain" and numba_after is True


@pytest.mark.parametrize(
    "dtype, nodata, codes",
    [
        (np.uint8, 255, [1, 2, 7, 255]),  # a dense range, nodata at its end: counted by value
        (np.int32, -1, [3, 70_000, 2_000_000_000, -1]),  # a sparse range: sorted
        (np.int16, None, [-5, 0, 9]),  # no nodata, negative codes
    ],
)
def test_info_class_counts_of_dense_and_sparse_codes(tmp_path, dtype, nodata, codes):
    from landcarbon.inspect import describe_raster
    from landcarbon.raster import CLASS_NODATA, read_grid, read_raster

    rng = np.random.default_rng(5)
    data = rng.choice(np.array(codes, dtype=dtype), size=(23, 17))
    path = _gtiff(tmp_path / "codes.tif", data, nodata=nodata)
    read = np.asarray(read_raster(path, "categorical").data)
    row_area = read_grid(path).row_area_ha()
    want = [
        (int(c), int((read == c).sum()), float(((read == c).sum(axis=1) * row_area).sum()))
        for c in np.unique(read)
        if c != CLASS_NODATA
    ]
    got = [(c["code"], c["cells"], c["area_ha"]) for c in describe_raster(path)["classes"]]
    assert got == want and len(want) == len(codes) - (nodata is not None)
