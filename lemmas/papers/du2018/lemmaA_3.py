"""Du et al. 2018, Lemma A.3 (App. A.1): near initialisation, the a²-weighted Gram matrix stays close to H(0).

> With probability at least 1 − δ, if ‖w_r − w_r(0)‖ ≤ R_w and |a_r − a_r(0)| ≤ R_a for all r, then
> ‖H − H(0)‖₂ ≤ λ0/4 and λ_min(H) > λ0/2,  with R_w = √(2π)λ0δ/(32n²), R_a = λ0/(16n²).
>                                             (arXiv 1810.02054v2, App. A.1; spec du2018.md §3.8)

Proof: with H′ the Gram matrix of W with unit a, ‖H′ − H(0)‖₂ ≤ 4n²R_w/(√(2π)δ) = λ0/8 (Lemma 3.2's Markov
step) and ‖H − H′‖₂ ≤ n² max_r|a_r² − 1| ≤ 2n²R_a = λ0/8. Erratum 5: |a_r² − 1| ≤ 2R_a + R_a², not 2R_a.

The claim is about every (W, a) in the ball, so each trial bounds the supremum from both sides:
above by the certificate U(W(0); R_w) + Σ_ij|x_iᵀx_j|(2R_a + R_a²) (U is Lemma 3.2's certified quantity,
spec §3.5), below by the witness W = W(0), a = (1 ± R_a)a(0), i.e. ‖H − H(0)‖₂ = (2R_a + R_a²)‖H(0)‖₂ and
λ_min(H) = (1 − R_a)²λ_min(H(0)). A trial fails only if the witness violates the claim, and is ambiguous if
only the certificate does. The λ_min part silently needs Lemma 3.1's event (as Lemma 3.2 does, erratum 8):
it is checked at Lemma 3.1's width, against the joint failure probability 2δ.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks import probability_verdict
from lemmas.core.twolayer import gram, init_two_layer
from lemmas.papers.du2018 import constants, source
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, delta, lambda0

LEMMA = register(
    Lemma(
        id="du2018.lemmaA.3",
        title="Joint training: H stays within λ0/4 of H(0) on the (R_w, R_a) ball",
        source=source("App. A.1, Lemma A.3", "du2018.md §3.8"),
        statement=(
            r"With probability at least $1-\delta$, if $\|\mathbf w_r-\mathbf w_r(0)\|\le R_w$ and $|a_r-a_r(0)|\le R_a$ for all "
            r"$r\in[m]$, then $\|\mathbf H-\mathbf H(0)\|_2\le\frac{\lambda_0}{4}$ and $\lambda_{\min}(\mathbf H)>\frac{\lambda_0}{2}$, "
            r"with $R_w=\frac{\sqrt{2\pi}\lambda_0\delta}{32n^2}$ and $R_a=\frac{\lambda_0}{16n^2}$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("R_w", cd.joint_R_w, "radius of w", "radius", "V", "4n²R_w/(√(2π)δ) = λ0/8"),
                Quantity("R_a", cd.joint_R_a, "radius of a", "radius", "V", "2n²R_a = λ0/8"),
                Quantity("a_square_deviation", cd.a_square_deviation,
                         "sup |a² − 1| over |a − a(0)| ≤ R_a: 2R_a + R_a² (the proof prints 2R_a)", "bound", "D"),
                Quantity("norm_bound", lambda0 / 4, "bound on ‖H − H(0)‖₂", "bound", "V"),
                Quantity("eig_bound", lambda0 / 2, "λ_min(H) > this", "bound", "V"),
                Quantity("lemma31_width", constants.lemma31_width_paper, "Lemma 3.1's width (for the λ_min part)", "width", "D"),
                Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
            ]
        },
        hypotheses={"lambda0_positive": "λ0 > 0", "lemma31_width": "m ≥ Lemma 3.1's width (λ_min part only)"},
        notes=("Erratum 5 (spec §9): |a_r² − 1| ≤ 2R_a + R_a², printed 2R_a; H′ printed without x_iᵀx_j; 'Lemma 3.3' for 3.2.",),
    )
)


def _cases(part: str):
    def cases(mode: Mode) -> Sequence[Case]:
        base = {"inputs": "sphere", "labels": "uniform", "n": 3, "d": 6, "data_seed": 1, "delta": 0.1, "part": part}
        if part == "norm":
            if mode is Mode.QUICK:
                return [Case({**base, "m": 256}, trials=30)]
            return [Case({**base, "m": 256}, trials=250), Case({**base, "n": 6, "d": 12, "data_seed": 2, "m": 2048}, trials=250)]
        if mode is Mode.QUICK:
            return [Case({**base, "n": 2, "d": 4, "data_seed": 3, "m": "lemma31_width"}, trials=30)]
        return [Case({**base, "n": 2, "d": 4, "data_seed": 3, "m": "lemma31_width"}, trials=250)]

    return cases


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X, _, lam0 = dc.case_data(params)
    n, dlt = X.shape[0], float(params["delta"])
    width = bounds("lemma31_width", n=n, delta=dlt, lambda0=lam0)
    m = int(np.ceil(width)) if params["m"] == "lemma31_width" else int(params["m"])
    W0, _ = init_two_layer(rng, m, X.shape[1])
    r_w, r_a = bounds("R_w", n=n, delta=dlt, lambda0=lam0), bounds("R_a", n=n, lambda0=lam0)
    a_dev = bounds("a_square_deviation", n=n, lambda0=lam0)
    _, U, _ = dc.flippable(X, W0, r_w)
    H0 = gram(X, W0)
    eig = np.linalg.eigvalsh(H0)
    certificate = U + float(np.sum(np.abs(X @ X.T))) * a_dev          # ≥ sup over the ball of ‖H − H(0)‖₂
    if params["part"] == "norm":
        bound = bounds("norm_bound", lambda0=lam0)
        witness = a_dev * float(eig[-1])                               # a = (1 + R_a)a(0), W = W(0)
        value, sure = certificate, witness
        failed, margin = witness > bound, bound - certificate
    else:
        bound = bounds("eig_bound", lambda0=lam0)
        witness = (1 - r_a) ** 2 * float(eig[0])                        # a = (1 − R_a)a(0), W = W(0)
        value, sure = float(eig[0]) - certificate, witness
        failed, margin = witness <= bound, value - bound
    return {
        "hypotheses": {"lambda0_positive": lam0 > 0, "lemma31_width": params["part"] == "norm" or m >= width},
        "value": float(value),
        "bound": float(bound),
        "margin": float(margin),
        "failed": bool(failed),
        "ambiguous": bool(margin < 0 and not failed),
        "witness": float(sure),
        "U": float(U),
        "m": m,
    }


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    dlt = bounds("failure_probability", delta=params["delta"])
    if params["part"] == "norm":
        return probability_verdict(obs, dlt, settings, "P(sup over the ball of ‖H − H(0)‖₂ > λ0/4)")
    return probability_verdict(obs, 2 * dlt, settings, "P(inf over the ball of λ_min(H) ≤ λ0/2), jointly with Lemma 3.1 (2δ)")


LEMMA.add(
    Check(
        name="norm",
        kind=Kind.PROBABILITY,
        claim="P(‖H − H(0)‖₂ ≤ λ0/4 for every (W, a) with ‖w_r − w_r(0)‖ ≤ R_w, |a_r − a_r(0)| ≤ R_a) ≥ 1 − δ "
              "(certificate above, witness below)",
        cases=_cases("norm"),
        trial=_trial,
        verdict=_verdict,
        negative_control={"norm_bound": "lambda0/1000"},
    )
)

LEMMA.add(
    Check(
        name="min_eig",
        kind=Kind.PROBABILITY,
        claim="at Lemma 3.1's width, P(λ_min(H) > λ0/2 for every (W, a) in the ball) ≥ 1 − 2δ (jointly with Lemma 3.1's event)",
        cases=_cases("min_eig"),
        trial=_trial,
        verdict=_verdict,
        negative_control={"eig_bound": "lambda0"},
    )
)
