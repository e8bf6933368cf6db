"""Grid: cell areas in projected and geographic CRSs, alignment checks."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.crs import CRS

from landcarbon.errors import AlignmentError, RasterError
from landcarbon.grid import Grid, check_aligned, ellipsoid_band_area_m2


def test_projected_metres_cell_area():
    # 30 m x 30 m = 900 m² = 0.09 ha
    g = Grid((4, 5), Affine(30, 0, 0, 0, -30, 0), CRS.from_epsg(32650))
    assert np.all(g.cell_area_ha() == pytest.approx(0.09))
    assert g.cell_area_ha().shape == (4, 5)
    assert g.total_area_ha() == pytest.approx(20 * 0.09)


def test_projected_us_survey_feet():
    # EPSG:2263 (NY Long Island, US survey ft): 100 ft cells = (100 * 1200/3937 m)² / 1e4 ha
    g = Grid((2, 2), Affine(100, 0, 0, 0, -100, 0), CRS.from_epsg(2263))
    expected = (100 * 1200 / 3937) ** 2 / 1e4
    assert g.row_area_ha()[0] == pytest.approx(expected, rel=1e-12)


ENGINEERING_FEET = (
    'ENGCRS["local",EDATUM["site"],CS[Cartesian,2],AXIS["x",east,LENGTHUNIT["foot",0.3048]],'
    'AXIS["y",north,LENGTHUNIT["foot",0.3048]]]'
)


@pytest.mark.parametrize(
    "crs, metres",
    [
        (CRS.from_epsg(2263), 1200 / 3937),  # US survey foot
        (CRS.from_epsg(32650), 1.0),
        (CRS.from_epsg(3857), 1.0),
        (CRS.from_wkt(ENGINEERING_FEET), 0.3048),  # not projected: PROJ's axis unit
    ],
)
def test_linear_unit_is_the_crs_unit_in_metres(crs, metres):
    # GDAL's linear unit for a projected CRS (info imports no pyproj): PROJ's value, bit for bit
    unit = Grid((1, 1), Affine(1, 0, 0, 0, -1, 0), crs).linear_unit_m()
    axis = pyproj.CRS.from_wkt(crs.to_wkt()).axis_info[0].unit_conversion_factor
    assert unit == axis and unit == pytest.approx(metres, rel=1e-15)


def test_geographic_matches_geodesic_polygon():
    # a 1° x 1° cell at 30-31°N on WGS84 against pyproj.Geod on a densified polygon
    g = Grid((1, 1), Affine(1, 0, 110, 0, -1, 31), CRS.from_epsg(4326))
    lon = np.linspace(110, 111, 4001)
    lons = np.r_[lon, lon[::-1]]
    lats = np.r_[np.full_like(lon, 30.0), np.full_like(lon, 31.0)]
    geod_ha = abs(pyproj.Geod(ellps="WGS84").polygon_area_perimeter(lons, lats)[0]) / 1e4
    assert g.row_area_ha()[0] == pytest.approx(geod_ha, rel=1e-9)


def test_china_1km_grid_in_degrees_gives_hectares():
    # 0.01° cells over 20-50°N are 70-110 ha, not 1e-4 "square degrees"
    g = Grid((3000, 10), Affine(0.01, 0, 100, 0, -0.01, 50), CRS.from_epsg(4326))
    rows = g.row_area_ha()
    assert 70 < rows[0] < rows[-1] < 125
    assert np.all(np.diff(rows) > 0)  # cells grow toward the equator


def test_sphere_band_area():
    # sphere: full band area 2πR²|sin φ2 − sin φ1|
    r = 6_371_000.0
    area = ellipsoid_band_area_m2(np.array([0.0]), np.array([90.0]), r, 0.0)
    assert area[0] == pytest.approx(2 * math.pi * r * r)


@settings(max_examples=40, deadline=None)
@given(lat0=st.floats(-80, 70), rows=st.integers(1, 50), dlat=st.floats(0.01, 0.2))
def test_geographic_cell_areas_sum_to_region_area(lat0, rows, dlat):
    # property: the cells of a geographic grid add up to the true area of its extent
    top = lat0 + rows * dlat
    g = Grid((rows, 7), Affine(0.5, 0, 10, 0, -dlat, top), CRS.from_epsg(4326))
    whole = Grid((1, 1), Affine(3.5, 0, 10, 0, -(rows * dlat), top), CRS.from_epsg(4326))
    assert g.cell_area_ha().sum() == pytest.approx(whole.total_area_ha(), rel=1e-9)


def test_no_crs_is_a_clear_error():
    g = Grid((2, 2), Affine(1, 0, 0, 0, -1, 0), None)
    with pytest.raises(RasterError, match="no CRS"):
        g.cell_area_ha()


def _grid(dx=0.0, dy=0.0, crs=32650, shape=(10, 10), size=30.0):
    return Grid(shape, Affine(size, 0, 1000 + dx, 0, -size, 5000 + dy), CRS.from_epsg(crs))


@settings(max_examples=50, deadline=None)
@given(shift=st.sampled_from([(1, 0), (0, 1), (-1, 0), (0, -1), (1, 1)]))
def test_alignment_detects_any_single_pixel_shift(shift):
    ref = _grid()
    moved = _grid(dx=shift[0] * 30.0, dy=shift[1] * 30.0)
    with pytest.raises(AlignmentError, match=r"b.tif: origin .* shifted by"):
        check_aligned({"a.tif": ref, "b.tif": moved})


@pytest.mark.parametrize(
    ("other", "message"),
    [
        (_grid(crs=32649), "CRS EPSG:32649 differs from the reference EPSG:32650"),
        (_grid(shape=(10, 11)), r"shape \(10, 11\)"),
        (_grid(size=25.0), r"cell size \(25, 25\)"),
    ],
)
def test_alignment_names_file_and_difference(other, message):
    with pytest.raises(AlignmentError, match=message) as err:
        check_aligned({"lulc.tif": _grid(), "dem.tif": other})
    assert "dem.tif" in str(err.value) and "gdalwarp" in str(err.value)


def test_aligned_stack_passes():
    assert check_aligned({"a": _grid(), "b": _grid()}) == _grid()
