"""Whole-run figures by phase (issue 17, item 1), compared with what the operating system
measures for the same process: its wall time and its peak resident memory (wait4's rusage)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker import api
from checker.analysis.liveness import build_graph
from checker.engine.explore import Limits

ROOT = Path(__file__).resolve().parents[1]


TIME = "/usr/bin/time"


def run_measured(args: list[str], tmp: Path) -> tuple[dict, float, int]:
    """Run papcheck under /usr/bin/time (a small parent, so the child's ru_maxrss is its own);
    return its JSON, the wall seconds and the peak RSS (KiB) the OS measured."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    p = subprocess.run([TIME, "-f", "%M", "-o", str(tmp / "rss"), sys.executable, "-m", "checker.cli", *args],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    return json.loads(p.stdout), wall, int((tmp / "rss").read_text().split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux") or not os.path.exists(TIME),
                    reason="GNU time and /proc: Linux")
def test_figures_match_the_os(tmp_path: Path) -> None:
    d, wall, rss = run_measured(["check", "specs/dynamodb_dns_recovery.pap", "--format", "json",
                                 "-D", "PLANS=7"], tmp_path)
    run = d["stats"]["run"]
    names = [p["name"] for p in run["phases"]]
    assert names == ["load", "safety search", "liveness graph"]
    # the reported peak is the OS's figure, read just before the report was written
    assert run["peak_memory_kb"] <= rss <= run["peak_memory_kb"] * 1.05 + 2048, (run, rss)
    # the whole run, interpreter start-up included: at most the wall time around the child
    assert run["wall_seconds"] <= wall
    # (the rest is fork, exit and a loaded machine: the old figure, the search alone, was ~10x off)
    assert run["wall_seconds"] >= 0.5 * wall, (run, wall)
    assert sum(p["seconds"] for p in run["phases"]) <= run["wall_seconds"]
    # the liveness graph is the big phase here: it raised the peak to the process's peak
    live = run["phases"][2]
    assert live["raised_peak"] and live["peak_memory_kb"] >= 0.95 * run["peak_memory_kb"], run
    assert run["phases"][1]["peak_memory_kb"] < live["peak_memory_kb"]


def test_text_figures_on_stderr() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "checker.cli", "check", "specs/dynamodb_dns_recovery.pap"],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    lines = p.stderr.splitlines()
    assert lines[0].startswith("papcheck: ") and "(the whole run" in lines[0]
    assert [l.split()[0] for l in lines[1:]] == ["start-up", "load", "safety", "liveness"]
    assert "states, " in lines[-1] and "transitions" in lines[-1]


def test_liveness_graph_reports_progress_and_honours_limits() -> None:
    spec = api.load(str(ROOT / "specs/dynamodb_dns_recovery.pap"))
    seen = []
    g = build_graph(spec.model, progress=seen.append, progress_every=0.0)
    assert seen and all(s.phase == "liveness graph" for s in seen)
    assert seen[-1].states <= len(g) and g.complete
    cut = build_graph(spec.model, Limits(max_states=1000))
    assert not cut.complete and cut.stop_reason == "max_states" and len(cut) <= 1000 + 64
    result = api.check(spec, limits=Limits(max_states=1000))
    assert result.verdict == "incomplete"
    assert result.prop("healthy").status == "unknown"
    assert "--max-states" in result.prop("healthy").reason
