"""Input validation with messages that name the problem, so no error surfaces from deep inside numpy."""

from __future__ import annotations

import numpy as np

#: Rows whose norm differs from 1 by more than this are rejected where unit norm is required.
UNIT_NORM_TOL = 1e-12


class InputError(ValueError):
    """Raised for malformed inputs (shapes, dtypes, non-finite values, non-unit rows)."""


def as_matrix(
    name: str, A: object, *, rows: int | None = None, cols: int | None = None, allow_empty: bool = False,
    dtype: type = np.float64,
) -> np.ndarray:
    """``A`` as a finite 2-D array of ``dtype`` (float64 unless a caller computes in float32), with a clear
    error otherwise."""
    try:
        arr = np.asarray(A)
    except Exception as exc:  # pragma: no cover - exotic objects
        raise InputError(f"{name}: cannot be read as an array ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
        raise InputError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise InputError(f"{name}: expected a 2-D array, got shape {arr.shape}")
    if not allow_empty and 0 in arr.shape:
        raise InputError(f"{name}: empty array of shape {arr.shape} (need at least one row and one column)")
    if rows is not None and arr.shape[0] != rows:
        raise InputError(f"{name}: expected {rows} rows, got {arr.shape[0]}")
    if cols is not None and arr.shape[1] != cols:
        raise InputError(f"{name}: expected {cols} columns, got {arr.shape[1]}")
    arr = arr.astype(dtype, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise InputError(f"{name}: non-finite value {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}")
    return arr


def as_vector(name: str, v: object, *, size: int | None = None) -> np.ndarray:
    arr = np.asarray(v, dtype=np.float64) if not isinstance(v, np.ndarray) else v.astype(np.float64, copy=False)
    if arr.ndim != 1:
        raise InputError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if size is not None and arr.shape[0] != size:
        raise InputError(f"{name}: expected length {size}, got {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: contains non-finite values")
    return arr


def unit_rows(name: str, X: object, *, tol: float = UNIT_NORM_TOL) -> np.ndarray:
    """``X`` as a float64 matrix whose rows have unit Euclidean norm (within ``tol``)."""
    arr = as_matrix(name, X)
    norms = np.linalg.norm(arr, axis=1)
    bad = np.flatnonzero(np.abs(norms - 1.0) > tol)
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"{name}: row {i} has norm {norms[i]:.17g}, expected 1 (±{tol:g}); "
            f"{bad.size} row(s) are not unit-norm — normalise the inputs first"
        )
    return arr
