"""Raster I/O: reads honour nodata, writes are atomic, tiled and carry colour tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

from landcarbon.errors import InputFileError, OutputExistsError, RasterError
from landcarbon.grid import Grid
from landcarbon.raster import (
    CLASS_NODATA,
    read_grid,
    read_raster,
    read_stack,
    valid_mask,
    write_raster,
)
from landcarbon.testing import make_raster, write_gtiff

CLASSES = {1: ("cropland", "#f6d55c"), 2: ("forest", "#2e7d32")}


def test_categorical_roundtrip_with_colours(tmp_path: Path):
    data = np.array([[1, 2, 2], [CLASS_NODATA, 1, 2]], dtype=np.int32)
    path = write_raster(make_raster(data), tmp_path / "lu.tif", classes=CLASSES)
    with rasterio.open(path) as ds:
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255
        assert ds.profile["tiled"] and ds.profile["compress"] == "zstd"
        assert ds.colormap(1)[2] == (46, 125, 50, 255)
        assert json.loads(ds.tags(1)["class_names"]) == {"1": "cropland", "2": "forest"}
    assert (tmp_path / "lu.qml").read_text().count("paletteEntry") == 2
    back = read_raster(path, "categorical")
    np.testing.assert_array_equal(back.values, data)
    assert back.rio.crs.to_epsg() == 32650
    assert not list(tmp_path.glob("*.partial*"))


def test_continuous_nodata_becomes_nan(tmp_path: Path):
    data = np.array([[1.5, np.nan], [3.0, 4.0]])
    path = write_raster(make_raster(data), tmp_path / "x.tif", description="npp", units="gC/m2")
    back = read_raster(path)
    assert np.isnan(back.values[0, 1]) and back.values[1, 1] == 4.0
    np.testing.assert_array_equal(valid_mask(back), ~np.isnan(data))
    with rasterio.open(path) as ds:
        assert ds.descriptions == ("npp",) and ds.tags(1)["units"] == "gC/m2"


def test_float_maps_are_zstd_tiles_with_exact_values(tmp_path: Path):
    # 600 x 700 cells: 3 x 3 tiles of 256, the last ones partial, compressed on all cores
    rng = np.random.default_rng(5)
    data = rng.uniform(-50, 400, (600, 700)).astype(np.float32)
    data[rng.random(data.shape) < 0.1] = np.nan
    path = write_raster(make_raster(data), tmp_path / "c.tif", description="c", units="t C/ha")
    with rasterio.open(path) as ds:
        assert ds.compression.name == "zstd" and ds.dtypes[0] == "float32"
        assert ds.block_shapes == [(256, 256)] and np.isnan(ds.nodata)
        assert ds.descriptions == ("c",) and ds.tags(1)["units"] == "t C/ha"
        np.testing.assert_array_equal(ds.read(1), data)  # bit-exact, NaN where NaN
    np.testing.assert_array_equal(read_raster(path).values, data.astype(np.float64))


def test_multiband_roundtrip(tmp_path: Path):
    cube = np.arange(3 * 4 * 5, dtype=np.float64).reshape(3, 4, 5)
    base = make_raster(cube[0])
    da = base.expand_dims(month=[1, 2, 3]).copy(data=cube)
    path = write_raster(da, tmp_path / "m.tif", description=["jan", "feb", "mar"])
    back = read_raster(path, band=0)
    np.testing.assert_array_equal(back.values, cube)


def test_dask_write_is_windowed_and_equal(tmp_path: Path):
    data = np.random.default_rng(0).random((23, 17))
    a = write_raster(make_raster(data), tmp_path / "a.tif")
    b = write_raster(make_raster(data, backend="dask", chunks=(5, 4)), tmp_path / "b.tif")
    np.testing.assert_array_equal(read_raster(a).values, read_raster(b).values)


def test_never_clobbers_without_overwrite(tmp_path: Path):
    path = write_raster(make_raster(np.ones((2, 2))), tmp_path / "x.tif")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        write_raster(make_raster(np.zeros((2, 2))), path)
    write_raster(make_raster(np.zeros((2, 2))), path, overwrite=True)
    assert read_raster(path).values.sum() == 0


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch):
    import landcarbon.raster as raster

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(raster, "_write_qml", boom)
    with pytest.raises(RuntimeError):
        write_raster(
            make_raster(np.ones((2, 2), dtype=np.int32)), tmp_path / "x.tif", classes=CLASSES
        )
    # the GeoTIFF was complete and renamed before the style failed; no temp files remain
    assert not list(tmp_path.glob("*.partial*"))


def test_missing_empty_and_not_a_raster(tmp_path: Path):
    with pytest.raises(InputFileError, match="file not found"):
        read_raster(tmp_path / "nope.tif")
    (tmp_path / "empty.tif").write_bytes(b"")
    with pytest.raises(InputFileError, match="empty"):
        read_raster(tmp_path / "empty.tif")
    (tmp_path / "text.tif").write_text("hello")
    with pytest.raises(InputFileError, match="not a raster"):
        read_raster(tmp_path / "text.tif")


def test_all_nodata_is_an_error(tmp_path: Path):
    path = write_raster(make_raster(np.full((3, 3), np.nan)), tmp_path / "nan.tif")
    with pytest.raises(RasterError, match="every cell is nodata"):
        read_raster(path)


def test_stack_misaligned_names_file(tmp_path: Path):
    a = write_raster(make_raster(np.ones((4, 4))), tmp_path / "a.tif")
    b = write_raster(
        make_raster(np.ones((4, 4)), origin=(500_030.0, 4_000_000.0)), tmp_path / "b.tif"
    )
    with pytest.raises(RasterError, match=r"b \(.*b.tif\): origin"):
        read_stack({"a": a, "b": b})


def test_stack_resample_onto_reference(tmp_path: Path):
    a = write_raster(make_raster(np.ones((4, 4), dtype=np.int32)), tmp_path / "a.tif")
    fine = np.repeat(np.repeat(np.array([[1, 2], [3, 4]], dtype=np.int32), 4, 0), 4, 1)
    b = write_raster(make_raster(fine, cell_size=15.0), tmp_path / "b.tif")
    out = read_stack({"a": a, "b": b}, {"a": "categorical", "b": "categorical"}, align="resample")
    assert Grid.from_dataarray(out["b"]).shape == (4, 4)
    np.testing.assert_array_equal(out["b"].values[:2, :2], [[1, 1], [1, 1]])
    np.testing.assert_array_equal(out["b"].values[2:, 2:], [[4, 4], [4, 4]])


@pytest.mark.parametrize(
    ("name", "shape", "epsg"),
    [
        ("invest_willamette_carbon/lulc_samp_cur.tif", (1889, 1325), 26910),
        ("lulcc_plum_island/lu_pie_1985.tif", (434, 497), 26986),
        ("molusce_sample/init.tif", (365, 443), 32639),
        ("lulcc_sibuyan/lu_sib_1997.tif", (108, 128), None),
    ],
)
def test_reference_rasters_read_with_correct_grids(shared_data: Path, name, shape, epsg):
    path = shared_data / name
    grid = read_grid(path)
    assert grid.shape == shape
    assert (grid.crs.to_epsg() if grid.crs else None) == epsg
    da = read_raster(path, "categorical")
    assert da.shape == shape and da.dtype == np.int32
    if epsg == 26910:  # Willamette: 30 m cells
        assert grid.row_area_ha()[0] == pytest.approx(0.09)


def _tif(path: Path, data: np.ndarray, nodata: float | None, **extra: object) -> Path:
    """A GeoTIFF of ``data`` in its own dtype (tiled 16, as other tools write them)."""
    return write_gtiff(path, data, nodata, tiled=True, blockxsize=16, blockysize=16, **extra)


@pytest.mark.parametrize(
    ("dtype", "nodata", "codes"),
    [
        ("uint8", 255, [0, 1, 7, 254]),
        ("uint8", None, [0, 1, 7, 255]),
        ("int16", -1, [-32768, 0, 3, 32767]),
        ("uint16", 0, [1, 2, 65535, 40000]),
        ("int32", -9999, [-2147483647, 5, 2147483647, 12]),
        ("uint32", 4294967295, [0, 2147483647, 9, 1]),
    ],
)
@pytest.mark.parametrize("chunks", [None, 16])
def test_categorical_read_of_integer_files_masks_nodata(
    tmp_path: Path, dtype: str, nodata: int | None, codes: list[int], chunks: int | None
):
    rng = np.random.default_rng(4)
    data = rng.choice(np.array(codes, dtype=dtype), size=(40, 37))
    if nodata is not None:
        data[rng.random(data.shape) < 0.2] = nodata
    back = read_raster(_tif(tmp_path / "lu.tif", data, nodata), "categorical", chunks=chunks)
    expected = np.where(data == nodata, CLASS_NODATA, data.astype(np.int64))
    expected = data if nodata is None else expected
    assert back.dtype == np.int32
    np.testing.assert_array_equal(back.values, expected)
    assert back.attrs["source_nodata"] == ("none" if nodata is None else repr(float(nodata)))


def test_categorical_read_honours_an_internal_mask(tmp_path: Path):
    """A per-dataset mask (not a nodata value) still masks: that file takes the masked read."""
    data = np.arange(1, 41, dtype=np.uint8).reshape(5, 8)
    path = _tif(tmp_path / "lu.tif", data, None)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(path, "r+") as ds:
        ds.write_mask(np.where(data % 3 == 0, 0, 255).astype(np.uint8))
    back = read_raster(path, "categorical").values
    np.testing.assert_array_equal(back, np.where(data % 3 == 0, CLASS_NODATA, data))


@pytest.mark.parametrize(
    ("dtype", "value", "shown"),
    [("int32", -2147483648, "-2147483648"), ("uint32", 3_000_000_000, "3000000000")],
)
def test_categorical_integer_codes_beyond_int32_are_refused(
    tmp_path: Path, dtype: str, value: int, shown: str
):
    data = np.ones((20, 20), dtype=dtype)
    data[3, 5] = value
    path = _tif(tmp_path / "lu.tif", data, 0)
    with pytest.raises(
        RasterError, match=rf"1 cell\(s\) hold values.*first: {shown} at row 3, col 5"
    ):
        read_raster(path, "categorical")


def test_categorical_read_makes_no_float_copy(tmp_path: Path):
    """A uint8 map is read into int32 codes without a float64 (NaN) copy: peak memory of
    the read stays under 8 bytes per cell (the float64 detour alone took 8, plus int32)."""
    import tracemalloc

    data = np.kron(np.arange(1, 101, dtype=np.uint8).reshape(10, 10), np.ones((100, 100), np.uint8))
    data[:50] = 255
    path = _tif(tmp_path / "lu.tif", data, 255, compress="deflate")
    read_raster(path, "categorical")  # imports (xarray, dask) are not the read's memory
    tracemalloc.start()
    try:
        back = read_raster(path, "categorical")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert back.values[0, 0] == CLASS_NODATA and back.values[-1, -1] == 100
    assert peak < 8 * data.size, f"{peak / data.size:.1f} bytes per cell"
