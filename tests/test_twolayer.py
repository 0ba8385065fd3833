"""The two-layer core against brute-force references."""

import numpy as np
import pytest

import lemmas
from lemmas.core import data, twolayer
from lemmas.core.validation import InputError


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def naive_gram(X, W):
    n, m = X.shape[0], W.shape[0]
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            both = sum(1 for r in range(m) if W[r] @ X[i] >= 0 and W[r] @ X[j] >= 0)
            H[i, j] = X[i] @ X[j] * both / m
    return H


def test_gram_matches_naive_loop(rng):
    X = data.sphere(rng, 6, 4)
    W, _ = twolayer.init_two_layer(rng, 37, 4)
    assert np.allclose(lemmas.gram(X, W), naive_gram(X, W), atol=1e-15)


def test_gram_is_independent_of_chunk_size(rng):
    X = data.sphere(rng, 9, 5)
    W, _ = twolayer.init_two_layer(rng, 1001, 5)
    full = lemmas.gram(X, W, chunk=1001)
    for chunk in (1, 7, 128):
        assert np.array_equal(lemmas.gram(X, W, chunk=chunk), full)


def test_pattern_indicator_counts_zero_as_active():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    W = np.array([[0.0, 1.0]])  # w·x_1 = 0 exactly: indicator >= 0 makes it active
    assert twolayer.patterns(X, W)[0, 0]
    assert twolayer.gram(X, W)[0, 0] == 1.0


def test_gradient_matches_central_differences(rng):
    X = data.sphere(rng, 5, 3)
    W, a = twolayer.init_two_layer(rng, 8, 3)
    y = rng.standard_normal(5)
    _, grad = lemmas.loss_and_grad(X, W, a, y)
    h = 1e-6
    fd = np.zeros_like(W)
    for r in range(W.shape[0]):
        for c in range(W.shape[1]):
            Wp, Wm = W.copy(), W.copy()
            Wp[r, c] += h
            Wm[r, c] -= h
            fd[r, c] = (lemmas.loss_and_grad(X, Wp, a, y)[0] - lemmas.loss_and_grad(X, Wm, a, y)[0]) / (2 * h)
    assert np.allclose(grad, fd, atol=1e-7)


def test_loss_matches_definition_and_chunking(rng):
    X = data.sphere(rng, 7, 3)
    W, a = twolayer.init_two_layer(rng, 50, 3)
    y = rng.standard_normal(7)
    u = np.maximum(X @ W.T, 0) @ a / np.sqrt(50)
    loss, grad = lemmas.loss_and_grad(X, W, a, y)
    assert np.isclose(loss, 0.5 * np.sum((u - y) ** 2), rtol=1e-14)
    loss2, grad2 = twolayer.loss_and_grad(X, W, a, y, chunk=3)
    assert np.isclose(loss, loss2, rtol=1e-14) and np.allclose(grad, grad2, atol=1e-15)
    assert np.allclose(twolayer.predictions(X, W, a, chunk=4), u, atol=1e-14)


def test_gram_infinity_golden_five_points():
    X = np.random.default_rng(0).normal(size=(5, 3))
    X /= np.linalg.norm(X, axis=1)[:, None]
    assert abs(np.linalg.eigvalsh(lemmas.gram_infinity(X))[0] - 0.1439607459) < 1e-10


def test_gram_infinity_diagonal_is_exactly_half_and_trace_n_over_2(rng):
    X = data.sphere(rng, 30, 10)
    H = lemmas.gram_infinity(X)
    assert np.all(np.abs(np.diag(H) - 0.5) < 1e-15)
    assert abs(np.trace(H) - 15.0) < 1e-12


def test_gram_infinity_matches_monte_carlo(rng):
    X = data.sphere(rng, 5, 4)
    m = 400_000
    W, _ = twolayer.init_two_layer(rng, m, 4)
    err = np.abs(lemmas.gram(X, W) - lemmas.gram_infinity(X)).max()
    # Each entry is a mean of m bounded terms in [-1, 1]: 6 standard errors of a Bernoulli(1/2).
    assert err < 6 * 0.5 / np.sqrt(m)


def test_two_point_formula(rng):
    for theta in (1e-6, 0.3, np.pi / 2, 2 * np.pi / 3, np.pi - 1e-3):
        H = lemmas.gram_infinity(data.two_points(theta))
        expected = 0.5 - abs(np.cos(theta)) * (np.pi - theta) / (2 * np.pi)
        assert abs(np.linalg.eigvalsh(H)[0] - expected) < 1e-15


def test_angles_are_exact_on_duplicates_and_stable_near_parallel():
    X = data.two_points(1e-9, d=3)
    theta = twolayer.angles(np.vstack([X, X[:1]]))
    assert theta[0, 2] == 0.0
    assert abs(theta[0, 1] - 1e-9) < 1e-22


def test_arccos_kernel_matches_monte_carlo(rng):
    X = data.sphere(rng, 4, 3)
    W, _ = twolayer.init_two_layer(rng, 400_000, 3)
    P = np.maximum(X @ W.T, 0)
    assert np.abs(P @ P.T / W.shape[0] - twolayer.arccos_kernel_1(X)).max() < 5e-3


def test_gram_joint_reduces_to_gram_for_unit_a(rng):
    X = data.sphere(rng, 5, 3)
    W, a = twolayer.init_two_layer(rng, 64, 3)
    H, G = twolayer.gram_joint(X, W, a)
    assert np.allclose(H, lemmas.gram(X, W), atol=1e-15)
    P = np.maximum(X @ W.T, 0)
    assert np.allclose(G, P @ P.T / 64, atol=1e-14)


def test_gram_rounding_radius_covers_float_error(rng):
    X = data.sphere(rng, 6, 50)
    W, _ = twolayer.init_two_layer(rng, 300, 50)
    from fractions import Fraction

    H = lemmas.gram(X, W)
    counts = twolayer.pattern_counts(X, W)
    rad = twolayer.gram_rounding_radius(X)
    for i, j in [(0, 1), (2, 5), (3, 3)]:
        exact = sum(Fraction(p) * Fraction(q) for p, q in zip(X[i], X[j])) * Fraction(int(counts[i, j]), 300)
        assert abs(Fraction(H[i, j]) - exact) <= Fraction(rad[i, j])


@pytest.mark.parametrize(
    "X, message",
    [
        (np.zeros((0, 3)), "empty"),
        (np.array([[1.0, np.nan]]), "non-finite"),
        (np.array([1.0, 0.0]), "2-D"),
        (np.array([[2.0, 0.0]]), "norm"),
        (np.array([["a", "b"]]), "numeric"),
    ],
)
def test_bad_inputs_raise_clear_errors(X, message):
    with pytest.raises(InputError, match=message):
        lemmas.gram_infinity(X)


def test_gram_rejects_mismatched_shapes(rng):
    X = data.sphere(rng, 3, 4)
    with pytest.raises(InputError, match="columns"):
        lemmas.gram(X, np.ones((5, 3)))
    with pytest.raises(InputError, match="m >= 1"):
        twolayer.init_two_layer(rng, 0, 3)
