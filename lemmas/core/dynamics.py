"""Training dynamics of the two-layer ReLU network of Du et al. (arXiv 1810.02054v2, §1, §3, §4, App. A.1).

Generic numerics: nothing here knows about lemmas. Every routine returns a :class:`Trajectory` holding, at
every recorded state, the quantities the theory talks about: the predictions u, λ_min(H), ‖H − H(0)‖₂,
max_r ‖w_r − w_r(0)‖₂, the fraction of activation patterns changed since initialisation (and, for joint
training, max_r |a_r − a_r(0)|). The width is processed in chunks, so the temporary memory is bounded by
``n × chunk``; what is stored across steps is W, W(0) (m × d) and the initial patterns (n × m booleans).

Integrators
-----------
* :func:`gradient_descent`: eq. (3) exactly, w_r(k+1) = w_r(k) − (η/√m) a_r Σ_i (u_i − y_i) 𝕀{w_rᵀx_i ≥ 0} x_i.
* :func:`gradient_flow`: a pattern-frozen exponential integrator for dw_r/dt = −∂L/∂w_r. Over a step of
  length h the activation patterns are those at the step's start; with patterns fixed the flow is linear,
  e = y − u obeys e' = −He with H fixed, and w_r' = (a_r/√m) Σ_i S_ir e_i x_i, so the step is integrated in
  closed form: W ← W + diag(a/√m)(S ∘ v)X with v = ∫₀^h exp(−Hs) e ds = V diag((1 − e^{−λh})/λ) Vᵀ e.
  The only error is the timing of pattern switches inside a step (first order in h); :func:`halving_study`
  measures it by rerunning with half the step. Steps are h = min(h_max, move·√m/(√n‖e‖)), so no neuron
  moves more than ``move`` in one step (‖w_r'‖ ≤ √n‖e‖/√m for unit inputs). Where patterns chatter across
  w_rᵀx_i = 0 (a sliding mode: the paper's footnote 6, "strictly speaking, this should be differential
  inclusion") the frozen-pattern steps alternate the two sides, as gradient descent with a small step does;
  both agree as the step shrinks. There the H recorded at the states (indicator ≥ 0 at the state's weights)
  is not the matrix that drives u: the sliding pair contributes nothing to du_j/dt, and the H recorded at
  the alternating states is a mix of patterns that is H(s) at no state of the flow.
* :func:`sliding_gradient_flow`: the same flow through sliding modes (the Filippov solution, which GD
  approaches as η → 0): sliding pairs are held on w_rᵀx_i = 0, the neuron moves with its velocity projected
  onto span{x_b : b sliding}^⊥, and du/dt = H_eff(y − u) with H_eff recorded beside H of eq. (6) at the
  flow's own states.
* :func:`joint_gradient_flow`: both layers (App. A.1, eqs. 12–14). With patterns frozen the flow is a
  polynomial ODE, integrated by classical RK4 per step; step control and error estimate as above.
* :func:`orthonormal_gradient_flow`, :func:`orthonormal_gradient_descent`: exact reductions when the inputs
  are orthonormal (x_iᵀx_j = δ_ij). Then z_ri = w_rᵀx_i evolves on its own, only while z_ri ≥ 0, and every
  active neuron of coordinate i with the same a_r moves by the same amount, so sorted initial values and
  cumulative sums give the whole trajectory: gradient flow in closed form for all t ≥ 0 (events = neurons
  reaching 0), gradient descent step by step in O(n log m) per step, at widths of 10⁸.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import numpy as np
from scipy.linalg import blas

from lemmas.core.twolayer import default_chunk
from lemmas.core.validation import InputError, as_matrix, as_vector


# ---------------------------------------------------------------------------------------------------------
# Trajectories


@dataclass
class Trajectory:
    """The recorded states of one training run (index 0 is the initialisation).

    ``time`` is t for gradient flow and the step index k for gradient descent. ``lambda_min[k]`` and
    ``h_drift[k]`` belong to H of the patterns at state k (for joint training, the a²-weighted H of eq. 13).
    """

    time: np.ndarray
    u: np.ndarray
    y: np.ndarray
    lambda_min: np.ndarray
    h_drift: np.ndarray
    max_move: np.ndarray
    flips: np.ndarray
    max_a_move: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def residual(self) -> np.ndarray:
        """‖y − u‖₂ at every recorded state."""
        return np.linalg.norm(self.y[None, :] - self.u, axis=1)

    @property
    def steps(self) -> int:
        return int(self.time.size - 1)


class _Recorder:
    """Collects per-state rows and turns them into a :class:`Trajectory`."""

    def __init__(self, y: np.ndarray, joint: bool = False) -> None:
        self.y = y
        self.joint = joint
        self.rows: dict[str, list] = {k: [] for k in ("time", "u", "lambda_min", "h_drift", "max_move", "flips", "max_a_move")}

    def add(self, time: float, sweep: "_Sweep", H0: np.ndarray, max_a_move: float = 0.0) -> None:
        eig = np.linalg.eigvalsh(sweep.H)
        self.rows["time"].append(float(time))
        self.rows["u"].append(sweep.u.copy())
        self.rows["lambda_min"].append(float(eig[0]))
        self.rows["h_drift"].append(float(np.max(np.abs(np.linalg.eigvalsh(sweep.H - H0)))))
        self.rows["max_move"].append(sweep.max_move)
        self.rows["flips"].append(sweep.flips)
        self.rows["max_a_move"].append(float(max_a_move))

    def trajectory(self, **info: Any) -> Trajectory:
        r = self.rows
        return Trajectory(
            time=np.array(r["time"]),
            u=np.array(r["u"]),
            y=self.y.copy(),
            lambda_min=np.array(r["lambda_min"]),
            h_drift=np.array(r["h_drift"]),
            max_move=np.array(r["max_move"]),
            flips=np.array(r["flips"]),
            max_a_move=np.array(r["max_a_move"]) if self.joint else None,
            info=dict(info),
        )


# ---------------------------------------------------------------------------------------------------------
# One pass over the width


def _chunks(m: int, chunk: int) -> Iterator[slice]:
    for start in range(0, m, chunk):
        yield slice(start, min(m, start + chunk))


@dataclass
class _Sweep:
    """What one pass over the neurons at the current weights yields."""

    u: np.ndarray                 # predictions f(W, a, x_i)
    H: np.ndarray                 # Gram matrix (a²-weighted when the sweep is joint)
    G: np.ndarray | None          # eq. (14) Gram matrix of the second layer (joint sweeps only)
    masks: list[np.ndarray]       # per chunk: chunk × n booleans 𝕀{w_rᵀx_i ≥ 0}
    max_move: float               # max_r ‖w_r − w_r(0)‖₂
    flips: float                  # fraction of (r, i) whose pattern differs from the initial one


def _sweep(X: np.ndarray, W: np.ndarray, a: np.ndarray, W0: np.ndarray, S0: list[np.ndarray] | None,
           chunk: int, joint: bool = False) -> _Sweep:
    n, m = X.shape[0], W.shape[0]
    u = np.zeros(n)
    counts = np.zeros((n, n))
    gsum = np.zeros((n, n)) if joint else None
    masks: list[np.ndarray] = []
    move2 = 0.0
    flips = 0
    for c, sl in enumerate(_chunks(m, chunk)):
        P = W[sl] @ X.T                                  # chunk × n pre-activations
        mask = P >= 0.0
        np.maximum(P, 0.0, out=P)
        u += a[sl] @ P
        if joint:
            Sw = (mask * np.abs(a[sl])[:, None]).T       # n × chunk: a_r-weighted patterns, SSᵀ weighted by a²
            counts += blas.dsyrk(1.0, Sw, trans=0, lower=0)
            gsum += blas.dsyrk(1.0, P.T, trans=0, lower=0)
        else:
            counts += blas.ssyrk(1.0, mask.astype(np.float32).T, trans=0, lower=0)
        diff = W[sl] - W0[sl]
        move2 = max(move2, float(np.max(np.einsum("ij,ij->i", diff, diff))))
        if S0 is not None:
            flips += int(np.count_nonzero(mask != S0[c]))
        masks.append(mask)
    counts = np.triu(counts) + np.triu(counts, 1).T
    H = (X @ X.T) * counts / m
    G = None
    if joint:
        gsum = np.triu(gsum) + np.triu(gsum, 1).T
        G = gsum / m
    return _Sweep(u / math.sqrt(m), H, G, masks, math.sqrt(move2), flips / (n * m))


#: Per-step products (m × d)·(d × n) with n·d up to this and m at least SINGLE_THREAD_WIDTH are tall and skinny:
#: BLAS threads cost more than they save (50× slower measured on a loaded 2-core machine), so such runs pin
#: BLAS to one thread, which also makes them reproducible bit for bit whatever the machine's thread count.
SINGLE_THREAD_SIZE = 4096
SINGLE_THREAD_WIDTH = 4096
_CONTROLLER = None


def _blas_context(X: np.ndarray, W0: np.ndarray):
    from contextlib import nullcontext

    global _CONTROLLER
    if X.shape[0] * X.shape[1] > SINGLE_THREAD_SIZE or W0.shape[0] < SINGLE_THREAD_WIDTH:
        return nullcontext()
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def _single_blas_thread(run):
    """Run an integrator with BLAS pinned to one thread when its products are tall and skinny."""
    import functools

    @functools.wraps(run)
    def wrapper(X, y, W0, *args, **kwargs):
        with _blas_context(np.asarray(X), np.asarray(W0)):
            return run(X, y, W0, *args, **kwargs)

    return wrapper


def _validate(X: object, y: object, W0: object, a: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X = as_matrix("X", X)
    W0 = as_matrix("W0", W0, cols=X.shape[1])
    a = as_vector("a", a, size=W0.shape[0])
    y = as_vector("y", y, size=X.shape[0])
    return X, y, W0, a


# ---------------------------------------------------------------------------------------------------------
# Gradient descent (first layer)


@_single_blas_thread
def gradient_descent(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray, eta: float, steps: int,
                     chunk: int | None = None) -> Trajectory:
    """``steps`` full-batch GD steps of eq. (3) from W(0) = W0 with a fixed; records states 0..steps."""
    X, y, W0, a = _validate(X, y, W0, a)
    if not eta > 0 or steps < 0:
        raise InputError(f"gradient_descent: need eta > 0 and steps >= 0, got eta={eta}, steps={steps}")
    n, m = X.shape[0], W0.shape[0]
    chunk = chunk or default_chunk(n, m)
    W = W0.copy()
    rec = _Recorder(y)
    sweep = _sweep(X, W, a, W0, None, chunk)
    S0, H0 = sweep.masks, sweep.H
    for k in range(steps + 1):
        rec.add(k, sweep, H0)
        if k == steps:
            break
        r = sweep.u - y
        for sl, mask in zip(_chunks(m, chunk), sweep.masks):
            W[sl] -= (eta / math.sqrt(m)) * a[sl, None] * ((mask * r) @ X)
        sweep = _sweep(X, W, a, W0, S0, chunk)
    return rec.trajectory(integrator="gradient descent", eta=eta, m=m)


# ---------------------------------------------------------------------------------------------------------
# Gradient flow (first layer): pattern-frozen exponential integrator


def _phi(lam: np.ndarray, h: float) -> np.ndarray:
    """(1 − e^{−λh})/λ, continuous at λ = 0 (value h)."""
    x = lam * h
    out = np.full_like(lam, h)
    big = np.abs(x) > 1e-12
    out[big] = -np.expm1(-x[big]) / lam[big]
    return out


@_single_blas_thread
def gradient_flow(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray, *, move: float, t_max: float,
                  h_max: float = np.inf, residual_tol: float = 1e-8, max_steps: int = 200_000,
                  chunk: int | None = None) -> Trajectory:
    """Gradient flow dw_r/dt = −∂L/∂w_r (a fixed) until t_max, ‖y − u‖ ≤ residual_tol·‖y − u(0)‖ or max_steps.

    ``move`` caps the distance any neuron travels in one step; ``h_max`` caps the step length.
    """
    X, y, W0, a = _validate(X, y, W0, a)
    if not move > 0 or not t_max > 0:
        raise InputError(f"gradient_flow: need move > 0 and t_max > 0, got move={move}, t_max={t_max}")
    n, m = X.shape[0], W0.shape[0]
    chunk = chunk or default_chunk(n, m)
    sqrt_m, sqrt_n = math.sqrt(m), math.sqrt(n)
    W = W0.copy()
    rec = _Recorder(y)
    sweep = _sweep(X, W, a, W0, None, chunk)
    S0, H0 = sweep.masks, sweep.H
    e0 = float(np.linalg.norm(y - sweep.u))
    t = 0.0
    for _ in range(max_steps + 1):
        rec.add(t, sweep, H0)
        e = y - sweep.u
        norm_e = float(np.linalg.norm(e))
        if t >= t_max or norm_e <= residual_tol * e0 or norm_e == 0.0:
            break
        h = min(h_max, t_max - t, move * sqrt_m / (sqrt_n * norm_e))
        lam, V = np.linalg.eigh(sweep.H)
        v = V @ (_phi(lam, h) * (V.T @ e))                    # ∫₀^h exp(−Hs) e ds
        for sl, mask in zip(_chunks(m, chunk), sweep.masks):
            W[sl] += a[sl, None] / sqrt_m * ((mask * v) @ X)
        t += h
        sweep = _sweep(X, W, a, W0, S0, chunk)
    return rec.trajectory(integrator="gradient flow (pattern-frozen exponential)", move=move, h_max=h_max, m=m)


# ---------------------------------------------------------------------------------------------------------
# Gradient flow through sliding modes (the Filippov solution of the differential inclusion, footnote 6)
#
# Where a pair (r, i) reaches w_rᵀx_i = 0 and the fields on both sides point back to it (x_iᵀf₋ > 0 > x_iᵀf₊,
# f₋/f₊ the neuron's velocity with the pair inactive/active), the flow slides: w_rᵀx_i stays 0, the neuron
# moves with the Filippov combination of the two fields, which is its velocity projected onto
# span{x_b : b sliding}^⊥, and it adds nothing to u_i. Then du/dt = H_eff (y − u) with
# H_eff = (1/m) Σ_r D_r X P_r Xᵀ D_r (D_r: the strictly active inputs, P_r: the projection), not eq. (7) with
# H of eq. (6). The pattern-frozen integrator (:func:`gradient_flow`) alternates the two sides there, so the H it
# records at its states is a mix of patterns that is H(s) at no state of the flow; this integrator holds the
# sliding pairs on 0, so it records eq. (6) at the flow's own states (a sliding pair counts as active:
# 𝕀{0 ≥ 0} = 1) and H_eff beside it. Between events both H's are constant and the step is closed form, as in
# :func:`gradient_flow`; event timing is first order (step-halving measures it).

#: A sliding mode that ends leaves w_rᵀx_i = 0 by this much, to the side its field points to.
SLIDE_RELEASE = 1e-12


@dataclass
class _SlidingState:
    """One pass over the width at the current weights, with the sliding pairs held on w_rᵀx_i = 0."""

    u: np.ndarray
    H: np.ndarray                 # eq. (6) at the state (a sliding pair sits at 0 and counts as active)
    H_eff: np.ndarray             # the matrix that drives u: du/dt = H_eff (y − u)
    active: np.ndarray            # m × n: w_rᵀx_i > 0 and (r, i) not sliding
    positive: np.ndarray          # m × n: w_rᵀx_i > 0
    max_move: float
    flips: float


def _sliding_groups(B: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(neurons, their sliding inputs) for every set of inputs on which some neurons slide."""
    rows = np.flatnonzero(B.any(axis=1))
    if rows.size == 0:
        return []
    sets, inverse = np.unique(B[rows], axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return [(rows[inverse == g], np.flatnonzero(s)) for g, s in enumerate(sets)]


def _sliding_state(X: np.ndarray, G: np.ndarray, W: np.ndarray, a: np.ndarray, B: np.ndarray, W0: np.ndarray,
                   S0: np.ndarray | None, chunk: int) -> _SlidingState:
    n, m = X.shape[0], W.shape[0]
    u = np.zeros(n)
    counts, counts_eff = np.zeros((n, n)), np.zeros((n, n))
    active = np.empty((m, n), dtype=bool)
    positive = np.empty((m, n), dtype=bool)
    move2, flips = 0.0, 0
    for sl in _chunks(m, chunk):
        P = W[sl] @ X.T
        positive[sl] = P > 0.0
        active[sl] = positive[sl] & ~B[sl]
        S = (active[sl] | B[sl]).astype(float)
        A = active[sl].astype(float)
        u += a[sl] @ (P * A)
        counts += S.T @ S
        counts_eff += A.T @ A
        diff = W[sl] - W0[sl]
        move2 = max(move2, float(np.max(np.einsum("ij,ij->i", diff, diff))))
        if S0 is not None:
            flips += int(np.count_nonzero((S > 0) != S0[sl]))
    H_eff = G * counts_eff
    for rows, inputs in _sliding_groups(B):
        A = active[rows].astype(float)
        H_eff -= (G[:, inputs] @ np.linalg.solve(G[np.ix_(inputs, inputs)], G[inputs, :])) * (A.T @ A)
    return _SlidingState(u / math.sqrt(m), G * counts / m, H_eff / m, active, positive, math.sqrt(move2), flips / (n * m))


def _project_sliding(V: np.ndarray, X: np.ndarray, G: np.ndarray, B: np.ndarray) -> None:
    """Project the rows of V (weights or steps) of every sliding neuron onto span{x_b : b sliding}^⊥, in place."""
    for rows, inputs in _sliding_groups(B):
        Xs = X[inputs]
        V[rows] -= np.linalg.solve(G[np.ix_(inputs, inputs)], Xs @ V[rows].T).T @ Xs


def _enter_sliding(state: _SlidingState, previous: np.ndarray, e: np.ndarray, G: np.ndarray, a: np.ndarray,
                   B: np.ndarray) -> bool:
    """Start sliding on every pair that crossed 0 in the last step with x_iᵀf₋ > 0 > x_iᵀf₊; whether any did."""
    r, i = np.nonzero((state.positive != previous) & ~B)
    if r.size == 0:
        return False
    others = state.active[r].copy()
    others[np.arange(r.size), i] = False
    below = a[r] * np.einsum("kj,kj->k", others * e, G[:, i].T)        # √m x_iᵀf₋
    above = below + a[r] * e[i] * G[i, i]                              # √m x_iᵀf₊
    attract = (below > 0.0) & (above < 0.0)
    B[r[attract], i[attract]] = True
    return bool(attract.any())


def _release_sliding(state: _SlidingState, e: np.ndarray, G: np.ndarray, X: np.ndarray, W: np.ndarray,
                     B: np.ndarray) -> bool:
    """End every sliding mode whose Filippov weight s_b (the share of the active-side field) left [0, 1];
    whether any did. The velocity is a_r/√m (Σ_{k active} e_k x_k + Σ_b s_b e_b x_b) with x_bᵀ(velocity) = 0."""
    released = False
    for rows, inputs in _sliding_groups(B):
        v = (state.active[rows] * e) @ G[:, inputs]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = -np.linalg.solve(G[np.ix_(inputs, inputs)], v.T).T / e[inputs]
        rr, bb = np.nonzero(~((s >= 0.0) & (s <= 1.0)))
        if rr.size:
            B[rows[rr], inputs[bb]] = False
            side = np.where(s[rr, bb] > 1.0, 1.0, -1.0)
            W[rows[rr]] += (SLIDE_RELEASE * side)[:, None] * X[inputs[bb]]
            released = True
    return released


@_single_blas_thread
def sliding_gradient_flow(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray, *, move: float, t_max: float,
                          h_max: float = np.inf, residual_tol: float = 1e-8, max_steps: int = 200_000,
                          chunk: int | None = None) -> Trajectory:
    """Gradient flow of the first layer through sliding modes (see the section comment); step controls as in
    :func:`gradient_flow`. ``lambda_min`` is λ_min of eq. (6) at each state;
    ``info["lambda_min_effective"]`` is λ_min(H_eff) and ``info["sliding"]`` the number of sliding pairs."""
    X, y, W0, a = _validate(X, y, W0, a)
    if not move > 0 or not t_max > 0:
        raise InputError(f"sliding_gradient_flow: need move > 0 and t_max > 0, got move={move}, t_max={t_max}")
    n, m = X.shape[0], W0.shape[0]
    chunk = chunk or default_chunk(n, m)
    sqrt_m, sqrt_n = math.sqrt(m), math.sqrt(n)
    G = X @ X.T
    W = W0.copy()
    B = np.zeros((m, n), dtype=bool)                     # the sliding pairs
    state = _sliding_state(X, G, W, a, B, W0, None, chunk)
    S0, H0, previous = state.active.copy(), state.H, state.positive
    e0 = float(np.linalg.norm(y - state.u))
    rows: dict[str, list] = {k: [] for k in ("time", "u", "lambda_min", "lambda_eff", "h_drift", "max_move", "flips", "sliding")}
    t = 0.0
    for _ in range(max_steps + 1):
        if _enter_sliding(state, previous, y - state.u, G, a, B):
            _project_sliding(W, X, G, B)
            state = _sliding_state(X, G, W, a, B, W0, S0, chunk)
        if _release_sliding(state, y - state.u, G, X, W, B):
            state = _sliding_state(X, G, W, a, B, W0, S0, chunk)
        previous = state.positive
        e = y - state.u
        lam, V = np.linalg.eigh(state.H_eff)
        for key, value in (("time", t), ("u", state.u.copy()), ("lambda_min", float(np.linalg.eigvalsh(state.H)[0])),
                           ("lambda_eff", float(lam[0])), ("h_drift", float(np.max(np.abs(np.linalg.eigvalsh(state.H - H0))))),
                           ("max_move", state.max_move), ("flips", state.flips), ("sliding", int(np.count_nonzero(B)))):
            rows[key].append(value)
        norm_e = float(np.linalg.norm(e))
        if t >= t_max or norm_e <= residual_tol * e0 or norm_e == 0.0:
            break
        h = min(h_max, t_max - t, move * sqrt_m / (sqrt_n * norm_e))
        v = V @ (_phi(lam, h) * (V.T @ e))         # ∫₀^h exp(−H_eff s) e ds
        step = np.empty_like(W)
        for sl in _chunks(m, chunk):
            step[sl] = (state.active[sl] * v) @ X
        _project_sliding(step, X, G, B)
        W += a[:, None] / sqrt_m * step
        _project_sliding(W, X, G, B)                     # rounding: keep the sliding pairs exactly on 0
        t += h
        state = _sliding_state(X, G, W, a, B, W0, S0, chunk)
    return Trajectory(
        time=np.array(rows["time"]), u=np.array(rows["u"]), y=y.copy(), lambda_min=np.array(rows["lambda_min"]),
        h_drift=np.array(rows["h_drift"]), max_move=np.array(rows["max_move"]), flips=np.array(rows["flips"]),
        info={"integrator": "gradient flow through sliding modes (Filippov; pattern-frozen exponential)", "move": move,
              "h_max": h_max, "m": m, "lambda_min_effective": np.array(rows["lambda_eff"]), "sliding": np.array(rows["sliding"])})


# ---------------------------------------------------------------------------------------------------------
# Gradient flow on both layers (App. A.1): pattern-frozen RK4


def _joint_rhs(X: np.ndarray, y: np.ndarray, W: np.ndarray, a: np.ndarray, masks: list[np.ndarray],
               chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """(dW/dt, da/dt) with the activation patterns fixed to ``masks`` (eqs. 4 and 12)."""
    m = W.shape[0]
    sqrt_m = math.sqrt(m)
    u = np.zeros(X.shape[0])
    for sl, mask in zip(_chunks(m, chunk), masks):
        u += a[sl] @ (mask * (W[sl] @ X.T))
    e = y - u / sqrt_m
    dW = np.empty_like(W)
    da = np.empty_like(a)
    for sl, mask in zip(_chunks(m, chunk), masks):
        dW[sl] = a[sl, None] / sqrt_m * ((mask * e) @ X)
        da[sl] = (mask * (W[sl] @ X.T)) @ e / sqrt_m
    return dW, da


@_single_blas_thread
def joint_gradient_flow(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a0: np.ndarray, *, move: float, t_max: float,
                        h_max: float = np.inf, residual_tol: float = 1e-8, max_steps: int = 200_000,
                        chunk: int | None = None) -> Trajectory:
    """Gradient flow on W and a together (Theorem 3.3). Records the a²-weighted H (eq. 13) and max |a_r − a_r(0)|.

    The step is h = min(h_max, move·√m/(√n‖e‖·max(max|a|, max|w_rᵀx_i|)), 0.5/λ_max(H + G)): each neuron's
    w_r and a_r move at most about ``move`` per step, and RK4 stays well inside its stability region.
    """
    X, y, W0, a0 = _validate(X, y, W0, a0)
    if not move > 0 or not t_max > 0:
        raise InputError(f"joint_gradient_flow: need move > 0 and t_max > 0, got move={move}, t_max={t_max}")
    n, m = X.shape[0], W0.shape[0]
    chunk = chunk or default_chunk(n, m)
    sqrt_m, sqrt_n = math.sqrt(m), math.sqrt(n)
    W, a = W0.copy(), a0.copy()
    rec = _Recorder(y, joint=True)
    sweep = _sweep(X, W, a, W0, None, chunk, joint=True)
    S0, H0 = sweep.masks, sweep.H
    e0 = float(np.linalg.norm(y - sweep.u))
    t = 0.0
    for _ in range(max_steps + 1):
        rec.add(t, sweep, H0, float(np.max(np.abs(a - a0))))
        norm_e = float(np.linalg.norm(y - sweep.u))
        if t >= t_max or norm_e <= residual_tol * e0 or norm_e == 0.0:
            break
        zmax = max(float(np.max(np.abs(a))), max(float(np.max(np.abs(W[sl] @ X.T))) for sl in _chunks(m, chunk)))
        stiff = float(np.linalg.eigvalsh(sweep.H + sweep.G)[-1])
        h = min(h_max, t_max - t, move * sqrt_m / (sqrt_n * norm_e * zmax), 0.5 / max(stiff, 1e-300))
        masks = sweep.masks
        k1 = _joint_rhs(X, y, W, a, masks, chunk)
        k2 = _joint_rhs(X, y, W + 0.5 * h * k1[0], a + 0.5 * h * k1[1], masks, chunk)
        k3 = _joint_rhs(X, y, W + 0.5 * h * k2[0], a + 0.5 * h * k2[1], masks, chunk)
        k4 = _joint_rhs(X, y, W + h * k3[0], a + h * k3[1], masks, chunk)
        W += (h / 6.0) * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        a += (h / 6.0) * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        t += h
        sweep = _sweep(X, W, a, W0, S0, chunk, joint=True)
    traj = rec.trajectory(integrator="joint gradient flow (pattern-frozen RK4)", move=move, h_max=h_max, m=m)
    traj.info["G_final"] = sweep.G
    return traj


# ---------------------------------------------------------------------------------------------------------
# Step-halving study


@dataclass(frozen=True)
class Halving:
    """Reported quantities at step s (``coarse``) and s/2 (``fine``), and how far halving moved each one."""

    coarse: Mapping[str, float]
    fine: Mapping[str, float]
    shift: Mapping[str, float]


def halving_study(simulate: Callable[[int], Any], summarize: Callable[[Any], Mapping[str, float]]) -> Halving:
    """Compare ``summarize`` of ``simulate(1)`` (step s) and ``simulate(2)`` (step s/2)."""
    coarse = dict(summarize(simulate(1)))
    fine = dict(summarize(simulate(2)))
    shift = {k: abs(float(coarse[k]) - float(fine[k])) for k in coarse}
    return Halving(coarse, fine, shift)


# ---------------------------------------------------------------------------------------------------------
# Exact reductions for orthonormal inputs


def _orthonormal_coordinates(X: np.ndarray, W0: np.ndarray, chunk: int) -> np.ndarray:
    """Z0 = W0 Xᵀ (m × n), checking that the rows of X are orthonormal (no copy when X is the identity)."""
    n = X.shape[0]
    if not np.allclose(X @ X.T, np.eye(n), atol=1e-12, rtol=0):
        raise InputError("orthonormal reduction: the rows of X are not orthonormal")
    m = W0.shape[0]
    if X.shape[1] == n and np.array_equal(X, np.eye(n)):
        return W0                                        # x_i = e_i: the coordinates are W0 itself (read only)
    Z0 = np.empty((m, n))
    for sl in _chunks(m, chunk):
        Z0[sl] = W0[sl] @ X.T
    return Z0


@dataclass
class OrthonormalFlow:
    """Exact gradient flow (a fixed) for orthonormal inputs, for all t ≥ 0.

    Per coordinate i, with ς_i(t) = (1/√m)∫₀ᵗ|e_i| the distance an active neuron has moved: the neurons with
    a_r = sign(e_i(0)) move up and stay active; those with a_r = −sign(e_i(0)) move down and stop for good at
    ς_i = z_ri(0) (a neuron that reaches 0 leaves the active set: with patterns ≥ 0 it would chatter at 0,
    and the Filippov solution keeps it there, contributing nothing). Then d|e_i|/dς_i = −√m h_i(ς_i), with
    h_i = (number of active neurons)/m = H_ii(t), so |e_i| is piecewise linear in ς_i and piecewise
    exponential in t, and every quantity below is exact up to rounding. H(t) here counts a stopped neuron
    (sitting at w_rᵀx_i = 0) as inactive: that is the matrix that drives u (and what GD sees, whose iterates
    land below 0); eq. (6) read literally (𝕀{≥ 0}) would count it as active.
    """

    Z0: np.ndarray = field(repr=False)      # w_r(0)ᵀx_i, m × n
    a: np.ndarray = field(repr=False)
    e0: np.ndarray                          # y − u(0)
    sigma_at_break: list[np.ndarray]        # per i: ς at 0 and where each down-neuron stops (ascending)
    e_at: list[np.ndarray]                  # per i: |e_i| at those points
    t_at: list[np.ndarray]                  # per i: t at those points
    h_after: list[np.ndarray]               # per i: h_i on the segment starting at each point
    sigma_inf: np.ndarray                   # per i: ς_i(∞)
    e_inf: np.ndarray                       # per i: |e_i(∞)| (0 unless every neuron of i has stopped)
    chunk: int

    @property
    def m(self) -> int:
        return int(self.Z0.shape[0])

    def _segment(self, i: int, t: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.t_at[i], t, side="right") - 1

    def residual_components(self, t: np.ndarray) -> np.ndarray:
        """e_i(t) for every requested time (rows) and coordinate (columns); t = inf gives e(∞)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        out = np.empty((t.size, self.e0.size))
        for i in range(self.e0.size):
            j = self._segment(i, t)
            with np.errstate(invalid="ignore"):
                mag = self.e_at[i][j] * np.exp(-self.h_after[i][j] * (t - self.t_at[i][j]))
            mag = np.where(np.isinf(t), self.e_inf[i], mag)
            out[:, i] = np.sign(self.e0[i]) * mag
        return out

    def sigma(self, t: np.ndarray) -> np.ndarray:
        """ς_i(t) (rows: times, columns: coordinates); t = inf gives ς(∞)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        E = np.abs(self.residual_components(t))
        out = np.empty_like(E)
        sqrt_m = math.sqrt(self.m)
        for i in range(self.e0.size):
            j = self._segment(i, t)
            h = self.h_after[i][j]
            with np.errstate(divide="ignore", invalid="ignore"):
                step = np.where(h > 0, (self.e_at[i][j] - E[:, i]) / (sqrt_m * h), 0.0)
            out[:, i] = np.where(np.isinf(t), self.sigma_inf[i], self.sigma_at_break[i][j] + step)
        return out

    def max_move(self, t: float) -> float:
        """max_r ‖w_r(t) − w_r(0)‖₂: coordinate i of neuron r has moved min(ς_i(t), z_ri(0)) for a down-neuron,
        ς_i(t) for an up-neuron, 0 if it was inactive at the start. Nondecreasing in t; t = inf gives the sup."""
        sig = self.sigma(np.array([t]))[0]
        g = np.where(self.e0 >= 0, 1.0, -1.0)
        move2 = 0.0
        for sl in _chunks(self.m, self.chunk):
            Z = self.Z0[sl]
            down = self.a[sl, None] == -g[None, :]
            dist = np.where(Z >= 0, np.where(down, np.minimum(sig[None, :], Z), sig[None, :]), 0.0)
            move2 = max(move2, float(np.max(np.einsum("ij,ij->i", dist, dist))))
        return math.sqrt(move2)

    def event_times(self) -> np.ndarray:
        """Every time at which some H_ii changes, merged, with 0 first."""
        return np.unique(np.concatenate([[0.0]] + list(self.t_at)))

    def lambda_min_at(self, t: np.ndarray) -> np.ndarray:
        """λ_min(H(t)) = min_i h_i(t) (H is diagonal); t = inf gives inf_t λ_min(H(t))."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return np.min(np.vstack([self.h_after[i][self._segment(i, t)] for i in range(self.e0.size)]), axis=0)


@_single_blas_thread
def orthonormal_gradient_flow(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray,
                              chunk: int | None = None) -> OrthonormalFlow:
    """The exact gradient flow of the first layer for orthonormal inputs (see :class:`OrthonormalFlow`)."""
    X, y, W0, a = _validate(X, y, W0, a)
    n, m = X.shape[0], W0.shape[0]
    chunk = chunk or default_chunk(n, m)
    Z0 = _orthonormal_coordinates(X, W0, chunk)
    sqrt_m = math.sqrt(m)
    e0 = y - np.maximum(Z0, 0.0).T @ a / sqrt_m
    sig_pts, e_at, t_at, h_after = [], [], [], []
    sigma_inf = np.zeros(n)
    e_inf = np.zeros(n)
    for i in range(n):
        z = Z0[:, i]
        g = 1.0 if e0[i] >= 0 else -1.0
        n_up = int(np.count_nonzero((a == g) & (z >= 0)))
        v = np.sort(z[(a == -g) & (z >= 0)])                      # down-neurons, stop at ς = v_j
        K = v.size
        E0 = abs(float(e0[i]))
        prefix = np.concatenate([[0.0], np.cumsum(v)])            # Σ_{l<j} v_l
        # |e| at ς = v_j: E0 − (1/√m)(n_up v_j + Σ_l min(v_j, v_l)), with Σ_l min(v_j, v_l) = prefix_j + (K − j) v_j.
        e_break = E0 - (n_up * v + prefix[:K] + (K - np.arange(K)) * v) / sqrt_m
        J = int(np.argmax(e_break <= 0.0)) if np.any(e_break <= 0.0) else K   # first down-neuron not reached
        if E0 == 0.0:
            J = 0
        pts = np.concatenate([[0.0], v[:J]])
        ev = np.concatenate([[E0], e_break[:J]])
        h = (n_up + K - np.arange(J + 1)) / m                     # h_i on the segment after each point
        if E0 == 0.0:
            s_inf, e_end = 0.0, 0.0
        elif h[-1] > 0:
            s_inf, e_end = float(pts[-1] + ev[-1] / (sqrt_m * h[-1])), 0.0
        else:                                                     # every active neuron has stopped: e stays
            s_inf, e_end = float(pts[-1]), float(ev[-1])
        seg_dt = np.log(ev[:-1] / ev[1:]) / h[:-1]
        sig_pts.append(pts)
        e_at.append(ev)
        t_at.append(np.concatenate([[0.0], np.cumsum(seg_dt)]))
        h_after.append(h)
        sigma_inf[i] = s_inf
        e_inf[i] = e_end
    return OrthonormalFlow(Z0, a.copy(), e0, sig_pts, e_at, t_at, h_after, sigma_inf, e_inf, chunk)


@dataclass
class OrthonormalDescent:
    """Exact gradient descent (a fixed) for orthonormal inputs: states k = 0..K.

    ``s[k, i]`` is the total shift (η/√m) Σ_{k'<k} (u_i(k') − y_i); an active neuron of coordinate i sits at
    z_ri(0) − a_r s[k, i], and a neuron stays active through step k iff z_ri(0) ≥ max_{k'≤k} a_r s[k', i].
    ``max_move_upper[k]`` = √(Σ_i max_{k'≤k} s[k', i]²) bounds max_r ‖w_r(k) − w_r(0)‖ and equals it when
    ``max_move_exact`` (each s[·, i] monotone and one neuron active on every coordinate throughout).
    """

    u: np.ndarray
    y: np.ndarray
    s: np.ndarray
    active: np.ndarray          # (K+1) × n active counts; H(k) = diag(active[k]) / m
    max_move_upper: np.ndarray
    max_move_exact: bool
    m: int
    eta: float

    @property
    def residual(self) -> np.ndarray:
        return np.linalg.norm(self.y[None, :] - self.u, axis=1)

    @property
    def lambda_min(self) -> np.ndarray:
        return np.min(self.active, axis=1) / self.m

    @property
    def max_move(self) -> np.ndarray:
        """max_r ‖w_r(k) − w_r(0)‖₂: the upper bound, exact when ``max_move_exact``."""
        return self.max_move_upper


@_single_blas_thread
def orthonormal_gradient_descent(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray, eta: float, steps: int,
                                 chunk: int | None = None) -> OrthonormalDescent:
    """The exact GD trajectory of eq. (3) for orthonormal inputs, in O(m log m + steps·n log m)."""
    X, y, W0, a = _validate(X, y, W0, a)
    n, m = X.shape[0], W0.shape[0]
    chunk = chunk or default_chunk(n, m)
    Z0 = _orthonormal_coordinates(X, W0, chunk)
    sqrt_m = math.sqrt(m)
    groups = []                                   # per (i, g): sorted nonnegative z0 and suffix sums
    for i in range(n):
        row = []
        for g in (1.0, -1.0):
            v = np.sort(Z0[(a == g) & (Z0[:, i] >= 0), i])
            suffix = np.concatenate([np.cumsum(v[::-1])[::-1], [0.0]])
            row.append((g, v, suffix))
        groups.append(row)
    U = np.empty((steps + 1, n))
    S = np.zeros((steps + 1, n))
    A = np.empty((steps + 1, n), dtype=np.int64)
    M = np.zeros((n, 2))                          # running max of g·s per (i, group)
    s = np.zeros(n)
    for k in range(steps + 1):
        for i in range(n):
            total, count = 0.0, 0
            for c, (g, v, suffix) in enumerate(groups[i]):
                M[i, c] = max(M[i, c], g * s[i])
                j = int(np.searchsorted(v, M[i, c], side="left"))
                total += g * (suffix[j] - g * s[i] * (v.size - j))
                count += v.size - j
            U[k, i] = total / sqrt_m
            A[k, i] = count
        S[k] = s
        if k < steps:
            s = s + eta / sqrt_m * (U[k] - y)
    running = np.maximum.accumulate(np.abs(S), axis=0)
    upper = np.sqrt(np.sum(running**2, axis=1))
    monotone = bool(np.all(np.abs(S) == running))
    witness = False
    for sl in _chunks(m, chunk):
        thresholds = np.where(a[sl, None] > 0, M[None, :, 0], M[None, :, 1])
        if np.any(np.all(Z0[sl] >= thresholds, axis=1)):
            witness = True
            break
    return OrthonormalDescent(U, y.copy(), S, A, upper, monotone and witness, m, float(eta))
