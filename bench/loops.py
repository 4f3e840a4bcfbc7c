"""Benchmark of bounded loops: a `for` loop over 8 endpoints beside the same 8 statements written
out, compiled successor speed (issue 10: the loop within 1.2x of the written-out statements).

    python bench/loops.py                 # prints a markdown table
    python bench/loops.py --repeat 7

Three pairs, each a loop spec and its hand-written twin with equal state and transition counts
(checked, a mismatch is printed as MISMATCH):

* static: `for e in Endpoint` over a type: unrolled, the same generated code as the twin;
* dynamic range: `for e in 0..hi` with a variable bound: a Python loop, against eight `if e <= hi`;
* set domain: `for e in dirty` over a set variable: a Python loop over the set's members taken
  before the first iteration, against eight `if e in dirty`.

Per row: the reachable states are collected once; then the compiled successor function runs over
all of them (as many passes as make 50,000 calls), `--repeat` times, and the best time per pass
is kept (the machine is shared: the minimum is
the least disturbed run).  Ratio = loop time / written-out time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import api  # noqa: E402

HEAD = """protocol Loops
type Endpoint = 0..7
type Gen = 0..1
var record: map[Endpoint, Gen] = 0
var gen: Gen = 0
var hi: 0..7 = 0
var dirty: set[Endpoint] = {}
machine W {
  state s {
    on bump when gen < 1 { gen := gen + 1 }
    on widen when hi < 7 { hi := hi + 1 }
    on mark(e: Endpoint) when e not in dirty and e <= hi and len(dirty) < 1 { dirty.add(e) }
    on write {
      BODY
    }
    on clear when gen == 1 { gen := 0; hi := 0; dirty := {} }
  }
}
"""

LOOPS = {
    "static": ("for e in Endpoint { if record[e] < gen { record[e] := gen } }",
               " ".join(f"if record[{e}] < gen {{ record[{e}] := gen }}" for e in range(8))),
    "dynamic range": ("for e in 0..hi { if record[e] < gen { record[e] := gen } }",
                      " ".join(f"if {e} <= hi {{ if record[{e}] < gen {{ record[{e}] := gen }} }}" for e in range(8))),
    "set domain": ("for e in dirty { record[e] := gen\n dirty.remove(e) }",
                   " ".join(f"if {e} in dirty {{ record[{e}] := gen; dirty.remove({e}) }}" for e in range(8))),
}


def reachable(spec: api.Spec) -> list[int]:
    model = spec.model
    seen = set(model.initial_states())
    todo = list(seen)
    while todo:
        s = todo.pop()
        for t in model.successors(s):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return sorted(seen)


def best_time(spec: api.Spec, states: list[int], repeat: int) -> float:
    """Seconds for one pass of the successor function over the states (each run makes enough
    passes to cover 50,000 calls, so small state spaces are timed over more than a millisecond)."""
    succ = spec.model.successors
    passes = max(1, 50_000 // len(states))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(passes):
            for s in states:
                succ(s)
        best = min(best, (time.perf_counter() - t0) / passes)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (the machine is shared; best of {args.repeat} runs)")
    print()
    print("| domain | states | transitions | loop ms/pass | written-out ms/pass | ratio | target | counts |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (loop_body, hand_body) in LOOPS.items():
        loop = api.load_text(HEAD.replace("BODY", loop_body), "loop.pap")
        hand = api.load_text(HEAD.replace("BODY", hand_body), "hand.pap")
        states = reachable(loop)
        rl, rh = api.check(loop, por=False, symmetry=False), api.check(hand, por=False, symmetry=False)
        same = (rl.stats.states, rl.stats.transitions) == (rh.stats.states, rh.stats.transitions) \
            and set(states) == set(reachable(hand))
        tl, th = best_time(loop, states, args.repeat), best_time(hand, states, args.repeat)
        ratio = tl / th
        print(f"| {name} | {rl.stats.states:,} | {rl.stats.transitions:,} | {tl * 1000:.1f} | {th * 1000:.1f} | "
              f"{ratio:.2f}x | {'met' if ratio <= 1.2 else 'MISSED'} (<= 1.2x) | {'equal' if same else 'MISMATCH'} |",
              flush=True)


if __name__ == "__main__":
    main()
