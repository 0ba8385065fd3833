"""Exact oracles of Du et al. 2018 at initialisation, and the n-dependence of Lemma 3.1's width.

* E‖y − u(0)‖² = ‖y‖² + n/2 (spec §2 [D]): E[u_i(0)] = 0 because a_r is symmetric, E[u_i(0)²] = E[relu(z)²] = 1/2
  for every m (``constants_dynamics.expected_residual``, the integral done in sympy). The proof of Theorem 3.2
  prints the expansion Σ(y_i² + y_iE[f] + E[f²]) = Σ(y_i² + 1) (erratum 3): a second check tests that value
  and is labelled as printed.
* E[G(0)] = the degree-1 arc-cosine kernel (sin θ + (π − θ)cos θ)/(2π) (``constants_dynamics.arccos_kernel_1``,
  the angular integral done in sympy), G of eq. (14).
  Both are Monte-Carlo identities: each trial's error is a z-score, the tolerance its two-sided Bonferroni
  quantile at the run's per-check level.
* Lemma 3.1's width m ≥ 256 n² log(n/δ)/λ0² (or 8n² log(2n²/δ)/λ0²): n² comes from a union bound over the
  n² entries and ‖·‖₂ ≤ ‖·‖_F. The width actually needed is 16 q/λ0², q the (1 − δ)-quantile of
  m‖H(0) − H∞‖₂²; its exponent in n is fitted against the paper's 2 (an upper bound; λ0 cancels).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp
from scipy.stats import norm

from lemmas.checks import exponent_verdict, max_error_verdict, per_check_alpha
from lemmas.core.twolayer import angles, gram, gram_infinity, init_two_layer
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.papers.du2018.inputs import case_inputs
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="du2018.oracles",
        title="Exact oracles at initialisation: E‖y − u(0)‖², E[G(0)], and the n-exponent of Lemma 3.1's width",
        source=source("§3.1 proof of Theorem 3.2; App. A.1 eq. (14); Lemma 3.1", "du2018.md §2, §3.2, §3.4"),
        statement=(
            r"$\mathbb E\|\mathbf y-\mathbf u(0)\|_2^2=\|\mathbf y\|_2^2+\frac n2$ (printed: $\sum_i(y_i^2+1)$); "
            r"$\mathbb E[\mathbf G_{ij}(0)]=\frac{\sin\theta_{ij}+(\pi-\theta_{ij})\cos\theta_{ij}}{2\pi}$; "
            r"Lemma 3.1's width $m=\Omega\left(\frac{n^2}{\lambda_0^2}\log\frac n\delta\right)$."
        ),
        tag="D",
        quantities={
            q.name: q
            for q in [
                Quantity("expected_residual", cd.expected_residual, "E‖y − u(0)‖² = ‖y‖² + n E[relu(z)²]", "bound", "D",
                         "E[u_i] = 0, E[u_i²] = ∫₀^∞ z² φ(z) dz = 1/2"),
                Quantity("expected_residual_printed", cd.expected_residual_printed, "Σ(y_i² + 1) as printed (erratum 3)", "bound", "V"),
                Quantity("arccos_kernel", cd.arccos_kernel_1, "E[σ(wᵀx_i)σ(wᵀx_j)] at angle θ", "bound", "D",
                         "E‖w‖²/(2π) ∫_{θ−π/2}^{π/2} cos φ cos(φ − θ) dφ"),
                Quantity("width_n_exponent", sp.Integer(2), "exponent of n in Lemma 3.1's width (n² up to the log)", "rate", "V"),
            ]
        },
        hypotheses={},
        notes=("Erratum 3 (spec §9): the printed expansion has +y_iE[f] for −2y_iE[f] and E[f²] = 1 for 1/2; O(n) stands.",),
    )
)


# ---------------------------------------------------------------------------------------------------------
# E‖y − u(0)‖²

_BATCH = 4000


def _residual_cases(mode: Mode) -> Sequence[Case]:
    base = {"inputs": "sphere", "labels": "uniform", "C": 1.0, "n": 8, "d": 16, "data_seed": 1}
    if mode is Mode.QUICK:
        return [Case({**base, "m": 16}, trials=2)]
    cases = [Case({**base, "m": 16}, trials=10), Case({**base, "labels": "gaussian", "n": 20, "d": 10, "data_seed": 2, "m": 1}, trials=10)]
    if mode is Mode.FULL:
        cases += [Case({**base, "m": 512}, trials=40)]
    return cases


def _residual_trial(name: str):
    def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        X, y, _ = dc.case_data(params)
        n, d, m = X.shape[0], X.shape[1], int(params["m"])
        W = rng.standard_normal((_BATCH, m, d))
        a = rng.choice([-1.0, 1.0], size=(_BATCH, m))
        u = np.einsum("kmi,km->ki", np.maximum(W @ X.T, 0.0), a) / math.sqrt(m)
        sq = np.sum((y[None, :] - u) ** 2, axis=1)
        oracle = bounds(name, y_norm2=float(y @ y), n=n)
        se = float(np.std(sq, ddof=1) / math.sqrt(_BATCH))
        return {"hypotheses": {}, "error": abs(float(np.mean(sq)) - oracle) / se, "mean": float(np.mean(sq)),
                "oracle": oracle, "standard_error": se, "draws": _BATCH}

    return trial


def _z_tolerance(settings: Settings, tests: int) -> float:
    """Two-sided Bonferroni quantile of |N(0, 1)| over ``tests`` z-scores at the per-check level."""
    return float(norm.isf(per_check_alpha(settings) / (2 * tests)))


def _residual_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return max_error_verdict(obs, _z_tolerance(settings, len(obs)), "|mean ‖y − u(0)‖² − oracle| / standard error")


LEMMA.add(
    Check(
        name="residual",
        kind=Kind.IDENTITY,
        claim="E‖y − u(0)‖² = ‖y‖² + n/2 at every width (Monte Carlo, z-score against the Bonferroni quantile)",
        cases=_residual_cases,
        trial=_residual_trial("expected_residual"),
        verdict=_residual_verdict,
        negative_control={"expected_residual": "y_norm2 + n"},
    )
)

LEMMA.add(
    Check(
        name="residual_printed",
        kind=Kind.IDENTITY,
        claim="as printed in the proof of Theorem 3.2: E‖y − u(0)‖² = Σ_i(y_i² + 1) = ‖y‖² + n",
        cases=_residual_cases,
        trial=_residual_trial("expected_residual_printed"),
        verdict=_residual_verdict,
        negative_control={"expected_residual_printed": "y_norm2 + 2*n"},
        erratum="spec du2018.md §9 erratum 3: the expansion of E‖y − u(0)‖² has a sign error and E[f²] = 1/2, not 1",
    )
)


# ---------------------------------------------------------------------------------------------------------
# E[G(0)] = degree-1 arc-cosine kernel


def _kernel_cases(mode: Mode) -> Sequence[Case]:
    base = {"inputs": "sphere", "n": 6, "d": 5, "data_seed": 3}
    if mode is Mode.QUICK:
        return [Case({**base, "m": 20000}, trials=2)]
    cases = [Case({**base, "m": 50000}, trials=8), Case({"inputs": "near_parallel", "angle": 0.05, "n": 5, "d": 4, "data_seed": 4, "m": 50000}, trials=8)]
    if mode is Mode.FULL:
        cases += [Case({**base, "m": 1_000_000, "chunk": 1 << 17}, trials=20)]
    return cases


def _kernel_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X = case_inputs(params)
    n, m = X.shape[0], int(params["m"])
    W, _ = init_two_layer(rng, m, X.shape[1])
    P = np.maximum(W @ X.T, 0.0)                                       # m × n activations
    iu = np.triu_indices(n)
    products = P[:, iu[0]] * P[:, iu[1]]                               # per-neuron σσ for each pair i ≤ j
    mean = products.mean(axis=0)
    se = products.std(axis=0, ddof=1) / math.sqrt(m)
    theta = angles(X)[iu]
    oracle = np.array([bounds("arccos_kernel", theta=float(th)) for th in theta])
    z = np.abs(mean - oracle) / se
    worst = int(np.argmax(z))
    return {"hypotheses": {}, "error": float(z[worst]), "pair": [int(iu[0][worst]), int(iu[1][worst])],
            "max_abs_difference": float(np.max(np.abs(mean - oracle))), "entries": int(z.size)}


def _kernel_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return max_error_verdict(obs, _z_tolerance(settings, len(obs) * int(obs[0]["entries"])),
                             "max_ij |G_ij(0) − k1(θ_ij)| / standard error")


LEMMA.add(
    Check(
        name="arccos_kernel",
        kind=Kind.IDENTITY,
        claim="E[G_ij(0)] = (sin θ_ij + (π − θ_ij)cos θ_ij)/(2π), the degree-1 arc-cosine kernel (Monte Carlo z-scores)",
        cases=_kernel_cases,
        trial=_kernel_trial,
        verdict=_kernel_verdict,
        negative_control={"arccos_kernel": "cos(theta)*(pi - theta)/(2*pi)"},
    )
)


# ---------------------------------------------------------------------------------------------------------
# The n-exponent of Lemma 3.1's width

_TEST, _CALIB, _DRAWS, _WIDTH = 4, 2, 40, 2048


def _width_cases(mode: Mode) -> Sequence[Case]:
    ns = [4, 8, 16, 32] + ([64] if mode is not Mode.QUICK else []) + ([128] if mode is Mode.FULL else [])
    return [Case({"inputs": "sphere", "d": 4, "data_seed": 5, "delta": 0.1, "ns": ns}, trials=len(ns) * (_TEST + _CALIB))]


def _width_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    reps = _TEST + _CALIB
    n = int(params["ns"][index // reps])
    case = {**params, "n": n}
    X = case_inputs(case)
    h_inf = gram_infinity(X)                                           # float H∞: its 1e-16 error is immaterial here
    deviations = [float(np.max(np.abs(np.linalg.eigvalsh(gram(X, init_two_layer(rng, _WIDTH, X.shape[1])[0]) - h_inf))))
                  for _ in range(_DRAWS)]
    q = float(np.quantile(_WIDTH * np.square(deviations), 1 - float(params["delta"])))
    return {"hypotheses": {}, "x": n, "y": 16 * q, "role": "calibration" if index % reps >= _TEST else "test",
            "note": "width needed × λ0² = 16 q_{1−δ}(m‖H(0) − H∞‖₂²)"}


def _width_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return exponent_verdict(obs, bounds("width_n_exponent"), "upper", "λ0² × width needed by Lemma 3.1", "n", settings)


LEMMA.add(
    Check(
        name="lemma31_width_exponent",
        kind=Kind.EXPONENT,
        claim=("the width Lemma 3.1 needs, 16 q_{1−δ}(m‖H(0) − H∞‖₂²)/λ0², grows in n no faster than the paper's n² "
               "(fitted exponent, d = 4, m = 2048, 40 draws per quantile)"),
        cases=_width_cases,
        trial=_width_trial,
        verdict=_width_verdict,
        negative_control={"width_n_exponent": "1/2"},
    )
)
