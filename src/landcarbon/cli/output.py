"""Shared CLI state and output helpers (--quiet, --json, --progress-json, progress bars)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rich.console import Console


@dataclass
class CliState:
    quiet: bool = False
    json: bool = False
    debug: bool = False
    progress_json: bool = False


state = CliState()


@cache
def console() -> Console:
    """The Rich console on stderr, made on first use: rich is ~40 ms of imports that a
    command printing nothing (``--json``, ``--quiet``) does not pay."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def say(message: str) -> None:
    """Print a human message on stderr unless --quiet/--json; with --progress-json, as a
    ``{"message": text}`` JSON line (markup removed) whatever --quiet/--json say."""
    if state.progress_json:
        from rich.text import Text

        _json_line({"message": Text.from_markup(message).plain})
    elif not state.quiet:
        console().print(message)


def step_progress(position: str, name: str, echo: bool = False) -> None:
    """Step ``position`` ("i/n") named ``name`` starts: under --progress-json a
    ``{"progress": percent, "message": "[i/n] name"}`` line (percent done before it,
    100 (i - 1) / n), else with ``echo`` the line ``[i/n] name`` as :func:`say` prints it."""
    message = f"[{position}] {name}"
    if state.progress_json:
        done, total = (int(n) for n in position.split("/"))
        _json_line({"progress": round(100 * (done - 1) / total, 2), "message": message})
    elif echo:
        say(message)


def _json_line(record: dict[str, Any]) -> None:
    sys.stderr.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stderr.flush()


def emit(summary: dict[str, Any]) -> None:
    """Print the command's machine-readable summary on stdout when --json is set."""
    if state.json:
        sys.stdout.write(json.dumps(summary, indent=2, default=_jsonable) + "\n")


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


class Bar(Protocol):
    """What commands call on :func:`progress`'s bar (Rich's ``Progress`` has them)."""

    def add_task(self, description: str, /, *, total: float | None = ...) -> Any: ...

    def update(self, task: Any, /, *, description: str | None = ...) -> None: ...


class _Silent:
    """The bar :func:`progress` gives when nothing is shown: its calls do nothing."""

    def add_task(self, description: str, /, *, total: float | None = None) -> int:
        return 0

    def update(self, task: Any, /, *, description: str | None = None) -> None:
        pass


@contextmanager
def progress() -> Iterator[Bar]:
    """A Rich progress bar on stderr; under --quiet/--json/--progress-json one that shows
    nothing and loads no Rich (~60 ms of imports: a cached ``run -q`` pays them for nothing)."""
    if state.quiet or state.progress_json:
        yield _Silent()
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console(),
        transient=True,
    )
    with bar:
        yield bar
