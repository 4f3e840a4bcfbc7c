"""The SPIN and Rumur twins of the reference DNS protocol agree with handbfs.

* Where the invariant holds (every FIX=1 point, and FIX 0/2 points whose purge
  age is too large for a stale write to hit a purged plan), SPIN with POR off
  and Rumur with symmetry off reach exactly handbfs's distinct states and
  transitions.
* Where it is violated every tool stops early at a search-order dependent
  point, so only the verdicts are compared.

Rumur exhaustive-symmetry counts observed (enactors are a scalarset; these
equal the number of orbits computed independently by a BFS over handbfs
states with the enactor tuple sorted, and the transitions out of them):

    NE NP G K FIX   handbfs states/transitions   rumur exhaustive states/rules fired
     2  1 6 2  1        1953 /    4616                1037 /   2458
     3  2 6 2  1       69132 /  225204               13203 /  43193
     4  1 6 2  1      597957 / 2437444               34107 / 140041

(--symmetry-reduction heuristic happened to find the same counts on these.)
SPIN with POR on stores as many states as with POR off on this model: every
d_step touches a global variable, so no transition is "safe" for POR.

Runtime: ~30 s on 2 cores, almost all of it C compilation (1-2 s per build).
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import peers

needs_handbfs = pytest.mark.skipif(not peers.peer_available("handbfs"),
                                   reason="shared/bench/handbfs.py not found")
needs_spin = pytest.mark.skipif(not peers.peer_available("spin"),
                                reason="spin or a C compiler not installed")
needs_rumur = pytest.mark.skipif(not peers.peer_available("rumur"),
                                 reason="rumur or a C compiler not installed")

# FIX=1 (invariant holds): covers NE 2-3, NP 1-2, G 5-7, K 1-3.
HOLDS_FIX1 = [(2, 1, 5, 1, 1), (2, 2, 6, 2, 1), (3, 1, 7, 3, 1), (3, 2, 5, 2, 1)]
# FIX 0 and 2 where the invariant nevertheless holds (G = K + 2: no plan a
# stale enactor can still write is ever old enough to purge): full counts.
HOLDS_OTHER = [(2, 2, 5, 3, 0), (2, 1, 5, 3, 2)]
# FIX 0 and 2 where handbfs finds a violation.
VIOLATED = [(2, 1, 6, 2, 0), (3, 2, 7, 1, 0), (2, 2, 5, 1, 2), (3, 1, 6, 3, 2)]

# Rumur --symmetry-reduction exhaustive, observed (states, rules fired).
EXHAUSTIVE = {(2, 1, 6, 2, 1): (1037, 2458), (3, 2, 6, 2, 1): (13203, 43193)}


def _id(pt):
    return "NE{}-NP{}-G{}-K{}-FIX{}".format(*pt)


@functools.cache
def handbfs(pt):
    r = peers.run_handbfs(*pt, timeout=120)
    assert r.error is None, r.error + "\n" + r.output
    return r


def _check_ok(r):
    assert r.error is None, f"{r.summary()}\n{r.build_output}\n{r.output}"
    assert r.wall_seconds > 0 and r.peak_rss_kb and r.peak_rss_kb > 0


# ---------------------------------------------------------------- no tools


def test_render_murphi_sets_constants():
    text = peers.render_murphi(4, 3, 9, 2, 0)
    for line in ("NE: 4;", "NP: 3;", "G: 9;", "K: 2;", "FIX: 0;"):
        assert line in text


def test_parse_pan_output():
    out = """pan:1: assertion violated  !(purged[record[i]]) (at depth 32)
State-vector 40 byte, depth reached 38, errors: 1
     1221 states, stored
     1357 states, matched
     2578 transitions (= stored+matched)
