"""Unit tests of the numerical code behind the Zou et al. lemma checks (adapter, brackets, exact searches, replays)."""

import itertools
import math

import numpy as np
import pytest

from lemmas.core import deep
from lemmas.papers.zou2018 import data, losses
from lemmas.papers.zou2018 import network as N
from lemmas.papers.zou2018.errata import min_over_beta
from lemmas.papers.zou2018.gd import decomposition
from lemmas.papers.zou2018.init_good_nodes import good_node_counts
from lemmas.papers.zou2018.init_products import sparse_bilinear_bracket
from lemmas.papers.zou2018.perturb_gradients import worst_gradient_ratio
from lemmas.papers.zou2018.theorems import theory_envelope
from lemmas.registry import Mode, Settings, get_lemma
from lemmas.trials import replay, run_check, write_replay


def small_problem(widths=(20, 30, 24), n=5, d=6, seed=1):
    rng = np.random.default_rng(seed)
    ds = data.random_sphere(rng, n, d, 0.5)
    param = N.network(d, widths, mu=0.5)
    weights = deep.init_params(param, rng)
    return ds, param, weights, deep.forward(param, weights, ds.X)


def test_explicit_products_give_the_forward_pass_and_the_u_and_b_vectors():
    ds, param, W, cache = small_problem()
    for i in range(ds.n):
        assert np.allclose(N.product(W, cache, i, 1, 3) @ ds.X[i], cache.h[3][i], atol=1e-14)
        assert np.allclose(N.product(W, cache, i, 1, 3).T @ W.v, N.u_vectors(param, W, cache, 1)[i], atol=1e-13)
        assert np.allclose(cache.D[2][i] * (N.product(W, cache, i, 3, 3).T @ W.v), N.b_vectors(param, W, cache, 2)[i], atol=1e-13)
    leading = N.product(W, cache, 0, 2, 3, leading_weight=True)
    assert np.allclose(leading, W.Ws[2] @ (cache.D[2][0][:, None] * W.Ws[1]))


def test_bilinear_gradient_matches_a_directional_derivative_with_masks_fixed():
    ds, param, W, cache = small_problem()
    rng = np.random.default_rng(2)
    left, right = rng.standard_normal(24), rng.standard_normal(20)
    value, grads = N.bilinear_gradient(W, cache, 1, 2, 3, left, right)
    assert value == pytest.approx(left @ N.product(W, cache, 1, 2, 3) @ right)
    assert not np.any(grads[0])
    E = [rng.standard_normal(A.shape) for A in W.Ws]
    h = 1e-6
    plus = left @ N.product(W.with_Ws([A + h * e for A, e in zip(W.Ws, E)]), cache, 1, 2, 3) @ right
    minus = left @ N.product(W.with_Ws([A - h * e for A, e in zip(W.Ws, E)]), cache, 1, 2, 3) @ right
    assert (plus - minus) / (2 * h) == pytest.approx(sum(np.sum(g * e) for g, e in zip(grads, E)), rel=1e-7)


def test_init_representations_has_the_law_of_the_core_forward_pass():
    ds = data.random_sphere(np.random.default_rng(3), 3, 5, 0.5)
    param = N.network(5, (64, 64), mu=0.5)
    rng = np.random.default_rng(4)
    core = np.array([deep.forward(param, deep.init_params(param, rng), ds.X).h[2] @ np.ones(64) for _ in range(1500)])
    gram = np.array([N.init_representations(rng, ds.X, (64, 64)).H[2] @ np.ones(64) for _ in range(1500)])
    for stat in (np.mean, np.std):
        a, b = stat(core, axis=0), stat(gram, axis=0)
        assert np.allclose(a, b, rtol=0.08), (a, b)
    corr = lambda S: np.corrcoef(S.T)[0, 1]  # noqa: E731
    assert corr(core) == pytest.approx(corr(gram), abs=0.08)


def test_init_representations_allows_duplicate_inputs():
    X = data.lift(np.array([[1.0, 0.0], [1.0, 0.0]]), 0.5)
    ip = N.init_representations(np.random.default_rng(0), X, (16,))
    assert np.allclose(ip.G[1][0], ip.G[1][1], atol=1e-12)


def test_top_s_norm_is_the_sparse_supremum():
    rng = np.random.default_rng(5)
    u = rng.standard_normal(9)
    for s in (1, 3, 9):
        brute = max(np.linalg.norm(u[list(c)]) for c in itertools.combinations(range(9), s))
        assert N.top_s_norm(u, s) == pytest.approx(brute)
        assert N.top_s_vector(u, s) @ u == pytest.approx(brute)


def test_sparse_bilinear_bracket_contains_the_brute_force_supremum():
    rng = np.random.default_rng(6)
    M = rng.standard_normal((6, 7))
    s = 2
    brute = 0.0
    for rows in itertools.combinations(range(6), s):
        for cols in itertools.combinations(range(7), s):
            brute = max(brute, np.linalg.svd(M[np.ix_(rows, cols)], compute_uv=False)[0])
    lower, upper = sparse_bilinear_bracket(M, s)
    assert lower <= brute + 1e-12 <= upper + 2e-12


