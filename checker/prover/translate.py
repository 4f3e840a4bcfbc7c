"""A checked spec as z3 terms, with the constants symbolic (the prover's one translation).

The translation follows mypyvy's ``Z3Translator``: a state is a vocabulary of z3 constants, a
transition a formula over a pre-state and the terms of its post-state.  What makes it papcheck's:

* **Constants** not pinned with ``-D`` are z3 Int/Bool constants; a constant defined from others
  (``const B = A + 1``) stays defined by its expression; a declared type (``const N: 1..8``) is a
  fact.  Every range's bounds are terms over the constants and every range is non-empty.
* **Types**: bool is Bool; ranges, enums (member index) and instance indices are Int with their
  bounds; ``set[T]`` is an array T -> Bool holding exactly the members; ``map[K, V]`` an array
  K -> V (only keys of K are meaningful; map equality quantifies over K); records are z3 tuples.
  A machine ``M[N]`` has a control-state array and one array per local, indexed by the instance
  0..N-1 (N symbolic).  Every variable carries its type as a fact (:meth:`Translator.types_fact`).
* **Model errors** (a value outside its type, a key outside its map, an instance index out of
  range, a failed assert, division by zero) are a Boolean per transition and per property;
  errors inside a quantifier are over-approximated (an error at *some* binding), which can only
  make a proof fail, never succeed wrongly.
* **Loops and comprehensions**: a ``for`` loop is unrolled over its domain's candidate values in
  ascending order, each iteration under its membership (taken before the first); a set
  comprehension is the array of its members (an image: ``y -> exists x in D: C and y == e``).
* **Unsupported** constructs (channels, ``len`` of a set, a set literal whose element type the
  context does not give, a loop whose domain's values depend on the state or on symbolic
  constants) raise :class:`Unsupported` with the span: a located error, never a
  silently wrong translation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..lang import ast
from ..lang.errors import Span
from ..lang.symbols import BoundSym, CheckedSpec, ConstSym, EnumMemberSym, MachineInfo, TransitionInfo, TypeSym, VarSym
from ..lang.types import BoolT, MapT, SetT


class Unsupported(Exception):
    """A construct the translation does not cover: reported as a located spec error."""

    def __init__(self, span: Span | None, message: str):
        super().__init__(message)
        self.span = span
        self.message = message


# ------------------------------------------------------------------------------ symbolic types


@dataclass(eq=False)
class SType:
    kind: str  # bool, int, set, map, rec
    lo: Any = None  # int: z3 bounds (None for an unbounded arithmetic value)
    hi: Any = None
    members: tuple[str, ...] | None = None  # enum members
    machine: str = ""  # instance index of this machine
    elem: SType | None = None  # set element / map key
    val: SType | None = None  # map value
    fields: tuple[tuple[str, SType], ...] = ()
    dt: Any = None  # z3 datatype of a record
    name: str = ""


BOOL = SType("bool")
INT = SType("int")


@dataclass
class Ctx:
    """What an expression reads: a state (None for constant expressions), self, bound names."""

    state: dict[str, Any] | None
    self_term: Any = None
    machine: MachineInfo | None = None
    env: dict[int, tuple[Any, SType]] = field(default_factory=dict)  # id(BoundSym) -> (term, type)
    facts: tuple = ()  # what the enclosing quantifiers' domains say about their bound names

    def bind(self, b: BoundSym, term: Any, t: SType, fact: Any = None) -> Ctx:
        facts = self.facts if fact is None else (*self.facts, fact)
        return Ctx(self.state, self.self_term, self.machine, {**self.env, id(b): (term, t)}, facts)


@dataclass
class Action:
    """One transition of one machine, for a symbolic instance `self_term`."""

    machine: MachineInfo
    info: TransitionInfo
    self_term: Any
    params: list[tuple[BoundSym, Any]]
    chooses: list[tuple[BoundSym, Any]]
    enabled: Any
    error: Any
    post: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.machine.name}.{self.info.state.name}.{self.info.name}"


class Translator:
    def __init__(self, checked: CheckedSpec, assumes: list[ast.Expr] | None = None,
                 concrete: dict[str, Any] | None = None):
        """`concrete` pins constants to values and expands every quantifier over a finite range
        into a conjunction or disjunction: quantifier-free queries, for finding CTIs fast."""
        import z3
        self.z3 = z3
        self.concrete = concrete
        self.c = checked
        self.n = 0
        self.axioms: list[Any] = []
        self.consts: dict[str, Any] = {}
        self.symbolic: list[str] = []  # free symbolic constants, in declaration order
        self.type_cache: dict[str, SType] = {}
        self.counts: dict[str, Any] = {}
        self.var_types: dict[int, SType] = {}  # id(VarSym) -> type
        d: ast.ConstDecl | ast.TypeDecl  # the loop variable of both loops
        for d in checked.spec.of(ast.ConstDecl):
            self._const(d)
        for d in checked.spec.of(ast.TypeDecl):
            self.named_type(d.name)
        for m in checked.machines:
            n = self.cexpr(m.decl.count) if m.decl.count is not None else z3.IntVal(1)
            self.counts[m.name] = n
            self.axioms.append(n >= 1)
        for v in checked.shared:
            self._check_var(v)
            self.var_types[id(v)] = self.stype(v.decl.type)
        for m in checked.machines:
            for v in m.locals:
                self._check_var(v)
                self.var_types[id(v)] = self.stype(v.decl.type)
        for a in assumes or []:
            self.axioms.append(self.cexpr(a))
        self.init_axioms: list[Any] = []

    # ---------------------------------------------------------------------------- constants
    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}!{self.n}"

    def _const(self, d: ast.ConstDecl) -> None:
        z3 = self.z3
        sym = self.c.constants[d.name]
        if self.concrete is not None and d.name in self.concrete:
            v = self.concrete[d.name]
            self.consts[d.name] = z3.BoolVal(v) if isinstance(v, bool) else z3.IntVal(v)
            self.symbolic.append(d.name)
        elif sym.overridden or not _is_literal(d.value):
            if sym.overridden:
                v = sym.value
                self.consts[d.name] = z3.BoolVal(v) if isinstance(v, bool) else z3.IntVal(v)
            else:
                self.consts[d.name] = self.cexpr(d.value)
        else:
            self.consts[d.name] = z3.Bool(d.name) if isinstance(sym.type, BoolT) else z3.Int(d.name)
            self.symbolic.append(d.name)
        if isinstance(d.type, ast.RangeType):
            lo, hi = self.cexpr(d.type.lo), self.cexpr(d.type.hi)
            x = self.consts[d.name]
            self.axioms.append(z3.And(lo <= x, x <= hi))

    def cexpr(self, e: ast.Expr) -> Any:
        """A constant expression (types' bounds, machine counts, initial values, assumptions)."""
        return self.expr(e, Ctx(None))[0]

    def _check_var(self, v: VarSym) -> None:
        pass

    # -------------------------------------------------------------------------------- types
    def named_type(self, name: str) -> SType:
        if name not in self.type_cache:
            d = next((d for d in self.c.spec.of(ast.TypeDecl) if d.name == name), None)
            if d is not None:
                t = self.stype(d.type)
                t.name = name
                self.type_cache[name] = t
            else:
                self.type_cache[name] = SType("int", self.z3.IntVal(0), self.counts[name] - 1, machine=name,
                                              name=name)
        return self.type_cache[name]

    def stype(self, te: ast.TypeExpr) -> SType:
        z3 = self.z3
        if isinstance(te, ast.BoolType):
            return BOOL
        if isinstance(te, ast.RangeType):
            lo, hi = self.cexpr(te.lo), self.cexpr(te.hi)
            self.axioms.append(lo <= hi)
            return SType("int", lo, hi)
        if isinstance(te, ast.NamedType):
            if te.name == "bool":
                return BOOL
            t = self.named_type(te.name)
            if te.optional:  # `M?`: an instance index or none, encoded -1 (as the explicit search)
                return SType("int", z3.IntVal(-1), t.hi, machine=t.machine, name=f"{te.name}?")
            return t
        if isinstance(te, ast.EnumType):
            members = tuple(m for m, _ in te.members)
            return SType("int", z3.IntVal(0), z3.IntVal(len(members) - 1), members=members)
        if isinstance(te, ast.SetType):
            return SType("set", elem=self.stype(te.elem))
        if isinstance(te, ast.MapType):
            return SType("map", elem=self.stype(te.key), val=self.stype(te.value))
        if isinstance(te, ast.RecordType):
            fields = tuple((f, self.stype(t)) for f, t, _ in te.fields)
            # records with the same field names and sorts share one z3 datatype: the spec may
            # compare or assign two record types that are written alike
            key = tuple((f, self.sort(t).sexpr()) for f, t in fields)
            cache = self.__dict__.setdefault("_records", {})
            if key not in cache:
                dt = z3.Datatype(self.fresh("rec"))
                dt.declare("mk", *[(f"{f}!{i}", self.sort(t)) for i, (f, t) in enumerate(fields)])
                cache[key] = dt.create()
            return SType("rec", fields=fields, dt=cache[key])
        if isinstance(te, ast.ChanType):
            raise Unsupported(te.span, "channels are not supported by `papcheck prove` yet")
        raise Unsupported(getattr(te, "span", None), "this type is not supported by `papcheck prove`")

    def sort(self, t: SType) -> Any:
        z3 = self.z3
        if t.kind == "bool":
            return z3.BoolSort()
        if t.kind == "int":
            return z3.IntSort()
        if t.kind == "set":
            assert t.elem is not None
            return z3.ArraySort(self.sort(t.elem), z3.BoolSort())
        if t.kind == "map":
            assert t.elem is not None and t.val is not None
            return z3.ArraySort(self.sort(t.elem), self.sort(t.val))
        return t.dt

    def values(self, t: SType) -> list | None:
        """The values of t as z3 terms, when quantifiers are expanded and t is small."""
        z3 = self.z3
        if self.concrete is None:
            return None
        if t.kind == "bool":
            return [z3.BoolVal(False), z3.BoolVal(True)]
        if t.kind == "int" and t.lo is not None:
            return self.int_values(t.lo, t.hi)
        return None

    def int_values(self, lo: Any, hi: Any) -> list | None:
        z3 = self.z3
        if self.concrete is None:
            return None
        a, b = z3.simplify(lo), z3.simplify(hi)
        if z3.is_int_value(a) and z3.is_int_value(b) and b.as_long() - a.as_long() < 256:
            return [z3.IntVal(i) for i in range(a.as_long(), b.as_long() + 1)]
        return None

    def forall(self, x: Any, cond: Any, body: Any, vals: list | None) -> Any:
        z3 = self.z3
        if vals is not None:
            return z3.And(*[z3.substitute(z3.Implies(cond, body), (x, v)) for v in vals])
        return z3.ForAll([x], z3.Implies(cond, body))

    def exists(self, x: Any, cond: Any, body: Any, vals: list | None) -> Any:
        z3 = self.z3
        if vals is not None:
            return z3.Or(*[z3.substitute(z3.And(cond, body), (x, v)) for v in vals])
        return z3.Exists([x], z3.And(cond, body))

    def in_type(self, v: Any, t: SType) -> Any:
        """The fact that v is a value of t."""
        z3 = self.z3
        if t.kind == "bool" or (t.kind == "int" and t.lo is None):
            return z3.BoolVal(True)
        if t.kind == "int":
            return z3.And(t.lo <= v, v <= t.hi)
        if t.kind == "set":
            assert t.elem is not None
            if t.elem.kind == "bool":
                return z3.BoolVal(True)
            vals = self.values(t.elem)
            if vals is not None:  # a small concrete type: the set is its restriction to it, no quantifier
                acc = z3.K(self.sort(t.elem), z3.BoolVal(False))
                for x in vals:
                    acc = z3.Store(acc, x, v[x])
                return v == acc
            x = z3.Const(self.fresh("x"), self.sort(t.elem))
            return z3.ForAll([x], z3.Implies(v[x], self.in_type(x, t.elem)))
        if t.kind == "map":
            assert t.elem is not None and t.val is not None
            k = z3.Const(self.fresh("k"), self.sort(t.elem))
            inner = self.in_type(v[k], t.val)
            if z3.is_true(inner):
                return inner
            return self.forall(k, self.in_type(k, t.elem), inner, self.values(t.elem))
        parts = [self.in_type(t.dt.accessor(0, i)(v), ft) for i, (_, ft) in enumerate(t.fields)]
        return z3.And(*parts) if parts else z3.BoolVal(True)

    def eq(self, a: Any, b: Any, t: SType | None) -> Any:
        """Value equality (maps compare on their key type only)."""
        z3 = self.z3
        if t is None or t.kind in ("bool", "int", "set"):
            return a == b
        if t.kind == "map":
            assert t.elem is not None and t.val is not None
            k = z3.Const(self.fresh("k"), self.sort(t.elem))
            return self.forall(k, self.in_type(k, t.elem), self.eq(a[k], b[k], t.val), self.values(t.elem))
        return z3.And(*[self.eq(t.dt.accessor(0, i)(a), t.dt.accessor(0, i)(b), ft)
                        for i, (_, ft) in enumerate(t.fields)])

    def default(self, t: SType) -> Any:
        z3 = self.z3
        if t.kind == "bool":
            return z3.BoolVal(False)
        if t.kind == "int":
            return z3.If(z3.And(t.lo <= 0, 0 <= t.hi), z3.IntVal(0), t.lo)
        if t.kind == "set":
            assert t.elem is not None
            return z3.K(self.sort(t.elem), z3.BoolVal(False))
        if t.kind == "map":
            assert t.elem is not None and t.val is not None
            return z3.K(self.sort(t.elem), self.default(t.val))
        return t.dt.constructor(0)(*[self.default(ft) for _, ft in t.fields])

    # -------------------------------------------------------------------------------- states
    def new_state(self, prefix: str) -> dict[str, Any]:
        z3 = self.z3
        s: dict[str, Any] = {}
        for v in self.c.shared:
            s[f"v:{v.name}"] = z3.Const(f"{prefix}{v.name}", self.sort(self.var_types[id(v)]))
        for m in self.c.machines:
            s[f"pc:{m.name}"] = z3.Array(f"{prefix}{m.name}.state", z3.IntSort(), z3.IntSort())
            for v in m.locals:
                s[f"l:{m.name}:{v.name}"] = z3.Array(f"{prefix}{m.name}.{v.name}", z3.IntSort(),
                                                      self.sort(self.var_types[id(v)]))
        return s

    def instances(self, m: MachineInfo, body: Callable[[Any], Any]) -> Any:
        """forall i in 0..N-1: body(i)."""
        z3 = self.z3
        i = z3.Int(self.fresh("i"))
        vals = self.int_values(z3.IntVal(0), self.counts[m.name] - 1)
        return self.forall(i, z3.And(0 <= i, i < self.counts[m.name]), body(i), vals)

    def types_fact(self, s: dict[str, Any]) -> Any:
        z3 = self.z3
        parts = [self.in_type(s[f"v:{v.name}"], self.var_types[id(v)]) for v in self.c.shared]
        for m in self.c.machines:
            def facts(i: Any, m: MachineInfo = m) -> Any:
                pc = s[f"pc:{m.name}"][i]
                fs = [0 <= pc, pc < len(m.states)]
                fs += [self.in_type(s[f"l:{m.name}:{v.name}"][i], self.var_types[id(v)]) for v in m.locals]
                return z3.And(*fs)
            parts.append(self.instances(m, facts))
        return z3.And(*parts)

    def initial_value(self, v: VarSym, self_term: Any) -> Any:
        t = self.var_types[id(v)]
        if v.decl.init is None:
            return self.default(t)
        return self._fill(v.decl.init, t, Ctx(None, self_term, v.machine))

    def _fill(self, e: ast.Expr, t: SType, ctx: Ctx) -> Any:
        if t.kind == "map" and not isinstance(self.c.types.get(id(e)), MapT):
            assert t.elem is not None and t.val is not None
            return self.z3.K(self.sort(t.elem), self._fill(e, t.val, ctx))
        v, err = self.expr(e, ctx, t)
        self.init_axioms.append(self.z3.Not(err))
        return v

    def init_fact(self, s: dict[str, Any]) -> Any:
        """s is the initial state; also records in init_axioms that the initial values fit."""
        z3 = self.z3
        parts = []
        for v in self.c.shared:
            t = self.var_types[id(v)]
            if v.decl.nondeterministic:
                parts.append(self.initial_choice(v, s[f"v:{v.name}"], None))
                continue
            val = self.initial_value(v, None)
            self.init_axioms.append(self.in_type(val, t))
            parts.append(self.eq(s[f"v:{v.name}"], val, t))
        for m in self.c.machines:
            def facts(i: Any, m: MachineInfo = m) -> Any:
                fs = [s[f"pc:{m.name}"][i] == m.initial]
                for v in m.locals:
                    t = self.var_types[id(v)]
                    if v.decl.nondeterministic:
                        fs.append(self.initial_choice(v, s[f"l:{m.name}:{v.name}"][i], i))
                        continue
                    val = self.initial_value(v, i)
                    fs.append(self.eq(s[f"l:{m.name}:{v.name}"][i], val, t))
                return z3.And(*fs)

            def fits(i: Any, m: MachineInfo = m) -> Any:
                return z3.And(*[self.in_type(self.initial_value(v, i), self.var_types[id(v)]) for v in m.locals
                                if not v.decl.nondeterministic])
            parts.append(self.instances(m, facts))
            if any(not v.decl.nondeterministic for v in m.locals):
                self.init_axioms.append(self.instances(m, fits))
        return z3.And(*parts)

    def initial_choice(self, v: VarSym, x: Any, self_term: Any) -> Any:
        """`var x: T in D`: the initial value is any member of D within T (`in any`: any value of T)."""
        t = self.var_types[id(v)]
        fits = self.in_type(x, t)
        if v.decl.init_any:
            return fits
        d = v.decl.init_in
        assert d is not None
        if isinstance(d, ast.SetLit) and t.kind not in ("int", "bool"):
            raise Unsupported(d.span, "an initial domain of composite values is not supported by `papcheck prove` yet")
        member, err, _ = self.domain(d, Ctx(None, self_term, v.machine))
        self.init_axioms.append(self.z3.Not(err))
        return self.z3.And(fits, member(x))

    # ---------------------------------------------------------------------------- expressions
    def etype(self, e: ast.Expr, ctx: Ctx) -> SType | None:
        """The symbolic type of a composite-valued expression (None when it does not matter)."""
        if isinstance(e, ast.Name):
            sym = self._ref(e)
            if isinstance(sym, VarSym):
                return self.var_types[id(sym)]
            if isinstance(sym, BoundSym):
                return ctx.env[id(sym)][1] if id(sym) in ctx.env else None
            return None
        if isinstance(e, ast.Index):
            if self._instance_base(e) is not None:
                return None
            bt = self.etype(e.base, ctx)
            return bt.val if bt is not None and bt.kind == "map" else None
        if isinstance(e, ast.Field):
            sym = self.c.refs.get(id(e))
            if isinstance(sym, VarSym):
                return self.var_types[id(sym)]
            bt = self.etype(e.base, ctx)
            if bt is not None and bt.kind == "rec":
                return dict(bt.fields)[e.name]
            return None
        if isinstance(e, ast.Binary) and e.op in ("union", "intersect", "minus"):
            return self.etype(e.left, ctx) or self.etype(e.right, ctx)
        if isinstance(e, ast.Cond):
            return self.etype(e.then, ctx) or self.etype(e.orelse, ctx)
        if isinstance(e, ast.Comprehension):
            _, _, (srt, st) = self.domain(e.domain, ctx)
            if e.elem is not None:  # the element's own type, when it is a variable, entry or field
                sym = self.c.refs[id(e)]
                found = self.etype(e.elem, ctx.bind(sym, self.z3.Const(self.fresh(sym.name), srt), st))
                st = found if found is not None and found.kind in ("bool", "int") else INT
            return SType("set", elem=st) if st.kind == "bool" or st.lo is not None else None
        return None

    def _ref(self, e: ast.Name) -> Any:
        sym = self.c.refs.get(id(e))
        if sym is None and e.name in self.c.constants:
            return self.c.constants[e.name]
        return sym

    def _instance_base(self, e: ast.Expr) -> MachineInfo | None:
        if isinstance(e, ast.Index) and isinstance(e.base, ast.Name):
            sym = self._ref(e.base)
            if isinstance(sym, MachineInfo):
                return sym
        return None

    def instance(self, e: ast.Expr, ctx: Ctx) -> tuple[MachineInfo, Any, Any]:
        """`M` or `M[i]`: the machine, the index term, the error (index out of range)."""
        z3 = self.z3
        if isinstance(e, ast.Name):
            sym = self._ref(e)
            if isinstance(sym, MachineInfo):
                return sym, z3.IntVal(0), z3.BoolVal(False)
        m = self._instance_base(e)
        if m is not None:
            assert isinstance(e, ast.Index)
            i, err = self.expr(e.index, ctx)
            return m, i, z3.Or(err, z3.Not(z3.And(0 <= i, i < self.counts[m.name])))
        raise Unsupported(getattr(e, "span", None), "expected a machine instance")

    def expr(self, e: ast.Expr, ctx: Ctx, expect: SType | None = None) -> tuple[Any, Any]:
        """(value, error): the term and the condition under which evaluating e is a model error."""
        z3 = self.z3
        F = z3.BoolVal(False)
        if isinstance(e, ast.IntLit):
            return z3.IntVal(e.value), F
        if isinstance(e, ast.BoolLit):
            return z3.BoolVal(e.value), F
        if isinstance(e, ast.SelfRef):
            if ctx.self_term is None:
                raise Unsupported(e.span, "'self' has no value here")
            return ctx.self_term, F
        if isinstance(e, ast.Name):
            sym = self._ref(e)
            if isinstance(sym, ConstSym):
                if sym.name == "none" and sym.name not in self.consts:  # the built-in: no instance
                    return z3.IntVal(-1), F
                return self.consts[sym.name], F
            if isinstance(sym, EnumMemberSym):
                return z3.IntVal(sym.enum.members.index(sym.name)), F
            if isinstance(sym, BoundSym):
                return ctx.env[id(sym)][0], F
            if isinstance(sym, VarSym):
                if ctx.state is None:
                    raise Unsupported(e.span, f"'{e.name}' is a variable; only constants can be used here")
                if sym.machine is None:
                    return ctx.state[f"v:{sym.name}"], F
                return ctx.state[f"l:{sym.machine.name}:{sym.name}"][ctx.self_term], F
            raise Unsupported(e.span, f"'{e.name}' has no value the prover can use here")
        if isinstance(e, ast.Unary):
            v, err = self.expr(e.operand, ctx)
            return (z3.Not(v) if e.op == "not" else -v), err
        if isinstance(e, ast.Binary):
            return self._binary(e, ctx, expect)
        if isinstance(e, ast.In):
            v, ev = self.expr(e.elem, ctx)
            pred, ed, _ = self.domain(e.domain, ctx)
            r = pred(v)
            return (z3.Not(r) if e.negated else r), z3.Or(ev, ed)
        if isinstance(e, ast.Quant) and e.kind in ("count", "min", "max"):
            return self._aggregate(e, ctx)
        if isinstance(e, ast.Quant):
            b = self.c.refs[id(e)]
            pred, ed, (srt, st) = self.domain(e.domain, ctx)
            x = z3.Const(self.fresh(b.name), srt)
            body, eb = self.expr(e.body, ctx.bind(b, x, st, pred(x)))
            vals = self.domain_values(e.domain, st, ctx)
            if e.kind == "forall":
                val = self.forall(x, pred(x), body, vals)
            else:
                val = self.exists(x, pred(x), body, vals)
            if z3.is_false(z3.simplify(eb)) or self._never(eb, (*ctx.facts, pred(x))):
                err = ed
            else:
                err = z3.Or(ed, self._first_error(e.kind, x, pred, body, eb, vals))
            return val, err
        if isinstance(e, ast.Comprehension):
            return self._comprehension(e, ctx, expect)
        if isinstance(e, ast.Cond):
            c, ec = self.expr(e.cond, ctx)
            a, ea = self.expr(e.then, ctx, expect)
            b_, eb_ = self.expr(e.orelse, ctx, expect)
            return z3.If(c, a, b_), z3.Or(ec, z3.And(c, ea), z3.And(z3.Not(c), eb_))
        if isinstance(e, ast.Call):
            f = e.func if isinstance(e.func, str) else e.func.name  # type: ignore[attr-defined]
            if f == "len":
                raise Unsupported(e.span, "len(...) is not supported by `papcheck prove` yet")
            args = [self.expr(a, ctx) for a in e.args]
            err = z3.Or(*[x[1] for x in args]) if args else F
            vals = [x[0] for x in args]
            if f == "abs":
                return z3.If(vals[0] >= 0, vals[0], -vals[0]), err
            acc = vals[0]
            for v in vals[1:]:
                acc = z3.If(v < acc, v, acc) if f == "min" else z3.If(v > acc, v, acc)
            return acc, err
        if isinstance(e, ast.Index):
            if self._instance_base(e) is not None:
                raise Unsupported(e.span, "an instance is not a value")
            base, eb = self.expr(e.base, ctx)
            bt = self.etype(e.base, ctx)
            if bt is None or bt.kind != "map":
                raise Unsupported(e.span, "the prover cannot tell this map's type")
            assert bt.elem is not None
            k, ek = self.expr(e.index, ctx)
            return base[k], z3.Or(eb, ek, z3.Not(self.in_type(k, bt.elem)))
        if isinstance(e, ast.Field):
            sym = self.c.refs.get(id(e))
            if isinstance(sym, VarSym) and sym.machine is not None:
                m, i, ei = self.instance(e.base, ctx)
                if ctx.state is None:
                    raise Unsupported(e.span, "variables cannot be used here")
                return ctx.state[f"l:{m.name}:{sym.name}"][i], ei
            base, eb = self.expr(e.base, ctx)
            bt = self.etype(e.base, ctx)
            if bt is None or bt.kind != "rec":
                raise Unsupported(e.span, "the prover cannot tell this record's type")
            idx = [f for f, _ in bt.fields].index(e.name)
            return bt.dt.accessor(0, idx)(base), eb
        if isinstance(e, ast.At):
            m, i, ei = self.instance(e.base, ctx)
            if ctx.state is None:
                raise Unsupported(e.span, "control states cannot be used here")
            idx = next(s.index for s in m.states if s.name == e.state)
            return ctx.state[f"pc:{m.name}"][i] == idx, ei
        if isinstance(e, ast.SetLit):
            if expect is None or expect.kind != "set":
                raise Unsupported(e.span, "the prover cannot tell the element type of this set literal; "
                                          "compare it with a set variable or assign it")
            assert expect.elem is not None
            acc = z3.K(self.sort(expect.elem), z3.BoolVal(False))
            errs = []
            for x in e.elems:
                v, ev = self.expr(x, ctx)
                errs += [ev, z3.Not(self.in_type(v, expect.elem))]
                acc = z3.Store(acc, v, True)
            return acc, z3.Or(*errs) if errs else F
        if isinstance(e, ast.RecordLit):
            if expect is None or expect.kind != "rec":
                raise Unsupported(e.span, "the prover cannot tell the type of this record literal")
            given = dict(e.fields)
            vals, errs = [], []
            for f, ft in expect.fields:
                v, ev = self.expr(given[f], ctx, ft)
                errs += [ev, z3.Not(self.in_type(v, ft))]
                vals.append(v)
            return expect.dt.constructor(0)(*vals), z3.Or(*errs)
        raise Unsupported(getattr(e, "span", None), "this expression is not supported by `papcheck prove`")

    def _never(self, err: Any, facts: tuple) -> bool:
        """Whether an error term is false for every element of the domains it sits in (given the
        constants' facts): then the quantifier needs no error term.  `record[e]` under `forall e in
        Endpoint` can never be out of range, and leaving the term out makes the invariant a plain
        quantified formula, which z3 proves far faster.  A budget in z3's resource units, not
        seconds, so the answer does not depend on the machine's load; out of budget keeps the term."""
        z3 = self.z3
        s = z3.Solver()
        s.set("rlimit", 200000)
        s.add(*self.axioms, *facts, err)
        return bool(s.check() == z3.unsat)

    def _first_error(self, kind: str, x: Any, pred: Callable[[Any], Any], body: Any, eb: Any,
                     vals: list | None) -> Any:
        """When a quantifier's evaluation is a model error, exactly as the explicit search evaluates
        it: in ascending order of the domain, stopping at the first deciding element (false for
        forall, true for exists), so an error at an element after a deciding one never happens."""
        z3 = self.z3

        def decides(v: Any) -> Any:
            b = z3.substitute(body, (x, v))
            return z3.And(pred(v), z3.Not(b) if kind == "forall" else b)
        if x.sort() == z3.BoolSort():
            vals = [z3.BoolVal(False), z3.BoolVal(True)]
        elif vals is not None:
            simple = [z3.simplify(v) for v in vals]
            vals = sorted({v.as_long(): v for v in simple}.values(), key=lambda v: v.as_long()) \
                if all(z3.is_int_value(v) for v in simple) else None
        if vals is not None:
            errs, go_on = [], z3.BoolVal(True)
            for v in vals:
                errs.append(z3.And(go_on, pred(v), z3.substitute(eb, (x, v))))
                go_on = z3.And(go_on, z3.Not(decides(v)))
            return z3.Or(*errs)
        y = z3.Const(self.fresh("earlier"), x.sort())
        earlier_undecided = z3.ForAll([y], z3.Implies(y < x, z3.Not(decides(y))))
        return z3.Exists([x], z3.And(pred(x), eb, earlier_undecided))

    def _aggregate(self, e: ast.Quant, ctx: Ctx) -> tuple[Any, Any]:
        """`count x in D: P`, `min x in D: v`, `max x in D: v` over a domain whose candidate values
        are known (every element is evaluated, as the explicit search does; min and max over an
        empty domain are a model error).  A domain of symbolic size is refused: no quantifier can
        say how many elements satisfy P."""
        z3 = self.z3
        b = self.c.refs[id(e)]
        pred, ed, (_, st) = self.domain(e.domain, ctx)
        vals = self.domain_values(e.domain, st, ctx)
        if vals is None:
            vals = self._small_values(st)
        if vals is None:
            raise Unsupported(e.span, f"`{e.kind}` over a domain whose size depends on symbolic constants is not "
                                      f"supported by `papcheck prove` yet (pin the constants it depends on with -D)")
        errs = [ed]
        if e.kind == "count":
            terms = []
            for v in vals:
                body, eb = self.expr(e.body, ctx.bind(b, v, st))
                member = pred(v)
                terms.append(z3.If(z3.And(member, body), z3.IntVal(1), z3.IntVal(0)))
                errs.append(z3.And(member, eb))
            return (z3.Sum(*terms) if terms else z3.IntVal(0)), z3.Or(*errs)
        seen: Any = z3.BoolVal(False)
        acc: Any = z3.IntVal(0)
        for v in vals:
            body, eb = self.expr(e.body, ctx.bind(b, v, st))
            member = pred(v)
            better = body < acc if e.kind == "min" else body > acc
            acc = z3.If(member, z3.If(z3.Or(z3.Not(seen), better), body, acc), acc)
            seen = z3.Or(seen, member)
            errs.append(z3.And(member, eb))
        errs.append(z3.Not(seen))  # over an empty domain: a model error
        return acc, z3.Or(*errs)

    def _comprehension(self, e: ast.Comprehension, ctx: Ctx, expect: SType | None) -> tuple[Any, Any]:
        """`{x in D where C}` as the array x -> (x in D and C); `{e for x in D where C}` as
        y -> (exists x in D: C and y == e).  The errors of C and e at any member are errors (the
        explicit search evaluates every member), and so is an element outside the set's type."""
        z3 = self.z3
        b = self.c.refs[id(e)]
        pred, ed, (srt, st) = self.domain(e.domain, ctx)
        out = expect.elem if expect is not None and expect.kind == "set" and expect.elem is not None else None
        if out is None:
            t = self.etype(e, ctx)
            out = t.elem if t is not None else None
        if out is None:
            raise Unsupported(e.span, "the prover cannot tell the element type of this set comprehension here; "
                                      "assign it to (or compare it with) a set variable")
        x = z3.Const(self.fresh(b.name), srt)
        inner = ctx.bind(b, x, st)
        c, ec = self.expr(e.cond, inner) if e.cond is not None else (z3.BoolVal(True), z3.BoolVal(False))
        vals = self.domain_values(e.domain, st, ctx)
        if e.elem is None:
            if self.sort(out) != srt:
                raise Unsupported(e.span, "this set comprehension is not supported by `papcheck prove`")
            member, v, ev = z3.And(pred(x), c), x, z3.BoolVal(False)
            value = z3.Lambda([x], member)
        else:
            v, ev = self.expr(e.elem, inner, out)
            member = z3.And(pred(x), c)
            y = z3.Const(self.fresh("elem"), self.sort(out))
            value = z3.Lambda([y], self.exists(x, member, y == v, vals))
        # errors at some member (a fresh constant: the queries ask whether one exists)
        xe = z3.Const(self.fresh(b.name + "!e"), srt)
        sub = (lambda term: z3.substitute(term, (x, xe)))
        fits = z3.BoolVal(True) if out.kind in ("bool",) else self.in_type(v, out)
        err = z3.Or(ed, sub(z3.And(pred(x), ec)), sub(z3.And(member, z3.Or(ev, z3.Not(fits)))))
        return value, err

    def _small_values(self, st: SType) -> list | None:
        """The values of a scalar type whose bounds do not depend on symbolic constants."""
        z3 = self.z3
        if st.kind == "bool":
            return [z3.BoolVal(False), z3.BoolVal(True)]
        if st.kind == "int" and st.lo is not None and st.hi is not None:
            a, c = z3.simplify(st.lo), z3.simplify(st.hi)
            if z3.is_int_value(a) and z3.is_int_value(c) and c.as_long() - a.as_long() < 256:
                return [z3.IntVal(i) for i in range(a.as_long(), c.as_long() + 1)]
        return None

    def _binary(self, e: ast.Binary, ctx: Ctx, expect: SType | None) -> tuple[Any, Any]:
        z3 = self.z3
        op = e.op
        if op in ("and", "or", "=>"):
            a, ea = self.expr(e.left, ctx)
            b, eb = self.expr(e.right, ctx)
            if op == "and":
                return z3.And(a, b), z3.Or(ea, z3.And(a, eb))
            if op == "or":
                return z3.Or(a, b), z3.Or(ea, z3.And(z3.Not(a), eb))
            return z3.Implies(a, b), z3.Or(ea, z3.And(a, eb))
        t = None
        if op in ("==", "!=", "union", "intersect", "minus"):
            t = self.etype(e.left, ctx) or self.etype(e.right, ctx) or expect
        a, ea = self.expr(e.left, ctx, t)
        b, eb = self.expr(e.right, ctx, t)
        err = z3.Or(ea, eb)
        if op == "+":
            return a + b, err
        if op == "-":
            return a - b, err
        if op == "*":
            return a * b, err
        if op in ("/", "%"):
            q = _tdiv(z3, a, b)
            return (q if op == "/" else a - b * q), z3.Or(err, b == 0)
        if op == "==":
            return self.eq(a, b, t), err
        if op == "!=":
            return z3.Not(self.eq(a, b, t)), err
        if op == "<":
            return a < b, err
        if op == "<=":
            return a <= b, err
        if op == ">":
            return a > b, err
        if op == ">=":
            return a >= b, err
        if op == "union":
            return z3.SetUnion(a, b), err
        if op == "intersect":
            return z3.SetIntersect(a, b), err
        if op == "minus":
            return z3.SetDifference(a, b), err
        raise Unsupported(e.span, f"operator {op} is not supported by `papcheck prove`")

    def domain_values(self, d: ast.Expr, st: SType, ctx: Ctx) -> list | None:
        """Candidate values of a domain for expanded quantifiers (a superset of its members)."""
        if self.concrete is None:
            return None
        if isinstance(d, ast.SetLit) and self.c.domains.get(id(d), ("",))[0] == "lit":
            return [self.expr(x, ctx)[0] for x in d.elems]
        return self.values(st)

    def domain(self, d: ast.Expr | ast.TypeExpr, ctx: Ctx) -> tuple[Callable[[Any], Any], Any, tuple[Any, SType]]:
        """(membership predicate, error, (sort, element type)) of a domain."""
        z3 = self.z3
        F = z3.BoolVal(False)
        if isinstance(d, ast.TypeExpr):
            st = self.stype(d)
            return (lambda x: self.in_type(x, st)), F, (self.sort(st), st)
        desc = self.c.domains.get(id(d))
        kind = desc[0] if desc else None
        if kind == "type":
            assert isinstance(d, ast.Name)
            sym = self._ref(d)
            if isinstance(sym, MachineInfo):
                st = self.named_type(sym.name)
            elif isinstance(sym, TypeSym):
                st = self.named_type(sym.name) if any(x.name == sym.name for x in self.c.spec.of(ast.TypeDecl)) \
                    else BOOL
            else:
                st = BOOL
            return (lambda x: self.in_type(x, st)), F, (self.sort(st), st)
        if kind == "range":
            assert isinstance(d, ast.RangeExpr)
            lo, el = self.expr(d.lo, ctx)
            hi, eh = self.expr(d.hi, ctx)
            st = SType("int", lo, hi)
            return (lambda x: z3.And(lo <= x, x <= hi)), z3.Or(el, eh), (z3.IntSort(), st)
        if kind == "lit":
            assert isinstance(d, ast.SetLit)
            vals = [self.expr(x, ctx) for x in d.elems]
            elem_t = getattr(self.c.types.get(id(d)), "elem", None)
            st = BOOL if isinstance(elem_t, BoolT) else INT
            err = z3.Or(*[v[1] for v in vals]) if vals else F
            return (lambda x: z3.Or(*[x == v[0] for v in vals]) if vals else F), err, (self.sort(st), st)
        if kind == "set" or isinstance(self.c.types.get(id(d)), SetT):
            s, es = self.expr(d, ctx)
            t = self.etype(d, ctx)
            if t is None or t.elem is None:
                raise Unsupported(getattr(d, "span", None), "the prover cannot tell this set's type")
            return (lambda x: s[x]), es, (self.sort(t.elem), t.elem)
        raise Unsupported(getattr(d, "span", None), "this domain is not supported by `papcheck prove`")

    # ----------------------------------------------------------------------------- transitions
    def actions(self, pre: dict[str, Any]) -> list[Action]:
        return [self.action(pre, m, tr) for m in self.c.machines for tr in m.transitions]

    def action(self, pre: dict[str, Any], m: MachineInfo, tr: TransitionInfo) -> Action:
        z3 = self.z3
        me = z3.Int(self.fresh(f"self.{m.name}")) if m.decl.count is not None else z3.IntVal(0)
        ctx = Ctx(pre, me, m)
        cons = [0 <= me, me < self.counts[m.name], pre[f"pc:{m.name}"][me] == tr.state.index]
        errs: list[Any] = []
        params = []
        if tr.recv is not None:
            raise Unsupported(tr.decl.recv.span if tr.decl.recv else tr.decl.span,
                              "recv (channels) is not supported by `papcheck prove` yet")
        for (b, _), p in zip(tr.params, tr.decl.params):
            pred, ed, (srt, st) = self.domain(p.domain, ctx)
            x = z3.Const(self.fresh(f"{b.name}"), srt)
            cons.append(pred(x))
            errs.append(ed)
            ctx = ctx.bind(b, x, st)
            params.append((b, x))
        en = z3.And(*cons)
        if tr.decl.guard is not None:
            g, eg = self.expr(tr.decl.guard, ctx)
            errs.append(eg)
        else:
            g = z3.BoolVal(True)
        ex = _Exec(self, dict(pre), ctx, z3.And(en, g))
        ex.block(tr.decl.body)
        post = ex.state
        if tr.target is not None:
            post[f"pc:{m.name}"] = z3.Store(post[f"pc:{m.name}"], me, tr.target.index)
        enabled = z3.And(en, g, *ex.cons)
        error = z3.And(en, z3.Or(*errs, z3.And(g, z3.Or(*ex.errs)) if ex.errs else z3.BoolVal(False)))
        return Action(m, tr, me, params, ex.chooses, enabled, error, post)


class _Exec:
    """Symbolic execution of a transition body: the state after it, its errors, its choices."""

    def __init__(self, t: Translator, state: dict[str, Any], ctx: Ctx, pc: Any):
        self.t = t
        self.z3 = t.z3
        self.state = state
        self.ctx = ctx
        self.pc = pc
        self.errs: list[Any] = []
        self.cons: list[Any] = []
        self.chooses: list[tuple[BoundSym, Any]] = []

    def _ctx(self) -> Ctx:
        return Ctx(self.state, self.ctx.self_term, self.ctx.machine, self.ctx.env)

    def err(self, cond: Any) -> None:
        if not self.z3.is_false(cond):
            self.errs.append(self.z3.And(self.pc, cond))

    def block(self, stmts: tuple) -> None:
        for s in stmts:
            self.stmt(s)

    def stmt(self, s: ast.Stmt) -> None:
        z3, t = self.z3, self.t
        if isinstance(s, ast.Assign):
            tt = t.etype(s.target, self._ctx())
            if tt is None:
                tt = self._target_scalar_type(s.target)
            v, ev = t.expr(s.value, self._ctx(), tt)
            self.err(ev)
            self.err(z3.Not(t.in_type(v, tt)) if tt.kind in ("int", "rec") else z3.BoolVal(False))
            self.write(s.target, v)
        elif isinstance(s, ast.If):
            self.if_(list(s.branches), s.orelse)
        elif isinstance(s, ast.Choose):
            b = t.c.refs[id(s)]
            ctx = self._ctx()
            pred, ed, (srt, st) = t.domain(s.domain, ctx)
            self.err(ed)
            x = z3.Const(t.fresh(b.name), srt)
            c = z3.BoolVal(True)
            if s.cond is not None:
                c, _ = t.expr(s.cond, ctx.bind(b, x, st))
                xe = z3.Const(t.fresh(b.name + "!e"), srt)
                _, ce = t.expr(s.cond, ctx.bind(b, xe, st))
                self.err(z3.And(pred(xe), ce))
            self.cons.append(z3.Implies(self.pc, z3.And(pred(x), c)))
            self.chooses.append((b, x))
            self.ctx = self.ctx.bind(b, x, st)
            self.block(s.body)
        elif isinstance(s, ast.MethodCall):
            tt = t.etype(s.target, self._ctx())
            assert tt is not None and tt.elem is not None
            cur, ec = t.expr(s.target, self._ctx())
            x, ex = t.expr(s.args[0], self._ctx())
            self.err(z3.Or(ec, ex, z3.Not(t.in_type(x, tt.elem))))
            self.write(s.target, z3.Store(cur, x, s.method == "add"))
        elif isinstance(s, ast.Assert):
            c, ec = t.expr(s.cond, self._ctx())
            self.err(z3.Or(ec, z3.Not(c)))
        elif isinstance(s, ast.Skip):
            pass
        elif isinstance(s, ast.For):
            self.for_(s)
        elif isinstance(s, ast.Send):
            raise Unsupported(s.span, "send (channels) is not supported by `papcheck prove` yet")
        else:
            raise Unsupported(getattr(s, "span", None), "this statement is not supported by `papcheck prove`")

    def for_(self, s: ast.For) -> None:
        """A loop, unrolled over the candidate values of its domain in ascending order: each
        iteration runs when its value is a member (the domain evaluated once, before the first).
        A domain whose candidate values are not known (a range with variable bounds, a type whose
        size depends on symbolic constants) is refused."""
        z3, t = self.z3, self.t
        b = t.c.refs[id(s)]
        pred, ed, (_, st) = t.domain(s.domain, self._ctx())
        self.err(ed)
        vals = t._small_values(st)
        if vals is None and t.concrete is not None:
            vals = t.values(st)
        if vals is not None and vals and not z3.is_bool(vals[0]):
            simple = [z3.simplify(v) for v in vals]
            vals = sorted({v.as_long(): v for v in simple}.values(), key=lambda v: v.as_long()) \
                if all(z3.is_int_value(v) for v in simple) else None
        if vals is None:
            raise Unsupported(s.domain.span, "a `for` loop over a domain whose values depend on the state or on "
                                             "symbolic constants is not supported by `papcheck prove` yet (loop over "
                                             "a type or constant bounds, or pin the constants with -D)")
        members = [pred(v) for v in vals]  # before the first iteration: the body may change a set domain
        saved_ctx = self.ctx
        for v, member in zip(vals, members):
            self.ctx = saved_ctx.bind(b, v, st)
            saved_pc, before = self.pc, dict(self.state)
            self.pc = z3.And(saved_pc, member)
            self.block(s.body)
            after = self.state
            self.pc = saved_pc
            self.state = {k: (x if x.eq(before[k]) else z3.If(member, x, before[k])) for k, x in after.items()}
        self.ctx = saved_ctx

    def _target_scalar_type(self, target: ast.Expr) -> SType:
        raise Unsupported(getattr(target, "span", None), "the prover cannot tell this target's type")

    def if_(self, branches: list, orelse: tuple) -> None:
        z3 = self.z3
        if not branches:
            self.block(orelse)
            return
        cond, body = branches[0]
        c, ec = self.t.expr(cond, self._ctx())
        self.err(ec)
        saved_pc, saved_ctx, before = self.pc, self.ctx, dict(self.state)
        self.pc = z3.And(saved_pc, c)
        self.block(body)
        then_state = self.state
        self.state, self.ctx = dict(before), saved_ctx
        self.pc = z3.And(saved_pc, z3.Not(c))
        self.if_(branches[1:], orelse)
        else_state = self.state
        self.pc, self.ctx = saved_pc, saved_ctx
        self.state = {k: (v if v.eq(else_state[k]) else z3.If(c, v, else_state[k])) for k, v in then_state.items()}

    def write(self, target: ast.Expr, v: Any) -> None:
        z3, t = self.z3, self.t
        if isinstance(target, ast.Name):
            sym = t._ref(target)
            assert isinstance(sym, VarSym)
            if sym.machine is None:
                self.state[f"v:{sym.name}"] = v
            else:
                key = f"l:{sym.machine.name}:{sym.name}"
                self.state[key] = z3.Store(self.state[key], self.ctx.self_term, v)
            return
        if isinstance(target, ast.Index):
            bt = t.etype(target.base, self._ctx())
            assert bt is not None and bt.elem is not None
            base, eb = t.expr(target.base, self._ctx())
            k, ek = t.expr(target.index, self._ctx())
            self.err(z3.Or(eb, ek, z3.Not(t.in_type(k, bt.elem))))
            self.write(target.base, z3.Store(base, k, v))
            return
        if isinstance(target, ast.Field):
            bt = t.etype(target.base, self._ctx())
            assert bt is not None and bt.kind == "rec"
            base, eb = t.expr(target.base, self._ctx())
            self.err(eb)
            vals = [v if f == target.name else bt.dt.accessor(0, i)(base) for i, (f, _) in enumerate(bt.fields)]
            self.write(target.base, bt.dt.constructor(0)(*vals))
            return
        raise Unsupported(getattr(target, "span", None), "this assignment target is not supported")


def _tdiv(z3: Any, a: Any, b: Any) -> Any:
    """Division rounding toward zero (z3's Int division rounds toward minus infinity for b > 0)."""
    qa = z3.If(a >= 0, a, -a) / z3.If(b >= 0, b, -b)
    return z3.If((a >= 0) == (b >= 0), qa, -qa)


def _is_literal(e: ast.Expr) -> bool:
    if isinstance(e, (ast.IntLit, ast.BoolLit)):
        return True
    return isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.operand, ast.IntLit)