"""
    r = peers._parse_pan(out)
    assert r == {"states": 1221, "tool_transitions": 2578, "depth": 32,
                 "violated": True, "error": None}
    big = "State-vector 56 byte, depth reached 9, errors: 0\n" \
          "1.2345678e+08 states, stored\n 2.5e+08 transitions (= stored+matched)\n"
    r = peers._parse_pan(big)
    assert r["states"] == 123456780 and not r["violated"] and r["error"] is None


def test_parse_rumur_output():
    out = """<rumur_run>
<error includes_trace="false">
<message>invariant &quot;every record points to a plan that is not purged&quot; failed</message>
</error>
<summary states="1344" rules_fired="2483" errors="1" duration_seconds="0"/>
</rumur_run>"""
    r = peers._parse_rumur(out)
    assert (r["states"], r["transitions"], r["violated"], r["error"]) == (1344, 2483, True, None)
    human = "\tNo error found.\n\nState Space Explored:\n\n\t1,953 states, 4,616 rules fired in 0s.\n"
    r = peers._parse_rumur(human)
    assert (r["states"], r["transitions"], r["violated"], r["error"]) == (1953, 4616, False, None)


# ---------------------------------------------------------------- SPIN


@pytest.mark.spin
@needs_spin
@needs_handbfs
@pytest.mark.parametrize("pt", HOLDS_FIX1 + HOLDS_OTHER, ids=_id)
def test_spin_counts_equal_handbfs(pt):
    h = handbfs(pt)
    assert h.complete and not h.violated
    s = peers.run_spin(*pt, por=False, expected_states=h.states, timeout=120)
    _check_ok(s)
    assert not s.violated and s.complete
    assert (s.states, s.transitions) == (h.states, h.transitions)
    assert s.tool_transitions == h.transitions + 1  # pan counts the initial state


@pytest.mark.spin
@needs_spin
@needs_handbfs
@pytest.mark.parametrize("pt", VIOLATED, ids=_id)
def test_spin_verdict_matches_handbfs(pt):
    h = handbfs(pt)
    assert h.violated
    s = peers.run_spin(*pt, por=False, timeout=120)
    _check_ok(s)
    assert s.violated and not s.complete
    assert "assertion violated" in s.output


@pytest.mark.spin
@needs_spin
@needs_handbfs
@pytest.mark.parametrize("pt", [(3, 2, 5, 2, 1), (2, 1, 6, 2, 0)], ids=_id)
def test_spin_with_por(pt):
    h = handbfs(pt)
    s = peers.run_spin(*pt, por=True, timeout=120)
    _check_ok(s)
    assert s.violated == h.violated
    if not h.violated:
        assert 0 < s.states <= h.states


# ---------------------------------------------------------------- Rumur


@pytest.mark.rumur
@needs_rumur
@needs_handbfs
@pytest.mark.parametrize("pt", HOLDS_FIX1 + HOLDS_OTHER, ids=_id)
def test_rumur_counts_equal_handbfs(pt):
    h = handbfs(pt)
    assert h.complete and not h.violated
    r = peers.run_rumur(*pt, symmetry="off", timeout=120)
    _check_ok(r)
    assert not r.violated and r.complete
    assert (r.states, r.transitions) == (h.states, h.transitions)


@pytest.mark.rumur
@needs_rumur
@needs_handbfs
@pytest.mark.parametrize("pt", VIOLATED, ids=_id)
def test_rumur_verdict_matches_handbfs(pt):
    h = handbfs(pt)
    assert h.violated
    r = peers.run_rumur(*pt, symmetry="off", timeout=120)
    _check_ok(r)
    assert r.violated and not r.complete


@pytest.mark.rumur
@needs_rumur
@pytest.mark.parametrize("pt", sorted(EXHAUSTIVE), ids=_id)
def test_rumur_exhaustive_symmetry_orbits(pt):
    r = peers.run_rumur(*pt, symmetry="exhaustive", timeout=120)
    _check_ok(r)
    assert not r.violated and r.complete
    assert (r.states, r.transitions) == EXHAUSTIVE[pt]
