"""The ``[sinks]`` chapter: carbon-sink importance, resistance, MCR, zoning, strategies.

Method: the county carbon-sink restoration study (Zhang et al. 2024, Wensu County).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from landcarbon.errors import ConfigError
from landcarbon.sinks.presets import SHIPPED
from landcarbon.study.chapters import steps_for
from landcarbon.study.chapters._common import artifact, read, write_csv
from landcarbon.study.chapters.landuse import class_inputs, class_scheme
from landcarbon.study.config import Study, chapter
from landcarbon.study.pipeline import Context, Output, Step
from landcarbon.study.schema import did_you_mean, doc

if TYPE_CHECKING:
    import pandas as pd

CITE = (
    "Zhang Q, Yang Y, Yuan Y, Han J, Li D (2024) Territorial ecological restoration of "
    "counties for the increase of carbon sinks: Wensu County. Landscape Architecture "
    "Frontiers.",
    "Knaapen JP, Scheffer M, Harms B (1992) Estimating habitat isolation in landscape "
    "planning. Landscape and Urban Planning 23:1-16 (minimum cumulative resistance).",
)

MAPS = {
    "veg_carbon": ("raster", "t C/ha", "vegetation carbon density"),
    "importance_index": ("raster", "1", "carbon-sink importance index"),
    "importance_level": ("raster", "class", "carbon-sink importance level"),
    "resistance": ("raster", "1", "resistance surface (entropy-weighted)"),
    "mcr": ("raster", "resistance x m", "minimum cumulative resistance from sinks"),
    "sink_zones": ("raster", "class", "primary, secondary and potential sinks"),
    "strategies": ("raster", "class", "restoration strategy"),
    "vegetation_storage": ("table", "t C", "vegetation carbon storage by type"),
    "resistance_weights": ("table", "1", "entropy weights of resistance factors"),
    "zone_composition": ("table", "ha", "land-use composition of each zone"),
    "strategies_table": ("table", "ha", "pattern and area of each sink patch"),
}
STRATEGY_LEGEND = Output(
    "sinks.strategy_legend",
    "sinks/strategy_legend.csv",
    "table",
    "ha",
    "restoration strategy and approach of each pattern (once; patches and area)",
)
"""The strategy texts, once per pattern; the patch table keeps the pattern only."""


@chapter("sinks")
@dataclass(frozen=True)
class SinksSection:
    nep: str = doc("NEP raster (g C/m²/yr): a [rasters] name or a step output.")
    vegetation: str = doc("Vegetation-type raster (categorical) in [rasters].")
    vegetation_density: str = doc("[tables] name of the code,name,density (t C/ha) table.")
    soil_carbon: str = doc("Soil carbon density (t C/ha): a [rasters] name or step output.")
    landuse: str = doc("Land-use raster (codes of [inputs] classes) in [rasters].")
    levels: str = doc(
        "Resistance levels: 'wensu_county' (the county study's Table 5, shipped: slope in "
        "degrees, elevation in m, land use by group, ...) or the [tables] name of your level "
        "TOML (a copy of presets/sinks_resistance.toml with your thresholds)."
    )
    strategies: str = doc(
        "Restoration strategies: 'wensu_county' (the county study's Table 10, shipped, CNLUCC "
        "codes) or the [tables] name of your strategy rule TOML."
    )
    factors: dict[str, str] = doc(
        "Resistance factor → raster: slope, elevation, accumulated_temperature, "
        "precipitation, population (land use is added from `landuse`).",
        default_factory=dict,
    )
    importance_weights: dict[str, float] = doc(
        "Weights of nep / vegetation / soil (default 0.5 / 0.25 / 0.25).",
        default_factory=dict,
        ge=0,
    )
    resistance_weights: Literal["entropy", "published"] = doc(
        "'entropy' (computed) or 'published' (Table 4).", "entropy"
    )
    min_area_ha: float = doc("Smallest sink patch kept (ha).", 100.0, ge=0)
    cultivated_share: float = doc(
        "Share of cultivated land making a patch secondary.", 0.5, ge=0, le=1
    )
    potential: Literal["breaks", "quantile"] = doc(
        "Potential-sink threshold: 'breaks' or 'quantile'.", "breaks"
    )
    potential_quantile: float = doc(
        "Quantile of cumulative resistance when 'quantile'.", 0.2, ge=0, le=1
    )
    connectivity: Literal[4, 8] = doc("4 or 8 neighbours for the cost distance.", 8)


def _check_names(study: Study, sec: SinksSection) -> None:
    """Refuse at plan time (so ``validate`` does) factor names without a level table and
    importance weights of layers the index does not have."""
    from landcarbon.sinks.importance import DEFAULT_WEIGHTS
    from landcarbon.sinks.resistance import load_level_tables

    if sec.levels != SHIPPED and sec.levels not in study.tables:
        return  # the plan names the missing table
    where = f"{study.path}: [sinks]"
    # level tables by group resolve onto the study's codes: a bad table stops validate
    chosen = None if sec.levels == SHIPPED else study.tables[sec.levels]
    levels = load_level_tables(chosen, class_scheme(study))
    for key, given, known in (
        ("factors", sec.factors, levels),
        ("importance_weights", sec.importance_weights, DEFAULT_WEIGHTS),
    ):
        unknown = [k for k in given if k not in known]
        if unknown:
            raise ConfigError(
                f"{where} {key}: {', '.join(map(repr, unknown))} unknown"
                f"{did_you_mean(unknown[0], known)}; use {', '.join(known)}"
            )


def cultivated_codes(study: Study) -> tuple[int, ...]:
    """Codes of the cropland group in the study's classes ([inputs] classes)."""
    from landcarbon.groups import class_groups

    table = class_scheme(study)
    if table is None:
        raise ConfigError(
            f"{study.path}: [sinks] counts the cropland group as cultivated land, but the "
            f"study names no classes; give [inputs] classes (a class table with a group "
            f"column, or a scheme such as cnlucc)"
        )
    groups = class_groups(table)
    ungrouped = sorted(c for c, g in groups.items() if g is None)
    if ungrouped:
        raise ConfigError(
            f"{study.path}: [sinks] counts the cropland group as cultivated land, but class "
            f"code(s) {ungrouped} of {table.source} have no group; give each class a group in "
            f"the class table's 'group' column"
        )
    return tuple(c for c, g in groups.items() if g == "cropland")


