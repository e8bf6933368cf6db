"""The ``[carbon]`` chapter: storage, sequestration, emissions and balance per land-use map.

Each map named in ``maps`` (observed dates or simulated scenarios) gets InVEST-style
storage and emission-factor emissions; a comparison step tabulates storage, emissions,
net emissions and the carbon balance index CS/CE of every map, with bar charts. A
simulated scenario with a Monte Carlo ensemble (``[simulation] runs > 1``) also gets
the storage and emissions of every run and their interval. Optional NEP (NPP − Rh) and
layered soil carbon steps produce maps the sinks chapter can use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from landcarbon.errors import ConfigError, LandcarbonError, ParameterError
from landcarbon.limits import PRECIPITATION_MM, TEMPERATURE_C
from landcarbon.report.figures import text as figure_text
from landcarbon.study.chapters import steps_for
from landcarbon.study.chapters._common import (
    artifact,
    drawing,
    export_outputs,
    exports_of,
    read,
    write_csv,
    write_json,
)
from landcarbon.study.chapters.landuse import (
    class_inputs,
    class_scheme,
    legend,
    map_codes,
)
from landcarbon.study.config import Study, chapter
from landcarbon.study.pipeline import Context, Output, Step
from landcarbon.study.schema import did_you_mean, doc

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from landcarbon.carbon.climate import ClimateRelations
    from landcarbon.carbon.nep import RhParameters
    from landcarbon.carbon.outputs import CarbonAccount
    from landcarbon.classes import ClassScheme
    from landcarbon.report.charts import Panel
    from landcarbon.tables import ClassTable

CITE_STORAGE = (
    "Sharp R et al. (2020) InVEST User's Guide: Carbon Storage and Sequestration. "
    "The Natural Capital Project.",
)
CITE_EMISSIONS = (
    "The arid-region carbon budget study (Mu Us), section 1.3.2: emission coefficients "
    "and the carbon balance index CS/CE.",
    "IPCC (2006) Guidelines for National Greenhouse Gas Inventories, Vol. 2 Energy.",
)
CITE_NEP = (
    "Pei Z, Ouyang H, Zhou C, Xu X (2009) Carbon balance in an alpine steppe in the "
    "Qinghai-Tibet Plateau. J Integrative Plant Biology 51:521-526 (Rh model).",
)


T = TypeVar("T")


def _over_defaults(section: object, cls: Callable[..., T]) -> T:
    """``cls`` built from the keys the study file gives in ``section`` (a table whose keys
    left out are None), every other field keeping the library's default."""
    return cls(**{k: v for k, v in asdict(section).items() if v is not None})  # type: ignore[call-overload]


@dataclass(frozen=True)
class ClimateCoefficients:
    """Coefficients of the climate relations (docs/carbon.md): a key left out (None) keeps
    the default of :class:`landcarbon.carbon.climate.ClimateRelations` (Alam et al. 2013,
    Chen et al. 2007)."""

    soil_p_slope: float | None = doc(
        "Soil C vs precipitation C_SP = a·P + b: slope a; Alam et al. 2013: 3.3968.", None, gt=0
    )
    soil_p_intercept: float | None = doc(
        "Intercept b of C_SP; Alam et al. 2013: 3996.1.", None, ge=-1e6, le=1e6
    )
    biomass_p_scale: float | None = doc(
        "Biomass C vs precipitation C_BP = s·exp(r·P): scale s; Alam et al. 2013: 6.798.",
        None,
        gt=0,
    )
    biomass_p_rate: float | None = doc(
        "Rate r of C_BP (1/mm); Alam et al. 2013: 0.0054.", None, ge=-1, le=1
    )
    biomass_t_slope: float | None = doc(
        "Biomass C vs temperature C_BT = c·T + d: slope c (1/°C); Chen et al. 2007: 28.",
        None,
        ge=-1e6,
        le=1e6,
    )
    biomass_t_intercept: float | None = doc(
        "Intercept d of C_BT; Chen et al. 2007: 398.", None, ge=-1e6, le=1e6
    )

    def relations(self) -> ClimateRelations:
        """The coefficients to compute with: the given keys over the library defaults."""
        from landcarbon.carbon.climate import ClimateRelations

        return _over_defaults(self, ClimateRelations)


@dataclass(frozen=True)
class ClimateCorrection:
    """Region and reference climate of a climate-corrected pools table (METHODS.md §2)."""

    precipitation_mm: float = doc(
        "Mean annual precipitation of the study area (mm).", **PRECIPITATION_MM
    )
    temperature_c: float = doc("Mean annual temperature of the study area (°C).", **TEMPERATURE_C)
    reference_precipitation_mm: float = doc(
        "Mean annual precipitation of the pools table's region (mm), e.g. the national mean.",
        **PRECIPITATION_MM,
    )
    reference_temperature_c: float = doc(
        "Mean annual temperature of the pools table's region (°C).", **TEMPERATURE_C
    )
    variant: Literal["product", "mean", "precipitation"] = doc(
        "Biomass factor K_B: product K_BP·K_BT, mean (K_BP+K_BT)/2 or precipitation K_BP.",
        "product",
    )
    dead: Literal["none", "biomass", "soil"] = doc(
        "c_dead: left as is (none), or scaled by K_B (biomass) or K_S (soil).", "none"
    )
    coefficients: ClimateCoefficients = doc(
        "Coefficients of the three relations, e.g. { biomass_t_slope = 25 }; a key left "
        "out keeps the published value (Alam et al. 2013, Chen et al. 2007).",
        default_factory=ClimateCoefficients,
    )


