"""ADHLW Theorem 6.1 and Corollary 6.2: targets of the form α(βᵀx)^p have a small complexity measure.

> Theorem 6.1. If y_i = α(βᵀx_i)^p for all i, with p = 1 or p = 2l (l ∈ ℕ₊), then
> √(yᵀ(H∞)⁻¹y) ≤ 3p|α|·‖β‖₂^p.
> Corollary 6.2. If y_i = Σ_j α_j(β_jᵀx_i)^{p_j} with every p_j ∈ {1, 2, 4, 6, …}, then
> √(yᵀ(H∞)⁻¹y) ≤ 3 Σ_j p_j|α_j|·‖β_j‖₂^{p_j}.           (arXiv 1901.08584v2, §6; proofs App. E)

Both are deterministic inequalities for every input set with λ_min(H∞) > 0, so each trial (a random target
on fixed unit inputs) is decided by a certificate, never by a bare float solve:

* H∞ is enclosed entrywise (:func:`lemmas.certify.gram_infinity_enclosure`), and λ_min over that box is
  bounded below by the float-certified Cholesky criterion (:func:`lemmas.certify.lambda_min_enclosure`).
* the labels y are enclosed in mpmath interval arithmetic from the float inputs and the drawn α, β;
* :func:`quadratic_form_enclosure` turns an approximate solve x̂ ≈ H⁻¹y into a rigorous enclosure of yᵀH⁻¹y,
  from the exact identity yᵀH⁻¹y = yᵀx̂ + x̂ᵀr + rᵀH⁻¹r with r = y − Hx̂ (so 0 ≤ rᵀH⁻¹r ≤ ‖r‖²/λ_min),
  with Higham's γ_k bounds for every float sum and product (docs: certify.py's module docstring).

A trial fails only if the lower end of √(yᵀH⁻¹y) exceeds the bound, and holds only if the upper end is
below it; otherwise it is ambiguous (never decided by rounding). Inputs: points on the sphere with n ≫ d,
where √(yᵀ(H∞)⁻¹y) approaches the RKHS norm the proof bounds, and the digits data (real images).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.linalg
import sympy as sp
from mpmath import ctx_iv

from lemmas.certify import gram_infinity_enclosure, lambda_min_enclosure
from lemmas.checks import AMBIGUITY, all_trials_verdict
from lemmas.core import realdata
from lemmas.core.data import sphere
from lemmas.papers.adhlw2019 import constants, plot, series, source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.symbolic import Bounds, Quantity, ref

_U = 2.0**-53
_IV = ctx_iv.MPIntervalContext()
_IV.prec = 106

#: Local symbol of Corollary 6.2: Σ_j p_j|α_j|‖β_j‖₂^{p_j}.
weighted_sum = sp.Symbol("weighted_sum", positive=True)


def _gamma(k: int) -> float:
    """Higham's γ_k = ku/(1 − ku), rounded up."""
    return float(np.nextafter(k * _U / (1 - k * _U), np.inf))


def quadratic_form_enclosure(
    H_mid: np.ndarray, H_rad: np.ndarray, y_mid: np.ndarray, y_rad: np.ndarray, lambda_lower: float
) -> tuple[float, float]:
    """(lo, hi) with lo ≤ yᵀH⁻¹y ≤ hi for every symmetric H with |H − H_mid| ≤ H_rad entrywise and every y with
    |y − y_mid| ≤ y_rad, given λ_min(H) ≥ ``lambda_lower`` > 0 on that set.

    x̂ = H_mid⁻¹y_mid (Cholesky, any accuracy). For exact H, y: r = y − Hx̂ and yᵀH⁻¹y = yᵀx̂ + x̂ᵀr + rᵀH⁻¹r,
    with |r − fl(y_mid − H_mid x̂)| ≤ y_rad + H_rad|x̂| + γ_{n+1}(|y_mid| + |H_mid||x̂|) and
    |yᵀx̂ − fl(y_midᵀx̂)| ≤ γ_n|y_mid|ᵀ|x̂| + y_radᵀ|x̂| (Higham, ASNA, §3.1 and Lemma 3.4: any summation order).
    Every bound computed in floats is a sum or product of nonnegative numbers, inflated by (1 + 4γ_{n+4}) to
    cover its own rounding; the final scalar arithmetic runs in mpmath intervals. An allowance of n·2⁻¹⁰⁰⁰
    covers underflow. Returns (nan, nan) if ``lambda_lower`` ≤ 0 (nothing can be certified).
    """
    if not lambda_lower > 0:
        return math.nan, math.nan
    n = y_mid.size
    g = _gamma(n + 4)
    inflate = 1.0 + 4.0 * g
    try:
        x = scipy.linalg.cho_solve(scipy.linalg.cho_factor(H_mid), y_mid)
    except np.linalg.LinAlgError:
        x = np.linalg.solve(H_mid, y_mid)
    ax = np.abs(x)
    r = y_mid - H_mid @ x
    r_err = (y_rad + H_rad @ ax + g * (np.abs(y_mid) + np.abs(H_mid) @ ax) + 2.0**-1000) * inflate
    r_abs = (np.abs(r) + r_err) * inflate
    s = float(y_mid @ x)
    s_err = float(g * (np.abs(y_mid) @ ax) + y_rad @ ax + 2.0**-1000) * inflate
    cross = float(ax @ r_abs) * inflate
    tail = _IV.mpf(float(r_abs @ r_abs) * inflate) / _IV.mpf(lambda_lower)
    lo = _IV.mpf(s) - _IV.mpf(s_err) - _IV.mpf(cross)
    hi = _IV.mpf(s) + _IV.mpf(s_err) + _IV.mpf(cross) + tail
    return float(lo.a), float(np.nextafter(float(hi.b), np.inf))


