"""Checked spec to C: the successor, invariant, witness and final-state functions of the Python
engine's generated code (:mod:`checker.engine.compile`), transcribed to C over the same packed
layout, plus the search runtime (:mod:`checker.engine.native.runtime`).

A state is at most 126 bits, held in a signed ``__int128`` (``V``) like every value of the
generated code, so Python's integer semantics hold for the values a spec can compute (GCC and
Clang's ``__int128``; ``-fwrapv``).  Successors come in the Python engine's order, and every
expression short-circuits and evaluates where the Python code does, so a state raises a model
error in C exactly when it does in Python: the C code only says *that* it failed (a longjmp back
to the search), and the Python model, replaying that state, gives the message.

Nothing of the spec's text reaches the C source: variables are bit offsets, bound names
``b<uid>``, temporaries ``_v<n>``, and every literal is an integer formatted here; comments carry
spec line numbers only.  A construct this generator does not transcribe raises
:class:`Unsupported` (the caller falls back to the Python engine with a note).
"""

from __future__ import annotations

from collections.abc import Callable

from ...lang import ast
from ...lang.errors import Span
from ...lang.symbols import BoundSym, CheckedSpec, ConstSym, EnumMemberSym, MachineInfo, TransitionInfo
from ...lang.types import BoolT, ChanT, RangeT, RecordT, SetT, Type
from ..compile import (
    _LITERALS,
    UNROLL_LIMIT,
    _ActState,
    _can_fail,
    _Ctx,
    _describe_target,
    _Gen,
    _has_choose,
    _range_ival,
)
from ..layout import Layout
from .runtime import RUNTIME

MAX_WIDTH = 126  # bits: a state, and every value, fits a signed __int128 with room for a sign
_V_MIN, _V_MAX = -(1 << 127), (1 << 127) - 1
_SAFE = 1 << 120  # integers the generated code computes must stay within +-2^120 (Python's are unbounded)


class Unsupported(Exception):
    """The spec uses something the C generator does not transcribe: search it in Python."""


def clit(n: int) -> str:
    """An integer as a C expression of type V (signed 128-bit)."""
    if not _V_MIN <= n <= _V_MAX:
        raise Unsupported(f"the integer constant {n} does not fit 128 bits")
    if -(1 << 62) <= n < (1 << 62):
        return f"((V){n}LL)"
    u = n & ((1 << 128) - 1)
    return f"((V)(((U)0x{u >> 64:x}ULL << 64) | (U)0x{u & ((1 << 64) - 1):x}ULL))"


def _spec_int(n: int) -> int:
    """A number of the spec, refused beyond +-2^120 (arithmetic on it must not wrap in 128 bits)."""
    if not -_SAFE <= n <= _SAFE:
        raise Unsupported("an integer constant beyond 120 bits")
    return n


def _lit(src: str) -> int | None:
    """The value of a literal this module produced (plain or clit), else None."""
    s = src
    if s.startswith("((V)") and s.endswith("LL)") and "<<" not in s:
        s = s[4:-3]
    return int(s) if s.lstrip("-").isdigit() else None


def _loop(name: str, lo: str, hi: str) -> str:
    """A for header running V `name` from lo to hi inclusive (none when lo > hi) without ever
    computing hi + 1, which wraps when hi is the largest V; `continue` in the body still steps.
    lo and hi are evaluated more than once: pass constants or temporaries."""
    g = f"g_{name}"
    return f"for (V {name} = {lo}, {g} = ({lo} <= {hi}); {g}; {g} = ({name} != {hi}), {name} += {g})"


