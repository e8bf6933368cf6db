"""Run Processing algorithms in QGIS's own Python, as the desktop does, and report the
layers each would add to the project:
``python3 processing_run.py PLUGINS_DIR LANDCARBON RUNS_JSON`` (the folder holding the
plugin, the landcarbon executable for the provider's setting, and a JSON list of
``[algorithm id, parameters]``), all in one QGIS session.

Prints one JSON list, an entry per run: ``results`` (the algorithm's outputs) and
``loaded``, one entry per layer set to load on completion, with its renderer once the
layer's post-processor (the style) ran. Run by tests/qgis with a throw-away HOME.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingUtils,
    QgsProject,
)


def _run(algorithm: str, parameters: dict[str, Any]) -> dict[str, Any]:
    import processing

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = QgsProcessingFeedback()
    results = processing.run(algorithm, parameters, context=context, feedback=feedback)
    loaded = []
    for path, details in context.layersToLoadOnCompletion().items():
        layer = QgsProcessingUtils.mapLayerFromString(path, context)
        if details.postProcessor() is not None:
            details.postProcessor().postProcessLayer(layer, context, feedback)
        renderer = layer.renderer()
        classes = getattr(renderer, "classes", lambda: [])()
        loaded.append(
            {
                "path": path,
                "name": details.name,
                "renderer": renderer.type(),
                "labels": {int(c.value): c.label for c in classes},
            }
        )
    return {"results": results, "loaded": loaded}


def main(plugins: str, landcarbon: str, runs: list[tuple[str, dict[str, Any]]]) -> None:
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.insert(0, str(Path(QgsApplication.pkgDataPath()) / "python/plugins"))
    from processing.core.Processing import Processing
    from processing.core.ProcessingConfig import ProcessingConfig

    Processing.initialize()
    sys.path.insert(0, plugins)
    from landcarbon_processing import classFactory
    from landcarbon_processing.provider import EXECUTABLE

    plugin = classFactory(None)  # kept: its provider lives as long as it does
    plugin.initProcessing()  # as QGIS starts the plugin
    ProcessingConfig.setSettingValue(EXECUTABLE, landcarbon)
    answers = [_run(algorithm, parameters) for algorithm, parameters in runs]
    print(json.dumps(answers, default=str))
    sys.stdout.flush()
    os._exit(0)  # QGIS 3.22's standalone teardown can crash after Processing ran


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))
