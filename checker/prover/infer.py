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


def houdini(prover_factory: Any, clauses: list[Clause], spec_invs: list[tuple[str, Any]], checked: CheckedSpec,
            deadline: float) -> tuple[list[Clause], bool, int]:
    """The largest inductive subset of the candidates plus the spec's invariants."""
    from .induction import Prover
    cands = list(clauses)
    rounds = 0
    spec_alive = True
    while True:
        rounds += 1
        invs = [(f"cand{k}", builder(checked, c)) for k, c in enumerate(cands)] + list(spec_invs)
        p: Prover = prover_factory(invs)
        z3 = p.z3
        n = len(cands)
        dead: set[int] = set()
        # initiation
        s = p.solver()
        s.add(p.axioms, p.init)
        for k in range(len(invs)):
            v, err = p.inv(invs[k][1], p.init_state)
            s.push()
            s.add(z3.Or(z3.Not(v), err))
            if s.check() != z3.unsat:
                dead.add(k)
            s.pop()
        if not dead:
            hyp = [p.axioms, p.types] + [p.holds(k) for k in range(len(invs))]
            for a in p.acts:
                if time.perf_counter() > deadline:
                    return cands, False, rounds
                s = p.solver()
                s.add(*hyp, a.enabled)
                r = s.check(a.error)
                if r != z3.unsat:
                    return cands, False, rounds  # a transition may fail: nothing is proved
                s.add(z3.Not(a.error))
                posts = [p.inv(invs[k][1], a.post) for k in range(len(invs))]
                while True:
                    alive = [k for k in range(len(invs)) if k not in dead]
                    if not alive:
                        break
                    s.push()
                    s.add(z3.Or(*[z3.Or(z3.Not(posts[k][0]), posts[k][1]) for k in alive]))
                    r = s.check()
                    if r == z3.unsat:
                        s.pop()
                        break
                    if r != z3.sat:
                        s.pop()
                        for k in alive:  # unknown: test one by one
                            s.push()
                            s.add(z3.Or(z3.Not(posts[k][0]), posts[k][1]))
                            if s.check() != z3.unsat:
                                dead.add(k)
                            s.pop()
                        break
                    m = s.model()
                    killed = [k for k in alive if z3.is_false(m.eval(z3.And(posts[k][0], z3.Not(posts[k][1])),
                                                                          model_completion=True))]
                    s.pop()
                    if not killed:
                        # the model does not pin the quantified facts down: test one by one
                        for k in alive:
                            s.push()
                            s.add(z3.Or(z3.Not(posts[k][0]), posts[k][1]))
                            if s.check() != z3.unsat:
                                dead.add(k)
                            s.pop()
                        break
                    dead.update(killed)
                if dead:
                    break
        if not dead:
            return cands, spec_alive and bool(spec_invs), rounds
        if any(k >= n for k in dead):
            spec_alive = False
        cands = [c for k, c in enumerate(cands) if k not in dead]
        spec_invs = [x for k, x in enumerate(spec_invs) if n + k not in dead]
        if time.perf_counter() > deadline:
            return cands, False, rounds


def infer(path: str, checked: CheckedSpec, assumes: list[Any], symbolic: list[str], timeout_ms: int,
          explicit: Explicit, budget: float = 120.0) -> InferResult:
    """Houdini over the one-literal candidates; while a spec invariant has a CTI, add the
    two-literal candidates that the CTI's pre-state violates (they would block it) and repeat."""
    from .induction import Prover
    t0 = time.perf_counter()
    deadline = t0 + budget
    pinned = {n: c.value for n, c in checked.constants.items() if c.overridden}
    spec = explicit.load(path, pinned)
    cands = candidates(checked)
    n_all = len(cands)
    at = {n: v for n, v in spec.constants.items() if n in symbolic}
    kept = filter_true(path, {**pinned, **at}, cands, explicit)
    while kept is None:  # too many states: shrink the largest constant and try again
        big = max((n for n, v in at.items() if isinstance(v, int) and not isinstance(v, bool) and v > 1),
                  key=lambda n: at[n], default=None)
        if big is None:
            kept = []
            break
        at[big] -= 1
        kept = filter_true(path, {**pinned, **at}, cands, explicit)
    kept = prune(kept)
    n_true = len(kept)
    spec_invs = [(p.name, p.decl.expr) for p in checked.properties
                 if p.kind == "invariant" and p.decl.expr is not None and not p.name.startswith("__assume_")]
    spec_names = {n for n, _ in spec_invs}

    consts = {**pinned, **at}

    def concrete(invs: list) -> Prover:
        return Prover(checked, assumes, timeout_ms, invs, concrete=consts)

    def symbolic_(invs: list) -> Prover:
        return Prover(checked, assumes, timeout_ms, invs)
    active = [c for c in kept if len(c.lits) == 1]
    pool = [c for c in kept if len(c.lits) > 1]
    rounds = 0
    while time.perf_counter() < deadline:
        # Houdini at the small constants first (quantifier-free queries), then for every size
        final, _, r = houdini(concrete, active, [], checked, deadline)
        rounds += r
        final, proved, r = houdini(symbolic_, final, spec_invs, checked, deadline)
        rounds += r
        if proved:
            return InferResult(n_all, n_true, final, True, rounds, time.perf_counter() - t0, consts)
        # a CTI of a spec invariant relative to the survivors, at the small constants
        p = concrete([(f"cand{k}", builder(checked, c)) for k, c in enumerate(final)] + spec_invs)
        cti = None
        for ob, hyp, goal, act in p.obligations():
            if ob.invariant in spec_names or ob.kind == "no_error":
                p._solve(ob, hyp + [goal], act, p.pre if act is not None else p.init_state, True)
                if ob.cti is not None:
                    cti = ob.cti
                    break
        if cti is None:
            break
        blocked = set(true_in(spec.checked if not at else _checked_at(checked, consts), [cti.pre], pool))
        # the simplest blocking clauses first: fewer quantified names, no set member, a guard
        new = sorted((c for c in pool if c not in blocked), key=_simplicity)[:BATCH]
        if not new:
            break
        pool = [c for c in pool if c in blocked or c not in new]
        # a candidate killed before may be inductive together with the new ones: give it another go
        ones = [c for c in kept if len(c.lits) == 1 and c not in final]
        active = final + ones + new
    return InferResult(n_all, n_true, [], False, rounds, time.perf_counter() - t0, {**pinned, **at})


def _simplicity(c: Clause) -> tuple:
    names = bool(c.machine and c.indexed) + bool(c.key_type) + bool(c.set_var)
    return (names, bool(c.set_var), c.guard == "")


def _checked_at(checked: CheckedSpec, consts: dict[str, Any]) -> CheckedSpec:
    from ..lang.resolve import check_spec
    return check_spec(checked.spec, checked.source, consts)
