"""A compact breadth-first frontier for states that fit in 64 bits.

The explorer's default frontier is a deque of (state, depth) tuples: about 100 bytes a queued
state (a tuple, an int object, a pointer).  With the exact store the int objects are shared with
the store, but with the fingerprint store the frontier holds the only copy of each queued state,
and at the widest BFS level it dominates the peak.  :class:`PackedFifo` keeps queued states in an
``array('Q')`` (8 bytes each) and their depths as level boundaries (BFS appends depths in
non-decreasing order).  It offers the deque operations the explorer uses: ``append((s, d))``,
``popleft()``, ``len()``.
"""

from __future__ import annotations

from array import array
from collections import deque


class PackedFifo:
    __slots__ = ("base", "head", "last_depth", "levels", "states")

    def __init__(self) -> None:
        self.states = array("Q")
        self.head = 0  # index in `states` of the next state to pop
        self.base = 0  # absolute position of states[0] (the array is compacted as it drains)
        self.levels: deque[tuple[int, int]] = deque()  # (absolute position, depth) where a depth starts
        self.last_depth = -1

    def append(self, item: tuple[int, int]) -> None:
        s, d = item
        if d != self.last_depth:
            if d < self.last_depth:
                raise ValueError("PackedFifo is a breadth-first frontier: depths must not decrease")
            self.levels.append((self.base + len(self.states), d))
            self.last_depth = d
        self.states.append(s)

    def popleft(self) -> tuple[int, int]:
        h = self.head
        if h >= len(self.states):
            raise IndexError("pop from an empty frontier")
        s = self.states[h]
        pos = self.base + h
        levels = self.levels
        while len(levels) > 1 and levels[1][0] <= pos:
            levels.popleft()
        self.head = h + 1
        if self.head >= 65536 and self.head * 2 >= len(self.states):
            del self.states[:self.head]  # give the drained part back
            self.base += self.head
            self.head = 0
        return s, levels[0][1]

    def __len__(self) -> int:
        return len(self.states) - self.head

    def clear(self) -> None:
        """Drop every queued state (the search gives its memory back after a MemoryError)."""
        self.states = array("Q")
        self.head = self.base = 0
        self.levels.clear()
        self.last_depth = -1
