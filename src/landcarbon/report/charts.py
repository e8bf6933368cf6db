"""Charts for the report: land-use transfer alluvial, bar charts, difference panels.

Drawn on plain matplotlib figures under the common style and written by
:func:`landcarbon.report.figures.save_figure` (the report's PNG, and a 300 dpi PNG and
an SVG for papers where the step declares them).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landcarbon.report.figures import new_figure, save_figure, style
from landcarbon.report.figures import text as figure_text


def sankey_png(
    long_table: pd.DataFrame,
    png: str | Path,
    legend: Mapping[int, tuple[str, str]],
    labels: tuple[str, str] = ("before", "after"),
    exports: Sequence[Path] = (),
) -> Path:
    """Two-column alluvial of a transfer matrix (``from``, ``to``, ``area_ha`` rows).

    Bar heights are the class areas at each date; each band is one (from, to) flow drawn
    as a smooth ribbon, coloured by the class it comes from (``legend``: code -> (name,
    colour), the study's class scheme). Written to ``png`` and ``exports``.
    """
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MplPath

    flows = long_table[long_table["area_ha"] > 0]
    total = float(flows["area_ha"].sum())
    codes = sorted(set(flows["from"]) | set(flows["to"]))
    gap = 0.02 * total
    left_out = {c: float(flows.loc[flows["from"] == c, "area_ha"].sum()) for c in codes}
    right_in = {c: float(flows.loc[flows["to"] == c, "area_ha"].sum()) for c in codes}

    def tops(sizes: Mapping[int, float]) -> dict[int, float]:
        y, out = 0.0, {}
        for c in codes:
            out[c] = y
            y += sizes[c] + gap
        return out

    ly, ry = tops(left_out), tops(right_in)
    lcur, rcur = dict(ly), dict(ry)
    with style():
        fig = new_figure(7, 5)
        ax = fig.add_subplot()
    width, x0, x1 = 0.08, 0.0, 1.0
    for c in codes:
        colour = legend.get(c, (str(c), "#999999"))[1]
        ax.add_patch(Rectangle((x0 - width, ly[c]), width, left_out[c], color=colour))
        ax.add_patch(Rectangle((x1, ry[c]), width, right_in[c], color=colour))
        name = legend.get(c, (str(c), ""))[0]
        if left_out[c] > 0:
            ax.text(
                x0 - width - 0.02,
                ly[c] + left_out[c] / 2,
                name,
                ha="right",
                va="center",
                fontsize=8,
            )
        if right_in[c] > 0:
            ax.text(
                x1 + width + 0.02, ry[c] + right_in[c] / 2, name, ha="left", va="center", fontsize=8
            )
    ordered = flows.sort_values(["from", "to"])
    for a, b, h in zip(
        ordered["from"].to_numpy(dtype=int),
        ordered["to"].to_numpy(dtype=int),
        ordered["area_ha"].to_numpy(dtype=float),
        strict=True,
    ):
        y0, y1 = lcur[a], rcur[b]
        lcur[a] += h
        rcur[b] += h
        verts = [
            (x0, y0),
            (0.5, y0),
            (0.5, y1),
            (x1, y1),
            (x1, y1 + h),
            (0.5, y1 + h),
            (0.5, y0 + h),
            (x0, y0 + h),
            (x0, y0),
        ]
        codes_path = [
            MplPath.MOVETO,
            MplPath.CURVE4,
            MplPath.CURVE4,
            MplPath.CURVE4,
            MplPath.LINETO,
            MplPath.CURVE4,
            MplPath.CURVE4,
            MplPath.CURVE4,
            MplPath.CLOSEPOLY,
        ]
        colour = legend.get(a, (str(a), "#999999"))[1]
        ax.add_patch(
            PathPatch(MplPath(verts, codes_path), facecolor=colour, alpha=0.45, edgecolor="none")
        )
    height = max(sum(left_out.values()), sum(right_in.values())) + gap * len(codes)
    ax.set_xlim(-0.45, 1.45)
    ax.set_ylim(height, -gap)
    ax.text(x0 - width / 2, -gap / 2, labels[0], ha="center", fontsize=9, fontweight="bold")
    ax.text(x1 + width / 2, -gap / 2, labels[1], ha="center", fontsize=9, fontweight="bold")
    ax.axis("off")
    ax.set_title(figure_text("transfers", a=labels[0], b=labels[1]), fontsize=10)
    return save_figure(fig, png, exports)


def bar_chart_png(
    frame: pd.DataFrame,
    png: str | Path,
    title: str,
    ylabel: str,
    colours: Mapping[str, str] | None = None,
    exports: Sequence[Path] = (),
) -> Path:
    """Grouped bars: index = groups on the x axis (e.g. scenarios), columns = series.

    The y axis spans the values (with a margin), not 0 to the largest: groups that differ
    by 1 % differ visibly (0 is drawn where it lies inside the span). Written to ``png``
    and ``exports``."""
    with style():
        fig = new_figure(7, 4)
        ax = fig.add_subplot()
        n = max(len(frame.columns), 1)
        x = np.arange(len(frame.index))
        w = 0.8 / n
        for i, col in enumerate(frame.columns):
            kwargs = {"color": colours[str(col)]} if colours and str(col) in colours else {}
            ax.bar(
                x + (i - (n - 1) / 2) * w,
                frame[col].to_numpy(dtype=float),
                w,
                label=str(col),
                **kwargs,
            )
        ax.set_xticks(x, [str(i) for i in frame.index], rotation=20, ha="right")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        _span(ax, frame.to_numpy(dtype=float))
        if n > 1:
            ax.legend(frameon=False, ncol=min(n, 3))
    return save_figure(fig, png, exports)


def stacked_bars_png(
    frames: Mapping[str, pd.DataFrame],
    png: str | Path,
    title: str,
    ylabel: str,
    colours: Sequence[str],
    exports: Sequence[Path] = (),
) -> Path:
    """One panel per frame (title -> frame), side by side on a shared y axis: a stacked
    bar per row of the frame (e.g. scenario and year), one segment per column (e.g. an
    erosion grade) in ``colours`` (one per column), one legend. Written to ``png`` and
    ``exports``."""
    first = next(iter(frames.values()))
    with style():
        fig = new_figure(0.5 * len(first.index) * len(frames) + 2.5, 4.2)
        axes = fig.subplots(1, len(frames), squeeze=False, sharey=True)
        for ax, (name, frame) in zip(axes[0], frames.items(), strict=True):
            x = np.arange(len(frame.index))
            bottom = np.zeros(len(frame.index))
            for column, colour in zip(frame.columns, colours, strict=True):
                heights = frame[column].to_numpy(dtype=float)
                ax.bar(x, heights, 0.7, bottom=bottom, color=colour, label=str(column))
                bottom += heights
            ax.set_xticks(x, [str(i) for i in frame.index], rotation=30, ha="right")
            ax.set_title(name)
        axes[0][0].set_ylabel(ylabel)
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", frameon=False)
        fig.suptitle(title)
    return save_figure(fig, png, exports)


def _span(ax: Any, values: np.ndarray) -> None:
    """Set the y limits of bars to the span of ``values`` plus a tenth on each side, and
    draw the 0 line when it lies inside (bars of one sign far from 0 start at the limit)."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return
    low, high = float(finite.min()), float(finite.max())
    pad = 0.1 * (high - low) or 0.05 * max(abs(high), 1e-12)
    lower = low - pad if low < 0 or low - pad > 0 else 0.0
    upper = high + pad if high > 0 or high + pad < 0 else 0.0
    ax.set_ylim(lower, upper)
    if lower <= 0 <= upper:
        ax.axhline(0, color="black", lw=0.6)


@dataclass(frozen=True)
class Panel:
    """One bar panel of :func:`panels_figure`: values by group (e.g. map), its axis label
    with units, and the bar colour (or one per bar). With ``base`` (a label of
    ``values``, e.g. the base year) the bars are the differences from that map, whose own
    value the title gives."""

    title: str
    values: pd.Series
    ylabel: str
    colour: str | tuple[str, ...] = "#4c72b0"
    base: str | None = None

    def bars(self) -> pd.Series:
        """What the panel draws: the values, or their differences from ``base`` (without
        the base itself)."""
        if self.base is None:
            return self.values
        others = self.values.drop(self.base)
        return others - float(self.values[self.base])


def panels_figure(panels: Sequence[Panel], title: str) -> Any:
    """Side-by-side bar panels, each with its own y axis, so quantities of different units
    and magnitudes (storage in 10^3 t C, emissions in t C/yr) are each readable; panels
    with a base show differences from it (a 1 % change is a visible bar)."""
    width = 3.6 * len(panels)
    with style():
        fig = new_figure(width, 4)
        axes = fig.subplots(1, len(panels), squeeze=False)
        for ax, panel in zip(axes[0], panels, strict=True):
            bars = panel.bars()
            x = np.arange(len(bars))
            heights = bars.to_numpy(dtype=float)
            ax.bar(x, heights, 0.7, color=panel.colour)
            ax.set_xticks(x, [str(i) for i in bars.index], rotation=30, ha="right")
            if panel.base is None:
                ax.set_ylabel(panel.ylabel)
                ax.set_title(panel.title)
                _span(ax, heights)
            else:
                base = float(panel.values[panel.base])
                ax.set_ylabel(figure_text("change_vs", base=panel.base, units=panel.ylabel))
                ax.set_title(f"{panel.title}\n({panel.base}: {number(base)} {panel.ylabel})")
                ax.axhline(0, color="black", lw=0.6)
        fig.suptitle(textwrap.fill(title, int(11 * width)))  # about 11 characters an inch
    return fig


def number(value: float, digits: int = 4) -> str:
    """``value`` to ``digits`` significant digits with thousands separators, never in
    exponent notation, trailing zeros dropped (24,670, 9.827 and 25, not 2.467e+04)."""
    if value == 0 or not np.isfinite(value):
        return f"{value:g}"
    decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(value)))))
    text = f"{round(value, decimals):,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def panels_png(
    panels: Sequence[Panel], png: str | Path, title: str, exports: Sequence[Path] = ()
) -> Path:
    """:func:`panels_figure` written to ``png`` and ``exports``."""
    return save_figure(panels_figure(panels, title), png, exports)
