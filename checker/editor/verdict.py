""""Check this spec" for editors: a bounded check whose verdict becomes diagnostics.

A violated property is reported as an error on its name, with the counterexample's length and why
it fails in the last state; an unreachable `reachable` property and a model error likewise; a
spec whose properties all hold (or a run that reached a bound) gets one note on its first line.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..lang.errors import SourceFile, Span, SpecError, UsageError
from .index import name_span

MAX_STATES = 500_000
TIMEOUT = 30.0


@dataclass(frozen=True)
class Finding:
    severity: str  # error, warning, information
    span: Span
    message: str


def check_text(text: str, path: str = "<spec>", *, max_states: int = MAX_STATES,
               timeout: float = TIMEOUT) -> tuple[str, list[Finding]]:
    """Run a bounded check of `text`: the verdict (holds, violated, incomplete, or "error" when
    the spec has errors, which the editor already shows) and its findings."""
    from .. import api
    from ..engine.explore import Limits

    try:
        spec = api.load_text(text, path)
    except (SpecError, UsageError, RecursionError):
        return "error", []
    result = api.check(spec, limits=Limits(max_states=max_states, timeout=timeout))
    source = SourceFile(path, text)
    decls = {p.name: p.decl for p in spec.checked.properties}
    out: list[Finding] = []
    for p in result.properties:
        where = name_span(source, decls[p.name].span, p.name)
        if p.status == "violated":
            steps = f" after {p.trace.length} step{'s' if p.trace.length != 1 else ''}" if p.trace else ""
            why = f": {p.explanation}" if p.explanation else ""
            out.append(Finding("error", where, f"{p.kind} {p.name} is violated{steps}{why}"))
        elif p.status == "unreachable":
            out.append(Finding("warning", where, f"reachable {p.name} is never reached: no state satisfies it"))
    if result.model_error is not None:
        me = result.model_error
        out.append(Finding("error", Span.point(max(me.line, 1), 1), f"model error: {me.message}"))
    top = Span.point(spec.checked.spec.span.line or 1, 1)
    states = f"{result.stats.states} state{'s' if result.stats.states != 1 else ''}"
    if result.verdict == "holds":
        out.append(Finding("information", top, f"papcheck: every property holds ({states} explored)"))
    elif result.verdict == "incomplete":
        out.append(Finding("information", top, f"papcheck: incomplete ({result.stop_reason}) after {states}; "
                                               "run `papcheck check` without the editor's bounds"))
    else:
        out.append(Finding("information", top, f"papcheck: violated ({states} explored)"))
    return result.verdict, out
