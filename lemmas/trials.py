"""Trials and seeds: one API through which every check runs, and any single trial is replayed.

Each trial's generator derives from the run seed, the check's uid and the trial index alone
(``numpy.random.SeedSequence`` with a spawn key), never from execution order, so trials can run in any
order, in parallel, or one at a time in a replay, and give the same numbers.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import platform
import sys
import time
import zlib
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from lemmas.registry import Case, Check, Observation, Settings, get_lemma
from lemmas.result import CheckResult, classify

#: Called after each trial as progress(done, total); the CLI installs a progress bar here.
ProgressFn = Callable[[int, int], None]


def trial_seed(seed: int, uid: str, index: int) -> np.random.SeedSequence:
    """The seed sequence of trial ``index`` of the check-case ``uid`` in a run seeded with ``seed``."""
    key = zlib.crc32(uid.encode("utf-8"))
    return np.random.SeedSequence(entropy=[int(seed), key], spawn_key=(int(index),))


def trial_rng(seed: int, uid: str, index: int) -> np.random.Generator:
    return np.random.default_rng(trial_seed(seed, uid, index))


@contextmanager
def blas_threads(count: int | None) -> Iterator[None]:
    """Pin the BLAS thread count (``None`` leaves it unchanged)."""
    if count is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(count), user_api="blas"):
        yield


def current_blas_threads() -> int | None:
    try:
        from threadpoolctl import threadpool_info

        counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
        return counts[0] if counts else None
    except Exception:  # pragma: no cover - threadpoolctl missing or unusable
        return None


def environment() -> dict[str, Any]:
    """Versions and platform facts a report records next to every result."""
    import mpmath
    import scipy
    import sympy

    import lemmas

    return {
        "lemmas": lemmas.__version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "mpmath": mpmath.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "blas_threads": current_blas_threads(),
    }


def run_trial(check: Check, case: Case, index: int, settings: Settings, overrides: Mapping[str, Any]) -> Observation:
    """Run trial ``index`` of ``check`` on ``case``: the unit of work, of parallelism, and of replay."""
    assert check.lemma is not None
    bounds = check.lemma.bounds(overrides)
    rng = trial_rng(settings.seed, check.uid(case), index)
    return check.trial(case.params, index, rng, bounds)


TrialMap = Callable[[Check, Case, Sequence[int], Settings, Mapping[str, Any], ProgressFn | None], list[Observation]]


def serial_map(
    check: Check,
    case: Case,
    indices: Sequence[int],
    settings: Settings,
    overrides: Mapping[str, Any],
    progress: ProgressFn | None = None,
) -> list[Observation]:
    """Run the trials one after another in this process."""
    out = []
    for done, index in enumerate(indices, start=1):
        out.append(run_trial(check, case, index, settings, overrides))
        if progress:
            progress(done, len(indices))
    return out


def run_check(
    check: Check,
    case: Case,
    settings: Settings = Settings(),
    overrides: Mapping[str, Any] | None = None,
    progress: ProgressFn | None = None,
    trial_map: TrialMap | None = None,
) -> CheckResult:
    """Run every trial of ``check`` on ``case`` and classify the verdict."""
    assert check.lemma is not None
    overrides = dict(overrides or {})
    bounds = check.lemma.bounds(overrides)
    n_trials = settings.trials if settings.trials is not None else case.trials
    mapper = trial_map or _default_map(settings)
    start = time.perf_counter()
    pin = blas_threads(settings.blas_threads) if settings.blas_threads is not None else nullcontext()
    with pin:
        observations = mapper(check, case, range(n_trials), settings, overrides, progress)
        verdict = check.verdict(case.params, observations, bounds, settings)
    elapsed = time.perf_counter() - start
    status = classify(
        verdict.outcome,
        hypotheses_held=verdict.hypotheses_held,
        confirmed=check.confirmed,
        erratum=check.erratum is not None,
    )
    return CheckResult(
        uid=check.uid(case),
        lemma=check.lemma.id,
        check=check.name,
        case=dict(case.params),
        kind=check.kind.value,
        claim=check.claim,
        status=status,
        verdict=verdict,
        confirmed=check.confirmed,
        erratum=check.erratum,
        seed=settings.seed,
        n_trials=n_trials,
        overrides={k: str(v) for k, v in overrides.items()},
        elapsed=elapsed,
        environment=environment(),
        observations=list(observations),
    )


def _default_map(settings: Settings) -> TrialMap:
    if settings.scheduler:
        from lemmas.parallel import dask_map  # optional engine, see lemmas/parallel.py

        return dask_map
    if settings.jobs and settings.jobs > 1:
        from lemmas.parallel import process_map

        return process_map
    return serial_map


# ---------------------------------------------------------------------------------------------------------
# Replay files: one trial, reproducible alone.


#: The format string of replay files. Their ``"source"`` section (provenance) is optional: files written
#: before it existed replay as before, only without the check that the trial's code is unchanged.
REPLAY_FORMAT = "lemmas-replay/1"


def source_provenance(check: Check) -> dict[str, Any]:
    """Where the code of ``check``'s trials lives: the module defining its trial function, the SHA-256 of that
    module's source file (``None`` if it has none), and this package's version. A replay that differs while
    the hash differs too may be due to the code, not the seed."""
    import lemmas

    try:
        path = inspect.getsourcefile(check.trial)
    except TypeError:  # a callable without Python source
        path = None
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
    return {"module": check.trial.__module__, "sha256": digest, "lemmas_version": lemmas.__version__}


def source_changed(record: Mapping[str, Any], check: Check) -> bool:
    """Whether the source hash recorded in a replay file differs from that of ``check``'s trial module now
    (False for a file without provenance)."""
    recorded = record.get("source")
    if not isinstance(recorded, Mapping) or recorded.get("sha256") is None:
        return False
    return source_provenance(check)["sha256"] != recorded["sha256"]


def trial_replay_record(
    lemma: str,
    check: str,
    *,
    uid: str,
    case: Mapping[str, Any],
    seed: int,
    index: int,
    overrides: Mapping[str, str],
    observation: Observation | None,
    environment: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON-safe fields every replay file holds for trial ``index`` of check ``lemma:check`` on the case
    with params ``case``; writers add their own sections on top (the audit adds ``"audit"``). The provenance
    (``"source"``) comes from the registered check; a lemma not in the registry, which no replay could find
    either, gets none."""
    from lemmas.result import _json_safe

    record = {
        "format": REPLAY_FORMAT,
        "lemma": lemma,
        "check": check,
        "case": dict(case),
        "seed": seed,
        "index": index,
        "overrides": dict(overrides),
        "observation": observation,
        "environment": dict(environment),
        "uid": uid,
    }
    try:
        record["source"] = source_provenance(get_lemma(lemma).check(check))
    except KeyError:  # not registered
        pass
    return _json_safe(record)


