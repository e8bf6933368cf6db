"""Land-use transfer matrix between two dates, gains and losses, dynamic degree.

The transfer (cross-tabulation) matrix ``A[i, j]`` is the area that was class ``codes[i]`` at
the first date (row, *from*) and class ``codes[j]`` at the second (column, *to*): row sums
are the areas at t0, column sums the areas at t1. This is the orientation of lulcc's
``crossTabulate`` (Moulds et al. 2015, doi:10.5194/gmd-8-3215-2015), checked cell for cell
against its published Plum Island 1985->1991 matrix.

Counting is a map-reduce: every chunk maps each cell to ``from_index * K + to_index`` and
``np.bincount`` counts the pairs (:func:`landcarbon.backend.chunked_bincount`), so dask maps
are never loaded whole. Areas are true cell areas (:meth:`Grid.row_area_ha`), also on
geographic grids.

Gains, losses, net change and swap follow Pontius, Shusas & McEachern (2004),
doi:10.1016/j.agee.2003.09.008. Dynamic degrees follow Wang Xiulan & Bao Yuhai (1999),
*Progress in Geography* 18(1):81-87 (single and comprehensive land-use dynamic degree).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from landcarbon.arrays import categorical
from landcarbon.backend import chunked_bincount, map_cells
from landcarbon.errors import AlignmentError, ParameterError
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA
from landcarbon.tables import class_counts

if TYPE_CHECKING:
    import xarray as xr

HA_PER_KM2 = 100.0

DynamicNumerator = Literal["transfer_out", "gross", "net"]


# ----------------------------------------------------------------------- joint counting
def check_same_grid(maps: Sequence[xr.DataArray], labels: Sequence[str]) -> Grid:
    """Return the grid shared by ``maps``; AlignmentError naming the map that differs."""
    grid = Grid.from_dataarray(maps[0])
    for da, label in zip(maps[1:], labels[1:], strict=True):
        diff = grid.difference(Grid.from_dataarray(da))
        if diff:
            raise AlignmentError(
                f"{label} is not on the grid of {labels[0]}: {diff}. Fix: warp it onto the "
                f"grid of {labels[0]} (gdalwarp -tr/-te/-t_srs, nearest neighbour)"
            )
    return grid


def common_mask(
    maps: Mapping[str, xr.DataArray], *, strict: bool = False, strict_option: str = "strict"
) -> tuple[dict[str, xr.DataArray], dict[str, int]]:
    """The land-use maps on the cells valid in all of them, and the cells dropped from each.

    Nodata masks that differ between dates are normal in real data (a few edge cells); a
    cell that is nodata in any map becomes nodata in every map, so the Markov demand and
    the allocation count the same region. With ``strict`` the masks must be equal:
    ParameterError names each map's cells valid there only, and ``strict_option`` (how
    the caller turns strict off: a CLI option or a study-file key) as the fix.
    """
    coerced = {name: categorical(da, name) for name, da in maps.items()}
    valid = [da != CLASS_NODATA for da in coerced.values()]
    common = valid[0]
    for v in valid[1:]:
        common = common & v
    dropped = {name: int((v & ~common).sum()) for name, v in zip(coerced, valid, strict=True)}
    if strict and any(dropped.values()):
        listed = ", ".join(f"{name}: {n} cells" for name, n in dropped.items() if n)
        raise ParameterError(
            f"the nodata masks of {', '.join(coerced)} differ (valid in one map but nodata "
            f"in another: {listed}); give maps with one nodata mask, or leave out "
            f"{strict_option} to work on the cells valid in every map"
        )
    out = {
        name: da.where(common, CLASS_NODATA).astype(np.int32) if dropped[name] else da
        for name, da in coerced.items()
    }
    return out, dropped


def class_codes_of(maps: Sequence[xr.DataArray]) -> tuple[int, ...]:
    """Sorted union of the class codes found in ``maps`` (nodata excluded; map-reduce on dask)."""
    found: set[int] = set()
    for da in maps:
        found.update(class_counts(da))
    return tuple(sorted(found))


def _joint_index(*blocks: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per cell ``sum_m idx_m * K**(n-1-m)``; -1 where every map is nodata.

    ``K**n`` flags a cell with a code outside ``codes``; ``K**n + 1`` a cell that is nodata in
    some maps but not in all. One numba pass over the cells
    (:func:`landcarbon.landuse._change_kernels.joint_index`).
    """
    from landcarbon.landuse._change_kernels import joint_index

    stack = np.stack([np.asarray(b).ravel() for b in blocks])
    return joint_index(stack, codes, int(CLASS_NODATA)).reshape(np.shape(blocks[0]))


