"""Comparing two versions of a spec (`papcheck diff`): what a change to the design did.

Both versions are checked with the same constants, limits and strategy, then compared:
properties that newly fail (with the new shortest counterexample) or newly hold, witnesses
gained or lost, model errors introduced or removed, the change in reachable states and
transitions, constants and transitions (named `Machine.state.transition`) added, removed or
changed (a transition is changed when its guard, parameters, body or target differ; its `##`
comment does not count).

A *regression* is a property that held and is now violated, a `reachable` property that was
witnessed and is now never reached, or a model error where there was none: :attr:`SpecDiff.exit_code`
is then 1.  A property undecided on one side (the search stopped at another violation or at a
limit) is reported but is not a regression.  The base may come from git (`--git REV`): a spec
absent at that revision is new, every property is "added", and nothing can regress.

Renderers for text, Markdown and JSON are pure functions of a :class:`SpecDiff`.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field, replace
from typing import Any

from .. import __version__, api
from ..lang import ast
from ..lang.errors import PapcheckError, SourceFile, SpecError, UsageError
from ..lang.inputs import MAX_SPEC_BYTES, InputError, decode_text
from ..lang.outputs import counted
from ..lang.parser import parse, read_source, spec_input_error
from ..lang.types import format_value
from .formats import counterexample_text, md_cell, md_code_block, model_error_text

DIFF_JSON_SCHEMA_VERSION = 1
_GOOD = ("holds", "witnessed")
_BAD = ("violated", "unreachable")


@dataclass
class Side:
    """One version of the spec: checked, or why it could not be."""

    label: str  # "specs/x.pap" or "specs/x.pap@origin/main"
    result: api.CheckResult | None = None
    note: str = ""  # "absent at origin/main", "has errors"
    error_text: str = ""

    @property
    def complete(self) -> bool:
        r = self.result
        if r is None:
            return False
        return r.search.complete if r.search is not None else r.stop_reason == "done"


@dataclass
class PropertyChange:
    name: str
    kind: str
    line: int
    base: str | None  # status, None when the property is not in that version
    head: str | None
    base_steps: int | None = None
    head_steps: int | None = None
    change: str = "unchanged"  # regressed, fixed, added, removed, now fails, now holds, undecided, unchanged
    redefined: bool = False  # its expression changed
    head_prop: api.PropertyResult | None = field(default=None, repr=False)

    @property
    def regression(self) -> bool:
        return self.change == "regressed"


@dataclass
class SpecDiff:
    base: Side
    head: Side
    properties: list[PropertyChange]
    model_error: tuple[str | None, str | None]  # (base message, head message)
    constants: dict[str, dict[str, Any]]  # added / removed: {name: value}; changed: {name: [old, new]}
    transitions: dict[str, list[str]]  # added / removed / changed

    @property
    def regressions(self) -> list[str]:
        out = [f"{p.kind} {p.name}" for p in self.properties if p.regression]
        if self.model_error_introduced:
            out.append("model error")
        return out

    @property
    def model_error_introduced(self) -> bool:
        return self.base.result is not None and self.model_error[0] is None and self.model_error[1] is not None

    @property
    def exit_code(self) -> int:
        if self.regressions:
            return api.EXIT_VIOLATED
        for s in (self.base, self.head):
            if s.result is not None and s.result.verdict == "incomplete":
                return api.EXIT_INCOMPLETE
        return api.EXIT_HOLDS

    def witnesses(self) -> tuple[list[str], list[str]]:
        """(gained, lost): `reachable` properties witnessed in one version and not the other."""
        gained = [p.name for p in self.properties if p.kind == "reachable" and p.base is not None
                  and p.base != "witnessed" and p.head == "witnessed"]
        lost = [p.name for p in self.properties if p.kind == "reachable" and p.head is not None
                and p.base == "witnessed" and p.head != "witnessed"]
        return gained, lost


# ------------------------------------------------------------------------------- loading


def git_show(rev: str, path: str) -> str | None:
    """The text of `path` (relative to the working directory) at git revision `rev`, or None
    when the file does not exist there.  UsageError for a bad revision or no repository; a
    located SpecError (shown as `path@rev:line:col`) when the committed bytes are not a spec's
    text (too large, binary, not UTF-8): read through :mod:`checker.lang.inputs` like a spec file."""
    rel = os.path.relpath(path).replace(os.sep, "/")

    def git(*args: str) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(["git", *args], capture_output=True)
        except FileNotFoundError:
            raise UsageError("--git needs the git command, which is not installed") from None

    def err(r: subprocess.CompletedProcess) -> str:
        return r.stderr.decode("utf-8", errors="replace").strip()

    r = git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if r.returncode != 0:
        if "not a git repository" in err(r):
            raise UsageError("--git: the working directory is not in a git repository")
        raise UsageError(f"--git {rev}: no such revision in this repository")
    if git("cat-file", "-e", f"{rev}:./{rel}").returncode != 0:
        return None
    label = f"{path}@{rev}"
    size = git("cat-file", "-s", f"{rev}:./{rel}")
    if size.returncode == 0 and size.stdout.strip().isdigit() and int(size.stdout.strip()) > MAX_SPEC_BYTES:
        raise spec_input_error(InputError(label, f"the file is larger than {MAX_SPEC_BYTES // 1_000_000} MB", 1, 1))
    r = git("show", f"{rev}:./{rel}")
    if r.returncode != 0:
        raise UsageError(f"--git {rev}: cannot read {rel}: {err(r)}")
    try:
        return decode_text(r.stdout, label, "papcheck spec")
    except InputError as e:
        raise spec_input_error(e) from None


def git_source(rev: str, path: str) -> SourceFile | SpecError | None:
    """The spec at `rev` as the base of a diff: its source, the SpecError that its bytes are not a
    spec's text (the diff reports the base as having errors), or None when it does not exist."""
    try:
        text = git_show(rev, path)
    except SpecError as e:
        return e
    return SourceFile(f"{path}@{rev}", text) if text is not None else None


