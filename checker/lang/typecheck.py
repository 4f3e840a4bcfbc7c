"""Expression typing, the resolver's second half: the type of every expression, the symbol every
name denotes, the domains of quantifiers, parameters and `choose`, with located errors.

:class:`ExpressionTyper` is a mixin of :class:`checker.lang.resolve._Resolver`; it records into
the resolver's ``types``, ``refs`` and ``domains`` tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import ast
from .errors import Note, Span
from .symbols import BoundSym, ConstSym, EnumMemberSym, InstT, MachineInfo, TypeSym, VarSym
from .types import (
    BoolT,
    ChanT,
    EnumT,
    IntT,
    MapT,
    NoneT,
    RangeT,
    RecordT,
    SetT,
    Type,
    compatible,
    is_optional_instance,
    is_scalar,
    value_type,
)

MAX_SCALAR = 1 << 16
MAX_DOMAIN = 1 << 24  # values of a quantifier, choose or parameter domain lo..hi with constant bounds
BUILTINS = ("min", "max", "len", "abs")


class _Scope:
    def __init__(self, parent: _Scope | None = None):
        self.parent = parent
        self.names: dict[str, Any] = {}

    def lookup(self, name: str) -> Any:
        s: _Scope | None = self
        while s is not None:
            if name in s.names:
                return s.names[name]
            s = s.parent
        return None


class _Abort(Exception):
    """Stop checking the current declaration (its error is already recorded)."""


def _a(t: Type) -> str:
    """A type as a noun phrase for messages: 'an integer (0..3)', 'a set (set[Gen])'."""
    if isinstance(t, BoolT):
        return "a bool"
    if isinstance(t, IntT):
        return "an integer"
    if isinstance(t, RangeT):
        return f"an integer ({t})"
    if isinstance(t, EnumT):
        return f"a {t.name} value" if t.name else f"a value of {t}"
    if isinstance(t, InstT):
        return f"an instance of machine {t.machine}"
    if isinstance(t, NoneT):
        return "none"
    kind = {SetT: "a set", MapT: "a map", RecordT: "a record", ChanT: "a channel"}.get(type(t))
    return f"{kind} ({t})" if kind else str(t)


class ExpressionTyper:
    """Types expressions in a scope; the resolver provides the tables and the error sink."""

    types: dict[int, Type]
    refs: dict[int, Any]
    domains: dict[int, Any]
    machines: list[MachineInfo]
    machine: MachineInfo | None
    failed: set[str]
    in_property: bool
    _const_only: bool
    _allow_self: bool

    inline_sites: dict[int, Any]

    def error(self, span: Span, msg: str, notes: Iterable[Note] = ()) -> None:
        raise NotImplementedError

    def check_inline_site(self, site: Any, scope: _Scope) -> None:
        raise NotImplementedError

    def def_result_type(self, d: Any) -> Type | None:
        raise NotImplementedError

    def declare(self, scope: _Scope, name: str, sym: Any, span: Span) -> bool:
        raise NotImplementedError

    def new_bound(self, name: str, typ: Type, span: Span) -> BoundSym:
        raise NotImplementedError

    def domain(self, e: ast.Expr, scope: _Scope, elem_expected: Type | None = None) -> tuple[Type, tuple[Any, ...]]:
        """Check a domain (type name, lo..hi, set expression or literal); return (elem type, descriptor).
        elem_expected: the element type the context gives (a variable's type for its initial domain
        `var g: 0..9 in {x * 3 for x in 0..3}`), which a comprehension's elements take."""
        if isinstance(e, ast.RangeExpr):
            lo = self.expr(e.lo, scope, IntT())
            hi = self.expr(e.hi, scope, IntT())
            for part, t in ((e.lo, lo), (e.hi, hi)):
                if not isinstance(t, (IntT, RangeT)):
                    self.error(part.span, f"range bounds must be integers, but this is {_a(t)}")
                    raise _Abort()
            desc: tuple[Any, ...] = ("range", e.lo, e.hi)
            elem: Type = IntT()
            if self._is_const(e.lo) and self._is_const(e.hi):
                from .evaluate import Evaluator
                ev = Evaluator(self)
                a, b = ev.eval(e.lo, {}), ev.eval(e.hi, {})
                if b - a + 1 > MAX_DOMAIN:  # the engines list a constant domain's values
                    self.error(e.span, f"domain too large to enumerate: {b - a + 1} values "
                                       f"(a constant range holds at most {MAX_DOMAIN})")
                    raise _Abort()
                elem = RangeT(a, b) if a <= b else IntT()
            self.domains[id(e)] = desc
            self.types[id(e)] = elem
            return elem, desc
        if isinstance(e, ast.Name) and e.name == "bool" and scope.lookup("bool") is None:
            desc = ("type", BoolT())  # the type word as a domain: false, then true
            self.domains[id(e)] = desc
            self.types[id(e)] = BoolT()
            return BoolT(), desc
        if isinstance(e, ast.Name):
            sym = scope.lookup(e.name)
            if isinstance(sym, TypeSym) or isinstance(sym, MachineInfo):
                t = sym.type if isinstance(sym, TypeSym) else sym.index_type
                if not is_scalar(t):
                    self.error(e.span, f"cannot range over type {t}: only bool, ranges and enums")
                    raise _Abort()
                self.refs[id(e)] = sym
                desc = ("type", t)
                self.domains[id(e)] = desc
                self.types[id(e)] = t
                return t, desc
        if isinstance(e, ast.SetLit):
            elem_t: Type | None = None
            for x in e.elems:
                xt = value_type(self.expr(x, scope))
                if elem_t is None:
                    elem_t = xt
                elif not compatible(elem_t, xt):
                    self.error(x.span, f"set elements of different types: {elem_t} and {xt}")
                    raise _Abort()
            desc = ("lit", e.elems)
            self.domains[id(e)] = desc
            self.types[id(e)] = SetT(elem_t or IntT())
            return elem_t or IntT(), desc
        t = self.expr(e, scope, SetT(elem_expected) if elem_expected is not None else None)
        if isinstance(t, SetT):
            desc = ("set", t)
            self.domains[id(e)] = desc
            return t.elem, desc
        self.error(e.span, f"expected a domain (a type, lo..hi or a set), but this is {_a(t)}")
        raise _Abort()

    def _is_const(self, e: ast.Expr) -> bool:
        if isinstance(e, (ast.IntLit, ast.BoolLit)):
            return True
        if isinstance(e, ast.Name):
            return isinstance(self.refs.get(id(e)), ConstSym)
        if isinstance(e, ast.Unary):
            return self._is_const(e.operand)
        if isinstance(e, ast.Binary):
            return self._is_const(e.left) and self._is_const(e.right)
        return False

    def expr(self, e: ast.Expr, scope: _Scope, expected: Type | None = None, *,
             const_only: bool = False, allow_self: bool = False) -> Type:
        self._const_only = const_only
        self._allow_self = allow_self
        t = self._expr(e, scope, expected)
        self.types[id(e)] = t
        return t

    def _sub(self, e: ast.Expr, scope: _Scope, expected: Type | None = None) -> Type:
        t = self._expr(e, scope, expected)
        self.types[id(e)] = t
        return t

    def _int(self, e: ast.Expr, scope: _Scope, what: str) -> Type:
        t = self._sub(e, scope, IntT())
        if not isinstance(t, (IntT, RangeT)):
            self.error(e.span, f"{what} must be an integer, but this is {_a(t)}")
            raise _Abort()
        return t

    def _bool(self, e: ast.Expr, scope: _Scope, what: str) -> Type:
        t = self._sub(e, scope, BoolT())
        if not isinstance(t, BoolT):
            self.error(e.span, f"{what} must be true or false, but this is {_a(t)}")
            raise _Abort()
        return t

    def _expr(self, e: ast.Expr, scope: _Scope, expected: Type | None) -> Type:
        site = self.inline_sites.get(id(e))
        if site is not None:  # an inlined `def` body: check the arguments as written at the use
            self.check_inline_site(site, scope)
            declared = self.def_result_type(site[0])
            if declared is not None:  # the body has the definition's declared type, whatever the use
                expected = declared
        if isinstance(e, ast.IntLit):
            return IntT()
        if isinstance(e, ast.BoolLit):
            return BoolT()
        if isinstance(e, ast.SelfRef):
            m = self.machine
            if m is None or self.in_property or (self._const_only and not self._allow_self):
                self.error(e.span, "'self' is only meaningful inside a machine")
                raise _Abort()
            return m.index_type
        if isinstance(e, ast.Name):
            return self._name(e, scope)
        if isinstance(e, ast.Unary):
            if e.op == "not":
                return self._bool(e.operand, scope, "the operand of 'not'") and BoolT()
            self._int(e.operand, scope, "the operand of '-'")
            return IntT()
        if isinstance(e, ast.Binary):
            return self._binary(e, scope, expected)
        if isinstance(e, ast.In):
            elem, desc = self.domain(e.domain, scope)
            t = self._sub(e.elem, scope, elem)
            if not compatible(value_type(elem), value_type(t)) and not (
                    isinstance(elem, (IntT, RangeT)) and isinstance(t, (IntT, RangeT))):
                self.error(e.span, f"'in' tests {_a(t)} against a domain of {elem}")
                raise _Abort()
            return BoolT()
        if isinstance(e, ast.RangeExpr):
            self.error(e.span, "a range lo..hi is a domain: use it after 'in'")
            raise _Abort()
        if isinstance(e, ast.Quant):
            inner = _Scope(scope)
            elem, _ = self.domain(e.domain, scope)
            b: BoundSym | Type = self.new_bound(e.var, elem, e.span)  # a Type in the Cond branch
            self.declare(inner, e.var, b, e.span)
            self.refs[id(e)] = b
            if e.kind in ("min", "max"):
                self._int(e.body, inner, f"the body of '{e.kind}'")
                return IntT()
            self._bool(e.body, inner, f"the body of '{e.kind}'")
            return IntT() if e.kind == "count" else BoolT()
        if isinstance(e, ast.Comprehension):
            return self._comprehension(e, scope, expected)
        if isinstance(e, ast.Cond):
            self._bool(e.cond, scope, "the condition")
            a = self._sub(e.then, scope, expected)
            b = self._sub(e.orelse, scope, expected if expected is not None else value_type(a))
            if isinstance(a, NoneT) or isinstance(b, NoneT):  # `if c then self else none`: an M?
                other = b if isinstance(a, NoneT) else a
                if isinstance(other, RangeT) and other.instance_of:
                    return RangeT(-1, other.hi, f"{other.instance_of}?", other.instance_of)
                if isinstance(other, NoneT):
                    return other
                self.error(e.span, f"the branches have different types: {a} and {b}; only an "
                                   "instance id (M or M?) can be paired with none")
                raise _Abort()
            if isinstance(a, RangeT) and isinstance(b, RangeT) and a.instance_of and a.instance_of == b.instance_of:
                return a if a.lo <= b.lo else b  # two ids of one machine: an id (M?, if either is)
            if compatible(value_type(a), value_type(b)) or compatible(value_type(b), value_type(a)):
                return value_type(a) if not isinstance(a, RangeT) else IntT()
            self.error(e.span, f"the branches have different types: {a} and {b}")
            raise _Abort()
        if isinstance(e, ast.Call):
            return self._call(e, scope)
        if isinstance(e, ast.Index):
            return self._index(e, scope)
        if isinstance(e, ast.Field):
            return self._field(e, scope)
        if isinstance(e, ast.At):
            bt = self._sub(e.base, scope)
            if not isinstance(bt, InstT):
                self.error(e.base.span, "'at' needs a machine instance, such as Enactor[i]")
                raise _Abort()
            m = next(m for m in self.machines if m.name == bt.machine)
            if not any(s.name == e.state for s in m.states):
                self.error(e.span, f"machine {m.name} has no state '{e.state}'"
                           + (f" (states: {', '.join(s.name for s in m.states)})" if m.states else ""))
                raise _Abort()
            return BoolT()
        if isinstance(e, ast.SetLit):
            if not isinstance(expected, SetT):
                if not e.elems:
                    self.error(e.span, "the type of this empty set is unknown here")
                else:
                    self.error(e.span, "the element type of this set literal is unknown here; write it "
                                       "where a set of known type is expected (assigned to, or compared "
                                       "with, a set variable)")
                raise _Abort()
            for x in e.elems:
                xt = self._sub(x, scope, expected.elem)
                if not compatible(expected.elem, value_type(xt)) and not compatible(expected.elem, xt):
                    self.error(x.span, f"set element has type {xt}, expected {expected.elem}")
                    raise _Abort()
            return expected
        if isinstance(e, ast.RecordLit):
            if not isinstance(expected, RecordT):
                self.error(e.span, "a record literal needs a known record type here")
                raise _Abort()
            want = [f for f, _ in expected.fields]
            got = [f for f, _ in e.fields]
            if sorted(want) != sorted(got):
                missing = [f for f in want if f not in got]
                extra = [f for f in got if f not in want]
                parts = []
                if missing:
                    parts.append(("fields " if len(missing) > 1 else "field ") + ", ".join(f"'{f}'" for f in missing)
                                 + (" are missing" if len(missing) > 1 else " is missing"))
                if extra:
                    parts.append(f"{expected} has no field " + ", ".join(f"'{f}'" for f in extra))
                self.error(e.span, f"record literal does not match {expected}: " + "; ".join(parts))
                raise _Abort()
            ftypes = dict(expected.fields)
            for fname, fe in e.fields:
                ft = self._sub(fe, scope, ftypes[fname])
                if not compatible(ftypes[fname], ft):
                    self.error(fe.span, f"field {fname} has type {ft}, expected {ftypes[fname]}")
                    raise _Abort()
            return expected
        raise AssertionError(e)

    def _comprehension(self, e: ast.Comprehension, scope: _Scope, expected: Type | None) -> Type:
        """`{x in D where C}` is a set of D's element type; `{e for x in D where C}` a set of e's
        type.  A set's elements need a finite type (bool, a range, an enum): integers of unknown
        range (`{x in lo..hi ...}` with variable bounds, `{x + 1 for ...}`) take the element type
        of the set expected here (assigned to, compared with), and are range-checked."""
        inner = _Scope(scope)
        dom_elem, _ = self.domain(e.domain, scope)
        b = self.new_bound(e.var, dom_elem, e.span)
        self.declare(inner, e.var, b, e.span)
        self.refs[id(e)] = b
        if e.cond is not None:
            self._bool(e.cond, inner, "the condition of a set comprehension")
        want = expected.elem if isinstance(expected, SetT) else None
        if e.elem is None:
            elem, where = dom_elem, e.domain
        else:
            elem = self._sub(e.elem, inner, want)
            where = e.elem
        if want is not None and (compatible(want, elem) or compatible(want, value_type(elem))):
            return expected  # type: ignore[return-value]
        if is_scalar(elem):
            return SetT(elem)
        if isinstance(elem, IntT):
            self.error(where.span, "the elements of this set are integers of unknown range; write the "
                                   "comprehension where a set of known type is expected (assigned to, or "
                                   "compared with, a set variable; the body of a def declared to give a set), or "
                                   "range over a type or constant bounds")
        else:
            self.error(where.span, f"a set holds bools, range values or enum members, not {_a(elem)}")
        raise _Abort()

    def _name(self, e: ast.Name, scope: _Scope) -> Type:
        sym = scope.lookup(e.name)
        if sym is None and e.name in self.failed:
            raise _Abort()
        if sym is None:
            similar = self._similar(e.name, scope)
            hint = f"; did you mean '{similar}'?" if similar else ""
            self.error(e.span, f"unknown name '{e.name}'{hint}")
            raise _Abort()
        self.refs[id(e)] = sym
        if isinstance(sym, ConstSym):
            return sym.type
        if isinstance(sym, EnumMemberSym):
            return sym.enum
        if isinstance(sym, BoundSym):
            return sym.type
        if isinstance(sym, VarSym):
            if self._const_only:
                self.error(e.span, f"'{e.name}' is a variable; only constants can be used here")
                raise _Abort()
            sym.used = True
            return sym.type
        if isinstance(sym, MachineInfo):
            if sym.decl.count is None:
                return InstT(sym.name)
            self.error(e.span, f"'{e.name}' has {sym.count} instances: say which, as {e.name}[i], "
                               f"or use it as a domain ('forall i in {e.name}: ...')")
            raise _Abort()
        if isinstance(sym, TypeSym):
            self.error(e.span, f"'{e.name}' is a type; use it as a domain ('x in {e.name}')")
            raise _Abort()
        raise AssertionError(sym)

    def _similar(self, name: str, scope: _Scope) -> str | None:
        import difflib
        names: list[str] = []
        s: _Scope | None = scope
        while s is not None:
            names.extend(s.names)
            s = s.parent
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
        return close[0] if close else None

    def _binary(self, e: ast.Binary, scope: _Scope, expected: Type | None) -> Type:
        op = e.op
        if op in ("and", "or", "=>"):
            self._bool(e.left, scope, f"the left of '{op}'")
            self._bool(e.right, scope, f"the right of '{op}'")
            return BoolT()
        if op in ("+", "-", "*", "/", "%"):
            self._int(e.left, scope, f"the left of '{op}'")
            self._int(e.right, scope, f"the right of '{op}'")
            return IntT()
        if op in ("<", "<=", ">", ">="):
            self._int(e.left, scope, f"the left of '{op}'")
            self._int(e.right, scope, f"the right of '{op}'")
            return BoolT()
        if op in ("==", "!="):
            lt = self._typed_pair(e.left, e.right, scope)
            rt = self.types[id(e.right)]
            if isinstance(lt, NoneT) or isinstance(rt, NoneT):
                other = rt if isinstance(lt, NoneT) else lt
                if not (isinstance(other, NoneT) or is_optional_instance(other)):
                    self.error(e.span, f"'{op}' compares none with {_a(other)}; only a value of an "
                                       "optional instance type (M?) can be none")
                    raise _Abort()
                return BoolT()
            if not (compatible(value_type(lt), value_type(rt)) or compatible(value_type(rt), value_type(lt))):
                self.error(e.span, f"'{op}' compares {_a(lt)} with {_a(rt)}; both sides need the same type")
                raise _Abort()
            if isinstance(lt, ChanT):
                self.error(e.span, "channels cannot be compared; compare len(q)")
                raise _Abort()
            return BoolT()
        if op in ("union", "intersect", "minus"):
            lt = self._typed_pair(e.left, e.right, scope, expected)
            rt = self.types[id(e.right)]
            if not isinstance(lt, SetT) or lt != rt:
                self.error(e.span, f"'{op}' needs two sets of the same type, not {lt} and {rt}")
                raise _Abort()
            return lt
        raise AssertionError(op)

    def _typed_pair(self, a: ast.Expr, b: ast.Expr, scope: _Scope, expected: Type | None = None) -> Type:
        """Check two operands where a literal on one side takes its type from the other."""
        literal = (ast.SetLit, ast.RecordLit, ast.Comprehension)
        if isinstance(a, literal) and not isinstance(b, literal):
            bt = self._sub(b, scope, expected)
            return self._sub(a, scope, bt if expected is None else expected)
        at = self._sub(a, scope, expected)
        self._sub(b, scope, at if not isinstance(at, (IntT, RangeT)) else None)
        return at

    def _call(self, e: ast.Call, scope: _Scope) -> Type:
        if not isinstance(e.func, ast.Name) or e.func.name not in BUILTINS:
            what = e.func.name if isinstance(e.func, ast.Name) else "this"
            self.error(e.span, f"unknown function '{what}'; the built-ins are min, max, len and abs")
            raise _Abort()
        f = e.func.name
        if f in ("min", "max"):
            if len(e.args) < 2:
                self.error(e.span, f"{f} takes two or more integers")
                raise _Abort()
            for a in e.args:
                self._int(a, scope, f"an argument of {f}")
            return IntT()
        if f == "abs":
            if len(e.args) != 1:
                self.error(e.span, "abs takes one integer")
                raise _Abort()
            self._int(e.args[0], scope, "the argument of abs")
            return IntT()
        if len(e.args) != 1:
            self.error(e.span, "len takes one set or channel")
            raise _Abort()
        t = self._sub(e.args[0], scope)
        if not isinstance(t, (SetT, ChanT)):
            self.error(e.args[0].span, f"len takes a set or a channel, not {_a(t)}")
            raise _Abort()
        return IntT()

    def _index(self, e: ast.Index, scope: _Scope) -> Type:
        if isinstance(e.base, ast.Name):
            sym = scope.lookup(e.base.name)
            if isinstance(sym, MachineInfo):
                self.refs[id(e.base)] = sym
                self._int(e.index, scope, f"an index of {sym.name}")
                self.types[id(e.base)] = InstT(sym.name)
                return InstT(sym.name)
        bt = self._sub(e.base, scope)
        if not isinstance(bt, MapT):
            hint = f"; to test membership write 'x in {_show(e.base)}'" if isinstance(bt, SetT) else ""
            self.error(e.base.span, f"only maps can be indexed, but this is {_a(bt)}{hint}")
            raise _Abort()
        kt = self._sub(e.index, scope, bt.key)
        if not compatible(bt.key, value_type(kt)) and not compatible(bt.key, kt):
            self.error(e.index.span, f"the key has type {kt}, the map's keys are {bt.key}")
            raise _Abort()
        return bt.value

    def _field(self, e: ast.Field, scope: _Scope) -> Type:
        bt = self._sub(e.base, scope)
        if isinstance(bt, InstT):
            m = next(m for m in self.machines if m.name == bt.machine)
            var = next((v for v in m.locals if v.name == e.name), None)
            if var is None:
                names = ", ".join(v.name for v in m.locals) or "none"
                self.error(e.span, f"machine {m.name} has no variable '{e.name}' (variables: {names})")
                raise _Abort()
            var.used = True
            self.refs[id(e)] = var
            return var.type
        if not isinstance(bt, RecordT):
            self.error(e.span, f"'.{e.name}': only records and machine instances have fields, "
                               f"but this is {_a(bt)}")
            raise _Abort()
        ft = dict(bt.fields).get(e.name)
        if ft is None:
            self.error(e.span, f"record {bt} has no field '{e.name}' "
                               f"(fields: {', '.join(f for f, _ in bt.fields)})")
            raise _Abort()
        return ft



def _show(e: ast.Expr) -> str:
    """A short way to name an expression in a hint: its variable name, else 's'."""
    return e.name if isinstance(e, ast.Name) else "s"


