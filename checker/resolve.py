"""AST to checked spec: name resolution, constant evaluation, type checking, warnings.

The output, :class:`CheckedSpec`, is everything later stages need and nothing of the parser:
constants with their final values (``-D`` overrides applied), the shared variables and machines
with resolved types and initial values, the properties, and two side tables keyed by AST node
identity: ``types`` (the type of every expression) and ``refs`` (the symbol every name denotes).

All errors of a spec are collected before stopping.  Bad ``-D`` overrides are usage errors
(exit 2), everything else a spec error (exit 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ast
from .errors import Diagnostics, Note, SourceFile, Span, SpecError, UsageError
from .types import (BoolT, ChanT, EnumT, IntT, MapT, RangeT, RecordT, SetT, Type, compatible,
                    format_value, is_scalar, value_type)

MAX_INSTANCES = 64
MAX_SCALAR = 1 << 16
BUILTINS = ("min", "max", "len", "abs")
LIVENESS_KINDS = ("recoverable", "eventually", "always_eventually", "leads_to")


# --------------------------------------------------------------------------------------- symbols


@dataclass(eq=False)
class ConstSym:
    name: str
    type: Type
    value: Any
    decl: ast.ConstDecl
    overridden: bool = False


@dataclass(eq=False)
class TypeSym:
    name: str
    type: Type
    decl: Any


@dataclass(eq=False)
class EnumMemberSym:
    name: str
    enum: EnumT


@dataclass(eq=False)
class VarSym:
    name: str
    type: Type
    machine: "MachineInfo | None"
    decl: ast.VarDecl
    inits: list = field(default_factory=list)  # user value per instance (one for shared vars)
    used: bool = False


@dataclass(eq=False)
class BoundSym:
    """A name bound by a parameter, quantifier, choose or recv: a local of generated code."""

    name: str
    type: Type
    uid: int
    span: Span


@dataclass(eq=False)
class StateInfo:
    name: str
    index: int
    final: bool
    decl: ast.StateDecl


@dataclass(eq=False)
class TransitionInfo:
    name: str
    machine: "MachineInfo"
    state: StateInfo
    decl: ast.Transition
    params: list[tuple[BoundSym, Any]]  # (symbol, domain descriptor)
    recv: tuple[BoundSym, ast.Expr] | None
    target: StateInfo | None


@dataclass(eq=False)
class MachineInfo:
    name: str
    count: int
    symmetric: bool
    fair: bool
    decl: ast.MachineDecl
    index_type: RangeT
    locals: list[VarSym] = field(default_factory=list)
    states: list[StateInfo] = field(default_factory=list)
    initial: int = 0
    transitions: list[TransitionInfo] = field(default_factory=list)

    @property
    def state_type(self) -> EnumT:
        return EnumT(f"{self.name}.state", tuple(s.name for s in self.states))

    def instance_name(self, i: int) -> str:
        return f"{self.name}[{i}]" if self.decl.count is not None else self.name


@dataclass(frozen=True)
class InstT(Type):
    """The type of `Machine[i]` / `Machine`: a reference to an instance (not a storable value)."""

    machine: str

    def describe(self) -> str:
        return f"instance of {self.machine}"


@dataclass(eq=False)
class PropertyInfo:
    kind: str
    name: str
    decl: ast.PropertyDecl


@dataclass(eq=False)
class CheckedSpec:
    source: SourceFile
    spec: ast.Spec
    constants: dict[str, ConstSym]
    shared: list[VarSym]
    machines: list[MachineInfo]
    properties: list[PropertyInfo]
    expects: list[ast.ExpectDecl]
    types: dict[int, Type]
    refs: dict[int, Any]
    domains: dict[int, Any]
    diagnostics: Diagnostics

    @property
    def name(self) -> str:
        return self.spec.name

    def constant_values(self) -> dict[str, Any]:
        return {n: c.value for n, c in self.constants.items()}


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
    kind = {SetT: "a set", MapT: "a map", RecordT: "a record", ChanT: "a channel"}.get(type(t))
    return f"{kind} ({t})" if kind else str(t)


# --------------------------------------------------------------------------------------- resolve


class _Scope:
    def __init__(self, parent: "_Scope | None" = None):
        self.parent = parent
        self.names: dict[str, Any] = {}

    def lookup(self, name: str):
        s: _Scope | None = self
        while s is not None:
            if name in s.names:
                return s.names[name]
            s = s.parent
        return None


class _Abort(Exception):
    """Stop checking the current declaration (its error is already recorded)."""


def check_spec(spec: ast.Spec, source: SourceFile, overrides: dict[str, Any] | None = None) -> CheckedSpec:
    """Resolve and type-check a parsed spec; raises SpecError (all errors) or UsageError (-D)."""
    return _Resolver(spec, source, overrides or {}).run()


class _Resolver:
    def __init__(self, spec: ast.Spec, source: SourceFile, overrides: dict[str, Any]):
        self.spec = spec
        self.source = source
        self.overrides = dict(overrides)
        self.diags = Diagnostics(source)
        self.types: dict[int, Type] = {}
        self.refs: dict[int, Any] = {}
        self.domains: dict[int, Any] = {}
        self.globals = _Scope()
        self.decl_spans: dict[str, Span] = {}
        self.constants: dict[str, ConstSym] = {}
        self.shared: list[VarSym] = []
        self.machines: list[MachineInfo] = []
        self.properties: list[PropertyInfo] = []
        self.uid = 0
        self.machine: MachineInfo | None = None  # while checking a machine body
        # Names whose declaration had an error: a use of one is not reported again, so a bad
        # `var x: 3..1` gives one error, not one more per line that reads x.
        self.failed: set[str] = set()
        self.in_property = False

    # ---- helpers
    def error(self, span: Span, msg: str, notes=()) -> None:
        self.diags.error(span, msg, notes)

    def name_span(self, span: Span, name: str) -> Span:
        """Narrow a declaration's span to its name, so a caret points at the name, not the line."""
        if span.line <= 0:
            return span
        import re
        found = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])").search(
            self.source.line(span.line), span.col - 1)
        return Span(span.line, found.start() + 1, span.line, found.end() + 1) if found else span

    def declare(self, scope: _Scope, name: str, sym, span: Span) -> bool:
        span = self.name_span(span, name)
        prev = scope.lookup(name) if scope is not self.globals else self.globals.names.get(name)
        if prev is None and scope is not self.globals:
            prev = self.globals.names.get(name)
        if prev is not None or name in BUILTINS or name == "self":
            where = self.decl_spans.get(name)
            notes = [Note(where, f"'{name}' is declared here")] if where else []
            if name in BUILTINS:
                message = f"'{name}' is a built-in function; choose another name"
            elif isinstance(sym, VarSym) and sym.machine is not None and isinstance(prev, VarSym) \
                    and prev.machine is None:
                message = (f"machine variable '{name}' has the name of a shared variable; "
                           "give it its own name")
            else:
                message = f"'{name}' is already declared"
            self.error(span, message, notes)
            return False
        scope.names[name] = sym
        if scope is self.globals or not isinstance(sym, BoundSym):
            self.decl_spans[name] = span
        return True

    def new_bound(self, name: str, typ: Type, span: Span) -> BoundSym:
        self.uid += 1
        return BoundSym(name, typ, self.uid, span)

    # ---- driver
    def run(self) -> CheckedSpec:
        self._check_overrides()
        expects: list[ast.ExpectDecl] = []
        machine_decls: list[ast.MachineDecl] = []
        # a shared variable whose type names a machine declared further down (`map[Node, bool]`
        # above `machine Node`) waits for the machine headers; all else in source order
        machines_below = {d.name for d in self.spec.decls if isinstance(d, ast.MachineDecl)}
        deferred = []
        ordered = []
        for d in self.spec.decls:
            if isinstance(d, ast.MachineDecl):
                machines_below.discard(d.name)
            if isinstance(d, ast.VarDecl) and _type_names(d.type) & machines_below:
                deferred.append(d)
            else:
                ordered.append(d)
        for d in ordered + deferred:
            try:
                if isinstance(d, ast.ConstDecl):
                    self.const_decl(d)
                elif isinstance(d, ast.TypeDecl):
                    self.type_decl(d)
                elif isinstance(d, ast.VarDecl):
                    self.shared_var(d)
                elif isinstance(d, ast.MachineDecl):
                    self.machine_header(d)
                    machine_decls.append(d)
                elif isinstance(d, ast.ExpectDecl):
                    expects.append(d)
            except _Abort:
                if isinstance(d, (ast.ConstDecl, ast.TypeDecl, ast.VarDecl, ast.MachineDecl)):
                    self.failed.add(d.name)
        # every machine's locals and states first: a body may read M[i].x or test M[i] at s
        # of a machine declared after it
        scopes = {m.name: self.machine_locals(m) for m in self.machines}
        for m in self.machines:
            self.machine_body(m, scopes[m.name])
        for d in self.spec.decls:
            if isinstance(d, ast.PropertyDecl):
                self.property_decl(d)
        expects = self.check_expects(expects)
        if not self.machines and not self.diags.errors:
            self.error(self.spec.span if self.spec.span.line else Span.point(1, 1),
                       "the spec declares no machine; nothing can happen")
        if self.diags.errors:
            # An expression abandoned at an error may hide a read or a target state, so warnings
            # would be guesses; a newcomer fixes the errors first and sees the warnings after.
            self.diags.items = [d for d in self.diags.items if d.severity == "error"]
        else:
            self.warnings()
        self.diags.raise_if_errors()
        return CheckedSpec(self.source, self.spec, self.constants, self.shared, self.machines,
                           self.properties, expects, self.types, self.refs, self.domains, self.diags)

    def _check_overrides(self) -> None:
        declared = {d.name: d for d in self.spec.of(ast.ConstDecl)}
        for name in self.overrides:
            if name not in declared:
                known = ", ".join(declared) or "none"
                raise UsageError(f"-D {name}: the spec declares no constant '{name}' (constants: {known})")

    # ---- constants and types
    def const_decl(self, d: ast.ConstDecl) -> None:
        declared_type = self.resolve_type(d.type) if d.type is not None else None
        if d.name in self.overrides:
            value = self.overrides.pop(d.name)
            overridden = True
            if declared_type is None:
                default = self.const_value(d.value)
                if isinstance(default, bool) != isinstance(value, bool):
                    kind = "true or false" if isinstance(default, bool) else "an integer"
                    raise UsageError(f"-D {d.name}={format_value(value)}: {d.name} is {kind} "
                                     f"(its default is {format_value(default)})")
        else:
            value = self.const_value(d.value, declared_type)
            overridden = False
        typ: Type
        if isinstance(value, bool):
            typ = BoolT()
            if declared_type is not None and not isinstance(declared_type, BoolT):
                self._const_mismatch(d, value, declared_type, overridden)
        else:
            typ = IntT()
            if declared_type is not None:
                if isinstance(declared_type, RangeT):
                    if not declared_type.lo <= value <= declared_type.hi:
                        self._const_mismatch(d, value, declared_type, overridden)
                else:
                    self._const_mismatch(d, value, declared_type, overridden)
        sym = ConstSym(d.name, typ, value, d, overridden)
        if self.declare(self.globals, d.name, sym, d.span):
            self.constants[d.name] = sym

    def _const_mismatch(self, d: ast.ConstDecl, value, declared: Type, overridden: bool):
        msg = (f"constant {d.name} = {format_value(value)} is outside its type {declared.describe()}"
               if isinstance(declared, RangeT) and not isinstance(value, bool)
               else f"constant {d.name} = {format_value(value)} is not a value of its type {declared.describe()}")
        if overridden:
            within = f"in {declared.describe()}" if isinstance(declared, RangeT) else f"of type {declared}"
            raise UsageError(f"-D {d.name}={format_value(value)}: {d.name} must be {within} "
                             f"(declared at {self.source.path}:{d.span.line})")
        self.error(d.value.span, msg)
        raise _Abort()

    def const_value(self, e: ast.Expr, expected: Type | None = None):
        """Type-check and evaluate an expression that may use only constants."""
        t = self.expr(e, self.globals, expected, const_only=True)
        from .evaluate import EvalError, Evaluator
        try:
            return Evaluator(self).eval(e, {})
        except EvalError as err:
            self.error(err.span or e.span, str(err))
            raise _Abort() from None
        finally:
            del t

    def const_int(self, e: ast.Expr, what: str) -> int:
        v = self.const_value(e)
        if isinstance(v, bool) or not isinstance(v, int):
            self.error(e.span, f"{what} must be an integer")
            raise _Abort()
        return v

    def type_decl(self, d: ast.TypeDecl) -> None:
        t = self.resolve_type(d.type, name=d.name)
        if isinstance(t, RangeT):
            t = RangeT(t.lo, t.hi, d.name)
        elif isinstance(t, RecordT):
            t = RecordT(d.name, t.fields)
        self.declare(self.globals, d.name, TypeSym(d.name, t, d), d.span)

    def resolve_type(self, te: ast.TypeExpr, name: str = "") -> Type:
        if isinstance(te, ast.BoolType):
            return BoolT()
        if isinstance(te, ast.RangeType):
            lo = self.const_int(te.lo, "a range bound")
            hi = self.const_int(te.hi, "a range bound")
            if lo > hi:
                self.error(te.span, f"empty range {lo}..{hi}: the lower bound is above the upper bound")
                raise _Abort()
            if hi - lo >= MAX_SCALAR:
                self.error(te.span, f"range {lo}..{hi} has more than {MAX_SCALAR} values; "
                                    "papcheck explores every value, keep ranges small")
                raise _Abort()
            return RangeT(lo, hi)
        if isinstance(te, ast.NamedType):
            sym = self.globals.lookup(te.name)
            if isinstance(sym, TypeSym):
                return sym.type
            if isinstance(sym, MachineInfo):
                return sym.index_type
            if sym is None and te.name in self.failed:
                raise _Abort()
            if sym is None:
                similar = self._similar(te.name, self.globals)
                hint = f"; did you mean '{similar}'?" if similar else ""
                self.error(te.span, f"unknown type '{te.name}'{hint}")
            else:
                self.error(te.span, f"'{te.name}' is not a type")
            raise _Abort()
        if isinstance(te, ast.SetType):
            elem = self.resolve_type(te.elem)
            if not is_scalar(elem):
                self.error(te.elem.span, f"set elements must be bool, a range or an enum, not {elem}")
                raise _Abort()
            return SetT(elem)
        if isinstance(te, ast.MapType):
            key = self.resolve_type(te.key)
            if not is_scalar(key):
                self.error(te.key.span, f"map keys must be bool, a range or an enum, not {key}")
                raise _Abort()
            val = self.resolve_type(te.value)
            return MapT(key, val)
        if isinstance(te, ast.EnumType):
            enum = EnumT(name, tuple(m for m, _ in te.members))
            seen: set[str] = set()
            for m, sp in te.members:
                if m in seen:
                    self.error(sp, f"enum member '{m}' appears twice")
                    continue
                seen.add(m)
                self.declare(self.globals, m, EnumMemberSym(m, enum), sp)
            return enum
        if isinstance(te, ast.RecordType):
            fields = []
            names: set[str] = set()
            for fname, ftype, sp in te.fields:
                if fname in names:
                    self.error(sp, f"record field '{fname}' appears twice")
                    raise _Abort()
                names.add(fname)
                fields.append((fname, self.resolve_type(ftype)))
            return RecordT(name, tuple(fields))
        if isinstance(te, ast.ChanType):
            elem = self.resolve_type(te.elem)
            if isinstance(elem, ChanT):
                self.error(te.elem.span, "a channel cannot carry channels")
                raise _Abort()
            cap = self.const_int(te.capacity, "a channel capacity")
            if not 1 <= cap <= 64:
                self.error(te.capacity.span, f"channel capacity must be in 1..64, not {cap}")
                raise _Abort()
            return ChanT(elem, cap)
        raise AssertionError(te)

    # ---- variables
    def shared_var(self, d: ast.VarDecl) -> None:
        t = self.resolve_type(d.type)
        sym = VarSym(d.name, t, None, d)
        if not self.declare(self.globals, d.name, sym, d.span):
            return
        sym.inits = [self.initial_value(d, t, None)]
        self.shared.append(sym)

    def initial_value(self, d: ast.VarDecl, t: Type, self_index: int | None):
        if d.init is None:
            return default_value(t)
        from .evaluate import EvalError, Evaluator
        e = d.init
        broadcast = isinstance(t, MapT) and not self._is_whole_value(e, t)
        target = t
        while broadcast and isinstance(target, MapT):
            target = target.value
            if self._is_whole_value(e, target) or not isinstance(target, MapT):
                break
        self.expr(e, self.globals if self.machine is None else self.machine_scope, target,
                  const_only=True, allow_self=self.machine is not None)
        # `var e: enum { a, b } = 3` must be a type error, not a value the layout cannot encode
        self.require(e, target, f"the initial value of '{d.name}'")
        try:
            v = Evaluator(self).eval(e, {}, self_index=self_index)
            return fill_value(t, target, v)
        except EvalError as err:
            self.error(err.span or e.span, f"initial value of '{d.name}': {err}")
            raise _Abort() from None
        except ValueError as err:
            self.error(e.span, f"initial value of '{d.name}': {err}")
            raise _Abort() from None

    def _is_whole_value(self, e: ast.Expr, t: Type) -> bool:
        """Does `e` denote a value of type t itself (rather than a value to broadcast)?"""
        if isinstance(e, (ast.SetLit, ast.RecordLit)):
            return not isinstance(t, MapT)
        if isinstance(e, ast.Name):
            sym = self.globals.lookup(e.name)
            return isinstance(sym, VarSym) and sym.type == t
        return not isinstance(t, MapT)

    # ---- machines
    def machine_header(self, d: ast.MachineDecl) -> None:
        count = 1
        if d.count is not None:
            count = self.const_int(d.count, "an instance count")
            if not 1 <= count <= MAX_INSTANCES:
                self.error(d.count.span, f"machine {d.name} needs 1..{MAX_INSTANCES} instances, not {count}")
                raise _Abort()
        info = MachineInfo(d.name, count, "symmetric" in d.modifiers, "fair" in d.modifiers, d,
                           RangeT(0, count - 1, d.name, d.name))
        if self.declare(self.globals, d.name, info, d.span):
            self.machines.append(info)

    def machine_locals(self, m: MachineInfo) -> _Scope:
        """Declare and type a machine's local variables and states; returns the machine's scope."""
        self.machine = m
        self.machine_scope = _Scope(self.globals)
        for v in m.decl.vars:
            try:
                t = self.resolve_type(v.type)
                sym = VarSym(v.name, t, m, v)
                if v.name == "state":
                    self.error(v.span, "'state' is the name of an instance's control state in traces "
                                       f"({m.name}[0].state); give the variable another name")
                if not self.declare(self.machine_scope, v.name, sym, v.span):
                    continue
                if isinstance(t, ChanT):
                    self.error(v.span, "channels are shared: declare them with the shared variables "
                                       "(a map of channels gives each instance its own)")
                    continue
                sym.inits = [self.initial_value(v, t, i) for i in range(m.count)]
                m.locals.append(sym)
            except _Abort:
                self.failed.add(v.name)
        self.machine = None
        self.machine_states(m)
        return self.machine_scope

    def machine_states(self, m: MachineInfo) -> None:
        """Number a machine's control states (before any body: `M[i] at s` may come first)."""
        d = m.decl
        names: dict[str, StateInfo] = {}
        inits = []
        if not d.states:
            self.error(self.name_span(d.span, m.name),
                       f"machine {m.name} has no states; give it at least one `state NAME {{ ... }}`")
        for sd in d.states:
            if sd.name in names:
                self.error(self.name_span(sd.span, sd.name), f"machine {m.name} has two states named '{sd.name}'",
                           [Note(self.name_span(names[sd.name].decl.span, sd.name), "the first is here")])
                continue
            st = StateInfo(sd.name, len(m.states), sd.final, sd)
            names[sd.name] = st
            m.states.append(st)
            if sd.initial:
                inits.append(st)
        if len(inits) > 1:
            self.error(self.name_span(inits[1].decl.span, "init"), f"machine {m.name} has more than one `init` state",
                       [Note(self.name_span(inits[0].decl.span, "init"), "the first is here")])
        m.initial = inits[0].index if inits else 0

    def machine_body(self, m: MachineInfo, scope: _Scope) -> None:
        self.machine = m
        self.machine_scope = scope
        names = {st.name: st for st in m.states}
        for st in m.states:
            seen: dict[str, ast.Transition] = {}
            for td in st.decl.transitions:
                if td.name in seen:
                    self.error(self.name_span(td.span, td.name),
                               f"state {st.name} has two transitions named '{td.name}'",
                               [Note(self.name_span(seen[td.name].span, td.name), "the first is here")])
                    continue
                seen[td.name] = td
                try:
                    self.transition(m, st, td, names)
                except _Abort:
                    pass
        self.machine = None

    def transition(self, m: MachineInfo, st: StateInfo, td: ast.Transition, states: dict) -> None:
        scope = _Scope(self.machine_scope)
        params = []
        for p in td.params:
            if isinstance(p.domain, ast.TypeExpr):
                t = self.resolve_type(p.domain)
                if not is_scalar(t):
                    self.error(p.span, f"a parameter ranges over bool, a range or an enum, not {t}")
                    raise _Abort()
                dom = ("type", t)
                elem = t
            else:
                elem, dom = self.domain(p.domain, scope)
            b = self.new_bound(p.name, elem, p.span)
            self.declare(scope, p.name, b, p.span)
            params.append((b, dom))
        recv = None
        if td.recv is not None:
            ct = self.expr(td.recv.chan, scope)
            if not isinstance(ct, ChanT):
                self.error(td.recv.chan.span, f"recv needs a channel, but this is {_a(ct)}")
                raise _Abort()
            self.check_location(td.recv.chan)
            b = self.new_bound(td.recv.var, ct.elem, td.recv.span)
            self.declare(scope, td.recv.var, b, td.recv.span)
            recv = (b, td.recv.chan)
        if td.guard is not None:
            self.expect_bool(td.guard, scope, "a guard")
        self.block(td.body, scope)
        target = None
        if td.target is not None:
            target = states.get(td.target)
            if target is None:
                self.error(td.target_span, f"machine {m.name} has no state '{td.target}'"
                           + (f" (states: {', '.join(states)})" if states else ""))
        m.transitions.append(TransitionInfo(td.name, m, st, td, params, recv, target))

    # ---- statements
    def block(self, stmts: tuple, scope: _Scope) -> None:
        for s in stmts:
            try:
                self.stmt(s, scope)
            except _Abort:
                pass

    def stmt(self, s: ast.Stmt, scope: _Scope) -> None:
        if isinstance(s, ast.Assign):
            t = self.expr(s.target, scope)
            self.check_location(s.target)
            self.expr(s.value, scope, t)
            self.require(s.value, t, "the assigned value")
        elif isinstance(s, ast.If):
            for cond, body in s.branches:
                self.expect_bool(cond, scope, "an if condition")
                self.block(body, _Scope(scope))
            self.block(s.orelse, _Scope(scope))
        elif isinstance(s, ast.Choose):
            inner = _Scope(scope)
            elem, _ = self.domain(s.domain, scope)
            b = self.new_bound(s.var, elem, s.span)
            self.declare(inner, s.var, b, s.span)
            self.refs[id(s)] = b
            if s.cond is not None:
                self.expect_bool(s.cond, inner, "a choose condition")
            self.block(s.body, inner)
        elif isinstance(s, ast.Send):
            ct = self.expr(s.chan, scope)
            if not isinstance(ct, ChanT):
                self.error(s.chan.span, f"send needs a channel, but this is {_a(ct)}")
                raise _Abort()
            self.check_location(s.chan)
            self.expr(s.value, scope, ct.elem)
            self.require(s.value, ct.elem, "the message")
        elif isinstance(s, ast.MethodCall):
            t = self.expr(s.target, scope)
            if not isinstance(t, SetT) or s.method not in ("add", "remove"):
                if isinstance(t, SetT):
                    msg = f"sets have no '.{s.method}(...)'; they have add(x) and remove(x)"
                else:
                    msg = f"'.{s.method}(...)' is an operation on sets, but this is {_a(t)}"
                    if isinstance(t, MapT):
                        msg += "; set a map entry with m[key] := value"
                self.error(s.span, msg)
                raise _Abort()
            self.check_location(s.target)
            if len(s.args) != 1:
                self.error(s.span, f"{s.method} takes one element")
                raise _Abort()
            self.expr(s.args[0], scope, t.elem)
            self.require(s.args[0], t.elem, "the element")
        elif isinstance(s, ast.Assert):
            self.expect_bool(s.cond, scope, "an assertion")
        elif isinstance(s, ast.Skip):
            pass
        else:
            raise AssertionError(s)

    def check_location(self, e: ast.Expr) -> None:
        """Only shared variables, the machine's own locals and their entries/fields are assignable."""
        root = e
        while isinstance(root, (ast.Index, ast.Field)):
            if isinstance(root, ast.Field) and isinstance(self.types.get(id(root.base)), InstT):
                self.error(e.span, "another instance's variables can be read but not assigned")
                raise _Abort()
            root = root.base
        sym = self.refs.get(id(root)) if isinstance(root, ast.Name) else None
        if not isinstance(sym, VarSym):
            self.error(e.span, "only variables, their map entries and record fields can be assigned")
            raise _Abort()
        if isinstance(self.types.get(id(e)), ChanT) and not isinstance(e, (ast.Name, ast.Index, ast.Field)):
            self.error(e.span, "not a channel")
            raise _Abort()

    def require(self, e: ast.Expr, expected: Type, what: str) -> None:
        actual = self.types.get(id(e))
        if actual is None:
            return
        if not compatible(expected, actual):
            self.error(e.span, f"{what} has type {actual}, expected {expected}")
            raise _Abort()

    def expect_bool(self, e: ast.Expr, scope: _Scope, what: str) -> None:
        t = self.expr(e, scope, BoolT())
        if not isinstance(t, BoolT):
            self.error(e.span, f"{what} must be true or false, but this is {_a(t)}")
            raise _Abort()

    # ---- properties
    def property_decl(self, d: ast.PropertyDecl) -> None:
        if any(p.name == d.name for p in self.properties):
            prev = next(p for p in self.properties if p.name == d.name)
            self.error(self.name_span(d.span, d.name), f"two properties are named '{d.name}'",
                       [Note(self.name_span(prev.decl.span, d.name), "the first is here")])
            return
        self.properties.append(PropertyInfo(d.kind, d.name, d))
        if d.kind in LIVENESS_KINDS[1:] and not any(p.kind in LIVENESS_KINDS[1:] for p in self.properties[:-1]) \
                and not any(m.fair or any(t.decl.fair for t in m.transitions) for m in self.machines):
            self.diags.warning(d.span, "no machine or transition is declared `fair`: a run may starve any "
                                       f"machine for ever, so '{d.kind}' is judged without fairness")
        self.in_property = True
        try:
            if d.expr is not None:
                self.expect_bool(d.expr, _Scope(self.globals), f"the {d.kind} property")
            if d.expr2 is not None:
                self.expect_bool(d.expr2, _Scope(self.globals), f"the {d.kind} property")
        except _Abort:
            pass
        finally:
            self.in_property = False
        if d.kind == "deadlock_free" and not any(s.final for m in self.machines for s in m.states):
            self.diags.warning(d.span, "no state is marked `final`, so every state without an enabled "
                                       "transition counts as a deadlock")

    def check_expects(self, expects: list[ast.ExpectDecl]) -> list[ast.ExpectDecl]:
        """Check the `expect` lines and return the one that applies to these constants (a list of
        at most one): the conditional one whose `when` holds, else the unconditional one."""
        names = {p.name for p in self.properties}
        plain = [e for e in expects if e.when is None]
        if len(plain) > 1:
            self.error(plain[1].span, "a spec states one expectation without `when`",
                       [Note(plain[0].span, "the first is here")])
        applies: list[ast.ExpectDecl] = []
        for e in expects:
            if e.when is None:
                continue
            try:
                v = self.const_value(e.when, BoolT())
                if not isinstance(v, bool):
                    self.error(e.when.span, f"the condition after `when` must be a bool, not {format_value(v)}")
                elif v:
                    applies.append(e)
            except _Abort:
                continue
        if len(applies) > 1:
            consts = ", ".join(f"{k} = {format_value(v)}" for k, v in ((n, c.value) for n, c in self.constants.items()))
            self.error(applies[1].span, f"two expectations apply when {consts}",
                       [Note(applies[0].span, "the other is here")])
        for e in expects:
            for n in e.names:
                if n not in names:
                    import difflib
                    close = difflib.get_close_matches(n, sorted(names), n=1, cutoff=0.75)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    self.error(self.name_span(e.span, n), f"expect names '{n}', but no property has that name{hint}")
        return applies[:1] or plain[:1]

    # ---- warnings
    def warnings(self) -> None:
        for v in self.shared + [l for m in self.machines for l in m.locals]:
            if not v.used:
                owner = f" of machine {v.machine.name}" if v.machine else ""
                self.diags.warning(self.name_span(v.decl.span, v.name), f"variable '{v.name}'{owner} is never read")
        for m in self.machines:
            if not m.states:
                continue
            succ: dict[int, set[int]] = {s.index: set() for s in m.states}
            for t in m.transitions:
                if t.target is not None:
                    succ[t.state.index].add(t.target.index)
            seen = {m.initial}
            todo = [m.initial]
            while todo:
                for n in succ[todo.pop()]:
                    if n not in seen:
                        seen.add(n)
                        todo.append(n)
            for s in m.states:
                if s.index not in seen:
                    self.diags.warning(self.name_span(s.decl.span, s.name),
                                       f"state {m.name}.{s.name} is unreachable: no "
                                       "transition leads to it, so its transitions never fire")
                elif not s.decl.transitions and not s.final:
                    self.diags.warning(self.name_span(s.decl.span, s.name),
                                       f"state {m.name}.{s.name} has no transitions; an "
                                       "instance that enters it stops for ever (mark it "
                                       "`final` if that is intended)")

    # ---- expressions
    def domain(self, e: ast.Expr, scope: _Scope):
        """Check a domain (type name, lo..hi, set expression or literal); return (elem type, descriptor)."""
        if isinstance(e, ast.RangeExpr):
            lo = self.expr(e.lo, scope, IntT())
            hi = self.expr(e.hi, scope, IntT())
            for part, t in ((e.lo, lo), (e.hi, hi)):
                if not isinstance(t, (IntT, RangeT)):
                    self.error(part.span, f"range bounds must be integers, but this is {_a(t)}")
                    raise _Abort()
            desc = ("range", e.lo, e.hi)
            elem: Type = IntT()
            if self._is_const(e.lo) and self._is_const(e.hi):
                from .evaluate import Evaluator
                ev = Evaluator(self)
                a, b = ev.eval(e.lo, {}), ev.eval(e.hi, {})
                elem = RangeT(a, b) if a <= b else IntT()
            self.domains[id(e)] = desc
            self.types[id(e)] = elem
            return elem, desc
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
        t = self.expr(e, scope)
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
            b = self.new_bound(e.var, elem, e.span)
            self.declare(inner, e.var, b, e.span)
            self.refs[id(e)] = b
            if e.kind in ("min", "max"):
                self._int(e.body, inner, f"the body of '{e.kind}'")
                return IntT()
            self._bool(e.body, inner, f"the body of '{e.kind}'")
            return IntT() if e.kind == "count" else BoolT()
        if isinstance(e, ast.Cond):
            self._bool(e.cond, scope, "the condition")
            a = self._sub(e.then, scope, expected)
            b = self._sub(e.orelse, scope, expected if expected is not None else value_type(a))
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
        literal = (ast.SetLit, ast.RecordLit)
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


