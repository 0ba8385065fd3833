"""The finite-width Gram matrix under activation flips, and a worst-case search over per-neuron balls.

H(W) = (XXᵀ) ∘ (SSᵀ)/m (DZPS eq. 6) depends on W only through the activation patterns S_ir = 𝕀{w_rᵀx_i ≥ 0}.
Inside the balls ‖w_r − w_r(0)‖ ≤ R only the pairs (r, i) with |w_r(0)ᵀx_i| < R can flip (DZPS, proof of
Lemma 3.2), and there are few of them, so a search over the ball is a search over sets of flips. This module
makes each step of such a search cost what the flips cost, not what the width costs:

* :class:`FlipGram` keeps the exact pattern counts SSᵀ and H current while single neurons change their
  patterns: a change of neuron r at the samples D costs O(n·|D|), against O(n²m) for recomputing H.
  :class:`RecomputedGram` has the same interface and recomputes H from the explicit weights (the reference,
  and the baseline of ``benchmarks/bench_lemma32_search.py``).
* :class:`WarmMinEig`: λ_min of a sequence of nearby matrices, by inverse iteration with Rayleigh-quotient
  shifts started from the last accepted eigenvector; every shift is guarded by a Cholesky factorisation, so
  it converges to the smallest eigenvalue and not to a neighbour; dense fallback otherwise.
* :func:`perturbation_norm`: ‖H − H(0)‖₂ from the changed rows only (the difference has rank ≤ 2|D|).
* :func:`flippable_pairs` (a rigorous superset of the pairs that can flip) and :func:`perturbation_bound`
  (the proof's W-independent entrywise bound on |H − H(0)| over the whole ball).
* :func:`realise`: explicit weights w_r(0) + Δ, ‖Δ‖ < R, that flip exactly a chosen set of neuron r's patterns
  (a least-distance program), verified in floating point.
* :func:`flip_search`: greedy best-improvement search over the flippable pairs, with random restarts.

Nothing here knows about lemmas: callers bring the radius and the objective.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np
import scipy.linalg
import scipy.optimize

from lemmas.core.twolayer import default_chunk, gram_rounding_radius, pattern_counts
from lemmas.core.validation import InputError, as_matrix

#: Relative safety margin of a realised flip: every flippable pre-activation of a moved neuron ends at least
#: MARGIN·R away from 0 and every displacement has norm at most (1 − MARGIN)·R, so the realised patterns and
#: the ball membership do not depend on the rounding of the dot products (|error| ≈ 1e-16·‖w‖ ≪ MARGIN·R).
MARGIN = 1e-6

_U = np.finfo(np.float64).eps / 2


# ---------------------------------------------------------------------------------------------------------
# H under pattern changes


class FlipState:
    """A point of the search: the movable neurons' weights and patterns, and H there (see the two subclasses)."""

    def __init__(self, X: np.ndarray, m: int, weights0: np.ndarray, columns0: np.ndarray) -> None:
        self.X = X
        self.m = int(m)
        self.K = X @ X.T
        self.weights0 = np.array(weights0, dtype=np.float64)      # k × d: w_r(0) of the movable neurons
        self.weights = self.weights0.copy()
        self.base = np.array(columns0, dtype=bool)               # k × n: their patterns in S(0)
        self.columns = self.base.copy()
        self._differs = np.zeros(X.shape[0], dtype=np.int64)      # per sample: moved neurons whose pattern differs

    @property
    def changed_samples(self) -> np.ndarray:
        """Samples i at which some neuron's pattern differs from S(0): H − H(0) vanishes outside their rows/columns."""
        return np.flatnonzero(self._differs)

    def _record(self, k: int, weights: np.ndarray, column: np.ndarray, rows: np.ndarray) -> None:
        base = self.base[k, rows]
        self._differs[rows] += (column[rows] != base).astype(np.int64) - (self.columns[k, rows] != base)
        self.columns[k] = column
        self.weights[k] = weights

    def reset(self) -> None:
        """Move every neuron back to W(0)."""
        for k in np.flatnonzero(np.any(self.columns != self.base, axis=1)):
            self.set_neuron(int(k), self.weights0[k], self.base[k])
        self.weights[:] = self.weights0

    def set_neuron(self, k: int, weights: np.ndarray, column: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class FlipGram(FlipState):
    """H = (XXᵀ) ∘ C/m with exact counts C = SSᵀ, updated in O(n·|D|) when one neuron's pattern changes at D.

    ``counts0`` = S(0)S(0)ᵀ (exact integers in float64, e.g. :func:`lemmas.core.twolayer.pattern_counts`);
    ``weights0`` (k × d) and ``columns0`` (k × n, bool) are the initial weights and patterns of the k neurons
    that may move. Entries are formed as in :func:`lemmas.core.twolayer.gram` (K_ij·C_ij/m), so H equals a
    full recomputation bit for bit whenever the counts do.
    """

    def __init__(self, X: np.ndarray, counts0: np.ndarray, m: int, weights0: np.ndarray, columns0: np.ndarray) -> None:
        super().__init__(X, m, weights0, columns0)
        self.counts = np.array(counts0, dtype=np.float64)
        self.H0 = self.K * self.counts / self.m
        self.H = self.H0.copy()

    def set_neuron(self, k: int, weights: np.ndarray, column: np.ndarray) -> None:
        """Give movable neuron k the weights ``weights`` whose pattern is ``column`` (n bools)."""
        old = self.columns[k]
        rows = np.flatnonzero(old != column)
        if rows.size:
            new_f, old_f = column.astype(np.float64), old.astype(np.float64)
            # (s′s′ᵀ − ssᵀ) vanishes outside the rows and columns where s′ ≠ s; counts stay exact integers.
            self.counts[rows, :] += np.outer(new_f[rows], new_f) - np.outer(old_f[rows], old_f)
            self.counts[:, rows] = self.counts[rows, :].T
            self.H[rows, :] = self.K[rows, :] * self.counts[rows, :] / self.m
            self.H[:, rows] = self.K[:, rows] * self.counts[:, rows] / self.m
        self._record(k, weights, column, rows)


class RecomputedGram(FlipState):
    """The interface of :class:`FlipGram`, recomputing SSᵀ from the full explicit W whenever H is read after a
    change: O(n²m) per evaluated point. The reference for tests and the baseline of the benchmark."""

    def __init__(self, X: np.ndarray, W0: np.ndarray, neurons: np.ndarray, columns0: np.ndarray) -> None:
        super().__init__(X, W0.shape[0], W0[neurons], columns0)
        self.W = np.array(W0, dtype=np.float64)
        self.neurons = np.asarray(neurons)
        self._counts = pattern_counts(X, self.W)
        self.H0 = self.K * self._counts / self.m
        self._stale = False

    @property
    def counts(self) -> np.ndarray:
        if self._stale:
            self._counts = pattern_counts(self.X, self.W)
            self._stale = False
        return self._counts

    @property
    def H(self) -> np.ndarray:
        return self.K * self.counts / self.m

    def set_neuron(self, k: int, weights: np.ndarray, column: np.ndarray) -> None:
        self.W[self.neurons[k]] = weights
        self._stale = True
        self._record(k, weights, column, np.flatnonzero(self.columns[k] != column))


# ---------------------------------------------------------------------------------------------------------
# Spectral quantities of the current state


def perturbation_norm(H: np.ndarray, H0: np.ndarray, rows: np.ndarray) -> float:
    """‖H − H0‖₂ when H − H0 vanishes outside the rows and columns ``rows``: O(n·|rows|²).

    With the changed rows first, H − H0 = [[A, B], [Bᵀ, 0]]; for Bᵀ = QR its range lies in span(e_rows, Q), so
    its nonzero eigenvalues are those of the 2|rows| × 2|rows| matrix [[A, Rᵀ], [R, 0]] (dense eigenvalues of
    H − H0 once that is no smaller than n × n).
    """
    rows = np.asarray(rows)
    if rows.size == 0:
        return 0.0
    n = H.shape[0]
    if 2 * rows.size >= n:                                       # the reduced matrix would not be smaller
        ev = np.linalg.eigvalsh(H - H0)
        return float(max(-ev[0], ev[-1]))
    D = H[rows] - H0[rows]
    rest = np.ones(n, dtype=bool)
    rest[rows] = False
    k = rows.size
    Rf = np.linalg.qr(D[:, rest].T, mode="r") if rest.any() else np.zeros((0, k))
    j = Rf.shape[0]
    M = np.zeros((k + j, k + j))
    M[:k, :k] = D[:, rows]
    M[k:, :k] = Rf
    M[:k, k:] = Rf.T
    ev = np.linalg.eigvalsh(M)
    return float(max(-ev[0], ev[-1]))


class WarmMinEig:
    """λ_min of a sequence of nearby symmetric matrices, warm-started from the last accepted eigenvector.

    From that vector x (μ = xᵀHx, r = Hx − μx) one Cholesky factorisation of H − σI with σ = μ − ‖r‖ − φ
    (φ a rounding floor) serves every step of inverse iteration; its success proves (up to rounding) that
    λ_min > σ, so the iteration converges to the smallest eigenvector, at the rate ‖r‖/gap per step for a small
    change of H. Once ‖r‖ ≤ ``tol`` a second factorisation at μ − ‖r‖ − φ proves that the eigenvalue within ‖r‖
    of μ is the smallest: λ_min ≤ μ < λ_min + ‖r‖ + φ, an error of at most ``tol`` + φ. Any failed
    factorisation (x was not close to the smallest eigenvector) or slow convergence falls back to a dense
    solver, which is also used below ``dense_below`` rows, where it is cheaper than the iteration's overhead.
    """

    def __init__(self, tol: float = 1e-12, maxiter: int = 12, dense_below: int = 64) -> None:
        self.tol = float(tol)
        self.maxiter = int(maxiter)
        self.dense_below = int(dense_below)
        self.vector: np.ndarray | None = None
        self.fallbacks = 0

    def __call__(self, H: np.ndarray) -> tuple[float, np.ndarray]:
        """(λ_min(H), unit eigenvector); does not change the warm start (see :meth:`accept`)."""
        if self.vector is not None and H.shape[0] >= self.dense_below:
            found = self._iterate(H, self.vector)
            if found is not None:
                return found
            self.fallbacks += 1
        w, V = scipy.linalg.eigh(H, subset_by_index=[0, 0], check_finite=False)
        return float(w[0]), V[:, 0]

    def accept(self, vector: np.ndarray) -> None:
        """Start the next calls from ``vector`` (the eigenvector of the search's current point)."""
        self.vector = np.array(vector, dtype=np.float64)

    def _iterate(self, H: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray] | None:
        n = H.shape[0]
        floor = 32 * n * _U * float(np.abs(H).max())
        eye = np.eye(n)

        def rayleigh(v: np.ndarray) -> tuple[float, float]:
            y = H @ v
            mu = float(v @ y)
            return mu, float(np.linalg.norm(y - mu * v))

        def factor(shift: float):  # noqa: ANN202 - a scipy Cholesky factor, or None if H − shift·I is not SPD
            try:
                return scipy.linalg.cho_factor(H - shift * eye, check_finite=False)
            except np.linalg.LinAlgError:
                return None

        x = x / np.linalg.norm(x)
        mu, res = rayleigh(x)
        below = factor(mu - res - floor)
        if below is None:
            return None
        for _ in range(self.maxiter):
            if res <= self.tol:
                return (mu, x) if factor(mu - res - floor) is not None else None
            x = scipy.linalg.cho_solve(below, x, check_finite=False)
            x /= np.linalg.norm(x)
            mu, res = rayleigh(x)
        return None


# ---------------------------------------------------------------------------------------------------------
# Which pairs can flip, and the proof's bound over the whole ball


@dataclass(frozen=True)
class Flippable:
    """The neurons of W(0) with at least one flippable pair, their pre-activations, and the pairs.

    ``mask[k, i]`` is a rigorous superset of {|w_r(0)ᵀx_i| < radius} for r = ``neurons[k]``: floating-point
    dot products are widened by twice Higham's bound γ_{d+2}‖w_r‖·max_i‖x_i‖. ``z`` holds the float
    pre-activations, so ``z >= 0`` are the patterns of S(0) (a pattern computed by another kernel can differ only
    where |z| is at rounding level; callers that recompute H from explicit weights detect that).
    """

    neurons: np.ndarray
    z: np.ndarray
    mask: np.ndarray
    radius: float

    @property
    def pairs(self) -> int:
        return int(self.mask.sum())

    def within(self, radius: float) -> np.ndarray:
        """Pairs with |fl(w_r(0)ᵀx_i)| < radius (the pairs a search at this radius tries to flip)."""
        return self.mask & (np.abs(self.z) < radius)


def flippable_pairs(X: np.ndarray, W0: np.ndarray, radius: float, chunk: int | None = None) -> Flippable:
    """Every pair (r, i) that a displacement ‖Δ_r‖ < ``radius`` can flip (a rigorous superset), in width chunks."""
    X = as_matrix("X", X)
    W0 = as_matrix("W0", W0, cols=X.shape[1])
    if not (radius >= 0 and np.isfinite(radius)):
        raise InputError(f"radius: expected a finite number >= 0, got {radius!r}")
    n, d = X.shape
    m = W0.shape[0]
    gamma = (d + 2) * _U / (1 - (d + 2) * _U)
    x_norm = float(np.linalg.norm(X, axis=1).max())
    neurons, zs, masks = [], [], []
    step = chunk or default_chunk(n, m)
    for start in range(0, m, step):
        sl = slice(start, min(m, start + step))
        P = W0[sl] @ X.T                                          # chunk × n
        threshold = radius + (2 * gamma * x_norm) * np.linalg.norm(W0[sl], axis=1)
        mask = np.abs(P) < threshold[:, None]
        rows = np.flatnonzero(mask.any(axis=1))
        neurons.append(sl.start + rows)
        zs.append(P[rows])
        masks.append(mask[rows])
    return Flippable(np.concatenate(neurons), np.concatenate(zs), np.concatenate(masks), float(radius))


def perturbation_bound(X: np.ndarray, flips: Flippable, m: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The proof's bound over the ball: (B, rad, U) with |H(W) − H(W(0))| ≤ B_exact entrywise for every W in it.

    B_ij = |x_iᵀx_j|·#{r : (r, i) or (r, j) flippable}/m, because only those neurons can change the (i, j)
    count. ``rad`` bounds |B − B_exact| (rounding of the products), and U = Σ_ij #{…}/m is DZPS's
    W-independent quantity (spec du2018.md §3.5), U ≥ ‖B‖₂ ≥ sup ‖H − H(0)‖₂ over the ball.
    """
    F = flips.mask.astype(np.float64)
    both = F.T @ F                                               # exact integer counts
    single = np.diagonal(both)
    either = single[:, None] + single[None, :] - both
    B = np.abs(X @ X.T) * either / m
    return B, gram_rounding_radius(X), float(either.sum()) / m


# ---------------------------------------------------------------------------------------------------------
# Explicit weights that realise chosen flips


def least_distance(G: np.ndarray, h: np.ndarray) -> np.ndarray | None:
    """The least-norm x with Gx ≥ h, or None if there is none (Lawson & Hanson, *Solving Least Squares
    Problems*, 1974, ch. 23: NNLS of [Gᵀ; hᵀ]u ≈ e_{d+1}, u ≥ 0, then x = −r_{1..d}/r_{d+1} for r = Eu − e)."""
    d = G.shape[1]
    if np.all(h <= 0):
        return np.zeros(d)
    E = np.vstack([G.T, h[None, :]])
    e = np.zeros(d + 1)
    e[-1] = 1.0
    u, _ = scipy.optimize.nnls(E, e)
    r = E @ u - e
    if not r[-1] < -1e-12:                                      # r = 0: the constraints are inconsistent
        return None
    return -r[:d] / r[-1]


def realise(X: np.ndarray, w0: np.ndarray, z0: np.ndarray, samples: np.ndarray, flip: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Explicit w with ‖w − w0‖ ≤ (1 − MARGIN)·radius whose pattern differs from w0's exactly at ``samples[flip]``.

    ``z0`` = Xw0 (float), ``samples`` the neuron's flippable samples (|z0_i| < radius; every other sample has
    |z0_i| ≥ radius > ‖Δ‖ and keeps its pattern). Each flippable sample gets a constraint with margin
    ε = MARGIN·radius: ending active, x_iᵀΔ ≥ −z0_i + ε; ending inactive, −x_iᵀΔ ≥ z0_i + ε; the least-norm Δ
    is a least-distance program. The pattern of w is then recomputed from w in float and must be the intended
    one. Returns (w, pattern) or None (not realisable in the ball, or not verified).
    """
    end_active = (z0[samples] >= 0) ^ flip
    sign = np.where(end_active, 1.0, -1.0)
    delta = least_distance(sign[:, None] * X[samples], -sign * z0[samples] + MARGIN * radius)
    if delta is None or not np.linalg.norm(delta) <= (1 - MARGIN) * radius:
        return None
    w = w0 + delta
    pattern = X @ w >= 0
    intended = z0 >= 0
    intended[samples] = end_active
    if not np.array_equal(pattern, intended) or not np.linalg.norm(w - w0) <= radius:
        return None
    return w, pattern


# ---------------------------------------------------------------------------------------------------------
# Objectives and the search


class Objective(Protocol):
    """A function of the search state to maximise; ``accept`` is called when the point it evaluated last
    becomes the search's current point."""

    def __call__(self, state: FlipState) -> float: ...

    def accept(self, state: FlipState) -> None: ...


class NormObjective:
    """‖H − H(0)‖₂ (to maximise)."""

    def __call__(self, state: FlipState) -> float:
        return perturbation_norm(state.H, state.H0, state.changed_samples)

    def accept(self, state: FlipState) -> None:
        pass


@dataclass
class MinEigObjective:
    """−λ_min(H) (to maximise), with a warm-started eigensolver."""

    solver: WarmMinEig = field(default_factory=WarmMinEig)
    _vector: np.ndarray | None = field(default=None, repr=False)

    def __call__(self, state: FlipState) -> float:
        value, self._vector = self.solver(state.H)
        return -value

    def accept(self, state: FlipState) -> None:
        self.solver.accept(self._vector if self._vector is not None else self.solver(state.H)[1])


@dataclass
class SearchResult:
    """The best point found: objective value, explicit weights of the moved neurons, and its H."""

    value: float
    weights: dict[int, np.ndarray]        # neuron index r -> explicit w_r (only neurons that moved)
    H: np.ndarray
    counts: np.ndarray
    flipped_pairs: int
    evaluations: int
    restart_values: list[float]
    searched_pairs: int

    def explicit_weights(self, W0: np.ndarray) -> np.ndarray:
        """The full explicit W: W(0) with the moved rows replaced."""
        W = np.array(W0, dtype=np.float64)
        for r, w in self.weights.items():
            W[r] = w
        return W


StateFactory = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], FlipState]


