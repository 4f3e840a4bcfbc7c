"""One owner of a hash-partitioned breadth-first search: the states whose stable digest maps to
it, their parents, and its share of each level's frontier.

A state's owner is a function of its 64-bit fingerprint (the fingerprint store's: the packed
state itself plus one when it fits in 63 bits, else BLAKE2b of its bytes), never of Python's
salted ``hash()``, so every process, under any PYTHONHASHSEED, agrees on it.  A new state's
parent is the smallest (as a packed integer) of the states of the previous level that reach it,
and a level's new states are expanded in increasing order: the stored graph, and so every trace,
is the same whatever the number of owners.  Plain Python: Ray wraps it as an actor.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import Any, cast

from ..model import ModelError, State
from ..store import ExactStore, FingerprintStore, make_store

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def owner_of_fingerprint(fp: int, n: int) -> int:
    return ((((fp * _GOLDEN) & _M64) >> 20) % n) if n > 1 else 0


class Owner:
    def __init__(self, factory: Callable[[bool], tuple[Any, Callable[..., Any], Any]], index: int, n: int, store_kind: str,
                 symmetry: bool, check_deadlock: bool) -> None:
        self.reset(factory, index, n, store_kind, symmetry, check_deadlock)

    def reset(self, factory: Callable[[bool], tuple[Any, Callable[..., Any], Any]], index: int, n: int, store_kind: str,
              symmetry: bool, check_deadlock: bool) -> int:
        """Start afresh on another search (a worker process is reused: starting one costs seconds)."""
        model, expand, _canon = factory(symmetry)
        self.model, self.expand = model, expand
        self.index, self.n = index, n
        self.store = cast("ExactStore | FingerprintStore", make_store(store_kind, model.layout.width))  # both have __contains__
        self.fp = FingerprintStore(model.layout.width, capacity=16).fingerprint
        self.exact = store_kind == "exact"
        self.frontier: list[int] = []
        self.check_deadlock = check_deadlock
        self.sent = 0  # successors sent to other owners (messages), for the benchmark
        self.sent_bytes = 0
        self.measure = bool(os.environ.get("PAPCHECK_RAY_MEASURE"))
        props = model.properties
        self.has_inv = any(p.kind == "invariant" for p in props)
        self.reach_mask = 0
        for p in props:
            if p.kind == "reachable":
                self.reach_mask |= 1 << p.index
        return index

    def owner(self, state: int) -> int:
        return owner_of_fingerprint(self.fp(state), self.n)

    def receive(self, *batches: dict[int, int | None]) -> dict[str, Any]:
        """Store the new states of a level (each batch: state -> smallest parent seen by one sender),
        check properties on them, and make them this owner's frontier."""
        best: dict[int, int | None] = {}
        contains = self.store.__contains__
        for batch in batches:
            for t, p in batch.items():
                if contains(t):
                    continue
                if t not in best:
                    best[t] = p
                elif p is not None:  # only initial states have no parent, all at level 0
                    q = best[t]
                    if q is None or p < q:
                        best[t] = p
        new = sorted(best)
        insert = self.store.insert
        violation: tuple[int, int] | None = None
        error: int | None = None
        witnesses: dict[int, int] = {}
        inv, reach = self.model.violated_invariant, self.model.witnesses
        for t in new:
            insert(t, best[t])
            try:
                if self.has_inv and violation is None:
                    bad = inv(t)
                    if bad >= 0:
                        violation = (t, bad)
                if self.reach_mask:
                    hit = reach(t) & self.reach_mask
                    i = 0
                    while hit:
                        if hit & 1 and i not in witnesses:
                            witnesses[i] = t
                        hit >>= 1
                        i += 1
            except ModelError:
                if error is None:
                    error = t
        self.frontier = new
        return {"new": len(new), "violation": violation, "witnesses": witnesses, "error": error,
                "states": len(self.store), "bytes": self.store.memory_bytes()}

    def expand_level(self) -> list[dict[Any, Any]]:
        """Expand this owner's frontier: n batches (one per owner: successor -> smallest parent)
        and a summary (transitions, the smallest deadlocked state, the smallest state whose
        expansion raised a model error)."""
        n = self.n
        out: list[dict[Any, Any]] = [dict() for _ in range(n)]
        transitions = 0
        deadlock = error = None
        expand, fp, is_final = self.expand, self.fp, self.model.is_final
        contains = self.store.__contains__
        me = self.index
        for s in self.frontier:
            try:
                ts = expand(s, 0)
            except ModelError:
                if error is None:
                    error = s
                continue
            transitions += len(ts)
            if not ts and self.check_deadlock and deadlock is None and not is_final(s):
                deadlock = s
            for t in ts:
                o = owner_of_fingerprint(fp(t), n)
                if o == me and contains(t):
                    continue
                b = out[o]
                q = b.get(t)
                if q is None or s < q:
                    b[t] = s
        self.sent += sum(len(b) for i, b in enumerate(out) if i != me)
        if self.measure:  # the benchmark: bytes of the batches as pickled (Ray serializes them so)
            self.sent_bytes += sum(len(pickle.dumps(b, pickle.HIGHEST_PROTOCOL)) for i, b in enumerate(out) if i != me)
        return out + [{"transitions": transitions, "deadlock": deadlock, "error": error,
                       "expanded": len(self.frontier), "sent": self.sent, "sent_bytes": self.sent_bytes,
                       "rss": _rss()}]

    def parent(self, state: int) -> State | None:
        return self.store.parent(state)

    def parent_fingerprint(self, fp: int) -> int:
        st = self.store
        assert isinstance(st, FingerprintStore)
        return st.parent_of_fingerprint(fp)

    def pid(self) -> int:
        return os.getpid()


def _rss() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
