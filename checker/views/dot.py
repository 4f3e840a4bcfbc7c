"""Graphs of a counterexample in Graphviz DOT: happens-before, the state graph around the trace,
and the whole reachable state graph of a small spec (`papcheck graph`).

* Happens-before: the steps as nodes, one cluster per instance, an edge wherever two steps
  conflict (:mod:`checker.explain.race`; edges implied by others left out).  The deciding pair is drawn
  in orange.  Any reordering of the trace that keeps these edges is also a counterexample, and
  the graph says so.
* States around the trace: the trace's states with the variables each step changed, and from
  every one of them the transitions that were enabled but not taken, faded, ending in the state
  they would have led to (red when it violates an invariant).
* Whole graph: every reachable state (refused above a limit), violating states in red.

A liveness counterexample is a lasso (`trace.loop` set): both trace views draw its cycle in blue
and close it with an edge labelled "loop" back to where it repeats from.

DOT text is always available and deterministic.  SVG, PNG and PDF go through the `graphviz`
package, which needs Graphviz's `dot` program; :func:`convert` raises :class:`RenderError` with
the install command when it is missing.
"""

from __future__ import annotations

import shutil
from collections import deque

from ..api import PropertyResult, Spec
from ..engine.model import ModelError
from ..engine.trace import Trace, build_trace
from ..explain.race import TraceFacts, cell_text
from ..lang.errors import PapcheckError
from ..lang.types import MapT, format_value

GRAPH_LIMIT = 2000
FONT = "DejaVu Sans Mono"
LOOP = "#1c7ed6"  # a lasso's cycle
NOTE = "Any reordering of the trace that respects these edges is also a counterexample."


class RenderError(PapcheckError):
    """A rendering that cannot be made (Graphviz missing, graph too big): a usage error, exit 2."""


def _q(text: str) -> str:
    """A DOT string literal; newlines become left-justified line breaks."""
    t = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + t.replace("\n", "\\l") + ("\\l" if "\n" in text else "") + '"'


def _header(name: str, label: str, rankdir: str = "TB") -> list[str]:
    return [f"digraph {name} {{",
            f'  graph [rankdir={rankdir}, fontname="{FONT}", fontsize=11, labelloc=t, label={_q(label)}];',
            f'  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="{FONT}", fontsize=10];',
            f'  edge [fontname="{FONT}", fontsize=9];']


def _changes(step, types: dict, own: str = "") -> list[str]:
    out: list[str] = []
    for name, old, new in step.changes:
        short = name[len(own) + 1:] if own and name.startswith(own + ".") else name
        t = types.get(name)
        if isinstance(t, MapT):
            o = dict(old)
            out.extend(f"{short}[{format_value(k)}] := {format_value(v, t.value)}" for k, v in new if o[k] != v)
        elif short == "state" and name != short:
            out.append(f"-> {format_value(new)}")
        else:
            out.append(f"{short} := {format_value(new, t)}")
    return out


# ---------------------------------------------------------------------------- happens-before


