"""`papcheck simulate`: random walks find the incident with a fixed seed, the trace replays, the
output is reproducible (any PYTHONHASHSEED), and the coverage figures add up against the
exhaustive search (the oracle)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from checker import api
from checker.engine.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
INCIDENT = "specs/dynamodb_dns.pap"


def _cli(*args: str, hashseed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hashseed}
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=120)


def test_simulate_finds_the_incident_and_the_trace_replays(tmp_path: Path) -> None:
    walk = tmp_path / "walk.itf.json"
    p = _cli("simulate", INCIDENT, "--seed", "3", "--trace-out", str(walk), "--no-timing")
    assert p.returncode == 1, p.stderr
    assert "VIOLATED: invariant endpoint_has_ips" in p.stdout and "not necessarily a shortest" in p.stdout
    assert json.loads(walk.read_text())["#meta"]["description"].count("not necessarily a shortest") == 1
    r = _cli("replay", INCIDENT, str(walk), "--check")
    assert r.returncode == 0 and "a legal behaviour of the spec" in r.stdout, r.stdout + r.stderr
    assert "violates invariant endpoint_has_ips" in r.stdout


def test_simulate_is_reproducible_across_hash_seeds() -> None:
    args = ("simulate", INCIDENT, "--seed", "11", "--format", "json", "--no-timing")
    a, b = _cli(*args, hashseed="1"), _cli(*args, hashseed="987")
    assert a.returncode == b.returncode == 1
    assert a.stdout == b.stdout
    c = _cli("simulate", INCIDENT, "--seed", "12", "--format", "json", "--no-timing")
    assert c.stdout != a.stdout  # another seed, other walks


def test_the_violation_is_real_and_no_shorter_than_the_shortest() -> None:
    spec = api.load(str(ROOT / INCIDENT))
    shortest = api.check(spec).properties[0].trace.length
    model = spec.model
    for seed in range(5):
        sim = simulate(model, seed=seed)
        assert sim.finding is not None and sim.finding.kind == "invariant"
        assert len(sim.path) - 1 >= shortest and sim.path[0] in model.initial_states()
        for s, lab, t in zip(sim.path, sim.labels, sim.path[1:]):
            assert (lab, t) in model.labeled_successors(s)
        assert model.violated_invariant(sim.path[-1]) == sim.finding.prop
        assert all(model.violated_invariant(s) < 0 for s in sim.path[:-1])


def test_coverage_on_a_spec_that_holds() -> None:
    spec = api.load(str(ROOT / "specs/dynamodb_dns_cas.pap"))
    exhaustive = api.check(spec, por=False, symmetry=False)
    assert exhaustive.verdict == "holds"
    sim = simulate(spec.model, runs=300, depth=60, seed=1)
    assert sim.finding is None and sim.stop_reason == "done" and sim.walks == 300
    assert sum(sim.fired) == sim.steps > 0
    assert 1 < sim.distinct <= exhaustive.stats.states
    p = _cli("simulate", "specs/dynamodb_dns_cas.pap", "--runs", "50", "--no-timing")
    assert p.returncode == 0 and "no violation found" in p.stdout and "prove nothing" in p.stdout
    assert "transitions fired:" in p.stdout and "never fired:" in p.stdout


def test_never_fired_and_walk_split() -> None:
    spec = api.load(str(ROOT / "specs/dynamodb_dns_cas.pap"))
    short = simulate(spec.model, runs=5, depth=1, seed=2)
    assert short.steps == 5 and len(short.never_fired) >= len(short.fired) - 5
    # walkers split between processes do exactly what one process does
    whole = simulate(spec.model, runs=40, depth=30, seed=4)
    parts = [simulate(spec.model, runs=40, depth=30, seed=4, walk_range=range(a, b)) for a, b in ((0, 13), (13, 40))]
    assert [sum(x) for x in zip(*(p.fired for p in parts))] == whole.fired


def test_simulate_bad_input() -> None:
    p = _cli("simulate", INCIDENT, "--runs", "0")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = _cli("simulate", "no/such.pap")
    assert p.returncode in (2, 3) and "Traceback" not in p.stderr
