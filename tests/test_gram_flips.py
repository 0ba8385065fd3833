"""The Gram matrix under activation flips (lemmas.search.gram_flips) against full recomputation and brute force."""

import itertools

import numpy as np
import pytest
import scipy.optimize
from threadpoolctl import threadpool_limits

from lemmas.core import data
from lemmas.core.twolayer import gram, init_two_layer, pattern_counts
from lemmas.search.gram_flips import (
    MARGIN,
    FlipGram,
    MinEigObjective,
    NormObjective,
    RecomputedGram,
    WarmMinEig,
    flip_search,
    flippable_pairs,
    least_distance,
    perturbation_bound,
    perturbation_norm,
    realise,
    recomputed_state,
)


def instance(seed, n=8, d=6, m=3000, radius=0.02):
    rng = np.random.default_rng(seed)
    X = data.sphere(rng, n, d)
    W0, _ = init_two_layer(rng, m, d)
    return rng, X, W0, radius


def random_moves(rng, X, W0, flips, radius, count):
    """Random feasible (neuron, weights, pattern) moves of the flippable neurons, realised explicitly."""
    samples = [np.flatnonzero(row) for row in flips.within(radius)]
    moves = []
    while len(moves) < count:
        k = int(rng.integers(len(samples)))
        if samples[k].size == 0:
            continue
        point = realise(X, W0[flips.neurons[k]], flips.z[k], samples[k], rng.random(samples[k].size) < 0.5, radius)
        if point is not None:
            moves.append((k, *point))
    return moves


def test_incremental_counts_and_H_equal_full_recomputation_exactly():
    rng, X, W0, radius = instance(0)
    flips = flippable_pairs(X, W0, radius)
    state = FlipGram(X, pattern_counts(X, W0), W0.shape[0], W0[flips.neurons], flips.z >= 0)
    W = W0.copy()
    for k, w, pattern in random_moves(rng, X, W0, flips, radius, 40):
        state.set_neuron(k, w, pattern)
        W[flips.neurons[k]] = w
        assert np.array_equal(state.counts, pattern_counts(X, W))
        assert np.array_equal(state.H, gram(X, W))
    state.reset()
    assert np.array_equal(state.H, gram(X, W0))
    assert state.changed_samples.size == 0


def test_recomputed_state_matches_incremental_state():
    rng, X, W0, radius = instance(1)
    flips = flippable_pairs(X, W0, radius)
    fast = FlipGram(X, pattern_counts(X, W0), W0.shape[0], W0[flips.neurons], flips.z >= 0)
    slow = RecomputedGram(X, W0, flips.neurons, flips.z >= 0)
    for k, w, pattern in random_moves(rng, X, W0, flips, radius, 10):
        fast.set_neuron(k, w, pattern)
        slow.set_neuron(k, w, pattern)
        assert np.array_equal(fast.counts, slow.counts)
        assert np.array_equal(fast.changed_samples, slow.changed_samples)


def test_perturbation_norm_from_changed_rows_equals_dense_norm():
    rng, X, W0, radius = instance(2)
    flips = flippable_pairs(X, W0, radius)
    state = FlipGram(X, pattern_counts(X, W0), W0.shape[0], W0[flips.neurons], flips.z >= 0)
    for k, w, pattern in random_moves(rng, X, W0, flips, radius, 15):
        state.set_neuron(k, w, pattern)
        dense = np.max(np.abs(np.linalg.eigvalsh(state.H - state.H0)))
        assert perturbation_norm(state.H, state.H0, state.changed_samples) == pytest.approx(dense, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("n", [20, 80])   # dense path below WarmMinEig.dense_below = 64, iteration above
def test_warm_min_eig_matches_eigvalsh_along_a_sequence_of_flips(n):
    rng = np.random.default_rng(n)
    X = data.sphere(rng, n, 30)
    W0, _ = init_two_layer(rng, 2000, 30)
    flips = flippable_pairs(X, W0, 0.05)
    state = FlipGram(X, pattern_counts(X, W0), W0.shape[0], W0[flips.neurons], flips.z >= 0)
    solver = WarmMinEig()
    solver.accept(solver(state.H)[1])
    with threadpool_limits(limits=1, user_api="blas"):      # small matrices: threads only add overhead
        for k, w, pattern in random_moves(rng, X, W0, flips, 0.05, 25):
            state.set_neuron(k, w, pattern)
            value, vector = solver(state.H)
            assert abs(value - np.linalg.eigvalsh(state.H)[0]) <= 1e-10
            assert np.linalg.norm(state.H @ vector - value * vector) <= 1e-8
            solver.accept(vector)
    assert solver.fallbacks <= 2


def test_warm_min_eig_falls_back_when_the_warm_vector_is_not_the_smallest():
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((80, 80)))
    H = (Q * np.linspace(1.0, 2.0, 80)) @ Q.T
    solver = WarmMinEig()
    solver.accept(Q[:, -1])                    # the largest eigenvector
    value, _ = solver(H)
    assert abs(value - 1.0) <= 1e-10
    assert solver.fallbacks == 1


