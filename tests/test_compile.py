"""Compiled models on toy specs whose state spaces are small enough to count by hand (Stateright's
test_util style): exact state and transition counts, a BFS discovery order, model errors,
deadlocks, `reachable` witnesses and search limits."""

from __future__ import annotations

import pytest

from checker.engine.explore import Limits, explore
from checker.engine.store import ExactStore


def counts(result) -> tuple[int, int]:
    return result.stats.states, result.stats.transitions


# ------------------------------------------------------------------------- exact state counts

COUNTER = """protocol Counter
const N = 5
var x: 0..N = 0
machine M { state s { on inc when x < N { x := x + 1 } } }
invariant bounded: x <= N
"""


@pytest.mark.parametrize("n", [0, 1, 5, 9])
def test_counter(toy_check, n):
    r = toy_check(COUNTER, {"N": n})
    assert r.verdict == "holds" and r.exit_code == 0
    assert counts(r) == (n + 1, n)
    assert r.stats.depth == n


def test_two_independent_counters_give_the_product(toy_check):
    text = """protocol Two
const N = 3
const K = 4
var a: 0..N
var b: 0..K
machine A { state s { on inc when a < N { a := a + 1 } } }
machine B { state s { on inc when b < K { b := b + 1 } } }
"""
    r = toy_check(text)
    assert counts(r) == (4 * 5, 3 * 5 + 4 * 4)
    assert r.stats.depth == 3 + 4


@pytest.mark.parametrize("n", [1, 3, 5])
def test_set_filled_element_by_element(toy_check, n):
    text = f"""protocol Fill
var s: set[0..{n - 1}]
machine M {{ state s {{ on add(i: 0..{n - 1}) when i not in s {{ s.add(i) }} }} }}
reachable full: len(s) == {n}
"""
    r = toy_check(text)
    assert counts(r) == (2 ** n, n * 2 ** (n - 1))  # every subset; each misses n - |S| elements
    assert r.prop("full").status == "witnessed" and r.prop("full").trace.length == n


def test_bounded_channel_producer_consumer(toy_check):
    text = """protocol Chan
var q: chan[0..1, 2]
machine P { state s { on put(v: 0..1) when len(q) < 2 { send v to q } } }
machine C { state s { on get recv m from q { skip } } }
"""
    r = toy_check(text)
    # contents: <>, <0>, <1>, and the 4 sequences of length 2; puts from the 3 shorter ones (x2
    # values), a get from each of the 6 non-empty ones
    assert counts(r) == (1 + 2 + 4, 3 * 2 + 6)


def test_channel_is_fifo(toy_check):
    text = """protocol Fifo
var q: chan[0..3, 3]
var got: 0..3 = 0
var sent: 0..3 = 0
machine P { state s { on put when sent < 3 { sent := sent + 1; send sent to q } } }
machine C { state s { on get recv m from q { assert m == got + 1; got := m } } }
invariant order: got <= sent
"""
    r = toy_check(text)
    assert r.verdict == "holds" and r.model_error is None
    # (sent, got) with got <= sent: the queue holds got+1..sent
    assert r.stats.states == 10


def test_choose_with_where(toy_check):
    text = """protocol Choose
var x: 0..3
machine M { state s { on pick { choose v in 0..3 where v != x; x := v } } }
"""
    assert counts(toy_check(text)) == (4, 4 * 3)


def test_choose_over_a_set_variable_and_nested_chooses(toy_check):
    text = """protocol Nested
var s: set[0..2] = {0, 2}
var a: 0..2
var b: 0..2
machine M { state s { on t { choose i in s; choose j in s where j >= i; a := i; b := j } } }
"""
    r = toy_check(text)
    # pairs (i, j) from {0, 2} with j >= i: (0,0) (0,2) (2,2), plus the initial (0, 0)
    assert counts(r) == (3, 3 * 3)


