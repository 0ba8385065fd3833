"""Tests of lemmas.certify: the enclosures must contain independently computed exact values.

Oracles: the two-point formula λ_min(H∞) = 1/2 − |cos θ|(π − θ)/(2π) (du2018.md §4), evaluated in
mpmath for the actual float rows; exactly singular configurations (duplicates, dependent antipodal
pairs, rank-deficient integer matrices); the golden values of numerics.md; and mpmath's eigsy at 40
digits for small matrices. Every matrix test runs on both certificate tiers.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lemmas.certify import (
    Enclosure,
    _float_shift_lower_bound,
    certified_lambda0,
    certify_lambda_min_at_least,
    gram_infinity_enclosure,
    lambda_min_enclosure,
)

TIERS = ("interval", "float")


def exact_lambda_min(A: np.ndarray) -> mpmath.mpf:
    """λ_min of the float matrix A (taken as exact) from mpmath's eigsy at 60 digits."""
    with mpmath.mp.workdps(60):
        return min(mpmath.mp.eigsy(mpmath.mp.matrix(A.tolist()), eigvals_only=True))


def eigsy_tolerance(A: np.ndarray) -> float:
    """A bound on eigsy's own error at 60 digits (far below any enclosure width)."""
    return 1e-50 * (1 + float(np.abs(A).max()))


def assert_encloses(enc: Enclosure, A: np.ndarray, exact: mpmath.mpf) -> None:
    tol = eigsy_tolerance(A)
    assert enc.lower <= exact + tol and exact - tol <= enc.upper, (enc, exact)


def exact_gram_infinity(X: np.ndarray) -> mpmath.matrix:
    """H∞_ij = x_i·x_j (π − θ_ij)/(2π) of the float rows, θ = 2·atan2(‖x̂−ŷ‖, ‖x̂+ŷ‖), in mpmath at 50 digits."""
    n = X.shape[0]
    with mpmath.mp.workdps(50):
        rows = [[mpmath.mpf(float(v)) for v in x] for x in X]
        unit = [[v / mpmath.sqrt(mpmath.fsum(w**2 for w in r)) for v in r] for r in rows]
        H = mpmath.mp.matrix(n, n)
        for i in range(n):
            for j in range(n):
                dot = mpmath.fsum(a * b for a, b in zip(rows[i], rows[j]))
                if i == j:
                    theta = mpmath.mpf(0)
                else:
                    a = mpmath.sqrt(mpmath.fsum((p - q) ** 2 for p, q in zip(unit[i], unit[j])))
                    b = mpmath.sqrt(mpmath.fsum((p + q) ** 2 for p, q in zip(unit[i], unit[j])))
                    theta = 2 * mpmath.atan2(a, b)
                H[i, j] = dot * (mpmath.pi - theta) / (2 * mpmath.pi)
    return H


def two_point_rows(theta: float) -> np.ndarray:
    return np.array([[1.0, 0.0], [np.cos(theta), np.sin(theta)]])


def two_point_exact(X: np.ndarray) -> mpmath.mpf:
    """λ_min of the 2×2 H∞ of the float rows x = e1, y (y's angle and norm taken exactly)."""
    with mpmath.mp.workdps(50):
        y1, y2 = mpmath.mpf(float(X[1, 0])), mpmath.mpf(float(X[1, 1]))
        h = y1 * (mpmath.pi - mpmath.atan2(y2, y1)) / (2 * mpmath.pi)
        a, c = mpmath.mpf(1) / 2, (y1**2 + y2**2) / 2
        return (a + c) / 2 - mpmath.sqrt(((a - c) / 2) ** 2 + h**2)


def unit_rows(X: np.ndarray) -> np.ndarray:
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def random_spd(n: int, seed: int) -> np.ndarray:
    G = np.random.default_rng(seed).normal(size=(n, n))
    A = G @ G.T / n
    return (A + A.T) / 2


# ---------------------------------------------------------------------------------------------
# Two-point formula


TWO_POINT_ANGLES = [1e-6, 1e-4, 1e-2, 0.5, 1.0, np.pi / 2, 2.0, 2.5, 3.0, np.pi - 1e-6, np.pi]


