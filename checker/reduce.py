"""State-space reductions: partial-order reduction (ample sets) and symmetry reduction.

Both plug into the one search loop (:func:`checker.explore.explore`) as an `expand` function that
replaces "all successors of s".

**Partial-order reduction** (as SPIN's, by process): in state s, the enabled transitions of one
machine instance i at its current control state form an ample set when
  C0  the set is not empty;
  C1  every transition of i at that control state (enabled or not) is independent of every
      transition of every other instance: neither writes a location the other reads or writes
      (static footprints, :mod:`checker.footprint`, refined by z3 proofs of commutation,
      :mod:`checker.solver`), so nothing another instance does can enable, disable or be
      affected by them;
  C2  none of them writes a location any property reads (invisibility);
  C3  cycle proviso: every cycle of the reduced graph has a fully expanded state.  Statically:
      every instance that steps on a cycle returns to its control state, so a cycle of ample
      steps needs a cycle among the instance's safe control states (a transition without `->`
      is a self-loop); instances without one need no further check.  For the others, dynamically:
      no successor through the ample set was already expanded (in breadth-first search, stored
      but neither in the current level's unexpanded part nor in the next level; in depth-first
      search, conservatively, stored at all), so the last-expanded state of any cycle is fully
      expanded.
Otherwise s is fully expanded.  This preserves invariant violations, `reachable` witnesses, model
errors and deadlocks (a transition outside the ample set stays enabled, with the same effect and
the same errors, until it is taken).

**Symmetry reduction** (as Murphi's scalarsets): instances of a machine that the compiler proves
interchangeable are permuted to a canonical order.  Proof obligation, checked on the AST: no
`self`, no variable whose type involves the machine's index type, no instance named by a
constant (`Enactor[0]`), instance-typed bound names used only to name instances or compared with
== / !=, and identical initial values.  Then a state's orbit is the set of reorderings of the
instances' slices of the packed state, and sorting those slices gives a canonical representative:
the reduced state count is exactly the number of orbits (Rumur's `--symmetry-reduction
exhaustive`).  Machines marked `symmetric` that fail the proof are a spec error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from . import ast
from .errors import Diagnostics, Note
from .footprint import Footprint, FootprintAnalysis, conflicts, loc_text, overlap
from .resolve import BoundSym, CheckedSpec, MachineInfo, VarSym
from .types import ChanT, MapT, RangeT, RecordT, SetT, Type


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

    @staticmethod
    def build(model: Any, use_solver: bool = True) -> "PartialOrder":
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
            from .solver import CommutationProver
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
        for k, (m, inst) in enumerate(model.instances):
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
                candidates.append((off, mask, self.safe[k], model.instance_successors[k], self.cyclic[k]))
        # BFS bookkeeping for C3: `pending` holds the current level's states not expanded yet,
        # `nxt` the states first stored at the next level.  A successor is acceptable unless it
        # was already expanded: then the last-expanded state of every cycle of the reduced graph
        # has an edge to an expanded state, so it is fully expanded.
        level = [-1]
        sets = {"pending": set(), "nxt": set()}
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
            best_new = None
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
        return expand

    def explain(self) -> list[str]:
        acts = self.model.actions
        name = lambda a: f"{acts[a].instance_name}.{acts[a].transition.name}"  # noqa: E731
        lines = ["Partial-order reduction: transition footprints"]
        for aid, f in enumerate(self.footprints):
            vis = "  (visible: writes what a property reads)" if aid in self.visible else ""
            lines.append(f"  {name(aid)}: {f.describe()}{vis}")
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


# ------------------------------------------------------------------------------------- symmetry


@dataclass
class Symmetry:
    machines: list[MachineInfo]
    canon: Callable[[int], int]
    source: str

    def describe(self) -> str:
        return ", ".join(f"{m.name} ({m.count} instances)" for m in self.machines)

    def expander(self, successors: Callable) -> Callable:
        """expand(s, depth): the canonical successors of s, in one generated function."""
        ns: dict[str, Any] = {"succ": successors, "canon": self.canon}
        exec("def expand(s, d):\n    return [canon(t) for t in succ(s)]\n", ns)
        return ns["expand"]


def symmetric_machines(checked: CheckedSpec, diags: Diagnostics | None = None) -> list[MachineInfo]:
    """The machines whose instances are provably interchangeable (see the module docstring)."""
    out = []
    for m in checked.machines:
        if m.count < 2:
            continue
        why = _asymmetry(checked, m)
        if why is None:
            out.append(m)
        elif m.symmetric and diags is not None:
            span, reason = why
            diags.error(m.decl.span, f"machine {m.name} is marked symmetric, but {reason}",
                        [Note(span, "here")] if span.line else [])
    return out


def _mentions(t: Type, m: MachineInfo) -> bool:
    if isinstance(t, RangeT):
        return t.instance_of == m.name
    if isinstance(t, SetT):
        return _mentions(t.elem, m)
    if isinstance(t, MapT):
        return _mentions(t.key, m) or _mentions(t.value, m)
    if isinstance(t, RecordT):
        return any(_mentions(ft, m) for _, ft in t.fields)
    if isinstance(t, ChanT):
        return _mentions(t.elem, m)
    return False


def _asymmetry(checked: CheckedSpec, m: MachineInfo):
    """None if m's instances are interchangeable, else (span, reason)."""
    for v in checked.shared + [l for mm in checked.machines for l in mm.locals]:
        if _mentions(v.type, m):
            return v.decl.span, f"variable '{v.name}' holds values of its index type (not supported yet)"
    for v in m.locals:
        if any(x != v.inits[0] for x in v.inits):
            return v.decl.span, f"its instances start with different values of '{v.name}'"
    finder = _AsymmetryFinder(checked, m)
    for mm in checked.machines:
        for tr in mm.transitions:
            d = tr.decl
            for node in _walk_transition(d):
                r = finder.check(node)
                if r is not None:
                    return r
    for p in checked.properties:
        for e in (p.decl.expr, p.decl.expr2):
            if e is not None:
                for node in _walk(e):
                    r = finder.check(node)
                    if r is not None:
                        return r
    return None


