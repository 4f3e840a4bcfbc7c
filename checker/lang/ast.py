"""The typed syntax tree of a spec: the seam between the parser and everything after it.

Nodes are frozen dataclasses; every node carries the :class:`~checker.lang.errors.Span` it came from,
excluded from equality so two specs that differ only in layout compare equal.  Nothing here knows
about Lark (the parser's tree never leaves :mod:`checker.lang.parser`) or about evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from .errors import NO_SPAN, Span

_D = TypeVar("_D")


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# ---------------------------------------------------------------------------------------- types


@dataclass(frozen=True)
class TypeExpr:
    if TYPE_CHECKING:  # every subclass has a `span` field; declared here for the type checker only
        @property
        def span(self) -> Span: ...


@dataclass(frozen=True)
class BoolType(TypeExpr):
    span: Span = _span()


@dataclass(frozen=True)
class RangeType(TypeExpr):
    lo: Expr
    hi: Expr
    span: Span = _span()


@dataclass(frozen=True)
class NamedType(TypeExpr):
    name: str
    span: Span = _span()
    optional: bool = False  # `M?`: an instance of machine M or `none`


@dataclass(frozen=True)
class SetType(TypeExpr):
    elem: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class MapType(TypeExpr):
    key: TypeExpr
    value: TypeExpr
    span: Span = _span()


@dataclass(frozen=True, eq=False)
class EnumType(TypeExpr):
    members: tuple[tuple[str, Span], ...]
    span: Span = _span()

    # the member spans sit inside the tuple, so equality is spelled out to leave them out
    def __eq__(self, other: object) -> bool:
        return isinstance(other, EnumType) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[str, ...]:
        return tuple(m for m, _ in self.members)


@dataclass(frozen=True, eq=False)
class RecordType(TypeExpr):
    fields: tuple[tuple[str, TypeExpr, Span], ...]
    span: Span = _span()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordType) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[tuple[str, TypeExpr], ...]:
        return tuple((f, t) for f, t, _ in self.fields)


@dataclass(frozen=True)
class ChanType(TypeExpr):
    elem: TypeExpr
    capacity: Expr
    span: Span = _span()


# ---------------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Expr:
    if TYPE_CHECKING:  # every subclass has a `span` field; declared here for the type checker only
        @property
        def span(self) -> Span: ...


@dataclass(frozen=True)
class IntLit(Expr):
    value: int
    span: Span = _span()


@dataclass(frozen=True)
class BoolLit(Expr):
    value: bool
    span: Span = _span()


@dataclass(frozen=True)
class Name(Expr):
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class SelfRef(Expr):
    span: Span = _span()


@dataclass(frozen=True)
class SetLit(Expr):
    elems: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class RecordLit(Expr):
    fields: tuple[tuple[str, Expr], ...]
    span: Span = _span()


@dataclass(frozen=True)
class Index(Expr):
    base: Expr
    index: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Field(Expr):
    base: Expr
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class At(Expr):
    """`Machine[i] at state`: is instance i in that control state."""

    base: Expr
    state: str
    span: Span = _span()


@dataclass(frozen=True)
class Unary(Expr):
    op: str  # "-" or "not"
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Binary(Expr):
    # arithmetic + - * / %, comparison == != < <= > >=, logic and or =>,
    # sets union intersect minus
    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class RangeExpr(Expr):
    """`lo..hi` used as a domain (membership, quantifiers, choose, parameters)."""

    lo: Expr
    hi: Expr
    span: Span = _span()


@dataclass(frozen=True)
class In(Expr):
    elem: Expr
    domain: Expr
    negated: bool
    span: Span = _span()


@dataclass(frozen=True)
class Quant(Expr):
    kind: str  # "forall" or "exists"
    var: str
    domain: Expr
    body: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Comprehension(Expr):
    """`{x in D where C}` (filter: `elem` is None) or `{e for x in D [where C]}` (image):
    the set of the values of x (or of e) over the values of D that satisfy C."""

    var: str
    domain: Expr
    cond: Expr | None
    elem: Expr | None
    span: Span = _span()


@dataclass(frozen=True)
class Cond(Expr):
    cond: Expr
    then: Expr
    orelse: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Call(Expr):
    func: Expr  # min, max, len, abs
    args: tuple[Expr, ...]
    span: Span = _span()


# ----------------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Stmt:
    pass


@dataclass(frozen=True)
class Assign(Stmt):
    target: Expr  # Name, Index or Field chain
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class If(Stmt):
    branches: tuple[tuple[Expr, tuple[Stmt, ...]], ...]
    orelse: tuple[Stmt, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Choose(Stmt):
    """`choose x in D where C`: the rest of the enclosing block runs once per binding."""

    var: str
    domain: Expr
    cond: Expr | None
    body: tuple[Stmt, ...]
    span: Span = _span()


@dataclass(frozen=True)
class For(Stmt):
    """`for x in D { ... }`: the body runs once per value of D, in the domain's order, each
    iteration seeing the writes of the ones before; D is evaluated once, before the first."""

    var: str
    domain: Expr
    body: tuple[Stmt, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Send(Stmt):
    value: Expr
    chan: Expr
    span: Span = _span()


@dataclass(frozen=True)
class MethodCall(Stmt):
    """`s.add(x)` / `s.remove(x)` on a set."""

    target: Expr
    method: str
    args: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Assert(Stmt):
    cond: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Skip(Stmt):
    span: Span = _span()


# --------------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class ConstDecl:
    name: str
    type: TypeExpr | None
    value: Expr
    doc: str = ""
    span: Span = _span()


@dataclass(frozen=True)
class TypeDecl:
    name: str
    type: TypeExpr
    doc: str = ""
    span: Span = _span()


@dataclass(frozen=True)
class VarDecl:
    """`var x: T [= e]`, or a nondeterministic start: `var x: T in D` (any value of the domain D,
    an expression over constants) or `var x: T in any` (every value of T); then `init` is None."""

    name: str
    type: TypeExpr
    init: Expr | None
    doc: str = ""
    span: Span = _span()
    init_in: Expr | None = None  # `in D`
    init_any: bool = False  # `in any`

    @property
    def nondeterministic(self) -> bool:
        return self.init_in is not None or self.init_any


@dataclass(frozen=True)
class Param:
    name: str
    domain: Expr | TypeExpr  # `x: Type` or `x in domain`
    span: Span = _span()


@dataclass(frozen=True)
class Recv:
    var: str
    chan: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Transition:
    name: str
    params: tuple[Param, ...]
    recv: Recv | None
    guard: Expr | None
    body: tuple[Stmt, ...]
    target: str | None
    fair: bool = False
    doc: str = ""
    span: Span = _span()
    target_span: Span = _span()


@dataclass(frozen=True)
class StateDecl:
    name: str
    initial: bool
    final: bool
    transitions: tuple[Transition, ...]
    doc: str = ""
    span: Span = _span()


@dataclass(frozen=True)
class MachineDecl:
    name: str
    count: Expr | None
    modifiers: tuple[str, ...]  # "symmetric", "fair"
    vars: tuple[VarDecl, ...]
    states: tuple[StateDecl, ...]
    doc: str = ""
    span: Span = _span()


@dataclass(frozen=True)
class PropertyDecl:
    # invariant, reachable, deadlock_free, recoverable, eventually, always_eventually, leads_to
    kind: str
    name: str
    expr: Expr | None
    expr2: Expr | None = None
    doc: str = ""
    span: Span = _span()


@dataclass(frozen=True)
class ExpectDecl:
    verdict: str  # "holds" or "violated"
    names: tuple[str, ...]
    when: Expr | None = None  # `expect ... when COND`: applies when COND (over constants) holds
    span: Span = _span()


@dataclass(frozen=True)
class DefDecl:
    """`def NAME(p: T, ...): R = EXPR`: a pure, non-recursive definition, inlined where it is used
    (checker.lang.defs) before names and types are resolved; `params` is empty for `def NAME: R`."""

    name: str
    params: tuple[Param, ...]
    result: TypeExpr
    body: Expr
    doc: str = ""
    span: Span = _span()


Decl = ConstDecl | TypeDecl | VarDecl | MachineDecl | PropertyDecl | ExpectDecl | DefDecl


@dataclass(frozen=True)
class Spec:
    name: str
    decls: tuple[Decl, ...]
    doc: str = ""
    span: Span = _span()

    def of(self, kind: type[_D]) -> list[_D]:
        return [d for d in self.decls if isinstance(d, kind)]
