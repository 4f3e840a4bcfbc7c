"""Text to AST: reads a spec file, parses it with the Lark grammar, builds :mod:`checker.ast` nodes.

The Lark tree never leaves this module.  Syntax errors come out as a located
:class:`~checker.errors.SpecError` worded for a newcomer (what was expected, what was found, and
for the common slips such as ``=`` for ``:=``, a hint).  Files that are not text, are too large,
or cannot be read are reported the same way, never as a traceback.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import ast
from .errors import Diagnostics, SourceFile, Span, SpecError, UsageError

MAX_SPEC_BYTES = 2_000_000


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("checker").joinpath("grammar/papcheck.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def read_source(path: str) -> SourceFile:
    """Read a spec file as UTF-8 text; unreadable, binary or huge files are spec errors."""
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory, not a spec file")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror or e}") from None
    empty = SourceFile(path, "")
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError.single(empty, Span(0, 0, 0, 0),
                               f"spec file is larger than {MAX_SPEC_BYTES // 1_000_000} MB; "
                               "a protocol spec is a few hundred lines")
    if b"\0" in data:
        raise SpecError.single(empty, Span(0, 0, 0, 0), "this is a binary file, not a papcheck spec")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError.single(empty, Span.point(line, col),
                               f"the file is not UTF-8 text (byte 0x{data[e.start]:02x})") from None
    return SourceFile(path, text)


def parse_file(path: str) -> ast.Spec:
    return parse(read_source(path))


def parse(source: SourceFile) -> ast.Spec:
    """Parse a spec; raises SpecError with a located, human-worded message on bad syntax."""
    text = source.text
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise SpecError.single(source, Span.point(1, 1),
                               "the spec is empty; a spec starts with `protocol NAME`")
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as e:
        raise _syntax_error(source, e) from None
    try:
        spec = _Builder(source, _doc_comments(text)).transform(tree)
    except VisitError as e:  # a builder callback raised: unwrap to its own error
        if isinstance(e.orig_exc, SpecError):
            raise e.orig_exc from None
        raise
    return spec


# ------------------------------------------------------------------------------- syntax errors

_NAMED_TERMINALS = {
    "NAME": "a name",
    "INT": "a number",
    "$END": "the end of the file",
}


def _describe_terminal(name: str) -> str:
    if name in _NAMED_TERMINALS:
        return _NAMED_TERMINALS[name]
    for term in _lark().terminals:
        if term.name == name and term.pattern.type == "str":
            return f"'{term.pattern.value}'"
    return name.lower()


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the file"
    if tok.type == "NAME":
        return f"the name '{tok}'"
    if tok.type == "INT":
        return f"the number {tok}"
    return f"'{tok}'"


def _syntax_error(source: SourceFile, e: UnexpectedInput) -> SpecError:
    diags = Diagnostics(source)
    if isinstance(e, UnexpectedCharacters):
        ch = source.text[e.pos_in_stream] if e.pos_in_stream < len(source.text) else "?"
        hint = ""
        if ch in "\"'":
            hint = " (papcheck specs have no strings; use an enum for names)"
        elif ch == "=":
            hint = " (use ':=' to assign, '==' to compare)"
        elif ch == "&" or ch == "|":
            hint = " (use 'and' / 'or' for logic, 'union' / 'intersect' for sets)"
        elif ch == "!":
            hint = " (use 'not' for negation, '!=' for inequality)"
        diags.error(Span.point(e.line, e.column), f"unexpected character {ch!r}{hint}")
        return SpecError(diags)
    if isinstance(e, UnexpectedEOF):
        lines = source.text.rstrip().splitlines()
        last = len(lines)
        col = len(lines[-1]) + 1 if lines else 1
        expected = sorted({_describe_terminal(t) for t in e.expected})
        diags.error(Span.point(max(last, 1), col),
                    "the file ends in the middle of a declaration; expected " + _one_of(expected))
        return SpecError(diags)
    assert isinstance(e, UnexpectedToken)
    tok = e.token
    line, col = (tok.line, tok.column) if tok.line is not None else (1, 1)
    if tok.type == "$END":
        lines = source.text.rstrip().splitlines()
        line, col = max(len(lines), 1), (len(lines[-1]) + 1 if lines else 1)
    width = max(1, len(str(tok))) if tok.type != "$END" else 1
    span = Span(line, col, line, col + width)
    expected_names = set(e.expected)
    expected = sorted({_describe_terminal(t) for t in expected_names})
    message = f"unexpected {_describe_token(tok)}; expected {_one_of(expected)}"
    if tok.type == "EQUAL" and "__ANON_1" not in expected_names and any(
            _describe_terminal(t) == "':='" for t in expected_names):
        message = "unexpected '='; to assign a value use ':='"
    elif tok.type == "EQUAL":
        message = "unexpected '='; to compare use '==' (':=' assigns)"
    elif tok.type == "$END":
        message = f"the file ends too early; expected {_one_of(expected)}"
    elif tok.type == "NAME" and str(tok) in ("and", "or", "not") :
        message = f"unexpected '{tok}'"
    diags.error(span, message)
    return SpecError(diags)


def _one_of(items: list[str]) -> str:
    if not items:
        return "something else"
    if len(items) == 1:
        return items[0]
    if len(items) > 8:
        return ", ".join(items[:8]) + " or another token"
    return ", ".join(items[:-1]) + " or " + items[-1]


# -------------------------------------------------------------------------------- tree -> AST


def _doc_comments(text: str) -> dict[int, str]:
    """Map a line number to the `##` doc comment block that ends just above it."""
    lines = text.splitlines()
    docs: dict[int, str] = {}
    block: list[str] = []
    for i, raw in enumerate(lines, start=1):
        s = raw.strip()
        if s.startswith("##"):
            block.append(s[2:].strip())
            continue
        if block and s:
            docs[i] = " ".join(b for b in block if b)
        if s:
            block = []
    return docs


def _tspan(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + len(tok))


def _mspan(meta) -> Span:
    if getattr(meta, "empty", True):
        return Span(0, 0, 0, 0)
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


@v_args(meta=True)
class _Builder(Transformer):
    def __init__(self, source: SourceFile, docs: dict[int, str]):
        super().__init__()
        self.source = source
        self.docs = docs

    def _doc(self, span: Span) -> str:
        return self.docs.get(span.line, "")

    # ---- top level
    def start(self, meta, items):
        name = items[0]
        return ast.Spec(str(name), tuple(items[1:]), doc=self.docs.get(name.line, ""), span=_mspan(meta))

    def const_decl(self, meta, items):
        name, typ, value = items
        sp = _mspan(meta)
        return ast.ConstDecl(str(name), typ, value, doc=self._doc(sp), span=sp)

    def type_decl(self, meta, items):
        name, typ = items
        sp = _mspan(meta)
        return ast.TypeDecl(str(name), typ, doc=self._doc(sp), span=sp)

    def var_decl(self, meta, items):
        name, typ, init = items
        sp = _mspan(meta)
        return ast.VarDecl(str(name), typ, init, doc=self._doc(sp), span=sp)

    def machine_decl(self, meta, items):
        mods = []
        i = 0
        while isinstance(items[i], str) and items[i] in ("symmetric", "fair") and not isinstance(items[i], Token):
            mods.append(items[i])
            i += 1
        name, count = items[i], items[i + 1]
        rest = items[i + 2:]
        sp = _mspan(meta)
        return ast.MachineDecl(
            str(name), count, tuple(mods),
            tuple(x for x in rest if isinstance(x, ast.VarDecl)),
            tuple(x for x in rest if isinstance(x, ast.StateDecl)),
            doc=self._doc(sp), span=sp)

    def modifier(self, meta, items):
        return str(items[0])

    def state_flag(self, meta, items):
        return ("flag", str(items[0]))

    def state_decl(self, meta, items):
        flags = {x[1] for x in items if isinstance(x, tuple)}
        rest = [x for x in items if not isinstance(x, tuple)]
        name = rest[0]
        sp = _mspan(meta)
        return ast.StateDecl(str(name), "init" in flags, "final" in flags, tuple(rest[1:]),
                             doc=self._doc(sp), span=sp)

    def fair_kw(self, meta, items):
        return True

    def transition(self, meta, items):
        fair, name = items[0], items[1]
        params = tuple(p for p in items[2:] if isinstance(p, ast.Param))
        tail = [x for x in items[2:] if not isinstance(x, ast.Param)]
        # tail: [recv|None, guard|None, block, target|None] with placeholders for the optional params
        recv, guard, body, target = tail[-4:]
        sp = _mspan(meta)
        return ast.Transition(
            str(name), params, recv, guard, body, str(target) if target is not None else None,
            fair=bool(fair), doc=self._doc(sp), span=sp,
            target_span=_tspan(target) if target is not None else Span(0, 0, 0, 0))

    def param_typed(self, meta, items):
        return ast.Param(str(items[0]), items[1], span=_mspan(meta))

    def param_in(self, meta, items):
        return ast.Param(str(items[0]), items[1], span=_mspan(meta))

    def recv_clause(self, meta, items):
        return ast.Recv(str(items[0]), items[1], span=_mspan(meta))

    def prop_kind(self, meta, items):
        return str(items[0])

    def property(self, meta, items):
        kind, name, expr = items
        sp = _mspan(meta)
        return ast.PropertyDecl(kind, str(name), expr, doc=self._doc(sp), span=sp)

    def leads_to(self, meta, items):
        name, p, q = items
        sp = _mspan(meta)
        return ast.PropertyDecl("leads_to", str(name), p, q, doc=self._doc(sp), span=sp)

    def deadlock_free(self, meta, items):
        sp = _mspan(meta)
        return ast.PropertyDecl("deadlock_free", str(items[0]), None, doc=self._doc(sp), span=sp)

    def expect_holds(self, meta, items):
        return ast.ExpectDecl("holds", (), span=_mspan(meta))

    def expect_violated(self, meta, items):
        return ast.ExpectDecl("violated", tuple(str(n) for n in items), span=_mspan(meta))

    # ---- types
    def bool_type(self, meta, items):
        return ast.BoolType(span=_mspan(meta))

    def range_type(self, meta, items):
        return ast.RangeType(items[0], items[1], span=_mspan(meta))

    def named_type(self, meta, items):
        return ast.NamedType(str(items[0]), span=_mspan(meta))

    def set_type(self, meta, items):
        return ast.SetType(items[0], span=_mspan(meta))

    def map_type(self, meta, items):
        return ast.MapType(items[0], items[1], span=_mspan(meta))

    def enum_type(self, meta, items):
        return ast.EnumType(tuple((str(t), _tspan(t)) for t in items), span=_mspan(meta))

    def record_type(self, meta, items):
        return ast.RecordType(tuple(items), span=_mspan(meta))

    def field_decl(self, meta, items):
        return (str(items[0]), items[1], _tspan(items[0]))

    def chan_type(self, meta, items):
        return ast.ChanType(items[0], items[1], span=_mspan(meta))

    # ---- statements
    def block(self, meta, items):
        return _scope_chooses(list(items))

    def assign(self, meta, items):
        return ast.Assign(items[0], items[1], span=_mspan(meta))

    def if_stmt(self, meta, items):
        cond, body = items[0], items[1]
        branches = [(cond, body)]
        orelse: tuple = ()
        for x in items[2:]:
            if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], ast.Expr):
                branches.append(x)
            elif x is not None:
                orelse = x
        return ast.If(tuple(branches), orelse, span=_mspan(meta))

    def elif_clause(self, meta, items):
        return (items[0], items[1])

    def choose(self, meta, items):
        # the body is filled in by _scope_chooses once the whole block is known
        return ast.Choose(str(items[0]), items[1], items[2], (), span=_mspan(meta))

    def send(self, meta, items):
        return ast.Send(items[0], items[1], span=_mspan(meta))

    def expr_stmt(self, meta, items):
        e = items[0]
        sp = _mspan(meta)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Field):
            return ast.MethodCall(e.func.base, e.func.name, e.args, span=sp)
        raise SpecError.single(self.source, sp,
                               "this is an expression, not a statement; did you mean ':=' or "
                               "a set operation such as s.add(x)?")

    def assert_stmt(self, meta, items):
        return ast.Assert(items[0], span=_mspan(meta))

    def skip(self, meta, items):
        return ast.Skip(span=_mspan(meta))

    # ---- expressions
    def quant_kind(self, meta, items):
        return str(items[0])

    def quant(self, meta, items):
        return ast.Quant(items[0], str(items[1]), items[2], items[3], span=_mspan(meta))

    def cond(self, meta, items):
        return ast.Cond(items[0], items[1], items[2], span=_mspan(meta))

    def range_expr(self, meta, items):
        return ast.RangeExpr(items[0], items[1], span=_mspan(meta))

    def implies_op(self, meta, items):
        return ast.Binary("=>", items[0], items[1], span=_mspan(meta))

    def or_op(self, meta, items):
        return ast.Binary("or", items[0], items[1], span=_mspan(meta))

    def and_op(self, meta, items):
        return ast.Binary("and", items[0], items[1], span=_mspan(meta))

    def not_op(self, meta, items):
        return ast.Unary("not", items[0], span=_mspan(meta))

    def compop(self, meta, items):
        return str(items[0])

    setop_kw = addop = mulop = compop

    def compare(self, meta, items):
        return ast.Binary(items[1], items[0], items[2], span=_mspan(meta))

    setop = binop = compare

    def in_op(self, meta, items):
        return ast.In(items[0], items[1], False, span=_mspan(meta))

    def not_in_op(self, meta, items):
        return ast.In(items[0], items[1], True, span=_mspan(meta))

    def neg(self, meta, items):
        operand = items[0]
        if isinstance(operand, ast.IntLit):
            return ast.IntLit(-operand.value, span=_mspan(meta))
        return ast.Unary("-", operand, span=_mspan(meta))

    def index(self, meta, items):
        return ast.Index(items[0], items[1], span=_mspan(meta))

    def field(self, meta, items):
        return ast.Field(items[0], str(items[1]), span=_mspan(meta))

    def at(self, meta, items):
        return ast.At(items[0], str(items[1]), span=_mspan(meta))

    def call(self, meta, items):
        func, args = items[0], tuple(a for a in items[1:] if a is not None)
        return ast.Call(func, args, span=_mspan(meta))

    def int_lit(self, meta, items):
        return ast.IntLit(int(items[0]), span=_mspan(meta))

    def true_lit(self, meta, items):
        return ast.BoolLit(True, span=_mspan(meta))

    def false_lit(self, meta, items):
        return ast.BoolLit(False, span=_mspan(meta))

    def self_ref(self, meta, items):
        return ast.SelfRef(span=_mspan(meta))

    def name(self, meta, items):
        return ast.Name(str(items[0]), span=_mspan(meta))

    def set_lit(self, meta, items):
        return ast.SetLit(tuple(x for x in items if x is not None), span=_mspan(meta))

    def record_lit(self, meta, items):
        return ast.RecordLit(tuple(items), span=_mspan(meta))

    def field_init(self, meta, items):
        return (str(items[0]), items[1])


def _scope_chooses(stmts: list) -> tuple:
    """Give each `choose` the statements after it in its block as its body."""
    out: list = []
    for i, s in enumerate(stmts):
        if isinstance(s, ast.Choose):
            body = _scope_chooses(stmts[i + 1:])
            out.append(ast.Choose(s.var, s.domain, s.cond, body, span=s.span))
            return tuple(out)
        out.append(s)
    return tuple(out)

