"""A direct interpreter of checked expressions over user values.

Not used in the search loop (that runs compiled code, :mod:`checker.engine.compile`).  It evaluates
constants and initial values at check time, and explains a violation afterwards: which binding of
a quantifier broke an invariant and what the variables it reads held.  Because it shares nothing
with the compiler but the checked AST, the tests also use it as an independent oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import ast
from .errors import Span
from .symbols import BoundSym, ConstSym, EnumMemberSym, MachineInfo, VarSym
from .types import ChanT, EnumT, MapT, RangeT, RecordT, SetT, Type, format_value


class EvalError(Exception):
    def __init__(self, message: str, span: Span | None = None):
        super().__init__(message)
        self.span = span


class StateView:
    """Read access to one state's user values, as decoded by the model."""

    def __init__(self, shared: dict[str, Any], locals_: dict[tuple[str, int, str], Any],
                 pcs: dict[tuple[str, int], str]):
        self.shared = shared
        self.locals = locals_
        self.pcs = pcs


class Evaluator:
    def __init__(self, checked: Any, state: StateView | None = None):
        # `checked` is a CheckedSpec or the resolver while it runs: both have types, refs, domains
        self.types: dict[int, Type] = checked.types
        self.refs: dict[int, Any] = checked.refs
        self.domains: dict[int, Any] = checked.domains
        self.state = state
        self.on_read: Callable[[str, Any], None] | None = None
        self.self_index: int | None = None  # set by eval(); domain_values() may come first
        self.machine: Any = None

    def eval(self, e: ast.Expr, env: dict[Any, Any], self_index: int | None = None, machine: Any = None) -> Any:
        self.self_index = self_index
        self.machine = machine
        return self._ev(e, env)

    def domain_values(self, e: ast.Expr, env: dict[Any, Any]) -> list[Any]:
        desc = self.domains[id(e)]
        kind = desc[0]
        if kind == "type":
            return list(desc[1].values())
        if kind == "range":
            return list(range(self._ev(desc[1], env), self._ev(desc[2], env) + 1))
        # in the order of the element type's values (enum members as declared), as the compiled
        # model visits them: a quantifier stops at its first deciding value, so the order decides
        # which model error, if any, its body raises
        if kind == "lit":
            vals = []
            for x in desc[1]:
                v = self._ev(x, env)
                if v not in vals:
                    vals.append(v)
            return sorted(vals, key=_order(self.types.get(id(desc[1][0])) if desc[1] else None))
        t = self.types.get(id(e))
        return sorted(self._ev(e, env), key=_order(t.elem if isinstance(t, SetT) else None))

    def _ev(self, e: ast.Expr, env: dict[Any, Any]) -> Any:
        if isinstance(e, ast.IntLit):
            return e.value
        if isinstance(e, ast.BoolLit):
            return e.value
        if isinstance(e, ast.SelfRef):
            if self.self_index is None:
                raise EvalError("'self' has no value here", e.span)
            return self.self_index
        if isinstance(e, ast.Name):
            sym = self.refs[id(e)]
            if isinstance(sym, ConstSym):
                return sym.value
            if isinstance(sym, EnumMemberSym):
                return sym.name
            if isinstance(sym, BoundSym):
                return env[sym]
            if isinstance(sym, VarSym):
                return self._read_var(sym, self.self_index, e)
            if isinstance(sym, MachineInfo):
                return ("instance", sym, 0)
            raise EvalError(f"'{e.name}' has no value", e.span)
        if isinstance(e, ast.Unary):
            v = self._ev(e.operand, env)
            return (not v) if e.op == "not" else -v
        if isinstance(e, ast.Binary):
            return self._binary(e, env)
        if isinstance(e, ast.In):
            v = self._ev(e.elem, env)
            found = v in self.domain_values(e.domain, env)
            return found != e.negated
        if isinstance(e, ast.Quant) and e.kind in ("min", "max", "count"):
            b = self.refs[id(e)]
            vals: list[Any] | dict[str, Any] = [self._ev(e.body, {**env, b: v}) for v in self.domain_values(e.domain, env)]
            if e.kind == "count":
                return sum(1 for x in vals if x)
            if not vals:
                raise EvalError(f"'{e.kind}' over an empty domain", e.span)
            return min(vals) if e.kind == "min" else max(vals)
        if isinstance(e, ast.Quant):
            b = self.refs[id(e)]
            for v in self.domain_values(e.domain, env):
                r = self._ev(e.body, {**env, b: v})
                if e.kind == "forall" and not r:
                    return False
                if e.kind == "exists" and r:
                    return True
            return e.kind == "forall"
        if isinstance(e, ast.Comprehension):
            b = self.refs[id(e)]
            elem = getattr(self.types.get(id(e)), "elem", None)
            out = []
            for v in self.domain_values(e.domain, env):
                inner = {**env, b: v}
                if e.cond is not None and not self._ev(e.cond, inner):
                    continue
                x = v if e.elem is None else self._ev(e.elem, inner)
                out.append(_fit(elem, x, e.elem if e.elem is not None else e))
            return frozenset(out)
        if isinstance(e, ast.Cond):
            return self._ev(e.then, env) if self._ev(e.cond, env) else self._ev(e.orelse, env)
        if isinstance(e, ast.Call):
            f = e.func.name  # type: ignore[attr-defined]
            args = [self._ev(a, env) for a in e.args]
            if f == "min":
                return min(args)
            if f == "max":
                return max(args)
            if f == "abs":
                return abs(args[0])
            return len(args[0])
        if isinstance(e, ast.Index):
            key = self._ev(e.index, env)
            base = self._quiet(e.base, env)
            if isinstance(base, tuple) and base and base[0] == "instance":
                m = base[1]
                if not 0 <= key < m.count:
                    raise EvalError(f"{m.name}[{key}]: there are only {m.count} instances", e.span)
                return ("instance", m, key)
            d = dict(base)
            if key not in d:
                raise EvalError(f"key {key} is outside the map's domain", e.span)
            if self.on_read is not None and self._quiet_depth == 0:
                self.on_read(f"{_path(e.base)}[{format_value(key)}]", d[key])
            return d[key]
        if isinstance(e, ast.Field):
            base = self._ev(e.base, env)
            if isinstance(base, tuple) and base and base[0] == "instance":
                return self._read_var(self.refs[id(e)], base[2], e)
            return dict(base)[e.name]
        if isinstance(e, ast.At):
            base = self._ev(e.base, env)
            if self.state is None:
                raise EvalError("control states have no value here", e.span)
            pc = self.state.pcs[(base[1].name, base[2])]
            if self.on_read is not None and self._quiet_depth == 0:  # the control state, as traces name it
                self.on_read(f"{base[1].instance_name(base[2])}.state", pc)
            return pc == e.state
        if isinstance(e, ast.SetLit):
            # a literal's values must fit its type, as the compiled model checks when it encodes one
            elem = getattr(self.types.get(id(e)), "elem", None)
            return frozenset(_fit(elem, self._ev(x, env), x) for x in e.elems)
        if isinstance(e, ast.RecordLit):
            t = self.types[id(e)]
            ftypes = dict(t.fields)  # type: ignore[attr-defined]
            vals = dict((f, _fit(ftypes[f], self._ev(x, env), x)) for f, x in e.fields)
            return tuple((f, vals[f]) for f, _ in t.fields)  # type: ignore[attr-defined]
        raise EvalError("this expression cannot be evaluated here", getattr(e, "span", None))

    _quiet_depth = 0

    def _quiet(self, e: ast.Expr, env: dict[Any, Any]) -> Any:
        """Evaluate without reporting reads (the caller reports the finer-grained one)."""
        self._quiet_depth += 1
        try:
            return self._ev(e, env)
        finally:
            self._quiet_depth -= 1

    def _read_var(self, sym: VarSym, inst: Any, node: ast.Expr) -> Any:
        if self.state is None:
            raise EvalError(f"'{sym.name}' is a variable; only constants can be used here", node.span)
        if sym.machine is None:
            v = self.state.shared[sym.name]
            label = sym.name
        else:
            v = self.state.locals[(sym.machine.name, inst, sym.name)]
            label = f"{sym.machine.instance_name(inst)}.{sym.name}"
        if self.on_read is not None and self._quiet_depth == 0:
            self.on_read(label, v)
        return v

    def _binary(self, e: ast.Binary, env: dict[Any, Any]) -> Any:
        op = e.op
        if op == "and":
            return bool(self._ev(e.left, env)) and bool(self._ev(e.right, env))
        if op == "or":
            return bool(self._ev(e.left, env)) or bool(self._ev(e.right, env))
        if op == "=>":
            return (not self._ev(e.left, env)) or bool(self._ev(e.right, env))
        a = self._ev(e.left, env)
        b = self._ev(e.right, env)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op in ("/", "%"):
            if b == 0:
                raise EvalError("division by zero", e.span)
            return _div(a, b) if op == "/" else a - b * _div(a, b)
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        if op == ">=":
            return a >= b
        if op == "union":
            return a | b
        if op == "intersect":
            return a & b
        if op == "minus":
            return a - b
        raise AssertionError(op)


def _fit(t: Type | None, v: Any, e: ast.Expr) -> Any:
    """v itself, if it is a value of t (only ranges can be missed: other types are checked statically)."""
    if isinstance(t, RangeT) and not (t.lo <= v <= t.hi):
        raise EvalError(f"value {format_value(v)} is outside {t.describe()}", e.span)
    return v


def _path(e: ast.Expr) -> str:
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Field):
        return f"{_path(e.base)}.{e.name}"
    if isinstance(e, ast.Index):
        return f"{_path(e.base)}[...]"
    return "..."


def _div(a: int, b: int) -> int:
    """Integer division rounding toward zero, as in C, Promela and Murphi."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _key(v: Any) -> tuple[bool, Any]:
    return (isinstance(v, str), v)


def _order(t: Type | None) -> Callable[[Any], Any]:
    """Sort key putting values in their type's order: enum members as declared, numbers ascending,
    false before true."""
    if isinstance(t, EnumT):
        return t.members.index
    return _key


def describe_domain_type(t: Type) -> str:
    if isinstance(t, (RangeT, EnumT)):
        return t.describe()
    if isinstance(t, (SetT, MapT, RecordT, ChanT)):
        return t.describe()
    return str(t)
