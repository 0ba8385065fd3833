"""Training sets of spec §6: Assumption 3.4 (unit norm, last coordinate μ), labels, measured separation φ."""

import math

import numpy as np
import pytest

from lemmas.core.validation import InputError
from lemmas.papers.zou2018 import data

KINDS = ["random_sphere", "opposite_pairs", "clusters", "arc", "antipodal"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_generator_satisfies_assumption_3_4(kind):
    ds = data.make(kind, np.random.default_rng(1), 8, 6, 0.4, 0.2)
    assert np.allclose(np.linalg.norm(ds.X, axis=1), 1.0, atol=1e-14)
    assert np.all(ds.X[:, -1] == 0.4)
    assert set(np.unique(ds.y)) == {-1.0, 1.0}
    assert ds.phi == pytest.approx(data.separation(ds.X, ds.y))


def test_separation_is_measured_between_opposite_labels_only():
    X = data.lift(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), 0.5)
    assert data.separation(X, np.array([1, 1, -1])) == pytest.approx(math.sqrt(2 * 0.75))
    assert data.separation(X, np.array([1, 1, 1])) == math.inf


@pytest.mark.parametrize("phi", [1e-4, 0.05, 0.3])
def test_opposite_pairs_are_at_distance_exactly_phi(phi):
    ds = data.opposite_pairs(np.random.default_rng(2), 5, 12, 0.5, phi)
    assert ds.phi == pytest.approx(phi, rel=1e-9)


def test_arc_has_consecutive_distance_phi_and_alternating_labels():
    ds = data.arc(np.random.default_rng(3), 6, 5, 0.3, 0.1)
    gaps = np.linalg.norm(np.diff(ds.X, axis=0), axis=1)
    assert np.allclose(gaps, 0.1, rtol=1e-12) and np.all(ds.y[:-1] != ds.y[1:])


def test_clusters_may_duplicate_same_label_points():
    ds = data.clusters(np.random.default_rng(4), 3, 2, 5, 0.5, 0.2)
    assert np.array_equal(ds.X[0], ds.X[1]) and ds.y[0] == ds.y[1] and ds.phi == pytest.approx(0.2, rel=1e-9)


def test_antipodal_inputs_have_the_smallest_inner_product_the_assumption_allows():
    ds = data.antipodal(np.random.default_rng(5), 2, 2, 0.3)
    assert ds.X @ ds.X[1] == pytest.approx([2 * 0.09 - 1, 1.0])
    assert np.allclose(ds.X, [[math.sqrt(0.91), 0.3], [-math.sqrt(0.91), 0.3]])


def test_generators_are_deterministic_in_their_generator():
    a = data.make("opposite_pairs", np.random.default_rng(7), 6, 5, 0.5, 0.1)
    b = data.make("opposite_pairs", np.random.default_rng(7), 6, 5, 0.5, 0.1)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)


def test_balanced_labels():
    y = data.balanced_labels(np.random.default_rng(0), 7)
    assert np.sum(y > 0) == 4 and np.sum(y < 0) == 3


@pytest.mark.parametrize("mu", [0.0, 1.0, -0.1])
def test_mu_outside_the_open_unit_interval_is_rejected(mu):
    with pytest.raises(InputError):
        data.random_sphere(np.random.default_rng(0), 4, 3, mu)


def test_phi_larger_than_the_bulk_diameter_is_rejected():
    with pytest.raises(InputError):
        data.opposite_pairs(np.random.default_rng(0), 2, 4, 0.8, 1.5)
