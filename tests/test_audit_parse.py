"""The claim parser builds sympy expressions from a whitelist and refuses everything else with a helpful message."""

import pytest
import sympy as sp

from lemmas.auditing.parse import ClaimError, parse_assignments, parse_claim, parse_expression, vocabulary
from lemmas.registry import Lemma, Source
from lemmas.symbolic import Quantity, delta, lambda0, n, ref


@pytest.fixture(scope="module")
def lemma() -> Lemma:
    """A small unregistered lemma shaped like Du et al.'s Lemma 3.2: a constant, a radius, a bound, a probability."""
    x = sp.Symbol("x_local", positive=True)
    quantities = [
        Quantity("c", sp.sqrt(2 * sp.pi) / 16, "radius constant", "constant"),
        Quantity("R", ref("c") * delta * lambda0 / n**2, "radius", "radius"),
        Quantity("norm_bound", x * lambda0 / 4, "bound with a local symbol", "bound"),
        Quantity("failure_probability", delta, "failure probability", "probability"),
        Quantity("gain", -lambda0, "a negative coefficient", "constant"),
    ]
    return Lemma(id="toy.lemma", title="toy", source=Source("p", "0000.00000", "v1", "§1"), statement="",
                 tag="V", quantities={q.name: q for q in quantities}, hypotheses={})


def test_claim_is_parsed_to_the_expected_sympy_expression(lemma):
    expr = parse_claim(lemma, "R", "0.5*delta*lambda0/n**2")
    assert sp.simplify(expr - delta * lambda0 / (2 * n**2)) == 0


def test_decimal_literals_are_exact_rationals(lemma):
    expr = parse_claim(lemma, "c", "0.1")
    assert expr == sp.Rational(1, 10)
    assert parse_claim(lemma, "c", "1e-3") == sp.Rational(1, 1000)


def test_claim_text_round_trips_through_str_as_replay_files_store_it(lemma):
    expr = parse_claim(lemma, "R", "0.3*delta*lambda0/n**2 + sqrt(2)*Min(delta, 1/n)/100")
    reread = sp.sympify(str(expr))  # what lemmas.trials.replay does with a recorded override
    assert lemma.bounds({"R": reread}).expr("R") == lemma.bounds({"R": expr}).expr("R")


def test_self_reference_means_the_papers_value(lemma):
    expr = parse_claim(lemma, "c", "c/2")
    assert sp.simplify(expr - sp.sqrt(2 * sp.pi) / 32) == 0


def test_reference_to_another_quantity_is_kept_for_bounds_to_resolve(lemma):
    claims = parse_assignments(lemma, ["c=0.2", "R=c*delta*lambda0/n"])
    resolved = lemma.bounds(claims).expr("R")
    assert sp.simplify(resolved - delta * lambda0 / (5 * n)) == 0


@pytest.mark.parametrize("text", ["sqrt(log(n/delta))", "exp(-lambda0)", "erf(R)", "Abs(-delta)", "Max(delta, 1/2)",
                                  "Rational(3, 4)*lambda0", "pi*E", "atan2(1, n)", "-(delta)", "+delta", "ln(n)",
                                  "min(delta, 1)", "x_local*delta"])
def test_whitelisted_functions_and_names_are_accepted(lemma, text):
    parse_expression(text, vocabulary(lemma))


def test_shared_symbols_are_accepted_where_the_check_may_pass_them(lemma):
    expr = parse_expression("m*delta", vocabulary(lemma))
    assert {s.name for s in expr.free_symbols} == {"m", "delta"}


@pytest.mark.parametrize("text, fragment", [
    ("__import__('os').system('true')", "not allowed"),
    ("delta.__class__", "Attribute"),
    ("(lambda: 1)()", "not allowed"),
    ("delta[0]", "Subscript"),
    ("'abc'", "literal"),
    ("delta if n else R", "IfExp"),
    ("delta < 1", "Compare"),
    ("delta ^ 2", "write **"),
    ("sqrt(x=delta)", "keyword"),
    ("eval('1')", "unknown function"),
    ("sympify('1')", "unknown function"),
    ("foo + 1", "unknown name 'foo'"),
    ("sqrt", "must be called"),
    ("sqrt(delta, n)", "takes 1"),
    ("Rational(delta, 2)", "integer literals"),
    ("2**100000", "exponent"),
    ("(10**900)**900", "digits"),
    ("1j*delta", "literal"),
    ("True", "literal"),
    ("delta/0", "division by zero"),
    ("", "empty"),
    ("delta +", "cannot parse"),
])
def test_forbidden_constructs_are_refused(lemma, text, fragment):
    with pytest.raises(ClaimError) as info:
        parse_expression(text, vocabulary(lemma))
    assert fragment in str(info.value)


def test_unknown_name_message_lists_what_is_allowed(lemma):
    with pytest.raises(ClaimError) as info:
        parse_claim(lemma, "R", "gamma*delta")
    message = str(info.value)
    for allowed in ("quantities of toy.lemma", "R", "norm_bound", "delta", "lambda0", "x_local", "sqrt", "Min"):
        assert allowed in message


def test_unknown_quantity_is_refused_with_the_list_of_quantities(lemma):
    with pytest.raises(ClaimError) as info:
        parse_claim(lemma, "radius", "1")
    assert "c, R, norm_bound, failure_probability, gain" in str(info.value)


def test_a_symbol_is_not_a_claimable_name(lemma):
    with pytest.raises(ClaimError) as info:
        parse_claim(lemma, "delta", "0.5")
    assert "symbol" in str(info.value)


@pytest.mark.parametrize("name, text", [("R", "-1"), ("R", "-delta*lambda0"), ("R", "0"),
                                        ("failure_probability", "2"), ("failure_probability", "-delta"),
                                        ("failure_probability", "1 + delta"), ("c", "sqrt(-1)")])
def test_values_outside_the_quantitys_domain_are_refused(lemma, name, text):
    with pytest.raises(ClaimError) as info:
        parse_claim(lemma, name, text)
    assert "domain" in str(info.value) or "not a finite real" in str(info.value) or "real" in str(info.value)


def test_a_role_domain_is_not_imposed_where_the_papers_own_value_lies_outside_it(lemma):
    assert parse_claim(lemma, "gain", "-2*lambda0") == -2 * lambda0


def test_malformed_assignment_and_duplicates_are_refused(lemma):
    with pytest.raises(ClaimError):
        parse_assignments(lemma, ["R"])
    with pytest.raises(ClaimError):
        parse_assignments(lemma, ["R=delta", "R=2*delta"])


def test_circular_claims_are_refused(lemma):
    with pytest.raises(ClaimError) as info:
        parse_assignments(lemma, {"c": "R", "R": "c*delta"})
    assert "circular" in str(info.value)
