"""Gradient-descent and SGD runs of the AZLS network at feasible widths (Theorems 1 and 2, slack evidence).

Theorems 1–2 need m ≥ Ω(n^{24}L^{12}d log⁵m/δ⁸) (n = 2, L = 2, δ = 0.5 already gives m ≈ 5·10^{21}, azls2018.md §6.0),
so every run here is outside the hypotheses and reported as slack evidence (azls2018.md §6.15): the observed
per-step contraction, the movement max_t ‖W⃗(t) − W⃗(0)‖_F against ω_GD, and the fraction of flipped signs.
The step is η = c/λ_max(K(W⃗(0))) (∝ d/m as the theorems' η, with the constant fitted to the kernel instead
of the unknown Θ(·)); SGD uses mini-batches of size b with the n/b scaling of azls2018.md §1.8 and η·b/n.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from lemmas.core import deep
from lemmas.core.deep_kernels import empirical_ntk
from lemmas.core.perturb import sign_changes
from lemmas.papers.azls2018.networks import labels, min_distance, network


def train(theta: Mapping[str, Any], rng: np.random.Generator, *, batch: int | None = None) -> dict[str, Any]:
    """Run T = ``steps`` GD (or SGD with ``batch``) steps; return the quantities the Theorem 1/2 checks compare."""
    param, weights, X = network(theta, rng)
    n, L = X.shape[0], param.L
    Y = labels(theta, n)
    K0 = empirical_ntk(param, weights, X)
    lam = np.linalg.eigvalsh(K0)
    eta = float(theta.get("eta_scale", 1.0)) / lam[-1]
    if batch is not None:
        eta *= batch / n
    steps = int(theta["steps"])
    start = deep.forward(param, weights, X)
    F0 = deep.square_loss(start.out, Y)[0]
    W, movement = weights, 0.0
    for _ in range(steps):
        if batch is None:
            W, _ = deep.gd_step(param, W, X, Y, eta)
        else:
            W, _ = deep.sgd_step(param, W, X, Y, deep.sample_batch(rng, n, batch), eta)
        movement = max(movement, math.sqrt(sum(float(np.sum((A - B) ** 2)) for A, B in zip(W.Ws, weights.Ws))))
    end = deep.forward(param, W, X)
    FT = deep.square_loss(end.out, Y)[0]
    rate = 1.0 - (FT / F0) ** (1.0 / steps)
    flips = int(sign_changes(start, end)[1:].sum())
    return {
        "eta": float(eta), "F0": float(F0), "FT": float(FT), "rate": float(rate),
        "ntk_rate": float(1.0 - (1.0 - eta * lam[0]) ** 2), "movement": movement,
        "flip_fraction": flips / (n * param.widths[0] * L), "delta_sep": min(min_distance(X), 1.0 / L),
    }