def test_parameters(toy_check):
    text = """protocol Params
var x: 0..2
var y: 0..3
machine M { state s { on set(v: 0..2, w in {0, 2}) { x := v; y := w } } }
"""
    assert counts(toy_check(text)) == (3 * 2, 6 * 6)


def test_if_elif_else(toy_check):
    text = """protocol Branches
var x: 0..5
machine M { state s { on step {
  if x < 2 { x := x + 2 } elif x < 4 { x := x + 1 } else { x := 0 }
} } }
"""
    r = toy_check(text)
    assert counts(r) == (4, 4)  # 0 -> 2 -> 3 -> 4 -> 0


def test_records(toy_check):
    text = """protocol Rec
type R = record { a: 0..2, b: bool }
var r: R
machine M { state s {
  on inc when r.a < 2 { r.a := r.a + 1 }
  on flip { r.b := not r.b }
  on reset when r == {b = true, a = 2} { r := {a = 0, b = false} }
} }
"""
    assert counts(toy_check(text)) == (3 * 2, 4 + 6 + 1)


def test_maps_with_dynamic_keys(toy_check):
    text = """protocol Maps
var m: map[0..2, 0..1]
machine M {
  var i: 0..2
  state s {
    on write { m[i] := 1 }
    on next when i < 2 { i := i + 1 }
  }
}
"""
    r = toy_check(text)
    # with the cursor at i, m is any subset of {0..i}: 2 + 4 + 8 states; write fires everywhere
    assert counts(r) == (2 + 4 + 8, 14 + (2 + 4))


def test_at_another_machines_control_state(toy_check):
    text = """protocol At
machine A {
  state idle { on go { skip } -> busy }
  state busy { on back { skip } -> idle }
}
machine B {
  state wait { on go when A at busy { skip } -> done }
  final state done { }
}
"""
    assert counts(toy_check(text)) == (4, 4 + 1)


def test_another_instances_locals_in_an_invariant(toy_check):
    text = """protocol Peers
machine W[2] {
  var v: 0..2
  state s { on inc when v < 2 { v := v + 1 } }
}
invariant close: W[0].v <= W[1].v + 1
"""
    r = toy_check(text)
    assert r.verdict == "violated"
    p = r.prop("close")
    assert p.status == "violated" and p.trace.length == 2
    assert p.trace.last_state["W[0].v"] == 2 and p.trace.last_state["W[1].v"] == 0
    full = toy_check(text.replace("W[0].v <= W[1].v + 1", "W[0].v <= 2"))
    assert counts(full) == (9, 2 * 3 * 2)


def test_enums(toy_check):
    text = """protocol Colors
var c: enum { red, green, blue }
machine M { state s { on next {
  c := if c == red then green else if c == green then blue else red
} } }
reachable blue_seen: c == blue
"""
    r = toy_check(text)
    assert counts(r) == (3, 3)
    assert r.prop("blue_seen").trace.length == 2


def test_self_gives_each_instance_its_own_code(toy_check):
    text = """protocol Self
machine W[3] { state s { on claim when not owner[self] { owner[self] := true } } }
var owner: map[W, bool]
reachable all: forall i in W: owner[i]
"""
    r = toy_check(text)
    assert counts(r) == (8, 3 * 4)
    assert r.prop("all").trace.length == 3


def test_control_states_and_instances(toy_check):
    text = """protocol Phases
machine M[2] {
  init state a { on t { skip } -> b }
  state b { on t { skip } -> c }
  final state c { }
}
deadlock_free d
"""
    r = toy_check(text)
    assert counts(r) == (9, 2 * 6)  # each instance a -> b -> c, independently
    assert r.verdict == "holds"


def test_bfs_discovery_order():
    from checker import api
    spec = api.load_text("""protocol Order
var a: 0..1
var b: 0..2
machine A { state s { on inc when a < 1 { a := a + 1 } } }
machine B { state s { on inc when b < 2 { b := b + 1 } } }
""")
    store = ExactStore()
    result = explore(spec.model, store=store)
    order = [(spec.model.decode(s)["a"], spec.model.decode(s)["b"]) for s in store._parent]
    # level by level; within a level, A's transition before B's (declaration order)
    assert order == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]
    assert result.complete and result.stop_reason == "done"
    parents = {spec.model.decode(s)["b"] * 2 + spec.model.decode(s)["a"]: p for s, p in store._parent.items()}
    assert parents[0] is None


