"""The sequence chart of a trace, drawn directly as SVG (no Graphviz needed).

One lane per machine instance that acts in the trace, then one lane per shared object it touches:
each map entry (`record[0]`), each other shared variable (`purged`, `latest`, a channel).  Each
step is a row: a box on the acting instance's lane with the transition's name, a dashed arrow from
every object the step read (with the value it saw) and a solid arrow to every object it changed
(with the new value); its own variables' changes go in the notes column on the right.  The
violating step is shaded, the deciding pair of conflicting steps drawn in orange, and the final
state closes the chart with the values the failed property read marked.  A liveness
counterexample is a lasso (`trace.loop` set): its cycle's rows get a blue band and, on the right,
a bracket with the return arrow labelled "repeats for ever" (a run that stops is marked on its
final state instead).

Each step is a `<g class="step" data-step="N">` so the HTML report can highlight it.  The output
is deterministic: integer coordinates, fixed fonts, no ids from memory addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from ..api import PropertyResult, Spec
from ..engine.trace import Trace
from ..explain.race import Cell, TraceFacts, cell_text, fails_text
from ..lang.types import MapT, format_value
from ..reduce.footprint import ANY

CHAR = 7.3  # advance of one character of the 12px monospace font, a little generous
FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
ROW = 30  # height of a step with one arrow
SUB = 16  # extra height per further arrow
HEAD = 58
LEFT = 44  # the step-number column


def _w(text: str) -> int:
    return int(len(text) * CHAR + 0.999)


def _a(text: Any) -> str:
    return escape(str(text), {'"': "&quot;"})


@dataclass
class _Arrow:
    cell: Cell
    kind: str  # "read" or "write"
    label: str
    hot: bool = False  # part of the deciding pair or of the meeting: drawn in colour


@dataclass
class _Row:
    index: int
    instance: str
    title: str
    arrows: list[_Arrow] = field(default_factory=list)
    notes: str = ""
    violating: bool = False
    failing: bool = False
    deciding: bool = False


def sequence_svg(spec: Spec, trace: Trace, prop: PropertyResult | None = None,
                 facts: TraceFacts | None = None, error: str = "") -> str:
    """The sequence chart of `trace` (about property `prop`, or a model error `error`)."""
    facts = facts or TraceFacts(spec, trace, prop)
    types = spec.model.slot_types()
    pair = facts.deciding_pair() if prop is not None and prop.status == "violated" else None
    meeting = dict(facts.meeting()) if prop is not None else {}
    hot_cells = {c for c in meeting}

    # ---- lanes
    order = {m.name: k for k, m in enumerate(spec.checked.machines)}
    inst_lanes: list[str] = []
    for st in trace.steps[1:] + ([trace.failing_step] if trace.failing_step else []):
        if st.instance and st.instance not in inst_lanes:
            inst_lanes.append(st.instance)
    inst_lanes.sort(key=lambda n: (order.get(n.split("[")[0], 0), _idx(n)))

    # a machine's local that another instance or the property reads gets a lane, as shared data
    exposed = _exposed_locals(facts)

    def lane(c: Cell) -> bool:
        return facts.is_shared(c) or c[0] in exposed

    rows: list[_Row] = []
    used: set[Cell] = set()
    for k, st in enumerate(trace.steps[1:], start=1):
        f = facts.steps[k]
        row = _Row(k, st.instance or "", st.transition + _args(st.args))  # type: ignore[operator]  # every step after the first has one
        pre = trace.steps[k - 1].state
        reads: dict[Cell, Any] = {}
        for chk in f.checks:
            for label, v in chk.reads.items():
                c = facts.label_cell(label)
                if c is not None and lane(c) and c[1] != ANY:
                    reads.setdefault(c, v)
        for c in sorted(f.reads, key=cell_text):
            if not lane(c):
                continue
            if c[1] == ANY:
                if any(r[0] == c[0] for r in reads):
                    continue  # the check showed which entries it read
                for key in _keys(spec, c[0]):
                    reads.setdefault((c[0], key), _value(pre, (c[0], key)))
            else:
                reads.setdefault(c, _value(pre, c))
        writes = [c for c in f.changed if lane(c)]
        for c in sorted(reads, key=_cell_key(spec)):
            if c in writes:
                continue
            hot = pair is not None and k in (pair.first, pair.second) and c == pair.cell
            row.arrows.append(_Arrow(c, "read", format_value(reads[c], types.get(c[0]) if c[1] is None else None), hot))
            used.add(c)
        post = st.state
        for c in sorted(writes, key=_cell_key(spec)):
            hot = (pair is not None and k in (pair.first, pair.second) and c == pair.cell) or (
                meeting.get(c) == k)
            vt = types.get(c[0])
            shown = _value(post, c)
            row.arrows.append(_Arrow(c, "write", ":= " + format_value(
                shown, vt.value if isinstance(vt, MapT) else vt), hot))
            used.add(c)
        own = [(n, o, v) for n, o, v in st.changes if n.startswith((st.instance or "") + ".")
               and n not in exposed]
        notes = []
        for n, o, v in own:
            short = n[len(st.instance or "") + 1:]
            notes.append(f"now {format_value(v)}" if short == "state" else
                         f"{short} {format_value(o, types.get(n))}→{format_value(v, types.get(n))}")
        row.notes = ", ".join(notes)
        row.deciding = pair is not None and k in (pair.first, pair.second)
        rows.append(row)
    # a lasso is violated by its whole cycle, not by its last step
    if prop is not None and prop.status == "violated" and prop.kind != "deadlock_free" and rows and \
            trace.loop is None:
        rows[-1].violating = True
    if trace.failing_step is not None:
        fs = trace.failing_step
        rows.append(_Row(fs.index, fs.instance or "", fs.transition + _args(fs.args),  # type: ignore[operator]  # a failing step is a transition
                         notes=f"fails: {error}" if error else "fails", failing=True))
    for c, _ in meeting.items():
        if lane(c):
            used.add(c)

    obj_lanes = sorted(used, key=_cell_key(spec))
    final = trace.last_state
    init = trace.steps[0].state

    # ---- geometry
    lanes = [("inst", n) for n in inst_lanes] + [("obj", cell_text(c)) for c in obj_lanes]
    widths = []
    for kind, name in lanes:
        w = _w(name) + 24
        if kind == "obj":
            c = obj_lanes[[cell_text(x) for x in obj_lanes].index(name)]
            w = max(w, _w("= " + _fmt(init, c, types)) + 16, _w(_fmt(final, c, types)) + 34)
        widths.append(max(w, 92))
    label_need = [0] * len(lanes)
    for row in rows:
        if row.instance in inst_lanes:
            i = inst_lanes.index(row.instance)
            label_need[i] = max(label_need[i], _w(row.title) + 20)
        for ar in row.arrows:
            j = len(inst_lanes) + obj_lanes.index(ar.cell)
            label_need[j] = max(label_need[j], _w(ar.label) + 20)
    xs: list[int] = []
    x = LEFT
    for i, w in enumerate(widths):
        w = max(w, label_need[i])
        xs.append(x + w // 2)
        x += w + 14
    notes_x = x + 6
    notes_w = max([_w(r.notes) for r in rows] + [_w("final state"), 120]) + 20
    width = notes_x + notes_w
    loop_x = width  # the lasso's bracket column, right of the notes
    loop_label = ""
    if trace.loop is not None:
        stops = trace.loop == trace.length
        loop_label = "stops here: repeats for ever" if stops else "repeats for ever"
        width += 26 + _w(loop_label) + 10
    lane_x = {name: xs[i] for i, (_, name) in enumerate(lanes)}

    y = HEAD + 20
    row_y: list[tuple[int, int]] = []
    for row in rows:
        h = ROW + SUB * max(0, len(row.arrows) - 1)
        row_y.append((y, h))
        y += h
    final_y = y + 14
    final_h = 40
    footer = []
    if prop is not None and prop.explanation:
        footer.append(fails_text(prop))
    elif prop is not None and prop.status == "witnessed":
        footer.append(f"the last state satisfies {prop.name}")
    if pair is not None:
        a, b = pair.first, pair.second
        footer.append(f"orange: steps {a} and {b} conflict on {cell_text(pair.cell)}" +
                      ("; their order decides the outcome" if pair.decides else ""))
    if trace.loop is not None and trace.loop == trace.length:
        footer.append(f"the run stops after step {trace.loop} (no transition is enabled): its final state "
                      "repeats for ever")
    elif trace.loop is not None:
        footer.append(f"blue band: steps {trace.loop + 1}..{trace.length} form a cycle; after step "
                      f"{trace.length} the state is again the one after step {trace.loop}, and the cycle "
                      "repeats for ever")
    footer.append("solid arrow: the step changed the object (new value); dashed: it read it (value seen)")
    foot_y = final_y + final_h + 24
    height = foot_y + 18 * len(footer) + 6
    width = max(width, max(_w(t) for t in footer) + LEFT + 10)

    # ---- drawing
    out: list[str] = []
    title = f"{spec.name}: " + (f"{prop.kind} {prop.name} {prop.status}" if prop else
                                ("model error" if trace.failing_step is not None else "trace"))
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" class="papcheck-sequence" width="{width}" '
               f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12">')
    out.append(f"<title>{_a(title)}</title>")
    out.append("<style>"
               ".lane{stroke:#b8c0cc;stroke-width:1;stroke-dasharray:3 3}"
               ".row-bg{fill:transparent}"
               ".step.violating .row-bg{fill:#fde2e1}"
               ".step.failing .row-bg{fill:#fde2e1}"
               ".step.current .row-bg{fill:#fff1a8}"
               ".step.current .act{stroke:#111;stroke-width:2}"
               ".act{fill:#dbe8fb;stroke:#4a78c2}"
               ".head-inst{fill:#4a78c2}.head-obj{fill:#6b7280}"
               ".w{stroke:#1f2937;stroke-width:1.4;fill:none}"
               ".r{stroke:#6b7280;stroke-width:1.1;stroke-dasharray:4 3;fill:none}"
               ".hot{stroke:#e8590c;stroke-width:2.2}"
               ".lbl{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}"
               ".num{fill:#374151}.num.hotnum{fill:#e8590c;font-weight:bold}"
               ".bad{fill:#fde2e1;stroke:#c92a2a;stroke-width:2}"
               ".fin{fill:#f3f4f6;stroke:#9ca3af}"
               + (".loop-band{fill:#e7f0ff}.loop-mark{stroke:#1c7ed6;stroke-width:1.6;fill:none}"
                  if trace.loop is not None else "") +
               "</style>")
    out.append("<defs>"
               '<marker id="ah" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
               'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#1f2937"/></marker>'
               '<marker id="ahr" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
               'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#6b7280"/></marker>'
               '<marker id="ahh" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
               'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#e8590c"/></marker>'
               + ('<marker id="ahl" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
                  'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#1c7ed6"/></marker>'
                  if trace.loop is not None else "") +
               "</defs>")
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')
    out.append(f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{_a(title)}</text>')
    # lane lines and headers
    for i, (kind, name) in enumerate(lanes):
        cx = xs[i]
        out.append(f'<line class="lane" x1="{cx}" y1="{HEAD + 8}" x2="{cx}" y2="{final_y}"/>')
        w = _w(name) + 16
        cls = "head-inst" if kind == "inst" else "head-obj"
        tip = _doc(spec, name) if kind == "obj" else ""
        out.append(f'<g class="lane-head" data-lane="{_a(name)}">' + (f"<title>{_a(tip)}</title>" if tip else ""))
        out.append(f'<rect class="{cls}" x="{cx - w // 2}" y="28" width="{w}" height="22" rx="4"/>')
        out.append(f'<text x="{cx}" y="43" text-anchor="middle" fill="#ffffff">{_a(name)}</text>')
        if kind == "obj":
            c = obj_lanes[i - len(inst_lanes)]
            out.append(f'<text x="{cx}" y="{HEAD + 6}" text-anchor="middle" fill="#6b7280" font-size="11">'
                       f'{_a("= " + _fmt(init, c, types))}</text>')
        out.append("</g>")
    out.append(f'<text x="{notes_x}" y="43" fill="#6b7280">own variables</text>')
    if trace.loop is not None:
        out.extend(_loop_marks(trace, rows, row_y, (final_y + 4, final_y + 36), width, loop_x, loop_label))
    # rows
    for row, (ry, rh) in zip(rows, row_y):
        classes = ["step"] + (["violating"] if row.violating else []) + (["failing"] if row.failing else []) + (
            ["deciding"] if row.deciding else [])
        out.append(f'<g class="{" ".join(classes)}" id="step-{row.index}" data-step="{row.index}">')
        out.append(f'<rect class="row-bg" x="0" y="{ry}" width="{width}" height="{rh}"/>')
        num_cls = "num hotnum" if row.deciding else "num"
        out.append(f'<text class="{num_cls}" x="{LEFT - 8}" y="{ry + 19}" text-anchor="end">{row.index}</text>')
        ix = lane_x.get(row.instance, LEFT)
        bw = _w(row.title) + 12
        box_h = rh - 8
        out.append(f'<rect class="act" x="{ix - bw // 2}" y="{ry + 4}" width="{bw}" height="{box_h}" rx="3"/>')
        out.append(f'<text x="{ix}" y="{ry + 4 + box_h // 2 + 4}" text-anchor="middle">{_a(row.title)}</text>')
        for n, ar in enumerate(row.arrows):
            ay = ry + 15 + SUB * n
            ox = lane_x[cell_text(ar.cell)]
            start = ix + bw // 2 if ox > ix else ix - bw // 2
            hot = " hot" if ar.hot else ""
            if ar.kind == "write":
                marker = "ahh" if ar.hot else "ah"
                out.append(f'<line class="w{hot}" x1="{start}" y1="{ay}" x2="{ox - 3 if ox > ix else ox + 3}" '
                           f'y2="{ay}" marker-end="url(#{marker})"/>')
                out.append(f'<circle cx="{ox}" cy="{ay}" r="3" fill="{"#e8590c" if ar.hot else "#1f2937"}"/>')
                tx = ox - 16 if ox > ix else ox + 16
                anchor = "end" if ox > ix else "start"
            else:
                marker = "ahh" if ar.hot else "ahr"
                out.append(f'<line class="r{hot}" x1="{ox}" y1="{ay}" x2="{start + 2 if ox > ix else start - 2}" '
                           f'y2="{ay}" marker-end="url(#{marker})"/>')
                out.append(f'<circle cx="{ox}" cy="{ay}" r="2.5" fill="#ffffff" stroke="#6b7280"/>')
                tx = ox - 8 if ox > ix else ox + 8
                anchor = "end" if ox > ix else "start"
            fill = "#e8590c" if ar.hot else ("#111827" if ar.kind == "write" else "#4b5563")
            out.append(f'<text class="lbl" x="{tx}" y="{ay - 4}" text-anchor="{anchor}" fill="{fill}" '
                       f'font-size="11">{_a(ar.label)}</text>')
        note = row.notes
        if row.violating and prop is not None:
            note = (note + "  " if note else "") + f"✗ {prop.name}"
        if note:
            color = "#c92a2a" if row.violating or row.failing else "#374151"
            out.append(f'<text x="{notes_x}" y="{ry + 19}" fill="{color}">{_a(note)}</text>')
        out.append("</g>")
    # final state
    out.append(f'<g class="final-state" data-step="{trace.length}">')
    out.append(f'<text x="{LEFT - 8}" y="{final_y + 24}" text-anchor="end" fill="#374151">end</text>')
    for i, (kind, name) in enumerate(lanes):
        cx = xs[i]
        if kind == "inst":
            text = format_value(final.get(f"{name}.state", ""))
        else:
            c = obj_lanes[i - len(inst_lanes)]
            text = _fmt(final, c, types)
        bad = kind == "obj" and obj_lanes[i - len(inst_lanes)] in hot_cells and prop is not None and \
            prop.status == "violated"
        label = text + (" ✗" if bad else "")
        w = max(_w(label) + 16, 40)
        out.append(f'<rect class="{"bad" if bad else "fin"}" x="{cx - w // 2}" y="{final_y + 8}" width="{w}" '
                   f'height="24" rx="4"/>')
        fill = ' fill="#c92a2a"' if bad else ""
        out.append(f'<text x="{cx}" y="{final_y + 24}" text-anchor="middle"{fill}>{_a(label)}</text>')
    out.append(f'<text x="{notes_x}" y="{final_y + 24}" fill="#6b7280">final state</text>')
    out.append("</g>")
    for n, text in enumerate(footer):
        color = "#c92a2a" if n == 0 and prop is not None and prop.status == "violated" else "#374151"
        out.append(f'<text x="{LEFT}" y="{foot_y + 18 * n}" fill="{color}">{_a(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _loop_marks(trace: Trace, rows: list[_Row], row_y: list[tuple[int, int]], final: tuple[int, int],
                width: int, loop_x: int, label: str) -> list[str]:
    """The lasso's cycle: a band behind its rows (drawn before them, so under their boxes), a
    bracket on the right and the arrow that returns from the cycle's last row to its first."""
    loop = trace.loop
    assert loop is not None
    span = [ry_h for row, ry_h in zip(rows, row_y) if loop < row.index <= trace.length and not row.failing]
    if loop == trace.length or not span:  # the run stops: its final state repeats
        top, bottom = final
    else:
        top, bottom = span[0][0], span[-1][0] + span[-1][1]
    bx, ex = loop_x + 6, loop_x + 18
    back = (f"back to step {loop}" if loop < trace.length else "no transition enabled")
    return [f'<g class="loop" data-loop="{loop}"><title>{_a(label + ": " + back)}</title>',
            f'<rect class="loop-band" x="0" y="{top}" width="{width}" height="{bottom - top}"/>',
            f'<path class="loop-mark" d="M{bx},{bottom - 4}H{ex}V{top + 4}H{bx + 2}" marker-end="url(#ahl)"/>',
            f'<text x="{ex + 8}" y="{(top + bottom) // 2 + 4}" fill="#1c7ed6">{_a(label)}</text>',
            "</g>"]


