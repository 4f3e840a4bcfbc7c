"""What the Promela and Murphi translators share: a spec lowered to flat guarded commands.

A :class:`Lowering` walks a checked spec once per target and produces, for every instance, every
transition and every binding of its parameters and `choose`s, one :class:`Firing`: a guard (a
target expression over the pre-state) and a body (target statements).  Each firing becomes one
atomic step of the target (a Promela ``d_step``, a Murphi ``rule``), so the target's steps are
papcheck's steps.  The target's syntax comes from a :class:`Dialect`; everything about meaning
(domains, quantifiers, sets, maps, records, channels, model-error checks) lives here once.

Values are laid out as *cells*: a scalar is one cell, a set one boolean cell per element, a map
its values key by key, a record its fields, a channel a length and ``capacity`` slots whose unused
entries hold the type's first value (as papcheck's encoding does), so the target's states and
papcheck's are in bijection.

Identifiers from the spec never reach the output as written: every generated name is a fixed
prefix plus the spec name (which the lexer restricts to ``[A-Za-z_][A-Za-z0-9_]*``), so a spec
cannot name a target keyword, macro or C symbol; no spec text is copied into comments.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..lang import ast
from ..lang.errors import Span, SpecError
from ..lang.symbols import (
    LIVENESS_KINDS,
    BoundSym,
    CheckedSpec,
    ConstSym,
    EnumMemberSym,
    InstT,
    MachineInfo,
    TransitionInfo,
    VarSym,
)
from ..lang.types import BoolT, ChanT, EnumT, IntT, MapT, RangeT, RecordT, SetT, Type

MAX_UNROLL = 4096  # largest domain a quantifier, parameter or choose may range over
MAX_FIRINGS = 20000
MAX_AGGREGATE = 64  # largest domain a count/min/max is unrolled over (min/max are quadratic)


class ExportError(SpecError):
    """A construct the target cannot express faithfully (exit code 3, located)."""


# The AST node kinds the Promela and Murphi lowerings (and the TLA+ translator) know.  Any other
# kind met anywhere in a spec is refused before translating (refuse_unknown_nodes): a node kind
# added to the language is "not supported by the export yet" until it is translated here.
HANDLED_EXPRS: tuple[type, ...] = (
    ast.IntLit, ast.BoolLit, ast.Name, ast.SelfRef, ast.SetLit, ast.RecordLit, ast.Index, ast.Field, ast.At,
    ast.Unary, ast.Binary, ast.RangeExpr, ast.In, ast.Quant, ast.Cond, ast.Call, ast.Comprehension)
# (the TLA+ translator unrolls a For itself: _Tla.loop)
HANDLED_STMTS: tuple[type, ...] = (
    ast.Assign, ast.If, ast.Choose, ast.Send, ast.MethodCall, ast.Assert, ast.Skip, ast.For)


def node_kind(node: Any) -> str:
    """How an error names an AST node kind: `the For statement`, `the SetComp expression`."""
    what = "statement" if isinstance(node, ast.Stmt) else "expression"
    return f"the {type(node).__name__} {what}"


def unsupported(source: Any, node: Any, target: str) -> ExportError:
    span = getattr(node, "span", None)
    if not isinstance(span, Span) or not span.line:
        span = Span.point(1, 1)
    err = SpecError.single(source, span, f"{node_kind(node)} is not supported by the {target} export yet")
    return ExportError(err.diagnostics)


def refuse_unknown_nodes(checked: CheckedSpec, target: str) -> None:
    """Raise the located "... is not supported by the <target> export yet" for the first
    expression or statement of a kind not in HANDLED_EXPRS / HANDLED_STMTS (never translate a
    spec into a silently different model)."""
    node = first_unknown_node(checked.spec)
    if node is not None:
        raise unsupported(checked.source, node, target)


def first_unknown_node(root: Any) -> Any:
    """The first Expr or Stmt, in source order of the tree walk, whose kind is not handled."""
    stack = [root]
    while stack:
        x = stack.pop()
        if isinstance(x, (ast.Expr, ast.Stmt)) and not isinstance(x, HANDLED_EXPRS + HANDLED_STMTS):
            return x
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            stack.extend(reversed([getattr(x, f.name) for f in dataclasses.fields(x)]))
        elif isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
    return None


def safe(name: str) -> str:
    """A spec identifier as a target identifier fragment (defensive: the lexer already restricts
    names to [A-Za-z_][A-Za-z0-9_]*; anything else is hex-escaped, so it cannot inject)."""
    out = []
    for ch in name:
        if ch.isascii() and (ch.isalnum() or ch == "_"):
            out.append(ch)
        else:
            out.append(f"x{ord(ch):x}_")
    return "".join(out) or "x"


def type_values(t: Type) -> list:
    if isinstance(t, (BoolT, RangeT, EnumT)):
        return list(t.values())
    raise AssertionError(t)


def zero_value(t: Type) -> Any:
    """The value papcheck's encoding gives the all-zero bit pattern (unused channel slots)."""
    if isinstance(t, BoolT):
        return False
    if isinstance(t, RangeT):
        return t.lo
    if isinstance(t, EnumT):
        return t.members[0]
    raise AssertionError(t)


def scalar_cells(t: Type) -> int:
    if isinstance(t, (BoolT, RangeT, EnumT)):
        return 1
    if isinstance(t, SetT):
        return t.elem.size  # type: ignore[attr-defined]
    if isinstance(t, MapT):
        return t.key.size * scalar_cells(t.value)  # type: ignore[attr-defined]
    if isinstance(t, RecordT):
        return sum(scalar_cells(ft) for _, ft in t.fields)
    if isinstance(t, ChanT):
        return 1 + t.capacity * scalar_cells(t.elem)
    raise AssertionError(t)


def value_cells(t: Type, v: Any) -> list[tuple[Any, Type]]:
    """A user value of type t as its scalar cells, in layout order."""
    if isinstance(t, (BoolT, RangeT, EnumT)):
        return [(v, t)]
    if isinstance(t, SetT):
        return [(x in v, BoolT()) for x in type_values(t.elem)]
    if isinstance(t, MapT):
        d = dict(v)
        return [c for k in type_values(t.key) for c in value_cells(t.value, d[k])]
    if isinstance(t, RecordT):
        d = dict(v)
        return [c for f, ft in t.fields for c in value_cells(ft, d[f])]
    if isinstance(t, ChanT):
        out: list[tuple[Any, Type]] = [(len(v), RangeT(0, t.capacity))]
        for i in range(t.capacity):
            out += value_cells(t.elem, v[i]) if i < len(v) else zero_cells(t.elem)
        return out
    raise AssertionError(t)


def zero_cells(t: Type) -> list[tuple[Any, Type]]:
    if isinstance(t, (BoolT, RangeT, EnumT)):
        return [(zero_value(t), t)]
    if isinstance(t, SetT):
        return [(False, BoolT())] * t.elem.size  # type: ignore[attr-defined]
    if isinstance(t, MapT):
        return zero_cells(t.value) * t.key.size  # type: ignore[attr-defined]
    if isinstance(t, RecordT):
        return [c for _, ft in t.fields for c in zero_cells(ft)]
    raise AssertionError(t)


Interval = tuple[int, int]


@dataclass
class Cell:
    """One scalar of a value: its target text, and for integers the interval it may take."""

    text: str
    type: Type
    interval: Interval | None = None


