"""`papcheck check`: one spec (its verdict is the exit code) or many (gate mode, judged by `expect`).
"""

from __future__ import annotations

import os
import sys

import click

from ..lang.errors import UsageError
from .main import (
    _SECONDS,
    _SIZE,
    EXIT_INTERNAL,
    _config,
    _defines,
    _progress_display,
    _reports,
    _write,
    main,
)
from .see import _see_minimize, _see_options, _see_outputs

CHECK_EXAMPLES = """
\b
Examples:
  papcheck check specs/dynamodb_dns.pap
  papcheck check specs/dynamodb_dns_cas.pap -D ENACTORS=2 -D PLANS=5
  papcheck check specs/reference_dns.pap --format json --output result.json
  papcheck check specs/dynamodb_dns.pap --trace-out race.itf.json
  papcheck check big.pap --max-states 1000000 --timeout 600 --max-memory 8G
  papcheck check specs/reference_dns.pap --store fingerprint --self-check
  papcheck check specs/reference_dns.pap --explain-por

\b
Exit codes: 0 holds, 1 violated or model error, 2 usage error,
            3 spec error, 4 incomplete (limit reached or interrupted).
"""



def _cross_options(f):
    """`check --cross-check spin|rumur`: kept out of check's own signature (as _see_options)."""
    import functools

    @click.option("--cross-check", "cross_peer", type=click.Choice(["spin", "rumur"]), default=None,
                  help="Export the spec, check it with SPIN or Rumur too and compare verdicts, unreduced "
                       "state counts and shortest counterexamples (exit 70 if they disagree; 3 if the export "
                       "refuses a construct, after papcheck's own report).")
    @functools.wraps(f)
    def wrapper(*args, cross_peer: str | None, **kwargs):
        click.get_current_context().meta["papcheck.cross"] = cross_peer
        if cross_peer:
            from ..crosscheck.peers import INSTALL_HINT, available
            if not available(cross_peer):
                raise UsageError(f"--cross-check {cross_peer}: {INSTALL_HINT[cross_peer]}")
        return f(*args, **kwargs)
    return wrapper


@main.command(epilog=CHECK_EXAMPLES)
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--strategy", type=click.Choice(["bfs", "dfs"]), default=None,
              help="Breadth-first (default) finds shortest traces; depth-first may use less memory.")
@click.option("--max-states", type=click.IntRange(min=1), help="Stop (incomplete) after this many states.")
@click.option("--max-depth", type=click.IntRange(min=0), help="Do not explore beyond this depth (incomplete).")
@click.option("--timeout", type=_SECONDS, metavar="SECONDS",
              help="Stop (incomplete) after this many seconds.")
@click.option("--max-memory", type=_SIZE, metavar="SIZE",
              help="Stop (incomplete) when papcheck's resident memory reaches SIZE (e.g. 500M, 2G).")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Search with N worker processes on this machine (they open no network socket).")
@click.option("--cluster", metavar="ADDRESS",
              help="Search on the Ray cluster at ADDRESS ('auto': $RAY_ADDRESS; needs papcheck[ray]); --workers defaults to its CPUs.")
@click.option("--checkpoint", "checkpoint_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Save the breadth-first search in DIR at level boundaries (see --checkpoint-every).")
@click.option("--checkpoint-every", type=click.FloatRange(min=0), default=10.0, show_default=True,
              metavar="MINUTES", help="Minutes between checkpoints (0: at every level).")
@click.option("--resume", "resume_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Continue the search saved in DIR (same spec, constants and settings); keeps saving there.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "junit", "github", "markdown"]),
              default=None, help="Output format (default: text, or the config's `format`).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the result here instead of standard output.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=PATH",
              help="Also write the result in FORMAT to PATH (repeatable), e.g. --report sarif=papcheck.sarif.")
@click.option("--gate", "gate_flag", is_flag=True,
              help="Judge specs by their `expect` line (implied for a directory or several specs).")
@click.option("--fail-on-incomplete/--no-fail-on-incomplete", default=None,
              help="In gate mode, whether a run stopped by a limit fails the job with exit 4 (default: it does).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Read this config file instead of the nearest papcheck.toml or pyproject.toml.")
@click.option("--trace-out", type=click.Path(dir_okay=False, writable=True),
              help="Write the counterexample (or model-error trace) as ITF JSON.")
