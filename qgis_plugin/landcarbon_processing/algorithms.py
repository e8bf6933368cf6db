"""One Processing algorithm per landcarbon command, built from the table of
:mod:`.commands` (the CLI's own options, help, defaults and limits)."""

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

from .commands import SEPARATOR, SPEC, TABLE, cli_arguments, parameter_name
from .runner import LandcarbonRunError, check_version, run_landcarbon

STUDY_FILES = "Study files (*.toml);;All files (*)"
"""The file filter of a study file parameter (``run``, ``simulate``, ``sinks``)."""


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
            name,
            text,
            QgsProcessingParameterFile.File,
            "",
            None,
            optional,
            STUDY_FILES if param["name"] == "study" else "",
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


class _LoadStyle(QgsProcessingLayerPostProcessorInterface):
    """Applies the ``.qml`` style landcarbon wrote beside a raster (class colours and names)."""

    _kept: dict[str, _LoadStyle] = {}  # noqa: RUF012
    """One per style file, alive after the algorithm instance that set it is gone (QGIS
    holds a bare pointer and applies it when it loads the layer, later)."""

    def __init__(self, qml: str) -> None:
        super().__init__()
        self.qml = qml

    @classmethod
    def of(cls, qml: str) -> _LoadStyle:
        """The post-processor applying ``qml`` (kept for the session)."""
        if qml not in cls._kept:
            cls._kept[qml] = cls(qml)
        return cls._kept[qml]

    def postProcessLayer(self, layer, context, feedback):
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

    def createInstance(self):
        return LandcarbonAlgorithm(self.command, self.executable)

    def name(self):
        return str(self.entry.get("id", self.command))

    def displayName(self):
        return str(self.entry["title"])

    def group(self):
        return str(self.entry["group"])

    def groupId(self):
        return self.group().lower().replace(" ", "_")

    def shortHelpString(self):
        return (
            f"{self.spec['help']}\n\nRuns `landcarbon {self.command}`; see "
            f"`landcarbon {self.command} --help` for details."
        )

    def initAlgorithm(self, config=None):
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

    def processAlgorithm(self, parameters, context, feedback):
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
        source = values.get(str(self.entry.get("style_from", "")).upper())
        fallback = Path(source).with_suffix(".qml") if source else None
        folder = Path(out) if out and Path(out).is_dir() else None
        layers = self._load_outputs(folder, fallback, context) if folder else []
        results = {"LAYERS": layers, "SUMMARY": json.dumps(summary)}
        if out:
            results["OUT"] = out
        return results

    def _load_outputs(
        self, folder: Path, fallback: Path | None, context: QgsProcessingContext
    ) -> list[str]:
        """The rasters written under ``folder``, set to load into the project when the
        algorithm ends, each with the ``.qml`` landcarbon wrote beside it, else (a class
        map, integer-valued) with the ``fallback`` style when that file exists."""
        rasters = sorted(str(p) for p in folder.rglob("*.tif"))
        for path in rasters:
            details = QgsProcessingContext.LayerDetails(
                Path(path).stem, context.project(), Path(path).stem
            )
            qml = Path(path).with_suffix(".qml")
            if not qml.is_file() and fallback is not None and _is_class_map(path):
                qml = fallback
            if qml.is_file():
                details.setPostProcessor(_LoadStyle.of(str(qml)))
            context.addLayerToLoadOnCompletion(path, details)
        return rasters


def _is_class_map(path: str) -> bool:
    """A one-band raster of integers (land-use codes), as GDAL reads the file."""
    from osgeo import gdal

    dataset = gdal.Open(path)
    if dataset is None or dataset.RasterCount != 1:
        return False
    kind = gdal.GetDataTypeName(dataset.GetRasterBand(1).DataType)
    return kind.startswith(("Byte", "Int", "UInt"))


def algorithms(executable: Any) -> list[LandcarbonAlgorithm]:
    """One algorithm per command of :data:`TABLE`."""
    return [LandcarbonAlgorithm(command, executable) for command in TABLE]
