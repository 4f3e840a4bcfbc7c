"""The local backend of the partitioned search (`check --workers N`: worker processes, no Ray)
against the sequential search (the oracle): same verdict, depth, trace lengths, and for a spec
that holds byte-identical JSON, with symmetry and both stores; byte-identical output across 1, 2
and 3 workers and across workers' PYTHONHASHSEEDs.  Faults and safety: a killed worker ends the
search incomplete; SIGTERM gives exit 4 with partial figures; the workers die with the driver,
even a SIGKILLed one; no process of the tree listens on anything but loopback."""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from checker import api
from checker.engine.distributed.local import LocalPool
from checker.views import report

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(p.name for p in (ROOT / "specs").glob("*.pap"))
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

_POOLS: dict[int, LocalPool] = {}  # one set of workers per worker count, reused across tests


@pytest.fixture(scope="module", autouse=True)
def _close_pools():
    yield
    for p in _POOLS.values():
        p.close()
    _POOLS.clear()


def _factory(spec: api.Spec):
    return functools.partial(api.distributed_parts, spec.checked.source.text, spec.path, dict(spec.constants))


def _run(spec: api.Spec, n: int, **kw) -> api.CheckResult:
    pool = _POOLS.get(n)
    if pool is None:
        pool = _POOLS[n] = LocalPool(_factory(spec), n)
    pool.factory = _factory(spec)
    return api.check(spec, por=False, engine=pool, **kw)


def _lengths(r: api.CheckResult) -> dict:
    return {p.name: (p.status, p.trace.length if p.trace else None) for p in r.properties}


def _compare(spec: api.Spec, workers: tuple[int, ...], **kw) -> None:
    seq = api.check(spec, por=False, **kw)
    outs = []
    for n in workers:
        r = _run(spec, n, **kw)
        assert r.verdict == seq.verdict and _lengths(r) == _lengths(seq), n
        assert (r.model_error is None) == (seq.model_error is None)
        if seq.verdict == "holds":
            assert (r.stats.states, r.stats.transitions, r.stats.depth) == \
                (seq.stats.states, seq.stats.transitions, seq.stats.depth)
            assert report.render_json(r, timing=False) == report.render_json(seq, timing=False)
        else:  # the sequential search stops inside the violating level, the partitioned one after it
            assert r.stats.depth == seq.stats.depth and r.stats.states >= seq.stats.states
        outs.append((report.render_json(r, timing=False), report.render_text(r)))
    assert all(o == outs[0] for o in outs)


@pytest.mark.parametrize("name", SPECS)
def test_shipped_specs_with_1_2_3_workers(name: str) -> None:
    _compare(api.load(str(ROOT / "specs" / name)), (1, 2, 3))


@pytest.mark.parametrize("consts,kw", [
    ({"ENACTORS": 3, "PLANS": 6, "FIX": 1}, {}),
    ({"ENACTORS": 3, "PLANS": 6, "FIX": 1}, {"symmetry": False, "store": "fingerprint"}),
    ({"ENACTORS": 3, "PLANS": 6, "FIX": 0}, {"store": "fingerprint"}),
    ({"ENACTORS": 3, "PLANS": 6, "FIX": 0}, {"symmetry": False}),
    ({"ENACTORS": 2, "PLANS": 6, "FIX": 2}, {}),
    ({"ENACTORS": 3, "PLANS": 5, "FIX": 2, "ENDPOINTS": 2}, {"symmetry": False}),
    ({"ENACTORS": 6, "PLANS": 4, "FIX": 1, "ENDPOINTS": 1}, {"store": "fingerprint"}),  # 68-bit states
    ({"ENACTORS": 6, "PLANS": 4, "FIX": 1, "ENDPOINTS": 1}, {}),
    ({"ENACTORS": 4, "PLANS": 8, "FIX": 0, "ENDPOINTS": 1}, {"store": "fingerprint", "symmetry": False}),
])
def test_reference_grid_with_1_2_3_workers(consts, kw) -> None:
    _compare(api.load(str(ROOT / "specs/reference_dns.pap"), consts), (1, 2, 3), **kw)


def test_several_initial_states_are_seeded(tmp_path: Path) -> None:
    p = tmp_path / "start.pap"
    p.write_text("protocol Start\ntype Mode = enum { idle, busy }\nvar mode: Mode in any\n"
                 "var level: 0..4 in 1..3\nvar marks: set[0..2] in any\n"
                 "machine W[2] {\n  var seen: bool in any\n  state run {\n"
                 "    on step when level < 4 { level := level + 1; seen := not seen }\n"
                 "    on mark(k in 0..2) when k not in marks and seen { marks.add(k) }\n  }\n}\n"
                 "invariant start: level != 2\n")
    _compare(api.load(str(p)), (1, 2, 3))


