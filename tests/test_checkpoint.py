"""`check --checkpoint DIR / --resume DIR`: a search stopped at any level boundary (crash, SIGKILL,
SIGTERM) and resumed gives exactly the result of an uninterrupted run, with both stores and with
and without reductions; a checkpoint of another spec, other constants or settings is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker import api
from checker.engine.checkpoint import Checkpointer, CheckpointMismatch
from checker.views import report

ROOT = Path(__file__).resolve().parent.parent
MEDIUM = ["specs/reference_dns.pap", "-D", "ENACTORS=3", "-D", "PLANS=8", "--no-por", "--no-symmetry"]


def _identity(spec: api.Spec, **settings) -> dict:
    return {"source": spec.checked.source.text, "constants": dict(spec.constants), "settings": settings}


class _Crash(Checkpointer):
    """Dies (as a Ctrl-C would) right after its `after`-th save."""

    def __init__(self, *a, after: int, **kw) -> None:
        super().__init__(*a, **kw)
        self.after = after

    def save(self, snap) -> None:
        super().save(snap)
        if self.saves == self.after:
            raise KeyboardInterrupt


def _json(r: api.CheckResult) -> str:
    return report.render_json(r, timing=False)


@pytest.mark.parametrize("path,consts,kw", [
    ("specs/reference_dns.pap", {"ENACTORS": 3, "PLANS": 6}, {"por": False, "symmetry": False}),
    ("specs/reference_dns.pap", {"ENACTORS": 3, "PLANS": 6}, {}),  # POR and symmetry on
    ("specs/reference_dns.pap", {"ENACTORS": 3, "PLANS": 6}, {"store": "fingerprint"}),
    ("specs/reference_dns.pap", {"ENACTORS": 3, "PLANS": 6, "FIX": 0}, {"store": "fingerprint"}),
    # without POR the fingerprint store is the level store (two arrays)
    ("specs/reference_dns.pap", {"ENACTORS": 3, "PLANS": 6}, {"store": "fingerprint", "por": False}),
    ("specs/reference_dns.pap", {"ENACTORS": 3, "PLANS": 6, "FIX": 0}, {"store": "fingerprint", "por": False,
                                                                       "symmetry": False}),
    ("specs/dynamodb_dns.pap", {}, {}),  # the incident: a violation after the resume
    ("specs/dynamodb_dns.pap", {}, {"keep_going": True, "por": False}),
])
@pytest.mark.parametrize("after", [1, 4])
def test_resume_after_a_crash_equals_an_uninterrupted_run(tmp_path: Path, path, consts, kw, after) -> None:
    spec = api.load(str(ROOT / path), consts)
    whole = api.check(spec, **kw)
    ident = _identity(spec, **kw)
    crashed = api.check(spec, checkpoint=_Crash(str(tmp_path), 0, ident, after=after), **kw)
    assert crashed.verdict == "incomplete" and crashed.stats.states < whole.stats.states
    resumed = api.check(spec, checkpoint=Checkpointer(str(tmp_path), 0, ident, resume=True), **kw)
    assert _json(resumed) == _json(whole)


def test_another_spec_or_constants_is_refused(tmp_path: Path) -> None:
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 2})
    api.check(spec, checkpoint=Checkpointer(str(tmp_path), 0, _identity(spec)))
    other = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 3})
    with pytest.raises(CheckpointMismatch, match="the constants"):
        Checkpointer(str(tmp_path), 0, _identity(other), resume=True)
    fine = api.load(str(ROOT / "specs/reference_dns_fine.pap"), {"ENACTORS": 2})
    with pytest.raises(CheckpointMismatch, match="the spec text"):
        Checkpointer(str(tmp_path), 0, _identity(fine), resume=True)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], cwd=ROOT, env=_env(), text=True,
                          capture_output=True, timeout=300)


def _level(d: Path) -> int:
    try:
        return json.loads((d / "checkpoint.json").read_text())["level"]
    except (OSError, ValueError):
        return -1


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_kill_mid_run_then_resume_gives_the_same_json(tmp_path: Path, sig: int) -> None:
    # a checkpointed search runs in the Python engine (the C one takes no checkpoints) and the
    # report names the engine that ran: the uninterrupted run it is compared with is a Python one
    whole = _cli("check", *MEDIUM, "--engine", "python", "--format", "json", "--no-timing", "-q")
    assert whole.returncode == 0, whole.stderr
    assert json.loads(whole.stdout)["engine"] == "python"
    ck = tmp_path / "ck"
    p = subprocess.Popen([sys.executable, "-m", "checker.cli", "check", *MEDIUM, "--checkpoint", str(ck),
                          "--checkpoint-every", "0", "--format", "json", "--no-timing"], cwd=ROOT, env=_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 120
    while _level(ck) < 12 and time.monotonic() < end and p.poll() is None:
        time.sleep(0.02)
    assert p.poll() is None, "the search ended before it could be killed"
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    if sig == signal.SIGTERM:
        assert p.returncode == 4 and json.loads(out)["stop_reason"] == "terminated"
        assert f"continue with --resume {ck}" in err
    else:
        assert p.returncode == -signal.SIGKILL
    assert 12 <= _level(ck) < 33
    resumed = _cli("check", *MEDIUM, "--resume", str(ck), "--format", "json", "--no-timing")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == whole.stdout
    assert "resumed at level" in resumed.stderr


def test_resume_usage_errors(tmp_path: Path) -> None:
    p = _cli("check", "specs/dynamodb_dns.pap", "--resume", str(tmp_path / "none"))
    assert p.returncode == 2 and "no checkpoint there" in p.stderr
    p = _cli("check", "specs/dynamodb_dns.pap", "--checkpoint", str(tmp_path), "--strategy", "dfs")
    assert p.returncode == 2 and "breadth-first" in p.stderr
    ck = tmp_path / "ck"
    assert _cli("check", "specs/reference_dns.pap", "--checkpoint", str(ck), "--checkpoint-every", "0",
                "-q").returncode == 0
    p = _cli("check", "specs/reference_dns.pap", "-D", "PLANS=5", "--resume", str(ck))
    assert p.returncode == 2 and "another search" in p.stderr and "Traceback" not in p.stderr
