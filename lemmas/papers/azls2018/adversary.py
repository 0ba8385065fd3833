"""Worst-case searches over the spectral ball ‖W′_ℓ‖₂ ≤ ω shared by the AZLS perturbation lemmas.

azls2018.md §6.0 asks for the worst case over random points, greedy sign-flip constructions and projected
gradient ascent with restarts, reporting which method found it. :func:`worst_shift` does that for the shift of
the hidden layers, max_ℓ ‖h_ℓ(W + W′) − h_ℓ(W)‖, or of the outputs, ‖B(h_L(W + W′) − h_L(W))‖ (``readout``).
The ascent runs on the last layer's shift (where the shifts accumulate) with factored perturbations
(:func:`lemmas.core.deep_search.lowrank_ascent`), started from the greedy sign-flip point, from 0 and from a
random point; every candidate is then scored on the measured quantity.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from lemmas.core import deep
from lemmas.core.deep import DeepParameterization, DeepWeights
from lemmas.core.deep_search import factorize, hidden_gradient_factors, lowrank_ascent, spectral_norm_factors
from lemmas.core.perturb import greedy_sign_flip


def shift_objective(param: DeepParameterization, weights: DeepWeights, X: np.ndarray, *, readout: bool = False) -> Callable:
    """f(W) = ½ Σ_i ‖h_{i,L}(W) − h_{i,L}(W̆)‖² (or of B(·) with ``readout``), gradient as low-rank factors."""
    h_ref = deep.forward(param, weights, X).h[-1]

    def objective(Ws: list[np.ndarray]):
        point = weights.with_Ws(Ws)
        cache = deep.forward(param, point, X)
        diff = cache.h[-1] - h_ref
        if readout:
            out = diff @ weights.B.T
            return 0.5 * float(np.sum(out * out)), hidden_gradient_factors(param, point, cache, out @ weights.B)
        return 0.5 * float(np.sum(diff * diff)), hidden_gradient_factors(param, point, cache, diff)

    return objective


def shift_size(param: DeepParameterization, weights: DeepWeights, deltas, X: np.ndarray, *, readout: bool = False) -> float:
    """max_{i,ℓ} ‖h_{i,ℓ}(W + W′) − h_{i,ℓ}(W)‖, or max_i ‖B(h_{i,L}(W + W′) − h_{i,L}(W))‖ with ``readout``."""
    base = deep.forward(param, weights, X)
    pert = deep.forward(param, weights.perturbed(deltas), X)
    if readout:
        return float(np.max(np.linalg.norm(pert.out - base.out, axis=1)))
    return max(float(np.max(np.linalg.norm(a - b, axis=1))) for a, b in zip(pert.h[1:], base.h[1:]))


def worst_shift(
    param: DeepParameterization, weights: DeepWeights, X: np.ndarray, omega: float, rng: np.random.Generator, *,
    readout: bool = False, steps: int = 6, restarts: int = 2,
) -> tuple[float, str, float]:
    """The largest shift found over ‖W′_ℓ‖₂ ≤ ω around ``weights``: (value, method, max_ℓ ‖W′_ℓ‖₂ of that W′).

    Candidates: the greedy sign-flip W′ (rank ≤ n per layer; zero when ω cannot flip any sign) and projected
    ascent started from it and from ``restarts`` − 1 random points (not from 0, where the squared shift has zero
    gradient); spectral norms from the low-rank factors (exact for rank ≤ n + 8).
    """
    greedy = greedy_sign_flip(param, weights, X, omega)
    start = [factorize(D, rng, rank=X.shape[0]) for D in greedy]
    ascent = lowrank_ascent(shift_objective(param, weights, X, readout=readout), weights.Ws, omega, steps, rng,
                            restarts=restarts, starts=[start], max_rank=16, zero_start=False)
    best = (-np.inf, "", 0.0)
    for method, deltas, rank in (("projected ascent", ascent.deltas, 16), ("greedy sign flips", greedy, X.shape[0])):
        value = shift_size(param, weights, deltas, X, readout=readout)
        if value > best[0]:
            norm = max(spectral_norm_factors(*factorize(D, rng, rank=rank)) for D in deltas)
            best = (value, method, norm)
    return best
