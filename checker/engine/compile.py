"""Checked spec to executable model: generates Python source for the successor and property
functions, compiles it once, and wraps it as a :class:`checker.engine.model.Model`.

States are packed ints (:mod:`checker.engine.layout`); the generated code reads a field as
``(s >> off) & mask`` and writes it with a clear-and-or, with every offset that does not depend on
a runtime value folded to a literal (each machine instance gets its own specialised code, `self`
being a constant there).  Nothing of the spec's text reaches the generated source: variables
become offsets, bound names become ``b<uid>``, enum members their index; only integers produced by
this module are formatted into it.  Range checks are emitted only where a simple interval
analysis cannot prove the value fits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, NoReturn

from ..lang import ast
from ..lang.errors import Span
from ..lang.symbols import BoundSym, CheckedSpec, ConstSym, EnumMemberSym, InstT, MachineInfo, TransitionInfo, VarSym
from ..lang.types import BoolT, ChanT, EnumT, IntT, MapT, RangeT, RecordT, SetT, Type, is_optional_instance
from .layout import Layout
from .model import Label, ModelError, PropertySpec

UNROLL_LIMIT = 16
# expressions whose type comes from the other side of `==`
_LITERALS = (ast.SetLit, ast.RecordLit, ast.Comprehension)


@dataclass
class ErrorSite:
    """A place where generated code can raise a model error; `kind` picks the message."""

    kind: str  # "range", "key", "full", "index", "div", "assert", "instance", "empty"
    span: Span
    detail: str  # what was being written/read, e.g. "Enactor[0].next (0..1)"


@dataclass
class Action:
    machine: MachineInfo
    instance: int
    transition: TransitionInfo
    arg_names: tuple[str, ...]  # parameter names then choose names, in binding order

    @property
    def instance_name(self) -> str:
        return self.machine.instance_name(self.instance)


@dataclass
class _Ctx:
    S: str  # the python name of the state read: "s" (guards, properties) or "t" (bodies)
    inst: int | None  # the instance whose code this is (None in properties)
    machine: MachineInfo | None
    bind: dict[int, str] = field(default_factory=dict)  # BoundSym uid -> python expr
    ivals: dict[int, tuple[int, int] | None] = field(default_factory=dict)  # uid -> interval

    def with_bind(self, b: BoundSym, src: str, ival: tuple[int, int] | None) -> _Ctx:
        return _Ctx(self.S, self.inst, self.machine, {**self.bind, b.uid: src}, {**self.ivals, b.uid: ival})

    def reading(self, S: str) -> _Ctx:
        return _Ctx(S, self.inst, self.machine, self.bind, self.ivals)


class _Gen:
    def __init__(self, checked: CheckedSpec, layout: Layout):
        self.c = checked
        self.lay = layout
        self.errors: list[ErrorSite] = []
        self.tmp = 0
        self.actions: list[Action] = []
        self.action_index: dict[tuple[str, int, str, str], int] = {}
        self.tolerant = False

    # ------------------------------------------------------------------------------ helpers
    def fresh(self, prefix: str = "_v") -> str:
        self.tmp += 1
        return f"{prefix}{self.tmp}"

    def site(self, kind: str, span: Span, detail: str = "") -> int:
        self.errors.append(ErrorSite(kind, span, detail))
        return len(self.errors) - 1

    def typ(self, e: ast.Expr) -> Type:
        return self.c.types[id(e)]

    # ------------------------------------------------------------------------ interval analysis
    def interval(self, e: ast.Expr, ctx: _Ctx) -> tuple[int, int] | None:
        t = self.c.types.get(id(e))
        if isinstance(e, ast.IntLit):
            return (e.value, e.value)
        if isinstance(e, ast.SelfRef):
            return (ctx.inst, ctx.inst) if ctx.inst is not None else None
        if isinstance(e, ast.Name):
            sym = self.c.refs.get(id(e))
            if isinstance(sym, ConstSym) and isinstance(sym.value, int) and not isinstance(sym.value, bool):
                return (sym.value, sym.value)
            if isinstance(sym, BoundSym):
                return ctx.ivals.get(sym.uid) or _range_ival(sym.type)
        if isinstance(e, ast.Binary) and e.op in ("+", "-", "*"):
            a, b = self.interval(e.left, ctx), self.interval(e.right, ctx)
            if a is None or b is None:
                return None
            if e.op == "+":
                return (a[0] + b[0], a[1] + b[1])
            if e.op == "-":
                return (a[0] - b[1], a[1] - b[0])
            prods = [x * y for x in a for y in b]
            return (min(prods), max(prods))
        if isinstance(e, ast.Unary) and e.op == "-":
            a = self.interval(e.operand, ctx)
            return (-a[1], -a[0]) if a else None
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.name in ("min", "max"):
            ivs = [self.interval(a, ctx) for a in e.args]
            if any(i is None for i in ivs):
                return None
            f = min if e.func.name == "min" else max
            return (f(i[0] for i in ivs), f(i[1] for i in ivs))  # type: ignore[index]
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.name == "len":
            at = self.typ(e.args[0])
            if isinstance(at, SetT):
                return (0, at.width)
            if isinstance(at, ChanT):
                return (0, at.capacity)
        if isinstance(e, ast.Cond):
            a, b = self.interval(e.then, ctx), self.interval(e.orelse, ctx)
            if a and b:
                return (min(a[0], b[0]), max(a[1], b[1]))
            return None
        return _range_ival(t) if t is not None else None

    # ---------------------------------------------------------------------------- locations
    def chunk(self, e: ast.Expr, ctx: _Ctx) -> tuple[str, str | int] | None:
        """(container, bit offset) holding e's encoding, if e is a location or part of a value."""
        if isinstance(e, ast.Name):
            sym = self.c.refs[id(e)]
            if isinstance(sym, VarSym):
                if sym.machine is None:
                    return ctx.S, self.lay.shared_offset[sym.name]
                assert ctx.inst is not None
                return ctx.S, self.lay.var_offset(sym, ctx.inst)
            if isinstance(sym, BoundSym) and not _is_scalar_t(sym.type):
                return ctx.bind[sym.uid], 0
            return None
        if isinstance(e, ast.Field):
            bt = self.typ(e.base)
            if isinstance(bt, InstT):
                m = self._machine(bt.machine)
                var = self.c.refs[id(e)]
                base, _ = self.instance_base(e.base, m, ctx)
                return ctx.S, _add(base, self.lay.local_offset[(m.name, var.name)])
            if isinstance(bt, RecordT):
                inner = self.chunk(e.base, ctx)
                foff, _ = bt.field_offset(e.name)
                if inner is None:
                    return self.expr(e.base, ctx), foff
                return inner[0], _add(inner[1], foff)
            return None
        if isinstance(e, ast.Index):
            bt = self.typ(e.base)
            if isinstance(bt, MapT):
                inner = self.chunk(e.base, ctx)
                k = self.encoded_key(e.index, bt.key, ctx, e.span, "key")
                rel = _mul(k, bt.value.width) if bt.value.width or isinstance(k, int) else f"(0 * {k})"
                if inner is None:
                    return self.expr(e.base, ctx), rel
                return inner[0], _add(inner[1], rel)
        return None

    def instance_base(self, e: ast.Expr, m: MachineInfo, ctx: _Ctx) -> tuple[str | int, tuple[int, int] | None]:
        """Bit offset of the instance `e` denotes (Machine[i], or Machine for a singleton)."""
        base = self.lay.machine_base[m.name]
        if isinstance(e, ast.Index):
            i = self.encoded_key(e.index, m.index_type, ctx, e.span, "instance")
            stride = self.lay.stride[m.name]
            return _add(base, _mul(i, stride) if stride or isinstance(i, int) else f"(0 * {i})"), None
        return base, None

    def _none_hint(self, e: ast.Expr) -> str:
        """For a value of an optional instance type (M?): -1 is `none`, say so in the error."""
        return "; -1 is none, which names no instance" if is_optional_instance(self.c.types.get(id(e))) else ""

    def encoded_key(self, k: ast.Expr, ktype: Type, ctx: _Ctx, span: Span, kind: str) -> str | int:
        """The encoding of key k in ktype (index from 0), with a domain check unless provable."""
        src = self.expr(k, ctx)
        if isinstance(ktype, RangeT):
            iv = self.interval(k, ctx)
            lo, hi = ktype.lo, ktype.hi
            if iv is not None and iv[0] == iv[1] and lo <= iv[0] <= hi and not _can_fail(k):
                return iv[0] - lo
            if iv is None or iv[0] < lo or iv[1] > hi:
                v = self.fresh("_k")
                eid = self.site(kind, span, ktype.describe() + self._none_hint(k))
                src = f"({v} if {lo} <= ({v} := {src}) <= {hi} else _oob({eid}, {v}))"
            return src if lo == 0 else f"({src} - {lo})"
        if _is_int_literal(src):
            return int(src)
        return src  # bool and enum values are their own encodings

    def read(self, container: str, off: str | int, t: Type) -> str:
        w = t.width
        if w == 0:
            # nothing to read, but a computed offset still runs its key or index check
            raw = "0" if isinstance(off, int) else f"(0 * {off})"
        elif off == 0:
            raw = f"({container} & {int_literal((1 << w) - 1)})"
        else:
            raw = f"(({container} >> {off}) & {int_literal((1 << w) - 1)})"
        if isinstance(t, RangeT):
            if w == 0 and raw == "0":
                return str(t.lo)
            return raw if t.lo == 0 else f"({raw} + {t.lo})"
        return raw

    def write(self, lines: list[str], ind: str, off: str | int, t: Type, enc_src: str) -> None:
        """Emit `t = t with the chunk at off replaced by enc_src` (enc_src already encoded)."""
        w = t.width
        if w == 0:
            return
        mask = (1 << w) - 1
        if isinstance(off, int):
            clear = ~(mask << off)
            if enc_src == "0":
                lines.append(f"{ind}t = t & {int_literal(clear)}")
            elif off == 0:
                lines.append(f"{ind}t = (t & {int_literal(clear)}) | {enc_src}")
            else:
                lines.append(f"{ind}t = (t & {int_literal(clear)}) | ({enc_src} << {off})")
        else:
            o = self.fresh("_o")
            lines.append(f"{ind}{o} = {off}")
            lines.append(f"{ind}t = (t & ~({int_literal(mask)} << {o})) | ({enc_src} << {o})")

    def encode_value(self, e: ast.Expr, t: Type, ctx: _Ctx, lines: list[str], ind: str,
                     detail: str, span: Span) -> str:
        """Evaluate e into a temp and return its encoding for storage in type t (range-checked)."""
        src = self.expr(e, ctx, expected=t)
        if isinstance(t, RangeT):
            iv = self.interval(e, ctx)
            v = self.fresh()
            lines.append(f"{ind}{v} = {src}")
            if iv is None or iv[0] < t.lo or iv[1] > t.hi:
                eid = self.site("range", span, f"{detail} ({t.lo}..{t.hi}){self._none_hint(e)}")
                lines.append(f"{ind}if not {t.lo} <= {v} <= {t.hi}: _oob({eid}, {v})")
            return v if t.lo == 0 else f"({v} - {t.lo})"
        if isinstance(t, BoolT):
            if _is_int_literal(src):
                return src
            return f"(1 if {src} else 0)"
        if isinstance(t, EnumT):
            return src
        v = self.fresh()
        lines.append(f"{ind}{v} = {src}")
        return v

    def encode_inline(self, e: ast.Expr, t: Type, ctx: _Ctx, span: Span, detail: str) -> str:
        """Encoding of e for type t as a single expression (for literals and messages)."""
        return self.encode_src(self.expr(e, ctx, expected=t), self.interval(e, ctx), t, span, detail,
                               self._none_hint(e))

    def encode_src(self, src: str, iv: tuple[int, int] | None, t: Type, span: Span, detail: str,
                   hint: str = "") -> str:
        """Encoding for type t of the value computed by src (whose interval is iv), range-checked."""
        if isinstance(t, RangeT):
            if iv is None or iv[0] < t.lo or iv[1] > t.hi:
                v = self.fresh()
                eid = self.site("range", span, f"{detail} ({t.lo}..{t.hi}){hint}")
                src = f"({v} if {t.lo} <= ({v} := {src}) <= {t.hi} else _oob({eid}, {v}))"
            return src if t.lo == 0 else f"({src} - {t.lo})"
        if isinstance(t, BoolT):
            return f"(1 if {src} else 0)"
        return src

    def _machine(self, name: str) -> MachineInfo:
        return next(m for m in self.c.machines if m.name == name)

    # ---------------------------------------------------------------------------- expressions
    def expr(self, e: ast.Expr, ctx: _Ctx, expected: Type | None = None) -> str:
        if isinstance(e, ast.IntLit):
            return str(e.value)
        if isinstance(e, ast.BoolLit):
            return "1" if e.value else "0"
        if isinstance(e, ast.SelfRef):
            assert ctx.inst is not None
            return str(ctx.inst)
        if isinstance(e, ast.Name):
            sym = self.c.refs[id(e)]
            if isinstance(sym, ConstSym):
                return str(int(sym.value))
            if isinstance(sym, EnumMemberSym):
                return str(sym.enum.members.index(sym.name))
            if isinstance(sym, BoundSym):
                return ctx.bind[sym.uid]
            loc = self.chunk(e, ctx)
            assert loc is not None
            return self.read(loc[0], loc[1], sym.type)
        if isinstance(e, (ast.Index, ast.Field)):
            loc = self.chunk(e, ctx)
            assert loc is not None
            return self.read(loc[0], loc[1], self.typ(e))
        if isinstance(e, ast.At):
            m = self._machine(self.typ(e.base).machine)  # type: ignore[attr-defined]
            base, _ = self.instance_base(e.base, m, ctx)
            pct = self.lay.pc_type[m.name]
            idx = pct.members.index(e.state)
            return f"({self.read(ctx.S, base, pct)} == {idx})"
        if isinstance(e, ast.Unary):
            inner = self.expr(e.operand, ctx)
            return f"(not {inner})" if e.op == "not" else f"(-{inner})"
        if isinstance(e, ast.Binary):
            return self.binary(e, ctx, expected)
        if isinstance(e, ast.In):
            return self.membership(e, ctx)
        if isinstance(e, ast.Quant):
            return self.quant(e, ctx)
        if isinstance(e, ast.Comprehension):
            return self.comprehension(e, ctx, expected)
        if isinstance(e, ast.Cond):
            return f"({self.expr(e.then, ctx, expected)} if {self.expr(e.cond, ctx)} else " \
                   f"{self.expr(e.orelse, ctx, expected)})"
        if isinstance(e, ast.Call):
            f = e.func.name  # type: ignore[attr-defined]
            args = [self.expr(a, ctx) for a in e.args]
            if f in ("min", "max"):
                return f"{f}({', '.join(args)})"
            if f == "abs":
                return f"abs({args[0]})"
            at = self.typ(e.args[0])
            if isinstance(at, SetT):
                return f"({args[0]}).bit_count()"
            return f"({args[0]} & {int_literal((1 << at.len_width) - 1)})"  # type: ignore[attr-defined]
        if isinstance(e, ast.SetLit):
            t = expected if isinstance(expected, SetT) else self.typ(e)
            assert isinstance(t, SetT)
            if not e.elems:
                return "0"
            parts = [f"(1 << {self.encode_inline(x, t.elem, ctx, x.span, 'a set element')})" for x in e.elems]
            return "(" + " | ".join(parts) + ")"
        if isinstance(e, ast.RecordLit):
            t = self.typ(e)
            assert isinstance(t, RecordT)
            vals = dict(e.fields)
            parts = []
            off = 0
            for fname, ft in t.fields:
                enc = self.encode_inline(vals[fname], ft, ctx, vals[fname].span, f"field {fname}")
                if ft.width:
                    parts.append(enc if off == 0 else f"({enc} << {off})")
                off += ft.width
            return "(" + " | ".join(parts) + ")" if parts else "0"
        raise AssertionError(e)

    def binary(self, e: ast.Binary, ctx: _Ctx, expected: Type | None) -> str:
        op = e.op
        if op in ("and", "or"):
            return f"({self.expr(e.left, ctx)} {op} {self.expr(e.right, ctx)})"
        if op == "=>":
            return f"((not {self.expr(e.left, ctx)}) or {self.expr(e.right, ctx)})"
        if op in ("union", "intersect", "minus"):
            t = self.typ(e)
            a, b = self.expr(e.left, ctx, t), self.expr(e.right, ctx, t)
            return {"union": f"({a} | {b})", "intersect": f"({a} & {b})", "minus": f"({a} & ~{b})"}[op]
        if op in ("/", "%"):
            eid = self.site("div", e.span)
            fn = "_div" if op == "/" else "_mod"
            return f"{fn}({self.expr(e.left, ctx)}, {self.expr(e.right, ctx)}, {eid})"
        if op in ("==", "!="):
            lt, rt = self.typ(e.left), self.typ(e.right)
            a = self.expr(e.left, ctx, rt if isinstance(e.left, _LITERALS) else None)
            b = self.expr(e.right, ctx, lt if isinstance(e.right, _LITERALS) else None)
            if isinstance(lt, BoolT) or isinstance(rt, BoolT):
                a, b = f"(not not {a})", f"(not not {b})"
            return f"({a} {op} {b})"
        return f"({self.expr(e.left, ctx)} {op} {self.expr(e.right, ctx)})"

    def membership(self, e: ast.In, ctx: _Ctx) -> str:
        desc = self.c.domains[id(e.domain)]
        x = self.expr(e.elem, ctx)
        neg = "not " if e.negated else ""
        kind = desc[0]
        if kind == "type":
            t = desc[1]
            # the answer may be known statically, but the element is still evaluated when that
            # can raise a model error (`m[9] in T` is one, whatever T is)
            known = not _can_fail(e.elem)
            if isinstance(t, RangeT):
                iv = self.interval(e.elem, ctx)
                if iv is not None and t.lo <= iv[0] and iv[1] <= t.hi:
                    return ("0" if e.negated else "1") if known else f"(0 * {x} + {0 if e.negated else 1})"
                return f"({neg}({t.lo} <= {x} <= {t.hi}))"
            return ("0" if e.negated else "1") if known else f"(0 * {x} + {0 if e.negated else 1})"
        if kind == "range":
            lo, hi = self.expr(desc[1], ctx), self.expr(desc[2], ctx)
            if _can_fail(desc[2]):
                # a chained comparison would skip hi when x < lo: evaluate all three, in the
                # interpreter's order
                return f"({neg}_within({x}, {lo}, {hi}))"
            return f"({neg}({lo} <= {x} <= {hi}))"
        if kind == "lit":
            elems = ", ".join(self.expr(y, ctx) for y in desc[1])
            return f"({x} {'not in' if e.negated else 'in'} ({elems},))"
        st = desc[1]
        assert isinstance(st, SetT)
        sset = self.expr(e.domain, ctx, st)
        elem = st.elem
        if isinstance(elem, RangeT):
            iv = self.interval(e.elem, ctx)
            if iv is not None and elem.lo <= iv[0] and iv[1] <= elem.hi:
                enc = x if elem.lo == 0 else f"({x} - {elem.lo})"
                return f"({neg}(({sset} >> {enc}) & 1))"
            v, sv = self.fresh(), self.fresh()
            # the set is read first even when x is outside its elements: reading it runs its own
            # key and instance checks (M[9].s must be a model error, whatever x is)
            return (f"({neg}(({sv} := {sset}) >= 0 and {elem.lo} <= ({v} := {x}) <= {elem.hi} and "
                    f"(({sv} >> ({v} - {elem.lo})) & 1)))")
        return f"({neg}(({sset} >> {x}) & 1))"

    def domain_iter(self, dom: ast.Expr, ctx: _Ctx) -> tuple[list[int] | None, str, str | None, tuple[int, int] | None]:
        """(static values or None, python iterable, bit filter template or None, interval)."""
        desc = self.c.domains[id(dom)]
        kind = desc[0]
        if kind == "type":
            t = desc[1]
            vals = list(range(t.lo, t.hi + 1)) if isinstance(t, RangeT) else list(range(t.size))
            return vals, f"range({vals[0]}, {vals[-1] + 1})", None, (vals[0], vals[-1])
        if kind == "range":
            lo_iv, hi_iv = self.interval(desc[1], ctx), self.interval(desc[2], ctx)
            lo, hi = self.expr(desc[1], ctx), self.expr(desc[2], ctx)
            if lo_iv and hi_iv and lo_iv[0] == lo_iv[1] and hi_iv[0] == hi_iv[1] and \
                    not _can_fail(desc[1]) and not _can_fail(desc[2]):
                # static values may be unrolled, which drops the bounds' code: only when it cannot fail
                vals = list(range(lo_iv[0], hi_iv[0] + 1))
                return vals, f"range({lo}, {hi} + 1)", None, (lo_iv[0], hi_iv[0]) if vals else None
            iv = (lo_iv[0], hi_iv[1]) if lo_iv and hi_iv else None
            return None, f"range({lo}, {hi} + 1)", None, iv
        if kind == "lit":
            elems = [self.expr(y, ctx) for y in desc[1]]
            if all(_is_int_literal(s) for s in elems):
                vals = sorted(set(int(s) for s in elems))
                return vals, "(" + ", ".join(map(str, vals)) + ",)", None, (vals[0], vals[-1]) if vals else None
            return None, f"sorted(set(({', '.join(elems)},)))", None, None
        st = desc[1]
        elem = st.elem
        sset = self.expr(dom, ctx, st)
        lo = elem.lo if isinstance(elem, RangeT) else 0
        n = elem.size
        vals = list(range(lo, lo + n)) if not isinstance(elem, BoolT) else [0, 1]
        return None, f"range({lo}, {lo + n})", f"(({sset} >> ({{v}} - {lo})) & 1)" if lo else \
            f"(({sset} >> {{v}}) & 1)", (vals[0], vals[-1])

    def quant(self, e: ast.Quant, ctx: _Ctx) -> str:
        b: BoundSym = self.c.refs[id(e)]
        static, iterable, filt, iv = self.domain_iter(e.domain, ctx)
        if e.kind in ("min", "max", "count"):
            return self.aggregate(e, ctx, b, static, iterable, filt, iv)
        join = " and " if e.kind == "forall" else " or "
        if static is not None and len(static) <= UNROLL_LIMIT:
            if not static:
                return "1" if e.kind == "forall" else "0"
            parts = [self.expr(e.body, ctx.with_bind(b, str(v), (v, v))) for v in static]
            return "(" + join.join(parts) + ")"
        name = f"b{b.uid}"
        body = self.expr(e.body, ctx.with_bind(b, name, iv))
        cond = f" if {filt.format(v=name)}" if filt else ""
        fn = "all" if e.kind == "forall" else "any"
        return _over(iterable, lambda it: f"{fn}({body} for {name} in {it}{cond})")

    def comprehension(self, e: ast.Comprehension, ctx: _Ctx, expected: Type | None) -> str:
        """A set comprehension as a bit mask: one bit per element value, the domain visited in
        its order (unrolled when static) so a model error is the interpreter's first one."""
        t = expected if isinstance(expected, SetT) else self.typ(e)
        assert isinstance(t, SetT)
        b: BoundSym = self.c.refs[id(e)]
        static, iterable, filt, iv = self.domain_iter(e.domain, ctx)
        span = e.elem.span if e.elem is not None else e.span

        def member(c: _Ctx, name: str, v_iv: tuple[int, int] | None) -> tuple[str, str | None]:
            if e.elem is None:
                bit = self.encode_src(name, v_iv, t.elem, span, "a set element")
            else:
                bit = self.encode_inline(e.elem, t.elem, c, span, "a set element")
            cond = self.expr(e.cond, c) if e.cond is not None else None
            return f"(1 << {bit})", cond

        if static is not None and len(static) <= UNROLL_LIMIT:
            parts = []
            for v in static:
                bit, cond = member(ctx.with_bind(b, str(v), (v, v)), str(v), (v, v))
                parts.append(bit if cond is None else f"({bit} if {cond} else 0)")
            return "(" + " | ".join(parts) + ")" if parts else "0"
        name = f"b{b.uid}"
        bit, cond = member(ctx.with_bind(b, name, iv), name, iv)
        tests = (f" if {filt.format(v=name)}" if filt else "") + (f" if {cond}" if cond is not None else "")
        return _over(iterable, lambda it: f"_bits({bit} for {name} in {it}{tests})")

    def aggregate(self, e: ast.Quant, ctx: _Ctx, b: BoundSym, static: list[int] | None, iterable: str, filt: str | None,
                  iv: tuple[int, int] | None) -> str:
        """`count x in D: P` (an int), `min/max x in D: e` (a model error on an empty domain)."""
        if static is not None and len(static) <= UNROLL_LIMIT:
            parts = [self.expr(e.body, ctx.with_bind(b, str(v), (v, v))) for v in static]
            if e.kind == "count":
                return "(" + " + ".join(f"(1 if {p} else 0)" for p in parts) + ")" if parts else "0"
            if not parts:
                return f"_empty({self.site('empty', e.span, e.kind)})"
            return parts[0] if len(parts) == 1 else f"{e.kind}({', '.join(parts)})"
        name = f"b{b.uid}"
        body = self.expr(e.body, ctx.with_bind(b, name, iv))
        cond = f" if {filt.format(v=name)}" if filt else ""
        if e.kind == "count":
            return _over(iterable, lambda it: f"sum(1 for {name} in {it}{cond} if {body})")
        site = self.site('empty', e.span, e.kind)
        return _over(iterable, lambda it: f"_agg({e.kind}, [{body} for {name} in {it}{cond}], {site})")

    # ----------------------------------------------------------------------------- statements
    def block(self, stmts: tuple[ast.Stmt, ...], ctx: _Ctx, lines: list[str], ind: str,
              finish: Callable[[list[str], str, _Ctx], None], act: _ActState) -> None:
        for i, s in enumerate(stmts):
            if isinstance(s, ast.Choose):
                self.choose(s, ctx, lines, ind, finish, act)
                return
            if isinstance(s, ast.If) and _has_choose(s):
                rest = stmts[i + 1:]

                def cont(ls: list[str], ind2: str, c2: _Ctx, rest: tuple[ast.Stmt, ...] = rest) -> None:
                    self.block(rest, c2, ls, ind2, finish, act)
                self.if_stmt(s, ctx, lines, ind, cont, act)
                return
            self.stmt(s, ctx, lines, ind, act)
        finish(lines, ind, ctx)

    def if_stmt(self, s: ast.If, ctx: _Ctx, lines: list[str], ind: str,
                cont: Callable[[list[str], str, _Ctx], None] | None, act: _ActState) -> None:
        for n, (cond, body) in enumerate(s.branches):
            kw = "if" if n == 0 else "elif"
            lines.append(f"{ind}{kw} {self.expr(cond, ctx)}:")
            if cont is None:
                before = len(lines)
                for st in body:
                    self.stmt(st, ctx, lines, ind + "    ", act)
                if len(lines) == before:
                    lines.append(f"{ind}    pass")
            else:
                self.block(body, ctx, lines, ind + "    ", cont, act)
        if s.orelse or cont is not None:
            lines.append(f"{ind}else:")
            if cont is None:
                before = len(lines)
                for st in s.orelse:
                    self.stmt(st, ctx, lines, ind + "    ", act)
                if len(lines) == before:  # only skips or writes of zero-width variables
                    lines.append(f"{ind}    pass")
            else:
                self.block(s.orelse, ctx, lines, ind + "    ", cont, act)

    def choose(self, s: ast.Choose, ctx: _Ctx, lines: list[str], ind: str,
               finish: Callable[[list[str], str, _Ctx], None], act: _ActState) -> None:
        b: BoundSym = self.c.refs[id(s)]
        static, iterable, filt, iv = self.domain_iter(s.domain, ctx.reading("t"))
        name = f"b{b.uid}"
        lines.append(f"{ind}for {name} in {iterable}:")
        ind2 = ind + "    "
        inner = ctx.with_bind(b, name, iv)
        if filt:
            lines.append(f"{ind2}if not {filt.format(v=name)}: continue")
        if s.cond is not None:
            lines.append(f"{ind2}if not {self.expr(s.cond, inner)}: continue")
        act.args.append(name)
        act.names.append(s.var)
        if act.labeled:
            lines.append(f"{ind2}_cur = ({act.aid}, ({', '.join(act.args)},))")
        lines.append(f"{ind2}t0_{b.uid} = t")
        self.block(s.body, inner, lines, ind2, finish, act)
        lines.append(f"{ind2}t = t0_{b.uid}")
        act.args.pop()

    def stmt(self, s: ast.Stmt, ctx: _Ctx, lines: list[str], ind: str, act: _ActState) -> None:
        if isinstance(s, ast.Assign):
            t = self.typ(s.target)
            loc = self.chunk(s.target, ctx)
            assert loc is not None
            enc = self.encode_value(s.value, t, ctx, lines, ind, _describe_target(s.target, ctx), s.value.span)
            off = self._bind_offset(loc[1], lines, ind)
            self.write(lines, ind, off, t, enc)
        elif isinstance(s, ast.If):
            self.if_stmt(s, ctx, lines, ind, None, act)
        elif isinstance(s, ast.For):
            self.for_stmt(s, ctx, lines, ind, act)
        elif isinstance(s, ast.MethodCall):
            st = self.typ(s.target)
            assert isinstance(st, SetT)
            loc = self.chunk(s.target, ctx)
            assert loc is not None
            off = self._bind_offset(loc[1], lines, ind)
            bit = self.encode_inline(s.args[0], st.elem, ctx, s.args[0].span, "a set element")
            cur = self.read("t", off, st)
            new = f"({cur} | (1 << {bit}))" if s.method == "add" else f"({cur} & ~(1 << {bit}))"
            v = self.fresh()
            lines.append(f"{ind}{v} = {new}")
            self.write(lines, ind, off, st, v)
        elif isinstance(s, ast.Send):
            ct = self.typ(s.chan)
            assert isinstance(ct, ChanT)
            loc = self.chunk(s.chan, ctx)
            assert loc is not None
            off = self._bind_offset(loc[1], lines, ind)
            c, n = self.fresh("_c"), self.fresh("_n")
            lw, ew = ct.len_width, ct.elem.width
            msg = self.encode_inline(s.value, ct.elem, ctx, s.value.span, "the message")
            eid = self.site("full", s.span, f"capacity {ct.capacity}")
            lines.append(f"{ind}{c} = {self.read('t', off, ct)}")
            lines.append(f"{ind}{n} = {c} & {(1 << lw) - 1}")
            lines.append(f"{ind}if {n} >= {ct.capacity}: _oob({eid}, {n})")
            if ew:
                lines.append(f"{ind}{c} = ({c} + 1) | ({msg} << ({lw} + {n} * {ew}))")
            else:
                lines.append(f"{ind}{c} = {c} + 1")
            self.write(lines, ind, off, ct, c)
        elif isinstance(s, ast.Assert):
            eid = self.site("assert", s.span)
            lines.append(f"{ind}if not {self.expr(s.cond, ctx)}: _oob({eid}, None)")
        elif isinstance(s, ast.Skip):
            pass
        else:
            raise AssertionError(s)

    def for_stmt(self, s: ast.For, ctx: _Ctx, lines: list[str], ind: str, act: _ActState) -> None:
        """`for x in D { body }`: unrolled over a static domain (the same code as the statements
        written out), else a Python loop; D is evaluated once, before the first iteration."""
        b: BoundSym = self.c.refs[id(s)]
        static, iterable, filt, iv = self.domain_iter(s.domain, ctx)
        if static is not None and len(static) <= UNROLL_LIMIT:
            for v in static:
                inner = ctx.with_bind(b, str(v), (v, v))
                for st in s.body:
                    self.stmt(st, inner, lines, ind, act)
            return
        desc = self.c.domains[id(s.domain)]
        if iv is not None and iv[1] - iv[0] < UNROLL_LIMIT and desc[0] in ("range", "set"):
            self.for_unrolled(s, ctx, lines, ind, act, desc, iv)
            return
        name = f"b{b.uid}"
        if filt:  # a set-valued domain: its members now, not as the body changes the set
            d = self.fresh("_d")
            lines.append(f"{ind}{d} = {self.expr(s.domain, ctx, desc[1])}")
            lo = desc[1].elem.lo if isinstance(desc[1].elem, RangeT) else 0
            filt = f"(({d} >> ({{v}} - {lo})) & 1)" if lo else f"(({d} >> {{v}}) & 1)"
        elif ":=" in iterable:
            d = self.fresh("_d")
            lines.append(f"{ind}{d} = {iterable}")
            iterable = d
        lines.append(f"{ind}for {name} in {iterable}:")
        ind2 = ind + "    "
        if filt:
            lines.append(f"{ind2}if not {filt.format(v=name)}: continue")
        before = len(lines)
        inner = ctx.with_bind(b, name, iv)
        for st in s.body:
            self.stmt(st, inner, lines, ind2, act)
        if len(lines) == before:
            lines.append(f"{ind2}pass")

    def for_unrolled(self, s: ast.For, ctx: _Ctx, lines: list[str], ind: str, act: _ActState, desc: Any,
                     iv: tuple[int, int]) -> None:
        """A loop over a dynamic domain whose values lie in a small known interval: unrolled over
        the interval, each iteration under its membership, taken before the first iteration
        (range bounds evaluated once, low then high; a set's members read once)."""
        b: BoundSym = self.c.refs[id(s)]
        if desc[0] == "range":
            lo, hi = self.fresh("_lo"), self.fresh("_hi")
            lines.append(f"{ind}{lo} = {self.expr(desc[1], ctx)}")
            lines.append(f"{ind}{hi} = {self.expr(desc[2], ctx)}")
            members = [f"{lo} <= {v} <= {hi}" for v in range(iv[0], iv[1] + 1)]
        else:
            st = desc[1]
            d = self.fresh("_d")
            lines.append(f"{ind}{d} = {self.expr(s.domain, ctx, st)}")
            base = st.elem.lo if isinstance(st.elem, RangeT) else 0
            members = [f"(({d} >> {v - base}) & 1)" for v in range(iv[0], iv[1] + 1)]
        for v, member in zip(range(iv[0], iv[1] + 1), members):
            body: list[str] = []
            inner = ctx.with_bind(b, str(v), (v, v))
            for st_ in s.body:
                self.stmt(st_, inner, body, ind + "    ", act)
            if body:
                lines.append(f"{ind}if {member}:")
                lines.extend(body)

    def _bind_offset(self, off: str | int, lines: list[str], ind: str) -> str | int:
        if isinstance(off, int):
            return off
        o = self.fresh("_o")
        lines.append(f"{ind}{o} = {off}")
        return o

    # ---------------------------------------------------------------------------- transitions
    def transition(self, tr: TransitionInfo, m: MachineInfo, inst: int, lines: list[str],
                   ind: str, labeled: bool) -> None:
        key = (m.name, inst, tr.name, tr.state.name)
        if key not in self.action_index:
            self.action_index[key] = len(self.actions)
            self.actions.append(Action(m, inst, tr, tuple(b.name for b, _ in tr.params)))
        aid = self.action_index[key]
        act = _ActState(aid, labeled)
        ctx = _Ctx("s", inst, m)
        # parameters
        for b, _dom in tr.params:
            name = f"b{b.uid}"
            if _dom[0] == "type":
                t = _dom[1]
                vals = list(range(t.lo, t.hi + 1)) if isinstance(t, RangeT) else list(range(t.size))
                iterable, filt, iv = f"range({vals[0]}, {vals[-1] + 1})", None, (vals[0], vals[-1])
            else:
                dom_expr = next(p.domain for p in tr.decl.params if p.name == b.name)
                _, iterable, filt, iv = self.domain_iter(dom_expr, ctx)  # type: ignore[arg-type]
            lines.append(f"{ind}for {name} in {iterable}:")
            ind += "    "
            if filt:
                lines.append(f"{ind}if not {filt.format(v=name)}: continue")
            ctx = ctx.with_bind(b, name, iv)
            act.args.append(name)
        if labeled:
            lines.append(f"{ind}_cur = ({aid}, ({''.join(a + ', ' for a in act.args)}))")
        conds = []
        head = None
        if tr.recv is not None:
            b, chan = tr.recv
            ct = self.typ(chan)
            assert isinstance(ct, ChanT)
            loc = self.chunk(chan, ctx)
            assert loc is not None
            c = self.fresh("_c")
            lines.append(f"{ind}{c} = {self.read('s', loc[1], ct)}")
            lw = ct.len_width
            conds.append(f"{c} & {(1 << lw) - 1}")
            head = (c, loc, ct)
        if conds:
            lines.append(f"{ind}if {' and '.join(conds)}:")
            ind += "    "
        if head is not None:
            c, loc, ct = head
            b, _ = tr.recv  # type: ignore[misc]
            name = f"b{b.uid}"
            lw, ew = ct.len_width, ct.elem.width
            raw = self.read(c, lw, ct.elem)
            lines.append(f"{ind}{name} = {raw}")
            ctx = ctx.with_bind(b, name, _range_ival(ct.elem))
        if tr.decl.guard is not None:
            lines.append(f"{ind}if {self.expr(tr.decl.guard, ctx)}:")
            ind += "    "
        lines.append(f"{ind}t = s")
        body_ctx = ctx.reading("t")
        if head is not None:
            c, loc, ct = head
            lw, ew = ct.len_width, ct.elem.width
            off = self._bind_offset(loc[1], lines, ind)
            v = self.fresh()
            lines.append(f"{ind}{v} = ((({c} >> {lw + ew}) << {lw}) | (({c} & {(1 << lw) - 1}) - 1))")
            self.write(lines, ind, off, ct, v)

        def finish(ls: list[str], ind2: str, _c: _Ctx) -> None:
            if tr.target is not None and tr.target is not tr.state:
                pct = self.lay.pc_type[m.name]
                self.write(ls, ind2, self.lay.pc_offset(m, inst), pct, str(tr.target.index))
            if labeled:
                ls.append(f"{ind2}A((_cur, t))")
            else:
                ls.append(f"{ind2}A(t)")
        self.block(tr.decl.body, body_ctx, lines, ind, finish, act)

    def tolerant_function(self) -> str:
        """`succ_tolerant(s) -> (labeled successors, model errors)`: for rebuilding traces."""
        self.tolerant = True
        lines = ["def succ_tolerant(s):", "    out = []", "    A = out.append", "    errs = []",
                 "    E = errs.append", "    _cur = None"]
        for m in self.c.machines:
            for inst in range(m.count):
                self.instance_block(m, inst, lines, "    ", True)
        lines.append("    return out, errs")
        self.tolerant = False
        return "\n".join(lines)

    def successor_function(self) -> str:
        """`succ(s)`: every successor, unlabeled; the search's hot path."""
        lines = ["def succ(s):", "    out = []", "    A = out.append"]
        for m in self.c.machines:
            for inst in range(m.count):
                self.instance_block(m, inst, lines, "    ", False)
        lines.append("    return out")
        return "\n".join(lines)

    def instance_functions(self) -> str:
        """One successor function per machine instance, `succ_i<k>` (for partial-order reduction)."""
        out = []
        k = 0
        for m in self.c.machines:
            for inst in range(m.count):
                lines = [f"def succ_i{k}(s):", "    out = []", "    A = out.append"]
                self.instance_block(m, inst, lines, "    ", False)
                lines.append("    return out")
                out.append("\n".join(lines))
                k += 1
        return "\n\n".join(out)

    def instance_block(self, m: MachineInfo, inst: int, lines: list[str], ind: str, labeled: bool) -> None:
        pct = self.lay.pc_type[m.name]
        pc_src = self.read("s", self.lay.pc_offset(m, inst), pct)
        by_state: dict[int, list[TransitionInfo]] = {}
        for tr in m.transitions:
            by_state.setdefault(tr.state.index, []).append(tr)
        if not by_state:
            return
        if len(m.states) == 1:
            for tr in by_state.get(0, []):
                self._emit(tr, m, inst, lines, ind, labeled)
            return
        pc = self.fresh("_pc")
        lines.append(f"{ind}{pc} = {pc_src}")
        first = True
        for st in m.states:
            trs = by_state.get(st.index)
            if not trs:
                continue
            lines.append(f"{ind}{'if' if first else 'elif'} {pc} == {st.index}:")
            first = False
            for tr in trs:
                self._emit(tr, m, inst, lines, ind + "    ", labeled)

    def _emit(self, tr: TransitionInfo, m: MachineInfo, inst: int, lines: list[str], ind: str,
              labeled: bool) -> None:
        """A transition's code; in tolerant mode its model errors are collected, not raised, so a
        trace can be rebuilt through a state where some other transition would fail."""
        if not self.tolerant:
            self.transition(tr, m, inst, lines, ind, labeled)
            return
        key = (m.name, inst, tr.name, tr.state.name)
        if key not in self.action_index:
            self.action_index[key] = len(self.actions)
            self.actions.append(Action(m, inst, tr, tuple(b.name for b, _ in tr.params)))
        lines.append(f"{ind}_cur = ({self.action_index[key]}, ())")
        lines.append(f"{ind}try:")
        self.transition(tr, m, inst, lines, ind + "    ", labeled)
        lines.append(f"{ind}except _ModelError as _e:")
        lines.append(f"{ind}    _e.label = _Label(*_cur)")
        lines.append(f"{ind}    E(_e)")

    def property_functions(self) -> str:
        ctx = _Ctx("s", None, None)
        out = []
        invs = [(i, p) for i, p in enumerate(self.c.properties) if p.kind == "invariant"]
        out.append("def inv(s):")
        for i, p in invs:
            out.append(f"    if not {self.expr(p.decl.expr, ctx)}: return {i}")  # type: ignore[arg-type]
        out.append("    return -1")
        out.append("def inv_all(s):")  # every violated invariant, as a bit mask (check --continue)
        out.append("    r = 0")
        for i, p in invs:
            out.append(f"    if not {self.expr(p.decl.expr, ctx)}: r |= {1 << i}")  # type: ignore[arg-type]
        out.append("    return r")
        reach = [(i, p) for i, p in enumerate(self.c.properties) if p.kind == "reachable"]
        out.append("def reach(s):")
        out.append("    r = 0")
        for i, p in reach:
            out.append(f"    if {self.expr(p.decl.expr, ctx)}: r |= {1 << i}")  # type: ignore[arg-type]
        out.append("    return r")
        out.append("def final(s):")
        conds = []
        for m in self.c.machines:
            finals = [st.index for st in m.states if st.final]
            pct = self.lay.pc_type[m.name]
            for inst in range(m.count):
                pc = self.read("s", self.lay.pc_offset(m, inst), pct)
                conds.append(f"({pc} in {tuple(finals)!r})" if finals else "0")
        out.append(f"    return {' and '.join(conds) if conds else '1'}")
        return "\n".join(out)


