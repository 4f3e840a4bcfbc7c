"""The driver of the partitioned search, whatever carries its messages: run the levels, choose
the reported violation deterministically, aggregate the figures, and rebuild traces across owners.

Per level: every owner expands its frontier and returns one batch per owner (successor -> the
smallest parent it saw); the batches go to their owners, which store the new states and check the
properties.  The level that first shows a violation is finished on every owner (so the figures
reported with a violation are those of whole levels, the same for any number of workers); among
its findings the reported one is the sequential search's choice wherever that is fixed by length
and kind: the shortest counterexample first, so a deadlock of a level-d state (d steps) before a
model error met expanding level d (d+1 steps: the last one fails) and before a violation of a
level-(d+1) state (d+1 steps); at d+1 steps a model error met expanding level d, then a model
error met checking a property of a level-(d+1) state, then an invariant violation, each the
smallest packed state of its kind (the sequential search meets these three in its queue order,
which the partition does not keep: the tie-break documented in docs/distributed.md).

A backend (:mod:`.local`: worker processes on this machine; :mod:`.search`: Ray) subclasses
:class:`LevelSearch` and provides the transport: start or reset the owners, deliver the initial
states, run one level, look a parent up, close.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from ..explore import Finding, Limits, ProgressFn, SearchResult, Stats, Terminated, resident_bytes
from ..model import Model, ModelError, State
from ..store import EMPTY, FingerprintStore
from .owner import Factory, digest_function, owner_of_fingerprint


class WorkerLost(Exception):
    """A search worker died or stopped answering: the search ends incomplete with what it had."""


@dataclass
class WorkerFigures:
    """Per-owner figures of the last run (for the benchmark and the progress display)."""

    states: list[int] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)  # successors sent to other owners
    sent_bytes: list[int] = field(default_factory=list)  # their pickled bytes (PAPCHECK_MEASURE=1)
    rss: list[int] = field(default_factory=list)  # each worker's resident memory at the last level


Args = tuple[str, bool, bool]  # store kind, symmetry, check deadlock


class LevelSearch:
    """A level-synchronous, hash-partitioned breadth-first search over `workers` owners."""

    backend = "?"

    def __init__(self, factory: Factory, workers: int) -> None:
        self.factory, self.workers = factory, workers
        self.figures = WorkerFigures()
        self.lost: str | None = None
        self.stored: dict[int, int] = {}  # owner -> states it stored, as its last answer said

    # -- the transport (a backend provides these) ---------------------------------------------

    def _prepare(self, n: int, args: Args) -> None:
        """Start n owners (or reset the running ones) for a search with these settings."""
        raise NotImplementedError

    def _seed(self, batches: list[dict[Any, None]]) -> list[dict[str, Any]]:
        """Owner i receives batches[i] (the initial states it owns); their receive() answers."""
        raise NotImplementedError

    def _level(self, budgets: list[int | None]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One level: every owner expands, the batches reach their owners, which receive them
        (owner j stores at most budgets[j] new states, when not None).  The expansion summaries
        and the receive() answers."""
        raise NotImplementedError

    def _top_up(self, budgets: list[int]) -> list[dict[str, Any]]:
        """Owner j stores up to budgets[j] more of the states its last receive held back."""
        raise NotImplementedError

    def _parent(self, owner: int, state: State) -> State | None:
        raise NotImplementedError

    def _parent_fingerprint(self, owner: int, fp: int) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _lost_errors(self) -> tuple[type[BaseException], ...]:
        return (WorkerLost,)

    def __enter__(self) -> LevelSearch:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- the search ---------------------------------------------------------------------------

    def explore(self, model: Model[Any], *, strategy: str = "bfs", store: Any = None, limits: Limits | None = None,
                progress: ProgressFn | None = None, expand: Any = None, canon: Callable[[State], State] | None = None,
                only: Any = None, keep_going: bool = False, checkpoint: Any = None, **_: Any) -> SearchResult:
        """The partitioned counterpart of :func:`checker.engine.explore.explore` (BFS only)."""
        if strategy != "bfs" or only is not None or keep_going or checkpoint is not None:
            raise ValueError("the distributed search is breadth-first, without --property, --continue "
                             "or --checkpoint")
        limits = limits or Limits()
        kind = getattr(store, "name", "exact")
        props = list(model.properties)
        check_deadlock = any(p.kind == "deadlock_free" for p in props)
        deadlock_prop = next((p.index for p in props if p.kind == "deadlock_free"), -1)
        n = self.workers
        stats = Stats()
        width = model.layout.width  # type: ignore[attr-defined]  # compiled models only; the Model protocol has no layout
        proxy = _OwnersStore(self, kind, width)
        result = SearchResult(False, "done", stats, proxy)
        started = time.perf_counter()
        deadline = started + limits.timeout if limits.timeout else None
        digest = proxy.digest
        found: Finding | None = None
        level = 0
        frontier = 0
        cut = False
        summaries: list[dict[str, Any]] = []
        self.stored = {}
        try:
            self._prepare(n, (kind, canon is not None, check_deadlock))
            init: list[dict[Any, None]] = [dict() for _ in range(n)]
            for s0 in model.initial_states():
                if canon is not None:
                    s0 = canon(s0)
                init[owner_of_fingerprint(digest(s0), n)].setdefault(s0, None)
            got = self._seed(init)
            result.initial = sorted(s for b in init for s in b)
            found, frontier = self._received(got, result, stats, model)
            while found is None and frontier:
                if limits.max_depth is not None and level >= limits.max_depth:
                    cut = True
                    break
                stats.depth = level
                summaries, got = self._level(_budgets(limits.max_states, stats.states, n))
                self.figures.rss = [x["rss"] for x in summaries]
                stats.transitions += sum(x["transitions"] for x in summaries)
                err = [x["error"] for x in summaries if x["error"] is not None]
                dead = [x["deadlock"] for x in summaries if x["deadlock"] is not None]
                # the shortest counterexample first: a deadlock of level d (d steps) before a model
                # error met expanding level d (d+1 steps)
                if dead:
                    found = Finding("deadlock", min(dead), deadlock_prop)
                elif err:
                    s = min(err)
                    found = Finding("model_error", s, error=_model_error(model, s))
                level += 1
                f2, frontier = self._received(got, result, stats, model)
                if found is None and f2 is not None:
                    found = f2
                    stats.depth = level
                elif found is None and frontier:
                    stats.depth = level
                truncated = any(g.get("truncated") for g in got)
                while truncated and found is None and limits.max_states is not None \
                        and stats.states < limits.max_states:
                    # an owner's share ran out while another's was left over: share what is left
                    # among the owners that hold states back, until the limit is reached exactly
                    held = [j for j, g in enumerate(got) if g.get("truncated")]
                    shares = _budgets(limits.max_states, stats.states, len(held))
                    budgets = [0] * n
                    for j, b in zip(held, shares):
                        budgets[j] = b or 0
                    more = self._top_up(budgets)
                    for g, m in zip(got, more):
                        g["truncated"] = m["truncated"]
                    found, grown = self._received(more, result, stats, model)
                    frontier += grown
                    truncated = any(g["truncated"] for g in got)
                if limits.max_states is not None and found is None and (truncated or stats.states >= limits.max_states):
                    result.stop_reason = "max_states"
                    break
                now = time.perf_counter()
                if deadline is not None and now >= deadline and found is None:
                    result.stop_reason = "timeout"
                    break
                if limits.max_memory is not None and found is None and \
                        resident_bytes() + sum(self.figures.rss) >= limits.max_memory:
                    result.stop_reason = "max_memory"
                    break
                if progress is not None:
                    stats.seconds, stats.queue = now - started, frontier
                    progress(stats)
        except KeyboardInterrupt as e:
            result.stop_reason = "terminated" if isinstance(e, Terminated) or Terminated.received else "interrupted"
        except self._lost_errors() as e:
            result.stop_reason = "worker_lost"
            self.lost = _first_line(e)
            # the states stored when each owner last answered: the last complete level, plus
            # what the owners that answered before the loss stored of the next one
            stats.states = max(stats.states, sum(self.stored.values()))
        stats.seconds = time.perf_counter() - started
        stats.queue = frontier
        if summaries:
            self.figures.sent = [x["sent"] for x in summaries]
            self.figures.sent_bytes = [x["sent_bytes"] for x in summaries]
            self.figures.rss = [x["rss"] for x in summaries]
        if found is not None:
            result.findings.append(found)
            result.stop_reason = "violation"
        elif result.stop_reason == "done":
            if cut:
                result.stop_reason = "max_depth"
            result.complete = not cut
        return result

    def _received(self, got: list[dict[str, Any]], result: SearchResult, stats: Stats, model: Model[Any]
                  ) -> tuple[Finding | None, int]:
        stats.states = sum(g["states"] for g in got)
        stats.store_bytes = sum(g["bytes"] for g in got)
        self.figures.states = [g["states"] for g in got]
        self.figures.bytes = [g["bytes"] for g in got]
        level: dict[int, int] = {}  # witnesses of this level: the smallest state of the first level wins
        for g in got:
            for i, t in g["witnesses"].items():
                if i not in result.witnesses and (i not in level or t < level[i]):
                    level[i] = t
        result.witnesses.update(level)
        frontier = sum(g["new"] for g in got)
        errs = [g["error"] for g in got if g["error"] is not None]
        if errs:
            s = min(errs)
            return Finding("model_error", s, error=_property_error(model, s)), frontier
        bad = [g["violation"] for g in got if g["violation"] is not None]
        if bad:
            t, prop = min(bad)
            return Finding("invariant", t, prop), frontier
        return None, frontier