@dataclass(frozen=True)
class RhConstants:
    """Constants of the Rh relation (docs/carbon.md): ``Rh = scale · [exp(temperature_coef·T)
    + ln(precipitation_coef·R + 1)] · days_per_month · multiplier`` per month. A key left
    out (None) keeps the default of :class:`landcarbon.carbon.nep.RhParameters` (Pei et
    al. 2010), so the defaults live in one place."""

    scale: float | None = doc("Rh scale (g C/m²/day); Pei et al. 2010: 0.22.", None, gt=0, le=10)
    temperature_coef: float | None = doc(
        "Rh temperature coefficient (1/°C); Pei et al. 2010: 0.0912; the county carbon-sink "
        "study prints 0.0913 (English, eq. 2) and 0.09137 (Chinese).",
        None,
        ge=0,
        le=1,
    )
    precipitation_coef: float | None = doc(
        "Rh precipitation coefficient (1/mm); Pei et al. 2010: 0.3145.", None, gt=0, le=10
    )
    days_per_month: float | None = doc(
        "Days per month of the monthly Rh (days); Pei et al. 2010: 30.", None, gt=0, le=31
    )
    multiplier: float | None = doc(
        "Rh multiplier (fraction); Pei et al. 2010: 0.465 (46.5 %).", None, gt=0, le=1
    )

    def parameters(self) -> RhParameters:
        """The Rh constants to compute with: the given keys over the library defaults."""
        from landcarbon.carbon.nep import RhParameters

        return _over_defaults(self, RhParameters)


@chapter("carbon")
@dataclass(frozen=True)
class CarbonSection:
    maps: dict[str, str] = doc(
        "Label → land-use raster ([rasters] name or a step output such as a simulated "
        'map), e.g. { "2020" = "landuse_2020" }.',
        names=True,
    )
    pools: str = doc(
        "Carbon pools: a preset (henan_table1, keyed by land-use group and applied through "
        "the groups of [inputs] classes) or a [tables] name (InVEST CSV by code or group, "
        "t C/ha)."
    )
    baseline: str = doc(
        "Label in `maps` that sequestration is measured from; default the first.", ""
    )
    emission_factors: str = doc(
        "Emission factors: a preset (arid_muus, sun2015, keyed by land-use group and "
        "applied through the class table's groups) or a [tables] name (t C/ha/yr by code "
        "or group, negative = sink). None given: no emissions are computed (nothing is "
        "applied by default) and the summary says so.",
        "",
    )
    energy_t_c: float = doc("Regional energy emissions (t C/yr) to spread over cells.", 0.0, ge=0)
    fuels: dict[str, float] = doc(
        "Fuel consumption for IPCC energy emissions (fuel → amount in the preset's unit, "
        "e.g. 10^4 t); overrides energy_t_c: emissions = amount x standard-coal factor x "
        "carbon factor.",
        default_factory=dict,
        ge=0,
    )
    climate: ClimateCorrection | None = doc(
        "Optional climate correction of the pools table before any account, e.g. "
        "{ precipitation_mm = 800, temperature_c = 15, reference_precipitation_mm = 628, "
        "reference_temperature_c = 9 }; the corrected table is carbon/pools_corrected.csv.",
        None,
    )
    energy_weights: str = doc(
        "Raster the energy emissions are spread by (population or night lights).", ""
    )
    energy_mask: str = doc(
        "Optional raster of the cells that may receive energy emissions (nonzero = "
        "eligible, e.g. built-up land); default every cell with a weight.",
        "",
    )
    energy_zero_weight: Literal["error", "area"] = doc(
        "When every weight is zero: refuse (error) or spread the energy emissions evenly "
        "by area (area).",
        "error",
    )
    price_per_t_c: float = doc(
        "Carbon price for valuation (currency per t C); 0 = none.", 0.0, ge=0
    )
    discount_rate_pct: float = doc("Annual market discount rate (%).", 7.0, ge=0, le=100)
    price_change_pct: float = doc("Annual change in the carbon price (%).", 0.0, gt=-100, le=100)
    nep: dict[str, str] = doc(
        "Optional NEP inputs: npp (g C/m²/yr), temperature and "
        "precipitation (12-band monthly rasters).",
        default_factory=dict,
    )
    supply_demand: str | None = doc(
        "Label of a map in `maps` whose per-cell carbon sequestration supply and demand are "
        "compared (the province study's supply and demand of the service): supply = NEP × "
        "cell area (METHODS §4 definition (a); needs `nep`), demand = the cell's emissions "
        "(land-use factor × area + its energy share; needs `emission_factors`), both t C/yr. "
        "Writes the ESDR map (S − D)/((S_max + D_max)/2), its deficit / balance / surplus "
        "zones and the z-score quadrants (H-H, L-H, L-L, H-L). Not given: not computed.",
        None,
    )
    rh: RhConstants = doc(
        "Constants of the Rh relation of the NEP step, e.g. { temperature_coef = 0.0913 } "
        "(the county carbon-sink study's eq. 2); a key left out keeps the Pei et al. (2010) "
        "value (landcarbon.carbon.nep.RhParameters).",
        default_factory=RhConstants,
    )
    soil: dict[str, str] = doc(
        "Optional layered soil carbon inputs, carbon density per metre of depth (t C/ha "
        "per m): topsoil_organic, subsoil_organic (and topsoil_inorganic, "
        "subsoil_inorganic); eq. 3 weights them by the layer thicknesses (soil_thickness_m) "
        "into t C/ha within the profile.",
        default_factory=dict,
    )
    soil_thickness_m: tuple[float, ...] = doc(
        "Thickness of the topsoil and subsoil layers (m) that weight them in the soil step: "
        "[0.3, 0.7] as eq. 3 of the county carbon-sink study (0-30 cm, 30-100 cm).",
        (0.3, 0.7),
        length=2,
        gt=0,
        le=10,
    )


NOT_COMPUTED = "not computed: no emission_factors in [carbon] (nothing is applied by default)"
"""What the summaries say of land-use emissions when no factor table is given."""


def _table(study: Study, name: str) -> tuple[str, ...]:
    return (artifact(study, name),) if name in study.tables else ()


