"""Du et al. 2018, Lemma 3.3: while λ_min(H(s)) ≥ λ0/2, gradient flow shrinks the loss like e^{−λ0 t} and
no neuron leaves a ball of radius R′ around its initialisation.

> Suppose for 0 ≤ s ≤ t, λ_min(H(s)) ≥ λ0/2. Then ‖y − u(t)‖² ≤ exp(−λ0 t)‖y − u(0)‖² and for any r ∈ [m],
> ‖w_r(t) − w_r(0)‖₂ ≤ √n‖y − u(0)‖₂/(√m λ0) ≜ R′.                  (arXiv 1810.02054v2, §3.1)

Erratum 1 (spec §3.6, §9): the proof bounds ‖y − u(s)‖ by e^{−λ0 s}‖y − u(0)‖, but the loss bound gives only
e^{−λ0 s/2}; integrating gives R′ = 2√n‖y − u(0)‖/(√m λ0). The corrected radius is the statement under test
(``conditional``, ``worst_case``); the printed one is checked apart (``worst_case_printed``, labelled).

The hypothesis is only about H along the path, so the lemma is a deterministic implication: it is checked
wherever it applies (conditional check on random runs), and by a worst-case search for the largest
max_r ‖w_r(t) − w_r(0)‖/R′ over initialisations and labels with the hypothesis in force. The search runs on
orthonormal inputs with the exact flow (``lemmas.core.dynamics.orthonormal_gradient_flow``: no integration
error), where H is diagonal and λ_min(H(s)) can sit just above λ0/2 for all s, and on generic inputs with
the flow through sliding modes (hypothesis on H_eff, see below) and labels along the slowest eigenvector of H(0).

Finding (sliding modes; not in spec §9, proposed as erratum 9): the proof's eq. (7) du/dt = H(t)(y − u) fails
where a neuron slides along w_rᵀx_i = 0 (footnote 6: the flow is a differential inclusion). Its Filippov
solution, the limit of gradient descent as η → 0, keeps w_rᵀx_i = 0 and moves the neuron with its velocity
projected onto x_i^⊥, so du/dt = H_eff(y − u) with H_eff = (1/m) Σ_r D_r X P_r Xᵀ D_r: a sliding neuron
contributes the projected ‖P_r Σ_{k active} e_k x_k‖², less than with the pair active or inactive. Then
λ_min(H(s)) ≥ λ0/2 with H of eq. (6) (either convention at 0) does not give the loss bound: on near-parallel
inputs the loss decays like e^{−2λ_min(H_eff)t} with 2λ_min(H_eff) < λ0 while λ_min(H(s)) ≥ 1.26·λ0/2. The
statement as printed is checked on the flow through sliding modes (``conditional_printed``, labelled); the
corrected statement, with the hypothesis on H_eff (= H of eq. (6) off sliding modes), is ``conditional``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict
from lemmas.core import dynamics
from lemmas.core.twolayer import gram, init_two_layer, predictions
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, lambda0, t

LEMMA = register(
    Lemma(
        id="du2018.lemma3.3",
        title="Gradient flow while λ_min(H(s)) ≥ λ0/2: loss decay and per-neuron radius R′",
        source=source("§3.1, Lemma 3.3 (proof App. A)", "du2018.md §3.6"),
        statement=(
            r"Suppose for $0\le s\le t$, $\lambda_{\min}(\mathbf H(s))\ge\frac{\lambda_0}{2}$. Then "
            r"$\|\mathbf y-\mathbf u(t)\|_2^2\le\exp(-\lambda_0t)\|\mathbf y-\mathbf u(0)\|_2^2$ and for any $r\in[m]$, "
            r"$\|\mathbf w_r(t)-\mathbf w_r(0)\|_2\le\frac{\sqrt n\|\mathbf y-\mathbf u(0)\|_2}{\sqrt m\lambda_0}\triangleq R'$ "
            r"(as printed; corrected: $R'=\frac{2\sqrt n\|\mathbf y-\mathbf u(0)\|_2}{\sqrt m\lambda_0}$)."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("R_prime", cd.gf_radius, "per-neuron radius, corrected", "radius", "D",
                         "∫₀^∞ (√n/√m) e^{−λ0 s/2}‖y − u(0)‖ ds"),
                Quantity("R_prime_printed", cd.gf_radius_printed, "per-neuron radius as printed in v2 (erratum 1)", "radius", "V",
                         "∫₀^∞ (√n/√m) e^{−λ0 s}‖y − u(0)‖ ds [sic]"),
                Quantity("loss_bound", sp.exp(-lambda0 * t), "bound on ‖y − u(t)‖²/‖y − u(0)‖²", "rate", "V"),
                Quantity("eig_threshold", lambda0 / 2, "hypothesis: λ_min(H(s)) ≥ this on [0, t]", "bound", "V"),
            ]
        },
        hypotheses={
            "lambda_min_H": "λ_min(H(s)) ≥ λ0/2 for 0 ≤ s ≤ t, at some recorded t > 0 (H of eq. (6), as printed)",
            "lambda_min_H_effective": "λ_min(H_eff(s)) ≥ λ0/2 for 0 ≤ s ≤ t, at some recorded t > 0 (H_eff: the matrix "
                                      "with du/dt = H_eff(y − u); equal to H of eq. (6) off sliding modes)",
        },
        notes=(
            "Erratum 1 (spec §9): R′ is missing a factor 2; the corrected radius is tested, the printed one is a labelled check.",
            "Gradient flow, with step-halving evidence: every check runs the flow through sliding modes "
            "(lemmas.core.dynamics.sliding_gradient_flow) with the hypothesis on H_eff, or for orthonormal inputs the exact flow, "
            "whose H counts a neuron stopped at w_rᵀx_i = 0 as inactive and so is H_eff.",
            f"Ties: a ratio within {dc.TIE:g} of 1 is not a violation (the radius can be attained as t → ∞).",
            "Finding (sliding modes, proposed spec §9 erratum 9): as printed, with H(s) of eq. (6), the loss bound is false for "
            "the gradient flow (the Filippov solution of footnote 6's differential inclusion, the limit of GD as η → 0). "
            "Where a neuron slides on w_rᵀx_i = 0, eq. (7) fails: du/dt = H_eff(y − u), and a sliding neuron's share of "
            "(y − u)ᵀH_eff(y − u) is its velocity projected onto x_i^⊥, below both the active and the inactive pattern's.",
            "Reproduction: seed 20181005, du2018.lemma3.3[conditional,inputs=near_parallel,labels=uniform,C=1,angle=0.3,n=4,d=8,"
            "data_seed=6,m=256,resolution=1000], trial 1 (the W(0), a of that uid and index; tests/test_du2018_lemma3_3_sliding.py): "
            "λ_min(H(s)) ≥ 1.304·λ0/2 on the whole run, 26 neurons slide (Filippov weights in (0, 1)), the loss decays like "
            "e^{−0.91702λ0t} = e^{−2λ_min(H_eff)t}, and λ0t/log(‖y − u(0)‖²/‖y − u(t)‖²) = 1.00573 at t = 700: the flow through "
            "sliding modes at steps s/1 … s/8 agree to 2e−6, gradient descent (η = 0.04 … 0.005, extrapolated to η → 0) gives "
            "1.00573, the pattern-frozen integrator 1.00575 at s/32 (first order). Trials 2–4 of that uid give 1.38, 1.69, 1.59. "
            "The pattern-frozen integrator records H at chattering states (a mix of patterns, H(s) at no state of the flow): "
            "with it the case was inconclusive; both conditional checks run the flow through sliding modes.",
            "Corrected statement (tested by ``conditional``): hypothesis λ_min(H_eff(s)) ≥ λ0/2; the proof then goes through "
            "verbatim (d/dt‖y − u‖² = −2(y − u)ᵀH_eff(y − u), and ‖dw_r/dt‖ ≤ √n‖y − u‖/√m still holds).",
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# Conditional checks on runs of the flow through sliding modes

#: Near-parallel inputs, where neurons slide along w_rᵀx_i = 0 for most of the run (resolution: at 1000 the
#: step-halving shift of every trial of the FULL run is below 1% of its margin; at 200 it is not).
_SLIDING = {"inputs": "near_parallel", "labels": "uniform", "C": 1.0, "angle": 0.3, "n": 4, "d": 8, "data_seed": 6,
            "m": 256, "resolution": 1000}


def _conditional_cases(mode: Mode) -> Sequence[Case]:
    base = {"inputs": "sphere", "labels": "uniform", "C": 1.0}
    if mode is Mode.QUICK:
        return [Case({**base, "n": 4, "d": 8, "data_seed": 1, "m": 64}, trials=2)]
    cases = [
        Case({**base, "n": 4, "d": 8, "data_seed": 1, "m": 64}, trials=6),
        Case({**base, "n": 6, "d": 6, "data_seed": 3, "m": 512}, trials=4),
        Case({**base, **_SLIDING}, trials=6 if mode is Mode.FULL else 3),
    ]
    if mode is Mode.FULL:
        cases += [Case({**base, "n": 10, "d": 20, "data_seed": 5, "m": 2048}, trials=10)]
    return cases


def _printed_cases(mode: Mode) -> Sequence[Case]:
    return [Case(dict(_SLIDING), trials={Mode.QUICK: 1, Mode.DEFAULT: 6, Mode.FULL: 12}[mode])]


def _conditional_trial(hypothesis: str):
    """Trial of a conditional check: λ_min of eq. (6) at the flow's states (``lambda_min_H``, as printed) or of
    H_eff (``lambda_min_H_effective``, corrected) must stay ≥ λ0/2 on [0, t]; then loss and radius are compared."""

    def lambda_min(traj: dynamics.Trajectory) -> np.ndarray:
        return traj.info["lambda_min_effective"] if hypothesis == "lambda_min_H_effective" else traj.lambda_min

    def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        X, y, lam0 = dc.case_data(params)
        n, m = X.shape[0], int(params["m"])
        threshold = bounds("eig_threshold", lambda0=lam0)
        W0, a, draws = dc.draw_init(rng, X, m, accept=dc.min_eig_at_least(X, threshold))
        radius = bounds("R_prime", n=n, m=m, residual=dc.initial_residual(X, y, W0, a), lambda0=lam0)

        def loss(traj: dynamics.Trajectory) -> np.ndarray:
            return dc.rate_ratio(dc.loss_ratio(traj), np.array([bounds("loss_bound", lambda0=lam0, t=s) for s in traj.time]))

        found = dc.halved_conditional(lambda refine: dc.sliding_flow(X, y, W0, a, lam0, params, refine),
                                      lambda traj: lambda_min(traj) >= threshold, {
            "value": lambda traj: np.maximum(loss(traj), traj.max_move / radius),
            "loss": loss,
            "move": lambda traj: traj.max_move / radius,
            "sliding": lambda traj: traj.info["sliding"],
        })
        return {
            "hypotheses": {hypothesis: found["states_inside"] > 0},
            **dc.judge(found["value"], found["value_shift"]),
            "loss_over_bound": found["loss"],
            "move_over_R_prime": found["move"],
            "max_sliding_pairs": int(found["sliding"]),
            "states_inside": found["states_inside"],
            "t_window": found["t_window"],
            "init_draws": draws,
        }

    return trial


def _conditional_verdict(matrix: str):
    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        return all_trials_verdict(
            obs, f"max over t with λ_min({matrix}(s)) ≥ λ0/2 on [0, t] of "
                 "max(λ0t/(−log(‖y − u(t)‖²/‖y − u(0)‖²)), max_r‖w_r(t) − w_r(0)‖/R′)")

    return verdict


LEMMA.add(
    Check(
        name="conditional",
        kind=Kind.CONDITIONAL,
        claim=("corrected: wherever λ_min(H_eff(s)) ≥ λ0/2 held on [0, t] (H_eff drives u; = H of eq. (6) off sliding "
               "modes): ‖y − u(t)‖² ≤ e^{−λ0t}‖y − u(0)‖² and max_r ‖w_r(t) − w_r(0)‖ ≤ R′ = 2√n‖y − u(0)‖/(√mλ0), "
               "on runs of the gradient flow through sliding modes"),
        cases=_conditional_cases,
        trial=_conditional_trial("lambda_min_H_effective"),
        verdict=_conditional_verdict("H_eff"),
        negative_control={"R_prime": "sqrt(n)*residual/(500*sqrt(m)*lambda0)"},
    )
)

LEMMA.add(
    Check(
        name="conditional_printed",
        kind=Kind.CONDITIONAL,
        claim=("as printed: wherever λ_min(H(s)) ≥ λ0/2 held on [0, t] with H of eq. (6) at the flow's states: the same "
               "conclusions, on near-parallel inputs where neurons slide along w_rᵀx_i = 0; a failure exposes the finding"),
        cases=_printed_cases,
        trial=_conditional_trial("lambda_min_H"),
        verdict=_conditional_verdict("H"),
        negative_control={"R_prime": "sqrt(n)*residual/(500*sqrt(m)*lambda0)"},
        erratum=("finding, proposed spec du2018.md §9 erratum 9: eq. (7) du/dt = H(t)(y − u) fails on sliding modes, so "
                 "λ_min(H(s)) ≥ λ0/2 with H of eq. (6) does not give the loss bound (the hypothesis must be on H_eff)"),
    )
)


# ---------------------------------------------------------------------------------------------------------
# Worst-case search for max_r ‖w_r(t) − w_r(0)‖ / R′ with the hypothesis in force

_SCALES = np.geomspace(0.05, 20.0, 9)


def _directions(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit residual directions to try: ± every axis and random ones (for orthonormal inputs H is diagonal)."""
    axes = np.vstack([np.eye(n), -np.eye(n)])
    extra = rng.standard_normal((2 * n, n)) if n > 1 else np.zeros((0, n))
    extra = extra / np.linalg.norm(extra, axis=1, keepdims=True) if extra.size else extra
    return np.vstack([axes, extra])


def _exact_ratio(X: np.ndarray, W0: np.ndarray, a: np.ndarray, e0: np.ndarray, lam0: float, radius_name: str,
                 bounds: Bounds, threshold: float) -> float:
    """Exact max over t with λ_min(H(s)) ≥ λ0/2 on [0, t] of max_r‖w_r(t) − w_r(0)‖/radius (orthonormal inputs)."""
    n, m = X.shape[0], W0.shape[0]
    u0 = predictions(X, W0, a)
    flow = dynamics.orthonormal_gradient_flow(X, u0 + e0, W0, a)
    times = flow.event_times()
    # λ_min_at(τ) is λ_min(H) just after τ; at an event time the stopping neuron still counts (pattern ≥ 0), so
    # the hypothesis holds on [0, τ] up to and including the first event after which λ_min < λ0/2.
    held = dc.held_since_start(flow.lambda_min_at(times) >= threshold)
    if not held[0]:
        return -math.inf
    t_hyp = math.inf if held.all() else float(times[int(np.argmin(held))])
    radius = bounds(radius_name, n=n, m=m, residual=float(np.linalg.norm(flow.e0)), lambda0=lam0)
    return flow.max_move(t_hyp) / radius


def _search_exact(params: Mapping[str, Any], rng: np.random.Generator, bounds: Bounds, radius_name: str) -> dict[str, Any]:
    X, _, lam0 = dc.case_data(params)
    n, m = X.shape[0], int(params["m"])
    threshold = bounds("eig_threshold", lambda0=lam0)
    best: dict[str, Any] = {"ratio": -math.inf}
    for _ in range(int(params["draws"])):
        W0, a = init_two_layer(rng, m, X.shape[1])
        if np.linalg.eigvalsh(gram(X, W0))[0] < threshold:
            continue
        for direction in _directions(n, rng):
            for scale in _SCALES:
                ratio = _exact_ratio(X, W0, a, scale * direction, lam0, radius_name, bounds, threshold)
                if ratio > best["ratio"]:
                    best = {"ratio": ratio, "W0": W0, "a": a, "direction": direction, "scale": scale}
    if best["ratio"] > -math.inf:                                  # refine the scale of the best candidate
        for factor in np.geomspace(0.7, 1.4, 15):
            scale = best["scale"] * factor
            ratio = _exact_ratio(X, best["W0"], best["a"], scale * best["direction"], lam0, radius_name, bounds, threshold)
            if ratio > best["ratio"]:
                best.update(ratio=ratio, scale=scale)
    return {"ratio": best["ratio"], "shift": 0.0, "integrator": "exact (orthonormal)",
            "scale": best.get("scale"), "direction": None if best["ratio"] == -math.inf else best["direction"].tolist()}


