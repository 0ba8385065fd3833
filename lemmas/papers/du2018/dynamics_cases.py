"""Shared plumbing of the Du et al. training-dynamics checks: a case's labels, its runs (with the step-halving
evidence that the gradient-flow integrator is converged), the certificates of the probabilistic events the
proofs use, and the normalised comparison every dynamics check reports.

Conventions
-----------
* A case fixes its inputs (``inputs.case_inputs``) and its labels (:func:`case_labels`, own label seed);
  trials redraw only the initialisation, from the trial's generator.
* λ0 enters every bound as the lower end of its certified enclosure (the enclosures are 1e-15 wide).
* Dynamics claims are reported normalised: ``value`` = (measured quantity)/(the lemma's bound), the claim is
  value ≤ 1, ``margin`` = 1 − value. **Ties**: a value within :data:`TIE` of 1 is not a violation (the bounds
  are "≤", and some are attained only as t → ∞); a value above 1 + TIE is.
* **Step halving** (gradient flow only): every reported value comes from a run at step s/2, and the same run
  at step s moved it by ``shift``; the trial is flagged ambiguous when shift ≥ :data:`CONVERGED` × max(|margin|,
  TIE), i.e. when the integrator is not converged to 1% of the margin. The exact reductions for orthonormal
  inputs need no halving (shift 0).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Callable, Mapping

import numpy as np

from lemmas.core import dynamics
from lemmas.core.twolayer import default_chunk, gram, init_two_layer
from lemmas.papers.du2018.inputs import case_inputs, case_lambda0

#: Relative tolerance of a tie at ratio 1 (far above the 1e-15 rounding of the closed forms, far below any slack).
TIE = 1e-9
#: Halving the step must move a reported quantity by less than this fraction of its margin.
CONVERGED = 0.01


# ---------------------------------------------------------------------------------------------------------
# Data of a case


@lru_cache(maxsize=64)
def _labels(kind: str, n: int, data_seed: int, C: float) -> np.ndarray:
    rng = np.random.default_rng([20181005, 7, data_seed])
    if kind == "uniform":
        y = rng.uniform(-C, C, n)
    elif kind == "sign":
        y = C * rng.choice([-1.0, 1.0], n)
    elif kind == "gaussian":
        y = rng.standard_normal(n)
    else:
        raise ValueError(f"unknown label kind {kind!r}")
    y.setflags(write=False)
    return y


def case_labels(params: Mapping[str, Any]) -> np.ndarray:
    """The labels y of a case: ``labels`` ∈ {uniform, sign, gaussian} with bound ``C`` (fixed per data seed)."""
    return _labels(str(params.get("labels", "uniform")), int(params["n"]), int(params.get("data_seed", 0)), float(params.get("C", 1.0)))


def case_data(params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, float]:
    """(X, y, λ0) of a case, λ0 the certified lower end."""
    lo, _ = case_lambda0(params)
    return case_inputs(params), case_labels(params), float(lo)


def label_bound(y: np.ndarray) -> float:
    return float(np.max(np.abs(y)))


def draw_init(rng: np.random.Generator, X: np.ndarray, m: int, accept: Callable[[np.ndarray, np.ndarray], bool] | None = None,
              tries: int = 50) -> tuple[np.ndarray, np.ndarray, int]:
    """An initialisation (W0, a), redrawn up to ``tries`` times until ``accept(W0, a)``: conditional checks use
    this to sample inside their hypotheses (a deterministic implication may be checked on any instance where
    its hypotheses hold). Returns the draw count too (0 if none was accepted: the last draw is kept)."""
    for attempt in range(1, tries + 1):
        W0, a = init_two_layer(rng, m, X.shape[1])
        if accept is None or accept(W0, a):
            return W0, a, attempt
    return W0, a, 0


def min_eig_at_least(X: np.ndarray, threshold: float) -> Callable[[np.ndarray, np.ndarray], bool]:
    """Acceptance rule λ_min(H(0)) ≥ threshold, for :func:`draw_init`."""
    return lambda W0, a: float(np.linalg.eigvalsh(gram(X, W0))[0]) >= threshold


def initial_residual(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray) -> float:
    from lemmas.core.twolayer import predictions

    return float(np.linalg.norm(y - predictions(X, W0, a)))


# ---------------------------------------------------------------------------------------------------------
# Runs


def flow_settings(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray, lam0: float,
                  params: Mapping[str, Any], refine: int) -> dict[str, float]:
    """Step controls of the gradient-flow integrator: a neuron moves at most travel/resolution per step, where
    travel = √n‖y − u(0)‖/(√m λ_min(H(0))) is the distance the flow can cover, and a step lasts at most
    0.25/λ0 (the grid on which the time-dependent bounds are compared)."""
    n, m = X.shape[0], W0.shape[0]
    lam_h0 = max(float(np.linalg.eigvalsh(gram(X, W0))[0]), lam0 / 2)
    travel = math.sqrt(n) * initial_residual(X, y, W0, a) / (math.sqrt(m) * lam_h0)
    resolution = float(params.get("resolution", 200))
    return {
        "move": max(travel, 1e-300) / (resolution * refine),
        "h_max": 0.25 / (lam0 * refine),
        "t_max": float(params.get("t_max", 60.0)) / lam0,
        "residual_tol": float(params.get("residual_tol", 1e-8)),
    }


def flow(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray, lam0: float, params: Mapping[str, Any],
         refine: int = 1, joint: bool = False) -> dynamics.Trajectory:
    """Gradient flow of a case (first layer, or both layers when ``joint``), at step s/refine."""
    settings = flow_settings(X, y, W0, a, lam0, params, refine)
    run = dynamics.joint_gradient_flow if joint else dynamics.gradient_flow
    return run(X, y, W0, a, chunk=params.get("chunk"), **settings)


def halved(simulate: Callable[[int], Any], summarize: Callable[[Any], Mapping[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """(values at step s/2, shifts from step s to s/2) of every summarised quantity."""
    study = dynamics.halving_study(simulate, summarize)
    return dict(study.fine), dict(study.shift)


def halved_conditional(simulate: Callable[[int], dynamics.Trajectory], inside: Callable[[dynamics.Trajectory], np.ndarray],
                       values: Mapping[str, Callable[[dynamics.Trajectory], np.ndarray]]) -> dict[str, Any]:
    """Conditional claims "value(t) ≤ 1 wherever the hypothesis held on [0, t]" on runs at steps s and s/2.

    The hypothesis window [0, t_w] is where ``inside`` held at every state since the start (t = 0 excluded from
    the comparison: the claims are identities there). The two runs estimate t_w slightly differently, so both
    are read on the common window t ≤ min(t_w(s), t_w(s/2)); the shift is the largest difference between the
    two runs at the step-s states of that window (the step-s/2 run interpolated linearly in t), so it measures
    integration error, not the window's edge or the grids. If either run has no state inside, the trial is
    outside the hypothesis and the values are over all t > 0 (slack evidence).
    Returns, per name of ``values``, the largest value of the step-s/2 run and its shift (key ``<name>_shift``),
    plus ``states_inside`` (step s/2, common window) and ``t_window``.
    """
    runs = [simulate(1), simulate(2)]
    windows = []
    for traj in runs:
        held = held_since_start(inside(traj))
        held[0] = False
        windows.append(float(traj.time[held][-1]) if held.any() else None)
    inside_both = all(w is not None for w in windows)
    t_window = min(windows) if inside_both else math.inf
    masks = [(traj.time > 0) & (traj.time <= t_window) for traj in runs]
    out: dict[str, Any] = {"states_inside": int(np.count_nonzero(masks[1])) if inside_both else 0,
                           "t_window": t_window if inside_both else 0.0}
    for name, value in values.items():
        coarse, fine = (np.asarray(value(traj), dtype=float) for traj in runs)
        out[name] = worst(fine, masks[1])[0]
        grid = runs[0].time[masks[0]]
        finite = np.isfinite(fine)
        if grid.size and finite.any():
            gap = np.abs(coarse[masks[0]] - np.interp(grid, runs[1].time[finite], fine[finite]))
            out[f"{name}_shift"] = float(np.max(np.where(np.isfinite(gap), gap, 0.0)))
        else:
            out[f"{name}_shift"] = 0.0
    return out


def orthonormal(params: Mapping[str, Any]) -> bool:
    """Whether a case runs the exact flow for orthonormal inputs (``integrator="chunked"`` forces the generic one)."""
    return str(params.get("inputs", "sphere")) == "orthogonal" and params.get("integrator") != "chunked"


# ---------------------------------------------------------------------------------------------------------
# Certificates of the proofs' events


def flippable(X: np.ndarray, W0: np.ndarray, radius: float, chunk: int | None = None) -> tuple[int, float, float]:
    """(Σ_i |S_i^⊥|, U, max_{r,i} |w_r(0)ᵀx_i|) at radius R, in one pass over the width.

    S_i^⊥ = {r : |w_r(0)ᵀx_i| < R} (Lemma 4.1; the event A_ir up to a null set). U = (1/m) Σ_r #{(i, j) : r ∈
    S_i^⊥ ∪ S_j^⊥} = (1/m) Σ_r (n² − (n − f_r)²) with f_r = #{i : r ∈ S_i^⊥} is Lemma 3.2's certificate:
    sup over the R-ball of ‖H − H(0)‖₂ ≤ Σ_ij |H_ij − H_ij(0)| ≤ U (spec §3.5).
    """
    n, m = X.shape[0], W0.shape[0]
    chunk = chunk or default_chunk(n, m)
    total, pairs, zmax = 0, 0.0, 0.0
    for start in range(0, m, chunk):
        Z = np.abs(W0[start:start + chunk] @ X.T)
        f = np.count_nonzero(Z < radius, axis=1)
        total += int(f.sum())
        pairs += float(np.sum(n * n - (n - f) ** 2))
        zmax = max(zmax, float(Z.max()))
    return total, pairs / m, zmax


# ---------------------------------------------------------------------------------------------------------
# Normalised comparisons


def judge(value: float, shift: float = 0.0, **extra: Any) -> dict[str, Any]:
    """Observation fields for the normalised claim ``value ≤ 1`` (see the module docstring for TIE and halving)."""
    margin = 1.0 - float(value)
    return {
        "value": float(value),
        "bound": 1.0,
        "margin": margin,
        "failed": bool(margin < -TIE),
        "ambiguous": bool(shift >= CONVERGED * max(abs(margin), TIE)),
        "halving_shift": float(shift),
        **extra,
    }


def worst(values: np.ndarray, inside: np.ndarray) -> tuple[float, int]:
    """(largest value, its index) over the states where ``inside`` holds; (−inf, −1) if none."""
    idx = np.flatnonzero(inside)
    if idx.size == 0:
        return -math.inf, -1
    j = int(idx[np.argmax(values[idx])])
    return float(values[j]), j


def held_since_start(flags: np.ndarray) -> np.ndarray:
    """True at state k iff ``flags`` held at every state 0..k (a hypothesis 'for 0 ≤ s ≤ t')."""
    return np.logical_and.accumulate(np.asarray(flags, dtype=bool))


def loss_ratio(traj: dynamics.Trajectory) -> np.ndarray:
    """‖y − u(t)‖²/‖y − u(0)‖² at every recorded state."""
    r = traj.residual
    return (r / r[0]) ** 2 if r[0] > 0 else np.zeros_like(r)


def rate_ratio(ratio: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """log(bound)/log(ratio): the normalised form of "loss ratio ≤ bound" for a bound b(t) < 1 that decays.

    It is ≤ 1 exactly when ratio ≤ bound, and it is the proven average rate over the observed one, so it stays
    well defined as t → 0 (where ratio and bound both tend to 1, and their quotient to the tie 1). A ratio ≥ 1
    (no decrease) gives +inf; a ratio of 0 gives 0. Entries with bound ≥ 1 (t = 0) give nan.
    """
    ratio = np.asarray(ratio, dtype=float)
    bound = np.asarray(bound, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(bound) / np.log(ratio)
    out = np.where(ratio >= 1.0, np.inf, out)
    out = np.where(ratio <= 0.0, 0.0, out)
    return np.where(bound >= 1.0, np.nan, out)


# ---------------------------------------------------------------------------------------------------------
# "For all t ≥ 0" summaries of a gradient-flow run


def all_time_summary(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray, lam0: float, params: Mapping[str, Any],
                     loss_bound: Callable[[float], float]) -> tuple[dict[str, float], dict[str, float]]:
    """(values, halving shifts) of inf_t λ_min(H(t)), sup_t max_r‖w_r(t) − w_r(0)‖, sup_{t>0} of the rate ratio
    log(loss_bound(t))/log(‖y − u(t)‖²/‖y − u(0)‖²), the observed average rate −log(loss ratio)/t at the last
    recorded time, and the last time.

    Orthonormal inputs use the exact flow (shift 0): λ_min and the movement at t = ∞, the rate ratio on the
    merged event times, a log-spaced grid and the limit t → ∞. Other inputs use the integrator at steps s and s/2.
    """
    if orthonormal(params):
        flow_ = dynamics.orthonormal_gradient_flow(X, y, W0, a, chunk=params.get("chunk"))
        events = flow_.event_times()
        horizon = max(float(events[-1]), 1.0 / lam0)
        grid = np.unique(np.concatenate([events[1:], np.geomspace(1e-3 / lam0, 1e3 * horizon, 400)]))
        e = flow_.residual_components(grid)
        e0 = float(np.sum(flow_.e0**2))
        ratio = np.sum(e**2, axis=1) / e0 if e0 > 0 else np.zeros(grid.size)
        rates = rate_ratio(ratio, np.array([loss_bound(s) for s in grid]))
        moving = np.abs(flow_.e0) > 0
        h_inf = flow_.lambda_min_at(np.inf)[0] if not moving.any() else min(
            float(flow_.h_after[i][-1]) if flow_.e_inf[i] == 0 else 0.0 for i in np.flatnonzero(moving))
        limit = lam0 / (2 * h_inf) if h_inf > 0 else math.inf      # t → ∞: −log(ratio)/t → 2 min_i h_i(∞)
        values = {
            "lambda_min": float(flow_.lambda_min_at(np.inf)[0]),
            "max_move": flow_.max_move(np.inf),
            "rate": float(max(np.nanmax(rates), limit)),
            "observed_rate": float(2 * h_inf),
            "t_end": math.inf,
        }
        return values, {k: 0.0 for k in values}

    def summarize(traj: dynamics.Trajectory) -> dict[str, float]:
        ratio = loss_ratio(traj)
        rates = rate_ratio(ratio, np.array([loss_bound(s) for s in traj.time]))
        t_end = float(traj.time[-1])
        return {
            "lambda_min": float(np.min(traj.lambda_min)),
            "max_move": float(np.max(traj.max_move)),
            "rate": float(np.nanmax(rates)),
            "observed_rate": float(-math.log(max(ratio[-1], 1e-300)) / t_end) if t_end > 0 else math.nan,
            "t_end": t_end,
        }

    return halved(lambda refine: flow(X, y, W0, a, lam0, params, refine), summarize)


# ---------------------------------------------------------------------------------------------------------
# Gradient descent runs


def step_size(params: Mapping[str, Any], X: np.ndarray, lam0: float, paper_step: float) -> float:
    """η of a case: ``eta`` = "paper" (Theorem 4.1's λ0(1 − n^{−1/2})/(4n²), passed in), or "fast" (1/‖H∞‖₂,
    a step the theory does not cover, to let runs converge), or a number."""
    rule = params.get("eta", "paper")
    if rule == "paper":
        return float(paper_step)
    if rule == "fast":
        from lemmas.papers.du2018.inputs import case_gram_infinity

        return 1.0 / float(np.linalg.eigvalsh(case_gram_infinity(params)[0])[-1])
    return float(rule)


def descent(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray, eta: float, params: Mapping[str, Any]):
    """``params["steps"]`` GD steps: the exact reduction for orthonormal inputs, the chunked generic GD otherwise.
    Both results have ``residual``, ``lambda_min`` and ``max_move`` per state k = 0..steps."""
    steps = int(params["steps"])
    if orthonormal(params):
        return dynamics.orthonormal_gradient_descent(X, y, W0, a, eta, steps, chunk=params.get("chunk"))
    return dynamics.gradient_descent(X, y, W0, a, eta, steps, chunk=params.get("chunk"))


# ---------------------------------------------------------------------------------------------------------
# Joint training (Theorem 3.3, Lemmas A.2–A.6)


def joint_cases(mode: Any, conditional: bool) -> list:
    """The cases of the joint-training checks: generic inputs, widths far below the theory's (slack for the
    theorem and Lemma A.6; the conditional lemmas A.2, A.4, A.5 apply on the early part of each run)."""
    from lemmas.registry import Case, Mode

    base = {"inputs": "sphere", "labels": "uniform", "C": 1.0, "delta": 0.25, "residual_tol": 1e-6}
    if mode is Mode.QUICK:
        return [Case({**base, "n": 2, "d": 4, "data_seed": 2, "m": 64}, trials=2 if conditional else 8)]
    cases = [Case({**base, "n": 3, "d": 6, "data_seed": 1, "m": 256}, trials=4 if conditional else 8)]
    if mode is Mode.FULL:
        cases += [Case({**base, "n": 2, "d": 4, "data_seed": 3, "m": 16384}, trials=4),
                  Case({**base, "n": 6, "d": 12, "data_seed": 4, "m": 1024}, trials=6)]
    return cases


def joint_conditional(params: Mapping[str, Any], rng: np.random.Generator, threshold: float,
                      inside: Callable[[dynamics.Trajectory, np.ndarray], np.ndarray],
                      value: Callable[[dynamics.Trajectory], np.ndarray]) -> dict[str, Any]:
    """One trial of a conditional check on joint gradient flow: start with λ_min(H(0)) ≥ ``threshold``, run
    with step halving, and report the largest ``value`` over the states where ``inside(traj, W0)`` holds (over
    t > 0 if none: slack evidence). Returns the judged fields plus ``states_inside``."""
    X, y, lam0 = case_data(params)
    W0, a, draws = draw_init(rng, X, int(params["m"]), accept=min_eig_at_least(X, threshold))
    found = halved_conditional(lambda refine: flow(X, y, W0, a, lam0, params, refine, joint=True),
                               lambda traj: inside(traj, W0), {"value": value})
    return {**judge(found["value"], found["value_shift"]), "states_inside": found["states_inside"],
            "last_time_inside": found["t_window"], "init_draws": draws}


def sliding_flow(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray, lam0: float, params: Mapping[str, Any],
                 refine: int = 1) -> dynamics.Trajectory:
    """:func:`lemmas.core.dynamics.sliding_gradient_flow` of a case at step s/refine (step controls of
    :func:`flow_settings`)."""
    return dynamics.sliding_gradient_flow(X, y, W0, a, chunk=params.get("chunk"), **flow_settings(X, y, W0, a, lam0, params, refine))
