"""Read the sinks wing's TOML rule tables: a user file or a bundled preset."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from landcarbon.errors import InputFileError, TableError


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
