"""Du et al. 2018, Lemma A.5 (App. A.1): the output layer stays within R′_a.

> With probability at least 1 − δ, |w_r(0)ᵀx_i| ≤ 3√log(mn/δ) for all i, r. Then, if for 0 ≤ s ≤ t,
> λ_min(H(s)) ≥ λ0/2 and ‖w_r(s) − w_r(0)‖ ≤ R_w, we have |a_r(t) − a_r(0)| ≤ R′_a
> = 8√n‖y − u(0)‖₂√log(mn/δ)/(√m λ0).          (arXiv 1810.02054v2, App. A.1; spec du2018.md §3.8)

Two checks: the Gaussian tail bound (a probability over the initialisation: union bound over the mn pairs,
hence log(mn/δ); Theorem 3.3 prints log(m/δ), erratum 5), and the deterministic implication along joint
gradient-flow runs, with the tail event as a hypothesis (|da_r/ds| ≤ (1/√m)√n‖y − u(s)‖·max_i|w_r(s)ᵀx_i|
≤ (4√log(mn/δ)/√m)√n‖y − u(s)‖, integrated).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks import all_trials_verdict, compare, probability_verdict
from lemmas.core.twolayer import init_two_layer
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.symbolic import Bounds, Quantity, delta, lambda0

LEMMA = register(
    Lemma(
        id="du2018.lemmaA.5",
        title="Joint training: the Gaussian tail bound and |a_r(t) − a_r(0)| ≤ R′_a",
        source=source("App. A.1, Lemma A.5", "du2018.md §3.8"),
        statement=(
            r"With probability at least $1-\delta$, $|\mathbf w_r(0)^\top\mathbf x_i|\le3\sqrt{\log(mn/\delta)}$ for all $i,r$. "
            r"Then, if for $0\le s\le t$, $\lambda_{\min}(\mathbf H(s))\ge\frac{\lambda_0}{2}$ and "
            r"$\|\mathbf w_r(s)-\mathbf w_r(0)\|\le R_w$, we have $|a_r(t)-a_r(0)|\le R_a'="
            r"\frac{8\sqrt n\|\mathbf y-\mathbf u(0)\|_2\sqrt{\log(mn/\delta)}}{\sqrt m\lambda_0}$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("tail_radius", cd.tail_radius, "bound on |w_r(0)ᵀx_i|", "radius", "V"),
                Quantity("R_a_prime", cd.joint_R_a_prime, "radius of a under joint training", "radius", "V",
                         "∫₀^∞ (4√log(mn/δ)/√m)√n e^{−λ0 s/2}‖y − u(0)‖ ds"),
                Quantity("R_w", cd.joint_R_w, "radius of w (hypothesis)", "radius", "V"),
                Quantity("eig_threshold", lambda0 / 2, "hypothesis: λ_min(H(s)) ≥ this", "bound", "V"),
                Quantity("failure_probability", delta, "probability the tail bound may fail", "probability", "V"),
            ]
        },
        hypotheses={
            "tail_event": "max_{r,i} |w_r(0)ᵀx_i| ≤ 3√log(mn/δ)",
            "on_path": "λ_min(H(s)) ≥ λ0/2 and max_r‖w_r(s) − w_r(0)‖ ≤ R_w for 0 ≤ s ≤ t, at some recorded t > 0",
        },
        notes=("Erratum 5 (spec §9): Theorem 3.3 prints log(m/δ); the proof has log(mn/δ).",),
    )
)


def _tail_cases(mode: Mode) -> Sequence[Case]:
    base = {"inputs": "sphere", "n": 3, "d": 6, "data_seed": 1, "delta": 0.1}
    if mode is Mode.QUICK:
        return [Case({**base, "m": 256}, trials=30)]
    return [Case({**base, "m": 256}, trials=200), Case({**base, "n": 10, "d": 20, "data_seed": 2, "m": 4096}, trials=200)]


def _tail_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X, _, _ = dc.case_data({**params, "labels": "uniform"})
    n, m = X.shape[0], int(params["m"])
    W0, _ = init_two_layer(rng, m, X.shape[1])
    zmax = float(np.max(np.abs(W0 @ X.T)))
    return {"hypotheses": {"tail_event": True, "on_path": True},
            **compare(zmax, bounds("tail_radius", m=m, n=n, delta=float(params["delta"]))), "tier": Tier.ESTIMATED.value}


def _tail_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings, "P(max |w_r(0)ᵀx_i| > 3√log(mn/δ))")


def _conditional_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X, _, lam0 = dc.case_data(params)
    n, m, dlt = X.shape[0], int(params["m"]), float(params["delta"])
    threshold = bounds("eig_threshold", lambda0=lam0)
    r_w = bounds("R_w", n=n, delta=dlt, lambda0=lam0)
    tail = bounds("tail_radius", m=m, n=n, delta=dlt)
    tail_held = {}

    def inside(traj, W0):
        tail_held["value"] = bool(np.max(np.abs(W0 @ X.T)) <= tail)
        return dc.held_since_start((traj.lambda_min >= threshold) & (traj.max_move <= r_w)) & tail_held["value"]

    found = dc.joint_conditional(
        params, rng, threshold, inside=inside,
        value=lambda traj: traj.max_a_move / bounds("R_a_prime", n=n, m=m, residual=float(traj.residual[0]), delta=dlt, lambda0=lam0),
    )
    return {"hypotheses": {"tail_event": tail_held["value"], "on_path": found["states_inside"] > 0}, **found}


def _conditional_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "max over t inside the hypotheses of max_r|a_r(t) − a_r(0)|/R′_a")


LEMMA.add(
    Check(
        name="tail",
        kind=Kind.PROBABILITY,
        claim="P(|w_r(0)ᵀx_i| ≤ 3√log(mn/δ) for all i, r) ≥ 1 − δ (Clopper–Pearson)",
        cases=_tail_cases,
        trial=_tail_trial,
        verdict=_tail_verdict,
        negative_control={"tail_radius": "sqrt(log(m*n/delta))/3"},
    )
)

LEMMA.add(
    Check(
        name="conditional",
        kind=Kind.CONDITIONAL,
        claim="on the tail event, wherever λ_min(H(s)) ≥ λ0/2 and ‖w_r(s) − w_r(0)‖ ≤ R_w held on [0, t]: max_r|a_r(t) − a_r(0)| ≤ R′_a",
        cases=lambda mode: dc.joint_cases(mode, conditional=True),
        trial=_conditional_trial,
        verdict=_conditional_verdict,
        negative_control={"R_a_prime": "sqrt(n)*residual/(1000*sqrt(m)*lambda0)"},
    )
)