class _AsymmetryFinder:
    def __init__(self, checked: CheckedSpec, m: MachineInfo):
        self.c = checked
        self.m = m
        self.allowed_bound: set[int] = set()

    def check(self, node):
        c, m = self.c, self.m
        if isinstance(node, ast.SelfRef):
            t = c.types.get(id(node))
            if isinstance(t, RangeT) and t.instance_of == m.name:
                return node.span, "it uses 'self' (its behaviour may depend on its index)"
        if isinstance(node, ast.Index):
            sym = c.refs.get(id(node.base)) if isinstance(node.base, ast.Name) else None
            if sym is m and not self._instance_bound(node.index):
                return node.span, f"{m.name}[...] is indexed by something other than a name bound over {m.name}"
        if isinstance(node, ast.Name):
            sym = c.refs.get(id(node))
            if isinstance(sym, BoundSym) and isinstance(sym.type, RangeT) and sym.type.instance_of == m.name:
                if id(node) not in self.allowed_bound:
                    return node.span, (f"'{node.name}' ranges over {m.name} and is used as a number "
                                       f"(only {m.name}[{node.name}] and ==/!= keep instances interchangeable)")
        if isinstance(node, ast.Binary) and node.op in ("==", "!="):
            for side in (node.left, node.right):
                if self._instance_bound(side):
                    self.allowed_bound.add(id(side))
        if isinstance(node, ast.Index) and self._instance_bound(node.index):
            sym = c.refs.get(id(node.base)) if isinstance(node.base, ast.Name) else None
            if sym is m:
                self.allowed_bound.add(id(node.index))
        if isinstance(node, ast.Field) and isinstance(node.base, ast.Name) and c.refs.get(id(node.base)) is m:
            return node.span, f"it names a single instance of {m.name}"
        return None

    def _instance_bound(self, e) -> bool:
        if not isinstance(e, ast.Name):
            return False
        sym = self.c.refs.get(id(e))
        return isinstance(sym, BoundSym) and isinstance(sym.type, RangeT) and sym.type.instance_of == self.m.name


def _walk(node):
    """Pre-order walk of an expression; parents come before children (the finder relies on it)."""
    yield node
    if isinstance(node, ast.Expr):
        for f in node.__dataclass_fields__:
            v = getattr(node, f)
            if isinstance(v, ast.Expr):
                yield from _walk(v)
            elif isinstance(v, tuple):
                for x in v:
                    if isinstance(x, ast.Expr):
                        yield from _walk(x)
                    elif isinstance(x, tuple):
                        for y in x:
                            if isinstance(y, ast.Expr):
                                yield from _walk(y)


def _walk_stmts(stmts):
    for s in stmts:
        if isinstance(s, ast.Assign):
            yield from _walk(s.target)
            yield from _walk(s.value)
        elif isinstance(s, ast.If):
            for c, b in s.branches:
                yield from _walk(c)
                yield from _walk_stmts(b)
            yield from _walk_stmts(s.orelse)
        elif isinstance(s, ast.Choose):
            yield from _walk(s.domain)
            if s.cond is not None:
                yield from _walk(s.cond)
            yield from _walk_stmts(s.body)
        elif isinstance(s, ast.Send):
            yield from _walk(s.value)
            yield from _walk(s.chan)
        elif isinstance(s, ast.MethodCall):
            yield from _walk(s.target)
            for a in s.args:
                yield from _walk(a)
        elif isinstance(s, ast.Assert):
            yield from _walk(s.cond)


def _walk_transition(d: ast.Transition):
    for p in d.params:
        if isinstance(p.domain, ast.Expr):
            yield from _walk(p.domain)
    if d.recv is not None:
        yield from _walk(d.recv.chan)
    if d.guard is not None:
        yield from _walk(d.guard)
    yield from _walk_stmts(d.body)


def build_symmetry(model: Any, machines: list[MachineInfo]) -> Symmetry | None:
    """Generate the canonicalizer: sort each symmetric machine's instance slices."""
    if not machines:
        return None
    lay = model.layout
    lines = ["def canon(s):"]
    for n, m in enumerate(machines):
        base, stride = lay.machine_base[m.name], lay.stride[m.name]
        if stride == 0:
            continue
        mask = (1 << stride) - 1
        clear = ~(((1 << (stride * m.count)) - 1) << base)
        names = [f"c{n}_{i}" for i in range(m.count)]
        for i, name in enumerate(names):
            off = base + i * stride
            lines.append(f"    {name} = (s >> {off}) & {mask}" if off else f"    {name} = s & {mask}")
        lines.append(f"    if not ({' <= '.join(names)}):")
        lines.append(f"        {', '.join(names)}, = sorted(({', '.join(names)},))")
        parts = [f"({name} << {base + i * stride})" if base + i * stride else name for i, name in enumerate(names)]
        lines.append(f"        s = (s & {clear}) | " + " | ".join(parts))
    if len(lines) == 1:
        return None
    lines.append("    return s")
    src = "\n".join(lines) + "\n"
    ns: dict[str, Any] = {"__builtins__": {"sorted": sorted}}
    exec(compile(src, "<papcheck:symmetry>", "exec"), ns)
    return Symmetry(machines, ns["canon"], src)
