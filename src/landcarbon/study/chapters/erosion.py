"""The ``[erosion]`` chapter: CSLE soil loss, conservation and erosion carbon.

Method: the red-soil hilly region study (CSLE, Liu et al. 2002; erosion-carbon model,
Lal 2003). Land-use scenario maps and climate scenarios are combined in
``[erosion.climate]`` when the study simulates land use.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from landcarbon.study.chapters import steps_for
from landcarbon.study.chapters._common import artifact
from landcarbon.study.config import Study, chapter
from landcarbon.study.pipeline import Context, Output, Step
from landcarbon.study.schema import doc

CITE = (
    "Liu B, Zhang K, Xie Y (2002) An empirical soil loss equation. Proceedings of the 12th "
    "ISCO conference, Beijing, 21-25 (CSLE).",
    "Lal R (2003) Soil erosion and the global carbon budget. Environment International "
    "29:437-450 (erosion-induced carbon source and sink).",
    "SL 190-2007 Standards for classification and gradation of soil erosion (Ministry of "
    "Water Resources of China).",
)

MAPS = {
    "soil_loss_t_per_ha": ("raster", "t/ha/yr", "soil loss A = R K LS B E T"),
    "potential_soil_loss_t_per_ha": ("raster", "t/ha/yr", "potential soil loss (B = E = T = 1)"),
    "soil_conservation_t_per_ha": ("raster", "t/ha/yr", "soil conservation"),
    "erosion_grade": ("raster", "class", "erosion intensity grade (SL 190-2007)"),
    "net_carbon_flux_t_c_per_ha": ("raster", "t C/ha/yr", "net erosion-induced carbon flux"),
    "by_land_use": ("table", "t/yr", "soil loss, conservation and carbon by land-use class"),
}


@chapter("erosion")
@dataclass(frozen=True)
class ErosionSection:
    dem: str = doc("DEM (m) in [rasters].")
    precipitation: str = doc("Annual (mm/yr) or 12-band monthly (mm) precipitation raster.")
    soil: str = doc(
        "Soil-class raster (codes of the soil table; HWSD USDA texture classes for the preset)."
    )
    landuse: str = doc("Land-use raster (codes of the land-use table).")
    tables: str = doc(
        "[tables] name of an erosion tables TOML (default: the shipped "
        "preset: B/E/T by land use, K and SOC by soil class).",
        "",
    )
    cover: str = doc("Optional vegetation cover raster (%) for B (Cai 2000).", "")
    soc: str = doc("Optional topsoil organic carbon raster (g/kg); default from the table.", "")
    ls_method: Literal["csle", "rusle"] = doc("LS: CSLE point form or Desmet-Govers.", "csle")
    exponent: Literal["mccool", "classes"] = doc("Slope-length exponent rule.", "mccool")
    lambda_max_m: float = doc("Cap on slope length (m).", 300.0)
    region: Literal["north_black_soil", "south_red_soil", "northwest_loess"] = doc(
        "SL 190-2007 region (tolerable loss and grade thresholds).", "south_red_soil"
    )
    enrichment_ratio: float = doc("SOC enrichment ratio of eroded sediment.", 1.0)
    mineralised_fraction: float = doc("Share of displaced SOC mineralised (source).", 0.2)
    buried_fraction: float = doc("Share of displaced SOC deposited and buried (sink).", 0.7)


@steps_for("erosion")
def erosion_steps(study: Study, sec: ErosionSection) -> list[Step]:
    """The baseline CSLE chain (flow routing holds the DEM in memory)."""
    refs = {
        "dem": sec.dem,
        "precip": sec.precipitation,
        "soil": sec.soil,
        "lulc": sec.landuse,
        "tables": sec.tables,
        "cover": sec.cover,
        "soc": sec.soc,
    }
    names = {k: artifact(study, v) for k, v in refs.items() if v}
    ext = {"raster": "tif", "table": "csv"}
    outputs = tuple(
        Output(f"erosion.{n}", f"erosion/{n}.{ext[k]}", k, units, text)  # type: ignore[arg-type]
        for n, (k, units, text) in MAPS.items()
    )

    def run(ctx: Context) -> None:
        from landcarbon.erosion.budget import CarbonParameters
        from landcarbon.erosion.files import ErosionInputs, ErosionOptions, run_erosion

        paths = {k: ctx.inputs[v] for k, v in names.items()}
        inputs = ErosionInputs(
            dem=paths["dem"],
            precip=paths["precip"],
            lulc=paths["lulc"],
            soil=paths["soil"],
            tables=paths.get("tables"),
            cover=paths.get("cover"),
            soc=paths.get("soc"),
        )
        options = ErosionOptions(
            ls_method=sec.ls_method,
            exponent=sec.exponent,
            lambda_max_m=sec.lambda_max_m,
            region=sec.region,
            carbon=CarbonParameters(
                sec.enrichment_ratio, sec.mineralised_fraction, sec.buried_fraction
            ),
        )
        _, summary = run_erosion(inputs, Path(ctx.out_dir) / "erosion", options, overwrite=True)
        ctx.summary.update({k: v for k, v in summary.items() if k != "outputs"})

    return [
        Step(
            "erosion",
            "erosion",
            tuple(names.values()),
            outputs,
            run,
            params=asdict(sec),
            doc="CSLE soil loss, conservation and erosion carbon",
            cite=CITE,
        )
    ]
