"""Text helpers shared by the Markdown and HTML renderers: numbers, durations and file-safe names."""

from __future__ import annotations

import math
import re
import zlib
from typing import Any

#: Longest readable part of a file name derived from a uid (the crc suffix keeps names unique).
_MAX_STEM = 120


def uid_safe(uid: str) -> str:
    """A file-name stem for a check uid: readable characters kept, the rest as '_', plus a crc32 of the uid.

    The crc makes the stem unique even when two uids differ only in characters that were replaced.
    """
    stem = re.sub(r"[^A-Za-z0-9.+-]+", "_", uid).strip("_")[:_MAX_STEM]
    return f"{stem}-{zlib.crc32(uid.encode('utf-8')):08x}"


def number(value: Any, digits: int = 4) -> str:
    """A number for a table: ``digits`` significant digits; JSON-safe strings ('inf', 'nan') pass through."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}" if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(number(v, digits) for v in value) + "]"
    return str(value)


def seconds(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return number(value)
    return f"{value:.2f} s" if value < 60 else f"{value / 60:.1f} min"


def mapping(data: Any, digits: int = 4) -> str:
    """A flat one-line rendering of a dict (worst cases, case parameters): ``k=v, k=v``."""
    if not isinstance(data, dict):
        return number(data, digits)
    return ", ".join(f"{k}={mapping(v, digits) if isinstance(v, dict) else number(v, digits)}" for k, v in data.items())
