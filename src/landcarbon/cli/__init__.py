"""The ``landcarbon`` command line: a thin shell over the library.

Each command lives in its own module under :mod:`landcarbon.cli.commands` and
registers itself through a ``register(app)`` function. The app loads commands lazily:
``landcarbon X`` imports the module of X alone and builds its options alone, and
``landcarbon --help`` lists the commands from :data:`COMMANDS` (names and the first
sentence of each help) without importing any, so starting the CLI costs the same
whatever the number of commands. A new command is a new module plus its line in
:data:`COMMANDS` (``tests/cli/test_lazy_cli.py`` checks the two agree). Callbacks parse
options and call the library; they hold no method logic.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import typer
import typer.core
import typer.main

from landcarbon.cli import commands
from landcarbon.cli.output import state

COMMANDS: dict[str, str] = {
    "accuracy": "Overall accuracy, Kappa (full grid, or a seeded sample with --sample-rate), "
    "quantity/allocation disagreement and, with --initial, the Figure of Merit (full grid): "
    "overall with producer's and user's accuracy (Pontius et al.",
    "breaks": "Class edges (k + 1, min..max) and class counts; NaN/nodata ignored.",
    "carbon": "Carbon storage (t C) of a land-use map, and its change and value with a future map.",
    "change": "Transfer matrix (cells, ha, km2, % of row), gains/losses/net/swap per class and "
    "dynamic degrees; with --out, one CSV per table.",
    "demo": "Run a bundled example study on the synthetic region, end to end.",
    "emissions": "Emissions (t C/yr) of a land-use map by class, and energy emissions allocated "
    "to cells.",
    "erosion": "Soil loss A = R K LS B E T, conservation, SL 190-2007 grades and erosion carbon.",
    "geodetector": "GeoDetector q of each factor, pairwise interactions, risk and ecological "
    "detectors.",
    "import-params": "Convert a FLUS/PLUS parameter file to landcarbon TOML (--parameters, "
    "--conversion).",
    "info": "Describe a raster: grid, CRS, cell area and, for class maps, cells and hectares.",
    "init": "Write a runnable study file, classes.csv (names from the maps, else 'class N') and "
    "empty pools.csv / emission_factors.csv with one row per code, for you to fill.",
    "markov": "Transition probabilities between two dates and the class demand (cells, ha) at "
    "the target year, optionally adjusted by a scenario; with --out, CSV tables.",
    "mcr": "Cost distance over a resistance surface: lateral (R1+R2)/2 x cell, diagonal x sqrt(2).",
    "nep": "Net ecosystem production (g C m-2 yr-1) and its total (t C).",
    "run": "Run a study end to end; a rerun skips steps whose inputs and parameters are unchanged.",
    "simulate": "Simulate the land use of --target-year from --t1 (Markov demand, PLUS CARS / "
    "FLUS).",
    "sinks": "Carbon-sink importance, resistance (entropy weights), MCR, sink zones and "
    "strategies.",
    "steps": "List the study's steps in run order with what each reads and writes.",
    "suitability": "Per-class suitability from drivers: PLUS LEAS (random forest on the t0->t1 "
    "expansion) or FLUS ANN (neural network on the t1 land use).",
    "validate": "Check a study file: keys, types, paths, rasters readable and aligned; exit 1 on "
    "a problem.",
    "validate-sim": "Kappa, overall accuracy and Figure of Merit of a simulated --t2 against the "
    "real one; with --out, the simulated map, confusion matrix, Figure of Merit tables, change "
    "agreement map and summary.json (the files of a study's [validation] chapter).",
    "warm-up": "Run the bundled examples on a tiny synthetic region so that numba compiles and "
    "caches every kernel a study uses; the first real study then starts without minutes of "
    "compilation.",
}
"""Every command by name, in the order ``--help`` lists them, with its help as far as the
listing can show it: the first paragraph of the command's docstring up to its first word
ending in ".". The command ``a-b`` lives in the module ``commands/a_b.py``."""

_SETTINGS: dict[str, Any] = {
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,  # help texts name [sections] of the study file: print them as is
}


def _build_command(name: str) -> typer.core.TyperCommand:
    """The click command ``name``: its module imported and registered on an app of its own
    (the same settings as :data:`app`), so only its options are built."""
    module = importlib.import_module(f"{commands.__name__}.{name.replace('-', '_')}")
    own = typer.Typer(**_SETTINGS)
    module.register(own)
    command = typer.main.get_group(own).commands[name]
    assert isinstance(command, typer.core.TyperCommand)
    return command


class _LazyCommands(Mapping[str, typer.core.TyperCommand]):
    """The commands of :data:`COMMANDS` by name; each is built on first access."""

    def __init__(self) -> None:
        self._built: dict[str, typer.core.TyperCommand] = {}

    def __getitem__(self, name: str) -> typer.core.TyperCommand:
        if name not in COMMANDS:
            raise KeyError(name)
        if name not in self._built:
            self._built[name] = _build_command(name)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyGroup(typer.core.TyperGroup):
    """The app's click group: commands come from :class:`_LazyCommands` (click's lookup,
    the "Did you mean" suggestions and ``app.commands[name]`` all go through it) and the
    ``--help`` listing from :data:`COMMANDS`, so neither imports a command it does not run."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = _LazyCommands()  # type: ignore[assignment]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The listing click's own would print: each help cut to the width as click cuts it."""
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [
            (name, typer.core.TyperCommand(name, help=text).get_short_help_str(limit))
            for name, text in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="landcarbon",
    help="Land-use change, carbon, soil erosion and carbon-sink studies.",
    no_args_is_help=True,
    cls=LazyGroup,
    **_SETTINGS,
)


