"""Results for CI: SARIF 2.1.0, JUnit XML, GitHub workflow commands, Markdown, and the
many-spec text and JSON layouts.  Pure functions from :class:`Outcome` lists to strings.

An :class:`Outcome` is one run of one spec under one constant assignment, already judged by
:mod:`checker.ci.gate` (pass, fail, incomplete, error).  In gate mode (`gate=True`) a spec's
`expect violated NAME` turns the expected violation of NAME into a pass; in plain mode a
violation is always a failure.  Failure bodies reuse the text report's trace rendering
(:func:`checker.views.report.render_trace`), so a counterexample reads the same in a terminal, a JUnit
failure, a GitHub annotation and a pull-request comment.

Everything here is deterministic: no timestamps, no durations, paths as the user gave them
(with forward slashes), iteration in spec and property order.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..api import CheckResult, PropertyResult
from ..engine.trace import Step, Trace
from ..lang.outputs import counted
from ..lang.types import MapT, format_value
from ..views.report import render_text, render_trace, result_dict

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
GATE_JSON_SCHEMA_VERSION = 1

# When several runs end differently, the job's exit code is the first of these that occurs: a
# definite finding (1) outranks a broken spec (3), a bad option (2) and an unfinished search (4).
EXIT_PRIORITY = (1, 3, 2, 4)


@dataclass(frozen=True)
class Problem:
    """One error that kept a spec from being checked; line 0 when it has no place in the file."""

    line: int
    col: int
    message: str


@dataclass
class Outcome:
    """One run of one spec (one constant assignment), judged for the gate."""

    path: str
    matrix: dict[str, Any]  # the matrix assignment of this run (empty without a matrix)
    result: CheckResult | None  # None when the spec could not be loaded
    status: str  # pass, fail, incomplete, error
    reason: str  # one line saying why
    exit_code: int  # this run's contribution to the job's exit code
    gate: bool = False  # expectations count (gate mode) or the plain verdict does
    fail_on_incomplete: bool = True
    problems: list[Problem] = field(default_factory=list)
    error_text: str = ""  # the rendered diagnostics when status == "error"
    warnings: str = ""  # rendered spec warnings (the CLI shows them on stderr)

    @property
    def label(self) -> str:
        if not self.matrix:
            return self.path
        return f"{self.path} [{_assignment(self.matrix)}]"

    @property
    def uri(self) -> str:
        return self.path.replace("\\", "/")


def combine_exit_codes(codes: Iterable[int]) -> int:
    """The job's exit code from the runs' codes (see EXIT_PRIORITY); 0 when every run is 0."""
    present = set(codes)
    for code in EXIT_PRIORITY:
        if code in present:
            return code
    return max(present, default=0)


def overall_exit(outcomes: Sequence[Outcome]) -> int:
    return combine_exit_codes(o.exit_code for o in outcomes)


# ------------------------------------------------------------------------- property judgments


def property_judgment(o: Outcome, p: PropertyResult) -> tuple[str, str]:
    """How one property counts: ("pass" | "fail" | "expected" | "skip" | "incomplete", text)."""
    assert o.result is not None
    expected = expected_violations(o)
    text = status_text(p)
    if p.status in ("holds", "witnessed"):
        if p.name in expected:
            return "fail", f"{text}, but the spec expects it to be violated"
        return "pass", text
    if p.status in ("violated", "unreachable"):
        if p.name in expected:
            return "expected", f"{text}, as the spec expects"
        return "fail", text
    if o.result.verdict == "incomplete":
        return "incomplete", f"not decided: {stop_text(o.result.stop_reason)}"
    return "skip", "not decided: the search stopped at the first violation"


def expected_violations(o: Outcome) -> set[str]:
    """The property names the spec expects to fail, when expectations count (gate mode)."""
    e = o.result.expectation if o.result is not None else None
    if not o.gate or e is None or e["verdict"] != "violated":
        return set()
    return set(e["properties"])


def status_text(p: PropertyResult) -> str:
    steps = f" in {counted(p.trace.length, 'step')}" if p.trace is not None else ""
    return {
        "holds": "holds",
        "witnessed": f"witnessed{steps}",
        "violated": f"violated{steps}",
        "unreachable": "never reached (no reachable state satisfies it)",
    }.get(p.status, "not decided")


def stop_text(stop_reason: str) -> str:
    return {
        "max_states": "the search stopped at --max-states",
        "max_depth": "the search stopped at --max-depth",
        "timeout": "the search stopped at --timeout",
        "max_memory": "the search stopped at --max-memory",
        "worker_lost": "a search worker was lost",
        "interrupted": "the search was interrupted",
        "terminated": "the search was terminated (SIGTERM)",
    }.get(stop_reason, "the search did not finish")


def _what(p: PropertyResult) -> str:
    return "deadlock freedom" if p.kind == "deadlock_free" else f"{p.kind} {p.name}"


def _assignment(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={format_value(v)}" for k, v in values.items())


def _constants(result: CheckResult) -> str:
    return _assignment(result.spec.constants)


# ------------------------------------------------------------------------- counterexamples


def counterexample_text(result: CheckResult, p: PropertyResult) -> str:
    """The text report's block for one failed property: heading, trace, why it fails."""
    lines = [f"{'VIOLATED' if p.status == 'violated' else 'NEVER REACHED'}: {_what(p)} (line {p.line})"]
    if p.doc:
        lines.append(f"  {p.doc}")
    if p.trace is not None and p.status == "violated":
        shortest = " shortest" if result.strategy == "bfs" else ""
        lines.append(f"  {p.trace.length}-step{shortest} counterexample:")
        lines.extend(render_trace(p.trace, result))
    if p.explanation:
        lines.append(f"  {p.name} fails {p.explanation}")
    return "\n".join(lines) + "\n"


