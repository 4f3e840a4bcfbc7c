"""Untrusted spec text stays safe (issue 10, item 5): hypothesis mutations of the shipped specs,
the workshop examples' specs and the bad-input corpus (tokens and lines deleted, duplicated and
swapped, keywords, punctuation, `in any` and random bytes inserted) run through the whole front
end: parse, fmt, resolve and type-check, compile, and a tiny bounded search.

Every input must end either loaded or with a SpecError (exit class 3) whose every diagnostic is
located (`path:line:col: error: ...` on a line of the file); never another exception (the CLI
would report it as an internal error, exit 70), never a traceback.  The module prints how many
inputs it tried and how each ended.  Bounded for CI (well under a minute);
`PAPCHECK_FUZZ_EXAMPLES=N` runs N examples per test instead.
"""

from __future__ import annotations

import os
import re
import signal
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import api
from checker.engine.explore import Limits
from checker.lang.errors import SourceFile, SpecError
from checker.lang.formatter import FormatError, format_source
from checker.lang.parser import parse, read_source

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted([*ROOT.glob("specs/*.pap"), *ROOT.glob("examples/**/*.pap"), *ROOT.glob("tests/bad_specs/*.pap")])
TEXTS = [p.read_bytes() for p in SEEDS]
GOOD = [p.read_bytes() for p in SEEDS if "bad_specs" not in p.parts]  # half the inputs start from these
N = int(os.environ.get("PAPCHECK_FUZZ_EXAMPLES", "0"))
CASE_SECONDS = 30
OUTCOMES: Counter[str] = Counter()
DECLINED: list[str] = []  # fmt's FormatError messages (a formatter limit, reported, not a crash)

TOKENS = ["{", "}", "(", ")", "[", "]", ":=", "=", "==", "!=", ",", ";", ":", ".", "..", "->", "~>", "?",
          "machine", "state", "init", "final", "on", "var", "const", "type", "def", "protocol", "symmetric",
          "fair", "if", "elif", "else", "then", "when", "where", "choose", "send", "to", "recv", "from",
          "assert", "skip", "in", "any", "in any", "in {", "not in", "forall", "exists", "min", "max", "count",
          "len", "union", "intersect", "minus", "and", "or", "not", "=>", "invariant", "reachable",
          "recoverable", "leads_to", "deadlock_free", "expect", "holds", "violated", "self", "none", "true",
          "false", "set", "map", "record", "enum", "chan", "bool", "0", "1", "-1", "99999999999999999999",
          "0..3", "x", "Enactor", "record", "#", "##", "\n", " ", "\t", "\"", "'", "\\", "é", "\u202e"]
BYTES = [b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\r", b"\x1b[2J", b"\xef\xbb\xbf"]
_TOKEN = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|\s+|.", re.S)


def budget(n: int):
    return settings(max_examples=N or n, deadline=None, derandomize=not N, database=None,
                    suppress_health_check=list(HealthCheck))


@contextmanager
def time_limit(seconds: int):
    def hang(signum, frame):
        raise TimeoutError(f"the case ran longer than {seconds} s (a hang)")
    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module", autouse=True)
def report_counts(request):
    yield
    line = (f"spec fuzz: {sum(OUTCOMES.values())} inputs: "
            + ", ".join(f"{k} {v}" for k, v in sorted(OUTCOMES.items()))
            + "".join(f"\n  fmt declined: {m}" for m in sorted(set(DECLINED))[:3]))
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print("\n" + line)
    else:
        print(line)


@st.composite
def mutated_spec(draw) -> bytes:
    text = draw(st.sampled_from(GOOD if draw(st.booleans()) else TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["token", "line", "insert", "bytes"]))
        if kind == "line":
            lines = text.split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            op = draw(st.sampled_from(["delete", "duplicate", "swap"]))
            if op == "delete":
                del lines[i]
            elif op == "duplicate":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = b"\n".join(lines)
        elif kind == "token":
            toks = _TOKEN.findall(text)
            if not toks:
                continue
            i, j = draw(st.integers(0, len(toks) - 1)), draw(st.integers(0, len(toks) - 1))
            op = draw(st.sampled_from(["delete", "duplicate", "swap"]))
            if op == "delete":
                del toks[i]
            elif op == "duplicate":
                toks.insert(j, toks[i])
            else:
                toks[i], toks[j] = toks[j], toks[i]
            text = b"".join(toks)
        else:
            toks = _TOKEN.findall(text)
            i = draw(st.integers(0, len(toks)))
            if kind == "insert":
                piece = draw(st.sampled_from(TOKENS)).encode()
                piece = piece if not draw(st.booleans()) else b" " + piece + b" "
            else:
                piece = draw(st.sampled_from(BYTES) | st.binary(min_size=1, max_size=6))
            text = b"".join(toks[:i]) + piece + b"".join(toks[i:])
    return text


def _located(e: SpecError, path: str, text: str) -> None:
    errors = e.diagnostics.errors
    assert errors, "a SpecError without an error"
    rendered = e.diagnostics.render()
    nlines = max(len(text.splitlines()), 1)
    for d in errors:
        assert 1 <= d.span.line <= nlines + 1, f"{d.message}: line {d.span.line} of {nlines}"
        assert f"{path}:{d.span.line}:{d.span.col}: error: " in rendered
    assert "Traceback" not in rendered


def _front_end(tmp_path_factory, data: bytes) -> None:
    d = tmp_path_factory.mktemp("fz", numbered=True)
    path = str(d / "m.pap")
    Path(path).write_bytes(data)
    with time_limit(CASE_SECONDS):
        try:
            source = read_source(path)
            parse(source)
        except SpecError as e:
            OUTCOMES["syntax or encoding error (exit 3)"] += 1
            _located(e, path, data.decode("utf-8", errors="replace"))
            return
        try:  # parses: fmt must give the same spec, or decline
            formatted = format_source(source)
        except FormatError as e:
            OUTCOMES["fmt declined"] += 1
            DECLINED.append(str(e).replace(path, "m.pap").splitlines()[0][:200])
        else:
            assert parse(SourceFile(path, formatted)) == parse(source)
        try:
            spec = api.load(path)  # read, parse, resolve, type-check, compile
        except SpecError as e:
            OUTCOMES["resolve or type error (exit 3)"] += 1
            _located(e, path, source.text)
            return
        OUTCOMES["loaded and compiled"] += 1
        r = api.check(spec, limits=Limits(max_states=300, timeout=10))
        assert r.verdict in ("holds", "violated", "incomplete")
        OUTCOMES[f"checked: {r.verdict}"] += 1


@given(data=mutated_spec())
@budget(700)
def test_fuzz_mutated_specs_through_the_front_end(tmp_path_factory, data: bytes) -> None:
    _front_end(tmp_path_factory, data)
