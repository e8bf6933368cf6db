"""The erosion tables: B, E, T by land-use code (or group) and K, SOC by soil code.

A tables file (TOML) holds two arrays of tables, ``[[land_use]]`` (columns ``code`` or
``group``, ``name``, ``b``, ``e``, ``t`` and optional ``b_from_cover``) and ``[[soil]]``
(``code``, ``name``, ``k`` in t ha h ha⁻¹ MJ⁻¹ mm⁻¹, ``soc_g_per_kg``). The default preset
``landcarbon/presets/erosion_tables.toml`` cites the source of every value.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from landcarbon.errors import InputFileError, TableError
from landcarbon.groups import class_values
from landcarbon.tables import ClassTable, table_from_records

if TYPE_CHECKING:
    from landcarbon.classes import ClassScheme

LAND_USE_COLUMNS = ("b", "e", "t")
SOIL_COLUMNS = ("k", "soc_g_per_kg")


@dataclass(frozen=True)
class ErosionTables:
    """Validated land-use (B, E, T) and soil (K, SOC) tables."""

    land_use: ClassTable
    soil: ClassTable


SHIPPED = "redsoil"
"""The name that chooses the shipped erosion tables (``erosion_tables.toml``: B, E, T by
land-use group and K, SOC by soil class for the red-soil hilly region of southern China)
where a study file or the command line asks for erosion tables. Used only when named:
nothing falls back to them."""


def default_tables_path() -> Path:
    """Path of the shipped preset ``erosion_tables.toml``."""
    return Path(str(resources.files("landcarbon") / "presets" / "erosion_tables.toml"))


def read_erosion_tables(
    path: str | Path | None = None, classes: ClassScheme | None = None
) -> ErosionTables:
    """Load and validate an erosion tables file (the shipped preset when ``path`` is None).

    ``[[land_use]]`` rows keyed by ``group`` (as in the preset) are resolved onto the codes
    of the class table ``classes`` through its ``group`` column (without ``classes`` a
    group-keyed table is refused); rows keyed by ``code`` are taken as is.

    Raises InputFileError for a missing file and TableError for a TOML syntax error, a
    missing ``[[land_use]]``/``[[soil]]`` section or column, text in a number column,
    negative values, or B, E, T above 1.
    """
    p = Path(path) if path is not None else default_tables_path()
    if not p.is_file():
        raise InputFileError(f"{p}: erosion tables file not found; check the --tables path")
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TableError(f"{p}: TOML syntax error: {exc}") from exc
    missing = [key for key in ("land_use", "soil") if not isinstance(doc.get(key), list)]
    if missing:
        raise TableError(
            f"{p}: missing section(s) {', '.join(f'[[{m}]]' for m in missing)}; the file needs "
            f"[[land_use]] rows (code, b, e, t) and [[soil]] rows (code, k, soc_g_per_kg)"
        )
    land_use = class_values(
        pd.DataFrame(doc["land_use"]),
        classes,
        f"{p} [[land_use]]",
        required=LAND_USE_COLUMNS,
        nonnegative=LAND_USE_COLUMNS,
    )
    soil = table_from_records(
        doc["soil"], f"{p} [[soil]]", required=SOIL_COLUMNS, nonnegative=SOIL_COLUMNS
    )
    for col in LAND_USE_COLUMNS:
        above = land_use.frame.index[land_use.frame[col] > 1.0].tolist()
        if above:
            raise TableError(
                f"{p} [[land_use]]: column '{col}' exceeds 1 for code(s) {above}; B, E and T "
                f"are ratios to bare, untreated fallow (0-1)"
            )
    return ErosionTables(land_use, soil)
