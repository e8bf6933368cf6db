"""One class scheme per study: code → name, colour and land-use group.

A study names its classes once, in its class table (``code, name``, optional
``colour`` and ``group``) or by a named public scheme (``classes = "cnlucc"``), and
that scheme labels every map legend, GeoTIFF category, ``.qml`` style, transfer matrix,
Sankey diagram, table and report. Without either, classes are ``"class N"`` in a
neutral qualitative palette: no names are ever invented.

Named schemes (codes, names and colours from each product's own documentation):

* ``cnlucc``: China's multi-period land use/cover remote-sensing monitoring dataset
  (CNLUCC, Resource and Environment Science and Data Center, CAS; Liu J et al. 2014,
  J Geogr Sci 24(2):195-210), first level 1-6: cropland, forest, grassland, water,
  built-up (urban, rural and industrial land), unused land. RESDC publishes no colour
  table; the colours are this package's.
* ``cnlucc2``: the same dataset at its second level, 11-67 (paddy field, dry land, forest
  land, shrubland, sparse woodland, other woodland, high/medium/low-coverage grassland,
  rivers, lakes, reservoirs and ponds, glacier and permanent snow, tidal flat, bottomland,
  urban land, rural settlements, other construction land, sandy land, Gobi, saline-alkali
  land, marsh, bare land, bare rock, other unused land), each in the group of its
  first-level class (shrubland 22 is forest land and marsh 64 unused land in CNLUCC); the
  colours are this package's, shades of the first level's.
* ``clcd``: the 30 m annual China Land Cover Dataset (Yang J, Huang X (2021) Earth Syst
  Sci Data 13:3907-3925, doi:10.5194/essd-13-3907-2021), 1-9: cropland, forest, shrub,
  grassland, water, snow/ice, barren, impervious, wetland; colours of the colour table
  embedded in the CLCD GeoTIFFs.
* ``worldcover``: ESA WorldCover 10 m v100/v200 (Zanaga D et al. 2021,
  doi:10.5281/zenodo.5571936; product user manual), 10, 20, ..., 90, 95, 100, with the
  manual's colours.
* ``igbp``: MODIS MCD12Q1 v6.1 LC_Type1, the IGBP classification 1-17 (Sulla-Menashe D,
  Friedl MA (2018) MCD12Q1 User Guide, Table 3); colours of the Earth Engine catalogue
  entry MODIS/061/MCD12Q1.
* ``corine1``: CORINE Land Cover nomenclature, level 1, 1-5 (EEA, CLC illustrated
  nomenclature guidelines); colours of the level-1 class's first level-3 class (111,
  211, 311, 411, 511).
* ``nlcd``: USGS NLCD 2019 legend 11-95 (MRLC, NLCD 2019 land cover class legend and
  description), with the legend's colours (51, 72-74 occur in Alaska only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from landcarbon.errors import ParameterError, TableError

if TYPE_CHECKING:
    import xarray as xr

NEUTRAL_COLOURS = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
"""Qualitative palette (Tableau 10) of ``"class N"`` classes: a colour is not a meaning."""

Row = tuple[int, str, str, str]
"""(code, name, #rrggbb, group)."""

SCHEMES: dict[str, tuple[str, tuple[Row, ...]]] = {
    "cnlucc": (
        "CNLUCC first level (RESDC)",
        (
            (1, "cropland", "#f6d55c", "cropland"),
            (2, "forest", "#2e7d32", "forest"),
            (3, "grassland", "#9ccc65", "grassland"),
            (4, "water", "#1e88e5", "water"),
            (5, "built-up", "#d32f2f", "built-up"),
            (6, "unused land", "#bdbdbd", "barren"),
        ),
    ),
    "cnlucc2": (
        "CNLUCC second level (RESDC)",
        (
            (11, "paddy field", "#f6d55c", "cropland"),
            (12, "dry land", "#e6c229", "cropland"),
            (21, "forest land", "#2e7d32", "forest"),
            (22, "shrubland", "#558b2f", "forest"),
            (23, "sparse woodland", "#7cb342", "forest"),
            (24, "other woodland", "#8bc34a", "forest"),
            (31, "high-coverage grassland", "#9ccc65", "grassland"),
            (32, "medium-coverage grassland", "#c5e1a5", "grassland"),
            (33, "low-coverage grassland", "#dcedc8", "grassland"),
            (41, "rivers and canals", "#1e88e5", "water"),
            (42, "lakes", "#1565c0", "water"),
            (43, "reservoirs and ponds", "#42a5f5", "water"),
            (44, "glacier and permanent snow", "#e3f2fd", "water"),
            (45, "tidal flat", "#90caf9", "water"),
            (46, "bottomland", "#bbdefb", "water"),
            (51, "urban land", "#d32f2f", "built-up"),
            (52, "rural settlements", "#e57373", "built-up"),
            (53, "other construction land", "#b71c1c", "built-up"),
            (61, "sandy land", "#e0d6b8", "barren"),
            (62, "Gobi", "#c8b99a", "barren"),
            (63, "saline-alkali land", "#eeeeee", "barren"),
            (64, "marsh", "#80cbc4", "barren"),
            (65, "bare land", "#bdbdbd", "barren"),
            (66, "bare rock", "#9e9e9e", "barren"),
            (67, "other unused land", "#757575", "barren"),
        ),
    ),
    "clcd": (
        "CLCD (Yang & Huang 2021)",
        (
            (1, "cropland", "#fae39c", "cropland"),
            (2, "forest", "#446f33", "forest"),
            (3, "shrub", "#33a02c", "shrubland"),
            (4, "grassland", "#abd37b", "grassland"),
            (5, "water", "#1e69b4", "water"),
            (6, "snow/ice", "#a6cee3", "snow/ice"),
            (7, "barren", "#cfbda3", "barren"),
            (8, "impervious", "#e24290", "built-up"),
            (9, "wetland", "#289be8", "wetland"),
        ),
    ),
    "worldcover": (
        "ESA WorldCover 10 m",
        (
            (10, "tree cover", "#006400", "forest"),
            (20, "shrubland", "#ffbb22", "shrubland"),
            (30, "grassland", "#ffff4c", "grassland"),
            (40, "cropland", "#f096ff", "cropland"),
            (50, "built-up", "#fa0000", "built-up"),
            (60, "bare / sparse vegetation", "#b4b4b4", "barren"),
            (70, "snow and ice", "#f0f0f0", "snow/ice"),
            (80, "permanent water bodies", "#0064c8", "water"),
            (90, "herbaceous wetland", "#0096a0", "wetland"),
            (95, "mangroves", "#00cf75", "wetland"),
            (100, "moss and lichen", "#fae6a0", "grassland"),
        ),
    ),
    "igbp": (
        "MODIS MCD12Q1 IGBP",
        (
            (1, "evergreen needleleaf forests", "#05450a", "forest"),
            (2, "evergreen broadleaf forests", "#086a10", "forest"),
            (3, "deciduous needleleaf forests", "#54a708", "forest"),
            (4, "deciduous broadleaf forests", "#78d203", "forest"),
            (5, "mixed forests", "#009900", "forest"),
            (6, "closed shrublands", "#c6b044", "shrubland"),
            (7, "open shrublands", "#dcd159", "shrubland"),
            (8, "woody savannas", "#dade48", "forest"),
            (9, "savannas", "#fbff13", "grassland"),
            (10, "grasslands", "#b6ff05", "grassland"),
            (11, "permanent wetlands", "#27ff87", "wetland"),
            (12, "croplands", "#c24f44", "cropland"),
            (13, "urban and built-up lands", "#a5a5a5", "built-up"),
            (14, "cropland/natural vegetation mosaics", "#ff6d4c", "cropland"),
            (15, "permanent snow and ice", "#69fff8", "snow/ice"),
            (16, "barren", "#f9ffa4", "barren"),
            (17, "water bodies", "#1c0dff", "water"),
        ),
    ),
    "corine1": (
        "CORINE Land Cover level 1",
        (
            (1, "artificial surfaces", "#e6004d", "built-up"),
            (2, "agricultural areas", "#ffffa8", "cropland"),
            (3, "forest and semi-natural areas", "#80ff00", "forest"),
            (4, "wetlands", "#a6a6ff", "wetland"),
            (5, "water bodies", "#00ccf2", "water"),
        ),
    ),
    "nlcd": (
        "USGS NLCD 2019",
        (
            (11, "open water", "#466b9f", "water"),
            (12, "perennial ice/snow", "#d1def8", "snow/ice"),
            (21, "developed, open space", "#dec5c5", "built-up"),
            (22, "developed, low intensity", "#d99282", "built-up"),
            (23, "developed, medium intensity", "#eb0000", "built-up"),
            (24, "developed, high intensity", "#ab0000", "built-up"),
            (31, "barren land (rock/sand/clay)", "#b3ac9f", "barren"),
            (41, "deciduous forest", "#68ab5f", "forest"),
            (42, "evergreen forest", "#1c5f2c", "forest"),
            (43, "mixed forest", "#b5c58f", "forest"),
            (51, "dwarf scrub", "#af963c", "shrubland"),
            (52, "shrub/scrub", "#ccb879", "shrubland"),
            (71, "grassland/herbaceous", "#dfdfc2", "grassland"),
            (72, "sedge/herbaceous", "#d1d182", "grassland"),
            (73, "lichens", "#a3cc51", "grassland"),
            (74, "moss", "#82ba9e", "grassland"),
            (81, "pasture/hay", "#dcd939", "cropland"),
            (82, "cultivated crops", "#ab6c28", "cropland"),
            (90, "woody wetlands", "#b8d9eb", "wetland"),
            (95, "emergent herbaceous wetlands", "#6c9fb8", "wetland"),
        ),
    ),
}
"""Named public schemes: name → (title, rows); see the module docstring for sources."""


@dataclass(frozen=True)
class ClassScheme:
    """The classes of a study: code → (name, ``#rrggbb``), and code → group.

    ``source`` says where the names come from (a class-table file or a named scheme),
    for messages.
    """

    classes: Mapping[int, tuple[str, str]]
    source: str
    groups: Mapping[int, str] = field(default_factory=dict)

    def names(self) -> dict[int, str]:
        """Code → class name."""
        return {k: v[0] for k, v in self.classes.items()}

    def legend(self, codes: Iterable[int] | None = None) -> dict[int, tuple[str, str]]:
        """Code → (name, colour) of ``codes`` (default: every class), the form
        :func:`landcarbon.raster.write_raster` takes; TableError for a code the scheme
        lacks."""
        if codes is None:
            return dict(self.classes)
        wanted = [int(c) for c in codes]
        missing = [c for c in wanted if c not in self.classes]
        if missing:
            raise TableError(
                f"{self.source}: class code(s) {missing} are not in the class scheme; "
                f"add a row for each code"
            )
        return {c: self.classes[c] for c in sorted(wanted)}

    def check_codes(self, lulc: xr.DataArray | np.ndarray, map_name: str) -> None:
        """TableError listing each code of ``lulc`` the scheme lacks, with its cell count."""
        from landcarbon.tables import class_counts

        missing = {c: n for c, n in class_counts(lulc).items() if c not in self.classes}
        if missing:
            listed = ", ".join(f"{c} ({n} cells)" for c, n in sorted(missing.items()))
            raise TableError(
                f"{self.source}: codes found in {map_name} but missing from the class "
                f"scheme: {listed}; add a row for each code to the class table (or mark "
                f"those cells as nodata)"
            )


def neutral_colour(code: int) -> str:
    """A :data:`NEUTRAL_COLOURS` colour for ``code``, the same in every map: Fibonacci
    hashing spreads codes that share a last digit (10, 20, 90) over the palette, where
    ``code % 10`` would give them one colour."""
    return NEUTRAL_COLOURS[(int(code) * 0x9E3779B1 % 2**32) * len(NEUTRAL_COLOURS) >> 32]


def generic_scheme(codes: Iterable[int]) -> ClassScheme:
    """``"class N"`` for each code (no class table given), coloured from
    :data:`NEUTRAL_COLOURS` by code, so a class has one colour in every output."""
    return ClassScheme(
        {c: (f"class {c}", neutral_colour(c)) for c in sorted(set(map(int, codes)))},
        "no class table",
    )


def named_scheme(name: str) -> ClassScheme:
    """A public scheme of :data:`SCHEMES` by name (case-insensitive); ParameterError with
    a did-you-mean hint for an unknown name."""
    from landcarbon.study.schema import did_you_mean

    key = name.strip().lower()
    if key not in SCHEMES:
        raise ParameterError(
            f"class scheme {name!r} does not exist{did_you_mean(key, SCHEMES)}; use one of "
            f"{', '.join(SCHEMES)} or give a class table (code, name, colour, group)"
        )
    title, rows = SCHEMES[key]
    return ClassScheme(
        {code: (label, colour) for code, label, colour, _ in rows},
        f"class scheme '{key}' ({title})",
        {code: group for code, _, _, group in rows},
    )


def scheme_from_table(path: str) -> ClassScheme:
    """The scheme of a class table file (``code, name``, optional ``colour``, ``group``).

    TableError for blank or duplicate names or a colour that is not ``#rrggbb``; without a
    name column the classes are "class N"; classes without a colour (no column, or a blank cell) get
    :data:`NEUTRAL_COLOURS`.
    """
    import pandas as pd

    from landcarbon.tables import read_table

    table = read_table(path)
    if "name" in table.frame:
        names = table.frame["name"].astype("string").str.strip()
    else:  # codes and groups only: the classes are named "class N"
        names = pd.Series([f"class {c}" for c in table.codes], index=table.frame.index)
    blank = (names.fillna("") == "").to_numpy(dtype=bool)
    problems = [f"code {c}: the name is blank; give every class a name" for c in table.codes[blank]]
    dup = names[names.str.lower().duplicated(keep=False) & names.notna()]
    if not dup.empty:
        listed = ", ".join(f"{n!r} (code {c})" for c, n in dup.items())
        problems.append(f"duplicate name(s) {listed}; give each class its own name")
    # by rank in the table: distinct for up to 10 classes, whatever the codes (10, 20, 90...)
    colours = {int(c): NEUTRAL_COLOURS[i % len(NEUTRAL_COLOURS)] for i, c in enumerate(table.codes)}
    if "colour" in table.frame:
        for code, colour in zip(table.codes.tolist(), table.frame["colour"], strict=True):
            text = "" if pd.isna(colour) else str(colour).strip()
            if text and not _is_hex_colour(text):
                problems.append(f"code {code}: colour {colour!r} is not #rrggbb")
            elif text:
                colours[code] = text.lower()
    if problems:
        raise TableError(f"{table.source}: " + "; ".join(problems))
    return ClassScheme(
        {c: (str(n), colours[c]) for c, n in zip(table.codes.tolist(), names, strict=True)},
        table.source,
        table.groups(),
    )


def _is_hex_colour(text: str) -> bool:
    return (
        len(text) == 7 and text[0] == "#" and all(ch in "0123456789abcdefABCDEF" for ch in text[1:])
    )
