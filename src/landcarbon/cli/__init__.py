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
)


@app.callback()
def _root(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    json_out: bool = typer.Option(
        False, "--json", help="Print a machine-readable JSON summary on stdout."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    """Land-use change, carbon, soil erosion and carbon-sink studies."""
    state.quiet = quiet or json_out
    state.json = json_out
    state.debug = debug


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(app)


_register_commands()


def _one_line_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
    if not state.quiet:
        print(f"warning: {str(message).splitlines()[0]}", file=sys.stderr)


def main() -> None:
    """Entry point: run the app, turning LandcarbonError into a one-line message."""
    import warnings

    from landcarbon.errors import LandcarbonError

    warnings.showwarning = _one_line_warning

    try:
        app(standalone_mode=False)
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
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
