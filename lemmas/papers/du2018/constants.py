"""The constant chain of Du et al. (arXiv 1810.02054v2), derived in sympy from the proofs' own steps.

Each constant is *derived*, not typed: the inequality the proof needs is written down and solved, and the
tests compare the results with the numbers in the spec (du2018.md §3, §8).
"""

from __future__ import annotations

import sympy as sp

from lemmas.symbolic import R, delta, lambda0, m, n

z = sp.Symbol("z", real=True)

#: P(A_ir) = P(|w_r(0)ᵀx_i| < R) = erf(R/√2), bounded by the Gaussian density at 0 times the width 2R.
flip_probability_exact = sp.erf(R / sp.sqrt(2))
flip_probability_bound = 2 * R / sp.sqrt(2 * sp.pi)

#: Lemma 3.2, Markov step: E|H_ij − H_ij(0)| ≤ P(A_ir) + P(A_jr), summed over the n² pairs and divided by δ.
lemma32_perturbation_bound = n**2 * (2 * flip_probability_bound) / delta  # = 4n²R/(√(2π)δ)

#: The radius at which the Markov bound equals λ0/4, and its constant c = R n²/(δ λ0).
lemma32_radius = sp.solve(sp.Eq(lemma32_perturbation_bound, lambda0 / 4), R)[0]
lemma32_c = sp.simplify(lemma32_radius * n**2 / (delta * lambda0))

#: Lemma 3.1 (paper's Hoeffding constant): |H_ij(0) − H∞_ij| ≤ 4√(log(n/δ)/m) for all i, j.
lemma31_entry_bound_paper = 4 * sp.sqrt(sp.log(n / delta) / m)
#: Lemma 3.1 (sharp Hoeffding, ADHLW Lemma C.3): |·| ≤ √(log(2n²/δ)/(2m)).
lemma31_entry_bound_sharp = sp.sqrt(sp.log(2 * n**2 / delta) / (2 * m))


def _width_for(entry_bound: sp.Expr) -> sp.Expr:
    """The width at which n·(entry bound) = λ0/4, i.e. ‖H(0) − H∞‖_F ≤ λ0/4 through the Frobenius norm."""
    width = sp.solve(sp.Eq(n**2 * entry_bound**2, lambda0**2 / 16), m)[0]
    return sp.factor(sp.expand_log(width, force=True))


lemma31_width_paper = _width_for(lemma31_entry_bound_paper)   # 256 n² log(n/δ)/λ0²
lemma31_width_sharp = _width_for(lemma31_entry_bound_sharp)   # 8 n² log(2n²/δ)/λ0²

#: Lemma 3.2's λ_min conclusion also needs Lemma 3.1's event (spec §3.5, erratum 8): a union bound over the
#: failure of Lemma 3.1 (δ) and of the Markov step of Lemma 3.2 (δ).
lemma32_joint_failure_probability = delta + delta

# ---------------------------------------------------------------------------------------------------------
# Theorem 3.1 for two unit inputs at angle θ (spec du2018.md §4, item 2).

#: The angle between the two inputs: a local symbol of Theorem 3.1's checks (lemmas.symbolic has no angle).
theta = sp.Symbol("theta", positive=True)
#: H∞ = [[1/2, h], [h, 1/2]] with h = cos θ (π − θ)/(2π) (ADHLW eq. 3); its eigenvalues are 1/2 ± h.
two_point_entry = sp.cos(theta) * (sp.pi - theta) / (2 * sp.pi)
two_point_gram = sp.Matrix([[sp.Rational(1, 2), two_point_entry], [two_point_entry, sp.Rational(1, 2)]])
two_point_eigenvalues = tuple(two_point_gram.eigenvals())
#: λ_min = the smaller of 1/2 ± h = 1/2 − |h|: for θ > π/2, h < 0 and 1/2 − h is λ_max, not λ_min.
two_point_lambda_min = sp.Rational(1, 2) - sp.Abs(two_point_entry)
#: Small angles (h > 0): λ_min = 1/2 − h = θ/(2π) + θ²/4 + O(θ³), so λ0 → 0 linearly with slope 1/(2π).
_two_point_series = sp.series(sp.Rational(1, 2) - two_point_entry, theta, 0, 3).removeO()
two_point_slope = _two_point_series.coeff(theta, 1)
two_point_curvature = _two_point_series.coeff(theta, 2)
