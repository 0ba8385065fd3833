"""Trials of one check on several worker processes or on a Dask cluster, with the serial run's results.

Both engines have the :data:`lemmas.trials.TrialMap` contract of :func:`lemmas.trials.serial_map`:
``engine(check, case, indices, settings, overrides, progress) -> observations`` in index order.

Why the results equal the serial run's: a trial's generator derives from (run seed, check uid, trial index)
alone (:func:`lemmas.trials.trial_seed`), and a worker runs exactly :func:`lemmas.trials.run_trial`, so the
assignment of trials to workers and the order in which they finish change nothing. A worker finds the check
by lemma id and check name in its own registry (closures are never pickled); it first imports the module
that defines the check, so checks registered outside :mod:`lemmas.papers` are found too.

BLAS threads: each worker pins its BLAS libraries to ``settings.blas_threads`` threads, or to one thread
when that is unset, so ``jobs`` workers use ``jobs`` cores instead of ``jobs × cores`` competing threads.
Bit-for-bit equality with a serial run holds when both use the same BLAS thread count (threaded BLAS
reductions may sum in another order); the CLI pins ``--blas-threads 1`` for that reason.

Engines:

* :func:`process_map`: ``settings.jobs`` local processes (``spawn`` start method: no fork of a process
  holding BLAS or client threads). The pool is kept between checks so a report pays the start-up (imports
  and registry discovery in each worker) once; :func:`shutdown` closes it.
* :func:`dask_map`: a Dask ``distributed`` cluster (optional extra ``lemmas[dask]``), at the address given
  to :func:`configure` (``scheduler="tcp://host:port"``), or a ``LocalCluster`` of ``settings.jobs``
  single-threaded worker processes on 127.0.0.1 for ``scheduler="local"``.
"""

from __future__ import annotations

import atexit
import importlib
import math
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Sequence

from lemmas.registry import Case, Check, Observation, Settings
from lemmas.trials import ProgressFn, blas_threads, run_trial

#: Batches per worker: enough to balance uneven trials and to feed the progress bar, few enough that the
#: per-batch overhead (pickling, scheduling) stays negligible.
BATCHES_PER_WORKER = 8
#: ``scheduler`` value that asks for a Dask LocalCluster on this machine.
LOCAL = "local"


@dataclass
class _Config:
    scheduler: str | None = None


_CONFIG = _Config()


def configure(scheduler: str | None = None) -> None:
    """Choose the Dask scheduler used by :func:`dask_map` when ``settings`` names none.

    ``scheduler`` is an address such as ``"tcp://host:8786"``, ``"local"`` for a LocalCluster on this
    machine, or ``None`` (no cluster configured).
    """
    _CONFIG.scheduler = scheduler


def available_cores() -> int:
    """Cores this process may run on (the CLI's default for ``--jobs``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------------------------------------------------
# What a worker runs.


@dataclass(frozen=True)
class TrialBatch:
    """Everything a worker needs to run some trials of one check-case: names and values, no closures."""

    module: str                  # the module that defines the check (imported by the worker: it registers)
    lemma: str
    check: str
    case: Case
    indices: tuple[int, ...]
    settings: Settings
    overrides: Mapping[str, Any]
    threads: int                 # BLAS threads in the worker

    @classmethod
    def of(cls, check: Check, case: Case, indices: Iterable[int], settings: Settings,
           overrides: Mapping[str, Any], threads: int) -> "TrialBatch":
        assert check.lemma is not None, "check not attached to a lemma"
        trial = getattr(check.trial, "func", check.trial)            # unwrap a functools.partial
        module = getattr(trial, "__module__", None) or "lemmas.registry"
        return cls(module, check.lemma.id, check.name, case, tuple(int(i) for i in indices),
                   settings, dict(overrides), threads)


@lru_cache(maxsize=None)
def _lookup(module: str, lemma_id: str, check_name: str) -> Check:
    from lemmas.registry import get_lemma

    importlib.import_module(module)
    try:
        return get_lemma(lemma_id).check(check_name)
    except KeyError:
        raise LookupError(f"lemma {lemma_id!r} is not registered when its module {module!r} is imported (registered "
                          "at run time in one process?): a worker cannot run its trials; run it with jobs=1 "
                          "(--jobs 1)") from None


@lru_cache(maxsize=None)
def _prepare_worker() -> None:
    """Load SciPy's BLAS next to NumPy's before threads are pinned (threadpoolctl pins loaded libraries only)."""
    import scipy.linalg  # noqa: F401


def run_batch(batch: TrialBatch) -> list[Observation]:
    """Run a batch's trials in this process with pinned BLAS threads (the worker-side entry point)."""
    _prepare_worker()
    check = _lookup(batch.module, batch.lemma, batch.check)   # imports the lemma modules, before pinning
    with blas_threads(batch.threads):
        return [run_trial(check, batch.case, index, batch.settings, batch.overrides) for index in batch.indices]


