"""Reductions checked against the unreduced search, on the user's own spec (`check --self-check`)
and on every shipped and generated spec in the test suite.

For each configuration (POR on/off x symmetry on/off, and the fingerprint store) the verdict and
every property's status must equal the unreduced exact search's; reduced state counts must not
exceed the full count; every counterexample or witness must replay step by step in the unreduced
semantics (each step a transition the model allows, with the label given) and end in a state
that violates (or witnesses) the same property.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..api import CheckResult, Spec, check
from ..engine.explore import Limits
from ..engine.model import ModelError
from ..engine.trace import Trace
from ..lang.outputs import counted

CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("none", dict(por=False, symmetry=False)),
    ("por", dict(por=True, symmetry=False)),
    ("symmetry", dict(por=False, symmetry=True)),
    ("por+symmetry", dict(por=True, symmetry=True)),
    ("por+symmetry+fingerprint", dict(por=True, symmetry=True, store="fingerprint")),
]


@dataclass
class SelfCheckReport:
    rows: list[tuple[str, CheckResult]]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        lines = ["Self-check: the same spec with each reduction on and off", ""]
        lines.append(f"  {'configuration':<26} {'verdict':<11} {'states':>12} {'transitions':>13}")
        for name, r in self.rows:
            lines.append(f"  {name:<26} {r.verdict:<11} {r.stats.states:>12,} {r.stats.transitions:>13,}")
        lines.append("")
        if self.ok:
            lines.append("Self-check passed: every configuration agrees with the unreduced search, and every "
                         "trace replays in the unreduced semantics.")
        else:
            lines.append("SELF-CHECK FAILED: a reduction disagrees with the unreduced search. This is a bug "
                         "in papcheck; please report it with this spec.")
            lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines) + "\n"


def self_check(spec: Spec, *, strategy: str = "bfs", limits: Limits | None = None,
               configs: list[tuple[str, dict[str, Any]]] | None = None) -> SelfCheckReport:
    rows = []
    for name, opts in configs or CONFIGS:
        rows.append((name, check(spec, strategy=strategy, limits=limits, **opts)))
    report = SelfCheckReport(rows)
    base_name, base = rows[0]
    for name, r in rows[1:]:
        if not base.search or not r.search:
            continue
        comparable = base.verdict != "incomplete" and r.verdict != "incomplete"
        if comparable and r.verdict != base.verdict:
            report.problems.append(f"{name}: verdict {r.verdict}, unreduced {base.verdict}")
        for p, q in zip(base.properties, r.properties):
            undecided = "unknown" in (p.status, q.status)  # the search stopped first: order-dependent
            if comparable and not undecided and _decided(p.status) != _decided(q.status):
                report.problems.append(f"{name}: {q.kind} {q.name} is {q.status}, unreduced {p.status}")
            if strategy == "bfs" and p.trace is not None and q.trace is not None and p.trace.length != q.trace.length:
                report.problems.append(f"{name}: the trace of {q.name} has {counted(q.trace.length, 'step')}, "
                                       f"the unreduced shortest {p.trace.length}")
        if comparable and (base.model_error is None) != (r.model_error is None):
            report.problems.append(f"{name}: model error {'found' if r.model_error else 'missed'}, "
                                   f"unreduced {'found' if base.model_error else 'none'}")
        if base.verdict == "holds" and r.verdict == "holds" and r.stats.states > base.stats.states:
            report.problems.append(f"{name}: {r.stats.states} states, more than unreduced {base.stats.states}")
    for name, r in rows:
        for problem in validate_result(spec, r):
            report.problems.append(f"{name}: {problem}")
    return report


def _decided(status: str) -> str:
    """Statuses that must agree across configurations (which witness was found may not)."""
    return {"witnessed": "reached", "violated": "violated", "holds": "holds",
            "unreachable": "unreachable"}.get(status, status)


def validate_result(spec: Spec, result: CheckResult) -> list[str]:
    """Replay every trace of a result in the unreduced semantics; list what does not hold up."""
    problems = []
    model = spec.model
    for i, p in enumerate(result.properties):
        if p.trace is None:
            continue
        bad = validate_trace(spec, p.trace)
        if bad:
            problems.append(f"trace of {p.name}: {bad}")
            continue
        last = model.layout.encode(p.trace.last_state)
        if p.kind == "invariant" and p.status == "violated" and model.violated_invariant(last) != i:
            problems.append(f"trace of {p.name} ends in a state where the invariant holds")
        if p.kind == "reachable" and p.status == "witnessed" and not (model.witnesses(last) >> i) & 1:
            problems.append(f"witness of {p.name} ends in a state that does not satisfy it")
        if p.kind == "deadlock_free" and p.status == "violated":
            if model.successors(last) or model.is_final(last):
                problems.append("deadlock trace ends in a state that is not a deadlock")
    if result.model_error is not None:
        tr = result.model_error.trace
        bad = validate_trace(spec, tr)
        if bad:
            problems.append(f"model-error trace: {bad}")
        else:
            last = model.layout.encode(tr.last_state)
            try:  # the error may come from a transition or from evaluating a property
                model.successors(last)
                model.violated_invariant(last)
                model.witnesses(last)
                problems.append("model-error trace ends in a state with no model error")
            except ModelError:
                pass
    return problems


def validate_trace(spec: Spec, trace: Trace) -> str:
    """'' if every step of the trace is a transition of the unreduced model, else why not."""
    model = spec.model
    states = [model.layout.encode(st.state) for st in trace.steps]
    if states[0] not in model.initial_states():
        return "the first state is not an initial state"
    for k in range(1, len(states)):
        step = trace.steps[k]
        succ = model.labeled_successors(states[k - 1])
        if not any(u == states[k] and _same_label(model, lab, step) for lab, u in succ):
            return f"step {k} ({step.action_text()}) is not a transition of the model"
    return ""


def _same_label(model, lab, step) -> bool:
    act = model.actions[lab.action]
    return act.instance_name == step.instance and act.transition.name == step.transition
