"""`papcheck fmt`: a spec rewritten in the canonical layout of `papcheck parse`, comments kept.

The layout is :func:`checker.lang.pretty.pretty_spec`'s; this module puts every comment of the
source back.  It prints the AST without doc strings, parses that output, and walks the two ASTs
side by side (they are equal, spans aside) to learn which output line each source line's nodes
landed on.  A comment alone on its line (``#`` or a ``##`` doc comment, kept verbatim) goes just
before the output line of the nearest node that starts after it, indented like that line; a
comment after code stays at the end of the output line holding the code before it.  A blank line
that separated a comment block from the code before or after it in the source is kept.

The result is checked before it is returned: it must parse to the same AST, doc strings included
(:class:`FormatError` otherwise, which a caller reports; a file is never rewritten into a
different spec).
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from .errors import PapcheckError, SourceFile
from .parser import parse
from .pretty import pretty_spec


class FormatError(PapcheckError):
    """The formatted text would not be the same spec (an internal limit of the formatter)."""


@dataclasses.dataclass(frozen=True)
class _Comment:
    line: int  # 1-based source line
    text: str  # from the '#' to the end of the line, trailing blanks removed
    alone: bool  # nothing but blanks before it on its line


def format_source(source: SourceFile) -> str:
    """The canonical layout of a spec with its comments; raises SpecError on a bad spec."""
    spec = parse(source)
    bare = pretty_spec(_without_docs(spec))
    comments = _comments(source.text)
    if not comments:
        out = bare
    else:
        printed = parse(SourceFile(source.path, bare))
        pairs: list[tuple[int, int]] = []
        _pair(spec, printed, pairs)
        out = _place(bare.splitlines(), comments, sorted(set(pairs)), source.text.splitlines())
    again = parse(SourceFile(source.path, out))
    if again != spec or _docs(again) != _docs(spec):
        raise FormatError(f"{source.path}: papcheck fmt could not keep this spec's comments in place "
                          "without changing it; the file is left as it is")
    return out


def _comments(text: str) -> list[_Comment]:
    """Every comment of the text (the language has no strings, so '#' always starts one)."""
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        pos = raw.find("#")
        if pos >= 0:
            out.append(_Comment(n, raw[pos:].rstrip(), not raw[:pos].strip()))
    return out


def _without_docs(node: Any) -> Any:
    if isinstance(node, tuple):
        return tuple(_without_docs(x) for x in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: _without_docs(getattr(node, f.name)) for f in dataclasses.fields(node)
                   if f.name not in ("span", "target_span")}
        if "doc" in changes:
            changes["doc"] = ""
        return dataclasses.replace(node, **changes)
    return node


def _docs(node: Any) -> list[str]:
    """Every doc string of an AST, in order (AST equality ignores nothing else that matters)."""
    out: list[str] = []
    if isinstance(node, tuple):
        for x in node:
            out.extend(_docs(x))
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            if f.name == "doc":
                out.append(cast(Any, node).doc)
            elif f.name not in ("span", "target_span"):
                out.extend(_docs(getattr(node, f.name)))
    return out


def _pair(a: Any, b: Any, pairs: list[tuple[int, int]]) -> None:
    """(source line, output line) for the start and end of every node with a span."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        for x, y in zip(a, b):
            _pair(x, y, pairs)
        return
    if not (dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b)) or isinstance(a, type):
        return
    sa, sb = getattr(a, "span", None), getattr(b, "span", None)
    if sa is not None and sb is not None and sa.line > 0 and sb.line > 0:
        pairs.append((sa.line, sb.line))
        pairs.append((sa.end_line, sb.end_line))
    for f in dataclasses.fields(a):
        if f.name not in ("span", "target_span", "doc"):
            _pair(getattr(a, f.name), getattr(b, f.name), pairs)


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _place(out: list[str], comments: list[_Comment], pairs: list[tuple[int, int]],
           src: list[str]) -> str:
    before: dict[int, list[_Comment]] = {}  # output line index -> comments printed above it
    after: dict[int, list[str]] = {}  # output line index -> trailing comments
    tail: list[_Comment] = []  # comments after the last node
    for c in comments:
        if not c.alone:
            same = [o for s, o in pairs if s == c.line]
            earlier = [(s, o) for s, o in pairs if s < c.line]
            if same:
                after.setdefault(max(same) - 1, []).append(c.text)
                continue
            if earlier:
                s_best = max(s for s, _ in earlier)
                after.setdefault(max(o for s, o in earlier if s == s_best) - 1, []).append(c.text)
                continue
        later = [(s, o) for s, o in pairs if s > c.line]
        if later:
            s_best = min(s for s, _ in later)
            before.setdefault(min(o for s, o in later if s == s_best) - 1, []).append(c)
        else:
            tail.append(c)

    def blank(n: int) -> bool:  # source line n (1-based) is blank
        return 1 <= n <= len(src) and not src[n - 1].strip()

    lines: list[str] = []

    def group(cs: list[_Comment], ind: str, next_line: str | None) -> None:
        if blank(cs[0].line - 1) and lines and lines[-1].strip() and not lines[-1].rstrip().endswith("{"):
            lines.append("")
        for i, c in enumerate(cs):
            if i and blank(c.line - 1) and lines[-1].strip():
                lines.append("")
            lines.append(ind + c.text)
        if next_line is not None and blank(cs[-1].line + 1) and next_line.strip() \
                and not next_line.lstrip().startswith("}"):
            lines.append("")

    for i, line in enumerate(out):
        if i in before:
            ind = _indent(line) + ("  " if line.lstrip().startswith("}") else "")
            group(before[i], ind, line)
        if i in after and line.strip():
            line = line + "  " + "  ".join(after[i])
        lines.append(line)
    if tail:
        group(tail, "", None)
    return "\n".join(lines).rstrip() + "\n"
