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
type, a full channel, a zero divisor, a failed ``assert``) report ``pap_model_error``, end the
``d_step`` (a jump to its last label) and set ``pap_halt``, which every option requires false:
nothing runs after a model error, as in papcheck.  Run pan
with ``-c0`` (do not stop at errors: full count) and breadth-first (``-DBFS``): the one report
of each error is then at its shallowest depth.  The C code is fixed text; no spec text reaches
it.  See checker/crosscheck/peers.py and docs/export.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..lang.symbols import CheckedSpec, MachineInfo, PropertyInfo, VarSym
from ..lang.types import BoolT, ChanT, EnumT, MapT, RangeT, RecordT, SetT, Type
from .common import Dialect, Lowering, safe, value_cells

PROP_BASE = 1  # pap_prop values: property i (0-based, in spec order) is PROP_BASE + i
END_MARK = "pap_end_@"  # a check's jump target, replaced by the label ending its firing's d_step
HALT = "(!pap_halt)"  # in every option's guard: nothing fires after a model error was reported


class PromelaDialect(Dialect):
    target = "Promela"
    AND = " && "
    OR = " || "

    def __init__(self, ns: str = "", error_slot: int = 0) -> None:
        self.ns = ns
        self.error_slot = error_slot
        self.typedefs: dict[Type, str] = {}
        self.typedef_text: list[str] = []
        self.temp_count = 0
        self.temp_types: dict[str, Type] = {}

    def enum_lit(self, t: EnumT, member: str) -> str:
        return str(t.members.index(member))

    def eq(self, a: str, b: str) -> str:
        return f"({a} == {b})"

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
        return f"{self.ns}g_{safe(v.name)}"

    def local(self, m: MachineInfo, inst: str, v: VarSym) -> str:
        return f"{self.ns}loc_{safe(m.name)}[{inst}].l_{safe(v.name)}"

    def pc(self, m: MachineInfo, inst: str) -> str:
        return f"{self.ns}pc_{safe(m.name)}[{inst}]"

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
        # after reporting, the step stops (a jump to the end of its d_step, see promela_parts) and
        # pap_halt disables every option: nothing runs on after a model error, as in papcheck
        return ["if", f":: {cond} -> skip",
                f":: else -> {report(self.error_slot, f'pap_model_error {self.error_slot}')}; pap_halt = true; goto {END_MARK}",
                "fi;"]

    def temp(self, t: Type) -> str:
        name = f"{self.ns}pap_t{self.temp_count}"
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
        name = f"{self.ns}PapT{len(self.typedefs)}"
        self.typedefs[t] = name
        self.typedef_text.append(f"typedef {name} {{\n" + "".join(f"  {b};\n" for b in body) + "}")
        return name


@dataclass
class PromelaParts:
    """One protocol's declarations, initialisation and loop options (see :func:`batch_promela`)."""

    typedefs: list[str]
    decls: list[str]
    init: list[str]
    options: list[str]
    properties: int
    choices: list[str] = field(default_factory=list)  # the `if`s choosing `in` values, after init


