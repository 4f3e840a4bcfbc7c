"""Visited-state stores behind one small interface (as TLC's FPSet): the explorer never knows
which one it has.

:class:`ExactStore` keeps every state with a link to its parent, so counterexamples are exact
and memory grows with the state size.  :class:`FingerprintStore` keeps a 64-bit fingerprint per
state and the fingerprint of its parent in segmented flat arrays (about 28 bytes a state); two states
with equal fingerprints are taken as one, so a collision can hide states, with the probability
it reports (TLC's estimate).  States of up to 63 bits are their own fingerprint (plus one): no collision.
:class:`LevelStore` is `--store fingerprint` for a breadth-first search without partial-order
reduction on states of up to 64 bits: every state in one array, parent indices in another (16
bytes a state), duplicates removed a level at a time by the explorer (no per-state probing in
Python, which made the hash table cost 1.7 times the exact store's time).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Hashable
from hashlib import blake2b
from typing import Any, Protocol, cast

State = Hashable


class Store(Protocol):
    name: str

    def insert(self, state: State, parent: State | None) -> bool:
        """Record state (reached from parent); False when it was already there.  A store may
        also offer `parent_map`, a dict the explorer then updates inline, to the same effect."""

    def parent(self, state: State) -> State | None:
        """The state it was first reached from (None for an initial state)."""

    def __len__(self) -> int: ...

    def memory_bytes(self) -> int:
        """An estimate of the memory the store holds."""


class ExactStore:
    """A dict from each state to its parent; the parent is the key object of the parent's entry,
    so a link costs a pointer, not a copy."""

    name = "exact"

    def __init__(self) -> None:
        self._parent: dict[State, State | None] = {}
        # the explorer may insert through this dict directly, exactly as insert() would; not
        # when a subclass overrides insert() (to count, to log): then insert() must be called
        self.parent_map = self._parent if type(self).insert is ExactStore.insert else None

    def insert(self, state: State, parent: State | None) -> bool:
        d = self._parent
        if state in d:
            return False
        d[state] = parent
        return True

    def parent(self, state: State) -> State | None:
        return self._parent[state]

    def __contains__(self, state: State) -> bool:
        return state in self._parent

    def __len__(self) -> int:
        return len(self._parent)

    def memory_bytes(self) -> int:
        n = len(self._parent)
        if not n:
            return sys.getsizeof(self._parent)
        sample = next(iter(reversed(self._parent)))
        return sys.getsizeof(self._parent) + n * sys.getsizeof(sample)


_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
EMPTY = 0


class FingerprintStore:
    """Extendible hashing over segments of two arrays of unsigned 64-bit ints, fingerprints and
    parent fingerprints.  A directory indexed by the top bits of a fingerprint's hash names the
    segment; inside it, open addressing with linear probing from the slot named by hash bits
    38-50 (bits of the product that depend on all of a state's low 51 bits, and that the directory
    does not use below 8,192 segments: low bits would depend on a state's low bits only, and
    clustered states would probe twice as long).  A segment three quarters full is
    split in two (only its entries move), so growing never holds two copies of the whole table:
    the peak stays at 21 to 43 bytes a state (about 28 on average), with no transient doubling."""

    name = "fingerprint"
    SEGMENT_BITS = 13  # 8,192 slots (128 KB of fingerprints, as much of parents) a segment
    MAX_LOAD = 0.75
    INDEX_SHIFT = 38  # a segment's slot: bits 38-50 of the hash

    def __init__(self, state_bits: int | None = None, capacity: int = 1 << 12):
        self.exact = state_bits is not None and state_bits <= 63  # the state plus one fits in 64 bits
        self.state_bits = state_bits  # the explorer keeps a frontier of states this wide packed
        self._nbytes = max(1, ((state_bits or 64) + 7) // 8)
        self.size = 1 << self.SEGMENT_BITS
        self.limit = int(self.size * self.MAX_LOAD)
        self.global_depth = 0
        self.directory: list[list[Any]] = [self._segment(0)]
        self.n = 0
        # The states stored most recently, in two generations of at most n/8 each: most
        # successors of a breadth-first search were stored a level or two before, and a set
        # answers for them at C speed.  About 60 bytes a state for at most a quarter of them.
        self._recent: set[int] = set()
        self._older: set[int] = set()
        self._window = 1 << 14
        del capacity  # kept for the interface; segments are allocated as the store fills

    def _segment(self, depth: int) -> list[Any]:
        """[fingerprints, parents, count, local depth]"""
        z = bytes(8 * self.size)
        return [array("Q", z), array("Q", z), 0, depth]

    def fingerprint(self, state: int) -> int:
        if self.exact:
            return state + 1  # never EMPTY; injective
        if state < 0:
            raise ValueError("states are non-negative ints")
        nb = max(self._nbytes, (state.bit_length() + 7) // 8)
        f = int.from_bytes(blake2b(state.to_bytes(nb, "little"), digest_size=8).digest(), "little")
        return f or 1

    def insert(self, state: Any, parent: Any) -> bool:  # the Store protocol's State: here ints
        return bool(self.insert_batch([state], parent))

    def insert_batch(self, states: list[int], parent: int | None) -> list[int]:
        """insert() for every successor of one parent, in order; the ones that were new.  One
        call per expanded state, the parent's fingerprint computed once: the explorer's fast path."""
        cur, prev = self._recent, self._older
        new: list[int] = []
        pf = -1
        exact = self.exact
        directory, shift, mask, limit = self.directory, 64 - self.global_depth, self.size - 1, self.limit
        ix = self.INDEX_SHIFT
        for s in states:
            if s in cur or s in prev:  # stored recently: answered in C
                continue
            f = s + 1 if exact else self.fingerprint(s)
            h = (f * _GOLDEN) & _M64
            seg = directory[h >> shift]
            fps = seg[0]
            i = (h >> ix) & mask
            x = fps[i]
            while x != f:
                if x == EMPTY:
                    break
                i = (i + 1) & mask
                x = fps[i]
            else:
                continue  # stored long ago
            if pf < 0:
                pf = self.fingerprint(parent) if parent is not None else EMPTY
            fps[i] = f
            seg[1][i] = pf
            new.append(s)
            seg[2] += 1
            if seg[2] > limit:
                self.n += len(new)
                self._split(seg)
                self.n -= len(new)
                directory, shift = self.directory, 64 - self.global_depth
        if new:
            self.n += len(new)
            cur.update(new)
            if len(cur) > self._window:
                self._older, self._recent = cur, set()
                self._window = max(1 << 14, self.n // 8)
        return new

    def _split(self, seg: list[Any]) -> None:
        depth = seg[3]
        if depth >= 48:
            raise MemoryError("fingerprint store: too many fingerprints share their leading bits")
        if depth == self.global_depth:  # double the directory: entry i becomes 2i and 2i + 1
            self.directory = [s for s in self.directory for _ in (0, 1)]
            self.global_depth += 1
        low, high = self._segment(depth + 1), self._segment(depth + 1)
        mask, ix = self.size - 1, self.INDEX_SHIFT
        bit = 63 - depth
        for f, pf in zip(seg[0], seg[1]):
            if f == EMPTY:
                continue
            h = (f * _GOLDEN) & _M64
            dst = high if (h >> bit) & 1 else low
            fps = dst[0]
            i = (h >> ix) & mask
            while fps[i] != EMPTY:
                i = (i + 1) & mask
            fps[i] = f
            dst[1][i] = pf
            dst[2] += 1
        g = self.global_depth
        for k, s in enumerate(self.directory):
            if s is seg:
                self.directory[k] = high if (k >> (g - depth - 1)) & 1 else low

    def _find(self, f: int) -> tuple[list[Any], int] | None:
        h = (f * _GOLDEN) & _M64
        seg = self.directory[h >> (64 - self.global_depth)]
        fps, mask, ix = seg[0], self.size - 1, self.INDEX_SHIFT
        i = (h >> ix) & mask
        while True:
            x = fps[i]
            if x == f:
                return seg, i
            if x == EMPTY:
                return None
            i = (i + 1) & mask

    def __contains__(self, state: int) -> bool:
        return self._find(self.fingerprint(state)) is not None

    def parent_fingerprint(self, state: int) -> int:
        """The parent's fingerprint (EMPTY for an initial state)."""
        found = self._find(self.fingerprint(state))
        if found is None:
            raise KeyError(state)
        pfs: array[int] = found[0][1]
        return pfs[found[1]]

    def parent_of_fingerprint(self, fp: int) -> int:
        """The parent's fingerprint of the state with fingerprint `fp` (EMPTY for an initial state,
        and for a fingerprint not stored here: the distributed search asks every owner)."""
        found = self._find(fp)
        if found is None:
            return EMPTY
        return cast(int, found[0][1][found[1]])

    def fingerprint_path(self, state: int) -> list[int]:
        """Fingerprints from an initial state to `state`, following parent links."""
        path = [self.fingerprint(state)]
        while True:
            found = self._find(path[-1])
            assert found is not None
            pf = found[0][1][found[1]]
            if pf == EMPTY:
                break
            path.append(pf)
        path.reverse()
        return path

    def parent(self, state: State) -> State | None:
        raise TypeError("a fingerprint store keeps no states; use checker.engine.explore.path_to")

    def __len__(self) -> int:
        return self.n

    def segments(self) -> int:
        return len({id(s) for s in self.directory})

    def memory_bytes(self) -> int:
        return self.segments() * self.size * 16 + 8 * len(self.directory)

    def collision_probability(self, transitions: int) -> float:
        """TLC's optimistic estimate: n * (generated - n) / 2^64 (0 when fingerprints are exact)."""
        if self.exact:
            return 0.0
        return min(1.0, self.n * max(transitions - self.n, 0) / 2.0 ** 64)


