"""Trials on worker processes (lemmas.parallel.process_map) give exactly the serial run's results."""

import json
from dataclasses import asdict, is_dataclass

import pytest

from lemmas import parallel
from lemmas.registry import Mode, Settings, get_lemma
from lemmas.result import _json_safe
from lemmas.trials import current_blas_threads, run_check, serial_map, write_replay


def _same(a, b) -> bool:
    a, b = (asdict(x) if is_dataclass(x) else x for x in (a, b))
    return json.dumps(_json_safe(a), sort_keys=True) == json.dumps(_json_safe(b), sort_keys=True)


@pytest.fixture(scope="module", autouse=True)
def _close_pools():
    yield
    parallel.shutdown()


def test_two_workers_give_the_serial_observations_of_a_probability_check():
    check = get_lemma("du2018.lemma3.1").check("probability")
    case = check.cases(Mode.QUICK)[0]
    settings = Settings(mode=Mode.QUICK, trials=40, jobs=2)
    serial = serial_map(check, case, range(40), settings, {})
    progress = []
    parallel_obs = parallel.process_map(check, case, range(40), settings, {}, lambda done, total: progress.append((done, total)))
    assert len(parallel_obs) == 40 and _same(parallel_obs, serial)
    assert [total for _, total in progress] == [40] * len(progress)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress) and progress[-1][0] == 40


def test_observations_come_back_in_the_order_of_the_indices_asked_for():
    check = get_lemma("du2018.lemma3.1").check("probability")
    case = check.cases(Mode.QUICK)[0]
    settings = Settings(mode=Mode.QUICK, jobs=2)
    indices = [7, 2, 11, 0, 5]
    assert _same(parallel.process_map(check, case, indices, settings, {}), serial_map(check, case, indices, settings, {}))


def test_run_check_with_jobs_gives_the_serial_verdict_and_replay_files(tmp_path):
    check = get_lemma("du2018.lemma3.1").check("decay")
    case = check.cases(Mode.QUICK)[0]
    serial = run_check(check, case, Settings(mode=Mode.QUICK, blas_threads=1))
    two = run_check(check, case, Settings(mode=Mode.QUICK, jobs=2, blas_threads=1))
    assert two.status == serial.status
    assert _same(two.verdict, serial.verdict) and _same(two.observations, serial.observations)
    last = serial.n_trials - 1
    a = write_replay(serial, last, tmp_path / "serial.json").read_bytes()
    b = write_replay(two, last, tmp_path / "jobs2.json").read_bytes()
    assert a == b


def test_negative_control_overrides_reach_the_workers():
    import sympy as sp

    check = get_lemma("du2018.lemma3.1").check("probability")
    case = check.cases(Mode.QUICK)[0]
    overrides = {k: sp.sympify(v) for k, v in check.negative_control.items()}
    settings = Settings(mode=Mode.QUICK, jobs=2)
    got = parallel.process_map(check, case, range(6), settings, overrides)
    assert _same(got, serial_map(check, case, range(6), settings, overrides))
    assert any(obs["failed"] for obs in got)


def test_a_worker_batch_pins_blas_threads(monkeypatch):
    seen = []
    monkeypatch.setattr(parallel, "run_trial", lambda *args: seen.append(current_blas_threads()) or {})
    check = get_lemma("du2018.lemma3.1").check("probability")
    case = check.cases(Mode.QUICK)[0]
    parallel.run_batch(parallel.TrialBatch.of(check, case, [0, 1], Settings(), {}, threads=1))
    assert seen == [1, 1]


def test_an_empty_index_list_starts_no_workers():
    check = get_lemma("du2018.lemma3.1").check("probability")
    assert parallel.process_map(check, check.cases(Mode.QUICK)[0], [], Settings(jobs=2), {}) == []


@pytest.mark.parametrize("d", [8, 4])   # n ≤ 64d: patterns parked in the gradient rows; n > 64d: recomputed
def test_two_layer_kernels_give_the_same_bits_on_any_number_of_blas_threads(d):
    import numpy as np
    from threadpoolctl import threadpool_limits

    from lemmas.core import twolayer

    rng = np.random.default_rng(8)
    n, m = 300, 8000                      # m·n above the size at which the kernels split blocks over threads
    X = rng.standard_normal((n, d))
    W, a = twolayer.init_two_layer(rng, m, d)
    y = rng.standard_normal(n)
    run = lambda: (twolayer.loss_and_grad(X, W, a, y), twolayer.predictions(X, W, a), twolayer.gram(X, W))  # noqa: E731
    (loss, grad), u, H = run()
    with threadpool_limits(limits=1, user_api="blas"):
        (loss1, grad1), u1, H1 = run()
    assert loss == loss1 and np.array_equal(grad, grad1) and np.array_equal(u, u1) and np.array_equal(H, H1)
    P = X @ W.T
    u_ref = np.maximum(P, 0.0) @ a / np.sqrt(m)
    grad_ref = ((P >= 0) * (u_ref - y)[:, None]).T @ X * (a / np.sqrt(m))[:, None]
    assert np.allclose(u, u_ref, rtol=1e-12, atol=1e-12) and np.allclose(grad, grad_ref, rtol=1e-10, atol=1e-12)
    assert np.array_equal(H, (X @ X.T) * ((P >= 0).astype(float) @ (P >= 0).T.astype(float)) / m)


def test_a_lemma_registered_only_in_this_process_fails_with_how_to_run_it():
    from lemmas.registry import _REGISTRY, register
    from test_report import TOY_ID, toy_lemma

    get_lemma("du2018.lemma3.1")  # discover the real lemmas first, so the toy is removed cleanly
    lemma = register(toy_lemma())
    try:
        check = lemma.checks[0]
        with pytest.raises(LookupError, match="--jobs 1"):
            parallel.process_map(check, check.cases(Mode.QUICK)[0], [0, 1], Settings(jobs=2), {})
    finally:
        _REGISTRY.pop(TOY_ID, None)
