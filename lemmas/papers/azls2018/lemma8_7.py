"""AZLS Lemma 8.7 (backward perturbation).

> For s = O(mω^{2/3}L), with probability ≥ 1 − e^{−Ω(s log m)}, for all i ∈ [n], a, all diagonal
  D″_{i,0}, …, D″_{i,L} ∈ [−3, 3]^{m×m} with at most s non-zeros and all W″ with ‖W″‖₂ ≤ ω = O(1/L^{3/2}):
  ‖B(D_{i,L} + D″_{i,L})(W_L + W″_L) ⋯ (W_{a+1} + W″_{a+1})(D_{i,a} + D″_{i,a}) − B D_{i,L} W_L ⋯ W_{a+1} D_{i,a}‖₂
      ≤ O(ω^{1/3} L² √(m log m)/√d).
                    (v5 Lemma 8.7 [V-sec:S1 Lemma 7, S5 eq. (22)]; pre-v5 Lemma 5.7 [V-sec:S2]; S5 adds d ≤ O(m/(L log m)))

Three restatements give the same exponents, so the sweeps in ω, L and m are pass/fail exponent checks inside
the hypotheses ω ≤ L^{−3/2} and d ≤ m/(L log m) (C = 1 readings), with s = ⌈mω^{2/3}L⌉. For all (D″, W″),
so the check searches: greedy corrections layer by layer from the top (:func:`lemmas.core.deep_search.adversarial_back_perturbation`:
±3 on the s coordinates with the largest gain, rank-one W″ aligned with the top singular pair), for every
a ∈ {0, …, L}, reporting the worst. The L-sweep runs at ω = 0.01·L^{−3/2}, well inside the restated radius.

Finding (kept as measured): with s = ⌈mω^{2/3}L⌉ the greedy corrections amplify the top coordinates of the
backward vector by up to 4 at every layer, which multiplies the difference by a constant factor per layer
whenever (s/m) log(m/s) is not ≪ 1/L, i.e. unless L²ω^{2/3} log m ≪ 1; for ω = c L^{−3/2} that product is
c^{2/3} L log m, which grows with L for every c. Section 8's radius ω ≤ 1/(C L^{9/2} log³m) (Lemma 8.2)
would keep it O(1/log m); the restated hypothesis ω = O(L^{−3/2}) does not.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from lemmas.core import deep
from lemmas.core.deep_search import adversarial_back_perturbation
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import network, numeric
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, register
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.lemma8.7",
        title="Backward perturbation: ‖B(D + D″)(W + W″) ⋯ − B D W ⋯‖₂ ≤ O(ω^{1/3}L²√(m log m)/√d)",
        source=source("App. 8, Lemma 8.7 (pre-v5 Lemma 5.7)", "azls2018.md §3.9, §6.10"),
        statement=(
            r"For $s=O(m\omega^{2/3}L)$, with probability at least $1-e^{-\Omega(s\log m)}$, for all $i\in[n]$, $a$, all diagonal "
            r"$D''_{i,0},\dots,D''_{i,L}\in[-3,3]^{m\times m}$ with at most $s$ non-zeros and all $\|W''\|_2\le\omega=O(L^{-3/2})$: "
            r"$\|B(D_{i,L}+D''_{i,L})(W_L+W''_L)\cdots(W_{a+1}+W''_{a+1})(D_{i,a}+D''_{i,a})-BD_{i,L}W_L\cdots W_{a+1}D_{i,a}\|_2"
            r"\le O\bigl(\frac{\omega^{1/3}L^2\sqrt{m\log m}}{\sqrt d}\bigr)$."
        ),
        tag="V-sec:S1,S5,S2",
        quantities={
            q.name: q
            for q in [
                Quantity("perturbation_shape", c.back_perturbation, "bound on the backward difference", "bound", "V-sec:S1,S5,S2"),
                Quantity("sparsity", c.sparsity, "s = O(mω^{2/3}L), C = 1", "bound", "V-sec:S1"),
                Quantity("omega_max", c.back_perturbation_omega_max, "ω ≤ O(L^{−3/2}), C = 1", "radius", "V-sec:S1"),
                Quantity("d_max", c.back_perturbation_d_max, "d ≤ O(m/(L log m)), C = 1", "bound", "V-sec:S5"),
            ]
        },
        hypotheses={"omega_small": "ω ≤ L^{−3/2} (C = 1)", "d_small": "d ≤ m/(L log m) (C = 1)"},
    )
)


def _reps(mode: Mode) -> dict[str, int]:
    return {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}


def _cases(mode: Mode) -> Sequence[Case]:
    cases = [
        sweep("omega", [1e-4, 1e-3, 1e-2, 3e-2], m=1024, L=2, n=1, d_out=1, data_seed=11, **_reps(mode)),
        sweep("m", [256, 512, 1024, 2048], L=2, omega=1e-3, n=1, d_out=1, data_seed=11, **_reps(mode)),
    ]
    return cases[:1] if mode is Mode.QUICK else cases


def _depth_cases(mode: Mode) -> Sequence[Case]:
    return [sweep("L", [1, 2, 4, 8], m=512, omega_frac=0.01, n=1, d_out=1, data_seed=11, **_reps(mode))]


def _backward_difference(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(theta, rng)
    cache = deep.forward(param, weights, X)
    omega = float(theta["omega"]) if "omega" in theta else float(theta["omega_frac"]) * bounds("omega_max", **numeric(theta))
    point = {**numeric(theta), "omega": omega}
    s = int(math.ceil(bounds("sparsity", **point)))
    masks = [D[0].astype(np.float64) for D in cache.D]
    value = max(adversarial_back_perturbation(weights.B, weights.Ws, masks, a, s, omega).norm for a in range(param.L + 1))
    held = {"omega_small": omega <= bounds("omega_max", **point), "d_small": theta["d_out"] <= bounds("d_max", **point)}
    L, m = int(theta["L"]), int(theta["m"])
    return {"hypotheses": held, "derived": {"omega": omega}, "value": value, "s": s,
            "method": "greedy (D″, W″) from the top, max over a",
            "normalized": {"omega L^1.5": omega * L**1.5, "L^2 omega^(2/3) log m": L**2 * omega ** (2 / 3) * math.log(m),
                           "omega L^4.5 log^3 m": omega * L**4.5 * math.log(m) ** 3}}


LEMMA.add(
    Check(
        name="backward_difference",
        kind=Kind.EXPONENT,
        claim="worst (D″, W″) found: ‖B(D + D″)(W + W″)⋯ − BDW⋯‖₂ = O(ω^{1/3}L²√(m log m)/√d), no upward drift in ω, L, m",
        cases=_cases,
        trial=scaling_trial(_backward_difference, "perturbation_shape"),
        verdict=scaling_verdict("upper", "backward difference", "perturbation_shape"),
        negative_control={"perturbation_shape": "omega**2/(L*m)"},
    )
)

LEMMA.add(
    Check(
        name="backward_difference_depth",
        kind=Kind.EXPONENT,
        claim="the same bound swept in L at ω = 0.01·L^{−3/2} (inside the restated radius ω = O(L^{−3/2}))",
        cases=_depth_cases,
        trial=scaling_trial(_backward_difference, "perturbation_shape"),
        verdict=scaling_verdict("upper", "backward difference", "perturbation_shape"),
        negative_control={"perturbation_shape": "omega**2/(L*m)"},
        erratum=(
            "finding of this project, not in the spec: under the radius ω = O(L^{−3/2}) restated by S1 the worst "
            "(D″, W″) found grows like L^3.4, not L² (see the module docstring); Lemma 8.2's radius "
            "ω ≤ 1/(C L^{9/2} log³m) would bound it — to be checked against the paper's text"
        ),
    )
)
