"""Du et al. 2018, Theorem 3.3: gradient flow on both layers converges linearly.

> Under the same assumptions as in Theorem 3.2, if we set the number of hidden nodes
> m = Ω(n⁶ log(m/δ)/(λ0⁴δ³)) and we i.i.d. initialize w_r ~ N(0, I), a_r ~ unif[{−1, 1}] for r ∈ [m], with
> probability at least 1 − δ over the initialization we have ‖u(t) − y‖₂² ≤ exp(−λ0 t)‖u(0) − y‖₂².
>                                                 (arXiv 1810.02054v2, §3.2; proof App. A.1)

The proof (Lemmas A.2–A.6) needs R′_w < R_w and R′_a < R_a: m > 8192/π n⁵‖y − u(0)‖²/(λ0⁴δ′²) and
m > 16384 n⁵‖y − u(0)‖² log(mn/δ′)/λ0⁴ (``constants_dynamics``), with ‖y − u(0)‖² ≤ n(C² + ½)/δ′ by Markov and
the four failure probabilities δ′ = δ/4 (erratum 7; v2 prints log(m/δ) for log(mn/δ), erratum 5). These widths
are out of reach (beyond 10⁸ even for two orthogonal inputs), so every run here is slack evidence, labelled:
the loss bound for all recorded t, the observed rate against λ0 (G ⪰ 0 only speeds the flow up, footnote 8),
and the movements against R′_w and R′_a.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import probability_verdict
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Check, Kind, Lemma, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, delta, lambda0, t

LEMMA = register(
    Lemma(
        id="du2018.theorem3.3",
        title="Gradient flow on both layers converges linearly (Theorem 3.3)",
        source=source("§3.2, Theorem 3.3 (proof App. A.1)", "du2018.md §3.8"),
        statement=(
            r"Under the same assumptions as in Theorem 3.2, if we set $m=\Omega\left(\frac{n^6\log(m/\delta)}{\lambda_0^4\delta^3}\right)$ "
            r"and i.i.d. initialize $\mathbf w_r\sim N(\mathbf 0,\mathbf I)$, $a_r\sim\mathrm{unif}[\{-1,1\}]$, with probability at "
            r"least $1-\delta$ over the initialization, $\|\mathbf u(t)-\mathbf y\|_2^2\le\exp(-\lambda_0t)\|\mathbf u(0)-\mathbf y\|_2^2$ "
            r"(both layers trained)."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("loss_bound", sp.exp(-lambda0 * t), "bound on ‖y − u(t)‖²/‖y − u(0)‖²", "rate", "V"),
                Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
                Quantity("R_w", cd.joint_R_w.subs(delta, delta / 4), "stable radius of w at δ′ = δ/4", "radius", "V"),
                Quantity("R_a", cd.joint_R_a, "stable radius of a", "radius", "V"),
                Quantity("R_w_prime", cd.joint_R_w_prime, "travelled radius of w", "radius", "V"),
                Quantity("R_a_prime", cd.joint_R_a_prime.subs(delta, delta / 4), "travelled radius of a at δ′ = δ/4", "radius", "V"),
                Quantity("residual_markov", cd.residual_markov.subs(delta, delta / 4), "Markov bound on ‖y − u(0)‖² at δ′", "bound", "D"),
                Quantity("width_w", cd.joint_width_w.subs(cd.residual, sp.sqrt(cd.residual_markov.subs(delta, delta / 4))).subs(delta, delta / 4),
                         "width making R′_w < R_w a priori: 8192/π n⁵·n(C² + ½)/δ′ /(λ0⁴δ′²)", "width", "D"),
            ]
        },
        hypotheses={
            "lambda0_positive": "Assumption 3.1",
            "labels_bounded": "|y_i| ≤ C",
            "width": "R′_w < R_w and R′_a < R_a a priori (‖y − u(0)‖² at its Markov bound, δ′ = δ/4)",
        },
        notes=("Erratum 5: log(m/δ) printed for log(mn/δ); erratum 7: the failure probabilities are not split.",),
    )
)


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X, y, lam0 = dc.case_data(params)
    n, m, dlt, C = X.shape[0], int(params["m"]), float(params["delta"]), float(params["C"])
    W0, a, _ = dc.draw_init(rng, X, m, tries=1)
    res0 = dc.initial_residual(X, y, W0, a)
    prior = math.sqrt(bounds("residual_markov", n=n, C=C, delta=dlt))
    width_ok = (bounds("R_w_prime", n=n, m=m, residual=prior, lambda0=lam0) < bounds("R_w", n=n, delta=dlt, lambda0=lam0)
                and bounds("R_a_prime", n=n, m=m, residual=prior, delta=dlt, lambda0=lam0) < bounds("R_a", n=n, lambda0=lam0))

    def summarize(traj) -> dict[str, float]:
        ratio = dc.loss_ratio(traj)
        rates = dc.rate_ratio(ratio, np.array([bounds("loss_bound", lambda0=lam0, t=s) for s in traj.time]))
        t_end = float(traj.time[-1])
        return {"rate": float(np.nanmax(rates)), "observed_rate": -math.log(max(ratio[-1], 1e-300)) / t_end,
                "move_w": float(np.max(traj.max_move)), "move_a": float(np.max(traj.max_a_move))}

    values, shifts = dc.halved(lambda refine: dc.flow(X, y, W0, a, lam0, params, refine, joint=True), summarize)
    return {
        "hypotheses": {"lambda0_positive": lam0 > 0, "labels_bounded": dc.label_bound(y) <= C, "width": bool(width_ok)},
        **dc.judge(values["rate"], shifts["rate"]),
        "observed_rate_over_lambda0": values["observed_rate"] / lam0,
        "move_over_R_w_prime": values["move_w"] / bounds("R_w_prime", n=n, m=m, residual=res0, lambda0=lam0),
        "move_over_R_a_prime": values["move_a"] / bounds("R_a_prime", n=n, m=m, residual=res0, delta=dlt, lambda0=lam0),
        "width_w_a_priori": bounds("width_w", n=n, C=C, delta=dlt, lambda0=lam0),
    }


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings,
                               "P(‖y − u(t)‖² > e^{−λ0t}‖y − u(0)‖² for some recorded t), both layers trained")


LEMMA.add(
    Check(
        name="probability",
        kind=Kind.PROBABILITY,
        claim="P(‖y − u(t)‖² ≤ e^{−λ0t}‖y − u(0)‖² for all t) ≥ 1 − δ under joint gradient flow (slack: widths out of reach)",
        cases=lambda mode: dc.joint_cases(mode, conditional=False),
        trial=_trial,
        verdict=_verdict,
        negative_control={"loss_bound": "exp(-100*lambda0*t)"},
    )
)
