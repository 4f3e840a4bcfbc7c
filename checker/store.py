"""Visited-state stores behind one small interface (as TLC's FPSet): the explorer never knows
which one it has.

:class:`ExactStore` keeps every state with a link to its parent, so counterexamples are exact
and memory grows with the state size.  Later stores (fingerprints, disk) implement the same four
methods.
"""

from __future__ import annotations

import sys
from typing import Hashable, Protocol

State = Hashable


class Store(Protocol):
    name: str

    def insert(self, state: State, parent: State | None) -> bool:
        """Record state (reached from parent); False when it was already there."""

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


def make_store(kind: str) -> Store:
    if kind == "exact":
        return ExactStore()
    raise ValueError(f"unknown store '{kind}' (available: exact)")
