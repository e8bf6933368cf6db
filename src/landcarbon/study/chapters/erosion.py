"""The ``[erosion]`` chapter: CSLE soil loss, conservation and erosion carbon.

Method: the red-soil hilly region study (CSLE, Liu et al. 2002; erosion-carbon model,
Lal 2003). Land-use scenario maps and climate scenarios are combined in
``[erosion.climate]`` when the study simulates land use.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from landcarbon.errors import ConfigError
from landcarbon.report.figures import text as figure_text
from landcarbon.study.chapters import steps_for
from landcarbon.study.chapters._common import (
    artifact,
    drawing,
    export_outputs,
    exports_of,
    read,
    write_csv,
)
from landcarbon.study.chapters.landuse import class_inputs, class_scheme, map_codes
from landcarbon.study.config import Study, chapter
from landcarbon.study.pipeline import Context, Output, Step
from landcarbon.study.schema import doc

if TYPE_CHECKING:
    import pandas as pd

    from landcarbon.erosion.budget import ErosionResult
    from landcarbon.erosion.files import ErosionOptions

CITE = (
    "Liu B, Zhang K, Xie Y (2002) An empirical soil loss equation. Proceedings of the 12th "
    "ISCO conference, Beijing, 21-25 (CSLE).",
    "Lal R (2003) Soil erosion and the global carbon budget. Environment International "
    "29:437-450 (erosion-induced carbon source and sink).",
    "SL 190-2007 Standards for classification and gradation of soil erosion (Ministry of "
    "Water Resources of China).",
)

MAPS = {
    "k_factor": ("raster", "t ha h/(ha MJ mm)", "soil erodibility K"),
    "ls_factor": ("raster", "1", "slope length and steepness LS"),
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
        "Erosion tables: 'redsoil' (shipped, the red-soil hilly region of southern China: "
        "B/E/T by land-use group applied through the class table's groups, K and SOC by "
        "soil class) or the [tables] name of your erosion tables TOML."
    )
    region: Literal["north_black_soil", "south_red_soil", "northwest_loess"] = doc(
        "SL 190-2007 region of the study area (its tolerable soil loss and grade "
        "thresholds): south_red_soil, north_black_soil or northwest_loess."
    )
    cover: str = doc("Optional vegetation cover raster (%) for B (Cai 2000).", "")
    soc: str = doc("Optional topsoil organic carbon raster (g/kg); default from the table.", "")
    texture: tuple[str, ...] = doc(
        "Optional [sand, silt, clay] rasters (%) in [rasters]: K by EPIC (Zhang et al. 2007 "
        "correction) with the organic carbon, instead of K by soil code.",
        (),
        length=3,
        distinct=True,
    )
    daily_start: str = doc(
        "Date (YYYY-MM-DD) of band 1 when precipitation is a daily stack (mm/day, whole "
        "years): R by Zhang et al. 2002.",
        "",
    )
    ls_method: Literal["csle", "rusle"] = doc(
        "LS: csle (L = (λ/22.13)^m, S of McCool < 10° and Liu et al. 1994 from 10°) or rusle "
        "(Desmet-Govers L from upslope area, InVEST SDR's m table and 9 % S break).",
        "csle",
    )
    exponent: Literal["classes", "mccool"] = doc(
        "csle slope-length exponent m: classes (0.2/0.3/0.4/0.5 for θ ≤ 1°/3°/5°/> 5°, the "
        "census rule, Liu et al. 2000, 2002) or mccool (β/(1+β), McCool et al. 1989).",
        "classes",
    )
    slope_length: Literal["cumulative", "accumulation"] = doc(
        "csle slope length λ: cumulative (longest D8 path with slope cut-off, the LS tools of "
        "Van Remortel et al. 2001 / Zhang et al. 2013 / Fu et al. 2015) or accumulation "
        "(upslope cells x flow length, no cut-off).",
        "cumulative",
    )
    cutoff_gentle: float = doc(
        "Slope cut-off factor below a 5 % down-slope gradient: λ starts again where the "
        "angle falls below this share of the angle upslope (0 never).",
        0.7,
        ge=0,
        le=1,
    )
    cutoff_steep: float = doc("Slope cut-off factor from a 5 % gradient.", 0.5, ge=0, le=1)
    lambda_max_m: float | None = doc(
        "Cap on the csle slope length λ (m), e.g. 300; none (default): no cap, as the LS tools.",
        None,
        gt=0,
    )
    l_form: Literal["point", "segment"] = doc(
        "csle L: point ((λ/22.13)^m at the cell centre) or segment (Foster & Wischmeier's "
        "segment L over the cell's flow path, as Fu et al.'s 2015 census tool).",
        "point",
    )
    l_max: float = doc("Cap on the rusle L factor (InVEST SDR's default).", 122.0, gt=0)
    r_monthly: Literal["wischmeier", "wischmeier_si", "fournier"] = doc(
        "R from 12 monthly bands: wischmeier (-0.8188 in US units x 17.02), wischmeier_si "
        "(the -0.08188 form read as SI: 1/3.12 of it, to reproduce papers that used it) or "
        "fournier (Zhang & Fu 2003).",
        "wischmeier",
    )
    r_daily: Literal["zhang2002", "xie2016"] = doc(
        "R from a daily stack: zhang2002 (Zhang, Xie & Liu 2002) or xie2016 (Xie et al. 2016).",
        "zhang2002",
    )
    enrichment_ratio: float = doc("SOC enrichment ratio of eroded sediment.", 1.0, gt=0)
    mineralised_fraction: float = doc(
        "Share of displaced SOC mineralised (source).", 0.2, ge=0, le=1
    )
    buried_fraction: float = doc(
        "Share of displaced SOC deposited and buried (sink).", 0.7, ge=0, le=1
    )
    climate: dict[str, dict[str, float]] = doc(
        "Climate scenarios: name → {year: precipitation multiplier on the baseline}, e.g. "
        '{ ssp245 = { "2040" = 1.03 } } (SSP deltas; METHODS.md section 13).',
        default_factory=dict,
    )
    maps: dict[str, str] = doc(
        "Land-use maps of the scenario table: 'SCENARIO_YEAR' → raster or step output, "
        'e.g. { "bau_2040" = "simulation.business_as_usual.2040" } ([simulation] '
        'target_years; "simulation.business_as_usual" with a single target_year).',
        default_factory=dict,
    )


@steps_for("erosion")
def erosion_steps(study: Study, sec: ErosionSection) -> list[Step]:
    """The baseline CSLE chain (flow routing holds the DEM in memory)."""
    from landcarbon.erosion.presets import SHIPPED, read_erosion_tables

    refs = {
        "dem": sec.dem,
        "precip": sec.precipitation,
        "soil": sec.soil,
        "lulc": sec.landuse,
        "tables": "" if sec.tables == SHIPPED else sec.tables,
        "cover": sec.cover,
        "soc": sec.soc,
        **dict(zip(("sand", "silt", "clay"), sec.texture, strict=False)),
    }
    names = {k: artifact(study, v) for k, v in refs.items() if v}
    names.update(zip(("classes",), class_inputs(study), strict=False))
    # B, E, T by group resolve onto the study's codes: a bad table stops validate
    if sec.tables == SHIPPED or sec.tables in study.tables:
        chosen = None if sec.tables == SHIPPED else study.tables[sec.tables]
        land_use = read_erosion_tables(chosen, class_scheme(study)).land_use
        for ref in (sec.landuse, *sec.maps.values()):
            found = map_codes(study, ref)
            if found is not None:
                land_use.check_counts(found[0], f"[erosion] {found[1]}")
    ext = {"raster": "tif", "table": "csv"}
    outputs = tuple(
        Output(f"erosion.{n}", f"erosion/{n}.{ext[k]}", k, units, text)  # type: ignore[arg-type]
        for n, (k, units, text) in MAPS.items()
    )

    def run(ctx: Context) -> None:
        from landcarbon.erosion.files import ErosionInputs, run_erosion

        paths = {k: ctx.inputs[v] for k, v in names.items()}
        inputs = ErosionInputs(
            dem=paths["dem"],
            precip=paths["precip"],
            lulc=paths["lulc"],
            soil=paths["soil"],
            tables=paths.get("tables"),
            cover=paths.get("cover"),
            soc=paths.get("soc"),
            daily_start=sec.daily_start or None,
            texture=(paths["sand"], paths["silt"], paths["clay"]) if sec.texture else None,
            classes=class_scheme(study, ctx.inputs),  # a class table or a named scheme
        )
        _, summary = run_erosion(
            inputs, Path(ctx.out_dir) / "erosion", _options(sec), overwrite=True
        )
        ctx.summary.update({k: v for k, v in summary.items() if k != "outputs"})

    steps = [
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
    scenario_maps, climates = _scenarios(study, sec)
    if scenario_maps:
        steps.append(_scenario_step(study, sec, names, scenario_maps, climates))
    return steps


def _soil_loss_map(climate: str, scenario: str, year: int) -> str:
    """Output name of the soil-loss map of one climate x land-use scenario x year."""
    return f"erosion.soil_loss.{climate}.{scenario}_{year}"


def _options(sec: ErosionSection) -> ErosionOptions:
    """The method options of the chapter (every one settable in ``[erosion]``)."""
    from landcarbon.erosion.budget import CarbonParameters
    from landcarbon.erosion.files import ErosionOptions
    from landcarbon.erosion.rainfall import ErosivityModel

    return ErosionOptions(
        ls_method=sec.ls_method,
        exponent=sec.exponent,
        slope_length=sec.slope_length,
        cutoff_gentle=sec.cutoff_gentle,
        cutoff_steep=sec.cutoff_steep,
        lambda_max_m=sec.lambda_max_m,
        l_form=sec.l_form,
        l_max=sec.l_max,
        erosivity=ErosivityModel(monthly=sec.r_monthly, daily=sec.r_daily),
        region=sec.region,
        carbon=CarbonParameters(
            sec.enrichment_ratio, sec.mineralised_fraction, sec.buried_fraction
        ),
    )


def _scenarios(
    study: Study, sec: ErosionSection
) -> tuple[dict[tuple[str, int], str], dict[str, dict[int, float]]]:
    """``maps`` as (scenario, year) -> map and ``climate`` as name -> {year: multiplier},
    checked: keys SCENARIO_YEAR, integer years, every climate covering every map year."""
    where = f"{study.path}: [erosion]"
    if bool(sec.maps) != bool(sec.climate):
        given, lacking = ("maps", "climate") if sec.maps else ("climate", "maps")
        raise ConfigError(
            f"{where} {given} is given without {lacking}: the scenario table crosses land-use "
            f"maps with climate scenarios; give both [erosion.maps] and [erosion.climate] "
            f"(or neither)"
        )
    maps = {}
    for label, ref in sec.maps.items():
        scenario, _, year = label.rpartition("_")
        if not scenario or not year.isdigit():
            raise ConfigError(
                f"{where} maps key {label!r}: not SCENARIO_YEAR; name each map by its land-use "
                f'scenario and year, e.g. bau_2040 = "simulation.business_as_usual.2040"'
            )
        maps[(scenario, int(year))] = ref
    climates = {}
    for name, values in sec.climate.items():
        bad = [y for y in values if not y.isdigit()]
        missing = sorted({y for _, y in maps} - {int(y) for y in values if y.isdigit()})
        if bad or missing:
            problem = (
                f"key {bad[0]!r} is not a year"
                if bad
                else f"no multiplier for {', '.join(map(str, missing))}"
            )
            raise ConfigError(
                f"{where} climate.{name}: {problem}; give one precipitation multiplier per map "
                f'year, e.g. {{ "2040" = 1.03 }}'
            )
        climates[name] = {int(y): m for y, m in values.items()}
    return maps, climates


GRADE_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#7f0000")
"""Colours of the six SL 190-2007 grades, slight (green) to severe (dark red)."""


def _grades_chart(table: pd.DataFrame, grades: list[str], ctx: Context) -> None:
    """Stacked bars of the grade areas: a panel per climate, a bar per scenario and year."""
    from landcarbon.report.charts import stacked_bars_png

    frames = {}
    for climate, rows in table.groupby("climate", sort=False):
        frame = rows.set_index(["land_use_scenario", "year"])[grades]
        frame.index = [f"{a} {b:g}" for a, b in frame.index]
        frame.columns = [g.removesuffix("_ha").replace("_", " ") for g in grades]
        frames[str(climate)] = frame
    key = "erosion.scenario_grades_chart"
    stacked_bars_png(
        frames,
        ctx.outputs[key],
        figure_text("grades_title"),
        figure_text("area_ha"),
        GRADE_COLOURS,
        exports_of(ctx.outputs, key),
    )


def _scenario_step(
    study: Study,
    sec: ErosionSection,
    names: dict[str, str],
    scenario_maps: dict[tuple[str, int], str],
    climates: dict[str, dict[int, float]],
) -> Step:
    """Scenario x year table of erosion and erosion carbon under climate scenarios."""
    maps = {key: artifact(study, ref) for key, ref in scenario_maps.items()}
    optional = tuple(names[k] for k in ("tables", "soc", "cover", "classes") if k in names)
    inputs = (
        names["precip"],
        names["soil"],
        *optional,
        "erosion.k_factor",
        "erosion.ls_factor",
        *maps.values(),
    )
    outputs = (
        Output(
            "erosion.scenarios",
            "erosion/scenarios.csv",
            "table",
            "t/yr",
            "erosion, conservation and erosion carbon by climate x land-use scenario",
        ),
        Output(
            "erosion.scenarios_chart",
            "erosion/scenarios.png",
            "png",
            "t/yr",
            "soil loss by climate and land-use scenario",
        ),
        *export_outputs(
            "erosion.scenarios_chart", "erosion_scenarios", "soil loss by climate and scenario"
        ),
        Output(
            "erosion.scenario_grades",
            "erosion/scenario_grades.csv",
            "table",
            "ha",
            "area of each erosion grade (SL 190-2007) by climate x land-use scenario x year",
        ),
        Output(
            "erosion.scenario_grades_chart",
            "erosion/scenario_grades.png",
            "png",
            "ha",
            "erosion grade areas by climate, land-use scenario and year",
        ),
        *export_outputs(
            "erosion.scenario_grades_chart", "erosion_grades", "erosion grade areas by scenario"
        ),
        *(
            Output(
                _soil_loss_map(climate, scenario, year),
                f"erosion/scenarios/soil_loss_{climate}_{scenario}_{year}_t_per_ha.tif",
                "raster",
                "t/ha/yr",
                f"soil loss A under climate {climate}, land use {scenario} {year}",
            )
            for climate in climates
            for scenario, year in maps
        ),
    )

    def run(ctx: Context) -> None:
        from landcarbon.erosion.csle import GRADE_NAMES
        from landcarbon.erosion.presets import read_erosion_tables
        from landcarbon.erosion.scenarios import ClimateScenario, scenario_table
        from landcarbon.raster import read_raster, write_raster
        from landcarbon.report.charts import bar_chart_png

        def write_map(climate: str, scenario: str, year: int, result: ErosionResult) -> None:
            write_raster(
                result.soil_loss.astype("float32"),
                ctx.outputs[_soil_loss_map(climate, scenario, year)],
                overwrite=True,
                units="t/ha/yr",
            )

        tables = read_erosion_tables(
            ctx.inputs[names["tables"]] if "tables" in names else None, class_scheme(study)
        )
        soil = read(ctx.inputs[names["soil"]], "categorical")
        soc = (
            read(ctx.inputs[names["soc"]])
            if "soc" in names
            else tables.soil.reclassify(soil, "soc_g_per_kg", map_name="the soil map")
        )
        lulc_maps = {key: read(ctx.inputs[ref], "categorical") for key, ref in maps.items()}
        options = _options(sec)
        precip = read_raster(ctx.inputs[names["precip"]], band=0).squeeze(drop=True)
        table = scenario_table(
            lulc_maps,
            {name: ClimateScenario(name, years) for name, years in climates.items()},
            baseline_precip_mm=precip,
            k=read(ctx.inputs["erosion.k_factor"]),
            ls=read(ctx.inputs["erosion.ls_factor"]),
            soc_g_per_kg=soc,
            land_use_table=tables.land_use,
            cover_pct=read(ctx.inputs[names["cover"]]) if "cover" in names else None,
            region=options.region,
            carbon=options.carbon,
            erosivity=options.erosivity,
            on_result=write_map,
        )
        keys = ["climate", "land_use_scenario", "year"]
        grades = [f"{g}_ha" for g in GRADE_NAMES]
        write_csv(table.drop(columns=grades), ctx.outputs["erosion.scenarios"])
        write_csv(table[keys + grades], ctx.outputs["erosion.scenario_grades"])
        _grades_chart(table, grades, ctx)
        chart = table.pivot_table(
            index=["land_use_scenario", "year"], columns="climate", values="total_t"
        )
        chart.index = [f"{a} {b}" for a, b in chart.index]
        bar_chart_png(
            chart,
            ctx.outputs["erosion.scenarios_chart"],
            figure_text("soil_loss_title"),
            figure_text("soil_loss_axis"),
            exports=exports_of(ctx.outputs, "erosion.scenarios_chart"),
        )
        ctx.summary["scenarios"] = len(table)

    return drawing(
        study,
        Step(
            "erosion_scenarios",
            "erosion",
            inputs,
            outputs,
            run,
            params=asdict(sec),
            doc="erosion and erosion carbon under climate x land-use scenarios",
            cite=CITE,
        ),
    )
