"""AZLS: separation of hidden layers at initialization (number and exact statement not confirmed).

> For δ ≤ O(1/L), with high probability, for all ℓ ∈ {0, …, L} and i ≠ j, h_{i,ℓ} and h_{j,ℓ} stay
  δ/2-separated.                                     (azls2018.md §3.2 [U]; AZLS-RNN Lemma B.9 is the analogue)

Exact infinite-width law [D] (§3.2): the angle of two representations follows the He-ReLU map
cos α′ = (sin α + (π − α)cos α)/π, applied L + 1 times (A included), so the normalized distance decays like
δ/(1 + (ℓ+1)δ/(3π)); δ_L ≥ δ/2 iff (L+1)δ ≲ 3π, which is why δ ≤ O(1/L) is needed. Checks (all exploratory):
agreement of finite-width networks with the recursion (error O(√(L/m))); the δ/2 claim inside δ ≤ 1/L; and
its failure far outside (slack evidence, the expected demonstration of necessity).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks import all_trials_verdict, compare
from lemmas.core import deep
from lemmas.core.deep_kernels import representation_angles
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import network, numeric
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.separation",
        title="Separation of hidden layers (δ-separated inputs stay δ/2-separated)",
        source=source("App. 7, separation lemma (number not confirmed)", "azls2018.md §3.2, §6.3"),
        statement=(
            r"For $\delta\le O(1/L)$, with high probability, for all $\ell\in\{0,\dots,L\}$ and $i\ne j$: "
            r"$\|h_{i,\ell}-h_{j,\ell}\|\ge\delta/2$ whenever $\|x_i-x_j\|\ge\delta$. Infinite width: "
            r"$\delta_\ell\approx\delta/(1+(\ell+1)\delta/(3\pi))$."
        ),
        tag="U (statement); D (infinite-width law)",
        quantities={
            q.name: q
            for q in [
                Quantity("separation_bound", c.separation_bound, "lower bound on ‖h_{i,ℓ} − h_{j,ℓ}‖", "bound", "U"),
                Quantity("delta_max", c.separation_delta_max, "δ ≤ O(1/L) (C = 1 reading)", "radius", "U"),
                Quantity("recursion_error_shape", c.separation_error, "finite-width error of the κ-recursion", "bound", "U"),
            ]
        },
        hypotheses={"delta_small": "δ ≤ 1/L (Assumption 2.1's δ ≤ O(1/L), C = 1 reading)"},
    )
)


def _normalized_distances(h: Sequence[np.ndarray]) -> np.ndarray:
    out = []
    for hl in h:
        u = hl / np.linalg.norm(hl, axis=1, keepdims=True)
        out.append(np.linalg.norm(u[0] - u[1]))
    return np.array(out)


# ---- agreement with the infinite-width recursion -------------------------------------------------


def _recursion_cases(mode: Mode) -> Sequence[Case]:
    base = {"inputs": "pair", "delta_sep": 0.3, "n": 2}
    if mode is Mode.FULL:
        return [sweep("m", [128, 256, 512, 1024, 2048, 4096], L=8, **base, test_reps=8, calib_reps=2)]
    return [sweep("m", [128, 256, 512, 1024], L=6, **base, test_reps=6, calib_reps=2)]


def _recursion_error(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(theta, rng)
    measured = _normalized_distances(deep.forward(param, weights, X).h)
    predicted = 2.0 * np.sin(np.array([a[0, 1] for a in representation_angles(param, X)]) / 2.0)
    return {"hypotheses": {}, "value": float(np.max(np.abs(measured - predicted) / predicted)),
            "measured": measured.tolist(), "recursion": predicted.tolist()}


LEMMA.add(
    Check(
        name="recursion",
        kind=Kind.EXPONENT,
        claim="max_ℓ |δ̂_ℓ − δ_ℓ^∞|/δ_ℓ^∞ = O(√(L/m)): finite-width hidden distances follow the κ-recursion",
        cases=_recursion_cases,
        trial=scaling_trial(_recursion_error, "recursion_error_shape"),
        verdict=scaling_verdict("upper", "relative error of δ̂_ℓ", "recursion_error_shape"),
        negative_control={"recursion_error_shape": "1/m"},
        confirmed=False,
    )
)


# ---- the δ/2 claim and its necessity ---------------------------------------------------------------


def _half_cases(mode: Mode) -> Sequence[Case]:
    inside = Case({"inputs": "pair", "delta_sep": 0.05, "n": 2, "m": 512, "L": 8}, trials=20)
    outside = Case({"inputs": "pair", "delta_sep": 0.9, "n": 2, "m": 512, "L": 16}, trials=10)
    if mode is Mode.FULL:
        return [Case(dict(inside.params), trials=100), Case(dict(outside.params), trials=50),
                Case({"inputs": "pair", "delta_sep": 0.02, "n": 2, "m": 1024, "L": 32}, trials=30)]
    return [inside] if mode is Mode.QUICK else [inside, outside]


def _half_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(params, rng)
    h = deep.forward(param, weights, X).h
    raw = np.array([np.linalg.norm(hl[0] - hl[1]) for hl in h])
    held = params["delta_sep"] <= bounds("delta_max", L=params["L"])
    out = compare(float(raw.min()), bounds("separation_bound", **numeric(params)), upper=False)
    return {"hypotheses": {"delta_small": bool(held)}, **out, "layer": int(raw.argmin()),
            "normalized": {"delta_L": params["delta_sep"] * params["L"], "delta_(L+1)/(3pi)": params["delta_sep"] * (params["L"] + 1) / (3 * np.pi)}}


def _half_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "min_ℓ ‖h_{1,ℓ} − h_{2,ℓ}‖ against δ/2")


LEMMA.add(
    Check(
        name="half_delta",
        kind=Kind.WORST_CASE,
        claim="‖h_{i,ℓ} − h_{j,ℓ}‖ ≥ δ/2 for all ℓ in every trial (inside δ ≤ 1/L; far outside it is expected to fail)",
        cases=_half_cases,
        trial=_half_trial,
        verdict=_half_verdict,
        negative_control={"separation_bound": "2*delta_sep"},
        confirmed=False,
    )
)
