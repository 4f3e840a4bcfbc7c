"""`recoverable` on the symmetry-reduced graph (issue 17, item 2), against the unreduced graph:
same verdicts, same trap entry depth, on generated protocols and on the shipped specs; the
fairness properties stay on the full graph; the cost is said before the graph is built."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import api
from tests.genspec import protocols

SPECS = Path(__file__).resolve().parents[1] / "specs"


def with_recoverables(text: str) -> str:
    """Each generated `reachable NAME: EXPR` also as `recoverable rec_NAME: EXPR`."""
    extra = [f"recoverable rec_{m.group(1)}: {m.group(2)}"
             for m in re.finditer(r"^reachable (\w+): (.*)$", text, re.M)]
    return text + "\n" + "\n".join(extra) + "\n"


def recoverable_answers(result) -> dict:
    return {p.name: (p.status, p.trace.length if p.trace is not None else None)
            for p in result.properties if p.kind == "recoverable"}


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(protocols())
def test_generated_recoverable_reduced_matches_unreduced(text: str) -> None:
    text = with_recoverables(text)
    spec = api.load_text(text, "gen.pap")
    if not any(p.kind == "recoverable" for p in spec.checked.properties):
        return
    full = api.check(spec, symmetry=False, por=False)
    reduced = api.check(spec)
    if full.liveness is None or not full.liveness.complete:
        return
    assert recoverable_answers(reduced) == recoverable_answers(full), text
    if spec.symmetry() is not None:
        assert reduced.liveness.reduction.startswith("symmetry")
        assert reduced.liveness.states <= full.liveness.states


@pytest.mark.parametrize("name,consts", [
    ("dynamodb_dns_recovery", {}),  # with fairness properties: one full graph for all
    ("cert_rotation_fixed", {}), ("cert_rotation_fixed", {"EDGES": 3}),  # recoverable only: reduced
])
def test_shipped_recoverable_reduced_matches_unreduced(name: str, consts: dict) -> None:
    spec = api.load(str(SPECS / f"{name}.pap"), consts)
    full = api.check(spec, symmetry=False)
    reduced = api.check(spec)
    assert recoverable_answers(reduced) == recoverable_answers(full)
    # the fairness properties keep their full-graph verdicts and traces
    for p, q in zip(full.properties, reduced.properties):
        assert p.status == q.status
    only_recoverable = all(p.kind == "recoverable" for p in spec.checked.properties if p.kind in
                           ("recoverable", "eventually", "always_eventually", "leads_to"))
    if only_recoverable:
        assert reduced.liveness.reduction == "symmetry"
        assert reduced.liveness.states < full.liveness.states
    else:  # a fairness property needs the full graph: recoverable is decided there too
        assert reduced.liveness.reduction == "none"
        assert reduced.liveness.states == full.liveness.states
    for p in reduced.properties:
        if p.kind == "recoverable" and p.status == "violated":
            # the concrete run into the trap replays in the unreduced semantics
            steps = p.trace.steps
            assert steps[0].instance is None and len(steps) == p.trace.length + 1


def test_cost_is_said_before_building() -> None:
    r = api.check(api.load(str(SPECS / "dynamodb_dns_recovery.pap")))
    assert r.liveness.estimate == f"expect up to {r.stats.states * 2:,} states without reductions; " \
                                  f"the safety search stored {r.stats.states:,}"
    assert r.liveness.states <= r.stats.states * 2
    r = api.check(api.load(str(SPECS / "cert_rotation_fixed.pap")))
    assert r.liveness.estimate == f"about {r.stats.states:,} states with symmetry".join(["expect ", ""]) + \
        f"; the safety search stored {r.stats.states:,}"


TRANSITIONS = [
    "on inc when v < K {{ v := v + 1 }} -> {t}",
    "on put when v not in s {{ s.add(v) }} -> {t}",
    "on take(x in 0..K) when x in s {{ s.remove(x); v := x }} -> {t}",
    "on bump when c < K {{ c := c + 1 }} -> {t}",
    "on reset when c == K {{ c := 0 }} -> {t}",
    "on drop when v > 0 and c > 0 {{ v := v - 1; c := c - 1 }} -> {t}",
    "on idle -> {t}",
    "on grab when (count w in Worker: Worker[w] at b) < 1 {{ c := min(c + 1, K) }} -> {t}",
]
GOALS = ["c == 0", "s == {}", "forall w in Worker: Worker[w].v == 0", "exists w in Worker: Worker[w] at a",
         "(count w in Worker: Worker[w].v > 0) <= 1", "c < K", "(max w in Worker: Worker[w].v) < K"]


@st.composite
def symmetric_protocols(draw) -> str:
    n = draw(st.integers(2, 3))
    lines = ["protocol Sym", "const K = 2", "var c: 0..K = 0", "var s: set[0..K] = {}",
             f"machine Worker[{n}] {{", "  var v: 0..K = 0"]
    for state, init in (("a", "init "), ("b", "")):
        picks = draw(st.lists(st.sampled_from(range(len(TRANSITIONS))), min_size=1, max_size=3, unique=True))
        lines.append(f"  {init}state {state} {{")
        for k in picks:
            lines.append("    " + TRANSITIONS[k].format(t=draw(st.sampled_from(["a", "b"]))))
        lines.append("  }")
    lines.append("}")
    goals = draw(st.lists(st.sampled_from(GOALS), min_size=1, max_size=3, unique=True))
    lines += [f"recoverable r{i}: {g}" for i, g in enumerate(goals)]
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(symmetric_protocols())
def test_generated_symmetric_recoverable_matches_unreduced(text: str) -> None:
    spec = api.load_text(text, "sym.pap")
    assert spec.symmetry() is not None, text
    full = api.check(spec, symmetry=False, por=False)
    reduced = api.check(spec)
    assert reduced.liveness.reduction == "symmetry"
    assert recoverable_answers(reduced) == recoverable_answers(full), text


def test_cost_is_announced_before_the_graph_is_built(capsys) -> None:
    """The estimate reaches the progress display before any figure of the liveness graph; off a
    terminal (a CI log) the display prints it as one line when the graph is large."""
    seen = []
    api.check(api.load(str(SPECS / "dynamodb_dns_recovery.pap")), progress=seen.append)
    live = [s for s in seen if s.phase.startswith("liveness graph")]
    assert live and live[0].phase.startswith("liveness graph (expect ") and live[0].expected > 0
    assert all(s.expected == 0 for s in seen if not s.phase.startswith("liveness graph ("))

    from checker.cli.main import _progress_display
    from checker.engine.explore import Stats
    shown = _progress_display()
    shown.enabled = False  # stderr is not a terminal
    shown.update(Stats(phase="liveness graph (expect about 40 states; ...)", expected=40))
    assert capsys.readouterr().err == ""
    big = Stats(phase="liveness graph (expect up to 1,200,000 states without reductions; ...)",
                expected=1_200_000)
    shown.update(big)
    shown.update(big)  # said once
    assert capsys.readouterr().err == f"papcheck: {big.phase}\n"
