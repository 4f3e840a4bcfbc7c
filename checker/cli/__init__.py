"""The command line: the `papcheck` command and the GitHub Action's script (``action``).
The only layer that prints or exits.

May import: every other layer.

Exit codes (TLC-style, so CI never has to grep): 0 every property holds, 1 a property is violated
or a model error was found, 2 usage error, 3 the spec has errors, 4 incomplete (a limit was
reached or the run was interrupted), 70 internal error (a bug in papcheck: please report it).
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from typing import Any

import click

from .. import __version__
from ..engine.explore import Terminated
from ..lang.errors import PapcheckError, SpecError, UsageError

EXIT_INTERNAL = 70

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


class _Seconds(click.FloatRange):
    """A positive, finite number of seconds (`--timeout nan` or `inf` would silently mean no limit)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        v = super().convert(value, param, ctx)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number of seconds (leave --timeout out for no limit)", param, ctx)
        return v


_SECONDS = _Seconds(min=0, min_open=True)


class _Size(click.ParamType):
    """A memory size: 500M, 2G, 1.5GiB, or bytes."""

    name = "size"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from ..engine.explore import parse_size
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


_SIZE = _Size()


def parse_define(text: str) -> tuple[str, Any]:
    """`NAME=VALUE` with VALUE an integer or true/false."""
    if "=" not in text:
        raise UsageError(f"-D {text}: expected NAME=VALUE, for example -D ENACTORS=3")
    name, _, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not name.isidentifier():
        raise UsageError(f"-D {text}: '{name}' is not a constant name")
    if raw in ("true", "false"):
        return name, raw == "true"
    try:
        return name, int(raw, 10)
    except ValueError:
        raise UsageError(f"-D {text}: the value must be an integer or true/false, not '{raw}'") from None


