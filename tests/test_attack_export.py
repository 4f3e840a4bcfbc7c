"""Adversarial specs for the Promela/Murphi exports and `papcheck check --cross-check spin|rumur`.

Each spec here was written from docs/dsl.md and docs/export.md alone, then run with
`papcheck check SPEC --cross-check spin|rumur --no-timing`.  A cross-check must agree (exit 0 or
1, never 70) or refuse with a located error (exit 3).  Every find was fixed in the exporters
(checker/export, checker/crosscheck/peers.py); the tests stay as regression tests.  Each case compiles one pan or one Rumur
verifier (about 1-2 s); skipped when the peer is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _cross(tmp_path: Path, text: str, peer: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(peer) is None:
        pytest.skip(f"{peer} is not installed")
    spec = tmp_path / "spec.pap"
    spec.write_text(textwrap.dedent(text))
    return subprocess.run(
        [sys.executable, "-c", "from checker.cli import main; main()", "check", str(spec),
         "--cross-check", peer, "--no-timing"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})


def _agrees(r: subprocess.CompletedProcess[str]) -> None:
    assert r.returncode in (0, 1), r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert ": agree:" in r.stdout, r.stdout


PEERS = ["spin", "rumur"]

# `count x in D: P` is exported as the disjunction of the P's (a boolean), not their number:
# the Promela export writes `g_c = ((g_v.a[0] == 1) || (g_v.a[1] == 1) || (g_v.a[2] == 1))`,
# so SPIN never reaches c == 2 (15 states, papcheck 20), and Rumur rejects the Murphi
# (`error: expressions are not comparable` on `((g_v[0] = 1) | ...) >= 0`).
COUNT_SPEC = """\
    protocol Cnt
    var v: map[0..2, 0..1]
    var c: 0..3
    machine M {
      state s {
        on put(i in 0..2) when v[i] == 0 { v[i] := 1 }
        on cnt { c := (count i in 0..2: v[i] == 1) }
      }
    }
    reachable two: c == 2
"""


@pytest.mark.parametrize("peer", PEERS)
def test_count_aggregate(tmp_path: Path, peer: str) -> None:
    _agrees(_cross(tmp_path, COUNT_SPEC, peer))


# Any model error: papcheck's trace is "reached in 2 steps; the last one fails", the peers
# report 2 steps too, but the comparison takes papcheck's length as 1:
#   Cross-check (spin): DISAGREE: verdict violated / violated, states 2 / 2 (unreduced),
#   shortest counterexample 1 / 2 steps (counts not comparable after a model error)
#     - shortest counterexample: papcheck 1 steps, spin 2
# (same with rumur).  Every model error seen (full channel, range, key, division) does this.
MODEL_ERROR_SPEC = """\
    protocol Full
    var q: chan[0..1, 1]
    machine M[2] { state s { on put { send 1 to q } } }
"""


@pytest.mark.parametrize("peer", PEERS)
def test_model_error_trace_length(tmp_path: Path, peer: str) -> None:
    r = _cross(tmp_path, MODEL_ERROR_SPEC, peer)
    assert r.returncode == 1, r.stdout + r.stderr
    assert ": agree:" in r.stdout, r.stdout


# After a model error the Promela model carries on with the step: here the send writes
# `g_q.b[g_q.n]` with n == 1 into `byte b[1]`.  pan prints "assertion violated - invalid array
# index", goes on (-c0) and dies with a segmentation fault (exit 139), so the cross-check reports
#   Cross-check (spin): DISAGREE: verdict violated / error ... - spin: pan did not finish
# With two instances (MODEL_ERROR_SPEC) the write happens to land in memory that does not crash.
PAN_CRASH_SPEC = """\
    protocol Full1
    var q: chan[0..1, 1]
    machine M { state s { on put { send 1 to q } } }
"""


# The same with a division by zero: the step goes on to compute 6 / 0 in pan (SIGFPE).
DIV_CRASH_SPEC = """\
    protocol Div0
    var x: 0..1 = 0
    var y: 0..6
    machine M { state s { on d { y := 6 / x } } }
