"""Writes are stable (chunked == in memory: the same bytes, or for chunks on tile edges,
whose tiles the workers encode, the same pixels, profile and tags), refused writes leave
nothing behind and say what to fix, and temporaries are created with the umask's mode."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import landcarbon.raster
from landcarbon.errors import ParameterError
from landcarbon.raster import CLASS_NODATA, atomic_path, remove_partials, write_raster
from landcarbon.testing import make_raster


def _data(shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(7).random(shape)


@pytest.mark.parametrize("chunks", [(100, 70), (300, 333), (257, 700), (1, 700), (600, 1)])
def test_chunked_write_gives_the_bytes_of_the_in_memory_write(tmp_path: Path, chunks):
    # 600 x 700 cells: 3 x 3 tiles of 256; chunks across tile edges, one-row and one-column
    da = make_raster(_data((600, 700)))
    eager = write_raster(da, tmp_path / "eager.tif", units="g")
    lazy = write_raster(
        da.chunk({"y": chunks[0], "x": chunks[1]}), tmp_path / "lazy.tif", units="g"
    )
    assert lazy.read_bytes() == eager.read_bytes()


def test_a_write_on_a_distributed_cluster_gives_the_in_memory_bytes(tmp_path: Path):
    """Issue 17 item 4: blocks computed ahead on a cluster while the client writes
    still land in the file in the in-memory order: same bytes."""
    from distributed import Client, LocalCluster

    da = make_raster(_data((600, 700)))
    eager = write_raster(da, tmp_path / "eager.tif", units="g")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        lazy = write_raster(da.chunk({"y": 100, "x": 333}), tmp_path / "lazy.tif", units="g")
    assert lazy.read_bytes() == eager.read_bytes()


def test_chunked_categorical_and_multiband_writes_are_byte_identical(tmp_path: Path):
    codes = (_data((300, 520)) * 5).astype(np.int32)
    codes[:10, :10] = CLASS_NODATA
    classes = {c: (f"class {c}", "#336699") for c in range(5)}
    lulc = make_raster(codes)
    a = write_raster(lulc, tmp_path / "a.tif", classes=classes)
    b = write_raster(lulc.chunk({"y": 90, "x": 130}), tmp_path / "b.tif", classes=classes)
    assert a.read_bytes() == b.read_bytes()
    stack = make_raster(_data((300, 520))).expand_dims(month=3).copy()
    stack.data = _data((3, 300, 520))
    c = write_raster(stack, tmp_path / "c.tif", description=["1", "2", "3"])
    d = write_raster(
        stack.chunk({"month": 1, "y": 77, "x": 200}),
        tmp_path / "d.tif",
        description=["1", "2", "3"],
    )
    assert c.read_bytes() == d.read_bytes()


def _assert_same_file(got: Path, want: Path) -> None:
    """The same pixels, profile, tags, band descriptions and colour table."""
    import rasterio

    with rasterio.open(got) as a, rasterio.open(want) as b:
        pa, pb = dict(a.profile), dict(b.profile)
        np.testing.assert_array_equal(pa.pop("nodata"), pb.pop("nodata"))  # NaN == NaN
        assert pa == pb
        assert (a.tags(), a.tags(1), a.descriptions) == (b.tags(), b.tags(1), b.descriptions)
        np.testing.assert_array_equal(a.read(), b.read())
        if a.dtypes[0] == "uint8":
            assert a.colormap(1) == b.colormap(1)


@contextlib.contextmanager
def _scheduler(name: str):
    """dask's threaded or synchronous scheduler, or a LocalCluster of 2 workers."""
    import dask

    if name != "distributed":
        with dask.config.set(scheduler=name):
            yield
        return
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        yield


def _maps() -> dict[str, tuple[object, dict]]:
    """A float map, a categorical map with classes and a 3-band stack, and their write options."""
    codes = (_data((600, 700)) * 5).astype(np.int32)
    codes[:10, :10] = CLASS_NODATA
    stack = make_raster(_data((600, 700))).expand_dims(month=3).copy()
    stack.data = _data((3, 600, 700))
    values = _data((600, 700))
    values[:256, 256:600] = np.nan  # a whole tile of nodata, and parts of others
    return {
        "float": (make_raster(values), {"units": "g", "description": "x"}),
        "classes": (make_raster(codes), {"classes": {c: (f"c{c}", "#336699") for c in range(5)}}),
        "bands": (stack, {"description": ["1", "2", "3"]}),
    }


LARGE_GRAPH = "ignore:Sending large graph"  # the in-memory test maps travel in the graph


