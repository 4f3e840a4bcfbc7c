"""The `papcheck` command: exit codes, help texts, -D parsing, --output, `parse`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from checker.cli import main, parse_define
from checker.lang.errors import SourceFile, UsageError
from checker.lang.parser import parse
from checker.lang.pretty import pretty_spec
from tests.conftest import SPECS

HOLDS = """protocol Ok
const N: 1..5 = 2
var x: 0..5
machine M { state s { on inc when x < N { x := x + 1 } } }
invariant small: x <= N
"""
VIOLATED = HOLDS.replace("x <= N", "x < N")
MODEL_ERROR = HOLDS.replace("when x < N ", "").replace("x <= N", "x <= 5")
SPEC_ERROR = HOLDS.replace("x <= N", "y <= N")


def write(tmp_path, text: str, name: str = "spec.pap") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


# ------------------------------------------------------------------------------- exit codes


def test_exit_0_when_every_property_holds(tmp_path):
    r = run("check", "-q", write(tmp_path, HOLDS))
    assert r.exit_code == 0, r.output
    assert r.stdout.rstrip().endswith("Verdict: HOLDS")


def test_exit_1_on_a_violation(tmp_path):
    r = run("check", "-q", write(tmp_path, VIOLATED))
    assert r.exit_code == 1
    assert "VIOLATED: invariant small" in r.stdout


def test_exit_1_on_a_model_error(tmp_path):
    r = run("check", "-q", write(tmp_path, MODEL_ERROR))
    assert r.exit_code == 1
    assert "MODEL ERROR at line 4: value 6 is outside the type of x (0..5)" in r.stdout


@pytest.mark.parametrize("args, words", [
    (["check", "-q", "{spec}", "-D", "N=9"], "-D N=9"),
    (["check", "-q", "{spec}", "-D", "N"], "expected NAME=VALUE"),
    (["check", "-q", "{spec}", "-D", "N=two"], "integer or true/false"),
    (["check", "-q", "{spec}", "-D", "Q=1"], "no constant 'Q'"),
    (["check", "-q", "{spec}", "-D", "N=1", "-D", "N=2"], "given twice"),
    (["check", "-q", "{dir}/missing.pap"], "missing.pap"),
    (["check", "-q", "{spec}", "--max-states", "0"], "--max-states"),
    (["check", "-q", "{spec}", "--strategy", "random"], "--strategy"),
    (["check", "-q", "{spec}", "--no-such-flag"], "--no-such-flag"),
])
def test_exit_2_on_usage_errors(tmp_path, args, words):
    spec = write(tmp_path, HOLDS)
    r = run(*[a.format(spec=spec, dir=tmp_path) for a in args])
    assert r.exit_code == 2, r.output
    assert words in r.stderr
    assert "Traceback" not in r.output


def test_exit_3_on_spec_errors(tmp_path):
    spec = write(tmp_path, SPEC_ERROR)
    r = run("check", "-q", spec)
    assert r.exit_code == 3
    assert f"{spec}:5:18: error: unknown name 'y'" in r.stderr
    assert "papcheck: 1 error in the spec" in r.stderr
    assert r.stdout == ""


def test_exit_3_on_syntax_errors(tmp_path):
    spec = write(tmp_path, "protocol P\nmachine M { state s { on t { x = 1 } } }\n")
    r = run("check", spec)
    assert r.exit_code == 3 and f"{spec}:2:" in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize("flags", [["--max-states", "2"], ["--max-depth", "1"]])
def test_exit_4_when_incomplete(tmp_path, flags):
    r = run("check", "-q", write(tmp_path, HOLDS), *flags)
    assert r.exit_code == 4
    assert "Verdict: INCOMPLETE" in r.stdout


def test_console_script_exit_codes(tmp_path):
    """The installed entry point (a real process), not only the click object."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    ok = subprocess.run([sys.executable, "-m", "checker.cli", "check", "-q", write(tmp_path, HOLDS)],
                        capture_output=True, text=True, env=env)
    bad = subprocess.run([sys.executable, "-m", "checker.cli", "check", "-q",
                          write(tmp_path, SPEC_ERROR, "bad.pap")], capture_output=True, text=True, env=env)
    assert (ok.returncode, bad.returncode) == (0, 3), ok.stderr + bad.stderr
    assert "Verdict: HOLDS" in ok.stdout and "unknown name 'y'" in bad.stderr


