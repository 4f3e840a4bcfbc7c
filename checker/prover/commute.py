"""z3, in one module: proves that two transitions commute where their footprints overlap.

Translation (mypyvy's translate -> solve -> ask, in one place): both transitions are executed
symbolically from one symbolic state S that satisfies the declared types.  Integers, enums and
control states become z3 Ints with their bounds, booleans Bools, sets bit-vectors, maps and
records lists/dicts of those (domains are small and finite), parameters and `choose` bindings
free constants over their domains.  Each transition yields, per binding: enabled(S), error(S)
(the compiled code raises a model error: a value out of its range anywhere in a record, map entry,
set element or field, a key out of its map, division by zero, a failed assert; exactly as the
compiled code evaluates, short-circuits included) and post(S).  A transition at S is disabled,
fails, or fires (enabled and no error).  Transitions a and b are independent when, for every S
and bindings:

  * when a fires, b's outcome after a is b's outcome at S (disabled, fails, fires), and the same
    with a and b swapped;
  * when both fire: a(b(S)) = b(a(S)).

A `for` loop is unrolled over its domain's values (a type, a constant range, a literal, a set's
members before the first iteration).  Anything the translation does not model (channels, instances
named at run time, quantifiers and loops over computed ranges, set comprehensions, ...) raises
Unsupported: the pair is "not proven", which only costs reduction,
never soundness.  z3 is imported lazily, so `papcheck --help` stays fast; answers are cached per
pair.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..lang import ast
from ..lang.symbols import BoundSym, CheckedSpec, ConstSym, EnumMemberSym, InstT, VarSym
from ..lang.types import BoolT, EnumT, IntT, MapT, RangeT, RecordT, SetT, Type

QUERY_TIMEOUT_MS = 2000


class Unsupported(Exception):
    pass


class CommutationProver:
    def __init__(self, checked: CheckedSpec, model: Any):
        self.c = checked
        self.model = model
        self.cache: dict[tuple[int, int], bool] = {}
        self.queries = 0

    def commute(self, a: int, b: int, clash: list | None = None) -> bool:
        key = (min(a, b), max(a, b))
        if key not in self.cache:
            try:
                self.cache[key] = self._prove(*key)
            except Unsupported:
                self.cache[key] = False
        return self.cache[key]

    # ------------------------------------------------------------------------------ the query
    def _prove(self, a: int, b: int) -> bool:
        import z3
        self.z3 = z3
        acts = self.model.actions
        s0 = _SymState(self, "s")
        ta = _Exec(self, acts[a], "a")
        tb = _Exec(self, acts[b], "b")
        en_a, err_a, post_a = ta.run(s0)
        en_b, err_b, post_b = tb.run(s0)
        en_b_after_a, err_b_after_a, post_ab = tb.run(post_a)
        en_a_after_b, err_a_after_b, post_ba = ta.run(post_b)
        bounds = z3.And(*s0.bounds, *ta.binding_bounds, *tb.binding_bounds)
        # per binding, a transition in a state is disabled, fails (a model error) or fires (ok)
        ok_a = z3.And(en_a, z3.Not(err_a))
        ok_b = z3.And(en_b, z3.Not(err_b))
        ok_b_after_a = z3.And(en_b_after_a, z3.Not(err_b_after_a))
        ok_a_after_b = z3.And(en_a_after_b, z3.Not(err_a_after_b))
        claims = [
            # firing one neither enables, disables, nor makes fail or stop failing the other
            z3.Implies(ok_a, z3.And(err_b == err_b_after_a, ok_b == ok_b_after_a)),
            z3.Implies(ok_b, z3.And(err_a == err_a_after_b, ok_a == ok_a_after_b)),
            # and both orders end in the same state
            z3.Implies(z3.And(ok_a, ok_b), post_ab.equals(post_ba)),
        ]
        solver = z3.Solver()
        solver.set("timeout", QUERY_TIMEOUT_MS)
        solver.add(bounds, z3.Not(z3.And(*claims)))
        self.queries += 1
        return solver.check() == z3.unsat


class _SymState:
    """Symbolic values of every state variable and control state, created on first use."""

    def __init__(self, prover: CommutationProver, prefix: str, parent: _SymState | None = None):
        self.p = prover
        self.prefix = prefix
        self.values: dict[tuple, Any] = {} if parent is None else dict(parent.values)
        self.root: _SymState = parent.root if parent is not None else self
        self.bounds: list = [] if parent is None else parent.bounds

    def copy(self) -> _SymState:
        return _SymState(self.p, self.prefix, self)

    def get(self, key: tuple, typ: Type) -> Any:
        if key not in self.values:
            if self.root is not self and key not in self.root.values:
                self.root.get(key, typ)
            if self.root is not self:
                self.values[key] = self.root.values[key]
            else:
                self.values[key] = _fresh(self.p.z3, "_".join(map(str, (self.prefix,) + key)), typ, self.bounds)
        return self.values[key]

    def set(self, key: tuple, value: Any) -> None:
        self.values[key] = value

    def lookup(self, key: tuple) -> Any:
        """The current value of a variable some copy of this state has already read or set."""
        v = self.values.get(key)
        return v if v is not None else self.root.values[key]

    def equals(self, other: _SymState) -> Any:
        z3 = self.p.z3
        keys = set(self.values) | set(other.values)
        eqs = []
        for k in sorted(keys, key=str):
            x = self.values.get(k, self.root.values.get(k))
            y = other.values.get(k, other.root.values.get(k))
            if x is None or y is None:
                continue
            eqs.append(_eq(z3, x, y))
        return z3.And(*eqs) if eqs else z3.BoolVal(True)


def _fresh(z3, name: str, t: Type, bounds: list) -> Any:
    if isinstance(t, BoolT):
        return z3.Bool(name)
    if isinstance(t, (RangeT, EnumT)):
        v = z3.Int(name)
        lo, hi = (t.lo, t.hi) if isinstance(t, RangeT) else (0, t.size - 1)
        bounds.append(z3.And(v >= lo, v <= hi))
        return v
    if isinstance(t, SetT):
        return ("set", z3.BitVec(name, max(1, t.width)), t)
    if isinstance(t, MapT):
        return ("map", [_fresh(z3, f"{name}_{i}", t.value, bounds) for i in range(t.key.size)], t)  # type: ignore[attr-defined]
    if isinstance(t, RecordT):
        return ("rec", {f: _fresh(z3, f"{name}_{f}", ft, bounds) for f, ft in t.fields}, t)
    raise Unsupported(t)


def _eq(z3, x: Any, y: Any) -> Any:
    if isinstance(x, tuple):
        if x[0] == "set":
            return x[1] == y[1]
        if x[0] == "map":
            return z3.And(*[_eq(z3, a, b) for a, b in zip(x[1], y[1])])
        if x[0] == "rec":
            return z3.And(*[_eq(z3, x[1][f], y[1][f]) for f in x[1]])
    return x == y


def _ite(z3, c: Any, x: Any, y: Any) -> Any:
    if isinstance(x, tuple):
        if x[0] == "set":
            return ("set", z3.If(c, x[1], y[1]), x[2])
        if x[0] == "map":
            return ("map", [_ite(z3, c, a, b) for a, b in zip(x[1], y[1])], x[2])
        if x[0] == "rec":
            return ("rec", {f: _ite(z3, c, x[1][f], y[1][f]) for f in x[1]}, x[2])
    return z3.If(c, x, y)


class _Exec:
    """Symbolic execution of one action (a machine instance's transition) with its bindings.

    `path` is the condition under which the code being translated runs (control state,
    parameter domains, guard, `choose` conditions, `if` branches, and the short-circuit
    conditions of `and`, `or`, `=>`, `if-then-else` and quantifiers, as the
    compiled code evaluates them).  Every place where the compiled code can raise a model error
    adds `path and <it fails>` to `err` through :meth:`fail`: range errors (assignments, set
    elements, record fields at every depth, map entries), map keys, instance indices, division
    by zero and assertions.  The error term must be exact, neither more nor less: it appears on
    both sides of the commutation claims.  A construct whose errors or semantics the translation
    does not model raises Unsupported (the pair is then dependent)."""

    def __init__(self, prover: CommutationProver, action: Any, tag: str):
        self.p = prover
        self.z3 = prover.z3
        self.c = prover.c
        self.action = action
        self.tag = tag
        self.binding_bounds: list = []
        self.bindings: dict[int, Any] = {}  # BoundSym uid -> z3 const (params and chooses)
        self.path: Any = None  # z3 Bool: the code being translated runs (set by run)
        self.err: Any = None  # z3 Bool: a model error was raised on the way (set by run)
        tr = action.transition
        for b, dom in tr.params:
            self.bindings[b.uid] = self._binding(b, dom)

    def _binding(self, b: BoundSym, dom) -> Any:
        z3 = self.z3
        name = f"{self.tag}_b{b.uid}"
        if isinstance(b.type, BoolT):
            return z3.Bool(name)
        if not isinstance(b.type, (RangeT, EnumT, IntT)):
            raise Unsupported("composite binding")
        v = z3.Int(name)
        if dom is not None and dom[0] == "type":
            t = dom[1]
            lo, hi = (t.lo, t.hi) if isinstance(t, RangeT) else (0, t.size - 1)
            self.binding_bounds.append(z3.And(v >= lo, v <= hi))
        return v

    # ------------------------------------------------------------------------ path and errors
    def fail(self, cond: Any, kind: str) -> None:
        """The compiled code raises a model error (of `kind`) here when cond holds."""
        self.err = self.z3.Or(self.err, self.z3.And(self.path, cond))

    def narrow(self, cond: Any) -> None:
        self.path = self.z3.And(self.path, cond)

    def under(self, cond: Any, f: Callable[[], Any]) -> Any:
        """f() translated as code that only runs when cond holds (short-circuit evaluation)."""
        saved = self.path
        self.path = self.z3.And(saved, cond)
        try:
            return f()
        finally:
            self.path = saved

    def run(self, s: _SymState) -> tuple[Any, Any, _SymState]:
        """(enabled: the path reaches the end, error: some model error is raised on the way,
        post-state); per binding of the parameters and `choose` names."""
        z3 = self.z3
        a = self.action
        tr = a.transition
        m = a.machine
        self.inst = a.instance
        self.machine = m
        st = s.copy()
        pc_key = ("@pc", m.name, a.instance)
        self.err = z3.BoolVal(False)
        self.path = st.get(pc_key, m.state_type) == tr.state.index
        for (b, dom), p in zip(tr.params, tr.decl.params):
            dom_expr = p.domain if isinstance(p.domain, ast.Expr) else None
            self.narrow(self.in_domain(self.bindings[b.uid], dom, st, {}, dom_expr))
        if tr.recv is not None:
            raise Unsupported("channels")
        if tr.decl.guard is not None:
            self.narrow(self.expr(tr.decl.guard, st, {}))
        self.stmts(tr.decl.body, st, {})
        if tr.target is not None and tr.target is not tr.state:
            st.set(pc_key, z3.IntVal(tr.target.index))
        return self.path, self.err, st

    # ----------------------------------------------------------------------------- statements
    def stmts(self, body: tuple, st: _SymState, env: dict) -> None:
        z3 = self.z3
        for s in body:
            if isinstance(s, ast.Assign):
                val = self.expr(s.value, st, env)
                self.check_fits(self.c.types[id(s.target)], val)
                self.assign(s.target, val, st, env)
            elif isinstance(s, ast.If):
                self.if_stmt(s, st, env)
            elif isinstance(s, ast.Choose):
                b = self.c.refs[id(s)]
                desc = self.c.domains[id(s.domain)]
                x = self.bindings.setdefault(b.uid, self._binding(b, None))
                inner = {**env, b.uid: x}
                self.narrow(self.in_domain(x, desc, st, env, s.domain))
                if s.cond is not None:
                    self.narrow(self.expr(s.cond, st, inner))
                self.stmts(s.body, st, inner)
            elif isinstance(s, ast.MethodCall):
                if s.method not in ("add", "remove") or len(s.args) != 1:
                    raise Unsupported("method")
                cur = self.expr(s.target, st, env)
                elem = self.expr(s.args[0], st, env)
                if not (isinstance(cur, tuple) and cur[0] == "set"):
                    raise Unsupported("method target")
                stype = cur[2]
                self.check_fits(stype.elem, elem)
                bit = self.bit(elem, stype)
                new = cur[1] | bit if s.method == "add" else cur[1] & ~bit
                self.assign(s.target, ("set", new, stype), st, env)
            elif isinstance(s, ast.For):
                self.for_stmt(s, st, env)
            elif isinstance(s, ast.Assert):
                self.fail(z3.Not(self.expr(s.cond, st, env)), "assert")
            elif isinstance(s, ast.Skip):
                pass
            else:  # send, and any statement form added later
                raise Unsupported(type(s).__name__)

    def for_stmt(self, s: ast.For, st: _SymState, env: dict) -> None:
        """A loop, unrolled over its domain's values in ascending order, each iteration under its
        membership (taken before the first iteration); a range whose bounds are not constants is
        not modelled (the pair is then dependent)."""
        z3 = self.z3
        b = self.c.refs[id(s)]
        desc = self.c.domains[id(s.domain)]
        if desc[0] == "type":
            t = desc[1]
            cases = [(z3.BoolVal(True), self.scalar(v, t)) for v in t.values()]
        elif desc[0] == "set":
            sv = self.expr(s.domain, st, env)
            if not (isinstance(sv, tuple) and sv[0] == "set"):
                raise Unsupported("loop domain")
            stype = sv[2]
            cases = [(z3.Extract(i, i, sv[1]) == 1, self.scalar(v, stype.elem))
                     for i, v in enumerate(stype.elem.values())]
        elif desc[0] in ("range", "lit"):
            vals = []
            for x in (desc[1], desc[2]) if desc[0] == "range" else desc[1]:
                v = z3.simplify(self.expr(x, st, env))
                if not z3.is_int_value(v):
                    raise Unsupported("loop over a computed domain")
                vals.append(v.as_long())
            got = range(vals[0], vals[1] + 1) if desc[0] == "range" else sorted(set(vals))
            cases = [(z3.BoolVal(True), z3.IntVal(v)) for v in got]
        else:
            raise Unsupported("loop domain")
        outer = self.path
        for inside, v in cases:
            bst = st.copy()
            self.path = z3.And(outer, inside)
            self.stmts(s.body, bst, {**env, b.uid: v})
            for k in {k for k, x in bst.values.items() if st.values.get(k) is not x}:
                st.set(k, _ite(z3, inside, bst.lookup(k), st.lookup(k)))
        self.path = outer

    def if_stmt(self, s: ast.If, st: _SymState, env: dict) -> None:
        z3 = self.z3
        outer = self.path
        branches = []
        ends = []
        remaining = z3.BoolVal(True)
        for cond, body in list(s.branches) + [(None, s.orelse)]:
            self.path = z3.And(outer, remaining)  # an elif's condition runs when the earlier ones failed
            c = z3.BoolVal(True) if cond is None else self.expr(cond, st, env)
            taken = z3.And(remaining, c)
            remaining = z3.And(remaining, z3.Not(c))
            bst = st.copy()
            self.path = z3.And(outer, taken)
            self.stmts(body, bst, env)
            ends.append(self.path)  # narrowed by a `choose` inside the branch
            branches.append((taken, bst))
        self.path = z3.Or(*ends)
        keys = set()
        for _, bst in branches:
            keys |= {k for k, v in bst.values.items() if st.values.get(k) is not v}
        for k in keys:
            merged = branches[-1][1].lookup(k)
            for taken, bst in reversed(branches[:-1]):
                merged = _ite(z3, taken, bst.lookup(k), merged)
            st.set(k, merged)

    def out_of_type(self, t: Type, v: Any) -> Any:
        """When the value v does not fit type t (a range anywhere inside it)."""
        z3 = self.z3
        if isinstance(t, RangeT):
            return z3.Or(v < t.lo, v > t.hi)
        if isinstance(t, RecordT):
            if not (isinstance(v, tuple) and v[0] == "rec"):
                raise Unsupported("record value")
            return z3.Or(*[self.out_of_type(ft, v[1][f]) for f, ft in t.fields])
        if isinstance(t, MapT):
            if not (isinstance(v, tuple) and v[0] == "map"):
                raise Unsupported("map value")
            return z3.Or(*[self.out_of_type(t.value, x) for x in v[1]])
        if isinstance(t, (BoolT, EnumT, SetT)):
            return z3.BoolVal(False)  # enums and sets are built from in-range parts only
        raise Unsupported(f"fit {t}")

    def check_fits(self, t: Type, v: Any) -> None:
        self.fail(self.out_of_type(t, v), "range")

    def assign(self, target: ast.Expr, val: Any, st: _SymState, env: dict) -> None:
        z3 = self.z3
        if isinstance(target, ast.Name):
            sym = self.c.refs[id(target)]
            if not isinstance(sym, VarSym):
                raise Unsupported("target")
            st.get(self.var_key(sym), sym.type)  # the pre-state value exists for branch merges
            st.set(self.var_key(sym), val)
            return
        if isinstance(target, ast.Index):
            if isinstance(self.c.types.get(id(target.base)), InstT):
                raise Unsupported("instance target")
            base = self.expr(target.base, st, env)
            if not (isinstance(base, tuple) and base[0] == "map"):
                raise Unsupported("index")
            key = self.expr(target.index, st, env)
            mt: MapT = base[2]
            values = mt.key.values()  # type: ignore[attr-defined]
            self.fail(z3.Not(z3.Or(*[key == self.scalar(v, mt.key) for v in values])), "key")
            entries = [_ite(z3, key == self.scalar(v, mt.key), val, old) for v, old in zip(values, base[1])]
            self.assign(target.base, ("map", entries, mt), st, env)
            return
        if isinstance(target, ast.Field):
            bt = self.c.types.get(id(target.base))
            if isinstance(bt, InstT):
                sym = self.c.refs[id(target)]
                idx = self._instance_index(target.base, bt, st, env)
                key = ("@l", bt.machine, idx, sym.name)
                st.get(key, sym.type)
                st.set(key, val)
                return
            base = self.expr(target.base, st, env)
            if not (isinstance(base, tuple) and base[0] == "rec"):
                raise Unsupported("field")
            fields = dict(base[1])
            fields[target.name] = val
            self.assign(target.base, ("rec", fields, base[2]), st, env)
            return
        raise Unsupported("target")

    def var_key(self, sym: VarSym, inst: int | None = None) -> tuple:
        if sym.machine is None:
            return ("@v", sym.name)
        return ("@l", sym.machine.name, self.inst if inst is None else inst, sym.name)

    # ---------------------------------------------------------------------------- expressions
    def scalar(self, v: Any, t: Type) -> Any:
        z3 = self.z3
        if isinstance(t, BoolT):
            return z3.BoolVal(bool(v))
        if isinstance(t, EnumT):
            return z3.IntVal(t.members.index(v))
        return z3.IntVal(v)

    def bit(self, elem: Any, stype: SetT) -> Any:
        z3 = self.z3
        w = max(1, stype.width)
        out = z3.BitVecVal(0, w)
        for i, v in enumerate(stype.elem.values()):  # type: ignore[attr-defined]
            out = z3.If(elem == self.scalar(v, stype.elem), z3.BitVecVal(1 << i, w), out)
        return out

    def in_domain(self, x: Any, desc, st: _SymState, env: dict, dom_expr: ast.Expr | None = None,
                  chained: bool = False) -> Any:
        """x in the domain.  `chained`: the `lo <= x <= hi` of a membership test; like parameter and
        choose domains, it evaluates both bounds (and so raises their errors) whatever x is, as the
        compiled code and the interpreter do (docs/dsl.md, "Evaluation order and model errors")."""
        z3 = self.z3
        kind = desc[0]
        if kind == "type":
            t = desc[1]
            if isinstance(t, BoolT):
                return z3.BoolVal(True)
            lo, hi = (t.lo, t.hi) if isinstance(t, RangeT) else (0, t.size - 1)
            return z3.And(x >= lo, x <= hi)
        if kind == "range":
            lo = self.expr(desc[1], st, env)
            hi = self.expr(desc[2], st, env)
            return z3.And(x >= lo, x <= hi)
        if kind == "lit":
            vals = [self.expr(e, st, env) for e in desc[1]]
            return z3.Or(*[x == v for v in vals]) if vals else z3.BoolVal(False)
        if dom_expr is None:
            raise Unsupported("domain")
        sv = self.expr(dom_expr, st, env)
        if not (isinstance(sv, tuple) and sv[0] == "set"):
            raise Unsupported("set domain")
        return self.member(x, sv)

    def member(self, x: Any, sv: Any) -> Any:
        z3 = self.z3
        stype: SetT = sv[2]
        terms = []
        for i, v in enumerate(stype.elem.values()):  # type: ignore[attr-defined]
            terms.append(z3.And(x == self.scalar(v, stype.elem), z3.Extract(i, i, sv[1]) == 1))
        return z3.Or(*terms) if terms else z3.BoolVal(False)

    def expr(self, e: ast.Expr, st: _SymState, env: dict) -> Any:
        z3 = self.z3
        if isinstance(e, ast.IntLit):
            return z3.IntVal(e.value)
        if isinstance(e, ast.BoolLit):
            return z3.BoolVal(e.value)
        if isinstance(e, ast.SelfRef):
            return z3.IntVal(self.inst)
        if isinstance(e, ast.Name):
            sym = self.c.refs[id(e)]
            if isinstance(sym, ConstSym):
                if isinstance(sym.value, bool):
                    return z3.BoolVal(sym.value)
                if isinstance(sym.value, int):
                    return z3.IntVal(sym.value)
                raise Unsupported("constant")
            if isinstance(sym, EnumMemberSym):
                return z3.IntVal(sym.enum.members.index(sym.name))
            if isinstance(sym, BoundSym):
                if sym.uid in env:
                    return env[sym.uid]
                if sym.uid in self.bindings:
                    return self.bindings[sym.uid]
                raise Unsupported("bound")
            if isinstance(sym, VarSym):
                return st.get(self.var_key(sym), sym.type)
            raise Unsupported("name")
        if isinstance(e, ast.Index):
            if isinstance(self.c.types.get(id(e.base)), InstT):
                raise Unsupported("instance value")
            base = self.expr(e.base, st, env)
            if not (isinstance(base, tuple) and base[0] == "map"):
                raise Unsupported("index")
            key = self.expr(e.index, st, env)
            mt: MapT = base[2]
            values = mt.key.values()  # type: ignore[attr-defined]
            self.fail(z3.Not(z3.Or(*[key == self.scalar(v, mt.key) for v in values])), "key")
            out = base[1][-1]
            for v, x in zip(values[:-1], base[1][:-1]):
                out = _ite(z3, key == self.scalar(v, mt.key), x, out)
            return out
        if isinstance(e, ast.Field):
            bt = self.c.types.get(id(e.base))
            if isinstance(bt, InstT):
                sym = self.c.refs[id(e)]
                idx = self._instance_index(e.base, bt, st, env)
                return st.get(("@l", bt.machine, idx, sym.name), sym.type)
            base = self.expr(e.base, st, env)
            if not (isinstance(base, tuple) and base[0] == "rec"):
                raise Unsupported("field")
            return base[1][e.name]
        if isinstance(e, ast.At):
            bt = self.c.types.get(id(e.base))
            if not isinstance(bt, InstT):
                raise Unsupported("at")
            m = next(mm for mm in self.c.machines if mm.name == bt.machine)
            idx = self._instance_index(e.base, bt, st, env)
            return st.get(("@pc", m.name, idx), m.state_type) == m.state_type.members.index(e.state)
        if isinstance(e, ast.Unary):
            v = self.expr(e.operand, st, env)
            if e.op == "not":
                return z3.Not(v)
            if e.op == "-":
                return -v
            raise Unsupported(e.op)
        if isinstance(e, ast.Binary):
            return self.binary(e, st, env)
        if isinstance(e, ast.In):
            x = self.expr(e.elem, st, env)
            desc = self.c.domains[id(e.domain)]
            r = self.in_domain(x, desc, st, env, e.domain, chained=True)
            return z3.Not(r) if e.negated else r
        if isinstance(e, ast.Quant) and e.kind not in ("forall", "exists"):
            raise Unsupported(f"'{e.kind}' aggregate")  # not translated: the pair is not proven to commute
        if isinstance(e, ast.Quant):
            return self.quant(e, st, env)
        if isinstance(e, ast.Cond):
            c = self.expr(e.cond, st, env)
            then = self.under(c, lambda: self.expr(e.then, st, env))
            orelse = self.under(z3.Not(c), lambda: self.expr(e.orelse, st, env))
            return _ite(z3, c, then, orelse)
        if isinstance(e, ast.Call):
            f = e.func.name if isinstance(e.func, ast.Name) else None
            args = [self.expr(a, st, env) for a in e.args]
            if f in ("min", "max") and len(args) >= 2:
                out = args[0]
                for x in args[1:]:
                    out = z3.If(x < out, x, out) if f == "min" else z3.If(x > out, x, out)
                return out
            if f == "abs" and len(args) == 1:
                return z3.If(args[0] < 0, -args[0], args[0])
            if f == "len" and len(args) == 1 and isinstance(args[0], tuple) and args[0][0] == "set":
                bv = args[0][1]
                return z3.Sum([z3.If(z3.Extract(i, i, bv) == 1, 1, 0) for i in range(bv.size())])
            raise Unsupported(f"call {f}")
        if isinstance(e, ast.SetLit):
            stype = self.c.types[id(e)]
            if not isinstance(stype, SetT):
                raise Unsupported("set literal")
            out = z3.BitVecVal(0, max(1, stype.width))
            for x in e.elems:
                v = self.expr(x, st, env)
                self.check_fits(stype.elem, v)
                out = out | self.bit(v, stype)
            return ("set", out, stype)
        if isinstance(e, ast.RecordLit):
            rt = self.c.types[id(e)]
            if not isinstance(rt, RecordT):
                raise Unsupported("record literal")
            vals = {f: self.expr(x, st, env) for f, x in e.fields}
            for f, ft in rt.fields:
                self.check_fits(ft, vals[f])
            return ("rec", vals, rt)
        raise Unsupported(type(e).__name__)

    def quant(self, e: ast.Quant, st: _SymState, env: dict) -> Any:
        """forall / exists, evaluated in ascending order with short-circuit, as compiled."""
        z3 = self.z3
        b = self.c.refs[id(e)]
        desc = self.c.domains[id(e.domain)]
        if e.kind not in ("forall", "exists"):  # count, min, max: not modelled here (the pair is dependent)
            raise Unsupported(f"'{e.kind}' aggregate")
        forall = e.kind == "forall"
        cases: list[tuple[Any, Any]] = []  # (member?, bound value)
        if desc[0] == "type":
            t = desc[1]
            cases = [(z3.BoolVal(True), self.scalar(v, t)) for v in t.values()]
        elif desc[0] == "set":
            sv = self.expr(e.domain, st, env)
            if not (isinstance(sv, tuple) and sv[0] == "set"):
                raise Unsupported("quantifier domain")
            stype = sv[2]
            cases = [(z3.Extract(i, i, sv[1]) == 1, self.scalar(v, stype.elem))
                     for i, v in enumerate(stype.elem.values())]
        elif desc[0] == "lit":
            vals = []
            for x in desc[1]:
                v = z3.simplify(self.expr(x, st, env))
                if not z3.is_int_value(v):
                    raise Unsupported("quantifier over a computed literal")
                vals.append(v.as_long())
            cases = [(z3.BoolVal(True), z3.IntVal(v)) for v in sorted(set(vals))]
        else:
            raise Unsupported("quantifier domain")
        go_on = z3.BoolVal(True)  # no earlier element decided the quantifier
        parts = []
        for inside, v in cases:
            body = self.under(z3.And(go_on, inside), lambda v=v: self.expr(e.body, st, {**env, b.uid: v}))  # type: ignore[misc]  # mypy cannot type a lambda with a default argument against Callable[[], Any]
            part = z3.Implies(inside, body) if forall else z3.And(inside, body)
            parts.append(part)
            go_on = z3.And(go_on, part) if forall else z3.And(go_on, z3.Not(part))
        if not parts:
            return z3.BoolVal(forall)
        return z3.And(*parts) if forall else z3.Or(*parts)

    def _instance_index(self, base: ast.Expr, bt: InstT, st: _SymState, env: dict) -> int:
        """The instance `M[i]` names; i must be known statically (a literal, `self`, a constant,
        or a name a quantifier has bound to one value while unrolling)."""
        m = next(mm for mm in self.c.machines if mm.name == bt.machine)
        if isinstance(base, ast.Index):
            v = self.z3.simplify(self.expr(base.index, st, env))
            if not self.z3.is_int_value(v):
                raise Unsupported("dynamic instance")
            idx = v.as_long()
        elif isinstance(base, ast.Name):
            idx = 0
        else:
            raise Unsupported("instance")
        if not 0 <= idx < m.count:
            raise Unsupported("instance index out of range")  # a model error whenever reached
        return idx

    def binary(self, e: ast.Binary, st: _SymState, env: dict) -> Any:
        z3 = self.z3
        op = e.op
        a = self.expr(e.left, st, env)
        if op in ("and", "or", "=>"):  # the right operand runs only when the left does not decide
            go_on = a if op in ("and", "=>") else z3.Not(a)
            b = self.under(go_on, lambda: self.expr(e.right, st, env))
            return z3.And(a, b) if op == "and" else z3.Or(a, b) if op == "or" else z3.Implies(a, b)
        b = self.expr(e.right, st, env)
        if op in ("union", "intersect", "minus"):
            bits = {"union": a[1] | b[1], "intersect": a[1] & b[1], "minus": a[1] & ~b[1]}[op]
            return ("set", bits, a[2])
        if op in ("==", "!="):
            r = _eq(z3, a, b)
            return r if op == "==" else z3.Not(r)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op in ("/", "%"):
            self.fail(b == 0, "div")
            mag = z3.If(a >= 0, a, -a) / z3.If(b >= 0, b, -b)  # z3's / floors; both sides >= 0 here
            q = z3.If((a >= 0) == (b >= 0), mag, -mag)  # rounds toward zero, as the compiled code
            return q if op == "/" else a - b * q
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        if op == ">=":
            return a >= b
        raise Unsupported(op)
