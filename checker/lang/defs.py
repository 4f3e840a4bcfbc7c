"""`def` definitions, inlined: every use of a definition is replaced by its body before names and
types are resolved, so the compiler, the interpreter, footprints and the prover never see one.

``def NAME(p: T, ...): R = EXPR`` is pure (an expression) and may not call itself, directly or
through other definitions.  A use ``NAME(a, ...)`` becomes a fresh copy of the (already expanded)
body with each parameter replaced by a copy of its argument; a parameterless ``def NAME: R``
is used as a plain name.  The body's own quantifier variables are renamed (``v'1``) so an argument
mentioning a name of the same spelling is not captured.  The resolver then checks each body once,
in a scope holding only the global declarations and the parameters with their declared types
(so a body cannot read a machine's locals or `self`), the result against the declared type,
and each argument at each use against its parameter's type (through :data:`Expansion.sites`).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from . import ast
from .errors import Diagnostics, Note, SourceFile, Span


@dataclass(frozen=True)
class DefSym:
    """A definition's name in the resolver's global scope (uses never reach the resolver)."""

    name: str


@dataclass
class Expansion:
    """The spec without definitions, the definitions with expanded bodies, and every use."""

    spec: ast.Spec
    defs: list[ast.DefDecl]
    # id of an inlined body -> (the definition, the arguments as written at the use)
    sites: dict[int, tuple[ast.DefDecl, tuple[ast.Expr, ...]]] = field(default_factory=dict)


def expand_defs(spec: ast.Spec, source: SourceFile) -> Expansion:
    """Inline every definition; raises SpecError (every problem found) for a recursive
    definition, a use with the wrong number of arguments or two definitions of one name."""
    defs: dict[str, ast.DefDecl] = {}
    diags = Diagnostics(source)
    for d in spec.decls:
        if isinstance(d, ast.DefDecl):
            if d.name in defs:
                diags.error(_name_span(source, d.span, d.name), f"'{d.name}' is already defined",
                            [Note(_name_span(source, defs[d.name].span, d.name), f"'{d.name}' is defined here")])
            defs.setdefault(d.name, d)
    if not defs:
        return Expansion(spec, [])
    others: dict[str, ast.Decl | ast.VarDecl] = {}
    for d in spec.decls:
        if isinstance(d, (ast.ConstDecl, ast.TypeDecl, ast.VarDecl, ast.MachineDecl)):
            others.setdefault(d.name, d)
        if isinstance(d, ast.MachineDecl):
            for v in d.vars:
                others.setdefault(v.name, v)
    for name, d in defs.items():
        if name in others:
            diags.error(_name_span(source, d.span, name), f"'{name}' is already declared",
                        [Note(others[name].span, f"'{name}' is declared here")])
    diags.raise_if_errors()
    ex = _Expander(defs, diags)
    for d in defs.values():
        if len({p.name for p in d.params}) != len(d.params):
            diags.error(d.span, f"two parameters of '{d.name}' have the same name")
    ex.order()
    diags.raise_if_errors()
    decls = tuple(ex.node(d) for d in spec.decls if not isinstance(d, ast.DefDecl))
    diags.raise_if_errors()
    out = Expansion(dataclasses.replace(spec, decls=decls), [ex.expanded[n] for n in defs if n in ex.expanded])
    out.sites = ex.sites
    return out


class _Expander:
    def __init__(self, defs: dict[str, ast.DefDecl], diags: Diagnostics):
        self.defs = defs
        self.diags = diags
        self.expanded: dict[str, ast.DefDecl] = {}
        self.sites: dict[int, tuple[ast.DefDecl, tuple[ast.Expr, ...]]] = {}
        self.fresh = itertools.count(1)

    def order(self) -> None:
        """Expand the bodies in dependency order; report a definition that uses itself."""
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = path[path.index(name):] + [name]
                d = self.defs[name]
                self.diags.error(_name_span(self.diags.source, d.span, name),
                                 f"'{name}' uses itself ({' -> '.join(cycle)}); a definition may not be recursive")
                raise _Stop()
            state[name] = 1
            d = self.defs[name]
            for used in sorted(_names(d.body) & set(self.defs)):
                visit(used, path + [name])
            params = {p.name for p in d.params}
            self.expanded[name] = dataclasses.replace(d, body=self.node(d.body, params))
            state[name] = 2

        for name in self.defs:
            try:
                visit(name, [])
            except _Stop:
                return

    def node(self, n: Any, params: frozenset[str] | set[str] = frozenset()) -> Any:
        """n with every use of a definition inlined, the same object where nothing changes
        (params: the names bound by the definition being expanded, which no definition replaces)."""
        if isinstance(n, tuple):
            items = tuple(self.node(x, params) for x in n)
            return n if all(a is b for a, b in zip(items, n)) else items
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.name in self.defs \
                and n.func.name not in params:
            d = self.expanded.get(n.func.name)
            args = tuple(self.node(a, params) for a in n.args)
            if d is None:
                return n
            if not d.params:
                self.diags.error(n.span, f"'{d.name}' takes no arguments; write it as a name: {d.name}")
                return n
            if len(args) != len(d.params):
                self.diags.error(n.span, f"'{d.name}' takes {len(d.params)} argument"
                                         f"{'s' if len(d.params) != 1 else ''}, given {len(args)}",
                                 [Note(_name_span(self.diags.source, d.span, d.name), f"'{d.name}' is defined here")])
                return n
            body = _rename_bound(d.body, next(self.fresh))
            out = _substitute(body, {p.name: a for p, a in zip(d.params, args)})
            self.sites[id(out)] = (d, args)
            return out
        if isinstance(n, ast.Name) and n.name in self.defs and n.name not in params:
            d = self.expanded.get(n.name)
            if d is None:
                return n
            if d.params:
                self.diags.error(n.span, f"'{d.name}' needs {len(d.params)} argument"
                                         f"{'s' if len(d.params) != 1 else ''}: {d.name}(...)")
                return n
            out = _substitute(_rename_bound(d.body, next(self.fresh)), {})
            self.sites[id(out)] = (d, ())
            return out
        if dataclasses.is_dataclass(n) and not isinstance(n, type):
            return _rebuild(n, lambda x: self.node(x, params), fresh=False)
        return n


class _Stop(Exception):
    pass


def _name_span(source: SourceFile, span: Span, name: str) -> Span:
    """A definition's span narrowed to its name (`def NAME`), for the caret."""
    found = re.compile(rf"\bdef\s+({re.escape(name)})\b").search(source.line(span.line), max(span.col - 1, 0))
    return Span(span.line, found.start(1) + 1, span.line, found.end(1) + 1) if found else span


