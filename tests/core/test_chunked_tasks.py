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
    """The storage map's write: each block's task returns its compressed tiles (bytes),
    no task returns the float block nor a wrapped one (a one-cell object array and a
    finalize task per block before); the file reads back as the in-memory map's."""
    values = np.linspace(0.0, 100.0, 256 * 512).reshape(256, 512)
    lazy = make_raster(values, "dask", (256, 256))
    path, results = _task_results(lambda: write_raster(lazy, tmp_path / "map.tif"))
    tiles = [r for r in results if isinstance(r, list)]
    assert len(tiles) == 2 and all(isinstance(t, bytes) for block in tiles for t in block)
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
