"""``landcarbon geodetector``: table and raster inputs, JSON shape, outputs, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.errors import InputFileError, ParameterError, TableError
from landcarbon.raster import write_raster
from landcarbon.stats.drivers import geodetector_rasters
from landcarbon.testing import make_raster, one_error_line, run_cli

runner = CliRunner()


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, ["--json", "geodetector", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ntd_table_json_shape_and_published_q(shared_data):
    table = shared_data / "geodetector_ntd_heshun" / "CollectData.csv"
    expected = json.loads((table.parent / "expected.json").read_text())["factor_detector"]
    out = _json(
        ["--table", str(table), "--y", "incidence", "--x", "watershed", "soiltype", "elevation"]
    )
    assert {"factor", "interaction", "risk", "ecological", "discretization"} <= set(out)
    for name, q in expected["q"].items():
        assert out["factor"][name]["q"] == pytest.approx(q, abs=1e-7)
        assert out["factor"][name]["p"] == pytest.approx(
            expected["p_value_geodetector_R_1.0-5"][name], rel=1e-6
        )
    assert out["interaction"]["watershed:soiltype"]["q"] == pytest.approx(0.735680548139531)
    assert out["interaction"]["watershed:soiltype"]["type"] == "bi-variable enhance"
    assert out["ecological"]["rule"] == "ssw_ratio"
    assert out["ecological"]["pairs"]["soiltype:watershed"]["significant"] is True
    assert out["risk"]["soiltype"]["strata"] == [1, 2, 3, 4, 5]
    assert out["discretization"] == {}
    population = _json(
        [
            "--table",
            str(table),
            "--y",
            "incidence",
            "--x",
            "watershed",
            "--noncentrality",
            "population",
        ]
    )
    assert population["factor"]["watershed"]["p"] == pytest.approx(0.000128803, rel=1e-6)


def test_ndvi_auto_discretization_and_outputs(shared_data, tmp_path: Path):
    table = shared_data / "geodetector_ndvi_innermongolia" / "ndvi_40.csv"
    out = _json(
        [
            "--table",
            str(table),
            "--y",
            "NDVIchange",
            "--x",
            "Climatezone",
            "Mining",
            "Precipitation",
            "--discretize",
            "auto",
            "--out",
            str(tmp_path / "gd"),
        ]
    )
    assert set(out["discretization"]) == {"Precipitation"}
    chosen = out["discretization"]["Precipitation"]
    assert {"method", "k", "q", "grid"} <= set(chosen)
    assert out["factor"]["Precipitation"]["q"] == pytest.approx(chosen["q"])
    for png in ("factor_q.png", "interaction_q.png"):
        image = mpimg.imread(tmp_path / "gd" / png)
        assert image.ndim == 3 and image.shape[0] > 100
    saved = json.loads((tmp_path / "gd" / "geodetector.json").read_text())
    assert saved["factor"].keys() == out["factor"].keys()


def test_sample_is_seeded(shared_data):
    table = str(shared_data / "geodetector_ndvi_innermongolia" / "ndvi_40.csv")
    args = ["--table", table, "--y", "NDVIchange", "--x", "Climatezone", "--sample", "300"]
    first = _json([*args, "--seed", "5"])
    assert first["n"] == 300
    assert first == _json([*args, "--seed", "5"])
    assert first["factor"] != _json([*args, "--seed", "6"])["factor"]


def test_raster_inputs(tmp_path: Path):
    rng = np.random.default_rng(2)
    a = rng.integers(1, 4, (20, 15)).astype(np.int32)
    b = rng.integers(1, 3, (20, 15)).astype(np.int32)
    y = a * 2.0 + b + rng.normal(size=a.shape)
    y[3, 4] = np.nan
    paths = {}
    for name, data in {"y": y, "soil": a, "slope": b}.items():
        paths[name] = write_raster(make_raster(data), tmp_path / f"{name}.tif")
    out = _json(
        ["--raster-y", str(paths["y"]), "--raster-x", str(paths["soil"]), str(paths["slope"])]
    )
    ref = geodetector_rasters(make_raster(y), {"soil": make_raster(a), "slope": make_raster(b)})
    assert out["n"] == 299 and out["dropped_rows"] == 1
    assert out["factor"]["soil"]["q"] == pytest.approx(ref.factor["soil"].q, abs=1e-12)
    assert out["interaction"]["soil:slope"]["q"] == pytest.approx(
        ref.interaction["soil:slope"].q, abs=1e-12
    )


def test_bad_inputs(tmp_path: Path):
    table = tmp_path / "t.csv"
    pd.DataFrame({"y": ["1", "x", "3", "4"], "a": [1, 1, 2, 2]}).to_csv(table, index=False)
    cases = [
        (
            ["--table", str(table), "--y", "y", "--x", "b"],
            TableError,
            "column(s) 'b' not found; available columns: y, a",
        ),
        (
            ["--table", str(table), "--y", "y", "--x", "a"],
            TableError,
            "column 'y' (y) must be numeric; row 3 holds 'x'",
        ),
        (
            ["--table", str(table), "--y", "y", "--x", "a", "--raster-y", "y.tif"],
            ParameterError,
            "give either --table",
        ),
        (
            ["--table", str(table), "--y", "y", "--x", "a", "--discretize", "jenks"],
            ParameterError,
            "--discretize jenks",
        ),
    ]
    for args, error, message in cases:
        result = runner.invoke(app, ["geodetector", *args])
        assert isinstance(result.exception, error), result.output
        assert message in str(result.exception)


def test_parquet_table(shared_data, tmp_path: Path):
    pytest.importorskip("pyarrow")
    frame = pd.read_csv(shared_data / "geodetector_ntd_heshun" / "CollectData.csv")
    parquet = tmp_path / "ntd.parquet"
    frame.to_parquet(parquet)
    out = _json(["--table", str(parquet), "--y", "incidence", "--x", "soiltype"])
    assert out["factor"]["soiltype"]["q"] == pytest.approx(0.3857168, abs=1e-7)


def test_missing_table_file(tmp_path: Path):
    result = runner.invoke(
        app, ["geodetector", "--table", str(tmp_path / "no.csv"), "--y", "y", "--x", "a"]
    )
    assert isinstance(result.exception, InputFileError)
    assert "no.csv: table file not found" in str(result.exception)


def test_float_dem_factor_needs_discretize(tmp_path: Path):
    rng = np.random.default_rng(7)
    dem = rng.uniform(200.0, 1800.0, (100, 120))
    y = dem * 0.01 + rng.normal(size=dem.shape)
    ypath = write_raster(make_raster(y), tmp_path / "carbon.tif")
    dpath = write_raster(make_raster(dem), tmp_path / "dem.tif")
    proc = run_cli("--json", "geodetector", "--raster-y", str(ypath), "--raster-x", str(dpath))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        "error: rasters: factor 'dem' holds non-integer numbers (12000 distinct values over "
        "12000 rows); GeoDetector would take each value as a stratum: pass --discretize auto "
        "(optimal-parameter discretisation; discretize='auto' in Python), or classify it into "
        "integer classes first (edges from `landcarbon breaks --method natural --k 5`)"
    )
    fixed = run_cli(
        "--json",
        "geodetector",
        "--raster-y",
        str(ypath),
        "--raster-x",
        str(dpath),
        "--discretize",
        "auto",
    )
    assert fixed.returncode == 0, fixed.stderr
    out = json.loads(fixed.stdout)
    k = out["discretization"]["dem"]["k"]
    assert out["factor"]["dem"]["strata"] == k and len(out["risk"]["dem"]["strata"]) == k
    # at most 21.3/22.3 = 0.955 (see tests/stats/test_drivers_rasters.py), k >= 3: >= 0.849
    assert 0.82 < out["factor"]["dem"]["q"] < 0.96


def test_misaligned_rasters_name_the_y_option_and_file(tmp_path: Path):
    y = write_raster(make_raster(np.ones((4, 4))), tmp_path / "ndvi.tif")
    x = write_raster(make_raster(np.ones((5, 5), dtype=np.int32)), tmp_path / "zone.tif")
    proc = run_cli("geodetector", "--raster-y", str(y), "--raster-x", str(x))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"--raster-y ({y})" in proc.stderr and "__y__" not in proc.stderr


# gdverse's published OPGD run on ndvi_40 (vignettes/opgd.Rmd, stscl/gdverse commit
# f8d6d74b): q of each factor, the chosen (method, k) and every interaction type
GDVERSE_Q = {
    "Precipitation": 0.8809405,
    "Climatezone": 0.8218335,
    "Tempchange": 0.3478433,
    "Popdensity": 0.2100134,
    "Mining": 0.1411154,
    "GDP": 0.1096213,
}
GDVERSE_BEST = {
    "GDP": ("quantile", 15),
    "Popdensity": ("quantile", 15),
    "Precipitation": ("natural", 14),
    "Tempchange": ("equal", 14),
}
GDVERSE_NONLINEAR = {"Mining:GDP", "Mining:Popdensity", "Tempchange:GDP"}  # the rest bi-


def test_drop_singletons_reproduces_gdverse_opgd_on_ndvi(shared_data):
    table = shared_data / "geodetector_ndvi_innermongolia" / "ndvi_40.csv"
    args = ["--table", str(table), "--y", "NDVIchange", "--x", *GDVERSE_Q, "--discretize", "auto"]
    out = _json([*args, "--drop-singletons"])
    for name, q in GDVERSE_Q.items():
        # Precipitation: natural breaks are exact Jenks here; sdsfun's breaks give a q lower
        # by 3.0e-5 (same method and k). Every other q agrees to the 7 printed digits.
        tol = 5e-5 if name == "Precipitation" else 5e-8
        assert out["factor"][name]["q"] == pytest.approx(q, abs=tol), name
    assert {n: (d["method"], d["k"]) for n, d in out["discretization"].items()} == GDVERSE_BEST
    types = {frozenset(pair.split(":")): r["type"] for pair, r in out["interaction"].items()}
    nonlinear = {frozenset(p.split(":")) for p in GDVERSE_NONLINEAR}
    assert {p for p, t in types.items() if t == "nonlinear-enhance"} == nonlinear
    assert set(types.values()) == {"nonlinear-enhance", "bi-variable enhance"}
    assert out["conventions"]["singletons"].startswith("dropped")
    assert out["conventions"]["discretization_search"] == {
        "methods": ["sd", "equal", "geometric", "quantile", "natural"],
        "k": list(range(3, 16)),
    }
    # the classic convention (default) keeps one-cell strata: Tempchange's 14 equal classes
    # hold a singleton, so q and one interaction type differ from gdverse
    classic = _json(args)
    assert classic["conventions"]["singletons"].startswith("kept")
    assert classic["factor"]["Tempchange"]["q"] == pytest.approx(0.3485262, abs=5e-8)
    assert classic["interaction"]["Popdensity:GDP"]["type"] == "nonlinear-enhance"  # gdverse: bi-


def test_discretization_search_space_is_settable(shared_data):
    table = shared_data / "geodetector_ndvi_innermongolia" / "ndvi_40.csv"
    args = ["--table", str(table), "--y", "NDVIchange", "--x", "Tempchange", "--discretize", "auto"]
    out = _json([*args, "--discretize-methods", "quantile,sd", "--discretize-k", "4:6"])
    chosen = out["discretization"]["Tempchange"]
    assert sorted(chosen["grid"]) == ["quantile", "sd"]
    assert sorted(chosen["grid"]["sd"]) == ["4", "5", "6"]
    best = max(
        (q, m, int(k)) for m, row in chosen["grid"].items() for k, q in row.items() if q is not None
    )
    assert (chosen["q"], chosen["method"], chosen["k"]) == best
    assert out["conventions"]["discretization_search"] == {
        "methods": ["quantile", "sd"],
        "k": [4, 5, 6],
    }


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--discretize-k", "3-15"], "--discretize-k 3-15: give the first and last class count"),
        (["--discretize-k", "9:4"], "give [first, last] with 2 <= first <= last <= 50"),
        (["--discretize-methods", "jenks"], "methods ['jenks']: give one or more of sd, equal"),
    ],
)
def test_bad_search_space_is_one_error_line(tmp_path: Path, option: list[str], message: str):
    table = tmp_path / "t.csv"
    pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "a": [0.5, 0.7, 1.5, 2.5]}).to_csv(table, index=False)
    proc = run_cli("geodetector", "--table", str(table), "--y", "y", "--x", "a", *option)
    line = one_error_line(proc)
    assert message in line, line
