"""Issue 17 item 4: a chunked map-reduce step or encoded write runs one task per block.

The per-block work (a class count, a bincount, the tile encoding) runs in the task that
reads and computes its block, so no block is handed from one task to the next (a
scheduler round trip and a block held in a worker's memory per layer), and the results
equal the in-memory ones on 1 and 2 workers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from landcarbon.backend import chunked_bincount, map_cells
from landcarbon.carbon import POOLS, emission_factor_preset, storage_totals, write_carbon_outputs
from landcarbon.carbon.presets import load_preset
from landcarbon.classes import named_scheme
from landcarbon.errors import TableError
from landcarbon.raster import CLASS_NODATA, write_raster
from landcarbon.testing import make_raster

CHUNKS = (20, 40)
BLOCK_CELLS = CHUNKS[0] * CHUNKS[1]
CNLUCC = named_scheme("cnlucc")


def _lulc() -> np.ndarray:
    """A 60 x 80 CNLUCC map (codes 1-6) with a nodata corner: 3 x 2 chunks of 20 x 40."""
    codes = (np.arange(60 * 80).reshape(60, 80) * 7 // 13 % 6 + 1).astype(np.int32)
    codes[:5, :7] = CLASS_NODATA
    return codes


def _minus_one(codes: np.ndarray) -> np.ndarray:
    return codes.astype(np.int64) - 1


def _task_results(run: Callable[[], Any]) -> tuple[Any, list[Any]]:
    """``run()`` on dask's synchronous scheduler, and the results of the tasks it ran."""
    import dask
    from dask.callbacks import Callback

    results: list[Any] = []

    def record(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        if all(result is not r for r in results):  # an alias task passes its target's on
            results.append(result)

    with dask.config.set(scheduler="synchronous"), Callback(posttask=record):
        value = run()
    return value, results


def _blocks_handed_on(results: list[Any]) -> list[tuple[int, ...]]:
    """Shapes of the task results that are map blocks (arrays of a block's size or more)."""
    return [r.shape for r in results if isinstance(r, np.ndarray) and r.size >= BLOCK_CELLS]


def test_a_chunked_bincount_counts_each_block_in_the_task_that_computes_it():
    codes = _lulc()
    lazy = map_cells(_minus_one, make_raster(codes, "dask", CHUNKS), dtype=np.int64)
    got, results = _task_results(lambda: chunked_bincount(lazy, 6))
    np.testing.assert_array_equal(got, np.bincount((codes - 1)[codes > 0], minlength=6))
    assert _blocks_handed_on(results) == []  # six (20, 40) int64 blocks before
    assert len(results) <= 6 + 2  # a task per block, the sum, dask's few aliases


def test_class_totals_count_each_block_in_the_task_that_reads_it():
    """The account pass of the storage + map step and the emission totals: one task per
    block reads and counts it, one adds the tables (the blocks and a tree of pairwise sums
    were tasks of their own); totals equal the in-memory ones exactly."""
    pools = load_preset("carbon", "henan_table1", POOLS, POOLS, classes=CNLUCC)
    eager = make_raster(_lulc())
    got, results = _task_results(
        lambda: storage_totals(eager.chunk({"y": CHUNKS[0], "x": CHUNKS[1]}), pools)
    )
    want = storage_totals(eager, pools)
    np.testing.assert_array_equal(got.by_class["cells"], want.by_class["cells"])
    np.testing.assert_array_equal(got.by_class["total_t_c"], want.by_class["total_t_c"])
    assert _blocks_handed_on(results) == []
    tables = [r for r in results if isinstance(r, tuple)]
    assert len(tables) == 6 + 1  # a table per block and their sum (6 + 5 sums before)


def test_encoded_writes_ship_each_blocks_tiles_from_the_task_that_computes_it(tmp_path: Path):
    """The storage map's write: each block's task returns its compressed tiles (bytes, and
    None: no per-block work was asked for), no task returns the float block nor a wrapped
    one (a one-cell object array and a finalize task per block before); the file reads
    back as the in-memory map's."""
    values = np.linspace(0.0, 100.0, 256 * 512).reshape(256, 512)
    lazy = make_raster(values, "dask", (256, 256))
    path, results = _task_results(lambda: write_raster(lazy, tmp_path / "map.tif"))
    tiles = [r[0] for r in results if isinstance(r, tuple) and r[1] is None]
    assert len(tiles) == len(results) == 2
    assert all(isinstance(t, bytes) for block in tiles for t in block)
    assert [r for r in results if isinstance(r, np.ndarray)] == []
    with rasterio.open(path) as ds:
        np.testing.assert_array_equal(ds.read(1), values)


@pytest.mark.filterwarnings("ignore:Sending large graph")
def test_carbon_outputs_are_identical_on_one_and_two_workers(tmp_path: Path):
    """The scale benchmark's steps on a LocalCluster of 1 and of 2 workers: the account,
    the emission totals and the storage map equal the in-memory ones bit for bit."""
    from distributed import Client, LocalCluster

    from landcarbon.carbon import emission_totals

    pools = load_preset("carbon", "henan_table1", POOLS, POOLS, classes=CNLUCC)
    factors = emission_factor_preset("arid_muus", CNLUCC)
    eager = make_raster(np.tile(_lulc(), (10, 10)))  # 600 x 800: 3 x 4 chunks on tile edges
    lazy = eager.chunk({"y": 256, "x": 256})
    want, _ = write_carbon_outputs(tmp_path / "in_memory", eager, pools)
    want_emissions = emission_totals(eager, factors)["emissions_t_c_yr"].to_numpy()
    with rasterio.open(tmp_path / "in_memory" / "c_storage_bas.tif") as ds:
        want_map = ds.read(1)
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=None
            ) as cluster,
            Client(cluster),
        ):
            got, _ = write_carbon_outputs(tmp_path / f"x{workers}", lazy, pools)
            emissions = emission_totals(lazy, factors)["emissions_t_c_yr"].to_numpy()
        assert got.current.total_t_c == want.current.total_t_c
        np.testing.assert_array_equal(emissions, want_emissions)
        with rasterio.open(tmp_path / f"x{workers}" / "c_storage_bas.tif") as ds:
            np.testing.assert_array_equal(ds.read(1), want_map)


