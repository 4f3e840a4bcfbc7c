"""papcheck's liveness verdicts agree with SPIN's LTL claims, with and without weak fairness.

models/liveness_dns.pml and models/liveness_dns.pap are twins: the reference DNS protocol plus
optional sources of cycles (a Noise process that can starve everybody, Enactors that may give up
after picking a plan).  For each variant and each of three properties

    papcheck                                          SPIN
    eventually newest: applied == PLANS               ltl newest    { <> (applied == G) }
    always_eventually all_idle: every Enactor idle    ltl all_idle  { []<> ALL_IDLE }
    leads_to published: latest == PLANS ~> applied == PLANS
                                                      ltl published { [] (latest == G -> <> applied == G) }

the verdict of `pan -a -f -N claim` (weak fairness, every process) equals papcheck's on the spec
with every machine `fair`, and the verdict of `pan -a -N claim` equals papcheck's with `fair`
removed.  The twins also have the same number of states (pan with -DSAFETY -DNOCLAIM -DNOREDUCE,
spin -o2), so they describe the same graph.

pan's fairness is per process, papcheck's per transition instance.  On these models the two
agree: within a cycle a process's transitions exclude each other (guards on its phase), so a
process is continuously enabled exactly when one of its transitions is.  The grid was chosen so
that fairness changes the verdict (NOISE), does not help (RETRY: the giving-up Enactor's apply is
disabled whenever it is idle, so weak fairness does not force it) and is irrelevant (acyclic).

The second half does the same for SPIN's non-progress cycles: models/progress_dns.pml puts a
`progress` label on the location an Enactor reaches by applying a plan, models/progress_dns.pap
has `always_eventually progress: exists i in Enactor: Enactor[i] at applied` on the same
location, and `pan -l` (compiled with -DNP) with and without -f must agree with papcheck with and
without `fair`.

Cost: per point, spin and two C compiles at -O0 (about 1 s each unloaded); pan runs take
milliseconds.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker import api
from checker.analysis.liveness import check_liveness

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import peers  # noqa: E402

PML = ROOT / "models" / "liveness_dns.pml"
PAP = ROOT / "models" / "liveness_dns.pap"
CLAIMS = ("newest", "all_idle", "published")

pytestmark = [pytest.mark.spin,
              pytest.mark.skipif(not peers.peer_available("spin"), reason="spin or a C compiler not installed")]

# (NE, NP, G, K, FIX, NOISE, RETRY)
POINTS = [
    (2, 1, 5, 2, 1, 0, 0),  # acyclic: everything holds, fairness or not
    (2, 1, 5, 2, 1, 1, 0),  # noise: violated without fairness, holds with it
    (2, 1, 5, 2, 1, 0, 1),  # give up and retry: violated even under weak fairness
    (2, 1, 5, 2, 1, 1, 1),
    pytest.param((2, 2, 6, 2, 0, 1, 0), marks=pytest.mark.slow),  # the incident's protocol
]
NAMES = ("NE", "NP", "G", "K", "FIX", "NOISE", "RETRY")
CONSTANTS = ("ENACTORS", "ENDPOINTS", "PLANS", "PURGE_AGE", "FIX", "NOISE", "RETRY")


def _id(pt) -> str:
    return "-".join(f"{n}{v}" for n, v in zip(NAMES, pt))


def _run(cmd: list[str], cwd: Path) -> str:
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 or cmd[0] == "./pan", f"{' '.join(cmd)}:\n{p.stdout}{p.stderr}"
    return p.stdout + p.stderr


def spin_results(pt, workdir: Path) -> tuple[int, dict[tuple[str, bool], bool]]:
    """(states of the twin, {(claim, fair): violated}) from pan."""
    shutil.copyfile(PML, workdir / "model.pml")
    defs = [f"-D{n}={v}" for n, v in zip(NAMES, pt)]
    cc = peers._c_compiler()
    _run(["spin", "-o2", *defs, "-a", "model.pml"], workdir)
    # -O0: these state spaces are tiny, the C compile is what costs
    _run([cc, "-O0", "-DSAFETY", "-DNOCLAIM", "-DNOREDUCE", "-o", "pan_states", "pan.c"], workdir)
    _run([cc, "-O0", "-DNOREDUCE", "-o", "pan", "pan.c"], workdir)
    out = _run(["./pan_states", "-m1000000"], workdir)
    states = int(re.search(r"^\s*(\d+) states, stored", out, re.M).group(1))
    verdicts = {}
    for claim in CLAIMS:
        for fair in (False, True):
            out = _run(["./pan", "-a", *(["-f"] if fair else []), "-N", claim, "-m1000000"], workdir)
            assert "max search depth too small" not in out, out
            errors = int(re.search(r"errors: (\d+)", out).group(1))
            assert ("acceptance cycle" in out) == (errors > 0), out
            verdicts[(claim, fair)] = errors > 0
    return states, verdicts


def papcheck_results(pt) -> tuple[int, dict[tuple[str, bool], bool]]:
    constants = dict(zip(CONSTANTS, pt))
    text = PAP.read_text(encoding="utf-8")
    verdicts = {}
    states = set()
    for fair in (False, True):
        spec = api.load_text(text if fair else text.replace("fair machine", "machine"), str(PAP), constants)
        out = check_liveness(spec.model)
        assert out.complete
        states.add(out.states)
        for claim in CLAIMS:
            v = out.verdicts[claim]
            assert v.status in ("holds", "violated")
            verdicts[(claim, fair)] = v.status == "violated"
    assert len(states) == 1
    return states.pop(), verdicts


@pytest.mark.parametrize("pt", POINTS, ids=_id)
def test_liveness_verdicts_agree_with_spin(pt, tmp_path: Path) -> None:
    spin_states, spin = spin_results(pt, tmp_path)
    pap_states, pap = papcheck_results(pt)
    assert pap_states == spin_states
    assert pap == spin


def test_the_grid_exercises_fairness(tmp_path: Path) -> None:
    """The NOISE point is the one where weak fairness flips every verdict: the cross-check above
    would not notice a papcheck that ignored `fair` unless such a point is in the grid."""
    _, pap = papcheck_results((2, 1, 5, 2, 1, 1, 0))
    assert all(pap[(c, False)] and not pap[(c, True)] for c in CLAIMS)
    _, pap = papcheck_results((2, 1, 5, 2, 1, 0, 1))
    assert all(pap[(c, False)] and pap[(c, True)] for c in CLAIMS)


# ------------------------------------------------------------------ non-progress cycles (pan -l)

NP_PML = ROOT / "models" / "progress_dns.pml"
NP_PAP = ROOT / "models" / "progress_dns.pap"
# (NOISE, RETRY) with two Enactors: no cycle; noise (fairness breaks it); give up (it does not); both
NP_POINTS = [(0, 0), (1, 0), (0, 1), (1, 1)]


def spin_np_results(pt, workdir: Path) -> tuple[int, dict[bool, bool]]:
    """(states of the twin, {fair: pan -l found a non-progress cycle})."""
    shutil.copyfile(NP_PML, workdir / "model.pml")
    noise, retry = pt
    cc = peers._c_compiler()
    _run(["spin", "-DNE=2", f"-DNOISE={noise}", f"-DRETRY={retry}", "-a", "model.pml"], workdir)
    _run([cc, "-O0", "-DSAFETY", "-DNOCLAIM", "-DNOREDUCE", "-o", "pan_states", "pan.c"], workdir)
    _run([cc, "-O0", "-DNP", "-DNOREDUCE", "-o", "pan", "pan.c"], workdir)
    out = _run(["./pan_states"], workdir)
    states = int(re.search(r"^\s*(\d+) states, stored", out, re.M).group(1))
    verdicts = {}
    for fair in (False, True):
        out = _run(["./pan", "-l", *(["-f"] if fair else [])], workdir)
        errors = int(re.search(r"errors: (\d+)", out).group(1))
        assert ("non-progress cycle (at depth" in out) == (errors > 0), out
        verdicts[fair] = errors > 0
    return states, verdicts


def papcheck_np_results(pt) -> tuple[int, dict[bool, bool]]:
    noise, retry = pt
    text = NP_PAP.read_text(encoding="utf-8")
    verdicts, states = {}, set()
    for fair in (False, True):
        spec = api.load_text(text if fair else text.replace("fair machine", "machine"), str(NP_PAP),
                             {"ENACTORS": 2, "NOISE": noise, "RETRY": retry})
        out = check_liveness(spec.model)
        assert out.complete
        states.add(out.states)
        v = out.verdicts["progress"]
        assert v.status in ("holds", "violated")
        verdicts[fair] = v.status == "violated"
    assert len(states) == 1
    return states.pop(), verdicts


@pytest.mark.parametrize("pt", NP_POINTS, ids=lambda pt: f"NOISE{pt[0]}-RETRY{pt[1]}")
def test_always_eventually_agrees_with_non_progress_cycles(pt, tmp_path: Path) -> None:
    spin_states, spin = spin_np_results(pt, tmp_path)
    pap_states, pap = papcheck_np_results(pt)
    assert pap_states == spin_states
    assert pap == spin


def test_the_progress_grid_exercises_fairness() -> None:
    """Each verdict pattern occurs once: holds, fairness matters, violated regardless."""
    assert {pt: tuple(papcheck_np_results(pt)[1][f] for f in (False, True)) for pt in NP_POINTS} == {
        (0, 0): (False, False), (1, 0): (True, False), (0, 1): (True, True), (1, 1): (True, True)}
