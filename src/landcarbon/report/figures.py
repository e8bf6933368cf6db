"""One style and one export path for every figure of a study (maps and charts).

Every figure is drawn on a plain :class:`~matplotlib.figure.Figure` (Agg canvas, no pyplot
state) under :data:`STYLE` and written by :func:`save_figure`: the screen PNG the report
page shows and, for papers, a 300 dpi PNG and an SVG under ``report/figures/`` (the step
declares both with :func:`export_outputs`). Fixed figure text (axis labels, titles, map
notes) is the report's message table (:mod:`landcarbon.report.i18n`), read by :func:`text`
in the language of the enclosing :func:`language` block.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from landcarbon.report.i18n import Language, message
from landcarbon.report.i18n import title as translated

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

_LANGUAGE: ContextVar[Language] = ContextVar("figure_language", default="en")
"""Language of the fixed figure text drawn now (set by :func:`language`)."""


@contextlib.contextmanager
def language(lang: Language) -> Iterator[None]:
    """Draw inside this block to get the fixed figure text of :func:`text` in ``lang``
    (``[report] language`` of the study); class and scenario names stay as written."""
    token = _LANGUAGE.set(lang)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


def text(key: str, **values: object) -> str:
    """The fixed figure text ``key`` (``fig.<key>`` of the report's message table,
    :data:`landcarbon.report.i18n.MESSAGES`) in the language of the enclosing
    :func:`language` block (English outside one), ``{name}`` fields filled from ``values``."""
    return message(f"fig.{key}", _LANGUAGE.get(), **values)


def heading(title: str) -> str:
    """An output's English title (its doc) as a figure title in the language of the
    enclosing :func:`language` block (:func:`landcarbon.report.i18n.title`: the known
    opening words translated, years and names kept)."""
    return translated(title, _LANGUAGE.get())


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
