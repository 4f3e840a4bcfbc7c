"""Source files, locations and diagnostics: the first layer, imported by every other.

Every user-facing problem with a spec is a :class:`Diagnostic` pinned to a :class:`Span` in a
:class:`SourceFile`, rendered in one format everywhere::

    path:line:col: error: message
        source line
        ^^^^^
    path:line:col: note: related place

Problems are collected in a :class:`Diagnostics` list so a user sees all errors of a spec at once;
:class:`SpecError` carries that list out of the front end.  :class:`UsageError` is for bad flags or
options (exit code 2), never for bad spec text (exit code 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceFile:
    """A spec's text and the name it is shown under (as given by the user, never absolutised)."""

    path: str
    text: str

    def line(self, lineno: int) -> str:
        lines = self.text.splitlines()
        if 1 <= lineno <= len(lines):
            return lines[lineno - 1]
        return ""


@dataclass(frozen=True)
class Span:
    """A region of a source file; lines and columns count from 1, end is exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    @staticmethod
    def point(line: int, col: int) -> Span:
        return Span(line, col, line, col + 1)

    def __str__(self) -> str:
        return f"{self.line}:{self.col}"


NO_SPAN = Span(0, 0, 0, 0)


@dataclass(frozen=True)
class Note:
    span: Span
    message: str


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" or "warning"
    span: Span
    message: str
    notes: tuple[Note, ...] = ()

    def render(self, source: SourceFile) -> str:
        out = [_located(source, self.span, self.severity, self.message)]
        for note in self.notes:
            out.append(_located(source, note.span, "note", note.message))
        return "\n".join(out)


def _located(source: SourceFile, span: Span, severity: str, message: str) -> str:
    if span.line <= 0:
        return f"{source.path}: {severity}: {message}"
    from .outputs import one_for_one
    head = f"{source.path}:{span.line}:{span.col}: {severity}: {message}"
    text = source.line(span.line)
    if not text:
        return head
    shown = one_for_one(text.expandtabs(1))
    width = (span.end_col - span.col) if span.end_line == span.line else len(shown) - span.col + 1
    width = max(1, min(width, len(shown) - span.col + 1))
    caret = " " * (span.col - 1) + "^" * width
    return f"{head}\n    {shown.rstrip()}\n    {caret}"


@dataclass
class Diagnostics:
    """An ordered collection of problems found in one spec."""

    source: SourceFile
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, span: Span, message: str, notes: Iterable[Note] = ()) -> None:
        self._add(Diagnostic("error", span, message, tuple(notes)))

    def warning(self, span: Span, message: str, notes: Iterable[Note] = ()) -> None:
        self._add(Diagnostic("warning", span, message, tuple(notes)))

    def _add(self, d: Diagnostic) -> None:
        """Record d once: a `def` body is checked at every use, so one problem in it would
        otherwise be reported once per use, all at the same place."""
        if d not in self.items:
            self.items.append(d)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.span.line, d.span.col, d.severity, d.message))

    def render(self, include_warnings: bool = True) -> str:
        chosen = [d for d in self.sorted() if include_warnings or d.severity == "error"]
        return "\n".join(d.render(self.source) for d in chosen)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise SpecError(self)


class PapcheckError(Exception):
    """Base of every error papcheck reports to a user instead of a traceback."""


class SpecError(PapcheckError):
    """The spec has errors (exit code 3); carries every diagnostic found."""

    def __init__(self, diagnostics: Diagnostics):
        self.diagnostics = diagnostics
        super().__init__(diagnostics.render())

    @staticmethod
    def single(source: SourceFile, span: Span, message: str) -> SpecError:
        diags = Diagnostics(source)
        diags.error(span, message)
        return SpecError(diags)


class UsageError(PapcheckError):
    """A bad flag, option or file argument (exit code 2)."""
