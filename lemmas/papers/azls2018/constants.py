"""The polynomials and shapes of Allen-Zhu, Li, Song (arXiv 1811.03962 v5), in sympy.

Every O(·)/Ω(·) right-hand side a check compares against is written here once, over the shared symbols of
:mod:`lemmas.symbolic` (AZLS's d is the *output* dimension, ``d_out``: every m/d factor comes from B,
azls2018.md §1.1) and a few local symbols the shared module lacks (``delta_sep``: the data separation δ of
Assumption 2.1; ``s``: a sparsity; ``ell``: a layer index; ``r``: ‖W′‖₂; ``F``: a loss value; ``b``: a batch
size). Hidden constants are never invented: shapes carry no constant, and the checks estimate the implied
constant (azls2018.md §4.1, §6.0).

Theorem 1's width, step and iteration polynomials are [V-sec:S1] for d = 1 with the d-factors derived
(τ² ↔ 1/d); :func:`reconstruct` reproduces them from Theorems 3–4 and the initial-loss bound by the
consistency chain of azls2018.md §5, with Theorem 4's first-order L-exponent ``a`` left free (the chain
forces a = 2; the layer-by-layer sum of Lemma 8.7 would give a = 3, spec §9). Theorem 2's polynomials are
a candidate [U]: recorded, checked only for internal consistency (§2.2).
"""

from __future__ import annotations

import sympy as sp

from lemmas.symbolic import L, d_out, epsilon, eta, m, n, omega

# ---- local symbols (not in lemmas.symbolic; passed to Bounds by name) -----------------------------
delta_sep = sp.Symbol("delta_sep", positive=True)   # Assumption 2.1: ‖x_i − x_j‖ ≥ δ
s = sp.Symbol("s", positive=True)                   # sparsity of D″ or of u
ell = sp.Symbol("ell", nonnegative=True)            # a layer index 0..L
r = sp.Symbol("r", positive=True)                   # ‖W′‖₂ of an increment
F = sp.Symbol("F", positive=True)                   # a loss value F(W̆)
b = sp.Symbol("b", positive=True)                   # mini-batch size

LOCAL_SYMBOLS = {sym.name: sym for sym in (delta_sep, s, ell, r, F, b)}

log_m = sp.log(m)

# ---- §3.1 Lemma 7.1: forward propagation ---------------------------------------------------------
#: Exact law [D]: ‖h_ℓ‖² = ∏_{j≤ℓ} (2/m)χ²_{K_j}, K_j ~ Bin(m, 1/2): mean 1, variance (1 + 5/m)^{ℓ+1} − 1.
forward_mean = sp.Integer(1)
forward_variance = (1 + 5 / m) ** (ell + 1) - 1


def chi_binomial_moment(k: int) -> sp.Expr:
    """E X^k for X = (2/m)χ²_K, K ~ Bin(m, 1/2) [D]: E[χ²_K^k | K] = K(K+2)⋯(K+2k−2), and the binomial
    factorial moments E[(K)_j] = (m)_j/2^j turn that polynomial in K into a rational function of m."""
    K = sp.Symbol("K")
    poly = sp.Poly(sp.prod([K + 2 * i for i in range(k)]), K)
    expectation = sp.Integer(0)
    for (power,), coeff in poly.terms():
        expectation += coeff * sum(sp.functions.combinatorial.numbers.stirling(power, j) * sp.ff(m, j) / 2**j
                                   for j in range(power + 1))
    return sp.factor(sp.expand((2 / m) ** k * expectation))


#: Raw moments E‖h_ℓ‖^{2k} = (E X^k)^{ℓ+1} and the fourth central moment of ‖h_ℓ‖² (for the oracle's z-test).
forward_raw_moments = {k: chi_binomial_moment(k) ** (ell + 1) for k in (1, 2, 3, 4)}
forward_fourth_central = (forward_raw_moments[4] - 4 * forward_raw_moments[3] * forward_raw_moments[1]
                          + 6 * forward_raw_moments[2] * forward_raw_moments[1] ** 2 - 3 * forward_raw_moments[1] ** 4)
#: Deviation at a fixed failure probability of 1 − O(nL)e^{−Ω(mε²/L)} [U general-ε form]: ε ∝ √(L log(nL)/m).
forward_deviation = sp.sqrt(L * sp.log(2 * n * (L + 1)) / m)

# ---- §3.2 separation ------------------------------------------------------------------------------
separation_bound = delta_sep / 2
#: Finite-width error of the κ-recursion (fluctuation scale √(L/m), azls2018.md §6.3).
separation_error = sp.sqrt(L / m)
#: Assumption 2.1's δ ≤ O(1/L), C = 1 reading.
separation_delta_max = 1 / L