def _declared(source: SourceFile) -> list[str] | None:
    try:
        return [d.name for d in parse(source).of(ast.ConstDecl)]
    except (PapcheckError, RecursionError):
        return None


def check_side(source: SourceFile, constants: dict[str, Any], options: dict[str, Any], *,
               strict: bool) -> Side:
    """Check one version.  `strict`: a spec error propagates (the head); otherwise (the base)
    it becomes a note, since a change that repairs a broken spec must not fail the diff."""
    declared = _declared(source)
    given = {k: v for k, v in constants.items() if declared is None or k in declared}
    try:
        spec = api.load_source(source, given)
    except (SpecError, UsageError) as e:
        if strict:
            raise
        text = e.diagnostics.render() if isinstance(e, SpecError) else f"papcheck: error: {e}"
        return Side(source.path, None, "has errors, so it could not be checked", text)
    return Side(source.path, api.check(spec, **options))


def diff_files(base: SourceFile | SpecError | None, base_label: str, head_path: str, constants: dict[str, Any],
               options: dict[str, Any], strict: set[str] | frozenset[str] = frozenset()) -> SpecDiff:
    """Check both versions and compare them.  `base` None: the spec does not exist in the base.
    Each version gets the constants it declares; a name in `strict` (a -D flag) that neither
    declares is a usage error, where a config constant is simply not for this spec."""
    head_source = read_source(head_path)
    if strict:
        known = set(_declared(head_source) or []) | set((_declared(base) or []) if isinstance(base, SourceFile) else [])
        for k in sorted(strict):
            if known and k not in known:
                raise UsageError(f"-D {k}: neither version of the spec declares a constant '{k}'")
    head = check_side(head_source, constants, options, strict=True)
    if isinstance(base, SpecError):
        base_side = Side(base_label, None, "has errors, so it could not be checked", base.diagnostics.render())
    elif base is None:
        base_side = Side(base_label, None, f"does not exist in {base_label.rpartition('@')[2] or 'the base'}")
    else:
        base_side = check_side(base, constants, options, strict=False)
    return compare(base_side, head)


