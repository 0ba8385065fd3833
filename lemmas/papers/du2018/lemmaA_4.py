"""Du et al. 2018, Lemma A.4 (App. A.1): with both layers trained, the first layer stays within R′_w.

> If for 0 ≤ s ≤ t, λ_min(H(s)) ≥ λ0/2 and |a_r(s) − a_r(0)| ≤ R_a, then ‖w_r(t) − w_r(0)‖₂ ≤ R′_w
> = 4√n‖y − u(0)‖₂/(√m λ0).                    (arXiv 1810.02054v2, App. A.1; spec du2018.md §3.8)

Proof: ‖dw_r/ds‖ ≤ (|a_r(s)|/√m)√n‖y − u(s)‖ with |a_r(s)| ≤ 1 + R_a ≤ 2 and ‖y − u(s)‖ ≤ e^{−λ0 s/2}‖y − u(0)‖
(Lemma A.2); R′_w is the integral (``constants_dynamics.joint_R_w_prime``). A deterministic implication,
checked wherever its hypotheses held along joint gradient-flow runs. R_a = λ0/(16n²) is small, so the
hypothesis holds on the early part of each run only.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks import all_trials_verdict
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Check, Kind, Lemma, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, lambda0

LEMMA = register(
    Lemma(
        id="du2018.lemmaA.4",
        title="Joint training: ‖w_r(t) − w_r(0)‖ ≤ R′_w while λ_min(H) ≥ λ0/2 and |a_r − a_r(0)| ≤ R_a",
        source=source("App. A.1, Lemma A.4", "du2018.md §3.8"),
        statement=(
            r"If for $0\le s\le t$, $\lambda_{\min}(\mathbf H(s))\ge\frac{\lambda_0}{2}$ and $|a_r(s)-a_r(0)|\le R_a$, then "
            r"$\|\mathbf w_r(t)-\mathbf w_r(0)\|_2\le R_w'=\frac{4\sqrt n\|\mathbf y-\mathbf u(0)\|_2}{\sqrt m\lambda_0}$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("R_w_prime", cd.joint_R_w_prime, "radius of w under joint training", "radius", "V",
                         "∫₀^∞ (2/√m)√n e^{−λ0 s/2}‖y − u(0)‖ ds"),
                Quantity("R_a", cd.joint_R_a, "radius of a (hypothesis)", "radius", "V"),
                Quantity("eig_threshold", lambda0 / 2, "hypothesis: λ_min(H(s)) ≥ this", "bound", "V"),
            ]
        },
        hypotheses={"on_path": "λ_min(H(s)) ≥ λ0/2 and max_r|a_r(s) − a_r(0)| ≤ R_a for 0 ≤ s ≤ t, at some recorded t > 0"},
    )
)


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    _, _, lam0 = dc.case_data(params)
    n, m = int(params["n"]), int(params["m"])
    threshold = bounds("eig_threshold", lambda0=lam0)
    r_a = bounds("R_a", n=n, lambda0=lam0)
    found = dc.joint_conditional(
        params, rng, threshold,
        inside=lambda traj, W0: dc.held_since_start((traj.lambda_min >= threshold) & (traj.max_a_move <= r_a)),
        value=lambda traj: traj.max_move / bounds("R_w_prime", n=n, m=m, residual=float(traj.residual[0]), lambda0=lam0),
    )
    return {"hypotheses": {"on_path": found["states_inside"] > 0}, **found}


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "max over t inside the hypotheses of max_r‖w_r(t) − w_r(0)‖/R′_w")


LEMMA.add(
    Check(
        name="conditional",
        kind=Kind.CONDITIONAL,
        claim="wherever λ_min(H(s)) ≥ λ0/2 and |a_r(s) − a_r(0)| ≤ R_a held on [0, t]: max_r ‖w_r(t) − w_r(0)‖ ≤ R′_w",
        cases=lambda mode: dc.joint_cases(mode, conditional=True),
        trial=_trial,
        verdict=_verdict,
        negative_control={"R_w_prime": "sqrt(n)*residual/(1000*sqrt(m)*lambda0)"},
    )
)
