"""Du et al. Lemma 3.2: the radius sweep behind the report's plot "worst-case λ_min(H) against R"."""

import math

import pytest

from lemmas.papers.du2018 import lemma3_2
from lemmas.papers.du2018.lemma3_2 import LEMMA, SWEEP_MULTIPLES
from lemmas.registry import Mode, Settings
from lemmas.report import plots
from lemmas.trials import trial_rng

CHECK = LEMMA.check("worst_case")
#: A small swept case (m = 100: a converged sweep costs about a second per trial).
PARAMS = {"inputs": "sphere", "n": 10, "d": 10, "data_seed": 1, "delta": 0.5, "m": 100, "sweep_trials": 2}


def observation(index: int, params: dict = PARAMS, seed: int = 7) -> dict:
    return CHECK.trial(params, index, trial_rng(seed, "test-sweep", index), LEMMA.bounds())


@pytest.fixture(scope="module")
def swept() -> list[dict]:
    return [observation(0), observation(1)]


def test_only_the_designated_trials_of_the_designated_case_sweep(swept):
    assert all("radius_sweep" in o for o in swept)
    assert "radius_sweep" not in observation(2)
    assert [c.params.get("sweep_trials", 0) for c in CHECK.cases(Mode.QUICK)] == [0]
    assert sum(bool(c.params.get("sweep_trials")) for c in CHECK.cases(Mode.DEFAULT)) == 1


def test_the_sweep_leaves_the_trial_it_rides_on_unchanged(swept):
    unswept = observation(0, {**PARAMS, "sweep_trials": 0})
    assert {k: v for k, v in swept[0].items() if k != "radius_sweep"} == unswept


def test_the_sweep_is_reproducible_from_the_trial_seed(swept):
    assert observation(0)["radius_sweep"] == swept[0]["radius_sweep"]


def test_the_grid_brackets_the_lemma_radius(swept):
    assert 1.0 in SWEEP_MULTIPLES and min(SWEEP_MULTIPLES) < 1 < max(SWEEP_MULTIPLES)
    for o in swept:
        radii = [p["R"] for p in o["radius_sweep"]]
        assert radii == sorted(radii)
        assert [p["R"] for p in o["radius_sweep"] if p["multiple"] == 1.0] == [o["R"]]


def test_certified_bound_lies_below_the_explicit_worst_case_found(swept):
    for o in swept:
        for p in o["radius_sweep"]:
            assert p["certified_lower"] <= p["min_eig_found"] <= o["min_eig_H0"] + 1e-12
            assert p["converged"]


def test_the_sweep_reaches_below_half_lambda0_and_the_summary_brackets_the_crossing(swept):
    verdict = CHECK.verdict(PARAMS, swept, LEMMA.bounds(), Settings())
    summary = verdict.evidence["radius_sweep"]
    assert [t["trial"] for t in summary["trials"]] == [0, 1]
    for t in summary["trials"]:
        assert t["first_violating_multiple"] is not None                      # the plot shows the crossing
        assert 1 <= t["largest_certified_multiple"] < t["first_violating_multiple"]


def test_the_plot_is_a_valid_log_radius_panel_with_its_reference_lines(swept):
    verdict = CHECK.verdict(PARAMS, swept, LEMMA.bounds(), Settings())
    result = {"verdict": {"evidence": verdict.evidence}, "kind": CHECK.kind.value, "check": CHECK.name, "observations": swept}
    spec = plots.lemma_spec(result)
    assert spec["xscale"] == "log"
    by_label = {s["label"]: s for s in spec["series"]}
    half = swept[0]["min_eig_bound"]
    assert by_label["λ0/2 (the lemma's bound)"]["y"] == [half, half]
    assert by_label["R* = cδλ0/n²"]["x"] == [swept[0]["R"]] * 2
    assert all(y > 0 and math.isfinite(y) for s in spec["series"] for y in s["y"])   # drawable on any axis
    assert {"worst W found, trial 0", "worst W found, trial 1", "certified lower bound (weakest trial)"} <= set(by_label)


def test_a_verdict_without_swept_trials_has_no_plot():
    unswept = [observation(i, {**PARAMS, "m": 20, "sweep_trials": 0}) for i in range(2)]
    assert "plot" not in CHECK.verdict(PARAMS, unswept, LEMMA.bounds(), Settings()).evidence


def test_sweep_constants_are_the_documented_grid():
    assert SWEEP_MULTIPLES[0] == 1 / 8 and SWEEP_MULTIPLES[-1] == 8192
    assert all(b / a == 2 for a, b in zip(SWEEP_MULTIPLES, SWEEP_MULTIPLES[1:]))
    assert lemma3_2.SWEEP_SEARCH["restarts"] == 1
