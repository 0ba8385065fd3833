"""Benchmark of the deep ReLU core (lemmas.core.deep, deep_kernels).

1. One forward + backward pass of the AZLS network at (n, d_in, d_out, m, L) = (100, 100, 1, 4096, 5),
   median over repeats, and its ratio to the dense products it cannot avoid, timed in the same run on the
   same arrays: per layer the forward n×m·m×m product, the backward n×m·m×m product (not needed below the
   lowest trained layer) and the weight-gradient m×n·n×m product, plus the n×d_in·d_in×m input layer.
   Target: ratio ≤ 1.5.
2. The empirical NTK of the trained layers at n = 32, d_in = 64, d_out = 1, m = 1024, L = 2 (median), in
   float64 and in float32 (the same weights rounded; see ``lemmas.core.deep`` on precision).
3. The operand order of the core's skinny products (``deep._neurons``), for U of 32 rows and a
   1024 × 1024 W, in both floating types, interleaved round after round: forward U Wᵀ against (W Uᵀ)ᵀ and
   backward U W against (Wᵀ Uᵀ)ᵀ (the swapped forms as column-major views, as the core returns them).
   The core uses the order that was faster here per type; rerun this after a BLAS change.

Run: python benchmarks/bench_deep.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

from lemmas.core import deep, deep_kernels

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_all import interleaved_medians, median_seconds  # noqa: E402

TARGET_RATIO = 1.5


def bench_forward_backward(n: int = 100, d_in: int = 100, d_out: int = 1, m: int = 4096, L: int = 5, repeats: int = 7) -> dict[str, float]:
    rng = np.random.default_rng(0)
    param = deep.azls(d_in, m, L, d_out)
    weights = deep.init_params(param, rng)
    X = deep.make_inputs(param, rng.standard_normal((n, d_in)))
    Y = rng.standard_normal((n, d_out))

    def ours() -> None:
        cache = deep.forward(param, weights, X)
        deep.backward(param, weights, cache, cache.out - Y)

    H = np.abs(rng.standard_normal((n, m)))
    delta = rng.standard_normal((n, m))

    def gemms() -> None:
        X @ weights.A.T
        for ell, W in enumerate(weights.Ws, start=1):
            H @ W.T                      # forward
            delta.T @ H                  # weight gradient
            if ell > param.trained[0]:
                delta @ W                # backward to h_{ℓ−1}

    t_ours = median_seconds(ours, repeats)
    t_gemm = median_seconds(gemms, repeats)
    return {"ours_s": t_ours, "gemm_s": t_gemm, "ratio": t_ours / t_gemm}


def bench_ntk(n: int = 32, d_in: int = 64, d_out: int = 1, m: int = 1024, L: int = 2, repeats: int = 15) -> dict[str, float]:
    """Median seconds of the empirical NTK per floating type, interleaved."""
    fns = {}
    for dtype in (np.float64, np.float32):
        rng = np.random.default_rng(1)
        param = deep.azls(d_in, m, L, d_out)
        weights = deep.init_params(param, rng, dtype=dtype)
        X = deep.make_inputs(param, rng.standard_normal((n, d_in)))
        fns[np.dtype(dtype).name] = lambda param=param, weights=weights, X=X: deep_kernels.empirical_ntk(param, weights, X)
    return interleaved_medians(fns, repeats)


def bench_operand_order(rows: int = 32, m: int = 1024, repeats: int = 21) -> dict[str, float]:
    """Median seconds of the forward and backward products in both operand orders, per floating type."""
    rng = np.random.default_rng(2)
    fns = {}
    for dtype in (np.float64, np.float32):
        U = rng.standard_normal((rows, m)).astype(dtype)
        W = rng.standard_normal((m, m)).astype(dtype)
        name = np.dtype(dtype).name
        fns[f"{name} forward U Wᵀ"] = lambda U=U, W=W: U @ W.T
        fns[f"{name} forward (W Uᵀ)ᵀ"] = lambda U=U, W=W: (W @ U.T).T
        fns[f"{name} backward U W"] = lambda U=U, W=W: U @ W
        fns[f"{name} backward (Wᵀ Uᵀ)ᵀ"] = lambda U=U, W=W: (W.T @ U.T).T
    return interleaved_medians(fns, repeats)


def main() -> None:
    blas = [(i.get("internal_api"), i.get("num_threads")) for i in threadpool_info()]
    print(f"BLAS (api, threads): {blas}")
    fb = bench_forward_backward()
    verdict = "meets" if fb["ratio"] <= TARGET_RATIO else "MISSES"
    print(
        "forward+backward (n, d_in, d_out, m, L) = (100, 100, 1, 4096, 5): "
        f"median {fb['ours_s'] * 1e3:.1f} ms; unavoidable GEMMs {fb['gemm_s'] * 1e3:.1f} ms; "
        f"ratio {fb['ratio']:.2f} ({verdict} the target <= {TARGET_RATIO})"
    )
    ntk = bench_ntk()
    print("empirical NTK (n, d_in, d_out, m, L) = (32, 64, 1, 1024, 2): "
          + ", ".join(f"{name} median {t * 1e3:.2f} ms" for name, t in ntk.items())
          + f"; float64 / float32 = {ntk['float64'] / ntk['float32']:.2f}")
    order = bench_operand_order()
    for name in ("float64", "float32"):
        for pass_, plain, swapped in (("forward", "U Wᵀ", "(W Uᵀ)ᵀ"), ("backward", "U W", "(Wᵀ Uᵀ)ᵀ")):
            t_plain, t_swapped = order[f"{name} {pass_} {plain}"], order[f"{name} {pass_} {swapped}"]
            print(f"{name} {pass_}, U 32 × 1024, W 1024 × 1024: {plain} {t_plain * 1e3:.3f} ms, {swapped} "
                  f"{t_swapped * 1e3:.3f} ms, ratio {t_plain / t_swapped:.2f} (> 1: weights on the left are faster)")


if __name__ == "__main__":
    main()
