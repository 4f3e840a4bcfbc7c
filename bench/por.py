#!/usr/bin/env python3
"""Does papcheck's partial-order reduction earn its keep?  papcheck beside SPIN on the fine-grained
reference protocol (issue 3, target 4).

    python bench/por.py                       # 2x1x6, 3x1x6, 3x2x6, 4x1x6; writes bench/por-results.md
    python bench/por.py --points 2x1x6,3x1x6 --markdown /tmp/por.md
    python bench/por.py --points 2x1x6 --no-write

specs/reference_dns_fine.pap and its Promela twin models/reference_dns_fine.pml have the same
atomicity (every shared read or write its own step, the enactor's bookkeeping split into local
steps; see models/README.md), so with reductions off both tools count exactly the same states and
transitions.  Each point is ENACTORS x ENDPOINTS x PLANS at purge age 2, run four ways: papcheck
with and without POR (symmetry off in both) and SPIN's pan with POR on and off (-DNOREDUCE).  The
POR ratio of a tool is states(POR off) / states(POR on); the target is papcheck's ratio >= SPIN's.

Only counts are compared (no times), so the table is the same on every machine and every run.
papcheck runs as a separate process (`python -m checker.cli check ... --format json`), SPIN
through bench/peers.py (spin -a, cc, pan; its hash table sized from papcheck's count).  Exit code:
0 when every run finished with the invariant holding and the unreduced counts of the two tools
agree, 1 otherwise (whether the ratio target is met is reported in the table, not the exit
code), 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
import peers  # noqa: E402

SPEC = "specs/reference_dns_fine.pap"
MODEL = REPO_ROOT / "models" / "reference_dns_fine.pml"
POINTS = ["2x1x6", "3x1x6", "3x2x6", "4x1x6"]
PURGE_AGE = 2
FIX = 1  # ignored by the fine model (it is the compare-and-set protocol); peers passes it anyway
DEFAULT_MARKDOWN = BENCH_DIR / "por-results.md"
_PAN_EXACT = 10**8  # pan prints counts with "%9.8g": exact below this, 8 significant digits above


@dataclass
class Count:
    """One tool, one point, POR on or off."""

    ok: bool
    verdict: str | None = None  # "holds", "violated", "incomplete"
    states: int | None = None
    transitions: int | None = None
    note: str = ""
    approximate: bool = False  # SPIN: some count reached _PAN_EXACT, pan printed it rounded


@dataclass
class PorRow:
    point: tuple[int, int, int]
    papcheck_off: Count
    papcheck_on: Count
    spin_off: Count
    spin_on: Count

    @property
    def label(self) -> str:
        return "{}x{}x{}".format(*self.point)

    @property
    def papcheck_ratio(self) -> float | None:
        return _ratio(self.papcheck_off, self.papcheck_on)

    @property
    def spin_ratio(self) -> float | None:
        return _ratio(self.spin_off, self.spin_on)

    def problems(self) -> list[str]:
        """Failed runs, violations (the invariant holds for this protocol) and unreduced counts
        that differ between the tools."""
        out = []
        for name, c in (("papcheck --no-por", self.papcheck_off), ("papcheck", self.papcheck_on),
                        ("SPIN -DNOREDUCE", self.spin_off), ("SPIN", self.spin_on)):
            if not c.ok:
                out.append(f"{self.label}: {name} failed: {c.note}")
            elif c.verdict != "holds":
                out.append(f"{self.label}: {name}: invariant {c.verdict}")
        a, b = self.papcheck_off, self.spin_off
        if a.ok and b.ok and not (_same(a.states, b.states, 0, b.approximate)
                                  and _same(a.transitions, b.transitions, 1, b.approximate)):
            out.append(f"{self.label}: unreduced counts differ: papcheck {a.states}/{a.transitions},"
                       f" SPIN {b.states}/{b.transitions}")
        return out


def _same(exact: int | None, spin: int | None, offset: int, approximate: bool) -> bool:
    """papcheck's exact count against SPIN's, as precisely as pan printed it.  `offset` is
    what pan adds to the count it prints (1 for transitions: stored+matched counts the
    initial state); bench/peers.py has already taken it off `spin`."""
    if exact is None or spin is None:
        return False
    if approximate:
        return float(f"{exact + offset:.8g}") == float(f"{spin + offset:.8g}")
    return exact == spin


def _ratio(off: Count, on: Count) -> float | None:
    if off.ok and on.ok and off.states and on.states:
        return off.states / on.states
    return None


def parse_point(text: str) -> tuple[int, int, int]:
    parts = text.strip().split("x")
    if len(parts) != 3 or not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not ENACTORSxENDPOINTSxPLANS with positive numbers, for example 3x1x6")
    ne, np, g = (int(p) for p in parts)
    return ne, np, g


# ------------------------------------------------------------------------------------ runners


def run_papcheck(point: tuple[int, int, int], por: bool, timeout: float | None = None) -> Count:
    """papcheck on the fine spec, symmetry off, POR as asked, as its own process."""
    ne, np, g = point
    cmd = [sys.executable, "-m", "checker.cli", "check", SPEC,
           f"-DENACTORS={ne}", f"-DENDPOINTS={np}", f"-DPLANS={g}", f"-DPURGE_AGE={PURGE_AGE}",
           "--no-symmetry", *([] if por else ["--no-por"]),
           "--format", "json", "--no-timing", "-q"]
    pr = peers._run(cmd, REPO_ROOT, timeout)
    if pr.timed_out:
        return Count(False, note="timeout")
    if pr.returncode not in (0, 1, 4):
        return Count(False, note=f"exit code {pr.returncode}: {pr.output.strip()[-200:]}")
    try:
        # stderr is merged into the output; with -q it carries nothing before the JSON
        data, _ = json.JSONDecoder().raw_decode(pr.output[pr.output.index("{"):])
    except ValueError:
        return Count(False, note="could not read papcheck's JSON output")
    return Count(True, data["verdict"], data["stats"]["states"], data["stats"]["transitions"])


def run_spin(point: tuple[int, int, int], por: bool, expected_states: int | None = None,
             timeout: float | None = None) -> Count:
    """SPIN on the Promela twin, POR on or off (-DNOREDUCE)."""
    r = peers.run_spin(*point, PURGE_AGE, FIX, por=por, model=MODEL,
                       expected_states=expected_states, timeout=timeout)
    if r.error is not None:
        return Count(False, note=r.error)
    approximate = any(x is not None and x >= _PAN_EXACT for x in (r.states, r.tool_transitions))
    return Count(True, "violated" if r.violated else "holds", r.states, r.transitions,
                 approximate=approximate)


def measure(point: tuple[int, int, int], timeout: float | None = None) -> PorRow:
    """The four runs of one point (papcheck first: its count sizes pan's hash table)."""
    p_off = run_papcheck(point, False, timeout)
    p_on = run_papcheck(point, True, timeout)
    s_off = run_spin(point, False, p_off.states, timeout)
    s_on = run_spin(point, True, p_on.states, timeout)
    return PorRow(point, p_off, p_on, s_off, s_on)


# ------------------------------------------------------------------------------------ table

HEADER = ["point", "papcheck no POR", "papcheck POR", "papcheck ratio",
          "SPIN no POR", "SPIN POR", "SPIN ratio", "target met"]


def _cell(c: Count) -> str:
    if not c.ok:
        return c.note
    states = f"{'~' if c.approximate and c.states >= _PAN_EXACT else ''}{c.states:,}"
    trans = f"{'~' if c.approximate and c.transitions + 1 >= _PAN_EXACT else ''}{c.transitions:,}"
    return f"{states} / {trans}"


def table_rows(rows: Sequence[PorRow]) -> list[list[str]]:
    out = []
    for r in rows:
        pr, sr = r.papcheck_ratio, r.spin_ratio
        met = "" if pr is None or sr is None else ("yes" if pr >= sr else
                                                   f"no ({pr / sr:.3f} of SPIN's)")
        out.append([r.label, _cell(r.papcheck_off), _cell(r.papcheck_on),
                    "" if pr is None else f"{pr:.3f}",
                    _cell(r.spin_off), _cell(r.spin_on),
                    "" if sr is None else f"{sr:.3f}", met])
    return out


def render_table(rows: list[list[str]]) -> str:
    """A markdown table, padded so that it also reads well in a terminal."""
    widths = [max(len(x) for x in col) for col in zip(HEADER, *rows)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(HEADER, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(x.ljust(w) for x, w in zip(row, widths)) + " |")
    return "\n".join(lines)


def render_markdown(rows: Sequence[PorRow]) -> str:
    problems = [p for r in rows for p in r.problems()]
    text = [
        "# POR benchmark: papcheck and SPIN on the fine-grained reference protocol",
        "",
        "Written by `python bench/por.py` (issue 3, target 4: papcheck's POR ratio is at least",
        "SPIN's).  `specs/reference_dns_fine.pap` against its Promela twin",
        "`models/reference_dns_fine.pml` (same atomicity; see models/README.md), purge age 2,",
        "symmetry off.  Cells are states / transitions; a ratio is states without POR divided by",
        "states with POR.  SPIN: `spin -a`, `cc -DSAFETY` (`-DNOREDUCE` for no POR), `pan`;",
        "transitions are pan's stored+matched minus one (pan counts the initial state); `~`: pan",
        "printed a count of 1e8 or more, with 8 significant digits only.",
        "",
        render_table(table_rows(rows)),
        "",
    ]
    if problems:
        text += ["Problems:", "", *(f"- {p}" for p in problems), ""]
    return "\n".join(text)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="papcheck's POR reduction ratio beside SPIN's on the "
                                             "fine-grained reference protocol.")
    ap.add_argument("--points", default=",".join(POINTS),
                    help="comma-separated ENACTORSxENDPOINTSxPLANS (default: %(default)s)")
    ap.add_argument("--markdown", type=Path, default=DEFAULT_MARKDOWN,
                    help="write the table here (default: bench/por-results.md)")
    ap.add_argument("--no-write", action="store_true", help="only print the table")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    a = ap.parse_args(argv)
    try:
        points = [parse_point(p) for p in a.points.split(",")]
    except argparse.ArgumentTypeError as e:
        ap.error(str(e))
    if not peers.peer_available("spin") or not MODEL.is_file():
        print("bench: spin or a C compiler is not available", file=sys.stderr)
        return 1
    rows = []
    for point in points:
        print(f"bench: {'{}x{}x{}'.format(*point)} ...", file=sys.stderr, flush=True)
        rows.append(measure(point, a.timeout))
    text = render_markdown(rows)
    print(text, end="")
    if not a.no_write:
        a.markdown.write_text(text)
    problems = [p for r in rows for p in r.problems()]
    for p in problems:
        print(f"bench: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
