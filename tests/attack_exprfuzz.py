"""Random typed expressions (from docs/dsl.md's expression grammar) in every position, to look
for internal errors (exit 70) in the front end and compiler: nested quantifiers, set literals
as domains, computed map keys and instance indices, conditionals, built-ins."""

from __future__ import annotations

import random

HEAD = """protocol Fz
var n: 0..2
var b: bool
var s: set[0..2] = {1}
var m: map[0..2, 0..2]
var mb: map[0..1, bool]
var ms: map[0..1, set[0..2]]
var r: record { f: 0..2, g: bool }
var q: chan[0..2, 2]
var own: W?
var y: -9..9
machine W[2] { var t: 0..2  state w0 { on wt when t < 2 { t := t + 1 } -> w1 } state w1 { } }
"""


class Fz:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.vars: list[str] = []
        self.k = 0

    def fresh(self) -> str:
        self.k += 1
        return f"v{self.k}"

    def int_(self, d: int) -> str:
        r = self.r
        leaves = ["n", "0", "1", "2", "m[1]", "r.f", "len(s)", "len(q)", "W[0].t", "len(ms[0])"] + self.vars
        if d <= 0 or r.random() < 0.25:
            return r.choice(leaves)
        c = r.randrange(10)
        if c == 0:
            return f"({self.int_(d-1)} {r.choice(['+', '-', '*', '/', '%'])} {self.int_(d-1)})"
        if c == 1:
            return f"m[{self.int_(d-1)}]"
        if c == 2:
            return f"W[{self.int_(d-1)}].t"
        if c == 3:
            return f"(if {self.bool_(d-1)} then {self.int_(d-1)} else {self.int_(d-1)})"
        if c == 4:
            return f"{r.choice(['min', 'max'])}({self.int_(d-1)}, {self.int_(d-1)})"
        if c == 5:
            return f"abs({self.int_(d-1)})"
        if c == 6:
            return f"len({self.set_(d-1)})"
        if c == 7:
            return f"(-{self.int_(d-1)})"
        if c == 8:
            return f"len(ms[{self.int_(d-1)}])"
        return r.choice(leaves)

    def set_(self, d: int) -> str:
        r = self.r
        if d <= 0 or r.random() < 0.3:
            return r.choice(["s", "ms[0]", "ms[1]"])
        c = r.randrange(4)
        if c == 0:
            return f"({self.set_(d-1)} {r.choice(['union', 'intersect', 'minus'])} {self.set_(d-1)})"
        if c == 1:
            return f"ms[{self.int_(d-1)}]"
        if c == 2:
            return f"(s union {{{self.int_(d-1)}}})"
        return f"(if {self.bool_(d-1)} then s else ms[{self.int_(d-1)}])"

    def dom(self, d: int) -> str:
        r = self.r
        c = r.randrange(4)
        if c == 0:
            return f"0..{self.int_(d-1)}"
        if c == 1:
            return self.set_(d - 1)
        if c == 2:
            return f"{{{self.int_(d-1)}, {self.int_(d-1)}}}"
        return r.choice(["W", "0..2", "bool"]) if False else "0..2"

    def bool_(self, d: int) -> str:
        r = self.r
        leaves = ["b", "true", "r.g", "mb[0]", "W[1] at w1", "own == none"]
        if d <= 0 or r.random() < 0.2:
            return r.choice(leaves)
        c = r.randrange(9)
        if c == 0:
            return f"({self.int_(d-1)} {r.choice(['<', '<=', '==', '!=', '>', '>='])} {self.int_(d-1)})"
        if c == 1:
            return f"({self.bool_(d-1)} {r.choice(['and', 'or', '=>'])} {self.bool_(d-1)})"
        if c == 2:
            return f"(not {self.bool_(d-1)})"
        if c in (3, 4):
            v = self.fresh()
            dom = self.dom(d)
            self.vars.append(v)
            body = self.bool_(d - 1)
            self.vars.pop()
            return f"({r.choice(['forall', 'exists'])} {v} in {dom}: {body})"
        if c == 5:
            return f"({self.int_(d-1)} {r.choice(['in', 'not in'])} {self.set_(d-1)})"
        if c == 6:
            return f"mb[{self.int_(d-1)}]"
        if c == 7:
            return f"(W[{self.int_(d-1)}] at w0)"
        return f"({self.set_(d-1)} == {self.set_(d-1)})"


def generate(seed: int) -> str:
    f = Fz(seed)
    d = 3
    lines = [HEAD, "machine A {\n  init state a {"]
    lines.append(f"    on g1 when {f.bool_(d)} {{ y := {f.int_(d)} }}")
    v = f.fresh()
    lines.append(f"    on g2 {{ choose {v} in {f.dom(d)} where {f.bool_(d)}\n      y := {v} }}")
    lines.append(f"    on g3({f.fresh()} in {f.dom(d)}) {{ b := {f.bool_(d)} }}")
    lines.append(f"    on g4 {{ if {f.bool_(d)} {{ m[{f.int_(d)}] := {f.int_(d)} }} elif {f.bool_(d)} {{ s := {f.set_(d)} }} }}")
    lines.append(f"    on g5 {{ ms[{f.int_(d)}].add({f.int_(d)}); assert {f.bool_(d)} }}")
    lines.append(f"    on g6 recv x from q when {f.bool_(d)} {{ r := {{ f = {f.int_(d)}, g = {f.bool_(d)} }} }}")
    lines.append(f"    on g7 when len(q) < 2 {{ send {f.int_(d)} to q }}")
    lines.append("  }\n}")
    lines.append(f"invariant i1: {f.bool_(d)} or true")
    lines.append(f"reachable r1: {f.bool_(d)}")
    return "\n".join(lines) + "\n"
