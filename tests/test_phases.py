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


# ------------------------------------------------------------------ counterexample minimization


def _violated() -> api.CheckResult:
    r = api.check(api.load(str(ROOT / "specs/dynamodb_dns.pap"), {"ENACTORS": 3}))
    assert r.verdict == "violated" and r.counterexample is not None
    return r


def test_minimization_reports_progress_as_a_phase() -> None:
    from checker.explain.minimize import compiled_actor, min_switch_path
    r = _violated()
    model = r.spec.model
    seen = []
    found = min_switch_path(model, lambda s: model.violated_invariant(s) >= 0, r.counterexample.length,
                            compiled_actor(model), progress=seen.append, progress_every=0.0)
    assert found is not None and seen
    assert all(s.phase == "minimization" for s in seen)
    assert [s.states for s in seen] == sorted(s.states for s in seen) and seen[-1].states > 0


def test_minimization_honours_the_deadline_and_keeps_the_trace() -> None:
    from checker.explain.minimize import minimize_result, switches
    r = _violated()
    before = [s.state for s in r.counterexample.steps]
    out = minimize_result(r, deadline=time.perf_counter() - 1)
    assert [m.note.split(" after ")[0] for m in out] == ["not minimized: stopped by --timeout"]
    assert [s.state for s in r.counterexample.steps] == before
    assert out[0].after == out[0].before == switches(r.counterexample) > 0
    assert r.verdict == "violated"  # the verdict stands


def test_minimization_interrupted_keeps_every_trace() -> None:
    from checker.explain.minimize import minimize_result

    def ctrl_c(stats) -> None:
        raise KeyboardInterrupt

    r = api.check(api.load(str(ROOT / "specs/dynamodb_dns.pap"), {"ENACTORS": 3}), keep_going=True)
    traced = [p.name for p in r.properties if p.trace is not None]
    before = {p.name: [s.state for s in p.trace.steps] for p in r.properties if p.trace is not None}
    # progress_every=0: the first progress report (at 64 states) is the Ctrl-C, however fast the machine
    out = minimize_result(r, include_witnesses=True, progress=ctrl_c, progress_every=0.0)
    stopped = [m for m in out if m.before > 0]
    assert stopped and all(m.note == "not minimized: interrupted (Ctrl-C)" for m in stopped), out
    assert {p.name: [s.state for s in p.trace.steps] for p in r.properties if p.trace is not None} == before
    assert traced


def test_minimization_past_its_deadline_keeps_the_traces_and_says_so() -> None:
    """What `check --explain --timeout` leaves the minimization: a deadline already past."""
    from checker.explain.minimize import minimize_result
    r = api.check(api.load(str(ROOT / "specs/dynamodb_dns.pap"), {"ENACTORS": 3}))
    before = [s.state for s in r.counterexample.steps]
    out = minimize_result(r, deadline=time.perf_counter())
    assert [m.note.startswith("not minimized: stopped by --timeout after ") for m in out if m.before > 0] == [True]
    assert [s.state for s in r.counterexample.steps] == before


def test_check_explain_with_a_timeout_ends_cleanly() -> None:
    """`check --explain --timeout`: the run stops (the search or the minimization, whichever the
    deadline meets) without hanging or a traceback, and says what it could not finish."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "checker.cli", "check", "specs/dynamodb_dns.pap", "-D", "ENACTORS=3",
                        "--explain", "--timeout", "0.001", "--no-timing", "--engine", "python"],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    assert "Traceback" not in p.stderr
    if p.returncode == 1:  # the search found the violation before the deadline
        assert "not minimized: stopped by --timeout" in p.stdout, p.stdout
    else:  # the search itself was stopped: incomplete, nothing to minimize
        assert p.returncode == 4, p.stdout + p.stderr
        assert "INCOMPLETE" in p.stdout, p.stdout