def model_error_text(result: CheckResult) -> str:
    me = result.model_error
    assert me is not None
    lines = [f"MODEL ERROR at line {me.line}: {me.message}",
             f"  reached in {_n_steps(me.trace.length + 1)}; the last one fails:" if me.trace.failing_step is not None
             else f"  evaluating it fails in the state reached in {_n_steps(me.trace.length)}:"]
    lines.extend(render_trace(me.trace, result))
    return "\n".join(lines) + "\n"


def step_changes(step: Step, result: CheckResult) -> list[tuple[str, str]]:
    """(variable, new value) for each change of a step; a map shows only the keys that changed."""
    types = result.spec.model.slot_types()
    out: list[tuple[str, str]] = []
    for name, old, new in step.changes:
        t = types.get(name)
        if isinstance(t, MapT):
            o, n = dict(old), dict(new)
            out.extend((f"{name}[{format_value(k)}]", format_value(n[k], t.value)) for k in n if o[k] != n[k])
        else:
            out.append((name, format_value(new, t)))
    return out


def _step_steps(trace: Trace) -> list[Step]:
    """The steps that are transitions (the initial state is not one), the failing one included."""
    steps = [s for s in trace.steps if s.instance is not None]
    if trace.failing_step is not None:
        steps.append(trace.failing_step)
    return steps


# ---------------------------------------------------------------------------------- SARIF

_RULES: list[tuple[str, str, str, str]] = [
    ("invariant", "InvariantViolated", "An invariant of the protocol is violated",
     "A reachable state breaks an invariant. The code flow is the shortest sequence of transitions "
     "(breadth-first search) from an initial state to that state."),
    ("reachable", "NeverReached", "A reachable property is never reached",
     "No reachable state satisfies a `reachable` property, so the spec may be vacuous: the "
     "protocol never does what the property says it should be able to do."),
    ("deadlock-free", "Deadlock", "The protocol can deadlock",
     "A reachable state has no enabled transition and not every machine instance is in a final state."),
    ("model-error", "ModelError", "A transition fails",
     "A transition raises a model error in a reachable state: a value outside its type, a key "
     "outside a map, a send to a full channel, a division by zero or a failed assertion."),
    ("expectation", "ExpectationNotMet", "The spec does not fail as it expects",
     "The spec declares `expect violated NAME`, but NAME holds (or is witnessed)."),
    ("spec-error", "SpecError", "The spec has errors", "The spec could not be checked because it has errors."),
]


