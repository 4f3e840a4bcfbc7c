"""TLA+ translation of a checked spec: a module for TLC or Apalache and its ``.cfg``.

* Variables: ``g_X`` per shared variable, ``pc_M`` (a function from instance to state name) and
  ``loc_M_X`` (a function from instance to value) per machine.  Enum members and control states
  are strings, sets ``SUBSET``, maps functions, records records, channels sequences.
* One action per transition, ``A_M_S_T(self, params)``, whose body is the transition's statements
  read as a relation: each statement updates a symbolic current value of the variables, an
  ``if`` becomes ``IF``, a ``choose`` an ``\\E`` over the rest of the body, a ``for`` loop
  one copy of its body per value (``LET``-named values per iteration; a domain that depends on
  the state is bound before the first iteration and guards each copy), and the primed variables
  equal the final values.  ``Next`` is the disjunction over instances and parameter
  values, so a TLC step is a papcheck step.
* Model errors (a value outside its type, a full channel, a failed ``assert``) are TLC
  ``Assert`` calls; a zero divisor is TLC's own error.  ``/`` and ``%`` truncate as papcheck's.
* ``TypeOK``, each invariant (``Inv_N``), each ``reachable`` property as ``Reach_N`` with its
  negation ``NotReach_N`` (TLC finds a witness as a violation of that invariant),
  ``eventually``/``always_eventually``/``leads_to`` as temporal properties ``Live_N`` under weak
  fairness of the ``fair`` transitions.  ``recoverable`` (AG EF) is not expressible in TLA+'s
  linear-time logic and is listed in a comment.  ``deadlock_free`` sets CHECK_DEADLOCK, with a
  stuttering step where every instance is final.
* The constants are CONSTANTS with their values in the ``.cfg``; an ASSUME pins each to the
  value the module was exported with, because the types are already resolved.

Every name is a prefix plus a spec identifier; bound variables carry a unique number (TLA+ does
not allow shadowing).  No spec text other than identifiers reaches the module.
"""

from __future__ import annotations

from typing import Any

from ..lang import ast
from ..lang.symbols import BoundSym, CheckedSpec, ConstSym, EnumMemberSym, InstT, MachineInfo, TransitionInfo, VarSym
from ..lang.types import BoolT, ChanT, EnumT, IntT, MapT, RangeT, RecordT, SetT, Type
from .common import MAX_UNROLL, ExportError, _func, refuse_unknown_nodes, safe, type_values

HELPERS = """PapAbs(x) == IF x < 0 THEN -x ELSE x
PapDiv(a, b) == LET q == PapAbs(a) \\div PapAbs(b) IN IF (a < 0) = (b < 0) THEN q ELSE -q
PapMod(a, b) == a - b * PapDiv(a, b)
PapSeq(S, n) == UNION {[1..k -> S] : k \\in 0..n}
PapCheck(c) == Assert(c, "papcheck model error")"""


