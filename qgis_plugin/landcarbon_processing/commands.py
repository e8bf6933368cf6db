"""The commands the QGIS plugin offers and how its parameters become CLI arguments.

Each command's parameters, help texts, defaults and numeric limits come from
``cli_spec.json`` (written from the CLI by ``qgis_plugin/cli_spec.py``); :data:`TABLE` adds
only what the CLI cannot say: the toolbox group and title, which file parameters are
raster layers, and the choices of text options. Every parameter is named after the CLI
parameter in capitals (``--lulc-future`` -> ``LULC_FUTURE``; the output folder is ``OUT``).
This module imports nothing from QGIS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPEC: dict[str, Any] = json.loads(
    Path(__file__).with_name("cli_spec.json").read_text(encoding="utf-8")
)
"""The CLI's commands and options (see ``qgis_plugin/cli_spec.py``)."""

LANDUSE = "Land-use change and simulation"
CARBON = "Carbon"
SINKS = "Erosion and carbon sinks"
STATS = "Statistics"
STUDY = "Studies"

TABLE: dict[str, dict[str, Any]] = {
    "carbon": {
        "group": CARBON,
        "title": "Carbon storage, sequestration and value",
        "rasters": ("lulc", "lulc_future", "zones"),
        "choices": {
            "climate_variant": ("product", "mean", "precipitation"),
            "climate_dead": ("none", "biomass", "soil"),
        },
    },
    "emissions": {
        "group": CARBON,
        "title": "Emissions by land use and allocated energy emissions",
        "rasters": ("lulc", "weights", "zones", "mask"),
        "choices": {"preset": ("arid_muus", "sun2015"), "zero_weight": ("error", "area")},
    },
    "nep": {
        "group": CARBON,
        "title": "Net ecosystem production (NEP)",
        "rasters": ("npp", "temperature", "precipitation"),
    },
    "change": {"group": LANDUSE, "title": "Transfer matrix", "rasters": ("before", "after")},
    "markov": {
        "group": LANDUSE,
        "title": "Markov demand",
        "rasters": ("before", "after"),
        "choices": {"method": ("matrix_power", "linear")},
    },
    "suitability": {
        "group": LANDUSE,
        "title": "Suitability (PLUS LEAS / FLUS ANN)",
        "rasters": ("t1", "t0", "drivers"),
        "choices": {
            "method": ("leas", "ann"),
            "mode": ("expansion", "single_date"),
            "sampling": ("uniform", "random"),
            "missing": ("raise", "exclude", "mean"),
        },
    },
    "simulate": {
        "group": LANDUSE,
        "title": "Simulate land use (PLUS CARS / FLUS)",
        "rasters": ("t0", "t1", "driver", "probability", "restriction"),
        "style_from": "t1",
        "choices": {
            "missing": ("raise", "exclude", "mean"),
            "orientation": ("from_rows", "to_rows"),
            "model": ("cars", "flus", "flus-paper"),
        },
    },
    "accuracy": {
        "group": LANDUSE,
        "title": "Accuracy of a simulation (Kappa, FoM)",
        "rasters": ("observed", "simulated", "initial"),
    },
    "erosion": {
        "group": SINKS,
        "title": "Soil erosion and erosion carbon",
        "rasters": ("dem", "precip", "texture", "lulc", "soil", "cover", "soc"),
        "choices": {
            "ls_method": ("csle", "rusle"),
            "exponent": ("mccool", "classes"),
            "region": ("south_red_soil", "north_black_soil", "northwest_loess"),
        },
    },
    "sinks": {
        "group": SINKS,
        "title": "Carbon-sink zones and strategies",
        "rasters": ("nep", "veg_type", "soil_carbon", "lulc"),
        "choices": {"potential": ("breaks", "quantile")},
    },
    "mcr": {
        "group": SINKS,
        "title": "Minimum cumulative resistance (cost distance)",
        "rasters": ("resistance", "sources"),
        "choices": {"connectivity": ("8", "4")},
    },
    "breaks": {
        "group": STATS,
        "title": "Class breaks (natural, quantile ...)",
        "choices": {
            "method": ("natural", "equal", "quantile", "geometric", "sd"),
            "closed": ("right", "left"),
        },
    },
    "geodetector": {
        "group": STATS,
        "title": "GeoDetector",
        "rasters": ("raster_y", "raster_x"),
        "choices": {
            "sample_method": ("random", "regular"),
            "noncentrality": ("sample", "population"),
            "ecological_rule": ("ssw_ratio", "q_ratio"),
        },
    },
    "run": {"group": STUDY, "title": "Run study", "id": "run_study"},
    "init": {
        "group": STUDY,
        "title": "New study from land-use maps",
        "rasters": ("maps", "drivers"),
        "out_file": True,
    },
}
"""Per command: toolbox ``group`` and ``title``, the path parameters that are ``rasters``,
the ``choices`` of text options (an enum), an algorithm ``id`` other than the command's
name, ``out_file`` where ``--out`` is a file to write rather than a folder, and
``style_from``: the input land-use map whose ``.qml`` styles the output maps landcarbon
writes none for (``simulate`` writes its map without one: it is in the start map's codes).
"""

SEPARATOR = ";"
"""Between the values of a repeatable text option (``--fuel A=1;B=2``)."""


def parameter_name(param: dict[str, Any]) -> str:
    """``--lulc-future`` (name ``lulc_future``) -> ``LULC_FUTURE``."""
    return str(param["name"]).upper()


def cli_arguments(command: str, values: dict[str, Any]) -> list[str]:
    """The CLI arguments for parameter ``values`` (name -> Python value; files and layers
    as paths, enums as the chosen text): options left at the CLI's default are omitted."""
    args: list[str] = []
    for param in SPEC["commands"][command]["params"]:
        value = values.get(parameter_name(param))
        if value is None or value == "" or value == [] or value == param["default"]:
            continue
        if param["type"] == "bool":
            args += [param["flag"]] if value else []
            continue
        items = value if isinstance(value, list) else [value]
        if isinstance(value, str) and (param["multiple"] or param["nargs"] != 1):
            items = value.split() if param["nargs"] != 1 else value.split(SEPARATOR)
        items = [_text(v) for v in items if str(v).strip()]
        if param["flag"] is None:
            args += items
        elif param["multiple"]:
            for item in items:
                args += [param["flag"], item]
        else:
            args += [param["flag"], *items]
    return args


def _text(value: Any) -> str:
    """A parameter value as the CLI reads it (``2.0`` for an integer option -> ``2``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
