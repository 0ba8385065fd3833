"""AZLS: the loss at initialization (number and statement not confirmed).

> With probability ≥ 1 − e^{−Ω(log²m)}, ‖B h_{i,L}^{(0)} − y_i*‖ ≤ O(log m) for all i, hence F(W⃗(0)) ≤ O(n log²m).
                                                         (azls2018.md §3.11 [U statement; D])

[D]: given h_{i,L}, B h_{i,L} ~ N(0, ‖h_{i,L}‖²/d · I_d) exactly and ‖h_{i,L}‖ ≈ 1, so with |y| ≤ 1 the loss is
O(n) in expectation; the log²m is the Gaussian tail at level log m. Exploratory sweeps in n and m.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from lemmas.core import deep
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import labels, network
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, register
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.initial_loss",
        title="Initial loss: F(W⃗(0)) ≤ O(n log²m)",
        source=source("App. (initial loss; number not confirmed)", "azls2018.md §3.11"),
        statement=r"With probability at least $1-e^{-\Omega(\log^2m)}$: $F(\vec W^{(0)})\le O(n\log^2m)$ for labels $\|y_i^*\|\le O(1)$.",
        tag="U (statement); D (law of B h given h)",
        quantities={"loss_shape": Quantity("loss_shape", c.initial_loss, "bound on F(W⃗(0))", "bound", "U")},
        hypotheses={"labels_bounded": "|y_i| ≤ 1 (azls2018.md §1.1)"},
    )
)


def _cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 8, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 5, "calib_reps": 2}
    cases = [sweep("n", [4, 16, 64], m=256, L=2, d_out=1, data_seed=23, **reps),
             sweep("m", [128, 256, 512, 1024], n=8, L=2, d_out=1, data_seed=23, **reps)]
    return cases[:1] if mode is Mode.QUICK else cases


def _initial_loss(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(theta, rng)
    Y = labels(theta, X.shape[0])
    return {"hypotheses": {"labels_bounded": bool(np.all(np.abs(Y) <= 1.0))},
            "value": deep.square_loss(deep.forward(param, weights, X).out, Y)[0]}


LEMMA.add(
    Check(
        name="initial_loss",
        kind=Kind.EXPONENT,
        claim="F(W⃗(0)) = O(n log²m): implied constant without upward drift in n and m",
        cases=_cases,
        trial=scaling_trial(_initial_loss, "loss_shape"),
        verdict=scaling_verdict("upper", "F(W(0))", "loss_shape"),
        negative_control={"loss_shape": "1/m"},
        confirmed=False,
    )
)
