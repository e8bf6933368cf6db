"""Any reasonable xarray input in the public functions (landcarbon.arrays coercion).

Each case opens a real file with ``rioxarray.open_rasterio`` (band dimension, nodata 255
in the cells or masked to NaN, uint8 or float32) and compares with the values the same
function gives on landcarbon's own reader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import rioxarray
import xarray as xr
from affine import Affine
from rasterio.crs import CRS

from landcarbon.arrays import categorical, continuous
from landcarbon.backend import CLASS_NODATA
from landcarbon.carbon.emissions import emission_totals
from landcarbon.carbon.storage import change_totals, read_pools, storage_map, storage_totals
from landcarbon.errors import ParameterError
from landcarbon.grid import Grid
from landcarbon.landuse.accuracy import agreement, figure_of_merit
from landcarbon.landuse.change import transfer_matrix
from landcarbon.landuse.simulate import markov_demand
from landcarbon.raster import from_numpy, read_raster
from landcarbon.tables import table_from_records


def _opened(path: Path) -> dict[str, xr.DataArray]:
    """The ways a user may hold one file: raw (band, nodata in cells), masked, squeezed,
    landcarbon's continuous read, an integral float64 copy with nodata -1."""
    raw = rioxarray.open_rasterio(path)
    assert isinstance(raw, xr.DataArray)
    masked = rioxarray.open_rasterio(path, masked=True)
    as_float = raw.squeeze("band", drop=True).astype(np.float64)
    as_float = as_float.where(as_float != 255, -1.0).rio.write_nodata(-1.0)
    return {
        "raw": raw,
        "masked": masked,
        "squeezed": raw.squeeze("band", drop=True),
        "continuous_read": read_raster(path),
        "float_nodata_-1": as_float,
    }


@pytest.fixture(scope="module")
def willamette(shared_data: Path) -> Path:
    return shared_data / "invest_willamette_carbon"


def test_carbon_storage_any_input(willamette: Path):
    pools = read_pools(willamette / "carbon_pools_samp.csv")
    cur, fut = willamette / "lulc_samp_cur.tif", willamette / "lulc_samp_fut.tif"
    ref_map = storage_map(read_raster(cur, "categorical"), pools)
    ref_total = storage_totals(read_raster(cur, "categorical"), pools).total_t_c
    ref_change = change_totals(
        read_raster(cur, "categorical"), read_raster(fut, "categorical"), pools
    ).sequestration_t_c
    assert ref_total == pytest.approx(41401390.815, rel=1e-12)
    for how, lulc in _opened(cur).items():
        assert storage_totals(lulc, pools).total_t_c == ref_total, how
        out = storage_map(lulc, pools)
        assert out.dims == ("y", "x"), how
        np.testing.assert_array_equal(out.values, ref_map.values, err_msg=how)
        future = _opened(fut)[how]
        assert change_totals(lulc, future, pools).sequestration_t_c == ref_change, how


def test_emissions_any_input(willamette: Path):
    cur = willamette / "lulc_samp_cur.tif"
    ref = read_raster(cur, "categorical")
    codes = sorted(int(c) for c in np.unique(ref.values) if c != CLASS_NODATA)
    factors = table_from_records(
        [{"code": c, "factor_t_c_per_ha_yr": 0.01 * c} for c in codes],
        "factors",
        required=["factor_t_c_per_ha_yr"],
    )
    expected = emission_totals(ref, factors)
    for how, lulc in _opened(cur).items():
        assert emission_totals(lulc, factors).equals(expected), how


def test_transfer_matrix_markov_accuracy_any_input(shared_data: Path):
    folder = shared_data / "lulcc_plum_island"
    a, b = folder / "lu_pie_1985.tif", folder / "lu_pie_1991.tif"
    ref_a, ref_b = read_raster(a, "categorical"), read_raster(b, "categorical")
    published = np.array([[46672, 1926, 415], [0, 37085, 37], [359, 1339, 25730]])
    ref_demand = markov_demand(ref_a, ref_b, years=(1985, 1991), target_year=1997)
    c = folder / "lu_pie_1999.tif"
    ref_fom = figure_of_merit(ref_a, ref_b, read_raster(c, "categorical"))
    opened_a, opened_b = _opened(a), _opened(b)
    for how in opened_a:
        da, db = opened_a[how], opened_b[how]
        tm = transfer_matrix(da, db, years=(1985, 1991))
        assert tm.codes == (1, 2, 3), how  # nodata 255 is not a class
        np.testing.assert_array_equal(tm.cells, published, err_msg=how)
        demand = markov_demand(da, db, years=(1985, 1991), target_year=1997)
        np.testing.assert_array_equal(demand.cells, ref_demand.cells, err_msg=how)
        assert demand.cells.sum() == 113563
        assert agreement(da, db).overall_accuracy == agreement(ref_a, ref_b).overall_accuracy
        fom = figure_of_merit(da, db, _opened(c)[how])
        np.testing.assert_array_equal(fom.counts, ref_fom.counts, err_msg=how)
        assert fom.overall == ref_fom.overall, how