def _type_names(te: ast.TypeExpr) -> set[str]:
    """The names a type expression mentions (NamedType), at any depth."""
    if isinstance(te, ast.NamedType):
        return {te.name}
    if isinstance(te, ast.SetType):
        return _type_names(te.elem)
    if isinstance(te, ast.MapType):
        return _type_names(te.key) | _type_names(te.value)
    if isinstance(te, ast.RecordType):
        return set().union(*(_type_names(t) for _, t, _ in te.fields)) if te.fields else set()
    if isinstance(te, ast.ChanType):
        return _type_names(te.elem)
    return set()


# -------------------------------------------------------------------------------- value helpers


def default_value(t: Type):
    """The value a variable starts with when its declaration gives none."""
    if isinstance(t, BoolT):
        return False
    if isinstance(t, RangeT):
        return 0 if t.lo <= 0 <= t.hi else t.lo
    if isinstance(t, EnumT):
        return t.members[0]
    if isinstance(t, SetT):
        return frozenset()
    if isinstance(t, MapT):
        return tuple((k, default_value(t.value)) for k in t.key.values())  # type: ignore[attr-defined]
    if isinstance(t, RecordT):
        return tuple((f, default_value(ft)) for f, ft in t.fields)
    if isinstance(t, ChanT):
        return ()
    raise AssertionError(t)


def fill_value(t: Type, given_type: Type, v):
    """Broadcast `v` (of `given_type`) over the map levels of `t`; check scalars fit their type."""
    if t == given_type and not isinstance(t, RangeT):
        return v
    if isinstance(t, MapT) and t != given_type:
        return tuple((k, fill_value(t.value, given_type, v)) for k in t.key.values())  # type: ignore[attr-defined]
    check_fits(t, v)
    return v


def check_fits(t: Type, v) -> None:
    if isinstance(t, RangeT):
        if isinstance(v, bool) or not isinstance(v, int) or not t.lo <= v <= t.hi:
            raise ValueError(f"{format_value(v)} is outside {t}")
    elif isinstance(t, SetT):
        for x in v:
            check_fits(t.elem, x)
    elif isinstance(t, MapT):
        for _, x in v:
            check_fits(t.value, x)
    elif isinstance(t, RecordT):
        for (_, x), (_, ft) in zip(v, t.fields):
            check_fits(ft, x)
