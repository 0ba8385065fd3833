"""Quantities, references and overrides: the registry's contract for bounds."""

import pytest
import sympy as sp

from lemmas.symbolic import SYMBOLS, Bounds, Quantity, delta, lambda0, n, ref, symbol


def make_bounds(**overrides):
    qs = {
        "c": Quantity("c", sp.sqrt(2 * sp.pi) / 16, "constant", "constant"),
        "R": Quantity("R", ref("c") * delta * lambda0 / n**2, "radius", "radius"),
    }
    return Bounds(qs, {k: sp.sympify(v) for k, v in overrides.items()})


def test_quantities_resolve_references_to_other_quantities():
    b = make_bounds()
    assert sp.simplify(b.expr("R") - sp.sqrt(2 * sp.pi) * delta * lambda0 / (16 * n**2)) == 0
    assert abs(b("R", n=2, delta=0.5, lambda0=0.2) - 0.15666426716443754 * 0.5 * 0.2 / 4) < 1e-15


def test_overriding_a_constant_changes_every_quantity_that_uses_it():
    b = make_bounds(c="1/2")
    assert b("R", n=1, delta=1 / 2, lambda0=1 / 4) == pytest.approx(1 / 16)
    assert b.is_overridden("c") and not b.is_overridden("R")


def test_unknown_override_is_refused_with_the_allowed_names():
    with pytest.raises(KeyError, match="quantities: R, c"):
        make_bounds(nope="1")


def test_circular_references_are_reported():
    qs = {"a": Quantity("a", ref("b"), ""), "b": Quantity("b", ref("a"), "")}
    with pytest.raises(ValueError, match="circular"):
        Bounds(qs).expr("a")


def test_missing_values_are_named():
    with pytest.raises(KeyError, match="needs values"):
        make_bounds()("R", n=3)


def test_symbols_have_domains():
    assert symbol("delta") is delta
    _, dom, _ = SYMBOLS["delta"]
    assert dom.contains(0.5) and not dom.contains(1.0) and not dom.contains(0.0)
    _, dom_n, _ = SYMBOLS["n"]
    assert dom_n.contains(3) and not dom_n.contains(2.5)
    with pytest.raises(KeyError, match="known"):
        symbol("zeta")


def test_an_override_may_scale_the_papers_own_expression():
    b = make_bounds(R="R/4")
    assert b("R", n=1, delta=0.5, lambda0=0.2) == pytest.approx(make_bounds()("R", n=1, delta=0.5, lambda0=0.2) / 4)
