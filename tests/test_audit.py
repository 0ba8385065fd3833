"""Audits end to end: the Python API, the search strategies, the CLI's exit codes, and replays of counterexamples.

Most tests use a toy lemma registered for the test only (its claims fail in known, cheap ways); two use lemmas
of the registry (du2018.lemma3.1, du2018.lemma3.3) to check the flow on real checks.
"""

from __future__ import annotations

import json
import math

import pytest
import sympy as sp

from lemmas import registry
from lemmas.auditing import AuditResult, ClaimError, audit, parse_budget
from lemmas.auditing.pytest_helpers import assert_refuted, assert_survives
from lemmas.checks import all_trials_verdict, compare, exponent_verdict, probability_verdict
from lemmas.cli import main
from lemmas.registry import Case, Check, Kind, Lemma, Settings, Source
from lemmas.symbolic import Quantity, delta, n

TOY = "toy.audit"


def _toy_lemma() -> Lemma:
    """value = 1/n ≤ B (paper B = 2: always true; B = 1/2 fails only at n = 1); failures with probability p ≤ δ;
    y = x^{-1/2}·noise with a claimed exponent."""
    lemma = Lemma(
        id=TOY, title="toy lemma for audit tests", source=Source("toy", "0000.00000", "v1", "§0"), statement="toy",
        tag="V",
        quantities={q.name: q for q in [
            Quantity("B", 2 + 0 * n, "upper bound on 1/n", "bound"),
            Quantity("failure_probability", delta, "failure probability", "probability"),
            Quantity("decay", sp.Rational(-1, 2), "exponent of x", "rate"),
        ]},
        hypotheses={"even_seed": "the data seed is even"},
    )

    def det_trial(params, index, rng, bounds):
        size = int(params["n"])
        obs = compare(1.0 / size, bounds("B", n=size))
        obs["hypotheses"] = {"even_seed": int(params["data_seed"]) % 2 == 0}
        obs["draw"] = float(rng.random())
        return obs

    lemma.add(Check(
        name="deterministic", kind=Kind.WORST_CASE, claim="1/n ≤ B",
        cases=lambda mode: [Case({"n": 4, "data_seed": 2}, trials=5)],
        trial=det_trial, verdict=lambda p, obs, b, s: all_trials_verdict(obs, "1/n"),
        negative_control={"B": "1/2"},
    ))

    def prob_trial(params, index, rng, bounds):
        failed = bool(rng.random() < float(params["p"]))
        bounds("failure_probability", delta=float(params["delta"]))
        return {"hypotheses": {}, "value": float(failed), "bound": 0.5, "margin": 0.5 - failed, "failed": failed}

    lemma.add(Check(
        name="probability", kind=Kind.PROBABILITY, claim="P(failure) ≤ δ",
        cases=lambda mode: [Case({"p": 0.1, "delta": 0.3}, trials=50)],
        trial=prob_trial,
        verdict=lambda p, obs, b, s: probability_verdict(obs, b("failure_probability", delta=p["delta"]), s, "P(failure)"),
        negative_control={"failure_probability": "delta/20"},
    ))

    def exp_trial(params, index, rng, bounds):
        x = float(params["xs"][index % len(params["xs"])])
        return {"hypotheses": {}, "x": x, "y": x**-0.5 * math.exp(0.05 * rng.standard_normal()),
                "role": "calibration" if index >= 3 * len(params["xs"]) else "test"}

    lemma.add(Check(
        name="decay", kind=Kind.EXPONENT, claim="y = O(x^decay)",
        cases=lambda mode: [Case({"xs": [10, 100, 1000]}, trials=12)],
        trial=exp_trial,
        verdict=lambda p, obs, b, s: exponent_verdict(obs, b("decay"), "upper", "y", "x", s),
        negative_control={"decay": "-1"},
    ))
    return lemma


@pytest.fixture
def toy(monkeypatch):
    registry.all_lemmas()  # discover the real lemmas first, so the toy one is added to a complete registry
    lemma = _toy_lemma()
    monkeypatch.setitem(registry._REGISTRY, TOY, lemma)
    return lemma


def _quiet(**kw):
    """A trial cap (not only a time budget) keeps the toy audits fast and the search independent of timing."""
    return {"budget": "30s", "trials": 200, "seed": 7, **kw}


# ---------------------------------------------------------------------------------------------------------
# API


def test_a_true_claim_survives_and_reports_the_effort(toy):
    result = audit(f"{TOY}:deterministic", set={"B": "1"}, **_quiet(trials=60))
    assert not result.refuted and result.verdict == "survived"
    assert 0 < result.trials <= 60 and result.restarts > 0
    assert result.smallest_margin is not None and result.smallest_margin["relative_margin"] >= 0
    assert "SURVIVED" in result.summary()