def _defines(values: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in values:
        name, value = parse_define(v)
        if name in out:
            raise UsageError(f"-D {name} is given twice")
        out[name] = value
    return out


def _stop_on_sigterm() -> None:
    """SIGTERM (what a CI job's timeout sends) stops papcheck as Ctrl-C does: a search in progress
    ends with its partial figures and exit 4, instead of dying silently."""
    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills at once
        raise Terminated()
    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (papcheck called from a test's thread): leave it alone
        pass


class _Main(click.Group):
    """Turn every papcheck error into a message and a classified exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        _stop_on_sigterm()
        try:
            return super().invoke(ctx)
        except SpecError as e:
            click.echo(e.diagnostics.render(), err=True)
            n = len(e.diagnostics.errors)
            click.echo(f"papcheck: {n} error{'s' if n != 1 else ''} in the spec", err=True)
            sys.exit(3)
        except UsageError as e:
            # a config mistake arrives already located (`pyproject.toml:3:1: error: ...`)
            click.echo(getattr(e, "rendered", None) or f"papcheck: error: {e}", err=True)
            sys.exit(2)
        except PapcheckError as e:
            click.echo(f"papcheck: error: {e}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt as e:
            click.echo("papcheck: terminated (SIGTERM)" if isinstance(e, Terminated) else "papcheck: interrupted",
                       err=True)
            sys.exit(4)
        except RecursionError:
            click.echo("papcheck: error: the spec nests expressions too deeply", err=True)
            sys.exit(3)
        except Exception as e:  # a bug in papcheck: say so, briefly
            if os.environ.get("PAPCHECK_DEBUG"):
                raise
            click.echo(f"papcheck: internal error: {type(e).__name__}: {e}\n"
                       "This is a bug in papcheck; set PAPCHECK_DEBUG=1 for the traceback.", err=True)
            sys.exit(EXIT_INTERNAL)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="papcheck")
def main() -> None:
    """papcheck: an exhaustive model checker for plan-apply-purge protocols.

    Describe a protocol (a planner, appliers, a cleanup) in a .pap spec; papcheck explores every
    interleaving and shows the shortest trace that breaks a property, or proves none exists
    within the bounds.
    """


def _see_options(f):
    """`check --explain / --render DIR / --min-switches`: kept out of check's own signature; the
    values travel in the click context to :func:`_see_minimize` and :func:`_see_outputs`."""
    import functools

    @click.option("--explain", "see_explain", is_flag=True,
                  help="After the report, tell the counterexample in plain English (as `papcheck explain`).")
    @click.option("--render", "see_render", metavar="DIR", type=click.Path(file_okay=False),
                  help="Write every view of the counterexample into DIR (sequence chart, graphs, HTML report).")
    @click.option("--min-switches/--no-min-switches", "see_min", default=None,
                  help="Among the shortest counterexamples show one with the fewest context switches "
                       "(default: on with --explain or --render).")
    @functools.wraps(f)
    def wrapper(*args, see_explain: bool, see_render: str | None, see_min: bool | None, **kwargs):
        specs = kwargs.get("specs") or ()
        if (see_explain or see_render) and not (len(specs) == 1 and os.path.isfile(specs[0])):
            raise UsageError("--explain and --render take a single spec file")
        ctx = click.get_current_context()
        ctx.meta["papcheck.see"] = (see_explain, see_render,
                                    see_min if see_min is not None else bool(see_explain or see_render))
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
              help="Search with N workers on a local Ray instance (127.0.0.1 only); needs papcheck[ray].")
@click.option("--cluster", metavar="ADDRESS",
              help="Search on the Ray cluster at ADDRESS ('auto': $RAY_ADDRESS); --workers defaults to its CPUs.")
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
              help="exact (default) keeps every state; fingerprint keeps 64-bit fingerprints (less memory, tiny risk).")
@click.option("--explain-por", is_flag=True, help="List which transitions were found independent, and why.")
@click.option("--property", "only_props", multiple=True, metavar="NAME",
              help="Check only this property (repeatable); the others are left out of the report.")
@click.option("--continue", "keep_going", is_flag=True,
              help="Keep searching after a violation until every property is decided; report the "
                   "shortest violation of each.")
@_see_options
@click.option("--self-check", is_flag=True,
              help="Also run with every reduction off and on; fail loudly if any disagree.")
def check(specs: tuple[str, ...], defines: tuple[str, ...], strategy: str | None, max_states: int | None,
          max_depth: int | None, timeout: float | None, max_memory: int | None, workers: int | None,
          cluster: str | None, checkpoint_dir: str | None,
          checkpoint_every: float, resume_dir: str | None, fmt: str | None, output: str | None,
          reports: tuple[str, ...], gate_flag: bool, fail_on_incomplete: bool | None, config_path: str | None,
          trace_out: str | None, full_states: bool, no_timing: bool, quiet: bool, no_por: bool,
          no_symmetry: bool, no_solver: bool, store: str | None, explain_por: bool, only_props: tuple[str, ...],
          keep_going: bool, self_check: bool) -> None:
    """Explore every interleaving of each SPEC and judge its properties.

    SPEC is a spec file, a directory (every *.pap below it) or a glob; with none, the `specs` of
    the config ([tool.papcheck] in pyproject.toml, or papcheck.toml).  One spec file: the exit
    code is its verdict.  Several specs, a directory, or --gate: gate mode, where a spec passes
    when its `expect` line is met and a spec without one must hold.
    """
    from .. import api
    from ..ci import gate
    from ..views import report
    from ..engine.explore import Limits
    from ..engine.phases import Phases

    config = _config(config_path)
    flags = gate.Settings(fmt, strategy, max_states, max_depth, timeout, fail_on_incomplete,
                          False if no_por else None, False if no_symmetry else None,
                          False if no_solver else None, store, max_memory=max_memory)
    job = gate.global_settings(config, flags)
    fmt = job.format or "text"
    targets = _reports(reports)
    runs = gate.plan_runs(specs, config, _defines(defines), flags)
    plain = not gate_flag and len(specs) == 1 and os.path.isfile(specs[0])
    if not (plain and len(runs) == 1):
        if explain_por or self_check or only_props or keep_going or checkpoint_dir or resume_dir or workers \
                or cluster:
            raise UsageError("--explain-por, --self-check, --property, --continue, --checkpoint, --resume, "
                             "--workers and --cluster take a single spec file (without --gate)")
        if trace_out and len(runs) > 1:
            raise UsageError("--trace-out needs a single spec and constant assignment")
        _check_many(runs, gate=not plain, fail_on_incomplete=job.fail_on_incomplete is not False, fmt=fmt,
                    output=output, targets=targets, trace_out=trace_out, full_states=full_states,
                    timing=not no_timing, quiet=quiet)
    run = runs[0]
    spec, settings = run.path, run.settings
    strategy, store = settings.strategy or "bfs", settings.store or "exact"
    no_por, no_symmetry, no_solver = settings.por is False, settings.symmetry is False, settings.solver is False
    max_states, max_depth, timeout = settings.max_states, settings.max_depth, settings.timeout
    phases = Phases()
    with phases.measure("load"):
        spec_obj = api.load(spec, run.constants)
    if not quiet and spec_obj.diagnostics.warnings:
        click.echo(spec_obj.diagnostics.render(), err=True)
    from .long_runs import checkpointer
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
                           checkpoint=ckpt, engine=engine)
    finally:
        if progress:
            progress.close()
        if engine is not None:
            engine.close()
    if engine is not None and engine.lost:
        click.echo(f"papcheck: a search worker was lost ({engine.lost}); the result is partial", err=True)
    if ckpt is not None and not quiet:
        from .long_runs import checkpoint_note
        click.echo(checkpoint_note(ckpt, result), err=True)
    minimized = _see_minimize(result)
    explained = _see_outputs(result, minimized)  # rendered before the report, so it has the figures
    outcome = gate.outcome_of(result, spec, gate=False)
    _write(output, _render(fmt, [outcome], full_states=full_states, timing=not no_timing))
    for target_fmt, path in targets:
        _write(path, _render(target_fmt, [outcome], full_states=full_states, timing=not no_timing))
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
    sys.exit(result.exit_code)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
def parse(spec: str, defines: tuple[str, ...]) -> None:
    """Check SPEC for errors and print it in normal form.

    \b
    Example:
      papcheck parse specs/dynamodb_dns.pap
    """
    from ..lang.parser import parse as parse_source, read_source
    from ..lang.pretty import pretty_spec
    from ..lang.resolve import check_spec

    source = read_source(spec)
    tree = parse_source(source)
    checked = check_spec(tree, source, _defines(defines))
    if checked.diagnostics.warnings:
        click.echo(checked.diagnostics.render(), err=True)
    click.echo(pretty_spec(tree), nl=False)


FORMATS = ("text", "json", "sarif", "junit", "github", "markdown")


def _config(path: str | None):
    """The configuration: --config FILE, else the nearest papcheck.toml / pyproject.toml."""
    from ..ci import gate
    if path is not None:
        if not os.path.isfile(path):
            raise UsageError(f"--config {path}: no such file")
        return gate.load_config(path)
    found = gate.find_config()
    return gate.load_config(found) if found else None


def _reports(values: tuple[str, ...], formats: tuple[str, ...] = FORMATS) -> list[tuple[str, str]]:
    out = []
    for v in values:
        fmt, sep, path = v.partition("=")
        if not sep or fmt not in formats or not path:
            raise UsageError(f"--report {v}: expected FORMAT=PATH with FORMAT one of {', '.join(formats)}")
        out.append((fmt, path))
    return out


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
    _write(output, _render(fmt, outcomes, full_states=full_states, timing=timing))
    for target_fmt, path in targets:
        _write(path, _render(target_fmt, outcomes, full_states=full_states, timing=timing))
    if trace_out:
        result = outcomes[0].result
        trace = result.counterexample if result is not None else None
        if trace is None:
            click.echo("papcheck: no counterexample to write to --trace-out", err=True)
        else:
            _write(trace_out, report.render_itf(trace, result, f"{result.spec.name}: {result.verdict}"))
    sys.exit(gates.exit_code(outcomes))


DIFF_EXAMPLES = """
\b
Examples:
  papcheck diff old/dynamodb_dns.pap specs/dynamodb_dns.pap
  papcheck diff --git origin/main specs/dynamodb_dns_cas.pap
  papcheck diff --git HEAD~1 specs/reference_dns.pap -D ENACTORS=2 --format markdown

\b
Exit codes: 0 no regression, 1 a property regressed (held -> violated,
            witnessed -> never reached, or a new model error), 2 usage error,
            3 the new version has spec errors, 4 incomplete (a limit was reached).
"""


@main.command(epilog=DIFF_EXAMPLES)
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--git", "git_rev", metavar="REV", help="Compare PATH with its version at git revision REV.")
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE",
              help="Override a constant in both versions (repeatable).")
@click.option("--strategy", type=click.Choice(["bfs", "dfs"]), default=None, help="Search strategy (default bfs).")
@click.option("--max-states", type=click.IntRange(min=1), help="Stop (incomplete) after this many states.")
@click.option("--max-depth", type=click.IntRange(min=0), help="Do not explore beyond this depth (incomplete).")
@click.option("--timeout", type=_SECONDS, metavar="SECONDS",
              help="Stop each version's check (incomplete) after this many seconds.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the comparison here instead of standard output.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=PATH",
              help="Also write the comparison in FORMAT (text, markdown, json) to PATH (repeatable).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Read this config file instead of the nearest papcheck.toml or pyproject.toml.")
def diff(paths: tuple[str, ...], git_rev: str | None, defines: tuple[str, ...], strategy: str | None,
         max_states: int | None, max_depth: int | None, timeout: float | None, fmt: str, output: str | None,
         reports: tuple[str, ...], config_path: str | None) -> None:
    """Compare two versions of a spec: BASE HEAD, or --git REV PATH.

    Both are checked with the same constants and limits (flags, else the config's `define` and
    limits; a matrix is not expanded).  Shows the properties that newly fail, with the new shortest
    counterexample, or newly hold, witnesses gained or lost, the change in reachable states and
    transitions, and the constants and transitions added, removed or changed.
    """
    from ..ci import gate, diff as specdiff
    from ..lang.parser import read_source

    if git_rev is not None and len(paths) != 1:
        raise UsageError("diff --git REV takes one spec path (compared with its version at REV)")
    if git_rev is None and len(paths) != 2:
        raise UsageError("diff takes two spec files, BASE and HEAD (or --git REV PATH)")
    config = _config(config_path)
    flags = gate.Settings(None, strategy, max_states, max_depth, timeout)
    targets = _reports(reports, ("text", "markdown", "json"))
    head_path = paths[-1]
    if not os.path.isfile(head_path):
        raise UsageError(f"{head_path}: no such file")
    define, _, settings = gate.spec_settings(head_path, config, flags)  # a matrix is not expanded
    cli_defines = _defines(defines)
    options = gate.Run(head_path, {}, {}, settings).check_options()
    if git_rev is not None:
        label = f"{head_path}@{git_rev}"
        base = specdiff.git_source(git_rev, head_path)
    else:
        label = paths[0]
        try:
            base = read_source(paths[0])
        except SpecError as e:  # unreadable content: the base has errors, as for --git
            base = e
    d = specdiff.diff_files(base, label, head_path, {**define, **cli_defines}, options, strict=set(cli_defines))
    render = {"text": specdiff.render_text, "markdown": specdiff.render_markdown, "json": specdiff.render_json}
    _write(output, render[fmt](d))
    for target_fmt, path in targets:
        _write(path, render[target_fmt](d))
    sys.exit(d.exit_code)


# ------------------------------------------------------------------ seeing the race (issue 4)


def _see_minimize(result) -> list:
    """Apply --min-switches to a plain check's result before it is reported."""
    explain, render_dir, min_switches = click.get_current_context().meta.get("papcheck.see", (False, None, False))
    if not min_switches:
        return []
    from ..explain.minimize import minimize_result
    with result.phases.measure("minimization"):
        return minimize_result(result)


def _see_outputs(result, minimized: list) -> str:
    """Write --render's files; return --explain's text (printed after the report)."""
    explain, render_dir, _ = click.get_current_context().meta.get("papcheck.see", (False, None, False))
    if not (explain or render_dir):
        return ""
    text = ""
    with result.phases.measure("rendering"):
        if explain:
            from ..explain.narrate import render_explanation
            text = render_explanation(result, None, minimized)
        if render_dir:
            _render_all(result, render_dir, minimized)
    return text


def _render_all(result, directory: str, minimized: list | None = None) -> None:
    """Every view of the result's counterexample into a directory (`check --render DIR`)."""
    from ..views.dot import have_dot
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{directory}: cannot create: {e.strerror or e}") from None
    views = [("report.html", "html", "sequence"), ("sequence.svg", "svg", "sequence"),
             ("hb.dot", "dot", "hb"), ("states.dot", "dot", "states")]
    if have_dot():
        views += [("hb.svg", "svg", "hb"), ("states.svg", "svg", "states")]
    written = []
    for name, fmt, view in views:
        data = _view(result, None, fmt, view, minimized)
        if data is None:
            break
        path = os.path.join(directory, name)
        _write_bytes(path, data)
        written.append(path)
    if written:
        click.echo("papcheck: wrote " + ", ".join(written), err=True)
    else:
        click.echo("papcheck: no counterexample to render", err=True)
    if not have_dot():
        click.echo("papcheck: note: hb.svg and states.svg need Graphviz (apt-get install graphviz)", err=True)


def _view(result, prop_name: str | None, fmt: str, view: str, minimized: list | None = None) -> bytes | None:
    """One view of the result as bytes; None when there is no trace to draw."""
    from ..explain.narrate import pick_property
    from ..lang.outputs import visible
    if fmt == "html":
        from ..views.html import html_report
        return visible(html_report(result, prop_name, minimized)).encode("utf-8")
    prop = pick_property(result, prop_name)
    error = ""
    if prop is not None and prop.trace is not None:
        trace = prop.trace
    elif prop_name is None and result.model_error is not None:
        trace, prop, error = result.model_error.trace, None, result.model_error.message
    else:
        return None
    if view == "sequence":
        if fmt != "svg":
            raise UsageError(f"--to {fmt}: the sequence chart is drawn as SVG (--to svg, or --to html for "
                             "the whole report); --to dot, png and pdf are for --view hb and --view states")
        from ..views.svg import sequence_svg
        return visible(sequence_svg(result.spec, trace, prop, error=error)).encode("utf-8")
    from ..views import dot as render_dot
    dot = visible((render_dot.hb_dot if view == "hb" else render_dot.states_dot)(result.spec, trace, prop))
    if fmt == "dot":
        return dot.encode("utf-8")
    return render_dot.convert(dot, fmt)


def _write_bytes(path: str | None, data: bytes) -> None:
    if path is None:
        out = click.get_binary_stream("stdout")
        out.write(data)
        out.flush()
        return
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise UsageError(f"{path}: cannot write: {e.strerror or e}") from None


def _see_run(spec: str, defines: tuple[str, ...], max_states: int | None, timeout: float | None,
             keep_going: bool = False):
    from .. import api
    from ..engine.explore import Limits
    spec_obj = api.load(spec, _defines(defines))
    progress = _progress_display()
    try:
        return api.check(spec_obj, limits=Limits(max_states=max_states, timeout=timeout),
                         progress=progress.update, keep_going=keep_going)
    finally:
        progress.close()


def _see_trace_options(f):
    """The options explain, render and replay share."""
    f = click.option("--timeout", type=_SECONDS, metavar="SECONDS",
                     help="Stop the search (incomplete) after this many seconds.")(f)
    f = click.option("--max-states", type=click.IntRange(min=1),
                     help="Stop the search (incomplete) after this many states.")(f)
    f = click.option("--min-switches/--no-min-switches", default=True, show_default=True,
                     help="Among the shortest counterexamples use one with the fewest context switches "
                          "(skipped with a note when the state space is too big).")(f)
    f = click.option("--property", "prop_name", metavar="NAME",
                     help="Use this property's trace (a violated invariant or a witnessed `reachable`) "
                          "instead of the first counterexample.")(f)
    f = click.option("-D", "defines", multiple=True, metavar="NAME=VALUE",
                     help="Override a constant (repeatable).")(f)
    return f


def _see_prepare(spec: str, defines, prop_name, min_switches, max_states, timeout):
    """Check SPEC, pick the trace to show, minimize its context switches."""
    from ..explain.narrate import pick_property
    # a named property is decided even when another one is violated first (as check --continue)
    result = _see_run(spec, defines, max_states, timeout, keep_going=prop_name is not None)
    if prop_name is not None and pick_property(result, prop_name) is None:
        names = ", ".join(p.name for p in result.properties) or "none"
        raise UsageError(f"--property {prop_name}: no such property (the spec has: {names})")
    minimized = []
    if min_switches:
        from ..explain.minimize import minimize_result
        minimized = minimize_result(result, include_witnesses=prop_name is not None)
    return result, minimized


EXPLAIN_EXAMPLES = """
\b
Examples:
  papcheck explain specs/dynamodb_dns.pap
  papcheck explain specs/dynamodb_dns_skip_active.pap -D ENACTORS=2
  papcheck explain examples/workshop/02_two_enactors/spec.pap --property stale_overwrite

\b
Exit codes: as `papcheck check` (0 holds, 1 violated, 2 usage, 3 spec error, 4 incomplete).
"""


@main.command(epilog=EXPLAIN_EXAMPLES)
@click.argument("spec", type=click.Path(dir_okay=False))
@_see_trace_options
def explain(spec: str, defines: tuple[str, ...], prop_name: str | None, min_switches: bool,
            max_states: int | None, timeout: float | None) -> None:
    """Tell SPEC's counterexample in plain English, then why it is a race.

    The story comes from the transitions' doc comments (`## ...`) and the values each step
    changed; the analysis names where the property breaks, the pair of conflicting steps whose
    order decides it (checked by replaying the trace with the two swapped), what each instance
    believed when it last checked, and the values the property failed on.
    """
    from ..explain.narrate import render_explanation
    result, minimized = _see_prepare(spec, defines, prop_name, min_switches, max_states, timeout)
    click.echo(render_explanation(result, prop_name, minimized), nl=False)
    sys.exit(result.exit_code)


RENDER_EXAMPLES = """
\b
Examples:
  papcheck render specs/dynamodb_dns.pap -o race.svg
  papcheck render specs/dynamodb_dns.pap --to html -o race.html
  papcheck render specs/dynamodb_dns.pap --view hb --to png -o hb.png
  papcheck render specs/dynamodb_dns.pap --view states --to dot | dot -Tsvg > states.svg

\b
Views: sequence (SVG, drawn natively), hb (happens-before graph), states
(the trace's states and the transitions not taken); --to html is the whole
report in one offline file.  dot is always available; svg, png and pdf of the
graphs need Graphviz's `dot` (apt-get install graphviz).
Exit codes: 0 written, 2 usage error (or Graphviz missing), 3 spec error.
"""


@main.command(epilog=RENDER_EXAMPLES)
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--to", "fmt", type=click.Choice(["svg", "dot", "png", "pdf", "html"]), default="svg",
              show_default=True, help="Output format.")
@click.option("--view", type=click.Choice(["sequence", "hb", "states"]), default="sequence", show_default=True,
              help="What to draw (ignored by --to html, which has them all).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write here instead of standard output.")
@_see_trace_options
def render(spec: str, fmt: str, view: str, output: str | None, defines: tuple[str, ...], prop_name: str | None,
           min_switches: bool, max_states: int | None, timeout: float | None) -> None:
    """Draw SPEC's counterexample: a sequence chart, a happens-before graph, the states around it,
    or a self-contained HTML report."""
    if fmt in ("png", "pdf") and output is None and sys.stdout.isatty():
        raise UsageError(f"--to {fmt} writes binary data: give -o FILE")
    if fmt in ("dot", "png", "pdf") and view == "sequence":
        raise UsageError(f"--to {fmt}: the sequence chart is drawn as SVG (--to svg, or --to html for the "
                         "whole report); --to dot, png and pdf are for --view hb and --view states")
    if fmt in ("svg", "png", "pdf") and view != "sequence":
        from ..views.dot import have_dot
        if not have_dot():
            from ..views.dot import convert
            convert("", fmt)  # raises the install message
    result, minimized = _see_prepare(spec, defines, prop_name, min_switches, max_states, timeout)
    data = _view(result, prop_name, fmt, view, minimized)
    if data is None:
        click.echo(f"papcheck: {spec}: no trace to draw (verdict: {result.verdict})", err=True)
        sys.exit(result.exit_code if result.verdict == "incomplete" else 0)
    _write_bytes(output, data)
    if output is not None:
        click.echo(f"papcheck: wrote {output} ({_what_rendered(result, prop_name, fmt, view)}, "
                   f"{len(data):,} bytes)", err=True)


def _what_rendered(result, prop_name: str | None, fmt: str, view: str) -> str:
    """`the sequence chart of endpoint_has_ips's 12-step counterexample`, for render's message."""
    from ..explain.narrate import pick_property
    what = "the HTML report" if fmt == "html" else {
        "sequence": "the sequence chart", "hb": "the happens-before graph", "states": "the state graph"}[view]
    prop = pick_property(result, prop_name)
    if prop is not None and prop.trace is not None:
        kind = "witness" if prop.status == "witnessed" else "counterexample"
        return f"{what} of {prop.name}'s {prop.trace.length}-step {kind}"
    if result.model_error is not None:
        return f"{what} of the model error's trace"
    return what


GRAPH_EXAMPLES = """
\b
Examples:
  papcheck graph specs/dynamodb_dns.pap -D ENACTORS=2 -D PLANS=3 -D ENDPOINTS=1 -o graph.dot
  papcheck graph examples/workshop/01_one_enactor/spec.pap --to svg -o graph.svg --labels
"""


@main.command(epilog=GRAPH_EXAMPLES)
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--to", "fmt", type=click.Choice(["dot", "svg", "png", "pdf"]), default="dot", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write here instead of standard output.")
@click.option("--max-states", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Refuse specs with more reachable states than this.")
@click.option("--labels", is_flag=True, help="Write each state's values in its node (default: a number; "
                                             "the values are in the tooltip).")
def graph(spec: str, defines: tuple[str, ...], fmt: str, output: str | None, max_states: int,
          labels: bool) -> None:
    """Draw the whole reachable state graph of a small SPEC (for teaching); states that violate
    an invariant are red, deadlocks orange."""
    from .. import api
    from ..views.dot import convert, graph_dot, have_dot
    if fmt != "dot" and not have_dot():
        convert("", fmt)  # raises the install message
    if fmt in ("png", "pdf") and output is None and sys.stdout.isatty():
        raise UsageError(f"--to {fmt} writes binary data: give -o FILE")
    spec_obj = api.load(spec, _defines(defines))
    dot = graph_dot(spec_obj, max_states, labels)
    _write_bytes(output, dot.encode("utf-8") if fmt == "dot" else convert(dot, fmt))


REPLAY_EXAMPLES = """
\b
Examples:
  papcheck check specs/dynamodb_dns.pap --trace-out race.itf.json
  papcheck replay specs/dynamodb_dns.pap race.itf.json
  papcheck replay --check specs/dynamodb_dns.pap from_logs.itf.json
  printf 'jump 8\\nstate\\nhistory record[0]\\n' | papcheck replay specs/dynamodb_dns.pap race.itf.json

\b
Exit codes: 0 (--check: a legal behaviour), 1 (--check: not one), 2 usage error
            or unreadable trace, 3 spec error.
"""


@main.command(epilog=REPLAY_EXAMPLES)
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("trace_path", metavar="TRACE", type=click.Path(dir_okay=False))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE",
              help="Override a constant (repeatable): the same as when the trace was made.")
