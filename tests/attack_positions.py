"""Footprint-position attack: a hidden read in every expression position vs a write in every
statement form (written from docs/dsl.md). Machine A has one transition whose result (a model
error, or being disabled) depends on a value that machine B's single transition changes; the
two are independent only if the read is missed. Both end in final states, so POR would explore
only one order if it believed them independent."""

from __future__ import annotations

DECLS = """var n: 0..1
var s: set[0..1]
var m: map[0..1, 0..1]
var r: record { f: 0..1, g: bool }
var rz: record { f: 0..1, g: bool }
var q: chan[0..1, 2]
var box: map[0..1, chan[0..1, 1]]
var g: map[0..1, map[bool, 0..1]]
var ms: map[0..1, set[0..1]]
var own: W0?
var y: 0..0
var z: map[0..0, bool]
var zs: set[0..0]
var q0: chan[0..0, 1]
var rr: record { f: 0..0 }
"""

# (expression that is 0 before B's write and 1 after, B's statement, B's extra decl)
SOURCES: list[tuple[str, str]] = [
    ("n", "n := 1"), ("n", "if true { n := 1 }"), ("n", "choose v in {1} where v > 0\n    n := v"),
    ("n", "n := n + 1"), ("min(n, 1)", "n := 1"), ("abs(n)", "n := 1"), ("n % 2", "n := 1"),
    ("(if n == 1 then 1 else 0)", "n := 1"), ("(if n in {1} then 1 else 0)", "n := 1"),
    ("len(s)", "s.add(1)"), ("len(s)", "s := {1}"), ("len(s)", "s := s union {1}"),
    ("(if exists e in s: e == 1 then 1 else 0)", "s.add(1)"),
    ("(if forall e in s: false then 0 else 1)", "s.add(1)"),
    ("(if s == {} then 0 else 1)", "s.add(1)"), ("len(s minus {0})", "s.add(1)"),
    ("m[1]", "m[1] := 1"), ("max(m[0], m[1])", "m[n + 1] := 1"),
    ("r.f", "r.f := 1"), ("r.f", "r := { f = 1, g = false }"), ("(if r == rz then 0 else 1)", "r.g := true"),
    ("len(q)", "send 1 to q"), ("(if len(q) > 0 then 1 else 0)", "send 0 to q"),
    ("len(box[1])", "send 1 to box[1]"), ("len(box[n + 1])", "send 0 to box[1]"),
    ("g[1][true]", "g[1][true] := 1"), ("(if g[1] == g[0] then 0 else 1)", "g[1][false] := 1"),
    ("len(ms[1])", "ms[1].add(1)"), ("len(ms[1])", "ms[1] := {0}"),
    ("(if exists e in ms[1]: true then 1 else 0)", "ms[1].add(0)"),
    ("(if B at b1 then 1 else 0)", "skip"), ("B.k", "k := 1"), ("(if B.k == 1 then 1 else 0)", "k := k + 1"),
    ("(if own == none then 0 else 1)", "own := 0"),
    ("W0[0].t", "skip"),  # placeholder replaced below (B cannot write W0's local)
]

# how A uses E: (A's transition text, property); @ is the expression
SINKS: list[tuple[str, str]] = [
    ("on t { y := @ }", "deadlock_free nd"),
    ("on t { if @ == 1 { assert false } }", "deadlock_free nd"),
    ("on t { assert @ == 0 }", "deadlock_free nd"),
    ("on t when @ == 0 { skip }", "deadlock_free nd"),
    ("on t { choose v in 0..1 where v == @\n    y := v }", "deadlock_free nd"),
    ("on t { choose v in 0..@\n    y := v }", "deadlock_free nd"),
    ("on t(v in 0..@) { y := v }", "deadlock_free nd"),
    ("on t(v in 0..1) when v == @ { y := v }", "deadlock_free nd"),
    ("on t { if false { skip } elif @ == 1 { assert false } }", "deadlock_free nd"),
    ("on t { z[@] := true }", "deadlock_free nd"),
    ("on t { zs.add(@) }", "deadlock_free nd"),
    ("on t { send @ to q0 }", "deadlock_free nd"),
    ("on t { rr.f := @ }", "deadlock_free nd"),
    ("on t { rr := { f = @ } }", "deadlock_free nd"),
    ("on t { if exists e2 in {@}: e2 == 1 { assert false } }", "deadlock_free nd"),
    ("on t { y := 1 / (1 - @) - 1 }", "deadlock_free nd"),
    ("on t { y := W0[@].t }", "deadlock_free nd"),
    ("on t { if W0[@] at w0 { skip } }", "deadlock_free nd"),
    ("on t { zs := {@} }", "deadlock_free nd"),
    ("on t { y := max(@, 0) }", "deadlock_free nd"),
    ("on t { y := len({@} minus {0}) }", "deadlock_free nd"),
    ("on t { choose v in {@} union {0} where v == 1\n    assert false }", "deadlock_free nd"),
    ("on t { if forall e2 in 0..1: e2 != @ or e2 == 0 { skip } else { assert false } }", "deadlock_free nd"),
    ("on t { y := (if @ == 1 then 1 else 0) }", "deadlock_free nd"),
    ("on t { y := @ * @ }", "deadlock_free nd"),
    ("on t { send 0 to q0\n    if @ == 1 { send 0 to q0 } }", "deadlock_free nd"),
]


def spec(src: int, sink: int) -> str:
    e, bstmt = SOURCES[src]
    a, prop = SINKS[sink]
    a = a.replace("@", e)
    return (f"protocol Pos{src}x{sink}\n{DECLS}"
            "machine W0 { var t: 0..0  init final state w0 { } }\n"
            f"machine A {{ init state a0 {{\n  {a} -> a1 }}\n  final state a1 {{ }} }}\n"
            f"machine B {{ var k: 0..1\n  init state b0 {{ on u {{\n    {bstmt}\n  }} -> b1 }}\n  final state b1 {{ }} }}\n"
            f"{prop}\n")


ALL = [(i, j) for i in range(len(SOURCES) - 1) for j in range(len(SINKS))]
