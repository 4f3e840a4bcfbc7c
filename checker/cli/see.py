"""Seeing the race: `papcheck explain`, `render` and `graph`, and the `check --explain/--render` options.
"""

from __future__ import annotations

import os
import sys

import click

from ..lang.errors import UsageError
from .main import (
    _SECONDS,
    _defines,
    _progress_display,
    _write_bytes,
    main,
)


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
        specs: tuple[str, ...] = kwargs.get("specs") or ()
        if (see_explain or see_render) and not (len(specs) == 1 and os.path.isfile(specs[0])):
            raise UsageError("--explain and --render take a single spec file")
        ctx = click.get_current_context()
        ctx.meta["papcheck.see"] = (see_explain, see_render,
                                    see_min if see_min is not None else bool(see_explain or see_render))
        return f(*args, **kwargs)
    return wrapper



def _see_minimize(result, timeout: float | None = None, quiet: bool = False) -> list:
    """Apply --min-switches to a plain check's result before it is reported."""
    explain, render_dir, min_switches = click.get_current_context().meta.get("papcheck.see", (False, None, False))
    if not min_switches:
        return []
    with result.phases.measure("minimization"):
        return _minimize(result, timeout, quiet)


def _minimize(result, timeout: float | None, quiet: bool, include_witnesses: bool = False) -> list:
    """minimize_result with a progress line and what is left of --timeout (counted from the start
    of the run, as the searches count it)."""
    from ..explain.minimize import minimize_result
    deadline = result.phases.started + timeout if timeout else None
    progress = None if quiet else _progress_display()
    try:
        return minimize_result(result, include_witnesses=include_witnesses, deadline=deadline,
                               progress=progress.update if progress else None)
    finally:
        if progress:
            progress.close()



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
        minimized = _minimize(result, timeout, False, include_witnesses=prop_name is not None)
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

