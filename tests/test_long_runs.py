"""Long runs: `--max-memory` stops a search as incomplete before the operating system kills it,
and a MemoryError inside the search loop ends it the same way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker import api
from checker.engine.explore import Limits, explore, parse_size, resident_bytes
from checker.engine.store import ExactStore, FingerprintStore

ROOT = Path(__file__).resolve().parent.parent
BIG = ["specs/reference_dns.pap", "-D", "ENACTORS=5", "-D", "PLANS=8", "-D", "FIX=1", "--no-por", "--no-symmetry"]


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=timeout)


def test_parse_size() -> None:
    assert parse_size("500M") == 500 << 20
    assert parse_size("2G") == 2 << 30
    assert parse_size("1.5GiB") == 3 << 29
    assert parse_size("64mb") == 64 << 20
    assert parse_size(str(8 << 20)) == 8 << 20
    for bad in ("lots", "", "-1G", "12K", "nanG", True):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_resident_bytes_is_plausible() -> None:
    assert 10 << 20 < resident_bytes() < 20 << 30


def test_max_memory_stops_the_search_incomplete() -> None:
    spec = api.load(str(ROOT / BIG[0]), {"ENACTORS": 5, "PLANS": 8, "FIX": 1})
    limit = resident_bytes() + (40 << 20)  # 40 MB more than now: a few hundred thousand states
    r = api.check(spec, por=False, symmetry=False, limits=Limits(max_memory=limit))
    assert r.verdict == "incomplete" and r.stop_reason == "max_memory"
    assert 10_000 < r.stats.states < 5_000_000 and r.stats.transitions > r.stats.states
    assert all(p.reason == "the search stopped at --max-memory" for p in r.properties if p.status == "unknown")
    assert resident_bytes() < limit + (60 << 20)  # stopped near the limit, not far past it


def test_max_memory_cli_exit_4_with_partial_statistics() -> None:
    p = _cli("check", *BIG, "--max-memory", "64M", "--format", "json", "--no-timing", "-q")
    assert p.returncode == 4, p.stderr
    out = json.loads(p.stdout)
    assert out["verdict"] == "incomplete" and out["stop_reason"] == "max_memory"
    assert out["stats"]["states"] > 1000
    text = _cli("check", *BIG, "--max-memory", "64M", "-q")
    assert text.returncode == 4 and "--max-memory" in text.stdout


def test_max_memory_bad_size_is_a_usage_error() -> None:
    p = _cli("check", "specs/dynamodb_dns.pap", "--max-memory", "plenty")
    assert p.returncode == 2 and "not a memory size" in p.stderr and "Traceback" not in p.stderr


def test_max_memory_config_key(tmp_path: Path) -> None:
    (tmp_path / "papcheck.toml").write_text('max-memory = "lots"\n')
    p = _cli("check", str(ROOT / "specs/dynamodb_dns.pap"), "--config", str(tmp_path / "papcheck.toml"))
    assert p.returncode == 2 and "max-memory must be a size" in p.stderr, p.stderr
    (tmp_path / "papcheck.toml").write_text('max-memory = "64M"\n')
    p = _cli("check", *BIG, "--config", str(tmp_path / "papcheck.toml"), "-q", "--format", "json", "--no-timing")
    assert p.returncode == 4 and json.loads(p.stdout)["stop_reason"] == "max_memory", p.stderr


class _Exhausting(ExactStore):
    """A store whose allocator gives up after `n` states."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def insert(self, state, parent) -> bool:  # type: ignore[override]
        if len(self) >= self.n:
            raise MemoryError
        return super().insert(state, parent)


def test_memory_error_in_the_loop_ends_the_search_incomplete() -> None:
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 3, "PLANS": 6})
    r = explore(spec.model, store=_Exhausting(500))
    assert r.stop_reason == "max_memory" and not r.complete and not r.findings
    assert r.stats.states == 500 and r.stats.queue > 0


class _ExhaustingFingerprints(FingerprintStore):
    """A fingerprint store (so the frontier is packed) whose allocator gives up after `n` states."""

    def __init__(self, n: int, state_bits: int) -> None:
        super().__init__(state_bits)
        self.allowed = n

    def insert_batch(self, states, parent):  # type: ignore[no-untyped-def]
        if len(self) + len(states) >= self.allowed:
            raise MemoryError
        return super().insert_batch(states, parent)


def test_memory_error_with_the_packed_frontier_ends_the_search_incomplete() -> None:
    """The fingerprint store's breadth-first frontier is packed: clearing it must work too."""
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 3, "PLANS": 6})
    r = explore(spec.model, store=_ExhaustingFingerprints(500, spec.model.layout.width))
    assert r.stop_reason == "max_memory" and not r.complete and not r.findings
    assert 0 < r.stats.states <= 500 and r.stats.queue > 0