# ----------------------------------------------------------------------------- comparing


def _transitions(result: api.CheckResult | None) -> dict[str, ast.Transition]:
    if result is None:
        return {}
    return {f"{m.name}.{t.state.name}.{t.name}": replace(t.decl, doc="")
            for m in result.spec.checked.machines for t in m.transitions}


def _classify(b: str | None, h: str | None) -> str:
    if b is None:
        return "added"
    if h is None:
        return "removed"
    if b in _GOOD and h in _BAD:
        return "regressed"
    if b in _BAD and h in _GOOD:
        return "fixed"
    if b == "unknown" and h in _BAD:
        return "now fails"
    if b == "unknown" and h in _GOOD:
        return "now holds"
    if h == "unknown" and b != "unknown":
        return "undecided"
    return "unchanged"


def compare(base: Side, head: Side) -> SpecDiff:
    b_res, h_res = base.result, head.result
    b_props = {p.name: p for p in b_res.properties} if b_res else {}
    b_decls = {p.name: p.decl for p in b_res.spec.checked.properties} if b_res else {}
    h_decls = {p.name: p.decl for p in h_res.spec.checked.properties} if h_res else {}
    changes: list[PropertyChange] = []
    for p in (h_res.properties if h_res else []):
        bp = b_props.get(p.name)
        if bp is not None and bp.kind != p.kind:
            bp = None  # a property that changed kind is a different property
        c = PropertyChange(p.name, p.kind, p.line, bp.status if bp else None, p.status,
                           bp.trace.length if bp and bp.trace else None, p.trace.length if p.trace else None,
                           _classify(bp.status if bp else None, p.status), head_prop=p)
        if bp is not None:
            c.redefined = replace(b_decls[p.name], doc="") != replace(h_decls[p.name], doc="")
        changes.append(c)
    head_names = {(p.name, p.kind) for p in (h_res.properties if h_res else [])}
    for p in (b_res.properties if b_res else []):
        if (p.name, p.kind) not in head_names:
            changes.append(PropertyChange(p.name, p.kind, p.line, p.status, None,
                                          p.trace.length if p.trace else None, None, "removed"))
    me = (b_res.model_error.message if b_res and b_res.model_error else None,
          h_res.model_error.message if h_res and h_res.model_error else None)
    consts: dict[str, dict[str, Any]] = {"added": {}, "removed": {}, "changed": {}}
    if b_res is not None and h_res is not None:
        bc, hc = b_res.spec.constants, h_res.spec.constants
        consts["added"] = {k: v for k, v in hc.items() if k not in bc}
        consts["removed"] = {k: v for k, v in bc.items() if k not in hc}
        consts["changed"] = {k: [bc[k], hc[k]] for k in hc if k in bc and bc[k] != hc[k]}
    trans: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
    if b_res is not None:
        bt, ht = _transitions(b_res), _transitions(h_res)
        trans["added"] = [k for k in ht if k not in bt]
        trans["removed"] = [k for k in bt if k not in ht]
        trans["changed"] = [k for k in ht if k in bt and bt[k] != ht[k]]
    return SpecDiff(base, head, changes, me, consts, trans)


# ----------------------------------------------------------------------------- rendering


def _status(status: str | None, steps: int | None) -> str:
    if status is None:
        return "(absent)"
    if status in ("violated", "witnessed") and steps is not None:
        return f"{status} in {counted(steps, 'step')}"
    return {"unreachable": "never reached", "unknown": "not decided"}.get(status, status)


def _count(n: int) -> str:
    return f"{n:,}"


def _delta(a: int, b: int) -> str:
    d = b - a
    return f"{_count(a)} -> {_count(b)} ({'+' if d >= 0 else '-'}{_count(abs(d))})"


def _partial(side: Side, which: str) -> str:
    r = side.result
    if r is None or side.complete:
        return ""
    why = "stopped at the first violation" if r.verdict == "violated" else "stopped at a limit"
    return f"{which} {why}, so its counts are partial"


