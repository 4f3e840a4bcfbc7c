"""An adversarial spec generator written from docs/dsl.md alone (independent of genspec*.py).

`generate(seed)` returns the text of a small random .pap spec. Two families:

- "por": several machines with plenty of independent local work (so partial-order reduction
  has something to reduce), plus shared ints, bools, sets, maps, records, channels, a map of
  sets and a map of channels, touched through parameters and `choose` over shared data,
  `recv`, guards that enable and disable each other, reads of other instances' locals and
  control states, and arithmetic that may leave its range, divide by zero, overflow a channel
  or index out of range (model errors to be found).
- "sym": a replicated machine with instance-typed data (`W?` variables and fields, `set[W]`,
  `chan[W, 2]`, `map[W, ...]`), `none`, and a server that receives instance ids.
"""

from __future__ import annotations

import random


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.err = 0.06  # probability that an update is left unguarded (may leave its range)

    def p(self, x: float) -> bool:
        return self.r.random() < x

    def pick(self, xs):
        return self.r.choice(xs)


SHARED = """var n: 0..2
var b: bool
var s: set[0..2] = {1}
var m: map[0..1, 0..2]
var r: record { f: 0..2, g: bool }
var q: chan[0..2, 2]
var ms: map[0..1, set[0..2]]
var box: map[0..1, chan[0..2, 1]]
var d: 0..2 = 1
"""


_LOCAL = ("machine L {\n  var k: 0..2\n  var u: bool\n  init state l0 {\n"
          "    on lk when k < 2 { k := k + 1 }\n    on lu when not u { u := true }\n"
          "    on ld when k == 2 and u { skip } -> l1\n  }\n  final state l1 { }\n}")


