"""Zou et al. Lemmas D.1–D.3, 5.6, 5.7: the SGD analysis (Appendix D). Minibatches are uniform size-B subsets
without replacement (the scheme Lemma D.2's proof computes with, zou2018.md §1.6).

* D.1 [X]: the (E.2) decomposition and u-identity for one SGD step, with u built from G_l.
* D.2 [X]: E[((1/B)Σ_{i∈B}u_i)²] = (n − B)/(B(n − 1))·(1/n)Σu_i² exactly (full enumeration), hence ≤ (1/B)(1/n)Σu_i².
* D.3 [P, exploratory]: the distribution over SGD runs (fixed W^(0)) of g_p(L_S(W^(k))) − its mean, against
  √(2k log(1/δ))·CnL⁴Mη/B with C = 1, and the implied C. E22: the proof's "Azuma" has no martingale and only
  one-sided increments, so this is evidence about a *gap in the proof*, not a check of a proved statement.
* 5.6 [slack]: the expected descent (D.9), E_B[L_S^(k+1)] − L_S^(k) ≤ −(η/2)‖∇_{W_L}L_S‖_F² (measured ĉ0), with the
  expectation computed exactly over all C(n, B) batches along an SGD run; outside the region hypothesis.
* 5.7 [X with measured constants]: the proof's chain ‖W_l^(k) − W_l^(0)‖₂ ≤ ηΣ_t‖G_l^(t)‖₂ ≤ kηρ0·max‖x̃‖‖b̃‖ (α0 < ∞,
  logistic: ρ0 = 1), with the implied constant of the L²√M form reported.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare, max_error_verdict, probability_verdict
from lemmas.core import deep
from lemmas.core.perturb import spectral_norm
from lemmas.papers.zou2018 import constants as K, losses, source
from lemmas.papers.zou2018.checking import DATA_ROOT, case_data, cases
from lemmas.papers.zou2018.gd import identity_trial, identity_verdict
from lemmas.papers.zou2018.network import b_vectors, max_distance, network
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, L, Quantity, delta, eta, k, n

# ==========================================================================================================
# Lemma D.1
# ==========================================================================================================

D1 = register(Lemma(
    id="zou2018.lemmaD.1",
    title="One-step change of the margins under SGD",
    source=source("App. D, Lemma D.1 (proof omitted, E.3 p.50)", "zou2018.md §3.4"),
    statement=(r"The SGD analogue of Lemma C.2, with $\frac1B\sum_{i\in\mathcal B^{(k)}}$ and $u_{l,i}$ built from "
               r"$\mathbf G_l^{(k)}$; hypotheses $\tau\le\kappa L^{-3}$, $\sqrt{s\log(M)/m}\le\kappa L^{-3}$, "
               r"$\|\boldsymbol\Sigma^{(k)}-\boldsymbol\Sigma^{(0)}\|_0\le s$, $M=\widetilde\Omega(1)$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("first_order_weight", sp.Integer(1), "weight of I⁴ = u in the telescoping sum", "constant", "V"),
        Quantity("u_identity_coefficient", -eta, "(1/B)Σ_{i∈B}ℓ′_iy_iu_{l,i} = (coefficient)·‖G_l‖_F²", "constant", "V"),
    ]},
    hypotheses={},
    notes=("The proof is omitted in the paper; the exact identities it would start from are checked.",),
))


def _d1_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 8, "d": 10, "mu": 0.5, "data_seed": 23, "m": 128, "L": 3, "eta_m": 4.0, "batch": 3}
    return cases(mode, [Case(base, 3)], [Case({**base, "m": 512, "L": 5, "batch": 2}, 5)], quick_trials=1)


D1.add(Check(
    name="identities", kind=Kind.IDENTITY,
    claim="Δ_i = y_iΣ_l(I¹ + I³ + I⁴)_{l,i} and (1/B)Σ_{i∈B}ℓ′_iy_iu_{l,i} = −η‖G_l‖_F² on one SGD step, to rounding",
    cases=_d1_cases, trial=identity_trial, verdict=identity_verdict, negative_control={"u_identity_coefficient": "eta"},
))

# ==========================================================================================================
# Lemma D.2
# ==========================================================================================================

Bs = sp.Symbol("B", positive=True, integer=True)
D2 = register(Lemma(
    id="zou2018.lemmaD.2",
    title="Variance of a uniform minibatch mean",
    source=source("App. D, Lemma D.2 (proof p.50)", "zou2018.md §3.4"),
    statement=(r"If $\sum_iu_i=0$ and $\mathcal B$ is a uniformly random size-$B$ subset, then "
               r"$\mathbb E[(\frac1B\sum_{i\in\mathcal B}u_i)^2]\le\frac1B\mathbb E[u_i^2]$, where $\mathbb E[u_i^2]=\frac1n\sum u_i^2$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("exact_factor", (n - Bs) / (Bs * (n - 1)), "E[(mean_B u)²] = factor·(1/n)Σu²", "constant", "D"),
        Quantity("bound_factor", 1 / Bs, "the lemma's factor 1/B", "constant", "V"),
    ]},
    hypotheses={},
    notes=("E18: 'B ∈ [n]' means a uniform subset B ⊆ [n] without replacement; E[u_i²] means (1/n)Σu_i².",),
))

_D2_SIZES = ((6, 2), (7, 3), (8, 5), (10, 4), (12, 6))


def _d2_cases(mode: Mode) -> Sequence[Case]:
    return cases(mode, [Case({"sizes": [list(s) for s in _D2_SIZES]}, len(_D2_SIZES))], quick_trials=2)


def _d2_values(params: Mapping[str, Any], index: int, rng: np.random.Generator) -> tuple[int, int, float, float]:
    nn, b = params["sizes"][index % len(params["sizes"])]
    u = rng.standard_normal(nn)
    u -= np.mean(u)
    means = np.array([np.mean(u[list(c)]) for c in itertools.combinations(range(nn), b)])
    return nn, b, float(np.mean(means**2)), float(np.mean(u**2))


def _d2_identity_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    nn, b, second_moment, mean_square = _d2_values(params, index, rng)
    predicted = bounds("exact_factor", n=nn, B=b) * mean_square
    return {"hypotheses": {}, "error": abs(second_moment - predicted) / second_moment, "n": nn, "B": b,
            "enumerated": second_moment, "formula": predicted}


def _d2_identity_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return max_error_verdict(obs, 1e-12, "relative error of E[(mean_B u)²] = (n − B)/(B(n − 1))·(1/n)Σu²")


D2.add(Check(
    name="exact_variance", kind=Kind.IDENTITY,
    claim="full enumeration of the C(n, B) subsets: E[(mean_B u)²] = (n − B)/(B(n − 1))·(1/n)Σu_i² when Σu_i = 0",
    cases=_d2_cases, trial=_d2_identity_trial, verdict=_d2_identity_verdict, negative_control={"exact_factor": "1/B"},
))


def _d2_bound_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    nn, b, second_moment, mean_square = _d2_values(params, index, rng)
    obs = compare(second_moment, bounds("bound_factor", n=nn, B=b) * mean_square)
    obs.update({"hypotheses": {}, "n": nn, "B": b})
    return obs


def _d2_bound_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "E[(mean_B u)²] against (1/B)(1/n)Σu²")


D2.add(Check(
    name="bound", kind=Kind.IDENTITY,
    claim="E[(mean_B u)²] ≤ (1/B)(1/n)Σu_i² (full enumeration; equality at B = 1)",
    cases=_d2_cases, trial=_d2_bound_trial, verdict=_d2_bound_verdict, negative_control={"bound_factor": "(n - B)/(2*B*(n - 1))"},
))

# ==========================================================================================================
# Lemma D.3 (E22)
# ==========================================================================================================

D3 = register(Lemma(
    id="zou2018.lemmaD.3",
    title="Concentration of the SGD potential (proof gap E22)",
    source=source("App. D, Lemma D.3 (proof p.51)", "zou2018.md §3.4, §8 E22"),
    statement=(r"Under Assumption 4.4, with probability at least $1-\delta$: $\frac{L_S^{1-2p}(\mathbf W^{(k)})}{1-2p}\le"
               r"\frac{\mathbb E[L_S^{1-2p}(\mathbf W^{(k)})]}{1-2p}+\sqrt{2k\log(1/\delta)}\frac{CnL^4M\eta}B$ for $p\ne\frac12$; "
               r"the same for $\log L_S$ when $p=\frac12$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("C", sp.Integer(1), "the unnamed constant (the paper never evaluates it)", "constant", "U"),
        Quantity("deviation_bound", sp.Symbol("C", real=True) * sp.sqrt(2 * k * sp.log(1 / delta)) * n * L**4 * K.M * eta / K.B,
                 "√(2k log(1/δ))·CnL⁴Mη/B", "bound", "V"),
        Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
    ]},
    hypotheses={},
    notes=("E22 [D]: 'Azuma' is applied without a martingale and with only one-sided increment bounds; the statement is "
           "checked as exploratory evidence (implied C), labelled as a gap in the proof, not a violation.",),
))


def _d3_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 8, "d": 10, "mu": 0.5, "data_seed": 24, "init_seed": 1, "m": 128, "L": 2, "eta_m": 2.0,
            "batch": 2, "steps": 30, "delta": 0.1}
    return cases(mode, [Case(base, 200)], [Case({**base, "steps": 100}, 1000)], quick_trials=30)


def _fixed_init(params: Mapping[str, Any]) -> tuple[deep.DeepParameterization, deep.DeepWeights]:
    ds = case_data(params)
    param = network(ds.d, (int(params["m"]),) * int(params["L"]), mu=ds.mu)
    return param, deep.init_params(param, np.random.default_rng([DATA_ROOT, int(params["init_seed"])]))


def _sgd(param, W, ds, eta_, steps, batch, rng, record=None):
    for _ in range(steps):
        idx = deep.sample_batch(rng, ds.n, batch)
        W_next, lg = deep.sgd_step(param, W, ds.X, ds.y, idx, eta_, loss=losses.LOGISTIC.pair)
        if record is not None:
            record(W, idx, lg)
        W = W_next
    return W


def _d3_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    param, W0 = _fixed_init(params)
    width = int(params["m"])
    W = _sgd(param, W0, ds, float(params["eta_m"]) / width, int(params["steps"]), int(params["batch"]), rng)
    loss_k = deep.loss_and_grad(param, W, ds.X, ds.y, loss=losses.LOGISTIC.pair).value
    potential = float(K.g_p(sp.Float(loss_k), sp.Integer(1)))  # logistic: p = 1, g = −1/L_S
    return {"hypotheses": {}, "potential": potential, "loss": loss_k}


def _d3_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    mean = float(np.mean([o["potential"] for o in obs]))
    width, depth = int(params["m"]), int(params["L"])
    values = {"k": int(params["steps"]), "delta": float(params["delta"]), "n": case_data(params).n, "L": depth, "M": width,
              "eta": float(params["eta_m"]) / width, "B": int(params["batch"])}
    bound = bounds("deviation_bound", **values)
    scored = [{**o, **compare(o["potential"] - mean, bound)} for o in obs]
    v = probability_verdict(scored, bounds("failure_probability", delta=params["delta"]), settings,
                            "P(g_p(L_S(W^(k))) − E g_p(L_S(W^(k))) > √(2k log(1/δ))·CnL⁴Mη/B)")
    unit = bound / bounds("C")
    deviations = np.array([o["potential"] - mean for o in obs])
    v.evidence.update({"implied_C": float(np.quantile(deviations, 1 - float(params["delta"])) / unit),
                       "deviation_quantiles": {q: float(np.quantile(deviations, q)) for q in (0.5, 0.9, 0.99)},
                       "mean_potential": mean, "bound_with_C_1": unit, "gap": "E22: no martingale, one-sided increments"})
    return v


D3.add(Check(
    name="deviation", kind=Kind.PROBABILITY,
    claim="over SGD runs from a fixed W^(0) (logistic, p = 1, g = −1/L_S): g(L_S(W^(k))) − E g ≤ √(2k log(1/δ))·nL⁴Mη/B "
          "(C = 1) w.p. ≥ 1 − δ; the implied C is reported (exploratory: proof gap E22)",
    cases=_d3_cases, trial=_d3_trial, verdict=_d3_verdict, negative_control={"C": "10**-9"}, confirmed=False,
))

# ==========================================================================================================
# Lemma 5.6 and Lemma 5.7
# ==========================================================================================================

L56 = register(Lemma(
    id="zou2018.lemma5.6",
    title="SGD decreases the loss inside the perturbation region",
    source=source("§5.3, Lemma 5.6 (proof App. D, pp.43–46)", "zou2018.md §3.1, §3.4"),
    statement=(r"As Lemma 5.4 with Assumption 4.4, $\eta=O(Bn^{-4}L^{-9}m^{-1}\phi)$ and the SGD $K\eta$ table: then SGD finds "
               r"$L_S(\mathbf W^{(K)})\le\epsilon$ (with probability $1-\delta$ through Lemma D.3). Proof step (D.9): the "
               r"conditional-expectation analogue of (C.6)."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("descent_factor", sp.Rational(1, 2), "E_B[L_S^(k+1)] − L_S^(k) ≤ −(factor)·η‖∇_{W_L}L_S‖_F²", "constant", "D"),
        Quantity("tau_region", K.equal_widths(K.tau_54).subs({K.c0: 1, K.C1: 1}), "Lemma 5.6's τ (constants 1)", "radius", "D"),
    ]},
    hypotheses={"region": "max_l‖W_l^(k) − W_l^(0)‖₂ ≤ τ (hidden constants 1) along the run"},
    notes=("E8: the proof's k = Ω̃(n^{12−4p}B^{−2}φ^{−2}) drops L⁸log(1/δ). E17: typos in the proof's displays.",),
))


def _d9_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 8, "d": 10, "mu": 0.5, "data_seed": 25, "m": 128, "L": 2, "batch": 2, "steps": 20,
            "eta_ms": [1.0, 8.0]}
    return cases(mode, [Case(base, 2)], [Case({**base, "m": 512, "steps": 60}, 2)], quick_trials=1)


def _d9_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    width, depth, b = int(params["m"]), int(params["L"]), int(params["batch"])
    eta_ = float(params["eta_ms"][index]) / width
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    subsets = [np.array(c) for c in itertools.combinations(range(ds.n), b)]
    factor = bounds("descent_factor")
    worst, W, distance = (-math.inf, 0.0, 0.0), W0, 0.0
    for _ in range(int(params["steps"])):
        full = deep.loss_and_grad(param, W, ds.X, ds.y, loss=losses.LOGISTIC.pair)
        expected = np.mean([deep.loss_and_grad(param, deep.sgd_step(param, W, ds.X, ds.y, c, eta_, loss=losses.LOGISTIC.pair)[0],
                                               ds.X, ds.y, loss=losses.LOGISTIC.pair).value for c in subsets])
        change, target = expected - full.value, -factor * eta_ * float(np.sum(full.grads[-1] ** 2))
        worst = max(worst, (change - target, change, target))
        W, _ = deep.sgd_step(param, W, ds.X, ds.y, deep.sample_batch(rng, ds.n, b), eta_, loss=losses.LOGISTIC.pair)
        distance = max(distance, max_distance(W, W0))
    obs = compare(worst[1], worst[2])
    tau_region = bounds("tau_region", phi=ds.phi, n=ds.n, L=depth, logm=math.log(width))
    obs.update({"hypotheses": {"region": distance <= tau_region}, "eta_m": float(params["eta_ms"][index]), "max_distance": distance})
    return obs


def _d9_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "max_k [E_B L_S^(k+1) − L_S^(k) + (η/2)‖∇_{W_L}L_S‖_F²] (exact expectation over all batches)")
    v.evidence["per_eta_m"] = {str(o["eta_m"]): {"failed": o["failed"], "max_distance": o["max_distance"]} for o in obs}
    return v


L56.add(Check(
    name="expected_descent_d9", kind=Kind.CONDITIONAL,
    claim="(D.9) with the measured ĉ0: E_B[L_S^(k+1)] − L_S^(k) ≤ −(η/2)‖∇_{W_L}L_S(W^(k))‖_F², the expectation exact over all "
          "C(n, B) batches, along SGD runs (outside the region hypothesis: slack evidence)",
    cases=_d9_cases, trial=_d9_trial, verdict=_d9_verdict, negative_control={"descent_factor": "10**4"},
))

L57 = register(Lemma(
    id="zou2018.lemma5.7",
    title="SGD stays in the perturbation region",
    source=source("§5.3, Lemma 5.7 (proof pp.46–47)", "zou2018.md §3.1"),
    statement=(r"If $\eta=O(\phi m^{-1}n^{2p-7}L^{-8}B^2)$, there is $T=\widetilde O(L^{-2}n^{-1}Bm^{-1/2}\tau)$ ($\alpha_0=\infty$) "
               r"or $T=O(L^{-2}m^{-1/2}\tau)$ ($\alpha_0<\infty$) such that $k\eta\le T$ implies, with high probability, "
               r"$\|\mathbf W_l^{(k)}-\mathbf W_l^{(0)}\|_2\le\tau$. Proof: $\|\mathbf G_l^{(k)}\|_2\le CL^2M^{1/2}\rho_0$ and "
               r"$\|\mathbf W^{(k)}-\mathbf W^{(0)}\|_2\le k\eta\max_t\|\mathbf G^{(t)}\|_2$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("rho0", sp.Integer(1), "ρ0 of the logistic loss (Assumption 4.4; derived in losses.constants)", "constant", "D"),
        Quantity("chain_bound", k * eta * sp.Symbol("rho0", real=True) * sp.Symbol("xb_max", positive=True),
                 "kηρ0·max_{t,l,i}‖x̃_{l−1,i}‖‖b̃_{l,i}‖", "bound", "D"),
    ]},
    hypotheses={},
    notes=("E7: both cases are labelled 'α0 < ∞'; the α0 = ∞ T includes B but the proof drops 1/B; "
           "'kηΣ_t‖G^(k)‖' should be ηΣ_t‖G^(t)‖. E19: (D.15) uses α0 for α1.",),
))


def _chain_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 8, "d": 10, "mu": 0.5, "data_seed": 26, "m": 128, "L": 3, "batch": 2, "steps": 40, "eta_m": 4.0}
    return cases(mode, [Case(base, 2)], [Case({**base, "m": 512, "steps": 200}, 3)], quick_trials=1)


def _chain_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    width, depth, steps = int(params["m"]), int(params["L"]), int(params["steps"])
    eta_ = float(params["eta_m"]) / width
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    products: list[float] = []
    path = [0.0] * depth

    def record(W: deep.DeepWeights, idx: np.ndarray, lg: deep.LossGrad) -> None:
        cache = deep.forward(param, W, ds.X[idx])
        for l in range(1, depth + 1):
            xb = np.linalg.norm(cache.h[l - 1], axis=1) * np.linalg.norm(b_vectors(param, W, cache, l), axis=1)
            products.append(float(np.max(xb)))
            path[l - 1] += eta_ * spectral_norm(lg.grads[l - 1])

    W = _sgd(param, W0, ds, eta_, steps, int(params["batch"]), rng, record)
    distances = [spectral_norm(A - A0) for A, A0 in zip(W.Ws, W0.Ws)]
    bound = bounds("chain_bound", k=steps, eta=eta_, rho0=bounds("rho0"), xb_max=max(products))
    worst = int(np.argmax(distances))
    obs = compare(distances[worst], bound)
    obs.update({"hypotheses": {}, "path_length": path[worst], "implied_C": max(products) / (depth**2 * math.sqrt(width)),
                "triangle_step_holds": all(dd <= p * (1 + 1e-12) for dd, p in zip(distances, path))})
    return obs


def _chain_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "max_l‖W_l^(k) − W_l^(0)‖₂ against kηρ0·max‖x̃‖‖b̃‖")
    v.evidence.update({"implied_C_of_L2_sqrtM": max(o["implied_C"] for o in obs),
                       "triangle_step_holds": all(o["triangle_step_holds"] for o in obs)})
    return v


L57.add(Check(
    name="proof_chain", kind=Kind.CONDITIONAL,
    claim="‖W_l^(k) − W_l^(0)‖₂ ≤ ηΣ_t‖G_l^(t)‖₂ ≤ kηρ0·max_{t,l,i}‖x̃_{l−1,i}‖‖b̃_{l,i}‖ along SGD runs (logistic, ρ0 = 1); "
          "implied C of ‖G‖ ≤ CL²√Mρ0 reported",
    cases=_chain_cases, trial=_chain_trial, verdict=_chain_verdict, negative_control={"chain_bound": "0"},
))
