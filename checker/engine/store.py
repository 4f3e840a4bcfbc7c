"""Visited-state stores behind one small interface (as TLC's FPSet): the explorer never knows
which one it has.

:class:`ExactStore` keeps every state with a link to its parent, so counterexamples are exact
and memory grows with the state size.  :class:`FingerprintStore` keeps a 64-bit fingerprint per
state and the fingerprint of its parent in two flat arrays (at most 32 bytes a state); two states
with equal fingerprints are taken as one, so a collision can hide states, with the probability
it reports (TLC's estimate).  States of up to 61 bits are their own fingerprint: no collision.
"""

from __future__ import annotations

import sys
from array import array
from hashlib import blake2b
from typing import Any, Hashable, Protocol

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
    """Open addressing over two arrays of unsigned 64-bit ints: fingerprints and parent
    fingerprints.  The table grows by half when three quarters full, so it stays between half and
    three quarters full: 21 to 32 bytes a state."""

    name = "fingerprint"
    MAX_LOAD = 0.75

    def __init__(self, state_bits: int | None = None, capacity: int = 1 << 12):
        self.exact = state_bits is not None and state_bits <= 61
        self._nbytes = max(1, ((state_bits or 64) + 7) // 8)
        self._alloc(capacity)
        self.n = 0

    def _alloc(self, capacity: int) -> None:
        self.cap = capacity
        self.fps = array("Q", bytes(8 * capacity))
        self.parents = array("Q", bytes(8 * capacity))
        self.limit = int(capacity * self.MAX_LOAD)

    def fingerprint(self, state: int) -> int:
        if self.exact:
            return state + 1  # never EMPTY; injective
        if state < 0:
            raise ValueError("states are non-negative ints")
        nb = max(self._nbytes, (state.bit_length() + 7) // 8)
        f = int.from_bytes(blake2b(state.to_bytes(nb, "little"), digest_size=8).digest(), "little")
        return f or 1

    def _slot(self, f: int) -> int:
        return (((f * _GOLDEN) & _M64) * self.cap) >> 64

    def insert(self, state: Any, parent: Any) -> bool:
        f = self.fingerprint(state)
        fps = self.fps
        cap = self.cap
        i = (((f * _GOLDEN) & _M64) * cap) >> 64
        while True:
            x = fps[i]
            if x == f:
                return False
            if x == EMPTY:
                break
            i += 1
            if i == cap:
                i = 0
        fps[i] = f
        self.parents[i] = self.fingerprint(parent) if parent is not None else EMPTY
        self.n += 1
        if self.n > self.limit:
            self._grow()
        return True

    def _grow(self) -> None:
        old_f, old_p = self.fps, self.parents
        self._alloc(self.cap + self.cap // 2)
        fps, parents, cap = self.fps, self.parents, self.cap
        for f, pf in zip(old_f, old_p):
            if f != EMPTY:
                i = (((f * _GOLDEN) & _M64) * cap) >> 64
                while fps[i] != EMPTY:
                    i += 1
                    if i == cap:
                        i = 0
                fps[i] = f
                parents[i] = pf

    def _find(self, f: int) -> int:
        i = self._slot(f)
        while True:
            x = self.fps[i]
            if x == f:
                return i
            if x == EMPTY:
                return -1
            i = (i + 1) % self.cap

    def __contains__(self, state: int) -> bool:
        return self._find(self.fingerprint(state)) >= 0

    def parent_fingerprint(self, state: int) -> int:
        """The parent's fingerprint (EMPTY for an initial state)."""
        i = self._find(self.fingerprint(state))
        if i < 0:
            raise KeyError(state)
        return self.parents[i]

    def fingerprint_path(self, state: int) -> list[int]:
        """Fingerprints from an initial state to `state`, following parent links."""
        path = [self.fingerprint(state)]
        while True:
            i = self._find(path[-1])
            pf = self.parents[i]
            if pf == EMPTY:
                break
            path.append(pf)
        path.reverse()
        return path

    def parent(self, state: State) -> State | None:
        raise TypeError("a fingerprint store keeps no states; use checker.engine.explore.path_to")

    def __len__(self) -> int:
        return self.n

    def memory_bytes(self) -> int:
        return self.fps.itemsize * self.cap * 2

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
