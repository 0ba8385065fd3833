"""AZLS Claim 11.2 (the expansion behind semi-smoothness, Theorem 4).

> For ω in Theorem 4's interval, ‖W̆ − W(0)‖₂ ≤ ω and ‖W′‖₂ ≤ ω, there are diagonal D″_{i,ℓ} with entries in
  [−1, 1] and ‖D″_{i,ℓ}‖₀ ≤ O(mω^{2/3}L) such that (h′ the network at W̆ + W′, h̆ at W̆)
  h′_{i,ℓ} − h̆_{i,ℓ} = Σ_{a=1}^{ℓ} (D̆_{i,ℓ} + D″_{i,ℓ}) W̆_ℓ ⋯ W̆_{a+1} (D̆_{i,a} + D″_{i,a}) W′_a h′_{i,a−1},
  ‖h′_{i,ℓ} − h̆_{i,ℓ}‖ ≤ O(L^{3/2})‖W′‖₂ and ‖B(h′_{i,L} − h̆_{i,L})‖ ≤ O(L√(m/d))‖W′‖₂.
                             (v5 Claim 11.2 [V-sec:S1 Lemma 5]; pre-v5 Claim 8.2 [V-sec:S2]; azls2018.md §3.10)

The expansion is exact with the secant construction [D]: (D̆ + D″)_kk = (φ(g′_k) − φ(ğ_k))/(g′_k − ğ_k) ∈ [0, 1],
non-zero D″ only where the sign changed; checked to rounding (pass/fail). The two norm bounds are stated
alike by S1 and S2: their L- and m-exponents are pass/fail sweeps with ω at the geometric mean of Theorem 4's
interval [d^{3/2}/(m^{3/2}L^{3/2}log^{3/2}m), 1/(L^{9/2}log³m)] (C = 1 readings; non-empty up to L = 6 at
m = 256), W̆ a random point of the ω-ball and W′ the worst found by ascent and greedy sign flips. ‖D″‖₀ ≤ O(mω^{2/3}L) is the sign-change
count of Lemma 8.2(b), checked there.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict
from lemmas.core import deep
from lemmas.core.deep_search import secant_slopes
from lemmas.core.perturb import greedy_sign_flip
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.adversary import worst_shift
from lemmas.papers.azls2018.networks import network, numeric, random_point
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.claim11.2",
        title="Claim 11.2: exact expansion of h(W̆ + W′) − h(W̆) with secant sign corrections, and its norm bounds",
        source=source("App. 11, Claim 11.2 (pre-v5 Claim 8.2)", "azls2018.md §3.10, §6.11"),
        statement=(
            r"There are diagonal $D''_{i,\ell}\in[-1,1]^{m\times m}$, $\|D''_{i,\ell}\|_0\le O(m\omega^{2/3}L)$, with "
            r"$h'_{i,\ell}-\breve h_{i,\ell}=\sum_{a=1}^{\ell}(\breve D_{i,\ell}+D''_{i,\ell})\breve W_\ell\cdots\breve W_{a+1}"
            r"(\breve D_{i,a}+D''_{i,a})W'_ah'_{i,a-1}$, $\|h'_{i,\ell}-\breve h_{i,\ell}\|\le O(L^{3/2})\|W'\|_2$ and "
            r"$\|B(h'_{i,L}-\breve h_{i,L})\|\le O(L\sqrt{m/d})\|W'\|_2$."
        ),
        tag="V-sec:S1,S2 (statement, exponents); D (secant construction)",
        quantities={
            q.name: q
            for q in [
                Quantity("identity_scale", sp.Integer(1), "coefficient of the expansion's right-hand side (1)", "constant", "D"),
                Quantity("identity_tolerance", sp.Float(1e-12), "relative residual allowed to rounding", "constant", "D"),
                Quantity("hidden_shape", c.expansion_hidden, "bound on ‖h′ − h̆‖/‖W′‖₂", "bound", "V-sec:S1,S2"),
                Quantity("output_shape", c.expansion_output, "bound on ‖B(h′_L − h̆_L)‖/‖W′‖₂", "bound", "V-sec:S1,S2"),
                Quantity("omega_min", c.theorem4_omega_min, "Theorem 4's lower radius (C = 1)", "radius", "V-sec:S1"),
                Quantity("omega_max", c.theorem4_omega_max, "Theorem 4's upper radius 1/(L^{9/2}log³m) (C = 1)", "radius", "V-sec:S1"),
            ]
        },
        hypotheses={"omega_interval": "ω in Theorem 4's interval (C = 1 readings of both ends)"},
    )
)


# ---- the exact expansion -------------------------------------------------------------------------------


def expansion_residuals(param, W_breve: deep.DeepWeights, deltas: Sequence[np.ndarray], X: np.ndarray, scale: float = 1.0):
    """Relative residuals of the one-step recursion and of the unrolled sum of Claim 11.2 (dense networks), with
    the secant masks S_ℓ = D̆_ℓ + D″_ℓ, and the support check of D″ (non-zeros exactly at sign changes)."""
    base = deep.forward(param, W_breve, X)
    pert = deep.forward(param, W_breve.perturbed(deltas), X)
    slopes = [None] + [secant_slopes(base.g[ell], pert.g[ell]) for ell in range(1, param.L + 1)]
    step_err, sum_err, support_ok, dpp_max = 0.0, 0.0, True, 0.0
    terms: list[np.ndarray] = []  # terms[a−1] = the a-th summand propagated to the current layer
    for ell in range(1, param.L + 1):
        W = W_breve.Ws[ell - 1]
        source_term = pert.h[ell - 1] @ deltas[ell - 1].T
        terms = [slopes[ell] * (t @ W.T) for t in terms] + [slopes[ell] * source_term]
        exact = pert.h[ell] - base.h[ell]
        scale_ref = max(float(np.linalg.norm(exact)), 1e-300)
        one_step = slopes[ell] * ((pert.h[ell - 1] - base.h[ell - 1]) @ W.T + source_term)
        step_err = max(step_err, float(np.linalg.norm(exact - scale * one_step)) / scale_ref)
        sum_err = max(sum_err, float(np.linalg.norm(exact - scale * sum(terms))) / scale_ref)
        dpp = slopes[ell] - base.D[ell]
        changed = base.D[ell] != pert.D[ell]
        support_ok &= bool(np.array_equal(dpp != 0, changed)) and bool(np.all(np.abs(dpp) <= 1.0))
        dpp_max = max(dpp_max, int(np.count_nonzero(changed, axis=1).max()))
    return step_err, sum_err, support_ok, dpp_max


def _identity_cases(mode: Mode) -> Sequence[Case]:
    trials = {Mode.QUICK: 3, Mode.DEFAULT: 6, Mode.FULL: 40}[mode]
    return [Case({"m": 256, "L": 5, "n": 3, "d_out": 2, "omega": 0.05, "data_seed": 12}, trials=trials)]


def _identity_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(params, rng)
    omega = float(params["omega"])
    W_breve = random_point(rng, weights, omega)
    deltas = greedy_sign_flip(param, W_breve, X, omega)  # sign changes guaranteed, so D″ is exercised
    step_err, sum_err, support_ok, changes = expansion_residuals(param, W_breve, deltas, X, bounds("identity_scale"))
    tol = bounds("identity_tolerance")
    value = max(step_err, sum_err)
    return {"hypotheses": {}, "value": value, "bound": tol, "margin": tol - value,
            "failed": bool(value > tol or not support_ok), "ambiguous": False, "tier": "estimated",
            "one_step_residual": step_err, "unrolled_residual": sum_err, "support_exact": support_ok, "max_sign_changes": changes}


def _identity_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "relative residual of the secant expansion (and D″ ∈ [−1, 1] supported on sign changes)")


LEMMA.add(
    Check(
        name="secant_identity",
        kind=Kind.IDENTITY,
        claim=("with the secant masks, h′_ℓ − h̆_ℓ equals the one-step recursion and the unrolled sum of Claim 11.2 to "
               "rounding, and D″ ∈ [−1, 1] is non-zero exactly where a sign changed"),
        cases=_identity_cases,
        trial=_identity_trial,
        verdict=_identity_verdict,
        negative_control={"identity_scale": "1 + 1e-6"},
    )
)


# ---- the norm bounds ---------------------------------------------------------------------------------------


def _omega(theta: Mapping[str, Any], bounds: Bounds) -> tuple[float, bool, float]:
    """ω at the geometric mean of Theorem 4's interval; whether the interval is non-empty; ω/ω_max."""
    lo, hi = bounds("omega_min", **numeric(theta)), bounds("omega_max", **numeric(theta))
    omega = math.sqrt(lo * hi)
    return omega, lo <= hi, omega / hi


