"""Zou et al. Theorem 5.1(ii) through Lemmas A.3–A.5: opposite-label inputs stay separated through the layers.

* Lemma A.3 [X]: E[σ(Z1)σ(Z2)] ≤ ½ − θ²/4 + Cθ³ when E[Z1Z2] = 1 − θ²/2. The closed form κ1 makes this exact;
  the constant C(θ) increases to 1/16 at θ = 2, so C = 1/16 works on all of (0, 2] (spec §3.2 [D, M]). The
  proof's identities E[σσ] = α/2 + I1 + I2 are checked against quadrature.
* Lemma A.4 / Corollary A.5 / 5.1(ii) [P]: min over opposite-label pairs of ‖x̄_{l,i} − x̄_{l,i′}‖ ≥
  [1 − log 2/(2L)]^l φ (A.4) and ≥ φ/2 (A.5), on adversarial data (opposite-label pairs at distance exactly φ),
  with the infinite-width prediction (the exact angle map) reported beside each trial. The hypotheses
  φ ≤ κ/L and m ≥ CL⁴φ^{−4}log(4n²L/δ) are recorded with the hidden constants set to 1.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare, max_error_verdict, probability_verdict
from lemmas.core.deep_kernels import representation_angles
from lemmas.papers.zou2018 import constants as K, source
from lemmas.papers.zou2018.checking import case_data, cases
from lemmas.papers.zou2018.network import init_representations, network
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.symbolic import Bounds, Quantity, delta, L, n, phi

ell = sp.Symbol("l", positive=True)
alpha = sp.Symbol("alpha", real=True)

# ==========================================================================================================
# Lemma A.3
# ==========================================================================================================

A3 = register(Lemma(
    id="zou2018.lemmaA.3",
    title="ReLU correlation of jointly Gaussian pairs",
    source=source("App. A, Lemma A.3", "zou2018.md §3.2"),
    statement=(r"Let $Z_1,Z_2$ be standard jointly Gaussian with $\mathbb E Z_1Z_2\le1-\theta^2/2$. For $\theta\le\kappa$, "
               r"$\mathbb E[\sigma(Z_1)\sigma(Z_2)]\le\frac12-\frac14\theta^2+C\theta^3$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("C", K.a3_constant, "the cubic constant", "constant", "D",
                 "sup over (0, 2] of (κ1(1 − θ²/2) − ½ + θ²/4)/θ³, attained at θ = 2"),
        Quantity("kappa1", K.kappa1(alpha), "E[σ(Z1)σ(Z2)] at correlation α (closed form)", "bound", "D"),
    ]},
    hypotheses={},
    notes=("κ1 is non-decreasing, so E Z1Z2 ≤ 1 − θ²/2 reduces to equality; no smallness of θ is needed with C = 1/16.",),
))

_THETA_CHUNKS = 8


def _a3_cases(mode: Mode) -> Sequence[Case]:
    points = 400 if mode is Mode.FULL else 100
    return cases(mode, [Case({"theta_max": 1.99, "points_per_trial": points}, _THETA_CHUNKS)], quick_trials=2)


def _a3_bound_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    hi = float(params["theta_max"])
    grid = np.linspace(hi * index / _THETA_CHUNKS, hi * (index + 1) / _THETA_CHUNKS, int(params["points_per_trial"]) + 1)[1:]
    f = sp.lambdify(K.theta, K.a3_ratio, modules="mpmath")
    with mpmath.workdps(50):
        ratios = [f(mpmath.mpf(t)) for t in grid]
        worst = int(np.argmax([float(r) for r in ratios]))
        obs = compare(float(ratios[worst]), bounds("C"))
    obs.update({"hypotheses": {}, "theta": float(grid[worst]), "tier": Tier.ESTIMATED.value})
    return obs


def _a3_bound_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "sup_θ C(θ) = (κ1(1 − θ²/2) − ½ + θ²/4)/θ³")


A3.add(Check(
    name="constant", kind=Kind.IDENTITY,
    claim="(κ1(1 − θ²/2) − ½ + θ²/4)/θ³ ≤ 1/16 on a grid of (0, 1.99] (50-digit arithmetic)",
    cases=_a3_cases, trial=_a3_bound_trial, verdict=_a3_bound_verdict, negative_control={"C": "1/32"},
))


def _relu_correlation_quadrature(a: mpmath.mpf) -> mpmath.mpf:
    """E[σ(Z1)σ(Z2)] at correlation a by 1-D quadrature: E[σ(aZ + bZ′)] = aZΦ(aZ/b) + bφ(aZ/b), b = √(1 − a²)."""
    b = mpmath.sqrt(1 - a * a)
    inner = (lambda z: z * (a * z * mpmath.ncdf(a * z / b) + b * mpmath.npdf(a * z / b))) if b > 0 else (lambda z: z * max(a * z, 0))
    return mpmath.quad(lambda z: mpmath.npdf(z) * inner(z), [0, mpmath.inf])


def _a3_identity_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    a_val = -0.95 + 1.9 * index / max(_THETA_CHUNKS - 1, 1)
    with mpmath.workdps(30):
        a = mpmath.mpf(a_val)
        quad = _relu_correlation_quadrature(a)
        i1 = (1 - a * a) ** 1.5 / (2 * mpmath.pi)
        i2 = -a * mpmath.acos(a) / (2 * mpmath.pi) + a * a * mpmath.sqrt(1 - a * a) / (2 * mpmath.pi)
        decomposition = a / 2 + i1 + i2
        closed = bounds("kappa1", alpha=a_val)
        error = max(abs(float(quad) - closed), abs(float(decomposition) - closed))
    return {"hypotheses": {}, "alpha": a_val, "error": float(error), "quadrature": float(quad), "closed_form": closed}


def _a3_identity_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return max_error_verdict(obs, 1e-13, "|E[σσ] (quadrature; α/2 + I1 + I2) − κ1(α)|")


A3.add(Check(
    name="identities", kind=Kind.IDENTITY,
    claim="the proof's E[σ(Z1)σ(Z2)] = α/2 + I1 + I2 and the closed form κ1(α) agree with quadrature",
    cases=_a3_cases, trial=_a3_identity_trial, verdict=_a3_identity_verdict, negative_control={"kappa1": "alpha/2"},
))

# ==========================================================================================================
# Lemma A.4 / Corollary A.5 / Theorem 5.1(ii)
# ==========================================================================================================

A4 = register(Lemma(
    id="zou2018.lemmaA.4",
    title="Separation is preserved through the layers (Corollary A.5, Theorem 5.1(ii))",
    source=source("App. A, Lemma A.4 and Corollary A.5; Theorem 5.1(ii)", "zou2018.md §3.2"),
    statement=(r"If $\phi\le\kappa L^{-1}$ and $m\ge CL^4\phi^{-4}\log(4n^2L/\delta)$, then with probability at least $1-\delta$, "
               r"$\|\bar{\mathbf x}_{l,i}-\bar{\mathbf x}_{l,i'}\|_2\ge[1-(2L)^{-1}\log2]^l\phi$ for all $l$ and all $i,i'$ with "
               r"$y_i\ne y_{i'}$ (printed 'for all $i,j$' [sic], E25); Corollary A.5: $\ge\phi/2$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("separation_bound", (1 - sp.log(2) / (2 * L)) ** ell * phi, "Lemma A.4's bound at layer l", "bound", "V"),
        Quantity("corollary_bound", phi / 2, "Corollary A.5 / Theorem 5.1(ii)", "bound", "V"),
        Quantity("width", L**4 * phi**-4 * sp.log(4 * n**2 * L / delta), "m ≥ CL⁴φ⁻⁴log(4n²L/δ), C = 1", "width", "V"),
        Quantity("phi_max", 1 / L, "φ ≤ κ/L, κ = 1", "radius", "V"),
        Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
    ]},
    hypotheses={"phi_small": "φ ≤ κ/L (κ = 1)", "width": "m ≥ CL⁴φ⁻⁴log(4n²L/δ) (C = 1)"},
    notes=("Infinite-width reference [D]: θ_{l+1}² = θ_l² − (2/(3π))θ_l³ + O(θ⁴); the largest φ with θ_L ≥ φ/2 has φL → 3π.",),
))


def _a4_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "opposite_pairs", "n": 8, "d": 10, "mu": 0.5, "phi": 0.3, "data_seed": 5, "delta": 0.1}
    return cases(mode, [Case({**base, "L": 2}, 200), Case({**base, "L": 1, "m_min": 4096}, 200)],
                 [Case({**base, "n": 16, "L": 3, "phi": 0.3}, 500)], quick_trials=30)


@lru_cache(maxsize=16)
def _infinite_width_distances(kind: str, n_: int, d: int, mu: float, phi_: float, seed: int, depth: int) -> tuple[float, ...]:
    params = {"data": kind, "n": n_, "d": d, "mu": mu, "phi": phi_, "data_seed": seed}
    ds = case_data(params)
    angles = representation_angles(network(d, (2,) * depth), ds.X)
    opposite = ds.y[:, None] != ds.y[None, :]
    return tuple(float(np.min(2 * np.sin(a[opposite] / 2))) for a in angles[1:])


def _a4_trial_values(params: Mapping[str, Any], rng: np.random.Generator, bounds: Bounds, quantity: str) -> dict[str, Any]:
    ds = case_data(params)
    depth, dlt = int(params["L"]), float(params["delta"])
    width = max(int(math.ceil(bounds("width", L=depth, phi=ds.phi, n=ds.n, delta=dlt))), int(params.get("m_min", 2)))
    width += width % 2  # v needs an even m_L
    H = init_representations(rng, ds.X, (width,) * depth).H
    opposite = np.argwhere(ds.y[:, None] > ds.y[None, :])
    margins = []
    for l in range(1, depth + 1):
        Hn = H[l] / np.linalg.norm(H[l], axis=1, keepdims=True)
        dist = float(np.min(np.linalg.norm(Hn[opposite[:, 0]] - Hn[opposite[:, 1]], axis=1)))
        bound = bounds(quantity, l=l, L=depth, phi=ds.phi)
        margins.append((dist - bound, dist, bound, l))
    worst = min(margins)
    obs = compare(worst[1], worst[2], upper=False)
    infinite = _infinite_width_distances(str(params["data"]), ds.n, ds.d, ds.mu, float(params["phi"]), int(params["data_seed"]), depth)
    obs.update({"layer": worst[3], "m": width, "phi": ds.phi, "mu": ds.mu, "infinite_width": infinite[worst[3] - 1],
                "hypotheses": {"phi_small": ds.phi <= bounds("phi_max", L=depth), "width": True}})
    return obs


def _a4_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    return _a4_trial_values(params, rng, bounds, "separation_bound")


def _a5_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    return _a4_trial_values(params, rng, bounds, "corollary_bound")


def _a4_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings,
                            "P(∃ l, y_i ≠ y_i′: ‖x̄_{l,i} − x̄_{l,i′}‖ below the bound)")
    v.evidence.update({"phi": obs[0]["phi"], "mu": obs[0]["mu"], "m": obs[0]["m"],
                       "infinite_width_distance_at_worst_layer": obs[0]["infinite_width"]})
    return v


A4.add(Check(
    name="probability", kind=Kind.PROBABILITY,
    claim="min over opposite-label pairs and layers of ‖x̄_{l,i} − x̄_{l,i′}‖ − [1 − log2/(2L)]^lφ ≥ 0 w.p. ≥ 1 − δ "
          "(opposite-label pairs at distance exactly φ; m at the width condition with C = 1)",
    cases=_a4_cases, trial=_a4_trial, verdict=_a4_verdict, negative_control={"separation_bound": "2*phi"},
))
A4.add(Check(
    name="corollary_A5", kind=Kind.PROBABILITY,
    claim="Corollary A.5 / Theorem 5.1(ii): ‖x̄_{l,i} − x̄_{l,i′}‖ ≥ φ/2 for all l and opposite-label pairs w.p. ≥ 1 − δ",
    cases=_a4_cases, trial=_a5_trial, verdict=_a4_verdict, negative_control={"corollary_bound": "phi"},
))
