"""Generated protocols (tests/genspec.py): the compiled model against an independent oracle.

* The compiled invariant and `reachable` functions agree, on every reachable state, with the
  interpreter (checker.lang.evaluate) evaluating the properties' ASTs on the decoded state.
* Decoding then encoding a state gives it back.
* A BFS counterexample is as short as the shallowest violating state found by a separate
  level-by-level search; DFS reaches the same verdict, and the same state and transition counts
  when the space is explored completely.

The default runs are small (the suite stays fast); the `slow` variants run many more examples.
Every run draws the same protocols (`derandomize`) and never shrinks, so CI is deterministic and
its time bounded: a failure prints the protocol it drew, unshrunk.  To hunt for new failures, set
PAPCHECK_FUZZ=1: the draws are then random (`--hypothesis-seed=N` picks them), failures shrink and
land in the example database, e.g.

    PAPCHECK_FUZZ=1 python -m pytest tests/test_generated.py -k many --hypothesis-seed=7
"""

from __future__ import annotations

import math
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from checker import api
from checker.engine.model import ModelError
from checker.engine.trace import state_view
from checker.lang.evaluate import EvalError, Evaluator
from checker.lang.types import BoolT, ChanT, EnumT, MapT, RangeT, RecordT, SetT
from tests.genspec import protocols

if os.environ.get("PAPCHECK_FUZZ"):
    MODE = settings(deadline=None, suppress_health_check=list(HealthCheck))
else:  # CI: the same examples every run, no database, no shrinking
    MODE = settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                    database=None, phases=(Phase.explicit, Phase.generate))
QUICK = settings(MODE, max_examples=12)
MANY = settings(MODE, max_examples=300)


def levels(model) -> tuple[dict, bool]:
    """Every reachable state with its BFS depth (plain loop over model.successors); a state whose
    successors raise a model error is kept but not expanded.  Also says whether one did."""
    depth = {s: 0 for s in model.initial_states()}
    frontier = list(depth)
    errored = False
    while frontier:
        nxt = []
        for s in frontier:
            try:
                succ = model.successors(s)
            except ModelError:
                errored = True
                continue
            for t in succ:
                if t not in depth:
                    depth[t] = depth[s] + 1
                    nxt.append(t)
        frontier = nxt
    return depth, errored


def compiled_outcome(fn, s) -> Any:
    try:
        return fn(s)
    except ModelError:
        return "error"


def interpreted_invariants(spec: api.Spec, values: dict) -> Any:
    """Index of the first invariant false in the state, -1, or "error" (as the compiled inv())."""
    ev = Evaluator(spec.checked, state_view(spec.model, values))
    for i, p in enumerate(spec.checked.properties):
        if p.kind != "invariant":
            continue
        try:
            if not ev.eval(p.decl.expr, {}):
                return i
        except EvalError:
            return "error"
    return -1


def interpreted_witnesses(spec: api.Spec, values: dict) -> Any:
    ev = Evaluator(spec.checked, state_view(spec.model, values))
    bits = 0
    for i, p in enumerate(spec.checked.properties):
        if p.kind != "reachable":
            continue
        try:
            if ev.eval(p.decl.expr, {}):
                bits |= 1 << i
        except EvalError:
            return "error"
    return bits


def check_against_oracle(text: str, safe: bool = False) -> None:
    spec = api.load_text(text, "gen.pap")
    model = spec.model
    depth, errored = levels(model)
    if safe:
        # genspec's promise without model_errors: no transition raises, and the state space is
        # bounded by the product of the variables' domains
        assert not errored, text
        assert len(depth) <= space(spec) <= 1 << 15, text
    for s in depth:
        values = model.decode(s)
        assert model.layout.encode(values) == s
        inv, reach = compiled_outcome(model.violated_invariant, s), compiled_outcome(model.witnesses, s)
        assert inv == interpreted_invariants(spec, values), f"invariants disagree on {values}\n{text}"
        assert reach == interpreted_witnesses(spec, values), f"reachables disagree on {values}\n{text}"
        assert not (safe and "error" in (inv, reach)), text


def check_search(text: str) -> None:
    spec = api.load_text(text, "gen.pap")
    bfs = api.check(spec, por=False, symmetry=False)
    dfs = api.check(spec, por=False, symmetry=False, strategy="dfs")
    assert bfs.verdict == dfs.verdict, text
    if bfs.stop_reason == "done":
        # nothing stopped either search early: both saw the whole reachable space
        assert (bfs.stats.states, bfs.stats.transitions) == (dfs.stats.states, dfs.stats.transitions)
        assert [p.status for p in bfs.properties] == [p.status for p in dfs.properties]
    depth, errored = levels(spec.model)
    if bfs.stop_reason == "done":
        assert bfs.stats.states == len(depth)
    inv = {s: compiled_outcome(spec.model.violated_invariant, s) for s in depth}
    bad = [d for s, d in depth.items() if inv[s] != "error" and inv[s] >= 0]
    violated = [p for p in bfs.properties if p.kind == "invariant" and p.status == "violated"]
    if violated:
        # BFS reports the shallowest violation
        assert violated[0].trace.length == min(bad), text
    elif bfs.model_error is None and not any(p.kind == "deadlock_free" for p in bfs.properties):
        assert not bad, text  # with neither a model error nor a deadlock to stop it, BFS saw them all
    for i, p in enumerate(bfs.properties):
        if p.status == "witnessed":
            hits = [d for s, d in depth.items()
                    if compiled_outcome(spec.model.witnesses, s) not in ("error", 0)
                    and spec.model.witnesses(s) >> i & 1]
            assert p.trace.length == min(hits), text


