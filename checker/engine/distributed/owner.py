"""One owner of a hash-partitioned breadth-first search: the states whose stable digest maps to
it, their parents, and its share of each level's frontier.  Plain Python (numpy, when present,
computes a level's owners at once): the local backend runs it in a worker process, Ray as an actor.

A state's owner is a function of a 64-bit digest of its packed form, never of a salted hash: with
the exact store, ``(s mod (2**61 - 1)) + 1`` (CPython's own hash of a non-negative int, which is
not salted, computed at C speed by ``map(hash, ...)``); with the fingerprint store, the
fingerprint it is stored under (the packed state plus one when it fits in 63 bits, else BLAKE2b
of its bytes), so a trace can be walked back from fingerprints alone.  Every process, under any
PYTHONHASHSEED, agrees on it.

A new state's parent is the smallest (as a packed integer) of the states of the previous level
that reach it, and a level's new states are expanded in increasing order: the stored graph, and
so every trace, is the same whatever the number of owners.

Per level, an owner expands its whole frontier in one pass (successors into one list, their
parents by run lengths), splits the successors by owner (numpy), keeps each successor's smallest
parent (the frontier is sorted, so the first one seen: ``dict.setdefault`` mapped in C), and
returns one batch per owner; receiving, it takes the candidates not yet stored with a set
difference in C, and pays Python per new state only (the property checks, as the sequential
search does).
"""

from __future__ import annotations

import functools
import os
import pickle
import sys
from collections import deque
from collections.abc import Callable
from itertools import chain, filterfalse, repeat
from typing import Any, cast

from ..model import ModelError, State
from ..store import ExactStore, FingerprintStore, make_store

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M61 = (1 << 61) - 1
_HASH_IS_M61 = sys.hash_info.modulus == _M61  # 64-bit CPython: hash(s) == s mod (2**61 - 1)
CHUNK = 1 << 15  # frontier states expanded between two splits (bounds a level's transient lists)

Factory = Callable[[bool], tuple[Any, Callable[..., Any], Any]]


def owner_of_fingerprint(fp: int, n: int) -> int:
    return ((((fp * _GOLDEN) & _M64) >> 20) % n) if n > 1 else 0


def state_digest(state: int) -> int:
    """The exact store's partition digest of a packed state (see the module docstring)."""
    return state % _M61 + 1


def digest_function(kind: str, width: int) -> Callable[[int], int]:
    """state -> digest for a store kind (what the owner of a state is computed from)."""
    if kind == "exact":
        return state_digest
    return FingerprintStore(width, capacity=16).fingerprint


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # the owners are computed in Python, one successor at a time
        return None
    return numpy