def _print_version(value: bool) -> None:
    if value:
        from landcarbon import __version__

        print(f"landcarbon {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    json_out: bool = typer.Option(
        False, "--json", help="Print a machine-readable JSON summary on stdout."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    progress_json: bool = typer.Option(
        False,
        "--progress-json",
        help='Print progress and messages as JSON lines on stderr: {"progress": percent, '
        '"message": text} (for GUIs such as the QGIS plugin).',
    ),
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_print_version,
        help="Print the version and exit.",
    ),
) -> None:
    """Land-use change, carbon, soil erosion and carbon-sink studies."""
    state.quiet = quiet or json_out
    state.json = json_out
    state.debug = debug
    state.progress_json = progress_json


def _one_line_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
    if not state.quiet or state.progress_json:  # a GUI shows them whatever --json says
        print(f"warning: {str(message).splitlines()[0]}", file=sys.stderr)


GLOBAL_FLAGS = frozenset({"--json", "--quiet", "-q", "--debug", "--progress-json"})


def global_flags_first(argv: list[str]) -> list[str]:
    """Move the app's own flags to the front, so ``landcarbon carbon ... --json`` works as
    ``landcarbon --json carbon ...`` does (no command has options of those names); tokens
    after ``--`` are left alone."""
    end = argv.index("--") if "--" in argv else len(argv)
    head = argv[:end]
    flags = [a for a in head if a in GLOBAL_FLAGS]
    return flags + [a for a in head if a not in GLOBAL_FLAGS] + argv[end:]


def main() -> None:
    """Entry point: run the app, turning LandcarbonError and usage errors into one-line
    messages (``--debug`` shows the traceback of a LandcarbonError)."""
    import os
    import warnings

    from landcarbon.errors import LandcarbonError
    from landcarbon.study.compute import GDAL_CACHEMAX_MB

    warnings.showwarning = _one_line_warning
    os.environ.setdefault("GDAL_CACHEMAX", GDAL_CACHEMAX_MB)  # the user's own setting wins

    try:
        app(args=global_flags_first(sys.argv[1:]), prog_name="landcarbon", standalone_mode=False)
    except LandcarbonError as exc:
        if state.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        # usage errors (click's, or the copy of click that typer >= 0.17 bundles) show
        # themselves with a usage line and carry their own exit code
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
