"""The two-layer ReLU network of Du, Zhai, Póczos, Singh (arXiv 1810.02054v2, eqs. (1)–(6)).

f(W, a, x) = m^{-1/2} Σ_r a_r relu(w_rᵀx), with W ∈ ℝ^{m×d} (rows w_r), a ∈ {±1}^m fixed, loss
L = Σ_i ½(f(x_i) − y_i)², activation indicator 𝕀{w_rᵀx_i ≥ 0} (the paper's footnote 2: σ′(0) := 1).

Everything is processed in chunks over the width m, so memory is bounded by ``n × chunk`` and not by m.
Large kernels run their width blocks on as many threads as the BLAS may use, each with single-threaded BLAS
(see ``_blockwise``), so their results equal those of a run with BLAS pinned to one thread.
"""

from __future__ import annotations

import itertools
import math
import os
import queue
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import numpy as np
from scipy.linalg import blas

from lemmas.core.validation import InputError, as_matrix, as_vector, unit_rows

#: Default budget of float64 elements in one (n × chunk) block.
BLOCK_ELEMENTS = 1 << 22
#: Float64 elements of one pre-activation block (2 MiB), small enough to stay in cache: the elementwise
#: passes (mask, relu, scaling) then run on cached data instead of streaming an n × chunk block through
#: memory. (Measured on a 2-core EPYC with 1 MiB L2 per core and 32 MiB L3: 2^18 beat 2^17 and 2^19.)
CACHE_ELEMENTS = 1 << 18
#: Float32 entries of the 0/1 pattern buffer of the exact counts (128 MiB): each chunk ends with a
#: multithreaded SSYRK, whose idling BLAS threads slow the next chunk's pattern fill, so fewer, larger chunks.
PATTERN_ELEMENTS = 1 << 25
#: Below this many pre-activation entries, a kernel runs its blocks in the calling thread.
THREADED_MIN_ELEMENTS = 1 << 21
#: Pattern counts are accumulated in float32 per chunk; exact while a chunk has at most 2^24 neurons.
_FLOAT32_EXACT = 1 << 24


