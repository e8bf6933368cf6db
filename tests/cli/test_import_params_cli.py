"""``landcarbon import-params`` and FLUS / PLUS files given to ``simulate --parameters``."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.landuse.allocation import FlusParameters
from landcarbon.landuse.legacy_files import read_parameters
from landcarbon.raster import CLASS_NODATA, read_raster, write_raster
from landcarbon.testing import make_raster

runner = CliRunner()

# a 3-class FLUS config_mp.log as the GUI writes it (CRLF); class 1 may not become class 2
FLUS = (
    "[Number of types]\r\n3\r\n[Future Pixels]\r\n400\r\n200\r\n148\r\n"
    "[Cost Matrix]\r\n1,0,1\r\n1,1,1\r\n1,1,1\r\n"
    "[Intensity of neighborhood]\r\n1\r\n0.5\r\n0.2\r\n"
    "[Maximum Number Of Iterations]\r\n300\r\n[Size of neighborhood]\r\n5\r\n"
    "[Accelerated factor]\r\n0.1\r\n"
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Maps where class 1 turns into class 2 between the dates (codes 10, 20, 30)."""
    rng = np.random.default_rng(0)
    t0 = rng.choice([10, 20, 30], size=(25, 30), p=[0.6, 0.25, 0.15]).astype(np.int32)
    t1 = t0.copy()
    t1[(t0 == 10) & (rng.random(t0.shape) < 0.15)] = 20
    for t in (t0, t1):
        t[0, :2] = CLASS_NODATA
    paths = {
        n: write_raster(make_raster(d), tmp_path / f"{n}.tif") for n, d in (("t0", t0), ("t1", t1))
    }
    prob = xr.concat([make_raster(p) for p in rng.uniform(0.05, 1, (3, 25, 30))], dim="class")
    paths["prob"] = write_raster(prob.assign_coords({"class": [10, 20, 30]}), tmp_path / "p.tif")
    paths["flus"] = tmp_path / "config_mp.log"
    paths["flus"].write_bytes(FLUS.encode("ascii"))
    return paths


def _simulate(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "--json",
        "simulate",
        *("--t0", str(files["t0"]), "--t0-year", "2000", "--t1", str(files["t1"])),
        *("--t1-year", "2010", "--target-year", "2020", "--probability", str(files["prob"])),
        *("--seed", "2", "--out", str(out), *extra),
    ]


def test_import_params_prints_and_writes_toml(files: dict[str, Path], tmp_path: Path) -> None:
    printed = runner.invoke(app, ["import-params", str(files["flus"]), "--codes", "10,20,30"])
    assert printed.exit_code == 0, printed.output
    doc = tomllib.loads(printed.stdout)
    assert doc["codes"] == [10, 20, 30]
    assert doc["allowed"] == [[1, 0, 1], [1, 1, 1], [1, 1, 1]]
    assert doc["allocation"]["model"] == "flus" and doc["allocation"]["neighborhood"] == 5
    assert doc["imported"]["demand_cells"] == {"1": {"10": 400, "20": 200, "30": 148}}
    out = tmp_path / "knobs.toml"
    written = runner.invoke(app, ["import-params", str(files["flus"]), "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert read_parameters(out) == FlusParameters(
        neighborhood=5, neighborhood_weights={1: 1.0, 2: 0.5, 3: 0.2}, max_iterations=300
    )
    again = runner.invoke(app, ["import-params", str(files["flus"]), "--out", str(out)])
    assert again.exit_code != 0 and "pass --overwrite" in str(again.exception)
    summary = runner.invoke(app, ["--json", "import-params", str(files["flus"])])
    assert json.loads(summary.stdout)["format"] == "flus"


def test_simulate_takes_a_flus_config(files: dict[str, Path], tmp_path: Path) -> None:
    # the Markov demand grows class 20 from class 10; the file forbids 10 -> 20, so the run
    # goes through class 30 (10 -> 30, 30 -> 20) and no cell of class 10 becomes 20
    t1 = read_raster(files["t1"], "categorical").values
    chained = runner.invoke(
        app, _simulate(files, tmp_path / "a", "--parameters", str(files["flus"]))
    )
    assert chained.exit_code == 0, chained.output
    summary = json.loads(chained.stdout)
    assert summary["converged"]
    out = read_raster(summary["files"]["lulc"], "categorical").values
    assert ((t1 == 30) & (out == 20)).sum() > 0 and not ((t1 == 10) & (out == 20)).any()
    # --conversion wins over the file's matrix
    allowed = tmp_path / "all.csv"
    allowed.write_text("code,10,20,30\n10,1,1,1\n20,1,1,1\n30,1,1,1\n")
    args = ["--parameters", str(files["flus"]), "--conversion", str(allowed)]
    direct = runner.invoke(app, _simulate(files, tmp_path / "b", *args))
    assert direct.exit_code == 0, direct.output
    out = read_raster(json.loads(direct.stdout)["files"]["lulc"], "categorical").values
    assert ((t1 == 10) & (out == 20)).any()


def test_validate_sim_maps_the_file_classes_to_the_map_codes(
    files: dict[str, Path], tmp_path: Path
) -> None:
    # class i of the file is the i-th code of the maps (10, 20, 30), as in simulate; codes
    # 1..3 would name classes absent from the maps and be refused
    args = [
        "--json",
        "validate-sim",
        *("--t0", str(files["t0"]), "--t0-year", "2000", "--t1", str(files["t1"])),
        *("--t1-year", "2010", "--t2", str(files["t1"]), "--t2-year", "2020"),
        *("--probability", str(files["prob"]), "--parameters", str(files["flus"])),
        *("--seed", "2"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert 0 < json.loads(result.stdout)["overall_accuracy"] <= 1
