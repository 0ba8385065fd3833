"""Every check of the registry must fail when fed its deliberately wrong bound (a check that cannot fail is a defect)."""

import pytest
import sympy as sp

from lemmas.registry import Mode, Settings, all_lemmas
from lemmas.result import Outcome
from lemmas.trials import run_check

CHECKS = [check for lemma in all_lemmas() for check in lemma.checks]


def test_every_check_declares_a_negative_control():
    missing = [check.id for check in CHECKS if not check.negative_control]
    assert not missing, f"checks without a negative control: {missing}"


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_wrong_bound_is_refuted(check):
    case = check.cases(Mode.QUICK)[0]
    overrides = {name: sp.sympify(expr) for name, expr in check.negative_control.items()}
    result = run_check(check, case, Settings(mode=Mode.QUICK), overrides)
    assert result.verdict.outcome is Outcome.FAILS, (
        f"{result.uid} with {check.negative_control}: outcome {result.verdict.outcome.value} ({result.verdict.summary})"
    )
