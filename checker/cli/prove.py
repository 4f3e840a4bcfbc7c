"""Proofs for every size: `papcheck prove` (inductive invariants with z3) and `papcheck synth`
(which constants are safe).
"""

from __future__ import annotations

import sys

import click

from .main import (
    _defines,
    _write,
    main,
)

PROVE_EXAMPLES = """
\b
Examples:
  papcheck prove specs/dynamodb_dns_cas_proof.pap --assume 'PURGE_AGE >= 0'
  papcheck prove specs/reference_dns.pap -D FIX=0 -D ENDPOINTS=1
  papcheck prove specs/dynamodb_dns_cas.pap --format json

\b
Exit codes: 0 proved for every size, 1 a real counterexample, 2 usage error,
            3 spec error (or a construct the prover does not support), 4 undecided.
"""



@main.command(epilog=PROVE_EXAMPLES)
@click.argument("spec", type=click.Path())
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Pin a constant (repeatable); the others are symbolic.")
@click.option("--assume", "assumes", multiple=True, metavar="EXPR",
              help="Restrict the symbolic constants (repeatable), e.g. --assume 'PLANS <= PURGE_AGE + 2'.")
@click.option("--solver-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, metavar="SECONDS",
              help="Give up on one obligation after this many seconds (default 10): it is then unknown.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--no-classify", is_flag=True, help="Do not judge CTIs by explicit search.")
@click.option("--trace-out", type=click.Path(dir_okay=False, writable=True),
              help="Write the real counterexample (a CTI classified reachable) as ITF JSON.")
@click.option("--infer", is_flag=True, help="Look for helper invariants (templates, explicit search, Houdini).")
@click.option("--infer-budget", type=click.FloatRange(min=0, min_open=True), default=120.0, metavar="SECONDS",
              help="Stop inferring after about this many seconds (default 120).")
def prove(spec: str, defines: tuple[str, ...], assumes: tuple[str, ...], solver_timeout: float, fmt: str,
          no_classify: bool, trace_out: str | None, infer: bool, infer_budget: float) -> None:
    """Prove SPEC's invariants inductive for every value of its constants (z3).

    Each obligation (initiation, each transition never fails, each transition preserves each
    invariant) is proved, refuted by a counterexample to induction (CTI), or unknown.  A CTI is
    classified by explicit search at its constants: reachable (a real bug, shown as `check`
    shows it) or unreachable (the invariant needs a helper).
    """
    from ..proofs.prove import prove as run_prove
    from ..proofs.prove import render_json, render_text

    outcome = run_prove(spec, _defines(defines), list(assumes), solver_timeout, not no_classify, infer, infer_budget)
    click.echo(render_json(outcome) if fmt == "json" else render_text(outcome), nl=False)
    if trace_out:
        from ..views import report
        real = outcome.real_counterexample()
        if real is None:
            click.echo("papcheck: no real counterexample to write to --trace-out", err=True)
        else:
            _write(trace_out, report.render_itf(real.counterexample, real, f"{outcome.spec_name}: violated"))
    sys.exit(outcome.exit_code)



SYNTH_EXAMPLES = """
\b
Examples:
  papcheck synth specs/reference_dns.pap -D FIX=0 --vary ENACTORS=1..4 --vary PLANS=2..8 --vary PURGE_AGE=0..4
  papcheck synth specs/reference_dns.pap -D FIX=2 --vary PLANS=2..8 --vary PURGE_AGE=0..4 --svg map.svg

\b
Exit codes: 0 every point holds, 1 some point is violated, 2 usage error, 3 spec error,
            4 some point was not decided.
"""



@main.command(epilog=SYNTH_EXAMPLES)
@click.argument("spec", type=click.Path())
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Pin a constant (repeatable).")
@click.option("--vary", "varies", multiple=True, required=True, metavar="NAME=LO..HI",
              help="A constant and its range (repeatable): the grid is their product.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--svg", "svg_path", type=click.Path(dir_okay=False, writable=True),
              help="Also write a heat map of the first two varied constants.")
@click.option("--no-prove", is_flag=True, help="Do not try to prove the safe side for every size.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop each point's search after this many seconds (incomplete).")
@click.option("--solver-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, metavar="SECONDS")
def synth(spec: str, defines: tuple[str, ...], varies: tuple[str, ...], fmt: str, svg_path: str | None,
          no_prove: bool, timeout: float | None, solver_timeout: float) -> None:
    """Check SPEC at every combination of the varied constants and fit the safe/violated boundary.

    Then try `prove --assume` on the safe side, to extend it from the grid to every size; the
    output says which claims are proved for all sizes and which were only checked on the grid.
    """
    from ..proofs.synth import parse_vary, render_json, render_svg, render_text
    from ..proofs.synth import synth as run_synth

    varied = [parse_vary(v) for v in varies]
    result = run_synth(spec, _defines(defines), varied, prove_safe=not no_prove, timeout=timeout,
                       solver_timeout=solver_timeout)
    click.echo(render_json(result) if fmt == "json" else render_text(result), nl=False)
    if svg_path:
        _write(svg_path, render_svg(result))
    verdicts = {p.verdict for p in result.points}
    sys.exit(1 if "violated" in verdicts else 4 if "incomplete" in verdicts else 0)

