"""Plain-English explanations and context-switch minimization (issue 4)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker import api
from checker.cli import main
from checker.explain.minimize import compiled_actor, min_switch_path, minimize_result, switches
from checker.explain.race import TraceFacts

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "see"
INCIDENT = str(ROOT / "specs" / "dynamodb_dns.pap")
SKIP_ACTIVE = str(ROOT / "specs" / "dynamodb_dns_skip_active.pap")
SMALL = {"ENACTORS": 2, "PLANS": 4, "ENDPOINTS": 1, "PURGE_AGE": 1}


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/see/NAME; PAPCHECK_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("PAPCHECK_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path} (run with PAPCHECK_UPDATE_GOLDEN=1)"
    assert text == path.read_text(encoding="utf-8")


def rel(path: str) -> str:
    return os.path.relpath(path, ROOT)


@pytest.fixture(scope="module")
def incident():
    spec = api.load(rel(INCIDENT)) if Path.cwd() == ROOT else api.load(INCIDENT)
    result = api.check(spec)
    before = result.counterexample
    minimized = minimize_result(result)
    return spec, result, before, minimized


def assert_valid(spec, trace) -> None:
    """Every step of the trace is a transition the model offers in the state before it."""
    model = spec.model
    states = [model.layout.encode(s.state) for s in trace.steps]
    assert states[0] in model.initial_states()
    for i, step in enumerate(trace.steps[1:], start=1):
        assert any(t == states[i] and lab.action == step.action
                   for lab, t in model.labeled_successors(states[i - 1])), f"step {i} is not a transition"


def test_min_switches_incident_is_valid_same_length_and_fewer(incident):
    spec, result, before, minimized = incident
    after = result.counterexample
    assert after.length == before.length
    assert switches(after) <= switches(before)
    assert_valid(spec, after)
    assert spec.model.violated_invariant(spec.model.layout.encode(after.last_state)) == 0
    info = next(m for m in minimized if m.prop == "endpoint_has_ips")
    assert (info.before, info.after) == (switches(before), switches(after))
    # the explanation follows the new final state
    assert result.prop("endpoint_has_ips").explanation.startswith("for e = 0")


def _brute_min_switches(model, target, length: int) -> int | None:
    """Fewest switches over every path of exactly `length` steps ending in a target, by
    enumerating them all (an independent oracle for the dynamic programme)."""
    best: list[int | None] = [None]
    actor = compiled_actor(model)

    def walk(s, d, last, cost):
        if best[0] is not None and cost >= best[0]:
            return
        if d == length:
            if target(s):
                best[0] = cost
            return
        for lab, t in model.labeled_successors(s):
            a = actor(lab)
            walk(t, d + 1, a, cost + (last is not None and a != last))

    for s0 in model.initial_states():
        walk(s0, 0, None, 0)
    return best[0]


def test_min_switches_matches_brute_force_on_a_small_incident():
    spec = api.load(INCIDENT, SMALL)
    result = api.check(spec, por=False, symmetry=False)
    trace = result.counterexample
    assert trace is not None
    model = spec.model
    target = lambda s: model.violated_invariant(s) == 0
    found = min_switch_path(model, target, trace.length, compiled_actor(model))
    assert found is not None
    states, labels, n = found
    assert len(labels) == trace.length and len(states) == trace.length + 1
    assert n == _brute_min_switches(model, target, trace.length)
    for s, lab, t in zip(states, labels, states[1:]):
        assert (lab, t) in model.labeled_successors(s)
    assert target(states[-1])


def test_min_switches_gives_up_over_budget():
    spec = api.load(INCIDENT)
    result = api.check(spec)
    before = result.counterexample
    info = minimize_result(result, budget=100)
    assert info[0].note.startswith("not minimized")
    assert result.counterexample is before


def test_deciding_pair_is_confirmed_by_replay(incident):
    spec, result, _, _ = incident
    prop = result.prop("endpoint_has_ips")
    facts = TraceFacts(spec, prop.trace, prop)
    pair = facts.deciding_pair()
    assert pair is not None and pair.decides and pair.cell == ("record", "0")
    steps = prop.trace.steps
    assert steps[pair.first].instance != steps[pair.second].instance
    assert facts.conflict_cells(pair.first, pair.second)
    states = facts.replay(pair.swapped_order)
    assert states is not None
    assert all(spec.model.violated_invariant(s) != 0 for s in states)
    # the original order does violate it: the swap is what makes the difference
    assert facts.ends_violated(list(range(1, len(steps))))


def test_stale_check_names_the_pick_of_the_delayed_enactor(incident):
    spec, result, _, _ = incident
    prop = result.prop("endpoint_has_ips")
    facts = TraceFacts(spec, prop.trace, prop)
    last_writer = facts.meeting()[0][1]
    inst = prop.trace.steps[last_writer].instance
    stale = facts.stale_check(inst)
    assert stale is not None
    assert prop.trace.steps[stale.check.step].transition == "pick"
    assert stale.check.value is True and stale.now_value is False
    assert set(stale.check.reads) == {"latest", "applied"}


def test_skip_active_race_is_the_purge_check_and_the_stale_write():
    spec = api.load(SKIP_ACTIVE)
    result = api.check(spec)
    minimize_result(result)
    prop = result.prop("endpoint_has_ips")
    facts = TraceFacts(spec, prop.trace, prop)
    pair = facts.deciding_pair()
    assert pair is not None and pair.decides
    steps = prop.trace.steps
    assert (steps[pair.first].transition, steps[pair.second].transition) == ("purge", "apply")


def test_explain_golden_incident(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(main, ["explain", "specs/dynamodb_dns.pap"])
    assert r.exit_code == 1, r.output
    golden("explain_dynamodb_dns.txt", r.output)


def test_explain_golden_skip_active(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(main, ["explain", "specs/dynamodb_dns_skip_active.pap"])
    assert r.exit_code == 1, r.output
    golden("explain_dynamodb_dns_skip_active.txt", r.output)


def test_explain_is_deterministic_and_mentions_the_doc_comments(monkeypatch):
    monkeypatch.chdir(ROOT)
    a = CliRunner().invoke(main, ["explain", "specs/dynamodb_dns.pap"]).output
    b = CliRunner().invoke(main, ["explain", "specs/dynamodb_dns.pap"]).output
    assert a == b
    assert "Enactor[0] picks the newest plan and checks, once," in a
    assert "context switches; the fewest of any 12-step trace" in a


def test_check_explain_uses_the_minimized_trace(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(main, ["check", "specs/dynamodb_dns.pap", "--explain", "-q"])
    assert r.exit_code == 1
    report, _, explanation = r.output.partition("\npapcheck: specs/dynamodb_dns.pap: protocol")
    assert "Why:" in explanation
    # the report's last step and the story's last step are the same step
    assert "12  Enactor[0] apply" in report
    assert "12. Enactor[0] points one endpoint's record" in explanation


def test_explain_holds_and_usage_errors(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(main, ["explain", "specs/dynamodb_dns_cas.pap"])
    assert r.exit_code == 0 and "no counterexample" in r.output
    r = CliRunner().invoke(main, ["explain", "specs/dynamodb_dns.pap", "--property", "nope"])
    assert r.exit_code == 2 and "no such property" in r.output
    r = CliRunner().invoke(main, ["check", "specs", "--explain"])
    assert r.exit_code == 2


def test_explain_witness_trace(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(main, ["explain", "specs/dynamodb_dns.pap", "--property", "cleanup_ran"])
    assert "reachable cleanup_ran is witnessed" in r.output
    assert "The last state satisfies cleanup_ran: purged = {1}" in r.output
