"""`check --cluster ADDRESS` on a multi-node Ray cluster on one machine (ray.cluster_utils: a head
and two worker nodes): the command line joins it and gives the sequential search's JSON, byte for
byte.  About half a minute: starting three Ray nodes is the cost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_cluster_of_three_nodes_gives_the_sequential_result() -> None:
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        args = ["specs/reference_dns.pap", "-D", "ENACTORS=3", "--format", "json", "--no-timing", "-q"]
        dist = subprocess.run([sys.executable, "-m", "checker.cli", "check", *args, "--cluster", cluster.address],
                              cwd=ROOT, env=env, text=True, capture_output=True, timeout=300)
        seq = subprocess.run([sys.executable, "-m", "checker.cli", "check", *args, "--no-por"],
                             cwd=ROOT, env=env, text=True, capture_output=True, timeout=300)
        assert dist.returncode == seq.returncode == 0, dist.stderr[-2000:]
        assert dist.stdout == seq.stdout
    finally:
        cluster.shutdown()


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _owners(driver: int) -> list[int]:
    """The search workers of the papcheck process `driver` (its raylet's children)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "cmdline").read_bytes().startswith(b"ray::Owner") and \
                        driver in (_ppid(int(d.name)), _ppid(_ppid(int(d.name)))):
                    out.append(int(d.name))
            except (OSError, ValueError, IndexError):
                pass
    return out


@pytest.mark.slow
def test_sigterm_stops_a_distributed_search_with_partial_figures_and_exit_4() -> None:
    import json
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "checker.cli", "check", "specs/reference_dns.pap", "-D", "ENACTORS=5",
                          "-D", "PLANS=8", "--no-symmetry", "--workers", "2", "--format", "json", "--no-timing"],
                         cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 120
        workers: list[int] = []
        while not workers and time.monotonic() < end and p.poll() is None:
            time.sleep(0.2)
            workers = _owners(p.pid)
        time.sleep(3)  # a few levels
        assert p.poll() is None
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 4, err[-2000:]
    d = json.loads(out)
    assert d["verdict"] == "incomplete" and d["stop_reason"] == "terminated" and d["stats"]["states"] > 0
    assert "Traceback" not in err
    time.sleep(2)
    assert workers and not any(Path(f"/proc/{w}").exists() for w in workers)  # the workers were shut down
