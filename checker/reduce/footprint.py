"""Static footprints: which state locations each action may read and write.

Computed once at compile time from the checked AST, per action (machine instance x transition),
with `self` and constants folded so `record[self]` in Enactor[1] is the single entry
`record[1]`.  A location is a tuple path: ``("latest",)``, ``("record", 0)``, ``("record", "*")``
(an entry chosen at run time), ``("Enactor", 1, "plan")``, ``("Enactor", 1, "@state")`` (the
control state).  Two locations overlap when one is a prefix of the other, `"*"` matching any key.

Complete by construction: reads are collected by walking every sub-node of every expression,
statement, parameter domain, `recv` channel and guard generically (over the AST dataclass
fields); only the location a state path denotes is computed by hand.  What cannot be resolved is
over-approximated: a key known only at run time is `*`, and an AST node or lvalue shape the
analysis does not know reads (and, for a statement, writes) TOP, which overlaps every location.

Used by partial-order reduction (two actions are independent when neither writes what the other
reads or writes) and by the happens-before rendering of counterexamples.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from ..lang import ast
from ..lang.symbols import BoundSym, CheckedSpec, ConstSym, EnumMemberSym, InstT, MachineInfo, VarSym

Loc = tuple

ANY = "*"


@dataclass(frozen=True)
class Footprint:
    reads: frozenset
    writes: frozenset

    def describe(self, singles: frozenset = frozenset()) -> str:
        """`singles`: machines declared without a count, named as traces name them (`Revoker`)."""
        return f"reads {_fmt(self.reads, singles)}; writes {_fmt(self.writes, singles)}"


def _fmt(locs: frozenset, singles: frozenset = frozenset()) -> str:
    return "{" + ", ".join(sorted(loc_text(l, singles) for l in locs)) + "}"


def loc_text(loc: Loc, singles: frozenset = frozenset()) -> str:
    """`("record", 0)` -> `record[0]`; `("@inst", "Enactor", 1, "plan")` -> `Enactor[1].plan`;
    an instance of a machine in `singles` (declared without a count) is named `Revoker`."""
    if loc[0] == "@inst":
        head = loc[1] if loc[1] in singles and loc[2] == 0 else f"{loc[1]}[{loc[2]}]"
        rest = list(loc[3:])
        if rest:
            head += "." + ("state" if rest[0] == "@state" else rest[0])
            rest = rest[1:]
    else:
        head, rest = str(loc[0]), list(loc[1:])
    return head + "".join(p if isinstance(p, str) and p.startswith(".") else f"[{p}]" for p in rest)


def overlap(a: Loc, b: Loc) -> bool:
    for x, y in zip(a, b):
        if x != y and x != ANY and y != ANY:
            return False
    return True


def conflicts(fa: Footprint, fb: Footprint) -> list[tuple[Loc, Loc]]:
    """The pairs of locations through which the two actions may interfere (empty: independent)."""
    out = []
    for w in fa.writes:
        for l in fb.reads | fb.writes:
            if overlap(w, l):
                out.append((w, l))
    for w in fb.writes:
        for l in fa.reads:
            if overlap(w, l):
                out.append((l, w))
    return out


@dataclass
class _Ctx:
    machine: MachineInfo | None
    inst: int | None
    consts: dict[int, Any] = field(default_factory=dict)  # BoundSym uid -> known value


# The node types the walk below knows.  Every other Expr or Stmt (a form added to the language
# later) is over-approximated: it reads, and a statement also writes, every location (TOP), so
# a forgotten case costs reduction, never soundness.  tests/test_footprint.py checks that every
# form of the grammar is listed here and that a read or write hidden in any of its positions
# makes two transitions dependent.
TOP: Loc = (ANY,)
LEAF_EXPRS = (ast.IntLit, ast.BoolLit, ast.SelfRef)
PATH_EXPRS = (ast.Name, ast.Index, ast.Field, ast.At)
COMPOSITE_EXPRS = (ast.Unary, ast.Binary, ast.RangeExpr, ast.In, ast.Quant, ast.Comprehension, ast.Cond,
                   ast.Call, ast.SetLit, ast.RecordLit)
KNOWN_EXPRS = LEAF_EXPRS + PATH_EXPRS + COMPOSITE_EXPRS
WRITING_STMTS = (ast.Assign, ast.MethodCall, ast.Send)
COMPOSITE_STMTS = (ast.If, ast.Choose, ast.For, ast.Assert, ast.Skip)
KNOWN_STMTS = WRITING_STMTS + COMPOSITE_STMTS


def children(node: Any):
    """Every sub-expression, statement and type expression of an AST node, in field order
    (generic over the dataclass fields, so a new field cannot be skipped)."""
    for f in fields(node):
        if f.name == "span":
            continue
        yield from _nodes_in(getattr(node, f.name))


def _nodes_in(v: Any):
    if isinstance(v, (ast.Expr, ast.Stmt, ast.TypeExpr)):
        yield v
    elif isinstance(v, (tuple, list)):
        for x in v:
            yield from _nodes_in(x)


class FootprintAnalysis:
    """Computes the footprint of every action, and of every property expression.

    Reads are collected by walking every sub-node of every expression, statement, parameter
    domain, `recv` channel and guard generically (:func:`children`); only the location an
    lvalue or a state path denotes is computed by hand, and a shape that cannot be resolved to
    a location is over-approximated (a key becomes `*`, an unknown target becomes TOP)."""

    def __init__(self, checked: CheckedSpec, machine_names: set[str] | None = None):
        self.c = checked
        self.machines = {m.name: m for m in checked.machines}

    # -- public
    def action(self, m: MachineInfo, inst: int, tr) -> Footprint:
        ctx = _Ctx(m, inst)
        reads: set = {("@inst", m.name, inst, "@state")}
        writes: set = set()
        d: ast.Transition = tr.decl
        for p in d.params:  # parameter domains: `x in pool`, `x in lo..hi`, `x: T`
            self.node(p.domain, ctx, reads, writes)
        if d.recv is not None:  # receiving reads and writes (dequeues) the channel
            loc = self.location(d.recv.chan, ctx, reads, lvalue=True)
            reads.add(loc)
            writes.add(loc)
        if d.guard is not None:
            self.expr(d.guard, ctx, reads)
        self.stmts(d.body, ctx, reads, writes)
        if tr.target is not None and tr.target is not tr.state:
            writes.add(("@inst", m.name, inst, "@state"))
        return Footprint(frozenset(reads), frozenset(writes))

    def property_reads(self, e: ast.Expr) -> frozenset:
        reads: set = set()
        self.expr(e, _Ctx(None, None), reads)
        return frozenset(reads)

    # -- generic dispatch
    def node(self, n: Any, ctx: _Ctx, reads: set, writes: set) -> None:
        if isinstance(n, ast.Expr):
            self.expr(n, ctx, reads)
        elif isinstance(n, ast.Stmt):
            self.stmts((n,), ctx, reads, writes)
        elif isinstance(n, ast.TypeExpr):
            for x in children(n):  # range bounds, channel capacities: constants, walked anyway
                self.node(x, ctx, reads, writes)
        else:
            reads.add(TOP)

    # -- statements
    def stmts(self, body: tuple, ctx: _Ctx, reads: set, writes: set) -> None:
        for s in body:
            if isinstance(s, ast.Assign):
                loc = self.location(s.target, ctx, reads, lvalue=True)
                writes.add(loc)
                self.expr(s.value, ctx, reads)
            elif isinstance(s, ast.MethodCall):
                loc = self.location(s.target, ctx, reads, lvalue=True)
                reads.add(loc)
                writes.add(loc)
                for a in s.args:
                    self.expr(a, ctx, reads)
            elif isinstance(s, ast.Send):
                loc = self.location(s.chan, ctx, reads, lvalue=True)
                reads.add(loc)
                writes.add(loc)
                self.expr(s.value, ctx, reads)
            elif isinstance(s, COMPOSITE_STMTS):
                for x in children(s):
                    self.node(x, ctx, reads, writes)
            else:  # a statement form this analysis does not know: it may touch anything
                reads.add(TOP)
                writes.add(TOP)
                for x in children(s):
                    self.node(x, ctx, reads, writes)

    # -- locations
    def location(self, e: ast.Expr, ctx: _Ctx, reads: set, lvalue: bool = False) -> Loc:
        """The location an lvalue-shaped expression denotes; index expressions are read.  A shape
        that denotes no location of the state is TOP when written (lvalue), else its reads are
        collected and a location matching nothing in the state is returned."""
        if isinstance(e, ast.Name):
            sym = self.c.refs.get(id(e))
            if isinstance(sym, VarSym):
                if sym.machine is None:
                    return (sym.name,)
                return ("@inst", sym.machine.name, ANY if ctx.inst is None else ctx.inst, sym.name)
            if lvalue:
                return TOP
            if isinstance(sym, BoundSym):
                return ("@bound", sym.uid)
            return ("@const",)
        if isinstance(e, ast.Index):
            bt = self.c.types.get(id(e.base))
            if isinstance(bt, InstT):
                return ("@inst", bt.machine, self.key(e.index, ctx, reads))
            base = self.location(e.base, ctx, reads, lvalue)
            return base + (self.key(e.index, ctx, reads),)
        if isinstance(e, ast.Field):
            bt = self.c.types.get(id(e.base))
            if isinstance(bt, InstT):
                if isinstance(e.base, ast.Index):
                    i = self.key(e.base.index, ctx, reads)
                elif isinstance(e.base, ast.Name):
                    i = 0
                else:
                    self.expr(e.base, ctx, reads)
                    i = ANY
                return ("@inst", bt.machine, i, e.name)
            return self.location(e.base, ctx, reads, lvalue) + ("." + e.name,)
        self.expr(e, ctx, reads)
        return TOP if lvalue else ("@value",)

    def key(self, e: ast.Expr, ctx: _Ctx, reads: set) -> Any:
        self.expr(e, ctx, reads)
        v = self.static_value(e, ctx)
        return ANY if v is None else v

    def static_value(self, e: ast.Expr, ctx: _Ctx) -> Any:
        if isinstance(e, ast.IntLit):
            return e.value
        if isinstance(e, ast.BoolLit):
            return e.value
        if isinstance(e, ast.SelfRef):
            return ctx.inst
        if isinstance(e, ast.Name):
            sym = self.c.refs.get(id(e))
            if isinstance(sym, ConstSym):
                return sym.value
            if isinstance(sym, EnumMemberSym):
                return sym.name
            return None
        if isinstance(e, ast.Binary) and e.op in ("+", "-", "*"):
            a, b = self.static_value(e.left, ctx), self.static_value(e.right, ctx)
            if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and not isinstance(b, bool):
                return a + b if e.op == "+" else a - b if e.op == "-" else a * b
        return None

    # -- expressions (collect reads)
    def expr(self, e: ast.Expr, ctx: _Ctx, reads: set) -> None:
        if isinstance(e, LEAF_EXPRS):
            return
        if isinstance(e, ast.Name):
            sym = self.c.refs.get(id(e))
            if isinstance(sym, VarSym):
                reads.add(self.location(e, ctx, reads))
            return
        if isinstance(e, (ast.Index, ast.Field)):
            if self._rooted(e):
                reads.add(self.location(e, ctx, reads))
            else:  # a path into a computed value: read whatever the parts read
                for x in children(e):
                    self.node(x, ctx, reads, set())
            return
        if isinstance(e, ast.At):
            bt = self.c.types.get(id(e.base))
            if isinstance(bt, InstT) and isinstance(e.base, (ast.Index, ast.Name)):
                i = self.key(e.base.index, ctx, reads) if isinstance(e.base, ast.Index) else 0
                reads.add(("@inst", bt.machine, i, "@state"))
            else:
                reads.add(TOP)
                self.expr(e.base, ctx, reads)
            return
        if not isinstance(e, COMPOSITE_EXPRS):
            reads.add(TOP)  # an expression form this analysis does not know
        for x in children(e):
            self.node(x, ctx, reads, set())

    def _rooted(self, e: ast.Expr) -> bool:
        """Is e a path into the state (a variable, map entry, field or instance local)?"""
        while isinstance(e, (ast.Index, ast.Field)):
            if isinstance(self.c.types.get(id(e.base)), InstT):
                return True
            e = e.base
        return isinstance(e, ast.Name) and isinstance(self.c.refs.get(id(e)), VarSym)


def action_footprints(checked: CheckedSpec, actions: list) -> list[Footprint]:
    """Footprint of each compiled action (index = action id)."""
    fa = FootprintAnalysis(checked)
    return [fa.action(a.machine, a.instance, a.transition) for a in actions]
