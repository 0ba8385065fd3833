"""Certified enclosures of the smallest eigenvalue of a symmetric matrix, and of λ_0 = λ_min(H∞).

Why: DZPS assume λ_0 > 0 and every constant of the paper scales with a power of λ_0, so a check that
divides by λ_0 must know it is positive and how large it is, not trust ``eigvalsh``. Every bound here
is a theorem about the exact matrix, proved with interval arithmetic (mpmath.iv) or with a
floating-point rounding-error analysis (IEEE binary64, round to nearest); ``docs/certificates.md``
gives the analysis and its sources.

Tiers of an :class:`Enclosure`:

* ``"interval"``: λ_min > lower is proved by an interval Cholesky of A − lower·I over mpmath.iv
  (106-bit endpoints); the upper end is a Rayleigh quotient evaluated in mpmath.iv. O(n³) Python
  operations, the default for n <= 120.
* ``"float"``: λ_min > lower is proved by one LAPACK Cholesky of fl(A − s·I) and a backward-error
  bound (Demmel; Higham, ASNA Thm 10.3; the criterion of Rump, BIT 46, 2006); the upper end is a
  Rayleigh quotient with Higham γ_n bounds. The default for n > 120.
* ``"estimated"``: a bare ``eigvalsh``, never a certificate.

An entry radius (|A_exact − A| <= R entrywise) is handled by Weyl's inequality with a rigorous upper
bound ρ >= ‖R‖₂ (‖R‖₂ <= max row sum of R, R symmetric and nonnegative).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from mpmath import ctx_iv
from mpmath.ctx_iv import ivmpf
from mpmath.libmp import fzero, to_float

from lemmas.core.validation import InputError, as_matrix, unit_rows

#: Largest n for which ``tier="auto"`` chooses the interval tier.
AUTO_INTERVAL_MAX_N = 120

#: Unit roundoff of IEEE binary64 with rounding to nearest.
U = 2.0**-53
#: Absolute error allowed per floating-point operation for underflow; 2^-1022 covers gradual
#: underflow (error <= 2^-1075) and flush-to-zero of results alike (DAZ assumed off, NumPy's default).
ETA = 2.0**-1022
#: The float tier accepts matrices with entries up to this size (no overflow in its bounds).
FLOAT_TIER_MAX_ENTRY = 2.0**500
#: Row norms accepted by :func:`gram_infinity_enclosure` (keeps underflow negligible, see docs).
ROW_NORM_RANGE = (2.0**-199, 2.0**199)
#: Allowance for every underflow contribution in the angle bounds of :func:`gram_infinity_enclosure`.
ANGLE_UNDERFLOW_ALLOWANCE = 2.0**-400

# Shift search: first gap below the float estimate (in units of n·u·scale), growth per failure,
# and bisection steps between the last failed and the first certified shift.
_FIRST_GAP_ULPS = 16.0
_GAP_GROWTH = 16.0
_REFINE_STEPS = 2

_TIERS = ("auto", "interval", "float", "estimated")
_MAX_FLOAT = float(np.finfo(np.float64).max)

# A private interval context, so that no other module's precision setting can affect the proofs.
_IV = ctx_iv.MPIntervalContext()
_IV.prec = 106


# ---------------------------------------------------------------------------------------------
# The result type


@dataclass(frozen=True)
class Enclosure:
    """lower <= λ_min(A_exact) <= upper for every matrix the call covered.

    For the certificate tiers ("interval", "float") the lower bound is strict: this module proves
    λ_min > lower (a positive-definiteness proof of A − lower·I, or a strict chain of inequalities).
    ``tier="estimated"`` holds lower == upper == the float ``eigvalsh`` value and proves nothing.
    """

    lower: float
    upper: float
    tier: str
    method: str

    def __post_init__(self) -> None:
        if not self.lower <= self.upper:
            raise AssertionError(f"Enclosure with lower {self.lower!r} > upper {self.upper!r}: a bound is unsound")

    @property
    def is_certificate(self) -> bool:
        """True for the rigorous tiers, False for ``"estimated"``."""
        return self.tier != "estimated"

    @property
    def width(self) -> float:
        return self.upper - self.lower

    def certifies_at_least(self, c: float) -> bool:
        """True iff this is a certificate with lower >= c, which proves λ_min > c (strict)."""
        return self.is_certificate and self.lower >= c

    def as_dict(self) -> dict:
        return {
            "lower": self.lower,
            "upper": self.upper,
            "width": self.width,
            "tier": self.tier,
            "method": self.method,
            "is_certificate": self.is_certificate,
        }


# ---------------------------------------------------------------------------------------------
# Outward rounding helpers


def _float_down(x: ivmpf) -> float:
    """A float <= every point of the interval x (its lower endpoint rounded down)."""
    lo = x._mpi_[0]
    f = to_float(lo, rnd="f")
    if lo != fzero and abs(f) < 2.0**-1021:  # to_float may round the wrong way on underflow
        f = 0.0 if lo[0] == 0 else -(2.0**-1021)
    return _MAX_FLOAT if f == math.inf else f  # and overflows to inf


def _float_up(x: ivmpf) -> float:
    """A float >= every point of the interval x (its upper endpoint rounded up)."""
    hi = x._mpi_[1]
    f = to_float(hi, rnd="c")
    if hi != fzero and abs(f) < 2.0**-1021:
        f = 2.0**-1021 if hi[0] == 0 else 0.0
    return -_MAX_FLOAT if f == -math.inf else f


def _next_up(a: np.ndarray | float) -> np.ndarray | float:
    return np.nextafter(a, np.inf)


def _next_down(a: np.ndarray | float) -> np.ndarray | float:
    return np.nextafter(a, -np.inf)


def _gamma(k: int) -> ivmpf:
    """Higham's γ_k = k·u / (1 − k·u), as an interval."""
    ku = _IV.mpf(k) * U
    return ku / (1 - ku)


