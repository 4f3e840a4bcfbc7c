"""Recoverability and liveness (checker/liveness.py): exact verdicts and counterexamples.

* Hand-built toy graphs (a Model written in Python, as the explorer tests do): cycles, DAG joins,
  self-loops, traps, dead ends, fair and unfair cycles, each with its exact verdict, lasso and
  trap.
* Random small graphs (hypothesis) against a brute-force oracle that works from the definition
  (every strongly connected SET of states, not only maximal components), and every lasso checked
  to be a real, fair run that violates the property.
* The incident specs: dynamodb_dns_recovery.pap is not recoverable (the trace into the trap and
  the trap itself), the compare-and-set fix and the operator are; fairness changes the verdict.
* Golden text and JSON for a lasso and a trap (tests/golden/liveness/), and the plain invariant
  path staying untouched (no graph is built for specs without liveness properties).

Regenerate the goldens with PAPCHECK_UPDATE_GOLDEN=1 and read the diff before committing.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker import api
from checker.analysis.liveness import Graph, LiveProperty, analyse, build_graph
from checker.engine.explore import Limits
from checker.engine.model import Label
from checker.lang.errors import SpecError
from checker.views import report

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "liveness"
UPDATE = os.environ.get("PAPCHECK_UPDATE_GOLDEN") == "1"


# ------------------------------------------------------------------------------- toy models


class Toy:
    """A model given as a table: state -> [(action id, successor), ...], in model order."""

    properties: list = []

    def __init__(self, edges: dict[int, list[tuple[int, int]]], init: tuple[int, ...] = (0,)):
        self.edges = edges
        self.init = init

    def initial_states(self) -> list[int]:
        return list(self.init)

    def labeled_successors(self, s: int) -> list[tuple[Label, int]]:
        return [(Label(a), t) for a, t in self.edges.get(s, [])]

    def successors(self, s: int) -> list[int]:
        return [t for _, t in self.edges.get(s, [])]

    def violated_invariant(self, s: int) -> int:
        return -1

    def witnesses(self, s: int) -> int:
        return 0

    def is_final(self, s: int) -> bool:
        return True


def judge(edges, kind: str, p, q=None, fair=(), init=(0,)):
    graph = build_graph(Toy(edges, init))
    prop = LiveProperty(kind, "prop", lambda s: s in p, (lambda s: s in q) if q is not None else None)
    return graph, analyse(graph, [prop], fair)[0]


def states_of(graph: Graph, nodes: list[int]) -> list[int]:
    return [graph.states[v] for v in nodes]


# ---- recoverable


def test_graph_is_bfs_ordered_with_every_edge() -> None:
    g = build_graph(Toy({0: [(0, 1), (1, 2)], 1: [(2, 3)], 2: [(3, 3), (4, 0)], 3: []}))
    assert g.states == [0, 1, 2, 3] and g.complete and g.transitions == 5
    assert g.parent == [-1, 0, 0, 1]
    assert [[(lab.action, w) for lab, w in out] for out in g.edges] == [[(0, 1), (1, 2)], [(2, 3)],
                                                                        [(3, 3), (4, 0)], []]


def test_recoverable_dag_join_holds() -> None:
    #   0 -> 1 -> 3,  0 -> 2 -> 3: every state reaches 3
    _, v = judge({0: [(0, 1), (1, 2)], 1: [(2, 3)], 2: [(3, 3)]}, "recoverable", {3})
    assert v.status == "holds"


def test_recoverable_dag_join_trap() -> None:
    # P = {1}: 2 and the join 3 can never reach 1; 2 comes first in BFS order
    g, v = judge({0: [(0, 1), (1, 2)], 1: [(2, 3)], 2: [(3, 3)]}, "recoverable", {1})
    assert v.status == "violated"
    assert states_of(g, v.nodes) == [0, 2] and [lab.action for lab in v.labels] == [1]
    assert states_of(g, v.trap.nodes) == [2, 3]
    assert (v.trap.stuck, v.trap.actions, v.trap.terminal, v.trap.p_anywhere) == (2, [3], 1, True)


def test_recoverable_cycle_then_trap_with_self_loop() -> None:
    # 0 <-> 1, 1 -> 2, 2 loops on itself: 2 can never return to 0
    g, v = judge({0: [(0, 1)], 1: [(1, 0), (2, 2)], 2: [(3, 2)]}, "recoverable", {0})
    assert v.status == "violated"
    assert states_of(g, v.nodes) == [0, 1, 2]
    assert (states_of(g, v.trap.nodes), v.trap.stuck, v.trap.actions, v.trap.terminal) == ([2], 1, [3], 0)


def test_recoverable_cycle_holds_and_ignores_fairness() -> None:
    edges = {0: [(0, 1)], 1: [(1, 2)], 2: [(2, 0), (3, 2)]}
    assert judge(edges, "recoverable", {0})[1].status == "holds"
    assert judge(edges, "recoverable", {0}, fair={3})[1].status == "holds"


def test_recoverable_property_nowhere_true() -> None:
    g, v = judge({0: [(0, 1)], 1: []}, "recoverable", set())
    assert v.status == "violated" and v.nodes == [0]
    assert (v.trap.stuck, v.trap.p_anywhere, states_of(g, v.trap.nodes)) == (2, False, [0, 1])


# ---- eventually, always_eventually, leads_to


def test_eventually_self_loop_needs_fairness() -> None:
    # 0 may spin on action 0 for ever; action 1 leads to the goal
    edges = {0: [(0, 0), (1, 1)], 1: []}
    g, v = judge(edges, "eventually", {1})
    assert v.status == "violated"
    assert states_of(g, v.lasso.nodes) == [0, 0] and v.lasso.loop == 0 and not v.lasso.stutter
    assert [lab.action for lab in v.lasso.labels] == [0]
    assert judge(edges, "eventually", {1}, fair={1})[1].status == "holds"  # 1 always enabled: taken
    assert judge(edges, "eventually", {1}, fair={0})[1].status == "violated"  # the spin is fair


def test_eventually_weak_fairness_does_not_force_intermittent_actions() -> None:
    # 0 -a-> 1 -c-> 0 cycle; b leads to the goal but only from 0: it is disabled at 1, so weak
    # fairness allows the cycle for ever (strong fairness would not)
    edges = {0: [(0, 1), (1, 2)], 1: [(2, 0)], 2: []}
    g, v = judge(edges, "eventually", {2}, fair={0, 1, 2})
    assert v.status == "violated"
    assert states_of(g, v.lasso.nodes) == [0, 1, 0] and v.lasso.loop == 0


def test_eventually_dead_end_stutters() -> None:
    g, v = judge({0: [(0, 1), (1, 2)], 1: [(2, 3)], 2: []}, "eventually", {3}, fair={0, 1, 2})
    assert v.status == "violated"
    assert v.lasso.stutter and states_of(g, v.lasso.nodes) == [0, 2] and v.lasso.loop == 1


def test_eventually_holds_when_the_start_satisfies_it() -> None:
    assert judge({0: [(0, 0)]}, "eventually", {0})[1].status == "holds"


def test_eventually_fair_cycle_found_behind_unfair_one() -> None:
    # component {1,2}: action 5 enabled at both, never taken inside -> unfair; component {3}: fair
    edges = {0: [(0, 1), (1, 3)], 1: [(2, 2), (5, 4)], 2: [(3, 1), (5, 4)], 3: [(4, 3)], 4: []}
    g, v = judge(edges, "eventually", {4}, fair={5})
    assert v.status == "violated" and states_of(g, v.lasso.nodes) == [0, 3, 3]
    assert judge(edges, "eventually", {4, 3}, fair={5})[1].status == "holds"


def test_fair_cycle_takes_every_obligation() -> None:
    # component {0,1,2,3}: fair action 7 is enabled everywhere in it but stays inside only on the
    # far edge 2 -> 3, fair action 8 is enabled everywhere: the cycle must take both; fair action
    # 4 is enabled at 2 only, so the cycle need not take it (it is disabled at 0)
    edges = {0: [(1, 1), (7, 5), (8, 1)], 1: [(2, 2), (7, 5), (8, 2), (3, 0)],
             2: [(7, 3), (8, 2), (4, 1)], 3: [(8, 0), (7, 5)], 5: [(6, 5)], 9: []}
    g, v = judge(edges, "eventually", {9}, fair={4, 7, 8})
    assert v.status == "violated" and v.lasso.loop == 0 and v.lasso.cycle_states == 4
    assert states_of(g, v.lasso.nodes) == [0, 1, 2, 3, 0]
    assert [lab.action for lab in v.lasso.labels] == [8, 2, 7, 8]  # greedy: nearest obligation first


def test_always_eventually() -> None:
    # 0 <-> 1 with a self-loop (action 2) at 1
    edges = {0: [(0, 1)], 1: [(1, 0), (2, 1)]}
    g, v = judge(edges, "always_eventually", {0})
    assert v.status == "violated" and states_of(g, v.lasso.nodes) == [0, 1, 1] and v.lasso.loop == 1
    assert judge(edges, "always_eventually", {0}, fair={1})[1].status == "holds"
    assert judge({0: [(0, 1)], 1: [(1, 0)]}, "always_eventually", {0})[1].status == "holds"


def test_always_eventually_reaches_a_terminal_state() -> None:
    g, v = judge({0: [(0, 1)], 1: [(1, 2)], 2: []}, "always_eventually", {1})
    assert v.status == "violated" and v.lasso.stutter and states_of(g, v.lasso.nodes) == [0, 1, 2]


def test_leads_to() -> None:
    # 0 -> 1 (P) -> 2 -> 3 (Q); 2 may also loop on action 9
    edges = {0: [(0, 1)], 1: [(1, 2)], 2: [(2, 3), (9, 2)], 3: [(3, 0)]}
    g, v = judge(edges, "leads_to", {1}, {3})
    assert v.status == "violated" and v.trigger == 1
    assert states_of(g, v.lasso.nodes) == [0, 1, 2, 2] and v.lasso.loop == 2
    assert judge(edges, "leads_to", {1}, {3}, fair={2})[1].status == "holds"
    assert judge(edges, "leads_to", {3}, {1}, fair={2})[1].status == "holds"  # 3 -> 0 -> 1 always
    assert judge(edges, "leads_to", {5}, {3})[1].status == "holds"  # P never holds: vacuous


def test_leads_to_where_p_and_q_hold_together() -> None:
    edges = {0: [(0, 0)]}
    assert judge(edges, "leads_to", {0}, {0})[1].status == "holds"
    assert judge(edges, "leads_to", {0}, set())[1].status == "violated"


def test_incomplete_graph_gives_unknown() -> None:
    graph = build_graph(Toy({0: [(0, 1)], 1: [(0, 2)], 2: [(0, 3)], 3: []}), Limits(max_states=2))
    assert not graph.complete and graph.stop_reason == "max_states"
    v = analyse(graph, [LiveProperty("eventually", "e", lambda s: s == 3)])[0]
    assert v.status == "unknown" and "incomplete" in v.reason


# ----------------------------------------------------- random graphs against a brute-force oracle


def _reach(edges, sources, allowed) -> set[int]:
    seen = {s for s in sources if allowed(s)}
    todo = list(seen)
    while todo:
        for _, w in edges.get(todo.pop(), []):
            if w not in seen and allowed(w):
                seen.add(w)
                todo.append(w)
    return seen


def _fair_sets(edges, nodes, fair) -> list[frozenset[int]]:
    """Every set of states a fair run can visit infinitely often, inside `nodes`: strongly
    connected through its own edges (or one dead end), each fair action enabled everywhere in it
    taken inside it.  Enumerates all subsets: the definition, not the maximal-component shortcut."""
    out = []
    nodes = sorted(nodes)
    for r in range(1, len(nodes) + 1):
        for sub in itertools.combinations(nodes, r):
            s = frozenset(sub)
            if r == 1 and not edges.get(sub[0]):
                out.append(s)
                continue
            inner = {v: [(a, w) for a, w in edges.get(v, []) if w in s] for v in s}
            if r == 1 and not inner[sub[0]]:
                continue  # one state without a self-loop: no cycle
            if not all(_reach(inner, [v], lambda x: True) >= s for v in s):
                continue
            always = set(fair)
            for v in s:
                always &= {a for a, _ in edges.get(v, [])}
            if always <= {a for v in s for a, _ in inner[v]}:
                out.append(s)
    return out


def oracle(edges, kind, p, q, fair) -> str:
    states = _reach(edges, [0], lambda x: True)
    if kind == "recoverable":
        return "holds" if all(_reach(edges, [v], lambda x: True) & p for v in states) else "violated"
    if kind == "eventually":
        region = _reach(edges, [0], lambda x: x not in p)
        bad = _fair_sets(edges, region, fair)
    elif kind == "always_eventually":
        bad = [s for s in _fair_sets(edges, states - p, fair)]
    else:
        bad = []
        for start in states & p:
            region = _reach(edges, [start], lambda x: x not in q)
            bad += _fair_sets(edges, region, fair)
    return "violated" if bad else "holds"


def check_lasso(edges, kind, p, q, fair, graph: Graph, v) -> None:
    """The lasso is a path of the model, loops where it says, avoids the awaited states on the
    cycle (and before it, for eventually), and is weakly fair."""
    lasso = v.lasso
    nodes = states_of(graph, lasso.nodes)
    assert nodes[0] == 0
    for a, (s, t) in zip(lasso.labels, zip(nodes, nodes[1:])):
        assert (a.action, t) in edges.get(s, [])
    awaited = q if kind == "leads_to" else p
    cycle = nodes[lasso.loop:]
    assert not set(cycle) & awaited
    if kind == "eventually":
        assert not set(nodes) & p
    if kind == "leads_to":
        assert nodes[v.trigger] in p and not set(nodes[v.trigger:]) & q
    if lasso.stutter:
        assert lasso.loop == len(nodes) - 1 and not edges.get(nodes[-1])
        return
    assert nodes[-1] == nodes[lasso.loop] and len(nodes) - 1 > lasso.loop
    taken = {lab.action for lab in lasso.labels[lasso.loop:]}
    for a in fair:
        if all(a in {b for b, _ in edges.get(s, [])} for s in cycle):
            assert a in taken, f"fair action {a} enabled all along the cycle but never taken"


@st.composite
def toy_graphs(draw):
    n = draw(st.integers(1, 6))
    edges = {}
    for s in range(n):
        k = draw(st.integers(0, 3))
        edges[s] = [(draw(st.integers(0, 3)), draw(st.integers(0, n - 1))) for _ in range(k)]
    subset = st.frozensets(st.integers(0, n - 1))
    return edges, draw(subset), draw(subset), draw(st.frozensets(st.integers(0, 3)))


@settings(max_examples=300, deadline=None)
@given(toy_graphs(), st.sampled_from(["recoverable", "eventually", "always_eventually", "leads_to"]))
def test_random_graphs_agree_with_the_definition(g, kind) -> None:
    edges, p, q, fair = g
    graph, v = judge(edges, kind, p, q if kind == "leads_to" else None, fair)
    assert v.status == oracle(edges, kind, p, q, fair)
    if v.status == "violated" and kind != "recoverable":
        check_lasso(edges, kind, p, q, fair, graph, v)
    if v.status == "violated" and kind == "recoverable":
        trap = set(states_of(graph, v.trap.nodes))
        assert not trap & p and _reach(edges, [graph.states[v.trap.entry]], lambda x: True) == trap


# --------------------------------------------------------------------------- the incident specs


@pytest.fixture(scope="module")
def recovery() -> api.CheckResult:
    return api.check(api.load(str(ROOT / "specs" / "dynamodb_dns_recovery.pap")))


def test_incident_is_not_recoverable(recovery) -> None:
    r = recovery
    assert r.verdict == "violated" and r.expectation["met"]
    healthy = r.prop("healthy")
    assert healthy.status == "violated" and healthy.trace.length == 12
    last = healthy.trace.last_state
    assert last["purged"] == frozenset({1, 2}) and dict(last["record"])[0] == 2
    trap = healthy.trap
    assert (trap.entry_step, trap.states, trap.stuck_states) == (12, 23, 392)
    assert ("record[0]", "2") in trap.fixed and ("purged", "{1, 2}") in trap.fixed
    assert "Enactor[0] give_up" in trap.enabled and "Planner publish" in trap.enabled
    assert trap.instances["Enactor[0]"] == ["idle", "applying", "purging"]
    assert r.liveness.complete and r.liveness.reduction == "none"
    assert r.liveness.states == 8814 and r.liveness.fair == ["Planner", "Enactor[0]", "Enactor[1]"]


def test_incident_never_applies_the_newest_plan(recovery) -> None:
    p = recovery.prop("newest_applied")
    assert p.status == "violated" and p.trace.loop == 17 and p.trace.length == 21
    cycle = p.trace.steps[p.trace.loop + 1:]
    assert {s.transition for s in cycle} == {"pick", "give_up"}
    assert p.trace.steps[-1].state == p.trace.steps[p.trace.loop].state


def test_compare_and_set_is_recoverable() -> None:
    r = api.check(api.load(str(ROOT / "specs" / "dynamodb_dns_cas_recovery.pap")))
    assert r.verdict == "holds" and r.expectation["met"]
    assert r.prop("healthy").status == "holds" and r.prop("newest_applied").status == "holds"


def test_operator_restores_recoverability_and_fairness_matters() -> None:
    path = ROOT / "specs" / "dynamodb_dns_operator.pap"
    r = api.check(api.load(str(path)))
    assert r.verdict == "holds" and r.expectation["met"]
    assert [p.status for p in r.properties if p.kind != "reachable"] == ["holds"] * 3
    lazy = path.read_text().replace("fair machine Operator", "machine Operator")
    r = api.check(api.load_text(lazy, "operator_unfair.pap"))
    assert r.prop("healthy").status == "holds"
    assert r.prop("newest_applied").status == "violated" and r.prop("repaired").status == "violated"
    cycle = r.prop("repaired").trace.steps[r.prop("repaired").trace.loop + 1:]
    assert "repair" not in {s.transition for s in cycle}


def test_specs_without_liveness_build_no_graph() -> None:
    r = api.check(api.load(str(ROOT / "specs" / "dynamodb_dns.pap")), por=False, symmetry=False)
    assert r.liveness is None and r.stats.states == 20702


def test_liveness_after_a_safety_violation_and_limits() -> None:
    text = (ROOT / "specs" / "dynamodb_dns_recovery.pap").read_text().replace(
        "## from every reachable state",
        "invariant endpoint_has_ips: forall e in Endpoint: record[e] not in purged\n\n## from every")
    r = api.check(api.load_text(text, "both.pap"))
    assert [p.status for p in r.properties][:3] == ["violated", "violated", "violated"]
    # symmetry brings the safety search under the limit, the unreduced liveness graph is above it
    r = api.check(api.load(str(ROOT / "specs" / "dynamodb_dns_cas_recovery.pap")),
                  limits=Limits(max_states=2500))
    assert r.search.complete and r.stats.states == 1707 and not r.liveness.complete
    assert r.verdict == "incomplete" and r.stop_reason == "max_states"
    assert r.prop("healthy").status == "unknown" and r.prop("cleanup_ran").status == "witnessed"


def test_liveness_properties_are_type_checked() -> None:
    base = "protocol P\nvar x: 0..2 = 0\nmachine M { state s { on step when x < 2 { x := x + 1 } } }\n"
    for prop in ("recoverable r: x", "leads_to l: x == 0 ~> x + 1", "always_eventually a: M"):
        with pytest.raises(SpecError):
            api.load_text(base + prop + "\n")
    spec = api.load_text(base + "eventually e: x == 2\n")
    assert any("declared `fair`" in d.message for d in spec.diagnostics.warnings)
    spec = api.load_text(base.replace("machine M", "fair machine M") + "eventually e: x == 2\n")
    assert not spec.diagnostics.warnings


# ---------------------------------------------------------------------------------- goldens

TOY_SPEC = """protocol Toy
# a worker that may stall for ever (unfair) and a counter that wraps until reset
var x: 0..3 = 0
var stopped: bool = false

