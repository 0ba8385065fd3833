"""Data generators for the two-layer lemmas: unit-norm inputs with controlled geometry.

Every generator takes a ``numpy.random.Generator`` (or is deterministic) and returns rows of unit norm.
"""

from __future__ import annotations

import numpy as np

from lemmas.core.validation import InputError


def normalize_rows(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1)
    if np.any(norms == 0):
        raise InputError("normalize_rows: a row is zero")
    return X / norms[:, None]


def sphere(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """n points uniform on the unit sphere S^{d−1}."""
    if n < 1 or d < 1:
        raise InputError(f"sphere: need n >= 1 and d >= 1, got n={n}, d={d}")
    return normalize_rows(rng.standard_normal((n, d)))


def two_points(theta: float, d: int = 2) -> np.ndarray:
    """Two unit vectors at angle θ in the first coordinate plane of ℝ^d."""
    if d < 2:
        raise InputError("two_points: need d >= 2")
    X = np.zeros((2, d))
    X[0, 0] = 1.0
    X[1, 0], X[1, 1] = np.cos(theta), np.sin(theta)
    return X


def near_parallel_pair(rng: np.random.Generator, n: int, d: int, theta: float) -> np.ndarray:
    """n − 2 points uniform on the sphere plus one pair at angle θ (the pair is rows 0 and 1)."""
    X = sphere(rng, n, d)
    u = X[0]
    v = rng.standard_normal(d)
    v -= (v @ u) * u
    v /= np.linalg.norm(v)
    X[1] = np.cos(theta) * u + np.sin(theta) * v
    return normalize_rows(X)


def with_duplicate(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """n points on the sphere where row 1 duplicates row 0 (λ0 = 0 exactly)."""
    X = sphere(rng, n, d)
    X[1] = X[0]
    return X


def dependent_antipodal_pairs() -> np.ndarray:
    """{±e1, ±e2, ±(e1+e2)/√2} ⊂ ℝ²: antipodal pairs with dependent directions, so H∞ is singular (spec §4)."""
    v = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]) / np.array([[1.0], [1.0], [np.sqrt(2.0)]])
    return np.concatenate([v, -v])


def generic_plus_antipode(rng: np.random.Generator, d: int = 3) -> np.ndarray:
    """Three generic points plus the antipode of one: parallel inputs, yet λ0 > 0 (sufficient, not necessary)."""
    X = sphere(rng, 3, d)
    return np.vstack([X, -X[0]])


def min_separation(X: np.ndarray) -> float:
    """min over i ≠ j of min(‖x_i − x_j‖, ‖x_i + x_j‖): how far the set is from having parallel inputs."""
    from lemmas.core.twolayer import angles

    theta = angles(X)
    np.fill_diagonal(theta, np.nan)
    chord = 2.0 * np.sin(np.minimum(theta, np.pi - theta) / 2.0)
    return float(np.nanmin(chord))


def separated(rng: np.random.Generator, n: int, d: int, sep: float, max_tries: int = 10_000) -> np.ndarray:
    """n unit points with min(‖x_i − x_j‖, ‖x_i + x_j‖) ≥ sep for all i ≠ j (sequential rejection)."""
    rows: list[np.ndarray] = []
    for _ in range(max_tries):
        x = sphere(rng, 1, d)[0]
        if all(min(np.linalg.norm(x - r), np.linalg.norm(x + r)) >= sep for r in rows):
            rows.append(x)
            if len(rows) == n:
                return np.array(rows)
    raise InputError(f"separated: could not place {n} points with separation {sep} in d={d}")