def _underflow(k: int) -> ivmpf:
    """4kη: total absolute underflow error of a float sum or dot product of length k (docs)."""
    return 4 * _IV.mpf(k) * ETA


# ---------------------------------------------------------------------------------------------
# Input validation


def _symmetric_matrix(A: object) -> np.ndarray:
    A = as_matrix("A", A)
    if A.shape[0] != A.shape[1]:
        raise InputError(f"A: expected a square matrix, got shape {A.shape}")
    asym = np.argwhere(A != A.T)
    if asym.size:
        i, j = (int(k) for k in asym[0])
        raise InputError(
            f"A: not symmetric, A[{i},{j}] = {A[i, j]!r} but A[{j},{i}] = {A[j, i]!r}; "
            "symmetrise it exactly first, e.g. (A + A.T) / 2"
        )
    return A


def _radius_norm_bound(entry_radius: float | np.ndarray, n: int) -> float:
    """ρ >= ‖R‖₂ for the symmetric nonnegative radius matrix R (a scalar r means R = r·𝟙𝟙ᵀ)."""
    if np.ndim(entry_radius) == 0:
        r = float(entry_radius)
        if not (math.isfinite(r) and r >= 0):
            raise InputError(f"entry_radius: expected a finite number >= 0, got {entry_radius!r}")
        return _float_up(_IV.mpf(n) * r)  # ‖r·𝟙𝟙ᵀ‖₂ = n·r
    R = as_matrix("entry_radius", entry_radius, rows=n, cols=n)
    if np.any(R < 0):
        raise InputError("entry_radius: entries must be >= 0")
    if not np.array_equal(R, R.T):
        raise InputError("entry_radius: the radius matrix must be symmetric")
    # ‖R‖₂ <= ‖R‖_∞ (R symmetric); a float row sum S satisfies exact <= (S + 4nη) / (1 − γ_n).
    s_max = float(R.sum(axis=1).max())
    return _float_up((_IV.mpf(s_max) + _underflow(n)) / (1 - _gamma(n)))


def _resolve_tier(tier: str, n: int) -> str:
    if tier not in _TIERS:
        raise InputError(f"tier: expected one of {_TIERS}, got {tier!r} (ball enclosures are not produced here)")
    if tier == "auto":
        return "interval" if n <= AUTO_INTERVAL_MAX_N else "float"
    return tier


def _check_float_tier_range(A: np.ndarray) -> None:
    big = float(np.abs(A).max())
    if big > FLOAT_TIER_MAX_ENTRY:
        raise InputError(f"A: entries up to {big:.3g} exceed the float tier's range 2^500; use tier='interval'")


# ---------------------------------------------------------------------------------------------
# Interval tier: interval Cholesky and interval Rayleigh quotient over mpmath.iv


