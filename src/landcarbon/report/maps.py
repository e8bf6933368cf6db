"""Map figures: class legend or colour bar, scale bar, north arrow and coordinates.

A map is drawn in its CRS's units: projected grids with x / y in metres (or the CRS's
feet) and a scale bar in m / km; geographic grids in degrees with a scale bar in km at
the map's middle latitude; a grid without a CRS in cells, with a scale bar in cells, no
north arrow, and a note in the title saying so. Class maps use the study's class names
and colours; continuous maps a sequential ramp, or a diverging ramp centred on 0 where
values fall below 0 (changes, losses, emissions with sinks).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from landcarbon.errors import RasterError
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA, hex_to_rgba, open_dataset, read_grid
from landcarbon.report.figures import new_figure, save_figure, style
from landcarbon.report.figures import text as figure_text

MAX_PIXELS = 1200  # longest side drawn; larger rasters are read decimated, for display only
LEGEND_WIDTH = 28  # characters per line of a legend entry (long names wrap, not squeeze)
LEGEND_LINES = 3  # lines per legend entry at most (longer texts end in "…": tables hold them)
Classes = Mapping[int, tuple[str, str]]


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^k metres) about a fifth of the span."""
    target = span_m / 5
    power = 10 ** np.floor(np.log10(target))
    return float(min((1, 2, 5, 10), key=lambda m: abs(m * power - target)) * power)


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar: its length in the map's axis units (CRS units, degrees or cells) and
    its label (``500 m``, ``2 km``, ``20 cells``)."""

    length: float
    label: str


def scale_bar(grid: Grid) -> ScaleBar:
    """The scale bar of a map of ``grid``: a round length about a fifth of its width.

    Projected: metres (converted to the CRS's linear unit); geographic: kilometres along
    the middle latitude on the CRS's ellipsoid, as degrees of longitude; no CRS: cells.
    """
    left, right, bottom, top = _extent(grid)
    if grid.crs is None:
        cells = _nice_length(float(grid.cols))
        return ScaleBar(cells, figure_text("cells", n=cells))
    if grid.crs.is_geographic:
        metres_per_unit = _metres_per_degree(grid, (bottom + top) / 2)
    else:
        metres_per_unit = grid.linear_unit_m()
    length_m = _nice_length((right - left) * metres_per_unit)
    label = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    return ScaleBar(length_m / metres_per_unit, label)


def _metres_per_degree(grid: Grid, latitude: float) -> float:
    """Length of one degree of longitude at ``latitude`` on the grid CRS's ellipsoid (m)."""
    from pyproj import CRS, Geod

    ellipsoid = CRS.from_wkt(grid.crs.to_wkt()).ellipsoid  # type: ignore[union-attr]
    if ellipsoid is None:
        raise RasterError(
            f"geographic CRS {grid.crs} names no ellipsoid: the scale bar cannot be measured; "
            f"give the raster a complete CRS (e.g. EPSG:4326)"
        )
    geod = Geod(a=ellipsoid.semi_major_metre, b=ellipsoid.semi_minor_metre)
    return float(geod.inv(0.0, latitude, 1.0, latitude)[2])


def _extent(grid: Grid) -> tuple[float, float, float, float]:
    """(left, right, bottom, top) of the map in its axis units (cells without a CRS)."""
    if grid.crs is None:
        return 0.0, float(grid.cols), float(grid.rows), 0.0
    t = grid.transform
    return t.c, t.c + t.a * grid.cols, t.f + t.e * grid.rows, t.f


@dataclass(frozen=True)
class MapData:
    """One raster band read for display: values (decimated), its grid, and what it holds."""

    values: np.ndarray
    grid: Grid
    names: dict[int, str]
    colours: dict[int, tuple[float, float, float]]
    units: str

    @property
    def categorical(self) -> bool:
        return bool(self.names)


def read_map(path: str | Path, band: int = 1, classes: Classes | None = None) -> MapData:
    """Band ``band`` of a GeoTIFF read for display, at most :data:`MAX_PIXELS` a side
    (nearest-neighbour decimated read: a large map is never loaded whole).

    ``classes`` (code -> (name, ``#rrggbb``), the study's scheme) makes it a class map
    with that legend whatever the file carries (an observed map the user made); by
    default the names and colours written into the file are used, and an integer raster
    with a colour table is a class map too."""
    from rasterio.enums import Resampling

    grid = read_grid(path)
    step = max(1, int(np.ceil(max(grid.shape) / MAX_PIXELS)))
    shape = (-(-grid.rows // step), -(-grid.cols // step))
    with open_dataset(path) as ds:
        tags = ds.tags(band)
        names = {int(k): str(v) for k, v in json.loads(tags.get("class_names", "{}")).items()}
        try:
            colormap = ds.colormap(band)
        except ValueError:
            colormap = {}
        integer = np.issubdtype(np.dtype(ds.dtypes[band - 1]), np.integer)
        data = ds.read(band, out_shape=shape, masked=True, resampling=Resampling.nearest)
    if classes is not None:
        names = {int(c): v[0] for c, v in classes.items()}
        colormap = {int(c): hex_to_rgba(v[1]) for c, v in classes.items()}
    if names or (integer and colormap):
        values = np.ma.filled(data.astype(np.int64), CLASS_NODATA)
        names = names or {int(c): f"class {c}" for c in np.unique(values) if c != CLASS_NODATA}
    else:
        values = np.ma.filled(data.astype(np.float64), np.nan)
    colours = {c: tuple(v / 255 for v in colormap.get(c, (128, 128, 128, 255))[:3]) for c in names}
    return MapData(values, grid, names, colours, tags.get("units", ""))  # type: ignore[arg-type]


def draw_map(
    ax: Any, data: MapData, diverging: bool | None = None, norm: Any = None, ticks: int = 5
) -> Any:
    """Draw ``data`` on ``ax`` with scale bar, north arrow and coordinates; return the
    image (for a colour bar).

    A continuous map uses a diverging ramp centred on 0 (limits +/- the largest absolute
    value) when ``diverging`` is True, or when None and it holds values below 0 (changes,
    losses, sinks: 0 is their reference);
    ``norm`` (a matplotlib norm) fixes the colour scale instead, e.g. shared by panels;
    ``ticks``: at most that many coordinate ticks per axis."""
    from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize

    extent = _extent(data.grid)
    if data.categorical:
        codes = sorted(data.names)
        index = np.searchsorted(codes, data.values).astype(float)
        index[~np.isin(data.values, codes)] = np.nan
        cmap = ListedColormap([data.colours[c] for c in codes])
        norm = BoundaryNorm(np.arange(len(codes) + 1) - 0.5, len(codes))
        image = ax.imshow(index, extent=extent, cmap=cmap, norm=norm, interpolation="nearest")
    else:
        values = data.values
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if diverging is None:  # changes, losses, sinks: 0 is the reference
            diverging = low < 0
        if norm is None:
            bound = max(abs(low), abs(high)) or 1.0
            norm = Normalize(-bound, bound) if diverging else Normalize(low, high)
        ramp = "RdBu" if diverging else "viridis"
        image = ax.imshow(values, extent=extent, cmap=ramp, norm=norm, interpolation="nearest")
    decorate(ax, data.grid, ticks)
    return image


def class_legend(fig: Any, names: Mapping[int, str], colours: Mapping[int, Any], **kw: Any) -> Any:
    """One legend of class patches (``code name``) for ``fig``: long names wrapped at
    :data:`LEGEND_WIDTH` characters and cut to :data:`LEGEND_LINES` lines, so a long
    text (a restoration strategy) never squeezes the map."""
    from matplotlib.patches import Patch

    def label(code: int) -> str:
        short = textwrap.shorten(
            f"{code} {names[code]}", LEGEND_WIDTH * LEGEND_LINES, placeholder=" …"
        )
        return textwrap.fill(short, LEGEND_WIDTH)

    handles = [Patch(color=colours[c], label=label(c)) for c in sorted(names)]
    return fig.legend(handles=handles, frameon=False, **kw)


def _size(grid: Grid, width: float) -> float:
    """Height (inches) of a map ``width`` inches wide, kept between 2.5 and 8."""
    return float(np.clip(width * grid.rows / grid.cols, 2.5, 8.0))


def map_figure(
    path: str | Path,
    title: str = "",
    classes: Classes | None = None,
    diverging: bool | None = None,
) -> Any:
    """A map of a GeoTIFF's first band (see :func:`read_map` and :func:`draw_map`): class
    legend beside it, or a colour bar in the raster's units."""
    data = read_map(path, classes=classes)
    with style():
        fig = new_figure(5.0 + (2.0 if data.categorical else 1.0), _size(data.grid, 5.0))
        ax = fig.add_subplot()
        image = draw_map(ax, data, diverging)
        if data.categorical:
            class_legend(fig, data.names, data.colours, loc="outside right upper")
        else:
            fig.colorbar(image, ax=ax, shrink=0.8, label=data.units)
        ax.set_title(_titled(title or Path(path).stem, data.grid))
    return fig


def render_map(
    path: str | Path,
    png: str | Path,
    title: str = "",
    classes: Classes | None = None,
    exports: Sequence[Path] = (),
    diverging: bool | None = None,
) -> Path:
    """Draw a GeoTIFF as a map PNG (:func:`map_figure`), and as each of ``exports``
    (a 300 dpi PNG, an SVG: :func:`~landcarbon.report.figures.save_figure`)."""
    return save_figure(map_figure(path, title, classes, diverging), png, exports)


def class_panel_figure(maps: Mapping[str, str | Path], classes: Classes, title: str) -> Any:
    """Class maps side by side (title -> GeoTIFF, e.g. the base year and each scenario),
    drawn with the same class colours and one legend below them."""
    data = {label: read_map(path, classes=classes) for label, path in maps.items()}
    first = next(iter(data.values()))
    ncols = min(len(data), 4)
    nrows = -(-len(data) // ncols)
    with style():
        width = 2.6 * ncols
        fig = new_figure(width, nrows * _size(first.grid, 2.6) + 0.9)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax, (label, one) in zip(axes.flat, data.items(), strict=False):
            draw_map(ax, one, ticks=3)
            ax.set_title(label)
        for ax in axes.flat[len(data) :]:
            ax.set_axis_off()
        names = {int(c): v[0] for c, v in classes.items()}
        colours = {int(c): first.colours[int(c)] for c in classes}
        class_legend(fig, names, colours, loc="outside lower center", ncols=min(len(names), 5))
        fig.suptitle(_titled(title, first.grid))
    return fig


def bands_figure(path: str | Path, bands: Sequence[str], title: str, label: str) -> Any:
    """Every band of a multi-band GeoTIFF as one small map (titles ``bands``, one per
    band), on one shared colour scale with one colour bar labelled ``label``."""
    data = [read_map(path, band=i + 1) for i in range(len(bands))]
    return _continuous_panel(data, bands, title, label)


def maps_panel_figure(maps: Mapping[str, str | Path], title: str, label: str) -> Any:
    """Continuous GeoTIFFs side by side (title -> file, e.g. the soil carbon layers) on
    one shared colour scale with one colour bar labelled ``label``."""
    return _continuous_panel([read_map(p) for p in maps.values()], list(maps), title, label)


def _continuous_panel(
    data: Sequence[MapData], titles: Sequence[str], title: str, label: str
) -> Any:
    """Small maps of ``data`` (titled ``titles``), one colour scale over all of them."""
    from matplotlib.colors import Normalize

    values = np.concatenate([d.values[np.isfinite(d.values)] for d in data])
    norm = Normalize(float(values.min()), float(values.max())) if values.size else None
    ncols = min(len(data), 4)
    nrows = -(-len(data) // ncols)
    with style():
        fig = new_figure(2.6 * ncols + 0.8, nrows * _size(data[0].grid, 2.6) + 0.5)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        image = None
        for ax, one, name in zip(axes.flat, data, titles, strict=False):
            image = draw_map(ax, one, diverging=False, norm=norm, ticks=3)
            ax.set_title(textwrap.fill(name, LEGEND_WIDTH))
        for ax in axes.flat[len(data) :]:
            ax.set_axis_off()
        fig.colorbar(image, ax=axes, shrink=0.8, label=label)
        fig.suptitle(_titled(title, data[0].grid))
    return fig


def _titled(title: str, grid: Grid) -> str:
    """``title``, with the note that a map without a CRS is in cells and has no north."""
    return title if grid.crs is not None else f"{title}\n({figure_text('no_crs')})"


def decorate(ax: Any, grid: Grid, ticks: int = 5) -> None:
    """Scale bar, north arrow (maps with a CRS) and coordinates in the CRS's units (at
    most ``ticks`` ticks per axis)."""
    from matplotlib.ticker import MaxNLocator

    left, right, bottom, top = _extent(grid)
    bar = scale_bar(grid)
    x0, y0 = left + 0.05 * (right - left), bottom + 0.05 * (top - bottom)
    ax.plot([x0, x0 + bar.length], [y0, y0], color="black", lw=3, solid_capstyle="butt")
    ax.text(
        x0,
        y0 + 0.025 * (top - bottom),
        bar.label,
        fontsize=7,
        bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1},
    )
    if grid.crs is None:
        ax.set_xlabel(figure_text("column"))
        ax.set_ylabel(figure_text("row"))
    elif grid.crs.is_geographic:
        ax.set_xlabel(figure_text("lon"))
        ax.set_ylabel(figure_text("lat"))
    else:
        unit = "m" if grid.linear_unit_m() == 1.0 else figure_text("crs_units")
        ax.set_xlabel(figure_text("x_m", unit=unit))
        ax.set_ylabel(figure_text("y_m", unit=unit))
    ax.xaxis.set_major_locator(MaxNLocator(ticks))
    ax.yaxis.set_major_locator(MaxNLocator(ticks, prune="lower"))  # clear of the x labels
    ax.ticklabel_format(style="plain", useOffset=False)
    ax.tick_params(labelsize=6)
    ax.tick_params(axis="y", labelrotation=90)
    if grid.crs is not None:
        ax.annotate(
            figure_text("north"),
            xy=(0.95, 0.95),
            xytext=(0.95, 0.83),
            xycoords="axes fraction",
            ha="center",
            fontsize=9,
            fontweight="bold",
            arrowprops={"arrowstyle": "-|>", "color": "black"},
        )
