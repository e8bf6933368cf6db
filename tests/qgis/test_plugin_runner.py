"""The QGIS plugin's QGIS-free parts, without QGIS: the CLI spec it is built from is the
CLI's, its table names real options, parameters become the CLI's arguments, and the runner
forwards progress, turns landcarbon's error line into its error, stops on cancel and names
the install command when landcarbon is missing or too old."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from landcarbon_processing import commands, runner  # type: ignore[import-not-found]

from landcarbon.testing import one_error_line, run_cli


def test_the_spec_is_the_cli_s() -> None:
    script = Path(commands.__file__).parents[1] / "cli_spec.py"
    spec = importlib.util.spec_from_file_location("cli_spec", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = json.loads(json.dumps(module.cli_spec()))
    assert commands.SPEC == fresh, "stale: run `make qgis-plugin` (qgis_plugin/cli_spec.py)"
    carbon = {p["name"]: p for p in fresh["commands"]["carbon"]["params"]}
    assert carbon["discount_rate"] | {"help": ""} == {
        "name": "discount_rate",
        "flag": "--discount-rate",
        "help": "",
        "type": "float",
        "nargs": 1,
        "multiple": False,
        "required": False,
        "default": 0.0,
        "ge": 0,
        "le": 100,
    }
    assert carbon["climate"]["items"] == [{"ge": 0, "le": 15000}, {"ge": -90, "le": 60}]
    assert carbon["chunks"]["ge"] == 1  # typer's own min=


def test_the_table_names_real_options_and_valid_defaults() -> None:
    for command, entry in commands.TABLE.items():
        params = {p["name"]: p for p in commands.SPEC["commands"][command]["params"]}
        paths = {name for name, p in params.items() if p["type"] == "path"}
        assert set(entry.get("rasters", ())) <= paths, command
        for name, choices in entry.get("choices", {}).items():
            default = params[name]["default"]
            assert default is None or str(default) in choices, (command, name)
        assert entry.get("style_from") in (None, *entry.get("rasters", ()))


def test_parameters_become_the_cli_arguments() -> None:
    args = commands.cli_arguments(
        "carbon",
        {
            "LULC": "/d/a b.tif",
            "POOLS": "/d/pools.csv",
            "DISCOUNT_RATE": 0.0,  # the CLI's default: left out
            "PRICE": 12.0,
            "YEARS": "2000 2020",
            "CLIMATE_VARIANT": "mean",
            "CO2": True,
            "ALL_POOLS": False,
            "OUT": "/o",
        },
    )
    assert args == [
        "--lulc", "/d/a b.tif", "--pools", "/d/pools.csv", "--price", "12",
        "--years", "2000", "2020", "--co2", "--climate-variant", "mean", "--out", "/o",
    ]  # fmt: skip
    nep = commands.cli_arguments("nep", {"NPP": "n.tif", "TEMPERATURE": ["t1.tif", "t2.tif"]})
    assert nep == ["--npp", "n.tif", "--temperature", "t1.tif", "--temperature", "t2.tif"]
    fuel = commands.cli_arguments("emissions", {"FUEL": "coal=3; gas=2"})
    assert fuel == ["--fuel", "coal=3", "--fuel", "gas=2"]
    assert commands.cli_arguments("change", {"BEFORE": "a.tif", "AFTER": "b.tif"}) == [
        "a.tif",
        "b.tif",
    ]


class Feedback:
    """QgsProcessingFeedback's methods the runner calls, recorded; cancels on request."""

    def __init__(self, cancel_after_progress: bool = False) -> None:
        self.progress: list[float] = []
        self.info: list[str] = []
        self.cancel_after_progress = cancel_after_progress

    def isCanceled(self) -> bool:
        return self.cancel_after_progress and bool(self.progress)

    def setProgress(self, value: float) -> None:
        self.progress.append(value)

    def pushInfo(self, text: str) -> None:
        self.info.append(text)

    pushCommandInfo = pushConsoleInfo = pushWarning = pushInfo