@pytest.mark.filterwarnings(LARGE_GRAPH)
@pytest.mark.parametrize("scheduler", ["threads", "synchronous", "distributed"])
@pytest.mark.parametrize("chunks", [(256, 512), (512, 256), (600, 700), (100, 333)])
def test_chunked_writes_equal_the_in_memory_write(tmp_path: Path, scheduler: str, chunks):
    """Issue 17 item 4: 600 x 700 cells (3 x 3 tiles of 256, partial at the edges). Chunks on
    tile edges, even or with a partial last chunk, take the encoded path (the workers
    compress the tiles); others (100 x 333) the strip writer, byte for byte."""
    for kind, (da, opts) in _maps().items():
        eager = write_raster(da, tmp_path / f"{kind}_eager.tif", **opts)
        with _scheduler(scheduler):
            lazy = write_raster(
                da.chunk({"y": chunks[0], "x": chunks[1]}), tmp_path / f"{kind}.tif", **opts
            )
        _assert_same_file(lazy, eager)
        if chunks == (100, 333):
            assert lazy.read_bytes() == eager.read_bytes()
    assert not list(tmp_path.glob(".*"))  # no temporary left


@pytest.mark.filterwarnings(LARGE_GRAPH)
def test_workers_encode_the_tiles_and_ship_compressed_bytes(tmp_path: Path, monkeypatch):
    """On a cluster the writing process receives each block's compressed tiles, not the
    block: two tiles of 256 x 256 zeros, a few hundred bytes, where the strip writer
    received the 512 x 256 float64 block (1 MB)."""
    from landcarbon.backend import computed_in_order

    received: list[int] = []

    def recording(lazy, *args, **kwargs):
        for tiles, side in computed_in_order(lazy, *args, **kwargs):  # side: no PerBlock
            received.append(sum(len(t) for t in tiles))
            yield tiles, side

    monkeypatch.setattr(landcarbon.raster, "computed_in_order", recording)
    da = make_raster(np.zeros((1024, 1280)))
    with _scheduler("distributed"):
        lazy = write_raster(da.chunk({"y": 512, "x": 256}), tmp_path / "lazy.tif")
    _assert_same_file(lazy, write_raster(da, tmp_path / "eager.tif"))
    assert len(received) == 2 * 5
    assert max(received) < 2000, received


def test_a_failed_encoded_write_leaves_nothing(tmp_path: Path):
    """A block that fails on a worker midway: the error comes through, and neither the
    file nor its temporary is left (the blocks still computing are cancelled)."""

    def fail_late(block, block_info=None):
        if block_info[0]["chunk-location"] == (1, 1):
            raise ValueError("block (1, 1) failed")
        return block

    lazy = make_raster(_data((600, 700))).chunk({"y": 256, "x": 256})
    lazy = lazy.copy(data=lazy.data.map_blocks(fail_late, dtype=float))
    for scheduler in ("threads", "distributed"):
        with _scheduler(scheduler), pytest.raises(ValueError, match=r"block \(1, 1\) failed"):
            write_raster(lazy, tmp_path / "map.tif")
        assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bigtiff", ["NO", "YES"])
def test_tile_tables_are_set_in_classic_and_big_tiffs(tmp_path: Path, bigtiff: str):
    """The tiles of one GeoTIFF appended to a sparse one (GDAL wrote no tile) and its
    tile tables pointed at them read back as the first file, in a classic TIFF (32-bit
    offsets) and in a BigTIFF (64-bit, what maps over 4 GB get)."""
    import rasterio

    from landcarbon.raster import TILING, _set_tile_table

    values = _data((600, 700)).astype(np.float32)
    profile = {"driver": "GTiff", "height": 600, "width": 700, "count": 1, "dtype": "float32"}
    profile |= {"crs": "EPSG:32650", "transform": make_raster(values).rio.transform()}
    profile |= {**TILING, "BIGTIFF": bigtiff}
    with rasterio.open(tmp_path / "full.tif", "w", **profile) as ds:
        ds.write(values, 1)
    raw = (tmp_path / "full.tif").read_bytes()
    with rasterio.open(tmp_path / "full.tif") as ds:
        spans = [
            (
                int(ds.get_tag_item(f"BLOCK_OFFSET_{j}_{i}", "TIFF", bidx=1)),
                int(ds.get_tag_item(f"BLOCK_SIZE_{j}_{i}", "TIFF", bidx=1)),
            )
            for i in range(3)
            for j in range(3)
        ]
    with rasterio.open(tmp_path / "sparse.tif", "w", **profile, sparse_ok=True):
        pass
    with open(tmp_path / "sparse.tif", "r+b") as fh:
        end = fh.seek(0, os.SEEK_END)
        offsets = [end + sum(size for _, size in spans[:k]) for k in range(len(spans))]
        fh.write(b"".join(raw[start : start + size] for start, size in spans))
        _set_tile_table(fh, {324: offsets, 325: [size for _, size in spans]})
    assert raw[2:4] == (b"+\x00" if bigtiff == "YES" else b"*\x00")  # 43: BigTIFF, 42: classic
    with rasterio.open(tmp_path / "sparse.tif") as ds:
        np.testing.assert_array_equal(ds.read(1), values)


