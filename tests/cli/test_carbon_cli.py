"""CLI: landcarbon carbon / emissions / nep through CliRunner, JSON keys and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from landcarbon.cli import app
from landcarbon.errors import AlignmentError, ParameterError, RasterError, TableError
from landcarbon.raster import read_raster, write_raster
from landcarbon.testing import make_raster

runner = CliRunner()


@pytest.fixture()
def inputs(tmp_path: Path) -> dict[str, Path]:
    cur = write_raster(
        make_raster(np.array([[1, 1], [2, 3]], dtype=np.int32)), tmp_path / "cur.tif"
    )
    fut = write_raster(
        make_raster(np.array([[2, 1], [2, 3]], dtype=np.int32)), tmp_path / "fut.tif"
    )
    pools = tmp_path / "pools.csv"
    pools.write_text("lucode,C_above,C_below,C_soil,C_dead\n1,15,10,60,1\n2,5,3,20,0\n3,2,1,5,0\n")
    return {"cur": cur, "fut": fut, "pools": pools}


def test_carbon_json_keys_and_values(inputs: dict[str, Path], tmp_path: Path):
    args = ["--json", "carbon", "--lulc", str(inputs["cur"]), "--pools", str(inputs["pools"])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == {"total_t_c", "by_class"}
    # (2 x 86 + 28 + 8) x 0.09 ha = 208 x 0.09 = 18.72 t C
    assert summary["total_t_c"] == pytest.approx(18.72)
    assert summary["by_class"]["1"] == pytest.approx(15.48)
    out = tmp_path / "out"
    full = [*args, "--lulc-future", str(inputs["fut"]), "--price", "10", "--years", "2000", "2010"]
    result = runner.invoke(app, [*full, "--out", str(out), "--all-pools"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # one cell 1 -> 2: (28 - 86) x 0.09 = -5.22 t C; value at r = c = 0: 10 x -5.22
    assert summary["sequestration_t_c"] == pytest.approx(-5.22)
    assert summary["value"] == pytest.approx(-52.2)
    assert summary["future_total_t_c"] == pytest.approx(18.72 - 5.22)
    names = {p.name for p in out.iterdir()}
    assert {"c_storage_bas.tif", "c_change_bas_alt.tif", "npv_alt.tif", "c_soil_bas.tif"} <= names
    assert json.loads((out / "summary.json").read_text()) == summary
    change = read_raster(out / "c_change_bas_alt.tif")
    np.testing.assert_allclose(change.values, [[-58.0, 0.0], [0.0, 0.0]])


def test_carbon_per_cell_and_zone_table(inputs: dict[str, Path], tmp_path: Path):
    zones = write_raster(
        make_raster(np.array([[7, 8], [8, 8]], dtype=np.int32)), tmp_path / "z.tif"
    )
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        [
            "carbon",
            "--lulc",
            str(inputs["cur"]),
            "--pools",
            str(inputs["pools"]),
            "--zones",
            str(zones),
            "--per-cell",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    total = read_raster(out / "c_storage_bas.tif").values
    np.testing.assert_allclose(total, [[7.74, 7.74], [2.52, 0.72]], rtol=1e-6)  # float32 maps
    table = (out / "carbon_by_zone.csv").read_text().splitlines()
    # zone 7: 86 x 0.09 = 7.74; zone 8: (86 + 28 + 8) x 0.09 = 10.98
    assert table[0] == "zone,area_ha,total_t_c"
    assert [float(x) for x in table[1].split(",")] == pytest.approx([7, 0.09, 7.74])
    assert [float(x) for x in table[2].split(",")] == pytest.approx([8, 0.27, 10.98])


def test_carbon_bad_inputs(inputs: dict[str, Path], tmp_path: Path):
    base = ["carbon", "--lulc", str(inputs["cur"])]
    bad = tmp_path / "bad.csv"
    bad.write_text("lucode,c_above,c_below,c_soil,c_dead\n1,1,1,1,1\n")
    result = runner.invoke(app, [*base, "--pools", str(bad), "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, TableError)
    assert "2 (1 cells), 3 (1 cells)" in str(result.exception)
    assert not (tmp_path / "x").exists()  # the failed run removes the folder it created
    nested = tmp_path / "new" / "deeper"
    result = runner.invoke(app, [*base, "--pools", str(bad), "--out", str(nested)])
    assert isinstance(result.exception, TableError)
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    result = runner.invoke(app, [*base, "--pools", str(bad), "--out", str(kept)])
    assert isinstance(result.exception, TableError)
    assert kept.is_dir()  # a folder the user made is left alone
    result = runner.invoke(app, [*base, "--pools", str(inputs["pools"]), "--price", "3"])
    assert isinstance(result.exception, ParameterError)
    shifted = write_raster(
        make_raster(np.ones((2, 2), dtype=np.int32), origin=(0.0, 0.0)), tmp_path / "s.tif"
    )
    result = runner.invoke(
        app, [*base, "--pools", str(inputs["pools"]), "--lulc-future", str(shifted)]
    )
    assert isinstance(result.exception, AlignmentError)


def test_emissions_preset_and_energy(inputs: dict[str, Path], tmp_path: Path):
    pop = write_raster(make_raster(np.array([[1.0, 1.0], [2.0, 0.0]])), tmp_path / "pop.tif")
    out = tmp_path / "e"
    result = runner.invoke(
        app,
        [
            "--json",
            "emissions",
            "--lulc",
            str(inputs["cur"]),
            "--preset",
            "arid_muus",
            "--classes",
            "cnlucc",
            "--energy-t-c",
            "100",
            "--weights",
            str(pop),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # (2 x 0.42 - 0.64 - 0.02) x 0.09 = 0.18 x 0.09 = 0.0162 t C/yr
    assert summary["land_use_t_c_yr"] == pytest.approx(0.0162)
    assert summary["energy_t_c_yr"] == pytest.approx(100.0, rel=1e-12)
    assert summary["total_t_c_yr"] == pytest.approx(100.0162)
    energy = read_raster(out / "emissions_energy.tif").values
    np.testing.assert_allclose(energy, [[25.0, 25.0], [50.0, 0.0]])
    zero = write_raster(make_raster(np.zeros((2, 2))), tmp_path / "zero.tif")
    result = runner.invoke(
        app,
        [
            "emissions",
            "--lulc",
            str(inputs["cur"]),
            "--preset",
            "arid_muus",
            "--classes",
            "cnlucc",
            "--energy-t-c",
            "5",
            "--weights",
            str(zero),
        ],
    )
    assert isinstance(result.exception, RasterError)
    assert "zero.tif: the weight raster is zero everywhere" in str(result.exception)
    result = runner.invoke(app, ["emissions", "--lulc", str(inputs["cur"])])
    assert isinstance(result.exception, ParameterError)


def test_nep_command(tmp_path: Path):
    npp = write_raster(make_raster(np.full((2, 2), 500.0)), tmp_path / "npp.tif")
    import xarray as xr

    t = xr.concat([make_raster(np.full((2, 2), 20.0))] * 12, dim="band")
    p = xr.concat([make_raster(np.full((2, 2), 100.0))] * 12, dim="band")
    tp = write_raster(t, tmp_path / "t.tif")
    pp = write_raster(p, tmp_path / "p.tif")
    result = runner.invoke(
        app,
        ["--json", "nep", "--npp", str(npp), "--temperature", str(tp), "--precipitation", str(pp)],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    rh = 12 * 0.22 * (np.exp(0.0912 * 20) + np.log(0.3145 * 100 + 1)) * 30 * 0.465
    assert summary["mean_rh_g_c_m2_yr"] == pytest.approx(rh)
    assert summary["mean_nep_g_c_m2_yr"] == pytest.approx(500 - rh)
    # 4 cells x 900 m2 x NEP g/m2 / 1e6 t/g
    assert summary["total_nep_t_c"] == pytest.approx(4 * 900 * (500 - rh) / 1e6)
    two = runner.invoke(
        app,
        [
            "nep",
            "--npp",
            str(npp),
            "--temperature",
            str(tp),
            "--temperature",
            str(tp),
            "--precipitation",
            str(pp),
        ],
    )
    assert isinstance(two.exception, RasterError)
    assert f"monthly temperature: 2 raster(s) given ({tp}, {tp}), need 12" in str(two.exception)
    eleven = write_raster(t[:11], tmp_path / "t11.tif")
    short = runner.invoke(
        app,
        ["nep", "--npp", str(npp), "--temperature", str(eleven), "--precipitation", str(pp)],
    )
    assert isinstance(short.exception, RasterError)
    assert f"monthly temperature: {eleven} has 11 band(s), need 12" in str(short.exception)


def test_carbon_chunked_matches_in_memory(inputs: dict[str, Path], tmp_path: Path):
    base = ["--json", "carbon", "--lulc", str(inputs["cur"]), "--pools", str(inputs["pools"])]
    base += ["--lulc-future", str(inputs["fut"])]
    whole = runner.invoke(app, [*base, "--out", str(tmp_path / "a")])
    chunked = runner.invoke(app, [*base, "--chunks", "1", "--out", str(tmp_path / "b")])
    assert whole.exit_code == 0 and chunked.exit_code == 0, chunked.output
    a, b = json.loads(whole.stdout), json.loads(chunked.stdout)
    assert a.keys() == b.keys()
    for key in ("total_t_c", "future_total_t_c", "sequestration_t_c"):
        assert b[key] == pytest.approx(a[key], rel=1e-14)
    np.testing.assert_array_equal(
        read_raster(tmp_path / "a" / "c_change_bas_alt.tif").values,
        read_raster(tmp_path / "b" / "c_change_bas_alt.tif").values,
    )


def test_emissions_energy_from_fuels(inputs: dict[str, Path], tmp_path: Path):
    pop = write_raster(make_raster(np.array([[1.0, 1.0], [1.0, 1.0]])), tmp_path / "pop.tif")
    base = [
        "--json",
        "emissions",
        "--lulc",
        str(inputs["cur"]),
        "--preset",
        "arid_muus",
        "--classes",
        "cnlucc",
    ]
    result = runner.invoke(
        app, [*base, "--fuel", "raw coal=1000", "--fuel", "diesel=10", "--weights", str(pop)]
    )
    assert result.exit_code == 0, result.output
    # 1000 x 0.7143 x 0.7559 + 10 x 1.4571 x 0.5921 = 539.93937 + 8.6274891 = 548.5668591
    assert json.loads(result.stdout)["energy_t_c_yr"] == pytest.approx(548.5668591, rel=1e-12)
    bad = runner.invoke(app, [*base, "--fuel", "coal", "--weights", str(pop)])
    assert isinstance(bad.exception, ParameterError)
    assert "write NAME=AMOUNT" in str(bad.exception)


def test_carbon_options_that_would_be_ignored_are_refused(inputs: dict[str, Path]):
    base = ["carbon", "--lulc", str(inputs["cur"]), "--pools", str(inputs["pools"])]
    result = runner.invoke(app, [*base, "--zones", str(inputs["cur"])])
    assert isinstance(result.exception, ParameterError)
    assert "--zones writes carbon_by_zone.csv: give --out" in str(result.exception)
    result = runner.invoke(
        app, [*base, "--lulc-future", str(inputs["fut"]), "--years", "2000", "2010"]
    )
    assert isinstance(result.exception, ParameterError)
    assert "--years is for valuation: give --price" in str(result.exception)


def test_misaligned_zones_fail_before_any_output(inputs: dict[str, Path], tmp_path: Path):
    zones = write_raster(make_raster(np.array([[7, 8, 8]], dtype=np.int32)), tmp_path / "zones.tif")
    out = tmp_path / "z"
    args = ["carbon", "--lulc", str(inputs["cur"]), "--pools", str(inputs["pools"])]
    result = runner.invoke(app, [*args, "--zones", str(zones), "--out", str(out)])
    assert isinstance(result.exception, AlignmentError)
    assert "zones.tif is not on the grid of" in str(result.exception)
    assert not out.exists() or not any(out.iterdir())  # no map written before the error


def test_carbon_climate_correction_equals_the_python_table(inputs: dict[str, Path], tmp_path: Path):
    from landcarbon.carbon import climate_corrected_pools, correction_factors, read_pools

    out = tmp_path / "clim"
    args = ["--json", "carbon", "--lulc", str(inputs["cur"]), "--pools", str(inputs["pools"])]
    args += ["--climate-variant", "mean", "--climate", "700", "16"]
    args += ["--reference-climate", "628", "9"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    factors = correction_factors(700, 16, 628, 9, "mean")
    expected = climate_corrected_pools(read_pools(inputs["pools"]), factors).frame
    written = pd.read_csv(out / "pools_corrected.csv", index_col="lucode")
    pd.testing.assert_frame_equal(written, expected, check_names=False, rtol=1e-15)
    # hand factors: K_BP = exp(0.0054 x 72), K_BT = 846/650, K_B = their mean (variant
    # "mean"), K_S = (3.3968 x 700 + 3996.1) / (3.3968 x 628 + 3996.1)
    k_b = (np.exp(0.0054 * 72) + 846 / 650) / 2
    k_s = (3.3968 * 700 + 3996.1) / (3.3968 * 628 + 3996.1)
    assert summary["climate_factors"]["k_b"] == pytest.approx(k_b, rel=1e-14)
    assert summary["climate_factors"]["k_s"] == pytest.approx(k_s, rel=1e-14)
    assert summary["climate_factors"]["variant"] == "mean"
    # cells 1, 1, 2, 3: biomass (2 x 25 + 8 + 3) x K_B, soil (2 x 60 + 20 + 5) x K_S,
    # dead 2 x 1 uncorrected; 0.09 ha per cell
    total = (61 * k_b + 145 * k_s + 2) * 0.09
    assert summary["total_t_c"] == pytest.approx(total, rel=1e-12)
    assert json.loads((out / "summary.json").read_text()) == summary
    plain = runner.invoke(app, args)  # without --out: the same totals, no table
    assert json.loads(plain.stdout) == summary
    lone = runner.invoke(app, args[:-3])  # no --reference-climate
    assert isinstance(lone.exception, ParameterError)
    assert "needs both --climate MAP_MM MAT_C" in str(lone.exception)


def test_emissions_by_zone_conserves_each_regional_total(tmp_path: Path):
    lulc = write_raster(
        make_raster(np.array([[1, 1, 2], [2, 3, 3]], dtype=np.int32)), tmp_path / "lu.tif"
    )
    zones = write_raster(
        make_raster(np.array([[7, 7, 8], [7, 8, 8]], dtype=np.int32)), tmp_path / "zones.tif"
    )
    pop = write_raster(
        make_raster(np.array([[1.0, 3.0, 2.0], [4.0, 0.0, 0.0]])), tmp_path / "p.tif"
    )
    mask = write_raster(
        make_raster(np.array([[1, 1, 0], [1, 1, 1]], dtype=np.int32)), tmp_path / "built.tif"
    )
    regional = tmp_path / "regional.csv"
    regional.write_text("zone,energy_t_c\n7,80\n8,30\n")
    base = [
        "--json",
        "emissions",
        "--lulc",
        str(lulc),
        "--preset",
        "arid_muus",
        "--classes",
        "cnlucc",
    ]
    base += ["--zones", str(zones), "--zone-energy", str(regional), "--weights", str(pop)]
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    # zone 7 weights 1, 3, 4 (sum 8) share 80: 10, 30, 40; zone 8 weights 2, 0, 0: 30, 0, 0
    energy = read_raster(tmp_path / "a" / "emissions_energy.tif").values
    np.testing.assert_allclose(energy, [[10.0, 30.0, 30.0], [40.0, 0.0, 0.0]], rtol=1e-6)
    table = pd.read_csv(tmp_path / "a" / "emissions_by_zone.csv")
    assert table.columns.tolist() == [
        "zone",
        "area_ha",
        "land_use_t_c_yr",
        "energy_t_c_yr",
        "total_t_c_yr",
    ]
    # land use, arid_muus: zone 7 = (2 x 0.42 - 0.64) x 0.09 = 0.018,
    # zone 8 = (-0.64 - 2 x 0.02) x 0.09 = -0.0612 t C/yr
    assert table["zone"].tolist() == [7, 8]
    assert table["area_ha"].tolist() == pytest.approx([0.27, 0.27])
    assert table["land_use_t_c_yr"].tolist() == pytest.approx([0.018, -0.0612], rel=1e-12)
    assert abs(table["energy_t_c_yr"][0] - 80) <= 1e-9 * 80
    assert abs(table["energy_t_c_yr"][1] - 30) <= 1e-9 * 30
    assert table["total_t_c_yr"].tolist() == pytest.approx([80.018, 29.9388], rel=1e-12)
    assert json.loads(result.stdout)["energy_t_c_yr"] == pytest.approx(110.0, rel=1e-12)
    # the mask takes cell (0, 2) away: zone 8 has only zero weights left
    masked = [*base, "--mask", str(mask), "--out", str(tmp_path / "b")]
    result = runner.invoke(app, masked)
    assert isinstance(result.exception, RasterError)
    assert "every weight is zero in zone(s) 8" in str(result.exception)
    assert "--zero-weight area" in str(result.exception)
    assert not (tmp_path / "b").exists()
    result = runner.invoke(app, [*masked, "--zero-weight", "area"])
    assert result.exit_code == 0, result.output
    # zone 8 by area over its eligible cells (1, 1) and (1, 2): 15 t C each
    energy = read_raster(tmp_path / "b" / "emissions_energy.tif").values
    np.testing.assert_allclose(energy, [[10.0, 30.0, 0.0], [40.0, 15.0, 15.0]], rtol=1e-6)
    table = pd.read_csv(tmp_path / "b" / "emissions_by_zone.csv")
    assert table["energy_t_c_yr"].tolist() == pytest.approx([80.0, 30.0], rel=1e-9)


def test_emissions_zone_options_refused_when_they_would_be_ignored(tmp_path: Path):
    lulc = write_raster(make_raster(np.array([[1, 2]], dtype=np.int32)), tmp_path / "lu.tif")
    base = ["emissions", "--lulc", str(lulc), "--preset", "arid_muus", "--classes", "cnlucc"]
    cases = [
        (["--zones", str(lulc)], "--zones writes emissions_by_zone.csv: give --out DIR"),
        (["--zone-energy", str(lulc)], "--zone-energy gives totals per region: give --zones"),
        (["--mask", str(lulc)], "--mask and --zero-weight are for the energy allocation"),
        (["--energy-t-c", "5", "--fuel", "diesel=1"], "give one of --energy-t-c, --fuel or"),
        (["--energy-t-c", "5"], "needs both a total (--energy-t-c, --fuel or --zone-energy)"),
    ]
    for extra, message in cases:
        result = runner.invoke(app, [*base, *extra])
        assert isinstance(result.exception, ParameterError), extra
        assert message in str(result.exception)


def test_emissions_preset_by_group_through_classes(tmp_path: Path):
    from landcarbon.testing import run_cli

    lulc = write_raster(
        make_raster(np.array([[10, 20], [90, 10]], dtype=np.int32)), tmp_path / "lu.tif"
    )
    classes = tmp_path / "classes.csv"
    classes.write_text("code,name,group\n10,paddy,cropland\n20,wood,forest\n90,sand,unused\n")
    proc = run_cli("--json", "emissions", "--lulc", str(lulc), "--preset", "arid_muus",
                   "--classes", str(classes))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # (2 x 0.42 - 0.64 + 0.05) x 0.09 = 0.25 x 0.09 = 0.0225 t C/yr
    assert json.loads(proc.stdout)["land_use_t_c_yr"] == pytest.approx(0.0225, rel=1e-12)
    # raw codes and no groups: one error line naming the codes and the fix
    proc = run_cli("emissions", "--lulc", str(lulc), "--preset", "arid_muus")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith(
        f"error: --preset arid_muus is keyed by land-use group, and the codes [10, 20, 90] of "
        f"{lulc} have no group: give --classes FILE (code, name, group) or --classes cnlucc"
    )
    classes.write_text("code,name,group\n10,paddy,cropland\n20,wood,forrest\n90,sand,unused\n")
    proc = run_cli("emissions", "--lulc", str(lulc), "--preset", "arid_muus",
                   "--classes", str(classes))  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert (
        f"error: {classes}: column 'group': row 3 (code 20): 'forrest' is not a land-use group "
        f"(did you mean 'forest'?)" in proc.stderr
    )


@pytest.mark.parametrize(
    ("dtype", "value", "nodata"), [("uint32", 3_000_000_000, 0), ("int32", -2147483648, 0)]
)
def test_integer_map_with_codes_beyond_int32_is_refused(
    inputs: dict[str, Path], tmp_path: Path, dtype: str, value: int, nodata: int
):
    """An integer land-use file is read in its own dtype: a code int32 cannot hold is one
    error line naming the file, the cell and the fix, through the real entry point."""
    import rasterio
    from affine import Affine

    from landcarbon.testing import one_error_line, run_cli

    data = np.ones((6, 5), dtype=dtype)
    data[2, 3] = value
    path = tmp_path / "lulc_int.tif"
    profile = {"driver": "GTiff", "height": 6, "width": 5, "count": 1, "dtype": dtype}
    transform = Affine(30.0, 0.0, 500_000.0, 0.0, -30.0, 4_000_000.0)
    with rasterio.open(
        path, "w", **profile, crs="EPSG:32650", transform=transform, nodata=nodata
    ) as dst:
        dst.write(data, 1)
    proc = run_cli("carbon", "--lulc", str(path), "--pools", str(inputs["pools"]))
    line = one_error_line(proc)
    assert f"{path}: 1 cell(s) hold values that are not integer class codes" in line
    assert f"first: {value} at row 2, col 3" in line
    assert "reclassify the raster to integer codes or set its nodata value" in line


CARBON_PROBE = """
import json, sys
sys.argv = ["landcarbon", "carbon", *sys.argv[1:]]
from landcarbon.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_carbon_maps_of_a_projected_map_load_no_numba_xarray_dask_pyproj(
    inputs: dict[str, Path], tmp_path: Path
):
    """The five InVEST rasters of a map in memory are table lookups and class counts: numpy
    does them, and the process does not pay numba's load (~0.5-1 s CPU, more than the work
    at 4000 x 4000), nor xarray's with the dask its first DataArray imports (~0.6 s), nor
    rioxarray's and pyproj's: numpy and rasterio on the file's grid (issue 18 item 2)."""
    import subprocess
    import sys

    def modules_loaded(*options: str) -> list[str]:
        proc = subprocess.run(
            [sys.executable, "-c", CARBON_PROBE, *options],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    args = ["--lulc", str(inputs["cur"]), "--pools", str(inputs["pools"]), "--all-pools"]
    loaded = modules_loaded(*args, "--out", str(tmp_path / "out"))
    assert "rasterio" in loaded and "pandas" in loaded  # the probe did run the command
    heavy = {"numba", "xarray", "rioxarray", "dask", "pyproj", "scipy"}
    assert sorted(heavy.intersection(loaded)) == []
    value = ["--price", "43", "--discount-rate", "7", "--years", "2000", "2030"]
    with_future = [*args, "--lulc-future", str(inputs["fut"]), *value]
    loaded = modules_loaded(*with_future, "--out", str(tmp_path / "fut"))
    assert "rasterio" in loaded and sorted(heavy.intersection(loaded)) == []
    # cell (0, 0) goes from class 1 (86 t C/ha) to class 2 (28)
    change = read_raster(tmp_path / "fut" / "c_change_bas_alt.tif").values
    np.testing.assert_array_equal(change, [[-58.0, 0.0], [0.0, 0.0]])
    summary = json.loads((tmp_path / "fut" / "summary.json").read_text())
    assert summary["sequestration_t_c"] == pytest.approx(-58 * 0.09, rel=1e-14)
    # 1: 15 + 10 + 60 + 1 = 86, 2: 28, 3: 8 t C/ha (c_soil: 60, 20, 5)
    storage = read_raster(tmp_path / "out" / "c_storage_bas.tif").values
    np.testing.assert_array_equal(storage, [[86.0, 86.0], [28.0, 8.0]])
    soil = read_raster(tmp_path / "out" / "c_soil_bas.tif").values
    np.testing.assert_array_equal(soil, [[60.0, 60.0], [20.0, 5.0]])
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["total_t_c"] == pytest.approx(208 * 0.09, rel=1e-14)


def test_maps_too_large_for_memory_are_refused_up_front_with_the_chunked_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from landcarbon.testing import one_error_line, run_cli

    lulc = write_raster(
        make_raster(np.tile(np.array([1, 2, 3], dtype=np.int32), (200, 67))[:, :200]),
        tmp_path / "lulc.tif",
    )
    pools = tmp_path / "pools.csv"
    pools.write_text("lucode,c_above,c_below,c_soil,c_dead\n1,15,10,60,1\n2,5,3,20,0\n3,2,1,5,0\n")
    monkeypatch.setenv("LANDCARBON_MEMORY_LIMIT", "500kB")  # 40 000 cells need ~0.72 MB
    args = ["carbon", "--lulc", str(lulc), "--pools", str(pools), "--out", str(tmp_path / "o")]
    line = one_error_line(run_cli(*args))
    assert str(lulc) in line and "200 x 200 cells read whole need about 0.00072 GB" in line
    assert "0.0005 GB available (LANDCARBON_MEMORY_LIMIT)" in line
    assert "rerun with --chunks 2048" in line
    assert not (tmp_path / "o").exists()  # refused before anything was written
    # a future map needs more: 40 000 x (18 + 8) bytes
    monkeypatch.setenv("LANDCARBON_MEMORY_LIMIT", "1MB")
    assert run_cli(*args).returncode == 0
    future = ["--lulc-future", str(lulc), "--overwrite"]
    assert "need about 0.00104 GB" in one_error_line(run_cli(*args, *future))
    # the fix the message gives: chunked, the same map runs under the same limit
    proc = run_cli(*args, *future, "--chunks", "64")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["sequestration_t_c"] == 0.0


def test_carbon_in_memory_read_refuses_bad_maps_by_file_and_fix(
    inputs: dict[str, Path], tmp_path: Path
):
    """The numpy + rasterio read of ``landcarbon carbon`` (an integer map masked by its
    nodata value) keeps read_raster's refusals: a map of nodata only, a damaged tile, a
    code the table lacks; one error line naming the file and the fix, nothing written."""
    import rasterio

    from landcarbon.testing import one_error_line, run_cli, write_gtiff

    pools = str(inputs["pools"])
    empty = write_gtiff(tmp_path / "empty.tif", np.full((3, 4), 255, np.uint8), 255)
    line = one_error_line(run_cli("carbon", "--lulc", str(empty), "--pools", pools))
    assert f"{empty}: every cell is nodata; check the nodata value (255.0)" in line
    codes = np.tile(np.array([1, 2, 3, 7], np.uint8), (512, 128))
    tiles = {"tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate"}
    damaged = write_gtiff(tmp_path / "damaged.tif", codes.clip(1, 3), 255, **tiles)
    with rasterio.open(damaged) as ds:
        offset = int(ds.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1))
    with damaged.open("r+b") as f:
        f.seek(offset)
        f.write(b"\xff" * 64)
    out = tmp_path / "out"
    line = one_error_line(
        run_cli("carbon", "--lulc", str(damaged), "--pools", pools, "-o", str(out))
    )
    assert f"{damaged}: its pixel data cannot be read" in line
    assert "the file is truncated or damaged; copy or export it again" in line
    seven = write_gtiff(tmp_path / "seven.tif", codes, 255)
    line = one_error_line(run_cli("carbon", "--lulc", str(seven), "--pools", pools, "-o", str(out)))
    assert f"{pools}: codes found in {seven} but missing from the table: 7 (65536 cells)" in line
    assert "add a row for each code (or mark those cells as nodata)" in line
    assert not out.exists()
