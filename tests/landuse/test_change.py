"""Transfer matrix, gains/losses and dynamic degree: hand case, Plum Island, properties."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from landcarbon.errors import AlignmentError, ParameterError
from landcarbon.grid import Grid
from landcarbon.landuse.change import (
    comprehensive_dynamic_degree,
    single_dynamic_degree,
    transfer_matrix,
)
from landcarbon.raster import CLASS_NODATA, read_raster
from landcarbon.testing import make_raster

N = CLASS_NODATA
BEFORE = np.array([[1, 1, 2], [1, 2, 2], [N, 1, 1]], dtype=np.int32)
AFTER = np.array([[1, 2, 2], [1, 2, 1], [N, 1, 2]], dtype=np.int32)
CELL_HA = 0.09  # 30 m x 30 m


def _hand() -> object:
    return transfer_matrix(make_raster(BEFORE), make_raster(AFTER), years=(2000, 2010))


def test_hand_case_matrix_in_every_unit():
    tm = _hand()
    # pairs cell by cell: (1,1) (1,2) (2,2) / (1,1) (2,2) (2,1) / nodata (1,1) (1,2)
    # -> 1->1: 3, 1->2: 2, 2->1: 1, 2->2: 2
    np.testing.assert_array_equal(tm.cells, [[3, 2], [1, 2]])
    np.testing.assert_allclose(tm.area_ha, [[0.27, 0.18], [0.09, 0.18]], rtol=1e-12)
    np.testing.assert_allclose(tm.area_km2, [[0.0027, 0.0018], [0.0009, 0.0018]], rtol=1e-12)
    # row 1 = 0.45 ha: 0.27/0.45 = 60 %, 0.18/0.45 = 40 %; row 2 = 0.27 ha: 1/3, 2/3
    np.testing.assert_allclose(tm.percent_of_row, [[60, 40], [100 / 3, 200 / 3]], rtol=1e-12)
    assert tm.cells_valid_in_one_date_only == 0


def test_hand_case_gains_losses_net_swap():
    ch = _hand().class_changes()
    # class 1: t0 5 cells = 0.45 ha, t1 4 cells = 0.36 ha, kept 0.27 ha
    #   gain = 0.36 - 0.27 = 0.09, loss = 0.45 - 0.27 = 0.18, net = -0.09, swap = 2 * 0.09
    # class 2: t0 0.27, t1 0.36, kept 0.18: gain 0.18, loss 0.09, net +0.09, swap 0.18
    np.testing.assert_allclose(ch["gain_ha"], [0.09, 0.18], rtol=1e-12)
    np.testing.assert_allclose(ch["loss_ha"], [0.18, 0.09], rtol=1e-12)
    np.testing.assert_allclose(ch["net_ha"], [-0.09, 0.09], rtol=1e-12)
    np.testing.assert_allclose(ch["swap_ha"], [0.18, 0.18], rtol=1e-12)
    np.testing.assert_allclose(ch["total_change_ha"], [0.27, 0.27], rtol=1e-12)
    np.testing.assert_allclose(ch["persistence_ha"], [0.27, 0.18], rtol=1e-12)


def test_hand_case_dynamic_degrees():
    tm = _hand()
    # single: (0.36 - 0.45) / 0.45 / 10 * 100 = -2 %/yr; (0.36 - 0.27) / 0.27 / 10 * 100 = 3.333
    np.testing.assert_allclose(single_dynamic_degree(tm), [-2.0, 10 / 3], rtol=1e-12)
    # comprehensive: changed 3 cells = 0.27 ha, total 0.72 ha, T = 10
    # transfer_out: 0.27 / (2 * 0.72) / 10 * 100 = 1.875; gross: 2 * 0.27 -> 3.75
    # net: (|-0.09| + |0.09|) / 1.44 / 10 * 100 = 1.25
    assert comprehensive_dynamic_degree(tm) == pytest.approx(1.875, rel=1e-12)
    assert comprehensive_dynamic_degree(tm, "gross") == pytest.approx(3.75, rel=1e-12)
    assert comprehensive_dynamic_degree(tm, "net") == pytest.approx(1.25, rel=1e-12)


def test_class_absent_at_t0_gives_infinite_single_dynamic_degree():
    tm = transfer_matrix(make_raster(BEFORE), make_raster(AFTER), years=(0, 1), codes=(1, 2, 3))
    assert np.isnan(single_dynamic_degree(tm).loc[3])  # 0 -> 0: 0/0
    after = AFTER.copy()
    after[0, 0] = 3
    tm = transfer_matrix(make_raster(BEFORE), make_raster(after), years=(0, 1))
    assert np.isinf(single_dynamic_degree(tm).loc[3])


def test_long_table_is_sankey_ready():
    table = _hand().long_table()
    assert list(table.columns) == [
        "from",
        "to",
        "cells",
        "area_ha",
        "area_km2",
        "percent_of_from",
    ]
    assert table[["from", "to", "cells"]].values.tolist() == [
        [1, 1, 3],
        [1, 2, 2],
        [2, 1, 1],
        [2, 2, 2],
    ]


def test_nodata_at_one_date_only_is_counted_not_tabulated():
    after = AFTER.copy()
    after[0, 0] = N
    tm = transfer_matrix(make_raster(BEFORE), make_raster(after))
    assert tm.cells_valid_in_one_date_only == 1
    np.testing.assert_array_equal(tm.cells, [[2, 2], [1, 2]])


def test_dask_matches_numpy_and_stays_chunked():
    rng = np.random.default_rng(0)
    before = rng.integers(1, 5, size=(17, 23)).astype(np.int32)
    after = np.where(rng.random((17, 23)) < 0.2, rng.integers(1, 5, size=(17, 23)), before)
    before[0, :4] = N
    after[0, :4] = N
    eager = transfer_matrix(make_raster(before), make_raster(after))
    lazy = transfer_matrix(
        make_raster(before, "dask", (4, 5)), make_raster(after.astype(np.int32), "dask", (4, 5))
    )
    np.testing.assert_array_equal(lazy.cells, eager.cells)
    np.testing.assert_array_equal(lazy.area_ha, eager.area_ha)


def test_geographic_grid_uses_true_row_areas():
    rng = np.random.default_rng(1)
    before = rng.integers(1, 4, size=(6, 5)).astype(np.int32)
    after = rng.integers(1, 4, size=(6, 5)).astype(np.int32)
    kw = {"cell_size": 0.5, "crs": "EPSG:4326", "origin": (100.0, 50.0)}
    a, b = make_raster(before, **kw), make_raster(after, **kw)
    tm = transfer_matrix(a, b)
    cell_ha = Grid.from_dataarray(a).cell_area_ha()
    # brute force: the true area of the cells of each (from, to) pair
    expected = [[cell_ha[(before == i) & (after == j)].sum() for j in (1, 2, 3)] for i in (1, 2, 3)]
    np.testing.assert_allclose(tm.area_ha, expected, rtol=1e-12)
    assert cell_ha[0, 0] < cell_ha[-1, 0]  # northern rows are smaller
    lazy = transfer_matrix(a.chunk({"y": 4, "x": 3}), b.chunk({"y": 4, "x": 3}))
    np.testing.assert_allclose(lazy.area_ha, tm.area_ha, rtol=1e-12)


def test_plum_island_1985_1991_matches_published_matrix(shared_data):
    folder = shared_data / "lulcc_plum_island"
    expected = json.loads((folder / "expected.json").read_text())
    published = expected["published"]["transfer_matrix_1985_to_1991"]
    maps = {y: read_raster(folder / f"lu_pie_{y}.tif", "categorical") for y in (1985, 1991, 1999)}
    tm = transfer_matrix(maps[1985], maps[1991], years=(1985, 1991))
    assert tm.codes == (1, 2, 3)
    np.testing.assert_array_equal(tm.cells, [published[k] for k in ("Forest", "Built", "Other")])
    cell_m = expected["grid"]["cell_m"]
    np.testing.assert_allclose(tm.area_ha, tm.cells * cell_m[0] * cell_m[1] / 1e4, rtol=1e-12)
    derived = expected["derived_check"]
    for (y0, y1), key in {
        (1985, 1999): "transfer_matrix_1985_to_1999",
        (1991, 1999): "transfer_matrix_1991_to_1999",
    }.items():
        rows = derived[key]
        np.testing.assert_array_equal(
            transfer_matrix(maps[y0], maps[y1]).cells,
            [rows[k] for k in ("Forest", "Built", "Other")],
        )
    counts = derived["class_counts"]
    np.testing.assert_array_equal(tm.cells.sum(axis=1), [counts["1985"][k] for k in "123"])
    np.testing.assert_array_equal(tm.cells.sum(axis=0), [counts["1991"][k] for k in "123"])
    # single dynamic degree of Built: (40350 - 37122) / 37122 / 6 * 100 %/yr (cell areas cancel)
    assert single_dynamic_degree(tm).loc[2] == pytest.approx(3228 / 37122 / 6 * 100, rel=1e-12)


def test_maps_of_different_grids_are_refused():
    a = make_raster(BEFORE)
    b = make_raster(AFTER, origin=(500_030.0, 4_000_000.0))
    with pytest.raises(
        AlignmentError,
        match=r"the second map is not on the grid of the first map: origin .* shifted by "
        r"\(1, -0\) cells.*Fix: warp it",
    ):
        transfer_matrix(a, b)
    with pytest.raises(AlignmentError, match="cell size"):
        transfer_matrix(a, make_raster(AFTER, cell_size=10.0))


def test_codes_that_miss_a_class_of_the_map_are_refused():
    with pytest.raises(ParameterError, match=r"1 cells hold class codes \[2\] that are not among"):
        transfer_matrix(
            make_raster(np.array([[1, 2]], np.int32)),
            make_raster(np.array([[1, 1]], np.int32)),
            codes=(1,),
        )


def test_dynamic_degree_needs_increasing_years():
    tm = transfer_matrix(make_raster(BEFORE), make_raster(AFTER))
    with pytest.raises(ParameterError, match=r"no years; pass years=\(t0, t1\)"):
        single_dynamic_degree(tm)
    tm = transfer_matrix(make_raster(BEFORE), make_raster(AFTER), years=(2010, 2000))
    with pytest.raises(ParameterError, match="must follow the first"):
        comprehensive_dynamic_degree(tm)
    with pytest.raises(ParameterError, match="numerator 'all'"):
        comprehensive_dynamic_degree(_hand(), "all")  # type: ignore[arg-type]


maps_strategy = st.integers(2, 7).flatmap(
    lambda rows: st.tuples(
        arrays(np.int32, (rows, 5), elements=st.sampled_from([1, 2, 5, int(N)])),
        arrays(np.int32, (rows, 5), elements=st.sampled_from([1, 2, 5, 9])),
    )
)


@settings(max_examples=40, deadline=None)
@given(maps_strategy)
def test_rows_sum_to_t0_class_areas_and_columns_to_t1(pair):
    before, after = pair
    after = np.where(before == N, N, after).astype(np.int32)  # shared nodata mask
    if np.all(before == N):
        return
    tm = transfer_matrix(make_raster(before), make_raster(after))
    for k, code in enumerate(tm.codes):
        assert tm.area_t0_ha[k] == pytest.approx(CELL_HA * np.sum(before == code), rel=1e-12)
        assert tm.area_t1_ha[k] == pytest.approx(CELL_HA * np.sum(after == code), rel=1e-12)
    assert tm.cells.sum() == np.sum(before != N)
    ch = tm.class_changes()
    np.testing.assert_allclose(
        ch["total_change_ha"], ch["net_ha"].abs() + ch["swap_ha"], atol=1e-12
    )


def test_joint_index_of_three_maps_cell_by_cell():
    """The one-pass joint index: sparse codes, three maps, every flag, uneven blocks."""
    from landcarbon.landuse.change import _joint_index

    codes = np.array([11, 21, 46], dtype=np.int64)  # K = 3: flags 27 (unknown), 28 (partial)
    a = np.array([[11, 21, 46, N, N, 99, 11], [46, 46, 21, 11, 12, N, 21]], dtype=np.int32)
    b = np.array([[21, 21, 11, N, 11, 11, 46], [46, 11, 21, 99, 11, N, 46]], dtype=np.int32)
    c = np.array([[46, 11, 21, N, 21, 46, 46], [11, 46, 21, 11, 46, N, 11]], dtype=np.int32)
    got = _joint_index(a, b[:, :], c.T.copy().T, codes=codes)  # a Fortran-ordered block too
    # (11, 21, 46) -> 0*9 + 1*3 + 2 = 5; (21, 21, 11) -> 9 + 3 + 0 = 12; (46, 11, 21) -> 18 + 0
    # + 1 = 19; (21, 46, 11) -> 15; all nodata -> -1; nodata in one map only -> 28; 99 or
    # 12 (not a code) -> 27
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, [[5, 12, 19, -1, 28, 27, 8], [24, 20, 13, 27, 27, -1, 15]])
