"""Footprints are complete by construction: for every expression and statement form of the
grammar, and every position inside it, a read (or write) hidden there makes two transitions
dependent.

The forms are the grammar's own: every `-> alias` of checker/lang/grammar/papcheck.lark must appear in
CASES (a hidden read or write in each of its positions), in LEAVES (forms with no sub-expression
that could read the state) or in OUTSIDE_TRANSITIONS (declarations and types, whose expressions
are constants).  A form added to the grammar fails this test until it is listed, and the analysis
itself over-approximates any AST node it does not know (the last tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker import api
from checker.lang import ast
from checker.reduce.footprint import KNOWN_EXPRS, KNOWN_STMTS, TOP, FootprintAnalysis, _Ctx, conflicts
from checker.reduce.por import PartialOrder

GRAMMAR = Path(__file__).resolve().parent.parent / "checker" / "lang" / "grammar" / "papcheck.lark"

DECLS = """protocol F
type RT = record { f: 0..1, s: set[0..1] }
var h: 0..1 = 0
var hs: set[0..1] = {0}
var hm: map[0..1, 0..1] = 0
var hms: map[0..1, set[0..1]] = {0}
var hr: RT = { f = 0, s = {0} }
var hq: chan[0..1, 1]
var o: 0..3 = 0
var os: set[0..1] = {}
var orr: RT = { f = 0, s = {} }
var oq: chan[0..1, 2]
"""

# (A's transition after `on ta`, B's body): A hides a read of what B writes (or writes what B
# reads) in exactly one position.  Keys: grammar alias, then the position.
CASES: dict[str, dict[str, tuple[str, str]]] = {
    # statements
    "assign": {"value": ("{ o := h }", "h := 1"),
               "target key": ("{ hm[h] := 0 }", "h := 1"),
               "target written": ("{ h := 1 }", "o := h"),
               "target field written": ("{ hr.f := 1 }", "o := hr.f"),
               "target entry written": ("{ hm[1] := 1 }", "o := hm[1]")},
    "if_stmt": {"condition": ("{ if h == 1 { o := 1 } }", "h := 1"),
                "then branch": ("{ if true { o := h } }", "h := 1"),
                "else branch": ("{ if false { skip } else { o := h } }", "h := 1")},
    "elif_clause": {"condition": ("{ if false { skip } elif h == 1 { o := 1 } }", "h := 1"),
                    "body": ("{ if false { skip } elif true { o := h } }", "h := 1")},
    "choose": {"set domain": ("{ choose v in hs\n o := v }", "hs.remove(0)"),
               "range domain": ("{ choose v in 0..h\n o := v }", "h := 1"),
               "literal domain": ("{ choose v in {h, 0}\n o := v }", "h := 1"),
               "where": ("{ choose v in 0..1 where v == h\n o := v }", "h := 1"),
               "body": ("{ choose v in 0..1\n o := v + h }", "h := 1")},
    "for_stmt": {"set domain": ("{ for v in hs { o := v } }", "hs.remove(0)"),
                 "range domain": ("{ for v in 0..h { o := v } }", "h := 1"),
                 "literal domain": ("{ for v in {h, 0} { o := v } }", "h := 1"),
                 "body read": ("{ for v in 0..1 { o := v + h } }", "h := 1"),
                 "body write": ("{ for v in 0..1 { h := v } }", "o := h"),
                 "body entry write": ("{ for v in 0..1 { hm[v] := 1 } }", "o := hm[1]"),
                 "body set write": ("{ for v in 0..1 { hs.remove(v) } }", "o := len(hs)"),
                 "nested body": ("{ for v in 0..1 { for w in 0..1 { if w == v { o := h } } } }", "h := 1"),
                 "dynamic range body write": ("{ for v in 0..o { hm[v] := 0 } }", "o := hm[1]")},
    "send": {"value": ("{ send h to oq }", "h := 1"),
             "channel written": ("{ send 0 to hq }", "o := len(hq)")},
    "expr_stmt": {"argument": ("{ os.add(h) }", "h := 1"),
                  "set written": ("{ hs.add(1) }", "o := len(hs)"),
                  "set in map written": ("{ hms[1].add(1) }", "o := len(hms[1])"),
                  "set in record written": ("{ hr.s.remove(0) }", "o := len(hr.s)")},
    "assert_stmt": {"condition": ("{ assert h == 0 or h == 1 }", "h := 1")},
    # transition positions
    "param_in": {"set": ("(v in hs) { o := v }", "hs.remove(0)"),
                 "set in map": ("(v in hms[0]) { o := v }", "hms[0].remove(0)"),
                 "set in record": ("(v in hr.s) { o := v }", "hr.s := {}"),
                 "range bound": ("(v in 0..h) { o := v }", "h := 1"),
                 "literal element": ("(v in {h}) { o := v }", "h := 1")},
    "recv_clause": {"channel": ("recv v from hq { o := v }", "send 0 to hq")},
    "transition": {"guard": ("when h == 0 { o := 1 }", "h := 1")},
    "bodiless": {"guard": ("when h == 0", "h := 1")},  # `on ta when h == 0 -> s1`
    # expressions (in a guard, where any expression may stand)
    "cond": {"condition": ("when (if h == 1 then true else false) { skip }", "h := 1"),
             "then": ("when (if true then h == 1 else false) { skip }", "h := 1"),
             "else": ("when (if false then true else h == 1) { skip }", "h := 1")},
    "quant": {"set domain": ("when exists v in hs: v == 1 { skip }", "hs.add(1)"),
              "range domain": ("when exists v in 0..h: v == 1 { skip }", "h := 1"),
              "body": ("when forall v in 0..1: v != h { skip }", "h := 1")},
    "range_expr": {"low": ("when 1 in h..1 { skip }", "h := 1"),
                   "high": ("when 1 in 0..h { skip }", "h := 1")},
    "implies_op": {"left": ("when h == 1 => false { skip }", "h := 1"),
                   "right": ("when true => h == 1 { skip }", "h := 1")},
    "or_op": {"left": ("when h == 1 or false { skip }", "h := 1"),
              "right": ("when false or h == 1 { skip }", "h := 1")},
    "and_op": {"left": ("when h == 0 and true { skip }", "h := 1"),
               "right": ("when true and h == 0 { skip }", "h := 1")},
    "not_op": {"operand": ("when not (h == 1) { skip }", "h := 1")},
    "compare": {"left": ("when h < 1 { skip }", "h := 1"),
                "right": ("when 0 >= h { skip }", "h := 1")},
    "in_op": {"element": ("when h in {0} { skip }", "h := 1"),
              "set": ("when 0 in hs { skip }", "hs.remove(0)"),
              "literal element": ("when 1 in {h} { skip }", "h := 1")},
    "not_in_op": {"element": ("when h not in {1} { skip }", "h := 1"),
                  "set": ("when 0 not in hs { skip }", "hs.remove(0)")},
    "setop": {"left": ("when (hs union os) == os { skip }", "hs.add(1)"),
              "right": ("when (os intersect hs) == os { skip }", "hs.add(1)"),
              "minus": ("when (os minus hs) == os { skip }", "hs.add(1)")},
    "binop": {"+": ("when h + 1 > 1 { skip }", "h := 1"),
              "-": ("when 1 - h > 0 { skip }", "h := 1"),
              "*": ("when 2 * h > 0 { skip }", "h := 1"),
              "/": ("when 2 / (h + 1) > 1 { skip }", "h := 1"),
              "%": ("when 3 % (h + 1) > 0 { skip }", "h := 1")},
    "neg": {"operand": ("when -h < 0 { skip }", "h := 1")},
    "index": {"key": ("when hm[h] == 0 { skip }", "h := 1"),
              "map": ("when hm[0] == 0 { skip }", "hm[0] := 1"),
              "map as a whole": ("when hm[1] == 0 { skip }", "hm := hm"),
              "instance": ("when B[0].y == 0 { skip }", "y := 1")},
    "field": {"record": ("when hr.f == 0 { skip }", "hr.f := 1"),
              "record as a whole": ("when hr.f == 0 { skip }", "hr := { f = 1, s = {} }"),
              "instance local": ("when B[0].y == 0 { skip }", "y := 1"),
              "field of a computed record": ("when (if true then hr else orr).f == 0 { skip }", "hr.f := 1")},
    "at": {"control state": ("when B[0] at b0 { skip }", "skip"),
           "instance index": ("when B[h] at b0 { skip }", "h := 1")},
    "call": {"min": ("when min(h, 1) == 0 { skip }", "h := 1"),
             "max": ("when max(0, h) == 0 { skip }", "h := 1"),
             "abs": ("when abs(h) == 0 { skip }", "h := 1"),
             "len of set": ("when len(hs) == 1 { skip }", "hs.add(1)"),
             "len of channel": ("when len(hq) == 0 { skip }", "send 0 to hq")},
    "name": {"variable": ("when h == 0 { skip }", "h := 1")},
    "set_lit": {"element": ("when {h} == os { skip }", "h := 1")},
    "set_filter": {"set domain": ("when {v in hs where v == 1} == os { skip }", "hs.add(1)"),
                   "range domain": ("when {v in 0..h where true} == os { skip }", "h := 1"),
                   "condition": ("when {v in 0..1 where v == h} == os { skip }", "h := 1"),
                   "as a domain": ("when exists v in {w in hs where w > 0}: v == 1 { skip }", "hs.add(1)")},
    "set_image": {"element": ("when {v + h for v in 0..0} == os { skip }", "h := 1"),
                  "set domain": ("when {v for v in hs} == os { skip }", "hs.add(1)"),
                  "condition": ("when {v for v in 0..1 where v == h} == os { skip }", "h := 1"),
                  "in a loop domain": ("{ for v in {hm[w] for w in 0..1} { o := v } }", "hm[0] := 1")},
    "record_lit": {"field": ("when { f = h, s = {} } == orr { skip }", "h := 1")},
}
LEAVES = {"int_lit", "true_lit", "false_lit", "self_ref", "skip", "param_typed"}
OUTSIDE_TRANSITIONS = {"property", "leads_to", "deadlock_free", "expect_holds", "expect_violated",
                       "bool_type", "range_type", "named_type", "set_type", "map_type", "enum_type",
                       "record_type", "chan_type", "optional_type",
                       # initial-value domains (`var x: T in D`, `in any`) are evaluated once, to
                       # build the initial states; no transition reads them
                       "var_in", "var_any"}


def _grammar_forms() -> set[str]:
    text = GRAMMAR.read_text()
    forms = set(re.findall(r"->\s*([a-z_]+)", text))
    # forms without an alias that hold expressions of their own
    forms |= {"transition", "elif_clause", "recv_clause", "quant"}
    return forms


def test_every_grammar_form_is_enumerated() -> None:
    listed = set(CASES) | LEAVES | OUTSIDE_TRANSITIONS
    forms = _grammar_forms()
    assert forms - listed == set(), "grammar forms without a footprint case"
    assert listed - forms == set(), "cases for forms the grammar no longer has"


@dataclass
class Case:
    form: str
    position: str
    a: str
    b: str


ALL_CASES = [Case(f, p, a, b) for f, ps in CASES.items() for p, (a, b) in ps.items()]


def _spec(case: Case) -> api.Spec:
    text = (DECLS + f"machine A {{ var x: 0..1 = 0\n init state s0 {{ on ta {case.a} -> s1 }} final state s1 {{ }} }}\n"
            f"machine B[2] {{ var y: 0..1 = 0\n init state b0 {{ on tb {{ {case.b} }} -> b1 }} final state b1 {{ }} }}\n")
    return api.load_text(text)


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.form}:{c.position}" for c in ALL_CASES])
@pytest.mark.parametrize("solver", [False, True], ids=["footprints", "z3"])
def test_a_read_or_write_hidden_in_each_position_makes_transitions_dependent(case: Case, solver: bool) -> None:
    spec = _spec(case)
    model = spec.model
    po = PartialOrder.build(model, use_solver=solver)
    a = next(i for i, x in enumerate(model.actions) if x.transition.name == "ta")
    b = next(i for i, x in enumerate(model.actions) if x.transition.name == "tb" and x.instance == 0)
    assert conflicts(po.footprints[a], po.footprints[b]), (po.footprints[a].describe(), po.footprints[b].describe())
    assert not po._independent(a, b)  # type: ignore[attr-defined]
    assert 0 not in po.safe[0], "A's only state must not form an ample set"


def test_the_walk_knows_every_node_type_of_the_ast() -> None:
    def subclasses(cls):  # the language's own node kinds (tests define stand-ins of their own)
        out = set()
        for c in cls.__subclasses__():
            out |= ({c} if c.__module__ == ast.__name__ else set()) | subclasses(c)
        return out
    assert subclasses(ast.Expr) <= set(KNOWN_EXPRS)
    assert subclasses(ast.Stmt) <= set(KNOWN_STMTS)


def test_an_unknown_node_is_over_approximated() -> None:
    @dataclass(frozen=True)
    class Mystery(ast.Expr):
        inner: ast.Expr

    @dataclass(frozen=True)
    class Poke(ast.Stmt):
        what: ast.Expr

    spec = api.load_text(DECLS + "machine A { init state s0 { on t { skip } -> s1 } final state s1 { } }\n")
    fa = FootprintAnalysis(spec.checked)
    reads: set = set()
    fa.expr(Mystery(ast.IntLit(1)), _Ctx(None, None), reads)
    assert TOP in reads
    reads, writes = set(), set()
    fa.stmts((Poke(ast.IntLit(1)),), _Ctx(None, None), reads, writes)
    assert TOP in reads and TOP in writes
