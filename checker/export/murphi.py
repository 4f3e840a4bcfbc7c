"""Murphi (Rumur) translation of a checked spec.

Every shared variable, every instance's control state (``pc_M[i]``) and locals (``loc_M[i]``) are
state variables; the ``startstate`` gives them papcheck's initial values, so Rumur's states are
papcheck's states exactly (no bookkeeping state).  Each firing (instance x transition x parameter
and ``choose`` binding) is one ``rule``, so a rule firing is one papcheck step.

Properties are ``cover "pap_prop_K"`` statements (K = 1 + the property's position in the
spec), whose condition is the *bad* (or, for ``reachable``, the wanted) situation: an
invariant's negation, a ``reachable`` property's expression, for a deadlock "no firing rule is
enabled and not every instance is final".  Rumur counts the hits of each over the whole space
(and calls a cover never hit an error, so a full run's error count is not the verdict: the
hits are).  Model errors are ``assert``s.  Run the verifier with ``--deadlock-detection off``
and ``--max-errors`` large.  ``properties="counterexample"`` instead makes each invariant and
deadlock property a rule that stops with ``error "pap_prop_K"`` and leaves the ``reachable``
ones out: with ``--max-errors 1`` the first error of Rumur's breadth-first search is a shortest
counterexample.  See docs/export.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..lang.symbols import CheckedSpec, MachineInfo, PropertyInfo, VarSym
from ..lang.types import BoolT, ChanT, EnumT, MapT, RangeT, RecordT, SetT, Type
from .common import Dialect, Firing, Lowering, safe, value_cells

PROP_BASE = 1


class MurphiDialect(Dialect):
    target = "Murphi"
    AND = " & "
    OR = " | "
    INT_BITS = 32  # the verifier is built with --value-type int32_t (checker/crosscheck/peers.py)

    def __init__(self, ns: str = "", error_slot: int = 0) -> None:
        self.ns = ns
        self.error_slot = error_slot
        self.enums: dict[EnumT, str] = {}
        self.temp_count = 0
        self.scalarsets: dict[str, str] = {}  # machine name -> its scalarset type

    def scalar_quant(self, t: Type, uid: int) -> tuple[str, str] | None:
        if isinstance(t, RangeT) and t.instance_of in self.scalarsets:
            return f"{self.ns}pap_q{uid}", self.scalarsets[t.instance_of]
        return None

    def quant(self, kind: str, var: str, t: str, body: str) -> str:
        end = "endforall" if kind == "forall" else "endexists"
        return f"({kind} {var}: {t} do {body} {end})"

    def enum_lit(self, t: EnumT, member: str) -> str:
        self.enum_name(t)
        return f"{self.ns}e_{safe(member)}"

    def enum_name(self, t: EnumT) -> str:
        if t not in self.enums:
            self.enums[t] = f"{self.ns}PapE{len(self.enums)}"
        return self.enums[t]

    def eq(self, a: str, b: str) -> str:
        return f"({a} = {b})"

    def cond(self, c: str, a: str, b: str) -> str:
        return f"({c} ? {a} : {b})"

    def index(self, base: str, key_t: Type, key: str) -> str:
        return f"{base}[{key}]"

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
        return [f"{place} := {value};"]

    def if_(self, branches: list[tuple[str, list[str]]], orelse: list[str]) -> list[str]:
        out = []
        for k, (c, body) in enumerate(branches):
            out.append(f"{'if' if k == 0 else 'elsif'} {c} then")
            out += ["  " + x for x in body]
        if orelse:
            out.append("else")
            out += ["  " + x for x in orelse]
        out.append("endif;")
        return out

    def check(self, cond: str, what: str) -> list[str]:
        msg = re.sub(r"[^A-Za-z0-9 .()_-]", "?", what)
        return [f'assert {cond} "pap_model_error {self.error_slot}: {msg}";']

    def temp(self, t: Type) -> str:
        name = f"{self.ns}pap_t{self.temp_count}"
        self.temp_count += 1
        return name

    def type_text(self, t: Type) -> str:
        if isinstance(t, BoolT):
            return "boolean"
        if isinstance(t, RangeT):
            return f"{self.int_lit(t.lo)}..{self.int_lit(t.hi)}"
        if isinstance(t, EnumT):
            return self.enum_name(t)
        if isinstance(t, SetT):
            return f"array [{self.type_text(t.elem)}] of boolean"
        if isinstance(t, MapT):
            return f"array [{self.type_text(t.key)}] of {self.type_text(t.value)}"
        if isinstance(t, RecordT):
            return "record " + " ".join(f"f_{safe(f)}: {self.type_text(ft)};" for f, ft in t.fields) + " end"
        if isinstance(t, ChanT):
            return (f"record n: 0..{t.capacity}; b: array [0..{t.capacity - 1}] of "
                    f"{self.type_text(t.elem)}; end")
        raise AssertionError(t)


def deadlock_mode(checked: CheckedSpec) -> str:
    """Rumur's own deadlock detection stays off: deadlock_free is a property rule."""
    return "off"