def _rule_id(kind: str) -> str:
    return kind.replace("_", "-")


def _physical(uri: str, line: int | None, col: int | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line:
        region: dict[str, Any] = {"startLine": line}
        if col:
            region["startColumn"] = col
        loc["region"] = region
    return {"physicalLocation": loc}


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _n_steps(n: int) -> str:
    return f"{n} step{'' if n == 1 else 's'}"


def _code_flow(trace: Trace, o: Outcome, summary: str, line: int | None = None) -> dict[str, Any]:
    """A SARIF code flow of the trace's transitions; a trace without any (the property fails in
    the initial state) gets one location for the initial state, since SARIF 2.1.0 wants at least
    one per thread flow.  `line`: where that location points (the property)."""
    assert o.result is not None
    locations = []
    if not _step_steps(trace):
        locations.append({"location": {**_physical(o.uri, line),
                                       "message": {"text": f"0. {trace.steps[0].action_text()} (fails here)"}},
                          "executionOrder": 0})
    for step in _step_steps(trace):
        changes = step_changes(step, o.result)
        text = f"{step.index}. {step.action_text()}"
        failing = step is trace.failing_step
        if failing:
            text += " (fails here)"
        elif changes:
            text += ": " + ", ".join(f"{k} := {v}" for k, v in changes)
        loc: dict[str, Any] = {"location": {**_physical(o.uri, step.line), "message": {"text": text}},
                               "executionOrder": step.index}
        if changes and not failing:
            loc["state"] = {k: {"text": v} for k, v in changes}
        locations.append(loc)
    return {"message": {"text": summary}, "threadFlows": [{"locations": locations}]}


def sarif_dict(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    rules = [
        {"id": rid, "name": name, "shortDescription": {"text": short}, "fullDescription": {"text": full},
         "defaultConfiguration": {"level": "error"}, "help": {"text": full}}
        for rid, name, short, full in _RULES
    ]
    known = {r["id"] for r in rules}
    extra = sorted({_rule_id(p.kind) for o in outcomes if o.result for p in o.result.properties} - known)
    for rid in extra:  # property kinds added to the language later still get a rule
        rules.append({"id": rid, "name": rid, "shortDescription": {"text": f"A {rid} property fails"},
                      "defaultConfiguration": {"level": "error"}})
    index = {r["id"]: i for i, r in enumerate(rules)}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []

    def add(rule: str, level: str, text: str, line: int | None, o: Outcome, key: str, *,
            col: int | None = None, flow: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
            suppression: dict[str, Any] | None = None) -> None:
        r: dict[str, Any] = {"ruleId": rule, "ruleIndex": index[rule], "level": level, "message": {"text": text},
                             "locations": [_physical(o.uri, line, col)],
                             "partialFingerprints": {
                                 "papcheck/v1": _fingerprint(o.uri, rule, key, _assignment(o.matrix))}}
        if flow is not None:
            r["codeFlows"] = [flow]
        if suppression is not None:
            r["suppressions"] = [suppression]
        if extra:
            r["properties"] = extra
        results.append(r)

    for o in outcomes:
        res = o.result
        if res is None:
            for pr in o.problems or [Problem(0, 0, o.reason)]:
                add("spec-error", "error", f"{o.label}: {pr.message}", pr.line, o, pr.message, col=pr.col)
            continue
        where = f" ({_constants(res)})" if res.spec.constants else ""
        bag = {"protocol": res.spec.name, "constants": dict(res.spec.constants)}
        for p in res.properties:
            judged, text = property_judgment(o, p)
            if judged not in ("fail", "expected"):
                continue
            message = f"{_what(p)} {text}{where}"
            if p.explanation:
                message += f": {p.name} fails {p.explanation}"
            flow = None
            if p.trace is not None and p.status == "violated":
                flow = _code_flow(p.trace, o, f"{p.trace.length}-step counterexample for {_what(p)}", p.line)
            if judged == "expected":
                e_line = res.spec.checked.expects[0].span.line
                sup = {"kind": "inSource", "justification": f"the spec declares `expect violated` for {p.name}",
                       "location": _physical(o.uri, e_line)}
                add(_rule_id(p.kind), "note", message, p.line, o, p.name, flow=flow, extra=bag, suppression=sup)
            elif p.status in ("holds", "witnessed"):
                e_line = res.spec.checked.expects[0].span.line
                add("expectation", "error", f"{p.name} {text}{where}", e_line, o, p.name, extra=bag)
            else:
                add(_rule_id(p.kind), "error", message, p.line, o, p.name, flow=flow, extra=bag)
        if res.model_error is not None:
            me = res.model_error
            if me.trace.failing_step is not None:
                summary = f"{_n_steps(me.trace.length + 1)} to the failing transition"
            else:  # a property's expression fails on a state
                summary = f"{_n_steps(me.trace.length)} to the state where evaluating line {me.line} fails"
            flow = _code_flow(me.trace, o, summary, me.line)
            add("model-error", "error", f"model error: {me.message}{where}", me.line, o, me.message,
                flow=flow, extra=bag)
        if o.status == "incomplete":
            notifications.append({
                "level": "error" if o.exit_code else "warning",
                "message": {"text": f"{o.label}: {o.reason}"},
                "locations": [_physical(o.uri, None)],
            })
    invocation: dict[str, Any] = {"executionSuccessful": all(o.status != "error" for o in outcomes)}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "papcheck", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"gate": bool(outcomes and outcomes[0].gate), "runs": [_run_summary(o) for o in outcomes]},
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(outcomes: Sequence[Outcome]) -> str:
    return json.dumps(sarif_dict(outcomes), indent=2, ensure_ascii=False) + "\n"


def _run_summary(o: Outcome) -> dict[str, Any]:
    d: dict[str, Any] = {"spec": o.uri, "matrix": dict(o.matrix), "status": o.status, "reason": o.reason}
    if o.result is not None:
        st = o.result.stats
        d.update({"verdict": o.result.verdict, "states": st.states, "transitions": st.transitions,
                  "depth": st.depth})
    return d


# ---------------------------------------------------------------------------------- JUnit


def render_junit(outcomes: Sequence[Outcome]) -> str:
    """JUnit XML: a test suite per run, a test case per property, plus one for model errors."""
    root = ET.Element("testsuites", name="papcheck")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for o in outcomes:
        suite = ET.SubElement(root, "testsuite", name=o.label)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="status", value=o.status)
        ET.SubElement(props, "property", name="reason", value=o.reason)
        res = o.result

        def case(name: str, line: int | None) -> ET.Element:
            counts["tests"] += 1
            attrs = {"classname": o.label, "name": name, "file": o.uri}
            if line:
                attrs["line"] = str(line)
            return ET.SubElement(suite, "testcase", attrs)

        if res is None:
            c = case("spec", None)
            counts["errors"] += 1
            ET.SubElement(c, "error", message=o.reason, type="spec-error").text = o.error_text or o.reason
        else:
            ET.SubElement(props, "property", name="verdict", value=res.verdict)
            for k, v in res.spec.constants.items():
                ET.SubElement(props, "property", name=k, value=format_value(v))
            for p in res.properties:
                c = case(_what(p), p.line)
                judged, text = property_judgment(o, p)
                if judged == "fail":
                    counts["failures"] += 1
                    body = counterexample_text(res, p) if p.status in ("violated", "unreachable") else text
                    ET.SubElement(c, "failure", message=text, type=p.kind).text = body
                elif judged == "incomplete":
                    if o.exit_code:
                        counts["errors"] += 1
                        ET.SubElement(c, "error", message=text, type="incomplete").text = text
                    else:
                        counts["skipped"] += 1
                        ET.SubElement(c, "skipped", message=text)
                elif judged == "skip":
                    counts["skipped"] += 1
                    ET.SubElement(c, "skipped", message=text)
                elif judged == "expected":
                    ET.SubElement(c, "system-out").text = counterexample_text(res, p)
            c = case("no model error", None)
            if res.model_error is not None:
                counts["failures"] += 1
                ET.SubElement(c, "failure", message=res.model_error.message, type="model-error").text = (
                    model_error_text(res))
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root, space="  ")
    from ..lang.outputs import visible  # ElementTree writes control characters raw: not well-formed XML
    return visible('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")


# ------------------------------------------------------------------------ GitHub annotations


def escape_data(s: str) -> str:
    """Escape a workflow command's message (as @actions/core does)."""
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    """Escape a workflow command's property value (file, title...)."""
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, **props: Any) -> str:
    shown = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, "", 0))
    return f"::{kind}{' ' + shown if shown else ''}::{escape_data(message)}"


