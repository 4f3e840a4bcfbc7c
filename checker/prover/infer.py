"""`papcheck prove --infer`: helper invariants from templates, explicit search and Houdini.

1. **Templates** (as DistAI and I4 do, at small sizes): a clause is a quantifier prefix over at
   most one instance of a machine (``i``), one index of a map's key type (``e``) and one member
   of a set variable (``p``), an optional guard ``M[i] at s``, and one or two comparisons
   ``a < b``, ``a <= b``, ``a == b``, ``a != b`` between integer terms: shared variables, the
   instance's locals, map entries at ``e``, ``e`` and ``p``.  Every quantified name is used.
2. **Explicit search** at the spec's constants (or smaller ones, when the state space is big)
   keeps the clauses true in every reachable state.  Each literal is a bit mask over the samples
   (state, binding), so a clause costs one OR per literal.
3. **Houdini** (mypyvy's ``updr.py``): with z3 and the constants symbolic, drop every candidate
   that the initial state violates or that some transition breaks from a state satisfying all the
   remaining candidates; repeat until nothing changes.  What remains is inductive; the spec's
   invariants are proved when they are among (or implied by) it.

The result prints in spec syntax, ready to paste.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any, Protocol

from ..lang.symbols import CheckedSpec
from ..lang.types import MapT, RangeT, SetT

OPS = ("<", "<=", "==", "!=")
MAX_SAMPLE_STATES = 20000
BATCH = 300  # two-literal candidates added per CTI
KILL_BATCH = 20  # and per step that killed a candidate


class Explicit(Protocol):
    """Explicit-state search, given by the caller (the prover layer sits below the api): load a
    spec at some constants, and list its reachable states as user values (None when too many)."""

    def load(self, path: str, constants: dict[str, Any]) -> Any: ...

    def reachable_states(self, spec: Any, limit: int) -> list[dict[str, Any]] | None: ...


@dataclass(frozen=True)
class Term:
    kind: str  # shared, local, entry, bound
    name: str  # variable (or bound name)
    machine: str = ""

    def text(self, inst: str) -> str:
        if self.kind == "local":
            return f"{self.machine}[i].{self.name}" if inst else f"{self.machine}.{self.name}"
        if self.kind == "entry":
            return f"{self.name}[e]"
        return self.name


@dataclass(frozen=True)
class Lit:
    op: str
    a: Term
    b: Term


@dataclass(frozen=True)
class Clause:
    machine: str  # the machine of i ("" when none)
    key_type: str  # the type of e ("" when none)
    set_var: str  # the set of p ("" when none)
    guard: str  # a state of machine ("" when none)
    lits: tuple[Lit, ...]
    indexed: bool = True  # machine has instances (M[i]) rather than one (M)

    def text(self) -> str:
        pre = []
        if self.machine and self.indexed:
            pre.append(f"forall i in {self.machine}: ")
        if self.key_type:
            pre.append(f"forall e in {self.key_type}: ")
        if self.set_var:
            pre.append(f"forall p in {self.set_var}: ")
        inst = "i" if self.indexed else ""
        body = " or ".join(f"{x.a.text(inst)} {x.op} {x.b.text(inst)}" for x in self.lits)
        if self.guard:
            at = f"{self.machine}[i] at {self.guard}" if self.indexed else f"{self.machine} at {self.guard}"
            body = f"{at} => ({body})" if len(self.lits) > 1 else f"{at} => {body}"
        return "".join(pre) + body


@dataclass
class InferResult:
    candidates: int
    true_at_small: int
    inductive: list[Clause]
    proved: bool
    rounds: int
    seconds: float
    at_constants: dict[str, Any]
    why: str = ""  # why nothing was proved
    rounds_small: int = 0


# ----------------------------------------------------------------------------- vocabulary


def vocabulary(checked: CheckedSpec) -> tuple[list[Term], dict[str, list[Term]], dict[str, str], dict[str, str]]:
    """(shared int terms, per machine its int locals, map -> key type name, set -> elem kind)."""
    shared = [Term("shared", v.name) for v in checked.shared if isinstance(v.type, RangeT)]
    locals_ = {m.name: [Term("local", v.name, m.name) for v in m.locals if isinstance(v.type, RangeT)]
               for m in checked.machines}
    maps: dict[str, str] = {}
    for v in checked.shared:
        if isinstance(v.type, MapT) and isinstance(v.type.value, RangeT) and isinstance(v.type.key, RangeT):
            key = _type_name(checked, v)
            if key:
                maps[v.name] = key
    sets = {v.name: "int" for v in checked.shared if isinstance(v.type, SetT) and isinstance(v.type.elem, RangeT)}
    return shared, locals_, maps, sets


def _type_name(checked: CheckedSpec, v: Any) -> str:
    from ..lang import ast
    te = v.decl.type
    if isinstance(te, ast.MapType) and isinstance(te.key, ast.NamedType):
        return te.key.name
    return ""


def candidates(checked: CheckedSpec) -> list[Clause]:
    shared, locals_, maps, sets = vocabulary(checked)
    machines = {m.name: m for m in checked.machines}
    out: list[Clause] = []
    key_types = sorted(set(maps.values()))
    prefixes = []
    for mach in [""] + [m for m in machines if locals_[m]]:
        for kt in [""] + key_types:
            for sv in [""] + sorted(sets):
                prefixes.append((mach, kt, sv))
    sorts = term_sorts(checked)
    for mach, kt, sv in prefixes:
        terms = list(shared)
        if mach:
            terms += locals_[mach]
        if kt:
            terms += [Term("entry", mname) for mname, k in maps.items() if k == kt] + [Term("bound", "e")]
        if sv:
            terms += [Term("bound", "p")]
        lits = []
        for a, b in itertools.combinations(terms, 2):
            if sorts.get(a) != sorts.get(b) and not {sorts.get(a), sorts.get(b)} & {frozenset()}:
                continue  # different sizes (e.g. a plan and an endpoint): not compared
            for op in OPS:
                lits.append(Lit(op, a, b))
            lits += [Lit("<", b, a), Lit("<=", b, a)]
        guards = [""]
        indexed = True
        if mach:
            guards += [s.name for s in machines[mach].states]
            indexed = machines[mach].decl.count is not None

        def uses(ls: tuple[Lit, ...]) -> bool:
            ts = {t for x in ls for t in (x.a, x.b)}
            if mach and not any(t.kind == "local" for t in ts):
                return False
            if kt and not any(t.kind == "entry" or (t.kind == "bound" and t.name == "e") for t in ts):
                return False
            if sv and Term("bound", "p") not in ts:
                return False
            return True
        for g in guards:
            for n in (1, 2):
                for ls in itertools.combinations(lits, n):
                    if n == 2 and _complementary(ls[0], ls[1]):
                        continue
                    if not uses(ls):
                        continue
                    out.append(Clause(mach, kt, sv, g, ls, indexed))
    return out


def term_sorts(checked: CheckedSpec) -> dict[Term, frozenset]:
    """A term's sort: the constants its type's bounds mention (Gen = 0..PLANS is {PLANS};
    Endpoint = 0..ENDPOINTS-1 and 0..ENDPOINTS are both {ENDPOINTS})."""
    from ..lang import ast
    named = {d.name: d.type for d in checked.spec.of(ast.TypeDecl)}

    def consts(te: Any) -> frozenset:
        if isinstance(te, ast.NamedType):
            return consts(named[te.name]) if te.name in named else frozenset()
        if isinstance(te, ast.RangeType):
            return _names(te.lo) | _names(te.hi)
        if isinstance(te, ast.MapType):
            return consts(te.value)
        if isinstance(te, ast.SetType):
            return consts(te.elem)
        return frozenset()
    out: dict[Term, frozenset] = {}
    for v in checked.shared:
        out[Term("shared", v.name)] = consts(v.decl.type)
        te = v.decl.type
        if isinstance(te, ast.MapType):
            out[Term("entry", v.name)] = consts(te.value)
            out[Term("bound", "e")] = consts(te.key)
        if isinstance(te, ast.SetType):
            out[Term("bound", "p")] = consts(te.elem)
    for m in checked.machines:
        for v in m.locals:
            out[Term("local", v.name, m.name)] = consts(v.decl.type)
    return out


def _names(e: Any) -> frozenset:
    from ..lang import ast
    if isinstance(e, ast.Name):
        return frozenset([e.name])
    out: frozenset = frozenset()
    for v in getattr(e, "__dict__", {}).values():
        if isinstance(v, ast.Expr):
            out |= _names(v)
    return out


def _complementary(x: Lit, y: Lit) -> bool:
    same = {x.a, x.b} == {y.a, y.b}
    return same  # two comparisons of the same pair: a tautology or one literal


# ------------------------------------------------------------------------- explicit filter


def filter_true(path: str, at: dict[str, Any], clauses: list[Clause], explicit: Explicit) -> list[Clause] | None:
    spec = explicit.load(path, at)
    states = explicit.reachable_states(spec, MAX_SAMPLE_STATES)
    if states is None:
        return None
    return true_in(spec.checked, states, clauses)


def true_in(checked: CheckedSpec, states: list[dict[str, Any]], clauses: list[Clause]) -> list[Clause]:
    """The clauses true in every one of the states (display name -> value dicts)."""
    machines = {m.name: m for m in checked.machines}
    groups: dict[tuple, list[Clause]] = {}
    for c in clauses:
        groups.setdefault((c.machine, c.key_type, c.set_var), []).append(c)
    keep: list[Clause] = []
    for (mach, kt, sv), cs in groups.items():
        samples: list[tuple[dict[str, Any], Any, Any, Any]] = []  # (state, instance, key, elem); an instance when mach
        for st in states:
            insts = [None] if not mach else range(machines[mach].count)
            keys = [None] if not kt else _key_values(checked, kt)
            for i in insts:
                for e in keys:
                    elems = [None] if not sv else sorted(st[sv])
                    for p in elems:
                        samples.append((st, i, e, p))
        if not samples:
            keep.extend(cs)  # vacuous at these constants; Houdini decides
            continue
        full = (1 << len(samples)) - 1
        cache: dict[Any, int] = {}

        def val(t: Term, smp: tuple, mach: str = mach) -> Any:
            st, i, e, p = smp
            if t.kind == "shared":
                return st[t.name]
            if t.kind == "local":
                return st[f"{machines[mach].instance_name(i)}.{t.name}"]
            if t.kind == "entry":
                return dict(st[t.name])[e]
            return e if t.name == "e" else p

        def mask_of(x: Any) -> int:
            if x in cache:
                return cache[x]
            m = 0
            for k, smp in enumerate(samples):
                if isinstance(x, str):
                    ok = smp[0][f"{machines[mach].instance_name(smp[1])}.state"] != x
                else:
                    a, b = val(x.a, smp), val(x.b, smp)
                    ok = (a < b if x.op == "<" else a <= b if x.op == "<=" else a == b if x.op == "==" else a != b)
                if ok:
                    m |= 1 << k
            cache[x] = m
            return m
        for c in cs:
            m = mask_of(c.guard) if c.guard else 0
            for x in c.lits:
                m |= mask_of(x)
                if m == full:
                    break
            if m == full:
                keep.append(c)
    return keep


def _key_values(checked: CheckedSpec, type_name: str) -> list:
    for v in checked.shared:
        if isinstance(v.type, MapT) and _type_name(checked, v) == type_name:
            return list(v.type.key.values())  # type: ignore[attr-defined]
    return []


def prune(clauses: list[Clause]) -> list[Clause]:
    """Drop a clause when a clause with a subset of its literals (same prefix, guard) is kept."""
    ones = {(c.machine, c.key_type, c.set_var, c.guard, c.lits[0]) for c in clauses if len(c.lits) == 1}
    unguarded = {(c.machine, c.key_type, c.set_var, c.lits[0]) for c in clauses if len(c.lits) == 1 and not c.guard}
    out = []
    for c in clauses:
        if c.guard and len(c.lits) == 1 and (c.machine, c.key_type, c.set_var, c.lits[0]) in unguarded:
            continue
        if len(c.lits) == 2 and any((c.machine, c.key_type, c.set_var, c.guard, x) in ones or
                                    (c.machine, c.key_type, c.set_var, x) in unguarded for x in c.lits):
            continue
        out.append(c)
    return out


# ------------------------------------------------------------------------------- z3 side


def builder(checked: CheckedSpec, c: Clause) -> Any:
    """(translator, state) -> (value, error) of a clause."""
    machines = {m.name: m for m in checked.machines}

    def build(tr: Any, state: dict[str, Any]) -> tuple[Any, Any]:
        z3 = tr.z3
        i: Any = z3.Int(tr.fresh("i")) if c.indexed else z3.IntVal(0)
        e: Any = z3.Int(tr.fresh("e"))
        p: Any = z3.Int(tr.fresh("p"))

        def term(t: Term) -> Any:
            if t.kind == "shared":
                return state[f"v:{t.name}"]
            if t.kind == "local":
                return state[f"l:{t.machine}:{t.name}"][i]
            if t.kind == "entry":
                return state[f"v:{t.name}"][e]
            return e if t.name == "e" else p
        lits = []
        for x in c.lits:
            a, b = term(x.a), term(x.b)
            lits.append(a < b if x.op == "<" else a <= b if x.op == "<=" else a == b if x.op == "==" else a != b)
        if c.guard:
            idx = next(s.index for s in machines[c.machine].states if s.name == c.guard)
            lits.append(state[f"pc:{c.machine}"][i] != idx)
        v = z3.Or(*lits)
        if c.set_var:
            st = tr.var_types[id(next(x for x in checked.shared if x.name == c.set_var))]
            v = tr.forall(p, state[f"v:{c.set_var}"][p], v, tr.values(st.elem))
        if c.key_type:
            kt = tr.named_type(c.key_type)
            v = tr.forall(e, tr.in_type(e, kt), v, tr.values(kt))
        if c.machine and c.indexed:
            v = tr.forall(i, z3.And(0 <= i, i < tr.counts[c.machine]), v,
                          tr.int_values(z3.IntVal(0), tr.counts[c.machine] - 1))
        return v, z3.BoolVal(False)
    return build


class Concrete:
    """The candidates at small concrete constants, quantifier-free: a clause is the conjunction,
    over its bindings, of the disjunction of its literals; each literal at a binding is built once
    per state (the candidates share them)."""

    def __init__(self, checked: CheckedSpec, prover: Any):
        self.c, self.p, self.z3 = checked, prover, prover.z3
        tr = prover.tr
        z3 = self.z3
        self.machines = {m.name: m for m in checked.machines}
        self.count = {m: z3.simplify(n).as_long() for m, n in tr.counts.items()}
        self.keys: dict[str, list] = {}
        self.elems: dict[str, list] = {}
        for v in checked.shared:
            st = tr.var_types[id(v)]
            if isinstance(v.type, MapT):
                kt = _type_name(checked, v)
                if kt:
                    self.keys[kt] = [x.as_long() for x in tr.values(tr.named_type(kt)) or []]
            if isinstance(v.type, SetT) and st.elem is not None:
                self.elems[v.name] = [x.as_long() for x in tr.values(st.elem) or []]
        self.atoms: dict[tuple, Any] = {}
        self.kills: list[Any] = []  # the models that killed candidates, in the last run

    def _term(self, state: dict[str, Any], t: Term, b: tuple) -> Any:
        z3 = self.z3
        i, e, p, _ = b
        if t.kind == "shared":
            return state[f"v:{t.name}"]
        if t.kind == "local":
            return state[f"l:{t.machine}:{t.name}"][z3.IntVal(i)]
        if t.kind == "entry":
            return state[f"v:{t.name}"][z3.IntVal(e)]
        return z3.IntVal(e if t.name == "e" else p)

    def _atom(self, sid: int, state: dict[str, Any], x: Any, b: tuple) -> Any:
        # a literal by identity: hashing the nested dataclasses again on every lookup costs more
        # than the z3 term (the candidates of one quantifier prefix share their literals)
        key = (sid, id(x) if isinstance(x, Lit) else x, b)
        got = self.atoms.get(key)
        if got is None:
            z3 = self.z3
            if isinstance(x, tuple):  # ("at", machine, state index): the instance is NOT there
                got = self._term_pc(state, x[1], b[0]) != x[2]
            elif x == "p":  # p is NOT a member of the set
                got = z3.Not(state[f"v:{b[3]}"][z3.IntVal(b[2])])
            else:
                a, c = self._term(state, x.a, b), self._term(state, x.b, b)
                got = a < c if x.op == "<" else a <= c if x.op == "<=" else a == c if x.op == "==" else a != c
            got = z3.simplify(got)
            if z3.is_true(got) or z3.is_false(got):  # decided by the step: a Python bool
                got = z3.is_true(got)
            self.atoms[key] = got
        return got

    def _term_pc(self, state: dict[str, Any], machine: str, i: int) -> Any:
        return state[f"pc:{machine}"][self.z3.IntVal(i)]

    def value(self, sid: int, state: dict[str, Any], c: Clause) -> Any:
        z3 = self.z3
        insts = range(self.count[c.machine]) if c.machine else [0]
        keys = self.keys.get(c.key_type, []) if c.key_type else [0]
        elems = self.elems.get(c.set_var, []) if c.set_var else [0]
        guard = None
        if c.guard:
            guard = ("at", c.machine, next(s.index for s in self.machines[c.machine].states if s.name == c.guard))
        parts = []
        for i in insts:
            for e in keys:
                for p in elems:
                    b = (i, e, p, c.set_var)
                    lits = [self._atom(sid, state, x, b) for x in c.lits]
                    if guard is not None:
                        lits.append(self._atom(sid, state, guard, b))
                    if c.set_var:
                        lits.append(self._atom(sid, state, "p", b))
                    if any(x is True for x in lits):
                        continue
                    lits = [x for x in lits if x is not False]
                    if not lits:
                        return z3.BoolVal(False)
                    parts.append(lits[0] if len(lits) == 1 else self._nary(z3.Z3_mk_or, lits))
        if not parts:
            return z3.BoolVal(True)
        return parts[0] if len(parts) == 1 else self._nary(z3.Z3_mk_and, parts)

    def _nary(self, mk: Any, args: list) -> Any:
        """And/Or through the C API: z3's Python And/Or coerce every argument, which is most of
        the time of building thousands of candidates."""
        z3 = self.z3
        ctx = args[0].ctx
        arr = (z3.Ast * len(args))(*[a.as_ast() for a in args])
        return z3.BoolRef(mk(ctx.ref(), len(args), arr), ctx)


class Houdini:
    """Houdini at one point of small constants, incremental: one solver per transition holding
    the transition and `b_k => pre_k` for every candidate k; a query asks, under the assumptions
    b_k of the live candidates, for a step that breaks one of them.  A model kills every live
    candidate false in its post-state.  The spec's invariants are protected: a model breaking one
    is a CTI, returned to the caller, who adds clauses that block it."""

    def __init__(self, checked: CheckedSpec, prover: Any):
        self.p, self.z3 = prover, prover.z3
        self.cc = Concrete(checked, prover)
        self.clauses: list[Clause] = []
        self.b: list[Any] = []
        self.posts: list[list[Any]] = [[] for _ in prover.acts]  # None: the same as before the step
        self.n_goals = 0
        self.gave_up = ""  # why the last run stopped early
        self.ok: list[Any] = []
        self.fails: list[Any] = []
        z3 = self.z3
        self.solvers: list[Any] = []
        spec_pre = [prover.holds(k) for k in range(len(prover.invariants))]
        self.spec_post = []
        for a in prover.acts:
            s = z3.Solver()
            s.set("timeout", prover.timeout_ms)
            # steps that fail (a model error) are left out of the ordinary queries, behind
            # `ok`, and asked about once per fixpoint: such a step is a CTI too
            ok = z3.Bool(f"ok!{len(self.solvers)}")
            s.add(prover.axioms, prover.types, a.enabled, z3.Implies(ok, z3.Not(a.error)), *spec_pre)
            fails = z3.Bool(f"fails!{len(self.solvers)}")
            s.add(z3.Implies(fails, a.error))
            self.ok.append(ok)
            self.fails.append(fails)
            self.solvers.append(s)
            self.spec_post.append(z3.Or(*[z3.Or(z3.Not(v), err) for v, err in
                                          (prover.inv(e, a.post) for _, e in prover.invariants)]))

    def add(self, clauses: list[Clause]) -> None:
        z3 = self.z3
        pre_sid = 0
        for c in clauses:
            k = len(self.clauses)
            self.clauses.append(c)
            b = z3.Bool(f"cand!{k}")
            self.b.append(b)
            pre = self.cc.value(pre_sid, self.p.pre, c)
            for j, a in enumerate(self.p.acts):
                self.solvers[j].add(z3.Implies(b, pre))
                post = self.cc.value(j + 1, a.post, c)
                # a clause the transition does not touch cannot break there: left out of the goal
                self.posts[j].append(None if post.eq(pre) else post)

    def run(self, alive: set[int], deadline: float) -> tuple[set[int], Any]:
        """The live candidates at the fixpoint, and a model breaking a spec invariant (or None).
        A solver that gives up kills the candidates it was asked about (never a wrong keep)."""
        z3 = self.z3
        self.kills = []
        self.gave_up = ""
        changed = True
        while changed:
            changed = False
            for j, s in enumerate(self.solvers):
                while alive:
                    if time.perf_counter() > deadline:
                        self.gave_up = "out of --infer-budget"
                        return set(), None
                    live = sorted(alive)
                    touched = [k for k in live if self.posts[j][k] is not None]
                    self.n_goals += 1
                    g = z3.Bool(f"goal!{self.n_goals}")
                    s.add(z3.Implies(g, z3.Or(self.spec_post[j], *[z3.Not(self.posts[j][k]) for k in touched])))
                    r = s.check(g, self.ok[j], *[self.b[k] for k in live])
                    if r == z3.unsat:
                        r = s.check(self.fails[j], *[self.b[k] for k in live])
                        if r == z3.sat:
                            return alive, (s.model(), j)
                        if r != z3.unsat:
                            self.gave_up = f"the solver gave up at the small constants ({s.reason_unknown()})"
                            return set(), None
                        break
                    if r != z3.sat:
                        self.gave_up = f"the solver gave up at the small constants ({s.reason_unknown()})"
                        return set(), None
                    m = s.model()
                    if z3.is_true(m.eval(self.spec_post[j], model_completion=True)):
                        return alive, (m, j)
                    killed = {k for k in touched if z3.is_false(m.eval(self.posts[j][k], model_completion=True))}
                    if not killed:
                        self.gave_up = "a step broke no candidate the model decides (internal)"
                        return set(), None
                    self.kills.append(m)
                    alive = alive - killed
                    changed = True
        return alive, None

    def core(self, alive: set[int]) -> set[int]:
        """The live candidates the spec's invariants need: for each transition, an unsat core of
        'a step breaks a needed clause', closed backwards from the spec's invariants."""
        z3 = self.z3
        need: set[int] = set()
        todo: list[int | None] = [None]  # None: the spec's invariants
        done: set[int | None] = set()
        live = sorted(alive)
        while todo:
            k = todo.pop()
            if k in done:
                continue
            done.add(k)
            for j, s in enumerate(self.solvers):
                if k is not None and self.posts[j][k] is None:
                    continue
                goal = self.spec_post[j] if k is None else z3.Not(self.posts[j][k])
                g = z3.Bool(f"core!{j}!{k}")
                s.add(z3.Implies(g, goal))
                s.set("core.minimize", True)
                queries = [(g, self.ok[j])] + ([(self.fails[j],)] if k is None else [])  # and: never fails
                names: set[str] = set()
                for q in queries:
                    if s.check(*q, *[self.b[x] for x in live]) != z3.unsat:
                        return set(alive)
                    names |= {str(x) for x in s.unsat_core()}
                for x in live:
                    if str(self.b[x]) in names and x not in need:
                        need.add(x)
                        todo.append(x)
        return need


