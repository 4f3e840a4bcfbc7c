"""Semantic analysis: constants and -D overrides, types, initial values, collected errors, warnings."""

from __future__ import annotations

import pytest

from checker.lang.errors import SourceFile, SpecError, UsageError
from checker.lang.parser import parse
from checker.lang.resolve import check_spec
from checker.lang.symbols import CheckedSpec
from checker.lang.types import BoolT, ChanT, EnumT, IntT, MapT, RangeT, RecordT, SetT


def chk(text: str, overrides: dict | None = None) -> CheckedSpec:
    src = SourceFile("t.pap", text)
    return check_spec(parse(src), src, overrides)


def errors_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as e:
        chk(text)
    return [f"{d.span.line}: {d.message}" for d in e.value.diagnostics.sorted() if d.severity == "error"]


def warnings_of(text: str) -> list[str]:
    return [d.message for d in chk(text).diagnostics.warnings]


MACHINE = "machine M { state s { on t { skip } } }\n"

SPEC = """protocol P
const N: 1..4 = 2
const B = N * 3 + 1
const F = true
type T = 0..N-1
var x: T
invariant i: x < B and F
""" + MACHINE


# ------------------------------------------------------------------------------------ constants


def test_constants_are_evaluated_in_order():
    c = chk(SPEC)
    assert {k: v.value for k, v in c.constants.items()} == {"N": 2, "B": 7, "F": True}
    assert isinstance(c.constants["N"].type, IntT) and isinstance(c.constants["F"].type, BoolT)
    assert not any(v.overridden for v in c.constants.values())
    assert c.constant_values() == {"N": 2, "B": 7, "F": True}


def test_override_applies_to_dependent_constants_and_types():
    c = chk(SPEC, {"N": 4})
    assert c.constants["N"].value == 4 and c.constants["N"].overridden
    assert c.constants["B"].value == 13 and not c.constants["B"].overridden
    assert c.shared[0].type == RangeT(0, 3)


def test_override_of_machine_count():
    c = chk("protocol P\nconst K = 2\nmachine M[K] { state s { on t { skip } } }\n", {"K": 5})
    assert c.machines[0].count == 5 and c.machines[0].index_type == RangeT(0, 4)


@pytest.mark.parametrize("overrides, words", [
    ({"N": 7}, ["-D N=7", "1..4", "t.pap:2"]),
    ({"N": 0}, ["-D N=0", "1..4"]),
    ({"N": True}, ["-D N=true"]),
    ({"F": 3}, ["-D F=3", "true or false"]),
    ({"Q": 1}, ["-D Q", "no constant 'Q'", "N, B, F"]),
])
def test_bad_overrides_are_usage_errors(overrides, words):
    with pytest.raises(UsageError) as e:
        chk(SPEC, overrides)
    for w in words:
        assert w in str(e.value)


def test_constant_outside_its_declared_type_is_a_spec_error():
    assert errors_of("protocol P\nconst N: 1..3 = 5\n" + MACHINE) == [
        "2: constant N = 5 is outside its type 1..3"]


# ---------------------------------------------------------------------------------------- types


def test_types_resolve():
    c = chk("""protocol P
const N = 3
type Id = 0..N-1
type Color = enum { red, green }
type R = record { a: -1..1, b: bool }
var s: set[Id]
var m: map[Color, Id]
var r: R
var q: chan[Color, 2]
machine M[N] { state a { on t { skip } } }
var mi: map[M, bool]
invariant i: len(s) >= 0 and m[red] == 0 and r.b and len(q) == 0 and mi[0]
""")
    types = {v.name: v.type for v in c.shared}
    assert types["s"] == SetT(RangeT(0, 2))
    assert types["m"] == MapT(EnumT("Color", ("red", "green")), RangeT(0, 2))
    assert types["r"] == RecordT("R", (("a", RangeT(-1, 1)), ("b", BoolT())))
    assert types["q"] == ChanT(EnumT("Color", ("red", "green")), 2)
    assert types["mi"] == MapT(RangeT(0, 2), BoolT())
    assert [m.name for m in c.machines] == ["M"] and c.machines[0].index_type == RangeT(0, 2)


