"""Long runs meet faults: SIGTERM (what a CI job's timeout sends) ends a search with its partial
figures and exit 4, never silently."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIG = [str(ROOT / "specs" / "reference_dns.pap"), "-D", "ENACTORS=5", "-D", "PLANS=8", "-D", "FIX=1",
       "--no-por", "--no-symmetry"]  # tens of millions of states: never finishes within the test


def _start(*extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "checker.cli", "check", *BIG, *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _searching(p: subprocess.Popen[str], cpu_seconds: float = 1.5, wait: float = 60.0) -> None:
    """Wait until the child has used some CPU time (parsing and compiling take well under a second)."""
    ticks = os.sysconf("SC_CLK_TCK")
    end = time.monotonic() + wait
    while time.monotonic() < end:
        fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        if (int(fields[11]) + int(fields[12])) / ticks >= cpu_seconds:
            return
        time.sleep(0.1)
    pytest.fail("the search did not start")


@pytest.mark.slow
def test_sigterm_ends_the_search_with_partial_figures_and_exit_4() -> None:
    p = _start("--format", "json", "--no-timing")
    _searching(p)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 4, err
    result = json.loads(out)
    assert result["verdict"] == "incomplete" and result["stop_reason"] == "terminated"
    assert result["stats"]["states"] > 1000
    assert "Traceback" not in err


@pytest.mark.slow
def test_sigterm_in_text_mode_says_so() -> None:
    p = _start("-q")
    _searching(p)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 4, err
    assert "terminated by SIGTERM" in out and "Traceback" not in err


@pytest.mark.slow
def test_sigterm_during_a_cross_checked_run_does_not_start_the_peer() -> None:
    """The cross-check runs a second, unreduced search and a peer after the check: a run stopped by
    SIGTERM (a CI timeout sends one, once) must not go on into them."""
    if shutil.which("spin") is None or shutil.which("gcc") is None:
        pytest.skip("needs spin and gcc")
    p = _start("--cross-check", "spin", "--format", "json", "--no-timing")
    _searching(p)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 4, err
    assert json.loads(out)["stop_reason"] == "terminated" and "cross-check skipped" in err