@dataclass
class _ActState:
    aid: int
    labeled: bool
    args: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def int_literal(n: int) -> str:
    """An integer as a Python literal: hex once it is big, since decimal conversion of a number
    over 4,300 digits raises (a set over 0..65535 has a 65,536-bit mask)."""
    return str(n) if -(1 << 63) <= n < (1 << 63) else (hex(n) if n >= 0 else f"(-{hex(-n)})")


def _has_choose(s: ast.Stmt) -> bool:
    if isinstance(s, ast.Choose):
        return True
    if isinstance(s, ast.If):
        return any(_has_choose(x) for _, body in s.branches for x in body) or any(
            _has_choose(x) for x in s.orelse)
    return False


def _can_fail(e: Any) -> bool:
    """Whether evaluating e may raise a model error (a map key or instance index out of its
    domain, a division by zero, a literal's element out of its range).  Conservative: code that
    replaces e by a value known from types or intervals keeps e's code when this is true."""
    if isinstance(e, (ast.Index, ast.SetLit, ast.RecordLit)):
        return True
    if isinstance(e, ast.Binary) and e.op in ("/", "%"):
        return True
    if isinstance(e, tuple):
        return any(_can_fail(x) for x in e)
    if not isinstance(e, ast.Expr):
        return False
    return any(_can_fail(getattr(e, f.name)) for f in fields(e) if f.name != "span")


