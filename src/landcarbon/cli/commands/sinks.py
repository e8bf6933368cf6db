"""``landcarbon sinks``: importance, resistance, MCR, sink zones and strategies."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from landcarbon.cli.options import (
    OUT,
    OVERWRITE,
    SEED,
    number,
    prepare_out_dir,
    require,
    run_study_steps,
)
from landcarbon.cli.output import emit, say
from landcarbon.limits import SHARE, out_of_range

if TYPE_CHECKING:
    from landcarbon.classes import ClassScheme

FACTOR_HELP = (
    "Resistance factor NAME=PATH (repeat): slope, elevation, accumulated_temperature, "
    "precipitation, population; landuse defaults to --lulc."
)


def register(app: typer.Typer) -> None:
    app.command("sinks")(sinks)


def _pairs(items: list[str], option: str) -> dict[str, str]:
    """``["a=1", "b=2"]`` or ``["a=1,b=2"]`` → ``{"a": "1", "b": "2"}``."""
    out = {}
    for item in (part for text in items for part in text.split(",") if part.strip()):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise typer.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint=option)
        out[name.strip()] = value.strip()
    return out


def _weights(text: str | None, option: str) -> dict[str, float] | None:
    if text is None:
        return None
    try:
        weights = {k: float(v) for k, v in _pairs([text], option).items()}
    except ValueError as exc:
        raise typer.BadParameter(
            f"{text!r}: weights must be numbers ({exc})", param_hint=option
        ) from exc
    for name, weight in weights.items():
        problem = out_of_range(weight, {"ge": 0})
        if problem:
            raise typer.BadParameter(f"{name}: {problem}", param_hint=option)
    return weights


def sinks(
    study: Path | None = typer.Argument(
        None, help="A study file: run its [sinks] chapter and what it needs (else give --nep...)."
    ),
    nep: Path | None = typer.Option(None, "--nep", help="NEP raster (g C/m2/yr)."),
    veg_type: Path | None = typer.Option(
        None, "--veg-type", help="Vegetation-type raster (codes)."
    ),
    veg_density: Path | None = typer.Option(
        None, "--veg-density", help="Vegetation table (CSV/TOML): code, name, density (t C/ha)."
    ),
    soil_carbon: Path | None = typer.Option(
        None, "--soil-carbon", help="Soil carbon density raster (t C/ha)."
    ),
    lulc: Path | None = typer.Option(None, "--lulc", help="Land-use raster (codes of --classes)."),
    factor: list[str] = typer.Option(
        [],
        "--factor",
        help=FACTOR_HELP,
    ),
    classes: str | None = typer.Option(
        None,
        "--classes",
        "--lulc-table",
        help="The land-use classes: a class table (code, name, group) or a scheme (cnlucc, "
        "cnlucc2, ...): names in the composition tables; the resistance preset's land-use "
        "levels (keyed by group) and cultivated land (the cropland group) come from its "
        "groups.",
    ),
    resistance_levels: str | None = typer.Option(
        None,
        "--resistance-levels",
        help="Resistance levels: wensu_county (the county study's Table 5, shipped: slope "
        "in degrees, elevation in m, ...) or your level table TOML.",
    ),
    resistance_weights: str = typer.Option(
        "entropy", "--resistance-weights", help="'entropy', 'published' or NAME=W,..."
    ),
    importance_weights: str | None = typer.Option(
        None,
        "--importance-weights",
        help="NAME=W,... for nep, vegetation, soil (default 0.5,0.25,0.25).",
    ),
    strategies: str | None = typer.Option(
        None,
        "--strategies",
        help="Restoration strategies: wensu_county (the county study's Table 10, shipped, "
        "CNLUCC codes: needs --classes cnlucc or cnlucc2) or your strategy rule TOML.",
    ),
    cultivated: str | None = typer.Option(
        None,
        "--cultivated",
        help="Cultivated land-use codes, e.g. 1,11,12 (default: the cropland group of --classes).",
    ),
    min_area_ha: float = number(
        100.0, "--min-area-ha", ge=0, help="Smallest primary/secondary sink patch (ha)."
    ),
    potential: str = typer.Option(
        "breaks", "--potential", help="Potential-sink threshold: 'breaks' or 'quantile'."
    ),
    potential_quantile: float = number(
        0.2,
        "--potential-quantile",
        **SHARE,
        help="Quantile of the cumulative resistance (with --potential quantile).",
    ),
    breaks_sample: int | None = typer.Option(
        None,
        "--breaks-sample",
        help="Fit the natural breaks on this many cells drawn with --seed "
        "(default: exact breaks on every cell).",
    ),
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
    seed: int | None = SEED,
) -> None:
    """Carbon-sink importance, resistance (entropy weights), MCR, sink zones and strategies."""
    from landcarbon.groups import classes_option
    from landcarbon.raster import read_stack
    from landcarbon.sinks.chapter import SinksParams, run_sinks, write_sinks
    from landcarbon.sinks.presets import SHIPPED, shipped_or_path
    from landcarbon.sinks.resistance import load_level_tables
    from landcarbon.sinks.strategies import CNLUCC_SCHEMES, load_strategy_rules
    from landcarbon.tables import read_table

    if study is not None:
        run_study_steps(study, ["sinks"], out, overwrite, seed)
        return
    require(
        **{
            "--nep": nep,
            "--veg-type": veg_type,
            "--veg-density": veg_density,
            "--soil-carbon": soil_carbon,
            "--lulc": lulc,
        }
    )
    assert nep and veg_type and veg_density and soil_carbon and lulc
    for option, value, what, table in (
        ("--resistance-levels", resistance_levels, "resistance levels", "Table 5"),
        ("--strategies", strategies, "restoration strategies", "Table 10"),
    ):
        if value is None:
            raise typer.BadParameter(
                f"choose the {what}: {option} {SHIPPED} for the county study's ({table}), "
                f"or your own TOML table; none is assumed",
                param_hint=option,
            )
    assert resistance_levels and strategies
    if out is None:
        raise typer.BadParameter("give an output folder", param_hint="--out")
    factor_paths = {k: Path(v) for k, v in _pairs(factor, "--factor").items()}
    paths = {
        "nep": nep,
        "veg_type": veg_type,
        "soil_carbon": soil_carbon,
        "lulc": lulc,
        **{f"factor:{k}": v for k, v in factor_paths.items()},
    }
    kinds = {"veg_type": "categorical", "lulc": "categorical"}
    if "landuse" in factor_paths:
        kinds["factor:landuse"] = "categorical"
    stack = read_stack(paths, kinds)  # type: ignore[arg-type]
    rw = (
        resistance_weights
        if resistance_weights in ("entropy", "published")
        else _weights(resistance_weights, "--resistance-weights")
    )
    scheme = classes_option(classes) if classes else None
    codes = _cultivated(cultivated, scheme)
    level_tables = load_level_tables(shipped_or_path(resistance_levels), scheme)
    rules = shipped_or_path(strategies)
    if rules is None and (classes or "").strip().lower() not in CNLUCC_SCHEMES:
        raise typer.BadParameter(
            f"{SHIPPED}: the county study's strategies (its Table 10) name CNLUCC codes, but "
            f"--classes is {classes or 'not given'}; give your own --strategies table, or "
            f"--classes cnlucc2 (or cnlucc) if the land-use map has CNLUCC codes",
            param_hint="--strategies",
        )
    params = SinksParams(
        importance_weights=_weights(importance_weights, "--importance-weights"),
        resistance_weights=rw,  # type: ignore[arg-type]
        cultivated_codes=codes,
        min_area_ha=min_area_ha,
        potential=potential,  # type: ignore[arg-type]
        potential_quantile=potential_quantile,
        sample_size=breaks_sample,
        seed=seed if seed is not None else 0,
    )
    result = run_sinks(
        nep=stack["nep"],
        veg_type=stack["veg_type"],
        veg_densities=read_table(veg_density, required=["density"], nonnegative=["density"]),
        soil_carbon=stack["soil_carbon"],
        lulc=stack["lulc"],
        factors={k: stack[f"factor:{k}"] for k in factor_paths},
        level_tables=level_tables,
        strategy_rules=load_strategy_rules(rules),
        lulc_names=scheme.names() if scheme else None,
        params=params,
    )
    folder = prepare_out_dir(out, overwrite)
    written = write_sinks(result, folder, overwrite=overwrite)
    summary = result.summary()
    emit({**summary, "outputs": {k: str(v) for k, v in written.items()}})
    say(f"[bold]sinks[/bold] vegetation storage {summary['vegetation_storage_t_c']:.6g} t C")
    say(result.resistance.weight_table().to_string(index=False, float_format="{:.6f}".format))
    for zone, area in summary["zone_area_ha"].items():
        say(f"  {zone:>15}: {area:14.2f} ha")
    say(f"{len(written)} outputs in {folder}")


def _cultivated(value: str | None, scheme: ClassScheme | None) -> tuple[int, ...]:
    """Cultivated codes: ``--cultivated`` as given, else the cropland group of ``--classes``."""
    if value is not None:
        try:
            return tuple(int(c) for c in value.split(",") if c.strip())
        except ValueError as exc:
            raise typer.BadParameter(
                f"{value!r}: give integer codes", param_hint="--cultivated"
            ) from exc
    if scheme is None or not scheme.groups:
        raise typer.BadParameter(
            "give the codes of cultivated land (e.g. --cultivated 1,11,12), or --classes with "
            "a group column (the cropland group is cultivated)",
            param_hint="--cultivated",
        )
    return tuple(c for c, g in sorted(scheme.groups.items()) if g == "cropland")
