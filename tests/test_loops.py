"""Bounded loops `for x in D { ... }` and set comprehensions `{x in D where C}`, `{e for x in D}`:
a spec using them checks exactly as the same spec written out by hand (equal verdicts, state and
transition counts, counterexample lengths), the compiled comprehensions agree with the
interpreter on every reachable state, `parse`/`fmt` round-trip them, and misuse is a located
error."""

from __future__ import annotations

import re

import pytest

from checker import api
from checker.lang.errors import SourceFile, SpecError
from checker.lang.formatter import format_source
from checker.lang.parser import parse
from checker.lang.pretty import pretty_spec
from tests.test_generated import check_against_oracle


def _counts(text: str, **kw: object) -> tuple[object, ...]:
    r = api.check(api.load_text(text, "t.pap"), **kw)  # type: ignore[arg-type]
    trace = r.counterexample
    return (r.verdict, r.stats.states, r.stats.transitions, [(p.name, p.status) for p in r.properties],
            len(trace.steps) if trace is not None else None)


# ---------------------------------------------------------------------- a loop over a static domain

STATIC_LOOP = """protocol Purge
type Endpoint = 0..3
type Gen = 0..3
var record: map[Endpoint, Gen] = 0
var latest: Gen = 0
machine Enactor[2] {
  var plan: Gen = 0
  init state idle {
    on pick when latest < 3 { latest := latest + 1; plan := latest } -> apply
  }
  state apply {
    on write {
      for e in Endpoint {
        if record[e] < plan { record[e] := plan }
      }
    } -> idle
  }
}
machine Cleaner {
  state run {
    on purge(keep in 1..3) when latest >= keep {
      for e in Endpoint {
        if record[e] + keep < latest { record[e] := 0 }
      }
    }
  }
}
invariant never_empty_all: latest < 3 or (exists e in Endpoint: record[e] != 0)
"""


def _by_hand_static() -> str:
    write = " ".join(f"if record[{e}] < plan {{ record[{e}] := plan }}" for e in range(4))
    purge = " ".join(f"if record[{e}] + keep < latest {{ record[{e}] := 0 }}" for e in range(4))
    text = STATIC_LOOP
    text = re.sub(r"on write \{.*?\n    \} -> idle", "on write { " + write + " } -> idle", text, flags=re.S)
    text = re.sub(r"(on purge\(keep in 1\.\.3\) when latest >= keep) \{.*?\n    \}\n  \}\n\}",
                  r"\1 { " + purge + " }\n  }\n}", text, flags=re.S)
    assert "for " not in text
    return text


def test_static_loop_checks_like_the_statements_written_out() -> None:
    loop, hand = _counts(STATIC_LOOP), _counts(_by_hand_static())
    assert loop == hand
    assert loop[0] == "violated" and loop[4] is not None  # the purge can empty every record
    assert _counts(STATIC_LOOP, por=False, symmetry=False) == _counts(_by_hand_static(), por=False, symmetry=False)


def test_static_loop_compiles_to_the_same_code_as_the_statements() -> None:
    def normal(src: str) -> str:  # bound names carry resolver ids, which the loop variable shifts
        names: dict[str, str] = {}
        return re.sub(r"\bb\d+\b", lambda m: names.setdefault(m.group(0), f"b{len(names)}"), src)
    loop = api.load_text(STATIC_LOOP).model.source
    hand = api.load_text(_by_hand_static()).model.source
    assert normal(loop) == normal(hand)


# ----------------------------------------------------- dynamic domains: ranges and sets, sequential

DYNAMIC = """protocol Dyn
var pool: set[0..3] = {}
var acc: 0..9 = 0
var lo: 0..3 = 0
var hi: 0..3 = 0
machine M {
  state s {
    on grow(v: 0..3) when v not in pool { pool.add(v) }
    on bounds(a: 0..3, b: 0..3) { lo := a; hi := b }
    on sum when acc == 0 {
      for i in lo..hi {
        if acc + i <= 9 { acc := acc + i }
      }
    }
    on shift {
      for p in pool {
        pool.remove(p)
        if p < 3 { pool.add(p + 1) }
      }
    }
    on reset { acc := 0 }
  }
}
reachable full: acc == 6
invariant bounded: acc <= 6
"""

