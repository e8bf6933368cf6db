"""One Processing algorithm per landcarbon command, built from a declarative table.

Each command's parameters, help texts, defaults and numeric limits come from
``cli_spec.json`` (written from the CLI by ``qgis_plugin/cli_spec.py``); :data:`TABLE` adds
only what the CLI cannot say: the toolbox group and title, which file parameters are
raster layers, and the choices of text options. Every parameter is named after the CLI
option in capitals (``--lulc-future`` -> ``LULC_FUTURE``; the output folder is ``OUT``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputMultipleLayers,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from .runner import LandcarbonRunError, check_version, run_landcarbon

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
name, and ``out_file`` where ``--out`` is a file to write rather than a folder."""

SEPARATOR = ";"
"""Between the values of a repeatable text option (``--fuel A=1;B=2``)."""


def parameter_name(param: dict[str, Any]) -> str:
    """``--lulc-future`` (name ``lulc_future``) -> ``LULC_FUTURE``."""
    return str(param["name"]).upper()


def _number_type(param: dict[str, Any]) -> Any:
    return (
        QgsProcessingParameterNumber.Integer
        if param["type"] == "int"
        else QgsProcessingParameterNumber.Double
    )


def _definition(command: str, param: dict[str, Any]) -> QgsProcessingParameterDefinition:
    """The Processing parameter of one CLI parameter (see :data:`TABLE`)."""
    entry = TABLE[command]
    name, text, kind = parameter_name(param), param["help"], param["type"]
    optional = not param["required"]
    default = param["default"]
    many = param["multiple"] or param["nargs"] != 1
    choices = entry.get("choices", {}).get(param["name"])
    if param["name"] == "out":
        if entry.get("out_file"):
            return QgsProcessingParameterFileDestination(
                name, text, "TOML files (*.toml)", default, optional=False
            )
        return QgsProcessingParameterFolderDestination(name, text, optional=False)
    if kind == "bool":
        return QgsProcessingParameterBoolean(name, text, bool(default), optional=True)
    if choices is not None:
        index = choices.index(str(default)) if default is not None else None
        return QgsProcessingParameterEnum(name, text, list(choices), False, index, optional)
    if kind == "path" and param["name"] in entry.get("rasters", ()):
        if many:
            return QgsProcessingParameterMultipleLayers(
                name, text, QgsProcessing.TypeRaster, None, optional
            )
        return QgsProcessingParameterRasterLayer(name, text, None, optional)
    if kind == "path":
        return QgsProcessingParameterFile(
            name, text, QgsProcessingParameterFile.File, "", None, optional
        )
    if kind in ("int", "float") and not many:
        number = QgsProcessingParameterNumber(name, text, _number_type(param), default, optional)
        low = param.get("ge", param.get("gt"))
        high = param.get("le", param.get("lt"))
        if low is not None:
            number.setMinimum(low)
        if high is not None:
            number.setMaximum(high)
        return number
    if many:  # several numbers (--years Y0 Y1) or a repeatable text option
        between = "space" if param["nargs"] != 1 else f"'{SEPARATOR}'"
        text = f"{text} [values separated by {between}]"
    return QgsProcessingParameterString(name, text, default, False, optional)


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


class _LoadStyle(QgsProcessingLayerPostProcessorInterface):
    """Applies the ``.qml`` style landcarbon wrote beside a raster (class colours and names)."""

    def __init__(self, qml: str) -> None:
        super().__init__()
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS's name)
        layer.loadNamedStyle(self.qml)
        layer.triggerRepaint()


