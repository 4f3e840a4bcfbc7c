"""Which transitions a `recoverable` trap disables only through a bound of the model.

A trap (states from which the property can never hold again) is often an artefact of a bound:
the issuer stops minting because `newest < VERSIONS` is false once `newest == VERSIONS`, and
with a larger constant the protocol would move on.  For each transition that never fires in the
trap although its instance sits in its source state there, this finds a guard conjunct that
says "x has not reached the bound" (`x < N`, `x <= N - 1`, `x != N`, with N made of named
constants) and is false in every such trap state, and reports it with the values it read.  Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine.trace import state_view
from ..lang import ast
from ..lang.evaluate import EvalError, Evaluator
from ..lang.pretty import pretty_expr
from ..lang.types import format_value

SAMPLE = 400  # trap states examined per transition (the verdict is over these)


def _conjuncts(e: ast.Expr) -> list[ast.Expr]:
    if isinstance(e, ast.Binary) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


def _names(e: Any) -> set[str]:
    """Every name an expression mentions."""
    out: set[str] = set()
    if isinstance(e, ast.Name):
        out.add(e.name)
    if hasattr(e, "__dataclass_fields__"):
        for f in e.__dataclass_fields__:
            v = getattr(e, f)
            for x in (v if isinstance(v, tuple) else (v,)):
                if isinstance(x, ast.Expr):
                    out |= _names(x)
    return out


def _is_bound(e: ast.Expr, constants: set[str], params: set[str]) -> bool:
    """`x < N`, `x <= N`, `x != N` (or `N > x`, `N >= x`, `N != x`) with N made of named
    constants and literals only: "x has not reached the bound N"."""
    if not (isinstance(e, ast.Binary) and e.op in ("<", "<=", ">", ">=", "!=")):
        return False
    if _names(e) & params:
        return False

    def const_side(x: ast.Expr) -> bool:
        names = _names(x)
        return bool(names) and names <= constants and not isinstance(x, (ast.Index, ast.Field, ast.At))
    left, right = const_side(e.left), const_side(e.right)
    if left == right:
        return False
    return e.op == "!=" or (right and e.op in ("<", "<=")) or (left and e.op in (">", ">="))


def bound_blocked(model: Any, states: Sequence[int], fired: set[int]) -> list[str]:
    """For the trap `states` (packed) in which the actions `fired` fire, the transitions held
    back by a bound: `Issuer mint: newest < VERSIONS is false (newest = 4, VERSIONS = 4)`."""
    checked = model.checked
    constants = set(checked.constants)
    consts = checked.constant_values()
    out: list[str] = []
    decoded: list[dict[str, Any]] | None = None
    for aid, act in enumerate(model.actions):
        tr = act.transition
        if aid in fired or tr.decl.guard is None:
            continue
        params = {sym.name for sym, _ in tr.params}
        bounds = [c for c in _conjuncts(tr.decl.guard) if _is_bound(c, constants - params, params)]
        if not bounds:
            continue
        if decoded is None:
            decoded = [model.decode(s) for s in states[:SAMPLE]]
        pc = f"{act.instance_name}.state"
        at = [v for v in decoded if v.get(pc) == tr.state.name]
        if not at:
            continue  # the instance never waits there: the guard is not what holds it back
        for c in bounds:
            reads: dict[str, Any] = {}
            try:
                false_everywhere = True
                for values in at:
                    ev = Evaluator(checked, state_view(model, values))
                    ev.on_read = lambda label, v: reads.setdefault(label, v)
                    if ev.eval(c, {}, self_index=act.instance, machine=act.machine):
                        false_everywhere = False
                        break
            except (EvalError, KeyError, TypeError):
                continue
            if false_everywhere:
                shown = [f"{k} = {format_value(v)}" for k, v in reads.items()]
                shown += [f"{n} = {format_value(consts[n])}" for n in sorted(_names(c) & constants)]
                out.append(f"{act.instance_name} {tr.name}: `{pretty_expr(c)}` is false "
                           f"({', '.join(dict.fromkeys(shown))})")
                break
    return out