DYNAMIC_BY_HAND = """protocol Dyn
var pool: set[0..3] = {}
var acc: 0..9 = 0
var lo: 0..3 = 0
var hi: 0..3 = 0
var snap: set[0..3] = {}
machine M {
  state s {
    on grow(v: 0..3) when v not in pool { pool.add(v) }
    on bounds(a: 0..3, b: 0..3) { lo := a; hi := b }
    on sum when acc == 0 {
      SUM
    }
    on shift {
      snap := pool
      SHIFT
      snap := {}
    }
    on reset { acc := 0 }
  }
}
reachable full: acc == 6
invariant bounded: acc <= 6
"""


def test_dynamic_domains_check_like_the_statements_written_out() -> None:
    """A range with variable bounds is evaluated once, before the first iteration; a set-valued
    domain is the set's members then, whatever the body does to the set (here, the body moves
    each member up by one: iterating over the changing set would move some twice)."""
    sums = " ".join(f"if lo <= {i} and {i} <= hi {{ if acc + {i} <= 9 {{ acc := acc + {i} }} }}" for i in range(4))
    shifts = " ".join(f"if {p} in snap {{ pool.remove({p})" + (f"; pool.add({p + 1})" if p < 3 else "") + " }"
                      for p in range(4))
    hand = DYNAMIC_BY_HAND.replace("SUM", sums).replace("SHIFT", shifts)
    got = _counts(DYNAMIC)
    assert got == _counts(hand)
    assert got[0] == "holds"


# ------------------------------------------------------------------------------ comprehensions

COMPREHENSIONS = """protocol Sets
type Gen = 0..3
var record: map[0..2, Gen] = 0
var plans: set[Gen] = {0}
var latest: Gen = 0
machine M {
  state s {
    on plan when latest < 3 { latest := latest + 1; plans.add(latest) }
    on apply(e: 0..2) { record[e] := latest }
    on purge(t: Gen) { plans := plans minus {g in plans where g < t and g not in {record[e] for e in 0..2}} }
    on bulk { plans := {g for g in plans where g in {record[e] for e in 0..2} or g == latest} }
  }
}
invariant kept: forall e in 0..2: record[e] in plans
reachable tidy: len({g in Gen where g in plans}) == 1 and latest == 3
"""

COMPREHENSIONS_BY_HAND = """protocol Sets
type Gen = 0..3
var record: map[0..2, Gen] = 0
var plans: set[Gen] = {0}
var latest: Gen = 0
machine M {
  state s {
    on plan when latest < 3 { latest := latest + 1; plans.add(latest) }
    on apply(e: 0..2) { record[e] := latest }
    on purge(t: Gen) { PURGE }
    on bulk { BULK }
  }
}
invariant kept: forall e in 0..2: record[e] in plans
reachable tidy: len(plans) == 1 and latest == 3
"""


def test_comprehensions_check_like_the_sets_written_out() -> None:
    used = "(g == record[0] or g == record[1] or g == record[2])"
    purge = " ".join(f"if {g} in plans and {g} < t and not {used.replace('g', str(g))} {{ plans.remove({g}) }}"
                     for g in range(4))
    bulk = " ".join(f"if {g} in plans and not ({used.replace('g', str(g))} or {g} == latest) {{ plans.remove({g}) }}"
                    for g in range(4))
    hand = COMPREHENSIONS_BY_HAND.replace("PURGE", purge).replace("BULK", bulk)
    got = _counts(COMPREHENSIONS)
    assert got == _counts(hand)
    assert got[0] == "violated"


ORACLE_SPECS = [
    # filters and images over types, constant and variable ranges, sets, literals, other comprehensions
    """protocol O
type Gen = 0..3
type Color = enum { red, green, blue }
var s: set[Gen] = {}
var c: set[Color] = {}
var k: 0..3 = 0
var m: map[0..2, Gen] = 0
machine M {
  state a {
    on add(v: Gen) { s.add(v) }
    on col(x: Color) { c.add(x) }
    on inc when k < 3 { k := k + 1 }
    on put(e: 0..2, v: Gen) { m[e] := v }
  }
}
invariant i1: {g in s where g > k} == {g for g in s where g > k}
invariant i2: len({g in Gen where g in s or g == k}) >= 1
invariant i3: {x in c where x != red} == c minus {red}
invariant i4: forall g in {m[e] for e in 0..2}: g in {m[0], m[1], m[2]}
invariant i5: len({b for b in bool where b == (k > 1)}) == 1
reachable r1: {x in {g in s where g >= 1} where x < 3} == {1, 2}
reachable r2: {m[e] for e in 0..2 where e <= k and e >= 1} == {3}
reachable r3: exists g in {m[e] for e in 0..2}: g == 3 and k == 3
""",
    # model errors inside comprehensions: a key outside the map's domain, an element out of range
    """protocol E
var s: set[0..3] = {}
var k: 0..3 = 0
var m: map[0..2, 0..3] = 0
var out: set[0..2] = {}
machine M {
  state a {
    on add(v: 0..3) { s.add(v) }
    on inc when k < 3 { k := k + 1 }
  }
}
invariant keys: len({m[e] for e in 0..k}) <= 3
invariant fit: {g + 1 for g in s} != s
""",
]


