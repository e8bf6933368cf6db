"""The plugin object QGIS loads: it registers the landcarbon provider (in the desktop and
in ``qgis_process``, which calls :meth:`initProcessing` of plugins with a provider)."""

from __future__ import annotations

from qgis.core import QgsApplication

from .provider import LandcarbonProvider


class LandcarbonPlugin:
    def __init__(self, iface: object) -> None:
        self.iface = iface
        self.provider: LandcarbonProvider | None = None

    def initProcessing(self) -> None:
        if self.provider is None:
            self.provider = LandcarbonProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:
        self.initProcessing()

    def unload(self) -> None:
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
