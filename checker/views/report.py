"""Results as text, JSON and ITF.  Pure functions from a CheckResult to a string.

Text and JSON are deterministic for a given spec and flags: no timestamps, no absolute paths, and
timing figures only where asked for (`timing=True`; the CLI prints them to stderr in text mode).
The JSON schema is documented in docs/json-schema.md; traces use the Informal Trace Format (ITF)
of Apalache and Quint.
"""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..api import CheckResult
from ..engine.trace import Step, Trace
from ..lang.outputs import counted
from ..lang.types import MapT, Type, format_value

JSON_SCHEMA_VERSION = 1


# -------------------------------------------------------------------------------------- text


def render_text(result: CheckResult, *, full_states: bool = False) -> str:
    spec = result.spec
    out: list[str] = []
    consts = " ".join(f"{k}={format_value(v)}" for k, v in spec.constants.items())
    out.append(f"papcheck: {spec.path}: protocol {spec.name}" + (f" ({consts})" if consts else ""))
    types = spec.model.slot_types()

    if result.model_error is not None:
        me = result.model_error
        out.append("")
        out.append(f"MODEL ERROR at line {me.line}: {me.message}")
        if me.trace.failing_step is not None:
            out.append(f"  reached in {counted(me.trace.length + 1, 'step')}; the last one fails:")
        else:  # a property's expression failed on a state, not a transition
            out.append(f"  evaluating it fails in the state reached in {counted(me.trace.length, 'step')}:")
        out.extend(_trace_lines(me.trace, types, full_states))
    for p in result.properties:
        if p.status == "violated" and p.trace is not None:
            out.append("")
            what = "deadlock" if p.kind == "deadlock_free" else f"{p.kind} {p.name}"
            out.append(f"VIOLATED: {what} (line {p.line})")
            if p.doc:
                out.append(f"  {p.doc}")
            shortest = " shortest" if result.strategy == "bfs" else ""
            if p.trace.loop is not None:
                out.append(f"  counterexample: a {p.trace.loop}-step prefix, then a cycle repeated for ever:")
            else:
                out.append(f"  {p.trace.length}-step{shortest} counterexample:")
            out.extend(_trace_lines(p.trace, types, full_states))
            if p.explanation:
                why = p.explanation if p.explanation.startswith(("for ", "on ", "from ", "everywhere")) \
                    else f"where {p.explanation}"
                out.append(f"  {p.name} fails {why}")
            if p.trap is not None:
                out.extend(_trap_lines(p.trap))
    out.append("")
    out.append("Properties:")
    width = max((len(p.kind) + len(p.name) for p in result.properties), default=0) + 1
    for p in result.properties:
        label = f"{p.kind} {p.name}".ljust(width)
        out.append(f"  {_STATUS_MARK[p.status]} {label}  {_status_text(p, result)}")
    if not result.properties:
        out.append("  (none declared: only model errors are checked)")
    st = result.stats
    out.append("")
    out.append(f"States: {st.states:,} distinct, {counted(st.transitions, 'transition')}, depth {st.depth}"
               + ("" if result.verdict != "incomplete" else f", {st.queue:,} left in the queue"))
    out.append("Reductions: " + reductions_text(result))
    if result.reductions is not None:
        out.extend(result.reductions.symmetry_notes)
    if result.liveness is not None:
        out.append("Liveness: " + liveness_text(result.liveness))
    cp = collision_probability(result)
    if cp is not None:
        out.append(f"Fingerprints: 64-bit; estimated probability that a collision hid a state: {cp:.2g}")
    if result.expectation is not None:
        e = result.expectation
        want = "holds" if e["verdict"] == "holds" else "violated " + ", ".join(e["properties"])
        partial = len(result.properties) < len(spec.checked.properties)
        met = {True: "met", False: "NOT met",
               None: "not judged (--property left some out)" if partial and result.verdict != "incomplete"
               else "not decided (incomplete)"}[e["met"]]
        out.append(f"Expected: {want} -- {met}")
    out.append(f"Verdict: {result.verdict.upper()}" + _reason(result))
    return "\n".join(out) + "\n"


