"""Theorem 3.1 and Lemma 3.2 of Du et al. 2018: their constants against the spec, and their trials' mechanics."""

import math

import numpy as np
import pytest
import sympy as sp

from lemmas.core import data
from lemmas.papers.du2018 import constants
from lemmas.papers.du2018.lemma3_2 import LEMMA as LEMMA32
from lemmas.papers.du2018.theorem3_1 import LEMMA as THEOREM31
from lemmas.papers.du2018.theorem3_1 import certified_lambda0
from lemmas.registry import Mode, Settings
from lemmas.result import Status
from lemmas.symbolic import delta
from lemmas.trials import run_check, trial_rng


# ---------------------------------------------------------------------------------------------------------
# Constants (spec du2018.md §3.5, §4, §8)


def test_lemma32_c_and_radius_match_the_spec():
    bounds = LEMMA32.bounds()
    assert bounds("c") == pytest.approx(0.156664, abs=1e-6)
    assert bounds("c") == pytest.approx(math.sqrt(2 * math.pi) / 16, rel=1e-15)
    assert bounds("R", n=10, delta=0.1, lambda0=0.2) == pytest.approx(math.sqrt(2 * math.pi) / 16 * 0.1 * 0.2 / 100, rel=1e-15)


def test_lemma32_markov_bound_is_lambda0_over_4_at_the_radius():
    bounds = LEMMA32.bounds()
    for n, dlt, lam in [(6, 0.1, 0.1), (100, 0.5, 0.19)]:
        assert bounds("markov_bound", n=n, delta=dlt, lambda0=lam) == pytest.approx(lam / 4, rel=1e-14)
        assert bounds("markov_bound", n=n, delta=dlt, lambda0=lam) == pytest.approx(
            4 * n**2 * bounds("R", n=n, delta=dlt, lambda0=lam) / (math.sqrt(2 * math.pi) * dlt), rel=1e-14)


def test_overriding_c_changes_the_radius():
    bounds = LEMMA32.bounds({"c": sp.Integer(1)})
    assert bounds("R", n=2, delta=0.5, lambda0=0.4) == pytest.approx(0.05)


def test_lemma32_joint_failure_probability_is_two_delta():
    assert sp.simplify(constants.lemma32_joint_failure_probability - 2 * delta) == 0
    assert LEMMA32.bounds()("width_paper", n=10, delta=0.1, lambda0=0.1) == pytest.approx(256 * 100 * math.log(100) / 0.01)


def test_two_point_lambda_min_is_the_smaller_eigenvalue_on_both_sides_of_a_right_angle():
    theta = constants.theta
    for value in (1e-3, 0.7, math.pi / 2, 2.0, 3.1):
        eig = sorted(float(e.subs(theta, value)) for e in constants.two_point_eigenvalues)
        assert float(constants.two_point_lambda_min.subs(theta, value)) == pytest.approx(eig[0], abs=1e-15)
    # spec §4 item 2: at θ = 2π/3, λ_min = 5/12 and λ_max = 7/12.
    assert sp.nsimplify(constants.two_point_lambda_min.subs(theta, 2 * sp.pi / 3)) == sp.Rational(5, 12)
    assert constants.two_point_lambda_min.subs(theta, sp.pi / 2) == sp.Rational(1, 2)


def test_small_angle_slope_and_curvature():
    assert constants.two_point_slope == 1 / (2 * sp.pi)
    assert constants.two_point_curvature == sp.Rational(1, 4)


# ---------------------------------------------------------------------------------------------------------
# Theorem 3.1


def test_certified_lambda0_encloses_the_two_point_formula_and_reports_its_tier():
    lo, hi, tier = certified_lambda0(data.two_points(0.01))
    exact = 0.5 - math.cos(0.01) * (math.pi - 0.01) / (2 * math.pi)
    assert lo <= exact <= hi and hi - lo < 1e-13
    assert tier.value == "interval"


def test_certified_lambda0_encloses_zero_for_dependent_antipodal_pairs():
    lo, hi, _ = certified_lambda0(data.dependent_antipodal_pairs())
    assert lo <= 0 <= hi


def test_every_check_has_a_negative_control_naming_its_quantities():
    for lemma in (THEOREM31, LEMMA32):
        for check in lemma.checks:
            assert check.negative_control and set(check.negative_control) <= set(lemma.quantities), check.id


def test_two_point_grid_reaches_past_a_right_angle():
    check = THEOREM31.check("two_point_formula")
    case = check.cases(Mode.DEFAULT)[0]
    thetas = [check.trial(case.params, i, trial_rng(0, "t", i), THEOREM31.bounds())["theta"] for i in range(case.trials)]
    assert min(thetas) == pytest.approx(1e-6) and max(thetas) > 3.14 and any(math.pi / 2 < t < math.pi for t in thetas)


# ---------------------------------------------------------------------------------------------------------
# Lemma 3.2


def worst_case_observation(index: int) -> dict:
    check = LEMMA32.check("worst_case")
    case = check.cases(Mode.QUICK)[0]
    return check.trial(case.params, index, trial_rng(1, check.uid(case), index), LEMMA32.bounds())


def test_worst_case_trial_reports_explicit_worst_case_below_certified_bound_below_U():
    for index in range(3):
        obs = worst_case_observation(index)
        assert obs["norm_found"] <= obs["certified_sup_norm"] <= obs["U"]
        assert obs["norm_max_distance_over_R"] <= 1 and obs["min_eig_max_distance_over_R"] <= 1
        assert obs["min_eig_found"] <= obs["min_eig_H0"] + 1e-12
        assert obs["markov_bound"] == pytest.approx(obs["norm_bound"], rel=1e-12)
        assert not obs["failed"] and not obs["ambiguous"]


def test_a_large_radius_yields_explicit_violators_inside_that_ball():
    check = LEMMA32.check("norm_every_width")
    case = check.cases(Mode.QUICK)[0]
    bounds = LEMMA32.bounds({"R": sp.Rational(1, 2)})
    obs = check.trial(case.params, 0, trial_rng(2, check.uid(case), 0), bounds)
    assert obs["failed"] and obs["norm_found_lower"] >= obs["norm_bound"]
    assert 0 < obs["norm_max_distance_over_R"] <= 1


def test_the_printed_min_eig_claim_is_a_documented_erratum_at_width_one():
    check = LEMMA32.check("min_eig_as_printed")
    result = run_check(check, check.cases(Mode.QUICK)[0], Settings(mode=Mode.QUICK, blas_threads=1))
    assert result.status is Status.ERRATUM
    assert all(o["min_eig_found"] <= o["min_eig_bound"] for o in result.observations)   # rank(H(0)) ≤ 1 at m = 1


def test_joint_check_records_the_width_hypothesis():
    check = LEMMA32.check("min_eig_joint")
    case = check.cases(Mode.QUICK)[0]
    obs = check.trial(case.params, 0, trial_rng(3, check.uid(case), 0), LEMMA32.bounds())
    assert obs["hypotheses"] == {"lambda0_positive": True, "width": True}
    assert np.isfinite(obs["min_eig_certified_lower"]) and obs["min_eig_certified_lower"] > obs["min_eig_bound"]