def _check_tables(study: Study, sec: CarbonSection) -> None:
    """Load the pools and emission factors as the steps will and check that they cover
    every code of every map (a simulated map: any code of its t0 and t1 maps), so that an
    unknown preset, a class without a group, a group the preset lacks or a missing code
    stops ``validate``, not a step."""
    inputs = {f"tables.{k}": v for k, v in study.tables.items()}
    pools = _load_pools(study, sec, inputs, _table(study, sec.pools))
    factors = _load_factors(study, sec, inputs, _table(study, sec.emission_factors))
    for label, ref in sec.maps.items():
        found = map_codes(study, ref)
        if found is None:
            continue
        counts, name = found
        for table in (pools, factors):
            if table is not None:
                table.check_counts(counts, f"[carbon.maps] {label} = {name}")


@steps_for("carbon")
def carbon_steps(study: Study, sec: CarbonSection) -> list[Step]:
    """Storage + emissions per map, a comparison step, and optional NEP / soil carbon."""
    labels = list(sec.maps)
    baseline = _baseline(study, sec)
    _check_inputs(study, sec)  # names, presets, fuels: messages with the study's keys
    _check_tables(study, sec)  # then the tables' coverage of every map's codes
    steps = [_map_step(study, sec, label, baseline) for label in labels]
    if sec.climate is not None:
        steps.insert(0, _climate_step(study, sec, sec.climate))
    steps.append(_comparison_step(study, labels, bool(sec.emission_factors), baseline))
    ensembles = _ensembles(study, sec)
    steps += [_uncertainty_step(study, sec, scenario) for scenario in ensembles]
    if ensembles:
        steps.append(_uncertainty_summary_step(ensembles))
    if sec.nep:
        steps.append(_nep_step(study, sec))
    if sec.soil:
        steps.append(_soil_step(study, sec))
    return steps


def _baseline(study: Study, sec: CarbonSection) -> str:
    """The label sequestration is measured from: ``baseline``, else the first of ``maps``."""
    where = f"{study.path}: [carbon]"
    if not sec.maps:
        raise ConfigError(
            f"{where} maps is empty; give at least one label = land-use map, e.g. maps = "
            f'{{ "2020" = "landuse_2020" }}'
        )
    if sec.baseline and sec.baseline not in sec.maps:
        raise ConfigError(
            f"{where} baseline = {sec.baseline!r} is not a label of maps"
            f"{did_you_mean(sec.baseline, sec.maps)}; use one of "
            f"{', '.join(repr(k) for k in sec.maps)} (or leave it out: the first)"
        )
    return sec.baseline or next(iter(sec.maps))


NEP_INPUTS = ("npp", "temperature", "precipitation")
SOIL_INPUTS = ("topsoil_organic", "subsoil_organic")
SOIL_OPTIONAL = ("topsoil_inorganic", "subsoil_inorganic")


def _check_supply_demand(sec: CarbonSection, where: str) -> None:
    """``supply_demand`` names a map of ``maps`` and has its supply (NEP) and demand
    (emission factors) to compare."""
    label = sec.supply_demand
    if label is None:
        return
    if label not in sec.maps:
        raise ConfigError(
            f"{where} supply_demand = {label!r}: not a label of [carbon] maps "
            f"({', '.join(sec.maps)}); name the map whose supply and demand to compare"
        )
    missing = [k for k in ("nep", "emission_factors") if not getattr(sec, k)]
    if missing:
        raise ConfigError(
            f"{where} supply_demand = {label!r} needs {' and '.join(missing)}: the supply is "
            "NEP x cell area and the demand the cell's emissions; add "
            f"{' and '.join(missing)} to [carbon] or remove supply_demand"
        )


def _check_inputs(study: Study, sec: CarbonSection) -> None:
    """Refuse at plan time (so ``validate`` does) what the steps would refuse on input: an
    unknown preset or fuel, energy emissions with no raster to spread them, NEP or soil
    inputs missing or misnamed."""
    from landcarbon.carbon.emissions import emission_factor_preset
    from landcarbon.carbon.energy import energy_emissions, fuel_factors
    from landcarbon.carbon.storage import pools_preset

    where = f"{study.path}: [carbon]"
    _check_supply_demand(sec, where)
    energy = [k for k in ("fuels", "energy_weights", "energy_t_c") if getattr(sec, k)]
    options = [k for k in ("energy_mask",) if getattr(sec, k)]
    options += ["energy_zero_weight"] if sec.energy_zero_weight != "error" else []
    if options and not (sec.energy_t_c or sec.fuels):
        raise ConfigError(
            f"{where} {', '.join(options)} given without energy emissions; they shape how "
            f"energy_t_c or fuels are spread over cells: give one of those, or leave them out"
        )
    if energy and not sec.emission_factors:
        raise ConfigError(
            f"{where} {', '.join(energy)} given without emission_factors; energy emissions are "
            f"added to the land-use emissions: give emission_factors (a preset such as "
            f"arid_muus or a [tables] name)"
        )
    presets = (("pools", pools_preset), ("emission_factors", emission_factor_preset))
    for key, load in presets:
        name = getattr(sec, key)
        try:
            if name and name not in study.tables:
                load(name, class_scheme(study))
        except ParameterError as exc:  # an unknown preset; a class problem speaks for itself
            raise ConfigError(f"{where} {key} = {name!r}: not a [tables] name, and {exc}") from exc
    try:
        if sec.fuels:
            energy_emissions(sec.fuels, fuel_factors())
    except LandcarbonError as exc:
        raise ConfigError(f"{where} fuels: {exc}") from exc
    if (sec.energy_t_c or sec.fuels) and not sec.energy_weights:
        raise ConfigError(
            f"{where} energy emissions (energy_t_c or fuels) are given without energy_weights, "
            f"so no map would hold them; set energy_weights to the raster that spreads them "
            f'(e.g. "population")'
        )
    for key, given, required, optional in (
        ("nep", sec.nep, NEP_INPUTS, ()),
        ("soil", sec.soil, SOIL_INPUTS, SOIL_OPTIONAL),
    ):
        missing = [k for k in required if given and k not in given]
        unknown = [k for k in given if k not in (*required, *optional)]
        if missing or unknown:
            problems = [f"{k!r} is missing" for k in missing] + [
                f"{k!r} is not an input{did_you_mean(k, required + optional)}" for k in unknown
            ]
            also = f" (and optionally {', '.join(optional)})" if optional else ""
            raise ConfigError(
                f"{where} {key}: {'; '.join(problems)}; give {', '.join(required)}{also}"
            )


