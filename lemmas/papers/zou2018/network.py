"""A thin adapter over :mod:`lemmas.core.deep` in Zou et al.'s notation (zou2018.md §1.2–1.6).

The core stores W_l as ``Ws[l-1]`` = the paper's W_lᵀ (m_l × m_{l−1}, row j = node j), so the paper's
Σ_{l,i}W_lᵀ is ``D[l][i][:, None] * Ws[l-1]`` and x_{l,i} = ``cache.h[l][i]``. What this module adds:

* :func:`init_representations`: the exact law of the forward pass at the Gaussian initialization, sampled
  through the n × n Gram matrices (given X_{l−1}, the pre-activations X_{l−1}W_l have i.i.d. columns
  N(0, (2/m_l) X_{l−1}X_{l−1}ᵀ)). It costs O(n·m) per layer instead of O(m²), which is what makes the
  probability checks of Theorem 5.1 feasible at widths 10⁴–10⁵. It is a sampler of the same law, not a second
  network: the unit tests compare its law with :func:`lemmas.core.deep.forward`.
* explicit products Π_{r=l1}^{l2} Σ_{r,i}W_rᵀ, the vectors u = (Π_{r=l}^{L} Σ_{r,i}W_rᵀ)ᵀv and b_{l,i},
  the gradient of a bilinear form aᵀΠb in the weights (masks held fixed), top-s norms;
* GD/SGD trajectories with the quantities the lemmas talk about (loss, training error, distance from init).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from lemmas.core import deep
from lemmas.core.deep import DeepParameterization, DeepWeights, ForwardCache
from lemmas.core.perturb import spectral_norm
from lemmas.core.validation import InputError
from lemmas.papers.zou2018.losses import Loss


def network(d: int, widths: Sequence[int], mu: float | None = None) -> DeepParameterization:
    """Zou et al.'s parameterization (:func:`lemmas.core.deep.zou`)."""
    return deep.zou(d, tuple(int(w) for w in widths), mu=mu)


# --------------------------------------------------------------------------------------------------
# The law of the forward pass at initialization
# --------------------------------------------------------------------------------------------------


def psd_factor(K: np.ndarray) -> np.ndarray:
    """F with FFᵀ = K for a symmetric positive semi-definite K (eigen-decomposition; tiny negative
    eigenvalues from rounding are clipped to 0, so exact duplicates of inputs are allowed)."""
    w, U = np.linalg.eigh(K)
    return U * np.sqrt(np.clip(w, 0.0, None))


@dataclass(frozen=True)
class InitPass:
    """Pre-activations G[l] = X_{l−1}W_l and representations H[l] = σ(G[l]) for l = 1..L (H[0] = X), and ŷ."""

    G: tuple[np.ndarray, ...]
    H: tuple[np.ndarray, ...]
    out: np.ndarray


