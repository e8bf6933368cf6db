"""QGIS plugin: the landcarbon Processing provider (``classFactory`` is QGIS's entry point)."""


def classFactory(iface):  # noqa: N802 (the name QGIS calls)
    from .plugin import LandcarbonPlugin

    return LandcarbonPlugin(iface)
