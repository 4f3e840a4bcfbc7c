"""Text to AST: reads a spec file, parses it with the Lark grammar, builds :mod:`checker.lang.ast` nodes.

The Lark tree never leaves this module.  Syntax errors come out as a located
:class:`~checker.lang.errors.SpecError` worded for a newcomer (what was expected, what was found, and
for the common slips such as ``=`` for ``:=``, a hint).  Files that are not text, are too large,
or cannot be read are reported the same way, never as a traceback.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from typing import Any, cast

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.tree import Meta

from . import ast
from .errors import Diagnostics, Note, PapcheckError, SourceFile, Span, SpecError, UsageError
from .inputs import MAX_SPEC_BYTES, InputError, read_text
from .outputs import visible

MAX_NESTING = 100  # levels of the syntax tree, declarations included
# Each parameter and nested `choose` of a transition is a loop in the generated Python, which
# allows 20 nested blocks; the model code needs a few of its own.
MAX_LOOPS = 12


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("checker.lang").joinpath("grammar/papcheck.lark").read_text(encoding="utf-8")
    options = dict(parser="lalr", propagate_positions=True, maybe_placeholders=True,
                   lexer_callbacks={"NAME": _check_name})
    try:  # the LALR tables take a second to build: Lark caches them in the temp directory
        return Lark(grammar, cache=True, **options)
    except OSError:
        return Lark(grammar, **options)


def read_source(path: str) -> SourceFile:
    """Read a spec file as UTF-8 text (through :mod:`checker.lang.inputs`); a missing or unreadable
    file is a usage error, a binary, non-UTF-8 or huge one a spec error."""
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory, not a spec file")
    try:
        return SourceFile(path, read_text(path, MAX_SPEC_BYTES, "papcheck spec"))
    except InputError as e:
        raise spec_input_error(e) from None


def spec_input_error(e: InputError) -> PapcheckError:
    """A spec's unreadable content as a located spec error (exit code 3); an unreadable file
    stays a usage error (exit code 2)."""
    if not e.content:
        return e
    message = e.message
    if message.startswith("the file is larger than"):
        message += "; a protocol spec is a few hundred lines"
    message = message.replace("save it as UTF-8", "save the spec as UTF-8")
    return SpecError.single(SourceFile(e.path, e.text), Span.point(e.line or 1, e.col or 1), message)


def parse_file(path: str) -> ast.Spec:
    return parse(read_source(path))


def parse(source: SourceFile) -> ast.Spec:
    """Parse a spec; raises SpecError with a located, human-worded message on bad syntax.

    Memoized on (path, text): the AST is immutable, and a run may ask twice (a CI gate reads
    the declared constants before checking)."""
    return _parse_cached(source)


@lru_cache(maxsize=16)
def _parse_cached(source: SourceFile) -> ast.Spec:
    text = source.text
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise SpecError.single(source, Span.point(1, 1),
                               "the spec is empty; a spec starts with `protocol NAME`")
    tree = _parse_recovering(source)
    _check_nesting(source, tree)
    try:
        spec = _Builder(source, _doc_comments(text)).transform(tree)
    except VisitError as e:  # a builder callback raised: unwrap to its own error
        if isinstance(e.orig_exc, SpecError):
            raise e.orig_exc from None
        if isinstance(e.orig_exc, RecursionError):
            raise _too_deep(source) from None
        raise
    except RecursionError:
        raise _too_deep(source) from None
    return spec


# ------------------------------------------------------------------------------ error recovery
#
# The parse runs token by token on Lark's interactive parser so that one mistake does not hide the
# next.  After a syntax error the parser is in "panic mode": it drops tokens until a synchronising
# one, a declaration keyword at the start of a line or a '}' closing a brace opened before the
# error, then pops its stack to the innermost state that accepts that token and goes on.  Errors
# met while still dropping tokens are not reported (they are usually echoes of the first one), nor
# are errors within a couple of tokens after resynchronising on a '}'.  The first error is worded
# exactly as a single error always was.

MAX_SYNTAX_ERRORS = 20
_SETTLE_AFTER_BRACE = 3  # tokens to shift after a '}' resync before a new error is reported


class _Recovery:
    """Collects the syntax errors of one parse and steers the parser past each."""

    def __init__(self, source: SourceFile):
        self.source = source
        self.diags = Diagnostics(source)
        self.count = 0
        self.capped = False
        self.panic = False
        self.depth = 0  # net '{' among the tokens dropped since the error
        self.quiet = 0  # tokens still to shift before a new error is reported

    def report(self, e: UnexpectedInput) -> None:
        """Record an error unless it is an echo of the last one; enter panic mode."""
        if not self.panic and self.quiet <= 0 and not self.capped:
            if self.count >= MAX_SYNTAX_ERRORS:
                self.capped = True
                span = _syntax_error(self.source, e).diagnostics.items[0].span
                self.diags.error(span, f"too many syntax errors; stopped after the first {MAX_SYNTAX_ERRORS}")
            else:
                self.count += 1
                self.diags.items.extend(_syntax_error(self.source, e).diagnostics.items)
        if not self.panic:
            self.panic = True
            self.depth = 0

    def report_reserved(self, tok: Token, operand: bool = False) -> None:
        if not self.panic and self.quiet <= 0 and not self.capped:
            if self.count >= MAX_SYNTAX_ERRORS:
                self.capped = True
                self.diags.error(_tspan(tok), f"too many syntax errors; stopped after the first {MAX_SYNTAX_ERRORS}")
            else:
                self.count += 1
                self.diags.error(_tspan(tok), _reserved_message(str(tok), operand))
        if not self.panic:
            self.panic = True
            self.depth = 0


def _first_on_line(text: str, tok: Token) -> bool:
    start = tok.start_pos if tok.start_pos is not None else 0
    return text[text.rfind("\n", 0, start) + 1:start].strip() == ""


def _keyword_token(tok: Token) -> Token:
    """The token retyped as its keyword or punctuation terminal (the contextual lexer may have
    lexed a keyword as a NAME in a state that did not expect it)."""
    by_text = _terminal_types()
    kind = by_text.get(str(tok))
    return Token.new_borrow_pos(kind, str(tok), tok) if kind and kind != tok.type else tok


@lru_cache(maxsize=1)
def _terminal_types() -> dict[str, str]:
    return {v: k for k, v in _terminal_text().items()}


# Line-initial words that start a statement, a transition or a state: the parser resynchronises on
# them too, but only at a statement boundary (so a name is not glued onto a broken expression).
_LINE_STARTS = frozenset({"if", "choose", "for", "send", "assert", "skip", "on", "state", "init", "final"})
_BOUNDARY_TREES = frozenset({"assign", "if_stmt", "choose", "for_stmt", "send", "expr_stmt", "assert_stmt", "skip",
                             "transition", "state_decl", "var_decl", "var_any", "var_in",
                             "block"})


def _at_boundary(values: list[Any]) -> bool:
    """Whether a (truncated) value stack ends between two statements or declarations."""
    if not values:
        return False
    top = values[-1]
    if isinstance(top, Token):
        return str(top) in ("{", ";", "}")
    return isinstance(top, Tree) and top.data in _BOUNDARY_TREES


def _resync(ip: Any, tok: Token, boundary: bool = False) -> bool:
    """Pop the parser stack to the innermost state that shifts `tok` (at a statement boundary if
    asked); False if none does."""
    state = ip.parser_state
    typed = _keyword_token(tok)
    for keep in range(len(state.value_stack), -1, -1):
        if boundary and not _at_boundary(state.value_stack[:keep]):
            continue
        trial = state.copy(deepcopy_values=False)
        del trial.state_stack[keep + 1:]
        del trial.value_stack[keep:]
        try:
            trial.feed_token(typed)
        except UnexpectedInput:
            continue
        state.state_stack[:] = trial.state_stack
        state.value_stack[:] = trial.value_stack
        return True
    return False


def _reserved_message(word: str, operand: bool) -> str:
    if operand and word in ("forall", "exists"):  # `a or exists j in W: p` parses `exists` where an operand goes
        return (f"a quantifier inside a larger expression needs parentheses: write `({word} x in D: ...)` "
                f"(the body of `{word}` extends as far right as possible)")
    return f"'{word}' is a reserved word and cannot be used as a name"


def _parse_recovering(source: SourceFile) -> Tree[Token]:
    """Parse the whole text, reporting every independent syntax error (up to a cap) at once."""
    text = source.text
    ip: Any = _lark().parse_interactive(text)  # lark's interactive API is untyped
    rec = _Recovery(source)
    lexer: Any = ip.lexer_thread
    tokens = lexer.lex(ip.parser_state)
    last: Token | None = None
    while True:
        try:
            tok = next(tokens)
        except StopIteration:
            break
        except _ReservedName as e:
            rec.report_reserved(e.token, "INT" in ip.accepts())  # an operand could go here
            tokens = lexer.lex(ip.parser_state)
            last = e.token
            continue
        except UnexpectedCharacters as e:
            if not rec.panic:
                e.interactive_parser = ip
            rec.report(e)
            lexer.state.line_ctr.feed(text[lexer.state.line_ctr.char_pos:lexer.state.line_ctr.char_pos + 1])
            tokens = lexer.lex(ip.parser_state)
            continue
        except UnexpectedToken as e:  # the contextual lexer found a token this state cannot take
            tokens = lexer.lex(ip.parser_state)
            tok = e.token
            if not rec.panic:
                e.interactive_parser = ip
                rec.report(e)
            _drop_or_resync(rec, ip, text, tok)
            last = tok
            continue
        last = tok
        if rec.panic:
            _drop_or_resync(rec, ip, text, tok)
            continue
        try:
            ip.feed_token(tok)
            rec.quiet -= 1
        except UnexpectedToken as e:
            e.interactive_parser = ip
            rec.report(e)
            _drop_or_resync(rec, ip, text, tok)
    tree = None
    if not rec.panic:  # in panic mode the end of the file is no new error
        try:
            tree = ip.feed_eof(last)
        except UnexpectedToken as e:
            e.interactive_parser = ip
            rec.report(e)
    if rec.diags.items:
        raise SpecError(rec.diags)
    return cast(Tree[Token], tree)


def _drop_or_resync(rec: _Recovery, ip: Any, text: str, tok: Token) -> None:
    """In panic mode: resynchronise on `tok` if it is a synchronising token, else drop it."""
    value = str(tok)
    if value == "}" and rec.depth <= 0:
        if _resync(ip, tok):
            rec.panic = False
            rec.quiet = _SETTLE_AFTER_BRACE
        return
    if value in _DECL_WORDS and _first_on_line(text, tok) and (rec.depth <= 0 or value in _TOP_ONLY):
        if _resync(ip, tok):
            rec.panic = False
            rec.quiet = 0
            rec.depth = 0
        return
    if (rec.depth <= 0 and _first_on_line(text, tok)
            and (value in _LINE_STARTS or tok.type == "NAME") and _resync(ip, tok, boundary=True)):
        rec.panic = False
        rec.quiet = 0
        rec.depth = 0
        return
    if value == "{":
        rec.depth += 1
    elif value == "}":
        rec.depth -= 1


def _check_nesting(source: SourceFile, tree: Tree[Token]) -> None:
    """Refuse absurdly deep nesting before anything recurses over it.

    Later stages walk the tree recursively and generate Python whose parser allows 200 nested
    brackets; real specs nest about a dozen levels, so a hundred is a bound no spec needs.
    """
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            meta = node.meta
            span = Span.point(meta.line, meta.column) if not getattr(meta, "empty", True) else Span.point(1, 1)
            raise SpecError.single(source, span, f"the spec is nested too deeply here (more than {MAX_NESTING} "
                                                 "levels); split the expression into smaller ones")
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, Tree))


def _too_deep(source: SourceFile) -> SpecError:
    """The tree builder recursed too deep: point at the bracket where nesting is deepest."""
    depth = best = best_at = 0
    for i, c in enumerate(source.text):
        if c in "([{":
            depth += 1
            if depth > best:
                best, best_at = depth, i
        elif c in ")]}":
            depth -= 1
    line, col = _position(source.text, best_at)
    return SpecError.single(source, Span.point(line, col),
                            f"expressions are nested too deeply here ({best} levels of brackets); "
                            "split the expression up")


# ------------------------------------------------------------------------------- syntax errors
#
# Lark reports a syntax error as "this token, in this parser state".  We turn that into one sentence
# a newcomer can act on: first a table of known slips (each rule looks at the bad token, the token
# before it and what the parser could have accepted), then a generic "unexpected X; expected Y"
# where Y is a short phrase ("an expression", "a declaration") rather than a dozen token names.

# Words of expressions and statements.  They cannot be names, because a name may stand where they
# do.  Words used only in declarations (state, record, set, ...) stay usable as names: the parser
# knows from the position which one is meant, and `var record: ...` reads naturally.
RESERVED = frozenset({
    "true", "false", "self", "not", "and", "or", "in", "at", "if", "then", "else", "elif",
    "forall", "exists", "union", "intersect", "minus", "choose", "send", "assert", "skip",
    "where", "when", "for",
})

_DECL_WORDS = ("const", "type", "var", "machine", "symmetric", "fair", "invariant", "reachable",
               "recoverable", "eventually", "always_eventually", "leads_to", "deadlock_free", "expect", "def")
# Declarations that only appear at the top level: seen inside braces, a '}' is probably missing.
_TOP_ONLY = frozenset(_DECL_WORDS) - {"var", "fair"}
_EXPR_START = frozenset({"NAME", "INT", "true", "false", "self", "(", "{", "-", "not", "if", "forall",
                         "exists", "AGGREGATE"})
_STMT_WORDS = frozenset({"if", "choose", "for", "send", "assert", "skip"})
_OPERATORS = frozenset({"+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or", "=>",
                        "in", "not", "union", "intersect", "minus", "at", ".", "[", "("})
_CLOSERS = {"}": "{", ")": "(", "]": "["}
_TYPE_SHAPES = {"set": "set[ELEMENT], for example set[0..3]",
                "map": "map[KEY, VALUE], for example map[0..3, bool]",
                "chan": "chan[MESSAGE, CAPACITY], for example chan[0..3, 2]"}


class _ReservedName(Exception):
    """Raised by the lexer when a reserved word stands where a name is expected."""

    def __init__(self, token: Token):
        super().__init__(str(token))
        self.token = token


def _check_name(tok: Token) -> Token:
    # Lark retypes a NAME into a keyword token wherever the keyword is acceptable; a NAME that is
    # still spelled like a reserved word stands where only a name fits, e.g. `var in: bool`.
    if tok in RESERVED:
        raise _ReservedName(tok)
    return tok


@lru_cache(maxsize=1)
def _terminal_text() -> dict[str, str]:
    """Terminal name -> its literal text, for the keyword and punctuation terminals."""
    return {t.name: t.pattern.value for t in _lark().terminals if t.pattern.type == "str"}


def _text_of(name: str) -> str:
    """A terminal's literal text ('}', 'state'), or its name for NAME, INT and $END."""
    return _terminal_text().get(name, name)


