"""Composition tables: the county study's Tables 7-9 rebuilt from maps of their areas."""

from __future__ import annotations

import numpy as np

from landcarbon.raster import CLASS_NODATA
from landcarbon.sinks.areas import composition_table

# Zhang et al. (Wensu County), Tables 7-9: CNLUCC code, area (km2), percent, zone total (km2)
TABLE7 = [
    (12, 2.88, 0.27),
    (21, 41.29, 3.81),
    (22, 0.12, 0.01),
    (23, 36.54, 3.37),
    (31, 526.79, 48.60),
    (32, 124.45, 11.48),
    (33, 344.26, 31.76),
    (41, 5.70, 0.53),
    (46, 1.84, 0.17),
]
TABLE8 = [
    (11, 4.65, 0.24),
    (12, 1645.65, 86.63),
    (21, 0.12, 0.01),
    (24, 51.65, 2.72),
    (31, 15.16, 0.80),
    (32, 12.21, 0.64),
    (33, 78.79, 4.15),
    (41, 8.18, 0.43),
    (43, 0.57, 0.03),
    (46, 13.55, 0.71),
    (51, 2.21, 0.12),
    (52, 65.66, 3.46),
    (62, 0.31, 0.01),  # printed 0.01 %: 0.31 / 1,899.69 = 0.016 %, truncated in the study
    (65, 0.98, 0.05),
]
TABLE9 = [
    (12, 16.13, 0.71),
    (31, 5.11, 0.23),
    (32, 146.40, 6.48),
    (33, 1158.73, 51.28),
    (62, 330.84, 14.64),
    (65, 41.88, 1.85),
    (66, 560.72, 24.81),
]
TOTALS_KM2 = {1: 1083.87, 2: 1899.69, 3: 2259.81}


def test_tables_7_to_9_from_a_1ha_map() -> None:
    # 1 ha cells: a class of A km2 is 100 A cells; zone 1 = Table 7, 2 = Table 8, 3 = Table 9
    tables = {1: TABLE7, 2: TABLE8, 3: TABLE9}
    zones = np.concatenate(
        [np.full(round(a * 100), z) for z, rows in tables.items() for _, a, _ in rows]
    )
    lulc = np.concatenate(
        [np.full(round(a * 100), c) for rows in tables.values() for c, a, _ in rows]
    )
    zones = np.append(zones, [1, 0]).astype(np.int32)  # one zone-1 cell of nodata land use,
    lulc = np.append(lulc, [CLASS_NODATA, 12]).astype(np.int32)  # one cell outside every zone
    names = {int(c): f"code {c}" for c in np.unique(lulc) if c != CLASS_NODATA}
    labels = {z: {"zone": z} for z in tables}
    got = composition_table(zones, lulc, np.ones(zones.size), labels, names)
    for z, rows in tables.items():
        part = got[got["zone"] == z]
        assert list(part["code"]) == sorted(c for c, _, _ in rows)
        expected = {c: (a, p) for c, a, p in rows}
        area_km2 = part["area_ha"].to_numpy() / 100
        np.testing.assert_allclose(area_km2, [expected[c][0] for c in part["code"]], rtol=1e-12)
        published = np.array([expected[c][1] for c in part["code"]])
        # percent to the study's 2 decimals (the one truncated value within 0.01)
        np.testing.assert_allclose(part["percent"].to_numpy(), published, atol=0.0065)
        np.testing.assert_allclose(part["total_area_ha"] / 100, TOTALS_KM2[z], rtol=1e-12)