def render_trace(trace: Trace, result: CheckResult, *, full_states: bool = False) -> list[str]:
    """A trace's step lines exactly as the text report shows them (for the CI formats and diff)."""
    return _trace_lines(trace, result.spec.model.slot_types(), full_states)


def reductions_text(result: CheckResult) -> str:
    red = result.reductions
    if red is None:
        return "none"
    parts = []
    if red.symmetric_machines:
        parts.append("symmetry over " + ", ".join(red.symmetric_machines))
    elif red.symmetry and red.symmetry_notes:
        parts.append("symmetry: not applied, searched unreduced (see the note below)")
    elif red.symmetry:
        parts.append("symmetry: no interchangeable machine")
    if red.por_active:
        parts.append(f"partial-order ({red.ample_expansions:,} of "
                     f"{red.ample_expansions + red.full_expansions:,} states expanded by an ample set)")
    elif red.por:
        parts.append("partial-order: no independent transitions to exploit")
    if not red.por and not red.symmetry:
        parts.append("none (--no-por --no-symmetry)")
    return "; ".join(parts) + f"; store {result.store}; engine {result.engine}"


def collision_probability(result: CheckResult) -> float | None:
    store = result.search.store if result.search is not None else None
    if store is None or not hasattr(store, "collision_probability"):
        return None
    return store.collision_probability(result.stats.transitions)


def render_timing(result: CheckResult) -> str:
    """The whole run's wall time and peak memory (as the OS counts them), then each phase's."""
    st = result.stats
    ph = result.phases
    lines = [f"papcheck: {ph.wall_seconds():.2f} s, peak memory {_mem(ph.peak_kb())} "
             "(the whole run, interpreter start-up included)"]
    width = max((len(p.name) for p in ph.items), default=0)
    startup = ph.startup_seconds()
    if startup is not None:
        width = max(width, len("start-up"))
        lines.append(f"  {'start-up'.ljust(width)}  {startup:7.2f} s  (interpreter and imports)")
    for p in ph.items:
        line = f"  {p.name.ljust(width)}  {p.seconds:7.2f} s"
        line += f"  peak {_mem(p.peak_kb):>7}" if p.raised_peak else "  " + " " * 12
        if p.name == "safety search":
            line += f"  {st.states_per_second:,.0f} states/s, store {st.bytes_per_state:.0f} bytes/state"
        elif p.name == "liveness graph" and result.liveness is not None:
            lv = result.liveness
            line += f"  {lv.states:,} states, {lv.transitions:,} transitions"
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def _mem(kb: int) -> str:
    return f"{kb / 1024:.0f} MB" if kb < 1024 * 1024 else f"{kb / 1024 / 1024:.2f} GB"


def timing_dict(result: CheckResult) -> dict[str, Any]:
    """The whole run's figures by phase (JSON `stats.run`)."""
    ph = result.phases
    startup = ph.startup_seconds()
    return {"wall_seconds": round(ph.wall_seconds(), 3), "peak_memory_kb": ph.peak_kb(),
            "startup_seconds": None if startup is None else round(startup, 3),
            "phases": [{"name": p.name, "seconds": round(p.seconds, 3), "peak_memory_kb": p.peak_kb,
                        "raised_peak": p.raised_peak} for p in ph.items]}


_STATUS_MARK = {"holds": "ok", "witnessed": "ok", "violated": "XX", "unreachable": "XX", "unknown": "??"}


