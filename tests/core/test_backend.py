"""Backend dispatch: per-cell, focal and global steps on numpy and dask."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.backend import chunked_bincount, map_cells, map_focal, require_in_memory
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