def _load_pools(
    study: Study, sec: CarbonSection, inputs: dict[str, Path], study_tables: tuple[str, ...]
) -> ClassTable:
    """Pools (t C/ha) by the study's codes: its table (by code or group), else the preset."""
    from landcarbon.carbon.storage import POOLS, pools_preset
    from landcarbon.groups import read_class_values

    classes = class_scheme(study)
    if study_tables:
        return read_class_values(
            inputs[study_tables[0]], classes, required=POOLS, nonnegative=POOLS
        )
    return pools_preset(sec.pools, classes)


def _load_factors(
    study: Study, sec: CarbonSection, inputs: dict[str, Path], study_tables: tuple[str, ...]
) -> ClassTable | None:
    """Emission factors (t C/ha/yr) by the study's codes: its table (by code or group),
    else the named preset; None when none is given."""
    from landcarbon.carbon.emissions import FACTOR_COLUMN, emission_factor_preset
    from landcarbon.groups import read_class_values

    if not sec.emission_factors:
        return None
    classes = class_scheme(study)
    if study_tables:
        return read_class_values(inputs[study_tables[0]], classes, required=(FACTOR_COLUMN,))
    return emission_factor_preset(sec.emission_factors, classes)


CORRECTED = "carbon.pools_corrected"


def _climate_step(study: Study, sec: CarbonSection, climate: ClimateCorrection) -> Step:
    """The pools table corrected to the study area's climate; map steps read it instead."""
    pools_t = _table(study, sec.pools)
    outputs = (
        Output(
            CORRECTED, "carbon/pools_corrected.csv", "table", "t C/ha", "climate-corrected pools"
        ),
    )

    def run(ctx: Context) -> None:
        from landcarbon.carbon.climate import (
            climate_corrected_pools,
            correction_factors,
            pools_csv_frame,
        )

        factors = correction_factors(
            climate.precipitation_mm,
            climate.temperature_c,
            climate.reference_precipitation_mm,
            climate.reference_temperature_c,
            climate.variant,
            climate.coefficients.relations(),
        )
        table = climate_corrected_pools(
            _load_pools(study, sec, ctx.inputs, pools_t), factors, climate.dead
        )
        write_csv(pools_csv_frame(table), ctx.outputs[CORRECTED])
        ctx.summary["climate_factors"] = factors.as_dict()

    return Step(
        "carbon_climate",
        "carbon",
        pools_t,
        outputs,
        run,
        params={
            "pools": sec.pools,
            **asdict(climate),
            "coefficients": asdict(climate.coefficients.relations()),
        },
        doc="pools table corrected to the study area's climate",
        cite=(
            "Alam SA, Starr M, Clark BJF (2013) J Arid Environ 89:67-76 (C_SP, C_BP); "
            "Chen G et al. (2007) Acta Ecol Sin 27(12) (C_BT).",
        ),
    )


