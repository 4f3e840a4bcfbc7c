"""Exports to Promela, Murphi and TLA+ (checker.export) checked by the peers themselves.

* Every shipped and workshop spec, and the reference grid, exported to Promela and Murphi:
  SPIN and Rumur agree with papcheck on the verdict, on every property papcheck decided, on the
  number of states of the whole unreduced space, and (SPIN, and Rumur's first error) on the
  shortest counterexample.  Exact accounting in docs/export.md: pan stores one state more.
* Every TLA+ export parses with the `tla` package (a TLA+ parser).
* Spec identifiers cannot inject into the generated code; untranslatable constructs are located
  errors; the CLI's `export` and `check --cross-check`.
The random protocols are in tests/test_export_differential.py.
"""

from __future__ import annotations

import glob
import json
import os
import re

import pytest
from click.testing import CliRunner

from checker import api
from checker.cli import main
from checker.crosscheck import peers
from checker.export import ExportError, export

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = sorted(glob.glob(os.path.join(ROOT, "specs", "*.pap"))
                 + glob.glob(os.path.join(ROOT, "examples", "workshop", "*", "*.pap")))
BIG = ("dynamodb_dns.pap", "dynamodb_dns_skip_active.pap")  # ~350k states each

needs_spin = pytest.mark.skipif(not peers.available("spin"), reason="spin or a C compiler not installed")
needs_rumur = pytest.mark.skipif(not peers.available("rumur"), reason="rumur or a C compiler not installed")

# the reference grid of tests/test_peers.py: (ENACTORS, ENDPOINTS, PLANS, PURGE_AGE, FIX)
GRID = [(2, 1, 5, 1, 1), (2, 2, 6, 2, 1), (3, 1, 7, 3, 1), (3, 2, 5, 2, 1), (2, 2, 5, 3, 0),
        (2, 1, 5, 3, 2), (2, 1, 6, 2, 0), (3, 2, 7, 1, 0), (2, 2, 5, 1, 2), (3, 1, 6, 3, 2)]


def _rel(path: str) -> str:
    return os.path.relpath(path, ROOT)


def _params(paths):
    return [pytest.param(p, id=_rel(p), marks=[pytest.mark.slow] if os.path.basename(p) in BIG else [])
            for p in paths]


def _cross(path: str, peer: str) -> peers.CrossCheck:
    spec = api.load(path)
    result = api.check(spec)
    return peers.cross_check(spec, result, peer)


@needs_spin
@pytest.mark.parametrize("path", _params(SHIPPED))
def test_spin_agrees_on_every_shipped_spec(path: str) -> None:
    c = _cross(path, "spin")
    assert c.agree, c.problems
    assert c.peer_states == c.papcheck_states
    if c.papcheck_verdict == "violated":
        assert c.peer_length == c.papcheck_length is not None


@needs_rumur
@pytest.mark.parametrize("path", _params(SHIPPED))
def test_rumur_agrees_on_every_shipped_spec(path: str) -> None:
    c = _cross(path, "rumur")
    assert c.agree, c.problems
    assert c.peer_states == c.papcheck_states
    if c.papcheck_verdict == "violated":
        assert c.peer_length == c.papcheck_length is not None


# (3, 2, 7, 1, 0) has 1,613,111 states once explored whole (papcheck stops at the violation
# sooner): SPIN and Rumur agree on it (36 s and 57 s here), too long for every CI run.
BIG_GRID = (3, 2, 7, 1, 0)


@pytest.mark.parametrize("peer", [pytest.param("spin", marks=needs_spin), pytest.param("rumur", marks=needs_rumur)])
@pytest.mark.parametrize("pt", [pytest.param(pt, id="NE{}-NP{}-G{}-K{}-FIX{}".format(*pt),
                                             marks=[pytest.mark.skipif(
                                                 pt == BIG_GRID and not os.environ.get("PAPCHECK_EXPORT_BIG"),
                                                 reason="1.6M states; set PAPCHECK_EXPORT_BIG=1")])
                                for pt in GRID])
def test_reference_grid(pt: tuple, peer: str) -> None:
    ne, np, g, k, fix = pt
    spec = api.load(os.path.join(ROOT, "specs", "reference_dns.pap"),
                    dict(ENACTORS=ne, ENDPOINTS=np, PLANS=g, PURGE_AGE=k, FIX=fix))
    c = peers.cross_check(spec, api.check(spec), peer)
    assert c.agree, c.problems
    assert c.peer_states == c.papcheck_states


