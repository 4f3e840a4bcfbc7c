"""`papcheck synth`: which constants are safe.  Check a grid, fit the boundary, try to prove the safe side.

Every point of the grid is checked by explicit search in this process (the spec is parsed once;
each point is resolved and compiled at its constants).  The verdicts are then fitted, IMITATOR
style, by the simplest constraint over the varied constants that is true exactly at the violated
points: a conjunction of at most three atoms ``X >= k``, ``X <= k``, ``X - Y >= k``,
``X - Y <= k`` (k from the grid's range).  Finally each atom of the safe side (the negation of
the fit, a disjunction) is handed to ``prove --assume`` with the other constants symbolic; a
region the prover cannot settle stays "checked on the grid only".

Nothing here imports z3 directly (the prover does, lazily).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import api
from ..engine.explore import Limits
from ..lang.errors import UsageError
from ..lang.parser import parse, read_source


@dataclass
class Point:
    values: dict[str, int]
    verdict: str  # holds, violated, incomplete
    property: str = ""
    length: int | None = None
    states: int = 0


@dataclass
class Atom:
    coeffs: tuple[tuple[str, int], ...]  # ((X, 1),) or ((X, 1), (Y, -1))
    op: str  # >= or <=
    k: int

    def holds(self, v: dict[str, int]) -> bool:
        s = sum(c * v[n] for n, c in self.coeffs)
        return s >= self.k if self.op == ">=" else s <= self.k

    def text(self) -> str:
        lhs = " - ".join(n for n, _ in self.coeffs)
        if len(self.coeffs) == 2:  # X - Y >= k  is shown  X >= Y + k
            x, y = self.coeffs[0][0], self.coeffs[1][0]
            k = f" + {self.k}" if self.k > 0 else (f" - {-self.k}" if self.k < 0 else "")
            return f"{x} {self.op} {y}{k}"
        return f"{lhs} {self.op} {self.k}"

    def negated(self) -> Atom:
        return Atom(self.coeffs, "<=" if self.op == ">=" else ">=", self.k - 1 if self.op == ">=" else self.k + 1)


@dataclass
class SynthResult:
    path: str
    spec_name: str
    varied: list[tuple[str, int, int]]
    pinned: dict[str, Any]
    points: list[Point]
    fit: list[Atom] | None = None  # violated exactly when all hold; None when no fit was found
    fit_kind: str = ""  # none-violated, all-violated, fitted, no-fit
    proofs: list[tuple[str, int]] = field(default_factory=list)  # (assumption, prove exit code)
    prove_notes: list[str] = field(default_factory=list)  # why a proof could not be attempted
    seconds: float = 0.0


def parse_vary(text: str) -> tuple[str, int, int]:
    name, _, rng = text.partition("=")
    lo, _, hi = rng.partition("..")
    try:
        a, b = int(lo), int(hi)
    except ValueError:
        raise UsageError(f"--vary {text}: expected NAME=LO..HI, for example --vary PLANS=2..8") from None
    if not name.strip().isidentifier() or a > b:
        raise UsageError(f"--vary {text}: expected NAME=LO..HI with LO <= HI")
    return name.strip(), a, b


def run_grid(path: str, pinned: dict[str, Any], varied: list[tuple[str, int, int]],
             timeout: float | None = None, progress: Callable[[int, int], None] | None = None) -> list[Point]:
    source = read_source(path)
    parse(source)  # once: a syntax error stops here, and the parse is cached for every point
    names = [n for n, _, _ in varied]
    grid = list(itertools.product(*[range(lo, hi + 1) for _, lo, hi in varied]))
    out = []
    for i, combo in enumerate(grid):
        values = dict(zip(names, combo))
        try:
            spec = api.load_source(source, {**pinned, **values})
        except UsageError as e:
            # the constants are resolved as if given with -D: name the option the user gave
            for n in names:
                if str(e).startswith((f"-D {n}:", f"-D {n}=")):
                    lo_hi = next(f"{lo}..{hi}" for m, lo, hi in varied if m == n)
                    raise UsageError(f"--vary {n}={lo_hi}: " + str(e).split(": ", 1)[1]) from None
            raise
        r = api.check(spec, limits=Limits(timeout=timeout) if timeout else None)
        p = Point(values, r.verdict, states=r.stats.states)
        bad = next((x for x in r.properties if x.status in ("violated", "unreachable")), None)
        if r.model_error is not None:
            p.property, p.length = "model error", r.model_error.trace.length
        elif bad is not None:
            p.property = bad.name
            p.length = bad.trace.length if bad.trace is not None else None
        out.append(p)
        if progress:
            progress(i + 1, len(grid))
    return out


def fit_boundary(points: list[Point], varied: list[tuple[str, int, int]], max_atoms: int = 3) -> tuple[str, list[Atom] | None]:
    bad = [p.verdict == "violated" for p in points]
    if not any(bad):
        return "none-violated", None
    if all(bad):
        return "all-violated", []
    names = [n for n, _, _ in varied]
    atoms: list[Atom] = []
    for n, lo, hi in varied:
        for k in range(lo + 1, hi + 1):
            atoms.append(Atom(((n, 1),), ">=", k))
        for k in range(lo, hi):
            atoms.append(Atom(((n, 1),), "<=", k))
    for (x, xlo, xhi), (y, ylo, yhi) in itertools.permutations(varied, 2):
        for k in range(xlo - yhi, xhi - ylo + 1):
            atoms.append(Atom(((x, 1), (y, -1)), ">=", k))
    vals = [p.values for p in points]
    masks = []
    for a in atoms:
        m = 0
        for i, v in enumerate(vals):
            if a.holds(v):
                m |= 1 << i
        masks.append(m)
    target = sum(1 << i for i, b in enumerate(bad) if b)
    full = (1 << len(points)) - 1
    # only atoms true at every violated point can be part of an exact conjunction
    useful = [i for i, m in enumerate(masks) if m & target == target and m != full]
    for size in range(1, max_atoms + 1):
        for combo in itertools.combinations(useful, size):
            m = full
            for i in combo:
                m &= masks[i]
            if m == target:
                return "fitted", [atoms[i] for i in combo]
    del names
    return "no-fit", None


def synth(path: str, pinned: dict[str, Any], varied: list[tuple[str, int, int]], *, prove_safe: bool = True,
          timeout: float | None = None, solver_timeout: float = 10.0) -> SynthResult:
    t0 = time.perf_counter()
    spec_name = parse(read_source(path)).name
    points = run_grid(path, pinned, varied, timeout)
    kind, fit = fit_boundary(points, varied)
    res = SynthResult(path, spec_name, varied, pinned, points, fit, kind)
    if prove_safe:
        from .prove import prove
        regions: list[str] = []
        if kind == "fitted" and fit:
            regions = [a.negated().text() for a in fit]
        elif kind == "none-violated":
            regions = [""]
        from ..lang.errors import SpecError, UsageError
        for assume in regions:
            try:
                o = prove(path, pinned, [assume] if assume else [], solver_timeout, classify_ctis=False)
            except SpecError as e:  # a construct the translation does not cover: the grid still stands
                res.proofs.append((assume or "(the whole range)", 3))
                res.prove_notes.append(e.diagnostics.items[0].message if e.diagnostics.items else str(e))
                continue
            except UsageError as e:  # e.g. the safe side allows no value of the constants
                res.proofs.append((assume or "(the whole range)", 3))
                res.prove_notes.append(str(e))
                continue
            res.proofs.append((assume or "(the whole range)", o.exit_code))
    res.seconds = time.perf_counter() - t0
    return res


# ----------------------------------------------------------------------------------- rendering


def _cell(p: Point) -> str:
    return {"holds": "ok", "violated": "XX", "incomplete": "??"}.get(p.verdict, "??")


def render_text(r: SynthResult) -> str:
    lines = [f"Synthesis for {r.spec_name} ({r.path})"]
    if r.pinned:
        lines.append("  pinned: " + ", ".join(f"{k} = {v}" for k, v in r.pinned.items()))
    lines.append("  varied: " + ", ".join(f"{n} in {lo}..{hi}" for n, lo, hi in r.varied)
                 + f" ({len(r.points)} points); XX violated, ok holds, ?? incomplete")
    names = [n for n, _, _ in r.varied]
    by = {tuple(p.values[n] for n in names): p for p in r.points}
    if len(names) == 1:
        n, lo, hi = r.varied[0]
        lines.append(f"  {n:>10}: " + " ".join(f"{v:>3}" for v in range(lo, hi + 1)))
        lines.append(f"  {'':>10}  " + " ".join(f"{_cell(by[(v,)]):>3}" for v in range(lo, hi + 1)))
    else:
        (rn, rlo, rhi), (cn, clo, chi) = r.varied[0], r.varied[1]
        rest = r.varied[2:]
        for extra in itertools.product(*[range(lo, hi + 1) for _, lo, hi in rest]):
            if rest:
                lines.append("")
                lines.append("  " + ", ".join(f"{n} = {v}" for (n, _, _), v in zip(rest, extra)))
            head = f"{rn} \\ {cn}"
            lines.append(f"  {head:>22} " + " ".join(f"{v:>3}" for v in range(clo, chi + 1)))
            for rv in range(rlo, rhi + 1):
                row = [_cell(by[(rv, cv, *extra)]) for cv in range(clo, chi + 1)]
                lines.append(f"  {rv:>22} " + " ".join(f"{c:>3}" for c in row))
    lines.append("")
    if r.fit_kind == "none-violated":
        lines.append("Boundary: every point of the grid holds")
    elif r.fit_kind == "all-violated":
        lines.append("Boundary: every point of the grid is violated")
    elif r.fit_kind == "fitted" and r.fit:
        lines.append("Boundary: violated exactly when " + " and ".join(a.text() for a in r.fit)
                     + "  (on the grid)")
    else:
        lines.append("Boundary: no constraint of up to three atoms fits the verdicts exactly")
    for assume, code in r.proofs:
        if code == 0:
            lines.append(f"  safe side {assume}: PROVED for every size (papcheck prove --assume '{assume}')")
        else:
            what = {1: "a real counterexample", 4: "undecided: needs helper invariants or more time",
                    3: "not attempted: " + (r.prove_notes[0] if r.prove_notes else "unsupported construct")
                    }.get(code, f"exit {code}")
            lines.append(f"  safe side {assume}: checked on the grid only (prove: {what})")
    return "\n".join(lines) + "\n"


def render_json(r: SynthResult) -> str:
    doc = {"spec": r.spec_name, "path": r.path, "pinned": r.pinned,
           "varied": [{"name": n, "lo": lo, "hi": hi} for n, lo, hi in r.varied],
           "points": [{"constants": p.values, "verdict": p.verdict, "property": p.property or None,
                       "length": p.length, "states": p.states} for p in r.points],
           "boundary": {"kind": r.fit_kind,
                        "violated_when": [a.text() for a in r.fit] if r.fit else None},
           "safe_side": [{"assume": a, "proved_for_all_sizes": c == 0, "prove_exit_code": c} for a, c in r.proofs]}
    return json.dumps(doc, indent=2) + "\n"


def render_svg(r: SynthResult) -> str:
    """A heat map of the first two varied constants (one panel per value of the others)."""
    if len(r.varied) < 2:
        raise UsageError("--svg needs two or more varied constants")
    names = [n for n, _, _ in r.varied]
    by = {tuple(p.values[n] for n in names): p for p in r.points}
    (rn, rlo, rhi), (cn, clo, chi) = r.varied[0], r.varied[1]
    rest = r.varied[2:]
    cell, pad = 22, 60
    panels = list(itertools.product(*[range(lo, hi + 1) for _, lo, hi in rest])) or [()]
    pw = pad + (chi - clo + 1) * cell + 20
    ph = pad + (rhi - rlo + 1) * cell + 30
    width, height = pw * len(panels), ph + 30
    color = {"holds": "#4c9a5b", "violated": "#c8453c", "incomplete": "#b0b0b0"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<text x="4" y="14" font-size="13">{_esc(r.spec_name)}: red violated, green holds</text>']
    for pi, extra in enumerate(panels):
        x0, y0 = pi * pw + pad, pad
        if rest:
            label = ", ".join(f"{n}={v}" for (n, _, _), v in zip(rest, extra))
            out.append(f'<text x="{x0}" y="{y0 - 28}">{_esc(label)}</text>')
        out.append(f'<text x="{x0}" y="{y0 - 14}">{_esc(cn)} →</text>')
        out.append(f'<text x="{x0 - 56}" y="{y0 + 12}">{_esc(rn)} ↓</text>')
        for j, cv in enumerate(range(clo, chi + 1)):
            out.append(f'<text x="{x0 + j * cell + 6}" y="{y0 - 2}">{cv}</text>')
        for i, rv in enumerate(range(rlo, rhi + 1)):
            out.append(f'<text x="{x0 - 16}" y="{y0 + i * cell + 15}">{rv}</text>')
            for j, cv in enumerate(range(clo, chi + 1)):
                p = by[(rv, cv, *extra)]
                title = ", ".join(f"{k}={v}" for k, v in p.values.items()) + f": {p.verdict}"
                out.append(f'<rect x="{x0 + j * cell}" y="{y0 + i * cell}" width="{cell - 2}" height="{cell - 2}" '
                           f'fill="{color.get(p.verdict, "#b0b0b0")}"><title>{_esc(title)}</title></rect>')
    if r.fit:
        out.append(f'<text x="4" y="{height - 8}">violated exactly when '
                   f'{_esc(" and ".join(a.text() for a in r.fit))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
