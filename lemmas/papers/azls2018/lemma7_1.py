"""AZLS Lemma 7.1 (forward propagation at initialization).

> With probability ≥ 1 − O(nL)e^{−Ω(mε²/L)}, ‖h_{i,ℓ}‖ ∈ [1 − ε, 1 + ε] for all i ∈ [n], ℓ ∈ {0, …, L}.
  (v5 Lemma 7.1; pre-v5 Lemma 4.1 as restated by Cao–Gu 1905.13210 with ε constant [V-sec:S2]; general-ε form [U])

Exact law [D] (azls2018.md §3.1): for one unit input, ‖h_ℓ‖² = ∏_{j≤ℓ} (2/m)χ²_{K_j} with K_j ~ Bin(m, 1/2)
independent, so E‖h_ℓ‖² = 1 and Var‖h_ℓ‖² = (1 + 5/m)^{ℓ+1} − 1. These are threshold-grade oracles (z-tests
over independent networks). The ε-deviation claim is exploratory: its width √(L log(nL)/m) is checked as a
sweep in m and L.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks_oracle import moment_oracle_verdict
from lemmas.core import deep
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import network
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.lemma7.1",
        title="Forward propagation at initialization: ‖h_{i,ℓ}‖ ≈ 1",
        source=source("App. 7, Lemma 7.1 (pre-v5 Lemma 4.1)", "azls2018.md §3.1, §4.2, §6.2"),
        statement=(
            r"With probability at least $1-O(nL)e^{-\Omega(m\varepsilon^2/L)}$, for all $i\in[n]$ and "
            r"$\ell\in\{0,\dots,L\}$: $\|h_{i,\ell}\|\in[1-\varepsilon,1+\varepsilon]$. "
            r"Exact law: $\|h_{i,\ell}\|^2\overset d=\prod_{j=0}^{\ell}\frac2m\chi^2_{K_j}$, $K_j\sim\mathrm{Bin}(m,\frac12)$, "
            r"so $\mathbb E\|h_{i,\ell}\|^2=1$ and $\mathrm{Var}\|h_{i,\ell}\|^2=(1+\frac5m)^{\ell+1}-1$."
        ),
        tag="V-sec:S2 (ε constant); D (exact law); U (general ε)",
        quantities={
            q.name: q
            for q in [
                Quantity("mean_oracle", c.forward_mean, "E‖h_ℓ‖² for a unit input", "bound", "D"),
                Quantity("variance_oracle", c.forward_variance, "Var‖h_ℓ‖² for a unit input", "bound", "D",
                         "E X_j² = (4/m²)E[K(K+2)] = 1 + 5/m for X_j = (2/m)χ²_{K_j}, independent factors"),
                Quantity("fourth_moment_oracle", c.forward_fourth_central, "E(‖h_ℓ‖² − 1)⁴ for a unit input (the z-test's standard error)",
                         "bound", "D", "raw moments (E X^k)^{ℓ+1}, E X^k from the binomial factorial moments"),
                Quantity("deviation_shape", c.forward_deviation, "ε at a fixed failure probability of 1 − O(nL)e^{−Ω(mε²/L)}", "bound", "U"),
            ]
        },
        hypotheses={"unit_inputs": "‖x_i‖ = 1 (azls2018.md §1.1)"},
    )
)


# ---- exact moments -----------------------------------------------------------------------------------


def _moment_cases(mode: Mode) -> Sequence[Case]:
    cases = [
        Case({"m": 64, "L": 4, "n": 1, "data_seed": 1}, trials=4000),
        Case({"m": 96, "L": 6, "n": 1, "data_seed": 2, "bias": True}, trials=2500),
    ]
    if mode is Mode.FULL:
        cases += [Case({"m": 128, "L": 8, "n": 1, "data_seed": 3}, trials=20000)]
    if mode is Mode.QUICK:
        cases = [Case(dict(cases[0].params), trials=2000)]
    return cases


def _moment_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(params, rng)
    cache = deep.forward(param, weights, X)
    return {"hypotheses": {"unit_inputs": True}, "sq_norms": [float(h[0] @ h[0]) for h in cache.h]}


def _moment_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    L, m = int(params["L"]), int(params["m"])
    samples = np.array([o["sq_norms"] for o in obs])
    means = [bounds("mean_oracle", m=m, ell=ell) for ell in range(L + 1)]
    variances = [bounds("variance_oracle", m=m, ell=ell) for ell in range(L + 1)]
    fourth = [bounds("fourth_moment_oracle", m=m, ell=ell) for ell in range(L + 1)]
    return moment_oracle_verdict(samples, means, variances, settings, "‖h_ℓ‖² moments against the exact law",
                                 fourth_central=fourth, labels=[f"‖h_{ell}‖²" for ell in range(L + 1)])


LEMMA.add(
    Check(
        name="moments",
        kind=Kind.IDENTITY,
        claim="E‖h_ℓ‖² = 1 and Var‖h_ℓ‖² = (1 + 5/m)^{ℓ+1} − 1 for every ℓ (z-tests over independent networks)",
        cases=_moment_cases,
        trial=_moment_trial,
        verdict=_moment_verdict,
        negative_control={"variance_oracle": "(1 + 4/m)**(ell + 1) - 1"},
    )
)


# ---- deviation width -----------------------------------------------------------------------------


def _deviation_cases(mode: Mode) -> Sequence[Case]:
    base = {"n": 8, "data_seed": 3}
    if mode is Mode.FULL:
        return [sweep("m", [64, 128, 256, 512, 1024, 2048], L=4, **base, test_reps=6, calib_reps=2),
                sweep("L", [1, 2, 4, 8, 16, 32], m=256, **base, test_reps=6, calib_reps=2)]
    # six replicates per width: with three, the fit's interval cannot tell m^{-1/2} from the negative control's m^{-1}
    cases = [sweep("m", [64, 128, 256, 512], L=4, **base, test_reps=6, calib_reps=1),
             sweep("L", [1, 2, 4, 8, 16], m=128, **base, test_reps=3, calib_reps=1)]
    return cases[:1] if mode is Mode.QUICK else cases


def _deviation(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(theta, rng)
    cache = deep.forward(param, weights, X)
    dev = max(float(np.max(np.abs(np.linalg.norm(h, axis=1) - 1.0))) for h in cache.h)
    return {"hypotheses": {"unit_inputs": True}, "value": dev}


LEMMA.add(
    Check(
        name="deviation",
        kind=Kind.EXPONENT,
        claim="max_{i,ℓ} |‖h_{i,ℓ}‖ − 1| = O(√(L log(nL)/m)): implied constant without upward drift in m and L",
        cases=_deviation_cases,
        trial=scaling_trial(_deviation, "deviation_shape"),
        verdict=scaling_verdict("upper", "max |‖h‖ − 1|", "deviation_shape"),
        negative_control={"deviation_shape": "1/(m*L)"},
        confirmed=False,
    )
)
