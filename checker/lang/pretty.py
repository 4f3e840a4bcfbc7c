"""AST back to canonical spec text (`papcheck parse`).  Parsing the output gives an equal AST,
which the tests check on every shipped spec and on generated ones."""

from __future__ import annotations

from . import ast

# binding strength, loosest first; mirrors the grammar's precedence levels
_PREC = {"=>": 1, "or": 2, "and": 3, "not": 4, "cmp": 5, "in": 5, "set": 6, "+": 7, "-": 7,
         "*": 8, "/": 8, "%": 8, "neg": 9, "post": 10}
_CMP = {"==", "!=", "<", "<=", ">", ">="}
_SETOPS = {"union", "intersect", "minus"}


def pretty_spec(spec: ast.Spec) -> str:
    out = [f"protocol {spec.name}", ""]
    prev_kind = None
    for d in spec.decls:
        kind = type(d).__name__
        if prev_kind is not None and (kind != prev_kind or kind == "MachineDecl"):
            out.append("")
        prev_kind = kind
        out.extend(_decl(d))
    return "\n".join(out).rstrip() + "\n"


def _doc(doc: str, ind: str) -> list[str]:
    return [f"{ind}## {doc}"] if doc else []


def _decl(d: ast.Decl) -> list[str]:
    if isinstance(d, ast.ConstDecl):
        t = f": {pretty_type(d.type)}" if d.type is not None else ""
        return _doc(d.doc, "") + [f"const {d.name}{t} = {pretty_expr(d.value)}"]
    if isinstance(d, ast.TypeDecl):
        return _doc(d.doc, "") + [f"type {d.name} = {pretty_type(d.type)}"]
    if isinstance(d, ast.VarDecl):
        return _doc(d.doc, "") + [_var(d)]
    if isinstance(d, ast.MachineDecl):
        mods = "".join(m + " " for m in d.modifiers)
        count = f"[{pretty_expr(d.count)}]" if d.count is not None else ""
        lines = _doc(d.doc, "") + [f"{mods}machine {d.name}{count} {{"]
        for v in d.vars:
            lines.extend(_doc(v.doc, "  ") + ["  " + _var(v)])
        for s in d.states:
            flags = ("init " if s.initial else "") + ("final " if s.final else "")
            lines.extend(_doc(s.doc, "  "))
            if not s.transitions:
                lines.append(f"  {flags}state {s.name} {{ }}")
                continue
            lines.append(f"  {flags}state {s.name} {{")
            for t in s.transitions:
                lines.extend(_transition(t, "    "))
            lines.append("  }")
        lines.append("}")
        return lines
    if isinstance(d, ast.PropertyDecl):
        doc = _doc(d.doc, "")
        if d.kind == "deadlock_free":
            return doc + [f"deadlock_free {d.name}"]
        if d.kind == "leads_to":
            return doc + [f"leads_to {d.name}: {pretty_expr(d.expr)} ~> {pretty_expr(d.expr2)}"]  # type: ignore[arg-type]
        return doc + [f"{d.kind} {d.name}: {pretty_expr(d.expr)}"]  # type: ignore[arg-type]
    if isinstance(d, ast.DefDecl):
        params = "(" + ", ".join(f"{p.name}: {pretty_type(p.domain)}" for p in d.params  # type: ignore[arg-type]
                                 ) + ")" if d.params else ""
        return _doc(d.doc, "") + [f"def {d.name}{params}: {pretty_type(d.result)} = {pretty_expr(d.body)}"]
    if isinstance(d, ast.ExpectDecl):
        text = "expect holds" if d.verdict == "holds" else f"expect violated {', '.join(d.names)}"
        return [text + (f" when {pretty_expr(d.when)}" if d.when is not None else "")]
    raise AssertionError(d)


def _var(d: ast.VarDecl) -> str:
    init = f" = {pretty_expr(d.init)}" if d.init is not None else ""
    if d.init_any:
        init = " in any"
    elif d.init_in is not None:
        init = f" in {pretty_expr(d.init_in)}"
    return f"var {d.name}: {pretty_type(d.type)}{init}"


