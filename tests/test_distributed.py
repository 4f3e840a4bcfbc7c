"""The Ray backend (`check --cluster`) against the sequential search (the oracle): same verdict, depth,
trace lengths, and (for a spec that holds) byte-identical JSON, with symmetry and both stores;
byte-identical output across 1, 2 and 3 workers and across workers' PYTHONHASHSEEDs; a worker
killed mid-run ends the search as incomplete with partial figures.  One local Ray per module."""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from checker import api
from checker.views import report

ray = pytest.importorskip("ray")

from checker.engine.distributed.search import Cluster, pid_of_workers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(p.name for p in (ROOT / "specs").glob("*.pap"))


_CLUSTERS: dict[int, Cluster] = {}  # one set of workers per worker count, reused across tests


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(address="local", num_cpus=3, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, configure_logging=False)
    yield
    for c in _CLUSTERS.values():
        c.close()
    _CLUSTERS.clear()
    ray.shutdown()


def _factory(spec: api.Spec):
    return functools.partial(api.distributed_parts, spec.checked.source.text, spec.path, dict(spec.constants))


def _cluster(spec: api.Spec, n: int) -> Cluster:
    return Cluster(_factory(spec), n).__enter__()


def _run(spec: api.Spec, n: int, **kw) -> api.CheckResult:
    c = _CLUSTERS.get(n)
    if c is None:
        c = _CLUSTERS[n] = _cluster(spec, n)
    c.factory = _factory(spec)
    return api.check(spec, por=False, engine=c, **kw)


def _lengths(r: api.CheckResult) -> dict:
    return {p.name: (p.status, p.trace.length if p.trace else None) for p in r.properties}


def _compare(spec: api.Spec, workers: tuple[int, ...], **kw) -> None:
    seq = api.check(spec, por=False, **kw)
    outs = []
    for n in workers:
        r = _run(spec, n, **kw)
        assert r.verdict == seq.verdict and _lengths(r) == _lengths(seq)
        assert (r.model_error is None) == (seq.model_error is None)
        if seq.verdict == "holds":
            assert (r.stats.states, r.stats.transitions, r.stats.depth) == \
                (seq.stats.states, seq.stats.transitions, seq.stats.depth)
            assert report.render_json(r, timing=False) == report.render_json(seq, timing=False)
        else:  # the sequential search stops inside the violating level, the distributed one after it
            assert r.stats.depth == seq.stats.depth and r.stats.states >= seq.stats.states
        outs.append((report.render_json(r, timing=False), report.render_text(r)))
    assert all(o == outs[0] for o in outs)


@pytest.mark.parametrize("name", SPECS)
def test_shipped_specs_with_2_and_3_workers(name: str) -> None:
    _compare(api.load(str(ROOT / "specs" / name)), (2, 3))


@pytest.mark.parametrize("consts,kw", [
    ({"ENACTORS": 3, "PLANS": 6, "FIX": 1}, {}),
    ({"ENACTORS": 3, "PLANS": 6, "FIX": 1}, {"symmetry": False, "store": "fingerprint"}),
    ({"ENACTORS": 3, "PLANS": 6, "FIX": 0}, {"store": "fingerprint"}),
    ({"ENACTORS": 2, "PLANS": 6, "FIX": 2}, {}),
    ({"ENACTORS": 3, "PLANS": 5, "FIX": 2, "ENDPOINTS": 2}, {"symmetry": False}),
])
def test_reference_grid_with_1_2_3_workers(consts, kw) -> None:
    _compare(api.load(str(ROOT / "specs/reference_dns.pap"), consts), (1, 2, 3), **kw)


@pytest.mark.parametrize("invariant", ["", "invariant low: level < 4", "invariant start: level != 2"])
def test_several_initial_states_are_seeded(tmp_path: Path, invariant: str) -> None:
    # `var x: T in D`: every initial state is a root of the distributed search (the last
    # invariant fails in some of them: a 0-step counterexample)
    p = tmp_path / "start.pap"
    p.write_text("protocol Start\ntype Mode = enum { idle, busy }\nvar mode: Mode in any\n"
                 "var level: 0..4 in 1..3\nvar marks: set[0..2] in any\n"
                 "machine W[2] {\n  var seen: bool in any\n  state run {\n"
                 "    on step when level < 4 { level := level + 1; seen := not seen }\n"
                 "    on mark(k in 0..2) when k not in marks and seen { marks.add(k) }\n  }\n}\n" + invariant + "\n")
    spec = api.load(str(p))
    assert len(spec.model.initial_states()) == 2 * 3 * 8 * 4
    _compare(spec, (1, 2))


def test_max_states_stores_exactly_the_limit() -> None:
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 3, "PLANS": 6, "FIX": 1})
    for limit in (7, 1001):
        for n in (2, 3):
            r = _run(spec, n, symmetry=False, limits=api.Limits(max_states=limit))
            assert r.verdict == "incomplete" and r.stop_reason == "max_states" and r.stats.states == limit


def test_workers_under_different_hash_seeds(monkeypatch) -> None:
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 3, "PLANS": 6, "FIX": 2})
    plain = report.render_json(_run(spec, 2), timing=False)
    monkeypatch.setenv("PAPCHECK_RAY_HASHSEEDS", "1")
    c = _cluster(spec, 2)  # new workers, started with PYTHONHASHSEED 1 and 2
    try:
        assert report.render_json(api.check(spec, por=False, engine=c), timing=False) == plain
    finally:
        c.close()


def test_a_killed_worker_ends_the_search_incomplete() -> None:
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 5, "PLANS": 8, "FIX": 1})
    c = _cluster(spec, 2)
    killed: list[int] = []

    def kill_one() -> None:
        deadline = time.monotonic() + 60
        while not c.owners and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(3)
        pid = pid_of_workers(c)[1]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    t = threading.Thread(target=kill_one)
    t.start()
    try:
        r = api.check(spec, por=False, symmetry=False, engine=c)
    finally:
        t.join()
        c.close()
    assert killed
    assert r.verdict == "incomplete" and r.stop_reason == "worker_lost" and r.stats.states > 0
    assert c.lost
    assert "a search worker was lost" in report.render_text(r)
