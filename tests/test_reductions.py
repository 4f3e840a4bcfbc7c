"""Every reduction against the unreduced search: same verdicts, same property statuses, replayable
traces, never more states.  On the shipped specs, on the generic generated protocols of
tests/genspec.py, and on a generator aimed at reductions (identical instances mixing local steps,
which partial-order reduction can batch, with shared ones), so symmetry and POR are exercised."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from checker import api
from checker.crosscheck.selfcheck import CONFIGS, self_check
from checker.engine.explore import Limits
from checker.lang.errors import SpecError
from tests.genspec import protocols

SPECS = sorted(Path(__file__).resolve().parent.parent.joinpath("specs").glob("*.pap"))
SMALL = {"ENACTORS": 2, "ENDPOINTS": 2, "PLANS": 5}


def _small(path: Path) -> dict:
    text = path.read_text()
    return {k: v for k, v in SMALL.items() if f"const {k}" in text}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_shipped_specs_agree_under_every_reduction(path: Path) -> None:
    spec = api.load(str(path), _small(path))
    report = self_check(spec)
    assert report.ok, report.render()


def test_symmetry_matches_rumur_exhaustive_counts() -> None:
    # Rumur --symmetry-reduction exhaustive on models/reference_dns.m (models/README.md)
    expected = {(2, 1): (1037, 2458), (3, 2): (13203, 43193)}
    for (ne, np_), (states, transitions) in expected.items():
        spec = api.load("specs/reference_dns.pap", {"ENACTORS": ne, "ENDPOINTS": np_})
        r = api.check(spec, por=False, symmetry=True)
        assert (r.stats.states, r.stats.transitions) == (states, transitions)


def test_symmetry_keeps_counterexamples_concrete_and_shortest() -> None:
    spec = api.load("specs/dynamodb_dns.pap")
    plain = api.check(spec, por=False, symmetry=False)
    reduced = api.check(spec)
    assert reduced.reductions.symmetric_machines == ["Enactor"]
    assert reduced.stats.states < plain.stats.states
    assert reduced.counterexample.length == plain.counterexample.length == 12


MUTEX = """
protocol Mutex
const N = 3
var owner: map[Node, bool] = false
var holder: set[Node] = {}
var last: map[Node, bool] = false
machine Node[N] {
  state idle {
    on acquire when not (exists j in Node: owner[j]) { owner[self] := true; holder.add(self) } -> crit
  }
  state crit {
    on release { owner[self] := false; holder.remove(self); last[self] := true } -> idle
  }
}
invariant mutex: forall i in Node: forall j in Node: (i != j) => not (Node[i] at crit and Node[j] at crit)
invariant one: len(holder) <= 1
"""


def _rumur_counts(model: str, n: int, symmetry: str, tmp: Path) -> tuple[int, int]:
    import re
    import subprocess
    text = re.sub(r"const N: \d+;", f"const N: {n};", model)
    (tmp / "m.m").write_text(text)
    subprocess.run(["rumur", "--symmetry-reduction", symmetry, "--output", str(tmp / "m.c"), str(tmp / "m.m")],
                   check=True, capture_output=True)
    subprocess.run(["cc", "-std=c11", "-O0", "-mcx16", "-o", str(tmp / "m"), str(tmp / "m.c"), "-lpthread"],
                   check=True, capture_output=True)
    out = subprocess.run([str(tmp / "m")], capture_output=True, text=True).stdout
    m = re.search(r"(\d+) states, (\d+) rules fired", out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


@pytest.mark.rumur
@pytest.mark.parametrize("n", [2, 3, 4])
def test_symmetry_over_instance_indexed_data_matches_rumur(n: int, tmp_path: Path) -> None:
    import shutil
    if not (shutil.which("rumur") and shutil.which("cc")):
        pytest.skip("rumur or cc missing")
    model = (Path(__file__).resolve().parent.parent / "models" / "mutex_scalarset.m").read_text()
    spec = api.load_text(MUTEX, constants={"N": n})
    plain = api.check(spec, por=False, symmetry=False)
    reduced = api.check(spec, por=False, symmetry=True)
    assert reduced.reductions.symmetric_machines == ["Node"]
    assert (plain.stats.states, plain.stats.transitions) == _rumur_counts(model, n, "off", tmp_path)
    assert (reduced.stats.states, reduced.stats.transitions) == _rumur_counts(model, n, "exhaustive", tmp_path)


def test_instance_indexed_data_agrees_under_every_reduction() -> None:
    report = self_check(api.load_text(MUTEX))
    assert report.ok, report.render()


@pytest.mark.parametrize("change, reason", [
    ("owner[self] := true; holder.add(self)", None),
    ("owner[0] := true; holder.add(self)", "names a particular instance"),
    ("owner[self] := true; holder.add(self); if self < 1 { skip }", "other than to name an instance"),
])
def test_what_breaks_symmetry(change: str, reason) -> None:
    from checker.reduce.symmetry import symmetric_machines
    text = MUTEX.replace("owner[self] := true; holder.add(self)", change)
    spec = api.load_text(text)
    found = symmetric_machines(spec.checked)
    assert (found == []) == (reason is not None)
    if reason is not None:
        with pytest.raises(SpecError) as err:
            api.load_text(text.replace("machine Node", "symmetric machine Node"))
        assert reason in str(err.value)


def test_an_asymmetric_initial_state_is_not_reduced() -> None:
    from checker.reduce.symmetry import symmetric_machines
    text = MUTEX.replace("var owner: map[Node, bool] = false", "var owner: map[Node, bool] = false\nvar first: Node = 0")
    spec = api.load_text(text.replace("invariant one", "reachable r: first == first\ninvariant one"))
    assert symmetric_machines(spec.checked) == []


def test_self_check_catches_a_broken_reduction(monkeypatch) -> None:
    """The self-check is only worth something if it fails when a reduction is wrong: make the
    symmetry canonicalizer drop an instance's state and watch it complain."""
    import checker.reduce.symmetry as reduce_mod

    real = reduce_mod.build_symmetry

    def broken(model, machines):
        sym = real(model, machines)
        if sym is None:
            return None
        canon = sym.canon
        sym.canon = lambda s: canon(s) & ~0b11  # forget the low bits: merges distinct states
        return sym

    monkeypatch.setattr(reduce_mod, "build_symmetry", broken)
    spec = api.load("specs/dynamodb_dns_cas.pap", {"ENACTORS": 2, "PLANS": 5})
    report = self_check(spec, configs=CONFIGS[:3])
    assert not report.ok


