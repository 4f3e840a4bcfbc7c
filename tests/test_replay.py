"""Replaying and validating ITF traces (issue 4): a valid trace passes; a tampered one fails at the
right step with the right reason."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from checker import api
from checker.cli import main
from checker.explain.replay import decode_itf, validate

from .test_explain import ROOT


@pytest.fixture(scope="module")
def itf(tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "race.itf.json"
    import os
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        r = CliRunner().invoke(main, ["check", "specs/dynamodb_dns.pap", "-q", "--trace-out", str(path)])
    finally:
        os.chdir(cwd)
    assert r.exit_code == 1
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def spec():
    return api.load(str(ROOT / "specs" / "dynamodb_dns.pap"))


def run(args, tmp_path, doc=None, stdin=None):
    if doc is not None:
        (tmp_path / "t.json").write_text(json.dumps(doc))
    return CliRunner().invoke(main, ["replay", *args], input=stdin, catch_exceptions=False)


def step_of(doc, transition: str, instance: str) -> int:
    return next(i for i, s in enumerate(doc["states"])
                if s["#meta"].get("action") == transition and s["#meta"].get("instance") == instance)


def test_valid_trace_passes(itf, spec, tmp_path):
    v = validate(spec, decode_itf(spec, itf))
    assert v.ok and v.steps == len(itf["states"]) - 1
    assert v.notes == [f"state {v.steps} violates invariant endpoint_has_ips"]
    r = run(["--check", str(ROOT / "specs/dynamodb_dns.pap"), str(tmp_path / "t.json")], tmp_path, itf)
    assert r.exit_code == 0 and "a legal behaviour of the spec" in r.output


def test_tampered_value_fails_at_that_step(itf, spec):
    doc = copy.deepcopy(itf)
    k = step_of(doc, "apply", "Enactor[0]")  # the stale apply writes plan 2 into record[0]; say 3
    entry = next(e for e in doc["states"][k]["record"]["#map"] if e[0] == {"#bigint": "0"})
    assert entry[1] == {"#bigint": "2"}
    for later in doc["states"][k:]:
        next(e for e in later["record"]["#map"] if e[0] == {"#bigint": "0"})[1] = {"#bigint": "3"}
    v = validate(spec, decode_itf(spec, doc))
    assert not v.ok and v.bad_step == k
    inst = doc["states"][k]["#meta"]["instance"]
    assert f"step {k} ({inst} apply per the trace" in v.reason
    assert "  apply is enabled but leads to record[0] = 2 (the trace has 3)" in v.details


def test_disabled_transition_names_the_false_guard(itf, spec):
    doc = copy.deepcopy(itf)
    k = step_of(doc, "apply", "Enactor[1]")  # Enactor[1]'s first apply: next 0 -> 1
    pre = doc["states"][k - 1]
    fake = copy.deepcopy(pre)  # claim Enactor[1] finished at once, before updating any endpoint
    fake["#meta"] = {"index": k, "action": "finish", "instance": "Enactor[1]", "args": {}, "line": 54}
    fake["applied"] = pre["Enactor[1].plan"]
    fake["Enactor[1].state"] = "purging"
    fake["Enactor[1].old"] = {"#bigint": "1"}
    doc["states"] = doc["states"][:k] + [fake]
    v = validate(spec, decode_itf(spec, doc))
    assert not v.ok and v.bad_step == k
    assert "Enactor[1] is in state applying:" in v.details
    assert "  finish: guard `next == ENDPOINTS` is false (next = 0) (line 54)" in v.details
    assert "  pick is not enabled: it leaves state idle (line 48)" in v.details


def test_unlabelled_step_is_attributed_by_its_changes(itf, spec):
    doc = copy.deepcopy(itf)
    for s in doc["states"]:
        s.pop("#meta", None)
    k = step_of(itf, "pick", "Enactor[0]")
    doc["states"][k]["Enactor[0].plan"] = {"#bigint": "4"}  # picked a plan that does not exist yet
    for later in doc["states"][k + 1:]:
        later["Enactor[0].plan"] = {"#bigint": "4"}
    v = validate(spec, decode_itf(spec, doc))
    assert not v.ok and v.bad_step == k
    assert "Enactor[0] is in state idle:" in v.details
    assert any(d.startswith("  pick is enabled but leads to Enactor[0].plan = ") for d in v.details)


def test_wrong_initial_state(itf, spec):
    doc = copy.deepcopy(itf)
    doc["states"][0]["applied"] = {"#bigint": "2"}
    v = validate(spec, decode_itf(spec, doc))
    assert not v.ok and v.bad_step == 0
    assert v.details == ["applied is 2, the spec starts with 1"]


def test_unreadable_traces_are_usage_errors(itf, tmp_path):
    spec_path = str(ROOT / "specs/dynamodb_dns.pap")
    (tmp_path / "bad.json").write_text('{"states": [\n  {"latest": }\n]}')
    r = run(["--check", spec_path, str(tmp_path / "bad.json")], tmp_path)
    assert r.exit_code == 2 and f"{tmp_path / 'bad.json'}:2:" in r.output
    doc = copy.deepcopy(itf)
    doc["states"][1]["latest"] = {"#bigint": "99"}
    r = run(["--check", spec_path, str(tmp_path / "t.json")], tmp_path, doc)
    assert r.exit_code == 2 and "state 1: latest: 99 is out of range" in r.output
    r = run(["--check", spec_path, str(tmp_path / "t.json"), "-D", "ENACTORS=2"], tmp_path, itf)
    assert r.exit_code == 2 and "Enactor[2].state is not a variable" in r.output
    r = run(["--check", spec_path, str(tmp_path / "missing.json")], tmp_path)
    assert r.exit_code == 2 and "missing.json: no such file" in r.output


def test_interactive_session_from_stdin(itf, tmp_path):
    spec_path = str(ROOT / "specs/dynamodb_dns.pap")
    n = len(itf["states"]) - 1
    k = step_of(itf, "apply", "Enactor[0]")
    script = f"next\njump {k}\nhistory record[0]\nback 100\nstate\nhistory nope\nfrobnicate\nquit\nnext\n"
    r = run([spec_path, str(tmp_path / "t.json")], tmp_path, itf, stdin=script)
    assert r.exit_code == 0
    out = r.output
    assert out.startswith("DynamoDbDns: a trace of")
    assert "step 1/" in out and f"step {k}/{n}: Enactor[0] apply" in out
    assert f"> step {k:>3}: record[0] = 2" in out  # the stale write, marked as the current step
    assert "(at the start of the trace)" in out
    assert "state after step 0:\n  latest = 1\n" in out
    assert "no variable nope" in out and "unknown command `frobnicate`" in out
    assert out.count("step 1/") == 1  # nothing runs after quit