def _por_spec(g: _Gen, seed: int) -> str:
    nm = g.pick([2, 2, 3])
    names = ["A", "B", "C"][:nm]
    counts = {x: g.pick([1, 1, 1, 2, 2, 3]) for x in names}
    while sum(counts.values()) > 5:
        counts[max(counts, key=counts.get)] -= 1
    nstates = {x: g.pick([1, 2, 2, 3]) for x in names}
    finals = {x: g.p(0.85) for x in names}

    def ref(x: str, i: str = "0") -> str:
        return x if counts[x] == 1 else f"{x}[{i}]"

    def expr(bound: list[str]) -> str:
        opts = ["0", "1", "2", "t", "n", "m[0]", "r.f", "min(n, t)", "max(n, 1)", "abs(n - t)",
                "(if b then 1 else 0)", "len(s)", "len(q)", "(n + t) % 3"]
        opts += bound * 4
        other = g.pick(names)
        opts.append(f"{ref(other)}.t")
        return g.pick(opts)

    def small(bound: list[str]) -> str:  # an expression that stays in 0..2 unless errors are on
        e = expr(bound)
        if g.p(1 - g.err):
            return f"min(max({e}, 0), 2)" if e not in ("0", "1", "2", "t", "n", "m[0]", "r.f") + tuple(bound) else e
        return e

    def guard(me: str, bound: list[str]) -> str:
        other = g.pick(names)
        opts = ["len(q) > 0", "len(q) < 2", "n < 2", "n > 0", "b", "not b", f"{small(bound)} in s",
                "forall z in s: z > 0", "exists z in s: z == t", "t < 2", "t == 0", "m[0] == n",
                "r.f < 2", "r.g", "len(ms[1]) > 0", "d > 0", "len(box[0]) == 0",
                f"{ref(other)}.t == 1", f"{ref(other)} at s{g.r.randrange(nstates[other])}"]
        if counts[other] > 1:
            opts.append(f"exists i in {other}: {other}[i] at s0")
        return g.pick(opts)

    def local_stmt() -> str:
        return g.pick(["t := (t + 1) % 3", "u := not u", "if t < 2 { t := t + 1 } else { t := 0 }",
                       "t := 0", "u := t == 1", "k := (k + 1) % 3", "if u or k == 2 { k := 0 } else { k := k + 1 }",
                       "u := not u\n      k := (k + 2) % 3", "if k < 2 { k := k + 1 }"])

    def shared_stmt(bound: list[str]) -> str:
        nid = g.r.randrange(10**6)
        k = g.pick(["0", "1", "1", "0"] + (["n"] if g.p(g.err) else []) + (["t"] if g.p(g.err) else []))
        e = small(bound)
        opts = [
            "if n < 2 { n := n + 1 }", "if n > 0 { n := n - 1 }", "b := not b",
            f"s.add({e})", f"s.remove({e})", f"s := s minus {{{e}}}", f"s := {{{e}}}",
            f"s := s union {{{e}}}", f"m[{k}] := {e}", f"r.f := {e}", f"r := {{ f = {e}, g = b }}",
            "r.g := not r.g", f"if len(q) < 2 {{ send {e} to q }}", f"if len(box[{k}]) == 0 {{ send {e} to box[{k}] }}",
            f"ms[{k}].add({e})", f"ms[{k}] := {{}}", "if d > 0 { d := d - 1 }", "d := 2",
            f"n := {e}", f"b := {e} in s", "m[1] := m[0]",
            f"choose c{nid} in s where c{nid} != t\n      n := c{nid}",
            f"choose w{nid} in ms[{k}]\n      m[0] := w{nid}",
        ]
        if g.p(g.err * 3):
            opts += ["n := n + 1", "n := n - 1", f"send {e} to q", f"send {e} to box[{k}]",
                     "n := 2 / d", "n := t % d", "assert n != 2", "assert not (b and r.g)",
                     "d := d - 1", "r := { f = r.f + 1, g = b }", "r.f := r.f - 1",
                     "s := {n + 1}", "m[0] := m[1] + 1", "ms[0] := {n + 1, t}"]
        return g.pick(opts)

    local_p = g.pick([0.5, 0.7, 0.85])
    acyc_p = g.pick([0.2, 0.5, 0.7])
    lines = [f"protocol Gen{seed}", SHARED]
    for x in names:
        c = f"[{counts[x]}]" if counts[x] > 1 else ""
        lines.append(f"machine {x}{c} {{\n  var t: 0..2\n  var u: bool\n  var k: 0..2")
        for si in range(nstates[x]):
            fin = "final " if finals[x] and si == nstates[x] - 1 else ""
            lines.append(f"  {'init ' if si == 0 else ''}{fin}state s{si} {{")
            ntr = g.pick([1, 2, 2, 3])
            if fin and g.p(0.5):
                ntr = 0
            for ti in range(ntr):
                bound: list[str] = []
                head = f"    on t{ti}"
                if g.p(0.25):
                    dom = g.pick(["s", "0..2", "ms[0]", "ms[1]", "0..n", "s union ms[1]"]
                                 + [o for o in names if counts[o] > 1])
                    head += f"(v in {dom})"
                    bound = ["v"] if dom not in names else []
                elif g.p(0.15):
                    head += g.pick([" recv v from q", " recv v from box[1]", " recv v from box[0]"])
                    bound = ["v"]
                acyc = g.p(acyc_p) and not bound
                if acyc:
                    head += g.pick([" when k < 2", " when not u", " when t < 2"])
                elif g.p(0.6):
                    head += f" when {guard(x, bound)}"
                body = []
                if acyc:
                    body.append({" when k < 2": "k := k + 1", " when not u": "u := true",
                                 " when t < 2": "t := t + 1"}[head.split(" when")[-1].join([" when", ""])])
                    if g.p(0.3):
                        body.append(shared_stmt(bound))
                elif g.p(local_p):
                    body.append(local_stmt())
                else:
                    body.append(shared_stmt(bound))
                    if g.p(0.4):
                        body.append(g.pick([local_stmt(), shared_stmt(bound)]))
                if "(v in" in head and "v" not in bound and g.p(0.8):
                    dom = head.split("(v in ")[1].split(")")[0]
                    body.append(g.pick([f"t := {dom}[v].t", f"b := {dom}[v] at s0", f"m[0] := {dom}[v].t"]))
                tgt = ""
                if nstates[x] > 1 and g.p(0.5) and not acyc:
                    tgt = f" -> s{g.r.randrange(nstates[x])}"
                lines.append(head + " {\n      " + "\n      ".join(body) + "\n    }" + tgt)
            lines.append("  }")
        lines.append("}")
    if g.p(0.9):
        # a worker with purely local, acyclic work: the independent steps POR exists for
        lines.append(_LOCAL)
    props = []
    if (all(finals.values()) and g.p(0.6)) or g.p(0.15):
        props.append("deadlock_free nd")
    cands = ["invariant i1: n + m[0] <= 3", "invariant i2: not (b and r.g and n == 2)",
             "invariant i3: len(q) + len(s) < 5", "invariant i4: r.f <= 1 or b or len(s) > 0",
             f"invariant i5: not ({ref(names[0])} at s0 and {ref(names[-1], '0')}.t == 2 and n == 2)",
             f"invariant i6: forall z in s: z != {ref(names[-1])}.t or b or n > 0",
             "reachable w1: n == 2 and b", f"reachable w2: {ref(names[0])}.t == 2 and len(q) > 0",
             "reachable w3: len(ms[0]) == 2", "reachable w4: r.f == 2 and not r.g"]
    for c in g.r.sample(cands, g.pick([0, 1, 1, 2])):
        props.append(c)
    if not props:
        props.append("deadlock_free nd")
    lines += props
    return "\n".join(lines) + "\n"


