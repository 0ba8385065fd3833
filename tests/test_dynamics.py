"""The training-dynamics core (lemmas/core/dynamics.py) against references: closed forms, brute-force steps,
the exact orthonormal reductions against the generic integrators, and chunk-size independence."""

import math

import numpy as np
import pytest
from scipy.linalg import expm

from lemmas.core import data, dynamics
from lemmas.core.twolayer import gram, init_two_layer, loss_and_grad, predictions
from lemmas.core.validation import InputError


@pytest.fixture
def rng():
    return np.random.default_rng(20181005)


def _problem(rng, n=4, d=6, m=64):
    X = data.sphere(rng, n, d)
    W0, a = init_two_layer(rng, m, d)
    y = rng.uniform(-1, 1, n)
    return X, y, W0, a


# ---------------------------------------------------------------------------------------------------------
# Gradient descent


def test_gradient_descent_steps_follow_eq3(rng):
    X, y, W0, a = _problem(rng)
    eta = 0.05
    traj = dynamics.gradient_descent(X, y, W0, a, eta, steps=3)
    W = W0.copy()
    for k in range(4):
        assert np.allclose(traj.u[k], predictions(X, W, a), atol=1e-14)
        assert math.isclose(traj.max_move[k], float(np.max(np.linalg.norm(W - W0, axis=1))), rel_tol=1e-12, abs_tol=1e-15)
        assert math.isclose(traj.lambda_min[k], float(np.linalg.eigvalsh(gram(X, W))[0]), abs_tol=1e-14)
        W = W - eta * loss_and_grad(X, W, a, y)[1]


def test_gradient_descent_is_independent_of_chunk_size(rng):
    X, y, W0, a = _problem(rng, m=101)
    full = dynamics.gradient_descent(X, y, W0, a, 0.1, steps=20, chunk=101)
    for chunk in (1, 7, 50):
        part = dynamics.gradient_descent(X, y, W0, a, 0.1, steps=20, chunk=chunk)
        assert np.allclose(part.u, full.u, rtol=0, atol=1e-13)
        assert np.array_equal(part.flips, full.flips)
        assert np.allclose(part.lambda_min, full.lambda_min, atol=1e-15)


def test_initial_state_has_no_movement_flips_or_drift(rng):
    X, y, W0, a = _problem(rng)
    traj = dynamics.gradient_descent(X, y, W0, a, 0.1, steps=2)
    assert traj.max_move[0] == 0 and traj.flips[0] == 0 and traj.h_drift[0] == 0
    assert traj.time.tolist() == [0, 1, 2]


def test_gradient_descent_rejects_a_nonpositive_step(rng):
    X, y, W0, a = _problem(rng)
    with pytest.raises(InputError):
        dynamics.gradient_descent(X, y, W0, a, 0.0, steps=2)


def test_orthonormal_descent_reproduces_generic_descent(rng):
    X = np.eye(3)
    W0, a = init_two_layer(rng, 300, 3)
    y = np.array([1.0, -0.7, 0.2])
    generic = dynamics.gradient_descent(X, y, W0, a, 0.05, steps=200)
    exact = dynamics.orthonormal_gradient_descent(X, y, W0, a, 0.05, steps=200)
    assert np.allclose(generic.u, exact.u, atol=1e-12)
    assert np.allclose(generic.lambda_min, exact.lambda_min, atol=1e-15)
    assert exact.max_move_exact
    assert np.allclose(generic.max_move, exact.max_move, atol=1e-12)


def test_orthonormal_reductions_reject_non_orthonormal_inputs(rng):
    X, y, W0, a = _problem(rng, n=2, d=2)
    with pytest.raises(InputError):
        dynamics.orthonormal_gradient_descent(X, y, W0, a, 0.1, 3)
    with pytest.raises(InputError):
        dynamics.orthonormal_gradient_flow(X, y, W0, a)


# ---------------------------------------------------------------------------------------------------------
# Gradient flow


def test_gradient_flow_is_exact_while_no_pattern_changes(rng):
    """With a tiny residual no neuron crosses a hyperplane: e(t) = exp(−H t) e(0) up to the rounding of
    y − u(t) (|u| ~ 1, so a few 1e-16 on a residual of size 1e-6)."""
    X, _, W0, a = _problem(rng, m=200)
    u0 = predictions(X, W0, a)
    y = u0 + 1e-6 * rng.standard_normal(X.shape[0])
    traj = dynamics.gradient_flow(X, y, W0, a, move=1.0, t_max=5.0, h_max=0.5)
    assert traj.flips[-1] == 0
    H0 = gram(X, W0)
    for t, u in zip(traj.time, traj.u):
        assert np.allclose(y - u, expm(-H0 * t) @ (y - u0), rtol=0, atol=1e-14)


def test_gradient_flow_converges_to_the_exact_orthonormal_flow(rng):
    X = np.eye(2)
    W0, a = init_two_layer(rng, 200, 2)
    y = np.array([1.5, -2.0])
    exact = dynamics.orthonormal_gradient_flow(X, y, W0, a)
    errors = []
    for move in (2e-3, 1e-3, 5e-4):
        traj = dynamics.gradient_flow(X, y, W0, a, move=move, t_max=40.0, h_max=0.5)
        errors.append(float(np.max(np.abs((y - traj.u) - exact.residual_components(traj.time)))))
        assert math.isclose(traj.max_move[-1], exact.max_move(traj.time[-1]), rel_tol=1e-4)
    assert errors[2] < errors[1] < errors[0] < 1e-5