GEOGRAPHIC = {"cell_size": 0.01, "crs": "EPSG:4326", "origin": (110.0, 36.0)}
"""A 0.01 degree grid: every row has its own cell area, so the areas are float sums."""


@pytest.mark.parametrize("grid", [{}, GEOGRAPHIC], ids=["projected", "geographic"])
def test_storage_and_map_read_each_chunk_of_the_land_use_map_once(tmp_path: Path, grid):
    """The storage + map step of a chunked map alone: the account is counted in the tasks
    that encode the storage map's blocks, so each chunk of the land-use map is read once
    (twice before: the account's pass, then the map's) by one task per block, and the
    account equals the two-pass one (storage_totals of the chunked map) bit for bit, its
    cells numpy's count of the codes; the map equals the in-memory one."""
    import collections

    pools = load_preset("carbon", "henan_table1", POOLS, POOLS, classes=CNLUCC)
    codes = np.tile(_lulc(), (10, 10))  # 600 x 800: 3 x 4 chunks on tile edges
    eager = make_raster(codes, **grid)
    reads: collections.Counter[tuple[int, ...]] = collections.Counter()

    def counted(block: np.ndarray, block_info: Any = None) -> np.ndarray:
        reads[block_info[0]["chunk-location"]] += 1
        return block

    lazy = eager.chunk({"y": 256, "x": 256})
    two_pass = storage_totals(lazy, pools).by_class
    lazy = lazy.copy(data=lazy.data.map_blocks(counted, dtype=lazy.dtype))
    (account, _), results = _task_results(
        lambda: write_carbon_outputs(tmp_path / "chunked", lazy, pools)
    )
    assert len(reads) == 3 * 4 and set(reads.values()) == {1}, reads
    assert len(results) == 3 * 4 and _blocks_handed_on(results) == []  # tiles and a table
    got = account.current.by_class
    for column in ("cells", "area_ha", *(f"{pool}_t_c" for pool in POOLS), "total_t_c"):
        np.testing.assert_array_equal(got[column], two_pass[column], err_msg=column)
    assert account.current.total_t_c == float(two_pass["total_t_c"].sum())
    want_cells = [np.count_nonzero(codes == code) for code in pools.codes]
    np.testing.assert_array_equal(got["cells"], want_cells)
    write_carbon_outputs(tmp_path / "in_memory", eager, pools)
    with (
        rasterio.open(tmp_path / "chunked" / "c_storage_bas.tif") as ds,
        rasterio.open(tmp_path / "in_memory" / "c_storage_bas.tif") as mem,
    ):
        np.testing.assert_array_equal(ds.read(1), mem.read(1))
    if grid:  # true cell areas are summed block by block: not numpy's whole-map order
        return
    for name in ("carbon_by_class.csv", "summary.json"):
        chunked = (tmp_path / "chunked" / name).read_bytes()
        assert chunked == (tmp_path / "in_memory" / name).read_bytes(), name


def test_storage_and_map_off_tile_edges_count_in_a_pass_of_their_own(tmp_path: Path):
    """Chunks off tile edges are written from raw blocks (strips), so the account takes a
    pass of its own before the write: the same totals, bit for bit; a code missing from
    the table fails there, before any map is written."""
    pools = load_preset("carbon", "henan_table1", POOLS, POOLS, classes=CNLUCC)
    codes = np.tile(_lulc(), (10, 10))
    lazy = make_raster(codes, "dask", (100, 300))
    account, _ = write_carbon_outputs(tmp_path / "out", lazy, pools)
    two_pass = storage_totals(lazy, pools).by_class
    np.testing.assert_array_equal(account.current.by_class["total_t_c"], two_pass["total_t_c"])
    codes[5, 5] = 9  # not a CNLUCC code
    for chunks in ((100, 300), (256, 256)):  # a pass of its own; the map's tasks
        out = tmp_path / f"missing_{chunks[0]}"
        with pytest.raises(TableError, match=r"missing from the table: 9 \(1 cells\)"):
            write_carbon_outputs(out, make_raster(codes, "dask", chunks), pools)
        assert not out.exists() or not any(out.iterdir())