@pytest.mark.parametrize("text", ORACLE_SPECS, ids=["forms", "model errors"])
def test_compiled_comprehensions_agree_with_the_interpreter(text: str) -> None:
    check_against_oracle(text)


# --------------------------------------------------------------------------------- round trips

def test_parse_prints_loops_and_comprehensions_and_fmt_keeps_them() -> None:
    for text in (STATIC_LOOP, DYNAMIC, COMPREHENSIONS, *ORACLE_SPECS):
        spec = parse(SourceFile("t.pap", text))
        printed = pretty_spec(spec)
        assert parse(SourceFile("p.pap", printed)) == spec
        out = format_source(SourceFile("t.pap", text))
        assert format_source(SourceFile("t.pap", out)) == out
        assert parse(SourceFile("f.pap", out)) == spec
    printed = pretty_spec(parse(SourceFile("t.pap", COMPREHENSIONS)))
    assert "{g for g in plans where g in {record[e] for e in 0..2} or g == latest}" in printed
    assert "{g in plans where g < t and g not in {record[e] for e in 0..2}}" in printed


def test_nested_loops_and_a_loop_in_an_if() -> None:
    nested = """protocol N
var m: map[0..2, map[0..2, bool]] = false
var on_: bool = false
machine M {
  state s {
    on fill when not on_ {
      on_ := true
      for i in 0..2 { for j in i..2 { if i != j { m[i][j] := true } } }
    }
    on clear(i: 0..2) when on_ {
      if m[i][2] { for j in 0..2 { m[i][j] := false } } else { skip }
    }
  }
}
invariant upper: forall i in 0..2: forall j in 0..2: m[i][j] => i < j
"""
    hand_fill = " ".join(f"m[{i}][{j}] := true" for i in range(3) for j in range(i + 1, 3))
    hand = nested.replace("for i in 0..2 { for j in i..2 { if i != j { m[i][j] := true } } }", hand_fill) \
        .replace("for j in 0..2 { m[i][j] := false }", "m[i][0] := false; m[i][1] := false; m[i][2] := false")
    assert _counts(nested) == _counts(hand)
    assert _counts(nested)[0] == "holds"


# ------------------------------------------------------------------------------------- misuse

BASE = """protocol E
var x: 0..3 = 0
var s: set[0..3] = {}
machine M[2] {
  state a {
    on go {
      {body}
    }
  }
}
{props}"""


@pytest.mark.parametrize("body, props, where, message", [
    ("for i in x { skip }", "", "7:16", "expected a domain (a type, lo..hi or a set), but this is an integer"),
    ("for i in 0..3 { i := 1 }", "", "7:23", "the loop variable 'i' cannot be assigned"),
    ("for i in s { s.add(i); i := 0 }", "", "7:30", "the loop variable 'i' cannot be assigned"),
    ("for i in 0..1 { choose v in 0..3\n x := v }", "", "7:23", "'choose' inside a 'for' loop is not supported"),
    ("for i in 0..1 { if true { choose v in 0..3\n x := v } }", "", "7:33", "'choose' inside a 'for' loop"),
    ("for i in 0..1 { for i in 0..1 { skip } }", "", "7:27", "'i' is already declared"),
    ("s := {v in x where true}", "", "7:18", "expected a domain"),
    ("s := {v + x for v in s}", "invariant i: len({v + x for v in s}) > 0", "11:19",
     "the elements of this set are integers of unknown range"),
    ("s := {v for v in {true}}", "", "7:12", "the assigned value has type set[bool], expected set[0..3]"),
    ("s := {v == 1 where true}", "", "7:13", "a set comprehension starts with `NAME in DOMAIN`"),
    ("x := {v for v in s}", "", "7:12", "expected 0..3"),
    ("for i in 0..3 { x := i }\n y := 1", "", "8:2", "unknown name 'y'"),
])
def test_misuse_is_a_located_error(body: str, props: str, where: str, message: str) -> None:
    text = BASE.replace("{body}", body).replace("{props}", props)
    with pytest.raises(SpecError) as info:
        api.load_text(text, "e.pap")
    rendered = info.value.diagnostics.render()
    first = rendered.splitlines()[0]
    assert re.match(rf"e\.pap:{where}: error: ", first), rendered
    assert message in first, rendered


