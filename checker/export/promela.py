"""Promela (SPIN) translation of a checked spec.

One process, ``pap_main``, holds the whole protocol: every shared variable, every instance's
control state (``pc_M[i]``) and locals (``loc_M[i]``) are globals, and the process's single
``do`` loop has one ``d_step`` per firing (instance x transition x parameter and ``choose``
binding).  A ``d_step`` is one SPIN transition, so SPIN's states and steps are papcheck's, plus
exactly one bookkeeping state: the process starts with a ``d_step`` that sets the initial values,
so pan's "states, stored" is papcheck's count + 1 and every pan depth is papcheck's + 1.

Properties are options of the same loop that change nothing and report an error ``pap_prop K``
(K = 1 + the property's position in the spec) through pan's ``uerror``, once per property (a C
flag outside the state vector, ``c_decl``): an invariant's option is enabled where it is false,
a ``reachable`` property's where it is true, a deadlock's where no firing is enabled and not
every instance is final.  These options never add a state.  Model errors (a value outside its
type, a full channel, a zero divisor, a failed ``assert``) report ``pap_model_error``.  Run pan
with ``-c0`` (do not stop at errors: full count) and breadth-first (``-DBFS``): the one report
of each error is then at its shallowest depth.  The C code is fixed text; no spec text reaches
it.  See checker/crosscheck/peers.py and docs/export.md.
"""

from __future__ import annotations

from ..resolve import CheckedSpec, MachineInfo, VarSym
from ..types import BoolT, ChanT, EnumT, MapT, RangeT, RecordT, SetT, Type
from .common import Dialect, Lowering, safe, value_cells

PROP_BASE = 1  # pap_prop values: property i (0-based, in spec order) is PROP_BASE + i


class PromelaDialect(Dialect):
    target = "Promela"

    def __init__(self) -> None:
        self.typedefs: dict[Type, str] = {}
        self.typedef_text: list[str] = []
        self.temp_count = 0
        self.temp_types: dict[str, Type] = {}

    def int_lit(self, v: int) -> str:
        return str(v) if v >= 0 else f"(-{-v})"

    def enum_lit(self, t: EnumT, member: str) -> str:
        return str(t.members.index(member))

    def and_(self, xs: list[str]) -> str:
        xs = [x for x in xs if x != "true"]
        if not xs:
            return "true"
        if "false" in xs:
            return "false"
        return xs[0] if len(xs) == 1 else "(" + " && ".join(xs) + ")"

    def or_(self, xs: list[str]) -> str:
        xs = [x for x in xs if x != "false"]
        if not xs:
            return "false"
        if "true" in xs:
            return "true"
        return xs[0] if len(xs) == 1 else "(" + " || ".join(xs) + ")"

    def not_(self, x: str) -> str:
        return {"true": "false", "false": "true"}.get(x, f"(!{x})")

    def eq(self, a: str, b: str) -> str:
        return f"({a} == {b})"

    def ne(self, a: str, b: str) -> str:
        return f"({a} != {b})"

    def cond(self, c: str, a: str, b: str) -> str:
        return f"({c} -> {a} : {b})"

    def index(self, base: str, key_t: Type, key: str) -> str:
        if isinstance(key_t, RangeT) and key_t.lo != 0:
            return f"{base}.a[({key}) - {self.int_lit(key_t.lo)}]"
        if isinstance(key_t, BoolT):
            return f"{base}.a[({key} -> 1 : 0)]"
        return f"{base}.a[{key}]"

    def field(self, base: str, name: str) -> str:
        return f"{base}.f_{safe(name)}"

    def chan_len(self, base: str) -> str:
        return f"{base}.n"

    def chan_slot(self, base: str, i: str) -> str:
        return f"{base}.b[{i}]"

    def shared(self, v: VarSym) -> str:
        return f"g_{safe(v.name)}"

    def local(self, m: MachineInfo, inst: str, v: VarSym) -> str:
        return f"loc_{safe(m.name)}[{inst}].l_{safe(v.name)}"

    def pc(self, m: MachineInfo, inst: str) -> str:
        return f"pc_{safe(m.name)}[{inst}]"

    def state_lit(self, m: MachineInfo, index: int) -> str:
        return str(index)

    def assign(self, place: str, value: str) -> list[str]:
        return [f"{place} = {value};"]

    def if_(self, branches: list[tuple[str, list[str]]], orelse: list[str]) -> list[str]:
        out = ["if"]
        prior: list[str] = []
        for c, body in branches:
            g = self.and_([self.not_(p) for p in prior] + [c])
            out.append(f":: {g} ->")
            out += ["   " + x for x in (body or ["skip;"])]
            prior.append(c)
        out.append(":: else ->")
        out += ["   " + x for x in (orelse or ["skip;"])]
        out.append("fi;")
        return out

    def check(self, cond: str, what: str) -> list[str]:
        if cond == "true":
            return []
        return ["if", f":: {cond} -> skip", f":: else -> {report(0, 'pap_model_error')}", "fi;"]

    def temp(self, t: Type) -> str:
        name = f"pap_t{self.temp_count}"
        self.temp_count += 1
        self.temp_types[name] = t
        return name

    # ---- declarations
    def scalar_decl(self, t: Type) -> str:
        if isinstance(t, BoolT):
            return "bool"
        if isinstance(t, EnumT):
            return "byte"
        if isinstance(t, RangeT):
            if 0 <= t.lo and t.hi <= 255:
                return "byte"
            if -32768 <= t.lo and t.hi <= 32767:
                return "short"
            return "int"
        raise AssertionError(t)

    def type_name(self, t: Type) -> str:
        if isinstance(t, (BoolT, EnumT, RangeT)):
            return self.scalar_decl(t)
        if t in self.typedefs:
            return self.typedefs[t]
        if isinstance(t, SetT):
            body = [f"bool a[{t.elem.size}]"]  # type: ignore[attr-defined]
        elif isinstance(t, MapT):
            body = [f"{self.type_name(t.value)} a[{t.key.size}]"]  # type: ignore[attr-defined]
        elif isinstance(t, RecordT):
            body = [f"{self.type_name(ft)} f_{safe(f)}" for f, ft in t.fields]
        elif isinstance(t, ChanT):
            body = [f"{self.type_name(RangeT(0, t.capacity))} n", f"{self.type_name(t.elem)} b[{t.capacity}]"]
        else:
            raise AssertionError(t)
        name = f"PapT{len(self.typedefs)}"
        self.typedefs[t] = name
        self.typedef_text.append(f"typedef {name} {{\n" + "".join(f"  {b};\n" for b in body) + "}")
        return name


