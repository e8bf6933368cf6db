"""Map figures: class colours and legend, colour bar, scale bar and north arrow (PNG)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA, hex_to_rgba, open_dataset, read_raster

MAX_PIXELS = 1200  # longest side drawn; larger rasters are decimated for display only


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^k metres) about a fifth of the span."""
    target = span_m / 5
    power = 10 ** np.floor(np.log10(target))
    return float(min((1, 2, 5, 10), key=lambda m: abs(m * power - target)) * power)


def render_map(
    path: str | Path,
    png: str | Path,
    title: str = "",
    classes: Mapping[int, tuple[str, str]] | None = None,
) -> Path:
    """Draw a GeoTIFF as a map PNG with legend (classes) or colour bar, scale and north.

    ``classes`` (code -> (name, ``#rrggbb``), the study's scheme) draws a class map with
    that legend whatever the file carries (an observed map the user made); by default the
    names and colours written into the file are used."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    grid = Grid.from_file(path)
    with open_dataset(path) as ds:
        names = json.loads(ds.tags(1).get("class_names", "{}"))
        units = ds.tags(1).get("units", "")
        try:
            colormap = ds.colormap(1)
        except ValueError:
            colormap = {}
        integer = np.issubdtype(np.dtype(ds.dtypes[0]), np.integer)
    if classes is not None:
        names = {str(c): v[0] for c, v in classes.items()}
        colormap = {int(c): hex_to_rgba(v[1]) for c, v in classes.items()}
    step = max(1, int(np.ceil(max(grid.shape) / MAX_PIXELS)))
    categorical = bool(names) or (integer and bool(colormap))
    da = read_raster(path, "categorical" if categorical else "continuous")
    data = np.asarray(da.data)[::step, ::step]
    if categorical and not names:
        names = {str(c): f"class {c}" for c in np.unique(data) if c != CLASS_NODATA}
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    t = grid.transform
    extent = (t.c, t.c + t.a * grid.cols, t.f + t.e * grid.rows, t.f)
    if categorical:
        codes = sorted(int(k) for k in names)
        colours = [tuple(v / 255 for v in colormap.get(c, (128, 128, 128, 255))[:3]) for c in codes]
        index = np.searchsorted(codes, data).astype(float)
        index[(data == CLASS_NODATA) | ~np.isin(data, codes)] = np.nan
        cmap = ListedColormap(colours)
        ax.imshow(
            index,
            extent=extent,
            cmap=cmap,
            interpolation="nearest",
            norm=BoundaryNorm(np.arange(len(codes) + 1) - 0.5, len(codes)),
        )
        ax.legend(
            handles=[
                Patch(color=col, label=f"{c} {names[str(c)]}")
                for c, col in zip(codes, colours, strict=True)
            ],
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            fontsize=8,
            frameon=False,
        )
    else:
        image = ax.imshow(data, extent=extent, cmap="viridis", interpolation="nearest")
        fig.colorbar(image, ax=ax, shrink=0.75, label=units)
    _decorate(ax, grid, extent)
    ax.set_title(title or Path(path).stem, fontsize=10)
    from landcarbon.raster import atomic_path
    from landcarbon.report.fonts import class_text

    out = Path(png)
    out.parent.mkdir(parents=True, exist_ok=True)
    # a half-written map is never taken for a finished one
    with class_text(fig), atomic_path(out) as tmp:
        fig.tight_layout()
        fig.savefig(tmp, bbox_inches="tight", format="png")
    plt.close(fig)
    return out


def _decorate(ax: Any, grid: Grid, extent: tuple[float, float, float, float]) -> None:
    """Scale bar (projected grids) and north arrow."""
    left, right, bottom, top = extent
    if grid.crs is not None and not grid.crs.is_geographic:
        unit = grid.linear_unit_m()
        length = _nice_length((right - left) * unit)
        x0, y0 = left + 0.05 * (right - left), bottom + 0.05 * (top - bottom)
        ax.plot([x0, x0 + length / unit], [y0, y0], color="black", lw=3)
        label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
        ax.text(
            x0,
            y0 + 0.025 * (top - bottom),
            label,
            fontsize=8,
            bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1},
        )
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.83),
        xycoords="axes fraction",
        ha="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black"},
    )
    ax.set_xticks([])
    ax.set_yticks([])
