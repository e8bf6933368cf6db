"""Tables and JSON written atomically: a temporary file beside the target, renamed into
place only once complete (:func:`landcarbon.raster.atomic_path`), so a failed or
interrupted write never leaves a file under its final name. Every CSV and JSON output of
the package goes through here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landcarbon.raster import atomic_path

if TYPE_CHECKING:  # pandas loads with the first table written, not with this module
    import pandas as pd


def write_csv(
    frame: pd.DataFrame, path: str | Path, *, index: bool = False, overwrite: bool = True
) -> Path:
    """Write ``frame`` as CSV (UTF-8) atomically; OutputExistsError for an existing file
    without ``overwrite``. An index written must be named: a nameless one reads back as
    an ``Unnamed: 0`` column (ValueError, a bug of the caller)."""
    if index and None in frame.index.names:
        raise ValueError(f"{path}: the index written has no name; name it (rename_axis)")
    with atomic_path(path, overwrite) as tmp:
        frame.to_csv(tmp, index=index)
    return Path(path)


def write_text(text: str, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write ``text`` (UTF-8) atomically."""
    with atomic_path(path, overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(data: Any, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write ``data`` as indented JSON atomically (non-JSON values as ``str``)."""
    return write_text(json.dumps(data, indent=2, default=str) + "\n", path, overwrite=overwrite)
