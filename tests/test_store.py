"""The fingerprint store (segmented extendible hashing, a window of recent states) and the packed
BFS frontier (issue 17, item 7), against plain Python sets, deques and the exact store."""

from __future__ import annotations

import random
from collections import deque

import pytest
from hypothesis import HealthCheck, given, settings

from checker import api
from checker.engine.frontier import PackedFifo
from checker.engine.store import EMPTY, FingerprintStore
from tests.genspec import protocols


class TinySegments(FingerprintStore):
    SEGMENT_BITS = 4  # 16 slots: thousands of splits and directory doublings


@pytest.mark.parametrize("bits", [40, 100])  # exact fingerprints, hashed ones
def test_store_against_a_set(bits: int) -> None:
    rng = random.Random(bits)
    store = TinySegments(bits)
    seen: dict[int, int | None] = {}
    parent = None
    for _ in range(300):
        batch = [rng.randrange(1 << bits) for _ in range(rng.randrange(1, 12))]
        batch += [rng.choice(list(seen)) for _ in range(3)] if seen else []
        new = store.insert_batch(batch, parent)
        want = []
        for s in batch:
            if s not in seen and s not in want:
                want.append(s)
        assert new == want
        for s in want:
            seen[s] = parent
        parent = rng.choice(list(seen))
    assert len(store) == len(seen) and store.global_depth > 3
    for s, p in seen.items():
        assert s in store
        assert store.parent_fingerprint(s) == (store.fingerprint(p) if p is not None else EMPTY)
    assert (1 << bits) - 1 not in store or (1 << bits) - 1 in seen
    assert store.insert(next(iter(seen)), None) is False


def test_packed_fifo_is_a_deque() -> None:
    rng = random.Random(7)
    f, d = PackedFifo(), deque()
    depth = 0
    for _step in range(200_000):
        r = rng.random()
        if r < 0.52 or not d:
            depth += rng.random() < 0.01
            if r < 0.26:  # one state, or one expansion's successors at once
                item = (rng.randrange(1 << 64), depth)
                f.append(item)
                d.append(item)
            else:
                batch = [rng.randrange(1 << 64) for _ in range(rng.randrange(4))]
                f.extend_level(batch, depth)
                d.extend((t, depth) for t in batch)
        else:
            assert f.popleft() == d.popleft()
        assert len(f) == len(d)
    while d:
        assert f.popleft() == d.popleft()
    with pytest.raises(ValueError):
        f.append((1, depth - 1))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(protocols())
def test_fingerprint_search_matches_exact(text: str) -> None:
    spec = api.load_text(text, "gen.pap")
    a = api.check(spec, store="exact", por=False, symmetry=False)
    b = api.check(spec, store="fingerprint", por=False, symmetry=False)
    assert (a.verdict, a.stats.states, a.stats.transitions, a.stats.depth) == \
        (b.verdict, b.stats.states, b.stats.transitions, b.stats.depth), text
    for p, q in zip(a.properties, b.properties):
        assert p.status == q.status
        if p.trace is not None:
            assert [s.state for s in p.trace.steps] == [s.state for s in q.trace.steps], text


@pytest.mark.parametrize("low_bits", [0, 20, 35])
def test_clustered_states_probe_briefly(low_bits: int) -> None:
    """States that differ only in their high bits (packed variables whose low fields stay put) are
    spread over a segment's slots: a stored state is found within a couple of probes on average.
    (Slots from hash bits 20-32 depended on a state's low 33 bits only: 3 probes on the reference
    protocol, thousands here.)"""
    store = FingerprintStore(60)
    states = [i << low_bits for i in range(1, 20_000)]
    for k in range(0, len(states), 4):
        store.insert_batch(states[k:k + 4], None)
    assert len(store) == len(states)
    mask, probes = store.size - 1, 0
    for s in states:
        f = store.fingerprint(s)
        h = (f * 0x9E3779B97F4A7C15) & ((1 << 64) - 1)
        fps = store.directory[h >> (64 - store.global_depth)][0]
        i = (h >> store.INDEX_SHIFT) & mask
        probes += 1
        while fps[i] != f:
            i = (i + 1) & mask
            probes += 1
    assert probes / len(states) < 2.5