def _sym_spec(g: _Gen, seed: int) -> str:
    n = g.pick([2, 2, 3])
    L = [f"protocol Sym{seed}", "var owner: W?", "var served: set[W]", "var q: chan[W, 2]",
         "var cnt: map[W, 0..2]", "var peers: map[W, W?]", "var rec: record { who: W?, k: 0..2 }",
         "var box: map[W, chan[W, 1]]", "var hits: 0..3"]
    wtr = [
        "on claim when owner == none { owner := self }",
        "on release when owner == self { owner := none }",
        "on join when self not in served { served.add(self) }",
        "on leave when self in served { served.remove(self) }",
        "on ask when len(q) < 2 { send self to q }",
        "on ask2 { send self to q }",
        "on bump { cnt[self] := (cnt[self] + 1) % 3 }",
        "on look { peers[self] := owner }",
        "on mark { rec := { who = self, k = rec.k } }",
        "on unmark when rec.who == self { rec.who := none }",
        "on pick(j in W) when j != self { peers[self] := j }",
        "on poke when peers[self] != none and W[peers[self]] at s1 { cnt[self] := 0 }",
        "on poke2 when peers[self] != none { cnt[peers[self]] := 1 }",
        "on mail(j in W) when j != self and len(box[j]) == 0 { send self to box[j] }",
        "on read recv x from box[self] { peers[self] := x }",
        "on count when hits < 3 { hits := hits + 1 }",
        "on go when owner == self or owner == none { skip }",
        "on tally { hits := len(served) }",
        "on spy when exists j in W: j != self and W[j] at s1 { cnt[self] := 2 }",
        "on lp { me2 := not me2 }",
    ]
    st = ["on serve recv x from q { served.add(x) }",
          "on serve2 recv x from q when x not in served { owner := x }",
          "on drop { choose j in served\n      served.remove(j) }",
          "on reset(j in W) when W[j] at s1 { cnt[j] := 0 }",
          "on crown { choose j in W where cnt[j] == 2\n      rec.who := j }",
          "on check when owner != none { assert owner in served or rec.who != owner }",
          "on check2 when owner != none { assert cnt[owner] != 2 }"]
    L.append(f"machine W[{n}] {{\n  var me2: bool\n  var mine: W? ")
    for si in range(2):
        L.append(f"  state s{si} {{")
        for i, t in enumerate(g.r.sample(wtr, g.pick([1, 2, 3]))):
            tgt = f" -> s{g.r.randrange(2)}" if g.p(0.5) else ""
            L.append("    " + t.replace("on ", f"on {chr(97 + si)}{i}", 1) + tgt)
        L.append("  }")
    L.append("}")
    L.append("machine S {\n  state t0 {")
    for t in g.r.sample(st, g.pick([1, 2])):
        L.append("    " + t)
    L.append("  }\n}")
    if g.p(0.9):
        L.append(_LOCAL)
    props = g.r.sample(["deadlock_free nd", "invariant i1: len(q) <= 2",
                        "invariant i2: owner == none or owner in served or hits < 3",
                        "invariant i3: forall j in W: cnt[j] < 2 or W[j] at s0",
                        "reachable w1: len(served) == 2", "reachable w2: rec.who != none and hits == 2",
                        "invariant i4: not (exists j in W: peers[j] == j)"], g.pick([1, 2]))
    L += props
    return "\n".join(L) + "\n"


def generate(seed: int) -> str:
    g = _Gen(seed)
    return _sym_spec(g, seed) if seed % 4 == 3 else _por_spec(g, seed)
