"""Benchmark of the GeoDetector (issue 5): factor + interaction detectors and OPGD.

Synthetic table: 10^6 rows, 8 integer factors of 10 levels, y a linear mix plus noise.
Prints

1. landcarbon (encoding the factor columns + ``detect``: factor only; factor + all 28
   interactions + risk + ecological) against a plain numpy ``np.bincount`` reference of
   the same q values run in the same process, with the largest |q difference| (target:
   factor + 28 interactions < 1 s). Interaction ratios divide by the time of all our
   detectors together (a conservative ratio);
2. the same as 1 on 5 factors / 10 pairs (the figures quoted in the issue);
3. the PyPI packages py-geodetector 0.2.1 and geodetector 0.2.0, each in its own
   throwaway virtual environment (both install as ``import geodetector``), on the same
   data saved to a temporary file: their factor and interaction detector times measured
   inside their process, the ratios to landcarbon, and their largest |q difference|;
4. two peer defects reproduced: geodetector 0.2.0 re-bins a 40-level integer factor into
   5 quantiles (its q differs from the q of the 40 strata), and py-geodetector's
   ecological detector answers differently for the two orders of one pair;
5. the OPGD search of 6 continuous factors x 5 methods x k = 3..15 on 10^5 rows
   (target < 5 s).

Usage: ``python benchmarks/geodetector.py [--rows N] [--pygd /tmp/venv_pygd/bin/python]
[--gd020 /tmp/venv_gd020/bin/python]``. A peer whose interpreter is missing is skipped.
Create them with ``python -m venv /tmp/venv_pygd && /tmp/venv_pygd/bin/pip install
py-geodetector numpy pandas scipy matplotlib`` (and ``geodetector==0.2.0`` likewise).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from landcarbon.stats.geodetector import GeoDetectorResult, detect, encode_strata
from landcarbon.stats.opgd import optimal_discretization

PEER_SCRIPT = r"""
import json, sys, time
import numpy as np, pandas as pd
import geodetector
data = np.load(sys.argv[1])
names = [n for n in data.files if n != "y"]
df = pd.DataFrame({n: data[n] for n in names})
df["y"] = data["y"]
flavour = sys.argv[2]
out = {}
if flavour == "pygd":
    gd = geodetector.GeoDetector(df, "y", names)
    t = time.perf_counter(); fac = gd.factor_detector(); out["factor_s"] = time.perf_counter() - t
    t = time.perf_counter(); inter = gd.interaction_detector()
    out["interaction_s"] = time.perf_counter() - t
    out["q"] = {n: float(fac.loc["q statistic", n]) for n in names}
    pick = lambda a, b: inter.loc[b, a] if not np.isnan(inter.loc[b, a]) else inter.loc[a, b]
    out["q12"] = {f"{a}:{b}": float(pick(a, b)) for i, a in enumerate(names) for b in names[i + 1:]}
else:
    t = time.perf_counter()
    fit = lambda n: geodetector.FactorDetector().fit(df[[n]], df["y"]).q_value_
    out["q"] = {n: float(fit(n)) for n in names}
    out["factor_s"] = time.perf_counter() - t
    t = time.perf_counter(); inter = geodetector.InteractionDetector().fit(df[names], df["y"])
    out["interaction_s"] = time.perf_counter() - t
    out["q12"] = {f"{p['factor_1']}:{p['factor_2']}": float(p["q_12"]) for p in inter.pairs_}
