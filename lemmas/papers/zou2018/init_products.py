"""Zou et al. Theorem 5.1 (v)–(vii) through Lemmas A.8–A.10: products of masked layers at initialization.

The constants C′ are never evaluated in the paper, so these are [S] checks: the fitted exponent of the worst
value against the claimed power, with the implied constant (calibration draws) reported.
* A.8 / 5.1(v): max over i, l1 < l2 of ‖W_{l2}ᵀΠ_{r=l1}^{l2−1}Σ_{r,i}W_rᵀ‖₂ = O(L) — exponent in L (≈ ½ typical).
* A.9 / 5.1(vi): Γ = sup over unit s-sparse a of vᵀ(Π_{r=l}^{L}Σ_{r,i}W_rᵀ)a = ‖top_s(|u|)‖₂ exactly;
  O(L√(s log M)) — exponent in s.
* A.10 / 5.1(vii): the sparse bilinear sup is bracketed (truncated power method below, √s·max column top-s norm
  above); O(L√(s log M/m)) — exponent in m of the lower bracket divided by √log m.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import exponent_verdict
from lemmas.core import deep
from lemmas.core.perturb import spectral_norm
from lemmas.papers.zou2018 import source
from lemmas.papers.zou2018.checking import case_data
from lemmas.papers.zou2018.network import network, product, top_s_norm, top_s_vector, u_vectors
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

_TEST, _CALIB = 5, 2


def _role(index: int) -> str:
    return "calibration" if index % (_TEST + _CALIB) >= _TEST else "test"


def _init(params: Mapping[str, Any], rng: np.random.Generator, depth: int, width: int):
    ds = case_data(params)
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    weights = deep.init_params(param, rng)
    return ds, param, weights, deep.forward(param, weights, ds.X)


def _base(**kw: Any) -> dict[str, Any]:
    return {"data": "random_sphere", "d": 16, "mu": 0.5, "data_seed": 6, **kw}


# ==========================================================================================================
# Lemma A.8 / Theorem 5.1(v)
# ==========================================================================================================

A8 = register(Lemma(
    id="zou2018.lemmaA.8",
    title="Norms of products of masked layers (Theorem 5.1(v))",
    source=source("App. A, Lemma A.8; Theorem 5.1(v)", "zou2018.md §3.2"),
    statement=(r"If $m\ge C\log(nL^2/\delta)$ then with probability at least $1-\delta$, "
               r"$\|\mathbf W_{l_2}^\top(\prod_{r=l_1}^{l_2-1}\boldsymbol\Sigma_{r,i}\mathbf W_r^\top)\|_2\le C'L$ "
               r"for all $i$ and $1\le l_1<l_2\le L$."),
    tag="V",
    quantities={"depth_exponent": Quantity("depth_exponent", sp.Integer(1), "exponent of L", "rate", "V")},
    hypotheses={},
    notes=("Measured growth ≈ 3√L for large L (spec §3.2 [M]); implied C′ ≈ 1.4.",),
))


def _a8_cases(mode: Mode) -> Sequence[Case]:
    depths = [2, 4, 8] + ([16] if mode is Mode.FULL else [])
    return [Case(_base(n=2, m=128, depths=depths), len(depths) * (_TEST + _CALIB))]


def _a8_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    depth = int(params["depths"][index // (_TEST + _CALIB)])
    ds, _, weights, cache = _init(params, rng, depth, int(params["m"]))
    worst = 0.0
    for i in range(ds.n):
        for l1 in range(1, depth):
            P = np.eye(weights.Ws[l1 - 1].shape[1])
            for l2 in range(l1, depth + 1):
                if l2 > l1:
                    worst = max(worst, spectral_norm(weights.Ws[l2 - 1] @ P))
                P = cache.D[l2][i][:, None] * (weights.Ws[l2 - 1] @ P)
    return {"hypotheses": {}, "x": depth, "y": worst, "role": _role(index)}


def _a8_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return exponent_verdict(obs, bounds("depth_exponent"), "upper", "max ‖W_{l2}ᵀΠΣ_rW_rᵀ‖₂", "L", settings)


A8.add(Check(
    name="depth_exponent", kind=Kind.EXPONENT,
    claim="max_{i, l1<l2} ‖W_{l2}ᵀΠ_{r=l1}^{l2−1}Σ_{r,i}W_rᵀ‖₂ = O(L): fitted exponent in L, implied C′ = value/L",
    cases=_a8_cases, trial=_a8_trial, verdict=_a8_verdict, negative_control={"depth_exponent": "0"},
))

# ==========================================================================================================
# Lemma A.9 / Theorem 5.1(vi)
# ==========================================================================================================

A9 = register(Lemma(
    id="zou2018.lemmaA.9",
    title="Sparse output forms (Theorem 5.1(vi))",
    source=source("App. A, Lemma A.9; Theorem 5.1(vi)", "zou2018.md §3.2"),
    statement=(r"If $s\ge C\log(nL/\delta)$, with probability at least $1-\delta$: "
               r"$\sup_{\mathbf a\in S^{m_{l-1}-1},\|\mathbf a\|_0\le s}\mathbf v^\top(\prod_{r=l}^L\boldsymbol\Sigma_{r,i}\mathbf W_r^\top)\mathbf a"
               r"\le C'L\sqrt{s\log M}$."),
    tag="V",
    quantities={"sparsity_exponent": Quantity("sparsity_exponent", sp.Rational(1, 2), "exponent of s", "rate", "V"),
                "s_min": Quantity("s_min", sp.log(sp.Symbol("n", positive=True, integer=True) * sp.Symbol("L", positive=True, integer=True)
                                               / sp.Symbol("delta", positive=True)), "s ≥ C log(nL/δ), C = 1", "bound", "V")},
    hypotheses={"sparsity": "s ≥ log(nL/δ) (hidden constant 1)"},
    notes=("Exact [D]: the sup is ‖top_s(|u|)‖₂ with u = (Π_{r=l}^{L}Σ_{r,i}W_rᵀ)ᵀv; E23: 'for all l' in 5.1(vii).",),
))

_SPARSITIES = (8, 16, 32, 64, 128)


def _a9_cases(mode: Mode) -> Sequence[Case]:
    return [Case(_base(n=4, m=512, L=3, delta=0.1, sparsities=list(_SPARSITIES)), len(_SPARSITIES) * (_TEST + _CALIB))]


def _a9_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    s = int(params["sparsities"][index // (_TEST + _CALIB)])
    depth, width = int(params["L"]), int(params["m"])
    ds, param, weights, cache = _init(params, rng, depth, width)
    gamma = max(float(np.max(top_s_norm(u_vectors(param, weights, cache, l), s))) for l in range(1, depth + 1))
    y = gamma / (depth * math.sqrt(math.log(width)))
    return {"hypotheses": {"sparsity": s >= bounds("s_min", n=ds.n, L=depth, delta=float(params["delta"]))},
            "x": s, "y": y, "role": _role(index)}


def _a9_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return exponent_verdict(obs, bounds("sparsity_exponent"), "upper", "max_{l,i} ‖top_s(|u_{l,i}|)‖₂/(L√log M)", "s", settings)


A9.add(Check(
    name="sparsity_exponent", kind=Kind.EXPONENT,
    claim="max_{l,i} sup_{s-sparse unit a} vᵀ(Π_{r=l}^{L}Σ_{r,i}W_rᵀ)a/(L√log M) = O(√s): exact sup, fitted exponent in s",
    cases=_a9_cases, trial=_a9_trial, verdict=_a9_verdict, negative_control={"sparsity_exponent": "0"},
))

# ==========================================================================================================
# Lemma A.10 / Theorem 5.1(vii)
# ==========================================================================================================

A10 = register(Lemma(
    id="zou2018.lemmaA.10",
    title="Sparse bilinear forms of products (Theorem 5.1(vii))",
    source=source("App. A, Lemma A.10; Theorem 5.1(vii)", "zou2018.md §3.2"),
    statement=(r"If $s\ge C\log(nL^2/\delta)$, with probability at least $1-\delta$: "
               r"$\sup_{s\text{-sparse unit }\mathbf a,\mathbf b}\mathbf b^\top\mathbf W_{l_2}^\top(\prod_{r=l_1}^{l_2-1}\boldsymbol\Sigma_{r,i}"
               r"\mathbf W_r^\top)\mathbf a\le C'L\sqrt{s\log(m)/m}$."),
    tag="V",
    quantities={"width_exponent": Quantity("width_exponent", sp.Rational(-1, 2), "exponent of m (after dividing by √log m)", "rate", "V")},
    hypotheses={},
    notes=("Bracketed [D]: truncated power method (lower) ≤ sup ≤ √s·max_k‖top_s(|M_{:,k}|)‖₂ (upper).",),
))


def sparse_bilinear_bracket(Mx: np.ndarray, s: int, iterations: int = 30) -> tuple[float, float]:
    """(lower, upper) for sup over unit s-sparse a, b of bᵀMa: truncated power iterations from the best column
    (lower) and √s·max_k‖top_s(|M_{:,k}|)‖₂ (upper, from bᵀMa ≤ ‖a‖₁ max_k |bᵀM_{:,k}|)."""
    column_tops = top_s_norm(Mx.T, s)
    upper = math.sqrt(s) * float(np.max(column_tops))
    a = np.zeros(Mx.shape[1])
    a[int(np.argmax(column_tops))] = 1.0
    lower = 0.0
    for _ in range(iterations):
        b = top_s_vector(Mx @ a, s)
        a = top_s_vector(Mx.T @ b, s)
        lower = max(lower, float(b @ Mx @ a))
    return lower, upper


_WIDTHS = (64, 128, 256, 512)


def _a10_cases(mode: Mode) -> Sequence[Case]:
    widths = _WIDTHS + ((1024,) if mode is Mode.FULL else ())
    return [Case(_base(n=2, L=3, s=4, widths=list(widths)), len(widths) * (_TEST + _CALIB))]


def _a10_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    width, depth, s = int(params["widths"][index // (_TEST + _CALIB)]), int(params["L"]), int(params["s"])
    ds, _, weights, cache = _init(params, rng, depth, width)
    lower = upper = 0.0
    for i in range(ds.n):
        lo, hi = sparse_bilinear_bracket(product(weights, cache, i, 2, depth, leading_weight=True), s)
        lower, upper = max(lower, lo), max(upper, hi)
    return {"hypotheses": {}, "x": width, "y": lower / math.sqrt(math.log(width)), "upper_bracket": upper, "role": _role(index)}


def _a10_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = exponent_verdict(obs, bounds("width_exponent"), "upper", "sparse bilinear sup (lower bracket)/√log m", "m", settings)
    v.evidence["upper_bracket_over_lower"] = float(np.max([o["upper_bracket"] / (o["y"] * math.sqrt(math.log(o["x"]))) for o in obs]))
    return v


A10.add(Check(
    name="width_exponent", kind=Kind.EXPONENT,
    claim="sup over s-sparse unit a, b of bᵀW_{l2}ᵀΠΣW_rᵀa = O(√(s log m/m)): exponent in m of the lower bracket/√log m "
          "(upper bracket reported)",
    cases=_a10_cases, trial=_a10_trial, verdict=_a10_verdict, negative_control={"width_exponent": "-1"},
))