def _describe_expected(names: set[str]) -> str:
    """A short human phrase for the set of terminals the parser could have accepted."""
    items = {_text_of(n) for n in names}
    phrases: list[str] = []
    if len(items & set(_DECL_WORDS)) >= 5:
        phrases.append("a declaration (const, type, var, machine, a property or expect)")
        items -= set(_DECL_WORDS) | {"$END"}
    if _STMT_WORDS <= items:
        phrases.append("a statement")
        items -= _STMT_WORDS | _EXPR_START | {";"}
    elif len(items & _EXPR_START) >= 5:
        phrases.append("an expression")
        items -= _EXPR_START
    if len(items & _OPERATORS) >= 5:
        phrases.insert(0, "an operator")
        items -= _OPERATORS
    singles = {"NAME": "a name", "INT": "a number", "$END": "the end of the file"}
    rest = sorted(singles.get(i, f"'{i}'") for i in items)
    words = phrases + rest
    if not words:
        return "something else"
    if len(words) > 5:
        words = words[:4] + ["another token"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the file"
    if tok.type == "NAME":
        return f"name '{tok}'"
    if tok.type == "INT":
        return f"number {tok}"
    return f"'{tok}'"


def _offset(text: str, line: int, col: int) -> int:
    """The character offset of a 1-based line and column."""
    pos = 0
    for _ in range(line - 1):
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        pos = nl + 1
    return pos + col - 1


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _open_brackets(text: str, upto: int) -> list[tuple[str, int]]:
    """Brackets opened before `upto` and not yet closed, outermost first (comments skipped)."""
    stack: list[tuple[str, int]] = []
    i = 0
    while i < upto:
        c = text[i]
        if c == "#":
            nl = text.find("\n", i)
            i = upto if nl < 0 else nl
            continue
        if c in "{([":
            stack.append((c, i))
        elif c in _CLOSERS and stack and stack[-1][0] == _CLOSERS[c]:
            stack.pop()
        i += 1
    return stack


def _end_span(text: str) -> Span:
    """Just after the last character of the file: where an early end of file is reported."""
    lines = text.rstrip().splitlines()
    if not lines:
        return Span.point(1, 1)
    return Span.point(len(lines), len(lines[-1]) + 1)


def _syntax_error(source: SourceFile, e: UnexpectedInput) -> SpecError:
    diags = Diagnostics(source)
    if isinstance(e, UnexpectedCharacters):
        span, message = _bad_character(source.text, e)
        diags.error(span, message)
        return SpecError(diags)
    if not isinstance(e, UnexpectedToken):  # UnexpectedEOF: only the Earley parser raises it
        diags.error(_end_span(source.text), "the file ends too early")
        return SpecError(diags)
    message, span, notes = _unexpected_token(source, e)
    diags.error(span, message, notes)
    return SpecError(diags)


def _bad_character(text: str, e: UnexpectedCharacters) -> tuple[Span, str]:
    pos = cast(int, e.pos_in_stream)  # lark declares the attribute as None; here it is the offset
    ch = text[pos] if pos < len(text) else "?"
    two = text[pos:pos + 2]
    span = Span.point(e.line, e.column)
    if ch in "\"'":
        close = text.find(ch, pos + 1)
        nl = text.find("\n", pos)
        if close > 0 and (nl < 0 or close < nl):
            span = Span(e.line, e.column, e.line, e.column + close - pos + 1)
        return span, "papcheck specs have no strings; use an enum type for names"
    if two in ("&&", "||"):
        word = "and" if two == "&&" else "or"
        return Span(e.line, e.column, e.line, e.column + 2), f"'{two}' is not papcheck syntax; write '{word}'"
    if ch == "&":
        return span, "'&' is not papcheck syntax; write 'and' (or 'intersect' for sets)"
    if ch == "|":
        return span, "'|' is not papcheck syntax; write 'or' (or 'union' for sets)"
    if ch == "!":
        return span, "'!' is not papcheck syntax; write 'not' (inequality is '!=')"
    shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
    return span, f"unexpected character {shown}"


def _stack(e: UnexpectedToken) -> list[Any]:
    ip = getattr(e, "interactive_parser", None)
    return list(ip.parser_state.value_stack) if ip is not None else []


def _accepts(e: UnexpectedToken) -> set[str]:
    # The parser's own `expected` includes tokens that are only valid after a default reduction
    # which the bad token would then undo; accepts() tries each one and keeps the real ones.
    ip = getattr(e, "interactive_parser", None)
    if ip is not None:
        try:
            return set(ip.accepts())
        except Exception:  # an accepts() failure must not hide the user's error
            pass
    return set(e.expected)


def _tok(x: object) -> str | None:
    """The text of a stack entry when it is a single token (None for a reduced subtree)."""
    return str(x) if isinstance(x, Token) else None


def _unexpected_token(source: SourceFile, e: UnexpectedToken) -> tuple[str, Span, list[Note]]:
    text = source.text
    tok = e.token
    if tok.type == "$END" or tok.line is None:
        span = _end_span(text)
        at = len(text)
    else:
        span = _tspan(tok)
        at = tok.start_pos if tok.start_pos is not None else _offset(text, tok.line, tok.column)
    accepts = _accepts(e)
    texts = {_text_of(n) for n in accepts}
    stack = _stack(e)
    prev = _tok(stack[-1]) if stack else None
    value = str(tok)
    what = _describe_token(tok)
    expected = _describe_expected(accepts)
    opened = _open_brackets(text, at)

    def unclosed_note() -> list[Note]:
        ch, off = opened[-1]
        line, col = _position(text, off)
        return [Note(Span.point(line, col), f"this '{ch}' is not closed")]

    if tok.type == "$END":
        if opened:
            ch, off = opened[-1]
            return (f"the file ends before the '{ch}' on line {_position(text, off)[0]} is closed; "
                    f"a '{_closer(ch)}' is missing", span, unclosed_note())
        return f"the file ends too early; expected {expected}", span, []
    if texts == {"protocol"}:
        return f"a spec starts with `protocol NAME`; found {what}", span, []
    if value in RESERVED and "NAME" in accepts and value not in texts:
        return _reserved_message(value, "INT" in accepts), span, []
    if value == "=":
        if ":=" in texts:
            return "unexpected '='; to assign a value use ':='", span, []
        if "==" in texts or "<" in texts:
            return "unexpected '='; to compare use '==' (':=' assigns)", span, []
    if value == "==" and "=" in texts:
        return "unexpected '=='; a declaration's value is given with '='", span, []
    if value == ":=" and ":=" not in texts:
        return ("unexpected ':='; assignments are statements in a transition's '{ ... }' "
                "(to compare use '==')", span, [])
    if value == "if" and prev == "else":
        return "write 'elif' instead of 'else if'", span, []
    if value in _CLOSERS and prev == "," and isinstance(stack[-1], Token):
        return (f"a ',' must be followed by another item; remove the ',' before '{value}'",
                _tspan(stack[-1]), [])
    if prev == "->" and "NAME" in accepts:
        return f"'->' must be followed by the name of a state; found {what}", span, []
    if value == ":" and "{" in texts:
        return "unexpected ':'; blocks are written in braces '{ ... }', not with ':' and indentation", span, []
    if value == "/" and text[at:at + 2] == "//":
        return "'//' does not start a comment; comments start with '#'", Span(
            span.line, span.col, span.line, span.col + 2), []
    if tok.type == "NAME" and at > 0 and text[at - 1].isdigit():
        start = at
        while start > 0 and text[start - 1].isdigit():
            start -= 1
        word = text[start:at] + value
        line, col = _position(text, start)
        return (f"'{word}' is neither a number nor a name (a name starts with a letter)",
                Span(line, col, line, col + len(word)), [])
    if value in ("<", "(") and prev in _TYPE_SHAPES:
        return f"a {prev} type is written {_TYPE_SHAPES[prev]}", span, []
    if value == "]" and len(stack) >= 3 and _tok(stack[-3]) == "map":
        return "a map type needs a key and a value type: map[KEY, VALUE]", span, []
    if value == "..":
        return ("a range lo..hi is a type or a domain (after 'in'), not a value", span, [])
    if value in _TOP_ONLY and value not in texts and opened and opened[-1][0] == "{":
        line = _position(text, opened[-1][1])[0]
        return (f"unexpected '{value}' inside a block: the '{{' on line {line} is not closed; "
                "is a '}' missing?", span, unclosed_note())
    if value == "on" and "state" in texts:
        return "a transition must be inside a state: `state NAME { on ... }`", span, []
    if tok.type == "NAME" and "on" in texts:
        return f"unexpected {what}; a transition starts with 'on', as in `on {value} ...`", span, []
    if ":=" in texts and value in _OPERATORS | {"=="}:
        return f"unexpected {what}; expected ':=' (an expression alone is not a statement)", span, []
    top_level = len(texts & set(_DECL_WORDS)) >= 5
    if top_level:
        if len(stack) == 2 and _tok(stack[0]) == "protocol" and prev in _DECL_WORDS:
            return ("'protocol' must be followed by the protocol's name, as in `protocol Dns`",
                    _tspan(stack[-1]), [])
        if value == "}":
            return "unexpected '}': there is no '{' for it to close", span, []
        if value == ";":
            return "unexpected ';'; declarations need no ';' (it only separates statements)", span, []
        if tok.type == "NAME":
            import difflib
            close = difflib.get_close_matches(value, _DECL_WORDS[:-1], n=1, cutoff=0.7)
            if close:
                return f"unexpected {what}; did you mean '{close[0]}'?", span, []
    notes: list[Note] = []
    if opened and _closer(opened[-1][0]) in texts and value != _closer(opened[-1][0]):
        line, col = _position(text, opened[-1][1])
        notes.append(Note(Span.point(line, col), f"the '{opened[-1][0]}' opened here"))
    return f"unexpected {what}; expected {expected}", span, notes


def _closer(opener: str) -> str:
    return {v: k for k, v in _CLOSERS.items()}[opener]


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
            docs[i] = visible(" ".join(b for b in block if b))
        if s:
            block = []
    return docs


def _tspan(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + len(tok))  # type: ignore[arg-type, operator]  # lexer tokens have positions


def _mspan(meta: Meta) -> Span:
    if getattr(meta, "empty", True):
        return Span(0, 0, 0, 0)
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


@v_args(meta=True)
class _Builder(Transformer[Token, ast.Spec]):
    def __init__(self, source: SourceFile, docs: dict[int, str]):
        super().__init__()
        self.source = source
        self.docs = docs

    def _doc(self, span: Span) -> str:
        return self.docs.get(span.line, "")

    # ---- top level
    def start(self, meta: Meta, items: list[Any]) -> ast.Spec:
        name = items[0]
        return ast.Spec(str(name), tuple(items[1:]), doc=self.docs.get(name.line, ""), span=_mspan(meta))

    def const_decl(self, meta: Meta, items: list[Any]) -> ast.ConstDecl:
        name, typ, value = items
        sp = _mspan(meta)
        return ast.ConstDecl(str(name), typ, value, doc=self._doc(sp), span=sp)

    def type_decl(self, meta: Meta, items: list[Any]) -> ast.TypeDecl:
        name, typ = items
        sp = _mspan(meta)
        return ast.TypeDecl(str(name), typ, doc=self._doc(sp), span=sp)

    def var_decl(self, meta: Meta, items: list[Any]) -> ast.VarDecl:
        name, typ, init = items
        sp = _mspan(meta)
        return ast.VarDecl(str(name), typ, init, doc=self._doc(sp), span=sp)

    def var_any(self, meta: Meta, items: list[Any]) -> ast.VarDecl:
        name, typ = items
        sp = _mspan(meta)
        return ast.VarDecl(str(name), typ, None, doc=self._doc(sp), span=sp, init_any=True)

    def var_in(self, meta: Meta, items: list[Any]) -> ast.VarDecl:
        name, typ, dom = items
        sp = _mspan(meta)
        return ast.VarDecl(str(name), typ, None, doc=self._doc(sp), span=sp, init_in=dom)

    def def_decl(self, meta: Meta, items: list[Any]) -> ast.DefDecl:
        name, params, result, body = items[0], items[1:-2], items[-2], items[-1]
        sp = _mspan(meta)
        return ast.DefDecl(str(name), tuple(p for p in params if p is not None), result, body,
                           doc=self._doc(sp), span=sp)

    def def_param(self, meta: Meta, items: list[Any]) -> ast.Param:
        return ast.Param(str(items[0]), items[1], span=_mspan(meta))

    def machine_decl(self, meta: Meta, items: list[Any]) -> ast.MachineDecl:
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

    def modifier(self, meta: Meta, items: list[Any]) -> str:
        return str(items[0])

    def state_flag(self, meta: Meta, items: list[Any]) -> tuple[str, str]:
        return ("flag", str(items[0]))

    def state_decl(self, meta: Meta, items: list[Any]) -> ast.StateDecl:
        flags = {x[1] for x in items if isinstance(x, tuple)}
        rest = [x for x in items if not isinstance(x, tuple)]
        name = rest[0]
        sp = _mspan(meta)
        return ast.StateDecl(str(name), "init" in flags, "final" in flags, tuple(rest[1:]),
                             doc=self._doc(sp), span=sp)

    def fair_kw(self, meta: Meta, items: list[Any]) -> bool:
        return True

    def transition(self, meta: Meta, items: list[Any]) -> ast.Transition:
        fair, name = items[0], items[1]
        params = tuple(p for p in items[2:] if isinstance(p, ast.Param))
        tail = [x for x in items[2:] if not isinstance(x, ast.Param)]
        # tail: [recv|None, guard|None, block, target|None] with placeholders for the optional params
        recv, guard, body, target = tail[-4:]
        sp = _mspan(meta)
        too_deep = _too_many_loops(body, len(params))
        if too_deep is not None:
            raise SpecError.single(self.source, too_deep.span,
                                   f"more than {MAX_LOOPS} nested 'choose', 'for' and parameters in one transition; "
                                   "split the transition up")
        return ast.Transition(
            str(name), params, recv, guard, body, str(target) if target is not None else None,
            fair=bool(fair), doc=self._doc(sp), span=sp,
            target_span=_tspan(target) if target is not None else Span(0, 0, 0, 0))

    def bodiless(self, meta: Meta, items: list[Any]) -> ast.Transition:
        """`on retry -> idle`: a transition that only changes the control state."""
        return self.transition(meta, items[:-1] + [(), items[-1]])

    def param_typed(self, meta: Meta, items: list[Any]) -> ast.Param:
        return ast.Param(str(items[0]), items[1], span=_mspan(meta))

    def param_in(self, meta: Meta, items: list[Any]) -> ast.Param:
        return ast.Param(str(items[0]), items[1], span=_mspan(meta))

    def recv_clause(self, meta: Meta, items: list[Any]) -> ast.Recv:
        return ast.Recv(str(items[0]), items[1], span=_mspan(meta))

    def prop_kind(self, meta: Meta, items: list[Any]) -> str:
        return str(items[0])

    def property(self, meta: Meta, items: list[Any]) -> ast.PropertyDecl:
        kind, name, expr = items
        sp = _mspan(meta)
        return ast.PropertyDecl(kind, str(name), expr, doc=self._doc(sp), span=sp)

    def leads_to(self, meta: Meta, items: list[Any]) -> ast.PropertyDecl:
        name, p, q = items
        sp = _mspan(meta)
        return ast.PropertyDecl("leads_to", str(name), p, q, doc=self._doc(sp), span=sp)

    def deadlock_free(self, meta: Meta, items: list[Any]) -> ast.PropertyDecl:
        sp = _mspan(meta)
        return ast.PropertyDecl("deadlock_free", str(items[0]), None, doc=self._doc(sp), span=sp)

    def expect_holds(self, meta: Meta, items: list[Any]) -> ast.ExpectDecl:
        return ast.ExpectDecl("holds", (), items[-1] if items else None, span=_mspan(meta))

    def expect_violated(self, meta: Meta, items: list[Any]) -> ast.ExpectDecl:
        names = tuple(str(n) for n in items if isinstance(n, Token))
        when = items[-1] if items and not isinstance(items[-1], Token) else None
        return ast.ExpectDecl("violated", names, when, span=_mspan(meta))

    def expect_when(self, meta: Meta, items: list[Any]) -> Any:  # the condition, an ast.Expr
        return items[0]

    # ---- types
    def bool_type(self, meta: Meta, items: list[Any]) -> ast.BoolType:
        return ast.BoolType(span=_mspan(meta))

    def range_type(self, meta: Meta, items: list[Any]) -> ast.RangeType:
        return ast.RangeType(items[0], items[1], span=_mspan(meta))

    def named_type(self, meta: Meta, items: list[Any]) -> ast.NamedType:
        return ast.NamedType(str(items[0]), span=_mspan(meta))

    def optional_type(self, meta: Meta, items: list[Any]) -> ast.NamedType:
        return ast.NamedType(str(items[0]), span=_mspan(meta), optional=True)

    def set_type(self, meta: Meta, items: list[Any]) -> ast.SetType:
        return ast.SetType(items[0], span=_mspan(meta))

    def map_type(self, meta: Meta, items: list[Any]) -> ast.MapType:
        return ast.MapType(items[0], items[1], span=_mspan(meta))

    def enum_type(self, meta: Meta, items: list[Any]) -> ast.EnumType:
        return ast.EnumType(tuple((str(t), _tspan(t)) for t in items), span=_mspan(meta))

    def record_type(self, meta: Meta, items: list[Any]) -> ast.RecordType:
        return ast.RecordType(tuple(items), span=_mspan(meta))

    def field_decl(self, meta: Meta, items: list[Any]) -> tuple[str, ast.TypeExpr, Span]:
        return (str(items[0]), items[1], _tspan(items[0]))

    def chan_type(self, meta: Meta, items: list[Any]) -> ast.ChanType:
        return ast.ChanType(items[0], items[1], span=_mspan(meta))

    # ---- statements
    def block(self, meta: Meta, items: list[Any]) -> tuple[ast.Stmt, ...]:
        return _scope_chooses(list(items))

    def assign(self, meta: Meta, items: list[Any]) -> ast.Assign:
        return ast.Assign(items[0], items[1], span=_mspan(meta))

    def if_stmt(self, meta: Meta, items: list[Any]) -> ast.If:
        cond, body = items[0], items[1]
        branches = [(cond, body)]
        orelse: tuple[ast.Stmt, ...] = ()
        for x in items[2:]:
            if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], ast.Expr):
                branches.append(x)
            elif x is not None:
                orelse = x
        return ast.If(tuple(branches), orelse, span=_mspan(meta))

    def elif_clause(self, meta: Meta, items: list[Any]) -> tuple[ast.Expr, tuple[ast.Stmt, ...]]:
        return (items[0], items[1])

    def choose(self, meta: Meta, items: list[Any]) -> ast.Choose:
        # the body is filled in by _scope_chooses once the whole block is known
        return ast.Choose(str(items[0]), items[1], items[2], (), span=_mspan(meta))

    def for_stmt(self, meta: Meta, items: list[Any]) -> ast.For:
        return ast.For(str(items[0]), items[1], items[2], span=_mspan(meta))

    def send(self, meta: Meta, items: list[Any]) -> ast.Send:
        return ast.Send(items[0], items[1], span=_mspan(meta))

    def expr_stmt(self, meta: Meta, items: list[Any]) -> ast.MethodCall:
        e = items[0]
        sp = _mspan(meta)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Field):
            return ast.MethodCall(e.func.base, e.func.name, e.args, span=sp)
        head = e.func if isinstance(e, ast.Call) else e
        if isinstance(head, ast.Name) and head.name == "recv":
            raise SpecError.single(self.source, sp,
                                   "'recv' is not a statement: a transition receives one message in its "
                                   "header, before its body runs (`on NAME recv X from CHANNEL { ... }`); "
                                   "a body or a loop cannot receive")
        raise SpecError.single(self.source, sp,
                               "this is an expression, not a statement; did you mean ':=' or "
                               "a set operation such as s.add(x)?")

    def assert_stmt(self, meta: Meta, items: list[Any]) -> ast.Assert:
        return ast.Assert(items[0], span=_mspan(meta))

    def skip(self, meta: Meta, items: list[Any]) -> ast.Skip:
        return ast.Skip(span=_mspan(meta))

    # ---- expressions
    def quant_kind(self, meta: Meta, items: list[Any]) -> str:
        return str(items[0])

    def quant(self, meta: Meta, items: list[Any]) -> ast.Quant:
        return ast.Quant(items[0], str(items[1]), items[2], items[3], span=_mspan(meta))

    def cond(self, meta: Meta, items: list[Any]) -> ast.Cond:
        return ast.Cond(items[0], items[1], items[2], span=_mspan(meta))

    def range_expr(self, meta: Meta, items: list[Any]) -> ast.RangeExpr:
        return ast.RangeExpr(items[0], items[1], span=_mspan(meta))

    def implies_op(self, meta: Meta, items: list[Any]) -> ast.Binary:
        return ast.Binary("=>", items[0], items[1], span=_mspan(meta))

    def or_op(self, meta: Meta, items: list[Any]) -> ast.Binary:
        return ast.Binary("or", items[0], items[1], span=_mspan(meta))

    def and_op(self, meta: Meta, items: list[Any]) -> ast.Binary:
        return ast.Binary("and", items[0], items[1], span=_mspan(meta))

    def not_op(self, meta: Meta, items: list[Any]) -> ast.Unary:
        return ast.Unary("not", items[0], span=_mspan(meta))

    def compop(self, meta: Meta, items: list[Any]) -> str:
        return str(items[0])

    setop_kw = addop = mulop = compop

    def compare(self, meta: Meta, items: list[Any]) -> ast.Binary:
        return ast.Binary(items[1], items[0], items[2], span=_mspan(meta))

    setop = binop = compare

    def in_op(self, meta: Meta, items: list[Any]) -> ast.In:
        return ast.In(items[0], items[1], False, span=_mspan(meta))

    def not_in_op(self, meta: Meta, items: list[Any]) -> ast.In:
        return ast.In(items[0], items[1], True, span=_mspan(meta))

    def neg(self, meta: Meta, items: list[Any]) -> ast.IntLit | ast.Unary:
        operand = items[0]
        if isinstance(operand, ast.IntLit):
            return ast.IntLit(-operand.value, span=_mspan(meta))
        return ast.Unary("-", operand, span=_mspan(meta))

    def index(self, meta: Meta, items: list[Any]) -> ast.Index:
        return ast.Index(items[0], items[1], span=_mspan(meta))

    def field(self, meta: Meta, items: list[Any]) -> ast.Field:
        return ast.Field(items[0], str(items[1]), span=_mspan(meta))

    def at(self, meta: Meta, items: list[Any]) -> ast.At:
        return ast.At(items[0], str(items[1]), span=_mspan(meta))

    def call(self, meta: Meta, items: list[Any]) -> ast.Call:
        func, args = items[0], tuple(a for a in items[1:] if a is not None)
        return ast.Call(func, args, span=_mspan(meta))

    def int_lit(self, meta: Meta, items: list[Any]) -> ast.IntLit:
        return ast.IntLit(int(items[0]), span=_mspan(meta))

    def true_lit(self, meta: Meta, items: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, span=_mspan(meta))

    def false_lit(self, meta: Meta, items: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, span=_mspan(meta))

    def self_ref(self, meta: Meta, items: list[Any]) -> ast.SelfRef:
        return ast.SelfRef(span=_mspan(meta))

    def name(self, meta: Meta, items: list[Any]) -> ast.Name:
        return ast.Name(str(items[0]), span=_mspan(meta))

    def set_lit(self, meta: Meta, items: list[Any]) -> ast.SetLit:
        return ast.SetLit(tuple(x for x in items if x is not None), span=_mspan(meta))

    def record_lit(self, meta: Meta, items: list[Any]) -> ast.RecordLit:
        return ast.RecordLit(tuple(items), span=_mspan(meta))

    def field_init(self, meta: Meta, items: list[Any]) -> tuple[str, ast.Expr]:
        return (str(items[0]), items[1])

    def set_filter(self, meta: Meta, items: list[Any]) -> ast.Comprehension:
        head, cond = items
        sp = _mspan(meta)
        if not (isinstance(head, ast.In) and not head.negated and isinstance(head.elem, ast.Name)):
            raise SpecError.single(self.source, head.span,
                                   "a set comprehension starts with `NAME in DOMAIN`, as in {x in D where C}; "
                                   "for the set of the values of an expression write {e for x in D where C}")
        return ast.Comprehension(head.elem.name, head.domain, cond, None, span=sp)

    def set_image(self, meta: Meta, items: list[Any]) -> ast.Comprehension:
        elem, var, dom, cond = items
        return ast.Comprehension(str(var), dom, cond, elem, span=_mspan(meta))


def _too_many_loops(stmts: tuple[ast.Stmt, ...], depth: int) -> ast.Choose | ast.For | None:
    """The first `choose` or `for` nested deeper than MAX_LOOPS (parameters count as levels), if any."""
    for s in stmts:
        if isinstance(s, (ast.Choose, ast.For)):
            if depth + 1 > MAX_LOOPS:
                return s
            found = _too_many_loops(s.body, depth + 1)
        elif isinstance(s, ast.If):
            found = next((f for f in (_too_many_loops(b, depth) for _, b in s.branches) if f), None) \
                or _too_many_loops(s.orelse, depth)
        else:
            found = None
        if found is not None:
            return found
    return None


def _scope_chooses(stmts: list[ast.Stmt]) -> tuple[ast.Stmt, ...]:
    """Give each `choose` the statements after it in its block as its body."""
    out: list[ast.Stmt] = []
    for i, s in enumerate(stmts):
        if isinstance(s, ast.Choose):
            body = _scope_chooses(stmts[i + 1:])
            out.append(ast.Choose(s.var, s.domain, s.cond, body, span=s.span))
            return tuple(out)
        out.append(s)
    return tuple(out)