def _search_generic(params: Mapping[str, Any], rng: np.random.Generator, bounds: Bounds, radius_name: str) -> dict[str, Any]:
    X, _, lam0 = dc.case_data(params)
    n, m = X.shape[0], int(params["m"])
    threshold = bounds("eig_threshold", lambda0=lam0)
    # The slowest start: among a few draws, the one whose λ_min(H(0)) is closest above λ0/2.
    candidates = []
    for _ in range(int(params["draws"])):
        W0, a = init_two_layer(rng, m, X.shape[1])
        lam_h0 = float(np.linalg.eigvalsh(gram(X, W0))[0])
        if lam_h0 >= threshold:
            candidates.append((lam_h0, W0, a))
    if not candidates:
        return {"ratio": -math.inf, "shift": 0.0, "integrator": "through sliding modes"}
    _, W0, a = min(candidates, key=lambda c: c[0])
    u0 = predictions(X, W0, a)
    v_min = np.linalg.eigh(gram(X, W0))[1][:, 0]

    def ratio_of(y: np.ndarray):
        radius = bounds(radius_name, n=n, m=m, residual=float(np.linalg.norm(y - u0)), lambda0=lam0)
        return lambda traj: traj.max_move / radius

    def inside(traj: dynamics.Trajectory) -> np.ndarray:  # the corrected hypothesis, as in ``conditional``
        return traj.info["lambda_min_effective"] >= threshold

    best = (-math.inf, None)
    for sign in (1.0, -1.0):
        for scale in _SCALES[::2]:
            y = u0 + sign * scale * v_min
            traj = dc.sliding_flow(X, y, W0, a, lam0, params)
            value = dc.worst(ratio_of(y)(traj), dc.held_since_start(inside(traj)))[0]
            if value > best[0]:
                best = (value, y)
    y = best[1]
    found = dc.halved_conditional(lambda refine: dc.sliding_flow(X, y, W0, a, lam0, params, refine), inside, {"ratio": ratio_of(y)})
    return {"ratio": found["ratio"], "shift": found["ratio_shift"], "integrator": "through sliding modes",
            "lambda_min_H0": float(np.linalg.eigvalsh(gram(X, W0))[0])}


