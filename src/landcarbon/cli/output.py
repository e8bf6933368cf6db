"""Shared CLI state and output helpers (--quiet, --json, progress bars)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


@dataclass
class CliState:
    quiet: bool = False
    json: bool = False
    debug: bool = False


state = CliState()
console = Console(stderr=True, highlight=False)


def say(message: str) -> None:
    """Print a human message on stderr unless --quiet/--json."""
    if not state.quiet:
        console.print(message)


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


@contextmanager
def progress() -> Iterator[Progress]:
    """A Rich progress bar on stderr (silent under --quiet/--json)."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=state.quiet,
        transient=True,
    )
    with bar:
        yield bar
