"""What the CLI imports: `landcarbon --help` loads no numerical library (issue 18, item 4).

Checked through ``sys.modules`` in a fresh interpreter, not by timing: a top-level
``import numpy``/``pandas`` (or scipy, numba, matplotlib, xarray, dask) in any command
module makes every invocation pay for it (~0.5-2 s of CPU), since all commands register
at start-up.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "pandas", "scipy", "numba", "matplotlib", "xarray", "dask", "rasterio")

PROBE = """
import json, sys
sys.argv = ["landcarbon", "--help"]
from landcarbon.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_help_imports_no_numerical_library():
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert "typer" in loaded  # the probe did run the CLI
    assert sorted(loaded.intersection(HEAVY)) == []