def test_tla_exports_parse() -> None:
    tla = pytest.importorskip("tla")
    models = sorted(glob.glob(os.path.join(ROOT, "models", "*.pap")))
    for path in SHIPPED + models:
        files = export(api.load(path).checked, "tla")
        tla.parse(files[".tla"])  # raises ValueError on a syntax error
        assert "SPECIFICATION Spec" in files[".cfg"]


def test_tla_parser_rejects_broken_module() -> None:
    """The parse test above can fail: a damaged export is refused."""
    tla = pytest.importorskip("tla")
    text = export(api.load(os.path.join(ROOT, "specs", "dynamodb_dns.pap")).checked, "tla")[".tla"]
    with pytest.raises(ValueError):
        tla.parse(text.replace("Init ==", "Init == /\\ (", 1))


def test_exports_are_deterministic() -> None:
    path = os.path.join(ROOT, "specs", "dynamodb_dns_cas.pap")
    for target in ("promela", "murphi", "tla"):
        assert export(api.load(path).checked, target) == export(api.load(path).checked, target)


# ------------------------------------------------------------------------------------ injection

HOSTILE = """protocol printf
# identifiers that are keywords, macros or runtime names in Promela, Murphi, TLA+, C and pan
const int = 2
type end = 0..int
type now = enum { begin, endrule, main, NULL }
var trpt: end = 1
var proctype: set[end]
var rule: map[now, bool] = false
var exit: chan[end, 2]
machine init[2] {
  var atomic: end = 0
  state d_step {
    on hidden(run in end) when atomic < int and run != atomic {
      atomic := run
      proctype.add(run)
      rule[begin] := not rule[begin]
    } -> unless
  }
  state unless {
    on uerror when len(exit) < 2 { send atomic to exit } -> d_step
    on typedef recv startstate from exit { trpt := startstate }
  }
}
invariant abort: trpt <= int
reachable malloc: len(proctype) == 3 and rule[begin]
reachable VARIABLES: exists Init in init: init[Init] at unless
"""
NAMES = ["printf", "int", "end", "now", "begin", "endrule", "main", "NULL", "trpt", "proctype", "rule",
         "exit", "init", "atomic", "d_step", "hidden", "run", "unless", "uerror", "typedef", "startstate",
         "abort", "malloc", "VARIABLES", "Init"]
PREFIXES = ("g_", "l_", "f_", "e_", "loc_", "pc_", "b_", "C_", "A_", "Inv_", "Reach_", "NotReach_", "Live_",
            "Recover_", "PapE", "PapT", "PapL_", "PapI_", "pap_")


def _tokens(text: str) -> set[str]:
    """Identifier tokens of generated code, outside comments and string literals (where a name
    is inert: it cannot contain the characters that would end either)."""
    code = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    code = re.sub(r'"[^"\n]*"', " ", code)
    code = re.sub(r"(--|\\\*).*", " ", code)
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))


def test_hostile_identifiers_are_renamed() -> None:
    """Every token the spec's names contribute to the output carries a fixed prefix: compare
    with the same spec under harmless names."""
    benign = HOSTILE
    for k, name in enumerate(NAMES):
        benign = re.sub(rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_])", f"zq{k}", benign)
    assert benign != HOSTILE and not any(re.search(rf"\b{n}\b", benign) for n in NAMES)
    for target in ("promela", "murphi", "tla"):
        bad = api.load_text(HOSTILE).checked
        good = api.load_text(benign).checked
        hostile_out = "".join(export(bad, target).values())
        benign_out = "".join(export(good, target).values())
        from_names = _tokens(hostile_out) - _tokens(benign_out)
        assert from_names, target
        loose = sorted(t for t in from_names if not t.startswith(PREFIXES))
        assert not loose, (target, loose)
        # and comments carry no spec text either: the benign output, names mapped back, is the hostile one
        back = benign_out
        for k, name in reversed(list(enumerate(NAMES))):
            back = re.sub(rf"zq{k}(?![0-9])", name, back)
        assert back == hostile_out, target


@needs_spin
def test_hostile_identifiers_spin() -> None:
    spec = api.load_text(HOSTILE)
    c = peers.cross_check(spec, api.check(spec), "spin")
    assert c.agree, c.problems


@needs_rumur
def test_hostile_identifiers_rumur() -> None:
    spec = api.load_text(HOSTILE)
    c = peers.cross_check(spec, api.check(spec), "rumur")
    assert c.agree, c.problems


# ---------------------------------------------------------------------------------- bad input