class Dialect:
    """Target syntax.  Subclasses fill in every method; texts are always fully parenthesised."""

    target = ""
    TRUE = "true"
    FALSE = "false"
    AND = ""  # the conjunction and disjunction tokens, with their spaces: " && ", " & "
    OR = ""
    INT_BITS = 32  # the peer's integers: every value and intermediate value must fit (see Lowering.fits)

    def int_lit(self, v: int) -> str:
        return str(v) if v >= 0 else f"(-{-v})"

    def enum_lit(self, t: EnumT, member: str) -> str: raise NotImplementedError

    def and_(self, xs: list[str]) -> str:
        """Left to right and lazy, as papcheck evaluates `and`: a `false` drops only what comes
        after it (what comes before is still evaluated and may be a model error)."""
        return self._junction(xs, "true", "false", self.AND)

    def or_(self, xs: list[str]) -> str:
        return self._junction(xs, "false", "true", self.OR)

    def _junction(self, xs: list[str], unit: str, zero: str, token: str) -> str:
        out: list[str] = []
        for x in xs:
            if x == unit:
                continue
            out.append(x)
            if x == zero:
                break
        if not out:
            return unit
        return out[0] if len(out) == 1 else "(" + token.join(out) + ")"

    def not_(self, x: str) -> str:
        return {"true": "false", "false": "true"}.get(x, f"(!{x})")

    def eq(self, a: str, b: str) -> str: raise NotImplementedError

    def ne(self, a: str, b: str) -> str:
        return f"({a} != {b})"
    def cmp(self, op: str, a: str, b: str) -> str: return f"({a} {op} {b})"
    def arith(self, op: str, a: str, b: str) -> str: return f"({a} {op} {b})"
    def neg(self, a: str) -> str: return f"(-{a})"
    def cond(self, c: str, a: str, b: str) -> str: raise NotImplementedError
    def b2i(self, b: str) -> str: return self.cond(b, "1", "0")
    def index(self, base: str, key_t: Type, key: str) -> str: raise NotImplementedError
    def field(self, base: str, name: str) -> str: raise NotImplementedError
    def chan_len(self, base: str) -> str: raise NotImplementedError
    def chan_slot(self, base: str, i: str) -> str: raise NotImplementedError
    def shared(self, v: VarSym) -> str: raise NotImplementedError
    def local(self, m: MachineInfo, inst: str, v: VarSym) -> str: raise NotImplementedError
    def pc(self, m: MachineInfo, inst: str) -> str: raise NotImplementedError
    def state_lit(self, m: MachineInfo, index: int) -> str: raise NotImplementedError
    # statements (lists of lines)
    def assign(self, place: str, value: str) -> list[str]: raise NotImplementedError
    def if_(self, branches: list[tuple[str, list[str]]], orelse: list[str]) -> list[str]: raise NotImplementedError
    def check(self, cond: str, what: str) -> list[str]: raise NotImplementedError
    def temp(self, t: Type) -> str: raise NotImplementedError

    def scalar_quant(self, t: Type, uid: int) -> tuple[str, str] | None:
        """(the bound name for the bound symbol `uid`, the target type) when a quantifier over t is written as the
        target's own quantifier (Murphi over a scalarset); None: unrolled."""
        return None

    def quant(self, kind: str, var: str, t: str, body: str) -> str: raise NotImplementedError

    def lit(self, v: Any, t: Type) -> str:
        if isinstance(t, BoolT) or isinstance(v, bool):
            return self.TRUE if v else self.FALSE
        if isinstance(t, EnumT):
            return self.enum_lit(t, v)
        return self.int_lit(v)


@dataclass
class Firing:
    """One atomic step of the target: an instance firing a transition with fixed bindings."""

    machine: MachineInfo
    instance: int
    transition: TransitionInfo
    bindings: list[tuple[str, Any]]  # (name, value) of parameters and chooses, for the label
    guard: str
    body: list[str]
    temps: list[tuple[str, Type]] = field(default_factory=list)

    @property
    def label(self) -> str:
        inst = self.machine.instance_name(self.instance)
        args = ", ".join(f"{n}={v}" for n, v in self.bindings)
        return f"{inst} {self.transition.name}" + (f"({args})" if args else "")


@dataclass
class _Choice:
    """A `choose` in a transition body, with the if-conditions leading to it from its scope."""

    node: ast.Choose
    sym: BoundSym
    parent: _Choice | None
    prefix: list  # what runs before it: ("stmt", s), ("if", s, branch or -1), ("choose", parent)


