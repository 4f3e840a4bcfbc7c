"""Bad input never gets a traceback: the malformed-spec corpus and its golden error messages.

Every ``tests/bad_specs/NNN_name.pap`` is checked with the real ``papcheck check`` and its stderr
and exit code must equal ``NNN_name.expect`` (first line ``# exit: N``, then stderr byte for byte).
``tests/warn_specs/`` holds specs that are correct but draw warnings (exit 0).  A spec may carry a
``# args: ...`` comment line with extra command-line arguments (``-D`` overrides, ``--no-timing``).

To regenerate the goldens after changing a message, run::

    PAPCHECK_UPDATE_GOLDEN=1 pytest tests/test_bad_input.py

and read every changed ``.expect`` before committing it: each message must be one a newcomer
understands, with the caret on the offending token.

The corpus runs through the CLI in one subprocess (``papcheck`` as its console entry point would
run it, once per spec) because a fresh interpreter per spec would cost about a second each; a few
specs are also run as separate ``python -m checker.cli`` processes to show both paths agree.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BAD = Path("tests/bad_specs")
WARN = Path("tests/warn_specs")
UPDATE = os.environ.get("PAPCHECK_UPDATE_GOLDEN") == "1"

# Runs the CLI once per argument list inside one interpreter and prints {"code", "stderr"} per run.
_DRIVER = r"""
import contextlib, io, json, sys
from checker.cli import main
out = []
for args in json.load(sys.stdin):
    err = io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main.main(args=args, prog_name="papcheck", standalone_mode=True)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    out.append({"code": code, "stderr": err.getvalue()})