def test_the_data_search_finds_and_shrinks_a_counterexample_inside_the_hypotheses(toy):
    result = audit(f"{TOY}:deterministic", set={"B": "1/2"}, **_quiet())
    assert result.refuted
    cx = result.counterexample
    assert cx.found_by == "data search" and cx.refutation == "single trial"
    assert cx.case == {"data_seed": 0, "n": 1} and cx.index == 0   # shrunk: smallest n, seed and trial index
    assert cx.hypotheses == {"even_seed": True}
    assert cx.paper_holds_here is True                               # the paper's B = 2 holds on that trial


def test_a_candidate_outside_the_hypotheses_is_never_a_counterexample(toy):
    check = toy.check("deterministic")
    trial = check.trial
    outside = lambda params, index, rng, bounds: {**trial(params, index, rng, bounds), "hypotheses": {"even_seed": False}}  # noqa: E731
    object.__setattr__(check, "trial", outside)  # the toy lemma is rebuilt for every test
    result = audit(f"{TOY}:deterministic", set={"B": "1/100"}, **_quiet(trials=80))
    assert not result.refuted
    assert all(e.outside == e.trials for e in result.efforts if e.trials)


def test_a_false_probability_claim_is_refuted_by_the_sequential_test(toy):
    result = audit(f"{TOY}:probability", set={"failure_probability": "delta/20"}, **_quiet())
    assert result.refuted and result.counterexample.refutation == "sequential test"
    evidence = result.counterexample.evidence
    assert evidence["e_value_fails"] >= evidence["threshold"]
    assert evidence["failure_probability_cs"][0] > 0.01


def test_a_true_probability_claim_is_decided_to_hold(toy):
    result = audit(f"{TOY}:probability", data_search=False, **_quiet(trials=400))
    assert not result.refuted
    assert result.efforts[0].decision.startswith("holds")


def test_an_aggregate_claim_is_judged_by_the_checks_own_verdict(toy):
    result = audit(f"{TOY}:decay", set={"decay": "-1"}, **_quiet())
    assert result.refuted and result.counterexample.refutation == "aggregate verdict"
    assert len(result.counterexample.observations) == 12


def test_checks_the_claim_does_not_touch_are_skipped(toy):
    result = audit(TOY, set={"decay": "-1/2"}, **_quiet(trials=40))
    assert set(result.skipped) == {"deterministic", "probability"}


def test_the_trial_cap_is_respected(toy):
    result = audit(f"{TOY}:deterministic", set={"B": "1"}, **_quiet(trials=9))
    assert result.trials <= 9


def test_an_interrupt_keeps_what_was_found(toy):
    calls = []

    def interrupt(state):
        calls.append(state)
        if len(calls) == 4:
            raise KeyboardInterrupt

    result = audit(f"{TOY}:deterministic", set={"B": "1"}, progress=interrupt, **_quiet())
    assert result.interrupted and not result.refuted
    assert result.trials >= 3 and "interrupted" in result.summary()


@pytest.mark.parametrize("claim, fragment", [
    ({"X": "1"}, "unknown quantity 'X'"),
    ({"B": "gamma"}, "unknown name 'gamma'"),
    ({"B": "m/1000"}, "evaluates B with n"),
    ({"failure_probability": "2"}, "domain"),
    ({"B": "__import__('os')"}, "unknown function"),
])
def test_bad_claims_are_refused_with_what_is_allowed(toy, claim, fragment):
    with pytest.raises(ClaimError) as info:
        audit(TOY, set=claim, **_quiet())
    assert fragment in str(info.value)


def test_budget_strings_are_parsed():
    assert parse_budget("60s") == 60.0 and parse_budget("2m") == 120.0 and parse_budget("500ms") == 0.5
    assert parse_budget(3) == 3.0 and parse_budget(None) is None
    with pytest.raises(ClaimError):
        parse_budget("soon")


def test_critical_value_brackets_the_strengthening_factor(toy):
    result = audit(f"{TOY}:deterministic", critical="B", budget="60s", trials=240, seed=7)
    found = result.critical
    assert found.direction == "smaller" and "negative control" in found.direction_from
    assert found.refuted is not None and 2.0 < found.refuted <= 2.5 * 1.3
    assert found.survived is not None and found.survived <= 2.0
    assert result.refuted and not found.given_refuted


