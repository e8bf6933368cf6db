"""Content digests of files, for cache keys and for knowing when a drawn figure is stale."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_digest(path: Path) -> str:
    """BLAKE2b of a file's content (cached on size + mtime within one process); for a
    workbook sheet (``book.xlsx#Sheet``) the book's digest and the sheet's name."""
    from landcarbon.tables import split_sheet

    file, sheet = split_sheet(path)
    stat = file.stat()
    key = (str(file), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        with file.open("rb") as f:
            _DIGESTS[key] = hashlib.file_digest(f, "blake2b").hexdigest()[:32]
    return _DIGESTS[key] + (f"#{sheet}" if sheet is not None else "")


_DIGESTS: dict[tuple[str, int, int], str] = {}
