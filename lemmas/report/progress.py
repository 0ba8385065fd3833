"""A plain-text progress bar on stderr for long runs, fed by run_check's progress callback.

One bar spans a whole run: ``\\r[########        ] 12/40 du2018.lemma3.1[probability,...]``, counting trials
over every check-case. It draws only when the stream is a terminal, unless forced on.
"""

from __future__ import annotations

from typing import TextIO

from lemmas.terminal import TerminalLine
from lemmas.trials import ProgressFn

#: Longest label shown after the counts.
_LABEL = 60


class ProgressBar:
    """Trials done over ``total`` planned trials, with the label of the check-case running now."""

    def __init__(self, total: int, *, stream: TextIO | None = None, enabled: bool | None = None, width: int = 30) -> None:
        self.total = max(int(total), 0)
        self.line = TerminalLine(stream, enabled)
        self.width = width
        self._base = 0        # trials of the tasks already finished
        self._planned = 0     # trials planned for the current task
        self._label = ""

    def task(self, label: str, planned: int) -> ProgressFn:
        """Start a check-case with ``planned`` trials; returns the callback to pass to run_check."""
        self._base += self._planned
        self._planned = int(planned)
        self._label = label if len(label) <= _LABEL else label[: _LABEL - 1] + "…"
        self._draw(0, force=True)

        def callback(done: int, total: int) -> None:
            self._draw(done, force=done >= total)

        return callback

    def _draw(self, done: int, *, force: bool) -> None:
        """Redraw with ``done`` trials of the current task finished (the last trial of a task always redraws)."""
        if not self.line.due(force=force):
            return
        count = min(self._base + done, self.total) if self.total else self._base + done
        filled = round(self.width * count / self.total) if self.total else 0
        self.line.show(f"[{'#' * filled}{' ' * (self.width - filled)}] {count}/{self.total} {self._label}")

    def clear(self) -> None:
        """Blank the bar's line so other output can be printed; the next trial redraws it."""
        self.line.clear()

    def close(self) -> None:
        """End the bar's line (so later output starts on a fresh line)."""
        self.line.end()
