"""Parsing a user's claim ``NAME=EXPR`` into a sympy override of a lemma quantity, over a whitelist.

User text is never given to ``eval``, ``sympify`` or ``parse_expr``. It is parsed by Python's :mod:`ast`
(``mode="eval"``) and the sympy expression is built node by node from an explicit whitelist:

* numbers (kept exact: ``0.5`` becomes ``1/2``, ``1e-3`` becomes ``1/1000``), so the claim prints and
  re-reads without rounding (replay files store overrides as text);
* ``+ - * / **``, unary ``-`` and ``+``, parentheses;
* the names of the lemma's quantities (a reference; inside the override of ``NAME`` itself, ``NAME`` means
  the paper's value, so ``R="R/2"`` halves it), of the lemma's own symbols (the free symbols of its
  quantities) and of the package's shared symbols (:data:`lemmas.symbolic.SYMBOLS`); a shared symbol that a
  check does not pass when it evaluates the claimed quantity is refused when the audit starts, with the
  symbols that check does pass;
* the functions and constants of :data:`FUNCTIONS` and :data:`CONSTANTS`.

Everything else (attributes, subscripts, strings, keywords, comparisons, lambdas, ``^``, unknown names) is
refused with a :class:`ClaimError` whose message lists what is allowed. A claimed value must also lie in the
quantity's domain: the domain of the shared symbol of the same name (:data:`lemmas.symbolic.SYMBOLS`), or
the one its role implies (a probability in [0, 1]; a radius, width or step positive).
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import sympy as sp

from lemmas.registry import Lemma
from lemmas.symbolic import INF, SYMBOLS, Domain, ref


class ClaimError(ValueError):
    """A claim that cannot be audited (unknown name, forbidden syntax, value outside the domain): bad usage."""


#: Whitelisted functions: name -> (builder, allowed argument counts).
FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], tuple[int, ...]]] = {
    "sqrt": (sp.sqrt, (1,)),
    "cbrt": (sp.cbrt, (1,)),
    "log": (sp.log, (1, 2)),
    "exp": (sp.exp, (1,)),
    "erf": (sp.erf, (1,)),
    "erfc": (sp.erfc, (1,)),
    "sin": (sp.sin, (1,)),
    "cos": (sp.cos, (1,)),
    "tan": (sp.tan, (1,)),
    "asin": (sp.asin, (1,)),
    "acos": (sp.acos, (1,)),
    "atan": (sp.atan, (1,)),
    "atan2": (sp.atan2, (2,)),
    "Abs": (sp.Abs, (1,)),
    "Min": (sp.Min, tuple(range(2, 9))),
    "Max": (sp.Max, tuple(range(2, 9))),
    "floor": (sp.floor, (1,)),
    "ceiling": (sp.ceiling, (1,)),
    "Rational": (sp.Rational, (1, 2)),  # integer literals only (checked)
}
#: Lower-case spellings accepted for convenience.
ALIASES = {"abs": "Abs", "min": "Min", "max": "Max", "ceil": "ceiling", "ln": "log"}
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

#: Limits that keep a claim cheap to build (sympy evaluates integer powers eagerly).
MAX_LENGTH = 1000
MAX_DEPTH = 40
MAX_EXPONENT = 1000
MAX_INTEGER_DIGITS = 40
MAX_POWER_DIGITS = 10000

#: The domain a quantity's role implies when no shared symbol has its name.
POSITIVE = Domain(0, INF, lo_open=True, hi_open=True)
ROLE_DOMAINS: dict[str, Domain] = {
    "probability": Domain(0, 1),
    "radius": POSITIVE,
    "width": POSITIVE,
    "step": POSITIVE,
}


@dataclass(frozen=True)
class Vocabulary:
    """What a claim about one lemma may name: its quantities, its symbols, the whitelisted functions."""

    lemma_id: str
    quantities: tuple[str, ...]
    symbols: Mapping[str, sp.Symbol]

    def allowed(self) -> str:
        """A description of every allowed name, for error messages."""
        functions = ", ".join(sorted(FUNCTIONS) + sorted(ALIASES))
        shared = sorted(set(SYMBOLS) - set(self.symbols) - set(self.quantities))
        return (
            f"quantities of {self.lemma_id}: {', '.join(self.quantities)}; "
            f"its symbols: {', '.join(sorted(self.symbols)) or '(none)'}; "
            f"shared symbols, where its checks pass them: {', '.join(shared)}; "
            f"constants: {', '.join(CONSTANTS)}; functions: {functions}; operators: + - * / ** and parentheses"
        )


def vocabulary(lemma: Lemma) -> Vocabulary:
    """The quantities and symbols of ``lemma`` (the free symbols of its quantities that are not quantities)."""
    symbols: dict[str, sp.Symbol] = {}
    for quantity in lemma.quantities.values():
        for free in sp.sympify(quantity.expr).free_symbols:
            if free.name not in lemma.quantities:
                symbols.setdefault(free.name, SYMBOLS[free.name][0] if free.name in SYMBOLS else free)
    return Vocabulary(lemma.id, tuple(lemma.quantities), symbols)


def parse_expression(text: str, vocab: Vocabulary) -> sp.Expr:
    """The sympy expression of ``text`` over ``vocab`` (quantity names become references)."""
    if not isinstance(text, str) or not text.strip():
        raise ClaimError("empty expression")
    if len(text) > MAX_LENGTH:
        raise ClaimError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ClaimError(f"cannot parse {text!r}: {exc.msg}") from None
    return _Builder(text.strip(), vocab).build(tree.body, 0)


class _Builder:
    """Builds a sympy expression from a whitelisted AST, node by node."""

    _BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)

    def __init__(self, text: str, vocab: Vocabulary) -> None:
        self.text = text
        self.vocab = vocab

    def refuse(self, what: str) -> ClaimError:
        return ClaimError(f"{what} is not allowed in a claim ({self.text!r}); allowed: {self.vocab.allowed()}")

    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise ClaimError(f"expression nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.refuse(f"{type(node).__name__} ({ast.get_source_segment(self.text, node) or '?'})")

    def number(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.refuse(f"the literal {value!r}")
        literal = (ast.get_source_segment(self.text, node) or repr(value)).replace("_", "")
        if isinstance(value, int) and abs(value) >= 10**MAX_INTEGER_DIGITS:
            raise ClaimError(f"the number {literal} has more than {MAX_INTEGER_DIGITS} digits")
        if literal.lower().startswith(("0x", "0o", "0b")):
            return sp.Integer(value)
        if not math.isfinite(float(value)):
            raise ClaimError(f"the number {literal} is not finite")
        return sp.Rational(literal)  # exact: "0.1" is 1/10, not the nearest double

    def name(self, name: str) -> sp.Expr:
        if name in self.vocab.quantities:
            return ref(name)
        if name in self.vocab.symbols:
            return self.vocab.symbols[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in SYMBOLS:
            return SYMBOLS[name][0]
        if name in FUNCTIONS or name in ALIASES:
            raise ClaimError(f"the function {name} must be called, e.g. {name}(x), in {self.text!r}")
        raise ClaimError(f"unknown name {name!r} in {self.text!r}; allowed: {self.vocab.allowed()}")

    def binary(self, node: ast.BinOp, depth: int) -> sp.Expr:
        if isinstance(node.op, ast.BitXor):
            raise ClaimError(f"'^' is not a power in {self.text!r}: write ** (e.g. n**2)")
        if type(node.op) not in self._BINARY:
            raise self.refuse(f"the operator {type(node.op).__name__}")
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right == 0:
                raise ClaimError(f"division by zero in {self.text!r}")
            return left / right
        if right.is_number and abs(float(sp.re(sp.N(right)))) > MAX_EXPONENT:
            raise ClaimError(f"exponent {right} larger than {MAX_EXPONENT} in {self.text!r}")
        if left.is_number and right.is_number and left != 0:
            digits = abs(float(sp.re(sp.N(right)))) * abs(math.log10(abs(complex(sp.N(left)))))
            if digits > MAX_POWER_DIGITS:
                raise ClaimError(f"the power {left}**{right} has about {digits:.0f} digits (at most {MAX_POWER_DIGITS})")
        if left == 0 and right.is_number and bool(sp.re(right) <= 0):
            raise ClaimError(f"0 raised to a non-positive power in {self.text!r}")
        return left**right

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.refuse(f"calling {ast.get_source_segment(self.text, node.func) or 'an expression'}")
        name = ALIASES.get(node.func.id, node.func.id)
        if name not in FUNCTIONS:
            raise ClaimError(
                f"unknown function {node.func.id!r} in {self.text!r}; functions: {', '.join(sorted(FUNCTIONS))}"
            )
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.refuse(f"keyword or starred arguments to {name}")
        builder, counts = FUNCTIONS[name]
        if len(node.args) not in counts:
            raise ClaimError(f"{name} takes {' or '.join(map(str, counts))} argument(s), got {len(node.args)} in {self.text!r}")
        args = [self.build(a, depth + 1) for a in node.args]
        if name == "Rational":
            if not all(isinstance(a, sp.Integer) for a in args) or (len(args) == 2 and args[1] == 0):
                raise ClaimError(f"Rational takes integer literals (and a non-zero denominator) in {self.text!r}")
        return builder(*args)


# ---------------------------------------------------------------------------------------------------------
# Claims: NAME=EXPR about a lemma's quantity.


def quantity_domain(lemma: Lemma, name: str) -> Domain | None:
    """The domain a value of quantity ``name`` must lie in (None: any real)."""
    if name in SYMBOLS:
        return SYMBOLS[name][1]
    return ROLE_DOMAINS.get(lemma.quantities[name].role)


def parse_claim(lemma: Lemma, name: str, text: str) -> sp.Expr:
    """The override expression of quantity ``name`` claimed by ``text``.

    A reference to ``name`` inside ``text`` is replaced by the paper's expression of ``name``, so that
    ``R="R/2"`` claims half the paper's radius. Raises :class:`ClaimError` for an unknown quantity, a
    forbidden construct or name, or a value provably outside the quantity's domain.
    """
    vocab = vocabulary(lemma)
    if name not in lemma.quantities:
        hint = " (a symbol: claims set quantities; symbol values come from the check cases)" if name in vocab.symbols else ""
        raise ClaimError(f"unknown quantity {name!r} of {lemma.id}{hint}; quantities: {', '.join(lemma.quantities)}")
    expr = parse_expression(text, vocab)
    expr = expr.xreplace({ref(name): sp.sympify(lemma.quantities[name].expr)})
    check_domain(lemma, name, expr, text)
    return expr


def check_domain(lemma: Lemma, name: str, expr: sp.Expr, text: str = "") -> None:
    """Refuse ``expr`` as a value of ``name`` if it is provably outside the quantity's domain.

    Constant expressions are evaluated; others are judged by sympy's assumptions on the symbols (e.g.
    ``-delta`` is never a radius). Values that depend on the case are checked again when evaluated
    (:class:`lemmas.auditing.search.AuditBounds`).
    """
    domain = quantity_domain(lemma, name)
    try:
        resolved = lemma.bounds({name: expr}).expr(name)
    except ValueError as exc:  # circular references
        raise ClaimError(f"{name}={text or expr}: {exc}") from None
    where = f"{name}={text or expr}"
    if not resolved.free_symbols:
        value = complex(sp.N(resolved))
        if value.imag != 0 or not math.isfinite(value.real):
            raise ClaimError(f"{where} evaluates to {sp.N(resolved)}, not a finite real number")
        if domain is not None and not domain.contains(value.real):
            raise ClaimError(f"{where} = {value.real:g} lies outside the domain of {name}: {domain.describe()}")
        return
    if resolved.is_extended_real is False:
        raise ClaimError(f"{where} is not real-valued")
    if domain is None or not paper_value_fits(lemma, name, domain):
        return
    lower_fails = resolved.is_positive is False if domain.lo_open else resolved.is_nonnegative is False
    if domain.lo == 0 and lower_fails:
        raise ClaimError(f"{where} is never in the domain of {name}: {domain.describe()}")
    if math.isfinite(domain.hi):
        excess = resolved - domain.hi
        if (excess.is_nonnegative if domain.hi_open else excess.is_positive) is True:
            raise ClaimError(f"{where} always exceeds the domain of {name}: {domain.describe()}")


def paper_value_fits(lemma: Lemma, name: str, domain: Domain) -> bool:
    """Whether the paper's own expression of ``name`` may lie in ``domain`` (a role domain is applied only then)."""
    paper = lemma.bounds().expr(name)
    if not paper.free_symbols:
        value = complex(sp.N(paper))
        return value.imag == 0 and domain.contains(value.real)
    return not (domain.lo == 0 and paper.is_positive is False)


def parse_assignments(lemma: Lemma, assignments: Mapping[str, str] | Iterable[str]) -> dict[str, sp.Expr]:
    """Parse claims given as a mapping NAME -> EXPR or as strings ``"NAME=EXPR"``."""
    pairs: list[tuple[str, str]] = []
    if isinstance(assignments, Mapping):
        pairs = [(str(k), str(v)) for k, v in assignments.items()]
    else:
        for item in assignments:
            name, sep, text = str(item).partition("=")
            if not sep or not name.strip():
                raise ClaimError(f"expected NAME=EXPR, got {item!r}; quantities of {lemma.id}: {', '.join(lemma.quantities)}")
            pairs.append((name.strip(), text.strip()))
    claims: dict[str, sp.Expr] = {}
    for name, text in pairs:
        if name in claims:
            raise ClaimError(f"{name} is set twice")
        claims[name] = parse_claim(lemma, name, text)
    if claims:
        try:
            bounds = lemma.bounds(claims)
            for name in claims:
                bounds.expr(name)
        except ValueError as exc:
            raise ClaimError(str(exc)) from None
    return claims