class _Tla:
    def __init__(self, checked: CheckedSpec):
        self.spec = checked
        self.types = checked.types
        self.refs = checked.refs
        self.domains = checked.domains
        self.names = 0  # LET names of the values loops compute (pap_tN)
        self.lowering: Any = None  # for the interval analysis of loop bounds (int_bounds)
        refuse_unknown_nodes(checked, "TLA+")

    def fail(self, node: Any, what: str) -> ExportError:
        from .common import Lowering
        from .promela import PromelaDialect
        low = Lowering(self.spec, PromelaDialect())
        low.d.target = "TLA+"
        return low.fail(node, what)

    # ---- names
    def shared(self, v: VarSym) -> str:
        return f"g_{safe(v.name)}"

    def local(self, m: MachineInfo, v: VarSym) -> str:
        return f"loc_{safe(m.name)}_{safe(v.name)}"

    def pc(self, m: MachineInfo) -> str:
        return f"pc_{safe(m.name)}"

    def bound(self, sym: BoundSym) -> str:
        return f"b_{safe(sym.name)}_{sym.uid}"

    def variables(self) -> list[str]:
        out = [self.shared(v) for v in self.spec.shared]
        for m in self.spec.machines:
            out.append(self.pc(m))
            out += [self.local(m, v) for v in m.locals]
        return out

    # ---- types and values
    def type_set(self, t: Type) -> str:
        if isinstance(t, BoolT):
            return "BOOLEAN"
        if isinstance(t, RangeT):
            return f"({t.lo}..{t.hi})"
        if isinstance(t, EnumT):
            return "{" + ", ".join(f'"{safe(x)}"' for x in t.members) + "}"
        if isinstance(t, SetT):
            return f"(SUBSET {self.type_set(t.elem)})"
        if isinstance(t, MapT):
            return f"[{self.type_set(t.key)} -> {self.type_set(t.value)}]"
        if isinstance(t, RecordT):
            return "[" + ", ".join(f"f_{safe(f)} : {self.type_set(ft)}" for f, ft in t.fields) + "]"
        if isinstance(t, ChanT):
            return f"PapSeq({self.type_set(t.elem)}, {t.capacity})"
        raise AssertionError(t)

    def value(self, v: Any, t: Type) -> str:
        if isinstance(t, BoolT):
            return "TRUE" if v else "FALSE"
        if isinstance(t, (RangeT, IntT)):
            return str(v)
        if isinstance(t, EnumT):
            return f'"{safe(v)}"'
        if isinstance(t, SetT):
            return "{" + ", ".join(self.value(x, t.elem) for x in t.elem.values() if x in v) + "}"  # type: ignore[attr-defined]
        if isinstance(t, MapT):
            d = dict(v)
            vals = [self.value(d[k], t.value) for k in t.key.values()]  # type: ignore[attr-defined]
            if len(set(vals)) == 1:
                return f"[k \\in {self.type_set(t.key)} |-> {vals[0]}]"
            keys = list(t.key.values())  # type: ignore[attr-defined]
            arms = " [] ".join(f"k = {self.value(k, t.key)} -> {x}" for k, x in zip(keys[:-1], vals[:-1]))
            return f"[k \\in {self.type_set(t.key)} |-> CASE {arms} [] OTHER -> {vals[-1]}]"
        if isinstance(t, RecordT):
            d = dict(v)
            return "[" + ", ".join(f"f_{safe(f)} |-> {self.value(d[f], ft)}" for f, ft in t.fields) + "]"
        if isinstance(t, ChanT):
            return "<<" + ", ".join(self.value(x, t.elem) for x in v) + ">>"
        raise AssertionError(t)

    # ---- expressions (cur: variable name -> current value text)
    def var_read(self, sym: VarSym, inst: str | None, cur: dict, node: Any) -> str:
        if sym.machine is None:
            name = self.shared(sym)
            return cur.get(name, name)
        name = self.local(sym.machine, sym)
        if inst is None:
            raise self.fail(node, "a local variable outside its machine")
        return f"({cur.get(name, name)})[{inst}]"

    def instance(self, e: ast.Expr, env: dict) -> tuple[MachineInfo, str]:
        if isinstance(e, ast.Name) and isinstance(self.refs.get(id(e)), MachineInfo):
            return self.refs[id(e)], "0"
        if isinstance(e, ast.Index) and isinstance(self.refs.get(id(e.base)), MachineInfo):
            return self.refs[id(e.base)], self.expr(e.index, env)
        raise self.fail(e, "unsupported instance reference")

    def domain(self, dom: ast.Expr, env: dict) -> str:
        desc = self.domains.get(id(dom))
        if desc is None:
            raise self.fail(dom, "unsupported domain")
        if desc[0] == "type":
            return self.type_set(desc[1])
        if desc[0] == "range":
            return f"({self.expr(desc[1], env)}..{self.expr(desc[2], env)})"
        if desc[0] == "lit":
            return "{" + ", ".join(self.expr(x, env) for x in desc[1]) + "}"
        return self.expr(dom, env)

    def expr(self, e: ast.Expr, env: dict) -> str:
        cur = env.get("cur", {})
        if isinstance(e, ast.IntLit):
            return str(e.value)
        if isinstance(e, ast.BoolLit):
            return "TRUE" if e.value else "FALSE"
        if isinstance(e, ast.SelfRef):
            return env["self"]
        if isinstance(e, ast.Name):
            sym = self.refs.get(id(e))
            if isinstance(sym, ConstSym):
                return f"C_{safe(sym.name)}"
            if isinstance(sym, EnumMemberSym):
                return f'"{safe(sym.name)}"'
            if isinstance(sym, BoundSym):
                return env[sym.uid]
            if isinstance(sym, VarSym):
                return self.var_read(sym, env.get("self"), cur, e)
            raise self.fail(e, f"'{e.name}' has no value here")
        if isinstance(e, ast.Unary):
            x = self.expr(e.operand, env)
            return f"(~{x})" if e.op == "not" else f"(-{x})"
        if isinstance(e, ast.Binary):
            a, b = self.expr(e.left, env), self.expr(e.right, env)
            op = {"and": "/\\", "or": "\\/", "=>": "=>", "==": "=", "!=": "#", "<": "<", "<=": "<=",
                  ">": ">", ">=": ">=", "+": "+", "-": "-", "*": "*", "union": "\\union",
                  "intersect": "\\cap", "minus": "\\"}.get(e.op)
            if e.op == "/":
                return f"PapDiv({a}, {b})"
            if e.op == "%":
                return f"PapMod({a}, {b})"
            if op is None:
                raise self.fail(e, f"operator {e.op}")
            return f"({a} {op} {b})"
        if isinstance(e, ast.In):
            r = f"({self.expr(e.elem, env)} \\in {self.domain(e.domain, env)})"
            return f"(~{r})" if e.negated else r
        if isinstance(e, ast.Quant):
            b = self.refs[id(e)]
            name = self.bound(b)
            inner = {**env, b.uid: name}
            dom, body = self.domain(e.domain, env), self.expr(e.body, inner)
            if e.kind == "count":
                return f"Cardinality({{{name} \\in {dom} : {body}}})"
            if e.kind in ("min", "max"):  # over an empty domain CHOOSE fails: TLC's error, papcheck's model error
                vals = f"{{{body} : {name} \\in {dom}}}"
                op = "<=" if e.kind == "min" else ">="
                m_, o_ = f"pap_m{b.uid}", f"pap_o{b.uid}"
                return f"(CHOOSE {m_} \\in {vals} : \\A {o_} \\in {vals} : {m_} {op} {o_})"
            q = "\\A" if e.kind == "forall" else "\\E"
            return f"({q} {name} \\in {dom} : {body})"
        if isinstance(e, ast.Comprehension):
            b = self.refs[id(e)]
            name = self.bound(b)
            inner = {**env, b.uid: name}
            dom = self.domain(e.domain, env)
            if e.cond is not None:
                dom = f"{{{name} \\in {dom} : {self.expr(e.cond, inner)}}}"
            if e.elem is None:
                return dom
            return f"{{{self.expr(e.elem, inner)} : {name} \\in {dom}}}"
        if isinstance(e, ast.Cond):
            return f"(IF {self.expr(e.cond, env)} THEN {self.expr(e.then, env)} ELSE {self.expr(e.orelse, env)})"
        if isinstance(e, ast.Call):
            f = _func(e)
            args = [self.expr(a, env) for a in e.args]
            if f in ("min", "max"):
                acc = args[0]
                for a in args[1:]:
                    acc = f"(IF {acc} {'<=' if f == 'min' else '>='} {a} THEN {acc} ELSE {a})"
                return acc
            if f == "abs":
                return f"PapAbs({args[0]})"
            at = self.types.get(id(e.args[0]))
            return f"Len({args[0]})" if isinstance(at, ChanT) else f"Cardinality({args[0]})"
        if isinstance(e, ast.At):
            m, inst = self.instance(e.base, env)
            name = self.pc(m)
            return f'(({cur.get(name, name)})[{inst}] = "{safe(e.state)}")'
        if isinstance(e, ast.Index):
            return f"({self.expr(e.base, env)})[{self.expr(e.index, env)}]"
        if isinstance(e, ast.Field):
            bt = self.types.get(id(e.base))
            if isinstance(bt, InstT):
                m, inst = self.instance(e.base, env)
                sym = next(v for v in m.locals if v.name == e.name)
                return self.var_read(sym, inst, cur, e)
            return f"({self.expr(e.base, env)}).f_{safe(e.name)}"
        if isinstance(e, ast.SetLit):
            return "{" + ", ".join(self.expr(x, env) for x in e.elems) + "}"
        if isinstance(e, ast.RecordLit):
            return "[" + ", ".join(f"f_{safe(f)} |-> {self.expr(x, env)}" for f, x in e.fields) + "]"
        raise self.fail(e, "unsupported expression")

    # ---- statements as a relation
    def update(self, target: ast.Expr, value_of: Any, env: dict) -> tuple[str, str]:
        """(variable, its new value) for an assignment to `target`; value_of(old) -> new."""
        path = []
        e = target
        while isinstance(e, (ast.Index, ast.Field)):
            path.append(e)
            e = e.base
        sym = self.refs.get(id(e)) if isinstance(e, ast.Name) else None
        if not isinstance(sym, VarSym):
            raise self.fail(target, "not an assignable variable")
        cur = env["cur"]
        if sym.machine is None:
            name = self.shared(sym)
            steps = []
        else:
            name = self.local(sym.machine, sym)
            steps = [f"[{env['self']}]"]
        for p in reversed(path):
            steps.append(f"[{self.expr(p.index, env)}]" if isinstance(p, ast.Index) else f".f_{safe(p.name)}")
        old_read = self.expr(target, env)
        new = value_of(old_read)
        base = cur.get(name, name)
        if not steps:
            return name, new
        return name, f"[{base} EXCEPT !{''.join(steps)} = {new}]"

    def range_check(self, t: Type, value: str) -> list[str]:
        if isinstance(t, RangeT):
            return [f"PapCheck({value} \\in {self.type_set(t)})"]
        return []

    def block(self, stmts: list, env: dict, finish: Any) -> str:
        if not stmts:
            return finish(env)
        s, rest = stmts[0], list(stmts[1:])
        cur = env["cur"]
        if isinstance(s, ast.Assign):
            t = self.types[id(s.target)]
            val = self.expr(s.value, env)
            vt = self.types.get(id(s.value))
            fits = isinstance(t, RangeT) and (
                (isinstance(vt, RangeT) and t.lo <= vt.lo and vt.hi <= t.hi)
                or (isinstance(s.value, ast.IntLit) and t.lo <= s.value.value <= t.hi))
            checks = [] if fits else self.range_check(t, val)
            name, new = self.update(s.target, lambda old: val, env)
            return self.conj(checks + [self.block(rest, {**env, "cur": {**cur, name: new}}, finish)])
        if isinstance(s, ast.MethodCall):
            st = self.types[id(s.target)]
            x = self.expr(s.args[0], env)
            checks = self.range_check(st.elem, x) if isinstance(st, SetT) else []
            op = "\\union" if s.method == "add" else "\\"
            name, new = self.update(s.target, lambda old: f"({old} {op} {{{x}}})", env)
            return self.conj(checks + [self.block(rest, {**env, "cur": {**cur, name: new}}, finish)])
        if isinstance(s, ast.Send):
            ct = self.types[id(s.chan)]
            assert isinstance(ct, ChanT)
            q = self.expr(s.chan, env)
            x = self.expr(s.value, env)
            checks = [f"PapCheck(Len({q}) < {ct.capacity})"] + self.range_check(ct.elem, x)
            name, new = self.update(s.chan, lambda old: f"Append({old}, {x})", env)
            return self.conj(checks + [self.block(rest, {**env, "cur": {**cur, name: new}}, finish)])
        if isinstance(s, ast.If):
            c: ast.Expr | str  # a condition, then its text
            arms = []
            for c, body in s.branches:
                arms.append((self.expr(c, env), self.block(list(body) + rest, env, finish)))
            out = self.block(list(s.orelse) + rest, env, finish)
            for c, f in reversed(arms):
                out = f"(IF {c} THEN {f} ELSE {out})"
            return out
        if isinstance(s, ast.Choose):
            b = self.refs[id(s)]
            name = self.bound(b)
            inner = {**env, b.uid: name}
            parts = []
            if s.cond is not None:
                parts.append(self.expr(s.cond, inner))
            parts.append(self.block(list(s.body) + rest, inner, finish))
            return f"(\\E {name} \\in {self.domain(s.domain, env)} : {self.conj(parts)})"
        if isinstance(s, ast.For):
            defs: list[str] = []
            cur2, checks = self.loop(s, env, defs)
            after = self.conj(checks + [self.block(rest, {**env, "cur": cur2}, finish)])
            return f"(LET {' '.join(defs)} IN {after})" if defs else after
        if isinstance(s, ast.Assert):
            return self.conj([f"PapCheck({self.expr(s.cond, env)})", self.block(rest, env, finish)])
        if isinstance(s, ast.Skip):
            return self.block(rest, env, finish)
        raise self.fail(s, "unsupported statement")

    # ---- loops: unrolled into LET definitions, one value of each written variable per iteration
    def fresh(self) -> str:
        self.names += 1
        return f"pap_t{self.names}"

    def bind(self, text: str, defs: list[str]) -> str:
        """A LET name for `text` (a variable's value after an iteration or an `if` in a loop):
        later statements read the name, so the module grows linearly with the unrolled body."""
        if text.startswith("pap_t") and text[5:].isdigit():
            return text
        name = self.fresh()
        defs.append(f"{name} == {text}")
        return name

    def loop(self, s: ast.For, env: dict, defs: list[str]) -> tuple[dict, list[str]]:
        """`for x in D { body }` unrolled: (the variables' values after it, its model-error
        checks), with LET definitions appended to `defs`.  The loop variable is the value's
        literal; a domain whose values depend on the state is evaluated once, before the first
        iteration (`pap_tN == D`), and each candidate value's iteration is guarded by its
        membership (`IF v \\in pap_tN THEN <body's values> ELSE <values before>`)."""
        b = self.refs[id(s)]
        et, cands, dom = self.candidates(s, env)
        d0 = self.bind(dom, defs) if dom is not None else None
        cur = dict(env["cur"])
        checks: list[str] = []
        ivs = env.get("iv", {})
        for v in cands:
            lit = self.value(v, et) if not isinstance(et, IntT) else (str(v) if v >= 0 else f"(-{-v})")
            inner = {**env, b.uid: lit, "cur": dict(cur), "iv": {**ivs, b.uid: ("", (v, v), None)}
                     if isinstance(v, int) and not isinstance(v, bool) else ivs}
            after, cks = self.body(list(s.body), inner, defs)
            changed = sorted(k for k in after if after[k] != cur.get(k))
            if d0 is None:
                cur.update({k: self.bind(after[k], defs) for k in changed})
                checks += cks
                continue
            mem = f"({lit} \\in {d0})"
            for k in changed:
                cur[k] = self.bind(f"(IF {mem} THEN {after[k]} ELSE {cur.get(k, k)})", defs)
            if cks:
                checks.append(f"(IF {mem} THEN {self.conj(cks)} ELSE TRUE)")
        return cur, checks

    def candidates(self, s: ast.For, env: dict) -> tuple[Type, list, str | None]:
        """A loop domain's element type, its candidate values in ascending order, and the text of
        the domain to test them against (None: every candidate belongs, the domain is static)."""
        dom = s.domain
        desc = self.domains.get(id(dom))
        if desc is None:
            raise self.fail(dom, "unsupported domain")
        kind = desc[0]
        if kind == "type":
            t = desc[1]
            if not isinstance(t, (BoolT, EnumT, RangeT)):
                raise self.fail(dom, "a `for` loop over this type")
            return t, type_values(t), None
        if kind == "range":
            lo, hi = self.int_bounds(desc[1], env), self.int_bounds(desc[2], env)
            span = range(lo[0], hi[1] + 1)
            if len(span) > MAX_UNROLL:
                raise self.fail(dom, f"a domain of {len(span)} values is too large to unroll")
            if lo[0] == lo[1] and hi[0] == hi[1]:  # both bounds known: a static range
                return IntT(), list(span), None
            return IntT(), list(span), self.domain(dom, env)
        st = self.types.get(id(dom))
        et = st.elem if isinstance(st, SetT) else IntT()
        if kind == "lit":
            if isinstance(et, (BoolT, EnumT, RangeT)):
                vals = type_values(et)
            else:
                ivs = [self.int_bounds(x, env) for x in desc[1]]
                if sum(iv[1] - iv[0] + 1 for iv in ivs) > MAX_UNROLL:
                    raise self.fail(dom, "a domain of too many candidate values to unroll")
                vals = sorted({v for iv in ivs for v in range(iv[0], iv[1] + 1)})
            return et, vals, self.domain(dom, env)
        if isinstance(et, (BoolT, EnumT, RangeT)):
            return et, type_values(et), self.domain(dom, env)
        raise self.fail(dom, "a `for` loop over a domain whose values are not bounded by its type")

    def int_bounds(self, e: ast.Expr, env: dict) -> tuple[int, int]:
        """Static bounds of an integer expression (the interval analysis the other exports use)."""
        if self.lowering is None:
            from .common import Lowering
            from .promela import PromelaDialect
            self.lowering = Lowering(self.spec, PromelaDialect())
        iv = self.lowering.interval(e, env.get("iv", {}))
        if iv is None:
            raise self.fail(e, "cannot bound the values of this loop bound")
        return iv

    def body(self, stmts: list, env: dict, defs: list[str]) -> tuple[dict, list[str]]:
        """A loop body's statements as values: (each variable's value after them, the model-error
        checks in order).  A loop body has no `choose` (the checker refuses one), so it is a
        function of the state: an `if` merges its branches' values with IF, its checks hold
        under their branch's condition."""
        cur = dict(env["cur"])
        checks: list[str] = []
        for s in stmts:
            e2 = {**env, "cur": cur}
            if isinstance(s, ast.If):
                conds = [self.expr(c, e2) for c, _ in s.branches]
                outs = [self.body(list(b), e2, defs) for _, b in s.branches]
                other, other_cks = self.body(list(s.orelse), e2, defs)
                keys = sorted({k for o, _ in outs for k in o if o[k] != cur.get(k)}
                              | {k for k in other if other[k] != cur.get(k)})
                new = {}
                for k in keys:
                    val = other.get(k, cur.get(k, k))
                    for c, (o, _) in reversed(list(zip(conds, outs))):
                        val = f"(IF {c} THEN {o.get(k, cur.get(k, k))} ELSE {val})"
                    new[k] = self.bind(val, defs)
                # kept even without checks: TLC evaluates the conditions where papcheck does, so a
                # condition's own model error (a key outside a map's domain) is reported too
                chk = self.conj(other_cks)
                for c, (_, cks) in reversed(list(zip(conds, outs))):
                    chk = f"(IF {c} THEN {self.conj(cks)} ELSE {chk})"
                checks.append(chk)
                cur.update(new)
            elif isinstance(s, ast.For):
                cur, cks = self.loop(s, e2, defs)
                checks += cks
            elif isinstance(s, (ast.Assign, ast.MethodCall, ast.Send, ast.Assert, ast.Skip)):
                def grab(env3: dict) -> str:
                    grabbed.update(env3["cur"])
                    return "TRUE"
                grabbed: dict = {}
                text = self.block([s], e2, grab)  # one statement: its checks, then TRUE
                cur = grabbed
                if text != "TRUE":
                    checks.append(text)
            else:
                raise self.fail(s, "this statement inside a `for` loop")
        return cur, checks

    @staticmethod
    def conj(parts: list[str]) -> str:
        parts = [p for p in parts if p and p != "TRUE"]
        if not parts:
            return "TRUE"
        return parts[0] if len(parts) == 1 else "(" + " /\\ ".join(parts) + ")"

    def action(self, m: MachineInfo, tr: TransitionInfo) -> tuple[str, str, list[tuple[str, str]]]:
        """(name, definition, [(param, domain)]) of a transition's action."""
        name = f"A_{safe(m.name)}_{safe(tr.state.name)}_{safe(tr.name)}"
        env: dict = {"self": "self", "cur": {}, "iv": {"self_iv": (0, m.count - 1)}}
        params = []
        for sym, desc in tr.params:
            pn = self.bound(sym)
            env[sym.uid] = pn
            node = next(p for p in tr.decl.params if p.name == sym.name)
            if isinstance(node.domain, ast.TypeExpr):
                dom = self.type_set(desc[1])
            else:
                dom = self.domain(node.domain, env)
            params.append((pn, dom))
        pc = self.pc(m)
        guard = [f'{pc}[self] = "{safe(tr.state.name)}"']
        if tr.recv is not None:
            rsym, chan_e = tr.recv
            q = self.expr(chan_e, env)
            guard.append(f"Len({q}) > 0")
            env[rsym.uid] = f"Head({q})"
            qname, new = self.update(chan_e, lambda old: f"Tail({old})", env)
            env["cur"] = {qname: new}
        if tr.decl.guard is not None:
            guard.append(self.expr(tr.decl.guard, {**env, "cur": {}}))
        allvars = self.variables()

        def finish(env2: dict) -> str:
            cur = dict(env2["cur"])
            if tr.target is not None and tr.target.index != tr.state.index:
                cur[pc] = f'[{cur.get(pc, pc)} EXCEPT ![self] = "{safe(tr.target.name)}"]'
            parts = [f"{v}' = {cur[v]}" for v in allvars if v in cur]
            same = [v for v in allvars if v not in cur]
            if same:
                parts.append("UNCHANGED << " + ", ".join(same) + " >>")
            return self.conj(parts)
        body = self.block(list(tr.decl.body), env, finish)
        args = ", ".join(["self"] + [p for p, _ in params])
        text = f"{name}({args}) ==\n    " + "\n    /\\ ".join(["/\\ " + guard[0]] + guard[1:] + [body])
        return name, text, params