machine Worker {
  state run {
    on work when x < 3 { x := x + 1 }
    on stall { skip }
    on stop when x == 3 { stopped := true } -> halted
  }
  state halted {}
}

eventually finished: x == 3
always_eventually at_zero: x == 0
leads_to stops: x == 3 ~> stopped
recoverable restart: x == 0
"""


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {path}; run with PAPCHECK_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def _toy_result() -> api.CheckResult:
    return api.check(api.load_text(TOY_SPEC, "toy.pap"))


def test_golden_text_lasso_and_trap() -> None:
    text = report.render_text(_toy_result())
    # the counterexamples and the property table are this module's; the statistics lines after
    # them belong to the explorer and the reductions
    golden("toy.txt", text[:text.index("\nStates: ")] + "\n")
    assert text == report.render_text(_toy_result())


def test_golden_json_lasso_and_trap() -> None:
    d = report.result_dict(_toy_result(), timing=False)
    golden("toy.json", json.dumps({"properties": d["properties"], "liveness": d["liveness"]},
                                  indent=2, ensure_ascii=False) + "\n")
    loops = {p["name"]: p["trace"].get("loop") for p in d["properties"] if p["trace"]}
    assert loops == {"finished": 0, "at_zero": 1, "stops": 3, "restart": None}


def test_liveness_verdicts_do_not_depend_on_reductions() -> None:
    """Liveness is always decided on the unreduced graph: every reduction flag gives the same
    statuses and the same counterexamples."""
    spec = api.load(str(ROOT / "specs" / "dynamodb_dns_recovery.pap"))
    runs = [api.check(spec, por=por, symmetry=sym) for por, sym in ((True, True), (False, False))]
    for a, b in zip(*(r.properties for r in runs)):
        if a.kind in ("recoverable", "eventually", "always_eventually", "leads_to"):
            assert (a.status, a.trace.loop, a.trace.length) == (b.status, b.trace.loop, b.trace.length)
    assert runs[0].liveness.states == runs[1].liveness.states == 8814