def incremental_state(X: np.ndarray, W0: np.ndarray, counts0: np.ndarray, neurons: np.ndarray, columns0: np.ndarray) -> FlipState:
    """The search state updated from the flips (:class:`FlipGram`)."""
    return FlipGram(X, counts0, W0.shape[0], W0[neurons], columns0)


def recomputed_state(X: np.ndarray, W0: np.ndarray, counts0: np.ndarray, neurons: np.ndarray, columns0: np.ndarray) -> FlipState:
    """The search state recomputed from the explicit W at every evaluated point (:class:`RecomputedGram`)."""
    return RecomputedGram(X, W0, neurons, columns0)


def flip_search(
    X: np.ndarray,
    W0: np.ndarray,
    counts0: np.ndarray,
    flips: Flippable,
    radius: float,
    objective: Objective,
    rng: np.random.Generator,
    *,
    restarts: int = 3,
    max_evals: int = 2000,
    target: float = np.inf,
    state: StateFactory = incremental_state,
) -> SearchResult:
    """Maximise ``objective`` over explicit W with ‖w_r − w_r(0)‖ ≤ radius, by flips of the pairs in ``flips``.

    A move toggles one flippable pair (r, i) of the current point; the moved neuron is re-realised with
    :func:`realise` (infeasible moves are skipped). Coordinate ascent: sweeps over the moves in random order
    accept every improving move at once, until a whole sweep improves nothing or ``max_evals`` evaluations
    (per restart) are spent. Restart 0 starts at W(0), the others at a random feasible set of flips. The search
    stops as soon as the objective reaches ``target`` (e.g. a claimed bound: a counterexample is found).
    ``state`` chooses incremental updates or recomputation (same trajectory and result, other cost).
    """
    X = np.asarray(X, dtype=np.float64)
    search_mask = flips.within(radius)
    keep = np.flatnonzero(search_mask.any(axis=1))
    neurons, z, mask = flips.neurons[keep], flips.z[keep], search_mask[keep]
    st = state(X, W0, counts0, neurons, z >= 0)
    samples = [np.flatnonzero(row) for row in mask]
    moves = [(k, j) for k in range(len(samples)) for j in range(samples[k].size)]
    cache: dict[tuple[int, bytes], tuple[np.ndarray, np.ndarray] | None] = {}

    def realised(k: int, flip: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        key = (k, np.packbits(flip).tobytes())
        if key not in cache:
            cache[key] = realise(X, st.weights0[k], z[k], samples[k], flip, radius) if flip.any() else (st.weights0[k], st.base[k])
        return cache[key]

    best = None
    restart_values, evaluations = [], 0
    for restart in range(max(1, int(restarts))):
        flipped = [np.zeros(s.size, dtype=bool) for s in samples]
        if restart > 0:
            for k, s in enumerate(samples):
                trial = rng.random(s.size) < 0.5
                while trial.any() and realised(k, trial) is None:
                    trial[rng.choice(np.flatnonzero(trial))] = False
                flipped[k] = trial
        st.reset()
        for k, f in enumerate(flipped):
            if f.any():
                st.set_neuron(k, *realised(k, f))
        value = objective(st)
        objective.accept(st)
        spent, improved = 0, value < target
        while improved and spent < max_evals:
            improved = False
            for index in rng.permutation(len(moves)):
                if spent >= max_evals or value >= target:
                    break
                k, j = moves[index]
                trial = flipped[k].copy()
                trial[j] = not trial[j]
                point = realised(k, trial)
                if point is None:
                    continue
                old = (st.weights[k].copy(), st.columns[k].copy())
                st.set_neuron(k, *point)
                v = objective(st)
                spent += 1
                if v > value + 1e-12 * max(1.0, abs(value)):
                    flipped[k], value, improved = trial, v, True
                    objective.accept(st)
                else:
                    st.set_neuron(k, *old)
        evaluations += spent
        restart_values.append(float(value))
        if best is None or value > best.value:
            moved = np.flatnonzero(np.any(st.columns != st.base, axis=1))
            best = SearchResult(
                value=float(value),
                weights={int(neurons[k]): st.weights[k].copy() for k in moved},
                H=st.H.copy(),
                counts=st.counts.copy(),
                flipped_pairs=int(sum(f.sum() for f in flipped)),
                evaluations=0,
                restart_values=[],
                searched_pairs=len(moves),
            )
        if best.value >= target:
            break
    assert best is not None
    best.evaluations, best.restart_values = evaluations, restart_values
    return best
