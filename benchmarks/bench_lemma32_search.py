"""Speed of a Lemma 3.2 worst-case search: incremental Gram updates against recomputing H per candidate.

    /work/venv/bin/python benchmarks/bench_lemma32_search.py [--n 100] [--m 100000] [--d 50] [--delta 0.5]
        [--radius-factor 1] [--repeats 3] [--threads 1]

One initialisation W(0) at (n, m); the search of ``lemmas.search.gram_flips.flip_search`` over the ball
‖w_r − w_r(0)‖ ≤ R with Lemma 3.2's radius R = cδλ0/n² (times ``--radius-factor``), once per objective
(‖H − H(0)‖₂ up, λ_min(H) down). Both variants run the same search (same candidates, same trajectory, checked
equal); they differ only in how H is obtained for a candidate: updated from the flipped pairs (O(n) per flipped
pair, plus the spectral step) or recomputed from the explicit W (the chunked H(W) kernel, O(n²m)). Prints the
medians over ``--repeats`` and their ratio, measured in this run, with BLAS pinned to ``--threads`` threads.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from lemmas.core import data
from lemmas.core.twolayer import init_two_layer, pattern_counts
from lemmas.papers.du2018.lemma3_2 import LEMMA
from lemmas.certify import certified_lambda0
from lemmas.search.gram_flips import (
    MinEigObjective,
    NormObjective,
    flip_search,
    flippable_pairs,
    incremental_state,
    recomputed_state,
)


def timed_search(X, W0, counts0, flips, radius, objective_type, state, repeats: int, seed: int):  # noqa: ANN001, ANN201
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = flip_search(X, W0, counts0, flips, radius, objective_type(), np.random.default_rng(seed), state=state)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--m", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--delta", type=float, default=0.5)
    parser.add_argument("--radius-factor", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, BLAS threads {args.threads}; "
          f"medians of {args.repeats} searches")

    with threadpool_limits(limits=args.threads, user_api="blas"):
        rng = np.random.default_rng(20181005)
        X = data.sphere(rng, args.n, args.d)
        lam_lo, _ = certified_lambda0(X)
        radius = args.radius_factor * LEMMA.bounds()("R", n=args.n, delta=args.delta, lambda0=lam_lo)
        W0, _ = init_two_layer(rng, args.m, args.d)
        start = time.perf_counter()
        counts0 = pattern_counts(X, W0)
        flips = flippable_pairs(X, W0, radius)
        setup = time.perf_counter() - start
        print(f"(n, m, d) = ({args.n}, {args.m}, {args.d}), δ = {args.delta}, λ0 ≥ {lam_lo:.4f}, R = {radius:.3e} "
              f"({args.radius_factor:g} × Lemma 3.2's); {flips.pairs} flippable pairs on {flips.neurons.size} neurons; "
              f"setup (pattern counts + flippable scan, shared) {setup:.2f} s")
        for objective_type, label in ((NormObjective, "max ‖H − H(0)‖₂"), (MinEigObjective, "min λ_min(H)")):
            fast, res_fast = timed_search(X, W0, counts0, flips, radius, objective_type, incremental_state, args.repeats, 1)
            slow, res_slow = timed_search(X, W0, counts0, flips, radius, objective_type, recomputed_state, args.repeats, 1)
            same = res_fast.value == res_slow.value and np.array_equal(res_fast.counts, res_slow.counts)
            evals = res_fast.evaluations
            print(f"{label}: {evals} candidates, {res_fast.flipped_pairs} pairs flipped at the optimum (value {res_fast.value:.6g}); "
                  f"incremental {fast * 1e3:.1f} ms ({fast / max(evals, 1) * 1e3:.3f} ms/candidate), "
                  f"recomputed {slow:.2f} s ({slow / max(evals, 1) * 1e3:.1f} ms/candidate); "
                  f"speed-up {slow / fast:.0f}x; identical results: {same}")


if __name__ == "__main__":
    main()
