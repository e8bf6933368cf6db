"""FigureOfMerit.as_dict: the JSON form the [validation] chapter and validate-sim write
(every table field, transitions keyed "FROM->TO", undefined scores as null)."""

from __future__ import annotations

import json
import math

import numpy as np

from landcarbon.landuse.accuracy import FigureOfMerit, fom_from_counts


def test_as_dict_holds_every_table_with_published_keys():
    counts = np.zeros((2, 2, 2), dtype=np.int64)
    # (initial, observed, simulated): 1 -> 2 hit x3, 1 -> 2 missed x1, 1 stays but simulated 2 x2
    counts[0, 1, 1], counts[0, 1, 0], counts[0, 0, 1], counts[1, 1, 1] = 3, 1, 2, 10
    fom = fom_from_counts((1, 2), counts)
    out = json.loads(json.dumps(fom.as_dict()))  # JSON-ready, no NaN token
    assert set(out) == {"overall", *FigureOfMerit.table_fields()}
    assert out["overall"]["fom"] == 3 / (1 + 3 + 0 + 2)
    assert out["per_transition"]["1->2"]["hits"] == 3
    assert out["per_transition"]["1->2"]["false_alarms"] == 2
    # nothing changed 2 -> 1 and nothing was simulated so: FoM undefined, null not NaN
    assert out["per_transition"]["2->1"]["fom"] is None
    assert math.isnan(fom.per_transition.loc[(2, 1), "fom"])
