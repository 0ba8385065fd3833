"""Zou et al. Lemmas A.11–A.13: correlations of ReLU features and the inner products of the representations.

* Lemma A.11 [X]: printed "E[σ(Z1)σ(Z2)] ≥ ½E[σ(Z1)σ(Z2)]" [sic]; meant (E10) E[σ(Z1)σ(Z2)] ≥ ½E[Z1Z2], i.e.
  κ1(α) ≥ α/2 on [−1, 1] (exact closed form, 50-digit grid).
* Lemma A.12 / Corollary A.13: **false as stated** (E11; the counterexample check lives in ``errata``). What the
  proof of A.14 needs instead (spec §8 E11, [D]): z_iᵀz_j ≥ −1 + φ̃²/2 for z = x̄_{L−1} and φ̃ = φ/2, which holds for
  L ≥ 2 (ReLU outputs are entrywise ≥ 0) and for L = 1 because φ ≤ μ (Theorem 5.1's φ ≤ C̲ min{L⁻¹, μ}, C̲ = 1).
  Checked here [P] on antipodal bulk directions, where x_iᵀx_j = 2μ² − 1 is as small as Assumption 3.4 allows.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare, probability_verdict
from lemmas.papers.zou2018 import constants as K, source
from lemmas.papers.zou2018.checking import case_data, cases
from lemmas.papers.zou2018.network import init_representations
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, delta, L, phi

alpha = sp.Symbol("alpha", real=True)

# ==========================================================================================================
# Lemma A.11
# ==========================================================================================================

A11 = register(Lemma(
    id="zou2018.lemmaA.11",
    title="ReLU correlations dominate half the Gaussian correlation",
    source=source("App. A, Lemma A.11", "zou2018.md §3.2"),
    statement=(r"Printed: $\mathbb E[\sigma(Z_1)\sigma(Z_2)]\ge\frac12\mathbb E[\sigma(Z_1)\sigma(Z_2)]$ [sic]. "
               r"Meant (E10): $\mathbb E[\sigma(Z_1)\sigma(Z_2)]\ge\frac12\mathbb E[Z_1Z_2]$ for standard jointly Gaussian $Z_1,Z_2$."),
    tag="D",
    quantities={"factor": Quantity("factor", sp.Rational(1, 2), "the factor in front of E[Z1Z2]", "constant", "D"),
                "kappa1": Quantity("kappa1", K.kappa1(alpha), "E[σ(Z1)σ(Z2)] at correlation α", "bound", "D")},
    hypotheses={},
    notes=("E10: the printed right side repeats the left side; 'For θ > 0' is vestigial.",),
))

_CHUNKS = 4


def _a11_cases(mode: Mode) -> Sequence[Case]:
    return cases(mode, [Case({"points_per_trial": 250}, _CHUNKS)], quick_trials=_CHUNKS)


def _a11_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    # [−1, 1): at α = 1 the two sides are equal exactly (κ1(1) = 1/2), which floating point cannot certify
    grid = np.linspace(-1 + 2 * index / _CHUNKS, -1 + 2 * (index + 1) / _CHUNKS, int(params["points_per_trial"]), endpoint=False)
    factor = bounds("factor")
    f = sp.lambdify(alpha, K.kappa1(alpha), modules="mpmath")
    with mpmath.workdps(50):
        margins = [(float(f(mpmath.mpf(a)) - factor * a), a) for a in grid]
    worst, where = min(margins)
    obs = compare(worst + factor * where, factor * where, upper=False)
    obs.update({"hypotheses": {}, "alpha": float(where)})
    return obs


def _a11_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "min over α ∈ [−1, 1] of κ1(α) − α/2")


A11.add(Check(
    name="corrected", kind=Kind.IDENTITY,
    claim="κ1(α) = E[σ(Z1)σ(Z2)] ≥ α/2 = ½E[Z1Z2] on a grid of [−1, 1) (the meant form, E10; equality at α = 1)",
    cases=_a11_cases, trial=_a11_trial, verdict=_a11_verdict, negative_control={"factor": "1"},
))

# ==========================================================================================================
# Lemma A.12 / Corollary A.13
# ==========================================================================================================

A12 = register(Lemma(
    id="zou2018.lemmaA.12",
    title="Inner products of normalized representations (Lemma A.12 / Corollary A.13)",
    source=source("App. A, Lemma A.12 and Corollary A.13", "zou2018.md §3.2, §8 E11"),
    statement=(r"If $m\ge CL^4\mu^{-4}\log(n^2L/\delta)$, then with probability at least $1-\delta$, "
               r"$\bar{\mathbf x}_{l,i}^\top\bar{\mathbf x}_{l,i'}\ge\mu^2[1-(2L)^{-1}\log2]^l$ for all $i,i'$ and $l\in[L]$; "
               r"Corollary A.13: $\bar{\mathbf x}_{l,i}^\top\bar{\mathbf x}_{l,i'}\ge\mu^2/2$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("inner_product_bound", K.mu**2 * (1 - sp.log(2) / (2 * L)) ** sp.Symbol("l", positive=True),
                 "Lemma A.12's bound at layer l (as printed)", "bound", "V"),
        Quantity("width", L**4 * K.mu**-4 * sp.log(sp.Symbol("n", positive=True, integer=True) ** 2 * L / delta),
                 "m ≥ CL⁴μ⁻⁴log(n²L/δ), C = 1", "width", "V"),
        Quantity("needed_bound", -1 + (phi / 2) ** 2 / 2, "what Lemma A.14 needs: z_iᵀz_j ≥ −1 + φ̃²/2, φ̃ = φ/2", "bound", "D"),
        Quantity("phi_max", sp.Min(K.mu, 1 / L), "φ ≤ C̲ min{L⁻¹, μ} (Theorem 5.1, C̲ = 1)", "radius", "V"),
        Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
    ]},
    hypotheses={"width": "m ≥ L⁴μ⁻⁴log(n²L/δ) (C = 1)", "phi_small": "φ ≤ min{1/L, μ} (C̲ = 1)"},
    notes=("E11 [D]: the base case needs x_iᵀx_i′ ≥ μ², but Assumption 3.4 gives only ≥ 2μ² − 1; the layer-1 limit for "
           "x = (±√(1 − μ²), μ) is κ̄(2μ² − 1) < μ²(1 − log2/(2L)). Harmless for A.14 (see the corrected check).",),
))


def _a12_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "antipodal", "n": 4, "d": 5, "mu": 0.3, "data_seed": 7, "delta": 0.1, "m": 4096}
    return cases(mode, [Case({**base, "L": 1}, 200), Case({**base, "L": 2}, 200)], [Case({**base, "L": 3, "mu": 0.1}, 500)],
                 quick_trials=30)


def _a12_needed_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    depth, width = int(params["L"]), int(params["m"])
    phi_used = min(ds.phi, bounds("phi_max", mu=ds.mu, L=depth))
    H = init_representations(rng, ds.X, (width,) * depth).H[depth - 1]
    Z = H / np.linalg.norm(H, axis=1, keepdims=True)
    G = Z @ Z.T
    np.fill_diagonal(G, np.inf)
    obs = compare(float(np.min(G)), bounds("needed_bound", phi=phi_used, mu=ds.mu), upper=False)
    obs.update({"hypotheses": {"width": True, "phi_small": True}, "phi": phi_used, "phi_data": ds.phi, "mu": ds.mu})
    return obs


def _a12_needed_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings,
                               "P(min_{i≠j} x̄_{L−1,i}ᵀx̄_{L−1,j} < −1 + φ̃²/2)")


A12.add(Check(
    name="corrected_for_A14", kind=Kind.PROBABILITY,
    claim="the form Lemma A.14 needs (E11): x̄_{L−1,i}ᵀx̄_{L−1,j} ≥ −1 + (φ/2)²/2 with φ = min(φ_data, μ, 1/L), w.p. ≥ 1 − δ "
          "(antipodal bulk directions)",
    cases=_a12_cases, trial=_a12_needed_trial, verdict=_a12_needed_verdict, negative_control={"needed_bound": "mu**2"},
))
