"""The ``[drivers]`` chapter: GeoDetector (factor, interaction, risk, ecological, optimal
discretisation) and correlation of a response raster with its candidate drivers
(coefficient matrix ``drivers/correlation.csv`` and its two-sided p-values
``drivers/correlation_p.csv``, over the cells valid in every layer).

Every GeoDetector convention is a key of the chapter (``singletons``, ``noncentrality``,
``ecological_rule``, ``alpha``, ``discretize_methods``, ``discretize_k``; the classic
geodetector R conventions by default) and the ones used are named in words in
``drivers/summary.json`` and ``drivers/geodetector.json`` (``conventions``), so a report's
method notes can say which were used."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

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
from landcarbon.study.config import Study, chapter
from landcarbon.study.pipeline import Context, Output, Step
from landcarbon.study.schema import doc

CITE = (
    "Wang JF, Li XH, Christakos G et al. (2010) Geographical detectors-based health risk "
    "assessment and its application in the neural tube defects study of the Heshun Region, "
    "China. IJGIS 24:107-127.",
    "Song Y, Wang J, Ge Y, Xu C (2020) An optimal parameters-based geographical detector "
    "model enhances geographic characteristics of explanatory variables for spatial "
    "heterogeneity analysis. GIScience & Remote Sensing 57:593-610.",
)


@chapter("drivers")
@dataclass(frozen=True)
class DriversSection:
    y: str = doc("Response raster (e.g. carbon storage, NEP, a balance index).")
    x: tuple[str, ...] = doc(
        "Candidate driver rasters; integer rasters are strata, float "
        "ones are discretised by the optimal-parameter search.",
        distinct=True,
    )
    sample: int = doc("Seeded random sample of cells (0 = every valid cell).", 5000, ge=0)
    correlation: Literal["pearson", "spearman", ""] = doc(
        "Also a correlation matrix of y and the drivers ('' = none).", "spearman"
    )
    singletons: Literal["keep", "drop"] = doc(
        "Strata of one cell: 'keep' (they add 0 to SSW; classic geodetector R) or 'drop' "
        "(left out of q, as gdverse, whose published OPGD results need it).",
        "keep",
    )
    noncentrality: Literal["sample", "population"] = doc(
        "p-value of q: variance in the noncentral-F lambda, 'sample' (geodetector R 1.0-5) "
        "or 'population' (GD, gdverse).",
        "sample",
    )
    ecological_rule: Literal["ssw_ratio", "q_ratio"] = doc(
        "Ecological detector: 'ssw_ratio' (F = SSW_a/SSW_b, both orders; Wang et al. 2010, "
        "gdverse) or 'q_ratio' (geodetector R).",
        "ssw_ratio",
    )
    permutations: int = doc(
        "Also a permutation p of each q from this many seeded shuffles of y (0 = none); the "
        "noncentral-F p is very conservative for strong effects.",
        0,
        ge=0,
        le=100000,
    )
    alpha: float = doc("Significance level of the risk and ecological detectors.", 0.05, gt=0, lt=1)
    discretize_methods: tuple[Literal["sd", "equal", "geometric", "quantile", "natural"], ...] = (
        doc(
            "Optimal-parameter search: discretisation methods tried for float drivers.",
            default_factory=lambda: ("sd", "equal", "geometric", "quantile", "natural"),
            distinct=True,
        )
    )
    discretize_k: tuple[int, ...] = doc(
        "Optimal-parameter search: first and last class count tried, first < last (3 to 15 "
        "as the OPGD reference; at most 50).",
        (3, 15),
        length=2,
        increasing=True,
        ge=2,
        le=50,
    )


@steps_for("drivers")
def drivers_steps(study: Study, sec: DriversSection) -> list[Step]:
    """One step: every detector, the OPGD grid, charts and the correlation matrix."""
    _check_chunked(study, sec)
    names = {"y": artifact(study, sec.y), **{x: artifact(study, x) for x in sec.x}}
    outputs = [
        Output(
            "drivers.factor",
            "drivers/factor_detector.csv",
            "table",
            "q",
            "factor detector: q and p of each driver",
        ),
        Output(
            "drivers.interaction",
            "drivers/interaction_detector.csv",
            "table",
            "q",
            "interaction detector: q of each pair and its type",
        ),
        Output("drivers.q_chart", "drivers/q.png", "png", "q", "explanatory power q"),
        *export_outputs("drivers.q_chart", "geodetector_q", "explanatory power q"),
        Output(
            "drivers.interaction_chart",
            "drivers/interaction.png",
            "png",
            "q",
            "interaction q of every pair",
        ),
        *export_outputs(
            "drivers.interaction_chart", "geodetector_interaction", "interaction q of every pair"
        ),
        Output("drivers.json", "drivers/geodetector.json", "json", "", ""),
        Output("drivers.summary", "drivers/summary.json", "json", "", ""),
    ]
    if sec.correlation:
        outputs += [
            Output(
                "drivers.correlation",
                "drivers/correlation.csv",
                "table",
                "r",
                f"{sec.correlation} correlation of y and the drivers",
            ),
            Output(
                "drivers.correlation_p",
                "drivers/correlation_p.csv",
                "table",
                "p",
                f"two-sided p-values of the {sec.correlation} correlations (t test, n - 2 df)",
            ),
        ]

    def run(ctx: Context) -> None:
        import pandas as pd

        from landcarbon.report.drivers_plots import interaction_heatmap, q_bar_chart
        from landcarbon.stats.drivers import geodetector_rasters
        from landcarbon.stats.opgd import search_space

        chunks = study.compute.chunks
        y = read(ctx.inputs[names["y"]], chunks=chunks)
        xs = {x: _driver(study, x, ctx.inputs[names[x]], chunks) for x in sec.x}
        methods, ks = search_space(
            sec.discretize_methods, sec.discretize_k, "[drivers] discretize_methods/discretize_k"
        )
        result = geodetector_rasters(
            y,
            xs,
            sample=sec.sample or None,
            seed=ctx.seed,
            discretize="auto",
            methods=methods,
            ks=ks,
            keep_singletons=sec.singletons == "keep",
            noncentrality=sec.noncentrality,
            ecological_rule=sec.ecological_rule,
            alpha=sec.alpha,
            permutations=sec.permutations,
        )
        data = result.as_dict()
        write_json(data, ctx.outputs["drivers.json"])
        factor = pd.DataFrame(data["factor"]).T.rename_axis("factor")
        write_csv(factor, ctx.outputs["drivers.factor"], index=True)
        interaction = pd.DataFrame(data["interaction"]).T.rename_axis("factors")
        write_csv(interaction, ctx.outputs["drivers.interaction"], index=True)
        q_chart, pairs = "drivers.q_chart", "drivers.interaction_chart"
        q_bar_chart(result, ctx.outputs[q_chart], exports=exports_of(ctx.outputs, q_chart))
        interaction_heatmap(result, ctx.outputs[pairs], exports_of(ctx.outputs, pairs))
        if sec.correlation:
            corr = _correlation(sec, sec.correlation, y, xs, chunks, ctx.seed)
            write_csv(
                corr.r.rename_axis("variable"), ctx.outputs["drivers.correlation"], index=True
            )
            write_csv(
                corr.p.rename_axis("variable"), ctx.outputs["drivers.correlation_p"], index=True
            )
            ctx.summary["correlation_cells"] = corr.n
        ctx.summary["q"] = {k: v["q"] for k, v in data["factor"].items()}
        ctx.summary["n"] = data["n"]
        ctx.summary["conventions"] = data["conventions"]
        ctx.summary["discretization"] = {
            name: {"method": d["method"], "k": d["k"]} for name, d in data["discretization"].items()
        }
        write_json(ctx.summary, ctx.outputs["drivers.summary"])

    return [
        drawing(
            study,
            Step(
                "drivers",
                "drivers",
                tuple(names.values()),
                tuple(outputs),
                run,
                params=asdict(sec),
                doc="GeoDetector and correlation of the drivers",
                cite=CITE,
            ),
        )
    ]


def _check_chunked(study: Study, sec: DriversSection) -> None:
    """Refuse, before the run starts, what needs every cell of a map at once while
    ``[compute] chunks`` keeps the maps chunked (with ``sample = 0``): a correlation (ranks)
    and permutation p-values (shuffles of y)."""
    from landcarbon.errors import ConfigError

    chunks = study.compute.chunks
    if not chunks or sec.sample:
        return
    whole = [
        f"correlation = {sec.correlation!r}" if sec.correlation else "",
        f"permutations = {sec.permutations}" if sec.permutations else "",
    ]
    whole = [w for w in whole if w]
    if whole:
        raise ConfigError(
            f"{study.path}: [drivers] {' and '.join(whole)} with sample = 0 need every cell of "
            f"the maps at once, which [compute] chunks = {chunks} does not load: set [drivers] "
            f"sample = N (GeoDetector and the correlation then use that seeded sample of cells), "
            f"or leave them out (correlation = '', permutations = 0)"
        )


def _driver(study: Study, name: str, path: object, chunks: int):  # type: ignore[no-untyped-def]
    kind = study.raster_kind(name) if name in study.rasters else "continuous"
    return read(path, kind, chunks)  # type: ignore[arg-type]


def _correlation(  # type: ignore[no-untyped-def]
    sec: DriversSection, method: Literal["pearson", "spearman"], y, xs, chunks: int, seed
):
    """The correlation matrix of y and the drivers over every valid cell (in memory), or
    over the chapter's seeded sample of cells when the maps are chunked (a rank correlation
    of every cell needs the whole map)."""
    from landcarbon.stats.correlation import correlation_matrix, raster_correlation
    from landcarbon.stats.drivers import sample_cells

    if not chunks:
        return raster_correlation({sec.y: y, **xs}, method)
    table = sample_cells(y, xs, sec.sample, seed=seed)
    return correlation_matrix(table.rename(columns={"y": sec.y}), method)
