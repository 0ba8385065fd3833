"""A real image data set shipped inside a package: scikit-learn's bundled 8×8 handwritten digits.

Why this one: the experiments of Arora, Du, Hu, Li, Wang (arXiv 1901.08584v2, App. A) use the first two
classes of MNIST with labels ±1 and every image normalised to unit norm. MNIST needs a download; the digits
set (1797 grey-level images of 8×8 pixels, UCI "optical recognition of handwritten digits") is part of the
scikit-learn wheel, so loading it never touches the network. scikit-learn is the optional extra ``data``;
without it :func:`digits_two_class` raises :class:`DataUnavailable`, and checks that need real data report
that reason instead of running.

The split is deterministic: a permutation from ``numpy.random.default_rng(seed)`` per class (stratified), so
the same seed always gives the same train and test sets, on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lemmas.core.data import normalize_rows
from lemmas.core.validation import InputError

#: What a missing optional dependency means, in words a check can report.
MISSING_REASON = "scikit-learn is not installed (optional extra `data`: pip install 'lemmas[data]')"


class DataUnavailable(RuntimeError):
    """The real data set cannot be loaded here (its package is not installed)."""


@dataclass(frozen=True)
class TwoClassData:
    """Unit-norm inputs (rows) with labels ±1, split into train and test sets."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[int, int]     # (label +1, label −1)
    source: str

    @property
    def n(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def d(self) -> int:
        return int(self.X_train.shape[1])


def available() -> bool:
    """Whether the digits data set can be loaded here."""
    try:
        import sklearn.datasets  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataUnavailable(MISSING_REASON) from None
    bunch = load_digits()
    images = np.asarray(bunch.data, dtype=np.float64)
    target = np.asarray(bunch.target, dtype=np.int64)
    images.setflags(write=False)
    target.setflags(write=False)
    return images, target


def digits_two_class(
    classes: tuple[int, int] = (0, 1), *, train_fraction: float = 0.5, seed: int = 0, max_train: int | None = None
) -> TwoClassData:
    """Two classes of the digits set, flattened to ℝ⁶⁴ and normalised to ‖x‖₂ = 1, labels +1 (first class)
    and −1 (second class), split per class into ``train_fraction`` train and the rest test.

    ``max_train`` caps the training set (a stratified subsample, still deterministic in ``seed``).
    Raises :class:`DataUnavailable` without scikit-learn, :class:`InputError` on bad arguments.
    """
    first, second = (int(c) for c in classes)
    if first == second or not (0 <= first <= 9 and 0 <= second <= 9):
        raise InputError(f"digits_two_class: need two distinct classes in 0..9, got {classes}")
    if not 0.0 < train_fraction < 1.0:
        raise InputError(f"digits_two_class: train_fraction must lie in (0, 1), got {train_fraction}")
    images, target = _digits()
    rng = np.random.default_rng([20190125, int(seed)])
    train_idx, test_idx = [], []
    for label in (first, second):
        idx = rng.permutation(np.flatnonzero(target == label))
        cut = int(round(train_fraction * idx.size))
        train_idx.append(idx[:cut])
        test_idx.append(idx[cut:])
    if max_train is not None:
        share = [int(round(max_train * t.size / sum(s.size for s in train_idx))) for t in train_idx]
        train_idx = [t[:k] for t, k in zip(train_idx, share)]
    train = np.concatenate(train_idx)
    test = np.concatenate(test_idx)

    def labels(idx: np.ndarray) -> np.ndarray:
        return np.where(target[idx] == first, 1.0, -1.0)

    return TwoClassData(
        X_train=normalize_rows(images[train]),
        y_train=labels(train),
        X_test=normalize_rows(images[test]),
        y_test=labels(test),
        classes=(first, second),
        source="scikit-learn load_digits (UCI optical digits, 8×8), bundled with the package",
    )
