"""Kernels of deep ReLU networks: the empirical NTK of the trained layers and the infinite-width recursions.

Empirical NTK (azls2018.md §1.7). For the trained layer ℓ and outputs k, k′,
    K^{(ℓ)}_{(i,k),(j,k′)} = τ_ℓ² ⟨δ_{i,ℓ,k}, δ_{j,ℓ,k′}⟩ · ⟨u_{i,ℓ−1}, u_{j,ℓ−1}⟩,
    δ_{i,ℓ,k} = D_{i,ℓ} ∘ Back_{i,ℓ+1}[k, :],   u_{i,ℓ−1} = h_{i,ℓ−1}
(for conv layers a sum over position pairs), and K = Σ_{ℓ trained} K^{(ℓ)}. Rows and columns are indexed
(i, k) ↦ i·d_out + k. With r = ∂loss/∂out stacked the same way, ‖∇loss‖_F² = rᵀKr exactly.

Infinite width (numerics.md §3.2, c_σ = 2). With He-type variances (2/fan_out in both papers) the ReLU map
keeps the diagonal: ⟨h_ℓ(x), h_ℓ(x)⟩ → ‖x‖², and the angle α of the representations evolves by
    cos α′ = (sin α + (π − α) cos α)/π,
computed here in a cancellation-free form, with α = 0 exactly on the diagonal and the input angles from the
atan2 formula (numerics.md §1). The derivative kernel is Σ̇ = (π − α)/π. The backward pass of a layer with
fan-out variance 2/m_{ℓ+1} scales ⟨δ_ℓ, δ′_ℓ⟩ by m_ℓ/m_{ℓ+1}, which gives (derivation in
:func:`ntk_infinite`)
    Θ(x, x′) = (c_out/2) Σ_{ℓ trained} m_ℓ ‖x‖‖x′‖ cos α_{h_{ℓ−1}} Π_{r=ℓ}^{L} (π − α_{h_{r−1}})/π  ⊗ I_{d_out},
with c_out = Var(B_kj) = 1/d_out (AZLS) or v_j² = 1 (ZCZG). The NTK grows linearly with the width (neither
paper has an NTK-style 1/√m), so this is the leading-order kernel at the given widths, not a width-free limit.
Only ``kind="dense"`` has an infinite-width kernel here.
"""

from __future__ import annotations

import numpy as np

from lemmas.core.deep import (
    DeepParameterization, DeepWeights, ForwardCache, _check_weights, _resolve_chunk, _row_chunks, backward,
    backward_sweep, forward, layer_input,
)
from lemmas.core.twolayer import angles
from lemmas.core.validation import InputError, as_matrix


# --------------------------------------------------------------------------------------------------
# Empirical NTK
# --------------------------------------------------------------------------------------------------


def _check_layers(param: DeepParameterization, layers: object) -> tuple[int, ...]:
    if layers is None:
        return param.trained
    layers = tuple(sorted({int(ell) for ell in layers}))
    if not layers or not set(layers) <= set(param.trained):
        raise InputError(f"layers: expected a non-empty subset of the trained layers {param.trained}, got {layers}")
    return layers


def _layer_gram(param: DeepParameterization, ell: int, da: np.ndarray, Ua: np.ndarray, db: np.ndarray, Ub: np.ndarray) -> np.ndarray:
    """The block K^{(ℓ)} between two sample sets: δ's of shape (s, r, q·m), layer inputs U of shape (s·q, f)."""
    sa, r, _ = da.shape
    sb = db.shape[0]
    q, m = param.positions, param.channels(ell)
    if q == 1:
        Gu = Ua @ Ub.T
        block = (da.reshape(sa * r, m) @ db.reshape(sb * r, m).T) * (Gu if r == 1 else np.kron(Gu, np.ones((r, r), Gu.dtype)))
    else:
        Gd = np.einsum("apm,bqm->abpq", da.reshape(sa * r, q, m), db.reshape(sb * r, q, m))
        Gu = np.einsum("ipf,jqf->ijpq", Ua.reshape(sa, q, -1), Ub.reshape(sb, q, -1))
        Gu = np.repeat(np.repeat(Gu, r, axis=0), r, axis=1)
        block = np.einsum("abpq,abpq->ab", Gd, Gu)
    return param.layer_scale(ell) ** 2 * block