def to_tla(checked: CheckedSpec, *, safety_only: bool = False, module: str | None = None) -> dict[str, str]:
    w = _Tla(checked)
    mod = safe(module or checked.name)
    variables = w.variables()
    consts = list(checked.constants.values())
    out = [f"---- MODULE {mod} ----",
           f"\\* {safe(checked.name)}: generated by papcheck export --to tla; do not edit (docs/export.md).",
           "EXTENDS Integers, FiniteSets, Sequences, TLC", ""]
    if consts:
        out.append("CONSTANTS " + ", ".join(f"C_{safe(c.name)}" for c in consts))
        for c in consts:
            out.append(f"ASSUME C_{safe(c.name)} = {w.value(c.value, BoolT() if isinstance(c.value, bool) else IntT())}")
        out.append("")
    out.append("VARIABLES " + ", ".join(variables))
    out.append("vars == << " + ", ".join(variables) + " >>")
    out.append("")
    out.append(HELPERS)
    out.append("")
    type_ok = []
    init = []
    for v in checked.shared:
        type_ok.append(f"{w.shared(v)} \\in {w.type_set(v.type)}")
        if v.decl.init_any:  # `var x: T in any`
            init.append(f"{w.shared(v)} \\in {w.type_set(v.type)}")
        elif v.choices:  # `var x: T in D`: the values of D
            init.append(f"{w.shared(v)} \\in {{{', '.join(w.value(x, v.type) for x in v.choices[0])}}}")
        else:
            init.append(f"{w.shared(v)} = {w.value(v.inits[0], v.type)}")
    for m in checked.machines:
        inst = f"(0..{m.count - 1})"
        states = "{" + ", ".join(f'"{safe(s.name)}"' for s in m.states) + "}"
        type_ok.append(f"{w.pc(m)} \\in [{inst} -> {states}]")
        init.append(f'{w.pc(m)} = [i \\in {inst} |-> "{safe(m.states[m.initial].name)}"]')
        for v in m.locals:
            type_ok.append(f"{w.local(m, v)} \\in [{inst} -> {w.type_set(v.type)}]")
            vals = [w.value(x, v.type) for x in v.inits]
            if v.choices:  # `var x: T in D` / `in any`: each instance starts at any value of its set
                sets = [w.type_set(v.type) if v.decl.init_any
                        else "{" + ", ".join(w.value(x, v.type) for x in c) + "}" for c in v.choices]
                if len(set(sets)) == 1:
                    init.append(f"{w.local(m, v)} \\in [{inst} -> {sets[0]}]")
                else:
                    arms = " [] ".join(f"i = {k} -> {x}" for k, x in enumerate(sets[:-1]))
                    init.append(f"{w.local(m, v)} \\in [{inst} -> {w.type_set(v.type)}]")
                    init.append(f"\\A i \\in {inst} : {w.local(m, v)}[i] \\in CASE {arms} [] OTHER -> {sets[-1]}")
            elif len(set(vals)) == 1:
                init.append(f"{w.local(m, v)} = [i \\in {inst} |-> {vals[0]}]")
            else:
                arms = " [] ".join(f"i = {k} -> {x}" for k, x in enumerate(vals[:-1]))
                init.append(f"{w.local(m, v)} = [i \\in {inst} |-> CASE {arms} [] OTHER -> {vals[-1]}]")
    out.append("TypeOK ==\n    /\\ " + "\n    /\\ ".join(type_ok))
    out.append("")
    out.append("Init ==\n    /\\ " + "\n    /\\ ".join(init))
    out.append("")
    disjuncts = []
    fair = []
    for m in checked.machines:
        for tr in m.transitions:
            name, text, params = w.action(m, tr)
            out.append(text)
            out.append("")
            quant = "".join(f"\\E {p} \\in {d} : " for p, d in params)
            args = ", ".join(["self"] + [p for p, _ in params])
            disjuncts.append(f"\\E self \\in (0..{m.count - 1}) : {quant}{name}({args})")
            if "fair" in m.decl.modifiers or tr.decl.fair:
                fair.append(f"\\A self \\in (0..{m.count - 1}) : WF_vars({quant}{name}({args}))")
    deadlock = any(p.kind == "deadlock_free" for p in checked.properties)
    finals = []
    for m in checked.machines:
        fs = [s.name for s in m.states if s.final]
        if fs:
            finals.append(f"\\A i \\in (0..{m.count - 1}) : {w.pc(m)}[i] \\in " + "{" + ", ".join(f'"{safe(x)}"' for x in fs) + "}")
        else:
            finals.append("FALSE")
    out.append("AllFinal == " + w.conj(finals))
    out.append("")
    if deadlock:
        disjuncts.append("(AllFinal /\\ UNCHANGED vars)  \\* a final state is not a deadlock")
    out.append("Next ==\n    \\/ " + "\n    \\/ ".join(disjuncts or ["FALSE"]))
    out.append("")
    out.append("Fairness == " + ("\n    /\\ ".join([""] + fair) if fair else "TRUE"))
    out.append("")
    out.append("Spec == Init /\\ [][Next]_vars /\\ Fairness")
    out.append("")
    cfg = ["\\* generated by papcheck export --to tla", "SPECIFICATION Spec"]
    if consts:
        cfg.append("CONSTANTS")
        for c in consts:
            cfg.append(f"  C_{safe(c.name)} = {w.value(c.value, BoolT() if isinstance(c.value, bool) else IntT())}")
    cfg.append("INVARIANT TypeOK")
    comments = []
    for _k, p in enumerate(checked.properties):
        pn = f"{safe(p.name)}"
        e: ast.Expr = p.decl.expr  # type: ignore[assignment]  # None only for deadlock_free, which does not read it
        if p.kind == "invariant":
            out.append(f"Inv_{pn} == {w.expr(e, {})}")
            cfg.append(f"INVARIANT Inv_{pn}")
        elif p.kind == "reachable":
            out.append(f"Reach_{pn} == {w.expr(e, {})}")
            out.append(f"NotReach_{pn} == ~Reach_{pn}  \\* TLC shows a witness as a violation of this")
            comments.append(f"\\* reachable {pn}: check INVARIANT NotReach_{pn} and expect a violation")
        elif p.kind == "eventually":
            out.append(f"Live_{pn} == <>({w.expr(e, {})})")
            cfg.append(f"PROPERTY Live_{pn}")
        elif p.kind == "always_eventually":
            out.append(f"Live_{pn} == []<>({w.expr(e, {})})")
            cfg.append(f"PROPERTY Live_{pn}")
        elif p.kind == "leads_to":
            out.append(f"Live_{pn} == ({w.expr(e, {})}) ~> ({w.expr(p.decl.expr2, {})})")  # type: ignore[arg-type]  # a leads_to property has a second expression
            cfg.append(f"PROPERTY Live_{pn}")
        elif p.kind == "recoverable":
            out.append(f"Recover_{pn} == {w.expr(e, {})}")
            out.append(f"\\* recoverable {pn} (from every reachable state some run reaches Recover_{pn}) is a")
            out.append("\\* branching-time property (AG EF) that TLA+ cannot state; papcheck checks it.")
        elif p.kind == "deadlock_free":
            pass
    cfg.append(f"CHECK_DEADLOCK {'TRUE' if deadlock else 'FALSE'}")
    cfg += comments
    out.append("")
    out.append("====")
    return {".tla": "\n".join(out) + "\n", ".cfg": "\n".join(cfg) + "\n"}
