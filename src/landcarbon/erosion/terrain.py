"""Topographic factors of the CSLE and RUSLE from a DEM: slope, flow, slope length, L, S.

Pipeline (:func:`topography`):

1. **Cell sizes in metres.** Projected grids: ``|a|`` and ``|e|`` times the CRS unit.
   Geographic grids (degrees): each row's east-west size is the arc of its centre
   parallel across one cell, ``N(φ) cos φ Δλ``, and its north-south size the meridian
   arc across the row (pyproj ``Geod``), both on the CRS ellipsoid, so slope is never
   computed in degrees of arc.
2. **Slope** (degrees) with Horn's (1981) 3x3 weighted differences (the ArcGIS/GDAL
   rule). Edge and nodata neighbours take the centre value; nodata cells stay NaN.
3. **Depressions and flats.** The DEM is made depression-free with the improved
   priority-flood of Barnes, Lehman & Mulla (2014) (numba; the method of pyflwdir's
   ``fill_depressions``). Map edges and nodata holes are outlets. Pits are raised to
   their spill level; on a flat each cell drains to the cell the flood reached it
   from, which leads to the flat's outlet.
4. **Flow accumulation: D8** (O'Callaghan & Mark 1984) on the filled DEM. D8 is the
   routing of the Chinese national census LS tool (Zhang et al. 2013) and keeps the
   slope-length reading of the accumulation exact on planes; InVEST SDR defaults to
   multiple flow direction, which spreads flow over diverging slopes.
5. **Slope length λ** (m), by default (``slope_length="cumulative"``) the cumulative
   slope length of the LS tools (Hickey 2000; Van Remortel et al. 2001, 2004; the
   Chinese census tools of Zhang et al. 2013 and Fu et al. 2015): along the D8 paths,
   the longest upslope path to the cell centre, starting at half a cell on ridges and
   ending where the down-slope angle drops below 0.5 (≥ 5 % slope) or 0.7 (< 5 %) of
   the angle upslope (:func:`~landcarbon.erosion._kernels.cumulative_slope_length`).
   Not capped by default (the tools have no cap); ``lambda_max_m`` caps it. The cut-off
   values and the 5 % split are those of Van Remortel's AML; Zhang et al.'s and Fu et
   al.'s own values could not be read.
   ``slope_length="accumulation"``: ``λ = N × ℓ``, ``N`` cells draining through the
   cell (itself included) times its D8 flow-path length ``ℓ``, no cut-off.
6. **L = (λ / 22.13)^m** with the CSLE exponent classes m = 0.2 / 0.3 / 0.4 / 0.5 for
   θ ≤ 1° / ≤ 3° / ≤ 5° / > 5° (default; Liu et al. 2000, 2002, the census rule), or
   McCool et al.'s (1989) ``m = β / (1 + β)``, ``β = (sinθ / 0.0896) / (3 sinθ^0.8 + 0.56)``
   (``exponent="mccool"``).
7. **S**: McCool et al. (1987) below 10° (``10.8 sinθ + 0.03`` below 5°,
   ``16.8 sinθ - 0.50`` from 5°) and Liu et al. (1994) ``21.91 sinθ - 0.96`` from 10°.

The RUSLE / InVEST SDR option (``method="rusle"``) uses Desmet & Govers' (1996)
contributing-area L with InVEST's m table and the McCool S (9 % break) for comparison.

References
----------
Horn, B. K. P. (1981). Hill shading and the reflectance map. *Proc. IEEE* 69(1), 14-47.
https://doi.org/10.1109/PROC.1981.11918
Barnes, R., Lehman, C., Mulla, D. (2014). Priority-flood: an optimal depression-filling
and watershed-labeling algorithm for digital elevation models. *Computers & Geosciences*
62, 117-127. https://doi.org/10.1016/j.cageo.2013.04.024
O'Callaghan, J. F., Mark, D. M. (1984). The extraction of drainage networks from digital
elevation data. *Comput. Vis. Graph. Image Process.* 28, 323-344.
https://doi.org/10.1016/S0734-189X(84)80011-0
McCool, D. K., Brown, L. C., Foster, G. R., Mutchler, C. K., Meyer, L. D. (1987). Revised
slope steepness factor for the Universal Soil Loss Equation. *Trans. ASAE* 30(5),
1387-1396. https://doi.org/10.13031/2013.30576
McCool, D. K., Foster, G. R., Mutchler, C. K., Meyer, L. D. (1989). Revised slope length
factor for the Universal Soil Loss Equation. *Trans. ASAE* 32(5), 1571-1576.
https://doi.org/10.13031/2013.31192
Liu, B. Y., Nearing, M. A., Risse, L. M. (1994). Slope gradient effects on soil loss for
steep slopes. *Trans. ASAE* 37(6), 1835-1840. https://doi.org/10.13031/2013.28273
Foster, G. R., Wischmeier, W. H. (1974). Evaluating irregular slopes for soil loss
prediction. *Trans. ASAE* 17(2), 305-309. https://doi.org/10.13031/2013.36846
Desmet, P. J. J., Govers, G. (1996). A GIS procedure for automatically calculating the
USLE LS factor on topographically complex landscape units. *J. Soil Water Conserv.*
51(5), 427-433.
Zhang, H., Yang, Q., Li, R., Liu, Q., Moore, D., He, P., Ritsema, C. J., Geissen, V. (2013).
Extension of a GIS procedure for calculating the RUSLE equation LS factor. *Computers &
Geosciences* 52, 177-188. https://doi.org/10.1016/j.cageo.2012.09.027
Hickey, R. (2000). Slope angle and slope length solutions for GIS. *Cartography* 29(1), 1-8.
Van Remortel, R., Hamilton, M., Hickey, R. (2001). Estimating the LS factor for RUSLE
through iterative slope length processing of digital elevation data within ArcInfo Grid.
*Cartography* 30(1), 27-35 (AML ``RUSLE_LS_4_PC``, Dec 2003: the cut-off and start rules).
Fu, S., Liu, B., Zhou, G., Sun, Z., Zhu, X. (2015). Calculation tool of topographic
factors. *Science of Soil and Water Conservation* 13(5), 105-110.
Liu, B. Y., Nearing, M. A., Shi, P. J., Jia, Z. W. (2000). Slope length effects on soil
loss for steep slopes. *Soil Sci. Soc. Am. J.* 64, 1759-1763.
Liu, B. Y., Zhang, K. L., Xie, Y. (2002). An empirical soil loss equation. *Proc. 12th ISCO
Conference*, Beijing, vol. III, 21-25.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr
from pyproj import CRS as ProjCRS
from pyproj import Geod

from landcarbon.arrays import continuous
from landcarbon.backend import map_cells, map_focal, require_in_memory
from landcarbon.erosion._kernels import (
    accumulate,
    csle_class_m,
    cumulative_slope_length,
    d8_receivers,
    horn_difference,
    invest_m,
    mccool_m,
    priority_flood,
    s_csle,
    s_rusle,
)
from landcarbon.errors import ParameterError, RasterError
from landcarbon.grid import SQ_M_PER_HA, Grid
from landcarbon.raster import like

UNIT_PLOT_LENGTH_M = 22.13
"""Length of the USLE unit plot (m), the L = 1 reference."""

ExponentRule = Literal["classes", "mccool"]
LsMethod = Literal["csle", "rusle"]
SlopeLengthRule = Literal["cumulative", "accumulation"]
LForm = Literal["point", "segment"]

CUTOFF_GENTLE = 0.7
"""Slope cut-off factor where the down-slope angle is under 5 % (Van Remortel et al. 2001)."""

CUTOFF_STEEP = 0.5
"""Slope cut-off factor from 5 % (Van Remortel et al. 2001; Hickey 2000's single factor)."""


def cell_sizes_m(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """East-west and north-south size (m) of the cells of each row, shape ``(rows,)``.

    Projected grids: ``|a| × unit`` and ``|e| × unit`` (the same for every row).
    Geographic grids, on the CRS ellipsoid: east-west the arc of the row's centre
    parallel across one cell, north-south the meridian arc across the row. Rotated
    grids are refused.
    """
    t = grid.transform
    if t.b != 0 or t.d != 0:
        raise RasterError("the DEM grid is rotated; warp it to a north-up grid first (gdalwarp)")
    if grid.crs is None:
        raise RasterError(
            "the DEM has no CRS, so its cell size in metres is unknown; assign one "
            "(e.g. `gdal_edit.py -a_srs EPSG:XXXX dem.tif`)"
        )
    if not grid.is_geographic:
        unit = grid.linear_unit_m()
        return np.full(grid.rows, abs(t.a) * unit), np.full(grid.rows, abs(t.e) * unit)
    ell = ProjCRS.from_wkt(grid.crs.to_wkt()).ellipsoid
    if ell is None:
        raise RasterError("the DEM's geographic CRS has no ellipsoid; cell sizes are unknown")
    a = ell.semi_major_metre
    e2 = 1.0 - (ell.semi_minor_metre / a) ** 2
    top = t.f + t.e * np.arange(grid.rows)
    phi = np.radians(top + t.e / 2)
    # length of the parallel arc across one cell: N(φ) cos φ Δλ (N: prime-vertical radius)
    dx = a * np.cos(phi) / np.sqrt(1.0 - e2 * np.sin(phi) ** 2) * np.radians(abs(t.a))
    geod = Geod(a=a, b=ell.semi_minor_metre)
    zeros = np.zeros(grid.rows)
    _, _, dy = geod.inv(zeros, top, zeros, top + t.e)  # meridian arc across the row
    return np.asarray(dx, dtype=np.float64), np.asarray(dy, dtype=np.float64)


def _row_field(template: xr.DataArray, per_row: np.ndarray, name: str) -> xr.DataArray:
    """A per-row value broadcast over the columns (a read-only view, no copy)."""
    data = np.broadcast_to(per_row[:, None], template.shape)
    out = like(template, data, name=name)
    return out.chunk(template.chunksizes) if template.chunks else out


def _slope_from_differences(
    gx: np.ndarray, gy: np.ndarray, dx: np.ndarray, dy: np.ndarray
) -> np.ndarray:
    """Slope (degrees) from Horn differences (m per cell) and cell sizes (m), in place
    on the two fresh quotients so a large map holds two temporaries, not five."""
    tan_x = gx / dx
    tan_y = gy / dy
    np.hypot(tan_x, tan_y, out=tan_x)
    np.arctan(tan_x, out=tan_x)
    return np.degrees(tan_x, out=tan_x)  # type: ignore[no-any-return]


def slope_deg(dem: xr.DataArray) -> xr.DataArray:
    """Slope (degrees) of a DEM in metres, with Horn's (1981) method.

    Works on projected and geographic grids (cell sizes from :func:`cell_sizes_m`).
    Focal step (``backend.map_focal``, halo 1): stays lazy on dask input. Map edges and
    cells beside nodata use the centre value for missing neighbours; nodata stays NaN.
    """
    dem = continuous(dem, "dem")
    grid = Grid.from_dataarray(dem)
    dx_rows, dy_rows = cell_sizes_m(grid)
    z = dem.astype(np.float64, copy=False)
    gx = map_focal(horn_difference, z, depth=1, name="horn_dx", axis=1)
    gy = map_focal(horn_difference, z, depth=1, name="horn_dy", axis=0)
    dx = _row_field(z, dx_rows, "dx_m")
    dy = _row_field(z, dy_rows, "dy_m")
    out = map_cells(_slope_from_differences, gx, gy, dx, dy, name="slope_deg")
    out.attrs["units"] = "degree"
    return out


@dataclass(frozen=True)
class FlowRouting:
    """D8 routing on the depression-filled DEM (all numpy, shape of the DEM).

    ``filled`` (m), ``accumulation_cells`` (cells draining through each cell, itself
    included), ``upslope_area_m2`` (the same in m²), ``flow_length_m`` (distance to the
    receiver) and ``diagonal`` (True where the cell drains diagonally); ``receiver``
    (flat index of each cell's D8 receiver, -1 for outlets and nodata) and ``order``
    (flat indices of the valid cells, every receiver before its donors).
    """

    filled: np.ndarray
    accumulation_cells: np.ndarray
    upslope_area_m2: np.ndarray
    flow_length_m: np.ndarray
    diagonal: np.ndarray
    receiver: np.ndarray
    order: np.ndarray


def flow_routing(dem: xr.DataArray) -> FlowRouting:
    """Fill depressions (priority-flood), route D8 and accumulate flow.

    A global step: the whole DEM is held in memory (:func:`topography` peaks at about
    56 bytes per cell besides the DEM with the cumulative slope length, 48 with the
    accumulation rule, measured on 2000 x 2000: priority-flood's padded copy, heap and
    queues, then the routing).
    """
    z = require_in_memory(
        dem, "flow accumulation", "load the DEM into memory (drop `chunks`) for this step"
    ).astype(np.float64, copy=False)  # priority_flood reads it into its own padded copy
    grid = Grid.from_dataarray(dem)
    dx_rows, dy_rows = cell_sizes_m(grid)
    rows, cols = z.shape
    filled, parent, order = priority_flood(z)
    receiver, length, diagonal = d8_receivers(filled, parent, dx_rows, dy_rows)
    cells = accumulate(receiver, order, np.ones(rows), cols)
    area = accumulate(receiver, order, grid.row_area_ha() * SQ_M_PER_HA, cols)
    return FlowRouting(
        filled=filled,
        accumulation_cells=cells.reshape(rows, cols),
        upslope_area_m2=area.reshape(rows, cols),
        flow_length_m=length.reshape(rows, cols),
        diagonal=diagonal.reshape(rows, cols),
        receiver=receiver,
        order=order,
    )


def slope_length_m(
    dem: xr.DataArray,
    routing: FlowRouting,
    *,
    rule: SlopeLengthRule = "cumulative",
    cutoff_gentle: float = CUTOFF_GENTLE,
    cutoff_steep: float = CUTOFF_STEEP,
) -> np.ndarray:
    """Slope length λ (m) of every cell from its D8 routing, numpy (rows, cols).

    ``rule="cumulative"``: the cumulative slope length of the LS tools with the slope
    cut-off factors (see :func:`~landcarbon.erosion._kernels.cumulative_slope_length`).
    ``rule="accumulation"``: cells draining through the cell times its flow length.
    NaN on nodata. Not capped.
    """
    if rule == "accumulation":
        return routing.accumulation_cells * routing.flow_length_m  # type: ignore[no-any-return]
    dx_rows, _ = cell_sizes_m(Grid.from_dataarray(dem))
    rows, cols = routing.filled.shape
    lam = cumulative_slope_length(
        routing.filled.ravel(),
        routing.receiver,
        routing.flow_length_m.ravel(),
        routing.order,
        dx_rows,
        cols,
        cutoff_gentle,
        cutoff_steep,
    )
    return lam.reshape(rows, cols)  # type: ignore[no-any-return]


def mccool_exponent(theta_deg: np.ndarray) -> np.ndarray:
    """RUSLE slope-length exponent ``m = β/(1+β)``, ``β = (sinθ/0.0896)/(3 sinθ^0.8 + 0.56)``.

    McCool et al. (1989), moderate rill/interrill ratio. θ in degrees.
    """
    with np.errstate(invalid="ignore"):  # NaN lanes of the SIMD loop
        return mccool_m(theta_deg)  # type: ignore[no-any-return]


def csle_class_exponent(theta_deg: np.ndarray) -> np.ndarray:
    """CSLE census exponent m (dimensionless): 0.2 (θ ≤ 1°), 0.3 (≤ 3°), 0.4 (≤ 5°), 0.5 (> 5°)."""
    with np.errstate(invalid="ignore"):  # NaN lanes of the SIMD loop
        return csle_class_m(theta_deg)  # type: ignore[no-any-return]


def invest_exponent(theta_deg: np.ndarray) -> np.ndarray:
    """InVEST SDR exponent: 0.2/0.3/0.4/0.5 for slope ≤ 1/3.5/5/9 %, McCool's β/(1+β) above."""
    with np.errstate(invalid="ignore"):  # NaN lanes of the SIMD loop
        return invest_m(theta_deg)  # type: ignore[no-any-return]


def s_factor_csle(theta_deg: np.ndarray) -> np.ndarray:
    """CSLE slope-steepness factor S (dimensionless) from slope θ in degrees.

    ``10.8 sinθ + 0.03`` (θ < 5°) and ``16.8 sinθ - 0.50`` (5° ≤ θ < 10°) after McCool
    et al. (1987) with the 5° break of Chinese practice; ``21.91 sinθ - 0.96`` (θ ≥ 10°)
    after Liu et al. (1994). Discontinuous at 5° and 10° by design (METHODS.md §7).
    """
    with np.errstate(invalid="ignore"):  # NaN lanes of the SIMD loop
        return s_csle(theta_deg)  # type: ignore[no-any-return]


def s_factor_rusle(theta_deg: np.ndarray) -> np.ndarray:
    """RUSLE / InVEST S: ``10.8 sinθ + 0.03`` below 9 % slope, ``16.8 sinθ - 0.50`` above."""
    with np.errstate(invalid="ignore"):  # NaN lanes of the SIMD loop
        return s_rusle(theta_deg)  # type: ignore[no-any-return]


def l_factor_point(slope_length_m: np.ndarray, m: np.ndarray) -> np.ndarray:
    """USLE slope-length factor ``L = (λ / 22.13)^m`` (dimensionless) for λ in metres."""
    return (slope_length_m / UNIT_PLOT_LENGTH_M) ** m  # type: ignore[no-any-return]


def l_factor_segment(
    slope_length_m: np.ndarray, flow_length_m: np.ndarray, m: np.ndarray
) -> np.ndarray:
    """Segment L of a cell (Foster & Wischmeier 1974), dimensionless.

    ``L = (λ_out^(m+1) - λ_in^(m+1)) / ((λ_out - λ_in) 22.13^m)`` over the cell's own flow
    path ``ℓ`` centred on its slope length λ (m): ``λ_in = max(λ - ℓ/2, 0)``,
    ``λ_out = λ + ℓ/2``. Averaged over a uniform slope it equals ``(λ/22.13)^m`` of the
    whole slope length.
    """
    lo = np.maximum(slope_length_m - 0.5 * flow_length_m, 0.0)
    hi = slope_length_m + 0.5 * flow_length_m
    return (  # type: ignore[no-any-return]
        (hi ** (m + 1) - lo ** (m + 1)) / ((hi - lo) * UNIT_PLOT_LENGTH_M**m)
    )


def l_factor_desmet_govers(
    inlet_area_m2: np.ndarray, cell_width_m: np.ndarray, x: np.ndarray, m: np.ndarray
) -> np.ndarray:
    """Desmet & Govers (1996) L of a cell from the contributing area at its inlet.

    ``L = ((A_in + D²)^(m+1) - A_in^(m+1)) / (D^(m+2) x^m 22.13^m)``, with ``A_in`` the
    upslope area (m²) entering the cell, ``D`` the cell width (m) and ``x`` the flow-
    direction factor ``|sin α| + |cos α|`` (1 cardinal, √2 diagonal in D8).
    """
    d = cell_width_m
    return (  # type: ignore[no-any-return]
        ((inlet_area_m2 + d * d) ** (m + 1) - inlet_area_m2 ** (m + 1))
        / (d ** (m + 2) * x**m * UNIT_PLOT_LENGTH_M**m)
    )


@dataclass(frozen=True)
class Topography:
    """Slope (degrees), slope length (m), flow accumulation (cells), L, S and LS."""

    slope_deg: xr.DataArray
    accumulation_cells: xr.DataArray
    slope_length_m: xr.DataArray
    l_factor: xr.DataArray
    s_factor: xr.DataArray
    ls_factor: xr.DataArray


def topography(
    dem: xr.DataArray,
    *,
    method: LsMethod = "csle",
    exponent: ExponentRule = "classes",
    slope_length: SlopeLengthRule = "cumulative",
    cutoff_gentle: float = CUTOFF_GENTLE,
    cutoff_steep: float = CUTOFF_STEEP,
    lambda_max_m: float | None = None,
    l_form: LForm = "point",
    l_max: float = 122.0,
) -> Topography:
    """LS factor of a DEM (elevations in metres) with its intermediate layers.

    Parameters
    ----------
    dem : DataArray, elevation (m), NaN for nodata; projected or geographic CRS.
    method : ``"csle"`` (default): ``L = (λ/22.13)^m`` and the CSLE S (McCool < 10°,
        Liu et al. 1994 ≥ 10°). ``"rusle"``: Desmet & Govers (1996) L from the D8
        upslope area (capped at ``l_max``, InVEST SDR's default 122) with InVEST's m
        table and the McCool S with a 9 % break.
    exponent : for ``"csle"``, ``"classes"`` (default: the CSLE census m = 0.2/0.3/0.4/0.5
        for θ ≤ 1°/≤ 3°/≤ 5°/> 5°) or ``"mccool"`` (McCool et al. 1989).
    slope_length : for ``"csle"``, ``"cumulative"`` (default: the LS tools' cumulative
        slope length with slope cut-off) or ``"accumulation"`` (cells × flow length).
    cutoff_gentle, cutoff_steep : slope cut-off factors (0-1) of the ``"cumulative"``
        rule below / from a 5 % down-slope gradient (0.7 and 0.5, Van Remortel et al.).
    lambda_max_m : cap of λ (m), ``"csle"`` only; None (default): no cap, as the tools.
    l_form : for ``"csle"``, ``"point"`` (default, ``(λ/22.13)^m`` at the cell centre) or
        ``"segment"`` (Foster & Wischmeier's segment L over the cell's flow path, read as
        the "segmented slope" L of Fu et al.'s 2015 census tool; :func:`l_factor_segment`).
    l_max : cap of the L factor, ``"rusle"`` only.

    Returns
    -------
    Topography with DataArrays on the DEM's grid (NaN on nodata cells).
    """
    _check_options(
        method, exponent, slope_length, cutoff_gentle, cutoff_steep, lambda_max_m, l_form
    )
    if not l_max > 0:
        raise ParameterError(f"l_max ({l_max}) must be > 0 (the cap of the L factor)")
    dem = continuous(dem, "dem")
    routing = flow_routing(dem)
    accumulation = routing.accumulation_cells
    if method == "csle":
        lam = slope_length_m(
            dem,
            routing,
            rule=slope_length,
            cutoff_gentle=cutoff_gentle,
            cutoff_steep=cutoff_steep,
        )
        if lambda_max_m is not None:
            np.minimum(lam, lambda_max_m, out=lam)
        flow_length = routing.flow_length_m
    else:
        own_m2 = (Grid.from_dataarray(dem).row_area_ha() * SQ_M_PER_HA)[:, None]
        inlet = np.maximum(routing.upslope_area_m2 - own_m2, 0.0)
        x = np.where(routing.diagonal, np.sqrt(2.0), 1.0)
        lam = routing.upslope_area_m2 / np.sqrt(own_m2)  # specific contributing area (m)
    del routing  # the filled DEM, flow lengths and areas are not returned: free them first
    slope = slope_deg(dem)
    theta = np.asarray(slope.data)
    if method == "csle":
        m = mccool_exponent(theta) if exponent == "mccool" else csle_class_exponent(theta)
        l_fac = (
            l_factor_point(lam, m) if l_form == "point" else l_factor_segment(lam, flow_length, m)
        )
        s_fac = s_factor_csle(theta)
    else:
        l_fac = np.minimum(
            l_factor_desmet_govers(inlet, np.sqrt(own_m2), x, invest_exponent(theta)), l_max
        )
        s_fac = s_factor_rusle(theta)
    layers = {  # NaN on nodata cells already: slope and accumulation are NaN there
        "accumulation_cells": accumulation,
        "slope_length_m": lam,
        "l_factor": l_fac,
        "s_factor": s_fac,
        "ls_factor": l_fac * s_fac,
    }
    wrapped = {k: like(dem, v, name=k) for k, v in layers.items()}
    return Topography(slope_deg=slope, **wrapped)


def _check_options(
    method: str,
    exponent: str,
    slope_length: str,
    cutoff_gentle: float,
    cutoff_steep: float,
    lambda_max_m: float | None,
    l_form: str,
) -> None:
    """ParameterError naming the option and its choices or range."""
    choices = {
        "LS method": (method, ("csle", "rusle")),
        "slope-length exponent": (exponent, ("classes", "mccool")),
        "slope-length rule": (slope_length, ("cumulative", "accumulation")),
        "L form": (l_form, ("point", "segment")),
    }
    for what, (value, allowed) in choices.items():
        if value not in allowed:
            raise ParameterError(f"{what} {value!r} is unknown; select from {list(allowed)}")
    for name, factor in (("cutoff_gentle", cutoff_gentle), ("cutoff_steep", cutoff_steep)):
        if not 0 <= factor <= 1:
            raise ParameterError(
                f"{name} ({factor}) must be within 0-1: the share of the upslope down-slope "
                f"angle below which slope length cumulation ends (0 never ends it)"
            )
    if lambda_max_m is not None and not lambda_max_m > 0:
        raise ParameterError(
            f"lambda_max_m ({lambda_max_m}) must be > 0 (metres), or None for no cap"
        )