# ------------------------------------------------------------------------------------- help


def test_help_lists_the_commands():
    r = run("--help")
    assert r.exit_code == 0
    for name in main.commands:
        assert name in r.stdout


@pytest.mark.parametrize("command", sorted(main.commands))
def test_help_of_every_command_shows_examples(command):
    r = run(command, "--help")
    assert r.exit_code == 0
    assert "Example" in r.stdout
    assert f"papcheck {command} " in r.stdout  # an example invocation of this very command


def test_check_help_lists_exit_codes():
    assert "Exit codes: 0 holds, 1 violated" in run("check", "--help").stdout


# --------------------------------------------------------------------------------------- -D


@pytest.mark.parametrize("text, parsed", [
    ("N=3", ("N", 3)),
    (" N = 3 ", ("N", 3)),
    ("N=-2", ("N", -2)),
    ("FLAG=true", ("FLAG", True)),
    ("FLAG=false", ("FLAG", False)),
])
def test_parse_define(text, parsed):
    assert parse_define(text) == parsed


@pytest.mark.parametrize("text", ["N", "=3", "N=", "N=3.5", "N=0x10", "1N=3", "N=True"])
def test_parse_define_rejects(text):
    with pytest.raises(UsageError):
        parse_define(text)


def test_define_overrides_a_constant(tmp_path):
    spec = write(tmp_path, HOLDS)
    r = run("check", "-q", "--format", "json", "--no-timing", spec, "-D", "N=4")
    d = json.loads(r.stdout)
    assert r.exit_code == 0 and d["constants"] == {"N": 4} and d["stats"]["states"] == 5


# ----------------------------------------------------------------------------------- output


def test_output_writes_the_report_to_a_file(tmp_path):
    spec = write(tmp_path, VIOLATED)
    out = tmp_path / "result.json"
    r = run("check", "-q", "--format", "json", "--no-timing", "--output", str(out), spec)
    assert r.exit_code == 1 and r.stdout == ""
    d = json.loads(out.read_text())
    assert d["verdict"] == "violated" and d["properties"][0]["status"] == "violated"
    same = run("check", "-q", "--format", "json", "--no-timing", spec)
    assert same.stdout == out.read_text()


def test_output_to_an_unwritable_place_is_a_usage_error(tmp_path):
    r = run("check", "-q", "--output", str(tmp_path / "no" / "such" / "dir.txt"), write(tmp_path, HOLDS))
    assert r.exit_code == 2 and "Traceback" not in r.output


# ------------------------------------------------------------------------------------ parse


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_parse_prints_the_normal_form(path):
    r = run("parse", str(path))
    assert r.exit_code == 0, r.output
    spec = parse(SourceFile(str(path), path.read_text()))
    assert r.stdout == pretty_spec(spec)
    assert parse(SourceFile("normal.pap", r.stdout)) == spec


def test_parse_of_a_bad_spec_exits_3(tmp_path):
    r = run("parse", write(tmp_path, SPEC_ERROR))
    assert r.exit_code == 3 and "unknown name 'y'" in r.stderr


def test_exit_4_on_timeout(tmp_path):
    big = ("protocol Big\nvar a: 0..40\nvar b: 0..40\n"
           "machine A { state s { on inc when a < 40 { a := a + 1 } } }\n"
           "machine B { state s { on inc when b < 40 { b := b + 1 } } }\n")
    r = run("check", "-q", "--no-por", "--no-symmetry", "--timeout", "1e-9", write(tmp_path, big))
    assert r.exit_code == 4
    assert "Verdict: INCOMPLETE (stopped at --timeout)" in r.stdout
