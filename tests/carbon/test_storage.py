"""Storage, sequestration, valuation: hand cases, InVEST's unit cases, properties, backends."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from landcarbon.carbon import (
    POOLS,
    Valuation,
    read_pools,
    sequestration_map,
    storage_map,
    storage_totals,
)
from landcarbon.carbon.outputs import carbon_account
from landcarbon.carbon.storage import change_totals
from landcarbon.classes import named_scheme
from landcarbon.errors import AlignmentError, ParameterError, TableError
from landcarbon.raster import CLASS_NODATA
from landcarbon.tables import ClassTable, table_from_records
from landcarbon.testing import assert_backends_agree, make_raster

INVEST_POOLS = {1: (15, 10, 60, 1), 2: (5, 3, 20, 0), 3: (2, 1, 5, 0)}


def pools_of(rows: Mapping[int, Sequence[float]]) -> ClassTable:
    records = [dict(lucode=k, **dict(zip(POOLS, v, strict=True))) for k, v in rows.items()]
    return table_from_records(records, "pools.csv", required=POOLS, nonnegative=POOLS)


def test_hand_case_per_ha_per_cell_and_totals():
    pools = pools_of(INVEST_POOLS)
    lulc = make_raster(np.array([[1, 1], [2, CLASS_NODATA]], dtype=np.int32))  # 30 m: 0.09 ha
    per_ha = storage_map(lulc, pools)
    # class 1: 15 + 10 + 60 + 1 = 86 t/ha; class 2: 5 + 3 + 20 + 0 = 28 t/ha; nodata NaN
    np.testing.assert_array_equal(per_ha.values, [[86.0, 86.0], [28.0, np.nan]])
    # per cell: 86 x 0.09 = 7.74, 28 x 0.09 = 2.52
    np.testing.assert_allclose(
        storage_map(lulc, pools, per_cell_units=True).values, [[7.74, 7.74], [2.52, np.nan]]
    )
    totals = storage_totals(lulc, pools)
    # 2 cells x 0.09 ha x 86 + 1 x 0.09 x 28 = 15.48 + 2.52 = 18.0 t C
    assert totals.total_t_c == pytest.approx(18.0, rel=1e-15)
    row1 = totals.by_class.set_index("code").loc[1]
    assert row1["cells"] == 2
    assert row1["c_soil_t_c"] == pytest.approx(2 * 0.09 * 60)  # 10.8
    assert totals.by_class.set_index("code").loc[3, "total_t_c"] == 0.0  # absent class


def test_invest_unit_cases(shared_data: Path):
    cases = json.loads((shared_data / "invest_willamette_carbon" / "unit_cases.json").read_text())
    unit = cases["published_invest_unit_tests"]
    pools = pools_of({int(k): tuple(v) for k, v in unit["pools_table"].items() if k != "_order"})
    # 2x2 map of 1 m pixels; densities 5000, 60, 120 t/ha per class (one pool here)
    two = unit["carbon_map_2x2"]
    dens = pools_of({int(k): (v, 0, 0, 0) for k, v in two["total_Mg_per_ha_by_class"].items()})
    lulc = make_raster(np.array(two["lulc"], dtype=np.int32), cell_size=1.0)
    got = storage_map(lulc, dens, per_cell_units=True).values
    np.testing.assert_allclose(got, two["expected_Mg_per_pixel"], rtol=1e-12)
    # valuation constant
    args = unit["valuation_constant"]["args"]
    v = Valuation(
        args["price_per_metric_ton_of_c"],
        args["discount_rate"],
        args["rate_change"],
        args["lulc_cur_year"],
        args["lulc_fut_year"],
    )
    assert v.constant == pytest.approx(unit["valuation_constant"]["value"], abs=5e-6)
    # NPV per 1 m pixel of a 10x10 map: cur all class 1, fut all class 2 (or 3, "redd")
    cur = make_raster(np.ones((10, 10), dtype=np.int32), cell_size=1.0)
    for label, expected in unit["npv_per_pixel"].items():
        rc = 2.8 if "rate_change=2.8" in label else 0.0
        dr = -7.1 if "discount=-7.1" in label else 0.0
        val = Valuation(43, dr, rc, 2016, 2030)
        for scenario, code in (("fut", 2), ("redd", 3)):
            fut = make_raster(np.full((10, 10), code, dtype=np.int32), cell_size=1.0)
            seq = sequestration_map(cur, fut, pools, per_cell_units=True)
            npv = val.value_map(seq).values
            np.testing.assert_allclose(npv, expected[scenario], rtol=5e-7)


def test_valuation_closed_form_matches_the_sum():
    # rho = 1/(1.07 x 1.02); sum_{t<30} rho^t written out term by term
    v = Valuation(43.0, 7.0, 2.0, 2000, 2030)
    direct = 43.0 / 30 * sum(1 / (1.07**t * 1.02**t) for t in range(30))
    assert v.constant == pytest.approx(direct, rel=1e-13)
    assert Valuation(43.0, 0.0, 0.0, 2000, 2030).constant == 43.0  # rho = 1: V


def test_valuation_bad_years_and_rates():
    with pytest.raises(ParameterError, match="future year must be after"):
        Valuation(43, 7, 0, 2030, 2000)
    with pytest.raises(ParameterError, match=r"discount rate -100 % is invalid"):
        Valuation(43, -100, 0, 2000, 2030)


def test_geographic_crs_uses_true_cell_areas():
    pools = pools_of({1: (1, 0, 0, 0)})
    lulc = make_raster(
        np.ones((2, 1), dtype=np.int32), cell_size=0.01, crs="EPSG:4326", origin=(110.0, 30.02)
    )
    from landcarbon.grid import Grid

    rows = Grid.from_dataarray(lulc).row_area_ha()
    assert rows[0] != rows[1]  # rows at 30.01-30.02 and 30.00-30.01 deg differ
    # 1 t/ha x (area of row 0 + area of row 1)
    assert storage_totals(lulc, pools).total_t_c == pytest.approx(rows.sum(), rel=1e-14)
    np.testing.assert_allclose(storage_map(lulc, pools, per_cell_units=True).values[:, 0], rows)


def test_missing_code_lists_codes_and_counts_before_output(tmp_path: Path):
    pools = pools_of(INVEST_POOLS)
    lulc = make_raster(np.array([[1, 7], [9, 9]], dtype=np.int32))
    with pytest.raises(TableError, match=r"missing from the table: 7 \(1 cells\), 9 \(2 cells\)"):
        storage_map(lulc, pools)
    from landcarbon.carbon import write_carbon_outputs

    with pytest.raises(TableError):
        write_carbon_outputs(tmp_path / "out", lulc, pools)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_bad_pools_tables(tmp_path: Path):
    path = tmp_path / "pools.csv"
    path.write_text("LUCODE,C_ABOVE,C_below,c_soil,c_dead\n1,-2,1,1,1\n2,,1,1,1\n")
    with pytest.raises(TableError) as err:
        read_pools(path)
    assert str(err.value) == (
        f"{path}: column 'c_above', row 3: blank/NaN; give a density >= 0 in t C/ha; "
        f"column 'c_above', row 2: -2 is negative; give a density >= 0 in t C/ha"
    )


def test_misaligned_future_map():
    pools = pools_of(INVEST_POOLS)
    cur = make_raster(np.ones((2, 2), dtype=np.int32), name="cur")
    fut = make_raster(np.ones((2, 2), dtype=np.int32), origin=(500_030.0, 4_000_000.0), name="fut")
    with pytest.raises(AlignmentError, match=r"fut is not on the grid of cur: origin .* shifted"):
        sequestration_map(cur, fut, pools)


def test_account_sequestration_and_value():
    pools = pools_of(INVEST_POOLS)
    cur = make_raster(np.array([[1, 1], [2, CLASS_NODATA]], dtype=np.int32))
    fut = make_raster(np.array([[2, 1], [3, CLASS_NODATA]], dtype=np.int32))
    acc = carbon_account(cur, pools, fut, Valuation(10, 0, 0, 2000, 2010))
    # changes per ha: 28-86 = -58, 0, 8-28 = -20; x 0.09 ha = -5.22 - 1.8 = -7.02 t C
    assert acc.sequestration_t_c == pytest.approx(-7.02, rel=1e-14)
    assert acc.future is not None
    assert acc.future.total_t_c - acc.current.total_t_c == pytest.approx(-7.02, rel=1e-14)
    assert acc.value == pytest.approx(-70.2, rel=1e-14)  # r = c = 0: V x seq
    summary = acc.summary(co2=True)
    assert summary["sequestration_t_co2"] == pytest.approx(-7.02 * 44 / 12)
    assert set(summary) >= {"total_t_c", "future_total_t_c", "sequestration_t_c", "value"}


def test_backends_agree_and_stay_lazy():
    pools = pools_of(INVEST_POOLS)
    rng = np.random.default_rng(3)
    cur = make_raster(rng.integers(1, 4, (7, 8)).astype(np.int32))
    fut = make_raster(rng.integers(1, 4, (7, 8)).astype(np.int32))
    assert_backends_agree(lambda a: storage_map(a, pools, per_cell_units=True), cur)
    assert_backends_agree(lambda a, b: sequestration_map(a, b, pools), cur, fut)
    lazy = storage_totals(cur.chunk({"y": 3, "x": 3}), pools).by_class
    pd_eq = storage_totals(cur, pools).by_class
    np.testing.assert_array_equal(lazy["total_t_c"], pd_eq["total_t_c"])


def test_chunked_totals_send_no_numba_kernel_to_the_workers():
    """The count tasks name their kernel: a pickled numba dispatcher is rebuilt and compiled
    again in every dask worker (seconds per worker in the first step of a study)."""
    import cloudpickle
    import dask

    pools = pools_of(INVEST_POOLS)
    cur = make_raster(np.random.default_rng(4).integers(1, 4, (7, 8)).astype(np.int32))
    fut = make_raster(np.random.default_rng(5).integers(1, 4, (7, 8)).astype(np.int32))
    sent: list[bytes] = []

    def pickling_get(dsk, keys, **kwargs):  # what a distributed client would ship
        sent.extend(cloudpickle.dumps(task) for task in dsk.__dask_graph__().values())
        return dask.get(dsk, keys, **kwargs)

    with dask.config.set(scheduler=pickling_get):
        lazy = storage_totals(cur.chunk({"y": 3, "x": 3}), pools).by_class
        change = change_totals(cur.chunk({"x": 4}), fut.chunk({"x": 4}), pools)
    assert len(sent) > 9  # the chunks' count tasks and their sums
    assert not [task for task in sent if b"numba" in task]
    np.testing.assert_array_equal(
        lazy["total_t_c"], storage_totals(cur, pools).by_class["total_t_c"]
    )
    assert change.sequestration_t_c == change_totals(cur, fut, pools).sequestration_t_c


densities = st.lists(
    st.tuples(*[st.floats(0, 500, allow_nan=False) for _ in POOLS]), min_size=3, max_size=3
)


@settings(max_examples=40, deadline=None)
@given(a=densities, b=densities, k=st.floats(0, 10), seed=st.integers(0, 2**32 - 1))
def test_storage_linear_in_densities(a, b, k, seed):
    rng = np.random.default_rng(seed)
    lulc = make_raster(rng.integers(1, 4, (5, 6)).astype(np.int32))
    ta = storage_totals(lulc, pools_of(dict(enumerate(a, 1)))).total_t_c
    tb = storage_totals(lulc, pools_of(dict(enumerate(b, 1)))).total_t_c
    mix = {i + 1: tuple(x + k * y for x, y in zip(a[i], b[i], strict=True)) for i in range(3)}
    tm = storage_totals(lulc, pools_of(mix)).total_t_c
    assert tm == pytest.approx(ta + k * tb, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cut=st.integers(1, 7))
def test_storage_additive_over_splits(seed, cut):
    rng = np.random.default_rng(seed)
    data = rng.integers(1, 4, (8, 5)).astype(np.int32)
    pools = pools_of(INVEST_POOLS)
    whole = storage_totals(make_raster(data), pools).total_t_c
    top = make_raster(data[:cut])
    bottom = make_raster(data[cut:], origin=(500_000.0, 4_000_000.0 - 30.0 * cut))
    parts = storage_totals(top, pools).total_t_c + storage_totals(bottom, pools).total_t_c
    assert parts == pytest.approx(whole, rel=1e-12)


def test_sequestration_counts_only_cells_valid_in_both_maps():
    pools = pools_of(INVEST_POOLS)
    cur = make_raster(np.array([[1, 2, CLASS_NODATA]], dtype=np.int32))
    fut = make_raster(np.array([[2, CLASS_NODATA, 3]], dtype=np.int32))
    # only the first cell is valid in both: (28 - 86) x 0.09 = -5.22 t C
    totals = change_totals(cur, fut, pools)
    assert totals.sequestration_t_c == pytest.approx(-5.22, rel=1e-14)
    # class totals keep every valid cell of each map: 86 x 0.09 + 28 x 0.09 = 10.26 now,
    # 28 x 0.09 + 8 x 0.09 = 3.24 later
    assert totals.current.total_t_c == pytest.approx(10.26, rel=1e-14)
    assert totals.future.total_t_c == pytest.approx(3.24, rel=1e-14)
    assert totals.current.by_class["cells"].tolist() == [1, 1, 0]
    change = sequestration_map(cur, fut, pools).values
    np.testing.assert_array_equal(change, [[-58.0, np.nan, np.nan]])
    chunked = change_totals(cur.chunk({"x": 1}), fut.chunk({"x": 1}), pools)
    assert chunked.sequestration_t_c == pytest.approx(-5.22, rel=1e-14)
    with pytest.raises(TableError, match=r"missing from the table: 9 \(1 cells\)"):
        change_totals(cur, make_raster(np.array([[2, 9, 3]], dtype=np.int32)), pools)


def test_lookup_with_zero_negative_and_sparse_codes():
    pools = pools_of({-3: (1, 0, 0, 0), 0: (2, 0, 0, 0), 1000: (3, 0, 0, 0)})
    lulc = make_raster(np.array([[-3, 0, 1000, CLASS_NODATA]], dtype=np.int32))
    np.testing.assert_array_equal(storage_map(lulc, pools).values, [[1.0, 2.0, 3.0, np.nan]])
    # -3 and 1000: 0.09 x (1 + 2 + 3) = 0.54 t C
    assert storage_totals(lulc, pools).total_t_c == pytest.approx(0.54, rel=1e-14)
    odd = make_raster(np.array([[500, 2**31 - 1, -(2**31) + 1]], dtype=np.int32))
    with pytest.raises(TableError, match=r"-2147483647 \(1 cells\), 500 \(1 cells\), 2147483647"):
        storage_totals(odd, pools)
    np.testing.assert_array_equal(storage_map(odd, pools, check=False).values, [[np.nan] * 3])


def test_henan_table1_preset():
    from landcarbon.carbon import pools_preset

    table = pools_preset("henan_table1", named_scheme("cnlucc"))
    # study 004, Table 1 (t C/ha): forest land 20.92, 7.53, 67.3, 54.2; unused 0, 0, 53.3, 0
    assert [float(table.column(p)[2]) for p in POOLS] == [20.92, 7.53, 67.3, 54.2]
    assert [float(table.column(p)[6]) for p in POOLS] == [0, 0, 53.3, 0]
    assert table.names()[1] == "cropland"  # cnlucc's name of code 1, not the row's "arable land"
    # arable land: 4.85 + 0.92 + 58.2 + 2.84 = 66.81 t C/ha
    lulc = make_raster(np.array([[1]], dtype=np.int32))
    assert storage_map(lulc, table).values[0, 0] == pytest.approx(66.81)


def test_henan_table1_preset_without_classes_is_refused():
    from landcarbon.carbon import pools_preset

    # no silent CNLUCC default: the groups must come from classes the user named
    with pytest.raises(TableError, match=r"keyed by land-use group.*--classes"):
        pools_preset("henan_table1")


def test_change_totals_in_a_geographic_crs():
    from landcarbon.grid import Grid

    pools = pools_of(INVEST_POOLS)

    def geo(data: list[list[int]]) -> xr.DataArray:
        arr = np.array(data, dtype=np.int32)
        return make_raster(arr, cell_size=0.01, crs="EPSG:4326", origin=(110.0, 45.02))

    cur, fut = geo([[1], [1]]), geo([[2], [1]])
    rows = Grid.from_dataarray(cur).row_area_ha()
    totals = change_totals(cur, fut, pools)
    # only the top row changes, 86 -> 28 t/ha, over that row's true area
    assert totals.sequestration_t_c == pytest.approx(-58 * rows[0], rel=1e-14)
    assert totals.current.total_t_c == pytest.approx(86 * rows.sum(), rel=1e-14)
    assert totals.future.by_class["cells"].tolist() == [1, 1, 0]


def test_lookup_table_is_bounded_by_the_code_span_not_the_codes():
    from landcarbon.carbon.classes import ClassIndex

    # codes near 2e9 (dates, composite keys): a table indexed from 0 would need 16 GB
    codes = np.array([2_000_000_000, 2_000_000_003])
    base, padded = ClassIndex.of(codes, "big codes").padded_table(np.array([1.5, 2.5]))
    assert padded.size == 4 + 2  # span 4 plus a NaN slot at each end
    assert padded[codes - base].tolist() == [1.5, 2.5]
    pools = pools_of({2_000_000_000: (1.5, 0, 0, 0), 2_000_000_003: (2.5, 0, 0, 0)})
    lulc = make_raster(np.array([[2_000_000_000, 2_000_000_003, CLASS_NODATA]], dtype=np.int32))
    np.testing.assert_array_equal(storage_map(lulc, pools).values, [[1.5, 2.5, np.nan]])
    # small positive codes keep the subtraction-free table from 0
    small_base, small = ClassIndex.of(np.array([3, 5]), "small").padded_table(np.ones(2))
    assert small_base == 0 and small.size == 7


def test_henan_table1_preset_every_value():
    from landcarbon.carbon import pools_preset

    # study 004, Table 1 (t C/ha): above, below, soil (0-100 cm), dead
    table1 = {
        1: (4.85, 0.92, 58.2, 2.84),  # arable land
        2: (20.92, 7.53, 67.3, 54.2),  # forest land
        3: (1.63, 8.48, 60.2, 2.19),  # grassland
        4: (0.0, 0.0, 62.1, 0.0),  # waters
        5: (0.0, 0.0, 60.0, 0.0),  # built-up land
        6: (0.0, 0.0, 53.3, 0.0),  # unused land
    }
    table = pools_preset("henan_table1", named_scheme("cnlucc"))
    got = {int(c): tuple(float(table.column(p)[c]) for p in POOLS) for c in table.codes}
    assert got == table1


def test_change_totals_fallback_for_large_tables_agrees(monkeypatch: pytest.MonkeyPatch):
    import landcarbon.carbon.storage as storage

    pools = pools_of(INVEST_POOLS)
    rng = np.random.default_rng(11)
    cur = make_raster(rng.integers(1, 4, (6, 7)).astype(np.int32))
    fut = make_raster(rng.integers(1, 4, (6, 7)).astype(np.int32))
    fut.values[0, :3] = CLASS_NODATA
    pair = change_totals(cur, fut, pools)
    monkeypatch.setattr(storage, "MAX_PAIR_CLASSES", 1)  # force the per-cell path
    per_cell_path = storage.change_totals(cur, fut, pools)
    assert per_cell_path.sequestration_t_c == pytest.approx(pair.sequestration_t_c, rel=1e-12)
    assert per_cell_path.future.total_t_c == pytest.approx(pair.future.total_t_c, rel=1e-12)
    # independent: Σ over cells valid in both of (d_fut - d_cur) x 0.09 ha
    dens = {1: 86.0, 2: 28.0, 3: 8.0}
    both = fut.values != CLASS_NODATA
    ref = sum(dens[f] - dens[c] for c, f in zip(cur.values[both], fut.values[both], strict=True))
    assert pair.sequestration_t_c == pytest.approx(ref * 0.09, rel=1e-12)


def test_unknown_pool_name():
    lulc = make_raster(np.array([[1]], dtype=np.int32))
    with pytest.raises(ParameterError, match=r"unknown carbon pool 'soil'; use total, c_above"):
        storage_map(lulc, pools_of(INVEST_POOLS), "soil")
