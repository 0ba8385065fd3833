"""The Dask engine (lemmas.parallel.dask_map) on a real LocalCluster gives the serial run's verdicts and replays."""

import json
from dataclasses import asdict, is_dataclass

import pytest

distributed = pytest.importorskip("distributed", reason="Dask is an optional extra: pip install -e '.[dask]'")

from lemmas import parallel  # noqa: E402
from lemmas.registry import Mode, Settings, get_lemma  # noqa: E402
from lemmas.result import _json_safe  # noqa: E402
from lemmas.trials import replay, run_check, write_replay  # noqa: E402


def _same(a, b) -> bool:
    a, b = (asdict(x) if is_dataclass(x) else x for x in (a, b))
    return json.dumps(_json_safe(a), sort_keys=True) == json.dumps(_json_safe(b), sort_keys=True)


@pytest.fixture(scope="module")
def scheduler():
    """Two single-threaded worker processes on 127.0.0.1, reached by their tcp:// address."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    parallel.configure(scheduler=cluster.scheduler_address)
    yield cluster.scheduler_address
    parallel.configure(scheduler=None)
    parallel.shutdown()
    cluster.close()


def test_dask_gives_the_serial_verdict_observations_and_replay_files(scheduler, tmp_path):
    check = get_lemma("du2018.lemma3.1").check("decay")
    case = check.cases(Mode.QUICK)[0]
    settings = Settings(mode=Mode.QUICK, blas_threads=1)
    serial = run_check(check, case, settings)
    progress = []
    on_dask = run_check(check, case, settings, trial_map=parallel.dask_map, progress=lambda done, total: progress.append(done))
    assert on_dask.status == serial.status and _same(on_dask.verdict, serial.verdict)
    assert _same(on_dask.observations, serial.observations)
    assert progress[-1] == serial.n_trials and progress == sorted(progress)
    for index in (0, serial.n_trials - 1):
        a = write_replay(serial, index, tmp_path / f"serial{index}.json")
        b = write_replay(on_dask, index, tmp_path / f"dask{index}.json")
        assert a.read_bytes() == b.read_bytes()
        fresh, recorded = replay(b)
        assert _same(fresh, recorded)


def test_dask_without_a_scheduler_says_how_to_name_one(monkeypatch):
    check = get_lemma("du2018.lemma3.1").check("decay")
    monkeypatch.setattr(parallel._CONFIG, "scheduler", None)
    with pytest.raises(ValueError, match="--scheduler"):
        parallel.dask_map(check, check.cases(Mode.QUICK)[0], [0], Settings(), {})


def test_settings_scheduler_selects_the_dask_engine(scheduler):
    check = get_lemma("du2018.lemma3.1").check("decay")
    case = check.cases(Mode.QUICK)[0]
    serial = run_check(check, case, Settings(mode=Mode.QUICK, blas_threads=1))
    on_dask = run_check(check, case, Settings(mode=Mode.QUICK, blas_threads=1, scheduler=scheduler))
    assert _same(on_dask.observations, serial.observations) and _same(on_dask.verdict, serial.verdict)


def test_cli_scheduler_option_runs_the_check_on_the_cluster(scheduler, tmp_path, capsys):
    from lemmas import cli

    argv = ["report", "--only", "du2018.lemma3.1:decay", "--quick", "--no-plots", "--no-progress"]
    assert cli.main(argv + ["--jobs", "1", "--out", str(tmp_path / "serial")]) == 0
    assert cli.main(argv + ["--scheduler", scheduler, "--out", str(tmp_path / "dask")]) == 0
    serial, dask = (json.loads((tmp_path / d / "du2018.lemma3.1.json").read_text()) for d in ("serial", "dask"))
    assert dask["run"]["scheduler"] == scheduler and serial["run"]["scheduler"] is None
    assert _same([r["verdict"] for r in dask["results"]], [r["verdict"] for r in serial["results"]])
