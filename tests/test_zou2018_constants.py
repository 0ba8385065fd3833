"""The Zou et al. constant chain (spec §4) and the example thresholds of spec §5, derived in sympy."""

import math

import pytest
import sympy as sp

from lemmas.papers.zou2018 import constants as K
from lemmas.symbolic import L, eta, m, n, phi, tau

#: spec §5 (n, L, φ) → GD paper form, SGD paper form, GD explicit, τ, K_GD/C2 (two significant digits).
SECTION5 = {
    (2, 1, 1.0): (1.6e8, 8.3e8, 2.3e17, 1.2e-7, 8.8e3),
    (2, 1, 0.5): (4.2e10, 2.1e11, 9.1e19, 1.2e-8, 3.5e4),
    (10, 2, 0.1): (3.5e45, 3.0e47, 1.9e56, 8.1e-23, 1.0e14),
    (10, 3, 0.1): (1.7e52, 1.5e54, 1.3e63, 6.9e-26, 4.0e15),
    (100, 3, 0.1): (1.4e78, 1.4e82, 3.0e89, 4.1e-35, 3.1e23),
    (1000, 5, 0.05): (9.3e114, 9.3e120, 5.7e126, 5.1e-49, 1.2e34),
    (1000, 10, 0.05): (2.6e126, 2.6e132, 2.0e138, 3.4e-54, 6.2e36),
}


@pytest.mark.parametrize("row", sorted(SECTION5))
def test_section5_thresholds_are_reproduced_to_two_digits(row):
    got = K.section5_row(*row)
    for key, want in zip(("gd_paper", "sgd_paper", "gd_explicit", "tau", "K_over_C2"), SECTION5[row]):
        assert got[key] == pytest.approx(want, rel=0.06), key


def test_lemma54_radius_and_step_solve_the_quarter_conditions():
    assert sp.simplify(K.tau_54 - (K.c0 * m * phi / (4 * K.C1 * L ** sp.Rational(17, 3) * n**3 * K.M * sp.sqrt(K.logM))) ** 3) == 0
    assert sp.simplify(K.eta_54 - K.c0 * m * phi / (4 * K.C2 * n**3 * L**9 * K.M**2)) == 0
    assert sp.simplify(K.descent_c6 + K.c0 * m * phi / (2 * n**5)) == 0


def test_gd_width_and_iterations_have_the_spec_closed_forms():
    A = K.potential_A()
    assert sp.simplify(K.gd_width() - 4**7 * K.c1**2 * K.C1**6 / K.c0**8 * L**38 * n**21 * K.logm**3 * K.L0 * A / phi**8) == 0
    assert sp.simplify(K.gd_iterations() - 8 * K.C2 * n**3 * L**9 * A / (K.c0**2 * phi**2)) == 0
    assert K.gd_iterations().free_symbols.isdisjoint({m, K.logm})


def test_power_of_reads_exponents_of_monomials():
    assert K.power_of(n**-9 * L**-17 * phi**3 / sp.log(K.M) ** sp.Rational(3, 2), phi) == 3
    assert K.power_of(K.tau_54, n) == -9 and K.power_of(K.tau_54, L) == -17


def test_errata_e4_e5_e6_derivations():
    const, eps_term = K.e4_terms()
    assert K.power_of(const, n) == 26 and sp.simplify(K.power_of(eps_term, n) - (26 - 2 * K.p)) == 0
    assert K.power_of(K.e5_width, K.log_inv_eps) == 2 and K.power_of(K.e5_width, n) == 28
    assert K.sgd_eta_exponent_needed(n, {K.p: 1, K.B: 1}) == -5
    assert K.power_of(K.equal_widths(K.eta_54), phi) == 1


def test_e12_constants():
    assert K.e12_f == 2 * K.a_beta + 4 / K.a_beta**2
    assert sp.simplify(K.e12_f_optimal - 3 * 2 ** sp.Rational(2, 3)) == 0 and K.e12_f_paper == 5
    assert float(K.e12_needed) == pytest.approx(9.524, abs=1e-3) and K.e12_printed_half == 4


def test_b3_core_is_three_m_d_two_thirds():
    assert sp.simplify(K.b3_beta_star - K.D ** sp.Rational(2, 3) / sp.sqrt(m)) == 0 and K.b3_core_factor == 3


def test_a14_constants_and_the_optimal_gamma():
    assert sp.simplify(K.a14_gamma - sp.sqrt(sp.pi) * K.phi_t / (4 * n)) == 0
    assert float(K.a14_Cprime) == pytest.approx(1 / math.sqrt(128 * math.e), rel=1e-12) == pytest.approx(0.05361, abs=1e-5)
    assert float(K.b5_constant) == pytest.approx(float(K.a15_count_constant) / 64 / 8, rel=1e-12)


def test_a3_constant_is_one_sixteenth_and_the_small_theta_limit_is_one_over_six_pi():
    assert K.a3_constant == sp.Rational(1, 16)
    small = float(K.a3_ratio.subs(K.theta, sp.Rational(1, 1000)).evalf(50))
    assert small == pytest.approx(1 / (6 * math.pi), rel=1e-3)


def test_chernoff_constant_of_lemma_a1():
    c = K.chernoff_c_a1()
    assert 15.47 <= c <= 15.48  # right tail at ξ = 1; both tails → 2·Var = 10 as ξ → 0


def test_band_probability_bounds_order():
    vals = {K.beta: 0.01, m: 1024, K.xnorm: 0.5}
    exact = float(K.band_probability_exact.subs(vals))
    assert float(K.band_probability_printed.subs(vals)) < exact <= float(K.band_probability_corrected.subs(vals))