def _transition(t: ast.Transition, ind: str) -> list[str]:
    head = ("fair " if t.fair else "") + f"on {t.name}"
    if t.params:
        ps = []
        for p in t.params:
            if isinstance(p.domain, ast.TypeExpr):
                ps.append(f"{p.name}: {pretty_type(p.domain)}")
            else:
                ps.append(f"{p.name} in {pretty_expr(p.domain)}")
        head += "(" + ", ".join(ps) + ")"
    if t.recv is not None:
        head += f" recv {t.recv.var} from {pretty_expr(t.recv.chan)}"
    if t.guard is not None:
        head += f" when {pretty_expr(t.guard)}"
    target = f" -> {t.target}" if t.target is not None else ""
    lines = _doc(t.doc, ind)
    if not t.body:
        return lines + [f"{ind}{head}{target}" if target else f"{ind}{head} {{ }}"]
    lines.append(f"{ind}{head} {{")
    lines.extend(_stmts(t.body, ind + "  "))
    lines.append(f"{ind}}}{target}")
    return lines


def _stmts(stmts: tuple[ast.Stmt, ...], ind: str) -> list[str]:
    out: list[str] = []
    for s in stmts:
        if isinstance(s, ast.Assign):
            out.append(f"{ind}{pretty_expr(s.target)} := {pretty_expr(s.value)}")
        elif isinstance(s, ast.If):
            for i, (c, body) in enumerate(s.branches):
                kw = "if" if i == 0 else "} elif"
                out.append(f"{ind}{kw} {pretty_expr(c)} {{")
                out.extend(_stmts(body, ind + "  "))
            if s.orelse:
                out.append(f"{ind}}} else {{")
                out.extend(_stmts(s.orelse, ind + "  "))
            out.append(f"{ind}}}")
        elif isinstance(s, ast.Choose):
            where = f" where {pretty_expr(s.cond)}" if s.cond is not None else ""
            out.append(f"{ind}choose {s.var} in {pretty_expr(s.domain)}{where}")
            out.extend(_stmts(s.body, ind))
        elif isinstance(s, ast.For):
            out.append(f"{ind}for {s.var} in {_domain(s.domain)} {{")
            out.extend(_stmts(s.body, ind + "  "))
            out.append(f"{ind}}}")
        elif isinstance(s, ast.Send):
            out.append(f"{ind}send {pretty_expr(s.value)} to {pretty_expr(s.chan)}")
        elif isinstance(s, ast.MethodCall):
            out.append(f"{ind}{pretty_expr(s.target, _PREC['post'])}.{s.method}("
                       f"{', '.join(pretty_expr(a) for a in s.args)})")
        elif isinstance(s, ast.Assert):
            out.append(f"{ind}assert {pretty_expr(s.cond)}")
        elif isinstance(s, ast.Skip):
            out.append(f"{ind}skip")
        else:
            raise AssertionError(s)
    return out


def pretty_type(t: ast.TypeExpr) -> str:
    if isinstance(t, ast.BoolType):
        return "bool"
    if isinstance(t, ast.RangeType):
        return f"{pretty_expr(t.lo, _PREC['+'])}..{pretty_expr(t.hi, _PREC['+'])}"
    if isinstance(t, ast.NamedType):
        return t.name + ("?" if t.optional else "")
    if isinstance(t, ast.SetType):
        return f"set[{pretty_type(t.elem)}]"
    if isinstance(t, ast.MapType):
        return f"map[{pretty_type(t.key)}, {pretty_type(t.value)}]"
    if isinstance(t, ast.EnumType):
        return "enum { " + ", ".join(m for m, _ in t.members) + " }"
    if isinstance(t, ast.RecordType):
        return "record { " + ", ".join(f"{n}: {pretty_type(ft)}" for n, ft, _ in t.fields) + " }"
    if isinstance(t, ast.ChanType):
        return f"chan[{pretty_type(t.elem)}, {pretty_expr(t.capacity)}]"
    raise AssertionError(t)


def pretty_expr(e: ast.Expr, ctx: int = 0) -> str:
    s, prec = _expr(e)
    return f"({s})" if prec < ctx else s