def _expansion_norm(readout: bool):
    def measure(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        omega, held, frac = _omega(theta, bounds)
        param, weights, X = network(theta, rng)
        W_breve = random_point(rng, weights, omega)
        value, method, norm = worst_shift(param, W_breve, X, omega, rng, readout=readout)
        return {"hypotheses": {"omega_interval": held}, "value": value / norm, "method": method, "W_prime_norm": norm,
                "normalized": {"omega / omega_max": frac}}

    return measure


def _hidden_cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    return [sweep("L", [1, 2, 4, 6], m=256, n=1, d_out=1, data_seed=13, **reps)]


def _output_cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    cases = [sweep("m", [128, 256, 512, 1024], L=2, n=1, d_out=1, data_seed=14, **reps),
             sweep("L", [1, 2, 4, 6], m=256, n=1, d_out=1, data_seed=14, **reps)]
    return cases[:1] if mode is Mode.QUICK else cases


LEMMA.add(
    Check(
        name="hidden_bound",
        kind=Kind.EXPONENT,
        claim="max_ℓ ‖h′_ℓ − h̆_ℓ‖/‖W′‖₂ under the worst W′ found = O(L^{3/2}): no upward drift in L",
        cases=_hidden_cases,
        trial=scaling_trial(_expansion_norm(False), "hidden_shape"),
        verdict=scaling_verdict("upper", "‖h′ − h̆‖/‖W′‖₂", "hidden_shape"),
        negative_control={"hidden_shape": "1/L"},
    )
)

LEMMA.add(
    Check(
        name="output_bound",
        kind=Kind.EXPONENT,
        claim="‖B(h′_L − h̆_L)‖/‖W′‖₂ under the worst W′ found = O(L√(m/d)): no upward drift in m and L",
        cases=_output_cases,
        trial=scaling_trial(_expansion_norm(True), "output_shape"),
        verdict=scaling_verdict("upper", "‖B(h′_L − h̆_L)‖/‖W′‖₂", "output_shape"),
        negative_control={"output_shape": "1/(L*m)"},
    )
)