@click.option("--check", "check_only", is_flag=True,
              help="Only validate: is TRACE a legal behaviour of SPEC? Reports the first step that is not, and why.")
def replay(spec: str, trace_path: str, defines: tuple[str, ...], check_only: bool) -> None:
    """Step through an ITF trace of SPEC (commands from the terminal or standard input), or
    validate it with --check."""
    from .. import api
    from ..lang.inputs import InputError, read_command
    from ..explain.replay import Replayer, decode_itf, read_itf, to_trace, validate
    spec_obj = api.load(spec, _defines(defines))
    itf = decode_itf(spec_obj, read_itf(trace_path), trace_path)
    if check_only:
        verdict = validate(spec_obj, itf)
        click.echo(verdict.text(trace_path), nl=False)
        sys.exit(0 if verdict.ok else 1)
    session = Replayer(spec_obj, to_trace(spec_obj, itf))
    interactive = sys.stdin.isatty()
    click.echo(session.intro(), nl=False)
    while not session.done:
        if interactive:
            click.echo("replay> ", nl=False)
        try:
            line = read_command(sys.stdin)
        except InputError as e:
            click.echo(f"{e.message}\n", nl=False)
            continue
        if line is None:
            break
        out = session.command(line)
        if out:
            click.echo(out, nl=False)


