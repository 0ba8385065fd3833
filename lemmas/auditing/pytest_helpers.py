"""Audits in a user's own test suite: put a claimed bound into CI and have it fail with a counterexample.

    from lemmas.auditing.pytest_helpers import assert_survives

    def test_my_radius_survives():
        assert_survives("du2018.lemma3.2", set={"R": "0.2*delta*lambda0/n**2"}, budget="30s")

or, with the fixture (add ``pytest_plugins = ["lemmas.auditing.pytest_helpers"]`` to your ``conftest.py``)::

    def test_my_radius(lemma_audit):
        lemma_audit("du2018.lemma3.2", set={"R": "0.2*delta*lambda0/n**2"}, budget="30s")

A refuted claim fails the test with the audit's summary and writes the counterexample file (into ``out``,
the fixture's ``tmp_path``, or ``$LEMMAS_AUDIT_OUT`` / ``audits/``), so CI can keep it as an artifact and
``lemmas replay FILE`` reproduces it. The seed is fixed by default, so the audit is deterministic up to the
time budget; give ``trials=`` instead of (or with) ``budget=`` for a fully reproducible search effort.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pytest

from lemmas.auditing import AuditResult, audit

#: Environment variable naming the directory for counterexample files of failed audits.
OUT_VARIABLE = "LEMMAS_AUDIT_OUT"


def _out_dir(out: str | Path | None) -> Path:
    return Path(out) if out is not None else Path(os.environ.get(OUT_VARIABLE, "audits"))


def assert_survives(
    lemma_id: str,
    set: Mapping[str, str] | Sequence[str] | None = None,  # noqa: A002 - mirrors the CLI's --set
    budget: str | float | None = "30s",
    trials: int | None = None,
    *,
    out: str | Path | None = None,
    **options: Any,
) -> AuditResult:
    """Audit the claim and fail (AssertionError) if the search refutes it; returns the audit otherwise.

    ``options`` are passed to :func:`lemmas.auditing.audit` (``seed``, ``mode``, ``checks``, ``alpha``, ...).
    """
    result = audit(lemma_id, set=set, budget=budget, trials=trials, **options)
    if result.refuted:
        result.write(_out_dir(out))
        raise AssertionError("the claim was refuted:\n" + result.summary())
    return result


def assert_refuted(
    lemma_id: str,
    set: Mapping[str, str] | Sequence[str] | None = None,  # noqa: A002
    budget: str | float | None = "30s",
    trials: int | None = None,
    **options: Any,
) -> AuditResult:
    """Audit a claim expected to be false and fail if the search does not refute it (e.g. a known erratum)."""
    result = audit(lemma_id, set=set, budget=budget, trials=trials, **options)
    if not result.refuted:
        raise AssertionError("the claim was expected to be refuted but survived:\n" + result.summary())
    return result


@pytest.fixture
def lemma_audit(tmp_path: Path) -> Callable[..., AuditResult]:
    """``lemma_audit(lemma_id, set=..., budget=..., ...)``: :func:`assert_survives` writing into ``tmp_path``."""

    def run(lemma_id: str, set: Mapping[str, str] | Sequence[str] | None = None, **options: Any) -> AuditResult:  # noqa: A002
        options.setdefault("out", tmp_path)
        return assert_survives(lemma_id, set=set, **options)

    return run
