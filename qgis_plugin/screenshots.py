"""Screenshots of the landcarbon provider in QGIS: the Processing toolbox filtered to it
and the dialogs of ``carbon`` and ``Run study`` (``make qgis-shots``, under Xvfb).

Run with QGIS's Python (``/usr/bin/python3`` on Debian) and a display:
``LANDCARBON=.venv/bin/landcarbon xvfb-run -a python3 qgis_plugin/screenshots.py OUT_DIR``.
Writes ``OUT_DIR/toolbox.png``, ``OUT_DIR/carbon_dialog.png`` and
``OUT_DIR/run_study_dialog.png`` (docs/qgis.md shows them; they are not committed).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(out: Path) -> None:
    os.environ.setdefault("QGIS_CUSTOM_CONFIG_PATH", tempfile.mkdtemp(prefix="qgis_shots_"))
    from qgis.core import QgsApplication

    app = QgsApplication([], True)
    app.initQgis()
    sys.path[:0] = [str(Path(QgsApplication.pkgDataPath()) / "python/plugins"), str(HERE)]
    from landcarbon_processing.provider import EXECUTABLE, LandcarbonProvider
    from processing.core.Processing import Processing
    from processing.core.ProcessingConfig import ProcessingConfig
    from processing.gui.AlgorithmDialog import AlgorithmDialog
    from qgis.gui import QgsProcessingToolboxTreeView

    Processing.initialize()
    registry = QgsApplication.processingRegistry()
    provider = LandcarbonProvider()
    registry.addProvider(provider)
    ProcessingConfig.setSettingValue(EXECUTABLE, os.environ.get("LANDCARBON", ""))
    out.mkdir(parents=True, exist_ok=True)

    tree = QgsProcessingToolboxTreeView(None, registry)
    tree.setHeaderHidden(True)
    tree.setFilterString("landcarbon")
    tree.expandAll()
    tree.resize(520, 640)
    tree.show()
    app.processEvents()
    tree.grab().save(str(out / "toolbox.png"))

    for name, shot in (("carbon", "carbon_dialog.png"), ("run_study", "run_study_dialog.png")):
        dialog = AlgorithmDialog(registry.createAlgorithmById(f"landcarbon:{name}"))
        dialog.resize(900, 760)
        dialog.show()
        app.processEvents()
        dialog.grab().save(str(out / shot))
        dialog.close()
    for shot in sorted(out.glob("*.png")):
        print(f"wrote {shot}", flush=True)
    registry.removeProvider(provider)
    os._exit(0)  # QGIS 3.22's standalone teardown (exitQgis) can crash once the dialogs ran


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "dist/qgis_shots"))