"""


@pytest.mark.parametrize("text", [PAN_CRASH_SPEC, DIV_CRASH_SPEC], ids=["full_channel", "div_zero"])
def test_model_error_pan_does_not_crash(tmp_path: Path, text: str) -> None:
    r = _cross(tmp_path, text, "spin")
    assert "pan did not finish" not in r.stdout, r.stdout


# papcheck evaluates `and`/`or` left to right, so `m[k] == 1 or true` reads m[3] (a model error)
# before it reaches `true`; the exports fold the guard to `true` and drop the read:
#   /* M w */  :: d_step { (pc_M[0] == 0) -> g_s.a[1] = true; }
# so both peers report "holds" where papcheck reports "key 3 is outside the map's key type":
#   - verdict: papcheck violated, spin holds
#   - model error: papcheck found one, spin did not
# Same with `not (m[k] == 1 and false)`.  (`m[k] * 0 == 0`, `m[k] == m[k]`, `min(m[k], 0) == 0`
# and a conditional keep the read; they only show the trace-length difference above.)
FOLD_SPEC = """\
    protocol Fold
    var m: map[0..2, 0..5]
    var k: 0..3
    var s: set[0..5]
    machine M {
      state a {
        on inc when k < 3 { k := k + 1 }
        on w when GUARD { s.add(1) }
      }
    }
"""


@pytest.mark.parametrize("guard", ["m[k] == 1 or true", "not (m[k] == 1 and false)"])
@pytest.mark.parametrize("peer", PEERS)
def test_folded_guard_keeps_model_error(tmp_path: Path, peer: str, guard: str) -> None:
    r = _cross(tmp_path, FOLD_SPEC.replace("GUARD", guard), peer)
    assert "model error: papcheck found one" not in r.stdout, r.stdout


# Integers are unbounded in papcheck; the exports compute in the peers' machine integers.
# SPIN: `x * x > 2000000000` with x = 50000 (2.5e9) overflows pan's 32-bit int, so the guard
# is false and `hit` is never set:
#   - verdict: papcheck holds, spin violated / - reachable r: papcheck witnessed, spin never
# Rumur: x^5 overflows its 64-bit value type, which the verifier reports as an error, read
# as a model error:  - rumur found a model error, papcheck did not
# (Neither export refuses or warns; a located "cannot translate" would be fine.)
OVF32_SPEC = """\
    protocol Ovf
    var x: 0..60000 = 50000
    var hit: bool
    machine M { state s { on t when not hit and x * x > 2000000000 { hit := true } } }
    reachable r: hit
"""
OVF64_SPEC = """\
    protocol Ovf64
    var x: 0..60000 = 50000
    var y: 0..60000
    machine M { state s { on t when y == 0 { y := x * x * x * x * x / (x * x * x * x) } } }
    reachable r: y == 50000
"""


@pytest.mark.parametrize("peer,text", [("spin", OVF32_SPEC), ("rumur", OVF64_SPEC)], ids=["spin32", "rumur64"])
def test_integer_overflow_in_peer(tmp_path: Path, peer: str, text: str) -> None:
    # fixed: the exports refuse an expression whose values may not fit the peer's 32-bit
    # integers (Rumur runs with --value-type int32_t), naming it; papcheck's own result is
    # still printed and the cross-check says it could not run (exit 3)
    r = _cross(tmp_path, text, peer)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert "Verdict: HOLDS" in r.stdout, r.stdout
    assert f"Cross-check ({peer}): could not run" in r.stdout, r.stdout
    assert re.search(r"spec\.pap:4:\d+: error: cannot export to (Promela|Murphi): `x \* x` may take values in "
                     r"0\.\.3600000000, beyond the 32-bit integers", r.stdout), r.stdout


# A choose after a map write whose key is a variable the same step assigned just before
# (`k := i; m[k] := true`): the choose's condition is evaluated on the state before the step
# for m, so firing t(i=0, v=0) has guard `!g_m.a[0]` although m[0] was just set:
#   /* M t(i=0, v=0) */ :: d_step { ((pc_M[0] == 0) && (!g_m.a[0])) -> g_k = 0; g_m.a[g_k] = true; g_k = 0; }
# Neither refused (docs/export.md promises a located error for a write "through a computed key")
# nor followed: the peers explore 7 states, papcheck 3 (exit 70, "states: papcheck 3, spin 7").
CHOOSE_AFTER_KEYED_WRITE_SPEC = """\
    protocol ChoosePrev
    var m: map[0..1, bool]
    var k: 0..1
    machine M {
      state a {
        on t(i in 0..1) { k := i; m[k] := true; choose v in 0..1 where not m[v]  k := v }
      }
    }
