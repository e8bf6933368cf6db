"""The landcarbon provider in QGIS, headless: it loads, lists its algorithms, and runs
``carbon``, ``change``, ``simulate`` and ``run study`` through Processing
(``qgis_process run``) to the same outputs as the CLI with the same arguments."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from landcarbon.testing import one_error_line, run_cli

ALGORITHMS = (
    "accuracy breaks carbon change emissions erosion geodetector init markov mcr nep "
    "run_study simulate sinks suitability"
).split()

Run = Callable[..., dict[str, Any]]
Runs = Callable[..., list[dict[str, Any]]]
QgisProcess = Callable[..., subprocess.CompletedProcess[str]]


def assert_same_files(
    expected: Path, got: Path, differ: tuple[str, ...] = (), extra: tuple[str, ...] = ()
) -> list[str]:
    """The two folders hold the same files with the same bytes (but for the relative
    paths in ``differ``, which must exist in both, and ``extra``, which only ``got`` has);
    returns the relative paths compared."""
    names = sorted(str(p.relative_to(expected)) for p in expected.rglob("*") if p.is_file())
    assert sorted([*names, *extra]) == sorted(
        str(p.relative_to(got)) for p in got.rglob("*") if p.is_file()
    )
    for name in names:
        if name not in differ:
            assert (expected / name).read_bytes() == (got / name).read_bytes(), name
    return names


def test_provider_lists_every_algorithm_with_the_cli_help(qgis_process: QgisProcess) -> None:
    listing = qgis_process("list")
    assert listing.returncode == 0, listing.stderr
    listed = {line.split()[0] for line in listing.stdout.splitlines() if "landcarbon:" in line}
    assert listed == {f"landcarbon:{name}" for name in ALGORITHMS}
    helped = qgis_process("help", "landcarbon:carbon")
    assert helped.returncode == 0, helped.stderr
    # the CLI's own help text and limits
    assert "Pools table: lucode, c_above, c_below, c_soil, c_dead (t C/ha)." in helped.stdout
    assert "Annual market discount rate, percent." in helped.stdout


def test_carbon_through_processing_equals_the_cli(
    run_algorithm: Run, region: dict[str, Path], tmp_path: Path
) -> None:
    cli = run_cli(
        "carbon",
        "--lulc", str(region["landuse_2010"]),
        "--lulc-future", str(region["landuse_2020"]),
        "--pools", str(region["pools"]),
        "--out", str(tmp_path / "cli"),
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    answer = run_algorithm(
        "carbon",
        LULC=region["landuse_2010"],
        LULC_FUTURE=region["landuse_2020"],
        POOLS=region["pools"],
        OUT=tmp_path / "qgis",
    )
    files = assert_same_files(tmp_path / "cli", tmp_path / "qgis")
    assert "c_storage_bas.tif" in files and "c_change_bas_alt.tif" in files
    results = answer["results"]
    assert sorted(Path(p).name for p in results["LAYERS"]) == [
        "c_change_bas_alt.tif",
        "c_storage_alt.tif",
        "c_storage_bas.tif",
    ]
    summary = json.loads(results["SUMMARY"])
    assert summary == json.loads((tmp_path / "cli" / "summary.json").read_text())
    assert summary["total_t_c"] > 0


def test_change_through_processing_equals_the_cli(
    run_algorithm: Run, region: dict[str, Path], tmp_path: Path
) -> None:
    before, after = str(region["landuse_2000"]), str(region["landuse_2020"])
    out = str(tmp_path / "cli")
    cli = run_cli("change", before, after, "--years", "2000", "2020", "--out", out)
    assert cli.returncode == 0, cli.stderr
    run_algorithm("change", BEFORE=before, AFTER=after, YEARS="2000 2020", OUT=tmp_path / "qgis")
    files = assert_same_files(tmp_path / "cli", tmp_path / "qgis")
    assert "transfer_ha.csv" in files and "class_changes.csv" in files


def test_simulate_through_processing_equals_the_cli(
    processing_run: Runs, region: dict[str, Path], tmp_path: Path
) -> None:
    """Through ``processing.run`` in QGIS's Python, as the desktop runs it: the simulated
    map is loaded with the class style of the start map (simulate writes none)."""
    drivers = [str(region[name]) for name in ("dem", "slope", "dist_roads")]
    common = ["--t0", str(region["landuse_2010"]), "--t0-year", "2010"]
    common += ["--t1", str(region["landuse_2020"]), "--t1-year", "2020"]
    common += ["--target-year", "2030", "--sample-rate", "0.2", "--n-trees", "5", "--seed", "3"]
    cli = run_cli(
        "simulate", *common, *(a for d in drivers for a in ("--driver", d)),
        "--out", str(tmp_path / "cli"),
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    params = {"T0": region["landuse_2010"], "T0_YEAR": 2010, "T1": region["landuse_2020"]}
    params |= {"T1_YEAR": 2020, "TARGET_YEAR": 2030, "DRIVER": drivers, "SAMPLE_RATE": 0.2}
    params |= {"N_TREES": 5, "SEED": 3, "OUT": tmp_path / "qgis"}
    [answer] = processing_run(("simulate", params))
    # GDAL's statistics cache, written by QGIS itself when it loaded the map
    qgis_cache = ("lulc_markov_2030.tif.aux.xml",)
    files = assert_same_files(tmp_path / "cli", tmp_path / "qgis", extra=qgis_cache)
    simulated = tmp_path / "qgis" / "lulc_markov_2030.tif"
    assert simulated.name in files
    assert answer["results"]["LAYERS"] == [str(simulated)]
    [loaded] = answer["loaded"]
    assert (loaded["path"], loaded["renderer"]) == (str(simulated), "paletted")
    assert loaded["labels"] == {
        "1": "cropland", "2": "forest", "3": "grassland",
        "4": "water", "5": "built-up", "6": "unused land",
    }  # fmt: skip


STUDY = """\
[study]
name = "QGIS check"
seed = 1

