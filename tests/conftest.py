"""Shared test fixtures: the shipped specs, and toy-spec helpers that load and check spec text.

`toy_check` checks without reductions by default, so state and transition counts are the plain
ones a person can compute by hand (pass `por=True` / `symmetry=True` to turn them on).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from checker import api

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
