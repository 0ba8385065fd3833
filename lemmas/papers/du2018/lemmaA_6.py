"""Du et al. 2018, Lemma A.6 (App. A.1): if both travelled radii are below the stable radii, joint gradient
flow stays in the stable region for all time.

> If R′_w < R_w and R′_a < R_a, then for all t ≥ 0, λ_min(H(t)) ≥ λ0/2, for all r ∈ [m],
> ‖w_r(t) − w_r(0)‖₂ ≤ R′_w and |a_r(t) − a_r(0)| ≤ R′_a, and ‖y − u(t)‖² ≤ exp(−λ0 t)‖y − u(0)‖².
>                                             (arXiv 1810.02054v2, App. A.1; spec du2018.md §3.8)

Like Lemma 3.4 the proof uses the events of Lemma A.3 (with Lemma 3.1's λ_min(H(0)) ≥ 3λ0/4) and of
Lemma A.5 (the Gaussian tail); they are recorded as hypotheses. R′_a < R_a needs m > 16384 n⁵‖y − u(0)‖²
log(mn/δ)/λ0⁴, beyond 10⁸ even for two orthogonal inputs, so every run here is slack evidence (labelled):
the four conclusions are measured for all recorded t along joint gradient flow to convergence.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict
from lemmas.core.twolayer import gram
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Check, Kind, Lemma, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, lambda0, t

LEMMA = register(
    Lemma(
        id="du2018.lemmaA.6",
        title="Joint training: if R′_w < R_w and R′_a < R_a, the flow stays where λ_min(H) ≥ λ0/2, for all t",
        source=source("App. A.1, Lemma A.6", "du2018.md §3.8"),
        statement=(
            r"If $R_w'<R_w$ and $R_a'<R_a$, then for all $t\ge0$, $\lambda_{\min}(\mathbf H(t))\ge\frac{\lambda_0}{2}$, for all "
            r"$r\in[m]$, $\|\mathbf w_r(t)-\mathbf w_r(0)\|_2\le R_w'$ and $|a_r(t)-a_r(0)|\le R_a'$, and "
            r"$\|\mathbf y-\mathbf u(t)\|_2^2\le\exp(-\lambda_0t)\|\mathbf y-\mathbf u(0)\|_2^2$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("R_w", cd.joint_R_w, "stable radius of w", "radius", "V"),
                Quantity("R_a", cd.joint_R_a, "stable radius of a", "radius", "V"),
                Quantity("R_w_prime", cd.joint_R_w_prime, "travelled radius of w", "radius", "V"),
                Quantity("R_a_prime", cd.joint_R_a_prime, "travelled radius of a", "radius", "V"),
                Quantity("eig_bound", lambda0 / 2, "λ_min(H(t)) ≥ this", "bound", "V"),
                Quantity("loss_bound", sp.exp(-lambda0 * t), "bound on ‖y − u(t)‖²/‖y − u(0)‖²", "rate", "V"),
                Quantity("tail_radius", cd.tail_radius, "Lemma A.5's tail bound", "radius", "V"),
                Quantity("lemma31_event", 3 * lambda0 / 4, "λ_min(H(0)) ≥ this", "bound", "V"),
                Quantity("stability_bound", lambda0 / 4, "Lemma A.3's bound on the ball", "bound", "V"),
            ]
        },
        hypotheses={
            "R_w_prime_below_R_w": "R′_w < R_w",
            "R_a_prime_below_R_a": "R′_a < R_a",
            "lemmaA3_event": "U(W(0); R_w) + Σ|x_iᵀx_j|(2R_a + R_a²) ≤ λ0/4 and λ_min(H(0)) ≥ 3λ0/4",
            "lemmaA5_event": "max |w_r(0)ᵀx_i| ≤ 3√log(mn/δ)",
        },
        notes=("Out of reach at feasible widths (R′_a < R_a needs m > 10⁸ even at n = 2): slack evidence only.",),
    )
)


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X, y, lam0 = dc.case_data(params)
    n, m, dlt = X.shape[0], int(params["m"]), float(params["delta"])
    W0, a, _ = dc.draw_init(rng, X, m, tries=1)
    res0 = dc.initial_residual(X, y, W0, a)
    r_w, r_a = bounds("R_w", n=n, delta=dlt, lambda0=lam0), bounds("R_a", n=n, lambda0=lam0)
    r_w_p = bounds("R_w_prime", n=n, m=m, residual=res0, lambda0=lam0)
    r_a_p = bounds("R_a_prime", n=n, m=m, residual=res0, delta=dlt, lambda0=lam0)
    _, U, zmax = dc.flippable(X, W0, r_w)
    certificate = U + float(np.sum(np.abs(X @ X.T))) * (2 * r_a + r_a**2)
    hypotheses = {
        "R_w_prime_below_R_w": r_w_p < r_w,
        "R_a_prime_below_R_a": r_a_p < r_a,
        "lemmaA3_event": certificate <= bounds("stability_bound", lambda0=lam0)
        and float(np.linalg.eigvalsh(gram(X, W0))[0]) >= bounds("lemma31_event", lambda0=lam0),
        "lemmaA5_event": zmax <= bounds("tail_radius", m=m, n=n, delta=dlt),
    }
    eig_bound = bounds("eig_bound", lambda0=lam0)

    def summarize(traj) -> dict[str, float]:
        rates = dc.rate_ratio(dc.loss_ratio(traj), np.array([bounds("loss_bound", lambda0=lam0, t=s) for s in traj.time]))
        lam_min = float(np.min(traj.lambda_min))
        return {
            "eig": eig_bound / lam_min if lam_min > 0 else math.inf,
            "move_w": float(np.max(traj.max_move)) / r_w_p,
            "move_a": float(np.max(traj.max_a_move)) / r_a_p,
            "loss": float(np.nanmax(rates)),
        }

    values, shifts = dc.halved(lambda refine: dc.flow(X, y, W0, a, lam0, params, refine, joint=True), summarize)
    key = max(values, key=values.get)
    return {"hypotheses": hypotheses, **dc.judge(values[key], shifts[key]), "decisive": key,
            **{f"{k}_ratio": v for k, v in values.items()}, "R_w_prime_over_R_w": r_w_p / r_w, "R_a_prime_over_R_a": r_a_p / r_a}


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "sup_t of max((λ0/2)/λ_min(H), max‖Δw_r‖/R′_w, max|Δa_r|/R′_a, loss rate ratio)")


LEMMA.add(
    Check(
        name="conditional",
        kind=Kind.CONDITIONAL,
        claim=("if R′_w < R_w, R′_a < R_a and the events of Lemmas A.3 and A.5 hold, then for all t: λ_min(H(t)) ≥ λ0/2, "
               "‖w_r(t) − w_r(0)‖ ≤ R′_w, |a_r(t) − a_r(0)| ≤ R′_a, ‖y − u(t)‖² ≤ e^{−λ0t}‖y − u(0)‖²"),
        cases=lambda mode: dc.joint_cases(mode, conditional=True),
        trial=_trial,
        verdict=_verdict,
        negative_control={"R_w_prime": "sqrt(n)*residual/(1000*sqrt(m)*lambda0)"},
    )
)
