"""The verification suite: every registered check of every lemma.

A test fails only on an unexpected violation of a confirmed statement inside its hypotheses. Documented
errata, slack evidence, exploratory and inconclusive verdicts are findings: they appear in the terminal
summary and in the report (``--lemma-report=DIR``), not as failures.
"""

from lemmas.trials import run_check


def test_check(check_case, lemma_settings, record_lemma_result):
    check, case = check_case
    result = run_check(check, case, lemma_settings)
    record_lemma_result(result)
    assert not result.status.is_failure, f"{result.uid} {result.status.value}: {result.verdict.summary}"