def infer(path: str, checked: CheckedSpec, assumes: list[Any], symbolic: list[str], timeout_ms: int,
          explicit: Explicit, budget: float = 120.0) -> InferResult:
    """Houdini at small constants over the one-literal candidates; while a spec invariant has a
    CTI there, add the two-literal candidates its pre-state violates (they block it) and go on.
    Then keep the candidates the spec's invariants need (unsat cores) and check them, with the
    spec's invariants, for every size; a helper z3 refutes there is dropped (Houdini again)."""
    from .induction import Prover, read_state
    t0 = time.perf_counter()
    deadline = t0 + budget
    pinned = {n: c.value for n, c in checked.constants.items() if c.overridden}
    spec = explicit.load(path, pinned)
    cands = candidates(checked)
    n_all = len(cands)
    allowed = _allowed(checked, assumes)
    at = _nearest_allowed({n: v for n, v in spec.constants.items() if n in symbolic}, allowed)
    if at is None:
        return InferResult(n_all, 0, [], False, 0, time.perf_counter() - t0, pinned,
                           "no small constants near the spec's satisfy the assumptions")
    kept = filter_true(path, {**pinned, **at}, cands, explicit)
    while kept is None:  # too many states: shrink the largest constant (within the assumptions)
        smaller: dict[str, Any] | None = None
        cur: dict[str, Any] = at
        for big in sorted((n for n, v in cur.items() if isinstance(v, int) and not isinstance(v, bool) and v > 1),
                          key=lambda n: (-cur[n], n)):
            if allowed({**cur, big: cur[big] - 1}):
                smaller = {**cur, big: cur[big] - 1}
                break
        if smaller is None:
            kept = []
            break
        at = smaller
        kept = filter_true(path, {**pinned, **at}, cands, explicit)
    kept = prune(kept)
    n_true = len(kept)
    consts = {**pinned, **at}
    spec_invs = [(p.name, p.decl.expr) for p in checked.properties
                 if p.kind == "invariant" and p.decl.expr is not None and not p.name.startswith("__assume_")]

    def failed(rounds: int, why: str) -> InferResult:
        return InferResult(n_all, n_true, [], False, rounds, time.perf_counter() - t0, consts, why)
    small = Prover(checked, assumes, timeout_ms, spec_invs, concrete=consts)
    h = Houdini(checked, small)
    h.add([c for c in kept if len(c.lits) == 1])
    pool = [c for c in kept if len(c.lits) > 1]
    checked_small = _checked_at(checked, consts)
    rounds = 0
    while True:
        rounds += 1
        alive, cti = h.run(set(range(len(h.clauses))), deadline)
        if h.gave_up:
            return failed(rounds, h.gave_up)
        if cti is None:
            break
        # clauses that block the CTI, and the steps that killed candidates on the way (a helper
        # of the helpers): the simplest first (fewer quantified names, no set member, a guard)
        added: set[Clause] = set()
        new: list[Clause] = []
        for m, limit in [(cti[0], BATCH)] + [(m, KILL_BATCH) for m in h.kills]:
            pre = read_state(h.z3, m, small.pre, checked_small)
            blocked = set(true_in(checked_small, [pre], pool))
            more = sorted((c for c in pool if c not in blocked and c not in added), key=_simplicity)[:limit]
            added.update(more)
            new += more
        if not new:
            return failed(rounds, "no template clause true at the small constants blocks the CTI there")
        pool = [c for c in pool if c not in added]
        h.add(new)
    helpers = unimplied([h.clauses[k] for k in sorted(h.core(alive))])
    # for every size: drop the helpers z3 refutes until nothing changes
    while time.perf_counter() < deadline:
        rounds += 1
        invs = spec_invs + [(f"helper{k}", builder(checked, c)) for k, c in enumerate(helpers)]
        obs = Prover(checked, assumes, timeout_ms, invs).run(minimize=False)
        if all(o.status == "proved" for o in obs):
            return InferResult(n_all, n_true, helpers, True, rounds, time.perf_counter() - t0, consts)
        bad = {o.invariant for o in obs if o.status != "proved"}
        if "" in bad or bad & {n for n, _ in spec_invs}:
            if not bad & {f"helper{k}" for k in range(len(helpers))}:
                break
        keep = [c for k, c in enumerate(helpers) if f"helper{k}" not in bad]
        if len(keep) == len(helpers):
            break
        helpers = keep
    return failed(rounds, "the helpers found at the small constants are not inductive for every size"
                  if time.perf_counter() < deadline else "out of --infer-budget")