@click.option("--full-states", is_flag=True, help="Show every variable at every step, not only changes.")
@click.option("--no-timing", is_flag=True, help="Leave time and memory figures out (byte-stable JSON).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display, warnings or timing on stderr.")
@click.option("--no-por", is_flag=True, help="Turn partial-order reduction off.")
@click.option("--no-symmetry", is_flag=True, help="Turn symmetry reduction off.")
@click.option("--no-solver", is_flag=True, help="Use footprints only (no z3 proofs) to find independent transitions.")
@click.option("--store", type=click.Choice(["exact", "fingerprint"]), default=None,
              help="exact (default) keeps every state; fingerprint keeps 16 bytes a state (less than half the memory; a tiny collision risk only with POR, DFS, --continue or states over 64 bits).")
@click.option("--explain-por", is_flag=True, help="List which transitions were found independent, and why.")
@click.option("--engine", "search_engine", type=click.Choice(["auto", "c", "python"]), default="auto",
              help="Search engine: c compiles the spec to C (needs a C compiler), python is the reference; "
                   "auto (default) is c. When c cannot run a search, a note says why and python runs it.")
@click.option("--property", "only_props", multiple=True, metavar="NAME",
              help="Check only this property (repeatable); the others are left out of the report.")
@click.option("--continue", "keep_going", is_flag=True,
              help="Keep searching after a violation until every property is decided; report the "
                   "shortest violation of each.")
@_see_options
@_cross_options
@click.option("--self-check", is_flag=True,
              help="Also run with every reduction off and on; fail loudly if any disagree.")
