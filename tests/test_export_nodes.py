"""Every AST node kind is either translated by the exports or refused with a located error.

The language grows (for loops, set comprehensions, ...) in parallel with the exports: a node
kind the exports do not know must never become a silently different model.  The exports list the
kinds they translate (checker.export.common.HANDLED_EXPRS / HANDLED_STMTS) and refuse any other
anywhere in the spec with `path:line:col: error: the K expression|statement is not supported by
the <target> export yet`.  These tests walk the AST module's dataclasses, build each kind the
exports do not list, put it in a real spec and check every target refuses it at its location;
two kinds defined here stand for the ones being added (a `for` statement, a set comprehension).
"""

from __future__ import annotations

import dataclasses
import inspect
import typing

import pytest

from checker import api
from checker.export import TARGETS, ExportError, export
from checker.export.common import HANDLED_EXPRS, HANDLED_STMTS
from checker.lang import ast
from checker.lang.errors import Span

TARGET_NAMES = {"promela": "Promela", "murphi": "Murphi", "tla": "TLA+"}

SPEC = """\
protocol Host
var x: 0..3
machine M {
  state s {
    on t when x < 3 { x := x + 1 }
  }
}
invariant small: x <= 3
"""

AT = Span(5, 23, 5, 33)  # inside the transition's body


def _node_kinds(base: type) -> list[type]:
    return sorted((c for _, c in inspect.getmembers(ast, inspect.isclass)
                   if issubclass(c, base) and c is not base and dataclasses.is_dataclass(c)),
                  key=lambda c: c.__name__)


def _dummy(kind: type) -> object:
    """An instance of a node kind with placeholder fields (expressions are `0`, tuples empty)."""
    hints = typing.get_type_hints(kind, vars(ast))
    args = {}
    for f in dataclasses.fields(kind):
        h = str(hints.get(f.name, ""))
        if f.name == "span":
            args[f.name] = AT
        elif "tuple" in h:
            args[f.name] = ()
        elif "Expr" in h:
            args[f.name] = ast.IntLit(0, AT)
        elif "Stmt" in h:
            args[f.name] = ast.Skip(AT)
        elif h.endswith("str'>") or h == "str":
            args[f.name] = "v"
        elif "bool" in h:
            args[f.name] = False
        elif "int" in h:
            args[f.name] = 0
        else:
            args[f.name] = None
    return kind(**args)


_fresh = 0


def _with_node(node: object) -> api.Spec:
    """The host spec with `node` in its transition: a statement appended to the body, an
    expression as an `assert`'s condition."""
    global _fresh
    _fresh += 1  # a text of its own: loading may cache parsed trees, and this one is changed
    spec = api.load_text(SPEC.replace("protocol Host", f"protocol Host{_fresh}"), "host.pap")
    machine = spec.checked.spec.of(ast.MachineDecl)[0]
    tr = machine.states[0].transitions[0]
    stmt = node if isinstance(node, ast.Stmt) else ast.Assert(node, AT)  # type: ignore[arg-type]
    object.__setattr__(tr, "body", tr.body + (stmt,))
    return spec


@dataclasses.dataclass(frozen=True)
class For(ast.Stmt):
    """Stands for a statement kind added to the language after the exports were written."""

    var: str
    domain: ast.Expr
    body: tuple[ast.Stmt, ...]
    span: Span = AT


@dataclasses.dataclass(frozen=True)
class SetComp(ast.Expr):
    """Stands for an expression kind added after the exports were written."""

    var: str
    domain: ast.Expr
    cond: ast.Expr
    span: Span = AT


def _assert_refused(node: object, target: str) -> None:
    spec = _with_node(node)
    with pytest.raises(ExportError) as info:
        export(spec.checked, target)
    text = info.value.diagnostics.render()
    kind = "statement" if isinstance(node, ast.Stmt) else "expression"
    assert (f"host.pap:{AT.line}:{AT.col}: error: the {type(node).__name__} {kind} is not supported by "
            f"the {TARGET_NAMES[target]} export yet") in text, text
    assert "^" in text  # the source line and a caret


def test_the_host_spec_exports() -> None:
    spec = api.load_text(SPEC, "host.pap")
    for target in TARGETS:
        assert export(spec.checked, target)


@pytest.mark.parametrize("target", TARGETS)
def test_every_ast_node_kind_is_handled_or_refused(target: str) -> None:
    kinds = _node_kinds(ast.Expr) + _node_kinds(ast.Stmt)
    assert len(kinds) >= 20  # the walk found the AST's node kinds
    for kind in kinds:
        if issubclass(kind, HANDLED_EXPRS + HANDLED_STMTS):
            continue  # translated: tests/test_export.py and the differential tests check them
        _assert_refused(_dummy(kind), target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("node", [
    For("i", ast.RangeExpr(ast.IntLit(0, AT), ast.IntLit(2, AT), AT), (ast.Skip(AT),)),
    SetComp("i", ast.RangeExpr(ast.IntLit(0, AT), ast.IntLit(2, AT), AT), ast.BoolLit(True, AT)),
], ids=["for_statement", "set_comprehension"])
def test_a_new_node_kind_is_refused_at_its_location(target: str, node: object) -> None:
    _assert_refused(node, target)


def test_a_new_node_kind_nested_in_a_known_one_is_refused() -> None:
    inner = SetComp("i", ast.RangeExpr(ast.IntLit(0, AT), ast.IntLit(2, AT), AT), ast.BoolLit(True, AT))
    nested = ast.If(((ast.Binary("==", ast.IntLit(1, AT), ast.IntLit(1, AT), AT), (ast.Assert(
        ast.In(ast.IntLit(1, AT), inner, False, AT), AT),)),), (), AT)
    for target in TARGETS:
        spec = _with_node(nested)
        with pytest.raises(ExportError, match="the SetComp expression is not supported"):
            export(spec.checked, target)
