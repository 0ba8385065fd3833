"""Du et al. 2018, Theorem 3.2: gradient flow on the first layer converges linearly at a width polynomial in n.

> Suppose Assumption 3.1 holds and for all i ∈ [n], ‖x_i‖₂ = 1 and |y_i| ≤ C for some constant C. Then if we
> set the number of hidden nodes m = Ω(n⁶/(λ0⁴δ³)) and we i.i.d. initialize w_r ~ N(0, I), a_r ~ unif[{−1, 1}]
> for r ∈ [m], then with probability at least 1 − δ over the initialization, we have
> ‖u(t) − y‖₂² ≤ exp(−λ0 t)‖u(0) − y‖₂².                  (arXiv 1810.02054v2, §3.1; spec du2018.md §3.2)

The hidden constant is derived in ``constants_dynamics`` (corrected R′ of Lemma 3.3, Lemma 3.2's R, Markov
on ‖y − u(0)‖², δ split in three, erratum 7): m > 13824/π (C² + ½) n⁶/(λ0⁴δ³) ≈ 4400.3 (C² + ½) n⁶/(λ0⁴δ³),
together with Lemma 3.1's m ≥ 256 n² log(3n/δ)/λ0². Inside the hypotheses only the spec's small case is
feasible (two orthogonal inputs, λ0 = 1/2, C = 0.1, δ = 0.9: m ≈ 3.15·10⁶, full mode, exact flow for all
t ≥ 0); generic data at feasible widths is slack evidence, with the observed rate against λ0 and the
movement against R′ recorded. Each trial also records the proof's events (Lemma 3.1, Lemma 3.2, Markov,
R′ < R) so that a failure can be traced to the step of the chain it breaks.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import probability_verdict
from lemmas.core.twolayer import gram
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, delta, lambda0, t

LEMMA = register(
    Lemma(
        id="du2018.theorem3.2",
        title="Gradient flow converges linearly with probability 1 − δ at m = Ω(n⁶/(λ0⁴δ³))",
        source=source("§3.1, Theorem 3.2", "du2018.md §3.2"),
        statement=(
            r"Suppose Assumption 3.1 holds and for all $i\in[n]$, $\|\mathbf x_i\|_2=1$ and $|y_i|\le C$. Then if we set "
            r"$m=\Omega\left(\frac{n^6}{\lambda_0^4\delta^3}\right)$ and i.i.d. initialize $\mathbf w_r\sim N(\mathbf 0,\mathbf I)$, "
            r"$a_r\sim\mathrm{unif}[\{-1,1\}]$, then with probability at least $1-\delta$ over the initialization, "
            r"$\|\mathbf u(t)-\mathbf y\|_2^2\le\exp(-\lambda_0t)\|\mathbf u(0)-\mathbf y\|_2^2$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("width", cd.gf_width, "width of the statement, δ split in three (≈ 4400.3(C² + ½)n⁶/(λ0⁴δ³))", "width", "D",
                         "R′ = 2√n‖y − u(0)‖/(√mλ0) < cδ2λ0/n², ‖y − u(0)‖² ≤ n(C² + ½)/δ3, δ2 = δ3 = δ/3"),
                Quantity("lemma31_width", cd.lemma31_width_split3, "Lemma 3.1's width with δ1 = δ/3", "width", "D"),
                Quantity("loss_bound", sp.exp(-lambda0 * t), "bound on ‖y − u(t)‖²/‖y − u(0)‖²", "rate", "V"),
                Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
                Quantity("R_prime", cd.gf_radius, "radius travelled (Lemma 3.3, corrected)", "radius", "D"),
                Quantity("R", cd.lemma32_radius(delta / 3), "Lemma 3.2's radius at δ2 = δ/3", "radius", "D"),
                Quantity("residual_markov", cd.residual_markov.subs(delta, delta / 3), "Markov bound on ‖y − u(0)‖² at δ3 = δ/3", "bound", "D"),
                Quantity("lemma31_event", 3 * lambda0 / 4, "Lemma 3.1 event: λ_min(H(0)) ≥ this", "bound", "V"),
                Quantity("lemma32_event", lambda0 / 4, "Lemma 3.2 event: U(W(0)) at R is at most this", "bound", "V"),
            ]
        },
        hypotheses={
            "lambda0_positive": "Assumption 3.1 (certified λ0 > 0)",
            "labels_bounded": "|y_i| ≤ C",
            "width": "m ≥ the derived width and m ≥ Lemma 3.1's width",
        },
        notes=(
            "The paper uses δ for each of three events (erratum 7): the widths here split δ into δ/3 each.",
            "For generic data the derived width is ~10¹²–10²⁷: such runs are slack evidence.",
            "Sliding modes (see du2018.lemma3.3, project finding): the proof chains Lemma 3.3 as printed with Lemma 3.2's certificate U, which bounds matrices of eq. (6) form only; on sliding modes u is driven by H_eff, whose entries away from the sliding input also change. A repair derived by hand, not tested here: λ_min(H_eff) ≥ λ_min(H(0)) − U − (n − 1)/m·#{r : f_r > 0}, i.e. c = √(2π)/24 instead of √(2π)/16 (Theorem 3.2's width ×9/4). The in-hypothesis runs here use orthonormal inputs (exact flow, whose H is H_eff), so no verdict depends on it; a probe put ‖H_eff − H(0)‖₂ ≤ 0.11·U at Lemma 3.2's radius.",
        ),
    )
)


def _cases(mode: Mode) -> Sequence[Case]:
    slack = {"inputs": "sphere", "labels": "uniform", "C": 1.0, "delta": 0.25}
    if mode is Mode.QUICK:
        return [Case({**slack, "n": 3, "d": 6, "data_seed": 2, "m": 64}, trials=8)]
    cases = [Case({**slack, "n": 4, "d": 8, "data_seed": 1, "m": 256}, trials=25)]
    if mode is Mode.FULL:
        cases += [
            Case({"inputs": "orthogonal", "labels": "uniform", "C": 0.1, "delta": 0.9, "n": 2, "d": 2, "data_seed": 11,
                  "m": "width", "chunk": 1 << 18}, trials=20),
            Case({**slack, "n": 8, "d": 16, "data_seed": 3, "m": 2048}, trials=30),
        ]
    return cases


def case_width(params: Mapping[str, Any], bounds: Bounds, lam0: float) -> int:
    """m of a case: a number, or "width" for the derived width of the statement (C and δ of the case)."""
    if params["m"] != "width":
        return int(params["m"])
    values = {"n": int(params["n"]), "C": float(params["C"]), "delta": float(params["delta"]), "lambda0": lam0}
    return int(math.ceil(max(bounds("width", **values), bounds("lemma31_width", **values))))


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X, y, lam0 = dc.case_data(params)
    n, dlt, C = X.shape[0], float(params["delta"]), float(params["C"])
    m = case_width(params, bounds, lam0)
    W0, a, _ = dc.draw_init(rng, X, m, tries=1)
    res0 = dc.initial_residual(X, y, W0, a)
    radius = bounds("R", n=n, delta=dlt, lambda0=lam0)
    r_prime = bounds("R_prime", n=n, m=m, residual=res0, lambda0=lam0)
    _, U, _ = dc.flippable(X, W0, radius, params.get("chunk"))
    values, shifts = dc.all_time_summary(X, y, W0, a, lam0, params, lambda s: bounds("loss_bound", lambda0=lam0, t=s))
    widths = {"n": n, "C": C, "delta": dlt, "lambda0": lam0}
    return {
        "hypotheses": {
            "lambda0_positive": lam0 > 0,
            "labels_bounded": dc.label_bound(y) <= C,
            "width": m >= bounds("width", **widths) and m >= bounds("lemma31_width", **widths),
        },
        **dc.judge(values["rate"], shifts["rate"]),
        "m": m,
        "events": {
            "lemma31": bool(np.linalg.eigvalsh(gram(X, W0, params.get("chunk")))[0] >= bounds("lemma31_event", lambda0=lam0)),
            "lemma32": bool(U <= bounds("lemma32_event", lambda0=lam0)),
            "markov": bool(res0**2 <= bounds("residual_markov", n=n, C=C, delta=dlt)),
            "R_prime_below_R": bool(r_prime < radius),
        },
        "observed_rate_over_lambda0": values["observed_rate"] / lam0,
        "move_over_R_prime": values["max_move"] / r_prime,
        "lambda_min_inf_over_lambda0": values["lambda_min"] / lam0,
        "integrator": "exact (orthonormal)" if dc.orthonormal(params) else "pattern-frozen exponential",
    }


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings,
                               "P(‖y − u(t)‖² > e^{−λ0t}‖y − u(0)‖² for some t ≥ 0)")


LEMMA.add(
    Check(
        name="probability",
        kind=Kind.PROBABILITY,
        claim="at the derived width, P(‖y − u(t)‖² ≤ e^{−λ0t}‖y − u(0)‖² for all t ≥ 0) ≥ 1 − δ (Clopper–Pearson)",
        cases=_cases,
        trial=_trial,
        verdict=_verdict,
        negative_control={"loss_bound": "exp(-100*lambda0*t)"},
    )
)
