"""A small explicit-state evaluator for the TLA+ that `papcheck export --to tla` writes (tests only).

There is no TLC where the tests run, so this reads the exported module with the `tla` parser and
explores it breadth-first the way TLC would: `Init` and `Next` read as relations (a conjunct
`x' = e` assigns x' the first time and compares after, `\\E` and `\\/` branch, `IF`/`LET` choose
and name), every other conjunct a Boolean filter.  It evaluates only the fragment the exporter
writes (integers, Booleans, strings, finite sets, functions, records, sequences, `EXCEPT`,
`CHOOSE`, `CASE`, set comprehensions, `Assert`); anything else raises `NotImplementedError`.  It is
independent of papcheck's engines: what it finds is compared with what papcheck finds.
"""

from __future__ import annotations

from collections import deque
from typing import Any


class ModelError(Exception):
    """An `Assert` failed, a function was applied outside its domain, or CHOOSE found nothing."""


class Fn:
    """A TLA+ function (also a record, its keys the field names): immutable, hashable."""

    def __init__(self, items: dict):
        self.d = dict(items)
        self.h = hash(frozenset(self.d.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fn) and self.d == other.d

    def __hash__(self) -> int:
        return self.h

    def __repr__(self) -> str:
        return f"Fn({self.d})"


def _key(v: Any) -> Any:
    """A total order on values (for CHOOSE and deterministic iteration)."""
    return (type(v).__name__, repr(v))


def _sorted(s: Any) -> list:
    return sorted(s, key=_key)


class Module:
    def __init__(self, text: str, cfg: str = ""):
        import tla  # type: ignore[import-not-found]
        tree = tla.parse(text)
        self.consts: dict[str, Any] = {}  # the .cfg's `  C_x = v` lines (integers and Booleans)
        for line in cfg.splitlines():
            name, eq, value = line.strip().partition(" = ")
            if eq:
                self.consts[name] = {"TRUE": True, "FALSE": False}.get(value, None)
                if self.consts[name] is None:
                    self.consts[name] = int(value)
        self.defs: dict[str, Any] = {}
        self.vars: list[str] = []
        for u in tree.units:
            kind = u.symbol.name
            if kind == "VARIABLES":
                self.vars += [n.operator for n in u.names]
            elif kind == "OPERATOR_DEFINITION":
                self.defs[u.name] = u

    # ------------------------------------------------------------------ expressions
    def lookup(self, name: str, env: dict, args: list | None, node: Any) -> Any:
        if args is None and name in env:
            v = env[name]
            if isinstance(v, tuple) and len(v) == 3 and v[0] == "lazy":  # a LET definition
                v = self.eval(v[1], v[2])
                env[name] = v
            return v
        if args is None and name in env.get("__state", {}):
            return env["__state"][name]
        builtin = {"TRUE": True, "FALSE": False, "BOOLEAN": frozenset({False, True})}
        if args is None and name in builtin:
            return builtin[name]
        if args is None and name in self.consts:
            return self.consts[name]
        d = self.defs.get(name)
        if d is None:
            raise NotImplementedError(f"operator {name}")
        params = [p.operator for p in (d.arity or [])]
        inner = {"__state": env.get("__state", {}), **dict(zip(params, [self.eval(a, env) for a in (args or [])]))}
        return self.eval(d.definiens, inner)

    def binds(self, decls: list, env: dict) -> list[dict]:
        """The environments of the bound variables `x \\in S, y \\in T` (in order)."""
        out = [env]
        for dcl in decls:
            name, dom = dcl.arguments[0].operator, dcl.arguments[1]
            out = [{**e, name: v} for e in out for v in _sorted(self.eval(dom, e))]
        return out

    def eval(self, n: Any, env: dict) -> Any:
        kind = n.symbol.name
        if kind == "PARENTHESES":
            return self.eval(n.expression, env)
        if kind == "INTEGRAL_NUMERAL":
            return int(n.value)
        if kind == "BOOLEAN_LITERAL":
            return n.value in (True, "TRUE")
        if kind == "SET_OF_BOOLEANS":
            return frozenset({False, True})
        if kind == "STRING_LITERAL":
            return n.value[1:-1]
        if kind == "IF":
            return self.eval(n.then if self.eval(n.predicate, env) else n.else_, env)
        if kind == "LET":
            inner = dict(env)
            for d in n.definitions:
                inner[d.name] = ("lazy", d.definiens, inner)
            return self.eval(n.expression, inner)
        if kind == "CASES":
            for c in n.cases:
                if self.eval(c.predicate, env):
                    return self.eval(c.expression, env)
            if n.other is None:
                raise ModelError("no CASE arm applies")
            return self.eval(n.other, env)
        if kind == "SET_ENUMERATION":
            return frozenset(self.eval(x, env) for x in n.items)
        if kind == "TUPLE":
            return tuple(self.eval(x, env) for x in n.items)
        if kind == "SET_SLICE":
            return frozenset(e[n.declaration.arguments[0].operator] for e in self.binds([n.declaration], env)
                             if self.eval(n.predicate, e))
        if kind == "SET_COMPREHENSION":
            return frozenset(self.eval(n.item, e) for e in self.binds(n.declarations, env))
        if kind == "FUNCTION":
            name = n.declaration[0].arguments[0].operator
            return Fn({e[name]: self.eval(n.value, e) for e in self.binds(n.declaration, env)})
        if kind == "RECORD":
            return Fn({k: self.eval(v, env) for k, v in n.key_values})
        if kind == "FIELD":
            return self.apply(self.eval(n.expression, env), n.name)
        if kind == "FUNCTION_APPLICATION":
            args = [self.eval(a, env) for a in n.arguments]
            return self.apply(self.eval(n.function, env), args[0] if len(args) == 1 else tuple(args))
        if kind == "EXCEPT":
            f = self.eval(n.function, env)
            for ch in n.changes:
                path = [self.eval(p[0], env) if isinstance(p, list) else p for p in ch.item]
                f = self.update(f, path, self.eval(ch.expression, env))
            return f
        if kind == "CHOOSE":
            for e in self.binds([n.declaration], env):
                if self.eval(n.predicate, e):
                    return e[n.declaration.arguments[0].operator]
            raise ModelError("CHOOSE over no value")
        if kind == "QUANTIFICATION":
            envs = self.binds(n.declarations, env)
            test = (self.eval(n.predicate, e) for e in envs)
            return all(test) if n.quantifier == "\\A" else any(test)
        if kind == "VERTICAL_LIST":
            vals = (self.eval(it.expression, env) for it in n.arguments)
            return all(vals) if n.operator == "/\\" else any(vals)
        if kind == "OPERATOR_APPLICATION":
            return self.op(n.operator, n.arguments, env, n)
        raise NotImplementedError(kind)

    def apply(self, f: Any, x: Any) -> Any:
        if isinstance(f, tuple) and isinstance(x, int) and 1 <= x <= len(f):
            return f[x - 1]
        if not isinstance(f, Fn) or x not in f.d:
            raise ModelError(f"{x!r} outside the function's domain")
        return f.d[x]

    def update(self, f: Any, path: list, v: Any) -> Any:
        if not path:
            return v
        old = self.apply(f, path[0])
        if isinstance(f, tuple):
            i = path[0] - 1
            return f[:i] + (self.update(old, path[1:], v),) + f[i + 1:]
        return Fn({**f.d, path[0]: self.update(old, path[1:], v)})

    def op(self, name: str, args: list | None, env: dict, node: Any) -> Any:
        a = args or []
        if name == "/\\":
            return all(self.eval(x, env) for x in a)
        if name == "\\/":
            return any(self.eval(x, env) for x in a)
        if name == "=>":
            return (not self.eval(a[0], env)) or bool(self.eval(a[1], env))
        if name in ("~", "\\lnot", "\\neg"):
            return not self.eval(a[0], env)
        if name == "-" and len(a) == 1:
            return -self.eval(a[0], env)
        if name == "Assert":
            if not self.eval(a[0], env):
                raise ModelError(self.eval(a[1], env))
            return True
        binary = {
            "=": lambda x, y: x == y, "#": lambda x, y: x != y, "/=": lambda x, y: x != y,
            "<": lambda x, y: x < y, "<=": lambda x, y: x <= y, "=<": lambda x, y: x <= y,
            ">": lambda x, y: x > y, ">=": lambda x, y: x >= y,
            "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
            "\\div": lambda x, y: x // y if y != 0 else _zero(), "%": lambda x, y: x % y if y != 0 else _zero(),
            "..": lambda x, y: frozenset(range(x, y + 1)),
            "\\in": lambda x, y: x in y, "\\notin": lambda x, y: x not in y,
            "\\union": lambda x, y: x | y, "\\cup": lambda x, y: x | y,
            "\\cap": lambda x, y: x & y, "\\intersect": lambda x, y: x & y, "\\": lambda x, y: x - y,
            "\\subseteq": lambda x, y: x <= y,
        }
        if name in binary and len(a) == 2:
            return binary[name](self.eval(a[0], env), self.eval(a[1], env))
        unary = {"Cardinality": len, "Len": len, "Head": lambda q: q[0] if q else _empty(),
                 "Tail": lambda q: q[1:] if q else _empty()}
        if name in unary and len(a) == 1:
            return unary[name](self.eval(a[0], env))
        if name == "Append":
            return self.eval(a[0], env) + (self.eval(a[1], env),)
        if name == "'":
            raise NotImplementedError("a primed variable outside `x' = e`")
        return self.lookup(name, env, args, node)

    # ------------------------------------------------------------------ actions
    def acts(self, n: Any, env: dict, asg: dict, init: bool) -> list[dict]:
        """The assignments (of x' in Next, of x in Init) that satisfy `n`, extending `asg`."""
        kind = n.symbol.name
        if kind == "PARENTHESES":
            return self.acts(n.expression, env, asg, init)
        if kind == "IF":
            return self.acts(n.then if self.eval(n.predicate, env) else n.else_, env, asg, init)
        if kind == "LET":
            inner = dict(env)
            for d in n.definitions:
                inner[d.name] = ("lazy", d.definiens, inner)
            return self.acts(n.expression, inner, asg, init)
        if kind == "QUANTIFICATION" and n.quantifier == "\\E":
            return [r for e in self.binds(n.declarations, env) for r in self.acts(n.predicate, e, asg, init)]
        if kind == "VERTICAL_LIST" or (kind == "OPERATOR_APPLICATION" and n.operator in ("/\\", "\\/")):
            items = [it.expression for it in n.arguments] if kind == "VERTICAL_LIST" else n.arguments
            if n.operator == "\\/":
                return [r for it in items for r in self.acts(it, env, asg, init)]
            out = [asg]
            for it in items:
                out = [r for a in out for r in self.acts(it, env, a, init)]
            return out
        if kind == "OPERATOR_APPLICATION":
            target = self.assigned(n, init)
            if target is not None:
                if n.operator == "=":
                    vals = [self.eval(n.arguments[1], env)]
                else:
                    vals = _sorted(self.eval(n.arguments[1], env))
                if target in asg:
                    return [asg] if asg[target] in vals else []
                return [{**asg, target: v} for v in vals]
            if n.operator == "UNCHANGED":
                t = n.arguments[0]
                names = t.items if t.symbol.name == "TUPLE" else self.defs[t.operator].definiens.items
                out = asg
                for x in names:
                    v = env["__state"][x.operator]
                    if x.operator in out and out[x.operator] != v:
                        return []
                    out = {**out, x.operator: v}
                return [out]
            d = self.defs.get(n.operator)
            if d is not None and n.arguments and d.arity:  # an action A(self, ...): its body
                params = [p.operator for p in d.arity]
                vals = [self.eval(x, env) for x in n.arguments]
                return self.acts(d.definiens, {"__state": env["__state"], **dict(zip(params, vals))}, asg, init)
        return [asg] if self.eval(n, env) else []

    def assigned(self, n: Any, init: bool) -> str | None:
        """The variable `x' = e` (Next) or `x = e`, `x \\in S` (Init) assigns, else None."""
        if n.operator not in ("=", "\\in") or len(n.arguments or []) != 2:
            return None
        lhs = n.arguments[0]
        if lhs.symbol.name != "OPERATOR_APPLICATION":
            return None
        if not init and n.operator == "=" and lhs.operator == "'":
            return str(lhs.arguments[0].operator)
        if init and lhs.operator in self.vars and not lhs.arguments:
            return str(lhs.operator)
        return None

    # ------------------------------------------------------------------ search
    def explore(self, limit: int = 200_000) -> tuple[set, dict]:
        """Every reachable state (a tuple of values in VARIABLES order) and each state's successors."""
        inits = self.acts(self.defs["Init"].definiens, {"__state": {}}, {}, True)
        start = {tuple(a[v] for v in self.vars) for a in inits}
        seen, edges = set(start), {}
        todo = deque(_sorted(start))
        while todo:
            s = todo.popleft()
            st = dict(zip(self.vars, s))
            succ = set()
            for a in self.acts(self.defs["Next"].definiens, {"__state": st}, {}, False):
                assert set(a) == set(self.vars), sorted(set(self.vars) - set(a))
                succ.add(tuple(a[v] for v in self.vars))
            edges[s] = succ
            for t in _sorted(succ - seen):
                seen.add(t)
                todo.append(t)
            if len(seen) > limit:
                raise RuntimeError("state limit")
        return seen, edges

    def holds(self, name: str, state: tuple) -> bool:
        return bool(self.eval(self.defs[name].definiens, {"__state": dict(zip(self.vars, state))}))


def _zero() -> Any:
    raise ModelError("division by zero")


def _empty() -> Any:
    raise ModelError("Head or Tail of an empty sequence")
