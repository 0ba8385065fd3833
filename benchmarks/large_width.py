"""One check per paper at the largest width this machine holds, with wall time and peak memory (maxrss).

* du2018 — Lemma 3.1's two conclusions, ‖H(0) − H∞‖₂ ≤ λ0/4 and λ_min(H(0)) ≥ 3λ0/4, at (n, d) = (1000, 100).
  H(0) is accumulated over the width in chunks (W(0) is drawn chunk by chunk and never held), so memory
  does not depend on m: the limit is time, about m/10^5 × (the H(W) benchmark's time). Bounds come from
  the lemma's quantities; λ0 and the norms are float estimates (eigvalsh), not certificates.
* azls2018 — Lemma 7.1's exact-law moment check (azls2018.lemma7.1:moments) at L = 2: the L weight matrices
  m × m are held (L·m² float64: NumPy scales each fresh Gaussian draw in place), so m = √(budget / (8L)).
* zou2018 — Lemma A.1's probability check (zou2018.lemmaA.1:probability) at n = 8, L = 3: the forward pass
  is sampled in its exact law, O(n·m) per layer; pre- and post-activations of every layer are kept (2·n·L·m
  float64) plus one layer's draw, at most 3·n·L·m float64, so m = budget / (24·n·L).

Each paper runs in its own process so that its maxrss is its own. Few trials: the point is the width, so a
probability verdict may well be inconclusive. Run: python benchmarks/large_width.py [--memory-gib 20]
[--du-width 4194304] [--paper du2018|azls2018|zou2018]
"""

from __future__ import annotations

import argparse
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from run_all import emit

PAPERS = ("du2018", "azls2018", "zou2018")
GIB = 2.0**30


def maxrss_gib() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB


def run_du2018(m: int, chunk: int = 1 << 16) -> None:
    from lemmas.core import data, twolayer
    from lemmas.registry import get_lemma

    n, d, dlt = 1000, 100, 0.1
    bounds = get_lemma("du2018.lemma3.1").bounds()
    X = data.sphere(np.random.default_rng([20181005, 1]), n, d)
    rng = np.random.default_rng([20181005, 2])
    start = time.perf_counter()
    counts = np.zeros((n, n))
    for first in range(0, m, chunk):
        counts += twolayer.pattern_counts(X, rng.standard_normal((min(chunk, m - first), d)))
    H0 = (X @ X.T) * counts / m                                   # the formula of twolayer.gram
    t_gram = time.perf_counter() - start
    H_inf = twolayer.gram_infinity(X)
    lambda0 = float(np.linalg.eigvalsh(H_inf)[0])
    diff = np.linalg.eigvalsh(H0 - H_inf)
    norm, min_eig = float(max(-diff[0], diff[-1])), float(np.linalg.eigvalsh(H0)[0])
    elapsed = time.perf_counter() - start
    norm_bound = bounds("norm_bound", lambda0=lambda0)
    eig_bound = bounds("min_eig_bound", lambda0=lambda0)
    threshold = bounds("width_sharp", n=n, delta=dlt, lambda0=lambda0)
    held = norm <= norm_bound and min_eig >= eig_bound
    print(f"du2018.lemma3.1 at (n, d, m) = ({n}, {d}, {m}): H(0) in {t_gram:.1f} s, total {elapsed:.1f} s, maxrss "
          f"{maxrss_gib():.2f} GiB; λ0 ≈ {lambda0:.4f}; ‖H(0) − H∞‖₂ ≈ {norm:.4f} vs λ0/4 = {norm_bound:.4f}; "
          f"λ_min(H(0)) ≈ {min_eig:.4f} vs 3λ0/4 = {eig_bound:.4f}; conclusions {'hold' if held else 'FAIL'}; "
          f"the sharp width threshold is m ≥ {threshold:.3g}, so m is {'inside' if m >= threshold else 'outside'} the hypothesis")
    emit(benchmark="large width: du2018.lemma3.1 conclusions", size=f"n={n}, d={d}, m={m}", median_s=elapsed,
         peak_extra_mib=maxrss_gib() * 1024,
         note=f"maxrss {maxrss_gib():.2f} GiB (independent of m; limit is time); ‖H(0) − H∞‖₂ ≈ {norm:.4f} vs λ0/4 = "
              f"{norm_bound:.4f}, λ_min(H(0)) ≈ {min_eig:.4f} vs 3λ0/4 = {eig_bound:.4f} (estimated); hypothesis "
              f"m ≥ {threshold:.3g} {'held' if m >= threshold else 'not met: slack evidence'}")


def _run_registered(lemma_id: str, check_name: str, params: dict, trials: int, label: str) -> None:
    from lemmas.registry import Case, Settings, get_lemma
    from lemmas.trials import run_check

    check = get_lemma(lemma_id).check(check_name)
    start = time.perf_counter()
    try:
        result = run_check(check, Case(params, trials=trials), Settings())
        outcome = f"status {result.status.value}"
    except MemoryError:
        outcome = "MemoryError"
    except Exception as error:  # a broken check is reported, not hidden
        outcome = f"ERROR {type(error).__name__}: {error}"
    elapsed = time.perf_counter() - start
    size = ", ".join(f"{k}={v}" for k, v in params.items() if k in ("n", "L", "m"))
    print(f"{lemma_id}:{check_name} at {size}, {trials} trials: {elapsed:.1f} s, maxrss {maxrss_gib():.2f} GiB, {outcome}")
    emit(benchmark=f"large width: {lemma_id}:{check_name}", size=f"{size}, {trials} trials", median_s=elapsed,
         peak_extra_mib=maxrss_gib() * 1024, note=f"{label}; maxrss {maxrss_gib():.2f} GiB; {outcome}")


def run_azls2018(budget_gib: float, L: int = 2, trials: int = 10) -> None:
    m = int(math.sqrt(budget_gib * GIB / (8 * L))) // 256 * 256
    _run_registered("azls2018.lemma7.1", "moments", {"m": m, "L": L, "n": 1, "data_seed": 1}, trials,
                    f"largest m with L·m² float64 ≤ {budget_gib:g} GiB")


def run_zou2018(budget_gib: float, n: int = 8, L: int = 3, trials: int = 4) -> None:
    m = int(budget_gib * GIB / (24 * n * L)) // 1024 * 1024
    params = {"data": "random_sphere", "d": 10, "mu": 0.5, "data_seed": 1, "delta": 0.1, "n": n, "L": L, "m": m}
    _run_registered("zou2018.lemmaA.1", "probability", params, trials, f"largest m with 3·n·L·m float64 ≤ {budget_gib:g} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paper", choices=PAPERS, help="run one paper in this process (default: each in its own)")
    parser.add_argument("--memory-gib", type=float, default=20.0, help="memory budget of the deep checks (default 20 of 24 GiB)")
    parser.add_argument("--du-width", type=int, default=1 << 22, help="width m of the two-layer run (time-limited)")
    args = parser.parse_args()
    if args.paper == "du2018":
        run_du2018(args.du_width)
    elif args.paper == "azls2018":
        run_azls2018(args.memory_gib)
    elif args.paper == "zou2018":
        run_zou2018(args.memory_gib)
    else:
        for paper in PAPERS:
            subprocess.run([sys.executable, str(Path(__file__).resolve()), "--paper", paper,
                            "--memory-gib", str(args.memory_gib), "--du-width", str(args.du_width)], check=False)


if __name__ == "__main__":
    main()