"""


@pytest.mark.parametrize("body", [
    "k := i; m[k] := true; choose v in 0..1 where not m[v]  k := v",
    "k := i; m[1 - k] := true; choose v in 0..1 where not m[v]  k := v",
    "k := i; s.add(k); choose v in 0..1 where v not in s  k := v",
], ids=["map_key", "map_key_expr", "set_add"])
@pytest.mark.parametrize("peer", PEERS)
def test_choose_after_write_through_assigned_key(tmp_path: Path, peer: str, body: str) -> None:
    text = CHOOSE_AFTER_KEYED_WRITE_SPEC.replace(
        "k := i; m[k] := true; choose v in 0..1 where not m[v]  k := v", body)
    text = text.replace("var k: 0..1", "var k: 0..1\n    var s: set[0..1]")
    r = _cross(tmp_path, text, peer)
    assert r.returncode == 3 or ": agree:" in r.stdout, r.stdout + r.stderr


# `min x in D: e` and `max x in D: e` are lowered like `count`: as a disjunction.  Over a set
# the Promela export writes
#   g_y = ((g_s.a[0] && 0) || (g_s.a[1] && 1) || (g_s.a[2] && 2) || (g_s.a[3] && 3));
# (y is 0 or 1, never 3: SPIN "reachable r: papcheck witnessed, spin never", states 20 / 16) and
# Rumur rejects the Murphi (`right hand side of expression is not a boolean`).  Over a range,
# `min v in 0..3: v + 1` becomes `((0 + 1) | (1 + 1) | (2 + 1) | (3 + 1))`: SPIN agrees by luck
# (C's || gives 1 = the minimum), Rumur reports an error (read as a model error).  An empty
# domain (a model error in papcheck) is not reported by SPIN at all.
AGG_SPEC = """\
    protocol Agg
    var s: set[0..3] = {2}
    var y: 0..3
    machine M { state a {
      on t when len(s) > 0 { BODY }
      on u(k in 0..3) { s.add(k) } } }
    reachable r: y == 3
"""


@pytest.mark.parametrize("body", ["y := max v in s: v", "y := (max v in s: v) - (min v in s: v)",
                                  "y := max v in 1..2: v"], ids=["max_set", "max_min_set", "max_range"])
@pytest.mark.parametrize("peer", PEERS)
def test_min_max_aggregates(tmp_path: Path, peer: str, body: str) -> None:
    text = AGG_SPEC.replace("BODY", body)
    if "1..2" in body:  # max is 2; SPIN's (1 || 2) is 1, Rumur's (1 | 2) a bitwise 3
        text = text.replace("y == 3", "y == 2")
    _agrees(_cross(tmp_path, text, peer))


@pytest.mark.parametrize("text", [COUNT_SPEC] + [AGG_SPEC.replace("BODY", b) for b in (
    "y := max v in s: v", "y := (max v in s: v) - (min v in s: v)", "y := max v in 1..2: v")],
    ids=["count", "max_set", "max_min_set", "max_range"])
def test_tla_aggregates(text: str) -> None:
    """The TLA+ export wrote count/min/max as \\E too: now Cardinality and CHOOSE; it parses."""
    from checker import api
    from checker.export import export
    tla = pytest.importorskip("tla")
    module = export(api.load_text(textwrap.dedent(text), "spec.pap").checked, "tla")[".tla"]
    tla.parse(module)
    assert ("Cardinality({" in module) == (text is COUNT_SPEC)
    assert ("CHOOSE" in module) == (text is not COUNT_SPEC)


# Several initial states (`in {..}`, `in any`, a local `in` range) with a model error and a
# `reachable` property: Rumur prints no cover results once it found an error, so the `reachable`
# hit was lost ("reachable r: papcheck witnessed, rumur never"); the hits now come from a run
# with every property an error rule.  SPIN's choice chain and pap_halt are exercised too.
INITIAL_CHOICES_SPEC = """\
    protocol Nd
    var x: 0..3 in {0, 2, 3}
    var f: bool in any
    var q: chan[0..3, 1]
    machine M[2] {
      var c: 0..2 in 0..1
      state s {
        on inc when c < 2 { c := c + 1 }
        on put when f and c == 2 { send x to q }
      }
    }
    reachable r: x == 3 and len(q) == 1
