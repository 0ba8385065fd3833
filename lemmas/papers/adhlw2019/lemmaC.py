"""ADHLW Lemmas C.1–C.3 (App. C): the intermediate results of the proof of Theorem 4.1.

> Lemma C.1. Under the same setting as Theorem 3.1, with probability at least 1 − δ over the random
> initialization, for all r ∈ [m] and all k ≥ 0: ‖w_r(k) − w_r(0)‖₂ ≤ 4√n‖y − u(0)‖₂/(√m λ0).
> Lemma C.2. Under the same setting as Theorem 3.1, with probability at least 1 − 4δ, for all k ≥ 0:
> ‖H(k) − H(0)‖_F = O(n³/(√m λ0 κ δ^{3/2})) and ‖Z(k) − Z(0)‖_F = O(n/√(m^{1/2} λ0 κ δ^{3/2})).
> Lemma C.3. With probability at least 1 − δ over the random initialization,
> ‖H(0) − H∞‖_F² ≤ n² log(2n²/δ)/(2m).                                (arXiv 1901.08584v2, App. C)

Checks:

* C.1 ``radius`` (confirmed, conditional): the proof is deterministic given Theorem 3.1's conclusion
  ‖y − u(k′)‖² ≤ (1 − ηλ0/2)^{k′}‖y − u(0)‖² for k′ < k (then √(1 − ηλ0/2) ≤ 1 − ηλ0/4 and a geometric
  series). Every GD step k whose premise held on all earlier steps is checked: max_r ‖w_r(k) − w_r(0)‖ ≤ R′.
  λ0 enters through a certified enclosure: the premise is tested at its upper end (strictest), the radius
  at its lower end (largest), so neither rounding nor the enclosure can turn a pass into a false failure.
* C.2 ``gram_drift_width`` and ``feature_drift_width`` (exploratory: constants hidden): sup_k ‖H(k) − H(0)‖_F
  and sup_k ‖Z(k) − Z(0)‖_F against m at fixed κ, claimed exponents −1/2 and −1/4 (upper). ‖Z(k) − Z(0)‖_F is
  exact from pattern counts: the (r, i) block of Z is 𝕀{w_rᵀx_i ≥ 0} a_r x_i/√m, so for unit inputs
  ‖Z(k) − Z(0)‖_F² = (number of flipped (r, i) patterns)/m.
* C.3 ``probability`` (confirmed): Clopper–Pearson on the failures of ‖H(0) − H∞‖_F² ≤ n² log(2n²/δ)/(2m), the
  Frobenius norm enclosed rigorously (H∞ by :func:`lemmas.certify.gram_infinity_enclosure`, H(0) from exact
  pattern counts with :func:`lemmas.core.twolayer.gram_rounding_radius`).

Step size η = 1/λ_max(H∞), GD run to convergence (see :mod:`lemmas.papers.adhlw2019.theorem4_1`).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks import all_trials_verdict, exponent_verdict, probability_verdict
from lemmas.core.dynamics import gradient_descent
from lemmas.core.twolayer import default_chunk, gram, gram_rounding_radius, init_two_layer, loss_and_grad
from lemmas.papers.adhlw2019 import constants, plot, series, source
from lemmas.papers.adhlw2019.theorem4_1 import Problem, hypotheses, problem
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.symbolic import Bounds, Quantity, delta, eta, k, lambda0

# ---------------------------------------------------------------------------------------------------------
# Lemma C.1

LEMMA_C1 = register(
    Lemma(
        id="adhlw2019.lemmaC.1",
        title="Per-neuron distance from initialisation, R′ = 4√n‖y − u(0)‖/(√m λ0)",
        source=source("App. C, Lemma C.1", "du2018.md §6.3"),
        statement=(
            r"Under the same setting as Theorem 3.1, with probability at least $1-\delta$ over the random initialization, "
            r"for all $r\in[m]$ and all $k\ge0$: $\|\mathbf w_r(k)-\mathbf w_r(0)\|_2\le\frac{4\sqrt n\|\mathbf y-\mathbf u(0)\|_2}{\sqrt m\lambda_0}$."
        ),
        tag="VA",
        quantities={
            "radius": Quantity("radius", constants.lemmaC1_radius, "R′ = 4√n‖y − u(0)‖/(√m λ0)", "radius", "VA",
                               "η Σ_k (1 − ηλ0/4)^k √n‖y − u(0)‖/√m summed to k = ∞ (sympy)"),
            "premise_rate": Quantity("premise_rate", (1 - eta * lambda0 / 2) ** k,
                                     "Theorem 3.1's rate: ‖y − u(k)‖² ≤ (1 − ηλ0/2)^k ‖y − u(0)‖²", "rate", "VA"),
        },
        hypotheses={
            "lambda0_positive": "λ0 = λ_min(H∞) > 0 (certified lower end > 0)",
            "step_size": "η ≤ 1/λ_max(H∞) (implied by η = O(λ0/n²))",
        },
        notes=(
            "Checked as the deterministic implication its proof is: the conclusion at step k on every run whose loss decayed "
            "at Theorem 3.1's rate on steps 0..k−1 (the premise); steps after the premise first fails are not checked.",
        ),
    )
)


def _c1_cases(mode: Mode) -> Sequence[Case]:
    base = {"n": 20, "d": 10, "data_seed": 1, "steps": 200}
    if mode is Mode.QUICK:
        return [Case({**base, "kappa": 1.0, "widths": [500, 2000], "steps": 100}, trials=2)]
    widths = [500, 2000, 8000] + ([32000] if mode is Mode.FULL else [])
    return [Case({**base, "kappa": kappa, "widths": widths}, trials=len(widths)) for kappa in (1.0, 0.1)]


def _c1_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    prob = problem(params)
    m, steps = int(params["widths"][index]), int(params["steps"])
    W0, a = init_two_layer(rng, m, prob.d, float(params["kappa"]))
    traj = gradient_descent(prob.X, prob.y, W0, a, prob.eta, steps)
    res2 = traj.residual**2
    lo, hi = prob.lambda0
    ks = np.arange(steps + 1)
    rate = np.array([bounds("premise_rate", eta=prob.eta, lambda0=hi, k=int(j)) for j in ks])
    premise = res2 <= rate * res2[0]
    # The conclusion at step k needs the premise on steps 0..k−1.
    first_break = int(np.argmin(premise)) if not premise.all() else steps + 1
    checked = ks[: min(first_break + 1, steps + 1)]
    radius = bounds("radius", n=prob.n, m=m, residual=float(traj.residual[0]), lambda0=lo)
    radius_tight = bounds("radius", n=prob.n, m=m, residual=float(traj.residual[0]), lambda0=hi)
    moves = traj.max_move[checked]
    worst = int(np.argmax(moves))
    value = float(moves[worst])
    return {
        "hypotheses": hypotheses(prob),
        "m": m,
        "value": value,
        "bound": radius,
        "margin": radius - value,
        "failed": bool(value > radius),
        "ambiguous": bool(radius_tight < value <= radius),
        "ratio": value / radius,
        "steps_checked": int(checked.size),
        "premise_held_throughout": bool(first_break > steps),
        "tier": Tier.FLOAT.value,
    }


def _c1_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "max_r ‖w_r(k) − w_r(0)‖₂ against R′ (steps whose premise held)")
    v.evidence.update({
        "ratio_to_radius": {o["m"]: o["ratio"] for o in obs},
        "steps_checked": {o["m"]: o["steps_checked"] for o in obs},
        "premise_held_throughout": {o["m"]: o["premise_held_throughout"] for o in obs},
        "plot": plot(f"ADHLW Lemma C.1: max_r ‖w_r(k) − w_r(0)‖ / R′ (κ = {params['kappa']})", "m", "ratio (≤ 1 claimed)",
                     [series("GD runs", [o["m"] for o in obs], [o["ratio"] for o in obs], "marker")], "log", "log"),
    })
    return v


LEMMA_C1.add(
    Check(
        name="radius",
        kind=Kind.CONDITIONAL,
        claim="on every GD step whose loss decayed at rate (1 − ηλ0/2) before it, max_r ‖w_r(k) − w_r(0)‖ ≤ 4√n‖y − u(0)‖/(√m λ0)",
        cases=_c1_cases,
        trial=_c1_trial,
        verdict=_c1_verdict,
        negative_control={"radius": "sqrt(n)*residual/(sqrt(m)*lambda0)/10**4"},
    )
)

# ---------------------------------------------------------------------------------------------------------
# Lemma C.2

LEMMA_C2 = register(
    Lemma(
        id="adhlw2019.lemmaC.2",
        title="Drift of H(k) and Z(k) along GD",
        source=source("App. C, Lemma C.2", "du2018.md §6.3"),
        statement=(
            r"Under the same setting as Theorem 3.1, with probability at least $1-4\delta$ over the random initialization, for all "
            r"$k\ge0$: $\|\mathbf H(k)-\mathbf H(0)\|_F=O\left(\frac{n^3}{\sqrt m\lambda_0\kappa\delta^{3/2}}\right)$ and "
            r"$\|\mathbf Z(k)-\mathbf Z(0)\|_F=O\left(\frac{n}{\sqrt{m^{1/2}\lambda_0\kappa\delta^{3/2}}}\right)$."
        ),
        tag="VA",
        quantities={
            "gram_exponent": Quantity("gram_exponent", constants.lemmaC2_gram_width_exponent, "exponent of m in ‖H(k) − H(0)‖_F", "rate", "VA"),
            "feature_exponent": Quantity("feature_exponent", constants.lemmaC2_feature_width_exponent, "exponent of m in ‖Z(k) − Z(0)‖_F",
                                         "rate", "VA"),
        },
        hypotheses={
            "lambda0_positive": "λ0 = λ_min(H∞) > 0 (certified lower end > 0)",
            "step_size": "η ≤ 1/λ_max(H∞) (implied by η = O(λ0/n²))",
        },
        notes=("Constants hidden: only the exponents of m are checked, exploratory. At fixed m a small κ leaves the hypothesis "
               "m ≥ κ⁻² poly, so the κ exponents are not checked at fixed m.",),
    )
)


def drifts(prob: Problem, m: int, kappa: float, steps: int, rng: np.random.Generator) -> tuple[float, float]:
    """(sup_k ‖H(k) − H(0)‖_F, sup_k ‖Z(k) − Z(0)‖_F) along GD from a fresh initialisation of scale κ."""
    W0, a = init_two_layer(rng, m, prob.d, kappa)
    chunk = default_chunk(prob.n, m)
    slices = [slice(s, min(m, s + chunk)) for s in range(0, m, chunk)]
    S0 = [W0[sl] @ prob.X.T >= 0.0 for sl in slices]
    H0 = gram(prob.X, W0)
    W = W0.copy()
    gram_drift = feature_drift = 0.0
    for _ in range(steps):
        W -= prob.eta * loss_and_grad(prob.X, W, a, prob.y)[1]
        flips = sum(int(np.count_nonzero((W[sl] @ prob.X.T >= 0.0) != s0)) for sl, s0 in zip(slices, S0))
        gram_drift = max(gram_drift, float(np.linalg.norm(gram(prob.X, W) - H0)))
        feature_drift = max(feature_drift, math.sqrt(flips / m))
    return gram_drift, feature_drift


_REPS, _TEST = 5, 4


def _c2_cases(mode: Mode) -> Sequence[Case]:
    base = {"n": 20, "d": 10, "data_seed": 1, "kappa": 0.5}
    if mode is Mode.QUICK:
        return [Case({**base, "widths": [500, 8000], "steps": 100, "reps": 2, "test": 2}, trials=4)]
    widths = [500, 1000, 2000, 4000, 8000] + ([16000, 32000] if mode is Mode.FULL else [])
    return [Case({**base, "widths": widths, "steps": 200, "reps": _REPS, "test": _TEST}, trials=_REPS * len(widths))]


def _c2_trial(which: int) -> Any:
    def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        prob = problem(params)
        reps, test = int(params["reps"]), int(params["test"])
        m = int(params["widths"][index // reps])
        values = drifts(prob, m, float(params["kappa"]), int(params["steps"]), rng)
        return {"hypotheses": hypotheses(prob), "x": m, "y": values[which], "role": "test" if index % reps < test else "calibration"}

    return trial


def _c2_verdict(quantity: str, label: str) -> Any:
    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        claimed = bounds(quantity)
        v = exponent_verdict(obs, claimed, "upper", label, "m", settings)
        fit = v.evidence["fit"]
        xs = sorted(set(v.evidence["x"]))
        v.evidence["plot"] = plot(f"ADHLW Lemma C.2: {label} against m (κ = {params['kappa']})", "m", label,
                                  [series("GD runs", v.evidence["x"], v.evidence["y"], "marker"),
                                   series(f"fit: exponent {fit['exponent']:.3f}", xs, [fit["constant"] * x ** fit["exponent"] for x in xs])],
                                  "log", "log")
        return v

    return verdict


LEMMA_C2.add(
    Check(
        name="gram_drift_width",
        kind=Kind.EXPONENT,
        claim="sup_k ‖H(k) − H(0)‖_F = O(m^{−1/2}) at fixed κ (fitted exponent in m)",
        cases=_c2_cases,
        trial=_c2_trial(0),
        verdict=_c2_verdict("gram_exponent", "sup_k ‖H(k) − H(0)‖_F"),
        negative_control={"gram_exponent": "-2"},
        confirmed=False,
    )
)

LEMMA_C2.add(
    Check(
        name="feature_drift_width",
        kind=Kind.EXPONENT,
        claim="sup_k ‖Z(k) − Z(0)‖_F = O(m^{−1/4}) at fixed κ (fitted exponent in m)",
        cases=_c2_cases,
        trial=_c2_trial(1),
        verdict=_c2_verdict("feature_exponent", "sup_k ‖Z(k) − Z(0)‖_F"),
        negative_control={"feature_exponent": "-1"},
        confirmed=False,
    )
)

# ---------------------------------------------------------------------------------------------------------
# Lemma C.3

LEMMA_C3 = register(
    Lemma(
        id="adhlw2019.lemmaC.3",
        title="‖H(0) − H∞‖_F² ≤ n² log(2n²/δ)/(2m)",
        source=source("App. C, Lemma C.3", "du2018.md §3.4, §6.3"),
        statement=(
            r"With probability at least $1-\delta$ over the random initialization, "
            r"$\|\mathbf H(0)-\mathbf H^\infty\|_F^2\le\frac{n^2\log(2n^2/\delta)}{2m}$."
        ),
        tag="VA",
        quantities={
            "frobenius_bound": Quantity("frobenius_bound", constants.lemmaC3_frobenius_squared, "n² log(2n²/δ)/(2m)", "bound", "VA",
                                        "Hoeffding per entry √(log(2/δ′)/(2m)), δ′ = δ/n², squared and summed over n² entries"),
            "failure_probability": Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "VA"),
        },
        hypotheses={"inputs": "unit-norm inputs (checked at load)"},
        notes=("H(0) does not depend on κ (patterns are scale invariant), so κ = 1.",),
    )
)


def _c3_cases(mode: Mode) -> Sequence[Case]:
    base = {"n": 20, "d": 10, "data_seed": 1, "delta": 0.1}
    if mode is Mode.QUICK:
        return [Case({**base, "m": 100}, trials=30)]
    cases = [Case({**base, "m": m}, trials=200) for m in (10, 100, 1000)]
    if mode is Mode.FULL:
        cases.append(Case({"n": 60, "d": 30, "data_seed": 2, "delta": 0.05, "m": 500}, trials=1000))
    return cases


def _c3_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    prob = problem(params)
    m = int(params["m"])
    W, _ = init_two_layer(rng, m, prob.d)
    D = gram(prob.X, W) - prob.H
    # |D_exact − D| ≤ ρ: both matrices' radii plus the rounding of the subtraction.
    rho = gram_rounding_radius(prob.X) + prob.H_radius + np.spacing(np.abs(D))
    inflate = 1.0 + 4.0 * (prob.n**2 + 2) * 2.0**-53
    upper = float(np.sum((np.abs(D) + rho) ** 2)) * inflate
    lower = float(np.sum(np.maximum(np.abs(D) - rho, 0.0) ** 2)) / inflate
    bound = bounds("frobenius_bound", n=prob.n, m=m, delta=float(params["delta"]))
    value = float(np.sum(D**2))
    return {
        "hypotheses": {"inputs": True},
        "value": value,
        "bound": bound,
        "margin": bound - value,
        "failed": bool(lower > bound),
        "ambiguous": bool(lower <= bound < upper),
        "tier": Tier.FLOAT.value,
    }


LEMMA_C3.add(
    Check(
        name="probability",
        kind=Kind.PROBABILITY,
        claim="P(‖H(0) − H∞‖_F² ≤ n² log(2n²/δ)/(2m)) ≥ 1 − δ (Clopper–Pearson; Frobenius norm enclosed rigorously)",
        cases=_c3_cases,
        trial=_c3_trial,
        verdict=lambda params, obs, bounds, settings: probability_verdict(
            obs, bounds("failure_probability", delta=params["delta"]), settings, "P(‖H(0) − H∞‖_F² > n² log(2n²/δ)/(2m))"),
        negative_control={"frobenius_bound": "n**2/(400*m)"},
    )
)
