"""Every syntax error at once: the parser recovers after a mistake and reports the next one.

The corpus goldens (tests/bad_specs/11x_*) show the rendered output; these tests pin the
behaviour: each independent slip is reported once, at its own token, the first message is the
one a single mistake always got, echoes of a mistake are not reported, and the count is capped.
"""

from __future__ import annotations

import pytest

from checker.lang.errors import SourceFile, SpecError
from checker.lang.parser import MAX_SYNTAX_ERRORS, parse

GOOD = """protocol P
var x: 0..3 = 0
var flag: bool = false
machine M {
  state s {
    on step when x < 3 { x := x + 1 }
    on back when x > 0 { x := x - 1 }
    on flip { flag := not flag }
  }
}
invariant small: x <= 3
invariant ok: x >= 0
"""

# (line number, original text, broken text): each slip is independent of the others
SLIPS = [
    (3, "var flag: bool = false", "var flag: bool = false &&  true"),
    (6, "on step when x < 3 {", "on step when x << 3 {"),
    (7, "{ x := x - 1 }", "{ x = x - 1 }"),
    (11, "invariant small:", "invariant small"),
]


def _errors(text: str) -> list[tuple[int, str]]:
    with pytest.raises(SpecError) as info:
        parse(SourceFile("t.pap", text))
    return [(d.span.line, d.message) for d in info.value.diagnostics.sorted()]


def _break(slips: list[tuple[int, str, str]]) -> str:
    lines = GOOD.splitlines()
    for n, old, new in slips:
        assert old in lines[n - 1]
        lines[n - 1] = lines[n - 1].replace(old, new)
    return "\n".join(lines) + "\n"


def test_good_spec_parses() -> None:
    parse(SourceFile("t.pap", GOOD))


def test_each_slip_alone_is_one_error() -> None:
    for slip in SLIPS:
        assert [n for n, _ in _errors(_break([slip]))] == [slip[0]]


def test_all_slips_reported_at_once_with_their_own_messages() -> None:
    alone = [_errors(_break([slip]))[0] for slip in SLIPS]
    together = _errors(_break(SLIPS))
    assert together == alone


def test_every_pair_of_slips_is_two_errors() -> None:
    for i, a in enumerate(SLIPS):
        for b in SLIPS[i + 1:]:
            assert [n for n, _ in _errors(_break([a, b]))] == [a[0], b[0]]


def test_missing_brace_then_later_error() -> None:
    text = GOOD.replace("    on flip { flag := not flag }\n  }\n", "    on flip { flag := not flag }\n")
    text = text.replace("invariant ok: x >= 0", "invariant ok x >= 0")
    errors = _errors(text)
    assert [n for n, _ in errors] == [10, 11]
    assert "is not closed" in errors[0][1] or "'}'" in errors[0][1]


def test_count_is_capped() -> None:
    text = "protocol P\n" + "".join(f"const C{i} = = {i}\n" for i in range(MAX_SYNTAX_ERRORS + 10))
    errors = _errors(text)
    assert len(errors) == MAX_SYNTAX_ERRORS + 1
    assert "too many syntax errors" in errors[-1][1]


def test_reserved_word_and_bad_character_both_reported() -> None:
    text = GOOD.replace("var flag: bool", "var in: bool").replace("x <= 3", "x <= 3 ! 2")
    assert [n for n, _ in _errors(text)] == [3, 11]


def test_mutated_specs_never_crash_the_recovering_parser_or_fmt() -> None:
    """Random edits of the shipped specs and the bad-input corpus (deterministic seed, 400
    inputs, a few seconds): parsing raises only SpecError, fmt only SpecError or FormatError."""
    import random
    from pathlib import Path

    from checker.lang.formatter import FormatError, format_source

    root = Path(__file__).resolve().parent.parent
    files = sorted([*root.glob("specs/*.pap"), *root.glob("models/*.pap"), *root.glob("tests/bad_specs/*.pap")])
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    pieces = ["{", "}", "(", ")", "[", "]", ":=", "=", "==", ",", ";", "machine", "state", "on", "var", "const",
              "if", "else", "\n", " x ", "#", "##", "&&", '"', "..", "->", "invariant", "when", "choose", "0"]
    rng = random.Random(10)
    several = 0
    for i in range(400):
        t = rng.choice(texts)
        for _ in range(rng.randint(1, 4)):
            p = rng.randrange(len(t) + 1)
            op = rng.random()
            if op < 0.4:
                t = t[:p] + t[p + rng.randint(1, 8):]
            elif op < 0.8:
                t = t[:p] + rng.choice(pieces) + t[p:]
            else:
                q = rng.randrange(len(t) + 1)
                t = t[:p] + t[q:q + 20] + t[p:]
        source = SourceFile(f"m{i}.pap", t)
        try:
            parse(source)
        except SpecError as e:
            errors = e.diagnostics.errors
            assert 1 <= len(errors) <= MAX_SYNTAX_ERRORS + 1
            several += len(errors) > 1
            continue
        try:
            format_source(source)
        except (SpecError, FormatError):
            pass
    assert several > 0
