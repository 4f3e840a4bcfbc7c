"""`def` definitions: inlined before resolution, so a spec using them checks exactly as the same
spec written out by hand (equal verdicts, state and transition counts, counterexample lengths),
and every misuse is a located error."""

from __future__ import annotations

import re

import pytest

from checker import api
from checker.lang.errors import SourceFile, SpecError
from checker.lang.formatter import format_source
from checker.lang.parser import parse
from checker.lang.pretty import pretty_spec

WITH_DEFS = """protocol Defs
const N = 3
var x: 0..N = 0
var seen: set[0..N] = {}
## v is below the bound
def small(v: 0..N): bool = v < N
def stale: bool = exists g in 0..N: g in seen and g + 1 < x
def bump(v: 0..N, by: 0..1): 0..N = if v + by <= N then v + by else v
def twice(v: 0..N): 0..N = bump(bump(v, 1), 1)
def none_above(v: 0..N): bool = forall g in 0..N: g in seen => g <= v
machine M[2] {
  state s {
    on step when small(x) { x := bump(x, 1); seen.add(x) }
    on jump when x == 0 { x := twice(x) }
    on look(g: 0..N) when small(g) and none_above(g) { seen.add(g) }
  }
}
invariant bounded: not stale or x >= 1
invariant ok: forall g in 0..N: small(g) or g == N
"""

# the same spec with every use written out by hand (`none_above(g)`: the body's own `g` is renamed
# when inlined, so the argument `g` is not captured)
BY_HAND = """protocol Defs
const N = 3
var x: 0..N = 0
var seen: set[0..N] = {}
machine M[2] {
  state s {
    on step when x < N { x := if x + 1 <= N then x + 1 else x; seen.add(x) }
    on jump when x == 0 { x := if (if x + 1 <= N then x + 1 else x) + 1 <= N then (if x + 1 <= N then x + 1 else x) + 1 else (if x + 1 <= N then x + 1 else x) }
    on look(g: 0..N) when g < N and (forall h in 0..N: h in seen => h <= g) { seen.add(g) }
  }
}
invariant bounded: not (exists g in 0..N: g in seen and g + 1 < x) or x >= 1
invariant ok: forall g in 0..N: g < N or g == N
"""


def _counts(text: str) -> tuple[object, ...]:
    r = api.check(api.load_text(text, "t.pap"))
    trace = r.counterexample
    return (r.verdict, r.stats.states, r.stats.transitions, [(p.name, p.status) for p in r.properties],
            len(trace.steps) if trace is not None else None)


def test_defs_check_like_the_hand_inlined_spec() -> None:
    assert _counts(WITH_DEFS) == _counts(BY_HAND)
    assert _counts(WITH_DEFS)[0] == "holds"
    # were the argument `g` captured by the body's `g`, none_above(g) would be always true: that
    # spec has other counts, so the equality above does see capture
    captured = BY_HAND.replace("(forall h in 0..N: h in seen => h <= g)", "true")
    assert _counts(captured) != _counts(BY_HAND)


def test_violation_found_the_same_through_a_def() -> None:
    bad_defs = WITH_DEFS + "invariant never_three: not (x == N and small(2))\n"
    bad_hand = BY_HAND + "invariant never_three: not (x == N and 2 < N)\n"
    got = _counts(bad_defs)
    assert got == _counts(bad_hand)
    assert got[0] == "violated" and got[4] is not None


def test_parse_prints_defs_and_fmt_keeps_them() -> None:
    spec = parse(SourceFile("t.pap", WITH_DEFS))
    printed = pretty_spec(spec)
    assert "def bump(v: 0..N, by: 0..1): 0..N = if v + by <= N then v + by else v" in printed
    assert "## v is below the bound\ndef small(v: 0..N): bool = v < N" in printed
    assert parse(SourceFile("p.pap", printed)) == spec
    out = format_source(SourceFile("t.pap", WITH_DEFS))
    assert format_source(SourceFile("t.pap", out)) == out


BASE = "protocol E\nvar x: 0..3 = 0\n{defs}\nmachine M[2] {{\n  var mine: bool = false\n" \
       "  state s {{ on go when x < 3 {{ x := x + 1 }} }}\n}}\n{props}"


@pytest.mark.parametrize("defs, props, where, message", [
    ("def f(v: 0..3): bool = g(v)\ndef g(v: 0..3): bool = f(v)", "", "3:5",
     "'f' uses itself (f -> g -> f); a definition may not be recursive"),
    ("def f(v: 0..3): bool = f(v)", "", "3:5", "'f' uses itself (f -> f)"),
    ("def f(v: 0..3): bool = v > 1", "invariant i: f(1, 2)", "8:14", "'f' takes 1 argument, given 2"),
    ("def f(v: 0..3): bool = v > 1", "invariant i: f", "8:14", "'f' needs 1 argument: f(...)"),
    ("def f: bool = x > 1", "invariant i: f(1)", "8:14", "'f' takes no arguments"),
    ("def f(v: 0..3): bool = v > 1", "invariant i: f(true)", "8:16",
     "argument 1 of 'f' (v) must be 0..3, but this is bool"),
    ("def f(v: 0..3): bool = v + 1", "", "3:24", "the body of 'f' has type int, but 'f' is declared to give bool"),
    ("def f: bool = self == 0", "", "3:15", "'self' is only meaningful inside a machine"),
    ("def f: bool = mine", "", "3:15", "unknown name 'mine'"),
    ("def x: bool = true", "", "3:5", "'x' is already declared"),
    ("def f(x: bool): bool = x", "", "3:7", "'x' is already declared"),
    ("def f: bool = true\ndef f: bool = false", "", "4:5", "'f' is already defined"),
])
def test_misuse_is_a_located_error(defs: str, props: str, where: str, message: str) -> None:
    text = BASE.format(defs=defs, props=props)
    with pytest.raises(SpecError) as info:
        api.load_text(text, "e.pap")
    rendered = info.value.diagnostics.render()
    first = rendered.splitlines()[0]
    assert re.match(rf"e\.pap:{where}: error: ", first), rendered
    assert message in first, rendered
    assert len(info.value.diagnostics.errors) == 1, rendered


def test_def_keeps_the_rest_of_the_tree_intact() -> None:
    """Nodes away from the uses of definitions keep their identity (the editor keys on it)."""
    from checker.lang.resolve import check_spec
    source = SourceFile("t.pap", WITH_DEFS)
    spec = parse(source)
    checked = check_spec(spec, source)
    assert checked.spec.decls[:2] == spec.decls[:2]
    assert all(a is b for a, b in zip(checked.spec.decls[:2], spec.decls[:2]))  # const N, var x
    assert not any(type(d).__name__ == "DefDecl" for d in checked.spec.decls)
