"""Highlighting: the Pygments lexer (through its entry point, as `pygmentize -l pap` finds it)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pygments = pytest.importorskip("pygments")
from pygments.token import Comment, Error, Keyword, Name, String, Text  # noqa: E402

from checker.editor.lexer import PapLexer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(p for d in ("specs", "models", "examples") for p in (ROOT / d).rglob("*.pap"))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_spec_lexes_without_errors(path):
    text = path.read_text()
    tokens = list(PapLexer().get_tokens(text))
    assert "".join(v for _, v in tokens) == (text if text.endswith("\n") else text + "\n")
    assert not [v for t, v in tokens if t is Error or (t is Text and v.strip())]


def test_token_classes():
    text = ("protocol P\n## the bound\nconst N = 2  # a comment\nmachine M[N] {\n  state s {\n"
            "    on go when x < N { x := max(x, 1) } -> s\n  }\n}\ninvariant ok: forall i in 0..N: true\n")
    kinds = {v: t for t, v in PapLexer().get_tokens(text) if v.strip()}
    assert kinds["protocol"] in Keyword and kinds["machine"] in Keyword and kinds["invariant"] in Keyword
    assert kinds["## the bound"] in String.Doc and kinds["# a comment"] in Comment
    assert kinds["go"] in Name and kinds["max"] in Name.Builtin and kinds["forall"] in Keyword
    assert kinds["true"] in Keyword.Constant


def test_pygmentize_finds_the_entry_point(tmp_path):
    """Install the entry point declared in pyproject.toml into a throwaway dist-info, then run
    pygmentize -l pap exactly as a user would after `pip install papcheck[editor]`."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    target = meta["project"]["entry-points"]["pygments.lexers"]["pap"]
    info = tmp_path / "papcheck_lexer_probe-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: papcheck-lexer-probe\nVersion: 0\n")
    (info / "entry_points.txt").write_text(f"[pygments.lexers]\npap = {target}\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    code = "from pygments.cmdline import main; raise SystemExit(main(['pygmentize'] + __import__('sys').argv[1:]))"
    spec = str(ROOT / "specs" / "dynamodb_dns.pap")
    out = subprocess.run([sys.executable, "-c", code, "-l", "pap", "-f", "html", spec],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert '<span class="kd">machine</span>' in out.stdout and '<span class="sd">## newest plan' in out.stdout
    # and by file name
    out = subprocess.run([sys.executable, "-c", "import sys; from pygments.lexers import get_lexer_for_filename;"
                          "print(get_lexer_for_filename('x.pap').name)"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.stdout.strip() == "papcheck", out.stderr


def test_lexer_does_not_import_the_checker():
    out = subprocess.run([sys.executable, "-c", "import sys, checker.editor.lexer; "
                          "print(sorted(m for m in sys.modules if m.startswith(('pygls', 'lark', 'z3'))))"],
                         capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_any_is_a_keyword_only_after_in():
    toks = [(t, v) for t, v in PapLexer().get_tokens("var r: map[E, G] in any\nvar any: 0..1 = 0\n") if v.strip()]
    assert (Keyword, "any") in toks and (Name.Class, "any") in toks
