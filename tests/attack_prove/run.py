"""Attack harness for `papcheck prove`: run prove (JSON) on each spec and `check` on a grid of
constants, and compare the verdicts by the oracles of the prove attack (not a test module)."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=ENV)


def consts(path: Path) -> list[str]:
    return re.findall(r"^const\s+([A-Za-z_]\w*)\s*(?::[^=]*)?=\s*-?\d+\s*(?:#.*)?$",
                      path.read_text(), re.M)


def grid(path: Path, values: range = range(0, 5)) -> dict[tuple[tuple[str, int], ...], int]:
    names = consts(path)
    out = {}
    for combo in itertools.product(values, repeat=len(names)):
        d = tuple(zip(names, combo))
        args = ["check", str(path), "-q", "--no-timing", "--max-states", "200000"]
        for n, v in d:
            args += ["-D", f"{n}={v}"]
        out[d] = cli(*args).returncode
    return out


def main() -> None:
    specs = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "tests/attack_prove").glob("*.pap"))
    for spec in specs:
        r = cli("prove", str(spec), "--format", "json")
        try:
            j = json.loads(r.stdout)
            statuses = [o["status"] for o in j["obligations"]]
            summary = {s: statuses.count(s) for s in sorted(set(statuses))}
            verdict = j["verdict"]
            cls = [o.get("classification") for o in j["obligations"] if o.get("cti")]
        except (json.JSONDecodeError, KeyError):
            summary, verdict, cls = {}, r.stderr.strip().splitlines()[-1:] , []
        g = grid(spec) if len(consts(spec)) <= 2 else {}
        bad = {k: v for k, v in g.items() if v not in (0, 2, 3)}
        flag = ""
        if r.returncode == 0 and bad:
            flag = "  <<< PROVED but check violates"
        if r.returncode == 70:
            flag = "  <<< CRASH"
        print(f"{spec.name}: prove rc={r.returncode} {verdict} {summary} cls={cls} "
              f"grid={sorted(set(g.values()))} viol_at={list(bad)[:3]}{flag}", flush=True)


if __name__ == "__main__":
    main()
