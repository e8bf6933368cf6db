"""Soil loss by the CSLE, potential loss, soil conservation and intensity grades.

``A = R · K · L · S · B · E · T`` (Liu, Zhang & Xie 2002), A in t ha⁻¹ a⁻¹ with R in
MJ mm ha⁻¹ h⁻¹ a⁻¹ and K in t ha h ha⁻¹ MJ⁻¹ mm⁻¹. Potential loss sets B = E = T = 1;
soil conservation is ``A_p - A = R K LS (1 - B E T)`` (METHODS.md §8). RUSLE's C and P
are accepted in the B and E slots.

Intensity grades follow the Chinese standard SL 190-2007 (water erosion), thresholds in
t km⁻² a⁻¹ (= 100 × t ha⁻¹ a⁻¹), bins closed below: slight (< T, the tolerable loss of
the region: 200 in the north-east black-soil and northern rocky mountain regions, 500 in
the southern red-soil and south-western rocky regions, 1000 on the north-western
loess), light (T to 2500), moderate (2500-5000), intense (5000-8000), very intense
(8000-15000), severe (≥ 15000).

References
----------
Liu, B. Y., Zhang, K. L., Xie, Y. (2002). An empirical soil loss equation. *Proc. 12th
International Soil Conservation Organization Conference*, Beijing, vol. III, 21-25.
Ministry of Water Resources of China (2008). *Standards for classification and gradation
of soil erosion*, SL 190-2007.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from landcarbon.backend import chunked_bincount, fixed_total, map_cells
from landcarbon.errors import ParameterError
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA, like

Region = Literal["north_black_soil", "south_red_soil", "northwest_loess"]

TOLERABLE_LOSS_T_PER_KM2 = {
    "north_black_soil": 200.0,
    "south_red_soil": 500.0,
    "northwest_loess": 1000.0,
}
"""Tolerable soil loss T of SL 190-2007 by region (t km⁻² a⁻¹)."""

GRADE_NAMES = ("slight", "light", "moderate", "intense", "very_intense", "severe")
"""Grade 1..6 of SL 190-2007."""

UPPER_GRADE_EDGES_T_PER_KM2 = (2500.0, 5000.0, 8000.0, 15000.0)
"""Lower edges of the light..severe grades above T (t km⁻² a⁻¹), the same in every region."""


def _product(*factors: np.ndarray) -> np.ndarray:
    out = factors[0].astype(np.float64)  # a fresh copy, multiplied in place
    for f in factors[1:]:
        out *= f
    return out


def soil_loss(
    r: xr.DataArray,
    k: xr.DataArray,
    ls: xr.DataArray,
    b: xr.DataArray,
    e: xr.DataArray,
    t: xr.DataArray,
) -> xr.DataArray:
    """Actual soil loss ``A = R K LS B E T`` (t ha⁻¹ a⁻¹) per cell; lazy on dask."""
    out = map_cells(_product, r, k, ls, b, e, t, name="soil_loss_t_per_ha")
    out.attrs["units"] = "t ha-1 a-1"
    return out


def potential_soil_loss(r: xr.DataArray, k: xr.DataArray, ls: xr.DataArray) -> xr.DataArray:
    """Potential soil loss ``A_p = R K LS`` (B = E = T = 1), t ha⁻¹ a⁻¹; lazy on dask."""
    out = map_cells(_product, r, k, ls, name="potential_soil_loss_t_per_ha")
    out.attrs["units"] = "t ha-1 a-1"
    return out


def _conservation(potential: np.ndarray, actual: np.ndarray) -> np.ndarray:
    return potential - actual  # type: ignore[no-any-return]


def soil_conservation(potential: xr.DataArray, actual: xr.DataArray) -> xr.DataArray:
    """Soil conservation ``A_p - A`` (t ha⁻¹ a⁻¹): the loss that cover and practices avoid."""
    out = map_cells(_conservation, potential, actual, name="soil_conservation_t_per_ha")
    out.attrs["units"] = "t ha-1 a-1"
    return out


def _grade(a_t_per_ha: np.ndarray, edges: np.ndarray) -> np.ndarray:
    g = np.searchsorted(edges, a_t_per_ha * 100.0, side="right") + 1
    return np.where(np.isnan(a_t_per_ha), CLASS_NODATA, g).astype(np.int32)


def grade_edges_t_per_km2(region: Region) -> np.ndarray:
    """Lower edges of grades 2..6 (t km⁻² a⁻¹) for an SL 190-2007 region."""
    if region not in TOLERABLE_LOSS_T_PER_KM2:
        raise ParameterError(
            f"erosion region {region!r} is unknown; select from {list(TOLERABLE_LOSS_T_PER_KM2)}"
        )
    return np.array((TOLERABLE_LOSS_T_PER_KM2[region], *UPPER_GRADE_EDGES_T_PER_KM2))


def intensity_grade(
    soil_loss_t_per_ha: xr.DataArray, region: Region = "south_red_soil"
) -> xr.DataArray:
    """SL 190-2007 grade (int32, 1 slight … 6 severe; CLASS_NODATA on nodata); lazy."""
    edges = grade_edges_t_per_km2(region)
    out = map_cells(_grade, soil_loss_t_per_ha, dtype=np.int32, name="erosion_grade", edges=edges)
    out.attrs.pop("_FillValue", None)
    return out.rio.write_nodata(int(CLASS_NODATA), encoded=False)


def _row_areas(template: xr.DataArray) -> xr.DataArray:
    """True cell area (ha) of each row as a DataArray along ``y`` (broadcasts over ``x``)."""
    per_row = Grid.from_dataarray(template).row_area_ha()
    return xr.DataArray(
        per_row, dims=(template.dims[0],), coords={template.dims[0]: template[template.dims[0]]}
    )


def _area_field(template: xr.DataArray) -> xr.DataArray:
    per_row = Grid.from_dataarray(template).row_area_ha()
    out = like(template, np.broadcast_to(per_row[:, None], template.shape), name="cell_area_ha")
    return out.chunk(template.chunksizes) if template.chunks else out


def area_by_grade_ha(grades: xr.DataArray) -> dict[str, float]:
    """Area (ha, true cell areas) of each SL 190-2007 grade, all six named."""
    area = chunked_bincount(grades, len(GRADE_NAMES) + 1, weights=_area_field(grades))
    return {name: float(area[i + 1]) for i, name in enumerate(GRADE_NAMES)}


def total(per_ha: xr.DataArray) -> float:
    """Sum of a per-hectare map × true cell area (ha) over the map (NaN cells skipped).

    A map in t ha⁻¹ a⁻¹ gives t a⁻¹; one in t C ha⁻¹ a⁻¹ gives t C a⁻¹.

    Added in a fixed order (:func:`~landcarbon.backend.fixed_total`), so chunked and
    in-memory maps give the same total; the per-row areas broadcast along ``x``.
    """
    return fixed_total(per_ha * _row_areas(per_ha))


def mean_per_ha(per_ha: xr.DataArray) -> float:
    """Area-weighted mean of a per-hectare map over its valid cells (same unit, e.g. t ha⁻¹ a⁻¹)."""
    import dask

    areas = _row_areas(per_ha)
    amount, area = dask.compute(
        (per_ha * areas).sum(skipna=True), areas.where(per_ha.notnull()).sum(skipna=True)
    )
    return float(amount) / float(area) if float(area) > 0 else float("nan")


def _class_codes(classes: np.ndarray) -> np.ndarray:
    return np.where((classes == CLASS_NODATA) | (classes < 0), -1, classes).astype(np.int32)  # type: ignore[no-any-return]


def totals_by_class(layers: Mapping[str, xr.DataArray], classes: xr.DataArray) -> pd.DataFrame:
    """Totals of per-hectare maps × true cell area by class code (a chunked map-reduce).

    Returns one row per code present in ``classes`` with ``area_ha`` (cells where the
    first layer has data) and one column per layer (e.g. t a⁻¹); NaN cells are skipped.
    """
    codes = map_cells(_class_codes, classes, dtype=np.int32, name="codes")
    present = np.flatnonzero(chunked_bincount(codes, _code_bound(classes)))
    size = int(present[-1]) + 1 if present.size else 1
    areas = _row_areas(classes)
    first = next(iter(layers.values()))
    frame = pd.DataFrame({"code": present})
    # one weight map at a time: a dict of them all held every layer twice over at once
    frame["area_ha"] = _sum_by_code(codes, size, areas.where(first.notnull()), present)
    for key, layer in layers.items():
        frame[key] = _sum_by_code(codes, size, layer * areas, present)
    return frame


def _sum_by_code(
    codes: xr.DataArray, size: int, weights: xr.DataArray, present: np.ndarray
) -> np.ndarray:
    """Sum of ``weights`` (NaN skipped) over the cells of each code in ``present``."""
    w = weights.fillna(0.0).transpose(*codes.dims)
    return chunked_bincount(codes, size, weights=w)[present]  # type: ignore[no-any-return]


def total_by_class(per_ha: xr.DataArray, classes: xr.DataArray) -> dict[int, float]:
    """Sum of a per-hectare map × true cell area (ha) over each class code present.

    A map in t ha⁻¹ a⁻¹ gives t a⁻¹ per class.
    """
    frame = totals_by_class({"total": per_ha}, classes)
    return {int(c): float(v) for c, v in zip(frame["code"], frame["total"], strict=True)}


def _code_bound(classes: xr.DataArray) -> int:
    import dask

    data = classes.where(classes != CLASS_NODATA)
    hi = dask.compute(data.max())[0]
    return int(hi) + 1 if np.isfinite(float(hi)) else 1
