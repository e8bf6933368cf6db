"""``landcarbon suitability`` through the Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.errors import AlignmentError, OutputExistsError
from landcarbon.landuse.simulate import read_probability
from landcarbon.landuse.suitability import ann_probability, leas
from landcarbon.raster import CLASS_NODATA, read_raster, write_raster
from landcarbon.testing import make_raster

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """30x40 maps: class 2 expands where the first driver is high; a nodata corner."""
    rng = np.random.default_rng(5)
    a = np.tile(np.linspace(0, 100, 40), (30, 1))
    b = rng.random((30, 40))
    t0 = rng.choice([1, 2, 3], size=(30, 40), p=[0.8, 0.1, 0.1]).astype(np.int32)
    t1 = t0.copy()
    t1[(t0 == 1) & (a > 60) & (rng.random(a.shape) < 0.4)] = 2
    t1[(t0 == 1) & (t1 == 1) & (rng.random(a.shape) < 0.1)] = 3
    t1[(t0 == 3) & (rng.random(a.shape) < 0.4)] = 1
    t0[0, :2] = CLASS_NODATA
    t1[0, :2] = CLASS_NODATA
    paths = {}
    for name, data in (("t0", t0), ("t1", t1), ("road", a), ("noise", b)):
        paths[name] = write_raster(make_raster(data), tmp_path / f"{name}.tif")
    return paths


def _args(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "--json",
        "suitability",
        "--t0",
        str(files["t0"]),
        "--t1",
        str(files["t1"]),
        "--driver",
        str(files["road"]),
        "--driver",
        str(files["noise"]),
        "--out",
        str(out),
        *extra,
    ]


def test_leas_writes_one_float32_tif_per_class_and_the_contribution(files, tmp_path) -> None:
    out = tmp_path / "out"
    res = runner.invoke(
        app, _args(files, out, "--sample-rate", "1", "--trees", "20", "--seed", "3")
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["method"] == "leas" and summary["classes"] == [1, 2, 3]
    assert set(summary["contribution"]["2"]) == {"road", "noise"}
    assert summary["contribution"]["2"]["road"] > summary["contribution"]["2"]["noise"]
    # the files hold exactly what the library computes with the same inputs
    maps = {k: read_raster(files[k], "categorical") for k in ("t0", "t1")}
    drivers = {k: read_raster(files[k]) for k in ("road", "noise")}
    expected = leas(maps["t0"], maps["t1"], drivers, sample_rate=1.0, n_trees=20, seed=3)
    for code in (1, 2, 3):
        path = out / f"probability_{code}.tif"
        with rasterio.open(path) as ds:
            assert ds.dtypes[0] == "float32"
        got = read_raster(path).values
        want = expected.probability.sel({"class": code}).values.astype(np.float32)
        np.testing.assert_array_equal(got, want)
    frame = pd.read_csv(out / "contribution.csv", index_col="class")
    np.testing.assert_allclose(frame.values, expected.contribution.values)
    assert (out / "fit.csv").exists()
    stack = read_probability(out / "probability.tif", (1, 2, 3))
    assert stack["class"].values.tolist() == [1, 2, 3]


def test_ann_method_trains_on_t1(files, tmp_path) -> None:
    out = tmp_path / "ann"
    res = runner.invoke(
        app, _args(files, out, "--method", "ann", "--hidden", "5", "--sample-size", "300")
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["method"] == "ann" and "contribution" not in summary
    t1 = read_raster(files["t1"], "categorical")
    drivers = {k: read_raster(files[k]) for k in ("road", "noise")}
    expected = ann_probability(t1, drivers, hidden=5, sample_size=300, seed=0)
    got = read_raster(out / "probability_2.tif").values
    np.testing.assert_array_equal(got, expected.sel({"class": 2}).values.astype(np.float32))


def test_bad_options_and_misaligned_driver(files, tmp_path) -> None:
    res = runner.invoke(app, _args(files, tmp_path / "a", "--method", "svm"))
    assert res.exit_code != 0 and "'svm': use leas or ann" in res.output
    args = _args(files, tmp_path / "b")
    args.remove("--t0")
    args.remove(str(files["t0"]))
    res = runner.invoke(app, args)
    assert res.exit_code != 0 and "LEAS trains on two dates; give --t0" in res.output
    shifted = write_raster(
        make_raster(np.ones((30, 40)), origin=(500_000.0, 4_000_030.0)), tmp_path / "dem.tif"
    )
    res = runner.invoke(app, [*_args(files, tmp_path / "c"), "--driver", str(shifted)])
    assert isinstance(res.exception, AlignmentError)
    assert "dem (" in str(res.exception) and "is shifted by" in str(res.exception)


def test_refuses_a_non_empty_out_folder(files, tmp_path) -> None:
    out = tmp_path / "full"
    out.mkdir()
    (out / "x.txt").write_text("x")
    res = runner.invoke(app, _args(files, out, "--sample-rate", "1", "--trees", "5"))
    assert isinstance(res.exception, OutputExistsError)
    assert "pass --overwrite" in str(res.exception)
