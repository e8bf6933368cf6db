"""``landcarbon sinks`` through the CLI on the synthetic region."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import landcarbon
from landcarbon.cli import app
from landcarbon.datasets.synthetic import write_synthetic_region

runner = CliRunner()
# the shipped example table (Table 2 densities of the synthetic region's vegetation types)
VEG_TABLE = Path(landcarbon.__file__).parent / "examples" / "tables" / "vegetation_density.csv"


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("region")
    write_synthetic_region(
        folder,
        (48, 56),
        30.0,
        seed=2,
        layers=("npp", "vegetation", "soc_topsoil", "landuse_2020", "slope", "dem", "population"),
    )
    shutil.copy(VEG_TABLE, folder / "veg.csv")
    return folder


def _args(region: Path, out: Path) -> list[str]:
    return [
        "sinks",
        "--nep",
        str(region / "npp.tif"),
        "--veg-type",
        str(region / "vegetation.tif"),
        "--veg-density",
        str(region / "veg.csv"),
        "--soil-carbon",
        str(region / "soc_topsoil.tif"),
        "--lulc",
        str(region / "landuse_2020.tif"),
        "--factor",
        f"slope={region / 'slope.tif'}",
        "--factor",
        f"elevation={region / 'dem.tif'},population={region / 'population.tif'}",
        "--classes",
        "cnlucc",  # the synthetic region's codes: the presets' groups and strategies
        "--cultivated",
        "1",
        "--min-area-ha",
        "2",
        "--potential",
        "quantile",
        "--resistance-levels",
        "wensu_county",  # the county study's tables, named: nothing falls back to them
        "--strategies",
        "wensu_county",
        "--out",
        str(out),
    ]


def test_sinks_json(region: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--json", *_args(region, tmp_path / "out")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary["resistance_weights"]) == {"slope", "elevation", "population", "landuse"}
    assert summary["mcr"]["cells_reached"] > 0
    assert Path(summary["outputs"]["sink_zones"]).exists()
    assert (tmp_path / "out" / "strategies_table.csv").exists()


def test_sinks_prints_the_entropy_table(region: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, _args(region, tmp_path / "out"))
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "entropy_e" in line)
    assert header.split() == [
        "factor",
        "entropy_e",
        "difference_d",
        "weight_w",
        "weight_percent",
    ]
    written = (tmp_path / "out" / "resistance_weights.csv").read_text().splitlines()
    assert written[0] == "factor,entropy_e,difference_d,weight_w,weight_percent"


def test_sinks_bad_weights(region: Path, tmp_path: Path) -> None:
    args = [*_args(region, tmp_path / "o"), "--resistance-weights", "slope=abc"]
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert "weights must be numbers" in result.output


def test_sinks_unknown_factor(region: Path, tmp_path: Path) -> None:
    args = [*_args(region, tmp_path / "o"), "--factor", f"ndvi={region / 'npp.tif'}"]
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert "no level table for factor(s) ['ndvi']" in str(result.exception)


def test_sinks_breaks_sample(region: Path, tmp_path: Path) -> None:
    exact = runner.invoke(app, ["--json", *_args(region, tmp_path / "exact")])
    args = [*_args(region, tmp_path / "sampled"), "--breaks-sample", "500", "--seed", "4"]
    sampled = runner.invoke(app, ["--json", *args])
    assert exact.exit_code == 0 and sampled.exit_code == 0, sampled.output
    a = json.loads(exact.stdout)["importance_breaks"]
    b = json.loads(sampled.stdout)["importance_breaks"]
    assert a[0] == b[0] and a[-1] == b[-1] and a != b  # same range, sampled inner breaks
    bad = runner.invoke(app, [*_args(region, tmp_path / "bad"), "--breaks-sample", "0"])
    assert bad.exit_code != 0
    assert "sample_size 0: give a positive number of cells" in str(bad.exception)


def _without(args: list[str], option: str) -> list[str]:
    i = args.index(option)
    return args[:i] + args[i + 2 :]


def test_sinks_needs_classes_for_the_presets(region: Path, tmp_path: Path) -> None:
    # no CNLUCC fallback: the resistance preset's land-use levels are keyed by group
    result = runner.invoke(app, _without(_args(region, tmp_path / "o"), "--classes"))
    assert result.exit_code != 0
    assert "[factors.landuse] is keyed by land-use group" in str(result.exception)
    # cultivated land: the cropland group of --classes, else a usage error
    args = _without(_without(_args(region, tmp_path / "o"), "--classes"), "--cultivated")
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "give the codes of cultivated land" in result.output
    # the shipped strategies name CNLUCC codes: refused on other classes
    args = [*_without(_args(region, tmp_path / "o"), "--classes"), "--classes", "worldcover"]
    result = runner.invoke(app, [*args, "--resistance-levels", str(_slope_levels(tmp_path))])
    assert result.exit_code == 2
    assert "wensu_county: the county study's strategies (its Table 10) name CNLUCC" in (
        result.output
    )


@pytest.mark.parametrize(
    ("option", "what"),
    [("--resistance-levels", "resistance levels"), ("--strategies", "restoration strategies")],
)
def test_sinks_uses_the_county_tables_only_when_named(
    region: Path, tmp_path: Path, option: str, what: str
) -> None:
    """The county study's thresholds and rules were applied to any region that gave no
    table of its own; now the command asks for one and writes nothing."""
    result = runner.invoke(app, _without(_args(region, tmp_path / "o"), option))
    assert result.exit_code == 2
    assert f"choose the {what}: {option} wensu_county for the county study's" in " ".join(
        result.output.split()
    )
    assert not (tmp_path / "o").exists()


def _slope_levels(tmp_path: Path) -> Path:
    path = tmp_path / "levels.toml"
    rows = ", ".join(
        f"{{lower = {lo}, upper = {hi}, value = {v}}}"
        for lo, hi, v in (("-inf", 20, 1), (20, "inf", 3))
    )
    text = "".join(f"[factors.{f}]\nlevels = [{rows}]\n" for f in ("slope", "elevation"))
    path.write_text(text + "[factors.population]\nlevels = [" + rows + "]\n")
    return path


def test_sinks_cultivated_from_the_cropland_group(region: Path, tmp_path: Path) -> None:
    args = _without(_args(region, tmp_path / "o"), "--cultivated")
    result = runner.invoke(app, ["--json", *args])
    assert result.exit_code == 0, result.output
