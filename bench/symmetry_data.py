"""Symmetry over instance-id data: papcheck beside Rumur on the scalarset twins of issue 18.

    python bench/symmetry_data.py                 # prints a markdown table
    python bench/symmetry_data.py --markdown bench/symmetry-data-results.md

Rows: models/ch2.pap (a channel of instance ids) and models/mail.pap (optional ids and a mailbox
map of channels) at several instance counts N, and their Rumur twins models/*_scalarset.m.
Columns: states and transitions without and with symmetry, papcheck's wall time for each
(`api.check`, partial-order reduction off, so that the counts are comparable), and Rumur's counts
and wall time (`--symmetry-reduction off` / `exhaustive`, compiled with -O2; compile time not
counted).  Rumur is skipped, with a note, when rumur or cc is missing.  Wall times are elapsed
time: run on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import api  # noqa: E402

POINTS = [("ch2", "ch2_scalarset.m", 2), ("ch2", "ch2_scalarset.m", 3), ("ch2", "ch2_scalarset.m", 4),
          ("mail", "mail_scalarset.m", 2), ("mail", "mail_scalarset.m", 3), ("mail", "mail_scalarset.m", 4)]


def papcheck(spec: str, n: int, symmetry: bool) -> tuple[int, int, float]:
    s = api.load(str(ROOT / "models" / f"{spec}.pap"), constants={"N": n})
    t = time.perf_counter()
    r = api.check(s, por=False, symmetry=symmetry)
    return r.stats.states, r.stats.transitions, time.perf_counter() - t


def rumur(twin: str, n: int, symmetry: str, tmp: Path) -> tuple[int, int, float] | None:
    if not (shutil.which("rumur") and shutil.which("cc")):
        return None
    text = re.sub(r"const N: \d+;", f"const N: {n};", (ROOT / "models" / twin).read_text())
    (tmp / "m.m").write_text(text)
    subprocess.run(["rumur", "--symmetry-reduction", symmetry, "--output", str(tmp / "m.c"), str(tmp / "m.m")],
                   check=True, capture_output=True)
    subprocess.run(["cc", "-std=c11", "-O2", "-mcx16", "-o", str(tmp / "m"), str(tmp / "m.c"), "-lpthread"],
                   check=True, capture_output=True)
    t = time.perf_counter()
    out = subprocess.run([str(tmp / "m")], capture_output=True, text=True).stdout
    wall = time.perf_counter() - t
    m = re.search(r"(\d+) states, (\d+) rules fired", out)
    return (int(m.group(1)), int(m.group(2)), wall) if m else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", help="also write the table here")
    args = ap.parse_args()
    head = ("| spec | N | states (off) | transitions (off) | papcheck s (off) | Rumur off | "
            "states (symmetry) | transitions (symmetry) | papcheck s (symmetry) | Rumur exhaustive | agree |")
    lines = [f"load average at start: {os.getloadavg()[0]:.2f}", "", head, "|---" * (head.count("|") - 1) + "|"]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for spec, twin, n in POINTS:
            off = papcheck(spec, n, False)
            sym = papcheck(spec, n, True)
            r_off = rumur(twin, n, "off", tmp)
            r_sym = rumur(twin, n, "exhaustive", tmp)

            def cell(r):
                return "skipped" if r is None else f"{r[0]:,} / {r[1]:,} in {r[2]:.2f} s"
            agree = "n/a" if r_off is None or r_sym is None else (
                "yes" if (off[:2], sym[:2]) == (r_off[:2], r_sym[:2]) else "**NO**")
            lines.append(f"| {spec} | {n} | {off[0]:,} | {off[1]:,} | {off[2]:.2f} | {cell(r_off)} | "
                         f"{sym[0]:,} | {sym[1]:,} | {sym[2]:.2f} | {cell(r_sym)} | {agree} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    if args.markdown:
        Path(args.markdown).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
