"""Tests of the deep ReLU core (lemmas.core.deep, deep_kernels, perturb): exact identities against brute
force, exact moments and infinite-width kernels against Monte Carlo with standard-error tolerances."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy import stats

from lemmas.core import deep, deep_kernels as dk, perturb as pb

EPS = 1e-6  # central-difference step


def logistic() -> deep.MarginLoss:
    return (lambda z: np.logaddexp(0.0, -z), lambda z: -1.0 / (1.0 + np.exp(z)))


def tiny_networks() -> dict[str, tuple[deep.DeepParameterization, deep.MarginLoss | None]]:
    """Small float64 networks of every family and kind, with the loss each is trained with."""
    return {
        "azls": (deep.azls(4, 6, 3, 2, input_bias=1 / math.sqrt(2)), None),
        "zou": (deep.zou(4, (5, 7, 6), mu=0.5), logistic()),
        "azls_resnet": (deep.azls(4, 5, 3, 2, kind="resnet"), None),
        "azls_conv": (deep.azls(10, 4, 2, 2, kind="conv", positions=5, kernel=3), None),
        "zou_conv": (deep.zou(10, (4, 6), kind="conv", positions=5, kernel=3), logistic()),
    }


def problem(name: str, n: int = 3, seed: int = 0):
    param, loss = tiny_networks()[name]
    rng = np.random.default_rng(seed)
    weights = deep.init_params(param, rng)
    extra = 0 if param.input_bias is None else 1
    X = deep.make_inputs(param, rng.standard_normal((n, param.d_in - extra)))
    Y = rng.standard_normal((n, param.d_out)) if loss is None else np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    cache = deep.forward(param, weights, X)
    margin = min(np.min(np.abs(g)) for g in cache.g if g is not None)
    assert margin > 1e3 * EPS, "a pre-activation sits near a kink; finite differences would be invalid"
    return param, loss, weights, X, Y


def objective(param, loss, weights, X, Y) -> float:
    out = deep.forward(param, weights, X).out
    return deep.square_loss(out, Y)[0] if loss is None else deep.margin_loss(out, Y, loss)[0]


@pytest.mark.parametrize("name", list(tiny_networks()))
def test_gradient_matches_central_differences_in_every_trained_layer(name):
    param, loss, weights, X, Y = problem(name)
    grads = deep.loss_and_grad(param, weights, X, Y, loss=loss).grads
    rng = np.random.default_rng(1)
    for ell in param.trained:
        V = rng.standard_normal(weights.Ws[ell - 1].shape)
        step = [None] * param.L
        step[ell - 1] = EPS * V
        up = objective(param, loss, weights.perturbed(step), X, Y)
        step[ell - 1] = -EPS * V
        down = objective(param, loss, weights.perturbed(step), X, Y)
        fd = (up - down) / (2 * EPS)
        exact = float(np.sum(grads[ell - 1] * V))
        assert abs(fd - exact) <= 1e-7 * max(1.0, abs(exact)), (ell, fd, exact)


def jacobian_by_differences(param, weights, X) -> np.ndarray:
    """∂out/∂(trained weights) entry by entry (n·d_out × #weights): the brute-force NTK reference."""
    cols = []
    for ell in param.trained:
        W = weights.Ws[ell - 1]
        for idx in np.ndindex(W.shape):
            E = np.zeros_like(W)
            E[idx] = EPS
            step = [None] * param.L
            step[ell - 1] = E
            up = deep.forward(param, weights.perturbed(step), X).out
            step[ell - 1] = -E
            down = deep.forward(param, weights.perturbed(step), X).out
            cols.append(((up - down) / (2 * EPS)).reshape(-1))
    return np.array(cols).T


@pytest.mark.parametrize("name", list(tiny_networks()))
def test_empirical_ntk_matches_explicit_jacobian(name):
    param, _, weights, X, _ = problem(name)
    J = jacobian_by_differences(param, weights, X)
    K = dk.empirical_ntk(param, weights, X)
    assert np.max(np.abs(K - J @ J.T)) <= 1e-7 * np.max(np.abs(K))


def test_back_vectors_match_explicit_matrix_products():
    param, _, weights, X, _ = problem("azls")
    cache = deep.forward(param, weights, X)
    for a in range(1, param.L + 2):
        back = deep.back_vectors(param, weights, cache, a)
        for i in range(X.shape[0]):
            M = weights.B.copy()
            for ell in range(param.L, a - 1, -1):  # B D_L W_L ⋯ D_a W_a with explicit diagonal matrices
                M = M @ np.diag(cache.D[ell][i].astype(float)) @ weights.Ws[ell - 1]
            np.testing.assert_allclose(back[i], M, rtol=0, atol=1e-13)


def test_back_vectors_give_zou_back_vector_recursion():
    param, _, weights, X, _ = problem("zou")
    cache = deep.forward(param, weights, X)
    b = cache.D[param.L] * weights.v  # b_L = Σ_L v, then b_l = Σ_l W_{l+1} b_{l+1} (paper orientation)
    for ell in range(param.L, 0, -1):
        ours = cache.D[ell] * deep.back_vectors(param, weights, cache, ell + 1)[:, 0, :]
        np.testing.assert_allclose(ours, b, rtol=0, atol=1e-13)
        if ell > 1:
            b = cache.D[ell - 1] * (b @ weights.Ws[ell - 1])


@pytest.mark.parametrize("name", ["azls", "zou", "azls_conv", "azls_resnet"])
def test_squared_gradient_norm_equals_ntk_quadratic_form(name):
    param, loss, weights, X, Y = problem(name, n=4)
    dout = deep.loss_and_grad(param, weights, X, Y, loss=loss).dout
    grad_sq, quad = dk.ntk_gradient_identity(param, weights, X, dout)
    assert abs(grad_sq - quad) <= 1e-10 * grad_sq


def test_chunked_and_unchunked_passes_agree():
    for name in ("azls", "zou_conv"):
        param, loss, weights, X, Y = problem(name, n=5)
        full = deep.forward(param, weights, X)
        part = deep.forward(param, weights, X, chunk=2)
        for a, b in zip(full.h + tuple(g for g in full.g if g is not None), part.h + tuple(g for g in part.g if g is not None)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
        dout = deep.loss_and_grad(param, weights, X, Y, loss=loss).dout
        for G1, G2 in zip(deep.backward(param, weights, full, dout), deep.backward(param, weights, full, dout, chunk=2)):
            np.testing.assert_allclose(G1, G2, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(deep.back_vectors(param, weights, full, 1), deep.back_vectors(param, weights, full, 1, chunk=2), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(dk.empirical_ntk(param, weights, X), dk.empirical_ntk(param, weights, X, chunk=2), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", list(tiny_networks()))
def test_float32_weights_run_every_pass_in_float32_and_agree_to_float32_roundoff(name):
    param, loss, weights, X, Y = problem(name, n=4)
    w32 = weights.astype(np.float32)
    assert w32.dtype == np.float32 and all(W.dtype == np.float32 for W in w32.Ws)
    lg64 = deep.loss_and_grad(param, weights, X, Y, loss=loss)
    lg32 = deep.loss_and_grad(param, w32, X, Y, loss=loss)
    assert lg32.cache.out.dtype == np.float32 and all(h.dtype == np.float32 for h in lg32.cache.h)
    for G32, G64 in zip(lg32.grads, lg64.grads):
        assert G32.dtype == np.float32
        np.testing.assert_allclose(G32, G64, rtol=0, atol=1e-5 * np.max(np.abs(G64)))
    K32, K64 = dk.empirical_ntk(param, w32, X), dk.empirical_ntk(param, weights, X)
    assert K32.dtype == np.float32
    np.testing.assert_allclose(K32, K64, rtol=0, atol=1e-5 * np.max(np.abs(K64)))
    back = deep.back_vectors(param, w32, lg32.cache, 1)
    assert back.dtype == np.float32


def test_float32_initialization_is_the_float64_draw_rounded():
    param = deep.azls(4, 6, 2, 1)
    w64 = deep.init_params(param, np.random.default_rng(3))
    w32 = deep.init_params(param, np.random.default_rng(3), dtype=np.float32)
    for a, b in zip((w32.A, *w32.Ws, w32.B), (w64.A, *w64.Ws, w64.B)):
        np.testing.assert_array_equal(a, b.astype(np.float32))


def test_weights_of_mixed_or_unsupported_types_are_rejected():
    param = deep.azls(4, 6, 2, 1)
    weights = deep.init_params(param, np.random.default_rng(0))
    X = deep.make_inputs(param, np.ones((2, 4)))
    mixed = weights.with_Ws([weights.Ws[0].astype(np.float32), weights.Ws[1]])
    with pytest.raises(deep.InputError, match="share one type"):
        deep.forward(param, mixed, X)
    with pytest.raises(deep.InputError, match="float64 or float32"):
        weights.astype(np.float16)
    with pytest.raises(deep.InputError, match="float64 or float32"):
        deep.init_params(param, np.random.default_rng(0), dtype=np.int64)


def _z_mean_and_variance(values: np.ndarray, variance: float) -> tuple[float, float]:
    """z-scores of the sample mean against 1 and of the sample variance against ``variance``."""
    T = values.size
    centred = values - values.mean()
    s2 = np.mean(centred**2)
    se_var = math.sqrt((np.mean(centred**4) - s2 * s2) / T)
    return (values.mean() - 1.0) / (values.std(ddof=1) / math.sqrt(T)), (s2 - variance) / se_var


def test_azls_hidden_norm_has_exact_moments_at_init():
    """azls2018.md §3.1 [D]: ‖h_L‖² is a product of L + 1 independent (2/m)χ²_{Bin(m,1/2)} factors (A counts),
    so E = 1 and Var = (1 + 5/m)^{L+1} − 1. One unit input per independently initialized network."""
    m, L, trials = 64, 4, 10000
    param = deep.azls(8, m, L, 1)
    rng = np.random.default_rng(12345)
    x = deep.make_inputs(param, np.ones((1, 8)))
    values = np.array([np.sum(deep.forward(param, deep.init_params(param, rng), x).h[L] ** 2) for _ in range(trials)])
    z_mean, z_var = _z_mean_and_variance(values, (1 + 5 / m) ** (L + 1) - 1)
    assert abs(z_mean) < 4.5 and abs(z_var) < 4.5, (z_mean, z_var)


def test_zou_hidden_norm_has_exact_moments_at_init():
    """zou2018.md Lemma A.1 [D]: each layer multiplies ‖x_l‖² by (2/m_l)χ²_{Bin(m_l,1/2)} (mean 1, variance
    5/m_l), so E‖x_L‖² = 1 and Var = Π(1 + 5/m_l) − 1 for unit inputs (no input layer here)."""
    widths, trials = (48, 64, 40), 6000
    param = deep.zou(6, widths)
    rng = np.random.default_rng(54321)
    x = deep.make_inputs(param, np.ones((1, 6)))
    values = np.array([np.sum(deep.forward(param, deep.init_params(param, rng), x).h[-1] ** 2) for _ in range(trials)])
    z_mean, z_var = _z_mean_and_variance(values, np.prod([1 + 5 / w for w in widths]) - 1)
    assert abs(z_mean) < 4.5 and abs(z_var) < 4.5, (z_mean, z_var)


def _assert_monte_carlo_mean(samples: np.ndarray, expected: np.ndarray, alpha: float = 1e-3) -> None:
    """Entrywise t-tests of the mean of ``samples`` (axis 0) against ``expected``, Bonferroni over the
    distinct entries of a symmetric matrix, at family-wise level ``alpha``."""
    R = samples.shape[0]
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / math.sqrt(R)
    iu = np.triu_indices(expected.shape[0])
    crit = stats.t.ppf(1 - alpha / (2 * iu[0].size), df=R - 1)
    err = np.abs(mean - expected)[iu]
    tol = crit * se[iu]
    exact_zero = se[iu] == 0  # e.g. entries that vanish identically
    assert np.all(err[~exact_zero] <= tol[~exact_zero]), np.max(err / np.where(tol > 0, tol, np.inf))
    assert np.all(err[exact_zero] <= 1e-12 * np.max(np.abs(expected)))


@pytest.mark.parametrize(
    "param",
    [deep.azls(5, 2048, 2, 2, input_bias=1 / math.sqrt(2)), deep.zou(5, (1024, 2048, 1536), mu=0.5)],
    ids=["azls", "zou_unequal_widths"],
)
def test_infinite_width_ntk_matches_monte_carlo_of_empirical_ntk(param):
    rng = np.random.default_rng(7)
    extra = 0 if param.input_bias is None else 1
    X = deep.make_inputs(param, rng.standard_normal((3, param.d_in - extra)))
    samples = np.array([dk.empirical_ntk(param, deep.init_params(param, np.random.default_rng(100 + s)), X) for s in range(20)])
    _assert_monte_carlo_mean(samples, dk.ntk_infinite(param, X))


@pytest.mark.parametrize(
    "param", [deep.azls(5, 256, 2, 1), deep.zou(5, (256, 384, 320))], ids=["azls", "zou"]
)
def test_infinite_width_nngp_matches_monte_carlo_of_outputs(param):
    rng = np.random.default_rng(8)
    X = deep.make_inputs(param, rng.standard_normal((3, param.d_in)))
    outs = [deep.forward(param, deep.init_params(param, rng), X).out.reshape(-1) for _ in range(400)]
    samples = np.array([np.outer(o, o) for o in outs])
    _assert_monte_carlo_mean(samples, dk.nngp_infinite(param, X))


def test_relu_angle_map_is_stable_and_exact_on_the_diagonal():
    assert dk.relu_angle_map(np.array([0.0]))[0] == 0.0
    alphas = np.array([1e-8, 1e-4, 0.05, 0.3, 1.0, 2.0, 3.0, np.pi])
    mpmath.mp.dps = 50
    for a, got in zip(alphas, dk.relu_angle_map(alphas)):
        a = mpmath.mpf(float(a))
        ref = mpmath.acos((mpmath.sin(a) + (mpmath.pi - a) * mpmath.cos(a)) / mpmath.pi)
        assert abs(got - float(ref)) <= 4e-16 * max(float(ref), 1e-300) + 1e-300, (a, got, ref)
    param = deep.azls(3, 8, 3, 1)
    X = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # a duplicated input
    for alpha in dk.representation_angles(param, X):
        assert alpha[0, 1] == 0.0 and np.all(np.diag(alpha) == 0.0)
    K = dk.ntk_infinite(param, X)
    assert K[0, 0] == K[0, 1] == K[1, 1] == 3 * 8 / 2  # L layers × m c_out / 2 on the diagonal


def test_ntk_infinite_counts_only_the_requested_trained_layers():
    param = deep.zou(4, (6, 8, 10))
    X = deep.make_inputs(param, np.random.default_rng(0).standard_normal((3, 4)))
    total = sum(dk.ntk_infinite(param, X, layers=(ell,)) for ell in param.trained)
    np.testing.assert_allclose(dk.ntk_infinite(param, X), total, rtol=1e-14)
    assert np.allclose(np.diag(dk.ntk_infinite(param, X, layers=(3,))), 10 / 2)


def test_sign_flip_perturbation_attains_certificate_and_beats_random():
    param = deep.azls(10, 512, 2, 1)
    rng = np.random.default_rng(3)
    weights = deep.init_params(param, rng)
    X = deep.make_inputs(param, rng.standard_normal((3, 10)))
    cache = deep.forward(param, weights, X)
    for omega in (1e-2, 1e-1):
        adv = pb.layer_sign_flip(param, cache, 2, omega, samples=[0])
        rnd = pb.random_perturbation(rng, [adv.shape], omega)[0]
        assert np.linalg.norm(adv, 2) <= omega * (1 + 1e-12)
        assert abs(np.linalg.norm(rnd, 2) - omega) <= 1e-12 * omega
        flips_adv = pb.sign_changes(cache, deep.forward(param, weights.perturbed([None, adv]), X))[2, 0]
        flips_rnd = pb.sign_changes(cache, deep.forward(param, weights.perturbed([None, rnd]), X))[2, 0]
        certificate = pb.one_layer_flip_certificate(cache.g[2][0], np.linalg.norm(cache.h[1][0]), omega)
        assert flips_adv == certificate > flips_rnd
        joint = pb.layer_sign_flip(param, cache, 2, omega)  # all three inputs at once (rank 3)
        assert np.linalg.norm(joint, 2) <= omega * (1 + 1e-12)
        joint_flips = pb.sign_changes(cache, deep.forward(param, weights.perturbed([None, joint]), X))[2]
        assert np.all(joint_flips > 0) and joint_flips.sum() > flips_rnd


def test_greedy_sign_flip_respects_every_layer_budget():
    param = deep.zou(6, (64, 96, 80))
    rng = np.random.default_rng(4)
    weights = deep.init_params(param, rng)
    X = deep.make_inputs(param, rng.standard_normal((2, 6)))
    deltas = pb.greedy_sign_flip(param, weights, X, [0.05, 0.1, 0.2])
    for D, omega in zip(deltas, [0.05, 0.1, 0.2]):
        assert np.linalg.norm(D, 2) <= omega * (1 + 1e-12)
    flips = pb.sign_changes(deep.forward(param, weights, X), deep.forward(param, weights.perturbed(deltas), X))
    assert np.all(flips[1:] > 0) and np.all(flips[0] == 0)


def test_spectral_tools_are_exact():
    rng = np.random.default_rng(5)
    M = rng.standard_normal((600, 550))
    assert abs(pb.spectral_norm(M) - np.linalg.norm(M, 2)) <= 1e-13 * np.linalg.norm(M, 2)  # Lanczos path
    P = pb.project_spectral_ball(M, 20.0)
    s_in, s_out = np.linalg.svd(M, compute_uv=False), np.linalg.svd(P, compute_uv=False)
    np.testing.assert_allclose(s_out, np.minimum(s_in, 20.0), rtol=1e-12, atol=1e-12)


def test_projected_ascent_finds_the_nuclear_norm_optimum_of_a_linear_objective():
    """max ⟨C, Δ⟩ over ‖Δ‖₂ ≤ ω is ω‖C‖_* (attained at ωUVᵀ): a known optimum for the ascent."""
    rng = np.random.default_rng(6)
    Cs = [rng.standard_normal((8, 6)), rng.standard_normal((5, 5))]
    W0 = [rng.standard_normal(C.shape) for C in Cs]
    omega = [0.3, 0.1]

    def f(W):
        return sum(float(np.sum(C * (Wk - W0k))) for C, Wk, W0k in zip(Cs, W, W0)), Cs

    res = pb.projected_ascent(f, W0, omega, steps=200, rng=rng, restarts=2)
    optimum = sum(w * np.linalg.norm(C, "nuc") for C, w in zip(Cs, omega))
    assert optimum * 0.99 <= res.value <= optimum * (1 + 1e-12)
    for D, w in zip(res.deltas, omega):
        assert np.linalg.norm(D, 2) <= w * (1 + 1e-12)


def test_sgd_on_the_full_batch_equals_gd_for_both_objectives():
    for name in ("azls", "zou"):
        param, loss, weights, X, Y = problem(name, n=4)
        gd, _ = deep.gd_step(param, weights, X, Y, 0.1, loss=loss)
        sgd, _ = deep.sgd_step(param, weights, X, Y, np.arange(4), 0.1, loss=loss)
        for A, B in zip(gd.Ws, sgd.Ws):
            np.testing.assert_allclose(A, B, rtol=1e-14, atol=1e-15)
    batch = deep.sample_batch(np.random.default_rng(0), 10, 4)
    assert batch.size == 4 and np.unique(batch).size == 4


def test_initialization_follows_each_paper():
    rng = np.random.default_rng(9)
    zp = deep.zou(3, (200, 300))
    zw = deep.init_params(zp, rng)
    assert sorted(set(zw.v)) == [-1.0, 1.0] and zw.v.sum() == 0
    assert zw.Ws[0].shape == (200, 3) and zw.Ws[1].shape == (300, 200)  # paper's W_l is Ws[l-1].T
    assert abs(np.var(zw.Ws[1]) * 300 / 2 - 1) < 0.02  # N(0, 2/m_l): the layer's own width
    ap = deep.azls(3, 400, 1, 4)
    aw = deep.init_params(ap, rng)
    assert abs(np.var(aw.A) * 400 / 2 - 1) < 0.1 and abs(np.var(aw.B) * 4 - 1) < 0.05
    assert ap.trained == (1,) and zp.trained == (1, 2) and ap.mask_rule == ">=" and zp.mask_rule == ">"


def test_bad_inputs_raise_clear_value_errors():
    param, _, weights, X, Y = problem("azls")
    with pytest.raises(ValueError, match="columns"):
        deep.forward(param, weights, X[:, :-1])
    bad = X.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        deep.forward(param, weights, bad)
    with pytest.raises(ValueError, match="2-D"):
        deep.forward(param, weights, X[0])
    cache = deep.forward(param, weights, X)
    with pytest.raises(ValueError, match="dout"):
        deep.backward(param, weights, cache, Y[:, :1])
    with pytest.raises(ValueError, match="chunk"):
        deep.forward(param, weights, X, chunk=0)
    with pytest.raises(ValueError, match="a: expected"):
        deep.back_vectors(param, weights, cache, param.L + 2)
    with pytest.raises(ValueError, match="W_2"):
        deep.forward(param, weights.with_Ws([weights.Ws[0], weights.Ws[1][:, :-1], weights.Ws[2]]), X)
    with pytest.raises(ValueError, match="norm"):
        deep.check_inputs(param, 2 * X, convention=True)
    with pytest.raises(ValueError, match="even"):
        deep.zou(3, (4, 5))
    with pytest.raises(ValueError, match="Assumption 3.6"):
        deep.zou(3, (4, 10))
    with pytest.raises(ValueError, match="labels"):
        deep.loss_and_grad(*tiny_networks()["zou"][:1], deep.init_params(tiny_networks()["zou"][0], np.random.default_rng(0)),
                           np.eye(3, 4), np.array([1.0, 0.0, -1.0]), loss=logistic())
    with pytest.raises(ValueError, match="linearly independent"):
        pb.sign_flip_perturbation(np.ones((2, 3)), np.ones((2, 4)), 0.1)
    with pytest.raises(ValueError, match="trained layers"):
        dk.empirical_ntk(param, weights, X, layers=(0,))