class LandcarbonAlgorithm(QgsProcessingAlgorithm):
    """The algorithm running ``landcarbon COMMAND`` (one instance per command)."""

    def __init__(self, command: str, executable: Any) -> None:
        super().__init__()
        self.command = command
        self.entry = TABLE[command]
        self.spec = SPEC["commands"][command]
        self.executable = executable  # () -> path of the landcarbon executable
        self.styles: list[_LoadStyle] = []  # kept alive until QGIS has loaded the layers

    def createInstance(self):  # noqa: N802 (QGIS's names below)
        return LandcarbonAlgorithm(self.command, self.executable)

    def name(self):
        return str(self.entry.get("id", self.command))

    def displayName(self):  # noqa: N802
        return str(self.entry["title"])

    def group(self):
        return str(self.entry["group"])

    def groupId(self):  # noqa: N802
        return self.group().lower().replace(" ", "_")

    def shortHelpString(self):  # noqa: N802
        return (
            f"{self.spec['help']}\n\nRuns `landcarbon {self.command}`; see "
            f"`landcarbon {self.command} --help` for details."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        for param in self.spec["params"]:
            definition = _definition(self.command, param)
            definition.setHelp(param["help"])
            self.addParameter(definition)
        self.addOutput(QgsProcessingOutputMultipleLayers("LAYERS", "Rasters written"))
        self.addOutput(QgsProcessingOutputString("SUMMARY", "Summary (JSON)"))

    def _values(self, parameters, context) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for param in self.spec["params"]:
            name = parameter_name(param)
            definition = self.parameterDefinition(name)
            if definition is None:
                continue
            if isinstance(definition, QgsProcessingParameterRasterLayer):
                layer = self.parameterAsRasterLayer(parameters, name, context)
                values[name] = layer.source() if layer is not None else None
            elif isinstance(definition, QgsProcessingParameterMultipleLayers):
                layers = self.parameterAsLayerList(parameters, name, context)
                values[name] = [layer.source() for layer in layers]
            elif isinstance(definition, QgsProcessingParameterEnum):
                if parameters.get(name) is None and definition.defaultValue() is None:
                    values[name] = None
                else:
                    index = self.parameterAsEnum(parameters, name, context)
                    values[name] = definition.options()[index]
            elif isinstance(definition, QgsProcessingParameterBoolean):
                values[name] = self.parameterAsBool(parameters, name, context)
            elif isinstance(definition, QgsProcessingParameterNumber):
                present = parameters.get(name) is not None or definition.defaultValue() is not None
                number = self.parameterAsDouble(parameters, name, context)
                values[name] = None if not present else number
            elif isinstance(definition, QgsProcessingParameterFolderDestination):
                values[name] = self.parameterAsString(parameters, name, context)
            elif isinstance(definition, QgsProcessingParameterFileDestination):
                values[name] = self.parameterAsFileOutput(parameters, name, context)
            else:
                values[name] = self.parameterAsString(parameters, name, context) or None
        return values

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        values = self._values(parameters, context)
        args = cli_arguments(self.command, values)
        out = values.get("OUT")
        try:
            executable = self.executable()
            check_version(executable, SPEC["version"])
            summary = run_landcarbon(executable, self.command, args, feedback)
        except LandcarbonRunError as exc:
            raise QgsProcessingException(str(exc)) from None
        feedback.setProgress(100)
        layers = self._load_outputs(Path(out), context) if out and Path(out).is_dir() else []
        results = {"LAYERS": layers, "SUMMARY": json.dumps(summary)}
        if out:
            results["OUT"] = out
        return results

    def _load_outputs(self, folder: Path, context: QgsProcessingContext) -> list[str]:
        """The rasters written under ``folder``, set to load into the project when the
        algorithm ends, each with the ``.qml`` landcarbon wrote beside it."""
        rasters = sorted(str(p) for p in folder.rglob("*.tif"))
        for path in rasters:
            details = QgsProcessingContext.LayerDetails(
                Path(path).stem, context.project(), Path(path).stem
            )
            qml = Path(path).with_suffix(".qml")
            if qml.is_file():
                style = _LoadStyle(str(qml))
                self.styles.append(style)
                details.setPostProcessor(style)
            context.addLayerToLoadOnCompletion(path, details)
        return rasters


def algorithms(executable: Any) -> list[LandcarbonAlgorithm]:
    """One algorithm per command of :data:`TABLE`."""
    return [LandcarbonAlgorithm(command, executable) for command in TABLE]