def _map_step(study: Study, sec: CarbonSection, label: str, baseline: str) -> Step:
    lulc = artifact(study, sec.maps[label])
    base = artifact(study, sec.maps[baseline])
    pools_t = (CORRECTED,) if sec.climate else _table(study, sec.pools)
    factors_t = _table(study, sec.emission_factors)
    weights = (artifact(study, sec.energy_weights),) if sec.energy_weights else ()
    mask = (artifact(study, sec.energy_mask),) if sec.energy_mask and weights else ()
    future = label != baseline
    # change runs earlier → later: a dated map before the baseline is the start ("bas")
    # and the baseline its end ("alt"), so 2000 with baseline 2020 reads 2000 → 2020
    earlier = future and _before(label, baseline)
    first, last = (label, baseline) if earlier else (baseline, label)
    folder = f"carbon/{label}"
    outputs = [
        Output(
            f"carbon.{label}.storage",
            f"{folder}/c_storage_{'alt' if future and not earlier else 'bas'}.tif",
            "raster",
            "t C/ha",
            f"carbon storage, {label}",
        ),
        Output(
            f"carbon.{label}.by_class",
            f"{folder}/carbon_by_class.csv",
            "table",
            "t C",
            f"carbon storage by land-use class, {label}",
        ),
        Output(f"carbon.{label}.summary", f"{folder}/account.json", "json", "t C", ""),
    ]
    if sec.emission_factors:
        outputs[2:2] = [
            Output(
                f"carbon.{label}.emissions",
                f"{folder}/emissions_t_c_per_ha.tif",
                "raster",
                "t C/ha/yr",
                f"land-use emissions (negative = sink), {label}",
            ),
            Output(
                f"carbon.{label}.emissions_by_class",
                f"{folder}/emissions_by_class.csv",
                "table",
                "t C/yr",
                f"emissions by land-use class, {label}",
            ),
            Output(
                f"carbon.{label}.balance_index",
                f"{folder}/balance_index_yr.tif",
                "raster",
                "yr",
                f"carbon balance index CS/CE per cell, {label}",
            ),
        ]
    if future:
        outputs.insert(
            1,
            Output(
                f"carbon.{label}.change",
                f"{folder}/c_change_bas_alt.tif",
                "raster",
                "t C/ha",
                f"carbon change {first} → {last}",
            ),
        )
    if weights and not future:  # the same allocation for every map: drawn once
        outputs.append(
            Output(
                f"carbon.{label}.energy",
                f"{folder}/energy_t_c_per_cell.tif",
                "raster",
                "t C/yr per cell",
                "energy emissions by population",
            )
        )
    supply = ("carbon.nep",) if label == sec.supply_demand else ()
    if supply:
        outputs += _supply_demand_outputs(folder, label)
    classes = class_inputs(study)
    inputs = (
        lulc,
        *((base,) if future else ()),
        *pools_t,
        *factors_t,
        *weights,
        *mask,
        *classes,
        *supply,
    )

    def run(ctx: Context) -> None:
        from landcarbon.carbon.outputs import write_carbon_outputs
        from landcarbon.carbon.valuation import Valuation

        chunks = study.compute.chunks
        mine = read(ctx.inputs[lulc], "categorical", chunks)
        pools = _load_pools(study, sec, ctx.inputs, pools_t)
        out = Path(ctx.out_dir) / folder
        if future:  # InVEST names: the baseline map is "bas", this map "alt"
            valuation = None
            if sec.price_per_t_c and label.isdigit() and baseline.isdigit():
                valuation = Valuation(
                    sec.price_per_t_c,
                    sec.discount_rate_pct,
                    sec.price_change_pct,
                    int(first),
                    int(last),
                )
            other = read(ctx.inputs[base], "categorical", chunks)
            start, end = (mine, other) if earlier else (other, mine)
            account, _ = write_carbon_outputs(out, start, pools, end, valuation, overwrite=True)
            maps = {str(ctx.inputs[lulc]): mine, str(ctx.inputs[base]): other}
        else:
            account, _ = write_carbon_outputs(out, mine, pools, overwrite=True)
            maps = {str(ctx.inputs[lulc]): mine}
        scheme = class_scheme(study, ctx.inputs)
        # this map's own storage: the start of an earlier map's change, else its end
        own = account.current if earlier else account.future
        by_class = (
            _by_class_beside_baseline(account, earlier) if future else account.by_class_table()
        )
        # the table again with the study's class names beside the codes
        write_csv(
            _named(by_class, legend(scheme, by_class["code"], maps)),
            ctx.outputs[f"carbon.{label}.by_class"],
        )
        summary: dict[str, object] = {"storage_t_c": (own or account.current).total_t_c}
        if future:
            summary["sequestration_t_c"] = account.sequestration_t_c
            if account.value is not None:
                summary["value"] = account.value
        factors = _load_factors(study, sec, ctx.inputs, factors_t)
        if factors is None:
            summary["emissions"] = NOT_COMPUTED
        else:
            summary.update(_emissions(ctx, out, mine, factors, label, scheme, maps))
        write_json(summary, ctx.outputs[f"carbon.{label}.summary"])
        ctx.summary.update(summary)

    def _emissions(
        ctx: Context,
        out: Path,
        mine: xr.DataArray,
        factors: ClassTable,
        label: str,
        scheme: ClassScheme | None,
        maps: Mapping[str, xr.DataArray],
    ) -> dict[str, object]:
        """Write the emission map and table (and energy allocation); their summary."""
        from landcarbon.carbon.emissions import emission_map
        from landcarbon.carbon.outputs import emission_account
        from landcarbon.raster import write_raster

        energy = read(ctx.inputs[weights[0]], chunks=study.compute.chunks) if weights else None
        energy_t_c = sec.energy_t_c
        if sec.fuels:
            from landcarbon.carbon.energy import energy_emissions, fuel_factors

            by_fuel = energy_emissions(sec.fuels, fuel_factors())
            write_csv(by_fuel, out / "energy_by_fuel.csv")
            energy_t_c = float(by_fuel["emissions_t_c"].sum())
        emissions = emission_account(
            mine,
            factors,
            energy_t_c if weights else None,
            energy,
            mask=read(ctx.inputs[mask[0]], chunks=study.compute.chunks) if mask else None,
            zero_weight=sec.energy_zero_weight,
        )
        write_raster(
            emission_map(mine, factors).astype("float32"),
            ctx.outputs[f"carbon.{label}.emissions"],
            overwrite=True,
            units="t C/ha/yr",
        )
        names = legend(scheme, emissions.by_class["code"], maps)
        write_csv(
            _named(emissions.by_class, names), ctx.outputs[f"carbon.{label}.emissions_by_class"]
        )
        if emissions.energy is not None and f"carbon.{label}.energy" in ctx.outputs:
            write_raster(
                emissions.energy,
                ctx.outputs[f"carbon.{label}.energy"],
                overwrite=True,
                units="t C/yr per cell",
            )
        write_raster(
            _balance_map(
                ctx.outputs[f"carbon.{label}.storage"],
                mine,
                factors,
                emissions.energy,
                study.compute.chunks,
            ),
            ctx.outputs[f"carbon.{label}.balance_index"],
            overwrite=True,
            units="yr",
        )
        if supply:
            nep = read(ctx.inputs[supply[0]], chunks=study.compute.chunks)
            ce = _cell_emissions(mine, factors, emissions.energy)
            _write_supply_demand(nep, ce, ctx.outputs, label)
        summary: dict[str, object] = {
            f"emissions_{k}": v for k, v in emissions.summary().items() if k != "by_class"
        }
        per_class = emissions.by_class["emissions_t_c_yr"]
        summary["sources_t_c_yr"] = float(per_class[per_class > 0].sum())
        summary["sinks_t_c_yr"] = float(-per_class[per_class < 0].sum())
        return summary

    return Step(
        f"carbon_{label}",
        "carbon",
        inputs,
        tuple(outputs),
        run,
        params={**asdict(sec), "label": label, "baseline": baseline},
        doc=f"carbon storage and emissions of land use {label}",
        cite=CITE_STORAGE + CITE_EMISSIONS,
    )


def _balance_map(
    storage: Path,
    lulc: xr.DataArray,
    factors: ClassTable,
    energy: xr.DataArray | None,
    chunks: int = 0,
) -> xr.DataArray:
    """The arid-region study's carbon balance index CO = CS/CE of every cell (yr, float32):
    CS the cell's storage (t C, the storage map ``storage`` in t C/ha times the true cell
    area), CE its emissions (t C/yr: the land-use emission factor times the cell area,
    plus the cell's share ``energy`` of the energy emissions, t C/yr per cell). NaN where
    CE <= 0 (a sink cell has no emission to compensate) or is unknown. The sums of CS and
    CE over the cells are the map's totals, so Σ CS / Σ CE is the study-level index.
    ``chunks``: the study's ``[compute] chunks``, as the land-use map was read."""
    from landcarbon.carbon.balance import balance_index
    from landcarbon.carbon.classes import per_cell

    cs = per_cell(read(storage, chunks=chunks), "storage_t_c")
    return balance_index(cs, _cell_emissions(lulc, factors, energy)).astype("float32")