"""


@pytest.mark.parametrize("peer", PEERS)
def test_initial_choices_with_a_model_error(tmp_path: Path, peer: str) -> None:
    r = _cross(tmp_path, INITIAL_CHOICES_SPEC, peer)
    _agrees(r)
    assert "witnessed in 2 steps" in r.stdout and "MODEL ERROR" in r.stdout, r.stdout


def test_refused_cross_check_in_json_and_gate_mode(tmp_path: Path) -> None:
    """A refused export: JSON keeps papcheck's result and says why in `cross_check.refused`; in
    gate mode the other spec is still cross-checked; exit 3 either way."""
    import json
    if shutil.which("spin") is None:
        pytest.skip("spin is not installed")
    bad, good = tmp_path / "ovf.pap", tmp_path / "full.pap"
    bad.write_text(textwrap.dedent(OVF32_SPEC))
    good.write_text(textwrap.dedent(MODEL_ERROR_SPEC))
    run = [sys.executable, "-c", "from checker.cli import main; main()", "check"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(run + [str(bad), "--cross-check", "spin", "--no-timing", "--format", "json"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert r.returncode == 3, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["cross_check"]["refused"].startswith(f"{bad}:4:45: error: cannot export to Promela: `x * x`")
    assert data["cross_check"]["verdict"]["papcheck"] == "holds"
    r = subprocess.run(run + [str(bad), str(good), "--cross-check", "spin", "--no-timing"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert r.returncode == 3, r.stdout + r.stderr
    assert f"{good}: Cross-check (spin): agree" in r.stdout, r.stdout
    assert f"{bad}: Cross-check (spin): could not run" in r.stdout, r.stdout


# A property whose evaluation fails is a model error of the state in papcheck.  The exports now
# add an option (Promela) or rule (Murphi) reporting it where the property's checks fail; a max
# over a possibly empty set in an invariant was silently a value before, and a key outside the
# map in an invariant relied on the peer's own bounds check.
PROP_ERROR_SPECS = {
    "max_empty": """\
        protocol MaxEmpty
        var s: set[0..3] = {}
        machine M { state a { on add(v in 0..3) { s.add(v) } } }
        invariant top: (max v in s: v) <= 3
    """,
    "key": """\
        protocol PropErr
        var m: map[0..2, 0..5]
        var k: 0..3
        machine M { state a { on inc when k < 3 { k := k + 1 } } }
        invariant zero: m[k] == 0
    """,
}


@pytest.mark.parametrize("name", sorted(PROP_ERROR_SPECS))
@pytest.mark.parametrize("peer", PEERS)
def test_property_evaluation_error_is_a_model_error(tmp_path: Path, peer: str, name: str) -> None:
    r = _cross(tmp_path, PROP_ERROR_SPECS[name], peer)
    _agrees(r)
    assert "MODEL ERROR" in r.stdout, r.stdout


def test_reachable_that_may_fail_to_evaluate_is_refused(tmp_path: Path) -> None:
    """papcheck evaluates `reachable` properties only until all are witnessed (here at k == 2,
    before m[3] is read at k == 3): whether the model error happens depends on the search
    order, so the exports refuse it, located, instead of disagreeing."""
    text = PROP_ERROR_SPECS["key"].replace("invariant zero: m[k] == 0", "reachable far: m[k] == 0 and k == 2")
    for peer in PEERS:
        r = _cross(tmp_path, text, peer)
        assert r.returncode == 3, r.stdout + r.stderr
        assert "Verdict: HOLDS" in r.stdout
        assert re.search(r"spec\.pap:5:\d+: error: cannot export to (Promela|Murphi): reachable property 'far' "
                         r"may be a model error to evaluate", r.stdout), r.stdout


def test_aggregate_over_a_large_domain_is_refused() -> None:
    """count/min/max are unrolled (min/max quadratically): over more than 64 values the export
    stops with a located error naming the aggregate."""
    from checker import api
    from checker.export import ExportError, export
    text = textwrap.dedent(COUNT_SPEC).replace("var v: map[0..2, 0..1]", "var v: map[0..99, 0..1]") \
        .replace("var c: 0..3", "var c: 0..100").replace("put(i in 0..2)", "put(i in 0..99)") \
        .replace("count i in 0..2", "count i in 0..99")
    for target in ("promela", "murphi"):
        with pytest.raises(ExportError) as info:
            export(api.load_text(text, "big.pap").checked, target)
        assert "big.pap:7:20: error" in str(info.value) and "a count over 100 values (at most 64 are translated)" in str(info.value)


# The same with boolean and enum keys, whose index texts are not integers (`m[(true)]`,
# `(b -> 1 : 0)` in Promela, `n[(e_red)]` in Murphi): the choose's guard must read the entries
# the step wrote.
CHOOSE_BOOL_ENUM_KEYS_SPEC = """\
    protocol BoolKey
    type Color = enum { red, green }
    var m: map[bool, bool]
    var n: map[Color, 0..2]
    var b: bool
    var c: Color
    machine M {
      state a {
        on t(i in bool, j in Color) {
          b := i; m[b] := true; c := j; n[c] := 1
          choose v in bool where not m[v] and n[c] == 1  b := v
        }
      }
    }
    reachable both: m[true] and m[false]
"""


@pytest.mark.parametrize("peer", PEERS)
def test_choose_after_write_through_bool_and_enum_keys(tmp_path: Path, peer: str) -> None:
    _agrees(_cross(tmp_path, CHOOSE_BOOL_ENUM_KEYS_SPEC, peer))
