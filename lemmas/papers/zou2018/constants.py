"""The constant chain of Zou et al. (arXiv 1811.08888v3), derived in sympy from the proofs' own steps.

Spec §4 (the chain, [D]) and §5 (width thresholds). Each constant is *derived*: the inequality a proof needs is
written down and solved for the quantity, never typed in. The paper's absolute constants that it never evaluates
(c0 of Lemma B.5, C1 and C2 of Lemma C.2, c1 of Lemma B.6, C3 of (D.8)) stay symbols; §5 sets them to 1.
Explicit constants derived here for the lemmas that have them: A.1 (Chernoff with the exact law), A.3 (1/16),
A.6 (Gaussian concentration), A.14 (C = 1/2, C′ = 1/√(128e)), A.15 (explicit sketch), B.3 core (3mD^{2/3}),
B.5 (C2C1²/8 from A.15's). Tests compare every value with the spec's numbers.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp

from lemmas.symbolic import delta, epsilon, eta, L, m, n, phi, tau

# ---- local symbols (not in lemmas.symbolic; passed by name through Bounds) --------------------------------
p = sp.Symbol("p", positive=True)                 # exponent of Assumption 3.2
alpha0 = sp.Symbol("alpha0", positive=True)
alpha1 = sp.Symbol("alpha1", positive=True)
L0 = sp.Symbol("L0", positive=True)               # L_S(W^(0))
B = sp.Symbol("B", positive=True, integer=True)   # minibatch size
M = sp.Symbol("M", positive=True)                 # max width
mu = sp.Symbol("mu", positive=True)               # last input coordinate (Assumption 3.4)
s = sp.Symbol("s", positive=True)                 # sparsity
beta = sp.Symbol("bandwidth", positive=True)      # β, the band half-width of Lemma A.7 ("beta" would parse as a function)
xnorm = sp.Symbol("xnorm", positive=True)         # ‖x_{l−1,i}‖
D = sp.Symbol("D", positive=True)                 # ‖g̃ − g‖ in the B.3 core
logm = sp.Symbol("logm", positive=True)           # log m, kept apart to solve for m
logM = sp.Symbol("logM", positive=True)           # log M (> 0: M ≥ 2)
log_inv_eps = sp.Symbol("log_inv_eps", positive=True)  # log(1/ε)
a_beta = sp.Symbol("a", positive=True)            # β in units of (CC0′)^{2/3}L^{4/3}τ^{2/3}m^{−1/2} (E12)
C_B1, C0p = sp.symbols("C C0p", positive=True)    # Lemma B.3's C = 2(C0 ∨ 1) and the ‖W‖ constant C0′
# the paper's unevaluated absolute constants
c0, c1, C1, C2, C3 = sp.symbols("c0 c1 C1 C2 C3", positive=True)


def power_of(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """The exponent of ``var`` in a monomial-like ``expr``: d log(expr)/d log(var), simplified."""
    return sp.simplify(sp.expand_log(var * sp.diff(sp.log(expr), var), force=True))


def g_p(value: sp.Expr, pp: sp.Expr = p) -> sp.Expr:
    """g_p(x) = x^{1−2p}/(1 − 2p) for p ≠ 1/2 and log x for p = 1/2 (the potential of Lemma C.1)."""
    return sp.log(value) if pp == sp.Rational(1, 2) else value ** (1 - 2 * pp) / (1 - 2 * pp)


# ==========================================================================================================
# Appendix A: explicit constants of the initialization lemmas
# ==========================================================================================================


@functools.lru_cache(maxsize=1)
def chernoff_c_a1() -> float:
    """c with P(|r − 1| > ξ) ≤ 2exp(−mξ²/c) for ξ ∈ (0, 1], r = (2/m)Σσ(g_j)² (Lemma A.1, exact law [D]).

    The Cramér rate I(ξ) of X = 2σ(g)², E X = 1, has log-MGF log(½ + ½(1 − 4λ)^{−1/2}); c = sup_{0<ξ≤1}
    ξ²/min{I(ξ), I(−ξ)}. The right tail binds at ξ = 1 (≈ 15.47); both tails tend to 2·Var X = 10 as ξ → 0.
    Rounded *up* to 4 significant digits.
    """
    from scipy.optimize import brentq

    def log_mgf(lam: float) -> float:
        return math.log(0.5 + 0.5 * (1.0 - 4.0 * lam) ** -0.5)

    def dlog_mgf(lam: float) -> float:
        return (1.0 - 4.0 * lam) ** -1.5 / (0.5 + 0.5 * (1.0 - 4.0 * lam) ** -0.5)

    def rate(xi: float) -> float:
        a = 1.0 + xi
        lam = brentq(lambda t: dlog_mgf(t) - a, 0.0, 0.25 - 1e-15) if xi > 0 else brentq(lambda t: dlog_mgf(t) - a, -1e8, 0.0)
        return lam * a - log_mgf(lam)

    xs = np.linspace(1e-3, 1.0, 1000)
    # the left tail at ξ = 1 is P(X = 0 for all j) with rate log 2 (ratio 1/log 2 < 10): stop just short of it
    worst = max(max(x * x / rate(x), x * x / rate(-min(x, 0.999))) for x in xs)
    return float(np.ceil(worst * 1e3) / 1e3)


#: Lemma A.1 [D]: |‖x_l‖²/‖x_{l−1}‖² − 1| ≤ ξ_A1 for all i, l w.p. ≥ 1 − δ (union of 2nL Chernoff tails).
def xi_a1() -> sp.Expr:
    return sp.sqrt(sp.Float(chernoff_c_a1(), 6) * sp.log(2 * n * L / delta) / m)


#: Lemma A.3 [D, M]: C(θ) = (κ1(1 − θ²/2) − ½ + θ²/4)/θ³ ≤ 1/16 on (0, 2], the value at θ = 2.
theta = sp.Symbol("theta", positive=True)


def kappa1(alpha: sp.Expr) -> sp.Expr:
    """E[σ(Z1)σ(Z2)] for standard Z1, Z2 with correlation α: (√(1 − α²) + (π − arccos α)α)/(2π)."""
    return (sp.sqrt(1 - alpha**2) + (sp.pi - sp.acos(alpha)) * alpha) / (2 * sp.pi)


a3_ratio = (kappa1(1 - theta**2 / 2) - sp.Rational(1, 2) + theta**2 / 4) / theta**3
a3_constant = sp.simplify(a3_ratio.subs(theta, 2))

#: Lemma A.6 [D]: ŷ = Σ_j v_jσ(z_j) is √2‖x_{L−1}‖-Lipschitz in standard Gaussian units, so by Gaussian
#: concentration and a union bound |ŷ_i| ≤ 2‖x_{L−1,i}‖√(log(2n/δ)) for all i w.p. ≥ 1 − δ.
a6_constant = sp.sqrt(2 * 2)  # √(2·Lip²) with Lip² = 2

#: ‖W_l‖₂ (Gordon + Gaussian concentration, [D]): ≤ √(2/m_l)(√m_{l−1} + √m_l + √(2 log(L/δ))) for all l w.p. ≥ 1 − δ.
m_prev = sp.Symbol("m_prev", positive=True)
weight_norm_bound = sp.sqrt(2 / m) * (sp.sqrt(m_prev) + sp.sqrt(m) + sp.sqrt(2 * sp.log(L / delta)))

#: Lemma A.7 [D]: P(|⟨w, x⟩| ≤ β) ≤ 2β·(density at 0) = β√m/(√π‖x‖) ≤ 2β√(m/π) for ‖x‖ ≥ 1/2 (E9: the proof
#: prints half of it).
band_probability_exact = sp.erf(beta * sp.sqrt(m) / (2 * xnorm))
band_probability_bound = beta * sp.sqrt(m) / (sp.sqrt(sp.pi) * xnorm)
band_probability_printed = beta * sp.sqrt(m / sp.pi)     # the proof's density bound (E9)
band_probability_corrected = 2 * beta * sp.sqrt(m / sp.pi)

# ---- Lemma A.14 [D]: the optimal γ and the constants C = 1/2, C′ = 1/√(128e) ---------------------------------
gamma = sp.Symbol("gamma_", positive=True)
phi_t = sp.Symbol("phi_t", positive=True)  # φ̃
a14_event_lower = sp.sqrt(2 / (sp.pi * sp.E)) * gamma * (1 - 2 / sp.sqrt(sp.pi) * n * gamma / phi_t)
a14_gamma = sp.solve(sp.diff(a14_event_lower, gamma), gamma)[0]         # √π φ̃/(4n)
a14_event = sp.simplify(a14_event_lower.subs(gamma, a14_gamma))          # φ̃/(√(32e) n)
a14_probability = sp.simplify(a14_event / 2)                             # φ̃/(√(128e) n)
a14_C = sp.Rational(1, 2)
a14_Cprime = sp.simplify(a14_probability * n / phi_t)                    # 1/√(128e)

# ---- Lemma A.15, explicit sketch [D]: per-node probability q (A.14 with φ̃ = φ/2), Chernoff + ℓ∞-net ----------
a15_q = a14_probability.subs(phi_t, phi / 2)                             # φ/(2√(128e) n)
a15_C1 = sp.Rational(1, 4)      # A.14's ½ times min‖x_{L−1,i}‖ ≥ ½
a15_threshold = a15_C1 / 2      # after the C1/(4n)-net: ‖h_j(a)‖ ≥ (C1/2)‖a‖∞/n
a15_count_constant = sp.simplify(a15_q * n / (2 * phi))                  # count ≥ m q/2 = C″ m φ/n
a15_width = 8 * (n * sp.log(4 * n / a15_C1) + sp.log(1 / delta)) / a15_q

#: Lemma B.5 [V p.37, D]: C = C2C1²/8 with A.15's count constant C2 and threshold C1.
b5_constant = a15_count_constant * a15_threshold**2 / 8

# ==========================================================================================================
# Appendix B: the deterministic core of Lemma B.3 and erratum E12
# ==========================================================================================================

#: flips ≤ |S(β)| + D²/β² ≤ 2m^{3/2}β + D²/β² under Theorem 5.1(iv); minimised over β.
b3_flip_bound = 2 * m ** sp.Rational(3, 2) * beta + D**2 / beta**2
b3_beta_star = sp.solve(sp.diff(b3_flip_bound, beta), beta)[0]          # D^{2/3} m^{−1/2}
b3_core = sp.simplify(b3_flip_bound.subs(beta, b3_beta_star))           # 3 m D^{2/3}
b3_core_factor = sp.simplify(b3_core / (m * D ** sp.Rational(2, 3)))    # 3

#: E12: with D = 2CC0′L²τ (the proof's bound) and β = a·(CC0′)^{2/3}L^{4/3}τ^{2/3}m^{−1/2}, the flip bound is
#: f(a)·(CC0′)^{2/3}L^{4/3}τ^{2/3}m with f(a) = 2a + 4/a²; the proof needs f ≤ C′/2 with C′ = 8(CC0′)^{2/3}.
e12_unit = (C_B1 * C0p) ** sp.Rational(2, 3) * L ** sp.Rational(4, 3) * tau ** sp.Rational(2, 3) * m
e12_f = sp.simplify(b3_flip_bound.subs({D: 2 * C_B1 * C0p * L**2 * tau,
                                        beta: a_beta * (C_B1 * C0p) ** sp.Rational(2, 3) * L ** sp.Rational(4, 3)
                                        * tau ** sp.Rational(2, 3) / sp.sqrt(m)}) / e12_unit)
e12_a_optimal = sp.solve(sp.diff(e12_f, a_beta), a_beta)[0]            # 4^{1/3}
e12_f_optimal = sp.nsimplify(sp.simplify(e12_f.subs(a_beta, e12_a_optimal)))  # 3·2^{2/3} ≈ 4.76
e12_f_paper = e12_f.subs(a_beta, 2)                                      # the paper's β: 5
e12_printed_half = sp.Integer(8) / 2                                     # C′/2 with the printed C′ = 8(CC0′)^{2/3}
e12_needed = 2 * e12_f_optimal                                           # 6·2^{2/3} ≈ 9.52

# ==========================================================================================================
# §4: the GD chain (equal widths m_l = m = M unless M is kept)
# ==========================================================================================================

#: Theorem 5.3's radius conditions (hidden constant C̲ kept as a factor by the callers).
tau_b1 = L ** -11 * logM ** sp.Rational(-3, 2)
tau_b5 = phi ** sp.Rational(3, 2) * n ** -3 * L ** -2

#: (C.5): the per-step change of L_S is ≤ η(Σℓ′)² times this coefficient (Lemma 5.4's proof, p.39).
descent_coefficient = (-c0 * m * phi / n**5 + C1 * L ** sp.Rational(17, 3) * tau ** sp.Rational(1, 3) * M * sp.sqrt(logM) / n**2
                       + eta * C2 * L**9 * M**2 / n**2)
_quarter = c0 * m * phi / (4 * n**5)
#: each of the two error terms ≤ a quarter of the main term gives (C.6) with −c0mφ/(2n⁵):
tau_54 = sp.solve(sp.Eq(C1 * L ** sp.Rational(17, 3) * tau ** sp.Rational(1, 3) * M * sp.sqrt(logM) / n**2, _quarter), tau)[0]
eta_54 = sp.solve(sp.Eq(eta * C2 * L**9 * M**2 / n**2, _quarter), eta)[0]
descent_c6 = sp.simplify(descent_coefficient.subs({tau: tau_54, eta: eta_54}))  # −c0 m φ/(2n⁵)


def equal_widths(expr: sp.Expr) -> sp.Expr:
    """Substitute M = m (equal widths), with log M written as the symbol ``logm``."""
    return sp.simplify(expr.subs({M: m, logM: logm}))


#: Required Kη (items 4 of §4): R(ε) = 2A/(c0 m φ) with A = n⁵(L0 − ε)/α0² + n^{5−2p}(g_p(L0) − g_p(ε))/α1².
def potential_A(pp: sp.Expr = p, finite_alpha0: bool = True) -> sp.Expr:
    first = n**5 * (L0 - epsilon) / alpha0**2 if finite_alpha0 else sp.Integer(0)
    return first + n ** (5 - 2 * pp) * (g_p(L0, pp) - g_p(epsilon, pp)) / alpha1**2


def required_time(pp: sp.Expr = p, finite_alpha0: bool = True) -> sp.Expr:
    return 2 * potential_A(pp, finite_alpha0) / (c0 * m * phi)


#: Available time (Lemma 5.5, [V p.42]): T = τ² c0 m φ/(2 c1² L⁴ M n³ L0).
available_time = tau**2 * c0 * m * phi / (2 * c1**2 * L**4 * M * n**3 * L0)


@functools.lru_cache(maxsize=8)
def gd_width(pp: sp.Expr = p, finite_alpha0: bool = True) -> sp.Expr:
    """m from R(ε) = T with τ = τ_5.4 and M = m (item 6): an expression in ``logm`` (solve by fixed point)."""
    T = equal_widths(available_time.subs(tau, tau_54))
    return sp.simplify(sp.solve(sp.Eq(required_time(pp, finite_alpha0), T), m)[0])


@functools.lru_cache(maxsize=8)
def gd_iterations(pp: sp.Expr = p, finite_alpha0: bool = True) -> sp.Expr:
    """K = R(ε)/η with η = η_5.4 (item 7): independent of m."""
    return sp.simplify(required_time(pp, finite_alpha0) / equal_widths(eta_54))


def fixed_point_width(width_of_logm: sp.Expr, values: dict, iterations: int = 200) -> float:
    """Solve m = f(log m) by iteration (f is increasing and sublinear in log m, so this converges)."""
    f = sp.lambdify(logm, width_of_logm.subs(values), modules="mpmath")
    import mpmath

    current = mpmath.mpf(1)
    for _ in range(iterations):
        nxt = f(mpmath.log(max(current, mpmath.e)))
        if abs(nxt - current) <= 1e-12 * abs(nxt):
            break
        current = nxt
    return float(current)


# ==========================================================================================================
# The paper's forms (hidden constants 1, logs dropped), for the errata E3–E6 and §5
# ==========================================================================================================

#: Lemma 5.4 Kη table [V p.12], α0 < ∞, p > ½ (the ε term is ε^{1−2p}).
k_eta_54_finite = n**5 / (m * phi) + n ** (5 - 2 * p) * epsilon ** (1 - 2 * p) / (m * phi)
#: T used in the proof of Theorem 4.1 [V p.12]: O(L^{−38} n^{−21} φ^7).
T_thm41 = L**-38 * n**-21 * phi**7
#: Lemma 5.6 Kη [V p.13], α0 = ∞, p = ½: n⁴/(mφ)·log(1/ε).
k_eta_56_half = n**4 / (m * phi) * log_inv_eps
#: T used in the proof of Theorem 4.5 [V p.13–14], α0 = ∞: Õ(n^{−10}L^{−19}m^{−1/2}φ³).
T_thm45_inf = n**-10 * L**-19 * m ** sp.Rational(-1, 2) * phi**3


def width_from(k_eta: sp.Expr, T: sp.Expr) -> sp.Expr:
    """The width at which the required Kη equals the available T (solved for m)."""
    return sp.simplify(sp.solve(sp.Eq(k_eta, T), m)[0])


#: E4, derived: the two terms of the α0 < ∞, p > ½ width; printed with their n-exponents swapped.
def e4_terms() -> tuple[sp.Expr, sp.Expr]:
    const = width_from(n**5 / (m * phi), T_thm41)
    eps_term = width_from(n ** (5 - 2 * p) * epsilon ** (1 - 2 * p) / (m * phi), T_thm41)
    return const, eps_term


e4_printed = (n ** (26 - 2 * p) * L**38 * phi**-8, n**26 * L**38 * phi**-8 * epsilon ** (1 - 2 * p))

#: E5, derived: m ∝ log²(1/ε) for SGD, α0 = ∞, p = ½ (printed log(1/ε)).
e5_width = width_from(k_eta_56_half, T_thm45_inf)
e5_printed_power = sp.Integer(1)

#: E6: the step sizes the proofs need. GD: η_5.4 (φ¹); SGD: min of Lemma 5.6's (D.9) condition and Lemma 5.7's
#: (D.15) condition, the latter from log(1/δ)c1²L⁸ m n^{7−2p} η/(c0B²α1²φ) ≤ |L0^{1−2p}/(2 − 4p)|.
eta_56 = sp.solve(sp.Eq(eta * C3 * n**4 * L**9 * M**2 / (c0 * m * phi * B), sp.Rational(1, 4)), eta)[0]
_d15_term = sp.log(1 / delta) * c1**2 * L**8 * m * n ** (7 - 2 * p) * eta / (c0 * B**2 * alpha1**2 * phi)
eta_57 = sp.solve(sp.Eq(_d15_term, sp.Abs(L0 ** (1 - 2 * p) / (2 - 4 * p))), eta)[0]
#: the statements' printed step sizes (hidden constants 1): Theorem 4.1 and 4.5, O(n^{−3}L^{−9}m^{−1}).
eta_statement_41 = n**-3 * L**-9 / m
eta_statement_45 = n**-3 * L**-9 / m
#: the proof of Theorem 4.5's η [V p.14]: O(φ m^{−1} n^{2p−7} L^{−9} B²).
eta_proof_45 = phi * n ** (2 * p - 7) * L**-9 * B**2 / m


def sgd_eta_exponent_needed(var: sp.Symbol, values: dict) -> sp.Expr:
    """The exponent of ``var`` in the SGD step size the proof needs: the smaller η of (D.9) and (D.15) for large
    ``var`` is the one with the smaller exponent."""
    exps = [power_of(equal_widths(e).subs(values), var) for e in (eta_56, eta_57)]
    return sp.Min(*[sp.simplify(e.subs(values)) for e in exps])


# ==========================================================================================================
# §5: example thresholds
# ==========================================================================================================

#: L_S(W^(0)) for the logistic loss at initialization, E log(1 + e^Z), Z ~ N(0, 1 − 1/π) [M] (spec §3.2 A.6).
LOGISTIC_L0 = 0.7724


def section5_row(n_val: int, L_val: int, phi_val: float) -> dict[str, float]:
    """One row of spec §5 (logistic loss, p = 1, α0 < ∞, ε = log 2/(2n); hidden constants 1).

    Columns: GD paper form (E4 corrected), SGD paper form, explicit GD width (§4 item 6, fixed point in log m),
    τ (§4 item 1 at that width), K_GD/C2 (§4 item 7).
    """
    alpha = 1 - math.exp(-1)
    eps = math.log(2) / (2 * n_val)
    vals = {n: n_val, L: L_val, phi: phi_val, epsilon: eps, p: 1, alpha0: alpha, alpha1: alpha, L0: LOGISTIC_L0,
            c0: 1, c1: 1, C1: 1, C2: 1}
    gd_paper = n_val**26 * L_val**38 * phi_val**-8 + n_val**24 * L_val**38 * phi_val**-8 / eps
    sgd_paper = n_val**28 * L_val**38 * phi_val**-8 + n_val**24 * L_val**38 * phi_val**-8 * eps**-2
    width = fixed_point_width(gd_width(sp.Integer(1)), vals)
    tau_val = float(equal_widths(tau_54).subs(vals).subs(logm, math.log(width)))
    iterations = float(gd_iterations(sp.Integer(1)).subs(vals))
    return {"n": n_val, "L": L_val, "phi": phi_val, "gd_paper": gd_paper, "sgd_paper": sgd_paper,
            "gd_explicit": width, "tau": tau_val, "K_over_C2": iterations}


#: spec §5's rows (n, L, φ).
SECTION5_ROWS = ((2, 1, 1.0), (2, 1, 0.5), (10, 2, 0.1), (10, 3, 0.1), (100, 3, 0.1), (1000, 5, 0.05), (1000, 10, 0.05))


# ==========================================================================================================
# Theorem 5.3's radius with hidden constants 1 (checks record whether τ is inside it)
# ==========================================================================================================


def theorem53_radius(L_val: int, M_val: int, n_val: int, phi_val: float) -> float:
    """min{L^{−11}(log M)^{−3/2}, φ^{3/2}n^{−3}L^{−2}} (C̲ = 1)."""
    return min(L_val**-11 * math.log(M_val) ** -1.5, phi_val**1.5 * n_val**-3 * L_val**-2)


def lemma_b1_radius(L_val: int) -> float:
    """Lemma B.1's τ ≤ κL^{−3} (κ = 1)."""
    return float(L_val) ** -3
