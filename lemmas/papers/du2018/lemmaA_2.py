"""Du et al. 2018, Lemma A.2 (App. A.1): gradient flow on both layers decays the loss while the
a²-weighted Gram matrix stays above λ0/2.

> If for 0 ≤ s ≤ t, λ_min(H(s)) ≥ λ0/2, then ‖y − u(t)‖² ≤ exp(−λ0 t)‖y − u(0)‖².
>                                             (arXiv 1810.02054v2, App. A.1; spec du2018.md §3.8)

Here H_ij(t) = (1/m) x_iᵀx_j Σ_r a_r(t)² 𝕀{…} (eq. 13) and du/dt = (H(t) + G(t))(y − u) with G ⪰ 0 (eq. 14,
printed without Σ_r: erratum 5); the proof drops G. A deterministic implication, checked wherever its
hypothesis held along joint gradient-flow runs (pattern-frozen RK4 with step-halving evidence).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Check, Kind, Lemma, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, lambda0, t

LEMMA = register(
    Lemma(
        id="du2018.lemmaA.2",
        title="Joint training: loss decays as e^{−λ0t} while λ_min(H(s)) ≥ λ0/2",
        source=source("App. A.1, Lemma A.2", "du2018.md §3.8"),
        statement=(
            r"If for $0\le s\le t$, $\lambda_{\min}(\mathbf H(s))\ge\frac{\lambda_0}{2}$, then "
            r"$\|\mathbf y-\mathbf u(t)\|_2^2\le\exp(-\lambda_0t)\|\mathbf y-\mathbf u(0)\|_2^2$ "
            r"($\mathbf H$ weighted by $a_r(t)^2$, eq. (13); both layers trained)."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("loss_bound", sp.exp(-lambda0 * t), "bound on ‖y − u(t)‖²/‖y − u(0)‖²", "rate", "V"),
                Quantity("eig_threshold", lambda0 / 2, "hypothesis: λ_min(H(s)) ≥ this on [0, t]", "bound", "V"),
            ]
        },
        hypotheses={"lambda_min_H": "λ_min(H(s)) ≥ λ0/2 (a²-weighted H) for 0 ≤ s ≤ t, at some recorded t > 0"},
        notes=("Footnote 8: a strictly positive definite G would give a faster rate; the proof drops G ⪰ 0.",),
    )
)


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    _, _, lam0 = dc.case_data(params)
    threshold = bounds("eig_threshold", lambda0=lam0)
    found = dc.joint_conditional(
        params, rng, threshold,
        inside=lambda traj, W0: dc.held_since_start(traj.lambda_min >= threshold),
        value=lambda traj: dc.rate_ratio(dc.loss_ratio(traj), np.array([bounds("loss_bound", lambda0=lam0, t=s) for s in traj.time])),
    )
    return {"hypotheses": {"lambda_min_H": found["states_inside"] > 0}, **found}


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "max over t inside the hypothesis of λ0t/(−log(‖y − u(t)‖²/‖y − u(0)‖²))")


LEMMA.add(
    Check(
        name="conditional",
        kind=Kind.CONDITIONAL,
        claim="wherever λ_min(H(s)) ≥ λ0/2 held on [0, t] (joint gradient flow): ‖y − u(t)‖² ≤ e^{−λ0t}‖y − u(0)‖²",
        cases=lambda mode: dc.joint_cases(mode, conditional=True),
        trial=_trial,
        verdict=_verdict,
        negative_control={"loss_bound": "exp(-100*lambda0*t)"},
    )
)
