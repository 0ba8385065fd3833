"""Zou et al. Lemmas C.1, C.2, 5.4, 5.5 (the GD analysis, Appendix C) and, reused by the SGD module, the one-step
decomposition of Lemma D.1.

* C.1 [X]: (a − b)/b^{2p} ≥ (a^{1−2p} − b^{1−2p})/(1 − 2p) on random (a, b, p).
* C.2 [X]: the telescoping identity (E.2), Δ_i = y_iΣ_l vᵀ(Π_{r>l}Σ_rW_rᵀ)(Σ′_lW′_lᵀ − Σ_lW_lᵀ)x′_{l−1,i} split into
  I¹ (pattern change) + I³ (second order) + I⁴ = u_{l,i} (first order), and the u-identity
  (1/n)Σ_iℓ′_iy_iu_{l,i} = −η‖∇_{W_l}L_S‖_F², on one GD step (or one SGD step with G_l, Lemma D.1).
  [S, exploratory]: Σ|I¹|/Σ|I⁴| at η = η0/m against m (about m^{−1/2} [U]).
* 5.4 [slack evidence]: (C.6) with the *measured* ĉ0, i.e. L_S^{(k+1)} − L_S^{(k)} ≤ −(η/2)‖∇_{W_L}L_S(W^{(k)})‖_F², along
  GD runs at several ηm; the largest ηm for which it held is reported. The region hypothesis (‖W^{(k)} − W^{(0)}‖₂ ≤ τ
  with Lemma 5.4's τ, hidden constants 1) fails at every feasible width (spec §5), so this is slack evidence.
* 5.5: [X with measured constants] the proof's chain ‖W_l^{(k)} − W_l^{(0)}‖₂ ≤ ηΣ_t‖∇_l^{(t)}‖₂ ≤
  c1L²√(2kηn³L0M/(c0mφ)) with c1, c0 measured along the run, wherever (C.6) held; [S, slack] the distance from
  initialization against m at fixed ηm and k (exponent −½).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare, exponent_verdict, max_error_verdict
from lemmas.core import deep
from lemmas.core.perturb import spectral_norm
from lemmas.papers.zou2018 import constants as K, losses, source
from lemmas.papers.zou2018.checking import case_data, cases
from lemmas.papers.zou2018.network import max_distance, network
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, L, Quantity, eta, k, m, n, phi

# ==========================================================================================================
# Lemma C.1
# ==========================================================================================================

C1 = register(Lemma(
    id="zou2018.lemmaC.1",
    title="A concavity inequality for the potential g_p",
    source=source("App. C, Lemma C.1 (proof p.48)", "zou2018.md §3.4"),
    statement=(r"For $a,b>0$ and $p\in[0,\frac12)\cup(\frac12,1]$: $\frac{a-b}{b^{2p}}\ge\frac{a^{1-2p}-b^{1-2p}}{1-2p}$."),
    tag="V",
    quantities={"factor": Quantity("factor", sp.Integer(1), "factor on the right side", "constant", "V")},
    hypotheses={},
))


def _c1_cases(mode: Mode) -> Sequence[Case]:
    return cases(mode, [Case({"samples": 50_000}, 4)], [Case({"samples": 500_000}, 8)], quick_trials=1)


def _c1_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    size = int(params["samples"])
    a, b = np.exp(rng.uniform(-7, 7, size)), np.exp(rng.uniform(-7, 7, size))
    p = rng.uniform(0, 1, size)
    p = np.where(np.abs(p - 0.5) < 1e-3, 0.25, p)
    if index == 0:  # the end p = 1 (at p = 0 both sides equal a − b exactly, which rounding cannot certify)
        p[: size // 4] = 1.0
    lhs = (a - b) / b ** (2 * p)
    rhs = bounds("factor") * (a ** (1 - 2 * p) - b ** (1 - 2 * p)) / (1 - 2 * p)
    scale = np.maximum(np.abs(lhs), np.abs(rhs)) + 1e-300
    worst = int(np.argmin((lhs - rhs) / scale))
    obs = compare(float(lhs[worst]), float(rhs[worst]), upper=False, scale=float(scale[worst]))
    obs.update({"hypotheses": {}, "a": float(a[worst]), "b": float(b[worst]), "p": float(p[worst])})
    return obs


def _c1_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "(a − b)/b^{2p} − (a^{1−2p} − b^{1−2p})/(1 − 2p) (worst relative margin)")


C1.add(Check(
    name="random", kind=Kind.IDENTITY,
    claim="(a − b)/b^{2p} ≥ (a^{1−2p} − b^{1−2p})/(1 − 2p) for random a, b ∈ [e⁻⁷, e⁷], p ∈ (0, 1] (p ≠ ½), to rounding "
          "(p = 0 is an identity)",
    cases=_c1_cases, trial=_c1_trial, verdict=_c1_verdict, negative_control={"factor": "2"},
))

# ==========================================================================================================
# Lemma C.2 (and the decomposition shared with Lemma D.1)
# ==========================================================================================================

C2 = register(Lemma(
    id="zou2018.lemmaC.2",
    title="One-step change of the margins under GD",
    source=source("App. C, Lemma C.2 (proof App. E, (E.2)–(E.7))", "zou2018.md §3.4"),
    statement=(r"Inside the $\tau$-ball, with $\Delta_i^{(k)}=y_i(\widehat y_i^{(k+1)}-\widehat y_i^{(k)})$: "
               r"$|\Delta_i^{(k)}|\le-\frac{\overline CL^4M\eta}n\sum_i\ell'_i$ and "
               r"$\Delta_i^{(k)}\ge\frac{\underline C'L^{17/3}\tau^{1/3}M\eta\sqrt{\log M}+\underline C''L^9M^2\eta^2}{n}\sum_i\ell'_i"
               r"+\sum_ly_iu_{l,i}$, $u_{l,i}=-\eta\mathbf v^\top(\prod_{r=l+1}^L\boldsymbol\Sigma_{r,i}\mathbf W_r^\top)\boldsymbol\Sigma_{l,i}"
               r"(\nabla_{\mathbf W_l}L_S)^\top\mathbf x_{l-1,i}$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("first_order_weight", sp.Integer(1), "weight of I⁴ = u in the telescoping sum", "constant", "V"),
        Quantity("u_identity_coefficient", -eta, "(1/n)Σℓ′_iy_iu_{l,i} = (coefficient)·‖∇_{W_l}L_S‖_F²", "constant", "V"),
        Quantity("ratio_exponent", sp.Rational(-1, 2), "exponent of m in Σ|I¹|/Σ|I⁴| at η = η0/m", "rate", "U"),
    ]},
    hypotheses={},
    notes=("E16: 'Lemma (vi)' means Theorem 5.3(vi); (C.1) is stated one-sided but proved for |Δ|.",),
))


def decomposition(param: deep.DeepParameterization, W: deep.DeepWeights, X: np.ndarray, y: np.ndarray, eta_: float,
                  loss: losses.Loss, batch: np.ndarray | None = None) -> dict[str, Any]:
    """One GD (``batch=None``) or SGD step and the terms of (E.2): returns Δ (n), I¹, I³, I⁴ (L × n), the
    telescoping and u-identity relative errors, and the new weights."""
    cache = deep.forward(param, W, X)
    idx = np.arange(X.shape[0]) if batch is None else np.asarray(batch)
    lg = deep.loss_and_grad(param, W, X[idx], y[idx], loss=loss.pair)
    steps = [-eta_ * G for G in lg.grads]
    W_new = W.perturbed(steps)
    new = deep.forward(param, W_new, X)
    delta = y * (new.out[:, 0] - cache.out[:, 0])
    depth = param.L
    I1, I3, I4 = (np.zeros((depth, X.shape[0])) for _ in range(3))
    u_errors = []
    lp = loss.d1(y * cache.out[:, 0])
    for l in range(1, depth + 1):
        R = deep.back_vectors(param, W, cache, l + 1)[:, 0, :]
        D_old, D_new = cache.D[l], new.D[l]
        I1[l - 1] = np.sum(R * ((D_new.astype(float) - D_old) * new.g[l]), axis=1)
        I4[l - 1] = np.sum(R * (D_old * (cache.h[l - 1] @ steps[l - 1].T)), axis=1)
        I3[l - 1] = np.sum(R * (D_old * ((new.h[l - 1] - cache.h[l - 1]) @ steps[l - 1].T)), axis=1)
        left = float(np.mean(lp[idx] * y[idx] * I4[l - 1][idx]))
        right = float(np.sum(lg.grads[l - 1] ** 2))
        u_errors.append((left, right))
    return {"delta": delta, "I1": I1, "I3": I3, "I4": I4, "u_pairs": u_errors, "weights": W_new}


def _identity_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 8, "d": 10, "mu": 0.5, "data_seed": 18, "m": 128, "L": 3, "eta_m": 4.0}
    return cases(mode, [Case({**base}, 3)], [Case({**base, "m": 512, "L": 5}, 5)], quick_trials=1)


def identity_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    """(E.2) and the u-identity on one step from a fresh initialization (SGD when ``params['batch']`` is set)."""
    ds = case_data(params)
    depth, width = int(params["L"]), int(params["m"])
    eta_ = float(params["eta_m"]) / width
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W = deep.init_params(param, rng)
    batch = deep.sample_batch(rng, ds.n, int(params["batch"])) if params.get("batch") else None
    terms = decomposition(param, W, ds.X, ds.y, eta_, losses.LOGISTIC, batch)
    weight = bounds("first_order_weight")
    recon = ds.y * np.sum(terms["I1"] + terms["I3"] + weight * terms["I4"], axis=0)
    tele = float(np.max(np.abs(terms["delta"] - recon)) / np.max(np.abs(terms["delta"])))
    coefficient = bounds("u_identity_coefficient", eta=eta_)
    u_err = max(abs(left - coefficient * right) / abs(coefficient * right) for left, right in terms["u_pairs"])
    return {"hypotheses": {}, "error": max(tele, u_err), "telescoping_error": tele, "u_identity_error": u_err,
            "pattern_changes": int(np.count_nonzero(terms["I1"])), "max_abs_delta": float(np.max(np.abs(terms["delta"])))}


def identity_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return max_error_verdict(obs, 1e-10, "relative error of (E.2) and of the u-identity")


C2.add(Check(
    name="identities", kind=Kind.IDENTITY,
    claim="Δ_i = y_iΣ_l(I¹ + I³ + I⁴)_{l,i} (E.2) and (1/n)Σ_iℓ′_iy_iu_{l,i} = −η‖∇_{W_l}L_S‖_F² on one GD step, to rounding",
    cases=_identity_cases, trial=identity_trial, verdict=identity_verdict, negative_control={"first_order_weight": "0"},
))

_WIDTHS, _TEST, _CALIB = (128, 256, 512, 1024), 3, 1


def _ratio_cases(mode: Mode) -> Sequence[Case]:
    return [Case({"data": "random_sphere", "n": 8, "d": 10, "mu": 0.5, "data_seed": 19, "L": 2, "eta_m": 4.0, "steps": 10,
                  "widths": list(_WIDTHS)}, len(_WIDTHS) * (_TEST + _CALIB))]


def _ratio_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    width, depth = int(params["widths"][index // (_TEST + _CALIB)]), int(params["L"])
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W = deep.init_params(param, rng)
    pattern = first = 0.0
    for _ in range(int(params["steps"])):
        terms = decomposition(param, W, ds.X, ds.y, float(params["eta_m"]) / width, losses.LOGISTIC)
        pattern += float(np.sum(np.abs(terms["I1"])))
        first += float(np.sum(np.abs(terms["I4"])))
        W = terms["weights"]
    return {"hypotheses": {}, "x": width, "y": max(pattern, 1e-300) / first,
            "role": "calibration" if index % (_TEST + _CALIB) >= _TEST else "test"}


def _ratio_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return exponent_verdict(obs, bounds("ratio_exponent"), "upper", "Σ|I¹|/Σ|I⁴| over 10 GD steps", "m", settings)


C2.add(Check(
    name="pattern_term_ratio", kind=Kind.EXPONENT,
    claim="the pattern-change term I¹ is small against the first-order term I⁴ at η = η0/m: Σ|I¹|/Σ|I⁴| = O(m^{−1/2}) [U]",
    cases=_ratio_cases, trial=_ratio_trial, verdict=_ratio_verdict, negative_control={"ratio_exponent": "-3"}, confirmed=False,
))

# ==========================================================================================================
# Lemma 5.4 and Lemma 5.5: GD runs
# ==========================================================================================================

L54 = register(Lemma(
    id="zou2018.lemma5.4",
    title="GD decreases the loss inside the perturbation region",
    source=source("§5.2, Lemma 5.4 (proof App. C.1)", "zou2018.md §3.1, §4"),
    statement=(r"Assume Theorem 5.1, Assumptions 3.1–3.6 and $\|\mathbf W_l^{(k)}-\mathbf W_l^{(0)}\|_2\le\tau$ for $k\le K$, with "
               r"$\tau=O(n^{-9}L^{-17}\phi^3)$ and $\eta=O(n^{-3}L^{-9}m^{-1}\phi)$. If $K\eta$ exceeds the table's value "
               r"($\widetilde\Omega(n^5/(m\phi))+\widetilde\Omega(n^{5-2p}\epsilon^{1-2p}/(m\phi))$ for $\alpha_0<\infty$, $p>\frac12$), "
               r"then $L_S(\mathbf W^{(K)})\le\epsilon$. Proof step (C.6): $L_S^{(k+1)}-L_S^{(k)}\le-\eta\frac{c_0m\phi}{2n^5}(\sum_i\ell'_i)^2$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("descent_factor", sp.Rational(1, 2), "(C.6) with measured ĉ0: ΔL_S ≤ −(factor)·η‖∇_{W_L}L_S‖_F²", "constant", "D",
                 "ĉ0mφ(Σℓ′)²/n⁵ = ‖∇_{W_L}L_S‖_F² by the definition of the measured ĉ0"),
        Quantity("tau_region", K.equal_widths(K.tau_54).subs({K.c0: 1, K.C1: 1}), "Lemma 5.4's τ (constants 1)", "radius", "D"),
    ]},
    hypotheses={"region": "max_l‖W_l^(k) − W_l^(0)‖₂ ≤ τ of Lemma 5.4 (hidden constants 1) along the run"},
    notes=("E3: the proof prints τ = Õ(n⁻⁹L⁻¹⁷φ⁹); it is φ³ (checked in zou2018.errata).",),
))


def _run_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 8, "d": 10, "mu": 0.5, "data_seed": 20, "m": 256, "L": 2, "steps": 60,
            "eta_ms": [0.5, 2.0, 8.0, 32.0]}
    return cases(mode, [Case(base, len(base["eta_ms"]))], [Case({**base, "m": 1024, "steps": 200}, 4)], quick_trials=1)


def gd_run_with_measurements(params: Mapping[str, Any], rng: np.random.Generator, eta_m: float) -> dict[str, Any]:
    """A GD run recording, per step, L_S, ‖∇_{W_L}L_S‖_F², max_l‖∇_{W_l}L_S‖₂, Σ_iℓ′_i and the distance from init."""
    ds = case_data(params)
    depth, width = int(params["L"]), int(params["m"])
    eta_ = eta_m / width
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    W, rows = W0, []
    for _ in range(int(params["steps"]) + 1):
        lg = deep.loss_and_grad(param, W, ds.X, ds.y, loss=losses.LOGISTIC.pair)
        lp = losses.LOGISTIC.d1(ds.y * lg.cache.out[:, 0])
        rows.append({"loss": lg.value, "last_grad_sq": float(np.sum(lg.grads[-1] ** 2)),
                     "grad_spectral": [spectral_norm(G) for G in lg.grads], "sum_lprime": float(np.sum(lp)),
                     "distance": max_distance(W, W0), "error": float(np.mean(ds.y * lg.cache.out[:, 0] <= 0))})
        W = W.perturbed([-eta_ * G for G in lg.grads])
    return {"rows": rows, "eta": eta_, "ds": ds, "depth": depth, "width": width}


def _descent_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    eta_m = float(params["eta_ms"][index])
    run = gd_run_with_measurements(params, rng, eta_m)
    rows, eta_, ds = run["rows"], run["eta"], run["ds"]
    factor = bounds("descent_factor")
    slack = [rows[t + 1]["loss"] - rows[t]["loss"] + factor * eta_ * rows[t]["last_grad_sq"] for t in range(len(rows) - 1)]
    worst = int(np.argmax(slack))
    obs = compare(rows[worst + 1]["loss"] - rows[worst]["loss"], -factor * eta_ * rows[worst]["last_grad_sq"])
    tau_region = bounds("tau_region", phi=ds.phi, n=ds.n, L=run["depth"], logm=math.log(run["width"]))
    obs.update({"hypotheses": {"region": max(r["distance"] for r in rows) <= tau_region}, "eta_m": eta_m,
                "steps_violating": int(np.sum(np.array(slack) > 0)), "final_loss": rows[-1]["loss"],
                "max_distance": max(r["distance"] for r in rows), "tau_region": tau_region})
    return obs


def _descent_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "max_k [L_S^(k+1) − L_S^(k) + (η/2)‖∇_{W_L}L_S(W^(k))‖_F²] over GD runs")
    holding = [o["eta_m"] for o in obs if not o["failed"]]
    v.evidence.update({"largest_eta_m_holding": max(holding) if holding else None,
                       "per_eta_m": {str(o["eta_m"]): {"violating_steps": o["steps_violating"], "final_loss": o["final_loss"],
                                                       "max_distance": o["max_distance"]} for o in obs},
                       "tau_region": obs[0]["tau_region"]})
    return v


L54.add(Check(
    name="descent_c6", kind=Kind.CONDITIONAL,
    claim="(C.6) with the measured ĉ0 — L_S^(k+1) − L_S^(k) ≤ −(η/2)‖∇_{W_L}L_S(W^(k))‖_F² — along GD runs at ηm = 0.5, 2, 8, 32 "
          "(outside the region hypothesis: slack evidence; the largest ηm for which it held is reported)",
    cases=_run_cases, trial=_descent_trial, verdict=_descent_verdict, negative_control={"descent_factor": "10**4"},
))

L55 = register(Lemma(
    id="zou2018.lemma5.5",
    title="GD stays in the perturbation region",
    source=source("§5.2, Lemma 5.5 (proof App. D, p.42)", "zou2018.md §3.1, §4"),
    statement=(r"Assume Theorem 5.1 holds. There is $T=O(L^{-4}n^{-3}\tau^2\phi)$ such that $k\eta\le T$ implies "
               r"$\|\mathbf W_l^{(k)}-\mathbf W_l^{(0)}\|_2\le\tau$ for all $l$; explicitly "
               r"$T=\frac{\tau^2c_0m\phi}{2c_1^2L^4Mn^3L_S(\mathbf W^{(0)})}$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("trajectory_bound", sp.Symbol("c1_hat", positive=True) * L**2
                 * sp.sqrt(2 * k * eta * n**3 * K.L0 * m / (sp.Symbol("c0_hat", positive=True) * m * phi)),
                 "c1L²√(2kηn³L0M/(c0mφ)) (T solved for τ), c0 and c1 measured along the run, M = m", "bound", "D"),
        Quantity("width_exponent", sp.Rational(-1, 2), "exponent of m in the distance at fixed ηm and k", "rate", "D"),
        Quantity("tau_region", K.equal_widths(K.tau_54).subs({K.c0: 1, K.C1: 1}), "Lemma 5.4's τ (constants 1)", "radius", "D"),
    ]},
    hypotheses={"descent": "(C.6) held at every step of the run (measured ĉ0)",
                "region": "max_l‖W_l^(k) − W_l^(0)‖₂ ≤ τ of Lemma 5.4 (hidden constants 1)"},
    notes=("E15: the sum over t is written with index k.",),
))


def _chain_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 8, "d": 10, "mu": 0.5, "data_seed": 21, "m": 256, "L": 2, "steps": 60, "eta_ms": [0.5, 2.0]}
    return cases(mode, [Case(base, 2)], [Case({**base, "m": 1024, "steps": 200}, 2)], quick_trials=1)


def _chain_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    run = gd_run_with_measurements(params, rng, float(params["eta_ms"][index]))
    rows, eta_, ds, depth, width = run["rows"], run["eta"], run["ds"], run["depth"], run["width"]
    steps = len(rows) - 1
    c6 = all(rows[t + 1]["loss"] - rows[t]["loss"] <= -0.5 * eta_ * rows[t]["last_grad_sq"] for t in range(steps))
    c0_hat = min(r["last_grad_sq"] * ds.n**5 / (width * ds.phi * r["sum_lprime"] ** 2) for r in rows[:-1])
    c1_hat = max(max(r["grad_spectral"]) * ds.n / (depth**2 * math.sqrt(width) * abs(r["sum_lprime"])) for r in rows[:-1])
    bound = bounds("trajectory_bound", c1_hat=c1_hat, c0_hat=c0_hat, L=depth, k=steps, eta=eta_, n=ds.n, L0=rows[0]["loss"],
                   m=width, phi=ds.phi)
    obs = compare(rows[-1]["distance"], bound)
    tau_region = bounds("tau_region", phi=ds.phi, n=ds.n, L=depth, logm=math.log(width))
    obs.update({"hypotheses": {"descent": c6, "region": max(r["distance"] for r in rows) <= tau_region},
                "c0_hat": c0_hat, "c1_hat": c1_hat, "eta_m": float(params["eta_ms"][index])})
    return obs


def _chain_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "max_l‖W_l^(K) − W_l^(0)‖₂ against c1L²√(2Kηn³L0M/(c0mφ))")
    v.evidence.update({"c0_hat": [o["c0_hat"] for o in obs], "c1_hat": [o["c1_hat"] for o in obs]})
    return v


L55.add(Check(
    name="proof_chain", kind=Kind.CONDITIONAL,
    claim="the proof's chain with measured constants: max_l‖W_l^(K) − W_l^(0)‖₂ ≤ c1L²√(2Kηn³L0/(c0φ)) whenever (C.6) held",
    cases=_chain_cases, trial=_chain_trial, verdict=_chain_verdict, negative_control={"trajectory_bound": "0"},
))

_DIST_WIDTHS = (128, 256, 512, 1024)


def _distance_cases(mode: Mode) -> Sequence[Case]:
    return [Case({"data": "random_sphere", "n": 6, "d": 10, "mu": 0.5, "data_seed": 22, "L": 2, "eta_m": 2.0, "steps": 40,
                  "widths": list(_DIST_WIDTHS)}, len(_DIST_WIDTHS) * (_TEST + _CALIB))]


def _distance_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    width, depth = int(params["widths"][index // (_TEST + _CALIB)]), int(params["L"])
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    W = W0
    for _ in range(int(params["steps"])):
        W, _ = deep.gd_step(param, W, ds.X, ds.y, float(params["eta_m"]) / width, loss=losses.LOGISTIC.pair)
    dist = max_distance(W, W0)
    tau_region = bounds("tau_region", phi=ds.phi, n=ds.n, L=depth, logm=math.log(width))
    return {"hypotheses": {"region": dist <= tau_region}, "x": width, "y": dist,
            "role": "calibration" if index % (_TEST + _CALIB) >= _TEST else "test"}


def _distance_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return exponent_verdict(obs, bounds("width_exponent"), "upper", "max_l‖W_l^(K) − W_l^(0)‖₂", "m", settings)


L55.add(Check(
    name="distance_width_exponent", kind=Kind.EXPONENT,
    claim="at fixed ηm and K the distance from initialization is O(m^{−1/2}) (T is m-free and η ∝ 1/m): fitted exponent in m",
    cases=_distance_cases, trial=_distance_trial, verdict=_distance_verdict, negative_control={"width_exponent": "-2"},
))
