"""The constant chain of the training-dynamics results of Du et al. (arXiv 1810.02054v2, §3–§4, App. A–B),
derived in sympy from the proofs' own steps (spec du2018.md §3.2, §3.6–§3.9, §8).

Nothing is typed in: each radius is the integral (or geometric sum) of the speed bound the proof uses, each
width solves "radius that was travelled < radius at which the Gram matrix is stable" for m, each constant solves
the inequality its proof step needs. ``tests/test_du2018_dynamics_constants.py`` compares every result with the
numbers of the spec. Symbols: the shared ones of :mod:`lemmas.symbolic` (``residual`` is ‖y − u(0)‖₂) plus
the local ones declared here (δ splits, the time variable s).
"""

from __future__ import annotations

import sympy as sp

from lemmas.papers.du2018 import constants
from lemmas.symbolic import C, R, delta, eta, k, lambda0, m, n, residual

s = sp.Symbol("s", nonnegative=True)                   # time variable of the integrals
x = sp.Symbol("x", positive=True)                      # ηλ0/2 in the geometric sums
delta1, delta2, delta3, delta4 = sp.symbols("delta1 delta2 delta3 delta4", positive=True)
R_w, R_a = sp.symbols("R_w R_a", positive=True)
y_norm2 = sp.Symbol("y_norm2", nonnegative=True)       # ‖y‖₂²
z = sp.Symbol("z", real=True)
theta = sp.Symbol("theta", nonnegative=True)           # angle between two unit inputs
phi = sp.Symbol("phi", real=True)
rho = sp.Symbol("rho", nonnegative=True)

#: Lemma 3.2's radius R = cδλ0/n² with c = √(2π)/16, as a function of the failure probability it carries.
def lemma32_radius(failure: sp.Expr) -> sp.Expr:
    return constants.lemma32_radius.subs(delta, failure)


# ---------------------------------------------------------------------------------------------------------
# Lemma 3.3: the radius is ∫₀^∞ of the per-neuron speed bound ‖dw_r/ds‖ ≤ (√n/√m)‖y − u(s)‖.

#: The loss bound ‖y − u(s)‖² ≤ e^{−λ0 s}‖y − u(0)‖² gives ‖y − u(s)‖ ≤ e^{−λ0 s/2}‖y − u(0)‖.
gf_speed = sp.sqrt(n) / sp.sqrt(m) * residual * sp.exp(-lambda0 * s / 2)
#: The proof as printed uses e^{−λ0 s} for ‖y − u(s)‖ (erratum 1).
gf_speed_printed = sp.sqrt(n) / sp.sqrt(m) * residual * sp.exp(-lambda0 * s)
gf_radius = sp.simplify(sp.integrate(gf_speed, (s, 0, sp.oo)))                 # 2√n‖·‖/(√m λ0)
gf_radius_printed = sp.simplify(sp.integrate(gf_speed_printed, (s, 0, sp.oo)))  # √n‖·‖/(√m λ0)  [sic]

# ---------------------------------------------------------------------------------------------------------
# Corollary 4.1: ‖w_r(k+1) − w_r(0)‖ ≤ η Σ_{k'} (√n/√m)(1 − ηλ0/2)^{k'/2}‖y − u(0)‖.

#: Σ_{k≥0} (1 − x)^{k/2} = 1/(1 − √(1 − x)), and the proof's bound of it, 2/x.
geometric_sum = sp.simplify(sp.summation(sp.sqrt(1 - x) ** k, (k, 0, sp.oo)).rewrite(sp.Piecewise).args[0][0])
geometric_sum_bound = 2 / x
gd_radius = sp.simplify(eta * sp.sqrt(n) / sp.sqrt(m) * residual * geometric_sum_bound.subs(x, eta * lambda0 / 2))  # 4√n‖·‖/(√m λ0)

# ---------------------------------------------------------------------------------------------------------
# Lemma 4.1: E|S_i^⊥| = m P(A_ir) ≤ 2mR/√(2π); summed over i and through Markov, Σ_i|S_i^⊥| ≤ C m n R/δ.

lemma41_C = sp.simplify(n * m * constants.flip_probability_bound / (m * n * R))  # √(2/π)
lemma41_bound = lemma41_C * m * n * R / delta

