"""The CLI loads commands lazily (issue 18, item 4): ``landcarbon X`` imports the module of X
alone, ``landcarbon --help`` none, and both behave as the app that registered every command
at start-up did (listing, unknown commands, global flags anywhere). Never timed: what is
loaded is read from ``sys.modules`` in a fresh interpreter."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
import typer.main
from typer.testing import CliRunner

from landcarbon import __version__
from landcarbon.cli import _SETTINGS, COMMANDS, app, commands
from landcarbon.testing import run_cli, write_gtiff

PROBE = """
import json, sys
sys.argv = ["landcarbon", *sys.argv[1:]]
from landcarbon.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""

NEVER = ("pandas", "xarray", "dask", "sklearn", "scipy", "numba")
"""Libraries neither ``--help`` nor ``info`` may load."""


def _loaded(*args: str) -> tuple[set[str], str]:
    """The modules a ``landcarbon *args`` process ends with, and its stdout before them."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120
    )
    *printed, modules = proc.stdout.strip().splitlines()
    return set(json.loads(modules)), "\n".join(printed)


def _command_modules(loaded: set[str]) -> list[str]:
    prefix = f"{commands.__name__}."
    return sorted(m.removeprefix(prefix) for m in loaded if m.startswith(prefix))


def _eager_app() -> typer.Typer:
    """Every command module registered on one app, as the CLI did before it was lazy."""
    eager = typer.Typer(**_SETTINGS)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(eager)
    return eager


@pytest.fixture
def land_use(tmp_path: Path) -> str:
    codes = np.array([[1, 1, 255], [2, 7, 7]], dtype=np.uint8)
    return str(write_gtiff(tmp_path / "lu.tif", codes, nodata=255))


def test_help_imports_no_command_module():
    loaded, printed = _loaded("--help")
    assert "Commands:" in printed  # the probe did print the listing
    assert _command_modules(loaded) == []
    assert sorted({m.split(".")[0] for m in loaded}.intersection(NEVER)) == []


def test_info_imports_its_command_module_alone(land_use):
    loaded, printed = _loaded("--json", "info", land_use)
    assert json.loads(printed)["rows"] == 2  # the probe did describe the raster
    assert _command_modules(loaded) == ["info"]
    assert sorted({m.split(".")[0] for m in loaded}.intersection(NEVER)) == []


def test_a_command_help_imports_that_command_alone():
    loaded, printed = _loaded("carbon", "--help")
    assert "--pools" in printed
    assert _command_modules(loaded) == ["carbon"]


def test_the_table_of_commands_is_what_the_modules_register():
    # a new command module needs its line in COMMANDS: name and first sentence of its help
    eager = typer.main.get_group(_eager_app())
    assert list(eager.commands) == list(COMMANDS), "add or remove the command in COMMANDS"
    for name, command in eager.commands.items():
        text = command.help or ""
        words = text[: text.find("\n\n")].split() if "\n\n" in text else text.split()
        end = next((i for i, w in enumerate(words) if w.endswith(".")), len(words) - 1)
        assert COMMANDS[name] == " ".join(words[: end + 1]), f"COMMANDS[{name!r}] is stale"


@pytest.mark.parametrize("width", [50, 80, 200])
def test_help_listing_is_the_eager_apps(width):
    runner = CliRunner()
    lazy = runner.invoke(app, ["--help"], terminal_width=width).stdout
    eager = runner.invoke(_eager_app(), ["--help"], terminal_width=width).stdout
    listing = lazy[lazy.index("Commands:") :]
    assert listing == eager[eager.index("Commands:") :]
    assert len(listing.splitlines()) == 1 + len(COMMANDS)


def test_a_command_help_is_the_eager_apps():
    runner = CliRunner()
    for name in ("info", "run", "geodetector"):
        lazy = runner.invoke(app, [name, "--help"])
        eager = runner.invoke(_eager_app(), [name, "--help"])
        assert lazy.exit_code == eager.exit_code == 0
        assert lazy.stdout.replace("landcarbon ", "") == eager.stdout.replace("root ", "")


def test_unknown_command_is_a_usage_error_with_suggestions():
    proc = run_cli("infi")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "Error: No such command 'infi'. Did you mean 'init', 'info'?" in proc.stderr
    proc = run_cli("nosuch")
    assert proc.returncode == 2 and "No such command 'nosuch'." in proc.stderr


def test_global_flags_after_the_command(land_use):
    proc = run_cli("info", land_use, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert [(c["code"], c["cells"]) for c in summary["classes"]] == [(1, 2), (2, 1), (7, 2)]
    assert proc.stderr == ""  # --json is quiet
    proc = run_cli("info", land_use, "--quiet")
    assert proc.returncode == 0 and proc.stdout == proc.stderr == ""
    proc = run_cli("info", land_use, "--progress-json")
    messages = [json.loads(line)["message"] for line in proc.stderr.splitlines()]
    assert messages[0].startswith(f"{land_use}  2 x 3 cells")
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"landcarbon {__version__}"


def test_debug_after_the_command_shows_the_traceback(tmp_path):
    missing = str(tmp_path / "none.tif")
    proc = run_cli("info", missing)
    assert proc.returncode == 1 and proc.stderr.startswith(f"error: {missing}: file not found")
    proc = run_cli("info", missing, "--debug")
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "InputFileError" in proc.stderr


@pytest.mark.parametrize(("given", "kept"), [(None, "64"), ("512", "512")])
def test_the_cli_caps_gdals_block_cache_unless_the_user_set_it(
    monkeypatch: pytest.MonkeyPatch, given: str | None, kept: str
) -> None:
    """GDAL's default block cache is 5 % of RAM per process, filled and kept by a whole-map
    read (1.2 GiB here); the command line sets 64 MB, as its workers have, unless the
    user's environment names a size."""
    import os

    from landcarbon.cli import main

    if given is None:
        monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    else:
        monkeypatch.setenv("GDAL_CACHEMAX", given)
    monkeypatch.setattr(sys, "argv", ["landcarbon", "--version"])
    main()
    assert os.environ["GDAL_CACHEMAX"] == kept
