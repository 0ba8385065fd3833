"""Reports: JSON records that round-trip, Markdown and HTML rendered from them, plots, replays, summaries."""

from __future__ import annotations

import io
import json
import math

import pytest
import sympy as sp

from lemmas import cli
from lemmas.checks import all_trials_verdict, compare, exponent_verdict, probability_verdict
from lemmas.registry import _REGISTRY, Case, Check, Kind, Lemma, Mode, Settings, Source, get_lemma, register
from lemmas.report import ProgressBar, plots, write_report
from lemmas.report.json_store import lemma_metadata, read_record
from lemmas.report.markdown import render_markdown
from lemmas.report.summary import family_wise, has_violation, non_holds, status_counts
from lemmas.report.text import uid_safe
from lemmas.symbolic import Quantity, n
from lemmas.trials import run_check

TOY_ID = "test.report.toy"
SETTINGS = Settings(seed=5, mode=Mode.QUICK)


def _decay_trial(params, index, rng, bounds):
    m = params["widths"][index // 4]
    return {"hypotheses": {}, "x": m, "y": m ** -0.5 * math.exp(0.05 * rng.normal()),
            "role": "calibration" if index % 4 == 3 else "test"}


def _coin_trial(params, index, rng, bounds):
    return {"hypotheses": {}, **compare(float(rng.random()), bounds("cut"))}


def _draw_trial(params, index, rng, bounds):
    return {"hypotheses": {}, **compare(float(rng.normal()), bounds(params["bound"]))}


def _plotted_verdict(params, obs, bounds, settings):
    verdict = all_trials_verdict(obs, "x")
    verdict.evidence["plot"] = {"title": "draws", "xlabel": "trial", "ylabel": "x", "xscale": "linear", "yscale": "linear",
                                "series": [{"label": "x", "x": list(range(len(obs))), "y": [o["value"] for o in obs], "style": "o"}]}
    return verdict


def _broken_trial(params, index, rng, bounds):
    raise RuntimeError("this check is broken on purpose")


def toy_lemma(broken: bool = False) -> Lemma:
    lemma = Lemma(
        id=TOY_ID, title="toy lemma of the report tests", source=Source("Nobody 2024", "0000.00000", "v1", "§1", "toy.md §1"),
        statement=r"$y = O(m^{-1/2})$ and $x \le b$", tag="V",
        quantities={
            "b": Quantity("b", sp.Integer(10), "bound that holds", "bound", "V", "chosen"),
            "wrong": Quantity("wrong", sp.Integer(-10), "bound that fails"),
            "rate": Quantity("rate", sp.Rational(-1, 2), "decay exponent", "rate"),
            "cut": Quantity("cut", sp.Float(0.999), "a uniform draw stays below", "bound"),
            "delta_q": Quantity("delta_q", sp.Rational(1, 2), "failure probability", "probability"),
            "width": Quantity("width", n**2, "a width with a free symbol", "width"),
        },
        hypotheses={"none": "no hypotheses"}, notes=("a note",),
    )
    lemma.add(Check("decay", Kind.EXPONENT, "y = O(m^-1/2)", lambda mode: [Case({"widths": [64, 256, 1024]}, trials=12)],
                    _decay_trial, lambda p, obs, b, s: exponent_verdict(obs, b("rate"), "upper", "y", "m", s)))
    lemma.add(Check("coin", Kind.PROBABILITY, "P(u > cut) <= delta", lambda mode: [Case({}, trials=30)], _coin_trial,
                    lambda p, obs, b, s: probability_verdict(obs, b("delta_q"), s, "P(u > cut)")))
    lemma.add(Check("plotted", Kind.CONDITIONAL, "x <= b", lambda mode: [Case({"bound": "b"}, trials=5)], _draw_trial, _plotted_verdict))
    lemma.add(Check("wrong", Kind.CONDITIONAL, "x <= wrong", lambda mode: [Case({"bound": "wrong"}, trials=5)], _draw_trial,
                    lambda p, obs, b, s: all_trials_verdict(obs, "x")))
    if broken:
        lemma.add(Check("broken", Kind.CONDITIONAL, "raises", lambda mode: [Case({}, trials=1)], _broken_trial,
                        lambda p, obs, b, s: all_trials_verdict(obs, "x")))
    return lemma


@pytest.fixture(scope="module")
def toy_report(tmp_path_factory):
    lemma = toy_lemma()
    results = [run_check(c, case, SETTINGS) for c in lemma.checks for case in c.cases(SETTINGS.mode)]
    out = tmp_path_factory.mktemp("report")
    return lemma, results, write_report(results, out, settings=SETTINGS, lemmas=[lemma])


def test_json_record_round_trips_every_result_and_the_lemma(toy_report):
    lemma, results, files = toy_report
    record = read_record(files.out / f"{TOY_ID}.json")
    assert record["results"] == json.loads(json.dumps([r.to_dict() for r in results]))
    assert record["lemma"]["source"]["cite"] == lemma.source.cite()
    assert record["lemma"]["statement"] == lemma.statement and record["lemma"]["notes"] == ["a note"]
    quantities = {q["name"]: q for q in record["lemma"]["quantities"]}
    assert quantities["rate"]["value"] == -0.5 and quantities["rate"]["latex"] == r"- \frac{1}{2}"
    assert quantities["width"]["value"] is None and quantities["width"]["latex"] == "n^{2}"
    assert record["run"]["seed"] == 5 and record["run"]["mode"] == "quick" and "numpy" in record["run"]["environment"]


def test_statuses_of_the_toy_checks(toy_report):
    _, results, _ = toy_report
    assert {r.check: r.status.value for r in results} == {"decay": "holds", "coin": "holds", "plotted": "holds", "wrong": "violated"}


def test_markdown_is_rendered_from_the_json(toy_report):
    _, results, files = toy_report
    md = (files.out / f"{TOY_ID}.md").read_text()
    assert md == render_markdown(read_record(files.out / f"{TOY_ID}.json"))
    assert r"$- \frac{1}{2}$" in md and "Nobody 2024" in md
    assert all(f"`{r.uid}`" in md and f"**{r.status.value}**" in md for r in results)


def test_index_html_lists_every_lemma_and_status_without_scripts_or_network(toy_report):
    _, results, files = toy_report
    page = files.index.read_text()
    assert TOY_ID in page and all(r.uid in page for r in results)
    assert "holds" in page and "violated" in page
    assert "Holm" in page and f"family-wise level α = {Settings().alpha:g}" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "numpy" in page  # the environment, once
    assert page.count("<h2>Run and environment</h2>") == 1


@pytest.mark.skipif(not plots.available(), reason="matplotlib not installed")
def test_plots_for_exponent_checks_and_the_lemma_hook(toy_report):
    _, _, files = toy_report
    record = read_record(files.out / f"{TOY_ID}.json")
    by_check = {r["check"]: record["artifacts"][r["uid"]] for r in record["results"]}
    for name in ("decay", "plotted", "coin"):
        png = files.out / by_check[name]["plot"]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert by_check["plotted"]["plot"] in files.index.read_text()


def test_replay_file_for_each_counterexample(toy_report):
    _, results, files = toy_report
    wrong = next(r for r in results if r.check == "wrong")
    replay = json.loads((files.out / "replays" / f"{uid_safe(wrong.uid)}.json").read_text())
    assert replay["index"] == wrong.verdict.counterexample and replay["uid"] == wrong.uid
    assert [p.name for p in files.replays] == [f"{uid_safe(wrong.uid)}.json"]


def test_without_matplotlib_reports_are_written_and_say_so(toy_report, tmp_path, monkeypatch):
    monkeypatch.setattr(plots, "available", lambda: False)
    _, results, _ = toy_report
    files = write_report(results, tmp_path, settings=SETTINGS, lemmas=[toy_lemma()])
    assert not files.plots and not (tmp_path / "plots").exists()
    assert "matplotlib is not installed" in files.index.read_text()
    assert "matplotlib is not installed" in (tmp_path / f"{TOY_ID}.md").read_text()


def test_report_command_records_errors_and_exits_1(tmp_path, capsys):
    get_lemma("du2018.lemma3.1")  # discover the real lemmas first, so the toy is removed cleanly
    register(toy_lemma(broken=True))
    try:
        code = cli.main(["report", "--out", str(tmp_path), "--only", f"{TOY_ID}:broken", f"{TOY_ID}:plotted", "--no-plots", "--jobs", "1"])  # toy registered in this process only
    finally:
        _REGISTRY.pop(TOY_ID, None)
    assert code == 1
    record = read_record(tmp_path / f"{TOY_ID}.json")
    assert [r["check"] for r in record["results"]] == ["plotted"]
    assert record["errors"][0]["message"] == "RuntimeError: this check is broken on purpose"
    assert "this check is broken on purpose" in (tmp_path / "index.html").read_text()
    assert "report: " in capsys.readouterr().out


def _fake(uid, status, kind="conditional", p=None, alpha=0.001):
    evidence = {} if p is None else {"p_value": p, "alpha": alpha}
    return {"uid": uid, "lemma": uid.split("[")[0], "status": status, "kind": kind,
            "verdict": {"summary": f"summary of {uid}", "evidence": evidence}}


def test_summary_counts_statuses_and_lists_non_holds_violations_first():
    results = [_fake("a[x]", "holds"), _fake("b[x]", "inconclusive"), _fake("c[x]", "violated"), _fake("d[x]", "documented erratum")]
    counts = status_counts(results)
    assert counts["holds"] == 1 and counts["violated"] == 1 and counts["exploratory"] == 0
    assert [r["uid"] for r in non_holds(results)] == ["c[x]", "b[x]", "d[x]"]
    assert has_violation(results) and not has_violation(results[:2] + results[3:])


def test_family_wise_statement_applies_holm_to_the_probability_p_values():
    results = [_fake("p1[x]", "holds", "probability", 0.004), _fake("p2[x]", "holds", "probability", 0.03),
               _fake("p3[x]", "holds", "probability", 0.5), _fake("e[x]", "holds", "exponent", 0.0)]
    fw = family_wise(results, alpha=0.05)
    assert fw.p_values == {"p1[x]": 0.004, "p2[x]": 0.03, "p3[x]": 0.5}
    assert fw.holm_rejected == ("p1[x]",)  # 0.004 <= 0.05/3, then 0.03 > 0.05/2 stops
    assert fw.per_check_alpha == (0.001,) and fw.bonferroni_bound == pytest.approx(0.003)
    assert "p1[x]" in fw.statement() and "α′ = 0.001" in fw.statement()
    assert "No probability checks" in family_wise(results[3:], 0.05).statement()


def test_family_wise_statement_bounds_the_exponent_verdicts_by_their_levels():
    results = [_fake(f"e{i}[x]", "holds", "exponent", p=0.5, alpha=0.0005) for i in range(4)]
    fw = family_wise(results, alpha=0.05)
    assert fw.exponent_results == 4 and fw.per_exponent_alpha == (0.0005,)
    assert "4 exponent result(s)" in fw.statement() and "K·α_e = 0.002" in fw.statement()


def test_family_wise_statement_applies_holm_to_the_exponent_p_values_separately():
    results = [_fake("e1[x]", "holds", "exponent", p=0.0001, alpha=0.025), _fake("e2[x]", "holds", "exponent", p=0.3, alpha=0.025),
               _fake("p1[x]", "holds", "probability", 0.0001)]
    fw = family_wise(results, alpha=0.05)
    assert fw.exponent_p_values == {"e1[x]": 0.0001, "e2[x]": 0.3}
    assert fw.exponent_holm_rejected == ("e1[x]",)  # 0.0001 <= 0.05/2, then 0.3 > 0.05/1 stops
    assert "2 recorded exponent p-values" in fw.statement() and "rejects H0 for: e1[x]." in fw.statement()
    assert fw.holm_rejected == ("p1[x]",) and fw.to_dict()["exponent_holm_rejected"] == ["e1[x]"]


def test_exponent_plot_has_the_fitted_and_the_claimed_slope():
    result = {"kind": "exponent", "check": "decay", "verdict": {"quantity": "q", "bound": -0.5, "evidence": {
        "x": [10, 100, 1000], "y": [1.0, 0.3, 0.1], "fit": {"exponent": -0.5, "constant": 3.0}, "variable": "m"}}}
    spec = plots.exponent_spec(result)
    data, fit, ref = spec["series"]
    assert spec["xscale"] == spec["yscale"] == "log" and data["x"] == [10.0, 100.0, 1000.0]
    slope = math.log(ref["y"][-1] / ref["y"][0]) / math.log(ref["x"][-1] / ref["x"][0])
    assert slope == pytest.approx(-0.5) and fit["y"][0] == pytest.approx(3.0 * 10 ** -0.5)


def test_a_malformed_lemma_plot_is_refused_with_the_allowed_keys():
    result = {"kind": "conditional", "check": "c", "observations": [], "verdict": {"evidence": {"plot": {"series": [], "colour": 1}}}}
    with pytest.raises(ValueError, match="allowed: title"):
        plots.plot_specs(result)


def test_progress_bar_draws_trials_over_the_whole_run_only_when_enabled():
    stream = io.StringIO()
    bar = ProgressBar(10, stream=stream, enabled=True, width=10)
    bar.task("first[a]", 4)(4, 4)
    bar.clear()  # before other output: the line is blanked, the next trial redraws it
    assert stream.getvalue().endswith("\r" + " " * len("[####      ] 4/10 first[a]") + "\r")
    bar.task("second[b]", 6)(6, 6)
    bar.close()
    text = stream.getvalue()
    assert "\r[####      ] 4/10 first[a]" in text and "\r[##########] 10/10 second[b]" in text and text.endswith("\n")
    quiet = io.StringIO()  # a StringIO is not a terminal: disabled by default
    ProgressBar(3, stream=quiet).task("x", 3)(3, 3)
    assert quiet.getvalue() == ""


def test_uid_safe_names_are_file_safe_and_distinct():
    a, b = uid_safe("l[c,n=1,m=2]"), uid_safe("l[c=n,1,m=2]")
    assert a != b and all(ch.isalnum() or ch in "._+-" for ch in a + b)


def test_metadata_of_a_real_lemma_has_latex_and_numbers():
    meta = lemma_metadata(get_lemma("du2018.lemma3.1"))
    quantities = {q["name"]: q for q in meta["quantities"]}
    assert quantities["decay_exponent"]["value"] == -0.5
    assert quantities["width_paper"]["value"] is None and "lambda_{0}" in quantities["width_paper"]["latex"]
    json.dumps(meta)