def _interval_rows(A: np.ndarray) -> list[list[ivmpf]]:
    """The lower triangle of A as mpmath intervals (exact: 53-bit floats in 106-bit endpoints)."""
    return [[_IV.mpf(float(x)) for x in A[i, : i + 1]] for i in range(A.shape[0])]


def _interval_cholesky_succeeds(M: list[list[ivmpf]], shift: float) -> bool:
    """True iff the interval Cholesky of M − shift·I completes with every pivot interval > 0.

    That proves M − shift·I positive definite (each exact intermediate of the exact Cholesky lies in
    its interval), i.e. λ_min(M) > shift. Row-oriented, so an indefinite leading block stops early.
    mpmath raises ValueError (ComplexResult subclasses it) on ambiguous operations: "not certified".
    """
    s = _IV.mpf(shift)
    L: list[list[ivmpf]] = []
    try:
        for i, Mi in enumerate(M):
            row: list[ivmpf] = []
            for k in range(i):
                Lk = L[k]
                row.append((Mi[k] - _IV.fdot(row, Lk)) / Lk[k])  # zip stops at len(row) = k
            pivot = Mi[i] - s - _IV.fsum(row, squared=True)
            if not pivot.a > 0:
                return False
            row.append(_IV.sqrt(pivot))
            L.append(row)
    except (ValueError, ZeroDivisionError):
        return False
    return True


def _rayleigh_upper_interval(A: np.ndarray, v: np.ndarray) -> float:
    """A float >= vᵀAv / vᵀv (>= λ_min(A)), evaluated in mpmath.iv."""
    vi = [_IV.mpf(float(x)) for x in v]
    num = _IV.mpf(0)
    for i, row in enumerate(A):
        acc = _IV.mpf(0)
        for a, x in zip(row.tolist(), vi):
            acc += a * x
        num += vi[i] * acc
    den = _IV.mpf(0)
    for x in vi:
        den += x**2
    return _float_up(num / den)


# ---------------------------------------------------------------------------------------------
# Float tier: Cholesky backward-error criterion and Rayleigh quotient with γ_n bounds


def _float_shift_slack(n: int, diag: np.ndarray, r_max: float) -> ivmpf:
    """α with λ_min(A) > s − α whenever LAPACK's Cholesky of B = fl(A − s·I) succeeds.

    diag = diag(B) > 0, r_max >= max_i R̂_ii. α = γ/(1−γ)·(tr B + nτ) + nτ + u·max b_ii + η with
    γ = γ_{n+2} and τ = 8(n + 1 + r_max)·η (docs/certificates.md, "float tier").
    """
    g = _gamma(n + 2)
    tau = 8 * (_IV.mpf(n) + 1 + r_max) * ETA
    trace = _IV.mpf(float(_next_up(math.fsum(diag.tolist()))))  # fsum is correctly rounded
    return g / (1 - g) * (trace + n * tau) + n * tau + U * _IV.mpf(float(diag.max())) + ETA