class CGen(_Gen):
    """The Python generator's location and interval logic, with C for every emitted line."""

    def __init__(self, checked: CheckedSpec, layout: Layout):
        super().__init__(checked, layout)
        self.line_comments = True

    # ---------------------------------------------------------------------------- intervals
    def interval(self, e: ast.Expr, ctx: _Ctx) -> tuple[int, int] | None:
        """The Python generator's intervals, plus division, remainder, abs and aggregates, so
        that every arithmetic node has one (see _bounded)."""
        if isinstance(e, ast.Binary) and e.op in ("/", "%"):
            a, b = self.interval(e.left, ctx), self.interval(e.right, ctx)
            if a is None or b is None:
                return None
            m = max(abs(a[0]), abs(a[1])) if e.op == "/" else max(abs(b[0]), abs(b[1]))
            return (-m, m)  # |a / b| <= |a| and |a % b| < |b|, truncating or flooring
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.name == "abs":
            a = self.interval(e.args[0], ctx)
            if a is None:
                return None
            m = max(abs(a[0]), abs(a[1]))
            return (0 if a[0] <= 0 <= a[1] else min(abs(a[0]), abs(a[1])), m)
        if isinstance(e, ast.Quant) and e.kind in ("count", "min", "max"):
            d = self.domain_interval(e.domain, ctx)
            if e.kind == "count":
                return (0, max(0, d[1] - d[0] + 1)) if d is not None else None
            b = self.c.refs[id(e)]
            return self.interval(e.body, ctx.with_bind(b, "", d))
        return super().interval(e, ctx)

    def domain_interval(self, dom: ast.Expr, ctx: _Ctx) -> tuple[int, int] | None:
        """An interval holding every value of a quantifier's domain, or None."""
        desc = self.c.domains[id(dom)]
        kind = desc[0]
        t = desc[1] if kind in ("type", "set") else None
        if kind == "set":
            t = t.elem  # type: ignore[union-attr]
        if t is not None:
            return (t.lo, t.hi) if isinstance(t, RangeT) else (0, max(0, t.size - 1))
        if kind == "range":
            lo, hi = self.interval(desc[1], ctx), self.interval(desc[2], ctx)
            return (lo[0], hi[1]) if lo is not None and hi is not None else None
        ivs = [self.interval(y, ctx) for y in desc[1]]
        if not ivs or any(i is None for i in ivs):
            return None
        return (min(i[0] for i in ivs), max(i[1] for i in ivs))  # type: ignore[index]

    def _bounded(self, e: ast.Expr, ctx: _Ctx) -> None:
        """Refuse an arithmetic node unless its value provably lies within +-2^120.  With every
        operand exact (by induction: leaves are values of at most 126 bits or constants within
        2^120, and every arithmetic operand passed this test), a wrapping 128-bit + - * / or
        negation whose true result fits gives the true result, so C computes Python's integers."""
        iv = self.interval(e, ctx)
        if iv is None:
            raise Unsupported("arithmetic whose values have no proven bound")
        if iv[0] < -_SAFE or iv[1] > _SAFE:
            raise Unsupported("arithmetic beyond 120 bits")

    # ------------------------------------------------------------------------------ values
    def encoded_key(self, k: ast.Expr, ktype: Type, ctx: _Ctx, span: Span, kind: str) -> str | int:
        src = self.expr(k, ctx)
        if isinstance(ktype, RangeT):
            iv = self.interval(k, ctx)
            lo, hi = ktype.lo, ktype.hi
            if iv is not None and iv[0] == iv[1] and lo <= iv[0] <= hi and not _can_fail(k):
                return iv[0] - lo
            if iv is None or iv[0] < lo or iv[1] > hi:
                v = self.fresh("_k")
                eid = self.site(kind, span, ktype.describe() + self._none_hint(k))
                src = f"({{ V {v} = {src}; ({clit(lo)} <= {v} && {v} <= {clit(hi)}) ? {v} : papc_fail({eid}); }})"
            return src if lo == 0 else f"({src} - {clit(lo)})"
        n = _lit(src)
        if n is not None:
            return n
        return src

    def read(self, container: str, off: str | int, t: Type) -> str:
        w = t.width
        if w == 0:
            raw = "((V)0)" if isinstance(off, int) else f"((V)0 * ({off}))"
        elif off == 0:
            raw = f"(({container}) & {clit((1 << w) - 1)})"
        else:
            raw = f"((({container}) >> ({off})) & {clit((1 << w) - 1)})"
        if isinstance(t, RangeT):
            if w == 0 and raw == "((V)0)":
                return clit(t.lo)
            return raw if t.lo == 0 else f"({raw} + {clit(t.lo)})"
        return raw

    def write(self, lines: list[str], ind: str, off: str | int, t: Type, enc_src: str) -> None:
        w = t.width
        if w == 0:
            return
        mask = (1 << w) - 1
        if isinstance(off, int):
            clear = ~(mask << off)
            lines.append(f"{ind}t = (t & {clit(clear)}) | ((V)({enc_src}) << {off});")
        else:
            o = self.fresh("_o")
            lines.append(f"{ind}{{ V {o} = {off}; t = (t & ~({clit(mask)} << {o})) | ((V)({enc_src}) << {o}); }}")

    def _check_range(self, v: str, lo: int, hi: int, eid: int) -> str:
        return f"if (!({clit(lo)} <= {v} && {v} <= {clit(hi)})) papc_fail({eid});"

    def encode_value(self, e: ast.Expr, t: Type, ctx: _Ctx, lines: list[str], ind: str,
                     detail: str, span: Span) -> str:
        src = self.expr(e, ctx, expected=t)
        v = self.fresh()
        if isinstance(t, RangeT):
            iv = self.interval(e, ctx)
            lines.append(f"{ind}V {v} = {src};")
            if iv is None or iv[0] < t.lo or iv[1] > t.hi:
                eid = self.site("range", span, f"{detail} ({t.lo}..{t.hi}){self._none_hint(e)}")
                lines.append(f"{ind}{self._check_range(v, t.lo, t.hi, eid)}")
            return v if t.lo == 0 else f"({v} - {clit(t.lo)})"
        if isinstance(t, BoolT):
            lines.append(f"{ind}V {v} = ({src}) ? 1 : 0;")
            return v
        lines.append(f"{ind}V {v} = {src};")
        return v

    def encode_inline(self, e: ast.Expr, t: Type, ctx: _Ctx, span: Span, detail: str) -> str:
        return self.encode_src(self.expr(e, ctx, expected=t), self.interval(e, ctx), t, span, detail,
                               self._none_hint(e))

    def encode_src(self, src: str, iv: tuple[int, int] | None, t: Type, span: Span, detail: str,
                   hint: str = "") -> str:
        if isinstance(t, RangeT):
            if iv is None or iv[0] < t.lo or iv[1] > t.hi:
                v = self.fresh()
                eid = self.site("range", span, f"{detail} ({t.lo}..{t.hi}){hint}")
                src = f"({{ V {v} = {src}; ({clit(t.lo)} <= {v} && {v} <= {clit(t.hi)}) ? {v} : papc_fail({eid}); }})"
            return src if t.lo == 0 else f"({src} - {clit(t.lo)})"
        if isinstance(t, BoolT):
            return f"(({src}) ? (V)1 : (V)0)"
        return src

    # ---------------------------------------------------------------------------- expressions
    def expr(self, e: ast.Expr, ctx: _Ctx, expected: Type | None = None) -> str:
        if isinstance(e, ast.IntLit):
            return clit(_spec_int(e.value))
        if isinstance(e, ast.BoolLit):
            return "((V)1)" if e.value else "((V)0)"
        if isinstance(e, ast.SelfRef):
            assert ctx.inst is not None
            return clit(ctx.inst)
        if isinstance(e, ast.Name):
            sym = self.c.refs[id(e)]
            if isinstance(sym, ConstSym):
                if not isinstance(sym.value, int):
                    raise Unsupported("a constant that is not an integer")
                return clit(_spec_int(int(sym.value)))
            if isinstance(sym, EnumMemberSym):
                return clit(sym.enum.members.index(sym.name))
            if isinstance(sym, BoundSym):
                return ctx.bind[sym.uid]
            loc = self.chunk(e, ctx)
            assert loc is not None
            return self.read(loc[0], loc[1], sym.type)
        if isinstance(e, (ast.Index, ast.Field)):
            loc = self.chunk(e, ctx)
            if loc is None:
                raise Unsupported("an index or field of a value that is not a location")
            return self.read(loc[0], loc[1], self.typ(e))
        if isinstance(e, ast.At):
            m = self._machine(self.typ(e.base).machine)  # type: ignore[attr-defined]
            base, _ = self.instance_base(e.base, m, ctx)
            pct = self.lay.pc_type[m.name]
            idx = pct.members.index(e.state)
            return f"(V)({self.read(ctx.S, base, pct)} == {clit(idx)})"
        if isinstance(e, ast.Unary):
            if e.op != "not":
                self._bounded(e, ctx)
            inner = self.expr(e.operand, ctx)
            return f"(V)(!({inner}))" if e.op == "not" else f"(-({inner}))"
        if isinstance(e, ast.Binary):
            return self.binary(e, ctx, expected)
        if isinstance(e, ast.In):
            return self.membership(e, ctx)
        if isinstance(e, ast.Quant):
            return self.quant(e, ctx)
        if isinstance(e, ast.Comprehension):
            return self.comprehension(e, ctx, expected)
        if isinstance(e, ast.Cond):
            return f"(({self.expr(e.cond, ctx)}) ? ({self.expr(e.then, ctx, expected)}) : " \
                   f"({self.expr(e.orelse, ctx, expected)}))"
        if isinstance(e, ast.Call):
            f = e.func.name  # type: ignore[attr-defined]
            args = [self.expr(a, ctx) for a in e.args]
            if f in ("min", "max"):
                return self._fold(f"papc_{f}", args)
            if f == "abs":
                self._bounded(e, ctx)
                return f"papc_abs({args[0]})"
            at = self.typ(e.args[0])
            if isinstance(at, SetT):
                return f"papc_popcount({args[0]})"
            if isinstance(at, ChanT):
                return f"(({args[0]}) & {clit((1 << at.len_width) - 1)})"
            raise Unsupported(f"the function {f!r}")
        if isinstance(e, ast.SetLit):
            st = self._set_type(e, expected)
            if not e.elems:
                return "((V)0)"
            parts = [f"((V)1 << ({self.encode_inline(x, st.elem, ctx, x.span, 'a set element')}))" for x in e.elems]
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
                    parts.append(f"((V)({enc}))" if off == 0 else f"((V)({enc}) << {off})")
                else:
                    parts.append(f"((V)0 * ({enc}))")
                off += ft.width
            return "(" + " | ".join(parts) + ")" if parts else "((V)0)"
        raise Unsupported(f"the expression {type(e).__name__}")

    def _set_type(self, e: ast.Expr, expected: Type | None) -> SetT:
        """The type a set literal or comprehension is encoded in: the one expected where it is
        written, else its own; its bit mask must fit a V, as a state's sets do."""
        t = expected if isinstance(expected, SetT) else self.typ(e)
        assert isinstance(t, SetT)
        if t.width > MAX_WIDTH:
            raise Unsupported(f"a set value of {t.width} possible elements (a C value holds {MAX_WIDTH})")
        return t

    @staticmethod
    def _fold(fn: str, args: list[str]) -> str:
        """min/max over several arguments: every one is evaluated (as Python's min/max does), and
        a failing one fails whatever the order, so C's unspecified argument order is harmless."""
        out = args[0]
        for a in args[1:]:
            out = f"{fn}({out}, {a})"
        return out

    def binary(self, e: ast.Binary, ctx: _Ctx, expected: Type | None) -> str:
        op = e.op
        if op == "and":
            return f"(V)(({self.expr(e.left, ctx)}) && ({self.expr(e.right, ctx)}))"
        if op == "or":
            return f"(V)(({self.expr(e.left, ctx)}) || ({self.expr(e.right, ctx)}))"
        if op == "=>":
            return f"(V)(!({self.expr(e.left, ctx)}) || ({self.expr(e.right, ctx)}))"
        if op in ("union", "intersect", "minus"):
            t = self.typ(e)
            a, b = self.expr(e.left, ctx, t), self.expr(e.right, ctx, t)
            return {"union": f"(({a}) | ({b}))", "intersect": f"(({a}) & ({b}))", "minus": f"(({a}) & ~({b}))"}[op]
        if op in ("/", "%"):
            self._bounded(e, ctx)
            eid = self.site("div", e.span)
            fn = "papc_div" if op == "/" else "papc_mod"
            return f"{fn}({self.expr(e.left, ctx)}, {self.expr(e.right, ctx)}, {eid})"
        if op in ("==", "!="):
            lt, rt = self.typ(e.left), self.typ(e.right)
            a = self.expr(e.left, ctx, rt if isinstance(e.left, _LITERALS) else None)
            b = self.expr(e.right, ctx, lt if isinstance(e.right, _LITERALS) else None)
            if isinstance(lt, BoolT) or isinstance(rt, BoolT):
                a, b = f"(!!({a}))", f"(!!({b}))"
            return self._ordered(a, b, op)
        if op in ("<", "<=", ">", ">=", "+", "-", "*"):
            if op in ("+", "-", "*"):
                self._bounded(e, ctx)
            a, b = self.expr(e.left, ctx), self.expr(e.right, ctx)
            if op in ("+", "-", "*"):
                return f"(({a}) {op} ({b}))"
            return self._ordered(a, b, op)
        raise Unsupported(f"the operator {op!r}")

    def _ordered(self, a: str, b: str, op: str) -> str:
        """a op b with a evaluated before b (Python's order), when both may fail."""
        if "papc_fail" in a and "papc_fail" in b:
            x, y = self.fresh(), self.fresh()
            return f"({{ V {x} = {a}; V {y} = {b}; (V)({x} {op} {y}); }})"
        return f"(V)(({a}) {op} ({b}))"

    def membership(self, e: ast.In, ctx: _Ctx) -> str:
        desc = self.c.domains[id(e.domain)]
        x = self.expr(e.elem, ctx)
        neg = "!" if e.negated else ""
        kind = desc[0]
        yes, no = ("((V)0)", "((V)1)") if e.negated else ("((V)1)", "((V)0)")
        if kind == "type":
            t = desc[1]
            known = not _can_fail(e.elem)
            if isinstance(t, RangeT):
                iv = self.interval(e.elem, ctx)
                if iv is not None and t.lo <= iv[0] and iv[1] <= t.hi:
                    return yes if known else f"((V)0 * ({x}) + {yes})"
                v = self.fresh()
                return f"({{ V {v} = {x}; (V){neg}({clit(t.lo)} <= {v} && {v} <= {clit(t.hi)}); }})"
            return yes if known else f"((V)0 * ({x}) + {yes})"
        if kind == "range":
            lo, hi = self.expr(desc[1], ctx), self.expr(desc[2], ctx)
            v, lv, hv = self.fresh(), self.fresh(), self.fresh()
            if _can_fail(desc[2]):  # Python's _within(x, lo, hi): all three, in this order
                return (f"({{ V {v} = {x}; V {lv} = {lo}; V {hv} = {hi}; "
                        f"(V){neg}({lv} <= {v} && {v} <= {hv}); }})")
            # Python's chained lo <= x <= hi: lo, x, then hi only when the first holds
            return f"({{ V {lv} = {lo}; V {v} = {x}; (V){neg}({lv} <= {v} && {v} <= ({hi})); }})"
        if kind == "lit":
            v = self.fresh()
            temps = [self.fresh() for _ in desc[1]]
            decl = "".join(f" V {tv} = {self.expr(y, ctx)};" for tv, y in zip(temps, desc[1]))
            test = " || ".join(f"{v} == {tv}" for tv in temps) or "0"
            return f"({{ V {v} = {x};{decl} (V){neg}({test}); }})"
        st = desc[1]
        assert isinstance(st, SetT)
        sset = self.expr(e.domain, ctx, st)
        elem = st.elem
        if isinstance(elem, RangeT):
            iv = self.interval(e.elem, ctx)
            if iv is not None and elem.lo <= iv[0] and iv[1] <= elem.hi:
                enc = x if elem.lo == 0 else f"(({x}) - {clit(elem.lo)})"
                return f"(V){neg}((({sset}) >> ({enc})) & 1)"
            v, sv = self.fresh(), self.fresh()
            return (f"({{ V {sv} = {sset}; V {v} = {x}; (V){neg}({clit(elem.lo)} <= {v} && {v} <= {clit(elem.hi)} "
                    f"&& (({sv} >> ({v} - {clit(elem.lo)})) & 1)); }})")
        return f"(V){neg}((({sset}) >> ({x})) & 1)"

    def c_domain(self, dom: ast.Expr, ctx: _Ctx) -> tuple[list[int] | None, str, str, str | None, tuple[int, int] | None]:
        """(static values or None, C prelude computing the bounds, the loop's inclusive bounds
        "lo; hi" as C (see _loop), a bit filter template or None, interval), as Python's domain_iter."""
        desc = self.c.domains[id(dom)]
        kind = desc[0]
        if kind == "type":
            t = desc[1]
            vals = list(range(t.lo, t.hi + 1)) if isinstance(t, RangeT) else list(range(t.size))
            return vals, "", f"{clit(vals[0])}; {clit(vals[-1])}", None, (vals[0], vals[-1])
        if kind == "range":
            lo_iv, hi_iv = self.interval(desc[1], ctx), self.interval(desc[2], ctx)
            lo, hi = self.expr(desc[1], ctx), self.expr(desc[2], ctx)
            lv, hv = self.fresh("_lo"), self.fresh("_hi")
            prelude = f"V {lv} = {lo}; V {hv} = {hi};"
            if lo_iv and hi_iv and lo_iv[0] == lo_iv[1] and hi_iv[0] == hi_iv[1] and \
                    not _can_fail(desc[1]) and not _can_fail(desc[2]):
                vals = list(range(lo_iv[0], hi_iv[0] + 1))
                return vals, prelude, f"{lv}; {hv}", None, (lo_iv[0], hi_iv[0]) if vals else None
            iv = (lo_iv[0], hi_iv[1]) if lo_iv and hi_iv else None
            return None, prelude, f"{lv}; {hv}", None, iv
        if kind == "lit":
            elems = [self.expr(y, ctx) for y in desc[1]]
            lits = [_lit(s) for s in elems]
            if all(n is not None for n in lits):
                vals = sorted(set(lits))  # type: ignore[arg-type]
                if not vals:
                    return [], "", "((V)1); ((V)0)", None, None
                # iterate the hull, keeping the listed values
                filt = "(" + " || ".join(f"{{v}} == {clit(n)}" for n in vals) + ")"
                return vals, "", f"{clit(vals[0])}; {clit(vals[-1])}", filt, (vals[0], vals[-1])
            # values known at run time only: a bit set over the hull of their intervals, which
            # iterates them sorted and without repeats, as Python's sorted(set(...)) does
            ivs = [self.interval(y, ctx) for y in desc[1]]
            if any(i is None for i in ivs):
                raise Unsupported("a domain listing values of unknown bounds")
            hlo, hhi = min(i[0] for i in ivs), max(i[1] for i in ivs)  # type: ignore[index]
            if hhi - hlo > 120:
                raise Unsupported("a domain listing values over more than 121 possible values")
            sv = self.fresh("_set")
            adds = "".join(f" {sv} |= (V)1 << (({e}) - {clit(hlo)});" for e in elems)
            return (None, f"V {sv} = 0;{adds}", f"{clit(hlo)}; {clit(hhi)}",
                    f"(({sv} >> ({{v}} - {clit(hlo)})) & 1)", (hlo, hhi))
        st = desc[1]
        elem = st.elem
        sset = self.expr(dom, ctx, st)
        elo: int = elem.lo if isinstance(elem, RangeT) else 0
        n = elem.size
        evals = list(range(elo, elo + n)) if not isinstance(elem, BoolT) else [0, 1]
        sv = self.fresh("_set")
        filt = f"(({sv} >> ({{v}} - {clit(elo)})) & 1)" if elo else f"(({sv} >> ({{v}})) & 1)"
        return None, f"V {sv} = {sset};", f"{clit(elo)}; {clit(elo + n - 1)}", filt, (evals[0], evals[-1])

    def quant(self, e: ast.Quant, ctx: _Ctx) -> str:
        b: BoundSym = self.c.refs[id(e)]
        static, prelude, bounds, filt, iv = self.c_domain(e.domain, ctx)
        if e.kind in ("min", "max", "count"):
            return self.aggregate_c(e, ctx, b, static, prelude, bounds, filt, iv)
        join = " && " if e.kind == "forall" else " || "
        if static is not None and len(static) <= UNROLL_LIMIT and filt is None and not prelude:
            if not static:
                return "((V)1)" if e.kind == "forall" else "((V)0)"
            parts = [f"({self.expr(e.body, ctx.with_bind(b, clit(v), (v, v)))})" for v in static]
            return "(V)(" + join.join(parts) + ")"
        name = f"b{b.uid}"
        body = self.expr(e.body, ctx.with_bind(b, name, iv))
        r = self.fresh("_r")
        lo, hi = bounds.split("; ")
        skip = f"if (!{filt.format(v=name)}) continue; " if filt else ""
        if e.kind == "forall":
            step = f"if (!({body})) {{ {r} = 0; break; }}"
            init = 1
        else:
            step = f"if ({body}) {{ {r} = 1; break; }}"
            init = 0
        return f"({{ {prelude} V {r} = {init}; {_loop(name, lo, hi)} {{ {skip}{step} }} {r}; }})"

    def comprehension(self, e: ast.Comprehension, ctx: _Ctx, expected: Type | None) -> str:
        """A set comprehension as a bit mask, as the Python engine's: the domain taken once (its
        prelude), its values ascending, for each the condition then the element (range-checked
        into the set's element type); unrolled over a small static domain, where every part is
        evaluated (C's unspecified order of `|` operands is harmless: a part fails or not
        whatever the order, and nothing else happens)."""
        t = self._set_type(e, expected)
        b: BoundSym = self.c.refs[id(e)]
        static, prelude, bounds, filt, iv = self.c_domain(e.domain, ctx)
        span = e.elem.span if e.elem is not None else e.span

        def member(c: _Ctx, name: str, v_iv: tuple[int, int] | None) -> str:
            if e.elem is None:
                bit = self.encode_src(name, v_iv, t.elem, span, "a set element")
            else:
                bit = self.encode_inline(e.elem, t.elem, c, span, "a set element")
            one = f"((V)1 << ({bit}))"
            return one if e.cond is None else f"(({self.expr(e.cond, c)}) ? {one} : (V)0)"

        if static is not None and len(static) <= UNROLL_LIMIT:
            # static values: constants whose prelude (if any) cannot fail
            parts = [member(ctx.with_bind(b, clit(v), (v, v)), clit(v), (v, v)) for v in static]
            return "(" + " | ".join(parts) + ")" if parts else "((V)0)"
        name = f"b{b.uid}"
        one = member(ctx.with_bind(b, name, iv), name, iv)
        lo, hi = bounds.split("; ")
        skip = f"if (!{filt.format(v=name)}) continue; " if filt else ""
        acc = self.fresh("_acc")
        return f"({{ {prelude} V {acc} = 0; {_loop(name, lo, hi)} {{ {skip}{acc} |= {one}; }} {acc}; }})"

    def aggregate_c(self, e: ast.Quant, ctx: _Ctx, b: BoundSym, static: list[int] | None, prelude: str,
                    bounds: str, filt: str | None, iv: tuple[int, int] | None) -> str:
        if static is not None and len(static) <= UNROLL_LIMIT and filt is None and not prelude:
            parts = [self.expr(e.body, ctx.with_bind(b, clit(v), (v, v))) for v in static]
            if e.kind == "count":
                return "(" + " + ".join(f"(({p}) ? (V)1 : (V)0)" for p in parts) + ")" if parts else "((V)0)"
            if not parts:
                return f"papc_fail({self.site('empty', e.span, e.kind)})"
            return self._fold(f"papc_{e.kind}", parts)
        name = f"b{b.uid}"
        body = self.expr(e.body, ctx.with_bind(b, name, iv))
        lo, hi = bounds.split("; ")
        skip = f"if (!{filt.format(v=name)}) continue; " if filt else ""
        acc = self.fresh("_acc")
        if e.kind == "count":
            return (f"({{ {prelude} V {acc} = 0; {_loop(name, lo, hi)} "
                    f"{{ {skip}if ({body}) {acc}++; }} {acc}; }})")
        site = self.site("empty", e.span, e.kind)
        seen, x = self.fresh("_any"), self.fresh()
        cmp = "<" if e.kind == "min" else ">"
        return (f"({{ {prelude} V {acc} = 0; int {seen} = 0; {_loop(name, lo, hi)} "
                f"{{ {skip}V {x} = {body}; if (!{seen} || {x} {cmp} {acc}) {acc} = {x}; {seen} = 1; }} "
                f"if (!{seen}) papc_fail({site}); {acc}; }})")

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
            kw = "if" if n == 0 else "} else if"
            lines.append(f"{ind}{kw} ({self.expr(cond, ctx)}) {{")
            if cont is None:
                for st in body:
                    self.stmt(st, ctx, lines, ind + "    ", act)
            else:
                self.block(body, ctx, lines, ind + "    ", cont, act)
        if s.orelse or cont is not None:
            lines.append(f"{ind}}} else {{")
            if cont is None:
                for st in s.orelse:
                    self.stmt(st, ctx, lines, ind + "    ", act)
            else:
                self.block(s.orelse, ctx, lines, ind + "    ", cont, act)
        lines.append(f"{ind}}}")

    def choose(self, s: ast.Choose, ctx: _Ctx, lines: list[str], ind: str,
               finish: Callable[[list[str], str, _Ctx], None], act: _ActState) -> None:
        b: BoundSym = self.c.refs[id(s)]
        _, prelude, bounds, filt, iv = self.c_domain(s.domain, ctx.reading("t"))
        name = f"b{b.uid}"
        lo, hi = bounds.split("; ")
        lines.append(f"{ind}{{ {prelude}")
        lines.append(f"{ind}{_loop(name, lo, hi)} {{")
        ind2 = ind + "    "
        inner = ctx.with_bind(b, name, iv)
        if filt:
            lines.append(f"{ind2}if (!{filt.format(v=name)}) continue;")
        if s.cond is not None:
            lines.append(f"{ind2}if (!({self.expr(s.cond, inner)})) continue;")
        lines.append(f"{ind2}V t0_{b.uid} = t;")
        self.block(s.body, inner, lines, ind2, finish, act)
        lines.append(f"{ind2}t = t0_{b.uid};")
        lines.append(f"{ind}}} }}")

    def stmt(self, s: ast.Stmt, ctx: _Ctx, lines: list[str], ind: str, act: _ActState) -> None:
        if isinstance(s, ast.Assign):
            t = self.typ(s.target)
            loc = self.chunk(s.target, ctx)
            assert loc is not None
            lines.append(f"{ind}{{")
            enc = self.encode_value(s.value, t, ctx, lines, ind, _describe_target(s.target, ctx), s.value.span)
            off = self._bind_offset(loc[1], lines, ind)
            self.write(lines, ind, off, t, enc)
            lines.append(f"{ind}}}")
        elif isinstance(s, ast.If):
            self.if_stmt(s, ctx, lines, ind, None, act)
        elif isinstance(s, ast.For):
            self.for_stmt(s, ctx, lines, ind, act)
        elif isinstance(s, ast.MethodCall):
            st = self.typ(s.target)
            assert isinstance(st, SetT)
            loc = self.chunk(s.target, ctx)
            assert loc is not None
            lines.append(f"{ind}{{")
            off = self._bind_offset(loc[1], lines, ind)
            bit = self.encode_inline(s.args[0], st.elem, ctx, s.args[0].span, "a set element")
            cur = self.read("t", off, st)
            new = f"({cur} | ((V)1 << ({bit})))" if s.method == "add" else f"({cur} & ~((V)1 << ({bit})))"
            v = self.fresh()
            lines.append(f"{ind}V {v} = {new};")
            self.write(lines, ind, off, st, v)
            lines.append(f"{ind}}}")
        elif isinstance(s, ast.Send):
            ct = self.typ(s.chan)
            assert isinstance(ct, ChanT)
            loc = self.chunk(s.chan, ctx)
            assert loc is not None
            lines.append(f"{ind}{{")
            off = self._bind_offset(loc[1], lines, ind)
            c, n = self.fresh("_c"), self.fresh("_n")
            lw, ew = ct.len_width, ct.elem.width
            msg = self.encode_inline(s.value, ct.elem, ctx, s.value.span, "the message")
            eid = self.site("full", s.span, f"capacity {ct.capacity}")
            lines.append(f"{ind}V {c} = {self.read('t', off, ct)};")
            lines.append(f"{ind}V {n} = {c} & {clit((1 << lw) - 1)};")
            lines.append(f"{ind}if ({n} >= {clit(ct.capacity)}) papc_fail({eid});")
            if ew:
                lines.append(f"{ind}{c} = ({c} + 1) | ((V)({msg}) << ({lw} + {n} * {ew}));")
            else:
                lines.append(f"{ind}{c} = {c} + 1;")
            self.write(lines, ind, off, ct, c)
            lines.append(f"{ind}}}")
        elif isinstance(s, ast.Assert):
            eid = self.site("assert", s.span)
            lines.append(f"{ind}if (!({self.expr(s.cond, ctx)})) papc_fail({eid});")
        elif isinstance(s, ast.Skip):
            pass
        else:
            raise Unsupported(f"the statement {type(s).__name__}")

    def for_stmt(self, s: ast.For, ctx: _Ctx, lines: list[str], ind: str, act: _ActState) -> None:
        """`for x in D { body }`, as the Python engine's: unrolled over a small static domain, else
        a C loop over D taken before the first iteration (c_domain's prelude: a range's bounds,
        low then high; a set's members; the listed values' bit set), values ascending, each
        iteration reading t as the earlier ones left it."""
        b: BoundSym = self.c.refs[id(s)]
        static, prelude, bounds, filt, iv = self.c_domain(s.domain, ctx)
        if static is not None and len(static) <= UNROLL_LIMIT:
            # static values: constants whose prelude (if any) cannot fail
            for v in static:
                inner = ctx.with_bind(b, clit(v), (v, v))
                for st in s.body:
                    self.stmt(st, inner, lines, ind, act)
            return
        name = f"b{b.uid}"
        lo, hi = bounds.split("; ")
        lines.append(f"{ind}{{ {prelude} /* spec line {int(s.span.line)} */")
        lines.append(f"{ind}{_loop(name, lo, hi)} {{")
        ind2 = ind + "    "
        if filt:
            lines.append(f"{ind2}if (!{filt.format(v=name)}) continue;")
        inner = ctx.with_bind(b, name, iv)
        for st in s.body:
            self.stmt(st, inner, lines, ind2, act)
        lines.append(f"{ind}}} }}")

    def _bind_offset(self, off: str | int, lines: list[str], ind: str) -> str | int:
        if isinstance(off, int):
            return off
        o = self.fresh("_o")
        lines.append(f"{ind}V {o} = {off};")
        return o

    # ---------------------------------------------------------------------------- transitions
    def transition(self, tr: TransitionInfo, m: MachineInfo, inst: int, lines: list[str],
                   ind: str, labeled: bool) -> None:
        act = _ActState(0, False)
        ctx = _Ctx("s", inst, m)
        lines.append(f"{ind}{{ /* spec line {int(tr.decl.span.line)} */")
        closes = 1
        iv: tuple[int, int] | None
        for b, _dom in tr.params:
            name = f"b{b.uid}"
            if _dom[0] == "type":
                t = _dom[1]
                vals = list(range(t.lo, t.hi + 1)) if isinstance(t, RangeT) else list(range(t.size))
                prelude, bounds, filt, iv = "", f"{clit(vals[0])}; {clit(vals[-1])}", None, (vals[0], vals[-1])
            else:
                dom_expr = next(p.domain for p in tr.decl.params if p.name == b.name)
                _, prelude, bounds, filt, iv = self.c_domain(dom_expr, ctx)  # type: ignore[arg-type]
            lo, hi = bounds.split("; ")
            lines.append(f"{ind}{{ {prelude} {_loop(name, lo, hi)} {{")
            closes += 2
            ind += "    "
            if filt:
                lines.append(f"{ind}if (!{filt.format(v=name)}) continue;")
            ctx = ctx.with_bind(b, name, iv)
        head = None
        if tr.recv is not None:
            b, chan = tr.recv
            ct = self.typ(chan)
            assert isinstance(ct, ChanT)
            loc = self.chunk(chan, ctx)
            assert loc is not None
            c = self.fresh("_c")
            lines.append(f"{ind}V {c} = {self.read('s', loc[1], ct)};")
            lines.append(f"{ind}if ({c} & {clit((1 << ct.len_width) - 1)}) {{")
            closes += 1
            head = (c, loc, ct)
            name = f"b{b.uid}"
            lines.append(f"{ind}V {name} = {self.read(c, ct.len_width, ct.elem)};")
            ctx = ctx.with_bind(b, name, _range_ival(ct.elem))
        if tr.decl.guard is not None:
            lines.append(f"{ind}if ({self.expr(tr.decl.guard, ctx)}) {{")
            closes += 1
        lines.append(f"{ind}V t = s;")
        body_ctx = ctx.reading("t")
        if head is not None:
            c, loc, ct = head
            lw, ew = ct.len_width, ct.elem.width
            off = self._bind_offset(loc[1], lines, ind)
            v = self.fresh()
            lines.append(f"{ind}V {v} = ((({c} >> {lw + ew}) << {lw}) | (({c} & {clit((1 << lw) - 1)}) - 1));")
            self.write(lines, ind, off, ct, v)

        def finish(ls: list[str], ind2: str, _c: _Ctx) -> None:
            if tr.target is not None and tr.target is not tr.state:
                pct = self.lay.pc_type[m.name]
                self.write(ls, ind2, self.lay.pc_offset(m, inst), pct, clit(tr.target.index))
            ls.append(f"{ind2}EMIT(t);")
        self.block(tr.decl.body, body_ctx, lines, ind, finish, act)
        lines.append(ind + "}" * closes)

    def c_successors(self) -> str:
        lines = ["static void papc_succ(V s) {"]
        for m in self.c.machines:
            for inst in range(m.count):
                self.c_instance_block(m, inst, lines, "    ")
        lines.append("}")
        return "\n".join(lines)

    def c_instance_successors(self) -> str:
        """One successor function per instance, papc_succ_i<k> (for partial-order reduction)."""
        out = []
        k = 0
        for m in self.c.machines:
            for inst in range(m.count):
                lines = [f"static void papc_succ_i{k}(V s) {{"]
                self.c_instance_block(m, inst, lines, "    ")
                lines.append("}")
                out.append("\n".join(lines))
                k += 1
        return "\n\n".join(out)

    def c_instance_block(self, m: MachineInfo, inst: int, lines: list[str], ind: str) -> None:
        pct = self.lay.pc_type[m.name]
        by_state: dict[int, list[TransitionInfo]] = {}
        for tr in m.transitions:
            by_state.setdefault(tr.state.index, []).append(tr)
        if not by_state:
            return
        if len(m.states) == 1:
            for tr in by_state.get(0, []):
                self.transition(tr, m, inst, lines, ind, False)
            return
        pc = self.fresh("_pc")
        lines.append(f"{ind}{{ V {pc} = {self.read('s', self.lay.pc_offset(m, inst), pct)};")
        for st in m.states:
            trs = by_state.get(st.index)
            if not trs:
                continue
            lines.append(f"{ind}if ({pc} == {clit(st.index)}) {{")
            for tr in trs:
                self.transition(tr, m, inst, lines, ind + "    ", False)
            lines.append(f"{ind}}}")
        lines.append(f"{ind}}}")

    def c_properties(self) -> str:
        ctx = _Ctx("s", None, None)
        out = ["static int papc_inv(V s) {"]
        for i, p in enumerate(self.c.properties):
            if p.kind == "invariant":
                out.append(f"    if (!({self.expr(p.decl.expr, ctx)})) return {i};")  # type: ignore[arg-type]
        out.append("    return -1;")
        out.append("}")
        out.append("static uint64_t papc_reach(V s) {")
        out.append("    uint64_t r = 0;")
        for i, p in enumerate(self.c.properties):
            if p.kind == "reachable":
                out.append(f"    if ({self.expr(p.decl.expr, ctx)}) r |= (uint64_t)1 << {i};")  # type: ignore[arg-type]
        out.append("    return r;")
        out.append("}")
        conds = []
        for m in self.c.machines:
            finals = [st.index for st in m.states if st.final]
            pct = self.lay.pc_type[m.name]
            for inst in range(m.count):
                pc = self.read("s", self.lay.pc_offset(m, inst), pct)
                if finals:
                    conds.append("(" + " || ".join(f"{pc} == {clit(f)}" for f in finals) + ")")
                else:
                    conds.append("0")
        out.append("static int papc_final(V s) {")
        out.append(f"    return {' && '.join(conds) if conds else '1'};")
        out.append("}")
        return "\n".join(out)