@dataclass(frozen=True)
class JointCounts:
    """Cell counts of every combination of classes across ``n`` aligned maps.

    ``cells`` has shape ``(K,) * n`` (axis ``m`` = class index in map ``m``); ``index`` is the
    per-cell joint index (lazy on dask) for weighted counts such as areas.
    """

    codes: tuple[int, ...]
    cells: np.ndarray
    index: xr.DataArray
    cells_valid_in_some_maps_only: int


def joint_counts(
    maps: Sequence[xr.DataArray], labels: Sequence[str], codes: Sequence[int] | None = None
) -> JointCounts:
    """Count cells per class combination over aligned categorical maps (map-reduce).

    Parameters
    ----------
    maps : sequence of xarray.DataArray
        int32 class maps on one grid, :data:`~landcarbon.raster.CLASS_NODATA` for nodata.
    labels : sequence of str
        A name per map for error messages (file name or date).
    codes : sequence of int, optional
        Class codes to count; default: every code found in the maps.

    Raises
    ------
    AlignmentError
        The maps are not on one grid.
    ParameterError
        A map holds a code that is not in ``codes``.
    """
    check_same_grid(maps, labels)
    found = class_codes_of(maps) if codes is None else tuple(sorted({int(c) for c in codes}))
    if not found:
        raise ParameterError(f"{', '.join(labels)}: no class codes to count (all nodata?)")
    k, n = len(found), len(maps)
    index = map_cells(_joint_index, *maps, dtype=np.int64, codes=np.asarray(found, np.int64))
    counts = chunked_bincount(index, k**n + 2).astype(np.int64)
    if counts[k**n]:
        stray = sorted(set(class_codes_of(maps)) - set(found))
        raise ParameterError(
            f"{', '.join(labels)}: {int(counts[k**n])} cells hold class codes {stray} that are "
            f"not among the codes given {list(found)}; add them to the codes or reclassify "
            f"the maps"
        )
    return JointCounts(found, counts[: k**n].reshape((k,) * n), index, int(counts[k**n + 1]))


def joint_area_ha(joint: JointCounts, grid: Grid) -> np.ndarray:
    """True area (ha) of every class combination, same shape as ``joint.cells``.

    Projected grids: cells x the constant cell area (exact). Geographic grids: a weighted
    bincount with each row's ellipsoidal cell area.
    """
    row_area = grid.row_area_ha()
    if np.all(row_area == row_area[0]):
        return joint.cells * row_area[0]
    import xarray as xr

    index = joint.index
    weights = xr.zeros_like(index, dtype=np.float64) + xr.DataArray(
        row_area, dims=(index.dims[0],), coords={index.dims[0]: index[index.dims[0]]}
    )
    bins = joint.cells.size
    return chunked_bincount(index, bins, weights=weights.transpose(*index.dims)).reshape(
        joint.cells.shape
    )