json.dump(out, sys.stdout)
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPCHECK_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_cli(*args: str) -> tuple[int, str]:
    """`papcheck ARGS` in a fresh process, from the repository root: (exit code, stderr)."""
    p = subprocess.run([sys.executable, "-m", "checker.cli", *args], cwd=ROOT, env=_env(),
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stderr


def run_many(arg_lists: list[list[str]]) -> list[tuple[int, str]]:
    p = subprocess.run([sys.executable, "-c", _DRIVER], cwd=ROOT, env=_env(), input=json.dumps(arg_lists),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return [(r["code"], r["stderr"]) for r in json.loads(p.stdout)]


def spec_args(path: Path) -> list[str]:
    for line in (ROOT / path).read_text(encoding="utf-8").splitlines():
        if line.startswith("# args:"):
            return shlex.split(line[len("# args:"):])
    return []


def check_args(path: Path) -> list[str]:
    return ["check", *spec_args(path), str(path)]


def corpus(folder: Path) -> list[Path]:
    return sorted(p.relative_to(ROOT) for p in (ROOT / folder).glob("*.pap"))


BAD_SPECS = corpus(BAD)
WARN_SPECS = corpus(WARN)


@pytest.fixture(scope="module")
def results() -> dict[str, tuple[int, str]]:
    specs = BAD_SPECS + WARN_SPECS
    runs = [check_args(p) for p in specs] + [["parse", *spec_args(p), str(p)] for p in BAD_SPECS]
    got = run_many(runs)
    out = {str(p): r for p, r in zip(specs, got)}
    out.update({"parse:" + str(p): r for p, r in zip(BAD_SPECS, got[len(specs):])})
    return out


def golden(path: Path, code: int, stderr: str) -> None:
    """Compare with (or, under PAPCHECK_UPDATE_GOLDEN=1, write) the spec's .expect file."""
    expect = ROOT / path.with_suffix(".expect")
    actual = f"# exit: {code}\n{stderr}"
    if UPDATE:
        expect.write_text(actual, encoding="utf-8")
        return
    assert expect.exists(), f"{expect.name} is missing: run with PAPCHECK_UPDATE_GOLDEN=1 and review it"
    assert actual == expect.read_text(encoding="utf-8")


LOCATED = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|note): \S")
SUMMARY = re.compile(r"^papcheck: (\d+ errors? in the spec|error: \S.*)$")


def assert_well_formed(path: Path, stderr: str) -> None:
    """Every line is a located diagnostic, a source or caret line under one, or the summary."""
    assert "Traceback" not in stderr
    located_lines = []
    under = 0  # indented lines allowed next: a diagnostic may show its source line and a caret
    for line in stderr.splitlines():
        m = LOCATED.match(line)
        if m:
            assert m["path"] == str(path), line
            located_lines.append((m["sev"], int(m["line"])))
            under = 2
        elif line.startswith("    ") and under:
            under -= 1
        else:
            assert SUMMARY.match(line), f"not a diagnostic, source, caret or summary line: {line!r}"
            under = 0
    errors = [n for sev, n in located_lines if sev != "note"]
    assert errors == sorted(errors), "diagnostics are not in line order"


def test_corpus_is_complete() -> None:
    assert len(BAD_SPECS) >= 45
    names = [p.name for p in BAD_SPECS]
    assert all(re.fullmatch(r"\d{3}_[a-z0-9_]+\.pap", n) for n in names), names
    assert len({n[:3] for n in names}) == len(names), "two specs share a number"
    for folder in (BAD, WARN):
        for expect in (ROOT / folder).glob("*.expect"):
            assert expect.with_suffix(".pap").exists(), f"{expect.name} has no spec"


@pytest.mark.parametrize("path", BAD_SPECS, ids=lambda p: p.stem)
def test_bad_spec(path: Path, results) -> None:
    code, stderr = results[str(path)]
    assert code in (2, 3), stderr
    assert_well_formed(path, stderr)
    if code == 3:
        assert LOCATED.match(stderr) and " error: " in stderr.splitlines()[0]
    golden(path, code, stderr)


@pytest.mark.parametrize("path", WARN_SPECS, ids=lambda p: p.stem)
def test_warning_spec(path: Path, results) -> None:
    code, stderr = results[str(path)]
    assert code == 0, stderr
    assert_well_formed(path, stderr)
    assert ": warning: " in stderr and ": error: " not in stderr
    golden(path, code, stderr)


@pytest.mark.parametrize("path", BAD_SPECS, ids=lambda p: p.stem)
def test_parse_reports_what_check_reports(path: Path, results) -> None:
    assert results["parse:" + str(path)] == results[str(path)]


def test_several_errors_are_all_reported(results) -> None:
    for path in BAD_SPECS:
        if "several_errors" in path.name:
            code, stderr = results[str(path)]
            n = len(re.findall(r"^\S+:\d+:\d+: error: ", stderr, re.M))
            assert n >= 4 and f"papcheck: {n} errors in the spec" in stderr


@pytest.mark.parametrize("name", ["assign_with_equals", "several_errors", "define_without_value"])
def test_console_process_matches_in_process_run(name: str, results) -> None:
    path = next(p for p in BAD_SPECS if p.stem[4:] == name)
    assert run_cli(*check_args(path)) == results[str(path)]


# ------------------------------------------------------------------- files that are not specs


def test_missing_file() -> None:
    code, stderr = run_cli("check", "tests/bad_specs/no_such_spec.pap")
    assert code == 2
    assert stderr.startswith("papcheck: error: tests/bad_specs/no_such_spec.pap: no such file")
    assert stderr.count("\n") == 1


def test_directory(tmp_path: Path) -> None:
    # `papcheck parse` takes one spec file: a directory is a usage error.  `papcheck check DIR`
    # checks every spec below DIR (gate mode) and reports a spec with errors in its results.
    (tmp_path / "bad.pap").write_text("protocol P\nvar x: 0..3 = 0\nmachine M { state s { on a { x = 1 } } }\n")
    code, stderr = run_cli("parse", str(tmp_path))
    assert (code, stderr) == (2, f"papcheck: error: {tmp_path}: is a directory, not a spec file\n")
    p = subprocess.run([sys.executable, "-m", "checker.cli", "check", str(tmp_path)], cwd=ROOT, env=_env(),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 3 and "Traceback" not in p.stdout + p.stderr
    assert f"{tmp_path}/bad.pap:3:32: error: unexpected '='; to assign a value use ':='" in p.stdout + p.stderr


def _check_file(tmp_path: Path, name: str, data: bytes) -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_bytes(data)
    code, stderr = run_cli("check", str(path))
    assert "Traceback" not in stderr
    return code, stderr, str(path)


def test_binary_garbage(tmp_path: Path) -> None:
    data = bytes(range(256)) * 8
    code, stderr, path = _check_file(tmp_path, "garbage.pap", data)
    assert code == 3
    assert stderr == (f"{path}:1:1: error: this is a binary file (it contains a zero byte), "
                      "not a papcheck spec\npapcheck: 1 error in the spec\n")


def test_non_utf8(tmp_path: Path) -> None:
    data = "protocol P\n# caf\u00e9 \u2014 fine\nvar x: bool = false\n".encode() + b"var \xff\xfey: bool\n"
    code, stderr, path = _check_file(tmp_path, "latin.pap", data)
    assert code == 3
    assert stderr == (f"{path}:4:5: error: the file is not UTF-8 text: byte 0xff cannot be decoded; "
                      "save the spec as UTF-8\n"
                      "    var \ufffd\ufffdy: bool\n"
                      "        ^\n"
                      "papcheck: 1 error in the spec\n")


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    spec = (ROOT / "specs/reference_dns.pap").read_bytes()
    code, stderr, _ = _check_file(tmp_path, "bom.pap", b"\xef\xbb\xbf" + spec)
    assert code == 0, stderr


def test_huge_file(tmp_path: Path) -> None:
    line = b"# " + b"x" * 97 + b"\n"
    data = b"protocol Huge\n" + line * 21_000  # 2.1 MB
    code, stderr, path = _check_file(tmp_path, "huge.pap", data)
    assert code == 3
    assert stderr == (f"{path}:1:1: error: the file is larger than 2 MB; a protocol spec is a few "
                      "hundred lines\npapcheck: 1 error in the spec\n")


@pytest.mark.parametrize("shape", ["brackets", "chain"])
def test_deep_nesting(tmp_path: Path, shape: str) -> None:
    # Deep enough to overflow Python's recursion (and the 200-bracket limit of generated code).
    depth = 1200
    expr = "(0 + " * depth + "x" + ")" * depth if shape == "brackets" else "x + " * depth + "x"
    text = ("protocol Deep\nvar x: 0..3 = 0\nmachine M { state s { on a when x < 3 { x := x + 1 } } }\n"
            f"invariant p: {expr} > 0\n")
    code, stderr, path = _check_file(tmp_path, "deep.pap", text.encode())
    assert code == 3
    assert re.fullmatch(re.escape(path) + r":4:\d+: error: the spec is nested too deeply here \(more than 100 "
                        r"levels\); split the expression into smaller ones", stderr.splitlines()[0])


# --------------------------------------------------------------- spec text is never Python code

INJECTION_SPEC = """\
protocol __import__
const exec: 1..3 = 2
type os = 0..3
type eval = enum { system, popen, __class__ }
var open: os = 0
var __builtins__: eval = system
var getattr: set[os] = {}
machine globals[exec] {
  var print: bool = false
  init state __dict__ {
    on subprocess(compile: os) when open < 3 and compile >= 0 {
      open := open + 1; print := not print; getattr.add(compile)
    } -> __dict__
    on breakpoint when print { __builtins__ := popen } -> lambda_
  }
  final state lambda_ { }
}
invariant __subclasses__: open <= 3 and (globals[0].print or not globals[0].print)
reachable locals: __builtins__ == popen and 2 in getattr
"""
INJECTION_NAMES = ["__import__", "exec", "os", "eval", "system", "popen", "__class__", "open",
                   "__builtins__", "getattr", "globals", "print", "__dict__", "subprocess", "compile",
                   "breakpoint", "lambda_", "__subclasses__", "locals"]


def test_spec_names_never_reach_generated_python(monkeypatch) -> None:
    from checker import api

    compiled: list[str] = []
    real_compile = builtins.compile

    def recording_compile(source, filename, *args, **kwargs):
        if isinstance(source, str) and str(filename).startswith("<papcheck"):
            compiled.append(source)
        return real_compile(source, filename, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", recording_compile)
    spec = api.load_text(INJECTION_SPEC, "injection.pap")
    result = api.check(spec)
    assert result.verdict == "holds"
    assert compiled and spec.model.source in compiled
    for source in compiled:
        leaked = sorted(set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source)) & set(INJECTION_NAMES))
        assert not leaked, f"spec names in generated code: {leaked}"


def test_no_eval_of_spec_text() -> None:
    """Only modules that generate code from the checked AST run `exec`; nothing calls `eval`."""
    import ast as pyast

    generators = {"engine/compile.py", "reduce/symmetry.py"}
    for module in sorted((ROOT / "checker").rglob("*.py")):
        name = module.relative_to(ROOT / "checker").as_posix()
        tree = pyast.parse(module.read_text(encoding="utf-8"))
        for node in pyast.walk(tree):
            if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Name):
                assert node.func.id != "eval", f"{name}:{node.lineno} calls eval"
                if node.func.id == "exec":
                    assert name in generators, f"{name}:{node.lineno} calls exec"