def c_canon(slices: list[tuple[int, int, int]]) -> str:
    """The symmetry canonicalizer of :func:`checker.reduce.symmetry.build_symmetry` (sorting each
    interchangeable machine's slices ascending), for (base offset, stride, count) per machine."""
    lines = ["static V papc_canon(V s) {"]
    for base, stride, count in slices:
        if stride == 0 or count < 2:
            continue
        mask = clit((1 << stride) - 1)
        clear = clit(~(((1 << (stride * count)) - 1) << base))
        lines.append(f"    {{ V c[{count}];")
        for i in range(count):
            lines.append(f"    c[{i}] = (s >> {base + i * stride}) & {mask};")
        lines.append(f"    for (int i = 1; i < {count}; i++) {{ V x = c[i]; int j = i - 1; "
                     "while (j >= 0 && c[j] > x) { c[j + 1] = c[j]; j--; } c[j + 1] = x; }")
        parts = " | ".join(f"(c[{i}] << {base + i * stride})" for i in range(count))
        lines.append(f"    s = (s & {clear}) | {parts}; }}")
    lines.append("    return s;")
    lines.append("}")
    return "\n".join(lines)


Candidate = tuple[int, int, int, list[int], bool]  # instance k, pc offset, pc mask, safe pcs, cyclic