def to_promela(checked: CheckedSpec, *, safety_only: bool = False) -> str:
    d = PromelaDialect()
    low = Lowering(checked, d)
    if not safety_only:
        low.check_properties()
    decls: list[str] = []
    init: list[str] = []
    for v in checked.shared:
        decls.append(f"{d.type_name(v.type)} {d.shared(v)};")
        for cell, (val, vt) in zip(low.place_cells(v.type, d.shared(v)), value_cells(v.type, v.inits[0])):
            init += d.assign(cell.text, d.lit(val, vt))
    for m in checked.machines:
        decls.append(f"byte {d.pc(m, '')[:-2]}[{m.count}];")
        for i in range(m.count):
            if m.initial:
                init += d.assign(d.pc(m, str(i)), d.state_lit(m, m.initial))
        if m.locals:
            fields = [f"  {d.type_name(v.type)} l_{safe(v.name)};\n" for v in m.locals]
            d.typedef_text.append(f"typedef PapL_{safe(m.name)} {{\n" + "".join(fields) + "}")
            decls.append(f"PapL_{safe(m.name)} loc_{safe(m.name)}[{m.count}];")
            for i in range(m.count):
                for v in m.locals:
                    p = d.local(m, str(i), v)
                    for cell, (val, vt) in zip(low.place_cells(v.type, p), value_cells(v.type, v.inits[i])):
                        init += d.assign(cell.text, d.lit(val, vt))
    firings = low.firings()
    options: list[str] = []
    for f in firings:
        options.append(f"  /* {_comment(f.label)} */")
        options.append(f"  :: d_step {{ {f.guard} ->")
        resets = [f"{n} = 0;" for n, _ in f.temps]  # scratch cells stay 0 in every stored state
        options += ["       " + x for x in (f.body + resets or ["skip;"])]
        options.append("     }")
    for k, p in enumerate(checked.properties):
        num = PROP_BASE + k
        fail = report(num, f"pap_prop {num}")
        if p.kind == "invariant":
            options.append(f"  /* invariant {safe(p.name)} */")
            options.append(f"  :: d_step {{ {d.not_(low.prop_expr(p.decl.expr))} -> {fail} }}")
        elif p.kind == "reachable":
            options.append(f"  /* reachable {safe(p.name)} */")
            options.append(f"  :: d_step {{ {low.prop_expr(p.decl.expr)} -> {fail} }}")
        elif p.kind == "deadlock_free":
            enabled = d.or_([f.guard for f in firings])
            options.append(f"  /* deadlock_free {safe(p.name)} */")
            options.append(f"  :: d_step {{ {d.and_([d.not_(enabled), d.not_(low.all_final())])} -> {fail} }}")
    # pan's breadth-first search refuses `hidden`: scratch variables are ordinary globals that
    # every d_step leaves at 0, so they never distinguish two stored states
    temps = [f"{_temp_decl(d, t)} {n};" for n, t in d.temp_types.items()]
    out = [f"/* {safe(checked.name)}: generated by papcheck export --to promela; do not edit.",
           "   Run pan -c0: \"pap_prop K\" reports property K once, at its shallowest depth with -DBFS (docs/export.md). */",
           ""]
    out += [t + "\n" for t in d.typedef_text]
    out += [f"c_decl {{ int pap_seen[{len(checked.properties) + 1}]; }}", ""]
    out += decls + temps + [""]
    out.append("active proctype pap_main() {")
    out.append("  d_step {")
    out += ["    " + x for x in (init or ["skip;"])]
    out.append("  };")
    out.append("end_pap:")
    out.append("  do")
    out += options
    if not options:
        options.append("  :: false -> skip")
    out.append("  od")
    out.append("}")
    return "\n".join(out) + "\n"


def report(slot: int, message: str) -> str:
    """Report an error to pan once (the first time is the shallowest in breadth-first order), in
    C code outside the state vector; `message` is fixed text chosen here, never spec text."""
    return f'c_code {{ if (!pap_seen[{slot}]) {{ pap_seen[{slot}] = 1; uerror("{message}"); }} }}'


def _temp_decl(d: PromelaDialect, t: Type) -> str:
    if isinstance(t, BoolT):
        return "bool"
    return "int"


def _comment(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in " _[](),=-." else "?" for ch in label)
