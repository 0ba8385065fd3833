"""Training sets of spec §6: unit inputs with last coordinate μ, labels ±1, and adversarial configurations.

Assumption 3.4 [V p.5]: ‖x_i‖ = 1 and (x_i)_d = μ. Assumption 3.5: ‖x_i − x_i′‖ ≥ φ whenever y_i ≠ y_i′ (only
opposite labels; same-label points may coincide). Every generator returns a :class:`Dataset` whose φ is
*measured* (:func:`separation`), never the target it was built for, and checks report it with μ.

Generators (spec §6 "Data generators"):
* :func:`random_sphere`: x = (√(1 − μ²)·u, μ), u uniform on S^{d−2}, random balanced labels;
* :func:`opposite_pairs`: pairs of opposite labels at distance exactly φ (a small rotation of the bulk part);
* :func:`clusters`: same-label clusters (duplicates allowed) whose centres alternate labels at distance φ;
* :func:`arc`: points on an arc, consecutive distance φ, alternating labels (the A.14 configuration);
* :func:`antipodal`: bulk directions ±u (the A.12 counterexample in d = 2: x = (±√(1 − μ²), μ)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lemmas.core.validation import InputError


@dataclass(frozen=True)
class Dataset:
    """Inputs X (n × d, unit rows, last coordinate μ), labels y ∈ {±1}ⁿ, μ, and the measured φ."""

    X: np.ndarray
    y: np.ndarray
    mu: float
    phi: float
    kind: str

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    def describe(self) -> dict[str, float | int | str]:
        return {"kind": self.kind, "n": self.n, "d": self.d, "mu": self.mu, "phi": self.phi}


def _check_mu(mu: float) -> float:
    if not 0.0 < mu < 1.0:
        raise InputError(f"mu: Assumption 3.4 needs μ ∈ (0, 1), got {mu}")
    return float(mu)


def lift(U: np.ndarray, mu: float) -> np.ndarray:
    """x = (√(1 − μ²)·u/‖u‖, μ) for each row u of U: unit norm with last coordinate μ."""
    mu = _check_mu(mu)
    U = np.asarray(U, dtype=np.float64)
    norms = np.linalg.norm(U, axis=1)
    if np.any(norms == 0):
        raise InputError("lift: a bulk direction is zero")
    return np.hstack([math.sqrt(1.0 - mu * mu) * U / norms[:, None], np.full((U.shape[0], 1), mu)])


def separation(X: np.ndarray, y: np.ndarray) -> float:
    """φ(X, y) = min{‖x_i − x_i′‖ : y_i ≠ y_i′} (zou2018.md §1.1 [D]); +∞ if only one label occurs."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    pos, neg = X[y > 0], X[y < 0]
    if pos.size == 0 or neg.size == 0:
        return math.inf
    # direct differences (the Gram-matrix form loses digits exactly where it matters, at small φ)
    dist = np.linalg.norm(pos[:, None, :] - neg[None, :, :], axis=2)
    return float(np.min(dist))


def _dataset(X: np.ndarray, y: np.ndarray, mu: float, kind: str) -> Dataset:
    X.setflags(write=False)
    y = np.asarray(y, dtype=np.float64)
    y.setflags(write=False)
    return Dataset(X=X, y=y, mu=mu, phi=separation(X, y), kind=kind)