@dataclass
class MurphiParts:
    enums: list[str]
    var_decls: list[str]
    init: list[str]
    rules: list[str]
    properties: int
    firings: int
    # `var x: T in D`: (ruleset variable, number of values) for each choice, and the startstate
    # lines (after `init`) that set the chosen values
    choice_vars: list[tuple[str, int]] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)


def _ruleset_open(parts: MurphiParts) -> list[str]:
    return [f"ruleset {name}: 0..{n - 1} do" for name, n in parts.choice_vars]


def _ruleset_close(parts: MurphiParts) -> list[str]:
    return ["end;" for _ in parts.choice_vars]


def murphi_parts(checked: CheckedSpec, *, safety_only: bool = False, properties: str = "all",
                 ns: str = "", sel: int | None = None, base: int = PROP_BASE,
                 scalarsets: bool = False) -> MurphiParts:
    """`ns` prefixes every global name, `sel` adds `pap_sel = sel` to every rule and cover (a
    batch of protocols in one model); property K reports as `pap_prop_{base+K}`.  `scalarsets`:
    the machines papcheck proves symmetric get a scalarset index type where the translation
    allows it (see :func:`_scalarset_parts`)."""
    chosen = any(v.choices for v in checked.shared + [v for m in checked.machines for v in m.locals])
    if scalarsets and not chosen:  # (with `in` declarations, instances are plain subranges)
        from ..reduce.symmetry import symmetric_machines
        cands = [m.name for m in symmetric_machines(checked)]
        while cands:
            res = _scalarset_parts(checked, safety_only, properties, ns, sel, base, cands)
            if isinstance(res, MurphiParts):
                return res
            cands.remove(res)
    d = MurphiDialect(ns, base - 1)
    low = Lowering(checked, d)
    if not safety_only:
        low.check_properties()
    var_decls: list[str] = []
    init: list[str] = []
    choice_vars: list[tuple[str, int]] = []
    choices: list[str] = []

    def choose(place: Any, t: Type, values: tuple[Any, ...]) -> None:
        """`var x: T in D`: a ruleset variable ranges over the values' positions (one startstate
        each); an if/elsif chain assigns the value it names."""
        name = f"{ns}pap_c{len(choice_vars)}"
        choice_vars.append((name, len(values)))
        for k, val in enumerate(values):
            head = "if" if k == 0 else "elsif"
            choices.append(f"{head} {name} = {k} then")
            for cell, (cv, vt) in zip(low.place_cells(t, place), value_cells(t, val)):
                choices.extend("  " + x for x in d.assign(cell.text, d.lit(cv, vt)))
        choices.append("endif;")

    for v in checked.shared:
        var_decls.append(f"  {d.shared(v)}: {d.type_text(v.type)};")
        for cell, (val, vt) in zip(low.place_cells(v.type, d.shared(v)), value_cells(v.type, v.inits[0])):
            init += d.assign(cell.text, d.lit(val, vt))
        if v.choices and len(v.choices[0]) > 1:
            choose(d.shared(v), v.type, v.choices[0])
    for m in checked.machines:
        var_decls.append(f"  {ns}pc_{safe(m.name)}: array [0..{m.count - 1}] of 0..{max(len(m.states) - 1, 0)};")
        for i in range(m.count):
            init += d.assign(d.pc(m, str(i)), d.state_lit(m, m.initial))
        if m.locals:
            rec = "record " + " ".join(f"l_{safe(v.name)}: {d.type_text(v.type)};" for v in m.locals) + " end"
            var_decls.append(f"  {ns}loc_{safe(m.name)}: array [0..{m.count - 1}] of {rec};")
            p: str | PropertyInfo  # a place here, a property below
            for i in range(m.count):
                for v in m.locals:
                    p = d.local(m, str(i), v)
                    for cell, (val, vt) in zip(low.place_cells(v.type, p), value_cells(v.type, v.inits[i])):
                        init += d.assign(cell.text, d.lit(val, vt))
                    if v.choices and len(v.choices[i]) > 1:
                        choose(p, v.type, v.choices[i])
    firings = low.firings()
    selg = [f"(pap_sel = {sel})"] if sel is not None else []
    rules: list[str] = []
    for f in firings:
        rules.append(f'rule "{ns}{_label(f.label)}" {d.and_(selg + [f.guard])} ==>')
        if f.temps:
            rules.append("var " + " ".join(f"{n}: {d.type_text(t)};" for n, t in f.temps))
        rules.append("begin")
        rules += ["  " + x for x in f.body]
        rules.append("end;")
        rules.append("")
    for k, p in enumerate(checked.properties):
        num = base + k
        ok = _property_error_rule(low, d, p, num, selg, rules)
        if p.kind == "invariant":
            g = d.and_(([ok] if ok else []) + [d.not_(low.prop_expr(p.decl.expr))])  # type: ignore[arg-type]  # checked above
        elif p.kind == "reachable":
            if properties == "counterexample":
                continue  # a witness is not a counterexample
            g = d.and_(([ok] if ok else []) + [low.prop_expr(p.decl.expr)])  # type: ignore[arg-type]  # checked above
        elif p.kind == "deadlock_free":
            g = d.and_([d.not_(d.or_([f.guard for f in firings])), d.not_(low.all_final())])
        else:
            continue
        g = d.and_(selg + [g])
        if properties == "all":
            rules.append(f'cover "pap_prop_{num}" {g};')
        else:
            rules.append(f'rule "pap_prop_{num}" {g} ==> begin error "pap_prop_{num}"; end;')
    enums = [f"  {name}: enum {{ " + ", ".join(f"{ns}e_{safe(x)}" for x in t.members) + " };"
             for t, name in d.enums.items()]
    return MurphiParts(enums, var_decls, init, rules, len(checked.properties), len(firings), choice_vars, choices)


