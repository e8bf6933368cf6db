"""Class tables: land-use (or soil, vegetation) code → name, colour and parameters.

Carbon densities, emission factors, CSLE factors and resistance levels are all
class tables. They load from CSV (separator and decimal mark detected), TOML or
``.xlsx``, with column names matched
case-insensitively, and are validated up front: missing columns, duplicate or
blank codes, text in number columns, negative values where they are not allowed,
and codes present in a map but absent from the table (the error lists each
missing code with its cell count, never a silent zero).
"""

from __future__ import annotations

import io
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landcarbon.backend import is_dask, map_cells
from landcarbon.errors import InputFileError, LandcarbonError, TableError
from landcarbon.group_names import check_group
from landcarbon.limits import Limits, out_of_range
from landcarbon.raster import CLASS_NODATA

if TYPE_CHECKING:
    import xarray as xr

CODE_ALIASES = ("lucode", "code", "lulc", "value", "class", "id")
NAME_ALIASES = ("name", "lulc_name", "lulc_desc", "description", "class_name")
COLOUR_ALIASES = ("colour", "color", "rgb")

DENSITIES = ("c_above", "c_below", "c_soil", "c_dead", "density")
COLUMN_UNITS = {
    **{column: ("a density", "t C/ha") for column in DENSITIES},
    "factor_t_c_per_ha_yr": ("an emission factor", "t C/ha/yr (negative = sink)"),
    "energy_t_c": ("an emission total", "t C"),
}
"""What the messages ask for in well-known number columns: (noun, unit)."""
COLUMN_LIMITS: dict[str, Limits] = {
    **{column: {"le": 10_000} for column in DENSITIES},
    "factor_t_c_per_ha_yr": {"ge": -1_000, "le": 1_000},
    "energy_t_c": {"le": 1e10},
}
"""Physical bounds of well-known number columns, in the units of COLUMN_UNITS (the densest
forests hold ~1 000 t C/ha; world fossil emissions are ~1e10 t C/yr). Every number column
of a table must also be finite; ``nonnegative`` columns add ``>= 0``."""

DEFAULT_COLOURS = (
    "#f6d55c",
    "#2e7d32",
    "#9ccc65",
    "#1e88e5",
    "#d32f2f",
    "#bdbdbd",
    "#8d6e63",
    "#ab47bc",
    "#26c6da",
    "#ff7043",
)


@dataclass(frozen=True)
class ClassTable:
    """A validated table indexed by integer class code; columns are lower-case."""

    frame: pd.DataFrame
    source: str = "<table>"

    @property
    def codes(self) -> np.ndarray:
        return self.frame.index.to_numpy(dtype=np.int64)

    def names(self) -> dict[int, str]:
        """Code → class name (``"class <code>"`` when the table has no name column)."""
        if "name" in self.frame:
            return {int(k): str(v) for k, v in zip(self.codes, self.frame["name"], strict=True)}
        return {int(k): f"class {k}" for k in self.codes}

    def groups(self) -> dict[int, str]:
        """Code → land-use group (:data:`landcarbon.group_names.GROUPS`); empty without a
        ``group`` column."""
        if "group" not in self.frame:
            return {}
        return {
            int(k): str(v)
            for k, v in zip(self.codes, self.frame["group"], strict=True)
            if isinstance(v, str)
        }

    def column(self, name: str) -> pd.Series:
        key = name.lower()
        if key not in self.frame:
            raise TableError(
                f"{self.source}: column '{name}' is missing (columns: "
                f"{', '.join(self.frame.columns)}); add it"
            )
        return self.frame[key]

    def check_codes(self, lulc: xr.DataArray | np.ndarray, map_name: str = "the map") -> None:
        """Raise TableError listing every code in ``lulc`` that the table lacks."""
        self.check_counts(class_counts(lulc), map_name)

    def check_counts(self, counts: Mapping[int, int], map_name: str = "the map") -> None:
        """Raise TableError listing every code of ``counts`` (code -> cells) the table lacks."""
        missing = {c: n for c, n in counts.items() if c not in set(self.codes.tolist())}
        if missing:
            listed = ", ".join(f"{c} ({n} cells)" for c, n in sorted(missing.items()))
            raise TableError(
                f"{self.source}: codes found in {map_name} but missing from the table: "
                f"{listed}; add a row for each code (or mark those cells as nodata)"
            )

    def reclassify(
        self,
        lulc: xr.DataArray,
        column: str,
        *,
        name: str | None = None,
        map_name: str | None = None,
    ) -> xr.DataArray:
        """Map every cell's class code to the table's value in ``column`` (float64).

        Nodata cells become NaN. Works on numpy and dask-backed maps (lazy on dask;
        the missing-code check then runs as a chunked map-reduce).
        """
        values = self.column(column).to_numpy(dtype=np.float64)
        self.check_codes(lulc, map_name or str(lulc.name or "the map"))
        return map_cells(lookup_codes, lulc, codes=self.codes, values=values, name=name or column)


