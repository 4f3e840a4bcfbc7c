"""The workshop's lessons (examples/workshop/): each spec meets its `expect` line, and each README
says what to run, what to look for and a question to discuss."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker import api

WORKSHOP = Path(__file__).resolve().parent.parent / "examples" / "workshop"
LESSONS = sorted(p for p in WORKSHOP.iterdir() if p.is_dir() and re.match(r"\d\d_", p.name))


def test_the_ladder_is_complete():
    assert [p.name[:2] for p in LESSONS] == ["01", "02", "03", "04", "05", "06"]
    index = (WORKSHOP / "README.md").read_text()
    for p in LESSONS:
        assert f"]({p.name}/)" in index
    assert "90 minutes" in (WORKSHOP / "FACILITATOR.md").read_text()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_lesson_meets_its_expectation(lesson: Path):
    spec = api.load(str(lesson / "spec.pap"))
    assert spec.checked.expects, f"{lesson.name}: the spec has no `expect` line"
    result = api.check(spec)
    assert result.expectation is not None and result.expectation["met"] is True, result.expectation
    # a lesson that holds must not hold vacuously: every `reachable` guard is witnessed
    for p in result.properties:
        if p.kind == "reachable" and result.verdict == "holds":
            assert p.status == "witnessed", f"{lesson.name}: {p.name} is never reached"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_lesson_readme(lesson: Path):
    text = (lesson / "README.md").read_text()
    assert "**Run**" in text and "**Look for**" in text and "**Question.**" in text
    for cmd in re.findall(r"^    papcheck \w+ (\S+)", text, re.M):
        assert (WORKSHOP / cmd).exists(), f"{lesson.name}/README.md runs a missing file {cmd}"


def test_lesson_two_witnesses_a_stale_overwrite_without_an_outage():
    spec = api.load(str(WORKSHOP / "02_two_enactors" / "spec.pap"))
    result = api.check(spec)
    assert result.verdict == "holds"
    assert result.prop("stale_overwrite").status == "witnessed"


def test_lesson_one_breaks_with_a_second_enactor():
    """The question lesson 1 asks: with two Enactors the same spec has the incident."""
    spec = api.load(str(WORKSHOP / "01_one_enactor" / "spec.pap"), {"ENACTORS": 2})
    assert api.check(spec).prop("endpoint_has_ips").status == "violated"