CHOOSE_AFTER_WRITE = """protocol Late
var q: chan[0..3, 2]
machine M {
  state s {
    on t when len(q) < 2 {
      send 1 to q
      choose v in 0..3 where v < len(q)
      send v to q
    }
  }
}
"""

# a choose after plain writes is translated: the guard follows the writes (tests below agree)
CHOOSE_AFTER_ASSIGN = """protocol Late
var x: 0..3
var m: map[0..2, 0..3]
machine M[2] {
  var y: 0..3
  state s {
    on t when x < 3 {
      x := x + 1
      if x > 1 { m[1] := x } else { y := 2 }
      choose v in 0..x where v > 0 and v != m[1] and v != y
      x := v
    }
  }
}
reachable r: x == 2 and m[1] == 3
"""


def test_untranslatable_construct_is_a_located_error() -> None:
    spec = api.load_text(CHOOSE_AFTER_WRITE, path="late.pap")
    for target in ("promela", "murphi"):
        with pytest.raises(ExportError) as e:
            export(spec.checked, target)
        text = e.value.diagnostics.render()
        assert text.startswith("late.pap:7:34: error: cannot export to")
        assert "a choose that reads a variable the transition changed before it" in text and "^" in text
    export(spec.checked, "tla")  # TLA+ states it directly: \E v \in ... over the rest of the body


@pytest.mark.parametrize("peer", [pytest.param("spin", marks=needs_spin), pytest.param("rumur", marks=needs_rumur)])
def test_choose_after_assignments(peer: str) -> None:
    spec = api.load_text(CHOOSE_AFTER_ASSIGN)
    c = peers.cross_check(spec, api.check(spec), peer)
    assert c.agree, c.problems
    assert c.papcheck_verdict == "violated" and c.peer_states == c.papcheck_states == 5


def test_cli_export_error_exit_code(tmp_path) -> None:
    p = tmp_path / "late.pap"
    p.write_text(CHOOSE_AFTER_WRITE)
    r = CliRunner().invoke(main, ["export", str(p), "--to", "promela"])
    assert r.exit_code == 3
    assert "late.pap:7:34: error: cannot export to Promela: a choose that reads" in r.output


def test_liveness_needs_safety_only() -> None:
    path = os.path.join(ROOT, "specs", "dynamodb_dns_operator.pap")
    spec = api.load(path)
    with pytest.raises(ExportError, match="recoverable property 'healthy'"):
        export(spec.checked, "promela")
    assert "d_step" in export(spec.checked, "promela", safety_only=True)[".pml"]


# ----------------------------------------------------------------------------------------- CLI


def test_cli_export_targets(tmp_path) -> None:
    spec = os.path.join(ROOT, "specs", "reference_dns.pap")
    r = CliRunner().invoke(main, ["export", spec, "--to", "promela", "-D", "ENACTORS=3"])
    assert r.exit_code == 0 and "byte pc_Enactor[3];" in r.output
    r = CliRunner().invoke(main, ["export", spec, "--to", "murphi"])
    assert r.exit_code == 0 and 'startstate "init"' in r.output
    out = tmp_path / "Ref.tla"
    r = CliRunner().invoke(main, ["export", spec, "--to", "tla", "-o", str(out)])
    assert r.exit_code == 0
    assert out.read_text().startswith("---- MODULE Ref ----")
    assert "C_ENACTORS = 2" in (tmp_path / "Ref.cfg").read_text()


@needs_spin
def test_cli_cross_check_text_json_gate(tmp_path) -> None:
    spec = os.path.join(ROOT, "examples", "workshop", "06_gc_race", "spec.pap")
    r = CliRunner().invoke(main, ["check", spec, "--cross-check", "spin", "--no-timing"])
    assert r.exit_code == 1, r.output
    assert re.search(r"Cross-check \(spin\): agree: verdict violated / violated, states 889 / 889 "
                     r"\(unreduced\), shortest counterexample 5 / 5 steps", r.output)
    r = CliRunner().invoke(main, ["check", spec, "--cross-check", "spin", "--format", "json", "--no-timing"])
    data = json.loads(r.output)
    assert data["cross_check"]["agree"] is True and data["cross_check"]["states"] == {"papcheck": 889, "peer": 889}
    other = os.path.join(ROOT, "examples", "workshop", "01_one_enactor", "spec.pap")
    r = CliRunner().invoke(main, ["check", spec, other, "--cross-check", "spin", "--format", "json", "--no-timing"])
    data = json.loads(r.output)
    assert [c["agree"] for c in data["cross_check"]] == [True, True]