print(json.dumps(out))
"""


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


def bench_peer_defects(pygd: str, gd020: str) -> None:
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
    print(
        f"  landcarbon: q(many, 40 levels) = {result.factor['many'].q:.4f}; ecological "
        f"strong|weak {ours[('strong', 'weak')]}, weak|strong {ours[('weak', 'strong')]} "
        f"(both orders reported, same whatever the factor order)"
    )
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
            print(f"  {label}: {proc.stdout.strip() or proc.stderr.strip().splitlines()[-1]}")


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


T = TypeVar("T")


def best_of(func: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Best wall time of ``repeat`` calls and the last result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return min(times), value


def bench_detectors(data: dict[str, np.ndarray]) -> dict[str, Any]:
    """landcarbon (encoding of the factor columns included) vs the numpy reference."""
    y, names = data["y"], [n for n in data if n != "y"]
    detect(y[:1000], [encode_strata(data[n][:1000], n) for n in names])  # numba compile

    def ours(interactions: bool) -> GeoDetectorResult:
        return detect(y, [encode_strata(data[n], n) for n in names], interactions=interactions)

    t_fac, res = best_of(lambda: ours(False))
    t_all, res_all = best_of(lambda: ours(True))
    t_np_fac, q_np = best_of(lambda: {n: numpy_q(y, data[n]) for n in names})

    def numpy_pairs() -> dict[str, float]:
        return {f"{a}:{b}": numpy_q(y, data[a] * 10 + data[b]) for a, b in combinations(names, 2)}

    t_np_pairs, q12_np = best_of(numpy_pairs)
    diff = max(abs(res.factor[n].q - q_np[n]) for n in names)
    diff12 = max(abs(res_all.interaction[k].q - v) for k, v in q12_np.items())
    pairs = len(q12_np)
    print(f"  landcarbon factor detector ({len(names)} factors, encoding included) {t_fac:8.3f} s")
    print(f"  landcarbon factor + {pairs} interactions + risk + ecological    {t_all:8.3f} s")
    print(
        f"  numpy bincount reference (codes given): factor {t_np_fac:.3f} s, {pairs} pairs "
        f"{t_np_pairs:.3f} s -> ratio factor {t_np_fac / t_fac:.1f}x, interactions "
        f"{t_np_pairs / t_all:.1f}x (all detectors counted); max |dq| {max(diff, diff12):.1e}"
    )
    return {
        "factor_s": t_fac,
        "all_s": t_all,
        "q": {n: res.factor[n].q for n in names},
        "q12": {k: v.q for k, v in res_all.interaction.items()},
    }


def bench_peer(label: str, python: str, flavour: str, npz: Path, ours: dict[str, Any]) -> None:
    """Run a PyPI GeoDetector in its own interpreter on the saved data; print ratios."""
    if not Path(python).exists():
        print(f"  {label}: interpreter {python} not found, skipped")
        return
    proc = subprocess.run(
        [python, "-c", PEER_SCRIPT, str(npz), flavour], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        print(f"  {label}: failed ({proc.stderr.strip().splitlines()[-1]})")
        return
    peer = json.loads(proc.stdout)
    dq = max(abs(peer["q"][n] - ours["q"][n]) for n in ours["q"])
    dq12 = max(abs(peer["q12"][k] - ours["q12"][k]) for k in ours["q12"])
    print(
        f"  {label}: factor {peer['factor_s']:.3f} s ({peer['factor_s'] / ours['factor_s']:.1f}x"
        f" slower), interaction {peer['interaction_s']:.3f} s "
        f"({peer['interaction_s'] / ours['all_s']:.1f}x slower than all our detectors); "
        f"max |dq| {max(dq, dq12):.1e}"
    )


def bench_opgd(rows: int) -> None:
    rng = np.random.default_rng(1)
    xs = [rng.gamma(2.0, 3.0, rows) + 0.1 for _ in range(6)]
    y = sum(np.sqrt(x) for x in xs) + rng.normal(size=rows)
    optimal_discretization(y[:500], xs[0][:500])  # compile
    start = time.perf_counter()
    chosen = [optimal_discretization(y, x, f"x{i}") for i, x in enumerate(xs)]
    took = time.perf_counter() - start
    print(
        f"  OPGD 6 factors x 5 methods x k 3..15 on {rows} rows: {took:.2f} s (target < 5 s); "
        f"chosen {[(c.method, c.k) for c in chosen]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pygd", default="/tmp/venv_pygd/bin/python")
    parser.add_argument("--gd020", default="/tmp/venv_gd020/bin/python")
    args = parser.parse_args()
    for factors in (8, 5):
        print(f"{args.rows} rows x {factors} factors:")
        data = synthetic(args.rows, factors)
        ours = bench_detectors(data)
        with tempfile.TemporaryDirectory() as tmp:
            npz = Path(tmp) / "data.npz"
            np.savez(npz, **data)  # type: ignore[arg-type]
            bench_peer("py-geodetector 0.2.1", args.pygd, "pygd", npz, ours)
            bench_peer("geodetector 0.2.0", args.gd020, "gd020", npz, ours)
    print("peer defects:")
    bench_peer_defects(args.pygd, args.gd020)
    bench_opgd(100_000)


if __name__ == "__main__":
    main()
