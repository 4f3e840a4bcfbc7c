"""Static footprints: which state locations each action may read and write.

Computed once at compile time from the checked AST, per action (machine instance x transition),
with `self` and constants folded so `record[self]` in Enactor[1] is the single entry
`record[1]`.  A location is a tuple path: ``("latest",)``, ``("record", 0)``, ``("record", "*")``
(an entry chosen at run time), ``("Enactor", 1, "plan")``, ``("Enactor", 1, "@state")`` (the
control state).  Two locations overlap when one is a prefix of the other, `"*"` matching any key.

Used by partial-order reduction (two actions are independent when neither writes what the other
reads or writes) and by the happens-before rendering of counterexamples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ast
from .resolve import BoundSym, CheckedSpec, ConstSym, EnumMemberSym, InstT, MachineInfo, VarSym

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


class FootprintAnalysis:
    """Computes the footprint of every action, and of every property expression."""

    def __init__(self, checked: CheckedSpec, machine_names: set[str] | None = None):
        self.c = checked
        self.machines = {m.name: m for m in checked.machines}

    # -- public
    def action(self, m: MachineInfo, inst: int, tr) -> Footprint:
        ctx = _Ctx(m, inst)
        reads: set = {("@inst", m.name, inst, "@state")}
        writes: set = set()
        for b, dom in tr.params:
            if dom[0] != "type":
                self._domain_reads(dom, ctx, reads)
        if tr.recv is not None:
            loc = self.location(tr.recv[1], ctx, reads)
            reads.add(loc)
            writes.add(loc)
        if tr.decl.guard is not None:
            self.expr(tr.decl.guard, ctx, reads)
        self.stmts(tr.decl.body, ctx, reads, writes)
        if tr.target is not None and tr.target is not tr.state:
            writes.add(("@inst", m.name, inst, "@state"))
        return Footprint(frozenset(reads), frozenset(writes))

    def property_reads(self, e: ast.Expr) -> frozenset:
        reads: set = set()
        self.expr(e, _Ctx(None, None), reads)
        return frozenset(reads)

    # -- statements
    def stmts(self, body: tuple, ctx: _Ctx, reads: set, writes: set) -> None:
        for s in body:
            if isinstance(s, ast.Assign):
                writes.add(self.location(s.target, ctx, reads))
                self.expr(s.value, ctx, reads)
            elif isinstance(s, ast.If):
                for cond, b in s.branches:
                    self.expr(cond, ctx, reads)
                    self.stmts(b, ctx, reads, writes)
                self.stmts(s.orelse, ctx, reads, writes)
            elif isinstance(s, ast.Choose):
                self.expr_domain(s.domain, ctx, reads)
                if s.cond is not None:
                    self.expr(s.cond, ctx, reads)
                self.stmts(s.body, ctx, reads, writes)
            elif isinstance(s, ast.Send):
                loc = self.location(s.chan, ctx, reads)
                reads.add(loc)
                writes.add(loc)
                self.expr(s.value, ctx, reads)
            elif isinstance(s, ast.MethodCall):
                loc = self.location(s.target, ctx, reads)
                reads.add(loc)
                writes.add(loc)
                for a in s.args:
                    self.expr(a, ctx, reads)
            elif isinstance(s, ast.Assert):
                self.expr(s.cond, ctx, reads)

    # -- locations
    def location(self, e: ast.Expr, ctx: _Ctx, reads: set) -> Loc:
        """The location an lvalue-shaped expression denotes; index expressions are read."""
        if isinstance(e, ast.Name):
            sym = self.c.refs.get(id(e))
            if isinstance(sym, VarSym):
                if sym.machine is None:
                    return (sym.name,)
                return ("@inst", sym.machine.name, ctx.inst, sym.name)
            if isinstance(sym, BoundSym):
                return ("@bound", sym.uid)
            return ("@const",)
        if isinstance(e, ast.Index):
            bt = self.c.types.get(id(e.base))
            if isinstance(bt, InstT):
                return ("@inst", bt.machine, self.key(e.index, ctx, reads))
            base = self.location(e.base, ctx, reads)
            return base + (self.key(e.index, ctx, reads),)
        if isinstance(e, ast.Field):
            bt = self.c.types.get(id(e.base))
            if isinstance(bt, InstT):
                if isinstance(e.base, ast.Index):
                    i = self.key(e.base.index, ctx, reads)
                else:
                    i = 0
                return ("@inst", bt.machine, i, e.name)
            return self.location(e.base, ctx, reads) + ("." + e.name,)
        self.expr(e, ctx, reads)
        return ("@value",)

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
            if isinstance(a, int) and isinstance(b, int):
                return a + b if e.op == "+" else a - b if e.op == "-" else a * b
        return None

    # -- expressions (collect reads)
    def expr_domain(self, e: ast.Expr, ctx: _Ctx, reads: set) -> None:
        desc = self.c.domains.get(id(e))
        if desc is None:
            self.expr(e, ctx, reads)
            return
        self._domain_reads(desc, ctx, reads, e)

    def _domain_reads(self, desc, ctx: _Ctx, reads: set, e: ast.Expr | None = None) -> None:
        if desc[0] == "range":
            self.expr(desc[1], ctx, reads)
            self.expr(desc[2], ctx, reads)
        elif desc[0] == "lit":
            for x in desc[1]:
                self.expr(x, ctx, reads)
        elif desc[0] == "set" and e is not None:
            self.expr(e, ctx, reads)

    def expr(self, e: ast.Expr, ctx: _Ctx, reads: set) -> None:
        if isinstance(e, (ast.IntLit, ast.BoolLit, ast.SelfRef)):
            return
        if isinstance(e, ast.Name):
            sym = self.c.refs.get(id(e))
            if isinstance(sym, VarSym):
                reads.add(self.location(e, ctx, reads))
            return
        if isinstance(e, (ast.Index, ast.Field)):
            bt = self.c.types.get(id(e.base)) if isinstance(e, ast.Field) else None
            if isinstance(e, ast.Field) and not isinstance(bt, InstT) and not self._rooted(e):
                self.expr(e.base, ctx, reads)
                return
            if isinstance(e, ast.Index) and not self._rooted(e):
                self.expr(e.base, ctx, reads)
                self.expr(e.index, ctx, reads)
                return
            reads.add(self.location(e, ctx, reads))
            return
        if isinstance(e, ast.At):
            bt = self.c.types.get(id(e.base))
            i = self.key(e.base.index, ctx, reads) if isinstance(e.base, ast.Index) else 0
            reads.add(("@inst", bt.machine, i, "@state"))  # type: ignore[union-attr]
            return
        if isinstance(e, ast.Unary):
            self.expr(e.operand, ctx, reads)
        elif isinstance(e, ast.Binary):
            self.expr(e.left, ctx, reads)
            self.expr(e.right, ctx, reads)
        elif isinstance(e, ast.In):
            self.expr(e.elem, ctx, reads)
            self.expr_domain(e.domain, ctx, reads)
        elif isinstance(e, ast.Quant):
            self.expr_domain(e.domain, ctx, reads)
            self.expr(e.body, ctx, reads)
        elif isinstance(e, ast.Cond):
            for x in (e.cond, e.then, e.orelse):
                self.expr(x, ctx, reads)
        elif isinstance(e, ast.Call):
            for a in e.args:
                self.expr(a, ctx, reads)
        elif isinstance(e, ast.SetLit):
            for x in e.elems:
                self.expr(x, ctx, reads)
        elif isinstance(e, ast.RecordLit):
            for _, x in e.fields:
                self.expr(x, ctx, reads)
        elif isinstance(e, ast.RangeExpr):
            self.expr(e.lo, ctx, reads)
            self.expr(e.hi, ctx, reads)

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
