"""Fixed training inputs of a check case and their certified λ0, shared by the Du et al. lemma modules.

The lemmas hold *for fixed data* with probability over the initialisation, so a case fixes its inputs
by a data seed of its own (independent of the trial seeds) and every trial redraws only the weights.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

import numpy as np

from lemmas.core import data


@lru_cache(maxsize=64)
def _inputs(kind: str, n: int, d: int, data_seed: int, angle: float) -> np.ndarray:
    rng = np.random.default_rng([20181005, data_seed])
    if kind == "sphere":
        X = data.sphere(rng, n, d)
    elif kind == "near_parallel":
        X = data.near_parallel_pair(rng, n, d, angle)
    elif kind == "orthogonal":
        X = np.eye(d)[:n]
    else:
        raise ValueError(f"unknown input kind {kind!r}")
    X.setflags(write=False)
    return X


def case_inputs(params: Mapping[str, Any]) -> np.ndarray:
    """The inputs X (n × d, unit rows) named by a case's params: ``inputs``, ``n``, ``d``, ``data_seed``."""
    return _inputs(str(params.get("inputs", "sphere")), int(params["n"]), int(params["d"]), int(params.get("data_seed", 0)), float(params.get("angle", 0.0)))


@lru_cache(maxsize=64)
def _lambda0(kind: str, n: int, d: int, data_seed: int, angle: float) -> tuple[float, float]:
    from lemmas.certify import certified_lambda0

    lo, hi = certified_lambda0(_inputs(kind, n, d, data_seed, angle))
    return float(lo), float(hi)


def case_lambda0(params: Mapping[str, Any]) -> tuple[float, float]:
    """Certified enclosure (lo, hi) of λ0 = λ_min(H∞) for the case's inputs."""
    return _lambda0(str(params.get("inputs", "sphere")), int(params["n"]), int(params["d"]), int(params.get("data_seed", 0)), float(params.get("angle", 0.0)))


@lru_cache(maxsize=64)
def _gram_infinity(kind: str, n: int, d: int, data_seed: int, angle: float) -> tuple[np.ndarray, np.ndarray]:
    from lemmas.certify import gram_infinity_enclosure

    mid, rad = gram_infinity_enclosure(_inputs(kind, n, d, data_seed, angle))
    mid.setflags(write=False)
    rad.setflags(write=False)
    return mid, rad


def case_gram_infinity(params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """H∞ of the case's inputs as (mid, rad): a float matrix and a rigorous entrywise radius."""
    return _gram_infinity(str(params.get("inputs", "sphere")), int(params["n"]), int(params["d"]), int(params.get("data_seed", 0)), float(params.get("angle", 0.0)))
