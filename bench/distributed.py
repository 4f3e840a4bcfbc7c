"""Benchmark of the partitioned search: the sequential search beside `--workers 1` and
`--workers 2` (the local backend: worker processes) on points of the reference grid, with and
without reductions.

    python bench/distributed.py                          # 3x2x6 and 4x2x6 -> bench/distributed-results.md
    python bench/distributed.py --points 4x2x8,5x2x6     # the issue's points (minutes each)

Per row: wall seconds of the search (starting the worker processes included), CPU seconds of
every process (driver and workers: robust when other jobs load the machine), states, states/s in
total and per worker, store bytes per state per worker (the store's own estimate, as the
sequential row), resident memory per worker, successors sent between workers per state and their
pickled bytes per state.  Every distributed row is checked against the sequential one (states,
transitions, depth, verdict); a mismatch is printed as MISMATCH.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PAPCHECK_MEASURE"] = "1"

from checker import api  # noqa: E402
from checker.engine.explore import resident_bytes  # noqa: E402

CONFIGS = {"no reductions": {"por": False, "symmetry": False}, "symmetry": {"por": False}}


def point(text: str) -> dict[str, int]:
    e, n, p = (int(x) for x in text.split("x"))
    return {"ENACTORS": e, "ENDPOINTS": n, "PLANS": p, "FIX": 1, "PURGE_AGE": 2}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", default="3x2x6,4x2x6")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--markdown", default=str(ROOT / "bench" / "distributed-results.md"))
    ap.add_argument("--oracle", metavar="STATES,TRANSITIONS,DEPTH,VERDICT",
                    help="skip the sequential search (one point, one configuration) and compare with these "
                         "figures of an earlier sequential run")
    args = ap.parse_args()
    from checker.engine.distributed.local import LocalPool

    load0 = os.getloadavg()
    rows = []
    header = ["point", "reductions", "search", "wall s", "CPU s", "states", "states/s", "states/s/worker",
              "store B/state/worker", "RSS MB/worker", "msgs/state", "sent B/state", "equal"]
    try:
        for pt in args.points.split(","):
            for cfg in args.configs.split(","):
                kw = CONFIGS[cfg]
                spec = api.load(str(ROOT / "specs/reference_dns.pap"), point(pt))
                if args.oracle:
                    o = args.oracle.split(",")
                    expected = (int(o[0]), int(o[1]), int(o[2]), o[3])
                else:
                    rss0 = resident_bytes()
                    cpu0 = time.process_time()
                    seq = api.check(spec, **kw)
                    cpu = time.process_time() - cpu0
                    s = seq.stats
                    expected = (s.states, s.transitions, s.depth, seq.verdict)
                    rows.append([pt, cfg, "sequential", f"{s.seconds:.1f}", f"{cpu:.1f}", f"{s.states:,}",
                                 f"{s.states_per_second:,.0f}", f"{s.states_per_second:,.0f}", f"{s.bytes_per_state:.0f}",
                                 f"{(resident_bytes() - rss0) / 2**20:.0f} (growth)", "-", "-", "oracle"])
                    print(" | ".join(rows[-1]), flush=True)
                for w in (int(x) for x in args.workers.split(",")):
                    factory = functools.partial(api.distributed_parts, spec.checked.source.text, spec.path,
                                                dict(spec.constants))
                    c = LocalPool(factory, w)  # new workers: their start-up is part of the row
                    cpu0 = time.process_time()
                    try:
                        r = api.check(spec, engine=c, **kw)
                        cpu = time.process_time() - cpu0 + sum(_cpu_seconds(pid) for pid in c.pids())
                    finally:
                        c.close()
                    d = r.stats
                    f = c.figures
                    if c.lost:
                        print("worker lost:", c.lost, r.stop_reason)
                    ok = (d.states, d.transitions, d.depth, r.verdict) == expected
                    per = [b / n for b, n in zip(f.bytes, f.states) if n]
                    rows.append([pt, cfg, f"--workers {w}", f"{d.seconds:.1f}", f"{cpu:.1f}", f"{d.states:,}",
                                 f"{d.states_per_second:,.0f}", f"{d.states_per_second / w:,.0f}",
                                 f"{max(per):.0f}", "/".join(f"{x / 2**20:.0f}" for x in f.rss),
                                 f"{sum(f.sent) / d.states:.2f}", f"{sum(f.sent_bytes) / d.states:.1f}",
                                 "yes" if ok else "MISMATCH"])
                    print(" | ".join(rows[-1]), flush=True)
    finally:
        pass
    load = os.getloadavg()
    md = [f"Load average (1 min) at the start: {load0[0]:.1f}, at the end: {load[0]:.1f} "
          f"({os.cpu_count()} cores).", "",
          "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    Path(args.markdown).write_text("\n".join(md) + "\n")
    print("\n".join(md))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (a worker, read before it is stopped)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the worker is gone (lost): its CPU time is unknown
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
