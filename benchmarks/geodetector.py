"""Benchmark of the GeoDetector (issues 5 and 18), whole process, on the shared harness.

Synthetic table: ``--rows`` rows (10^6), 8 integer factors of 10 levels, y a linear mix plus
noise, written as CSV. Times, interleaved (benchmarks/harness.py: medians, min-max of the
paired ratios, load before and after):

1. what the user waits for, whole processes from reading the CSV to the written results:
   ``landcarbon geodetector`` (factor + all 28 interactions + risk + ecological detectors,
   geodetector.json and its two charts) against the PyPI packages py-geodetector 0.2.1 and
   geodetector 0.2.0 (factor + interaction detectors only, results written as JSON), each in
   its own throwaway virtual environment (both install as ``import geodetector``); then the
   largest |q difference| of each peer to landcarbon;
2. in one process: landcarbon's detectors (encoding of the factor columns included; factor
   only, and all detectors) against a plain numpy ``np.bincount`` reference of the same q
   values (factor and 28 pairs; target: factor + 28 interactions < 1 s);
3. two peer defects reproduced (no timing): geodetector 0.2.0 re-bins a 40-level integer
   factor into 5 quantiles (its q differs from the q of the 40 strata), and py-geodetector's
   ecological detector answers differently for the two orders of one pair;
4. the OPGD search of 6 continuous factors x 5 methods x k = 3..15 on 10^5 rows
   (target < 5 s).

Usage: ``python benchmarks/geodetector.py [--rows N] [--pairs 5] [--pygd
/tmp/venv_pygd/bin/python] [--gd020 /tmp/venv_gd020/bin/python]``. A peer whose interpreter
is missing is skipped (and said so). Create them with ``python -m venv /tmp/venv_pygd &&
/tmp/venv_pygd/bin/pip install py-geodetector numpy pandas scipy matplotlib`` (and
``geodetector==0.2.0`` likewise).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import harness
import numpy as np
import pandas as pd

from landcarbon.stats.geodetector import detect, encode_strata
from landcarbon.stats.opgd import Discretization, optimal_discretization

LANDCARBON = [sys.executable, "-c", "from landcarbon.cli import main; main()", "geodetector"]

PEER_SCRIPT = r"""
import json, sys
import numpy as np, pandas as pd
import geodetector
df = pd.read_csv(sys.argv[1])
names = [n for n in df.columns if n != "y"]
flavour = sys.argv[2]
out = {}
if flavour == "pygd":
    gd = geodetector.GeoDetector(df, "y", names)
    fac = gd.factor_detector()
    inter = gd.interaction_detector()
    out["q"] = {n: float(fac.loc["q statistic", n]) for n in names}
    pick = lambda a, b: inter.loc[b, a] if not np.isnan(inter.loc[b, a]) else inter.loc[a, b]
    out["q12"] = {f"{a}:{b}": float(pick(a, b)) for i, a in enumerate(names) for b in names[i + 1:]}
else:
    fit = lambda n: geodetector.FactorDetector().fit(df[[n]], df["y"]).q_value_
    out["q"] = {n: float(fit(n)) for n in names}
    inter = geodetector.InteractionDetector().fit(df[names], df["y"])
    out["q12"] = {f"{p['factor_1']}:{p['factor_2']}": float(p["q_12"]) for p in inter.pairs_}
with open(sys.argv[3], "w") as fh:
    json.dump(out, fh)
"""

PEERS = (("py-geodetector 0.2.1", "pygd"), ("geodetector 0.2.0", "gd020"))


DEFECT_SCRIPT = r"""
import json, sys
import numpy as np, pandas as pd
import geodetector
data = np.load(sys.argv[1])
df = pd.DataFrame({n: data[n] for n in data.files})
if sys.argv[2] == "pygd":
    gd = geodetector.GeoDetector(df, "y", ["strong", "weak"])
    out = {"strong|weak": gd.ecological_detector("strong", "weak"),
           "weak|strong": gd.ecological_detector("weak", "strong")}
else:
    out = {"q_many": float(geodetector.FactorDetector().fit(df[["many"]], df["y"]).q_value_)}
