"""The losses of Zou et al.: derived constants against spec §2.1, numerics against sympy, the E20/E21 findings."""

import math

import numpy as np
import pytest
import sympy as sp

from lemmas.papers.zou2018 import losses
from lemmas.papers.zou2018.assumptions import feasibility_ratio

SPEC_TABLE = {  # spec §2.1: (alpha0, alpha1, p, lambda, rho0, rho1); inf = +∞
    "logistic": (1 - math.exp(-1), 1 - math.exp(-1), 1.0, 0.25, 1.0, 1.0),
    "squared_hinge": (math.inf, 2.0, 0.5, 2.0, math.inf, 2.0),
    "huberized_hinge": (1.0, math.sqrt(2), 0.5, 1.0, 1.0, math.sqrt(2)),
    "poly_tail": (3.0, 3.0, 2 / 3, 6.0, 3.0, 3.0),
}


@pytest.mark.parametrize("name", sorted(SPEC_TABLE))
def test_derived_constants_match_the_spec_table(name):
    got = losses.constants(name).as_floats()
    for key, want in zip(("alpha0", "alpha1", "p", "lambda", "rho0", "rho1"), SPEC_TABLE[name]):
        assert got[key] == pytest.approx(want, rel=1e-12), key


@pytest.mark.parametrize("name", sorted(SPEC_TABLE))
def test_valid_losses_satisfy_every_assumption(name):
    assert losses.satisfies(name) == {"3.1": True, "3.2": True, "3.3": True, "4.4": True}


def test_hinge_and_exponential_violate_smoothness_and_square_violates_monotonicity():
    assert not losses.satisfies("hinge")["3.3"] and "jumps" in losses.constants("hinge").why["3.3"]
    assert not losses.satisfies("exponential")["3.3"] and losses.constants("exponential").lam == sp.oo
    assert not losses.satisfies("square")["3.1"]


def test_logistic_identity_minus_derivative_is_one_minus_exp_minus_loss():
    z = np.linspace(-40, 40, 20001)
    ell, d1 = losses.LOGISTIC.value(z), losses.LOGISTIC.d1(z)
    assert np.max(np.abs(-d1 - (1 - np.exp(-ell)))) < 1e-15


@pytest.mark.parametrize("name", ["logistic", "squared_hinge", "huberized_hinge", "poly_tail", "exponential"])
def test_numeric_derivatives_match_central_differences_away_from_kinks(name):
    loss = losses.get(name)
    z = np.array([-2.3, -0.7, 0.31, 0.77, 2.9])
    h = 1e-6
    fd1 = (loss.value(z + h) - loss.value(z - h)) / (2 * h)
    fd2 = (loss.d1(z + h) - loss.d1(z - h)) / (2 * h)
    assert np.allclose(loss.d1(z), fd1, rtol=1e-6, atol=1e-8)
    assert np.allclose(loss.d2(z), fd2, rtol=1e-5, atol=1e-7)


def test_logistic_numerics_are_stable_at_large_margins():
    z = np.array([-800.0, 800.0])
    assert np.all(np.isfinite(losses.LOGISTIC.value(z))) and losses.LOGISTIC.value(z)[0] == pytest.approx(800.0)
    assert losses.LOGISTIC.d1(z)[0] == pytest.approx(-1.0) and losses.LOGISTIC.d2(z)[1] == 0.0


@pytest.mark.parametrize("name", sorted(SPEC_TABLE))
def test_grid_slacks_are_nonnegative_to_rounding_and_a_smaller_lambda_fails(name):
    c = {k: (math.inf if v is None else v) for k, v in losses.constants(name).as_floats().items()}
    s = losses.slacks(losses.get(name), losses.grid(points=20001), c)
    assert min(s.values()) > -1e-12
    c["lambda"] /= 2
    assert losses.slacks(losses.get(name), losses.grid(points=20001), c)["smooth"] < 0


def test_ell_at_zero_of_logistic_is_log_two():
    assert losses.ell_at_zero("logistic") == pytest.approx(math.log(2))


@pytest.mark.parametrize("p, regime", [(0, "zero"), (sp.Rational(1, 4), "zero"), (sp.Rational(3, 4), "tail"), (1, "tail")])
def test_feasibility_ratio_is_infinite_for_the_empty_rows(p, regime):
    assert feasibility_ratio(sp.nsimplify(p), regime) == sp.oo


def test_feasibility_ratio_is_finite_at_p_one_half_near_the_zero():
    assert feasibility_ratio(sp.Rational(1, 2), "zero").is_finite
