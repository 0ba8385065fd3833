"""The ``lemmas`` command line: listing, checks and their exit status, usage errors, replays, the extension hook."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import types

import pytest
import sympy as sp

from lemmas import cli
from lemmas.checks import all_trials_verdict, compare
from lemmas.registry import _REGISTRY, Case, Check, Kind, Lemma, Mode, Settings, Source, get_lemma, register
from lemmas.symbolic import Quantity
from lemmas.trials import run_check, write_replay

OK_ID, BAD_ID = "test.cli.findings", "test.cli.violated"


def _draw_below(params, index, rng, bounds):
    x = float(rng.normal())
    return {"hypotheses": {}, **compare(x, bounds(params["bound"])), "x": x}


def _verdict(params, observations, bounds, settings):
    return all_trials_verdict(observations, "a standard normal draw x")


def _check(name: str, bound: str, **flags) -> Check:
    return Check(name, Kind.CONDITIONAL, f"every draw x <= {bound}", lambda mode: [Case({"bound": bound}, trials=4)],
                 _draw_below, _verdict, negative_control={"b": "-10"}, **flags)


def _fake_lemma(lemma_id: str, checks: list[Check]) -> Lemma:
    lemma = Lemma(
        id=lemma_id, title="throwaway lemma of the CLI tests", source=Source("Nobody 2024", "0000.00000", "v1", "§0"),
        statement=r"$x \le b$ for a standard normal $x$", tag="V",
        quantities={"b": Quantity("b", sp.Integer(10), "bound that holds"), "wrong": Quantity("wrong", sp.Integer(-10), "bound that fails")},
        hypotheses={},
    )
    for check in checks:
        lemma.add(check)
    return lemma


@pytest.fixture
def fake_lemmas(monkeypatch):
    """Two registered test-only lemmas: one whose only non-holds verdicts are expected findings, one violated.

    Registered in this process only, so the CLI runs them serially (worker processes would not know them).
    """
    monkeypatch.setattr(cli, "_available_cores", lambda: 1)
    get_lemma("du2018.lemma3.1")  # discover the real lemmas first, so the fakes are removed cleanly
    register(_fake_lemma(OK_ID, [
        _check("holds", "b"),
        _check("as_printed", "wrong", erratum="E0 (test): the printed bound is wrong"),
        _check("unconfirmed", "wrong", confirmed=False),
    ]))
    register(_fake_lemma(BAD_ID, [_check("holds", "b"), _check("wrong", "wrong")]))
    yield
    for lemma_id in (OK_ID, BAD_ID):
        _REGISTRY.pop(lemma_id, None)


def test_list_prints_ids_titles_sources_and_checks(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    lemma = get_lemma("du2018.lemma3.1")
    assert lemma.id in out and lemma.title in out and lemma.source.cite() in out
    block = out.split(lemma.id, 1)[1].split("\ndu2018.", 1)[0].splitlines()
    for check in lemma.checks:
        line = next(line for line in block if line.strip().startswith(check.name + " "))
        assert check.kind.value in line
        assert all(f"{mode.value} {len(check.cases(mode))}" in line for mode in Mode)


def test_expected_findings_exit_0(fake_lemmas, capsys):
    assert cli.main(["check", OK_ID]) == 0
    out = capsys.readouterr().out
    for status, name in [("holds", "holds"), ("documented erratum", "as_printed"), ("exploratory", "unconfirmed")]:
        assert any(line.startswith(status) and f"[{name},bound=" in line for line in out.splitlines()), out


def test_unexpected_violation_exits_1(fake_lemmas, capsys):
    assert cli.main(["check", BAD_ID]) == 1
    assert any(line.startswith("violated") and f"{BAD_ID}[wrong," in line for line in capsys.readouterr().out.splitlines())
    assert cli.main(["check", f"{BAD_ID}:holds"]) == 0


@pytest.mark.parametrize(
    "argv, allowed",
    [
        (["check", "no.such.lemma"], "du2018.lemma3.1"),
        (["check", "du2018.lemma3.1:no_such_check"], "probability"),
        (["check", "du2018.lemma3.1:probability", "--case", "n=0"], "n=4"),
        (["report", "--only", "no.such.lemma"], "du2018.lemma3.1"),
        (["check", "du2018.lemma3.1", "--trials", "0"], "positive integer"),
        (["check", "du2018.lemma3.1", "--alpha", "2"], "(0, 1)"),
        (["check", "du2018.lemma3.1", "--quick", "--full"], "not allowed with"),
        (["frobnicate"], "list"),
        ([], "COMMAND"),
        (["replay", "/no/such/file.json"], "does not exist"),
        (["slack-map", "--only", "no.such.lemma"], "du2018.lemma3.1"),
        (["slack-map", "--trials", "0"], "positive integer"),
    ],
)
def test_bad_usage_exits_2_with_what_is_allowed(argv, allowed, capsys):
    assert cli.main(argv) == 2
    assert allowed in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("lemmas.parallel") is not None, reason="the parallel engine is installed")
def test_jobs_without_the_parallel_engine_is_bad_usage(capsys):
    assert cli.main(["check", "du2018.lemma3.1", "--jobs", "2"]) == 2
    assert "lemmas.parallel" in capsys.readouterr().err


def test_slack_map_alone_writes_the_page_of_report_full(tmp_path, capsys):
    code = cli.main(["slack-map", "--only", "du2018.lemma3.1", "--trials", "6", "--out", str(tmp_path), "--no-progress"])
    assert code == 0
    assert "3 constant(s) searched" in capsys.readouterr().out
    data = json.loads((tmp_path / "slack_map.json").read_text())
    assert data["trials_per_constant"] == 6 and {e["lemma"] for e in data["entries"]} == {"du2018.lemma3.1"}
    assert (tmp_path / "slack_map.md").read_text().startswith("## Slack map")


def test_check_runs_a_real_lemma_in_quick_mode(capsys):
    code = cli.main(["check", "du2018.lemma3.1:probability", "--quick", "--trials", "12", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    line = next(line for line in out.splitlines() if "du2018.lemma3.1[probability," in line)
    assert line.split("  ")[0].strip() in {"holds", "inconclusive"}
    assert "12 trials" in line


def test_check_out_writes_records_and_replays_that_replay_bit_for_bit(fake_lemmas, tmp_path, capsys):
    assert cli.main(["check", BAD_ID, "--out", str(tmp_path)]) == 1
    record = json.loads((tmp_path / f"{BAD_ID}.json").read_text())
    assert {r["check"]: r["status"] for r in record["results"]} == {"holds": "holds", "wrong": "violated"}
    replay_file = tmp_path / record["artifacts"][f"{BAD_ID}[wrong,bound=wrong]"]["replay"]
    capsys.readouterr()
    assert cli.main(["replay", str(replay_file)]) == 0
    assert "identical: yes" in capsys.readouterr().out


def test_replay_of_a_real_trial_is_bit_for_bit(tmp_path, capsys):
    check = get_lemma("du2018.lemma3.1").check("probability")
    result = run_check(check, check.cases(Mode.QUICK)[0], Settings(seed=11, mode=Mode.QUICK, trials=2))
    path = write_replay(result, 1, tmp_path / "trial.json")
    assert cli.main(["replay", str(path)]) == 0
    out = capsys.readouterr().out
    assert "identical: yes (bit for bit)" in out and "recorded: " in out and "replayed: " in out


def test_replay_reports_a_tampered_record_as_different(fake_lemmas, tmp_path, capsys):
    lemma = get_lemma(BAD_ID)
    check = lemma.check("wrong")
    result = run_check(check, check.cases(Mode.DEFAULT)[0], Settings(seed=1))
    path = write_replay(result, 0, tmp_path / "trial.json")
    record = json.loads(path.read_text())
    record["observation"]["x"] = record["observation"]["x"] + 1e-15
    path.write_text(json.dumps(record))
    assert cli.main(["replay", str(path)]) == 1
    assert "identical: no; differing keys: x" in capsys.readouterr().out


def test_extension_modules_add_subcommands(monkeypatch, capsys):
    module = types.ModuleType("fake_lemmas_ext")

    def add_parser(subparsers: argparse._SubParsersAction) -> None:
        parser = subparsers.add_parser("audit", help="fake audit")
        parser.add_argument("lemma")
        parser.set_defaults(func=lambda args: print(f"auditing {args.lemma}") or 0)

    module.add_parser = add_parser
    monkeypatch.setitem(sys.modules, "fake_lemmas_ext", module)
    monkeypatch.setattr(cli, "EXTENSIONS", {"audit": "fake_lemmas_ext", "missing": "lemmas.no_such_extension"})
    assert cli.main(["audit", "du2018.lemma3.1"]) == 0
    assert "auditing du2018.lemma3.1" in capsys.readouterr().out
    assert cli.main(["missing"]) == 2  # an absent optional module adds no subcommand
