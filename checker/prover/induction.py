"""Inductive invariants: the proof obligations, their z3 queries, and minimized CTIs.

As in mypyvy's ``check_init`` / ``check_transitions``, the conjunction Inv of the spec's
invariants is inductive when

* **initiation**: the initial state satisfies each invariant (one query per invariant);
* **consecution**: for each transition t and invariant j, no state satisfying the types, the
  constants' facts and Inv has a t-successor violating j (one query per pair);
* **no model error**: for each transition t, no state satisfying Inv lets t fail (a value
  outside its type, ...): explicit search would stop there, so a proof must exclude it.

Each query answers *proved* (unsat), *cti* (sat: a counterexample to induction, whose model is
read back as concrete constants, a pre-state, a binding and a post-state, then minimized: the
smallest constants first, then the smallest values) or *unknown* (solver timeout).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..lang import ast
from ..lang.symbols import CheckedSpec
from ..lang.types import BoolT, EnumT, MapT, RangeT, RecordT, SetT, Type
from .translate import Action, Ctx, Translator


@dataclass
class Cti:
    """A counterexample to induction, as concrete values (user values, display names)."""

    constants: dict[str, Any]  # the free symbolic constants' values
    pre: dict[str, Any]  # display name -> value, in the layout of the spec at these constants
    post: dict[str, Any] | None  # None for initiation
    machine: str = ""
    instance: int = 0
    transition: str = ""
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Obligation:
    kind: str  # initiation, consecution, no_error
    invariant: str  # "" for no_error
    transition: str  # "" for initiation
    line: int
    status: str = "unknown"  # proved, cti, unknown
    cti: Cti | None = None
    seconds: float = 0.0
    reason: str = ""

    @property
    def title(self) -> str:
        if self.kind == "initiation":
            return f"initiation of {self.invariant}"
        if self.kind == "no_error":
            return f"{self.transition} never fails"
        return f"{self.transition} preserves {self.invariant}"


@dataclass
class ProofResult:
    symbolic: list[str]
    pinned: dict[str, Any]
    assumptions: list[str]
    obligations: list[Obligation]
    seconds: float = 0.0

    @property
    def proved(self) -> bool:
        return all(o.status == "proved" for o in self.obligations)

    @property
    def first_cti(self) -> Obligation | None:
        return next((o for o in self.obligations if o.status == "cti"), None)


MAX_SMALL = 24  # constant assignments small_cti tries per obligation


class Prover:
    """The translated spec and the shared pieces of every query."""

    def __init__(self, checked: CheckedSpec, assumes: list[ast.Expr] | None = None,
                 timeout_ms: int = 10000, invariants: list[tuple[str, ast.Expr]] | None = None,
                 concrete: dict[str, Any] | None = None):
        self.assumes = assumes
        self.tr = Translator(checked, assumes, concrete)
        self.z3 = self.tr.z3
        self.c = checked
        self.timeout_ms = timeout_ms
        if invariants is None:
            invariants = [(p.name, p.decl.expr) for p in checked.properties
                          if p.kind == "invariant" and p.decl.expr is not None]
        self.invariants = invariants
        self.pre = self.tr.new_state("")
        self.init_state = self.tr.new_state("init.")
        self.init = self.tr.init_fact(self.init_state)  # fills tr.init_axioms
        self.axioms = self.z3.And(*self.tr.axioms, *self.tr.init_axioms)
        self.types = self.tr.types_fact(self.pre)
        self.inv_pre = [self.inv(e, self.pre) for _, e in invariants]
        self.acts: list[Action] = self.tr.actions(self.pre)

    def vacuous(self) -> str | None:
        """Why no value of the constants is allowed at all (a proof would then be vacuous), or None."""
        z3 = self.z3
        s = self.solver()
        s.add(*self.tr.axioms)
        if s.check() == z3.unsat:
            return "no value of the constants satisfies their declared types and the assumptions"
        s.add(*self.tr.init_axioms)
        if s.check() == z3.unsat:
            return "no value of the constants gives an initial state whose values fit their types"
        return None

    def inv(self, e: Any, state: dict[str, Any]) -> tuple[Any, Any]:
        """(value, error) of an invariant: a spec expression, or a builder (translator, state) -> pair
        (the candidates of `--infer`)."""
        if callable(e):
            return e(self.tr, state)
        return self.tr.expr(e, Ctx(state))

    def holds(self, k: int) -> Any:
        v, err = self.inv_pre[k]
        return self.z3.And(v, self.z3.Not(err))

    def solver(self) -> Any:
        s = self.z3.Solver()
        s.set("timeout", self.timeout_ms)
        return s

    # -------------------------------------------------------------------------------- queries
    def obligations(self, only: list[int] | None = None) -> list[tuple[Obligation, list, Any, Any]]:
        """(obligation, hypotheses, goal, action) for every obligation, in a fixed order."""
        z3 = self.z3
        ks = list(range(len(self.invariants))) if only is None else only
        out: list[tuple[Obligation, list[Any], Any, Any]] = []
        for k in ks:
            name, e = self.invariants[k]
            v, err = self.inv(e, self.init_state)
            out.append((Obligation("initiation", name, "", _line(e)), [self.axioms, self.init],
                        z3.Or(z3.Not(v), err), None))
        hyp = [self.axioms, self.types] + [self.holds(k) for k in ks]
        for a in self.acts:
            out.append((Obligation("no_error", "", a.name, a.info.decl.span.line), hyp + [a.enabled], a.error, a))
            for k in ks:
                name, e = self.invariants[k]
                v, err = self.inv(e, a.post)
                out.append((Obligation("consecution", name, a.name, a.info.decl.span.line),
                            hyp + [a.enabled, z3.Not(a.error)], z3.Or(z3.Not(v), err), a))
        return out

    def run(self, only: list[int] | None = None, minimize: bool = True, cti_budget: float = 2.0) -> list[Obligation]:
        """Discharge every obligation; look for a small CTI where one is not proved."""
        out = []
        full = self.timeout_ms
        for idx, (ob, hyp, goal, act) in enumerate(self.obligations(only)):
            state = self.pre if act is not None else self.init_state
            # proofs come fast; a satisfiable query with quantifiers can be slow: first a short try,
            # then small concrete constants (quantifier-free), then the full budget
            self.timeout_ms = min(full, 250)
            self._solve(ob, hyp + [goal], act, state, False)
            self.timeout_ms = full
            if ob.status != "proved" and minimize:
                small = self.small_cti(idx, only, cti_budget)
                if small is not None:
                    ob.status, ob.cti, ob.reason = "cti", small, ""
            if ob.status == "unknown" and full > 1000:
                self._solve(ob, hyp + [goal], act, state, False)
            out.append(ob)
        return out

    def small_cti(self, idx: int, only: list[int] | None, budget: float) -> Cti | None:
        """A CTI of obligation idx at the smallest constants found, by quantifier-free queries.

        At most MAX_SMALL valid constant assignments are tried (a count, so the answer does not
        depend on the machine's load); `budget` seconds is only a safety net, five times over."""
        z3 = self.z3
        deadline = time.perf_counter() + 5 * budget
        tried = 0
        names = self.tr.symbolic
        if not names:
            return None
        doms = [[False, True] if z3.is_bool(self.tr.consts[n]) else list(range(-2, 6)) for n in names]
        import itertools
        combos = sorted(itertools.product(*doms), key=lambda c: (sum(abs(int(x)) for x in c), c))
        ax = z3.And(*self.tr.axioms)
        for combo in combos:
            if time.perf_counter() > deadline:
                return None
            subst = [(self.tr.consts[n], z3.BoolVal(v) if isinstance(v, bool) else z3.IntVal(v))
                     for n, v in zip(names, combo)]
            if z3.is_false(z3.simplify(z3.substitute(ax, *subst))):
                continue
            cache = self.__dict__.setdefault("_concrete", {})
            if combo not in cache:
                try:
                    cache[combo] = Prover(self.c, self.assumes, 1000, self.invariants, dict(zip(names, combo)))
                except Exception:
                    cache[combo] = None
            p = cache[combo]
            if p is None:
                continue
            tried += 1
            if tried > MAX_SMALL:
                return None
            ob, hyp, goal, act = p.obligations(only)[idx]
            p._solve(ob, hyp + [goal], act, p.pre if act is not None else p.init_state, True)
            if ob.status == "cti":
                return ob.cti
        return None

    def _solve(self, ob: Obligation, facts: list, act: Action | None, state: dict[str, Any],
               minimize: bool, s: Any = None) -> None:
        z3 = self.z3
        t0 = time.perf_counter()
        if s is None:
            s = self.solver()
        s.add(*facts)
        r = s.check()
        if r == z3.unsat:
            ob.status = "proved"
        elif r == z3.sat:
            ob.status = "cti"
            m = s.model()
            if minimize:
                self._minimize(s, state)
            try:
                ob.cti = self.read_cti(m, act, state)
            except Exception:
                ob.cti, self._min_model = None, None
                ob.reason = "a CTI exists, but not at constants papcheck can show"
        else:
            ob.status = "unknown"
            ob.reason = s.reason_unknown()
        ob.seconds = time.perf_counter() - t0

    # --------------------------------------------------------------------------- minimization
    def _minimize(self, s: Any, state: dict[str, Any], budget: float = 0.6) -> None:
        """Smallest constants (in declaration order), then the smallest scalar values."""
        z3 = self.z3
        deadline = time.perf_counter() + budget
        m = s.model()
        s.push()
        s.set("timeout", 300)
        try:
            for name in self.tr.symbolic:
                m = self._lower(s, self.tr.consts[name], m, deadline)
            for key, term in state.items():
                if key.startswith("v:") and term.sort() == z3.IntSort():
                    m = self._lower(s, term, m, deadline)
                elif key.startswith("l:") and term.sort().range() == z3.IntSort():
                    n = m.eval(self.tr.counts[key.split(":")[1]], model_completion=True).as_long()
                    for i in range(min(n, 8)):
                        m = self._lower(s, term[i], m, deadline)
        finally:
            s.set("timeout", self.timeout_ms)
            s.pop()
        self._min_model = m

    def _lower(self, s: Any, x: Any, m: Any, deadline: float) -> Any:
        """Lower x as far as the budget allows; pin it there; the model that has it."""
        z3 = self.z3
        boolean = z3.is_bool(x)
        while time.perf_counter() < deadline:
            cur = m.eval(x, model_completion=True)
            if boolean and z3.is_false(cur):
                break
            s.push()
            s.add(z3.Not(x) if boolean else x < cur.as_long())
            r = s.check()
            if r != z3.sat:
                s.pop()
                break
            m = s.model()
            s.pop()
        s.add(x == m.eval(x, model_completion=True))
        return m

    # ----------------------------------------------------------------------------- read back
    def constants_of(self, m: Any) -> dict[str, Any]:
        z3 = self.z3
        out: dict[str, Any] = {}
        for name in self.tr.symbolic:
            v = m.eval(self.tr.consts[name], model_completion=True)
            out[name] = z3.is_true(v) if z3.is_bool(v) else v.as_long()
        return out

    def read_cti(self, m: Any, act: Action | None, state: dict[str, Any]) -> Cti:
        m = getattr(self, "_min_model", None) or m
        self._min_model = None
        consts = self.constants_of(m)
        if any(not isinstance(v, bool) and abs(v) > 64 for v in consts.values()):
            raise ValueError("constants too large to show")
        checked = self.checked_at(consts)
        pre = read_state(self.z3, m, state, checked)
        if act is None:
            return Cti(consts, pre, None)
        post = read_state(self.z3, m, act.post, checked)
        inst = m.eval(act.self_term, model_completion=True).as_long()
        args = {}
        for b, x in act.params + act.chooses:
            args[b.name] = user_value(self.z3, m.eval(x, model_completion=True), b.type)
        return Cti(consts, pre, post, act.machine.name, inst, act.info.name, args)

    def checked_at(self, consts: dict[str, Any]) -> CheckedSpec:
        """The spec resolved at concrete constants (for the types of the state's values)."""
        from ..lang.resolve import check_spec
        overrides = {n: c.value for n, c in self.c.constants.items() if c.overridden}
        overrides.update(consts)
        return check_spec(self.c.spec, self.c.source, overrides)


def read_state(z3: Any, m: Any, state: dict[str, Any], checked: CheckedSpec) -> dict[str, Any]:
    """Display name -> user value of a symbolic state in a model, at the model's constants."""
    out: dict[str, Any] = {}
    for v in checked.shared:
        out[v.name] = user_value(z3, m.eval(state[f"v:{v.name}"], model_completion=True), v.type, m)
    for mach in checked.machines:
        for i in range(mach.count):
            pc = m.eval(state[f"pc:{mach.name}"][i], model_completion=True).as_long()
            out[f"{mach.instance_name(i)}.state"] = mach.states[pc].name if 0 <= pc < len(mach.states) else f"?{pc}"
            for v in mach.locals:
                term = m.eval(state[f"l:{mach.name}:{v.name}"][i], model_completion=True)
                out[f"{mach.instance_name(i)}.{v.name}"] = user_value(z3, term, v.type, m)
    return out


def _enc(z3: Any, v: Any, t: Type) -> Any:
    if isinstance(t, BoolT):
        return z3.BoolVal(v)
    if isinstance(t, EnumT):
        return z3.IntVal(t.members.index(v))
    return z3.IntVal(v)


def user_value(z3: Any, term: Any, t: Type, m: Any = None) -> Any:
    """A z3 value of type t as the user value traces show."""
    def ev(x: Any) -> Any:
        return m.eval(x, model_completion=True) if m is not None else z3.simplify(x)
    term = ev(term)
    if isinstance(t, BoolT):
        return z3.is_true(term)
    if isinstance(t, EnumT):
        i = term.as_long()
        return t.members[i] if 0 <= i < len(t.members) else i
    if isinstance(t, SetT):
        return frozenset(x for x in t.elem.values() if z3.is_true(ev(term[_enc(z3, x, t.elem)])))  # type: ignore[attr-defined]
    if isinstance(t, MapT):
        return tuple((k, user_value(z3, term[_enc(z3, k, t.key)], t.value, m)) for k in t.key.values())  # type: ignore[attr-defined]
    if isinstance(t, RecordT):
        return tuple((f, user_value(z3, term.sort().accessor(0, i)(term), ft, m)) for i, (f, ft) in enumerate(t.fields))
    if isinstance(t, RangeT) or True:
        return term.as_long()


def _line(e: Any) -> int:
    span = getattr(e, "span", None)
    return span.line if span is not None else 0
