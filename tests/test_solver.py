"""The z3 commutation prover: what it proves, what it refuses, and that every proof holds on the
concrete reachable states of generated protocols (a(b(s)) == b(a(s)), no enabling/disabling)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from checker import api
from checker.engine.explore import explore
from checker.engine.model import ModelError
from checker.prover.commute import CommutationProver
from checker.reduce.footprint import action_footprints, conflicts
from tests.test_reductions import reduction_protocols

SET_INSERTS = """
protocol Inserts
var s: set[0..3] = {}
var n: 0..3 = 0
machine W[3] {
  state a { on put { s.add(self) } -> b }
  state b { on fin when n < 3 { n := n + 1 } -> c }
  final state c { }
}
invariant ok: n <= 3
reachable all_done: n == 3
"""


def _pair(spec, name_a: str, name_b: str) -> tuple[int, int]:
    acts = spec.model.actions
    find = lambda n: next(i for i, a in enumerate(acts) if f"{a.instance_name}.{a.transition.name}" == n)
    return find(name_a), find(name_b)


def test_set_inserts_from_different_instances_commute() -> None:
    spec = api.load_text(SET_INSERTS)
    prover = CommutationProver(spec.checked, spec.model)
    assert prover.commute(*_pair(spec, "W[0].put", "W[1].put"))


def test_bounded_increments_do_not_commute() -> None:
    spec = api.load_text(SET_INSERTS)
    prover = CommutationProver(spec.checked, spec.model)
    assert not prover.commute(*_pair(spec, "W[0].fin", "W[1].fin"))


def test_solver_enables_partial_order_reduction() -> None:
    spec = api.load_text(SET_INSERTS)
    with_z3 = api.check(spec, symmetry=False)
    without = api.check(spec, symmetry=False, solver=False)
    full = api.check(spec, symmetry=False, por=False)
    assert without.stats.states == full.stats.states == 27
    assert with_z3.stats.states == 11
    assert with_z3.verdict == full.verdict == "holds"


def test_writes_of_different_values_to_one_entry_do_not_commute() -> None:
    spec = api.load_text("""
protocol Entries
var m: map[0..1, 0..2] = 0
machine W[2] {
  state a { on set(k: 0..1) { m[k] := self + 1 } -> b }
  final state b { }
}
invariant ok: true
""")
    prover = CommutationProver(spec.checked, spec.model)
    assert not prover.commute(*_pair(spec, "W[0].set", "W[1].set"))


def test_channels_are_not_translated() -> None:
    spec = api.load_text("""
protocol Chan
var q: chan[0..1, 2]
machine P[2] {
  state a { on put when len(q) < 2 { send 1 to q } -> b }
  final state b { }
}
invariant ok: true
""")
    prover = CommutationProver(spec.checked, spec.model)
    assert not prover.commute(*_pair(spec, "P[0].put", "P[1].put"))


def _fires(model, aid: int, s):
    """Successors of s through action aid only (all bindings)."""
    try:
        return {t for lab, t in model.labeled_successors(s) if lab.action == aid}, False
    except ModelError:
        return set(), True


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(reduction_protocols())
def test_every_commutation_proof_holds_on_reachable_states(text: str) -> None:
    spec = api.load_text(text)
    model = spec.model
    prover = CommutationProver(spec.checked, model)
    fps = action_footprints(spec.checked, model.actions)
    owner = [(a.machine.name, a.instance) for a in model.actions]
    proven = [(a, b) for a in range(len(fps)) for b in range(a + 1, len(fps))
              if owner[a] != owner[b] and conflicts(fps[a], fps[b]) and prover.commute(a, b)]
    if not proven:
        return
    states = list(explore(model).store._parent)  # full, unreduced reachable set
    for a, b in proven:
        for s in states:
            ta, err_a = _fires(model, a, s)
            tb, err_b = _fires(model, b, s)
            if err_a or err_b or not ta or not tb:
                continue
            ab = set().union(*(_fires(model, b, t)[0] for t in ta))
            ba = set().union(*(_fires(model, a, t)[0] for t in tb))
            assert ab == ba, f"{model.actions[a].transition.name} and {model.actions[b].transition.name} do not commute"


# ------------------------------------------- proofs against the compiled code, model errors too


def _reachable_tolerant(model, bound: int) -> list:
    """Reachable states, exploring on past model errors (the transitions that fail are skipped)."""
    seen = set(model.initial_states())
    order = list(seen)
    k = 0
    while k < len(order) and len(order) < bound:
        succ, _ = model.tolerant_successors(order[k])
        k += 1
        for _, t in succ:
            if t not in seen:
                seen.add(t)
                order.append(t)
    return order


def _outcome(model, s) -> tuple[dict, set]:
    succ, errs = model.tolerant_successors(s)
    by: dict[int, set] = {}
    for lab, t in succ:
        by.setdefault(lab.action, set()).add(t)
    return by, {e.label.action for e in errs if e.label is not None}


def test_commutation_proofs_hold_on_the_compiled_code_with_model_errors() -> None:
    """For every pair z3 proves independent in generated POR protocols (tests/genspec.py), on
    every reachable state (explored on past model errors): when one fires without error, the
    other fails afterwards exactly when it failed before, and when neither fails both orders
    reach the same states."""
    from tests.genspec import por_protocol
    checked_pairs = 0
    for seed in range(30):
        spec = api.load_text(por_protocol(seed))
        model = spec.model
        prover = CommutationProver(spec.checked, model)
        fps = action_footprints(spec.checked, model.actions)
        owner = [(a.machine.name, a.instance) for a in model.actions]
        proven = [(a, b) for a in range(len(fps)) for b in range(len(fps))
                  if a != b and owner[a] != owner[b] and conflicts(fps[a], fps[b]) and prover.commute(a, b)]
        if not proven:
            continue
        memo: dict = {}

        def out(s):
            if s not in memo:
                memo[s] = _outcome(model, s)
            return memo[s]
        for s in _reachable_tolerant(model, 1500):
            by, errs = out(s)
            for a, b in proven:
                if a in errs or not by.get(a):
                    continue
                checked_pairs += 1
                name = f"seed {seed}: {model.actions[a].instance_name}.{model.actions[a].transition.name} || " \
                       f"{model.actions[b].instance_name}.{model.actions[b].transition.name}"
                for t in by[a]:
                    assert (b in out(t)[1]) == (b in errs), f"{name}: firing the first changes whether the second fails"
                    if b not in errs:
                        assert bool(out(t)[0].get(b)) == bool(by.get(b)), f"{name}: enables or disables"
                if b in errs or not by.get(b):
                    continue
                ab = set().union(*(out(t)[0].get(b, set()) for t in by[a]))
                ba = set().union(*(out(u)[0].get(a, set()) for u in by[b]))
                assert not any(a in out(u)[1] for u in by[b]), f"{name}: the first fails after the second"
                assert ab == ba, f"{name}: the two orders end in different states"
    assert checked_pairs > 0


def test_the_compiled_code_check_catches_a_z3_executor_without_error_terms(monkeypatch) -> None:
    import checker.prover.commute as solver
    monkeypatch.setattr(solver._Exec, "fail", lambda self, cond, kind: None)
    with pytest.raises(AssertionError, match="fails"):
        test_commutation_proofs_hold_on_the_compiled_code_with_model_errors()
