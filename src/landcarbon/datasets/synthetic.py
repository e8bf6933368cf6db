"""A deterministic, realistic synthetic study region at any size.

Every layer is a pure function of global cell indices, the region shape and the
seed, so any window can be computed on its own: the region scales to 10^8 cells
and beyond in chunks (:func:`write_synthetic_region` writes it window by window
without holding a whole layer in memory) and a cropped window equals the same
window of the full region.

The landscape: a fractal DEM (value-noise octaves on a hashed lattice) rising to
the north-west, slope from the DEM, temperature falling with elevation (lapse
rate 6.5 °C/km), precipitation rising eastward and with elevation, monthly
climate (12 bands), NPP from the Miami model, towns (one on each cell of a hashed
lattice of :data:`TOWN_AREA_KM2`) and the roads between lattice neighbours,
population density decaying from towns and roads, soil organic/inorganic carbon
in two layers, a vegetation-type map, and land use for 2000, 2010 and 2020 in
six classes produced by one process: terrain-driven zoning, towns and roads
growing, cropland expanding onto gentle slopes and afforestation, by the same rules in
both decades (:data:`BARE_WETNESS`). Terrain, noise features, town spacing and the
regional gradients have fixed ground sizes (:data:`REFERENCE_SIDE_M`,
:data:`TOWN_AREA_KM2`), so the class shares and change rates hold from 100 to 10 000 cells
a side and in any window of a large region, and every class is on every map
(:data:`ANCHORS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from affine import Affine
from rasterio.crs import CRS

from landcarbon.classes import named_scheme
from landcarbon.errors import OutputExistsError, ParameterError
from landcarbon.grid import Grid

if TYPE_CHECKING:
    import xarray as xr

LANDUSE_CLASSES: dict[int, tuple[str, str]] = named_scheme("cnlucc").legend()
"""Land-use code → (name, colour) of the synthetic region: the CNLUCC first level."""

VEGETATION_TYPES: dict[int, tuple[str, str]] = {
    0: ("non-vegetation", "#ffffff"),
    1: ("coniferous forest", "#1b5e20"),
    2: ("scrub", "#689f38"),
    3: ("desert", "#e0c097"),
    4: ("steppe", "#cddc39"),
    5: ("meadow", "#8bc34a"),
    6: ("alpine vegetation", "#90a4ae"),
    7: ("cultivated vegetation", "#f6d55c"),
}
"""Vegetation-type code → (name, colour)."""

SOIL_TEXTURES: dict[int, tuple[str, str]] = {
    5: ("clay loam", "#8d6e63"),
    7: ("silt loam", "#bcaaa4"),
    9: ("loam", "#a1887f"),
    11: ("sandy loam", "#d7ccc8"),
    12: ("loamy sand", "#efebe9"),
    13: ("sand", "#fff3e0"),
}
"""USDA texture classes used by the synthetic soil map (HWSD v1.2 T_USDA_TEX_CLASS)."""

YEARS = (2000, 2010, 2020)
CRS_UTM49N = "EPSG:32649"
ORIGIN = (400_000.0, 4_300_000.0)  # UTM 49N, about 38.8°N 109.9°E (Mu Us / Loess margin)
LAPSE_RATE_C_PER_M = 0.0065
ANCHORS = {1: (0.93, 0.07, 0.3), 2: (0.07, 0.93, 0.3), 4: (0.93, 0.93, 0.0), 6: (0.07, 0.07, 0.0)}
"""Land-use code → (row, col) centre (fractions of the sides) of a disc of that class on
every date, and its radius growth per date (the field and the plantation grow by 30 %)."""
REFERENCE_SIDE_M = 15_000.0
"""Side (m) of the reference region (500 x 500 cells of 30 m). Terrain and noise features
have fixed ground sizes (the largest half this side), so slopes, class shares and change
rates are the same at any region size: a larger region holds more hills, not larger ones."""
OUTSKIRTS = 0.3
"""Mean reach of a town's and a road's outskirts beyond its edge, as a share of its radius
(town) or width (road): a cell is built-up within ``radius * (1 + OUTSKIRTS * e)``, e an
exponential draw fixed per cell."""
TOWN_AREA_KM2 = 40.0
"""Land (km²) per town: towns lie on a lattice of cells of this area, one jittered town
per cell, on a region of any size (:meth:`_Region.towns`)."""
SOUTH_ROADS = 0.5
"""Share of towns with a road south to the next town of the lattice (every town has one
east)."""
BARE_WETNESS = 0.345
"""Wetness (noise, 0 to 1) below which high or dry steep land is bare, the same on every
date: bare land gives cells only to forest and towns spreading onto it, never to grassland.
Grassland shrinks overall and a PLUS allocation never moves a class above its demand, so a
decade in which bare land became grassland teaches a Markov demand that takes cells from
bare land that no class may receive; and the validation learns the 2000s' trend to simulate
the 2010s, so the process must be the same in both. Before, bare land was restored to
grassland in the 2000s only (26.7 % of it left, 1.1 % in the 2010s) and the validation
stopped after 1 000 iterations, cropland 4 176 cells short at 1200 cells a side and 13 277
at 3162; restored to forest in both decades it still stopped 3 585 short at 1200, forest
having met its demand from grassland first (PLUS manual FAQ 5.7)."""
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True)
class _Region:
    shape: tuple[int, int]
    cell_size: float
    seed: int

    @property
    def trend_scale(self) -> float:
        """The regional relief trend's share of its full 350 m: full from the reference
        side up, less on a smaller region, whose slopes it would otherwise steepen."""
        return min(1.0, max(self.shape) * self.cell_size / REFERENCE_SIDE_M)

    @property
    def noise_offset(self) -> tuple[float, float]:
        """Where (cells) the region lies in its terrain: a region smaller than the reference
        is the reference's centre, the part that holds every class, not its corner."""
        side = REFERENCE_SIDE_M / self.cell_size
        return (max(0.0, (side - self.shape[0]) / 2), max(0.0, (side - self.shape[1]) / 2))

    def gradient(self, cells: np.ndarray, axis: int) -> np.ndarray:
        """Position (0 to 1) of global cell rows (``axis`` 0) or columns (1) along the
        regional gradients (relief, temperature, precipitation): the fraction of the side
        on a region up to the reference side (:data:`REFERENCE_SIDE_M`); a larger region
        repeats it, mirrored, every reference side about its centre, so any part of it
        is a reference region, not one gradient stretched over hundreds of kilometres."""
        side = min(self.shape[axis], REFERENCE_SIDE_M / self.cell_size)
        x = (cells - self.shape[axis] / 2) / side + 0.5
        return 1.0 - np.abs(np.mod(x, 2.0) - 1.0)  # type: ignore[no-any-return]

    @property
    def anchor_radius(self) -> float:
        """Radius (cells) of the :data:`ANCHORS` discs: 5 % of the shorter side, 3 to 25."""
        return float(np.clip(0.05 * min(self.shape), 3.0, 25.0))

    @property
    def town_spacing(self) -> float:
        """Side (cells) of the town lattice's cells: one town per :data:`TOWN_AREA_KM2`,
        or per quarter of a region smaller than four of those, whose four lattice cells
        then meet at its centre, a village in each (:attr:`town_scale`)."""
        area_m2 = self.shape[0] * self.shape[1] * self.cell_size**2
        return float(np.sqrt(min(TOWN_AREA_KM2 * 1e6, area_m2 / 4))) / self.cell_size

    @property
    def town_scale(self) -> float:
        """Town radius and village lane width factor: 1 from four lattice cells of
        :data:`TOWN_AREA_KM2` up; a smaller region (its towns closer than that) gets
        villages, so built-up land keeps its share."""
        return self.town_spacing * self.cell_size / float(np.sqrt(TOWN_AREA_KM2 * 1e6))

    def lattice_index(self, cells: np.ndarray, axis: int) -> np.ndarray:
        """Town lattice row (``axis`` 0) or column (1) of global cell rows or columns; the
        lattice's lines cross at the region's centre."""
        return np.floor((cells - self.shape[axis] / 2) / self.town_spacing).astype(np.int64)

    def towns(
        self, lat_rows: np.ndarray, lat_cols: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The towns of the lattice cells ``lat_rows`` x ``lat_cols`` (any integers: the
        lattice covers the plane, so every window of the region sees the same towns).

        Returns four (len(lat_rows), len(lat_cols)) arrays: the town's row and column
        (global cells; each town in the middle 60 % of its lattice cell, so towns are at
        least 0.4 lattice cells apart), its size (radius factor in [0.5, 1.5]) and whether
        a road leads south to the town below (:data:`SOUTH_ROADS`). A road always leads
        east to the next town, so every town is on a road.
        """
        i = (lat_rows[:, None] + (1 << 20)).astype(np.uint64)
        j = (lat_cols[None, :] + (1 << 20)).astype(np.uint64)
        u = [_uniform(_hash(self.seed, 1000 + k, i, j)) for k in range(4)]
        s = self.town_spacing
        rows = self.shape[0] / 2 + (lat_rows[:, None] + 0.2 + 0.6 * u[0]) * s
        cols = self.shape[1] / 2 + (lat_cols[None, :] + 0.2 + 0.6 * u[1]) * s
        return rows, cols, 0.5 + u[2], u[3] < SOUTH_ROADS


def _hash(seed: int, salt: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """splitmix64-style hash of (seed, salt, i, j) → uint64 (vectorised, wraps mod 2^64)."""
    x: Any
    with np.errstate(over="ignore"):
        x = (
            np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
            + np.uint64(salt) * np.uint64(0xBF58476D1CE4E5B9)
        ) & _MASK64
        x = x ^ (i.astype(np.uint64) * np.uint64(0x94D049BB133111EB))
        x = x ^ (
            (j.astype(np.uint64) + np.uint64(0x632BE59BD9B4E019)) * np.uint64(0xD6E8FEB86659FD93)
        )
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))  # type: ignore[no-any-return]


def _uniform(h: np.ndarray) -> np.ndarray:
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _value_noise(
    rows: np.ndarray, cols: np.ndarray, spacing: float, seed: int, salt: int
) -> np.ndarray:
    """Smooth lattice noise in [0, 1) at global cells (rows[:, None], cols[None, :])."""
    r = rows[:, None] / spacing
    c = cols[None, :] / spacing
    i0, j0 = np.floor(r), np.floor(c)
    fr, fc = r - i0, c - j0
    fr, fc = fr * fr * (3 - 2 * fr), fc * fc * (3 - 2 * fc)
    i0 = i0.astype(np.int64) + (1 << 20)
    j0 = j0.astype(np.int64) + (1 << 20)
    v00 = _uniform(_hash(seed, salt, i0, j0))
    v01 = _uniform(_hash(seed, salt, i0, j0 + 1))
    v10 = _uniform(_hash(seed, salt, i0 + 1, j0))
    v11 = _uniform(_hash(seed, salt, i0 + 1, j0 + 1))
    top = v00 + (v01 - v00) * fc
    bottom = v10 + (v11 - v10) * fc
    return top + (bottom - top) * fr  # type: ignore[no-any-return]


def _fractal(
    rows: np.ndarray,
    cols: np.ndarray,
    region: _Region,
    salt: int,
    octaves: int = 6,
    persistence: float = 0.5,
) -> np.ndarray:
    """Fractal (fBm) noise in about [0, 1]: octaves from half the reference side (7.5 km)
    down, in cells of the region's size, whatever the region's extent."""
    base = REFERENCE_SIDE_M / 2.0 / region.cell_size
    rows, cols = rows + region.noise_offset[0], cols + region.noise_offset[1]
    total = np.zeros((rows.size, cols.size))
    norm = 0.0
    amp = 1.0
    for octave in range(octaves):
        spacing = max(base / 2**octave, 2.0)
        total += amp * _value_noise(rows, cols, spacing, region.seed, salt * 97 + octave)
        norm += amp
        amp *= persistence
    return total / norm


def _segment_d2(
    r: np.ndarray, c: np.ndarray, r0: np.ndarray, c0: np.ndarray, r1: np.ndarray, c1: np.ndarray
) -> np.ndarray:
    """Squared distance (cells²) from cells (r, c) to segments (r0, c0)-(r1, c1), broadcast."""
    dr, dc = r1 - r0, c1 - c0
    pr, pc = r - r0, c - c0
    t = np.clip((pr * dr + pc * dc) / (dr * dr + dc * dc), 0.0, 1.0)
    return (pr - t * dr) ** 2 + (pc - t * dc) ** 2  # type: ignore[no-any-return]


def _towns_and_roads(
    rows: np.ndarray, cols: np.ndarray, region: _Region
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance (cells) from each cell (rows[:, None], cols[None, :]) to the nearest town
    centre, that town's size, and the distance (cells) to the nearest road.

    Exact, at a cost per cell that does not grow with the region: a cell's nearest town
    is in the 3 x 3 lattice cells around its own (its own town is at most 0.8 x sqrt(2) =
    1.13 lattice cells away, a town beyond them at least 1.2), and its nearest road has
    an end there (every town is on a road, and a road with neither end there is at least
    1.2 lattice cells away). One lattice row at a time: within it the candidate towns
    and roads vary only with the column.
    """
    li = region.lattice_index(rows, 0)
    lj = region.lattice_index(cols, 1)
    lat_rows = np.arange(li.min() - 2, li.max() + 3)
    tr, tc, size, south = region.towns(lat_rows, np.arange(lj.min() - 2, lj.max() + 3))
    b = lj - lj.min() + 2  # each column's lattice column in those arrays
    c = cols[None, :]
    shape = (rows.size, cols.size)
    d_town, town_size, d_road = np.empty(shape), np.empty(shape), np.empty(shape)
    for lat_row in np.unique(li):
        band = li == lat_row
        a = int(lat_row - lat_rows[0])
        r = rows[band][:, None]
        best = np.full((r.size, cols.size), np.inf)
        best_size = np.zeros_like(best)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                d2 = (r - tr[a + di, b + dj]) ** 2 + (c - tc[a + di, b + dj]) ** 2
                closer = d2 < best
                best = np.where(closer, d2, best)
                best_size = np.where(closer, size[a + di, b + dj], best_size)
        road = np.full_like(best, np.inf)
        for di in (-1, 0, 1):  # east roads with an end in the 3 x 3 lattice cells
            for dj in (-2, -1, 0, 1):
                i, j = a + di, b + dj
                road = np.minimum(
                    road, _segment_d2(r, c, tr[i, j], tc[i, j], tr[i, j + 1], tc[i, j + 1])
                )
        for di in (-2, -1, 0, 1):  # south roads, where there is one
            for dj in (-1, 0, 1):
                i, j = a + di, b + dj
                d2 = _segment_d2(r, c, tr[i, j], tc[i, j], tr[i + 1, j], tc[i + 1, j])
                road = np.minimum(road, np.where(south[i, j], d2, np.inf))
        d_town[band], town_size[band], d_road[band] = np.sqrt(best), best_size, np.sqrt(road)
    return d_town, town_size, d_road


def _slope_deg(dem_padded: np.ndarray, cell_size: float) -> np.ndarray:
    """Horn (1981) slope in degrees of the interior of a DEM padded by one cell."""
    z = dem_padded
    dzdx = (
        (z[:-2, 2:] + 2 * z[1:-1, 2:] + z[2:, 2:]) - (z[:-2, :-2] + 2 * z[1:-1, :-2] + z[2:, :-2])
    ) / (8 * cell_size)
    dzdy = (
        (z[2:, :-2] + 2 * z[2:, 1:-1] + z[2:, 2:]) - (z[:-2, :-2] + 2 * z[:-2, 1:-1] + z[:-2, 2:])
    ) / (8 * cell_size)
    return np.degrees(np.arctan(np.hypot(dzdx, dzdy)))  # type: ignore[no-any-return]


def _dem(rows: np.ndarray, cols: np.ndarray, region: _Region) -> np.ndarray:
    """Elevation (m): fractal relief on a plateau rising to the north-west, 900-2600 m."""
    relief = _fractal(rows, cols, region, salt=1)
    ridge = 1.0 - np.abs(2 * _fractal(rows, cols, region, salt=2, octaves=4) - 1)
    trend = (1 - region.gradient(rows, 0)[:, None]) * 0.6 + (
        1 - region.gradient(cols, 1)[None, :]
    ) * 0.4
    relief_m = 700.0 + 1400.0 * relief**1.5 + 450.0 * ridge**2
    return relief_m + 350.0 * region.trend_scale * trend  # type: ignore[no-any-return]


def _window_layers(
    row0: int, row1: int, col0: int, col1: int, region: _Region
) -> dict[str, np.ndarray]:
    """Every layer of the region on the window rows [row0, row1) x cols [col0, col1)."""
    rows = np.arange(row0 - 1, row1 + 1, dtype=np.float64)
    cols = np.arange(col0 - 1, col1 + 1, dtype=np.float64)
    dem_pad = _dem(rows, cols, region)
    dem = dem_pad[1:-1, 1:-1]
    slope = _slope_deg(dem_pad, region.cell_size)
    rows, cols = rows[1:-1], cols[1:-1]
    cs = region.cell_size

    temp = 14.0 - LAPSE_RATE_C_PER_M * (dem - 900.0) - 2.0 * (1 - region.gradient(rows, 0)[:, None])
    precip = (
        300.0
        + 250.0 * region.gradient(cols, 1)[None, :]
        + 0.12 * (dem - 900.0)
        + 120.0 * _fractal(rows, cols, region, salt=3, octaves=3)
    )
    month = np.arange(12)[:, None, None]
    monthly_temp = temp[None] + 13.0 * np.cos(2 * np.pi * (month - 6) / 12)
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[:, None, None]
    accumulated = np.sum(np.where(monthly_temp >= 10.0, monthly_temp * days, 0.0), axis=0)
    share = np.exp(1.2 * np.cos(2 * np.pi * (month - 6.5) / 12))
    monthly_precip = precip[None] * share / share.sum()

    d_town, town_size, d_road = _towns_and_roads(rows, cols, region)
    d_town, d_road = d_town * cs, d_road * cs
    wet = _fractal(rows, cols, region, salt=4, octaves=4)
    soil_noise = _fractal(rows, cols, region, salt=5, octaves=5)
    crop_pref = _fractal(rows, cols, region, salt=6, octaves=5)
    sprawl = _value_noise(rows, cols, 600.0 / cs, region.seed, 7)  # 600 m blobs
    outskirts = -np.log1p(-_uniform(_hash(region.seed, 8, rows[:, None], cols[None, :])))

    landuse = {}
    for step, year in enumerate(YEARS):
        landuse[year] = _landuse(
            step,
            dem,
            slope,
            precip,
            wet,
            crop_pref,
            sprawl,
            outskirts,
            d_town,
            town_size,
            d_road,
            rows,
            cols,
            region,
        )
    lu_now = landuse[YEARS[-1]]
    veg = _vegetation(lu_now, dem, precip)
    texture = _soil_texture(lu_now, dem, soil_noise)
    soil = _soil_carbon(dem, precip, temp, lu_now, soil_noise)
    miami = _miami_npp_gc_m2(temp, precip)
    npp_factor = np.array([0.0, 0.85, 1.0, 0.7, 0.0, 0.15, 0.25])  # by land-use code 1..6
    pop = (
        2500.0 * np.exp(-d_town / 1500.0) * 1.0
        + 150.0 * np.exp(-d_road / 800.0)
        + 8.0
        + 12.0 * (lu_now == 1)
    )
    return {
        "dem": dem,
        "slope": slope,
        "temperature": temp,
        "precipitation": precip,
        "monthly_temperature": monthly_temp,
        "monthly_precipitation": monthly_precip,
        "accumulated_temperature": accumulated,
        "npp": miami * npp_factor[lu_now],
        "population": pop,
        "dist_roads": d_road,
        "dist_towns": d_town,
        "vegetation": veg,
        "soil_texture": texture,
        **soil,
        **{f"landuse_{y}": lu for y, lu in landuse.items()},
    }


def _landuse(
    step: int,
    dem: np.ndarray,
    slope: np.ndarray,
    precip: np.ndarray,
    wet: np.ndarray,
    crop_pref: np.ndarray,
    sprawl: np.ndarray,
    outskirts: np.ndarray,
    d_town: np.ndarray,
    town_size: np.ndarray,
    d_road: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    region: _Region,
) -> np.ndarray:
    """Land use of the ``step``-th date (0, 1, 2 for 2000, 2010, 2020).

    Zoning by terrain (bare land high and dry, forest where wet or steep, cropland on
    gentle low ground near towns, water in wet hollows), then, step by step: cropland
    expands onto gentle grassland, steep cropland returns to forest (grain for green),
    forest spreads onto its margins (afforestation), bare land stays bare
    (:data:`BARE_WETNESS`), towns and roads grow, with outskirts beyond their edges
    (:data:`OUTSKIRTS`). A field, a wood, a pond and a dune field near the four corners
    (:data:`ANCHORS`; the field and the wood growing) keep every class a scenario may name
    on the map of a region of any size, and cropland and forest gaining (grassland is the
    default, and towns are always there and grow).
    """
    lu = np.full(dem.shape, 3, dtype=np.int32)  # grassland by default
    bare = (dem > 2050) | ((precip < 520) & (slope > 10) & (wet < 0.40))
    lu[bare & (wet < BARE_WETNESS)] = 6  # the same on every date: see BARE_WETNESS
    lu[(precip + 10 * slope + 260 * wet > 830 - 5 * step) & (dem < 2150)] = 2  # afforestation
    gentle = (slope < 8) & (dem < 1750)
    crop = gentle & (crop_pref > 0.57 - 0.03 * step) & (d_town < 12000 + 2000 * step)
    lu[crop & (lu != 2)] = 1
    lu[(lu == 1) & (slope > 7.6 - 0.3 * step) & (crop_pref < 0.6) & (step > 0)] = (
        2  # grain for green
    )
    lu[(wet > 0.49) & (slope < 6) & (dem < 1800)] = 4
    # ragged town edges: the same distance to town is built-up in one place and not yet in
    # another, so the cells a town grows into look like those it grew into before; and
    # outskirts: a cell's own reach (an exponential tail, fixed per cell so built-up land is
    # never abandoned) scatters houses beyond the edge, so every date gains cells at every
    # distance a later date will need, not only in one ring a trained model cannot extend
    urban_r = 225.0 * region.town_scale * town_size * (1 + 0.35 * step) * (0.6 + 0.8 * sprawl)
    reach = 1 + OUTSKIRTS * outskirts
    road = (d_road < (45 + 15 * step) * region.town_scale * reach) & (d_town < 2.5 * urban_r)
    lu[(d_town < urban_r * reach) | road] = 5
    for code, (r0, c0, growth) in ANCHORS.items():
        r, c = r0 * region.shape[0], c0 * region.shape[1]
        radius = region.anchor_radius * (1 + growth * step)
        lu[np.hypot(rows[:, None] - r, cols[None, :] - c) < radius] = code
    return lu


def _vegetation(lu: np.ndarray, dem: np.ndarray, precip: np.ndarray) -> np.ndarray:
    """Vegetation type (the groups of the county sink study's Table 2) from land use."""
    veg = np.zeros(lu.shape, dtype=np.int32)  # water, built-up: non-vegetation
    veg[lu == 1] = 7
    veg[(lu == 2) & (dem >= 1400)] = 1
    veg[(lu == 2) & (dem < 1400)] = 2
    veg[(lu == 3) & (precip < 450)] = 4
    veg[(lu == 3) & (precip >= 450)] = 5
    veg[(lu == 3) & (dem > 2000)] = 6
    veg[lu == 6] = 3
    return veg


def _miami_npp_gc_m2(temp_c: np.ndarray, precip_mm: np.ndarray) -> np.ndarray:
    """Miami model (Lieth 1975) NPP in g C/m²/yr (dry matter × 0.45)."""
    npp_t = 3000.0 / (1.0 + np.exp(1.315 - 0.119 * temp_c))
    npp_p = 3000.0 * (1.0 - np.exp(-0.000664 * precip_mm))
    return 0.45 * np.minimum(npp_t, npp_p)  # type: ignore[no-any-return]


def _soil_texture(lu: np.ndarray, dem: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """USDA texture class (HWSD T_USDA_TEX_CLASS codes): sands on bare and dry grassland,
    loams on cropland, clay loams under forest, silt loams in the hills."""
    tex = np.full(lu.shape, 11, dtype=np.int32)  # sandy loam
    tex[noise < 0.30] = 12  # loamy sand
    tex[(lu == 6) & (noise < 0.38)] = 13  # sand
    tex[lu == 1] = 9  # loam
    tex[(lu == 1) & (noise > 0.45)] = 7  # silt loam
    tex[lu == 2] = 5  # clay loam
    tex[(dem > 1900) & (lu != 6)] = 7
    return tex


def _soil_carbon(
    dem: np.ndarray, precip: np.ndarray, temp: np.ndarray, lu: np.ndarray, noise: np.ndarray
) -> dict[str, np.ndarray]:
    """Soil organic/inorganic carbon density per metre of depth (t C/ha per m) of the
    topsoil (0-30 cm) and subsoil (30-100 cm); eq. 3 of the county study (x 0.3 m and
    x 0.7 m) turns them into t C/ha within 100 cm."""
    lu_factor = np.array([0.0, 0.8, 1.3, 1.0, 0.0, 0.6, 0.4])[lu]
    organic = (25.0 + 0.06 * (precip - 300.0) - 1.2 * temp) * lu_factor * (0.8 + 0.4 * noise)
    organic = np.clip(organic, 0.0, None)
    inorganic = np.clip(40.0 - 0.05 * (precip - 300.0), 2.0, None) * (0.7 + 0.6 * noise)
    inorganic = np.where(lu == 4, 0.0, inorganic)
    return {
        "soc_topsoil": organic * 3.0,
        "soc_subsoil": organic * 1.2,
        "sic_topsoil": inorganic * 1.0,
        "sic_subsoil": inorganic * 1.6,
    }


LAYERS: dict[str, dict[str, Any]] = {
    "dem": {"units": "m", "description": "elevation"},
    "slope": {"units": "degree", "description": "slope (Horn)"},
    "temperature": {"units": "degC", "description": "mean annual air temperature"},
    "precipitation": {"units": "mm/yr", "description": "annual precipitation"},
    "monthly_temperature": {
        "units": "degC",
        "description": "monthly mean temperature",
        "bands": 12,
    },
    "monthly_precipitation": {
        "units": "mm/month",
        "description": "monthly precipitation",
        "bands": 12,
    },
    "accumulated_temperature": {
        "units": "degC day",
        "description": "accumulated temperature >= 10 degC (monthly means x days)",
    },
    "npp": {"units": "gC/m2/yr", "description": "net primary production (Miami model)"},
    "population": {"units": "persons/km2", "description": "population density"},
    "dist_roads": {"units": "m", "description": "distance to roads"},
    "dist_towns": {"units": "m", "description": "distance to town centres"},
    "soc_topsoil": {
        "units": "t C/ha per m",
        "description": "soil organic carbon density of the 0-30 cm layer per metre of depth",
    },
    "soc_subsoil": {
        "units": "t C/ha per m",
        "description": "soil organic carbon density of the 30-100 cm layer per metre of depth",
    },
    "sic_topsoil": {
        "units": "t C/ha per m",
        "description": "soil inorganic carbon density of the 0-30 cm layer per metre of depth",
    },
    "sic_subsoil": {
        "units": "t C/ha per m",
        "description": "soil inorganic carbon density of the 30-100 cm layer per metre of depth",
    },
    "vegetation": {"units": "class", "description": "vegetation type", "classes": VEGETATION_TYPES},
    "soil_texture": {
        "units": "class",
        "description": "USDA soil texture class (HWSD codes)",
        "classes": SOIL_TEXTURES,
    },
    **{
        f"landuse_{y}": {
            "units": "class",
            "description": f"land use {y}",
            "classes": LANDUSE_CLASSES,
        }
        for y in YEARS
    },
}
"""Every layer of the region with its units (and classes for categorical maps)."""


def region_grid(shape: tuple[int, int] = (500, 500), cell_size: float = 30.0) -> Grid:
    """The north-up UTM 49N grid of a synthetic region."""
    return Grid(
        shape,
        Affine(cell_size, 0, ORIGIN[0], 0, -cell_size, ORIGIN[1]),
        CRS.from_string(CRS_UTM49N),
    )


def _check(shape: tuple[int, int], cell_size: float) -> _Region:
    if len(shape) != 2 or min(shape) < 8:
        raise ParameterError(f"shape {shape}: the region needs at least 8 x 8 cells")
    if cell_size <= 0:
        raise ParameterError(f"cell_size {cell_size}: must be positive (metres)")
    return _Region((int(shape[0]), int(shape[1])), float(cell_size), 0)


def synthetic_region(
    shape: tuple[int, int] = (500, 500),
    cell_size: float = 30.0,
    seed: int = 0,
    window: tuple[slice, slice] | None = None,
) -> xr.Dataset:
    """The synthetic region (or a window of it) as an in-memory ``xarray.Dataset``.

    Parameters
    ----------
    shape : (rows, cols) of the whole region.
    cell_size : cell size in metres (UTM 49N).
    seed : the landscape; the same seed and shape always give the same region.
    window : (row slice, col slice) to compute only part of the region; equal to the
        same window of the whole region.

    Examples
    --------
    >>> ds = synthetic_region((64, 64), seed=1)
    >>> sorted(int(c) for c in set(ds["landuse_2020"].values.ravel()))[:2]
    [1, 2]
    """
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    import xarray as xr

    region = _check(shape, cell_size)
    region = _Region(region.shape, region.cell_size, int(seed))
    rs, cs = window or (slice(0, shape[0]), slice(0, shape[1]))
    r0, r1, _ = rs.indices(shape[0])
    c0, c1, _ = cs.indices(shape[1])
    layers = _window_layers(r0, r1, c0, c1, region)
    t = region_grid(region.shape, region.cell_size).transform @ Affine.translation(c0, r0)
    grid = Grid((r1 - r0, c1 - c0), t, CRS.from_string(CRS_UTM49N))
    ys = t.f + t.e * (np.arange(grid.rows) + 0.5)
    xs = t.c + t.a * (np.arange(grid.cols) + 0.5)
    data_vars = {}
    for name, values in layers.items():
        dims = ("month", "y", "x") if values.ndim == 3 else ("y", "x")
        data_vars[name] = xr.Variable(
            dims,
            values,
            attrs={"units": LAYERS[name]["units"], "long_name": LAYERS[name]["description"]},
        )
    ds = xr.Dataset(data_vars, coords={"y": ys, "x": xs, "month": np.arange(1, 13)})
    ds = ds.rio.write_crs(CRS_UTM49N).rio.write_transform(t)
    ds.attrs.update(
        {"seed": int(seed), "cell_size_m": float(cell_size), "region_shape": list(shape)}
    )
    return ds


MARKER = ".landcarbon-synthetic"
"""File marking a folder the generator made: only such a folder's layers are replaced."""


def claim_folder(out: Path) -> Path:
    """Make ``out`` a folder the generator may (re)write layers in, or refuse it.

    A missing or empty folder is created and marked with :data:`MARKER`; a marked one
    is reused. A folder holding anything else is refused (OutputExistsError), so that
    files of other origin (a user's ``dem.tif``) are never replaced.
    """
    if (out / MARKER).is_file():
        return out
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder; choose a new folder")
    if out.is_dir() and any(out.iterdir()):
        found = sorted(p.name for p in out.iterdir())
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise OutputExistsError(
            f"{out}: holds files landcarbon did not generate ({shown}); the synthetic region "
            f"is written only into a new or empty folder or one it made before (marked by "
            f"{MARKER}); choose a new folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(
        "Made by landcarbon for its synthetic region: its layers may be regenerated here.\n"
    )
    return out


def write_synthetic_region(
    out_dir: str | Path,
    shape: tuple[int, int] = (500, 500),
    cell_size: float = 30.0,
    seed: int = 0,
    *,
    layers: tuple[str, ...] | None = None,
    block_rows: int | None = None,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write the region's layers as GeoTIFFs, one row block at a time (bounded memory).

    Returns layer name → path. Categorical layers get their colour table and class
    names. Peak memory is about ``block_rows × cols × 8 bytes × 60`` whatever the size;
    by default ``block_rows`` keeps a block near 2^21 cells (about 1 GB).
    """
    import rasterio
    from rasterio.windows import Window

    from landcarbon.raster import (
        GTIFF_CREATION,
        _write_qml,
        atomic_path,
        class_names_tag,
        hex_to_rgba,
    )

    region = _check(shape, cell_size)
    seeded = _Region(region.shape, region.cell_size, int(seed))
    names = layers or tuple(LAYERS)
    unknown = [n for n in names if n not in LAYERS]
    if unknown:
        raise ParameterError(f"unknown layer(s) {unknown}; choose from {', '.join(LAYERS)}")
    grid = region_grid(region.shape, region.cell_size)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {n: out / f"{n}.tif" for n in names}
    temps = {}
    handles = {}
    try:
        for name in names:
            meta = LAYERS[name]
            categorical = "classes" in meta
            ctx = atomic_path(paths[name], overwrite)
            temps[name] = (ctx, ctx.__enter__())
            handles[name] = rasterio.open(
                temps[name][1],
                "w",
                driver="GTiff",
                height=grid.rows,
                width=grid.cols,
                count=meta.get("bands", 1),
                dtype="uint8" if categorical else "float32",
                crs=grid.crs,
                transform=grid.transform,
                nodata=255 if categorical else np.nan,
                tiled=True,
                blockxsize=256,
                blockysize=256,
                **GTIFF_CREATION,
                BIGTIFF="IF_SAFER",
            )
            if categorical:
                handles[name].write_colormap(
                    1, {k: hex_to_rgba(v[1]) for k, v in meta["classes"].items()}
                )
        step = block_rows or max(8, (1 << 21) // grid.cols)
        for row0 in range(0, grid.rows, step):
            row1 = min(row0 + step, grid.rows)
            # the layers straight from the generator: no Dataset wrapper (and none of its
            # reference cycles holding ~1 GB per block until the next full collection)
            block = _window_layers(row0, row1, 0, grid.cols, seeded)
            window = Window(0, row0, grid.cols, row1 - row0)
            for name in names:
                values = block[name]
                dst = handles[name]
                if values.ndim == 3:
                    dst.write(values.astype(dst.dtypes[0]), window=window)
                else:
                    dst.write(values.astype(dst.dtypes[0]), 1, window=window)
        for name in names:
            meta = LAYERS[name]
            dst = handles[name]
            dst.update_tags(1, units=meta["units"])
            if "classes" in meta:
                dst.update_tags(1, class_names=class_names_tag(meta["classes"]))
            dst.set_band_description(1, meta["description"])
            dst.close()
        for name in names:
            ctx, _ = temps.pop(name)
            ctx.__exit__(None, None, None)
            if "classes" in LAYERS[name]:
                _write_qml(paths[name].with_suffix(".qml"), LAYERS[name]["classes"])
    finally:
        for name, (_ctx, tmp) in temps.items():
            if not handles[name].closed:
                handles[name].close()
            Path(tmp).unlink(missing_ok=True)
    return paths