@pytest.mark.parametrize("theta", TWO_POINT_ANGLES)
@pytest.mark.parametrize("tier", TIERS)
def test_two_point_formula_is_enclosed(theta: float, tier: str) -> None:
    X = two_point_rows(theta)
    mid, rad = gram_infinity_enclosure(X)
    enc = lambda_min_enclosure(mid, entry_radius=rad, tier=tier)
    exact = two_point_exact(X)
    assert enc.lower <= exact <= enc.upper
    assert enc.width < 1e-13
    # The float rows are an ulp away from the nominal angle: the nominal formula agrees to 1e-15.
    nominal = 0.5 - abs(np.cos(theta)) * (np.pi - theta) / (2 * np.pi)
    assert abs(float(exact) - nominal) < 1e-15


@pytest.mark.parametrize("theta", [2.0, 2.5, 3.0])
def test_two_point_formula_needs_the_absolute_value_beyond_right_angle(theta: float) -> None:
    lo, hi = certified_lambda0(two_point_rows(theta))
    without_abs = 0.5 - np.cos(theta) * (np.pi - theta) / (2 * np.pi)  # the larger eigenvalue
    assert hi < without_abs - 1e-3


def test_two_point_lambda0_tends_to_zero_linearly() -> None:
    lo, hi = certified_lambda0(two_point_rows(1e-6))
    assert 0 < lo <= hi < 1e-6  # λ_0 ≈ θ/(2π) ≈ 1.6e-7, certified positive


# ---------------------------------------------------------------------------------------------
# Exactly singular configurations


def duplicate_rows() -> np.ndarray:
    X = unit_rows(np.random.default_rng(0).normal(size=(4, 3)))
    return np.vstack([X, X[1]])


def antipodal_rows() -> np.ndarray:
    e1, e2 = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    z = np.array([1.0, 1.0]) / np.sqrt(2.0)
    return np.array([e1, -e1, e2, -e2, z, -z])


@pytest.mark.parametrize("make_rows", [duplicate_rows, antipodal_rows], ids=["duplicates", "antipodal"])
@pytest.mark.parametrize("tier", TIERS)
def test_singular_configuration_encloses_zero_and_never_certifies_positive(make_rows: Callable[[], np.ndarray], tier: str) -> None:
    X = make_rows()
    mid, rad = gram_infinity_enclosure(X)
    enc = lambda_min_enclosure(mid, entry_radius=rad, tier=tier)
    assert enc.lower <= 0 <= enc.upper
    assert enc.width < 1e-12
    for c in (1e-300, 1e-15, 1e-9, 1e-3, 0.1):
        assert not certify_lambda_min_at_least(mid, c, entry_radius=rad, tier=tier)
        assert not enc.certifies_at_least(c)


@pytest.mark.parametrize("make_rows", [duplicate_rows, antipodal_rows], ids=["duplicates", "antipodal"])
def test_certified_lambda0_of_singular_configuration_straddles_zero(make_rows: Callable[[], np.ndarray]) -> None:
    lo, hi = certified_lambda0(make_rows())
    assert lo <= 0 <= hi


def test_rank_deficient_integer_matrix_float_tier() -> None:
    B = np.random.default_rng(3).integers(-3, 4, size=(200, 150)).astype(float)
    A = B @ B.T  # integers below 2^53: exact, and rank <= 150 < 200, so λ_min = 0 exactly
    enc = lambda_min_enclosure(A, tier="float")
    assert enc.lower < 0 <= enc.upper
    assert not certify_lambda_min_at_least(A, 0.0, tier="float")
    assert certify_lambda_min_at_least(A, -1e-6, tier="float")


def test_float_criterion_never_proves_a_singular_matrix_positive() -> None:
    # Shifts just above λ_min = 0 make A − sI indefinite; where the float Cholesky still
    # completes, the backward-error slack must push the certified bound below 0.
    B = np.random.default_rng(3).integers(-2, 3, size=(60, 59)).astype(float)
    A = B @ B.T  # exact, rank 59: one eigenvalue exactly 0, whose pivot float rounding can flip
    completed = 0
    for s in np.geomspace(1e-16, 1e-10, 40):
        bound = _float_shift_lower_bound(A, float(s))
        if bound is not None:
            completed += 1
            assert bound < 0
    assert completed > 0  # the test exercised the criterion on indefinite matrices


# ---------------------------------------------------------------------------------------------
# Golden values of numerics.md


