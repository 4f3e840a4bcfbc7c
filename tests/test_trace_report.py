"""Counterexample traces and the text, JSON and ITF reports."""

from __future__ import annotations

import json

from click.testing import CliRunner

from checker.cli import main
from checker.views import report

SHOW = """protocol Show
const N = 2
type R = record { a: 0..3, ok: bool }
var m: map[0..1, 0..5] = 1
var s: set[0..3]
var r: R
var q: chan[0..3, 2]
machine W[N] {
  var v: 0..3
  state idle {
    ## a worker bumps an entry
    on go(k: 0..1) when v < 2 { m[k] := m[k] + 2; s.add(v); v := v + 1; r.ok := true; send v to q }
  }
}
## every entry stays small
invariant small: forall k in 0..1: m[k] < 4 or len(q) > 5
reachable two: len(s) == 2
"""
HOLDS = SHOW.replace("0..5", "0..9").replace("chan[0..3, 2]", "chan[0..3, 4]").replace("m[k] < 4 or", "m[k] < 10 or")


# --------------------------------------------------------------------------------------- trace


def test_trace_steps(toy_check):
    r = toy_check(SHOW)
    t = r.prop("small").trace
    assert t.length == 2 and len(t.steps) == 3
    first, second = t.steps[1], t.steps[2]
    assert (first.index, first.instance, first.transition, first.args, first.line) == (
        1, "W[0]", "go", {"k": 0}, 12)
    assert first.doc == "a worker bumps an entry"
    # without symmetry reduction, BFS reaches m[0] = 5 first by W[0] going twice
    assert (second.instance, second.args) == ("W[0]", {"k": 0})
    assert [name for name, _, _ in first.changes] == ["m", "s", "r", "q", "W[0].v"]
    assert t.steps[0].instance is None and t.steps[0].changes == []
    assert t.last_state["m"] == ((0, 5), (1, 1))
    assert t.vars == list(t.steps[0].state)


def test_text_report(toy_check):
    r = toy_check(SHOW)
    text = report.render_text(r)
    lines = text.splitlines()
    assert lines[0] == "papcheck: toy.pap: protocol Show (N=2)"
    start = lines.index("VIOLATED: invariant small (line 16)")
    assert lines[start + 1:start + 18] == [
        "  every entry stays small",
        "  2-step shortest counterexample:",
        "    0  initial state",
        "         m = [0: 1, 1: 1], s = {}, r = {a = 0, ok = false}, q = <>",
        "         W[0]: idle, v = 0",
        "         W[1]: idle, v = 0",
        "    1  W[0] go(k=0)  line 12",
        "         m[0]: 1 -> 3",  # a map shows only the entry that changed
        "         s: {} -> {0}",
        "         r: {a = 0, ok = false} -> {a = 0, ok = true}",
        "         q: <> -> <1>",
        "         W[0].v: 0 -> 1",
        "    2  W[0] go(k=0)  line 12",
        "         m[0]: 3 -> 5",  # unchanged variables (r, W[1]...) are not repeated
        "         s: {0} -> {0, 1}",
        "         q: <1> -> <1, 2>",
        "         W[0].v: 1 -> 2",
    ]
    assert lines[start + 18] == "  small fails for k = 0: m[0] = 5, q = <1, 2>"
    assert "  XX invariant small  violated in 2 steps" in lines
    assert any(l.startswith("  ?? reachable two") for l in lines)
    assert "States: 6 distinct" in text
    assert lines[-1] == "Verdict: VIOLATED"


def test_text_report_full_states(toy_check):
    text = report.render_text(toy_check(SHOW), full_states=True)
    # every step shows every variable
    assert text.count("W[1]: idle, v = 0") == 3


def test_text_report_of_a_holding_spec(toy_check):
    r = toy_check(HOLDS)
    lines = report.render_text(r).splitlines()
    assert "  ok invariant small  holds" in lines
    assert "  ok reachable two    witnessed in 2 steps" in lines
    assert "VIOLATED" not in "\n".join(lines)
    assert lines[-1] == "Verdict: HOLDS"


def test_text_report_of_a_model_error(toy_check):
    r = toy_check("protocol E\nvar x: 0..2\nmachine M { state s { on inc { x := x + 1 } } }\n")
    lines = report.render_text(r).splitlines()
    i = lines.index("MODEL ERROR at line 3: value 3 is outside the type of x (0..2)")
    assert lines[i + 1] == "  reached in 3 steps; the last one fails:"
    assert lines[-1] == "Verdict: VIOLATED"
    assert any(l.endswith("<-- fails here") and " 3  M inc" in l for l in lines)