_OUTCOMES = {"<": {"lt"}, "<=": {"lt", "eq"}, "==": {"eq"}, "!=": {"lt", "gt"}}
_FLIP = {"lt": "gt", "gt": "lt", "eq": "eq"}


def _lit_implies(x: Lit, y: Lit) -> bool:
    """x implies y: the same two terms, and every order of them x allows, y allows."""
    if (x.a, x.b) == (y.a, y.b):
        return _OUTCOMES[x.op] <= _OUTCOMES[y.op]
    if (x.a, x.b) == (y.b, y.a):
        return {_FLIP[o] for o in _OUTCOMES[x.op]} <= _OUTCOMES[y.op]
    return False


def _implies(c: Clause, d: Clause) -> bool:
    """c implies d, syntactically: the same quantifiers, c unguarded or guarded alike, and each
    literal of c implies one of d's."""
    if (c.machine, c.key_type, c.set_var, c.indexed) != (d.machine, d.key_type, d.set_var, d.indexed):
        return False
    if c.guard and c.guard != d.guard:
        return False
    return all(any(_lit_implies(x, y) for y in d.lits) for x in c.lits)


def unimplied(clauses: list[Clause]) -> list[Clause]:
    """The clauses without those another one implies (their conjunction is the same formula, so
    it stays inductive), in their order: fewer helpers to read and paste."""
    strongest = sorted(range(len(clauses)), key=lambda k: (len(clauses[k].lits), clauses[k].guard != "", k))
    keep: list[int] = []
    for k in strongest:
        if not any(_implies(clauses[j], clauses[k]) for j in keep):
            keep = [j for j in keep if not _implies(clauses[k], clauses[j])] + [k]
    return [clauses[k] for k in sorted(keep)]