def _search_cases(mode: Mode) -> Sequence[Case]:
    quick = mode is Mode.QUICK
    cases = [
        Case({"inputs": "orthogonal", "n": 1, "d": 1, "m": 8, "draws": 4 if quick else 10}, trials=3 if quick else 12),
        Case({"inputs": "orthogonal", "n": 2, "d": 2, "m": 8, "draws": 4 if quick else 6}, trials=2 if quick else 8),
        Case({"inputs": "sphere", "n": 3, "d": 3, "data_seed": 4, "m": 16, "draws": 6, "residual_tol": 1e-6}, trials=1 if quick else 2),
    ]
    if mode is Mode.FULL:
        cases = [Case(dict(c.params), trials=4 * c.trials) for c in cases]
        cases += [Case({"inputs": "orthogonal", "n": 1, "d": 1, "m": 64, "draws": 20}, trials=40),
                  Case({"inputs": "orthogonal", "n": 3, "d": 3, "m": 12, "draws": 20}, trials=40),
                  Case({"inputs": "near_parallel", "angle": 0.2, "n": 3, "d": 3, "data_seed": 5, "m": 16, "draws": 6}, trials=12)]
    return cases


def _search_trial(radius_name: str):
    def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        search = _search_exact if dc.orthonormal(params) else _search_generic
        found = search(params, rng, bounds, radius_name)
        inside = found["ratio"] > -math.inf
        return {
            "hypotheses": {"lambda_min_H_effective": bool(inside)},
            **dc.judge(found["ratio"] if inside else 0.0, found["shift"]),
            **{k: v for k, v in found.items() if k not in ("ratio", "shift")},
        }

    return trial


