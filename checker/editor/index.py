"""What an editor asks about one spec text, answered from the parser and the resolver.

:func:`build_index` parses and checks a text and returns a :class:`SpecIndex`: every declared
name (constants, types, enum members, variables, machines, states, transitions, parameters and
other bound names, properties) with the span of its name, its doc comment and its type or value,
and every place a name is used, resolved through the resolver's ``refs`` table (so a machine
variable and a shared one of the same spelling stay apart).  The language server turns this into
hovers, definitions, references, completions and the outline; nothing here knows of LSP.

Positions are the checker's own: lines and columns count from 1.  When the spec has errors the
index still lists the declarations of the parsed tree; uses are then matched by name only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..lang import ast
from ..lang.errors import Diagnostic, Diagnostics, SourceFile, Span, SpecError, UsageError
from ..lang.pretty import pretty_expr, pretty_type
from ..lang.types import format_value

KEYWORDS = ("protocol", "const", "type", "var", "machine", "state", "on", "when", "init", "final",
            "symmetric", "fair", "invariant", "reachable", "recoverable", "eventually",
            "always_eventually", "leads_to", "deadlock_free", "expect", "holds", "violated", "if", "elif",
            "else", "then", "choose", "where", "in", "send", "to", "recv", "from", "assert", "skip",
            "forall", "exists", "and", "or", "not", "union", "intersect", "minus", "at", "true", "false",
            "self", "bool", "set", "map", "enum", "record", "chan")
BUILTINS = ("min", "max", "len", "abs")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Symbol:
    """A declared name."""

    key: tuple
    name: str
    kind: str  # constant, type, enum member, variable, machine, state, transition, parameter, property
    span: Span  # the name where it is declared
    decl_span: Span  # the whole declaration
    doc: str = ""
    detail: str = ""  # `const PLANS = 6`, `var latest: Gen`, `on pick when latest > applied`...
    container: str | None = None  # the machine (or machine.state) it belongs to


@dataclass
class OutlineItem:
    name: str
    kind: str
    span: Span
    selection: Span
    detail: str = ""
    children: list[OutlineItem] = field(default_factory=list)


@dataclass
class SpecIndex:
    source: SourceFile
    symbols: dict[tuple, Symbol]
    uses: list[tuple[Span, tuple]]  # every occurrence of a declared name, declarations included
    outline: list[OutlineItem]
    diagnostics: list[Diagnostic]
    spec: ast.Spec | None = None
    resolved: bool = False

    def symbol_at(self, line: int, col: int) -> Symbol | None:
        for span, key in self.uses:
            if span.line == line and span.col <= col < span.end_col and key in self.symbols:
                return self.symbols[key]
        return None

    def references(self, sym: Symbol, include_declaration: bool = True) -> list[Span]:
        out = [s for s, k in self.uses if k == sym.key and (include_declaration or s != sym.span)]
        return sorted(set(out), key=lambda s: (s.line, s.col))

    def hover(self, line: int, col: int) -> str | None:
        sym = self.symbol_at(line, col)
        if sym is None:
            return None
        head = sym.detail or sym.name
        where = f" (in {sym.container})" if sym.container else ""
        text = f"```pap\n{head}\n```\n{sym.kind}{where}"
        if sym.doc:
            text += f"\n\n{sym.doc}"
        return text

    def completions(self, line: int, col: int) -> list[Symbol | str]:
        """The names in scope at a position (its machine's locals and states, its transition's
        bound names, every global), then the keywords and built-in functions."""
        machine = self._machine_at(line)
        out: list[Symbol | str] = []
        for sym in sorted(self.symbols.values(), key=lambda s: (s.span.line, s.span.col)):
            if sym.kind == "parameter" and not _inside(sym.decl_span, line):
                continue  # bound in another transition or property
            owner = sym.container.split(".")[0] if sym.container else None
            if sym.kind in ("variable", "state", "transition") and owner is not None and owner != machine:
                continue  # another machine's
            out.append(sym)
        seen = {s.name for s in out if isinstance(s, Symbol)}
        out.extend(k for k in KEYWORDS + BUILTINS if k not in seen)
        return out

    def _machine_at(self, line: int) -> str | None:
        for item in self.outline:
            if item.kind == "machine" and _inside(item.span, line):
                return item.name
        return None


def _inside(span: Span, line: int) -> bool:
    return span.line <= line <= span.end_line


def name_span(source: SourceFile, span: Span, name: str) -> Span:
    """The name's first whole-word occurrence from the start of a declaration (as the resolver
    locates declared names)."""
    for ln in range(span.line, max(span.end_line, span.line) + 1):
        text = source.line(ln)
        start = span.col - 1 if ln == span.line else 0
        found = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])").search(text, start)
        if found:
            return Span(ln, found.start() + 1, ln, found.end() + 1)
    return span


def build_index(text: str, path: str = "<spec>") -> SpecIndex:
    """Parse and check `text`: diagnostics, declarations, uses, outline (never raises for bad text)."""
    from ..lang.parser import parse
    from ..lang.resolve import check_spec

    source = SourceFile(path, text)
    try:
        tree = parse(source)
    except SpecError as e:
        return SpecIndex(source, {}, [], [], e.diagnostics.sorted())
    except RecursionError:
        diags = Diagnostics(source)
        diags.error(Span.point(1, 1), "the spec nests expressions too deeply")
        return SpecIndex(source, {}, [], [], diags.items)
    builder = _Builder(source, tree)
    builder.declarations()
    diagnostics: list[Diagnostic] = []
    resolved = False
    try:
        checked = check_spec(tree, source)
        from ..reduce.symmetry import symmetric_machines
        symmetric_machines(checked, checked.diagnostics)
        diagnostics = checked.diagnostics.sorted()
        builder.resolved_uses(checked)
        resolved = not checked.diagnostics.errors
    except SpecError as e:
        diagnostics = e.diagnostics.sorted()
        builder.lexical_uses()
    except (UsageError, RecursionError) as e:
        diags = Diagnostics(source)
        diags.error(Span.point(1, 1), str(e) if isinstance(e, UsageError) else "the spec nests too deeply")
        diagnostics = diags.items
        builder.lexical_uses()
    for sym in builder.symbols.values():
        builder.uses.append((sym.span, sym.key))
    return SpecIndex(source, builder.symbols, builder.uses, builder.outline, diagnostics, tree, resolved)


class _Builder:
    def __init__(self, source: SourceFile, tree: ast.Spec):
        self.source = source
        self.tree = tree
        self.symbols: dict[tuple, Symbol] = {}
        self.uses: list[tuple[Span, tuple]] = []
        self.outline: list[OutlineItem] = []
        self.state_keys: dict[tuple[str, str], tuple] = {}
        self.global_keys: dict[str, tuple] = {}
        self.machine_vars: dict[tuple[str, str], tuple] = {}

    def add(self, key: tuple, name: str, kind: str, decl_span: Span, doc: str = "", detail: str = "",
            container: str | None = None, span: Span | None = None) -> Symbol:
        sym = Symbol(key, name, kind, span or name_span(self.source, decl_span, name), decl_span, doc, detail,
                     container)
        self.symbols[key] = sym
        return sym

    # ---- declarations, from the parsed tree alone
    def declarations(self) -> None:
        t = self.tree
        if t.span.line:
            self.add(("protocol",), t.name, "protocol", t.span, t.doc, f"protocol {t.name}")
        for d in t.decls:
            if isinstance(d, ast.ConstDecl):
                typ = f": {pretty_type(d.type)}" if d.type is not None else ""
                s = self.add(("decl", id(d)), d.name, "constant", d.span, d.doc,
                             f"const {d.name}{typ} = {pretty_expr(d.value)}")
                self.global_keys[d.name] = s.key
                self.outline.append(OutlineItem(d.name, "constant", d.span, s.span, pretty_expr(d.value)))
            elif isinstance(d, ast.TypeDecl):
                s = self.add(("decl", id(d)), d.name, "type", d.span, d.doc, f"type {d.name} = {pretty_type(d.type)}")
                self.global_keys[d.name] = s.key
                item = OutlineItem(d.name, "type", d.span, s.span, pretty_type(d.type))
                self.outline.append(item)
                if isinstance(d.type, ast.EnumType):
                    for member, mspan in d.type.members:
                        m = self.add(("enum", d.name, member), member, "enum member", mspan, "",
                                     f"{member}: {d.name}", d.name, span=mspan)
                        self.global_keys.setdefault(member, m.key)
                        item.children.append(OutlineItem(member, "enum member", mspan, mspan))
            elif isinstance(d, ast.VarDecl):
                s = self._var(d, None)
                self.global_keys[d.name] = s.key
                self.outline.append(OutlineItem(d.name, "variable", d.span, s.span, pretty_type(d.type)))
            elif isinstance(d, ast.MachineDecl):
                self._machine(d)
            elif isinstance(d, ast.PropertyDecl):
                body = ""
                if d.expr is not None:
                    body = f": {pretty_expr(d.expr)}" + (f" ~> {pretty_expr(d.expr2)}" if d.expr2 is not None else "")
                s = self.add(("decl", id(d)), d.name, "property", d.span, d.doc, f"{d.kind} {d.name}{body}")
                self.global_keys[d.name] = s.key
                self.outline.append(OutlineItem(d.name, "property", d.span, s.span, d.kind))

    def _var(self, d: ast.VarDecl, machine: str | None) -> Symbol:
        init = f" = {pretty_expr(d.init)}" if d.init is not None else ""
        if d.init_any:
            init = " in any"
        elif d.init_in is not None:
            init = f" in {pretty_expr(d.init_in)}"
        return self.add(("decl", id(d)), d.name, "variable", d.span, d.doc,
                        f"var {d.name}: {pretty_type(d.type)}{init}", machine)

    def _machine(self, d: ast.MachineDecl) -> None:
        count = f"[{pretty_expr(d.count)}]" if d.count is not None else ""
        mods = "".join(f"{m} " for m in d.modifiers)
        ms = self.add(("decl", id(d)), d.name, "machine", d.span, d.doc, f"{mods}machine {d.name}{count}")
        self.global_keys[d.name] = ms.key
        item = OutlineItem(d.name, "machine", d.span, ms.span, count)
        self.outline.append(item)
        for v in d.vars:
            vs = self._var(v, d.name)
            self.machine_vars[(d.name, v.name)] = vs.key
            item.children.append(OutlineItem(v.name, "variable", v.span, vs.span, pretty_type(v.type)))
        for st in d.states:
            flags = "".join(f for f, on in (("init ", st.initial), ("final ", st.final)) if on)
            ss = self.add(("decl", id(st)), st.name, "state", st.span, st.doc, f"{flags}state {st.name}", d.name)
            self.state_keys[(d.name, st.name)] = ss.key
            sitem = OutlineItem(st.name, "state", st.span, ss.span)
            item.children.append(sitem)
            for tr in st.transitions:
                ts = self.add(("decl", id(tr)), tr.name, "transition", tr.span, tr.doc,
                              _transition_head(tr), f"{d.name}.{st.name}")
                sitem.children.append(OutlineItem(tr.name, "transition", tr.span, ts.span,
                                                  f"-> {tr.target}" if tr.target else ""))
        for st in d.states:
            for tr in st.transitions:
                if tr.target and tr.target_span.line and (d.name, tr.target) in self.state_keys:
                    self.uses.append((name_span(self.source, tr.target_span, tr.target),
                                      self.state_keys[(d.name, tr.target)]))

    # ---- uses, through the resolver's refs table
    def resolved_uses(self, checked: Any) -> None:
        from ..lang.symbols import BoundSym, EnumMemberSym, InstT, MachineInfo
        refs = checked.refs
        for c in checked.constants.values():  # a constant's value, as the resolver computed it
            decl_key = ("decl", id(c.decl))
            if decl_key in self.symbols and not isinstance(c.decl.value, ast.IntLit | ast.BoolLit):
                decl_sym = self.symbols[decl_key]
                self.symbols[decl_key] = dataclasses.replace(
                    decl_sym, detail=f"{decl_sym.detail}  (= {format_value(c.value)})")
        bound_seen: set[int] = set()
        for node, machine in _walk(self.tree):
            if isinstance(node, ast.Name):
                sym = refs.get(id(node))
                key: tuple[Any, ...] | None = None
                if isinstance(sym, BoundSym):
                    key = ("bound", sym.uid)
                    if sym.uid not in bound_seen:
                        bound_seen.add(sym.uid)
                        # its scope, for completion: the transition or property it is bound in
                        self.add(key, sym.name, "parameter", self._enclosing(sym.span), "",
                                 f"{sym.name}: {sym.type}", machine, span=name_span(self.source, sym.span, sym.name))
                elif isinstance(sym, EnumMemberSym):
                    key = next((k for k in self.symbols if k[0] == "enum" and k[2] == sym.name
                                and self.symbols[k].container is not None), None)
                elif isinstance(sym, MachineInfo):
                    key = ("decl", id(sym.decl))
                elif sym is not None and hasattr(sym, "decl"):
                    key = ("decl", id(sym.decl))
                if key is not None:
                    self.uses.append((node.span, key))
            elif isinstance(node, ast.NamedType) and node.name in self.global_keys:
                self.uses.append((node.span, self.global_keys[node.name]))
            elif isinstance(node, ast.At):
                bt = checked.types.get(id(node.base))
                if isinstance(bt, InstT) and (bt.machine, node.state) in self.state_keys:
                    key = self.state_keys[(bt.machine, node.state)]
                    self.uses.append((_last_word(self.source, node.span, node.state), key))
            elif isinstance(node, ast.ExpectDecl):
                self._expect(node)
        # bound names are declared where they are bound, even when never read
        for key, sym in list(self.symbols.items()):
            if key[0] == "bound":
                self.uses.append((sym.span, key))

    def _enclosing(self, span: Span) -> Span:
        """The transition or property a bound name lives in (for its completion scope)."""
        for d in self.tree.decls:
            if d.span.line <= span.line <= d.span.end_line:
                if isinstance(d, ast.MachineDecl):
                    for st in d.states:
                        for tr in st.transitions:
                            if tr.span.line <= span.line <= tr.span.end_line:
                                return tr.span
                return d.span
        return span

    def _expect(self, d: ast.ExpectDecl) -> None:
        for name in d.names:
            if name in self.global_keys:
                self.uses.append((name_span(self.source, d.span, name), self.global_keys[name]))

    # ---- uses, by name only (the spec has errors: refs are incomplete)
    def lexical_uses(self) -> None:
        machine_spans = [(d.name, d.span) for d in self.tree.decls if isinstance(d, ast.MachineDecl)]
        for ln, line in enumerate(self.source.text.splitlines(), start=1):
            code = line.split("#", 1)[0]
            machine = next((n for n, s in machine_spans if s.line <= ln <= s.end_line), None)
            for m in _IDENT.finditer(code):
                name = m.group()
                key = self.machine_vars.get((machine, name)) if machine else None
                if key is None and machine:
                    key = self.state_keys.get((machine, name))
                key = key or self.global_keys.get(name)
                if key is not None:
                    self.uses.append((Span(ln, m.start() + 1, ln, m.end() + 1), key))


def _transition_head(tr: ast.Transition) -> str:
    params = ""
    if tr.params:
        params = "(" + ", ".join(f"{p.name}: {pretty_type(p.domain)}" if isinstance(p.domain, ast.TypeExpr)
                                 else f"{p.name} in {pretty_expr(p.domain)}" for p in tr.params) + ")"
    fair = "fair " if tr.fair else ""
    guard = f" when {pretty_expr(tr.guard)}" if tr.guard is not None else ""
    target = f" -> {tr.target}" if tr.target else ""
    return f"{fair}on {tr.name}{params}{guard}{target}"


def _last_word(source: SourceFile, span: Span, word: str) -> Span:
    text = source.line(span.end_line)
    upto = span.end_col - 1 if span.end_line else len(text)
    pos = text.rfind(word, 0, upto)
    if pos < 0:
        return span
    return Span(span.end_line, pos + 1, span.end_line, pos + 1 + len(word))


def _walk(node: Any, machine: str | None = None) -> Iterator[tuple[Any, str | None]]:
    """Every AST node below `node` (dataclass fields, tuples), with its enclosing machine."""
    if isinstance(node, ast.MachineDecl):
        machine = node.name
    yield node, machine
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            if f.name in ("span", "target_span", "doc"):
                continue
            value = getattr(node, f.name)
            if isinstance(value, (tuple, list)):
                for v in value:
                    if isinstance(v, tuple):
                        for w in v:
                            if dataclasses.is_dataclass(w):
                                yield from _walk(w, machine)
                    elif dataclasses.is_dataclass(v):
                        yield from _walk(v, machine)
            elif dataclasses.is_dataclass(value):
                yield from _walk(value, machine)


def formatted(text: str, path: str = "<spec>") -> tuple[str | None, str]:
    """The layout of `papcheck fmt` for `text` (comments kept), or None and why not."""
    from ..lang.formatter import FormatError, format_source
    try:
        return format_source(SourceFile(path, text)), ""
    except (SpecError, RecursionError):
        return None, "the spec has syntax errors"
    except FormatError as e:
        return None, str(e)
