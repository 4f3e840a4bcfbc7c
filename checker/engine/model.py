"""The model interface: all the explorer, stores, reductions and traces know of a protocol.

A model is a finite transition system over hashable states.  :mod:`checker.engine.compile` builds one
from a DSL spec; a test (or a team) can implement one by hand in Python.  Nothing here knows the
DSL.  States are opaque to the explorer; a model decodes them for display.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

State = Hashable
_S = TypeVar("_S", bound=Hashable)  # a model's own state type (a packed int for a compiled spec)


@dataclass(frozen=True)
class Label:
    """Which transition fired: the model's action id plus its parameter and choose bindings."""

    action: int
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class PropertySpec:
    kind: str  # "invariant", "reachable", "deadlock_free"
    name: str
    index: int


class ModelError(Exception):
    """Raised by a model's successor or property function: a value left its type, a full channel..."""

    def __init__(self, code: int, value: Any = None, label: Label | None = None):
        super().__init__(code, value)
        self.code = code
        self.value = value
        self.label = label


class Model(Protocol[_S]):
    properties: Sequence[PropertySpec]

    def initial_states(self) -> list[_S]: ...

    def successors(self, s: _S) -> list[_S]:
        """Every successor of s, in a fixed order (raises ModelError)."""

    def labeled_successors(self, s: _S) -> list[tuple[Label, _S]]:
        """Same states and order as successors(), each with the label of the transition."""

    def violated_invariant(self, s: _S) -> int:
        """Index (into properties) of the first invariant s violates, or -1."""

    def witnesses(self, s: _S) -> int:
        """Bit i set when s satisfies the i-th `reachable` property (bit index = property index)."""

    def is_final(self, s: _S) -> bool:
        """Is s a legitimate end state (for deadlock detection)?"""
