"""The two-layer ReLU network of Du, Zhai, Póczos, Singh (arXiv 1810.02054v2, eqs. (1)–(6)).

f(W, a, x) = m^{-1/2} Σ_r a_r relu(w_rᵀx), with W ∈ ℝ^{m×d} (rows w_r), a ∈ {±1}^m fixed, loss
L = Σ_i ½(f(x_i) − y_i)², activation indicator 𝕀{w_rᵀx_i ≥ 0} (the paper's footnote 2: σ′(0) := 1).

Everything is processed in chunks over the width m, so memory is bounded by ``n × chunk`` and not by m.
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np
from scipy.linalg import blas

from lemmas.core.validation import InputError, as_matrix, as_vector, unit_rows

#: Default budget of float64 elements in one (n × chunk) block.
BLOCK_ELEMENTS = 1 << 22
#: Pattern counts are accumulated in float32 per chunk; exact while a chunk has at most 2^24 neurons.
_FLOAT32_EXACT = 1 << 24


def default_chunk(n: int, m: int) -> int:
    """A width chunk so that one n × chunk float64 block holds about ``BLOCK_ELEMENTS`` entries."""
    return int(max(1, min(m, _FLOAT32_EXACT, BLOCK_ELEMENTS // max(n, 1))))


def _chunks(m: int, chunk: int) -> Iterator[slice]:
    for start in range(0, m, chunk):
        yield slice(start, min(m, start + chunk))


def init_two_layer(rng: np.random.Generator, m: int, d: int, kappa: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The paper's initialisation: w_r ~ N(0, κ²I) (κ = 1 in DZPS; ADHLW's κ), a_r ~ unif{−1, 1}."""
    if int(m) < 1 or int(d) < 1:
        raise InputError(f"init_two_layer: need m >= 1 and d >= 1, got m={m}, d={d}")
    W = kappa * rng.standard_normal((int(m), int(d)))
    a = rng.choice(np.array([-1.0, 1.0]), size=int(m))
    return W, a


def _check_xw(X: object, W: object) -> tuple[np.ndarray, np.ndarray]:
    X = as_matrix("X", X)
    W = as_matrix("W", W, cols=X.shape[1])
    return X, W