def test_for_is_reserved() -> None:
    with pytest.raises(SpecError) as info:
        api.load_text("protocol P\nvar for: bool = false\nmachine M { state s { on t { skip } } }\n", "r.pap")
    assert "'for' is a reserved word" in info.value.diagnostics.render()


# ------------------------------------------------------------------------------------ symmetry

SYMMETRIC = """protocol Sym
machine Node[3] {
  var up: bool = false
  var got: bool = false
  state s {
    on raise_ when not up { up := true }
    on drop when up { up := false }
    on LOOP
  }
}
invariant some: true
"""


def test_a_loop_over_symmetric_instances_is_not_reduced() -> None:
    """Iterations run in index order: `the first free one wins` names a particular instance, so a
    loop over the instances breaks symmetry (the search then runs unreduced); a comprehension is
    a set, which is symmetric."""
    from checker.reduce.symmetry import symmetric_machines
    first_wins = SYMMETRIC.replace("on LOOP", "on grab { got := false; "
                                   "for j in Node { if not Node[j].up and not got { got := true } } }")
    assert symmetric_machines(api.load_text(first_wins).checked) == []
    with pytest.raises(SpecError) as info:
        api.load_text(first_wins.replace("machine Node", "symmetric machine Node"), "s.pap")
    assert "a 'for' loop over the instances of Node visits them in index order" in info.value.diagnostics.render()
    ok = SYMMETRIC.replace("on LOOP", "on count_ when len({j in Node where Node[j].up}) >= 2 { up := false }")
    assert [m.name for m in symmetric_machines(api.load_text(ok).checked)] == ["Node"]
    reduced, full = _counts(ok), _counts(ok, symmetry=False)
    assert reduced[0] == full[0] == "holds" and reduced[1] < full[1]
    numbers = SYMMETRIC.replace("on LOOP", "on pick { mine := {j in 0..1 where true} }") \
        .replace("protocol Sym\n", "protocol Sym\nvar mine: set[Node] = {}\n")
    assert symmetric_machines(api.load_text(numbers).checked) == []


# -------------------------------------------------------------------------------- papcheck prove

PROVE_SPECS = {
    "static loop": STATIC_LOOP,
    "set-valued loop": DYNAMIC.replace("for i in lo..hi {\n        if acc + i <= 9 { acc := acc + i }\n      }",
                                       "acc := 1"),
    "comprehensions": COMPREHENSIONS,
    "oracle forms": ORACLE_SPECS[0],
    "model errors": ORACLE_SPECS[1],
}


@pytest.mark.parametrize("name", list(PROVE_SPECS))
def test_z3_successors_of_loops_and_comprehensions_equal_explicit_successors(name: str) -> None:
    """The prover's translation (loops unrolled over the domain's candidate values, comprehensions
    as arrays) has exactly the explicit successors and model errors on reachable states."""
    import z3

    from checker.prover.induction import read_state
    from checker.prover.translate import Translator
    from tests.test_prove import _reachable, _state_is
    text = PROVE_SPECS[name]
    spec = api.load_text(text)
    tr = Translator(spec.checked, concrete=spec.constants)
    pre = tr.new_state("")
    acts = tr.actions(pre)
    types = tr.types_fact(pre)
    lay = spec.model.layout
    for s in _reachable(spec, 25):
        values = spec.model.decode(s)
        succs, errors = spec.model.tolerant_successors(s)
        explicit = {t for _, t in succs}
        failing = {(spec.model.actions[e.label.action].machine.name, spec.model.actions[e.label.action].transition.name)
                   for e in errors if e.label is not None}
        found: set[int] = set()
        for a in acts:
            solver = z3.Solver()
            solver.add(*tr.axioms, types, _state_is(z3, pre, values, spec.checked), a.enabled)
            may_fail = solver.check(a.error) == z3.sat
            assert may_fail == ((a.machine.name, a.info.name) in failing), (name, a.name, values)
            if may_fail:
                continue
            solver.add(z3.Not(a.error))
            for _ in range(300):
                if solver.check() != z3.sat:
                    break
                post = read_state(z3, solver.model(), a.post, spec.checked)
                t = lay.encode(post)
                assert t in explicit, f"z3 finds a successor by {a.name} that explicit search lacks: {post}"
                found.add(t)
                solver.add(z3.Not(_state_is(z3, a.post, post, spec.checked)))
        assert found == {t for lab, t in succs if (spec.model.actions[lab.action].machine.name,
                                                    spec.model.actions[lab.action].transition.name) not in failing}


