"""Assemble ``report/index.html`` from a run's declared outputs.

Rasters become map PNGs (redrawn only when the raster's content or the title changed:
``img/.keys.json`` keeps what each was drawn from, so a rerun that reuses every step
takes seconds), tables become HTML tables (and one Excel workbook), PNG
outputs (charts made by chapters) are shown as they are, and class maps also go into the
scenario viewer. Images are written beside the page and referenced relatively, so the
folder is self-contained and works offline.

The report knows steps only as plain data (:class:`ShownStep`: a name, a chapter and
declared outputs); it imports nothing of the pipeline that ran them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from landcarbon.digests import file_digest
from landcarbon.report.figures import language as figure_language
from landcarbon.report.i18n import MESSAGES, Language, chapter_title, label, message
from landcarbon.report.i18n import title as translated
from landcarbon.report.maps import render_map
from landcarbon.report.tables import (
    METHOD_NOTES_KEY,
    ShownTable,
    method_notes,
    show_frame,
    summary_tables,
)
from landcarbon.writes import write_json, write_text

SHOWN_ROWS = 30
"""Rows of a table shown before its "show all" button."""
PAGE_ROWS = 1000
"""Rows of a table put in the page at all; the CSV beside it has every row."""


class ShownOutput(Protocol):
    """A declared output as the report reads it (a pipeline ``Output`` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def units(self) -> str: ...
    @property
    def doc(self) -> str: ...


class ShownStep(Protocol):
    """A step as the report reads it: name, chapter, declared outputs."""

    @property
    def name(self) -> str: ...
    @property
    def chapter(self) -> str: ...
    @property
    def outputs(self) -> Sequence[ShownOutput]: ...


def build_report(
    study_name: str,
    description: str,
    steps: Sequence[ShownStep],
    out_dir: Path,
    summaries: dict[str, dict[str, Any]],
    *,
    classes: Mapping[int, tuple[str, str]] | None = None,
    observed: Mapping[str, Path] | None = None,
    language: Language = "en",
) -> Path:
    """Write ``out_dir/report/index.html`` (plus images and ``tables.xlsx``) and return it.

    Chapters appear in the order of their first step in ``steps``; within a chapter each
    step's summary comes right before that step's outputs. ``classes`` (code -> (name,
    ``#rrggbb``), the study's class scheme) names the classes of summaries and legends;
    ``observed`` (year -> land-use raster) adds the observed maps to the viewer, beside
    every class map the steps wrote. A summary's conventions (:data:`METHOD_NOTES_KEY`)
    are one "method notes" line under its heading. Fixed text is in ``language`` ("en"
    or "zh").
    """
    from jinja2 import Environment, PackageLoader

    from landcarbon.paths import inside
    from landcarbon.report.fonts import CJK_FONTS
    from landcarbon.report.viewer import scheme_legend, value_map, viewer_map, within_budget

    names = {code: name for code, (name, _) in (classes or {}).items()}
    report_dir = out_dir / "report"
    (report_dir / "img").mkdir(parents=True, exist_ok=True)
    keys_file = report_dir / "img" / ".keys.json"
    drawn = _read_keys(keys_file)
    keys = dict(drawn)  # maps of steps left out of this run (--steps) keep their keys
    chapters: dict[str, list[dict[str, Any]]] = {}
    tables: dict[str, tuple[str, str, pd.DataFrame]] = {}
    viewer = [
        viewer_map(path, message("observed", language, year=year), classes)
        for year, path in (observed or {}).items()
    ]
    for step in steps:
        items = chapters.setdefault(step.chapter, [])
        if summaries.get(step.name):
            summary = dict(summaries[step.name])
            notes = summary.pop(METHOD_NOTES_KEY, None) or {}
            shown = summary_tables(summary, names, language)
            items.append(
                {
                    "title": f"{step.name}: {message('summary', language)}",
                    "kind": "summary",
                    "notes": method_notes(notes, language),
                    "tables": [
                        _page_table(t, f"{step.name}-{i}", language) for i, t in enumerate(shown)
                    ],
                }
            )
        for output in step.outputs:
            path = out_dir / output.path
            if not path.exists():
                continue
            if output.kind == "figure":  # the print copies of the figure shown just before
                if items and "image" in items[-1]:
                    items[-1].setdefault("exports", []).append(_export(path, report_dir))
                continue
            title = translated(output.doc or output.name, language)
            item: dict[str, Any] = {
                "title": title,
                "kind": output.kind,
                "file": _rel(path, report_dir),
                "units": output.units,
            }
            if output.kind == "raster":
                what = f"output {output.name}"
                png = inside(report_dir / "img", f"{output.name}.png", what)
                exports = [
                    inside(report_dir / "figures", f"{output.name}{suffix}", what)
                    for suffix in (".png", ".svg")
                ]
                legend = scheme_legend(path, classes) if output.units == "class" else None
                keys[png.name] = f"{file_digest(path)} {language} {title}" + (
                    f" {legend}" if legend else ""
                )
                if drawn.get(png.name) != keys[png.name] or not all(
                    p.exists() for p in (png, *exports)
                ):
                    with figure_language(language):
                        render_map(path, png, title, legend, exports)
                item["image"] = _rel(png, report_dir)
                item["exports"] = [_export(p, report_dir) for p in exports]
                if output.units == "class":
                    viewer.append(viewer_map(path, title, classes))
                else:
                    viewer.append(value_map(path, title, output.units))
            elif output.kind == "png":
                item["image"] = _rel(path, report_dir)
            elif output.kind == "table" and path.suffix == ".csv":
                frame = pd.read_csv(path)
                tables[output.name] = (title, output.units, frame)
                shown_table = show_frame(frame.head(PAGE_ROWS), "", language)
                item["table"] = _page_table(shown_table, output.name, language, len(frame))
                item["units"] = "" if output.units == "class" else output.units
            items.append(item)
    write_json(keys, keys_file)
    if tables:
        _write_workbook(tables, report_dir / "tables.xlsx", language)
    # every value is escaped (select_autoescape() would not match "index.html.j2")
    env = Environment(loader=PackageLoader("landcarbon.report", "templates"), autoescape=True)
    page = env.get_template("index.html.j2").render(
        title=study_name,
        description=description,
        chapters=chapters,
        headings={name: chapter_title(name, language) for name in chapters},
        has_workbook=bool(tables),
        viewer=within_budget([shown for shown in viewer if shown is not None]),
        language=language,
        text=MESSAGES[language],
        shown_rows=SHOWN_ROWS,
        fonts=", ".join(f'"{font}"' for font in CJK_FONTS),
    )
    return write_text(page, report_dir / "index.html")


def _page_table(
    table: ShownTable, name: str, language: Language, total: int | None = None
) -> dict[str, Any]:
    """What the page's table macro needs: the table, an element id, and for more than
    :data:`SHOWN_ROWS` rows the "show all" button's texts."""
    import re

    n = len(table.rows) if total is None else total
    collapsible = len(table.rows) > SHOWN_ROWS
    return {
        "title": table.title,
        "header": table.header,
        "rows": table.rows,
        "numeric": table.numeric,
        "legend": table.legend,
        "id": "t-" + re.sub(r"[^A-Za-z0-9_-]", "-", name),
        "collapsible": collapsible,
        "more": message("show_all", language, n=len(table.rows)),
        "less": message("show_fewer", language, n=SHOWN_ROWS),
        "counted": message("rows_shown", language, shown=len(table.rows), n=n)
        if n > len(table.rows)
        else "",
    }


ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""Time stamped in ``tables.xlsx`` (its zip entries and document properties): the zip
format's first date, so the same tables always give the same bytes."""


SHEET_NAME = 31
"""Longest sheet name Excel accepts."""


def sheet_names(names: Sequence[str]) -> list[str]:
    """Short unique sheet names for tables named ``names`` (``landuse.transfer_2000_2010.ha``
    -> ``transfer_2000_2010.ha``): the name's last parts that fit in 31 characters, without
    the characters Excel refuses, made unique (Excel ignores case) by a ``~2`` suffix."""
    import re

    taken: set[str] = set()
    out = []
    for name in names:
        parts = re.sub(r"[\[\]:*?/\\']", "_", name).split(".")
        short = parts[-1][:SHEET_NAME]
        for i in range(len(parts) - 2, -1, -1):
            longer = ".".join(parts[i:])
            if len(longer) > SHEET_NAME:
                break
            short = longer
        unique, n = short, 1
        while unique.lower() in taken or unique.lower() == "index":
            n += 1
            unique = f"{short[: SHEET_NAME - len(str(n)) - 1]}~{n}"
        taken.add(unique.lower())
        out.append(unique)
    return out


def _write_workbook(
    tables: Mapping[str, tuple[str, str, pd.DataFrame]], path: Path, language: Language
) -> None:
    """An index sheet (sheet, title, units, table name) then one sheet per table, its
    header labelled with units and frozen, its numbers formatted; atomically and
    byte-stable: openpyxl stamps the time of saving in every zip entry and in
    ``docProps/core.xml``; both are set to :data:`ZIP_EPOCH`."""
    import re
    import zipfile

    from landcarbon.raster import atomic_path

    sheets = dict(zip(sheet_names(list(tables)), tables.items(), strict=True))
    index = pd.DataFrame(
        {
            message("sheet", language): list(sheets),
            message("title", language): [title for _, (title, _, _) in sheets.values()],
            message("units", language): [units for _, (_, units, _) in sheets.values()],
            message("file", language): [name for name, _ in sheets.values()],
        }
    )
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*ZIP_EPOCH).encode()
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            _sheet(writer, "index", index, language)
            for sheet, (_, (_, _, frame)) in sheets.items():
                _sheet(writer, sheet, frame, language)
        with zipfile.ZipFile(tmp) as saved:
            entries = [(info.filename, saved.read(info)) for info in saved.infolist()]
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as stable:
            for name, data in entries:
                if name == "docProps/core.xml":
                    data = re.sub(
                        rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data
                    )
                stable.writestr(
                    zipfile.ZipInfo(name, date_time=ZIP_EPOCH), data, zipfile.ZIP_DEFLATED
                )


