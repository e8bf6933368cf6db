"""Class tables: schema checks and lookups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.errors import InputFileError, TableError
from landcarbon.raster import CLASS_NODATA
from landcarbon.tables import class_counts, read_table, table_from_records
from landcarbon.testing import assert_backends_agree, make_raster

POOLS = ["c_above", "c_below", "c_soil", "c_dead"]


def _write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_case_insensitive_and_aliases(tmp_path: Path):
    p = _write(
        tmp_path,
        "LUCODE,C_Above,C_below,C_SOIL,c_dead,LULC_Name\n2,5,3,20,0,Forest\n1,15,10,60,1,Crop\n",
    )
    t = read_table(p, required=POOLS, nonnegative=POOLS)
    assert t.codes.tolist() == [1, 2]
    assert t.names() == {1: "Crop", 2: "Forest"}
    assert t.column("C_ABOVE").tolist() == [15.0, 5.0]


def test_toml_table(tmp_path: Path):
    p = _write(
        tmp_path,
        '[[classes]]\ncode = 1\nname = "crop"\nef = 0.42\n'
        '[[classes]]\ncode = 2\nname = "forest"\nef = -0.64\n',
        "t.toml",
    )
    t = read_table(p, required=["ef"])
    assert t.column("ef").tolist() == [0.42, -0.64]


def test_missing_column(tmp_path: Path):
    p = _write(tmp_path, "lucode,c_above,c_below,c_soil\n1,1,1,1\n")
    with pytest.raises(TableError, match=r"t.csv: missing column\(s\) c_dead"):
        read_table(p, required=POOLS)


def test_duplicate_code(tmp_path: Path):
    p = _write(tmp_path, "lucode,c_above\n1,1\n2,2\n1,3\n")
    with pytest.raises(
        TableError, match=r"duplicate code\(s\) \[1\] in column 'lucode' \(rows 2, 4\)"
    ):
        read_table(p, required=["c_above"])


def test_text_in_number_column(tmp_path: Path):
    p = _write(tmp_path, "lucode,c_above\n1,1\n2,lots\n")
    with pytest.raises(TableError) as err:
        read_table(p, required=["c_above"])
    assert str(err.value) == (
        f"{p}: column 'c_above', row 3: 'lots' is not a number; give a density in t C/ha"
    )
    p = _write(tmp_path, "lucode,value\n1,\n2,nan\n")
    with pytest.raises(TableError) as err:  # blanks and NaN, not np.float64(nan)
        read_table(p, required=["value"])
    assert str(err.value) == (
        f"{p}: column 'value', row 2: blank/NaN; give a number; "
        f"column 'value', row 3: blank/NaN; give a number"
    )


def test_negative_where_not_allowed(tmp_path: Path):
    p = _write(tmp_path, "lucode,c_above\n1,-1\n")
    with pytest.raises(
        TableError, match=r"column 'c_above', row 2: -1 is negative; give a density >= 0 in t C/ha$"
    ):
        read_table(p, required=["c_above"], nonnegative=["c_above"])


def test_empty_and_missing_files(tmp_path: Path):
    with pytest.raises(InputFileError, match="not found"):
        read_table(tmp_path / "none.csv")
    with pytest.raises(InputFileError, match="empty"):
        read_table(_write(tmp_path, ""))


def test_code_absent_from_table_lists_codes_and_counts():
    t = table_from_records([{"code": 1, "v": 1.0}], "pools.csv", required=["v"])
    lulc = make_raster(np.array([[1, 7, 7], [9, 1, CLASS_NODATA]], dtype=np.int32), name="cur")
    with pytest.raises(
        TableError,
        match=r"pools.csv: codes found in cur but missing from the "
        r"table: 7 \(2 cells\), 9 \(1 cells\)",
    ):
        t.reclassify(lulc, "v")


def test_reclassify_values_and_backends():
    t = table_from_records([{"code": 10, "v": 2.5}, {"code": 3, "v": -1.0}], "x", required=["v"])
    data = np.array([[10, 3, 10, 3], [3, 3, CLASS_NODATA, 10], [10, 10, 10, 3]], dtype=np.int32)
    out = assert_backends_agree(lambda a: t.reclassify(a, "v"), make_raster(data))
    expected = np.where(data == 10, 2.5, -1.0)
    expected[1, 2] = np.nan
    np.testing.assert_array_equal(out.values, expected)


def test_class_counts_dask_equals_numpy():
    data = np.random.default_rng(1).integers(1, 5, (11, 13)).astype(np.int32)
    a = class_counts(make_raster(data))
    b = class_counts(make_raster(data, backend="dask", chunks=(4, 3)))
    assert a == b and sum(a.values()) == data.size


def test_willamette_pools_table_reads(shared_data: Path):
    t = read_table(
        shared_data / "invest_willamette_carbon" / "carbon_pools_samp.csv",
        required=POOLS,
        nonnegative=POOLS,
    )
    assert len(t.codes) == 66 or len(t.codes) > 50


# ------------------------------------------------------------- formats: CSV dialects, TOML, xlsx
def _pools_in_every_format(shared_data: Path, tmp_path: Path) -> dict[str, Path]:
    """The Willamette pools written as `;` + decimal-comma CSV, tab CSV, TOML and xlsx."""
    import openpyxl

    src = pd.read_csv(shared_data / "invest_willamette_carbon" / "carbon_pools_samp.csv")
    src["C_above"] = src["C_above"] + 0.25  # a fractional value in every row
    cols = list(src.columns)
    rows = src.to_numpy().tolist()
    semicolon = tmp_path / "pools_semicolon.csv"
    semicolon.write_text(
        ";".join(cols)
        + "\n"
        + "".join(
            ";".join(v if isinstance(v, str) else str(v).replace(".", ",") for v in r) + "\n"
            for r in rows
        ),
        encoding="latin-1",
    )
    tab = tmp_path / "pools_tab.csv"
    src.to_csv(tab, sep="\t", index=False)
    toml = tmp_path / "pools.toml"
    toml.write_text(
        "".join(
            "[[classes]]\n"
            + "".join(
                f"{c} = {v!r}\n" if not isinstance(v, str) else f'{c} = "{v}"\n'
                for c, v in zip(cols, r, strict=True)
            )
            for r in rows
        ),
        encoding="utf-8",
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "pools"
    sheet.append(cols)
    for r in rows:
        sheet.append(r)
    xlsx = tmp_path / "pools.xlsx"
    book.save(xlsx)
    book.create_sheet("notes").append(["written by hand"])
    two = tmp_path / "pools_two_sheets.xlsx"
    book.save(two)
    plain = tmp_path / "pools_plain.csv"
    src.to_csv(plain, index=False)
    return {
        "plain": plain,
        "semicolon": semicolon,
        "tab": tab,
        "toml": toml,
        "xlsx": xlsx,
        "two#pools": Path(f"{two}#pools"),
        "two": two,
    }


def test_pools_identical_in_every_format(shared_data: Path, tmp_path: Path):
    files = _pools_in_every_format(shared_data, tmp_path)
    reference = read_table(files["plain"], required=POOLS, nonnegative=POOLS)
    assert reference.column("c_above").iloc[0] == 15.25
    assert len(reference.codes) == 66
    for fmt in ("semicolon", "tab", "toml", "xlsx", "two#pools"):
        table = read_table(files[fmt], required=POOLS, nonnegative=POOLS)
        pd.testing.assert_frame_equal(table.frame, reference.frame, check_dtype=False)
        assert table.names() == reference.names(), fmt


def test_csv_dialect_detection():
    from landcarbon.tables import csv_dialect

    assert csv_dialect("lucode;c_above\n1;1,5\n2;3\n") == (";", ",")
    assert csv_dialect("lucode;c_above\n1;1.5\n2;3\n") == (";", ".")
    assert csv_dialect("lucode\tc_above\n1\t2,5\n") == ("\t", ",")
    assert csv_dialect('lucode,c_above\n1,"1,5"\n') == (",", ".")
    assert csv_dialect("lucode\n1\n") == (",", ".")


def test_no_code_column_names_the_separator(tmp_path: Path):
    p = _write(tmp_path, "klasse;c_above\n1;1,5\n")
    with pytest.raises(
        TableError,
        match=r"t.csv: no class-code column \(read as CSV with separator ';' and decimal "
        r"mark ',', columns: klasse, c_above\); name one of lucode",
    ):
        read_table(p, required=["c_above"])


def test_xlsx_unknown_sheet_and_not_a_workbook(tmp_path: Path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["lucode", "c_above"])
    book.active.append([1, 2.5])
    p = tmp_path / "t.xlsx"
    book.save(p)
    assert read_table(p, required=["c_above"]).column("c_above").tolist() == [2.5]
    with pytest.raises(TableError, match=r"t.xlsx: no sheet named 'Pools' \(sheets: Sheet\)"):
        read_table(f"{p}#Pools")
    fake = _write(tmp_path, "lucode,c_above\n1,2\n", "fake.xlsx")
    with pytest.raises(InputFileError, match=r"fake.xlsx: not a readable .xlsx workbook"):
        read_table(fake)


def test_xlsx_with_several_sheets_cli(shared_data: Path, tmp_path: Path):
    from landcarbon.testing import run_cli

    files = _pools_in_every_format(shared_data, tmp_path)
    lulc = shared_data / "invest_willamette_carbon" / "lulc_samp_cur.tif"
    base = ["carbon", "--lulc", str(lulc), "--out", str(tmp_path / "out")]
    result = run_cli(*base, "--pools", str(files["two"]))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        f"error: {files['two']}: the workbook has 2 sheets (pools, notes) and none is named; "
        f"name the sheet after '#', e.g. {files['two']}#pools"
    ]
    assert not (tmp_path / "out").exists()
    ok = run_cli("--json", *base, "--pools", str(files["two#pools"]))
    assert ok.returncode == 0, ok.stderr
    assert "Traceback" not in result.stderr


def test_vegetation_density_beyond_the_physical_bound_is_refused(tmp_path: Path):
    """The vegetation density table of the sinks (column ``density``) has the pools' bound."""
    p = tmp_path / "veg.csv"
    p.write_text("code,name,density\n1,forest,1e308\n2,grass,inf\n3,shrub,9999\n")
    with pytest.raises(TableError) as err:
        read_table(p, required=["density"], nonnegative=["density"])
    assert str(err.value) == (
        f"{p}: column 'density', row 2: 1e+308 is out of range: must be <= 10000; "
        f"give a density >= 0 in t C/ha; column 'density', row 3: inf is not a finite number; "
        f"give a density >= 0 in t C/ha"
    )
