"""``lemmas audit``: search for a counterexample to a claimed bound (plugged into :mod:`lemmas.cli`).

    lemmas audit ID[:check,...] --set NAME=EXPR [--set ...] [--critical NAME] [--budget 60s] [--trials N]
                 [--seed S] [--quick | --full] [--alpha A] [--no-data-search] [--out DIR] [--progress]

Exit status: 0 the claim survived the search (with the effort spent and the smallest margin found);
1 refuted (a counterexample file is written to ``--out``, default ``audits/``; ``lemmas replay FILE``
reproduces it); 2 bad usage (unknown lemma, check or name, an expression with symbols the lemma does not
have, a value outside the quantity's domain: the message lists what is allowed); 130 interrupted before a
counterexample was found (what was searched is still printed and written). With ``--critical NAME`` the
status is that of the claim as given (factor 1): 0 if it survived, 1 if it was refuted.

This module is imported by every ``lemmas`` invocation: it imports nothing heavy until the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from lemmas.cli import alpha_level, positive_int, seed_value
from lemmas.terminal import TerminalLine

EXIT_SURVIVED, EXIT_REFUTED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``audit`` subcommand (the hook :mod:`lemmas.cli` calls)."""
    p = subparsers.add_parser(
        "audit", help="search for a counterexample to a claimed constant, radius, width or rate",
        description="Audit a claim about a lemma: replace quantities by your expressions and search for a "
                    "counterexample. Exit 0 survived, 1 refuted (counterexample file written), 2 bad usage.",
    )
    p.add_argument("id", metavar="ID", help="lemma id, or ID:check[,check] to audit only those checks")
    p.add_argument("--set", dest="claims", action="append", default=[], metavar="NAME=EXPR",
                   help='claim: a quantity of the lemma and a sympy expression in its symbols, e.g. R="0.5*delta*lambda0/n**2"')
    p.add_argument("--critical", metavar="NAME", default=None,
                   help="bisect the factor on quantity NAME at which the search first finds a counterexample")
    p.add_argument("--budget", default="60s", metavar="TIME", help="time budget, e.g. 60s, 5m (default 60s)")
    p.add_argument("--trials", type=positive_int, default=None, metavar="N", help="at most N trials in all")
    p.add_argument("--seed", type=seed_value, default=None, metavar="S", help="run seed (default: the package's)")
    effort = p.add_mutually_exclusive_group()
    effort.add_argument("--quick", dest="mode", action="store_const", const="quick", help="search the checks' quick cases")
    effort.add_argument("--full", dest="mode", action="store_const", const="full", help="search the checks' full cases")
    p.add_argument("--alpha", type=alpha_level, default=0.01, help="level of the statistical refutations (default 0.01)")
    p.add_argument("--no-data-search", dest="data_search", action="store_false",
                   help="search only the checks' own cases, not over the inputs")
    p.add_argument("--out", type=Path, default=Path("audits"), metavar="DIR",
                   help="where the audit record and a counterexample file go (default: audits)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: only when stderr is a terminal)")
    p.set_defaults(func=run)
    return p


class ProgressLine:
    """One line on stderr: time (or trials) used against the budget, trials, phase, smallest margin."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None, width: int = 24) -> None:
        self.line = TerminalLine(stream, enabled)
        self.width = width

    def __call__(self, state: dict[str, Any]) -> None:
        if not self.line.due():
            return
        if state.get("max_trials"):
            done = state["trials"] / state["max_trials"]
        elif state.get("budget"):
            done = state["elapsed"] / state["budget"]
        else:
            done = 0.0
        filled = int(round(self.width * min(max(done, 0.0), 1.0)))
        margin = state.get("smallest_relative_margin")
        budget = f"/{state['budget']:.0f}" if state.get("budget") else ""
        self.line.show(f"[{'#' * filled}{' ' * (self.width - filled)}] {state['elapsed']:.0f}{budget} s, {state['trials']} trials, "
                       f"{state['phase']}" + ("" if margin is None else f", min margin {margin:+.3g}") + f"  {state['label'][:60]}")

    def close(self) -> None:
        """Blank the line, so the verdict is printed on a clean one."""
        self.line.clear()


def run(args: argparse.Namespace) -> int:
    """Run the audit the arguments describe; print the verdict; write the files; return the exit status."""
    from lemmas.auditing import ClaimError, audit
    from lemmas.cli import UsageError

    bar = ProgressLine(enabled=args.progress)
    try:
        result = audit(args.id, set=args.claims, budget=args.budget, trials=args.trials, critical=args.critical,
                       seed=args.seed, mode=args.mode or "default", alpha=args.alpha, data_search=args.data_search,
                       progress=bar)
    except ClaimError as exc:
        raise UsageError(str(exc)) from None
    finally:
        bar.close()
    interrupted = result.interrupted or (result.critical is not None and result.critical.interrupted)
    written = result.write(args.out)
    print(result.summary())
    print(f"wrote {', '.join(str(p) for p in written)}")
    if result.critical is not None:
        return EXIT_REFUTED if result.critical.given_refuted else (EXIT_INTERRUPTED if interrupted else EXIT_SURVIVED)
    if result.refuted:
        return EXIT_REFUTED
    return EXIT_INTERRUPTED if interrupted else EXIT_SURVIVED
