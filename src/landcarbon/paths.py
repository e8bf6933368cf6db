"""Names that become file names, and output paths that must stay under ``--out``.

Every user name that ends up in a path (a ``[rasters]`` key, a ``carbon.maps`` label, a
scenario name) must be a *safe name*: letters of any script, digits, ``_``, ``-`` and
``.``, not starting with a dot; no ``/``, ``\\``, spaces or control characters, so it
can neither climb out of a folder (``..``) nor name another one (``/etc``). As a second
guard, :func:`inside` checks that the resolved path of an output stays under its folder.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from landcarbon.errors import ParameterError

MAX_NAME = 100
"""Longest safe name (characters): file names of its outputs must fit 255 bytes."""

NAME_RULE = (
    "use letters (any script), digits, '_', '-' and '.', not starting with '.', "
    f"at most {MAX_NAME} characters"
)


def _allowed(char: str) -> bool:
    return char in "_-." or unicodedata.category(char)[0] in "LMN"


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot become part of a file name, or None when it is a safe name."""
    if not isinstance(name, str) or not name:
        return f"{name!r} is not a name; {NAME_RULE}"
    bad = sorted({c for c in name if not _allowed(c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"{name!r} contains {shown}, which cannot be part of a file name; {NAME_RULE}"
    if name.startswith("."):
        return f"{name!r} starts with '.' (a hidden file or a parent folder); {NAME_RULE}"
    if len(name) > MAX_NAME:
        return f"{name[:20]!r}... has {len(name)} characters; {NAME_RULE}"
    return None


def safe_name(name: str, what: str) -> str:
    """``name`` unchanged when it is a safe name; else a ParameterError naming ``what``
    (e.g. ``"--scenario"``)."""
    problem = name_problem(name)
    if problem:
        raise ParameterError(f"{what}: {problem}")
    return name


def inside(folder: Path, relative: str | Path, what: str) -> Path:
    """``folder / relative``, refused (ParameterError naming ``what``) when it resolves
    outside ``folder``: the guard behind every output path of a run."""
    path = folder / relative
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ParameterError(
            f"{what}: output path {str(relative)!r} leads outside {folder}; rename it ({NAME_RULE})"
        )
    return path
