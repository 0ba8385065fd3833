"""Perturbations of the trained weights inside spectral-norm balls ‖W′_ℓ‖₂ ≤ ω_ℓ.

The perturbation lemmas (azls2018.md §3.7–3.10, zou2018.md Theorem 5.3 / Lemma B.3) hold *for all*
perturbations in the ball, so checks need the worst case, not a random point (azls2018.md §6.0 (i)–(v)):
* :func:`random_perturbation`: Gaussian directions scaled to spectral norm exactly ω (the control: Θ(mω)
  sign flips, azls2018.md §3.7).
* :func:`sign_flip_perturbation`: the adversarial construction of azls2018.md §3.7 / zou2018.md Lemma B.3:
  push the neurons with the smallest |g| across zero along the input direction (rank one for one input,
  exactly optimal: it attains :func:`one_layer_flip_certificate`); for several inputs the rank-s version
  W′ = Uᵀ(HHᵀ)⁻¹H of azls2018.md §6.7 (a construction, not a certificate). Θ(mω^{2/3}) flips.
* :func:`greedy_sign_flip`: the layerwise greedy deep construction (azls2018.md §3.7 [M], §6.7).
* :func:`projected_ascent`: projected gradient ascent of a user objective over the product of balls,
  projection = clipping singular values (azls2018.md §6.0 (iv)), with restarts.
* :func:`sign_changes`: ‖D′_{i,ℓ}‖₀ between two forward passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import scipy.linalg
from scipy.sparse.linalg import svds

from lemmas.core.deep import DeepParameterization, DeepWeights, ForwardCache, forward, layer_input
from lemmas.core.validation import InputError, as_matrix

#: Up to this smaller dimension the spectral norm comes from a full LAPACK SVD; above, from Lanczos (ARPACK,
#: tol = 0, i.e. machine precision), which agreed with LAPACK to 2e-15 relative at m = 2048.
EXACT_SVD_LIMIT = 512


def spectral_norm(M: np.ndarray) -> float:
    """‖M‖₂, the largest singular value."""
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2:
        raise InputError(f"spectral_norm: expected a matrix, got shape {M.shape}")
    if not np.any(M):
        return 0.0
    if min(M.shape) <= EXACT_SVD_LIMIT:
        return float(scipy.linalg.svdvals(M)[0])
    v0 = np.ones(min(M.shape)) / np.sqrt(min(M.shape))
    return float(svds(M, k=1, tol=0, return_singular_vectors=False, v0=v0)[0])


def _budgets(omega: float | Sequence[float], count: int) -> list[float]:
    budgets = [float(omega)] * count if np.isscalar(omega) else [float(w) for w in omega]
    if len(budgets) != count or any(not (w >= 0 and np.isfinite(w)) for w in budgets):
        raise InputError(f"omega: expected a non-negative budget or {count} of them, got {omega!r}")
    return budgets


def random_perturbation(rng: np.random.Generator, shapes: Sequence[tuple[int, int]], omega: float | Sequence[float]) -> list[np.ndarray]:
    """For each shape, ω·G/‖G‖₂ with G standard Gaussian: a uniformly random direction at spectral norm ω."""
    out = []
    for shape, w in zip(shapes, _budgets(omega, len(shapes))):
        G = rng.standard_normal(shape)
        out.append(G * (w / spectral_norm(G)) if w > 0 else np.zeros(shape))
    return out


def project_spectral_ball(Delta: np.ndarray, omega: float) -> np.ndarray:
    """The Frobenius-nearest matrix with ‖·‖₂ ≤ ω: singular values clipped at ω (one SVD unless ‖Δ‖_F ≤ ω)."""
    Delta = np.asarray(Delta, dtype=np.float64)
    if np.linalg.norm(Delta) <= omega:
        return Delta
    U, s, Vt = np.linalg.svd(Delta, full_matrices=False)
    return (U * np.minimum(s, omega)) @ Vt


def one_layer_flip_certificate(g: np.ndarray, h_norm: float, omega: float, gain: float = 1.0) -> int:
    """The largest number of indicators of g one perturbation ‖W′‖₂ ≤ ω can flip for one input:
    max{s : Σ_{k≤s} g_(k)² < (gain·ω·‖h‖)²}, g_(k) ordered by |g| (azls2018.md §3.7, zou2018.md Lemma B.3)."""
    g = np.sort(np.abs(np.asarray(g, dtype=np.float64).ravel()))
    return int(np.searchsorted(np.cumsum(g * g), (gain * omega * h_norm) ** 2, side="left"))


def sign_flip_perturbation(H: object, G: object, omega: float, *, gain: float = 1.0) -> np.ndarray:
    """An adversarial W′ (m × f) with ‖W′‖₂ = ω that flips many signs of G + gain·H W′ᵀ.

    H (s × f): the layer inputs of s samples (rows, linearly independent); G (s × m): their current
    pre-activations; ``gain``: the factor of W′ in g (τ for residual blocks). For a level t, every entry
    with |g_ik| ≤ t is moved to g_ik(1 − c), c > 1, by W′ = −c·U₀ᵀ(HHᵀ)⁻¹H with U₀ = G·𝕀{|G| ≤ t}/gain, whose
    norm is c·‖U₀ᵀ(HHᵀ)^{−1/2}‖₂. The largest t with norm < ω at c = 1 is found by bisection, then c scales
    the norm to ω exactly. For s = 1 this is the rank-one optimum (:func:`one_layer_flip_certificate`).
    Returns the zero matrix if not even the smallest |g| can be flipped.
    """
    H = as_matrix("H", H)
    G = as_matrix("G", G, rows=H.shape[0])
    if not (omega >= 0 and np.isfinite(omega)) or not gain > 0:
        raise InputError(f"sign_flip_perturbation: need omega >= 0 and gain > 0, got {omega}, {gain}")
    Q, R = np.linalg.qr(H.T)  # H = RᵀQᵀ, so (HHᵀ)⁻¹H = R⁻¹Qᵀ and ‖U₀ᵀR⁻¹Qᵀ‖₂ = ‖R⁻ᵀU₀‖₂
    diag = np.abs(np.diag(R))
    if H.shape[0] > H.shape[1] or diag.min() <= 1e-12 * diag.max():
        raise InputError("H: the rows (layer inputs) must be linearly independent for a joint perturbation")
    absG = np.abs(G)
    levels = np.unique(absG)

    def solved(t: float) -> np.ndarray:
        U0 = np.where(absG <= t, G, 0.0) / gain
        return scipy.linalg.solve_triangular(R, U0, trans="T")

    def norm_at(t: float) -> float:
        P = solved(t)
        return float(np.sqrt(max(np.linalg.eigvalsh(P @ P.T)[-1], 0.0)))

    lo, hi = -1, levels.size  # invariant: levels[lo] feasible (or lo = −1), levels[hi] infeasible (or hi = size)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if norm_at(levels[mid]) < omega:
            lo = mid
        else:
            hi = mid
    P = solved(levels[lo]) if lo >= 0 else None
    if P is None or not np.any(P):
        return np.zeros((G.shape[1], H.shape[1]))
    return -(omega / scipy.linalg.svdvals(P)[0]) * (P.T @ Q.T)


def layer_sign_flip(
    param: DeepParameterization, cache: ForwardCache, layer: int, omega: float, *, samples: object = None
) -> np.ndarray:
    """:func:`sign_flip_perturbation` for W_layer of a network, at the inputs ``samples`` (default all)."""
    if not 1 <= int(layer) <= param.L:
        raise InputError(f"layer: expected 1..{param.L}, got {layer}")
    layer = int(layer)
    idx = np.arange(cache.n) if samples is None else np.atleast_1d(np.asarray(samples))
    H = layer_input(param, cache.h[layer - 1][idx])
    G = cache.g[layer][idx].reshape(H.shape[0], param.channels(layer))
    return sign_flip_perturbation(H, G, omega, gain=param.layer_scale(layer))


def greedy_sign_flip(
    param: DeepParameterization, weights: DeepWeights, X: object, omega: float | Sequence[float], *,
    layers: object = None, samples: object = None,
) -> list[np.ndarray | None]:
    """Layerwise greedy adversary (azls2018.md §3.7 [M], §6.7): for ℓ = 1..L in order, the sign-flip
    perturbation of W_ℓ at the current (already perturbed) network. Returns Δ aligned with ``weights.Ws``
    (None for untouched layers); apply with ``weights.perturbed(deltas)``."""
    layers = param.trained if layers is None else tuple(sorted({int(ell) for ell in layers}))
    budgets = _budgets(omega, param.L)
    X = np.asarray(X, dtype=np.float64)
    Xs = X if samples is None else X[np.atleast_1d(np.asarray(samples))]
    deltas: list[np.ndarray | None] = [None] * param.L
    current = weights
    for ell in layers:
        cache = forward(param, current, Xs)
        deltas[ell - 1] = layer_sign_flip(param, cache, ell, budgets[ell - 1])
        current = weights.perturbed(deltas)
    return deltas


def sign_changes(cache_a: ForwardCache, cache_b: ForwardCache) -> np.ndarray:
    """‖D′_{i,ℓ}‖₀: the number of changed indicators per layer ℓ = 0..L and sample i, an (L+1) × n array
    (row 0 is zero when there is no input layer)."""
    if len(cache_a.D) != len(cache_b.D) or cache_a.n != cache_b.n:
        raise InputError("sign_changes: the two forward caches have different depths or sample counts")
    counts = np.zeros((len(cache_a.D), cache_a.n), dtype=np.int64)
    for ell, (Da, Db) in enumerate(zip(cache_a.D, cache_b.D)):
        if Da is not None:
            counts[ell] = np.count_nonzero(Da != Db, axis=1)
    return counts


@dataclass(frozen=True)
class AscentResult:
    """Best objective value found, the point W = W0 + Δ where it was found, and each restart's best value."""

    value: float
    point: list[np.ndarray]
    deltas: list[np.ndarray]
    restart_values: list[float]


