"""Unit tests of the AZLS search code (lemmas.core.deep_search, lemmas.checks_oracle) and of the helpers of the
azls2018 lemma modules, against dense brute-force computations on small networks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from lemmas.checks_oracle import moment_oracle_verdict
from lemmas.core import deep
from lemmas.core import deep_search as ds
from lemmas.core.perturb import project_spectral_ball
from lemmas.papers.azls2018 import adversary, claim11_2, lemma8_2, networks, scaling, theorem4
from lemmas.registry import Mode, Settings, all_lemmas
from lemmas.result import Outcome


def small(m=12, L=3, d_out=2, n=2, seed=0):
    param = deep.azls(5, m, L, d_out)
    rng = np.random.default_rng(seed)
    weights = deep.init_params(param, rng)
    X = deep.make_inputs(param, rng.standard_normal((n, 5)))
    return param, weights, X, rng


# ---- products and backward rows ---------------------------------------------------------------------


def test_chain_operator_matches_the_dense_product_with_leading_mask():
    rng = np.random.default_rng(1)
    Ws = [rng.standard_normal((7, 5)), rng.standard_normal((6, 7)), rng.standard_normal((4, 6))]
    masks = [rng.uniform(-1, 2, 7), rng.uniform(-1, 2, 6)]
    lead = rng.uniform(0, 1, 4)
    dense = np.diag(lead) @ Ws[2] @ np.diag(masks[1]) @ Ws[1] @ np.diag(masks[0]) @ Ws[0]
    op = ds.chain_operator(Ws, masks, leading=lead)
    x, y = rng.standard_normal(5), rng.standard_normal(4)
    assert np.allclose(op.matvec(x), dense @ x) and np.allclose(op.rmatvec(y), dense.T @ y)
    assert ds.operator_norm(op) == pytest.approx(np.linalg.norm(dense, 2), rel=1e-12)


def test_operator_norm_lanczos_path_matches_lapack():
    rng = np.random.default_rng(2)
    Ws = [rng.standard_normal((100, 100)) / 10 for _ in range(2)]
    mask = (rng.uniform(size=100) > 0.5).astype(float)
    dense = Ws[1] @ np.diag(mask) @ Ws[0]
    assert ds.operator_norm(ds.chain_operator(Ws, [mask])) == pytest.approx(np.linalg.norm(dense, 2), rel=1e-9)


def test_back_rows_with_forward_masks_is_back_times_mask():
    param, weights, X, _ = small()
    cache = deep.forward(param, weights, X)
    masks = [D[0].astype(float) for D in cache.D]
    for a in range(1, param.L + 1):
        expected = deep.back_vectors(param, weights, cache, a + 1)[0] * masks[a]
        assert np.allclose(ds.back_rows(weights.B, weights.Ws, masks, a), expected, atol=1e-13)


def test_secant_slopes_reproduce_the_relu_difference_exactly():
    rng = np.random.default_rng(3)
    g0, g1 = rng.standard_normal(50), rng.standard_normal(50)
    g1[:5] = g0[:5]
    S = ds.secant_slopes(g0, g1)
    assert np.all((S >= 0) & (S <= 1))
    assert np.allclose(S * (g1 - g0), np.maximum(g1, 0) - np.maximum(g0, 0), atol=1e-15)
    same_sign = (g0 >= 0) == (g1 >= 0)
    assert np.array_equal(S[same_sign], (g0[same_sign] >= 0).astype(float))


# ---- gradients as factors and the low-rank ascent ---------------------------------------------------


def test_hidden_gradient_factors_equal_the_core_gradient_for_an_output_loss():
    param, weights, X, rng = small()
    cache = deep.forward(param, weights, X)
    dout = rng.standard_normal((X.shape[0], param.d_out))
    grads = deep.backward(param, weights, cache, dout)
    factors = ds.hidden_gradient_factors(param, weights, cache, dout @ weights.B)
    for G, (P, Q) in zip(grads, factors):
        assert np.allclose(P @ Q.T, G, atol=1e-13)
        assert ds.factors_frobenius(P, Q) == pytest.approx(np.linalg.norm(G), rel=1e-12)


def test_clip_factors_is_the_spectral_ball_projection():
    rng = np.random.default_rng(4)
    U, V = rng.standard_normal((30, 3)), rng.standard_normal((20, 3))
    Uc, Vc = ds.clip_factors(U, V, 0.5, max_rank=10)
    assert np.allclose(Uc @ Vc.T, project_spectral_ball(U @ V.T, 0.5), atol=1e-12)
    assert ds.spectral_norm_factors(Uc, Vc) == pytest.approx(0.5, rel=1e-12)


def test_factorize_recovers_a_low_rank_matrix():
    rng = np.random.default_rng(5)
    M = rng.standard_normal((40, 2)) @ rng.standard_normal((2, 30))
    U, V = ds.factorize(M, rng, rank=2)
    assert np.allclose(U @ V.T, M, atol=1e-12)


def test_lowrank_ascent_stays_in_the_ball_and_does_not_lose_the_start():
    param, weights, X, rng = small(m=16, L=2, d_out=1, n=1)
    objective = adversary.shift_objective(param, weights, X)
    omega = 0.05
    start = [ds.factorize(D, rng, rank=1) for D in lemma8_2.greedy_sign_flip(param, weights, X, omega)]
    result = ds.lowrank_ascent(objective, weights.Ws, omega, 5, rng, restarts=2, starts=[start], zero_start=False)
    start_value = objective([W + U @ V.T for W, (U, V) in zip(weights.Ws, start)])[0]
    assert result.value >= start_value - 1e-15
    assert max(np.linalg.norm(D, 2) for D in result.deltas) <= omega * (1 + 1e-9)
    assert len(result.restart_values) == 2


# ---- greedy corrections -------------------------------------------------------------------------------


def test_adversarial_back_perturbation_is_a_legal_point_and_its_norm_is_exact():
    param, weights, X, _ = small(m=40, L=3, d_out=2, n=1)
    cache = deep.forward(param, weights, X)
    masks = [D[0].astype(float) for D in cache.D]
    s, omega = 4, 0.1
    for a in range(param.L + 1):
        r = ds.adversarial_back_perturbation(weights.B, weights.Ws, masks, a, s, omega)
        assert all(np.count_nonzero(C) <= s and np.all(np.abs(C) <= 3.0) for C in r.corrections)
        Ws = [W if p is None else W + np.outer(*p) for W, p in zip(weights.Ws, r.rank_one)]
        assert all(p is None or np.linalg.norm(np.outer(*p), 2) == pytest.approx(omega) for p in r.rank_one)
        diff = ds.back_rows(weights.B, Ws, [M + C for M, C in zip(masks, r.corrections)], a) - ds.back_rows(weights.B, weights.Ws, masks, a)
        assert np.linalg.norm(diff, 2) == pytest.approx(r.norm, rel=1e-12)


def test_adversarial_chain_masks_stay_sparse_in_range_and_do_not_decrease_the_norm():
    param, weights, X, _ = small(m=30, L=4, d_out=1, n=1)
    cache = deep.forward(param, weights, X)
    masks = [cache.D[ell][0].astype(float) for ell in range(1, param.L + 1)]
    base = ds.operator_norm(ds.chain_operator(weights.Ws, masks[:-1], leading=masks[-1]))
    value, corrected, lead = ds.adversarial_chain_masks(weights.Ws, masks[:-1], masks[-1], 3)
    for M0, M1 in zip(masks, corrected + [lead]):
        assert np.count_nonzero(M1 - M0) <= 3 and np.all(np.abs(M1 - M0) <= 1.0)
    assert value >= base
    assert value == pytest.approx(ds.operator_norm(ds.chain_operator(weights.Ws, corrected, leading=lead)), rel=1e-9)


# ---- lemma helpers ---------------------------------------------------------------------------------------


def test_secant_expansion_residuals_are_rounding_and_support_is_exact():
    param, weights, X, rng = small(m=64, L=4, d_out=2, n=3)
    W_breve = networks.random_point(rng, weights, 0.05)
    deltas = lemma8_2.greedy_sign_flip(param, W_breve, X, 0.05)
    step, unrolled, support, changes = claim11_2.expansion_residuals(param, W_breve, deltas, X)
    assert step < 1e-12 and unrolled < 1e-12 and support and changes > 0
    assert claim11_2.expansion_residuals(param, W_breve, deltas, X, scale=1.001)[1] > 1e-4


def test_split_of_g_prime_adds_up_exactly():
    param, weights, X, _ = small(m=64, L=3, d_out=1, n=1)
    deltas = lemma8_2.greedy_sign_flip(param, weights, X, 0.05)
    p1, p2, err = lemma8_2.split_parts(param, weights, deltas, X)
    assert err < 1e-12 and len(p1) == len(p2) == param.L
    assert np.count_nonzero(p2[0]) == 0  # no sign changes feed layer 1


def test_theorem4_first_order_part_is_residual_minus_half_output_shift():
    param, weights, X, rng = small(m=32, L=2, d_out=2, n=3)
    Y = networks.labels({"d_out": 2, "data_seed": 1}, 3)
    problem = theorem4._Problem(param, weights, X, Y)
    deltas = [networks.rank_one(rng, W.shape, 0.1) for W in weights.Ws]
    R, R1 = problem.residual(deltas)
    shift = deep.forward(param, weights.perturbed(deltas), X).out - problem.out
    assert R - R1 == pytest.approx(0.5 * float(np.sum(shift**2)), rel=1e-10)
    value, factors = problem.ascent_objective([W + D for W, D in zip(weights.Ws, deltas)])
    assert value == pytest.approx(R, rel=1e-10)
    eps, V = 1e-6, [rng.standard_normal(W.shape) for W in weights.Ws]
    up = problem.residual([D + eps * v for D, v in zip(deltas, V)])[0]
    down = problem.residual([D - eps * v for D, v in zip(deltas, V)])[0]
    assert (up - down) / (2 * eps) == pytest.approx(sum(float(np.sum((P @ Q.T) * v)) for (P, Q), v in zip(factors, V)), rel=1e-5)


def test_worst_shift_reports_a_point_inside_the_ball():
    param, weights, X, rng = small(m=32, L=2, d_out=1, n=1)
    value, method, norm = adversary.worst_shift(param, weights, X, 0.02, rng)
    greedy = adversary.shift_size(param, weights, lemma8_2.greedy_sign_flip(param, weights, X, 0.02), X)
    assert value >= greedy and norm <= 0.02 * (1 + 1e-9) and method


def test_pair_inputs_are_at_the_requested_distance_and_rank_one_has_the_norm():
    X = networks.inputs({"inputs": "pair", "delta_sep": 0.2, "d_in": 8})
    assert np.linalg.norm(X[0] - X[1]) == pytest.approx(0.2, rel=1e-12)
    assert networks.min_distance(X) == pytest.approx(0.2, rel=1e-9)
    Xb = networks.inputs({"n": 3, "d_in": 8, "bias": True})
    assert np.allclose(np.linalg.norm(Xb, axis=1), 1) and np.allclose(Xb[:, -1], 1 / math.sqrt(2))
    assert np.linalg.norm(networks.rank_one(np.random.default_rng(0), (9, 7), 0.3), 2) == pytest.approx(0.3)


# ---- sweeps and verdicts ----------------------------------------------------------------------------------


def test_sweep_grid_points_and_roles():
    case = scaling.sweep("m", [10, 20], test_reps=2, calib_reps=1, L=3)
    points = [scaling.grid_point(case.params, i) for i in range(case.trials)]
    assert [p[0]["m"] for p in points] == [10, 10, 10, 20, 20, 20]
    assert [p[1] for p in points] == ["test", "test", "calibration"] * 2
    assert all(p[0]["L"] == 3 and "vary" not in p[0] for p in points)
    with pytest.raises(ValueError):
        scaling.sweep("m", [10])


def _synthetic(vary, exponent_of_constant, refute=None):
    rng = np.random.default_rng(0)
    case = scaling.sweep(vary, [1e-3, 1e-2, 1e-1, 1.0], test_reps=6, calib_reps=2, refute=refute)
    obs = []
    for i in range(case.trials):
        theta, role = scaling.grid_point(case.params, i)
        x = theta[vary]
        C = x**exponent_of_constant * math.exp(0.05 * rng.standard_normal())
        obs.append({"hypotheses": {}, "x": x, "y": C, "value": C * x, "shape": x, "role": role})
    verdict = scaling.scaling_verdict("upper", "X", "shape")
    return verdict(case.params, obs, None, Settings()).outcome


def test_upper_bound_in_a_small_variable_fails_only_when_the_constant_grows_towards_zero():
    assert _synthetic("omega", -0.3) is Outcome.FAILS     # Ĉ grows as ω → 0
    assert _synthetic("omega", +0.3) is Outcome.HOLDS     # loose at small ω
    assert _synthetic("m", +0.3) is Outcome.FAILS         # Ĉ grows as m → ∞
    assert _synthetic("m", -0.3) is Outcome.HOLDS
    assert _synthetic("omega", +0.3, refute="inf") is Outcome.FAILS  # a ball radius: refutable as it grows


def test_moment_oracle_accepts_the_exact_law_and_rejects_a_wrong_variance():
    rng = np.random.default_rng(6)
    m, ell, N = 32, 3, 4000
    K = rng.binomial(m, 0.5, size=(N, ell + 1))
    X = np.cumprod(2 / m * rng.chisquare(np.maximum(K, 1e-300)), axis=1)
    var = [(1 + 5 / m) ** (j + 1) - 1 for j in range(ell + 1)]
    from lemmas.papers.azls2018 import constants as c

    fourth = [float(c.forward_fourth_central.subs({c.m: m, c.ell: j})) for j in range(ell + 1)]
    ok = moment_oracle_verdict(X, [1.0] * (ell + 1), var, Settings(), "test", fourth_central=fourth)
    wrong = moment_oracle_verdict(X, [1.0] * (ell + 1), [(1 + 3 / m) ** (j + 1) - 1 for j in range(ell + 1)], Settings(), "test",
                                  fourth_central=fourth)
    assert ok.outcome is Outcome.HOLDS and wrong.outcome is Outcome.FAILS


# ---- the registered lemmas ---------------------------------------------------------------------------------


AZLS = [lemma for lemma in all_lemmas() if lemma.id.startswith("azls2018.")]


def test_every_azls_check_has_a_negative_control_on_its_own_quantities_and_cases_in_every_mode():
    assert len(AZLS) >= 14
    for lemma in AZLS:
        for check in lemma.checks:
            assert check.negative_control and set(check.negative_control) <= set(lemma.quantities), check.id
            lemma.bounds({k: sp.sympify(v) for k, v in check.negative_control.items()})
            for mode in Mode:
                cases = check.cases(mode)
                assert cases and all(case.trials >= 1 for case in cases), (check.id, mode)


def test_only_d_items_and_doubly_restated_exponents_are_confirmed():
    confirmed = sorted(c.id for lemma in AZLS for c in lemma.checks if c.confirmed)
    assert confirmed == sorted([
        "azls2018.claim11.2:hidden_bound", "azls2018.claim11.2:output_bound", "azls2018.claim11.2:secant_identity",
        "azls2018.lemma7.1:moments", "azls2018.lemma7.4:backward_norm", "azls2018.lemma8.2:flip_certificate",
        "azls2018.lemma8.2:flips_adversarial", "azls2018.lemma8.2:hidden_shift", "azls2018.lemma8.7:backward_difference", "azls2018.lemma8.7:backward_difference_depth",
        "azls2018.theorem1:reconstruction", "azls2018.theorem3:gradient_formula", "azls2018.theorem3:pl_identity",
        "azls2018.theorem3:upper",
    ])
