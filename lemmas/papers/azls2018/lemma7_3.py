"""AZLS Lemma 7.3 (intermediate layers at initialization; number and statement not confirmed).

> With probability ≥ 1 − e^{−Ω(m/L)}, for all i and 1 ≤ a ≤ b ≤ L:
  ‖W_b D_{i,b−1} W_{b−1} ⋯ D_{i,a} W_a‖₂ ≤ O(√L).                    (azls2018.md §3.3 [U]; [M] supports √L)

Checked (exploratory) on the longest product a = 1, b = L, whose norm is computed matrix-free by Lanczos
(:func:`lemmas.core.deep_search.operator_norm`): the implied constant ‖·‖₂/√L must not drift up in L or m.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from lemmas.core import deep
from lemmas.core.deep_search import chain_operator, operator_norm
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import network
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, register
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.lemma7.3",
        title="Intermediate products at initialization: ‖W_b D ⋯ D W_a‖₂ ≤ O(√L)",
        source=source("App. 7, Lemma 7.3 (number not confirmed)", "azls2018.md §3.3, §6.4"),
        statement=(
            r"With probability at least $1-e^{-\Omega(m/L)}$, for all $i\in[n]$ and $1\le a\le b\le L$: "
            r"$\|W_bD_{i,b-1}W_{b-1}\cdots D_{i,a}W_a\|_2\le O(\sqrt L)$."
        ),
        tag="U",
        quantities={"chain_shape": Quantity("chain_shape", c.chain_norm, "bound on the product norm", "bound", "U")},
        hypotheses={},
    )
)


def _cases(mode: Mode) -> Sequence[Case]:
    if mode is Mode.FULL:
        return [sweep("L", [1, 2, 4, 8, 16, 32], m=512, n=1, test_reps=6, calib_reps=2),
                sweep("m", [128, 256, 512, 1024, 2048], L=8, n=1, test_reps=6, calib_reps=2)]
    cases = [sweep("L", [1, 2, 4, 8, 16], m=256, n=1, test_reps=3, calib_reps=1),
             sweep("m", [128, 256, 512, 1024], L=4, n=1, test_reps=3, calib_reps=1)]
    return cases[:1] if mode is Mode.QUICK else cases


def _chain_norm(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(theta, rng)
    cache = deep.forward(param, weights, X)
    masks = [cache.D[ell][0].astype(np.float64) for ell in range(1, param.L)]
    return {"hypotheses": {}, "value": operator_norm(chain_operator(weights.Ws, masks))}


LEMMA.add(
    Check(
        name="chain_norm",
        kind=Kind.EXPONENT,
        claim="‖W_L D_{L−1} ⋯ D_1 W_1‖₂ = O(√L): implied constant without upward drift in L and m",
        cases=_cases,
        trial=scaling_trial(_chain_norm, "chain_shape"),
        verdict=scaling_verdict("upper", "‖W_L D ⋯ D W_1‖₂", "chain_shape"),
        negative_control={"chain_shape": "1/(L*m)"},
        confirmed=False,
    )
)
