"""One small test per fuzz cause fixed at its source (tests/fuzz/KNOWN_FAILURES.md): the
case the fuzzer found, by hand, through the real entry point where it was a CLI failure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.errors import ParameterError
from landcarbon.raster import write_raster
from landcarbon.testing import make_raster, one_error_line, run_cli


def _strict(text: str) -> object:
    """JSON as a strict parser reads it: NaN/Infinity are not JSON."""

    def refuse(token: str) -> object:
        raise AssertionError(f"{token} in JSON output")

    return json.loads(text, parse_constant=refuse)


# ------------------------------------------------------ cause 7: change, class new at t1
def test_change_leaves_the_dynamic_degree_of_a_new_class_empty(tmp_path: Path):
    before = np.array([[1, 1, 2, 2], [1, 1, 2, 2]], dtype=np.int32)
    after = before.copy()
    after[0, 0] = 3  # class 3 appears: K = (U_b - 0) / 0 / T is undefined
    write_raster(make_raster(before), tmp_path / "a.tif")
    write_raster(make_raster(after), tmp_path / "b.tif")
    out = tmp_path / "out"
    args = ["change", str(tmp_path / "a.tif"), str(tmp_path / "b.tif"), "--years", "2000", "2010"]
    result = run_cli("--json", *args, "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = (out / "class_changes.csv").read_text()
    assert "inf" not in text.lower() and "nan" not in text.lower()
    changes = pd.read_csv(out / "class_changes.csv", index_col="code")
    assert np.isnan(changes.loc[3, "dynamic_degree_pct_per_yr"])  # empty cell
    assert changes.loc[3, "gain_ha"] == pytest.approx(0.09)  # what appeared: one 30 m cell
    # class 1: 4 cells -> 3 cells over 10 years: -25 % / 10 = -2.5 % per year
    assert changes.loc[1, "dynamic_degree_pct_per_yr"] == pytest.approx(-2.5)
    classes = {c["code"]: c for c in _strict(result.stdout)["classes"]}  # type: ignore[index]
    assert classes[3]["dynamic_degree_pct_per_yr"] is None
    assert classes[1]["dynamic_degree_pct_per_yr"] == pytest.approx(-2.5)


# -------------------------------------------------- cause 8: geodetector, inf and strict JSON
def test_geodetector_refuses_inf_in_y_naming_the_row(tmp_path: Path):
    table = tmp_path / "gd.csv"
    table.write_text("y,a\n1.5,1\n2.5,1\ninf,2\n4.0,2\n")
    line = one_error_line(run_cli("geodetector", "--table", str(table), "--y", "y", "--x", "a"))
    assert f"error: {table}: column 'y' (y) holds 1 infinite value(s) (first: row 4: inf)" in line
    assert "leave those cells empty (dropped as missing) or fix them" in line


def test_geodetector_refuses_inf_in_a_y_raster(tmp_path: Path):
    y = np.array([[1.0, 2.0, np.inf, 4.0], [1.5, 2.5, 3.5, 4.5]])
    x = np.array([[1, 1, 2, 2], [1, 1, 2, 2]], dtype=np.int32)
    write_raster(make_raster(y), tmp_path / "y.tif")
    write_raster(make_raster(x), tmp_path / "x.tif")
    args = ["--raster-y", str(tmp_path / "y.tif"), "--raster-x", str(tmp_path / "x.tif")]
    line = one_error_line(run_cli("geodetector", *args))
    assert f"error: {tmp_path / 'y.tif'}: 1 cell(s) hold an infinite value" in line  # as read
    assert "mark them as nodata" in line


def test_geodetector_refuses_inf_in_a_factor(tmp_path: Path):
    # integral codes with inf cells: inf == round(inf), so it was taken as one more stratum
    x = np.array([[1.0, 1.0, 2.0, np.inf], [1.0, 1.0, 2.0, 2.0]])
    y = np.array([[1.0, 2.0, 3.0, 4.0], [1.5, 2.5, 3.5, 4.5]])
    write_raster(make_raster(y), tmp_path / "y.tif")
    write_raster(make_raster(x), tmp_path / "lu.tif")
    args = ["--raster-y", str(tmp_path / "y.tif"), "--raster-x", str(tmp_path / "lu.tif")]
    line = one_error_line(run_cli("geodetector", *args))
    assert f"error: {tmp_path / 'lu.tif'}: 1 cell(s) hold an infinite value" in line
    table = tmp_path / "gd.csv"
    table.write_text("y,a\n1.5,1\n2.5,1\n3.0,inf\n4.0,2\n5.0,2\n")
    line = one_error_line(run_cli("geodetector", "--table", str(table), "--y", "y", "--x", "a"))
    assert f"error: {table}: factor 'a' holds inf or -inf (first: row 4)" in line


def test_geodetector_json_is_strict_where_f_is_infinite(tmp_path: Path):
    # y is constant within each stratum: q = 1, SSW = 0, so F = (q / (L-1)) / ((1-q) / (N-L))
    # is infinite; JSON has no Infinity: it is null, and a note says what null means
    table = tmp_path / "gd.csv"
    table.write_text("y,a\n1,1\n1,1\n1,1\n5,2\n5,2\n5,2\n")
    out = tmp_path / "out"
    args = ["geodetector", "--table", str(table), "--y", "y", "--x", "a", "--out", str(out)]
    result = run_cli("--json", *args)
    assert result.returncode == 0, result.stderr
    for text in (result.stdout, (out / "geodetector.json").read_text()):
        summary = _strict(text)
        assert isinstance(summary, dict)
        assert summary["factor"]["a"]["q"] == pytest.approx(1.0)
        assert summary["factor"]["a"]["F"] is None
        assert any(
            note.startswith("null stands for a number that is not finite")
            for note in summary["notes"]
        )


# --------------------------------------------- cause 2: info on a TIFF cut short in its tags
def test_info_refuses_a_tiff_whose_georeferencing_tags_are_cut_off(tmp_path: Path):
    import rasterio

    lu = (np.arange(40 * 50).reshape(40, 50) % 6 + 1).astype(np.uint8)
    write_raster(make_raster(lu), tmp_path / "full.tif")
    with rasterio.open(tmp_path / "full.tif", "r+") as ds:  # the colour table goes last
        ds.write_colormap(1, {i: (40 * i, 0, 0, 255) for i in range(7)})
    raw = (tmp_path / "full.tif").read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(raw[: len(raw) // 2])  # pixels and header still read, the tags do not
    line = one_error_line(run_cli("info", str(cut), "--categorical"))
    assert f"error: {cut}: GDAL could not read" in line
    assert '"GeoKeyDirectory"' in line
    assert "truncated or damaged, so its georeferencing (CRS, cell size) is lost" in line
    assert run_cli("info", str(tmp_path / "full.tif")).returncode == 0


# ------------------------------------------------ cause 10: sampling from no cell at all
def test_random_cells_of_an_empty_mask_is_a_clear_error():
    from landcarbon.landuse.sampling import random_cells

    with pytest.raises(ParameterError, match="no cell to sample from: none of the 6 cells"):
        random_cells(np.zeros((2, 3), dtype=bool), 0.5, 0)


# ------------------------------------------ cause 2: a truncated TIFF in any command
def test_carbon_refuses_a_tiff_whose_tags_are_cut_off_in_one_line(tmp_path: Path):
    import rasterio

    lu = (np.arange(40 * 50).reshape(40, 50) % 3 + 1).astype(np.uint8)
    write_raster(make_raster(lu), tmp_path / "full.tif")
    with rasterio.open(tmp_path / "full.tif", "r+") as ds:
        ds.write_colormap(1, {i: (40 * i, 0, 0, 255) for i in range(4)})
    raw = (tmp_path / "full.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "pools.csv").write_text("code,c_above,c_below,c_soil,c_dead\n1,1,1,1,1\n")
    args = ["carbon", "--lulc", str(tmp_path / "cut.tif"), "--pools", str(tmp_path / "pools.csv")]
    line = one_error_line(run_cli(*args, "--out", str(tmp_path / "o")))  # no GDAL warning lines
    assert "GDAL could not read" in line and "truncated or damaged" in line


# ---------------------------------------------------- cause 4: inf as a table's class code
def test_inf_and_fractional_codes_in_a_table_are_named(tmp_path: Path):
    write_raster(make_raster(np.array([[1, 2]], dtype=np.int32)), tmp_path / "lu.tif")
    pools = tmp_path / "pools.csv"
    pools.write_text("code,c_above,c_below,c_soil,c_dead\ninf,1,1,1,1\n2.5,1,1,1,1\n1,1,1,1,1\n")
    args = ["carbon", "--lulc", str(tmp_path / "lu.tif"), "--pools", str(pools)]
    line = one_error_line(run_cli(*args, "--out", str(tmp_path / "o")))
    assert "row 2: code 'inf' is not an integer class code" in line
    assert "row 3: code '2.5' is not an integer class code" in line


# ---------------------------------------- cause 6: infinite or absurd climate in nep
@pytest.mark.parametrize(
    ("value", "message"),
    [(np.inf, "1 cell(s) hold an infinite value"), (2147483647.0, "outside -90 to 60")],
)
def test_nep_refuses_infinite_or_implausible_temperatures(tmp_path: Path, value, message):
    temps = np.full((12, 3, 4), 15.0)
    temps[6, 1, 1] = value
    precs = np.full((12, 3, 4), 60.0)
    npp = make_raster(np.full((3, 4), 400.0))
    write_raster(npp, tmp_path / "npp.tif")
    for name, data in (("t", temps), ("p", precs)):
        stack = npp.expand_dims(band=12).copy(data=data)
        write_raster(stack, tmp_path / f"{name}.tif")
    args = ["nep", "--npp", str(tmp_path / "npp.tif"), "--temperature", str(tmp_path / "t.tif")]
    args += ["--precipitation", str(tmp_path / "p.tif"), "--out", str(tmp_path / "o")]
    line = one_error_line(run_cli(*args))
    assert str(tmp_path / "t.tif") in line and message in line
    assert not (tmp_path / "o").exists()


# ------------------------------------ cause 9: validate reads the rows of every table
def test_validate_refuses_a_table_with_a_header_and_no_rows(tmp_path: Path):
    write_raster(make_raster(np.array([[1, 2]], dtype=np.int32)), tmp_path / "lu.tif")
    (tmp_path / "pools.csv").write_text("code,c_above,c_below,c_soil,c_dead\n")
    study = tmp_path / "s.toml"
    study.write_text(
        '[study]\nname = "s"\n[inputs]\ncategorical = ["lu"]\n[rasters]\nlu = "lu.tif"\n'
        '[tables]\npools = "pools.csv"\n[carbon]\nmaps = { "2020" = "lu" }\npools = "pools"\n'
    )
    line = one_error_line(run_cli("validate", str(study)))
    assert "tables.pools" in line and "the table has no rows" in line
