"""Zou et al. Theorem 5.3 (vii), (viii) through Lemmas B.5–B.6: gradient lower and upper bounds in the τ-ball.

* B.5 / 5.3(vii) [W]: ‖∇_{W_L}L_S(W̃)‖_F² ≥ C m_Lφ(Σ_iℓ′_i)²/n⁵ with C = C2C1²/8 from A.15's explicit constants
  (spec §3.3 [V p.37, D]). The search is over W̃ (init, random points of the ball, the greedy sign-flip adversary)
  and, as Theorem 5.1(viii) allows, over the loss derivatives themselves: with ℓ′_i = −a_i,
  ‖∇_{W_L}L_S‖_F² = aᵀQa/n² with Q = (yyᵀ)∘(X_{L−1}X_{L−1}ᵀ)∘(D_LD_Lᵀ), so the worst a ≥ 0 with Σa = 1 is a
  convex quadratic program over the simplex, solved exactly. Reported: ĉ0 = min ‖∇‖²n⁵/(mφ(Σa)²) on
  adversarial data (opposite-label pairs at distance φ, clusters).
* B.6 / 5.3(viii) [X]: ‖∇_{W_l}ℓ_i‖₂ = |ℓ′_i|‖x̃_{l−1,i}‖‖b̃_{l,i}‖ (rank one), against the core's per-sample
  gradient; [S]: max‖x̃_{l−1,i}‖‖b̃_{l,i}‖/√M = O(L²), fitted exponent in L (≈ 0 expected: one L² is loose).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.linalg
import scipy.optimize
import sympy as sp

from lemmas.checks import all_trials_verdict, compare, exponent_verdict, max_error_verdict
from lemmas.core import deep
from lemmas.core.perturb import greedy_sign_flip, random_perturbation, spectral_norm
from lemmas.papers.zou2018 import constants as K, losses, source
from lemmas.papers.zou2018.checking import case_data, cases
from lemmas.papers.zou2018.network import b_vectors, network
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

# ==========================================================================================================
# Lemma B.5 / Theorem 5.3(vii)
# ==========================================================================================================

B5 = register(Lemma(
    id="zou2018.lemmaB.5",
    title="Gradient lower bound in the τ-ball (Theorem 5.3(vii))",
    source=source("App. B, Lemma B.5; Theorem 5.3(vii)", "zou2018.md §3.3"),
    statement=(r"If $\|\widetilde{\mathbf W}_l-\mathbf W_l\|_2\le\tau=O(\phi^{3/2}n^{-3}L^{-2})$, then "
               r"$\|\nabla_{\mathbf W_L}L_S(\widetilde{\mathbf W})\|_F^2\ge C\frac{m_L\phi}{n^5}(\sum_i\ell'(y_i\widetilde y_i))^2$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("C", K.b5_constant, "C = C2C1²/8 with A.15's explicit count constant and threshold", "constant", "D"),
        Quantity("tau_max", K.tau_b5, "τ ≤ φ^{3/2}n⁻³L⁻² (hidden constant 1)", "radius", "V"),
    ]},
    hypotheses={"tau": "τ ≤ φ^{3/2}n⁻³L⁻² (C̲ = 1)", "theorem51_viii": "Theorem 5.1(viii) at W for the worst a (≥ C″m_Lφ/n good nodes)"},
    notes=("E13: the proof drops the 1/n of Theorem 5.1(viii) in one condition; the final n⁻⁵ and τ are right.",
           "E26: ŷ^(k) is used where ỹ is meant in the final display."),
))


def _b5_cases(mode: Mode) -> Sequence[Case]:
    base = {"n": 6, "d": 8, "mu": 0.5, "phi": 0.3, "data_seed": 15, "m": 256, "L": 2, "random_points": 3}
    return cases(mode, [Case({**base, "data": "opposite_pairs"}, 3), Case({**base, "data": "clusters"}, 3)],
                 [Case({**base, "data": "opposite_pairs", "n": 12, "L": 3, "m": 512}, 5)], quick_trials=1)


def worst_gradient_ratio(X_prev: np.ndarray, D_last: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """min over a ≥ 0, Σa = 1 of aᵀQa with Q = (yyᵀ)∘(X_{L−1}X_{L−1}ᵀ)∘(D_LD_Lᵀ), and the minimizer: the smallest
    ‖∇_{W_L}L_S‖_F²·n² when the loss derivatives −a are chosen adversarially (SLSQP on the simplex; Q is PSD)."""
    D = D_last.astype(np.float64)
    Q = np.outer(y, y) * (X_prev @ X_prev.T) * (D @ D.T)
    nn = y.size
    result = scipy.optimize.minimize(lambda a: a @ Q @ a, np.full(nn, 1.0 / nn), jac=lambda a: 2 * Q @ a, method="SLSQP",
                                     bounds=[(0.0, None)] * nn, constraints=[{"type": "eq", "fun": lambda a: np.sum(a) - 1.0}],
                                     options={"ftol": 1e-14, "maxiter": 500})
    a = np.clip(result.x, 0.0, None)
    a /= np.sum(a)
    return float(a @ Q @ a), a


def _independent_rows(X: np.ndarray) -> np.ndarray:
    """Indices (sorted) of a largest linearly independent set of rows of X (pivoted QR): the samples a joint
    sign-flip perturbation can target. Duplicates (clusters), opposite pairs and n > d leave some out."""
    _, R, pivots = scipy.linalg.qr(X.T, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > 1e-10 * diag[0])) if diag.size else 0
    return np.sort(pivots[:rank])


def _b5_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    depth, width = int(params["L"]), int(params["m"])
    t = bounds("tau_max", phi=ds.phi, n=ds.n, L=depth)
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    candidates = [W0] + [W0.perturbed(random_perturbation(rng, [W.shape for W in W0.Ws], t)) for _ in range(int(params["random_points"]))]
    candidates.append(W0.perturbed(greedy_sign_flip(param, W0, ds.X, t, samples=_independent_rows(ds.X))))
    worst, worst_a, at_init = math.inf, None, None
    for k, W in enumerate(candidates):
        cache = deep.forward(param, W, ds.X)
        value, a = worst_gradient_ratio(cache.h[depth - 1], cache.D[depth], ds.y)
        c_hat = value / ds.n**2 * ds.n**5 / (width * ds.phi)
        if k == 0:
            at_init = c_hat
            logistic = -losses.LOGISTIC.d1(ds.y * cache.out[:, 0])
            benign = (logistic @ (np.outer(ds.y, ds.y) * (cache.h[depth - 1] @ cache.h[depth - 1].T)
                                  * (cache.D[depth].astype(float) @ cache.D[depth].T.astype(float))) @ logistic)
            benign_c = benign / np.sum(logistic) ** 2 * ds.n**3 / (width * ds.phi)
        if c_hat < worst:
            worst, worst_a = c_hat, a
    obs = compare(worst, bounds("C"), upper=False)
    obs.update({"hypotheses": {"tau": True, "theorem51_viii": True}, "worst_a": worst_a.tolist(), "c0_at_init_worst_a": at_init,
                "c0_logistic_at_init": float(benign_c), "tau": t, "phi": ds.phi, "mu": ds.mu})
    return obs


def _b5_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "ĉ0 = min ‖∇_{W_L}L_S(W̃)‖_F²n⁵/(m_Lφ(Σℓ′)²) over W̃ and adversarial ℓ′ = −a")
    v.evidence.update({"phi": obs[0]["phi"], "mu": obs[0]["mu"], "tau": obs[0]["tau"],
                       "c0_logistic_at_init": [o["c0_logistic_at_init"] for o in obs]})
    return v


B5.add(Check(
    name="worst_case", kind=Kind.WORST_CASE,
    claim="min over W̃ (init, random, greedy sign flips in the τ-ball) and a ≥ 0 of ‖∇_{W_L}L_S‖_F²n⁵/(m_Lφ(Σa)²) "
          "≥ C2C1²/8 (explicit A.15 constants), on opposite-label pairs at distance φ and on clusters",
    cases=_b5_cases, trial=_b5_trial, verdict=_b5_verdict, negative_control={"C": "10**6"},
))

# ==========================================================================================================
# Lemma B.6 / Theorem 5.3(viii)
# ==========================================================================================================

lprime, xnorm_s, bnorm_s = sp.symbols("lprime xnorm_s bnorm_s", real=True)

B6 = register(Lemma(
    id="zou2018.lemmaB.6",
    title="Gradient upper bound in the τ-ball (Theorem 5.3(viii))",
    source=source("App. B, Lemma B.6; Theorem 5.3(viii)", "zou2018.md §3.3"),
    statement=(r"For $\widetilde{\mathbf W}$ in the ball, $\|\nabla_{\mathbf W_l}L_S(\widetilde{\mathbf W})\|_2\le-\frac{CL^2M^{1/2}}n"
               r"\sum_i\ell'(y_i\widetilde y_i)$, and the same with $\frac1B\sum_{i\in\mathcal B}$ for $\widetilde{\mathbf G}_l$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("sample_gradient_norm", sp.Abs(lprime) * xnorm_s * bnorm_s, "‖∇_{W_l}ℓ_i‖₂ = |ℓ′_i|‖x̃_{l−1,i}‖‖b̃_{l,i}‖ (rank one)",
                 "bound", "D"),
        Quantity("depth_exponent", sp.Integer(2), "exponent of L in max‖x̃‖‖b̃‖/√M", "rate", "V"),
    ]},
    hypotheses={},
    notes=("Typically ‖x̃‖ ≈ 1 and ‖b̃_{l,i}‖ ≈ √(m_L/2): the ratio to L²√M is about 0.7/L², so one factor L² is loose.",),
))


def _b6_identity_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 5, "d": 8, "mu": 0.5, "data_seed": 16, "m": 128, "tau": 0.05}
    return cases(mode, [Case({**base, "L": 3}, 4)], [Case({**base, "L": 5, "m": 256}, 8)], quick_trials=1)


def _b6_identity_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    depth, width = int(params["L"]), int(params["m"])
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    W = W0.perturbed(random_perturbation(rng, [A.shape for A in W0.Ws], float(params["tau"])))
    cache = deep.forward(param, W, ds.X)
    errors = []
    for i in range(ds.n):
        lg = deep.loss_and_grad(param, W, ds.X[i:i + 1], ds.y[i:i + 1], loss=losses.LOGISTIC.pair)
        lp = float(losses.LOGISTIC.d1(ds.y[i] * cache.out[i, 0]))
        for l in range(1, depth + 1):
            formula = bounds("sample_gradient_norm", lprime=lp, xnorm_s=float(np.linalg.norm(cache.h[l - 1][i])),
                             bnorm_s=float(np.linalg.norm(b_vectors(param, W, cache, l)[i])))
            actual = spectral_norm(lg.grads[l - 1])
            errors.append(abs(actual - formula) / max(actual, 1e-300))
    return {"hypotheses": {}, "error": float(max(errors))}


def _b6_identity_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return max_error_verdict(obs, 1e-10, "relative error of ‖∇_{W_l}ℓ_i‖₂ = |ℓ′_i|‖x̃_{l−1,i}‖‖b̃_{l,i}‖")


B6.add(Check(
    name="rank_one_identity", kind=Kind.IDENTITY,
    claim="the per-sample gradient is rank one: ‖∇_{W_l}ℓ_i(W̃)‖₂ = |ℓ′_i|‖x̃_{l−1,i}‖‖b̃_{l,i}‖ at random points of the ball",
    cases=_b6_identity_cases, trial=_b6_identity_trial, verdict=_b6_identity_verdict,
    negative_control={"sample_gradient_norm": "2*Abs(lprime)*xnorm_s*bnorm_s"},
))

_DEPTHS, _TEST, _CALIB = (1, 2, 4, 8), 4, 2


def _b6_depth_cases(mode: Mode) -> Sequence[Case]:
    return [Case({"data": "random_sphere", "n": 4, "d": 8, "mu": 0.5, "data_seed": 17, "m": 128, "tau": 0.05,
                  "depths": list(_DEPTHS)}, len(_DEPTHS) * (_TEST + _CALIB))]


def _b6_depth_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    depth, width = int(params["depths"][index // (_TEST + _CALIB)]), int(params["m"])
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    W = W0.perturbed(random_perturbation(rng, [A.shape for A in W0.Ws], float(params["tau"])))
    cache = deep.forward(param, W, ds.X)
    worst = max(float(np.max(np.linalg.norm(cache.h[l - 1], axis=1) * np.linalg.norm(b_vectors(param, W, cache, l), axis=1)))
                for l in range(1, depth + 1))
    return {"hypotheses": {}, "x": depth, "y": worst / math.sqrt(width),
            "role": "calibration" if index % (_TEST + _CALIB) >= _TEST else "test"}


def _b6_depth_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return exponent_verdict(obs, bounds("depth_exponent"), "upper", "max_{l,i}‖x̃_{l−1,i}‖‖b̃_{l,i}‖/√M", "L", settings)


B6.add(Check(
    name="depth_exponent", kind=Kind.EXPONENT,
    claim="max_{l,i}‖x̃_{l−1,i}‖‖b̃_{l,i}‖/√M = O(L²) (the constant of the gradient bound): fitted exponent in L",
    cases=_b6_depth_cases, trial=_b6_depth_trial, verdict=_b6_depth_verdict, negative_control={"depth_exponent": "-1"},
))
