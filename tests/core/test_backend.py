"""Backend dispatch: per-cell, focal and global steps on numpy and dask."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from landcarbon.backend import (
    chunked_bincount,
    computed_blocks,
    map_cells,
    map_focal,
    placed_blocks,
    require_in_memory,
)
from landcarbon.errors import BackendError, ParameterError
from landcarbon.testing import assert_backends_agree, make_raster


def test_map_cells_keeps_coords_and_laziness():
    a = make_raster(np.arange(20.0).reshape(4, 5))
    b = make_raster(np.ones((4, 5)))
    out = assert_backends_agree(lambda x, y: map_cells(np.add, x, y, name="sum"), a, b)
    np.testing.assert_array_equal(out.values, np.arange(20.0).reshape(4, 5) + 1)


def _mean3(block):
    padded = np.pad(block, 1, constant_values=np.nan) if block.ndim == 2 else block
    out = np.zeros_like(block)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            out += np.roll(np.roll(block, di, 0), dj, 1)
    del padded
    return out / 9


def test_map_focal_matches_in_memory_interior():
    data = np.random.default_rng(2).random((12, 12))
    mem = map_focal(_mean3, make_raster(data), depth=1)
    lazy = map_focal(_mean3, make_raster(data, backend="dask", chunks=(4, 4)), depth=1)
    np.testing.assert_allclose(lazy.values[1:-1, 1:-1], mem.values[1:-1, 1:-1])


def test_chunk_smaller_than_window_is_refused():
    with pytest.raises(ParameterError, match="chunk size 2 is smaller than the focal window"):
        map_focal(_mean3, make_raster(np.ones((6, 6)), backend="dask", chunks=(2, 2)), depth=3)


def test_global_step_refuses_dask():
    with pytest.raises(BackendError, match=r"cost distance is a global step.*Fix: compute it"):
        require_in_memory(
            make_raster(np.ones((4, 4)), backend="dask"),
            "cost distance",
            "compute it on an in-memory array",
        )


def test_chunked_bincount_with_weights():
    codes = np.array([[0, 1, 2, -1], [1, 1, 5, 2]])
    w = np.arange(8.0).reshape(2, 4)
    expect = np.bincount([0, 1, 2, 1, 1, 2], weights=[0, 1, 2, 4, 5, 7], minlength=4)
    got = chunked_bincount(
        make_raster(codes, backend="dask", chunks=(1, 3)),
        4,
        make_raster(w, backend="dask", chunks=(1, 3)),
    )
    np.testing.assert_array_equal(got, expect)
    np.testing.assert_array_equal(chunked_bincount(codes, 4, w), expect)


_PROGRESS = {"computed": 0}


def _counted_double(b: np.ndarray) -> np.ndarray:
    """Twice the block, counting the blocks computed (in-process workers share the module)."""
    _PROGRESS["computed"] += 1
    return b * 2


@pytest.mark.parametrize("scheduler", ["threads", "distributed"])
def test_computed_blocks_keep_the_next_blocks_computing_within_the_bound(scheduler):
    """Issue 17 item 4: while the caller holds a block, later blocks compute (the writes
    overlap the compute), never more than ``ahead`` of them, and the blocks come in C order."""
    import time

    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    data = np.arange(48.0 * 64).reshape(48, 64)
    _PROGRESS["computed"] = 0
    lazy = da.from_array(data, chunks=(16, 8)).map_blocks(
        _counted_double, meta=np.array((), dtype=float)
    )
    with contextlib.ExitStack() as stack:
        if scheduler == "distributed":
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
                )
            )
            stack.enter_context(Client(cluster))
        else:
            stack.enter_context(dask.config.set(scheduler="threads", num_workers=2))
        got, ahead_seen = [], []
        for block in computed_blocks(lazy, ahead=4):
            time.sleep(0.05)  # a slow write: the pipeline fills up meanwhile
            got.append(block)
            ahead_seen.append(_PROGRESS["computed"] - len(got))
    assert len(got) == 24  # 3 rows x 8 columns of chunks
    whole = np.vstack([np.hstack(got[r * 8 : (r + 1) * 8]) for r in range(3)])
    np.testing.assert_array_equal(whole, data * 2)
    assert max(ahead_seen) <= 4  # a whole row (8 blocks) at once before
    assert max(ahead_seen[:-4]) >= 2  # blocks computed while the first ones were held


class _RecordingClient:
    """Stands for a distributed client: records the bytes of each graph it is given."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def nthreads(self) -> dict[str, int]:
        return {"worker": 1}

    def compute(self, collection):
        import cloudpickle
        import dask

        self.sent.append(len(cloudpickle.dumps(dict(collection.__dask_graph__()))))
        value = dask.compute(collection, scheduler="synchronous")[0]
        return type("Done", (), {"result": lambda self: value})()

    def cancel(self, futures) -> None:
        pass


def test_each_block_goes_to_the_client_with_only_its_own_graph(monkeypatch):
    """An in-memory map beside a chunked one (a simulated map scored against the observed
    map read from its file): each block, and each per-block result of an encoded write,
    is sent with only its own pieces of the maps, not the whole maps (which the client
    shipped once per block)."""
    from landcarbon import backend

    held = np.arange(400 * 300, dtype=np.int32).reshape(400, 300)  # 480 kB
    other = make_raster(np.ones((400, 300), np.int32)).chunk({"y": 100, "x": 150})
    summed = map_cells(np.add, other, make_raster(held), dtype=np.int32).data
    client = _RecordingClient()
    monkeypatch.setattr(backend, "_distributed_client", lambda: client)
    blocks = list(computed_blocks(summed))
    sums = list(backend.computed_in_order(backend.block_results(np.sum, summed)))
    out = np.concatenate([np.concatenate(blocks[i : i + 2], axis=1) for i in range(0, 8, 2)])
    np.testing.assert_array_equal(out, held + 1)
    assert sums == [int(b.sum()) for b in blocks]
    piece = 100 * 150 * 4  # bytes of one block of a map (both maps here are numpy-backed)
    assert len(client.sent) == 16
    assert all(2 * piece < size < 3 * piece for size in client.sent), client.sent


def test_placed_blocks_fill_an_array_block_by_block():
    """Uneven chunks of a bands x rows x columns stack: each block's slices put it back
    where it came from, in C order of the blocks."""
    import dask.array as da

    values = np.arange(3 * 7 * 5, dtype=np.float32).reshape(3, 7, 5)
    lazy = da.from_array(values, chunks=((2, 1), (3, 3, 1), (4, 1)))
    out = np.full_like(values, -1)
    places = []
    for at, block in placed_blocks(lazy):
        out[at] = block
        places.append(tuple((s.start, s.stop) for s in at))
    np.testing.assert_array_equal(out, values)
    assert len(places) == 2 * 3 * 2
    assert places[:3] == [
        ((0, 2), (0, 3), (0, 4)),
        ((0, 2), (0, 3), (4, 5)),
        ((0, 2), (3, 6), (0, 4)),
    ]