LIMITED = """
import json, resource, signal, sys
import numpy as np, pandas as pd
from landcarbon.datasets.synthetic import write_synthetic_region
from landcarbon.errors import ComputeError
from landcarbon.raster import write_raster
from landcarbon.study.chapters._common import write_csv, write_json
from landcarbon.testing import make_raster

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, as Python sets it, not a kill
resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
out = sys.argv[1]
writes = {
    "map.tif": lambda p: write_raster(make_raster(np.random.default_rng(0).random((300, 300))), p),
    "chunked.tif": lambda p: write_raster(
        make_raster(np.random.default_rng(0).random((300, 300))).chunk(256), p
    ),
    "table.csv": lambda p: write_csv(pd.DataFrame({"v": np.arange(5000) / 7}), p),
    "data.json": lambda p: write_json(list(range(5000)), p),
    "synthetic/npp.tif": lambda p: write_synthetic_region(
        p.removesuffix("/npp.tif"), (300, 300), layers=("npp",)
    ),
}
errors = {}
for name, write in writes.items():
    try:
        write(f"{out}/{name}")
    except ComputeError as exc:
        errors[name] = str(exc)
print(json.dumps(errors))
"""


def test_writes_over_the_file_size_limit_leave_nothing_and_say_so(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-c", LIMITED, str(tmp_path)], capture_output=True, text=True, check=True
    )
    errors = json.loads(result.stdout)
    assert errors == {
        name: f"{tmp_path / name}: file too large for this process's file-size limit (19.5 KiB, "
        f"see `ulimit -f`); raise the limit (`ulimit -f unlimited`) and rerun"
        for name in ("map.tif", "chunked.tif", "table.csv", "data.json", "synthetic/npp.tif")
    }
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_written_files_get_the_mode_of_the_umask(tmp_path: Path, umask: int):
    old = os.umask(umask)
    try:
        write_raster(make_raster(_data((20, 30))), tmp_path / "a.tif")
        with atomic_path(tmp_path / "b.csv") as tmp:
            tmp.write_text("a\n1\n")
    finally:
        os.umask(old)
    for p in tmp_path.iterdir():
        assert p.stat().st_mode & 0o777 == 0o666 & ~umask, p.name


def test_remove_partials_takes_only_the_names_atomic_path_makes(tmp_path: Path):
    ours = [tmp_path / ".a.0a1b2c3d.partial.tif", tmp_path / "sub" / ".b.c.q_w3e4r5.partial"]
    kept = [
        tmp_path / "a.partial.tif",
        tmp_path / ".a.partial.tif",
        tmp_path / ".a.0a1b2.partial.tif",
    ]
    for p in ours + kept:
        p.parent.mkdir(exist_ok=True)
        p.write_text("x")
    assert remove_partials(tmp_path) == sorted(ours)
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == sorted(kept)