def promela_parts(checked: CheckedSpec, *, safety_only: bool = False, ns: str = "",
                  sel: int | None = None, base: int = PROP_BASE) -> PromelaParts:
    """`ns` prefixes every global name, `sel` adds `pap_sel == sel` to every option (a batch of
    protocols in one model); property K of this protocol reports `pap_prop base+K`, a model
    error `pap_model_error base-1` (slot base-1 of pap_seen)."""
    d = PromelaDialect(ns, base - 1)
    low = Lowering(checked, d)
    if not safety_only:
        low.check_properties()
    decls: list[str] = []
    init: list[str] = []
    choices: list[str] = []  # `var x: T in D`: one `if` per variable (and instance), after the d_step

    def choose(place: Any, t: Type, values: tuple[Any, ...]) -> None:
        choices.append("if")
        for val in values:
            arm: list[str] = []
            for cell, (cv, vt) in zip(low.place_cells(t, place), value_cells(t, val)):
                arm += d.assign(cell.text, d.lit(cv, vt))
            choices.append(":: " + " ".join(arm))
        choices.append("fi;")

    for v in checked.shared:
        decls.append(f"{d.type_name(v.type)} {d.shared(v)};")
        for cell, (val, vt) in zip(low.place_cells(v.type, d.shared(v)), value_cells(v.type, v.inits[0])):
            init += d.assign(cell.text, d.lit(val, vt))
        if v.choices and len(v.choices[0]) > 1:
            choose(d.shared(v), v.type, v.choices[0])
    for m in checked.machines:
        decls.append(f"byte {d.pc(m, '')[:-2]}[{m.count}];")
        for i in range(m.count):
            if m.initial:
                init += d.assign(d.pc(m, str(i)), d.state_lit(m, m.initial))
        if m.locals:
            fields = [f"  {d.type_name(v.type)} l_{safe(v.name)};\n" for v in m.locals]
            d.typedef_text.append(f"typedef {ns}PapL_{safe(m.name)} {{\n" + "".join(fields) + "}")
            decls.append(f"{ns}PapL_{safe(m.name)} {ns}loc_{safe(m.name)}[{m.count}];")
            p: str | PropertyInfo  # a place here, a property below
            for i in range(m.count):
                for v in m.locals:
                    p = d.local(m, str(i), v)
                    for cell, (val, vt) in zip(low.place_cells(v.type, p), value_cells(v.type, v.inits[i])):
                        init += d.assign(cell.text, d.lit(val, vt))
                    if v.choices and len(v.choices[i]) > 1:
                        choose(p, v.type, v.choices[i])
    firings = low.firings()
    selg = [HALT] + ([f"(pap_sel == {sel})"] if sel is not None else [])
    options: list[str] = []
    for n_f, f in enumerate(firings):
        options.append(f"  /* {_comment(f.label)} */")
        options.append(f"  :: d_step {{ {d.and_(selg + [f.guard])} ->")
        body = f.body
        if any(END_MARK in x for x in body):
            end = f"{ns}pap_end_{n_f}"
            body = [x.replace(END_MARK, end) for x in body] + [f"{end}: skip;"]
        resets = [f"{n} = 0;" for n, _ in f.temps]  # scratch cells stay 0 in every stored state
        options += ["       " + x for x in (body + resets or ["skip;"])]
        options.append("     }")
    for k, p in enumerate(checked.properties):
        num = base + k
        fail = report(num, f"pap_prop {num}")
        if p.kind in ("invariant", "reachable"):
            assert p.decl.expr is not None  # an invariant or reachable property has an expression
            if p.kind == "reachable":
                low.reach_checks(p)
            ok, what = low.prop_checks(p.decl.expr)
            if ok:  # evaluating the property can fail: a model error, as in papcheck
                options.append(f"  /* {p.kind} {safe(p.name)}: a model error evaluating it */")
                options.append(f"  :: d_step {{ {d.and_(selg + [d.not_(ok)])} -> "
                               f"{report(base - 1, f'pap_model_error {base - 1}')}; pap_halt = true }}")
            text = low.prop_expr(p.decl.expr)
            options.append(f"  /* {p.kind} {safe(p.name)} */")
            cond = d.not_(text) if p.kind == "invariant" else text
            options.append(f"  :: d_step {{ {d.and_(selg + ([ok] if ok else []) + [cond])} -> {fail} }}")
        elif p.kind == "deadlock_free":
            enabled = d.or_([f.guard for f in firings])
            options.append(f"  /* deadlock_free {safe(p.name)} */")
            options.append(f"  :: d_step {{ {d.and_(selg + [d.not_(enabled), d.not_(low.all_final())])} -> {fail} }}")
    # pan's breadth-first search refuses `hidden`: scratch variables are ordinary globals that
    # every d_step leaves at 0, so they never distinguish two stored states
    decls += [f"{_temp_decl(d, t)} {n};" for n, t in d.temp_types.items()]
    return PromelaParts(d.typedef_text, decls, init, options, len(checked.properties), choices)


