"""Slope, priority-flood, D8 accumulation and LS: hand cases, analytic planes, references."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod
from skimage.morphology import reconstruction

from landcarbon.erosion._kernels import priority_flood
from landcarbon.erosion.terrain import (
    cell_sizes_m,
    csle_class_exponent,
    flow_routing,
    invest_exponent,
    l_factor_desmet_govers,
    l_factor_point,
    mccool_exponent,
    s_factor_csle,
    s_factor_rusle,
    slope_deg,
    topography,
)
from landcarbon.errors import BackendError, ParameterError, RasterError
from landcarbon.grid import Grid
from landcarbon.testing import assert_backends_agree, make_raster


# ------------------------------------------------------------------------------ slope
def test_horn_hand_case_esri() -> None:
    # ESRI "How Slope works" window, 5 m cells:
    #   50 45 50 / 30 30 30 / 8 10 10
    # dz/dx = ((50 + 2*30 + 10) - (50 + 2*30 + 8)) / (8*5) = (120 - 118) / 40 = 0.05
    # dz/dy = ((8 + 2*10 + 10) - (50 + 2*45 + 50)) / (8*5) = (38 - 190) / 40 = -3.8
    # slope = atan(sqrt(0.05² + 3.8²)) = atan(3.800329) = 75.2576 degrees (ESRI: 75.25)
    z = np.array([[50.0, 45, 50], [30, 30, 30], [8, 10, 10]])
    got = float(slope_deg(make_raster(z, cell_size=5.0))[1, 1])
    assert got == pytest.approx(np.degrees(np.arctan(np.hypot(0.05, 3.8))), rel=1e-14)
    assert got == pytest.approx(75.2576, abs=1e-4)


def test_horn_equals_numpy_gradient_on_quadratics() -> None:
    # Horn's 1-2-1 weighted central differences are exact for any quadratic surface,
    # as numpy.gradient's central differences are: the interiors must agree.
    rng = np.random.default_rng(np.random.SeedSequence(7))
    a, b, c, d, e = rng.normal(size=5)
    yy, xx = np.mgrid[0:40, 0:50] * 30.0
    z = 1e-3 * (a * xx**2 + b * yy**2 + c * xx * yy) + d * xx + e * yy
    gy, gx = np.gradient(z, 30.0)
    ref = np.degrees(np.arctan(np.hypot(gx, gy)))
    got = slope_deg(make_raster(z)).values
    np.testing.assert_allclose(got[1:-1, 1:-1], ref[1:-1, 1:-1], rtol=1e-11, atol=1e-11)


def test_slope_geographic_dem_uses_metres() -> None:
    # A 0.0005° grid at 30°N whose elevation rises 0.2 m per metre northward along the
    # meridian (geodesic distances on WGS84): slope is atan(0.2) = 11.3099°, not the
    # ~89.99° a slope in degrees of arc would give.
    geod = Geod(ellps="WGS84")
    rows, cols, step = 12, 10, 0.0005
    lat_centres = 30.0 + step * (rows - np.arange(rows) - 0.5)
    _, _, north_m = geod.inv(np.zeros(rows), np.full(rows, 30.0), np.zeros(rows), lat_centres)
    z = np.repeat((0.2 * north_m)[:, None], cols, axis=1)
    dem = make_raster(z, cell_size=step, crs="EPSG:4326", origin=(110.0, 30.0 + step * rows))
    got = slope_deg(dem).values[1:-1, 1:-1]
    np.testing.assert_allclose(got, np.degrees(np.arctan(0.2)), atol=1e-6)


def test_cell_sizes_geographic_follow_the_ellipsoid() -> None:
    # WGS84: one degree of longitude along the parallel at φ is N(φ) cos φ × π/180
    # (Snyder 1987 eq. 4-18 family): 54 955.86 m at 60.5°N. North-south, the meridian
    # arc of the row is close to M(φ) × π/180 with M = a(1-e²)/(1-e² sin²φ)^1.5.
    grid = make_raster(np.zeros((2, 2)), cell_size=1.0, crs="EPSG:4326", origin=(0.0, 61.0))
    dx, dy = cell_sizes_m(Grid.from_dataarray(grid))
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    phi = np.radians([60.5, 59.5])
    parallel = a * np.cos(phi) / np.sqrt(1 - e2 * np.sin(phi) ** 2) * np.pi / 180
    np.testing.assert_allclose(dx, parallel, rtol=1e-9)
    assert dx[0] == pytest.approx(54955.86, abs=0.01)
    meridian = a * (1 - e2) / (1 - e2 * np.sin(phi) ** 2) ** 1.5 * np.pi / 180
    np.testing.assert_allclose(dy, meridian, rtol=1e-6)


def test_slope_backends_agree_and_nodata_holes() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(3))
    z = np.cumsum(rng.normal(size=(11, 13)), axis=1) * 10
    z[5, 6] = np.nan
    got = assert_backends_agree(slope_deg, make_raster(z), chunks=(4, 5))
    assert np.isnan(got.values[5, 6])
    assert np.isfinite(np.delete(got.values.ravel(), 5 * 13 + 6)).all()


def test_slope_without_crs_is_refused() -> None:
    dem = make_raster(np.zeros((3, 3)))
    dem = dem.drop_vars("spatial_ref")
    dem.attrs.pop("grid_mapping", None)
    with pytest.raises(RasterError, match="DEM has no CRS"):
        slope_deg(dem)


# ----------------------------------------------------------------- depressions and flow
def test_priority_flood_hand_case() -> None:
    # A 3x3 basin (5, 5, 5 / 5, 1, 5 / 5, 5, 5) inside a rim of 9 with one notch of 8:
    # water spills over the notch, so the basin fills to 8 and the rim stays.
    z = np.array(
        [
            [9, 9, 9, 9, 9],
            [9, 5, 5, 5, 9],
            [9, 5, 1, 5, 9],
            [9, 5, 5, 5, 9],
            [9, 9, 8, 9, 9],
        ],
        dtype=np.float64,
    )
    filled, _, order = priority_flood(z)
    expected = z.copy()
    expected[1:4, 1:4] = 8.0
    np.testing.assert_array_equal(filled, expected)
    assert order[0] == 4 * 5 + 2  # the notch is the lowest outlet, processed first
    routing = flow_routing(make_raster(z))
    # every cell drains through the notch: rim cells fall into the filled basin, the
    # flat basin drains along the flood's parents to the notch, an outlet
    assert routing.accumulation_cells[4, 2] == 25
    assert routing.accumulation_cells.max() == 25


def test_priority_flood_matches_morphological_reconstruction() -> None:
    # Independent reference: depression filling is grey-scale reconstruction by
    # erosion from the border (Soille 2004), as scikit-image implements it.
    rng = np.random.default_rng(np.random.SeedSequence(21))
    z = rng.uniform(0, 100, size=(40, 37)).round(1)
    seed = z.copy()
    seed[1:-1, 1:-1] = z.max()
    ref = reconstruction(seed, z, method="erosion")
    filled, _, _ = priority_flood(z)
    np.testing.assert_array_equal(filled, ref)


def test_flow_accumulation_conserves_cells_with_holes_and_flats() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(5))
    z = rng.integers(0, 4, size=(30, 30)).astype(np.float64)  # many flats and pits
    z[10:13, 14:16] = np.nan
    routing = flow_routing(make_raster(z))
    acc = routing.accumulation_cells
    assert np.isnan(acc[10:13, 14:16]).all()
    assert np.nanmin(acc) >= 1
    # every valid cell reaches exactly one outlet: the outlet totals sum to the cells
    valid = ~np.isnan(z)
    outlets = _outlet_mask(routing, valid)
    assert acc[outlets].sum() == valid.sum()


def _outlet_mask(routing, valid: np.ndarray) -> np.ndarray:
    """Cells whose accumulation is not passed on: acc equals 1 + what flows in."""
    acc = routing.accumulation_cells
    rows, cols = acc.shape
    inflow = np.zeros_like(acc)
    # recompute receivers independently from the accumulation: a donor's receiver is the
    # neighbour whose accumulation exceeds it by at least the donor's (a D8 tree).
    from landcarbon.erosion._kernels import d8_receivers, priority_flood

    filled, parent, _ = priority_flood(np.where(valid, routing.filled, np.nan))
    receiver, _, _ = d8_receivers(filled, parent, np.full(rows, 30.0), np.full(rows, 30.0))
    for u in np.flatnonzero(valid.ravel()):
        r = receiver[u]
        if r >= 0:
            inflow.ravel()[r] += acc.ravel()[u]
    np.testing.assert_array_equal(acc[valid], 1 + inflow[valid])
    return valid & (receiver.reshape(rows, cols) < 0)


def test_flow_routing_refuses_dask() -> None:
    dem = make_raster(np.ones((6, 6)), backend="dask")
    with pytest.raises(BackendError, match="flow accumulation is a global step"):
        flow_routing(dem)


# ----------------------------------------------------------------------------- L and S
def test_s_factor_published_values() -> None:
    # METHODS.md §7 test values (McCool 1987 below 10°, Liu et al. 1994 from 10°):
    # 3° -> 10.8 sin3 + 0.03 = 0.5952; 7° -> 16.8 sin7 - 0.50 = 1.5474;
    # 20° -> 21.91 sin20 - 0.96 = 6.5337; 30° -> 21.91 * 0.5 - 0.96 = 9.995
    got = s_factor_csle(np.array([3.0, 7.0, 20.0, 30.0]))
    np.testing.assert_allclose(got, [0.5952, 1.5474, 6.5337, 9.995], atol=5e-5)
    # unit plot, 9 % = 5.1428°: S = 1.005 (METHODS.md §7); jumps at 5° and 10°
    assert s_factor_csle(np.array(np.degrees(np.arctan(0.09)))) == pytest.approx(1.005, abs=1e-3)
    lo, hi = s_factor_csle(np.array([np.nextafter(10.0, 0), 10.0]))
    assert lo == pytest.approx(2.417, abs=1e-3) and hi == pytest.approx(2.845, abs=1e-3)


def test_s_factor_rusle_breaks_at_nine_percent() -> None:
    theta = np.degrees(np.arctan([0.08, 0.10]))
    s = np.sin(np.radians(theta))
    np.testing.assert_allclose(s_factor_rusle(theta), [10.8 * s[0] + 0.03, 16.8 * s[1] - 0.5])


def test_mccool_exponent_hand_value() -> None:
    # θ = atan(0.09): sin θ = 0.09 / sqrt(1.0081) = 0.0896377; sinθ^0.8 = 0.1452087;
    # β = (0.0896377 / 0.0896) / (3 * 0.1452087 + 0.56) = 1.0004208 / 0.9956260 = 1.0048158;
    # m = β / (1 + β) = 1.0048158 / 2.0048158 = 0.5012011
    got = float(mccool_exponent(np.array(np.degrees(np.arctan(0.09)))))
    assert got == pytest.approx(0.5012011, abs=1e-7)
    np.testing.assert_array_equal(
        csle_class_exponent(np.array([0.5, 1.0, 2.0, 4.0, 5.0, 6.0])),
        [0.2, 0.2, 0.3, 0.4, 0.4, 0.5],
    )
    pct = np.array([0.5, 2.0, 4.0, 7.0])
    np.testing.assert_array_equal(
        invest_exponent(np.degrees(np.arctan(pct / 100))), [0.2, 0.3, 0.4, 0.5]
    )


def _plane(theta_deg: float, rows: int = 5, cols: int = 40, cell: float = 10.0):
    x = np.arange(cols) * cell
    z = np.repeat((200.0 - np.tan(np.radians(theta_deg)) * x)[None, :], rows, axis=0)
    return make_raster(z, cell_size=cell)


def test_ls_accumulation_rule_and_mccool_on_a_plane() -> None:
    # The options kept beside the CSLE defaults. Plane falling east at 8°, 10 m cells:
    # column c drains c + 1 cells, so the accumulation rule gives λ = 10 (c + 1) m (the
    # distance from the divide to the cell's lower edge), capped at 300 m; L = (λ/22.13)^m
    # with McCool's m(8°) and S = 16.8 sin 8° - 0.5.
    topo = topography(
        _plane(8.0), slope_length="accumulation", exponent="mccool", lambda_max_m=300.0
    )
    cols = np.arange(1, 39)
    lam = np.minimum(10.0 * (cols + 1), 300.0)
    m = mccool_exponent(np.array(8.0))
    expected = (lam / 22.13) ** m * (16.8 * np.sin(np.radians(8.0)) - 0.5)
    for row in range(1, 4):
        np.testing.assert_allclose(topo.slope_deg.values[row, cols], 8.0, rtol=1e-12)
        np.testing.assert_allclose(topo.slope_length_m.values[row, cols], lam, rtol=1e-12)
        np.testing.assert_allclose(topo.ls_factor.values[row, cols], expected, rtol=1e-10)


def test_ls_classes_exponent_on_steep_plane() -> None:
    # 25°: m = 0.5 (CSLE classes), S = 21.91 sin 25° - 0.96 (Liu et al. 1994); the
    # default cumulative λ runs to the cell centre: 10 (c + 0.5) m
    topo = topography(_plane(25.0))
    lam = 10.0 * (np.arange(1, 39) + 0.5)
    expected = (lam / 22.13) ** 0.5 * (21.91 * np.sin(np.radians(25.0)) - 0.96)
    np.testing.assert_allclose(topo.ls_factor.values[2, 1:39], expected, rtol=1e-10)


def test_desmet_govers_plane_averages_to_usle_l() -> None:
    # On a uniform slope of n cells the Desmet-Govers L is the Foster-Wischmeier
    # segment L; its mean over the slope equals the USLE L of the whole length:
    # Σ_c D^m ((c+1)^(m+1) - c^(m+1)) / 22.13^m / n = (n D / 22.13)^m.
    d, n, m = 10.0, 30, 0.45
    inlet = np.arange(n) * d * d
    l_cells = l_factor_desmet_govers(inlet, np.full(n, d), np.ones(n), np.full(n, m))
    assert l_cells.mean() == pytest.approx(float(l_factor_point(np.array(n * d), m)), rel=1e-12)


def test_ls_rusle_on_a_plane() -> None:
    topo = topography(_plane(8.0), method="rusle", l_max=1e6)
    m = float(invest_exponent(np.array(8.0)))
    c = np.arange(1, 39)
    l_exp = 10.0**m * ((c + 1) ** (m + 1) - c ** (m + 1)) / 22.13**m
    s = 16.8 * np.sin(np.radians(8.0)) - 0.5
    np.testing.assert_allclose(topo.ls_factor.values[2, c], l_exp * s, rtol=1e-10)


def test_ls_nodata_hole_and_parameters() -> None:
    dem = _plane(8.0, rows=8, cols=8)
    dem.values[3, 3] = np.nan
    topo = topography(dem)
    assert np.isnan(topo.ls_factor.values[3, 3])
    assert np.isfinite(np.delete(topo.ls_factor.values.ravel(), 3 * 8 + 3)).all()
    with pytest.raises(ParameterError, match=r"LS method 'usle' is unknown; select from"):
        topography(dem, method="usle")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="exponent 'x' is unknown"):
        topography(dem, exponent="x")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"slope-length rule 'd8' is unknown"):
        topography(dem, slope_length="d8")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="must be > 0"):
        topography(dem, lambda_max_m=0)
    with pytest.raises(ParameterError, match=r"cutoff_steep \(1.5\) must be within 0-1"):
        topography(dem, cutoff_steep=1.5)


def test_ls_csle_on_a_diagonal_plane_uses_the_diagonal_length() -> None:
    # Plane falling south-east, z = 200 - 0.05 (x + y) with x east and y south (m), 10 m
    # cells. The diagonal step drops 2 × 0.5 m over 10√2 m (gradient 0.0707), more than
    # the 0.05 of a cardinal step, so every cell drains diagonally and cell (r, c) lies
    # min(r, c) + 1 cells down its chain: λ = (min(r, c) + 0.5) × 10√2 m, the horizontal
    # distance along the flow path to the cell centre. Horn's slope is exact on a plane:
    # atan(0.05 √2) = 4.0446°, so m = 0.4 (3°-5°) and S = 10.8 sinθ + 0.03.
    n, d, g = 16, 10.0, 0.05
    rr, cc = np.mgrid[0:n, 0:n] * d
    topo = topography(make_raster(200.0 - g * (rr + cc), cell_size=d))
    inner = (slice(1, n - 1), slice(1, n - 1))
    r, c = np.mgrid[0:n, 0:n]
    lam = (np.minimum(r, c) + 0.5) * d * np.sqrt(2.0)
    theta = np.degrees(np.arctan(g * np.sqrt(2.0)))
    np.testing.assert_allclose(topo.slope_deg.values[inner], theta, rtol=1e-12)
    np.testing.assert_allclose(topo.slope_length_m.values[inner], lam[inner], rtol=1e-12)
    expected = (lam / 22.13) ** 0.4 * (10.8 * np.sin(np.radians(theta)) + 0.03)
    np.testing.assert_allclose(topo.ls_factor.values[inner], expected[inner], rtol=1e-10)


# ------------------------------------------------ CSLE practice: cumulative λ, m classes
@pytest.mark.parametrize(
    ("theta", "m", "s_hand"),
    [
        # m by the CSLE classes; S by hand: 10.8 sinθ + 0.03 (< 5°), 16.8 sinθ - 0.50
        # (5°-10°), 21.91 sinθ - 0.96 (≥ 10°)
        (0.8, 0.2, 10.8 * 0.0139622 + 0.03),  # sin 0.8° = 0.0139622
        (2.0, 0.3, 10.8 * 0.0348995 + 0.03),  # sin 2° = 0.0348995
        (4.0, 0.4, 10.8 * 0.0697565 + 0.03),  # sin 4° = 0.0697565
        (8.0, 0.5, 16.8 * 0.1391731 - 0.50),  # sin 8° = 0.1391731
        (25.0, 0.5, 21.91 * 0.4226183 - 0.96),  # sin 25° = 0.4226183
    ],
)
def test_csle_defaults_on_planes_per_slope_class(theta: float, m: float, s_hand: float) -> None:
    # Plane falling east, 10 m cells, 40 columns. Column 0 is a divide (no donor): λ =
    # half its flow length, 5 m; each column adds one cell, so λ = 10 (c + 0.5) m grows
    # along the flow path, uncapped, to 395 m at the outlet column. L = (λ/22.13)^m.
    topo = topography(_plane(theta))
    cols = np.arange(40)
    lam = 10.0 * (cols + 0.5)
    for row in range(5):
        np.testing.assert_allclose(topo.slope_length_m.values[row], lam, rtol=1e-12)
    inner = np.arange(1, 39)  # Horn's slope is exact away from the map edges
    np.testing.assert_allclose(topo.l_factor.values[2, inner], (lam[inner] / 22.13) ** m)
    np.testing.assert_allclose(topo.s_factor.values[2, inner], s_hand, atol=1e-6)
    # one value fully by hand: column 10, λ = 105 m, 105 / 22.13 = 4.744690
    assert topo.l_factor.values[2, 10] == pytest.approx(4.744690**m, rel=1e-6)


def test_cumulative_slope_length_on_a_cone_follows_radial_flow() -> None:
    # Cone z = 100 - 0.3 r (r in m from the corner shared by cells (9, 9) and (10, 10)),
    # 20 x 20 cells of 10 m. Cells on the diagonal drain diagonally away from the apex
    # (gradient 0.3 against 0.24-0.29 cardinally), the four central cells are peaks
    # (no donor: half a diagonal step), so the diagonal cell k steps out has
    # λ = (k + 0.5) × 10√2 m = r, its distance from the apex. The column beside the
    # north-south axis drains due south (0.290 against 0.283 diagonally) and its cell k
    # steps below the central row starts without donor: λ = 10 k - 5 m. The
    # accumulation rule would give (k + 1) × 10√2 on the diagonal.
    n, d = 20, 10.0
    y, x = (np.mgrid[0:n, 0:n] + 0.5) * d
    r = np.hypot(x - 100.0, y - 100.0)
    topo = topography(make_raster(100.0 - 0.3 * r, cell_size=d))
    lam = topo.slope_length_m.values
    k = np.arange(10)
    np.testing.assert_allclose(lam[10 + k, 10 + k], (k + 0.5) * d * np.sqrt(2.0), rtol=1e-12)
    np.testing.assert_allclose(lam[9 - k, 9 - k], (k + 0.5) * d * np.sqrt(2.0), rtol=1e-12)
    # ... except the map's last row: that cell drains east along the edge at 0.88°, far
    # below half the 16.7° above it, so its slope length starts again at one cell
    axis = np.append(10.0 * (k[:8] + 1) - 5.0, 10.0)
    np.testing.assert_allclose(lam[11 + k[:9], 10], axis, rtol=1e-12)
    m = np.where(topo.slope_deg.values[10 + k[:-1], 10 + k[:-1]] > 5.0, 0.5, 0.4)
    np.testing.assert_allclose(
        topo.l_factor.values[10 + k[:-1], 10 + k[:-1]],
        ((k[:-1] + 0.5) * d * np.sqrt(2.0) / 22.13) ** m,
        rtol=1e-12,
    )


def _broken_plane(g_upper: float, g_lower: float, cols: int = 40, break_at: int = 20):
    # falls east: drop 10 g per cell step, g_upper above column `break_at`, g_lower from it
    drops = np.where(np.arange(cols - 1) < break_at, g_upper, g_lower) * 10.0
    z = 200.0 - np.concatenate([[0.0], np.cumsum(drops)])
    return make_raster(np.repeat(z[None, :], 5, axis=0), cell_size=10.0)


@pytest.mark.parametrize(
    ("g_upper", "g_lower", "cut"),
    [
        # steep: 11.31° -> 4.57° is below 0.5 x 11.31°: slope length starts again
        (0.20, 0.08, True),
        # steep: 11.31° -> 6.84° keeps more than half the angle: no cut
        (0.20, 0.12, False),
        # gentle (< 5 %, factor 0.7): 2.29° -> 1.72° keeps 75 %: no cut
        (0.04, 0.03, False),
        # gentle: 2.29° -> 1.43° keeps 62.5 %, below 0.7 (a 0.5 factor would not cut)
        (0.04, 0.025, True),
    ],
)
def test_slope_cutoff_where_the_slope_flattens(g_upper: float, g_lower: float, cut: bool) -> None:
    lam = topography(_broken_plane(g_upper, g_lower)).slope_length_m.values[2]
    cols = np.arange(40)
    uncut = 10.0 * (cols + 0.5)
    # a cut column starts again at one cell (10 m), then adds 10 m a column
    expected = np.where(cols < 20, uncut, 10.0 * (cols - 19)) if cut else uncut
    np.testing.assert_allclose(lam, expected, rtol=1e-12)


def test_slope_cutoff_factors_are_options() -> None:
    dem = _broken_plane(0.20, 0.08)
    lam = topography(dem, cutoff_steep=0.0).slope_length_m.values[2]
    np.testing.assert_allclose(lam, 10.0 * (np.arange(40) + 0.5), rtol=1e-12)
    capped = topography(dem, cutoff_steep=0.0, lambda_max_m=100.0).slope_length_m.values[2]
    np.testing.assert_allclose(capped, np.minimum(10.0 * (np.arange(40) + 0.5), 100.0))


def test_segment_l_form_on_a_plane() -> None:
    # Foster & Wischmeier's segment L over each cell's flow path: on the 25° plane
    # (m = 0.5, 10 m cells) column c spans λ from 10 c to 10 (c + 1) m, so
    # L_c = ((10 (c+1))^1.5 - (10 c)^1.5) / (10 × 22.13^0.5); column 0 by hand:
    # 10^1.5 / (10 × 4.704253) = 31.622777 / 47.04253 = 0.672217. Over the 40 columns
    # the mean is the point L of the whole 400 m slope, (400 / 22.13)^0.5 = 4.251472.
    topo = topography(_plane(25.0), l_form="segment")
    c = np.arange(40)
    expected = ((10.0 * (c + 1)) ** 1.5 - (10.0 * c) ** 1.5) / (10.0 * 22.13**0.5)
    np.testing.assert_allclose(topo.l_factor.values[2], expected, rtol=1e-12)
    assert topo.l_factor.values[2, 0] == pytest.approx(0.672217, abs=1e-6)
    assert topo.l_factor.values[2].mean() == pytest.approx(4.251472, abs=1e-6)
    with pytest.raises(ParameterError, match=r"L form 'average' is unknown"):
        topography(_plane(25.0), l_form="average")  # type: ignore[arg-type]
