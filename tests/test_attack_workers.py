"""Independent attack on `check --workers N` (the local multiprocessing search).

The specs are in tests/attack_workers/, written by hand, each aimed at one corner of a
hash-partitioned level-synchronous breadth-first search. The oracle is the sequential search (no
--workers): verdict, stop reason, every property's status and trace length, the model error and
the depth agree; the states and transitions agree when no violation stops the search (at a
violation the partitioned search finishes the level, documented in docs/distributed.md, so only
>= is asserted). The text and JSON output with --no-timing are byte-identical across worker
counts and the workers' PYTHONHASHSEED. Finds are strict xfails with the reproduction.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "tests" / "attack_workers"
ALL = sorted(p.stem for p in SPECS.glob("*.pap") if p.stem not in ("slow_big", "slower_big"))
FAST = ["init_violation", "multi_init_viol", "depth1_many", "depth1_two_inv", "divzero_d1",
        "one_state", "reachable_init", "sym_bad", "deadlock_many", "two_errors_same_level"]
DOCUMENTED = {"two_inv_order"}  # docs: the invariant named may differ within a level
KNOWN_BAD = DOCUMENTED | {"error_and_deadlock", "deadlock_then_err_deeper", "init_deadlock_then_err"}


def _cli(spec: str, *extra: str, fmt: str = "json", env: dict | None = None,
         ) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, PYTHONPATH=str(ROOT))
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", str(SPECS / f"{spec}.pap"),
         "--no-timing", "-q", "--format", fmt, *extra],
        capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=300)


def _trace_len(trace: dict | None) -> int | None:
    return None if trace is None else len(trace["states"])


def _summary(out: str) -> dict:
    d = json.loads(out)
    return {
        "verdict": d["verdict"],
        "stop": d["stop_reason"],
        "props": [(p["name"], p["status"], _trace_len(p["trace"])) for p in d["properties"]],
        "model_error": d["model_error"] and (d["model_error"]["message"], d["model_error"]["line"]),
        "depth": d["stats"]["depth"],
        "states": d["stats"]["states"],
        "transitions": d["stats"]["transitions"],
    }


def _agree(spec: str, workers: tuple[int, ...], *extra: str) -> None:
    seq = _cli(spec, *extra)
    base = _summary(seq.stdout)
    outs = {}
    for n in workers:
        got = _cli(spec, "--workers", str(n), *extra)
        outs[n] = got.stdout
        assert got.returncode == seq.returncode, (spec, n, got.stderr)
        s = _summary(got.stdout)
        for key in ("verdict", "stop", "props", "model_error", "depth"):
            assert s[key] == base[key], (spec, n, key, s[key], base[key])
        if base["verdict"] == "holds":
            assert (s["states"], s["transitions"]) == (base["states"], base["transitions"])
        else:
            assert s["states"] >= base["states"] and s["transitions"] >= base["transitions"]
    assert len(set(outs.values())) == 1, (spec, "JSON differs across worker counts")


@pytest.mark.parametrize("spec", FAST)
def test_fast_corpus_agrees_with_sequential(spec: str) -> None:
    _agree(spec, (1, 3))


@pytest.mark.deep
@pytest.mark.parametrize("spec", [s for s in ALL if s not in KNOWN_BAD])
def test_corpus_agrees_with_sequential_1_2_3_4(spec: str) -> None:
    _agree(spec, (1, 2, 3, 4))


@pytest.mark.deep
@pytest.mark.parametrize("spec", ["depth1_many", "sym_ok", "wide", "several_props"])
def test_corpus_agrees_fingerprint_and_no_symmetry(spec: str) -> None:
    _agree(spec, (2, 3), "--store", "fingerprint")
    _agree(spec, (2,), "--no-symmetry")


@pytest.mark.deep
@pytest.mark.parametrize("spec", ["depth1_many", "depth1_two_inv", "deadlock_many"])
def test_text_output_same_across_runs_and_hash_seeds(spec: str) -> None:
    outs = {_cli(spec, "--workers", str(n), fmt="text", env={"PYTHONHASHSEED": seed}).stdout
            for n in (2, 3, 4) for seed in ("0", "1", "12345")}
    assert len(outs) == 1


@pytest.mark.parametrize("spec", ["error_and_deadlock", "deadlock_then_err_deeper",
                                  "init_deadlock_then_err"])
def test_deadlock_and_model_error_in_one_level(spec: str) -> None:
    _agree(spec, (2,))


@pytest.mark.parametrize("flag", [("--continue",), ("--property", "py"),
                                  ("--checkpoint", "/tmp/papcheck-attack-ckpt"),
                                  ("--resume", "/tmp/papcheck-attack-no-such-dir"),
                                  ("--strategy", "dfs")])
def test_unsupported_flags_are_usage_errors(flag: tuple[str, ...]) -> None:
    got = _cli("several_props", "--workers", "2", *flag)
    assert got.returncode == 2 and "--workers" in got.stderr and "Traceback" not in got.stderr


def test_max_states_partial_exit_4() -> None:
    for n in ("1", "3"):
        got = _cli("big_ok", "--workers", n, "--max-states", "30")
        d = json.loads(got.stdout)
        assert got.returncode == 4 and d["stop_reason"] == "max_states"
        assert d["stats"]["states"] >= 30


def _children(pid: int) -> list[int]:
    kids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                kids.append(int(p))
    return kids


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _listening_inodes() -> set[str]:
    found = set()
    for name in ("tcp", "tcp6", "udp", "udp6"):
        path = Path(f"/proc/net/{name}")
        if path.exists():
            for line in path.read_text().splitlines()[1:]:
                cols = line.split()
                if cols[3] in ("0A", "07"):
                    found.add(cols[9])
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        pass
    return inodes


@pytest.mark.deep
@pytest.mark.parametrize("how", ["worker", "term", "int", "kill"])
def test_faults_leave_no_orphans_and_no_listeners(how: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "checker.cli", "check", str(SPECS / "slower_big.pap"),
         "--no-timing", "-q", "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)))
    end = time.monotonic() + 120  # a loaded machine: wait for both workers, not a fixed time
    kids: list[int] = []
    while len(kids) < 2 and time.monotonic() < end and proc.poll() is None:
        time.sleep(0.2)
        kids = _children(proc.pid)
    time.sleep(3)  # searching (slower_big takes tens of seconds)
    assert kids and proc.poll() is None, "no worker processes"
    mine = set().union(*(_socket_inodes(p) for p in [proc.pid, *kids]))
    assert not mine & _listening_inodes()
    if how == "worker":
        os.kill(kids[-1], signal.SIGKILL)
    else:
        os.kill(proc.pid, {"term": signal.SIGTERM, "int": signal.SIGINT,
                           "kill": signal.SIGKILL}[how])
    out, err = proc.communicate(timeout=120)
    deadline = time.time() + 5
    while any(_alive(k) for k in kids) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(_alive(k) for k in kids)
    if how == "kill":
        return
    assert proc.returncode == 4 and "INCOMPLETE" in out and "Traceback" not in err
    if how == "worker":
        assert "killed by SIGKILL" in err
        assert "0 distinct" not in out


def test_max_states_is_not_overshot_by_a_level() -> None:
    seq = json.loads(_cli("slow_big", "--max-states", "1000", "--no-por").stdout)
    par = json.loads(_cli("slow_big", "--max-states", "1000", "--workers", "2").stdout)
    assert par["stats"]["states"] <= seq["stats"]["states"]


@pytest.mark.slow
def test_two_invariants_in_one_level_named_deterministically() -> None:
    """Documented divergence: the sequential search names j (met first), the workers name i
    (the smallest packed state). Both are violated at depth 1; the workers finish the level yet
    report the other one as 'not decided'. Assert only that the choice is fixed for any N."""
    seq = _summary(_cli("two_inv_order").stdout)
    assert seq["props"] == [("i", "unknown", None), ("j", "violated", 2)]
    outs = {_cli("two_inv_order", "--workers", str(n)).stdout for n in (1, 2, 3, 4)}
    assert len(outs) == 1
    assert _summary(outs.pop())["props"] == [("i", "violated", 2), ("j", "unknown", None)]
