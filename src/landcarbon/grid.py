"""The georeferenced grid every raster of a study shares.

A :class:`Grid` is shape + affine transform + CRS + nodata. It knows the true
area of its cells in hectares for projected CRSs in any linear unit (metre, US
survey foot, ...) and for geographic CRSs (exact ellipsoidal band area per row),
and it checks that a stack of rasters is aligned. It reads no file:
:func:`landcarbon.raster.read_grid` gives the grid of a raster file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from affine import Affine
from rasterio.crs import CRS

from landcarbon.errors import AlignmentError, RasterError

SQ_M_PER_HA = 10_000.0


@dataclass(frozen=True)
class Grid:
    """Shape ``(rows, cols)``, affine ``transform``, ``crs`` and ``nodata`` of a raster."""

    shape: tuple[int, int]
    transform: Affine
    crs: CRS | None
    nodata: float | None = None

    @classmethod
    def from_dataarray(cls, da: object) -> Grid:
        """Grid of a rioxarray-georeferenced ``xarray.DataArray``."""
        import rioxarray  # noqa: F401  (registers the .rio accessor)

        rio = da.rio  # type: ignore[attr-defined]
        return cls((rio.height, rio.width), rio.transform(), rio.crs, rio.nodata)

    # ------------------------------------------------------------------ geometry
    @property
    def rows(self) -> int:
        return self.shape[0]

    @property
    def cols(self) -> int:
        return self.shape[1]

    @property
    def is_geographic(self) -> bool:
        return bool(self.crs is not None and self.crs.is_geographic)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        t = self.transform
        xs = [t.c, t.c + t.a * self.cols + t.b * self.rows]
        ys = [t.f, t.f + t.d * self.cols + t.e * self.rows]
        return min(xs), min(ys), max(xs), max(ys)

    def _require_crs(self) -> CRS:
        if self.crs is None:
            raise RasterError(
                "the raster has no CRS, so cell areas are unknown; assign one "
                "(e.g. `gdal_edit.py -a_srs EPSG:XXXX file.tif`)"
            )
        return self.crs

    def linear_unit_m(self) -> float:
        """Length of one CRS unit in metres (1.0 for metres, 0.3048006 for US survey feet).

        GDAL's linear unit for a projected CRS (no pyproj import: ``landcarbon info``), the
        first axis's unit per PROJ for any other (an engineering CRS in feet)."""
        crs = self._require_crs()
        if crs.is_projected:
            return float(crs.linear_units_factor[1])
        from pyproj import CRS as ProjCRS

        return float(ProjCRS.from_wkt(crs.to_wkt()).axis_info[0].unit_conversion_factor)

    def cell_area_ha(self) -> np.ndarray:
        """True area of every cell in hectares, shape ``(rows, cols)`` (read-only view).

        Projected CRS: ``|det(transform)| × unit²`` / 10 000. Geographic CRS: the exact
        area of each row's latitude band on the CRS ellipsoid (authalic integral), so a
        0.01° grid over China gives true hectares. Rotated geographic grids are refused.
        """
        per_row = self.row_area_ha()
        return np.broadcast_to(per_row[:, None], self.shape)

    def row_area_ha(self) -> np.ndarray:
        """Cell area (ha) of each row, shape ``(rows,)``; constant for projected grids."""
        crs = self._require_crs()
        t = self.transform
        if not crs.is_geographic:
            area_m2 = abs(t.a * t.e - t.b * t.d) * self.linear_unit_m() ** 2
            return np.full(self.rows, area_m2 / SQ_M_PER_HA)
        if t.b != 0 or t.d != 0:
            raise RasterError("rotated geographic grids are not supported; warp to north-up first")
        from pyproj import CRS as ProjCRS

        ell = ProjCRS.from_wkt(crs.to_wkt()).ellipsoid
        if ell is None:
            raise RasterError(f"CRS {_crs_name(crs)} has no ellipsoid; cell areas are unknown")
        edges_deg = t.f + t.e * np.arange(self.rows + 1)
        band = ellipsoid_band_area_m2(
            edges_deg[:-1], edges_deg[1:], ell.semi_major_metre, ell.inverse_flattening
        )
        return band * math.radians(abs(t.a)) / (2 * math.pi) / SQ_M_PER_HA

    def total_area_ha(self) -> float:
        return float(self.row_area_ha().sum() * self.cols)

    # ------------------------------------------------------------------ alignment
    def gdalwarp_command(self) -> str:
        """The gdalwarp call that warps a raster onto this grid (nearest neighbour)."""
        left, bottom, right, top = self.bounds
        t = self.transform
        srs = f"-t_srs {_crs_name(self.crs)} " if self.crs is not None else ""
        return (
            f"`gdalwarp {srs}-tr {abs(t.a):g} {abs(t.e):g} "
            f"-te {left:.10g} {bottom:.10g} {right:.10g} {top:.10g} -r near IN.tif OUT.tif` "
            f"(-r bilinear for continuous values)"
        )

    def difference(self, other: Grid, atol_cells: float = 1e-6) -> str | None:
        """Describe how ``other`` differs from this grid (None when aligned)."""
        if (self.crs is None) != (other.crs is None) or (
            self.crs is not None and other.crs is not None and self.crs != other.crs
        ):
            return f"CRS {_crs_name(other.crs)} differs from the reference {_crs_name(self.crs)}"
        if self.shape != other.shape:
            return f"shape {other.shape} (rows, cols) differs from the reference {self.shape}"
        a, b = self.transform, other.transform
        if not (math.isclose(a.a, b.a, rel_tol=1e-9) and math.isclose(a.e, b.e, rel_tol=1e-9)):
            return (
                f"cell size ({abs(b.a):g}, {abs(b.e):g}) differs from the reference "
                f"({abs(a.a):g}, {abs(a.e):g})"
            )
        dx = (b.c - a.c) / a.a
        dy = (b.f - a.f) / a.e
        if abs(dx) > atol_cells or abs(dy) > atol_cells or b.b != a.b or b.d != a.d:
            return (
                f"origin ({b.c:g}, {b.f:g}) is shifted by ({dx:g}, {dy:g}) cells from the "
                f"reference ({a.c:g}, {a.f:g})"
            )
        return None


