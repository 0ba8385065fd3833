"""Benchmark of trials in parallel (lemmas.parallel.process_map) and of one full lemma check.

1. A 1000-trial check, du2018.lemma3.1:probability on its (n, d) = (8, 16) case (sharp width, δ = 0.1):
   serial (one process, BLAS threads as installed, and pinned to one thread) against ``jobs = 2`` worker
   processes (one BLAS thread each, warm pool; the pool's start-up is timed apart). The three runs take
   turns over five segments of the trials, so that load from other processes hits them alike. Speed-up =
   serial time / parallel time, over the 1-thread serial run (the same work per trial) and over the
   default one; the observations must be identical.
2. One full lemma check: every check-case of du2018.lemma3.1 in DEFAULT mode through run_check, serial
   (BLAS as installed, then pinned to one thread) and with ``jobs = 2`` (warm pool): wall time and status.

Run: python benchmarks/bench_parallel.py [--trials 1000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from lemmas import parallel
from lemmas.registry import Mode, Settings, get_lemma
from lemmas.result import _json_safe
from lemmas.trials import blas_threads, current_blas_threads, run_check, serial_map
from run_all import emit

LEMMA = "du2018.lemma3.1"


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def bench_trials(trials: int, jobs: int, segments: int = 5) -> None:
    check = get_lemma(LEMMA).check("probability")
    case = next(c for c in check.cases(Mode.DEFAULT) if c.params["n"] == 8)
    settings = Settings(trials=trials, jobs=jobs)
    serial_map(check, case, range(1), settings, {})                      # warm caches (λ0 certificate)
    _, t_start = timed(lambda: parallel.process_map(check, case, range(jobs), settings, {}))   # cold pool
    threads = current_blas_threads()
    runs = {"serial": lambda part: serial_map(check, case, part, settings, {}),
            "serial1": lambda part: _pinned(lambda: serial_map(check, case, part, settings, {})),
            "parallel": lambda part: parallel.process_map(check, case, part, settings, {})}
    seconds = dict.fromkeys(runs, 0.0)
    observations: dict[str, list] = {name: [] for name in runs}
    size = -(-trials // segments)
    for start in range(0, trials, size):                    # interleaved, so that load from others hits all alike
        part = range(start, min(trials, start + size))
        for name, run in runs.items():
            obs, t = timed(lambda: run(part))
            seconds[name] += t
            observations[name] += obs
    same = len({json.dumps(_json_safe(obs)) for obs in observations.values()}) == 1
    t_serial, t_serial1, t_par = seconds["serial"], seconds["serial1"], seconds["parallel"]
    label = f"{check.uid(case)}, {trials} trials"
    print(f"{label}: serial {t_serial:.1f} s (BLAS {threads} threads), {t_serial1:.1f} s (BLAS 1 thread); jobs={jobs} "
          f"(1 BLAS thread each, warm pool; start-up {t_start:.1f} s): {t_par:.1f} s; speed-up {t_serial1 / t_par:.2f} over "
          f"the 1-thread serial run, {t_serial / t_par:.2f} over the default serial run; observations identical: {same}; "
          f"load average {os.getloadavg()[0]:.2f}")
    emit(benchmark=f"{trials}-trial check, jobs={jobs} vs serial", size=label, median_s=t_par, lower_bound_s=t_serial1 / jobs,
         ratio=t_par / (t_serial1 / jobs), target=f"speed-up close to {jobs}",
         note=f"speed-up {t_serial1 / t_par:.2f} over the serial run with 1 BLAS thread ({t_serial1:.1f} s), "
              f"{t_serial / t_par:.2f} over the serial run with {threads} BLAS threads ({t_serial:.1f} s); pool start-up "
              f"{t_start:.1f} s; identical observations: {same}; load average {os.getloadavg()[0]:.2f}")


def _pinned(fn):
    with blas_threads(1):
        return fn()


def bench_full_lemma(jobs: int) -> None:
    lemma = get_lemma(LEMMA)
    runs = (("serial, BLAS as installed", Settings()), ("serial, BLAS 1 thread", Settings(blas_threads=1)),
            (f"jobs={jobs}, BLAS 1 thread each", Settings(jobs=jobs, blas_threads=1)))
    for label, settings in runs:
        total = 0.0
        parts = []
        for check in lemma.checks:
            for case in check.cases(settings.mode):
                try:
                    result, seconds = timed(lambda: run_check(check, case, settings))
                    parts.append(f"{check.name} {seconds:.1f} s {result.status.value}")
                except Exception as error:  # a broken check is reported, not hidden
                    seconds = 0.0
                    parts.append(f"{check.name} ERROR {type(error).__name__}: {error}")
                total += seconds
        print(f"{LEMMA}, every check in DEFAULT mode, {label}: {total:.1f} s ({'; '.join(parts)})")
        emit(benchmark=f"full lemma check {LEMMA} (DEFAULT), {label}", size=f"{len(parts)} check-cases", median_s=total,
             note="; ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    try:
        bench_trials(args.trials, args.jobs)
        bench_full_lemma(args.jobs)
    finally:
        parallel.shutdown()


if __name__ == "__main__":
    main()