def test_min_over_beta_matches_a_dense_scan_of_beta():
    rng = np.random.default_rng(7)
    g = np.sort(np.abs(rng.standard_normal(50)) * 0.1)
    D = 0.05
    betas = np.concatenate([np.logspace(-6, 2, 20000), g * (1 - 1e-12)])
    scan = min(np.count_nonzero(g <= b) + D**2 / b**2 for b in betas)
    exact = min_over_beta(g, D)
    assert exact <= scan + 1e-9 and exact >= scan - 1e-3


def test_good_node_counts_match_the_direct_formula():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((4, 5))
    y = np.array([1.0, -1.0, 1.0, -1.0])
    S = (rng.standard_normal((4, 30)) > 0).astype(float)
    A = rng.uniform(size=(3, 4))
    counts = good_node_counts(S, X @ X.T, y, A, 0.5)
    for a, c in zip(A, counts):
        norms = np.linalg.norm(((a * y / 4)[:, None] * S).T @ X, axis=1)
        assert c == np.count_nonzero(norms >= 0.5 * a.max() / 4)


def test_worst_gradient_ratio_is_the_minimum_over_the_simplex():
    ds, param, W, cache = small_problem(widths=(30, 40), n=6)
    value, a = worst_gradient_ratio(cache.h[1], cache.D[2], ds.y)
    D = cache.D[2].astype(float)
    Q = np.outer(ds.y, ds.y) * (cache.h[1] @ cache.h[1].T) * (D @ D.T)
    samples = np.random.default_rng(9).dirichlet(np.ones(6), 3000)
    assert value <= np.min(np.einsum("ij,jk,ik->i", samples, Q, samples)) + 1e-12
    assert a.sum() == pytest.approx(1.0) and np.all(a >= 0)
    # and it is the squared gradient norm of the last layer with ℓ′ = −a, times n²
    grad = deep.backward(param, W, cache, (-a * ds.y / ds.n)[:, None])[-1]
    assert np.sum(grad**2) * ds.n**2 == pytest.approx(value, rel=1e-9)


def test_decomposition_reconstructs_the_margin_change_for_gd_and_sgd():
    ds, param, W, _ = small_problem()
    for batch in (None, np.array([0, 3])):
        terms = decomposition(param, W, ds.X, ds.y, 0.05, losses.LOGISTIC, batch)
        recon = ds.y * np.sum(terms["I1"] + terms["I3"] + terms["I4"], axis=0)
        assert np.allclose(terms["delta"], recon, rtol=1e-12, atol=1e-14)
        for left, right in terms["u_pairs"]:
            assert left == pytest.approx(-0.05 * right, rel=1e-10)


def test_theory_envelope_starts_at_the_initial_loss_and_decreases():
    env = theory_envelope(np.linspace(0, 1e3, 50), 0.7, 5.0, 128, 8, 0.3)
    assert env[0] == pytest.approx(0.7) and np.all(np.diff(env) <= 0)


def test_run_records_loss_error_and_distance():
    ds, param, W, _ = small_problem()
    traj = N.run(param, W, ds.X, ds.y, losses.LOGISTIC, 0.05, 10, record_every=5)
    assert len(traj.loss) == 11 and traj.record_steps == [0, 5, 10] and traj.distance[0] == 0.0
    assert traj.loss[-1] < traj.loss[0] and len(traj.sum_lprime) == 11


def test_e11_counterexample_is_documented_and_replays(tmp_path):
    check = get_lemma("zou2018.erratumE11").check("as_printed")
    case = check.cases(Mode.QUICK)[0]
    result = run_check(check, case, Settings(mode=Mode.QUICK))
    assert result.status.value == "documented erratum" and result.verdict.counterexample is not None
    path = write_replay(result, result.verdict.counterexample, tmp_path / "e11.json")
    fresh, recorded = replay(path)
    assert fresh["value"] == pytest.approx(recorded["value"], rel=1e-12) and fresh["failed"]
    assert recorded["value"] < recorded["bound"]
    assert recorded["infinite_width"] < recorded["bound"]


def test_lemma_b5_targets_a_largest_independent_set_of_inputs():
    """Opposite pairs with n > d (the FULL case of Lemma B.5) leave a joint sign flip only rank(X) samples."""
    from lemmas.papers.zou2018.perturb_gradients import _independent_rows

    rng = np.random.default_rng(0)
    half = rng.normal(size=(6, 8))
    X = np.vstack([half, -half])  # 12 rows in R^8, rank 6
    rows = _independent_rows(X)
    assert rows.size == 6 and np.linalg.matrix_rank(X[rows]) == 6 and np.all(np.diff(rows) > 0)