@pytest.mark.parametrize("decl, message", [
    ("var x: 3..1", "empty range 3..1"),
    ("var x: set[set[bool]]", "set elements must be bool, a range or an enum"),
    ("var x: map[set[bool], bool]", "map keys must be bool, a range or an enum"),
    ("var x: chan[bool, 0]", "channel capacity must be in 1..64"),
    ("var x: chan[chan[bool, 1], 1]", "a channel cannot carry channels"),
    ("var x: Nope", "unknown type 'Nope'"),
    ("var x: enum { a, a }", "enum member 'a' appears twice"),
    ("var x: record { f: bool, f: bool }", "record field 'f' appears twice"),
])
def test_bad_types(decl, message):
    errs = errors_of(f"protocol P\n{decl}\n" + MACHINE)
    assert len(errs) == 1 and errs[0].startswith("2: ") and message in errs[0], errs


# ------------------------------------------------------------------------------- initial values


def test_initial_values_and_defaults():
    c = chk("""protocol P
type T = 0..1
type R = record { a: 1..3, b: bool }
var b: bool
var n: -3..3
var n2: 2..5
var e: enum { red, green }
var s: set[T]
var m: map[T, 2..5]
var r: R
var q: chan[bool, 2]
var mb: map[T, 0..5] = 3
var mm: map[bool, map[T, bool]] = true
var mr: map[T, R] = {a = 1, b = true}
var ms: map[T, set[T]] = {1}
var rs: R = {b = true, a = 3}
machine M[3] {
  var y: 0..3 = self
  var z: bool = true
  state a { on t { skip } }
}
""")
    inits = {v.name: v.inits[0] for v in c.shared}
    assert inits["b"] is False
    assert inits["n"] == 0  # a range starts at 0 when it contains 0,
    assert inits["n2"] == 2  # else at its lower bound
    assert inits["e"] == "red"
    assert inits["s"] == frozenset()
    assert inits["m"] == ((0, 2), (1, 2))
    assert inits["r"] == (("a", 1), ("b", False))
    assert inits["q"] == ()
    assert inits["mb"] == ((0, 3), (1, 3))  # one value broadcast to every key
    assert inits["mm"] == ((False, ((0, True), (1, True))), (True, ((0, True), (1, True))))
    assert inits["mr"] == ((0, (("a", 1), ("b", True))), (1, (("a", 1), ("b", True))))
    assert inits["ms"] == ((0, frozenset({1})), (1, frozenset({1})))
    assert inits["rs"] == (("a", 3), ("b", True))  # fields in declaration order
    y, z = c.machines[0].locals
    assert y.inits == [0, 1, 2]  # `self` is each instance's index
    assert z.inits == [True, True, True]


@pytest.mark.parametrize("decl, message", [
    ("var x: 0..3 = 5", "initial value of 'x': 5 is outside 0..3"),
    ("var x: map[0..1, 0..3] = 4", "initial value of 'x': 4 is outside 0..3"),
    ("var x: bool = 1", "the initial value of 'x' has type int, expected bool"),
    ("var x: enum { a, b } = 3", "the initial value of 'x' has type int, expected"),
    ("var x: set[0..2] = {true}", "set element has type bool, expected 0..2"),
    ("var x: record { f: bool } = {g = true}", "record literal does not match"),
])
def test_bad_initial_values(decl, message):
    errs = errors_of(f"protocol P\n{decl}\ninvariant i: x == x\n" + MACHINE)
    assert len(errs) == 1 and errs[0].startswith("2: ") and message in errs[0], errs