def _cell_emissions(
    lulc: xr.DataArray, factors: ClassTable, energy: xr.DataArray | None
) -> xr.DataArray:
    """Each cell's emissions CE (t C/yr): its land-use emission factor times its true
    area, plus its share ``energy`` of the energy emissions (t C/yr per cell)."""
    from landcarbon.carbon.emissions import emission_map

    ce = emission_map(lulc, factors, per_cell_units=True)
    return ce if energy is None else ce + energy


def _supply_demand_outputs(folder: str, label: str) -> list[Output]:
    """The maps of ``[carbon] supply_demand``: ESDR, its zones and the quadrants."""
    return [
        Output(
            f"carbon.{label}.esdr",
            f"{folder}/supply_demand_esdr.tif",
            "raster",
            "1",
            f"ecological supply-demand ratio ESDR per cell, {label}",
        ),
        Output(
            f"carbon.{label}.supply_demand_zones",
            f"{folder}/supply_demand_zones.tif",
            "raster",
            "class",
            f"carbon supply-demand zones (deficit, balance, surplus), {label}",
        ),
        Output(
            f"carbon.{label}.supply_demand_quadrants",
            f"{folder}/supply_demand_quadrants.tif",
            "raster",
            "class",
            f"carbon supply-demand quadrants (supply-demand, H/L by z-score), {label}",
        ),
    ]


NEP_T_C_PER_HA = 0.01
"""t C/ha per g C/m² (10 000 m²/ha, 10⁶ g/t)."""


def _write_supply_demand(
    nep: xr.DataArray, ce: xr.DataArray, outputs: Mapping[str, Path], label: str
) -> None:
    """ESDR = (S − D)/((S_max + D_max)/2) per cell with S = NEP × area and D = ``ce`` (both
    t C/yr per cell), its zones and the z-score quadrants (Li et al. 2016; METHODS §4)."""
    from landcarbon.carbon.balance import (
        BALANCE_ZONES,
        QUADRANTS,
        balance_zones,
        supply_demand_quadrants,
        supply_demand_ratio,
    )
    from landcarbon.carbon.classes import per_cell
    from landcarbon.raster import write_raster

    supply = per_cell(nep * NEP_T_C_PER_HA, "supply_t_c")
    supply, ce = supply.where(ce.notnull()), ce.where(supply.notnull())
    esdr = supply_demand_ratio(supply, ce)
    write_raster(esdr.astype("float32"), outputs[f"carbon.{label}.esdr"], overwrite=True, units="1")
    write_raster(
        balance_zones(esdr),
        outputs[f"carbon.{label}.supply_demand_zones"],
        overwrite=True,
        classes=BALANCE_ZONES,
    )
    write_raster(
        supply_demand_quadrants(supply, ce),
        outputs[f"carbon.{label}.supply_demand_quadrants"],
        overwrite=True,
        classes=QUADRANTS,
    )


def _named(frame: pd.DataFrame, names: Mapping[int, tuple[str, str]]) -> pd.DataFrame:
    """``frame`` with the study's class names in its ``name`` column (after ``code``),
    replacing the names a preset or parameter table gave."""
    out = frame.drop(columns="name", errors="ignore")
    at = list(out.columns).index("code") + 1
    out.insert(at, "name", [names[int(c)][0] for c in out["code"]])
    return out


def _by_class_beside_baseline(account: CarbonAccount, earlier: bool) -> pd.DataFrame:
    """A map's carbon by class (t C) with the baseline map's area and storage beside it
    (``baseline_area_ha``, ``baseline_total_t_c``) and ``change_t_c``, the later map's
    storage less the earlier's (as the folder's ``c_change_bas_alt.tif``).

    The account holds the earlier map as ``current``: a map dated after the baseline is
    its ``future``, so the table by the account's own order led with the baseline's
    storage in this map's folder."""
    own, base = (account.current, account.future) if earlier else (account.future, account.current)
    assert base is not None and own is not None  # a change account holds both maps
    frame = own.by_class.copy()
    frame["baseline_area_ha"] = base.by_class["area_ha"].to_numpy()
    frame["baseline_total_t_c"] = base.by_class["total_t_c"].to_numpy()
    frame["change_t_c"] = account.by_class_table()["change_t_c"].to_numpy()
    return frame


def _before(label: str, baseline: str) -> bool:
    """Whether map ``label`` is dated before ``baseline`` (both years, e.g. "2000" and
    "2020"); labels that are not years (scenarios) follow the baseline."""
    try:
        return float(label) < float(baseline)
    except ValueError:
        return False