def test_violation_figures_are_those_of_whole_levels() -> None:
    # the level of the violation is finished: the figures are those of every level up to it,
    # whatever the number of workers (documented in docs/distributed.md)
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 3, "PLANS": 6, "FIX": 0})
    full = api.check(spec, por=False, symmetry=False, limits=api.Limits(max_depth=None))
    rs = [_run(spec, n, symmetry=False) for n in (1, 2, 3)]
    assert len({(r.stats.states, r.stats.transitions, r.stats.depth) for r in rs}) == 1
    assert rs[0].verdict == full.verdict == "violated"
    assert rs[0].stats.states >= full.stats.states


@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_max_states_stores_exactly_the_limit(store: str) -> None:
    # --max-states bounds memory: the owners' shares of the last level sum to what is left, and
    # a share left over by one owner goes to the owners that held states back (top_up)
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 3, "PLANS": 6, "FIX": 1})
    total = api.check(spec, por=False, symmetry=False, store=store).stats.states
    for limit in (1, 7, 100, 1001):
        for n in (1, 2, 3):
            r = _run(spec, n, symmetry=False, store=store, limits=api.Limits(max_states=limit))
            assert r.verdict == "incomplete" and r.stop_reason == "max_states", (limit, n)
            assert r.stats.states == limit < total, (limit, n)
    r = _run(spec, 2, symmetry=False, store=store, limits=api.Limits(max_states=total))
    assert r.stats.states == total and r.stop_reason in ("max_states", "done")


def test_max_states_keeps_a_violation_found_below_the_limit() -> None:
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 3, "PLANS": 6, "FIX": 0})
    seq = api.check(spec, por=False, symmetry=False)
    r = _run(spec, 2, symmetry=False, limits=api.Limits(max_states=seq.stats.states * 10))
    assert r.verdict == seq.verdict == "violated" and _lengths(r) == _lengths(seq)


def test_workers_under_different_hash_seeds(monkeypatch) -> None:
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 3, "PLANS": 6, "FIX": 2})
    plain = report.render_json(_run(spec, 2, symmetry=False), timing=False)
    monkeypatch.setenv("PAPCHECK_HASHSEEDS", "1")
    with LocalPool(_factory(spec), 2) as pool:  # new workers, started with PYTHONHASHSEED 1 and 2
        r = api.check(spec, por=False, symmetry=False, engine=pool)
        env = [Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") for pid in pool.pids()]
    assert report.render_json(r, timing=False) == plain
    assert [next(x for x in e if x.startswith(b"PYTHONHASHSEED=")) for e in env] == \
        [b"PYTHONHASHSEED=1", b"PYTHONHASHSEED=2"]


def test_a_killed_worker_ends_the_search_incomplete() -> None:
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 5, "PLANS": 8, "FIX": 1})
    pool = LocalPool(_factory(spec), 2)
    killed: list[int] = []
    stored = threading.Event()  # the first level's figures are in (not a fixed sleep: a loaded machine)

    def seen(stats) -> None:
        if stats.states > 0:
            stored.set()

    def kill_one() -> None:
        if not stored.wait(300):
            return
        pid = pool.pids()[1]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    t = threading.Thread(target=kill_one)
    t.start()
    try:
        r = api.check(spec, por=False, symmetry=False, engine=pool, progress=seen)
    finally:
        t.join()
        pool.close()
    assert killed
    assert r.verdict == "incomplete" and r.stop_reason == "worker_lost" and r.stats.states > 0
    assert pool.lost and "killed by SIGKILL" in pool.lost
    assert "a search worker was lost" in report.render_text(r)


