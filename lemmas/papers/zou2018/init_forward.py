"""Zou et al. Theorem 5.1 (i), (iii), (iv) through Lemmas A.1, A.2, A.6, A.7: the forward pass at initialization.

All are [P] claims over the Gaussian initialization for fixed data. The paper never evaluates its constants, so
each check uses a constant *derived* here (spec §3.2 [D]) and reports the implied constant of the paper's form:
* A.1: ‖x_l‖²/‖x_{l−1}‖² ~ (2/m)χ²_{Bin(m,1/2)} exactly; a Chernoff bound on this law gives
  ξ = √(c·log(2nL/δ)/m) with c = 15.474 (constants.chernoff_c_a1);
* A.2 / 5.1(i): |‖x_l‖ − 1| ≤ l·ξ when Lξ ≤ 2 (from A.1 by induction); the depth exponent (1 claimed, √L typical);
* 5.1(i) ‖W_l‖₂: Gordon's bound plus Gaussian concentration;
* A.6 / 5.1(iii): |ŷ_i| ≤ 2‖x_{L−1,i}‖√(log(2n/δ)) (Gaussian concentration, ŷ is √2‖x_{L−1}‖-Lipschitz);
* A.7 / 5.1(iv): |S_{l,i}(β)| ≤ 2m^{3/2}β at β = c_β log(nL/δ)/m^{3/2} (c_β ≥ 1 is the lemma's width condition).
Forward passes at initialization use :func:`network.init_representations` (the exact law, O(n·m) per layer).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import compare, exponent_verdict, probability_verdict
from lemmas.core import deep
from lemmas.core.perturb import spectral_norm
from lemmas.papers.zou2018 import constants as K, source
from lemmas.papers.zou2018.checking import case_data, cases
from lemmas.papers.zou2018.network import init_representations, network
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, delta, L, m, n, ref

ell = sp.Symbol("l", positive=True)  # the layer index in per-layer bounds


def _ratios(params: Mapping[str, Any], rng: np.random.Generator):
    X = case_data(params).X
    widths = (int(params["m"]),) * int(params["L"])
    return init_representations(rng, X, widths)


# ==========================================================================================================
# Lemma A.1
# ==========================================================================================================

A1 = register(Lemma(
    id="zou2018.lemmaA.1",
    title="Norm ratios of consecutive layers at initialization",
    source=source("App. A, Lemma A.1", "zou2018.md §3.2"),
    statement=(r"There is $C$ such that if $m_l\ge C^2\log(nL/\delta)$ then, with probability at least $1-\delta$, "
               r"$\big|\|\mathbf x_{l,i}\|_2^2-\|\mathbf x_{l-1,i}\|_2^2\big|\le C\|\mathbf x_{l-1,i}\|_2^2\sqrt{\log(nL/\delta)/m_l}$ "
               r"for all $i\in[n]$, $l\in[L]$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("xi", K.xi_a1(), "bound on |‖x_l‖²/‖x_{l−1}‖² − 1| (Chernoff on the exact law, union over 2nL tails)", "bound", "D",
                 "P(|r − 1| > ξ) ≤ 2exp(−mξ²/c) for ξ ≤ 1, c = sup ξ²/I(ξ) = 15.474; 2nL·exp(−mξ²/c) = δ"),
        Quantity("width", sp.Float(K.chernoff_c_a1(), 6) * sp.log(2 * n * L / delta), "width at which ξ ≤ 1", "width", "D"),
        Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
    ]},
    hypotheses={"width": "m ≥ c·log(2nL/δ) (ξ ≤ 1, where the Chernoff bound is used)"},
    notes=("Exact conditional law [D]: ‖x_l‖²/‖x_{l−1}‖² = (2/m)χ²_K, K ~ Bin(m, 1/2); mean 1, variance 5/m.",),
))


def _a1_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "d": 10, "mu": 0.5, "data_seed": 1, "delta": 0.1}
    return cases(mode, [Case({**base, "n": 8, "L": 3, "m": 2048}, 200), Case({**base, "n": 16, "L": 2, "m": 8192}, 200)],
                 [Case({**base, "n": 32, "L": 6, "m": 16384}, 1000)], quick_trials=30)


def _a1_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    sizes = {"n": int(params["n"]), "L": int(params["L"]), "m": int(params["m"]), "delta": float(params["delta"])}
    H = _ratios(params, rng).H
    ratios = np.stack([np.sum(H[l] ** 2, 1) / np.sum(H[l - 1] ** 2, 1) for l in range(1, len(H))])
    value = float(np.max(np.abs(ratios - 1.0)))
    obs = compare(value, bounds("xi", **sizes))
    obs["hypotheses"] = {"width": sizes["m"] >= bounds("width", **sizes)}
    obs["implied_C"] = value / math.sqrt(math.log(sizes["n"] * sizes["L"] / sizes["delta"]) / sizes["m"])
    return obs


def _a1_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings, "P(max_{i,l} |‖x_l‖²/‖x_{l−1}‖² − 1| > ξ)")
    v.evidence["implied_C_quantile"] = float(np.quantile([o["implied_C"] for o in obs], 1 - float(params["delta"])))
    return v


A1.add(Check(
    name="probability", kind=Kind.PROBABILITY,
    claim="max_{i,l} |‖x_{l,i}‖²/‖x_{l−1,i}‖² − 1| ≤ √(15.474·log(2nL/δ)/m) with probability ≥ 1 − δ",
    cases=_a1_cases, trial=_a1_trial, verdict=_a1_verdict, negative_control={"xi": "sqrt(log(2*n*L/delta)/m)/2"},
))

# ==========================================================================================================
# Corollary A.2 / Theorem 5.1(i)
# ==========================================================================================================

A2 = register(Lemma(
    id="zou2018.corollaryA.2",
    title="Hidden-layer norms at initialization (Theorem 5.1(i))",
    source=source("App. A, Corollary A.2; Theorem 5.1(i)", "zou2018.md §3.1, §3.2"),
    statement=(r"With probability at least $1-\delta$, $\big|\|\mathbf x_{l,i}\|_2-1\big|\le Cl\sqrt{\log(nL/\delta)/m}$ "
               r"for all $i,l$; Theorem 5.1(i): $\big|\|\mathbf x_{l,i}\|_2-1\big|\le\overline C'L\sqrt{\log(nL/\delta)/m}$ "
               r"and $\|\mathbf W_l\|_2\le\overline C'$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("xi", K.xi_a1(), "Lemma A.1's per-layer ratio bound", "bound", "D"),
        Quantity("deviation", ell * ref("xi"), "bound on |‖x_{l,i}‖ − 1| at layer l", "bound", "D",
                 "‖x_l‖² ∈ [(1 − ξ)^l, (1 + ξ)^l] ⇒ |‖x_l‖ − 1| ≤ lξ when Lξ ≤ 2"),
        Quantity("width", sp.Float(K.chernoff_c_a1(), 6) * L**2 * sp.log(2 * n * L / delta) / 4, "width at which Lξ ≤ 2", "width", "D"),
        Quantity("weight_norm_bound", K.weight_norm_bound, "bound on ‖W_l‖₂ (Gordon + concentration)", "bound", "D"),
        Quantity("depth_exponent", sp.Integer(1), "exponent of L in the deviation (Theorem 5.1(i): C̄′L)", "rate", "V"),
        Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
    ]},
    hypotheses={"width": "Lξ ≤ 2"},
    notes=("The union-bound growth is linear in l; the typical growth is √l (log‖x_l‖² is a sum of l increments).",),
))


def _a2_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    sizes = {"n": int(params["n"]), "L": int(params["L"]), "m": int(params["m"]), "delta": float(params["delta"])}
    H = _ratios(params, rng).H
    dev = np.array([np.max(np.abs(np.linalg.norm(H[l], axis=1) - 1.0)) for l in range(1, len(H))])
    bound = np.array([bounds("deviation", l=l, **sizes) for l in range(1, len(H))])
    worst = int(np.argmin(bound - dev))
    obs = compare(float(dev[worst]), float(bound[worst]))
    obs["layer"] = worst + 1
    obs["hypotheses"] = {"width": sizes["m"] >= bounds("width", **sizes)}
    return obs


def _a2_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings, "P(∃ l, i: |‖x_{l,i}‖ − 1| > lξ)")


A2.add(Check(
    name="probability", kind=Kind.PROBABILITY,
    claim="|‖x_{l,i}‖ − 1| ≤ l·√(15.474·log(2nL/δ)/m) for all l, i with probability ≥ 1 − δ",
    cases=_a1_cases, trial=_a2_trial, verdict=_a2_verdict, negative_control={"deviation": "l*xi/20"},
))

_DEPTHS, _REPS, _CALIB = (1, 2, 4, 8, 16), 6, 3


def _a2_depth_cases(mode: Mode) -> Sequence[Case]:
    depths = _DEPTHS + ((32,) if mode is Mode.FULL else ())
    return [Case({"data": "random_sphere", "n": 4, "d": 10, "mu": 0.5, "data_seed": 2, "m": 4096, "delta": 0.1,
                  "depths": list(depths)}, len(depths) * (_REPS + _CALIB))]


def _a2_depth_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    depth = int(params["depths"][index // (_REPS + _CALIB)])
    H = init_representations(rng, case_data(params).X, (int(params["m"]),) * depth).H
    dev = max(np.max(np.abs(np.linalg.norm(H[l], axis=1) - 1.0)) for l in range(1, depth + 1))
    scale = math.sqrt(math.log(int(params["n"]) * depth / float(params["delta"])) / int(params["m"]))
    return {"hypotheses": {}, "x": depth, "y": float(dev / scale),
            "role": "calibration" if index % (_REPS + _CALIB) >= _REPS else "test"}


def _a2_depth_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return exponent_verdict(obs, bounds("depth_exponent"), "upper", "max|‖x_{l,i}‖ − 1|·√(m/log(nL/δ))", "L", settings)


A2.add(Check(
    name="depth_exponent", kind=Kind.EXPONENT,
    claim="max_{i,l}|‖x_{l,i}‖ − 1|√(m/log(nL/δ)) = O(L) (Theorem 5.1(i)): fitted exponent in L (about ½ expected)",
    cases=_a2_depth_cases, trial=_a2_depth_trial, verdict=_a2_depth_verdict, negative_control={"depth_exponent": "0"},
))


def _weight_cases(mode: Mode) -> Sequence[Case]:
    return cases(mode, [Case({"d": 16, "m": 128, "L": 3, "delta": 0.1}, 200)], [Case({"d": 64, "m": 512, "L": 3, "delta": 0.05}, 500)],
                 quick_trials=30)


def _weight_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    d, width, depth, dlt = int(params["d"]), int(params["m"]), int(params["L"]), float(params["delta"])
    weights = deep.init_params(network(d, (width,) * depth), rng)
    margins = []
    for l, W in enumerate(weights.Ws, start=1):
        bound = bounds("weight_norm_bound", m=width, m_prev=(d if l == 1 else width), L=depth, delta=dlt)
        margins.append((bound - spectral_norm(W), spectral_norm(W), bound))
    worst = min(margins)
    obs = compare(worst[1], worst[2])
    obs["hypotheses"] = {}
    return obs


def _weight_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings, "P(∃ l: ‖W_l‖₂ > √(2/m_l)(√m_{l−1} + √m_l + √(2log(L/δ))))")


A2.add(Check(
    name="weight_norm", kind=Kind.PROBABILITY,
    claim="‖W_l‖₂ ≤ √(2/m_l)(√m_{l−1} + √m_l + √(2 log(L/δ))) (≈ 2√2 = C̄′ for square layers) for all l, w.p. ≥ 1 − δ",
    cases=_weight_cases, trial=_weight_trial, verdict=_weight_verdict, negative_control={"weight_norm_bound": "sqrt(2/m)*(sqrt(m_prev) + sqrt(m))/2"},
))

# ==========================================================================================================
# Lemma A.6 / Theorem 5.1(iii)
# ==========================================================================================================

A6 = register(Lemma(
    id="zou2018.lemmaA.6",
    title="Outputs at initialization are O(√log(n/δ)) (Theorem 5.1(iii))",
    source=source("App. A, Lemma A.6; Theorem 5.1(iii)", "zou2018.md §3.2"),
    statement=r"With probability at least $1-\delta$, $|\widehat y_i|\le C\sqrt{\log(n/\delta)}$ for all $i\in[n]$.",
    tag="V",
    quantities={q.name: q for q in [
        Quantity("C", K.a6_constant, "constant of the Gaussian-concentration form", "constant", "D",
                 "ŷ = Σ_j v_jσ(z_j) is √2‖x_{L−1}‖-Lipschitz in standard units; P(|ŷ| > t) ≤ 2exp(−t²/(4‖x_{L−1}‖²))"),
        Quantity("output_bound", ref("C") * K.xnorm * sp.sqrt(sp.log(2 * n / delta)),
                 "bound on |ŷ_i| given ‖x_{L−1,i}‖", "bound", "D"),
        Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
    ]},
    hypotheses={},
    notes=("Exact conditional variance [D]: Var(ŷ_i | x_{L−1,i}) = ‖x_{L−1,i}‖²(1 − 1/π), so the sharp C is ≈ 1.17.",),
))


def _a6_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "d": 10, "mu": 0.5, "data_seed": 3, "delta": 0.1}
    return cases(mode, [Case({**base, "n": 10, "L": 3, "m": 2048}, 200)], [Case({**base, "n": 50, "L": 5, "m": 4096}, 1000)], quick_trials=30)


def _a6_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    nn, dlt = int(params["n"]), float(params["delta"])
    ip = _ratios(params, rng)
    norms = np.linalg.norm(ip.H[-2], axis=1)
    bound = np.array([bounds("output_bound", xnorm=float(x), n=nn, delta=dlt) for x in norms])
    worst = int(np.argmin(bound - np.abs(ip.out)))
    obs = compare(float(abs(ip.out[worst])), float(bound[worst]))
    obs["hypotheses"] = {}
    obs["implied_C"] = float(np.max(np.abs(ip.out)) / math.sqrt(math.log(nn / dlt)))
    obs["mean_square_output"] = float(np.mean(ip.out**2))
    return obs


def _a6_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings, "P(∃ i: |ŷ_i| > 2‖x_{L−1,i}‖√log(2n/δ))")
    v.evidence["implied_C_quantile"] = float(np.quantile([o["implied_C"] for o in obs], 1 - float(params["delta"])))
    v.evidence["mean_square_output"] = float(np.mean([o["mean_square_output"] for o in obs]))
    v.evidence["mean_square_output_theory"] = 1 - 1 / math.pi
    return v


A6.add(Check(
    name="probability", kind=Kind.PROBABILITY,
    claim="|ŷ_i| ≤ 2‖x_{L−1,i}‖√(log(2n/δ)) for all i with probability ≥ 1 − δ (implied C of C√log(n/δ) reported)",
    cases=_a6_cases, trial=_a6_trial, verdict=_a6_verdict, negative_control={"C": "1/5"},
))

# ==========================================================================================================
# Lemma A.7 / Theorem 5.1(iv)
# ==========================================================================================================

A7 = register(Lemma(
    id="zou2018.lemmaA.7",
    title="Few pre-activations near zero (Theorem 5.1(iv))",
    source=source("App. A, Lemma A.7; Theorem 5.1(iv)", "zou2018.md §3.2"),
    statement=(r"$\mathcal S_{l,i}(\beta)=\{j:|\langle\mathbf w_{l,j},\mathbf x_{l-1,i}\rangle|\le\beta\}$. If "
               r"$m_l\ge C\max\{[\beta^{-1}\log(nL/\delta)]^{2/3},L^2\log(nL/\delta)\}$ then with probability at least $1-\delta$, "
               r"$|\mathcal S_{l,i}(\beta)|\le2m_l^{3/2}\beta$ for all $l,i$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("band_count_bound", 2 * m ** sp.Rational(3, 2) * K.beta, "bound on |S_{l,i}(β)|", "bound", "V"),
        Quantity("beta_min", sp.log(n * L / delta) / m ** sp.Rational(3, 2), "smallest β of the width condition (C = 1)", "radius", "D"),
        Quantity("width", L**2 * sp.log(n * L / delta), "m ≥ L² log(nL/δ) (C = 1)", "width", "V"),
        Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
    ]},
    hypotheses={"beta": "β ≥ log(nL/δ)/m^{3/2} (hidden constant 1)", "width": "m ≥ L² log(nL/δ) (hidden constant 1)"},
    notes=("E9: the proof's density bound is off by a factor 2 (checked in zou2018.errata); the lemma survives.",),
))


def _a7_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "d": 10, "mu": 0.5, "data_seed": 4, "delta": 0.1, "n": 8, "L": 3, "m": 4096}
    return cases(mode, [Case({**base, "c_beta": 1.0}, 200), Case({**base, "c_beta": 4.0}, 200)],
                 [Case({**base, "m": 16384, "c_beta": 1.0}, 1000)], quick_trials=30)


def _a7_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    sizes = {"n": int(params["n"]), "L": int(params["L"]), "m": int(params["m"]), "delta": float(params["delta"])}
    b = float(params["c_beta"]) * math.log(sizes["n"] * sizes["L"] / sizes["delta"]) / sizes["m"] ** 1.5
    G = _ratios(params, rng).G
    count = max(int(np.max(np.sum(np.abs(G[l]) <= b, axis=1))) for l in range(1, len(G)))
    obs = compare(count, bounds("band_count_bound", m=sizes["m"], bandwidth=b))
    obs["hypotheses"] = {"beta": b >= bounds("beta_min", **sizes) * (1 - 1e-12), "width": sizes["m"] >= bounds("width", **sizes)}
    obs["tier"] = "exact"
    obs["beta"] = b
    return obs


def _a7_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings, "P(∃ l, i: |S_{l,i}(β)| > 2m^{3/2}β)")


A7.add(Check(
    name="probability", kind=Kind.PROBABILITY,
    claim="|S_{l,i}(β)| ≤ 2m^{3/2}β for all l, i with probability ≥ 1 − δ, at β = c_β log(nL/δ)/m^{3/2}",
    cases=_a7_cases, trial=_a7_trial, verdict=_a7_verdict, negative_control={"band_count_bound": "m**(3/2)*bandwidth/10"},
))
