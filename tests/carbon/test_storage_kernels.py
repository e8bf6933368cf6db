"""Carbon kernels: class-pair counts and float32 maps against plain numpy references."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from landcarbon.carbon import POOLS, Valuation, sequestration_map, storage_map, storage_maps
from landcarbon.carbon._kernels import pair_counts
from landcarbon.carbon.classes import ClassIndex
from landcarbon.carbon.outputs import write_carbon_outputs
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA
from landcarbon.tables import ClassTable, table_from_records
from landcarbon.testing import make_raster

CODES = np.array([2, 3, 5, 8])
TOTALS = {2: 86.0, 3: 28.0, 5: 8.0, 8: 131.5}  # t C/ha, put in c_above (other pools 0)


def pools() -> ClassTable:
    records = [dict(lucode=k, c_above=v, c_below=0, c_soil=0, c_dead=0) for k, v in TOTALS.items()]
    return table_from_records(records, "pools.csv", required=POOLS, nonnegative=POOLS)


def blocky_pair(seed: int, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Two class maps with runs along rows (as land use has), nodata, code 4 not in CODES."""
    rng = np.random.default_rng(seed)
    choices = np.array([2, 3, 5, 8, 4, CLASS_NODATA], dtype=np.int32)
    first = np.repeat(rng.choice(choices, (shape[0], shape[1] // 3 + 1)), 3, axis=1)
    first = first[:, : shape[1]]
    second = np.where(rng.random(shape) < 0.3, rng.choice(choices, shape), first)
    return first.astype(np.int32), second.astype(np.int32)


def rows_of(codes: np.ndarray) -> np.ndarray:
    """Reference table row per cell: index in CODES, 4 (= n) unknown, 5 (= n + 1) nodata."""
    out = np.full(codes.shape, len(CODES))
    for i, c in enumerate(CODES):
        out[codes == c] = i
    out[codes == CLASS_NODATA] = len(CODES) + 1
    return out


def test_pair_counts_match_a_bincount_of_cell_pairs():
    first, second = blocky_pair(1, (9, 31))
    index = ClassIndex.of(CODES, "t")
    n = len(CODES)
    row_area = np.linspace(0.5, 1.3, first.shape[0])  # a different area per row (ha)
    counts, area = pair_counts(
        first, second, row_area, index.lo, index.index_lut, n, int(CLASS_NODATA)
    )
    pairs = (rows_of(first) * (n + 2) + rows_of(second)).ravel()
    expected = np.bincount(pairs, minlength=(n + 2) ** 2).reshape(n + 2, n + 2)
    np.testing.assert_array_equal(counts, expected)
    weights = np.repeat(row_area, first.shape[1])
    expected_area = np.bincount(pairs, weights, minlength=(n + 2) ** 2).reshape(n + 2, n + 2)
    np.testing.assert_allclose(area, expected_area, rtol=1e-14)
    assert counts.sum() == first.size  # every cell counted once, runs included


@pytest.mark.parametrize("crs", ["EPSG:32650", "EPSG:4326"])
def test_pair_table_chunked_equals_whole(crs: str):
    first, second = blocky_pair(2, (13, 22))
    first[first == 4], second[second == 4] = 2, 3  # pair_table refuses unknown codes
    size = 30.0 if crs == "EPSG:32650" else 0.01
    a = make_raster(first, cell_size=size, crs=crs, origin=(110.0, 45.0))
    b = make_raster(second, cell_size=size, crs=crs, origin=(110.0, 45.0))
    index = ClassIndex.of(CODES, "t")
    counts, area = index.pair_table(a, b, ("a", "b"))
    lazy_counts, lazy_area = index.pair_table(a.chunk({"y": 5, "x": 7}), b.chunk(4), ("a", "b"))
    np.testing.assert_array_equal(lazy_counts, counts)
    np.testing.assert_allclose(lazy_area, area, rtol=1e-13)
    # independent: each row's true area times the cells of each pair in that row
    row_area = Grid.from_dataarray(a).row_area_ha()
    n = len(CODES)
    pairs = rows_of(first) * (n + 2) + rows_of(second)
    weights = np.broadcast_to(row_area[:, None], first.shape).ravel()
    expected = np.bincount(pairs.ravel(), weights, minlength=(n + 2) ** 2)
    np.testing.assert_allclose(area.ravel(), expected, rtol=1e-13)


@pytest.mark.parametrize("per_cell_units", [False, True])
@pytest.mark.parametrize("backend", ["numpy", "dask"])
def test_float32_maps_are_the_float64_values_rounded_once(per_cell_units: bool, backend: str):
    first, second = blocky_pair(3, (12, 17))
    first[first == 4], second[second == 4] = 8, 5
    opts = {"cell_size": 0.01, "crs": "EPSG:4326", "origin": (110.0, 45.0)}
    chunks = {"chunks": (5, 6)} if backend == "dask" else {}
    a = make_raster(first, backend=backend, **chunks, **opts)
    b = make_raster(second, backend=backend, **chunks, **opts)
    dens = np.array([np.nan if c == CLASS_NODATA else TOTALS[c] for c in first.ravel()])
    dens_b = np.array([np.nan if c == CLASS_NODATA else TOTALS[c] for c in second.ravel()])
    scale = Grid.from_dataarray(a).row_area_ha()[:, None] if per_cell_units else 1.0
    cur64 = dens.reshape(first.shape) * scale
    change64 = (dens_b - dens).reshape(first.shape) * scale
    cur = storage_map(a, pools(), per_cell_units=per_cell_units, dtype=np.float32)
    change = sequestration_map(a, b, pools(), per_cell_units=per_cell_units, dtype=np.float32)
    assert cur.dtype == np.float32 and change.dtype == np.float32
    np.testing.assert_array_equal(cur.values, cur64.astype(np.float32))
    np.testing.assert_array_equal(change.values, change64.astype(np.float32))
    f64 = sequestration_map(a, b, pools(), per_cell_units=per_cell_units).values
    np.testing.assert_array_equal(f64, change64)  # float64 maps unchanged: no rounding


def test_default_output_files_hold_the_maps(tmp_path: Path):
    first, second = blocky_pair(4, (40, 300))  # wider than a 256 tile
    first[first == 4], second[second == 4] = 3, 2
    a, b = make_raster(first), make_raster(second)
    value = Valuation(43.0, 7.0, 0.0, 2000, 2030)
    write_carbon_outputs(tmp_path, a, pools(), b, value)
    dens = np.vectorize(lambda c: np.nan if c == CLASS_NODATA else TOTALS[int(c)])
    change64 = dens(second) - dens(first)
    expected = {
        "c_storage_bas": (dens(first), "t C/ha"),
        "c_storage_alt": (dens(second), "t C/ha"),
        "c_change_bas_alt": (change64, "t C/ha"),
        "npv_alt": (change64 * value.constant, "value/ha"),
    }
    for name, (values, units) in expected.items():
        with rasterio.open(tmp_path / f"{name}.tif") as ds:
            assert ds.dtypes[0] == "float32" and ds.descriptions == (name,)
            assert ds.tags(1)["units"] == units
            np.testing.assert_array_equal(ds.read(1), values.astype(np.float32))


@pytest.mark.parametrize("per_cell_units", [False, True])
@pytest.mark.parametrize("backend", ["numpy", "dask"])
def test_all_pools_in_one_pass_equal_the_reference_per_pool(per_cell_units: bool, backend: str):
    """storage_maps (one parallel pass for the total and the four pools) gives each pool's
    float64 density (x true cell area) rounded once: the values of one pass per pool."""
    first, _ = blocky_pair(5, (33, 70))
    first[first == 4] = 5
    opts = {"cell_size": 0.01, "crs": "EPSG:4326", "origin": (110.0, 45.0)}
    chunks = {"chunks": (10, 32)} if backend == "dask" else {}
    lulc = make_raster(first, backend=backend, **chunks, **opts)
    rng = np.random.default_rng(8)
    records = [
        dict(lucode=k, **{p: round(float(rng.uniform(0, 200)), 3) for p in POOLS}) for k in CODES
    ]
    table = table_from_records(records, "pools.csv", required=POOLS, nonnegative=POOLS)
    scale = Grid.from_dataarray(lulc).row_area_ha()[:, None] if per_cell_units else 1.0
    maps = storage_maps(lulc, table, per_cell_units=per_cell_units, dtype=np.float32)
    assert list(maps) == ["total", *POOLS]
    for pool, da in maps.items():
        density = {
            r["lucode"]: sum(r[p] for p in POOLS) if pool == "total" else r[pool] for r in records
        }
        ref = np.array([np.nan if c == CLASS_NODATA else density[c] for c in first.ravel()])
        expected = (ref.reshape(first.shape) * scale).astype(np.float32)
        assert da.dtype == np.float32 and da.attrs["units"] == (
            "t C per cell" if per_cell_units else "t C/ha"
        )
        np.testing.assert_array_equal(da.values, expected)
        one = storage_map(lulc, table, pool, per_cell_units=per_cell_units, dtype=np.float32)
        np.testing.assert_array_equal(one.values, da.values)
        assert one.name == da.name


@pytest.mark.parametrize(
    "codes",
    [CODES, np.array([-7, -2, 0, 5])],  # small positive codes (base 0) and a base below 0
)
def test_numpy_row_cells_equal_the_numba_row_counts(
    codes: np.ndarray, monkeypatch: pytest.MonkeyPatch
):
    from landcarbon.carbon import classes
    from landcarbon.carbon._kernels import row_counts

    rng = np.random.default_rng(12)
    # the table's codes, codes below, between and above them, int32's largest, nodata
    choices = np.array([*codes, -9, 4, 7, 2**31 - 1, CLASS_NODATA], dtype=np.int32)
    block = rng.choice(choices, (37, 23)).astype(np.int32)
    index = ClassIndex.of(codes, "t")
    n = len(codes)
    expected, _ = row_counts(
        block, np.ones(block.shape[0]), index.lo, index.index_lut, n, int(CLASS_NODATA)
    )
    reference = [int((block == c).sum()) for c in codes]
    nodata = int((block == CLASS_NODATA).sum())
    reference += [block.size - sum(reference) - nodata, nodata]
    assert expected.tolist() == reference
    assert index.row_cells(block).tolist() == reference
    monkeypatch.setattr(classes, "STRIP_CELLS", 50)  # strips of two rows sum the same
    assert index.row_cells(block).tolist() == reference


@pytest.mark.parametrize("backend", ["numpy", "dask"])
@pytest.mark.parametrize("codes", [CODES, np.array([-7, -2, 0, 5])])
def test_lookup_gives_nan_for_every_code_outside_the_table(
    codes: np.ndarray, backend: str, monkeypatch: pytest.MonkeyPatch
):
    """The numpy lookup's clip mode: nodata, codes below, between and above the table's
    codes (int32's extremes included) give NaN; the table's codes their density, in
    float32 as the float64 density rounded."""
    values = np.array([1.1, 2.2, 3.3, 4.4])
    outside = [-9, 4, 7, 2**31 - 1, CLASS_NODATA]
    row = np.array([[*codes, *outside, *codes[::-1]]], dtype=np.int32)
    chunks = {"chunks": (1, 3)} if backend == "dask" else {}
    lulc = make_raster(np.repeat(row, 3, axis=0), backend=backend, **chunks)
    records = [
        dict(lucode=int(k), c_above=v, c_below=0, c_soil=0, c_dead=0)
        for k, v in zip(codes, values, strict=True)
    ]
    table = table_from_records(records, "pools.csv", required=POOLS, nonnegative=POOLS)
    from landcarbon.carbon import classes

    monkeypatch.setattr(classes, "STRIP_CELLS", 5)  # in memory: one strip per row
    got = storage_maps(lulc, table, ("total", "c_above"), check=False, dtype=np.float32)
    expected = np.array([*values, *[np.nan] * len(outside), *values[::-1]])
    for da in got.values():
        assert da.dtype == np.float32
        np.testing.assert_array_equal(da.values, np.repeat([expected.astype(np.float32)], 3, 0))


def test_maps_are_made_one_at_a_time_as_they_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """write_carbon_outputs makes each map just before writing it, so a map in memory
    holds one float32 map at a time (five would be 8 GB at 20000 x 20000)."""
    from landcarbon.carbon import outputs

    first, second = blocky_pair(6, (20, 30))
    first[first == 4], second[second == 4] = 3, 2
    events: list[str] = []
    monkeypatch.setattr(
        outputs, "storage_map", _logged(outputs.storage_map, events, lambda a: f"make {a[2]}")
    )
    monkeypatch.setattr(
        outputs, "write_raster", _logged(outputs.write_raster, events, lambda a: a[1].stem)
    )
    write_carbon_outputs(tmp_path, make_raster(first), pools(), all_pools=True)
    pairs = [f"make {p}" for p in ("total", *POOLS)]
    names = ["c_storage_bas", *(f"{p}_bas" for p in POOLS)]
    assert events == [e for pair in zip(pairs, names, strict=True) for e in pair]
    with rasterio.open(tmp_path / "c_above_bas.tif") as ds:  # the same values as before
        dens = np.vectorize(lambda c: np.nan if c == CLASS_NODATA else TOTALS[int(c)])
        np.testing.assert_array_equal(ds.read(1), dens(first).astype(np.float32))


def _logged(func, events: list[str], label):  # type: ignore[no-untyped-def]
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        events.append(label(args))
        return func(*args, **kwargs)

    return wrapper