def test_flippable_pairs_contain_every_pair_closer_than_the_radius():
    _, X, W0, radius = instance(4)
    flips = flippable_pairs(X, W0, radius, chunk=257)
    Z = W0 @ X.T
    exact = np.argwhere(np.abs(Z) < radius)
    found = {(int(flips.neurons[k]), int(i)) for k, i in np.argwhere(flips.mask)}
    assert {(int(r), int(i)) for r, i in exact} == found    # the float widening adds nothing at this scale
    assert np.array_equal(flips.z, Z[flips.neurons])


def test_least_distance_matches_a_generic_solver():
    rng = np.random.default_rng(5)
    for _ in range(20):
        G = rng.standard_normal((3, 4))
        h = rng.standard_normal(3)
        x = least_distance(G, h)
        ref = scipy.optimize.minimize(lambda v: v @ v, np.zeros(4), jac=lambda v: 2 * v, method="SLSQP",
                                      constraints={"type": "ineq", "fun": lambda v: G @ v - h, "jac": lambda v: G})
        assert x is not None and np.all(G @ x >= h - 1e-9)
        assert np.linalg.norm(x) == pytest.approx(np.linalg.norm(ref.x), rel=1e-5)
    assert least_distance(np.array([[1.0], [-1.0]]), np.array([1.0, 1.0])) is None    # x ≥ 1 and x ≤ −1


def test_realised_weights_lie_in_the_ball_and_flip_exactly_the_chosen_patterns():
    rng, X, W0, radius = instance(6)
    flips = flippable_pairs(X, W0, radius)
    checked = 0
    for k in range(flips.neurons.size):
        samples = np.flatnonzero(flips.within(radius)[k])
        for flip in itertools.product([False, True], repeat=samples.size):
            flip = np.array(flip)
            point = realise(X, W0[flips.neurons[k]], flips.z[k], samples, flip, radius)
            if point is None:
                continue
            w, pattern = point
            w0 = W0[flips.neurons[k]]
            assert np.linalg.norm(w - w0) <= (1 - MARGIN) * radius
            expected = X @ w0 >= 0
            expected[samples[flip]] = ~expected[samples[flip]]
            assert np.array_equal(X @ w >= 0, expected)
            assert np.array_equal(pattern, expected)
            checked += 1
    assert checked > 20


def test_a_flip_beyond_the_radius_is_not_realisable():
    X = np.array([[1.0, 0.0]])
    w0 = np.array([0.3, 1.0])                  # z = 0.3: flipping it needs ‖Δ‖ > 0.3
    assert realise(X, w0, X @ w0, np.array([0]), np.array([True]), 0.29) is None
    assert realise(X, w0, X @ w0, np.array([0]), np.array([True]), 0.31) is not None


