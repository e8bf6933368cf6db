"""Never a silently wrong number: study keys, table values, CLI numbers and categorical
rasters out of their physical range (or not finite) are refused through the real entry
point with exit 1 (2 for a usage error), one ``error:`` line naming the key and the fix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from landcarbon.raster import write_raster
from landcarbon.study.examples import install_example
from landcarbon.testing import make_raster, one_error_line, run_cli


@pytest.mark.parametrize(
    ("example", "old", "new", "expected"),
    [
        # item 6: three years were accepted and the first two used
        (
            "arid_budget_scenarios",
            "years = [2010, 2020]",
            "years = [2000, 2010, 2020]",
            "simulation.years: must be a list of 2 items, got [2000.0, 2010.0, 2020.0]",
        ),
        (
            "arid_budget_scenarios",
            "years = [2010, 2020]",
            "years = [2020, 2010]",
            "simulation.years: must increase strictly, got [2020.0, 2010.0]",
        ),
        (
            "arid_budget_scenarios",
            "years = [2010, 2020]",
            "years = [10, 2020]",
            "simulation.years[0]: 10.0 is out of range: must be >= 1000",
        ),
        # item 10
        (
            "arid_budget_scenarios",
            "years = [2010, 2020]",
            "years = [2010, 2020]\nruns = 0",
            "simulation.runs: 0 is out of range: must be >= 1",
        ),
        (
            "arid_budget_scenarios",
            'x = ["dem", "slope",',
            'x = ["dem", "dem", "slope",',
            "drivers.x: lists dem more than once; give each once",
        ),
        (
            "arid_budget_with_energy",
            "energy_t_c = 25000.0",
            "energy_t_c = -25000.0",
            "carbon.energy_t_c: -25000.0 is out of range: must be >= 0",
        ),
        (
            "county_sinks",
            "min_area_ha = 50.0",
            "min_area_ha = -50.0",
            "sinks.min_area_ha: -50.0 is out of range: must be >= 0",
        ),
        # every list is what the method takes
        (
            "erosion_climate",
            "[erosion]\n",
            '[erosion]\ntexture = ["dem", "slope"]\n',
            "erosion.texture: must be a list of 3 items, got ['dem', 'slope']",
        ),
        (
            "erosion_climate",
            'categorical = ["landuse_2010",',
            'categorical = ["landuse_2010", "landuse_2010",',
            "inputs.categorical: lists landuse_2010 more than once; give each once",
        ),
        # item 8: TOML's inf and nan
        (
            "arid_budget_with_energy",
            "energy_t_c = 25000.0",
            "energy_t_c = inf",
            "carbon.energy_t_c: must be a finite number, got inf",
        ),
        (
            "county_sinks",
            "min_area_ha = 50.0",
            "min_area_ha = nan",
            "sinks.min_area_ha: must be a finite number, got nan",
        ),
        # item 10: 100000 x 100000 passed and then wrote gigabytes
        (
            "arid_budget_scenarios",
            "shape = [500, 500]",
            "shape = [100000, 100000]",
            "synthetic.shape: 100000 x 100000 = 10,000,000,000 cells is more than the "
            "400,000,000 a synthetic region may have",
        ),
    ],
)
def test_study_keys_out_of_range_are_refused_by_validate(
    tmp_path: Path, example: str, old: str, new: str, expected: str
):
    study = install_example(example, tmp_path)
    text = study.read_text()
    assert old in text
    study.write_text(text.replace(old, new, 1))
    line = one_error_line(run_cli("validate", str(study)))
    assert re.search(rf"{re.escape(str(study))}:\d+: {re.escape(expected)}", line), line
    # the synthetic region was not generated
    assert not (tmp_path / "synthetic_data").exists()


def _float_options() -> list[tuple[str, str, int]]:
    """(command, option, item count) of every float option of every command."""
    from typer.main import get_command

    from landcarbon.cli import app

    found = []
    for name, command in get_command(app).commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            annotation = param.type_descriptor.annotation
            if float in (annotation, *getattr(annotation, "__args__", ())):
                found.append((name, param.opts[0], param.nargs))
    return found


def test_every_float_option_refuses_nan_and_infinities():
    """One mechanism for every float option: NaN and infinities are usage errors."""
    from typer.testing import CliRunner

    from landcarbon.cli import app

    options = _float_options()
    assert len(options) >= 25 and ("nep", "--temperature-coef", 1) in options
    for command, option, nargs in options:
        for bad in ("nan", "inf", "-inf"):
            values = [bad] + ["1"] * (nargs - 1)
            result = CliRunner().invoke(app, [command, option, *values])
            assert result.exit_code == 2, (command, option, bad, result.output)
            assert f"Invalid value for '{option}'" in result.output
            assert f"{float(bad)!r} is not a finite number" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # item 9: an all-NaN map and "total NEP 0"; energy 0
        (["nep", "--temperature-coef", "nan"], "'--temperature-coef': nan is not a finite number"),
        (["emissions", "--energy-t-c", "nan"], "'--energy-t-c': nan is not a finite number"),
        # item 10
        (["emissions", "--energy-t-c", "-5"], "'--energy-t-c': -5.0 is out of range: must be >= 0"),
        (["geodetector", "--alpha", "2"], "'--alpha': 2.0 is out of range: must be < 1"),
        (
            ["geodetector", "--permutations", "-1"],
            "'--permutations': Input should be greater than or equal to 0",
        ),
        (["carbon", "--chunks", "-5"], "'--chunks': Input should be greater than or equal to 1"),
        # item 8: CLI numbers in their physical range
        (
            ["carbon", "--climate", "800", "1e308"],
            "'--climate': 1e+308 is out of range: must be <= 60",
        ),
        (["markov", "--target", "20350"], "'--target': 20350.0 is out of range: must be <= 3000"),
        (
            ["sinks", "--potential-quantile", "1.5"],
            "'--potential-quantile': 1.5 is out of range: must be <= 1",
        ),
        (
            ["erosion", "--buried-fraction", "-0.1"],
            "'--buried-fraction': -0.1 is out of range: must be >= 0",
        ),
        (["simulate", "--sample-rate", "0"], "'--sample-rate': 0.0 is out of range: must be > 0"),
    ],
)
def test_cli_numbers_out_of_range_are_usage_errors(args: list[str], expected: str):
    result = run_cli(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"Invalid value for {expected}" in result.stderr, result.stderr


def test_negative_and_infinite_fuel_amounts_and_weights_are_refused():
    args = ("emissions", "--lulc", "x.tif", "--preset", "arid_muus", "--fuel")
    fuel = one_error_line(run_cli(*args, "raw coal=inf"))
    assert "--fuel 'raw coal=inf': the amount inf is not a finite number" in fuel
    fuel = one_error_line(run_cli(*args, "raw coal=-3"))
    assert "--fuel 'raw coal=-3': the amount -3.0 is out of range: must be >= 0" in fuel
    import typer

    from landcarbon.cli.commands.sinks import _weights

    with pytest.raises(typer.BadParameter, match=r"nep: -1\.0 is out of range: must be >= 0"):
        _weights("nep=-1,soil=1", "--importance-weights")


LU = np.array([[1, 2, 3], [1, 1, 2], [3, 2, 1]], dtype=np.int32)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("inf", "inf is not a finite number"),
        ("-inf", "-inf is negative"),
        ("1e308", "1e+308 is out of range: must be <= 10000"),
    ],
)
def test_pools_that_are_not_finite_or_too_dense_are_refused(
    tmp_path: Path, value: str, problem: str
):
    """``inf`` in a pools table gave ``Infinity`` in summary.json with exit 0."""
    lulc = write_raster(make_raster(LU), tmp_path / "lu.tif")
    pools = tmp_path / "pools.csv"
    pools.write_text(
        f"lucode,c_above,c_below,c_soil,c_dead\n1,1,1,1,1\n2,2,2,{value},2\n3,3,3,3,3\n"
    )
    out = tmp_path / "out"
    line = one_error_line(
        run_cli("carbon", "--lulc", str(lulc), "--pools", str(pools), "--out", str(out))
    )
    assert f"{pools}: column 'c_soil', row 3: {problem}" in line
    assert line.endswith("give a density >= 0 in t C/ha")
    assert not out.exists()


def test_emission_factors_that_are_not_finite_are_refused(tmp_path: Path):
    lulc = write_raster(make_raster(LU), tmp_path / "lu.tif")
    factors = tmp_path / "factors.csv"
    factors.write_text("lucode,factor_t_c_per_ha_yr\n1,0.5\n2,-inf\n3,1e308\n")
    line = one_error_line(run_cli("emissions", "--lulc", str(lulc), "--factors", str(factors)))
    assert (
        f"{factors}: column 'factor_t_c_per_ha_yr', row 3: -inf is not a finite number; "
        f"give an emission factor in t C/ha/yr (negative = sink); "
        f"column 'factor_t_c_per_ha_yr', row 4: 1e+308 is out of range: must be <= 1000;"
    ) in line


def _gtiff(
    path: Path, data: np.ndarray, nodata: float | None = None, crs: str | None = "EPSG:32650"
) -> str:
    """A plain GeoTIFF of ``data`` in its own dtype (30 m cells), as other tools write."""
    import rasterio
    from affine import Affine

    profile = {"driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1}
    profile |= {"dtype": data.dtype.name, "crs": crs, "nodata": nodata}
    with rasterio.open(path, "w", transform=Affine(30, 0, 5e5, 0, -30, 4e6), **profile) as dst:
        dst.write(data, 1)
    return str(path)


FRACTIONAL = np.array([[1, 2, 3], [1, 3.5, 2], [3, 2, 1.25]], dtype=np.float32)
NODATA_CODE = np.array([[1, 2, 3], [1, -(2**31), 2], [3, 2, 1]], dtype=np.int32)
FRACTION_MESSAGE = (
    "2 cell(s) hold values that are not integer class codes (first: 3.5 at row 1, col 1"
)


@pytest.mark.parametrize(
    ("data", "nodata", "expected"),
    [
        (FRACTIONAL, None, FRACTION_MESSAGE),
        (
            NODATA_CODE,
            0,
            "1 cell(s) hold values that are not integer class codes (first: -2147483648 at "
            "row 1, col 1",
        ),
        (
            np.array([[1, 2, 3], [1, 4_000_000_000, 2], [3, 2, 1]], dtype=np.uint32),
            None,
            "1 cell(s) hold values that are not integer class codes (first: 4000000000 at "
            "row 1, col 1",
        ),
        (LU.astype(np.complex64), None, "a complex64 (complex) raster cannot hold class codes"),
    ],
)
def test_categorical_rasters_must_hold_integer_codes(
    tmp_path: Path, data: np.ndarray, nodata: float | None, expected: str
):
    """3.5 was truncated to 3 and INT32_MIN became nodata, silently."""
    lulc = _gtiff(tmp_path / "lu.tif", data, nodata)
    pools = tmp_path / "pools.csv"
    pools.write_text("lucode,c_above,c_below,c_soil,c_dead\n1,1,1,1,1\n2,2,2,2,2\n3,3,3,3,3\n")
    line = one_error_line(run_cli("carbon", "--lulc", lulc, "--pools", str(pools)))
    assert f"error: {lulc}: {expected}" in line
    assert "reclassify" in line or "give a categorical raster of integer codes" in line
    other = write_raster(make_raster(LU), tmp_path / "other.tif")
    assert expected in one_error_line(run_cli("change", str(other), lulc))


def test_float_rasters_with_integral_codes_are_read_as_classes(tmp_path: Path):
    lulc = _gtiff(tmp_path / "lu.tif", LU.astype(np.float32))
    pools = tmp_path / "pools.csv"
    pools.write_text("lucode,c_above,c_below,c_soil,c_dead\n1,1,1,1,1\n2,2,2,2,2\n3,3,3,3,3\n")
    result = run_cli("--json", "carbon", "--lulc", lulc, "--pools", str(pools))
    assert result.returncode == 0, result.stderr


def test_validate_reads_categorical_rasters_for_fractional_codes(tmp_path: Path):
    _gtiff(tmp_path / "lu.tif", FRACTIONAL)
    _gtiff(tmp_path / "dem.tif", FRACTIONAL)  # continuous: fractions are fine
    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "x"\n[rasters]\nlu = "lu.tif"\ndem = "dem.tif"\n'
        '[inputs]\ncategorical = ["lu"]\n'
    )
    line = one_error_line(run_cli("validate", str(study)))
    assert f"{study}:4: rasters.lu: {tmp_path / 'lu.tif'}: {FRACTION_MESSAGE}" in line
    assert "dem" not in line


def test_markov_warns_of_a_class_absent_at_t0(tmp_path: Path):
    """Its row silently became 'stays'."""
    before = write_raster(make_raster(np.where(LU == 3, 1, LU)), tmp_path / "t0.tif")
    after = write_raster(make_raster(LU), tmp_path / "t1.tif")
    args = ("markov", str(before), str(after), "--years", "2000", "2010", "--target", "2020")
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert (
        "warning: class(es) 3 (2 cells at t1) have no cells at t0: no transition out of them "
        "was observed, so their Markov rows are set to 'stays'"
    ) in result.stderr


def test_info_on_a_raster_without_crs_reports_unknown_areas(tmp_path: Path):
    """It reported 1 ha per cell, while carbon refuses the raster."""
    lulc = _gtiff(tmp_path / "lu.tif", LU, crs=None)
    result = run_cli("info", lulc)
    assert result.returncode == 0, result.stderr
    assert "area unknown (no CRS)" in result.stderr and " ha" not in result.stderr
    summary = json.loads(run_cli("--json", "info", lulc).stdout)
    assert summary["total_area_ha"] is None
    assert [(c["code"], c["cells"], c["area_ha"]) for c in summary["classes"]] == [
        (1, 4, None),
        (2, 3, None),
        (3, 2, None),
    ]


def test_nep_over_inputs_without_a_common_cell_is_an_error_not_zero(tmp_path: Path):
    """An all-NaN NEP map reported "total NEP 0" with exit 0."""
    npp = np.full((3, 3), np.nan)
    npp[0, 0] = 500.0
    temperature = np.full((3, 3), 12.0)
    temperature[0, 0] = np.nan
    paths = {
        name: str(write_raster(make_raster(data), tmp_path / f"{name}.tif"))
        for name, data in (("npp", npp), ("t", temperature), ("p", np.full((3, 3), 60.0)))
    }
    args = ["nep", "--npp", paths["npp"]]
    for _ in range(12):
        args += ["--temperature", paths["t"], "--precipitation", paths["p"]]
    out = tmp_path / "out"
    line = one_error_line(run_cli(*args, "--out", str(out)))
    assert line == (
        f"error: {paths['npp']}: the NEP is nodata in every cell; --npp, --temperature and "
        f"--precipitation share no cell with data (every month); check their nodata values "
        f"and extents"
    )
    assert not out.exists()
