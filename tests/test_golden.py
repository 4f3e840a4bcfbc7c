"""Golden runs of every shipped spec: `papcheck check -q` text and `--format json --no-timing -q`
output, and the exit code, stored in tests/golden/<spec>.{txt,json,exit} and compared byte for
byte.  Each spec's `expect` line must be met.

Regenerate after an intended change of output with

    PAPCHECK_UPDATE_GOLDEN=1 pytest tests/test_golden.py

and review the diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from checker.cli import main
from tests.conftest import ROOT, SPECS

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("PAPCHECK_UPDATE_GOLDEN") == "1"
TEXT = ["check", "-q"]
JSON = ["check", "--format", "json", "--no-timing", "-q"]


def run_cli(args: list[str], monkeypatch) -> tuple[str, int]:
    # paths relative to the repository root, as a user would type them: no absolute path in output
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(main, args)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    return r.stdout, r.exit_code


def compare(path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual)
        return
    assert path.exists(), f"{path} is missing; create it with PAPCHECK_UPDATE_GOLDEN=1"
    expected = path.read_text()
    assert actual == expected, f"output differs from {path.relative_to(ROOT)}; if intended, " \
                               "regenerate with PAPCHECK_UPDATE_GOLDEN=1 and review the diff"


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_golden_text_and_exit_code(spec, monkeypatch):
    rel = str(spec.relative_to(ROOT))
    out, code = run_cli(TEXT + [rel], monkeypatch)
    compare(GOLDEN / f"{spec.stem}.txt", out)
    compare(GOLDEN / f"{spec.stem}.exit", f"{code}\n")
    assert out.splitlines()[0].startswith(f"papcheck: {rel}: protocol ")


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_golden_json_and_expectation(spec, monkeypatch):
    rel = str(spec.relative_to(ROOT))
    out, code = run_cli(JSON + [rel], monkeypatch)
    compare(GOLDEN / f"{spec.stem}.json", out)
    d = json.loads(out)
    assert d["spec"] == rel
    assert d["expectation"] is not None, f"{rel} has no `expect` line"
    assert d["expectation"]["met"] is True, f"{rel}: expected {d['expectation']}, got {d['verdict']}"
    assert code == {"holds": 0, "violated": 1}[d["expectation"]["verdict"]]


def test_every_golden_file_belongs_to_a_spec():
    stems = {p.stem for p in SPECS}
    stale = sorted(p.name for p in GOLDEN.glob("*.*") if p.is_file() and p.stem not in stems)
    assert not stale, f"golden files of specs that no longer exist: {stale}"


def test_output_is_identical_in_another_process():
    """A fresh interpreter with another hash seed prints the same bytes as the golden file."""
    spec = SPECS[0]
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    p = subprocess.run([sys.executable, "-m", "checker.cli", *JSON, str(spec.relative_to(ROOT))],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    golden = GOLDEN / f"{spec.stem}.json"
    if UPDATE:
        pytest.skip("golden files are being regenerated")
    assert p.stdout == golden.read_text()
