"""papcheck's explorer agrees with three independent checkers on the reference DNS protocol.

specs/reference_dns.pap has the atomicity of shared/bench/handbfs.py and of its SPIN and Rumur
twins (models/reference_dns.{pml,m}, run by bench/peers.py), so for the same constants:

* the verdicts are equal;
* where the invariant holds, papcheck's distinct reachable states AND transitions (all
  reductions off) equal handbfs's, SPIN's (pan with POR off) and Rumur's (symmetry off), exactly;
* where it is violated the searches stop at the first error, at a point that depends on the
  search order, so counts are not compared.  But papcheck (BFS), handbfs (BFS) and Rumur
  (single-threaded BFS) all return a shortest counterexample, so its depth must be equal.

papcheck's reductions are checked against the same peers: with its defaults (POR and symmetry)
the verdict is handbfs's everywhere; with symmetry alone the counts equal Rumur's exhaustive
symmetry (orbits under permutations of the enactors) and the shortest counterexample is as deep.

The shipped incident specs are twins too: dynamodb_dns.pap is reference_dns.pap with FIX = 0
(same verdict, same shortest-counterexample depth) and dynamodb_dns_cas.pap is FIX = 1 (same
verdict and same counts), at their own default constants.

Cost: papcheck is fast; the C compiles of pan and of Rumur's verifier are what costs, so SPIN
and Rumur run at PEER_POINTS only (plus Rumur's exhaustive symmetry at SYMMETRY_POINTS), each
compiled once per point and tool.  handbfs runs at every point of the grid NE 2-3, NP 1-2,
G 5-7, K 1-3, FIX 0-2; its 3-enactor points where the search runs to the end (30k-280k states,
1-3 s per tool) are marked slow.  About 55 s with `-m "not slow"` on 2 cores, about 90 s for
the whole module.
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker import api

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import peers  # noqa: E402

REFERENCE = str(ROOT / "specs" / "reference_dns.pap")
INCIDENT = str(ROOT / "specs" / "dynamodb_dns.pap")
INCIDENT_CAS = str(ROOT / "specs" / "dynamodb_dns_cas.pap")
# the FIX each shipped incident spec is the twin of
TWIN_FIX = {INCIDENT: 0, INCIDENT_CAS: 1}

needs_handbfs = pytest.mark.skipif(not peers.peer_available("handbfs"),
                                   reason="shared/bench/handbfs.py not found")
needs_spin = pytest.mark.skipif(not peers.peer_available("spin"),
                                reason="spin or a C compiler not installed")
needs_rumur = pytest.mark.skipif(not peers.peer_available("rumur"),
                                 reason="rumur or a C compiler not installed")

Point = tuple[int, int, int, int, int]  # NE, NP, G, K, FIX

GRID: list[Point] = list(itertools.product((2, 3), (1, 2), (5, 6, 7), (1, 2, 3), (0, 1, 2)))

# Where SPIN and Rumur run: every value of every parameter, FIX 0 and 2 both holding (G = K + 2)
# and violated, and the incident specs' default constants (3x2x6, K = 2) with FIX 0 and 1, so
# the incident tests below reuse these runs.  The others differ from tests/test_peers.py's.
PEER_POINTS: list[Point] = [
    (2, 1, 6, 3, 1), (2, 2, 7, 1, 1), (3, 1, 5, 2, 1), (3, 2, 6, 2, 1),
    (3, 1, 5, 3, 0), (2, 2, 5, 3, 2),
    (3, 2, 6, 2, 0), (2, 1, 7, 3, 0), (2, 2, 6, 1, 2), (3, 1, 7, 2, 2),
]

# Where Rumur also runs with exhaustive symmetry (one more compile each).
SYMMETRY_POINTS: list[Point] = [(3, 2, 6, 2, 1), (2, 2, 7, 1, 1), (3, 1, 7, 2, 2)]


def _id(pt: Point) -> str:
    return "NE{}-NP{}-G{}-K{}-FIX{}".format(*pt)


def _constants(pt: Point) -> dict[str, int]:
    return dict(zip(("ENACTORS", "ENDPOINTS", "PLANS", "PURGE_AGE", "FIX"), pt))


def _twin_point(spec: api.Spec, fix: int) -> Point:
    c = spec.constants
    return (c["ENACTORS"], c["ENDPOINTS"], c["PLANS"], c["PURGE_AGE"], fix)


@dataclass(frozen=True)
class Outcome:
    """What papcheck found, in the terms the peers report."""

    verdict: str  # holds / violated / incomplete
    states: int
    transitions: int
    depth: int | None  # length of the counterexample, when violated


# papcheck's reductions: "none" explores every reachable state (the counts the peers report);
# "symmetry" keeps one state per orbit under permutations of the enactors, like Rumur's
# exhaustive symmetry; "default" is what `papcheck check` does (POR and symmetry).
REDUCTIONS = {"none": {"por": False, "symmetry": False}, "symmetry": {"por": False}, "default": {}}


def _outcome(spec: api.Spec, reductions: str) -> Outcome:
    r = api.check(spec, **REDUCTIONS[reductions])
    cex = r.counterexample
    return Outcome(r.verdict, r.stats.states, r.stats.transitions, None if cex is None else cex.length)


@functools.cache
def papcheck(pt: Point, reductions: str = "none") -> Outcome:
    return _outcome(api.load(REFERENCE, _constants(pt)), reductions)


@functools.cache
def papcheck_spec(path: str) -> Outcome:
    return _outcome(api.load(path), "none")


@functools.cache
def handbfs(pt: Point) -> peers.PeerResult:
    r = peers.run_handbfs(*pt, timeout=120)
    assert r.error is None, f"{r.summary()}\n{r.output}"
    return r


# The verifiers run for well under a second at these points, so the compile dominates: pan
# builds 4x faster at -O0 than at -O2 and Rumur's verifier is fastest overall at -O1.  The
# optimisation level changes no count.


@functools.cache
def spin(pt: Point) -> peers.PeerResult:
    # POR off: pan's stored states are then the reachable states; the hash table is sized from
    # papcheck's count only to save memory (the size never changes pan's counts).
    r = peers.run_spin(*pt, por=False, expected_states=papcheck(pt).states, cflags=("-O0",),
                       timeout=120)
    assert r.error is None, f"{r.summary()}\n{r.build_output}\n{r.output}"
    return r


@functools.cache
def rumur(pt: Point, symmetry: str = "off") -> peers.PeerResult:
    # The trace only changes what the verifier prints on an error, not the search.
    r = peers.run_rumur(*pt, symmetry=symmetry, trace=True, cflags=("-O1",), timeout=120)
    assert r.error is None, f"{r.summary()}\n{r.build_output}\n{r.output}"
    return r


def rumur_trace_depth(r: peers.PeerResult) -> int:
    """Transitions in Rumur's counterexample: its trace starts with the start state's entry."""
    n = len(re.findall(r"<transition>", r.output))
    assert n > 0, f"no counterexample trace in Rumur's output:\n{r.output}"
    return n - 1


def verdict(r: peers.PeerResult) -> str:
    assert r.violated or r.complete, r.summary()
    return "violated" if r.violated else "holds"


def _expensive(pt: Point) -> bool:
    """3 enactors and a search that runs to the end: 30k-280k states, 1-3 s per tool."""
    ne, _, g, k, fix = pt
    holds = fix == 1 or g == k + 2
    return ne == 3 and holds and pt not in PEER_POINTS


GRID_PARAMS = [pytest.param(pt, id=_id(pt), marks=[pytest.mark.slow] if _expensive(pt) else [])
               for pt in GRID]


# ---------------------------------------------------------------- handbfs, the whole grid


@needs_handbfs
@pytest.mark.parametrize("pt", GRID_PARAMS)
def test_papcheck_matches_handbfs(pt: Point) -> None:
    p, h = papcheck(pt), handbfs(pt)
    assert p.verdict == verdict(h)
    if h.violated:
        assert p.depth == h.depth  # both BFS: a shortest counterexample
    else:
        assert (p.states, p.transitions) == (h.states, h.transitions)


@needs_handbfs
@pytest.mark.parametrize("pt", GRID_PARAMS)
def test_reduced_papcheck_matches_handbfs(pt: Point) -> None:
    """The reductions keep the verdict; symmetry alone also keeps the shortest counterexample's
    depth (a permutation of the enactors maps the initial state to itself, so every state of an
    orbit is as far from it).  POR may lengthen counterexamples, so only its verdict counts."""
    h = handbfs(pt)
    assert papcheck(pt, "default").verdict == verdict(h)
    if h.violated:
        sym = papcheck(pt, "symmetry")
        assert (sym.verdict, sym.depth) == ("violated", h.depth)


# ---------------------------------------------------------------- SPIN and Rumur


@pytest.mark.spin
@needs_spin
@pytest.mark.parametrize("pt", PEER_POINTS, ids=_id)
def test_papcheck_matches_spin(pt: Point) -> None:
    p, s = papcheck(pt), spin(pt)
    assert p.verdict == verdict(s)
    if not s.violated:
        assert (p.states, p.transitions) == (s.states, s.transitions)


@pytest.mark.rumur
@needs_rumur
@pytest.mark.parametrize("pt", PEER_POINTS, ids=_id)
def test_papcheck_matches_rumur(pt: Point) -> None:
    p, r = papcheck(pt), rumur(pt)
    assert p.verdict == verdict(r)
    if r.violated:
        assert p.depth == rumur_trace_depth(r)
    else:
        assert (p.states, p.transitions) == (r.states, r.transitions)


@pytest.mark.rumur
@needs_rumur
@pytest.mark.parametrize("pt", SYMMETRY_POINTS, ids=_id)
def test_papcheck_symmetry_matches_rumur_exhaustive(pt: Point) -> None:
    """Both keep exactly one state per orbit under permutations of the enactors."""
    p, r = papcheck(pt, "symmetry"), rumur(pt, "exhaustive")
    assert p.verdict == verdict(r)
    if r.violated:
        assert p.depth == rumur_trace_depth(r)
    else:
        assert (p.states, p.transitions) == (r.states, r.transitions)
        assert p.states < papcheck(pt).states  # the reduction did reduce


def test_peer_points_cover_the_grid() -> None:
    """Every parameter value, and each FIX both holding and violated where it can be."""
    for i, values in enumerate(((2, 3), (1, 2), (5, 6, 7), (1, 2, 3), (0, 1, 2))):
        assert {pt[i] for pt in PEER_POINTS} == set(values)
    seen = {(pt[4], papcheck(pt).verdict) for pt in PEER_POINTS}
    assert seen == {(0, "holds"), (0, "violated"), (1, "holds"), (2, "holds"), (2, "violated")}


# ---------------------------------------------------------------- the shipped incident specs


@pytest.mark.parametrize("path", sorted(TWIN_FIX), ids=lambda p: Path(p).name)
def test_incident_spec_is_its_twin(path: str) -> None:
    """Same verdict as reference_dns.pap with the twin FIX; same counts where it holds and the
    same shortest-counterexample depth where it does not."""
    pt = _twin_point(api.load(path), TWIN_FIX[path])
    own, twin = papcheck_spec(path), papcheck(pt)
    assert own.verdict == twin.verdict == ("violated" if pt[4] == 0 else "holds")
    if own.verdict == "holds":
        assert (own.states, own.transitions) == (twin.states, twin.transitions)
    else:
        assert own.depth == twin.depth


@needs_handbfs
@pytest.mark.parametrize("path", sorted(TWIN_FIX), ids=lambda p: Path(p).name)
def test_incident_spec_matches_handbfs(path: str) -> None:
    own, h = papcheck_spec(path), handbfs(_twin_point(api.load(path), TWIN_FIX[path]))
    assert own.verdict == verdict(h)
    if h.violated:
        assert own.depth == h.depth
    else:
        assert (own.states, own.transitions) == (h.states, h.transitions)


@pytest.mark.spin
@needs_spin
@pytest.mark.parametrize("path", sorted(TWIN_FIX), ids=lambda p: Path(p).name)
def test_incident_spec_matches_spin(path: str) -> None:
    own, s = papcheck_spec(path), spin(_twin_point(api.load(path), TWIN_FIX[path]))
    assert own.verdict == verdict(s)
    if not s.violated:
        assert (own.states, own.transitions) == (s.states, s.transitions)


@pytest.mark.rumur
@needs_rumur
@pytest.mark.parametrize("path", sorted(TWIN_FIX), ids=lambda p: Path(p).name)
def test_incident_spec_matches_rumur(path: str) -> None:
    own, r = papcheck_spec(path), rumur(_twin_point(api.load(path), TWIN_FIX[path]))
    assert own.verdict == verdict(r)
    if r.violated:
        assert own.depth == rumur_trace_depth(r)
    else:
        assert (own.states, own.transitions) == (r.states, r.transitions)