# ---- §3.3–3.4 Lemma 7.3, 7.4 -----------------------------------------------------------------------
chain_norm = sp.sqrt(L)
backward_norm = sp.sqrt(m / d_out)
sparse_backward_norm = sp.sqrt(s * log_m / d_out)
#: Lemma 7.4 hypotheses (C = 1 readings): m ≥ nL log(nL) for (b); s ≥ d/log m for (a).
backward_width_min = n * L * sp.log(2 * n * L)
sparse_min = d_out / log_m

# ---- §3.7 Lemma 8.2 ---------------------------------------------------------------------------------
#: Hypothesis ω ≤ 1/(C L^{9/2} log³m), C = 1 reading (the loosest: for any C ≥ 1 it is necessary).
perturbation_omega_max = 1 / (L ** sp.Rational(9, 2) * log_m**3)
flips_adversarial = m * omega ** sp.Rational(2, 3) * L
flips_random = m * omega
hidden_shift = omega * L ** sp.Rational(5, 2) * sp.sqrt(log_m)
split_l2 = omega * L ** sp.Rational(3, 2)
split_linf = omega * L ** sp.Rational(5, 2) * sp.sqrt(log_m / m)
#: The one-layer certificate's gain: Σ_{k≤s} g_(k)² < (gain·ω‖h‖)² (exact, azls2018.md §3.7).
flip_certificate_gain = sp.Integer(1)

# ---- §3.8–3.9 Lemma 8.6, 8.7 ------------------------------------------------------------------------
sparsity = m * omega ** sp.Rational(2, 3) * L
perturbed_chain_norm = sp.sqrt(L)
back_perturbation = omega ** sp.Rational(1, 3) * L**2 * sp.sqrt(m * log_m / d_out)
#: Lemma 8.7 hypotheses [V-sec:S1, S5], C = 1 readings: ω ≤ L^{−3/2}, d ≤ m/(L log m).
back_perturbation_omega_max = L ** sp.Rational(-3, 2)
back_perturbation_d_max = m / (L * log_m)

# ---- §3.10 Claim 11.2 and §2.4 Theorem 4 --------------------------------------------------------------
expansion_hidden = L ** sp.Rational(3, 2)
expansion_output = L * sp.sqrt(m / d_out)
theorem4_omega_min = d_out ** sp.Rational(3, 2) / (m ** sp.Rational(3, 2) * L ** sp.Rational(3, 2) * log_m ** sp.Rational(3, 2))
theorem4_omega_max = perturbation_omega_max
#: Theorem 4's first-order coefficient as stated [U; D-forced by Theorem 1's L^12] and the layer-by-layer
#: sum of Lemma 8.7 (L times its bound): the L² vs L³ tension of spec §9.
first_order_coefficient = omega ** sp.Rational(1, 3) * L**2 * sp.sqrt(m * log_m / d_out)
layer_sum_coefficient = L * back_perturbation
second_order_coefficient = n * L**2 * m / d_out
semi_smoothness = first_order_coefficient * r * sp.sqrt(n * F) + second_order_coefficient * r**2

# ---- §2.3 Theorem 3, §2.5 Theorem 5, §3.11 initial loss ---------------------------------------------
gradient_upper = n * m / d_out
gradient_lower = delta_sep * m / (d_out * n**2)
theorem3_radius = delta_sep ** sp.Rational(3, 2) / (n ** sp.Rational(9, 2) * L**6 * log_m**3)
gradient_stability = sp.sqrt(log_m) * omega ** sp.Rational(1, 3) * L**3
initial_loss = n * log_m**2

# ---- §2.1 Theorem 1 (GD) [V-sec:S1 for d = 1; d-factors D] ------------------------------------------
theorem1_width = n**24 * L**12 * d_out * log_m**5 / delta_sep**8
theorem1_step = d_out * delta_sep / (n**4 * L**2 * m)
theorem1_iterations = n**6 * L**2 / delta_sep**2 * sp.log(1 / epsilon)
theorem1_radius = n**3 * sp.sqrt(d_out) * log_m / (delta_sep * sp.sqrt(m))
theorem1_rate = eta * delta_sep * m / (d_out * n**2)
#: Lemma 8.2 applied to the GD radius: the fraction of flipped signs ∝ ω_GD^{2/3} L.
theorem1_flip_fraction = theorem1_radius ** sp.Rational(2, 3) * L

# ---- §2.2 Theorem 2 (SGD) candidate [U] ---------------------------------------------------------------
theorem2_step = b * delta_sep * d_out / (n**5 * L**2 * m * log_m**2)
theorem2_iterations = n**7 * L**2 * log_m**2 / (b * delta_sep**2) * sp.log(1 / epsilon)

