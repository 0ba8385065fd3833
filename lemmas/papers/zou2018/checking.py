"""Plumbing shared by the Zou et al. lemma modules: case lists per mode, the fixed data of a case, and the
observation of a symbolic (derivation) trial. No aggregation rule lives here (those are in lemmas.checks)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.papers.zou2018 import data
from lemmas.registry import Case, Mode

#: The root of every case's data seed (the data of a case never depends on the trial seeds).
DATA_ROOT = 18110888


def cases(mode: Mode, default: Sequence[Case], full: Sequence[Case] = (), quick_trials: int | None = None) -> list[Case]:
    """QUICK: the first default case with ``quick_trials`` trials (or its own count); DEFAULT: ``default``;
    FULL: ``default`` plus ``full``."""
    if mode is Mode.QUICK:
        first = default[0]
        return [Case(dict(first.params), trials=quick_trials or first.trials)]
    return list(default) + (list(full) if mode is Mode.FULL else [])


@lru_cache(maxsize=128)
def _dataset(kind: str, n: int, d: int, mu: float, phi: float | None, seed: int) -> data.Dataset:
    return data.make(kind, np.random.default_rng([DATA_ROOT, seed]), n, d, mu, phi)


def case_data(params: Mapping[str, Any]) -> data.Dataset:
    """The fixed training set named by a case: ``data`` (kind), ``n``, ``d``, ``mu``, ``phi`` (target), ``data_seed``."""
    phi = params.get("phi")
    return _dataset(str(params["data"]), int(params["n"]), int(params["d"]), float(params["mu"]),
                    None if phi is None else float(phi), int(params.get("data_seed", 0)))


def symbolic_observation(derived: sp.Expr, claimed: sp.Expr, **extra: Any) -> dict[str, Any]:
    """A derivation's result against the claimed (printed or corrected) value: ``error`` = |derived − claimed|
    after simplification (0 exactly when they agree), with both in LaTeX and as floats where numeric."""
    difference = sp.simplify(sp.nsimplify(derived) - sp.nsimplify(claimed))
    error = 0.0 if difference == 0 else (float(abs(difference)) if difference.is_number else float("inf"))
    return {"hypotheses": {}, "derived": sp.sstr(derived), "claimed": sp.sstr(claimed), "error": error,
            "difference": sp.sstr(difference), **extra}
