"""The GitHub Action's script (checker/cli/action.py), run locally on a temporary git repository:
a base commit with the compare-and-set fix (the spec holds) and a pull request that removes it
(the race is back)."""

from __future__ import annotations

import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest
from click.testing import CliRunner

from checker import api
from checker.cli import main as cli_main

ROOT = pathlib.Path(__file__).resolve().parent.parent
CAS = (ROOT / "specs" / "dynamodb_dns_cas.pap").read_text()
CAS_LINE = "      if plan > record[next] { record[next] := plan }\n"
RACY = CAS.replace(CAS_LINE, "      record[next] := plan\n")
CONSTANTS = {"ENACTORS": 2, "PLANS": 5}

jsonschema = pytest.importorskip("jsonschema")
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())

pytestmark = pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
                                reason="git is not installed")


def git(cwd: pathlib.Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    """main: the CAS spec (holds); origin/main points there; feature: the CAS removed."""
    r = tmp_path / "repo"
    (r / "specs").mkdir(parents=True)
    git(r, "init", "-q", "-b", "main")
    (r / "specs" / "dns.pap").write_text(CAS)
    (r / "papcheck.toml").write_text('specs = ["specs"]\ndefine = { ENACTORS = 2, PLANS = 5 }\n')
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "base: compare-and-set")
    git(r, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(r, "checkout", "-q", "-b", "feature")
    (r / "specs" / "dns.pap").write_text(RACY)
    git(r, "commit", "-q", "-am", "head: drop the compare-and-set")
    return r


def run_action(repo: pathlib.Path, tmp_path: pathlib.Path, **env: str) -> tuple[int, str, str, str]:
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    summary.write_text("")
    outputs.write_text("")
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PAPCHECK_"))}
    full.update({"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs),
                 "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")})
    full.update(env)
    p = subprocess.run([sys.executable, "-m", "checker.cli.action"], cwd=repo, env=full, capture_output=True,
                       text=True, timeout=300)
    return p.returncode, p.stdout, summary.read_text(), outputs.read_text()


