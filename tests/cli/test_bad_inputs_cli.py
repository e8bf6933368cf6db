"""Bad inputs through the real entry point: exit code 1, one ``error:`` line naming the
file and the fix, no traceback (the library-level checks are tested in their modules)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from landcarbon.raster import write_raster
from landcarbon.testing import make_raster, run_cli

LU = np.array([[1, 2, 3], [1, 1, 2], [3, 2, 1]], dtype=np.int32)
POOLS_HEADER = "lucode,c_above,c_below,c_soil,c_dead\n"
POOLS = POOLS_HEADER + "1,1,1,1,1\n2,2,2,2,2\n3,3,3,3,3\n"


def _raster(d: Path, name: str, data: np.ndarray, **grid: object) -> str:
    return str(write_raster(make_raster(data, **grid), d / name))  # type: ignore[arg-type]


def _text(d: Path, name: str, text: str) -> str:
    (d / name).write_text(text, encoding="utf-8")
    return str(d / name)


def _change(**grid: object) -> Callable[[Path], tuple[list[str], str]]:
    """``change`` with a second map on another grid: the bad file is the second."""

    def build(d: Path) -> tuple[list[str], str]:
        data = np.ones((4, 3), np.int32) if grid.get("shape") else LU
        other = {k: v for k, v in grid.items() if k != "shape"}
        bad = _raster(d, "after.tif", data, **other)
        return ["change", _raster(d, "before.tif", LU), bad], bad

    return build


def _carbon(pools: str, suffix: str = ".csv") -> Callable[[Path], tuple[list[str], str]]:
    """``carbon`` with a bad pools table: the bad file is the table."""

    def build(d: Path) -> tuple[list[str], str]:
        table = _text(d, f"pools{suffix}", pools)
        return ["carbon", "--lulc", _raster(d, "lu.tif", LU), "--pools", table], table

    return build


def _carbon_lulc(write: Callable[[Path], str]) -> Callable[[Path], tuple[list[str], str]]:
    """``carbon`` with a bad land-use raster: the bad file is the raster."""

    def build(d: Path) -> tuple[list[str], str]:
        lulc = write(d)
        return ["carbon", "--lulc", lulc, "--pools", _text(d, "pools.csv", POOLS)], lulc

    return build


def _study(command: str) -> Callable[[Path], tuple[list[str], str]]:
    def build(d: Path) -> tuple[list[str], str]:
        study = _text(d, "study.toml", "[study]\nname = 'x'\n[rasters\nlu = 'lu.tif'\n")
        return [command, study], study

    return build


def _erosion_in_metres(d: Path) -> tuple[list[str], str]:
    yy, xx = np.mgrid[0:12, 0:15]
    precip = _raster(d, "precip_m.tif", np.full((12, 15), 1.6))  # 1.6 m, not 1600 mm
    args = ["erosion", "--dem", _raster(d, "dem.tif", 300.0 - 4.0 * xx + np.sin(yy / 4.0))]
    args += ["--precip", precip, "--lulc", _raster(d, "lu.tif", (1 + xx // 3).astype(np.int32))]
    args += ["--soil", _raster(d, "soil.tif", (1 + yy // 2).astype(np.int32))]
    args += ["--tables", "redsoil", "--region", "south_red_soil"]
    return [*args, "--classes", "cnlucc", "--out", str(d / "out")], precip


def _mcr(
    resistance: np.ndarray, sources: np.ndarray, bad: str
) -> Callable[[Path], tuple[list[str], str]]:
    def build(d: Path) -> tuple[list[str], str]:
        paths = {
            "resistance": _raster(d, "resistance.tif", resistance),
            "sources": _raster(d, "sources.tif", sources),
        }
        args = ["mcr", "--resistance", paths["resistance"], "--sources", paths["sources"]]
        return [*args, "--out", str(d / "out")], paths[bad]

    return build


GDALWARP = r"gdalwarp -t_srs EPSG:32650 -tr 30 30 -te 500000 3999910 500090 4000000"
SOURCES = np.array([[1, 0, 0], [0, 0, 0], [0, 0, 0]], dtype=np.int32)

CASES = {
    # (build, pattern the message must match after "error: <file>..."); the reference
    # grid is 3 x 3 cells of 30 m from (500000, 4000000) in EPSG:32650
    "crs": (_change(crs="EPSG:32649"), r"CRS EPSG:32649 differs.*" + GDALWARP),
    "resolution": (_change(cell_size=60.0), r"cell size \(60, 60\) differs.*" + GDALWARP),
    "extent": (_change(origin=(500090.0, 4000000.0)), r"shifted by \(3, -?0\) cells.*" + GDALWARP),
    "shape": (_change(shape=True), r"shape \(4, 3\) \(rows, cols\) differs.*" + GDALWARP),
    "code missing": (
        _carbon(POOLS_HEADER + "1,1,1,1,1\n2,2,2,2,2\n"),
        r"codes found in .*lu\.tif but missing from the table: 3 \(2 cells\); add a row",
    ),
    "missing column": (
        _carbon("lucode,c_above,c_below,c_soil\n1,1,1,1\n2,2,2,2\n3,3,3,3\n"),
        r"missing column\(s\) c_dead .*; add them to the header row",
    ),
    "duplicate code": (
        _carbon(POOLS + "1,4,4,4,4\n"),
        r"duplicate code\(s\) \[1\] in column 'lucode' \(rows 2, 5\); keep one row per code",
    ),
    "text in number": (
        _carbon(POOLS_HEADER + "1,1,1,1,1\n2,two,2,2,2\n3,3,3,3,3\n"),
        r"column 'c_above', row 3: 'two' is not a number; give a density >= 0 in t C/ha",
    ),
    "empty table": (_carbon(""), r"the table file is empty; give a header row"),
    "table TOML syntax": (
        _carbon("[[classes]\ncode = 1\n", ".toml"),
        r"TOML syntax error: .*line 1.*; correct the file there",
    ),
    "empty raster": (
        _carbon_lulc(lambda d: _text(d, "lu.tif", "")),
        r"the file is empty \(0 bytes\); re-export the raster",
    ),
    "all-nodata raster": (
        _carbon_lulc(lambda d: _raster(d, "lu.tif", np.full((3, 3), np.nan))),
        r"every cell is nodata; check the nodata value",
    ),
    "study TOML syntax (validate)": (_study("validate"), r"TOML syntax error: .*line 3, column 9"),
    "study TOML syntax (run)": (_study("run"), r"TOML syntax error: .*line 3, column 9"),
    "precipitation in metres": (
        _erosion_in_metres,
        r"looks like metres, not millimetres.*multiply by 1000, e\.g\. `gdal_calc\.py",
    ),
    "zero resistance": (
        _mcr(np.array([[1.0, 0.0, 1.0]] * 3), SOURCES, "resistance"),
        r"3 cell\(s\) are zero, negative or infinite .*rescale the surface",
    ),
    "no sources": (
        _mcr(np.ones((3, 3)), np.zeros((3, 3), np.int32), "sources"),
        r"no source cells \(no cell > 0\); the cost distance needs at least one source",
    ),
    "sources on barriers": (
        _mcr(np.array([[np.nan, 1.0, 1.0]] * 3), SOURCES, "sources"),
        r"1 cell\(s\) of the sources lie on barrier .*resistance\.tif.*drop them",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_1_with_one_line_naming_file_and_fix(tmp_path: Path, case: str) -> None:
    build, pattern = CASES[case]
    args, bad_file = build(tmp_path)
    proc = run_cli(*args)
    message = proc.stderr.strip()
    assert proc.returncode == 1, message
    assert "Traceback" not in proc.stderr and "\n" not in message, message
    assert message.startswith(f"error: {bad_file}") or f"({bad_file})" in message, message
    assert re.search(pattern, message), message
    # outside a study there is no [inputs] section to set
    assert "study file" not in message or "study" in case, message
    assert "check_units" not in message or "from Python" in message, message
