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
from checker.explore import Limits
from checker.selfcheck import CONFIGS, self_check
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


def test_self_check_catches_a_broken_reduction(monkeypatch) -> None:
    """The self-check is only worth something if it fails when a reduction is wrong: make the
    symmetry canonicalizer drop an instance's state and watch it complain."""
    import checker.reduce as reduce_mod

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
    lines = ["protocol Gen", f"var g: 0..{gmax} = 0", f"var s: set[0..{kmax}] = {{}}",
             f"var m: map[0..{kmax}, 0..{gmax}] = 0"]
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
    }
    names = sorted(body)
    lines.append(f"machine W[{n}] {{")
    lines.append(f"  var a: 0..{amax} = 0")
    lines.append("  var b: bool = false")
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
    assert report.ok, text + "\n" + report.render()


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(reduction_protocols())
def test_generated_reduction_friendly_protocols_agree(text: str) -> None:
    _assert_agrees(text)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(protocols(model_errors=True))
def test_generated_protocols_agree(text: str) -> None:
    _assert_agrees(text)
