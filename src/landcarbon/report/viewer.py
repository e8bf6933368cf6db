"""Maps for the page's scenario viewer: decimated, embedded, readable by hover.

A class map becomes a greyscale PNG whose pixel value is the index of its class in the
map's legend (255: no data); a map of values (carbon density, change, NEP, erosion) an RGB
PNG whose red and green bytes are its value quantised to 16 bits over the map's range
(:data:`NO_VALUE`: no data). Each is embedded as a ``data:`` URL, so the page stays one
folder that works from ``file://`` with no server: the viewer script decodes it into a
canvas, colours it (the legend, or a colour ramp) and reads the class or the value with its
units under the pointer from the same pixels. :func:`within_budget` bounds the page.
"""

from __future__ import annotations

import base64
import io
import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from landcarbon.classes import generic_scheme
from landcarbon.errors import LandcarbonWarning
from landcarbon.raster import CLASS_NODATA, class_codes, open_dataset

MAX_SIDE = 1000
"""Longest side (pixels) of an embedded map; larger maps are decimated (every n-th cell),
which bounds the page: a 1000 x 1000 class map is at most 1 MB and usually ~100 kB."""
NO_DATA_INDEX = 255
"""Pixel value of cells without data (and of codes outside the legend)."""
MAX_SIDE_VALUES = 500
"""Longest side (pixels) of an embedded map of values: 16 bits a cell over two colour
bytes compress less than class indices, so at most 500 x 500 cells (~0.2-0.7 MB)."""
NO_VALUE = 65535
"""Quantised value of cells without data in a map of values."""
MAX_VIEWER_BYTES = 16_000_000
"""Most bytes of embedded maps in one page; maps past it are left out of the viewer (with a
warning), their figures stay in the report."""
SEQUENTIAL = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
"""Colour ramp of a map of values of one sign (viridis, low to high)."""
DIVERGING = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b")
"""Colour ramp of a map of values of both signs, centred on 0 (negative blue, positive red)."""


