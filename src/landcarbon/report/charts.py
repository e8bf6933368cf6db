"""Charts for the report (PNG, matplotlib Agg): land-use transfer alluvial, bar charts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def sankey_png(
    long_table: pd.DataFrame,
    png: str | Path,
    legend: Mapping[int, tuple[str, str]],
    labels: tuple[str, str] = ("before", "after"),
) -> Path:
    """Two-column alluvial of a transfer matrix (``from``, ``to``, ``area_ha`` rows).

    Bar heights are the class areas at each date; each band is one (from, to) flow drawn
    as a smooth ribbon, coloured by the class it comes from.
    """
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MplPath

    plt = _pyplot()
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
    fig, ax = plt.subplots(figsize=(7, 5), dpi=110)
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
    ax.set_title(f"Land-use transfers {labels[0]} → {labels[1]} (area, ha)", fontsize=10)
    return _save(fig, plt, png)


def bar_chart_png(
    frame: pd.DataFrame,
    png: str | Path,
    title: str,
    ylabel: str,
    colours: Mapping[str, str] | None = None,
) -> Path:
    """Grouped bars: index = groups on the x axis (e.g. scenarios), columns = series."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    n = max(len(frame.columns), 1)
    x = np.arange(len(frame.index))
    w = 0.8 / n
    for i, col in enumerate(frame.columns):
        kwargs = {"color": colours[str(col)]} if colours and str(col) in colours else {}
        ax.bar(
            x + (i - (n - 1) / 2) * w, frame[col].to_numpy(dtype=float), w, label=str(col), **kwargs
        )
    ax.set_xticks(x, [str(i) for i in frame.index], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.axhline(0, color="black", lw=0.6)
    if n > 1:
        ax.legend(fontsize=7, frameon=False, ncol=min(n, 3))
    return _save(fig, plt, png)


@dataclass(frozen=True)
class Panel:
    """One bar panel of :func:`panels_figure`: values by group (e.g. map), its axis label
    with units, and the bar colour."""

    title: str
    values: pd.Series
    ylabel: str
    colour: str = "#4c72b0"


def panels_figure(panels: Sequence[Panel], title: str) -> Any:
    """Side-by-side bar panels, each with its own y axis, so quantities of different units
    and magnitudes (storage in 10^3 t C, emissions in t C/yr) are each readable."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 4), dpi=110, squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        x = np.arange(len(panel.values))
        ax.bar(x, panel.values.to_numpy(dtype=float), 0.7, color=panel.colour)
        ax.set_xticks(x, [str(i) for i in panel.values.index], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(panel.ylabel)
        ax.set_title(panel.title, fontsize=9)
        ax.axhline(0, color="black", lw=0.6)
    fig.suptitle(title, fontsize=10)
    return fig


def panels_png(panels: Sequence[Panel], png: str | Path, title: str) -> Path:
    """:func:`panels_figure` written to ``png``."""
    return _save(panels_figure(panels, title), _pyplot(), png)


def _save(fig: object, plt: object, png: str | Path) -> Path:
    from landcarbon.raster import atomic_path
    from landcarbon.report.fonts import class_text

    out = Path(png)
    out.parent.mkdir(parents=True, exist_ok=True)
    with class_text(fig), atomic_path(out) as tmp:
        fig.tight_layout()  # type: ignore[attr-defined]
        fig.savefig(tmp, format="png")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[attr-defined]
    return out
