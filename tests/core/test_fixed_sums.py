"""Weighted totals are added in a fixed order (fixed blocks, then the blocks in C order),
so chunked and in-memory runs give the same totals bit for bit, whatever the chunks."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.backend import SUM_BLOCK, chunked_bincount, fixed_total
from landcarbon.carbon import zone_totals
from landcarbon.erosion.csle import total
from landcarbon.landuse.change import transfer_matrix
from landcarbon.testing import make_raster

SHAPE = (700, 1100)  # 2 x 3 blocks of SUM_BLOCK, the last ones partial
CHUNKS = [(30, 70), (100, 1100), (513, 512), (700, 64)]


def _codes(seed: int, k: int = 6) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, k, SHAPE).astype(np.int32)


def test_weighted_bincount_is_the_same_for_every_chunking():
    assert SUM_BLOCK < max(SHAPE)
    rng = np.random.default_rng(1)
    codes = _codes(1) - 1  # -1: ignored
    weights = rng.random(SHAPE) * 1e4
    eager = chunked_bincount(codes, 5, weights)
    ok = codes >= 0
    np.testing.assert_allclose(eager, np.bincount(codes[ok], weights[ok], 5), rtol=1e-12)
    c, w = make_raster(codes), make_raster(weights)
    for chunks in CHUNKS:
        lazy = chunked_bincount(c.chunk(dict(zip(("y", "x"), chunks, strict=True))), 5, w)
        np.testing.assert_array_equal(lazy, eager)
        both = chunked_bincount(c, 5, w.chunk(dict(zip(("y", "x"), chunks, strict=True))))
        np.testing.assert_array_equal(both, eager)
    counts = chunked_bincount(c.chunk({"y": 100, "x": 100}), 5)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts, np.bincount(codes[ok], minlength=5))


@pytest.mark.parametrize("chunks", CHUNKS[1:])
def test_areas_on_a_geographic_grid_are_identical_chunked_and_in_memory(chunks):
    # rows of a lon/lat grid differ in true area: the transfer areas are weighted sums
    maps = [
        make_raster(_codes(s), crs="EPSG:4326", cell_size=0.01, origin=(100.0, 40.0))
        for s in (2, 3)
    ]
    eager = transfer_matrix(*maps)
    lazy = transfer_matrix(*(m.chunk({"y": chunks[0], "x": chunks[1]}) for m in maps))
    np.testing.assert_array_equal(lazy.area_ha, eager.area_ha)


def test_zone_totals_are_identical_chunked_and_in_memory():
    per_ha = make_raster(np.random.default_rng(4).random(SHAPE) * 300)
    zones = make_raster(_codes(5, 4) + 1)
    eager = zone_totals(per_ha, zones, "total_t_c")
    lazy = zone_totals(
        per_ha.chunk({"y": 90, "x": 130}), zones.chunk({"y": 90, "x": 130}), "total_t_c"
    )
    np.testing.assert_array_equal(lazy["total_t_c"], eager["total_t_c"])
    np.testing.assert_array_equal(lazy["area_ha"], eager["area_ha"])


def test_map_totals_are_identical_chunked_and_in_memory():
    values = np.random.default_rng(6).lognormal(0.0, 3.0, SHAPE)  # 4 orders of magnitude
    values[::7, ::5] = np.nan
    soil_loss = make_raster(values, crs="EPSG:4326", cell_size=0.01, origin=(100.0, 40.0))
    eager, eager_loss = fixed_total(soil_loss), total(soil_loss)
    assert eager == pytest.approx(np.nansum(values), rel=1e-12)
    for chunks in [(100, 1100), (128, 128), (700, 64)]:  # each off by 1 ulp with .sum()
        lazy = soil_loss.chunk({"y": chunks[0], "x": chunks[1]})
        assert fixed_total(lazy) == eager
        assert total(lazy) == eager_loss  # erosion: t/ha x true cell area, summed
