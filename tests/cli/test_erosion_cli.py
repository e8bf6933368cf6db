"""``landcarbon erosion``: JSON summary, outputs, agreement with the library, bad inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from landcarbon.classes import named_scheme
from landcarbon.cli import app
from landcarbon.erosion.budget import erosion_budget
from landcarbon.erosion.presets import read_erosion_tables
from landcarbon.erosion.rainfall import r_factor_annual, r_factor_monthly
from landcarbon.erosion.soil import k_factor_from_table
from landcarbon.erosion.terrain import topography
from landcarbon.raster import read_raster, write_raster
from landcarbon.testing import make_raster

runner = CliRunner()
SHAPE = (24, 30)


def _write_inputs(tmp_path: Path, precip_mm: np.ndarray | None = None, **grid) -> dict[str, Path]:
    rng = np.random.default_rng(np.random.SeedSequence(17))
    yy, xx = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    dem = 300 - 4.0 * xx + 10 * np.sin(yy / 4.0) + rng.uniform(0, 1, SHAPE)
    lulc = (1 + (xx // 6) % 6).astype(np.int32)  # the six preset classes in stripes
    soil = (1 + (yy // 2) % 13).astype(np.int32)  # the 13 preset texture classes
    p = np.full(SHAPE, 1600.0) if precip_mm is None else precip_mm
    arrays = {"dem": dem, "precip": p, "lulc": lulc, "soil": soil}
    return {
        k: write_raster(make_raster(v, **grid), tmp_path / f"{k}.tif") for k, v in arrays.items()
    }


def _args(paths: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "--json",
        "erosion",
        "--dem",
        str(paths["dem"]),
        "--precip",
        str(paths["precip"]),
        "--lulc",
        str(paths["lulc"]),
        "--soil",
        str(paths["soil"]),
        *("--classes", "cnlucc", "--tables", "redsoil", "--region", "south_red_soil"),
        "--out",
        str(out),
        *extra,
    ]


def test_erosion_json_matches_the_library(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path)
    result = runner.invoke(app, _args(paths, tmp_path / "out"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for key in (
        "mean_t_per_ha",
        "total_t",
        "conservation_t",
        "by_grade_ha",
        "carbon_source_t_c",
        "carbon_sink_t_c",
    ):
        assert key in summary
    assert set(summary["by_grade_ha"]) == {
        "slight",
        "light",
        "moderate",
        "intense",
        "very_intense",
        "severe",
    }
    # the same chain through the library, from the same files
    tables = read_erosion_tables(classes=named_scheme("cnlucc"))  # as --classes cnlucc
    soil = read_raster(paths["soil"], "categorical")
    direct = erosion_budget(
        r_factor_annual(read_raster(paths["precip"])),
        k_factor_from_table(soil, tables.soil),
        topography(read_raster(paths["dem"])).ls_factor,
        read_raster(paths["lulc"], "categorical"),
        tables.land_use,
        tables.soil.reclassify(soil, "soc_g_per_kg"),
    )
    assert summary["total_t"] == pytest.approx(direct.summary["total_t"], rel=1e-12)
    assert summary["carbon_sink_t_c"] == pytest.approx(direct.summary["carbon_sink_t_c"], rel=1e-12)
    total_area = SHAPE[0] * SHAPE[1] * 0.09
    assert sum(summary["by_grade_ha"].values()) == pytest.approx(total_area, rel=1e-12)
    out = tmp_path / "out"
    for name in (
        "soil_loss_t_per_ha.tif",
        "erosion_grade.tif",
        "ls_factor.tif",
        "by_land_use.csv",
        "summary.json",
        "net_carbon_flux_t_c_per_ha.tif",
    ):
        assert (out / name).is_file(), name
    written = read_raster(out / "soil_loss_t_per_ha.tif")
    np.testing.assert_allclose(written.values, direct.soil_loss.values, rtol=1e-12)


def test_erosion_chunked_and_geographic(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path, cell_size=0.0003, crs="EPSG:4326", origin=(114.0, 27.0))
    plain = runner.invoke(app, _args(paths, tmp_path / "a"))
    chunked = runner.invoke(app, _args(paths, tmp_path / "b", "--chunks", "12"))
    assert plain.exit_code == 0 and chunked.exit_code == 0, plain.output + chunked.output
    a, b = json.loads(plain.stdout), json.loads(chunked.stdout)
    assert b["total_t"] == pytest.approx(a["total_t"], rel=1e-12)
    # 0.0003° cells at 27°N are about 29.7 m × 33.2 m: slopes are in metres, not degrees
    slope = read_raster(tmp_path / "a" / "slope_deg.tif").values
    assert np.nanmax(slope) < 45


def test_missing_soil_code(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path)
    soil = read_raster(paths["soil"], "categorical")
    soil.values[0, :3] = 99
    write_raster(soil, paths["soil"], overwrite=True)
    result = runner.invoke(app, _args(paths, tmp_path / "out"))
    assert result.exit_code != 0
    assert "codes found in the soil map but missing from the table: 99 (3 cells)" in str(
        result.exception
    )
    assert not (tmp_path / "out").exists()  # a failed run leaves no empty --out behind


def test_precipitation_in_metres(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path, precip_mm=np.full(SHAPE, 1.6))
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from landcarbon.cli import main; main()",
            *_args(paths, tmp_path / "out")[1:],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "precipitation looks like metres, not millimetres" in result.stderr
    assert str(paths["precip"]) in result.stderr and "Traceback" not in result.stderr


def test_misaligned_inputs_and_no_out(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path)
    write_raster(make_raster(np.full((5, 5), 900.0)), paths["precip"], overwrite=True)
    result = runner.invoke(app, _args(paths, tmp_path / "out"))
    assert result.exit_code != 0
    assert "rasters are not aligned with dem" in str(result.exception)
    no_out = [a for a in _args(paths, tmp_path)[:-2]]
    result = runner.invoke(app, no_out)
    assert "give an output folder with --out" in str(result.exception)


def test_unknown_ls_method(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path)
    result = runner.invoke(app, _args(paths, tmp_path / "out", "--ls-method", "usle"))
    assert result.exit_code != 0
    assert "LS method 'usle' is unknown; select from ['csle', 'rusle']" in str(result.exception)


def test_method_options_reach_the_library(tmp_path: Path) -> None:
    # every LS option of the CLI is the library's: McCool m, the accumulation rule and
    # a 300 m cap give topography()'s LS with those options, not the CSLE defaults
    paths = _write_inputs(tmp_path)
    extra = ("--exponent", "mccool", "--slope-length", "accumulation", "--lambda-max", "300")
    result = runner.invoke(app, _args(paths, tmp_path / "out", *extra))
    assert result.exit_code == 0, result.output
    written = read_raster(tmp_path / "out" / "ls_factor.tif").values
    dem = read_raster(paths["dem"])
    options = topography(dem, exponent="mccool", slope_length="accumulation", lambda_max_m=300)
    np.testing.assert_allclose(written, options.ls_factor.values, rtol=1e-6)
    default = topography(dem).ls_factor.values
    assert np.abs(written - default).max() > 0.1


def test_segment_l_form_option(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path)
    result = runner.invoke(app, _args(paths, tmp_path / "out", "--l-form", "segment"))
    assert result.exit_code == 0, result.output
    written = read_raster(tmp_path / "out" / "ls_factor.tif").values
    expected = topography(read_raster(paths["dem"]), l_form="segment").ls_factor.values
    np.testing.assert_allclose(written, expected, rtol=1e-6)


def test_monthly_r_variant_option(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path)
    rng = np.random.default_rng(np.random.SeedSequence(31))
    stack = xr.concat([make_raster(rng.uniform(30, 260, SHAPE)) for _ in range(12)], "band")
    write_raster(stack, paths["precip"], overwrite=True)
    result = runner.invoke(app, _args(paths, tmp_path / "out", "--r-monthly", "wischmeier_si"))
    assert result.exit_code == 0, result.output
    written = read_raster(tmp_path / "out" / "r_factor.tif").values
    monthly = read_raster(paths["precip"], band=0)
    expected = r_factor_monthly(monthly, variant="wischmeier_si").values
    np.testing.assert_allclose(written, expected, rtol=1e-6)
    np.testing.assert_allclose(r_factor_monthly(monthly).values / written, 3.11917, rtol=1e-5)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--slope-length", "d8", "slope-length rule 'd8' is unknown; select from"),
        ("--exponent", "wischmeier", "slope-length exponent 'wischmeier' is unknown"),
        ("--l-form", "average", "L form 'average' is unknown; select from ['point', 'segment']"),
        # refused although this run's precipitation is annual and takes no monthly formula
        ("--r-monthly", "power", "monthly R variant 'power' is unknown (CLI --r-monthly"),
    ],
)
def test_bad_method_options_are_one_error_line(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    from landcarbon.testing import one_error_line, run_cli

    paths = _write_inputs(tmp_path)
    line = one_error_line(run_cli(*_args(paths, tmp_path / "out", option, value)))
    assert message in line, line
    assert not (tmp_path / "out").exists()


def test_monthly_precipitation_bands(tmp_path: Path) -> None:
    # --precip with 12 bands is a monthly climatology: R by Wischmeier/Arnoldus, the same
    # map as r_factor_monthly on the bands read back (not the first band as annual mm).
    paths = _write_inputs(tmp_path)
    rng = np.random.default_rng(np.random.SeedSequence(23))
    stack = xr.concat([make_raster(rng.uniform(30, 260, SHAPE)) for _ in range(12)], "band")
    write_raster(stack, paths["precip"], overwrite=True)
    result = runner.invoke(app, _args(paths, tmp_path / "out"))
    assert result.exit_code == 0, result.output
    written = read_raster(tmp_path / "out" / "r_factor.tif").values
    expected = r_factor_monthly(read_raster(paths["precip"], band=0)).values
    np.testing.assert_allclose(written, expected, rtol=1e-12)
    # the first band read as annual mm would give at most 0.0534 × 260^1.6548 = 529
    assert expected.min() > 1000


def test_daily_precipitation_with_daily_start(tmp_path: Path) -> None:
    # --precip with one band per day of 2001 and --daily-start: R by Zhang et al. (2002),
    # recomputed here in plain numpy: erosive days d >= 12 mm, Pd12 = mean d, Py12 = sum d
    # per year, beta = 0.8363 + 18.144/Pd12 + 24.455/Py12, alpha = 21.586 beta^-7.1891,
    # R = alpha * sum(d^beta) / years
    paths = _write_inputs(tmp_path)
    rng = np.random.default_rng(np.random.SeedSequence(29))
    days = rng.gamma(0.6, 9.0, size=(365, *SHAPE))
    stack = xr.concat([make_raster(d) for d in days], "band")
    write_raster(stack, paths["precip"], overwrite=True)
    args = _args(paths, tmp_path / "out", "--daily-start", "2001-01-01")
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    written = read_raster(tmp_path / "out" / "r_factor.tif").values
    stored = read_raster(paths["precip"], band=0).values  # the float32 values on disk
    erosive = np.where(stored >= 12.0, stored, 0.0)
    n12, s12 = (stored >= 12.0).sum(0), erosive.sum(0)
    beta = 0.8363 + 18.144 / (s12 / n12) + 24.455 / s12
    expected = 21.586 * beta**-7.1891 * np.where(stored >= 12.0, erosive**beta, 0.0).sum(0)
    np.testing.assert_allclose(written, expected, rtol=1e-6)
    short = runner.invoke(app, _args(paths, tmp_path / "o2", "--daily-start", "2001-13-01"))
    assert "(CLI --daily-start): not a date" in str(short.exception)


def test_k_from_texture_by_epic(tmp_path: Path) -> None:
    # --texture SAND SILT CLAY: K by EPIC (Williams 1990) with the Zhang et al. (2007)
    # correction, by hand for sand 40 %, silt 40 %, clay 20 %, SOC 15 g/kg (C = 1.5 %):
    # f_csand = 0.2 + 0.3 exp(-0.0256 * 40 * (1 - 0.4)), f_cl_si = (40 / 60)^0.3,
    # f_orgc = 1 - 0.25 C / (C + exp(3.72 - 2.95 C)), SN1 = 0.6,
    # f_hisand = 1 - 0.7 SN1 / (SN1 + exp(-5.51 + 22.9 SN1));
    # K = (-0.01383 + 0.51575 K_EPIC) * 0.1317
    paths = _write_inputs(tmp_path)
    texture = {
        name: write_raster(make_raster(np.full(SHAPE, value)), tmp_path / f"{name}.tif")
        for name, value in (("sand", 40.0), ("silt", 40.0), ("clay", 20.0), ("soc", 15.0))
    }
    extra = ["--texture", *(str(texture[n]) for n in ("sand", "silt", "clay"))]
    result = runner.invoke(
        app, _args(paths, tmp_path / "out", *extra, "--soc", str(texture["soc"]))
    )
    assert result.exit_code == 0, result.output
    c, sn1 = 1.5, 0.6
    k_epic = (
        (0.2 + 0.3 * np.exp(-0.0256 * 40 * (1 - 0.4)))
        * (40 / 60) ** 0.3
        * (1 - 0.25 * c / (c + np.exp(3.72 - 2.95 * c)))
        * (1 - 0.7 * sn1 / (sn1 + np.exp(-5.51 + 22.9 * sn1)))
    )
    written = read_raster(tmp_path / "out" / "k_factor.tif").values
    np.testing.assert_allclose(written, (-0.01383 + 0.51575 * k_epic) * 0.1317, rtol=1e-6)


@pytest.mark.parametrize("option", ["--tables", "--region"])
def test_the_tables_and_region_are_never_assumed(tmp_path: Path, option: str) -> None:
    """Without them the command used southern China's red-soil tables and region."""
    paths = _write_inputs(tmp_path)
    args = _args(paths, tmp_path / "out")
    at = args.index(option)
    result = runner.invoke(app, args[:at] + args[at + 2 :])
    assert result.exit_code == 2
    assert f"Missing option '{option}'" in result.output
    assert not (tmp_path / "out").exists()


