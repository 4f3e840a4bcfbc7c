"""A counterexample told in plain English (`papcheck explain`, `check --explain`).

First the story: one sentence per step, built from the transition's doc comment (`## the Enactor
picks the newest plan ...` becomes "Enactor[0] picks the newest plan ...") and the values it
changed.  Then the analysis, from :mod:`checker.explain.race`: where the property breaks and who last
wrote what it reads, the pair of conflicting steps whose order decides the outcome (confirmed by
replaying the trace with the two swapped), what each instance believed when it last checked
(a guard whose values another instance changed since), and the values the property failed on.

Pure functions from a result to text; the CLI prints.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from ..api import CheckResult, PropertyResult
from ..engine.trace import Step, Trace
from ..lang.outputs import counted
from ..lang.types import MapT, Type, format_value
from .minimize import Minimized
from .race import Cell, TraceFacts, cell_text, fails_text, overlap, schedule, switch_count

WIDTH = 100


@dataclass
class Explanation:
    header: str
    title: str  # what the trace shows: "invariant endpoint_has_ips is violated (line 69)"
    doc: str = ""
    summary: str = ""  # length, context switches, minimization
    story: list[tuple[int, str]] = field(default_factory=list)  # (step index, sentence)
    schedule: str = ""
    analysis: list[str] = field(default_factory=list)  # paragraphs

    def text(self) -> str:
        out = [self.header, "", self.title]
        if self.doc:
            out.append(_wrap(self.doc, "  ", "  "))
        if self.story:
            out += ["", self.summary]
            for i, sentence in self.story:
                lead = f"{i:>4}. "
                out.append(_wrap(sentence, lead, " " * len(lead)))
            if self.schedule:
                out.append(_wrap(self.schedule, "  ", "    "))
        if self.analysis:
            out += ["", "Why:"]
            for para in self.analysis:
                out.append(_wrap(para, "  - ", "    "))
        return "\n".join(out) + "\n"


def _wrap(text: str, first: str, rest: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False, break_long_words=False)


def header(result: CheckResult) -> str:
    spec = result.spec
    consts = " ".join(f"{k}={format_value(v)}" for k, v in spec.constants.items())
    return f"papcheck: {spec.path}: protocol {spec.name}" + (f" ({consts})" if consts else "")


def pick_property(result: CheckResult, name: str | None = None) -> PropertyResult | None:
    """The property whose trace to explain or draw: `name`, else the first violated one."""
    if name is not None:
        return next((p for p in result.properties if p.name == name), None)
    return next((p for p in result.properties if p.status == "violated" and p.trace is not None), None)


# ------------------------------------------------------------------------------------ story


def step_sentence(step: Step, types: dict[str, Type], machine: str) -> str:
    """ "Enactor[0] picks the newest plan ...: plan 0 -> 2, now applying." """
    inst = step.instance or ""
    args = ", ".join(f"{k} = {format_value(v)}" for k, v in step.args.items())
    doc = step.doc.strip().rstrip(".")
    lead = f"the {machine.lower()} "
    if doc.lower().startswith(lead):
        head = f"{inst} {doc[len(lead):]}" + (f" (with {args})" if args else "")
    else:
        head = f"{inst} {step.transition}" + (f"({args})" if args else "") + (f": {doc}" if doc else "")
    changes = change_phrases(step, types, own=inst)
    return head + (" -- " + ", ".join(changes) if changes else " (nothing changes)") + "."


def change_phrases(step: Step, types: dict[str, Type], own: str = "") -> list[str]:
    out = []
    for name, old, new in step.changes:
        short = name[len(own) + 1:] if own and name.startswith(own + ".") else name
        t = types.get(name)
        if short == "state" and name != short:
            out.append(f"now {format_value(new)}")
        elif isinstance(t, MapT):
            o = dict(old)
            out.extend(f"{short}[{format_value(k)}] {format_value(o[k], t.value)} -> {format_value(v, t.value)}"
                       for k, v in new if o[k] != v)
        else:
            out.append(f"{short} {format_value(old, t)} -> {format_value(new, t)}")
    return out


def _machine_of(result: CheckResult, step: Step) -> str:
    if step.action is None:
        return ""
    return result.spec.model.actions[step.action].machine.name


def story(result: CheckResult, trace: Trace) -> list[tuple[int, str]]:
    types = result.spec.model.slot_types()
    out = [(s.index, step_sentence(s, types, _machine_of(result, s))) for s in trace.steps[1:]]
    first = trace.steps[0]
    if first.args:  # `var x: T in D`: which initial state the run starts from
        out.insert(0, (0, "It starts where " + ", ".join(f"{k} = {format_value(v, types.get(k))}"
                                                        for k, v in first.args.items())
                       + " (values chosen by `in` declarations)."))
    if trace.failing_step is not None and result.model_error is not None:
        f = trace.failing_step
        out.append((f.index, f"{f.action_text()} fails: {result.model_error.message} "
                             f"(line {result.model_error.line})."))
    return out


def schedule_text(trace: Trace) -> str:
    runs = schedule(trace)
    if len(runs) < 2:
        return ""
    parts = [f"{inst} {a}" if a == b else f"{inst} {a}-{b}" for inst, a, b in runs]
    return "Schedule: " + ", ".join(parts) + "."


# --------------------------------------------------------------------------------- analysis


def _steps_by(facts: TraceFacts, steps: list[int]) -> str:
    """ "Planner at steps 3, 4, 5 and Enactor[1] at step 9" """
    groups: dict[str, list[int]] = {}
    for k in steps:
        groups.setdefault(facts.steps[k].instance, []).append(k)
    parts = [f"{inst} at step{'s' if len(ks) > 1 else ''} {', '.join(map(str, ks))}"
             for inst, ks in groups.items()]
    return " and ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else parts[0]


def _values(reads: dict, types: dict[str, Type]) -> str:
    return ", ".join(f"{k} = {format_value(v, types.get(k))}" for k, v in reads.items())


def _touch(facts: TraceFacts, k: int, c: Cell) -> str:
    """How step k touches cell c: "writes record[0] (5 -> 2)" or "reads record[0]"."""
    step = facts.trace.steps[k]
    if any(overlap(c, x) for x in facts.steps[k].writes):
        for name, old, new in step.changes:
            if name != c[0]:
                continue
            if c[1] is None:
                return f"writes {cell_text(c)} ({format_value(old)} -> {format_value(new)})"
            o, n = dict((format_value(a), b) for a, b in old), dict((format_value(a), b) for a, b in new)
            if c[1] in o and o[c[1]] != n[c[1]]:
                return f"writes {cell_text(c)} ({format_value(o[c[1]])} -> {format_value(n[c[1]])})"
        return f"writes {cell_text(c)}"
    for chk in facts.steps[k].checks:
        for label, v in chk.reads.items():
            if facts.label_cell(label) == c:
                return f"reads {cell_text(c)} = {format_value(v)} in its check `{chk.text}`"
    return f"reads {cell_text(c)}"


def _who(facts: TraceFacts, k: int) -> str:
    s = facts.trace.steps[k]
    return f"{s.instance}'s {s.transition} at step {k}"


def analysis(result: CheckResult, prop: PropertyResult, facts: TraceFacts) -> list[str]:
    types = result.spec.model.slot_types()
    paras: list[str] = []
    meeting = facts.meeting()
    involved: list[str] = []
    if meeting:
        parts = []
        for c, w in meeting:
            label = cell_text(c)
            value = facts.property_reads.get(label)
            shown = f"{label} = {format_value(value, types.get(label))}" if value is not None else label
            if w == 0:
                parts.append(f"{shown} (its initial value)")
            else:
                parts.append(f"{shown} (last written by {_who(facts, w)})")
                if facts.steps[w].instance not in involved:
                    involved.append(facts.steps[w].instance)
        lead = "Where it breaks: " + prop.name + " reads " + "; ".join(parts) + "."
        if len(involved) > 1:
            lead += f" The writes of {' and '.join(involved)} meet here."
            writers = sorted({w for _, w in meeting if w})
            if len(writers) == 2 and not facts.conflict_cells(*writers):
                lead += (f" Steps {writers[0]} and {writers[1]} share no variable, so nothing"
                         " orders them")
                if facts.ends_violated(facts.swapped(*writers)):
                    lead += ", and swapping them still breaks the property: no order of the two is safe"
                lead += "."
        paras.append(lead)
    pair = facts.deciding_pair()
    if pair is not None and not pair.decides:
        # the conflict on what the property reads is not what decides it: say what is, if any
        a, b, c = pair.first, pair.second, pair.cell
        conflict = (f"{_who(facts, a)} {_touch(facts, a, c)}, and later {_who(facts, b)} "
                    f"{_touch(facts, b, c)}")
        other = facts.avoiding_swap()
        if other is None:
            paras.append(f"No single swap of two conflicting steps avoids the violation: {conflict}, "
                         f"but {prop.name} fails in either order.")
        else:
            paras.append(f"Swapping the steps on what {prop.name} reads does not avoid the violation "
                         f"({conflict}).")
        pair = other
    if pair is not None:
        a, b, c = pair.first, pair.second, pair.cell
        text = (f"The order that decides it: {_who(facts, a)} {_touch(facts, a, c)}, and later "
                f"{_who(facts, b)} {_touch(facts, b, c)}.")
        if pair.swapped_order is not None:
            moved = b if pair.swapped_order.index(b) < pair.swapped_order.index(a) else a
            other_step = a if moved == b else b
            where = "before" if moved == b else "after"
            text += (f" Replayed with step {moved} moved {where} step {other_step}, {prop.name} holds "
                     f"throughout ({_values(pair.swapped_values, types)}).")
        paras.append(text)
        for k in (a, b):
            inst = facts.steps[k].instance
            if inst not in involved:
                involved.append(inst)
    for inst in involved:
        last_act = max(k for k in range(1, len(facts.steps)) if facts.steps[k].instance == inst)
        st = facts.stale_check(inst, last_act)
        if st is None:
            continue
        chk = st.check
        tr = facts.trace.steps[chk.step].transition
        what = "its guard" if chk.kind == "guard" else "the condition"
        later = [k for k in range(chk.step + 1, len(facts.steps)) if facts.steps[k].instance == inst]
        acted = (f" it acted on that check at step{'s' if len(later) > 1 else ''} "
                 f"{', '.join(map(str, later))} without checking again." if later else
                 " it had already acted on it.")
        now = {_own(k, inst): v for k, v in st.now_reads.items() if k in chk.reads and chk.reads[k] != v}
        then = {_own(k, inst): v for k, v in chk.reads.items()}
        paras.append(
            f"What {inst} believed: at step {chk.step} ({tr}) {what} `{chk.text}` was "
            f"{_tf(chk.value)} with {_values(then, types)}. By the end {_values(now, types)} "
            f"(changed by {_steps_by(facts, st.changers)}), so the same check is now "
            f"{_tf(st.now_value)};{acted}")
    if prop.explanation:
        paras.append(f"Which property broke: {fails_text(prop)}.")
    if len(facts.steps) > 2:
        paras.append(f"Any reordering of these {len(facts.steps) - 1} steps that keeps every pair of "
                     "conflicting steps in order is also a counterexample (papcheck render --view hb "
                     "draws those pairs).")
    return paras


def _own(name: str, inst: str) -> str:
    return name[len(inst) + 1:] if name.startswith(inst + ".") else name


def _tf(v: bool) -> str:
    return "true" if v else "false"


# ------------------------------------------------------------------------------------- entry


def explain(result: CheckResult, prop_name: str | None = None,
            minimized: list[Minimized] | None = None) -> Explanation:
    """The explanation of the result's counterexample (or of property `prop_name`'s trace)."""
    head = header(result)
    me = result.model_error
    prop = pick_property(result, prop_name)
    if prop_name is None and me is not None:
        trace = me.trace
        ex = Explanation(head, f"MODEL ERROR at line {me.line}: {me.message}")
        ex.story = story(result, trace)
        ex.summary = f"What happens ({counted(trace.length + 1, 'step')}, the last one fails):"
        ex.schedule = schedule_text(trace)
        return ex
    if prop is None or prop.trace is None:
        if result.verdict == "holds":
            return Explanation(head, "Every property holds: there is no counterexample to explain.")
        if prop is not None and prop.status == "unknown" and getattr(prop, "reason", ""):  # type: ignore[arg-type]  # mypy takes getattr's bool overload from the `and` context
            return Explanation(head, f"No trace to explain: {prop.kind} {prop.name} is not decided "
                                     f"({prop.reason}).")
        if prop is not None and prop.status == "holds":
            return Explanation(head, f"{prop.kind} {prop.name} holds: there is no counterexample to explain.")
        return Explanation(head, f"No trace to explain (verdict: {result.verdict}).")
    trace = prop.trace
    what = {"violated": "is violated", "witnessed": "is witnessed"}.get(prop.status, prop.status)
    kind = f"{prop.kind} {prop.name}"
    ex = Explanation(head, f"{kind} {what} (line {prop.line}).", prop.doc)
    ex.story = story(result, trace)
    n = switch_count(trace)
    summary = (f"What happens ({trace.length} step{'s' if trace.length != 1 else ''}, "
               f"{n} context switch{'es' if n != 1 else ''}")
    info = next((m for m in (minimized or []) if m.prop == prop.name), None)
    if info is not None and not info.note:
        summary += (f"; the fewest of any {trace.length}-step trace" +
                    (f", down from {info.before}" if info.before > info.after else ""))
    elif info is not None and info.note:
        summary += f"; {info.note}"
    ex.summary = summary + "):"
    ex.schedule = schedule_text(trace)
    if prop.status == "violated" and prop.kind == "invariant":
        ex.analysis = analysis(result, prop, TraceFacts(result.spec, trace, prop))
    elif prop.status == "violated":
        ex.analysis = [f"Which property broke: {prop.explanation}."]
    elif prop.status == "witnessed":
        facts = TraceFacts(result.spec, trace, prop)
        types = result.spec.model.slot_types()
        ex.analysis = [f"The last state satisfies {prop.name}: {_values(facts.property_reads, types)}."]
    return ex


def render_explanation(result: CheckResult, prop_name: str | None = None,
                       minimized: list[Minimized] | None = None) -> str:
    return explain(result, prop_name, minimized).text()