def c_por(candidates: list[Candidate]) -> str:
    """The ample-set choice of :meth:`checker.reduce.por.PartialOrder.expander`, step for step:
    the candidates in order, an instance's successors (canonical under symmetry) rejected when one
    was stored already, the instance may loop on its safe steps, and the state is no later in the
    breadth-first order than s (the cycle proviso: at level 0 only states stored during this level
    count); the smallest accepted set wins, a singleton at once.  1 with the set in papc_out, or 0:
    expand fully."""
    lines = ["static int papc_por(papc_ctx *c, V s, uint64_t cur) {",
             "    size_t best = 0, blen = 0; int have = 0;",
             "    papc_nout = 0;"]
    for k, off, mask, safe, cyclic in candidates:
        test = " || ".join(f"pc == {clit(v)}" for v in safe) or "0"
        lines.append(f"    {{ V pc = (s >> {off}) & {clit(mask)};")
        lines.append(f"      if ({test}) {{")
        lines.append("        size_t start = papc_nout;")
        lines.append(f"        papc_succ_i{k}(s);")
        lines.append("        size_t len = papc_nout - start;")
        lines.append("        if (len) {")
        lines.append("          int ok = 1;")
        lines.append("          for (size_t j = start; j < papc_nout; j++) {")
        lines.append("            papc_out[j] = papc_canon(papc_out[j]);")
        if cyclic:
            lines.append("            if (ok) { int64_t i = papc_find(c, papc_out[j]);")
            lines.append("              if (i >= 0 && !papc_later(c, (uint64_t)i, cur)) ok = 0; }")
        lines.append("          }")
        lines.append("          if (ok && (!have || len < blen)) { best = start; blen = len; have = 1;")
        lines.append("            if (len == 1) goto chosen; }")
        lines.append("        }")
        lines.append("      } }")
    lines.append("    if (!have) return 0;")
    lines.append("chosen:")
    lines.append("    memmove(papc_out, papc_out + best, blen * sizeof(V));")
    lines.append("    papc_nout = blen;")
    lines.append("    return 1;")
    lines.append("}")
    return "\n".join(lines)


