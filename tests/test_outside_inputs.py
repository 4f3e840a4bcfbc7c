"""No internal errors (issue 19): wide specs compile, papcheck's own traces replay, SARIF is
schema-valid for every kind of result, and every outside input (traces, configs, git blobs,
replay's standard input, flags) is read through checker/inputs.py with a clean, classified error.

Each test reproduces one finding of the issue; the fuzz tests over the same inputs are in
tests/test_fuzz_inputs.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from checker import api
from checker.ci import formats as ci_formats
from checker.ci import gate
from checker.cli import main
from checker.explain.replay import decode_itf, validate
from checker.lang import inputs, outputs
from checker.views import report
from tests.genspec import protocols

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p for p in ROOT.glob("**/*.pap") if "tests" not in p.relative_to(ROOT).parts)
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())


def cli(*args: str, stdin: str | bytes | None = None, cwd: Path | None = None):
    if cwd is not None:
        old = os.getcwd()
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), input=stdin)
    finally:
        if cwd is not None:
            os.chdir(old)


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(p)


# ------------------------------------------------------------------------------ wide specs

WIDE = """protocol Wide
var s: set[0..65535] = {}
var m: map[0..3, set[0..65535]] = {}
var flags: map[0..255, bool] = false
machine A[2] {
  var mine: set[0..65535] = {}
  state go {
    on add when 65535 not in s { s.add(65535); m[2] := s; flags[255] := true; mine.add(65535) } -> done
  }
  state done {
    on copy when m[2] == s and m != m { m[1] := m[2] }
    on back when m[2] == s { m[1] := m[2]; mine.remove(65535) } -> go
  }
}
invariant top_only: m[1] == {} or 65535 in m[1]
invariant never_copied: 65535 not in m[1]
reachable flagged: flags[255]
"""


def _many_vars(n: int) -> str:
    decls = "\n".join(f"var v{i}: 0..65535 = 0" for i in range(n))
    return (f"protocol Many\n{decls}\nvar w: map[0..1023, 0..65535] = 0\nvar u: map[0..1023, 0..65535] = 0\n"
            "machine A {\n  state s {\n"
            f"    on bump when v{n - 1} == 0 {{ v{n - 1} := 65535; w[1023] := 65535 }}\n"
            "    on same when w != u { u := w }\n  }\n}\n"
            f"invariant equal: v{n - 1} == 0 or w == u or u[1023] == 0\n")


BIG_MAP = """protocol BigMap
var flags: map[0..65535, bool] = false
var copy: map[0..65535, bool] = false
machine A { state s { on set when not flags[65535] { flags[65535] := true } on cp when flags != copy { copy := flags } } }
invariant unset: flags != copy or not copy[65535]
"""


@pytest.mark.slow
@pytest.mark.parametrize("text, verdict, states", [(WIDE, "violated", 4), (_many_vars(200), "holds", 3)],
                         ids=["sets-and-maps-over-0..65535", "200-variables-and-whole-map-compare"])
def test_wide_specs_compile_and_agree_with_the_unreduced_search(tmp_path, text, verdict, states):
    spec = api.load_text(text, "wide.pap")
    big = [n for n in re.findall(r"\b\d+\b", spec.model.source) if len(n) > 19]
    assert not big, "generated code writes a big integer in decimal"
    assert spec.model.layout.width > 14_300  # more bits than 4,300 decimal digits hold
    plain = api.check(spec, por=False, symmetry=False)
    reduced = api.check(spec)
    assert (plain.verdict, reduced.verdict) == (verdict, verdict)
    assert plain.stats.states == states
    path = write(tmp_path, "wide.pap", text)
    r = cli("check", path, "--trace-out", str(tmp_path / "t.json"), "-q", "--no-timing")
    assert r.exit_code == (1 if verdict == "violated" else 0), r.output
    if verdict == "violated":
        r = cli("replay", "--check", path, str(tmp_path / "t.json"))
        assert r.exit_code == 0 and "a legal behaviour" in r.output, r.output


@pytest.mark.slow
def test_a_map_with_65536_keys_compiles(tmp_path):
    # (its ITF trace is 25 MB of JSON: replaying wide states is tested on WIDE above)
    path = write(tmp_path, "big.pap", BIG_MAP)
    r = cli("check", path, "-q", "--no-timing")
    assert r.exit_code == 1 and "States: 3 distinct" in r.output and "violated in 2 steps" in r.output, r.output


def test_wide_map_encoding_equals_the_shift_per_key_reference():
    import random

    from checker.lang.types import BoolT, MapT, RangeT, SetT
    rng = random.Random(19)
    for key, val, pick in [(RangeT(0, 99), RangeT(-3, 5), lambda: rng.randint(-3, 5)),
                           (RangeT(3, 300), BoolT(), lambda: rng.random() < 0.5),
                           (RangeT(0, 70), SetT(RangeT(0, 9)), lambda: frozenset(rng.sample(range(10), rng.randint(0, 10))))]:
        t = MapT(key, val)
        for _ in range(30):
            v = tuple((k, pick()) for k in key.values())
            ref = 0
            for i, (_, x) in enumerate(v):
                ref |= val.encode(x) << (i * val.width)
            assert t.encode(v) == ref and t.decode(ref) == v


# -------------------------------------------------------------------- model-error traces

PROPERTY_ERROR = """protocol PropErr
var x: 0..3 = 2
machine A {
  state go {
    on dec when x > 0 { x := x - 1 }
  }
}
invariant p: 10 / x > 0
"""

STEP_ERROR = """protocol StepErr
var x: 0..3 = 1
machine A {
  state go {
    on dec(k: 1..2) { x := x - k }
  }
}
"""

INITIAL_PROPERTY_ERROR = PROPERTY_ERROR.replace("var x: 0..3 = 2", "var x: 0..3 = 0").replace("PropErr", "InitErr")
INITIAL_STEP_ERROR = STEP_ERROR.replace("var x: 0..3 = 1", "var x: 0..3 = 0").replace("StepErr", "InitStep")


@pytest.mark.parametrize("text, steps, says", [
    (PROPERTY_ERROR, 2, "evaluating the invariants in state 2 raises a model error (division by zero, line 8)"),
    (INITIAL_PROPERTY_ERROR, 0, "evaluating the invariants in state 0 raises a model error (division by zero"),
    (STEP_ERROR, 0, "(0 steps), then step 1 (A dec(2)) raises a model error: value -1 is outside the type of x"),
    (INITIAL_STEP_ERROR, 0, "(0 steps), then step 1 (A dec(1)) raises a model error: value -1 is outside"),
])
def test_model_error_traces_replay(tmp_path, text, steps, says):
    path = write(tmp_path, "m.pap", text)
    trace = str(tmp_path / "t.json")
    r = cli("check", path, "--trace-out", trace, "-q", "--no-timing")
    assert r.exit_code == 1 and "MODEL ERROR" in r.output
    r = cli("replay", "--check", path, trace)
    assert r.exit_code == 0, r.output
    assert f"a legal behaviour of the spec ({steps} step" in r.output and says in r.output, r.output
    r = cli("replay", path, trace, stdin="list\nquit\n")
    assert r.exit_code == 0
    if "then step" in says:
        assert "<-- fails (model error)" in r.output


def test_a_failing_step_that_does_not_fail_is_not_a_behaviour(tmp_path):
    path = write(tmp_path, "m.pap", STEP_ERROR)
    trace = tmp_path / "t.json"
    assert cli("check", path, "--trace-out", str(trace), "-q").exit_code == 1
    doc = json.loads(trace.read_text())
    assert doc["#meta"]["failing_step"]["action"] == "dec"
    doc["#meta"]["failing_step"]["args"] = {"k": {"#bigint": "1"}}  # dec(1) from x = 1 is fine
    trace.write_text(json.dumps(doc))
    r = cli("replay", "--check", path, str(trace))
    assert r.exit_code == 1 and "raises no model error in state 0" in r.output, r.output


def _all_traces(result: api.CheckResult):
    for p in result.properties:
        if p.trace is not None:
            yield p.name, p.trace
    if result.model_error is not None:
        yield "model error", result.model_error.trace


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_trace_of_every_shipped_spec_replays(tmp_path, path):
    spec = api.load(str(path))
    result = api.check(spec)
    n = 0
    for name, trace in _all_traces(result):
        out = tmp_path / "t.json"
        out.write_text(report.render_itf(trace, result, name))
        v = validate(spec, decode_itf(spec, inputs.parse_json(out.read_text(), str(out)), str(out)))
        assert v.ok, f"{name}: {v.text(str(out))}"
        n += 1
    if n:  # and one of them through the command line
        r = cli("replay", "--check", str(path), str(tmp_path / "t.json"))
        assert r.exit_code == 0, r.output


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(protocols(model_errors=True, max_space=1 << 11))
def test_every_trace_of_generated_protocols_replays(text):
    spec = api.load_text(text, "gen.pap")
    result = api.check(spec)
    for name, trace in _all_traces(result):
        doc = json.loads(report.render_itf(trace, result, name))
        v = validate(spec, decode_itf(spec, doc, "gen.itf.json"))
        assert v.ok, f"{name}: {v.text('gen.itf.json')}\n{text}"


# ------------------------------------------------------------------------------------ SARIF

DEADLOCK = """protocol Stuck
var x: 0..1 = 0
machine A {
  state s { on go when x == 0 { x := 1 } -> t }
  state t {}
}
deadlock_free stuck
"""

ZERO_STEP = """protocol Zero
var x: 0..1 = 1
machine A { state s { on go when x == 1 { x := 0 } } }
invariant zero: x == 0
reachable two: x == 1 and x == 0
expect violated zero
"""

EXPECT_NOT_MET = """protocol Fine
var x: 0..1 = 0
machine A { state s { on go when x == 0 { x := 1 } } }
invariant small: x <= 1
expect violated small
"""

LIVE = """protocol Live
var x: 0..2 = 0
machine A { state s { on go when x == 0 { x := 1 } on stay when x == 1 { x := 1 } } }
eventually two: x == 2
"""

SARIF_CASES = {
    "zero-step": ZERO_STEP, "initial-property-error": INITIAL_PROPERTY_ERROR, "initial-step-error": INITIAL_STEP_ERROR,
    "property-error": PROPERTY_ERROR, "step-error": STEP_ERROR, "deadlock": DEADLOCK,
    "expectation": EXPECT_NOT_MET, "liveness": LIVE, "spec-error": "protocol Broken\nvar x: 0..1 = 2\n",
}


def _sarif_valid(doc: dict) -> None:
    import jsonschema
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    for res in doc["runs"][0]["results"]:
        for flow in res.get("codeFlows", []):
            for tf in flow["threadFlows"]:
                assert tf["locations"], res


@pytest.mark.parametrize("name", sorted(SARIF_CASES))
@pytest.mark.parametrize("gate_mode", [False, True])
def test_sarif_is_schema_valid_for_every_kind_of_result(tmp_path, name, gate_mode):
    path = write(tmp_path, f"{name}.pap", SARIF_CASES[name])
    o = gate.run_one(gate.Run(path, {}, {}, gate.Settings()), gate=gate_mode, fail_on_incomplete=True)
    doc = ci_formats.sarif_dict([o])
    _sarif_valid(doc)
    if name == "zero-step" and gate_mode:
        res = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "invariant")
        (loc,) = res["codeFlows"][0]["threadFlows"][0]["locations"]
        assert loc["location"]["message"]["text"] == "0. initial state (fails here)"
    if name == "initial-property-error":
        res = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "model-error")
        assert "0 steps to the state where evaluating line 8 fails" in res["codeFlows"][0]["message"]["text"]
    if name == "initial-step-error":
        res = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "model-error")
        assert res["codeFlows"][0]["message"]["text"] == "1 step to the failing transition"


def test_sarif_of_several_specs_and_an_incomplete_run_through_the_cli(tmp_path):
    paths = [write(tmp_path, f"{n}.pap", t) for n, t in sorted(SARIF_CASES.items())]
    out = tmp_path / "all.sarif"
    r = cli("check", *paths, str(ROOT / "specs/dynamodb_dns.pap"), "--format", "sarif", "-o", str(out),
            "--max-states", "30", "-q")
    assert r.exit_code in (1, 3, 4), r.output
    doc = json.loads(out.read_text())
    _sarif_valid(doc)
    rules = {res["ruleId"] for res in doc["runs"][0]["results"]}
    assert {"invariant", "model-error", "deadlock-free", "spec-error"} <= rules


# ------------------------------------------------------------------------ traces from outside


@pytest.fixture(scope="module")
def race(tmp_path_factory):
    d = tmp_path_factory.mktemp("race")
    r = cli("check", str(ROOT / "specs/dynamodb_dns.pap"), "--trace-out", str(d / "t.json"), "-q")
    assert r.exit_code == 1
    return json.loads((d / "t.json").read_text())


SPEC = str(ROOT / "specs/dynamodb_dns.pap")


@pytest.mark.parametrize("data, says", [
    ("{}".encode("utf-16"), "the file is UTF-16 text; save it as UTF-8"),
    (b'{"states": [\n {"x": "caf\xe9"}]}', ":2:12: error: the file is not UTF-8 text: byte 0xe9"),
    (b'{"states": [' + b"9" * 5000 + b"]}", "an integer of 5,000 digits (at most 1000)"),
    (b"[" * 100_000 + b"]" * 100_000, "the JSON nests deeper than 100 levels"),
    (b'{"a": ' + b"[" * 150 + b"]" * 150 + b"}", "the JSON nests deeper than 100 levels"),
    (b'{"states": [NaN]}', "NaN is not a number JSON allows"),
    (b'{"states": [1e999]}', "the number 1e999 is too large"),
    (b'{"states": ["\\ud800"]}', "lone UTF-16 surrogate"),
    (b"\x00\x01", "this is a binary file"),
])
def test_unreadable_traces_are_clean_usage_errors(tmp_path, data, says):
    path = write(tmp_path, "t.json", data)
    for args in (["replay", "--check", SPEC, path], ["replay", SPEC, path]):
        r = cli(*args, stdin="quit\n")
        assert r.exit_code == 2 and says in r.output, r.output
        assert "spec" not in r.output.split(says)[0].lower().replace(SPEC.lower(), "")


def test_a_trace_linked_to_dev_zero_is_refused_after_the_cap(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    os.symlink("/dev/zero", tmp_path / "t.json")
    r = cli("replay", "--check", SPEC, str(tmp_path / "t.json"))
    assert r.exit_code == 2 and "the file is larger than 64 MB" in r.output, r.output


@pytest.mark.parametrize("args, says", [
    ({"#bigint": "zz"}, '#meta.args.e: "zz" is not an integer'),
    (["e", 1], "#meta.args: [\"e\", 1] is not an object of parameter values"),
    ("e=1", '#meta.args: "e=1" is not an object'),
    ({"#bigint": "1" * 2000}, "an integer of 2,000 digits"),
])
def test_malformed_meta_args_are_trace_errors(tmp_path, race, args, says):
    doc = json.loads(json.dumps(race))
    i = next(i for i, s in enumerate(doc["states"]) if s["#meta"].get("action") == "apply")
    doc["states"][i]["#meta"]["args"] = args if not isinstance(args, dict) or "#bigint" not in args else {"e": args}
    path = write(tmp_path, "t.json", json.dumps(doc))
    for extra in (["--check"], []):
        r = cli("replay", *extra, SPEC, path, stdin="list\n")
        assert r.exit_code == 2 and says in r.output, r.output


def test_history_names_instance_locals_and_stdin_is_read_bounded(tmp_path, race):
    path = write(tmp_path, "t.json", json.dumps(race))
    stdin = b"history Enactor[0].plan\nhistory record[0]\n\xff\xfe\n" + b"n" * 10_000 + b"\nquit\n"
    r = cli("replay", SPEC, path, stdin=stdin)
    assert r.exit_code == 0, r.output
    assert "step   2: Enactor[0].plan = 2" in r.output
    assert "step   8: record[0] = 2" in r.output
    assert "the command is not UTF-8 text (byte 0xff)" in r.output
    assert "the command is longer than 4096 bytes" in r.output


def test_control_characters_in_a_trace_never_reach_the_terminal(tmp_path, race):
    doc = json.loads(json.dumps(race))
    doc["states"][3]["#meta"]["instance"] = "Enactor[9]\x1b[2J"
    doc["states"][3]["#meta"]["action"] = "\u202epick"
    path = write(tmp_path, "t.json", json.dumps(doc))
    r = cli("replay", "--check", SPEC, path)  # legal: the note says the label names another transition
    assert r.exit_code == 0 and "\\u001b[2J" in r.output and "\\u202epick" in r.output, r.output
    assert "\x1b" not in r.output and "\u202e" not in r.output


# ----------------------------------------------------------------------------------- configs


def test_a_non_utf8_pyproject_without_papcheck_table_is_ignored(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "caf\xe9"\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "s.pap").write_bytes((ROOT / "specs/reference_dns.pap").read_bytes())
    r = cli("check", "s.pap", "-q", "--no-timing", cwd=tmp_path / "sub")
    assert r.exit_code == 0, r.output
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.papcheck]\nspecs = ["caf\xe9"]\n')
    r = cli("check", "s.pap", "-q", cwd=tmp_path / "sub")
    assert r.exit_code == 2
    assert r.output.startswith("../pyproject.toml:2:14: error: the file is not UTF-8 text: byte 0xe9"), r.output


@pytest.mark.parametrize("text, says", [
    (b'format = "t\xffext"\n', "papcheck.toml:1:12: error: the file is not UTF-8 text"),
    (b"timeout = nan\n", "timeout must be a positive number of seconds, not nan"),
    (b"timeout = inf\n", "timeout must be a positive number of seconds, not inf"),
    (b"timeout = -inf\n", "timeout must be a positive number of seconds"),
    (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "the TOML nests deeper than 100 levels"),
    (b"max-states = " + b"9" * 5000 + b"\n", "not acceptable TOML: a number has too many digits"),
    (b"\xff\xfet\x00", "the file is UTF-16 text"),
])
def test_bad_configs_are_located_usage_errors(tmp_path, text, says):
    (tmp_path / "papcheck.toml").write_bytes(text)
    (tmp_path / "s.pap").write_bytes((ROOT / "specs/reference_dns.pap").read_bytes())
    r = cli("check", "s.pap", "-q", cwd=tmp_path)
    assert r.exit_code == 2 and says in r.output, r.output
    r = cli("check", "s.pap", "-q", "--config", str(tmp_path / "papcheck.toml"))
    assert r.exit_code == 2 and says.split(": ", 1)[-1] in r.output, r.output


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "NaN", "Infinity"])
@pytest.mark.parametrize("command", ["check", "diff", "explain"])
def test_timeout_flag_refuses_nan_and_infinities(value, command):
    args = [SPEC, SPEC] if command == "diff" else [SPEC]
    r = cli(command, *args, "--timeout", value)
    assert r.exit_code == 2 and "--timeout" in r.output, r.output


# ------------------------------------------------------------------------------ git and diff


def test_diff_git_with_a_non_utf8_committed_spec(tmp_path):
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)
    try:
        git("init", "-q")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git is not available")
    good = (ROOT / "specs/reference_dns.pap").read_bytes()
    bad_line = good.count(b"\n") + 1  # the line appended below
    (tmp_path / "s.pap").write_bytes(good + b"# caf\xe9\n")
    git("add", "s.pap")
    git("commit", "-qm", "latin-1")
    (tmp_path / "s.pap").write_bytes(good)
    r = cli("diff", "--git", "HEAD", "s.pap", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    assert "base: has errors, so it could not be checked" in r.output
    assert f"s.pap@HEAD:{bad_line}:6: error: the file is not UTF-8 text: byte 0xe9" in r.output
    (tmp_path / "old.pap").write_bytes(good + b"# caf\xe9\n")
    r = cli("diff", "old.pap", "s.pap", cwd=tmp_path)
    assert r.exit_code == 0 and f"old.pap:{bad_line}:6: error: the file is not UTF-8 text" in r.output, r.output


# ------------------------------------------------------------------------------------ output

CONTROL = ("protocol Ctl\nvar x: 0..1 = 0\nmachine A {\n  state s {\n"
           "    ## does \x01 a \x1b[31mred\x1b[0m thing \x9b2J \u202eevil\n"
           "    on go when x == 0 { x := 1 }\n  }\n}\n## must \x07 be \x0c zero\ninvariant zero: x == 0\n")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "markdown"])
def test_every_output_format_escapes_control_characters(tmp_path, fmt):
    path = write(tmp_path, "ctl.pap", CONTROL)
    out = tmp_path / f"out.{fmt}"
    r = cli("check", path, "--format", fmt, "-o", str(out), "-q", "--explain")
    assert r.exit_code == 1, r.output
    data = out.read_text(encoding="utf-8")
    for text in (data, r.output):
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202e]", text), repr(text)
    if fmt == "junit":
        ET.fromstring(data)
    if fmt in ("json", "sarif"):
        doc = json.loads(data)
        if fmt == "sarif":
            _sarif_valid(doc)
    if fmt in ("text", "junit", "markdown", "github"):  # the formats that quote a property's doc
        assert "\\u0007" in data, data
    assert "does \\u0001 a \\u001b[31mred" in r.output  # --explain tells the transition's doc


def test_visible_keeps_json_meaning():
    text = json.dumps({"a": "x\x9b\u202ey\x1b"}, ensure_ascii=False)
    assert json.loads(outputs.visible(text)) == {"a": "x\x9b\u202ey\x1b"}
    assert outputs.visible("tab\tnew\nline") == "tab\tnew\nline"


# ------------------------------------------------------------------------------ exit code 70


@pytest.mark.internal_error_expected
def test_a_self_check_disagreement_is_the_one_legitimate_70(monkeypatch):
    """A deliberately broken canonicalizer (it maps every state to the initial one): the
    self-check must catch it and exit 70; the conftest guard lets this test through only because
    of its marker."""
    from checker.reduce.symmetry import Symmetry
    real = api.Spec.symmetry

    def broken(self):
        sym = real(self)
        init = self.model.initial_states()[0]
        return Symmetry(sym.machines, lambda s: init, sym.source)

    monkeypatch.setattr(api.Spec, "symmetry", broken)
    r = cli("check", SPEC, "-D", "ENACTORS=2", "--no-symmetry", "--self-check", "-q", "--no-timing")
    assert r.exit_code == 70, r.output
    assert "internal error" not in r.output and "Self-check" in r.output


@pytest.mark.slow
def test_the_suite_fails_a_test_that_gets_exit_70(pytester):
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text())
    pytester.makepyfile(test_it="""
        import pytest
        from click.testing import CliRunner
        from checker import api
        from checker.cli import main

        def boom(*a, **k):
            raise ZeroDivisionError("a bug")

        def test_unmarked(monkeypatch):
            monkeypatch.setattr(api, "load", boom)
            assert CliRunner().invoke(main, ["check", "%s"]).exit_code == 70

        @pytest.mark.internal_error_expected
        def test_marked(monkeypatch):
            monkeypatch.setattr(api, "load", boom)
            assert CliRunner().invoke(main, ["check", "%s"]).exit_code == 70
    """ % (SPEC, SPEC))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")  # its own guard
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*papcheck exited with an internal error (70)*"])
