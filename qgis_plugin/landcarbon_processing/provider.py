"""The "landcarbon" Processing provider: its algorithms and the executable setting."""

from __future__ import annotations

from pathlib import Path

from processing.core.ProcessingConfig import ProcessingConfig, Setting
from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms import algorithms
from .runner import find_executable

EXECUTABLE = "LANDCARBON_EXECUTABLE"
"""Processing setting: path of the landcarbon executable (empty: the one on PATH)."""


def executable() -> str:
    """The landcarbon executable the Processing options name, else the one on PATH."""
    return find_executable(ProcessingConfig.getSetting(EXECUTABLE) or None)


class LandcarbonProvider(QgsProcessingProvider):
    def id(self):
        return "landcarbon"

    def name(self):
        return "landcarbon"

    def longName(self):
        return "landcarbon: land-use change, simulation and carbon"

    def icon(self):
        return QIcon(str(Path(__file__).with_name("icon.svg")))

    def load(self):
        ProcessingConfig.settingIcons[self.name()] = self.icon()
        ProcessingConfig.addSetting(
            Setting(
                self.name(),
                EXECUTABLE,
                "landcarbon executable (empty: found on PATH)",
                "",
                valuetype=Setting.FILE,
            )
        )
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        ProcessingConfig.removeSetting(EXECUTABLE)

    def loadAlgorithms(self):
        for algorithm in algorithms(executable):
            self.addAlgorithm(algorithm)
