"""The digits loader: unit-norm rows, ±1 labels, a deterministic stratified split, and a clear error without scikit-learn."""

import sys

import numpy as np
import pytest

from lemmas.core import realdata
from lemmas.core.validation import InputError

sklearn = pytest.importorskip("sklearn", reason=realdata.MISSING_REASON)


def test_rows_are_unit_norm_and_labels_are_plus_minus_one():
    data = realdata.digits_two_class((0, 1), seed=0)
    for X, y in ((data.X_train, data.y_train), (data.X_test, data.y_test)):
        assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-15)
        assert set(np.unique(y)) == {-1.0, 1.0}
    assert data.d == 64


def test_first_class_is_labelled_plus_one():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    data = realdata.digits_two_class((3, 5), seed=2)
    images = bunch.data[bunch.target == 3]
    normalised = images / np.linalg.norm(images, axis=1)[:, None]
    plus = data.X_train[data.y_train == 1.0]
    # every +1 training image is one of the class-3 images
    assert all(np.min(np.abs(normalised - row).sum(axis=1)) == 0.0 for row in plus)


def test_split_is_deterministic_in_the_seed():
    a = realdata.digits_two_class((0, 1), seed=7)
    b = realdata.digits_two_class((0, 1), seed=7)
    c = realdata.digits_two_class((0, 1), seed=8)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)


def test_split_is_a_stratified_partition_of_the_two_classes():
    from sklearn.datasets import load_digits

    target = load_digits().target
    data = realdata.digits_two_class((0, 1), train_fraction=0.5, seed=0)
    total = int(np.sum(np.isin(target, (0, 1))))
    assert data.n + data.X_test.shape[0] == total
    both = np.vstack([data.X_train, data.X_test])
    assert np.unique(both.round(15), axis=0).shape[0] == total          # no image in both sets
    for label, cls in ((1.0, 0), (-1.0, 1)):
        share = np.mean(data.y_train == label) * data.n / np.sum(target == cls)
        assert abs(share - 0.5) < 0.01


def test_max_train_caps_the_training_set():
    data = realdata.digits_two_class((0, 1), seed=0, max_train=60)
    assert data.n == 60 and abs(np.mean(data.y_train == 1.0) - 0.5) < 0.05


@pytest.mark.parametrize("kwargs", [{"classes": (1, 1)}, {"classes": (0, 10)}, {"train_fraction": 1.0}, {"train_fraction": 0.0}])
def test_bad_arguments_are_rejected(kwargs):
    with pytest.raises(InputError):
        realdata.digits_two_class(**kwargs)


def test_missing_scikit_learn_raises_a_clear_error(monkeypatch):
    realdata._digits.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    try:
        assert not realdata.available()
        with pytest.raises(realdata.DataUnavailable, match="scikit-learn is not installed"):
            realdata.digits_two_class((0, 1))
    finally:
        realdata._digits.cache_clear()
