"""FigureOfMerit.as_dict and tables: the JSON form the [validation] chapter and validate-sim
write (published keys, transitions keyed "FROM->TO", undefined scores as null) and the
tables behind their CSVs (every table field)."""

from __future__ import annotations

import json
import math

import numpy as np

from landcarbon.landuse.accuracy import FOM_KEYS, FigureOfMerit, fom_from_counts


def test_as_dict_holds_every_table_with_published_keys():
    counts = np.zeros((2, 2, 2), dtype=np.int64)
    # (initial, observed, simulated): 1 -> 2 hit x3, 1 -> 2 missed x1, 1 stays but simulated 2 x2
    counts[0, 1, 1], counts[0, 1, 0], counts[0, 0, 1], counts[1, 1, 1] = 3, 1, 2, 10
    fom = fom_from_counts((1, 2), counts)
    out = json.loads(json.dumps(fom.as_dict()))  # JSON-ready, no NaN token
    assert tuple(out) == FOM_KEYS
    assert out["fom"] == 3 / (1 + 3 + 0 + 2)
    assert out["fom_counts"] == {"misses": 1, "hits": 3, "wrong_hits": 0, "false_alarms": 2}
    assert out["fom_by_transition"]["1->2"] == 3 / (3 + 1 + 2)  # Eq. 11: hits / union
    # nothing changed 2 -> 1 and nothing was simulated so: FoM undefined, null not NaN
    assert out["fom_by_transition"]["2->1"] is None
    assert math.isnan(fom.by_transition.loc[(2, 1), "fom"])
    assert set(fom.tables()) == set(FigureOfMerit.table_fields())
    assert set(fom.tables()) == {"by_initial_class", "by_transition", "by_gaining_class"}
