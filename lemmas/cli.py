"""The ``lemmas`` command: list the registry, run checks, write reports, replay a trial.

  lemmas list                         lemma ids, titles, sources, checks with kinds and case counts per mode
  lemmas check ID|ID:check ... [--case LABEL] [--out DIR]
                                      run checks, one line per check-case (status and summary)
  lemmas report [--out reports] [--only ID|ID:check ...]
                                      run every (or the selected) check and write JSON, Markdown, HTML, plots
  lemmas slack-map [--out reports/full] [--only ID ...] [--trials N]
                                      the slack map alone (critical factor of every explicit constant), as
                                      ``report --full`` appends it, without the full run (about 18 min)
  lemmas replay FILE                  re-run one recorded trial and compare it bit for bit (with a warning
                                      when the trial's module changed since the file was written)

Run options (check, report): ``--seed``, ``--trials``, ``--quick`` / ``--full``, ``--jobs`` (default: all
cores), ``--blas-threads`` (per worker, default 1), ``--scheduler`` (a Dask cluster), ``--alpha``,
``--progress`` / ``--no-progress``.

Exit status: 0 normally; 1 when a check is violated unexpectedly (documented errata, slack evidence,
exploratory and inconclusive verdicts do not fail) or a check raised an error, or a replay differs;
2 on bad usage (unknown lemma, check or case, bad flags), with a message listing what is allowed;
130 when interrupted (the results so far are still printed and written).

Extension hook: :data:`EXTENSIONS` names optional modules that add subcommands. Each such module defines
``add_parser(subparsers)``, which adds its subparser and sets ``func`` on it (``func(args) -> int``, the exit
status); it may reuse :func:`add_run_options` and :func:`settings_from_args`. A module that is not there
is skipped; one whose own import fails (e.g. a missing optional dependency) gets a stub subcommand that
explains why it is unavailable. Keep such modules cheap to import: every ``lemmas`` invocation loads them.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Callable, Sequence

from lemmas.registry import Case, Check, Lemma, Mode, Settings, all_lemmas
from lemmas.report import ProgressBar, Run, RunError, SelectionError, planned_trials, run_checks, select, write_report
from lemmas.report.runner import resolve_lemma
from lemmas.report.summary import status_counts
from lemmas.result import CheckResult
from lemmas.terminal import TerminalLine
from lemmas.trials import replay, source_changed

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

#: Subcommand name -> module providing ``add_parser(subparsers)`` (optional; see the module docstring).
EXTENSIONS: dict[str, str] = {"audit": "lemmas.auditing.cli"}


class UsageError(Exception):
    """Bad usage the parser cannot see (unknown lemma, unusable option): exit status 2."""


# ---------------------------------------------------------------------------------------------------------
# Options shared by the subcommands that run checks.


def positive_int(text: str) -> int:
    """Argument type: an integer >= 1."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def seed_value(text: str) -> int:
    """Argument type: a run seed, an integer >= 0."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {text!r}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def alpha_level(text: str) -> float:
    """Argument type: a significance level, a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options of every subcommand that runs checks."""
    defaults = Settings()
    parser.add_argument("--seed", type=seed_value, default=defaults.seed, help=f"run seed (default {defaults.seed})")
    parser.add_argument("--trials", type=positive_int, default=None,
                        help="trials per check-case, overriding each case's own count (keep small for smoke runs)")
    effort = parser.add_mutually_exclusive_group()
    effort.add_argument("--quick", dest="mode", action="store_const", const="quick", help="smoke-test cases (seconds per check)")
    effort.add_argument("--full", dest="mode", action="store_const", const="full", help="all cases, as in the published reports")
    cores = _available_cores()
    parser.add_argument("--jobs", type=positive_int, default=cores,
                        help=f"worker processes for the trials of a check (default: all {cores} cores; 1 runs serially)")
    parser.add_argument("--blas-threads", type=positive_int, default=1,
                        help="BLAS threads per worker (default 1: jobs × threads ≤ cores, and replays bit for bit)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the trials on a Dask cluster: tcp://host:port, or 'local' for a LocalCluster of "
                             "--jobs workers (needs the extra lemmas[dask])")
    parser.add_argument("--alpha", type=alpha_level, default=defaults.alpha,
                        help=f"family-wise significance level of the probability checks (default {defaults.alpha:g})")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on stderr (default: only when stderr is a terminal)")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The :class:`~lemmas.registry.Settings` the run options describe."""
    if (args.jobs > 1 or args.scheduler) and importlib.util.find_spec("lemmas.parallel") is None:
        raise UsageError("--jobs > 1 and --scheduler need the parallel engine lemmas.parallel, which this installation "
                         "lacks; use --jobs 1")
    if args.scheduler and importlib.util.find_spec("distributed") is None:
        raise UsageError("--scheduler needs Dask distributed: pip install 'lemmas[dask]'")
    return Settings(seed=args.seed, mode=Mode(args.mode or "default"), trials=args.trials, alpha=args.alpha,
                    jobs=args.jobs, blas_threads=args.blas_threads, scheduler=args.scheduler)