def _expr(e: ast.Expr) -> tuple[str, int]:
    if isinstance(e, ast.IntLit):
        return (str(e.value), _PREC["post"]) if e.value >= 0 else (str(e.value), _PREC["neg"])
    if isinstance(e, ast.BoolLit):
        return ("true" if e.value else "false"), _PREC["post"]
    if isinstance(e, ast.Name):
        return e.name, _PREC["post"]
    if isinstance(e, ast.SelfRef):
        return "self", _PREC["post"]
    if isinstance(e, ast.SetLit):
        return "{" + ", ".join(pretty_expr(x) for x in e.elems) + "}", _PREC["post"]
    if isinstance(e, ast.RecordLit):
        return "{" + ", ".join(f"{n} = {pretty_expr(x)}" for n, x in e.fields) + "}", _PREC["post"]
    if isinstance(e, ast.Index):
        return f"{pretty_expr(e.base, _PREC['post'])}[{pretty_expr(e.index)}]", _PREC["post"]
    if isinstance(e, ast.Field):
        return f"{pretty_expr(e.base, _PREC['post'])}.{e.name}", _PREC["post"]
    if isinstance(e, ast.At):
        return f"{pretty_expr(e.base, _PREC['post'])} at {e.state}", _PREC["post"]
    if isinstance(e, ast.Call):
        return (f"{pretty_expr(e.func, _PREC['post'])}({', '.join(pretty_expr(a) for a in e.args)})",
                _PREC["post"])
    if isinstance(e, ast.Unary):
        if e.op == "not":
            return f"not {pretty_expr(e.operand, _PREC['not'])}", _PREC["not"]
        inner = pretty_expr(e.operand, _PREC["neg"])
        if isinstance(e.operand, ast.IntLit) or inner.startswith("-"):
            inner = f"({inner})"  # keep -(5) distinct from the literal -5
        return f"-{inner}", _PREC["neg"]
    if isinstance(e, ast.Binary):
        op = e.op
        if op in _CMP:
            p = _PREC["cmp"]
            return f"{pretty_expr(e.left, _PREC['set'])} {op} {pretty_expr(e.right, _PREC['set'])}", p
        if op in _SETOPS:
            p = _PREC["set"]
            return f"{pretty_expr(e.left, p)} {op} {pretty_expr(e.right, _PREC['+'])}", p
        if op == "=>":
            p = _PREC["=>"]
            return f"{pretty_expr(e.left, p + 1)} => {pretty_expr(e.right, p)}", p
        p = _PREC[op]
        return f"{pretty_expr(e.left, p)} {op} {pretty_expr(e.right, p + 1)}", p
    if isinstance(e, ast.In):
        dom = _domain(e.domain)
        kw = "not in" if e.negated else "in"
        return f"{pretty_expr(e.elem, _PREC['set'])} {kw} {dom}", _PREC["in"]
    if isinstance(e, ast.Quant):
        return f"{e.kind} {e.var} in {_domain(e.domain)}: {pretty_expr(e.body)}", 0
    if isinstance(e, ast.Comprehension):
        where = f" where {pretty_expr(e.cond)}" if e.cond is not None else ""
        if e.elem is None:
            return f"{{{e.var} in {_domain(e.domain)}{where}}}", _PREC["post"]
        return f"{{{pretty_expr(e.elem)} for {e.var} in {_domain(e.domain)}{where}}}", _PREC["post"]
    if isinstance(e, ast.Cond):
        return f"if {pretty_expr(e.cond)} then {pretty_expr(e.then)} else {pretty_expr(e.orelse)}", 0
    if isinstance(e, ast.RangeExpr):
        return f"{pretty_expr(e.lo, _PREC['+'])}..{pretty_expr(e.hi, _PREC['+'])}", _PREC["in"]
    raise AssertionError(e)


def _domain(e: ast.Expr) -> str:
    if isinstance(e, ast.RangeExpr):
        return f"{pretty_expr(e.lo, _PREC['+'])}..{pretty_expr(e.hi, _PREC['+'])}"
    return pretty_expr(e, _PREC["set"])