def hb_dot(spec: Spec, trace: Trace, prop: PropertyResult | None = None,
           facts: TraceFacts | None = None) -> str:
    facts = facts or TraceFacts(spec, trace, prop)
    types = spec.model.slot_types()
    pair = facts.deciding_pair() if prop is not None and prop.status == "violated" else None
    meeting = facts.meeting() if prop is not None else []
    title = f"{spec.name}: happens-before of the {trace.length}-step trace" + (
        f" ({prop.kind} {prop.name} {prop.status})" if prop else "")
    out = _header("happens_before", title)
    lanes: dict[str, list[int]] = {}
    for st in trace.steps[1:]:
        lanes.setdefault(st.instance or "", []).append(st.index)
    last = trace.length
    for n, (inst, ks) in enumerate(lanes.items()):
        out.append(f"  subgraph cluster_{n} {{")
        out.append(f'    label={_q(inst)}; style="rounded"; color="#9ca3af"; fontcolor="#374151";')
        for k in ks:
            st = trace.steps[k]
            lines = [f"{k}: {st.transition}" + (
                "(" + ", ".join(f"{a}={format_value(v)}" for a, v in st.args.items()) + ")" if st.args else "")]
            lines += _changes(st, types, st.instance or "")
            attrs = [f"label={_q(chr(10).join(lines))}"]
            if prop is not None and prop.status == "violated" and k == last and trace.loop is None:
                attrs.append('fillcolor="#fde2e1", color="#c92a2a", penwidth=2')
            elif trace.loop is not None and k > trace.loop:
                attrs.append(f'color="{LOOP}", penwidth=2')
            elif pair is not None and k in (pair.first, pair.second):
                attrs.append('color="#e8590c", penwidth=2')
            out.append(f"    s{k} [{', '.join(attrs)}];")
        out.append("  }")
    for ks in lanes.values():  # keep each instance's steps in program order on the page
        for a, b in zip(ks, ks[1:]):
            out.append(f"  s{a} -> s{b} [style=invis, weight=4];")
    for i, j, cells in facts.hb_reduced():
        inst = trace.steps[i].instance or ""
        same = inst == trace.steps[j].instance
        text = ", ".join(cell_text(c)[len(inst) + 1:] if same and c[0].startswith(inst + ".") else cell_text(c)
                         for c in cells)
        shared = any(facts.is_shared(c) for c in cells)
        if pair is not None and (i, j) == (pair.first, pair.second):
            out.append(f'  s{i} -> s{j} [label={_q(text + " (decides)" if pair.decides else text)}, '
                       'color="#e8590c", fontcolor="#e8590c", penwidth=2.5];')
        elif shared:
            out.append(f"  s{i} -> s{j} [label={_q(text)}];")
        else:
            out.append(f'  s{i} -> s{j} [label={_q(text)}, color="#9ca3af", fontcolor="#9ca3af"];')
    if pair is not None and (pair.first, pair.second) not in {(i, j) for i, j, _ in facts.hb_reduced()}:
        out.append(f'  s{pair.first} -> s{pair.second} [label={_q(cell_text(pair.cell) + " (decides)")}, '
                   'color="#e8590c", fontcolor="#e8590c", penwidth=2.5, constraint=false];')
    writers = sorted({w for _, w in meeting if w})
    if len(writers) == 2 and not facts.conflict_cells(*writers):
        a, b = writers
        out.append(f'  s{a} -> s{b} [dir=none, style=dashed, color="#c92a2a", fontcolor="#c92a2a", '
                   f'constraint=false, label={_q("meet in " + prop.name)}];')  # type: ignore[union-attr]
    if trace.loop is not None and trace.loop < last:
        out.append(f'  s{last} -> s{trace.loop + 1} [label="loop", color="{LOOP}", fontcolor="{LOOP}", '
                   'style=bold, constraint=false];')
    note = NOTE
    if trace.loop is not None:
        note += "\n" + _loop_note(trace)
    if pair is not None:
        note += (f"\nOrange: steps {pair.first} and {pair.second} conflict on {cell_text(pair.cell)}"
                 + ("; swapping them avoids the violation." if pair.decides else "."))
    out.append(f'  note [shape=note, style=filled, fillcolor="#fffbe6", label={_q(note)}];')
    out.append("}")
    return "\n".join(out) + "\n"


def _loop_note(trace: Trace) -> str:
    """What the blue "loop" edge means, in words."""
    last = len(trace.steps) - 1
    if trace.loop == last:
        return f"Blue: the run stops after step {last} (no transition is enabled); that state repeats for ever."
    return (f"Blue: steps {trace.loop + 1}..{last} form a cycle; after step {last} the state is again the "  # type: ignore[operator]
            f"one after step {trace.loop}, so the cycle repeats for ever.")


# ------------------------------------------------------------------ states around the trace


def states_dot(spec: Spec, trace: Trace, prop: PropertyResult | None = None,
               facts: TraceFacts | None = None) -> str:
    facts = facts or TraceFacts(spec, trace, prop)
    model = spec.model
    types = model.slot_types()
    packed = facts.packed()
    index = {s: k for k, s in enumerate(packed)}
    title = f"{spec.name}: the states of the trace, and the transitions not taken (faded)"
    out = _header("states", title)
    props = [p.name for p in spec.checked.properties]
    for k, st in enumerate(trace.steps):
        lines = [st.action_text()] if k == 0 else [f"after step {k}"] + _changes(st, types)
        attrs = [f"label={_q(chr(10).join(lines))}"]
        bad = model.violated_invariant(packed[k])
        if bad >= 0:
            attrs.append('fillcolor="#fde2e1", color="#c92a2a", penwidth=2')
        elif trace.loop is not None and k >= trace.loop:
            attrs.append(f'color="{LOOP}", penwidth=2')
        else:
            attrs.append('penwidth=1.5')
        out.append(f"  t{k} [{', '.join(attrs)}];")
    for k in range(1, len(trace.steps)):
        cyc = f', color="{LOOP}"' if trace.loop is not None and k > trace.loop else ""
        out.append(f"  t{k - 1} -> t{k} [label={_q(trace.steps[k].action_text())}, penwidth=2, weight=10{cyc}];")
    if trace.loop is not None:
        # the lasso's last state is the loop state again (or, when the run stops, repeats itself)
        out.append(f'  t{len(trace.steps) - 1} -> t{trace.loop} [label="loop", color="{LOOP}", fontcolor="{LOOP}", '
                   'penwidth=2, style=bold, constraint=false];')
        out.append(f'  loop_note [shape=note, style=filled, fillcolor="#e7f0ff", label={_q(_loop_note(trace))}];')
    alt = 0
    for k in range(len(trace.steps) - 1):
        try:
            succs = model.labeled_successors(packed[k])
        except ModelError:
            continue
        for lab, u in succs:
            if k + 1 < len(packed) and u == packed[k + 1] and lab.action == trace.steps[k + 1].action:
                continue
            one = build_trace(model, [packed[k], u], [lab]).steps[1]
            text = one.action_text()
            if u in index:
                out.append(f'  t{k} -> t{index[u]} [label={_q(text)}, color="#c0c4cc", fontcolor="#9ca3af", '
                           'style=dashed, constraint=false];')
                continue
            alt += 1
            bad = model.violated_invariant(u)
            lines = _changes(one, types) or ["(no change)"]
            if bad >= 0:
                lines.append(f"violates {props[bad]}")
                style = 'color="#e03131", fontcolor="#c92a2a", fillcolor="#fff5f5"'
            else:
                style = 'color="#c0c4cc", fontcolor="#9ca3af"'
            out.append(f"  a{alt} [label={_q(chr(10).join(lines))}, {style}, fontsize=8];")
            out.append(f'  t{k} -> a{alt} [label={_q(text)}, color="#c0c4cc", fontcolor="#9ca3af", style=dashed];')
    out.append("}")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------ the whole graph