@steps_for("sinks")
def sinks_steps(study: Study, sec: SinksSection) -> list[Step]:
    """One step running the whole chapter (global: MCR and zoning hold the map in memory)."""
    _check_names(study, sec)
    inputs = {
        "nep": sec.nep,
        "vegetation": sec.vegetation,
        "soil": sec.soil_carbon,
        "landuse": sec.landuse,
        "veg_density": sec.vegetation_density,
        **{f"factor.{k}": v for k, v in sec.factors.items()},
    }
    if sec.levels != SHIPPED:
        inputs["levels"] = sec.levels
    if sec.strategies != SHIPPED:
        inputs["strategies"] = sec.strategies
    names = {k: artifact(study, v) for k, v in inputs.items()}
    names.update(zip(("classes",), class_inputs(study), strict=False))
    from landcarbon.sinks.strategies import CNLUCC_SCHEMES

    cultivated_codes(study)
    if sec.vegetation_density in study.tables:  # its densities are checked before any work
        from landcarbon.tables import read_table

        read_table(
            study.tables[sec.vegetation_density], required=["density"], nonnegative=["density"]
        )
    given = study.inputs.classes or ""
    cnlucc = given not in study.tables and given.strip().lower() in CNLUCC_SCHEMES
    if sec.strategies == SHIPPED and not cnlucc:
        raise ConfigError(
            f"{study.path}: [sinks] strategies = '{SHIPPED}': the county study's strategies "
            f"(its Table 10) name CNLUCC codes, but [inputs] classes is "
            f"{study.inputs.classes or 'not given'}; give your own strategies table, or "
            f'classes = "cnlucc2" (or "cnlucc") if the maps use CNLUCC codes'
        )
    outputs = (
        *(
            Output(f"sinks.{n}", f"sinks/{n}.{'tif' if k == 'raster' else 'csv'}", k, units, text)  # type: ignore[arg-type]
            for n, (k, units, text) in MAPS.items()
        ),
        STRATEGY_LEGEND,
    )

    def run(ctx: Context) -> None:
        from landcarbon.sinks.chapter import SinksParams, run_sinks, write_sinks
        from landcarbon.sinks.resistance import load_level_tables
        from landcarbon.sinks.strategies import load_strategy_rules
        from landcarbon.tables import read_table

        paths = {k: ctx.inputs[v] for k, v in names.items()}
        scheme = class_scheme(study, ctx.inputs)  # names the classes of the composition tables
        lulc = read(paths["landuse"], "categorical")
        params = SinksParams(
            importance_weights=sec.importance_weights or None,
            resistance_weights=sec.resistance_weights,
            min_area_ha=sec.min_area_ha,
            cultivated_codes=cultivated_codes(study),
            cultivated_share=sec.cultivated_share,
            potential=sec.potential,
            potential_quantile=sec.potential_quantile,
            connectivity=sec.connectivity,
            seed=ctx.seed,
        )
        result = run_sinks(
            nep=read(paths["nep"]),
            veg_type=read(paths["vegetation"], "categorical"),
            veg_densities=read_table(
                paths["veg_density"], required=["density"], nonnegative=["density"]
            ),
            soil_carbon=read(paths["soil"]),
            lulc=lulc,
            factors={
                k.removeprefix("factor."): read(p)
                for k, p in paths.items()
                if k.startswith("factor.")
            },
            level_tables=load_level_tables(paths.get("levels"), scheme),
            strategy_rules=load_strategy_rules(paths.get("strategies")),
            lulc_names=scheme.names() if scheme is not None else None,
            params=params,
        )
        written = write_sinks(result, Path(ctx.out_dir) / "sinks", overwrite=True)
        missing = [n for n in MAPS if n not in written]
        if missing:
            raise RuntimeError(f"sinks chapter did not write {missing}")
        legend_table, patches = strategy_legend(result.strategies.table)
        write_csv(legend_table, ctx.outputs[STRATEGY_LEGEND.name])
        write_csv(patches, ctx.outputs["sinks.strategies_table"])
        ctx.summary.update(result.summary())

    return [
        Step(
            "sinks",
            "sinks",
            tuple(names.values()),
            outputs,
            run,
            params=asdict(sec),
            doc="importance, resistance, MCR, sink zones and strategies",
            cite=CITE,
        )
    ]


TEXTS = ("strategy", "approach")
"""Columns of a pattern's long texts, shown once per pattern in the strategy legend."""


def strategy_legend(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the per-patch strategy table into a legend (one row per pattern: id, zone,
    name, strategy and approach texts, number of patches, area in ha) and the patch table
    without the texts (its ``pattern_id`` points into the legend)."""
    keys = ["pattern_id", "zone_name", "pattern", *TEXTS]
    legend = (
        table.groupby(keys, sort=True)
        .agg(patches=("patch", "size"), area_ha=("area_ha", "sum"))
        .reset_index()
    )
    return legend, table.drop(columns=list(TEXTS))
