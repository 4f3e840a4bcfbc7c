#!/usr/bin/env python3
"""The measured prototype of papcheck's level store (`checker.engine.store.LevelStore`, the
explorer's `_explore_levels`: `--store fingerprint` without POR): breadth-first search with
delayed duplicate detection (Korf's DDD; TLC's disk-based search does the same per level).

    python bench/store_levels.py                 # 4x2x6 (1,537,314 states, depth 33)
    python bench/store_levels.py --point 2x1x20  # 1,141,483 states, depth 75

Why: the fingerprint store probes a hash table in pure Python for every new state and every
duplicate that is not recent, which costs it 1.7x the time of the exact store (bench/store.py).
Here each level's successors go into a dict (C speed, as the exact store does); at the end of the
level the states seen before are removed in one C pass (`buffer.keys() & visited`, where
`visited` is an `array('Q')` of every state stored, in order, 8 bytes each), and the new states
are appended in bulk.  States of up to 64 bits are kept as they are: exact, no collision.  Parent
links are a second `array('Q')`.  The cost is one scan of `visited` per level: depth x states / 2
element visits at about 60 ns each, small for wide searches, large for searches thousands of
levels deep (then a hash index for small levels would be needed).

What integrating it needed (done in checker/engine/explore.py): violations examined at the level's end in discovery order,
with the transition count at the parent's expansion (to report the figures the exact store
reports); a deadlock or model error flushes the level first; `--max-states` checked at flushes;
the partial-order reduction's proviso asks `state in store` mid-level, so with POR the hash table
store stays; traces by `visited.index()` (a C scan per step).

Each search runs in this process, one after the other; the table gives CPU seconds and each
search's peak RSS (ru_maxrss of a child process per search).  The state and transition counts
must equal the exact engine's (exit 1 otherwise).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def constants(point: str) -> dict[str, int]:
    parts = [int(x) for x in point.split("x")]
    return {"ENACTORS": parts[0], "ENDPOINTS": parts[1], "PLANS": parts[2] if len(parts) > 2 else 6}


def levels_search(model) -> tuple[int, int, int]:
    """(states, transitions, depth) by level-synchronous BFS with delayed duplicate detection."""
    succ, inv = model.successors, model.violated_invariant
    init = list(dict.fromkeys(model.initial_states()))
    visited = array("Q", init)
    parents = array("Q", [0] * len(init))
    frontier = array("Q", init)
    transitions = depth = 0
    while frontier:
        buffer: dict[int, int] = {}
        for s in frontier:
            ts = succ(s)
            transitions += len(ts)
            for t in ts:
                if t not in buffer:
                    buffer[t] = s
        for t in buffer.keys() & visited:  # one C pass over every stored state
            del buffer[t]
        new = list(buffer)
        if any(inv(t) >= 0 for t in new):
            raise SystemExit("a violation: this benchmark wants a spec that holds")
        visited.extend(new)
        parents.extend(buffer.values())
        frontier = array("Q", new)
        depth += 1
    return len(visited), transitions, depth - 1


def child(kind: str, point: str) -> None:
    sys.path.insert(0, str(ROOT))
    from checker import api
    from checker.engine.explore import explore
    from checker.engine.store import make_store
    model = api.load(str(ROOT / "specs/reference_dns.pap"), constants(point)).model
    if model.layout.width > 64:
        raise SystemExit("states wider than 64 bits: pick a smaller point")
    t0 = time.process_time()
    if kind == "levels":
        states, transitions, depth = levels_search(model)
    else:
        r = explore(model, store=make_store(kind, model.layout.width))
        states, transitions, depth = r.stats.states, r.stats.transitions, r.stats.depth
    cpu = time.process_time() - t0
    print(states, transitions, depth, f"{cpu:.2f}", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--point", default="4x2x6", help="ENACTORSxENDPOINTS[xPLANS]")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.point)
        return 0
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; point {args.point}")
    rows = {}
    for kind in ("exact", "fingerprint", "levels"):
        out = subprocess.run([sys.executable, __file__, "--point", args.point, "--child", kind],
                             capture_output=True, text=True, check=True).stdout.split()
        rows[kind] = (int(out[0]), int(out[1]), int(out[2]), float(out[3]), int(out[4]))
    ex = rows["exact"]
    print("| search | states | transitions | depth | CPU s | peak RSS MB | CPU vs exact | peak vs exact |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, (n, tr, d, cpu, rss) in rows.items():
        print(f"| {kind} | {n:,} | {tr:,} | {d} | {cpu:.2f} | {rss / 1024:.0f} | {cpu / ex[3]:.2f}x | "
              f"{rss / ex[4]:.2f}x |")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    same = all(r[:3] == ex[:3] for r in rows.values())
    if not same:
        print("the counts differ from the exact engine's", file=sys.stderr)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