# ---------------------------------------------------------------------------------------- JSON


def test_json_schema(toy_check):
    r = toy_check(SHOW)
    d = json.loads(report.render_json(r, timing=False))
    for key in ("papcheck", "schema", "spec", "protocol", "constants", "verdict", "stop_reason",
                "strategy", "store", "properties", "model_error", "expectation", "stats", "warnings"):
        assert key in d
    assert (d["spec"], d["protocol"], d["constants"], d["verdict"]) == ("toy.pap", "Show", {"N": 2}, "violated")
    assert [(p["name"], p["kind"], p["status"]) for p in d["properties"]] == [
        ("small", "invariant", "violated"), ("two", "reachable", "unknown")]
    st = d["stats"]
    assert (st["states"], st["transitions"], st["depth"]) == (6, r.stats.transitions, 2)
    assert st["seconds"] is None  # timing=False
    timed = json.loads(report.render_json(r, timing=True))["stats"]
    assert isinstance(timed["seconds"], float) and timed["seconds"] >= 0


def test_itf_trace(toy_check):
    d = json.loads(report.render_json(toy_check(SHOW), timing=False))
    itf = d["properties"][0]["trace"]
    assert itf["#meta"]["format"] == "ITF" and itf["#meta"]["source"] == "toy.pap"
    assert itf["vars"] == ["m", "s", "r", "q", "W[0].state", "W[0].v", "W[1].state", "W[1].v"]
    states = itf["states"]
    assert len(states) == 3
    assert states[0]["#meta"] == {"index": 0, "action": "init"}
    assert states[1]["#meta"] == {"index": 1, "action": "go", "instance": "W[0]",
                                  "args": {"k": {"#bigint": "0"}}, "line": 12}
    s2 = states[2]
    assert s2["m"] == {"#map": [[{"#bigint": "0"}, {"#bigint": "5"}], [{"#bigint": "1"}, {"#bigint": "1"}]]}
    assert s2["s"] == {"#set": [{"#bigint": "0"}, {"#bigint": "1"}]}
    assert s2["r"] == {"a": {"#bigint": "0"}, "ok": True}
    assert s2["q"] == [{"#bigint": "1"}, {"#bigint": "2"}]
    assert s2["W[0].state"] == "idle" and s2["W[0].v"] == {"#bigint": "2"}
    assert set(s2) == set(itf["vars"]) | {"#meta"}


def test_itf_of_a_model_error_has_the_failing_step(toy_check):
    r = toy_check("protocol E\nvar x: 0..2\nmachine M { state s { on inc { x := x + 1 } } }\n")
    d = json.loads(report.render_json(r, timing=False))
    me = d["model_error"]
    assert me["message"] == "value 3 is outside the type of x (0..2)" and me["line"] == 3
    assert me["trace"]["#meta"]["failing_step"]["action"] == "inc"
    assert len(me["trace"]["states"]) == 3  # x = 0, 1, 2; the failing step has no state
    assert d["verdict"] == "violated"


# --------------------------------------------------------------------------------- via the CLI


def test_trace_out_writes_itf(tmp_path):
    spec = tmp_path / "show.pap"
    spec.write_text(SHOW)
    out = tmp_path / "trace.itf.json"
    r = CliRunner().invoke(main, ["check", "-q", "--no-por", "--no-symmetry", str(spec),
                                  "--trace-out", str(out)])
    assert r.exit_code == 1, r.output
    itf = json.loads(out.read_text())
    assert itf["#meta"]["format"] == "ITF"
    assert [s["#meta"]["index"] for s in itf["states"]] == [0, 1, 2]
    assert itf["states"][2]["m"]["#map"][0] == [{"#bigint": "0"}, {"#bigint": "5"}]


def test_no_timing_json_is_byte_identical_across_runs(tmp_path):
    spec = tmp_path / "show.pap"
    spec.write_text(HOLDS)
    args = ["check", "-q", "--format", "json", "--no-timing", str(spec)]
    first = CliRunner().invoke(main, args)
    second = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    assert '"seconds": null' in first.stdout


def test_text_report_of_a_model_error_in_a_property(toy_check):
    r = toy_check("""protocol E
var m: map[0..1, 0..1]
var k: 0..3
machine M { state s { on inc when k < 3 { k := k + 1 } } }
invariant ok: m[k] == 0
""")
    lines = report.render_text(r).splitlines()
    i = lines.index("MODEL ERROR at line 5: key 2 is outside the map's key type 0..1")
    assert lines[i + 1] == "  evaluating it fails in the state reached in 2 steps:"
    assert not any("fails here" in l for l in lines)
