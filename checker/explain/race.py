"""What one trace says about concurrency: the facts explanations and renderings are built from.

For each step of a :class:`checker.engine.trace.Trace` this module knows the state *cells* it read and
wrote, the checks it made (its guard and the conditions at the head of its body, evaluated with
the interpreter on the state it fired in), and from those:

* the happens-before edges: two steps conflict when one writes a cell the other reads or writes
  (static footprints from :mod:`checker.reduce.footprint`, with a dynamic key ``record[*]`` narrowed to
  the keys the step actually changed);
* the *meeting*: the cells the violated property reads and which step last wrote each;
* the *deciding pair*: two conflicting steps of different instances on a cell the property reads
  whose order decides the outcome, confirmed by replaying the trace with the two swapped;
* *stale checks*: a check an instance made whose shared values another instance changed later,
  so that the same check would now give the other answer ("Enactor[0] checked at step 2 that
  latest > applied; by the end latest = 5, applied = 5").

A cell is ``(display name, key)``: ``("record", "0")``, ``("purged", None)``,
``("Enactor[1].plan", None)``; key ``"*"`` stands for any key.  Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..api import PropertyResult, Spec
from ..engine.model import Label
from ..engine.trace import Step, Trace, failure_reads, state_view
from ..lang import ast
from ..lang.evaluate import EvalError, Evaluator
from ..lang.pretty import pretty_expr
from ..lang.types import MapT, format_value
from ..reduce.footprint import ANY, action_footprints

Cell = tuple[str, "str | None"]


def cell_text(c: Cell) -> str:
    return c[0] if c[1] is None else f"{c[0]}[{c[1]}]"


def overlap(a: Cell, b: Cell) -> bool:
    if a[0] != b[0]:
        return False
    return a[1] is None or b[1] is None or a[1] == b[1] or a[1] == ANY or b[1] == ANY


@dataclass
class Check:
    """A condition a step evaluated: its guard, or a condition at the head of its body."""

    step: int
    kind: str  # "guard" or "if"
    expr: ast.Expr
    value: bool
    reads: dict[str, Any]  # location text -> value, in reading order

    @property
    def text(self) -> str:
        return pretty_expr(self.expr)


@dataclass
class StepFacts:
    index: int
    instance: str
    reads: set[Cell] = field(default_factory=set)
    writes: set[Cell] = field(default_factory=set)
    changed: list[Cell] = field(default_factory=list)  # cells whose value this step changed
    checks: list[Check] = field(default_factory=list)


@dataclass
class Deciding:
    """Two conflicting steps whose order decides the outcome (when `decides`)."""

    first: int
    second: int
    cell: Cell
    decides: bool  # replaying with the two swapped avoids the violation
    swapped_order: list[int] | None = None  # the replayed step order, when it decides
    swapped_values: dict[str, Any] = field(default_factory=dict)  # property cells after the swap


@dataclass
class StaleCheck:
    instance: str
    check: Check
    now_value: bool
    now_reads: dict[str, Any]
    changers: list[int]  # steps of other instances that changed what the check read


class TraceFacts:
    """Facts about one trace of a spec; `prop` is the property the trace is about, if any."""

    def __init__(self, spec: Spec, trace: Trace, prop: PropertyResult | None = None):
        self.spec = spec
        self.model = spec.model
        self.trace = trace
        self.prop = prop
        self.types = self.model.slot_types()
        self.slots = {s.display: s for s in self.model.layout.slots}
        self.footprints = action_footprints(spec.checked, self.model.actions)
        self.steps: list[StepFacts] = [StepFacts(0, "")]
        for step in trace.steps[1:]:
            self.steps.append(self._facts(step))
        self._packed: list[int] | None = None
        self._labels: list[Label] | None = None
        self.property_parts: list[str] = []
        self.property_reads: dict[str, Any] = {}
        self._property_index: int | None = None
        if prop is not None:
            self._property_index = next(i for i, p in enumerate(spec.checked.properties)
                                        if p.name == prop.name)
            decl = spec.checked.properties[self._property_index].decl
            if decl.expr is not None:
                if prop.kind == "invariant":
                    found = failure_reads(self.model, decl.expr, trace.last_state)
                    if found is not None:
                        self.property_parts, self.property_reads = found
                else:
                    ok, reads = self.evaluate(decl.expr, trace.last_state)
                    self.property_reads = reads

    # ----------------------------------------------------------------------------- cells

    def is_shared(self, c: Cell) -> bool:
        slot = self.slots.get(c[0])
        return slot is not None and slot.machine is None

    def label_cell(self, label: str) -> Cell | None:
        """An interpreter read label (`record[0]`, `Enactor[1].plan`) as a cell."""
        if label in self.slots:
            return (label, None)
        base, bracket, rest = label.partition("[")
        if bracket and base in self.slots:
            key = rest.partition("]")[0]
            return (base, ANY if key == "..." else key)  # `m[...][k]`: a nested entry of m
        return None

    def _loc_cells(self, loc: tuple) -> list[Cell]:
        """Footprint locations as cells (instance wildcards expanded, deep paths truncated)."""
        if not loc or loc[0] in ("@bound", "@const", "@value"):
            return []
        if loc[0] == "@inst":
            m = next((m for m in self.spec.checked.machines if m.name == loc[1]), None)
            if m is None:
                return []
            insts = range(m.count) if len(loc) < 3 or loc[2] == ANY else [loc[2]]
            out: list[Cell] = []
            for i in insts:
                name = m.instance_name(i)
                if len(loc) < 4:
                    out.extend((d, None) for d in self.slots if d.startswith(name + "."))
                else:
                    var = "state" if loc[3] == "@state" else loc[3]
                    out.append((f"{name}.{var}", None))
            return out
        name = str(loc[0])
        if name not in self.slots:
            return []
        if len(loc) == 1 or (isinstance(loc[1], str) and loc[1].startswith(".")):
            return [(name, None)]
        key = loc[1]
        return [(name, ANY if key == ANY else format_value(key))]

    def _changed_cells(self, step: Step) -> list[Cell]:
        out: list[Cell] = []
        for name, old, new in step.changes:
            t = self.types.get(name)
            if isinstance(t, MapT):
                o = dict(old)
                out.extend((name, format_value(k)) for k, v in new if o[k] != v)
            else:
                out.append((name, None))
        return out

    def _facts(self, step: Step) -> StepFacts:
        f = StepFacts(step.index, step.instance or "")
        f.changed = self._changed_cells(step)
        if step.action is None:
            return f
        fp = self.footprints[step.action]
        for loc in fp.reads:
            f.reads.update(self._loc_cells(loc))
        for loc in fp.writes:
            for c in self._loc_cells(loc):
                if c[1] == ANY:
                    # narrow a run-time key to the entries this step changed; when it changed
                    # none (a write of an equal value, or a branch not taken), keep the wildcard
                    keys = [x for x in f.changed if x[0] == c[0]]
                    f.writes.update(keys or [c])
                else:
                    f.writes.add(c)
        f.checks = self._checks(step)
        return f

    # ---------------------------------------------------------------------------- checks

    def evaluate(self, expr: ast.Expr, values: dict[str, Any], env: dict | None = None,
                 self_index: int | None = None, machine: Any = None) -> tuple[Any, dict[str, Any]]:
        """Evaluate an expression on a state, with the locations it read."""
        ev = Evaluator(self.spec.checked, state_view(self.model, values))
        reads: dict[str, Any] = {}
        ev.on_read = lambda label, v: reads.setdefault(label, v)
        return ev.eval(expr, env or {}, self_index=self_index, machine=machine), reads

    def _checks(self, step: Step) -> list[Check]:
        act = self.model.actions[step.action]  # type: ignore[index]
        tr = act.transition
        env = {sym: step.args[sym.name] for sym, _ in tr.params if sym.name in step.args}
        pre = self.trace.steps[step.index - 1].state
        exprs: list[tuple[str, ast.Expr]] = []
        if tr.decl.guard is not None:
            exprs.append(("guard", tr.decl.guard))
        # Conditions at the head of the body see the state the step fired in; after the first
        # statement that may write, they would not, so stop there.
        for s in tr.decl.body:
            if isinstance(s, ast.Assert):
                exprs.append(("if", s.cond))
                continue
            if isinstance(s, ast.If):
                exprs.extend(("if", c) for c, _ in s.branches)
            break
        out = []
        for kind, e in exprs:
            try:
                v, reads = self.evaluate(e, pre, env, act.instance, act.machine)
            except (EvalError, KeyError, TypeError):
                continue  # refers to a received message or a choose binding: not shown
            out.append(Check(step.index, kind, e, bool(v), reads))
        return out

    def recheck(self, check: Check, values: dict[str, Any]) -> tuple[bool, dict[str, Any]] | None:
        """The same check evaluated on another state (None if it cannot be)."""
        step = self.trace.steps[check.step]
        act = self.model.actions[step.action]  # type: ignore[index]
        env = {sym: step.args[sym.name] for sym, _ in act.transition.params if sym.name in step.args}
        try:
            v, reads = self.evaluate(check.expr, values, env, act.instance, act.machine)
        except (EvalError, KeyError, TypeError):
            return None
        return bool(v), reads

    # --------------------------------------------------------------------- relations

    def conflict_cells(self, i: int, j: int) -> list[Cell]:
        """The cells through which steps i and j interfere (empty: they commute)."""
        a, b = self.steps[i], self.steps[j]
        found: dict[str, Cell] = {}
        for w in a.writes:
            for c in b.reads | b.writes:
                if overlap(w, c):
                    best = w if w[1] != ANY else c
                    found[cell_text(best)] = best
        for w in b.writes:
            for c in a.reads:
                if overlap(w, c):
                    best = w if w[1] != ANY else c
                    found[cell_text(best)] = best
        return [found[k] for k in sorted(found)]

    def hb_edges(self) -> list[tuple[int, int, list[Cell]]]:
        """Every pair of conflicting steps (i < j), with the cells they conflict on."""
        n = len(self.steps)
        out = []
        for j in range(1, n):
            for i in range(1, j):
                cells = self.conflict_cells(i, j)
                if cells:
                    out.append((i, j, cells))
        return out

    def hb_reduced(self) -> list[tuple[int, int, list[Cell]]]:
        """The happens-before edges minus those implied by others (same orderings, less ink)."""
        edges = self.hb_edges()
        n = len(self.steps)
        succ: list[set[int]] = [set() for _ in range(n)]
        for i, j, _ in edges:
            succ[i].add(j)
        reach: list[set[int]] = [set() for _ in range(n)]
        for i in range(n - 1, 0, -1):
            for j in succ[i]:
                reach[i] |= {j} | reach[j]
        keep = []
        for i, j, cells in edges:
            if not any(j in reach[k] for k in succ[i] if k != j):
                keep.append((i, j, cells))
        return keep

    def last_changer(self, c: Cell, upto: int | None = None) -> int:
        """The last step (<= upto) that changed cell c; 0 when it still has its initial value."""
        upto = len(self.steps) - 1 if upto is None else upto
        for k in range(upto, 0, -1):
            if any(overlap(c, x) for x in self.steps[k].changed):
                return k
        return 0

    def property_cells(self) -> list[Cell]:
        out: list[Cell] = []
        for label in self.property_reads:
            c = self.label_cell(label)
            if c is not None and c not in out:
                out.append(c)
        return out

    def meeting(self) -> list[tuple[Cell, int]]:
        """Each cell the property reads, with the step that last wrote it (0: initial value)."""
        return [(c, self.last_changer(c)) for c in self.property_cells()]

    # -------------------------------------------------------------------- counterfactuals

    def packed(self) -> list[int]:
        if self._packed is None:
            self._packed = [self.model.layout.encode(s.state) for s in self.trace.steps]
        return self._packed

    def labels(self) -> list[Label]:
        """Each step's label (index 0 unused), recovered from the model."""
        if self._labels is None:
            packed = self.packed()
            labels: list[Label] = [Label(-1)]
            for i, step in enumerate(self.trace.steps[1:], start=1):
                for lab, t in self.model.labeled_successors(packed[i - 1]):
                    if t == packed[i] and lab.action == step.action:
                        labels.append(lab)
                        break
                else:
                    raise ValueError(f"step {i} of the trace is not a transition of the model")
            self._labels = labels
        return self._labels

    def replay(self, order: list[int]) -> list[int] | None:
        """The states visited when the trace's steps fire in `order` (None if one is disabled)."""
        labels = self.labels()
        s = self.packed()[0]
        states = [s]
        for k in order:
            for lab, t in self.model.labeled_successors(s):
                if lab == labels[k]:
                    s = t
                    break
            else:
                return None
            states.append(s)
        return states

    def swapped(self, a: int, b: int) -> list[int]:
        """The trace's step order with step b (> a) moved to just before step a."""
        order = [k for k in range(1, len(self.steps)) if k != b]
        order.insert(order.index(a), b)
        return order

    def ends_violated(self, order: list[int]) -> bool | None:
        """Does replaying the steps in `order` end in a state violating the property?  None when
        that order is not a behaviour (a step is disabled)."""
        states = self.replay(order)
        if states is None or self._property_index is None:
            return None
        return self.model.violated_invariant(states[-1]) == self._property_index

    def _avoids(self, states: list[int]) -> bool:
        idx = self._property_index
        if idx is None or self.prop is None or self.prop.kind != "invariant":
            return False
        return all(self.model.violated_invariant(s) != idx for s in states)

    def deciding_pair(self) -> Deciding | None:
        """Two conflicting steps of different instances on a cell the property reads, one of them
        its last writer; the first whose swap (replayed) avoids the violation, else the first."""
        n = len(self.steps) - 1
        candidates: list[tuple[int, int, Cell]] = []
        for c, w in self.meeting():
            if w == 0:
                continue
            others = [j for j in range(n, 0, -1)
                      if j != w and self.steps[j].instance != self.steps[w].instance
                      and any(overlap(c, x) for x in self.conflict_cells(j, w))]
            others.sort(key=lambda j: abs(j - w))
            candidates.extend((min(j, w), max(j, w), c) for j in others)
        if not candidates:
            return None
        found = self._first_avoiding(candidates)
        if found is not None:
            return found
        a, b, c = candidates[0]
        return Deciding(a, b, c, False)

    def avoiding_swap(self, limit: int = 400) -> Deciding | None:
        """Any two conflicting steps of different instances (not only on what the property reads)
        whose swap, replayed, avoids the violation; None when no single swap does (or more than
        `limit` pairs would have to be tried)."""
        n = len(self.steps) - 1
        candidates = []
        for b in range(2, n + 1):
            for a in range(b - 1, 0, -1):
                if self.steps[a].instance != self.steps[b].instance:
                    cells = self.conflict_cells(a, b)
                    if cells:
                        candidates.append((a, b, cells[0]))
        if len(candidates) > limit:
            return None
        candidates.sort(key=lambda x: (x[1] - x[0], x[0]))
        return self._first_avoiding(candidates)

    def _first_avoiding(self, candidates: list[tuple[int, int, Cell]]) -> Deciding | None:
        """The first candidate pair whose swap (either way) replays and avoids the violation."""
        n = len(self.steps) - 1
        for a, b, c in candidates:
            base = list(range(1, n + 1))
            # later step moved just before the earlier one; earlier moved just after the later
            orders = [self.swapped(a, b)]
            o2 = [k for k in base if k != a]
            o2.insert(o2.index(b) + 1, a)
            orders.append(o2)
            for order in orders:
                states = self.replay(order)
                if states is not None and self._avoids(states):
                    values = self.model.decode(states[-1])
                    shown = {}
                    for label in self.property_reads:
                        cell = self.label_cell(label)
                        if cell is not None:
                            v = values[cell[0]]
                            if cell[1] is not None:
                                v = dict((format_value(k), x) for k, x in v)[cell[1]]
                            shown[label] = v
                    return Deciding(a, b, c, True, order, shown)
        return None

    def stale_check(self, instance: str, upto: int | None = None) -> StaleCheck | None:
        """The latest check `instance` made (at or before step `upto`) whose answer other
        instances' later writes have turned around by the end of the trace."""
        n = len(self.steps) - 1
        upto = n if upto is None else upto
        for k in range(upto, 0, -1):
            f = self.steps[k]
            if f.instance != instance:
                continue
            for chk in reversed(f.checks):
                cells = [c for c in (self.label_cell(l) for l in chk.reads) if c is not None
                         and self.is_shared(c)]
                changers = sorted({j for j in range(k + 1, n + 1) if self.steps[j].instance != instance
                                   and any(overlap(c, x) for c in cells for x in self.steps[j].changed)})
                if not changers:
                    continue
                # The state of check time with only the OTHER instances' later writes applied: the
                # question is whether what others did turned the answer around, not what the
                # instance itself did since.
                mixed = dict(self.trace.steps[k - 1].state)
                for j in range(k + 1, n + 1):
                    if self.steps[j].instance == instance:
                        continue
                    for name, old, new in self.trace.steps[j].changes:
                        if isinstance(self.types.get(name), MapT):
                            cur, o = dict(mixed[name]), dict(old)
                            cur.update((key, v) for key, v in new if o[key] != v)
                            mixed[name] = tuple((key, cur[key]) for key, _ in new)
                        else:
                            mixed[name] = new
                again = self.recheck(chk, mixed)
                if again is None or again[0] == chk.value:
                    continue
                return StaleCheck(instance, chk, again[0], again[1], changers)
        return None


def fails_text(prop: PropertyResult) -> str:
    """ "endpoint_has_ips fails for e = 0: record[0] = 2, ..." (as the text report words it)."""
    e = prop.explanation
    return f"{prop.name} fails " + (e if e.startswith(("for ", "on ", "from ", "everywhere")) else f"where {e}")


def switch_count(trace: Trace) -> int:
    acts = [s.instance for s in trace.steps[1:]]
    return sum(1 for a, b in zip(acts, acts[1:]) if a != b)


def schedule(trace: Trace) -> list[tuple[str, int, int]]:
    """Runs of consecutive steps by one instance: (instance, first step, last step)."""
    runs: list[tuple[str, int, int]] = []
    for s in trace.steps[1:]:
        inst = s.instance or ""
        if runs and runs[-1][0] == inst:
            runs[-1] = (inst, runs[-1][1], s.index)
        else:
            runs.append((inst, s.index, s.index))
    return runs