# -------------------------------------------------------------------------------- model errors


@pytest.mark.parametrize("body, message, line", [
    ("var x: 0..3\nmachine M { state s { on inc { x := x + 1 } } }\n",
     "value 4 is outside the type of x (0..3)", 3),
    ("var m: map[0..1, bool]\nvar i: 0..3\n"
     "machine M { state s { on inc when i < 3 { i := i + 1 } on w { m[i] := true } } }\n",
     "key 2 is outside the map's key type", 4),
    ("var q: chan[bool, 2]\nmachine M { state s { on put { send true to q } } }\n",
     "send to a full channel (capacity 2)", 3),
    ("var x: 0..3 = 3\nvar y: 0..3\nmachine M { state s { on d { y := 2 / (x - 1) ; x := x - 1 } } }\n",
     "division by zero", 4),
    ("var x: 0..3\nmachine M { state s { on inc when x < 3 { x := x + 1; assert x != 2 } } }\n",
     "assertion failed", 3),
])
def test_model_errors(toy_check, body, message, line):
    r = toy_check("protocol Bad\n" + body)
    assert r.verdict == "violated" and r.exit_code == 1
    me = r.model_error
    assert me is not None and message in me.message, me.message
    assert me.line == line
    # the trace ends with the step that fails: it has no resulting state
    fail = me.trace.failing_step
    assert fail is not None and fail.line == line and fail.index == me.trace.length + 1
    assert r.counterexample is me.trace


def test_model_error_trace_is_a_shortest_one(toy_check):
    r = toy_check("protocol Bad\nvar x: 0..3\nmachine M { state s { on inc { x := x + 1 } } }\n")
    me = r.model_error
    assert me.trace.length == 3 and me.trace.last_state["x"] == 3
    assert [s.transition for s in me.trace.steps[1:]] == ["inc"] * 3
    assert me.trace.failing_step.transition == "inc"


# ------------------------------------------------------------------------------------ deadlock

DEADLOCK = """protocol Stop
var x: 0..2
machine M {
  state run { on inc when x < 2 { x := x + 1 } on stop when x == 2 { skip } -> halt }
  {flag}state halt { }
}
deadlock_free no_deadlock
"""


def test_deadlock_without_final_states(toy_check):
    r = toy_check(DEADLOCK.replace("{flag}", ""))
    assert r.verdict == "violated" and r.exit_code == 1
    p = r.prop("no_deadlock")
    assert p.status == "violated" and p.trace.length == 3
    assert p.trace.last_state["M.state"] == "halt"


def test_final_states_are_not_deadlocks(toy_check):
    r = toy_check(DEADLOCK.replace("{flag}", "final "))
    assert r.verdict == "holds" and r.prop("no_deadlock").status == "holds"
    assert counts(r) == (4, 3)


def test_no_deadlock_check_without_the_property(toy_check):
    r = toy_check(DEADLOCK.replace("{flag}", "").replace("deadlock_free no_deadlock\n", ""))
    assert r.verdict == "holds" and r.properties == []


# ----------------------------------------------------------------------------------- reachable


def test_reachable_witness_is_shortest(toy_check):
    r = toy_check("""protocol Reach
var x: 0..9
machine M { state s {
  on slow when x < 9 { x := x + 1 }
  on jump when x == 0 { x := 5 }
} }
reachable six: x == 6
reachable never: x == 0 and x == 1
""")
    six = r.prop("six")
    assert six.status == "witnessed" and six.trace.length == 2  # jump, then slow
    assert [s.transition for s in six.trace.steps[1:]] == ["jump", "slow"]
    assert r.prop("never").status == "unreachable"
    assert r.verdict == "violated" and r.exit_code == 1  # a vacuous `reachable` fails the check