# ---------------------------------------------------------------------------------------------------------
# The consistency reconstruction of azls2018.md §5
# ---------------------------------------------------------------------------------------------------------

lam = sp.Symbol("lambda", positive=True)            # log m, kept apart from m in the reconstruction
a = sp.Symbol("a", positive=True)                    # Theorem 4's first-order L-exponent
c1, c2, c3, c4, c5 = sp.symbols("c1:6", positive=True)
_eta = sp.Symbol("eta_", positive=True)
_F0 = sp.Symbol("F0", positive=True)

#: The variables whose exponents are compared (constants c_i drop out).
EXPONENT_VARIABLES = (n, L, d_out, delta_sep, m, lam)


def monomial_exponents(expr: sp.Expr, variables=EXPONENT_VARIABLES) -> dict[str, sp.Expr]:
    """The exponent of each variable in a monomial (x ∂ log expr/∂x), log m replaced by λ first."""
    expr = sp.sympify(expr).subs(log_m, lam)
    logged = sp.expand_log(sp.log(expr), force=True)
    return {str(x): sp.nsimplify(sp.simplify(x * sp.diff(logged, x))) for x in variables}


def _positive_root(equation: sp.Eq, unknown: sp.Symbol) -> sp.Expr:
    roots = [root for root in sp.solve(equation, unknown) if root != 0]
    if len(roots) != 1:
        raise ValueError(f"expected one non-zero root for {unknown}, got {roots}")
    return sp.simplify(roots[0])


def reconstruct(first_order_exponent: sp.Expr = a) -> dict[str, sp.Expr]:
    """Steps 3–9 of azls2018.md §5: η, T, ω_GD and the width from Theorems 3, 4 and F(W(0)) ≤ c5 n λ².

    Returns the derived step ``eta``, the iteration count per log(1/ε) ``T``, the GD movement ``omega_gd``,
    the radius of step 6 ``omega_first_order``, the ``width`` at which ω_GD ≤ that radius, and the ratio of
    Theorem 3's radius to step 6's radius (side condition of step 9).
    """
    A = sp.sympify(first_order_exponent)
    d, dl = d_out, delta_sep
    # Step 4: the second-order term is at most 1/4 of the guaranteed decrease.
    eta_max = _positive_root(sp.Eq(c4 * c1 * _eta**2 * n**2 * L**2 * m**2 / d**2, _eta * c2 * dl * m / (4 * d * n**2)), _eta)
    # Step 5: per-step contraction ρ and T = ρ^{-1} log(F0/ε).
    rho = c2 * eta_max * dl * m / (2 * d * n**2)
    # Step 6: the first-order term is at most 1/4 of the decrease.
    omega6 = _positive_root(
        sp.Eq(c3 * sp.sqrt(c1) * omega ** sp.Rational(1, 3) * L**A * n * m * sp.sqrt(lam) * _eta * F / d,
              c2 * _eta * dl * m * F / (4 * d * n**2)), omega)
    # Step 7: movement Σ_t η‖∇F‖ ≤ η√(c1 nm/d)·√F0·2/ρ with F0 = c5 n λ².
    movement = sp.simplify((eta_max * sp.sqrt(c1 * n * m / d) * sp.sqrt(_F0) * 2 / rho).subs(_F0, c5 * n * lam**2))
    # Step 8: ω_GD ≤ ω6, solved for m (λ = log m kept as its own symbol).
    width = _positive_root(sp.Eq(movement, omega6), m)
    radius3 = theorem3_radius.subs(log_m, lam)
    return {
        "eta": eta_max,
        "T": sp.simplify(1 / rho),
        "omega_gd": movement,
        "omega_first_order": omega6,
        "width": width,
        "theorem3_over_step6": sp.simplify(radius3 / omega6),
    }


def forced_first_order_exponent(stated_width: sp.Expr = theorem1_width) -> sp.Expr:
    """The L-exponent a of Theorem 4's first-order term that makes the reconstructed width match ``stated_width``."""
    derived = monomial_exponents(reconstruct(a)["width"])["L"]
    target = monomial_exponents(stated_width)["L"]
    return _positive_root(sp.Eq(derived, target), a)


def sgd_worst_case_step() -> sp.Expr:
    """Theorem 2, §2.2 [D]: the largest η with O(nL²m/d)‖W′‖₂² ≤ ¼η·Ω(δmF/(dn²)) when the mini-batch step is
    bounded in the worst case, ‖W′‖₂² ≤ c1 η² (n²/b)(m/d)F."""
    return _positive_root(
        sp.Eq(c4 * n * L**2 * m / d_out * c1 * _eta**2 * n**2 / b * m / d_out * F, _eta * c2 * delta_sep * m * F / (4 * d_out * n**2)),
        _eta)
