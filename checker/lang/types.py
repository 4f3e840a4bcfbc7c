"""Semantic types of the DSL and their bit encodings.

Every value of a declared type is finite and has a fixed-width encoding, so a whole state packs
into one Python int (see :mod:`checker.engine.layout`).  Scalars: ``bool`` (1 bit), integer ranges
(offset from ``lo``), enums (member index).  Composites are contiguous bit chunks: a set is a
bitmask over its element type, a map is its values side by side in key order, a record its fields
in declaration order, a channel a length followed by ``capacity`` message slots, head first.

*User values* (what traces, ITF and the interpreter show) are: ``int``, ``bool``, enum member
name (``str``), ``frozenset`` for sets, ``tuple`` of ``(key, value)`` pairs for maps, ``tuple`` of
``(field, value)`` pairs for records, ``tuple`` of messages for channels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


class Type:
    width: int = 0

    def describe(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class IntT(Type):
    """An unbounded integer: the type of arithmetic; stored only through a bounded range type."""

    def describe(self) -> str:
        return "int"


@dataclass(frozen=True)
class BoolT(Type):
    width = 1

    @property
    def size(self) -> int:
        return 2

    def values(self) -> list[bool]:
        return [False, True]

    def encode(self, v: object) -> int:
        return 1 if v else 0

    def decode(self, n: int) -> bool:
        return bool(n)

    def describe(self) -> str:
        return "bool"


@dataclass(frozen=True)
class RangeT(Type):
    lo: int
    hi: int
    name: str = ""  # for messages only; instance types carry the machine name
    instance_of: str = ""

    @property
    def size(self) -> int:
        return self.hi - self.lo + 1

    @property
    def width(self) -> int:  # type: ignore[override]
        return max(0, (self.hi - self.lo).bit_length())

    def values(self) -> list[int]:
        return list(range(self.lo, self.hi + 1))

    def encode(self, v: int) -> int:
        return v - self.lo

    def decode(self, n: int) -> int:
        return n + self.lo

    def describe(self) -> str:
        return f"{self.name} ({self.lo}..{self.hi})" if self.name else f"{self.lo}..{self.hi}"

    def __eq__(self, other: object) -> bool:  # names are labels, not identity
        return isinstance(other, RangeT) and (self.lo, self.hi) == (other.lo, other.hi)

    def __hash__(self) -> int:
        return hash(("range", self.lo, self.hi))


@dataclass(frozen=True)
class EnumT(Type):
    name: str
    members: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def width(self) -> int:  # type: ignore[override]
        return max(0, (len(self.members) - 1).bit_length())

    def values(self) -> list[str]:
        return list(self.members)

    def encode(self, v: str) -> int:
        return self.members.index(v)

    def decode(self, n: int) -> str:
        return self.members[n]

    def describe(self) -> str:
        return self.name or "enum {" + ", ".join(self.members) + "}"


SCALARS = (BoolT, RangeT, EnumT)


def is_scalar(t: Type) -> bool:
    return isinstance(t, SCALARS)


@dataclass(frozen=True)
class SetT(Type):
    elem: Type  # a scalar type

    @property
    def width(self) -> int:  # type: ignore[override]
        return self.elem.size  # type: ignore[attr-defined, no-any-return]

    def encode(self, v: Iterable[Any]) -> int:
        n = 0
        for x in v:
            n |= 1 << self.elem.encode(x)  # type: ignore[attr-defined]
        return n

    def decode(self, n: int) -> frozenset[Any]:
        return frozenset(self.elem.decode(i) for i in range(self.width) if (n >> i) & 1)  # type: ignore[attr-defined]

    def describe(self) -> str:
        return f"set[{self.elem.describe()}]"


@dataclass(frozen=True)
class MapT(Type):
    key: Type  # a scalar type
    value: Type

    @property
    def width(self) -> int:  # type: ignore[override]
        return self.key.size * self.value.width  # type: ignore[attr-defined, no-any-return]

    def encode(self, v: Iterable[tuple[Any, Any]]) -> int:
        d = dict(v)
        w = self.value.width
        keys = self.key.values()  # type: ignore[attr-defined]
        if w and len(keys) > 64:  # one pass over a bit string: shifting a 65,536-bit int per key is quadratic
            return int("".join(format(self.value.encode(d[k]), f"0{w}b") for k in reversed(keys)), 2)  # type: ignore[attr-defined]
        n = 0
        for i, k in enumerate(keys):
            n |= self.value.encode(d[k]) << (i * w)  # type: ignore[attr-defined]
        return n

    def decode(self, n: int) -> tuple[tuple[Any, Any], ...]:
        w = self.value.width
        keys = self.key.values()  # type: ignore[attr-defined]
        if w and len(keys) > 64:  # as encode: slices of one bit string, least significant entry last
            bits = format(n, "b").zfill(w * len(keys))
            end = len(bits)
            return tuple((k, self.value.decode(int(bits[end - (i + 1) * w:end - i * w], 2)))  # type: ignore[attr-defined]
                         for i, k in enumerate(keys))
        mask = (1 << w) - 1
        return tuple((k, self.value.decode((n >> (i * w)) & mask))  # type: ignore[attr-defined]
                     for i, k in enumerate(keys))

    def describe(self) -> str:
        return f"map[{self.key.describe()}, {self.value.describe()}]"


@dataclass(frozen=True)
class RecordT(Type):
    name: str
    fields: tuple[tuple[str, Type], ...]

    @property
    def width(self) -> int:  # type: ignore[override]
        return sum(t.width for _, t in self.fields)

    def field_offset(self, name: str) -> tuple[int, Type]:
        off = 0
        for f, t in self.fields:
            if f == name:
                return off, t
            off += t.width
        raise KeyError(name)

    def encode(self, v: Iterable[tuple[str, Any]]) -> int:
        d = dict(v)
        n = 0
        off = 0
        for f, t in self.fields:
            n |= t.encode(d[f]) << off  # type: ignore[attr-defined]
            off += t.width
        return n

    def decode(self, n: int) -> tuple[tuple[str, Any], ...]:
        out = []
        off = 0
        for f, t in self.fields:
            out.append((f, t.decode((n >> off) & ((1 << t.width) - 1))))  # type: ignore[attr-defined]
            off += t.width
        return tuple(out)

    def describe(self) -> str:
        return self.name or "record {" + ", ".join(f"{f}: {t.describe()}" for f, t in self.fields) + "}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordT) and self.fields == other.fields

    def __hash__(self) -> int:
        return hash(("record", self.fields))


@dataclass(frozen=True)
class ChanT(Type):
    elem: Type
    capacity: int

    @property
    def len_width(self) -> int:
        return self.capacity.bit_length()

    @property
    def width(self) -> int:  # type: ignore[override]
        return self.len_width + self.capacity * self.elem.width

    def encode(self, v: Sequence[Any]) -> int:
        n = len(v)
        w = self.elem.width
        for i, m in enumerate(v):
            n |= self.elem.encode(m) << (self.len_width + i * w)  # type: ignore[attr-defined]
        return n

    def decode(self, n: int) -> tuple[Any, ...]:
        length = n & ((1 << self.len_width) - 1)
        w = self.elem.width
        mask = (1 << w) - 1
        return tuple(self.elem.decode((n >> (self.len_width + i * w)) & mask)  # type: ignore[attr-defined]
                     for i in range(length))

    def describe(self) -> str:
        return f"chan[{self.elem.describe()}, {self.capacity}]"


@dataclass(frozen=True)
class NoneT(Type):
    """The type of `none`, the value naming no instance: storable only where the declared type is
    an optional instance type `M?` (RangeT -1..count-1 with instance_of, -1 encoding `none`)."""

    def describe(self) -> str:
        return "none"


def is_optional_instance(t: Type | None) -> bool:
    """`M?`: an instance of M or `none` (encoded as -1)."""
    return isinstance(t, RangeT) and bool(t.instance_of) and t.lo == -1


def compatible(expected: Type, actual: Type) -> bool:
    """Can a value of type `actual` be stored where `expected` is declared (ranges checked later)."""
    if isinstance(actual, NoneT):
        return is_optional_instance(expected) or isinstance(expected, NoneT)
    if isinstance(expected, RangeT):
        return isinstance(actual, (IntT, RangeT))
    if isinstance(expected, IntT):
        return isinstance(actual, (IntT, RangeT))
    return expected == actual


def value_type(t: Type) -> Type:
    """The type an expression reading a location of type t has (ranges read as int)."""
    return IntT() if isinstance(t, RangeT) else t


def format_value(v: Any, t: Type | None = None) -> str:
    """Render a user value the way the DSL would write it."""
    if v == -1 and is_optional_instance(t) and not isinstance(v, bool):
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, frozenset):
        return "{" + ", ".join(format_value(x) for x in sorted(v, key=_sort_key)) + "}"
    if isinstance(v, tuple):
        if isinstance(t, MapT):
            return "[" + ", ".join(f"{format_value(k)}: {format_value(x, t.value)}" for k, x in v) + "]"
        if isinstance(t, RecordT):
            return "{" + ", ".join(f"{k} = {format_value(x, ft)}" for (k, x), (_, ft) in zip(v, t.fields)) + "}"
        if isinstance(t, ChanT):
            return "<" + ", ".join(format_value(x, t.elem) for x in v) + ">"
        return "(" + ", ".join(format_value(x) for x in v) + ")"
    return str(v)


def _sort_key(v: Any) -> tuple[bool, Any]:
    return (isinstance(v, str), v)