# ----------------------------------------------------------------------- transfer matrix
@dataclass(frozen=True)
class TransferMatrix:
    """Cross-tabulation of two land-use maps.

    Attributes
    ----------
    codes : tuple of int
        Class codes in row/column order.
    cells : int64 ndarray, shape (K, K)
        ``cells[i, j]``: cells of class ``codes[i]`` at t0 (row) and ``codes[j]`` at t1 (column).
    area_ha : float64 ndarray, shape (K, K)
        The same in true hectares.
    years : tuple of float, optional
        (t0, t1), needed by the dynamic degrees.
    cells_valid_in_one_date_only : int
        Cells that hold data at one date but nodata at the other; they are not in the matrix.
    """

    codes: tuple[int, ...]
    cells: np.ndarray
    area_ha: np.ndarray
    years: tuple[float, float] | None = None
    cells_valid_in_one_date_only: int = 0

    @property
    def area_km2(self) -> np.ndarray:
        """Transfer matrix in km^2."""
        return self.area_ha / HA_PER_KM2

    @property
    def percent_of_row(self) -> np.ndarray:
        """Share (%) of each t0 class's area going to each t1 class; rows sum to 100."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return 100.0 * self.area_ha / self.area_ha.sum(axis=1, keepdims=True)

    @property
    def area_t0_ha(self) -> np.ndarray:
        """Class areas (ha) at t0: row sums."""
        return self.area_ha.sum(axis=1)

    @property
    def area_t1_ha(self) -> np.ndarray:
        """Class areas (ha) at t1: column sums."""
        return self.area_ha.sum(axis=0)

    @property
    def span_years(self) -> float:
        """t1 - t0 in years; ParameterError when the years are unknown or not increasing."""
        if self.years is None:
            raise ParameterError(
                "the transfer matrix has no years; pass years=(t0, t1) to transfer_matrix"
            )
        span = float(self.years[1]) - float(self.years[0])
        if span <= 0:
            raise ParameterError(f"years {self.years}: the second date must follow the first")
        return span

    def to_frame(self, unit: Literal["cells", "ha", "km2", "percent"] = "ha") -> pd.DataFrame:
        """The K x K matrix as a DataFrame (index ``from``, columns ``to``) in ``unit``."""
        values = {
            "cells": self.cells,
            "ha": self.area_ha,
            "km2": self.area_km2,
            "percent": self.percent_of_row,
        }
        if unit not in values:
            raise ParameterError(f"unit {unit!r}: choose one of {sorted(values)}")
        index = pd.Index(self.codes, name="from")
        return pd.DataFrame(values[unit], index=index, columns=pd.Index(self.codes, name="to"))

    def long_table(self) -> pd.DataFrame:
        """Sankey-ready long table: one row per non-empty (from, to) pair.

        Columns ``from``, ``to``, ``cells``, ``area_ha``, ``area_km2``, ``percent_of_from``.
        """
        i, j = np.nonzero(self.cells)
        codes = np.asarray(self.codes)
        return pd.DataFrame(
            {
                "from": codes[i],
                "to": codes[j],
                "cells": self.cells[i, j],
                "area_ha": self.area_ha[i, j],
                "area_km2": self.area_km2[i, j],
                "percent_of_from": self.percent_of_row[i, j],
            }
        )

    def class_changes(self) -> pd.DataFrame:
        """Per class: areas, persistence, gain, loss, net change and swap (ha).

        ``gain = column sum - diagonal``, ``loss = row sum - diagonal``,
        ``net = area_t1 - area_t0 = gain - loss`` (signed), ``swap = 2 min(gain, loss)`` and
        ``total_change = gain + loss = |net| + swap`` (Pontius et al. 2004).
        """
        persistence = np.diag(self.area_ha)
        gain = self.area_t1_ha - persistence
        loss = self.area_t0_ha - persistence
        return pd.DataFrame(
            {
                "area_t0_ha": self.area_t0_ha,
                "area_t1_ha": self.area_t1_ha,
                "persistence_ha": persistence,
                "gain_ha": gain,
                "loss_ha": loss,
                "net_ha": gain - loss,
                "swap_ha": 2.0 * np.minimum(gain, loss),
                "total_change_ha": gain + loss,
            },
            index=pd.Index(self.codes, name="code"),
        )

    def tables(self, names: Mapping[int, str] | None = None) -> dict[str, pd.DataFrame]:
        """Every table by file stem: the matrix in each unit, class changes, long table.

        With ``names`` (code → class name, every code of the matrix) the matrices are
        labelled by name (rows ``from``, columns ``to``), and the class changes and long
        table gain ``name`` / ``from_name``, ``to_name`` columns beside the codes.

        ``dynamic_degree_pct_per_yr`` of ``class_changes`` (with years) is NaN, an empty
        cell in a CSV, where it is undefined: a class absent from the first map (new at the
        second date, or absent from both) has no area to relate its change to; its
        ``gain_ha`` / ``net_ha`` say how much of it appeared. It is never ``inf``.
        """
        out = {
            f"transfer_{unit}": self.to_frame(unit) for unit in ("cells", "ha", "km2", "percent")
        }
        changes = self.class_changes()
        if self.years is not None:
            degree = single_dynamic_degree(self)  # inf for a class new at t1: undefined
            changes["dynamic_degree_pct_per_yr"] = degree.where(np.isfinite(degree))
        out["class_changes"] = changes
        out["transfer_long"] = self.long_table()
        if names is not None:
            label = [str(names[c]) for c in self.codes]
            for unit in ("cells", "ha", "km2", "percent"):
                frame = out[f"transfer_{unit}"]
                frame.index = pd.Index(label, name="from")
                frame.columns = pd.Index(label, name="to")
            changes.insert(0, "name", label)
            long = out["transfer_long"]
            long.insert(1, "from_name", [str(names[c]) for c in long["from"]])
            long.insert(3, "to_name", [str(names[c]) for c in long["to"]])
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: codes, years, the matrix in every unit, per-class changes."""
        out: dict[str, Any] = {
            "codes": list(self.codes),
            "years": None if self.years is None else list(self.years),
            "rows": "class at the first date (from)",
            "columns": "class at the second date (to)",
            "cells": self.cells.tolist(),
            "area_ha": self.area_ha.tolist(),
            "area_km2": self.area_km2.tolist(),
            "percent_of_row": np.nan_to_num(self.percent_of_row).tolist(),
            "cells_valid_in_one_date_only": self.cells_valid_in_one_date_only,
        }
        changes = self.tables()["class_changes"]  # undefined dynamic degree: NaN -> null
        out["classes"] = [
            {"code": int(code), **{k: (None if pd.isna(v) else float(v)) for k, v in row.items()}}
            for code, row in zip(self.codes, changes.to_dict("records"), strict=True)
        ]
        if self.years is not None:
            out["comprehensive_dynamic_degree_pct_per_yr"] = comprehensive_dynamic_degree(self)
        return out


