"""The erosion chain from GeoTIFFs to an output folder (what ``landcarbon erosion`` runs).

Reads the DEM, precipitation, land-use and soil maps (plus optional vegetation cover and
SOC content), checks they share one grid, computes every factor, soil loss, conservation,
grades and erosion carbon with :func:`landcarbon.erosion.budget.erosion_budget`, and
writes the layers, a table by land-use class and ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from landcarbon.classes import ClassScheme
from landcarbon.erosion.budget import CarbonParameters, ErosionResult, erosion_budget
from landcarbon.erosion.csle import GRADE_NAMES, Region
from landcarbon.erosion.presets import read_erosion_tables
from landcarbon.erosion.rainfall import ErosivityModel, r_factor
from landcarbon.erosion.soil import k_factor_epic, k_factor_from_table
from landcarbon.erosion.terrain import (
    CUTOFF_GENTLE,
    CUTOFF_STEEP,
    ExponentRule,
    LForm,
    LsMethod,
    SlopeLengthRule,
    topography,
)
from landcarbon.errors import ParameterError
from landcarbon.grid import check_aligned
from landcarbon.groups import classes_option
from landcarbon.raster import read_grid, read_raster, write_raster
from landcarbon.tables import ClassTable
from landcarbon.writes import write_csv, write_json

GRADE_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#7f0000")


@dataclass(frozen=True)
class ErosionOptions:
    """Method choices of one run: LS (see :func:`landcarbon.erosion.terrain.topography`),
    the R formulas (:class:`~landcarbon.erosion.rainfall.ErosivityModel`), the SL 190-2007
    region and the erosion-carbon parameters. The defaults are CSLE practice."""

    ls_method: LsMethod = "csle"
    exponent: ExponentRule = "classes"
    slope_length: SlopeLengthRule = "cumulative"
    cutoff_gentle: float = CUTOFF_GENTLE
    cutoff_steep: float = CUTOFF_STEEP
    lambda_max_m: float | None = None
    l_form: LForm = "point"
    l_max: float = 122.0
    erosivity: ErosivityModel = field(default_factory=ErosivityModel)
    region: Region = "south_red_soil"
    carbon: CarbonParameters = field(default_factory=CarbonParameters)


@dataclass(frozen=True)
class ErosionInputs:
    """Paths of the input rasters and the tables file (None: the shipped preset)."""

    dem: Path
    precip: Path
    lulc: Path
    soil: Path
    tables: Path | None = None
    cover: Path | None = None
    soc: Path | None = None
    daily_start: str | None = None
    """First date (YYYY-MM-DD) of a daily precipitation stack, one band per day (mm/day):
    R then comes from :func:`~landcarbon.erosion.rainfall.r_factor_daily`."""
    texture: tuple[Path, Path, Path] | None = None
    """Sand, silt and clay rasters (% by mass): K by the EPIC equation with the Zhang
    et al. (2007) correction (:func:`~landcarbon.erosion.soil.k_factor_epic`) from them and
    the topsoil organic carbon, instead of K by soil code."""
    classes: str | Path | ClassScheme | None = None
    """Classes of the land-use map: a class table file (code, name, group), a named scheme
    (``cnlucc``, ``cnlucc2``, ...) or a :class:`~landcarbon.classes.ClassScheme` (a study's
    ``[inputs] classes``): the tables' ``[[land_use]]`` rows keyed by group (as in the preset)
    resolve onto its codes; without it a group-keyed row is refused."""


def _daily(precip: xr.DataArray, start: str, path: Path) -> xr.DataArray:
    """The bands of ``precip`` as a daily series from ``start`` (dimension ``time``)."""
    try:
        days = pd.date_range(start, periods=precip.shape[0], freq="D")
    except ValueError as exc:
        raise ParameterError(
            f"daily_start {start!r} (CLI --daily-start): not a date ({exc}); use YYYY-MM-DD"
        ) from exc
    if precip.shape[0] < 365:
        raise ParameterError(
            f"{path}: {precip.shape[0]} band(s) is not a daily series (one band per day of "
            f"whole years); drop daily_start (--daily-start) for annual or monthly precipitation"
        )
    return precip.rename(band="time").assign_coords(time=days)


def _read(inputs: ErosionInputs, chunks: int | None) -> dict[str, xr.DataArray]:
    paths = {
        "dem": inputs.dem,
        "precip": inputs.precip,
        "lulc": inputs.lulc,
        "soil": inputs.soil,
        "cover": inputs.cover,
        "soc": inputs.soc,
        **dict(zip(("sand", "silt", "clay"), inputs.texture or (), strict=False)),
    }
    given = {k: Path(v) for k, v in paths.items() if v is not None}
    check_aligned({f"{k} ({p})": read_grid(p) for k, p in given.items()})
    out = {"dem": read_raster(given["dem"], name="dem")}  # flow routing holds it in memory
    out["precip"] = read_raster(given["precip"], band=0, chunks=chunks, name=str(given["precip"]))
    if inputs.daily_start is not None:
        out["precip"] = _daily(out["precip"], inputs.daily_start, given["precip"])
    for key in ("lulc", "soil"):
        out[key] = read_raster(given[key], "categorical", chunks=chunks, name=key)
    for key in ("cover", "soc", "sand", "silt", "clay"):
        if key in given:
            out[key] = read_raster(given[key], chunks=chunks, name=key)
    return out


def run_erosion(
    inputs: ErosionInputs,
    out_dir: Path,
    options: ErosionOptions | None = None,
    *,
    chunks: int | None = None,
    overwrite: bool = False,
) -> tuple[ErosionResult, dict[str, Any]]:
    """Run the CSLE chain on raster files and write every output to ``out_dir``.

    Returns the result and the summary written to ``summary.json`` (the JSON of the
    CLI: ``mean_t_per_ha``, ``total_t``, ``conservation_t``, ``by_grade_ha``,
    ``carbon_source_t_c``, ``carbon_sink_t_c`` and more, plus ``outputs``).
    """
    opts = options or ErosionOptions()
    classes = inputs.classes
    if classes is not None and not isinstance(classes, ClassScheme):
        classes = classes_option(str(classes))
    tables = read_erosion_tables(inputs.tables, classes)
    maps = _read(inputs, chunks)
    topo = topography(
        maps["dem"],
        method=opts.ls_method,
        exponent=opts.exponent,
        slope_length=opts.slope_length,
        cutoff_gentle=opts.cutoff_gentle,
        cutoff_steep=opts.cutoff_steep,
        lambda_max_m=opts.lambda_max_m,
        l_form=opts.l_form,
        l_max=opts.l_max,
    )
    ls = topo.ls_factor.chunk(chunks) if chunks else topo.ls_factor
    r = r_factor(maps["precip"], opts.erosivity)
    soc = maps["soc"] if "soc" in maps else _soc_from_table(maps["soil"], tables.soil)
    if inputs.texture is not None:  # organic carbon in % = g/kg / 10
        k = k_factor_epic(maps["sand"], maps["silt"], maps["clay"], soc / 10.0)
    else:
        k = k_factor_from_table(maps["soil"], tables.soil)
    result = erosion_budget(
        r,
        k,
        ls,
        maps["lulc"],
        tables.land_use,
        soc,
        cover_pct=maps.get("cover"),
        region=opts.region,
        carbon=opts.carbon,
    )
    written = _write(result, topo.slope_deg, out_dir, overwrite)
    summary = {**result.summary, "outputs": [p.name for p in written]}
    write_json(summary, out_dir / "summary.json", overwrite=overwrite)
    return result, summary


def _soc_from_table(soil: xr.DataArray, table: ClassTable) -> xr.DataArray:
    return table.reclassify(soil, "soc_g_per_kg", name="soc_g_per_kg", map_name="the soil map")


def _write(result: ErosionResult, slope: xr.DataArray, out: Path, overwrite: bool) -> list[Path]:
    f = result.factors
    layers = {
        "r_factor.tif": (f["r"], "MJ mm ha-1 h-1 a-1"),
        "k_factor.tif": (f["k"], "t ha h ha-1 MJ-1 mm-1"),
        "slope_deg.tif": (slope, "degree"),
        "ls_factor.tif": (f["ls"], "1"),
        "b_factor.tif": (f["b"], "1"),
        "e_factor.tif": (f["e"], "1"),
        "t_factor.tif": (f["t"], "1"),
        "soil_loss_t_per_ha.tif": (result.soil_loss, "t ha-1 a-1"),
        "potential_soil_loss_t_per_ha.tif": (result.potential, "t ha-1 a-1"),
        "soil_conservation_t_per_ha.tif": (result.conservation, "t ha-1 a-1"),
        "displaced_carbon_t_c_per_ha.tif": (result.carbon.displaced, "t C ha-1 a-1"),
        "carbon_source_t_c_per_ha.tif": (result.carbon.source, "t C ha-1 a-1"),
        "carbon_sink_t_c_per_ha.tif": (result.carbon.sink, "t C ha-1 a-1"),
        "net_carbon_flux_t_c_per_ha.tif": (result.carbon.net, "t C ha-1 a-1"),
    }
    written = [
        write_raster(da, out / name, overwrite=overwrite, units=units)
        for name, (da, units) in layers.items()
    ]
    legend = {
        i + 1: (n, c) for i, (n, c) in enumerate(zip(GRADE_NAMES, GRADE_COLOURS, strict=True))
    }
    written.append(
        write_raster(result.grade, out / "erosion_grade.tif", overwrite=overwrite, classes=legend)
    )
    csv = write_csv(result.by_land_use, out / "by_land_use.csv", overwrite=overwrite)
    return [*written, csv]
