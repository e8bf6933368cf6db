"""One style and one export path for every figure of a study (maps and charts).

Every figure is drawn on a plain :class:`~matplotlib.figure.Figure` (Agg canvas, no pyplot
state) under :data:`STYLE` and written by :func:`save_figure`: the screen PNG the report
page shows and, for papers, a 300 dpi PNG and an SVG under ``report/figures/`` (the step
declares both with :func:`export_outputs`). Fixed figure text (axis labels, titles, map
notes) lives in :data:`LABELS`, one place a report language can be wired to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

SCREEN_DPI = 110
"""Resolution of the PNG shown in the report page (dots per inch)."""
PRINT_DPI = 300
"""Resolution of the exported PNG for papers (dots per inch, written in its pHYs chunk)."""
FIGURES = "report/figures"
"""Folder (in ``--out``) of the exported figures."""

STYLE: dict[str, Any] = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "figure.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "path",  # glyphs as outlines: CJK names show without the font installed
    "svg.hashsalt": "landcarbon",  # stable element ids: the same figure, the same bytes
}
"""Matplotlib settings every landcarbon figure is drawn and saved under."""

LABELS: dict[str, str] = {
    "area_ha": "area (ha)",
    "change_vs": "difference from {base} ({units})",
    "probability": "development probability (0-1)",
    "probability_title": "Development probability by class ({method})",
    "scenario_maps": "Land use {year}: {base} and scenarios",
    "observed": "observed",
    "transfers": "Land-use transfers {a} → {b} (area, ha)",
    "storage": "carbon storage CS",
    "emissions": "land-use emissions CE",
    "balance": "balance index CS/CE",
    "x_m": "x ({unit})",
    "y_m": "y ({unit})",
    "lon": "longitude (°)",
    "lat": "latitude (°)",
    "column": "column (cells)",
    "row": "row (cells)",
    "no_crs": "no CRS: axes and scale in cells, north unknown",
    "north": "N",
    "cells": "{n:g} cells",
    "q_axis": "q (share of the variance of y explained)",
    "q_title": "GeoDetector factor q (dark: p < {alpha:g})",
    "interaction_title": "Interaction detector q(X1 ∩ X2)",
    "soil_loss_title": "Soil loss by land-use and climate scenario",
    "soil_loss_axis": "soil loss (t/yr)",
    "soil_layers": "Soil carbon density by layer (t C/ha per m of depth)",
    "grades_title": "Erosion grade areas by land-use scenario and year (SL 190-2007)",
}
"""Fixed figure text by key (``str.format`` fields in braces)."""

SUFFIXES = (".png", ".svg")
"""Formats of the exported figures: a 300 dpi PNG and an SVG."""


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Draw inside this block to get :data:`STYLE`."""
    import matplotlib

    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        yield


def new_figure(width: float, height: float, **kwargs: Any) -> Any:
    """A :class:`~matplotlib.figure.Figure` of ``width`` x ``height`` inches, laid out by
    matplotlib's constrained layout (call inside :func:`style`)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=SCREEN_DPI, layout="constrained", **kwargs)


def save_figure(fig: Any, png: str | Path, exports: Sequence[Path] = ()) -> Path:
    """Write ``fig`` as the report's PNG ``png`` and as each of ``exports`` (``.png`` at
    :data:`PRINT_DPI`, ``.svg`` or ``.pdf``), each atomically (a failed write leaves no
    file under its final name). Class names in any script render (CJK font fallback of
    :func:`landcarbon.report.fonts.class_text`). Returns ``png``."""
    from landcarbon.raster import atomic_path
    from landcarbon.report.fonts import class_text

    out = Path(png)
    targets = [(out, SCREEN_DPI), *((Path(p), PRINT_DPI) for p in exports)]
    with style(), class_text(fig):
        for path, dpi in targets:
            path.parent.mkdir(parents=True, exist_ok=True)
            fmt = path.suffix.lstrip(".").lower()
            metadata = {"Date": None} if fmt in ("svg", "pdf") else None  # reproducible bytes
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
    return out