def _comparison_step(study: Study, labels: list[str], with_emissions: bool, baseline: str) -> Step:
    """Storage, emissions and balance index of every map (storage only without factors).

    The chart shows each map's difference from ``baseline`` (a 1 % change is a visible
    bar, not one of seven equal bars from 0); a study of one map gets its storage by
    land-use class instead (in the class scheme's colours)."""
    single = len(labels) == 1
    inputs = tuple(f"carbon.{label}.summary" for label in labels)
    if single:
        inputs += (f"carbon.{labels[0]}.by_class", *class_inputs(study))
    what = "storage, emissions and carbon balance index CS/CE" if with_emissions else "storage"
    chart_doc = (
        f"carbon storage by land-use class, {labels[0]}"
        if single
        else f"carbon {what} by map, as differences from {baseline} (one panel each)"
    )
    outputs = (
        Output(
            "carbon.comparison", "carbon/comparison.csv", "table", "t C", f"{what} of every map"
        ),
        Output("carbon.comparison_chart", "carbon/comparison.png", "png", "t C", chart_doc),
        *export_outputs("carbon.comparison_chart", "carbon_comparison", chart_doc),
    )

    def run(ctx: Context) -> None:
        import pandas as pd

        from landcarbon.report.charts import Panel, panels_png

        rows = {
            label: json.loads(ctx.inputs[f"carbon.{label}.summary"].read_text()) for label in labels
        }
        frame = pd.DataFrame(rows).T
        if not with_emissions:
            storage = frame[["storage_t_c"]].astype(float).rename_axis("map")
            write_csv(storage, ctx.outputs["carbon.comparison"], index=True)
            ctx.summary["emissions"] = NOT_COMPUTED
            kt_c = figure_text("kt_c")
            quantities = [(figure_text("storage"), storage["storage_t_c"] / 1e3, kt_c, STORAGE)]
        else:
            table = _balance_by_map(frame)
            write_csv(table, ctx.outputs["carbon.comparison"], index=True)
            ctx.summary["balance_index"] = {k: float(v) for k, v in table["balance_index"].items()}
            quantities = [
                (figure_text("storage"), table["storage_t_c"] / 1e3, figure_text("kt_c"), STORAGE),
                (
                    figure_text("emissions"),
                    table["emissions_t_c_yr"],
                    figure_text("t_c_yr"),
                    "#c62828",
                ),
                (figure_text("balance"), table["balance_index"], figure_text("years"), "#1565c0"),
            ]
        panels = (
            [_by_class_panel(study, ctx, labels[0])]
            if single
            else [Panel(*quantity, base=baseline) for quantity in quantities]
        )
        chart = "carbon.comparison_chart"
        if single:
            title = figure_text("storage_by_class", map=labels[0])
        else:
            which = "comparison_balance" if with_emissions else "comparison_storage"
            title = figure_text(which, base=baseline)
        panels_png(panels, ctx.outputs[chart], title, exports_of(ctx.outputs, chart))

    return drawing(
        study,
        Step(
            "carbon_comparison",
            "carbon",
            inputs,
            outputs,
            run,
            params={"baseline": baseline},
            doc=f"{what} of every map",
            cite=CITE_EMISSIONS,
        ),
    )


def _balance_by_map(summaries: pd.DataFrame) -> pd.DataFrame:
    """Per map (rows of its account summaries): storage CS (t C), land-use emissions CE
    (t C/yr, sources less sinks), their sources and sinks, and the balance index CS / CE
    of the arid-region study (years; NaN where CE <= 0: nothing to compensate).

    Only these: a net emission CE - CS or an ecological supply-demand ratio of a stock
    against a yearly flux, across dates taken as units, has no meaning
    (:func:`landcarbon.carbon.balance.balance_table` is for a sequestration supply against
    emissions across spatial units)."""
    import pandas as pd

    storage = summaries["storage_t_c"].astype(float)
    emissions = summaries["emissions_total_t_c_yr"].astype(float)
    table = pd.DataFrame(
        {
            "storage_t_c": storage,
            "emissions_t_c_yr": emissions,
            "sources_t_c_yr": summaries["sources_t_c_yr"].astype(float),
            "sinks_t_c_yr": summaries["sinks_t_c_yr"].astype(float),
            "balance_index": storage / emissions.where(emissions > 0),
        }
    )
    table.index.name = "map"
    return table


STORAGE = "#2e7d32"
"""Bar colour of carbon storage in the comparison chart."""


def _by_class_panel(study: Study, ctx: Context, label: str) -> Panel:
    """Carbon storage by land-use class of map ``label`` (10^3 t C), bars in the class
    scheme's colours."""
    import pandas as pd

    from landcarbon.report.charts import Panel

    table = pd.read_csv(ctx.inputs[f"carbon.{label}.by_class"])
    table = table[table["total_t_c"] != 0]
    colours = legend(class_scheme(study, ctx.inputs), table["code"].astype(int), {})
    values = pd.Series(table["total_t_c"].to_numpy(float) / 1e3, index=table["name"])
    return Panel(
        f"{figure_text('storage')}, {label}",
        values,
        figure_text("kt_c"),
        tuple(colours[int(c)][1] for c in table["code"]),
    )


def _ensembles(study: Study, sec: CarbonSection) -> dict[str, str]:
    """Scenario -> label of the maps that are simulated scenarios with a Monte Carlo
    ensemble (``[simulation] runs > 1``); the first label when two name one scenario."""
    from landcarbon.study.chapters.simulation import SimulationSection, scenario_names

    sim = study.chapters.get("simulation")
    if not isinstance(sim, SimulationSection) or sim.runs <= 1:
        return {}
    names = set(scenario_names(study, sim))
    found: dict[str, str] = {}
    for label, ref in sec.maps.items():
        scenario = ref.removeprefix("simulation.")
        if ref != scenario and scenario in names:
            found.setdefault(scenario, label)
    return found


def _uncertainty_step(study: Study, sec: CarbonSection, scenario: str) -> Step:
    """Storage and land-use emissions of every run from the runs' class areas (exact:
    both are linear in the class areas), with their mean, sd and percentiles."""
    runs = f"simulation.{scenario}.runs"
    pools_t = (CORRECTED,) if sec.climate else _table(study, sec.pools)
    factors_t = _table(study, sec.emission_factors)
    name = f"carbon.uncertainty.{scenario}"
    outputs = (
        Output(
            name,
            f"carbon/uncertainty_{scenario}.csv",
            "table",
            "t C, t C/yr",
            f"storage and land-use emissions of each Monte Carlo run, {scenario.replace('_', ' ')}",
        ),
    )

    def run(ctx: Context) -> None:
        from landcarbon.carbon.uncertainty import interval_summary, read_run_areas, run_totals

        pools = _load_pools(study, sec, ctx.inputs, pools_t)
        factors = _load_factors(study, sec, ctx.inputs, factors_t)
        totals = run_totals(read_run_areas(ctx.inputs[runs]), pools, factors)
        write_csv(totals, ctx.outputs[name])
        ctx.summary.update(interval_summary(totals))

    return Step(
        f"carbon_uncertainty_{scenario}",
        "carbon",
        (runs, *pools_t, *factors_t, *class_inputs(study)),
        outputs,
        run,
        params={"pools": sec.pools, "emission_factors": sec.emission_factors},
        doc=f"carbon totals of every Monte Carlo run, {scenario}",
        cite=CITE_STORAGE + CITE_EMISSIONS[:1],
    )


