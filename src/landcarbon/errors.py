"""Typed exceptions and warnings.

Every error raised for bad input is a :class:`LandcarbonError`. Subclasses also
inherit the matching builtin (as in rasterio), so ``except ValueError`` keeps
working for callers who do not know landcarbon. Messages say *what* is wrong,
*where* (file, key, column, code) and *how to fix it*; the CLI prints them on
one line without a traceback.
"""

from __future__ import annotations


class LandcarbonError(Exception):
    """Root of all landcarbon errors."""


class InputFileError(LandcarbonError, FileNotFoundError):
    """An input file is missing, unreadable, empty or of the wrong kind."""


class RasterError(LandcarbonError, ValueError):
    """A raster is readable but unusable (no CRS, all nodata, wrong band count...)."""


class AlignmentError(RasterError):
    """Rasters of one stack differ in CRS, transform or shape."""


class TableError(LandcarbonError, ValueError):
    """A class table has a missing column, duplicate code, bad value or missing class."""


class ConfigError(LandcarbonError, ValueError):
    """The study file is invalid; the message lists every problem at once."""


class ParameterError(LandcarbonError, ValueError):
    """A method parameter is out of range or inconsistent with the data."""


class OutputExistsError(LandcarbonError, FileExistsError):
    """An output would be overwritten and ``--overwrite`` was not given."""


class BackendError(LandcarbonError, TypeError):
    """A global step was given a chunked (dask) array it cannot process out of core."""


class ComputeError(LandcarbonError, RuntimeError):
    """The compute backend failed (scheduler unreachable, disk full...)."""


class LandcarbonWarning(UserWarning):
    """Root of landcarbon warnings (tests turn them into errors)."""


class UnmetDemandWarning(LandcarbonWarning):
    """A land-use simulation stopped with some class off its demand (the map is the
    allocation where it stopped). Tests on tiny maps meet it by design, so the test
    configuration shows it instead of raising it."""
