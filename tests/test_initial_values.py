"""Nondeterministic initial values (`var x: T in D`, `var x: T in any`): syntax and errors, the
initial states the explorer starts from, counts equal to a spec that sets the values with a first
transition instead, traces and replay showing the choice, symmetry only where the initial set is
closed under renaming instances, liveness roots, simulation, checkpoints, the prover and exports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker import api
from checker.crosscheck.selfcheck import self_check
from checker.engine.checkpoint import Checkpointer
from checker.engine.simulate import simulate
from checker.lang.errors import SourceFile, SpecError
from checker.lang.formatter import format_source
from checker.lang.parser import parse
from checker.views import report

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def _reachable(spec: api.Spec) -> set[tuple]:
    """Every reachable state, decoded, by a plain search over the model (no reductions)."""
    model = spec.model
    seen = set(model.initial_states())
    todo = list(seen)
    while todo:
        for t in model.successors(todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return {tuple(model.decode(s).items()) for s in seen}


# ------------------------------------------------------------------------------- the language

WITH_IN = """
protocol Start
type Mode = enum { idle, busy, broken }
var mode: Mode in {idle, busy}
var level: 0..4 in 1..3
var marks: set[0..2] in any
machine W[2] {
  var seen: bool in any
  state run {
    on step when GUARD level < 4 and mode != broken { level := level + 1; seen := not seen }
    on mark(k in 0..2) when GUARD k not in marks and seen { marks.add(k) }
    on crash when GUARD mode == busy and level == 4 { mode := broken }
  }
}
invariant not_all: not (mode == broken and len(marks) == 3)
"""

# the same protocol with a first transition that sets the values instead (shared variables) and
# a boot state per instance (its local)
FAKE = """
protocol StartFake
type Mode = enum { idle, busy, broken }
var started: bool = false
var mode: Mode = idle
var level: 0..4 = 0
var marks: set[0..2] = {}
machine Setup {
  state s {
    on go(m in {idle, busy}, l in 1..3) when not started {
      choose b0 in {false, true}; choose b1 in {false, true}; choose b2 in {false, true}
      mode := m; level := l; started := true
      if b0 { marks.add(0) }
      if b1 { marks.add(1) }
      if b2 { marks.add(2) }
    } -> done
  }
  final state done { }
}
machine W[2] {
  var seen: bool = false
  init state boot {
    on pick(b: bool) when started { seen := b } -> run
  }
  state run {
    on step when GUARD level < 4 and mode != broken { level := level + 1; seen := not seen }
    on mark(k in 0..2) when GUARD k not in marks and seen { marks.add(k) }
    on crash when GUARD mode == busy and level == 4 { mode := broken }
  }
}
invariant not_all: not started or not (mode == broken and len(marks) == 3)
"""

BOOTED = "(forall j in W: W[j] at run) and"


def test_in_declarations_parse_format_and_round_trip() -> None:
    text = WITH_IN.replace("GUARD ", "")
    spec = parse(SourceFile("a.pap", text))
    var = next(d for d in spec.decls if getattr(d, "name", "") == "marks")
    assert var.init_any and var.init is None  # type: ignore[union-attr]
    out = format_source(SourceFile("a.pap", text))
    assert "var mode: Mode in {idle, busy}" in out and "var level: 0..4 in 1..3" in out
    assert "var marks: set[0..2] in any" in out and "  var seen: bool in any" in out
    assert parse(SourceFile("b.pap", out)) == spec
    # `any` stays a name everywhere else
    api.load_text("protocol P\nvar any: bool = false\nmachine M { state s { on t { any := not any } } }")


def test_the_initial_states_are_every_combination() -> None:
    spec = api.load_text(WITH_IN.replace("GUARD ", ""))
    inits = spec.model.initial_states()
    assert len(inits) == 2 * 3 * 8 * 2 * 2 == len(set(inits))
    decoded = [spec.model.decode(s) for s in inits]
    assert {d["mode"] for d in decoded} == {"idle", "busy"}
    assert {d["level"] for d in decoded} == {1, 2, 3}
    assert len({d["marks"] for d in decoded}) == 8
    assert {(d["W[0].seen"], d["W[1].seen"]) for d in decoded} == {(a, b) for a in (False, True) for b in (False, True)}


def test_counts_equal_a_spec_with_a_fake_first_transition() -> None:
    real = api.load_text(WITH_IN.replace("GUARD ", ""))
    fake = api.load_text(FAKE.replace("GUARD ", BOOTED + " "))
    # the fake spec's states once every value is set, without its extra variables, are exactly
    # the reachable states of the spec with `in`
    got = _reachable(real)
    booted = set()
    for st in _reachable(fake):
        d = dict(st)
        if d["started"] and d["W[0].state"] == d["W[1].state"] == "run":
            booted.add(tuple((k, v) for k, v in d.items() if k not in ("started", "Setup.state")))
    assert got == booted and len(got) > 100
    a = api.check(real, por=False, symmetry=False, keep_going=True)
    b = api.check(fake, por=False, symmetry=False, keep_going=True)
    bare = api.load_text(WITH_IN.replace("GUARD ", "").split("invariant")[0])
    assert api.check(bare, por=False, symmetry=False).stats.states == len(got)
    assert [p.status for p in a.properties] == [p.status for p in b.properties] == ["violated"]
    # the fake counterexample is the real one after its 3 set-up steps
    assert b.properties[0].trace.length == a.properties[0].trace.length + 3


def test_shared_only_counts_differ_by_the_fake_initial_state() -> None:
    real = WITH_IN.replace("GUARD ", "").replace("var seen: bool in any", "var seen: bool = true")
    fake = FAKE.replace("GUARD ", "started and ").replace(
        "init state boot {\n    on pick(b: bool) when started { seen := b } -> run\n  }\n", "").replace(
        "var seen: bool = false", "var seen: bool = true")
    for props in (True, False):
        r_text, f_text = (real, fake) if props else (real.split("invariant")[0], fake.split("invariant")[0])
        a = api.check(api.load_text(r_text), por=False, symmetry=False)
        b = api.check(api.load_text(f_text), por=False, symmetry=False)
        if props:
            assert a.verdict == b.verdict == "violated"
        else:
            assert a.verdict == b.verdict == "holds"
            assert b.stats.states == a.stats.states + 1  # only the state before the first transition


@pytest.mark.parametrize("decl,message", [
    ("var g: 0..3 in 2..5", "is not within its type"),
    ("var g: 0..3 in {1, 7}", "is not within its type"),
    ("var g: 0..3 in 3..2", "is empty"),
    ("var g: 0..3 in {a, b}", "holds values of type"),
    ("var g: 0..3 in {h}", "constant"),
    ("var g: 0..3 in 0..h", "constant"),
    ("var m: map[0..7, 0..7] in any", "has 16,777,216 values"),
    ("var m: map[0..3, 0..15] in 0..3", "holds values of type"),
    ("var s: set[0..3] in {{1}, {5}}", "value 5 is outside 0..3"),
    ("var s: set[0..3] in {{1}, true}", "has type bool"),
    ("var c: chan[bool, 2] in any", "channel"),
])
def test_bad_domains_are_located_errors(decl: str, message: str) -> None:
    text = (f"protocol P\ntype E = enum {{ a, b }}\nconst N = 100000000\nvar h: 0..3 = 0\n{decl}\n"
            "machine M { state s { on t { h := 1 } } }\n")
    with pytest.raises(SpecError) as e:
        api.load_text(text, "bad.pap")
    rendered = e.value.diagnostics.render()
    assert message in rendered and "bad.pap:5:" in rendered, rendered


def test_too_many_initial_states_is_refused_and_many_warned() -> None:
    with pytest.raises(SpecError) as e:
        api.load_text("protocol P\nvar a: map[0..4, 0..9] in any\nvar b: 0..99 in any\n"
                      "machine M { state s { on t when a[0] == b { b := 0 } } }\n", "big.pap")
    assert "initial states; papcheck starts from at most 100,000" in e.value.diagnostics.render()
    spec = api.load_text("protocol P\nvar a: map[0..6, 0..3] in any\n"
                         "machine M { state s { on t when a[0] == 1 { a[0] := 0 } } }\n")
    assert any("16,384 initial states" in d.message for d in spec.diagnostics.warnings)


def test_cli_exit_class_for_a_bad_domain(tmp_path: Path) -> None:
    p = tmp_path / "bad.pap"
    p.write_text("protocol P\nvar g: 0..3 in 5..6\nmachine M { state s { on t { g := 1 } } }\n")
    r = _cli("check", str(p))
    assert r.returncode == 3 and "bad.pap:2:16: error:" in r.stderr and "Traceback" not in r.stderr


# --------------------------------------------------------------------------------- the search

ZERO = """
protocol Zero
var g: 0..3 in 1..3
machine M { state s { on dec when g > 0 { g := g - 1 } } }
invariant small: g < 3
"""


def test_a_violating_initial_state_is_a_0_step_counterexample(tmp_path: Path) -> None:
    spec = api.load_text(ZERO, str(tmp_path / "zero.pap"))
    r = api.check(spec)
    t = r.prop("small").trace
    assert r.verdict == "violated" and t.length == 0 and t.steps[0].args == {"g": 3}
    text = report.render_text(r)
    assert "0  initial state (chosen: g = 3)" in text
    itf = report.itf(t, spec.path, spec.model.slot_types())
    assert itf["states"][0]["#meta"] == {"index": 0, "action": "init", "chosen": {"g": {"#bigint": "3"}}}
    for store in ("fingerprint", "exact"):
        assert api.check(spec, store=store).prop("small").trace.length == 0


def test_traces_replay_from_a_chosen_initial_state(tmp_path: Path) -> None:
    spec_path = tmp_path / "start.pap"
    spec_path.write_text(WITH_IN.replace("GUARD ", ""))
    trace_path = tmp_path / "t.itf.json"
    r = _cli("check", str(spec_path), "--trace-out", str(trace_path))
    assert r.returncode == 1, r.stderr
    assert "initial state (chosen: mode = busy" in r.stdout
    doc = json.loads(trace_path.read_text())
    assert doc["states"][0]["#meta"]["chosen"]["mode"] == "busy"
    r = _cli("replay", "--check", str(spec_path), str(trace_path))
    assert r.returncode == 0 and "a legal behaviour of the spec" in r.stdout, r.stdout + r.stderr
    # a state 0 outside the domains is refused, naming the domain
    doc["states"][0]["level"] = {"#bigint": "0"}
    bad = tmp_path / "bad.itf.json"
    bad.write_text(json.dumps(doc))
    r = _cli("replay", "--check", str(spec_path), str(bad))
    assert r.returncode == 1 and "level is 0, the spec starts it at one of 1, 2, 3" in r.stdout, r.stdout
    r = subprocess.run([sys.executable, "-m", "checker.cli", "replay", str(spec_path), str(trace_path)],
                       input="q\n", capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}, timeout=300)
    assert "step 0/" in r.stdout and "initial state (chosen: mode = busy" in r.stdout


def test_every_reduction_and_store_agree() -> None:
    for text in (WITH_IN.replace("GUARD ", ""), ZERO, SYM_CLOSED.replace("DONE", "{{}, {1}, {2}, {0}}"), ASYM):
        spec = api.load_text(text)
        rep = self_check(spec)
        assert rep.ok, rep.render()


def test_checkpoint_resume_with_several_initial_states(tmp_path: Path) -> None:
    from tests.test_checkpoint import _Crash, _identity
    spec = api.load_text(WITH_IN.replace("GUARD ", "").split("invariant")[0])
    whole = api.check(spec)
    ident = _identity(spec)
    crashed = api.check(spec, checkpoint=_Crash(str(tmp_path), 0, ident, after=1))
    assert crashed.verdict == "incomplete"
    resumed = api.check(spec, checkpoint=Checkpointer(str(tmp_path), 0, ident, resume=True))
    assert report.render_json(resumed, timing=False) == report.render_json(whole, timing=False)


def test_simulation_starts_from_the_initial_states_chosen_by_its_seed() -> None:
    spec = api.load_text(ZERO.replace("invariant small: g < 3", "invariant any_: g < 4"))
    starts = set()
    for seed in range(12):
        sim = simulate(spec.model, runs=1, depth=0, seed=seed)
        assert sim.distinct == 1
        starts |= {spec.model.decode(s)["g"] for s in [_first_state(spec, seed)]}
    assert starts == {1, 2, 3}
    a, b = simulate(spec.model, runs=30, depth=5, seed=7), simulate(spec.model, runs=30, depth=5, seed=7)
    assert (a.distinct, a.walks) == (b.distinct, b.walks)


def _first_state(spec: api.Spec, seed: int) -> int:
    import random
    inits = spec.model.initial_states()
    return inits[random.Random(f"{seed}:0").randrange(len(inits))]


RECOVER = """
protocol Recover
var broken: bool in any
var fixes: 0..2 = 0
machine M {
  state s {
    on fix when broken and fixes < 1 { fixes := fixes + 1 }
    on heal when fixes == 1 { broken := false }
    on idle when not broken { fixes := 0 }
  }
}
recoverable healthy: not broken
"""


def test_recoverable_is_judged_from_every_initial_state() -> None:
    r = api.check(api.load_text(RECOVER))
    assert r.prop("healthy").status == "holds"
    # stuck only from the initial state broken = true: a second root is needed to find it
    r = api.check(api.load_text(RECOVER.replace("fixes == 1", "fixes == 3 - 1 - 1 and not broken")))
    assert r.prop("healthy").status == "violated"
    r = api.check(api.load_text(RECOVER.replace("var broken: bool in any", "var broken: bool = false")
                                .replace("fixes == 1", "fixes == 3 - 1 - 1 and not broken")))
    assert r.prop("healthy").status == "holds"


# ---------------------------------------------------------------------------------- symmetry

SYM_CLOSED = """
protocol SymClosed
var owner: Node? in any
var done: set[Node] in DONE
machine Node[3] {
  var ready: bool in any
  state idle {
    on grab when owner == none and ready { owner := self }
    on work when owner == self { done.add(self); owner := none; ready := false }
    on wake when not ready { ready := true }
  }
}
invariant not_all_done: len(done) < 3
"""

# owner starts at instance 0: the initial set is not closed under renaming Node's instances
ASYM = """
protocol Asym
var owner: Node in {0}
var done: set[Node] = {}
machine Node[3] {
  state idle {
    on pass(n: Node) when owner == self and n != self and n not in done { done.add(self); owner := n }
  }
}
invariant not_all: len(done) < 2
"""


def test_symmetry_reduces_a_closed_initial_set_to_exactly_the_orbits() -> None:
    full = api.load_text(SYM_CLOSED.replace("DONE", "{{}, {0}, {1}, {2}}"))
    a, b = api.check(full, por=False, symmetry=False), api.check(full, por=False, symmetry=True)
    assert [p.status for p in a.properties] == [p.status for p in b.properties] == ["violated"]
    assert b.reductions.symmetric_machines == ["Node"] and a.prop("not_all_done").trace.length == \
        b.prop("not_all_done").trace.length
    spec = api.load_text(SYM_CLOSED.replace("DONE", "{{}, {0}, {1}, {2}}").split("invariant")[0])
    sym = spec.symmetry()
    assert sym is not None and [m.name for m in sym.machines] == ["Node"]
    plain = api.check(spec, por=False, symmetry=False)
    reduced = api.check(spec, por=False, symmetry=True)
    assert reduced.reductions.symmetric_machines == ["Node"]
    # the reduced count is the number of orbits of the reachable states
    model = spec.model
    seen = set(model.initial_states())
    todo = list(seen)
    while todo:
        for t in model.successors(todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    assert plain.stats.states == len(seen)
    assert reduced.stats.states == len({sym.canon(s) for s in seen}) < plain.stats.states
    assert [p.status for p in plain.properties] == [p.status for p in reduced.properties]
    # the canonical initial states are deduplicated at level 0
    assert len({sym.canon(s) for s in model.initial_states()}) < len(model.initial_states())


def test_an_initial_set_naming_an_instance_is_not_reduced_and_says_why() -> None:
    for text in (ASYM, SYM_CLOSED.replace("DONE", "{{0}}"),
                 SYM_CLOSED.replace("DONE", "{{}}").replace("var ready: bool in any", "var ready: bool in any\n  var tag: 0..3 in {self}")):
        spec = api.load_text(text, "asym.pap")
        assert spec.symmetry() is None, text
        r = api.check(spec)
        plain = api.check(spec, por=False, symmetry=False)
        assert r.reductions.symmetric_machines == [] and r.verdict == plain.verdict
        assert r.stats.states == plain.stats.states or r.reductions.por_active
        assert any("machine Node is not reduced by symmetry" in n and "not closed under renaming" in n
                   for n in r.reductions.symmetry_notes), r.reductions.symmetry_notes
        assert "not reduced by symmetry" in report.render_text(r)
    # marked symmetric, it is an error
    with pytest.raises(SpecError) as e:
        api.load_text(ASYM.replace("machine Node[3]", "symmetric machine Node[3]"), "asym.pap")
    assert "the initial values of 'owner' single out instances" in e.value.diagnostics.render()


def test_a_closed_set_built_from_self_is_symmetric() -> None:
    text = SYM_CLOSED.replace("DONE", "{{}}").replace("var ready: bool in any", "var ready: bool in any\n  var me: Node in {self}")
    spec = api.load_text(text)
    assert spec.symmetry() is not None
    rep = self_check(spec)
    assert rep.ok, rep.render()


# ------------------------------------------------------------------------------ prove, export


def test_prove_reads_the_init_as_domain_membership(tmp_path: Path) -> None:
    pytest.importorskip("z3")
    text = """
