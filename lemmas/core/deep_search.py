"""Matrix-free products of a deep ReLU network and adversarial searches over its perturbation balls.

The perturbation lemmas of Allen-Zhu, Li, Song (azls2018.md §3.3–3.10) bound products of weight matrices
and (corrected) sign masks, *for all* corrections in a region. This module supplies what the checks of
those lemmas need beyond :mod:`lemmas.core.deep` and :mod:`lemmas.core.perturb`:

* :func:`chain_operator`, :func:`operator_norm`: ‖[M_b] W_b M_{b−1} ⋯ M_a W_a‖₂ as a Lanczos
  (ARPACK) norm of a LinearOperator, never forming the m × m product (Lemma 7.3, 8.6).
* :func:`back_rows`: B M_L W_L ⋯ W_{a+1} M_a with arbitrary real masks and matrices (Lemma 8.7).
* :func:`secant_slopes`: the exact secant construction of Claim 11.2 (azls2018.md §3.10).
* :func:`hidden_gradient_factors`: ∂⟨U, h_L⟩/∂W_ℓ as low-rank factors P_ℓ Q_ℓᵀ from one backward sweep.
* :func:`lowrank_ascent`: projected gradient ascent over ∏_ℓ {‖Δ_ℓ‖₂ ≤ ω_ℓ} with Δ_ℓ kept as factors
  U_ℓ V_ℓᵀ, so that the projection (clipping singular values, azls2018.md §6.0 (iv)) costs O(m k²)
  instead of a full m × m SVD. The gradients of the objectives here have rank ≤ n, so ascent started from
  a low-rank point stays low-rank; the rank cap only truncates the smallest singular directions.
* :func:`adversarial_chain_masks`, :func:`adversarial_back_perturbation`: greedy constructions of the
  sparse corrections D″ (and rank-one W″) that the for-all statements of Lemma 8.6 and 8.7 range over
  (azls2018.md §6.9, §6.10). They give lower bounds on the suprema, i.e. worst cases found, not certificates.

Masks are real vectors (the diagonals), weights are stored fan_out × fan_in as in :mod:`lemmas.core.deep`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy.sparse.linalg import LinearOperator, svds

from lemmas.core.deep import DeepParameterization, DeepWeights, ForwardCache, backward_sweep, layer_input
from lemmas.core.perturb import AscentResult
from lemmas.core.validation import InputError

#: Below this smaller dimension a LinearOperator's norm is computed from its dense matrix.
DENSE_NORM_LIMIT = 64

Factors = tuple[np.ndarray, np.ndarray]  # (P, Q) with matrix P Qᵀ


# --------------------------------------------------------------------------------------------------
# Products of weights and masks
# --------------------------------------------------------------------------------------------------


def chain_operator(Ws: Sequence[np.ndarray], masks: Sequence[np.ndarray], *, leading: np.ndarray | None = None) -> LinearOperator:
    """P = [diag(leading)] W_b diag(M_{b−1}) W_{b−1} ⋯ diag(M_a) W_a as a LinearOperator.

    ``Ws`` = [W_a, …, W_b] (applied first to last), ``masks`` = [M_a, …, M_{b−1}] (one between each pair of
    consecutive matrices), ``leading`` the optional mask applied after W_b.
    """
    Ws = [np.asarray(W, dtype=np.float64) for W in Ws]
    masks = [np.asarray(M, dtype=np.float64) for M in masks]
    if not Ws or len(masks) != len(Ws) - 1:
        raise InputError(f"chain_operator: need k >= 1 matrices and k − 1 masks, got {len(Ws)} and {len(masks)}")
    for W, M, W_next in zip(Ws, masks, Ws[1:]):
        if M.shape != (W.shape[0],) or W_next.shape[1] != W.shape[0]:
            raise InputError("chain_operator: mask or matrix shapes do not chain")
    if leading is not None:
        leading = np.asarray(leading, dtype=np.float64)
        if leading.shape != (Ws[-1].shape[0],):
            raise InputError(f"chain_operator: leading mask must have length {Ws[-1].shape[0]}")

    def matvec(x: np.ndarray) -> np.ndarray:
        z = Ws[0] @ x
        for M, W in zip(masks, Ws[1:]):
            z = W @ (M.reshape((-1,) + (1,) * (z.ndim - 1)) * z)
        return z if leading is None else leading.reshape((-1,) + (1,) * (z.ndim - 1)) * z

    def rmatvec(y: np.ndarray) -> np.ndarray:
        z = y if leading is None else leading.reshape((-1,) + (1,) * (y.ndim - 1)) * y
        for M, W in zip(reversed(masks), reversed(Ws[1:])):
            z = M.reshape((-1,) + (1,) * (z.ndim - 1)) * (W.T @ z)
        return Ws[0].T @ z

    shape = (Ws[-1].shape[0], Ws[0].shape[1])
    return LinearOperator(shape, matvec=matvec, rmatvec=rmatvec, matmat=matvec, rmatmat=rmatvec, dtype=np.float64)


def operator_norm(op: LinearOperator, *, tol: float = 1e-10) -> float:
    """‖op‖₂: Lanczos bidiagonalization (ARPACK ``svds``, deterministic start) or a dense SVD when small."""
    rows, cols = op.shape
    if min(rows, cols) <= DENSE_NORM_LIMIT:
        dense = op.matmat(np.eye(cols)) if cols <= rows else op.rmatmat(np.eye(rows)).T
        return float(np.linalg.norm(dense, 2))
    v0 = np.ones(min(rows, cols)) / np.sqrt(min(rows, cols))
    return float(svds(op, k=1, tol=tol, v0=v0, return_singular_vectors=False)[0])


def top_singular_pair(op: LinearOperator, *, tol: float = 1e-8) -> tuple[float, np.ndarray, np.ndarray]:
    """(σ₁, u₁, v₁) of a LinearOperator (Lanczos, deterministic start)."""
    rows, cols = op.shape
    if min(rows, cols) <= DENSE_NORM_LIMIT:
        dense = op.matmat(np.eye(cols))
        U, s, Vt = np.linalg.svd(dense, full_matrices=False)
        return float(s[0]), U[:, 0], Vt[0]
    v0 = np.ones(min(rows, cols)) / np.sqrt(min(rows, cols))
    U, s, Vt = svds(op, k=1, tol=tol, v0=v0)
    return float(s[0]), U[:, 0], Vt[0]


def back_rows(B: np.ndarray, Ws: Sequence[np.ndarray], masks: Sequence[np.ndarray], a: int) -> np.ndarray:
    """B diag(M_L) W_L diag(M_{L−1}) ⋯ W_{a+1} diag(M_a) (d × m), for real masks M_0..M_L and matrices W_1..W_L.

    With the forward sign masks this is Back_{i,a+1} D_{i,a} (azls2018.md §1.6); with corrected masks
    D + D″ and matrices W + W″ it is the perturbed operator of Lemma 8.7 (§3.9). Dense networks only.
    """
    L = len(Ws)
    if len(masks) != L + 1 or not 0 <= int(a) <= L:
        raise InputError(f"back_rows: need L + 1 = {L + 1} masks and 0 <= a <= L, got {len(masks)} masks, a={a}")
    R = np.asarray(B, dtype=np.float64) * masks[L]
    for ell in range(L, int(a), -1):
        R = (R @ Ws[ell - 1]) * masks[ell - 1]
    return R


def rows_norm(R: np.ndarray) -> float:
    """‖R‖₂ of a d × m block from its d × d Gram matrix (exact up to rounding, cheap for small d)."""
    R = np.asarray(R, dtype=np.float64)
    if R.shape[0] == 1:
        return float(np.linalg.norm(R))
    return float(np.sqrt(max(np.linalg.eigvalsh(R @ R.T)[-1], 0.0)))


def secant_slopes(g_from: np.ndarray, g_to: np.ndarray, *, mask_rule: str = ">=") -> np.ndarray:
    """(φ(g_to) − φ(g_from))/(g_to − g_from) entrywise, in [0, 1]; the indicator of g_from where they agree.

    Claim 11.2's D̆ + D″ (azls2018.md §3.10): with it h(to) − h(from) = diag(slopes)(g_to − g_from) exactly,
    and the slope differs from 𝕀{g_from ≥ 0} only where the sign changed.
    """
    g_from = np.asarray(g_from, dtype=np.float64)
    g_to = np.asarray(g_to, dtype=np.float64)
    diff = g_to - g_from
    same = diff == 0.0
    active = g_from >= 0.0 if mask_rule == ">=" else g_from > 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (np.maximum(g_to, 0.0) - np.maximum(g_from, 0.0)) / np.where(same, 1.0, diff)
    return np.where(same, active.astype(np.float64), np.clip(slope, 0.0, 1.0))


# --------------------------------------------------------------------------------------------------
# Gradients of hidden-layer objectives as low-rank factors
# --------------------------------------------------------------------------------------------------


def hidden_gradient_factors(
    param: DeepParameterization, weights: DeepWeights, cache: ForwardCache, upstream: np.ndarray
) -> list[Factors | None]:
    """∂⟨upstream, h_L⟩/∂W_ℓ = P_ℓ Q_ℓᵀ for every trained ℓ (None for untrained layers).

    ``upstream`` (n × width_L) is ∂f/∂h_L of some objective f of the last hidden layer (for an objective of the
    outputs pass ``dout @ B``). P_ℓ = τ_ℓ δ_ℓᵀ (fan_out × n·q), Q_ℓ = U_{ℓ−1}ᵀ (fan_in × n·q), from one sweep.
    """
    upstream = np.asarray(upstream, dtype=np.float64)
    if upstream.shape != (cache.n, param.width(param.L)):
        raise InputError(f"upstream: expected shape {(cache.n, param.width(param.L))}, got {upstream.shape}")
    out: list[Factors | None] = [None] * param.L
    for ell, _, delta in backward_sweep(param, weights, cache, upstream[:, None, :], stop=param.trained[0]):
        if ell in param.trained:
            P = delta.reshape(-1, param.channels(ell)).T * param.layer_scale(ell)
            out[ell - 1] = (P, layer_input(param, cache.h[ell - 1]).T)
    return out


def factors_frobenius(P: np.ndarray, Q: np.ndarray) -> float:
    """‖P Qᵀ‖_F without forming the product."""
    return float(np.sqrt(max(np.sum((P.T @ P) * (Q.T @ Q)), 0.0)))


# --------------------------------------------------------------------------------------------------
# Low-rank projected ascent
# --------------------------------------------------------------------------------------------------


def clip_factors(U: np.ndarray, V: np.ndarray, omega: float, max_rank: int) -> Factors:
    """Factors of the spectral-ball projection of U Vᵀ (singular values clipped at ω), truncated to ``max_rank``."""
    Qu, Ru = np.linalg.qr(U)
    Qv, Rv = np.linalg.qr(V)
    X, s, Yt = np.linalg.svd(Ru @ Rv.T)
    k = min(int(max_rank), int(np.count_nonzero(s > 0)))
    s = np.minimum(s[:k], omega)
    return Qu @ (X[:, :k] * s), Qv @ Yt[:k].T


def factorize(Delta: np.ndarray, rng: np.random.Generator, *, rank: int) -> Factors:
    """Factors (U, V) with U Vᵀ = Δ for a matrix of rank ≤ ``rank`` (randomized range finder, oversampled)."""
    Delta = np.asarray(Delta, dtype=np.float64)
    k = min(int(rank) + 8, min(Delta.shape))
    Q, _ = np.linalg.qr(Delta @ rng.standard_normal((Delta.shape[1], k)))
    return Q, Delta.T @ Q


def spectral_norm_factors(U: np.ndarray, V: np.ndarray) -> float:
    """‖U Vᵀ‖₂ from the small core of two QR factorizations."""
    if U.shape[1] == 0:
        return 0.0
    _, Ru = np.linalg.qr(U)
    _, Rv = np.linalg.qr(V)
    return float(np.linalg.norm(Ru @ Rv.T, 2))


def lowrank_ascent(
    objective: Callable[[list[np.ndarray]], tuple[float, Sequence[Factors | None]]],
    W0: Sequence[np.ndarray], omega: float | Sequence[float], steps: int, rng: np.random.Generator, *,
    restarts: int = 2, step: float = 0.5, max_rank: int = 32, starts: Sequence[Sequence[Factors | None]] = (),
    zero_start: bool = True,
) -> AscentResult:
    """Maximize f(W0 + Δ) over ‖Δ_ℓ‖₂ ≤ ω_ℓ by projected gradient ascent with factored Δ_ℓ = U_ℓ V_ℓᵀ.

    ``objective(W)`` returns f(W) and, per matrix, factors (P, Q) of ∂f/∂W_ℓ = P Qᵀ (None: layer fixed).
    Steps Δ_ℓ ← Π_ℓ(Δ_ℓ + a_t ω_ℓ P Qᵀ/‖P Qᵀ‖_F), a_t = step/√(t+1), as in
    :func:`lemmas.core.perturb.projected_ascent`. Runs start from each of ``starts`` (factors, e.g. of a
    sign-flip construction), then from Δ = 0 (unless ``zero_start`` is False: a squared shift has zero gradient
    there), then from ``restarts`` − 1 random rank-one points of the ball.
    Returns the best value with its Δ (dense) and each run's best value.
    """
    W0 = [np.asarray(W, dtype=np.float64) for W in W0]
    budgets = [float(omega)] * len(W0) if np.isscalar(omega) else [float(w) for w in omega]
    if len(budgets) != len(W0) or int(steps) < 1 or int(restarts) < 1:
        raise InputError("lowrank_ascent: need one budget per matrix, steps >= 1 and restarts >= 1")
    empty = [(np.zeros((W.shape[0], 0)), np.zeros((W.shape[1], 0))) for W in W0]
    inits = [[e if f is None else f for f, e in zip(s, empty)] for s in starts]
    if zero_start:
        inits.append(empty)
    for _ in range(int(restarts) - 1):
        rand = []
        for W, w in zip(W0, budgets):
            u = rng.standard_normal((W.shape[0], 1))
            v = rng.standard_normal((W.shape[1], 1))
            rand.append((u * (w * rng.uniform() / np.linalg.norm(u)), v / np.linalg.norm(v)))
        inits.append(rand)
    best_value, best, run_values = -np.inf, empty, []
    for init in inits:
        factors = [clip_factors(U, V, w, max_rank) if U.shape[1] else (U, V) for (U, V), w in zip(init, budgets)]
        run_best = -np.inf
        for t in range(int(steps) + 1):
            point = [W + U @ V.T if U.shape[1] else W for W, (U, V) in zip(W0, factors)]
            value, grads = objective(point)
            if not np.isfinite(value):
                raise InputError(f"lowrank_ascent: the objective returned {value}")
            run_best = max(run_best, value)
            if value > best_value:
                best_value, best = value, [(U.copy(), V.copy()) for U, V in factors]
            if t == steps:
                break
            a_t = step / np.sqrt(t + 1.0)
            for k, (g, w) in enumerate(zip(grads, budgets)):
                if g is None or w <= 0:
                    continue
                P, Q = g
                norm = factors_frobenius(P, Q)
                if norm > 0:
                    U, V = factors[k]
                    factors[k] = clip_factors(np.hstack([U, (a_t * w / norm) * P]), np.hstack([V, Q]), w, max_rank)
        run_values.append(float(run_best))
    deltas = [U @ V.T if U.shape[1] else np.zeros_like(W) for W, (U, V) in zip(W0, best)]
    return AscentResult(float(best_value), [W + D for W, D in zip(W0, deltas)], deltas, run_values)


# --------------------------------------------------------------------------------------------------
# Greedy sparse corrections (Lemma 8.6, 8.7)
# --------------------------------------------------------------------------------------------------


def adversarial_chain_masks(
    Ws: Sequence[np.ndarray], masks: Sequence[np.ndarray], leading: np.ndarray, s: int, *, rounds: int = 3
) -> tuple[float, list[np.ndarray], np.ndarray]:
    """Sparse corrections D″ ∈ [−1, 1] (≤ s non-zeros per mask) that enlarge ‖(M_b + D″_b) W_b ⋯ (M_a + D″_a) W_a‖₂.

    Heuristic of azls2018.md §6.9: push the current top right singular vector through the chain and, at each
    mask, raise by one the s entries where the pre-mask vector is largest in magnitude (0 → 1 or 1 → 2,
    both within D″ ∈ [−1, 1]); repeat ``rounds`` times. Returns (norm found, corrected masks, leading).
    """
    s = int(s)
    base = [np.asarray(M, dtype=np.float64) for M in masks] + [np.asarray(leading, dtype=np.float64)]
    current = [M.copy() for M in base]
    best = operator_norm(chain_operator(Ws, current[:-1], leading=current[-1]))
    best_masks = [M.copy() for M in current]
    for _ in range(int(rounds)):
        _, _, v = top_singular_pair(chain_operator(Ws, current[:-1], leading=current[-1]))
        z, trial = v, []
        for W, M0 in zip(Ws, base):
            u = W @ z
            corrected = M0.copy()
            if s > 0:
                top = np.argpartition(-np.abs(u), min(s, u.size) - 1)[:s]
                corrected[top] += 1.0
            trial.append(corrected)
            z = corrected * u
        value = operator_norm(chain_operator(Ws, trial[:-1], leading=trial[-1]))
        current = trial
        if value > best:
            best, best_masks = value, [M.copy() for M in trial]
    return best, best_masks[:-1], best_masks[-1]


@dataclass(frozen=True)
class BackPerturbation:
    """A (D″, W″) of Lemma 8.7 and what it does: ``corrections[ℓ]`` = diag(D″_ℓ) (ℓ = 0..L, zero below a),
    ``rank_one[ℓ − 1]`` = (x, y) with W″_ℓ = x yᵀ (None where W″_ℓ = 0), the rows of the perturbed and the
    original operator, and the spectral norm of their difference."""

    norm: float
    perturbed: np.ndarray
    original: np.ndarray
    corrections: list[np.ndarray]
    rank_one: list[tuple[np.ndarray, np.ndarray] | None]


def adversarial_back_perturbation(
    B: np.ndarray, Ws: Sequence[np.ndarray], masks: Sequence[np.ndarray], a: int, s: int, omega: float, *,
    scale: float = 3.0,
) -> BackPerturbation:
    """A greedy (D″, W″) for Lemma 8.7: corrections D″_ℓ ∈ [−scale, scale] on s coordinates of each mask
    ℓ = a..L and rank-one W″_ℓ with ‖W″_ℓ‖₂ = ω (ℓ = a+1..L), chosen layer by layer from the top.

    At a mask, with V_new, V_old the perturbed and original partial products (d × m) and E = (V_new − V_old)M,
    column k gains ‖e_k + c v_k‖² − ‖e_k‖² from D″_k = c; the s largest gains with c = ±scale (sign of e_k·v_k)
    are taken. At a matrix, W″ = ω x yᵀ with x the top right singular vector of the current perturbed rows R
    and y aligned with (E W)ᵀ(R x), so that the added ω (R x) yᵀ grows the difference coherently
    (azls2018.md §6.10; a construction, not a supremum).
    """
    L = len(Ws)
    a, s = int(a), int(s)
    if len(masks) != L + 1 or not 0 <= a <= L:
        raise InputError(f"adversarial_back_perturbation: need L + 1 masks and 0 <= a <= L, got {len(masks)}, a={a}")
    corrections = [np.zeros(np.shape(M)) for M in masks]
    rank_one: list[tuple[np.ndarray, np.ndarray] | None] = [None] * L
    V_new = np.asarray(B, dtype=np.float64)
    V_old = V_new.copy()
    for ell in range(L, a - 1, -1):
        M = np.asarray(masks[ell], dtype=np.float64)
        if s > 0:
            E = (V_new - V_old) * M
            dot = np.sum(E * V_new, axis=0)
            gain = 2.0 * scale * np.abs(dot) + scale**2 * np.sum(V_new * V_new, axis=0)
            top = np.argpartition(-gain, min(s, gain.size) - 1)[:s]
            corrections[ell][top] = np.where(dot[top] >= 0.0, scale, -scale)
        R_new, R_old = V_new * (M + corrections[ell]), V_old * M
        if ell == a:
            return BackPerturbation(rows_norm(R_new - R_old), R_new, R_old, corrections, rank_one)
        W = Ws[ell - 1]
        V_old = R_old @ W
        V_new = R_new @ W
        if omega > 0:
            x = np.linalg.svd(R_new, full_matrices=False)[2][0]
            Rx = R_new @ x
            y = (V_new - V_old).T @ Rx
            if not np.any(y):
                y = V_new.T @ Rx
            if np.any(y):
                y *= omega / np.linalg.norm(y)
                rank_one[ell - 1] = (x, y)
                V_new = V_new + np.outer(Rx, y)
    raise AssertionError("unreachable")