def init_representations(rng: np.random.Generator, X: np.ndarray, widths: Sequence[int]) -> InitPass:
    """Sample (G_l, x_l)_{l ≤ L} and ŷ = vᵀx_L jointly for all n inputs at a fresh Gaussian initialization
    (entries of W_l ~ N(0, 2/m_l); v half +1, half −1): exact in law, O(n·m_l) work per layer."""
    if int(widths[-1]) % 2:
        raise InputError(f"v has half +1 and half −1 entries, so m_L must be even, got {widths[-1]}")
    H = [np.asarray(X, dtype=np.float64)]
    G: list[np.ndarray] = [None]  # type: ignore[list-item]
    for width in widths:
        F = psd_factor(H[-1] @ H[-1].T)
        Gl = np.sqrt(2.0 / width) * (F @ rng.standard_normal((F.shape[1], int(width))))
        G.append(Gl)
        H.append(np.maximum(Gl, 0.0))
    v = rng.permutation(np.repeat([1.0, -1.0], int(widths[-1]) // 2))
    return InitPass(G=tuple(G), H=tuple(H), out=H[-1] @ v)


# --------------------------------------------------------------------------------------------------
# Products, back vectors, sparse forms
# --------------------------------------------------------------------------------------------------


def masked_layer(weights: DeepWeights, cache: ForwardCache, i: int, r: int) -> np.ndarray:
    """Σ_{r,i}W_rᵀ as an m_r × m_{r−1} matrix."""
    return cache.D[r][i][:, None] * weights.Ws[r - 1]


def product(weights: DeepWeights, cache: ForwardCache, i: int, l1: int, l2: int, *, leading_weight: bool = False) -> np.ndarray:
    """Π_{r=l1}^{l2} Σ_{r,i}W_rᵀ (m_{l2} × m_{l1−1}); with ``leading_weight`` the form of Theorem 5.1(v),
    W_{l2}ᵀ Π_{r=l1}^{l2−1} Σ_{r,i}W_rᵀ (no mask on the last factor)."""
    P = np.eye(weights.Ws[l1 - 1].shape[1])
    for r in range(l1, l2 + 1):
        P = (weights.Ws[r - 1] if (leading_weight and r == l2) else masked_layer(weights, cache, i, r)) @ P
    return P


def u_vectors(param: DeepParameterization, weights: DeepWeights, cache: ForwardCache, l: int) -> np.ndarray:
    """u_{l,i} = (Π_{r=l}^{L} Σ_{r,i}W_rᵀ)ᵀv = ∂ŷ_i/∂x_{l−1,i}, an n × m_{l−1} array (Lemma A.9's u)."""
    return deep.back_vectors(param, weights, cache, l)[:, 0, :]


def b_vectors(param: DeepParameterization, weights: DeepWeights, cache: ForwardCache, l: int) -> np.ndarray:
    """b_{l,i} = Σ_{l,i}(Π_{r=l+1}^{L}Σ_{r,i}W_rᵀ)ᵀv (zou2018.md §1.5), so ∇_{W_l}f(x_i) = x_{l−1,i}b_{l,i}ᵀ."""
    return cache.D[l] * deep.back_vectors(param, weights, cache, l + 1)[:, 0, :]


def top_s_norm(u: np.ndarray, s: int) -> np.ndarray:
    """‖top_s(|u|)‖₂ along the last axis: sup of ⟨u, a⟩ over unit s-sparse a (exact)."""
    u = np.asarray(u, dtype=np.float64)
    s = min(int(s), u.shape[-1])
    part = -np.partition(-np.abs(u), s - 1, axis=-1)[..., :s]
    return np.sqrt(np.sum(part * part, axis=-1))


def top_s_vector(u: np.ndarray, s: int) -> np.ndarray:
    """The unit s-sparse a that attains ⟨u, a⟩ = ‖top_s(|u|)‖₂."""
    a = np.zeros_like(u)
    idx = np.argpartition(-np.abs(u), min(s, u.size) - 1)[: min(s, u.size)]
    a[idx] = u[idx]
    norm = np.linalg.norm(a)
    return a / norm if norm > 0 else a


def bilinear_gradient(weights: DeepWeights, cache: ForwardCache, i: int, l1: int, l2: int,
                      left: np.ndarray, right: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """f = leftᵀ(Π_{r=l1}^{l2} Σ_{r,i}W_rᵀ)right and ∂f/∂W_r (core orientation; masks held fixed), for the
    projected ascent of the worst cases of Lemmas B.1/B.2. Returns (f, grads aligned with ``weights.Ws``; zero
    outside l1..l2)."""
    forward_vecs = [np.asarray(right, dtype=np.float64)]
    for r in range(l1, l2 + 1):
        forward_vecs.append(cache.D[r][i] * (weights.Ws[r - 1] @ forward_vecs[-1]))
    value = float(np.asarray(left) @ forward_vecs[-1])
    grads = [np.zeros_like(W) for W in weights.Ws]
    back = np.asarray(left, dtype=np.float64)
    for r in range(l2, l1 - 1, -1):
        masked = cache.D[r][i] * back
        grads[r - 1] = np.outer(masked, forward_vecs[r - l1])
        back = weights.Ws[r - 1].T @ masked
    return value, grads


# --------------------------------------------------------------------------------------------------
# Losses, gradients and trajectories
# --------------------------------------------------------------------------------------------------


def train_error(out: np.ndarray, y: np.ndarray) -> float:
    """Fraction of inputs with y_iŷ_i ≤ 0."""
    return float(np.mean(np.asarray(out).ravel() * np.asarray(y) <= 0.0))


def max_distance(weights: DeepWeights, start: DeepWeights) -> float:
    """max_l ‖W_l − W_l^(0)‖₂."""
    return max(spectral_norm(W - W0) for W, W0 in zip(weights.Ws, start.Ws))


@dataclass
class Trajectory:
    """GD/SGD records: L_S, training error, ‖∇_{W_L}L_S‖_F² and Σ_iℓ′_i at every step; distance from init and
    the largest fraction of changed signs at the record steps."""

    loss: list[float] = field(default_factory=list)
    error: list[float] = field(default_factory=list)
    last_grad_sq: list[float] = field(default_factory=list)
    sum_lprime: list[float] = field(default_factory=list)
    record_steps: list[int] = field(default_factory=list)
    distance: list[float] = field(default_factory=list)
    flips: list[float] = field(default_factory=list)
    final: DeepWeights | None = None


def run(param: DeepParameterization, weights: DeepWeights, X: np.ndarray, y: np.ndarray, loss: Loss, eta: float,
        steps: int, *, batch: int | None = None, rng: np.random.Generator | None = None,
        record_every: int | None = None) -> Trajectory:
    """``steps`` GD steps (``batch=None``) or SGD steps with uniform size-B subsets (zou2018.md §1.6).
    Records L_S(W^(k)) and the training error for k = 0..steps, and every ``record_every`` steps the distance
    max_l‖W_l^(k) − W_l^(0)‖₂ and the largest fraction of changed activation signs max_{l,i}‖Σ^(k) − Σ^(0)‖₀/m_l."""
    start, current = weights, weights
    traj = Trajectory()
    first = deep.forward(param, start, X)
    for step in range(steps + 1):
        full = deep.loss_and_grad(param, current, X, y, loss=loss.pair)
        traj.loss.append(full.value)
        traj.error.append(train_error(full.cache.out, y))
        traj.last_grad_sq.append(float(np.sum(full.grads[-1] ** 2)))
        traj.sum_lprime.append(float(np.sum(loss.d1(np.asarray(y) * full.cache.out[:, 0]))))
        if record_every and (step % record_every == 0 or step == steps):
            from lemmas.core.perturb import sign_changes

            counts = sign_changes(first, full.cache)[1:]
            widths = np.asarray(param.widths, dtype=float)[:, None]
            traj.record_steps.append(step)
            traj.distance.append(max_distance(current, start))
            traj.flips.append(float(np.max(counts / widths)))
        if step == steps:
            break
        if batch is None:
            current = current.perturbed([-eta * G for G in full.grads])
        else:
            idx = deep.sample_batch(rng, X.shape[0], batch)
            current, _ = deep.sgd_step(param, current, X, y, idx, eta, loss=loss.pair)
    traj.final = current
    return traj