def to_murphi(checked: CheckedSpec, *, safety_only: bool = False, properties: str = "all",
              scalarsets: bool = True) -> str:
    """`properties`: "all" (covers), "counterexample" (error rules, no `reachable`) or "errors"
    (every property an error rule: Rumur prints no cover results once an error was found, so a
    run that finds a model error learns the hits this way, with --max-errors large).
    `scalarsets`: symmetric machines' instances as scalarsets (see :func:`_scalarset_parts`)."""
    parts = murphi_parts(checked, safety_only=safety_only, properties=properties, scalarsets=scalarsets)
    out = [f"-- {safe(checked.name)}: generated by papcheck export --to murphi; do not edit.",
           "-- cover/error \"pap_prop_K\" is property K (1-based, spec order); see docs/export.md.", ""]
    if parts.enums:
        out += ["type"] + parts.enums + [""]
    out += ["var"] + parts.var_decls + [""]
    out += _ruleset_open(parts) + ['startstate "init"', "begin"] + ["  " + x for x in parts.init + parts.choices] \
        + ["end;"] + _ruleset_close(parts) + [""]
    out += parts.rules
    if not parts.firings:  # Rumur wants a rule
        out.append('rule "pap_none" false ==> begin end;')
    return "\n".join(out) + "\n"


