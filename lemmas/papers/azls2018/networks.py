"""The data and networks of an AZLS check case, shared by the lemma modules.

The lemmas hold for fixed data with probability over the initialization, so a case fixes its inputs and
labels by a data seed of its own (independent of the trial seeds) and every trial redraws only the weights.
Inputs follow azls2018.md §1.1: unit norm, optionally with the constant last coordinate 1/√2 ([U] for AZLS,
case parameter ``bias``); labels |y| ≤ 1. Case parameters use the shared symbol names (m, L, n, d_out,
omega, delta_sep) so that they can be passed straight to :class:`~lemmas.symbolic.Bounds`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Mapping

import numpy as np

from lemmas.core import data, deep
from lemmas.core.deep import DeepParameterization, DeepWeights

#: Input dimension used when a case does not name one.
DEFAULT_D_IN = 16
_DATA_ENTROPY = 18110396


def parameterization(theta: Mapping[str, Any]) -> DeepParameterization:
    """The AZLS network of a case: width m, depth L, d_in, d_out, optional bias coordinate and variant kind."""
    kind = str(theta.get("kind", "dense"))
    extra = {}
    if kind == "conv":
        extra = {"positions": int(theta["positions"]), "kernel": int(theta["kernel"])}
    bias = 1.0 / math.sqrt(2.0) if theta.get("bias") else None
    return deep.azls(int(theta.get("d_in", DEFAULT_D_IN)), int(theta["m"]), int(theta["L"]), int(theta.get("d_out", 1)),
                     input_bias=bias, kind=kind, **extra)


@lru_cache(maxsize=128)
def _inputs(kind: str, n: int, d_in: int, bias: bool, data_seed: int, delta_sep: float) -> np.ndarray:
    rng = np.random.default_rng([_DATA_ENTROPY, data_seed])
    free = d_in - (1 if bias else 0)
    if kind == "sphere":
        Z = data.sphere(rng, n, free)
    elif kind == "pair":
        # two unit vectors at Euclidean distance exactly δ: angle θ with 2 sin(θ/2) = δ
        Z = data.two_points(2.0 * math.asin(delta_sep / 2.0), free)
    else:
        raise ValueError(f"unknown input kind {kind!r}")
    X = Z if not bias else np.hstack([Z / math.sqrt(2.0), np.full((n, 1), 1.0 / math.sqrt(2.0))])
    X.setflags(write=False)
    return X


def inputs(theta: Mapping[str, Any]) -> np.ndarray:
    """The case's inputs (n × d_in, unit rows): ``inputs`` = "sphere" (uniform) or "pair" (distance δ)."""
    kind = str(theta.get("inputs", "sphere"))
    n = 2 if kind == "pair" else int(theta.get("n", 1))
    return _inputs(kind, n, int(theta.get("d_in", DEFAULT_D_IN)), bool(theta.get("bias", False)),
                   int(theta.get("data_seed", 0)), float(theta.get("delta_sep", 0.0)))


@lru_cache(maxsize=128)
def _labels(n: int, d_out: int, data_seed: int) -> np.ndarray:
    Y = np.random.default_rng([_DATA_ENTROPY, data_seed, 1]).uniform(-1.0, 1.0, size=(n, d_out))
    Y.setflags(write=False)
    return Y


def labels(theta: Mapping[str, Any], n: int) -> np.ndarray:
    """Fixed labels y_i ∈ [−1, 1]^{d_out} (|y| ≤ O(1), azls2018.md §1.1)."""
    return _labels(n, int(theta.get("d_out", 1)), int(theta.get("data_seed", 0)))


def min_distance(X: np.ndarray) -> float:
    """min_{i≠j} ‖x_i − x_j‖ (the δ of Assumption 2.1 for these inputs)."""
    if X.shape[0] < 2:
        return math.inf
    G = X @ X.T
    sq = np.diag(G)[:, None] + np.diag(G)[None, :] - 2.0 * G
    np.fill_diagonal(sq, np.inf)
    return float(np.sqrt(max(np.min(sq), 0.0)))


def network(theta: Mapping[str, Any], rng: np.random.Generator) -> tuple[DeepParameterization, DeepWeights, np.ndarray]:
    """(parameterization, random initialization, inputs) of a case point."""
    param = parameterization(theta)
    return param, deep.init_params(param, rng), inputs(theta)


def rank_one(rng: np.random.Generator, shape: tuple[int, int], norm: float) -> np.ndarray:
    """A random rank-one matrix u vᵀ with ‖·‖₂ = norm exactly (a random point on the sphere of the ball)."""
    u = rng.standard_normal(shape[0])
    v = rng.standard_normal(shape[1])
    return np.outer(u * (norm / np.linalg.norm(u)), v / np.linalg.norm(v))


def random_point(rng: np.random.Generator, weights: DeepWeights, omega: float) -> DeepWeights:
    """W̆ = W(0) + a random rank-one perturbation of spectral norm ω in every layer (a point of the ω-ball)."""
    return weights.perturbed([rank_one(rng, W.shape, omega) for W in weights.Ws])


def numeric(theta: Mapping[str, Any]) -> dict[str, float]:
    """The numeric entries of a case point, to pass to ``bounds(...)`` by symbol name."""
    return {k: float(v) for k, v in theta.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
