"""Errata of Zou et al. (spec §8) that a computation exposes, each as a check whose outcome goes into the report.

Every erratum is a small lemma-like entry whose statement is the *printed* item; its ``as_printed`` check carries
``erratum=...`` (outcome "fails" ⇒ status "documented erratum"), and a ``corrected`` check beside it states what
the proofs actually give (expected to hold).

* E3 [SYMBOLIC] proof of Lemma 5.4: τ = Õ(n⁻⁹L⁻¹⁷φ⁹) printed; the (C.5) condition solved for τ gives φ³.
* E4 [SYMBOLIC] proof of Theorem 4.1 (α0 < ∞, p > ½): the two width terms have their n-exponents swapped.
* E5 [SYMBOLIC] proof of Theorem 4.5 (α0 = ∞, p = ½): m ∝ log²(1/ε), printed log(1/ε).
* E6 [SYMBOLIC] step sizes: Theorem 4.5's stated η ∝ n⁻³ while its proof needs n^{2p−7} (n⁻⁵ at p = 1, B = 1);
  Theorem 4.1's stated η omits Lemma 5.4's φ.
* E9 [P] proof of Lemma A.7: the density bound P(|⟨w, x⟩| ≤ β) ≤ β√(m/π) fails at ‖x‖ = ½ (Monte Carlo,
  Clopper–Pearson); the corrected 2β√(m/π) holds.
* E11 [P] Lemma A.12 / Corollary A.13 false as stated: x = (±√(1 − μ²), μ) gives x̄_{1}ᵀx̄′_{1} ≈ κ̄(2μ² − 1) below
  μ²(1 − log2/(2L)) in essentially every draw; the first failing trial is the replayable counterexample.
* E12 [SYMBOLIC + X] Lemma B.3's constant: C′ = 8(CC0′)^{2/3} is below what the proof's own steps need
  (6·2^{2/3}(CC0′)^{2/3} ≈ 9.52, 10 with its β); numerically the deterministic core, flips ≤ |S(β)| + D²/β² for all β
  and ≤ 3mD^{2/3} under Theorem 5.1(iv), against the worst cases found (exact rank-one optimum, greedy deep, random).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare, max_error_verdict, probability_verdict
from lemmas.core import deep
from lemmas.core.deep_kernels import relu_angle_map
from lemmas.core.perturb import greedy_sign_flip, random_perturbation, sign_changes, sign_flip_perturbation
from lemmas.papers.zou2018 import constants as K, source
from lemmas.papers.zou2018.checking import case_data, cases, symbolic_observation
from lemmas.papers.zou2018.network import init_representations, network
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.symbolic import Bounds, L, Quantity, delta, n, phi


def _erratum_lemma(eid: str, title: str, section: str, statement: str, quantities: Sequence[Quantity], note: str) -> Lemma:
    return register(Lemma(id=f"zou2018.erratum{eid}", title=f"{title} ({eid})", source=source(section, f"zou2018.md §8 {eid}"),
                          statement=statement, tag="D", quantities={q.name: q for q in quantities}, hypotheses={}, notes=(note,)))


def _symbolic_checks(lemma: Lemma, derive: Callable[[int], sp.Expr], items: Sequence[str], printed: Sequence[str],
                     corrected: Sequence[str], erratum: str, claim_printed: str, claim_corrected: str) -> None:
    """The as-printed and the corrected SYMBOLIC checks of an erratum: trial i derives item i and compares it with
    the quantity ``printed[i]`` (resp. ``corrected[i]``); exact agreement is required."""

    def make(names: Sequence[str]):
        def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
            return symbolic_observation(derive(index), bounds.expr(names[index]), item=items[index])
        return trial

    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        v = max_error_verdict(obs, 0.0, "derived − claimed (symbolic)", tier=Tier.EXACT)
        v.evidence["items"] = {o["item"]: {"derived": o["derived"], "claimed": o["claimed"]} for o in obs}
        return v

    case = lambda mode: [Case({"items": list(items)}, len(items))]  # noqa: E731
    lemma.add(Check(name="as_printed", kind=Kind.SYMBOLIC, claim=claim_printed, cases=case, trial=make(printed), verdict=verdict,
                    negative_control={printed[0]: "0"}, erratum=erratum))
    lemma.add(Check(name="corrected", kind=Kind.SYMBOLIC, claim=claim_corrected, cases=case, trial=make(corrected), verdict=verdict,
                    negative_control={corrected[0]: f"({sp.sstr(lemma.quantities[corrected[0]].expr)}) + 1"}))


# ==========================================================================================================
# E3: Lemma 5.4's τ
# ==========================================================================================================

E3 = _erratum_lemma(
    "E3", "Lemma 5.4's perturbation radius", "proof of Lemma 5.4, p.39",
    r"Proof of Lemma 5.4: $\tau\le\big(\frac{c_0m\phi}{4C_1L^{17/3}n^3M\sqrt{\log M}}\big)^3=\widetilde O(n^{-9}L^{-17}\phi^9)$ [sic].",
    [Quantity("phi_printed", sp.Integer(9), "φ-exponent printed in the proof", "rate", "V"),
     Quantity("phi_statement", sp.Integer(3), "φ-exponent of the Lemma 5.4 statement and Remark 5.2", "rate", "V"),
     Quantity("n_statement", sp.Integer(-9), "n-exponent", "rate", "V"),
     Quantity("L_statement", sp.Integer(-17), "L-exponent", "rate", "V")],
    "The (C.5) condition C1L^{17/3}τ^{1/3}M√log M/n² = c0mφ/(4n⁵) solved for τ has φ³ (the cube of φ¹).")


def _e3_derive(index: int) -> sp.Expr:
    tau_ = K.tau_54
    return [K.power_of(tau_, phi), K.power_of(tau_, phi), K.power_of(tau_, n), K.power_of(tau_, L)][index]


_symbolic_checks(E3, _e3_derive, ["phi", "phi (statement)", "n", "L"], ["phi_printed", "phi_statement", "n_statement", "L_statement"],
                 ["phi_statement", "phi_statement", "n_statement", "L_statement"],
                 "E3: the proof of Lemma 5.4 prints φ⁹ for φ³",
                 "the φ-exponent of Lemma 5.4's τ is 9 as printed in its proof (p.39)",
                 "τ_5.4 = (c0mφ/(4C1L^{17/3}n³M√log M))³ has exponents φ³, n⁻⁹, L⁻¹⁷ as in the statement")

# ==========================================================================================================
# E4: Theorem 4.1's width, α0 < ∞, p > ½
# ==========================================================================================================

E4 = _erratum_lemma(
    "E4", "Theorem 4.1's width for α0 < ∞, p > ½", "proof of Theorem 4.1, p.12",
    r"$m=\widetilde\Omega(n^{26-2p}L^{38}\phi^{-8})+\widetilde\Omega(n^{26}L^{38}\phi^{-8})\epsilon^{1-2p}$ [sic].",
    [Quantity("constant_term_printed", K.e4_printed[0], "printed ε-free term", "width", "V"),
     Quantity("epsilon_term_printed", K.e4_printed[1], "printed ε term", "width", "V"),
     Quantity("constant_term", n**26 * L**38 * phi**-8, "corrected ε-free term", "width", "D"),
     Quantity("epsilon_term", n ** (26 - 2 * K.p) * L**38 * phi**-8 * K.epsilon ** (1 - 2 * K.p), "corrected ε term", "width", "D")],
    "Lemma 5.4's Kη (n⁵/(mφ) + n^{5−2p}ε^{1−2p}/(mφ)) against T = L⁻³⁸n⁻²¹φ⁷ gives n²⁶ + n^{26−2p}ε^{1−2p}.")

_symbolic_checks(E4, lambda i: K.e4_terms()[i], ["ε-free term", "ε term"], ["constant_term_printed", "epsilon_term_printed"],
                 ["constant_term", "epsilon_term"], "E4: the n-exponents of the two width terms are swapped",
                 "the α0 < ∞, p > ½ width is n^{26−2p}L³⁸φ⁻⁸ + n²⁶L³⁸φ⁻⁸ε^{1−2p} as printed (p.12)",
                 "Kη(Lemma 5.4) = T(proof of Thm 4.1) solved for m gives n²⁶L³⁸φ⁻⁸ + n^{26−2p}L³⁸φ⁻⁸ε^{1−2p}")

# ==========================================================================================================
# E5: Theorem 4.5's width, α0 = ∞, p = ½
# ==========================================================================================================

E5 = _erratum_lemma(
    "E5", "Theorem 4.5's width for α0 = ∞, p = ½", "proof of Theorem 4.5, p.13",
    r"$m=\widetilde\Omega(n^{28}L^{38}\phi^{-8})\cdot\Omega(\log\frac1\epsilon)$ [sic].",
    [Quantity("log_power_printed", sp.Integer(1), "printed power of log(1/ε)", "rate", "V"),
     Quantity("log_power", sp.Integer(2), "power of log(1/ε) in the statement of Theorem 4.5", "rate", "V"),
     Quantity("n_power", sp.Integer(28), "n-exponent", "rate", "V")],
    "Kη = n⁴log(1/ε)/(mφ) (Lemma 5.6) against T ∝ m^{−1/2} (proof of Theorem 4.5) gives m ∝ log²(1/ε).")


def _e5_derive(index: int) -> sp.Expr:
    return [K.power_of(K.e5_width, K.log_inv_eps), K.power_of(K.e5_width, K.log_inv_eps), K.power_of(K.e5_width, n)][index]


_symbolic_checks(E5, _e5_derive, ["log(1/ε)", "log(1/ε) (statement)", "n"], ["log_power_printed", "log_power", "n_power"],
                 ["log_power", "log_power", "n_power"], "E5: log(1/ε) printed for log²(1/ε)",
                 "the α0 = ∞, p = ½ SGD width grows like log(1/ε) as printed (p.13)",
                 "Kη(Lemma 5.6) = T(proof of Thm 4.5) solved for m gives n²⁸L³⁸φ⁻⁸log²(1/ε)")

# ==========================================================================================================
# E6: step sizes
# ==========================================================================================================

E6 = _erratum_lemma(
    "E6", "The theorems' step sizes", "Theorems 4.1, 4.5 (pp.7–8), Lemmas 5.4, 5.6, 5.7, proof of Theorem 4.5 (p.14)",
    r"Theorems 4.1 and 4.5: $\eta=O(n^{-3}L^{-9}m^{-1})$; Lemma 5.4: $O(n^{-3}L^{-9}m^{-1}\phi)$; proof of Theorem 4.5: "
    r"$O(\phi m^{-1}n^{2p-7}L^{-9}B^2)$.",
    [Quantity("thm45_n_printed", sp.Integer(-3), "n-exponent of Theorem 4.5's stated η", "rate", "V"),
     Quantity("thm41_phi_printed", sp.Integer(0), "φ-exponent of Theorem 4.1's stated η", "rate", "V"),
     Quantity("thm45_n_proof", K.power_of(K.eta_proof_45, n).subs({K.p: 1}), "n-exponent of the proof's η at p = 1", "rate", "V"),
     Quantity("lemma54_phi", sp.Integer(1), "φ-exponent of Lemma 5.4's η", "rate", "V")],
    "Theorem 4.5's proof needs the smaller of (D.9)'s η ∝ Bn⁻⁴ and (D.15)'s η ∝ B²n^{2p−7}: n⁻⁵ at p = 1, B = 1.")


def _e6_derive(index: int) -> sp.Expr:
    if index == 0:
        return K.sgd_eta_exponent_needed(n, {K.p: 1, K.B: 1})
    return K.power_of(K.equal_widths(K.eta_54), phi)


_symbolic_checks(E6, _e6_derive, ["Thm 4.5: n-exponent of η (p = 1, B = 1)", "Thm 4.1: φ-exponent of η"],
                 ["thm45_n_printed", "thm41_phi_printed"], ["thm45_n_proof", "lemma54_phi"],
                 "E6: Theorem 4.5's stated η (n⁻³) is not the one its proof needs (n⁻⁵ at p = 1, B = 1); Theorem 4.1's omits φ",
                 "the theorems' stated η = O(n⁻³L⁻⁹m⁻¹) is what their proofs need (n-exponent for SGD, φ-exponent for GD)",
                 "the proofs need η ∝ n^{2p−7} (SGD, = n⁻⁵ at p = 1, B = 1) and η ∝ φ (GD, Lemma 5.4)")

# ==========================================================================================================
# E9: Lemma A.7's density bound
# ==========================================================================================================

E9 = _erratum_lemma(
    "E9", "Lemma A.7's density bound", "proof of Lemma A.7, p.20",
    r"Proof of Lemma A.7: $\mathbb P(|\langle\mathbf w_{l,j},\mathbf x_{l-1,i}\rangle|\le\beta)\le\beta\sqrt{m/\pi}$ for "
    r"$\|\mathbf x_{l-1,i}\|\ge\frac12$ (density prefactor $\sqrt{m/\pi}$ times the interval length counted once).",
    [Quantity("band_probability", K.band_probability_printed, "the proof's bound (as printed)", "probability", "V"),
     Quantity("band_probability_corrected", K.band_probability_corrected, "2β√(m/π): density ≤ √(m/π) times length 2β", "probability", "D")],
    "The lemma itself survives (|S| ≤ 2m^{3/2}β holds with less slack; zou2018.lemmaA.7).")


def _e9_cases(mode: Mode, xnorm: float) -> Sequence[Case]:
    trials = 6000 if mode is Mode.FULL else 1500
    return cases(mode, [Case({"m": 1024, "beta_sqrt_m": 0.2, "xnorm": xnorm}, trials)], quick_trials=300)


def _e9_trial(quantity: str):
    def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        width, xn = int(params["m"]), float(params["xnorm"])
        b = float(params["beta_sqrt_m"]) / math.sqrt(width)
        g = math.sqrt(2.0 / width) * xn * rng.standard_normal()  # ⟨w, x⟩ for w ~ N(0, 2/m·I), exactly in law
        obs = compare(abs(g), b, upper=False, strict=True)
        obs.update({"failed": abs(g) <= b, "hypotheses": {"xnorm_at_least_half": xn >= 0.5},  # Lemma A.7: ‖x‖ ≥ 1/2
                    "tier": Tier.EXACT.value, "ambiguous": False})
        return obs
    return trial


def _e9_verdict(quantity: str):
    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        width, xn = int(params["m"]), float(params["xnorm"])
        b = float(params["beta_sqrt_m"]) / math.sqrt(width)
        claimed = bounds(quantity, bandwidth=b, m=width)
        v = probability_verdict(obs, claimed, settings, "P(|⟨w, x⟩| ≤ β)")
        v.evidence.update({"exact_probability": float(sp.erf(sp.Float(b * math.sqrt(width) / (2 * xn)))), "xnorm": xn,
                           "claimed_bound": claimed})
        return v
    return verdict


E9.add(Check(
    name="as_printed", kind=Kind.PROBABILITY,
    claim="P(|⟨w, x⟩| ≤ β) ≤ β√(m/π) for w ~ N(0, 2/m·I) and ‖x‖ = ½ (the proof's density bound)",
    cases=lambda mode: _e9_cases(mode, 0.5), trial=_e9_trial("band_probability"), verdict=_e9_verdict("band_probability"),
    negative_control={"band_probability": "bandwidth*sqrt(m/pi)/10"},
    erratum="E9: the proof of Lemma A.7 counts the interval [−β, β] once: its density bound is off by a factor 2",
))
E9.add(Check(
    name="corrected", kind=Kind.PROBABILITY,
    claim="P(|⟨w, x⟩| ≤ β) ≤ 2β√(m/π) for w ~ N(0, 2/m·I) and ‖x‖ = ¾ ≥ ½",
    cases=lambda mode: _e9_cases(mode, 0.75), trial=_e9_trial("band_probability_corrected"),
    verdict=_e9_verdict("band_probability_corrected"), negative_control={"band_probability_corrected": "bandwidth*sqrt(m/pi)/10"},
))

# ==========================================================================================================
# E11: Lemma A.12 / Corollary A.13
# ==========================================================================================================

E11 = _erratum_lemma(
    "E11", "Lemma A.12 / Corollary A.13 as stated", "App. A, Lemma A.12 and Corollary A.13, pp.24–25",
    r"If $m\ge CL^4\mu^{-4}\log(n^2L/\delta)$, then with probability at least $1-\delta$, "
    r"$\bar{\mathbf x}_{l,i}^\top\bar{\mathbf x}_{l,i'}\ge\mu^2[1-(2L)^{-1}\log2]^l$ for all $i,i'$ and $l\in[L]$.",
    [Quantity("inner_product_bound", K.mu**2 * (1 - sp.log(2) / (2 * L)) ** sp.Symbol("l", positive=True), "the printed bound", "bound", "V"),
     Quantity("width", L**4 * K.mu**-4 * sp.log(n**2 * L / delta), "m ≥ CL⁴μ⁻⁴log(n²L/δ), C = 1", "width", "V"),
     Quantity("failure_probability", delta, "δ", "probability", "V")],
    "Harmless for A.14, which needs only z_iᵀz_j ≥ −1 + φ̃²/2 (checked in zou2018.lemmaA.12:corrected_for_A14).")


def _e11_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "antipodal", "n": 2, "d": 2, "data_seed": 0, "delta": 0.1, "m": 4096}
    return cases(mode, [Case({**base, "mu": 0.3, "L": 1}, 50), Case({**base, "mu": 0.5, "L": 2}, 50)],
                 [Case({**base, "mu": 0.1, "L": 1, "m": 65536}, 200)], quick_trials=20)


def _e11_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    depth, width, dlt = int(params["L"]), int(params["m"]), float(params["delta"])
    H = init_representations(rng, ds.X, (width,) * depth).H
    worst = None
    for l in range(1, depth + 1):
        Z = H[l] / np.linalg.norm(H[l], axis=1, keepdims=True)
        value = float(Z[0] @ Z[1])
        bound = bounds("inner_product_bound", mu=ds.mu, L=depth, l=l)
        if worst is None or value - bound < worst[0]:
            worst = (value - bound, value, bound, l)
    obs = compare(worst[1], worst[2], upper=False)
    rho = 2 * ds.mu**2 - 1
    alpha = np.arccos(rho)
    for _ in range(worst[3]):
        alpha = float(relu_angle_map(np.array(alpha)))
    obs.update({"layer": worst[3], "infinite_width": math.cos(alpha), "input_inner_product": rho, "mu": ds.mu, "m": width,
                "hypotheses": {"width": width >= bounds("width", mu=ds.mu, L=depth, n=ds.n, delta=dlt)}})
    return obs


def _e11_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings, "P(x̄_{l,1}ᵀx̄_{l,2} < μ²[1 − log2/(2L)]^l)")
    v.evidence.update({"infinite_width_inner_product": obs[0]["infinite_width"], "claimed_bound": obs[0]["bound"],
                       "input_inner_product": obs[0]["input_inner_product"], "mu": obs[0]["mu"], "inputs": case_data(params).X.tolist()})
    return v


E11.add(Check(
    name="as_printed", kind=Kind.PROBABILITY,
    claim="x̄_{l,i}ᵀx̄_{l,i′} ≥ μ²[1 − log2/(2L)]^l w.p. ≥ 1 − δ, at x = (±√(1 − μ²), μ) (d = 2) and m above the width condition "
          "(C = 1)",
    cases=_e11_cases, trial=_e11_trial, verdict=_e11_verdict, negative_control={"inner_product_bound": "2"},
    erratum="E11: Lemma A.12 / Corollary A.13 are false as stated (the base case needs x_iᵀx_i′ ≥ μ², Assumption 3.4 gives 2μ² − 1)",
))

# ==========================================================================================================
# E12: Lemma B.3's constant, and the deterministic core
# ==========================================================================================================

E12 = _erratum_lemma(
    "E12", "Lemma B.3's flip constant", "proof of Lemma B.3, pp.33–35",
    r"Lemma B.3: $\|\widehat{\boldsymbol\Sigma}_{l,i}-\widetilde{\boldsymbol\Sigma}_{l,i}\|_0\le C'L^{4/3}\tau^{2/3}m_l$ with "
    r"$C'=8C^{2/3}C_0'^{2/3}$; the proof bounds $|\mathcal S(\beta)|+D^2/\beta^2$ with $D\le2CC_0'L^2\tau$.",
    [Quantity("half_constant_printed", K.e12_printed_half, "C′/2 in units of (CC0′)^{2/3} (printed C′ = 8)", "constant", "V"),
     Quantity("half_constant_corrected", K.e12_f_optimal, "C′/2 = 3·2^{2/3} (corrected C′ = 6·2^{2/3} ≈ 9.52)", "constant", "D"),
     Quantity("core_factor", K.b3_core_factor, "flips ≤ (factor)·mD^{2/3} under Theorem 5.1(iv)", "constant", "D"),
     Quantity("band_factor", sp.Integer(2), "Theorem 5.1(iv): |S(β)| ≤ (factor)·m^{3/2}β", "constant", "V")],
    "With the optimal β = 4^{1/3}(CC0′)^{2/3}L^{4/3}τ^{2/3}m^{−1/2} the two terms give 3·2^{2/3} ≈ 4.76, with the paper's β 5; "
    "either exceeds the C′/2 = 4 each of the two triangle-inequality terms may use. Order of magnitude unaffected.")


def _e12_symbolic_trial(quantity: str):
    def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        needed = [K.e12_f_optimal, K.e12_f_paper][index]
        allowed = bounds.expr(quantity)
        slack = sp.nsimplify(allowed) - needed
        holds = bool(sp.simplify(slack) >= 0) if slack.is_number else False
        return {"hypotheses": {}, "value": float(needed), "bound": float(allowed), "margin": float(slack), "failed": not holds,
                "ambiguous": False, "tier": Tier.EXACT.value, "beta": ["optimal", "paper's"][index], "needed": sp.sstr(needed)}
    return trial


def _e12_symbolic_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "min over β of the proof's 2m^{3/2}β + D²/β² (units (CC0′)^{2/3}L^{4/3}τ^{2/3}m) against C′/2")
    v.evidence["f(a) = 2a + 4/a²"] = {"optimal a": sp.sstr(K.e12_a_optimal), "f(optimal)": sp.sstr(K.e12_f_optimal), "f(2)": sp.sstr(K.e12_f_paper)}
    return v


_E12_CASES = lambda mode: [Case({"beta": ["optimal", "paper"]}, 2)]  # noqa: E731
E12.add(Check(
    name="as_printed", kind=Kind.SYMBOLIC,
    claim="C′ = 8(CC0′)^{2/3}: the proof's flip bound 2m^{3/2}β + 4C²C0′²L⁴τ²/β² fits under C′L^{4/3}τ^{2/3}m/2 for the best β",
    cases=_E12_CASES, trial=_e12_symbolic_trial("half_constant_printed"), verdict=_e12_symbolic_verdict,
    negative_control={"half_constant_printed": "1"},
    erratum="E12: C′ = 8C^{2/3}C0′^{2/3} is too small for the proof; it needs ≥ 6·2^{2/3}(CC0′)^{2/3} ≈ 9.52",
))
E12.add(Check(
    name="corrected", kind=Kind.SYMBOLIC,
    claim="C′ = 6·2^{2/3}(CC0′)^{2/3} suffices with the optimal β (exact)",
    cases=lambda mode: [Case({"beta": ["optimal"]}, 1)], trial=_e12_symbolic_trial("half_constant_corrected"),
    verdict=_e12_symbolic_verdict, negative_control={"half_constant_corrected": "4"},
))


def min_over_beta(g_abs_sorted: np.ndarray, D: float) -> float:
    """min over β > 0 of |S(β)| + D²/β²: on [|g|_(k), |g|_(k+1)) the count is k and D²/β² decreases, so the infimum is
    min_k (k + D²/|g|_(k+1)²), with |g|_(m+1) = ∞ (the value m)."""
    k = np.arange(g_abs_sorted.size + 1, dtype=np.float64)
    nxt = np.concatenate([g_abs_sorted, [np.inf]])
    with np.errstate(divide="ignore"):
        return float(np.min(k + np.where(nxt > 0, D**2 / nxt**2, np.inf)))


def _core_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 3, "d": 10, "mu": 0.5, "data_seed": 29, "taus": [1e-3, 1e-2, 1e-1]}
    default = [Case({**base, "L": 1, "m": 4096}, 3), Case({**base, "L": 3, "m": 256}, 3)]
    return default[:1] if mode is Mode.QUICK else default + ([Case({**base, "L": 4, "m": 1024}, 3)] if mode is Mode.FULL else [])


def _core_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    depth, width, t = int(params["L"]), int(params["m"]), float(params["taus"][index % len(params["taus"])])
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    cache0 = deep.forward(param, W0, ds.X)
    shapes = [W.shape for W in W0.Ws]
    adversaries = {"random": random_perturbation(rng, shapes, t), "greedy": greedy_sign_flip(param, W0, ds.X, t)}
    rank_one = [None] * depth
    rank_one[0] = sign_flip_perturbation(ds.X[:1], cache0.g[1][:1], t)
    adversaries["rank_one_layer1"] = rank_one
    factor, band = bounds("core_factor"), bounds("band_factor")
    worst = None
    for name, deltas in adversaries.items():
        cache = deep.forward(param, W0.perturbed(deltas), ds.X)
        flips = sign_changes(cache0, cache)
        for l in range(1, depth + 1):
            for i in range(ds.n):
                g0 = cache0.g[l][i]
                D = float(np.linalg.norm(cache.g[l][i] - g0))
                g_sorted = np.sort(np.abs(g0))
                every_beta = min_over_beta(g_sorted, D)
                beta_star = D ** (2 / 3) / math.sqrt(width)
                band_holds = np.count_nonzero(g_sorted <= beta_star) <= band * width**1.5 * beta_star
                threshold = factor * width * D ** (2 / 3) if band_holds else math.inf
                f = int(flips[l, i])
                margin = min(every_beta - f, threshold - f)
                if worst is None or margin < worst["margin"]:
                    worst = {"margin": margin, "flips": f, "every_beta": every_beta, "threshold": threshold, "adversary": name,
                             "layer": l, "input": i, "D": D, "band_holds": bool(band_holds)}
    bound = min(worst["every_beta"], worst["threshold"])
    obs = compare(worst["flips"], bound)
    obs.update({"hypotheses": {}, "tier": Tier.EXACT.value if worst["threshold"] == math.inf else Tier.ESTIMATED.value,
                "tau": t, **{k: worst[k] for k in ("adversary", "layer", "input", "D", "band_holds", "every_beta", "threshold")}})
    return obs


def _core_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "flips against min(min_β |S(β)| + D²/β², 3mD^{2/3})")
    v.evidence["worst_ratio_flips_to_3mD^(2/3)"] = max(o["value"] / o["threshold"] if math.isfinite(o["threshold"]) and o["threshold"] > 0
                                                        else 0.0 for o in obs)
    return v


E12.add(Check(
    name="deterministic_core", kind=Kind.WORST_CASE,
    claim="for any pair (W, W̃): flips ≤ |S(β)| + D²/β² for every β, and ≤ 3mD^{2/3} when |S(β*)| ≤ 2m^{3/2}β* at β* = D^{2/3}m^{−1/2}; "
          "against the exact rank-one layer-1 optimum, the greedy deep adversary and random perturbations",
    cases=_core_cases, trial=_core_trial, verdict=_core_verdict, negative_control={"core_factor": "1/10"},
))
