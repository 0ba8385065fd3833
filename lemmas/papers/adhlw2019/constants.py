"""The bounds of Arora, Du, Hu, Li, Wang (arXiv 1901.08584v2) as sympy expressions, derived where the paper
gives a derivation and transcribed (with their O(·) hidden) where it does not.

ADHLW hide every constant of Theorems 3.1, 4.1, 5.1 and Lemmas 5.3, C.2 in O(·)/Ω(·) (spec du2018.md §9,
uncertain 4). What *is* explicit, and is derived here from the proof's own steps, is: the radius of Lemma C.1
(a geometric series), the Frobenius bound of Lemma C.3 (Hoeffding per entry and a union bound), the bound of
Theorem 6.1 and the Rademacher bound of Lemma 5.4. For the hidden-constant statements this module records the
error terms of the proof (spec §6.3) and derives from them what a check can test: the exponents of m and κ,
and the κ and m conditions of Theorem 4.1 (setting each error term to ε/2).
"""

from __future__ import annotations

import sympy as sp

from lemmas.symbolic import R, delta, epsilon, eta, k, kappa, lambda0, m, n, residual

#: Local symbols (not in lemmas.symbolic): the degree p and scale |α|, ‖β‖₂ of Theorem 6.1's target
#: y = α(βᵀx)^p, the quadratic form yᵀ(H∞)⁻¹y of the complexity measure, and Lemma 5.4's Frobenius radius B.
p = sp.Symbol("p", positive=True)
alpha = sp.Symbol("alpha", positive=True)          # |α|
beta_norm = sp.Symbol("beta_norm", positive=True)  # ‖β‖₂
yHy = sp.Symbol("yHy", nonnegative=True)           # yᵀ(H∞)⁻¹y
B = sp.Symbol("B", positive=True)

# ---------------------------------------------------------------------------------------------------------
# Theorem 4.1: the two error terms of the proof (App. C), uniform in k and k-dependent.

thm41_kappa_term = sp.sqrt(n) * kappa / delta
thm41_width_term = n ** sp.Rational(7, 2) / (sp.sqrt(m) * lambda0**2 * kappa * delta**2)
thm41_error = thm41_kappa_term + thm41_width_term
thm41_error_at_k = (1 - eta * lambda0) ** k * thm41_kappa_term + k * (1 - eta * lambda0 / 4) ** (k - 1) * eta * n ** sp.Rational(
    7, 2
) / (sp.sqrt(m) * lambda0 * kappa * delta**2)

#: Each error term ≤ ε/2 gives the theorem's hypotheses κ = O(εδ/√n) and m = Ω(n⁷/(λ0⁴κ²δ⁴ε²)).
thm41_kappa_condition = sp.solve(sp.Eq(thm41_kappa_term, epsilon / 2), kappa)[0]
thm41_width_condition = sp.solve(sp.Eq(thm41_width_term, epsilon / 2), m)[0]