def test_por_reduces_a_protocol_with_local_steps() -> None:
    text = """
protocol Local
var g: 0..3 = 0
machine W[3] {
  var a: 0..2 = 0
  state think {
    on step when a < 2 { a := a + 1 }
    on ready when a == 2 { } -> act
  }
  state act {
    on bump when g < 3 { g := g + 1 } -> done
  }
  final state done { }
}
invariant small: g <= 3
"""
    spec = api.load_text(text)
    full = api.check(spec, por=False, symmetry=False)
    por = api.check(spec, por=True, symmetry=False)
    assert por.reductions.por_active and por.reductions.ample_expansions > 0
    assert por.stats.states < full.stats.states
    assert por.verdict == full.verdict == "holds"


# ----------------------------------------------------------------------- generated protocols


@st.composite
def reduction_protocols(draw) -> str:
    """Identical instances (no `self`, same initial values) with local and shared steps."""
    n = draw(st.integers(2, 3))
    gmax = draw(st.integers(1, 3))
    amax = draw(st.integers(1, 2))
    kmax = draw(st.integers(1, 2))
    # sometimes several initial states (`in`): closed under renaming W's instances, or (sw in
    # {{}, {0}}) not, which must turn symmetry off
    g_init = draw(st.sampled_from(["= 0", "= 0", f"in 0..{gmax}", f"in {{0, {gmax}}}"]))
    s_init = draw(st.sampled_from(["= {}", "= {}", "in any"]))
    sw_init = draw(st.sampled_from(["= {}", "= {}", "in any", "in {{}, {0}}"]))
    lines = ["protocol Gen", f"var g: 0..{gmax} {g_init}", f"var s: set[0..{kmax}] {s_init}",
             f"var m: map[0..{kmax}, 0..{gmax}] = 0", "var c: map[W, bool] = false", f"var sw: set[W] {sw_init}"]
    body = {
        "local_inc": f"when a < {amax} {{ a := a + 1 }}",
        "local_flip": "{ b := not b }",
        "local_reset": "when b { a := 0; b := false }",
        "read": f"{{ a := min(g, {amax}) }}",
        "write": f"when g < {gmax} {{ g := g + 1 }}",
        "write_guarded": f"when b and g < {gmax} {{ g := g + 1; b := false }}",
        "add": f"{{ s.add(min(a, {kmax})) }}",
        "remove": f"when a <= {kmax} {{ s.remove(a) }}",
        "map": f"{{ m[min(a, {kmax})] := min(g, {gmax}) }}",
        "choose": f"{{ choose x in 0..{kmax} where x not in s\n      s.add(x)\n      a := min(x, {amax}) }}",
        "cond": f"{{ if g > 0 {{ a := min(a + 1, {amax}) }} else {{ b := true }} }}",
        "claim": "when not (exists j in W: c[j]) { c[self] := true }",
        "unclaim": "when c[self] { c[self] := false }",
        "join": "{ sw.add(self) }",
        "leave": "when self in sw { sw.remove(self) }",
        "peer": "{ choose j in W where j != self and not c[j]\n      b := true }",
    }
    names = sorted(body)
    lines.append(f"machine W[{n}] {{")
    lines.append(f"  var a: 0..{amax} {draw(st.sampled_from(['= 0', '= 0', 'in any']))}")
    lines.append(f"  var b: bool {draw(st.sampled_from(['= false', '= false', 'in any']))}")
    nstates = draw(st.integers(1, 3))
    for k in range(nstates):
        final = "final " if k == nstates - 1 and draw(st.booleans()) else ""
        lines.append(f"  {final}state p{k} {{")
        pool = ["local_flip", "local_inc", "local_reset"] if draw(st.booleans()) else names
        for j, kind in enumerate(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))):
            target = f" -> p{draw(st.integers(0, nstates - 1))}" if nstates > 1 and draw(st.booleans()) else ""
            lines.append(f"    on t{j}_{kind} {body[kind]}{target}")
        lines.append("  }")
    lines.append("}")
    if draw(st.booleans()):
        lines.append(f"machine Solo {{\n  state run {{\n    on tick when g < {gmax} {{ g := g + 1 }}\n  }}\n}}")
    c = draw(st.integers(0, gmax))
    invariant = draw(st.sampled_from([
        f"g <= {c}", f"len(s) <= {min(c, kmax + 1)}", f"forall i in W: W[i].a <= {min(c, amax)}",
        f"not (exists i in W: W[i].b and g == {c})", f"m[0] <= {c}",
        f"not (exists i in W: exists j in W: i != j and W[i].a == {amax} and W[j].a == {amax})",
        "not (exists i in W: exists j in W: i != j and c[i] and c[j])", f"len(sw) <= {min(c + 1, n)}",
        "forall i in W: c[i] => i in sw",
    ] + ([f"not (exists i in W: W[i] at p{nstates - 1} and g == {c})"] if nstates > 1 else [])))
    lines.append(f"invariant inv: {invariant}")
    lines.append(f"reachable r: {draw(st.sampled_from(['g == ' + str(gmax), 'len(s) > 0', 'exists i in W: W[i].b']))}")
    if draw(st.booleans()):
        lines.append("deadlock_free nd")
    return "\n".join(lines) + "\n"


def _assert_agrees(text: str) -> None:
    spec = api.load_text(text)
    report = self_check(spec, limits=Limits(max_states=20000))
    reduced = report.rows[3][1].reductions
    event("symmetry active" if reduced.symmetric_machines else "no symmetry")
    event("POR active" if reduced.ample_expansions else "no ample set")
    if len(spec.model.initial_states()) > 1:
        event("several initial states")
        if any("not closed under renaming" in n for n in reduced.symmetry_notes):
            event("several initial states: symmetry refused (initial set not closed)")
        elif reduced.symmetric_machines:
            event("several initial states: symmetry active")
    assert report.ok, text + "\n" + report.render()


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(reduction_protocols())
def test_generated_reduction_friendly_protocols_agree(text: str) -> None:
    _assert_agrees(text)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(protocols(model_errors=True, initial_domains=True))
def test_generated_protocols_agree(text: str) -> None:
    _assert_agrees(text)