# ---------------------------------------------------------------------------------------------------------
# Fixed inputs and their certified kernel.


@dataclass(frozen=True)
class CertifiedKernel:
    X: np.ndarray
    H_mid: np.ndarray
    H_rad: np.ndarray
    lambda_lower: float     # rigorous lower bound on λ_min over the enclosure of H∞
    source: str


@lru_cache(maxsize=16)
def _kernel(inputs: str, n: int, d: int, data_seed: int) -> CertifiedKernel:
    if inputs == "sphere":
        X = sphere(np.random.default_rng([19010858, 61, data_seed]), n, d)
        where = f"{n} points uniform on S^{d - 1} (data seed {data_seed})"
    elif inputs == "digits":
        data = realdata.digits_two_class((0, 1), seed=data_seed)
        X = data.X_train
        where = f"digits 0/1 training images, n = {data.n}, d = {data.d} ({data.source})"
    else:
        raise ValueError(f"unknown inputs {inputs!r}")
    mid, rad = gram_infinity_enclosure(X)
    enc = lambda_min_enclosure(mid, entry_radius=rad, tier="float")
    for arr in (X, mid, rad):
        arr.setflags(write=False)
    return CertifiedKernel(X, mid, rad, float(enc.lower), where)


def kernel(params: Mapping[str, Any]) -> CertifiedKernel:
    return _kernel(str(params["inputs"]), int(params.get("n", 0)), int(params.get("d", 0)), int(params.get("data_seed", 0)))


