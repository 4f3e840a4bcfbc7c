"""A CTI judged by explicit search at its constants, and shown in `check`'s trace style.

* **reachable**: `check` at the CTI's constants finds a violation (a real bug): its shortest
  counterexample is printed exactly as `check` prints it;
* **unreachable**: `check` at those constants holds, so no reachable state is the CTI's
  pre-state (a reachable pre-state would give a reachable violation).  The invariant is too weak;
  papcheck names a small clause of the pre-state that no reachable state has (greedy: the
  pre-state's facts that rule out the most reachable states), a hint for a helper invariant.

Nothing here imports z3: it works on the CTI's concrete values through :mod:`checker.api`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import api
from ..engine.explore import Limits
from ..engine.model import Label
from ..lang.types import format_value
from ..prover.induction import Cti, Obligation
from ..views.report import _change_lines, _state_lines

MAX_STATES = 300_000


@dataclass
class Verdict:
    kind: str  # reachable, unreachable, unclassified
    result: Any = None  # the CheckResult at the CTI's constants
    clause: list[tuple[str, Any]] | None = None
    note: str = ""
    clause_text: list[str] | None = None  # the clause's facts as traces show them


_LOADED: dict[tuple, api.Spec] = {}


def load_at(path: str, pinned: dict[str, Any], cti: Cti) -> api.Spec:
    """The spec compiled at the CTI's constants (once per process and constants)."""
    consts = {**pinned, **cti.constants}
    key = (path, tuple(sorted(consts.items())))
    if key not in _LOADED:
        _LOADED[key] = api.load(path, consts)
    return _LOADED[key]


def cti_lines(spec: api.Spec, ob: Obligation) -> list[str]:
    """The CTI as a two-state trace: the pre-state in full, the step, what changed, what broke."""
    cti = ob.cti
    assert cti is not None
    model = spec.model
    types = model.slot_types()
    consts = ", ".join(f"{k} = {format_value(v)}" for k, v in cti.constants.items())
    out = [f"  counterexample to induction at {consts or 'the pinned constants'}:"]
    if cti.post is None:
        out.append("    0  initial state")
        out.extend("         " + x for x in _state_lines(cti.pre, types))
    else:
        out.append("    0  a state satisfying every invariant (not necessarily reachable)")
        out.extend("         " + x for x in _state_lines(cti.pre, types))
        m = next(m for m in spec.checked.machines if m.name == cti.machine)
        args = "(" + ", ".join(f"{k}={format_value(v)}" for k, v in cti.args.items()) + ")" if cti.args else ""
        fails = "   <-- fails here" if ob.kind == "no_error" else ""
        out.append(f"    1  {m.instance_name(cti.instance)} {cti.transition}{args}  line {ob.line}{fails}")
        for k in (cti.post if not fails else []):
            if cti.post[k] != cti.pre[k]:
                out.extend("         " + x for x in _change_lines(k, cti.pre[k], cti.post[k], types.get(k)))
    if ob.kind == "no_error":
        out.append("  the step fails with a model error (a value outside its type, a key outside its map, ...)")
    else:
        why = ""
        prop = next((p for p in spec.checked.properties if p.name == ob.invariant), None)
        final = cti.post if cti.post is not None else cti.pre
        if prop is not None and prop.decl.expr is not None:
            from ..engine.trace import explain_failure
            try:
                why = explain_failure(model, prop.decl.expr, final)
            except Exception:
                why = ""
        out.append(f"  {ob.invariant} fails" + (f" {why}" if why else ""))
    return out


def explicit_step_agrees(spec: api.Spec, cti: Cti, fails: bool = False) -> bool:
    """Does the explicit successor function take the CTI's pre-state to its post-state (or, for
    a failing step, does some transition of that instance fail there)?"""
    if cti.post is None:
        return True
    lay = spec.model.layout
    pre, post = lay.encode(cti.pre), lay.encode(cti.post)
    succ, errs = spec.model.tolerant_successors(pre)
    if fails:
        return bool(errs)
    return any(t == post for _, t in succ)


def classify(path: str, pinned: dict[str, Any], cti: Cti, timeout: float | None = 60.0,
             prefer: set[str] | None = None) -> Verdict:
    spec = load_at(path, pinned, cti)
    cache = spec.__dict__.setdefault("_check", {})
    if "r" not in cache:  # one explicit search per constants, however many CTIs sit there
        cache["r"] = api.check(spec, limits=Limits(max_states=MAX_STATES, timeout=timeout))
    result = cache["r"]
    if result.verdict == "violated" and (result.model_error is not None or any(
            p.status == "violated" for p in result.properties)):
        return Verdict("reachable", result)
    if result.verdict == "incomplete" or not result.search or not result.search.complete:
        return Verdict("unclassified", result, note=f"the explicit search stopped ({result.stop_reason})")
    clause = unreachable_clause(spec, cti.pre, prefer or set())
    types = spec.model.slot_types()
    text = [f"{k} = {format_value(v, types.get(k))}" for k, v in clause] if clause else None
    return Verdict("unreachable", result, clause=clause, clause_text=text)


def reachable_states(spec: api.Spec, limit: int = MAX_STATES) -> list[dict[str, Any]] | None:
    cache = spec.__dict__.setdefault("_reachable", {})
    if "r" not in cache:
        cache["r"] = _reachable_states(spec, limit)
    return cache["r"]


def _reachable_states(spec: api.Spec, limit: int) -> list[dict[str, Any]] | None:
    model = spec.model
    seen = set(model.initial_states())
    frontier = list(seen)
    while frontier:
        nxt = []
        for s in frontier:
            for t in model.successors(s):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
                    if len(seen) > limit:
                        return None
        frontier = nxt
    return [model.decode(s) for s in seen]


def unreachable_clause(spec: api.Spec, pre: dict[str, Any], prefer: set[str] = frozenset()  # type: ignore[assignment]
                       ) -> list[tuple[str, Any]] | None:
    """A few facts `name = value` of the pre-state that no reachable state has together: the
    facts of the variables in `prefer` (those the broken invariant reads) first, if they suffice."""
    states = reachable_states(spec)
    if states is None:
        return None
    preferred = [(k, v) for k, v in pre.items() if k.rsplit(".", 1)[-1] in prefer]
    if preferred:
        found = _greedy(preferred, states)
        if found is not None:
            return found
    return _greedy(list(pre.items()), states)


def _greedy(facts: list[tuple[str, Any]], states: list[dict[str, Any]]) -> list[tuple[str, Any]] | None:
    left = states
    chosen: list[tuple[str, Any]] = []
    while left:
        best = max(facts, key=lambda f: sum(1 for s in left if s[f[0]] != f[1]))
        killed = [s for s in left if s[best[0]] != best[1]]
        if not killed:
            return None  # these facts alone hold in some reachable state
        chosen.append(best)
        left = [s for s in left if s[best[0]] == best[1]]
    return chosen


def label_of(spec: api.Spec, cti: Cti) -> Label | None:
    lay = spec.model.layout
    pre, post = lay.encode(cti.pre), lay.encode(cti.post or cti.pre)
    succ, _ = spec.model.tolerant_successors(pre)
    return next((lab for lab, t in succ if t == post), None)
