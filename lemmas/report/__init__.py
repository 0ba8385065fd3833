"""Reports of check results: JSON records (the source of truth), Markdown, HTML, plots and replay files.

Reports read results, never internals: everything shown is rendered from
:meth:`~lemmas.result.CheckResult.to_dict` and the lemma's stated metadata, stored in one JSON record per lemma.

Modules:
  :mod:`~lemmas.report.runner`      select check-cases from the registry and run them (errors recorded)
  :mod:`~lemmas.report.json_store`  the per-lemma JSON record
  :mod:`~lemmas.report.summary`     counts per status, non-holds verdicts, the family-wise statement
  :mod:`~lemmas.report.markdown`    ``<id>.md`` from a record
  :mod:`~lemmas.report.html`        ``index.html`` from the records
  :mod:`~lemmas.report.plots`       figures per result (matplotlib optional) and the lemma plot hook
  :mod:`~lemmas.report.large_width` the page "Largest widths on this machine", from ``large_width.json``
  :mod:`~lemmas.report.progress`    the progress bar on stderr
  :mod:`~lemmas.report.writer`      :func:`write_report`: all of the above into one directory
"""

from lemmas.report.progress import ProgressBar
from lemmas.report.runner import Run, RunError, SelectionError, planned_trials, run_checks, select
from lemmas.report.writer import ReportFiles, write_report

__all__ = [
    "ProgressBar",
    "ReportFiles",
    "Run",
    "RunError",
    "SelectionError",
    "planned_trials",
    "run_checks",
    "select",
    "write_report",
]
