"""landcarbon: land-use change, carbon, soil erosion and carbon sinks in one package.

The public API is organised by wing (``landcarbon.carbon``, ``landcarbon.landuse``,
``landcarbon.erosion``, ``landcarbon.sinks``, ``landcarbon.stats``) on top of a small
core: :mod:`landcarbon.grid`, :mod:`landcarbon.raster`, :mod:`landcarbon.tables`.
Submodules are imported lazily so that ``import landcarbon`` stays cheap.
"""

from __future__ import annotations

from landcarbon import _numba
from landcarbon.errors import LandcarbonError

_numba.configure()  # before any kernel module imports numba

__version__ = "0.1.0"
__all__ = ["LandcarbonError", "__version__"]
