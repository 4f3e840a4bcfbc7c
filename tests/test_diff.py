"""`papcheck diff`: comparing two versions of a spec (checker/specdiff.py)."""

from __future__ import annotations

import json
import pathlib
import subprocess

import pytest
from click.testing import CliRunner

from checker import api
from checker.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
CAS = (ROOT / "specs" / "dynamodb_dns_cas.pap").read_text()
CAS_LINE = "      if plan > record[next] { record[next] := plan }\n"
RACY = CAS.replace(CAS_LINE, "      record[next] := plan\n")
SMALL = ["-D", "ENACTORS=2", "-D", "PLANS=5"]

TOY = """protocol Toy
const N = 2
var x: 0..3 = 0
machine M {
  state s {
    on inc when x < N { x := x + 1 }
  }
}
invariant small: x <= 3
reachable top: x == N
"""


def papcheck(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # no config above this directory
    (tmp_path / "base.pap").write_text(CAS)
    (tmp_path / "head.pap").write_text(RACY)
    return tmp_path


def test_removing_the_compare_and_set_is_a_regression(files):
    assert CAS_LINE in CAS and RACY != CAS
    r = papcheck("diff", "base.pap", "head.pap", *SMALL)
    assert r.exit_code == 1, r.output
    out = r.stdout
    assert out.startswith("papcheck diff: base.pap -> head.pap\n")
    assert "REGRESSED: invariant endpoint_has_ips (held before, violated in" in out
    head = api.check(api.load("head.pap", {"ENACTORS": 2, "PLANS": 5}))
    prop = head.prop("endpoint_has_ips")
    # the new shortest counterexample, exactly as `papcheck check` shows it
    assert f"  {prop.trace.length}-step shortest counterexample:" in out
    assert all(f"line {s.line}" in out for s in prop.trace.steps[1:])
    assert "Transitions: changed Enactor.applying.apply\n" in out
    assert "Constants: unchanged\n" in out
    assert "Verdict: holds -> violated\n" in out
    assert out.rstrip().endswith("Diff: REGRESSION: invariant endpoint_has_ips")
    row = next(l for l in out.splitlines() if "invariant endpoint_has_ips" in l and "->" in l)
    assert row.split()[0] == "XX" and row.rstrip().endswith("REGRESSED")


def test_adding_the_compare_and_set_fixes_it(files):
    r = papcheck("diff", "head.pap", "base.pap", *SMALL)
    assert r.exit_code == 0
    assert "REGRESS" not in r.stdout
    row = next(l for l in r.stdout.splitlines() if "invariant endpoint_has_ips" in l)
    assert "violated in" in row and row.rstrip().endswith("-> holds   fixed")
    assert r.stdout.rstrip().endswith("Diff: no regression")


def test_states_and_transitions_change(files):
    doc = json.loads(papcheck("diff", "base.pap", "head.pap", *SMALL, "--format", "json").stdout)
    base = api.check(api.load("base.pap", {"ENACTORS": 2, "PLANS": 5}))
    head = api.check(api.load("head.pap", {"ENACTORS": 2, "PLANS": 5}))
    assert doc["base"]["stats"] == {"states": base.stats.states, "transitions": base.stats.transitions,
                                    "depth": base.stats.depth}
    assert doc["head"]["stats"]["states"] == head.stats.states
    assert doc["base"]["complete"] is True and doc["head"]["complete"] is False
    assert doc["regressions"] == ["invariant endpoint_has_ips"] and doc["exit_code"] == 1
    (p,) = [p for p in doc["properties"] if p["name"] == "endpoint_has_ips"]
    assert (p["base"], p["head"], p["change"]) == ("holds", "violated", "regressed")
    assert len(p["counterexample"]["states"]) == head.prop("endpoint_has_ips").trace.length + 1
    assert doc["transitions"] == {"added": [], "removed": [], "changed": ["Enactor.applying.apply"]}


def test_markdown(files):
    md = papcheck("diff", "base.pap", "head.pap", *SMALL, "--format", "markdown").stdout
    assert md.startswith("### ❌ papcheck diff `head.pap`: REGRESSION: invariant endpoint_has_ips")
    assert "| `invariant endpoint_has_ips` | holds | violated in" in md and "**regressed**" in md
    assert "<details><summary>New counterexample: invariant endpoint_has_ips" in md
    assert "- Transitions: changed Enactor.applying.apply" in md


def test_constants_transitions_properties_added_and_removed(files):
    (files / "a.pap").write_text(TOY)
    (files / "b.pap").write_text(
        TOY.replace("const N = 2\n", "const N = 3\nconst K = 1\n")
        .replace("on inc when", "on dec when x > 5 { x := x - 1 }\n    on inc2 when")
        .replace("reachable top: x == N\n", "reachable never: x == 9 - K * 9 + 9\n"))
    r = papcheck("diff", "a.pap", "b.pap", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["constants"] == {"added": {"K": 1}, "removed": {}, "changed": {"N": [2, 3]}}
    assert doc["transitions"] == {"added": ["M.s.dec", "M.s.inc2"], "removed": ["M.s.inc"], "changed": []}
    changes = {p["name"]: p["change"] for p in doc["properties"]}
    assert changes == {"small": "unchanged", "never": "added", "top": "removed"}
    assert r.exit_code == 0  # an added property that fails is not a regression


def test_witness_lost_is_a_regression(files):
    (files / "a.pap").write_text(TOY)
    (files / "b.pap").write_text(TOY.replace("when x < N", "when x < 1"))
    r = papcheck("diff", "a.pap", "b.pap")
    assert r.exit_code == 1
    assert "Witnesses: gained -; lost top" in r.stdout
    assert "Diff: REGRESSION: reachable top" in r.stdout
    r = papcheck("diff", "b.pap", "a.pap")
    assert r.exit_code == 0 and "Witnesses: gained top; lost -" in r.stdout


def test_new_model_error_is_a_regression(files):
    (files / "a.pap").write_text(TOY)
    (files / "b.pap").write_text(TOY.replace("when x < N ", ""))
    r = papcheck("diff", "a.pap", "b.pap")
    assert r.exit_code == 1
    assert "NEW MODEL ERROR:" in r.stdout and "Diff: REGRESSION: model error" in r.stdout


def test_head_spec_error_is_exit_3_and_broken_base_is_a_note(files):
    (files / "broken.pap").write_text(TOY.replace("x := x + 1", "y := 1"))
    (files / "a.pap").write_text(TOY)
    r = papcheck("diff", "a.pap", "broken.pap")
    assert r.exit_code == 3 and "broken.pap:6:25: error: unknown name 'y'" in r.stderr
    r = papcheck("diff", "broken.pap", "a.pap")
    assert r.exit_code == 0 and "base: has errors, so it could not be checked" in r.stdout


def test_usage_errors(files):
    assert papcheck("diff", "base.pap").exit_code == 2
    assert papcheck("diff", "--git", "HEAD", "a.pap", "b.pap").exit_code == 2
    r = papcheck("diff", "base.pap", "head.pap", "-D", "NOPE=1")
    assert r.exit_code == 2 and "neither version of the spec declares a constant 'NOPE'" in r.stderr


def test_incomplete_is_exit_4(files):
    r = papcheck("diff", "base.pap", "base.pap", "--max-states", "10")
    assert r.exit_code == 4


def git(cwd: pathlib.Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch):
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "dns.pap").write_text(CAS)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    (tmp_path / "specs" / "dns.pap").write_text(RACY)
    monkeypatch.chdir(tmp_path / "specs")
    return tmp_path


def test_git_revision_of_the_same_path(repo):
    r = papcheck("diff", "--git", "HEAD", "dns.pap", *SMALL)
    assert r.exit_code == 1
    assert r.stdout.startswith("papcheck diff: dns.pap@HEAD -> dns.pap\n")
    assert "REGRESSED: invariant endpoint_has_ips" in r.stdout


def test_git_new_file_and_bad_revision(repo):
    (repo / "specs" / "toy.pap").write_text(TOY)
    r = papcheck("diff", "--git", "HEAD", "toy.pap")
    assert r.exit_code == 0
    assert "base: does not exist in HEAD" in r.stdout
    r = papcheck("diff", "--git", "no-such-branch", "dns.pap")
    assert r.exit_code == 2 and "--git no-such-branch: no such revision" in r.stderr


def test_config_constants_apply_where_declared(files):
    (files / "papcheck.toml").write_text('define = { ENACTORS = 2, PLANS = 5, OTHER = 1 }\nmax-states = 100000\n')
    r = papcheck("diff", "base.pap", "head.pap", "--format", "json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert doc["head"]["constants"]["ENACTORS"] == 2 and doc["base"]["constants"]["PLANS"] == 5


def test_unreadable_base_with_a_define_is_a_note(files):
    # found by mypy: the strict -D check parsed the base's SpecError as a source (exit 70)
    (files / "bin.pap").write_bytes(b"\xff\xfe protocol")
    (files / "a.pap").write_text(TOY)
    r = papcheck("diff", "bin.pap", "a.pap", "-D", "N=1")
    assert r.exit_code == 0 and "base: has errors, so it could not be checked" in r.stdout
