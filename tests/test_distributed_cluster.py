"""`check --cluster ADDRESS` on a multi-node Ray cluster on one machine (ray.cluster_utils: a head
and two worker nodes): the command line joins it and gives the sequential search's JSON, byte for
byte.  About half a minute: starting three Ray nodes is the cost.  (SIGTERM, a killed driver and
sockets of `check --workers N`, which runs without Ray: tests/test_distributed_local.py.)"""

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
        # the workers run the Python engine (the JSON names it), so the sequential search does too
        seq = subprocess.run([sys.executable, "-m", "checker.cli", "check", *args, "--no-por", "--engine", "python"],
                             cwd=ROOT, env=env, text=True, capture_output=True, timeout=300)
        assert dist.returncode == seq.returncode == 0, dist.stderr[-2000:]
        assert dist.stdout == seq.stdout
    finally:
        cluster.shutdown()
