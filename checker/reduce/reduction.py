"""State-space reductions: partial-order reduction (ample sets) and symmetry reduction.

Both plug into the one search loop (:func:`checker.engine.explore.explore`) as an `expand` function that
replaces "all successors of s".

**Partial-order reduction** (as SPIN's, by process): in state s, the enabled transitions of one
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

**Symmetry reduction** (as Murphi's scalarsets): instances of a machine that the compiler proves
interchangeable are permuted to a canonical order.  Proof obligation, checked on the AST: instance
ids (`self`, names bound over the machine, values of type M or M?) are only used to name
instances, compared with == / != (to each other or `none`), tested with `in`, stored where the
declared type is M or M? (assigned, sent, set elements, map keys, record fields), never in
arithmetic or ordering; no instance is named by a constant (`Enactor[0]`); the initial state is
invariant under permutations.  Without ids in the data, a state's orbit is the set of
reorderings of the instances' slices of the packed state, and sorting those slices gives a
canonical representative.  With ids in the data, every permutation is applied (slices moved, ids
renamed inside sets, maps, records and the occupied slots of channels, `none` fixed) and the
least image kept.  Either way the reduced state count is exactly the number of orbits (Rumur's
`--symmetry-reduction exhaustive`).  Machines marked `symmetric` that fail the proof are a spec
error; a value the canonicalizer cannot rename raises SymmetryUnavailable, which the caller turns
into a located note and an unreduced search.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..lang import ast
from ..lang.errors import Diagnostics, Note
from .footprint import Footprint, FootprintAnalysis, conflicts, loc_text, overlap
from ..lang.resolve import BoundSym, CheckedSpec, MachineInfo, VarSym
from ..lang.types import ChanT, MapT, NoneT, RangeT, RecordT, SetT, Type


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
        # Under symmetry a cycle of canonical states may permute instances, so one instance's
        # steps along it can be another's: the static C3 shortcut then needs a cycle among the
        # union of the machine's safe control states (see expander).
        union: dict[str, set[int]] = {}
        for k, (m, inst) in enumerate(model.instances):
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
        name = lambda a: f"{acts[a].instance_name}.{acts[a].transition.name}"  # noqa: E731
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


# ------------------------------------------------------------------------------------- symmetry


class SymmetryUnavailable(Exception):
    """The canonicalizer met a value it cannot rename: the search must run unreduced.  span
    locates the variable holding the value (Span.point(0, 0) when unknown)."""

    def __init__(self, span: Any, reason: str):
        super().__init__(reason)
        self.span, self.reason = span, reason


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


def _asymmetry(checked: CheckedSpec, m: MachineInfo):
    """None if m's instances are interchangeable, else (span, reason).

    Values of m's index type (`self`, names bound over m, variables of that type, map keys and
    set elements of it) may only name instances: index m or a map keyed by m, be compared with
    == / != to another such value, be tested for membership in a set of them, or be stored where
    the declared type is m's index type.  Arithmetic, ordering, numbers standing for instances
    (`Enactor[0]`, `owner == 1`) and an initial state that is not symmetric all break it."""
    bad = _init_asymmetry(checked, m)
    if bad is not None:
        return bad
    finder = _ContextFinder(checked, m)
    try:
        for mm in checked.machines:
            for tr in mm.transitions:
                finder.transition(tr.decl)
        for p in checked.properties:
            for e in (p.decl.expr, p.decl.expr2):
                if e is not None:
                    finder.expr(e, False)
    except _Asymmetric as a:
        return a.span, a.reason
    return None


class _Asymmetric(Exception):
    def __init__(self, span, reason: str):
        self.span, self.reason = span, reason


def _is_index(t: Type | None, m: MachineInfo) -> bool:
    return isinstance(t, RangeT) and t.instance_of == m.name


class _ContextFinder:
    """Walks transitions and properties, knowing at each node whether a value of the machine's
    index type may stand there (`allowed`); see _asymmetry."""

    def __init__(self, checked: CheckedSpec, m: MachineInfo):
        self.c = checked
        self.m = m

    def _t(self, e) -> Type | None:
        return self.c.types.get(id(e))

    def _mtyped(self, e) -> bool:
        return _is_index(self._t(e), self.m)

    def need_index(self, e, what: str) -> None:
        """e stands where an instance is meant: it must be a value of the index type (or `none`,
        which every permutation fixes)."""
        if isinstance(self._t(e), NoneT):
            return
        if not self._mtyped(e):
            raise _Asymmetric(e.span, f"{what} names a particular instance of {self.m.name}")
        self.expr(e, True)

    def transition(self, d: ast.Transition) -> None:
        for p in d.params:
            if isinstance(p.domain, ast.Expr):
                self.domain(p.domain)
        if d.recv is not None:
            self.expr(d.recv.chan, False)
        if d.guard is not None:
            self.expr(d.guard, False)
        self.stmts(d.body)

    def stmts(self, body) -> None:
        for s in body:
            if isinstance(s, ast.Assign):
                # storing an instance id where the declared type is the machine's (`peer := j`,
                # `r.p := j`) is a symmetric operation: the target is a location, not a use
                self.expr(s.target, self._mtyped(s.target))
                if self._mtyped(s.target):
                    self.need_index(s.value, "the assigned value")
                else:
                    self.expr(s.value, False)
            elif isinstance(s, ast.If):
                for cond, b in s.branches:
                    self.expr(cond, False)
                    self.stmts(b)
                self.stmts(s.orelse)
            elif isinstance(s, ast.Choose):
                self.domain(s.domain)
                if s.cond is not None:
                    self.expr(s.cond, False)
                self.stmts(s.body)
            elif isinstance(s, ast.Send):
                self.expr(s.chan, False)
                ct = self._t(s.chan)
                if isinstance(ct, ChanT) and _is_index(ct.elem, self.m):
                    self.need_index(s.value, "the message")
                else:
                    self.expr(s.value, False)
            elif isinstance(s, ast.MethodCall):
                self.expr(s.target, False)
                st = self._t(s.target)
                for a in s.args:
                    if isinstance(st, SetT) and _is_index(st.elem, self.m):
                        self.need_index(a, "the element")
                    else:
                        self.expr(a, False)
            elif isinstance(s, ast.Assert):
                self.expr(s.cond, False)

    def domain(self, e) -> None:
        if isinstance(e, ast.Name) and self.c.refs.get(id(e)) is self.m:
            return
        if isinstance(e, ast.RangeExpr):
            self.expr(e.lo, False)
            self.expr(e.hi, False)
            return
        if isinstance(e, ast.SetLit):
            for x in e.elems:
                self.expr(x, self._mtyped(x))
            return
        self.expr(e, False)

    def expr(self, e, allowed: bool) -> None:
        m = self.m
        if self._mtyped(e) and not allowed and not isinstance(e, (ast.Index, ast.Field)):
            raise _Asymmetric(e.span, "it uses an instance index as a number"
                              if not isinstance(e, ast.SelfRef) else
                              "it uses 'self' other than to name an instance")
        if isinstance(e, (ast.IntLit, ast.BoolLit, ast.SelfRef, ast.Name)):
            return
        if isinstance(e, ast.Index):
            base_t = self._t(e.base)
            names_m = isinstance(e.base, ast.Name) and self.c.refs.get(id(e.base)) is m
            if names_m or (isinstance(base_t, MapT) and _is_index(base_t.key, m)):
                self.need_index(e.index, "the index")
            else:
                self.expr(e.index, False)
            if not names_m:
                self.expr(e.base, False)
            if self._mtyped(e) and not allowed:
                raise _Asymmetric(e.span, "it uses an instance index as a number")
            return
        if isinstance(e, ast.Field):
            self.expr(e.base, False)
            if self._mtyped(e) and not allowed:
                raise _Asymmetric(e.span, "it uses an instance index as a number")
            return
        if isinstance(e, ast.At):
            self.expr(e.base, False)
            return
        if isinstance(e, ast.Binary) and e.op in ("==", "!="):
            if self._mtyped(e.left) or self._mtyped(e.right):
                self.need_index(e.left, "a compared value")
                self.need_index(e.right, "a compared value")
            else:
                self.expr(e.left, False)
                self.expr(e.right, False)
            return
        if isinstance(e, ast.In):
            desc = self.c.domains.get(id(e.domain))
            elem_t = desc[1] if desc and desc[0] == "type" else (
                desc[1].elem if desc and desc[0] == "set" else None)
            if _is_index(elem_t, m):
                self.need_index(e.elem, "the element")
            else:
                self.expr(e.elem, False)
            self.domain(e.domain)
            return
        if isinstance(e, ast.Quant):
            self.domain(e.domain)
            self.expr(e.body, False)
            return
        if isinstance(e, ast.Cond):
            self.expr(e.cond, False)
            self.expr(e.then, allowed)
            self.expr(e.orelse, allowed)
            return
        if isinstance(e, ast.SetLit):
            st = self._t(e)
            for x in e.elems:
                if isinstance(st, SetT) and _is_index(st.elem, m):
                    self.need_index(x, "the element")
                else:
                    self.expr(x, False)
            return
        if isinstance(e, ast.RecordLit):
            rt = self._t(e)
            ftypes = dict(rt.fields) if isinstance(rt, RecordT) else {}
            for f, x in e.fields:
                if _is_index(ftypes.get(f), m):
                    self.need_index(x, f"field {f}")
                else:
                    self.expr(x, False)
            return
        if isinstance(e, ast.Unary):
            self.expr(e.operand, False)
        elif isinstance(e, ast.Binary):
            self.expr(e.left, False)
            self.expr(e.right, False)
        elif isinstance(e, ast.Call):
            for a in e.args:
                self.expr(a, False)
        elif isinstance(e, ast.RangeExpr):
            self.expr(e.lo, False)
            self.expr(e.hi, False)


def _init_asymmetry(checked: CheckedSpec, m: MachineInfo):
    """The initial state must be invariant under permuting m's instances (checked on the two
    generators of the symmetric group: a swap and a rotation)."""
    n = m.count
    gens = [tuple([1, 0] + list(range(2, n))), tuple(list(range(1, n)) + [0])]
    pm = {m.name: None}
    for perm in gens:
        pm[m.name] = perm
        for v in checked.shared:
            if _remap_value(v.inits[0], v.type, pm) != v.inits[0]:
                return v.decl.span, f"the initial value of '{v.name}' singles out instances"
        for mm in checked.machines:
            for v in mm.locals:
                for i, init in enumerate(v.inits):
                    image = _remap_value(init, v.type, pm)
                    j = perm[i] if mm is m else i
                    if image != v.inits[j]:
                        return v.decl.span, f"its instances start with different values of '{v.name}'" \
                            if mm is m else f"the initial value of '{v.name}' singles out instances"
    return None


def _remap_value(v, t: Type, perms: dict):
    """The user value v of type t with every instance index of a permuted machine renamed."""
    if isinstance(t, RangeT):
        perm = perms.get(t.instance_of)
        return perm[v] if perm is not None and 0 <= v < len(perm) else v  # none (-1) is fixed
    if isinstance(t, SetT):
        return frozenset(_remap_value(x, t.elem, perms) for x in v)
    if isinstance(t, MapT):
        moved = {_remap_value(k, t.key, perms): _remap_value(x, t.value, perms) for k, x in v}
        return tuple((k, moved[k]) for k in t.key.values())  # type: ignore[attr-defined]
    if isinstance(t, RecordT):
        return tuple((f, _remap_value(x, ft, perms)) for (f, x), (_, ft) in zip(v, t.fields))
    if isinstance(t, ChanT):
        return tuple(_remap_value(x, t.elem, perms) for x in v)
    return v


def build_symmetry(model: Any, machines: list[MachineInfo]) -> Symmetry | None:
    """The canonicalizer: the least state of the orbit (exact, as Rumur's exhaustive mode).
    When no variable holds instance indices, permuting instances only reorders their slices of
    the packed state, and sorting the slices finds the least: generated code.  Otherwise every
    permutation is applied (slices moved, indices renamed inside maps, sets, records, channels)
    and the least image kept."""
    from ..engine.compile import int_literal
    if not machines:
        return None
    names = {m.name for m in machines}
    if any(_mentions_any(slot.type, names) for slot in model.layout.slots):
        return _generic_symmetry(model, machines)
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
            lines.append(f"    {name} = (s >> {off}) & {int_literal(mask)}" if off else f"    {name} = s & {int_literal(mask)}")
        lines.append(f"    if not ({' <= '.join(names)}):")
        lines.append(f"        {', '.join(names)}, = sorted(({', '.join(names)},))")
        parts = [f"({name} << {base + i * stride})" if base + i * stride else name for i, name in enumerate(names)]
        lines.append(f"        s = (s & {int_literal(clear)}) | " + " | ".join(parts))
    if len(lines) == 1:
        return None
    lines.append("    return s")
    src = "\n".join(lines) + "\n"
    ns: dict[str, Any] = {"__builtins__": {"sorted": sorted}}
    exec(compile(src, "<papcheck:symmetry>", "exec"), ns)
    return Symmetry(machines, ns["canon"], src)


def _mentions_any(t: Type, names: set[str]) -> bool:
    if isinstance(t, RangeT):
        return t.instance_of in names
    if isinstance(t, SetT):
        return _mentions_any(t.elem, names)
    if isinstance(t, MapT):
        return _mentions_any(t.key, names) or _mentions_any(t.value, names)
    if isinstance(t, RecordT):
        return any(_mentions_any(ft, names) for _, ft in t.fields)
    if isinstance(t, ChanT):
        return _mentions_any(t.elem, names)
    return False


def _raw_remapper(t: Type, names: set[str]):
    """f(raw bits, {machine: permutation}) renaming instance indices inside an encoded value, or
    None when t holds none."""
    if not _mentions_any(t, names):
        return None
    if isinstance(t, RangeT):  # an instance index: encoded as itself (lo = 0), or +1 for `M?`
        x, lo = t.instance_of, t.lo
        if lo == 0:
            return lambda raw, pm: pm[x][raw]
        # M?: raw 0 is none (fixed by every permutation), raw i + 1 the instance i
        return lambda raw, pm: pm[x][raw - 1] + 1 if raw else 0
    if isinstance(t, SetT):
        x, n = t.elem.instance_of, t.width  # type: ignore[attr-defined]

        def set_map(raw, pm):
            perm, out = pm[x], 0
            for i in range(n):
                if (raw >> i) & 1:
                    out |= 1 << perm[i]
            return out
        return set_map
    if isinstance(t, MapT):
        w, size = t.value.width, t.key.size  # type: ignore[attr-defined]
        mv = (1 << w) - 1
        inner = _raw_remapper(t.value, names)
        kx = t.key.instance_of if isinstance(t.key, RangeT) and t.key.instance_of in names else None

        def map_map(raw, pm):
            out = 0
            for i in range(size):
                e = (raw >> (i * w)) & mv
                if inner is not None:
                    e = inner(e, pm)
                j = pm[kx][i] if kx is not None else i
                out |= e << (j * w)
            return out
        return map_map
    if isinstance(t, RecordT):
        parts = []
        off = 0
        for _, ft in t.fields:
            parts.append((off, (1 << ft.width) - 1, _raw_remapper(ft, names)))
            off += ft.width

        def rec_map(raw, pm):
            out = 0
            for o, mk, f in parts:
                e = (raw >> o) & mk
                out |= (f(e, pm) if f is not None else e) << o
            return out
        return rec_map
    if isinstance(t, ChanT):
        lw, ew, cap = t.len_width, t.elem.width, t.capacity
        me = (1 << ew) - 1
        inner = _raw_remapper(t.elem, names)

        def chan_map(raw, pm):
            # only the occupied slots hold messages (head first, order kept); the empty ones
            # past the length stay as the program leaves them (0), or a send would OR into them
            n = raw & ((1 << lw) - 1)
            out = n
            for k in range(min(n, cap)):
                e = (raw >> (lw + k * ew)) & me
                out |= inner(e, pm) << (lw + k * ew)  # type: ignore[misc]
            return out | (raw & ~((1 << (lw + min(n, cap) * ew)) - 1))
        return chan_map
    return None


def _generic_symmetry(model: Any, machines: list[MachineInfo]) -> Symmetry:
    from itertools import permutations, product
    lay = model.layout
    names = {m.name for m in machines}
    order = [m.name for m in machines]
    perm_lists = [list(permutations(range(m.count))) for m in machines]
    static_mask = 0
    moving = []  # (offset, mask, remapper, machine name or None, instance, offset within slice)
    for slot in lay.slots:
        width = slot.type.width
        if width == 0:
            continue
        mask = (1 << width) - 1
        in_sym = slot.machine is not None and slot.machine.name in names
        f = _raw_remapper(slot.type, names)
        if not in_sym and f is None:
            static_mask |= mask << slot.offset
            continue
        rel = slot.offset - lay.pc_offset(slot.machine, slot.instance) if in_sym else 0
        moving.append((slot.offset, mask, f, slot.machine.name if in_sym else None, slot.instance, rel))

    def canon_raw(s: int) -> int:
        base = s & static_mask
        raws = [(s >> off) & mask for off, mask, _, _, _, _ in moving]
        best = -1
        for combo in product(*perm_lists):
            pm = dict(zip(order, combo))
            t = base
            for (off, _, f, mname, inst, rel), raw in zip(moving, raws):
                if f is not None:
                    raw = f(raw, pm)
                if mname is not None:
                    off = lay.machine_base[mname] + pm[mname][inst] * lay.stride[mname] + rel
                t |= raw << off
            if best < 0 or t < best:
                best = t
        return best

    def canon(s: int) -> int:
        try:
            return canon_raw(s)
        except Exception as err:  # noqa: BLE001 - a value outside what the renaming knows
            combos = [dict(zip(order, c)) for c in product(*perm_lists)]
            raise _locate_failure(model, moving, combos, s, err) from None
    return Symmetry(machines, canon, "# every permutation of " + ", ".join(order))


def _locate_failure(model: Any, moving: list, combos: list[dict], s: int, err: Exception
                    ) -> SymmetryUnavailable:
    """Which variable's value the renaming failed on (slow path, taken once)."""
    from ..lang.errors import Span
    for slot in model.layout.slots:
        f = next((m[2] for m in moving if m[0] == slot.offset and m[2] is not None), None)
        if f is None:
            continue
        raw = (s >> slot.offset) & ((1 << slot.type.width) - 1)
        try:
            for pm in combos:
                f(raw, pm)
        except Exception:  # noqa: BLE001
            span = slot.var.decl.span if slot.var is not None else Span.point(0, 0)
            return SymmetryUnavailable(span, f"cannot apply symmetry here: the value of "
                                             f"{slot.display} (encoded {raw}) cannot be renamed")
    return SymmetryUnavailable(Span.point(0, 0), f"cannot apply symmetry here ({type(err).__name__})")
