"""Bytes from outside: the one bounded reader every input goes through.

Specs, ITF traces, configuration files, spec versions read from git and the command lines of
`papcheck replay` all come from files a pull request may have written.  Reading them here keeps
the same guarantees everywhere:

* the size is capped: at most ``cap + 1`` bytes are read, so a link to ``/dev/zero`` or a
  gigabyte file is refused after reading a little more than the cap, never read to the end;
* the text is decoded as UTF-8 with a located error (`path:line:col: error: ...`) naming the
  byte that cannot be decoded (a UTF-16 file is recognised by its byte-order mark), and a zero
  byte marks a binary file;
* JSON and TOML are parsed with their nesting bounded (:data:`MAX_DEPTH` levels) and their
  integers bounded in digits (:data:`MAX_INT_DIGITS`); ``NaN``, ``Infinity`` and floats that
  overflow to infinity are refused;
* strings are refused when they hold lone surrogates (they cannot be printed).

Every problem is an :class:`InputError`: a :class:`~checker.lang.errors.UsageError` (exit code 2)
carrying a location when there is one.  The spec reader (:func:`checker.lang.parser.read_source`)
turns the content errors of a spec into spec errors (exit code 3); traces and configs keep
exit code 2.  Nothing here prints.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, BinaryIO

from .errors import Diagnostics, SourceFile, Span, UsageError

MAX_SPEC_BYTES = 2_000_000
MAX_TRACE_BYTES = 64_000_000
MAX_CONFIG_BYTES = 1_000_000
MAX_COMMAND_BYTES = 4096
MAX_DEPTH = 100  # levels of JSON or TOML nesting (an ITF value of a map of records of sets needs ~10)
MAX_INT_DIGITS = 1000  # digits of an integer in a trace or config (Python refuses 4,300 in str())

_INT = re.compile(r"-?[0-9]+\Z")


class InputError(UsageError):
    """An outside input cannot be read (exit code 2).

    `content` is True when the bytes were read but are not acceptable (not UTF-8, binary, too big,
    too deep); `rendered` is the located diagnostic shown to the user."""

    def __init__(self, path: str, message: str, line: int = 0, col: int = 0, text: str = "",
                 content: bool = True):
        self.path, self.message, self.line, self.col, self.text = path, message, line, col, text
        self.content = content
        super().__init__(f"{path}: {message}" if not line else f"{path}:{line}:{col}: {message}")

    @property
    def rendered(self) -> str:
        if not self.content:
            return f"papcheck: error: {self}"
        diags = Diagnostics(SourceFile(self.path, self.text))
        diags.error(Span.point(self.line, self.col) if self.line else Span(0, 0, 0, 0), self.message)
        return diags.render()


def _mb(n: int) -> str:
    return f"{n // 1_000_000} MB" if n >= 1_000_000 else f"{n:,} bytes"


# ------------------------------------------------------------------------------ bytes and text


def read_bytes(path: str, cap: int, what: str = "file") -> bytes:
    """At most `cap` bytes of the file at `path`; InputError when it is larger, missing, a
    directory or unreadable.  Reads at most cap + 1 bytes whatever the file is (a pipe, a device)."""
    import os
    if os.path.isdir(path):
        raise InputError(path, f"is a directory, not a {what}", content=False)
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except FileNotFoundError:
        raise InputError(path, "no such file", content=False) from None
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}", content=False) from None
    if len(data) > cap:
        raise InputError(path, f"the file is larger than {_mb(cap)}", 1, 1)
    return data


def decode_text(data: bytes, path: str, what: str = "file") -> str:
    """UTF-8 text (a byte-order mark dropped); InputError located at the first bad byte."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(path, "the file is UTF-16 text; save it as UTF-8", 1, 1)
    if b"\0" in data:
        line, col = byte_position(data, data.index(b"\0"))
        raise InputError(path, f"this is a binary file (it contains a zero byte), not a {what}", line, col)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line, col = byte_position(data, e.start)
        raise InputError(path, f"the file is not UTF-8 text: byte 0x{data[e.start]:02x} cannot be "
                               "decoded; save it as UTF-8", line, col,
                         data.decode("utf-8", errors="replace")) from None


def read_text(path: str, cap: int, what: str = "file") -> str:
    return decode_text(read_bytes(path, cap, what), path, what)


def byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """The 1-based line and character column of a byte offset (the column counts decoded chars)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, col


def read_command(stream: Any, cap: int = MAX_COMMAND_BYTES) -> str | None:
    """One line from a text stream's bytes (`replay`'s commands on standard input); None at the
    end.  InputError (content) for a line that is not UTF-8 or longer than `cap` bytes (the rest
    of that line is skipped, so the next call reads the next line)."""
    raw: BinaryIO | None = getattr(stream, "buffer", None)
    if raw is None:  # a plain text stream (a test's StringIO): already decoded
        line = stream.readline(cap + 1)
        if len(line) > cap and not line.endswith("\n"):
            while (more := stream.readline(cap)) and not more.endswith("\n"):
                pass
            raise InputError("<stdin>", f"the command is longer than {cap} characters")
        return line or None
    data = raw.readline(cap + 1)
    if not data:
        return None
    if len(data) > cap and not data.endswith(b"\n"):
        while (more := raw.readline(cap)) and not more.endswith(b"\n"):
            pass
        raise InputError("<stdin>", f"the command is longer than {cap} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError("<stdin>", f"the command is not UTF-8 text (byte 0x{data[e.start]:02x})") from None


# --------------------------------------------------------------------------------- numbers


def parse_int(text: str, where: str, max_digits: int = MAX_INT_DIGITS) -> int:
    """A decimal integer written as text (`{"#bigint": "5"}`), bounded in digits; ValueError
    with a message otherwise (callers add their location)."""
    s = text.strip() if isinstance(text, str) else None
    if s is None or not _INT.match(s):
        raise ValueError(f"{where}: {json.dumps(text)[:60]} is not an integer")
    if len(s.lstrip("-")) > max_digits:
        raise ValueError(f"{where}: an integer of {len(s.lstrip('-')):,} digits (at most {max_digits})")
    return int(s)


def finite(value: float, what: str) -> float:
    """`value` when it is a finite number; ValueError for NaN and the infinities."""
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {value}")
    return value


# ------------------------------------------------------------------------------------- JSON


def parse_json(text: str, path: str, *, max_depth: int = MAX_DEPTH, max_int_digits: int = MAX_INT_DIGITS) -> Any:
    """JSON text as Python values: InputError (located when json gives a place) when it is not
    JSON, nests deeper than `max_depth`, has an integer of more than `max_int_digits` digits, a
    NaN or an infinity, or a string with a lone surrogate."""
    def bad_int(s: str) -> int:
        digits = len(s.lstrip("-"))
        if digits > max_int_digits:
            raise _Refused(f"an integer of {digits:,} digits (at most {max_int_digits})")
        return int(s)

    def bad_float(s: str) -> float:
        v = float(s)
        if not math.isfinite(v):
            raise _Refused(f"the number {s[:40]} is too large")
        return v

    def bad_constant(s: str) -> Any:
        raise _Refused(f"{s} is not a number JSON allows")

    try:
        doc = json.loads(text, parse_int=bad_int, parse_float=bad_float, parse_constant=bad_constant)
    except json.JSONDecodeError as e:
        raise InputError(path, f"not JSON: {e.msg}", e.lineno, e.colno, text) from None
    except _Refused as e:
        raise InputError(path, f"not acceptable JSON: {e}") from None
    except RecursionError:
        raise InputError(path, f"the JSON nests deeper than {max_depth} levels") from None
    check_tree(doc, path, max_depth, "JSON")
    return doc


class _Refused(ValueError):
    pass


def check_tree(doc: Any, path: str, max_depth: int, what: str) -> None:
    """Walk parsed JSON or TOML without recursion: InputError when it nests deeper than
    `max_depth` or holds a string that cannot be encoded (a lone surrogate)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, str):
            _check_string(v, path)
            continue
        if isinstance(v, dict):
            children: Any = list(v.keys()) + list(v.values())
        elif isinstance(v, list):
            children = v
        else:
            continue
        if depth > max_depth:
            raise InputError(path, f"the {what} nests deeper than {max_depth} levels")
        stack.extend((c, depth + 1) for c in children)


def _check_string(s: str, path: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(path, "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text") from None


# ------------------------------------------------------------------------------------- TOML


def parse_toml(text: str, path: str, on_syntax: Callable[[Exception], Exception]) -> dict[str, Any]:
    """TOML text as a dict, nesting and integers bounded; `on_syntax` turns tomllib's error into
    the caller's located error."""
    import tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise on_syntax(e) from None
    except RecursionError:
        raise InputError(path, f"the TOML nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as e:  # an integer too long to convert (Python's own limit)
        what = "a number has too many digits" if "digits" in str(e) else str(e)
        raise InputError(path, f"not acceptable TOML: {what}") from None
    check_tree(data, path, MAX_DEPTH, "TOML")
    return data
