"""Random small protocols as spec text: a hypothesis strategy for property-based tests.

    from hypothesis import given
    from tests.genspec import protocols

    @given(protocols())
    def test_something(text: str) -> None:
        spec = api.load_text(text)          # always loads: well-typed by construction
        ...

A drawn protocol has shared variables of every kind of type (bool, ranges, enums, sets, maps,
records, channels, maps of channels), one to three machines of one to three instances with local
variables, control states (`init`, `final`) and transitions with parameters, `recv`, guards,
assignments to variables, map entries and record fields, `if`/`elif`/`else`, `choose ... where`,
bounded loops `for x in D { ... }` (over every kind of domain, nested, never holding a
`choose`), set `add`/`remove`, `send`, `assert` and `skip`, set comprehensions
(`{x in S where C}`, `{e for x in D where C}`) wherever a set value goes; then invariants (some true by construction, so
that many runs explore the whole space), `reachable` properties and optionally `deadlock_free`.

Guarantees, so a test can rely on them:

* the text parses and type-checks (`api.load_text` raises nothing); warnings are possible;
* the product of all variable domains (control states included) is at most ``max_space``, so a
  full exploration takes well under a second;
* with ``model_errors=False`` (the default) no reachable state raises a model error: stored
  values are clamped into their ranges, map keys and instance indices are within their domains,
  sends are guarded by a capacity test, divisors are positive literals and assertions are
  tautologies.  With ``model_errors=True`` all of these may fail, as a real spec's would.

The strategy draws every choice through hypothesis, so failures shrink to small protocols.

`por_protocols()` (a strategy) and `por_protocol(seed)` (a fixed protocol per seed) draw a second
family, built so that partial-order reduction fires often and a wrong reduction shows: see the
section "protocols aimed at POR" at the end of this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# ------------------------------------------------------------------------------ generator types


@dataclass(frozen=True)
class TBool:
    pass


@dataclass(frozen=True)
class TRange:
    lo: int
    hi: int
    name: str = ""  # how the type is written ("" writes lo..hi)
    machine: str = ""  # set for the index type of a machine


@dataclass(frozen=True)
class TEnum:
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class TSet:
    elem: Any


@dataclass(frozen=True)
class TMap:
    key: Any
    value: Any
    key_text: str = ""  # how the key type is written when it is not the key's own text


@dataclass(frozen=True)
class TRecord:
    name: str  # "" for an inline record type
    fields: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class TChan:
    elem: Any
    cap: int


SCALAR = (TBool, TRange, TEnum)


def size(t: Any) -> int:
    """How many values the type has."""
    if isinstance(t, TBool):
        return 2
    if isinstance(t, TRange):
        return t.hi - t.lo + 1
    if isinstance(t, TEnum):
        return len(t.members)
    if isinstance(t, TSet):
        return 2 ** size(t.elem)
    if isinstance(t, TMap):
        return size(t.value) ** size(t.key)
    if isinstance(t, TRecord):
        n = 1
        for _, ft in t.fields:
            n *= size(ft)
        return n
    if isinstance(t, TChan):
        return sum(size(t.elem) ** i for i in range(t.cap + 1))
    raise AssertionError(t)


def same(a: Any, b: Any) -> bool:
    """Would the checker consider the two types equal (ranges by bounds, enums by name)?"""
    if isinstance(a, TRange) and isinstance(b, TRange):
        return (a.lo, a.hi) == (b.lo, b.hi)
    if type(a) is not type(b):
        return False
    if isinstance(a, TBool):
        return True
    if isinstance(a, TEnum):
        return a.name == b.name
    if isinstance(a, TSet):
        return same(a.elem, b.elem)
    if isinstance(a, TMap):
        return same(a.key, b.key) and same(a.value, b.value)
    if isinstance(a, TRecord):
        return len(a.fields) == len(b.fields) and all(
            fa == fb and same(ta, tb) for (fa, ta), (fb, tb) in zip(a.fields, b.fields))
    if isinstance(a, TChan):
        return same(a.elem, b.elem) and a.cap == b.cap
    return False


def type_text(t: Any) -> str:
    if isinstance(t, TBool):
        return "bool"
    if isinstance(t, TRange):
        return t.name or t.machine or f"{t.lo}..{t.hi}"
    if isinstance(t, TEnum):
        return t.name
    if isinstance(t, TSet):
        return f"set[{type_text(t.elem)}]"
    if isinstance(t, TMap):
        return f"map[{t.key_text or type_text(t.key)}, {type_text(t.value)}]"
    if isinstance(t, TRecord):
        if t.name:
            return t.name
        return "record { " + ", ".join(f"{f}: {type_text(ft)}" for f, ft in t.fields) + " }"
    if isinstance(t, TChan):
        return f"chan[{type_text(t.elem)}, {t.cap}]"
    raise AssertionError(t)


def _reaches(t: Any, want: Callable[[Any], bool]) -> bool:
    if want(t):
        return True
    if isinstance(t, TMap):
        return _reaches(t.value, want)
    if isinstance(t, TRecord):
        return any(_reaches(ft, want) for _, ft in t.fields)
    return False


def _is_range(t: Any) -> bool:
    return isinstance(t, TRange)


def _is_bool(t: Any) -> bool:
    return isinstance(t, TBool)


def _is_set(t: Any) -> bool:
    return isinstance(t, TSet)


def _is_chan(t: Any) -> bool:
    return isinstance(t, TChan)


def _has_chan(t: Any) -> bool:
    return _reaches(t, _is_chan)


# ----------------------------------------------------------------------------------- protocol


@dataclass
class _Machine:
    name: str
    count: int | None  # None: a singleton written without [n]
    states: list[str]
    locals: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.count or 1

    @property
    def index_type(self) -> TRange:
        return TRange(0, self.n - 1, machine=self.name)


@dataclass
class _Ctx:
    machine: _Machine | None  # the machine whose code this is (None in properties)
    env: list[tuple[str, Any]]  # bound names and their types

    def bind(self, name: str, t: Any) -> _Ctx:
        return _Ctx(self.machine, self.env + [(name, t)])


class _Gen:
    def __init__(self, draw: Callable, *, max_machines: int, max_instances: int, max_space: int,
                 model_errors: bool, deadlock: bool, symmetric: bool, initial_domains: bool = False):
        self.draw = draw
        self.initial_domains = initial_domains
        self.max_machines = max_machines
        self.max_instances = max_instances
        self.max_space = max_space
        self.errors = model_errors
        self.deadlock = deadlock
        self.symmetric = symmetric
        self.counter = 0
        self.consts: list[str] = []
        self.type_decls: list[str] = []
        self.named: list[Any] = []  # declared range, enum and record types, for reuse
        self.shared: list[tuple[str, Any]] = []
        self.late: list[tuple[str, Any]] = []  # shared vars declared after the machines
        self.machines: list[_Machine] = []
        self.inits: dict[str, str] = {}

    # ---- drawing helpers
    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def pick(self, xs: list) -> Any:
        assert xs, "nothing to pick from"
        return self.draw(st.sampled_from(xs))

    def num(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def chance(self, percent: int) -> bool:
        # shrinks toward False: minimal examples use the fewest optional features
        return self.draw(st.integers(0, 99)) >= 100 - percent

    # ---- types
    def scalar_type(self, max_size: int, fresh_names: bool = True) -> Any:
        kinds = ["bool"] if max_size >= 2 else []
        kinds += ["range", "range"] if max_size >= 1 else []
        if max_size >= 1:
            kinds.append("enum")
        kind = self.pick(kinds)
        if kind == "bool":
            return TBool()
        if kind == "enum":
            old = [t for t in self.named if isinstance(t, TEnum) and size(t) <= max_size]
            if old and (not fresh_names or self.chance(50)):
                return self.pick(old)
            n = self.num(min(2, max_size), min(3, max_size))
            name = self.fresh("E")
            # members not in alphabetical order: code that sorts them by name shows
            t = TEnum(name, tuple(f"{name.lower()}{c}" for c in "cab"[:n]))
            self.type_decls.append(f"type {name} = enum {{ {', '.join(t.members)} }}")
            self.named.append(t)
            return t
        old = [t for t in self.named if isinstance(t, TRange) and size(t) <= max_size]
        if old and self.chance(30):
            return self.pick(old)
        lo = self.pick([0, 0, 1, -1])
        hi = lo + self.num(min(1, max_size - 1), min(3, max_size - 1))
        if fresh_names and self.chance(30):
            name = self.fresh("T")
            if self.chance(50):
                c = self.fresh("C")
                self.consts.append(f"const {c} = {hi}" if self.chance(50) else
                                   f"const {c}: {hi}..{hi + 2} = {hi}")
                self.type_decls.append(f"type {name} = {lo}..{c}")
            else:
                self.type_decls.append(f"type {name} = {lo}..{hi}")
            t = TRange(lo, hi, name)
            self.named.append(t)
            return t
        return TRange(lo, hi)

    def var_type(self, max_size: int, allow_chan: bool) -> Any | None:
        if max_size < 1:
            return None
        kinds = ["scalar", "scalar", "scalar"]
        if max_size >= 2:
            kinds += ["set", "map", "record"]
            if allow_chan:
                kinds.append("chan")
        kind = self.pick(kinds)
        if kind == "scalar":
            return self.scalar_type(max_size)
        if kind == "set":
            n = max_size.bit_length() - 1  # 2**n <= max_size
            return TSet(self.scalar_type(min(n, 4)))
        if kind == "map":
            key = self.scalar_type(3)
            k = size(key)
            per = int(max_size ** (1 / k)) if k else max_size
            while (per + 1) ** k <= max_size:  # int(x ** (1/k)) may round down one too far
                per += 1
            if per < 1:
                return self.scalar_type(max_size)
            val = self.var_type(per, allow_chan=False) if self.chance(30) else self.scalar_type(per)
            if val is None or size(val) ** k > max_size:
                return self.scalar_type(max_size)
            return TMap(key, val)
        if kind == "record":
            old = [t for t in self.named if isinstance(t, TRecord) and size(t) <= max_size]
            if old and self.chance(40):
                return self.pick(old)
            fields = []
            left = max_size
            for i in range(self.num(1, 3)):
                if left < 1:
                    break
                ft = self.scalar_type(left) if not (left >= 4 and self.chance(20)) else TSet(
                    self.scalar_type(min(left.bit_length() - 1, 2)))
                if size(ft) > left:
                    break
                fields.append((f"f{i}", ft))
                left //= size(ft)
            if not fields:
                return self.scalar_type(max_size)
            if self.chance(50):
                name = self.fresh("R")
                t = TRecord(name, tuple(fields))
                self.type_decls.append(
                    f"type {name} = record {{ {', '.join(f'{f}: {type_text(ft)}' for f, ft in fields)} }}")
                self.named.append(t)
                return t
            return TRecord("", tuple(fields))
        elem = self.scalar_type(3)
        for cap in (3, 2, 1):
            t = TChan(elem, cap)
            if size(t) <= max_size and (cap == 1 or self.chance(50)):
                return t
        return self.scalar_type(max_size)

    # ---- whole protocol
    def protocol(self) -> str:
        budget = self.max_space
        for i in range(self.num(1, self.max_machines)):
            n_states = self.num(1, 3)
            counted = self.chance(70)
            count = None
            if counted:
                count = 1
                for c in range(self.num(1, self.max_instances), 0, -1):
                    if n_states ** c * 2 <= budget:
                        count = c
                        break
            m = _Machine(f"M{i}", count, [f"s{j}" for j in range(n_states)])
            budget //= n_states ** m.n
            self.machines.append(m)
        budget = max(budget, 1)
        for _ in range(self.num(1, 4)):
            t = self.var_type(min(budget, 64), allow_chan=True)
            if t is None or size(t) > budget:
                break
            budget //= size(t)
            self.shared.append((self.fresh("g"), t))
        for m in self.machines:
            for _ in range(self.num(0, 2)):
                per = int(budget ** (1 / m.n))
                while (per + 1) ** m.n <= budget:
                    per += 1
                t = self.var_type(min(per, 32), allow_chan=False)
                if t is None or size(t) ** m.n > budget:
                    break
                budget //= size(t) ** m.n
                m.locals.append((self.fresh("x"), t))
        counted = [m for m in self.machines if m.count]
        if counted and budget >= 2 and self.chance(40):
            m = self.pick(counted)
            per = int(budget ** (1 / m.n))
            while (per + 1) ** m.n <= budget:
                per += 1
            val: Any = None
            if per >= 3 and self.chance(40):
                val = TChan(self.scalar_type(min(per - 1, 3)), 1)
                if size(val) > per:
                    val = None
            if val is None and per >= 2:
                val = self.scalar_type(min(per, 4))
            if val is not None and size(val) ** m.n <= budget:
                budget //= size(val) ** m.n
                self.late.append((self.fresh("g"), TMap(m.index_type, val, key_text=m.name)))

        out = [f"protocol {self.fresh('P')}"]
        body_parts: list[str] = []
        for name, t in self.shared:
            body_parts.append(self.var_decl(name, t, None))
        machine_text = [self.machine(m) for m in self.machines]
        late_text = [self.var_decl(name, t, None) for name, t in self.late]
        props = self.properties()
        out += self.consts + self.type_decls + body_parts + machine_text + late_text + props
        return "\n".join(out) + "\n"

    def var_decl(self, name: str, t: Any, machine: _Machine | None) -> str:
        init = ""
        if self.initial_domains and not _has_chan(t) and self.chance(25):
            init = self.initial_domain(t, machine)
        elif not _has_chan(t) and self.chance(60):
            init = " = " + self.initial(t, machine)
        return f"var {name}: {type_text(t)}{init}"

    def initial_domain(self, t: Any, machine: _Machine | None) -> str:
        """`in any` (small types), `in lo..hi` (ranges) or `in {v, ...}` (a few constant values,
        `self` among them for a local, composite values listed): several initial states."""
        kinds = ["list"] if not isinstance(t, TMap) else []
        if size(t) <= 16:
            kinds.append("any")
        if isinstance(t, TRange):
            kinds.append("range")
        if not kinds:
            return " = " + self.initial(t, machine)
        kind = self.pick(kinds)
        if kind == "any":
            return " in any"
        if kind == "range":
            lo = self.num(t.lo, t.hi)
            return f" in {lo}..{self.num(lo, t.hi)}"
        vals = [self.const_value(t, machine) for _ in range(self.num(1, 3))]
        return " in {" + ", ".join(vals) + "}"

    def initial(self, t: Any, machine: _Machine | None) -> str:
        """A constant initial value; a map may get one value for every key (broadcast)."""
        if isinstance(t, TMap) and not _has_chan(t.value) and self.chance(60):
            return self.const_value(t.value, machine)
        return self.const_value(t, machine)

    def const_value(self, t: Any, machine: _Machine | None) -> str:
        if isinstance(t, TBool):
            return self.pick(["true", "false"])
        if isinstance(t, TRange):
            if machine is not None and t.lo <= 0 and machine.n - 1 <= t.hi and self.chance(30):
                return "self"
            return str(self.num(t.lo, t.hi))
        if isinstance(t, TEnum):
            return self.pick(list(t.members))
        if isinstance(t, TSet):
            vals = self.draw(st.lists(st.sampled_from(self.scalar_values(t.elem)), max_size=3))
            return "{" + ", ".join(vals) + "}"
        if isinstance(t, TRecord):
            parts = [f"{f} = {self.const_value(ft, machine)}" for f, ft in t.fields]
            order = self.draw(st.permutations(parts))
            return "{" + ", ".join(order) + "}"
        if isinstance(t, TMap):
            return self.const_value(t.value, machine)
        raise AssertionError(t)

    @staticmethod
    def scalar_values(t: Any) -> list[str]:
        if isinstance(t, TBool):
            return ["false", "true"]
        if isinstance(t, TRange):
            return [str(v) for v in range(t.lo, t.hi + 1)]
        return list(t.members)

    # ---- machines
    def machine(self, m: _Machine) -> str:
        mods = ""
        if self.symmetric and m.count:
            mods = "symmetric "
        elif self.chance(10):
            mods = "fair "
        head = f"{mods}machine {m.name}" + (f"[{m.count}]" if m.count else "") + " {"
        lines = [head]
        for name, t in m.locals:
            lines.append("  " + self.var_decl(name, t, m))
        init = self.num(0, len(m.states) - 1) if self.chance(40) else None
        for j, s in enumerate(m.states):
            final = self.chance(25)
            flags = ("init " if init == j else "") + ("final " if final else "")
            lines.append(f"  {flags}state {s} {{")
            for k in range(self.num(1, 2 if not self.chance(20) else 3) if not (final and self.chance(50)) else 0):
                lines.extend(self.transition(m, s, f"t{k}", "    "))
            lines.append("  }")
        lines.append("}")
        return "\n".join(lines)

    def transition(self, m: _Machine, state: str, name: str, ind: str) -> list[str]:
        ctx = _Ctx(m, [])
        head = ("fair " if self.chance(5) else "") + f"on {name}"
        params = []
        for _ in range(self.num(0, 2) if self.chance(40) else 0):
            p = self.fresh("p")
            if self.chance(50):
                t = self.scalar_type(3, fresh_names=False)
                params.append(f"{p}: {type_text(t)}")
                ctx = ctx.bind(p, t)
            else:
                dom, t = self.domain(ctx)
                params.append(f"{p} in {dom}")
                ctx = ctx.bind(p, t)
        if params:
            head += "(" + ", ".join(params) + ")"
        chans = self.places(ctx, _is_chan, assignable=True)
        if chans and self.chance(30):
            v = self.fresh("v")
            chan, ct = self.descend(ctx, self.pick(chans), _is_chan)
            head += f" recv {v} from {chan}"
            ctx = ctx.bind(v, ct.elem)
        if self.chance(35):
            head += f" when {self.bool_expr(ctx, 2)}"
        body = self.block(ctx, ind + "  ", 2, at_least=1)
        if self.chance(80):  # most transitions move a variable on, so state spaces are not trivial
            body[self.num(0, len(body)):0] = self.progress(ctx, ind + "  ")
        target = ""
        if len(m.states) > 1 and not self.chance(30):
            j = m.states.index(state)
            # usually onward to the next state, so that most states are reached
            target = f" -> {m.states[(j + 1) % len(m.states)] if self.chance(50) else self.pick(m.states)}"
        if not body:
            return [f"{ind}{head} {{ }}{target}"]
        return [f"{ind}{head} {{"] + body + [f"{ind}}}{target}"]

    # ---- places (variables and their parts)
    def readables(self, ctx: _Ctx) -> list[tuple[str, Any]]:
        out = list(self.shared) + list(self.late) + list(ctx.env)
        if ctx.machine is not None:
            out += ctx.machine.locals
        for m in self.machines:
            for sel in self.instances(m, ctx):
                out += [(f"{sel}.{n}", t) for n, t in m.locals]
        return out

    def instances(self, m: _Machine, ctx: _Ctx) -> list[str]:
        """Texts denoting instances of m: M (singleton), M[0], M[q] for a bound q, M[self]."""
        if not m.count:
            return [m.name]
        out = [f"{m.name}[{i}]" for i in range(m.n)]
        out += [f"{m.name}[{n}]" for n, t in ctx.env if isinstance(t, TRange) and t.machine == m.name]
        if ctx.machine is m:
            out.append(f"{m.name}[self]")
        if self.errors and self.chance(10):
            out.append(f"{m.name}[{self.int_expr(ctx, 1)[0]}]")
        return out

    def places(self, ctx: _Ctx, want: Callable[[Any], bool], assignable: bool = False) -> list:
        if assignable:
            cands = list(self.shared) + list(self.late)
            if ctx.machine is not None:
                cands += ctx.machine.locals
        else:
            cands = self.readables(ctx)
        return [(x, t) for x, t in cands if _reaches(t, want)]

    def descend(self, ctx: _Ctx, place: tuple[str, Any], want: Callable[[Any], bool]) -> tuple[str, Any]:
        """Walk into map entries and record fields until a part of the wanted type."""
        x, t = place
        while not want(t):
            if isinstance(t, TMap):
                x, t = f"{x}[{self.key(t.key, ctx)}]", t.value
            else:
                f, ft = self.pick([(f, ft) for f, ft in t.fields if _reaches(ft, want)])
                x, t = f"{x}.{f}", ft
        return x, t

    def read(self, ctx: _Ctx, want: Callable[[Any], bool]) -> tuple[str, Any] | None:
        cands = self.places(ctx, want)
        if not cands:
            return None
        return self.descend(ctx, self.pick(cands), want)

    # ---- values that certainly fit a scalar type
    def key(self, t: Any, ctx: _Ctx) -> str:
        return self.fitting(t, ctx, 1)

    def fitting(self, t: Any, ctx: _Ctx, d: int) -> str:
        if isinstance(t, TBool):
            return self.bool_expr(ctx, d)
        if isinstance(t, TEnum):
            return self.enum_expr(t, ctx, d)
        assert isinstance(t, TRange)
        if self.errors and self.chance(15):
            return self.int_expr(ctx, d)[0]
        reads = [x for x, xt in self.readables(ctx)
                 if isinstance(xt, TRange) and t.lo <= xt.lo and xt.hi <= t.hi]
        kinds = ["lit"] + (["read"] if reads else []) + (["expr"] if d > 0 else [])
        if ctx.machine is not None and t.lo <= 0 and ctx.machine.n - 1 <= t.hi:
            kinds.append("self")
        kind = self.pick(kinds)
        if kind == "lit":
            return str(self.num(t.lo, t.hi))
        if kind == "read":
            return self.pick(reads)
        if kind == "self":
            return "self"
        e, lo, hi = self.int_expr(ctx, d)
        return e if t.lo <= lo and hi <= t.hi else f"min(max({e}, {t.lo}), {t.hi})"

    # ---- expressions
    def int_expr(self, ctx: _Ctx, d: int) -> tuple[str, int, int]:
        """An integer expression with an interval that contains every value it can take."""
        kinds = ["lit"]
        r = self.places(ctx, _is_range)
        if r:
            kinds += ["read", "read"]
        if ctx.machine is not None:
            kinds.append("self")
        if d > 0:
            kinds += ["add", "sub", "mul", "div", "mod", "minmax", "abs", "neg", "cond"]
            if self.places(ctx, lambda t: isinstance(t, (TSet, TChan))):
                kinds.append("len")
        kind = self.pick(kinds)
        if kind == "lit":
            v = self.num(-2, 3)
            return str(v), v, v
        if kind == "read":
            x, t = self.descend(ctx, self.pick(r), _is_range)
            return x, t.lo, t.hi
        if kind == "self":
            return "self", 0, ctx.machine.n - 1  # type: ignore[union-attr]
        if kind == "len":
            x, t = self.read(ctx, lambda t: isinstance(t, (TSet, TChan)))  # type: ignore[misc]
            return f"len({x})", 0, (size(t.elem) if isinstance(t, TSet) else t.cap)
        if kind in ("add", "sub", "mul"):
            a, alo, ahi = self.int_expr(ctx, d - 1)
            b, blo, bhi = self.int_expr(ctx, d - 1)
            if kind == "add":
                return f"({a} + {b})", alo + blo, ahi + bhi
            if kind == "sub":
                return f"({a} - {b})", alo - bhi, ahi - blo
            prods = [x * y for x in (alo, ahi) for y in (blo, bhi)]
            return f"({a} * {b})", min(prods), max(prods)
        if kind in ("div", "mod"):
            a, alo, ahi = self.int_expr(ctx, d - 1)
            if self.errors and self.chance(30):
                b, blo, bhi = self.int_expr(ctx, d - 1)
                m = max(abs(alo), abs(ahi))
                return f"({a} {'/' if kind == 'div' else '%'} {b})", -m, m
            k = self.num(1, 3)
            if kind == "div":
                return f"({a} / {k})", _trunc(alo, k), _trunc(ahi, k)
            if alo >= 0:
                return f"({a} % {k})", 0, min(ahi, k - 1)
            return f"({a} % {k})", -(k - 1), k - 1
        if kind == "minmax":
            f = self.pick(["min", "max"])
            args = [self.int_expr(ctx, d - 1) for _ in range(self.num(2, 3))]
            g = min if f == "min" else max
            return (f"{f}({', '.join(a for a, _, _ in args)})",
                    g(lo for _, lo, _ in args), g(hi for _, _, hi in args))
        if kind == "abs":
            a, lo, hi = self.int_expr(ctx, d - 1)
            if lo >= 0:
                return f"abs({a})", lo, hi
            if hi <= 0:
                return f"abs({a})", -hi, -lo
            return f"abs({a})", 0, max(-lo, hi)
        if kind == "neg":
            a, lo, hi = self.int_expr(ctx, d - 1)
            return f"-({a})", -hi, -lo
        c = self.bool_expr(ctx, d - 1)
        a, alo, ahi = self.int_expr(ctx, d - 1)
        b, blo, bhi = self.int_expr(ctx, d - 1)
        return f"(if {c} then {a} else {b})", min(alo, blo), max(ahi, bhi)

    def enum_expr(self, t: TEnum, ctx: _Ctx, d: int) -> str:
        places = self.places(ctx, lambda u: same(u, t))
        kinds = ["lit"] + (["read", "read"] if places else []) + (["cond"] if d > 0 else [])
        kind = self.pick(kinds)
        if kind == "lit":
            return self.pick(list(t.members))
        if kind == "read":
            return self.descend(ctx, self.pick(places), lambda u: same(u, t))[0]
        return f"(if {self.bool_expr(ctx, d - 1)} then {self.enum_expr(t, ctx, d - 1)} " \
               f"else {self.enum_expr(t, ctx, d - 1)})"

    def set_expr(self, t: TSet, ctx: _Ctx, d: int) -> str:
        """A set of type t (always written where a set of type t is expected, so a comprehension
        over another domain takes t as its type)."""
        same_places = self.places(ctx, lambda u: same(u, t))
        kinds = ["lit"]
        if same_places:
            kinds += ["read", "op", "filter"]
        if d > 0 or self.chance(20):
            kinds += ["image"]
        kind = self.pick(kinds)
        if kind in ("filter", "image"):
            q = self.fresh("k")
            if kind == "filter":  # over a set of the same type: its elements fit by construction
                dom, et = self.descend(ctx, self.pick(same_places), lambda u: same(u, t))[0], t.elem
            else:
                dom, et = self.domain(ctx)
            inner = ctx.bind(q, et)
            where = f" where {self.bool_expr(inner, max(d - 1, 0))}" if self.chance(60) else ""
            if kind == "filter":  # without `where`, `{x in S}` is a set literal holding a bool
                return f"{{{q} in {dom}{where or ' where true'}}}"
            return f"{{{self.fitting(t.elem, inner, max(d - 1, 0))} for {q} in {dom}{where}}}"
        if kind == "lit":
            vals = [self.fitting(t.elem, ctx, 0) for _ in range(self.num(0, 2))]
            return "{" + ", ".join(vals) + "}"
        a = self.descend(ctx, self.pick(same_places), lambda u: same(u, t))[0]
        if kind == "read":
            return a
        op = self.pick(["union", "intersect", "minus"])
        if self.chance(50):
            b = self.descend(ctx, self.pick(same_places), lambda u: same(u, t))[0]
        else:
            b = "{" + ", ".join(self.fitting(t.elem, ctx, 0) for _ in range(self.num(0, 2))) + "}"
        return f"({a} {op} {b})" if self.chance(70) else f"({b} {op} {a})"

    def value(self, t: Any, ctx: _Ctx, d: int) -> str:
        """An expression of type t (a value that fits, for ranges)."""
        if isinstance(t, SCALAR):
            return self.fitting(t, ctx, d)
        if isinstance(t, TSet):
            return self.set_expr(t, ctx, d)
        if isinstance(t, TRecord):
            places = self.places(ctx, lambda u: same(u, t))
            if places and self.chance(30):
                return self.descend(ctx, self.pick(places), lambda u: same(u, t))[0]
            parts = [f"{f} = {self.value(ft, ctx, max(d - 1, 0))}" for f, ft in t.fields]
            return "{" + ", ".join(self.draw(st.permutations(parts))) + "}"
        if isinstance(t, TMap):
            places = self.places(ctx, lambda u: same(u, t))
            return self.descend(ctx, self.pick(places), lambda u: same(u, t))[0]
        raise AssertionError(t)

    def domain(self, ctx: _Ctx) -> tuple[str, Any]:
        """A domain to range over (a type name, lo..hi, a set, a set literal) and its element type."""
        kinds = ["range", "lit"]
        named = [t for t in self.named if isinstance(t, (TRange, TEnum))]
        if named:
            kinds.append("named")
        if any(m.count for m in self.machines):
            kinds.append("machine")
        sets = self.places(ctx, _is_set)
        if sets:
            kinds += ["set", "set"]
        kind = self.pick(kinds)
        if kind == "range":
            lo = self.num(-1, 2)
            hi = lo + self.num(0, 2)
            return f"{lo}..{hi}", TRange(lo, hi)
        if kind == "lit":
            vals = sorted(set(self.draw(st.lists(st.integers(-1, 3), min_size=1, max_size=3))))
            return "{" + ", ".join(map(str, vals)) + "}", TRange(vals[0], vals[-1])
        if kind == "named":
            t = self.pick(named)
            return t.name, t
        if kind == "machine":
            m = self.pick([m for m in self.machines if m.count])
            return m.name, m.index_type
        x, t = self.descend(ctx, self.pick(sets), _is_set)
        return x, t.elem

    def bool_expr(self, ctx: _Ctx, d: int) -> str:
        """A boolean expression; anything but a literal or a variable comes parenthesised."""
        text, simple = self._bool(ctx, d)
        return text if simple else f"({text})"

    def _bool(self, ctx: _Ctx, d: int) -> tuple[str, bool]:
        kinds = ["cmp", "cmp", "lit"]
        if self.places(ctx, _is_bool):
            kinds += ["read", "read"]
        if self.places(ctx, _is_set):
            kinds += ["in", "in"]
        if self.places(ctx, lambda t: not _has_chan(t)):
            kinds.append("eq")
        if any(len(m.states) > 1 for m in self.machines):
            kinds.append("at")
        if d > 0:
            kinds += ["not", "and", "or", "implies", "quant", "quant", "range_in", "cond"]
        kind = self.pick(kinds)
        if kind == "lit":
            return self.pick(["true", "false"]), True
        if kind == "read":
            return self.read(ctx, _is_bool)[0], True  # type: ignore[index]
        if kind == "cmp":
            a = self.int_expr(ctx, max(d - 1, 0))[0]
            b = self.int_expr(ctx, max(d - 1, 0))[0]
            return f"{a} {self.pick(['==', '!=', '<', '<=', '>', '>='])} {b}", False
        if kind == "in":
            x, t = self.read(ctx, _is_set)  # type: ignore[misc]
            elem = self.fitting(t.elem, ctx, 0) if not isinstance(t.elem, TRange) else \
                self.int_expr(ctx, 0)[0]
            return f"{elem} {self.pick(['in', 'not in'])} {x}", False
        if kind == "range_in":
            e = self.int_expr(ctx, d - 1)[0]
            if self.chance(50):
                dom = f"{self.num(-1, 1)}..{self.num(0, 3)}"
            else:
                dom = "{" + ", ".join(str(v) for v in sorted(set(
                    self.draw(st.lists(st.integers(-1, 3), min_size=1, max_size=3))))) + "}"
            return f"{e} {self.pick(['in', 'not in'])} {dom}", False
        if kind == "eq":
            x, t = self.pick(self.places(ctx, lambda t: not _has_chan(t)))
            if isinstance(t, TMap) and self.chance(60):
                x, t = f"{x}[{self.key(t.key, ctx)}]", t.value
            if _has_chan(t):
                return "true", True
            other = self.value(t, ctx, 0) if not isinstance(t, TRange) else self.int_expr(ctx, 0)[0]
            if isinstance(t, (TSet, TRecord)) and other.startswith("{") and self.chance(50):
                return f"{other} {self.pick(['==', '!='])} {x}", False
            return f"{x} {self.pick(['==', '!='])} {other}", False
        if kind == "at":
            m = self.pick([m for m in self.machines if len(m.states) > 1])
            return f"{self.pick(self.instances(m, ctx))} at {self.pick(m.states)}", False
        if kind == "not":
            return f"not {self.bool_expr(ctx, d - 1)}", False
        if kind in ("and", "or", "implies"):
            op = {"and": "and", "or": "or", "implies": "=>"}[kind]
            return f"{self.bool_expr(ctx, d - 1)} {op} {self.bool_expr(ctx, d - 1)}", False
        if kind == "quant":
            q = self.fresh("q")
            dom, t = self.domain(ctx)
            return f"{self.pick(['forall', 'exists'])} {q} in {dom}: {self.bool_expr(ctx.bind(q, t), d - 1)}", False
        return (f"if {self.bool_expr(ctx, d - 1)} then {self.bool_expr(ctx, d - 1)} "
                f"else {self.bool_expr(ctx, d - 1)}"), False

    # ---- statements
    def block(self, ctx: _Ctx, ind: str, d: int, at_least: int = 0, in_loop: bool = False) -> list[str]:
        lines: list[str] = []
        for _ in range(self.num(at_least, 2 if not self.chance(20) else 3)):
            kinds = ["assign", "assign", "assign", "skip"]
            if self.places(ctx, _is_set, assignable=True):
                kinds += ["setop"]
            if self.places(ctx, _is_chan, assignable=True):
                kinds.append("send")
            if d > 0:
                kinds += ["if", "if", "for"] + ([] if in_loop else ["choose", "choose"]) \
                    + (["assert"] if self.chance(30) else [])
            kind = self.pick(kinds)
            if kind == "assign":
                lines.extend(self.assign(ctx, ind, d))
            elif kind == "skip":
                lines.append(f"{ind}skip")
            elif kind == "setop":
                x, t = self.descend(ctx, self.pick(self.places(ctx, _is_set, assignable=True)), _is_set)
                lines.append(f"{ind}{x}.{self.pick(['add', 'remove'])}({self.fitting(t.elem, ctx, 1)})")
            elif kind == "send":
                x, t = self.descend(ctx, self.pick(self.places(ctx, _is_chan, assignable=True)), _is_chan)
                msg = self.fitting(t.elem, ctx, 1)
                if self.errors and self.chance(50):
                    lines.append(f"{ind}send {msg} to {x}")
                else:
                    lines.append(f"{ind}if len({x}) < {t.cap} {{")
                    lines.append(f"{ind}  send {msg} to {x}")
                    lines.append(f"{ind}}}")
            elif kind == "assert":
                b = self.bool_expr(ctx, 1)
                lines.append(f"{ind}assert {b}" if self.errors else f"{ind}assert {b} or not {b}")
            elif kind == "if":
                lines.append(f"{ind}if {self.bool_expr(ctx, 1)} {{")
                lines.extend(self.block(ctx, ind + "  ", d - 1, in_loop=in_loop))
                for _ in range(self.num(0, 1) if self.chance(30) else 0):
                    lines.append(f"{ind}}} elif {self.bool_expr(ctx, 1)} {{")
                    lines.extend(self.block(ctx, ind + "  ", d - 1, in_loop=in_loop))
                if self.chance(40):
                    lines.append(f"{ind}}} else {{")
                    lines.extend(self.block(ctx, ind + "  ", d - 1, in_loop=in_loop))
                lines.append(f"{ind}}}")
            elif kind == "for":
                v = self.fresh("f")
                dom, t = self.domain(ctx)
                lines.append(f"{ind}for {v} in {dom} {{")
                lines.extend(self.block(ctx.bind(v, t), ind + "  ", d - 1, at_least=1, in_loop=True))
                lines.append(f"{ind}}}")
            else:
                v = self.fresh("c")
                dom, t = self.domain(ctx)
                inner = ctx.bind(v, t)
                where = f" where {self.bool_expr(inner, 1)}" if self.chance(30) else ""
                lines.append(f"{ind}choose {v} in {dom}{where}")
                ctx = inner  # `choose` scopes the rest of its block
                lines.extend(self.assign(ctx, ind, d - 1))
        return lines

    def assign(self, ctx: _Ctx, ind: str, d: int) -> list[str]:
        def ok(t: Any) -> bool:
            return isinstance(t, (TBool, TRange, TEnum, TSet, TRecord)) or (
                isinstance(t, TMap) and not _has_chan(t) and len(self.places(ctx, lambda u: same(u, t))) > 1)
        cands = self.places(ctx, ok, assignable=True)
        if not cands:
            return [f"{ind}skip"]
        x, t = self.pick(cands)
        if self.chance(60):
            return [f"{ind}{x} := {self.step(x, t, ctx)}"] if isinstance(t, SCALAR) else \
                [f"{ind}{x} := {self.value(t, ctx, d)}"]
        while True:
            if isinstance(t, TMap) and (not ok(t) or self.chance(70)):
                x, t = f"{x}[{self.key(t.key, ctx)}]", t.value
            elif isinstance(t, TRecord) and self.chance(50):
                f, ft = self.pick(list(t.fields))
                x, t = f"{x}.{f}", ft
            elif ok(t):
                break
            else:
                return [f"{ind}skip"]
        if isinstance(t, TRange) and self.errors and self.chance(30):
            return [f"{ind}{x} := {self.int_expr(ctx, d)[0]}"]
        return [f"{ind}{x} := {self.value(t, ctx, d)}"]

    def progress(self, ctx: _Ctx, ind: str) -> list[str]:
        def movable(t: Any) -> bool:
            return isinstance(t, SCALAR) and size(t) >= 2
        cands = self.places(ctx, movable, assignable=True)
        if not cands:
            return []
        x, t = self.descend(ctx, self.pick(cands), movable)
        return [f"{ind}{x} := {self.step(x, t, ctx)}"]

    def step(self, x: str, t: Any, ctx: _Ctx) -> str:
        """A new value for the scalar variable x that usually differs from its current one."""
        if isinstance(t, TBool):
            return f"not {x}"
        if isinstance(t, TEnum):  # the next member, cyclically
            ms = t.members
            text = ms[0]
            for a, b in reversed(list(zip(ms, ms[1:]))):
                text = f"(if {x} == {a} then {b} else {text})"
            return text
        delta = self.pick(["+ 1", "- 1", "+ 1", "+ 2"])
        return f"min(max({x} {delta}, {t.lo}), {t.hi})" if not self.errors or self.chance(50) else \
            f"{x} {delta}"

    # ---- properties
    def properties(self) -> list[str]:
        ctx = _Ctx(None, [])
        out = []
        for i in range(self.num(0, 2)):
            kind = self.pick(["fact", "fact", "implies", "random"])
            if kind == "fact":
                out.append(f"invariant inv{i}: {self.true_fact(ctx)}")
            elif kind == "implies":
                out.append(f"invariant inv{i}: {self.bool_expr(ctx, 1)} => {self.bool_expr(ctx, 1)}")
            else:
                out.append(f"invariant inv{i}: {self.bool_expr(ctx, 2)}")
        for i in range(self.num(0, 2)):
            out.append(f"reachable reach{i}: {self.bool_expr(ctx, 2)}")
        if self.deadlock and self.chance(30):
            out.append("deadlock_free dl")
        return out

    def true_fact(self, ctx: _Ctx) -> str:
        """A statement true in every state (by typing), possibly or-ed with a random one."""
        facts = []
        for x, t in self.readables(ctx):
            if isinstance(t, TRange):
                facts.append(f"{x} >= {t.lo} and {x} <= {t.hi}")
                facts.append(f"{x} in {t.lo}..{t.hi}")
            elif isinstance(t, TSet):
                facts.append(f"len({x}) <= {size(t.elem)}")
            elif isinstance(t, TChan):
                facts.append(f"len({x}) <= {t.cap}")
            elif isinstance(t, TBool):
                facts.append(f"{x} or not {x}")
        for m in self.machines:
            if m.count:
                q = self.fresh("q")
                facts.append(f"forall {q} in {m.name}: " + " or ".join(
                    f"{m.name}[{q}] at {s}" for s in m.states))
        if not facts:
            return "true"
        fact = self.pick(facts)
        return f"({fact}) or ({self.bool_expr(ctx, 1)})" if self.chance(40) else fact


def _trunc(a: int, k: int) -> int:
    """a / k rounded toward zero (k > 0), as papcheck divides."""
    q = abs(a) // k
    return q if a >= 0 else -q


@st.composite
def _protocols(draw: Callable, max_machines: int, max_instances: int, max_space: int, model_errors: bool,
               deadlock: bool, symmetric: bool, initial_domains: bool) -> str:
    return _Gen(draw, max_machines=max_machines, max_instances=max_instances, max_space=max_space,
                model_errors=model_errors, deadlock=deadlock, symmetric=symmetric,
                initial_domains=initial_domains).protocol()


def protocols(*, max_machines: int = 3, max_instances: int = 3, max_space: int = 1 << 15,
              model_errors: bool = False, deadlock: bool = True,
              symmetric: bool = False, initial_domains: bool = False) -> st.SearchStrategy[str]:
    """Spec texts of random small protocols (see the module docstring for the guarantees).

    `symmetric` marks every machine with more than one instance `symmetric` (the generated code
    does not otherwise avoid `self`-dependent behaviour; a reduction test decides what to do with
    it).  `initial_domains` lets about a quarter of the variables start `in` a domain (`in any`,
    `in lo..hi`, `in {v, ...}`), giving several initial states; off by default, as the Murphi
    export (used by the differential tests) does not support them."""
    return _protocols(max_machines, max_instances, max_space, model_errors, deadlock, symmetric,
                      initial_domains)


# ------------------------------------------------------------------ protocols aimed at POR
#
# The generic protocols above rarely let partial-order reduction fire (most control states have
# some transition that touches what another instance touches, or that a property reads).  These
# are built so that it does, often, while hiding the things a wrong reduction would miss:
# parameters and `choose` over shared sets (and sets inside maps), guards that other instances
# enable and disable, `M at s` tests, unguarded updates of shared counters, record fields, map
# entries and nested records that commute except for their out-of-range errors, set literals and
# keys that may leave their types, division by zero, assertions, and deadlocks.  Local work states
# (transitions touching only the instance's own variables) make ample sets likely.

POR_KINDS: dict[str, str] = {
    # local work: independent of every other instance
    "loc_inc": "when a < {A} {{ a := a + 1 }}",
    "loc_flip": "{{ b := not b }}",
    "loc_reset": "when b {{ a := 0; b := false }}",
    # a shared counter: unguarded updates commute but may leave 0..G (model errors)
    "inc": "{{ g := g + 1 }}",
    "dec": "{{ g := g - 1 }}",
    "inc_ok": "when g < {G} {{ g := g + 1 }}",
    "read_g": "when g > 0 {{ a := min(g, {A}) }}",
    "wait_g": "when g == {G} {{ b := true }}",
    "div": "{{ a := min({G} / ({G} - g), {A}) }}",
    # a shared set: parameters and choose over it, literals that may leave its element type
    "add": "{{ s.add(min(a, {K})) }}",
    "add_raw": "{{ s.add(a + 1) }}",
    "remove": "{{ s.remove({K}) }}",
    "take": "(v in s) {{ a := min(v, {A}) }}",
    "take_rm": "(v in s) {{ s.remove(v) }}",
    "choose_s": "{{ choose v in s where v >= a\n      a := min(v, {A}) }}",
    "lit": "{{ s := s union {{a + 1}} }}",
    "len": "when len(s) > {K} {{ b := true }}",
    # map entries, by constant key, parameter and run-time key
    "m_inc": "{{ m[{K}] := m[{K}] + 1 }}",
    "m_dec": "{{ m[{K}] := m[{K}] - 1 }}",
    "m_put": "(k: 0..{K}) {{ m[k] := min(a, {G}) }}",
    "m_key": "{{ m[a] := 0 }}",
    "m_read": "when m[0] > 0 {{ b := true }}",
    # a record, written whole and by field
    "r_inc": "{{ r := {{ f = r.f + 1, e = r.e }} }}",
    "r_dec": "{{ r := {{ e = r.e, f = r.f - 1 }} }}",
    "r_field": "{{ r.f := r.f + 1 }}",
    "r_on": "{{ r.e := true }}",
    "r_wait": "when r.e {{ r.e := false; a := 0 }}",
    # nested containers: a map of records, a map of sets
    "mr_inc": "{{ mr[1].f := mr[1].f + 1 }}",
    "mr_dec": "{{ mr[1] := {{ f = mr[1].f - 1, e = mr[1].e }} }}",
    "ms_add": "{{ ms[0].add(min(a, {K})) }}",
    "ms_take": "(v in ms[0]) {{ ms[0].remove(v) }}",
    "ms_choose": "{{ choose v in ms[0]\n      ms[1].add(v) }}",
    # guards others enable and disable, control states of other machines
    "flag_set": "{{ h := 1 }}",
    "flag_wait": "when h == 1 {{ a := 0 }}",
    "flag_clear": "when h == 1 {{ h := 0 }}",
    "at_other": "when {OTHER} at p1 {{ b := true }}",
    "quant": "when forall i in 0..{K}: i in s or m[i] == 0 {{ b := not b }}",
    "assert": "{{ assert not (b and g == {G}) }}",
}
LOCAL_KINDS = ["loc_inc", "loc_flip", "loc_reset"]
# without model errors: the same updates clamped into their types (still commuting where the
# raw ones commute up to errors, so z3 proofs are exercised either way)
POR_SAFE: dict[str, str] = {
    "inc": "{{ g := min(g + 1, {G}) }}",
    "dec": "{{ g := max(g - 1, 0) }}",
    "div": "{{ a := min({G} / ({G} + 1 - g), {A}) }}",
    "add_raw": "{{ s.add(min(a + 1, {K})) }}",
    "lit": "{{ s := s union {{min(a + 1, {K})}} }}",
    "m_inc": "{{ m[{K}] := min(m[{K}] + 1, {G}) }}",
    "m_dec": "{{ m[{K}] := max(m[{K}] - 1, 0) }}",
    "m_key": "{{ m[min(a, {K})] := 0 }}",
    "r_inc": "{{ r := {{ f = min(r.f + 1, {G}), e = r.e }} }}",
    "r_dec": "{{ r := {{ e = r.e, f = max(r.f - 1, 0) }} }}",
    "r_field": "{{ r.f := min(r.f + 1, {G}) }}",
    "mr_inc": "{{ mr[1].f := min(mr[1].f + 1, {G}) }}",
    "mr_dec": "{{ mr[1] := {{ f = max(mr[1].f - 1, 0), e = mr[1].e }} }}",
    "assert": "{{ assert b or not b }}",
}


# Motifs: two extra singleton machines X and Y placed next to the random ones.  X's first state
# holds a transition whose outcome depends on Y's first step through one position only.
#
# * Read motifs: a read in a parameter or `choose` domain, a guard, a quantifier domain,
#   `Y at s`, `Y.ya`, ...; only when Y steps first can X set xa to 1, and only then is the
#   `reachable` property `done` witnessed.  A footprint analysis that misses the read lets X
#   step first (its first state looks independent) and the witness is never found.  These
#   protocols usually hold, so they are explored completely.
# * Error motifs: two updates that commute except for a model error one order raises; a z3
#   executor that drops the error term proves them independent and misses the error.
READ_MOTIFS: dict[str, tuple[str, str, str]] = {  # name: (declarations, X's transition, Y's)
    "param": ("var ps: set[0..1] = {0}", "(v in ps) { xa := v }", "{ ps.add(1) }"),
    "choose": ("var ps: set[0..1] = {0}", "{ choose v in ps\n      xa := v }", "{ ps.add(1) }"),
    "quant_guard": ("var ps: set[0..1] = {0}", "when exists v in ps: v == 1 { xa := 1 }", "{ ps.add(1) }"),
    "member_guard": ("var ps: set[0..1] = {0}", "when 1 in ps { xa := 1 }", "{ ps := ps union {1} }"),
    "set_in_map": ("var pm: map[0..1, set[0..1]] = {0}", "(v in pm[1]) { xa := v }", "{ pm[1].add(1) }"),
    "set_in_record": ("var pr: record { s: set[0..1], n: 0..1 } = { s = {0}, n = 0 }",
                      "(v in pr.s) { xa := v }", "{ pr.s := {0, 1} }"),
    "range_bound": ("var pn: 0..2 = 0", "(v in 0..pn) { xa := v }", "{ pn := 1 }"),
    "literal_domain": ("var pn: 0..2 = 0", "(v in {pn, 0}) { xa := v }", "{ pn := 1 }"),
    "at": ("", "when Y at p1 { xa := 1 }", "{ ya := 1 }"),
    "other_local": ("", "when Y.ya == 1 { xa := 1 }", "{ ya := 1 }"),
    "cond": ("var pn: 0..2 = 0", "when (if pn > 0 then true else false) { xa := 1 }", "{ pn := 1 }"),
    "map_guard": ("var pq: map[0..1, 0..1] = 0", "when pq[1] == 1 { xa := 1 }", "{ pq[1] := 1 }"),
}
ERROR_MOTIFS: dict[str, tuple[str, str, str]] = {
    "scalar": ("var eg: 0..1 = 0", "{ eg := eg + 1 }", "{ eg := eg - 1 }"),
    "record": ("var er: record { f: 0..1 } = { f = 0 }", "{ er := { f = er.f + 1 } }", "{ er := { f = er.f - 1 } }"),
    "field": ("var er: record { f: 0..1, e: bool } = { f = 0, e = false }", "{ er.f := er.f + 1 }",
              "{ er.f := er.f - 1 }"),
    "nested": ("type EI = record { f: 0..1 }\nvar em: map[0..1, EI] = { f = 0 }",
               "{ em[1] := { f = em[1].f + 1 } }", "{ em[1].f := em[1].f - 1 }"),
    "entry": ("var en: map[0..1, 0..1] = 0", "{ en[0] := en[0] + 1 }", "{ en[0] := en[0] - 1 }"),
    "set_literal": ("var eg: 0..2 = 1\nvar es: set[0..1] = {}",
                    "{ xa := 0 * (if {if eg > 0 then 1 else 2} == es then 1 else 0); eg := eg + 1 }", "{ eg := eg - 1 }"),
    "set_add": ("var eg: 0..2 = 1\nvar es: set[0..1] = {}", "{ es.add(1); es.add(if eg > 0 then 1 else 2); eg := eg + 1 }",
                "{ eg := eg - 1 }"),
    "key": ("var eg: 0..2 = 1\nvar en: map[0..1, 0..1] = 0", "{ eg := eg + 1 + 0 * en[eg - 1] }",
            "{ eg := eg - 1 }"),
    "div": ("var eg: 0..2 = 1", "{ eg := eg + 1 + 0 * (1 / eg) }", "{ eg := eg - 1 }"),
    "assert": ("var eg: 0..2 = 1", "{ assert eg > 0; eg := eg + 1 }", "{ eg := eg - 1 }"),
}


def _motif(c: _Chooser, reading: bool) -> tuple[str, list[str], str]:
    """(declarations, machines X and Y, property) for a randomly chosen motif."""
    table = READ_MOTIFS if reading else ERROR_MOTIFS
    decls, x, y = table[c.pick(sorted(table))]
    head = "" if x.startswith("(") else " "
    # Y's states also hold a visible transition (it writes what a property reads), so Y never
    # forms an ample set and cannot be the one that steps first under the reduction
    ym = (f"machine Y {{\n  var ya: 0..1 = 0\n  init state w {{\n    on warm {{ ya := 0 }} -> p0\n"
          "    on vis { yv := true }\n  }\n"
          f"  state p0 {{\n    on go {y} -> p1\n    on vis {{ yv := true }}\n  }}\n  final state p1 {{ }}\n}}")
    decls += "\nvar yv: bool = false"
    props = "invariant yinv: yv or not yv"
    if not reading:
        xm = (f"machine X {{\n  var xa: 0..1 = 0\n  state p0 {{\n    on go{head}{x} -> p1\n  }}\n"
              "  final state p1 { }\n}")
        return decls, [xm, ym], props
    # a guarded X gets a way out of p0 that does not need Y
    step = "    on step { xa := 0 } -> p2\n" if x.startswith("when") else ""
    xm = (f"machine X {{\n  var xa: 0..1 = 0\n  state p0 {{\n{step}"
          f"    on go{head}{x} -> p1\n  }}\n  state p1 {{\n    on fin when xa == 1 {{ done := true }} -> p2\n"
          "    on pass when xa != 1 { skip } -> p2\n  }\n  final state p2 { }\n}")
    return decls + "\nvar done: bool = false", [xm, ym], props + "\nreachable seen_x: done"


class _Chooser:
    """Draws through hypothesis (`draw`) or a seeded random generator (`rng`)."""

    def __init__(self, draw: Callable | None = None, rng: Any = None):
        self.draw, self.rng = draw, rng

    def int(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi)) if self.draw is not None else self.rng.randint(lo, hi)

    def pick(self, xs: list) -> Any:
        return xs[self.int(0, len(xs) - 1)]

    def coin(self, percent: int) -> bool:
        return self.int(0, 99) >= 100 - percent


def _por_protocol(c: _Chooser) -> str:
    A, G, K = c.int(1, 2), 2, 1
    errors = c.coin(25)  # else updates are clamped: most such protocols hold, so all is explored
    motif = c.int(0, 99)  # < 25: a read motif, < 40: an error motif (see _motif)
    # an error motif's model error is the only finding: papcheck recomputes the traces of any
    # finding without POR, which would report the error even when the reduced search missed it
    quiet = 25 <= motif < 40
    errors = errors and not quiet
    counts = [c.int(1, 3 if motif >= 40 else 2), c.int(1, 2)]
    if counts[0] == 3 or (counts == [2, 2] and c.coin(50)):
        counts[1] = 1
    lines = ["protocol Por", f"type R = record {{ f: 0..{G}, e: bool }}",
             f"var g: 0..{G} = 1", "var h: 0..1 = 0",
             f"var s: set[0..{K}] = {c.pick(['{}', '{1}', '{0, 1}'])}",
             f"var m: map[0..{K}, 0..{G}] = 1",
             f"var r: R = {{ f = 1, e = {c.pick(['true', 'false'])} }}",
             "var mr: map[0..1, R] = { f = 1, e = false }",
             f"var ms: map[0..1, set[0..{K}]] = {c.pick(['{}', '{0}', '{1}'])}"]
    motif_machines: list[str] = []
    motif_prop = ""
    if motif < 40:
        decls, motif_machines, motif_prop = _motif(c, reading=motif < 25)
        if decls:
            lines.append(decls.strip())
    kinds = sorted(POR_KINDS)
    for mi, n in enumerate(counts):
        other = f"M{1 - mi}[0]" if counts[1 - mi] > 1 else f"M{1 - mi}"
        name = f"M{mi}" + (f"[{n}]" if n > 1 else "")
        lines.append(f"machine {name} {{")
        am = A if n < 3 else 1
        lines.append(f"  var a: 0..{am} = 0")
        lines.append("  var b: bool = false")
        nstates = c.int(2, 3) if n < 3 else 2
        for k in range(nstates):
            final = "final " if k == nstates - 1 and c.coin(50) else ""
            lines.append(f"  {final}state p{k} {{")
            pool = LOCAL_KINDS if c.coin(50) else kinds
            picked: list[str] = []
            for _ in range(c.int(1, 3 if pool is LOCAL_KINDS else 2)):
                kind = c.pick(pool)
                if kind not in picked:
                    picked.append(kind)
            if c.coin(60):  # an always-enabled local step onwards: fewer early deadlocks
                lines.append(f"    on step {{ b := false }} -> p{(k + 1) % nstates}")
            for j, kind in enumerate(picked):
                text = POR_KINDS[kind] if errors else POR_SAFE.get(kind, POR_KINDS[kind])
                body = text.format(A=am, G=G, K=K, OTHER=other)
                tail = ""
                r = c.int(0, 3)
                if r == 1 or (r >= 2 and j == len(picked) - 1):
                    tail = f" -> p{(k + 1) % nstates}" if r != 3 or k == 0 else " -> p0"
                head = f"t{j}_{kind}" + ("" if body.startswith("(") else " ")
                lines.append(f"    on {head}{body}{tail}")
            lines.append("  }")
        lines.append("}")
    lines.extend(motif_machines)
    if motif_prop:
        lines.append(motif_prop)
    prop = c.pick(["none", "none", "h", "r", "s"]) if not quiet else "none"
    if prop == "h":
        lines.append("invariant inv: h == 0 or g > 0")
    elif prop == "r":
        lines.append("invariant inv: not r.e or r.f > 0")
    elif prop == "s":
        lines.append(f"invariant inv: len(s) <= {K} or h == 0")
    if c.coin(70) and not quiet:
        lines.append("deadlock_free nd")
    if c.coin(30):
        lines.append("reachable seen: len(ms[1]) > 0")
    return "\n".join(lines) + "\n"


# declarations that may instead start `in` a domain (several initial states), for por_protocols
_POR_INITIAL_DOMAINS = [("var g: 0..2 = 1", "var g: 0..2 in 1..2"), ("var h: 0..1 = 0", "var h: 0..1 in any"),
                        ("  var b: bool = false", "  var b: bool in any")]


@st.composite
def por_protocols(draw: Callable, initial_domains: bool = False) -> str:
    """Small two-machine protocols on which partial-order reduction usually fires (see above);
    with `initial_domains`, some of g, h and the instances' b start `in` a domain (drawn after
    the protocol, so the protocols themselves are those of por_protocol)."""
    text = _por_protocol(_Chooser(draw=draw))
    if initial_domains:
        for plain, chosen in _POR_INITIAL_DOMAINS:
            if draw(st.booleans()):
                text = text.replace(plain, chosen)
    return text


def por_protocol(seed: int) -> str:
    """The same family, drawn from a seeded generator (a fixed, reproducible set per seed)."""
    import random
    return _por_protocol(_Chooser(rng=random.Random(seed)))
