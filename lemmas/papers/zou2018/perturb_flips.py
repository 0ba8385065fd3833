"""Zou et al. Theorem 5.3 (ii)–(iv) through Lemma B.3 and Corollary B.4: Lipschitz outputs and sign flips.

* B.3 / 5.3(ii) [W]: ‖x̂_{l,i} − x̃_{l,i}‖ ≤ CL·Σ_r‖Ŵ_r − W̃_r‖₂ with C = 2(C0 ∨ 1) (Lemma B.3), C0 the measured
  B.1 constant at W̃. The worst direction is targeted: for a perturbation of one layer r, the linearization is
  J_rD_r(Δ_r x_{r−1}); the rank-one Δ_r = ε·z x̄_{r−1}ᵀ with z the top right singular vector of J_rD_r attains its
  supremum. Each target layer, input and W̃ (init or a random point of the ball) is tried.
* B.3 / 5.3(iii) [S]: worst-case flips in layer 1 are exact: for one input the supremum over ‖Δ‖₂ ≤ τ of the
  flips is max{k : Σ_{j≤k} g_(j)² < τ²‖x‖²} (rank-one optimum, ≈ (3/π)^{1/3}τ^{2/3}m); fitted exponent in τ
  against 2/3. Deeper layers: the layerwise greedy construction of the core, exponent in L against 4/3.
* B.4 / 5.3(iv) [S]: the union over i of flipped last-layer nodes under the joint construction of the core
  (W′ = Uᵀ(HHᵀ)⁻¹H), exponent in n against 1.
The hypotheses are Lemma B.1's, with s the measured number of flips: τ ≤ L⁻³ and √(s log M/m) ≤ L⁻³ (κ = 1).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare, exponent_verdict
from lemmas.core import deep
from lemmas.core.perturb import (greedy_sign_flip, one_layer_flip_certificate, random_perturbation, sign_changes,
                                 sign_flip_perturbation)
from lemmas.papers.zou2018 import source
from lemmas.papers.zou2018.checking import case_data
from lemmas.papers.zou2018.network import init_representations, network
from lemmas.papers.zou2018.perturb_products import product_constant
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, L

C0_hat = sp.Symbol("C0_hat", positive=True)
_TEST, _CALIB = 4, 2


def _role(index: int) -> str:
    return "calibration" if index % (_TEST + _CALIB) >= _TEST else "test"


def b1_hypotheses(depth: int, t: float, flips: int, width: int) -> dict[str, bool]:
    """Lemma B.1's hypotheses as used inside Lemma B.3 (κ = 1), with s the measured number of flips."""
    return {"tau": t <= depth**-3.0, "sparsity": math.sqrt(flips * math.log(width) / width) <= depth**-3.0}


B3 = register(Lemma(
    id="zou2018.lemmaB.3",
    title="Lipschitz hidden outputs and few sign flips in the τ-ball (Theorem 5.3(ii), (iii))",
    source=source("App. B, Lemma B.3; Theorem 5.3(ii), (iii)", "zou2018.md §3.3"),
    statement=(r"For $\widetilde{\mathbf W},\widehat{\mathbf W}$ in the $\tau$-ball: "
               r"$\|\widehat{\mathbf x}_{l,i}-\widetilde{\mathbf x}_{l,i}\|_2\le CL\sum_{r\le l}\|\widehat{\mathbf W}_r-\widetilde{\mathbf W}_r\|_2$ and "
               r"$\|\widehat{\boldsymbol\Sigma}_{l,i}-\widetilde{\boldsymbol\Sigma}_{l,i}\|_0\le C'L^{4/3}\tau^{2/3}m_l$, with $C=2(C_0\vee1)$, "
               r"$C'=8C^{2/3}C_0'^{2/3}$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("lipschitz_bound", 2 * sp.Max(C0_hat, 1) * L, "CL with C = 2(C0 ∨ 1), C0 measured at W̃ (B.1's constant)", "bound", "V"),
        Quantity("tau_exponent", sp.Rational(2, 3), "exponent of τ in the flips", "rate", "V"),
        Quantity("depth_exponent", sp.Rational(4, 3), "exponent of L in the flips", "rate", "V"),
    ]},
    hypotheses={"tau": "τ ≤ L⁻³ (κ = 1)", "sparsity": "√(s log M/m) ≤ L⁻³ for the measured flips s (κ = 1)"},
    notes=("E12: the constant C′ = 8C^{2/3}C0′^{2/3} is too small for the proof's own steps (checked in zou2018.errata);"
           " the deterministic core flips ≤ 3mD^{2/3} is checked there too.",),
))

# ---- (ii): Lipschitz outputs -----------------------------------------------------------------------------


def _lipschitz_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 3, "d": 10, "mu": 0.5, "data_seed": 11, "m": 256, "eps": 1e-3}
    default = [Case({**base, "L": 1, "tau": 0.1}, 2), Case({**base, "L": 2, "tau": 0.02}, 2), Case({**base, "L": 3, "tau": 0.01}, 2)]
    full = [Case({**base, "L": 4, "m": 512, "tau": 0.005}, 3)]
    return default[:1] if mode is Mode.QUICK else default + (full if mode is Mode.FULL else [])