def states_line(d: SpecDiff) -> str:
    b, h = d.base.result, d.head.result
    if h is None:
        return ""
    if b is None:
        return f"{_count(h.stats.states)} states, {_count(h.stats.transitions)} transitions"
    notes = [n for n in (_partial(d.base, "base"), _partial(d.head, "head")) if n]
    return (f"{_delta(b.stats.states, h.stats.states)} states, "
            f"{_delta(b.stats.transitions, h.stats.transitions)} transitions"
            + (f" ({'; '.join(notes)})" if notes else ""))


def _newly_failing(d: SpecDiff) -> list[PropertyChange]:
    return [p for p in d.properties if p.change in ("regressed", "now fails") and p.head_prop is not None]


def _summary(d: SpecDiff) -> str:
    r = d.regressions
    if r:
        return f"REGRESSION: {', '.join(r)}"
    return "no regression"


def _constants_text(d: SpecDiff) -> str:
    c = d.constants
    parts = []
    if c["added"]:
        parts.append("added " + ", ".join(f"{k} = {format_value(v)}" for k, v in c["added"].items()))
    if c["removed"]:
        parts.append("removed " + ", ".join(f"{k} = {format_value(v)}" for k, v in c["removed"].items()))
    if c["changed"]:
        parts.append("changed " + ", ".join(f"{k}: {format_value(a)} -> {format_value(b)}"
                                            for k, (a, b) in c["changed"].items()))
    return "; ".join(parts) or "unchanged"


def _transitions_text(d: SpecDiff) -> str:
    t = d.transitions
    parts = [f"{what} {', '.join(t[what])}" for what in ("added", "removed", "changed") if t[what]]
    return "; ".join(parts) or "unchanged"


def render_text(d: SpecDiff) -> str:
    out = [f"papcheck diff: {d.base.label} -> {d.head.label}"]
    h = d.head.result
    assert h is not None
    consts = " ".join(f"{k}={format_value(v)}" for k, v in h.spec.constants.items())
    out.append(f"protocol {h.spec.name}" + (f" ({consts})" if consts else ""))
    if d.base.result is None:
        out.append(f"base: {d.base.note}")
        if d.base.error_text:
            out.append(d.base.error_text)
    for p in _newly_failing(d):
        out.append("")
        was = "held" if p.base == "holds" else ("was witnessed" if p.base == "witnessed" else "was not decided")
        out.append(f"{'REGRESSED' if p.regression else 'NEWLY FAILS'}: {p.kind} {p.name} "
                   f"({was} before, {_status(p.head, p.head_steps)} now)")
        out.append(counterexample_text(h, p.head_prop).rstrip("\n"))  # type: ignore[arg-type]
    if d.model_error[1] is not None and d.model_error[0] is None:
        out.append("")
        out.append("NEW MODEL ERROR:" if d.base.result is not None else "MODEL ERROR:")
        out.append(model_error_text(h).rstrip("\n"))
    out.append("")
    out.append("Properties:")
    width = max((len(p.kind) + len(p.name) for p in d.properties), default=0) + 1
    for p in d.properties:
        mark = "XX" if p.head in _BAD or p.change == "regressed" else ("ok" if p.head in _GOOD else "??")
        change = "" if p.change == "unchanged" else f"   {p.change.upper() if p.regression else p.change}"
        redefined = " (definition changed)" if p.redefined else ""
        out.append(f"  {mark} {(p.kind + ' ' + p.name).ljust(width)}  "
                   f"{_status(p.base, p.base_steps)} -> {_status(p.head, p.head_steps)}{change}{redefined}")
    if d.model_error != (None, None):
        out.append(f"  Model error: {d.model_error[0] or 'none'} -> {d.model_error[1] or 'none'}")
    gained, lost = d.witnesses()
    if gained or lost:
        out.append(f"Witnesses: gained {', '.join(gained) or '-'}; lost {', '.join(lost) or '-'}")
    if d.base.result is not None:
        out.append(f"Transitions: {_transitions_text(d)}")
        out.append(f"Constants: {_constants_text(d)}")
    out.append(f"States: {states_line(d)}")
    b_verdict = d.base.result.verdict if d.base.result else "-"
    out.append(f"Verdict: {b_verdict} -> {h.verdict}")
    out.append(f"Diff: {_summary(d)}")
    return "\n".join(out) + "\n"