def batch_murphi(specs: list[CheckedSpec]) -> tuple[str, list[int]]:
    """Several protocols in one model (the differential tests): one startstate per protocol sets
    `pap_sel` and initialises every protocol (keep batches small: that is quadratic); only the selected protocol's rules fire.  States:
    the sum of the protocols' states; `cover "pap_count_J"` counts protocol J's states."""
    parts = []
    bases = []
    base = 1
    for j, c in enumerate(specs, start=1):
        bases.append(base)
        parts.append(murphi_parts(c, ns=f"p{j}_", sel=j, base=base))
        base += parts[-1].properties + 1
    k = len(specs)
    out = ["-- a batch of protocols generated by papcheck's differential tests", ""]
    enums = [e for p in parts for e in p.enums]
    if enums:
        out += ["type"] + enums + [""]
    out += ["var", f"  pap_sel: 0..{k};"]  # never 0; a one-value range would be folded away
    out += [v for p in parts for v in p.var_decls] + [""]
    for j in range(1, k + 1):
        # every protocol's variables are defined (constant for the others): Rumur may evaluate
        # both sides of `&`, and reading an undefined value is an error
        mine = parts[j - 1]  # only the selected protocol chooses its `in` values
        out += _ruleset_open(mine) + [f'startstate "pap_select_{j}"', "begin", f"  pap_sel := {j};"]
        out += ["  " + x for p in parts for x in p.init] + ["  " + x for x in mine.choices]
        out += ["end;"] + _ruleset_close(mine) + [""]
    for p in parts:
        out += p.rules
    out += [f'cover "pap_count_{j}" pap_sel = {j};' for j in range(1, k + 1)]
    out.append('rule "pap_none" false ==> begin end;')
    return "\n".join(out) + "\n", bases


_ERR = re.compile(r"The following is the error trace for the error:\n\s*(.*)\n")


def parse_message(out: str) -> list[tuple[str, int, int | None]]:
    """(kind, property index, trace length or None) for every error the verifier reported; kind
    is "prop" or "model_error"."""
    res = []
    chunks = out.split("The following is the error trace for the error:")
    for chunk in chunks[1:]:
        lines = chunk.strip("\n").split("\n")
        msg = lines[0].strip() if lines else ""
        fired = sum(1 for x in lines if x.startswith("Rule ") and x.rstrip().endswith("fired."))
        traced = "End of the error trace." in chunk
        m = re.fullmatch(r"pap_prop_(\d+)", msg)
        if m:
            res.append(("prop", int(m.group(1)) - PROP_BASE, fired - 1 if traced else None))
        else:
            res.append(("model_error", -1, fired if traced else None))
    return res


def _label(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in " _[](),=-." else "?" for ch in label)


