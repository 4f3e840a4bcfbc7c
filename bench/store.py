#!/usr/bin/env python3
"""Does the fingerprint store pay?  `--store exact` against `--store fingerprint` at about a million
states (issue 17, item 7: at least halve the peak memory, at most 1.3x the time).

    python bench/store.py                          # 4x2x6 (1,537,314 states), 2 repeats
    python bench/store.py --point 4x1x6 --repeat 3
    python bench/store.py --code /tmp/old-checkout  # the same runs on another checkout's engine

Each run is a separate process, `python -m checker.cli check specs/reference_dns.pap -D ENACTORS=..
-D ENDPOINTS=.. --no-por --no-symmetry --store STORE --engine python -q --no-timing`, measured by GNU time: wall
seconds, CPU seconds (user + system) and the peak resident memory the kernel counted.  On a shared
machine wall time follows the load; CPU time much less so, and the ratio column divides CPU times.
Runs alternate between the stores, so a change of load hits both.  The load average is printed.
Exit code 0, or 2 when GNU time is missing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIME = "/usr/bin/time"


def run(code: Path, point: str, store: str, engine: str = "python") -> tuple[float, float, int]:
    """(wall s, cpu s, peak RSS KiB) of one check."""
    e, p = point.split("x")[:2]
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run([TIME, "-f", "%e %U %S %M", "-o", out.name, sys.executable, "-m", "checker.cli", "check",
                        str(code / "specs/reference_dns.pap"), "-D", f"ENACTORS={e}", "-D", f"ENDPOINTS={p}",
                        "--no-por", "--no-symmetry", "--store", store, "--engine", engine, "-q", "--no-timing"],
                       cwd=code, env=dict(os.environ, PYTHONPATH=str(code)), capture_output=True, check=False)
        wall, user, system, rss = out.read().split()[-4:]
    return float(wall), float(user) + float(system), int(rss)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--point", default="4x2x6", help="ENACTORSxENDPOINTS (PLANS stays 6)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout whose engine runs")
    ap.add_argument("--engine", default="python", help="python (the default: the stores measured here) or c")
    args = ap.parse_args(argv)
    if not os.path.exists(TIME):
        print(f"{TIME} (GNU time) is needed", file=sys.stderr)
        return 2
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; point {args.point}; "
          f"code {args.code}; engine {args.engine}")
    figures: dict[str, list[tuple[float, float, int]]] = {"exact": [], "fingerprint": []}
    for _ in range(args.repeat):
        for store in figures:
            figures[store].append(run(args.code, args.point, store, args.engine))
    med = {s: (statistics.median(w for w, _, _ in f), statistics.median(c for _, c, _ in f),
               max(m for _, _, m in f)) for s, f in figures.items()}
    print("| store | wall s (median) | CPU s (median) | peak RSS MB | CPU vs exact | peak vs exact |")
    print("|---|---|---|---|---|---|")
    for store, (wall, cpu, rss) in med.items():
        print(f"| {store} | {wall:.2f} | {cpu:.2f} | {rss / 1024:.0f} | {cpu / med['exact'][1]:.2f}x | "
              f"{rss / med['exact'][2]:.2f}x |")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