@pytest.mark.slow  # runs papcheck as subprocesses, as the action does
def test_pull_request_that_reintroduces_the_race(repo, tmp_path):
    code, out, summary, outputs = run_action(repo, tmp_path, GITHUB_EVENT_NAME="pull_request",
                                             GITHUB_BASE_REF="main")
    assert code == 1, out

    head = api.check(api.load(str(repo / "specs" / "dns.pap"), CONSTANTS))
    prop = head.prop("endpoint_has_ips")
    assert head.verdict == "violated" and prop.trace is not None

    # the check step: annotations on the spec, SARIF for code scanning
    assert f"::error file=specs/dns.pap,line={prop.line},title=papcheck%3A invariant endpoint_has_ips" in out
    sarif = json.loads((repo / "papcheck.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "invariant" and result["level"] == "error"
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "specs/dns.pap" and loc["region"]["startLine"] == prop.line
    flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [f["location"]["physicalLocation"]["region"]["startLine"] for f in flow] == [
        s.line for s in prop.trace.steps[1:]]
    apply_line = next(i for i, l in enumerate(RACY.splitlines(), 1) if l.strip() == "record[next] := plan") - 1
    assert apply_line in [s.line for s in prop.trace.steps]  # the `on apply` transition is in the race

    # the summary: the gate table and the diff against the base branch
    assert summary.startswith("### ❌ papcheck failed: 1 run: 1 failed")
    assert re.search(r"\| ❌ \| `specs/dns.pap` \| ENACTORS=2 ENDPOINTS=2 PLANS=5 PURGE_AGE=2 \| violated \| "
                     r"holds \|", summary)
    assert "## Spec changes since `origin/main`" in summary
    assert "### ❌ papcheck diff `specs/dns.pap`: REGRESSION: invariant endpoint_has_ips" in summary
    assert "| `invariant endpoint_has_ips` | holds | violated in" in summary and "**regressed**" in summary
    assert f"{prop.trace.length}-step shortest counterexample" in summary
    assert "- Transitions: changed Enactor.applying.apply" in summary

    # the diff step's text on standard output
    assert "$ papcheck diff --git origin/main" in out
    assert "REGRESSED: invariant endpoint_has_ips (held before, violated in" in out
    assert "Diff: REGRESSION: invariant endpoint_has_ips" in out

    assert outputs.splitlines() == ["exit-code=1", "sarif-file=papcheck.sarif"]


@pytest.mark.slow  # runs papcheck as subprocesses, as the action does
def test_base_branch_passes_and_has_no_diff(repo, tmp_path):
    git(repo, "checkout", "-q", "main")
    code, out, summary, outputs = run_action(repo, tmp_path, GITHUB_EVENT_NAME="pull_request",
                                             GITHUB_BASE_REF="main")
    assert code == 0, out
    assert "::error" not in out
    sarif = json.loads((repo / "papcheck.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert sarif["runs"][0]["results"] == []
    assert summary.startswith("### ✅ papcheck passed: 1 run: 1 passed")
    assert "Spec changes" not in summary and "papcheck diff" not in out
    assert outputs.splitlines() == ["exit-code=0", "sarif-file=papcheck.sarif"]


@pytest.mark.slow  # runs papcheck as subprocesses, as the action does
def test_push_event_checks_without_diff_and_honours_inputs(repo, tmp_path):
    code, out, summary, outputs = run_action(
        repo, tmp_path, GITHUB_EVENT_NAME="push", PAPCHECK_SARIF="", PAPCHECK_ARGS="--max-states 30",
        PAPCHECK_FAIL_ON_INCOMPLETE="false")
    assert code == 0, out  # stopped by the limit before the race: incomplete, allowed by the input
    assert "::warning file=specs/dns.pap" in out and "papcheck diff" not in out
    assert not (repo / "papcheck.sarif").exists()
    assert outputs.splitlines() == ["exit-code=0", "sarif-file="]
    code, *_ = run_action(repo, tmp_path, GITHUB_EVENT_NAME="push", PAPCHECK_ARGS="--max-states 30")
    assert code == 4


@pytest.mark.slow  # runs papcheck as subprocesses, as the action does
def test_pull_request_with_a_new_spec_compares_nothing(repo, tmp_path):
    (repo / "specs" / "extra.pap").write_text(CAS.replace("protocol DynamoDbDnsCas", "protocol Extra"))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "a new spec")
    code, out, summary, _ = run_action(repo, tmp_path, GITHUB_EVENT_NAME="pull_request", GITHUB_BASE_REF="main",
                                       PAPCHECK_SPECS="specs/extra.pap")
    assert code == 1  # the modified dns.pap still regresses; the new spec holds and has no base
    assert "base: does not exist in origin/main" in out
    assert summary.count("papcheck diff `") == 2


def test_action_yml_runs_the_script_with_the_inputs_it_reads():
    yaml = pytest.importorskip("yaml")
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    script = next(s for s in steps if s.get("id") == "papcheck")
    assert script["run"].strip() == "python -m checker.cli.action"
    source = (ROOT / "checker" / "cli" / "action.py").read_text()
    for name, value in script["env"].items():
        assert name in source
        m = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value)
        assert m and m.group(1) in action["inputs"]
    assert {"specs", "args", "python-version", "fail-on-incomplete", "upload-sarif"} <= set(action["inputs"])
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "always()" in upload["if"]
    setup = steps[0]
    assert setup["uses"].startswith("actions/setup-python@")


def test_pre_commit_hook_checks_the_changed_files(repo, monkeypatch):
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"papcheck", "papcheck-fmt"}
    hook = hooks["papcheck"]
    assert hook["files"] == r"\.pap$" and hook["pass_filenames"] is True
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["papcheck", "check"] and "--max-states" in entry and "--timeout" in entry
    monkeypatch.chdir(repo)
    r = CliRunner().invoke(cli_main, entry[1:] + ["specs/dns.pap"])
    assert r.exit_code == 1  # the race is back: the commit is blocked
    (repo / "specs" / "dns.pap").write_text(CAS)
    r = CliRunner().invoke(cli_main, entry[1:] + ["specs/dns.pap"])
    assert r.exit_code == 0, r.output
