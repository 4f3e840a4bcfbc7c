"""Shared test fixtures: the shipped specs, and toy-spec helpers that load and check spec text.

`toy_check` checks without reductions by default, so state and transition counts are the plain
ones a person can compute by hand (pass `por=True` / `symmetry=True` to turn them on).

Exit code 70 (internal error) fails every test: each papcheck run a test makes, in process
(click's CliRunner) or as a subprocess (`python -m checker.cli`, `checker.cli.action`, or a driver
that prints the runs' stderr), is watched for exit code 70 or the words `papcheck: internal
error`.  A test that means to provoke 70 (a `--self-check` disagreement) says so with
`@pytest.mark.internal_error_expected`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from checker import api

pytest_plugins = ["pytester"]  # tests/test_outside_inputs.py runs the exit-70 guard on a test of its own

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pap"))


@pytest.fixture
def toy_load() -> Callable[..., api.Spec]:
    def load(text: str, constants: dict[str, Any] | None = None, path: str = "toy.pap") -> api.Spec:
        return api.load_text(text, path, constants)
    return load


@pytest.fixture
def toy_check(toy_load) -> Callable[..., api.CheckResult]:
    def check(text: str, constants: dict[str, Any] | None = None, **kw: Any) -> api.CheckResult:
        kw.setdefault("por", False)
        kw.setdefault("symmetry", False)
        return api.check(toy_load(text, constants), **kw)
    return check


# ------------------------------------------------------------------ exit code 70 fails the suite

_INTERNAL: list[str] = []  # every internal error seen in this session, in order
_MARKER = "internal_error_expected"
_SAYS = "papcheck: internal error"


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    return v if isinstance(v, str) else ""


def _watch() -> None:
    invoke, run = CliRunner.invoke, subprocess.run

    def watched_invoke(self, cli, args=None, *a, **kw):
        r = invoke(self, cli, args, *a, **kw)
        out = _text(getattr(r, "output", "")) + (_text(r.stderr_bytes) if getattr(r, "stderr_bytes", None) else "")
        if r.exit_code == 70 or _SAYS in out:
            _INTERNAL.append(f"papcheck {' '.join(map(str, args or []))} -> exit {r.exit_code}\n{out[-2000:]}")
        return r

    def watched_run(*a, **kw):
        p = run(*a, **kw)
        cmd = a[0] if a else kw.get("args", "")
        shown = " ".join(map(str, cmd)) if isinstance(cmd, (list, tuple)) else str(cmd)
        if "checker" in shown or "papcheck" in shown:
            out = _text(p.stdout) + _text(p.stderr)
            if p.returncode == 70 or _SAYS in out:
                _INTERNAL.append(f"{shown[:300]} -> exit {p.returncode}\n{out[-2000:]}")
        return p

    CliRunner.invoke = watched_invoke  # type: ignore[method-assign]
    subprocess.run = watched_run  # type: ignore[assignment]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{_MARKER}: the test provokes exit code 70 on purpose")
    _watch()


def _guard(item: pytest.Item, phase: str):
    before = len(_INTERNAL)
    outcome = yield
    new = _INTERNAL[before:]
    if new and item.get_closest_marker(_MARKER) is None:
        raise AssertionError(f"papcheck exited with an internal error (70) during {phase}:\n" + "\n".join(new))
    return outcome


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`deep` tests (the attack corpora in every configuration) run only with PAPCHECK_DEEP=1: the
    suite keeps well inside CI's time budget, and each corpus still runs once in its fast set."""
    if os.environ.get("PAPCHECK_DEEP") == "1":
        return
    skip = pytest.mark.skip(reason="deep attack run: set PAPCHECK_DEEP=1")
    for item in items:
        if item.get_closest_marker("deep") is not None:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    return (yield from _guard(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    return (yield from _guard(item, "the test"))
