"""Benchmark of the distributed search: the sequential search beside `--workers 1` and
`--workers 2` on points of the reference grid, with and without reductions.

    python bench/distributed.py                          # 3x2x6 and 4x2x6 -> bench/distributed-results.md
    python bench/distributed.py --points 4x2x8,5x2x6     # the issue's points (minutes each)

Per row: wall seconds of the search (Ray start-up excluded, reported apart), states, states/s in
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
os.environ["PAPCHECK_RAY_MEASURE"] = "1"

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
    args = ap.parse_args()
    import ray

    from checker.engine.distributed.search import Cluster

    t = time.perf_counter()
    ray.init(address="local", num_cpus=max(int(w) for w in args.workers.split(",")), include_dashboard=False,
             _node_ip_address="127.0.0.1", log_to_driver=False, configure_logging=False)
    startup = time.perf_counter() - t
    rows = []
    header = ["point", "reductions", "search", "wall s", "states", "states/s", "states/s/worker",
              "store B/state/worker", "RSS MB/worker", "msgs/state", "sent B/state", "equal"]
    clusters: dict[int, Cluster] = {}
    try:
        for pt in args.points.split(","):
            for cfg in args.configs.split(","):
                kw = CONFIGS[cfg]
                spec = api.load(str(ROOT / "specs/reference_dns.pap"), point(pt))
                rss0 = resident_bytes()
                seq = api.check(spec, **kw)
                s = seq.stats
                rows.append([pt, cfg, "sequential", f"{s.seconds:.1f}", f"{s.states:,}", f"{s.states_per_second:,.0f}",
                             f"{s.states_per_second:,.0f}", f"{s.bytes_per_state:.0f}",
                             f"{(resident_bytes() - rss0) / 2**20:.0f} (growth)", "-", "-", "oracle"])
                print(" | ".join(rows[-1]), flush=True)
                for w in (int(x) for x in args.workers.split(",")):
                    factory = functools.partial(api.distributed_parts, spec.checked.source.text, spec.path,
                                                dict(spec.constants))
                    c = clusters.get(w) or Cluster(factory, w).__enter__()
                    clusters[w] = c
                    c.factory = factory
                    r = api.check(spec, engine=c, **kw)
                    d = r.stats
                    f = c.figures
                    if c.lost:
                        print("worker lost:", c.lost, r.stop_reason)
                    ok = (d.states, d.transitions, d.depth, r.verdict) == (s.states, s.transitions, s.depth, seq.verdict)
                    per = [b / n for b, n in zip(f.bytes, f.states) if n]
                    rows.append([pt, cfg, f"--workers {w}", f"{d.seconds:.1f}", f"{d.states:,}",
                                 f"{d.states_per_second:,.0f}", f"{d.states_per_second / w:,.0f}",
                                 f"{max(per):.0f}", "/".join(f"{x / 2**20:.0f}" for x in f.rss),
                                 f"{sum(f.sent) / d.states:.2f}", f"{sum(f.sent_bytes) / d.states:.1f}",
                                 "yes" if ok else "MISMATCH"])
                    print(" | ".join(rows[-1]), flush=True)
    finally:
        for c in clusters.values():
            c.close()
        ray.shutdown()
    load = os.getloadavg()
    md = [f"Ray start-up (local, {args.workers} workers max): {startup:.1f} s, not included below. "
          f"Load average at the end: {load[0]:.1f} (2 cores).", "",
          "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    Path(args.markdown).write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