def projected_ascent(
    objective_and_grad: Callable[[list[np.ndarray]], tuple[float, Sequence[np.ndarray]]],
    W0: Sequence[np.ndarray], omega: float | Sequence[float], steps: int, rng: np.random.Generator, *,
    restarts: int = 3, step: float = 0.5,
) -> AscentResult:
    """Maximize f(W0 + Δ) over ‖Δ_ℓ‖₂ ≤ ω_ℓ by projected gradient ascent (azls2018.md §6.0 (iv)–(v)).

    ``objective_and_grad(W)`` returns f(W) and ∂f/∂W_ℓ for every matrix of W. Steps
    Δ_ℓ ← Π_ℓ(Δ_ℓ + a_t ω_ℓ ∇_ℓ/‖∇_ℓ‖_F) with a_t = step/√(t+1); restart 0 starts at Δ = 0, the others at a
    random point of the ball. A layer with ω_ℓ = 0 stays fixed. Each projection costs one SVD per layer.
    """
    W0 = [np.asarray(W, dtype=np.float64) for W in W0]
    budgets = _budgets(omega, len(W0))
    if int(steps) < 1 or int(restarts) < 1:
        raise InputError(f"projected_ascent: need steps >= 1 and restarts >= 1, got {steps}, {restarts}")
    best_value, best_deltas, restart_values = -np.inf, [np.zeros_like(W) for W in W0], []
    for r in range(int(restarts)):
        if r == 0:
            deltas = [np.zeros_like(W) for W in W0]
        else:
            radii = [w * rng.uniform() for w in budgets]
            deltas = random_perturbation(rng, [W.shape for W in W0], radii)
        run_best = -np.inf
        for t in range(int(steps) + 1):
            value, grads = objective_and_grad([W + D for W, D in zip(W0, deltas)])
            if not np.isfinite(value):
                raise InputError(f"projected_ascent: the objective returned {value}")
            run_best = max(run_best, value)
            if value > best_value:
                best_value, best_deltas = value, [D.copy() for D in deltas]
            if t == steps:
                break
            a_t = step / np.sqrt(t + 1.0)
            for k, (D, Gk, w) in enumerate(zip(deltas, grads, budgets)):
                norm = np.linalg.norm(Gk)
                if w > 0 and norm > 0:
                    deltas[k] = project_spectral_ball(D + (a_t * w / norm) * np.asarray(Gk), w)
        restart_values.append(float(run_best))
    return AscentResult(float(best_value), [W + D for W, D in zip(W0, best_deltas)], best_deltas, restart_values)
