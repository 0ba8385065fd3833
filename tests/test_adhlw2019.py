"""Arora, Du, Hu, Li, Wang (arXiv 1901.08584v2): constants, and the numerical helpers of the lemma modules
against brute-force references (explicit Z matrices, matrix powers, high-precision solves)."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from lemmas.core import realdata
from lemmas.core.data import sphere
from lemmas.core.twolayer import gram, gram_infinity, init_two_layer, loss_and_grad
from lemmas.papers.adhlw2019 import complexity, constants, figures, lemma5_3, lemma5_4, lemmaC, theorem3_1, theorem4_1, theorem5_1, theorem6_1
from lemmas.registry import Mode, Settings, all_lemmas
from lemmas.symbolic import delta, epsilon, kappa, lambda0, m, n, residual


@pytest.fixture
def rng():
    return np.random.default_rng(19010858)


def explicit_Z(X, W, a):
    """Z ∈ ℝ^{md×n} with (r, i) block 𝕀{w_rᵀx_i ≥ 0} a_r x_i/√m (ADHLW §3.4), built entry by entry."""
    mm, d = W.shape
    Z = np.zeros((mm * d, X.shape[0]))
    for r in range(mm):
        for i, x in enumerate(X):
            if W[r] @ x >= 0:
                Z[r * d:(r + 1) * d, i] = a[r] * x / math.sqrt(mm)
    return Z


# --- constants -------------------------------------------------------------------------------------------


def test_theorem41_conditions_reproduce_the_statement():
    assert sp.simplify(constants.thm41_kappa_condition - epsilon * delta / (2 * sp.sqrt(n))) == 0
    assert sp.simplify(constants.thm41_width_condition - 4 * n**7 / (lambda0**4 * kappa**2 * delta**4 * epsilon**2)) == 0


@pytest.mark.parametrize("name, value", [
    ("thm41_width_exponent", sp.Rational(-1, 2)), ("thm41_kappa_exponent", -1), ("thm31_kappa_exponent", -2),
    ("lemmaC2_gram_width_exponent", sp.Rational(-1, 2)), ("lemmaC2_gram_kappa_exponent", -1),
    ("lemmaC2_feature_width_exponent", sp.Rational(-1, 4)), ("lemma53_width_exponent", sp.Rational(-1, 4)),
])
def test_exponents_are_the_powers_in_the_statements(name, value):
    assert getattr(constants, name) == value


def test_lemma_c1_radius_is_the_geometric_series_limit():
    assert sp.simplify(constants.lemmaC1_radius - 4 * sp.sqrt(n) * residual / (sp.sqrt(m) * lambda0)) == 0


def test_lemma_c3_bound_is_hoeffding_with_union_bound():
    assert sp.simplify(constants.lemmaC3_frobenius_squared - n**2 * sp.log(2 * n**2 / delta) / (2 * m)) == 0


def test_lemma54_sharp_middle_term_is_smaller():
    diff = sp.simplify(constants.lemma54_bound - constants.lemma54_bound_sharp)
    value = float(diff.subs({constants.R: 0.3, m: 100, kappa: 0.5}))
    assert value == pytest.approx(2 * 0.09 * 10 / 0.5 * (1 - math.sqrt(2 / math.pi)))


# --- Theorem 4.1 helpers ------------------------------------------------------------------------------------


def test_propagate_matches_matrix_powers():
    prob = theorem4_1.problem({"n": 8, "d": 5, "data_seed": 3})
    v = np.arange(8.0)
    rows = prob.propagate(v, 6)
    A = np.eye(8) - prob.eta * prob.H
    for k in range(7):
        assert np.allclose(rows[k], np.linalg.matrix_power(A, k) @ v, atol=1e-12)
    expected = [np.linalg.norm(np.linalg.matrix_power(A, k) @ prob.y) for k in range(7)]
    assert np.allclose(prob.main_term(6), expected, atol=1e-12)


def test_problem_step_is_one_over_lambda_max_and_lambda0_is_enclosed():
    prob = theorem4_1.problem({"n": 10, "d": 6, "data_seed": 2})
    lam = np.linalg.eigvalsh(gram_infinity(prob.X))
    assert prob.eta == pytest.approx(1 / lam[-1], rel=1e-12)
    assert prob.lambda0[0] <= lam[0] <= prob.lambda0[1]
    assert set(np.unique(prob.y)) <= {-1.0, 1.0}


def test_width_term_vanishes_on_the_linear_dynamics():
    prob = theorem4_1.problem({"n": 8, "d": 5, "data_seed": 3})
    u = [np.full(8, 0.3)]
    for _ in range(20):
        u.append(u[-1] - prob.eta * prob.H @ (u[-1] - prob.y))
    assert theorem4_1.width_term(prob, np.array(u)) < 1e-13


# --- Lemma 5.3: the identity of §5.2 -----------------------------------------------------------------------


def test_linear_recursion_converges_to_the_minimum_norm_solution(rng):
    X = sphere(rng, 5, 3)
    W0, a = init_two_layer(rng, 40, 3)
    y = rng.standard_normal(5)
    Z = explicit_Z(X, W0, a)
    H0 = Z.T @ Z
    assert np.allclose(H0, gram(X, W0), atol=1e-14)
    eta = 1 / np.linalg.eigvalsh(H0)[-1]
    Wt, steps = lemma5_3.linear_recursion_limit(X, W0, a, y, eta, 50_000)
    min_norm = (Z @ np.linalg.solve(H0, y)).reshape(40, 3)
    assert np.allclose(Wt, min_norm, atol=1e-12)
    assert np.linalg.norm(Wt) == pytest.approx(math.sqrt(y @ np.linalg.solve(H0, y)), rel=1e-12)


def test_frobenius_movement_is_the_sup_over_a_plain_gd_loop():
    prob = theorem4_1.problem({"n": 6, "d": 4, "data_seed": 1})
    got = lemma5_3.frobenius_movement(prob, 30, 0.5, 5, np.random.default_rng(3))
    W0, a = init_two_layer(np.random.default_rng(3), 30, 4, 0.5)
    W, sup = W0.copy(), 0.0
    for _ in range(5):
        W = W - prob.eta * loss_and_grad(prob.X, W, a, prob.y)[1]
        sup = max(sup, np.linalg.norm(W - W0))
    assert got == pytest.approx(sup, rel=1e-13)


# --- Lemma C.2: drift of H and Z -------------------------------------------------------------------------


def test_drifts_match_explicit_gram_and_feature_matrices():
    prob = theorem4_1.problem({"n": 6, "d": 4, "data_seed": 1})
    gram_drift, feature_drift = lemmaC.drifts(prob, 25, 0.2, 4, np.random.default_rng(5))
    W0, a = init_two_layer(np.random.default_rng(5), 25, 4, 0.2)
    Z0 = explicit_Z(prob.X, W0, a)
    W, g_sup, z_sup = W0.copy(), 0.0, 0.0
    for _ in range(4):
        W = W - prob.eta * loss_and_grad(prob.X, W, a, prob.y)[1]
        Z = explicit_Z(prob.X, W, a)
        g_sup = max(g_sup, np.linalg.norm(Z.T @ Z - Z0.T @ Z0))
        z_sup = max(z_sup, np.linalg.norm(Z - Z0))
    assert gram_drift == pytest.approx(g_sup, abs=1e-13)
    assert feature_drift == pytest.approx(z_sup, abs=1e-13)
    assert z_sup > 0


# --- Theorem 6.1: certified quadratic form ---------------------------------------------------------------


def _exact_quadratic_form(H, y):
    with mpmath.workdps(60):
        Hm = mpmath.matrix(H.tolist())
        ym = mpmath.matrix(y.tolist())
        return (ym.T * mpmath.lu_solve(Hm, ym))[0]


def test_quadratic_form_enclosure_contains_the_exact_value(rng):
    for trial in range(5):
        A = rng.standard_normal((12, 12))
        H = A @ A.T / 12 + 1e-3 * np.eye(12)
        y = rng.standard_normal(12)
        lam = np.linalg.eigvalsh(H)[0] * (1 - 1e-6)
        lo, hi = theorem6_1.quadratic_form_enclosure(H, np.zeros_like(H), y, np.zeros_like(y), lam)
        exact = _exact_quadratic_form(H, y)
        assert lo <= exact <= hi
        assert (hi - lo) / float(exact) < 1e-8


def test_quadratic_form_enclosure_covers_the_whole_box(rng):
    A = rng.standard_normal((8, 8))
    H = A @ A.T / 8 + 0.5 * np.eye(8)
    y = rng.standard_normal(8)
    H_rad, y_rad = np.full((8, 8), 1e-4), np.full(8, 1e-4)
    lam = np.linalg.eigvalsh(H)[0] - 8 * 1e-4 - 1e-9
    lo, hi = theorem6_1.quadratic_form_enclosure(H, H_rad, y, y_rad, lam)
    for _ in range(50):
        E = rng.uniform(-1, 1, (8, 8)) * 1e-4
        E = (E + E.T) / 2
        yy = y + rng.uniform(-1e-4, 1e-4, 8)
        assert lo <= yy @ np.linalg.solve(H + E, yy) <= hi


def test_quadratic_form_enclosure_refuses_without_a_positive_lambda():
    lo, hi = theorem6_1.quadratic_form_enclosure(np.eye(2), np.zeros((2, 2)), np.ones(2), np.zeros(2), 0.0)
    assert math.isnan(lo) and math.isnan(hi)


def test_label_enclosure_contains_the_float_labels(rng):
    X = sphere(rng, 10, 4)
    terms = theorem6_1._random_terms(rng, 4, [1, 2, 4])
    mid, rad, weighted = theorem6_1._labels(X, terms)
    y = sum(alpha * (X @ beta) ** p for alpha, beta, p in terms)
    assert np.all(np.abs(y - mid) <= rad + 4e-16 * np.abs(y))
    assert weighted == pytest.approx(sum(p * abs(alpha) * np.linalg.norm(beta) ** p for alpha, beta, p in terms), rel=1e-14)


def test_linear_target_is_well_inside_theorem61():
    # For p = 1 the proof's representation gives √(yᵀ(H∞)⁻¹y) ≤ 2|α|‖β‖ < 3|α|‖β‖.
    X = sphere(np.random.default_rng(4), 80, 3)
    beta = np.array([0.6, -0.8, 0.0])
    y = 2.0 * X @ beta
    assert math.sqrt(y @ np.linalg.solve(gram_infinity(X), y)) <= 2 * 2.0 * 1.0 + 1e-9


# --- complexity measure, label noise, alignment -------------------------------------------------------------


def test_noisy_labels_corrupt_nested_sets(rng):
    y = np.ones(40)
    portions = [0.0, 0.25, 0.5, 1.0]
    out = complexity.noisy_labels(rng, y, portions)
    assert np.array_equal(out[0], y)
    changed = [set(np.flatnonzero(o != y)) for o in out]
    assert changed[1] <= changed[2] <= changed[3]
    assert 10 <= len(changed[3]) <= 30            # half of the random labels keep their value


def test_complexity_measure_is_the_formula(rng):
    X = sphere(rng, 15, 4)
    H = gram_infinity(X)
    y = rng.choice([-1.0, 1.0], 15)
    assert complexity.complexity_measure(H, y) == pytest.approx(math.sqrt(2 * y @ np.linalg.solve(H, y) / 15), rel=1e-12)


def test_top_share_of_eigenvectors():
    V = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 6)))[0]
    assert figures.top_share(V, V[:, 0], 1) == pytest.approx(1.0)
    assert figures.top_share(V, V[:, 5], 2) == pytest.approx(0.0, abs=1e-15)


# --- Lemma 5.4 -------------------------------------------------------------------------------------------


def test_rademacher_estimate_is_linear_for_small_B(rng):
    X = sphere(rng, 6, 3)
    W0, a = init_two_layer(rng, 200, 3)
    B = 1e-7
    values = lemma5_4.rademacher_lower_estimate(X, W0, a, R=1.0, B=B, draws=5, rng=np.random.default_rng(9))
    eps_rng = np.random.default_rng(9)
    Z = explicit_Z(X, W0, a)
    for value in values:
        eps = eps_rng.choice(np.array([-1.0, 1.0]), size=6)
        assert value == pytest.approx(B * np.linalg.norm(Z @ eps) / 6, rel=1e-4)


def test_rademacher_candidate_respects_the_row_radius(rng):
    X = sphere(rng, 6, 3)
    W0, a = init_two_layer(rng, 50, 3)
    tiny = lemma5_4.rademacher_lower_estimate(X, W0, a, R=0.0, B=1.0, draws=3, rng=rng)
    assert np.all(tiny == 0.0)


# --- Theorem 3.1, Theorem 5.1 -----------------------------------------------------------------------------


def test_required_width_is_nan_above_the_cap():
    prob = theorem4_1.problem({"n": 6, "d": 6, "data_seed": 1})
    width, runs = theorem3_1.required_width(prob, 0.01, 1e-12, 16, 64, np.random.default_rng(0))
    assert math.isnan(width) and [m for m, _ in runs] == [16, 32, 64]


def test_train_and_evaluate_reports_bounded_losses(rng):
    data = complexity.labelled_set({"inputs": "sphere_sign", "n": 30, "d": 5, "data_seed": 2})
    run = theorem5_1.train_and_evaluate(data, data.y_train, data.y_test, 100, 0.1, 50, rng)
    assert 0.0 <= run["test_error"] <= run["test_ramp"] <= 1.0
    assert run["train_loss"] < 0.5 * np.sum(data.y_train**2)


# --- registry ----------------------------------------------------------------------------------------------

MINE = [lemma for lemma in all_lemmas() if lemma.id.startswith("adhlw2019.") or lemma.id == "du2018.figure1"]


def test_every_check_has_a_negative_control_and_a_quick_case():
    assert len(MINE) >= 13
    for lemma in MINE:
        for check in lemma.checks:
            assert check.negative_control, check.id
            assert check.cases(Mode.QUICK), check.id


def test_quick_cases_need_no_optional_package(monkeypatch):
    monkeypatch.setattr(realdata, "available", lambda: False)
    for lemma in MINE:
        for check in lemma.checks:
            for mode in Mode:
                for case in check.cases(mode):
                    assert case.params.get("inputs") != "digits", (check.id, mode)


def test_negative_control_overrides_name_quantities():
    for lemma in MINE:
        for check in lemma.checks:
            assert set(check.negative_control) <= set(lemma.quantities), check.id


# --- figure checks -------------------------------------------------------------------------------------------


def test_figure1_verdict_needs_no_trial_zero(rng):
    """A replay or an audit may run trials other than 0 alone; only trial 0 stores its random projections."""
    params = {"inputs": "sphere_sign", "n": 40, "d": 6, "data_seed": 1}
    bounds = figures.FIGURE1.bounds()
    obs = [figures._figure1_trial(params, index, rng, bounds) for index in (3, 4)]
    verdict = figures._figure1_verdict(params, obs, bounds, Settings())
    assert [s["label"] for s in verdict.evidence["plot"]["series"]] == ["eigenvalue λ_i of H∞", "|v_iᵀy|, true labels"]
    obs.append(figures._figure1_trial(params, 0, rng, bounds))
    assert len(figures._figure1_verdict(params, obs, bounds, Settings()).evidence["plot"]["series"]) == 3


def test_figure2_trial_with_constant_test_errors_is_outside_the_premise(rng):
    """One training and one test point (the data search's degenerate case): no trend, so no counterexample."""
    params = {"inputs": "sphere_sign", "n": 1, "d": 1, "data_seed": 1, "portions": [0.0, 0.5, 1.0], "m": 20, "kappa": 0.05, "steps": 5}
    obs = figures._figure2_trial(params, 0, rng, figures.FIGURE2.bounds())
    assert np.ptp(obs["test_error"]) == 0 and obs["failed"]
    assert obs["hypotheses"] == {"test error and complexity vary across the portions": False}
    params = {"inputs": "sphere_sign", "n": 60, "d": 5, "data_seed": 1, "portions": [0.0, 0.5, 1.0], "m": 50, "kappa": 0.05, "steps": 50}
    obs = figures._figure2_trial(params, 0, rng, figures.FIGURE2.bounds())
    assert obs["hypotheses"]["test error and complexity vary across the portions"] == bool(np.ptp(obs["test_error"]) > 0)
