"""z3, in one module: proves that two transitions commute where their footprints overlap.

Translation (mypyvy's translate -> solve -> ask, in one place): both transitions are executed
symbolically from one symbolic state S that satisfies the declared types.  Integers, enums and
control states become z3 Ints with their bounds, booleans Bools, sets bit-vectors, maps and
records lists/dicts of those (domains are small and finite), parameters and `choose` bindings
free constants over their domains.  Each transition yields: enabled(S), error(S) (a value out of
its range, a key out of its map, a failed assert) and post(S).  Transitions a and b are
independent when, for every S and bindings:

  * a, when it fires without error, neither enables nor disables b, nor changes whether b fails
    (and the same with a and b swapped);
  * when both are enabled and neither fails: a(b(S)) = b(a(S)) and neither fails after the other.

Anything the translation does not cover (channels, division, nested composite keys, ...) is
"not proven": that only costs reduction, never soundness.  z3 is imported lazily, so
`papcheck --help` stays fast; answers are cached per pair.
"""

from __future__ import annotations

from typing import Any

from . import ast
from .resolve import BoundSym, CheckedSpec, ConstSym, EnumMemberSym, InstT, MachineInfo, VarSym
from .types import BoolT, ChanT, EnumT, IntT, MapT, RangeT, RecordT, SetT, Type

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
        ok_a = z3.And(en_a, z3.Not(err_a))
        ok_b = z3.And(en_b, z3.Not(err_b))
        claims = [
            z3.Implies(ok_a, en_b == en_b_after_a),
            z3.Implies(ok_b, en_a == en_a_after_b),
            z3.Implies(z3.And(ok_a, en_b), err_b == err_b_after_a),
            z3.Implies(z3.And(ok_b, en_a), err_a == err_a_after_b),
            z3.Implies(z3.And(ok_a, ok_b),
                       z3.And(z3.Not(err_b_after_a), z3.Not(err_a_after_b), post_ab.equals(post_ba))),
        ]
        solver = z3.Solver()
        solver.set("timeout", QUERY_TIMEOUT_MS)
        solver.add(bounds, z3.Not(z3.And(*claims)))
        self.queries += 1
        return solver.check() == z3.unsat