def _parts(checked: CheckedSpec, layout: Layout, slices: list[tuple[int, int, int]] | None,
           por: list[Candidate] | None = None) -> tuple[str, str, str]:
    """(the header of defines, the spec's functions, the ample-set choice).  Raises Unsupported."""
    if layout.width > MAX_WIDTH:
        raise Unsupported(f"states of {layout.width} bits (the C engine packs at most {MAX_WIDTH})")
    if len(checked.properties) > 64:
        raise Unsupported("more than 64 properties")
    gen = CGen(checked, layout)
    succ = gen.c_successors()
    props = gen.c_properties()
    canon = c_canon(slices) if slices else "static V papc_canon(V s) { return s; }"
    funcs = [succ, props, canon]
    if por:
        funcs.append(gen.c_instance_successors())
    nbytes = max(1, (layout.width + 7) // 8)
    head = (f"/* generated by papcheck from a checked spec: {int(layout.width)}-bit states */\n"
            f"#define PAPC_NBYTES {nbytes}\n#define PAPC_POR {1 if por else 0}\n")
    return head, "\n\n".join(funcs), c_por(por) if por else ""


def spec_functions(checked: CheckedSpec, layout: Layout, slices: list[tuple[int, int, int]] | None,
                   por: list[Candidate] | None = None) -> str:
    """Everything generated for this spec: the translation unit without the fixed runtime."""
    head, funcs, ample = _parts(checked, layout, slices, por)
    return head + funcs + ample


def generate(checked: CheckedSpec, layout: Layout, slices: list[tuple[int, int, int]] | None,
             por: list[Candidate] | None = None) -> str:
    """The whole C translation unit: the runtime with the spec's functions spliced in.  `slices`
    turns symmetry canonicalization on (see c_canon), `por` partial-order reduction over these
    candidates (see c_por).  Raises Unsupported."""
    head, funcs, ample = _parts(checked, layout, slices, por)
    return head + RUNTIME.replace("/*@SPEC@*/", funcs).replace("/*@POR@*/", ample)
