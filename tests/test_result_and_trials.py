"""The result model's classification and the trial API's seeding and replay."""

import json

import numpy as np
import pytest

from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, Source
from lemmas.result import Outcome, Status, classify
from lemmas.symbolic import Quantity
from lemmas.checks import all_trials_verdict, compare
from lemmas import trials


@pytest.mark.parametrize(
    "outcome, held, confirmed, erratum, status",
    [
        (Outcome.HOLDS, True, True, False, Status.HOLDS),
        (Outcome.FAILS, True, True, False, Status.VIOLATED),
        (Outcome.UNDECIDED, True, True, False, Status.INCONCLUSIVE),
        (Outcome.FAILS, False, True, False, Status.SLACK),
        (Outcome.FAILS, True, False, False, Status.EXPLORATORY),
        (Outcome.FAILS, True, True, True, Status.ERRATUM),
        (Outcome.HOLDS, True, True, True, Status.HOLDS),
    ],
)
def test_classify(outcome, held, confirmed, erratum, status):
    assert classify(outcome, hypotheses_held=held, confirmed=confirmed, erratum=erratum) is status


def test_only_violations_are_failures():
    assert [s for s in Status if s.is_failure] == [Status.VIOLATED]


def _toy_lemma():
    import sympy as sp

    lemma = Lemma(
        id="toy.lemma", title="toy", source=Source("toy", "0000.00000", "v1", "§0"), statement="x <= b",
        tag="D", quantities={"b": Quantity("b", sp.Float(3.0), "bound")}, hypotheses={},
    )

    def trial(params, index, rng, bounds):
        x = float(rng.normal())
        return {"hypotheses": {}, **compare(x, bounds("b")), "draw": x}

    lemma.add(Check("draws", Kind.CONDITIONAL, "normal draws stay below b", lambda mode: [Case({"k": 1}, trials=20)],
                    trial, lambda p, obs, b, s: all_trials_verdict(obs, "x"), negative_control={"b": "-10"}))
    return lemma


def test_trial_seeds_depend_only_on_seed_uid_and_index():
    a = trials.trial_rng(7, "u", 3).normal(size=4)
    b = trials.trial_rng(7, "u", 3).normal(size=4)
    c = trials.trial_rng(7, "u", 4).normal(size=4)
    d = trials.trial_rng(7, "v", 3).normal(size=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c) and not np.array_equal(a, d)


def test_run_check_records_everything_and_trials_are_order_free():
    lemma = _toy_lemma()
    check = lemma.check("draws")
    case = check.cases(Mode.DEFAULT)[0]
    res = trials.run_check(check, case, Settings(seed=5))
    assert res.status is Status.HOLDS and res.n_trials == 20 and res.seed == 5
    reversed_obs = trials.serial_map(check, case, list(range(19, -1, -1)), Settings(seed=5), {})
    assert [o["draw"] for o in reversed_obs[::-1]] == [o["draw"] for o in res.observations]
    json.dumps(res.to_dict())


def test_negative_control_makes_the_toy_check_fail():
    import sympy as sp

    lemma = _toy_lemma()
    check = lemma.check("draws")
    res = trials.run_check(check, check.cases(Mode.DEFAULT)[0], Settings(), {k: sp.sympify(v) for k, v in check.negative_control.items()})
    assert res.verdict.outcome is Outcome.FAILS and res.status is Status.VIOLATED
    assert res.verdict.counterexample == 0