def test_shipped_tables_need_the_classes_groups(tmp_path: Path) -> None:
    from landcarbon.testing import run_cli

    paths = _write_inputs(tmp_path)
    args = [a for a in _args(paths, tmp_path / "out") if a not in ("--classes", "cnlucc")]
    proc = run_cli(*args[1:])
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith(
        "error: the redsoil erosion tables are keyed by land-use group, and the codes "
    )
    assert "give --classes FILE (code, name, group) or --classes cnlucc" in proc.stderr
    assert not (tmp_path / "out").exists()
    # codes 10.. by group through a class table give the same B, E, T as codes 1.. of CNLUCC
    lulc = read_raster(paths["lulc"], "categorical")
    write_raster((lulc * 10).astype(np.int32), tmp_path / "lu10.tif")
    classes = tmp_path / "classes.csv"
    groups = ("cropland", "forest", "grassland", "water", "built-up", "unused")
    classes.write_text("code,group\n" + "".join(f"{10 * i},{g}\n" for i, g in enumerate(groups, 1)))
    ten = {**paths, "lulc": tmp_path / "lu10.tif"}
    a = runner.invoke(app, _args(paths, tmp_path / "a"))
    b = runner.invoke(
        app, [str(classes) if x == "cnlucc" else x for x in _args(ten, tmp_path / "b")]
    )
    assert a.exit_code == 0 and b.exit_code == 0, b.output
    assert json.loads(b.stdout)["total_t"] == pytest.approx(json.loads(a.stdout)["total_t"])
