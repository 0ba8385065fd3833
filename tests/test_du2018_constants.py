"""The Du et al. constant chain, derived in sympy, against the numbers in the spec (du2018.md §3, §8)."""

import math

import sympy as sp

from lemmas.papers.du2018 import constants as c
from lemmas.symbolic import R, delta, lambda0, n


def test_lemma32_constant_c_is_sqrt_2pi_over_16():
    assert sp.simplify(c.lemma32_c - sp.sqrt(2 * sp.pi) / 16) == 0
    assert abs(float(c.lemma32_c) - 0.156664) < 1e-6


def test_lemma32_radius_makes_markov_bound_equal_lambda0_over_4():
    assert sp.simplify(c.lemma32_perturbation_bound.subs(R, c.lemma32_radius) - lambda0 / 4) == 0


def test_flip_probability_bound_dominates_the_exact_value():
    for r in (1e-4, 0.01, 0.5, 2.0):
        assert float(c.flip_probability_exact.subs(R, r)) <= float(c.flip_probability_bound.subs(R, r))


def test_lemma31_widths_match_the_spec():
    assert sp.simplify(c.lemma31_width_paper - 256 * n**2 * sp.log(n / delta) / lambda0**2) == 0
    sharp = sp.expand_log(c.lemma31_width_sharp - 8 * n**2 * sp.log(2 * n**2 / delta) / lambda0**2, force=True)
    assert sp.simplify(sharp) == 0
    value = float(c.lemma31_width_paper.subs({n: 10, delta: 0.1, lambda0: 0.1}))
    assert math.isclose(value, 256 * 100 * math.log(100) / 0.01)
