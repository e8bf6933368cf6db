"""Assemble ``report/index.html`` from a run's declared outputs.

Rasters become map PNGs (redrawn only when the raster's content or the title changed:
``img/.keys.json`` keeps what each was drawn from, so a rerun that reuses every step
takes seconds), tables become HTML tables (and one Excel workbook), PNG
outputs (charts made by chapters) are shown as they are. Images are written beside the
page and referenced relatively, so the folder is self-contained and works offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from landcarbon.report.maps import render_map
from landcarbon.study.pipeline import Step, file_digest, write_json_atomic
from landcarbon.writes import write_text

MAX_TABLE_ROWS = 40


def build_report(
    study_name: str,
    description: str,
    steps: Sequence[Step],
    out_dir: Path,
    summaries: dict[str, dict[str, Any]],
) -> Path:
    """Write ``out_dir/report/index.html`` (plus images and ``tables.xlsx``) and return it.

    Chapters appear in the order of their first step in ``steps``; within a chapter each
    step's summary comes right before that step's outputs.
    """
    from jinja2 import Environment, PackageLoader

    from landcarbon.paths import inside

    report_dir = out_dir / "report"
    (report_dir / "img").mkdir(parents=True, exist_ok=True)
    keys_file = report_dir / "img" / ".keys.json"
    drawn = _read_keys(keys_file)
    keys = dict(drawn)  # maps of steps left out of this run (--steps) keep their keys
    chapters: dict[str, list[dict[str, Any]]] = {}
    tables: dict[str, pd.DataFrame] = {}
    for step in steps:
        items = chapters.setdefault(step.chapter, [])
        if summaries.get(step.name):
            items.append(
                {
                    "title": f"{step.name}: summary",
                    "kind": "summary",
                    "summary": _flat(summaries[step.name]),
                }
            )
        for output in step.outputs:
            path = out_dir / output.path
            if not path.exists():
                continue
            item: dict[str, Any] = {
                "title": output.doc or output.name,
                "kind": output.kind,
                "file": _rel(path, report_dir),
                "units": output.units,
            }
            if output.kind == "raster":
                png = inside(report_dir / "img", f"{output.name}.png", f"output {output.name}")
                keys[png.name] = f"{file_digest(path)} {output.doc or output.name}"
                if drawn.get(png.name) != keys[png.name] or not png.exists():
                    render_map(path, png, output.doc or output.name)
                item["image"] = _rel(png, report_dir)
            elif output.kind == "png":
                item["image"] = _rel(path, report_dir)
            elif output.kind == "table" and path.suffix == ".csv":
                frame = pd.read_csv(path)
                tables[output.name[:31]] = frame
                item["table"] = frame.head(MAX_TABLE_ROWS).to_html(  # escaped: shown as is
                    index=False, float_format=lambda v: f"{v:,.4g}", border=0, escape=True
                )
                item["truncated"] = len(frame) > MAX_TABLE_ROWS
            items.append(item)
    write_json_atomic(keys_file, keys)
    if tables:
        _write_workbook(tables, report_dir / "tables.xlsx")
    # every value is escaped (select_autoescape() would not match "index.html.j2"); the
    # only markup let through is the tables pandas built with their cells escaped
    env = Environment(loader=PackageLoader("landcarbon.report", "templates"), autoescape=True)
    page = env.get_template("index.html.j2").render(
        title=study_name, description=description, chapters=chapters, has_workbook=bool(tables)
    )
    return write_text(page, report_dir / "index.html")


ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""Time stamped in ``tables.xlsx`` (its zip entries and document properties): the zip
format's first date, so the same tables always give the same bytes."""


def _write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table, atomically and byte-stable: openpyxl stamps the time of saving
    in every zip entry and in ``docProps/core.xml``; both are set to :data:`ZIP_EPOCH`."""
    import re
    import zipfile

    from landcarbon.raster import atomic_path

    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*ZIP_EPOCH).encode()
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in tables.items():
                frame.to_excel(writer, sheet_name=name, index=False)
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


def _read_keys(path: Path) -> dict[str, str]:
    """What each map PNG was drawn from (raster digest and title); empty if unreadable."""
    import json

    try:
        keys = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return keys if isinstance(keys, dict) else {}


def _rel(path: Path, base: Path) -> str:
    import os

    return os.path.relpath(path, base)


def _flat(summary: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and len(rows) < 60:
            rows.extend(_flat(value, f"{name}."))
        elif isinstance(value, float):
            rows.append((name, f"{value:,.6g}"))
        else:
            rows.append((name, str(value)[:200]))
    return rows[:80]
