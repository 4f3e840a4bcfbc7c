"""Random simulation on several worker processes (``simulate --workers N``): many walkers, each
taking its share of the walks, every walk with its own seed (``"{seed}:{walk}"``, see
:mod:`checker.engine.simulate`), so the walks are the same whatever the number of workers.

The walks are taken in rounds of :data:`ROUND` (walk ``r`` of round ``k`` goes to worker
``r mod N``).  A round is always completed, even after a violation, and the simulation stops at
the end of the first round with one: the reported violation is that of the lowest-numbered
violating walk (the one a single process finds first), and the coverage figures (walks, steps,
distinct states, transitions fired, witnesses) are those of every walk of the rounds taken, the
same for any number of workers.  Without ``--workers`` the simulation stops at the violating
walk itself, so its coverage figures count fewer walks.
"""

from __future__ import annotations

import time
from typing import Any

from ..explore import Terminated, resident_bytes
from ..model import State
from ..simulate import ProgressFn, Simulation, simulate
from .driver import WorkerLost
from .local import WorkerProcesses
from .owner import Factory

ROUND = 64  # walks a round


class Walker:
    """One worker's walks (built in the worker process from the spec text)."""

    def __init__(self, factory: Factory, runs: int, depth: int, seed: int) -> None:
        self.model = factory(False)[0]
        self.runs, self.depth, self.seed = runs, depth, seed
        self.seen: set[State] = set()

    def walk(self, walks: range) -> tuple[Simulation, list[State]]:
        """Take these walks (all of them); the figures and the states not seen before here."""
        seen: set[State] = set()
        sim = simulate(self.model, runs=self.runs, depth=self.depth, seed=self.seed, walk_range=walks,
                       seen=seen, whole_range=True)
        new = list(seen - self.seen)
        self.seen.update(new)
        if sim.finding is not None and sim.finding.error is not None:
            sim.finding.error = None  # not picklable in general; the driver replays the walk
        return sim, new


def simulate_workers(model: Any, factory: Factory, workers: int, *, runs: int = 1000, depth: int = 100,
                     seed: int = 0, timeout: float | None = None, max_memory: int | None = None,
                     progress: ProgressFn | None = None) -> Simulation:
    """The simulation of :func:`checker.engine.simulate.simulate` on `workers` processes."""
    total = Simulation(seed, runs, depth, fired=[0] * len(model.actions))
    total.deadlocks_checked = any(p.kind == "deadlock_free" for p in model.properties)
    seen: set[State] = set()
    started = time.perf_counter()
    deadline = started + timeout if timeout else None
    pool = WorkerProcesses()
    try:
        pool.start([(Walker, (factory, runs, depth, seed)) for _ in range(workers)])
        for lo in range(0, runs, ROUND):
            hi = min(lo + ROUND, runs)
            got = pool.call("walk", [(range(lo + i, hi, workers),) for i in range(workers)])
            best: Simulation | None = None
            for sim, new in got:
                total.walks += sim.walks
                total.steps += sim.steps
                total.fired = [a + b for a, b in zip(total.fired, sim.fired)]
                for prop, walk in sim.witnessed.items():
                    if prop not in total.witnessed or walk < total.witnessed[prop]:
                        total.witnessed[prop] = walk
                seen.update(new)
                if sim.finding is not None and (best is None or sim.walk < best.walk):
                    best = sim
            total.distinct = len(seen)
            if best is not None:
                total.finding, total.path, total.labels = best.finding, best.path, best.labels
                total.walk, total.failing = best.walk, best.failing
                total.stop_reason = "violation"
                _replay_error(model, total)
                break
            now = time.perf_counter()
            if deadline is not None and now >= deadline and hi < runs:
                total.stop_reason = "timeout"
                break
            if max_memory is not None and hi < runs and resident_bytes() * (workers + 1) >= max_memory:
                total.stop_reason = "max_memory"
                break
            if progress is not None:
                total.seconds = now - started
                progress(total)
    except KeyboardInterrupt as e:
        total.stop_reason = "terminated" if isinstance(e, Terminated) or Terminated.received else "interrupted"
    except WorkerLost as e:
        total.stop_reason = "worker_lost"
        pool.lost = str(e)
    finally:
        pool.close()
    total.distinct = len(seen)
    total.seconds = time.perf_counter() - started
    return total


def _replay_error(model: Any, sim: Simulation) -> None:
    """A model error's exception, found again in the driver (the walkers send none)."""
    f = sim.finding
    if f is None or f.kind != "model_error":
        return
    from ..model import ModelError
    try:
        if sim.failing is not None:
            model.labeled_successors(f.state)
        else:
            model.violated_invariant(f.state)
            model.witnesses(f.state)
    except ModelError as e:
        f.error = e
