"""``landcarbon erosion``: CSLE soil loss, soil conservation and erosion carbon from rasters."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.options import (
    CLASSES,
    OUT,
    OVERWRITE,
    number,
    output_folder,
)
from landcarbon.cli.output import emit, say
from landcarbon.limits import SHARE


def register(app: typer.Typer) -> None:
    app.command("erosion")(erosion)


def erosion(
    dem: Path = typer.Option(..., "--dem", help="DEM, elevation in metres (GeoTIFF)."),
    precip: Path = typer.Option(
        ...,
        "--precip",
        help="Precipitation in mm: 1 band (annual), 12 bands (monthly) or one band per day "
        "of whole years with --daily-start.",
    ),
    texture: tuple[Path, Path, Path] | None = typer.Option(
        None,
        "--texture",
        help="Sand, silt and clay rasters in % (SAND SILT CLAY): K by EPIC (Zhang et al. 2007 "
        "correction) with --soc or the soil table's organic carbon, instead of K by soil code.",
    ),
    daily_start: str | None = typer.Option(
        None,
        "--daily-start",
        help="Date of the first band (YYYY-MM-DD) of a daily --precip stack (mm/day): R by "
        "Zhang et al. 2002 from erosive days.",
    ),
    lulc: Path = typer.Option(..., "--lulc", help="Land-use map (codes of the tables file)."),
    soil: Path = typer.Option(..., "--soil", help="Soil-type map (codes of the tables file)."),
    tables: str = typer.Option(
        ...,
        "--tables",
        help="Erosion tables: redsoil (shipped, the red-soil hilly region of southern China: "
        "B/E/T keyed by land-use group, give --classes; K and SOC by soil class) or your "
        "tables TOML.",
    ),
    classes: str | None = CLASSES,
    cover: Path | None = typer.Option(
        None, "--cover", help="Vegetation fraction in % (B from cover, Cai et al. 2000)."
    ),
    soc: Path | None = typer.Option(
        None, "--soc", help="Topsoil organic carbon in g/kg (default: by soil code)."
    ),
    ls_method: str = typer.Option(
        "csle",
        "--ls-method",
        help="csle (L = (λ/22.13)^m, CSLE S) or rusle (Desmet-Govers L, InVEST SDR's m and S).",
    ),
    exponent: str = typer.Option(
        "classes",
        "--exponent",
        help="csle L exponent m: classes (0.2/0.3/0.4/0.5 by slope, the CSLE census rule) or "
        "mccool (McCool et al. 1989).",
    ),
    slope_length: str = typer.Option(
        "cumulative",
        "--slope-length",
        help="csle slope length: cumulative (longest D8 path with slope cut-off, the LS tools) "
        "or accumulation (upslope cells x flow length).",
    ),
    cutoff_gentle: float = number(
        0.7,
        "--cutoff-gentle",
        ge=0,
        le=1,
        help="Slope cut-off factor below a 5 % gradient (slope length starts again where the "
        "angle falls below this share of the angle upslope).",
    ),
    cutoff_steep: float = number(
        0.5, "--cutoff-steep", ge=0, le=1, help="Slope cut-off factor from a 5 % gradient."
    ),
    lambda_max: float | None = number(
        None, "--lambda-max", gt=0, help="Cap on the csle slope length (m); default: no cap."
    ),
    l_form: str = typer.Option(
        "point",
        "--l-form",
        help="csle L: point ((λ/22.13)^m at the cell centre) or segment (Foster & Wischmeier "
        "segment L over the cell's flow path, as Fu et al. 2015's census tool).",
    ),
    l_max: float = number(122.0, "--l-max", gt=0, help="Cap on the rusle L factor."),
    r_monthly: str = typer.Option(
        "wischmeier",
        "--r-monthly",
        help="R from 12 monthly bands: wischmeier (-0.8188, US units x 17.02), wischmeier_si "
        "(the -0.08188 form read as SI, 1/3.12 of it) or fournier (Zhang & Fu 2003).",
    ),
    r_daily: str = typer.Option(
        "zhang2002", "--r-daily", help="R from a daily stack: zhang2002 or xie2016."
    ),
    region: str = typer.Option(
        ...,
        "--region",
        help="SL 190-2007 region of the study area (its tolerable soil loss and grade "
        "thresholds): south_red_soil, north_black_soil or northwest_loess.",
    ),
    enrichment_ratio: float = number(1.0, "--enrichment-ratio", gt=0, help="SOC enrichment."),
    mineralised_fraction: float = number(
        0.2, "--mineralised-fraction", **SHARE, help="Share of displaced SOC emitted (source)."
    ),
    buried_fraction: float = number(
        0.7, "--buried-fraction", **SHARE, help="Share of displaced SOC buried on land (sink)."
    ),
    chunks: int | None = typer.Option(
        None, "--chunks", min=1, help="Compute per-cell factors in chunks of this many cells."
    ),
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Soil loss A = R K LS B E T, conservation, SL 190-2007 grades and erosion carbon."""
    from landcarbon.erosion.budget import CarbonParameters
    from landcarbon.erosion.files import ErosionInputs, ErosionOptions, run_erosion
    from landcarbon.erosion.rainfall import ErosivityModel
    from landcarbon.errors import ParameterError

    if out is None:
        raise ParameterError("landcarbon erosion writes rasters; give an output folder with --out")
    options = ErosionOptions(
        ls_method=ls_method,  # type: ignore[arg-type]
        exponent=exponent,  # type: ignore[arg-type]
        slope_length=slope_length,  # type: ignore[arg-type]
        cutoff_gentle=cutoff_gentle,
        cutoff_steep=cutoff_steep,
        lambda_max_m=lambda_max,
        l_form=l_form,  # type: ignore[arg-type]
        l_max=l_max,
        erosivity=ErosivityModel(monthly=r_monthly, daily=r_daily),  # type: ignore[arg-type]
        region=region,  # type: ignore[arg-type]
        carbon=CarbonParameters(enrichment_ratio, mineralised_fraction, buried_fraction),
    )
    from landcarbon.erosion.presets import SHIPPED

    shipped = tables == SHIPPED
    if shipped and classes is None:
        from landcarbon.raster import read_raster
        from landcarbon.tables import class_counts

        codes = list(class_counts(read_raster(lulc, "categorical")))
        raise ParameterError(
            f"the {SHIPPED} erosion tables are keyed by land-use group, and the codes {codes} of "
            f"{lulc} have no group: give --classes FILE (code, name, group) or --classes "
            f"cnlucc (CNLUCC first-level codes 1-6), or your own --tables"
        )
    inputs = ErosionInputs(
        dem,
        precip,
        lulc,
        soil,
        None if shipped else Path(tables),
        cover,
        soc,
        daily_start=daily_start,
        texture=texture,
        classes=classes,
    )
    with output_folder(out, overwrite) as folder:
        _, summary = run_erosion(inputs, folder, options, chunks=chunks, overwrite=overwrite)
    emit(summary)
    say(
        f"soil loss {summary['total_t']:.6g} t/yr (mean {summary['mean_t_per_ha']:.4g} t/ha/yr), "
        f"conservation {summary['conservation_t']:.6g} t/yr"
    )
    say(
        f"erosion carbon: source {summary['carbon_source_t_c']:.6g} t C/yr, "
        f"sink {summary['carbon_sink_t_c']:.6g} t C/yr; outputs in {out}"
    )