def test_slack_map_lists_explicit_constants_with_their_bracket_and_renders(toy, tmp_path):
    from lemmas.auditing.slack_map import build_slack_map, explicit_constants, render_html, render_markdown, write_slack_map

    assert [name for _, name in explicit_constants([toy])] == ["B"]  # δ has no numeric factor; decay is a rate
    slack = build_slack_map([toy], results=[], budget_per_constant=60.0, trials_per_constant=240,
                            settings=Settings(seed=7))
    (entry,) = slack.entries
    assert entry.quantity == "B" and entry.direction == "smaller" and entry.refuted is not None
    assert "| toy.audit | `B` |" in render_markdown(slack) and '<section id="slack-map">' in render_html(slack)
    assert {p.name for p in write_slack_map(slack, tmp_path)} == {"slack_map.json", "slack_map.md", "slack_map.html"}


# ---------------------------------------------------------------------------------------------------------
# Counterexample files, replay, CLI


def _replay(path) -> tuple[int, str]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["replay", str(path)])
    return status, buffer.getvalue()


def test_counterexample_file_replays_bit_for_bit(toy, tmp_path):
    result = audit(f"{TOY}:deterministic", set={"B": "1/2"}, out=tmp_path, **_quiet())
    assert result.replay_verified is True
    record = json.loads(open(result.counterexample_file).read())
    assert record["format"] == "lemmas-replay/1" and record["overrides"] == {"B": "1/2"}
    for key in ("claim", "two_sides", "hypotheses", "sizes", "evidence"):
        assert key in record["audit"]
    assert {"numpy", "python", "lemmas"} <= set(record["environment"])
    status, out = _replay(result.counterexample_file)
    assert status == 0 and "identical: yes" in out


def test_cli_exit_codes(toy, tmp_path, capsys):
    base = ["--budget", "30s", "--trials", "200", "--seed", "7", "--out", str(tmp_path)]
    assert main(["audit", f"{TOY}:deterministic", "--set", "B=1", *base]) == 0
    assert "SURVIVED" in capsys.readouterr().out
    assert main(["audit", f"{TOY}:deterministic", "--set", "B=1/2", *base]) == 1
    out = capsys.readouterr().out
    assert "REFUTED" in out and (tmp_path / "toy.audit.deterministic.counterexample.json").exists()
    assert main(["audit", TOY, "--set", "Q=1", *base]) == 2
    assert "quantities: B, failure_probability, decay" in capsys.readouterr().err
    assert main(["audit", TOY, "--set", "B=m", *base]) == 2
    assert main(["audit", TOY, "--set", "failure_probability=-1", *base]) == 2
    assert main(["audit", "no.such.lemma", "--set", "B=1", *base]) == 2
    assert main(["audit", f"{TOY}:nope", *base]) == 2
    assert main(["audit", TOY, "--set", "B", *base]) == 2


def test_cli_keeps_partial_results_when_interrupted(toy, tmp_path, monkeypatch, capsys):
    from lemmas.auditing import search

    original = search.Search.run_trial
    count = {"n": 0}

    def interrupted(self, *args, **kw):
        count["n"] += 1
        if count["n"] == 5:
            raise KeyboardInterrupt
        return original(self, *args, **kw)

    monkeypatch.setattr(search.Search, "run_trial", interrupted)
    status = main(["audit", f"{TOY}:deterministic", "--set", "B=1", "--trials", "200", "--out", str(tmp_path)])
    assert status == 130
    record = json.loads((tmp_path / "toy.audit.audit.json").read_text())
    assert record["interrupted"] and record["effort"]["trials"] >= 4


def test_progress_line_shows_budget_trials_and_margin():
    import io

    from lemmas.auditing.cli import ProgressLine

    stream = io.StringIO()
    bar = ProgressLine(stream=stream, enabled=True)
    bar({"phase": "data search", "label": "toy.audit[deterministic,*]", "elapsed": 3.0, "budget": 6.0, "trials": 12,
         "max_trials": None, "smallest_relative_margin": 0.25})
    bar.close()
    line = stream.getvalue()
    assert "3/6 s, 12 trials, data search, min margin +0.25" in line and "#" * 12 in line


def test_pytest_helpers_pass_true_claims_and_fail_false_ones(toy, tmp_path):
    assert isinstance(assert_survives(f"{TOY}:deterministic", set={"B": "1"}, trials=20, seed=7), AuditResult)
    with pytest.raises(AssertionError) as info:
        assert_survives(f"{TOY}:deterministic", set={"B": "1/2"}, trials=200, seed=7, out=tmp_path)
    assert "REFUTED" in str(info.value) and list(tmp_path.glob("*.counterexample.json"))
    assert_refuted(f"{TOY}:decay", set={"decay": "-1"}, seed=7)


# ---------------------------------------------------------------------------------------------------------
# Real lemmas of the registry