def test_prove_refuses_a_loop_over_a_state_dependent_domain(tmp_path) -> None:
    from tests.test_prove import _cli
    spec = tmp_path / "loop.pap"
    spec.write_text("protocol L\nvar k: 0..3 = 0\nvar m: map[0..3, bool] = false\n"
                    "machine M { state s { on go when k < 3 { k := k + 1\n for i in 0..k { m[i] := true } } } }\n"
                    "invariant low: forall i in 0..3: m[i] => i <= k\n")
    r = _cli("prove", str(spec))
    assert r.returncode == 3, r.stdout + r.stderr
    assert "loop.pap:5:11: error: a `for` loop over a domain whose values depend on the state" in r.stderr
    ok = tmp_path / "static.pap"
    ok.write_text(spec.read_text().replace("for i in 0..k { m[i] := true }", "for i in 0..3 { m[i] := i <= k }"))
    r = _cli("prove", str(ok))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PROVED" in r.stdout
    wrong = tmp_path / "wrong.pap"
    wrong.write_text(ok.read_text().replace("m[i] := i <= k", "m[i] := i <= k + 1"))
    r = _cli("prove", str(wrong))
    assert r.returncode == 1, r.stdout + r.stderr  # a real counterexample, never a proof


# ------------------------------------------------------------------------------------ exporters

LOOP_THEN_CHOOSE = """protocol FC
var s: set[0..2] = {0}
var m: map[0..2, 0..2] = 0
var k: 0..2 = 0
machine M {
  state a {
    on go {
      for v in s { m[v] := min(m[v] + 1, 2) }
      for w in 0..k { if m[w] == 1 { m[w] := 2 } }
      choose c in 0..2 where m[c] >= 1
      s.add(c)
    }
    on inc when k < 2 { k := k + 1 }
    on add(v: 0..2) { s.add(v) }
    on reset { m[0] := 0; m[1] := 0; m[2] := 0; s := {0} }
  }
}
invariant ok: forall i in 0..2: m[i] <= 2
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["static loop", "dynamic", "comprehensions", "oracle forms", "loop then choose"])
def test_spin_and_rumur_agree_on_loops_and_comprehensions(name: str) -> None:
    """Exported (loops unrolled, membership of a dynamic domain taken before the first iteration;
    comprehensions as set cells), SPIN and Rumur find papcheck's verdicts and state counts."""
    from checker.crosscheck import peers
    if not (peers.available("spin") and peers.available("rumur")):
        pytest.skip("spin, rumur or a C compiler not installed")
    text = {"static loop": STATIC_LOOP, "dynamic": DYNAMIC, "comprehensions": COMPREHENSIONS,
            "oracle forms": ORACLE_SPECS[0], "loop then choose": LOOP_THEN_CHOOSE}[name]
    spec = api.load_text(text)
    result = api.check(spec)
    full = peers.full_count(spec)
    for out in (peers.run_spin(spec), peers.run_rumur(spec)):
        c = peers.compare(spec, result, out, full, 0.0)
        assert c.agree, (out.tool, c.problems)
        assert out.states == full.states, (out.tool, out.states, full.states)


def test_exports_refuse_what_they_cannot_translate() -> None:
    from checker.export import ExportError
    from checker.export.murphi import murphi_parts
    from checker.export.promela import promela_parts
    from checker.export.tla import to_tla
    wide = COMPREHENSIONS.replace("on bulk {", "on wide { plans := {g + 1 for g in plans} }\n    on bulk {")
    for export in (promela_parts, murphi_parts):
        with pytest.raises(ExportError) as info:
            export(api.load_text(wide, "w.pap").checked)
        assert re.search(r"w\.pap:\d+:\d+: error: cannot export to \w+: a set comprehension whose elements may "
                         r"fall outside the set's element type 0\.\.3", info.value.diagnostics.render())
    files = to_tla(api.load_text(COMPREHENSIONS, "c.pap").checked)
    module = next(v for k, v in files.items() if k.endswith(".tla"))
    assert re.search(r"\{\w+ \\in \w+ : ", module), module
    try:
        import tla  # type: ignore[import-not-found]  # a TLA+ parser, when installed
    except ImportError:
        return
    tla.parse(module)


