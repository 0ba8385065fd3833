"""Parametrize the verification suite from the registry: one test per (check, case) of every lemma."""

from __future__ import annotations

from lemmas.registry import Mode, all_checks


def pytest_generate_tests(metafunc) -> None:  # noqa: ANN001 - pytest hook
    if "check_case" in metafunc.fixturenames:
        mode = Mode(metafunc.config.getoption("lemma_mode", default="default") or "default")
        pairs = all_checks(mode)
        metafunc.parametrize("check_case", pairs, ids=[check.uid(case) for check, case in pairs])