def _rebuild(n: Any, f: Any, fresh: bool = True) -> Any:
    """n with f applied to its children; with fresh=False, n itself when no child changed (so the
    nodes around the uses of definitions keep their identity, which tools key tables on)."""
    changes = {fl.name: f(getattr(n, fl.name)) for fl in dataclasses.fields(n)
               if fl.name not in ("span", "target_span", "doc")}
    if not fresh and all(changes[k] is getattr(n, k) for k in changes):
        return n
    return dataclasses.replace(n, **changes)


def _names(n: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(n, tuple):
        for x in n:
            out |= _names(x)
    elif isinstance(n, ast.Name):
        out.add(n.name)
    elif dataclasses.is_dataclass(n) and not isinstance(n, type):
        for fl in dataclasses.fields(n):
            if fl.name not in ("span", "target_span"):
                out |= _names(getattr(n, fl.name))
    return out


def _rename_bound(e: Any, k: int, env: dict[str, str] | None = None) -> Any:
    """A copy of e whose quantifier variables are renamed v -> v'k (uses included)."""
    env = env or {}
    if isinstance(e, tuple):
        return tuple(_rename_bound(x, k, env) for x in e)
    if isinstance(e, ast.Name):
        return dataclasses.replace(e, name=env.get(e.name, e.name))
    if isinstance(e, ast.Quant):
        new = f"{e.var}'{k}"
        return dataclasses.replace(e, var=new, domain=_rename_bound(e.domain, k, env),
                                   body=_rename_bound(e.body, k, {**env, e.var: new}))
    if isinstance(e, ast.Comprehension):
        new = f"{e.var}'{k}"
        inner = {**env, e.var: new}
        return dataclasses.replace(e, var=new, domain=_rename_bound(e.domain, k, env),
                                   cond=_rename_bound(e.cond, k, inner), elem=_rename_bound(e.elem, k, inner))
    if dataclasses.is_dataclass(e) and not isinstance(e, type):
        return _rebuild(e, lambda x: _rename_bound(x, k, env))
    return e


def _substitute(e: Any, args: dict[str, ast.Expr]) -> Any:
    """A fresh copy of e with each parameter name replaced by a fresh copy of its argument."""
    if isinstance(e, tuple):
        return tuple(_substitute(x, args) for x in e)
    if isinstance(e, ast.Name) and e.name in args:
        return _substitute(args[e.name], {})
    if dataclasses.is_dataclass(e) and not isinstance(e, type):
        return _rebuild(e, lambda x: _substitute(x, args))
    return e

