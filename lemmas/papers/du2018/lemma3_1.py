"""Du et al. 2018, Lemma 3.1: concentration of the Gram matrix at random initialisation.

> If m = Ω((n²/λ0²) log(n/δ)), we have with probability at least 1 − δ, ‖H(0) − H∞‖₂ ≤ λ0/4 and
> λ_min(H(0)) ≥ (3/4)λ0.                                   (arXiv 1810.02054v2, §3.1; proof in App. A)

The hidden constant is derived from the proof (Hoeffding per entry, union bound over the n² entries,
Frobenius ≥ spectral): m ≥ 256 n² log(n/δ)/λ0² with the paper's Hoeffding constant, and
m ≥ 8 n² log(2n²/δ)/λ0² with the sharp one (ADHLW Lemma C.3). Both are checked, each labelled.
Remark 3.1 (1), ‖H(0) − H∞‖₂ = O(m^{−1/2}), is checked as a fitted exponent.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import exponent_verdict, probability_verdict
from lemmas.core.twolayer import gram, gram_rounding_radius, init_two_layer
from lemmas.papers.du2018 import constants, source
from lemmas.papers.du2018.inputs import case_inputs, case_lambda0, case_gram_infinity
from lemmas.spectral import norm_and_min_eig
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, delta, lambda0

LEMMA = register(
    Lemma(
        id="du2018.lemma3.1",
        title="Concentration of H(0) around H∞",
        source=source("§3.1, Lemma 3.1 (proof App. A)", "du2018.md §3.4"),
        statement=(
            r"If $m=\Omega\left(\frac{n^2}{\lambda_0^2}\log\frac{n}{\delta}\right)$, then with probability at least "
            r"$1-\delta$, $\|\mathbf H(0)-\mathbf H^\infty\|_2\le\frac{\lambda_0}{4}$ and "
            r"$\lambda_{\min}(\mathbf H(0))\ge\frac34\lambda_0$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("width_paper", constants.lemma31_width_paper, "width threshold, paper's Hoeffding constant", "width", "D",
                         "n²·(4√(log(n/δ)/m))² = λ0²/16 solved for m"),
                Quantity("width_sharp", constants.lemma31_width_sharp, "width threshold, sharp Hoeffding (ADHLW C.3)", "width", "D",
                         "n²·log(2n²/δ)/(2m) = λ0²/16 solved for m"),
                Quantity("norm_bound", lambda0 / 4, "bound on ‖H(0) − H∞‖₂", "bound", "V"),
                Quantity("min_eig_bound", 3 * lambda0 / 4, "lower bound on λ_min(H(0))", "bound", "V"),
                Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
                Quantity("decay_exponent", sp.Rational(-1, 2), "exponent of m in ‖H(0) − H∞‖₂ (Remark 3.1)", "rate", "V"),
            ]
        },
        hypotheses={
            "lambda0_positive": "Assumption 3.1: λ0 = λ_min(H∞) > 0 (certified lower end > 0)",
            "width": "m at least the width threshold of the statement under test",
        },
        notes=(
            "Erratum 2 (spec §9): the proof's 'δ′ = n²δ' must read δ′ = δ/n².",
            "v2 prints log(n/δ), not log².",
        ),
    )
)


def _probability_cases(mode: Mode) -> Sequence[Case]:
    cases = [
        Case({"inputs": "sphere", "n": 4, "d": 8, "data_seed": 1, "delta": 0.1, "width": "width_paper"}, trials=200),
        Case({"inputs": "sphere", "n": 8, "d": 16, "data_seed": 2, "delta": 0.1, "width": "width_sharp"}, trials=200),
    ]
    if mode is Mode.FULL:
        cases += [
            Case({"inputs": "sphere", "n": 16, "d": 32, "data_seed": 3, "delta": 0.05, "width": "width_sharp"}, trials=1000),
            Case({"inputs": "sphere", "n": 6, "d": 12, "data_seed": 4, "delta": 0.05, "width": "width_paper"}, trials=1000),
        ]
    if mode is Mode.QUICK:
        cases = [Case(dict(c.params), trials=50) for c in cases[:1]]
    return cases


def _probability_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X = case_inputs(params)
    lo, hi = case_lambda0(params)
    n, d, dlt = X.shape[0], X.shape[1], float(params["delta"])
    m = int(math.ceil(bounds(params["width"], n=n, delta=dlt, lambda0=lo))) if lo > 0 else 1
    W, _ = init_two_layer(rng, m, d)
    H0 = gram(X, W)
    h_inf, h_inf_rad = case_gram_infinity(params)
    h0_rad = gram_rounding_radius(X)
    # ‖H(0) − H∞‖₂ and λ_min(H(0)) as rigorous enclosures (the difference adds one rounding: ≤ u·|D|).
    diff = H0 - h_inf
    spec = norm_and_min_eig(diff, H0, h0_rad + h_inf_rad + np.spacing(np.abs(diff)), h0_rad)
    # Bounds increase with λ0: a conclusion fails for sure only if it fails at the favourable end of λ0.
    norm_fail_sure = spec.norm_lower > bounds("norm_bound", lambda0=hi)
    norm_fail_maybe = spec.norm_upper > bounds("norm_bound", lambda0=lo)
    eig_fail_sure = spec.min_eig_upper < bounds("min_eig_bound", lambda0=lo)
    eig_fail_maybe = spec.min_eig_lower < bounds("min_eig_bound", lambda0=hi)
    margin = min(bounds("norm_bound", lambda0=lo) - spec.norm, spec.min_eig - bounds("min_eig_bound", lambda0=hi))
    failed = norm_fail_sure or eig_fail_sure
    return {
        "hypotheses": {"lambda0_positive": lo > 0, "width": m >= bounds(params["width"], n=n, delta=dlt, lambda0=lo)},
        "m": m,
        "value": spec.norm,
        "bound": bounds("norm_bound", lambda0=lo),
        "min_eig": spec.min_eig,
        "min_eig_bound": bounds("min_eig_bound", lambda0=lo),
        "margin": float(margin),
        "failed": bool(failed),
        "ambiguous": bool((norm_fail_maybe or eig_fail_maybe) and not failed),
        "tier": spec.tier,
    }


def _probability_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings,
                               "P(‖H(0) − H∞‖₂ > λ0/4 or λ_min(H(0)) < 3λ0/4)")


LEMMA.add(
    Check(
        name="probability",
        kind=Kind.PROBABILITY,
        claim="at the derived width, P(‖H(0) − H∞‖₂ ≤ λ0/4 and λ_min(H(0)) ≥ 3λ0/4) ≥ 1 − δ (Clopper–Pearson)",
        cases=_probability_cases,
        trial=_probability_trial,
        verdict=_probability_verdict,
        negative_control={"norm_bound": "lambda0/400"},
    )
)

_DECAY_WIDTHS = (256, 1024, 4096, 16384)
_DECAY_TEST, _DECAY_CALIB = 6, 3


def _decay_cases(mode: Mode) -> Sequence[Case]:
    reps = _DECAY_TEST + _DECAY_CALIB
    widths = _DECAY_WIDTHS + ((65536, 262144) if mode is Mode.FULL else ())
    return [Case({"inputs": "sphere", "n": 8, "d": 16, "data_seed": 2, "widths": list(widths)}, trials=len(widths) * reps)]


def _decay_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    reps = _DECAY_TEST + _DECAY_CALIB
    m = int(params["widths"][index // reps])
    role = "calibration" if index % reps >= _DECAY_TEST else "test"
    X = case_inputs(params)
    W, _ = init_two_layer(rng, m, X.shape[1])
    norm = float(np.max(np.abs(np.linalg.eigvalsh(gram(X, W) - case_gram_infinity(params)[0]))))
    return {"hypotheses": {}, "x": m, "y": norm, "role": role}


def _decay_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return exponent_verdict(obs, bounds("decay_exponent"), "upper", "‖H(0) − H∞‖₂", "m", settings)


LEMMA.add(
    Check(
        name="decay",
        kind=Kind.EXPONENT,
        claim="‖H(0) − H∞‖₂ = O(m^{−1/2}) (Remark 3.1 (1)): fitted exponent in m, implied constant and its drift",
        cases=_decay_cases,
        trial=_decay_trial,
        verdict=_decay_verdict,
        negative_control={"decay_exponent": "-1"},
    )
)