@pytest.fixture(scope="module")
def exe(landcarbon_exe: str) -> str:
    return landcarbon_exe


STUDY = """\
[study]
name = "runner check"

[synthetic]
shape = [30, 30]
folder = "synthetic"

[inputs]
classes = "cnlucc"

[rasters]
landuse_2000 = "synthetic/landuse_2000.tif"
landuse_2020 = "synthetic/landuse_2020.tif"

[landuse]
maps = { "2000" = "landuse_2000", "2020" = "landuse_2020" }
"""


def test_progress_and_messages_reach_the_feedback(exe: str, tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_text(STUDY, encoding="utf-8")
    feedback = Feedback()
    args = [str(tmp_path / "study.toml"), "--out", str(tmp_path / "out")]
    summary = runner.run_landcarbon(exe, "run", args, feedback)
    assert feedback.progress == [0.0, 50.0]  # steps 1/2 and 2/2 starting
    assert "[2/2] transfer_2000_2020" in feedback.info
    assert any(line.startswith("done: 2 step(s) ran") for line in feedback.info)
    assert feedback.info[0].endswith(f"--json --progress-json run {args[0]} --out {args[2]}")
    assert summary["out_dir"] == str(tmp_path / "out")


def test_landcarbon_s_error_line_is_the_error(exe: str, tmp_path: Path) -> None:
    pools = tmp_path / "pools.csv"
    pools.write_text("lucode,c_above\n1,2\n", encoding="utf-8")
    args = ["--lulc", str(tmp_path / "missing.tif"), "--pools", str(pools)]
    line = one_error_line(run_cli("carbon", *args))
    with pytest.raises(runner.LandcarbonRunError) as caught:
        runner.run_landcarbon(exe, "carbon", args, Feedback())
    assert str(caught.value) == line


def test_cancel_stops_landcarbon(exe: str, tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_text(STUDY, encoding="utf-8")
    args = [str(tmp_path / "study.toml"), "--out", str(tmp_path / "out")]
    feedback = Feedback(cancel_after_progress=True)
    with pytest.raises(runner.LandcarbonRunError, match="run cancelled; its process was stopped"):
        runner.run_landcarbon(exe, "run", args, feedback)
    assert feedback.progress == [0.0]  # stopped during the first step
    assert not (tmp_path / "out" / "landuse" / "transfer_2000_2020").exists()


def _script(folder: Path, body: str) -> str:
    path = folder / "landcarbon"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def test_missing_or_old_landcarbon_names_the_install_command(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(runner.LandcarbonRunError, match="not found on PATH; install landcarbon"):
        runner.find_executable(None)
    with pytest.raises(runner.LandcarbonRunError, match=r"/nowhere/landcarbon, does not exist"):
        runner.find_executable("/nowhere/landcarbon")
    old = _script(tmp_path, "echo landcarbon 0.0.9")
    assert runner.find_executable(None) == old
    with pytest.raises(runner.LandcarbonRunError) as caught:
        runner.check_version(old, "0.1.0")
    assert "is landcarbon 0.0.9; this plugin needs 0.1.0 or newer" in str(caught.value)
    assert "pip install landcarbon" in str(caught.value)
    (tmp_path / "older").mkdir()
    older = _script(tmp_path / "older", "echo 'No such option: --version' >&2; exit 2")
    with pytest.raises(runner.LandcarbonRunError, match=r"is not landcarbon 0\.1\.0 or newer"):
        runner.check_version(older, "0.1.0")


def test_this_landcarbon_is_new_enough(exe: str, monkeypatch: Any) -> None:
    asked: list[list[str]] = []
    run = runner.subprocess.run

    def counted(args: list[str], **kwargs: Any) -> Any:
        asked.append(args)
        return run(args, **kwargs)

    monkeypatch.setattr(runner, "_checked", {})
    monkeypatch.setattr(runner.subprocess, "run", counted)
    assert runner.check_version(exe, commands.SPEC["version"]) == commands.SPEC["version"]
    runner.check_version(exe, commands.SPEC["version"])  # asked once per executable
    assert asked == [[exe, "--version"]]
