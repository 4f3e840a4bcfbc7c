"""`check --property` and `--continue` (issue 17, item 3).

The oracle is a plain level-by-level search over `model.successors` with the interpreter
(checker.lang.evaluate) judging every invariant on every state: with `--continue` each invariant's
reported trace must be as short as its shallowest violating state, under every reduction.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from checker import api
from checker.cli import main
from checker.engine.trace import state_view
from checker.lang.evaluate import EvalError, Evaluator
from tests.genspec import protocols
from tests.test_generated import levels

TWO = """protocol TwoInv
var x: 0..5
var y: 0..5
machine M[2] {
  init state s {
    on incx when x < 5 { x := x + 1 } -> s
    on incy when y < 5 { y := y + 1 } -> s
  }
}
invariant small_x: x < 2
invariant small_y: y < 4
reachable both: x == 5 and y == 5
expect violated small_x
"""


def shallowest(spec: api.Spec) -> dict[str, int]:
    """Each invariant's shallowest violation depth, by the interpreter over a plain BFS."""
    depth, _ = levels(spec.model)
    out: dict[str, int] = {}
    for s, d in depth.items():
        ev = Evaluator(spec.checked, state_view(spec.model, spec.model.decode(s)))
        for p in spec.checked.properties:
            if p.kind != "invariant":
                continue
            try:
                ok = ev.eval(p.decl.expr, {})
            except EvalError:
                continue
            if not ok and d < out.get(p.name, 1 << 30):
                out[p.name] = d
    return out


@pytest.mark.parametrize("por,symmetry", [(False, False), (True, True), (True, False), (False, True)])
def test_continue_reports_each_shortest_violation(por: bool, symmetry: bool) -> None:
    spec = api.load_text(TWO, "two.pap")
    first = api.check(spec, por=por, symmetry=symmetry)
    assert [p.status for p in first.properties] == ["violated", "unknown", "unknown"]
    assert first.prop("small_y").reason == "the search stopped at small_x's violation; use --continue"
    every = api.check(spec, por=por, symmetry=symmetry, keep_going=True)
    assert every.verdict == "violated" and every.exit_code == 1
    assert every.prop("small_x").trace.length == 2
    assert every.prop("small_y").trace.length == 4
    assert every.prop("both").status == "witnessed" and every.prop("both").trace.length == 10
    assert shallowest(spec) == {"small_x": 2, "small_y": 4}
    assert every.expectation["met"] is True


def test_property_selects() -> None:
    spec = api.load_text(TWO, "two.pap")
    only = api.check(spec, properties=["small_y"])
    assert [p.name for p in only.properties] == ["small_y"]
    assert only.prop("small_y").trace.length == 4
    assert only.expectation["met"] is None  # the expected property was not checked
    holds = api.check(api.load_text(TWO.replace("y < 4", "y < 9"), "two.pap"), properties=["small_y", "both"])
    assert holds.verdict == "holds" and holds.exit_code == 0


def test_continue_without_violation_is_a_plain_run() -> None:
    text = TWO.replace("x < 2", "x < 9").replace("y < 4", "y < 9").replace("expect violated small_x", "")
    spec = api.load_text(text, "ok.pap")
    a, b = api.check(spec), api.check(spec, keep_going=True)
    assert a.verdict == b.verdict == "holds"
    assert (a.stats.states, a.stats.transitions) == (b.stats.states, b.stats.transitions)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(protocols())
def test_generated_continue_matches_oracle(text: str) -> None:
    spec = api.load_text(text, "gen.pap")
    result = api.check(spec, keep_going=True)
    if result.model_error is not None or result.verdict == "incomplete":
        return
    want = shallowest(spec)
    got = {p.name: p.trace.length for p in result.properties if p.kind == "invariant" and p.status == "violated"}
    assert got == want, text
    for p in result.properties:
        if p.kind == "invariant" and p.name not in want:
            assert p.status == "holds", text


def test_cli_property_and_continue(tmp_path) -> None:
    spec = tmp_path / "two.pap"
    spec.write_text(TWO)
    r = CliRunner().invoke(main, ["check", str(spec), "--no-timing"])
    assert r.exit_code == 1
    assert "not decided: the search stopped at small_x's violation; use --continue" in r.output
    r = CliRunner().invoke(main, ["check", str(spec), "--no-timing", "--continue", "--format", "json"])
    assert r.exit_code == 1
    d = json.loads(r.output)
    assert [(p["name"], p["status"]) for p in d["properties"]] == [
        ("small_x", "violated"), ("small_y", "violated"), ("both", "witnessed")]
    r = CliRunner().invoke(main, ["check", str(spec), "--property", "small_y", "--property", "both", "--no-timing"])
    assert r.exit_code == 1 and "small_x" not in r.output.split("Properties:")[1].split("Expected")[0]
    r = CliRunner().invoke(main, ["check", str(spec), "--property", "nope"])
    assert r.exit_code == 2 and "no property of that name" in r.output
    r = CliRunner().invoke(main, ["explain", str(spec), "--property", "small_y"])
    assert "small_y is violated" in r.output