def render_markdown(d: SpecDiff) -> str:
    h = d.head.result
    assert h is not None
    icon = "❌" if d.regressions else "✅"
    out = [f"### {icon} papcheck diff `{md_cell(d.head.label)}`: {_summary(d)}", "",
           f"Base `{md_cell(d.base.label)}`" + (f" {d.base.note}." if d.base.result is None else ".")]
    out += ["", "| property | before | after | change |", "|---|---|---|---|"]
    for p in d.properties:
        change = ("**regressed**" if p.regression else p.change) + (" (definition changed)" if p.redefined else "")
        out.append(f"| `{p.kind} {md_cell(p.name)}` | {_status(p.base, p.base_steps)} | "
                   f"{_status(p.head, p.head_steps)} | {change} |")
    out.append("")
    gained, lost = d.witnesses()
    facts = []
    if d.model_error != (None, None):
        facts.append(f"- Model error: {md_cell(d.model_error[0] or 'none')} → {md_cell(d.model_error[1] or 'none')}")
    if gained or lost:
        facts.append(f"- Witnesses: gained {', '.join(gained) or '–'}; lost {', '.join(lost) or '–'}")
    if d.base.result is not None:
        facts.append(f"- Transitions: {md_cell(_transitions_text(d))}")
        facts.append(f"- Constants: {md_cell(_constants_text(d))}")
    facts.append(f"- States: {md_cell(states_line(d))}")
    out.extend(facts)
    for p in _newly_failing(d):
        out += ["", f"<details><summary>New counterexample: {p.kind} {p.name} "
                    f"({_status(p.head, p.head_steps)})</summary>", "",
                md_code_block(counterexample_text(h, p.head_prop)), "", "</details>"]  # type: ignore[arg-type]
    if d.model_error_introduced:
        out += ["", "<details><summary>New model error</summary>", "", md_code_block(model_error_text(h)), "",
                "</details>"]
    return "\n".join(out) + "\n"


def diff_dict(d: SpecDiff) -> dict[str, Any]:
    from ..views.report import itf

    def side(s: Side) -> dict[str, Any]:
        r = s.result
        out: dict[str, Any] = {"spec": s.label, "note": s.note or None}
        if r is not None:
            out.update({"verdict": r.verdict, "stop_reason": r.stop_reason, "complete": s.complete,
                        "constants": dict(r.spec.constants),
                        "stats": {"states": r.stats.states, "transitions": r.stats.transitions,
                                  "depth": r.stats.depth}})
        return out

    h = d.head.result
    assert h is not None
    types = h.spec.model.slot_types()
    gained, lost = d.witnesses()
    newly = {id(p) for p in _newly_failing(d)}
    return {
        "papcheck": __version__,
        "schema": DIFF_JSON_SCHEMA_VERSION,
        "kind": "diff",
        "base": side(d.base),
        "head": side(d.head),
        "regressions": d.regressions,
        "exit_code": d.exit_code,
        "properties": [{
            "name": p.name, "kind": p.kind, "line": p.line, "base": p.base, "head": p.head,
            "base_steps": p.base_steps, "head_steps": p.head_steps, "change": p.change, "redefined": p.redefined,
            "counterexample": (itf(p.head_prop.trace, h.spec.path, types, f"{p.kind} {p.name}: {p.head}")
                               if id(p) in newly and p.head_prop and p.head_prop.trace else None),
        } for p in d.properties],
        "model_error": {"base": d.model_error[0], "head": d.model_error[1]},
        "witnesses": {"gained": gained, "lost": lost},
        "constants": d.constants,
        "transitions": d.transitions,
    }


def render_json(d: SpecDiff) -> str:
    return json.dumps(diff_dict(d), indent=2, ensure_ascii=False) + "\n"
