"""The ``[landuse]`` chapter: maps per year, transfer matrices, dynamic degrees.

Scenario simulation (Markov demand, suitability, PLUS/FLUS allocation) lives in
``[landuse.simulation]`` (see :mod:`landcarbon.study.chapters.simulation`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from landcarbon.errors import ConfigError
from landcarbon.study.chapters import steps_for
from landcarbon.study.chapters._common import artifact, read, write_csv
from landcarbon.study.config import Study, chapter
from landcarbon.study.pipeline import Context, Output, Step
from landcarbon.study.schema import doc

CITE_CHANGE = (
    "Wang X, Bao Y (1999) Study on the methods of land use dynamic change research. "
    "Progress in Geography 18(1):81-87 (single and comprehensive dynamic degree).",
)


@chapter("landuse")
@dataclass(frozen=True)
class LanduseSection:
    maps: dict[str, str] = doc(
        "Year → land-use raster name in [rasters], e.g. "
        '{ "2000" = "landuse_2000", "2020" = "landuse_2020" }.'
    )
    classes: str = doc(
        "[tables] name of the class table (code, name, colour); default: "
        "the six classes cropland, forest, grassland, water, built-up, unused.",
        "",
    )
    transfers: str = doc("'consecutive' (each pair of dates) or 'all' (also first → last).", "all")


def legend(classes_path: Path | None) -> dict[int, tuple[str, str]]:
    """Code → (name, colour) of the study's land-use classes."""
    if classes_path is not None:
        from landcarbon.tables import read_table

        return read_table(classes_path).legend()
    from landcarbon.datasets.synthetic import LANDUSE_CLASSES

    return dict(LANDUSE_CLASSES)


def years_of(study: Study, sec: LanduseSection) -> list[str]:
    """The keys of ``maps`` in time order; each must be a year (a finite number)."""
    bad = [key for key in sec.maps if not _is_year(key)]
    if bad:
        raise ConfigError(
            f"{study.path}: [landuse] maps key {', '.join(repr(k) for k in bad)}: not a year; "
            f'key each map by its year, e.g. maps = {{ "2010" = "landuse_2010" }}'
        )
    return sorted(sec.maps, key=float)


def _is_year(key: str) -> bool:
    try:
        return math.isfinite(float(key))
    except ValueError:
        return False


@steps_for("landuse")
def landuse_steps(study: Study, sec: LanduseSection) -> list[Step]:
    """One transfer-matrix step per pair of dates."""
    years = years_of(study, sec)
    pairs = list(itertools.pairwise(years))
    if sec.transfers == "all" and len(years) > 2:
        pairs.append((years[0], years[-1]))
    classes = (artifact(study, sec.classes),) if sec.classes else ()
    return [_transfer_step(study, sec, a, b, classes) for a, b in pairs]


def _transfer_step(
    study: Study, sec: LanduseSection, y0: str, y1: str, classes: tuple[str, ...]
) -> Step:
    name = f"transfer_{y0}_{y1}"
    maps = (artifact(study, sec.maps[y0]), artifact(study, sec.maps[y1]))
    folder = f"landuse/{name}"
    outputs = (
        Output(
            f"landuse.{name}.ha",
            f"{folder}/transfer_ha.csv",
            "table",
            "ha",
            f"transfer matrix {y0} → {y1} (rows {y0}, columns {y1})",
        ),
        Output(
            f"landuse.{name}.percent",
            f"{folder}/transfer_percent.csv",
            "table",
            "%",
            f"transfer matrix {y0} → {y1}, % of each {y0} class",
        ),
        Output(
            f"landuse.{name}.changes",
            f"{folder}/class_changes.csv",
            "table",
            "ha",
            f"gains, losses, net, swap and dynamic degree {y0} → {y1}",
        ),
        Output(
            f"landuse.{name}.long",
            f"{folder}/transfer_long.csv",
            "table",
            "ha",
            "transfers as (from, to) rows, Sankey-ready",
        ),
        Output(
            f"landuse.{name}.sankey",
            f"{folder}/sankey.png",
            "png",
            "ha",
            f"land-use transfers {y0} → {y1}",
        ),
    )

    def run(ctx: Context) -> None:
        from landcarbon.landuse.change import comprehensive_dynamic_degree, transfer_matrix
        from landcarbon.report.charts import sankey_png

        a = read(ctx.inputs[maps[0]], "categorical", study.compute.chunks)
        b = read(ctx.inputs[maps[1]], "categorical", study.compute.chunks)
        tm = transfer_matrix(a, b, years=(float(y0), float(y1)))
        tables = tm.tables()
        for out in outputs[:4]:
            key = {
                "ha": "transfer_ha",
                "percent": "transfer_percent",
                "changes": "class_changes",
                "long": "transfer_long",
            }[out.name.rsplit(".", 1)[1]]
            write_csv(tables[key], ctx.outputs[out.name], index=key != "transfer_long")
        classes_path = ctx.inputs[classes[0]] if classes else None
        sankey_png(
            tables["transfer_long"],
            ctx.outputs[outputs[4].name],
            legend(classes_path),
            (y0, y1),
        )
        changed = float(tm.area_ha.sum() - tm.area_ha.trace())
        ctx.summary.update(
            {
                "changed_area_ha": changed,
                "changed_share": changed / float(tm.area_ha.sum()),
                "comprehensive_dynamic_degree_pct_per_yr": float(comprehensive_dynamic_degree(tm)),
            }
        )

    return Step(
        name,
        "landuse",
        maps + classes,
        outputs,
        run,
        params={"years": (y0, y1)},
        doc=f"transfer matrix and dynamic degree {y0} → {y1}",
        cite=CITE_CHANGE,
    )
