"""Read the sinks wing's TOML rule tables: a user file or a bundled preset."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from landcarbon.errors import InputFileError, TableError

SHIPPED = "wensu_county"
"""The name that chooses a shipped table of the county study (Wensu County: resistance
levels, its Table 5; restoration strategies, its Table 10) where a study file or the
command line asks for a level or strategy table. They are that county's thresholds and
rules, so they are used only when named: nothing falls back to them."""


def shipped_or_path(choice: str | Path) -> Path | None:
    """None (the shipped table, for :func:`read_rule_toml`) for :data:`SHIPPED`, else the
    path of the user's table."""
    return None if str(choice) == SHIPPED else Path(choice)


def read_rule_toml(path: str | Path | None, preset: str, what: str) -> tuple[dict[str, Any], str]:
    """Parse ``path`` (or the preset ``landcarbon/presets/<preset>`` when None).

    Returns the document and its source name for messages. Raises InputFileError for a
    missing file and TableError for a TOML syntax error.
    """
    if path is None:
        text = resources.files("landcarbon.presets").joinpath(preset).read_text("utf-8")
        source = f"preset {preset}"
    else:
        p = Path(path)
        if not p.is_file():
            raise InputFileError(f"{p}: {what} not found")
        text, source = p.read_text(encoding="utf-8"), str(p)
    try:
        return tomllib.loads(text), source
    except tomllib.TOMLDecodeError as exc:
        raise TableError(f"{source}: TOML syntax error: {exc}; correct the file there") from exc