# ---------------------------------------------------------------------------------------------------------
# Theorem 4.1: the one-step inequality and the step size.

#: R of §4.1 with its δ restored (erratum 4): Lemma 3.2's radius.
gd_R = lemma32_radius(delta)
#: The factor of ‖y − u(k)‖² in the first inequality of the one-step bound.
one_step_factor = 1 - eta * lambda0 + 2 * lemma41_C * eta * n**2 * R / delta + 2 * lemma41_C * eta * n ** sp.Rational(3, 2) * R / delta + eta**2 * n**2
one_step_target = 1 - eta * lambda0 / 2
#: The largest η with one_step_factor ≤ 1 − ηλ0/2 at R = cδλ0/n²: λ0(1 − n^{−1/2})/(4n²).
step_size = sp.simplify(
    [root for root in sp.solve(sp.Eq(one_step_factor.subs(R, gd_R), one_step_target), eta) if root != 0][0]
)

# ---------------------------------------------------------------------------------------------------------
# Initial residual: E‖y − u(0)‖² = Σ_i (y_i² − 2y_i E[u_i] + E[u_i²]), E[u_i] = 0 (a_r symmetric),
# E[u_i²] = E[relu(z)²] with z ~ N(0, 1).

gaussian = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)
relu_second_moment = sp.integrate(z**2 * gaussian, (z, 0, sp.oo))             # 1/2
expected_residual = y_norm2 + n * relu_second_moment                          # ‖y‖² + n/2
expected_residual_printed = y_norm2 + n * 1                                   # Σ(y_i² + 1)  [sic, erratum 3]
#: With |y_i| ≤ C: E‖y − u(0)‖² ≤ n(C² + 1/2), so by Markov ‖y − u(0)‖² ≤ n(C² + 1/2)/δ w.p. ≥ 1 − δ.
residual_markov = n * (C**2 + relu_second_moment) / delta

# ---------------------------------------------------------------------------------------------------------
# Kernels at initialisation (two unit inputs at angle θ; w uniform in angle φ, ‖w‖² ~ χ²₂ in the plane).

#: E[σ(wᵀx_i)σ(wᵀx_j)]: E‖w‖² (= 2) × (1/2π) × ∫ over the arc where both are active of cos φ cos(φ − θ).
arccos_kernel_1 = sp.simplify(
    2 / (2 * sp.pi) * sp.integrate(sp.cos(phi) * sp.cos(phi - theta), (phi, theta - sp.pi / 2, sp.pi / 2))
)
#: H∞_ij = x_iᵀx_j P(both active) = cos θ (π − θ)/(2π).
gram_infinity_entry = sp.cos(theta) * (sp.pi - theta) / (2 * sp.pi)

# ---------------------------------------------------------------------------------------------------------
# Widths. R′ < R solved for m, then ‖y − u(0)‖² replaced by its Markov bound, then δ split.


def _width(radius: sp.Expr, stable_radius: sp.Expr) -> sp.Expr:
    """The m at which ``radius`` (∝ m^{−1/2}) equals ``stable_radius``: R′ < R iff m > this."""
    return sp.simplify(sp.solve(sp.Eq(radius, stable_radius), m)[0])


#: Theorem 3.2 (gradient flow): a posteriori 512/π n⁵‖y − u(0)‖²/(δ2²λ0⁴); a priori with Markov (δ3) and δ_i = δ/3.
gf_width_posterior = _width(gf_radius, lemma32_radius(delta2))
gf_width_prior = sp.simplify(gf_width_posterior.subs(residual, sp.sqrt(residual_markov.subs(delta, delta3))))
gf_width = sp.simplify(gf_width_prior.subs({delta2: delta / 3, delta3: delta / 3}))
gf_width_printed_radius = sp.simplify(_width(gf_radius_printed, lemma32_radius(delta2)).subs(
    residual, sp.sqrt(residual_markov.subs(delta, delta3))).subs({delta2: delta / 3, delta3: delta / 3}))