def test_golden_five_point_lambda0() -> None:
    X = unit_rows(np.random.default_rng(0).normal(size=(5, 3)))
    lo, hi = certified_lambda0(X)
    assert abs(lo - 0.1439607459) < 1e-10 and abs(hi - 0.1439607459) < 1e-10
    assert hi - lo < 1e-13


def test_thirty_points_arccos_error_lies_outside_tight_enclosure() -> None:
    X = unit_rows(np.random.default_rng(0).normal(size=(30, 10)))
    lo, hi = certified_lambda0(X)
    assert hi - lo < 1e-12
    assert lo <= 0.0926055102510634 <= hi  # numerics.md §1: the atan2-built eigvalsh
    G = X @ X.T
    H_arccos = G * (np.pi - np.arccos(np.clip(G, -1, 1))) / (2 * np.pi)
    assert np.linalg.eigvalsh(H_arccos)[0] < lo - 1e-9  # the √u error of arccos
    mid, rad = gram_infinity_enclosure(X)
    assert np.max(np.abs(H_arccos - mid) - rad) > 1e-9  # e.g. its diagonal 1/2 − 3.4e-9
    a = np.linalg.norm(X[:, None] - X[None], axis=-1)
    b = np.linalg.norm(X[:, None] + X[None], axis=-1)
    H_atan2 = G * (np.pi - 2 * np.arctan2(a, b)) / (2 * np.pi)
    assert np.all(np.abs(H_atan2 - mid) <= rad)


# ---------------------------------------------------------------------------------------------
# gram_infinity_enclosure


def test_gram_enclosure_contains_exact_entries_of_non_unit_rows() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(7, 4))
    X[1] = X[0] + 1e-9 * rng.normal(size=4)  # near-duplicate
    X[2] = -X[3] * (1 + 1e-12)  # near-antipodal
    X *= np.array([3.7, 1e-3, 1.0, 250.0, 0.5, 1.0, 2.0**-30])[:, None]
    mid, rad = gram_infinity_enclosure(X)
    exact = exact_gram_infinity(X)
    scale = np.outer(np.linalg.norm(X, axis=1), np.linalg.norm(X, axis=1))
    with mpmath.mp.workdps(50):
        for i in range(7):
            for j in range(7):
                assert abs(exact[i, j] - mpmath.mpf(mid[i, j])) <= rad[i, j]
    assert np.all(rad <= 1e-14 * scale)
    assert np.array_equal(mid, mid.T) and np.array_equal(rad, rad.T)


def test_gram_enclosure_matches_float_formula_at_moderate_size() -> None:
    X = unit_rows(np.random.default_rng(6).normal(size=(150, 20)))
    mid, rad = gram_infinity_enclosure(X)
    G = X @ X.T
    a = np.linalg.norm(X[:, None] - X[None], axis=-1)
    b = np.linalg.norm(X[:, None] + X[None], axis=-1)
    H = G * (np.pi - 2 * np.arctan2(a, b)) / (2 * np.pi)
    assert np.max(np.abs(H - mid)) < 1e-15
    assert np.max(rad) < 1e-14
    assert np.all(np.abs(np.diagonal(mid) - 0.5) <= np.diagonal(rad) + 1e-16)


# ---------------------------------------------------------------------------------------------
# lambda_min_enclosure on plain matrices, both tiers


@pytest.mark.parametrize("tier", TIERS)
def test_random_spd_enclosure_is_tight(tier: str) -> None:
    A = random_spd(40, seed=1)
    enc = lambda_min_enclosure(A, tier=tier)
    exact = exact_lambda_min(A)
    assert enc.tier == tier and enc.is_certificate
    assert enc.lower <= exact <= enc.upper
    assert enc.width < 1e-8
    lam = np.linalg.eigvalsh(A)[0]
    assert abs(lam - float(exact)) < 1e-14  # eigvalsh is inside up to its own rounding error


@pytest.mark.parametrize("tier", TIERS)
def test_indefinite_matrix_has_negative_bounds(tier: str) -> None:
    Q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(5, 5)))
    A = Q @ np.diag([-0.5, 0.1, 1.0, 2.0, 3.0]) @ Q.T
    A = (A + A.T) / 2
    enc = lambda_min_enclosure(A, tier=tier)
    assert enc.lower <= exact_lambda_min(A) <= enc.upper < 0
    assert not certify_lambda_min_at_least(A, 0.0, tier=tier)
    assert certify_lambda_min_at_least(A, -0.5001, tier=tier)