def size(t) -> int:
    if isinstance(t, BoolT):
        return 2
    if isinstance(t, (RangeT, EnumT)):
        return t.size
    if isinstance(t, SetT):
        return 2 ** size(t.elem)
    if isinstance(t, MapT):
        return size(t.value) ** size(t.key)
    if isinstance(t, RecordT):
        return math.prod(size(ft) for _, ft in t.fields)
    assert isinstance(t, ChanT)
    return sum(size(t.elem) ** i for i in range(t.capacity + 1))


def space(spec: api.Spec) -> int:
    """The product of every variable's and control state's number of values."""
    n = math.prod(size(v.type) for v in spec.checked.shared)
    for m in spec.checked.machines:
        n *= (len(m.states) * math.prod(size(v.type) for v in m.locals)) ** m.count
    return n


# The shrunk example hypothesis found (the compiled model folded a key whose value the interval
# analysis pinned to one value, `min(max(x5[0], 1), 2)` is always 1, and so dropped the read of
# `x5[0]`, whose key 0 is outside 1..2: the interpreter reports the model error the docs promise),
# then the same fault through every other place where the compiler folds or short-circuits.
MINIMAL = """protocol P8
machine M0[3] {
  var x4: set[bool]
  var x5: map[1..2, 0..0]
  final state s0 {
  }
}
reachable reach0: ((0 == M0[0].x5[min(max(M0[0].x5[0], 1), 2)]) in M0[0].x4)
"""

FOLDED = "protocol P\ntype T = 0..0\ntype E = enum {{ a, b }}\nvar m: map[1..2, T]\nvar e: map[1..2, E]\n" \
         "machine M[2] {{ var x: 0..1\n final state s {{}} }}\n{prop}\n"


@pytest.mark.parametrize("text", [MINIMAL] + [FOLDED.format(prop=p) for p in [
    "invariant i: m[m[0] + 1] == 0",  # a map key pinned to one value
    "invariant i: m[min(max(m[0], 1), 2)] == 0",
    "invariant i: M[m[3]].x == 0",  # an instance index pinned to one value
    "invariant i: M[m[3] * 0] at s",
    "invariant i: m[0] in T",  # membership decided by the element's type
    "invariant i: e[0] in E",
    "invariant i: m[0] in M",
    "invariant i: m[0] in 0..0",
    "invariant i: not (0 in 1..m[0])",  # a range membership decided by its lower bound
    "invariant i: forall k in m[0]..1: k >= 0",  # a quantifier unrolled over a constant range
    "reachable r: exists k in 0..m[3]: k == 0",
    "invariant i: forall k in m[M[0].x * 3]..1: k >= 0",  # a checked bound (was a SyntaxError)
]], ids=lambda text: text.splitlines()[-1])
def test_folded_expressions_keep_their_model_errors(text):
    check_against_oracle(text)


# A quantifier stops at its first deciding value, so the order it visits a set decides whether
# the model error in its body is raised: both sides visit enum members in declaration order (the
# interpreter used to sort set and literal domains by member name).
ORDERED = "protocol P\ntype E = enum {{ b, a }}\nvar m: map[1..2, 0..0]\nvar s: set[E] = {{a, b}}\n" \
          "machine M {{ final state s0 {{}} }}\ninvariant i: exists e in {dom}: (if e == {first} then true else m[0] == 0)\n"


@pytest.mark.parametrize("dom", ["{a, b}", "s", "E"])
@pytest.mark.parametrize("first", ["a", "b"])
def test_quantifiers_visit_enum_members_in_declaration_order(dom, first):
    check_against_oracle(ORDERED.format(dom=dom, first=first))


@QUICK
@given(protocols())
def test_compiled_properties_agree_with_the_interpreter(text):
    check_against_oracle(text, safe=True)


@QUICK
@given(protocols(model_errors=True))
def test_compiled_properties_agree_with_the_interpreter_with_model_errors(text):
    check_against_oracle(text)


@QUICK
@given(protocols())
def test_bfs_and_dfs_agree_and_bfs_is_shortest(text):
    check_search(text)


@pytest.mark.slow
@MANY
@given(protocols())
def test_many_generated_protocols_against_the_oracle(text):
    check_against_oracle(text, safe=True)
    check_search(text)


@pytest.mark.slow
@MANY
@given(protocols(model_errors=True))
def test_many_generated_protocols_with_model_errors(text):
    check_against_oracle(text)
    check_search(text)