[inputs]
classes = "cnlucc"
categorical = ["landuse_2000", "landuse_2020"]

[rasters]
landuse_2000 = "{landuse_2000}"
landuse_2020 = "{landuse_2020}"

[landuse]
maps = {{ "2000" = "landuse_2000", "2020" = "landuse_2020" }}
"""


def test_run_study_through_processing_equals_the_cli(
    run_algorithm: Run, region: dict[str, Path], tmp_path: Path
) -> None:
    study = tmp_path / "study.toml"
    study.write_text(STUDY.format(**region), encoding="utf-8")
    cli = run_cli("run", str(study), "--out", str(tmp_path / "cli"))
    assert cli.returncode == 0, cli.stderr
    answer = run_algorithm("run_study", STUDY=study, OUT=tmp_path / "qgis")
    files = assert_same_files(
        tmp_path / "cli",
        tmp_path / "qgis",
        differ=("manifest.json", ".lock"),  # the run's start time and durations, its lock
    )
    assert "landuse/transfer_2000_2020/transfer_ha.csv" in files
    assert json.loads(answer["results"]["SUMMARY"])["steps"]


def test_a_refused_input_is_the_processing_error_with_the_cli_text(
    qgis_process: QgisProcess, region: dict[str, Path], tmp_path: Path
) -> None:
    pools = tmp_path / "pools.csv"
    pools.write_text("lucode,c_above,c_below,c_dead\n1,5,2,1\n", encoding="utf-8")
    args = ["--lulc", str(region["landuse_2020"]), "--pools", str(pools)]
    line = one_error_line(run_cli("carbon", *args, "--out", str(tmp_path / "cli")))
    assert "c_soil" in line
    proc = qgis_process(
        "run", "landcarbon:carbon", "--",
        f"LULC={region['landuse_2020']}", f"POOLS={pools}", f"OUT={tmp_path / 'qgis'}",
    )  # fmt: skip
    assert proc.returncode != 0
    assert line in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_more_algorithms_through_processing_equal_the_cli(
    processing_run: Runs, region: dict[str, Path], tmp_path: Path
) -> None:
    """``breaks`` (no output folder: its summary), ``accuracy`` (positional maps),
    ``markov`` (two dates in one text parameter) and ``init`` (a map list, a file to write,
    a repeated option) in one QGIS session."""
    maps = [str(region[f"landuse_{year}"]) for year in (2000, 2010, 2020)]
    cli_out, qgis_out = tmp_path / "cli", tmp_path / "qgis"
    commands = {
        "breaks": [str(region["dem"]), "--k", "4", "--method", "quantile"],
        "accuracy": [maps[2], maps[1], "--initial", maps[0], "--out", str(cli_out / "accuracy")],
        "markov": [maps[0], maps[1], "--years", "2000", "2010", "--target", "2030",
                   "--out", str(cli_out / "markov")],
        "init": [maps[0], maps[2], "--year", "2000", "--year", "2020",
                 "--out", str(cli_out / "init" / "study.toml")],
    }  # fmt: skip
    expected = {}
    for command, args in commands.items():
        proc = run_cli("--json", command, *args)
        assert proc.returncode == 0, proc.stderr
        expected[command] = json.loads(proc.stdout)
    answers = processing_run(
        ("breaks", {"VALUES": region["dem"], "K": 4, "METHOD": 2}),  # 2: quantile
        ("accuracy", {"OBSERVED": maps[2], "SIMULATED": maps[1], "INITIAL": maps[0],
                      "OUT": qgis_out / "accuracy"}),
        ("markov", {"BEFORE": maps[0], "AFTER": maps[1], "YEARS": "2000 2010", "TARGET": 2030,
                    "OUT": qgis_out / "markov"}),
        ("init", {"MAPS": [maps[0], maps[2]], "YEARS": "2000;2020",
                  "OUT": qgis_out / "init" / "study.toml"}),
    )  # fmt: skip
    summaries = [json.loads(a["results"]["SUMMARY"]) for a in answers]
    assert summaries[0] == expected["breaks"] and len(summaries[0]["edges"]) == 5
    assert summaries[2] == json.loads(json.dumps(expected["markov"]).replace("/cli/", "/qgis/"))
    qgis_cache = {"accuracy": ("change_agreement.tif.aux.xml",)}  # as for simulate
    for command in ("accuracy", "markov", "init"):
        assert_same_files(cli_out / command, qgis_out / command, extra=qgis_cache.get(command, ()))
    study = (qgis_out / "init" / "study.toml").read_text(encoding="utf-8")
    assert maps[0] in study and maps[2] in study