def check(specs: tuple[str, ...], defines: tuple[str, ...], strategy: str | None, max_states: int | None,
          max_depth: int | None, timeout: float | None, max_memory: int | None, workers: int | None,
          cluster: str | None, checkpoint_dir: str | None,
          checkpoint_every: float, resume_dir: str | None, fmt: str | None, output: str | None,
          reports: tuple[str, ...], gate_flag: bool, fail_on_incomplete: bool | None, config_path: str | None,
          trace_out: str | None, full_states: bool, no_timing: bool, quiet: bool, no_por: bool,
          no_symmetry: bool, no_solver: bool, store: str | None, explain_por: bool, only_props: tuple[str, ...],
          keep_going: bool, self_check: bool, search_engine: str = "auto") -> None:
    """Explore every interleaving of each SPEC and judge its properties.

    SPEC is a spec file, a directory (every *.pap below it) or a glob; with none, the `specs` of
    the config ([tool.papcheck] in pyproject.toml, or papcheck.toml).  One spec file: the exit
    code is its verdict.  Several specs, a directory, or --gate: gate mode, where a spec passes
    when its `expect` line is met and a spec without one must hold.
    """
    from .. import api
    from ..ci import gate
    from ..engine.explore import Limits
    from ..engine.phases import Phases
    from ..views import report

    config = _config(config_path)
    flags = gate.Settings(fmt, strategy, max_states, max_depth, timeout, fail_on_incomplete,
                          False if no_por else None, False if no_symmetry else None,
                          False if no_solver else None, store, max_memory=max_memory,
                          keep_going=True if keep_going else None, properties=tuple(only_props) or None)
    job = gate.global_settings(config, flags)
    fmt = job.format or "text"
    targets = _reports(reports)
    runs = gate.plan_runs(specs, config, _defines(defines), flags)
    plain = not gate_flag and len(specs) == 1 and os.path.isfile(specs[0])
    if not (plain and len(runs) == 1):
        if explain_por or self_check or checkpoint_dir or resume_dir or workers or cluster:
            raise UsageError("--explain-por, --self-check, --checkpoint, --resume, "
                             "--workers and --cluster take a single spec file (without --gate)")
        if trace_out and len(runs) > 1:
            raise UsageError("--trace-out needs a single spec and constant assignment")
        _check_many(runs, gate=not plain, fail_on_incomplete=job.fail_on_incomplete is not False, fmt=fmt,
                    output=output, targets=targets, trace_out=trace_out, full_states=full_states,
                    timing=not no_timing, quiet=quiet)
    run = runs[0]
    spec, settings = run.path, run.settings
    strategy, store = settings.strategy or "bfs", settings.store or "exact"
    keep_going = bool(settings.keep_going)
    no_por, no_symmetry, no_solver = settings.por is False, settings.symmetry is False, settings.solver is False
    max_states, max_depth, timeout = settings.max_states, settings.max_depth, settings.timeout
    phases = Phases()
    with phases.measure("load"):
        spec_obj = api.load(spec, run.constants)
    if not quiet and spec_obj.diagnostics.warnings:
        click.echo(spec_obj.diagnostics.render(), err=True)
    from .long_runs import checkpointer
    if (workers or cluster) and (checkpoint_dir or resume_dir):  # before the checkpoint directory is read
        raise UsageError("--workers and --cluster do not take --property, --continue, --checkpoint or --resume yet")
    ckpt = checkpointer(spec_obj, checkpoint_dir, checkpoint_every, resume_dir, strategy=strategy, store=store,
                        por=not no_por, symmetry=not no_symmetry, solver=not no_solver, properties=only_props,
                        keep_going=keep_going, max_depth=max_depth)
    engine = None
    if workers or cluster:
        from .long_runs import distributed_engine
        engine, no_por = distributed_engine(spec_obj, workers, cluster, strategy=strategy, only_props=only_props,
                                            keep_going=keep_going, checkpointed=ckpt is not None, no_por=no_por,
                                            quiet=quiet)
    progress = None if quiet else _progress_display()
    try:
        limits = Limits(max_states=max_states, max_depth=max_depth, timeout=timeout,
                        max_memory=settings.max_memory)
        result = api.check(spec_obj, strategy=strategy, limits=limits,
                           progress=progress.update if progress else None, por=not no_por,
                           symmetry=not no_symmetry, solver=not no_solver, store=store,
                           properties=list(only_props) or None, keep_going=keep_going, phases=phases,
                           checkpoint=ckpt, engine=engine, backend=search_engine)
    finally:
        if progress:
            progress.close()
        if engine is not None:
            engine.close()
    if result.engine_note and not quiet:
        click.echo(f"papcheck: note: {result.engine_note}", err=True)
    if engine is not None and engine.lost:
        click.echo(f"papcheck: a search worker was lost ({engine.lost}); the result is partial", err=True)
    if ckpt is not None and not quiet:
        from .long_runs import checkpoint_note
        click.echo(checkpoint_note(ckpt, result), err=True)
    minimized = _see_minimize(result, timeout, quiet)
    explained = _see_outputs(result, minimized)  # rendered before the report, so it has the figures
    outcome = gate.outcome_of(result, spec, gate=False)
    crosses = _cross_check([outcome])
    _write(output, _cross_render(fmt, _render(fmt, [outcome], full_states=full_states, timing=not no_timing),
                                 crosses, not no_timing))
    for target_fmt, path in targets:
        _write(path, _cross_render(target_fmt, _render(target_fmt, [outcome], full_states=full_states,
                                                       timing=not no_timing), crosses, not no_timing))
    if trace_out:
        trace = result.counterexample
        if trace is None:
            click.echo("papcheck: no counterexample to write to --trace-out", err=True)
        else:
            _write(trace_out, report.render_itf(trace, result, f"{spec_obj.name}: {result.verdict}"))
    if explained:
        click.echo("")
        click.echo(explained, nl=False)
    if not quiet and fmt == "text" and not no_timing:
        click.echo(report.render_timing(result), err=True, nl=False)
    if explain_por:
        click.echo("\n".join(spec_obj.partial_order(not no_solver).explain()))
    if self_check:
        from ..crosscheck.selfcheck import self_check as run_self_check
        sc = run_self_check(spec_obj, strategy=strategy, limits=limits)
        click.echo(sc.render(), nl=False, err=fmt != "text")
        if not sc.ok:
            sys.exit(EXIT_INTERNAL)
    _cross_exit(crosses)
    sys.exit(result.exit_code)


def _cross_exit(crosses: list) -> None:
    """70 when a peer disagrees; 3 when the export refused a construct, so no peer ran (the
    located error is printed under the cross-check line, after papcheck's own report)."""
    if any(not c.agree and c.refused is None for _, c in crosses):
        sys.exit(EXIT_INTERNAL)
    if any(c.refused is not None for _, c in crosses):
        sys.exit(3)


