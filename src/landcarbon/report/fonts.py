"""Fonts for class names in any script: a CJK font when one is installed.

Matplotlib's default font (DejaVu Sans) has no Chinese, Japanese or Korean glyphs and
warns once per missing glyph. :func:`class_text` puts an installed CJK font (Noto Sans
CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei, ...) behind the default, so
Latin text keeps its look and CJK names render; without one it warns once per process,
naming the font package to install, and silences the per-glyph warnings.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from landcarbon.errors import LandcarbonWarning

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)
"""CJK fonts looked for, in order of preference."""

NO_CJK_FONT = (
    "no CJK font is installed: Chinese/Japanese/Korean class names render as empty boxes "
    "in the maps and charts; install one (Debian/Ubuntu: apt-get install fonts-noto-cjk; "
    "Fedora: google-noto-sans-cjk-fonts; Windows and macOS have one) and rerun"
)


def needs_cjk(texts: Iterable[str]) -> bool:
    """Whether any text holds a character of the CJK blocks (U+2E80 onwards, Hangul)."""
    return any(ord(ch) >= 0x2E80 for text in texts for ch in str(text))


@cache
def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, else None.

    Matplotlib lists the fonts it found when it built its font cache, once: a CJK font
    installed after that (as the warning below advises) was never found. So when the
    list has none, the system's font files the list lacks are added to it first.
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    found = _first_cjk(manager)
    if found is None:
        listed = {f.fname for f in manager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in listed:
                with contextlib.suppress(Exception):  # a file FreeType cannot read
                    manager.addfont(path)
        found = _first_cjk(manager)
    return found


def _first_cjk(manager: Any) -> str | None:
    installed = {f.name for f in manager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


@cache
def _warn_no_cjk_font() -> None:  # cached: one warning per process
    warnings.warn(NO_CJK_FONT, LandcarbonWarning, stacklevel=4)


@contextlib.contextmanager
def class_text(fig: Any) -> Iterator[None]:
    """Draw (and save) ``fig``, whose labels may hold class names in any script, inside
    this block.

    With CJK text, every text of the figure gets the default font backed by an installed
    CJK font (a per-text fallback list: matplotlib resolves the generic ``sans-serif`` to
    one font, so changing ``rcParams`` would not reach the CJK glyphs); without one, a
    single :data:`NO_CJK_FONT` warning replaces matplotlib's warning per missing glyph.
    """
    import matplotlib
    from matplotlib.text import Text

    texts = list(fig.findobj(Text))
    if not needs_cjk(t.get_text() for t in texts):
        yield
        return
    font = cjk_font()
    if font is None:
        _warn_no_cjk_font()
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=r"Glyph \d+ .*missing from", category=UserWarning
            )
            yield
        return
    default = matplotlib.rcParams["font.sans-serif"][0]
    for text in texts:
        text.set_fontfamily([default, font])
    yield
