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
from landcarbon.testing import make_raster, one_error_line, run_cli

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """30x40 maps: class 2 expands where the first driver is high; a nodata corner."""
    return _write_maps(tmp_path, (slice(0, 1), slice(0, 2)))


def _write_maps(folder: Path, nodata: tuple[slice, slice]) -> dict[str, Path]:
    """The 30x40 maps of :func:`files` with land-use nodata on the cells ``nodata``."""
    rng = np.random.default_rng(5)
    a = np.tile(np.linspace(0, 100, 40), (30, 1))
    b = rng.random((30, 40))
    t0 = rng.choice([1, 2, 3], size=(30, 40), p=[0.8, 0.1, 0.1]).astype(np.int32)
    t1 = t0.copy()
    t1[(t0 == 1) & (a > 60) & (rng.random(a.shape) < 0.4)] = 2
    t1[(t0 == 1) & (t1 == 1) & (rng.random(a.shape) < 0.1)] = 3
    t1[(t0 == 3) & (rng.random(a.shape) < 0.4)] = 1
    t0[nodata] = CLASS_NODATA
    t1[nodata] = CLASS_NODATA
    paths = {}
    for name, data in (("t0", t0), ("t1", t1), ("road", a), ("noise", b)):
        paths[name] = write_raster(make_raster(data), folder / f"{name}.tif")
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


@pytest.fixture(scope="module")
def blank_corner(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The maps of :func:`files` with no land use on their top-left 7 x 7 cells (with
    ``--chunks 7``, a chunk all nodata), and the command's in-memory outputs of each
    method in ``memory_leas`` / ``memory_ann``."""
    folder = tmp_path_factory.mktemp("blank_corner")
    paths = _write_maps(folder, (slice(0, 7), slice(0, 7)))
    for method in METHODS:
        proc = run_cli(*_chunk_args(paths, folder / f"memory_{method}", method))
        assert proc.returncode == 0, proc.stderr
    return paths


METHODS = {"leas": ("--trees", "10"), "ann": ("--hidden", "5", "--sample-size", "300")}


def _chunk_args(files: dict[str, Path], out: Path, method: str, *extra: str) -> list[str]:
    return _args(files, out, "--method", method, "--sample-rate", "0.5", *METHODS[method], *extra)[
        1:  # no --json
    ]


@pytest.mark.parametrize(
    ("method", "chunks"),
    [("leas", "7"), ("leas", "16"), ("ann", "7")],
    ids=["leas, uneven chunks, one all nodata", "leas, uneven chunks", "ann, uneven chunks"],
)
def test_chunked_command_writes_the_same_files_as_in_memory(
    blank_corner: dict[str, Path], tmp_path: Path, method: str, chunks: str
) -> None:
    """``--chunks`` (30 x 40 cells in chunks of 7 or 16 a side): every file byte for byte
    as the in-memory run's, and the summary the same."""
    memory = blank_corner["t0"].parent / f"memory_{method}"
    proc = run_cli(*_chunk_args(blank_corner, tmp_path / "out", method, "--chunks", chunks))
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in memory.iterdir())
    assert names == sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "probability.tif" in names and len(names) == (6 if method == "leas" else 4)
    for name in names:
        assert (memory / name).read_bytes() == (tmp_path / "out" / name).read_bytes(), name
    assert np.isnan(read_raster(memory / "probability_2.tif").values[:7, :7]).all()


def test_chunked_command_in_one_chunk_writes_the_same_layers(
    blank_corner: dict[str, Path], tmp_path: Path
) -> None:
    """One chunk (``--chunks 100`` on 30 x 40 cells): the same layers, band names and
    tables as in memory (a chunk on tile edges is written from tiles encoded where it is
    computed: the same tiles, not the same file bytes; see ``write_raster``)."""
    memory = blank_corner["t0"].parent / "memory_leas"
    proc = run_cli(*_chunk_args(blank_corner, tmp_path / "out", "leas", "--chunks", "100"))
    assert proc.returncode == 0, proc.stderr
    for name in ("probability.tif", "probability_1.tif", "probability_3.tif"):
        with rasterio.open(memory / name) as want, rasterio.open(tmp_path / "out" / name) as got:
            assert got.descriptions == want.descriptions and np.isnan(got.nodata)
            assert {**got.profile, "nodata": 0} == {**want.profile, "nodata": 0}
            np.testing.assert_array_equal(got.read(), want.read())
    for name in ("contribution.csv", "fit.csv"):
        assert (memory / name).read_text() == (tmp_path / "out" / name).read_text()


@pytest.mark.parametrize("chunks", ["0", "-3"])
def test_chunks_below_one_is_one_error_line(files, tmp_path, chunks: str) -> None:
    line = one_error_line(run_cli(*_args(files, tmp_path / "out", "--chunks", chunks)[1:]))
    assert line.startswith(f"error: --chunks {chunks}: a chunk must be at least 1 cell")
    assert "--chunks 2048" in line and "leave --chunks out" in line
    assert not (tmp_path / "out").exists()
