"""Du et al. Lemma 3.3 on sliding modes: the documented reproduction of the finding (lemma3_3.py notes).

The reproduction is trial 1 of du2018.lemma3.3[conditional, near-parallel case] at seed 20181005: there
neurons slide along w_rᵀx_i = 0, H(s) of eq. (6) keeps λ_min ≥ λ0/2 with room to spare, and yet the loss
decays like e^{−2λ_min(H_eff)t} with 2λ_min(H_eff) ≈ 0.917λ0 < λ0. The tests pin that the violation is a
property of the flow, not of an integrator: both integrators, step halving and gradient descent with η → 0
agree on it, and the flow through sliding modes matches the exact flow where one is known.
"""

from functools import lru_cache

import numpy as np

from lemmas.core import dynamics
from lemmas.core.twolayer import init_two_layer
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.trials import trial_rng

SEED = 20181005
UID = ("du2018.lemma3.3[conditional,inputs=near_parallel,labels=uniform,C=1,angle=0.3,n=4,d=8,data_seed=6,"
       "m=256,resolution=1000]")
PARAMS = {"inputs": "near_parallel", "labels": "uniform", "C": 1.0, "angle": 0.3, "n": 4, "d": 8, "data_seed": 6,
          "m": 256, "resolution": 1000}
INDEX = 1


@lru_cache(maxsize=1)
def reproduction():
    """(X, y, λ0, W(0), a) of the documented trial, drawn exactly as the check's trial draws them."""
    X, y, lam0 = dc.case_data(PARAMS)
    W0, a, _ = dc.draw_init(trial_rng(SEED, UID, INDEX), X, PARAMS["m"], accept=dc.min_eig_at_least(X, lam0 / 2))
    return X, y, lam0, W0, a


@lru_cache(maxsize=4)
def sliding_run(refine: int) -> dynamics.Trajectory:
    X, y, lam0, W0, a = reproduction()
    return dc.sliding_flow(X, y, W0, a, lam0, PARAMS, refine)


def rate_ratio_at_end(traj: dynamics.Trajectory, lam0: float) -> float:
    """λ0t/(−log(‖y − u(t)‖²/‖y − u(0)‖²)) at the last state: > 1 means the loss bound failed there."""
    return float(dc.rate_ratio(dc.loss_ratio(traj)[-1:], np.exp(-lam0 * traj.time[-1:]))[0])


def late_rate(time: np.ndarray, loss: np.ndarray, start: float, stop: float) -> float:
    """Average decay rate −d log(loss)/dt over [start, stop]."""
    inside = (time >= start) & (time <= stop)
    t, logs = time[inside], np.log(loss[inside])
    return float(-(logs[-1] - logs[0]) / (t[-1] - t[0]))


def test_printed_hypothesis_holds_on_the_whole_run_while_the_loss_bound_fails():
    X, y, lam0, W0, a = reproduction()
    traj = sliding_run(1)
    assert np.min(traj.lambda_min) >= 1.3 * lam0 / 2                  # H(s) of eq. (6) at the flow's states
    assert traj.info["sliding"][-1] >= 20                             # a sliding mode carries the late flow
    assert 1.006 < rate_ratio_at_end(traj, lam0) < 1.007              # e^{−λ0t} bound exceeded at t ≈ 707
    observed = late_rate(traj.time, dc.loss_ratio(traj), 300.0, 700.0)
    effective = 2 * traj.info["lambda_min_effective"][-1]
    assert abs(observed / effective - 1) < 1e-3                       # the decay is 2λ_min(H_eff) …
    assert effective < 0.92 * lam0                                    # … which is below λ0


def test_corrected_hypothesis_ends_before_the_bound_fails():
    _, _, lam0, _, _ = reproduction()
    traj = sliding_run(1)
    held = dc.held_since_start(traj.info["lambda_min_effective"] >= lam0 / 2)
    assert not held.all()                                             # λ_min(H_eff) < λ0/2 from t ≈ 102 on
    window = held & (traj.time > 0)
    values = dc.rate_ratio(dc.loss_ratio(traj), np.exp(-lam0 * traj.time))
    assert np.max(values[window]) < 0.75


def test_violation_is_stable_under_step_halving_in_both_integrators():
    X, y, lam0, W0, a = reproduction()
    sliding = [rate_ratio_at_end(sliding_run(k), lam0) for k in (1, 2)]
    frozen = [rate_ratio_at_end(dc.flow(X, y, W0, a, lam0, PARAMS, k), lam0) for k in (2, 4, 8)]
    assert abs(sliding[1] - sliding[0]) < 1e-4
    assert max(frozen) - min(frozen) < 3e-4                           # chattering costs accuracy, not the sign
    assert abs(frozen[-1] - sliding[-1]) < 2e-4
    assert min(sliding + frozen) > 1.006


def test_gradient_descent_tends_to_the_sliding_rate_as_the_step_shrinks():
    """GD of eq. (3), an independent code path: its H(k) keeps λ_min ≥ λ0/2 at every iterate, and its decay
    rate over t ∈ [300, 600] extrapolates (first order in η) to 2λ_min(H_eff) of the sliding flow."""
    X, y, lam0, W0, a = reproduction()
    rates = []
    for eta in (0.04, 0.02):
        run = dynamics.gradient_descent(X, y, W0, a, eta, int(600 / eta))
        assert np.min(run.lambda_min) >= lam0 / 2
        rates.append(late_rate(run.time * eta, dc.loss_ratio(run), 300.0, 600.0))
    extrapolated = 2 * rates[1] - rates[0]
    effective = 2 * sliding_run(1).info["lambda_min_effective"][-1]
    assert abs(rates[1] - rates[0]) < 1e-3 * lam0
    assert abs(extrapolated / effective - 1) < 3e-4


def test_sliding_flow_matches_the_exact_flow_for_orthonormal_inputs():
    """With orthonormal inputs a stopping neuron never slides (x_iᵀf₋ = 0), and the exact flow is known."""
    rng = np.random.default_rng(3)
    n, m = 3, 16
    X = np.eye(n)
    W0, a = init_two_layer(rng, m, n)
    y = rng.uniform(-1, 1, n)
    traj = dynamics.sliding_gradient_flow(X, y, W0, a, move=1e-3, t_max=20.0)
    exact = dynamics.orthonormal_gradient_flow(X, y, W0, a).residual_components(traj.time)
    assert np.max(np.abs((y - traj.u) - exact)) < 1e-5 * np.max(np.abs(exact[0]))
    assert traj.info["sliding"].max() == 0


def test_sliding_flow_without_sliding_equals_the_pattern_frozen_flow():
    """Before any pair slides the two integrators take the same steps and agree to rounding."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 5))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    W0, a = init_two_layer(rng, 32, 5)
    y = rng.uniform(-1, 1, 3)
    settings = {"move": 1e-3, "t_max": 0.5}
    sliding = dynamics.sliding_gradient_flow(X, y, W0, a, **settings)
    frozen = dynamics.gradient_flow(X, y, W0, a, **settings)
    assert sliding.info["sliding"].max() == 0
    assert sliding.time.size == frozen.time.size
    assert np.allclose(sliding.u, frozen.u, rtol=0, atol=1e-12)
    assert np.allclose(sliding.lambda_min, frozen.lambda_min, rtol=0, atol=1e-6)   # float32 pattern counts there
    assert np.allclose(sliding.lambda_min, sliding.info["lambda_min_effective"], rtol=0, atol=1e-12)
