"""What a checked spec is made of: the symbols names resolve to (constants, types, enum members,
variables, bound names, machines with their states and transitions, properties), the checked spec
itself, and the default and fitting of values of its types.

Produced by :mod:`checker.lang.resolve`, read by everything after it (the interpreter, the
compiler, the reductions).  Nothing here checks or evaluates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from . import ast
from .errors import Diagnostics, SourceFile, Span
from .types import (
    BoolT,
    ChanT,
    EnumT,
    MapT,
    RangeT,
    RecordT,
    SetT,
    Type,
    format_value,
    is_optional_instance,
)

LIVENESS_KINDS = ("recoverable", "eventually", "always_eventually", "leads_to")


# --------------------------------------------------------------------------------------- symbols


@dataclass(eq=False)
class ConstSym:
    name: str
    type: Type
    value: Any
    decl: ast.ConstDecl
    overridden: bool = False


@dataclass(eq=False)
class TypeSym:
    name: str
    type: Type
    decl: Any


@dataclass(eq=False)
class EnumMemberSym:
    name: str
    enum: EnumT


@dataclass(eq=False)
class VarSym:
    name: str
    type: Type
    machine: MachineInfo | None
    decl: ast.VarDecl
    inits: list[Any] = field(default_factory=list)  # user value per instance (one for shared vars)
    # `var x: T in D` / `in any`: per instance, every value it may start with (inits holds the
    # first); None for a variable with one initial value
    choices: list[tuple[Any, ...]] | None = None
    used: bool = False


@dataclass(eq=False)
class BoundSym:
    """A name bound by a parameter, quantifier, choose or recv: a local of generated code."""

    name: str
    type: Type
    uid: int
    span: Span


@dataclass(eq=False)
class StateInfo:
    name: str
    index: int
    final: bool
    decl: ast.StateDecl


@dataclass(eq=False)
class TransitionInfo:
    name: str
    machine: MachineInfo
    state: StateInfo
    decl: ast.Transition
    params: list[tuple[BoundSym, Any]]  # (symbol, domain descriptor)
    recv: tuple[BoundSym, ast.Expr] | None
    target: StateInfo | None


@dataclass(eq=False)
class MachineInfo:
    name: str
    count: int
    symmetric: bool
    fair: bool
    decl: ast.MachineDecl
    index_type: RangeT
    locals: list[VarSym] = field(default_factory=list)
    states: list[StateInfo] = field(default_factory=list)
    initial: int = 0
    transitions: list[TransitionInfo] = field(default_factory=list)

    @property
    def state_type(self) -> EnumT:
        return EnumT(f"{self.name}.state", tuple(s.name for s in self.states))

    def instance_name(self, i: int) -> str:
        return f"{self.name}[{i}]" if self.decl.count is not None else self.name


@dataclass(frozen=True)
class InstT(Type):
    """The type of `Machine[i]` / `Machine`: a reference to an instance (not a storable value)."""

    machine: str

    def describe(self) -> str:
        return f"instance of {self.machine}"


@dataclass(eq=False)
class PropertyInfo:
    kind: str
    name: str
    decl: ast.PropertyDecl


@dataclass(eq=False)
class CheckedSpec:
    source: SourceFile
    spec: ast.Spec
    constants: dict[str, ConstSym]
    shared: list[VarSym]
    machines: list[MachineInfo]
    properties: list[PropertyInfo]
    expects: list[ast.ExpectDecl]
    types: dict[int, Type]
    refs: dict[int, Any]
    domains: dict[int, Any]
    diagnostics: Diagnostics

    @property
    def name(self) -> str:
        return self.spec.name

    def constant_values(self) -> dict[str, Any]:
        return {n: c.value for n, c in self.constants.items()}


# -------------------------------------------------------------------------------- value helpers


def default_value(t: Type) -> Any:
    """The value a variable starts with when its declaration gives none."""
    if isinstance(t, BoolT):
        return False
    if is_optional_instance(t):
        return -1  # none
    if isinstance(t, RangeT):
        return 0 if t.lo <= 0 <= t.hi else t.lo
    if isinstance(t, EnumT):
        return t.members[0]
    if isinstance(t, SetT):
        return frozenset()
    if isinstance(t, MapT):
        return tuple((k, default_value(t.value)) for k in t.key.values())  # type: ignore[attr-defined]
    if isinstance(t, RecordT):
        return tuple((f, default_value(ft)) for f, ft in t.fields)
    if isinstance(t, ChanT):
        return ()
    raise AssertionError(t)


def count_values(t: Type, limit: int = 1 << 62) -> int:
    """How many values type t has (without listing them), saturated at limit + 1 (a map of maps
    of sets has more values than fit in memory as an integer)."""
    over = limit + 1
    if isinstance(t, (BoolT, RangeT, EnumT)):
        return min(int(t.size), over)
    if isinstance(t, SetT):
        bits = count_values(t.elem, limit)
        return over if bits >= over.bit_length() else min(1 << bits, over)
    if isinstance(t, (MapT, RecordT)):
        parts = ([count_values(t.value, limit)] * count_values(t.key, limit) if isinstance(t, MapT)
                 else [count_values(ft, limit) for _, ft in t.fields])
        n = 1
        for k in parts[:over.bit_length() + 1] if all(p >= 2 for p in parts) else parts:
            n = min(n * k, over)
        return n if 0 not in parts else 0
    raise AssertionError(t)


def all_values(t: Type) -> list[Any]:
    """Every value of type t (not a channel), in a fixed order: a scalar type's own order, sets by
    size then elements, maps and records as the product of their entries' values."""
    if isinstance(t, (BoolT, RangeT, EnumT)):
        return list(t.values())
    if isinstance(t, SetT):
        elems = t.elem.values()  # type: ignore[attr-defined]
        return [frozenset(c) for k in range(len(elems) + 1) for c in itertools.combinations(elems, k)]
    if isinstance(t, MapT):
        keys = t.key.values()  # type: ignore[attr-defined]
        vals = all_values(t.value)
        return [tuple(zip(keys, combo)) for combo in itertools.product(vals, repeat=len(keys))]
    if isinstance(t, RecordT):
        names = [f for f, _ in t.fields]
        return [tuple(zip(names, combo)) for combo in itertools.product(*(all_values(ft) for _, ft in t.fields))]
    raise AssertionError(t)


def fill_value(t: Type, given_type: Type, v: Any) -> Any:
    """Broadcast `v` (of `given_type`) over the map levels of `t`; check scalars fit their type."""
    if t == given_type and not isinstance(t, RangeT):
        return v
    if isinstance(t, MapT) and t != given_type:
        return tuple((k, fill_value(t.value, given_type, v)) for k in t.key.values())  # type: ignore[attr-defined]
    check_fits(t, v)
    return v


def check_fits(t: Type, v: Any) -> None:
    if isinstance(t, RangeT):
        if isinstance(v, bool) or not isinstance(v, int) or not t.lo <= v <= t.hi:
            raise ValueError(f"{format_value(v)} is outside {t}")
    elif isinstance(t, SetT):
        for x in v:
            check_fits(t.elem, x)
    elif isinstance(t, MapT):
        for _, x in v:
            check_fits(t.value, x)
    elif isinstance(t, RecordT):
        for (_, x), (_, ft) in zip(v, t.fields):
            check_fits(ft, x)
