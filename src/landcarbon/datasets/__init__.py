"""Bundled data: a deterministic synthetic study region of any size."""

from landcarbon.datasets.synthetic import (
    LANDUSE_CLASSES,
    VEGETATION_TYPES,
    synthetic_region,
    write_synthetic_region,
)

__all__ = ["LANDUSE_CLASSES", "VEGETATION_TYPES", "synthetic_region", "write_synthetic_region"]