def test_initial_value_cannot_read_a_variable():
    errs = errors_of("protocol P\nvar a: 0..3\nvar b: 0..3 = a\ninvariant i: a == b\n" + MACHINE)
    assert len(errs) == 1 and "only constants" in errs[0]


# ------------------------------------------------------------------------------ collected errors


def test_every_error_of_a_spec_is_reported():
    errs = errors_of("""protocol P
var x: 0..3 = 5
var z: Foo
machine M {
  state a {
    on t { x := true; w := 1 } -> nowhere
  }
}
invariant i: x
reachable r: unknown_name > 0
""")
    lines = [int(e.split(":")[0]) for e in errs]
    assert lines == [2, 3, 6, 6, 6, 9, 10], errs
    text = "\n".join(errs)
    for words in ("outside 0..3", "unknown type 'Foo'", "expected 0..3", "unknown name 'w'",
                  "no state 'nowhere'", "must be true or false", "unknown name 'unknown_name'"):
        assert words in text


def test_errors_render_located_with_caret():
    with pytest.raises(SpecError) as e:
        chk("protocol P\nvar x: 0..3 = 5\n" + MACHINE)
    assert str(e.value).splitlines() == [
        "t.pap:2:15: error: initial value of 'x': 5 is outside 0..3",
        "    var x: 0..3 = 5",
        "                  ^",
    ]


@pytest.mark.parametrize("text, message", [
    ("protocol P\nvar x: bool\n", "declares no machine"),
    ("protocol P\nvar x: bool\nvar x: bool\n" + MACHINE, "'x' is already declared"),
    ("protocol P\n" + MACHINE + "invariant i: true\ninvariant i: true\n", "two properties are named 'i'"),
    ("protocol P\n" + MACHINE + "expect violated nope\n", "no property has that name"),
    ("protocol P\nmachine M { state s { } state s { } }\n", "two states named 's'"),
    ("protocol P\nmachine M { init state a { } init state b { } }\n", "more than one `init` state"),
    ("protocol P\nmachine M { state a { on t { skip } on t { skip } } }\n", "two transitions named 't'"),
    ("protocol P\n" + MACHINE + "invariant i: self == 0\n", "'self' is only meaningful inside a machine"),
    ("protocol P\nmachine M[2] { var y: bool\n state a { on t { M[0].y := true } } }\n",
     "another instance's variables can be read but not assigned"),
    ("protocol P\nvar q: chan[bool, 1]\nmachine M { state a { on t { send 1 to q } } }\n",
     "the message has type int, expected bool"),
])
def test_spec_errors(text, message):
    assert any(message in e for e in errors_of(text)), errors_of(text)


# ------------------------------------------------------------------------------------- warnings


def test_warnings():
    warns = warnings_of("""protocol P
var unused: bool
var x: 0..1
machine M {
  state a { on t { x := 1 } }
  state lonely { on u { skip } }
}
invariant i: x == x
deadlock_free d
""")
    assert any("'unused' is never read" in w for w in warns)
    assert not any("'x' is never read" in w for w in warns)
    assert any("M.lonely is unreachable" in w for w in warns)
    assert any("no state is marked `final`" in w for w in warns)


def test_state_without_transitions_warns_unless_final():
    def text(flag: str) -> str:
        return "protocol P\nmachine M {\n  state a { on t { skip } -> b }\n  " + flag + "state b { }\n}\n"
    assert any("M.b has no transitions" in w for w in warnings_of(text("")))
    assert not any("has no transitions" in w for w in warnings_of(text("final ")))


def test_a_clean_spec_has_no_warnings():
    assert warnings_of(SPEC) == []


def test_a_machine_reads_locals_and_states_of_a_machine_declared_after_it():
    c = chk("""protocol P
machine A { state s { on t when B[1].y and B[0] at done { skip } } }
machine B[2] { var y: bool
  state s { on t { y := true } -> done }
  final state done { }
}
""")
    assert [m.name for m in c.machines] == ["A", "B"]
