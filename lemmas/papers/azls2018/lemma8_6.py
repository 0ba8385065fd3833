"""AZLS Lemma 8.6 (intermediate layers after perturbation).

> For diagonal D″_{i,r} ∈ [−1, 1]^{m×m} with at most s = O(mω^{2/3}L) non-zeros, with probability
  ≥ 1 − O(nL²)e^{−Ω(mω^{2/3}L)}, for all i and a ≤ b: ‖∏_{r=a}^{b} (D_{i,r} + D″_{i,r}) W_r‖₂ ≤ O(√L).
                         (v5 Lemma 8.6; pre-v5 Lemma 5.6 [V-sec:S2]; number [V-sec:S6]; hypotheses on ω [U])

For all sparse D″, so the check searches: greedy corrections on the s coordinates where the current top
singular vector's pre-mask image is largest (azls2018.md §6.9, :func:`lemmas.core.deep_search.adversarial_chain_masks`),
on the longest product a = 1, b = L with W and D at initialization. Only one restatement gives the bound,
so the check is exploratory; s = ⌈mω^{2/3}L⌉ (C = 1). The sparsity s is Lemma 8.2's sign-change count, so
Lemma 8.2's hypothesis ω ≤ 1/(C L^{9/2} log³m) is recorded (C = 1 reading): inside it (ω = ½ω_max) s is 1–2
per layer at m = 256; the sweep at ω = 1e-3 (s = 3–41) lies outside (slack evidence).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from lemmas.core import deep
from lemmas.core.deep_search import adversarial_chain_masks
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import network, numeric
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, register
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.lemma8.6",
        title="Intermediate products with sparse sign corrections: ‖∏(D + D″)W‖₂ ≤ O(√L)",
        source=source("App. 8, Lemma 8.6 (pre-v5 Lemma 5.6)", "azls2018.md §3.8, §6.9"),
        statement=(
            r"For all diagonal $D''_{i,r}\in[-1,1]^{m\times m}$ with at most $s=O(m\omega^{2/3}L)$ non-zeros, with probability "
            r"at least $1-O(nL^2)e^{-\Omega(m\omega^{2/3}L)}$: $\bigl\|\prod_{r=a}^{b}(D_{i,r}+D''_{i,r})W_r\bigr\|_2\le O(\sqrt L)$ "
            r"for all $i$ and $a\le b$."
        ),
        tag="V-sec:S2 (one restatement); U (hypotheses)",
        quantities={
            q.name: q
            for q in [
                Quantity("chain_shape", c.perturbed_chain_norm, "bound on the corrected product", "bound", "V-sec:S2"),
                Quantity("sparsity", c.sparsity, "s = O(mω^{2/3}L), C = 1", "bound", "V-sec:S2"),
                Quantity("omega_max", c.perturbation_omega_max, "Lemma 8.2's ω ≤ 1/(C L^{9/2} log³m), C = 1", "radius", "V-sec:S1,S2"),
            ]
        },
        hypotheses={"omega_small": "ω ≤ 1/(L^{9/2} log³m) (Lemma 8.2's hypothesis, where s comes from; C = 1)"},
    )
)


def _cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    inside = sweep("L", [2, 4, 8, 16], m=256, omega_frac=0.5, n=1, data_seed=10, **reps)
    outside = sweep("L", [2, 4, 8, 16], m=256, omega=1e-3, n=1, data_seed=10, **reps)
    return [inside] if mode is Mode.QUICK else [inside, outside]


def _corrected_norm(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(theta, rng)
    cache = deep.forward(param, weights, X)
    omega_max = bounds("omega_max", **numeric(theta))
    omega = float(theta["omega"]) if "omega" in theta else float(theta["omega_frac"]) * omega_max
    s = int(math.ceil(bounds("sparsity", **{**numeric(theta), "omega": omega})))
    masks = [cache.D[ell][0].astype(np.float64) for ell in range(1, param.L + 1)]
    value, _, _ = adversarial_chain_masks(weights.Ws, masks[:-1], masks[-1], s)
    return {"hypotheses": {"omega_small": omega <= omega_max}, "derived": {"omega": omega}, "value": value, "s": s,
            "method": "greedy top-singular-vector corrections", "normalized": {"omega L^4.5 log^3 m": omega / omega_max}}


LEMMA.add(
    Check(
        name="corrected_chain",
        kind=Kind.EXPONENT,
        claim="max over s-sparse D″ found of ‖(D_L + D″_L)W_L ⋯ (D_1 + D″_1)W_1‖₂ = O(√L): no upward drift in L",
        cases=_cases,
        trial=scaling_trial(_corrected_norm, "chain_shape"),
        verdict=scaling_verdict("upper", "‖∏(D + D″)W‖₂", "chain_shape"),
        negative_control={"chain_shape": "1/(L*m)"},
        confirmed=False,
    )
)
