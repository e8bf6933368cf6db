"""Coerce any reasonable raster input into the canonical form a function needs.

landcarbon computes on two forms: categorical maps (land use, soil type) as int32 with
:data:`~landcarbon.backend.CLASS_NODATA` where there is no data, and continuous maps as
float64 with NaN there. :func:`landcarbon.raster.read_raster` returns these forms, but a
user's array may come from anywhere: a ``rioxarray.open_rasterio`` DataArray still has its
``band`` dimension, keeps its nodata value (``255``) in the cells with ``_FillValue`` /
``nodata`` in its attrs (or, opened with ``masked=True``, is float with NaN and the value
in its encoding), and may be any integer or integral-float dtype. Each public function
decides whether it wants classes or quantities and calls :func:`categorical` or
:func:`continuous` on its maps; a numpy array is georeferenced with a
:class:`~landcarbon.grid.Grid` first (:func:`landcarbon.raster.from_numpy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from landcarbon.backend import CLASS_NODATA, map_cells
from landcarbon.errors import ParameterError

if TYPE_CHECKING:
    import xarray as xr

INT32 = np.iinfo(np.int32)


def categorical(da: xr.DataArray | Any, what: str = "the map") -> xr.DataArray:
    """``da`` as a 2-D int32 class map with :data:`CLASS_NODATA` for nodata.

    Nodata cells are NaN or the array's nodata value (``_FillValue`` / ``nodata`` in attrs,
    or ``rio.nodata``). A single ``band`` dimension is dropped. Raises ParameterError for a
    bare numpy array, several bands, or non-integer class values. Lazy on dask input
    (the integer check then runs when the blocks are computed).
    """
    da = _two_d(da, what)
    nodata = declared_nodata(da)
    if da.dtype == np.int32 and nodata in (None, int(CLASS_NODATA)):
        return da
    label = _label(da, what)
    out = map_cells(_codes_block, da, dtype=np.int32, nodata=nodata, label=label)
    return _canonical(out, da, int(CLASS_NODATA))


def continuous(da: xr.DataArray | Any, what: str = "the map") -> xr.DataArray:
    """``da`` as a 2-D float64 map with NaN for nodata (see :func:`categorical`)."""
    da = _two_d(da, what)
    nodata = declared_nodata(da)
    if da.dtype == np.float64 and (nodata is None or np.isnan(nodata)):
        return da
    out = map_cells(_values_block, da, dtype=np.float64, nodata=nodata)
    return _canonical(out, da, np.nan)


def _two_d(da: xr.DataArray | Any, what: str) -> xr.DataArray:
    """``da`` with a single ``band`` (or other length-1) dimension dropped; 2-D or an error."""
    import xarray as xr

    if not isinstance(da, xr.DataArray):
        raise ParameterError(
            f"{what}: got a {type(da).__name__}, not an xarray.DataArray; georeference a "
            f"numpy array with landcarbon.raster.from_numpy(array, grid) (grid: a "
            f"landcarbon.grid.Grid) or read the file with landcarbon.raster.read_raster"
        )
    extra = [d for d in da.dims if d not in ("y", "x")]
    single = [d for d in extra if da.sizes[d] == 1]
    if single:
        da = da.squeeze(single, drop=True)
    if da.ndim != 2:
        raise ParameterError(
            f"{_label(da, what)}: has dims {dict(da.sizes)}, expected one band (y, x); "
            f"select the band, e.g. da.sel(band=1)"
        )
    return da


def declared_nodata(da: xr.DataArray) -> float | None:
    """The value that marks nodata in ``da``'s cells (not the encoded one of a masked read):
    ``_FillValue`` or ``nodata`` in its attrs, else ``rio.nodata``; None when it declares none."""
    value = da.attrs.get("_FillValue", da.attrs.get("nodata"))
    if value is None:
        import rioxarray  # noqa: F401  (registers .rio on the user's DataArrays)

        value = da.rio.nodata
    return None if value is None else float(value)


def _codes_block(block: np.ndarray, nodata: float | None, label: str) -> np.ndarray:
    values = np.asarray(block)
    missing = _missing(values, nodata)
    if np.issubdtype(values.dtype, np.floating):
        valid = values[~missing]
        bad = valid[(valid != np.round(valid)) | (valid < INT32.min + 1) | (valid > INT32.max)]
        if bad.size:
            raise ParameterError(
                f"{label}: {bad.size} cells are not integer class codes (e.g. {bad[0]!r}); "
                f"give a categorical map of integer codes, with its nodata value set"
            )
    return np.where(missing, CLASS_NODATA, values).astype(np.int32)


def _values_block(block: np.ndarray, nodata: float | None) -> np.ndarray:
    values = np.asarray(block, dtype=np.float64)
    return np.where(_missing(values, nodata), np.nan, values)


def _missing(values: np.ndarray, nodata: float | None) -> np.ndarray:
    missing = np.isnan(values) if np.issubdtype(values.dtype, np.floating) else None
    if missing is None:
        missing = np.zeros(values.shape, dtype=bool)
    if nodata is not None and not np.isnan(nodata):
        missing |= values == nodata
    return missing


def _canonical(out: xr.DataArray, source: xr.DataArray, nodata: float) -> xr.DataArray:
    """``out`` with ``source``'s name and the canonical nodata in attrs, encoding cleared."""
    out.attrs.pop("_FillValue", None)
    out.attrs.pop("nodata", None)
    out.encoding = {}
    import rioxarray  # noqa: F401  (registers .rio; loads dask, so only when used)

    out = out.rio.write_nodata(nodata, encoded=False)
    out.name = source.name
    return out


def _label(da: xr.DataArray, what: str) -> str:
    return str(da.attrs.get("source_path") or da.name or what)
