"""Timings of the certified λ_min machinery (lemmas.certify): medians over repeats, one run.

    /work/venv/bin/python benchmarks/bench_certify.py [--repeats 5] [--gram-repeats 3]

Prints: the float-tier certificate at n = 1000 against a bare eigvalsh of the same matrix (ratio
measured in the same run), the interval tier at n = 30 and 100, and gram_infinity_enclosure at
n = 1000, d = 100.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from lemmas.certify import certify_lambda_min_at_least, gram_infinity_enclosure, lambda_min_enclosure


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def unit_gaussian_rows(n: int, d: int, seed: int) -> np.ndarray:
    X = np.random.default_rng(seed).normal(size=(n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--gram-repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus; medians of {args.repeats} runs")

    X = unit_gaussian_rows(1000, 100, seed=0)
    t_gram = median_seconds(lambda: gram_infinity_enclosure(X), args.gram_repeats)
    mid, rad = gram_infinity_enclosure(X)
    print(f"gram_infinity_enclosure n=1000 d=100: {t_gram:.2f} s  (median of {args.gram_repeats}; max entry radius {rad.max():.2e})")

    lam = float(np.linalg.eigvalsh(mid)[0])
    t_eig = median_seconds(lambda: np.linalg.eigvalsh(mid), args.repeats)
    t_cert = median_seconds(lambda: certify_lambda_min_at_least(mid, 0.999 * lam, entry_radius=rad, tier="float"), args.repeats)
    t_enc = median_seconds(lambda: lambda_min_enclosure(mid, entry_radius=rad, tier="float"), args.repeats)
    enc = lambda_min_enclosure(mid, entry_radius=rad, tier="float")
    print(f"eigvalsh n=1000: {t_eig * 1e3:.1f} ms")
    print(f"float tier n=1000, certify λ_min > 0.999·λ̂: {t_cert * 1e3:.1f} ms  (ratio to eigvalsh {t_cert / t_eig:.2f})")
    print(f"float tier n=1000, full enclosure: {t_enc * 1e3:.1f} ms  (ratio {t_enc / t_eig:.2f}); width {enc.width:.2e}")

    for n in (30, 100):
        m, r = gram_infinity_enclosure(unit_gaussian_rows(n, 10, seed=n))
        t_int = median_seconds(lambda: lambda_min_enclosure(m, entry_radius=r, tier="interval"), args.repeats)
        e = lambda_min_enclosure(m, entry_radius=r, tier="interval")
        print(f"interval tier n={n}: {t_int:.3f} s  (width {e.width:.2e}; {e.method})")


if __name__ == "__main__":
    main()
