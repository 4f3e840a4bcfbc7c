"""Random simulation: many random walks through a model whose state space is too large to exhaust
(TLC's `-simulate`, SPIN's random simulation).

Walk `r` of a simulation with seed `seed` draws its choices from its own generator, seeded with the
text ``"{seed}:{r}"`` (string seeds are hashed with SHA-512, not Python's salted `hash()`), so a run
is reproducible on any machine and under any PYTHONHASHSEED, and walkers can be split between
processes without changing what any of them does.  Walks are taken in order; the first violation
(an invariant broken, a deadlock, a model error) ends the simulation, and its walk is the
counterexample: a real, replayable run, but not necessarily a shortest one.

Coverage is counted over the walks taken: steps, distinct states seen, how many times each
transition (each action: an instance's transition) fired, which never fired, and which `reachable`
properties were witnessed.  Liveness properties are not judged by simulation.  Nothing here prints.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .explore import Finding, Terminated, resident_bytes
from .model import Label, Model, ModelError, State


@dataclass
class Simulation:
    """What a simulation saw, and the first violation it met (if any)."""

    seed: int
    runs: int  # walks asked for
    depth: int  # the longest walk, in steps
    walks: int = 0  # walks taken (fewer than `runs` after a violation or a stop)
    steps: int = 0
    distinct: int = 0  # distinct states seen (initial states included)
    fired: list[int] = field(default_factory=list)  # per action id: how many times it fired
    witnessed: dict[int, int] = field(default_factory=dict)  # property index -> walk that first reached it
    finding: Finding | None = None
    path: list[State] = field(default_factory=list)  # the violating walk's states
    labels: list[Label] = field(default_factory=list)  # its steps' labels
    failing: Label | None = None  # the transition that raised a model error, if one did
    walk: int = -1  # the index of the violating walk
    stop_reason: str = "done"  # "done", "violation", "timeout", "max_memory", "interrupted", "terminated"
    seconds: float = 0.0
    deadlocks_checked: bool = False

    @property
    def never_fired(self) -> list[int]:
        return [a for a, n in enumerate(self.fired) if n == 0]


ProgressFn = Callable[[Simulation], None]


def simulate(model: Model[Any], *, runs: int = 1000, depth: int = 100, seed: int = 0,
             timeout: float | None = None, max_memory: int | None = None,
             progress: ProgressFn | None = None, progress_every: float = 0.25,
             walk_range: range | None = None, seen: set[State] | None = None,
             whole_range: bool = False) -> Simulation:
    """Take walks `walk_range` (default: all `runs`) of `depth` steps at most; stop at the first
    violation.  A walk also ends in a state with no successor (a deadlock when the spec asks for
    deadlock freedom and not every instance is final).  `seen` collects the states seen (a
    caller's set); `whole_range` takes every walk of the range even after a violation, keeping
    the first (the parallel walkers complete a round of walks, see distributed/walkers.py)."""
    sim = Simulation(seed, runs, depth, fired=[0] * len(model.actions))  # type: ignore[attr-defined]
    props = list(model.properties)
    check_deadlock = any(p.kind == "deadlock_free" for p in props)
    deadlock_prop = next((p.index for p in props if p.kind == "deadlock_free"), -1)
    sim.deadlocks_checked = check_deadlock
    has_inv = any(p.kind == "invariant" for p in props)
    pending = 0
    for p in props:
        if p.kind == "reachable":
            pending |= 1 << p.index
    inv, reach, labeled = model.violated_invariant, model.witnesses, model.labeled_successors
    initial = list(model.initial_states())
    seen = seen if seen is not None else set()
    fired = sim.fired
    started = time.perf_counter()
    last_report = started
    deadline = started + timeout if timeout else None
    walks = walk_range if walk_range is not None else range(runs)
    try:
        for r in walks:
            rng = random.Random(f"{seed}:{r}")
            s = initial[rng.randrange(len(initial))]
            path, labels = [s], []
            walk_failing = None
            sim.walks += 1
            seen.add(s)
            finding = _examine(inv, reach, s, has_inv, pending, sim, r)
            if finding is not None:
                pending = _pending(pending, sim)
            for _ in range(depth):
                if finding is not None and finding.kind != "reachable":
                    break
                finding = None
                try:
                    succ = labeled(s)
                except ModelError as e:
                    finding = Finding("model_error", s, error=e)
                    walk_failing = e.label
                    break
                if not succ:
                    if check_deadlock and not model.is_final(s):
                        finding = Finding("deadlock", s, deadlock_prop)
                    break
                lab, s = succ[rng.randrange(len(succ))]
                fired[lab.action] += 1
                sim.steps += 1
                path.append(s)
                labels.append(lab)
                seen.add(s)
                finding = _examine(inv, reach, s, has_inv, pending, sim, r)
                if finding is not None and finding.kind == "reachable":
                    pending = _pending(pending, sim)
            if finding is not None and finding.kind != "reachable" and sim.finding is None:
                sim.finding, sim.path, sim.labels, sim.walk = finding, path, labels, r
                sim.failing = walk_failing
                sim.stop_reason = "violation"
                if not whole_range:
                    break
            if not sim.walks & 15:
                now = time.perf_counter()
                if deadline is not None and now >= deadline:
                    sim.stop_reason = "timeout"
                    break
                if max_memory is not None and resident_bytes() >= max_memory:
                    sim.stop_reason = "max_memory"
                    break
                if progress is not None and now - last_report >= progress_every:
                    last_report = now
                    sim.distinct, sim.seconds = len(seen), now - started
                    progress(sim)
    except KeyboardInterrupt as e:
        sim.stop_reason = "terminated" if isinstance(e, Terminated) else "interrupted"
    except MemoryError:
        seen_n = len(seen)
        seen.clear()
        sim.distinct = seen_n
        sim.stop_reason = "max_memory"
    sim.distinct = max(sim.distinct, len(seen))
    sim.seconds = time.perf_counter() - started
    return sim


def _examine(inv: Callable[[State], int], reach: Callable[[State], int], s: State, has_inv: bool, pending: int, sim: Simulation, walk: int) -> Finding | None:
    """An invariant violation (it ends the simulation) or a new witness (noted, the walk goes on)."""
    try:
        if has_inv:
            bad = inv(s)
            if bad >= 0:
                return Finding("invariant", s, bad)
        if pending:
            hit = reach(s) & pending
            if hit:
                i = 0
                while hit:
                    if hit & 1:
                        sim.witnessed.setdefault(i, walk)
                    hit >>= 1
                    i += 1
                return Finding("reachable", s)
    except ModelError as e:
        return Finding("model_error", s, error=e)
    return None


def _pending(pending: int, sim: Simulation) -> int:
    for i in sim.witnessed:
        pending &= ~(1 << i)
    return pending
