"""AZLS Theorem 3 (gradient bounds in an ω-ball: "no critical point", the PL-type inequality).

> Let ω = O(δ^{3/2}/(n^{9/2}L^6 log³m)). With probability ≥ 1 − e^{−Ω(mω^{2/3}L)}, for every ℓ ∈ [L] and every W⃗
  with ‖W⃗ − W⃗(0)‖₂ ≤ ω:  ‖∇_{W_ℓ}F(W⃗)‖_F² ≤ O(F(W⃗)·nm/d)  and  ‖∇_{W_L}F(W⃗)‖_F² ≥ Ω(F(W⃗)·δm/(dn²)).
              (v5 Theorem 3; upper bound [V-sec:S1 Lemma 9, S3 Lemma B.4]; lower bound [U; D from the GD rate])

Exact facts [D] (azls2018.md §1.6–1.7): ∇_{W_ℓ}F = Σ_i D_{i,ℓ}(Back_{i,ℓ+1}ᵀ loss_i)h_{i,ℓ−1}ᵀ, and with r the
stacked losses ‖∇F‖_F² = rᵀKr, ‖∇_{W_ℓ}F‖_F² = rᵀK^{(ℓ)}r. Both are checked to rounding (pass/fail). Because
the labels are arbitrary, the sup (inf) over labels of ‖∇_{W_ℓ}F‖²/F is exactly 2λ_max(K^{(ℓ)}) (2λ_min), so the
bounds are checked on those eigenvalues (λ_min certified, numerics.md §2). The upper bound's exponents
(n¹m¹d⁻¹) are stated alike by S1 and S3: at initialization (inside every radius) its sweeps are pass/fail;
points at radius ω > 0 found by greedy sign flips lie outside the stated radius (slack evidence). The lower
bound is exploratory throughout. The ball radius ω is not in the bounds, so its sweeps are refutable only as
the ball grows (``refute="inf"``); all of them lie outside the stated radius.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.certify import lambda_min_enclosure
from lemmas.checks import all_trials_verdict, compare
from lemmas.core import deep
from lemmas.core.deep_kernels import empirical_ntk, ntk_gradient_identity, ntk_infinite
from lemmas.core.perturb import greedy_sign_flip, sign_changes
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import labels, min_distance, network, numeric, random_point
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.theorem3",
        title="Theorem 3: gradient upper and lower (PL-type) bounds in the ω-ball",
        source=source("§3, Theorem 3", "azls2018.md §1.6–1.7, §2.3, §3.5–3.6, §6.1, §6.6, §6.12"),
        statement=(
            r"For $\omega=O\bigl(\frac{\delta^{3/2}}{n^{9/2}L^6\log^3m}\bigr)$, with probability at least $1-e^{-\Omega(m\omega^{2/3}L)}$, for all "
            r"$\ell\in[L]$ and $\|\vec W-\vec W^{(0)}\|_2\le\omega$: $\|\nabla_{W_\ell}F(\vec W)\|_F^2\le O\bigl(F(\vec W)\frac{nm}{d}\bigr)$ and "
            r"$\|\nabla_{W_L}F(\vec W)\|_F^2\ge\Omega\bigl(F(\vec W)\frac{\delta m}{dn^2}\bigr)$. Exactly: $\|\nabla F\|_F^2=\mathbf r^\top K\mathbf r$, "
            r"$\|\nabla_{W_\ell}F\|_F^2=\mathbf r^\top K^{(\ell)}\mathbf r$."
        ),
        tag="V-sec:S1,S3 (upper); U/D (lower); D (identities)",
        quantities={
            q.name: q
            for q in [
                Quantity("gradient_scale", sp.Integer(1), "coefficient of the closed-form gradient (1)", "constant", "D"),
                Quantity("fd_tolerance", sp.Float(1e-6), "relative error of central differences (ε = 1e-6)", "constant", "D"),
                Quantity("kernel_scale", sp.Integer(1), "coefficient in ‖∇F‖² = c·rᵀKr (1)", "constant", "D"),
                Quantity("pl_tolerance", sp.Float(1e-12), "relative rounding error allowed in the kernel identities", "constant", "D"),
                Quantity("upper_shape", c.gradient_upper, "sup over labels of ‖∇_{W_ℓ}F‖²/F", "bound", "V-sec:S1,S3"),
                Quantity("lower_shape", c.gradient_lower, "inf over labels of ‖∇_{W_L}F‖²/F", "bound", "U"),
                Quantity("radius", c.theorem3_radius, "ω = O(δ^{3/2}/(n^{9/2}L^6 log³m)), C = 1", "radius", "V-sec:S1,S3"),
                Quantity("delta_max", c.separation_delta_max, "δ ≤ O(1/L) (C = 1)", "radius", "V-sec:S1"),
            ]
        },
        hypotheses={"in_radius": "‖W⃗ − W⃗(0)‖₂ ≤ δ^{3/2}/(n^{9/2}L^6 log³m) (C = 1 reading)"},
    )
)


# ---- the exact identities --------------------------------------------------------------------------


def _identity_case(mode: Mode, trials: int) -> Sequence[Case]:
    count = {Mode.QUICK: max(3, trials // 4), Mode.DEFAULT: trials, Mode.FULL: 5 * trials}[mode]
    return [Case({"m": 64, "L": 4, "n": 5, "d_in": 8, "d_out": 3, "omega": 0.05, "data_seed": 15}, trials=count)]


def _objective(param, weights, X, Y) -> tuple[float, deep.ForwardCache]:
    cache = deep.forward(param, weights, X)
    return deep.square_loss(cache.out, Y)[0], cache


def _fd_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(params, rng)
    Y = labels(params, X.shape[0])
    point = random_point(rng, weights, float(params["omega"]))
    V = [rng.standard_normal(W.shape) for W in point.Ws]
    V = [v / np.linalg.norm(v) for v in V]
    grads = deep.loss_and_grad(param, point, X, Y).grads
    closed = bounds("gradient_scale") * sum(float(np.sum(G * v)) for G, v in zip(grads, V))
    eps = 1e-6
    up, cache_up = _objective(param, point.perturbed([eps * v for v in V]), X, Y)
    down, cache_down = _objective(param, point.perturbed([-eps * v for v in V]), X, Y)
    fd = (up - down) / (2 * eps)
    crossed = int(sign_changes(cache_up, cache_down).sum())
    out = compare(abs(fd - closed) / abs(closed), bounds("fd_tolerance"))
    return {"hypotheses": {}, **out, "ambiguous": out["ambiguous"] or crossed > 0, "closed_form": closed,
            "central_difference": fd, "kinks_crossed": crossed}


def _pl_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(params, rng)
    Y = labels(params, X.shape[0])
    point = random_point(rng, weights, float(params["omega"]))
    lg = deep.loss_and_grad(param, point, X, Y)
    total, quad = ntk_gradient_identity(param, point, X, lg.dout)
    r = lg.dout.reshape(-1)
    K_last = empirical_ntk(param, point, X, layers=(param.L,), cache=lg.cache)
    last, quad_last = float(np.sum(lg.grads[-1] ** 2)), float(r @ K_last @ r)
    scale = bounds("kernel_scale")
    error = max(abs(total - scale * quad) / total, abs(last - scale * quad_last) / last)
    return {"hypotheses": {}, **compare(error, bounds("pl_tolerance")), "grad_sq": total, "rKr": quad,
            "grad_last_sq": last, "rK_Lr": quad_last}


def _identity_verdict(quantity: str):
    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        return all_trials_verdict(obs, quantity)

    return verdict


LEMMA.add(
    Check(
        name="gradient_formula",
        kind=Kind.IDENTITY,
        claim="∇_{W_ℓ}F = Σ_i D_{i,ℓ}(Back_{i,ℓ+1}ᵀ loss_i)h_{i,ℓ−1}ᵀ: directional derivatives agree with central differences (rel. ≤ 1e-6)",
        cases=lambda mode: _identity_case(mode, 12),
        trial=_fd_trial,
        verdict=_identity_verdict("relative error of the closed-form directional derivative"),
        negative_control={"gradient_scale": "1 + 1e-4"},
    )
)

LEMMA.add(
    Check(
        name="pl_identity",
        kind=Kind.IDENTITY,
        claim="‖∇F‖_F² = rᵀKr and ‖∇_{W_L}F‖_F² = rᵀK^{(L)}r to rounding (rel. ≤ 1e-12), at points of the ω-ball",
        cases=lambda mode: _identity_case(mode, 8),
        trial=_pl_trial,
        verdict=_identity_verdict("relative error of the kernel identities"),
        negative_control={"kernel_scale": "1 + 1e-9"},
    )
)


# ---- the bounds as eigenvalues of the per-layer kernels ------------------------------------------------


def _point(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds):
    """(param, W⃗, X, δ, hypotheses): W⃗(0), or the greedy sign-flip point at radius ω if ``omega`` > 0."""
    param, weights, X = network(theta, rng)
    omega = float(theta.get("omega", 0.0))
    if omega > 0:
        weights = weights.perturbed(greedy_sign_flip(param, weights, X, omega))
    delta = min(min_distance(X), bounds("delta_max", L=theta["L"]))  # δ ≤ O(1/L) w.l.o.g. (shrink δ)
    radius = bounds("radius", **{**numeric(theta), "delta_sep": delta})
    return param, weights, X, delta, {"hypotheses": {"in_radius": omega <= radius},
                                      "normalized": {"omega / radius": omega / radius}}


def _upper(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X, delta, hyp = _point(theta, rng, bounds)
    cache = deep.forward(param, weights, X)
    lam = [float(np.linalg.eigvalsh(empirical_ntk(param, weights, X, layers=(ell,), cache=cache))[-1]) for ell in param.trained]
    return {**hyp, "value": 2.0 * max(lam), "worst_layer": int(np.argmax(lam)) + 1,
            "method": "greedy sign flips" if theta.get("omega", 0) else "initialization"}


def _lower(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X, delta, hyp = _point(theta, rng, bounds)
    K = empirical_ntk(param, weights, X, layers=(param.L,))
    enc = lambda_min_enclosure(K, tier="float")
    infinite = float(np.linalg.eigvalsh(ntk_infinite(param, X, layers=(param.L,)))[0])
    tier = {"interval": Tier.INTERVAL, "float": Tier.FLOAT}.get(enc.tier, Tier.ESTIMATED).value
    return {**hyp, "derived": {"delta_sep": delta}, "value": 2.0 * enc.lower, "tier": tier, "infinite_width": 2.0 * infinite,
            "method": "greedy sign flips" if theta.get("omega", 0) else "initialization"}


def _upper_cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    cases = [
        sweep("n", [2, 4, 8, 16], m=256, L=2, d_out=1, omega=0.0, data_seed=16, **reps),
        sweep("m", [128, 256, 512, 1024], n=4, L=2, d_out=1, omega=0.0, data_seed=16, **reps),
        sweep("omega", [0.01, 0.03, 0.1], n=4, m=256, L=2, d_out=1, data_seed=16, refute="inf", **reps),
    ]
    return cases[:1] if mode is Mode.QUICK else cases


def _lower_cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    cases = [
        sweep("delta_sep", [0.025, 0.05, 0.1, 0.2, 0.4], inputs="pair", n=2, m=1024, L=2, d_out=1, omega=0.0, **reps),
        sweep("n", [2, 4, 8, 16], m=512, L=2, d_out=1, omega=0.0, data_seed=17, **reps),
        sweep("omega", [0.01, 0.03, 0.1], inputs="pair", n=2, delta_sep=0.1, m=512, L=2, d_out=1, refute="inf", **reps),
    ]
    return cases[:1] if mode is Mode.QUICK else cases


LEMMA.add(
    Check(
        name="upper",
        kind=Kind.EXPONENT,
        claim="sup over labels of ‖∇_{W_ℓ}F‖²/F = 2 max_ℓ λ_max(K^{(ℓ)}) = O(nm/d): no upward drift in n, m (and ω in the ball)",
        cases=_upper_cases,
        trial=scaling_trial(_upper, "upper_shape"),
        verdict=scaling_verdict("upper", "2 max_ℓ λ_max(K^(ℓ))", "upper_shape"),
        negative_control={"upper_shape": "exp(-10*omega)/(n*m)"},
    )
)

LEMMA.add(
    Check(
        name="lower",
        kind=Kind.EXPONENT,
        claim="inf over labels of ‖∇_{W_L}F‖²/F = 2λ_min(K^{(L)}) (certified) = Ω(δm/(dn²)): no downward drift in δ, n (and ω)",
        cases=_lower_cases,
        trial=scaling_trial(_lower, "lower_shape"),
        verdict=scaling_verdict("lower", "2 λ_min(K^(L))", "lower_shape"),
        negative_control={"lower_shape": "n*m/d_out*exp(10*omega)"},
        confirmed=False,
    )
)