NESTED_TLA = """protocol N
var m: map[0..2, map[0..2, bool]] = false
var q: chan[0..3, 2]
var n: 0..3 = 0
machine M {
  state s {
    on fill { for i in 0..2 { for j in i..2 { if i != j { m[i][j] := true } elif n > 0 { n := n - 1 } } } }
    on clear(i: 0..2) { if m[i][2] { for j in {i, 2} { m[i][j] := false; assert n < 3 } } else { skip } }
    on post when len(q) == 0 and n <= 1 { for k in 0..n { send k to q } }
    on bump when n < 2 { n := n + 1 }
  }
}
invariant upper: forall i in 0..2: forall j in 0..2: m[i][j] => i < j
"""


def _action(module: str, name: str) -> str:
    start = module.index(name + "(")
    return module[start:module.index("\n\n", start)]


def test_the_tla_export_unrolls_loops_as_the_other_exports_do() -> None:
    """The TLA+ export unrolls a loop as the Promela and Murphi exports do: one copy of the body
    per value, in ascending order, each reading the values the copy before wrote (LET names
    `pap_tN`); a domain that depends on the state is bound once, before the first iteration,
    and each copy is guarded by its value's membership.  Every loop spec here parses (no TLC
    here: the module's meaning is checked by its structure, not by running it)."""
    from checker.export import ExportError
    from checker.export.tla import to_tla
    tla = pytest.importorskip("tla")
    modules = {}
    for name, text in [("static", STATIC_LOOP), ("dynamic", DYNAMIC), ("then choose", LOOP_THEN_CHOOSE),
                       ("nested", NESTED_TLA), *[(f"oracle {i}", t) for i, t in enumerate(ORACLE_SPECS)]]:
        modules[name] = to_tla(api.load_text(text, "t.pap").checked)[".tla"]
        tla.parse(modules[name])
    write = _action(modules["static"], "A_Enactor_apply_write")
    assert " \\in pap_t" not in write  # a static domain: no membership guards
    keys = [int(k) for k in re.findall(r"EXCEPT !\[(\d)\] = \(loc_Enactor_plan\)", write)]
    assert keys == [0, 1, 2, 3], write  # one copy per endpoint, ascending
    total = _action(modules["dynamic"], "A_M_s_sum")
    dom = re.search(r"(pap_t\d+) == \(g_lo\.\.g_hi\)", total)
    assert dom is not None and total.index(dom.group(0)) < total.index(" THEN "), total  # bound first
    guards = re.findall(r"\((\d) \\in " + dom.group(1) + r"\) THEN (pap_t\d+)", total)
    assert [int(v) for v, _ in guards] == [0, 1, 2, 3], total
    shift = _action(modules["dynamic"], "A_M_s_shift")
    snap = re.search(r"(pap_t\d+) == g_pool ", shift)  # the set's members before the body moves them
    assert snap is not None, shift
    assert [int(v) for v in re.findall(r"IF \((\d) \\in " + snap.group(1) + r"\) THEN pap_t", shift)] == [0, 1, 2, 3]
    last = re.findall(r"(pap_t\d+) == \(IF \(3 \\in " + snap.group(1), shift)
    assert f"g_pool' = {last[0]} " in shift, shift  # the last iteration's value is the new pool
    fill = _action(modules["nested"], "A_M_s_fill")
    assert fill.count("(IF (") >= 6, fill  # 0..2 x i..2: six copies of the inner body, each with its if
    post = _action(modules["nested"], "A_M_s_post")
    assert "PapCheck(Len(" in post and "Append(" in post, post  # a send in a loop checks the capacity
    wide = NESTED_TLA.replace("var n: 0..3 = 0", "var n: 0..9000 = 0").replace("n < 3", "n < 9000")
    with pytest.raises(ExportError) as info:  # more candidate values than any export unrolls: located
        to_tla(api.load_text(wide, "w.pap").checked)
    assert "w.pap:9:52: error: cannot export to TLA+: a domain of 9001 values is too large to unroll" \
        in info.value.diagnostics.render()


