"""Many specs, expectations, configuration and exit codes (checker/gate.py through the CLI)."""

from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from checker.ci import gate
from checker.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent

TOY = """protocol Toy
const N = 2
var x: 0..3 = 0
machine M {
  state s {
    on inc when x < N { x := x + 1 }
  }
}
invariant small: x <= 1
reachable top: x == N
"""
HOLDS = TOY.replace("x <= 1", "x <= 3")


def papcheck(*args: str) -> CliRunnerResult:  # noqa: F821
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def specs(tmp_path, monkeypatch):
    """A project: a spec that holds, one that fails as it expects, one that holds without expect."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # the repository root: config search stops here
    d = tmp_path / "specs"
    d.mkdir()
    (d / "b_teaching.pap").write_text(TOY + "expect violated small\n")
    (d / "a_fixed.pap").write_text(HOLDS + "expect holds\n")
    (d / "c_plain.pap").write_text(HOLDS)
    (d / ".hidden").mkdir()
    (d / ".hidden" / "skip.pap").write_text("not a spec")
    (d / "notes.txt").write_text("not a spec either")
    return d


def lines(text: str) -> list[str]:
    return text.splitlines()


# ------------------------------------------------------------------------ gate semantics


def test_directory_checks_every_spec_sorted_and_passes_met_expectations(specs):
    r = papcheck("check", "specs", "-q")
    assert r.exit_code == 0, r.output
    out = lines(r.stdout)
    assert [l.split()[1] for l in out[:3]] == ["specs/a_fixed.pap", "specs/b_teaching.pap", "specs/c_plain.pap"]
    assert out[0].startswith("PASS  ") and "holds, as expected" in out[0]
    assert "violated small, as expected" in out[1]
    assert out[2].startswith("PASS  ") and " holds  (" in out[2]
    assert out[-1] == "Gate: PASS -- 3 runs: 3 passed"


def test_unexpected_hold_and_unexpected_violation_fail_the_gate(specs):
    (specs / "b_teaching.pap").write_text(HOLDS + "expect violated small\n")
    (specs / "c_plain.pap").write_text(TOY)
    r = papcheck("check", "specs", "-q")
    assert r.exit_code == 1
    out = lines(r.stdout)
    assert out[1].startswith("FAIL  ") and "holds, but the spec expects violated small" in out[1]
    assert out[2].startswith("FAIL  ") and "invariant small violated in 2 steps" in out[2]
    assert "==> specs/c_plain.pap: FAIL" in r.stdout and "2-step shortest counterexample" in r.stdout
    assert out[-1] == "Gate: FAIL -- 3 runs: 2 failed, 1 passed"


def test_single_spec_plain_exit_is_the_verdict_and_gate_uses_expect(specs):
    teaching = "specs/b_teaching.pap"
    r = papcheck("check", teaching, "-q")
    assert r.exit_code == 1 and "Expected: violated small -- met" in r.stdout
    assert "Gate:" not in r.stdout
    r = papcheck("check", "--gate", teaching, "-q")
    assert r.exit_code == 0
    assert lines(r.stdout)[-1] == "Gate: PASS -- violated small, as expected"


def test_spec_error_in_a_directory_is_reported_and_exit_3(specs):
    (specs / "d_broken.pap").write_text("protocol Broken\nvar x: 0..2 = 0\nmachine M { state s { on go { y := 1 } } }\n")
    r = papcheck("check", "specs", "-q")
    assert r.exit_code == 3
    row = next(l for l in lines(r.stdout) if "d_broken" in l)
    assert row.split()[:2] == ["ERROR", "specs/d_broken.pap"] and row.endswith("1 error in the spec")
    assert "specs/d_broken.pap:3:31: error: unknown name 'y'" in r.stdout
    (specs / "c_plain.pap").write_text(TOY)  # a definite violation outranks the broken spec
    assert papcheck("check", "specs", "-q").exit_code == 1


def test_incomplete_exit_4_unless_told_otherwise(specs):
    spec = str(ROOT / "specs" / "dynamodb_dns_cas.pap")
    assert papcheck("check", spec, "--max-states", "20", "-q").exit_code == 4
    assert papcheck("check", "--gate", spec, "--max-states", "20", "-q").exit_code == 4
    r = papcheck("check", "--gate", spec, "--max-states", "20", "-q", "--no-fail-on-incomplete")
    assert r.exit_code == 0
    assert lines(r.stdout)[-1] == "Gate: INCOMPLETE -- not decided: the search stopped at --max-states"
    # plain mode: incomplete is always 4, the flag is about the gate
    assert papcheck("check", spec, "--max-states", "20", "-q", "--no-fail-on-incomplete").exit_code == 4


def test_defines_go_to_the_specs_that_declare_them(specs):
    (specs / "e_other.pap").write_text(HOLDS.replace("protocol Toy", "protocol Other").replace(
        "const N = 2\n", "const K = 1\nconst N = 2\n"))
    r = papcheck("check", "specs", "-q", "-D", "K=0")
    assert r.exit_code == 0, r.output
    r = papcheck("check", "specs", "-q", "-D", "NOPE=1")
    assert r.exit_code == 2 and "no spec declares a constant 'NOPE'" in r.stderr
    r = papcheck("check", "specs/c_plain.pap", "-q", "-D", "NOPE=1")
    assert r.exit_code == 2 and "declares no constant 'NOPE'" in r.stderr


def test_missing_spec_and_no_spec(specs):
    r = papcheck("check", "nothing.pap")
    assert r.exit_code == 2 and "nothing.pap: no such file or directory" in r.stderr
    r = papcheck("check")
    assert r.exit_code == 2 and "no spec given" in r.stderr
    r = papcheck("check", "specs/*.nope")
    assert r.exit_code == 2 and "no spec matches" in r.stderr


def test_globs_and_duplicates(specs):
    r = papcheck("check", "specs/a_*.pap", "specs/a_fixed.pap", "./specs/a_fixed.pap", "-q")
    assert r.exit_code == 0
    assert r.stdout.count("a_fixed.pap") == 1


def test_json_format_in_gate_mode(specs):
    r = papcheck("check", "specs", "-q", "--format", "json", "--no-timing")
    doc = json.loads(r.stdout)
    assert doc["kind"] == "gate" and doc["gate"]["passed"] is True
    assert [x["spec"] for x in doc["runs"]] == ["specs/a_fixed.pap", "specs/b_teaching.pap", "specs/c_plain.pap"]
    assert doc["runs"][1]["result"]["expectation"] == {"verdict": "violated", "properties": ["small"], "met": True}
    assert r.stdout == papcheck("check", "specs", "-q", "--format", "json", "--no-timing").stdout


def test_report_writes_extra_formats(specs, tmp_path):
    r = papcheck("check", "specs", "-q", "--report", "junit=out.xml", "--report", "markdown=out.md")
    assert r.exit_code == 0
    assert ET.parse(tmp_path / "out.xml").getroot().get("tests") == "9"
    assert (tmp_path / "out.md").read_text().startswith("### ✅ papcheck passed")
    r = papcheck("check", "specs", "--report", "pdf=x")
    assert r.exit_code == 2 and "--report pdf=x" in r.stderr


# ----------------------------------------------------------------------------- config


def test_pyproject_config_specs_matrix_and_limits(specs, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.papcheck]\nspecs = ["specs/b_*.pap", "specs/c_plain.pap"]\n'
        'format = "junit"\n\n[tool.papcheck.matrix]\nN = [1, 2]\n')
    r = papcheck("check", "-q")
    assert r.exit_code == 1, r.output  # b_teaching with N=1: small holds but is expected to fail
    root = ET.fromstring(r.stdout)
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == ["specs/b_teaching.pap [N=1]", "specs/b_teaching.pap [N=2]",
                     "specs/c_plain.pap [N=1]", "specs/c_plain.pap [N=2]"]
    assert [s.get("failures") for s in root.findall("testsuite")] == ["1", "0", "0", "0"]
    # flags override the config: -D beats the matrix, --format beats format
    r = papcheck("check", "-q", "-D", "N=2", "--format", "text")
    assert r.exit_code == 0 and lines(r.stdout)[-1] == "Gate: PASS -- 2 runs: 2 passed"


def test_papcheck_toml_found_from_a_subdirectory_with_overrides(specs, tmp_path, monkeypatch):
    (tmp_path / "papcheck.toml").write_text(
        'specs = "specs"\nmax-states = 1\n\n[[overrides]]\nspecs = ["specs/b_*"]\nmax-states = 100\n')
    monkeypatch.chdir(specs)
    r = papcheck("check", "-q", "--no-fail-on-incomplete")
    assert r.exit_code == 0
    out = lines(r.stdout)
    assert out[0].startswith("INCOMPLETE") and out[0].split()[1] == "a_fixed.pap"
    assert out[1].startswith("PASS") and out[1].split()[1] == "b_teaching.pap"
    assert papcheck("check", "-q").exit_code == 4


def test_find_config_stops_at_repository_root(tmp_path):
    (tmp_path / "papcheck.toml").write_text("")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    assert gate.find_config(str(repo / "sub")) is None
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert gate.find_config(str(repo / "sub")) is None  # no [tool.papcheck] table
    (repo / "pyproject.toml").write_text("[tool.papcheck]\nspecs = []\n")
    assert gate.find_config(str(repo / "sub")) == str(repo / "pyproject.toml")


@pytest.mark.parametrize("toml, line, col, message", [
    ('[tool.papcheck]\nspecs = ["specs"]\nmax_states = 5\n', 3, 1,
     "unknown key 'max_states' (did you mean 'max-states'?)"),
    ('[tool.papcheck]\nspecs = ["specs"]\ntimeout = "soon"\n', 3, 1,
     'timeout must be a positive number of seconds, not "soon"'),
    ('[tool.papcheck]\nspecs = ["specs"]\n\n[tool.papcheck.matrix]\nN = [1, 1]\n', 5, 1,
     "matrix N lists a value twice"),
    ('[tool.papcheck]\nspecs = ["specs"]\nmatrix = { N = [1], ENACTORZ = [2] }\n', 3, 21,
     "no checked spec declares a constant 'ENACTORZ'"),
    ('[tool.papcheck]\nspecs = ["specs", "spex/*.pap"]\n', 2, 20, "spex/*.pap: no spec matches this pattern"),
    ('[tool.papcheck]\nformat = "xml"\n', 2, 1, 'format must be one of text, json, sarif, junit, github, markdown'),
    ('[tool.papcheck]\nspecs = ["specs"]\n\n[[tool.papcheck.overrides]]\nspecs = "x"\n\n'
     '[[tool.papcheck.overrides]]\nspecs = "y"\nstrategy = "random"\n', 9, 1, "strategy must be one of bfs, dfs"),
    ('[tool.papcheck]\nspecs = [\n', 2, 10, "not valid TOML"),
    ('[tool.papcheck]\nspecs = ["a" "b"]\nformat = "text"\n', 2, 14, "not valid TOML"),
])
def test_config_errors_are_located(specs, tmp_path, toml, line, col, message):
    (tmp_path / "pyproject.toml").write_text(toml)
    r = papcheck("check", "-q")
    assert r.exit_code == 2, r.output
    first = r.stderr.splitlines()[0]
    assert first.startswith(f"pyproject.toml:{line}:{col}: error: "), r.stderr
    assert message in first
    if line <= len(toml.splitlines()):
        assert r.stderr.splitlines()[1].strip() == toml.splitlines()[line - 1].strip()
        assert "^" in r.stderr.splitlines()[2]
    assert "Traceback" not in r.output


def test_explicit_config_flag(specs, tmp_path):
    (tmp_path / "ci.toml").write_text('specs = ["specs/c_plain.pap"]\nformat = "markdown"\n')
    r = papcheck("check", "-q", "--config", "ci.toml")
    assert r.exit_code == 0 and r.stdout.startswith("### ✅")
    r = papcheck("check", "-q", "--config", "missing.toml")
    assert r.exit_code == 2 and "missing.toml: no such file" in r.stderr


@pytest.mark.parametrize("doc", ["README.md", "docs/ci.md"])
def test_documented_config_examples_are_valid(doc, tmp_path):
    if doc == "README.md" and "## Use in CI" not in (ROOT / doc).read_text():
        pytest.skip("README.md has no CI section")
    text = (ROOT / doc).read_text()
    section = text[text.index("Use in CI"):] if doc == "README.md" else text
    blocks = [b.split("```", 1)[0] for b in section.split("```toml\n")[1:]]
    assert blocks
    for block in blocks:
        (tmp_path / "pyproject.toml").write_text(block)
        cfg = gate.load_config(str(tmp_path / "pyproject.toml"))
        assert cfg.specs == ["specs/*.pap"] and cfg.matrix == {"ENACTORS": [2, 3]}
        assert cfg.overrides[0].matrix == {"FIX": [0, 1]}