def dyadic_spd(n: int, seed: int) -> np.ndarray:
    """An SPD matrix with entries that are multiples of 2^-30 below 2^4, so A ± 2^-20 is exact."""
    return np.round(random_spd(n, seed) * 2.0**30) / 2.0**30


@pytest.mark.parametrize("tier", TIERS)
def test_entry_radius_widens_by_at_most_n_radius(tier: str) -> None:
    n, r = 12, 2.0**-20
    A = dyadic_spd(n, seed=7)
    enc0 = lambda_min_enclosure(A, tier=tier)
    enc = lambda_min_enclosure(A, entry_radius=r, tier=tier)
    assert enc0.lower - n * r * (1 + 1e-12) <= enc.lower <= enc0.lower
    assert enc0.upper <= enc.upper <= enc0.upper + n * r * (1 + 1e-12)
    # A worst-case member of the set, A − r·ssᵀ with s the sign pattern of the eigenvector (exact).
    v = np.linalg.eigh(A)[1][:, 0]
    s = np.where(v >= 0, 1.0, -1.0)
    for member in (A - r * np.outer(s, s), A + r * np.outer(s, s)):
        assert enc.lower <= exact_lambda_min(member) <= enc.upper


@pytest.mark.parametrize("tier", TIERS)
def test_entry_radius_matrix(tier: str) -> None:
    n = 12
    A = dyadic_spd(n, seed=8)
    R = np.full((n, n), 2.0**-22)
    R[0, 1] = R[1, 0] = 2.0**-18
    enc = lambda_min_enclosure(A, entry_radius=R, tier=tier)
    member = A - R
    assert enc.lower <= exact_lambda_min(member) <= enc.upper
    assert enc.lower >= lambda_min_enclosure(A, tier=tier).lower - np.max(R.sum(axis=1)) * (1 + 1e-12)


@st.composite
def small_symmetric(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(1, 6))
    kind = draw(st.sampled_from(["general", "low_rank", "low_rank_shifted"]))
    entries = st.floats(-4, 4, allow_nan=False, allow_infinity=False)
    if kind == "general":
        M = np.array(draw(st.lists(entries, min_size=n * n, max_size=n * n))).reshape(n, n)
        return (M + M.T) / 2
    k = draw(st.integers(0, max(0, n - 1)))
    B = np.array(draw(st.lists(entries, min_size=n * k, max_size=n * k))).reshape(n, k)
    A = B @ B.T  # singular in exact arithmetic, nearly singular after rounding
    if kind == "low_rank_shifted":
        A = A + draw(st.sampled_from([1e-12, -1e-12, 1e-15])) * np.eye(n)
    return (A + A.T) / 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_symmetric())
def test_enclosure_contains_high_precision_lambda_min(A: np.ndarray) -> None:
    exact = exact_lambda_min(A)
    above = exact + eigsy_tolerance(A)
    just_above = float(np.nextafter(float(above), np.inf))  # the first float above λ_min (up to tol)
    if just_above <= above:
        just_above = float(np.nextafter(just_above, np.inf))
    for tier in TIERS:
        assert_encloses(lambda_min_enclosure(A, tier=tier), A, exact)
        assert not certify_lambda_min_at_least(A, just_above, tier=tier)


# ---------------------------------------------------------------------------------------------
# Deliberately wrong claims


@pytest.mark.parametrize("tier", TIERS)
def test_wrong_claims_are_not_certified(tier: str) -> None:
    A = np.array([[2.0, 1.0], [1.0, 2.0]])  # λ_min = 1 exactly
    assert certify_lambda_min_at_least(A, 1.0 - 1e-12, tier=tier)
    assert not certify_lambda_min_at_least(A, 1.0, tier=tier)  # strict: λ_min > 1 is false
    assert not certify_lambda_min_at_least(A, float(np.nextafter(1.0, 2.0)), tier=tier)

    X = two_point_rows(1e-3)
    mid, rad = gram_infinity_enclosure(X)
    exact = float(two_point_exact(X))
    assert certify_lambda_min_at_least(mid, exact - 1e-12, entry_radius=rad, tier=tier)
    assert not certify_lambda_min_at_least(mid, exact + 1e-14, entry_radius=rad, tier=tier)

    X5 = unit_rows(np.random.default_rng(0).normal(size=(5, 3)))
    mid5, rad5 = gram_infinity_enclosure(X5)
    assert certify_lambda_min_at_least(mid5, 0.1439607458, entry_radius=rad5, tier=tier)
    assert not certify_lambda_min_at_least(mid5, 0.14396074591, entry_radius=rad5, tier=tier)