# ---------------------------------------------------------------- conditional expectations (item 4)

COND = """protocol Cond
const FIX: 0..2 = 1
var x: 0..3
machine M[1] {
  init state s {
    on inc when x < 3 { x := x + 1 } -> s
  }
}
invariant small: FIX == 1 or x < 2
expect violated small when FIX == 0
expect holds
"""


@pytest.mark.parametrize("fix,want,met", [(0, "violated", True), (1, "holds", True), (2, "holds", False)])
def test_conditional_expectation(fix: int, want: str, met: bool) -> None:
    result = api.check(api.load_text(COND, "cond.pap", constants={"FIX": fix}))
    assert result.expectation["verdict"] == want and result.expectation["met"] is met


def test_conditional_expectation_errors_and_pretty() -> None:
    from checker.lang.errors import SourceFile, SpecError
    from checker.lang.parser import parse
    from checker.lang.pretty import pretty_spec
    with pytest.raises(SpecError) as e:
        api.load_text(COND.replace("expect holds", "expect holds when FIX < 2"), "c.pap", constants={"FIX": 0})
    assert "two expectations apply when FIX = 0" in e.value.diagnostics.render()
    with pytest.raises(SpecError) as e:
        api.load_text(COND + "expect violated small\n", "c.pap")
    assert "one expectation without `when`" in e.value.diagnostics.render()
    with pytest.raises(SpecError) as e:
        api.load_text(COND.replace("when FIX == 0", "when x == 0"), "c.pap")
    assert "c.pap:" in e.value.diagnostics.render()
    with pytest.raises(SpecError) as e:
        api.load_text(COND.replace("when FIX == 0", "when FIX + 1"), "c.pap")
    assert "must be a bool" in e.value.diagnostics.render()
    text = pretty_spec(parse(SourceFile("c.pap", COND)))
    assert "expect violated small when FIX == 0\nexpect holds\n" in text
    assert pretty_spec(parse(SourceFile("c.pap", text))) == text


HOLDS_Y = TWO.replace("expect violated small_x", "expect holds")


def test_gate_continue_decides_every_property(tmp_path) -> None:
    """Gate mode with --continue (and the `continue` config key): every property decided, the
    expectation judged as without it."""
    (tmp_path / "two.pap").write_text(TWO)
    r = CliRunner().invoke(main, ["check", "--gate", "--continue", "--no-timing", "--format", "json",
                                  str(tmp_path)])
    assert r.exit_code == 0, r.output
    props = {p["name"]: p["status"] for p in json.loads(r.output)["runs"][0]["result"]["properties"]}
    assert props == {"small_x": "violated", "small_y": "violated", "both": "witnessed"}
    (tmp_path / "papcheck.toml").write_text("continue = true\n")
    r = CliRunner().invoke(main, ["check", "--gate", "--no-timing", "--format", "json", "--config",
                                  str(tmp_path / "papcheck.toml"), str(tmp_path / "two.pap")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["runs"][0]["result"]["properties"][1]["status"] == "violated"
    r = CliRunner().invoke(main, ["check", "--gate", "--no-timing", str(tmp_path / "two.pap")])
    assert r.exit_code == 0 and "PASS" in r.output


def test_gate_property_judges_checked_properties(tmp_path) -> None:
    """Gate mode with --property: each spec checks the named properties it has; its expectation is
    judged on those; a spec with none of them is an error run."""
    (tmp_path / "a.pap").write_text(TWO)  # expects small_x violated
    (tmp_path / "b.pap").write_text(HOLDS_Y)  # expects holds
    r = CliRunner().invoke(main, ["check", "--gate", "--no-timing", "--property", "small_y", str(tmp_path)])
    # a.pap: small_y is violated but the spec names only small_x; b.pap expects holds: both fail
    assert r.exit_code == 1, r.output
    assert r.output.count("FAIL") >= 2
    r = CliRunner().invoke(main, ["check", "--gate", "--no-timing", "--property", "small_x", str(tmp_path / "a.pap")])
    assert r.exit_code == 0 and "PASS" in r.output, r.output
    r = CliRunner().invoke(main, ["check", "--gate", "--no-timing", "--property", "both", str(tmp_path)])
    assert r.exit_code == 0, r.output  # a reachable property found: as expected for the checked properties
    assert "checked properties" in r.output
    r = CliRunner().invoke(main, ["check", "--gate", "--no-timing", "--property", "nope", str(tmp_path)])
    assert r.exit_code == 2 and "has none of these properties" in r.output, r.output
