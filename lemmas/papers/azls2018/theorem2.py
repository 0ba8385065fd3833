"""AZLS Theorem 2 (SGD with mini-batches) — not confirmed in any text read (azls2018.md §2.2, [U] throughout).

> Candidate: η = Θ(bδd/(n⁵L²m log²m)), T = Θ(n⁷L² log²m/(bδ²) · log(1/ε)), m ≥ Ω̃(poly(n, L, δ⁻¹)·d), probability
  ≥ 1 − e^{−Ω(log²m)} over initialization and sampling, conclusion F(W⃗(T)) ≤ ε.

Only internal consistency is checked [D, spec §2.2]: with Theorem 1's PL constant the per-step contraction
ηδm/(dn²) gives exactly this T; the worst-case mini-batch bound on the second-order term gives η ≤ O(bδd/(n⁵L²m))
(the candidate's η up to log²m); at b = n both reduce to Theorem 1's up to log²m. The explicit width and the
b-dependence cannot be reconstructed. SGD runs at feasible widths are slack evidence.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import numeric
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.papers.azls2018.training import train
from lemmas.registry import Case, Check, Kind, Lemma, Mode, register
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.theorem2",
        title="Theorem 2 (SGD): candidate polynomials, internal consistency, feasible runs",
        source=source("§3, Theorem 2", "azls2018.md §2.2, §5, §6.15"),
        statement=(
            r"Candidate [U]: $\eta=\Theta\bigl(\frac{b\delta d}{n^5L^2m\log^2m}\bigr)$, "
            r"$T=\Theta\bigl(\frac{n^7L^2\log^2m}{b\delta^2}\log\frac1\varepsilon\bigr)$, $m\ge\tilde\Omega(\mathrm{poly}(n,L,\delta^{-1})d)$; "
            r"with probability at least $1-e^{-\Omega(\log^2m)}$, SGD with batch size $b$ reaches $F(\vec W^{(T)})\le\varepsilon$."
        ),
        tag="U",
        quantities={
            q.name: q
            for q in [
                Quantity("step", c.theorem2_step, "candidate step η", "step", "U"),
                Quantity("iterations", c.theorem2_iterations, "candidate iterations T", "bound", "U"),
                Quantity("rate", c.theorem1_rate, "per-step contraction ηδm/(dn²) (Theorem 1's PL constant)", "rate", "D"),
                Quantity("width", c.theorem1_width, "Theorem 1's width (Theorem 2's is unknown)", "width", "U"),
            ]
        },
        hypotheses={"width": "m at least Theorem 1's width (C = 1; Theorem 2's own width is unknown)"},
    )
)


def _consistency_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    eta2, T2 = bounds.expr("step"), bounds.expr("iterations")
    lam = c.lam
    checks = {
        # T · (ηδm/(dn²)) = log(1/ε) exactly
        "T_from_rate": sp.simplify(T2 * c.theorem1_rate.subs(c.eta, eta2) / sp.log(1 / c.epsilon) - 1) == 0,
        # worst-case mini-batch step has η's exponents except the log²m
        "eta_worst_case_batch": c.monomial_exponents(c.sgd_worst_case_step(), c.EXPONENT_VARIABLES + (c.b,))
        == {**c.monomial_exponents(eta2 * c.log_m**2, c.EXPONENT_VARIABLES + (c.b,))},
        # b = n: Theorem 1's η and T up to log²m
        "eta_at_b_equals_n": sp.simplify((eta2 * c.log_m**2).subs(c.b, c.n) - c.theorem1_step) == 0,
        "T_at_b_equals_n": sp.simplify((T2 / c.log_m**2).subs(c.b, c.n) - c.theorem1_iterations) == 0,
    }
    bad = [k for k, ok in checks.items() if not ok]
    return {"hypotheses": {}, "value": float(len(bad)), "bound": 0.0, "margin": -float(len(bad)), "failed": bool(bad),
            "ambiguous": False, "tier": "exact", "failed_relations": bad, "log_factor": str(lam)}


LEMMA.add(
    Check(
        name="consistency",
        kind=Kind.SYMBOLIC,
        claim="the candidate η and T agree with Theorem 1's PL constant, the worst-case mini-batch step bound, and Theorem 1 at b = n (up to log²m)",
        cases=lambda mode: [Case({}, trials=1)],
        trial=_consistency_trial,
        verdict=lambda params, obs, bounds, settings: all_trials_verdict(obs, "number of failed consistency relations"),
        negative_control={"step": "b**2*delta_sep*d_out/(n**5*L**2*m*log(m)**2)"},
        confirmed=False,
    )
)


def _sgd(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    run = train(theta, rng, batch=int(theta["b"]))
    point = {**numeric(theta), "delta_sep": run["delta_sep"], "eta": run["eta"]}
    width = bounds("width", **point)
    return {"hypotheses": {"width": theta["m"] >= width}, "normalized": {"m / width": theta["m"] / width},
            "derived": {"delta_sep": run["delta_sep"], "eta": run["eta"]}, "value": run["rate"], "run": run}


def _sgd_cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 4, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    return [sweep("m", [64, 128, 256, 512], n=8, b=4, L=2, d_out=1, steps=60, data_seed=25, **reps)]


LEMMA.add(
    Check(
        name="sgd_rate",
        kind=Kind.EXPONENT,
        claim="SGD's per-step contraction of F is Ω(ηδm/(dn²)) (η ∝ b/λ_max(K)): no downward drift in m (slack evidence)",
        cases=_sgd_cases,
        trial=scaling_trial(_sgd, "rate"),
        verdict=scaling_verdict("lower", "SGD rate", "rate"),
        negative_control={"rate": "eta*m**2"},
        confirmed=False,
    )
)
