"""Pure numerics with no I/O: discretisation, GeoDetector, correlation, entropy weights."""
