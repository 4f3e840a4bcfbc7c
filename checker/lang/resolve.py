"""AST to checked spec: name resolution, constant evaluation, type checking, warnings.

The output, :class:`CheckedSpec`, is everything later stages need and nothing of the parser:
constants with their final values (``-D`` overrides applied), the shared variables and machines
with resolved types and initial values, the properties, and two side tables keyed by AST node
identity: ``types`` (the type of every expression) and ``refs`` (the symbol every name denotes).

All errors of a spec are collected before stopping.  Bad ``-D`` overrides are usage errors
(exit 2), everything else a spec error (exit 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from . import ast
from .defs import DefSym
from .errors import Diagnostics, Note, SourceFile, Span, UsageError
from .evaluate import EvalError, Evaluator
from .symbols import (
    LIVENESS_KINDS,
    BoundSym,
    CheckedSpec,
    ConstSym,
    EnumMemberSym,
    InstT,
    MachineInfo,
    PropertyInfo,
    StateInfo,
    TransitionInfo,
    TypeSym,
    VarSym,
    all_values,
    check_fits,
    count_values,
    default_value,
    fill_value,
)
from .typecheck import BUILTINS, MAX_SCALAR, ExpressionTyper, _a, _Abort, _Scope
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
    format_value,
    is_optional_instance,
    is_scalar,
    value_type,
)

MAX_INSTANCES = 64
# `var x: T in D` / `in any`: the initial states are every combination of the variables' domains
MAX_INITIAL_STATES = 100_000
WARN_INITIAL_STATES = 10_000


# --------------------------------------------------------------------------------------- resolve


def check_spec(spec: ast.Spec, source: SourceFile, overrides: dict[str, Any] | None = None) -> CheckedSpec:
    """Resolve and type-check a parsed spec; raises SpecError (all errors) or UsageError (-D)."""
    return _Resolver(spec, source, overrides or {}).run()


class _Resolver(ExpressionTyper):
    def __init__(self, spec: ast.Spec, source: SourceFile, overrides: dict[str, Any]):
        from .defs import expand_defs
        expansion = expand_defs(spec, source)  # `def`s are inlined before anything is resolved
        spec = expansion.spec
        self.defs = expansion.defs
        self.inline_sites = expansion.sites
        self._def_param_types: dict[str, list[Type] | None] = {}
        self._def_result_types: dict[str, Type | None] = {}
        self.spec = spec
        self.source = source
        self.overrides = dict(overrides)
        self.diags = Diagnostics(source)
        self.types: dict[int, Type] = {}
        self.refs: dict[int, Any] = {}
        self.domains: dict[int, Any] = {}
        # built-in names, shadowed by any declaration of the same name
        self.builtins = _Scope()
        self.builtins.names["none"] = ConstSym("none", NoneT(), -1, None)  # type: ignore[arg-type]
        self.globals = _Scope(self.builtins)
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
        # (id of a `var ... in` declaration, instance or None) -> the values it may start with
        self.choices: dict[tuple[int, int | None], tuple[Any, ...]] = {}
        self.initial_count = 1
        self.loop_vars: dict[int, ast.For] = {}  # BoundSym uid of a `for` variable -> its loop

    # ---- helpers
    def error(self, span: Span, msg: str, notes: Iterable[Note] = ()) -> None:
        self.diags.error(span, msg, notes)

    def name_span(self, span: Span, name: str) -> Span:
        """Narrow a declaration's span to its name, so a caret points at the name, not the line."""
        if span.line <= 0:
            return span
        import re
        found = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])").search(
            self.source.line(span.line), span.col - 1)
        return Span(span.line, found.start() + 1, span.line, found.end() + 1) if found else span

    def declare(self, scope: _Scope, name: str, sym: Any, span: Span) -> bool:
        span = self.name_span(span, name)
        prev = scope.lookup(name) if scope is not self.globals else self.globals.names.get(name)
        if prev is None and scope is not self.globals:
            prev = self.globals.names.get(name)
        if prev is not None and self.builtins.names.get(name) is prev:
            prev = None  # a declaration may shadow a built-in name (`none`)
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
        # (and so does a type declaration naming one, `type Msg = record { from: Node }`, with the
        # variables of that type)
        deferred = []
        ordered = []
        waiting: set[str] = set()
        for d in self.spec.decls:
            if isinstance(d, ast.MachineDecl):
                machines_below.discard(d.name)
            if isinstance(d, (ast.VarDecl, ast.TypeDecl)) and _type_names(d.type) & (machines_below | waiting):
                if isinstance(d, ast.TypeDecl):
                    waiting.add(d.name)
                deferred.append(d)
            else:
                ordered.append(d)
        for d in self.defs:  # a definition's name is taken like any other global's
            self.declare(self.globals, d.name, DefSym(d.name), d.span)
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
        for df in self.defs:
            self.def_decl(df)
        # every machine's locals and states first: a body may read M[i].x or test M[i] at s
        # of a machine declared after it
        scopes = {m.name: self.machine_locals(m) for m in self.machines}
        self.count_initial_states()
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

    def _const_mismatch(self, d: ast.ConstDecl, value: Any, declared: Type, overridden: bool) -> NoReturn:
        msg = (f"constant {d.name} = {format_value(value)} is outside its type {declared.describe()}"
               if isinstance(declared, RangeT) and not isinstance(value, bool)
               else f"constant {d.name} = {format_value(value)} is not a value of its type {declared.describe()}")
        if overridden:
            within = f"in {declared.describe()}" if isinstance(declared, RangeT) else f"of type {declared}"
            raise UsageError(f"-D {d.name}={format_value(value)}: {d.name} must be {within} "
                             f"(declared at {self.source.path}:{d.span.line})")
        self.error(d.value.span, msg)
        raise _Abort()

    def const_value(self, e: ast.Expr, expected: Type | None = None) -> Any:
        """Type-check and evaluate an expression that may use only constants."""
        t = self.expr(e, self.globals, expected, const_only=True)
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
            if te.optional:
                if not isinstance(sym, MachineInfo):
                    if sym is None and te.name in self.failed:
                        raise _Abort()
                    self.error(te.span, f"'{te.name}?': only a machine's instances can be optional "
                                        f"(M? holds an instance of machine M or none)")
                    raise _Abort()
                it = sym.index_type
                return RangeT(-1, it.hi, f"{sym.name}?", sym.name)
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
            if is_optional_instance(elem):
                self.error(te.elem.span, f"set elements cannot be {elem.describe()}: none is not an "
                                         "element; use a set of the machine's instances")
                raise _Abort()
            if not is_scalar(elem):
                self.error(te.elem.span, f"set elements must be bool, a range or an enum, not {elem}")
                raise _Abort()
            return SetT(elem)
        if isinstance(te, ast.MapType):
            key = self.resolve_type(te.key)
            if is_optional_instance(key):
                self.error(te.key.span, f"map keys cannot be {key.describe()}: none is not a key; "
                                        "key the map by the machine's instances")
                raise _Abort()
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
        if d.nondeterministic:
            sym.choices = [self.choices[(id(d), None)]]
        self.shared.append(sym)

    def initial_value(self, d: ast.VarDecl, t: Type, self_index: int | None) -> Any:
        if d.nondeterministic:
            return self.initial_choices(d, t, self_index)[0]
        if d.init is None:
            return default_value(t)
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

    def initial_choices(self, d: ast.VarDecl, t: Type, self_index: int | None) -> tuple[Any, ...]:
        """The values a variable declared `in D` / `in any` may start with (for one instance),
        deduplicated, in the order of D (of the type's values for `any`); remembered per
        declaration and instance in self.choices."""
        key = (id(d), self_index)
        if key in self.choices:
            return self.choices[key]
        if isinstance(t, ChanT):
            self.error(d.span, f"'{d.name}' is a channel: it starts empty, not `in` a domain")
            raise _Abort()
        if d.init_any:
            n = count_values(t)
            if n > MAX_INITIAL_STATES:
                self.error(d.span, f"'{d.name}' in any: its type {t} has {n:,} values; papcheck starts "
                                   f"from at most {MAX_INITIAL_STATES:,} initial states: give a domain "
                                   f"(`in {{...}}`) or a smaller type")
                raise _Abort()
            values = tuple(all_values(t))
        else:
            e = d.init_in
            assert e is not None
            scope = self.globals if self.machine is None else self.machine_scope
            allow_self = self.machine is not None
            if isinstance(e, ast.SetLit) and not e.elems:
                self.error(e.span, f"the initial domain of '{d.name}' is empty: the spec would have no initial state")
                raise _Abort()
            named_type = isinstance(e, ast.Name) and isinstance(scope.lookup(e.name), (TypeSym, MachineInfo))
            if isinstance(e, ast.RangeExpr):
                for part in (e.lo, e.hi):
                    self.expr(part, scope, IntT(), const_only=True, allow_self=allow_self)
            elif isinstance(e, ast.SetLit):
                for x in e.elems:
                    self.expr(x, scope, t, const_only=True, allow_self=allow_self)
            elif not named_type:
                self.expr(e, scope, SetT(t) if is_scalar(t) else None, const_only=True, allow_self=allow_self)
            if isinstance(e, ast.SetLit) and not is_scalar(t):
                # a list of composite values (`in {{}, {0}}`), each typed as the variable, in order
                values = self._listed_choices(d, e, t, self_index)
                if not values:
                    self.error(e.span, f"the initial domain of '{d.name}' is empty: the spec would have "
                                       "no initial state")
                    raise _Abort()
                self.choices[key] = values
                return values
            elem, _ = self.domain(e, scope, t if is_scalar(t) else None)
            if isinstance(elem, ChanT) or (not compatible(t, value_type(elem)) and not compatible(t, elem)):
                self.error(e.span, f"the initial domain of '{d.name}' holds values of type {elem}, "
                                   f"but '{d.name}' has type {t}")
                raise _Abort()
            ev = Evaluator(self)
            ev.self_index = self_index
            try:
                if isinstance(e, ast.RangeExpr):
                    lo, hi = ev.eval(e.lo, {}, self_index=self_index), ev.eval(e.hi, {}, self_index=self_index)
                    if hi - lo + 1 > MAX_INITIAL_STATES:
                        self.error(e.span, f"the initial domain of '{d.name}' has {hi - lo + 1:,} values; "
                                           f"papcheck starts from at most {MAX_INITIAL_STATES:,} initial states")
                        raise _Abort()
                raw = ev.domain_values(e, {})
            except EvalError as err:
                self.error(err.span or e.span, f"initial domain of '{d.name}': {err}")
                raise _Abort() from None
            seen: list[Any] = []
            for v in raw:
                try:
                    check_fits(t, v)
                except ValueError as err:
                    self.error(e.span, f"the initial domain of '{d.name}' is not within its type: {err}")
                    raise _Abort() from None
                if v not in seen:
                    seen.append(v)
            values = tuple(seen)
        if not values:
            self.error(d.init_in.span if d.init_in is not None else d.span,
                       f"the initial domain of '{d.name}' is empty: the spec would have no initial state")
            raise _Abort()
        self.choices[key] = values
        return values

    def _listed_choices(self, d: ast.VarDecl, e: ast.SetLit, t: Type, self_index: int | None) -> tuple[Any, ...]:
        out: list[Any] = []
        for x in e.elems:
            self.require(x, t, f"a value of the initial domain of '{d.name}'")
            try:
                v = Evaluator(self).eval(x, {}, self_index=self_index)
                check_fits(t, v)
            except EvalError as err:
                self.error(err.span or x.span, f"initial domain of '{d.name}': {err}")
                raise _Abort() from None
            except ValueError as err:
                self.error(x.span, f"the initial domain of '{d.name}' is not within its type: {err}")
                raise _Abort() from None
            if v not in out:
                out.append(v)
        return tuple(out)

    def count_initial_states(self) -> None:
        """The number of initial states is the product of the domain sizes: warn above
        WARN_INITIAL_STATES, refuse above MAX_INITIAL_STATES (at the declaration that crosses it)."""
        total = 1
        biggest: tuple[int, VarSym | None] = (1, None)
        for sym in self.shared + [v for m in self.machines for v in m.locals]:
            for c in sym.choices or ():
                total *= len(c)
                if len(c) > biggest[0]:
                    biggest = (len(c), sym)
        self.initial_count = total
        if biggest[1] is None:
            return
        span = biggest[1].decl.span
        if total > MAX_INITIAL_STATES:
            self.error(span, f"the `in` declarations give {total:,} initial states; papcheck starts from "
                             f"at most {MAX_INITIAL_STATES:,}: narrow the domains (this one has "
                             f"{biggest[0]:,} values)")
        elif total > WARN_INITIAL_STATES:
            self.diags.warning(span, f"the `in` declarations give {total:,} initial states, all explored "
                                     f"from the start (this one has {biggest[0]:,} values)")

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
                if v.nondeterministic:
                    sym.choices = [self.choices[(id(v), i)] for i in range(m.count)]
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

    def transition(self, m: MachineInfo, st: StateInfo, td: ast.Transition, states: dict[str, StateInfo]) -> None:
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
    def block(self, stmts: tuple[ast.Stmt, ...], scope: _Scope) -> None:
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
        elif isinstance(s, ast.For):
            inner = _Scope(scope)
            elem, _ = self.domain(s.domain, scope)
            b = self.new_bound(s.var, elem, s.span)
            self.declare(inner, s.var, b, s.span)
            self.refs[id(s)] = b
            self.loop_vars[b.uid] = s
            chosen = _first_choose(s.body)
            if chosen is not None:
                self.error(chosen.span, "'choose' inside a 'for' loop is not supported: a loop runs every "
                                        "iteration in one step; choose before the loop (its choice then holds "
                                        "for every iteration) or make the choice a transition parameter",
                           [Note(self.name_span(s.span, "for"), "the loop starts here")])
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
        if isinstance(sym, BoundSym) and sym.uid in self.loop_vars:
            loop = self.loop_vars[sym.uid]
            self.error(e.span, f"the loop variable '{sym.name}' cannot be assigned: it takes each value of "
                               "the domain in turn; keep a value in a variable declared with `var`",
                       [Note(self.name_span(loop.span, sym.name), f"'{sym.name}' is bound here")])
            raise _Abort()
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

    # ---- definitions (inlined already: see checker.lang.defs)
    def def_param_types(self, d: ast.DefDecl) -> list[Type] | None:
        if d.name not in self._def_param_types:
            try:
                self._def_param_types[d.name] = [self.resolve_type(p.domain) for p in d.params]  # type: ignore[arg-type]
            except _Abort:
                self._def_param_types[d.name] = None
        return self._def_param_types[d.name]

    def def_result_type(self, d: ast.DefDecl) -> Type | None:
        if d.name not in self._def_result_types:
            try:
                self._def_result_types[d.name] = self.resolve_type(d.result)
            except _Abort:
                self._def_result_types[d.name] = None
        return self._def_result_types[d.name]

    def def_decl(self, d: ast.DefDecl) -> None:
        """Check a definition's body once, with only the globals and its parameters in scope."""
        try:
            types = self.def_param_types(d)
            if types is None:
                return
            scope = _Scope(self.globals)
            for p, t in zip(d.params, types):
                if not self.declare(scope, p.name, self.new_bound(p.name, t, p.span), p.span):
                    return
            result = self.def_result_type(d)
            if result is None:
                return
            actual = self.expr(d.body, scope, result)
            if not compatible(result, actual):
                self.error(d.body.span, f"the body of '{d.name}' has type {actual}, but '{d.name}' "
                                        f"is declared to give {result}")
        except _Abort:
            pass

    def check_inline_site(self, site: Any, scope: _Scope) -> None:
        """At a use of a definition: each argument must fit its parameter's declared type."""
        d, args = site
        types = self.def_param_types(d)
        if types is None:
            return
        for i, (p, a, t) in enumerate(zip(d.params, args, types), start=1):
            actual = self._sub(a, scope, t)
            if not compatible(t, actual):
                self.error(a.span, f"argument {i} of '{d.name}' ({p.name}) must be {t}, but this is {actual}",
                           [Note(self.name_span(d.span, d.name), f"'{d.name}' is defined here")])
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
def _first_choose(stmts: tuple[ast.Stmt, ...]) -> ast.Choose | None:
    """The first `choose` in a loop body, nested `if`s included (a nested loop reports its own)."""
    for s in stmts:
        if isinstance(s, ast.Choose):
            return s
        inner: list[tuple[ast.Stmt, ...]] = []
        if isinstance(s, ast.If):
            inner = [b for _, b in s.branches] + [s.orelse]
        for b in inner:
            found = _first_choose(b)
            if found is not None:
                return found
    return None


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


