"""The pytest plugin: options, fixtures, the "lemma verdicts" terminal summary and the report it writes."""

from __future__ import annotations

import json

pytest_plugins = ["pytester"]

TOY_TESTS = '''
import pytest
import sympy as sp

from lemmas.checks import all_trials_verdict, compare
from lemmas.pytest_plugin import record_result
from lemmas.registry import _REGISTRY, Case, Check, Kind, Lemma, Source, register
from lemmas.symbolic import Quantity
from lemmas.trials import run_check


def _trial(params, index, rng, bounds):
    return {"hypotheses": {}, **compare(float(rng.normal()), bounds(params["bound"]))}


def _lemma():
    lemma = Lemma(id="plugin.toy", title="toy lemma of the plugin tests", source=Source("Nobody 2024", "0000.00000", "v1", "§2"),
                  statement="$x \\\\le b$", tag="V", hypotheses={},
                  quantities={"b": Quantity("b", sp.Integer(10), "holds"), "wrong": Quantity("wrong", sp.Integer(-10), "fails")})
    for name, bound, flags in [("fine", "b", {}), ("as_printed", "wrong", {"erratum": "E9: printed wrong"}),
                               ("unconfirmed", "wrong", {"confirmed": False}), ("broken", "wrong", {})]:
        lemma.add(Check(name, Kind.CONDITIONAL, f"x <= {bound}", lambda mode, bound=bound: [Case({"bound": bound}, trials=3)],
                        _trial, lambda p, obs, b, s: all_trials_verdict(obs, "x"), **flags))
    return lemma


@pytest.fixture(scope="module")
def toy():
    lemma = register(_lemma())
    yield lemma
    _REGISTRY.pop(lemma.id, None)


def test_records_through_the_fixture(toy, lemma_settings, record_lemma_result):
    for name in ("fine", "as_printed", "unconfirmed", "broken"):
        check = toy.check(name)
        record_lemma_result(run_check(check, check.cases(lemma_settings.mode)[0], lemma_settings))


def test_records_through_the_plugin_function(toy, lemma_settings, lemma_results):
    check = toy.check("fine")
    record_result(run_check(check, check.cases(lemma_settings.mode)[0], lemma_settings))
    assert len(lemma_results) == 5


def test_settings_follow_the_options(lemma_settings):
    assert lemma_settings.mode.value == "quick" and lemma_settings.seed == 7
'''


def test_terminal_summary_and_report_of_the_recorded_verdicts(pytester, tmp_path):
    pytester.makepyfile(TOY_TESTS)
    out = tmp_path / "rep"
    result = pytester.runpytest("--lemma-mode=quick", "--lemma-seed=7", f"--lemma-report={out}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if " lemma verdicts " in line and line.startswith("="))
    section = lines[start + 1: start + 6]
    assert section[0] == "holds: 2, violated: 1, exploratory: 1, documented erratum: 1"
    assert [line.split(": ")[:2] for line in section[1:4]] == [
        ["violated", "plugin.toy[broken,bound=wrong]"],
        ["exploratory", "plugin.toy[unconfirmed,bound=wrong]"],
        ["documented erratum", "plugin.toy[as_printed,bound=wrong]"],
    ]
    assert section[4] == f"lemma report: {out / 'index.html'}"
    record = json.loads((out / "plugin.toy.json").read_text())
    assert record["lemma"]["title"] == "toy lemma of the plugin tests"  # captured while the lemma was registered
    assert len(record["results"]) == 5 and record["run"]["seed"] == 7 and record["run"]["mode"] == "quick"
    page = (out / "index.html").read_text()
    assert "plugin.toy" in page and "documented erratum" in page and "violated" in page
    assert list((out / "replays").glob("*.json"))


def test_sessions_without_lemma_results_print_nothing_and_use_default_settings(pytester):
    pytester.makepyfile(
        "from lemmas.registry import Settings\n"
        "def test_defaults(lemma_settings, lemma_results):\n"
        "    assert lemma_settings == Settings() and len(lemma_results) == 0\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "lemma verdicts" not in result.stdout.str()
