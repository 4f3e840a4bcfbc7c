"""`papcheck fmt`: canonical layout with every comment kept, idempotent, the same spec.

Every shipped spec (specs/, examples/workshop/, models/*.pap) is formatted: the result is a fixed
point of the formatter, parses to the same AST (doc strings included, spans aside), keeps every
comment, and two of them check to the same verdict and counts.  The command line is tested for
--check (exit 1 with the list), rewriting (atomically, nothing left behind), bad specs (exit 3,
located, file untouched) and the pre-commit hook entry.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from checker import api
from checker.lang.errors import SourceFile
from checker.lang.formatter import _docs, format_source
from checker.lang.parser import parse

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted([*ROOT.glob("specs/*.pap"), *ROOT.glob("examples/workshop/*/*.pap"), *ROOT.glob("models/*.pap")])


def _comments(text: str) -> list[str]:
    return [ln[ln.index("#"):].rstrip() for ln in text.splitlines() if "#" in ln]


def test_shipped_specs_are_found() -> None:
    assert len(SHIPPED) >= 15


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_fmt_round_trips_shipped_spec(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    out = format_source(SourceFile(str(path), text))
    assert format_source(SourceFile(str(path), out)) == out  # idempotent
    before, after = parse(SourceFile("a.pap", text)), parse(SourceFile("b.pap", out))
    assert after == before and _docs(after) == _docs(before)
    for c in _comments(text):  # every comment survives (trailing ones may share a line)
        assert c in out, c
    assert len(_comments(out)) <= len(_comments(text))


@pytest.mark.parametrize("name", ["examples/workshop/02_two_enactors/spec.pap", "specs/flag_rollout.pap"])
def test_formatted_spec_checks_the_same(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    out = format_source(SourceFile(name, text))
    assert out != text  # the layout does change these
    a = api.check(api.load_text(text, name))
    b = api.check(api.load_text(out, name))
    assert (a.verdict, a.stats.states, a.stats.transitions) == (b.verdict, b.stats.states, b.stats.transitions)
    assert [(p.name, p.status) for p in a.properties] == [(p.name, p.status) for p in b.properties]


MESSY = """# header comment
# second header line

protocol   P   # the name
const N=2      # how many
## the counter
var x :0..N= 0
machine   M {
  # the only state
  state s { on go when x<N { x:=x+1   # step
      # after the step
    }
  }
}
# properties follow

invariant small : x<=N
# trailing remark
"""

EXPECTED = """# header comment
# second header line

protocol P  # the name

const N = 2  # how many

## the counter
var x: 0..N = 0

machine M {
  # the only state
  state s {
    on go when x < N {
      x := x + 1  # step
      # after the step
    }
  }
}

# properties follow

invariant small: x <= N
# trailing remark
"""


def test_comment_placement() -> None:
    out = format_source(SourceFile("m.pap", MESSY))
    assert out == EXPECTED
    assert format_source(SourceFile("m.pap", out)) == out


def _fmt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker.cli", "fmt", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_cli_check_rewrite_and_bad_spec(tmp_path: Path) -> None:
    messy, good, bad = tmp_path / "messy.pap", tmp_path / "good.pap", tmp_path / "bad.pap"
    messy.write_text(MESSY)
    good.write_text(EXPECTED)
    bad.write_text("protocol P\nconst N = = 2\nvar x: bool = tru e\n")
    p = _fmt("--check", "messy.pap", "good.pap", cwd=tmp_path)
    assert p.returncode == 1 and p.stdout == "would reformat messy.pap\n", p
    assert messy.read_text() == MESSY
    p = _fmt("messy.pap", "good.pap", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == "reformatted messy.pap\n", p
    assert messy.read_text() == EXPECTED
    assert _fmt("--check", ".", cwd=tmp_path).returncode == 3  # the directory holds bad.pap
    p = _fmt("--check", "messy.pap", "good.pap", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == "", p
    p = _fmt("bad.pap", "messy.pap", cwd=tmp_path)
    assert p.returncode == 3
    assert "bad.pap:2:11: error:" in p.stderr and "bad.pap:3:19: error:" in p.stderr and "Traceback" not in p.stderr
    assert bad.read_text() == "protocol P\nconst N = = 2\nvar x: bool = tru e\n"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["bad.pap", "good.pap", "messy.pap"]  # no temp files
    assert _fmt("missing.pap", cwd=tmp_path).returncode == 2


def test_pre_commit_hook() -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: papcheck-fmt" in hooks and "entry: papcheck fmt\n" in hooks