def default_chunk(n: int, m: int) -> int:
    """A width chunk so that one n × chunk float64 block holds about ``BLOCK_ELEMENTS`` entries."""
    return int(max(1, min(m, _FLOAT32_EXACT, BLOCK_ELEMENTS // max(n, 1))))


def pattern_chunk(n: int, m: int) -> int:
    """A width chunk so that one chunk × n float32 pattern holds about ``PATTERN_ELEMENTS`` entries."""
    return int(max(1, min(m, _FLOAT32_EXACT, PATTERN_ELEMENTS // max(n, 1))))


def cache_chunk(n: int, m: int) -> int:
    """A width chunk so that one chunk × n float64 pre-activation block holds about ``CACHE_ELEMENTS`` entries."""
    return int(max(1, min(m, CACHE_ELEMENTS // max(n, 1))))


def _chunks(m: int, chunk: int) -> Iterator[slice]:
    for start in range(0, m, chunk):
        yield slice(start, min(m, start + chunk))


# ---------------------------------------------------------------------------------------------------------
# Width blocks, run on as many threads as the BLAS may use.
#
# Each block of rows of W gets its pre-activations W[rows] Xᵀ (one GEMM into a cache-sized buffer) and then
# the kernel's elementwise work. The blocks run on Python threads, each with single-threaded BLAS: NumPy
# releases the GIL in GEMMs and ufuncs, so the blocks run in parallel without the BLAS's per-call thread
# synchronisation (costly over many small calls, and badly so on a loaded machine), and the elementwise
# passes run in parallel too. A block's result depends on that block alone and per-block results are summed
# in block order, so the results do not depend on the number of threads.

_THREADS: dict[str, Any] = {"pid": None, "pool": None, "size": 0, "blas": None}


def _blas() -> Any:
    """The loaded BLAS libraries (threadpoolctl), looked up once per process."""
    if _THREADS["blas"] is None:
        from threadpoolctl import ThreadpoolController

        _THREADS["blas"] = ThreadpoolController().select(user_api="blas")
    return _THREADS["blas"]


def _thread_pool(size: int) -> ThreadPoolExecutor:
    if _THREADS["pid"] != os.getpid() or _THREADS["size"] < size:      # a forked child needs its own threads
        _THREADS.update(pid=os.getpid(), pool=ThreadPoolExecutor(size, thread_name_prefix="twolayer"), size=size)
    return _THREADS["pool"]


def _thread_count(m: int, n: int, chunk: int) -> int:
    """Threads for m neurons in blocks of ``chunk``: as many as the BLAS may use, one for small problems."""
    if m <= chunk or m * n < THREADED_MIN_ELEMENTS:
        return 1
    return min(-(-m // chunk), max((lib.num_threads for lib in _blas().lib_controllers), default=1))


def _blockwise(
    X: np.ndarray, W: np.ndarray, chunk: int, fn: Callable[[slice, np.ndarray], Any], total: np.ndarray | None = None,
    preactivations: bool = True,
) -> None:
    """Call ``fn(rows, W[rows] Xᵀ)`` for every block of ``chunk`` rows of W (the block is a reused buffer).

    With ``total``, each block's result is added to it in block order. With ``preactivations=False`` the
    GEMM is skipped and ``fn`` gets the block's buffer as scratch space.
    """
    m, n = W.shape[0], X.shape[0]
    blocks = _chunks(m, chunk)
    rows = min(chunk, m)
    threads = _thread_count(m, n, chunk)
    buffers: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(threads):
        buffers.put(np.empty((rows, n)))

    def run(sl: slice) -> Any:
        buffer = buffers.get()
        try:
            P = buffer[: sl.stop - sl.start]
            if preactivations:
                np.matmul(W[sl], X.T, out=P)
            return fn(sl, P)
        finally:
            buffers.put(buffer)

    if threads == 1:
        _consume(map(run, blocks), total)
        return
    pool = _thread_pool(threads)
    with _blas().limit(limits=1):
        while wave := list(itertools.islice(blocks, 4 * threads)):     # a bounded number of pending results
            _consume(pool.map(run, wave), total)


def _consume(results: Iterator[Any], total: np.ndarray | None) -> None:
    for result in results:
        if total is not None:
            total += result


def _hidden_sum(X: np.ndarray, W: np.ndarray, a: np.ndarray, chunk: int,
                record: Callable[[slice, np.ndarray], None] | None = None) -> np.ndarray:
    """Σ_r a_r relu(w_rᵀx_i) for every row of X (the network output times √m).

    ``record(rows, P)``, when given, sees each block's pre-activations before the relu.
    """
    total = np.zeros(X.shape[0])

    def block(rows: slice, P: np.ndarray) -> np.ndarray:
        if record is not None:
            record(rows, P)
        np.maximum(P, 0.0, out=P)
        return a[rows] @ P

    _blockwise(X, W, chunk, block, total)
    return total


def init_two_layer(rng: np.random.Generator, m: int, d: int, kappa: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The paper's initialisation: w_r ~ N(0, κ²I) (κ = 1 in DZPS; ADHLW's κ), a_r ~ unif{−1, 1}."""
    if int(m) < 1 or int(d) < 1:
        raise InputError(f"init_two_layer: need m >= 1 and d >= 1, got m={m}, d={d}")
    W = kappa * rng.standard_normal((int(m), int(d)))
    a = rng.choice(np.array([-1.0, 1.0]), size=int(m))
    return W, a


def _check_xw(X: object, W: object) -> tuple[np.ndarray, np.ndarray]:
    X = as_matrix("X", X)
    W = as_matrix("W", W, cols=X.shape[1])
    return X, W


def patterns(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """S ∈ {0,1}^{n×m} with S_ir = 𝕀{w_rᵀx_i ≥ 0} (boolean)."""
    X, W = _check_xw(X, W)
    return (X @ W.T) >= 0.0


def predictions(X: np.ndarray, W: np.ndarray, a: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """u_i = f(W, a, x_i) for every row of X."""
    X, W = _check_xw(X, W)
    a = as_vector("a", a, size=W.shape[0])
    n, m = X.shape[0], W.shape[0]
    return _hidden_sum(X, W, a, chunk or cache_chunk(n, m)) / math.sqrt(m)


def loss_and_grad(
    X: np.ndarray, W: np.ndarray, a: np.ndarray, y: np.ndarray, chunk: int | None = None
) -> tuple[float, np.ndarray]:
    """Loss L(W) = Σ_i ½(u_i − y_i)² and ∂L/∂W (eq. 4: indicator ``>= 0``), shape (m, d).

    Two width passes over cache-sized blocks: the first computes u, the second forms the gradient rows
    ∂L/∂w_r = (a_r/√m) Σ_i 𝕀{w_rᵀx_i ≥ 0}(u_i − y_i) x_i. The second pass needs the activation patterns
    of the first: when neuron r's pattern, packed to ⌈n/8⌉ bytes, fits in its own gradient row (8d bytes,
    i.e. n ≤ 64d), the first pass parks it there until the second overwrites the row with the gradient;
    otherwise the second pass recomputes each block's pre-activations (a GEMM on cached data). Either way
    the extra memory is a cache block per thread, independent of m.
    """
    X, W = _check_xw(X, W)
    n, m = X.shape[0], W.shape[0]
    a = as_vector("a", a, size=m)
    y = as_vector("y", y, size=n)
    chunk = chunk or cache_chunk(n, m)
    grad = np.empty(W.shape)
    packed = -(-n // 8)
    parked = packed <= grad.itemsize * grad.shape[1]
    patterns_of = grad.view(np.uint8)                       # row r: neuron r's packed pattern, then its gradient

    def park(rows: slice, P: np.ndarray) -> None:
        patterns_of[rows, :packed] = np.packbits(P >= 0.0, axis=1)

    r = _hidden_sum(X, W, a, chunk, park if parked else None) / math.sqrt(m) - y

    def gradient_rows(rows: slice, P: np.ndarray) -> None:
        if parked:
            np.multiply(np.unpackbits(patterns_of[rows, :packed], axis=1, count=n), r, out=P)
        else:
            np.greater_equal(P, 0.0, out=P, casting="unsafe")   # the pattern as 1.0 / 0.0, in place
            P *= r                                                # S_riᵀ (u_i − y_i)
        np.matmul(P, X, out=grad[rows])
        grad[rows] *= (a[rows] / math.sqrt(m))[:, None]

    _blockwise(X, W, chunk, gradient_rows, preactivations=not parked)
    return 0.5 * float(r @ r), grad


def pattern_counts(X: np.ndarray, W: np.ndarray, chunk: int | None = None, weights: np.ndarray | None = None) -> np.ndarray:
    """(SSᵀ)_ij = Σ_r 𝕀{w_rᵀx_i ≥ 0, w_rᵀx_j ≥ 0} (or Σ_r weights_r · 𝕀{…} when ``weights`` is given).

    Unweighted counts use a float32 SYRK of the 0/1 pattern per chunk of at most 2^24 neurons, exact
    (see :func:`_exact_counts`). Weighted counts use a float64 SYRK per chunk, added in chunk order. Each
    chunk's pattern is written straight into a reused buffer from cache-sized pre-activation blocks, so
    extra memory is that buffer (chunk × n) plus the n × n counts, independent of m.
    """
    X, W = _check_xw(X, W)
    n, m = X.shape[0], W.shape[0]
    if weights is None:
        counts = _exact_counts(X, W, min(chunk or pattern_chunk(n, m), _FLOAT32_EXACT))
    else:
        weights = as_vector("weights", weights, size=m)
        counts = _weighted_counts(X, W, weights, min(chunk or default_chunk(n, m), _FLOAT32_EXACT))
    upper = np.triu(counts)
    return upper + np.triu(upper, 1).T


def _exact_counts(X: np.ndarray, W: np.ndarray, chunk: int) -> np.ndarray:
    """Upper triangle of Σ_r 𝕀{w_rᵀx_i ≥ 0}𝕀{w_rᵀx_j ≥ 0}, exactly.

    Per chunk: the float32 0/1 pattern, filled from cache-sized blocks, then one SSYRK added in place to a
    float32 accumulator (exact while it holds at most 2^24 neurons), flushed into float64 (exact to 2^53).
    """
    n, m = X.shape[0], W.shape[0]
    pattern = np.empty((min(chunk, m), n), dtype=np.float32)    # rows: neurons; .T is Fortran n × chunk
    acc = np.zeros((n, n), dtype=np.float32, order="F")
    counts, held = np.zeros((n, n)), 0
    for sl in _chunks(m, chunk):
        S = pattern[: sl.stop - sl.start]
        _fill_pattern(X, W[sl], S)
        if held + S.shape[0] > _FLOAT32_EXACT:
            counts += acc
            acc[:] = 0.0
            held = 0
        blas.ssyrk(1.0, S.T, beta=1.0, c=acc, trans=0, lower=0, overwrite_c=1)
        held += S.shape[0]
    counts += acc
    return counts


def _weighted_counts(X: np.ndarray, W: np.ndarray, weights: np.ndarray, chunk: int) -> np.ndarray:
    """Upper triangle of Σ_r weights_r 𝕀{w_rᵀx_i ≥ 0}𝕀{w_rᵀx_j ≥ 0}: a float64 DSYRK per chunk, in chunk order."""
    n, m = X.shape[0], W.shape[0]
    pattern = np.empty((min(chunk, m), n))
    counts = np.zeros((n, n))
    for sl in _chunks(m, chunk):
        S = pattern[: sl.stop - sl.start]
        _fill_pattern(X, W[sl], S, np.sqrt(np.abs(weights[sl])))
        counts += blas.dsyrk(1.0, S.T, trans=0, lower=0)
    return counts


def _fill_pattern(X: np.ndarray, W: np.ndarray, S: np.ndarray, scale: np.ndarray | None = None) -> None:
    """S[r, i] = 𝕀{w_rᵀx_i ≥ 0} (times scale[r] when given), from cache-sized pre-activation blocks."""

    def fill(rows: slice, P: np.ndarray) -> None:
        np.greater_equal(P, 0.0, out=S[rows], casting="unsafe")
        if scale is not None:
            S[rows] *= scale[rows, None]

    _blockwise(X, W, cache_chunk(X.shape[0], W.shape[0]), fill)


def gram(X: np.ndarray, W: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """The finite-width Gram matrix H(W)_ij = x_iᵀx_j · |{r : w_rᵀx_i ≥ 0, w_rᵀx_j ≥ 0}| / m (eq. 6)."""
    X, W = _check_xw(X, W)
    return (X @ X.T) * pattern_counts(X, W, chunk) / W.shape[0]


def gram_from_patterns(X: np.ndarray, S: np.ndarray) -> np.ndarray:
    """H = (XXᵀ) ∘ (SSᵀ)/m from an explicit pattern matrix S (n × m, 0/1)."""
    S32 = np.asarray(S, dtype=np.float32)
    return (X @ X.T) * (S32 @ S32.T).astype(np.float64) / S32.shape[1]


def gram_joint(X: np.ndarray, W: np.ndarray, a: np.ndarray, chunk: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Joint-training Gram matrices (App. A.1, eqs. 13–14): H with a_r² weights, and G = relu(XWᵀ)relu(XWᵀ)ᵀ/m."""
    X, W = _check_xw(X, W)
    n, m = X.shape[0], W.shape[0]
    a = as_vector("a", a, size=m)
    H = (X @ X.T) * pattern_counts(X, W, chunk, weights=a * a) / m
    chunk = chunk or default_chunk(n, m)
    G = np.zeros((n, n))
    for sl in _chunks(m, chunk):
        P = np.maximum(W[sl] @ X.T, 0.0).T
        G += blas.dsyrk(1.0, P, trans=0, lower=0)
    G = np.triu(G)
    return H, (G + np.triu(G, 1).T) / m


def angles(X: np.ndarray, block: int = 1 << 22) -> np.ndarray:
    """Pairwise angles θ_ij = 2·atan2(‖x̂_i − x̂_j‖, ‖x̂_i + x̂_j‖) of the normalised rows (Kahan; error ≈ u).

    Exactly 0 on the diagonal. Never arccos, whose infinite slope at ±1 turns rounding into O(√u) errors
    (spec numerics.md §1).
    """
    X = as_matrix("X", X)
    norms = np.linalg.norm(X, axis=1)
    if np.any(norms == 0):
        raise InputError(f"X: row {int(np.flatnonzero(norms == 0)[0])} is zero; its angle is undefined")
    Xh = X / norms[:, None]
    n, d = Xh.shape
    theta = np.empty((n, n))
    rows = max(1, block // max(n * d, 1))
    for start in range(0, n, rows):
        B = Xh[start : start + rows, None, :]
        diff = B - Xh[None, :, :]
        summ = B + Xh[None, :, :]
        theta[start : start + rows] = 2.0 * np.arctan2(
            np.sqrt(np.einsum("ijk,ijk->ij", diff, diff)), np.sqrt(np.einsum("ijk,ijk->ij", summ, summ))
        )
    np.fill_diagonal(theta, 0.0)
    return theta


def gram_infinity(X: np.ndarray) -> np.ndarray:
    """H∞_ij = x_iᵀx_j (π − θ_ij)/(2π) (ADHLW eq. 3; DZPS Assumption 3.1) for unit-norm rows."""
    X = unit_rows("X", X)
    return (X @ X.T) * (np.pi - angles(X)) / (2.0 * np.pi)


def arccos_kernel_1(X: np.ndarray) -> np.ndarray:
    """E[G(0)]_ij = ‖x_i‖‖x_j‖(sin θ + (π − θ)cos θ)/(2π): the degree-1 arc-cosine kernel (no c_σ = 2)."""
    X = as_matrix("X", X)
    theta = angles(X)
    norms = np.linalg.norm(X, axis=1)
    return np.outer(norms, norms) * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2.0 * np.pi)


def neuron_distances(W: np.ndarray, W0: np.ndarray) -> np.ndarray:
    """‖w_r − w_r(0)‖₂ for every neuron r."""
    return np.linalg.norm(np.asarray(W) - np.asarray(W0), axis=1)


def gram_rounding_radius(X: np.ndarray) -> np.ndarray:
    """Entrywise bound on |fl(H(W)) − H(W)| for :func:`gram` with exact pattern counts.

    fl(x_iᵀx_j) errs by at most γ_d·|x_i|ᵀ|x_j| (Higham, Accuracy and Stability, Lemma 3.4: any summation
    order), and the scaling by count/m ∈ [0, 1] adds two roundings: γ_{d+2}·|X||X|ᵀ covers all three.
    """
    X = as_matrix("X", X)
    u = np.finfo(np.float64).eps / 2
    k = X.shape[1] + 2
    gamma = k * u / (1 - k * u)
    absX = np.abs(X)
    return np.nextafter(gamma * (absX @ absX.T) * (1 + 4 * u), np.inf)
