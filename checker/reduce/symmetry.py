"""Symmetry reduction: a canonical representative of each state's orbit, plugged into the one
search loop (:func:`checker.engine.explore.explore`) as an `expand` function.

As Murphi's scalarsets: instances of a machine that the compiler proves
interchangeable are permuted to a canonical order.  Proof obligation, checked on the AST: instance
ids (`self`, names bound over the machine, values of type M or M?) are only used to name
instances, compared with == / != (to each other or `none`), tested with `in`, stored where the
declared type is M or M? (assigned, sent, set elements, map keys, record fields), never in
arithmetic or ordering; no instance is named by a constant (`Enactor[0]`); the set of initial
states (several with `var x: T in D`) is closed under permutations.  (Given the rest, that last
condition is a conservative one: canonicalizing the initial states already keeps verdicts and
shortest lengths, since transitions and properties commute with renaming; papcheck still refuses,
with a located note, rather than reduce from an initial set that singles out instances.)  Without ids in the data, a state's orbit is the set of
reorderings of the instances' slices of the packed state, and sorting those slices gives a
canonical representative.  With ids in the data, every permutation is applied (slices moved, ids
renamed inside sets, maps, records and the occupied slots of channels, `none` fixed) and the
least image kept.  Either way the reduced state count is exactly the number of orbits (Rumur's
`--symmetry-reduction exhaustive`).  Machines marked `symmetric` that fail the proof are a spec
error; a value the canonicalizer cannot rename raises SymmetryUnavailable, which the caller turns
into a located note and an unreduced search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..lang import ast
from ..lang.errors import Diagnostics, Note
from ..lang.symbols import CheckedSpec, MachineInfo
from ..lang.types import ChanT, MapT, NoneT, RangeT, RecordT, SetT, Type

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
    # (base offset, stride, count) per machine when canon sorts slices (no ids in the data):
    # what the native engine transcribes; None for the permuting canonicalizer
    slices: list[tuple[int, int, int]] | None = None

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


def initial_set_notes(checked: CheckedSpec) -> list[SymmetryUnavailable]:
    """Why a machine that would otherwise be interchangeable is not reduced: its instances are
    singled out by the initial states that `var x: T in D` declarations give (for the located
    note of `check`)."""
    if not any(v.choices for v in checked.shared + [v for mm in checked.machines for v in mm.locals]):
        return []
    out = []
    for m in checked.machines:
        if m.count < 2 or m.symmetric:
            continue
        bad = _init_asymmetry(checked, m)
        if bad is None or _asymmetry(checked, m, with_init=False) is not None:
            continue
        span, reason = bad
        out.append(SymmetryUnavailable(span, f"machine {m.name} is not reduced by symmetry: {reason} (the set of "
                                             f"initial states is not closed under renaming {m.name}'s instances)"))
    return out


def _asymmetry(checked: CheckedSpec, m: MachineInfo, with_init: bool = True):
    """None if m's instances are interchangeable, else (span, reason).

    Values of m's index type (`self`, names bound over m, variables of that type, map keys and
    set elements of it) may only name instances: index m or a map keyed by m, be compared with
    == / != to another such value, be tested for membership in a set of them, or be stored where
    the declared type is m's index type.  Arithmetic, ordering, numbers standing for instances
    (`Enactor[0]`, `owner == 1`) and an initial state that is not symmetric all break it."""
    bad = _init_asymmetry(checked, m) if with_init else None
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
            elif isinstance(s, ast.For):
                # the iterations run in the domain's order: over the instances of m, in index
                # order, so a body whose iterations interact (the first free one wins) names a
                # particular instance; loops over other domains are checked like any code
                if self._over_instances(s.domain):
                    raise _Asymmetric(s.span, f"a 'for' loop over the instances of {self.m.name} visits "
                                              "them in index order")
                self.domain(s.domain)
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

    def _over_instances(self, e) -> bool:
        desc = self.c.domains.get(id(e))
        elem_t = desc[1] if desc and desc[0] == "type" else (desc[1].elem if desc and desc[0] == "set" else None)
        return _is_index(elem_t, self.m) or (desc is not None and desc[0] == "lit" and any(
            self._mtyped(x) for x in desc[1]))

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
        if isinstance(e, ast.Comprehension):
            self.domain(e.domain)
            if e.cond is not None:
                self.expr(e.cond, False)
            st = self._t(e)
            if e.elem is None and isinstance(st, SetT) and _is_index(st.elem, m) \
                    and not self._over_instances(e.domain):
                raise _Asymmetric(e.span, f"its elements are numbers standing for instances of {m.name}")
            if e.elem is not None:
                if isinstance(st, SetT) and _is_index(st.elem, m):
                    self.need_index(e.elem, "the element")
                else:
                    self.expr(e.elem, False)
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
    """The set of initial states must be closed under permuting m's instances (checked on the two
    generators of the symmetric group: a swap and a rotation).  It is the product of each
    variable's (each instance's) initial values, a single one or the values of its `in` domain,
    and a permutation maps that product onto the product of the renamed value sets with the
    instances' slots moved: the product is closed exactly when each renamed value set equals the
    set of the slot it moves to.  Otherwise reducing would merge an initial state with a state
    that is not initial, an unsound verdict."""
    n = m.count
    gens = [tuple([1, 0] + list(range(2, n))), tuple(list(range(1, n)) + [0])]
    pm: dict[str, tuple[int, ...] | None] = {m.name: None}

    def starts(v, i: int) -> frozenset:
        return frozenset(v.choices[i]) if v.choices else frozenset([v.inits[i]])

    for perm in gens:
        pm[m.name] = perm
        for v in checked.shared:
            if frozenset(_remap_value(x, v.type, pm) for x in starts(v, 0)) != starts(v, 0):
                what = "initial values" if v.choices else "initial value"
                return v.decl.span, f"the {what} of '{v.name}' single{'s' if not v.choices else ''} out instances"
        for mm in checked.machines:
            for v in mm.locals:
                for i in range(len(v.inits)):
                    image = frozenset(_remap_value(x, v.type, pm) for x in starts(v, i))
                    j = perm[i] if mm is m else i
                    if image != starts(v, j):
                        if mm is m and not v.choices:
                            return v.decl.span, f"its instances start with different values of '{v.name}'"
                        what = "initial values" if v.choices else "initial value"
                        return v.decl.span, f"the {what} of '{v.name}' single{'s' if not v.choices else ''} out instances"
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
    slices = [(lay.machine_base[m.name], lay.stride[m.name], m.count) for m in machines]
    return Symmetry(machines, ns["canon"], src, slices)


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
                out |= inner(e, pm) << (lw + k * ew)
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

    combos = [dict(zip(order, c)) for c in product(*perm_lists)]
    # per permutation: where each moving slot lands, its renaming, and a memo of renamed values
    # (a pure function of the raw value: the same few values recur in state after state)
    plans = []
    for pm in combos:
        plan: list[tuple[int, Any, Any]] = []  # (offset, remapper or None, its memo: a dict when there is one)
        for off, _, f, mname, inst, rel in moving:
            if mname is not None:
                off = lay.machine_base[mname] + pm[mname][inst] * lay.stride[mname] + rel
            plan.append((off, f, {} if f is not None else None))
        plans.append((pm, plan))
    shifts = [(off, mask) for off, mask, _, _, _, _ in moving]

    def canon_raw(s: int) -> int:
        base = s & static_mask
        raws = [(s >> off) & mask for off, mask in shifts]
        best = -1
        for pm, plan in plans:
            t = base
            for (off, f, memo), raw in zip(plan, raws):
                if f is not None:
                    r = memo.get(raw)
                    if r is None:
                        r = memo[raw] = f(raw, pm)
                    raw = r
                t |= raw << off
            if best < 0 or t < best:
                best = t
        return best

    def canon(s: int) -> int:
        try:
            return canon_raw(s)
        except Exception as err:
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
        except Exception:
            span = slot.var.decl.span if slot.var is not None else Span.point(0, 0)
            return SymmetryUnavailable(span, f"cannot apply symmetry here: the value of "
                                             f"{slot.display} (encoded {raw}) cannot be renamed")
    return SymmetryUnavailable(Span.point(0, 0), f"cannot apply symmetry here ({type(err).__name__})")