class Lowering:
    """A checked spec lowered for one dialect (see the module docstring)."""

    def __init__(self, checked: CheckedSpec, dialect: Dialect):
        self.spec = checked
        self.d = dialect
        self.types = checked.types
        self.refs = checked.refs
        self.domains = checked.domains
        self.temps: list[tuple[str, Type]] = []
        # min/max aggregates and divisions whose model error a statement's check reports (key_conds)
        self.checked_aggregates: set[int] = set()
        self.checked_divisions: set[int] = set()
        refuse_unknown_nodes(checked, dialect.target)

    # ------------------------------------------------------------------ errors
    def fail(self, node: Any, what: str) -> ExportError:
        span = getattr(node, "span", None)
        if not isinstance(span, Span) or not span.line:
            span = Span.point(1, 1)
        err = SpecError.single(self.spec.source, span,
                               f"cannot export to {self.d.target}: {what}")
        return ExportError(err.diagnostics)

    # ------------------------------------------------------------------ checks at the top
    def check_properties(self) -> None:
        for p in self.spec.properties:
            if p.kind in LIVENESS_KINDS:
                raise self.fail(p.decl, f"{p.kind} property '{p.name}' (liveness and recoverability "
                                        f"are not translated; use --safety-only to leave them out)")

    # ------------------------------------------------------------------ intervals
    def interval(self, e: ast.Expr, env: dict) -> Interval | None:
        """A static bound on an integer expression's value (None: not an integer)."""
        t = self.types.get(id(e))
        if isinstance(t, RangeT):
            return (t.lo, t.hi)
        if isinstance(e, ast.IntLit):
            return (e.value, e.value)
        if isinstance(e, ast.Name):
            sym = self.refs.get(id(e))
            if isinstance(sym, ConstSym) and isinstance(sym.value, int) and not isinstance(sym.value, bool):
                return (sym.value, sym.value)
            if isinstance(sym, BoundSym) and sym.uid in env:
                return env[sym.uid][1]
            if isinstance(sym, BoundSym) and isinstance(sym.type, RangeT):
                return (sym.type.lo, sym.type.hi)
            return None
        if isinstance(e, ast.SelfRef):
            return env.get("self_iv")
        if isinstance(e, ast.Unary) and e.op == "-":
            iv = self.interval(e.operand, env)
            return None if iv is None else (-iv[1], -iv[0])
        if isinstance(e, ast.Binary) and e.op in "+-*/%":
            a, b = self.interval(e.left, env), self.interval(e.right, env)
            if a is None or b is None:
                return None
            if e.op == "+":
                return (a[0] + b[0], a[1] + b[1])
            if e.op == "-":
                return (a[0] - b[1], a[1] - b[0])
            if e.op == "*":
                ps = [x * y for x in a for y in b]
                return (min(ps), max(ps))
            m = max(abs(a[0]), abs(a[1]))
            if e.op == "/":
                return (-m, m)
            k = max(abs(b[0]), abs(b[1]))
            return (-min(m, k), min(m, k))
        if isinstance(e, ast.Cond):
            a, b = self.interval(e.then, env), self.interval(e.orelse, env)
            if a is None or b is None:
                return None
            return (min(a[0], b[0]), max(a[1], b[1]))
        if isinstance(e, ast.Quant) and e.kind in ("count", "min", "max"):
            return self.aggregate_interval(e, env)
        if isinstance(e, ast.Call):
            f = _func(e)
            if f in ("min", "max"):
                ivs = [self.interval(a, env) for a in e.args]
                if any(iv is None for iv in ivs):
                    return None
                fn = min if f == "min" else max
                return (fn(iv[0] for iv in ivs), fn(iv[1] for iv in ivs))  # type: ignore[index]
            if f == "abs":
                iv = self.interval(e.args[0], env)
                if iv is None:
                    return None
                hi = max(abs(iv[0]), abs(iv[1]))
                lo = 0 if iv[0] <= 0 <= iv[1] else min(abs(iv[0]), abs(iv[1]))
                return (lo, hi)
            if f == "len":
                at = self.types.get(id(e.args[0]))
                if isinstance(at, SetT):
                    return (0, at.elem.size)  # type: ignore[attr-defined]
                if isinstance(at, ChanT):
                    return (0, at.capacity)
        return None

    def aggregate_interval(self, e: ast.Quant, env: dict) -> Interval | None:
        try:
            _, vals = self.domain(e.domain, env)
        except ExportError:
            return None
        if e.kind == "count":
            return (0, len(vals))
        ivs = [_iv(v) for v, _ in vals]
        if not ivs or any(iv is None for iv in ivs):
            body_iv = None
        else:
            b = self.refs[id(e)]
            hull = (min(iv[0] for iv in ivs), max(iv[1] for iv in ivs))  # type: ignore[index]
            body_iv = self.interval(e.body, {**env, b.uid: ("", hull, None)})
        if body_iv is None:
            t = self.types.get(id(e.body))
            return (t.lo, t.hi) if isinstance(t, RangeT) else None
        return body_iv

    def fits(self, e: ast.Expr, env: dict) -> None:
        """papcheck's integers are unbounded, the peer's are INT_BITS wide: an arithmetic result
        that may not fit is refused, naming the expression (a wrapped value would silently
        change the model)."""
        bits = self.d.INT_BITS
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        iv = self.interval(e, env)
        if iv is None:
            raise self.fail(e, f"cannot bound the values of this integer expression (the {self.d.target} "
                               f"peer computes with {bits}-bit integers)")
        if iv[0] < lo or iv[1] > hi:
            raise self.fail(e, f"`{_show_expr(e)}` may take values in {iv[0]}..{iv[1]}, beyond the "
                               f"{bits}-bit integers the {self.d.target} peer computes with")

    def int_interval(self, e: ast.Expr, env: dict) -> Interval:
        iv = self.interval(e, env)
        if iv is None:
            raise self.fail(e, "cannot bound the values of this integer expression")
        return iv

    # ------------------------------------------------------------------ domains
    def domain(self, dom: ast.Expr, env: dict) -> tuple[Type, list[tuple[Any, str]]]:
        """The element type and a static superset of a domain's values, each with the target
        condition under which it belongs to the domain ("" when always)."""
        desc = self.domains.get(id(dom))
        if desc is None:
            raise self.fail(dom, "unsupported domain")
        return self.domain_desc(desc, dom, env)

    def domain_desc(self, desc: Any, node: Any, env: dict) -> tuple[Type, list[tuple[Any, str]]]:
        d = self.d
        kind = desc[0]
        if kind == "type":
            t = desc[1]
            return t, [(v, "") for v in type_values(t)]
        if kind == "range":
            lo_e, hi_e = desc[1], desc[2]
            lo_iv, hi_iv = self.int_interval(lo_e, env), self.int_interval(hi_e, env)
            lo_c = self.const_int(lo_e)
            hi_c = self.const_int(hi_e)
            vals = range(lo_iv[0], hi_iv[1] + 1)
            if len(vals) > MAX_UNROLL:
                raise self.fail(node, f"a domain of {len(vals)} values is too large to unroll")
            lo_t, hi_t = self.expr(lo_e, env), self.expr(hi_e, env)
            out = []
            for v in vals:
                conds = []
                if lo_c is None or v < lo_c:
                    conds.append(d.cmp("<=", lo_t, d.int_lit(v)))
                if hi_c is None or v > hi_c:
                    conds.append(d.cmp("<=", d.int_lit(v), hi_t))
                if (lo_c is not None and v < lo_c) or (hi_c is not None and v > hi_c):
                    continue
                out.append((v, d.and_(conds) if conds else ""))
            return IntT(), out
        if kind == "lit":
            elems = desc[1]
            st = self.types.get(id(node))
            et = st.elem if isinstance(st, SetT) else IntT()
            if isinstance(et, (BoolT, EnumT, RangeT)):
                cand = type_values(et)
            else:
                ivs = [self.int_interval(x, env) for x in elems]
                cand = sorted({v for iv in ivs for v in range(iv[0], iv[1] + 1)}) if ivs else []
            out = []
            for v in cand:
                conds = []
                for x in elems:
                    xv = self.const_value(x)
                    if xv is not None:
                        if xv == v and type(xv) is type(v):
                            conds = ["ALWAYS"]
                            break
                        continue
                    conds.append(d.eq(self.expr(x, env), d.lit(v, et)))
                if conds == ["ALWAYS"]:
                    out.append((v, ""))
                elif conds:
                    out.append((v, d.or_(conds)))
            return et, out
        if kind == "set":
            st = desc[1]
            mem = self.set_mem(node, env)
            return st.elem, [(v, mem(d.lit(v, st.elem), (v, v) if isinstance(v, int) and not isinstance(v, bool) else None))
                             for v in type_values(st.elem)]
        raise self.fail(node, f"unsupported domain kind {kind}")

    def const_int(self, e: ast.Expr) -> int | None:
        v = self.const_value(e)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def const_value(self, e: ast.Expr) -> Any:
        if isinstance(e, (ast.IntLit, ast.BoolLit)):
            return e.value
        if isinstance(e, ast.Name):
            sym = self.refs.get(id(e))
            if isinstance(sym, ConstSym):
                return sym.value
            if isinstance(sym, EnumMemberSym):
                return sym.name
        if isinstance(e, ast.Unary) and e.op == "-":
            v = self.const_int(e.operand)
            return None if v is None else -v
        return None

    # ------------------------------------------------------------------ places
    def instance_of(self, e: ast.Expr, env: dict) -> tuple[MachineInfo, str]:
        """The machine and instance-index text of an InstT expression (`M[i]` or `M`)."""
        if isinstance(e, ast.Name):
            m = self.refs.get(id(e))
            if isinstance(m, MachineInfo):
                return m, self.d.int_lit(0)
        if isinstance(e, ast.Index):
            m = self.refs.get(id(e.base))
            if isinstance(m, MachineInfo):
                return m, self.expr(e.index, env)
        raise self.fail(e, "unsupported instance reference")

    def place(self, e: ast.Expr, env: dict) -> str:
        d = self.d
        if isinstance(e, ast.Name):
            sym = self.refs.get(id(e))
            if isinstance(sym, VarSym):
                if sym.machine is None:
                    return d.shared(sym)
                if "self" not in env:
                    raise self.fail(e, "a local variable outside its machine")
                return d.local(sym.machine, env["self"], sym)
            if isinstance(sym, BoundSym) and sym.uid in env and env[sym.uid][2] is not None:
                return env[sym.uid][2]
            raise self.fail(e, f"'{e.name}' is not a variable")
        if isinstance(e, ast.Index):
            bt = self.types.get(id(e.base))
            if isinstance(bt, MapT):
                return d.index(self.place(e.base, env), bt.key, self.expr(e.index, env))
            raise self.fail(e, "unsupported indexing")
        if isinstance(e, ast.Field):
            bt = self.types.get(id(e.base))
            if isinstance(bt, InstT):
                m, inst = self.instance_of(e.base, env)
                sym = self.refs.get(id(e))
                if not isinstance(sym, VarSym):
                    sym = next(v for v in m.locals if v.name == e.name)
                return d.local(m, inst, sym)
            if isinstance(bt, RecordT):
                return d.field(self.place(e.base, env), e.name)
        raise self.fail(e, "not an assignable or readable place")

    def place_cells(self, t: Type, p: str) -> list[Cell]:
        d = self.d
        if isinstance(t, (BoolT, EnumT)):
            return [Cell(p, t)]
        if isinstance(t, RangeT):
            return [Cell(p, t, (t.lo, t.hi))]
        if isinstance(t, SetT):
            return [Cell(d.index(p, t.elem, d.lit(v, t.elem)), BoolT()) for v in type_values(t.elem)]
        if isinstance(t, MapT):
            return [c for k in type_values(t.key) for c in self.place_cells(t.value, d.index(p, t.key, d.lit(k, t.key)))]
        if isinstance(t, RecordT):
            return [c for f, ft in t.fields for c in self.place_cells(ft, d.field(p, f))]
        if isinstance(t, ChanT):
            out = [Cell(d.chan_len(p), RangeT(0, t.capacity), (0, t.capacity))]
            for i in range(t.capacity):
                out += self.place_cells(t.elem, d.chan_slot(p, d.int_lit(i)))
            return out
        raise AssertionError(t)

    # ------------------------------------------------------------------ expressions
    def expr(self, e: ast.Expr, env: dict) -> str:
        """A scalar expression (bool, integer, enum) as target text."""
        d = self.d
        t = self.types.get(id(e))
        if isinstance(e, ast.IntLit):
            self.fits(e, env)
            return d.int_lit(e.value)
        if isinstance(e, ast.BoolLit):
            return d.TRUE if e.value else d.FALSE
        if isinstance(e, ast.SelfRef):
            if "self" not in env:
                raise self.fail(e, "'self' outside a machine")
            return env["self"]
        if isinstance(e, ast.Name):
            sym = self.refs.get(id(e))
            if isinstance(sym, ConstSym):
                return d.lit(sym.value, sym.type)
            if isinstance(sym, EnumMemberSym):
                return d.enum_lit(sym.enum, sym.name)
            if isinstance(sym, BoundSym):
                if sym.uid not in env:
                    raise self.fail(e, f"'{e.name}' is not bound here")
                return env[sym.uid][0]
            return self.read(self.place(e, env), env, e)
        if isinstance(e, ast.Unary):
            if e.op == "not":
                return d.not_(self.expr(e.operand, env))
            a = self.expr(e.operand, env)
            self.fits(e, env)
            return d.neg(a)
        if isinstance(e, ast.Binary):
            return self.binary(e, env)
        if isinstance(e, ast.In):
            r = self.member(e.elem, e.domain, env)
            return d.not_(r) if e.negated else r
        if isinstance(e, ast.Quant) and e.kind in ("count", "min", "max"):
            return self.aggregate(e, env)
        if isinstance(e, ast.Quant):
            b = self.refs[id(e)]
            desc = self.domains.get(id(e.domain))
            q = d.scalar_quant(desc[1], b.uid) if desc is not None and desc[0] == "type" else None
            if q is not None and desc is not None:  # over a scalarset: the target's own quantifier
                var, qt = q
                body = self.expr(e.body, {**env, b.uid: (var, _type_iv(desc[1]), None)})
                return d.quant(e.kind, var, qt, body)
            et, vals = self.domain(e.domain, env)
            parts = []
            for v, c in vals:
                inner = {**env, b.uid: (d.lit(v, et if not isinstance(et, IntT) else RangeT(v, v)), _iv(v), None)}
                body = self.expr(e.body, inner)
                if e.kind == "forall":
                    parts.append(d.or_([d.not_(c), body]) if c else body)
                else:
                    parts.append(d.and_([c, body]) if c else body)
            if not parts:
                return d.TRUE if e.kind == "forall" else d.FALSE
            return d.and_(parts) if e.kind == "forall" else d.or_(parts)
        if isinstance(e, ast.Cond):
            if not isinstance(t, (BoolT, IntT, RangeT, EnumT)):
                raise self.fail(e, "a conditional expression of a composite type")
            return d.cond(self.expr(e.cond, env), self.expr(e.then, env), self.expr(e.orelse, env))
        if isinstance(e, ast.Call):
            f = _func(e)
            if f in ("min", "max"):
                args = [self.expr(a, env) for a in e.args]
                acc = args[0]
                for a in args[1:]:
                    acc = d.cond(d.cmp("<=" if f == "min" else ">=", acc, a), acc, a)
                return acc
            if f == "abs":
                a = self.expr(e.args[0], env)
                return d.cond(d.cmp("<", a, "0"), d.neg(a), a)
            if f == "len":
                at = self.types.get(id(e.args[0]))
                if isinstance(at, ChanT):
                    return self.read(d.chan_len(self.place(e.args[0], env)), env, e)
                if isinstance(at, SetT):
                    cells = self.cells(e.args[0], at, env)
                    return "(" + " + ".join(d.b2i(c.text) for c in cells) + ")" if cells else "0"
            raise self.fail(e, f"unsupported call {f}")
        if isinstance(e, ast.At):
            m, inst = self.instance_of(e.base, env)
            idx = next(s.index for s in m.states if s.name == e.state)
            return d.eq(d.pc(m, inst), d.state_lit(m, idx))
        if isinstance(e, (ast.Index, ast.Field)):
            if isinstance(t, (BoolT, RangeT, EnumT, IntT)):
                return self.read(self.place(e, env), env, e)
        if not isinstance(e, HANDLED_EXPRS):
            raise unsupported(self.spec.source, e, self.d.target)
        raise self.fail(e, "unsupported expression")

    def aggregate(self, e: ast.Quant, env: dict) -> str:
        """`count x in D: P` as a sum of 0/1 terms; `min`/`max x in D: e` as the first member
        whose value is no larger (smaller) than every other member's, over the static superset
        of D (at most MAX_AGGREGATE values).  Every member's body is evaluated, in D's order, as
        papcheck does.  An empty D is a model error: the statement's checks report it (see
        key_conds); where no check can (a property, a lazy operand) a D that may be empty is
        refused."""
        d = self.d
        b = self.refs[id(e)]
        et, vals = self.domain(e.domain, env)
        if len(vals) > MAX_AGGREGATE:
            raise self.fail(e, f"a {e.kind} over {len(vals)} values (at most {MAX_AGGREGATE} are translated)")
        terms = []
        for v, c in vals:
            inner = {**env, b.uid: (d.lit(v, et if not isinstance(et, IntT) else RangeT(v, v)), _iv(v), None)}
            terms.append((c, self.expr(e.body, inner)))
        if e.kind == "count":
            parts = [d.b2i(d.and_([c, body]) if c else body) for c, body in terms]
            return "(" + " + ".join(parts) + ")" if parts else "0"
        if not any(c == "" for c, _ in terms) and id(e) not in self.checked_aggregates:
            raise self.fail(e, f"a {e.kind} over a domain that may be empty, where the model error "
                               f"it would be cannot be reported (a property, a choose's condition, or "
                               f"an operand of and/or/=>/if-then-else/a quantifier)")
        if not terms:
            return d.int_lit(0)  # unreachable: the check before the statement reports the empty domain
        op = ">=" if e.kind == "max" else "<="
        out = terms[-1][1]
        for i in range(len(terms) - 1, -1, -1):
            c, body = terms[i]
            wins = [c] if c else []
            for j, (cj, bj) in enumerate(terms):
                if j != i:
                    better = d.cmp(op, body, bj)
                    wins.append(d.or_([d.not_(cj), better]) if cj else better)
            out = body if i == len(terms) - 1 else d.cond(d.and_(wins), body, out)
        return out

    def binary(self, e: ast.Binary, env: dict) -> str:
        d = self.d
        op = e.op
        if op == "and":
            return d.and_([self.expr(e.left, env), self.expr(e.right, env)])
        if op == "or":
            return d.or_([self.expr(e.left, env), self.expr(e.right, env)])
        if op == "=>":
            return d.or_([d.not_(self.expr(e.left, env)), self.expr(e.right, env)])
        if op in ("==", "!="):
            a: list[Cell] | str  # the cells of a compound value, else an expression
            b: list[Cell] | str
            lt = self.types.get(id(e.left))
            rt = self.types.get(id(e.right))
            if isinstance(lt, (SetT, MapT, RecordT)) or isinstance(rt, (SetT, MapT, RecordT)):
                t = lt if isinstance(lt, (SetT, MapT, RecordT)) else rt
                a, b = self.cells(e.left, t, env), self.cells(e.right, t, env)  # type: ignore[arg-type]  # mypy: t is rt (not None) when lt is not compound
                r = d.and_([d.eq(x.text, y.text) for x, y in zip(a, b)]) if a else d.TRUE
                return r if op == "==" else d.not_(r)
            if isinstance(lt, ChanT):
                raise self.fail(e, "comparing channels")
            a, b = self.expr(e.left, env), self.expr(e.right, env)
            return d.eq(a, b) if op == "==" else d.ne(a, b)
        if op in ("<", "<=", ">", ">="):
            return d.cmp(op, self.expr(e.left, env), self.expr(e.right, env))
        if op in ("+", "-", "*"):
            a, b = self.expr(e.left, env), self.expr(e.right, env)  # (operands first: the innermost
            self.fits(e, env)                                         # expression too wide is named)
            return d.arith(op, a, b)
        if op in ("/", "%"):
            return self.divide(e, env)
        raise self.fail(e, f"operator '{op}' outside a set context")

    def divide(self, e: ast.Binary, env: dict) -> str:
        """Truncating division as in C; a zero divisor is a model error, checked by the caller's
        statement (see :meth:`key_conds`).  Where no check precedes the division (a property, a
        choose's condition, a lazy operand) a divisor that may be 0 is refused: the peer would
        divide by zero (SIGFPE) instead of reporting papcheck's model error."""
        iv = self.interval(e.right, env)
        if id(e) not in self.checked_divisions and (iv is None or iv[0] <= 0 <= iv[1]):
            raise self.fail(e, "a division whose divisor may be 0 where the model error it would be cannot be "
                               "reported (a property, a choose's condition, or an operand of "
                               "and/or/=>/if-then-else/a quantifier)")
        a, b = self.expr(e.left, env), self.expr(e.right, env)
        self.fits(e, env)
        return self.d.arith(e.op, a, b)

    def member(self, elem: ast.Expr, dom: ast.Expr, env: dict) -> str:
        """`elem in dom` as a target boolean."""
        d = self.d
        desc = self.domains.get(id(dom))
        x = self.expr(elem, env)
        if desc is None:
            raise self.fail(dom, "unsupported domain")
        kind = desc[0]
        xt = self.types.get(id(elem))
        if kind == "type":
            t = desc[1]
            if isinstance(t, RangeT):
                iv = self.interval(elem, env)
                if iv is not None and t.lo <= iv[0] and iv[1] <= t.hi:
                    return d.TRUE
                return d.and_([d.cmp(">=", x, d.int_lit(t.lo)), d.cmp("<=", x, d.int_lit(t.hi))])
            return d.TRUE
        if kind == "range":
            return d.and_([d.cmp(">=", x, self.expr(desc[1], env)), d.cmp("<=", x, self.expr(desc[2], env))])
        if kind == "lit":
            if not desc[1]:
                return d.FALSE
            return d.or_([d.eq(x, self.expr(y, env)) for y in desc[1]])
        mem = self.set_mem(dom, env)
        iv = self.interval(elem, env) if not isinstance(xt, (BoolT, EnumT)) else None
        return mem(x, iv)

    def set_mem(self, e: ast.Expr, env: dict) -> Callable[[str, Interval | None], str]:
        """Membership in a set-valued expression: a function of the element's text (and its
        static interval, to guard an index that could fall outside the element type)."""
        d = self.d
        t = self.types.get(id(e))
        if not isinstance(t, SetT):
            raise self.fail(e, "expected a set")
        et = t.elem
        if isinstance(e, ast.SetLit):
            xs = [self.expr(x, env) for x in e.elems]
            return lambda x, iv: d.or_([d.eq(x, y) for y in xs]) if xs else d.FALSE
        if isinstance(e, ast.Binary) and e.op in ("union", "intersect", "minus"):
            a, b = self.set_mem(e.left, env), self.set_mem(e.right, env)
            if e.op == "union":
                return lambda x, iv: d.or_([a(x, iv), b(x, iv)])
            if e.op == "intersect":
                return lambda x, iv: d.and_([a(x, iv), b(x, iv)])
            return lambda x, iv: d.and_([a(x, iv), d.not_(b(x, iv))])
        if isinstance(e, ast.Cond):
            c = self.expr(e.cond, env)
            a, b = self.set_mem(e.then, env), self.set_mem(e.orelse, env)
            return lambda x, iv: d.cond(c, a(x, iv), b(x, iv))
        if isinstance(e, ast.Comprehension):
            opts = self.comprehension(e, et, env)
            return lambda x, iv: d.or_([d.and_(conds + [d.eq(x, y)]) for y, conds in opts]) if opts else d.FALSE
        p = self.place(e, env)

        def mem(x: str, iv: Interval | None) -> str:
            cell = self.read(d.index(p, et, x), env, e)
            if isinstance(et, RangeT) and (iv is None or iv[0] < et.lo or iv[1] > et.hi):
                return d.and_([d.cmp(">=", x, d.int_lit(et.lo)), d.cmp("<=", x, d.int_lit(et.hi)), cell])
            return cell
        return mem

    def comprehension(self, e: ast.Comprehension, et: Type, env: dict) -> list[tuple[str, list[str]]]:
        """A set comprehension unrolled over its domain: (element text, conditions) per candidate.
        An element that could fall outside the set's element type (a model error in papcheck) is
        refused rather than translated into a silently different set."""
        d = self.d
        b = self.refs[id(e)]
        dt, vals = self.domain(e.domain, env)
        out = []
        for v, c in vals:
            inner = {**env, b.uid: (d.lit(v, dt if not isinstance(dt, IntT) else RangeT(v, v)), _iv(v), None)}
            conds = [c] if c else []
            if e.cond is not None:
                conds.append(self.expr(e.cond, inner))
            if e.elem is None:
                iv: Interval | None = _iv(v)
                text = d.lit(v, et if not isinstance(et, RangeT) else RangeT(v, v))
            else:
                iv = self.interval(e.elem, inner) if isinstance(et, RangeT) else None
                text = self.expr(e.elem, inner)
            if isinstance(et, RangeT) and (iv is None or iv[0] < et.lo or iv[1] > et.hi):
                raise self.fail(e, "a set comprehension whose elements may fall outside the set's "
                                   f"element type {et.lo}..{et.hi}")
            out.append((text, conds))
        return out

    def cells(self, e: ast.Expr, t: Type, env: dict) -> list[Cell]:
        """The value of an expression of type t as cells (texts over the current state)."""
        d = self.d
        if isinstance(t, (BoolT, EnumT)):
            return [Cell(self.expr(e, env), t)]
        if isinstance(t, (RangeT, IntT)):
            return [Cell(self.expr(e, env), t, self.interval(e, env))]
        if isinstance(e, (ast.SetLit, ast.Comprehension)) or (isinstance(e, ast.Binary) and isinstance(t, SetT)) or (
                isinstance(e, ast.Cond) and isinstance(t, SetT)):
            assert isinstance(t, SetT)
            mem = self.set_mem(e, env)
            return [Cell(mem(d.lit(v, t.elem), _iv(v)), BoolT()) for v in type_values(t.elem)]
        if isinstance(e, ast.RecordLit):
            assert isinstance(t, RecordT)
            given = dict(e.fields)
            return [c for f, ft in t.fields for c in self.cells(given[f], ft, env)]
        if isinstance(e, ast.Cond):
            c = self.expr(e.cond, env)
            a, b = self.cells(e.then, t, env), self.cells(e.orelse, t, env)
            return [Cell(d.cond(c, x.text, y.text), x.type, _join(x.interval, y.interval)) for x, y in zip(a, b)]
        if isinstance(e, (ast.Name, ast.Index, ast.Field)):
            cells = self.place_cells(t, self.place(e, env))
            if env.get("overlay") or env.get("touched"):
                cells = [Cell(self.read(c.text, env, e), c.type, c.interval) for c in cells]
            return cells
        raise self.fail(e, "unsupported composite expression")

    # ------------------------------------------------------------------ statements
    def store_checks(self, cells: list[Cell], targets: list[Cell], node: Any) -> list[str]:
        """Model-error checks: every integer stored must fit its target's range."""
        d = self.d
        out = []
        for c, tgt in zip(cells, targets):
            if isinstance(tgt.type, RangeT):
                iv = c.interval
                lo, hi = tgt.type.lo, tgt.type.hi
                if iv is None or iv[0] < lo or iv[1] > hi:
                    out += d.check(d.and_([d.cmp(">=", c.text, d.int_lit(lo)), d.cmp("<=", c.text, d.int_lit(hi))]),
                                   f"value outside {lo}..{hi} (line {_line(node)})")
        return out

    def key_checks(self, e: ast.Expr, env: dict) -> list[str]:
        out: list[str] = []
        for cond, what in self.key_conds(e, env):
            out += self.d.check(cond, what)
        return out

    def key_conds(self, e: ast.Expr, env: dict) -> list[tuple[str, str]]:
        """Model-error checks for map keys and instance indices read or written by `e` that could
        fall outside their domain (the target's own array bound check would also catch them, but
        an explicit check keeps the verdict independent of the target's options)."""
        d = self.d
        out: list[tuple[str, str]] = []

        def walk(x: Any) -> None:
            if isinstance(x, ast.Quant) and x.kind in ("min", "max"):
                _, vals = self.domain(x.domain, env)
                if not any(c == "" for _, c in vals):
                    out.append((d.or_([c for _, c in vals]) if vals else d.FALSE,
                                f"{x.kind} over an empty domain (line {_line(x)})"))
                self.checked_aggregates.add(id(x))
            if isinstance(x, (ast.Quant, ast.Comprehension)) or isinstance(x, ast.Cond) or (
                    isinstance(x, ast.Binary) and x.op in ("and", "or", "=>")):
                return  # evaluated lazily: a guard on the path may protect the index
            if isinstance(x, ast.Index):
                bt = self.types.get(id(x.base))
                kt = bt.key if isinstance(bt, MapT) else None
                if isinstance(bt, InstT):
                    m = self.refs.get(id(x.base))
                    kt = m.index_type if isinstance(m, MachineInfo) else None
                if isinstance(kt, RangeT):
                    iv = self.interval(x.index, env)
                    if iv is None or iv[0] < kt.lo or iv[1] > kt.hi:
                        k = self.expr(x.index, env)
                        out.append((d.and_([d.cmp(">=", k, d.int_lit(kt.lo)), d.cmp("<=", k, d.int_lit(kt.hi))]),
                                    f"key outside {kt.lo}..{kt.hi} (line {_line(x)})"))
            if isinstance(x, ast.Binary) and x.op in ("/", "%"):
                out.append((d.ne(self.expr(x.right, env), "0"), f"division by zero (line {_line(x)})"))
                self.checked_divisions.add(id(x))
            if isinstance(x, ast.Expr):
                for v in vars(x).values():
                    if isinstance(v, ast.Expr):
                        walk(v)
                    elif isinstance(v, tuple):
                        for y in v:
                            if isinstance(y, ast.Expr):
                                walk(y)
                            elif isinstance(y, tuple):
                                for z in y:
                                    if isinstance(z, ast.Expr):
                                        walk(z)
        walk(e)
        return out

    def assign_cells(self, target: list[Cell], value: list[Cell], node: Any, aliasing: bool) -> list[str]:
        d = self.d
        out = self.store_checks(value, target, node)
        if aliasing and len(target) > 1:
            tmps = [self.new_temp(c.type) for c in value]
            for tmp, c in zip(tmps, value):
                out += d.assign(tmp, c.text)
            for tgt, tmp in zip(target, tmps):
                out += d.assign(tgt.text, tmp)
            return out
        for tgt, c in zip(target, value):
            out += d.assign(tgt.text, c.text)
        return out

    def new_temp(self, t: Type) -> str:
        name = self.d.temp(t)
        self.temps.append((name, t))
        return name

    def stmts(self, body: Iterable[ast.Stmt], env: dict, choice: dict) -> list[str]:
        out: list[str] = []
        for s in body:
            out += self.stmt(s, env, choice)
        return out

    def stmt(self, s: ast.Stmt, env: dict, choice: dict) -> list[str]:
        d = self.d
        if isinstance(s, ast.Assign):
            t = self.types[id(s.target)]
            checks = self.key_checks(s.target, env) + self.key_checks(s.value, env)
            tgt = self.place_cells(t, self.place(s.target, env))
            val = self.cells(s.value, t, env)
            return checks + self.assign_cells(tgt, val, s, _reads_root(s.value, _root(s.target)))
        if isinstance(s, ast.If):
            branches: list[tuple[str, list[str]]] = []
            checks = []
            for c, body in s.branches:
                checks += self.key_checks(c, env) if not branches else []
                branches.append((self.expr(c, env), self.stmts(body, env, choice)))
            return checks + d.if_(branches, self.stmts(s.orelse, env, choice))
        if isinstance(s, ast.Choose):
            v = choice.get(id(s))
            if v is None:
                return []  # the path to this choose is not taken in this firing
            b = self.refs[id(s)]
            val, t = v
            inner = {**env, b.uid: (d.lit(val, t), _iv(val), None)}
            return self.stmts(s.body, inner, choice)
        if isinstance(s, ast.Send):
            ct = self.types[id(s.chan)]
            assert isinstance(ct, ChanT)
            p = self.place(s.chan, env)
            n = d.chan_len(p)
            out = self.key_checks(s.chan, env) + self.key_checks(s.value, env)
            out += d.check(d.cmp("<", n, d.int_lit(ct.capacity)), f"send to a full channel (line {_line(s)})")
            val = self.cells(s.value, ct.elem, env)
            slot = self.place_cells(ct.elem, d.chan_slot(p, n))
            out += self.store_checks(val, slot, s)
            out += self.assign_cells(slot, val, s, False)
            out += d.assign(n, d.arith("+", n, "1"))
            return out
        if isinstance(s, ast.MethodCall):
            st = self.types[id(s.target)]
            assert isinstance(st, SetT)
            x = s.args[0]
            out = self.key_checks(s.target, env) + self.key_checks(x, env)
            xt = self.expr(x, env)
            if isinstance(st.elem, RangeT):
                iv = self.interval(x, env)
                if iv is None or iv[0] < st.elem.lo or iv[1] > st.elem.hi:
                    out += d.check(d.and_([d.cmp(">=", xt, d.int_lit(st.elem.lo)), d.cmp("<=", xt, d.int_lit(st.elem.hi))]),
                                   f"value outside {st.elem.lo}..{st.elem.hi} (line {_line(s)})")
            cell = d.index(self.place(s.target, env), st.elem, xt)
            return out + d.assign(cell, d.TRUE if s.method == "add" else d.FALSE)
        if isinstance(s, ast.For):
            return self.for_loop(s, env, choice)
        if isinstance(s, ast.Assert):
            return self.key_checks(s.cond, env) + d.check(self.expr(s.cond, env), f"assertion (line {_line(s)})")
        if isinstance(s, ast.Skip):
            return []
        if not isinstance(s, HANDLED_STMTS):
            raise unsupported(self.spec.source, s, self.d.target)
        raise self.fail(s, "unsupported statement")

    def for_loop(self, s: ast.For, env: dict, choice: dict) -> list[str]:
        """`for x in D { body }` unrolled over D's candidate values in ascending order, each
        iteration under its membership condition, taken into a temporary before the first
        iteration (the body may change a set-valued domain)."""
        d = self.d
        b = self.refs[id(s)]
        out = self.key_checks(s.domain, env)
        dt, vals = self.domain(s.domain, env)
        conds = []
        for _, c in vals:
            if c:
                tmp = self.new_temp(BoolT())
                out += d.assign(tmp, c)
                c = tmp
            conds.append(c)
        for (v, _), c in zip(vals, conds):
            inner = {**env, b.uid: (d.lit(v, dt if not isinstance(dt, IntT) else RangeT(v, v)), _iv(v), None)}
            body = self.stmts(s.body, inner, choice)
            if body:
                out += d.if_([(c, body)], []) if c else body
        return out

    # ------------------------------------------------------------------ transitions
    def firings(self) -> list[Firing]:
        out: list[Firing] = []
        for m in self.spec.machines:
            for i in range(m.count):
                for tr in m.transitions:
                    out += self.transition_firings(m, i, tr)
                    if len(out) > MAX_FIRINGS:
                        raise self.fail(tr.decl, f"more than {MAX_FIRINGS} transition firings to unroll")
        return out

    def transition_firings(self, m: MachineInfo, inst: int, tr: TransitionInfo) -> list[Firing]:
        d = self.d
        self_t = d.int_lit(inst)
        base_env: dict = {"self": self_t, "self_iv": (inst, inst), "machine": m}
        pc_guard = d.eq(d.pc(m, self_t), d.state_lit(m, tr.state.index))
        param_opts = []
        for sym, desc in tr.params:
            node = next(p for p in tr.decl.params if p.name == sym.name)
            et, vals = self.domain_desc(desc, node.domain, base_env)
            param_opts.append([(sym, v, c, et) for v, c in vals])
        out = []
        for combo in itertools.product(*param_opts):
            env = dict(base_env)
            guards = [pc_guard]
            bindings = []
            for sym, v, c, et in combo:
                env[sym.uid] = (d.lit(v, et if not isinstance(et, IntT) else RangeT(v, v)), _iv(v), None)
                bindings.append((sym.name, _show(v)))
                if c:
                    guards.append(c)
            self.temps = []
            guard_errors: list[tuple[str, str]] = []
            pre: list[str] = []
            body_env = dict(env)
            seed: dict = {}  # the recv's effect, for guards of chooses
            if tr.recv is not None:
                rsym, chan_e = tr.recv
                ct = self.types[id(chan_e)]
                assert isinstance(ct, ChanT)
                p = self.place(chan_e, env)
                guard_errors += self.key_conds(chan_e, env)
                guards.append(d.cmp(">", d.chan_len(p), "0"))
                head = d.chan_slot(p, d.int_lit(0))
                if not isinstance(ct.elem, (BoolT, RangeT, EnumT)):
                    raise self.fail(tr.decl.recv, "receiving a composite message (a record or set)")
                env[rsym.uid] = (head, _type_iv(ct.elem), None)
                tmp = self.new_temp(ct.elem)
                pre += d.assign(tmp, head)
                body_env[rsym.uid] = (tmp, _type_iv(ct.elem), None)
                for k in range(ct.capacity - 1):
                    for a, b in zip(self.place_cells(ct.elem, d.chan_slot(p, d.int_lit(k))),
                                    self.place_cells(ct.elem, d.chan_slot(p, d.int_lit(k + 1)))):
                        pre += d.assign(a.text, b.text)
                for a, (zv, zt) in zip(self.place_cells(ct.elem, d.chan_slot(p, d.int_lit(ct.capacity - 1))),
                                       zero_cells(ct.elem)):
                    pre += d.assign(a.text, d.lit(zv, zt))
                n = d.chan_len(p)
                pre += d.assign(n, d.arith("-", n, "1"))
                for k in range(ct.capacity - 1):
                    for a, b in zip(self.place_cells(ct.elem, d.chan_slot(p, d.int_lit(k))),
                                    self.place_cells(ct.elem, d.chan_slot(p, d.int_lit(k + 1)))):
                        seed[a.text] = b.text
                for a, (zv, zt) in zip(self.place_cells(ct.elem, d.chan_slot(p, d.int_lit(ct.capacity - 1))),
                                       zero_cells(ct.elem)):
                    seed[a.text] = d.lit(zv, zt)
                seed[n] = d.arith("-", n, "1")
            if tr.decl.guard is not None:
                guard_errors += self.key_conds(tr.decl.guard, env)
            if guard_errors:
                # a map key or instance index the guard reads outside its domain is a model error
                # when the transition is tried: a firing of its own reports it
                ok = d.and_([c for c, _ in guard_errors])
                what = "; ".join(w for _, w in guard_errors)
                out.append(Firing(m, inst, tr, bindings + [("model error", "guard")], d.and_(guards + [d.not_(ok)]),
                                  d.check(d.FALSE, what)))
                guards.append(ok)
            if tr.decl.guard is not None:
                guards.append(self.expr(tr.decl.guard, env))
            for choice, cguards, cbind in self.choices(tr, env, seed):
                temps_before = list(self.temps)
                body = self.stmts(tr.decl.body, body_env, choice)
                if tr.target is not None and tr.target.index != tr.state.index:
                    body += d.assign(d.pc(m, self_t), d.state_lit(m, tr.target.index))
                g = d.and_(guards + cguards)
                out.append(Firing(m, inst, tr, bindings + cbind, g, pre + body, list(self.temps)))
                self.temps = temps_before
        return out

    def choices(self, tr: TransitionInfo, env: dict, seed: dict) -> list[tuple[dict, list[str], list]]:
        """Every combination of `choose` bindings of a transition body, each with the guard (over
        the pre-state) under which it is the one taken.  What the body does before a choose is
        executed symbolically (`seed`: the effect of a `recv`), so the guard reads the values the
        choose will see; a write the guard cannot follow (a computed key, a send) before a choose
        that reads the same variable is an error."""
        chooses: list[_Choice] = []
        self._collect(tr.decl.body, None, [], chooses)
        if not chooses:
            return [({}, [], [])]
        return self._combine(chooses, 0, {}, env, seed, [], [])

    def _collect(self, body: Iterable[ast.Stmt], parent: _Choice | None, prefix: list, out: list) -> None:
        prefix = list(prefix)
        for s in body:
            if isinstance(s, ast.If):
                for bi, (_, b) in enumerate(s.branches):
                    self._collect(b, parent, prefix + [("if", s, bi)], out)
                self._collect(s.orelse, parent, prefix + [("if", s, -1)], out)
            elif isinstance(s, ast.Choose):
                ch = _Choice(s, self.refs[id(s)], parent, list(prefix))
                out.append(ch)
                self._collect(s.body, ch, prefix + [("choose", ch)], out)
            prefix.append(("stmt", s))

    def _combine(self, chooses: list[_Choice], k: int, choice: dict, env: dict, seed: dict, guards: list,
                 binds: list):
        d = self.d
        if k == len(chooses):
            return [(dict(choice), list(guards), list(binds))]
        ch = chooses[k]
        out = []
        if ch.parent is not None and choice.get(id(ch.parent.node)) is None:
            return self._combine(chooses, k + 1, choice, env, seed, guards, binds)
        scope_env = {**env, "overlay": dict(seed), "touched": {_text_root(t) for t in seed}}
        path_conds: list[str] = []
        for step in ch.prefix:
            if step[0] == "stmt":
                self.sym_exec(step[1], scope_env)
            elif step[0] == "if":
                st, bi = step[1], step[2]
                conds = [self.expr(c, scope_env) for c, _ in st.branches]
                upto = conds if bi == -1 else conds[:bi]
                path_conds += [d.not_(c) for c in upto] + ([conds[bi]] if bi != -1 else [])
            else:
                anc = step[1]
                val, t = choice[id(anc.node)]
                scope_env[anc.sym.uid] = (d.lit(val, t), _iv(val), None)
                path_conds = []  # the parent's own path is in the parent's guard
        taken = d.and_(path_conds) if path_conds else ""
        et, vals = self.domain(ch.node.domain, scope_env)
        for v, dc in vals:
            t = et if not isinstance(et, IntT) else RangeT(v, v)
            inner = {**scope_env, ch.sym.uid: (d.lit(v, t), _iv(v), None)}
            g = [x for x in (taken, dc) if x]
            if ch.node.cond is not None:
                g.append(self.expr(ch.node.cond, inner))
            choice[id(ch.node)] = (v, t)
            out += self._combine(chooses, k + 1, choice, env, seed, guards + g, binds + [(ch.node.var, _show(v))])
            del choice[id(ch.node)]
        if taken and taken != d.TRUE:
            out += self._combine(chooses, k + 1, choice, env, seed, guards + [d.not_(taken)], binds)
        return out

    def sym_exec(self, s: ast.Stmt, env: dict) -> None:
        """Update env's overlay (cell text -> value over the pre-state) with the effect of s."""
        d = self.d
        ov = env["overlay"]
        if isinstance(s, ast.Assign):
            t = self.types[id(s.target)]
            vals = self.cells(s.value, t, env)
            tp = self.place(s.target, env)
            cells = self.place_cells(t, tp)
            cell_keys = [_canon(c.text) for c in cells]
            for k in cell_keys:
                if not _plain(k):
                    raise self.fail(s, "an assignment to a computed map key or index before a choose")
            for k, v in zip(cell_keys, vals):
                ov[k] = v.text
                env["touched"].add(_text_root(k))
        elif isinstance(s, ast.MethodCall):
            st: Any = self.types[id(s.target)]  # a SetT: add and remove are set methods
            cell = _canon(d.index(self.place(s.target, env), st.elem, self.expr(s.args[0], env)))
            if not _plain(cell):
                raise self.fail(s, f"a set {s.method} of a computed element before a choose")
            ov[cell] = d.TRUE if s.method == "add" else d.FALSE
            env["touched"].add(_text_root(cell))
        elif isinstance(s, ast.If):
            conds = [self.expr(c, env) for c, _ in s.branches]
            outs = []
            for (_, body) in list(s.branches) + [(None, s.orelse)]:
                sub = {**env, "overlay": dict(ov), "touched": set(env["touched"])}
                for x in body:
                    self.sym_exec(x, sub)
                outs.append(sub["overlay"])
                env["touched"] |= sub["touched"]
            keys = {k for o in outs for k, v in o.items() if ov.get(k) != v}
            for key in sorted(keys):
                old = ov.get(key, key)
                val = outs[-1].get(key, old)
                for c, o in reversed(list(zip(conds, outs[:-1]))):
                    val = d.cond(c, o.get(key, old), val)
                ov[key] = val
        elif isinstance(s, ast.For):  # unrolled like for_loop: each iteration under its membership
            b = self.refs[id(s)]
            env.setdefault("opaque", set())
            dt, cands = self.domain(s.domain, env)
            for value, member in cands:
                lit = d.lit(value, dt if not isinstance(dt, IntT) else RangeT(value, value))
                sub = {**env, b.uid: (lit, _iv(value), None)}
                if member:
                    sub["overlay"], sub["touched"] = dict(ov), set(env["touched"])
                for x in s.body:
                    self.sym_exec(x, sub)
                if member:
                    env["touched"] |= sub["touched"]
                    for key in sorted(k for k, x in sub["overlay"].items() if ov.get(k) != x):
                        ov[key] = d.cond(member, sub["overlay"][key], ov.get(key, key))
        elif isinstance(s, (ast.Assert, ast.Skip)):
            pass
        elif isinstance(s, ast.Send):
            env["touched"].add(_text_root(self.place(s.chan, env)))
            env.setdefault("opaque", set()).add(_text_root(self.place(s.chan, env)))
        else:
            raise self.fail(s, "a statement before a choose that the guard cannot follow")

    def read(self, text: str, env: dict, node: Any) -> str:
        """A read of a cell: its value after what the body did before (see sym_exec)."""
        ov = env.get("overlay")
        if not ov and not env.get("touched"):
            return text
        key = _canon(text)  # `m[(0)]`, `m[(1 - (0))]` and `m[1]`, `m[0]` name the same cells
        if ov and key in ov:
            return f"({ov[key]})" if ov[key] != key else text
        root = _text_root(text)
        if root in env.get("opaque", ()) or (root in env.get("touched", ()) and not _plain(key)):
            raise self.fail(node, "a choose that reads a variable the transition changed before it "
                                  "(through a computed key, or by a send)")
        return text

    # ------------------------------------------------------------------ properties
    def prop_expr(self, e: ast.Expr) -> str:
        return self.expr(e, {})

    def prop_checks(self, e: ast.Expr) -> tuple[str, str]:
        """(ok, what): the condition under which evaluating a property raises no model error (a
        map key or instance index outside its domain, a zero divisor, a min/max over an empty
        domain, outside lazy operands), "" when it cannot fail.  papcheck reports such an error
        as a model error of the state; the exports add an option/rule that reports it and
        require `ok` in the property's own.  Call before prop_expr (it marks what it checks)."""
        conds = self.key_conds(e, {})
        if not conds:
            return "", ""
        return self.d.and_([c for c, _ in conds]), "; ".join(w for _, w in conds)

    def may_fail(self, e: Any) -> Any:
        """The first subexpression, lazy operands included, whose evaluation may be a model error
        by its static bounds (a key or instance index, a divisor, a min/max domain), or None."""
        stack = [e]
        while stack:
            x = stack.pop()
            if isinstance(x, ast.Index):
                bt = self.types.get(id(x.base))
                kt = bt.key if isinstance(bt, MapT) else None
                if isinstance(bt, InstT):
                    m = self.refs.get(id(x.base))
                    kt = m.index_type if isinstance(m, MachineInfo) else None
                if isinstance(kt, RangeT):
                    iv = self.interval(x.index, {})
                    if iv is None or iv[0] < kt.lo or iv[1] > kt.hi:
                        return x
            if isinstance(x, ast.Binary) and x.op in ("/", "%"):
                iv = self.interval(x.right, {})
                if iv is None or iv[0] <= 0 <= iv[1]:
                    return x
            if isinstance(x, ast.Quant) and x.kind in ("min", "max"):
                desc = self.domains.get(id(x.domain))
                if desc is None or desc[0] != "type":
                    return x
            if dataclasses.is_dataclass(x) and not isinstance(x, type):
                stack.extend(getattr(x, f.name) for f in dataclasses.fields(x))
            elif isinstance(x, tuple):
                stack.extend(x)
        return None

    def reach_checks(self, p: Any) -> None:
        """A `reachable` property whose evaluation may be a model error is refused: papcheck
        evaluates the `reachable` properties only until every one is witnessed, so whether the
        error is reported depends on the search order, which the peers do not follow."""
        assert p.decl.expr is not None
        bad = self.may_fail(p.decl.expr)
        if bad is not None:
            raise self.fail(bad, f"reachable property '{p.name}' may be a model error to evaluate "
                                         f"(papcheck stops evaluating reachable properties once all are "
                                         f"witnessed, an order the peers do not follow)")

    def all_final(self) -> str:
        d = self.d
        parts = []
        for m in self.spec.machines:
            finals = [s.index for s in m.states if s.final]
            for i in range(m.count):
                if not finals:
                    return d.FALSE
                parts.append(d.or_([d.eq(d.pc(m, d.int_lit(i)), d.state_lit(m, k)) for k in finals]))
        return d.and_(parts) if parts else d.TRUE