def strided_read(path: Path, max_side: int) -> tuple[np.ma.MaskedArray, int] | None:
    """Every ``step``-th cell of every ``step``-th row of the first band (``step`` the
    smallest that keeps both sides at most ``max_side``; nodata masked) and ``step``, read
    one kept row at a time: exactly ``band[::step, ::step]``, so the viewer's cell
    coordinates (``row * step``, ``col * step``) stay exact, while memory holds one row of
    the map, never the map. None for a stack of bands."""
    from rasterio.windows import Window

    with open_dataset(path) as ds:
        if ds.count != 1:
            return None
        step = max(1, -(-max(ds.height, ds.width) // max_side))
        rows = [
            ds.read(1, window=Window(0, row, ds.width, 1), masked=True)[0, ::step]
            for row in range(0, ds.height, step)
        ]
    return np.ma.stack(rows), step


def _own_classes(path: Path) -> tuple[dict[int, str], dict[int, tuple[int, ...]]]:
    """The class names and colour table written in a raster (empty without them)."""
    with open_dataset(path) as ds:
        own = {int(k): v for k, v in json.loads(ds.tags(1).get("class_names", "{}")).items()}
        try:
            colormap = ds.colormap(1)
        except ValueError:
            colormap = {}
    return own, colormap


def scheme_legend(
    path: Path, classes: Mapping[int, tuple[str, str]] | None
) -> dict[int, tuple[str, str]] | None:
    """The study's class scheme ``classes`` as the legend of the class map at ``path``
    when the class names written in the file are among it (a simulated land-use map that
    lacks a class still lists every class of the study); None for a map of other classes
    (sink zones, erosion grades) or without a scheme."""
    if classes is None:
        return None
    own, _ = _own_classes(path)
    if not all(classes.get(c, ("",))[0] == n for c, n in own.items()):
        return None
    return {int(c): (name, colour) for c, (name, colour) in classes.items()}


def viewer_map(
    path: Path, title: str, classes: Mapping[int, tuple[str, str]] | None = None
) -> dict[str, Any] | None:
    """One map of the viewer: ``title``, the PNG as a ``data:`` URL, its size, and the
    legend (codes, names, colours). The legend is the study's class scheme ``classes``
    when the map's own class names are among it (a land-use map: every class of the study
    is listed), else the names and colours written in the file, else ``"class N"`` for
    each code found. None (with a warning) for a map of more classes than a pixel can
    index (254): it is left out of the viewer, its PNG map stays in the report."""
    from PIL import Image

    own, colormap = _own_classes(path)
    read = strided_read(path, MAX_SIDE)
    if read is None:  # a stack of bands is not a class map
        return None
    # class codes as read_raster(path, "categorical") gives them (nodata: CLASS_NODATA)
    data = class_codes(np.ma.filled(read[0].astype(np.float64), np.nan), path, ("y", "x"))
    step = read[1]
    scheme = scheme_legend(path, classes)
    if scheme is not None:
        legend = scheme
    elif own:
        legend = {
            c: (n, "#{:02x}{:02x}{:02x}".format(*colormap.get(c, (128,) * 3)[:3]))
            for c, n in own.items()
        }
    else:  # no scheme and no names in the file: "class N", as everywhere else
        legend = dict(generic_scheme(np.unique(data[data != CLASS_NODATA])).classes)
    if len(legend) >= NO_DATA_INDEX:
        warnings.warn(
            f"{path}: {len(legend)} classes are more than the report's map viewer shows "
            f"({NO_DATA_INDEX - 1}); the map is left out of the viewer (its figure is in the "
            f"report)",
            LandcarbonWarning,
            stacklevel=2,
        )
        return None
    codes = np.array(sorted(legend), dtype=np.int64)
    index = np.searchsorted(codes, data)
    known = (data != CLASS_NODATA) & np.isin(data, codes)
    pixels = np.where(known, index, NO_DATA_INDEX).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG", optimize=True)
    return {
        "title": title,
        "png": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(),
        "width": int(pixels.shape[1]),
        "height": int(pixels.shape[0]),
        "step": step,
        "codes": [int(c) for c in codes],
        "names": [legend[int(c)][0] for c in codes],
        "colours": [legend[int(c)][1] for c in codes],
    }


def value_map(path: Path, title: str, units: str) -> dict[str, Any] | None:
    """One map of values for the viewer: ``title``, ``units``, the PNG of its values
    quantised to 16 bits (red byte high, green byte low; :data:`NO_VALUE` no data) over
    ``[low, low + 65534 * scale]``, decimated to :data:`MAX_SIDE_VALUES` a side, and its
    colour ramp: :data:`DIVERGING` centred on 0 when the values have both signs (change
    and emission maps), else :data:`SEQUENTIAL`. A cell reads back as ``low + q * scale``,
    within ``scale / 2`` of the raster's value. None for a map without any value and for
    a stack of bands."""
    from PIL import Image

    read = strided_read(path, MAX_SIDE_VALUES)
    if read is None:  # a stack of bands (probabilities by class): its figure shows them
        return None
    data, step = np.ma.filled(read[0].astype(np.float64), np.nan), read[1]
    finite = np.isfinite(data)
    if not finite.any():
        return None
    low, high = float(data[finite].min()), float(data[finite].max())
    scale = (high - low) / (NO_VALUE - 1) if high > low else 1.0
    q = np.where(finite, np.rint((np.where(finite, data, low) - low) / scale), NO_VALUE)
    q = q.astype(np.uint16)
    rgb = np.stack([q >> 8, q & 255, np.zeros_like(q)], axis=-1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="PNG", optimize=True)
    both = low < 0 < high
    bound = max(abs(low), abs(high))
    return {
        "kind": "values",
        "title": title,
        "units": units,
        "png": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(),
        "width": int(q.shape[1]),
        "height": int(q.shape[0]),
        "step": step,
        "low": low,
        "scale": scale,
        "ramp": list(DIVERGING if both else SEQUENTIAL),
        "range": [-bound, bound] if both else [low, high],
    }


def within_budget(
    maps: list[dict[str, Any]], budget: int = MAX_VIEWER_BYTES
) -> list[dict[str, Any]]:
    """``maps`` in order while their embedded PNGs fit in ``budget`` bytes; the rest are
    left out of the viewer with a warning naming them (their figures stay in the report)."""
    kept, used = [], 0
    for shown in maps:
        used += len(shown["png"])
        if used <= budget:
            kept.append(shown)
    if len(kept) < len(maps):
        left = ", ".join(m["title"] for m in maps[len(kept) :])
        warnings.warn(
            f"the report's map viewer holds {budget / 1e6:g} MB of maps; left out of it: "
            f"{left} (their figures are in the report)",
            LandcarbonWarning,
            stacklevel=2,
        )
    return kept