def _status_text(p, result: CheckResult) -> str:
    if p.status == "holds":
        return "holds"
    if p.status == "witnessed":
        return f"witnessed in {counted_steps(p.trace.length)}" if p.trace else "witnessed"
    if p.status == "violated" and p.trace is not None and p.trace.loop is not None:
        return f"violated: a {p.trace.length}-step run looping back to step {p.trace.loop}"
    if p.status == "violated" and p.trap is not None:
        return f"violated: trapped at step {p.trace.length} ({p.trap.states:,} states in the trap)"
    if p.status == "violated":
        return f"violated in {counted_steps(p.trace.length)}" if p.trace else "violated"
    if p.status == "unreachable":
        return "never reached: no reachable state satisfies it (vacuous spec?)"
    if getattr(p, "reason", ""):
        return f"not decided: {p.reason}"
    if result.verdict == "violated":
        return "not decided: the search stopped at the first violation; use --continue"
    return "not decided: the search did not finish"


def counted_steps(n: int) -> str:
    return counted(n, "step")


def _reason(result: CheckResult) -> str:
    return {
        "max_states": " (stopped at --max-states)",
        "max_depth": " (stopped at --max-depth)",
        "timeout": " (stopped at --timeout)",
        "max_memory": " (stopped at --max-memory)",
        "worker_lost": " (a search worker was lost)",
        "interrupted": " (interrupted)",
        "terminated": " (terminated by SIGTERM)",
    }.get(result.stop_reason, "")


def _trace_lines(trace: Trace, types: dict[str, Type], full: bool) -> list[str]:
    lines = []
    width = max((len(s.action_text()) for s in trace.steps[1:]), default=10)
    steps = list(trace.steps)
    if trace.failing_step is not None:
        steps.append(trace.failing_step)
    for step in steps:
        mark = _loop_mark(trace, step)
        if step.instance is None:
            lines.append(f"  {step.index:>3}  {step.action_text()}" + mark)
            lines.extend("         " + l for l in _state_lines(step.state, types))
            continue
        failing = step is trace.failing_step
        where = f"line {step.line}" if step.line else ""
        lines.append(f"  {step.index:>3}  {step.action_text().ljust(width)}  {where}"
                     + ("   <-- fails here" if failing else "") + mark)
        if full and not failing:
            lines.extend("         " + l for l in _state_lines(step.state, types))
        else:
            for name, old, new in step.changes:
                lines.extend("         " + l for l in _change_lines(name, old, new, types.get(name)))
    return lines


def _loop_mark(trace: Trace, step: Step) -> str:
    """Where a lasso's cycle starts and ends (liveness counterexamples)."""
    if trace.loop is None:
        return ""
    last = len(trace.steps) - 1
    if step.index == trace.loop == last:
        return "   <-- stops here: no transition is enabled, this state repeats for ever"
    if step.index == trace.loop:
        return "   <-- the cycle starts here"
    if step.index == last:
        return f"   <-- back to step {trace.loop}: the cycle repeats for ever"
    return ""


def _trap_lines(trap: Any) -> list[str]:
    """The summary of a `recoverable` trap (a liveness.TrapSummary)."""
    n = f"{trap.states:,} states are" if trap.states != 1 else "1 state is"
    stuck = f"{trap.stuck_states:,} reachable states are" if trap.stuck_states != 1 else "1 reachable state is"
    out = [f"  the trap: {n} reachable from step {trap.entry_step}, none can "
           f"recover ({stuck} stuck in all)"]
    if trap.enabled:
        out.append("    still enabled in the trap: " + ", ".join(trap.enabled))
    if trap.terminal_states:
        out.append(f"    states of the trap without any enabled transition: {trap.terminal_states:,}")
    out.append("    what each instance does there: "
               + "; ".join(f"{i}: {', '.join(s)}" for i, s in trap.instances.items()))
    if trap.fixed:
        out.append("    never changes in the trap: " + ", ".join(f"{k} = {v}" for k, v in trap.fixed))
    bounded = getattr(trap, "bounded", [])
    if bounded:
        out.append("    held back by a bound of the model (with a larger constant the trap may not be one):")
        out.extend(f"      {b}" for b in bounded)
    return out


