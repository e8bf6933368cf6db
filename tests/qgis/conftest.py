"""QGIS headless fixtures: the plugin installed and enabled in a throw-away QGIS profile,
pointed at this tree's landcarbon, and ``qgis_process`` to drive it.

The tests that need QGIS skip, saying why, where Debian's ``qgis_process.bin`` is absent
(``make test`` installs QGIS with apt when it can). Debian's ``/usr/bin/qgis_process``
wrapper adds ``--noversioncheck`` (from ``/etc/default/qgis``), which QGIS 3.22 refuses:
the ``.bin`` is called directly.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "qgis_plugin" / "landcarbon_processing"
QGIS_PROCESS = shutil.which("qgis_process.bin") or shutil.which(
    "qgis_process.bin", path="/usr/lib/qgis:/usr/bin"
)

QGIS_PYTHON = "/usr/bin/python3"
"""The Python Debian's python3-qgis is for (not the project's virtualenv)."""

sys.path.insert(0, str(PLUGIN.parent))  # the plugin's QGIS-free modules, for the unit tests


def _landcarbon_wrapper(folder: Path) -> Path:
    """An executable running this tree's landcarbon: the ``landcarbon`` script of the
    Python running the tests (else ``python -c``) with ``src`` first on PYTHONPATH."""
    script = Path(sys.executable).parent / "landcarbon"
    command = (
        f'"{script}"'
        if script.is_file()
        else f"\"{sys.executable}\" -c 'from landcarbon.cli import main; main()'"
    )
    path = folder / "landcarbon"
    path.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT / "src"}" exec {command} "$@"\n', encoding="utf-8"
    )
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def landcarbon_exe(tmp_path_factory: pytest.TempPathFactory) -> str:
    """This tree's landcarbon as an executable file (see :func:`_landcarbon_wrapper`)."""
    return str(_landcarbon_wrapper(tmp_path_factory.mktemp("bin")))


@pytest.fixture(scope="session")
def qgis_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A HOME whose default QGIS profile has the plugin installed and enabled, and the
    provider's executable setting pointing at this tree's landcarbon."""
    if QGIS_PROCESS is None:
        pytest.skip(
            "QGIS is not installed (qgis_process.bin not found): apt-get install qgis "
            "python3-qgis qgis-providers, or run `make test`, which installs them"
        )
    home = tmp_path_factory.mktemp("qgis_home")
    profile = home / ".local/share/QGIS/QGIS3/profiles/default"
    # installed from the zip `make qgis-plugin` builds, as Plugins > Install from ZIP does
    spec = importlib.util.spec_from_file_location("build", PLUGIN.parent / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    archive = home / f"{PLUGIN.name}.zip"
    build.zip_plugin(archive)
    with zipfile.ZipFile(archive) as plugin_zip:
        plugin_zip.extractall(profile / "python/plugins")
    (profile / "QGIS").mkdir(parents=True)
    exe = _landcarbon_wrapper(home)
    (profile / "QGIS/QGIS3.ini").write_text(
        f"[PythonPlugins]\n{PLUGIN.name}=true\n\n"
        f"[Processing]\nConfiguration\\LANDCARBON_EXECUTABLE={exe}\n",
        encoding="utf-8",
    )
    return home


def _qgis_env(home: Path) -> dict[str, str]:
    """Headless QGIS in the test profile; QGIS's own Python (landcarbon runs as a
    subprocess, through the wrapper that sets its PYTHONPATH)."""
    env = {**os.environ, "HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env["XDG_RUNTIME_DIR"] = str(home)
    env.pop("PYTHONPATH", None)
    return env


QgisProcess = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def qgis_process(qgis_home: Path) -> QgisProcess:
    """``qgis_process(*args)``: run ``qgis_process.bin ARGS`` headless in the test profile."""
    env = _qgis_env(qgis_home)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        assert QGIS_PROCESS is not None
        return subprocess.run(
            [QGIS_PROCESS, *args], capture_output=True, text=True, env=env, check=False
        )

    return run


@pytest.fixture(scope="session")
def run_algorithm(qgis_process: QgisProcess) -> Callable[..., dict[str, Any]]:
    """``run_algorithm(name, PARAM=value, ...)``: run ``landcarbon:name`` through
    ``qgis_process run --json``; returns its JSON answer (fails the test on failure).
    A list value gives the parameter once per item (multiple layers)."""

    def run(name: str, **params: Any) -> dict[str, Any]:
        args = [
            f"{key}={item}"
            for key, value in params.items()
            for item in (value if isinstance(value, list) else [value])
        ]
        proc = qgis_process("--json", "run", f"landcarbon:{name}", "--", *args)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return json.loads(proc.stdout)

    return run


@pytest.fixture(scope="session")
def processing_run(qgis_home: Path, landcarbon_exe: str) -> Callable[..., list[dict[str, Any]]]:
    """``processing_run((name, {PARAM: value}), ...)``: run ``landcarbon:name`` ... with
    ``processing.run`` in QGIS's Python (Debian's /usr/bin/python3), as the desktop does,
    in one QGIS session; returns each run's ``results`` and ``loaded`` layers, styled
    (tests/qgis/processing_run.py)."""
    script = Path(__file__).with_name("processing_run.py")

    def run(*runs: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        todo = [(f"landcarbon:{name}", params) for name, params in runs]
        proc = subprocess.run(
            [QGIS_PYTHON, str(script), str(PLUGIN.parent), landcarbon_exe,
             json.dumps(todo, default=str)],
            capture_output=True, text=True, env=_qgis_env(qgis_home), check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        answers: list[dict[str, Any]] = json.loads(proc.stdout.splitlines()[-1])
        return answers

    return run


@pytest.fixture(scope="session")
def region(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The synthetic region at 160 x 160 cells (the land-use maps and three drivers) and a
    pools table for its CNLUCC classes."""
    from landcarbon.datasets import write_synthetic_region

    folder = tmp_path_factory.mktemp("region")
    layers = ("landuse_2000", "landuse_2010", "landuse_2020", "dem", "slope", "dist_roads")
    paths = write_synthetic_region(folder, shape=(160, 160), layers=layers)
    paths["pools"] = folder / "pools.csv"
    paths["pools"].write_text(
        "lucode,c_above,c_below,c_soil,c_dead\n"
        "1,5,2,60,1\n2,40,10,120,5\n3,8,3,70,1\n4,0,0,0,0\n5,2,1,30,0\n6,1,0,20,0\n",
        encoding="utf-8",
    )
    return paths
