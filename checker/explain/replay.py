"""Traces from outside: read an ITF trace, validate it against a spec, step through it.

`papcheck replay --check SPEC TRACE` asks whether a trace (one papcheck wrote with --trace-out,
or one converted from production logs) is a legal behaviour of the spec: its first state is an
initial state and every state follows from the one before by some enabled transition.  The first
step that is not is reported with the reason: for the instance that acted (the step's `#meta`
names it, else the variables that changed do), which of its transitions were enabled and where
they would have led instead, and which guards were false on which values.

`papcheck replay SPEC TRACE` steps through a trace interactively (:class:`Replayer` takes one
command line at a time and returns text, so the tests drive it like a user).

ITF values are decoded by the spec's types: `{"#bigint": "5"}`, `{"#set": [...]}`,
`{"#map": [[k, v], ...]}`, records as objects, channels as lists, enums as strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..api import Spec
from ..engine.model import ModelError
from ..engine.trace import Step, Trace, initial_choice, state_view
from ..lang.errors import PapcheckError
from ..lang.evaluate import EvalError, Evaluator
from ..lang.inputs import MAX_TRACE_BYTES, parse_int, parse_json, read_text
from ..lang.outputs import counted, visible
from ..lang.types import BoolT, ChanT, EnumT, IntT, MapT, RangeT, RecordT, SetT, Type, format_value


class TraceError(PapcheckError):
    """The trace file cannot be read as a trace of this spec (a usage error, exit 2)."""


# ------------------------------------------------------------------------------- reading ITF


def read_itf(path: str) -> dict:
    """An ITF trace file as JSON, read through :mod:`checker.lang.inputs` (size, encoding, nesting and
    numbers bounded); TraceError or InputError (both exit code 2) otherwise."""
    doc = parse_json(read_text(path, MAX_TRACE_BYTES, "trace"), path)
    if not isinstance(doc, dict) or not isinstance(doc.get("states"), list) or not doc["states"]:
        raise TraceError(f"{path}: not an ITF trace (expected an object with a non-empty `states` list)")
    return doc


def decode_value(v: Any, t: Type, where: str) -> Any:
    """An ITF value as the user value of type t."""
    def bad(what: str) -> TraceError:
        return TraceError(f"{where}: {what} (expected a value of type {t.describe()})")

    if isinstance(t, BoolT):
        if not isinstance(v, bool):
            raise bad(f"{_short_json(v)} is not a boolean")
        return v
    if isinstance(t, (RangeT, IntT)):
        if isinstance(v, dict) and "#bigint" in v:
            try:
                n = parse_int(v["#bigint"], "#bigint")
            except ValueError:
                raise bad(f"{_short_json(v)} is not an integer") from None
        elif isinstance(v, int) and not isinstance(v, bool):
            n = v
        else:
            raise bad(f"{_short_json(v)} is not an integer")
        if isinstance(t, RangeT) and not t.lo <= n <= t.hi:  # not `in values()`: a list of 65,536
            raise bad(f"{n} is out of range")
        return n
    if isinstance(t, EnumT):
        if v not in t.members:
            raise bad(f"{_short_json(v)} is not one of {', '.join(t.members)}")
        return v
    if isinstance(t, SetT):
        if not (isinstance(v, dict) and isinstance(v.get("#set"), list)):
            raise bad(f"{_short_json(v)} is not a {{\"#set\": [...]}}")
        return frozenset(decode_value(x, t.elem, where) for x in v["#set"])
    if isinstance(t, MapT):
        if not (isinstance(v, dict) and isinstance(v.get("#map"), list)):
            raise bad(f"{_short_json(v)} is not a {{\"#map\": [[key, value], ...]}}")
        d = {}
        for pair in v["#map"]:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise bad(f"map entry {_short_json(pair)} is not a [key, value] pair")
            d[decode_value(pair[0], t.key, where)] = decode_value(pair[1], t.value, where)
        keys = t.key.values()  # type: ignore[attr-defined]
        missing = [k for k in keys if k not in d]
        if missing:
            raise bad(f"the map has no entry for key {format_value(missing[0])}")
        return tuple((k, d[k]) for k in keys)
    if isinstance(t, RecordT):
        if not isinstance(v, dict):
            raise bad(f"{_short_json(v)} is not a record")
        out = []
        for f, ft in t.fields:
            if f not in v:
                raise bad(f"the record has no field {f}")
            out.append((f, decode_value(v[f], ft, f"{where}.{f}")))
        return tuple(out)
    if isinstance(t, ChanT):
        if not isinstance(v, list) or len(v) > t.capacity:
            raise bad(f"{_short_json(v)} is not a list of at most {t.capacity} messages")
        return tuple(decode_value(x, t.elem, where) for x in v)
    raise bad("unsupported type")


def _short_json(v: Any, limit: int = 80) -> str:
    text = json.dumps(v)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass
class ItfTrace:
    states: list[dict[str, Any]]  # user values by display name
    metas: list[dict[str, Any]]  # checked by _decode_meta: instance, action, line, args (plain values)
    source: str
    failing: dict[str, Any] | None = None  # `#meta.failing_step`: a model-error trace's last transition


def decode_itf(spec: Spec, doc: dict, name: str = "TRACE") -> ItfTrace:
    types = spec.model.slot_types()
    states, metas = [], []
    for i, raw in enumerate(doc["states"]):
        if not isinstance(raw, dict):
            raise TraceError(f"{name}: state {i} is not an object")
        values = {}
        for var, t in types.items():
            if var not in raw:
                raise TraceError(f"{name}: state {i} has no value for {var} (was the trace made with "
                                 "other constants? give the same -D NAME=VALUE)")
            values[var] = decode_value(raw[var], t, f"{name}: state {i}: {var}")
        extra = [k for k in raw if k not in types and not k.startswith("#")]
        if extra:
            raise TraceError(f"{name}: state {i}: {extra[0]} is not a variable of {spec.name} (was the "
                             "trace made with other constants? give the same -D NAME=VALUE)")
        states.append(values)
        metas.append(_decode_meta(raw.get("#meta"), f"{name}: state {i}: #meta"))
    top: Any = doc.get("#meta") if isinstance(doc.get("#meta"), dict) else {}  # a JSON object
    source = top.get("source") if isinstance(top.get("source"), str) else ""
    failing = None
    if top.get("failing_step") is not None:
        failing = _decode_meta(top["failing_step"], f"{name}: #meta.failing_step")
        if not (failing.get("instance") and failing.get("action")):
            raise TraceError(f"{name}: #meta.failing_step must name the `instance` and `action` of the "
                             "transition that fails")
    return ItfTrace(states, metas, source, failing)


def _decode_meta(meta: Any, where: str) -> dict[str, Any]:
    """A step's `#meta` with the fields papcheck reads checked: `instance` and `action` strings,
    `line` a positive integer, `args` an object of integers, booleans and strings (integers
    also as {"#bigint": "5"}).  Other fields are ignored; a field of the wrong shape is a
    TraceError naming it."""
    if not isinstance(meta, dict):
        return {}
    out: dict[str, Any] = {}
    for key in ("instance", "action"):
        v = meta.get(key)
        if v is None:
            continue
        if not isinstance(v, str):
            raise TraceError(f"{where}.{key}: {_short_json(v)} is not a string")
        out[key] = visible(v)
    line = meta.get("line")
    if line is not None:
        if isinstance(line, bool) or not isinstance(line, int) or not 0 < line < 10**9:
            raise TraceError(f"{where}.line: {_short_json(line)} is not a line number")
        out["line"] = line
    args = meta.get("args")
    if args is not None:
        if not isinstance(args, dict):
            raise TraceError(f"{where}.args: {_short_json(args)} is not an object of parameter values")
        plain: dict[str, Any] = {}
        for k, v in args.items():
            if isinstance(v, dict) and set(v) == {"#bigint"}:
                try:
                    v = parse_int(v["#bigint"], f"{where}.args.{k}")
                except ValueError as e:
                    raise TraceError(str(e)) from None
            elif isinstance(v, str):
                v = visible(v)
            elif isinstance(v, (bool, int)):
                pass
            else:
                raise TraceError(f"{where}.args.{k}: {_short_json(v)} is not an integer, boolean or name")
            plain[visible(k)] = v
        out["args"] = plain
    return out


def to_trace(spec: Spec, itf: ItfTrace) -> Trace:
    """The ITF trace as a :class:`Trace` (steps named from `#meta`, changes computed)."""
    steps = [Step(0, None, None, initial_choice(spec.model, itf.states[0]), None, "", itf.states[0], [])]
    for i in range(1, len(itf.states)):
        prev, cur = itf.states[i - 1], itf.states[i]
        meta = itf.metas[i]
        changes = [(k, prev[k], cur[k]) for k in cur if cur[k] != prev[k]]
        inst = meta.get("instance") or _actor(changes) or "?"
        args = dict(meta.get("args") or {})
        steps.append(Step(i, inst, meta.get("action") or "?", args, meta.get("line"), "", cur, changes))
    failing = None
    if itf.failing is not None:
        f = itf.failing
        failing = Step(len(steps), f["instance"], f["action"], dict(f.get("args") or {}), f.get("line"), "",
                       itf.states[-1], [])
    return Trace(steps, failing_step=failing, vars=list(itf.states[0]))


def _actor(changes: list) -> str | None:
    insts = sorted({name.rsplit(".", 1)[0] for name, _, _ in changes if "." in name})
    return insts[0] if len(insts) == 1 else None


# -------------------------------------------------------------------------------- validation


@dataclass
class Validation:
    ok: bool
    steps: int
    bad_step: int | None = None
    reason: str = ""
    details: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failing: str = ""  # a model-error trace: how its failing step fails

    def text(self, name: str) -> str:
        if self.ok:
            out = [f"{name}: a legal behaviour of the spec ({self.steps} step{'s' if self.steps != 1 else ''})"
                   + (f", {self.failing}" if self.failing else "")]
        else:
            out = [f"{name}: NOT a behaviour of the spec: {self.reason}"]
            out += [f"  {d}" for d in self.details]
        out += [f"  note: {n}" for n in self.notes]
        return "\n".join(out) + "\n"


def validate(spec: Spec, itf: ItfTrace) -> Validation:
    model = spec.model
    types = model.slot_types()
    try:
        packed = [model.layout.encode(s) for s in itf.states]
    except (KeyError, ValueError, TypeError) as e:
        raise TraceError(f"a state cannot be encoded: {e}") from None
    n = len(packed) - 1
    inits = model.initial_states()
    if packed[0] not in inits:
        init = model.decode(inits[0])
        chosen = {slot.display: values for slot, values in model.layout.nondeterministic_slots()}
        diffs = []
        for k, v in init.items():
            have = itf.states[0][k]
            if k in chosen:
                if have not in chosen[k]:
                    diffs.append(f"{k} is {format_value(have, types.get(k))}, the spec starts it at one of "
                                 + ", ".join(format_value(x, types.get(k)) for x in chosen[k][:10])
                                 + (", ..." if len(chosen[k]) > 10 else ""))
            elif have != v:
                diffs.append(f"{k} is {format_value(have, types.get(k))}, the spec starts with "
                             f"{format_value(v, types.get(k))}")
        return Validation(False, n, 0, "state 0 is not an initial state", diffs)
    notes: list[str] = []
    props = spec.checked.properties
    for i in range(1, n + 1):
        succs, errors = _successors(model, packed[i - 1])
        meta = itf.metas[i]
        hits = [lab for lab, t in succs if t == packed[i]]
        if hits:
            named = meta.get("instance"), meta.get("action")
            if named[0] and named[1] and not any(
                    model.actions[l.action].instance_name == named[0] and
                    model.actions[l.action].transition.name == named[1] for l in hits):
                act = model.actions[hits[0].action]
                notes.append(f"step {i} is labelled {named[0]} {named[1]}, but it is "
                             f"{act.instance_name} {act.transition.name} that leads there")
            continue
        if errors and _matching(model, errors, meta):
            e = _matching(model, errors, meta)[0]  # type: ignore[misc]  # mypy: the name of an except clause cannot be bound again after it (Python allows it)
            return Validation(False, n, i, f"step {i}: {_label_text(model, e.label)} raises a model error in "  # type: ignore[misc]  # mypy: the name of an except clause cannot be bound again after it (Python allows it)
                                           f"state {i - 1} ({_error_text(model, e)}), so it has no next state")  # type: ignore[misc]  # mypy: the name of an except clause cannot be bound again after it (Python allows it)
        return _explain_bad_step(spec, itf, packed, i, succs)
    for i, s in enumerate(packed):
        try:
            bad = model.violated_invariant(s)
        except ModelError as e:
            notes.append(f"evaluating the invariants in state {i} raises a model error ({_error_text(model, e)})")
            break
        if bad >= 0:
            notes.append(f"state {i} violates invariant {props[bad].name}")
            break
    if itf.failing is not None:
        return _validate_failing(model, itf, packed, notes)
    return Validation(True, n, notes=notes)


def _successors(model, s: int) -> tuple[list, list[ModelError]]:
    """The labeled successors of s that do not fail, and the model errors of those that do."""
    tolerant = getattr(model, "tolerant_successors", None)
    if tolerant is not None:
        return tolerant(s)
    try:
        return model.labeled_successors(s), []
    except ModelError as e:
        return [], [e]


def _matching(model, errors: list[ModelError], meta: dict) -> list[ModelError]:
    """The model errors of the transition `meta` names (all of them when it names none)."""
    inst, action, args = meta.get("instance"), meta.get("action"), meta.get("args")
    out = []
    for e in errors:
        if e.label is None:
            out.append(e)
            continue
        act = model.actions[e.label.action]
        if (inst and act.instance_name != inst) or (action and act.transition.name != action):
            continue
        if args:
            from ..engine.trace import _step
            given = _step(model, 0, e.label, {}, []).args  # user values by parameter and choose name
            if any(k in given and given[k] != v for k, v in args.items()):
                continue
        out.append(e)
    return out


def _label_text(model, label) -> str:
    if label is None:
        return "a transition"
    act = model.actions[label.action]
    args = "(" + ", ".join(format_value(a) for a in label.args) + ")" if label.args else ""
    return f"{act.instance_name} {act.transition.name}{args}"


def _error_text(model, e: ModelError) -> str:
    from ..engine.trace import model_error_message
    try:
        msg, line = model_error_message(model, e)
    except (AttributeError, IndexError, KeyError, TypeError):
        return f"code {e.code}"
    return f"{msg}, line {line}"


def _validate_failing(model, itf: ItfTrace, packed: list[int], notes: list[str]) -> Validation:
    """A model-error trace: its last state is legal; does the failing step it names fail there?"""
    n = len(packed) - 1
    failing = itf.failing or {}
    what = f"{failing.get('instance')} {failing.get('action')}"
    _, errors = _successors(model, packed[-1])
    hits = _matching(model, errors, failing)
    if not hits:
        return Validation(False, n + 1, n + 1,
                          f"the failing step {n + 1} ({what} per the trace's #meta.failing_step) raises no "
                          f"model error in state {n}", notes=notes)
    v = Validation(True, n, notes=notes)
    v.failing = f"then step {n + 1} ({_label_text(model, hits[0].label)}) raises a model error: {_error_text(model, hits[0])}"
    return v


def _explain_bad_step(spec: Spec, itf: ItfTrace, packed: list[int], i: int, succs: list) -> Validation:
    model = spec.model
    types = model.slot_types()
    pre, post = itf.states[i - 1], itf.states[i]
    meta = itf.metas[i]
    changes = [(k, pre[k], post[k]) for k in post if post[k] != pre[k]]
    inst = meta.get("instance") or _actor(changes)
    what = f"{inst} {meta['action']}" if inst and meta.get("action") else (inst or "no instance")
    changed = ", ".join(_change_text(c, types) for c in changes) or "nothing"
    v = Validation(False, len(packed) - 1, i,
                   f"step {i} ({what} per the trace; it changes {changed}) follows from state {i - 1} "
                   "by no enabled transition")
    machines = [(m, k) for m in spec.checked.machines for k in range(m.count)
                if inst is None or m.instance_name(k) == inst]
    if inst is not None and not machines:
        v.details.append(f"the spec has no instance named {inst}")
        return v
    for m, k in machines:
        name = m.instance_name(k)
        cur = pre[f"{name}.state"]
        v.details.append(f"{name} is in state {cur}:")
        enabled = [(lab, t) for lab, t in succs if model.actions[lab.action].instance_name == name]
        for lab, t in enabled:
            act = model.actions[lab.action]
            got = model.decode(t)
            diffs = [f"{_cell(k2, a, b, types)}" for k2, (a, b) in
                     ((k2, (got[k2], post[k2])) for k2 in got) if a != b]
            v.details.append(f"  {act.transition.name}{_label_args(spec, lab)} is enabled but leads to "
                             + "; ".join(diffs[:4]) + (" ..." if len(diffs) > 4 else ""))
        enabled_names = {model.actions[lab.action].transition.name for lab, _ in enabled}
        for tr in m.transitions:
            if tr.name in enabled_names:
                continue
            if tr.state.name != cur:
                v.details.append(f"  {tr.name} is not enabled: it leaves state {tr.state.name} "
                                 f"(line {tr.decl.span.line})")
                continue
            v.details.append("  " + _why_disabled(spec, pre, m, k, tr, meta))
    if inst is None:
        v.details.insert(0, "the trace does not say which instance acted, and the changed variables do "
                            "not tell: every instance is listed")
    return v


def _why_disabled(spec: Spec, pre: dict, m, k: int, tr, meta: dict) -> str:
    """Why transition tr of instance k is not enabled in `pre`: its guard and the values it read."""
    guard = tr.decl.guard
    line = tr.decl.span.line
    if tr.recv is not None:
        return f"{tr.name} is not enabled: nothing to receive, or its guard is false (line {line})"
    if guard is None:
        return f"{tr.name} is not enabled (line {line})"
    from ..lang.pretty import pretty_expr
    ev = Evaluator(spec.checked, state_view(spec.model, pre))
    text = pretty_expr(guard)
    bindings = _bindings(ev, tr, meta)
    if bindings is None:
        return f"{tr.name}: guard `{text}` cannot be evaluated here (line {line})"
    types = spec.model.slot_types()
    for env in bindings:
        reads: dict[str, Any] = {}
        ev.on_read = lambda label, val: reads.setdefault(label, val)
        try:
            ok = ev.eval(guard, env, self_index=k, machine=m)
        except (EvalError, KeyError, TypeError):
            return f"{tr.name}: guard `{text}` cannot be evaluated here (line {line})"
        if not ok:
            at = ", ".join(f"{b.name} = {format_value(x)}" for b, x in env.items())
            vals = ", ".join(f"{_short(r, m.instance_name(k))} = {format_value(x, types.get(r))}"
                             for r, x in reads.items())
            return (f"{tr.name}: guard `{text}` is false" + (f" for {at}" if at else "")
                    + (f" ({vals})" if vals else "") + f" (line {line})")
    return f"{tr.name}: its guard holds, but the step fails or leads elsewhere (line {line})"


def _bindings(ev: Evaluator, tr, meta: dict) -> list[dict] | None:
    """The parameter bindings to try: the trace's own `args` when it gives them, else all."""
    envs: list[dict] = [{}]
    given = meta.get("args") or {}
    for (sym, dom), p in zip(tr.params, tr.decl.params):
        if sym.name in given:
            values = [given[sym.name]]
        elif dom[0] == "type":
            values = list(dom[1].values())
        else:
            try:
                values = ev.domain_values(p.domain, {})
            except (EvalError, KeyError, TypeError):
                return None
        envs = [{**e, sym: x} for e in envs for x in values]
    return envs


