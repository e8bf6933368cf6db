"""Read and write GeoTIFFs as georeferenced ``xarray.DataArray`` objects.

Reads honour nodata and masks: continuous rasters come back as float64 with NaN
where there is no data; categorical rasters (land use, soil type) as int32 with
:data:`CLASS_NODATA` there. Writes are tiled, ZSTD-compressed and
COG-compatible, carry CRS, nodata and band descriptions, and, for categorical
maps, a colour table plus class names (in the GeoTIFF tags and a QGIS ``.qml``
style beside it). Every write goes to a temporary name (created with the process umask's
mode), is checked (GDAL only logs a failed write: every tile must lie in the file) and
is renamed into place, so an interrupted or refused write leaves the complete file or
none. Dask-backed arrays are never gathered whole: chunks whose borders lie on tile
borders are compressed into tiles where they are computed (the workers of a cluster) and
only the compressed bytes are appended to the file, which then has the same pixels,
profile and tags as the in-memory write; other chunkings are written in strips of one
tile row, top to bottom, and give the in-memory write's bytes.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import shutil
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import rasterio
from rasterio.enums import MaskFlags
from rasterio.errors import RasterioIOError
from rasterio.io import DatasetReader
from rasterio.windows import Window

from landcarbon.backend import (
    CLASS_NODATA,
    block_results,
    computed_blocks,
    computed_in_order,
    is_dask,
    like,
)
from landcarbon.errors import (
    ComputeError,
    InputFileError,
    OutputExistsError,
    ParameterError,
    RasterError,
)
from landcarbon.grid import Grid, check_aligned

if TYPE_CHECKING:  # xarray, rioxarray (and through them dask, pandas) load where used
    import xarray as xr

__all__ = [
    "CLASS_NODATA",
    "PerBlock",
    "atomic_path",
    "from_numpy",
    "like",
    "read_codes",
    "read_grid",
    "read_raster",
    "read_stack",
    "resample_to",
    "valid_mask",
    "write_array",
    "write_arrays",
    "write_raster",
]


Kind = Literal["continuous", "categorical"]

INT32_MAX = int(np.iinfo(np.int32).max)

GTIFF_CREATION = {"compress": "zstd", "zstd_level": 1, "num_threads": "ALL_CPUS"}
"""GeoTIFF compression: ZSTD level 1, no predictor, every core (GDAL's multithreaded
compression). On 4000 x 4000 float32 carbon maps it writes in 0.05-0.07 s (blocky
synthetic map) and 0.12-0.16 s (Willamette land cover tiled), against 0.13-0.24 s for
DEFLATE level 1 and 0.3-1.2 s for DEFLATE with the floating-point predictor, which
makes class-constant maps larger, not smaller; files are about DEFLATE level 1's size
or smaller. ZSTD is read by GDAL >= 2.3, hence QGIS, rasterio, R terra and GRASS; for a
reader without it (ArcMap, old GDAL) convert with
``gdal_translate -co COMPRESS=DEFLATE in.tif out.tif``."""

TILE = 256
"""Side (cells) of the square tiles of every GeoTIFF landcarbon writes."""

TILING = {"tiled": True, "blockxsize": TILE, "blockysize": TILE, **GTIFF_CREATION}
"""Tile layout and compression of every GeoTIFF written (the whole map's and the workers'
in-memory blocks' alike, so their tiles are the same bytes)."""

STRIP_ROWS = 2 * TILE
"""Rows :func:`read_bands` reads at a time (two rows of tiles)."""


@contextlib.contextmanager
def open_dataset(path: str | Path) -> Iterator[DatasetReader]:
    """Open a raster with rasterio, turning every failure into a clear InputFileError."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(
            f"{p}: file not found; check the path (relative paths are "
            f"resolved from the study file's folder)"
        )
    if p.is_file() and p.stat().st_size == 0:
        raise InputFileError(f"{p}: the file is empty (0 bytes); re-export the raster")
    try:
        with _gdal_warnings() as messages, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = rasterio.open(p)
    except RasterioIOError as exc:
        raise InputFileError(
            f"{p}: not a raster GDAL can read ({str(exc).splitlines()[0][:120]}); give a GeoTIFF"
        ) from exc
    damaged = _damaged_tags(messages)
    if damaged:  # GDAL only warns, and goes on with no CRS and 1-unit cells
        ds.close()
        raise InputFileError(
            f"{p}: GDAL could not read {len(damaged)} header tag(s) ({', '.join(damaged)}): "
            f"the file is truncated or damaged, so its georeferencing (CRS, cell size) is "
            f"lost; copy or export it again"
        )
    for w in caught:  # a sound file's warnings (e.g. not georeferenced) are passed on
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    try:
        with _pixel_errors(p):  # cheap: one block; a truncated file fails here, not in a step
            rows, cols = ds.block_shapes[0]
            row, col = (ds.height - 1) // rows * rows, (ds.width - 1) // cols * cols
            ds.read(window=Window(col, row, ds.width - col, ds.height - row))  # type: ignore[no-untyped-call]
        yield ds
    finally:
        ds.close()


_TAG_IO_ERROR = "IO error during reading of"
"""GDAL's words for a TIFF header tag it could not read (the file is cut short)."""


def _damaged_tags(messages: list[str]) -> list[str]:
    """The header tags GDAL's warnings say it could not read, each once."""
    tags: list[str] = []
    for message in messages:
        if _TAG_IO_ERROR in message:
            tag = message.split(_TAG_IO_ERROR, 1)[1].split(";")[0].strip()
            tags += [] if tag in tags else [tag]
    return tags


@contextlib.contextmanager
def _gdal_warnings() -> Iterator[list[str]]:
    """Collect the GDAL warnings rasterio logs while opening a file, instead of letting
    them reach stderr as extra lines beside our one-line error."""
    import logging

    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("rasterio._env")
    handler, propagate, level = Keep(logging.WARNING), logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        logger.setLevel(level)


@contextlib.contextmanager
def _pixel_errors(path: Path) -> Iterator[None]:
    """Turn a failed read of ``path``'s pixel data (a file cut short by an interrupted copy
    or download, whose header still reads) into an InputFileError naming the file."""
    try:
        yield
    except RasterioIOError as exc:
        cause = str(exc.__cause__ or exc).splitlines()[0][:160]
        raise InputFileError(
            f"{path}: its pixel data cannot be read ({cause}): the file is truncated or "
            f"damaged; copy or export it again"
        ) from exc


def read_grid(path: str | Path) -> Grid:
    """The grid (shape, transform, CRS, nodata) of the first band of a GeoTIFF (or any GDAL
    raster); the failures of :func:`open_dataset` as InputFileError."""
    with open_dataset(path) as ds:
        return Grid((ds.height, ds.width), ds.transform, ds.crs, ds.nodata)


def read_raster(
    path: str | Path,
    kind: Kind = "continuous",
    *,
    band: int = 1,
    chunks: int | None = None,
    name: str | None = None,
) -> xr.DataArray:
    """Read one band as a 2-D DataArray (``y``, ``x``) with its CRS and transform.

    ``band=0`` reads every band as a 3-D DataArray (``band``, ``y``, ``x``), e.g. the 12
    months of a monthly climate raster.

    ``kind="continuous"`` gives float64 with NaN for nodata/masked cells;
    ``kind="categorical"`` gives int32 with :data:`CLASS_NODATA` there. An integer file
    whose mask is its nodata value (or that has none) is read in its own dtype and its
    nodata cells found by comparison, with no float copy; other masks (alpha band,
    per-dataset mask) and float files go through a masked float read.
    With ``chunks`` the result is dask-backed and nothing is read yet.
    Raises InputFileError (missing, empty, not a raster) or RasterError (all nodata).
    """
    import rioxarray
    import xarray as xr

    p = Path(path)
    with open_dataset(p) as ds:
        nodata, direct = ds.nodata, _direct_read(ds, p, kind, band)
    da = rioxarray.open_rasterio(
        p, masked=not direct, chunks={"y": chunks, "x": chunks, "band": 1} if chunks else None
    )
    assert isinstance(da, xr.DataArray)
    da = da.sel(band=band, drop=True) if band else da
    if chunks is None:
        with _pixel_errors(p):
            da = da.load()
    if kind == "categorical":
        data = da.data
        dims = tuple(str(d) for d in da.dims)
        mask_value = nodata if direct else None  # else the masked read gave NaN there
        if is_dask(data):
            values = data.map_blocks(
                class_codes, dtype=np.int32, path=p, dims=dims, nodata=mask_value
            )
        else:
            values = class_codes(np.asarray(data), p, dims, mask_value)
        da = da.copy(deep=False, data=values)  # deep would copy the codes once more
        da.rio.write_nodata(int(CLASS_NODATA), encoded=False, inplace=True)  # no deep copy
    else:
        da = da.astype(np.float64)
        da.rio.write_nodata(np.nan, encoded=False, inplace=True)
    da.attrs.pop("_FillValue", None)
    da.encoding = {}  # values are decoded: nodata is NaN or CLASS_NODATA, never the file's
    da.attrs["source_path"] = str(p)
    da.attrs["source_nodata"] = "none" if nodata is None else repr(nodata)
    da.name = name or p.stem
    if chunks is None:
        _require_some_data(np.asarray(da.data), p, kind, da.attrs["source_nodata"])
    return da


def read_bands(path: str | Path, nodata: float = np.nan) -> xr.DataArray:
    """Read every band of a continuous raster into one array (``band``, ``y``, ``x``),
    ``nodata`` (NaN, or 0.0 where the caller counts nodata as 0) for the nodata cells, with
    its CRS and transform: float32 when every band is float32 (4 bytes per cell and band,
    the file's values exactly), float64 otherwise.

    The bands are read in strips of :data:`STRIP_ROWS` rows into a stack that starts as
    zeros, and only the rows holding a value other than 0 are written: memory the system
    hands out zeroed is never touched where a band is 0, so a band of zeros takes no RAM (a
    PLUS suitability stack has one for every class that did not grow). No per-band
    temporary and no concatenation copy (:func:`read_raster` with ``band=0`` holds the
    file's dtype and a float64 copy). The checks of :func:`read_raster` apply to every band.
    """
    import rioxarray
    import xarray as xr

    p = Path(path)
    # georeferencing only (lazy): the values are read below
    template = rioxarray.open_rasterio(p)
    assert isinstance(template, xr.DataArray)
    with open_dataset(p) as ds, _pixel_errors(p):
        single = all(np.dtype(t) == np.float32 for t in ds.dtypes)
        stack = np.zeros(template.shape, dtype=np.float32 if single else np.float64)
        if stack.size == 0:
            raise RasterError(f"{p}: the raster has no cells")
        rows, cols = stack.shape[1:]
        strip = np.empty((min(STRIP_ROWS, rows), cols), dtype=stack.dtype)
        quoted = "none" if ds.nodata is None else repr(ds.nodata)
        for i, band in enumerate(stack):
            valid = False
            for r0 in range(0, rows, STRIP_ROWS):
                part = strip[: min(STRIP_ROWS, rows - r0)]
                ds.read(i + 1, window=Window(0, r0, cols, part.shape[0]), out=part)
                if ds.nodata is not None and not np.isnan(ds.nodata):  # as the file stores it
                    part[part == np.asarray(ds.nodata, dtype=ds.dtypes[i])] = np.nan
                _refuse_infinite(part, p)
                missing = np.isnan(part)
                valid = valid or not missing.all()
                np.copyto(part, nodata, where=missing)
                written = (part != 0).any(axis=1)  # NaN != 0: rows of nodata are written
                band[r0 : r0 + part.shape[0]][written] = part[written]
            if not valid:
                _refuse_all_nodata(p, quoted)
    out = xr.DataArray(
        stack,
        dims=("band", "y", "x"),
        coords={"band": template["band"], "y": template["y"], "x": template["x"]},
        name=p.stem,
        attrs={"source_path": str(p), "source_nodata": quoted},
    )
    if template.rio.crs is not None:  # in place: rioxarray's copy would be a deep one
        out.rio.write_crs(template.rio.crs, inplace=True)
    return out.rio.write_nodata(np.nan, encoded=False, inplace=True) if np.isnan(nodata) else out


def codes_in_own_dtype(ds: DatasetReader, band: int = 1) -> bool:
    """Whether band ``band`` (0: every band) of an open raster reads as class codes in the
    file's own integer dtype: an integer file whose only mask is its nodata value (or that
    has none), so :func:`class_codes` finds nodata by comparison, with no float copy."""
    flags = {
        f for i in ([band] if band else range(1, ds.count + 1)) for f in ds.mask_flag_enums[i - 1]
    }
    return np.issubdtype(np.dtype(ds.dtypes[0]), np.integer) and flags <= {
        MaskFlags.nodata,
        MaskFlags.all_valid,
    }


def _direct_read(ds: DatasetReader, path: Path, kind: Kind, band: int) -> bool:
    """Check ``band`` (0: every band) of ``ds`` can be read as ``kind``, and say whether it
    is read in the file's own integer dtype, its nodata cells found by comparison (a
    categorical integer band whose mask is its nodata value, or that has none), rather
    than through a masked float read."""
    if band > ds.count:
        raise RasterError(f"{path}: has {ds.count} band(s), band {band} was asked for")
    if kind == "categorical" and np.issubdtype(np.dtype(ds.dtypes[0]), np.complexfloating):
        raise RasterError(
            f"{path}: a {ds.dtypes[0]} (complex) raster cannot hold class codes; give a "
            f"categorical raster of integer codes"
        )
    return kind == "categorical" and codes_in_own_dtype(ds, band)


def read_codes(path: str | Path, *, band: int = 1) -> tuple[np.ndarray, Grid]:
    """One band of a categorical raster read whole as int32 class codes
    (:data:`CLASS_NODATA` on nodata) and its grid: :func:`read_raster`'s
    ``kind="categorical"`` values and checks, as a plain numpy array.

    An integer file masked by its nodata value (or not at all) is read with rasterio
    alone: no xarray, whose first DataArray imports dask (~0.6 s of a process). Other
    masks (alpha band, per-dataset mask) and float files go through :func:`read_raster`.
    """
    p = Path(path)
    with open_dataset(p) as ds:
        nodata, direct = ds.nodata, _direct_read(ds, p, "categorical", band)
        grid = Grid((ds.height, ds.width), ds.transform, ds.crs, int(CLASS_NODATA))
        if direct:
            with _pixel_errors(p):
                block = ds.read(band)
    if not direct:
        return np.asarray(read_raster(p, "categorical", band=band).data), grid
    codes = class_codes(block, p, ("y", "x"), nodata)
    _require_some_data(codes, p, "categorical", "none" if nodata is None else repr(nodata))
    return codes, grid


def class_codes(
    block: np.ndarray,
    path: Path,
    dims: tuple[str, ...],
    nodata: float | None = None,
    block_info: dict[Any, Any] | None = None,
) -> np.ndarray:
    """The int32 class codes of a block of a categorical raster, :data:`CLASS_NODATA` on nodata.

    A float block comes masked (NaN = nodata); an integer block in the file's dtype, with
    ``nodata`` the file's nodata value (None: every cell holds data). Every valid value
    must be an integer code above :data:`CLASS_NODATA` (int32's minimum, landcarbon's
    nodata) and within int32: a fractional code (3.5) or one beyond int32 is a RasterError
    giving their count and the first cell, never truncated or made nodata. On a dask
    array of several chunks the count is the chunk's.
    """
    if block.dtype.kind == "f":
        valid = ~np.isnan(block)
        codes = np.where(valid, block, 0)
        bad = valid & ((codes != np.trunc(codes)) | (codes <= CLASS_NODATA) | (codes > INT32_MAX))
        _refuse_codes(bad, block, path, dims, block_info)
        return np.where(valid, codes, CLASS_NODATA).astype(np.int32)
    info = np.iinfo(block.dtype)
    held = nodata is not None and float(nodata).is_integer() and info.min <= nodata <= info.max
    invalid = block == block.dtype.type(nodata) if held else None  # GDAL's nodata mask
    if info.min <= CLASS_NODATA or info.max > INT32_MAX:  # int32 and wider: check the range
        bad = (block <= int(CLASS_NODATA)) | (block > INT32_MAX)
        _refuse_codes(bad if invalid is None else bad & ~invalid, block, path, dims, block_info)
    codes = block.astype(np.int32)
    if invalid is not None:
        codes[invalid] = CLASS_NODATA
    return codes


def _refuse_codes(
    bad: np.ndarray,
    block: np.ndarray,
    path: Path,
    dims: tuple[str, ...],
    block_info: dict[Any, Any] | None,
) -> None:
    """Raise RasterError naming the count and the first of the ``bad`` cells, if any."""
    if not bad.any():
        return
    first = np.unravel_index(np.argmax(bad), bad.shape)
    start = [lo for lo, _ in block_info[0]["array-location"]] if block_info else [0] * len(first)
    names = {"band": "band index", "y": "row", "x": "col"}
    where = ", ".join(
        f"{names.get(d, d)} {int(i) + lo}" for d, i, lo in zip(dims, first, start, strict=True)
    )
    chunked = block_info and max(block_info[0]["num-chunks"]) > 1
    scope = " in the chunk" if chunked else ""
    raise RasterError(
        f"{path}: {int(bad.sum())} cell(s){scope} hold values that are not integer class "
        f"codes (first: {float(block[first]):.15g} at {where}, counted from 0); a "
        f"categorical raster must hold integers from {int(CLASS_NODATA) + 1} to "
        f"{INT32_MAX} (float rasters with integral values are fine; {int(CLASS_NODATA)} "
        f"is landcarbon's nodata); "
        f"reclassify the raster to integer codes or set its nodata value"
    )


def _require_some_data(values: np.ndarray, path: Path, kind: Kind, nodata: str) -> None:
    """Refuse a raster with no cell, an infinite value, or nothing but nodata (``nodata``:
    the file's nodata value as the message quotes it)."""
    if values.size == 0:
        raise RasterError(f"{path}: the raster has no cells")
    if kind == "continuous":
        _refuse_infinite(values, path)
    empty = np.all(values == CLASS_NODATA) if kind == "categorical" else np.all(np.isnan(values))
    if empty:
        _refuse_all_nodata(path, nodata)


def _refuse_infinite(values: np.ndarray, path: Path) -> None:
    if np.isinf(values).any():
        raise RasterError(
            f"{path}: {int(np.isinf(values).sum())} cell(s) hold an infinite value; mark "
            f"them as nodata (e.g. gdal_calc.py or the nodata value of the export)"
        )


def _refuse_all_nodata(path: Path, nodata: str) -> None:
    raise RasterError(
        f"{path}: every cell is nodata; check the nodata value ({nodata}) or the file's extent"
    )


def valid_mask(da: xr.DataArray | np.ndarray) -> np.ndarray:
    """Boolean mask of cells that hold data (not NaN, not :data:`CLASS_NODATA`)."""
    import xarray as xr

    data = da.data if isinstance(da, xr.DataArray) else da
    if np.issubdtype(data.dtype, np.floating):
        return ~np.isnan(data)  # type: ignore[no-any-return]
    return data != CLASS_NODATA  # type: ignore[no-any-return]


def require_data(da: xr.DataArray, what: str, fix: str) -> None:
    """Raise RasterError when a computed map has no valid cell, so that no total or mean
    over it is reported as 0 (or NaN); ``what`` names the map, ``fix`` says what to check."""
    if not bool(np.any(valid_mask(da))):
        raise RasterError(f"{what} is nodata in every cell; {fix}")


def read_stack(
    paths: Mapping[str, str | Path],
    kinds: Mapping[str, Kind] | None = None,
    *,
    reference: str | None = None,
    align: Literal["check", "resample"] = "check",
    chunks: int | None = None,
) -> dict[str, xr.DataArray]:
    """Read several rasters that must share one grid.

    ``align="check"`` raises AlignmentError naming each misaligned file and the
    difference; ``align="resample"`` warps misaligned inputs onto the reference grid
    (nearest for categorical, bilinear for continuous).
    """
    kinds = kinds or {}
    grids = {name: read_grid(p) for name, p in paths.items()}
    labelled = {f"{name} ({paths[name]})": g for name, g in grids.items()}
    ref_name = reference if reference is not None else next(iter(paths))
    ref_label = f"{ref_name} ({paths[ref_name]})"
    out = {}
    if align == "check":  # no reference given: blame the files that differ from the most
        check_aligned(labelled, ref_label if reference is not None else None)
    for name, p in paths.items():
        kind = kinds.get(name, "continuous")
        da = read_raster(p, kind, chunks=chunks, name=name)
        if align == "resample" and grids[ref_name].difference(grids[name]):
            da = resample_to(da, grids[ref_name], kind)
        out[name] = da
    return out


def resample_to(da: xr.DataArray, grid: Grid, kind: Kind) -> xr.DataArray:
    """Warp ``da`` onto ``grid``: nearest for categorical, bilinear for continuous."""
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    from rasterio.enums import Resampling

    method = Resampling.nearest if kind == "categorical" else Resampling.bilinear
    nodata = int(CLASS_NODATA) if kind == "categorical" else np.nan
    src = da.rio.write_nodata(nodata, encoded=False)
    out = src.rio.reproject(
        grid.crs, shape=grid.shape, transform=grid.transform, resampling=method, nodata=nodata
    )
    out.attrs.update({k: v for k, v in da.attrs.items() if k not in out.attrs})
    return out


# ---------------------------------------------------------------------------- writing
PARTIAL = ".partial"
"""Marker in the name of a file being written: ``.NAME.RANDOM.partial.EXT`` beside ``NAME.EXT``."""

_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
"""OS errors of a write that the user fixes outside landcarbon (space, quota, size limit, disk)."""


def _atomic_target(path: Path, overwrite: bool) -> Path:
    """Create an empty temporary file beside ``path`` with the mode a plain ``open`` gives
    (0666 less the process umask), so the renamed output is as readable as any GIS tool's."""
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: exists; pass --overwrite to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    import secrets

    while True:
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}{PARTIAL}{path.suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


def remove_partials(folder: str | Path) -> list[Path]:
    """Remove the temporary files that killed writes left anywhere under ``folder``
    (``.NAME.XXXXXXXX.partial.EXT``, as :func:`atomic_path` names them) and return them.

    Call it only while no other process writes there (a study run holds its output lock).
    """
    import re

    ours = re.compile(rf"\..+\.[0-9a-z_]{{8}}{re.escape(PARTIAL)}(\.[^.]*)?")
    stale = sorted(p for p in Path(folder).rglob(f".*{PARTIAL}*") if ours.fullmatch(p.name))
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


@contextlib.contextmanager
def atomic_path(
    path: str | Path, overwrite: bool = True, *, needed_bytes: int | None = None
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only on success.

    A GeoTIFF (``.tif``) is checked before the rename: every tile must lie in the file.
    On any failure the temporary file is removed; a write the machine refused (disk full,
    quota, file-size limit, I/O error) becomes a ComputeError that says what to free or
    raise (``needed_bytes``: the uncompressed size, for the disk-full message).
    """
    target = Path(path)
    tmp = _atomic_target(target, overwrite)
    try:
        yield tmp
        if target.suffix.lower() in (".tif", ".tiff"):
            _check_complete(tmp)  # whoever wrote it through GDAL: it only logged failures
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno not in _WRITE_ERRORS:
            raise
        raise ComputeError(_write_error_message(target, exc, needed_bytes)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_error_message(target: Path, exc: OSError, needed_bytes: int | None) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        needs = ""
        if needed_bytes:
            needs = f"the raster needs up to {_size(needed_bytes)} (uncompressed), "
        free = shutil.disk_usage(target.parent).free
        what = "no space left on the device" if exc.errno == errno.ENOSPC else "disk quota exceeded"
        return (
            f"{target}: {what}; {needs}{_size(free)} free in {target.parent}; free some space "
            f"or write elsewhere"
        )
    if exc.errno == errno.EFBIG:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        return (
            f"{target}: file too large for this process's file-size limit "
            f"({_size(limit)}, see `ulimit -f`); raise the limit (`ulimit -f unlimited`) and rerun"
        )
    return f"{target}: write failed ({exc.strerror or exc}); check the disk and rerun"


def _check_complete(tmp: Path) -> None:
    """Raise OSError unless the GeoTIFF just written at ``tmp`` opens and every tile of
    every band lies inside the file.

    GDAL only logs the errors of a failed write (``_tiffWriteProc: File too large``) and
    closes a truncated file without raising; this catches that before the rename.
    """
    size = tmp.stat().st_size
    try:
        with rasterio.open(tmp) as ds:
            rows, cols = ds.block_shapes[0]
            tiles = [
                (band, i, j)
                for band in range(1, ds.count + 1)
                for i in range(-(-ds.height // rows))
                for j in range(-(-ds.width // cols))
            ]
            ends = [_tile_end(ds, *tile) for tile in tiles]
    except RasterioIOError as exc:
        raise OSError(_write_errno(tmp), f"GDAL wrote an unreadable file ({exc})") from exc
    if not all(0 < end <= size for end in ends):
        raise OSError(_write_errno(tmp), "GDAL left tiles unwritten")


def _tile_end(ds: DatasetReader, band: int, row: int, col: int) -> int:
    """Where tile (``row``, ``col``) of ``band`` ends in the file; 0 if it was never written."""
    offset = ds.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=band)
    count = ds.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=band)
    return int(offset) + int(count) if offset and count and int(offset) else 0


def _write_errno(path: Path) -> int:
    """The likely cause of a write GDAL failed silently: file-size limit, disk full, else I/O."""
    import resource

    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and path.stat().st_size >= limit:
        return errno.EFBIG
    if shutil.disk_usage(path.parent).free < 1 << 20:
        return errno.ENOSPC
    return errno.EIO


def _with_our_nodata(da: xr.DataArray) -> xr.DataArray:
    """``da`` with the nodata it declares (:func:`~landcarbon.arrays.declared_nodata`, e.g.
    -9999 of a map another tool made) as landcarbon's own, ``CLASS_NODATA`` in an integer
    map and NaN in a float one, so that :func:`write_raster` writes those cells as nodata,
    not as a class or a value. Lazy on dask; ``da`` itself when it declares none or ours."""
    from landcarbon.arrays import declared_nodata

    declared = declared_nodata(da)
    ours = CLASS_NODATA if np.issubdtype(da.dtype, np.integer) else np.nan
    if declared is None or np.isnan(declared) or declared == ours:
        return da
    return da.where(da != declared, ours).astype(da.dtype).rio.write_nodata(ours)


def _storage_dtype(da: xr.DataArray, categorical: bool) -> tuple[np.dtype[Any], float | int]:
    if not categorical:
        dtype = np.dtype(np.float32) if da.dtype == np.float32 else np.dtype(np.float64)
        return dtype, np.nan
    data = da.data
    valid = data[data != CLASS_NODATA]
    lo, hi = (int(valid.min()), int(valid.max())) if valid.size else (0, 0)
    if is_dask(data):
        import dask

        lo, hi = dask.compute(valid.min(), valid.max())
        lo, hi = int(lo), int(hi)
    if lo >= 0 and hi < 255:
        return np.dtype(np.uint8), 255
    if lo >= 0 and hi < 65535:
        return np.dtype(np.uint16), 65535
    return np.dtype(np.int32), int(CLASS_NODATA)


@dataclass(frozen=True)
class PerBlock:
    """Work a chunked :func:`write_raster` also does with each block it encodes.

    ``func(*blocks)`` runs on the blocks of ``arrays`` (dask arrays chunked as the written
    map's rows and columns, or of one chunk along an axis to broadcast along it, as in
    :func:`~landcarbon.backend.block_results`) in the task that computes and encodes the
    map's block, so inputs the map is made from (e.g. the land-use map a carbon map is
    looked up from) are read once for both; its result (small: counts, sums) travels with
    the tiles. ``done(results)`` gets the results in C order of the blocks before the file
    is put in place: an exception there leaves no file. Maps whose chunks are not on tile
    edges are written from raw blocks, so there the results come from a pass of their own
    (:meth:`computed`), before the write.
    """

    func: Callable[..., Any]
    arrays: tuple[Any, ...]
    done: Callable[[list[Any]], None]

    def computed(self) -> list[Any]:
        """``func`` of every block of ``arrays`` in C order, in a pass of its own."""
        import dask

        return list(dask.compute(*block_results(self.func, *self.arrays)))


def write_raster(
    da: xr.DataArray,
    path: str | Path,
    *,
    overwrite: bool = False,
    description: str | list[str] | None = None,
    units: str | None = None,
    classes: Mapping[int, tuple[str, str]] | None = None,
    tags: Mapping[str, str] | None = None,
    per_block: PerBlock | None = None,
) -> Path:
    """Write a DataArray as a tiled, compressed GeoTIFF, atomically.

    2-D arrays (``y, x``) give one band; 3-D arrays (``band|month|class, y, x``) give one
    band per leading index, with ``description`` a list of band names. ``classes`` maps
    code → (name, ``#rrggbb``) for categorical maps: the file gets a colour table (for
    codes 0..254 or 0..65534), class names in its tags and a QGIS ``.qml`` style beside
    it. Float data keep NaN as nodata. Bands are written strip by strip, every band of a
    strip in turn, so a dask block is computed once for all its bands (a stack of layers
    predicted together is predicted once). Dask-backed data are written block by block: with
    chunks on tile edges (multiples of :data:`TILE` cells but the last) the blocks'
    tiles are compressed where they are computed and the file gets their bytes (the same
    tiles, pixels, profile and tags as in memory, not the same file bytes: GDAL's own
    write ends with its directory, this one starts with it); other chunks go through
    row-of-tiles strips (the in-memory write's bytes). ``per_block`` (dask data only) also
    computes a result from each block of other arrays in the task that encodes the block,
    so a pass over the same blocks reads them once (:class:`PerBlock`).
    """
    target = Path(path)
    if da.ndim not in (2, 3):
        raise RasterError(f"{target}: only 2-D or 3-D arrays can be written, got dims {da.dims}")
    if per_block is not None and not is_dask(da.data):
        raise ParameterError(f"{target}: per-block results need a chunked (dask) map")
    da = _with_our_nodata(da)
    bands = [da] if da.ndim == 2 else [da[i] for i in range(da.shape[0])]
    categorical = classes is not None or np.issubdtype(da.dtype, np.integer)
    dtype, nodata = _storage_dtype(da, categorical)
    grid = Grid.from_dataarray(bands[0])
    profile = _profile(grid, len(bands), dtype, nodata)
    names = [description] if isinstance(description, str) else list(description or [])
    needed = grid.rows * grid.cols * len(bands) * dtype.itemsize
    data = _banded(da)
    # chunks on tile edges: the workers encode the tiles, this process only copies bytes
    encoded = is_dask(data) and _on_tile_edges(data.chunks[1:])
    with atomic_path(target, overwrite, needed_bytes=needed) as tmp:
        if per_block is not None and not encoded:  # strips take raw blocks: a pass of its own
            per_block.done(per_block.computed())
        # sparse: GDAL writes the header and the tags, no tile (encoded ones come after)
        with rasterio.open(tmp, "w", **profile, **({"sparse_ok": True} if encoded else {})) as dst:
            if classes and dtype.kind == "u":  # GDAL needs the colour table before any data
                dst.write_colormap(1, {int(k): hex_to_rgba(v[1]) for k, v in classes.items()})
            for window, strip in [] if encoded else _strips(data, TILE):
                for index, block in enumerate(strip, start=1):
                    # a 3-D view: rasterio copies a 2-D array (np.stack) before writing
                    dst.write(
                        _stored(block, categorical, dtype, nodata)[None], [index], window=window
                    )
            for index, name in enumerate(names[: len(bands)], start=1):
                dst.set_band_description(index, name)
            band_tags = dict(tags or {})
            if units:
                band_tags["units"] = units
            if classes:
                band_tags["class_names"] = class_names_tag(classes)
            if band_tags:
                dst.update_tags(1, **band_tags)
        if encoded:
            _append_tiles(tmp, data, categorical, dtype, nodata, per_block)
    if classes:
        _write_qml(target.with_suffix(".qml"), classes)
        _write_categories(target.with_name(target.name + ".aux.xml"), classes)
    return target


def write_array(
    data: np.ndarray,
    grid: Grid,
    path: str | Path,
    *,
    overwrite: bool = False,
    description: str,
    units: str,
) -> Path:
    """Write a 2-D float32 numpy map on ``grid`` as :func:`write_raster` writes it as a
    DataArray (the same file, byte for byte: profile, tiles in strips of one tile row, band
    description, ``units`` tag, atomic), without xarray. NaN is nodata."""
    if data.dtype != np.float32 or data.shape != grid.shape:
        raise ValueError(f"{path}: a float32 map of shape {grid.shape} is written here")
    return write_arrays(
        {Path(path): (description, units)},
        grid,
        lambda top, bottom: data[None, top:bottom],
        overwrite=overwrite,
    )[0]


def write_arrays(
    files: Mapping[Path, tuple[str, str]],
    grid: Grid,
    strip: Callable[[int, int], np.ndarray],
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``K`` float32 maps on ``grid`` made strip by strip, as :func:`write_array`
    writes each (the same files, byte for byte): ``files`` maps each path to its band
    description and units; ``strip(top, bottom)`` gives rows ``top:bottom`` of all of
    them (``K x rows x cols`` float32), one row of tiles at a time, so no map is held
    whole. Each file is written atomically: complete under its name, or absent."""
    profile = _profile(grid, 1, np.dtype(np.float32), np.nan)
    needed = grid.rows * grid.cols * 4
    with contextlib.ExitStack() as stack:
        datasets = []
        for path in files:  # each dataset closes before its file is checked and renamed
            tmp = stack.enter_context(atomic_path(path, overwrite, needed_bytes=needed))
            datasets.append(stack.enter_context(rasterio.open(tmp, "w", **profile)))
        for top in range(0, grid.rows, TILE):
            block = strip(top, min(top + TILE, grid.rows))
            window = Window(0, top, grid.cols, block.shape[1])
            for k, dst in enumerate(datasets):
                dst.write(block[k : k + 1], [1], window=window)  # 3-D: no copy by rasterio
        for dst, (description, units) in zip(datasets, files.values(), strict=True):
            dst.set_band_description(1, description)
            dst.update_tags(1, units=units)
    return list(files)


def _profile(grid: Grid, count: int, dtype: np.dtype[Any], nodata: float | int) -> dict[str, Any]:
    """The rasterio profile of every GeoTIFF written: ``grid``, :data:`TILING`, band
    interleaved, BigTIFF when needed."""
    return {
        "driver": "GTiff",
        "height": grid.rows,
        "width": grid.cols,
        "count": count,
        "dtype": dtype.name,
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": nodata,
        **TILING,
        "BIGTIFF": "IF_SAFER",
        "interleave": "band",
    }


def _size(n_bytes: float) -> str:
    """Human-readable size: bytes, KiB, MiB, GiB, TiB."""
    if n_bytes < 1024:
        return f"{n_bytes:.0f} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        n_bytes /= 1024
        if n_bytes < 1024:
            return f"{n_bytes:.1f} {unit}"
    return f"{n_bytes / 1024:.1f} TiB"


def _stored(
    block: np.ndarray, categorical: bool, dtype: np.dtype[Any], nodata: float | int
) -> np.ndarray:
    """A block as it is stored: in the file's ``dtype``; a categorical block's
    :data:`CLASS_NODATA` as the file's ``nodata``."""
    if categorical:
        block = np.where(block == CLASS_NODATA, nodata, block)
    return block.astype(dtype, copy=False)


def _banded(da: xr.DataArray) -> Any:
    """The data of a 2-D or 3-D DataArray as (bands, rows, cols); dask data with every band
    of a block in one chunk, so that a block is computed once for all its bands. A 2-D
    dask map gets its band axis block by block (a blockwise layer, which dask fuses into
    the task that encodes the block even when that task takes other arrays' blocks too:
    :class:`PerBlock`)."""
    if not is_dask(da.data):
        return np.asarray(da.data if da.ndim == 3 else da.data[None])
    if da.ndim == 3:
        return da.data.rechunk({0: -1})
    return da.data.map_blocks(np.expand_dims, axis=0, new_axis=0, dtype=da.dtype)


def _on_tile_edges(chunks: tuple[tuple[int, ...], ...]) -> bool:
    """True when every chunk border (the map's end aside) lies on a tile border: each chunk
    then covers whole tiles (and the map's partial edge tiles), which it can encode alone."""
    return all(size % TILE == 0 for sizes in chunks for size in sizes[:-1])


def _encode_block(
    block: np.ndarray,
    *others: np.ndarray,
    side: Callable[..., Any] | None,
    **encoding: Any,
) -> tuple[list[bytes], Any]:
    """The task of a block of an encoded write: its tiles (:func:`_encode_tiles`) and
    ``side(*others)`` (None without): :attr:`PerBlock.func` of the blocks of its arrays."""
    return _encode_tiles(block, **encoding), None if side is None else side(*others)


def _encode_tiles(
    block: np.ndarray, *, categorical: bool, stored_dtype: str, nodata: float | int
) -> list[bytes]:
    """The compressed tiles of one tile-aligned (bands, rows, cols) block, band by band and
    row by row, as GDAL writes them in
    the whole map's file: the block is written as a GeoTIFF in memory with the same
    :data:`TILING` and its tiles cut out. Runs where the block was computed (a worker), so
    the compression runs in parallel and a few MB, not the block, travel to the writing
    process."""
    from affine import Affine
    from rasterio.io import MemoryFile

    stored = _stored(block, categorical, np.dtype(stored_dtype), nodata)
    bands, rows, cols = stored.shape
    # any non-identity transform: tiles need no georeference, GDAL none to stay quiet
    profile = {"height": rows, "width": cols, "count": bands, "transform": Affine.scale(2)}
    profile["interleave"] = "band"  # as the whole file: each tile one band's
    one_thread = {**TILING, "num_threads": 1}  # workers run in parallel, not GDAL threads
    with MemoryFile() as mem:
        with mem.open(
            driver="GTiff", **profile, dtype=stored_dtype, nodata=nodata, **one_thread
        ) as ds:
            ds.write(stored)
        with mem.open() as ds:
            spans = [
                (
                    int(ds.get_tag_item(f"BLOCK_OFFSET_{j}_{i}", "TIFF", bidx=b)),
                    int(ds.get_tag_item(f"BLOCK_SIZE_{j}_{i}", "TIFF", bidx=b)),
                )
                for b in range(1, bands + 1)
                for i in range(-(-rows // TILE))
                for j in range(-(-cols // TILE))
            ]
        mem.seek(0)
        raw = mem.read()
    return [raw[start : start + size] for start, size in spans]


def _tile_rows(
    data: Any,
    categorical: bool,
    dtype: np.dtype[Any],
    nodata: float | int,
    per_block: PerBlock | None,
) -> Iterator[tuple[int, list[bytes]]]:
    """The compressed tiles of a tile-aligned (bands, rows, cols) dask array with one chunk
    of bands: per row of tiles, each band's tiles left to right (band index, tiles). Each
    block is encoded in the task that computes it (:func:`_encode_block` through
    :func:`~landcarbon.backend.block_results`: one task per block, which also runs
    ``per_block``'s work on its blocks), the blocks taken in order from
    :func:`~landcarbon.backend.computed_in_order` (the next ones encoding meanwhile). Only
    one row of chunks' compressed tiles is held here; after the last row, ``per_block``
    gets every block's result."""
    others = () if per_block is None else per_block.arrays
    tasks = block_results(
        _encode_block,
        data,
        *others,
        side=None if per_block is None else per_block.func,
        categorical=categorical,
        stored_dtype=dtype.name,
        nodata=nodata,
    )
    across = [-(-cols // TILE) for cols in data.chunks[2]]
    sides: list[Any] = []
    with contextlib.closing(computed_in_order(tasks)) as encoded:  # cancelled if a write fails
        for rows in data.chunks[1]:
            row = []
            for _ in across:
                tiles, side = next(encoded)
                row.append(tiles)
                sides.append(side)
            down = -(-rows // TILE)
            for r in range(down):
                for band in range(data.shape[0]):
                    cut = zip(row, across, strict=True)
                    yield (
                        band,
                        [
                            tile
                            for block, n in cut
                            for tile in block[(band * down + r) * n : (band * down + r + 1) * n]
                        ],
                    )
    if per_block is not None:
        per_block.done(sides)


def _append_tiles(
    path: Path,
    data: Any,
    categorical: bool,
    dtype: np.dtype[Any],
    nodata: float | int,
    per_block: PerBlock | None,
) -> None:
    """Append the encoded tiles of the (bands, rows, cols) dask array ``data`` to the sparse
    GeoTIFF at ``path`` (written by GDAL with its tags but no tile) as they come, row of
    tiles by row (:func:`_tile_rows`, which hands ``per_block`` its results), and point its
    ``TileOffsets`` and ``TileByteCounts`` (GDAL's order: band by band, row by row) at
    them."""
    bands, rows, cols = data.shape
    per_band = -(-rows // TILE) * -(-cols // TILE)
    offsets = [0] * (bands * per_band)
    counts = [0] * (bands * per_band)
    placed = [band * per_band for band in range(bands)]  # each band's next tile index
    with open(path, "r+b") as fh:
        end = fh.seek(0, os.SEEK_END)
        for band, row in _tile_rows(data, categorical, dtype, nodata, per_block):
            for tile in row:
                offsets[placed[band]] = end
                counts[placed[band]] = len(tile)
                placed[band] += 1
                end += fh.write(tile)
        _set_tile_table(fh, {TIFF_TILE_OFFSETS: offsets, TIFF_TILE_BYTE_COUNTS: counts})


TIFF_TILE_OFFSETS, TIFF_TILE_BYTE_COUNTS = 324, 325
"""TIFF tags of where each tile starts in the file and how many bytes it takes."""


def _set_tile_table(fh: Any, tables: Mapping[int, list[int]]) -> None:
    """Overwrite the values of the ``tables`` tags (tag -> one value per tile) of the first
    image of the TIFF (classic or BigTIFF, either byte order) open in ``fh``, in place: the
    tags exist with one (zero) value per tile, in the type GDAL chose (LONG or LONG8)."""
    import struct

    fh.seek(0)
    head = fh.read(16)
    order = "<" if head[:2] == b"II" else ">"
    big = struct.unpack(order + "H", head[2:4])[0] == 43  # BigTIFF; classic TIFF is 42
    word, count_size, entry_size, inline = ("Q", 8, 20, 8) if big else ("I", 2, 12, 4)
    ifd = struct.unpack(order + word, head[8:16] if big else head[4:8])[0]
    fh.seek(ifd)
    n = struct.unpack(order + ("Q" if big else "H"), fh.read(count_size))[0]
    entries = fh.read(n * entry_size)
    for k in range(n):
        entry = entries[k * entry_size : (k + 1) * entry_size]
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag not in tables:
            continue
        values = tables[tag]
        packed = struct.pack(f"{order}{len(values)}{_TIFF_INTEGERS[kind]}", *values)
        value = entry[entry_size - inline :]
        at = ifd + count_size + k * entry_size + entry_size - inline
        fh.seek(at if len(packed) <= inline else struct.unpack(order + word, value)[0])
        fh.write(packed)


_TIFF_INTEGERS = {4: "I", 16: "Q"}
"""struct codes of the TIFF integer types GDAL writes tile tables in: LONG and LONG8."""


def _strips(data: Any, height: int) -> Iterator[tuple[Window, np.ndarray]]:
    """A (bands, rows, cols) array (:func:`_banded`) in full-width strips of ``height`` rows
    (one row of tiles) of every band, top to bottom.

    GDAL then writes each tile once, in the same order whether the array is in memory or
    chunked (any chunk shape), so both give the same bytes. For dask, the blocks come from
    :func:`~landcarbon.backend.computed_blocks`: while the client writes a row of chunks,
    the workers compute the next blocks (at most twice as many as there are workers). The
    client fills one buffer of a row of chunks plus ``height`` rows, again and again, so it
    never holds two rows of chunks; a chunked strip is therefore a view that is valid until
    the next strip is asked for (the writer writes it before).
    """
    if not is_dask(data):
        for top in range(0, data.shape[1], height):
            strip = data[:, top : top + height]
            yield Window(0, top, strip.shape[2], strip.shape[1]), strip
        return
    with contextlib.closing(computed_blocks(data)) as blocks:  # cancelled if a write fails
        edges = np.cumsum((0, *data.chunks[2]))
        buffer = np.empty(
            (data.shape[0], max(data.chunks[1]) + height, data.shape[2]), dtype=data.dtype
        )
        held = 0  # rows left over from the previous row of chunks, at the buffer's top
        top = 0
        for i, rows in enumerate(data.chunks[1]):
            for left, right in itertools.pairwise(edges):
                buffer[:, held : held + rows, left:right] = next(blocks)
            filled, start = held + rows, 0
            last = i == len(data.chunks[1]) - 1
            while filled - start >= height or (last and filled > start):
                strip = buffer[:, start : min(start + height, filled)]
                yield Window(0, top, strip.shape[2], strip.shape[1]), strip
                start += strip.shape[1]
                top += strip.shape[1]
            held = filled - start
            buffer[:, :held] = buffer[:, start:filled]  # fewer than height rows, to the top


def class_names_tag(classes: Mapping[int, tuple[str, str]]) -> str:
    """The ``class_names`` GeoTIFF tag: JSON of code → name (read back by the report)."""
    return json.dumps({str(k): v[0] for k, v in classes.items()})


def hex_to_rgba(colour: str) -> tuple[int, int, int, int]:
    """``#rrggbb`` -> (red, green, blue, 255)."""
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), 255


def _write_qml(path: Path, classes: Mapping[int, tuple[str, str]]) -> None:
    from xml.sax.saxutils import quoteattr

    entries = "\n".join(
        f'        <paletteEntry value="{int(k)}" color="{v[1]}" alpha="255" '
        f"label={quoteattr(str(v[0]))}/>"
        for k, v in sorted(classes.items())
    )
    text = (
        '<!DOCTYPE qgis>\n<qgis version="3.28" styleCategories="Symbology">\n  <pipe>\n'
        '    <rasterrenderer type="paletted" band="1" opacity="1">\n'
        f"      <colorPalette>\n{entries}\n      </colorPalette>\n"
        "    </rasterrenderer>\n  </pipe>\n</qgis>\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


MAX_CATEGORY_CODE = 65535
"""Largest code written as a GDAL category name (the list runs from code 0 up)."""


def _write_categories(path: Path, classes: Mapping[int, tuple[str, str]]) -> None:
    """GDAL category names and a thematic raster attribute table (``Value``, ``Class_Name``,
    ``Red``, ``Green``, ``Blue``) in the GeoTIFF's PAM sidecar ``<file>.aux.xml``, the file
    GDAL itself writes them to for GeoTIFFs: QGIS, ArcGIS (its attribute table) and
    ``gdalinfo`` show the class names from it."""
    from xml.sax.saxutils import escape

    codes = sorted(int(k) for k in classes)
    band = []
    if codes and 0 <= codes[0] and codes[-1] <= MAX_CATEGORY_CODE:
        names = [""] * (codes[-1] + 1)
        for k in codes:
            names[k] = str(classes[k][0])
        band.append(
            "    <CategoryNames>\n"
            + "".join(f"      <Category>{escape(n)}</Category>\n" for n in names)
            + "    </CategoryNames>\n"
        )
    fields = (("Value", 0, 5), ("Class_Name", 2, 2), ("Red", 0, 6), ("Green", 0, 7), ("Blue", 0, 8))
    rows = "".join(
        f'      <Row index="{i}"><F>{k}</F><F>{escape(str(classes[k][0]))}</F>'
        + "".join(f"<F>{v}</F>" for v in hex_to_rgba(classes[k][1])[:3])
        + "</Row>\n"
        for i, k in enumerate(codes)
    )
    band.append(
        '    <GDALRasterAttributeTable tableType="thematic">\n'
        + "".join(
            f'      <FieldDefn index="{i}"><Name>{name}</Name><Type>{kind}</Type>'
            f"<Usage>{usage}</Usage></FieldDefn>\n"
            for i, (name, kind, usage) in enumerate(fields)
        )
        + rows
        + "    </GDALRasterAttributeTable>\n"
    )
    text = '<PAMDataset>\n  <PAMRasterBand band="1">\n' + "".join(band)
    text += "  </PAMRasterBand>\n</PAMDataset>\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def from_numpy(
    data: np.ndarray, grid: Grid, name: str | None = None, nodata: float | None = None
) -> xr.DataArray:
    """Wrap a numpy array on ``grid`` as a georeferenced DataArray (cell-centre coords).

    ``nodata`` is the value that marks nodata in ``data`` (e.g. 255 in a uint8 land-use
    map); by default NaN for floats and :data:`CLASS_NODATA` for int32/int64.
    """
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    import xarray as xr

    t = grid.transform
    xs = t.c + t.a * (np.arange(grid.cols) + 0.5)
    ys = t.f + t.e * (np.arange(grid.rows) + 0.5)
    out = xr.DataArray(data, dims=("y", "x"), coords={"y": ys, "x": xs}, name=name)
    out = out.rio.write_transform(t)
    if grid.crs is not None:
        out = out.rio.write_crs(grid.crs)
    if nodata is None and np.issubdtype(data.dtype, np.floating):
        nodata = np.nan
    elif nodata is None and np.can_cast(CLASS_NODATA, data.dtype):
        nodata = int(CLASS_NODATA)
    return out if nodata is None else out.rio.write_nodata(nodata, encoded=False)