def test_numpy_with_grid():
    grid = Grid((2, 3), Affine(100, 0, 0, 0, -100, 0), CRS.from_epsg(32650))
    codes = np.array([[1, 2, 255], [2, 2, 1]], dtype=np.uint8)
    lulc = from_numpy(codes, grid, nodata=255)
    out = categorical(lulc)
    assert out.dtype == np.int32
    assert out.values.tolist() == [[1, 2, int(CLASS_NODATA)], [2, 2, 1]]
    pools = table_from_records(
        [
            {"code": 1, "c_above": 1.0, "c_below": 0, "c_soil": 0, "c_dead": 0},
            {"code": 2, "c_above": 2.0, "c_below": 0, "c_soil": 0, "c_dead": 0},
        ],
        "pools",
    )
    # 1 ha cells: 2 cells of class 1 (1 t C/ha) and 3 of class 2 (2 t C/ha)
    assert storage_totals(lulc, pools).total_t_c == pytest.approx(8.0)
    values = continuous(from_numpy(np.array([[1, 2, 3], [4, -9, 6]], np.int16), grid, nodata=-9))
    assert values.dtype == np.float64
    assert np.isnan(values.values[1, 1]) and values.values[1, 2] == 6.0


def test_bad_inputs_name_the_fix():
    grid = Grid((1, 2), Affine(100, 0, 0, 0, -100, 0), CRS.from_epsg(32650))
    with pytest.raises(ParameterError, match=r"the map: got a ndarray.*from_numpy\(array, grid\)"):
        categorical(np.zeros((2, 2), np.int32))
    two_bands = xr.concat([from_numpy(np.ones((1, 2), np.int32), grid)] * 2, dim="band")
    with pytest.raises(ParameterError, match=r"expected one band \(y, x\); select the band"):
        categorical(two_bands)
    fractional = from_numpy(np.array([[1.0, 1.5]]), grid, name="lulc_2020")
    with pytest.raises(ParameterError, match=r"lulc_2020: 1 cells are not integer class codes"):
        categorical(fractional)


def test_erosion_and_sinks_any_input(willamette: Path, tmp_path: Path):

    from landcarbon.erosion.soil import k_factor_from_table
    from landcarbon.erosion.terrain import slope_deg
    from landcarbon.sinks.vegetation import vegetation_storage_table

    cur = willamette / "lulc_samp_cur.tif"
    ref = read_raster(cur, "categorical")
    codes = sorted(int(c) for c in np.unique(ref.values) if c != CLASS_NODATA)
    table = table_from_records(
        [{"code": c, "k": 0.001 * c, "density": 2.0 * c} for c in codes],
        "by code",
        required=["k", "density"],
    )
    expected_k = k_factor_from_table(ref, table).values
    expected_veg = vegetation_storage_table(ref, table)
    for how, soil in _opened(cur).items():
        np.testing.assert_array_equal(k_factor_from_table(soil, table).values, expected_k, how)
        assert vegetation_storage_table(soil, table).equals(expected_veg), how
    # an int16 DEM with nodata -9999 in its cells
    dem = tmp_path / "dem.tif"
    z = (np.add.outer(np.arange(6), 2 * np.arange(7)) * 10).astype(np.int16)
    z[2, 3] = -9999
    profile = {"driver": "GTiff", "width": 7, "height": 6, "count": 1, "dtype": "int16"}
    transform = Affine(30, 0, 500000, 0, -30, 4000000)
    with rasterio.open(dem, "w", **profile, crs="EPSG:32650", transform=transform,
                       nodata=-9999) as dst:  # fmt: skip
        dst.write(z, 1)
    expected = slope_deg(read_raster(dem)).values
    assert np.isnan(expected[2, 3]) and np.isfinite(expected[2, 2])
    np.testing.assert_array_equal(slope_deg(rioxarray.open_rasterio(dem)).values, expected)


def test_nep_importance_and_cost_distance_any_input(tmp_path: Path):
    from landcarbon.carbon.nep import net_ecosystem_production
    from landcarbon.sinks.importance import importance_index
    from landcarbon.sinks.mcr import cost_distance

    path = tmp_path / "npp.tif"
    z = (np.arange(1, 43).reshape(6, 7) * 10).astype(np.int16)
    z[2, 3] = -9999
    profile = {"driver": "GTiff", "width": 7, "height": 6, "count": 1, "dtype": "int16"}
    transform = Affine(30, 0, 500000, 0, -30, 4000000)
    with rasterio.open(path, "w", **profile, crs="EPSG:32650", transform=transform,
                       nodata=-9999) as dst:  # fmt: skip
        dst.write(z, 1)
    raw, ref = rioxarray.open_rasterio(path), read_raster(path)
    half = ref / 2
    nep = net_ecosystem_production(raw, half).values
    np.testing.assert_array_equal(nep, net_ecosystem_production(ref, half).values)
    assert np.isnan(nep[2, 3]) and nep[0, 0] == 5.0
    layers = {"nep": raw, "soil": half}
    expected = importance_index({"nep": ref, "soil": half}, {"nep": 0.5, "soil": 0.5})
    np.testing.assert_array_equal(
        importance_index(layers, {"nep": 0.5, "soil": 0.5}).values, expected.values
    )
    sources = from_numpy(
        (np.arange(42).reshape(6, 7) == 0).astype(np.int32), Grid.from_dataarray(ref)
    )
    np.testing.assert_array_equal(
        cost_distance(raw, sources).cost.values, cost_distance(ref, sources).cost.values
    )
