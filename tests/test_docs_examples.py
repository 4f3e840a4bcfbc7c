"""Every command and configuration example in README.md and docs/ runs as documented (issue 17,
item 4).

* A `$ papcheck ...` line in a text block is run (through a shell, as a reader would, with
  `papcheck` on PATH) in a scratch copy of the repository's specs and examples; every line printed
  under it in the docs must appear, in order, in what the command prints.  `...` stands for
  lines left out (and a line ending in `...` is cut short); the timing lines (their figures vary) are not compared.
* A `papcheck ...` line in a `sh` block must run without a usage error, spec error or internal
  error (exit codes 2, 3, 70), unless it is listed in SKIP with the reason.
* A TOML configuration block is run as the repository's configuration: every run must pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "docs/ci.md", "docs/dsl.md", "docs/export.md", "docs/prove.md", "docs/json-schema.md"]

# illustrations, not runnable as written
SKIP = {
    "papcheck diff --git origin/main specs/dynamodb_dns_cas.pap": "needs a git remote",
    "papcheck diff --git HEAD~1 specs/x.pap --format markdown": "names a placeholder spec",
    "papcheck diff old.pap new.pap -D ENACTORS=2": "names placeholder specs",
    "papcheck check --gate specs/one.pap": "names a placeholder spec",
    "papcheck check": "runs the config's specs: covered by test_config_examples_pass",
    "papcheck export spec.pap --to promela -o model.pml": "names a placeholder spec",
    "papcheck export spec.pap --to murphi -o model.m": "names a placeholder spec",
}
EXPECTED_EXIT = {"papcheck check bad.pap": 3, "papcheck check specs/reference_dns.pap -D FIX=3": 2}
TIMING = re.compile(r"^(papcheck: [0-9.]+ s, |  (start-up|load|safety search|liveness graph|minimization|"
                    r"rendering) +[0-9.]+ s)")


def blocks(doc: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block."""
    text = (ROOT / doc).read_text()
    return re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M)


# servers run until stopped: tests/test_explorer_web.py and tests/test_lsp.py start and stop them
SERVERS = ("papcheck explore", "papcheck lsp")


def shown_runs() -> list[tuple[str, str, list[str]]]:
    """(doc, command, documented output lines) for every `$ papcheck` line."""
    out = []
    for doc in DOCS:
        for lang, body in blocks(doc):
            if lang not in ("text", "console", ""):
                continue
            lines = body.splitlines()
            for i, line in enumerate(lines):
                if line.startswith("$ papcheck") and not line[2:].startswith(SERVERS):
                    cmd = line[2:].split("  #")[0].strip()
                    shown = []
                    for l in lines[i + 1:]:
                        if l.startswith("$ "):
                            break
                        shown.append(l.rstrip())
                    out.append((doc, cmd, shown))
    return out


def sh_runs() -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        for lang, body in blocks(doc):
            if lang != "sh":
                continue
            for line in body.splitlines():
                cmd = line.split("  #")[0].strip()
                if cmd.startswith("papcheck ") and not cmd.startswith(SERVERS):
                    out.append((doc, cmd))
    return out


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """A scratch directory with the specs and examples, and `papcheck` on PATH."""
    d = tmp_path_factory.mktemp("docs")
    shutil.copytree(ROOT / "specs", d / "specs")
    shutil.copytree(ROOT / "examples", d / "examples")
    shutil.copytree(ROOT / "tests" / "bad_specs", d / "tests" / "bad_specs")  # the error examples
    shutil.copytree(ROOT / "tests" / "attack_prove", d / "tests" / "attack_prove")  # the prover's refusals
    (d / "bad.pap").write_text((ROOT / "tests/data/readme_bad.pap").read_text())
    bin_dir = d / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "papcheck"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m checker.cli "$@"\n')
    wrapper.chmod(0o755)
    return d


def run(sandbox: Path, cmd: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PATH=f"{sandbox / 'bin'}:{os.environ['PATH']}",
               COLUMNS="200")
    return subprocess.run(cmd, shell=True, cwd=sandbox, env=env, capture_output=True, text=True, timeout=600)


def _cost(cmd: str) -> list:
    return [pytest.mark.slow] if "--self-check" in cmd else []


@pytest.mark.parametrize("doc,cmd,shown", [pytest.param(*r, id=f"{r[0]}:{r[1]}", marks=_cost(r[1]))
                                           for r in shown_runs()])
def test_shown_output(sandbox: Path, doc: str, cmd: str, shown: list[str]) -> None:
    p = run(sandbox, cmd)
    assert p.returncode not in (70,) and "Traceback" not in p.stderr, p.stderr
    if cmd in EXPECTED_EXIT:
        assert p.returncode == EXPECTED_EXIT[cmd], p.stderr
    actual = [l.rstrip() for l in (p.stdout + p.stderr).splitlines()]
    want = [l for l in shown if l.strip() and l.strip() != "..." and not TIMING.match(l)]
    pos = 0
    for line in want:
        # a line cut short with "..." matches any line it begins
        hit = [i for i in range(pos, len(actual))
               if actual[i] == line or (line.endswith("...") and actual[i].startswith(line[:-3]))]
        if hit:
            pos = hit[0] + 1
        else:
            raise AssertionError(f"{doc}: `{cmd}` does not print, in this order:\n{line}\n\n"
                                 f"it prints:\n{p.stdout}{p.stderr}")


@pytest.mark.parametrize("doc,cmd", [pytest.param(*r, id=f"{r[0]}:{r[1]}") for r in sh_runs()])
def test_sh_commands_run(sandbox: Path, doc: str, cmd: str) -> None:
    if cmd in SKIP:
        pytest.skip(SKIP[cmd])
    p = run(sandbox, cmd)
    want = EXPECTED_EXIT.get(cmd)
    if want is not None:
        assert p.returncode == want, p.stderr
    else:
        assert p.returncode not in (2, 3, 70), f"{doc}: `{cmd}` exits {p.returncode}:\n{p.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("doc", ["README.md", "docs/ci.md"])
def test_config_examples_pass(sandbox: Path, tmp_path: Path, doc: str) -> None:
    """The documented configuration, used as the repository's, gates every shipped spec: PASS."""
    configs = [body for lang, body in blocks(doc) if lang == "toml" and "[tool.papcheck]" in body]
    assert configs
    for body in configs:
        work = tmp_path / doc.replace("/", "_")
        work.mkdir()
        shutil.copytree(ROOT / "specs", work / "specs")
        (work / "pyproject.toml").write_text(body)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        p = subprocess.run([sys.executable, "-m", "checker.cli", "check", "-q", "--no-timing"], cwd=work,
                           env=env, capture_output=True, text=True, timeout=900)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "Gate: PASS" in p.stdout
