"""``landcarbon simulate`` and ``landcarbon validate-sim`` through the Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.landuse.simulate import validate_simulation
from landcarbon.raster import CLASS_NODATA, read_raster, write_raster
from landcarbon.testing import make_raster

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    t0 = rng.choice([1, 2, 3], size=(25, 30), p=[0.6, 0.25, 0.15]).astype(np.int32)
    t1 = t0.copy()
    t1[(t0 == 1) & (rng.random(t0.shape) < 0.15)] = 2
    t2 = t1.copy()
    t2[(t1 == 1) & (rng.random(t0.shape) < 0.15)] = 3
    for t in (t0, t1, t2):
        t[0, :2] = CLASS_NODATA
    paths = {}
    for name, data in (("t0", t0), ("t1", t1), ("t2", t2)):
        paths[name] = write_raster(make_raster(data), tmp_path / f"{name}.tif")
    prob = xr.concat([make_raster(p) for p in rng.uniform(0.05, 1, (3, 25, 30))], dim="class")
    paths["prob"] = write_raster(prob.assign_coords({"class": [1, 2, 3]}), tmp_path / "prob.tif")
    zone = np.ones((25, 30), dtype=np.int32)
    zone[:5] = 0
    paths["zone"] = write_raster(make_raster(zone), tmp_path / "zone.tif")
    (tmp_path / "scen.toml").write_text(
        "[scenarios.eco]\nforbidden = [[1, 3]]\nprotected_classes = [2]\n"
    )
    paths["scenarios"] = tmp_path / "scen.toml"
    return paths


def _simulate_args(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "--json",
        "simulate",
        "--t0",
        str(files["t0"]),
        "--t0-year",
        "2000",
        "--t1",
        str(files["t1"]),
        "--t1-year",
        "2010",
        "--target-year",
        "2020",
        "--probability",
        str(files["prob"]),
        "--out",
        str(out),
        *extra,
    ]


def test_simulate_writes_map_and_json(files: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        _simulate_args(files, tmp_path / "a", "--seed", "3", "--restriction", str(files["zone"])),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["converged"] and summary["residual_cells"] == {"1": 0, "2": 0, "3": 0}
    out = read_raster(summary["files"]["lulc"], "categorical").values
    t1 = read_raster(files["t1"], "categorical").values
    assert {c: int((out == c).sum()) for c in (1, 2, 3)} == {
        int(k): v for k, v in summary["demand_cells"].items()
    }
    np.testing.assert_array_equal(out[:5], t1[:5])  # restricted rows unchanged
    again = runner.invoke(
        app,
        _simulate_args(files, tmp_path / "b", "--seed", "3", "--restriction", str(files["zone"])),
    )
    second = read_raster(json.loads(again.stdout)["files"]["lulc"], "categorical").values
    np.testing.assert_array_equal(out, second)


def test_simulate_scenario_flus_and_runs(files: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        _simulate_args(
            files,
            tmp_path / "c",
            "--seed",
            "1",
            "--runs",
            "3",
            "--model",
            "flus",
            "--scenario-file",
            str(files["scenarios"]),
            "--scenario",
            "eco",
        ),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["scenario"] == "eco" and summary["runs"] == 3
    assert set(summary["files"]) == {"lulc", "demand", "frequency", "areas", "runs", "summary"}
    out = read_raster(summary["files"]["lulc"], "categorical").values
    t1 = read_raster(files["t1"], "categorical").values
    assert not np.any((t1 == 1) & (out == 3))
    np.testing.assert_array_equal(out[t1 == 2], 2)


def test_parameter_file_and_its_errors(files: dict[str, Path], tmp_path: Path) -> None:
    params = tmp_path / "plus.toml"
    params.write_text(
        '[allocation]\nmodel = "cars"\nneighborhood = 5\n'
        'neighborhood_weights = {"1" = 0.2, "2" = 1.0}\n'
    )
    ok = runner.invoke(app, _simulate_args(files, tmp_path / "d", "--parameters", str(params)))
    assert ok.exit_code == 0, ok.output
    params.write_text("[allocation]\nneighbourhood = 5\n")
    bad = runner.invoke(app, _simulate_args(files, tmp_path / "e", "--parameters", str(params)))
    assert bad.exit_code != 0
    assert "unknown cars parameter(s) neighbourhood (did you mean neighborhood?)" in str(
        bad.exception
    )


def test_simulate_needs_one_suitability_source(files: dict[str, Path], tmp_path: Path) -> None:
    args = _simulate_args(files, tmp_path / "f")
    args.remove("--probability")
    args.remove(str(files["prob"]))
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert "give either --probability or one or more --driver" in result.output


def test_unknown_scenario_is_named(files: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        _simulate_args(
            files, tmp_path / "g", "--scenario-file", str(files["scenarios"]), "--scenario", "eko"
        ),
    )
    assert result.exit_code != 0
    assert "'eko' is not a scenario of" in result.output and "['eco']" in result.output


def test_validate_sim_json(files: dict[str, Path]) -> None:
    result = runner.invoke(
        app,
        [
            "--json",
            "validate-sim",
            "--t0",
            str(files["t0"]),
            "--t0-year",
            "2000",
            "--t1",
            str(files["t1"]),
            "--t1-year",
            "2010",
            "--t2",
            str(files["t2"]),
            "--t2-year",
            "2020",
            "--probability",
            str(files["prob"]),
            "--seed",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    t0, t1, t2 = (read_raster(files[k], "categorical") for k in ("t0", "t1", "t2"))
    prob = xr.concat([read_raster(files["prob"], band=b) for b in (1, 2, 3)], dim="class")
    expected = validate_simulation(
        t0, t1, t2, prob.assign_coords({"class": [1, 2, 3]}), years=(2000, 2010, 2020), seed=4
    ).summary()
    for key in ("kappa", "overall_accuracy", "fom"):
        assert summary[key] == pytest.approx(expected[key], abs=1e-12)


def test_validate_sim_out_writes_the_validation_files(files: dict[str, Path], tmp_path: Path):
    # the files of a study's [validation] chapter (write_check), from the command line
    args = ["--json", "validate-sim", "--probability", str(files["prob"]), "--seed", "4"]
    for i, name in enumerate(("t0", "t1", "t2")):
        args += [f"--{name}", str(files[name]), f"--{name}-year", str(2000 + 10 * i)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "check")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    written = sorted(Path(f).name for f in summary.pop("files"))
    assert written == sorted(
        [
            "lulc_simulated_2020.tif",
            "confusion.csv",
            "fom_by_initial_class.csv",
            "fom_by_transition.csv",
            "fom_by_gaining_class.csv",
            "change_agreement.tif",
            "summary.json",
        ]
    )
    saved = json.loads((tmp_path / "check/summary.json").read_text())
    assert saved == summary
    assert saved["hits"] / (saved["hits"] + saved["misses"] + saved["wrong_hits"]) == (
        pytest.approx(saved["producer_accuracy"])
    )
    agreement = read_raster(tmp_path / "check/change_agreement.tif", "categorical").values
    assert int((agreement == 2).sum()) == saved["hits"]  # code 2: hit
    assert int((agreement == 4).sum()) == saved["false_alarms"]


def test_validate_sim_with_leas_on_plum_island(shared_data: Path) -> None:
    # train LEAS on 1985 -> 1991 (3 drivers), simulate 1999 from 1991, score against 1999
    folder = shared_data / "lulcc_plum_island"
    args = ["--json", "validate-sim"]
    for name, year in (("t0", 1985), ("t1", 1991), ("t2", 1999)):
        args += [f"--{name}", str(folder / f"lu_pie_{year}.tif"), f"--{name}-year", str(year)]
    for i in (1, 2, 3):
        args += ["--driver", str(folder / f"ef_00{i}.tif")]
    result = runner.invoke(app, [*args, "--sample-rate", "0.1", "--n-trees", "10", "--seed", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["residual_cells"] == {"1": 0, "2": 0, "3": 0}
    # hits + misses + wrong hits = cells that really changed 1991 -> 1999 (derived_check of
    # expected.json: 47031 - 44425 forest, 40350 - 40208 built, 26182 - 24174 other = 4756)
    assert summary["hits"] + summary["misses"] + summary["wrong_hits"] == 4756
    assert 0.8 < summary["kappa"] < 0.95 and 0.0 < summary["fom"] < 0.3


def test_a_run_that_misses_its_demand_is_one_warning_line(
    files: dict[str, Path], tmp_path: Path
) -> None:
    from landcarbon.testing import run_cli

    params = tmp_path / "one.toml"
    params.write_text('[allocation]\nmodel = "flus"\nmax_iterations = 1\n')
    out = tmp_path / "g"
    proc = run_cli(*_simulate_args(files, out, "--parameters", str(params))[1:])
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    left = {code: n for code, n in summary["residual_cells"].items() if n}
    assert not summary["converged"] and left
    warned = [x for x in proc.stderr.splitlines() if x.startswith("warning: ")]
    assert len(warned) == 1, proc.stderr
    assert "scenario 'markov' 2020: demand not met after 1 iterations" in warned[0]
    for code, n in left.items():
        assert f"class {code} {abs(n)} cells {'short of' if n > 0 else 'over'}" in warned[0]
    assert warned[0].endswith("or raise max_iterations in --parameters")
    assert "cells short of its demand\n" not in proc.stdout + proc.stderr


def test_simulate_reads_its_stack_as_the_allocation_holds_it(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """A float32 suitability file with nodata cells: `simulate --probability` reads it as
    float32 with nodata as 0 (the allocation counts it so), and the allocation holds that
    array itself: no second stack made to zero the NaN."""
    import rasterio

    from landcarbon.cli.commands.simulate import inputs
    from landcarbon.landuse.allocation import prepare

    path = tmp_path / "prob32.tif"
    with rasterio.open(files["prob"]) as ds:
        values = ds.read().astype(np.float32)
        profile = ds.profile | {"dtype": "float32", "nodata": np.nan}
    values[:, 3, :4] = np.nan
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(values)
        ds.descriptions = ("class 1", "class 2", "class 3")
    data = inputs({"t0": files["t0"], "t1": files["t1"]}, None, path, None, None, {})
    stack = data["probability"]
    assert stack.dtype == np.float32
    np.testing.assert_array_equal(stack.values, np.nan_to_num(values, nan=0.0))
    t1 = data["maps"]["t1"]
    demand = {c: int((t1.values == c).sum()) for c in (1, 2, 3)}
    problem = prepare(t1, stack, demand)
    assert np.shares_memory(problem.prob, stack.data)