def _sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, language: Language) -> None:
    """One sheet: header labelled with units (``area (ha)``) and frozen, numbers with
    thousands separators and the decimals their magnitude needs, years as years."""
    from openpyxl.utils import get_column_letter

    from landcarbon.report.tables import is_year_key

    labelled = frame.set_axis([label(c, language) for c in frame.columns], axis=1)
    labelled.to_excel(writer, sheet_name=name, index=False)
    sheet = writer.sheets[name]
    sheet.freeze_panes = "A2"
    for i, column in enumerate(frame.columns, start=1):
        values = frame[column]
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = min(
            60, max(10, len(str(labelled.columns[i - 1])) + 2)
        )
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        if is_year_key(column):
            number_format = "0"
        elif pd.api.types.is_integer_dtype(values):
            number_format = "#,##0"
        else:
            number_format = _decimal_format(values)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
            cell.number_format = number_format


def _decimal_format(values: pd.Series) -> str:
    """``#,##0.000``: as many decimals as four significant digits of the column's largest
    magnitude need (at most 6)."""
    import math

    largest = float(values.abs().max()) if values.notna().any() else 0.0
    if largest == 0 or math.isnan(largest) or math.isinf(largest):
        return "#,##0.####"
    decimals = min(6, max(0, 3 - math.floor(math.log10(largest))))
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _read_keys(path: Path) -> dict[str, str]:
    """What each map PNG was drawn from (raster digest and title); empty if unreadable."""
    import json

    try:
        keys = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return keys if isinstance(keys, dict) else {}


def _export(path: Path, base: Path) -> dict[str, str]:
    """A print copy of a figure for the caption's links: file and format (300 dpi PNG, SVG)."""
    label = "PNG 300 dpi" if path.suffix == ".png" else path.suffix.lstrip(".").upper()
    return {"file": _rel(path, base), "label": label}


def _rel(path: Path, base: Path) -> str:
    import os

    return os.path.relpath(path, base)
