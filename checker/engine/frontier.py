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
    __slots__ = ("base", "depth", "head", "last_depth", "levels", "next_level_at", "states")

    def __init__(self) -> None:
        self.states = array("Q")
        self.head = 0  # index in `states` of the next state to pop
        self.base = 0  # absolute position of states[0] (the array is compacted as it drains)
        self.levels: deque[tuple[int, int]] = deque()  # (absolute position, depth) where a later depth starts
        self.last_depth = -1  # the depth of the last state appended
        self.depth = -1  # the depth of the states being popped
        self.next_level_at = -1  # absolute position where `levels[0]` starts (-1: no later level queued)

    def _mark(self, d: int) -> None:
        """The states appended from now on are of depth d."""
        if d < self.last_depth:
            raise ValueError("PackedFifo is a breadth-first frontier: depths must not decrease")
        pos = self.base + len(self.states)
        if self.depth < 0 or (self.next_level_at < 0 and pos == self.base + self.head):
            self.depth = d  # nothing of another depth is queued before these
        elif self.levels and self.levels[-1][0] == pos:
            self.levels[-1] = (pos, d)  # no state of the depth marked there was appended
        else:
            self.levels.append((pos, d))
            if self.next_level_at < 0:
                self.next_level_at = pos
        self.last_depth = d

    def append(self, item: tuple[int, int]) -> None:
        s, d = item
        if d != self.last_depth:
            self._mark(d)
        self.states.append(s)

    def extend_level(self, states: list[int], d: int) -> None:
        """Append states, all of depth d (one call per expansion, not one per state)."""
        if d != self.last_depth:
            self._mark(d)
        self.states.extend(states)

    def popleft(self) -> tuple[int, int]:
        h = self.head
        try:
            s = self.states[h]
        except IndexError:
            raise IndexError("pop from an empty frontier") from None
        self.head = h + 1
        if self.base + h == self.next_level_at:
            self.depth = self.levels.popleft()[1]
            self.next_level_at = self.levels[0][0] if self.levels else -1
        if h >= 65535 and h * 2 >= len(self.states):
            del self.states[:h + 1]  # give the drained part back
            self.base += h + 1
            self.head = 0
        return s, self.depth

    def __len__(self) -> int:
        return len(self.states) - self.head

    def clear(self) -> None:
        """Drop every queued state (the search gives its memory back after a MemoryError)."""
        self.states = array("Q")
        self.head = self.base = 0
        self.levels.clear()
        self.last_depth = self.depth = self.next_level_at = -1