def empirical_ntk(
    param: DeepParameterization, weights: DeepWeights, X: object, *, layers: object = None,
    chunk: int | None = None, cache: ForwardCache | None = None,
) -> np.ndarray:
    """K = Σ_{ℓ ∈ layers} K^{(ℓ)} (n·d_out × n·d_out) by the structured formula (azls2018.md §1.7).

    ``layers`` defaults to all trained layers (e.g. ``layers=(L,)`` gives K^{(L)}). Samples are processed in
    blocks of ``chunk``: for each pair of blocks one backward sweep of the stacked samples, so the memory is
    about 2·chunk·d_out·width floats. Pass ``cache`` (a forward pass of X) to reuse it; X is then ignored.
    """
    layers = _check_layers(param, layers)
    if cache is None:
        cache = forward(param, weights, X, chunk=chunk)
    _check_weights(param, weights)
    n, d = cache.n, param.d_out
    widest = max(param.width(ell) for ell in range(param.L + 1))
    chunk = _resolve_chunk(chunk, n, 2 * d * param.kernel * widest)
    blocks = list(_row_chunks(n, chunk))
    K = np.zeros((n * d, n * d), weights.dtype)
    for a, I in enumerate(blocks):
        for J in blocks[a:]:
            same = J is I
            rows = I if same else np.concatenate([np.arange(I.start, I.stop), np.arange(J.start, J.stop)])
            sI = I.stop - I.start
            upstream = np.broadcast_to(weights.B, (sI + (0 if same else J.stop - J.start),) + weights.B.shape)
            block = np.zeros((sI * d, (J.stop - J.start) * d), weights.dtype)
            for ell, _, delta in backward_sweep(param, weights, cache, upstream, rows, stop=layers[0]):
                if ell not in layers:
                    continue
                UI = layer_input(param, cache.h[ell - 1][I])
                if same:
                    block += _layer_gram(param, ell, delta, UI, delta, UI)
                else:
                    UJ = layer_input(param, cache.h[ell - 1][J])
                    block += _layer_gram(param, ell, delta[:sI], UI, delta[sI:], UJ)
            K[I.start * d : I.stop * d, J.start * d : J.stop * d] = block
            if not same:
                K[J.start * d : J.stop * d, I.start * d : I.stop * d] = block.T
    return K


def ntk_gradient_identity(
    param: DeepParameterization, weights: DeepWeights, X: object, dout: object, *, chunk: int | None = None
) -> tuple[float, float]:
    """(‖∇loss‖_F², rᵀKr) over the trained layers, r = ``dout`` stacked (i, k) ↦ i·d_out + k.

    The two agree exactly (azls2018.md §1.7: ‖∇F‖² = rᵀKr with r = u − y; the same for ZCZG with
    r_i = ℓ′_i y_i / n). Used as an identity check of the gradient against the kernel.
    """
    cache = forward(param, weights, X, chunk=chunk)
    grads = backward(param, weights, cache, dout, chunk=chunk)
    r = as_matrix("dout", dout, rows=cache.n, cols=param.d_out).reshape(-1)
    K = empirical_ntk(param, weights, X, chunk=chunk, cache=cache)
    return float(sum(np.sum(G * G) for G in grads if G is not None)), float(r @ K @ r)


# --------------------------------------------------------------------------------------------------
# Infinite width
# --------------------------------------------------------------------------------------------------

_SMALL_ANGLE = 0.1


def _angle_minus_sine(a: np.ndarray) -> np.ndarray:
    """α − sin α without cancellation (Taylor series below 0.1: truncation error < 1e-20·α³)."""
    a = np.asarray(a, dtype=np.float64)
    out = a - np.sin(a)
    small = a < _SMALL_ANGLE
    if np.any(small):
        x = a[small]
        x2 = x * x
        term, acc = x * x2 / 6.0, np.zeros_like(x)
        for k in range(1, 7):  # Σ_k (−1)^{k+1} x^{2k+1}/(2k+1)!
            acc += term
            term = -term * x2 / ((2 * k + 2) * (2 * k + 3))
        out[small] = acc
    return out


