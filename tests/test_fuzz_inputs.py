"""Fuzzing every outside input (issue 19): random and mutated ITF traces (`replay --check` and the
interactive replay with random commands), configuration files, flag values, and mutations of the
bad-spec corpus, fed to the commands that read them.

Every case must end with a classified exit code (never 70), without a Python traceback, within
a time limit (a SIGALRM per case: a hang fails the case).  The number of cases each test ran is
printed at the end of the module.  Examples are bounded so the module takes well under three
minutes; `PAPCHECK_FUZZ_EXAMPLES=N` runs N examples per test instead (a longer local campaign).
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAD_SPECS = sorted((ROOT / "tests" / "bad_specs").glob("*.pap"))
SPEC = ROOT / "specs" / "reference_dns.pap"
CASE_SECONDS = 20  # per case; the slowest legitimate case takes well under a second
CASES: Counter[str] = Counter()
N = int(os.environ.get("PAPCHECK_FUZZ_EXAMPLES", "0"))


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


def run(name: str, args: list[str], stdin: bytes | str | None = None, allowed=(0, 1, 2, 3, 4)) -> int:
    """One fuzz case: the CLI in process, within the time limit; no 70, no traceback."""
    CASES[name] += 1
    with time_limit(CASE_SECONDS):
        r = CliRunner().invoke(main, args, input=stdin)
    out = r.output + (r.stderr if r.stderr_bytes else "") if hasattr(r, "stderr") else r.output
    assert r.exit_code in allowed, f"papcheck {args} -> exit {r.exit_code}\n{out[-3000:]}\n{r.exception!r}"
    assert "Traceback" not in out and "internal error" not in out, out[-3000:]
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise AssertionError(f"papcheck {args} raised {r.exception!r}")
    return r.exit_code


@pytest.fixture(scope="module", autouse=True)
def report_counts(request):
    yield
    line = "fuzz cases run: " + ", ".join(f"{k} {v}" for k, v in sorted(CASES.items())) + \
           f" (total {sum(CASES.values())})"
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print("\n" + line)
    else:
        print(line)


# ---------------------------------------------------------------------------- mutating bytes

@st.composite
def mutated(draw, data: bytes) -> bytes:
    """Bytes with a few random edits: flips, insertions (of interesting bytes too), deletions,
    a truncation or a duplicated slice."""
    b = bytearray(data)
    interesting = [b"\x00", b"\xff", b"\xc3", b"\x1b[2J", b"\xed\xa0\x80",
                   b'"\\ud800"', b"[" * 200, b"9" * 5000, b"NaN", b"1e999", b"-", b"{", b"}", b"\"", b"\n"]
    for _ in range(draw(st.integers(1, 6))):
        if not b:
            b += draw(st.binary(max_size=20))
            continue
        i = draw(st.integers(0, len(b) - 1))
        op = draw(st.sampled_from(["flip", "insert", "interesting", "delete", "truncate", "dup"]))
        if op == "flip":
            b[i] = draw(st.integers(0, 255))
        elif op == "insert":
            b[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "interesting":
            b[i:i] = draw(st.sampled_from(interesting))
        elif op == "delete":
            del b[i:i + draw(st.integers(1, 40))]
        elif op == "truncate":
            del b[i:]
        else:
            j = draw(st.integers(i, min(len(b), i + 200)))
            b[i:i] = b[i:j]
    return bytes(b)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.just({"#bigint": "zz"}) | st.just({"#bigint": "9" * 30})
    | st.just({"#set": []}) | st.just({"#map": [[1, 2]]}),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


# ------------------------------------------------------------------------------------ traces


@pytest.fixture(scope="module")
def trace(tmp_path_factory) -> tuple[Path, dict]:
    d = tmp_path_factory.mktemp("fuzz")
    r = CliRunner().invoke(main, ["check", str(SPEC), "-D", "FIX=0", "--trace-out", str(d / "t.json"), "-q"])
    assert r.exit_code == 1, r.output
    return d, json.loads((d / "t.json").read_text())


def _paths_of(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths_of(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths_of(v, prefix + (i,))


@given(data=st.data())
@budget(300)
def test_fuzz_structurally_mutated_traces(trace, data):
    d, doc = trace
    doc = json.loads(json.dumps(doc))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths_of(doc))
        where = data.draw(st.sampled_from(paths))
        value = json.loads(json.dumps(data.draw(json_values)))  # a fresh copy: st.just shares its object
        if not where:
            doc = value
            continue
        parent = doc
        for k in where[:-1]:
            parent = parent[k]
        parent[where[-1]] = value
    path = d / "s.json"
    path.write_text(json.dumps(doc))
    run("trace structure", ["replay", "--check", str(SPEC), str(path), "-D", "FIX=0"])


@given(data=st.data())
@budget(300)
def test_fuzz_byte_mutated_traces(trace, data):
    d, doc = trace
    raw = json.dumps(doc, indent=1).encode()
    path = d / "b.json"
    path.write_bytes(data.draw(mutated(raw)))
    run("trace bytes", ["replay", "--check", str(SPEC), str(path), "-D", "FIX=0"])


commands = st.lists(st.sampled_from(["n", "next", "b", "back", "j", "jump", "p", "s", "state", "h", "history",
                                     "l", "list", "help", "?", "frob", ""]).flatmap(
    lambda c: st.tuples(st.just(c), st.sampled_from(["", "3", "-1", "99999999999999999999", "x", "record[0]",
                                                      "Enactor[0].plan", "record[", "record[9]", "]", "latest",
                                                      "9" * 5000, "\x1b[2J"]))), max_size=8)


@given(cmds=commands, garbage=st.binary(max_size=30))
@budget(150)
def test_fuzz_interactive_replay_commands(trace, cmds, garbage):
    d, doc = trace
    path = d / "i.json"
    if not path.exists():
        path.write_text(json.dumps(doc))
    stdin = "".join(f"{c} {a}\n" for c, a in cmds).encode() + garbage + b"\nquit\n"
    run("replay commands", ["replay", str(SPEC), str(path), "-D", "FIX=0"], stdin=stdin, allowed=(0,))


# ----------------------------------------------------------------------------------- configs

KEYS = ["specs", "format", "strategy", "max-states", "max-depth", "timeout", "fail-on-incomplete", "por",
        "symmetry", "solver", "store", "define", "matrix", "overrides", "bogus"]
toml_values = st.sampled_from([
    '"text"', '"sarif"', '"bfs"', '"exact"', "1", "0", "-1", "10", "nan", "inf", "-inf", "1e308", "0.5", "true",
    "false", "[]", '["*.pap"]', '["s.pap"]', "{}", '{ FIX = 1 }', '{ FIX = [0, 1] }', '{ FIX = "x" }',
    '{ ENACTORS = 99999999999999999999 }', "[[1]]", '"\\u0000"', "9" * 30, "2023-01-01", "[" * 50 + "]" * 50])


@st.composite
def configs(draw) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        lines.append(f"{draw(st.sampled_from(KEYS))} = {draw(toml_values)}")
    if draw(st.booleans()):
        lines.append("[[overrides]]")
        for _ in range(draw(st.integers(0, 3))):
            lines.append(f"{draw(st.sampled_from(KEYS))} = {draw(toml_values)}")
    text = "\n".join(lines).encode() + b"\n"
    return draw(mutated(text)) if draw(st.booleans()) else text


@given(cfg=configs(), pyproject=st.booleans())
@budget(250)
def test_fuzz_configs(tmp_path_factory, cfg, pyproject):
    d = tmp_path_factory.mktemp("cfg", numbered=True)
    (d / "s.pap").write_bytes(SPEC.read_bytes())
    name = "pyproject.toml" if pyproject else "papcheck.toml"
    (d / name).write_bytes(b"[tool.papcheck]\n" + cfg if pyproject else cfg)
    old = os.getcwd()
    os.chdir(d)
    try:
        run("config", ["check", "s.pap", "-q", "--no-timing", "--max-states", "3000", "--timeout", "10"])
    finally:
        os.chdir(old)


# ------------------------------------------------------------------------------------- flags

flag_values = st.one_of(
    st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-0", "0", "1", "0x10", "1_000", "",
                     "9" * 5000, "1e-320", " 3", "3 ", "\x1b[2J", "--", "-1", "2.5", "true", "=", "FIX=", "=1",
                     "FIX=1", "FIX=99", "FIX=true", "FIX=" + "9" * 5000, "X-Y=1", "sarif=", "sarif=/nonexistent/x"]),
    st.text(max_size=12))
FLAGS = ["--timeout", "--max-states", "--max-depth", "-D", "--format", "--report", "--strategy", "--store"]


@given(flags=st.lists(st.tuples(st.sampled_from(FLAGS), flag_values), min_size=1, max_size=3),
       command=st.sampled_from(["check", "explain", "diff", "render"]))
@budget(250)
def test_fuzz_flag_values(flags, command):
    args = [command, str(SPEC)] + ([str(SPEC)] if command == "diff" else [])
    for flag, value in flags:
        if (command != "check" and flag in ("--report", "--store", "--format")) or \
                (command in ("explain", "render") and flag in ("--max-depth", "--strategy")):
            continue
        args += [flag, value]
    if command == "render":
        args += ["-o", os.devnull]
    args += ["--timeout", "20"] if not any(f == "--timeout" for f, _ in flags) else []
    run("flags", args, stdin="")


# ----------------------------------------------------------------------- the bad-spec corpus


@given(spec=st.sampled_from(BAD_SPECS).flatmap(lambda p: mutated(p.read_bytes())))
@budget(400)
def test_fuzz_mutated_bad_specs(tmp_path_factory, spec):
    d = tmp_path_factory.mktemp("spec", numbered=True)
    (d / "m.pap").write_bytes(spec)
    run("spec", ["check", str(d / "m.pap"), "-q", "--no-timing", "--max-states", "3000", "--timeout", "10"])
