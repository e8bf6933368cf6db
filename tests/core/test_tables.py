"""Class tables: schema checks and lookups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