# -- the command line: processes and sockets ---------------------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d.name))
            except (OSError, ValueError, IndexError):
                pass
    return out


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _listening(pids: list[int]) -> list[str]:
    """Local addresses of the listening TCP sockets (and bound UDP ones) of these processes."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    link = os.readlink(fd)
                except OSError:
                    continue
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
        except OSError:
            pass
    out = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            listening = f[3] == "0A" if table.startswith("tcp") else True
            if f[9] in inodes and listening:
                out.append(f"{table} {_address(f[1])}")
    return out


def _address(hexaddr: str) -> str:
    ip, port = hexaddr.split(":")
    raw = bytes.fromhex(ip)
    if len(raw) == 4:
        return ".".join(str(b) for b in raw[::-1]) + f":{int(port, 16)}"
    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
    import ipaddress
    return f"[{ipaddress.IPv6Address(b''.join(words))}]:{int(port, 16)}"


def _start_big(*extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "checker.cli", "check", "specs/reference_dns.pap", "-D", "ENACTORS=5",
                             "-D", "PLANS=8", "--no-symmetry", "--workers", "2", "--format", "json", "--no-timing",
                             *extra], cwd=ROOT, env=ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_workers(p: subprocess.Popen, n: int) -> list[int]:
    end = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < n and time.monotonic() < end and p.poll() is None:
        time.sleep(0.1)
        workers = [c for c in _children(p.pid) if b"multiprocessing" in Path(f"/proc/{c}/cmdline").read_bytes()
                   and b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
    return workers


def test_no_process_of_a_local_search_listens_beyond_loopback() -> None:
    p = _start_big()
    try:
        workers = _wait_for_workers(p, 2)
        assert len(workers) == 2
        time.sleep(2)  # searching
        tree = _tree(p.pid)
        assert set(workers) <= set(tree)
        socks = _listening(tree)
        assert all(" 127." in s or " [::1]" in s for s in socks), socks  # in fact there are none
        assert socks == []
    finally:
        p.kill()
        p.communicate(timeout=30)


def _start_big_on_a_terminal() -> tuple[subprocess.Popen, Callable[[], str]]:
    """_start_big with stderr on a pseudo-terminal, so that the progress line shows; the text
    written there so far (a thread drains it)."""
    import pty
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "checker.cli", "check", "specs/reference_dns.pap", "-D", "ENACTORS=5",
                          "-D", "PLANS=8", "--no-symmetry", "--workers", "2", "--format", "json", "--no-timing"],
                         cwd=ROOT, env={**ENV, "TERM": "xterm", "COLUMNS": "200"}, text=True,
                         stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                b = os.read(master, 65536)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
        os.close(master)

    threading.Thread(target=drain, daemon=True).start()
    return p, lambda: b"".join(chunks).decode("utf-8", "replace")


def _wait_for_stored_states(p: subprocess.Popen, stderr: Callable[[], str]) -> bool:
    """Wait (up to 5 minutes: a loaded machine) for a progress line with states > 0."""
    end = time.monotonic() + 300
    while time.monotonic() < end and p.poll() is None:
        if any(int(m.replace(",", "")) > 0 for m in re.findall(r"states ([\d,]+)", stderr())):
            return True
        time.sleep(0.1)
    return False


def test_sigterm_stops_a_local_search_with_partial_figures_and_exit_4() -> None:
    p, stderr = _start_big_on_a_terminal()
    try:
        workers = _wait_for_workers(p, 2)
        assert _wait_for_stored_states(p, stderr), stderr()[-2000:]
        assert p.poll() is None
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=60)
        time.sleep(0.2)  # the drain thread reads the last bytes
        err = stderr()
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 4, err[-2000:]
    d = json.loads(out)
    assert d["verdict"] == "incomplete" and d["stop_reason"] == "terminated" and d["stats"]["states"] > 0
    assert "Traceback" not in err
    assert workers and not any(Path(f"/proc/{w}").exists() for w in workers)  # shut down before the exit


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_workers_die_with_the_driver(sig: int) -> None:
    p = _start_big()
    try:
        workers = _wait_for_workers(p, 2)
        assert len(workers) == 2
        time.sleep(2)
        p.send_signal(sig)
        p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    end = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < end:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_cluster_without_ray_is_a_usage_error_and_workers_need_no_ray(tmp_path: Path) -> None:
    (tmp_path / "ray").mkdir()
    (tmp_path / "ray" / "__init__.py").write_text("raise ImportError('no ray here')\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    p = subprocess.run([sys.executable, "-m", "checker.cli", "check", "specs/dynamodb_dns.pap", "--cluster", "127.0.0.1:1"],
                       cwd=ROOT, env=env, text=True, capture_output=True, timeout=60)
    assert p.returncode == 2 and "pip install 'papcheck[ray]'" in p.stderr and "Traceback" not in p.stderr
    args = ["specs/dynamodb_dns.pap", "--format", "json", "--no-timing", "-q"]
    w = subprocess.run([sys.executable, "-m", "checker.cli", "check", *args, "--workers", "2"],
                       cwd=ROOT, env=env, text=True, capture_output=True, timeout=120)
    s = subprocess.run([sys.executable, "-m", "checker.cli", "check", *args, "--workers", "1"],
                       cwd=ROOT, env=env, text=True, capture_output=True, timeout=120)
    assert w.returncode == s.returncode == 1, w.stderr
    assert w.stdout == s.stdout


# -- simulate --workers ------------------------------------------------------------------------

def _simulate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "checker.cli", "simulate", *args, "--format", "json", "--no-timing"],
                          cwd=ROOT, env=ENV, text=True, capture_output=True, timeout=300)


def test_simulate_with_workers_finds_the_incident_as_one_process_does() -> None:
    one = _simulate("specs/dynamodb_dns.pap")
    outs = [_simulate("specs/dynamodb_dns.pap", "--workers", str(n)) for n in (1, 2, 3)]
    assert one.returncode == 1 and all(o.returncode == 1 for o in outs), outs[0].stderr
    assert outs[0].stdout == outs[1].stdout == outs[2].stdout  # the same rounds of walks for any N
    a, b = json.loads(one.stdout), json.loads(outs[1].stdout)
    assert a["verdict"] == b["verdict"] == "violated"
    # the same violating walk (the lowest-numbered one) and the same trace; the coverage of the
    # parallel run counts its whole round of walks
    assert {k: v for k, v in a.items() if k not in ("coverage", "walks", "steps")} == \
        {k: v for k, v in b.items() if k not in ("coverage", "walks", "steps")}


def test_simulate_with_workers_without_violation_equals_one_process() -> None:
    args = ("specs/reference_dns.pap", "-D", "FIX=1", "--runs", "200", "--seed", "5")
    one = _simulate(*args)
    two = _simulate(*args, "--workers", "2")
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout
