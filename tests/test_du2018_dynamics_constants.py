"""The training-dynamics constant chain of Du et al. (constants_dynamics), against the spec's numbers
(du2018.md §3.2, §3.6, §3.8, §3.9, §8)."""

import math

import numpy as np
import pytest
import sympy as sp

from lemmas.papers.du2018 import constants_dynamics as c
from lemmas.symbolic import C, R, delta, eta, lambda0, m, n, residual


def _same(expr, target):
    return sp.simplify(sp.expand_log(expr - target, force=True)) == 0


def test_gradient_flow_radius_has_the_factor_two():
    assert _same(c.gf_radius, 2 * sp.sqrt(n) * residual / (sp.sqrt(m) * lambda0))
    assert _same(c.gf_radius_printed, c.gf_radius / 2)


def test_gradient_descent_radius_is_four_sqrt_n():
    assert _same(c.gd_radius, 4 * sp.sqrt(n) * residual / (sp.sqrt(m) * lambda0))


def test_geometric_sum_and_its_bound():
    assert _same(c.geometric_sum, 1 / (1 - sp.sqrt(1 - c.x)))
    for xv in (1e-6, 0.01, 0.3, 1.0):
        total = sum((1 - xv) ** (k / 2) for k in range(200000)) if xv >= 0.01 else 1 / (1 - math.sqrt(1 - xv))
        assert total <= 2 / xv * (1 + 1e-12)


def test_lemma41_constant_is_sqrt_two_over_pi():
    assert _same(c.lemma41_C, sp.sqrt(2 / sp.pi))
    assert abs(float(c.lemma41_C) - 0.797885) < 1e-6


def test_step_size_matches_the_spec_and_closes_the_one_step_inequality():
    assert _same(c.step_size, lambda0 * (1 - 1 / sp.sqrt(n)) / (4 * n**2))
    closed = c.one_step_factor.subs(R, c.gd_R).subs(eta, c.step_size) - c.one_step_target.subs(eta, c.step_size)
    assert sp.simplify(closed) == 0
    for nv in (4, 9, 100):   # η ≤ λ0/(8n²) suffices for n ≥ 4
        assert float(c.step_size.subs({n: nv, lambda0: 1})) >= 1 / (8 * nv**2) - 1e-15


def test_expected_initial_residual_is_norm_y_plus_half_n():
    assert c.relu_second_moment == sp.Rational(1, 2)
    assert _same(c.expected_residual, c.y_norm2 + n / 2)
    assert _same(c.expected_residual_printed - c.expected_residual, n / 2)
    assert _same(c.residual_markov, n * (C**2 + sp.Rational(1, 2)) / delta)


@pytest.mark.parametrize("theta, value", [(0.0, 0.5), (math.pi / 2, 1 / (2 * math.pi)), (math.pi, 0.0), (1.0, None)])
def test_arccos_kernel_closed_form(theta, value):
    got = float(c.arccos_kernel_1.subs(c.theta, theta))
    expected = (math.sin(theta) + (math.pi - theta) * math.cos(theta)) / (2 * math.pi)
    assert math.isclose(got, expected, abs_tol=1e-15)
    if value is not None:
        assert math.isclose(got, value, abs_tol=1e-15)


def test_arccos_kernel_matches_monte_carlo():
    rng = np.random.default_rng(7)
    theta = 1.2
    w = rng.standard_normal((400_000, 2))
    x1, x2 = np.array([1.0, 0.0]), np.array([math.cos(theta), math.sin(theta)])
    mc = float(np.mean(np.maximum(w @ x1, 0) * np.maximum(w @ x2, 0)))
    assert abs(mc - float(c.arccos_kernel_1.subs(c.theta, theta))) < 3e-3


def test_gradient_flow_widths_match_the_spec():
    assert _same(c.gf_width_posterior, 512 / sp.pi * n**5 * residual**2 / (c.delta2**2 * lambda0**4))
    assert _same(c.gf_width, 13824 / sp.pi * (C**2 + sp.Rational(1, 2)) * n**6 / (lambda0**4 * delta**3))
    coefficient = float(c.gf_width.subs({C: 0, n: 1, lambda0: 1, delta: 1})) / 0.5
    assert math.isclose(coefficient, 4400.3, rel_tol=1e-4)
    assert _same(c.gf_width_printed_radius, c.gf_width / 4)


