"""Run every benchmark script in benchmarks/ and print one Markdown table of their results.

Usage: ``python benchmarks/run_all.py [--skip NAME ...] [--only NAME ...]`` (NAME: a script's stem, e.g.
``bench_twolayer``). Scripts run one after another (never two at once: they time each other otherwise),
each in a fresh interpreter, in name order: every ``bench_*.py`` and ``large_width.py``.

The protocol, also used by the scripts: a result is a line ``RESULT {json}`` on standard output, written
by :func:`emit`, with the keys of :data:`COLUMNS`. A script that prints no such line (or fails) gets one
row pointing to its output, which is printed in full below the table. The machine is stated above it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
PREFIX = "RESULT "
#: Table columns: key -> header.
COLUMNS = {
    "benchmark": "benchmark",
    "size": "size",
    "median_s": "median (s)",
    "lower_bound_s": "lower bound (s)",
    "ratio": "ratio",
    "target": "target",
    "peak_extra_mib": "peak extra memory (MiB)",
    "note": "note",
}


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Medians of several functions timed in turn, round after round, so that a noisy neighbour on a shared
    machine slows each of them alike and their ratios stay meaningful.

    In every round each function runs twice and only the second call is timed: the first settles the state
    the previous function left (OpenBLAS worker threads keep spinning for a while after a multithreaded
    call and would steal a core from the next function; sleeping ones must be woken), so each function is
    timed in its own steady state, as in a loop of calls to it.
    """
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            fn()
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def emit(**row: Any) -> None:
    """Print one result row in the protocol run_all.py reads (keys of COLUMNS; others are ignored)."""
    print(PREFIX + json.dumps(row), flush=True)


def machine() -> str:
    """One paragraph stating the machine: cores, CPU model, memory, Python, NumPy and its BLAS."""
    import numpy as np
    from threadpoolctl import threadpool_info

    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    import scipy.linalg  # noqa: F401 - load SciPy's BLAS too, so it is listed

    blas = sorted({f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, {i.get('num_threads')} threads, "
                   f"{Path(i.get('filepath', '')).name})" for i in threadpool_info() if i.get("user_api") == "blas"})
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"nproc {os.cpu_count()}, CPU {model}, RAM {mem:.1f} GiB, {platform.platform()}, Python "
            f"{platform.python_version()}, NumPy {np.__version__}; BLAS: {'; '.join(blas)}; load average at start {load:.2f}")


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.3e}"
    return str(value).replace("|", "\\|")


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS.values()) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_fmt(row.get(key)) for key in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def scripts(only: list[str], skip: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py")) + sorted(HERE.glob("large_width.py"))
    return [p for p in found if (not only or p.stem in only) and p.stem not in skip]


def run(script: Path) -> tuple[list[dict[str, Any]], str, int, float]:
    """Run one script; returns (rows, full output, exit code, seconds)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=HERE.parent)
    elapsed = time.perf_counter() - start
    lines = proc.stdout.splitlines()
    rows = [json.loads(line[len(PREFIX):]) for line in lines if line.startswith(PREFIX)]
    output = "\n".join(line for line in lines if not line.startswith(PREFIX))
    if proc.returncode:
        output += "\n" + proc.stderr
    for row in rows:
        row.setdefault("script", script.stem)
    return rows, output, proc.returncode, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="run only these scripts (stems)")
    parser.add_argument("--skip", nargs="*", default=[], help="skip these scripts (stems)")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    outputs: list[str] = []
    failed = 0
    for script in scripts(args.only, args.skip):
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        found, output, code, elapsed = run(script)
        failed += code != 0
        if code != 0 or not found:
            rows.append({"benchmark": script.stem, "note": f"exit {code}; see its output below" if code else "see its output below"})
        rows += found
        outputs.append(f"### {script.name} ({elapsed:.0f} s, exit {code})\n\n```\n{output.strip()}\n```")
    print(f"Machine: {machine()}\n")
    print(table(rows))
    print("\n" + "\n\n".join(outputs))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