def transfer_matrix(
    before: xr.DataArray,
    after: xr.DataArray,
    *,
    years: tuple[float, float] | None = None,
    codes: Sequence[int] | None = None,
) -> TransferMatrix:
    """Cross-tabulate two land-use maps of one grid into a transfer matrix.

    Parameters
    ----------
    before, after : xarray.DataArray
        int32 class maps at t0 and t1 (``CLASS_NODATA`` = nodata), numpy or dask.
    years : (float, float), optional
        The two dates, for the dynamic degrees.
    codes : sequence of int, optional
        Classes to tabulate (rows/columns), e.g. to include a class absent from both maps;
        default: the codes found in either map.

    Returns
    -------
    TransferMatrix
        Cells and true hectares; cells that are nodata at only one date are left out and
        counted in ``cells_valid_in_one_date_only``.

    Raises
    ------
    AlignmentError
        The maps are not on one grid.
    ParameterError
        A map holds a code outside ``codes``.
    """
    before, after = categorical(before, "before"), categorical(after, "after")
    labels = [_label(before, "the first map"), _label(after, "the second map")]
    joint = joint_counts([before, after], labels, codes)
    grid = Grid.from_dataarray(before)
    return TransferMatrix(
        joint.codes,
        joint.cells,
        joint_area_ha(joint, grid),
        None if years is None else (float(years[0]), float(years[1])),
        joint.cells_valid_in_some_maps_only,
    )


def _label(da: xr.DataArray, fallback: str) -> str:
    return str(da.attrs.get("source_path") or da.name or fallback)


# ----------------------------------------------------------------------- dynamic degree
def single_dynamic_degree(tm: TransferMatrix) -> pd.Series:
    """Single land-use dynamic degree per class, % per year.

    ``K = (U_b - U_a) / U_a / T * 100`` with ``U_a``, ``U_b`` the class areas at t0 and t1
    and ``T`` the span in years. A class absent at t0 gives ``inf`` (or NaN when also
    absent at t1); the tables and summary of `TransferMatrix` write both as NaN (an empty
    CSV cell, JSON ``null``): the degree of a class new at t1 is undefined.
    """
    ua, ub = tm.area_t0_ha, tm.area_t1_ha
    with np.errstate(divide="ignore", invalid="ignore"):
        k = (ub - ua) / ua / tm.span_years * 100.0
    return pd.Series(k, index=pd.Index(tm.codes, name="code"), name="dynamic_degree_pct_per_yr")


def comprehensive_dynamic_degree(
    tm: TransferMatrix, numerator: DynamicNumerator = "transfer_out"
) -> float:
    """Comprehensive land-use dynamic degree, % per year.

    ``LC = N / (2 * sum_i LU_i) / T * 100`` with ``sum_i LU_i`` the total area at t0 and
    ``T`` the span in years (Wang & Bao 1999). The numerator ``N``:

    - ``"transfer_out"`` (default, the original formula): ``sum_i dLU_{i-j}``, the area that
      changed class (off-diagonal sum);
    - ``"gross"``: transfer-out plus transfer-in, i.e. twice the off-diagonal sum, so the
      /2 cancels;
    - ``"net"``: ``sum_i |U_b,i - U_a,i|``.
    """
    off_diagonal = tm.area_ha.sum() - np.trace(tm.area_ha)
    numerators = {
        "transfer_out": off_diagonal,
        "gross": 2.0 * off_diagonal,
        "net": np.abs(tm.area_t1_ha - tm.area_t0_ha).sum(),
    }
    if numerator not in numerators:
        raise ParameterError(f"numerator {numerator!r}: choose one of {sorted(numerators)}")
    total = tm.area_t0_ha.sum()
    return float(numerators[numerator] / (2.0 * total) / tm.span_years * 100.0)
