"""The VS Code extension's TextMate grammar, tokenized as VS Code does it (vscode-textmate on
vscode-oniguruma, from npm) on every shipped spec, and held against the Pygments lexer.

Skipped when Node.js is missing.  The npm packages live in editors/vscode/node_modules: CI runs
`npm ci` there (.ci/run); without it this test runs `npm ci` itself, and skips if that fails
(no registry).  node_modules is never committed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("pygments")
from pygments.token import Comment, Keyword, Name, Number, Operator, String

from checker.editor.lexer import PapLexer

ROOT = Path(__file__).resolve().parent.parent
EXT = ROOT / "editors" / "vscode"
SPECS = sorted(p for d in ("specs", "models", "examples") for p in (ROOT / d).rglob("*.pap"))

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


@pytest.fixture(scope="module")
def tokens() -> dict[str, list]:
    if not (EXT / "node_modules" / "vscode-textmate").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed and editors/vscode/node_modules is missing")
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=EXT,
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            pytest.skip(f"npm ci failed in editors/vscode: {r.stderr.strip()[-300:]}")
    r = subprocess.run(["node", "test/tokenize.js", *map(str, SPECS)], cwd=EXT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


# what a Pygments token class must be in the TextMate grammar (scope prefixes)
EXPECTED = [
    (String.Doc, ("comment.line.documentation",)),
    (Comment.Single, ("comment.line.number-sign",)),
    (Keyword.Constant, ("constant.language",)),
    (Keyword.Type, ("support.type",)),
    (Keyword, ("storage.", "keyword.control")),
    (Operator.Word, ("keyword.operator.word",)),
    (Number.Integer, ("constant.numeric",)),
    (Name.Class, ("entity.name.type", "entity.name.function", "variable.other.declaration")),
    (Name.Label, ("entity.name.tag.state",)),
]


def test_grammar_matches_the_pygments_lexer_on_every_spec(tokens):
    assert len(SPECS) >= 10
    checked = 0
    for spec in SPECS:
        text = spec.read_text()
        tm = tokens[str(spec)]
        by_pos: dict[tuple[int, int], list[str]] = {}
        for line, start, end, scopes in tm:
            for col in range(start, end):
                by_pos[(line, col)] = scopes
        lines = text.splitlines()
        # every visible character has a scope beyond the file's own
        for ln, line in enumerate(lines, start=1):
            for col, ch in enumerate(line):
                if not ch.isspace():
                    assert len(by_pos.get((ln, col), [])) > 1, f"{spec}:{ln}:{col + 1}: no scope for {ch!r}"
        # and agrees with Pygments on what each word is
        offset_line = [0]
        for line in lines:
            offset_line.append(offset_line[-1] + len(line) + 1)
        for start, ttype, value in PapLexer().get_tokens_unprocessed(text):
            if not value.strip():
                continue
            for klass, prefixes in EXPECTED:
                if ttype in klass:
                    ln = max(i for i in range(1, len(offset_line)) if offset_line[i - 1] <= start)
                    col = start - offset_line[ln - 1]
                    scopes = by_pos.get((ln, col), [])
                    assert any(s.startswith(prefixes) for s in scopes), \
                        f"{spec}:{ln}:{col + 1}: {value!r} is {ttype} for Pygments but {scopes} in TextMate"
                    checked += 1
                    break
    assert checked > 1000



def test_any_is_a_keyword_only_after_in(tmp_path):
    if not (EXT / "node_modules" / "vscode-textmate").is_dir():
        pytest.skip("editors/vscode/node_modules is missing (npm ci)")
    spec = tmp_path / "any.pap"
    spec.write_text("protocol A\nvar r: set[0..1] in any\nvar any: 0..1 = 0\n")
    r = subprocess.run(["node", "test/tokenize.js", str(spec)], cwd=EXT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    scopes = {(line, start): s for line, start, _end, s in json.loads(r.stdout)[str(spec)]}
    assert any(x.startswith("keyword.control") for x in scopes[(2, 20)])  # `in any`
    assert not any(x.startswith("keyword") for x in scopes.get((3, 4), []))  # `var any`