def test_a_real_worst_case_counterexample_replays_bit_for_bit(tmp_path):
    result = audit("du2018.lemma3.3:worst_case", set={"R_prime": "R_prime/4"}, budget="30s", mode="quick", out=tmp_path)
    assert result.refuted and result.counterexample.refutation == "single trial"
    assert result.replay_verified is True
    assert _replay(result.counterexample_file)[0] == 0


def test_a_real_exponent_claim_is_refuted_and_the_paper_exponent_survives(tmp_path):
    refuted = audit("du2018.lemma3.1:decay", set={"decay_exponent": "-1"}, budget="30s", mode="quick", out=tmp_path)
    assert refuted.refuted and refuted.counterexample.refutation == "aggregate verdict"
    assert _replay(refuted.counterexample_file)[0] == 0
    survived = audit("du2018.lemma3.1:decay", budget="30s", mode="quick")
    assert not survived.refuted


def test_lemmas_audit_is_the_top_level_entry_point():
    import lemmas
    from lemmas.auditing import audit

    assert lemmas.audit is audit
    assert "audit" in lemmas.__all__


# ---------------------------------------------------------------------------------------------------------
# The slack map: deterministic effort, safety net, directions, constants


def _slack_without_timings(slack) -> list[dict]:
    """The entries of a slack map without wall-clock fields (what must be reproducible)."""
    rows = []
    for entry in slack.to_dict()["entries"]:
        entry.pop("elapsed")
        for probe in entry["probe_log"]:
            probe.pop("elapsed")
        rows.append(entry)
    return rows


def test_slack_map_effort_is_a_trial_count_and_the_same_on_every_run(toy):
    from lemmas.auditing.slack_map import build_slack_map

    runs = [build_slack_map([toy], results=[], trials_per_constant=60, budget_per_constant=None, settings=Settings(seed=7))
            for _ in range(2)]
    assert _slack_without_timings(runs[0]) == _slack_without_timings(runs[1])
    (entry,) = runs[0].entries
    assert 0 < entry.trials <= 60 and not entry.stopped_by_clock and len(entry.probe_log) == entry.probes
    # B = 2 strengthened (made smaller) by f: the critical constant is 2/f over the bracket
    assert entry.direction == "smaller" and entry.critical == [2 / entry.refuted, 2 / entry.survived]


def test_slack_map_safety_net_stops_a_bisection_and_marks_its_row(toy):
    from lemmas.auditing.slack_map import build_slack_map, render_markdown

    slack = build_slack_map([toy], results=[], trials_per_constant=60, budget_per_constant=1e-9, settings=Settings(seed=7))
    (entry,) = slack.entries
    assert entry.stopped_by_clock and "safety net" in entry.status and "not reproducible" in render_markdown(slack)


def test_slack_map_lists_a_constant_whose_search_raises_instead_of_stopping(toy, monkeypatch):
    from lemmas.auditing import slack_map

    def broken(*args, **kwargs):
        raise KeyError("random_projection")

    monkeypatch.setattr(slack_map, "critical_value", broken)
    slack = slack_map.build_slack_map([toy], results=[], trials_per_constant=60, settings=Settings(seed=7))
    assert not slack.entries and "raised KeyError" in slack.skipped[0]["reason"]


def test_a_constant_inside_another_quantity_is_strengthened_the_way_it_moves_that_quantity():
    from lemmas.auditing.critical import strengthening_direction
    from lemmas.registry import get_lemma

    lemma = get_lemma("du2018.lemma3.2")  # R = cδλ0/n²; the negative control of worst_case enlarges R
    way, source = strengthening_direction(lemma, "c", sp.sympify(lemma.quantities["c"].expr))
    assert way == "larger" and "on R, which grows with c" in source


def test_explicit_constants_are_unsigned_and_finite(toy):
    from lemmas.auditing.slack_map import explicit_constants, numeric_factor
    from lemmas.symbolic import lambda0

    assert numeric_factor(-256 * n**2 * (sp.log(delta) - sp.log(n)) / lambda0**2) == 256  # 256n²log(n/δ)/λ0²
    toy.quantities = {**toy.quantities, "alpha0": Quantity("alpha0", sp.oo, "an unbounded exponent", "constant")}
    assert [name for _, name in explicit_constants([toy])] == ["B"]


def test_implied_constants_come_only_from_fitted_exponents(toy):
    from dataclasses import replace

    from lemmas.auditing.slack_map import implied_constants
    from lemmas.trials import run_check

    check = toy.check("decay")
    fitted = run_check(check, check.cases(registry.Mode.QUICK)[0], Settings(seed=7))
    slope = replace(fitted, verdict=replace(fitted.verdict, evidence={"slope": 1.0}))
    (found,) = implied_constants([fitted, slope])
    assert found.uid == fitted.uid and found.claimed_exponent == -0.5 and found.implied_constant is not None