@pytest.mark.internal_error_expected  # a faked disagreement: exit 70 is the point
def test_cli_cross_check_disagreement_exits_70(monkeypatch) -> None:
    """A peer that counts differently is a disagreement: exit 70, as --self-check."""
    def fake(spec, *, timeout=None, expected_states=None, safety_only=False):
        return peers.PeerOutcome("spin", "holds", 1)
    monkeypatch.setattr(peers, "run_spin", fake)
    monkeypatch.setattr(peers, "available", lambda tool: True)
    spec = os.path.join(ROOT, "specs", "reference_dns.pap")
    r = CliRunner().invoke(main, ["check", spec, "--cross-check", "spin", "--no-timing"])
    assert r.exit_code == 70
    assert "DISAGREE" in r.output and "states: papcheck 1953, spin 1" in r.output


def test_cli_cross_check_missing_peer(monkeypatch) -> None:
    monkeypatch.setattr(peers, "available", lambda tool: False)
    spec = os.path.join(ROOT, "specs", "reference_dns.pap")
    r = CliRunner().invoke(main, ["check", spec, "--cross-check", "rumur"])
    assert r.exit_code == 2
    assert "apt-get install rumur" in r.output


# ------------------------------------------------------------------- scalarsets and symmetry

def _symmetric(paths):
    from checker.reduce.symmetry import symmetric_machines
    return [p for p in paths if symmetric_machines(api.load(p).checked)]


SYMMETRIC = _symmetric(SHIPPED)


def test_symmetric_specs_are_found() -> None:
    assert len(SYMMETRIC) >= 15  # every Enactor/Edge/Agent family of the shipped and workshop specs


@needs_rumur
@pytest.mark.parametrize("path", _params(SYMMETRIC))
def test_rumur_symmetry_reduction_agrees(path: str) -> None:
    """A machine papcheck proves symmetric is a scalarset in the export; Rumur's exhaustive
    symmetry reduction then counts exactly papcheck's orbits (the whole space: papcheck stops
    at a violation, so a violated spec is compared with the full orbit count), Rumur without it
    the unreduced states, and both agree with papcheck on every property and on the shortest
    counterexample."""
    from checker.export.murphi import to_murphi
    from checker.reduce.symmetry import symmetric_machines
    spec = api.load(path)
    live = any(p.kind not in ("invariant", "reachable", "deadlock_free") for p in spec.checked.properties)
    text = to_murphi(spec.checked, safety_only=live)
    for m in symmetric_machines(spec.checked):
        assert f"PapI_{m.name}: scalarset({m.count});" in text
        assert f"ruleset pap_i_{m.name}: PapI_{m.name} do" in text
    result = api.check(spec, por=False)
    reduced = peers.full_count(spec, symmetry=True)
    if result.verdict == "holds":
        assert result.stats.states == reduced.states  # papcheck's own --no-por count
    exhaustive = peers.run_rumur(spec, symmetry="exhaustive", safety_only=live)
    off = peers.run_rumur(spec, symmetry="off", safety_only=live)
    assert exhaustive.states == reduced.states
    assert off.states == peers.full_count(spec).states
    assert exhaustive.failed == off.failed and exhaustive.model_error == off.model_error
    c = peers.compare(spec, api.check(spec), exhaustive, reduced, 0.0)
    assert c.agree, c.problems


OWNER = """
protocol Owner
var owner: Worker? = none
machine Worker[2] {
  state idle { on grab when owner == none { owner := self } -> busy }
  state busy { on drop when owner == self { owner := none } -> idle }
}
reachable grabbed: owner != none
"""


def test_ids_in_data_stay_a_subrange() -> None:
    """papcheck proves Worker symmetric, but its ids are stored (owner := self): the export
    keeps the subrange (not translated to a scalarset yet) and is unchanged."""
    from checker.export.murphi import to_murphi
    from checker.reduce.symmetry import symmetric_machines
    spec = api.load_text(OWNER)
    assert [m.name for m in symmetric_machines(spec.checked)] == ["Worker"]
    text = to_murphi(spec.checked)
    assert "scalarset" not in text and text == to_murphi(spec.checked, scalarsets=False)


def test_no_symmetry_export_is_unchanged() -> None:
    from checker.export.murphi import to_murphi
    spec = api.load(os.path.join(ROOT, "examples", "workshop", "01_one_enactor", "spec.pap"))
    assert to_murphi(spec.checked) == to_murphi(spec.checked, scalarsets=False)