# ---------------------------------------------------------------------------------------------
# Tiers, result type, scale


def test_estimated_tier_is_not_a_certificate() -> None:
    A = random_spd(6, seed=9)
    enc = lambda_min_enclosure(A, tier="estimated")
    assert enc.tier == "estimated" and not enc.is_certificate
    assert enc.lower == enc.upper == np.linalg.eigvalsh(A)[0]
    assert not enc.certifies_at_least(-1e9)


def test_auto_tier_switches_at_120() -> None:
    small = np.diag(np.arange(1.0, 121.0))  # diagonal: the Gershgorin floor is already tight
    large = np.diag(np.arange(1.0, 122.0))
    assert lambda_min_enclosure(small).tier == "interval"
    assert lambda_min_enclosure(large).tier == "float"
    assert lambda_min_enclosure(large).certifies_at_least(1.0 - 1e-12)


def test_enclosure_semantics_and_dict() -> None:
    enc = Enclosure(0.1, 0.2, "interval", "test")
    assert enc.certifies_at_least(0.1) and not enc.certifies_at_least(0.1000001)
    assert enc.as_dict() == {
        "lower": 0.1, "upper": 0.2, "width": enc.width, "tier": "interval", "method": "test", "is_certificate": True,
    }
    with pytest.raises(AssertionError):
        Enclosure(0.3, 0.2, "float", "crossed bounds")


def test_float_tier_certifies_n1000() -> None:
    # Timing (target: under 10 s; measured about 0.02 s) is reported by benchmarks/bench_certify.py,
    # not asserted here: wall-clock limits are flaky on a shared machine.
    X = unit_rows(np.random.default_rng(10).normal(size=(1000, 100)))
    A = X @ X.T * 0.25 + 0.05 * np.eye(1000)
    A = (A + A.T) / 2
    lam = np.linalg.eigvalsh(A)[0]
    assert certify_lambda_min_at_least(A, 0.999 * lam, tier="float")
    enc = lambda_min_enclosure(A, tier="float")
    assert enc.lower <= lam <= enc.upper + 1e-12 and enc.width < 1e-9


# ---------------------------------------------------------------------------------------------
# Bad input


GOOD = np.eye(3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: lambda_min_enclosure(np.ones((2, 3))), "square"),
        (lambda: lambda_min_enclosure(np.array([[1.0, 2.0], [2.000001, 1.0]])), "not symmetric"),
        (lambda: lambda_min_enclosure(np.array([[np.nan, 0.0], [0.0, 1.0]])), "non-finite"),
        (lambda: lambda_min_enclosure(np.array([[np.inf, 0.0], [0.0, 1.0]])), "non-finite"),
        (lambda: lambda_min_enclosure(np.zeros((0, 0))), "empty"),
        (lambda: lambda_min_enclosure(np.ones(3)), "2-D"),
        (lambda: lambda_min_enclosure(GOOD, tier="ball"), "tier"),
        (lambda: lambda_min_enclosure(GOOD, entry_radius=-1.0), "entry_radius"),
        (lambda: lambda_min_enclosure(GOOD, entry_radius=np.nan), "entry_radius"),
        (lambda: lambda_min_enclosure(GOOD, entry_radius=np.ones((2, 2))), "entry_radius"),
        (lambda: lambda_min_enclosure(GOOD, entry_radius=np.triu(np.ones((3, 3)))), "symmetric"),
        (lambda: lambda_min_enclosure(GOOD * 2.0**600, tier="float"), r"2\^500"),
        (lambda: certify_lambda_min_at_least(GOOD, np.nan), "finite"),
        (lambda: certify_lambda_min_at_least(GOOD, 0.5, tier="estimated"), "estimated"),
        (lambda: gram_infinity_enclosure(np.array([[1.0, 0.0], [0.0, 0.0]])), "row 1"),
        (lambda: certified_lambda0(np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8 + 1e-9]])), "row 2"),
    ],
)
def test_bad_input_raises_value_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
