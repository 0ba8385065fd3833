"""Zou et al. Theorem 5.3 (v), (vi) through Lemmas B.1–B.2: products of perturbed layers, worst case over the τ-ball.

Theorem 5.3 is deterministic given Theorem 5.1's event, and "for all" perturbations in the ball, so these are
[W] checks: projected gradient ascent over W̃ with ‖W̃_l − W_l‖₂ ≤ τ (restarts), compared with the proof's final
bound evaluated with the *measured* constants of the lemmas it builds on (the paper never evaluates them):
* B.1 / 5.3(v): ‖Π_{r=l1}^{l2}Σ̃_{r,i}W̃_rᵀ‖₂ ≤ (C2 + e²)L (the proof's (1 + 2/L)^L ≤ e² expansion), with C2 the
  measured constant max‖Π_{r=l1}^{l2}Σ_{r,i}W_rᵀ‖₂/L at initialization.
* B.2 / 5.3(vi): vᵀ(Π_{r=l}^{L}Σ̃_{r,i}W̃_rᵀ)a ≤ C′L√(s log M) + √M·C1(e²L²τ + eL√(s log M/m)) (the proof's
  A.9 term plus I1, I2), with C′ the measured A.9 constant and C1 = C2 as above; the sup over s-sparse unit a is
  exact (‖top_s(|ũ|)‖₂).
Lemma B.1 holds for *any* diagonal Σ̃ with ‖Σ̃ − Σ‖₀ ≤ s; the searches keep Σ̃ = Σ (s = 0 mask changes), which
keeps its hypothesis √(s log M/m) ≤ κL⁻³ satisfied at feasible widths, and let W̃ range over the whole ball.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare
from lemmas.core import deep
from lemmas.core.perturb import projected_ascent, spectral_norm
from lemmas.papers.zou2018 import constants as K, source
from lemmas.papers.zou2018.checking import case_data, cases
from lemmas.papers.zou2018.network import bilinear_gradient, network, product, top_s_norm, top_s_vector, u_vectors
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, L, m, tau

C2_hat = sp.Symbol("C2_hat", positive=True)      # measured max‖ΠΣW‖/L at initialization
Cp_hat = sp.Symbol("Cp_hat", positive=True)      # measured A.9 constant at initialization


def _setup(params: Mapping[str, Any], rng: np.random.Generator):
    ds = case_data(params)
    param = network(ds.d, (int(params["m"]),) * int(params["L"]), mu=ds.mu)
    weights = deep.init_params(param, rng)
    return ds, param, weights, deep.forward(param, weights, ds.X)


def product_constant(weights: deep.DeepWeights, cache: deep.ForwardCache, depth: int) -> float:
    """max over i and 1 ≤ l1 ≤ l2 ≤ L of ‖Π_{r=l1}^{l2}Σ_{r,i}W_rᵀ‖₂ / L (the masks of ``cache``)."""
    worst = 0.0
    for i in range(cache.n):
        for l1 in range(1, depth + 1):
            P = np.eye(weights.Ws[l1 - 1].shape[1])
            for l2 in range(l1, depth + 1):
                P = cache.D[l2][i][:, None] * (weights.Ws[l2 - 1] @ P)
                worst = max(worst, spectral_norm(P))
    return worst / depth


def _base(**kw: Any) -> dict[str, Any]:
    return {"data": "random_sphere", "n": 3, "d": 10, "mu": 0.5, "data_seed": 10, "m": 256, "steps": 15, "restarts": 2, **kw}


# ==========================================================================================================
# Lemma B.1 / Theorem 5.3(v)
# ==========================================================================================================

B1 = register(Lemma(
    id="zou2018.lemmaB.1",
    title="Perturbed products of masked layers stay O(L) (Theorem 5.3(v))",
    source=source("App. B, Lemma B.1; Theorem 5.3(v)", "zou2018.md §3.1, §3.3"),
    statement=(r"Let $\|\widetilde{\mathbf W}_l-\mathbf W_l\|_2\le\tau$ and let $\widetilde{\boldsymbol\Sigma}_{l,i}$ be diagonal with "
               r"$\|\widetilde{\boldsymbol\Sigma}_{l,i}-\boldsymbol\Sigma_{l,i}\|_0\le s$ and entries of $\widetilde{\boldsymbol\Sigma}$ and "
               r"$\widetilde{\boldsymbol\Sigma}-\boldsymbol\Sigma$ in $[-1,1]$. If $\tau,\sqrt{s\log(M)/m}\le\kappa L^{-3}$, then "
               r"$\|\prod_{r=l_1}^{l_2}\widetilde{\boldsymbol\Sigma}_{r,i}\widetilde{\mathbf W}_r^\top\|_2\le CL$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("product_bound", (C2_hat + sp.E**2) * L, "the proof's (C2 + e²)L with C2 measured at init", "bound", "D"),
        Quantity("tau_max", L**-3, "τ ≤ κL⁻³ (κ = 1)", "radius", "V"),
    ]},
    hypotheses={"tau": "τ ≤ L⁻³ (κ = 1)", "sparsity": "s = 0 mask changes (Σ̃ = Σ), so √(s log M/m) ≤ κL⁻³"},
))


def _b1_cases(mode: Mode) -> Sequence[Case]:
    return cases(mode, [Case(_base(L=2, tau=0.1), 2), Case(_base(L=3, tau=0.03), 2)], [Case(_base(L=4, m=512, tau=0.015, steps=30), 3)],
                 quick_trials=1)


def _top_singular_objective(weights0: deep.DeepWeights, cache0: deep.ForwardCache, i: int, depth: int):
    def objective(Ws: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        w = weights0.with_Ws(Ws)
        P = product(w, cache0, i, 1, depth)
        U, S, Vt = np.linalg.svd(P, full_matrices=False)
        value, grads = bilinear_gradient(w, cache0, i, 1, depth, U[:, 0], Vt[0])
        return value, grads
    return objective


def _b1_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds, param, weights, cache = _setup(params, rng)
    depth, t = int(params["L"]), float(params["tau"])
    c2 = product_constant(weights, cache, depth)
    i = int(np.argmax([spectral_norm(product(weights, cache, j, 1, depth)) for j in range(ds.n)]))
    result = projected_ascent(_top_singular_objective(weights, cache, i, depth), list(weights.Ws), t, int(params["steps"]), rng,
                              restarts=int(params["restarts"]))
    worst = product_constant(weights.with_Ws(result.point), cache, depth) * depth
    obs = compare(worst, bounds("product_bound", C2_hat=c2, L=depth))
    obs.update({"hypotheses": {"tau": t <= bounds("tau_max", L=depth), "sparsity": True},
                "C2_measured": c2, "implied_C": worst / depth, "at_init": c2 * depth, "restart_values": result.restart_values})
    return obs


def _b1_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "max over the τ-ball of ‖Π_{r=l1}^{l2}Σ_{r,i}W̃_rᵀ‖₂ against (C2 + e²)L")
    v.evidence["implied_C"] = max(o["implied_C"] for o in obs)
    v.evidence["growth_over_init"] = max(o["value"] / o["at_init"] for o in obs)
    return v


B1.add(Check(
    name="worst_case", kind=Kind.WORST_CASE,
    claim="projected ascent over ‖W̃_l − W_l‖₂ ≤ τ of ‖Π_{r=1}^{L}Σ_{r,i}W̃_rᵀ‖₂; the worst max_{l1≤l2,i} norm ≤ (C2 + e²)L, "
          "C2 measured at init",
    cases=_b1_cases, trial=_b1_trial, verdict=_b1_verdict, negative_control={"product_bound": "C2_hat*L/2"},
))

# ==========================================================================================================
# Lemma B.2 / Theorem 5.3(vi)
# ==========================================================================================================

B2 = register(Lemma(
    id="zou2018.lemmaB.2",
    title="Sparse output forms of perturbed products (Theorem 5.3(vi))",
    source=source("App. B, Lemma B.2; Theorem 5.3(vi)", "zou2018.md §3.1, §3.3"),
    statement=(r"Under the hypotheses of Lemma B.1, $\mathbf v^\top(\prod_{r=l}^L\widetilde{\boldsymbol\Sigma}_{r,i}\widetilde{\mathbf W}_r^\top)"
               r"\mathbf a\le C[L^2\tau\sqrt M+L\sqrt{s\log M}]$ for unit $\mathbf a$ with $\|\mathbf a\|_0\le s$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("form_bound", Cp_hat * L * sp.sqrt(K.s * sp.log(m)) + sp.sqrt(m) * C2_hat
                 * (sp.E**2 * L**2 * tau + sp.E * L * sp.sqrt(K.s * sp.log(m) / m)),
                 "A.9's C′L√(s log M) + √M(I1 + I2), I1 = C1e²L²τ, I2 = C1eL√(s log M/m), constants measured", "bound", "D"),
        Quantity("tau_max", L**-3, "τ ≤ κL⁻³ (κ = 1)", "radius", "V"),
        Quantity("sparsity_max", m * L**-6 / sp.log(m), "√(s log M/m) ≤ κL⁻³ (κ = 1)", "bound", "V"),
    ]},
    hypotheses={"tau": "τ ≤ L⁻³", "sparsity": "√(s log M/m) ≤ L⁻³ (κ = 1) for the sparsity s of a"},
))


def _b2_cases(mode: Mode) -> Sequence[Case]:
    return cases(mode, [Case(_base(L=1, tau=0.3, s=8, d=24), 2), Case(_base(L=2, m=512, tau=0.1, s=1, steps=10), 1)],
                 [Case(_base(L=2, m=1024, tau=0.1, s=4, steps=30), 3)], quick_trials=1)


def _b2_objective(weights0: deep.DeepWeights, cache0: deep.ForwardCache, param, i: int, depth: int, s: int):
    def objective(Ws: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        w = weights0.with_Ws(Ws)
        u = u_vectors(param, w, cache0, depth)[i]
        a = top_s_vector(u, s)
        return bilinear_gradient(w, cache0, i, depth, depth, w.v, a)
    return objective


def _b2_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds, param, weights, cache = _setup(params, rng)
    depth, t, s, width = int(params["L"]), float(params["tau"]), int(params["s"]), int(params["m"])
    init_values = top_s_norm(u_vectors(param, weights, cache, depth), s)
    i = int(np.argmax(init_values))
    c_prime = float(init_values[i]) / (depth * math.sqrt(s * math.log(width)))
    c2 = product_constant(weights, cache, depth)
    result = projected_ascent(_b2_objective(weights, cache, param, i, depth, s), list(weights.Ws), t, int(params["steps"]), rng,
                              restarts=int(params["restarts"]))
    worst = float(np.max(top_s_norm(u_vectors(param, weights.with_Ws(result.point), cache, depth), s)))
    obs = compare(worst, bounds("form_bound", Cp_hat=c_prime, C2_hat=c2, L=depth, s=s, m=width, tau=t))
    obs.update({"hypotheses": {"tau": t <= bounds("tau_max", L=depth), "sparsity": s <= bounds("sparsity_max", m=width, L=depth)},
                "at_init": float(init_values[i]),
                "implied_C_statement_form": worst / (depth**2 * t * math.sqrt(width) + depth * math.sqrt(s * math.log(width)))})
    return obs


def _b2_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "max over the τ-ball and s-sparse unit a of vᵀ(Π_{r=L}^{L}Σ_{r,i}W̃_rᵀ)a")
    v.evidence["implied_C_statement_form"] = max(o["implied_C_statement_form"] for o in obs)
    v.evidence["growth_over_init"] = max(o["value"] / o["at_init"] for o in obs)
    return v


B2.add(Check(
    name="worst_case", kind=Kind.WORST_CASE,
    claim="projected ascent over the τ-ball of ‖top_s(ũ_{L,i})‖₂ = sup_{s-sparse unit a} vᵀΣ̃_{L,i}W̃_Lᵀa, against the proof's "
          "bound with measured constants",
    cases=_b2_cases, trial=_b2_trial, verdict=_b2_verdict, negative_control={"form_bound": "Cp_hat*L*sqrt(s*log(m))/2"},
))
