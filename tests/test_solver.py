"""The z3 commutation prover: what it proves, what it refuses, and that every proof holds on the
concrete reachable states of generated protocols (a(b(s)) == b(a(s)), no enabling/disabling)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from checker import api
from checker.engine.explore import explore
from checker.reduce.footprint import action_footprints, conflicts
from checker.engine.model import ModelError
from checker.prover.commute import CommutationProver
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
    find = lambda n: next(i for i, a in enumerate(acts) if f"{a.instance_name}.{a.transition.name}" == n)  # noqa: E731
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
