#!/usr/bin/env python3
"""The targets of issue 11 (`papcheck prove`, `papcheck synth`), measured as whole processes.

    python bench/prove.py                 # every target; prints a markdown table
    python bench/prove.py --only cas-proof,bare-cti

Each row runs `python -m checker.cli ...` in a fresh process and reports its wall-clock time and
its CPU time (user + system of the child).  The machine is shared, so wall time can be several
times the CPU time under load; both are printed, next to the target.  A row is "met" when the
outcome is right (exit code and the expected text) and the wall time is within the target.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Target:
    key: str
    what: str
    args: list[str]
    exit_code: int
    must_contain: list[str]
    seconds: float


TARGETS = [
    Target("cas-proof", "compare-and-set + helpers proved, 4 constants symbolic",
           ["prove", "specs/dynamodb_dns_cas_proof.pap", "--assume", "PURGE_AGE >= 0"], 0,
           ["PROVED for every value of ENACTORS, ENDPOINTS, PLANS, PURGE_AGE"], 2.0),
    Target("bare-cti", "bare safety invariant: minimized CTI, classified unreachable",
           ["prove", "specs/dynamodb_dns_cas.pap", "--assume", "PURGE_AGE >= 0"], 4,
           ["classified UNREACHABLE", "no reachable state has:"], 1.0),
    Target("fix0", "incident (FIX=0) classified real, trace as short as check's",
           ["prove", "specs/reference_dns.pap", "-D", "FIX=0"], 1, ["@SHORTEST:FIX=0"], 0.0),
    Target("fix2", "tempting fix (FIX=2) classified real, trace as short as check's",
           ["prove", "specs/reference_dns.pap", "-D", "FIX=2"], 1, ["@SHORTEST:FIX=2"], 0.0),
    Target("synth", "synth FIX=0, 4x7x5 = 140 points, boundary, safe side proved",
           ["synth", "specs/reference_dns.pap", "-D", "FIX=0", "--vary", "ENACTORS=1..4", "--vary", "PLANS=2..8",
            "--vary", "PURGE_AGE=0..4"], 1,
           ["violated exactly when ENACTORS >= 2 and PLANS >= PURGE_AGE + 3", "PROVED for every size"], 20.0),
    Target("infer", "--infer proves compare-and-set without hand-written helpers",
           ["prove", "specs/dynamodb_dns_cas.pap", "--assume", "PURGE_AGE >= 0", "--infer"], 0,
           ["PROVED for every value"], 60.0),
    Target("infer-paste", "the helpers --infer printed, pasted into the spec: proved without --infer",
           ["prove", "@PASTED", "--assume", "PURGE_AGE >= 0"], 0,
           ["PROVED for every value of ENACTORS, ENDPOINTS, PLANS, PURGE_AGE"], 2.0),
]


def pasted_spec(tmp: str) -> str:
    """specs/dynamodb_dns_cas.pap with the helpers `prove --infer` prints for it, pasted."""
    _, out, _, _ = run(["prove", "specs/dynamodb_dns_cas.pap", "--assume", "PURGE_AGE >= 0", "--infer"])
    helpers = [x for x in out.splitlines() if x.startswith("invariant helper")]
    text = (ROOT / "specs/dynamodb_dns_cas.pap").read_text()
    path = os.path.join(tmp, "cas_inferred.pap")
    with open(path, "w") as f:
        f.write(text.replace("\nexpect holds", "\n" + "\n".join(helpers) + "\n\nexpect holds"))
    return path


def run(args: list[str]) -> tuple[int, str, float, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True, cwd=ROOT,
                       env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p.returncode, p.stdout + p.stderr, wall, cpu


def shortest_line(fix: str) -> str:
    _, out, _, _ = run(["check", "-q", "specs/reference_dns.pap", "-D", f"FIX={fix}"])
    return next((x for x in out.splitlines() if "shortest counterexample" in x), "<none>")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated target keys")
    a = ap.parse_args()
    chosen = [t for t in TARGETS if not a.only or t.key in a.only.split(",")]
    rows = ["| target | outcome | wall s | CPU s | limit s | met |", "|---|---|---|---|---|---|"]
    ok_all = True
    tmp = tempfile.mkdtemp(prefix="papcheck-bench-")
    for t in chosen:
        args = [pasted_spec(tmp) if x == "@PASTED" else x for x in t.args]
        code, out, wall, cpu = run(args)
        wanted = [shortest_line(w.split("=", 1)[1]) if w.startswith("@SHORTEST:") else w for w in t.must_contain]
        missing = [w for w in wanted if w not in out]
        right = code == t.exit_code and not missing
        timely = t.seconds == 0.0 or wall <= t.seconds
        outcome = f"exit {code}" + ("" if right else f" (wanted {t.exit_code}; missing: {'; '.join(missing)[:80]})")
        limit = "-" if t.seconds == 0.0 else f"{t.seconds:g}"
        met = "yes" if right and timely else ("outcome yes, time no" if right else "no")
        ok_all &= right and timely
        rows.append(f"| {t.what} | {outcome} | {wall:.2f} | {cpu:.2f} | {limit} | {met} |")
    load = os.getloadavg()[0]
    print("\n".join(rows))
    print(f"\nload average during the run: {load:.1f} on {os.cpu_count()} cores")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
