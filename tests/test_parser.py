"""Parser: every construct of the grammar gives the expected AST node, spans point at the source,
`##` doc comments attach to the next declaration, `choose` scopes the rest of its block, and
pretty-printing then parsing gives back an equal AST (shipped specs and generated ones)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from checker.lang import ast
from checker.lang.ast import (
    Assert,
    Assign,
    At,
    Binary,
    BoolLit,
    BoolType,
    Call,
    ChanType,
    Choose,
    Cond,
    ConstDecl,
    EnumType,
    ExpectDecl,
    Field,
    If,
    In,
    Index,
    IntLit,
    MachineDecl,
    MapType,
    MethodCall,
    Name,
    NamedType,
    Param,
    PropertyDecl,
    Quant,
    RangeExpr,
    RangeType,
    RecordLit,
    RecordType,
    Recv,
    SelfRef,
    Send,
    SetLit,
    SetType,
    Skip,
    Transition,
    TypeDecl,
    Unary,
    VarDecl,
)
from checker.lang.errors import NO_SPAN, SourceFile, Span, SpecError
from checker.lang.parser import parse
from checker.lang.pretty import pretty_spec
from tests.genspec import protocols

SPECS = sorted(Path(__file__).resolve().parent.parent.joinpath("specs").glob("*.pap"))


def P(text: str) -> ast.Spec:
    return parse(SourceFile("t.pap", text))


def expr(text: str) -> ast.Expr:
    spec = P(f"protocol P\ninvariant i: {text}\n")
    return spec.decls[0].expr


def typ(text: str) -> ast.TypeExpr:
    return P(f"protocol P\nvar v: {text}\n").decls[0].type


def body(text: str) -> tuple:
    spec = P("protocol P\nmachine M {\n  state s {\n    on t {\n" + text + "\n    }\n  }\n}\n")
    return spec.decls[0].states[0].transitions[0].body


def transition(head: str) -> Transition:
    spec = P("protocol P\nmachine M {\n  state s {\n    " + head + "\n  }\n}\n")
    return spec.decls[0].states[0].transitions[0]


N = Name
I = IntLit


# ------------------------------------------------------------------------------- declarations


def test_const_type_var_declarations():
    spec = P("protocol Demo\nconst A = 3\nconst B: 1..4 = 2\ntype T = 0..A\nvar x: T\nvar y: bool = true\n")
    assert spec.name == "Demo"
    assert spec.decls == (
        ConstDecl("A", None, I(3)),
        ConstDecl("B", RangeType(I(1), I(4)), I(2)),
        TypeDecl("T", RangeType(I(0), N("A"))),
        VarDecl("x", NamedType("T"), None),
        VarDecl("y", BoolType(), BoolLit(True)),
    )


def test_machine_with_modifiers_count_vars_and_states():
    spec = P("protocol P\nsymmetric fair machine M[3] {\n  var x: 0..1\n  init state a { }\n"
             "  final state b { }\n  init final state c { }\n}\nmachine Solo { state s { } }\n")
    m, solo = spec.decls
    assert isinstance(m, MachineDecl)
    assert (m.name, m.count, m.modifiers) == ("M", I(3), ("symmetric", "fair"))
    assert m.vars == (VarDecl("x", RangeType(I(0), I(1)), None),)
    assert [(s.name, s.initial, s.final) for s in m.states] == [
        ("a", True, False), ("b", False, True), ("c", True, True)]
    assert (solo.count, solo.modifiers, [s.name for s in solo.states]) == (None, (), ["s"])


def test_transition_with_every_clause():
    t = transition("fair on go(i: 0..1, j in {1, 2}, k in Ids) recv m from q[self] when x < 2 { skip } -> b")
    assert t == Transition(
        "go",
        (Param("i", RangeType(I(0), I(1))), Param("j", SetLit((I(1), I(2)))), Param("k", N("Ids"))),
        Recv("m", Index(N("q"), SelfRef())),
        Binary("<", N("x"), I(2)),
        (Skip(),),
        "b",
        fair=True,
    )


def test_transition_minimal():
    t = transition("on t { }")
    assert t == Transition("t", (), None, None, (), None, fair=False)


def test_properties_and_expectations():
    spec = P("protocol P\ninvariant i: true\nreachable r: false\ndeadlock_free d\n"
             "recoverable rc: true\neventually e: true\nalways_eventually ae: true\n"
             "leads_to l: x ~> y\nexpect violated i, r\n")
    assert spec.decls == (
        PropertyDecl("invariant", "i", BoolLit(True)),
        PropertyDecl("reachable", "r", BoolLit(False)),
        PropertyDecl("deadlock_free", "d", None),
        PropertyDecl("recoverable", "rc", BoolLit(True)),
        PropertyDecl("eventually", "e", BoolLit(True)),
        PropertyDecl("always_eventually", "ae", BoolLit(True)),
        PropertyDecl("leads_to", "l", N("x"), N("y")),
        ExpectDecl("violated", ("i", "r")),
    )
    assert P("protocol P\nexpect holds\n").decls == (ExpectDecl("holds", ()),)


# -------------------------------------------------------------------------------------- types


@pytest.mark.parametrize("text, node", [
    ("bool", BoolType()),
    ("0..N-1", RangeType(I(0), Binary("-", N("N"), I(1)))),
    ("-2..2", RangeType(I(-2), I(2))),
    ("Gen", NamedType("Gen")),
    ("set[Gen]", SetType(NamedType("Gen"))),
    ("map[0..1, set[bool]]", MapType(RangeType(I(0), I(1)), SetType(BoolType()))),
    ("enum { red, green }", EnumType((("red", NO_SPAN), ("green", NO_SPAN)))),
    ("record { a: bool, b: 0..3 }", RecordType((("a", BoolType(), NO_SPAN),
                                                 ("b", RangeType(I(0), I(3)), NO_SPAN)))),
    ("chan[0..2, 3]", ChanType(RangeType(I(0), I(2)), I(3))),
])
def test_types(text, node):
    assert typ(text) == node


def test_enum_and_record_types_compare_without_their_spans():
    # member and field spans sit inside tuples; equality must still ignore them
    a = P("protocol P\ntype E = enum { a, b }\ntype R = record { f: bool }\n")
    b = P("protocol P\ntype E = enum {  a,\n b }\n\ntype R = record {\n f: bool }\n")
    assert a == b and hash(a.decls[0].type) == hash(b.decls[0].type)
    assert typ("enum { a, b }") != typ("enum { b, a }")
    assert typ("record { f: bool }") != typ("record { f: 0..1 }")


# -------------------------------------------------------------------------------- expressions


@pytest.mark.parametrize("text, node", [
    ("42", I(42)),
    ("-3", I(-3)),
    ("true", BoolLit(True)),
    ("false", BoolLit(False)),
    ("self", SelfRef()),
    ("x", N("x")),
    ("(x)", N("x")),
    ("{}", SetLit(())),
    ("{1, x}", SetLit((I(1), N("x")))),
    ("{a = 1, b = true}", RecordLit((("a", I(1)), ("b", BoolLit(True))))),
    ("m[k]", Index(N("m"), N("k"))),
    ("r.f", Field(N("r"), "f")),
    ("M[2].x", Field(Index(N("M"), I(2)), "x")),
    ("M[i] at idle", At(Index(N("M"), N("i")), "idle")),
    ("max(a, b, 1)", Call(N("max"), (N("a"), N("b"), I(1)))),
    ("len(s)", Call(N("len"), (N("s"),))),
    ("-x", Unary("-", N("x"))),
    ("not p", Unary("not", N("p"))),
    ("a + b", Binary("+", N("a"), N("b"))),
    ("a - b", Binary("-", N("a"), N("b"))),
    ("a * b", Binary("*", N("a"), N("b"))),
    ("a / b", Binary("/", N("a"), N("b"))),
    ("a % b", Binary("%", N("a"), N("b"))),
    ("a == b", Binary("==", N("a"), N("b"))),
    ("a != b", Binary("!=", N("a"), N("b"))),
    ("a < b", Binary("<", N("a"), N("b"))),
    ("a <= b", Binary("<=", N("a"), N("b"))),
    ("a > b", Binary(">", N("a"), N("b"))),
    ("a >= b", Binary(">=", N("a"), N("b"))),
    ("s union t", Binary("union", N("s"), N("t"))),
    ("s intersect t", Binary("intersect", N("s"), N("t"))),
    ("s minus t", Binary("minus", N("s"), N("t"))),
    ("x in s", In(N("x"), N("s"), False)),
    ("x not in s", In(N("x"), N("s"), True)),
    ("x in 1..3", In(N("x"), RangeExpr(I(1), I(3)), False)),
    ("p and q", Binary("and", N("p"), N("q"))),
    ("p or q", Binary("or", N("p"), N("q"))),
    ("p => q", Binary("=>", N("p"), N("q"))),
    ("forall e in Endpoint: p", Quant("forall", "e", N("Endpoint"), N("p"))),
    ("exists i in 0..2: m[i] > 0", Quant("exists", "i", RangeExpr(I(0), I(2)),
                                        Binary(">", Index(N("m"), N("i")), I(0)))),
    ("if p then 1 else 2", Cond(N("p"), I(1), I(2))),
])
def test_expressions(text, node):
    assert expr(text) == node


@pytest.mark.parametrize("text, node", [
    # precedence, loosest first: => , or, and, not, comparison/in, set ops, + -, * / %, unary -, postfix
    ("a or b and c", Binary("or", N("a"), Binary("and", N("b"), N("c")))),
    ("a and b or c", Binary("or", Binary("and", N("a"), N("b")), N("c"))),
    ("a => b => c", Binary("=>", N("a"), Binary("=>", N("b"), N("c")))),
    ("a or b => c", Binary("=>", Binary("or", N("a"), N("b")), N("c"))),
    ("not a == b", Unary("not", Binary("==", N("a"), N("b")))),
    ("not a and b", Binary("and", Unary("not", N("a")), N("b"))),
    ("1 + 2 * 3", Binary("+", I(1), Binary("*", I(2), I(3)))),
    ("a - b - c", Binary("-", Binary("-", N("a"), N("b")), N("c"))),
    ("-a * b", Binary("*", Unary("-", N("a")), N("b"))),
    ("x + 1 in s union t", In(Binary("+", N("x"), I(1)), Binary("union", N("s"), N("t")), False)),
    ("s union t minus u", Binary("minus", Binary("union", N("s"), N("t")), N("u"))),
    ("a + 1 < b * 2", Binary("<", Binary("+", N("a"), I(1)), Binary("*", N("b"), I(2)))),
    ("m[i].f[j]", Index(Field(Index(N("m"), N("i")), "f"), N("j"))),
    ("(a or b) and c", Binary("and", Binary("or", N("a"), N("b")), N("c"))),
    ("forall i in S: p and q", Quant("forall", "i", N("S"), Binary("and", N("p"), N("q")))),
])
def test_precedence_and_associativity(text, node):
    assert expr(text) == node


# --------------------------------------------------------------------------------- statements


def test_statements():
    got = body("x := 1; m[k].f := y\n send v to q\n s.add(3); s.remove(x)\n assert x > 0\n skip;")
    assert got == (
        Assign(N("x"), I(1)),
        Assign(Field(Index(N("m"), N("k")), "f"), N("y")),
        Send(N("v"), N("q")),
        MethodCall(N("s"), "add", (I(3),)),
        MethodCall(N("s"), "remove", (N("x"),)),
        Assert(Binary(">", N("x"), I(0))),
        Skip(),
    )


def test_if_elif_else():
    got = body("if a { x := 1 } elif b { x := 2 } elif c { skip } else { x := 3 }")
    assert got == (If(((N("a"), (Assign(N("x"), I(1)),)),
                       (N("b"), (Assign(N("x"), I(2)),)),
                       (N("c"), (Skip(),))),
                      (Assign(N("x"), I(3)),)),)
    assert body("if a { }") == (If(((N("a"), ()),), ()),)


def test_choose_scopes_the_rest_of_its_block():
    got = body("a := 1\n choose x in 0..2 where x != a\n b := x\n choose y in S\n c := y")
    assert got == (
        Assign(N("a"), I(1)),
        Choose("x", RangeExpr(I(0), I(2)), Binary("!=", N("x"), N("a")), (
            Assign(N("b"), N("x")),
            Choose("y", N("S"), None, (Assign(N("c"), N("y")),)),
        )),
    )


def test_choose_inside_if_ends_with_the_if_block():
    got = body("if p { choose x in S; y := x } else { skip }\n z := 1")
    assert got == (
        If(((N("p"), (Choose("x", N("S"), None, (Assign(N("y"), N("x")),)),)),), (Skip(),)),
        Assign(N("z"), I(1)),
    )


def test_expression_statement_is_an_error():
    with pytest.raises(SpecError) as e:
        body("x + 1")
    assert "not a statement" in str(e.value)


# -------------------------------------------------------------------- record as an identifier


def test_record_stays_usable_as_an_identifier():
    spec = P("protocol P\ntype R = record { record: bool }\nvar record: map[0..1, R]\n"
             "machine M { state s { on t { record[0].record := true } } }\n"
             "invariant i: record[1].record or not record[0].record\n")
    assert spec.decls[0].type.fields[0][0] == "record"
    assert spec.decls[1].name == "record"
    assign = spec.decls[2].states[0].transitions[0].body[0]
    assert assign == Assign(Field(Index(N("record"), I(0)), "record"), BoolLit(True))
    assert spec.decls[3].expr == Binary("or", Field(Index(N("record"), I(1)), "record"),
                                       Unary("not", Field(Index(N("record"), I(0)), "record")))


# -------------------------------------------------------------------------------------- spans


def test_spans_point_at_the_source():
    text = ("protocol P\n"                               # 1
            "const N = 2\n"                              # 2
            "var x: 0..N = 0\n"                          # 3
            "machine M[N] {\n"                           # 4
            "  state idle {\n"                           # 5
            "    on go when x < N { x := x + 1 } -> busy\n"  # 6
            "  }\n"                                      # 7
            "  state busy { }\n"                         # 8
            "}\n"                                        # 9
            "invariant small: x <= N\n")                 # 10
    spec = P(text)
    const, var, machine, inv = spec.decls
    assert const.span == Span(2, 1, 2, 12)
    assert var.span == Span(3, 1, 3, 16)
    assert var.type.span == Span(3, 8, 3, 12)
    assert var.init.span == Span(3, 15, 3, 16)
    assert machine.span.line == 4 and machine.span.end_line == 9
    idle = machine.states[0]
    assert idle.span.line == 5
    go = idle.transitions[0]
    assert go.span == Span(6, 5, 6, 44)
    assert go.target_span == Span(6, 40, 6, 44)
    assert go.guard.span == Span(6, 16, 6, 21)
    assign = go.body[0]
    assert assign.span == Span(6, 24, 6, 34)
    assert assign.value.span == Span(6, 29, 6, 34)
    assert assign.value.right.span == Span(6, 33, 6, 34)
    assert inv.span.line == 10 and inv.expr.span == Span(10, 18, 10, 24)


def test_spans_are_excluded_from_equality():
    a = P("protocol P\nconst N = 2\n")
    b = P("protocol P\n\n\n   const    N =\n 2\n")
    assert a == b
    assert a.decls[0].span != b.decls[0].span


def test_enum_member_and_record_field_spans():
    t = typ("enum { red, green }")
    assert [sp for _, sp in t.members] == [Span(2, 15, 2, 18), Span(2, 20, 2, 25)]
    r = typ("record { a: bool }")
    assert r.fields[0][2] == Span(2, 17, 2, 18)


# ------------------------------------------------------------------------------ doc comments


def test_doc_comments_attach_to_the_next_declaration():
    spec = P("## the protocol\nprotocol P\n## first line\n##   second line\nconst N = 1\n"
             "# a plain comment is not documentation\nvar x: bool\n"
             "## a machine\nmachine M {\n  ## its variable\n  var y: bool\n"
             "  ## a state\n  state s {\n    ## a transition\n    on t { skip }\n  }\n}\n"
             "## a property\n\ninvariant i: true\n")
    const, var, m, inv = spec.decls
    assert spec.doc == "the protocol"
    assert const.doc == "first line second line"
    assert var.doc == ""
    assert m.doc == "a machine"
    assert m.vars[0].doc == "its variable"
    assert m.states[0].doc == "a state"
    assert m.states[0].transitions[0].doc == "a transition"
    assert inv.doc == "a property"  # a blank line between does not detach it


def test_doc_comments_of_shipped_spec():
    spec = parse(SourceFile(str(SPECS[0]), SPECS[0].read_text()))
    docs = {d.name: d.doc for d in spec.decls if isinstance(d, (VarDecl, PropertyDecl))}
    assert any(docs.values()), "the shipped specs document their variables"


# ----------------------------------------------------------------------------- syntax errors


@pytest.mark.parametrize("text, where, words", [
    ("protocol P\nmachine M { state s { on t { x = 1 } } }\n", "t.pap:2:32", ":="),
    ('protocol P\nconst N = "a"\n', "t.pap:2:11", "error"),
    ("protocol P\nvar x: bool =\n", "t.pap:", "end"),
    ("", "t.pap:1:1", "empty"),
])
def test_syntax_errors_are_located(text, where, words):
    with pytest.raises(SpecError) as e:
        P(text)
    message = str(e.value)
    assert message.startswith(where), message
    assert words in message


# -------------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_round_trip_shipped_specs(path):
    spec = parse(SourceFile(str(path), path.read_text()))
    printed = pretty_spec(spec)
    again = parse(SourceFile("printed.pap", printed))
    assert again == spec
    assert pretty_spec(again) == printed  # the normal form is a fixed point


def test_round_trip_keeps_every_construct():
    text = ("protocol All\nconst N: 1..3 = 2\ntype T = 0..N - 1\ntype E = enum { a, b }\n"
            "type R = record { f: bool, g: T }\nvar s: set[T] = {}\nvar m: map[T, R] = {f = true, g = 0}\n"
            "var q: chan[E, 2]\n"
            "symmetric machine M[N] {\n  var x: -1..1 = -1\n  init state idle {\n"
            "    fair on go(i: T, j in s) recv v from q when not (x == 0 or i in 0..1) {\n"
            "      if x > 0 { x := -x } elif x < 0 { x := (x + 1) * 1 } else { skip }\n"
            "      choose k in T where k != i\n      m[k].f := m[i].f and true\n"
            "      s.add(k); s.remove(i)\n      send a to q\n      assert len(s) >= 0 => true\n"
            "    } -> done\n  }\n  final state done { }\n}\n"
            "invariant inv: forall i in M: M[i] at idle or M[i].x in {-1, 0, 1}\n"
            "reachable r: exists k in T: (if m[k].f then 1 else 0) - -1 == 2 % 3\n"
            "deadlock_free d\nexpect violated inv, r\n")
    spec = P(text)
    assert P(pretty_spec(spec)) == spec


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(protocols())
def test_round_trip_generated_specs(text):
    spec = P(text)
    assert P(pretty_spec(spec)) == spec