class _SymState:
    """Symbolic values of every state variable and control state, created on first use."""

    def __init__(self, prover: CommutationProver, prefix: str, parent: "_SymState | None" = None):
        self.p = prover
        self.prefix = prefix
        self.values: dict[tuple, Any] = {} if parent is None else dict(parent.values)
        self.root = parent.root if parent is not None else self
        self.bounds: list = [] if parent is None else parent.bounds

    def copy(self) -> "_SymState":
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

    def equals(self, other: "_SymState") -> Any:
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
    """Symbolic execution of one action (a machine instance's transition)."""

    def __init__(self, prover: CommutationProver, action: Any, tag: str):
        self.p = prover
        self.z3 = prover.z3
        self.c = prover.c
        self.action = action
        self.tag = tag
        self.binding_bounds: list = []
        self.bindings: dict[int, Any] = {}  # BoundSym uid -> z3 const (params and chooses)
        tr = action.transition
        for b, dom in tr.params:
            self.bindings[b.uid] = self._binding(b, dom)

    def _binding(self, b: BoundSym, dom) -> Any:
        z3 = self.z3
        name = f"{self.tag}_b{b.uid}"
        if isinstance(b.type, BoolT):
            return z3.Bool(name)
        v = z3.Int(name)
        if dom is not None and dom[0] == "type":
            t = dom[1]
            lo, hi = (t.lo, t.hi) if isinstance(t, RangeT) else (0, t.size - 1)
            self.binding_bounds.append(z3.And(v >= lo, v <= hi))
        return v

    def run(self, s: _SymState) -> tuple[Any, Any, _SymState]:
        z3 = self.z3
        a = self.action
        tr = a.transition
        m = a.machine
        self.inst = a.instance
        self.machine = m
        st = s.copy()
        pc_key = ("@pc", m.name, a.instance)
        pc = st.get(pc_key, m.state_type)
        self.enabled = [pc == tr.state.index]
        self.err = z3.BoolVal(False)
        self.path = z3.BoolVal(True)
        for b, dom in tr.params:
            if dom[0] != "type":
                self.enabled.append(self.in_domain(self.bindings[b.uid], dom, st))
        if tr.recv is not None:
            raise Unsupported("channels")
        if tr.decl.guard is not None:
            self.enabled.append(self.expr(tr.decl.guard, st, {}))
        self.stmts(tr.decl.body, st, {})
        if tr.target is not None and tr.target is not tr.state:
            st.set(pc_key, z3.IntVal(tr.target.index))
        del pc
        return z3.And(*self.enabled), self.err, st

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
                cond = self.in_domain(x, desc, st, s.domain)
                if s.cond is not None:
                    cond = z3.And(cond, self.expr(s.cond, st, inner))
                self.enabled.append(z3.Implies(self.path, cond))
                self.stmts(s.body, st, inner)
            elif isinstance(s, ast.MethodCall):
                cur = self.expr(s.target, st, env)
                elem = self.expr(s.args[0], st, env)
                stype = cur[2]
                self.check_fits(stype.elem, elem)
                bit = self.bit(elem, stype)
                new = cur[1] | bit if s.method == "add" else cur[1] & ~bit
                self.assign(s.target, ("set", new, stype), st, env)
            elif isinstance(s, ast.Assert):
                self.err = z3.Or(self.err, z3.And(self.path, z3.Not(self.expr(s.cond, st, env))))
            elif isinstance(s, ast.Skip):
                pass
            else:
                raise Unsupported(type(s).__name__)

    def if_stmt(self, s: ast.If, st: _SymState, env: dict) -> None:
        z3 = self.z3
        outer = self.path
        branches = []
        remaining = z3.BoolVal(True)
        for cond, body in list(s.branches) + [(None, s.orelse)]:
            c = z3.BoolVal(True) if cond is None else self.expr(cond, st, env)
            taken = z3.And(remaining, c)
            remaining = z3.And(remaining, z3.Not(c))
            bst = st.copy()
            self.path = z3.And(outer, taken)
            self.stmts(body, bst, env)
            branches.append((taken, bst))
        self.path = outer
        keys = set()
        for _, bst in branches:
            keys |= {k for k, v in bst.values.items() if st.values.get(k) is not v}
        for k in keys:
            merged = branches[-1][1].lookup(k)
            for taken, bst in reversed(branches[:-1]):
                merged = _ite(z3, taken, bst.lookup(k), merged)
            st.set(k, merged)

    def check_fits(self, t: Type, v: Any) -> None:
        z3 = self.z3
        if isinstance(t, RangeT):
            self.err = z3.Or(self.err, z3.And(self.path, z3.Or(v < t.lo, v > t.hi)))

    def assign(self, target: ast.Expr, val: Any, st: _SymState, env: dict) -> None:
        z3 = self.z3
        if isinstance(target, ast.Name):
            sym = self.c.refs[id(target)]
            st.get(self.var_key(sym), sym.type)  # the pre-state value exists for branch merges
            st.set(self.var_key(sym), val)
            return
        if isinstance(target, ast.Index):
            base = self.expr(target.base, st, env)
            if not (isinstance(base, tuple) and base[0] == "map"):
                raise Unsupported("index")
            key = self.expr(target.index, st, env)
            mt: MapT = base[2]
            values = mt.key.values()  # type: ignore[attr-defined]
            ok = z3.Or(*[key == self.scalar(v, mt.key) for v in values])
            self.err = z3.Or(self.err, z3.And(self.path, z3.Not(ok)))
            entries = [_ite(z3, key == self.scalar(v, mt.key), val, old) for v, old in zip(values, base[1])]
            self.assign(target.base, ("map", entries, mt), st, env)
            return
        if isinstance(target, ast.Field):
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

    def in_domain(self, x: Any, desc, st: _SymState, dom_expr: ast.Expr | None = None) -> Any:
        z3 = self.z3
        kind = desc[0]
        if kind == "type":
            t = desc[1]
            if isinstance(t, BoolT):
                return z3.BoolVal(True)
            lo, hi = (t.lo, t.hi) if isinstance(t, RangeT) else (0, t.size - 1)
            return z3.And(x >= lo, x <= hi)
        if kind == "range":
            return z3.And(x >= self.expr(desc[1], st, {}), x <= self.expr(desc[2], st, {}))
        if kind == "lit":
            return z3.Or(*[x == self.expr(e, st, {}) for e in desc[1]])
        if dom_expr is None:
            raise Unsupported("domain")
        sv = self.expr(dom_expr, st, {})
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
                return z3.BoolVal(sym.value) if isinstance(sym.value, bool) else z3.IntVal(sym.value)
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
            if any(isinstance(x, tuple) for x in base[1]):
                raise Unsupported("composite map value")
            ok = z3.Or(*[key == self.scalar(v, mt.key) for v in values])
            self.err = z3.Or(self.err, z3.And(self.path, z3.Not(ok)))
            out = base[1][-1]
            for v, x in zip(values[:-1], base[1][:-1]):
                out = z3.If(key == self.scalar(v, mt.key), x, out)
            return out
        if isinstance(e, ast.Field):
            bt = self.c.types.get(id(e.base))
            if isinstance(bt, InstT):
                m = next(mm for mm in self.c.machines if mm.name == bt.machine)
                sym = self.c.refs[id(e)]
                idx = self._instance_index(e.base)
                return st.get(("@l", m.name, idx, sym.name), sym.type)
            base = self.expr(e.base, st, env)
            if not (isinstance(base, tuple) and base[0] == "rec"):
                raise Unsupported("field")
            return base[1][e.name]
        if isinstance(e, ast.At):
            bt = self.c.types.get(id(e.base))
            m = next(mm for mm in self.c.machines if mm.name == bt.machine)  # type: ignore[union-attr]
            idx = self._instance_index(e.base)
            return st.get(("@pc", m.name, idx), m.state_type) == m.state_type.members.index(e.state)
        if isinstance(e, ast.Unary):
            v = self.expr(e.operand, st, env)
            return z3.Not(v) if e.op == "not" else -v
        if isinstance(e, ast.Binary):
            return self.binary(e, st, env)
        if isinstance(e, ast.In):
            x = self.expr(e.elem, st, env)
            desc = self.c.domains[id(e.domain)]
            r = self.in_domain(x, desc, st, e.domain)
            return z3.Not(r) if e.negated else r
        if isinstance(e, ast.Quant) and e.kind not in ("forall", "exists"):
            raise Unsupported(f"'{e.kind}' aggregate")  # not translated: the pair is not proven to commute
        if isinstance(e, ast.Quant):
            b = self.c.refs[id(e)]
            desc = self.c.domains[id(e.domain)]
            if desc[0] == "type":
                vals = [self.scalar(v, desc[1]) for v in desc[1].values()]
                parts = [self.expr(e.body, st, {**env, b.uid: v}) for v in vals]
            elif desc[0] == "set":
                sv = self.expr(e.domain, st, env)
                stype = sv[2]
                parts = []
                for i, v in enumerate(stype.elem.values()):
                    inside = z3.Extract(i, i, sv[1]) == 1
                    body = self.expr(e.body, st, {**env, b.uid: self.scalar(v, stype.elem)})
                    parts.append(z3.Implies(inside, body) if e.kind == "forall" else z3.And(inside, body))
            else:
                raise Unsupported("quantifier domain")
            if not parts:
                return z3.BoolVal(e.kind == "forall")
            return z3.And(*parts) if e.kind == "forall" else z3.Or(*parts)
        if isinstance(e, ast.Cond):
            return _ite(z3, self.expr(e.cond, st, env), self.expr(e.then, st, env), self.expr(e.orelse, st, env))
        if isinstance(e, ast.Call):
            f = e.func.name  # type: ignore[attr-defined]
            args = [self.expr(a, st, env) for a in e.args]
            if f in ("min", "max"):
                out = args[0]
                for x in args[1:]:
                    out = z3.If(x < out, x, out) if f == "min" else z3.If(x > out, x, out)
                return out
            if f == "abs":
                return z3.If(args[0] < 0, -args[0], args[0])
            if isinstance(args[0], tuple) and args[0][0] == "set":
                bv = args[0][1]
                return z3.Sum([z3.If(z3.Extract(i, i, bv) == 1, 1, 0) for i in range(bv.size())])
            raise Unsupported("len")
        if isinstance(e, ast.SetLit):
            stype = self.c.types[id(e)]
            if not isinstance(stype, SetT):
                raise Unsupported("set literal")
            out = z3.BitVecVal(0, max(1, stype.width))
            for x in e.elems:
                out = out | self.bit(self.expr(x, st, env), stype)
            return ("set", out, stype)
        if isinstance(e, ast.RecordLit):
            rt = self.c.types[id(e)]
            return ("rec", {f: self.expr(x, st, env) for f, x in e.fields}, rt)
        raise Unsupported(type(e).__name__)

    def _instance_index(self, base: ast.Expr) -> int:
        if isinstance(base, ast.Index):
            v = base.index
            if isinstance(v, ast.IntLit):
                return v.value
            if isinstance(v, ast.SelfRef):
                return self.inst
            sym = self.c.refs.get(id(v)) if isinstance(v, ast.Name) else None
            if isinstance(sym, ConstSym):
                return sym.value
            raise Unsupported("dynamic instance")
        return 0

    def binary(self, e: ast.Binary, st: _SymState, env: dict) -> Any:
        z3 = self.z3
        op = e.op
        a = self.expr(e.left, st, env)
        b = self.expr(e.right, st, env)
        if op == "and":
            return z3.And(a, b)
        if op == "or":
            return z3.Or(a, b)
        if op == "=>":
            return z3.Implies(a, b)
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
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        if op == ">=":
            return a >= b
        raise Unsupported(op)
