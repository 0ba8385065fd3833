"""Du et al. 2018, Lemma 4.1: few neurons sit close enough to an input's hyperplane to flip.

> With probability at least 1 − δ over the initialization, we have Σ_{i=1}^n |S_i^⊥| ≤ CmnR/δ for some
> positive constant C > 0.                      (arXiv 1810.02054v2, §4.1; spec du2018.md §3.9)

S_i^⊥ = {r : |w_r(0)ᵀx_i| < R} (the event A_ir, up to a null set). The proof: E|S_i^⊥| = m P(A_ir) ≤ 2mR/√(2π),
summed over i, then Markov, so C = 2/√(2π) = √(2/π) ≈ 0.7979 (``constants_dynamics.lemma41_C``). The
statement holds for any R; it is checked at the radius the proof of Theorem 4.1 uses (R = cδλ0/n², with δ:
erratum 4) and at larger fixed radii where the count is large and Markov's slack is visible.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks import compare, probability_verdict
from lemmas.core.twolayer import init_two_layer
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.symbolic import Bounds, Quantity, R, delta, m, n, ref

LEMMA = register(
    Lemma(
        id="du2018.lemma4.1",
        title="Σ_i |S_i^⊥| ≤ CmnR/δ with probability 1 − δ, C = √(2/π)",
        source=source("§4.1, Lemma 4.1", "du2018.md §3.9"),
        statement=(
            r"With probability at least $1-\delta$ over the initialization, we have "
            r"$\sum_{i=1}^n|S_i^\perp|\le\frac{CmnR}{\delta}$ for some positive constant $C>0$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("C", cd.lemma41_C, "the constant of Lemma 4.1", "constant", "D",
                         "E|S_i^⊥| = m·P(|z| < R) ≤ 2mR/√(2π), summed over i, Markov: C = 2/√(2π)"),
                Quantity("bound", ref("C") * m * n * R / delta, "bound on Σ_i|S_i^⊥|", "bound", "V"),
                Quantity("R_events", cd.gd_R, "the radius of §4.1, R = cδλ0/n² (δ restored)", "radius", "D"),
                Quantity("failure_probability", delta, "probability the bound may fail", "probability", "V"),
            ]
        },
        hypotheses={"lambda0_positive": "λ0 > 0 (only for the radius R = cδλ0/n²)"},
        notes=("Erratum 4 (spec §9): §4.1 prints R = cλ0/n² without δ.",),
    )
)


def _cases(mode: Mode) -> Sequence[Case]:
    base = {"inputs": "sphere", "n": 8, "d": 16, "data_seed": 2, "delta": 0.1, "m": 4096}
    if mode is Mode.QUICK:
        return [Case({**base, "radius": 0.05}, trials=20)]
    cases = [Case({**base, "radius": "events"}, trials=200), Case({**base, "radius": 0.05}, trials=200)]
    if mode is Mode.FULL:
        cases += [Case({**base, "radius": 0.5, "delta": 0.05}, trials=2000),
                  Case({"inputs": "orthogonal", "n": 2, "d": 2, "delta": 0.225, "m": 1 << 20, "radius": "events"}, trials=500)]
    return cases


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X, _, lam0 = dc.case_data({**params, "labels": "uniform"})
    n, m, dlt = X.shape[0], int(params["m"]), float(params["delta"])
    radius = bounds("R_events", n=n, delta=dlt, lambda0=lam0) if params["radius"] == "events" else float(params["radius"])
    W0, _ = init_two_layer(rng, m, X.shape[1])
    count, _, _ = dc.flippable(X, W0, radius)
    return {
        "hypotheses": {"lambda0_positive": lam0 > 0},
        **compare(count, bounds("bound", m=m, n=n, R=radius, delta=dlt)),
        "R": radius,
        "expected_count": n * m * math.erf(radius / math.sqrt(2)),
        "tier": Tier.EXACT.value,
    }


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings, "P(Σ_i|S_i^⊥| > CmnR/δ)")


LEMMA.add(
    Check(
        name="probability",
        kind=Kind.PROBABILITY,
        claim="P(Σ_i |S_i^⊥| ≤ √(2/π)·mnR/δ) ≥ 1 − δ, with S_i^⊥ = {r : |w_r(0)ᵀx_i| < R} (Clopper–Pearson)",
        cases=_cases,
        trial=_trial,
        verdict=_verdict,
        negative_control={"C": "sqrt(2/pi)/100"},
    )
)