def _short(name: str, inst: str) -> str:
    return name[len(inst) + 1:] if name.startswith(inst + ".") else name


def _change_text(c: tuple, types: dict) -> str:
    name, old, new = c
    t = types.get(name)
    if isinstance(t, MapT):
        o = dict(old)
        return ", ".join(f"{name}[{format_value(k)}] {format_value(o[k], t.value)} -> {format_value(v, t.value)}"
                         for k, v in new if o[k] != v)
    return f"{name} {format_value(old, t)} -> {format_value(new, t)}"


def _cell(name: str, got: Any, want: Any, types: dict) -> str:
    t = types.get(name)
    if isinstance(t, MapT):
        g, w = dict(got), dict(want)
        return ", ".join(f"{name}[{format_value(k)}] = {format_value(g[k], t.value)} (the trace has "
                         f"{format_value(w[k], t.value)})" for k in g if g[k] != w[k])
    return f"{name} = {format_value(got, t)} (the trace has {format_value(want, t)})"


def _label_args(spec: Spec, lab) -> str:
    return "(" + ", ".join(format_value(a) for a in lab.args) + ")" if lab.args else ""


# ------------------------------------------------------------------------------ interactive


HELP = """commands:
  n, next [K]      forward one step (or K)
  b, back [K]      back one step (or K)
  j, jump N        go to step N
  p, print         the current step and what it changed
  s, state         the whole state at the current step
  h, history VAR   VAR's value at every step where it changed (VAR may be `record[0]`)
  l, list          every step, one line each
  q, quit          leave
"""