def test_gradient_flow_is_independent_of_chunk_size(rng):
    X, y, W0, a = _problem(rng, m=90)
    full = dynamics.gradient_flow(X, y, W0, a, move=0.01, t_max=3.0, chunk=90)
    part = dynamics.gradient_flow(X, y, W0, a, move=0.01, t_max=3.0, chunk=8)
    assert np.allclose(full.u, part.u, atol=1e-13)
    assert np.allclose(full.time, part.time, rtol=1e-14)


def test_gradient_flow_step_never_moves_a_neuron_further_than_move(rng):
    X, y, W0, a = _problem(rng, m=50)
    move = 0.01
    traj = dynamics.gradient_flow(X, y, W0, a, move=move, t_max=10.0)
    assert np.all(np.diff(traj.max_move) <= move * (1 + 1e-12))


def test_gradient_flow_stops_at_the_residual_tolerance(rng):
    X, y, W0, a = _problem(rng, m=128)
    traj = dynamics.gradient_flow(X, y, W0, a, move=0.05, t_max=1e4, residual_tol=1e-6)
    assert traj.residual[-1] <= 1e-6 * traj.residual[0]
    assert traj.residual[-2] > 1e-6 * traj.residual[0]


# ---------------------------------------------------------------------------------------------------------
# Exact flow for orthonormal inputs


def test_orthonormal_flow_single_neuron_closed_form():
    """n = 1, m = 4, one active neuron moving up: h = 1/4, e(t) = e0 e^{−t/4}, total movement 4e0/√m·… exactly."""
    X = np.array([[1.0]])
    W0 = np.array([[0.7], [-0.2], [-1.3], [-0.4]])
    a = np.array([1.0, 1.0, -1.0, 1.0])
    u0 = 0.7 / 2
    y = np.array([u0 + 0.3])
    flow = dynamics.orthonormal_gradient_flow(X, y, W0, a)
    t = np.array([0.0, 1.0, 10.0])
    assert np.allclose(flow.residual_components(t)[:, 0], 0.3 * np.exp(-t / 4), rtol=1e-14)
    assert math.isclose(flow.max_move(np.inf), 0.3 / (2 * 0.25), rel_tol=1e-14)   # ∫ e/√m dt = e0/(√m h)
    assert flow.lambda_min_at(np.inf)[0] == 0.25


def test_orthonormal_flow_neurons_stop_at_zero(rng):
    """Down-moving neurons leave the active set exactly when ς reaches their initial pre-activation."""
    X = np.eye(1)
    W0 = np.array([[0.05], [0.1], [2.0], [3.0]])
    a = np.array([-1.0, -1.0, 1.0, 1.0])
    y = np.array([10.0])
    flow = dynamics.orthonormal_gradient_flow(X, y, W0, a)
    assert np.allclose(flow.sigma_at_break[0][1:], [0.05, 0.1])
    assert flow.h_after[0].tolist() == [1.0, 0.75, 0.5]
    assert flow.lambda_min_at(np.inf)[0] == 0.5


def test_orthonormal_flow_matches_fine_gradient_descent(rng):
    X = np.eye(2)
    W0, a = init_two_layer(rng, 60, 2)
    y = np.array([0.8, -1.1])
    flow = dynamics.orthonormal_gradient_flow(X, y, W0, a)
    eta = 1e-3
    gd = dynamics.orthonormal_gradient_descent(X, y, W0, a, eta, steps=8000)
    t = eta * np.arange(0, 8001, 1000)
    assert np.allclose(y - gd.u[::1000], flow.residual_components(t), atol=2e-3)


# ---------------------------------------------------------------------------------------------------------
# Joint training


def test_joint_flow_matches_a_fine_euler_reference(rng):
    X, y, W0, a = _problem(rng, n=3, d=5, m=40)
    W, A, h, m = W0.copy(), a.copy(), 2e-4, 40
    for _ in range(int(2.0 / h)):
        Z = W @ X.T
        e = y - (A @ np.maximum(Z, 0.0)) / math.sqrt(m)
        dW = (A[:, None] / math.sqrt(m)) * (((Z >= 0) * e) @ X)
        dA = (np.maximum(Z, 0.0) @ e) / math.sqrt(m)
        W, A = W + h * dW, A + h * dA
    traj = dynamics.joint_gradient_flow(X, y, W0, a, move=1e-3, t_max=2.0, h_max=0.01)
    assert math.isclose(traj.time[-1], 2.0, rel_tol=1e-12)
    assert np.allclose(y - traj.u[-1], e, atol=1e-3)
    assert math.isclose(traj.max_a_move[-1], float(np.max(np.abs(A - a))), rel_tol=1e-2)


def test_joint_flow_records_the_a_squared_weighted_gram(rng):
    X, y, W0, a = _problem(rng, n=3, d=4, m=30)
    traj = dynamics.joint_gradient_flow(X, y, W0, a, move=0.01, t_max=0.5)
    assert traj.max_a_move[0] == 0.0
    assert math.isclose(traj.lambda_min[0], float(np.linalg.eigvalsh(gram(X, W0))[0]), abs_tol=1e-14)  # a² = 1 at t = 0


def test_halving_study_reports_the_shift_of_each_quantity():
    study = dynamics.halving_study(lambda refine: 1.0 / refine, lambda v: {"v": v, "w": 2 * v})
    assert study.coarse == {"v": 1.0, "w": 2.0}
    assert study.fine == {"v": 0.5, "w": 1.0}
    assert study.shift == {"v": 0.5, "w": 1.0}