def lookup_codes(block: np.ndarray, codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Vectorised lookup ``values[codes == block]``; unknown codes and nodata give NaN."""
    order = np.argsort(codes)
    sorted_codes, sorted_values = codes[order], values[order]
    idx = np.clip(np.searchsorted(sorted_codes, block), 0, len(codes) - 1)
    hit = (sorted_codes[idx] == block) & (block != CLASS_NODATA)
    return np.where(hit, sorted_values[idx], np.nan)


def class_counts(lulc: xr.DataArray | np.ndarray) -> dict[int, int]:
    """Cell count of every class code in a categorical map (nodata excluded).

    On dask input this is a map-reduce (``np.unique`` per chunk, merged).
    """
    xr = sys.modules.get("xarray")  # a DataArray means xarray is loaded: never load it here
    data: Any = lulc.data if xr is not None and isinstance(lulc, xr.DataArray) else lulc

    def _count(block: np.ndarray) -> dict[int, int]:
        vals, cnts = np.unique(np.asarray(block), return_counts=True)
        return {int(v): int(c) for v, c in zip(vals, cnts, strict=True) if v != CLASS_NODATA}

    if not is_dask(data):
        return _count(np.asarray(data))
    import dask

    parts = dask.compute(*[dask.delayed(_count)(b) for b in data.to_delayed().ravel()])
    total: dict[int, int] = {}
    for part in parts:
        for k, v in part.items():
            total[k] = total.get(k, 0) + v
    return dict(sorted(total.items()))


# --------------------------------------------------------------------------- loading
XLSX_SUFFIXES = (".xlsx", ".xlsm")
"""Workbooks read with openpyxl; ``book.xlsx#Sheet2`` names the sheet."""

CSV_SEPARATORS = (",", ";", "\t")
"""Field separators a CSV may use (detected from the header row)."""

_DECIMAL_COMMA = re.compile(r"^[-+]?\d*,\d+(?:[eE][-+]?\d+)?$")
_DECIMAL_POINT = re.compile(r"^[-+]?\d*\.\d+(?:[eE][-+]?\d+)?$")


def read_table(
    path: str | Path,
    *,
    required: Sequence[str] = (),
    nonnegative: Iterable[str] = (),
    code_column: str | None = None,
) -> ClassTable:
    """Load and validate a class table from CSV, TOML or an ``.xlsx`` workbook.

    ``required`` columns must exist and be numeric; those in ``nonnegative`` must be
    >= 0. The code column is ``code_column`` or the first of
    ``lucode, code, lulc, value, class, id`` present. TOML tables are an array of tables,
    e.g. ``[[classes]] code = 1  name = "cropland"  c_above = 5.0``. CSV separator
    (``,``, ``;`` or tab) and decimal mark (``.`` or ``,``) are detected; a workbook
    with several sheets needs the sheet named after ``#``: ``pools.xlsx#Sheet2``.
    """
    return table_from_frame(
        read_records(path),
        str(path),
        required=required,
        nonnegative=nonnegative,
        code_column=code_column,
    )


def read_records(path: str | Path) -> pd.DataFrame:
    """The rows of a table file (CSV, TOML with one array of tables, or an ``.xlsx``
    sheet as ``book.xlsx#Sheet``), unvalidated."""
    p, _ = split_sheet(path)
    if p.suffix.lower() == ".toml":
        _require_file(p)
        return _frame_from_toml(p)
    return read_frame(Path(path))


def table_from_records(
    records: Sequence[Mapping[str, Any]], source: str, **kwargs: Any
) -> ClassTable:
    """Build a validated table from a list of row dicts (presets, study-file tables)."""
    return table_from_frame(pd.DataFrame(list(records)), source, **kwargs)


def split_sheet(path: str | Path) -> tuple[Path, str | None]:
    """``book.xlsx#Sheet2`` → (``book.xlsx``, ``"Sheet2"``); any other path → (path, None).

    A file whose own name contains ``#`` is taken as it is.
    """
    p = Path(path)
    head, hash_, sheet = str(path).rpartition("#")
    if hash_ and not p.exists() and Path(head).suffix.lower() in XLSX_SUFFIXES:
        return Path(head), sheet
    return p, None


def _require_file(p: Path) -> None:
    if not p.exists():
        raise InputFileError(f"{p}: table file not found")
    if p.stat().st_size == 0:
        raise InputFileError(
            f"{p}: the table file is empty; give a header row (code column and values) "
            f"and one row per class"
        )


def read_frame(path: Path) -> pd.DataFrame:
    """Read a table file as text columns: an ``.xlsx`` sheet (``book.xlsx#Sheet``) or a CSV.

    CSVs are read as UTF-8 (with or without BOM), falling back to Latin-1 (old InVEST
    tables), with the separator and decimal mark detected (see :func:`csv_dialect`).
    ``frame.attrs["read_as"]`` says how the file was read, for messages.
    """
    p, sheet = split_sheet(path)
    _require_file(p)
    if p.suffix.lower() in XLSX_SUFFIXES:
        return _frame_from_xlsx(p, sheet)
    if p.suffix.lower() == ".xls":
        raise TableError(f"{p}: old Excel .xls workbooks are not read; save it as .xlsx or CSV")
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            text = p.read_text(encoding=encoding)
        except UnicodeDecodeError:
            continue
        sep, decimal = csv_dialect(text)
        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise TableError(
                f"{p}: not a readable CSV ({str(exc).strip()}; read with separator {sep!r}); "
                f"give the same "
                f"number of fields in every row (quote text that contains {sep!r})"
            ) from exc
        frame.attrs["read_as"] = f"CSV with separator {sep!r} and decimal mark {decimal!r}"
        return frame
    raise TableError(f"{p}: unknown text encoding; save it as UTF-8 CSV")


def csv_dialect(text: str) -> tuple[str, str]:
    """The (separator, decimal mark) of a CSV's text.

    The separator is the one of ``,`` ``;`` tab the header row holds most of (``,``
    when it holds none); the decimal mark is ``,`` when the separator is not a comma,
    some fields look like ``1,5`` and none like ``1.5``.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ",", "."
    counts = {s: lines[0].count(s) for s in CSV_SEPARATORS}
    sep = max(CSV_SEPARATORS, key=lambda s: counts[s]) if any(counts.values()) else ","
    if sep == ",":
        return sep, "."
    fields = [f.strip().strip('"') for line in lines[1:] for f in line.split(sep)]
    comma = any(_DECIMAL_COMMA.match(f) for f in fields)
    point = any(_DECIMAL_POINT.match(f) for f in fields)
    return sep, "," if comma and not point else "."


def _frame_from_xlsx(p: Path, sheet: str | None) -> pd.DataFrame:
    """One sheet of a workbook; several sheets and none named is an error naming them."""
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputFileError(
            f"{p}: not a readable .xlsx workbook ({exc}); save it again from the "
            f"spreadsheet as .xlsx, or as CSV"
        ) from exc
    try:
        names = list(book.sheetnames)
        if sheet is None and len(names) > 1:
            raise TableError(
                f"{p}: the workbook has {len(names)} sheets ({', '.join(names)}) and none is "
                f"named; name the sheet after '#', e.g. {p}#{names[0]}"
            )
        if sheet is not None and sheet not in names:
            raise TableError(
                f"{p}: no sheet named {sheet!r} (sheets: {', '.join(names)}); "
                f"write one of them after '#'"
            )
        rows = list(book[sheet or names[0]].iter_rows(values_only=True))
    finally:
        book.close()
    rows = [r for r in rows if any(v is not None and str(v).strip() for v in r)]
    where = f"{p}#{sheet}" if sheet else str(p)
    if not rows:
        raise InputFileError(
            f"{where}: the sheet is empty; give a header row (code column and values) "
            f"and one row per class"
        )
    header = [str(v).strip() if v is not None else "" for v in rows[0]]
    keep = [i for i, h in enumerate(header) if h]
    frame = pd.DataFrame(
        [[r[i] if i < len(r) else None for i in keep] for r in rows[1:]],
        columns=[header[i] for i in keep],
    )
    frame.attrs["read_as"] = f"sheet {sheet or names[0]!r} of an .xlsx workbook"
    return frame


def _frame_from_toml(p: Path) -> pd.DataFrame:
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TableError(f"{p}: TOML syntax error: {exc}; correct the file there") from exc
    arrays = [v for v in doc.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
    if len(arrays) != 1:
        raise TableError(
            f"{p}: expected exactly one array of tables such as [[classes]] "
            f"with one table per class"
        )
    return pd.DataFrame(arrays[0])


def table_from_frame(
    frame: pd.DataFrame,
    source: str,
    *,
    required: Sequence[str] = (),
    nonnegative: Iterable[str] = (),
    code_column: str | None = None,
) -> ClassTable:
    """Validate a DataFrame as a class table (see :func:`read_table`)."""
    frame = frame.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if frame.empty:
        raise TableError(f"{source}: the table has no rows; add one row per class")
    code_col = _pick(frame, (code_column.lower(),) if code_column else CODE_ALIASES)
    if code_col is None:
        read_as = f"read as {frame.attrs['read_as']}, " if "read_as" in frame.attrs else ""
        raise TableError(
            f"{source}: no class-code column ({read_as}columns: "
            f"{', '.join(frame.columns)}); name one of {', '.join(CODE_ALIASES)}"
        )
    problems: list[str] = []
    missing = [c for c in required if c.lower() not in frame]
    if missing:
        problems.append(
            f"missing column(s) {', '.join(missing)} (has: {', '.join(frame.columns)}); "
            f"add them to the header row with a value in every row"
        )
    codes = pd.to_numeric(frame[code_col], errors="coerce")
    int32 = np.iinfo(np.int32)
    finite = codes.where(np.isfinite(codes))  # inf -> NaN: no class code
    bad_codes = frame.index[
        finite.isna() | (finite != finite.round()) | (finite <= int32.min) | (finite > int32.max)
    ].tolist()
    for i in bad_codes:
        problems.append(
            f"row {i + 2}: code {str(frame[code_col].iloc[i])!r} is not an integer class code "
            f"(between {int32.min + 1} and {int32.max}); give the integer code of the map"
        )
    dup = codes[codes.duplicated(keep=False) & codes.notna()]
    if not dup.empty:
        problems.append(
            f"duplicate code(s) {sorted(set(int(c) for c in dup))} in column "
            f"'{code_col}' (rows {', '.join(str(i + 2) for i in dup.index)}); "
            f"keep one row per code"
        )
    nonneg = {c.lower() for c in nonnegative}
    for col in (c.lower() for c in required):
        if col not in frame:
            continue
        num = pd.to_numeric(frame[col], errors="coerce")
        fix = _number_fix(col, col in nonneg)
        for i in frame.index[num.isna()]:
            raw = frame[col].iloc[i]
            what = f"{raw!r} is not a number" if isinstance(raw, str) else "blank/NaN"
            problems.append(f"column '{col}', row {i + 2}: {what}; {fix}")
        if col in nonneg:
            for i in frame.index[num < 0]:
                problems.append(
                    f"column '{col}', row {i + 2}: {num.iloc[i]:.15g} is negative; {fix}"
                )
        reported = num.isna() | ((num < 0) if col in nonneg else False)
        for i in frame.index[~reported]:
            problem = out_of_range(float(num.iloc[i]), COLUMN_LIMITS.get(col, {}))
            if problem:  # e.g. "inf is not a finite number", "1e+308 ... must be <= 10000"
                problems.append(f"column '{col}', row {i + 2}: {problem.split(';')[0]}; {fix}")
        frame[col] = num
    if problems:
        raise TableError(f"{source}: " + "; ".join(problems))
    frame.index = pd.Index(codes.astype(np.int64), name="code")
    frame = frame.drop(columns=[code_col])
    rename = {}
    name_col = _pick(frame, NAME_ALIASES)
    if name_col:
        rename[name_col] = "name"
    colour_col = _pick(frame, COLOUR_ALIASES)
    if colour_col:
        rename[colour_col] = "colour"
    if "group" in frame:
        frame["group"] = _groups(frame["group"], source)
    return ClassTable(frame.rename(columns=rename).sort_index(), source)


def _groups(column: pd.Series, source: str) -> list[str | None]:
    """The ``group`` column checked against :data:`landcarbon.group_names.GROUPS` (lower case;
    None for a blank cell: no group); TableError naming every row with an unknown group."""
    groups: list[str | None] = []
    problems = []
    for row, (code, value) in enumerate(column.items(), start=2):
        if pd.isna(value) or not str(value).strip():
            groups.append(None)  # no group: presets keyed by group refuse this class
            continue
        try:
            groups.append(check_group(value))
        except LandcarbonError as exc:
            problems.append(f"row {row} (code {code}): {exc}")
    if problems:
        raise TableError(f"{source}: column 'group': " + "; ".join(problems))
    return groups


def _number_fix(column: str, nonnegative: bool) -> str:
    """The fix for a bad number: what to give, its bound and unit (see COLUMN_UNITS)."""
    noun, unit = COLUMN_UNITS.get(column, ("a number", ""))
    return f"give {noun}" + (" >= 0" if nonnegative else "") + (f" in {unit}" if unit else "")


def _pick(frame: pd.DataFrame, aliases: Sequence[str]) -> str | None:
    return next((a for a in aliases if a in frame.columns), None)