def _targeted_delta(weights: deep.DeepWeights, cache: deep.ForwardCache, i: int, r: int, depth: int, eps: float) -> np.ndarray:
    """The rank-one Δ_r (core orientation, spectral norm ε) that maximizes the linearized change of x_L."""
    J = np.eye(weights.Ws[depth - 1].shape[0])
    for q in range(depth, r, -1):
        J = J @ (cache.D[q][i][:, None] * weights.Ws[q - 1])
    JD = J * cache.D[r][i][None, :]
    _, _, Vt = np.linalg.svd(JD, full_matrices=False)
    x_prev = cache.h[r - 1][i]
    return eps * np.outer(Vt[0], x_prev / np.linalg.norm(x_prev))


def _lipschitz_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    depth, width, t, eps = int(params["L"]), int(params["m"]), float(params["tau"]), float(params["eps"])
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    cache0 = deep.forward(param, W0, ds.X)
    start = random_perturbation(rng, [W.shape for W in W0.Ws], (t - eps) * rng.uniform()) if index % 2 else [None] * depth
    W_tilde = W0.perturbed(start)
    cache_t = deep.forward(param, W_tilde, ds.X)
    c0 = product_constant(W_tilde, cache_t, depth)
    worst, flips = (0.0, None), 0
    for i in range(ds.n):
        for r in range(1, depth + 1):
            delta = [None] * depth
            delta[r - 1] = _targeted_delta(W_tilde, cache_t, i, r, depth, eps)
            cache_h = deep.forward(param, W_tilde.perturbed(delta), ds.X)
            flips = max(flips, int(np.max(sign_changes(cache0, cache_h))))
            for l in range(r, depth + 1):
                ratio = float(np.linalg.norm(cache_h.h[l][i] - cache_t.h[l][i])) / eps
                worst = max(worst, (ratio, (i, r, l)))
    obs = compare(worst[0], bounds("lipschitz_bound", C0_hat=c0, L=depth))
    obs.update({"hypotheses": b1_hypotheses(depth, t, flips, width), "where_i_r_l": list(worst[1]), "C0_measured": c0,
                "implied_C": worst[0] / depth})
    return obs


def _lipschitz_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "max ‖x̂_{l,i} − x̃_{l,i}‖/Σ_r‖Ŵ_r − W̃_r‖₂ (targeted rank-one perturbations)")
    v.evidence["implied_C"] = max(o["implied_C"] for o in obs)
    return v


B3.add(Check(
    name="lipschitz_worst_case", kind=Kind.WORST_CASE,
    claim="‖x̂_{l,i} − x̃_{l,i}‖ ≤ 2(C0 ∨ 1)L·Σ_r‖Ŵ_r − W̃_r‖₂ for targeted rank-one perturbations of each layer "
          "(W̃ = W or a random point of the ball; C0 measured)",
    cases=_lipschitz_cases, trial=_lipschitz_trial, verdict=_lipschitz_verdict, negative_control={"lipschitz_bound": "C0_hat/(10*L)"},
))

# ---- (iii): flips against τ (layer 1, exact) --------------------------------------------------------------

_TAUS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)


def _tau_cases(mode: Mode) -> Sequence[Case]:
    width = 100_000 if mode is Mode.FULL else 20_000
    return [Case({"data": "random_sphere", "n": 4, "d": 10, "mu": 0.5, "data_seed": 12, "m": width, "taus": list(_TAUS)},
                 len(_TAUS) * (_TEST + _CALIB))]