def _cross_check(outcomes: list) -> list:
    """(spec path, CrossCheck) for every outcome with a result, when --cross-check is given."""
    peer = click.get_current_context().meta.get("papcheck.cross")
    if not peer:
        return []
    from ..engine.explore import Terminated
    if Terminated.received or any(getattr(getattr(o, "result", None), "stop_reason", "") in ("interrupted", "terminated")
                                  for o in outcomes):
        # the run was stopped by Ctrl-C or SIGTERM: no unbounded second search and peer run after it
        click.echo("papcheck: --cross-check skipped: the run was stopped", err=True)
        return []
    from ..crosscheck.peers import cross_check
    out = []
    for o in outcomes:
        r = getattr(o, "result", None)
        if r is not None:
            out.append((r.spec.path, cross_check(r.spec, r, peer, papcheck_seconds=r.stats.seconds)))
    return out


def _cross_render(fmt: str, text: str, crosses: list, timing: bool) -> str:
    """The report with the cross-check: a line per spec in text, a `cross_check` member in JSON
    (a list in gate mode), on stderr for the CI formats."""
    if not crosses:
        return text
    if fmt == "json":
        import json
        data = json.loads(text)
        items = [dict(c.to_dict(), spec=path) for path, c in crosses]
        if not timing:
            for item in items:
                item.pop("seconds")
        data["cross_check"] = items[0] if "specs" not in data and len(items) == 1 else items
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    lines = [(f"{path}: " if len(crosses) > 1 else "") + c.line(timing) for path, c in crosses]
    for _, c in crosses:
        lines += [f"  - {p}" for p in c.problems]
        if c.refused is not None:
            lines += ["  " + x for x in c.refused.splitlines()]
    if fmt == "text":
        return text + "\n".join(lines) + "\n"
    click.echo("\n".join(lines), err=True)
    return text



def _render(fmt: str, outcomes: list, *, full_states: bool, timing: bool) -> str:
    """One or several judged runs in an output format; a single plain run keeps the classic
    text and JSON reports."""
    from ..ci import formats as ci_formats
    from ..views import report
    single = len(outcomes) == 1 and not outcomes[0].gate and outcomes[0].result is not None
    if fmt == "text":
        if single:
            return report.render_text(outcomes[0].result, full_states=full_states)
        return ci_formats.render_gate_text(outcomes, full_states=full_states)
    if fmt == "json":
        if single:
            return report.render_json(outcomes[0].result, timing=timing)
        return ci_formats.render_gate_json(outcomes, timing=timing)
    return {"sarif": ci_formats.render_sarif, "junit": ci_formats.render_junit, "github": ci_formats.render_github,
            "markdown": ci_formats.render_markdown}[fmt](outcomes)



def _check_many(runs: list, *, gate: bool, fail_on_incomplete: bool, fmt: str, output: str | None,
                targets: list[tuple[str, str]], trace_out: str | None, full_states: bool, timing: bool,
                quiet: bool) -> None:
    """Several runs (or one in gate mode): check each, report them together, exit."""
    from ..ci import gate as gates
    from ..views import report
    outcomes = []
    for run in runs:
        progress = None if quiet else _progress_display()
        try:
            outcome = gates.run_one(run, gate=gate, fail_on_incomplete=fail_on_incomplete,
                                    progress=progress.update if progress else None)
        finally:
            if progress:
                progress.close()
        if not quiet and outcome.warnings:
            click.echo(outcome.warnings, err=True)
        outcomes.append(outcome)
    crosses = _cross_check(outcomes)
    _write(output, _cross_render(fmt, _render(fmt, outcomes, full_states=full_states, timing=timing),
                                 crosses, timing))
    for target_fmt, path in targets:
        _write(path, _cross_render(target_fmt, _render(target_fmt, outcomes, full_states=full_states, timing=timing),
                                   crosses, timing))
    if trace_out:
        result = outcomes[0].result
        trace = result.counterexample if result is not None else None
        if trace is None:
            click.echo("papcheck: no counterexample to write to --trace-out", err=True)
        else:
            _write(trace_out, report.render_itf(trace, result, f"{result.spec.name}: {result.verdict}"))  # type: ignore[arg-type, union-attr]  # trace implies result
    _cross_exit(crosses)
    sys.exit(gates.exit_code(outcomes))