def replay_record(result: CheckResult, index: int) -> dict[str, Any]:
    """What a replay file holds for trial ``index`` of ``result``."""
    return trial_replay_record(
        result.lemma, result.check, uid=result.uid, case=result.case, seed=result.seed, index=index,
        overrides=result.overrides, environment=result.environment,
        observation=result.observations[index] if index < len(result.observations) else None,
    )


def write_replay(result: CheckResult, index: int, path: str | Path) -> Path:
    """Write the replay file of trial ``index`` of ``result`` to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(replay_record(result, index), indent=1, sort_keys=True))
    return path


def find_case(check: Check, params: Mapping[str, Any]) -> Case:
    """The case of ``check`` with these params, in any mode (replays name cases by their params)."""
    from lemmas.registry import Mode

    wanted = json.loads(json.dumps(dict(params)))
    for mode in Mode:
        for case in check.cases(mode):
            if json.loads(json.dumps(dict(case.params))) == wanted:
                return case
    return Case(params=dict(params), trials=1)


def replay(path: str | Path, blas: int | None = None) -> tuple[Observation, Observation | None]:
    """Re-run the single trial recorded in ``path``: returns (new observation, recorded observation)."""
    import sympy as sp

    record = json.loads(Path(path).read_text())
    lemma = get_lemma(record["lemma"])
    check = lemma.check(record["check"])
    case = find_case(check, record["case"])
    settings = Settings(seed=int(record["seed"]))
    overrides = {k: sp.sympify(v) for k, v in record.get("overrides", {}).items()}
    threads = blas if blas is not None else record.get("environment", {}).get("blas_threads")
    with blas_threads(threads):
        fresh = run_trial(check, case, int(record["index"]), settings, overrides)
    from lemmas.result import _json_safe

    return _json_safe(fresh), record.get("observation")
