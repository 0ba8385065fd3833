"""Du et al. 2018, Theorem 4.1: gradient descent converges linearly, with Condition 4.1 as its induction
hypothesis and the one-step inequality as its induction step.

> Under the same assumptions as in Theorem 3.2, if we set the number of hidden nodes m = Ω(n⁶/(λ0⁴δ³)), we
> i.i.d. initialize w_r ~ N(0, I), a_r ~ unif[{−1, 1}] for r ∈ [m], and we set the step size η = O(λ0/n²)
> then with probability at least 1 − δ over the random initialization we have for k = 0, 1, 2, …
> ‖u(k) − y‖₂² ≤ (1 − ηλ0/2)^k ‖u(0) − y‖₂².              (arXiv 1810.02054v2, §4; spec du2018.md §3.9)

Explicit forms derived in ``constants_dynamics``: η ≤ λ0(1 − n^{−1/2})/(4n²) (the largest step for which the
one-step factor 1 − ηλ0 + 2Cηn²R/δ′ + 2Cηn^{3/2}R/δ′ + η²n² is ≤ 1 − ηλ0/2, with R = cδ′λ0/n², c = √(2π)/16,
C = √(2/π)); m > 2048/π n⁵‖y − u(0)‖²/(δ′²λ0⁴) a posteriori, ≈ 41721.5(C² + ½)n⁶/(λ0⁴δ³) a priori with the
four failure probabilities δ′ = δ/4 (erratum 7), plus Lemma 3.1's m ≥ 256n² log(4n/δ)/λ0². §4.1's R lacks
δ (erratum 4); it is restored here.

Checks:
* ``probability``: the theorem, over the steps 0..K of each run (K stated per case). Inside its hypotheses
  only in full mode, on two orthogonal inputs (λ0 = 1/2, C = 0.1, δ = 0.9, m ≈ 3·10⁷, exact GD for
  orthonormal inputs); elsewhere slack evidence with the observed per-step rate against ηλ0/2 and the
  movement against R′.
* ``one_step``: the one-step inequality ‖y − u(k+1)‖² ≤ (1 − ηλ0/2)‖y − u(k)‖² on every GD step of every run
  where the hypotheses of spec §3.9 hold at that step: (1) λ_min(H(k)) ≥ λ0/2, (2) max_r ‖w_r(k) − w_r(0)‖
  and max_r ‖w_r(k+1) − w_r(0)‖ < R, (3) Σ_i |S_i^⊥| ≤ CmnR/δ′, (4) η ≤ the derived step size. Given them
  the inequality is deterministic (a conditional check).
* ``condition4_1``: Condition 4.1 at step k wherever the one-step hypotheses held at every step before k.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, probability_verdict
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, delta, eta, k, lambda0

LEMMA = register(
    Lemma(
        id="du2018.theorem4.1",
        title="Gradient descent converges at rate (1 − ηλ0/2)^k for m = Ω(n⁶/(λ0⁴δ³)), η = O(λ0/n²)",
        source=source("§4, Theorem 4.1 (Condition 4.1, Corollary 4.1, Lemma 4.1; proof §4.1, App. B)", "du2018.md §3.9"),
        statement=(
            r"Under the same assumptions as in Theorem 3.2, if we set $m=\Omega\left(\frac{n^6}{\lambda_0^4\delta^3}\right)$, "
            r"i.i.d. initialize $\mathbf w_r\sim N(\mathbf 0,\mathbf I)$, $a_r\sim\mathrm{unif}[\{-1,1\}]$, and set "
            r"$\eta=O\left(\frac{\lambda_0}{n^2}\right)$, then with probability at least $1-\delta$ over the random "
            r"initialization, for $k=0,1,2,\ldots$: $\|\mathbf u(k)-\mathbf y\|_2^2\le\left(1-\frac{\eta\lambda_0}{2}\right)^k"
            r"\|\mathbf u(0)-\mathbf y\|_2^2$. Condition 4.1: $\|\mathbf y-\mathbf u(k)\|_2^2\le(1-\frac{\eta\lambda_0}{2})^k"
            r"\|\mathbf y-\mathbf u(0)\|_2^2$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("width", cd.gd_width, "width, four failure probabilities δ/4 (≈ 41721.5(C² + ½)n⁶/(λ0⁴δ³))", "width", "D",
                         "4√n‖y − u(0)‖/(√mλ0) < cδ′λ0/n², ‖y − u(0)‖² ≤ n(C² + ½)/δ′, δ′ = δ/4"),
                Quantity("lemma31_width", cd.lemma31_width_split4, "Lemma 3.1's width at δ/4", "width", "D"),
                Quantity("step_size", cd.step_size, "largest η of the one-step inequality: λ0(1 − n^{−1/2})/(4n²)", "step", "D",
                         "1 − ηλ0 + 2Cηn²R/δ′ + 2Cηn^{3/2}R/δ′ + η²n² = 1 − ηλ0/2 at R = cδ′λ0/n², solved for η"),
                Quantity("loss_bound", (1 - eta * lambda0 / 2) ** k, "bound on ‖y − u(k)‖²/‖y − u(0)‖² (Condition 4.1)", "rate", "V"),
                Quantity("contraction", 1 - eta * lambda0 / 2, "one-step bound on ‖y − u(k+1)‖²/‖y − u(k)‖²", "rate", "V"),
                Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
                Quantity("R", cd.lemma32_radius(delta / 4), "R = cδ′λ0/n² at δ′ = δ/4 (erratum 4: δ restored)", "radius", "D"),
                Quantity("flip_bound", cd.lemma41_C * sp.Symbol("m", positive=True, integer=True) * sp.Symbol("n", positive=True, integer=True)
                         * sp.Symbol("R", positive=True) / (delta / 4), "Lemma 4.1 event at δ′: Σ_i|S_i^⊥| ≤ CmnR/δ′", "bound", "D"),
                Quantity("R_prime", cd.gd_radius, "Corollary 4.1's radius 4√n‖y − u(0)‖/(√mλ0)", "radius", "V"),
                Quantity("eig_threshold", lambda0 / 2, "λ_min(H(k)) ≥ this (Lemma 3.2)", "bound", "V"),
            ]
        },
        hypotheses={
            "lambda0_positive": "Assumption 3.1 (certified λ0 > 0)",
            "labels_bounded": "|y_i| ≤ C",
            "width": "m ≥ the derived width and Lemma 3.1's width",
            "step_size": "η ≤ λ0(1 − n^{−1/2})/(4n²)",
            "one_step_hypotheses": "at some step k: λ_min(H(k)) ≥ λ0/2, max_r‖w_r − w_r(0)‖ < R at k and k+1, "
                                   "Σ_i|S_i^⊥| ≤ CmnR/δ′, η ≤ the step size (spec §3.9, 1–4)",
        },
        notes=(
            "Erratum 4 (spec §9): §4.1 prints R = cλ0/n² without δ; R = cδ′λ0/n² is used.",
            "Erratum 7: four failure probabilities, each δ/4.",
            "The 'for k = 0, 1, 2, …' claim is checked on the stated horizon K of each case.",
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# Runs


def _width(params: Mapping[str, Any], bounds: Bounds, lam0: float) -> int:
    if params["m"] != "width":
        return int(params["m"])
    values = {"n": int(params["n"]), "C": float(params["C"]), "delta": float(params["delta"]), "lambda0": lam0}
    return int(math.ceil(max(bounds("width", **values), bounds("lemma31_width", **values))))


def _run(params: Mapping[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    """One GD run of a case with everything the three checks read from it."""
    X, y, lam0 = dc.case_data(params)
    n, dlt = X.shape[0], float(params["delta"])
    m = _width(params, bounds, lam0)
    paper_step = bounds("step_size", n=n, lambda0=lam0)
    step = dc.step_size(params, X, lam0, paper_step)
    W0, a, _ = dc.draw_init(rng, X, m, tries=1)
    run = dc.descent(X, y, W0, a, step, params)
    radius = bounds("R", n=n, delta=dlt, lambda0=lam0)
    flips, _, _ = dc.flippable(X, W0, radius, params.get("chunk"))
    residual = run.residual
    ratio = (residual / residual[0]) ** 2
    steps = np.arange(residual.size)
    one_step = (
        (run.lambda_min[:-1] >= bounds("eig_threshold", lambda0=lam0))
        & (run.max_move[:-1] < radius) & (run.max_move[1:] < radius)
        & (flips <= bounds("flip_bound", m=m, n=n, delta=dlt, lambda0=lam0))
        & (step <= paper_step)
    )
    return {
        "X": X, "y": y, "lam0": lam0, "n": n, "m": m, "eta": step, "paper_step": paper_step, "ratio": ratio, "steps": steps,
        "run": run, "radius": radius, "flips": flips, "one_step": one_step, "residual0": float(residual[0]),
    }


def _cases(kind: str):
    def cases(mode: Mode) -> Sequence[Case]:
        if kind == "probability":
            slack = {"inputs": "sphere", "labels": "uniform", "C": 1.0, "delta": 0.25, "eta": "paper"}
            if mode is Mode.QUICK:
                return [Case({**slack, "n": 2, "d": 4, "data_seed": 2, "m": 256, "steps": 200}, trials=8)]
            out = [Case({**slack, "n": 3, "d": 6, "data_seed": 1, "m": 512, "steps": 400}, trials=20)]
            if mode is Mode.FULL:
                out += [Case({"inputs": "orthogonal", "labels": "uniform", "C": 0.1, "delta": 0.9, "n": 2, "d": 2, "data_seed": 11,
                              "eta": "paper", "m": "width", "steps": 3000, "chunk": 1 << 20}, trials=10)]
            return out
        # one_step and condition4_1: runs where hypotheses 1–4 hold on the first steps.
        base = {"inputs": "sphere", "labels": "uniform", "C": 1.0, "delta": 0.9, "eta": "paper", "n": 2, "d": 4, "data_seed": 5}
        if mode is Mode.QUICK:
            return [Case({**base, "m": 16384, "steps": 40}, trials=2)]
        out = [Case({**base, "m": 32768, "steps": 60}, trials=5),
               Case({**base, "n": 3, "d": 6, "data_seed": 6, "m": 32768, "steps": 40}, trials=3)]
        if mode is Mode.FULL:
            out += [Case({"inputs": "orthogonal", "labels": "uniform", "C": 0.1, "delta": 0.9, "n": 2, "d": 2, "data_seed": 11,
                          "eta": "paper", "m": "width", "steps": 3000, "chunk": 1 << 20}, trials=5),
                    Case({**base, "n": 4, "d": 8, "data_seed": 7, "m": 1 << 18, "steps": 150}, trials=3)]
        return out

    return cases


# ---------------------------------------------------------------------------------------------------------
# Theorem 4.1


def _probability_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    r = _run(params, rng, bounds)
    lam0, n, m, step = r["lam0"], r["n"], r["m"], r["eta"]
    bound = np.array([bounds("loss_bound", eta=step, lambda0=lam0, k=int(j)) for j in r["steps"]])
    rates = dc.rate_ratio(r["ratio"], bound)
    values = {"n": n, "C": float(params["C"]), "delta": float(params["delta"]), "lambda0": lam0}
    K = int(r["steps"][-1])
    r_prime = bounds("R_prime", n=n, m=m, residual=r["residual0"], lambda0=lam0)
    return {
        "hypotheses": {
            "lambda0_positive": lam0 > 0,
            "labels_bounded": dc.label_bound(r["y"]) <= float(params["C"]),
            "width": m >= bounds("width", **values) and m >= bounds("lemma31_width", **values),
            "step_size": step <= r["paper_step"],
        },
        **dc.judge(float(np.nanmax(rates))),
        "m": m,
        "eta": step,
        "horizon": K,
        "observed_rate_per_step_over_proven": float(-math.log(max(r["ratio"][-1], 1e-300)) / K / -math.log(1 - step * lam0 / 2)),
        "move_over_R_prime": float(np.max(r["run"].max_move) / r_prime),
        "one_step_hypotheses_steps": int(np.count_nonzero(r["one_step"])),
    }


def _probability_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings,
                               "P(‖y − u(k)‖² > (1 − ηλ0/2)^k‖y − u(0)‖² for some k ≤ K)")


LEMMA.add(
    Check(
        name="probability",
        kind=Kind.PROBABILITY,
        claim="at the derived width and step size, P(‖y − u(k)‖² ≤ (1 − ηλ0/2)^k‖y − u(0)‖² for k = 0..K) ≥ 1 − δ",
        cases=_cases("probability"),
        trial=_probability_trial,
        verdict=_probability_verdict,
        negative_control={"loss_bound": "(1 - eta*lambda0/2)**(100*k)"},
    )
)


# ---------------------------------------------------------------------------------------------------------
# The one-step inequality and Condition 4.1


def _one_step_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    r = _run(params, rng, bounds)
    ratio = r["ratio"]
    with np.errstate(divide="ignore", invalid="ignore"):
        step_ratio = np.where(ratio[:-1] > 0, ratio[1:] / ratio[:-1], 0.0)
    rates = dc.rate_ratio(step_ratio, bounds("contraction", eta=r["eta"], lambda0=r["lam0"]))
    inside = r["one_step"]
    value, at = dc.worst(rates, inside)
    if at < 0:
        value = float(np.nanmax(rates))
    return {
        "hypotheses": {"one_step_hypotheses": bool(inside.any())},
        **dc.judge(value),
        "steps_inside": int(np.count_nonzero(inside)),
        "steps": int(inside.size),
        "worst_step": at,
        "max_move_over_R_at_end": float(r["run"].max_move[-1] / r["radius"]),
        "flips_over_bound": float(r["flips"] / bounds("flip_bound", m=r["m"], n=r["n"], delta=float(params["delta"]), lambda0=r["lam0"])),
        "eta": r["eta"],
    }


def _condition_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    r = _run(params, rng, bounds)
    bound = np.array([bounds("loss_bound", eta=r["eta"], lambda0=r["lam0"], k=int(j)) for j in r["steps"]])
    rates = dc.rate_ratio(r["ratio"], bound)
    inside = np.concatenate([[False], dc.held_since_start(r["one_step"])])   # hypotheses at every k′ < k
    value, at = dc.worst(rates, inside)
    if at < 0:
        value = float(np.nanmax(rates))
    return {
        "hypotheses": {"one_step_hypotheses": bool(inside.any())},
        **dc.judge(value),
        "steps_inside": int(np.count_nonzero(inside)),
        "worst_step": at,
        "eta": r["eta"],
    }


def _conditional_verdict(quantity: str):
    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        return all_trials_verdict(obs, quantity)

    return verdict


LEMMA.add(
    Check(
        name="one_step",
        kind=Kind.CONDITIONAL,
        claim=("on every GD step k where hypotheses 1–4 of spec §3.9 hold: ‖y − u(k+1)‖² ≤ (1 − ηλ0/2)‖y − u(k)‖² "
               "(reported as log(1 − ηλ0/2)/log(‖y − u(k+1)‖²/‖y − u(k)‖²) ≤ 1)"),
        cases=_cases("one_step"),
        trial=_one_step_trial,
        verdict=_conditional_verdict("max over in-hypothesis steps of log(1 − ηλ0/2)/log(‖y − u(k+1)‖²/‖y − u(k)‖²)"),
        negative_control={"contraction": "(1 - eta*lambda0/2)**100"},
    )
)

LEMMA.add(
    Check(
        name="condition4_1",
        kind=Kind.CONDITIONAL,
        claim=("Condition 4.1, ‖y − u(k)‖² ≤ (1 − ηλ0/2)^k‖y − u(0)‖², at every step k before which hypotheses 1–4 "
               "held at every step (the induction of Theorem 4.1)"),
        cases=_cases("condition4_1"),
        trial=_condition_trial,
        verdict=_conditional_verdict("max over in-hypothesis k of log((1 − ηλ0/2)^k)/log(‖y − u(k)‖²/‖y − u(0)‖²)"),
        negative_control={"loss_bound": "(1 - eta*lambda0/2)**(100*k)"},
    )
)