def _uncertainty_summary_step(ensembles: dict[str, str]) -> Step:
    """One row per scenario: the simulated map's totals beside the ensemble's interval."""
    inputs = tuple(
        name
        for scenario, label in ensembles.items()
        for name in (f"carbon.uncertainty.{scenario}", f"carbon.{label}.summary")
    )
    outputs = (
        Output(
            "carbon.uncertainty",
            "carbon/uncertainty_summary.csv",
            "table",
            "t C, t C/yr",
            "storage and land-use emissions across Monte Carlo runs: mean, sd, min, "
            "2.5/50/97.5 percentiles, max, beside the simulated map's totals",
        ),
    )

    def run(ctx: Context) -> None:
        import pandas as pd

        from landcarbon.carbon.uncertainty import interval_summary

        rows = []
        for scenario, label in ensembles.items():
            account = json.loads(ctx.inputs[f"carbon.{label}.summary"].read_text())
            totals = pd.read_csv(ctx.inputs[f"carbon.uncertainty.{scenario}"])
            rows.append(
                {
                    "scenario": scenario,
                    "map": label,
                    "map_storage_t_c": account["storage_t_c"],
                    "map_emissions_t_c_yr": account.get("emissions_land_use_t_c_yr", NOT_COMPUTED),
                    **interval_summary(totals),
                }
            )
        write_csv(pd.DataFrame(rows), ctx.outputs["carbon.uncertainty"])

    return Step(
        "carbon_uncertainty",
        "carbon",
        inputs,
        outputs,
        run,
        params={"maps": ensembles},
        doc="carbon totals with intervals across Monte Carlo runs, every scenario",
    )


def _nep_step(study: Study, sec: CarbonSection) -> Step:
    names = {k: artifact(study, v) for k, v in sec.nep.items()}
    outputs = (
        Output(
            "carbon.nep",
            "carbon/nep_g_c_per_m2_yr.tif",
            "raster",
            "g C/m²/yr",
            "net ecosystem production NEP = NPP − Rh",
        ),
        Output(
            "carbon.rh",
            "carbon/rh_g_c_per_m2_yr.tif",
            "raster",
            "g C/m²/yr",
            "soil heterotrophic respiration",
        ),
    )

    def run(ctx: Context) -> None:
        from landcarbon.carbon.nep import heterotrophic_respiration, net_ecosystem_production
        from landcarbon.raster import read_raster, require_data, write_raster

        temp = read_raster(ctx.inputs[names["temperature"]], band=0)
        prec = read_raster(ctx.inputs[names["precipitation"]], band=0)
        rh = heterotrophic_respiration(temp, prec, sec.rh.parameters())
        nep = net_ecosystem_production(read(ctx.inputs[names["npp"]]), rh)
        require_data(
            nep,
            f"{study.path}: [carbon] nep: the NEP",
            "its npp, temperature and precipitation rasters share no cell with data (every "
            "month); check their nodata values and extents",
        )
        write_raster(rh, ctx.outputs["carbon.rh"], overwrite=True, units="g C/m2/yr")
        write_raster(nep, ctx.outputs["carbon.nep"], overwrite=True, units="g C/m2/yr")
        ctx.summary["mean_nep_g_c_per_m2_yr"] = float(nep.mean(skipna=True).values)

    return Step(
        "carbon_nep",
        "carbon",
        tuple(names.values()),
        outputs,
        run,
        params={**sec.nep, **asdict(sec.rh.parameters())},
        doc="NEP = NPP - Rh",
        cite=CITE_NEP,
    )


def _soil_step(study: Study, sec: CarbonSection) -> Step:
    names = {k: artifact(study, v) for k, v in sec.soil.items()}
    outputs = (
        Output(
            "carbon.soil",
            "carbon/soil_carbon_t_c_per_ha.tif",
            "raster",
            "t C/ha",
            "soil carbon of the profile (topsoil and subsoil weighted by their thickness)",
        ),
        Output(
            "carbon.soil_layers",
            "carbon/soil_layers.png",
            "png",
            "t C/ha per m",
            figure_text("soil_layers"),
        ),
        *export_outputs("carbon.soil_layers", "soil_layers", figure_text("soil_layers")),
    )

    def run(ctx: Context) -> None:
        from landcarbon.carbon.soil import layered_soil_carbon
        from landcarbon.raster import write_raster
        from landcarbon.report.figures import save_figure
        from landcarbon.report.maps import maps_panel_figure

        layers = {k: read(ctx.inputs[v]) for k, v in names.items()}
        soil = layered_soil_carbon(
            layers["topsoil_organic"],
            layers["subsoil_organic"],
            layers.get("topsoil_inorganic"),
            layers.get("subsoil_inorganic"),
            weights=(sec.soil_thickness_m[0], sec.soil_thickness_m[1]),
        )
        write_raster(soil, ctx.outputs["carbon.soil"], overwrite=True, units="t C/ha")
        layers_given = [k for k in (*SOIL_INPUTS, *SOIL_OPTIONAL) if k in names]
        figure = maps_panel_figure(
            {k.replace("_", " "): ctx.inputs[names[k]] for k in layers_given},
            figure_text("soil_layers"),
            "t C/ha per m",
        )
        save_figure(
            figure, ctx.outputs["carbon.soil_layers"], exports_of(ctx.outputs, "carbon.soil_layers")
        )
        ctx.summary["mean_soil_carbon_t_c_per_ha"] = float(soil.mean(skipna=True).values)

    return drawing(
        study,
        Step(
            "carbon_soil",
            "carbon",
            tuple(names.values()),
            outputs,
            run,
            params={**sec.soil, "soil_thickness_m": list(sec.soil_thickness_m)},
            doc="layered soil carbon (county study eq. 3)",
            cite=("The county carbon-sink study (Wensu), eq. 3.",),
        ),
    )