@main.command()
def lsp() -> None:
    """Run the language server on stdin/stdout (for editors; needs the `editor` extra).

    \b
    Example:
      papcheck lsp      # what an editor starts (editors/vscode does)
    """
    try:
        from ..editor.server import serve_stdio
    except ImportError as e:
        raise UsageError(f"papcheck lsp needs pygls: pip install 'papcheck[editor]' ({e})") from None
    serve_stdio()


EXPLORE_EXAMPLES = """
\b
Examples:
  papcheck explore specs/dynamodb_dns.pap             # then open http://127.0.0.1:8765/
  papcheck explore examples/workshop/03_purge/spec.pap --no-race --port 0
"""


@main.command(name="explore", epilog=EXPLORE_EXAMPLES)
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback lets other machines browse the spec.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--max-states", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Bound of the check that finds the counterexample behind \"Show me the race\".")
@click.option("--no-race", is_flag=True,
              help="Do not look for a counterexample: no \"Show me the race\" button, no hint (for workshops).")
def explore_cmd(spec: str, defines: tuple[str, ...], host: str, port: int, max_states: int,
                no_race: bool) -> None:
    """Walk SPEC's state space by hand in a browser, served on this machine.

    Take one enabled transition at a time, go back, watch the state and the sequence chart grow,
    or jump onto the checker's counterexample.  The path is in the URL, so it can be shared.
    Ctrl-C stops the server.
    """
    import signal

    from .. import api
    from ..web.explorer import Explorer
    from ..web.server import ExplorerServer, is_loopback

    explorer = Explorer(api.load(spec, _defines(defines)), max_states=max_states, show_race=not no_race)
    cex = explorer.counterexample()
    if not is_loopback(host):
        click.echo(f"papcheck: warning: listening on {host}: anyone who can reach this machine can browse "
                   "the spec and its state space", err=True)
    try:
        server = ExplorerServer(explorer, host, port)
    except OSError as e:
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None

    def _stop(signum, frame):  # SIGTERM ends the server like Ctrl-C
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, _stop)
    try:  # a signal right after the announcement still stops cleanly
        if cex:
            click.echo(f"papcheck explore: {cex['kind']} {cex['property']} is violated after {len(cex['path'])} "
                       "steps (\"Show me the race\" on the page)", err=True)
        click.echo(f"papcheck explore: serving {spec} at {server.url}  (Ctrl-C stops)", err=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        signal.signal(signal.SIGTERM, previous)
    click.echo("papcheck explore: stopped", err=True)


def _write(path: str | None, text: str) -> None:
    from ..lang.outputs import visible
    text = visible(text)  # no control character or escape sequence reaches a terminal or an XML reader
    if path is None:
        click.echo(text, nl=False)
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise UsageError(f"{path}: cannot write: {e.strerror or e}") from None


class _progress_display:
    """A one-line rich status on stderr, shown only on a terminal and after the first second."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.status = None
        self.enabled = sys.stderr.isatty()

    def update(self, stats) -> None:
        if not self.enabled or time.perf_counter() - self.started < 1.0:
            return
        phase = getattr(stats, "phase", "safety search")
        text = (f"{phase}: states {stats.states:,}  ·  {stats.states / max(stats.seconds, 1e-9):,.0f}/s  ·  "
                f"depth {stats.depth}  ·  queue {stats.queue:,}")
        if self.status is None:
            from rich.console import Console
            self.status = Console(stderr=True).status(text)
            self.status.start()
        else:
            self.status.update(text)

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()


from . import long_runs  # noqa: E402,F401  (registers `papcheck simulate`)

if __name__ == "__main__":  # pragma: no cover
    main()