def _is_int_literal(src: str) -> bool:
    return src.lstrip("-").isdigit()


def _add(a: str | int, b: str | int) -> str | int:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    if a == 0:
        return b
    if b == 0:
        return a
    return f"({a} + {b})"


def _mul(a: str | int, k: int) -> str | int:
    if isinstance(a, int):
        return a * k
    if k == 0:
        return 0
    if k == 1:
        return a
    return f"({a} * {k})"


def _range_ival(t: Type | None) -> tuple[int, int] | None:
    if isinstance(t, RangeT):
        return (t.lo, t.hi)
    return None


def _is_scalar_t(t: Type) -> bool:
    return isinstance(t, (BoolT, RangeT, EnumT, IntT))


def _describe_target(e: ast.Expr, ctx: _Ctx) -> str:
    if isinstance(e, ast.Name):
        if ctx.machine is not None and ctx.inst is not None and any(v.name == e.name for v in ctx.machine.locals):
            return f"{ctx.machine.instance_name(ctx.inst)}.{e.name}"
        return e.name
    if isinstance(e, ast.Index):
        return f"{_describe_target(e.base, ctx)}[...]"
    if isinstance(e, ast.Field):
        return f"{_describe_target(e.base, ctx)}.{e.name}"
    return "a variable"


def _over(iterable: str, comprehension: Callable[[str], str]) -> str:
    """A comprehension over `iterable`.  Python forbids `:=` in a comprehension's iterable, and a
    range-checked key or index in a domain (`exists e in {m[n + 1]}: ...`) compiles to one: such
    an iterable is evaluated first, as the argument of a lambda that holds the comprehension."""
    if ":=" not in iterable:
        return comprehension(iterable)
    return f"(lambda _it: {comprehension('_it')})({iterable})"


