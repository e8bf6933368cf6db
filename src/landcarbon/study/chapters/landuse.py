"""The ``[landuse]`` chapter: maps per year, transfer matrices, dynamic degrees.

Scenario simulation (Markov demand, suitability, PLUS/FLUS allocation) lives in
``[landuse.simulation]`` (see :mod:`landcarbon.study.chapters.simulation`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from landcarbon.errors import ConfigError
from landcarbon.study.chapters import steps_for
from landcarbon.study.chapters._common import artifact, read, write_csv
from landcarbon.study.config import Study, chapter
from landcarbon.study.pipeline import Context, Output, Step
from landcarbon.study.schema import doc

if TYPE_CHECKING:
    from landcarbon.tables import ClassTable

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
        "[tables] name of the class table (code, name, colour, group: the land-use group "
        "presets are applied through); default: the six CNLUCC first-level classes "
        "1 cropland, 2 forest, 3 grassland, 4 water, 5 built-up, 6 unused (group barren).",
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


def class_inputs(study: Study) -> tuple[str, ...]:
    """The artifact of the study's class table ([landuse] classes), or () for the default
    six CNLUCC first-level classes (:data:`landcarbon.groups.CNLUCC_LEVEL1`)."""
    sec = study.chapters.get("landuse")
    if not isinstance(sec, LanduseSection) or not sec.classes:
        return ()
    if sec.classes not in study.tables:
        raise ConfigError(
            f"{study.path}: [landuse] classes = {sec.classes!r} is not in [tables]; add it "
            f"there (a CSV or TOML class table: code, name, group)"
        )
    return (f"tables.{sec.classes}",)


def class_table(study: Study) -> ClassTable | None:
    """The study's class table, read for its ``group`` column (presets resolve through
    it); None for the default six CNLUCC first-level classes."""
    from landcarbon.tables import read_table

    names = class_inputs(study)
    return read_table(study.tables[names[0].removeprefix("tables.")]) if names else None


def map_codes(study: Study, ref: str) -> tuple[dict[int, int], str] | None:
    """Cells per class code of the land-use map ``ref`` before any step runs, and how to
    name the map: a [rasters] map is read now; a simulated map (``simulation.<name>...``)
    may hold any class of the simulation's t0 and t1 maps. None when the map is another
    step's output or not on disk yet (a synthetic input that ``run`` generates)."""
    if ref in study.rasters:
        path = study.rasters[ref]
        if not path.is_file():
            return None
        from landcarbon.raster import read_raster
        from landcarbon.tables import class_counts

        return class_counts(read_raster(path, "categorical")), f"the map {ref} ({path})"
    sim = study.chapters.get("simulation")
    if not ref.startswith("simulation.") or sim is None:
        return None
    counts: dict[int, int] = {}
    for start in (sim.t0, sim.t1):  # type: ignore[attr-defined]
        found = map_codes(study, start)
        if found is None:
            return None
        for code, cells in found[0].items():
            counts[code] = counts.get(code, 0) + cells
    names = f"{sim.t0} and {sim.t1}"  # type: ignore[attr-defined]
    return counts, f"{ref} (its classes may be any of {names}: cells of both counted)"


def years_of(sec: LanduseSection) -> list[str]:
    return sorted(sec.maps, key=float)


@steps_for("landuse")
def landuse_steps(study: Study, sec: LanduseSection) -> list[Step]:
    """One transfer-matrix step per pair of dates."""
    years = years_of(sec)
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