def exponent_in(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """d log(expr)/d log(var): the power of ``var`` in a monomial ``expr``."""
    return sp.simplify(sp.diff(sp.log(expr), var) * var)


thm41_width_exponent = exponent_in(thm41_width_term, m)      # −1/2
thm41_kappa_exponent = exponent_in(thm41_width_term, kappa)  # −1 (the width term, which grows as κ → 0)

# ---------------------------------------------------------------------------------------------------------
# Theorem 3.1: m = Ω(n⁶/(λ0⁴κ²δ³)) (footnote 3: κ costs an extra 1/κ² in m).

thm31_width = n**6 / (lambda0**4 * kappa**2 * delta**3)
thm31_kappa_exponent = exponent_in(thm31_width, kappa)       # −2

# ---------------------------------------------------------------------------------------------------------
# Lemma C.1: ‖w_r(k) − w_r(0)‖ ≤ η Σ_{k'<k} √n‖y − u(k')‖/√m and ‖y − u(k')‖ ≤ (1 − ηλ0/4)^{k'}‖y − u(0)‖
# (from √(1 − ηλ0/2) ≤ 1 − ηλ0/4), summed as a geometric series to k = ∞.

_j = sp.Symbol("j", integer=True, nonnegative=True)
lemmaC1_radius = sp.simplify(
    eta * sp.sqrt(n) * residual / sp.sqrt(m) * sp.summation((1 - eta * lambda0 / 4) ** _j, (_j, 0, sp.oo)).args[0][0]
)  # 4√n‖y − u(0)‖/(√m λ0)

# ---------------------------------------------------------------------------------------------------------
# Lemma C.2: ‖H(k) − H(0)‖_F = O(n³/(√m λ0 κ δ^{3/2})), ‖Z(k) − Z(0)‖_F = O(n/√(m^{1/2} λ0 κ δ^{3/2})).

lemmaC2_gram_drift = n**3 / (sp.sqrt(m) * lambda0 * kappa * delta ** sp.Rational(3, 2))
lemmaC2_feature_drift = n / sp.sqrt(sp.sqrt(m) * lambda0 * kappa * delta ** sp.Rational(3, 2))
lemmaC2_gram_width_exponent = exponent_in(lemmaC2_gram_drift, m)          # −1/2
lemmaC2_gram_kappa_exponent = exponent_in(lemmaC2_gram_drift, kappa)      # −1
lemmaC2_feature_width_exponent = exponent_in(lemmaC2_feature_drift, m)    # −1/4

# ---------------------------------------------------------------------------------------------------------
# Lemma C.3: Hoeffding per entry, |H_ij(0) − H∞_ij| ≤ √(log(2/δ')/(2m)), union bound δ' = δ/n², then the
# n² entries squared and summed.

_dprime = sp.Symbol("delta_prime", positive=True)
lemmaC3_entry = sp.sqrt(sp.log(2 / _dprime) / (2 * m))
lemmaC3_frobenius_squared = sp.expand_log(n**2 * lemmaC3_entry.subs(_dprime, delta / n**2) ** 2, force=True)

# ---------------------------------------------------------------------------------------------------------
# Lemma 5.3: ‖W(k) − W(0)‖_F ≤ √(yᵀ(H∞)⁻¹y) + O(nκ/(λ0δ)) + poly(n, 1/λ0, 1/δ)/(m^{1/4}κ^{1/2}).

lemma53_width_term = 1 / (m ** sp.Rational(1, 4) * sp.sqrt(kappa))
lemma53_width_exponent = exponent_in(lemma53_width_term, m)   # −1/4
lemma53_kappa_term = n * kappa / (lambda0 * delta)

# ---------------------------------------------------------------------------------------------------------
# Theorem 5.1 / Corollary 5.2: L_D ≤ √(2yᵀ(H∞)⁻¹y/n) + O(√(log(n/(λ0δ))/n)).

complexity_measure = sp.sqrt(2 * yHy / n)
thm51_slack = sp.sqrt(sp.log(n / (lambda0 * delta)) / n)

# ---------------------------------------------------------------------------------------------------------
# Lemma 5.4: Rademacher complexity of F_{R,B} (statement), with the proof's sharper middle term.

lemma54_leading = B / sp.sqrt(2 * n) * (1 + (2 * sp.log(2 / delta) / m) ** sp.Rational(1, 4))
lemma54_bound = lemma54_leading + 2 * R**2 * sp.sqrt(m) / kappa + R * sp.sqrt(2 * sp.log(2 / delta))
lemma54_bound_sharp = lemma54_leading + 2 * sp.sqrt(2) * R**2 * sp.sqrt(m) / (sp.sqrt(sp.pi) * kappa) + R * sp.sqrt(2 * sp.log(2 / delta))

# ---------------------------------------------------------------------------------------------------------
# Theorem 6.1: √(yᵀ(H∞)⁻¹y) ≤ 3p|α|‖β‖₂^p for y_i = α(βᵀx_i)^p, p = 1 or p = 2l.

thm61_bound = 3 * p * alpha * beta_norm**p
