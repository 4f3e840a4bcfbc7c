"""The house rules that import-linter cannot see: only the command line prints or exits.

(The import rules themselves, layers and which layer may import z3, lark, networkx and click, are
import-linter contracts in pyproject.toml; `.ci/run` runs `lint-imports`.)
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "checker"
ENTRY_POINTS = {"cli"}  # the folders/modules allowed to print and exit
CHILD_EXIT = Path("checker/engine/processes.py")  # ends a child whose parent is gone, nothing else


def _outside_cli() -> list[Path]:
    files = []
    for p in sorted(PACKAGE.rglob("*.py")):
        rel = p.relative_to(PACKAGE)
        if rel.parts[0].removesuffix(".py") not in ENTRY_POINTS:
            files.append(p)
    return files


def _offences(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in ("print", "exit", "quit"):
                found.append((node.lineno, f"{f.id}()"))
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                    (f.value.id, f.attr) in {("sys", "exit"), ("os", "_exit"), ("click", "echo")}:
                found.append((node.lineno, f"{f.value.id}.{f.attr}()"))
    return found


def test_only_the_command_line_prints_or_exits() -> None:
    offences = [f"{p.relative_to(PACKAGE.parent)}:{line}: {what}"
                for p in _outside_cli() for line, what in _offences(ast.parse(p.read_text(encoding="utf-8")))
                if not (p.relative_to(PACKAGE.parent) == CHILD_EXIT and what == "os._exit()")]
    assert offences == []


def test_the_rule_sees_a_print() -> None:
    assert _offences(ast.parse("def f():\n    print('x')\n    sys.exit(1)\n")) == [(2, "print()"), (3, "sys.exit()")]


def test_every_subpackage_says_its_role_and_what_it_may_import() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert doc, f"{init} has no docstring"
        assert "May import" in doc, f"{init}'s docstring does not say what it may import"