def test_a_chunked_write_holds_one_row_of_chunks_not_two():
    """The strips of a lazy map come from one buffer of a row of chunks plus a strip (1.25
    rows here), refilled row after row: the client never holds two rows of chunks (a new
    row per row of chunks held the finished one too: 2.7 rows at the peak here)."""
    import tracemalloc

    import dask.array as da

    from landcarbon.raster import _banded, _strips

    rows, width = 1024, 2048  # one row of chunks: 1024 x 2048 float64 = 16.8 MB
    lazy = make_raster(np.zeros((4 * rows, width))).copy(
        data=da.ones((4 * rows, width), chunks=(rows, 128))
    )
    row_bytes = rows * width * 8
    tracemalloc.start()
    try:
        tops = [window.row_off for window, _ in _strips(_banded(lazy), 256)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tops == list(range(0, 4 * rows, 256))
    assert peak < 1.6 * row_bytes, f"peak {peak / 1e6:.1f} MB for rows of {row_bytes / 1e6:.1f} MB"


def test_write_arrays_writes_each_map_as_write_array_and_fails_whole(tmp_path: Path):
    """``write_arrays`` (several float32 maps made strip by strip, the in-memory carbon
    path's writer) gives each file the bytes ``write_array`` gives that map whole, and
    ``write_array`` the bytes of ``write_raster`` on the DataArray; a strip that fails
    half-way leaves no file under any final name and no partial file."""
    from landcarbon.grid import Grid
    from landcarbon.raster import write_array, write_arrays

    data = np.arange(600 * 300, dtype=np.float32).reshape(600, 300) / 7
    data[0, :5] = np.nan
    da = make_raster(data)
    grid = Grid.from_dataarray(da)
    files = {tmp_path / "a.tif": ("m", "t C/ha"), tmp_path / "b.tif": ("m", "t C/ha")}
    write_arrays(files, grid, lambda top, bottom: np.stack([data, 2 * data])[:, top:bottom])
    write_array(data, grid, tmp_path / "one.tif", description="m", units="t C/ha")
    write_array(2 * data, grid, tmp_path / "two.tif", description="m", units="t C/ha")
    write_raster(da, tmp_path / "xr.tif", description="m", units="t C/ha")
    assert (tmp_path / "a.tif").read_bytes() == (tmp_path / "one.tif").read_bytes()
    assert (tmp_path / "b.tif").read_bytes() == (tmp_path / "two.tif").read_bytes()
    assert (tmp_path / "one.tif").read_bytes() == (tmp_path / "xr.tif").read_bytes()
    np.testing.assert_array_equal(landcarbon.raster.read_raster(tmp_path / "b.tif"), 2 * data)

    def failing(top: int, bottom: int) -> np.ndarray:
        if top >= 256:
            raise RuntimeError("the second row of tiles cannot be made")
        return np.stack([data, data])[:, top:bottom]

    out = tmp_path / "out"
    out.mkdir()
    failed = {out / "a.tif": ("m", "t C/ha"), out / "b.tif": ("m", "t C/ha")}
    with pytest.raises(RuntimeError, match="second row of tiles"):
        write_arrays(failed, grid, failing)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("chunks", [(256, 512), (200, 300)], ids=["tile_edges", "off_edges"])
def test_per_block_work_runs_on_each_block_and_is_done_before_the_file_is_in_place(
    tmp_path: Path, chunks
):
    """``per_block``: its function gets the blocks of its arrays (here the sum of another
    map's block, and a column broadcast along the rows), one result per block in C order,
    handed to ``done`` before the rename (an error there leaves no file); the map is the
    in-memory write's either way (tasks that encode, or raw strips and a pass of its
    own)."""
    from landcarbon.raster import PerBlock

    da = make_raster(_data((600, 700)))
    other = np.arange(600 * 700, dtype=np.int64).reshape(600, 700)
    rows = np.arange(600, dtype=np.int64)[:, None]
    lazy = da.chunk({"y": chunks[0], "x": chunks[1]})
    arrays = (
        make_raster(other).chunk({"y": chunks[0], "x": chunks[1]}).data,
        make_raster(rows).chunk({"y": chunks[0], "x": 1}).data,
    )
    got: list[list[tuple[int, int]]] = []
    per_block = PerBlock(lambda o, r: (int(o.sum()), int(r.sum())), arrays, got.append)
    path = write_raster(lazy, tmp_path / "map.tif", per_block=per_block)
    _assert_same_file(path, write_raster(da, tmp_path / "eager.tif"))
    tops = range(0, 600, chunks[0])
    lefts = range(0, 700, chunks[1])
    want = [
        (int(other[t : t + chunks[0], c : c + chunks[1]].sum()), int(rows[t : t + chunks[0]].sum()))
        for t in tops
        for c in lefts
    ]
    assert got == [want]

    def refuse(results: list[tuple[int, int]]) -> None:
        raise ValueError(f"{len(results)} results refused")

    with pytest.raises(ValueError, match=f"{len(want)} results refused"):
        write_raster(
            lazy, tmp_path / "refused.tif", per_block=PerBlock(per_block.func, arrays, refuse)
        )
    assert not (tmp_path / "refused.tif").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eager.tif", "map.tif"]
    with pytest.raises(ParameterError, match="per-block results need a chunked"):
        write_raster(da, tmp_path / "eager2.tif", per_block=per_block)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_map_that_declares_its_own_nodata_is_written_with_it_as_nodata(
    tmp_path: Path, chunked: bool
):
    """A user's maps made by another tool declare -9999 as nodata (``rio.nodata``): those
    cells are written as nodata (landcarbon's own: CLASS_NODATA, NaN), not as a class
    -9999 of the land use nor a value -9999 of a float map."""
    import rasterio

    codes = np.array([[10, 20, -9999], [90, -9999, 10]], dtype=np.int32)
    values = np.array([[0.5, -9999.0, 2.0], [1.5, 3.0, -9999.0]], dtype=np.float32)
    for name, data, expected in (
        ("lu.tif", codes, np.where(codes == -9999, CLASS_NODATA, codes)),
        ("npp.tif", values, np.where(values == -9999, np.nan, values)),
    ):
        da = make_raster(data).rio.write_nodata(-9999)
        written = write_raster(da.chunk(1) if chunked else da, tmp_path / name)
        with rasterio.open(written) as ds:
            band = ds.read(1, masked=True)
        assert band.mask.tolist() == (data == -9999).tolist()
        kind = "categorical" if name == "lu.tif" else "continuous"
        read = landcarbon.raster.read_raster(written, kind)
        np.testing.assert_array_equal(read.values, expected)
