"""Partial-order reduction: ample sets that plug into the one search loop
(:func:`checker.engine.explore.explore`) as an `expand` function replacing "all successors of s".

As SPIN's, by process: in state s, the enabled transitions of one
machine instance i at its current control state form an ample set when
  C0  the set is not empty;
  C1  every transition of i at that control state (enabled or not) is independent of every
      transition of every other instance: neither writes a location the other reads or writes
      (static footprints, :mod:`checker.reduce.footprint`, refined by z3 proofs of commutation,
      :mod:`checker.prover.commute`), so nothing another instance does can enable, disable or be
      affected by them;
  C2  none of them writes a location any property reads (invisibility);
  C3  cycle proviso: every cycle of the reduced graph has a fully expanded state.  Statically:
      every instance that steps on a cycle returns to its control state, so a cycle of ample
      steps needs a cycle among the instance's safe control states (a transition without `->`
      is a self-loop); instances without one need no further check.  (With symmetry reduction a
      cycle of canonical states may permute instances, so the cycle is looked for among the
      union of the safe control states of all instances of the machine.)  For the others, dynamically:
      no successor through the ample set was already expanded (in breadth-first search, stored
      but neither in the current level's unexpanded part nor in the next level; in depth-first
      search, conservatively, stored at all), so the last-expanded state of any cycle is fully
      expanded.
Otherwise s is fully expanded.  This preserves invariant violations, `reachable` witnesses, model
errors and deadlocks (a transition outside the ample set stays enabled, with the same effect and
the same errors, until it is taken).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..lang.symbols import CheckedSpec, MachineInfo
from .footprint import Footprint, FootprintAnalysis, conflicts, loc_text, overlap

# ------------------------------------------------------------------------------- partial order


@dataclass
class Independence:
    """Why two actions were found independent (or not)."""

    a: int
    b: int
    independent: bool
    reason: str  # "footprints disjoint", "z3: guards and effects commute", or the conflict


@dataclass
class PartialOrder:
    """The static part of the ample-set reduction: which (instance, control state) pairs are safe."""

    model: Any
    footprints: list[Footprint]
    safe: list[frozenset]  # per instance index: the control-state indices whose transitions are safe
    visible: set[int]  # action ids that write a property location
    pairs: dict[tuple[int, int], Independence] = field(default_factory=dict)
    cyclic: list[bool] = field(default_factory=list)  # per instance: can its safe steps loop?
    cyclic_sym: list[bool] = field(default_factory=list)  # the same over its machine's safe states

    @staticmethod
    def build(model: Any, use_solver: bool = True) -> PartialOrder:
        checked: CheckedSpec = model.checked
        fa = FootprintAnalysis(checked)
        fps = [fa.action(a.machine, a.instance, a.transition) for a in model.actions]
        prop_reads: set = set()
        for p in checked.properties:
            for e in (p.decl.expr, p.decl.expr2):
                if e is not None:
                    prop_reads |= fa.property_reads(e)
        visible = {i for i, f in enumerate(fps) if any(overlap(w, r) for w in f.writes for r in prop_reads)}
        inst_of = {(m.name, i): k for k, (m, i) in enumerate(model.instances)}
        by_inst: dict[int, list[int]] = {}
        for aid, a in enumerate(model.actions):
            by_inst.setdefault(inst_of[(a.machine.name, a.instance)], []).append(aid)
        solver = None
        if use_solver:
            from ..prover.commute import CommutationProver
            solver = CommutationProver(checked, model)
        po = PartialOrder(model, fps, [], visible)

        def independent(a: int, b: int) -> bool:
            key = (min(a, b), max(a, b))
            if key not in po.pairs:
                clash = conflicts(fps[a], fps[b])
                if not clash:
                    po.pairs[key] = Independence(a, b, True, "footprints disjoint")
                elif solver is not None and _both_write(fps[a], fps[b], clash) and solver.commute(a, b, clash):
                    po.pairs[key] = Independence(a, b, True, "z3: guards and effects commute")
                else:
                    where = ", ".join(sorted({loc_text(x) for x, _ in clash}))
                    po.pairs[key] = Independence(a, b, False, f"both touch {where}")
            return po.pairs[key].independent

        po._independent = independent  # type: ignore[attr-defined]
        po._inst_of_action = [inst_of[(a.machine.name, a.instance)] for a in model.actions]  # type: ignore[attr-defined]
        for k, (m, _inst) in enumerate(model.instances):
            safe_states = set()
            others = [b for j, acts in by_inst.items() if j != k for b in acts]
            for st in m.states:
                mine = [aid for aid in by_inst.get(k, []) if model.actions[aid].transition.state is st]
                if not mine or any(a in visible for a in mine):
                    continue
                if all(independent(a, b) for a in mine for b in others):
                    safe_states.add(st.index)
            po.safe.append(frozenset(safe_states))
            po.cyclic.append(_cycle_among(m, safe_states))
        # Under symmetry a cycle of canonical states may permute instances, so one instance's
        # steps along it can be another's: the static C3 shortcut then needs a cycle among the
        # union of the machine's safe control states (see expander).
        union: dict[str, set[int]] = {}
        for k, (m, _inst) in enumerate(model.instances):
            union.setdefault(m.name, set()).update(po.safe[k])
        po.cyclic_sym = [_cycle_among(m, union[m.name]) for m, _ in model.instances]
        return po

    def expander(self, store: Any, full: Callable, canon: Callable | None, strategy: str) -> Callable:
        """expand(s, depth) -> successors of s (an ample set when C0-C3 allow, else all)."""
        model = self.model
        lay = model.layout
        candidates = []
        for k, (m, inst) in enumerate(model.instances):
            if self.safe[k]:
                off = lay.pc_offset(m, inst)
                mask = (1 << lay.pc_type[m.name].width) - 1
                cyclic = self.cyclic_sym[k] if canon is not None else self.cyclic[k]
                candidates.append((off, mask, self.safe[k], model.instance_successors[k], cyclic))
        # BFS bookkeeping for C3: `pending` holds the current level's states not expanded yet,
        # `nxt` the states first stored at the next level.  A successor is acceptable unless it
        # was already expanded: then the last-expanded state of every cycle of the reduced graph
        # has an edge to an expanded state, so it is fully expanded.
        level = [-1]
        sets: dict[str, set[Any]] = {"pending": set(), "nxt": set()}
        bfs = strategy == "bfs"
        contains = store.__contains__
        stats = self.stats = {"ample": 0, "full": 0}

        def expand(s, d):
            if bfs:
                if d != level[0]:
                    level[0] = d
                    sets["pending"], sets["nxt"] = sets["nxt"], set()
                pending, nxt = sets["pending"], sets["nxt"]
                pending.discard(s)
            best = None
            best_new: Any = None
            for off, mask, safe, succ_i, cyclic in candidates:
                if (s >> off) & mask in safe:
                    ts = succ_i(s)
                    if not ts:
                        continue
                    if canon is not None:
                        ts = [canon(t) for t in ts]
                    ok = True
                    new = []
                    for t in ts:
                        if contains(t):
                            if cyclic and not (bfs and (t in nxt or t in pending)):
                                ok = False  # C3 rejects this instance; another may still do
                                break
                        else:
                            new.append(t)
                    if ok and (best is None or len(ts) < len(best)):
                        best, best_new = ts, new
                        if len(ts) == 1:
                            break
            if best is not None:
                if bfs:
                    nxt.update(best_new)
                stats["ample"] += 1
                return best
            ts = full(s)
            if canon is not None:
                ts = [canon(t) for t in ts]
            if bfs:
                for t in ts:
                    if not contains(t):
                        nxt.add(t)
            stats["full"] += 1
            return ts

        def prime(d: int, frontier: list) -> None:
            """Resume (from a checkpoint) at a BFS level boundary: the states of level d, first
            stored during level d-1, are about to be expanded."""
            level[0] = d - 1
            sets["pending"], sets["nxt"] = set(), set(frontier)

        expand.prime = prime  # type: ignore[attr-defined]
        expand.counters = stats  # type: ignore[attr-defined]
        return expand

    def _property_readers(self) -> dict[int, list[str]]:
        """For each visible action, the properties (by name) that read what it writes."""
        fa = FootprintAnalysis(self.model.checked)
        out: dict[int, list[str]] = {}
        for p in self.model.checked.properties:
            reads: set = set()
            for e in (p.decl.expr, p.decl.expr2):
                if e is not None:
                    reads |= fa.property_reads(e)
            for aid in sorted(self.visible):
                if any(overlap(w, r) for w in self.footprints[aid].writes for r in reads):
                    out.setdefault(aid, []).append(p.name)
        return out

    def explain(self) -> list[str]:
        acts = self.model.actions
        name = lambda a: f"{acts[a].instance_name}.{acts[a].transition.name}"
        lines = ["Partial-order reduction: transition footprints"]
        readers = self._property_readers()
        singles = frozenset(m.name for m in self.model.checked.machines if m.decl.count is None)
        for aid, f in enumerate(self.footprints):
            vis = (f"  (visible: writes what {' and '.join(readers.get(aid, ['a property']))} "
                   f"read{'s' if len(readers.get(aid, [])) <= 1 else ''})") if aid in self.visible else ""
            lines.append(f"  {name(aid)}: {f.describe(singles)}{vis}")
        owner = self._inst_of_action  # type: ignore[attr-defined]
        for a in range(len(acts)):
            for b in range(a + 1, len(acts)):
                if owner[a] != owner[b]:
                    self._independent(a, b)  # type: ignore[attr-defined]
        lines.append("Independent pairs of transitions of different instances:")
        shown = 0
        for (a, b), ind in sorted(self.pairs.items()):
            if ind.independent:
                lines.append(f"  {name(a)} || {name(b)}: {ind.reason}")
                shown += 1
        if not shown:
            lines.append("  (none)")
        lines.append("Dependent pairs (first 40):")
        dep = [(k, v) for k, v in sorted(self.pairs.items()) if not v.independent]
        for (a, b), ind in dep[:40]:
            lines.append(f"  {name(a)} -- {name(b)}: {ind.reason}")
        lines.append("Control states whose transitions may form an ample set:")
        any_safe = False
        for k, (m, inst) in enumerate(self.model.instances):
            for st in m.states:
                if st.index in self.safe[k]:
                    lines.append(f"  {m.instance_name(inst)} at {st.name}")
                    any_safe = True
        if not any_safe:
            lines.append("  (none: every control state has a transition that is visible or depends on another instance)")
        return lines


def _cycle_among(m: MachineInfo, safe: set[int]) -> bool:
    """Is there a cycle in m's control graph using only transitions out of `safe` states?"""
    succ: dict[int, set[int]] = {s: set() for s in safe}
    for tr in m.transitions:
        if tr.state.index in safe:
            target = tr.target.index if tr.target is not None else tr.state.index
            if target in safe:
                succ[tr.state.index].add(target)
    color: dict[int, int] = {}

    def visit(n: int) -> bool:  # depth-first search for a back edge
        color[n] = 1
        for x in succ[n]:
            if color.get(x) == 1 or (x not in color and visit(x)):
                return True
        color[n] = 2
        return False
    return any(n not in color and visit(n) for n in succ)


def _both_write(fa: Footprint, fb: Footprint, clash: list) -> bool:
    """Worth asking z3?  Only when every clash is between two writes (updates that may commute,
    like two inserts into a set); one action reading what the other writes almost never
    commutes, and skipping the query costs reduction, never soundness."""
    return all(any(overlap(x, w) for w in fa.writes) and any(overlap(x, w) for w in fb.writes)
               for pair in clash for x in pair)