def _available_cores() -> int:
    """The default of ``--jobs``: every core this process may use (1 without the parallel engine)."""
    if importlib.util.find_spec("lemmas.parallel") is None:
        return 1
    from lemmas.parallel import available_cores

    return available_cores()


# ---------------------------------------------------------------------------------------------------------
# Subcommands.


def cmd_list(args: argparse.Namespace) -> int:
    for lemma in all_lemmas():
        print(f"{lemma.id}  {lemma.title}  [{lemma.tag}]")
        print(f"    {lemma.source.cite()}" + (f"  (spec {lemma.source.spec})" if lemma.source.spec else ""))
        width = max((len(c.name) for c in lemma.checks), default=0)
        for check in lemma.checks:
            counts = ", ".join(f"{mode.value} {len(check.cases(mode))}" for mode in Mode)
            flags = ("" if check.confirmed else "  exploratory") + (f"  erratum: {check.erratum}" if check.erratum else "")
            print(f"    {check.name:<{width}}  {check.kind.value:<11}  cases: {counts}{flags}")
    return EXIT_OK


def _run(
    args: argparse.Namespace, selectors: Sequence[str] | None, case_label: str | None = None
) -> tuple[Settings, list[tuple[Check, Case]], Run]:
    """Select, run with a progress bar, and return (settings, selected pairs, run)."""
    settings = settings_from_args(args)
    try:
        pairs = select(selectors, settings.mode, case_label)
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    bar = ProgressBar(planned_trials(pairs, settings), enabled=args.progress)
    return settings, pairs, run_checks(pairs, settings, bar, on_done=_print_done)


def _print_done(done: CheckResult | RunError) -> None:
    """One line per finished check-case (status, uid, summary); an error's traceback goes to stderr."""
    if isinstance(done, RunError):
        print(f"{'error':<18}  {done.uid}: {done.message}", flush=True)
        print(done.traceback, file=sys.stderr, flush=True)
    else:
        print(f"{done.status.value:<18}  {done.uid}: {done.verdict.summary}", flush=True)


def _print_tally(run: Run) -> None:
    counts = status_counts(r.to_dict() for r in run.results)
    tally = ", ".join(f"{s} {c}" for s, c in counts.items() if c)
    print(f"{len(run.results) + len(run.errors)} check-case(s): {tally or 'no results'}"
          + (f", errors {len(run.errors)}" if run.errors else "") + (" (interrupted)" if run.interrupted else ""))


def _exit_status(run: Run) -> int:
    if run.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if run.errors or any(r.status.is_failure for r in run.results) else EXIT_OK


def _lemmas_of(pairs: Sequence[tuple[Check, Case]]) -> list[Lemma]:
    found: dict[str, Lemma] = {}
    for check, _ in pairs:
        assert check.lemma is not None
        found.setdefault(check.lemma.id, check.lemma)
    return list(found.values())


def cmd_check(args: argparse.Namespace) -> int:
    settings, pairs, run = _run(args, args.ids, args.case)
    _print_tally(run)
    if args.out is not None:
        files = write_report(run.results, args.out, settings=settings, errors=run.errors, lemmas=_lemmas_of(pairs),
                             documents=False)
        print(f"wrote {len(files.json)} JSON record(s) and {len(files.replays)} replay file(s) to {files.out}")
    return _exit_status(run)


def cmd_report(args: argparse.Namespace) -> int:
    settings, pairs, run = _run(args, args.only)
    _print_tally(run)
    notes = ["The run was interrupted: this report covers only the check-cases that finished."] if run.interrupted else []
    if settings.mode is Mode.FULL and not run.interrupted:
        notes.append(_write_slack_map(run, settings, args.out))
    files = write_report(run.results, args.out, settings=settings, errors=run.errors, lemmas=_lemmas_of(pairs),
                         draw_plots=args.plots, notes=notes)
    print(f"report: {files.index} ({len(files.json)} lemma(s), {len(files.plots)} plot(s), {len(files.replays)} replay file(s))")
    return _exit_status(run)


def _write_slack_map(run: Run, settings: Settings, out: str) -> str:
    """The audit's slack map (issue 7): critical values of every explicit constant; built under --full only."""
    from lemmas.auditing.slack_map import build_slack_map, write_slack_map

    slack = build_slack_map(results=run.results, settings=Settings(seed=settings.seed, mode=Mode.QUICK))
    paths = write_slack_map(slack, out)
    return f"Slack map of every explicit constant: {paths[2].name} (data: {paths[0].name})."