def _allowed(checked: CheckedSpec, assumes: list[Any]) -> Any:
    """Whether values of the symbolic constants satisfy their facts and the assumptions: the
    small constants must, or the explicit search would keep clauses of states the proof excludes
    (and drop clauses the protocol needs, from states past a violation)."""
    from .translate import Translator
    tr = Translator(checked, assumes)
    z3 = tr.z3
    ax = z3.And(*tr.axioms)

    def ok(values: dict[str, Any]) -> bool:
        subst = [(tr.consts[n], z3.BoolVal(v) if isinstance(v, bool) else z3.IntVal(v))
                 for n, v in values.items() if n in tr.consts]
        return bool(z3.is_true(z3.simplify(z3.substitute(ax, *subst))))
    return ok


def _nearest_allowed(at: dict[str, Any], allowed: Any) -> dict[str, Any] | None:
    """The spec's own constants when allowed, else the allowed point nearest to them (each int
    constant within 3 of its value, not negative): the fewest changes, then the smallest values."""
    if allowed(at):
        return at
    names = sorted(at)
    doms = [[at[n]] if isinstance(at[n], bool) or not isinstance(at[n], int) else
            list(range(max(0, at[n] - 3), at[n] + 4)) for n in names]
    best = None
    for combo in itertools.product(*doms):
        values = dict(zip(names, combo))
        key = (sum(abs(v - at[n]) for n, v in values.items() if not isinstance(v, bool)), combo)
        if (best is None or key < best[0]) and allowed(values):
            best = (key, values)
    return None if best is None else best[1]


def _simplicity(c: Clause) -> tuple:
    names = bool(c.machine and c.indexed) + bool(c.key_type) + bool(c.set_var)
    return (names, bool(c.set_var), c.guard == "")


def _checked_at(checked: CheckedSpec, consts: dict[str, Any]) -> CheckedSpec:
    from ..lang.resolve import check_spec
    return check_spec(checked.spec, checked.source, consts)