# ---------------------------------------------------------------------------------- helpers


def _text_root(text: str) -> str:
    """The variable a target text belongs to: everything before its first index or field."""
    for i, ch in enumerate(text):
        if ch in "[.":
            return text[:i]
    return text


_VAR_IN_INDEX = re.compile(r"(?<![A-Za-z0-9_])(?:p\d+_)?(?:g_|loc_|pc_|pap_t)")


def _dynamic(text: str) -> bool:
    """Does a cell text index with a value read from the state (rather than a literal)?"""
    i = text.find("[")
    return i >= 0 and bool(_VAR_IN_INDEX.search(text[i:]))


def _canon(text: str) -> str:
    """A cell text with every index that is integer arithmetic on literals replaced by its value
    (the texts the lowering builds for the same cell differ when a key went through the overlay
    of sym_exec: `a[(0)]`, `a[(1 - (0))]`, `a[((2)) - 1]` are `a[0]`, `a[1]`, `a[1]`)."""
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "[":
            out.append(ch)
            i += 1
            continue
        depth, j = 1, i + 1
        while j < len(text) and depth:
            depth += {"[": 1, "]": -1}.get(text[j], 0)
            j += 1
        inner = text[i + 1:j - 1]
        v = _const_arith(inner)
        if v is None:
            lit = _strip_parens(inner)
            bool_key = _BOOL_KEY.fullmatch(lit)  # Promela's index of a bool key: `(b -> 1 : 0)`
            if bool_key:
                v = 1 if _strip_parens(bool_key.group(1)) == "true" else 0
            elif _LITERAL_KEY.fullmatch(lit):  # Murphi's bool or enum key
                out.append(f"[{lit}]")
                i = j
                continue
        out.append(f"[{v}]" if v is not None else "[" + _canon(inner) + "]")
        i = j
    return "".join(out)