def _crs_name(crs: CRS | None) -> str:
    if crs is None:
        return "(none)"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_string()[:60]


def ellipsoid_band_area_m2(
    lat1_deg: np.ndarray, lat2_deg: np.ndarray, a: float, inverse_flattening: float
) -> np.ndarray:
    """Area (m²) of the full 360° band between two latitudes on an ellipsoid.

    Uses the authalic closed form ``A = π a² (1-e²) [g(φ2) - g(φ1)]`` with
    ``g(φ) = sinφ/(1-e² sin²φ) + artanh(e sinφ)/e`` (Snyder 1987, eq. 3-12 family).
    A sphere (``inverse_flattening`` 0) gives ``2π a² |sinφ2 - sinφ1|``.
    """
    p1 = np.radians(np.asarray(lat1_deg, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2_deg, dtype=np.float64))
    if not inverse_flattening:
        return 2 * np.pi * a * a * np.abs(np.sin(p2) - np.sin(p1))
    f = 1.0 / inverse_flattening
    e2 = f * (2 - f)
    e = math.sqrt(e2)

    def g(phi: np.ndarray) -> np.ndarray:
        s = np.sin(phi)
        return s / (1 - e2 * s * s) + np.arctanh(e * s) / e

    return np.pi * a * a * (1 - e2) * np.abs(g(p2) - g(p1))


def check_aligned(grids: Mapping[str, Grid], reference: str | None = None) -> Grid:
    """Check every grid against the reference; return the reference.

    The reference is ``reference``, else the grid most files share (the first of those on a
    tie), so one odd file is blamed alone, not every file that agrees with the others.
    Raises :class:`AlignmentError` naming every misaligned file and what differs, with
    the fix: the gdalwarp command that puts a file on the reference grid. (A study file
    can resample instead, with ``[inputs] align = "resample"``; the study's validation
    says so in its own message.)
    """
    if not grids:
        raise AlignmentError("no rasters to align")
    names = list(grids)
    ref_name = reference if reference is not None else names[0]
    if reference is None and any(grids[ref_name].difference(g) for g in grids.values()):
        ref_name = most_shared(grids)
    ref = grids[ref_name]
    problems = []
    for name in names:
        if name == ref_name:
            continue
        diff = ref.difference(grids[name])
        if diff:
            problems.append(f"{name}: {diff}")
    if problems:
        raise AlignmentError(
            f"rasters are not aligned with {ref_name}: "
            + "; ".join(problems)
            + f". Fix: warp each onto the reference grid, e.g. {ref.gdalwarp_command()}"
        )
    return ref


def most_shared(grids: Mapping[str, Grid]) -> str:
    """Name of the grid the most others are identical to (the first of those on a tie)."""
    shared = {
        name: sum(grid.difference(other) is None for other in grids.values())
        for name, grid in grids.items()
    }
    return max(shared, key=shared.__getitem__)


def parse_crs(text: str) -> CRS:
    """A CRS from text GDAL understands (``EPSG:32651``, a PROJ string, WKT); RasterError
    naming the text and an example otherwise."""
    from rasterio.errors import CRSError

    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise RasterError(
            f"{text!r} is not a CRS GDAL knows ({str(exc).splitlines()[0][:100]}); give e.g. "
            f"'EPSG:32651' (WGS 84 / UTM 51N)"
        ) from exc