def _tla_graph(text: str, drop: tuple[str, ...] = (), constants: dict | None = None) -> tuple[set, dict, object]:
    """The TLA+ export of `text` explored by tests/tla_eval.py: (states, successors, module), each
    state a tuple of (variable, value) pairs without the variables in `drop`."""
    from checker.export.tla import to_tla
    from tests.tla_eval import Module
    files = to_tla(api.load_text(text, "t.pap", constants).checked)
    mod = Module(files[".tla"], files[".cfg"])
    seen, edges = mod.explore()
    keep = [i for i, v in enumerate(mod.vars) if v not in drop]

    def proj(st: tuple) -> tuple:
        return tuple((mod.vars[i], st[i]) for i in keep)
    graph: dict = {}
    for st, succ in edges.items():
        graph.setdefault(proj(st), set()).update(proj(t) for t in succ)
    return {proj(st) for st in seen}, graph, mod


def test_the_tla_export_of_a_loop_steps_like_the_statements_written_out() -> None:
    """Semantics, without TLC: the TLA+ module of a loop spec and the TLA+ module of the same spec
    with the loops written out by hand (no loop for the translator to unroll) have the same
    reachable states and the same successors of every state, explored by a small TLA+ evaluator
    (tests/tla_eval.py), and as many states as papcheck finds."""
    pytest.importorskip("tla")
    sums = " ".join(f"if lo <= {i} and {i} <= hi {{ if acc + {i} <= 9 {{ acc := acc + {i} }} }}" for i in range(4))
    shifts = " ".join(f"if {p} in snap {{ pool.remove({p})" + (f"; pool.add({p + 1})" if p < 3 else "") + " }"
                      for p in range(4))
    hand = DYNAMIC_BY_HAND.replace("SUM", sums).replace("SHIFT", shifts)
    for loop, by_hand, drop in [(DYNAMIC, hand, ("g_snap",)), (STATIC_LOOP, _by_hand_static(), ())]:
        states, graph, _ = _tla_graph(loop)
        hand_states, hand_graph, _ = _tla_graph(by_hand, drop)
        assert states == hand_states
        assert graph == hand_graph
        never = loop.replace("invariant never_empty_all:", "invariant never_empty_all: true or")
        assert len(states) == api.check(api.load_text(never), por=False, symmetry=False).stats.states


@pytest.mark.parametrize("name", ["nested", "then choose", "bulk purge"])
def test_the_tla_export_of_a_loop_has_papchecks_states_and_verdicts(name: str) -> None:
    """The TLA+ module explored by tests/tla_eval.py reaches as many states as papcheck (with
    every invariant made to hold, so that both searches are complete) and agrees with papcheck
    on every invariant and `reachable` property of the spec as written."""
    pytest.importorskip("tla")
    import os
    bulk = open(os.path.join(os.path.dirname(__file__), "..", "specs", "dynamodb_dns_bulk_purge.pap")).read()
    text, consts = {"nested": (NESTED_TLA, None), "then choose": (LOOP_THEN_CHOOSE, None),
                    "bulk purge": (bulk, {"ENACTORS": 2, "PLANS": 5})}[name]
    states, _, mod = _tla_graph(text, constants=consts)
    result = api.check(api.load_text(text, "t.pap", consts), por=False, symmetry=False, keep_going=True)
    judged = []
    for p in result.properties:
        values = [tuple(v for _, v in st) for st in states]
        if p.kind == "invariant":
            assert p.status in ("holds", "violated"), p
            assert all(mod.holds(f"Inv_{p.name}", v) for v in values) == (p.status == "holds"), p  # type: ignore[attr-defined]
        else:
            assert p.kind == "reachable" and p.status in ("witnessed", "unreachable"), p
            assert any(mod.holds(f"Reach_{p.name}", v) for v in values) == (p.status == "witnessed"), p  # type: ignore[attr-defined]
        judged.append(p.status)
    assert judged, "no property compared"
    full = re.sub(r"invariant (\w+): (.*)", r"invariant \1: true or (\2)", text)
    assert len(states) == api.check(api.load_text(full, "t.pap", consts), por=False, symmetry=False).stats.states