def _worker_threads(settings: Settings) -> int:
    return int(settings.blas_threads) if settings.blas_threads is not None else 1


def _submit_batches(submit: Callable[[TrialBatch], Any], check: Check, case: Case, indices: Sequence[int],
                    settings: Settings, overrides: Mapping[str, Any], workers: int) -> dict[Any, tuple[int, int]]:
    """Split ``indices`` into contiguous batches and submit each; returns future -> (position, size)."""
    size = max(1, math.ceil(len(indices) / (workers * BATCHES_PER_WORKER)))
    threads = _worker_threads(settings)
    pending = {}
    for position, start in enumerate(range(0, len(indices), size)):
        chunk = indices[start : start + size]
        pending[submit(TrialBatch.of(check, case, chunk, settings, overrides, threads))] = (position, len(chunk))
    return pending


def _collect(pending: Mapping[Any, tuple[int, int]], completed: Callable[[Iterable[Any]], Iterable[Any]],
             progress: ProgressFn | None) -> list[Observation]:
    """Gather batch results as they complete, feeding ``progress``; return observations in index order."""
    total = sum(size for _, size in pending.values())
    batches: list[list[Observation]] = [[] for _ in pending]
    done = 0
    for future in completed(pending):
        position, size = pending[future]
        batches[position] = future.result()
        done += size
        if progress:
            progress(done, total)
    return [obs for batch in batches for obs in batch]


# ---------------------------------------------------------------------------------------------------------
# Local processes.

_POOLS: dict[int, ProcessPoolExecutor] = {}


def _pool(workers: int) -> ProcessPoolExecutor:
    pool = _POOLS.get(workers)
    if pool is None:
        import multiprocessing

        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_prepare_worker)
        _POOLS[workers] = pool
    return pool


def process_map(
    check: Check,
    case: Case,
    indices: Sequence[int],
    settings: Settings,
    overrides: Mapping[str, Any],
    progress: ProgressFn | None = None,
) -> list[Observation]:
    """Run the trials on ``settings.jobs`` local worker processes; observations in index order."""
    from concurrent.futures.process import BrokenProcessPool

    indices = list(indices)
    if not indices:
        return []
    workers = max(1, min(int(settings.jobs), len(indices)))
    pool = _pool(workers)
    pending = _submit_batches(lambda batch: pool.submit(run_batch, batch), check, case, indices, settings, overrides, workers)
    try:
        return _collect(pending, as_completed, progress)
    except BrokenProcessPool:
        _discard_pool(workers)
        raise
    finally:
        for future in pending:
            future.cancel()


def _discard_pool(workers: int) -> None:
    pool = _POOLS.pop(workers, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------------------------------------------------
# Dask distributed.

_CLIENTS: dict[tuple[str, int], Any] = {}


def _scheduler(settings: Settings) -> str:
    address = settings.scheduler or _CONFIG.scheduler
    if not address:
        raise ValueError("dask_map: no scheduler; pass --scheduler tcp://host:port (or 'local'), "
                         "or call lemmas.parallel.configure(scheduler=...)")
    return str(address)


def _client(address: str, workers: int) -> Any:
    """A cached ``distributed.Client`` for ``address`` (a LocalCluster of ``workers`` processes for 'local')."""
    try:
        import distributed
    except ImportError as error:
        raise ImportError("the Dask engine needs the optional extra: pip install 'lemmas[dask]'") from error
    key = (address, workers if address == LOCAL else 0)
    client = _CLIENTS.get(key)
    if client is None or client.status != "running":
        if address == LOCAL:
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=None)
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(address)
        _CLIENTS[key] = client
    return client


def dask_map(
    check: Check,
    case: Case,
    indices: Sequence[int],
    settings: Settings,
    overrides: Mapping[str, Any],
    progress: ProgressFn | None = None,
) -> list[Observation]:
    """Run the trials on a Dask cluster (see :func:`configure`); observations in index order.

    Workers must have the same ``lemmas`` installed (and the same BLAS, for bit-for-bit equality).
    """
    indices = list(indices)
    if not indices:
        return []
    address = _scheduler(settings)
    client = _client(address, int(settings.jobs) if settings.jobs > 1 else available_cores())
    import distributed

    workers = max(1, sum(client.nthreads().values()))                # task slots over the whole cluster
    pending = _submit_batches(lambda batch: client.submit(run_batch, batch, pure=False),
                              check, case, indices, settings, overrides, workers)
    try:
        return _collect(pending, distributed.as_completed, progress)
    except BaseException:
        client.cancel(list(pending))
        raise


def shutdown() -> None:
    """Close the worker pools and Dask clients this module started (also run at interpreter exit)."""
    for workers in list(_POOLS):
        pool = _POOLS.pop(workers)
        pool.shutdown(wait=True, cancel_futures=True)
    for key in list(_CLIENTS):
        client = _CLIENTS.pop(key)
        cluster = client.cluster if key[0] == LOCAL else None
        client.close()
        if cluster is not None:
            cluster.close()


atexit.register(shutdown)