print(json.dumps(out))
"""


def peer_defects(pygd: str, gd020: str) -> list[str]:
    """Reproduce two peer defects on a small table: q of a 40-level integer factor
    (geodetector 0.2.0 re-bins it into 5 quantiles) and the ecological detector's answer
    for both orders of one pair (py-geodetector's depends on the order)."""
    rng = np.random.default_rng(3)
    rows = 5000
    many = rng.integers(0, 40, rows)
    strong, weak = rng.integers(0, 5, rows), rng.integers(0, 5, rows)
    y = np.sin(many) * 3 + strong * 2.0 + weak * 0.3 + rng.normal(size=rows)
    data = {"y": y, "many": many, "strong": strong, "weak": weak}
    result = detect(y, [encode_strata(data[n], n) for n in ("many", "strong", "weak")])
    ours = {(e.a, e.b): e.significant for e in result.ecological}
    lines = [
        f"landcarbon: q(many, 40 levels) = {result.factor['many'].q:.4f}; ecological "
        f"strong|weak {ours[('strong', 'weak')]}, weak|strong {ours[('weak', 'strong')]} "
        f"(both orders reported, same whatever the factor order)"
    ]
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "defects.npz"
        np.savez(npz, **data)  # type: ignore[arg-type]
        for label, python, flavour in (
            ("py-geodetector", pygd, "pygd"),
            ("geodetector 0.2.0", gd020, "gd020"),
        ):
            if not Path(python).exists():
                continue
            proc = subprocess.run(
                [python, "-c", DEFECT_SCRIPT, str(npz), flavour],
                capture_output=True,
                text=True,
                check=False,
            )
            lines.append(f"{label}: {proc.stdout.strip() or proc.stderr.strip().splitlines()[-1]}")
    return lines


def synthetic(rows: int, factors: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = {f"x{i}": rng.integers(0, 10, rows) for i in range(factors)}
    y = sum(x * rng.uniform(0.2, 1.0) for x in data.values()) + rng.normal(0, 3, rows)
    return {"y": np.asarray(y, dtype=np.float64), **data}


def numpy_q(y: np.ndarray, codes: np.ndarray) -> float:
    """Plain numpy reference: q from bincount sums (codes are non-negative ints)."""
    n = np.bincount(codes)
    s1 = np.bincount(codes, weights=y)
    s2 = np.bincount(codes, weights=y * y)
    used = n > 0
    ssw = (s2[used] - s1[used] ** 2 / n[used]).sum()
    return float(1 - ssw / ((y - y.mean()) ** 2).sum())


def peer_command(python: str, flavour: str, table: Path, out: Path) -> Callable[[int], list[str]]:
    """A peer GeoDetector as a process: its interpreter running ``PEER_SCRIPT``."""
    return lambda i: [python, "-c", PEER_SCRIPT, str(table), flavour, str(out)]


def whole_process(
    folder: Path, names: list[str], pairs: int, peers: dict[str, str]
) -> tuple[list[str], dict[str, Path]]:
    """landcarbon geodetector vs the installed peers, whole processes; markdown lines and
    each peer's last JSON output."""
    table = folder / "table.csv"
    ours = [*LANDCARBON, "--table", str(table), "--y", "y", "--x", *names]
    tools = {"landcarbon": harness.process(lambda i: [*ours, "-o", str(folder / f"lc{i}")])}
    outputs: dict[str, Path] = {}
    for label, flavour in PEERS:
        python = peers[flavour]
        if not Path(python).exists():
            continue
        outputs[label] = folder / f"{flavour}.json"
        tools[label] = harness.process(peer_command(python, flavour, table, outputs[label]))
    result = harness.interleaved(tools, pairs)
    lines = [
        f"**1. whole process**, CSV in, results out: landcarbon runs every detector (factor, "
        f"{len(names) * (len(names) - 1) // 2} interactions, risk, ecological; JSON and two "
        f"charts), the peers factor + interaction only; {pairs} interleaved rounds after one "
        f"untimed round; {result.load_text()}",
        "",
        *result.table(),
        "",
    ]
    lines += [f"- {result.ratio_text(label, 'landcarbon')}" for label in outputs]
    missing = [f"{label} ({peers[fl]})" for label, fl in PEERS if label not in outputs]
    if missing:
        lines.append(f"- not installed, skipped: {', '.join(missing)}")
    return [*lines, ""], outputs


def in_process(data: dict[str, np.ndarray], pairs: int) -> tuple[list[str], dict[str, float]]:
    """landcarbon's detectors (encoding included) vs the numpy reference, interleaved;
    markdown lines and our q values (factors and pairs, ``a:b``)."""
    y, names = data["y"], [n for n in data if n != "y"]
    pair_names = list(combinations(names, 2))

    def ours(interactions: bool) -> object:
        return detect(y, [encode_strata(data[n], n) for n in names], interactions=interactions)

    timed = harness.interleaved(
        {
            "landcarbon factor": harness.call(lambda i: ours(False)),
            "numpy factor": harness.call(lambda i: [numpy_q(y, data[n]) for n in names]),
            "landcarbon all detectors": harness.call(lambda i: ours(True)),
            "numpy pairs": harness.call(
                lambda i: [numpy_q(y, data[a] * 10 + data[b]) for a, b in pair_names]
            ),
        },
        pairs,
    )
    result = detect(y, [encode_strata(data[n], n) for n in names])
    q = {n: result.factor[n].q for n in names}
    q |= {k: v.q for k, v in result.interaction.items()}
    reference = {n: numpy_q(y, data[n]) for n in names}
    reference |= {f"{a}:{b}": numpy_q(y, data[a] * 10 + data[b]) for a, b in pair_names}
    dq = max(abs(q[k] - v) for k, v in reference.items())
    lines = [
        f"**2. in one process**, {y.size} rows x {len(names)} factors (landcarbon: encoding "
        f"included; all detectors = factor + {len(pair_names)} interactions + risk + "
        f"ecological; numpy: codes given); max |q difference| {dq:.1e}; {timed.load_text()}",
        "",
        *timed.table(),
        "",
        f"- {timed.ratio_text('landcarbon factor', 'numpy factor')}",
        f"- {timed.ratio_text('landcarbon all detectors', 'numpy pairs')} (all our detectors "
        f"against the numpy pairs alone; target: all detectors < 1 s)",
        "",
    ]
    return lines, q


def peer_agreement(outputs: dict[str, Path], q: dict[str, float]) -> list[str]:
    """Largest |q difference| of each peer's last output to landcarbon's q."""
    lines = []
    for label, path in outputs.items():
        peer = json.loads(path.read_text())
        theirs = peer["q"] | peer["q12"]
        dq = max(abs(theirs[k] - q[k]) for k in theirs)
        lines.append(f"- {label}: max |q difference| to landcarbon {dq:.1e}")
    return lines


def opgd(rows: int, pairs: int) -> list[str]:
    """The OPGD search of 6 continuous factors, timed on the harness."""
    rng = np.random.default_rng(1)
    xs = [rng.gamma(2.0, 3.0, rows) + 0.1 for _ in range(6)]
    y = sum(np.sqrt(x) for x in xs) + rng.normal(size=rows)
    chosen: list[Discretization] = []

    def search(i: int) -> None:
        chosen[:] = [optimal_discretization(y, x, f"x{j}") for j, x in enumerate(xs)]

    timed = harness.interleaved({"OPGD": harness.call(search)}, pairs)
    return [
        f"**4. OPGD** 6 factors x 5 methods x k 3..15 on {rows} rows (target < 5 s); chosen "
        f"{[(c.method, c.k) for c in chosen]}; {timed.load_text()}",
        "",
        *timed.table(),
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--pygd", default="/tmp/venv_pygd/bin/python")
    parser.add_argument("--gd020", default="/tmp/venv_gd020/bin/python")
    args = parser.parse_args()
    data = synthetic(args.rows, 8)
    names = [n for n in data if n != "y"]
    lines = [f"Machine: {harness.machine()}", ""]
    with tempfile.TemporaryDirectory(prefix="lc-bench-gd-") as tmp:
        folder = Path(tmp)
        pd.DataFrame(data).to_csv(folder / "table.csv", index=False)
        timed, outputs = whole_process(
            folder, names, args.pairs, {"pygd": args.pygd, "gd020": args.gd020}
        )
        more, q = in_process(data, args.pairs)
        lines += timed + peer_agreement(outputs, q) + [""] + more
    lines += ["**3. peer defects**", "", "```", *peer_defects(args.pygd, args.gd020), "```", ""]
    lines += opgd(100_000, args.pairs)
    harness.report(f"GeoDetector, whole process, {args.rows} rows x 8 factors", lines)


if __name__ == "__main__":
    main()
