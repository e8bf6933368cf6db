"""Report maps read at display size: the same pixels as today on small maps, and never
the whole array of a map larger than the cap (issue 17 item 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio.io

from landcarbon.raster import CLASS_NODATA, read_raster, write_raster
from landcarbon.testing import make_raster


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """The shape of every array rasterio reads from a file while the test runs."""
    shapes: list[tuple[int, ...]] = []
    real = rasterio.io.DatasetReader.read

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(self, *args, **kwargs)
        shapes.append(out.shape)
        return out

    monkeypatch.setattr(rasterio.io.DatasetReader, "read", spy)
    return shapes


def _map_reads(reads: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """The band reads among ``reads``; the others are open_dataset's check of the last
    block (a truncated file fails there), one block each at most."""
    assert all(np.prod(s) <= 256 * 256 for s in reads if len(s) == 3)
    return [s for s in reads if len(s) == 2]


def _maps(tmp_path: Path, shape: tuple[int, int]) -> tuple[Path, Path]:
    rng = np.random.default_rng(4)
    classes = rng.integers(1, 6, shape).astype(np.int32)
    classes[3, 4] = CLASS_NODATA
    values = rng.normal(10.0, 3.0, shape).astype(np.float32)
    values[5, :7] = np.nan
    write_raster(make_raster(classes), tmp_path / "classes.tif")
    write_raster(make_raster(values), tmp_path / "values.tif")
    return tmp_path / "classes.tif", tmp_path / "values.tif"


def test_small_map_figures_show_every_cell(tmp_path: Path):
    from landcarbon.report.maps import read_map

    classes, values = _maps(tmp_path, (60, 80))
    shown = read_map(classes, classes={c: (f"c{c}", "#123456") for c in range(1, 6)})
    np.testing.assert_array_equal(shown.values, read_raster(classes, "categorical").values)
    shown = read_map(values)
    np.testing.assert_array_equal(shown.values, read_raster(values).values)


def test_large_map_figures_are_read_decimated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[tuple[int, ...]]
):
    import landcarbon.report.maps as maps

    classes, values = _maps(tmp_path, (200, 300))
    reads.clear()  # writing the maps read them back
    monkeypatch.setattr(maps, "MAX_PIXELS", 50)  # 300 cells wide: every 6th cell
    drawn: list[tuple[int, ...]] = []
    real = maps.draw_map
    monkeypatch.setattr(
        maps,
        "draw_map",
        lambda ax, data, *a, **k: (drawn.append(data.values.shape), real(ax, data, *a, **k))[1],
    )
    for path in (classes, values):
        maps.map_figure(path)
    assert drawn == [(34, 50), (34, 50)]  # what the renderer was given
    assert _map_reads(reads) == [(34, 50), (34, 50)]  # never more from the file
    # the pixels are cells of the map (nearest neighbour): classes stay classes
    whole = read_raster(classes, "categorical").values
    assert set(np.unique(maps.read_map(classes).values)) <= set(np.unique(whole))


def test_viewer_maps_are_read_one_kept_row_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[tuple[int, ...]]
):
    import landcarbon.report.viewer as viewer

    classes, values = _maps(tmp_path, (200, 300))
    whole = read_raster(classes, "categorical").values
    reads.clear()  # writing the maps read them back; whole is the test's own reference
    monkeypatch.setattr(viewer, "MAX_SIDE", 50)
    monkeypatch.setattr(viewer, "MAX_SIDE_VALUES", 40)
    data, step = viewer.strided_read(classes, 50)
    assert step == 6
    np.testing.assert_array_equal(np.ma.filled(data, CLASS_NODATA), whole[::6, ::6])
    shown = viewer.viewer_map(classes, "classes")
    assert (shown["height"], shown["width"], shown["step"]) == (34, 50, 6)
    shown = viewer.value_map(values, "values", "t")
    assert (shown["height"], shown["width"], shown["step"]) == (25, 38, 8)
    # every read was one row of the file, never the map
    assert _map_reads(reads) == [(1, 300)] * (2 * 34 + 25)


def test_small_viewer_maps_equal_the_whole_map(tmp_path: Path):
    from landcarbon.report.viewer import strided_read

    classes, values = _maps(tmp_path, (60, 80))
    data, step = strided_read(values, 1000)
    assert step == 1
    np.testing.assert_array_equal(
        np.ma.filled(data.astype(np.float64), np.nan), read_raster(values).values
    )
    data, _ = strided_read(classes, 1000)
    np.testing.assert_array_equal(
        np.ma.filled(data.astype(np.int64), CLASS_NODATA),
        read_raster(classes, "categorical").values,
    )