def cmd_slack_map(args: argparse.Namespace) -> int:
    """The slack map alone (what ``lemmas report --full`` appends): every explicit constant's critical factor,
    searched on the quick cases; implied constants from quick runs of the exponent checks."""
    from lemmas.auditing.slack_map import build_slack_map, write_slack_map

    try:
        lemmas = None if args.only is None else [resolve_lemma(i) for i in args.only]
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    line = TerminalLine(enabled=args.progress)
    try:
        slack = build_slack_map(lemmas, trials_per_constant=args.trials, settings=Settings(seed=args.seed, mode=Mode.QUICK),
                                progress=lambda label: line.show(f"slack map: {label}"))
    finally:
        line.clear()
    paths = write_slack_map(slack, args.out)
    print(f"slack map: {len(slack.entries)} constant(s) searched, {len(slack.skipped)} not mapped, "
          f"{slack.elapsed:.0f} s; wrote {', '.join(str(p) for p in paths)}")
    return EXIT_OK


def _canonical(obj: object) -> str:
    return json.dumps(obj, sort_keys=True)


def cmd_replay(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"replay file {str(path)!r} does not exist")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not a JSON replay file: {exc}") from None
    missing = [k for k in ("lemma", "check", "case", "seed", "index") if not isinstance(record, dict) or k not in record]
    if missing:
        raise UsageError(f"{path} is not a replay file: missing {', '.join(missing)}")
    try:
        check = resolve_lemma(record["lemma"]).check(record["check"])
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    fresh, recorded = replay(path)
    print(f"replay of {record.get('uid', record['lemma'] + ':' + record['check'])}, trial {record['index']}, seed {record['seed']}")
    if source_changed(record, check):
        print("warning: the lemma module changed since this file was written: a differing replay may be due to the "
              f"code, not the seed (the SHA-256 of {check.trial.__module__}'s source differs from the recorded one)")
    print("recorded: " + _canonical(recorded))
    print("replayed: " + _canonical(fresh))
    if recorded is not None and _canonical(fresh) == _canonical(recorded):
        print("identical: yes (bit for bit)")
        return EXIT_OK
    differing = sorted(k for k in set(fresh) | set(recorded or {}) if _canonical(fresh.get(k)) != _canonical((recorded or {}).get(k)))
    print("identical: no; differing keys: " + (", ".join(differing) if recorded is not None else "(no recorded observation)"))
    return EXIT_FAILED


# ---------------------------------------------------------------------------------------------------------
# Parser.


def _unavailable(name: str, reason: str) -> Callable[[argparse.Namespace], int]:
    def func(args: argparse.Namespace) -> int:
        raise UsageError(f"'lemmas {name}' is unavailable: {reason}")

    return func


def _add_extensions(subparsers: argparse._SubParsersAction) -> None:
    for name, module_name in EXTENSIONS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # the optional module is not part of this installation
            stub = subparsers.add_parser(name, help=f"(unavailable: {exc})")
            stub.set_defaults(func=_unavailable(name, str(exc)))
            continue
        module.add_parser(subparsers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lemmas", description="Numerical verification of the convergence theory of over-parameterized ReLU networks.",
        epilog="Exit status: 0 ok, 1 unexpected violation or error, 2 bad usage.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="list lemmas and their checks")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("check", help="run the checks of one or more lemmas")
    p.add_argument("ids", nargs="+", metavar="ID", help="lemma id (every check) or ID:check (one check)")
    p.add_argument("--case", metavar="LABEL", default=None, help="run only the case with this label (as in the uid)")
    p.add_argument("--out", metavar="DIR", type=Path, default=None, help="write the JSON records and replay files here")
    add_run_options(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("report", help="run checks and write the report (JSON, Markdown, HTML, plots)")
    p.add_argument("--out", metavar="DIR", type=Path, default=Path("reports"), help="report directory (default: reports)")
    p.add_argument("--only", nargs="+", metavar="ID", default=None, help="only these lemmas (ID) or checks (ID:check)")
    p.add_argument("--plots", action=argparse.BooleanOptionalAction, default=True, help="draw plots (needs matplotlib)")
    add_run_options(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("slack-map", help="critical factor of every explicit constant (the slack map of report --full)")
    p.add_argument("--out", metavar="DIR", type=Path, default=Path("reports/full"), help="output directory (default: reports/full)")
    p.add_argument("--only", nargs="+", metavar="ID", default=None, help="only these lemmas")
    p.add_argument("--trials", type=positive_int, default=120, metavar="N", help="search trials per constant (default 120)")
    p.add_argument("--seed", type=seed_value, default=Settings().seed, metavar="S", help="run seed (default: the package's)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="the constant being searched, on stderr (default: only when stderr is a terminal)")
    p.set_defaults(func=cmd_slack_map)

    p = sub.add_parser("replay", help="re-run one recorded trial and compare it bit for bit")
    p.add_argument("file", metavar="FILE", help="a replay file (reports/replays/*.json)")
    p.set_defaults(func=cmd_replay)

    _add_extensions(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lemmas`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.func(args))
    except UsageError as exc:
        print(f"lemmas: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # argparse: bad flags (2) or --help (0)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        print("lemmas: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