def relu_angle_map(alpha: np.ndarray) -> np.ndarray:
    """α′ with cos α′ = (sin α + (π − α) cos α)/π: one He-scaled ReLU layer (c_σ = 2) acting on angles.

    Stable form: 1 − cos α′ = [(π − α)(1 − cos α) + (α − sin α)]/π with both terms non-negative,
    1 − cos α = 2 sin²(α/2), then α′ = 2 asin(√((1 − cos α′)/2)). Exactly 0 at α = 0.
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    one_minus_cos = ((np.pi - alpha) * 2.0 * np.sin(alpha / 2.0) ** 2 + _angle_minus_sine(alpha)) / np.pi
    return 2.0 * np.arcsin(np.sqrt(np.clip(one_minus_cos / 2.0, 0.0, 1.0)))


def representation_angles(param: DeepParameterization, X: object) -> list[np.ndarray]:
    """Angles between the infinite-width representations h_ℓ(x_i), h_ℓ(x_j) for ℓ = 0..L (n × n each).

    AZLS: h_0 = φ(Ax) has passed one ReLU layer; ZCZG: h_0 = x. Input angles by atan2 (numerics.md §1).
    """
    _require_dense(param)
    X = as_matrix("X", X, cols=param.d_in)
    alpha = angles(X)
    if param.has_input_layer:
        alpha = relu_angle_map(alpha)
    out = [alpha]
    for _ in range(param.L):
        out.append(relu_angle_map(out[-1]))
    for a in out:
        np.fill_diagonal(a, 0.0)
    return out


def _require_dense(param: DeepParameterization) -> None:
    if param.kind != "dense":
        raise InputError(f"infinite-width kernels are implemented for kind='dense' only, got {param.kind!r}")


def _output_scale(param: DeepParameterization) -> float:
    return param.output_var if param.output == "gaussian" else 1.0


def ntk_infinite(param: DeepParameterization, X: object, *, layers: object = None) -> np.ndarray:
    """The leading-order NTK of the trained layers at the widths m_ℓ (n·d_out × n·d_out).

    Derivation (gradient independence, as in the NTK literature): with δ_{L} = D_L ∘ B_k,
    ⟨δ_L, δ′_L⟩ → m_L c_out (π − α_{g_L})/(2π); with (W_{ℓ+1}ᵀδ)_j of variance (2/m_{ℓ+1})‖δ‖²,
    ⟨δ_ℓ, δ′_ℓ⟩ → m_ℓ ((π − α_{g_ℓ})/(2π)) (2/m_{ℓ+1}) ⟨δ_{ℓ+1}, δ′_{ℓ+1}⟩; and ⟨h_{ℓ−1}, h′_{ℓ−1}⟩ →
    ‖x‖‖x′‖ cos α_{h_{ℓ−1}}, with α_{g_ℓ} = α_{h_{ℓ−1}}. Different outputs decouple (⊗ I_{d_out}).
    """
    layers = _check_layers(param, layers)
    X = as_matrix("X", X, cols=param.d_in)
    alpha = representation_angles(param, X)
    norms = np.linalg.norm(X, axis=1)
    N = np.outer(norms, norms)
    theta = np.zeros_like(N)
    tail = np.ones_like(N)  # Π_{r=ℓ}^{L} Σ̇_r, built from the top
    for ell in range(param.L, 0, -1):
        tail = tail * (np.pi - alpha[ell - 1]) / np.pi
        if ell in layers:
            theta += param.widths[ell - 1] * N * np.cos(alpha[ell - 1]) * tail
    theta *= _output_scale(param) / 2.0
    return np.kron(theta, np.eye(param.d_out))


def nngp_infinite(param: DeepParameterization, X: object) -> np.ndarray:
    """The infinite-width covariance of the outputs at initialization, E[out_k(x) out_k′(x′)].

    AZLS: c_out ‖x‖‖x′‖ cos α_{h_L} δ_kk′. ZCZG: v has exactly half +1 and half −1 entries, so the ReLU
    mean cancels: Cov = ‖x‖‖x′‖(cos α_{h_L} − 1/π) (diagonal ‖x‖²(1 − 1/π), zou2018.md Lemma A.6).
    """
    X = as_matrix("X", X, cols=param.d_in)
    alpha = representation_angles(param, X)
    norms = np.linalg.norm(X, axis=1)
    N = np.outer(norms, norms)
    if param.output == "gaussian":
        sigma = param.output_var * N * np.cos(alpha[-1])
    else:
        sigma = N * (np.cos(alpha[-1]) - 1.0 / np.pi)
    return np.kron(sigma, np.eye(param.d_out))