def _strip_parens(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _plain(text: str) -> bool:
    """Is every index of a (canonical) cell text a literal (an integer, a boolean, an enum member)?"""
    return all(x.lstrip("-").isdigit() or _LITERAL_KEY.fullmatch(x) for x in _INDEX.findall(text))


_BOOL_KEY = re.compile(r"(\(*\s*(?:true|false)\s*\)*)\s*->\s*1\s*:\s*0")
_LITERAL_KEY = re.compile(r"true|false|(?:p\d+_)?e_[A-Za-z0-9_]+")


_INDEX = re.compile(r"\[([^\[\]]*)\]")
_ARITH_TOKEN = re.compile(r"\s*(\d+|[-+*()])")


def _const_arith(text: str) -> int | None:
    """The value of `text` when it is integer + - * and parentheses on literals, else None (a tiny
    recursive descent over fixed tokens: nothing is evaluated as code)."""
    toks: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _ARITH_TOKEN.match(text, pos)
        if m is None:
            return None
        toks.append(m.group(1))
        pos = m.end()
    k = 0

    def atom() -> int | None:
        nonlocal k
        if k >= len(toks):
            return None
        t = toks[k]
        k += 1
        if t.isdigit():
            return int(t)
        if t == "-":
            v = atom()
            return None if v is None else -v
        if t == "(":
            v = sum_()
            if v is None or k >= len(toks) or toks[k] != ")":
                return None
            k += 1
            return v
        return None

    def prod() -> int | None:
        nonlocal k
        v = atom()
        while v is not None and k < len(toks) and toks[k] == "*":
            k += 1
            w = atom()
            v = None if w is None else v * w
        return v

    def sum_() -> int | None:
        nonlocal k
        v = prod()
        while v is not None and k < len(toks) and toks[k] in "+-":
            op = toks[k]
            k += 1
            w = prod()
            v = None if w is None else (v + w if op == "+" else v - w)
        return v

    v = sum_()
    return v if v is not None and k == len(toks) and toks else None


def _show_expr(e: ast.Expr) -> str:
    """An expression as the spec would write it, for an error message."""
    from ..lang.pretty import pretty_expr
    try:
        text = pretty_expr(e)
    except Exception:  # an expression kind the printer does not know: the caret still points at it
        return "this expression"
    return text if len(text) <= 80 else text[:77] + "..."


def _func(e: ast.Call) -> str:
    f = e.func
    return f if isinstance(f, str) else getattr(f, "name", str(f))


def _iv(v: Any) -> Interval | None:
    return (v, v) if isinstance(v, int) and not isinstance(v, bool) else None


def _type_iv(t: Type) -> Interval | None:
    return (t.lo, t.hi) if isinstance(t, RangeT) else None


def _join(a: Interval | None, b: Interval | None) -> Interval | None:
    if a is None or b is None:
        return None
    return (min(a[0], b[0]), max(a[1], b[1]))


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _line(node: Any) -> int:
    span = getattr(node, "span", None)
    return span.line if isinstance(span, Span) else 0


def _root(e: ast.Expr) -> str | None:
    while isinstance(e, (ast.Index, ast.Field)):
        e = e.base
    return e.name if isinstance(e, ast.Name) else None


def _root_key(e: ast.Expr) -> str | None:
    return _root(e)


def _names(e: Any) -> set[str]:
    """Every identifier an expression mentions (conservative: also bound and machine names, and
    the names of locals read as M[i].x)."""
    out: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, ast.Name):
            out.add(x.name)
        if isinstance(x, ast.Field):
            out.add(x.name)
        if isinstance(x, (ast.Expr, ast.Stmt)):
            for v in vars(x).values():
                walk(v)
        elif isinstance(x, tuple):
            for y in x:
                walk(y)
    walk(e)
    return out


def _reads_any(e: Any, written: set) -> bool:
    return bool(_names(e) & {w for w in written if w})


def _reads_root(e: ast.Expr, root: str | None) -> bool:
    return root is not None and root in _names(e)


def _writes(s: ast.Stmt) -> set:
    out: set = set()
    if isinstance(s, ast.Assign):
        out.add(_root(s.target))
        if isinstance(s.target, ast.Field):
            out.add(s.target.name)
    elif isinstance(s, (ast.Send,)):
        out.add(_root(s.chan))
    elif isinstance(s, ast.MethodCall):
        out.add(_root(s.target))
    elif isinstance(s, ast.If):
        for _, b in s.branches:
            for x in b:
                out |= _writes(x)
        for x in s.orelse:
            out |= _writes(x)
    elif isinstance(s, ast.Choose):
        for x in s.body:
            out |= _writes(x)
    return out


def _has_choose(body: Iterable[ast.Stmt]) -> bool:
    for s in body:
        if isinstance(s, ast.Choose):
            return True
        if isinstance(s, ast.If) and (any(_has_choose(b) for _, b in s.branches) or _has_choose(s.orelse)):
            return True
    return False
