"""The ``landcarbon`` command line: a thin shell over the library.

Each command lives in its own module under :mod:`landcarbon.cli.commands` and
registers itself through a ``register(app)`` function, found automatically, so
adding a command never edits a shared list. Callbacks parse options and call the
library; they hold no method logic.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from landcarbon.cli import commands
from landcarbon.cli.output import state

app = typer.Typer(
    name="landcarbon",
    help="Land-use change, carbon, soil erosion and carbon-sink studies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts name [sections] of the study file: print them as is
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


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(app)


_register_commands()


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
    import warnings

    from landcarbon.errors import LandcarbonError

    warnings.showwarning = _one_line_warning

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
