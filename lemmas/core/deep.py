"""Deep fully-connected ReLU networks with the parameterization as data: one core for AZLS and ZCZG.

Two paper families share this code; a :class:`DeepParameterization` says which one a network is.

* **AZLS** (Allen-Zhu, Li, Song, arXiv 1811.03962; spec ``azls2018.md`` §1.2–1.6):
  h_0 = φ(A x), g_ℓ = W_ℓ h_{ℓ−1}, h_ℓ = φ(g_ℓ) (ℓ ∈ [L]), output B h_L ∈ ℝ^{d_out};
  A, W_ℓ entries N(0, 2/m), B entries N(0, 1/d_out); only W_1..W_L trained; D = 𝕀{g ≥ 0};
  objective F = Σ_i ½‖B h_{i,L} − y_i‖² (a sum).
* **ZCZG** (Zou, Cao, Zhou, Gu, arXiv 1811.08888v3; spec ``zou2018.md`` §1.2–1.6):
  x_0 = x, x_l = σ(W_lᵀ x_{l−1}), output vᵀ x_L; columns of W_l ~ N(0, 2/m_l · I) (the layer's own width,
  also for W_1); v ∈ {±1}^{m_L} fixed, half +1 and half −1, no 1/√m; all W_1..W_L trained (the input layer
  too); Σ = 𝕀{· > 0} (strict); objective L_S = (1/n) Σ_i ℓ(y_i ŷ_i) (a mean).

Conventions of this module
--------------------------
* Samples are rows. ``h[ℓ]`` is the n × width_ℓ matrix of the representations h_{i,ℓ}, ℓ = 0..L. Without an
  input layer (ZCZG) h[0] is the input X itself and g[0], D[0] are ``None``.
* Every weight matrix is stored **fan_out × fan_in, row j = the weight vector of neuron j**, so g = W h.
  This is AZLS's W_ℓ. ZCZG's paper matrix W_l (m_{l−1} × m_l, column j = neuron j) is ``Ws[l-1].T``;
  spectral norms are unaffected. ZCZG's v is stored as the 1 × m_L matrix ``B`` (``weights.v`` returns it).
* Both papers draw entries with variance 2/fan_out (2/m for A and W_ℓ in AZLS, 2/m_l in ZCZG).
* D masks are boolean n × width arrays, never m × m matrices; the backward pass multiplies by them
  elementwise. Memory is bounded by processing samples in chunks (argument ``chunk``).
* Precision follows the weights: float64 by default (every verdict of the suite computes in float64);
  ``init_params(..., dtype=np.float32)`` or :meth:`DeepWeights.astype` gives float32 weights, and then the
  forward pass, the backward pass and the kernels run in float32 (inputs are cast to the weights' type).
  Float32 roughly halves the time of the GEMMs that dominate at large width, at a relative roundoff of
  about 1e-7 instead of 1e-16; it is for exploration and benchmarks (benchmarks/ntk_neural_tangents.md).

Exploratory variants (``kind``), labelled [U] in the spec:
* ``"resnet"``: h_ℓ = φ(h_{ℓ−1} + τ W_ℓ h_{ℓ−1}) (azls2018.md §7.3, the block form it offers as an example).
* ``"conv"``: a 1-D convolution over q positions; W_ℓ (m × k·m_{ℓ−1}) is shared by the q patches of width k
  (circular padding, scaled by 1/√k so that the patch operator preserves Σ_p‖patch_p‖² = ‖h‖²)
  (azls2018.md §7.2: "a shared W_ℓ applied to q patches through a norm-preserving patch operator").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Sequence

import numpy as np

from lemmas.core.validation import InputError, as_matrix, unit_rows

#: Budget of float64 elements for one chunk's temporaries (the chunk size in samples follows from it).
CHUNK_ELEMENTS = 1 << 24

KINDS = ("dense", "resnet", "conv")
OUTPUTS = ("gaussian", "signs")
MASK_RULES = (">=", ">")

MarginLoss = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]


# --------------------------------------------------------------------------------------------------
# The parameterization
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeepParameterization:
    """A family of deep ReLU networks, as data. Use :func:`azls` or :func:`zou` to build one.

    Fields
    ------
    family: a label ("azls", "zou" or anything else for custom use); the code never branches on it.
    d_in: input dimension (for ``kind="conv"``: positions × input channels, position-major).
    widths: (m_1, …, m_L), the output widths (channels for conv) of the trained-layer family W_1..W_L.
    weight_vars: variance of the entries of each W_ℓ.
    input_width, input_var: the fixed random input layer A (AZLS); ``None`` means h_0 = x (ZCZG).
    d_out: output dimension.
    output: "gaussian" (B entries N(0, output_var), AZLS) or "signs" (v ∈ {±1}, half/half, ZCZG).
    trained: indices ℓ ∈ {1..L} of the trained W_ℓ (A and B/v are never trained).
    mask_rule: ">=" (AZLS, D = 𝕀{g ≥ 0}) or ">" (ZCZG, σ′(0) = 0).
    input_bias: the constant last input coordinate (AZLS option 1/√2, ZCZG μ), or ``None``.
    kind: "dense", "resnet" or "conv" (the last two exploratory).
    tau: residual scale (resnet only).
    positions, kernel: q and k of the conv variant (1 and 1 otherwise).
    """

    family: str
    d_in: int
    widths: tuple[int, ...]
    weight_vars: tuple[float, ...]
    input_width: int | None
    input_var: float | None
    d_out: int
    output: str
    output_var: float | None
    trained: tuple[int, ...]
    mask_rule: str
    input_bias: float | None = None
    kind: str = "dense"
    tau: float = 1.0
    positions: int = 1
    kernel: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        object.__setattr__(self, "weight_vars", tuple(float(v) for v in self.weight_vars))
        object.__setattr__(self, "trained", tuple(sorted({int(t) for t in self.trained})))
        L = len(self.widths)
        if L < 1 or any(w < 1 for w in self.widths):
            raise InputError(f"widths: need at least one layer and positive widths, got {self.widths}")
        if len(self.weight_vars) != L or any(not (v > 0 and math.isfinite(v)) for v in self.weight_vars):
            raise InputError(f"weight_vars: need {L} positive finite variances, got {self.weight_vars}")
        if int(self.d_in) < 1 or int(self.d_out) < 1:
            raise InputError(f"need d_in >= 1 and d_out >= 1, got d_in={self.d_in}, d_out={self.d_out}")
        if (self.input_width is None) != (self.input_var is None):
            raise InputError("input_width and input_var must be given together (the fixed input layer A)")
        if self.input_width is not None and (int(self.input_width) < 1 or not self.input_var > 0):
            raise InputError(f"input layer: need width >= 1 and variance > 0, got {self.input_width}, {self.input_var}")
        if self.output not in OUTPUTS:
            raise InputError(f"output: expected one of {OUTPUTS}, got {self.output!r}")
        if self.output == "gaussian" and not (self.output_var is not None and self.output_var > 0):
            raise InputError(f"output_var: a Gaussian output layer needs a positive variance, got {self.output_var}")
        if self.output == "signs":
            if self.d_out != 1:
                raise InputError(f"a ±1 output vector v has d_out = 1, got d_out={self.d_out}")
            if self.positions * self.widths[-1] % 2:
                raise InputError(f"v has half +1 and half −1 entries, so its length must be even, got {self.positions * self.widths[-1]}")
        if not self.trained or self.trained[0] < 1 or self.trained[-1] > L:
            raise InputError(f"trained: need a non-empty subset of 1..{L}, got {self.trained}")
        if self.mask_rule not in MASK_RULES:
            raise InputError(f"mask_rule: expected one of {MASK_RULES}, got {self.mask_rule!r}")
        if self.input_bias is not None and not 0.0 < self.input_bias < 1.0:
            raise InputError(f"input_bias: the constant coordinate must lie in (0, 1), got {self.input_bias}")
        if self.kind not in KINDS:
            raise InputError(f"kind: expected one of {KINDS}, got {self.kind!r}")
        if self.kind == "resnet":
            if self.input_width is None or any(w != self.input_width for w in self.widths):
                raise InputError("kind='resnet' needs an input layer A and all widths equal to its width (h_{ℓ−1} + τW_ℓh_{ℓ−1})")
            if not (self.tau > 0 and math.isfinite(self.tau)):
                raise InputError(f"tau: need a positive residual scale, got {self.tau}")
        if self.kind == "conv":
            if self.kernel < 1 or self.kernel % 2 == 0 or self.kernel > self.positions:
                raise InputError(f"conv: the kernel must be odd and at most the number of positions, got k={self.kernel}, q={self.positions}")
            if self.d_in % self.positions:
                raise InputError(f"conv: d_in={self.d_in} is not a multiple of positions={self.positions}")
        elif self.positions != 1 or self.kernel != 1:
            raise InputError(f"positions/kernel are for kind='conv' only (got {self.positions}, {self.kernel})")

    # ---- derived shapes ------------------------------------------------------------------------
    @property
    def L(self) -> int:
        """Number of W layers (AZLS: L trained matrices and L + 1 ReLU layers; ZCZG: L hidden layers)."""
        return len(self.widths)

    @property
    def has_input_layer(self) -> bool:
        return self.input_width is not None

    def channels(self, ell: int) -> int:
        """Channels of h_ℓ (for dense networks: its width). h_0 = x has d_in / positions channels without A."""
        if ell == 0:
            return self.input_width if self.input_width is not None else self.d_in // self.positions
        return self.widths[ell - 1]

    def width(self, ell: int) -> int:
        """Length of the row vector h_{i,ℓ} (positions × channels)."""
        return self.positions * self.channels(ell)

    def weight_shape(self, ell: int) -> tuple[int, int]:
        """Shape (fan_out, fan_in) of W_ℓ (ℓ ≥ 1) or of A (ℓ = 0, input layer only)."""
        if ell == 0:
            if self.input_width is None:
                raise InputError("this parameterization has no input layer A")
            return self.input_width, self.kernel * self.d_in // self.positions
        return self.widths[ell - 1], self.kernel * self.channels(ell - 1)

    def trained_shapes(self) -> list[tuple[int, int]]:
        """Shapes of W_1..W_L (all of them, trained or not; aligned with ``weights.Ws``)."""
        return [self.weight_shape(ell) for ell in range(1, self.L + 1)]

    def layer_scale(self, ell: int) -> float:
        """The factor in front of W_ℓ in g_ℓ (τ for residual blocks, else 1)."""
        return self.tau if self.kind == "resnet" and ell >= 1 else 1.0

    def describe(self) -> dict[str, object]:
        """The conventions to print next to every reported constant (numerics.md §3.2)."""
        return {
            "family": self.family, "kind": self.kind, "d_in": self.d_in, "widths": self.widths,
            "weight_vars": self.weight_vars, "input_layer": (self.input_width, self.input_var),
            "output": (self.output, self.d_out, self.output_var), "trained": self.trained,
            "mask_rule": self.mask_rule, "input_bias": self.input_bias, "c_sigma": 2.0,
            "tau": self.tau if self.kind == "resnet" else None,
            "conv": (self.positions, self.kernel) if self.kind == "conv" else None,
        }


def azls(
    d_in: int, m: int, L: int, d_out: int, *, input_bias: float | None = None, kind: str = "dense",
    tau: float | None = None, positions: int = 1, kernel: int = 1,
) -> DeepParameterization:
    """The AZLS network (azls2018.md §1.2–1.6).

    [V-sec:S1] model, A and W entries N(0, 2/m), A and B fixed, "≥" sign convention; [V-RNN] B entries
    N(0, 1/d) with d = d_out (azls2018.md §1.3); equal widths are AZLS's notation [U, §1.2].
    ``input_bias=1/√2`` is the optional last-coordinate convention (V-RNN footnote 5; for AZLS [U], §1.1):
    then ``d_in`` counts that coordinate. ``kind="resnet"`` (τ defaults to 1/√L) and ``kind="conv"`` are
    the exploratory extensions of §7.2–7.3, whose block forms are [U].
    """
    m, L = int(m), int(L)
    if kind == "resnet" and tau is None:
        tau = 1.0 / math.sqrt(L)
    return DeepParameterization(
        family="azls", d_in=int(d_in), widths=(m,) * L, weight_vars=(2.0 / m,) * L, input_width=m,
        input_var=2.0 / m, d_out=int(d_out), output="gaussian", output_var=1.0 / int(d_out),
        trained=tuple(range(1, L + 1)), mask_rule=">=", input_bias=input_bias, kind=kind,
        tau=1.0 if tau is None else float(tau), positions=positions, kernel=kernel,
    )


def zou(d: int, widths: Sequence[int], *, mu: float | None = None, kind: str = "dense", positions: int = 1, kernel: int = 1) -> DeepParameterization:
    """The ZCZG network (zou2018.md §1.2–1.4, all [V p.5–7]).

    ``widths`` = (m_1, …, m_L); W_l has entries N(0, 2/m_l) (its own width, also for W_1 ∈ ℝ^{d×m_1});
    v ∈ {±1}^{m_L} fixed, half/half; every W_l trained; strict sign convention. Assumption 3.6
    (M = max m_l ≤ 2 min m_l) is enforced. ``mu`` is Assumption 3.4's constant last coordinate (then ``d``
    counts it). ``kind="conv"`` is an exploratory variant not in the paper; ``"resnet"`` needs an input layer
    and is not available here.
    """
    widths = tuple(int(w) for w in widths)
    if widths and max(widths) > 2 * min(widths):
        raise InputError(f"Assumption 3.6 (zou2018.md §1.2) needs max m_l <= 2 min m_l, got widths {widths}")
    return DeepParameterization(
        family="zou", d_in=int(d), widths=widths, weight_vars=tuple(2.0 / w for w in widths),
        input_width=None, input_var=None, d_out=1, output="signs", output_var=None,
        trained=tuple(range(1, len(widths) + 1)), mask_rule=">", input_bias=mu, kind=kind,
        positions=positions, kernel=kernel,
    )


# --------------------------------------------------------------------------------------------------
# Weights and inputs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeepWeights:
    """A (fan_out × fan_in) or None, W_1..W_L (row j = neuron j), and the output matrix B (d_out × width_L).

    For ZCZG, B is the 1 × m_L row vᵀ (see :attr:`v`) and the paper's W_l is ``Ws[l-1].T``.
    """

    A: np.ndarray | None
    Ws: tuple[np.ndarray, ...]
    B: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "Ws", tuple(self.Ws))

    @property
    def dtype(self) -> np.dtype:
        """The floating type of the weights, which is the type every computation with them runs in."""
        return self.B.dtype

    def astype(self, dtype: type) -> "DeepWeights":
        """A copy of all weights in ``dtype`` (float32 or float64); see the module's note on precision."""
        dtype = _float_type(dtype)
        return DeepWeights(A=None if self.A is None else self.A.astype(dtype), Ws=tuple(W.astype(dtype) for W in self.Ws),
                           B=self.B.astype(dtype))

    @property
    def v(self) -> np.ndarray:
        """ZCZG's fixed output vector v (the single row of B)."""
        if self.B.shape[0] != 1:
            raise InputError(f"v is defined for scalar outputs only; B has {self.B.shape[0]} rows")
        return self.B[0]

    def with_Ws(self, Ws: Sequence[np.ndarray]) -> "DeepWeights":
        """The same A and B with new W_1..W_L."""
        return replace(self, Ws=tuple(Ws))

    def perturbed(self, deltas: Sequence[np.ndarray | None]) -> "DeepWeights":
        """W_ℓ + Δ_ℓ for every ℓ with Δ_ℓ not None (``deltas`` is aligned with ``Ws``)."""
        if len(deltas) != len(self.Ws):
            raise InputError(f"perturbed: expected {len(self.Ws)} perturbations (None to skip), got {len(deltas)}")
        return self.with_Ws([W if D is None else W + D for W, D in zip(self.Ws, deltas)])