def graph_dot(spec: Spec, limit: int = GRAPH_LIMIT, full_labels: bool = False) -> str:
    """Every reachable state and transition of a small spec."""
    model = spec.model
    order: dict = {}
    edges: list[tuple[int, int, str]] = []
    frontier: deque[int] = deque()
    for s0 in model.initial_states():
        if s0 not in order:
            order[s0] = len(order)
            frontier.append(s0)
    initial = len(order)  # states 0 .. initial-1 are the initial states, all drawn bold
    errors: dict[int, str] = {}
    while frontier:
        s = frontier.popleft()
        try:
            succs = model.labeled_successors(s)
        except ModelError:
            errors[order[s]] = "model error"
            continue
        for lab, t in succs:
            if t not in order:
                if len(order) >= limit:
                    raise RenderError(
                        f"{spec.path} has more than {limit:,} reachable states; `papcheck graph` draws "
                        "small specs only: lower the constants with -D (for example -D ENACTORS=2 "
                        "-D PLANS=3), or raise --max-states")
                order[t] = len(order)
                frontier.append(t)
            act = model.actions[lab.action]
            edges.append((order[s], order[t], f"{act.instance_name} {act.transition.name}"))
    props = [p.name for p in spec.checked.properties]
    types = model.slot_types()
    out = _header("state_graph", f"{spec.name}: all {len(order):,} reachable states "
                  f"({len(edges):,} transitions); red: violates an invariant", "TB")
    for s, n in order.items():
        values = model.decode(s)
        bad = model.violated_invariant(s)
        tip = _state_text(values, types)
        label = tip if full_labels else str(n)
        attrs = [f"label={_q(label)}", f"tooltip={_q(tip)}"]
        if n < initial:
            attrs.append("penwidth=2.5")
        if bad >= 0:
            attrs.append('fillcolor="#ffc9c9", color="#c92a2a"')
            attrs[0] = f"label={_q(label + chr(10) + props[bad])}"
        elif n in errors:
            attrs.append('fillcolor="#ffe8cc", color="#e8590c"')
        elif not model.successors(s) and not model.is_final(s):
            attrs.append('fillcolor="#ffe8cc", color="#e8590c"')
        out.append(f"  n{n} [{', '.join(attrs)}];")
    for a, b, text in edges:
        out.append(f"  n{a} -> n{b} [label={_q(text)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _state_text(values: dict, types: dict) -> str:
    shared = [f"{k} = {format_value(v, types.get(k))}" for k, v in values.items() if "." not in k]
    per: dict[str, list[str]] = {}
    for k, v in values.items():
        if "." in k:
            inst, var = k.rsplit(".", 1)
            per.setdefault(inst, []).append(format_value(v) if var == "state" else
                                            f"{var}={format_value(v, types.get(k))}")
    return "\n".join([", ".join(shared)] + [f"{i}: {' '.join(p)}" for i, p in per.items()])


# ------------------------------------------------------------------------------ conversion


def have_dot() -> bool:
    return shutil.which("dot") is not None


def convert(dot: str, fmt: str) -> bytes:
    """DOT text to svg, png or pdf through Graphviz."""
    if not have_dot():
        raise RenderError(f"--to {fmt} needs Graphviz's `dot` program, which is not installed: "
                          "install it with `apt-get install graphviz` (or `brew install graphviz`), "
                          "or use --to dot")
    import graphviz
    try:
        return graphviz.Source(dot).pipe(format=fmt)
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as e:
        raise RenderError(f"Graphviz failed: {e}") from None