#: Theorem 4.1 (gradient descent): a posteriori 2048/π n⁵‖·‖²/(δ′²λ0⁴); a priori with δ′ = δ/4 for each event.
gd_width_posterior = _width(gd_radius, lemma32_radius(delta2))
gd_width_prior = sp.simplify(gd_width_posterior.subs(residual, sp.sqrt(residual_markov.subs(delta, delta3))))
gd_width = sp.simplify(gd_width_prior.subs({delta2: delta / 4, delta3: delta / 4}))

#: Lemma 3.1 with its share of δ: 256 n² log(n/δ1)/λ0².
lemma31_width_split3 = constants.lemma31_width_paper.subs(delta, delta / 3)
lemma31_width_split4 = constants.lemma31_width_paper.subs(delta, delta / 4)

# ---------------------------------------------------------------------------------------------------------
# Theorem 3.3 (both layers), App. A.1.

#: Lemma A.3: ‖H′ − H(0)‖ ≤ 4n²R_w/(√(2π)δ) = λ0/8 and ‖H − H′‖ ≤ n² max|a_r² − 1| ≤ 2n²R_a = λ0/8 (as printed).
joint_R_w = sp.solve(sp.Eq(constants.lemma32_perturbation_bound.subs(R, R_w), lambda0 / 8), R_w)[0]   # √(2π)λ0δ/(32n²)
joint_R_a = sp.solve(sp.Eq(2 * n**2 * R_a, lambda0 / 8), R_a)[0]                                     # λ0/(16n²)
#: The true sup of |a² − 1| over |a − 1| ≤ R_a (a(0) = ±1): 2R_a + R_a² (erratum 5; the proof prints 2R_a).
a_square_deviation = sp.expand((1 + R_a) ** 2 - 1)
#: Lemma A.5's tail radius: |w_r(0)ᵀx_i| ≤ 3√log(mn/δ), and (3√log(mn/δ) + R_w) ≤ 4√log(mn/δ).
tail_radius = 3 * sp.sqrt(sp.log(m * n / delta))
#: Lemma A.4: ‖dw_r/ds‖ ≤ (|a_r(s)|/√m)√n‖y − u(s)‖ with |a_r(s)| ≤ 1 + R_a ≤ 2.
joint_R_w_prime = sp.simplify(sp.integrate(2 * gf_speed, (s, 0, sp.oo)))                       # 4√n‖·‖/(√m λ0)
#: Lemma A.5: |da_r/ds| ≤ (1/√m)√n‖y − u(s)‖ max_i|w_r(s)ᵀx_i| ≤ (4√log(mn/δ)/√m)√n‖y − u(s)‖.
joint_R_a_prime = sp.simplify(sp.integrate(4 * sp.sqrt(sp.log(m * n / delta)) * gf_speed, (s, 0, sp.oo)))
#: R′_w < R_w ⟺ m > 8192/π n⁵‖·‖²/(λ0⁴δ²).
joint_width_w = _width(joint_R_w_prime, joint_R_w)
#: R′_a < R_a ⟺ m > 16384 n⁵‖·‖² log(mn/δ)/λ0⁴: implicit in m (m·(R′_a/R_a)² does not depend on m but through the log).
joint_width_a_implicit = sp.expand(m * (joint_R_a_prime / joint_R_a) ** 2)


def joint_width_a(n_val: float, residual_val: float, delta_val: float, lambda0_val: float) -> float:
    """The m with R′_a = R_a: the fixed point of m ↦ 16384 n⁵‖·‖² log(mn/δ)/λ0⁴ (a contraction for m > that coefficient)."""
    rhs = sp.lambdify(m, joint_width_a_implicit.subs({n: n_val, residual: residual_val, delta: delta_val, lambda0: lambda0_val}), "math")
    width = float(rhs(1e6))
    for _ in range(200):
        new = float(rhs(width))
        if abs(new - width) <= 1e-13 * width:
            break
        width = new
    return width


# ---------------------------------------------------------------------------------------------------------
# Remark 3.1 (2): Lemma 3.2 at R = R′ gives ‖H(t) − H(0)‖₂ ≤ 4n²R′/(√(2π)δ) ∝ m^{−1/2}.

remark31_drift_bound = constants.lemma32_perturbation_bound.subs(R, gf_radius)
remark31_exponent = sp.simplify(sp.diff(sp.log(remark31_drift_bound), m) * m)   # d log / d log m = −1/2