def choice_chain(checked: CheckedSpec) -> tuple[int, int]:
    """(extra states, extra steps) SPIN stores for the `if`s that choose the values of the `var x:
    T in D` declarations (see promela_parts): the state after the initialising d_step and each
    partial choice (c1 + c1*c2 + ... for the first K-1 of K choices), and one step per choice.
    (0, 0) when there is one initial state."""
    sizes = [len(v.choices[0]) for v in checked.shared if v.choices and len(v.choices[0]) > 1]
    for m in checked.machines:
        for i in range(m.count):
            sizes += [len(v.choices[i]) for v in m.locals if v.choices and len(v.choices[i]) > 1]
    if not sizes:
        return 0, 0
    states, prod = 1, 1
    for c in sizes[:-1]:
        prod *= c
        states += prod
    return states, len(sizes)


def to_promela(checked: CheckedSpec, *, safety_only: bool = False) -> str:
    parts = promela_parts(checked, safety_only=safety_only)
    out = [f"/* {safe(checked.name)}: generated by papcheck export --to promela; do not edit.",
           "   Run pan -c0: \"pap_prop K\" reports property K once, at its shallowest depth with -DBFS (docs/export.md). */",
           ""]
    out += [t + "\n" for t in parts.typedefs]
    out += [f"c_decl {{ int pap_seen[{parts.properties + 1}]; }}", ""]
    out += ["bool pap_halt;"] + parts.decls + [""]
    out.append("active proctype pap_main() {")
    out.append("  d_step {")
    out += ["    " + x for x in (parts.init or ["skip;"])]
    out.append("  };")
    if parts.choices:  # the initial values of `var x: T in D`, one state per choice made
        out.append("  atomic {")
        out += ["    " + x for x in parts.choices]
        out.append("  };")
    out.append("end_pap:")
    out.append("  do")
    out += parts.options or ["  :: false -> skip"]
    out.append("  od")
    out.append("}")
    return "\n".join(out) + "\n"


def batch_promela(specs: list[CheckedSpec]) -> tuple[str, list[int]]:
    """Several protocols in one model, so one pan build checks them all (the differential tests).
    The process first picks one protocol (`pap_sel`, one step), initialises every protocol (one
    d_step) and then fires only the picked protocol's options.  Stored states: 1 + K + the sum of
    the protocols' states; depths are a protocol's own + 2.  Each protocol's state count is
    printed at exit (`pap_count J N`): an option that changes nothing counts the states it is
    executed in, once per stored state in breadth-first order.  Returns the text and each
    protocol's `base` (its properties report `pap_prop base+K`, its model errors
    `pap_model_error base-1`)."""
    parts = []
    bases = []
    base = 1
    for j, c in enumerate(specs, start=1):
        bases.append(base)
        parts.append(promela_parts(c, ns=f"p{j}_", sel=j, base=base))
        base += parts[-1].properties + 1
    k = len(specs)
    out = ["/* a batch of protocols generated by papcheck's differential tests */", ""]
    for p in parts:
        out += [t + "\n" for t in p.typedefs]
    out.append("c_decl {")
    out.append(f"  int pap_seen[{base}]; int pap_count[{k + 1}]; int pap_reg;")
    out.append("  void pap_report(void) { int i; for (i = 1; i <= %d; i++) printf(\"pap_count %%d %%d\\n\", i, pap_count[i]); }" % k)
    out.append("}")
    out.append("byte pap_sel;")
    out.append("bool pap_halt;")
    for p in parts:
        out += p.decls
    out.append("")
    out.append("active proctype pap_main() {")
    out.append("  if")
    out += [f"  :: pap_sel = {j}" for j in range(1, k + 1)]
    out.append("  fi;")
    out.append("  d_step {")
    for p in parts:
        out += ["    " + x for x in p.init]
    out.append("    skip;")
    out.append("  };")
    for j, p in enumerate(parts, start=1):
        if p.choices:  # only the picked protocol chooses its `in` values
            out.append(f"  if :: (pap_sel == {j}) -> atomic {{ " + " ".join(p.choices) + " } :: else -> skip fi;")
    out.append("end_pap:")
    out.append("  do")
    for j in range(1, k + 1):
        out.append(f"  :: d_step {{ (pap_sel == {j}) -> c_code {{ if (!pap_reg) {{ pap_reg = 1; atexit(pap_report); }} pap_count[{j}]++; }} }}")
    for p in parts:
        out += p.options
    out.append("  od")
    out.append("}")
    return "\n".join(out) + "\n", bases


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