def _float_shift_lower_bound(A: np.ndarray, shift: float) -> float | None:
    """A float L with λ_min(A) > L, from one float Cholesky of fl(A − shift·I); None if it fails."""
    n = A.shape[0]
    diag = np.diagonal(A) - shift  # fl(a_ii − s), each one rounding
    if not np.all(diag > 0):
        return None
    B = A.copy()
    B[np.diag_indices(n)] = diag
    try:
        R = scipy.linalg.cholesky(B, lower=False, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    r_diag = np.diagonal(R)
    if not (np.all(np.isfinite(R)) and np.all(r_diag > 0)):
        return None
    r_max = float(r_diag.max())
    if r_max >= 2.0**1000:
        return None
    return _float_down(_IV.mpf(shift) - _float_shift_slack(n, diag, r_max))


def _rayleigh_upper_float(A: np.ndarray, v: np.ndarray) -> float:
    """A float >= vᵀAv / vᵀv (>= λ_min(A)) from float products with Higham γ_n bounds.

    N = vᵀAv <= fl(vᵀ fl(Av)) + γ_n(2 + γ_n)·M + 12n(n + 1)η with M = |v|ᵀ|A||v| bounded through its
    float evaluation (|v_i| <= 1); D = vᵀv in [(d̂ − 4nη)/(1+γ_n), (d̂ + 4nη)/(1−γ_n)].
    """
    n = A.shape[0]
    v = v / np.abs(v).max()  # |v_i| <= 1; any nonzero multiple of v gives the same quotient
    g, uf = _gamma(n), _underflow(n)
    t_hat = _IV.mpf(float(v @ (A @ v)))
    m_hat = _IV.mpf(float(np.abs(v) @ (np.abs(A) @ np.abs(v))))
    # A nonnegative float dot product of length n: exact <= (fl + 4nη) / (1 − γ_n); used twice.
    m_up = ((m_hat + uf) / (1 - g) + n * uf) / (1 - g)
    num = t_hat + g * (2 + g) * m_up + 12 * _IV.mpf(n) * (n + 1) * ETA
    d_hat = _IV.mpf(float(v @ v))
    den = _IV.mpf([_float_down((d_hat - uf) / (1 + g)), _float_up((d_hat + uf) / (1 - g))])
    return _float_up(num / den)


# ---------------------------------------------------------------------------------------------
# Shared pieces: Gershgorin floor and the shift search


def _gershgorin_lower(A: np.ndarray) -> float:
    """A float g with λ_min(A) > g: min_i (a_ii − Σ_{j≠i} |a_ij|), rounded down, minus one ulp."""
    n = A.shape[0]
    off = np.abs(A)
    np.fill_diagonal(off, 0.0)
    sums = off.sum(axis=1)  # exact <= (fl + 4nη)/(1 − γ_n)
    factor = _float_up(1 / (1 - _gamma(n)))
    sums_up = _next_up(_next_up(sums + _float_up(_underflow(n))) * factor)
    return float(_next_down(_next_down(np.diagonal(A) - sums_up).min()))


def _search_lower(lam_hat: float, gap: float, floor: float, certify_shift: Callable[[float], float | None]) -> tuple[float, int]:
    """Largest certified lower bound found by shifting below the estimate lam_hat.

    Tries shifts lam_hat − gap·16^k until one is certified (or the shift falls below the rigorous
    Gershgorin floor, which is then returned), then bisects the gap between the last failure and
    the success. Returns (bound, number of Cholesky attempts).
    """
    attempts, failed_gap, best = 0, None, None
    while best is None:
        shift = lam_hat - gap
        if not shift > floor:
            return floor, attempts
        attempts += 1
        best = certify_shift(shift)
        if best is None:
            failed_gap, gap = gap, gap * _GAP_GROWTH
    if failed_gap is not None:
        for _ in range(_REFINE_STEPS):
            mid_gap = math.sqrt(failed_gap * gap)
            attempts += 1
            bound = certify_shift(lam_hat - mid_gap)
            if bound is None:
                failed_gap = mid_gap
            else:
                gap, best = mid_gap, max(best, bound)
    return max(best, floor), attempts


# ---------------------------------------------------------------------------------------------
# Public API


def lambda_min_enclosure(A: np.ndarray, *, entry_radius: float | np.ndarray = 0.0, tier: str = "auto") -> Enclosure:
    """Rigorous enclosure of λ_min of every symmetric A_exact with |A_exact − A| <= entry_radius.

    A is a float64 symmetric matrix taken as exact binary floats; entry_radius is a scalar or a
    symmetric nonnegative matrix. tier="auto" means "interval" for n <= 120, else "float";
    tier="estimated" returns the bare eigvalsh value, marked as not a certificate.
    """
    A = _symmetric_matrix(A)
    n = A.shape[0]
    rho = _radius_norm_bound(entry_radius, n)
    tier = _resolve_tier(tier, n)
    if tier == "estimated":
        lam = float(np.linalg.eigvalsh(A)[0])
        return Enclosure(lam, lam, "estimated", "eigvalsh (not a certificate)")
    if tier == "float":
        _check_float_tier_range(A)
    w, V = scipy.linalg.eigh(A, subset_by_index=[0, 0])
    lam_hat, v = float(w[0]), V[:, 0]
    gap = _FIRST_GAP_ULPS * n * U * float(np.abs(A).max()) or ETA
    floor = _gershgorin_lower(A)
    if tier == "interval":
        M = _interval_rows(A)
        lower, attempts = _search_lower(lam_hat, gap, floor, lambda s: s if _interval_cholesky_succeeds(M, s) else None)
        upper = _rayleigh_upper_interval(A, v)
        method = f"mpmath.iv cholesky bisection ({attempts} attempts); rayleigh quotient in mpmath.iv"
    else:
        lower, attempts = _search_lower(lam_hat, gap, floor, lambda s: _float_shift_lower_bound(A, s))
        upper = _rayleigh_upper_float(A, v)
        method = f"float cholesky criterion, Demmel/Rump ({attempts} attempts); rayleigh quotient with gamma_n bounds"
    if lower == floor:
        method += "; lower end from gershgorin"
    if rho > 0:
        lower, upper = _float_down(_IV.mpf(lower) - rho), _float_up(_IV.mpf(upper) + rho)
        method += "; entry radius by weyl"
    return Enclosure(lower, upper, tier, method)


def certify_lambda_min_at_least(A: np.ndarray, c: float, *, entry_radius: float | np.ndarray = 0.0, tier: str = "auto") -> bool:
    """True only if it is proved that λ_min(A_exact) > c (strict) for every covered A_exact.

    One positive-definiteness test of A − (c + ρ)·I, ρ >= ‖R‖₂ (Weyl). False means "not certified",
    never "refuted".
    """
    A = _symmetric_matrix(A)
    n = A.shape[0]
    c = float(c)
    if not math.isfinite(c):
        raise InputError(f"c: expected a finite number, got {c!r}")
    rho = _radius_norm_bound(entry_radius, n)
    tier = _resolve_tier(tier, n)
    if tier == "estimated":
        raise InputError("tier='estimated' cannot certify anything; use 'auto', 'interval' or 'float'")
    target = _float_up(_IV.mpf(c) + rho)  # λ_min(A) > target  implies  λ_min(A_exact) > c
    if tier == "interval":
        return _interval_cholesky_succeeds(_interval_rows(A), target)
    _check_float_tier_range(A)
    diag = np.diagonal(A) - target
    if not np.all(diag > 0):
        return False
    # The slack at shift s >= target is at most the slack estimated at target (smaller trace).
    slack = _float_shift_slack(n, diag, 1 + math.sqrt(2 * float(diag.max())))
    shift = _float_up(_IV.mpf(target) + slack * (1 + 2.0**-20))
    bound = _float_shift_lower_bound(A, shift)
    return bound is not None and bound >= target


def gram_infinity_enclosure(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mid, rad) with the exact H∞_ij = x_i·x_j (π − θ_ij)/(2π) in [mid − rad, mid + rad] entrywise.

    θ_ij is the exact angle of the given float rows (no renormalisation):
    θ = 2·atan2(‖x̂_i − x̂_j‖, ‖x̂_i + x̂_j‖) with x̂ = x/‖x‖, and θ_ii = 0 exactly. The norms ‖x̂_i ∓ x̂_j‖
    and the dot products come from vectorised float code with rigorous absolute error bounds
    (Higham γ_d; docs/certificates.md); only the atan2 of each pair runs in mpmath.iv. Rows must
    have norms in [2^-199, 2^199].
    """
    X = as_matrix("X", X)
    n, d = X.shape
    sq = np.einsum("ij,ij->i", X, X)
    norms = np.sqrt(sq)
    bad = np.flatnonzero((norms < ROW_NORM_RANGE[0]) | (norms > ROW_NORM_RANGE[1]))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"X: row {i} has norm {norms[i]:.3g}; rows need norms in [2^-199, 2^199] (a zero row has no angle)")
    U_rows = X / norms[:, None]
    diff, summ = _pair_norms(U_rows)
    err = _pair_norm_error(d)
    iu = np.triu_indices(n, k=1)
    theta_lo, theta_hi = _interval_angles(diff[iu], summ[iu], err)

    # f = (π − θ)/(2π) = 1/2 − θ·κ with κ = 1/(2π) enclosed in floats; θ_ii = 0 gives f_ii = 1/2.
    kappa = 1 / (2 * _IV.pi)
    f_lo = np.full((n, n), 0.5)
    f_hi = np.full((n, n), 0.5)
    f_lo[iu] = _next_down(0.5 - _next_up(theta_hi * _float_up(kappa)))
    f_hi[iu] = _next_up(0.5 - _next_down(theta_lo * _float_down(kappa)))

    # Dot products: |fl(x_i·x_j) − x_i·x_j| <= γ_{d+1}·‖x_i‖‖x_j‖ (γ_{d+1} absorbs underflow), and
    # ‖x_i‖ <= ŝ_i·c_norm with c_norm >= 1/(1 − ε_s).
    G = X @ X.T
    c_dot = _float_up(_gamma(d + 1) * (1 / (1 - _norm_error(d))) ** 2)
    dot_rad = _next_up(_next_up(norms[:, None] * c_dot) * norms[None, :])
    d_lo, d_hi = _next_down(G - dot_rad), _next_up(G + dot_rad)

    products = (d_lo * f_lo, d_lo * f_hi, d_hi * f_lo, d_hi * f_hi)
    h_lo = _next_down(np.minimum.reduce(products))
    h_hi = _next_up(np.maximum.reduce(products))
    h_lo = np.triu(h_lo) + np.triu(h_lo, 1).T  # every bound holds entrywise; mirror for exact symmetry
    h_hi = np.triu(h_hi) + np.triu(h_hi, 1).T
    mid = 0.5 * h_lo + 0.5 * h_hi
    rad = _next_up(np.maximum(h_hi - mid, mid - h_lo))
    return mid, rad


def certified_lambda0(X: np.ndarray) -> tuple[float, float]:
    """(lo, hi) with lo <= λ_min(H∞(X)) <= hi rigorously, for unit-norm float rows X.

    Rows further than 1e-12 from unit norm raise ValueError naming the row. An exactly singular
    configuration (duplicate rows; dependent antipodal pairs) gives lo <= 0 <= hi.
    """
    X = unit_rows("X", X)
    mid, rad = gram_infinity_enclosure(X)
    enc = lambda_min_enclosure(mid, entry_radius=rad)
    return enc.lower, enc.upper


# ---------------------------------------------------------------------------------------------
# Pieces of gram_infinity_enclosure


def _norm_error(d: int) -> ivmpf:
    """ε_s with |ŝ/s − 1| <= ε_s for ŝ = fl(sqrt(fl(Σ x_k²))): γ_{d+1} + u (γ_{d+1} absorbs underflow)."""
    return _gamma(d + 1) + U


def _pair_norm_error(d: int) -> float:
    """E >= |p − ‖x̂_i − x̂_j‖| and |q − ‖x̂_i + x̂_j‖| for the float p, q of :func:`_pair_norms`.

    With φ >= ‖u_i − x̂_i‖ (u_i the float unit row) and ρ the relative error of a float 2-norm:
    E = 2(1 + φ)(ρ(1 + u) + u) + 2φ + allowance (docs/certificates.md, "H∞ entries").
    """
    eps_s = _norm_error(d)
    phi = (1 + eps_s / (1 - eps_s)) * (1 + U) - 1
    rho = _gamma(d + 1) + U
    return _float_up(2 * (1 + phi) * (rho * (1 + U) + U) + 2 * phi + ANGLE_UNDERFLOW_ALLOWANCE)


def _pair_norms(U_rows: np.ndarray, max_block_elems: int = 4_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Float ‖u_i − u_j‖ and ‖u_i + u_j‖ for i <= j (upper triangle; the rest is left at 0)."""
    n, d = U_rows.shape
    diff = np.zeros((n, n))
    summ = np.zeros((n, n))
    block = max(1, max_block_elems // max(1, n * d))
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        rows = U_rows[i0:i1, None, :]
        cols = U_rows[None, i0:, :]
        diff[i0:i1, i0:] = np.sqrt(np.sum((rows - cols) ** 2, axis=-1))
        summ[i0:i1, i0:] = np.sqrt(np.sum((rows + cols) ** 2, axis=-1))
    return diff, summ


def _interval_angles(p: np.ndarray, q: np.ndarray, err: float) -> tuple[np.ndarray, np.ndarray]:
    """Float bounds of θ = 2·atan2(a, b) for exact a in [p − err, p + err], b in [q − err, q + err] (a, b >= 0)."""
    a_lo = np.maximum(_next_down(p - err), 0.0).tolist()
    a_hi = _next_up(p + err).tolist()
    b_lo = np.maximum(_next_down(q - err), 0.0).tolist()
    b_hi = _next_up(q + err).tolist()
    lo = np.empty(len(a_lo))
    hi = np.empty(len(a_lo))
    for k, (al, ah, bl, bh) in enumerate(zip(a_lo, a_hi, b_lo, b_hi)):
        half = _IV.atan2(_IV.mpf([al, ah]), _IV.mpf([bl, bh]))
        lo[k] = _float_down(half)
        hi[k] = _float_up(half)
    return 2.0 * lo, 2.0 * hi
