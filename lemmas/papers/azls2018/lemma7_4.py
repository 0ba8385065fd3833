"""AZLS Lemma 7.4 (backward propagation at initialization).

> (b) For all i ∈ [n], a ∈ [L+1] and v ∈ ℝ^d: ‖vᵀ Back_{i,a}‖ ≤ O(√(m/d))‖v‖, with hypothesis
  m ≥ Ω(nL log(nL)) and probability ≥ 1 − e^{−Ω(s log m)}.       [V-sec:S1 Lemma 8 ("Lemma 7.4b"); S2 uses it]
> (a) For s ≥ Ω(d/log m), all v and all s-sparse u ∈ ℝ^m: |vᵀ Back_{i,a} u| ≤ O(√(s log m/d))‖v‖‖u‖.   [U]

(b) is exact in v: ‖Back_{i,a}‖₂ from the d × d Gram of the rows. Its m-exponent 1/2 is stated alike by S1
and S2 (S2 as O(1) after its √m rescaling), so that sweep is a pass/fail exponent check; the d-exponent
(from τ² ↔ 1/d, [D] on S1's d = 1 statement) is exploratory. (a) for d = 1 is exact too: the sup over
s-sparse unit u is the norm of the s largest entries of Back_{i,a} (exploratory).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from lemmas.core import deep
from lemmas.core.deep_search import rows_norm
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import network, numeric
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, register
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.lemma7.4",
        title="Backward propagation at initialization: ‖Back_{i,a}‖₂ ≤ O(√(m/d)), sparse form O(√(s log m/d))",
        source=source("App. 7, Lemma 7.4 (pre-v5 Lemma 4.4)", "azls2018.md §3.4, §6.5"),
        statement=(
            r"(b) For all $i\in[n]$, $a\in[L+1]$, $v\in\mathbb R^d$: $\|v^\top\mathsf{Back}_{i,a}\|\le O(\sqrt{m/d})\|v\|$ "
            r"($m\ge\Omega(nL\log(nL))$). (a) For $s\ge\Omega(d/\log m)$ and all $s$-sparse $u$: "
            r"$|v^\top\mathsf{Back}_{i,a}u|\le O(\sqrt{s\log m/d})\|v\|\|u\|$, where "
            r"$\mathsf{Back}_{i,a}=BD_{i,L}W_L\cdots D_{i,a}W_a$, $\mathsf{Back}_{i,L+1}=B$."
        ),
        tag="V-sec:S1,S2 (b, m-exponent); D (d-factor); U (a)",
        quantities={
            q.name: q
            for q in [
                Quantity("backward_shape", c.backward_norm, "bound on ‖Back_{i,a}‖₂", "bound", "V-sec:S1,S2"),
                Quantity("sparse_shape", c.sparse_backward_norm, "bound on the s-sparse restriction of Back_{i,a}", "bound", "U"),
                Quantity("width_min", c.backward_width_min, "m ≥ nL log(nL) (C = 1 reading)", "width", "V-sec:S1"),
                Quantity("sparsity_min", c.sparse_min, "s ≥ d/log m (C = 1 reading)", "bound", "U"),
            ]
        },
        hypotheses={"width": "m ≥ nL log(2nL) (Lemma 7.4's m ≥ Ω(nL log(nL)), C = 1 reading)",
                    "sparsity": "s ≥ d/log m (part (a))"},
    )
)


def _back_blocks(theta: dict[str, Any], rng: np.random.Generator) -> list[np.ndarray]:
    """Back_{i,a} for a = L+1, L, …, 1 as n × d × m arrays (one backward sweep from B)."""
    param, weights, X = network(theta, rng)
    cache = deep.forward(param, weights, X)
    upstream = np.broadcast_to(weights.B, (cache.n,) + weights.B.shape)
    return [R for _, R, _ in deep.backward_sweep(param, weights, cache, upstream, stop=0)]


def _backward_norm(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    blocks = _back_blocks(theta, rng)
    value = max(rows_norm(R[i]) for R in blocks for i in range(R.shape[0]))
    return {"hypotheses": {"width": theta["m"] >= bounds("width_min", **numeric(theta))}, "value": value}


def _sparse_norm(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    s = int(theta["s"])
    value = 0.0
    for R in _back_blocks(theta, rng):
        top = -np.sort(-np.abs(R[:, 0, :]), axis=1)[:, :s]  # d = 1: the s largest entries of each Back_{i,a}
        value = max(value, float(np.max(np.linalg.norm(top, axis=1))))
    return {"hypotheses": {"sparsity": s >= bounds("sparsity_min", **numeric(theta))}, "value": value}


def _norm_cases(mode: Mode) -> Sequence[Case]:
    values = [128, 256, 512, 1024, 2048] if mode is Mode.FULL else [128, 256, 512, 1024]
    reps = (6, 2) if mode is Mode.FULL else (3, 1)
    return [sweep("m", values, L=4, n=4, d_out=1, test_reps=reps[0], calib_reps=reps[1])]


def _norm_d_cases(mode: Mode) -> Sequence[Case]:
    values = [1, 2, 4, 8, 16] if mode is Mode.FULL else [1, 2, 4, 8]
    return [sweep("d_out", values, m=512, L=4, n=4, test_reps=3, calib_reps=1)]


def _sparse_cases(mode: Mode) -> Sequence[Case]:
    cases = [sweep("s", [4, 16, 64, 256], m=1024, L=4, n=2, d_out=1, test_reps=3, calib_reps=1),
             sweep("m", [128, 256, 512, 1024], s=8, L=4, n=2, d_out=1, test_reps=3, calib_reps=1)]
    return cases[:1] if mode is Mode.QUICK else cases


LEMMA.add(
    Check(
        name="backward_norm",
        kind=Kind.EXPONENT,
        claim="max_{i,a} ‖Back_{i,a}‖₂ = O(√(m/d)): implied constant without upward drift in m (exponent 1/2 per S1, S2)",
        cases=_norm_cases,
        trial=scaling_trial(_backward_norm, "backward_shape"),
        verdict=scaling_verdict("upper", "max ‖Back_{i,a}‖₂", "backward_shape"),
        negative_control={"backward_shape": "1/m"},
    )
)

LEMMA.add(
    Check(
        name="backward_norm_d",
        kind=Kind.EXPONENT,
        claim="max_{i,a} ‖Back_{i,a}‖₂ = O(√(m/d)): implied constant without upward drift in d (the 1/√d is derived, τ² ↔ 1/d)",
        cases=_norm_d_cases,
        trial=scaling_trial(_backward_norm, "backward_shape"),
        verdict=scaling_verdict("upper", "max ‖Back_{i,a}‖₂", "backward_shape"),
        negative_control={"backward_shape": "1/d_out**2"},
        confirmed=False,
    )
)

LEMMA.add(
    Check(
        name="sparse_backward",
        kind=Kind.EXPONENT,
        claim="sup over s-sparse unit u of ‖Back_{i,a} u‖ (exact for d = 1) = O(√(s log m/d)) in s and m",
        cases=_sparse_cases,
        trial=scaling_trial(_sparse_norm, "sparse_shape"),
        verdict=scaling_verdict("upper", "sparse ‖Back_{i,a}u‖", "sparse_shape"),
        negative_control={"sparse_shape": "1/(s*m)"},
        confirmed=False,
    )
)