def test_gradient_descent_widths_match_the_spec():
    assert _same(c.gd_width_posterior, 2048 / sp.pi * n**5 * residual**2 / (c.delta2**2 * lambda0**4))
    assert _same(c.gd_width, 131072 / sp.pi * (C**2 + sp.Rational(1, 2)) * n**6 / (lambda0**4 * delta**3))
    coefficient = float(c.gd_width.subs({C: 0, n: 1, lambda0: 1, delta: 1})) / 0.5
    assert math.isclose(coefficient, 41721.5, rel_tol=1e-5)


def test_spec_illustrations_of_the_gradient_flow_width():
    """C = 1, δ = 0.1, λ0 = 0.3: n = 4 needs 3.3·10¹², n = 20 needs 5.2·10¹⁶; n = 1000, λ0 = 0.246: 1.8·10²⁷."""
    at = {C: 1, delta: 0.1, lambda0: 0.3}
    assert math.isclose(float(c.gf_width.subs({**at, n: 4})), 3.3e12, rel_tol=0.02)
    assert math.isclose(float(c.gf_width.subs({**at, n: 20})), 5.2e16, rel_tol=0.02)
    assert math.isclose(float(c.gf_width.subs({C: 1, delta: 0.1, lambda0: 0.246, n: 1000})), 1.8e27, rel_tol=0.05)


def test_in_hypothesis_case_widths_are_of_order_three_million_and_thirty_million():
    """Two orthogonal inputs, λ0 = 1/2, y = 0 (C → 0), δ = 0.9 (spec §3.2)."""
    at = {C: 0, n: 2, lambda0: sp.Rational(1, 2), delta: sp.Rational(9, 10)}
    assert 2.9e6 < float(c.gf_width.subs(at)) < 3.2e6
    assert 2.8e7 < float(c.gd_width.subs(at)) < 3.1e7
    assert float(c.lemma31_width_split3.subs({n: 2, lambda0: 0.5, delta: 0.9})) < 1e4


def test_lemma31_widths_with_delta_splits():
    assert _same(c.lemma31_width_split3, 256 * n**2 * sp.log(3 * n / delta) / lambda0**2)
    assert _same(c.lemma31_width_split4, 256 * n**2 * sp.log(4 * n / delta) / lambda0**2)


def test_joint_training_radii_match_appendix_a1():
    assert _same(c.joint_R_w, sp.sqrt(2 * sp.pi) * lambda0 * delta / (32 * n**2))
    assert _same(c.joint_R_a, lambda0 / (16 * n**2))
    assert _same(c.joint_R_w_prime, 4 * sp.sqrt(n) * residual / (sp.sqrt(m) * lambda0))
    assert _same(c.joint_R_a_prime, 8 * sp.sqrt(n) * residual * sp.sqrt(sp.log(m * n / delta)) / (sp.sqrt(m) * lambda0))
    assert _same(c.a_square_deviation, 2 * c.R_a + c.R_a**2)


def test_joint_training_widths_match_the_spec():
    assert _same(c.joint_width_w, 8192 / sp.pi * n**5 * residual**2 / (lambda0**4 * delta**2))
    assert math.isclose(8192 / math.pi, 2607.6, rel_tol=1e-4)
    assert _same(c.joint_width_a_implicit, 16384 * n**5 * residual**2 * sp.log(m * n / delta) / lambda0**4)
    width = c.joint_width_a(2, 1.0, 0.9, 0.5)
    at = {n: 2, residual: 1.0, delta: 0.9, lambda0: 0.5, m: width}
    assert math.isclose(float(c.joint_R_a_prime.subs(at)), float(c.joint_R_a.subs(at)), rel_tol=1e-10)
    assert width > 1e8   # out of reach even for two orthogonal inputs


def test_remark31_exponent_is_minus_one_half():
    assert c.remark31_exponent == sp.Rational(-1, 2)
