"""Killing papcheck during `check --cross-check` leaves no peer running.

The peers (spin, the pan it builds, rumur, its verifier) are started with PR_SET_PDEATHSIG
(checker/crosscheck/peers.py), so the kernel kills them when papcheck dies, even by SIGKILL,
which no handler sees.  The spec here is tiny for papcheck's reduced search (symmetry and
partial order) but a million states for the peers and papcheck's unreduced count, so the peer's
verifier is still running when papcheck is killed.  Processes are told apart from any other on
the machine by their working directory (the cross-check's temporary directory, under TMPDIR).
A real verifier may also die of SIGPIPE when it next writes to papcheck's closed pipe, so a
second test puts a quiet stand-in for the peer first on PATH (a shell script named like it that
only waits): it survives papcheck unless the death signal kills it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
protocol Many
machine M[6] {
  var c: 0..9 = 0
  state s { on inc when c < 9 { c := c + 1 } }
}
invariant ok: true
"""

PEER_PROCESSES = {"spin": ("spin", "pan"), "rumur": ("rumur", "verifier")}


def _run_and_kill(tmp_path: Path, peer: str, wanted: str, env: dict[str, str]) -> dict[int, str]:
    """Start `papcheck check --cross-check peer`, SIGKILL it once a process named `wanted` runs
    in its temporary directory, and return the peer's processes still running 10 s later."""
    spec = tmp_path / "many.pap"
    spec.write_text(SPEC)
    work = tmp_path / "tmp"
    work.mkdir()
    env = {**env, "PYTHONPATH": str(ROOT), "TMPDIR": str(work)}
    proc = subprocess.Popen([sys.executable, "-c", "from checker.cli import main; main()", "check", str(spec),
                             "--cross-check", peer, "--no-timing"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if wanted in _procs_under(work).values():
                break
            time.sleep(0.005)
        else:
            pytest.fail(f"{wanted} was never seen running (papcheck exit {proc.poll()})")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        left: dict[int, str] = {}
        while time.monotonic() < deadline:
            left = {p: c for p, c in _procs_under(work).items() if c in PEER_PROCESSES[peer]}
            if not left:
                break
            time.sleep(0.05)
        return left
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        for pid in _procs_under(work):  # only what this test started (its own directory), by id
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _procs_under(tmp: Path) -> dict[int, str]:
    """pid -> command name of every process whose working directory is under tmp."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if cwd.startswith(str(tmp)):
            out[int(pid)] = comm
    return out


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")


@linux_only
@pytest.mark.parametrize("peer", ["spin", "rumur"])
def test_killing_papcheck_kills_the_peer(tmp_path: Path, peer: str) -> None:
    if shutil.which(peer) is None:
        pytest.skip(f"{peer} is not installed")
    left = _run_and_kill(tmp_path, peer, PEER_PROCESSES[peer][1], dict(os.environ))
    assert not left, f"still running after papcheck was killed: {left}"


@linux_only
@pytest.mark.parametrize("peer", ["spin", "rumur"])
def test_killing_papcheck_kills_a_quiet_peer(tmp_path: Path, peer: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / peer
    fake.write_text("#!/bin/sh\nsleep 60\n")  # never writes: only the death signal stops it early
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    left = _run_and_kill(tmp_path, peer, peer, env)
    assert not left, f"still running after papcheck was killed: {left}"
