"""The `papcheck` command.  The only module that prints or exits.

Exit codes (TLC-style, so CI never has to grep): 0 every property holds, 1 a property is violated
or a model error was found, 2 usage error, 3 the spec has errors, 4 incomplete (a limit was
reached or the run was interrupted), 70 internal error (a bug in papcheck: please report it).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import click

from . import __version__
from .errors import PapcheckError, SpecError, UsageError

EXIT_INTERNAL = 70

CHECK_EXAMPLES = """
\b
Examples:
  papcheck check specs/dynamodb_dns.pap
  papcheck check specs/dynamodb_dns_cas.pap -D ENACTORS=2 -D PLANS=5
  papcheck check specs/reference_dns.pap --format json --output result.json
  papcheck check specs/dynamodb_dns.pap --trace-out race.itf.json
  papcheck check big.pap --max-states 1000000 --timeout 600
  papcheck check specs/reference_dns.pap --store fingerprint --self-check
  papcheck check specs/reference_dns.pap --explain-por

\b
Exit codes: 0 holds, 1 violated or model error, 2 usage error,
            3 spec error, 4 incomplete (limit reached or interrupted).
"""


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


class _Main(click.Group):
    """Turn every papcheck error into a message and a classified exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SpecError as e:
            click.echo(e.diagnostics.render(), err=True)
            n = len(e.diagnostics.errors)
            click.echo(f"papcheck: {n} error{'s' if n != 1 else ''} in the spec", err=True)
            sys.exit(3)
        except UsageError as e:
            click.echo(f"papcheck: error: {e}", err=True)
            sys.exit(2)
        except PapcheckError as e:
            click.echo(f"papcheck: error: {e}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("papcheck: interrupted", err=True)
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


@main.command(epilog=CHECK_EXAMPLES)
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--strategy", type=click.Choice(["bfs", "dfs"]), default="bfs", show_default=True,
              help="Breadth-first finds shortest traces; depth-first may use less memory.")
@click.option("--max-states", type=click.IntRange(min=1), help="Stop (incomplete) after this many states.")
@click.option("--max-depth", type=click.IntRange(min=0), help="Do not explore beyond this depth (incomplete).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop (incomplete) after this many seconds.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the result here instead of standard output.")
@click.option("--trace-out", type=click.Path(dir_okay=False, writable=True),
              help="Write the counterexample (or model-error trace) as ITF JSON.")
@click.option("--full-states", is_flag=True, help="Show every variable at every step, not only changes.")
@click.option("--no-timing", is_flag=True, help="Leave time and memory figures out (byte-stable JSON).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display, warnings or timing on stderr.")
@click.option("--no-por", is_flag=True, help="Turn partial-order reduction off.")
@click.option("--no-symmetry", is_flag=True, help="Turn symmetry reduction off.")
@click.option("--no-solver", is_flag=True, help="Use footprints only (no z3 proofs) to find independent transitions.")
@click.option("--store", type=click.Choice(["exact", "fingerprint"]), default="exact", show_default=True,
              help="exact keeps every state; fingerprint keeps 64-bit fingerprints (less memory, tiny risk).")
@click.option("--explain-por", is_flag=True, help="List which transitions were found independent, and why.")
@click.option("--self-check", is_flag=True,
              help="Also run with every reduction off and on; fail loudly if any disagree.")
def check(spec: str, defines: tuple[str, ...], strategy: str, max_states: int | None, max_depth: int | None,
          timeout: float | None, fmt: str, output: str | None, trace_out: str | None, full_states: bool,
          no_timing: bool, quiet: bool, no_por: bool, no_symmetry: bool, no_solver: bool, store: str,
          explain_por: bool, self_check: bool) -> None:
    """Explore every interleaving of SPEC and judge its properties."""
    from . import api, report
    from .explore import Limits

    spec_obj = api.load(spec, _defines(defines))
    if not quiet and spec_obj.diagnostics.warnings:
        click.echo(spec_obj.diagnostics.render(), err=True)
    progress = None if quiet else _progress_display()
    try:
        limits = Limits(max_states=max_states, max_depth=max_depth, timeout=timeout)
        result = api.check(spec_obj, strategy=strategy, limits=limits,
                           progress=progress.update if progress else None, por=not no_por,
                           symmetry=not no_symmetry, solver=not no_solver, store=store)
    finally:
        if progress:
            progress.close()
    text = report.render_json(result, timing=not no_timing) if fmt == "json" else report.render_text(
        result, full_states=full_states)
    _write(output, text)
    if trace_out:
        trace = result.counterexample
        if trace is None:
            click.echo("papcheck: no counterexample to write to --trace-out", err=True)
        else:
            _write(trace_out, report.render_itf(trace, result, f"{spec_obj.name}: {result.verdict}"))
    if not quiet and fmt == "text" and not no_timing:
        click.echo(report.render_timing(result), err=True, nl=False)
    if explain_por:
        click.echo("\n".join(spec_obj.partial_order(not no_solver).explain()))
    if self_check:
        from .selfcheck import self_check as run_self_check
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
    from .parser import parse as parse_source, read_source
    from .pretty import pretty_spec
    from .resolve import check_spec

    source = read_source(spec)
    tree = parse_source(source)
    checked = check_spec(tree, source, _defines(defines))
    if checked.diagnostics.warnings:
        click.echo(checked.diagnostics.render(), err=True)
    click.echo(pretty_spec(tree), nl=False)


def _write(path: str | None, text: str) -> None:
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
        text = (f"states {stats.states:,}  ·  {stats.states / max(stats.seconds, 1e-9):,.0f}/s  ·  "
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


if __name__ == "__main__":  # pragma: no cover
    main()