def _tau_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    t, width = float(params["taus"][index // (_TEST + _CALIB)]), int(params["m"])
    G = init_representations(rng, ds.X, (width,)).G[1]
    flips = max(one_layer_flip_certificate(G[i], float(np.linalg.norm(ds.X[i])), t) for i in range(ds.n))
    return {"hypotheses": b1_hypotheses(1, t, flips, width), "x": t, "y": float(flips), "role": _role(index),
            "ratio_to_formula": flips / ((3 / math.pi) ** (1 / 3) * t ** (2 / 3) * width)}


def _tau_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = exponent_verdict(obs, bounds("tau_exponent"), "upper", "worst-case flips in layer 1 (exact)", "τ", settings)
    v.evidence["ratio_to_(3/π)^{1/3}τ^{2/3}m"] = {str(o["x"]): o["ratio_to_formula"] for o in obs if o["role"] == "test"}
    return v


B3.add(Check(
    name="flips_tau_exponent", kind=Kind.EXPONENT,
    claim="the exact worst-case number of flipped signs in layer 1 over ‖Δ‖₂ ≤ τ is O(τ^{2/3}m): fitted exponent in τ "
          "(the 2/3 is attained by the rank-one optimum)",
    cases=_tau_cases, trial=_tau_trial, verdict=_tau_verdict, negative_control={"tau_exponent": "1/6"},
))

# ---- (iii): flips against L (greedy deep construction) ----------------------------------------------------

_DEPTHS = (1, 2, 3, 4)


def _depth_cases(mode: Mode) -> Sequence[Case]:
    return [Case({"data": "random_sphere", "n": 2, "d": 10, "mu": 0.5, "data_seed": 13, "m": 256, "tau": 0.01,
                  "depths": list(_DEPTHS)}, len(_DEPTHS) * (_TEST + _CALIB))]


def _depth_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    X = ds.X[:1]  # one input: the greedy construction is then rank one per layer
    depth, width, t = int(params["depths"][index // (_TEST + _CALIB)]), int(params["m"]), float(params["tau"])
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    deltas = greedy_sign_flip(param, W0, X, t)
    counts = sign_changes(deep.forward(param, W0, X), deep.forward(param, W0.perturbed(deltas), X))
    flips = int(np.max(counts[depth]))
    return {"hypotheses": b1_hypotheses(depth, t, int(np.max(counts)), width), "x": depth, "y": float(max(flips, 1)),
            "role": _role(index), "flips_last_layer": flips}


def _depth_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return exponent_verdict(obs, bounds("depth_exponent"), "upper", "flips in layer L (greedy construction)", "L", settings)


B3.add(Check(
    name="flips_depth_exponent", kind=Kind.EXPONENT,
    claim="flipped signs in the last layer under the layerwise greedy adversary are O(L^{4/3}τ^{2/3}m): fitted exponent in L",
    cases=_depth_cases, trial=_depth_trial, verdict=_depth_verdict, negative_control={"depth_exponent": "-2"},
))

# ==========================================================================================================
# Corollary B.4 / Theorem 5.3(iv)
# ==========================================================================================================

B4 = register(Lemma(
    id="zou2018.corollaryB.4",
    title="Nodes flipped for some input (Theorem 5.3(iv))",
    source=source("App. B, Corollary B.4; Theorem 5.3(iv)", "zou2018.md §3.3"),
    statement=(r"$|\widetilde{\mathcal S}_L|=|\{j:\exists i,(\widetilde{\boldsymbol\Sigma}_{L,i}-\boldsymbol\Sigma_{L,i})_{jj}\ne0\}|"
               r"\le CnL^{4/3}\tau^{2/3}m_L$."),
    tag="V",
    quantities={"n_exponent": Quantity("n_exponent", sp.Integer(1), "exponent of n in the union", "rate", "V")},
    hypotheses={"tau": "τ ≤ L⁻³ (κ = 1)", "sparsity": "√(s log M/m) ≤ L⁻³ for the measured flips s (κ = 1)"},
    notes=("The n-fold union is attainable: orthonormal inputs with orthogonal targets ζ_i give ‖Σ_i x_iζ_iᵀ‖ = max‖ζ_i‖ [D].",),
))

_SIZES = (1, 2, 4, 8)


def _union_cases(mode: Mode) -> Sequence[Case]:
    return [Case({"d": 12, "mu": 0.5, "data_seed": 14, "m": 20_000, "tau": 0.01, "sizes": list(_SIZES)}, len(_SIZES) * (_TEST + _CALIB))]


def _union_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    size, width, t = int(params["sizes"][index // (_TEST + _CALIB)]), int(params["m"]), float(params["tau"])
    ds = case_data({"data": "random_sphere", "n": max(size, 2), "d": params["d"], "mu": params["mu"], "data_seed": params["data_seed"]})
    X = ds.X[:size]
    G = init_representations(rng, X, (width,)).G[1]
    W_prime = sign_flip_perturbation(X, G, t)
    flipped = (G > 0) != ((G + X @ W_prime.T) > 0)
    union = int(np.count_nonzero(np.any(flipped, axis=0)))
    single = max(one_layer_flip_certificate(G[i], float(np.linalg.norm(X[i])), t) for i in range(size))
    return {"hypotheses": b1_hypotheses(1, t, int(np.max(np.sum(flipped, axis=1))), width), "x": size,
            "y": union / (t ** (2 / 3) * width), "role": _role(index), "union": union, "best_single_input": single}


def _union_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = exponent_verdict(obs, bounds("n_exponent"), "upper", "|∪_i flipped nodes|/(τ^{2/3}m)", "n", settings)
    v.evidence["union_over_best_single"] = {str(o["x"]): o["union"] / max(o["best_single_input"], 1) for o in obs if o["role"] == "test"}
    return v


B4.add(Check(
    name="union_n_exponent", kind=Kind.EXPONENT,
    claim="the union over i of nodes flipped by one joint perturbation (‖W′‖₂ = τ) is O(nτ^{2/3}m): fitted exponent in n",
    cases=_union_cases, trial=_union_trial, verdict=_union_verdict, negative_control={"n_exponent": "-1"},
))
