"""A random simulation's report: the first violation's trace (replayable, not necessarily
shortest) and the coverage of the walks, as text, JSON and ITF."""

from __future__ import annotations

import json
from typing import Any, cast

from ..api import Spec
from ..engine.model import ModelError
from ..engine.simulate import Simulation
from ..engine.trace import Trace, build_trace, explain_failure, model_error_message
from ..lang.outputs import counted
from ..lang.types import format_value
from .report import _trace_lines, itf

NOT_SHORTEST = "a random walk's trace, not necessarily a shortest one (papcheck check finds a shortest)"


def simulation_trace(spec: Spec, sim: Simulation) -> Trace | None:
    """The violating walk as a trace (None when no walk violated anything)."""
    if sim.finding is None:
        return None
    return build_trace(spec.model, sim.path, sim.labels, sim.failing)


def _action_names(spec: Spec) -> list[str]:
    return [f"{a.instance_name} {a.transition.name}" for a in spec.model.actions]


def _what(spec: Spec, sim: Simulation) -> tuple[str, int | None, str]:
    """(what was violated, spec line, explanation) of the simulation's finding."""
    f = sim.finding
    assert f is not None
    model = spec.model
    if f.kind == "model_error":
        assert isinstance(f.error, ModelError)
        msg, line = model_error_message(model, f.error)
        return f"model error: {msg}", line, ""
    p = spec.checked.properties[f.prop]
    if f.kind == "deadlock":
        return "deadlock", p.decl.span.line, "no transition is enabled and not every instance is in a final state"
    why = explain_failure(model, p.decl.expr, model.decode(cast(int, f.state))) if p.decl.expr is not None else ""  # states are packed ints
    return f"invariant {p.name}", p.decl.span.line, why or ""


def verdict(sim: Simulation) -> str:
    if sim.finding is not None:
        return "violated"
    return "no violation found" if sim.stop_reason == "done" else "incomplete"


def render_text(spec: Spec, sim: Simulation, *, full_states: bool = False, timing: bool = True) -> str:
    out = []
    consts = " ".join(f"{k}={format_value(v)}" for k, v in spec.constants.items())
    out.append(f"papcheck simulate: {spec.path}: protocol {spec.name}" + (f" ({consts})" if consts else ""))
    out.append(f"  {sim.runs} random walks of at most {counted(sim.depth, 'step')}, seed {sim.seed}")
    trace = simulation_trace(spec, sim)
    if trace is not None:
        what, line, why = _what(spec, sim)
        out.append("")
        out.append(f"VIOLATED: {what} (line {line})")
        out.append(f"  found by walk {sim.walk} (seed {sim.seed}) in {counted(trace.length, 'step')}: {NOT_SHORTEST}")
        out.extend(_trace_lines(trace, spec.model.slot_types(), full_states))
        if why:
            out.append(f"  fails {why}" if why.startswith(("for ", "on ", "from ", "everywhere"))
                       else f"  where {why}")
    out.append("")
    stopped = {"timeout": " (stopped at --timeout)", "max_memory": " (stopped at --max-memory)",
               "interrupted": " (interrupted)", "terminated": " (terminated by SIGTERM)",
               "worker_lost": " (a walker process was lost)"}.get(sim.stop_reason, "")
    out.append(f"verdict: {verdict(sim)}{stopped}")
    if sim.finding is None and sim.stop_reason == "done":
        out.append("  (random walks prove nothing: `papcheck check` explores every interleaving)")
    out.append(f"coverage: {counted(sim.walks, 'walk')}, {counted(sim.steps, 'step')}, {sim.distinct} distinct states seen")
    names = _action_names(spec)
    width = max((len(n) for n in names), default=0)
    out.append("  transitions fired:")
    for n, c in zip(names, sim.fired):
        out.append(f"    {n:<{width}}  {c}")
    never = [names[a] for a in sim.never_fired]
    out.append(f"  never fired: {', '.join(never) if never else 'none'}")
    reach = [p for p in spec.checked.properties if p.kind == "reachable"]
    for p in reach:
        i = spec.checked.properties.index(p)
        got = f"witnessed (walk {sim.witnessed[i]})" if i in sim.witnessed else "not witnessed"
        out.append(f"  reachable {p.name}: {got}")
    if timing:
        rate = sim.steps / sim.seconds if sim.seconds > 0 else 0.0
        out.append(f"  {sim.seconds:.2f} s, {rate:,.0f} steps/s")
    return "\n".join(out) + "\n"


def result_dict(spec: Spec, sim: Simulation, *, timing: bool = True) -> dict[str, Any]:
    names = _action_names(spec)
    d: dict[str, Any] = {
        "spec": spec.path, "protocol": spec.name, "constants": dict(spec.constants),
        "mode": "simulate", "seed": sim.seed, "runs": sim.runs, "depth": sim.depth,
        "verdict": verdict(sim), "stop_reason": sim.stop_reason,
        "coverage": {
            "walks": sim.walks, "steps": sim.steps, "distinct_states": sim.distinct,
            "fired": {n: c for n, c in zip(names, sim.fired)},
            "never_fired": [names[a] for a in sim.never_fired],
            "witnessed": {spec.checked.properties[i].name: w for i, w in sorted(sim.witnessed.items())},
        },
        "violation": None,
    }
    trace = simulation_trace(spec, sim)
    if trace is not None:
        what, line, why = _what(spec, sim)
        d["violation"] = {"what": what, "line": line, "walk": sim.walk, "length": trace.length,
                          "shortest": False, "explanation": why,
                          "trace": itf(trace, spec.path, spec.model.slot_types(), NOT_SHORTEST)}
    if timing:
        d["seconds"] = round(sim.seconds, 3)
    return d


def render_json(spec: Spec, sim: Simulation, *, timing: bool = True) -> str:
    return json.dumps(result_dict(spec, sim, timing=timing), indent=2, ensure_ascii=False) + "\n"


def render_itf(spec: Spec, sim: Simulation) -> str | None:
    trace = simulation_trace(spec, sim)
    if trace is None:
        return None
    what, _, _ = _what(spec, sim)
    desc = f"{spec.name}: {what}, walk {sim.walk} of seed {sim.seed}: {NOT_SHORTEST}"
    return json.dumps(itf(trace, spec.path, spec.model.slot_types(), desc), indent=2, ensure_ascii=False) + "\n"
