"""Partial-order reduction never changes a verdict (issue 16), and the tests that say so bite.

* Regressions: the two specs of issue 16 (a parameter ranging over a set that another instance
  shrinks; two whole-record updates that commute except for their range errors) and variants of
  each class, under every reduction setting, against the unreduced search.
* Generated protocols aimed at POR (tests/genspec.py `por_protocol`): over a fixed seed set,
  every configuration agrees with the unreduced search, and POR reduces the state count in at
  least half of them (the fraction is printed).
* Mutation tests: drop the reads of parameter and `choose` domains, or of guards, from the
  footprint analysis, or the range-error terms from the z3 executor, and the same differential
  check over the same seeds finds a disagreement.  A soundness test that cannot fail when the
  analysis is wrong would be worth nothing.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings

from checker import api
from checker.crosscheck.selfcheck import CONFIGS, self_check
from checker.engine.explore import Limits
from tests.genspec import por_protocol, por_protocols

POR_CONFIGS = [
    ("none", dict(por=False, symmetry=False)),
    ("por", dict(por=True, symmetry=False)),
    ("por-footprints-only", dict(por=True, symmetry=False, solver=False)),
    ("por+symmetry", dict(por=True, symmetry=True)),
]
EVERY_SETTING = CONFIGS + [("por-footprints-only", dict(por=True, symmetry=False, solver=False)),
                           ("por+symmetry-footprints-only", dict(por=True, symmetry=True, solver=False)),
                           ("por-dfs", dict(por=True, symmetry=False, strategy="dfs")),
                           ("por-footprints-only-dfs", dict(por=True, symmetry=False, solver=False, strategy="dfs"))]
LIMITS = Limits(max_states=20000)
SEEDS = range(60)  # the fixed seed set: 60 generated protocols per run

# ------------------------------------------------------------------------------- regressions

P1 = """
protocol P1
var pool: set[0..1] = {1}
var a: 0..1
machine A { init state s0 { on take(v in pool) { a := v } -> s1 } final state s1 { } }
machine B { init state b0 { on rm { pool.remove(1) } -> b1 } final state b1 { } }
deadlock_free nd
"""

P2 = """
protocol P2
var r: record { f: 0..1 }
machine A { init state s0 { on inc { r := { f = r.f + 1 } } -> done } final state done { } }
machine B { init state s0 { on dec { r := { f = r.f - 1 } } -> done } final state done { } }
deadlock_free nd
"""


def _pair_spec(decls: str, a: str, b: str, extra: str = "deadlock_free nd") -> str:
    return (f"protocol V\n{decls}\n"
            f"machine A {{ var x: 0..3 = 0\n init state s0 {{ on ta {a} -> done }} final state done {{ }} }}\n"
            f"machine B {{ var y: 0..3 = 0\n init state s0 {{ on tb {b} -> done }} final state done {{ }} }}\n"
            f"{extra}\n")


# class 1: a read hidden in a domain, guard or other position that another instance writes
P1_VARIANTS = {
    "P1": P1,
    "choose_over_set": _pair_spec("var pool: set[0..1] = {1}", "{ choose v in pool\n x := v }",
                                  "{ pool.remove(1) }"),
    "param_over_set_in_map": _pair_spec("var ms: map[0..1, set[0..1]] = {1}", "(v in ms[0]) { x := v }",
                                        "{ ms[0].remove(1) }"),
    "param_over_set_in_record": _pair_spec("var rs: record { s: set[0..1], n: 0..1 } = { s = {1}, n = 0 }",
                                           "(v in rs.s) { x := v }", "{ rs.s := {} }"),
    "param_over_computed_range": _pair_spec("var n: 0..2 = 1", "(v in 1..n) { x := v }", "{ n := 0 }"),
    "param_over_literal_of_variables": _pair_spec("var n: 0..2 = 1", "(v in {n, n + 1}) when v == 1 { x := v }",
                                                  "{ n := 2 }"),
    "quantifier_domain_in_guard": _pair_spec("var pool: set[0..1] = {1}",
                                             "when exists v in pool: v == 1 { x := 1 }", "{ pool.remove(1) }"),
    "membership_in_guard": _pair_spec("var pool: set[0..1] = {1}", "when 1 in pool { x := 1 }",
                                      "{ pool.remove(1) }"),
    "choose_where": _pair_spec("var n: 0..2 = 1", "{ choose v in 0..1 where v < n\n x := v }", "{ n := 0 }"),
    "at_other_machine": _pair_spec("", "when B at s0 { x := 1 }", "{ y := 1 }"),
    "other_instance_local": _pair_spec("", "when B.y == 0 { x := 1 }", "{ y := 1 }"),
    "conditional_expression": _pair_spec("var n: 0..2 = 1", "when (if n > 0 then true else false) { x := 1 }",
                                         "{ n := 0 }"),
}

# class 2: updates that commute except for a model error one order raises (only B first fails);
# name: (error kind in the z3 executor, declarations, A's transition, B's transition)
ERROR_PAIRS: dict[str, tuple[str, str, str, str]] = {
    "scalar": ("range", "var g: 0..1 = 0", "{ g := g + 1 }", "{ g := g - 1 }"),
    "record_field": ("range", "var r: record { f: 0..1, e: bool } = { f = 0, e = false }",
                     "{ r.f := r.f + 1 }", "{ r.f := r.f - 1 }"),
    "nested_record": ("range", "type I = record { f: 0..1 }\nvar r: record { i: I, e: bool } = { i = { f = 0 }, e = false }",
                      "{ r := { i = { f = r.i.f + 1 }, e = r.e } }", "{ r := { e = r.e, i = { f = r.i.f - 1 } } }"),
    "record_in_map": ("range", "type I = record { f: 0..1 }\nvar mr: map[0..1, I] = { f = 0 }",
                      "{ mr[0] := { f = mr[0].f + 1 } }", "{ mr[0] := { f = mr[0].f - 1 } }"),
    "field_of_record_in_map": ("range", "type I = record { f: 0..1 }\nvar mr: map[0..1, I] = { f = 0 }",
                               "{ mr[1].f := mr[1].f + 1 }", "{ mr[1].f := mr[1].f - 1 }"),
    "map_entry": ("range", "var m: map[0..1, 0..1] = 0", "{ m[0] := m[0] + 1 }", "{ m[0] := m[0] - 1 }"),
    "set_literal_element": ("range", "var g: 0..2 = 1\nvar s: set[0..1] = {}",
                            "{ x := 0 * (if {if g > 0 then 1 else 2} == s then 1 else 0); g := g + 1 }",
                            "{ g := g - 1 }"),
    "set_literal_in_union": ("range", "var g: 0..1 = 1\nvar s: set[0..1] = {}",
                             "{ s := s union {1} union {if g > 0 then 1 else 2}; g := g }", "{ g := 0 }"),
    "set_add_element": ("range", "var g: 0..1 = 1\nvar s: set[0..1] = {}",
                        "{ s.add(1); s.add(if g > 0 then 1 else 2); g := g }", "{ g := 0 }"),
    "record_literal_compared": ("range", "type I = record { f: 0..1 }\nvar g: 0..2 = 1\nvar ri: I = { f = 0 }",
                                "{ x := 0 * (if { f = (if g > 0 then 0 else 2) } == ri then 1 else 0); g := g + 1 }",
                                "{ g := g - 1 }"),
    # the others: B clears a flag that A's error (and nothing else of A's) depends on
    "map_key_read": ("key", "var g: 0..1 = 1\nvar m: map[0..1, 0..1] = 0", "{ g := g + 0 * m[g - 1] }",
                     "{ g := 0 }"),
    "map_key_write": ("key", "var g: 0..1 = 1\nvar m: map[0..1, 0..1] = 0", "{ m[g - 1] := m[0]; g := g }",
                      "{ g := 0 }"),
    "division_by_zero": ("div", "var g: 0..1 = 1", "{ g := g + 0 * (1 / g) }", "{ g := 0 }"),
    "modulo_by_zero": ("div", "var g: 0..1 = 1", "{ g := g + 0 * (1 % g) }", "{ g := 0 }"),
    "assertion": ("assert", "var g: 0..1 = 1", "{ assert g > 0; g := g }", "{ g := 0 }"),
}
# errors the z3 executor does not model: the pair must come out dependent ("not proven")
UNMODELLED_PAIRS: dict[str, tuple[str, str, str]] = {
    "channel_capacity": ("var q: chan[0..1, 1]", "{ send 0 to q }", "{ if len(q) == 0 { send 1 to q } }"),
    "instance_index": ("var g: 0..2 = 1", "{ g := g + 1 + 0 * B[g - 1].y }", "{ g := g - 1 }"),
}
P2_VARIANTS = {"P2": P2}
P2_VARIANTS.update({name: _pair_spec(d, a, b) for name, (_, d, a, b) in ERROR_PAIRS.items()})
P2_VARIANTS.update({name: _pair_spec(d, a, b) for name, (d, a, b) in UNMODELLED_PAIRS.items()})


def _verdicts(spec: api.Spec) -> dict[str, tuple]:
    out = {}
    for name, opts in EVERY_SETTING:
        r = api.check(spec, limits=LIMITS, **opts)
        out[name] = (r.verdict, r.model_error is not None, tuple(p.status for p in r.properties))
    return out


@pytest.mark.parametrize("text", list(P1_VARIANTS.values()) + list(P2_VARIANTS.values()),
                         ids=list(P1_VARIANTS) + list(P2_VARIANTS))
def test_issue16_classes_give_the_unreduced_verdict_under_every_setting(text: str) -> None:
    spec = api.load_text(text)
    verdicts = _verdicts(spec)
    base = verdicts["none"]
    assert base[0] == "violated", "each variant hides a deadlock or a model error: " + str(base)
    assert all(v == base for v in verdicts.values()), verdicts
    report = self_check(spec, limits=LIMITS)
    assert report.ok, report.render()


def test_issue16_specs_through_the_command_line(tmp_path) -> None:
    from click.testing import CliRunner

    from checker.cli import main
    runner = CliRunner()
    for name, text in (("p1", P1), ("p2", P2)):
        path = tmp_path / f"{name}.pap"
        path.write_text(text)
        codes = {flags: runner.invoke(main, ["check", "-q", str(path), *flags]).exit_code
                 for flags in [(), ("--no-por",), ("--no-solver",), ("--no-symmetry",)]}
        assert set(codes.values()) == {1}, (name, codes)
        assert runner.invoke(main, ["check", "-q", "--self-check", str(path)]).exit_code != 70


# ----------------------------------------------------------------------- generated protocols


def _disagreement(text: str, configs=POR_CONFIGS, limits: Limits = LIMITS) -> str:
    """'' when every configuration agrees with the unreduced search, else the self-check text."""
    report = self_check(api.load_text(text), limits=limits, configs=configs)
    return "" if report.ok else text + "\n" + report.render()


def test_generated_por_protocols_agree_and_por_fires_in_at_least_half(capsys) -> None:
    reduced = 0
    for seed in SEEDS:
        text = por_protocol(seed)
        report = self_check(api.load_text(text), limits=LIMITS, configs=POR_CONFIGS)
        assert report.ok, f"seed {seed}\n{text}\n{report.render()}"
        none, por = report.rows[0][1], report.rows[1][1]
        if por.stats.states < none.stats.states:
            reduced += 1
    fraction = reduced / len(SEEDS)
    with capsys.disabled():
        print(f"\n[POR] reduced the state count in {reduced} of {len(SEEDS)} generated protocols "
              f"({fraction:.0%}); target at least 50%")
    assert fraction >= 0.5


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(por_protocols(initial_domains=True))
def test_drawn_por_protocols_agree(text: str) -> None:
    if " in any" in text or " in 1..2" in text:
        event("several initial states")
    assert not _disagreement(text, limits=Limits(max_states=5000))  # bounded: at most 25 drawn


# --------------------------------------------------------------------------- mutation tests


def _first_disagreement(configs=POR_CONFIGS[:2]) -> int | None:
    for seed in SEEDS:
        if _disagreement(por_protocol(seed), configs):
            return seed
    return None


def _drop_footprint_reads(monkeypatch, which) -> None:
    """Make the footprint analysis skip the expressions `which(transition decl)` yields."""
    import checker.reduce.footprint as fp
    real_action, real_expr = fp.FootprintAnalysis.action, fp.FootprintAnalysis.expr
    skip: set[int] = set()

    def action(self, m, inst, tr):
        skip.update(id(e) for e in which(tr.decl))
        return real_action(self, m, inst, tr)

    def expr(self, e, ctx, reads):
        if id(e) not in skip:
            real_expr(self, e, ctx, reads)
    monkeypatch.setattr(fp.FootprintAnalysis, "action", action)
    monkeypatch.setattr(fp.FootprintAnalysis, "expr", expr)


def _domains(d):
    from checker.lang import ast
    yield from (p.domain for p in d.params if isinstance(p.domain, ast.Expr))
    todo = list(d.body)
    while todo:
        s = todo.pop()
        if isinstance(s, ast.Choose):
            yield s.domain
            todo.extend(s.body)
        elif isinstance(s, ast.If):
            todo.extend(x for _, b in s.branches for x in b)
            todo.extend(s.orelse)


def _guards(d):
    if d.guard is not None:
        yield d.guard


@pytest.mark.parametrize("which", [_domains, _guards], ids=["domain reads", "guard reads"])
def test_dropping_footprint_reads_is_caught(monkeypatch, which) -> None:
    _drop_footprint_reads(monkeypatch, which)
    assert _first_disagreement() is not None, "the differential check missed a broken footprint analysis"


@pytest.mark.parametrize("kinds", [{"range"}, {"range", "key", "div", "assert"}], ids=["range", "all"])
def test_dropping_z3_error_terms_is_caught(monkeypatch, kinds) -> None:
    import checker.prover.commute as solver
    real = solver._Exec.fail

    def fail(self, cond, kind):
        if kind not in kinds:
            real(self, cond, kind)
    monkeypatch.setattr(solver._Exec, "fail", fail)
    assert _first_disagreement() is not None, "the differential check missed a z3 executor without error terms"


def test_dropping_z3_error_terms_breaks_the_regressions(monkeypatch) -> None:
    import checker.prover.commute as solver
    monkeypatch.setattr(solver._Exec, "fail", lambda self, cond, kind: None)
    spec = api.load_text(P2)
    assert api.check(spec).verdict == "holds"  # the bug of issue 16 comes back
    assert api.check(spec, por=False).verdict == "violated"


# ------------------------------------------------------------------- z3: one test per error kind


def _prover_pair(text: str):
    from checker.prover.commute import CommutationProver
    spec = api.load_text(text)
    acts = spec.model.actions
    a = next(i for i, x in enumerate(acts) if x.transition.name == "ta")
    b = next(i for i, x in enumerate(acts) if x.transition.name == "tb")
    return CommutationProver(spec.checked, spec.model), a, b


@pytest.mark.parametrize("name", sorted(ERROR_PAIRS))
def test_z3_reports_pairs_that_differ_only_in_an_error_as_dependent(monkeypatch, name: str) -> None:
    """Each pair commutes except for one model error: z3 must say dependent, and say independent
    once exactly that kind of error term is dropped (so the test is about that term)."""
    import checker.prover.commute as solver
    kind, decls, a_body, b_body = ERROR_PAIRS[name]
    text = _pair_spec(decls, a_body, b_body)
    prover, a, b = _prover_pair(text)
    assert not prover.commute(a, b)
    real = solver._Exec.fail
    monkeypatch.setattr(solver._Exec, "fail", lambda self, cond, k: None if k == kind else real(self, cond, k))
    prover, a, b = _prover_pair(text)
    assert prover.commute(a, b), "the pair should commute but for its error term"


@pytest.mark.parametrize("name", sorted(UNMODELLED_PAIRS))
def test_z3_does_not_prove_what_it_does_not_model(name: str) -> None:
    prover, a, b = _prover_pair(_pair_spec(*UNMODELLED_PAIRS[name]))
    assert not prover.commute(a, b)


SHORT_CIRCUIT_GUARDS = {
    "or": "k >= 2 or m[k] == 0",
    "implies": "k < 2 => m[k] == 0",
    "conditional": "if k >= 2 then true else m[k] == 0",
    "exists": "exists i in {0, 1}: (if i == 0 then k >= 2 else m[k] == 0)",
    "forall": "not (forall i in {0, 1}: (if i == 0 then k < 2 else m[k] == 1))",
    # (`x in lo..hi` is no short-circuit: both bounds are evaluated, and raise, whatever x is)
}


@pytest.mark.parametrize("name", sorted(SHORT_CIRCUIT_GUARDS))
def test_z3_errors_follow_short_circuit_evaluation(name: str) -> None:
    """A's guard holds for k >= 2 without evaluating m[k] (a key error there otherwise): A and B
    are then both enabled and write different values, so they do not commute.  An executor that
    counted the unevaluated m[k] as an error would wrongly call A 'failing' there and prove them
    independent."""
    decls = "var k: 0..3 = 2\nvar m: map[0..1, 0..1] = 0\nvar x2: 0..2 = 0"
    text = _pair_spec(decls, f"when {SHORT_CIRCUIT_GUARDS[name]} {{ x2 := 1 }}", "when k >= 2 { x2 := 2 }")
    spec = api.load_text(text)
    assert api.check(spec, por=False).model_error is None  # the compiled code never fails here
    prover, a, b = _prover_pair(text)
    assert not prover.commute(a, b)


# ------------------------------------------------------------------------ the cycle proviso

IGNORING = """
protocol Ignoring
var done: bool = false
machine A { var a: 0..1 = 0
  init state s0 { on spin { a := 1 - a } } }
machine B { init state b0 { on fin { done := true } -> b1 } final state b1 { } }
reachable finished: done
"""


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_the_cycle_proviso_keeps_a_visible_step_from_being_ignored(monkeypatch, strategy: str) -> None:
    """A spins for ever in a safe state; B's only step is visible, so it never forms an ample
    set.  Without C3 the reduction would follow A's loop only and never see `finished`."""
    spec = api.load_text(IGNORING)
    assert api.check(spec, strategy=strategy).verdict == api.check(spec, por=False, strategy=strategy).verdict == "holds"
    assert self_check(spec, strategy=strategy).ok
    from checker.reduce.por import PartialOrder
    real = PartialOrder.build

    def without_c3(model, use_solver=True):
        po = real(model, use_solver)
        po.cyclic = [False] * len(po.cyclic)
        po.cyclic_sym = [False] * len(po.cyclic_sym)
        return po
    monkeypatch.setattr(PartialOrder, "build", staticmethod(without_c3))
    spec = api.load_text(IGNORING)  # the partial order is cached per spec
    assert api.check(spec, strategy=strategy).verdict == "violated"