def make_store(kind: str, state_bits: int | None = None) -> Store:
    if kind == "exact":
        return ExactStore()
    if kind == "fingerprint":
        return FingerprintStore(state_bits)
    raise ValueError(f"unknown store '{kind}' (available: exact, fingerprint)")


class LevelStore:
    """The fingerprint store of a breadth-first search without partial-order reduction, for states
    of up to 64 bits (they are kept as they are: exact, no collision).  `visited` holds every
    stored state in the order stored, so a breadth-first level is a contiguous run of it;
    `parents` holds each one's parent as an index into `visited` (NO_PARENT for an initial state):
    16 bytes a state.  The search (explore's level loop) collects a level's successors in a dict
    and removes those stored before in one C pass against `visited` (delayed duplicate detection,
    as Korf's DDD and TLC's disk search): nothing here probes per state in Python.  A trace is
    found by `visited.index` (one C scan) and the parent indices."""

    name = "fingerprint"
    exact = True
    NO_PARENT = (1 << 64) - 1

    def __init__(self, state_bits: int) -> None:
        if state_bits > 64:
            raise ValueError("the level store keeps states of up to 64 bits")
        self.state_bits = state_bits
        self.visited = array("Q")
        self.parents = array("Q")

    def fingerprint(self, state: int) -> int:
        return state

    def fingerprint_path(self, state: int) -> list[int]:
        """The stored states from an initial state to `state`, following parent links."""
        i = self.visited.index(state)
        path = [state]
        while True:
            p = self.parents[i]
            if p == self.NO_PARENT:
                break
            i = p
            path.append(self.visited[i])
        path.reverse()
        return path

    def __contains__(self, state: int) -> bool:
        return state in self.visited  # a C scan: for a trace or a test, not per state

    def insert(self, state: Any, parent: Any) -> bool:
        """The Store protocol's insert, one C scan per call: the explorer's level loop appends in
        bulk instead; this is for tests and tools."""
        if state in self.visited:
            return False
        self.parents.append(self.NO_PARENT if parent is None else self.visited.index(parent))
        self.visited.append(state)
        return True

    def parent(self, state: State) -> State | None:
        raise TypeError("a fingerprint store keeps no parent states; use checker.engine.explore.path_to")

    def __len__(self) -> int:
        return len(self.visited)

    def memory_bytes(self) -> int:
        return self.visited.buffer_info()[1] * 8 + self.parents.buffer_info()[1] * 8

    def collision_probability(self, transitions: int) -> float:
        return 0.0  # states are their own fingerprints