def _budgets(max_states: int | None, stored: int, n: int) -> list[int | None]:
    """Each owner's share of the states `--max-states` leaves (they sum to exactly what is left):
    the stored total never exceeds the limit."""
    if max_states is None:
        return [None] * n
    left = max(max_states - stored, 0)
    return [left // n + (1 if i < left % n else 0) for i in range(n)]


def _model_error(model: Model[Any], s: State) -> ModelError | None:
    try:
        model.successors(s)
    except ModelError as e:
        return e
    return None


def _property_error(model: Model[Any], s: State) -> ModelError | None:
    try:
        model.violated_invariant(s)
        model.witnesses(s)
    except ModelError as e:
        return e
    return None


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


class _OwnersStore:
    """The owners' stores seen as one (what path_to needs to rebuild a trace across owners)."""

    def __init__(self, search: LevelSearch, kind: str, width: int) -> None:
        self.search, self.name = search, kind
        self._fps = FingerprintStore(width, capacity=16)
        self.digest = digest_function(kind, width)
        if kind == "fingerprint":
            self.fingerprint = self._fps.fingerprint
            self.exact = self._fps.exact

    def __len__(self) -> int:
        return sum(self.search.figures.states)

    def memory_bytes(self) -> int:
        return sum(self.search.figures.bytes)

    def _owner(self, digest: int) -> int:
        return owner_of_fingerprint(digest, self.search.workers)

    def parent(self, state: State) -> State | None:
        if self.name != "exact":
            raise TypeError("a fingerprint store keeps no states")
        return self.search._parent(self._owner(self.digest(cast(int, state))), state)  # packed ints

    def __getattr__(self, name: str) -> Any:
        if self.__dict__.get("name") == "fingerprint":  # only a fingerprint store has these
            if name == "fingerprint_path":
                return self._fingerprint_path
            if name == "collision_probability":
                return self._collision_probability
        raise AttributeError(name)

    def _fingerprint_path(self, state: State) -> list[int]:
        path = [self._fps.fingerprint(cast(int, state))]  # distributed states are packed ints
        while True:
            pf = self.search._parent_fingerprint(self._owner(path[-1]), path[-1])
            if pf == EMPTY:
                break
            path.append(pf)
        path.reverse()
        return path

    def _collision_probability(self, transitions: int) -> float:
        if self._fps.exact:
            return 0.0
        n = len(self)
        return min(1.0, n * max(transitions - n, 0) / 2.0 ** 64)
