"""One status line on a terminal, redrawn in place: the drawing under both progress displays.

Each new text returns to the start of the line with ``\\r`` and pads over what the previous text left; the
line can be blanked (so other output can be printed) or ended with a newline. It draws only when enabled:
by default, only when the stream is a terminal. Redraws are throttled so a fast loop does not flood it.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

#: Seconds between redraws, unless a redraw is forced.
REDRAW_INTERVAL = 0.1


class TerminalLine:
    """A line on ``stream`` (default stderr) that :meth:`show` overwrites in place."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self._last = 0.0   # when the line was last drawn
        self._shown = 0    # length of the text on the line now, to pad over or blank out

    def due(self, *, force: bool = False) -> bool:
        """Whether a redraw should happen now: the line is enabled and, unless forced, the last redraw is at
        least :data:`REDRAW_INTERVAL` seconds old. Callers build the text only when it is due."""
        return self.enabled and (force or time.monotonic() - self._last >= REDRAW_INTERVAL)

    def show(self, text: str) -> None:
        """Replace the line by ``text``."""
        if not self.enabled:
            return
        self._last = time.monotonic()
        self.stream.write("\r" + text + " " * max(self._shown - len(text), 0))
        self.stream.flush()
        self._shown = len(text)

    def clear(self) -> None:
        """Blank the line and return to its start, so other output can be printed there."""
        if self.enabled and self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0

    def end(self) -> None:
        """End the line with a newline, leaving its text, so later output starts on a fresh line."""
        if self.enabled and self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = 0


def _is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (False for streams that cannot tell, or are closed)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