def planted_instance():
    """n = 2 inputs, m = 8 neurons; seven flippable pairs planted (one neuron flippable at both samples)."""
    X = data.two_points(1.1)
    radius = 0.05
    perp = [np.array([-X[i, 1], X[i, 0]]) for i in range(2)]
    rows = [perp[0] + 0.02 * X[0], perp[0] - 0.01 * X[0], -perp[0] + 0.03 * X[0],
            perp[1] - 0.04 * X[1], -perp[1] + 0.015 * X[1], np.array([0.004, -0.006]),
            np.array([1.0, 0.4]), np.array([-0.7, -1.2])]
    return X, np.array(rows), radius


def brute_force(X, W0, flips, radius):
    """Max ‖H − H(0)‖₂ and min λ_min(H) over every realisable set of flips."""
    H0 = gram(X, W0)
    per_neuron = []
    for k in range(flips.neurons.size):
        samples = np.flatnonzero(flips.within(radius)[k])
        options = [W0[flips.neurons[k]]]
        for flip in itertools.product([False, True], repeat=samples.size):
            if any(flip):
                point = realise(X, W0[flips.neurons[k]], flips.z[k], samples, np.array(flip), radius)
                if point is not None:
                    options.append(point[0])
        per_neuron.append(options)
    best_norm, best_eig = 0.0, np.inf
    for choice in itertools.product(*per_neuron):
        W = W0.copy()
        W[flips.neurons] = np.array(choice)
        H = gram(X, W)
        best_norm = max(best_norm, np.max(np.abs(np.linalg.eigvalsh(H - H0))))
        best_eig = min(best_eig, np.linalg.eigvalsh(H)[0])
    return best_norm, best_eig


def test_search_finds_the_brute_force_worst_case_on_a_planted_instance():
    X, W0, radius = planted_instance()
    counts0 = pattern_counts(X, W0)
    flips = flippable_pairs(X, W0, radius)
    assert flips.pairs == 7
    worst_norm, worst_eig = brute_force(X, W0, flips, radius)
    rng = np.random.default_rng(0)
    by_norm = flip_search(X, W0, counts0, flips, radius, NormObjective(), rng, restarts=6)
    by_eig = flip_search(X, W0, counts0, flips, radius, MinEigObjective(), rng, restarts=6)
    assert by_norm.value == pytest.approx(worst_norm, rel=1e-12)
    assert -by_eig.value == pytest.approx(worst_eig, rel=1e-12)
    W = by_norm.explicit_weights(W0)
    assert np.all(np.linalg.norm(W - W0, axis=1) <= radius)
    assert np.array_equal(gram(X, W), by_norm.H)


def test_certified_bounds_dominate_the_worst_case_found():
    for seed in range(4):
        rng, X, W0, radius = instance(10 + seed, n=6, d=4, m=2000, radius=0.03)
        counts0 = pattern_counts(X, W0)
        flips = flippable_pairs(X, W0, radius)
        B, _, U = perturbation_bound(X, flips, W0.shape[0])
        found = flip_search(X, W0, counts0, flips, radius, NormObjective(), rng, restarts=2).value
        spectral_B = np.linalg.eigvalsh(B)[-1]
        assert 0 < found <= spectral_B <= U


def test_search_gives_the_same_result_with_recomputation():
    rng, X, W0, radius = instance(7, n=6, d=4, m=800, radius=0.03)
    counts0 = pattern_counts(X, W0)
    flips = flippable_pairs(X, W0, radius)
    fast = flip_search(X, W0, counts0, flips, radius, NormObjective(), np.random.default_rng(1), restarts=2, max_evals=60)
    slow = flip_search(X, W0, counts0, flips, radius, NormObjective(), np.random.default_rng(1), restarts=2, max_evals=60,
                       state=recomputed_state)
    assert fast.value == slow.value and np.array_equal(fast.counts, slow.counts)


def test_search_stops_at_the_target():
    rng, X, W0, radius = instance(8, n=6, d=4, m=2000, radius=0.03)
    flips = flippable_pairs(X, W0, radius)
    result = flip_search(X, W0, pattern_counts(X, W0), flips, radius, NormObjective(), rng, target=1e-6)
    assert result.value >= 1e-6 and result.evaluations <= 5