class Replayer:
    """Step through a trace: :meth:`command` takes one line and returns what to print."""

    def __init__(self, spec: Spec, trace: Trace):
        self.spec = spec
        self.trace = trace
        self.types = spec.model.slot_types()
        self.at = 0
        self.done = False

    @property
    def last(self) -> int:
        return len(self.trace.steps) - 1

    def intro(self) -> str:
        fails = self.trace.failing_step
        then = f" (then {fails.action_text()} fails with a model error)" if fails is not None else ""
        return (f"{self.spec.name}: a trace of {counted(self.last, 'step')}{then}; `help` lists the commands.\n"
                + self.show())

    def show(self) -> str:
        step = self.trace.steps[self.at]
        if self.at == 0:
            return f"step 0/{self.last}: {step.action_text()}\n"
        where = f" (line {step.line})" if step.line else ""
        lines = [f"step {self.at}/{self.last}: {step.action_text()}{where}"]
        lines += ["  " + _change_text(c, self.types) for c in step.changes] or ["  (nothing changes)"]
        return "\n".join(lines) + "\n"

    def command(self, line: str) -> str:
        words = line.split()
        if not words:
            return ""
        cmd, rest = words[0].lower(), words[1:]
        try:
            if cmd in ("n", "next", "b", "back"):
                k = int(rest[0]) if rest else 1
                self.at += k if cmd in ("n", "next") else -k
                clipped = not 0 <= self.at <= self.last
                self.at = max(0, min(self.last, self.at))
                return ("(at the end of the trace)\n" if clipped and self.at == self.last else
                        "(at the start of the trace)\n" if clipped else "") + self.show()
            if cmd in ("j", "jump"):
                if not rest:
                    return "usage: jump N\n"
                k = int(rest[0])
                if not 0 <= k <= self.last:
                    return f"no step {k}: the trace has steps 0 to {self.last}\n"
                self.at = k
                return self.show()
        except ValueError:
            return f"`{rest[0]}` is not a number\n"
        if cmd in ("p", "print"):
            return self.show()
        if cmd in ("s", "state"):
            state = self.trace.steps[self.at].state
            return f"state after step {self.at}:\n" + "".join(
                f"  {k} = {format_value(v, self.types.get(k))}\n" for k, v in state.items())
        if cmd in ("h", "history"):
            if not rest:
                return "usage: history VAR\n"
            return self.history(rest[0])
        if cmd in ("l", "list"):
            fails = self.trace.failing_step
            return "".join(f"{'>' if s.index == self.at else ' '} {s.index:>3}  "
                           + s.action_text() + "\n"
                           for s in self.trace.steps) + (
                f"  {fails.index:>3}  {fails.action_text()}   <-- fails (model error)\n" if fails else "")
        if cmd in ("q", "quit", "exit"):
            self.done = True
            return ""
        if cmd in ("help", "?"):
            return HELP
        return f"unknown command `{words[0]}`; `help` lists the commands\n"

    def history(self, var: str) -> str:
        base, key = var, ""
        if var not in self.types and var.endswith("]") and "[" in var:
            base, _, key = var[:-1].rpartition("[")  # `record[0]`; `Enactor[0].plan` is a name
        if base not in self.types:
            names = ", ".join(self.types)
            return f"no variable {base} (the variables are: {names})\n"
        t = self.types[base]

        def value(state: dict) -> str:
            v = state[base]
            if key:
                if not isinstance(t, MapT):
                    raise KeyError(key)
                d = {format_value(k): x for k, x in v}
                return format_value(d[key], t.value)
            return format_value(v, t)

        try:
            out, prev = [], None
            for s in self.trace.steps:
                cur = value(s.state)
                if cur != prev:
                    who = s.action_text()
                    mark = ">" if s.index == self.at else " "
                    out.append(f"{mark} step {s.index:>3}: {var} = {cur}   ({who})")
                prev = cur
        except KeyError:
            return f"{var}: no such entry\n"
        return "\n".join(out) + "\n"
