"""SARIF, JUnit, GitHub annotations and Markdown (checker/ci_formats.py).

SARIF output is validated against the official SARIF 2.1.0 schema (OASIS errata 01), shipped in
tests/data/sarif-schema-2.1.0.json."""

from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET

import pytest

from checker.ci import formats as ci_formats
from checker.ci import gate
from checker.ci.formats import escape_data, escape_property

jsonschema = pytest.importorskip("jsonschema")

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())

RACE = """protocol Race
const N = 2
var x: 0..3 = 0
machine M {
  state s {
    ## one more
    on inc when x < N { x := x + 1 }
  }
}
## x stays small
invariant small: x <= 1
reachable top: x == N
"""

BOOM = """protocol Boom
var x: 0..2 = 0
machine M {
  state s {
    on inc { x := x + 1 }
  }
}
invariant fine: x >= 0
"""

BROKEN = """protocol Broken
var x: 0..2 = 0
machine M {
  state s {
    on inc { y := 1 }
  }
}
"""


def validate(doc: dict) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(doc)


def write(tmp_path: pathlib.Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def outcome(path: str, *, gate_mode: bool = False, constants: dict | None = None, max_states: int | None = None,
            foi: bool = True) -> ci_formats.Outcome:
    run = gate.Run(path, constants or {}, {}, gate.Settings(max_states=max_states))
    return gate.run_one(run, gate=gate_mode, fail_on_incomplete=foi)


@pytest.fixture(scope="module")
def dns() -> ci_formats.Outcome:
    return outcome(str(ROOT / "specs" / "dynamodb_dns.pap"), constants={"ENACTORS": 2})


# ------------------------------------------------------------------------------------ SARIF


def test_sarif_is_schema_valid_and_points_at_property_and_transitions(dns):
    doc = ci_formats.sarif_dict([dns])
    validate(doc)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    assert [r["ruleId"] for r in run["results"]] == ["invariant"]
    res = run["results"][0]
    prop = dns.result.prop("endpoint_has_ips")
    assert res["level"] == "error"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == prop.line == 69
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("specs/dynamodb_dns.pap")
    flow = res["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [f["location"]["physicalLocation"]["region"]["startLine"] for f in flow] == [
        s.line for s in prop.trace.steps[1:]]
    assert [f["executionOrder"] for f in flow] == list(range(1, prop.trace.length + 1))
    # the step where the stale plan overwrites the newer record is visible in the flow's state
    assert any(f.get("state", {}).get("record[0]") == {"text": "2"} for f in flow)
    assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == "invariant"


def test_sarif_expected_violation_is_a_suppressed_note_in_gate_mode(tmp_path):
    path = write(tmp_path, "race.pap", RACE + "expect violated small\n")
    doc = ci_formats.sarif_dict([outcome(path, gate_mode=True)])
    validate(doc)
    (res,) = doc["runs"][0]["results"]
    assert res["level"] == "note"
    assert res["suppressions"][0]["kind"] == "inSource"
    assert res["suppressions"][0]["location"]["physicalLocation"]["region"]["startLine"] == 13
    plain = ci_formats.sarif_dict([outcome(path, gate_mode=False)])
    assert plain["runs"][0]["results"][0]["level"] == "error"
    assert "suppressions" not in plain["runs"][0]["results"][0]


def test_sarif_unexpected_hold_is_reported_at_the_expect_line(tmp_path):
    path = write(tmp_path, "holds.pap", RACE.replace("x <= 1", "x <= 3").replace("reachable top: x == N\n", "")
                 + "expect violated small\n")
    o = outcome(path, gate_mode=True)
    assert o.status == "fail" and o.exit_code == 1
    doc = ci_formats.sarif_dict([o])
    validate(doc)
    (res,) = doc["runs"][0]["results"]
    assert res["ruleId"] == "expectation"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 12


def test_sarif_model_error_spec_error_and_incomplete(tmp_path):
    boom = outcome(write(tmp_path, "boom.pap", BOOM))
    broken = outcome(write(tmp_path, "broken.pap", BROKEN))
    big = outcome(str(ROOT / "specs" / "dynamodb_dns_cas.pap"), max_states=50, gate_mode=True, foi=False)
    assert (boom.status, broken.status, big.status) == ("fail", "error", "incomplete")
    doc = ci_formats.sarif_dict([boom, broken, big])
    validate(doc)
    run = doc["runs"][0]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    me = by_rule["model-error"]
    assert me["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    flow = me["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(flow) == 3 and flow[-1]["location"]["message"]["text"].endswith("(fails here)")
    se = by_rule["spec-error"]
    assert se["locations"][0]["physicalLocation"]["region"] == {"startLine": 5, "startColumn": 14}
    assert "'y'" in se["message"]["text"]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning" and "max-states" in note["message"]["text"]
    assert run["invocations"][0]["executionSuccessful"] is False


def test_sarif_no_results_when_everything_holds():
    o = outcome(str(ROOT / "specs" / "dynamodb_dns_cas.pap"), constants={"ENACTORS": 2, "PLANS": 4})
    doc = ci_formats.sarif_dict([o])
    validate(doc)
    assert doc["runs"][0]["results"] == []
    assert doc["runs"][0]["properties"]["runs"][0]["verdict"] == "holds"


def test_outputs_are_byte_identical_across_runs(tmp_path):
    path = write(tmp_path, "race.pap", RACE)
    a, b = outcome(path), outcome(path)
    for render in (ci_formats.render_sarif, ci_formats.render_junit, ci_formats.render_github,
                   ci_formats.render_markdown, ci_formats.render_gate_text):
        assert render([a]) == render([b])
    assert ci_formats.render_gate_json([a], timing=False) == ci_formats.render_gate_json([b], timing=False)


# ------------------------------------------------------------------------------------ JUnit


def test_junit_one_case_per_property_with_text_counterexample(dns):
    root = ET.fromstring(ci_formats.render_junit([dns]))
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    names = [c.get("name") for c in cases]
    assert names == ["invariant endpoint_has_ips", "reachable newer_plan_applied", "reachable cleanup_ran",
                     "no model error"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "0")
    failure = cases[0].find("failure")
    assert failure is not None and cases[0].get("line") == "69"
    prop = dns.result.prop("endpoint_has_ips")
    assert failure.text == ci_formats.counterexample_text(dns.result, prop)
    assert "record[0]: 5 -> 2" in failure.text and "12-step shortest counterexample" in failure.text
    assert root.get("failures") == "1"


def test_junit_matrix_gives_a_suite_per_assignment(tmp_path):
    path = write(tmp_path, "race.pap", RACE + "expect violated small\n")
    runs = gate.plan_runs([path], None, {}, gate.Settings())
    assert len(runs) == 1
    cfg = gate.Config("papcheck.toml", str(tmp_path), matrix={"N": [1, 2]})
    runs = gate.plan_runs([path], cfg, {}, gate.Settings())
    outs = gate.run_all(runs, gate=True)
    root = ET.fromstring(ci_formats.render_junit(outs))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [f"{path} [N=1]", f"{path} [N=2]"]
    # N=1: small holds but is expected to fail -> failure; N=2: violated as expected -> pass
    assert [s.get("failures") for s in suites] == ["1", "0"]
    assert [o.status for o in outs] == ["fail", "pass"]


def test_junit_spec_error_and_incomplete(tmp_path):
    broken = outcome(write(tmp_path, "broken.pap", BROKEN), gate_mode=True)
    big = outcome(str(ROOT / "specs" / "dynamodb_dns_cas.pap"), max_states=50, gate_mode=True)
    root = ET.fromstring(ci_formats.render_junit([broken, big]))
    s1, s2 = root.findall("testsuite")
    assert s1.find("testcase/error").get("type") == "spec-error"
    assert "'y'" in s1.find("testcase/error").text
    undecided = sum(1 for p in big.result.properties if p.status == "unknown")
    assert undecided >= 1
    assert s2.get("errors") == str(undecided)  # every undecided property errs: incomplete fails the job
    big_soft = outcome(str(ROOT / "specs" / "dynamodb_dns_cas.pap"), max_states=50, gate_mode=True, foi=False)
    s3 = ET.fromstring(ci_formats.render_junit([big_soft])).find("testsuite")
    assert (s3.get("errors"), s3.get("skipped")) == ("0", str(undecided))


# ----------------------------------------------------------------------------------- GitHub


def test_github_escaping():
    assert escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotations(dns, tmp_path):
    lines = ci_formats.render_github([dns]).splitlines()
    err = [l for l in lines if l.startswith("::error ")]
    assert len(err) == 1
    head, _, message = err[0][len("::error "):].partition("::")
    props = dict(p.split("=", 1) for p in head.split(","))
    assert props["file"].endswith("specs/dynamodb_dns.pap") and props["line"] == "69"
    assert props["title"].startswith("papcheck%3A invariant endpoint_has_ips violated in 12 steps")
    assert "\n" not in message and "%0A" in message
    assert message.replace("%0A", "\n").startswith("VIOLATED: invariant endpoint_has_ips (line 69)")
    assert lines[-1] == "Result: FAIL -- 1 run: 1 failed"
    expected = outcome(write(tmp_path, "race.pap", RACE + "expect violated small\n"), gate_mode=True)
    out = ci_formats.render_github([expected])
    assert out.startswith("::notice ") and "::error" not in out
    assert out.splitlines()[-1] == "Gate: PASS -- 1 run: 1 passed"


# --------------------------------------------------------------------------------- Markdown


def test_markdown_summary(dns, tmp_path):
    ok = outcome(write(tmp_path, "race.pap", RACE + "expect violated small\n"), gate_mode=True)
    md = ci_formats.render_markdown([ok])
    assert md.startswith("### ✅ papcheck passed: 1 run: 1 passed")
    assert "<details>" not in md
    md = ci_formats.render_markdown([dns])
    assert md.startswith("### ❌ papcheck failed")
    row = next(l for l in md.splitlines() if l.startswith("| ❌ |"))
    assert "| violated |" in row and f"| {dns.result.stats.states:,} |" in row
    assert "<details><summary>" in md and "```text\nVIOLATED: invariant endpoint_has_ips" in md
    assert ci_formats.md_cell("a|b") == "a\\|b"
    assert ci_formats.md_code_block("x ``` y").startswith("````text")


def test_gate_text_lists_one_line_per_run_and_details_of_failures(dns, tmp_path):
    ok = outcome(write(tmp_path, "race.pap", RACE + "expect violated small\n"), gate_mode=True)
    dns_gate = outcome(str(ROOT / "specs" / "dynamodb_dns.pap"), constants={"ENACTORS": 2}, gate_mode=True)
    holds = outcome(write(tmp_path, "holds.pap", RACE.replace("x <= 1", "x <= 3")), gate_mode=True)
    bad = outcome(write(tmp_path, "racy.pap", RACE), gate_mode=True)
    text = ci_formats.render_gate_text([ok, dns_gate, holds, bad])
    lines = text.splitlines()
    assert lines[0].startswith("PASS  ") and "violated small, as expected" in lines[0]
    assert lines[1].startswith("PASS  ") and lines[2].startswith("PASS  ")
    assert lines[3].startswith("FAIL  ") and "invariant small violated in 2 steps" in lines[3]
    assert f"==> {bad.label}: FAIL" in text and text.count("==>") == 1
    assert lines[-1] == "Gate: FAIL -- 4 runs: 1 failed, 3 passed"
