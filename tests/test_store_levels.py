"""The level store (breadth-first search with delayed duplicate detection, `--store fingerprint`
without partial-order reduction) against the exact store: the whole JSON result must be the same,
store-specific fields aside, on every shipped spec, the workshop specs, a slice of the reference
grid and generated protocols, with and without symmetry, with and without `--max-states`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from checker import api
from checker.engine.explore import Limits
from checker.engine.store import LevelStore
from checker.views.report import result_dict
from tests.genspec import protocols

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted(p for p in (ROOT / "specs").glob("*.pap"))
WORKSHOP = sorted((ROOT / "examples/workshop").glob("*/spec.pap"))
GRID = [{"ENACTORS": e, "ENDPOINTS": n, "PLANS": p, "PURGE_AGE": a, "FIX": f}
        for e, n, p, a, f in [(2, 1, 4, 1, 0), (3, 1, 4, 1, 0), (2, 2, 4, 1, 0), (2, 1, 6, 2, 0), (2, 1, 6, 2, 2),
                              (3, 1, 3, 1, 1), (2, 2, 4, 2, 1)]]
STORE_FIELDS = ("store", "collision_probability")


def _figures(spec: api.Spec, store: str, symmetry: bool, max_states: int | None = None) -> dict[str, Any]:
    limits = Limits(max_states=max_states) if max_states else None
    r = api.check(spec, store=store, por=False, symmetry=symmetry, limits=limits)
    d = result_dict(r, timing=False)
    for k in STORE_FIELDS:
        d.pop(k, None)
        d["stats"].pop(k, None)
    d["_store_class"] = type(r.search.store).__name__ if r.search is not None else None
    return d


def _same(spec: api.Spec, symmetry: bool, max_states: int | None = None) -> None:
    a = _figures(spec, "exact", symmetry, max_states)
    b = _figures(spec, "fingerprint", symmetry, max_states)
    used = b.pop("_store_class")
    a.pop("_store_class")
    if spec.model.layout.width <= 64:
        assert used == LevelStore.__name__
    assert a == b


def _sized(spec: api.Spec) -> bool:
    r = api.check(spec, por=False, symmetry=False, limits=Limits(max_states=60_000))
    return r.stats.states < 60_000


@pytest.mark.parametrize("path", SPECS + WORKSHOP, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("symmetry", [False, True])
def test_shipped_specs(path: Path, symmetry: bool) -> None:
    spec = api.load(str(path))
    if not _sized(spec):
        pytest.skip("over 60,000 states: the grid slice and the benchmark cover large searches")
    _same_with_caps(spec, symmetry)


def _same_with_caps(spec: api.Spec, symmetry: bool) -> None:
    _same(spec, symmetry)
    full = api.check(spec, por=False, symmetry=symmetry).stats.states
    for cap in sorted({1, 2, 7, max(1, full // 3), max(1, full - 1), full}):
        _same(spec, symmetry, cap)


@pytest.mark.parametrize("consts", GRID, ids=lambda c: "-".join(str(v) for v in c.values()))
@pytest.mark.parametrize("symmetry", [False, True])
def test_reference_grid(consts: dict[str, int], symmetry: bool) -> None:
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), consts)
    _same_with_caps(spec, symmetry)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(protocols(model_errors=True))
def test_generated_protocols(text: str) -> None:
    spec = api.load_text(text, "gen.pap")
    for symmetry in (False, True):
        _same(spec, symmetry)
        _same(spec, symmetry, 5)
        _same(spec, symmetry, 40)


def test_terminated_mid_level_gives_partial_figures() -> None:
    """SIGTERM (as the command line raises it) mid-level: the states found so far are settled and
    stored, the figures are partial and consistent (every parent stored before its child)."""
    from checker.engine.explore import Terminated
    # 1.5 million states of 64 bits: the first progress report (a quarter of a second in) comes long before
    # the end, however fast the machine
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 4, "PLANS": 6})
    calls = []

    def stop(stats: Any) -> None:
        calls.append(stats.states)
        raise Terminated

    r = api.check(spec, store="fingerprint", por=False, symmetry=False, progress=stop)
    store = r.search.store
    assert isinstance(store, LevelStore)
    assert r.stop_reason == "terminated" and r.verdict == "incomplete"
    assert 0 < r.stats.states == len(store) and r.stats.transitions > 0
    assert all(p == LevelStore.NO_PARENT or p < i for i, p in enumerate(store.parents))
    assert len(set(store.visited)) == len(store)


def test_a_checkpoint_of_an_older_format_is_refused(tmp_path: Path) -> None:
    import pickle

    from checker.engine.checkpoint import DATA, Checkpointer, CheckpointError
    with open(tmp_path / DATA, "wb") as f:
        pickle.dump({"format": 2, "digest": "x", "snapshot": None}, f)
    with pytest.raises(CheckpointError, match=r"checkpoint format 2, this version reads format 3.*start afresh"):
        Checkpointer(str(tmp_path), 0, {"source": ""}, resume=True)


def test_traces_are_rebuilt_from_parent_indices() -> None:
    spec = api.load(str(ROOT / "specs/reference_dns.pap"), {"ENACTORS": 3, "PLANS": 6, "FIX": 0})
    r = api.check(spec, store="fingerprint", por=False, symmetry=False)
    store = r.search.store
    assert isinstance(store, LevelStore) and r.verdict == "violated"
    bad = r.search.findings[0].state
    path = store.fingerprint_path(bad)
    assert path[-1] == bad and path[0] in r.search.initial
    assert all(b in spec.model.successors(a) for a, b in zip(path, path[1:]))