def render_github(outcomes: Sequence[Outcome]) -> str:
    """`::error file=...,line=...::` annotations, then the text summary lines."""
    out: list[str] = []
    for o in outcomes:
        res = o.result
        at = f" [{_assignment(o.matrix)}]" if o.matrix else ""
        if res is None:
            for pr in o.problems or [Problem(0, 0, o.reason)]:
                out.append(_command("error", pr.message, file=o.uri, line=pr.line, col=pr.col,
                                    title=f"papcheck: spec error in {o.label}"))
            continue
        for p in res.properties:
            judged, text = property_judgment(o, p)
            if judged not in ("fail", "expected"):
                continue
            body = counterexample_text(res, p) if p.status in ("violated", "unreachable") else text
            kind = "notice" if judged == "expected" else "error"
            line = p.line
            if judged == "fail" and p.status in ("holds", "witnessed"):
                line = res.spec.checked.expects[0].span.line
            out.append(_command(kind, body.rstrip("\n"), file=o.uri, line=line,
                                title=f"papcheck: {_what(p)} {text}{at}"))
        if res.model_error is not None:
            me = res.model_error
            out.append(_command("error", model_error_text(res).rstrip("\n"), file=o.uri, line=me.line,
                                title=f"papcheck: model error: {me.message}{at}"))
        if o.status == "incomplete":
            out.append(_command("error" if o.exit_code else "warning", o.reason, file=o.uri,
                                title=f"papcheck: {o.label} not fully checked"))
    out.extend(summary_lines(outcomes))
    out.append(gate_line(outcomes))
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------- text, JSON