def test_a_model_error_inside_a_loop_is_an_assert_in_the_tla_export() -> None:
    """A value outside its range in the third iteration: papcheck reports a model error, and the
    TLA+ module's `PapCheck` (TLC's Assert) fails in the same step."""
    pytest.importorskip("tla")
    from tests.tla_eval import ModelError
    text = """protocol Overflow
var x: 0..3 = 0
var lo: 0..2 = 0
machine M {
  state s {
    on low(v: 0..2) { lo := v }
    on add { for i in lo..2 { x := x + i } }
    on reset { x := 0 }
  }
}
invariant small: x <= 3
"""
    assert api.check(api.load_text(text), por=False, symmetry=False).model_error is not None
    with pytest.raises(ModelError, match="papcheck model error"):
        _tla_graph(text)
    _tla_graph(text.replace("x + i", "min(x + i, 3)"))  # within range: no error


def test_the_dsl_md_example_is_as_documented() -> None:
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "docs" / "dsl.md").read_text()
    section = text[text.index("## Loops and set comprehensions"):text.index("## Expressions")]
    blocks = re.findall(r"^```pap\n(.*?)^```", section, flags=re.S | re.M)
    assert len(blocks) == 1
    r = api.check(api.load_text(blocks[0]), keep_going=True)
    assert r.prop("endpoint_has_ips").status == "violated"
    assert r.prop("purge_is_old").status == "holds"
    # the loop written out: old ranges over 1..plan - 3, at most 1..3
    hand = blocks[0].replace("for old in 1..plan - PURGE_AGE - 1 {\n        purged.add(old)\n      }",
                             " ".join(f"if {g} <= plan - PURGE_AGE - 1 {{ purged.add({g}) }}" for g in (1, 2, 3)))
    assert "for old" not in hand
    assert _counts(blocks[0]) == _counts(hand)


# ------------------------------------------------------------------ z3 commutation and reduction

COMMUTING = """protocol Com
var m: map[0..1, 0..2] = 0
var k: 0..2 = 0
machine A {
  state s {
    on bump when k < 2 { k := k + 1 }
    on touch { BODY }
  }
}
machine B {
  state s {
    on poke { m[1] := max(m[1], 1) }
  }
}
invariant small: forall i in 0..1: m[i] <= 2
"""


def test_the_commutation_prover_unrolls_static_loops_and_leaves_dynamic_ones_unproven() -> None:
    """`touch` and `poke` write the same entry, so their footprints clash; they do commute (both
    take a max).  The z3 prover shows it for the written-out statements and for a loop over a
    static domain (unrolled); a comprehension, or a loop over a range with a variable bound, is not
    translated, so that pair is "not proven" (dependent), never wrongly independent.  Reduced and full searches agree."""
    from checker.prover.commute import CommutationProver
    cases = [("m[0] := max(m[0], 1); m[1] := max(m[1], 1)", True),
             ("for v in 0..1 { m[v] := max(m[v], 1) }", True),
             ("for v in {0, 1} { m[v] := max(m[v], 1) }", True),
             ("for v in {v in 0..1 where true} { m[v] := max(m[v], 1) }", False),  # comprehension
             ("for v in 0..k { if v <= 1 { m[v] := max(m[v], 1) } }", False)]
    for body, proven in cases:
        text = COMMUTING.replace("BODY", body)
        spec = api.load_text(text)
        acts = spec.model.actions
        a = next(i for i, x in enumerate(acts) if x.transition.name == "touch")
        b = next(i for i, x in enumerate(acts) if x.transition.name == "poke")
        assert CommutationProver(spec.checked, spec.model).commute(a, b) is proven, body
        reduced, full = _counts(text), _counts(text, por=False, symmetry=False)
        assert reduced[0] == full[0] == "holds"


def test_the_commutation_prover_sees_a_loop_that_does_not_commute() -> None:
    """The loop's later iteration reads what `poke` writes: the orders give different states, and
    the prover must not call the pair commuting."""
    from checker.prover.commute import CommutationProver
    text = COMMUTING.replace("BODY", "for v in 0..1 { if v == 1 { m[0] := m[1] } }").replace(
        "m[1] := max(m[1], 1)", "m[1] := 2")
    spec = api.load_text(text)
    acts = spec.model.actions
    a = next(i for i, x in enumerate(acts) if x.transition.name == "touch")
    b = next(i for i, x in enumerate(acts) if x.transition.name == "poke")
    assert CommutationProver(spec.checked, spec.model).commute(a, b) is False