# --------------------------------------------------------------------------------- runtime glue


def _oob(eid: int, value: Any) -> NoReturn:
    raise ModelError(eid, value)


def _div(a: int, b: int, eid: int) -> int:
    if b == 0:
        raise ModelError(eid, None)
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _empty(eid: int) -> NoReturn:
    raise ModelError(eid, None)


def _agg(fn: Callable[[list[int]], int], values: list[int], eid: int) -> int:
    """min or max of a domain's values; an empty domain is a model error."""
    if not values:
        raise ModelError(eid, None)
    return fn(values)


def _mod(a: int, b: int, eid: int) -> int:
    return a - b * _div(a, b, eid)


def _within(x: int, lo: int, hi: int) -> bool:
    return lo <= x <= hi


def _bits(bits: Any) -> int:
    """The set (a bit mask) of the given one-bit masks."""
    out = 0
    for b in bits:
        out |= b
    return out


def _namespace() -> dict[str, Any]:
    """The only names generated code can reach: the runtime glue and a few pure built-ins."""
    return {"_oob": _oob, "_div": _div, "_mod": _mod, "_within": _within, "_ModelError": ModelError,
            "_Label": Label, "_empty": _empty, "_agg": _agg, "_bits": _bits,
            "__builtins__": {"min": min, "max": max, "abs": abs, "all": all, "any": any, "range": range,
                             "sorted": sorted, "set": set, "sum": sum}}