_MARK = {"pass": "PASS", "fail": "FAIL", "incomplete": "INCOMPLETE", "error": "ERROR"}


def summary_lines(outcomes: Sequence[Outcome]) -> list[str]:
    """One line per run: PASS/FAIL/INCOMPLETE/ERROR, the spec, why."""
    lw = max((len(o.label) for o in outcomes), default=0)
    mw = max((len(_MARK[o.status]) for o in outcomes), default=0)
    out = []
    for o in outcomes:
        size = ""
        if o.result is not None:
            st = o.result.stats
            size = f"  ({st.states:,} states, depth {st.depth})"
        out.append(f"{_MARK[o.status].ljust(mw)}  {o.label.ljust(lw)}  {o.reason}{size}")
    return out


def gate_line(outcomes: Sequence[Outcome]) -> str:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    words = {"pass": "passed", "fail": "failed", "incomplete": "incomplete", "error": "with errors"}
    parts = ", ".join(f"{counts[k]} {words[k]}" for k in ("fail", "error", "incomplete", "pass") if k in counts)
    specs = len({o.path for o in outcomes})
    runs = f"{len(outcomes)} run{'s' if len(outcomes) != 1 else ''}"
    what = runs if len(outcomes) == specs else f"{runs} of {specs} spec{'s' if specs != 1 else ''}"
    verdict = "PASS" if overall_exit(outcomes) == 0 else "FAIL"
    word = "Gate" if any(o.gate for o in outcomes) else "Result"
    return f"{word}: {verdict} -- {what}: {parts or 'nothing checked'}"


