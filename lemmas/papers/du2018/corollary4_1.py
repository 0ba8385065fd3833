"""Du et al. 2018, Corollary 4.1: while Condition 4.1 holds, gradient descent keeps every neuron within
R′ = 4√n‖y − u(0)‖/(√m λ0) of its initialisation.

> If Condition 4.1 holds for k′ = 0, …, k, then for every r ∈ [m],
> ‖w_r(k+1) − w_r(0)‖₂ ≤ 4√n‖y − u(0)‖₂/(√m λ0) ≜ R′.   (arXiv 1810.02054v2, §4.1, eq. (8); proof App. B)

The proof sums the per-step movement η√n‖y − u(k′)‖/√m with ‖y − u(k′)‖ ≤ (1 − ηλ0/2)^{k′/2}‖y − u(0)‖ and
bounds the geometric series by 2/x at x = ηλ0/2 (``constants_dynamics.gd_radius``). It uses no step-size
condition beyond ηλ0/2 ≤ 1 and no width, so it is checked on every GD step of every run, as a conditional
lemma: at each k where Condition 4.1 held for k′ = 0..k, the movement at k + 1 must be ≤ R′. Runs use the
paper's step size and a larger one (1/‖H∞‖₂) with which they converge within the horizon, so the movement
reaches its final value. The printed proof chain carries typos (erratum 6); the final bound is the one tested.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks import all_trials_verdict
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, eta, k, lambda0

LEMMA = register(
    Lemma(
        id="du2018.corollary4.1",
        title="Under Condition 4.1, GD moves each neuron at most R′ = 4√n‖y − u(0)‖/(√mλ0)",
        source=source("§4.1, Corollary 4.1, eq. (8) (proof App. B)", "du2018.md §3.9"),
        statement=(
            r"If Condition 4.1 holds for $k'=0,\ldots,k$, then for every $r\in[m]$, "
            r"$\|\mathbf w_r(k+1)-\mathbf w_r(0)\|_2\le\frac{4\sqrt n\|\mathbf y-\mathbf u(0)\|_2}{\sqrt m\lambda_0}\triangleq R'$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("R_prime", cd.gd_radius, "per-neuron radius of GD", "radius", "V",
                         "η Σ_{k′} (√n/√m)(1 − ηλ0/2)^{k′/2}‖y − u(0)‖ with Σ(1 − x)^{k/2} ≤ 2/x, x = ηλ0/2"),
                Quantity("loss_bound", (1 - eta * lambda0 / 2) ** k, "Condition 4.1: ‖y − u(k)‖²/‖y − u(0)‖² ≤ this", "rate", "V"),
                Quantity("step_size", cd.step_size, "Theorem 4.1's step size (used by the runs with eta='paper')", "step", "D"),
            ]
        },
        hypotheses={"condition4_1": "Condition 4.1 held for k′ = 0..k, at some recorded step k"},
        notes=("Erratum 6 (spec §9): the printed chain keeps ‖y − u(k′)‖ where ‖y − u(0)‖ is meant, and has λ for λ0.",),
    )
)


def _cases(mode: Mode) -> Sequence[Case]:
    base = {"inputs": "sphere", "labels": "uniform", "C": 1.0, "n": 4, "d": 8, "data_seed": 1}
    if mode is Mode.QUICK:
        return [Case({**base, "m": 128, "eta": "fast", "steps": 100}, trials=2)]
    cases = [Case({**base, "m": 256, "eta": "fast", "steps": 400}, trials=5),
             Case({**base, "m": 256, "eta": "paper", "steps": 400}, trials=3),
             Case({**base, "inputs": "near_parallel", "angle": 0.3, "data_seed": 4, "m": 64, "eta": "fast", "steps": 600}, trials=5)]
    if mode is Mode.FULL:
        cases += [Case({**base, "n": 10, "d": 20, "data_seed": 2, "m": 1024, "eta": "fast", "steps": 1000}, trials=10)]
    return cases


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X, y, lam0 = dc.case_data(params)
    n, m = X.shape[0], int(params["m"])
    step = dc.step_size(params, X, lam0, bounds("step_size", n=n, lambda0=lam0))
    W0, a, _ = dc.draw_init(rng, X, m, tries=1)
    run = dc.descent(X, y, W0, a, step, params)
    residual = run.residual
    ratio = (residual / residual[0]) ** 2
    bound = np.array([bounds("loss_bound", eta=step, lambda0=lam0, k=j) for j in range(residual.size)])
    condition = dc.held_since_start(ratio <= bound * (1 + dc.TIE))    # Condition 4.1 for k′ = 0..k
    r_prime = bounds("R_prime", n=n, m=m, residual=float(residual[0]), lambda0=lam0)
    move_next = run.max_move[1:] / r_prime                               # movement at k + 1
    value, at = dc.worst(move_next, condition[:-1])
    if at < 0:
        value = float(np.max(move_next))
    return {
        "hypotheses": {"condition4_1": bool(condition[:-1].any())},
        **dc.judge(value),
        "steps_inside": int(np.count_nonzero(condition[:-1])),
        "worst_step": at + 1,
        "eta": step,
        "final_loss_ratio": float(ratio[-1]),
    }


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "max over k with Condition 4.1 on 0..k of max_r‖w_r(k+1) − w_r(0)‖/R′")


LEMMA.add(
    Check(
        name="conditional",
        kind=Kind.CONDITIONAL,
        claim="on every GD step k after which Condition 4.1 held for k′ = 0..k: max_r ‖w_r(k+1) − w_r(0)‖ ≤ 4√n‖y − u(0)‖/(√mλ0)",
        cases=_cases,
        trial=_trial,
        verdict=_verdict,
        negative_control={"R_prime": "sqrt(n)*residual/(25*sqrt(m)*lambda0)"},
    )
)