def test_reachable_all_witnessed_holds(toy_check):
    r = toy_check(COUNTER + "reachable top: x == N\n")
    assert r.verdict == "holds" and r.prop("top").status == "witnessed"


# -------------------------------------------------------------------------------------- limits


BIG = """protocol Big
var a: 0..40
var b: 0..40
machine A { state s { on inc when a < 40 { a := a + 1 } } }
machine B { state s { on inc when b < 40 { b := b + 1 } } }
invariant fine: a + b >= 0
"""


def test_max_states_is_incomplete(toy_check):
    r = toy_check(BIG, limits=Limits(max_states=100))
    assert r.verdict == "incomplete" and r.exit_code == 4 and r.stop_reason == "max_states"
    assert 100 <= r.stats.states < 100 + 3
    assert r.prop("fine").status == "unknown"


def test_max_depth_is_incomplete(toy_check):
    r = toy_check(BIG, limits=Limits(max_depth=5))
    assert r.verdict == "incomplete" and r.exit_code == 4 and r.stop_reason == "max_depth"
    assert r.stats.states == sum(d + 1 for d in range(6))  # diagonals a + b <= 5


def test_max_depth_beyond_the_space_is_complete(toy_check):
    r = toy_check(COUNTER, limits=Limits(max_depth=50))
    assert r.verdict == "holds" and r.stop_reason == "done"


def test_timeout_is_incomplete(toy_check):
    r = toy_check(BIG, limits=Limits(timeout=1e-6))
    assert r.verdict == "incomplete" and r.exit_code == 4 and r.stop_reason == "timeout"
    assert r.stats.states < 41 * 41


def test_a_violation_found_before_a_limit_is_reported(toy_check):
    r = toy_check(BIG.replace("a + b >= 0", "a + b < 3"), limits=Limits(max_states=1000))
    assert r.verdict == "violated" and r.prop("fine").trace.length == 3


def test_keys_of_single_valued_maps_are_still_checked(toy_check):
    # a map whose values have one possible value takes no bits; reading it must still check the key
    r = toy_check("""protocol W0
var m: map[0..1, 1..1] = 1
var k: 0..3
machine M { state s { on inc when k < 3 { k := k + 1 } } }
invariant ok: m[k] == 1
""")
    assert r.model_error is not None and r.model_error.message == "key 2 is outside the map's key type 0..1"
    assert r.model_error.line == 5 and r.model_error.trace.length == 2


def test_instance_indices_of_stateless_machines_are_still_checked(toy_check):
    r = toy_check("""protocol I0
var k: 0..3
machine W[2] { state s { on t { skip } } }
machine M { state s { on inc when k < 3 { k := k + 1 } } }
invariant ok: W[k] at s
""")
    assert r.model_error is not None and "instance index 2" in r.model_error.message


@pytest.mark.parametrize("body", [
    "on a { x := m[m[0] + 1] }",  # the key m[0] + 1 can only be 1, but m[0] itself is a model error
    "on a when m[min(max(m[0], 1), 2)] == 0 { x := 1 }",
    "on a { m[m[0] + 1] := 0 }",
    "on a when M[m[3]] at s { x := 1 }",
    "on a { if forall k in m[0]..1: k >= 0 { x := 1 } }",
    "on a { choose v in m[0]..1; x := v }",
    "on a(v in m[0]..1) { x := v }",
])
def test_keys_the_compiler_folds_are_still_checked(toy_check, body):
    # before the fix the first five compiled to code without the read of m[0]: HOLDS, not VIOLATED
    r = toy_check("protocol F\nvar m: map[1..2, 0..0]\nvar x: 0..1\n"
                  f"machine M[2] {{ state s {{ {body} }} }}\n")
    assert r.verdict == "violated" and r.model_error is not None
    assert r.model_error.message.startswith("key ") and "outside the map's key type 1..2" in r.model_error.message
