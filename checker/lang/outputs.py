"""What papcheck writes: the characters no output format may carry.

Specs' doc comments, spec source lines quoted in diagnostics and the names in a trace's `#meta`
come from outside.  Written raw, a control character breaks XML (JUnit, SARIF's consumers, SVG,
HTML), an escape sequence (ESC, or the one-byte CSI U+009B) drives the reader's terminal, and a
bidirectional override makes text display in another order than it reads.  :func:`visible`
replaces each such character by its `\\uXXXX` spelling: readable in text, plain characters in
XML and Markdown, and inside a JSON string the escape of the very same character, so JSON output
keeps its meaning.  Newlines and tabs stay.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, bidirectional controls, lone surrogates and
# the two non-characters XML forbids.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff\ufffe\uffff]")


def visible(text: str) -> str:
    """`text` with every character an output format forbids (or a terminal obeys) spelled `\\uXXXX`."""
    if not _HIDDEN.search(text):
        return text
    return _HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_for_one(text: str) -> str:
    """`text` with each such character replaced by U+FFFD: for a quoted source line, whose caret
    must stay under the same column."""
    return _HIDDEN.sub("\ufffd", text)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 step`, `2 steps`, `12,000 states`: a count with its noun in the right number."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"
