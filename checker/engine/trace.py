"""Counterexamples and witnesses as readable step lists, and why a property failed in a state.

A :class:`Trace` is built from a path of model states and the labels of its transitions: each
step names the machine instance, the transition and its bindings, the spec line it comes from,
the full decoded state and only the variables that changed.  :func:`explain_failure` evaluates a
violated invariant on the last state with the interpreter to name the quantifier binding that
broke it and the values it read ("for e = 0: record[0] = 2, purged = {1, 2}").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..lang import ast
from ..lang.evaluate import EvalError, Evaluator, StateView
from ..lang.types import BoolT, EnumT, Type, format_value
from .compile import CompiledModel
from .model import Label, ModelError


@dataclass
class Step:
    index: int
    instance: str | None  # None for the initial state
    transition: str | None
    args: dict[str, Any]
    line: int | None
    doc: str
    state: dict[str, Any]
    changes: list[tuple[str, Any, Any]]
    action: int | None = None  # the model's action id (None for the initial state): keys footprints

    def action_text(self) -> str:
        if self.instance is None:
            if self.args:  # the values chosen by `var x: T in D` declarations
                return "initial state (chosen: " + ", ".join(
                    f"{k} = {format_value(v)}" for k, v in self.args.items()) + ")"
            return "initial state"
        args = ""
        if self.args:
            args = "(" + ", ".join(f"{k}={format_value(v)}" for k, v in self.args.items()) + ")"
        return f"{self.instance} {self.transition}{args}"


@dataclass
class Trace:
    steps: list[Step]
    failing_step: Step | None = None  # a transition that raised a model error (no resulting state)
    loop: int | None = None  # index of the step a lasso's cycle returns to (liveness; unused yet)
    vars: list[str] = field(default_factory=list)

    @property
    def length(self) -> int:
        return len(self.steps) - 1

    @property
    def last_state(self) -> dict[str, Any]:
        return self.steps[-1].state


def build_trace(model: CompiledModel, path: list[Any], labels: list[Label],
                failing: Label | None = None) -> Trace:
    decoded = [model.decode(s) for s in path]
    steps = [Step(0, None, None, initial_choice(model, decoded[0]), None, "", decoded[0], [])]
    for i, lab in enumerate(labels, start=1):
        prev, cur = decoded[i - 1], decoded[i]
        changes = [(k, prev[k], cur[k]) for k in cur if cur[k] != prev[k]]
        steps.append(_step(model, i, lab, cur, changes))
    fail = _step(model, len(steps), failing, {}, []) if failing is not None else None
    return Trace(steps, fail, vars=list(decoded[0]))


def initial_choice(model: CompiledModel, state: dict[str, Any]) -> dict[str, Any]:
    """The values an initial state chose for the variables declared `in D` / `in any` (empty
    when the spec has one initial state): step 0's bindings in traces."""
    return {slot.display: state[slot.display] for slot, _ in model.layout.nondeterministic_slots()
            if slot.display in state}


def _step(model: CompiledModel, i: int, lab: Label, state: dict[str, Any], changes: list[tuple[str, Any, Any]]) -> Step:
    act = model.actions[lab.action]
    tr = act.transition
    syms = [b for b, _ in tr.params] + _choose_syms(model, tr.decl.body)
    args = {b.name: _user_value(b.type, v) for b, v in zip(syms, lab.args)}
    return Step(i, act.instance_name, tr.name, args, tr.decl.span.line, tr.decl.doc, state, changes,
                lab.action)


def _choose_syms(model: CompiledModel, body: tuple[ast.Stmt, ...]) -> list[Any]:
    """The symbols bound by `choose` in a body, in the order generated code binds them."""
    out: list[Any] = []
    for s in body:
        if isinstance(s, ast.Choose):
            out.append(model.checked.refs[id(s)])
            out.extend(_choose_syms(model, s.body))
        elif isinstance(s, ast.If):
            for _, b in s.branches:
                out.extend(_choose_syms(model, b))
            out.extend(_choose_syms(model, s.orelse))
    return out


def _user_value(t: Type, v: Any) -> Any:
    """Turn a generated-code binding (enum index, 0/1) back into a user value."""
    if isinstance(t, EnumT) and isinstance(v, int):
        return t.members[v]
    if isinstance(t, BoolT):
        return bool(v)
    return v


# ------------------------------------------------------------------------------- explanations


def state_view(model: CompiledModel, values: dict[str, Any]) -> StateView:
    shared: dict[str, Any] = {}
    locals_: dict[tuple[str, int, str], Any] = {}
    pcs: dict[tuple[str, int], str] = {}
    for slot in model.layout.slots:
        v = values[slot.display]
        if slot.machine is None:
            shared[slot.display] = v
        elif slot.var is None:
            pcs[(slot.machine.name, slot.instance)] = v
        else:
            locals_[(slot.machine.name, slot.instance, slot.var.name)] = v
    return StateView(shared, locals_, pcs)


def explain_failure(model: CompiledModel, expr: ast.Expr, values: dict[str, Any]) -> str:
    """Why `expr` is false in the state `values`: the falsifying bindings and the values read."""
    found = failure_reads(model, expr, values)
    if found is None:
        return ""
    parts, reads = found
    types = model.slot_types()
    read_text = ", ".join(f"{k[:-6]} at {v}" if k.endswith(".state") and isinstance(v, str)
                          else f"{k} = {format_value(v, types.get(k))}" for k, v in reads.items())
    head = "for " + ", ".join(parts) + ": " if parts else ""
    return head + read_text


def failure_reads(model: CompiledModel, expr: ast.Expr,
                  values: dict[str, Any]) -> tuple[list[str], dict[str, Any]] | None:
    """The falsifying bindings (`["e = 0"]`) of `expr` in `values` and the locations the failing
    part reads with their values (`{"record[0]": 2, "purged": {1, 2}}`); None if it cannot be
    evaluated.  The explanation renderers use the locations to find who last wrote them."""
    ev = Evaluator(model.checked, state_view(model, values))
    bindings: dict[Any, Any] = {}
    e = expr
    parts: list[str] = []
    try:
        while True:
            if isinstance(e, ast.Quant) and e.kind == "forall":
                b = model.checked.refs[id(e)]
                for v in ev.domain_values(e.domain, bindings):
                    if not ev.eval(e.body, {**bindings, b: v}):
                        bindings = {**bindings, b: v}
                        parts.append(f"{e.var} = {format_value(v)}")
                        break
                else:
                    break
                e = e.body
                continue
            if isinstance(e, ast.Binary) and e.op == "and":
                e = e.left if not ev.eval(e.left, bindings) else e.right
                continue
            break
        reads: dict[str, Any] = {}
        ev.on_read = lambda label, v: reads.setdefault(label, v)
        ev.eval(e, bindings)
    except (EvalError, KeyError, TypeError):
        return None
    return parts, reads


def model_error_message(model: CompiledModel, err: ModelError) -> tuple[str, int]:
    """A sentence for a model error, and the spec line it comes from."""
    site = model.error_sites[err.code]
    v = format_value(err.value) if err.value is not None else ""
    msg = {
        "range": f"value {v} is outside the type of {site.detail}",
        "key": f"key {v} is outside the map's key type {site.detail}",
        "instance": f"instance index {v} is outside {site.detail}",
        "full": f"send to a full channel ({site.detail})",
        "div": "division by zero",
        "empty": f"'{site.detail}' over an empty domain",
        "assert": "assertion failed",
    }.get(site.kind, site.kind)
    return msg, site.span.line