def _labels(X: np.ndarray, terms: Sequence[tuple[float, np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray, float]:
    """Enclosure (mid, rad) of y_i = Σ_j α_j(β_jᵀx_i)^{p_j} in interval arithmetic, and the lower end of the
    enclosure of Σ_j p_j|α_j|‖β_j‖^{p_j} (the bound side: rounding can only make a pass harder to claim)."""
    mid, rad = np.empty(X.shape[0]), np.empty(X.shape[0])
    for i, x in enumerate(X):
        total = _IV.mpf(0)
        for alpha, beta, p in terms:
            dot = _IV.fsum(_IV.mpf(float(b)) * _IV.mpf(float(xv)) for b, xv in zip(beta, x))
            total += _IV.mpf(float(alpha)) * dot**p
        lo, hi = float(total.a), float(total.b)
        mid[i] = 0.5 * lo + 0.5 * hi
        rad[i] = float(np.nextafter(max(hi - mid[i], mid[i] - lo), np.inf))
    weighted = _IV.mpf(0)
    for alpha, beta, p in terms:
        norm = _IV.sqrt(_IV.fsum(_IV.mpf(float(b)) ** 2 for b in beta))
        weighted += p * abs(_IV.mpf(float(alpha))) * norm**p
    return mid, rad, float(weighted.a)


def _random_terms(rng: np.random.Generator, d: int, degrees: Sequence[int]) -> list[tuple[float, np.ndarray, int]]:
    """Targets α(βᵀx)^p: α ~ N(0, 1), β uniform in direction with ‖β‖ ~ U[1/2, 2]."""
    terms = []
    for p in degrees:
        beta = rng.standard_normal(d)
        beta *= rng.uniform(0.5, 2.0) / np.linalg.norm(beta)
        terms.append((float(rng.standard_normal()), beta, int(p)))
    return terms


def _decide(value_lo: float, value_hi: float, bound: float) -> dict[str, Any]:
    """Certified comparison √(yᵀH⁻¹y) ≤ bound. The bound is a float evaluation (relative error far below
    :data:`~lemmas.checks.AMBIGUITY`), so a band of AMBIGUITY·bound around it counts as undecided."""
    if not (math.isfinite(value_lo) and math.isfinite(value_hi)):
        return {"value": math.nan, "bound": bound, "margin": math.nan, "failed": False, "ambiguous": True}
    lo, hi = math.sqrt(max(value_lo, 0.0)), math.sqrt(value_hi)
    band = AMBIGUITY * abs(bound)
    failed = lo > bound + band
    holds = hi < bound - band
    return {"value": hi, "value_lower": lo, "bound": bound, "margin": bound - hi, "failed": bool(failed),
            "ambiguous": bool(not failed and not holds)}


def _trial(params: Mapping[str, Any], rng: np.random.Generator, bounds: Bounds, degrees: Sequence[int]) -> dict[str, Any]:
    ker = kernel(params)
    terms = _random_terms(rng, ker.X.shape[1], degrees)
    y_mid, y_rad, weighted = _labels(ker.X, terms)
    q_lo, q_hi = quadratic_form_enclosure(ker.H_mid, ker.H_rad, y_mid, y_rad, ker.lambda_lower)
    if len(terms) == 1:
        alpha, beta, p = terms[0]
        bound = bounds("bound", p=p, alpha=abs(alpha), beta_norm=float(np.linalg.norm(beta)))
    else:
        bound = bounds("bound", weighted_sum=weighted)
    return {
        "hypotheses": {"lambda0_positive": ker.lambda_lower > 0,
                       "degrees": all(p == 1 or (p % 2 == 0 and p > 0) for p in degrees)},
        **_decide(q_lo, q_hi, bound),
        "ratio": math.sqrt(q_hi) / bound if q_hi == q_hi else math.nan,
        "degrees": list(degrees),
        "quadratic_form": [q_lo, q_hi],
        "tier": Tier.FLOAT.value,
    }


def _verdict(quantity: str) -> Any:
    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        v = all_trials_verdict(obs, quantity)
        ratios = [o["ratio"] for o in obs]
        v.evidence.update({
            "inputs": kernel(params).source,
            "lambda_min_lower": kernel(params).lambda_lower,
            "ratio_max": float(np.nanmax(ratios)),
            "ratio_mean": float(np.nanmean(ratios)),
            "plot": plot(f"√(yᵀ(H∞)⁻¹y) / bound, {kernel(params).source}", "trial", "ratio (≤ 1 claimed)",
                         [series("certified upper end / bound", range(len(ratios)), ratios, "marker"),
                          series("claim", [0, len(ratios) - 1], [1.0, 1.0], "dashed")]),
        })
        return v

    return verdict


_HYPOTHESES = {
    "lambda0_positive": "λ_min(H∞) > 0, certified (the quadratic form needs H∞⁻¹)",
    "degrees": "every degree is 1 or even",
}

# ---------------------------------------------------------------------------------------------------------
# Theorem 6.1

LEMMA = register(
    Lemma(
        id="adhlw2019.theorem6.1",
        title="√(yᵀ(H∞)⁻¹y) ≤ 3p|α|‖β‖^p for y = α(βᵀx)^p",
        source=source("§6, Theorem 6.1 (proof App. E)", "du2018.md §6.5"),
        statement=(
            r"If $y_i=\alpha(\boldsymbol\beta^\top\mathbf x_i)^p$ for all $i$, with $p=1$ or $p=2l$ ($l\in\mathbb N_+$), then "
            r"$\sqrt{\mathbf y^\top(\mathbf H^\infty)^{-1}\mathbf y}\le3p|\alpha|\cdot\|\boldsymbol\beta\|_2^p$."
        ),
        tag="VA",
        quantities={
            "constant": Quantity("constant", sp.Integer(3), "the constant 3 of the bound", "constant", "VA"),
            "bound": Quantity("bound", ref("constant") * constants.p * constants.alpha * constants.beta_norm**constants.p,
                              "3p|α|‖β‖₂^p", "bound", "VA"),
        },
        hypotheses=_HYPOTHESES,
        notes=("Decided by certificates: H∞ enclosure, float-certified λ_min, interval labels, residual-certified solve.",),
    )
)


def _theorem_cases(mode: Mode) -> Sequence[Case]:
    if mode is Mode.QUICK:
        return [Case({"inputs": "sphere", "n": 30, "d": 5, "data_seed": 1, "p": 1}, trials=3)]
    cases = [Case({"inputs": "sphere", "n": 60, "d": 5, "data_seed": 1, "p": p}, trials=20) for p in (1, 2, 4, 6)]
    if realdata.available():
        cases.append(Case({"inputs": "digits", "data_seed": 0, "p": 2}, trials=5))
    if mode is Mode.FULL:
        cases += [Case({"inputs": "sphere", "n": 300, "d": 3, "data_seed": 2, "p": p}, trials=20) for p in (1, 2, 4, 6, 8)]
        if realdata.available():
            cases += [Case({"inputs": "digits", "data_seed": 0, "p": p}, trials=10) for p in (1, 4)]
    return cases


LEMMA.add(
    Check(
        name="bound",
        kind=Kind.CERTIFICATE,
        claim="√(yᵀ(H∞)⁻¹y) ≤ 3p|α|‖β‖₂^p for random α, β on fixed unit inputs (certified)",
        cases=_theorem_cases,
        trial=lambda params, index, rng, bounds: _trial(params, rng, bounds, [int(params["p"])]),
        verdict=_verdict("√(yᵀ(H∞)⁻¹y) against 3p|α|‖β‖^p"),
        negative_control={"constant": "1/2"},
    )
)

# ---------------------------------------------------------------------------------------------------------
# Corollary 6.2

COROLLARY = register(
    Lemma(
        id="adhlw2019.corollary6.2",
        title="√(yᵀ(H∞)⁻¹y) ≤ 3Σ_j p_j|α_j|‖β_j‖^{p_j} for sums of such targets",
        source=source("§6, Corollary 6.2", "du2018.md §6.5"),
        statement=(
            r"If $y_i=\sum_j\alpha_j(\boldsymbol\beta_j^\top\mathbf x_i)^{p_j}$ with $p_j\in\{1,2,4,6,\dots\}$, then "
            r"$\sqrt{\mathbf y^\top(\mathbf H^\infty)^{-1}\mathbf y}\le3\sum_jp_j|\alpha_j|\cdot\|\boldsymbol\beta_j\|_2^{p_j}$."
        ),
        tag="VA",
        quantities={
            "constant": Quantity("constant", sp.Integer(3), "the constant 3 of the bound", "constant", "VA"),
            "bound": Quantity("bound", ref("constant") * weighted_sum, "3Σ_j p_j|α_j|‖β_j‖₂^{p_j}", "bound", "VA",
                              "triangle inequality for the norm √(yᵀ(H∞)⁻¹y) applied to Theorem 6.1"),
        },
        hypotheses=_HYPOTHESES,
        notes=("Follows from Theorem 6.1 by the triangle inequality for √(yᵀ(H∞)⁻¹y).",),
    )
)

_DEGREE_SETS = [[1, 2], [1, 2, 4], [2, 4, 6], [1, 1, 2, 2]]


def _corollary_cases(mode: Mode) -> Sequence[Case]:
    if mode is Mode.QUICK:
        return [Case({"inputs": "sphere", "n": 30, "d": 5, "data_seed": 1, "degrees": [1, 2]}, trials=3)]
    cases = [Case({"inputs": "sphere", "n": 60, "d": 5, "data_seed": 1, "degrees": ds}, trials=10) for ds in _DEGREE_SETS]
    if mode is Mode.FULL:
        cases += [Case({"inputs": "sphere", "n": 300, "d": 3, "data_seed": 2, "degrees": ds}, trials=20) for ds in _DEGREE_SETS]
    return cases


COROLLARY.add(
    Check(
        name="bound",
        kind=Kind.CERTIFICATE,
        claim="√(yᵀ(H∞)⁻¹y) ≤ 3Σ_j p_j|α_j|‖β_j‖₂^{p_j} for random sums of such targets (certified)",
        cases=_corollary_cases,
        trial=lambda params, index, rng, bounds: _trial(params, rng, bounds, [int(p) for p in params["degrees"]]),
        verdict=_verdict("√(yᵀ(H∞)⁻¹y) against 3Σ_j p_j|α_j|‖β_j‖^{p_j}"),
        negative_control={"constant": "1/2"},
    )
)
