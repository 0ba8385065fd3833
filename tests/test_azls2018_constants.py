"""Tests of the sympy polynomials of Allen-Zhu, Li, Song (lemmas.papers.azls2018.constants) against azls2018.md."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from lemmas.papers.azls2018 import constants as c

N, L, D, DELTA, M, LAM, B = (sp.Symbol(s) for s in ("n", "L", "d_out", "delta_sep", "m", "lambda", "b"))


def exps(expr, extra=()):
    return {k: sp.nsimplify(v) for k, v in c.monomial_exponents(expr, c.EXPONENT_VARIABLES + tuple(extra)).items()}


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_chi_binomial_moment_matches_the_binomial_sum(k):
    m = 7
    K = np.arange(m + 1)
    rising = np.prod([K + 2 * i for i in range(k)], axis=0)
    direct = (2 / m) ** k * float(np.sum(stats.binom.pmf(K, m, 0.5) * rising))
    assert float(c.chi_binomial_moment(k).subs(c.m, m)) == pytest.approx(direct, rel=1e-12)


def test_forward_variance_is_the_second_moment_minus_one():
    assert sp.simplify(c.forward_raw_moments[2] - 1 - c.forward_variance) == 0
    assert c.chi_binomial_moment(2) == (c.m + 5) / c.m


def test_fourth_central_moment_from_independent_factors():
    # ‖h_ℓ‖² is a product of ℓ + 1 independent factors with mean 1: raw moments multiply
    m, ell = 9, 2
    K = np.arange(m + 1)
    pmf = stats.binom.pmf(K, m, 0.5)
    raw = [(2 / m) ** k * float(np.sum(pmf * np.prod([K + 2 * i for i in range(k)], axis=0))) ** 1 for k in range(5)]
    prod = [r ** (ell + 1) for r in raw]
    direct = prod[4] - 4 * prod[3] + 6 * prod[2] - 3
    assert float(c.forward_fourth_central.subs({c.m: m, c.ell: ell})) == pytest.approx(direct, rel=1e-12)


def test_reconstruction_reproduces_theorem1_exponents():
    r = c.reconstruct(2)
    assert exps(r["eta"]) == exps(c.theorem1_step) == {"n": -4, "L": -2, "d_out": 1, "delta_sep": 1, "m": -1, "lambda": 0}
    assert exps(r["T"]) == exps(c.theorem1_iterations / sp.log(1 / c.epsilon)) == {"n": 6, "L": 2, "d_out": 0, "delta_sep": -2, "m": 0, "lambda": 0}
    assert exps(r["omega_gd"]) == exps(c.theorem1_radius) == {"n": 3, "L": 0, "d_out": sp.Rational(1, 2), "delta_sep": -1, "m": sp.Rational(-1, 2), "lambda": 1}
    assert exps(r["width"]) == exps(c.theorem1_width) == {"n": 24, "L": 12, "d_out": 1, "delta_sep": -8, "m": 0, "lambda": 5}


def test_stated_width_forces_first_order_exponent_two_and_three_gives_l18():
    assert c.forced_first_order_exponent() == 2
    assert exps(c.reconstruct(3)["width"])["L"] == 18


def test_side_condition_theorem3_radius_against_step6():
    ratio = c.reconstruct(2)["theorem3_over_step6"]
    assert exps(ratio) == {"n": sp.Rational(9, 2), "L": 0, "d_out": 0, "delta_sep": sp.Rational(-3, 2), "m": 0, "lambda": sp.Rational(-3, 2)}


def test_width_is_astronomical_at_tiny_sizes():
    # spec §6.0: n = 2, L = 2, d = 1, δ = 0.5 gives m ≥ 2^44 log^5 m
    value = c.theorem1_width.subs({c.n: 2, c.L: 2, c.d_out: 1, c.delta_sep: sp.Rational(1, 2)})
    assert sp.simplify(value - 2**44 * sp.log(c.m) ** 5) == 0


def test_theorem3_radius_gives_the_stated_flip_scale():
    # spec §2.3: with ω = δ^{3/2}/(n^{9/2}L^6 log³m), mω^{2/3}L = mδ/(n³L³log²m)
    scale = c.sparsity.subs(c.omega, c.theorem3_radius)
    assert sp.simplify(scale - c.m * c.delta_sep / (c.n**3 * c.L**3 * sp.log(c.m) ** 2)) == 0


def test_theorem4_lower_radius_is_the_sparse_backward_threshold():
    # spec §5 step 9: mω^{2/3}L ≥ d/log m  ⟺  ω ≥ (d/(mL log m))^{3/2}
    omega_star = sp.solve(sp.Eq(c.sparsity, c.sparse_min), c.omega)
    assert any(sp.simplify(w - c.theorem4_omega_min) == 0 for w in omega_star)


def test_sgd_worst_case_step_and_theorem2_candidate():
    assert exps(c.sgd_worst_case_step(), (c.b,)) == exps(c.theorem2_step * sp.log(c.m) ** 2, (c.b,))
    assert sp.simplify((c.theorem2_step * sp.log(c.m) ** 2).subs(c.b, c.n) - c.theorem1_step) == 0
    assert sp.simplify(c.theorem2_iterations * c.theorem1_rate.subs(c.eta, c.theorem2_step) / sp.log(1 / c.epsilon)) == 1


def test_layer_sum_is_l_times_lemma87_and_first_order_is_l_squared():
    assert sp.simplify(c.layer_sum_coefficient / c.first_order_coefficient - c.L) == 0
    assert exps(c.first_order_coefficient)["L"] == 2


def test_spec_one_layer_flip_law_constant():
    # spec §3.7: small-ω supremum m(3ω²/π)^{1/3} ≈ 0.985 mω^{2/3}
    assert (3 / math.pi) ** (1 / 3) == pytest.approx(0.985, abs=1e-3)
