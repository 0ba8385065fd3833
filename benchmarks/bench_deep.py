"""Benchmark of the deep ReLU core (lemmas.core.deep, deep_kernels).

1. One forward + backward pass of the AZLS network at (n, d_in, d_out, m, L) = (100, 100, 1, 4096, 5),
   median over repeats, and its ratio to the dense products it cannot avoid, timed in the same run on the
   same arrays: per layer the forward n×m·m×m product, the backward n×m·m×m product (not needed below the
   lowest trained layer) and the weight-gradient m×n·n×m product, plus the n×d_in·d_in×m input layer.
   Target: ratio ≤ 1.5.
2. The empirical NTK of the trained layers at n = 32, d_in = 64, d_out = 1, m = 1024, L = 2 (median).

Run: python benchmarks/bench_deep.py
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_info

from lemmas.core import deep, deep_kernels

TARGET_RATIO = 1.5


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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


def bench_ntk(n: int = 32, d_in: int = 64, d_out: int = 1, m: int = 1024, L: int = 2, repeats: int = 7) -> float:
    rng = np.random.default_rng(1)
    param = deep.azls(d_in, m, L, d_out)
    weights = deep.init_params(param, rng)
    X = deep.make_inputs(param, rng.standard_normal((n, d_in)))
    return median_seconds(lambda: deep_kernels.empirical_ntk(param, weights, X), repeats)


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
    print(f"empirical NTK (n, d_in, d_out, m, L) = (32, 64, 1, 1024, 2): median {bench_ntk() * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