def liveness_text(live: Any) -> str:
    """How recoverability and liveness were checked (a liveness.LivenessOutcome)."""
    fair = ", ".join(live.fair) if live.fair else "none declared"
    if not live.complete:
        return (f"not decided: building the full state graph stopped ({live.stop_reason}) after "
                f"{live.states:,} states")
    how = {"none": "on the full state graph, without reductions",
           "symmetry": "on the symmetry-reduced state graph (recoverable with symmetric P: exact)",
           "symmetry+none": "recoverable on the symmetry-reduced state graph, the fairness properties on "
                            "the full one"}.get(live.reduction, "on the full state graph, without reductions")
    return f"checked {how} ({live.states:,} states, {live.transitions:,} transitions); weak fairness: {fair}"


def _state_lines(state: dict[str, Any], types: dict[str, Type]) -> list[str]:
    shared = [(k, v) for k, v in state.items() if "." not in k]
    out = []
    if shared:
        out.append(", ".join(f"{k} = {format_value(v, types.get(k))}" for k, v in shared))
    per_instance: dict[str, list[str]] = {}
    for k, v in state.items():
        if "." in k:
            inst, var = k.rsplit(".", 1)
            per_instance.setdefault(inst, []).append(
                format_value(v) if var == "state" else f"{var} = {format_value(v, types.get(k))}")
    for inst, parts in per_instance.items():
        out.append(f"{inst}: " + ", ".join(parts))
    return out


def _change_lines(name: str, old: Any, new: Any, t: Type | None) -> list[str]:
    if isinstance(t, MapT):
        o, n = dict(old), dict(new)
        return [f"{name}[{format_value(k)}]: {format_value(o[k], t.value)} -> {format_value(n[k], t.value)}"
                for k in n if o[k] != n[k]]
    return [f"{name}: {format_value(old, t)} -> {format_value(new, t)}"]


# -------------------------------------------------------------------------------------- JSON


def result_dict(result: CheckResult, *, timing: bool = True) -> dict[str, Any]:
    spec = result.spec
    st = result.stats
    d: dict[str, Any] = {
        "papcheck": __version__,
        "schema": JSON_SCHEMA_VERSION,
        "spec": spec.path,
        "protocol": spec.name,
        "constants": {k: v for k, v in spec.constants.items()},
        "verdict": result.verdict,
        "stop_reason": result.stop_reason,
        "strategy": result.strategy,
        "store": result.store,
        "engine": result.engine,
        "properties": [],
        "model_error": None,
        "expectation": result.expectation,
        "stats": {
            "states": st.states,
            "transitions": st.transitions,
            "depth": st.depth,
            "queue": st.queue,
            "seconds": round(st.seconds, 3) if timing else None,
            "states_per_second": round(st.states_per_second) if timing else None,
            "peak_memory_kb": st.peak_memory_kb if timing else None,
            "bytes_per_state": round(st.bytes_per_state, 1) if timing else None,
        },
        "warnings": [d.message for d in spec.diagnostics.warnings],
        "reductions": _reductions_dict(result),
    }
    d["stats"]["collision_probability"] = collision_probability(result)
    if timing:
        d["stats"]["run"] = timing_dict(result)
    types = spec.model.slot_types()
    for p in result.properties:
        d["properties"].append({
            "name": p.name, "kind": p.kind, "line": p.line, "status": p.status,
            "explanation": p.explanation or None,
            "trace": itf(p.trace, spec.path, types, f"{p.kind} {p.name}: {p.status}") if p.trace else None,
        })
        if p.trap is not None:
            d["properties"][-1]["trap"] = _trap_dict(p.trap)
        if p.status == "unknown" and p.reason:
            d["properties"][-1]["reason"] = p.reason
    if result.liveness is not None:
        lv = result.liveness
        d["liveness"] = {"states": lv.states, "transitions": lv.transitions, "complete": lv.complete,
                         "reduction": lv.reduction, "fair": lv.fair}
    if result.model_error is not None:
        me = result.model_error
        d["model_error"] = {"message": me.message, "line": me.line,
                            "trace": itf(me.trace, spec.path, types, f"model error: {me.message}")}
    return d