def _idx(name: str) -> int:
    if name.endswith("]") and "[" in name:
        try:
            return int(name[name.rindex("[") + 1:-1])
        except ValueError:
            return 0
    return 0


def _args(args: dict) -> str:
    return "(" + ", ".join(f"{k}={format_value(v)}" for k, v in args.items()) + ")" if args else ""


def _keys(spec: Spec, var: str) -> list[str]:
    t = spec.model.slot_types().get(var)
    if isinstance(t, MapT):
        return [format_value(k) for k in t.key.values()]  # type: ignore[attr-defined]
    return []


def _value(state: dict, c: Cell) -> Any:
    v = state[c[0]]
    if c[1] is None or c[1] == ANY:
        return v
    return dict((format_value(k), x) for k, x in v)[c[1]]


def _fmt(state: dict, c: Cell, types: dict) -> str:
    t = types.get(c[0])
    v = _value(state, c)
    if c[1] is not None and isinstance(t, MapT):
        return format_value(v, t.value)
    return format_value(v, t)


def _exposed_locals(facts: TraceFacts) -> set[str]:
    """Machine-local slots (`Edge[0].serving`) that a step of another instance, or the property,
    reads in this trace."""
    out: set[str] = set()
    for f in facts.steps[1:]:
        for c in f.reads:
            slot = facts.slots.get(c[0])
            if slot is not None and slot.machine is not None and not c[0].startswith(f.instance + "."):
                out.add(c[0])
    for label in facts.property_reads:
        c = facts.label_cell(label)
        slot = facts.slots.get(c[0]) if c is not None else None
        if slot is not None and slot.machine is not None and not c[0].endswith(".state"):  # type: ignore[index]  # mypy: slot is None when c is
            out.add(c[0])  # type: ignore[index]  # mypy: slot is None when c is
    return out


def _cell_key(spec: Spec):
    """Shared variables in declaration order, map entries in key order."""
    order = {s.display: i for i, s in enumerate(spec.model.layout.slots)}

    def key(c: Cell):
        keys = _keys(spec, c[0])
        return (order.get(c[0], 1 << 30), keys.index(c[1]) if c[1] in keys else -1, c[1] or "")
    return key


def _doc(spec: Spec, lane: str) -> str:
    base = lane.split("[")[0]
    for v in spec.checked.shared:
        if v.name == base:
            return v.decl.doc
    return ""
