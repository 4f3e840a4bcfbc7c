"""Differential harness for the C engine: each spec under tests/attack_native/ checked with
`--engine c` and `--engine python` (the oracle) through the CLI in-process, JSON compared.

Run as a script to survey the corpus: `python3 tests/attack_native_harness.py [SPEC...]`
prints one line per (spec, configuration) that disagrees or falls back, and the fallback rate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from click.testing import CliRunner

from checker.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "attack_native"

# (name, extra args). The C engine never reduces by partial order, so both sides run --no-por,
# except the "auto" row, which compares the default engine choice with the Python default.
CONFIGS: list[tuple[str, list[str]]] = [
    ("plain", ["--no-por"]),
    ("nosym", ["--no-por", "--no-symmetry"]),
    ("fp", ["--no-por", "--store", "fingerprint"]),
    ("fp-nosym", ["--no-por", "--no-symmetry", "--store", "fingerprint"]),
]

_DROP_STATS = ("seconds", "states_per_second", "peak_memory_kb", "bytes_per_state", "collision_probability")
_DROP_RED = ("por_active", "ample_expansions", "full_expansions")


def run(spec: str, engine: str, args: list[str]) -> tuple[int, dict[str, Any] | None, str]:
    r = CliRunner().invoke(main, ["check", spec, "--format", "json", "--no-timing", "--engine", engine, *args])
    try:
        data = json.loads(r.stdout)
    except ValueError:
        data = None
    err = r.stderr if hasattr(r, "stderr") else ""
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        err += f"\nEXCEPTION {type(r.exception).__name__}: {r.exception}"
    return r.exit_code, data, err


def normal(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    d = json.loads(json.dumps(data))
    d.pop("engine", None)
    for k in _DROP_STATS:
        d.get("stats", {}).pop(k, None)
    for k in _DROP_RED:
        d.get("reductions", {}).pop(k, None)
    return d


def extra_args(spec: Path) -> list[list[str]]:
    """A spec may name -D variants in a first-line comment `# defines: N=1 M=2 | N=3`."""
    first = spec.read_text().splitlines()[0] if spec.read_text() else ""
    if first.startswith("# defines:"):
        out = []
        for group in first[len("# defines:"):].split("|"):
            args: list[str] = []
            for kv in group.split():
                args += ["-D", kv]
            out.append(args)
        return out
    return [[]]


def compare(spec: Path, args: list[str]) -> tuple[bool, bool, str]:
    """(agree, c engine used, detail)."""
    rc_c, d_c, e_c = run(str(spec), "c", args)
    rc_p, d_p, e_p = run(str(spec), "python", args)
    used = d_c is not None and d_c.get("engine") == "c"
    detail = ""
    agree = rc_c == rc_p and normal(d_c) == normal(d_p) and "EXCEPTION" not in e_c
    if not agree:
        detail = f"rc c={rc_c} py={rc_p}\nC: {json.dumps(normal(d_c))[:1500]}\nPY: {json.dumps(normal(d_p))[:1500]}\nCERR: {e_c[-800:]}\nPYERR: {e_p[-400:]}"
    elif not used:
        detail = e_c.strip()[-300:]
    return agree, used, detail


def survey(specs: list[Path]) -> int:
    runs = fallbacks = bad = 0
    for spec in specs:
        for dargs in extra_args(spec):
            for name, args in CONFIGS:
                agree, used, detail = compare(spec, dargs + args)
                runs += 1
                if not used:
                    fallbacks += 1
                if not agree:
                    bad += 1
                    print(f"DISAGREE {spec.name} {name} {' '.join(dargs)}\n{detail}\n", flush=True)
                elif not used:
                    print(f"fallback {spec.name} {name} {' '.join(dargs)}: {detail}", flush=True)
    print(f"{len(specs)} specs, {runs} runs, {bad} disagree, {fallbacks} fell back "
          f"({100.0 * fallbacks / max(runs, 1):.1f}%)")
    return bad


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or sorted(CORPUS.glob("*.pap"))
    sys.exit(1 if survey(paths) else 0)