def balanced_labels(rng: np.random.Generator, n: int) -> np.ndarray:
    """n labels ±1 in random order, ⌈n/2⌉ of them +1 (both labels occur when n ≥ 2)."""
    return rng.permutation(np.where(np.arange(n) < (n + 1) // 2, 1.0, -1.0))


def random_sphere(rng: np.random.Generator, n: int, d: int, mu: float) -> Dataset:
    """Generator (a) of spec §6: bulk directions uniform on S^{d−2}, random balanced labels."""
    if n < 2 or d < 2:
        raise InputError(f"random_sphere: need n >= 2 and d >= 2, got n={n}, d={d}")
    return _dataset(lift(rng.standard_normal((n, d - 1)), mu), balanced_labels(rng, n), mu, "random_sphere")


def _chord_angle(phi: float, mu: float) -> float:
    """The angle θ between bulk directions u, u′ for which ‖x − x′‖ = 2√(1 − μ²) sin(θ/2) = φ."""
    r = math.sqrt(1.0 - mu * mu)
    if not 0.0 < phi <= 2.0 * r:
        raise InputError(f"phi: need 0 < φ <= 2√(1 − μ²) = {2 * r:.4g}, got {phi}")
    return 2.0 * math.asin(phi / (2.0 * r))


def _rotate_towards(u: np.ndarray, w: np.ndarray, theta: float) -> np.ndarray:
    """Rotate unit u by θ in the plane spanned by u and w."""
    w = w - (w @ u) * u
    w /= np.linalg.norm(w)
    return math.cos(theta) * u + math.sin(theta) * w


def opposite_pairs(rng: np.random.Generator, pairs: int, d: int, mu: float, phi: float) -> Dataset:
    """``pairs`` pairs (x, x′) with labels (+1, −1) at distance exactly φ; pair centres uniform (d ≥ 3)."""
    if d < 3:
        raise InputError("opposite_pairs: need d >= 3 (the bulk sphere S^{d−2} must have a rotation plane)")
    theta = _chord_angle(phi, mu)
    U = rng.standard_normal((pairs, d - 1))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    V = np.stack([_rotate_towards(u, rng.standard_normal(d - 1), theta) for u in U])
    X = lift(np.vstack([U, V]), mu)
    y = np.concatenate([np.ones(pairs), -np.ones(pairs)])
    order = rng.permutation(2 * pairs)
    return _dataset(X[order], y[order], mu, "opposite_pairs")


def clusters(rng: np.random.Generator, k: int, size: int, d: int, mu: float, phi: float, spread: float = 0.0) -> Dataset:
    """k clusters of ``size`` same-label points; centres on an arc at consecutive distance φ with alternating
    labels; points within a cluster perturbed by ``spread`` (0 gives exact duplicates, allowed in ZCZG)."""
    base = arc(rng, k, d, mu, phi)
    U = np.repeat(base.X[:, :-1], size, axis=0)
    if spread > 0:
        U = U + spread * rng.standard_normal(U.shape)
    X = lift(U, mu)
    return _dataset(X, np.repeat(base.y, size), mu, "clusters")


def arc(rng: np.random.Generator, n: int, d: int, mu: float, phi: float) -> Dataset:
    """n points on a great-circle arc of the bulk sphere, consecutive distance φ, labels alternating."""
    if d < 3:
        raise InputError("arc: need d >= 3")
    theta = _chord_angle(phi, mu)
    Q, _ = np.linalg.qr(rng.standard_normal((d - 1, 2)))
    angles = theta * np.arange(n)
    U = np.outer(np.cos(angles), Q[:, 0]) + np.outer(np.sin(angles), Q[:, 1])
    return _dataset(lift(U, mu), np.where(np.arange(n) % 2 == 0, 1.0, -1.0), mu, "arc")


def antipodal(rng: np.random.Generator, n: int, d: int, mu: float) -> Dataset:
    """Bulk directions ±u (n/2 antipodal pairs, opposite labels): x_iᵀx_i′ = 2μ² − 1 < μ² for each pair.
    With d = 2 this is the A.12 counterexample x = (±√(1 − μ²), μ) (erratum E11)."""
    if n % 2:
        raise InputError(f"antipodal: need an even n, got {n}")
    U = rng.standard_normal((n // 2, d - 1)) if d > 2 else np.ones((n // 2, 1))
    X = lift(np.vstack([U, -U]), mu)
    y = np.concatenate([np.ones(n // 2), -np.ones(n // 2)])
    return _dataset(X, y, mu, "antipodal")


def make(kind: str, rng: np.random.Generator, n: int, d: int, mu: float, phi: float | None = None) -> Dataset:
    """A dataset by name: random_sphere, opposite_pairs (n even), clusters (clusters of 2), arc, antipodal."""
    if kind == "random_sphere":
        return random_sphere(rng, n, d, mu)
    if kind == "opposite_pairs":
        return opposite_pairs(rng, n // 2, d, mu, float(phi))
    if kind == "clusters":
        return clusters(rng, n // 2, 2, d, mu, float(phi), spread=0.0)
    if kind == "arc":
        return arc(rng, n, d, mu, float(phi))
    if kind == "antipodal":
        return antipodal(rng, n, d, mu)
    raise InputError(f"unknown data kind {kind!r}")
