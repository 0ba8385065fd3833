"""A plain-text progress bar on stderr for long runs, fed by run_check's progress callback.

One bar spans a whole run: ``\\r[########        ] 12/40 du2018.lemma3.1[probability,...]``, counting trials
over every check-case. It draws only when the stream is a terminal, unless forced on.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from lemmas.trials import ProgressFn

#: Seconds between redraws (the last trial of a task always redraws).
_REDRAW = 0.1
#: Longest label shown after the counts.
_LABEL = 60


class ProgressBar:
    """Trials done over ``total`` planned trials, with the label of the check-case running now."""

    def __init__(self, total: int, *, stream: TextIO | None = None, enabled: bool | None = None, width: int = 30) -> None:
        self.total = max(int(total), 0)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _isatty(self.stream) if enabled is None else enabled
        self.width = width
        self._base = 0        # trials of the tasks already finished
        self._planned = 0     # trials planned for the current task
        self._label = ""
        self._shown = 0       # length of the last line drawn, to blank it out
        self._last = 0.0

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
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < _REDRAW:
            return
        self._last = now
        count = min(self._base + done, self.total) if self.total else self._base + done
        filled = round(self.width * count / self.total) if self.total else 0
        line = f"[{'#' * filled}{' ' * (self.width - filled)}] {count}/{self.total} {self._label}"
        self.stream.write("\r" + line + " " * max(self._shown - len(line), 0))
        self.stream.flush()
        self._shown = len(line)

    def clear(self) -> None:
        """Blank the bar's line so other output can be printed; the next trial redraws it."""
        if self.enabled and self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0

    def close(self) -> None:
        """End the bar's line (so later output starts on a fresh line)."""
        if self.enabled and self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = 0


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