def _scalarset_parts(checked: CheckedSpec, safety_only: bool, properties: str, ns: str, sel: int | None,
                     base: int, cands: list[str]) -> MurphiParts | str:
    """murphi_parts with the machines named in `cands` indexed by `scalarset(N)`: their firings
    become one `ruleset` each, their initialisation a `for`, and deadlock's "no rule enabled"
    and "every instance final" an `exists`/`forall` over the scalarset.  The translation is
    checked, not assumed: instance i's rules and initial values must be instance 0's with the
    index renamed, and no other text may name an instance of the machine by a number (a
    scalarset admits neither; Rumur's type checker vouches that a quantifier's bound name indexes
    only its own scalarset).  Otherwise the name of the first machine that fails is returned
    and the caller retries with that machine as a subrange."""
    d = MurphiDialect(ns, base - 1)
    low = Lowering(checked, d)
    if not safety_only:
        low.check_properties()
    byname = {m.name: m for m in checked.machines}
    syms = [byname[n] for n in cands]
    idx = {m.name: f"{ns}pap_i_{safe(m.name)}" for m in syms}
    tname = {m.name: f"{ns}PapI_{safe(m.name)}" for m in syms}
    d.scalarsets = dict(tname)

    def pat(m: MachineInfo) -> re.Pattern[str]:
        return re.compile(rf"(?<![A-Za-z0-9_])({re.escape(ns)}(?:pc|loc)_{re.escape(safe(m.name))})\[(\d+)\]")

    def sub(m: MachineInfo, text: str, i: int, to: str) -> str:
        return pat(m).sub(lambda mo: f"{mo.group(1)}[{to}]" if mo.group(2) == str(i) else mo.group(0), text)

    var_decls: list[str] = []
    init: list[str] = []
    for v in checked.shared:
        var_decls.append(f"  {d.shared(v)}: {d.type_text(v.type)};")
        for cell, (val, vt) in zip(low.place_cells(v.type, d.shared(v)), value_cells(v.type, v.inits[0])):
            init += d.assign(cell.text, d.lit(val, vt))
    for m in checked.machines:
        it = tname.get(m.name, f"0..{m.count - 1}")
        var_decls.append(f"  {ns}pc_{safe(m.name)}: array [{it}] of 0..{max(len(m.states) - 1, 0)};")
        per: list[list[str]] = []
        for i in range(m.count):
            lines = d.assign(d.pc(m, str(i)), d.state_lit(m, m.initial))
            for v in m.locals:
                lp = d.local(m, str(i), v)
                for cell, (val, vt) in zip(low.place_cells(v.type, lp), value_cells(v.type, v.inits[i])):
                    lines += d.assign(cell.text, d.lit(val, vt))
            per.append(lines)
        if m.locals:
            rec = "record " + " ".join(f"l_{safe(v.name)}: {d.type_text(v.type)};" for v in m.locals) + " end"
            var_decls.append(f"  {ns}loc_{safe(m.name)}: array [{it}] of {rec};")
        if m.name in idx:
            if any(per[i] != [sub(m, x, 0, str(i)) for x in per[0]] for i in range(m.count)):
                return m.name
            init += [f"for {idx[m.name]}: {tname[m.name]} do"]
            init += ["  " + sub(m, x, 0, idx[m.name]) for x in per[0]] + ["endfor;"]
        else:
            init += [x for lines in per for x in lines]
    firings = low.firings()
    selg = [f"(pap_sel = {sel})"] if sel is not None else []
    rules: list[str] = []
    enabled: list[str] = []

    def rule(f: Firing, label: str, guard: str, body: list[str], temps: list) -> list[str]:
        out = [f'rule "{ns}{_label(label)}" {d.and_(selg + [guard])} ==>']
        if temps:
            out.append("var " + " ".join(f"{n}: {d.type_text(t)};" for n, t in temps))
        return out + ["begin"] + ["  " + x for x in body] + ["end;"]

    def canon_temps(f: Firing) -> tuple[str, list[str], list]:
        """The firing with its temporaries renamed pap_t0, pap_t1, ... (they are rule-local)."""
        ren = {n: f"{ns}pap_t{k}" for k, (n, _) in enumerate(f.temps)}
        if not ren:
            return f.guard, f.body, f.temps
        rx = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, ren)) + r")(?![A-Za-z0-9_])")
        def r(x: str) -> str:
            return rx.sub(lambda mo: ren[mo.group(1)], x)
        return r(f.guard), [r(x) for x in f.body], [(ren[n], t) for n, t in f.temps]

    k = 0
    while k < len(firings):
        f = firings[k]
        m = f.machine
        if m.name not in idx:
            rules += rule(f, f.label, f.guard, f.body, f.temps) + [""]
            enabled.append(f.guard)
            k += 1
            continue
        group = [g for g in firings[k:] if g.machine is m]
        k += len(group)
        by_inst = [[canon_temps(g) for g in group if g.instance == i] for i in range(m.count)]
        labels = [g.label for g in group if g.instance == 0]
        first = by_inst[0]
        for i in range(m.count):
            want = [(sub(m, g, 0, str(i)), [sub(m, x, 0, str(i)) for x in b], t) for g, b, t in first]
            if by_inst[i] != want:
                return m.name
        inst0 = m.instance_name(0)
        rules.append(f"ruleset {idx[m.name]}: {tname[m.name]} do")
        for (g, b, t), lab in zip(first, labels):
            g2 = sub(m, g, 0, idx[m.name])
            rules += ["  " + x for x in rule(f, m.name + lab[len(inst0):], g2,
                                               [sub(m, x, 0, idx[m.name]) for x in b], t)]
            enabled.append(f"(exists {idx[m.name]}: {tname[m.name]} do {g2} endexists)")
        rules += ["endruleset;", ""]
    finals_parts = []
    for m in checked.machines:
        finals = [s.index for s in m.states if s.final]
        if not finals:
            finals_parts = ["false"]
            break
        if m.name in idx:
            one = d.or_([d.eq(d.pc(m, idx[m.name]), d.state_lit(m, s)) for s in finals])
            finals_parts.append(f"(forall {idx[m.name]}: {tname[m.name]} do {one} endforall)")
        else:
            finals_parts += [d.or_([d.eq(d.pc(m, d.int_lit(i)), d.state_lit(m, s)) for s in finals])
                             for i in range(m.count)]
    all_final = d.and_(finals_parts)
    for n, p in enumerate(checked.properties):
        num = base + n
        ok = _property_error_rule(low, d, p, num, selg, rules)
        if p.kind == "invariant":
            g = d.and_(([ok] if ok else []) + [d.not_(low.prop_expr(p.decl.expr))])  # type: ignore[arg-type]  # checked above
        elif p.kind == "reachable":
            if properties == "counterexample":
                continue  # a witness is not a counterexample
            g = d.and_(([ok] if ok else []) + [low.prop_expr(p.decl.expr)])  # type: ignore[arg-type]  # checked above
        elif p.kind == "deadlock_free":
            g = d.and_([d.not_(d.or_(enabled)), d.not_(all_final)])
        else:
            continue
        g = d.and_(selg + [g])
        if properties == "all":
            rules.append(f'cover "pap_prop_{num}" {g};')
        else:
            rules.append(f'rule "pap_prop_{num}" {g} ==> begin error "pap_prop_{num}"; end;')
    enums = [f"  {tname[m.name]}: scalarset({m.count});" for m in syms]
    enums += [f"  {name}: enum {{ " + ", ".join(f"{ns}e_{safe(x)}" for x in t.members) + " };"
              for t, name in d.enums.items()]
    text = "\n".join(init + rules)
    for m in syms:  # any other mention of an instance must be through the scalarset
        for mo in re.finditer(rf"(?<![A-Za-z0-9_]){re.escape(ns)}(?:pc|loc)_{re.escape(safe(m.name))}\[([^\]]*)\]", text):
            if mo.group(1) != idx[m.name] and not re.fullmatch(rf"{re.escape(ns)}pap_q\d+", mo.group(1)):
                return m.name
    return MurphiParts(enums, var_decls, init, rules, len(checked.properties), len(firings))


def _property_error_rule(low: Any, d: Any, p: Any, num: int, selg: list[str], rules: list[str]) -> str:
    """For an invariant or reachable property whose evaluation can fail, append the rule that
    reports that failure as a model error, as papcheck does; return the condition under which
    evaluating it succeeds ("" when it cannot fail, or for other kinds of property)."""
    if p.kind not in ("invariant", "reachable"):
        return ""
    assert p.decl.expr is not None  # an invariant or reachable property has an expression
    if p.kind == "reachable":
        low.reach_checks(p)
    ok, what = low.prop_checks(p.decl.expr)
    if ok:  # evaluating the property can fail: a model error, as in papcheck
        rules.append(f'rule "pap_prop_{num}_model_error" {d.and_(selg + [d.not_(ok)])} ==> begin')
        rules += ["  " + x for x in d.check(d.FALSE, what)] + ["end;"]
    return ok