protocol P
type Mode = enum { a, b, c }
var g: 0..5 in 1..2
var mode: Mode in {a, b}
machine M[2] {
  var x: 0..3 in {1, 2}
  state s { on dec when g > 1 and x >= 1 { g := g - 1 } }
}
invariant pos: g >= 1
invariant notc: mode != c
invariant xpos: forall i in M: M[i].x >= 1
"""
    good = tmp_path / "good.pap"
    good.write_text(text)
    r = _cli("prove", str(good))
    assert r.returncode == 0 and "PROVED" in r.stdout, r.stdout + r.stderr
    bad = tmp_path / "bad.pap"
    bad.write_text(text.replace("in 1..2", "in 0..2"))
    r = _cli("prove", str(bad))
    assert r.returncode == 1 and "CTI      initiation of pos" in r.stdout and "proved   initiation of notc" in r.stdout


def test_exports(tmp_path: Path) -> None:
    src = tmp_path / "start.pap"
    src.write_text(WITH_IN.replace("GUARD ", ""))
    r = _cli("export", str(src), "--to", "tla")
    assert r.returncode == 0, r.stderr
    assert 'g_mode \\in {"idle", "busy"}' in r.stdout and "g_level \\in {1, 2, 3}" in r.stdout
    assert "loc_W_seen \\in [(0..1) -> BOOLEAN]" in r.stdout
    r = _cli("export", str(src), "--to", "murphi")
    assert r.returncode == 0, r.stderr
    assert "ruleset pap_c0: 0..1 do\nruleset pap_c1: 0..2 do\n" in r.stdout
    assert "  if pap_c0 = 0 then\n    g_mode := e_idle;\n  elsif pap_c0 = 1 then\n    g_mode := e_busy;\n  endif;" \
        in r.stdout
    r = _cli("export", str(src), "--to", "promela", "-o", str(tmp_path / "m.pml"))
    assert r.returncode == 0, r.stderr
    pml = (tmp_path / "m.pml").read_text()
    assert "    if\n    :: g_mode = 0;\n    :: g_mode = 1;\n    fi;" in pml
    if shutil.which("spin") is None or shutil.which("cc") is None:
        pytest.skip("spin or a C compiler is not installed")
    subprocess.run(["spin", "-a", "m.pml"], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    subprocess.run(["cc", "-O1", "-DBFS", "-o", "pan", "pan.c"], cwd=tmp_path, check=True, capture_output=True,
                   timeout=300)
    out = subprocess.run(["./pan", "-c0"], cwd=tmp_path, capture_output=True, text=True, timeout=300).stdout
    assert "pap_prop 1" in out  # SPIN finds the violation too
    ok = tmp_path / "ok.pap"
    ok.write_text(WITH_IN.replace("GUARD ", "").split("invariant")[0] + "invariant fine: level >= 1\n")
    r = _cli("export", str(ok), "--to", "promela", "-o", str(tmp_path / "ok.pml"))
    subprocess.run(["spin", "-a", "ok.pml"], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    subprocess.run(["cc", "-O1", "-DBFS", "-o", "pan", "pan.c"], cwd=tmp_path, check=True, capture_output=True,
                   timeout=300)
    out = subprocess.run(["./pan", "-c0"], cwd=tmp_path, capture_output=True, text=True, timeout=300).stdout
    assert "pap_prop" not in out and "errors: 0" in out


def test_the_dsl_md_example_is_as_documented() -> None:
    import re
    text = (ROOT / "docs" / "dsl.md").read_text()
    section = text[text.index("### Nondeterministic initial values"):text.index("### Definitions")]
    blocks = re.findall(r"^```pap\n(.*?)^```", section, flags=re.S | re.M)
    assert len(blocks) == 1
    spec = api.load_text(blocks[0])
    assert len(spec.model.initial_states()) == 24
    r = api.check(spec)
    assert r.verdict == "violated" and r.prop("low").trace.length == 1
    assert r.prop("low").trace.steps[0].args["level"] == 3
    # the same spec with a first transition setting the values: the same states once it fired
    fake = blocks[0].replace("var mode: Mode in any", "var started: bool = false\nvar mode: Mode = idle").replace(
        "var level: 0..4 in 1..3", "var level: 0..4 = 0").replace(
        "var ready: bool in any", "var ready: bool = false").replace(
        "  state run {", "  init state boot {\n    on pick(b: bool) when started { ready := b } -> run\n  }\n"
                          "  state run {").replace("when ready and", "when (forall j in W: W[j] at run) and ready and").replace(
        "when not ready and", "when (forall j in W: W[j] at run) and not ready and").replace(
        "machine W[2]", "machine Setup {\n  state s {\n    on go(m in {idle, busy}, l in 1..3) when not started"
                        " { mode := m; level := l; started := true } -> done\n  }\n  final state done { }\n}\n"
                        "machine W[2]").replace("invariant low: level < 4", "")
    real = api.load_text(blocks[0].replace("invariant low: level < 4", ""))
    booted = set()
    for st in _reachable(api.load_text(fake)):
        d = dict(st)
        if d["started"] and d["W[0].state"] == d["W[1].state"] == "run":
            booted.add(tuple((k, v) for k, v in d.items() if k not in ("started", "Setup.state")))
    assert _reachable(real) == booted


def test_the_web_explorer_starts_by_choosing_the_initial_state() -> None:
    from checker.web.explorer import Explorer, PathError
    spec = api.load_text(ZERO)
    ex = Explorer(spec)
    root = ex.view([])
    assert root["depth"] == 0 and [t["action"] for t in root["enabled"]] == [
        "initial state (chosen: g = 1)", "initial state (chosen: g = 2)", "initial state (chosen: g = 3)"]
    assert {c["name"]: c["value"] for c in root["state"]}["g"] == "one of 1, 2, 3"
    cex = ex.counterexample()
    assert cex is not None and cex["path"] == [2] and root["next_on_counterexample"] == 2
    v = ex.view([2])
    assert v["violation"]["name"] == "small" and v["steps"][1]["action"] == "initial state (chosen: g = 3)"
    v = ex.view([0, 0])  # from g = 1, `dec`
    assert v["depth"] == 2 and [s["action"] for s in v["steps"]] == [
        "choose an initial state", "initial state (chosen: g = 1)", "M dec"]
    assert {c["name"]: c["value"] for c in v["state"]}["g"] == "0"
    with pytest.raises(PathError, match="no initial state number 3"):
        ex.view([3])


@pytest.mark.parametrize("peer", ["spin", "rumur"])
@pytest.mark.parametrize("name", ["start", "zero", "closed"])
def test_cross_checks_agree_on_states_and_lengths(tmp_path: Path, name: str, peer: str) -> None:
    # SPIN: the export's chain of choices is subtracted; Rumur: one startstate per choice, exact
    from checker.crosscheck.peers import available
    if not available(peer):
        pytest.skip(f"{peer} or a C compiler is not installed")
    text = {"start": WITH_IN.replace("GUARD ", ""), "zero": ZERO,
            "closed": SYM_CLOSED.replace("DONE", "{{}, {1}}")}[name]
    p = tmp_path / f"{name}.pap"
    p.write_text(text)
    r = _cli("check", str(p), "--cross-check", peer, "--no-timing")
    assert f"Cross-check ({peer}): agree" in r.stdout + r.stderr, r.stdout + r.stderr


def test_explain_and_renderings_show_the_initial_choice(tmp_path: Path) -> None:
    p = tmp_path / "zero.pap"
    p.write_text(ZERO.replace("invariant small: g < 3", "invariant small: g < 2"))
    r = _cli("explain", str(p))
    assert r.returncode == 1 and "0. It starts where g = 2 (values chosen by `in`" in r.stdout, r.stdout
    for to, want in (("html", "initial state (chosen: g = 2)"), ("dot", "initial state (chosen: g = 2)")):
        out = tmp_path / f"z.{to}"
        r = _cli("render", str(p), "--to", to, "--view", "states", "-o", str(out))
        assert r.returncode in (0, 1), r.stderr
        assert want in out.read_text()


def test_tla_exports_of_initial_domains_parse() -> None:
    tla = pytest.importorskip("tla")
    from checker.export import export
    texts = [WITH_IN.replace("GUARD ", ""), ZERO, SYM_CLOSED.replace("DONE", "{{}, {1}}"),
             SYM_CLOSED.replace("DONE", "{{}}").replace("var ready: bool in any",
                                                         "var ready: bool in any\n  var tag: 0..3 in {self}")]
    for text in texts:
        out = export(api.load_text(text).checked, "tla")[".tla"]
        tla.parse(out)
        assert "\\in" in out.split("Init ==")[1].split("\n\n")[0]
    assert "loc_Node_tag[i] \\in CASE i = 0 -> {0} [] i = 1 -> {1} [] OTHER -> {2}" in out


def test_the_state_graph_draws_every_initial_state_bold() -> None:
    from checker.views.dot import graph_dot
    spec = api.load_text("protocol Init2\nvar x: 0..3 in {0, 1}\nmachine M {\n  state s {\n"
                              "    on go when x < 2 { x := x + 1 }\n  }\n}\ninvariant small: x < 3\n",
                              "init2.pap")
    dot = graph_dot(spec)
    bold = {line.split("tooltip=")[1].split("\\l")[0] for line in dot.splitlines() if "penwidth=2.5" in line}
    assert bold == {'"x = 0', '"x = 1'}