def render_gate_text(outcomes: Sequence[Outcome], *, full_states: bool = False) -> str:
    """One run: its full text report and the gate line.  Several: a summary line per run, the
    full report of every run that did not pass, and the gate line."""
    if len(outcomes) == 1:
        o = outcomes[0]
        body = render_text(o.result, full_states=full_states) if o.result is not None else o.error_text + "\n"
        return body + f"{'Gate' if o.gate else 'Result'}: {_MARK[o.status]} -- {o.reason}\n"
    out = summary_lines(outcomes)
    for o in outcomes:
        if o.status == "pass":
            continue
        out.append("")
        out.append(f"==> {o.label}: {_MARK[o.status]}")
        if o.result is not None:
            out.append(render_text(o.result, full_states=full_states).rstrip("\n"))
        else:
            out.append(o.error_text.rstrip("\n") or o.reason)
    out.append("")
    out.append(gate_line(outcomes))
    return "\n".join(out) + "\n"


def gate_dict(outcomes: Sequence[Outcome], *, timing: bool = True) -> dict[str, Any]:
    counts = {k: sum(1 for o in outcomes if o.status == k) for k in ("pass", "fail", "incomplete", "error")}
    return {
        "papcheck": __version__,
        "schema": GATE_JSON_SCHEMA_VERSION,
        "kind": "gate",
        "gate": {"passed": overall_exit(outcomes) == 0, "exit_code": overall_exit(outcomes), "counts": counts,
                 "fail_on_incomplete": bool(outcomes and outcomes[0].fail_on_incomplete)},
        "runs": [{
            "spec": o.uri, "matrix": dict(o.matrix), "status": o.status, "reason": o.reason,
            "exit_code": o.exit_code,
            "errors": [{"line": p.line, "col": p.col, "message": p.message} for p in o.problems],
            "result": result_dict(o.result, timing=timing) if o.result is not None else None,
        } for o in outcomes],
    }


def render_gate_json(outcomes: Sequence[Outcome], *, timing: bool = True) -> str:
    return json.dumps(gate_dict(outcomes, timing=timing), indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------- Markdown

_ICON = {"pass": "✅", "fail": "❌", "incomplete": "⚠️", "error": "❌"}


def md_cell(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def md_code_block(text: str, lang: str = "text") -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


def render_markdown(outcomes: Sequence[Outcome]) -> str:
    """A summary for a pull-request comment or $GITHUB_STEP_SUMMARY."""
    ok = overall_exit(outcomes) == 0
    tally = gate_line(outcomes).split(" -- ", 1)[1]
    head = f"### {'✅' if ok else '❌'} papcheck {'passed' if ok else 'failed'}: {tally}"
    out = [head, "", "| | spec | constants | verdict | expected | result | states | depth |",
           "|---|---|---|---|---|---|--:|--:|"]
    for o in outcomes:
        res = o.result
        if res is None:
            out.append(f"| {_ICON[o.status]} | `{md_cell(o.label)}` | | error | | {md_cell(o.reason)} | | |")
            continue
        e = res.expectation
        want = "" if e is None else ("holds" if e["verdict"] == "holds" else "violated " + ", ".join(e["properties"]))
        out.append(f"| {_ICON[o.status]} | `{md_cell(o.path)}` | {md_cell(_constants(res))} | {res.verdict} | "
                   f"{md_cell(want)} | {md_cell(o.reason)} | {res.stats.states:,} | {res.stats.depth} |")
    for o in outcomes:
        if o.status == "pass":
            continue
        out.append("")
        out.append(f"<details><summary>{_ICON[o.status]} <code>{_html(o.label)}</code>: {_html(o.reason)}</summary>")
        out.append("")
        body = ""
        if o.result is not None:
            blocks = [counterexample_text(o.result, p) for p in o.result.properties
                      if property_judgment(o, p)[0] == "fail" and p.status in ("violated", "unreachable")]
            if o.result.model_error is not None:
                blocks.append(model_error_text(o.result))
            body = "\n".join(blocks) or o.reason
        else:
            body = o.error_text or o.reason
        out.append(md_code_block(body))
        out.append("")
        out.append("</details>")
    out.append("")
    out.append(gate_line(outcomes))
    return "\n".join(out) + "\n"


def _html(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
