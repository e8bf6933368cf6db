"""Carbon presets shipped in ``landcarbon/presets``: densities, emission and fuel factors.

Named presets (``carbon_<name>.toml`` pools tables, ``emissions_<name>.toml`` emission
factors) are class tables read with :func:`landcarbon.tables.read_table`; each file
cites its source and says whether its values were checked against the study text.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from landcarbon.errors import ParameterError
from landcarbon.tables import ClassTable, read_table


def preset_names(prefix: str) -> list[str]:
    """Names of the shipped presets ``<prefix>_<name>.toml`` (e.g. ``emissions``)."""
    folder = resources.files("landcarbon") / "presets"
    return sorted(
        p.name[len(prefix) + 1 : -len(".toml")]
        for p in folder.iterdir()
        if p.name.startswith(f"{prefix}_") and p.name.endswith(".toml")
    )


def load_preset(
    prefix: str,
    name: str,
    required: Sequence[str],
    nonnegative: Sequence[str] = (),
    choices: Sequence[str] | None = None,
) -> ClassTable:
    """Read the preset ``<prefix>_<name>.toml`` as a validated class table.

    ``choices`` restricts the accepted names (default: every ``<prefix>_*.toml``).
    """
    names = list(choices) if choices is not None else preset_names(prefix)
    if name not in names:
        raise ParameterError(
            f"unknown {prefix} preset {name!r}; shipped presets: {', '.join(names)} "
            f"(or give your own table file)"
        )
    resource = resources.files("landcarbon") / "presets" / f"{prefix}_{name}.toml"
    with resources.as_file(resource) as path:
        return read_table(Path(path), required=required, nonnegative=nonnegative)
