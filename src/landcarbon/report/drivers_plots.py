"""Driving-factor figures: GeoDetector q bar chart and interaction heat map.

Drawn with matplotlib's object API on a plain :class:`~matplotlib.figure.Figure` (Agg
canvas, no pyplot state), so they are safe in threads and headless runs, under the common
style, and written by :func:`landcarbon.report.figures.save_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from landcarbon.report.figures import new_figure, save_figure, style
from landcarbon.report.figures import text as figure_text
from landcarbon.stats.geodetector import GeoDetectorResult

TYPE_ABBREVIATIONS = {
    "nonlinear-weaken": "NW",
    "uni-variable weaken": "UW",
    "bi-variable enhance": "BE",
    "independent": "I",
    "nonlinear-enhance": "NE",
}
"""Short labels of the interaction types printed in the heat map cells."""


def q_bar_chart(
    result: GeoDetectorResult,
    png: str | Path,
    alpha: float = 0.05,
    exports: Sequence[Path] = (),
) -> Path:
    """Horizontal bars of the factor-detector q, largest first; faded where p >= ``alpha``.

    The p-value is the noncentral-F p of the result's convention. Written to ``png`` and
    ``exports``; returns ``png``.
    """
    items = sorted(result.factor.values(), key=lambda r: r.q)
    with style():
        fig = new_figure(6.0, 0.45 * len(items) + 1.4)
        ax = fig.add_subplot()
    colours = ["#2b6a99" if r.p < alpha else "#a9c4d9" for r in items]
    bars = ax.barh([r.name for r in items], [r.q for r in items], color=colours)
    ax.bar_label(bars, labels=[f"{r.q:.3f}" for r in items], padding=3, fontsize=8)
    ax.set_xlim(0, min(1.0, max(r.q for r in items) * 1.2 + 0.02))
    ax.set_xlabel(figure_text("q_axis"))
    ax.set_title(figure_text("q_title", alpha=alpha), fontsize=10)
    return save_figure(fig, png, exports)


def interaction_heatmap(
    result: GeoDetectorResult, png: str | Path, exports: Sequence[Path] = ()
) -> Path:
    """Lower-triangle heat map of the interaction q (diagonal: each factor's own q).

    Each off-diagonal cell is annotated with q12 and the interaction type's
    :data:`TYPE_ABBREVIATIONS` label (``BE`` bi-variable enhance, ``NE`` nonlinear-enhance,
    ...). Written to ``png`` and ``exports``; returns ``png``.
    """
    names = list(result.factor)
    size = len(names)
    matrix = np.full((size, size), np.nan)
    kinds: dict[tuple[int, int], str] = {}
    for i, name in enumerate(names):
        matrix[i, i] = result.factor[name].q
    for pair in result.interaction.values():
        i, j = sorted((names.index(pair.a), names.index(pair.b)), reverse=True)
        matrix[i, j] = pair.q
        kinds[(i, j)] = TYPE_ABBREVIATIONS[pair.type]
    with style():
        fig = new_figure(1.0 * size + 2.4, 1.0 * size + 1.6)
        ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap="YlOrRd", vmin=0.0, vmax=1.0)
    for (i, j), value in np.ndenumerate(matrix):
        if not np.isnan(value):
            label = f"{value:.2f}" + (f"\n{kinds[(i, j)]}" if (i, j) in kinds else "")
            ax.text(
                j,
                i,
                label,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if value > 0.6 else "black",
            )
    ax.set_xticks(range(size), names, rotation=45, ha="right")
    ax.set_yticks(range(size), names)
    fig.colorbar(image, ax=ax, label="q")
    ax.set_title(figure_text("interaction_title"), fontsize=10)
    return save_figure(fig, png, exports)