class Owner:
    def __init__(self, factory: Factory, index: int, n: int, store_kind: str, symmetry: bool,
                 check_deadlock: bool) -> None:
        self.reset(factory, index, n, store_kind, symmetry, check_deadlock)

    def reset(self, factory: Factory, index: int, n: int, store_kind: str, symmetry: bool,
              check_deadlock: bool) -> int:
        """Start afresh on another search (a worker process is reused: starting one costs time)."""
        model, expand, canon = factory(symmetry)
        # successors(s): without symmetry the model's own (one Python call less per state)
        self.model = model
        self.successors = model.successors if canon is None else functools.partial(expand, d=0)
        self.index, self.n = index, n
        self.store = cast("ExactStore | FingerprintStore", make_store(store_kind, model.layout.width))
        self.exact = store_kind == "exact"
        self.digest = digest_function(store_kind, model.layout.width)
        self.np = _numpy()
        self.frontier: list[int] = []
        self.held: list[tuple[int, int | None]] = []  # new states a budget left out (--max-states)
        self.check_deadlock = check_deadlock
        self.sent = 0  # successors sent to other owners (messages), for the benchmark
        self.sent_bytes = 0
        self.measure = bool(os.environ.get("PAPCHECK_RAY_MEASURE") or os.environ.get("PAPCHECK_MEASURE"))
        props = model.properties
        self.has_inv = any(p.kind == "invariant" for p in props)
        self.reach_mask = 0
        for p in props:
            if p.kind == "reachable":
                self.reach_mask |= 1 << p.index
        return index

    def owner(self, state: int) -> int:
        return owner_of_fingerprint(self.digest(state), self.n)

    # -- receiving a level -------------------------------------------------------------------

    def receive(self, *batches: dict[int, int | None], budget: int | None = None) -> dict[str, Any]:
        """Store the new states of a level (each batch: state -> smallest parent seen by one
        sender), check properties on them, and make them this owner's frontier.  With a budget
        (`--max-states`: this owner's share of the states left), store at most that many, the
        smallest first, and say "truncated" when some new ones were left out (they are held
        for :meth:`top_up`)."""
        batches = tuple(b for b in batches if b)
        self.held = []
        if self.exact:
            new, parents, truncated = self._new_exact(batches, budget)
        else:
            new, parents, truncated = self._new_fingerprint(batches, budget)
        del parents
        self.frontier = new
        return self._checked(new, truncated)

    def top_up(self, budget: int) -> dict[str, Any]:
        """Store up to `budget` more of the new states the last receive() held back (the
        smallest first), as receive() does; the answer speaks of these only (but "states")."""
        more, self.held = self.held[:budget], self.held[budget:]
        if self.exact:
            pmap = cast(ExactStore, self.store).parent_map
            assert pmap is not None
            pmap.update(more)
        else:
            insert = cast(FingerprintStore, self.store).insert
            for t, p in more:
                insert(t, p)
        new = [t for t, _ in more]
        self.frontier = sorted(self.frontier + new)
        return self._checked(new, bool(self.held))

    def _checked(self, new: list[int], truncated: bool) -> dict[str, Any]:
        """The property checks on newly stored states, and the answer of receive()."""
        violation: tuple[int, int] | None = None
        error: int | None = None
        witnesses: dict[int, int] = {}
        if self.has_inv or self.reach_mask:
            inv, reach, mask = self.model.violated_invariant, self.model.witnesses, self.reach_mask
            has_inv = self.has_inv
            for t in new:
                try:
                    if has_inv and violation is None:
                        bad = inv(t)
                        if bad >= 0:
                            violation = (t, bad)
                    if mask:
                        hit = reach(t) & mask
                        i = 0
                        while hit:
                            if hit & 1 and i not in witnesses:
                                witnesses[i] = t
                            hit >>= 1
                            i += 1
                except ModelError:
                    if error is None:
                        error = t
        return {"new": len(new), "violation": violation, "witnesses": witnesses, "error": error,
                "states": len(self.store), "bytes": self.store.memory_bytes(), "truncated": truncated}

    def _new_exact(self, batches: tuple[dict[int, int | None], ...], budget: int | None
                   ) -> tuple[list[int], list[int | None], bool]:
        pmap = cast(ExactStore, self.store).parent_map
        assert pmap is not None
        if not batches:
            return [], [], False
        stored = pmap.__contains__
        if len(batches) == 1:
            best = batches[0]
        else:
            # only the candidates not stored yet matter (most are stored): filter each batch first
            # (in C), then settle the few reached from several owners (the smallest parent wins)
            fresh = []
            for b in batches:
                ks = list(filterfalse(stored, b))
                fresh.append(dict(zip(ks, map(b.__getitem__, ks))))
            fresh.sort(key=len, reverse=True)
            best = fresh[0]
            for b in fresh[1:]:
                for t in b.keys() & best.keys():
                    p, q = b[t], best[t]
                    if q is not None and (p is None or q < p):
                        b[t] = q
                best.update(b)
        new = sorted(filterfalse(stored, best) if len(batches) == 1 else best)
        truncated = budget is not None and len(new) > budget
        if truncated:
            rest = new[budget:]
            self.held = list(zip(rest, map(best.__getitem__, rest)))
            del new[budget:]
        parents = list(map(best.__getitem__, new))
        if len(batches) > 1:  # parents from other workers arrive as one int object per link: share them
            same: dict[int | None, int | None] = {}
            parents = list(map(same.setdefault, parents, parents))
        pmap.update(zip(new, parents))
        return new, parents, truncated

    def _new_fingerprint(self, batches: tuple[dict[int, int | None], ...], budget: int | None
                         ) -> tuple[list[int], list[int | None], bool]:
        store = cast(FingerprintStore, self.store)
        if not batches:
            return [], [], False
        cand: set[int] = set(batches[0].keys()).union(*(b.keys() for b in batches[1:]))
        contains, insert = store.__contains__, store.insert
        new: list[int] = []
        parents: list[int | None] = []
        truncated = False
        for t in sorted(cand):
            if contains(t):
                continue
            best: int | None = None
            first = True
            for b in batches:
                p = b.get(t, -1)
                if p == -1:
                    continue
                if first or (p is not None and (best is None or p < best)):
                    best = p
                    first = False
            if budget is not None and len(new) >= budget:
                truncated = True
                self.held.append((t, best))
                continue
            insert(t, best)
            new.append(t)
            parents.append(best)
        return new, parents, truncated

    # -- expanding a level -------------------------------------------------------------------

    def expand_level(self) -> list[dict[Any, Any]]:
        """Expand this owner's frontier: n batches (one per owner: successor -> smallest parent)
        and a summary (transitions, the smallest deadlocked state, the smallest state whose
        expansion raised a model error)."""
        n = self.n
        out: list[dict[Any, Any]] = [dict() for _ in range(n)]
        transitions = 0
        deadlock = error = None
        successors, is_final = self.successors, self.model.is_final
        check_deadlock = self.check_deadlock
        frontier = self.frontier
        for lo in range(0, len(frontier), CHUNK):
            succ: list[int] = []
            counts: list[int] = []
            parents: list[int] = []
            for s in frontier[lo:lo + CHUNK]:  # increasing order: the first parent seen is the smallest
                try:
                    ts = successors(s)
                except ModelError:
                    if error is None:
                        error = s
                    continue
                k = len(ts)
                if not k:
                    if check_deadlock and deadlock is None and not is_final(s):
                        deadlock = s
                    continue
                succ += ts
                counts.append(k)
                parents.append(s)
            transitions += len(succ)
            self._split(succ, parents, counts, out)
        me = self.index
        self.sent += sum(len(b) for i, b in enumerate(out) if i != me)
        if self.measure:  # the benchmark: bytes of the batches as pickled (both transports pickle them)
            self.sent_bytes += sum(len(pickle.dumps(b, pickle.HIGHEST_PROTOCOL)) for i, b in enumerate(out) if i != me)
        return out + [{"transitions": transitions, "deadlock": deadlock, "error": error,
                       "expanded": len(frontier), "sent": self.sent, "sent_bytes": self.sent_bytes,
                       "rss": _rss()}]

    def _split(self, succ: list[int], parents: list[int], counts: list[int], out: list[dict[Any, Any]]) -> None:
        """Add one chunk's successors to the per-owner batches, each with its first (smallest) parent."""
        if not succ:
            return
        n = self.n
        np = self.np
        if n == 1:
            _first_wins(out[0], succ, _repeat_each(parents, counts))
            return
        if np is not None:
            if self.exact and _HASH_IS_M61:
                h = np.fromiter(map(hash, succ), dtype=np.uint64, count=len(succ)) + np.uint64(1)
            else:
                h = np.fromiter(map(self.digest, succ), dtype=np.uint64, count=len(succ))
            own = (((h * np.uint64(_GOLDEN)) >> np.uint64(20)) % np.uint64(n)).astype(np.intp)
            objs = np.empty(len(succ), dtype=object)
            objs[:] = succ
            pars = np.repeat(np.array(parents, dtype=object), counts)
            for j in range(n):
                sel = own == j
                _first_wins(out[j], objs[sel].tolist(), pars[sel].tolist())
            return
        digest = self.digest
        for t, p in zip(succ, _repeat_each(parents, counts)):
            out[owner_of_fingerprint(digest(t), n)].setdefault(t, p)

    # -- traces ------------------------------------------------------------------------------

    def parent(self, state: State) -> State | None:
        return self.store.parent(state)

    def parent_fingerprint(self, fp: int) -> int:
        st = self.store
        assert isinstance(st, FingerprintStore)
        return st.parent_of_fingerprint(fp)

    def pid(self) -> int:
        return os.getpid()


def _repeat_each(values: list[int], counts: list[int]) -> list[int]:
    return list(chain.from_iterable(map(repeat, values, counts)))


def _first_wins(batch: dict[Any, Any], keys: list[int], values: list[Any]) -> None:
    """batch.setdefault(k, v) for each pair in order, at C speed (no bytecode per pair)."""
    deque(map(batch.setdefault, keys, values), maxlen=0)


def _rss() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