def _reductions_dict(result: CheckResult) -> dict[str, Any] | None:
    red = result.reductions
    if red is None:
        return None
    return {"por": red.por, "por_active": red.por_active, "symmetry": red.symmetry,
            "symmetric_machines": red.symmetric_machines, "solver": red.solver,
            "ample_expansions": red.ample_expansions, "full_expansions": red.full_expansions,
            **({"symmetry_notes": red.symmetry_notes} if red.symmetry_notes else {})}


def render_json(result: CheckResult, *, timing: bool = True) -> str:
    return json.dumps(result_dict(result, timing=timing), indent=2, ensure_ascii=False) + "\n"


def _trap_dict(trap: Any) -> dict[str, Any]:
    return {"entry_step": trap.entry_step, "states": trap.states, "stuck_states": trap.stuck_states,
            "terminal_states": trap.terminal_states, "enabled": trap.enabled,
            "instances": trap.instances, "fixed": dict(trap.fixed),
            **({"bounded": trap.bounded} if getattr(trap, "bounded", []) else {})}


# --------------------------------------------------------------------------------------- ITF


def itf(trace: Trace, source: str, types: dict[str, Type], description: str = "") -> dict[str, Any]:
    """A trace in the Informal Trace Format (https://apalache-mc.org/docs/adr/015adr-trace.html).

    Each state's `#meta` carries papcheck's step data: the instance, transition, bindings and spec
    line of the step that produced it.  A failing model-error step has no state and is given in
    the trace's `#meta.failing_step`."""
    states = []
    for step in trace.steps:
        meta: dict[str, Any] = {"index": step.index}
        meta.update(_step_meta(step))
        entry: dict[str, Any] = {"#meta": meta}
        for k, v in step.state.items():
            entry[k] = itf_value(v, types.get(k))
        states.append(entry)
    meta = {"format": "ITF", "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
            "source": source, "description": description}
    if trace.failing_step is not None:
        meta["failing_step"] = _step_meta(trace.failing_step)
    out: dict[str, Any] = {"#meta": meta, "vars": trace.vars, "states": states}
    if trace.loop is not None:
        out["loop"] = trace.loop
    return out


def _step_meta(step: Step) -> dict[str, Any]:
    if step.instance is None:  # with the values chosen by `in` declarations, if any
        return {"action": "init", **({"chosen": {k: itf_value(v, None) for k, v in step.args.items()}}
                                     if step.args else {})}
    return {"action": step.transition, "instance": step.instance,
            "args": {k: itf_value(v, None) for k, v in step.args.items()}, "line": step.line}


def itf_value(v: Any, t: Type | None) -> Any:
    from ..lang.types import ChanT, RecordT
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return {"#bigint": str(v)}
    if isinstance(v, str):
        return v
    if isinstance(v, frozenset):
        return {"#set": [itf_value(x, None) for x in sorted(v, key=lambda x: (isinstance(x, str), x))]}
    if isinstance(t, MapT):
        return {"#map": [[itf_value(k, t.key), itf_value(x, t.value)] for k, x in v]}
    if isinstance(t, RecordT):
        return {k: itf_value(x, ft) for (k, x), (_, ft) in zip(v, t.fields)}
    if isinstance(t, ChanT):
        return [itf_value(x, t.elem) for x in v]
    if isinstance(v, tuple):
        return {"#tup": [itf_value(x, None) for x in v]}
    raise TypeError(f"no ITF form for {v!r}")


def render_itf(trace: Trace, result: CheckResult, description: str = "") -> str:
    types = result.spec.model.slot_types()
    return json.dumps(itf(trace, result.spec.path, types, description), indent=2, ensure_ascii=False) + "\n"
