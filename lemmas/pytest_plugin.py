"""pytest plugin of the lemmas package: settings for lemma checks, a verdict collector, and reports.

Loaded automatically through the ``pytest11`` entry point. It stays light for test runs that never use it:
nothing from the numerical package is imported until a fixture or a recorded result needs it, and nothing
is printed unless results were recorded.

Options:
  ``--lemma-mode=quick|default|full``  effort of the registered checks (default ``default``);
  ``--lemma-seed=S``                   run seed (default: :class:`lemmas.registry.Settings`' seed);
  ``--lemma-report=DIR``               write the JSON/Markdown/HTML report of the recorded results to DIR.

Fixtures:
  ``lemma_settings``       the :class:`~lemmas.registry.Settings` built from the options (session scope);
  ``lemma_results``        the session's :class:`LemmaResults` collector;
  ``record_lemma_result``  ``record(result)``: add a :class:`~lemmas.result.CheckResult` to the collector.
Outside fixtures, :func:`record_result` adds to the collector of the running session.

At the end of the session the terminal summary gets a section "lemma verdicts": counts per status and one
line per verdict other than "holds".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily at run time: the plugin must not slow down unrelated test runs
    from lemmas.registry import Lemma, Settings
    from lemmas.result import CheckResult

MODES = ("quick", "default", "full")


class LemmaResults:
    """The check results recorded during one test session, with the lemmas they belong to."""

    def __init__(self) -> None:
        self.results: list[CheckResult] = []
        self.lemmas: dict[str, Lemma] = {}
        self.report_dir: Path | None = None
        self.report_error: str | None = None

    def record(self, result: CheckResult) -> None:
        """Add ``result``; its lemma is looked up now, so a lemma removed from the registry later still reports."""
        from lemmas.registry import _REGISTRY

        self.results.append(result)
        lemma = _REGISTRY.get(result.lemma)
        if lemma is not None:
            self.lemmas.setdefault(result.lemma, lemma)

    def __len__(self) -> int:
        return len(self.results)


_COLLECTOR = pytest.StashKey[LemmaResults]()
_ACTIVE: list[LemmaResults] = []  # a stack: pytester runs sessions inside sessions


def record_result(result: CheckResult) -> None:
    """Add ``result`` to the collector of the running pytest session (for code without fixtures)."""
    if not _ACTIVE:
        raise RuntimeError("record_result needs a running pytest session with the lemmas plugin")
    _ACTIVE[-1].record(result)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lemmas", "lemma verification (lemmas package)")
    group.addoption("--lemma-report", dest="lemma_report", metavar="DIR", default=None,
                    help="write the JSON/Markdown/HTML report of the recorded lemma verdicts to DIR")
    group.addoption("--lemma-mode", dest="lemma_mode", choices=MODES, default="default",
                    help="effort of the lemma checks: quick, default or full (default: default)")
    group.addoption("--lemma-seed", dest="lemma_seed", metavar="S", type=int, default=None,
                    help="run seed of the lemma checks (default: the package's fixed seed)")


def pytest_configure(config: pytest.Config) -> None:
    collector = LemmaResults()
    config.stash[_COLLECTOR] = collector
    _ACTIVE.append(collector)


def pytest_unconfigure(config: pytest.Config) -> None:
    collector = config.stash.get(_COLLECTOR, None)
    if collector is not None and collector in _ACTIVE:
        _ACTIVE.remove(collector)


def settings_from_config(config: pytest.Config) -> Settings:
    """The run settings the options describe."""
    from lemmas.registry import Mode, Settings

    seed = config.getoption("lemma_seed")
    mode = Mode(config.getoption("lemma_mode") or "default")
    return Settings(mode=mode) if seed is None else Settings(seed=seed, mode=mode)


@pytest.fixture(scope="session")
def lemma_settings(pytestconfig: pytest.Config) -> Settings:
    """Settings (mode, seed) of the lemma checks, from ``--lemma-mode`` and ``--lemma-seed``."""
    return settings_from_config(pytestconfig)


@pytest.fixture(scope="session")
def lemma_results(pytestconfig: pytest.Config) -> LemmaResults:
    """The session's collector of check results (reported at the end of the session)."""
    return pytestconfig.stash[_COLLECTOR]


@pytest.fixture(scope="session")
def record_lemma_result(lemma_results: LemmaResults) -> Any:
    """``record(result)``: add a CheckResult to the session's lemma verdicts."""
    return lemma_results.record


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    collector = config.stash.get(_COLLECTOR, None)
    target = config.getoption("lemma_report")
    if collector is None or not collector.results or not target:
        return
    from lemmas.report import write_report

    try:
        write_report(collector.results, Path(target), settings=settings_from_config(config), lemmas=list(collector.lemmas.values()))
        collector.report_dir = Path(target)
    except Exception as exc:  # a report that cannot be written must not hide the test outcome
        collector.report_error = f"{type(exc).__name__}: {exc}"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    collector = config.stash.get(_COLLECTOR, None)
    if collector is None or not collector.results:
        return
    from lemmas.report.summary import non_holds, status_counts

    dicts = [r.to_dict() for r in collector.results]
    tr = terminalreporter
    tr.section("lemma verdicts")
    tr.line(", ".join(f"{status}: {count}" for status, count in status_counts(dicts).items() if count))
    for entry in non_holds(dicts):
        tr.line(f"{entry['status']}: {entry['uid']}: {entry['summary']}", red=entry["status"] == "violated",
                yellow=entry["status"] != "violated")
    if collector.report_dir is not None:
        tr.line(f"lemma report: {collector.report_dir / 'index.html'}")
    if collector.report_error is not None:
        tr.line(f"lemma report not written: {collector.report_error}", red=True)