FLOAT_TYPES = (np.float64, np.float32)


def _float_type(dtype: object) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in FLOAT_TYPES:
        raise InputError(f"dtype: expected float64 or float32, got {dt}")
    return dt


def init_params(param: DeepParameterization, rng: np.random.Generator, *, dtype: type = np.float64) -> DeepWeights:
    """Random initialization (azls2018.md §1.3; zou2018.md §1.3). Draw order: A, W_1..W_L, B or v.

    The draws are float64 whatever ``dtype`` is, so a float32 network is the float64 one rounded.
    """
    dtype = _float_type(dtype)
    A = None
    if param.has_input_layer:
        A = math.sqrt(param.input_var) * rng.standard_normal(param.weight_shape(0))
    Ws = [math.sqrt(var) * rng.standard_normal(shape) for var, shape in zip(param.weight_vars, param.trained_shapes())]
    width = param.width(param.L)
    if param.output == "gaussian":
        B = math.sqrt(param.output_var) * rng.standard_normal((param.d_out, width))
    else:
        B = rng.permutation(np.repeat([1.0, -1.0], width // 2))[None, :]
    weights = DeepWeights(A=A, Ws=tuple(Ws), B=B)
    return weights if dtype == np.float64 else weights.astype(dtype)


def _check_weights(param: DeepParameterization, weights: DeepWeights) -> None:
    if param.has_input_layer != (weights.A is not None):
        raise InputError("weights: A must be present exactly when the parameterization has an input layer")
    if weights.A is not None and weights.A.shape != param.weight_shape(0):
        raise InputError(f"weights.A: expected shape {param.weight_shape(0)}, got {weights.A.shape}")
    if len(weights.Ws) != param.L:
        raise InputError(f"weights.Ws: expected {param.L} matrices, got {len(weights.Ws)}")
    for ell, (W, shape) in enumerate(zip(weights.Ws, param.trained_shapes()), start=1):
        if W.shape != shape:
            raise InputError(f"weights.Ws[{ell - 1}] (W_{ell}): expected shape {shape}, got {W.shape}")
    if weights.B.shape != (param.d_out, param.width(param.L)):
        raise InputError(f"weights.B: expected shape {(param.d_out, param.width(param.L))}, got {weights.B.shape}")
    arrays = ([] if weights.A is None else [weights.A]) + list(weights.Ws) + [weights.B]
    types = {M.dtype for M in arrays}
    if len(types) != 1 or types.pop() not in FLOAT_TYPES:
        raise InputError(f"weights: A, W_ℓ and B must share one type, float64 or float32; got {sorted({str(M.dtype) for M in arrays})}")


def check_inputs(
    param: DeepParameterization, X: object, *, convention: bool = False, tol: float = 1e-12, dtype: type = np.float64,
) -> np.ndarray:
    """X as a finite n × d_in matrix of ``dtype``; with ``convention=True`` also the papers' input assumptions:
    unit rows (azls2018.md §1.1, zou2018.md Assumption 3.4) and the constant last coordinate if any."""
    X = as_matrix("X", X, cols=param.d_in, dtype=dtype)
    if convention:
        X = unit_rows("X", X, tol=tol)
        if param.input_bias is not None:
            bad = np.flatnonzero(np.abs(X[:, -1] - param.input_bias) > tol)
            if bad.size:
                raise InputError(f"X: row {int(bad[0])} has last coordinate {X[bad[0], -1]!r}, expected {param.input_bias!r}")
    return X


def make_inputs(param: DeepParameterization, Z: object) -> np.ndarray:
    """Inputs that satisfy the convention: x = (√(1 − c²)·z/‖z‖, c) with c = ``input_bias``, or z/‖z‖."""
    extra = 0 if param.input_bias is None else 1
    Z = as_matrix("Z", Z, cols=param.d_in - extra)
    norms = np.linalg.norm(Z, axis=1)
    if np.any(norms == 0):
        raise InputError(f"Z: row {int(np.flatnonzero(norms == 0)[0])} is zero and cannot be normalized")
    Zh = Z / norms[:, None]
    if param.input_bias is None:
        return Zh
    c = param.input_bias
    return np.hstack([math.sqrt(1.0 - c * c) * Zh, np.full((Z.shape[0], 1), c)])


# --------------------------------------------------------------------------------------------------
# Layer operators (dense: identity; conv: patches)
# --------------------------------------------------------------------------------------------------


def layer_input(param: DeepParameterization, h: np.ndarray) -> np.ndarray:
    """The matrix U that W_ℓ multiplies: U = h (s × fan_in) for dense layers; for conv the (s·q) × (k·c)
    matrix of circular patches scaled by 1/√k (row s·q + p = patch at position p)."""
    if param.kind != "conv":
        return h
    s, q, k = h.shape[0], param.positions, param.kernel
    H = h.reshape(s, q, -1)
    r = k // 2
    P = np.stack([np.roll(H, r - o, axis=1) for o in range(k)], axis=2)  # P[:, p, o] = H[:, p + o − r]
    return P.reshape(s * q, -1) / math.sqrt(k)


def _layer_input_adjoint(param: DeepParameterization, P: np.ndarray, s: int) -> np.ndarray:
    """The adjoint of :func:`layer_input`: (s·q) × (k·c) → s × (q·c)."""
    if param.kind != "conv":
        return P
    q, k = param.positions, param.kernel
    G = P.reshape(s, q, k, -1) / math.sqrt(k)
    r = k // 2
    out = np.roll(G[:, :, 0, :], -r, axis=1)
    for o in range(1, k):
        out += np.roll(G[:, :, o, :], o - r, axis=1)
    return out.reshape(s, -1)


def _mask(param: DeepParameterization, g: np.ndarray) -> np.ndarray:
    return g >= 0.0 if param.mask_rule == ">=" else g > 0.0


def _resolve_chunk(chunk: int | None, n: int, per_row: int) -> int:
    if chunk is None:
        return max(1, CHUNK_ELEMENTS // max(per_row, 1))
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise InputError(f"chunk: expected a positive integer number of samples, got {chunk!r}")
    return int(chunk)


def _row_chunks(n: int, chunk: int) -> Iterator[slice]:
    for start in range(0, n, chunk):
        yield slice(start, min(n, start + chunk))


# --------------------------------------------------------------------------------------------------
# Forward
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForwardCache:
    """g[ℓ], h[ℓ], D[ℓ] for ℓ = 0..L (n × width_ℓ; D boolean) and the outputs out (n × d_out).

    Without an input layer g[0] and D[0] are None and h[0] is X.
    """

    g: tuple[np.ndarray | None, ...]
    h: tuple[np.ndarray, ...]
    D: tuple[np.ndarray | None, ...]
    out: np.ndarray

    @property
    def n(self) -> int:
        return self.out.shape[0]


def _neurons(W: np.ndarray, U: np.ndarray) -> np.ndarray:
    """U Wᵀ (row i: every neuron of W applied to row i of U), the forward product of a layer.

    In float32 it is computed as (W Uᵀ)ᵀ and returned as that column-major view: with few rows in U,
    SGEMM is faster with the weight matrix on the left (32 rows, 1024 × 1024 W, 2 cores: 1.6× with
    OpenBLAS 0.3.31, 1.6× with 0.3.23; ``benchmarks/bench_deep.py``), and skipping the copy back to
    row-major order saved another 10% of the empirical NTK. In float64 the swap gained at most 1.1× for
    the product and made the whole NTK slower, so U Wᵀ is kept. (The backward product U W is left as it
    is: which order is faster there differs between those two OpenBLAS builds.) Neither the order nor the
    layout changes any value beyond roundoff.
    """
    if U.dtype == np.float32:
        return (W @ U.T).T
    return U @ W.T


def _forward_rows(param: DeepParameterization, weights: DeepWeights, X: np.ndarray) -> tuple[list, list, list]:
    g: list[np.ndarray | None] = [None]
    h: list[np.ndarray] = [X]
    D: list[np.ndarray | None] = [None]
    s = X.shape[0]
    if weights.A is not None:
        g0 = _neurons(weights.A, layer_input(param, X)).reshape(s, -1)
        g[0], h[0], D[0] = g0, np.maximum(g0, 0.0), _mask(param, g0)
    for ell, W in enumerate(weights.Ws, start=1):
        gl = _neurons(W, layer_input(param, h[-1])).reshape(s, -1)
        if param.kind == "resnet":
            gl *= param.tau
            gl += h[-1]
        g.append(gl)
        h.append(np.maximum(gl, 0.0))
        D.append(_mask(param, gl))
    return g, h, D


def forward(param: DeepParameterization, weights: DeepWeights, X: object, *, chunk: int | None = None) -> ForwardCache:
    """All pre-activations, activations, sign masks and outputs, batched over the rows of X (in the
    weights' floating type)."""
    _check_weights(param, weights)
    X = check_inputs(param, X, dtype=weights.dtype)
    n = X.shape[0]
    widest = max(param.width(ell) for ell in range(param.L + 1))
    chunk = _resolve_chunk(chunk, n, param.kernel * widest)
    if chunk >= n:
        g, h, D = _forward_rows(param, weights, X)
    else:
        g = [None if ell == 0 and not param.has_input_layer else np.empty((n, param.width(ell)), X.dtype) for ell in range(param.L + 1)]
        h = [X if ell == 0 and not param.has_input_layer else np.empty((n, param.width(ell)), X.dtype) for ell in range(param.L + 1)]
        D = [None if gl is None else np.empty(gl.shape, dtype=bool) for gl in g]
        for rows in _row_chunks(n, chunk):
            gs, hs, Ds = _forward_rows(param, weights, X[rows])
            for ell in range(param.L + 1):
                if g[ell] is not None:
                    g[ell][rows], h[ell][rows], D[ell][rows] = gs[ell], hs[ell], Ds[ell]
    out = h[-1] @ weights.B.T
    return ForwardCache(g=tuple(g), h=tuple(h), D=tuple(D), out=out)


# --------------------------------------------------------------------------------------------------
# Backward
# --------------------------------------------------------------------------------------------------


def _propagate(param: DeepParameterization, weights: DeepWeights, ell: int, delta: np.ndarray) -> np.ndarray:
    """∂(·)/∂h_{ℓ−1} from δ_ℓ = ∂(·)/∂g_ℓ, for δ of shape (s, r, width_ℓ)."""
    s, r, _ = delta.shape
    W = weights.Ws[ell - 1]
    up = delta.reshape(-1, W.shape[0]) @ W
    scale = param.layer_scale(ell)
    if scale != 1.0:
        up *= scale
    R = _layer_input_adjoint(param, up, s * r).reshape(s, r, -1)
    if param.kind == "resnet":
        R += delta
    return R


def backward_sweep(
    param: DeepParameterization, weights: DeepWeights, cache: ForwardCache, upstream: np.ndarray,
    rows: slice | np.ndarray = slice(None), stop: int = 1,
) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """Propagate row vectors backwards, as products with the elementwise masks (no m × m D matrices).

    ``upstream`` (s × r × width_L) holds r row vectors ∂(·)/∂h_L for each of the s samples ``rows``.
    Yields (ℓ, R_ℓ, δ_ℓ) for ℓ = L, L−1, …, stop, where R_ℓ = ∂(·)/∂h_ℓ and δ_ℓ = D_ℓ ∘ R_ℓ = ∂(·)/∂g_ℓ
    (δ_0 is None without an input layer). With upstream = B this is AZLS's R_ℓ = Back_{i,ℓ+1}
    (azls2018.md §1.6); with upstream = (loss_i)ᵀB it is the gradient's backward pass.
    """
    R = upstream
    for ell in range(param.L, stop - 1, -1):
        Dl = cache.D[ell]
        delta = None if Dl is None else R * Dl[rows][:, None, :]
        yield ell, R, delta
        if ell > stop:
            R = _propagate(param, weights, ell, delta)


def backward(
    param: DeepParameterization, weights: DeepWeights, cache: ForwardCache, dout: object, *, chunk: int | None = None
) -> list[np.ndarray | None]:
    """Gradients of a loss with ∂loss/∂out = ``dout`` (n × d_out) w.r.t. the trained W_ℓ.

    Returns a list aligned with ``weights.Ws`` (None for untrained layers):
    ∇_{W_ℓ} = τ_ℓ Σ_i δ_{i,ℓ} u_{i,ℓ−1}ᵀ with δ_{i,ℓ} = D_{i,ℓ} ∘ (Back_{i,ℓ+1}ᵀ dout_i) — for AZLS's F exactly
    azls2018.md §1.6, ∇_{W_ℓ}F = Σ_i D_{i,ℓ}(Back_{i,ℓ+1}ᵀ loss_i) h_{i,ℓ−1}ᵀ; for ZCZG's L_S,
    zou2018.md §1.5 with dout_i = ℓ′(y_iŷ_i)y_i/n (in this module's fan_out × fan_in orientation).
    """
    n = cache.n
    _check_weights(param, weights)
    dout = as_matrix("dout", dout, rows=n, cols=param.d_out, dtype=weights.dtype)
    chunk = _resolve_chunk(chunk, n, param.kernel * max(param.width(ell) for ell in range(param.L + 1)))
    grads: list[np.ndarray | None] = [None] * param.L
    stop = param.trained[0]
    for rows in _row_chunks(n, chunk):
        upstream = (dout[rows] @ weights.B)[:, None, :]
        for ell, _, delta in backward_sweep(param, weights, cache, upstream, rows, stop):
            if ell not in param.trained:
                continue
            G = delta.reshape(-1, param.channels(ell)).T @ layer_input(param, cache.h[ell - 1][rows])
            scale = param.layer_scale(ell)
            if scale != 1.0:
                G *= scale
            grads[ell - 1] = G if grads[ell - 1] is None else grads[ell - 1] + G
    return grads


def back_vectors(
    param: DeepParameterization, weights: DeepWeights, cache: ForwardCache, a: int, *, chunk: int | None = None
) -> np.ndarray:
    """Back_{i,a}[k, :] for every sample i and output k: an n × d_out × width_{a−1} array.

    Back_{i,a} = B D_{i,L} W_L ⋯ D_{i,a} W_a = ∂(out_i)/∂h_{i,a−1} for a ∈ [L], and Back_{i,L+1} = B
    (azls2018.md §1.6; for residual/conv variants the same Jacobian). ZCZG's back vector (zou2018.md §1.5)
    is b_{l,i} = Σ_{l,i} ∘ Back_{i,l+1}, i.e. ``cache.D[l] * back_vectors(..., a=l + 1)[:, 0, :]``.
    """
    if not 1 <= int(a) <= param.L + 1:
        raise InputError(f"a: expected 1 <= a <= L + 1 = {param.L + 1}, got {a}")
    a = int(a)
    _check_weights(param, weights)
    n = cache.n
    widest = max(param.width(ell) for ell in range(a - 1, param.L + 1))
    chunk = _resolve_chunk(chunk, n, param.d_out * param.kernel * widest)
    out = np.empty((n, param.d_out, param.width(a - 1)), weights.dtype)
    for rows in _row_chunks(n, chunk):
        s = rows.stop - rows.start
        upstream = np.broadcast_to(weights.B, (s,) + weights.B.shape)
        for ell, R, _ in backward_sweep(param, weights, cache, upstream, rows, stop=a - 1):
            if ell == a - 1:
                out[rows] = R
    return out


# --------------------------------------------------------------------------------------------------
# Objectives and steps
# --------------------------------------------------------------------------------------------------


def square_loss(out: np.ndarray, Y: object) -> tuple[float, np.ndarray]:
    """AZLS's F = Σ_i ½‖out_i − y_i‖² (a sum, azls2018.md §1.5) and ∂F/∂out = out − Y."""
    Y = as_matrix("Y", Y, rows=out.shape[0], cols=out.shape[1], dtype=out.dtype)
    r = out - Y
    return 0.5 * float(np.sum(r * r)), r


def _labels(y: object, n: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (n,):
        raise InputError(f"y: expected {n} labels (shape ({n},) or ({n}, 1)), got shape {y.shape}")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise InputError("y: binary labels must be -1 or +1 (zou2018.md §1.1)")
    return y


def mean_margin_dout(y: np.ndarray, ell_prime_values: np.ndarray) -> np.ndarray:
    """∂L_S/∂ŷ for L_S = (1/n)Σ ℓ(y_iŷ_i), from the values ℓ′(y_iŷ_i): ℓ′_i y_i / n as an n × 1 matrix."""
    lp = np.asarray(ell_prime_values, dtype=np.float64)
    if lp.shape != y.shape or not np.all(np.isfinite(lp)):
        raise InputError(f"ell_prime_values: expected {y.shape[0]} finite values, got shape {lp.shape}")
    return (lp * y / y.shape[0])[:, None]


def margin_loss(out: np.ndarray, y: object, loss: MarginLoss) -> tuple[float, np.ndarray]:
    """ZCZG's L_S = (1/n) Σ_i ℓ(y_i ŷ_i) (a mean, zou2018.md §1.5) and ∂L_S/∂out, for loss = (ℓ, ℓ′)."""
    if out.shape[1] != 1:
        raise InputError(f"margin_loss: needs a scalar output, got d_out = {out.shape[1]}")
    y = _labels(y, out.shape[0])
    z = y * out[:, 0]
    ell, ell_prime = loss
    return float(np.mean(ell(z))), mean_margin_dout(y, ell_prime(z))


@dataclass(frozen=True)
class LossGrad:
    """Loss value, gradients (aligned with ``Ws``; None for untrained layers), ∂loss/∂out and the cache."""

    value: float
    grads: list[np.ndarray | None]
    dout: np.ndarray
    cache: ForwardCache = field(repr=False)


def loss_and_grad(
    param: DeepParameterization, weights: DeepWeights, X: object, Y: object, *,
    loss: MarginLoss | None = None, chunk: int | None = None,
) -> LossGrad:
    """The objective and its gradient: AZLS's sum square loss (``loss=None``; Y is n × d_out) or ZCZG's
    mean margin loss (``loss=(ℓ, ℓ′)``; Y are ±1 labels)."""
    cache = forward(param, weights, X, chunk=chunk)
    value, dout = square_loss(cache.out, Y) if loss is None else margin_loss(cache.out, Y, loss)
    return LossGrad(value, backward(param, weights, cache, dout, chunk=chunk), dout, cache)


def _step(weights: DeepWeights, grads: list[np.ndarray | None], eta: float) -> DeepWeights:
    if not (eta > 0 and math.isfinite(eta)):
        raise InputError(f"eta: expected a positive finite step size, got {eta}")
    return weights.perturbed([None if G is None else -eta * G for G in grads])


def gd_step(
    param: DeepParameterization, weights: DeepWeights, X: object, Y: object, eta: float, *,
    loss: MarginLoss | None = None, chunk: int | None = None,
) -> tuple[DeepWeights, LossGrad]:
    """One GD step W_ℓ ← W_ℓ − η∇_{W_ℓ}(objective) on the trained layers (azls2018.md §1.8, zou2018.md §1.6).
    Returns the new weights and the loss/gradient at the old ones."""
    lg = loss_and_grad(param, weights, X, Y, loss=loss, chunk=chunk)
    return _step(weights, lg.grads, eta), lg


def sample_batch(rng: np.random.Generator, n: int, b: int) -> np.ndarray:
    """A uniformly random size-b subset of range(n), without replacement (zou2018.md §1.6, Lemma D.2)."""
    if not 1 <= b <= n:
        raise InputError(f"sample_batch: need 1 <= b <= n, got b={b}, n={n}")
    return np.sort(rng.choice(n, size=b, replace=False))


def sgd_step(
    param: DeepParameterization, weights: DeepWeights, X: object, Y: object, batch: object, eta: float, *,
    loss: MarginLoss | None = None, chunk: int | None = None,
) -> tuple[DeepWeights, LossGrad]:
    """One mini-batch SGD step on the samples ``batch`` (indices; see :func:`sample_batch`).

    Sum square loss (AZLS): W ← W − η (n/b) Σ_{i∈S} ∇F_i, the unbiased estimate of ∇F (azls2018.md §1.8 [U]).
    Mean margin loss (ZCZG): W ← W − η (1/B) Σ_{i∈B} ∇ℓ(y_i f(x_i)) (zou2018.md §1.6 [V p.6]).
    Returns the new weights and the loss/gradient of the batch objective (before the n/b factor).
    """
    X = check_inputs(param, X)
    n = X.shape[0]
    idx = np.asarray(batch)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0 or idx.max() >= n:
        raise InputError(f"batch: expected a non-empty 1-D array of sample indices in [0, {n}), got {batch!r}")
    Yb = np.asarray(Y)[idx]
    lg = loss_and_grad(param, weights, X[idx], Yb, loss=loss, chunk=chunk)
    factor = n / idx.size if loss is None else 1.0
    return _step(weights, lg.grads, eta * factor), lg