def _search_verdict(radius_name: str):
    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        return all_trials_verdict(obs, f"max over searched W(0), y, t (hypothesis in force) of max_r‖w_r(t) − w_r(0)‖/{radius_name}")

    return verdict


LEMMA.add(
    Check(
        name="worst_case",
        kind=Kind.WORST_CASE,
        claim=("search over initialisations and labels (hypothesis λ_min(H(s)) ≥ λ0/2 in force) for the largest "
               "max_r ‖w_r(t) − w_r(0)‖/R′ with the corrected R′ = 2√n‖y − u(0)‖/(√mλ0): must stay ≤ 1"),
        cases=_search_cases,
        trial=_search_trial("R_prime"),
        verdict=_search_verdict("R_prime"),
        negative_control={"R_prime": "sqrt(n)*residual/(2*sqrt(m)*lambda0)"},
    )
)

LEMMA.add(
    Check(
        name="worst_case_printed",
        kind=Kind.WORST_CASE,
        claim=("as printed in v2: the same search against R′ = √n‖y − u(0)‖/(√mλ0) (no factor 2); "
               "a ratio above 1 exposes erratum 1"),
        cases=_search_cases,
        trial=_search_trial("R_prime_printed"),
        verdict=_search_verdict("R_prime_printed"),
        negative_control={"R_prime_printed": "sqrt(n)*residual/(4*sqrt(m)*lambda0)"},
        erratum="spec du2018.md §9 erratum 1: Lemma 3.3's R′ lacks the factor 2 (the proof uses e^{−λ0 s} for ‖y − u(s)‖)",
    )
)