def compile_predicates(model: CompiledModel, exprs: Sequence[ast.Expr]) -> list[Callable[[int], bool]]:
    """Compile extra predicates over packed states (for example liveness properties) with the
    model's own code generator; their model errors get error-site ids after the model's."""
    gen = _Gen(model.checked, model.layout)
    gen.errors = list(model.error_sites)
    ctx = _Ctx("s", None, None)
    src = "\n".join(f"def p{i}(s):\n    return {gen.expr(e, ctx)}" for i, e in enumerate(exprs)) + "\n"
    namespace = _namespace()
    exec(compile(src, f"<papcheck-predicates:{model.checked.name}>", "exec"), namespace)
    return [namespace[f"p{i}"] for i in range(len(exprs))]


class CompiledModel:
    """A DSL spec as a :class:`checker.engine.model.Model` over packed-int states."""

    def __init__(self, checked: CheckedSpec):
        self.checked = checked
        self.layout = Layout.build(checked)
        gen = _Gen(checked, self.layout)
        fast = gen.successor_function()
        gen.tmp = 0
        tolerant = gen.tolerant_function()
        props = gen.property_functions()
        per_instance = gen.instance_functions()
        self.source = "\n\n".join([fast, tolerant, props, per_instance]) + "\n"
        namespace = _namespace()
        exec(compile(self.source, f"<papcheck:{checked.name}>", "exec"), namespace)
        self.successors = namespace["succ"]
        self._tolerant = namespace["succ_tolerant"]
        self._inv = namespace["inv"]
        self.violated_invariant = self._inv  # the generated function itself: no wrapper call per state
        self.violated_invariants = namespace["inv_all"]
        self.witnesses = namespace["reach"]
        self.is_final = namespace["final"]
        self.actions = gen.actions
        self.instances: list[tuple[MachineInfo, int]] = [(m, i) for m in checked.machines for i in range(m.count)]
        self.instance_successors = [namespace[f"succ_i{k}"] for k in range(len(self.instances))]
        self.error_sites = gen.errors
        self.properties: Sequence[PropertySpec] = [PropertySpec(p.kind, p.name, i) for i, p in enumerate(checked.properties)]
        self.has_invariants = any(p.kind == "invariant" for p in checked.properties)
        self._initial: list[int] | None = None

    def labeled_successors(self, s: int) -> list[tuple[Label, int]]:
        """The successors with their labels, in the order of successors(); raises the first
        model error (in that order), labeled with its transition."""
        out, errs = self._tolerant(s)
        if errs:
            raise errs[0]
        return [(Label(*cur), t) for cur, t in out]

    def tolerant_successors(self, s: int) -> tuple[list[tuple[Label, int]], list[ModelError]]:
        """Labeled successors of the transitions that do not fail, and the model errors of those
        that do (each with its label).  For rebuilding traces, never for the search."""
        out, errs = self._tolerant(s)
        return [(Label(*cur), t) for cur, t in out], errs

    def initial_states(self) -> list[int]:
        """One state, or one per combination of the `in` declarations' values (computed once)."""
        if self._initial is None:
            self._initial = self.layout.initial_states()
        return list(self._initial)


    def decode(self, s: int) -> dict[str, Any]:
        return self.layout.decode(s)

    def slot_types(self) -> dict[str, Type]:
        return {slot.display: slot.type for slot in self.layout.slots}
