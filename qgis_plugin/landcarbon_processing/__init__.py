"""QGIS plugin: the landcarbon Processing provider (``classFactory`` is QGIS's entry point)."""


def classFactory(iface):
    from .plugin import LandcarbonPlugin

    return LandcarbonPlugin(iface)
