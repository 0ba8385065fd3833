"""Benchmark of the two-layer kernels (lemmas.core.twolayer) against the BLAS calls they cannot avoid.

1. H(W) = (XXᵀ)∘(SSᵀ)/m at (n, d, m) = (1000, 100, 100000). Lower bound, timed in the same run on the same
   arrays: the float64 GEMM X Wᵀ that decides the patterns (one call, full shape) plus the float32 SYRK of the
   0/1 pattern matrix S (one call, full shape, precomputed). Target: ratio <= 1.3. Peak extra memory
   (tracemalloc: every NumPy allocation) at two widths: it must not grow with m.
2. Loss and gradient at (1000, 100, 10000). Lower bound: the two float64 GEMMs of those shapes,
   W Xᵀ (m × d · d × n) and M X (m × n · n × d). Target: ratio <= 1.4. Peak extra memory beyond the returned
   gradient (m × d) at two widths.
3. H∞ at n = 1000 (d = 100): the float closed form, and the enclosure with a rigorous per-entry radius
   (lemmas.certify.gram_infinity_enclosure; its error analysis is in docs/certificates.md).

Medians over repeats; the kernel and its lower bound are timed in turn, round after round, so that load
from other processes slows both alike. Run: python benchmarks/bench_twolayer.py
"""

from __future__ import annotations

import tracemalloc
from typing import Callable

import numpy as np
from scipy.linalg import blas

from lemmas.core import data, twolayer
from run_all import emit, interleaved_medians, median_seconds

GRAM_TARGET = 1.3
LOSS_TARGET = 1.4
MIB = 2.0**20


def peak_extra_bytes(fn: Callable[[], object]) -> int:
    """Peak bytes NumPy (and Python) allocate while ``fn`` runs, above what was allocated before it."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def inputs(n: int, d: int, m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = data.sphere(rng, n, d)
    W, a = twolayer.init_two_layer(rng, m, d)
    return X, W, a, rng.standard_normal(n)


def verdict(ratio: float, target: float) -> str:
    return "meets" if ratio <= target else "MISSES"


def bench_gram(n: int = 1000, d: int = 100, m: int = 100_000, repeats: int = 5) -> None:
    X, W, _, _ = inputs(n, d, m)
    S = np.asfortranarray((X @ W.T >= 0.0).astype(np.float32))     # the lower bound's SYRK input
    t = interleaved_medians({
        "gram": lambda: twolayer.gram(X, W),
        "gemm": lambda: X @ W.T,
        "syrk": lambda: blas.ssyrk(1.0, S, trans=0, lower=0),
    }, repeats)
    del S
    bound = t["gemm"] + t["syrk"]
    ratio = t["gram"] / bound
    memory = {}
    for width in (m // 2, m):
        Xm, Wm, _, _ = inputs(n, d, width, seed=1)
        memory[width] = peak_extra_bytes(lambda: twolayer.gram(Xm, Wm)) / MIB
    print(f"H(W) (n, d, m) = ({n}, {d}, {m}): median {t['gram']:.3f} s; GEMM X Wᵀ {t['gemm']:.3f} s + "
          f"SSYRK of S {t['syrk']:.3f} s = {bound:.3f} s; ratio {ratio:.2f} ({verdict(ratio, GRAM_TARGET)} <= {GRAM_TARGET})")
    print("  peak extra memory: " + ", ".join(f"m = {w}: {mib:.1f} MiB" for w, mib in memory.items()))
    emit(benchmark="H(W) two-layer Gram", size=f"n={n}, d={d}, m={m}", median_s=t["gram"], lower_bound_s=bound,
         ratio=ratio, target=f"<= {GRAM_TARGET}", peak_extra_mib=memory[m],
         note=f"{verdict(ratio, GRAM_TARGET)}; GEMM {t['gemm']:.3f} s + SSYRK {t['syrk']:.3f} s; extra memory "
              + " / ".join(f"{mib:.1f} MiB at m={w}" for w, mib in memory.items()))


def bench_loss_and_grad(n: int = 1000, d: int = 100, m: int = 10_000, repeats: int = 15) -> None:
    X, W, a, y = inputs(n, d, m)
    M = np.random.default_rng(2).standard_normal((m, n))
    t = interleaved_medians({
        "ours": lambda: twolayer.loss_and_grad(X, W, a, y),
        "gemm1": lambda: W @ X.T,
        "gemm2": lambda: M @ X,
    }, repeats)
    del M
    bound = t["gemm1"] + t["gemm2"]
    ratio = t["ours"] / bound
    memory = {}
    for width in (m, 2 * m):
        Xm, Wm, am, ym = inputs(n, d, width, seed=1)
        memory[width] = (peak_extra_bytes(lambda: twolayer.loss_and_grad(Xm, Wm, am, ym)) - Wm.nbytes) / MIB
    print(f"loss + gradient (n, d, m) = ({n}, {d}, {m}): median {t['ours'] * 1e3:.1f} ms; GEMMs W Xᵀ "
          f"{t['gemm1'] * 1e3:.1f} ms + M X {t['gemm2'] * 1e3:.1f} ms = {bound * 1e3:.1f} ms; ratio {ratio:.2f} "
          f"({verdict(ratio, LOSS_TARGET)} <= {LOSS_TARGET})")
    print("  peak extra memory beyond the m × d gradient: " + ", ".join(f"m = {w}: {mib:.1f} MiB" for w, mib in memory.items()))
    emit(benchmark="loss + gradient two-layer", size=f"n={n}, d={d}, m={m}", median_s=t["ours"], lower_bound_s=bound,
         ratio=ratio, target=f"<= {LOSS_TARGET}", peak_extra_mib=memory[m],
         note=f"{verdict(ratio, LOSS_TARGET)}; beyond the returned gradient: "
              + " / ".join(f"{mib:.1f} MiB at m={w}" for w, mib in memory.items()))


def bench_gram_infinity(n: int = 1000, d: int = 100, repeats: int = 3) -> None:
    X, _, _, _ = inputs(n, d, 1)
    t_float = median_seconds(lambda: twolayer.gram_infinity(X), repeats)
    print(f"H∞ float closed form, n = {n}, d = {d}: median {t_float:.2f} s")
    emit(benchmark="H∞ closed form (float)", size=f"n={n}, d={d}", median_s=t_float)
    try:
        from lemmas.certify import gram_infinity_enclosure
    except ImportError:
        print("H∞ enclosure: lemmas.certify.gram_infinity_enclosure not available")
        return
    t_enc = median_seconds(lambda: gram_infinity_enclosure(X), repeats)
    _, rad = gram_infinity_enclosure(X)
    print(f"H∞ with a rigorous per-entry radius, n = {n}: median {t_enc:.2f} s (max radius {rad.max():.2e}; "
          f"target < 60 s)")
    emit(benchmark="H∞ with per-entry error bound", size=f"n={n}, d={d}", median_s=t_enc, target="< 60 s",
         note=f"{'meets' if t_enc < 60 else 'MISSES'}; max radius {rad.max():.2e} (docs/certificates.md)")


def main() -> None:
    bench_gram()
    bench_loss_and_grad()
    bench_gram_infinity()


if __name__ == "__main__":
    main()
