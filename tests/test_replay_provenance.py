"""Replay files record the provenance of the trial's code, and ``lemmas replay`` warns when that code changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sympy as sp

import lemmas
from lemmas import cli
from lemmas.auditing.search import REGISTERED, Counterexample
from lemmas.checks import all_trials_verdict, compare
from lemmas.registry import _REGISTRY, Case, Check, Kind, Lemma, Mode, Settings, Source, get_lemma, register
from lemmas.symbolic import Quantity
from lemmas.trials import REPLAY_FORMAT, run_check, source_provenance, trial_replay_record, write_replay

TOY_ID = "test.replay.provenance"
WARNING = "the lemma module changed since this file was written: a differing replay may be due to the code, not the seed"
THIS_FILE_SHA256 = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _draw(params, index, rng, bounds):
    x = float(rng.normal())
    return {"hypotheses": {}, **compare(x, bounds("b")), "x": x}


def _toy_lemma() -> Lemma:
    lemma = Lemma(
        id=TOY_ID, title="throwaway lemma of the replay provenance tests", source=Source("Nobody 2024", "0000.00000", "v1", "§0"),
        statement=r"$x \le b$ for a standard normal $x$", tag="V",
        quantities={"b": Quantity("b", sp.Integer(10), "bound that holds")}, hypotheses={},
    )
    lemma.add(Check("draws", Kind.CONDITIONAL, "every draw x <= b", lambda mode: [Case({"k": 1}, trials=3)], _draw,
                    lambda p, obs, b, s: all_trials_verdict(obs, "x"), negative_control={"b": "-10"}))
    return lemma


@pytest.fixture
def toy():
    """The toy lemma, registered in this process only (so it runs serially, with the default Settings(jobs=1))."""
    get_lemma("du2018.lemma3.1")  # discover the real lemmas first, so the toy is removed cleanly
    lemma = register(_toy_lemma())
    yield lemma
    _REGISTRY.pop(TOY_ID, None)


@pytest.fixture
def replay_file(toy, tmp_path):
    check = toy.check("draws")
    result = run_check(check, check.cases(Mode.DEFAULT)[0], Settings(seed=3))
    return write_replay(result, 1, tmp_path / "trial.json")


def _replay(path: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    status = cli.main(["replay", str(path)])
    return status, capsys.readouterr().out


def test_the_record_carries_the_hash_of_the_file_defining_the_trial(replay_file):
    record = json.loads(replay_file.read_text())
    assert record["format"] == REPLAY_FORMAT
    assert record["source"] == {"module": _draw.__module__, "sha256": THIS_FILE_SHA256, "lemmas_version": lemmas.__version__}


def test_a_real_lemma_is_attributed_to_its_own_module():
    source = source_provenance(get_lemma("du2018.lemma3.1").check("probability"))
    path = Path(lemmas.__file__).parent / "papers" / "du2018" / "lemma3_1.py"
    assert source["module"] == "lemmas.papers.du2018.lemma3_1"
    assert source["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_replay_of_an_unchanged_module_prints_no_warning(replay_file, capsys):
    status, out = _replay(replay_file, capsys)
    assert status == 0 and "identical: yes (bit for bit)" in out
    assert "warning" not in out


def test_replay_warns_when_the_recorded_hash_differs_and_identity_still_decides(replay_file, capsys):
    record = json.loads(replay_file.read_text())
    record["source"]["sha256"] = "0" * 64
    replay_file.write_text(json.dumps(record))
    status, out = _replay(replay_file, capsys)
    assert status == 0 and "identical: yes (bit for bit)" in out
    assert f"warning: {WARNING}" in out and _draw.__module__ in out


def test_an_old_record_without_provenance_still_replays_without_warning(replay_file, capsys):
    record = json.loads(replay_file.read_text())
    del record["source"]
    replay_file.write_text(json.dumps(record))
    status, out = _replay(replay_file, capsys)
    assert status == 0 and "identical: yes (bit for bit)" in out
    assert "warning" not in out


def test_a_result_of_an_unregistered_lemma_gets_no_provenance(tmp_path):
    check = _toy_lemma().check("draws")  # not registered: no replay could find it either
    result = run_check(check, check.cases(Mode.DEFAULT)[0], Settings(seed=3))
    record = json.loads(write_replay(result, 0, tmp_path / "trial.json").read_text())
    assert "source" not in record and record["uid"] == result.uid


def test_an_audit_counterexample_is_the_common_record_plus_its_audit_section(toy):
    observation = {"hypotheses": {}, "value": 1.0, "bound": 0.5, "margin": -0.5, "failed": True, "x": 1.0}
    cx = Counterexample(lemma=TOY_ID, check="draws", kind="conditional", uid=f"{TOY_ID}[draws,k=1]", case={"k": 1},
                        seed=3, index=2, overrides={"b": "1/2"}, observation=observation, refutation="single trial",
                        found_by=REGISTERED, value=1.0, bound=0.5, margin=-0.5, hypotheses={})
    env = {"python": "3"}
    record = cx.replay_record({"b": "1/2"}, env)
    common = trial_replay_record(TOY_ID, "draws", uid=cx.uid, case=cx.case, seed=3, index=2, overrides=cx.overrides,
                                 observation=observation, environment=env)
    assert {k: v for k, v in record.items() if k != "audit"} == common
    assert record["source"]["sha256"] == THIS_FILE_SHA256 and record["audit"]["claim"] == {"b": "1/2"}