def patterns(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """S ∈ {0,1}^{n×m} with S_ir = 𝕀{w_rᵀx_i ≥ 0} (boolean)."""
    X, W = _check_xw(X, W)
    return (X @ W.T) >= 0.0


def predictions(X: np.ndarray, W: np.ndarray, a: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """u_i = f(W, a, x_i) for every row of X."""
    X, W = _check_xw(X, W)
    a = as_vector("a", a, size=W.shape[0])
    n, m = X.shape[0], W.shape[0]
    chunk = chunk or default_chunk(n, m)
    u = np.zeros(n)
    for sl in _chunks(m, chunk):
        P = X @ W[sl].T
        np.maximum(P, 0.0, out=P)
        u += P @ a[sl]
    return u / math.sqrt(m)


def loss_and_grad(
    X: np.ndarray, W: np.ndarray, a: np.ndarray, y: np.ndarray, chunk: int | None = None
) -> tuple[float, np.ndarray]:
    """Loss L(W) = Σ_i ½(u_i − y_i)² and ∂L/∂W (eq. 4: indicator ``>= 0``), shape (m, d).

    Two width passes: the first computes u, the second the gradient from the stored activation
    patterns (boolean, n × m bytes), so each pass is one GEMM of the shapes the issue names.
    """
    X, W = _check_xw(X, W)
    n, m = X.shape[0], W.shape[0]
    a = as_vector("a", a, size=m)
    y = as_vector("y", y, size=n)
    chunk = chunk or default_chunk(n, m)
    masks = []
    u = np.zeros(n)
    for sl in _chunks(m, chunk):
        P = W[sl] @ X.T                      # chunk × n, so the mask below is contiguous per neuron
        mask = P >= 0.0
        np.maximum(P, 0.0, out=P)
        u += a[sl] @ P
        masks.append(mask)
    u /= math.sqrt(m)
    r = u - y
    grad = np.empty_like(W)
    scale = a / math.sqrt(m)
    for sl, mask in zip(_chunks(m, chunk), masks):
        M = mask * r                          # chunk × n: S_riᵀ (u_i − y_i)
        np.matmul(M, X, out=grad[sl])
        grad[sl] *= scale[sl, None]
    return 0.5 * float(r @ r), grad


def pattern_counts(X: np.ndarray, W: np.ndarray, chunk: int | None = None, weights: np.ndarray | None = None) -> np.ndarray:
    """(SSᵀ)_ij = Σ_r 𝕀{w_rᵀx_i ≥ 0, w_rᵀx_j ≥ 0} (or Σ_r weights_r · 𝕀{…} when ``weights`` is given).

    Unweighted counts use a float32 SYRK of the 0/1 pattern per chunk, exact because a chunk holds at most
    2^24 neurons, accumulated in float64 across chunks (exact up to 2^53).
    """
    X, W = _check_xw(X, W)
    n, m = X.shape[0], W.shape[0]
    chunk = min(chunk or default_chunk(n, m), _FLOAT32_EXACT)
    if weights is not None:
        weights = as_vector("weights", weights, size=m)
    counts = np.zeros((n, n))
    for sl in _chunks(m, chunk):
        P = W[sl] @ X.T                              # chunk × n, C order
        if weights is None:
            S = (P >= 0.0).astype(np.float32).T      # n × chunk, Fortran order: no copy into BLAS
            counts += blas.ssyrk(1.0, S, trans=0, lower=0)
        else:
            S = ((P >= 0.0) * np.sqrt(np.abs(weights[sl]))[:, None]).T
            counts += blas.dsyrk(1.0, S, trans=0, lower=0)
    upper = np.triu(counts)
    return upper + np.triu(upper, 1).T


def gram(X: np.ndarray, W: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """The finite-width Gram matrix H(W)_ij = x_iᵀx_j · |{r : w_rᵀx_i ≥ 0, w_rᵀx_j ≥ 0}| / m (eq. 6)."""
    X, W = _check_xw(X, W)
    return (X @ X.T) * pattern_counts(X, W, chunk) / W.shape[0]


def gram_from_patterns(X: np.ndarray, S: np.ndarray) -> np.ndarray:
    """H = (XXᵀ) ∘ (SSᵀ)/m from an explicit pattern matrix S (n × m, 0/1)."""
    S32 = np.asarray(S, dtype=np.float32)
    return (X @ X.T) * (S32 @ S32.T).astype(np.float64) / S32.shape[1]


def gram_joint(X: np.ndarray, W: np.ndarray, a: np.ndarray, chunk: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Joint-training Gram matrices (App. A.1, eqs. 13–14): H with a_r² weights, and G = relu(XWᵀ)relu(XWᵀ)ᵀ/m."""
    X, W = _check_xw(X, W)
    n, m = X.shape[0], W.shape[0]
    a = as_vector("a", a, size=m)
    H = (X @ X.T) * pattern_counts(X, W, chunk, weights=a * a) / m
    chunk = chunk or default_chunk(n, m)
    G = np.zeros((n, n))
    for sl in _chunks(m, chunk):
        P = np.maximum(W[sl] @ X.T, 0.0).T
        G += blas.dsyrk(1.0, P, trans=0, lower=0)
    G = np.triu(G)
    return H, (G + np.triu(G, 1).T) / m


def angles(X: np.ndarray, block: int = 1 << 22) -> np.ndarray:
    """Pairwise angles θ_ij = 2·atan2(‖x̂_i − x̂_j‖, ‖x̂_i + x̂_j‖) of the normalised rows (Kahan; error ≈ u).

    Exactly 0 on the diagonal. Never arccos, whose infinite slope at ±1 turns rounding into O(√u) errors
    (spec numerics.md §1).
    """
    X = as_matrix("X", X)
    norms = np.linalg.norm(X, axis=1)
    if np.any(norms == 0):
        raise InputError(f"X: row {int(np.flatnonzero(norms == 0)[0])} is zero; its angle is undefined")
    Xh = X / norms[:, None]
    n, d = Xh.shape
    theta = np.empty((n, n))
    rows = max(1, block // max(n * d, 1))
    for start in range(0, n, rows):
        B = Xh[start : start + rows, None, :]
        diff = B - Xh[None, :, :]
        summ = B + Xh[None, :, :]
        theta[start : start + rows] = 2.0 * np.arctan2(
            np.sqrt(np.einsum("ijk,ijk->ij", diff, diff)), np.sqrt(np.einsum("ijk,ijk->ij", summ, summ))
        )
    np.fill_diagonal(theta, 0.0)
    return theta


def gram_infinity(X: np.ndarray) -> np.ndarray:
    """H∞_ij = x_iᵀx_j (π − θ_ij)/(2π) (ADHLW eq. 3; DZPS Assumption 3.1) for unit-norm rows."""
    X = unit_rows("X", X)
    return (X @ X.T) * (np.pi - angles(X)) / (2.0 * np.pi)


def arccos_kernel_1(X: np.ndarray) -> np.ndarray:
    """E[G(0)]_ij = ‖x_i‖‖x_j‖(sin θ + (π − θ)cos θ)/(2π): the degree-1 arc-cosine kernel (no c_σ = 2)."""
    X = as_matrix("X", X)
    theta = angles(X)
    norms = np.linalg.norm(X, axis=1)
    return np.outer(norms, norms) * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2.0 * np.pi)


def neuron_distances(W: np.ndarray, W0: np.ndarray) -> np.ndarray:
    """‖w_r − w_r(0)‖₂ for every neuron r."""
    return np.linalg.norm(np.asarray(W) - np.asarray(W0), axis=1)


def gram_rounding_radius(X: np.ndarray) -> np.ndarray:
    """Entrywise bound on |fl(H(W)) − H(W)| for :func:`gram` with exact pattern counts.

    fl(x_iᵀx_j) errs by at most γ_d·|x_i|ᵀ|x_j| (Higham, Accuracy and Stability, Lemma 3.4: any summation
    order), and the scaling by count/m ∈ [0, 1] adds two roundings: γ_{d+2}·|X||X|ᵀ covers all three.
    """
    X = as_matrix("X", X)
    u = np.finfo(np.float64).eps / 2
    k = X.shape[1] + 2
    gamma = k * u / (1 - k * u)
    absX = np.abs(X)
    return np.nextafter(gamma * (absX @ absX.T) * (1 + 4 * u), np.inf)
