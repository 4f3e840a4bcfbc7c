"""The driver of the distributed search: start (or join) Ray, create one owner actor per worker,
run the levels, choose the reported violation deterministically, rebuild traces across owners,
and shut the workers down on every exit path.

Per level: every owner expands its frontier and returns one batch per owner (successor -> the
smallest parent it saw); the batches go, as Ray object references (worker to worker, not
through the driver), to their owners, which store the new states and check the properties.  The
level that first shows a violation is finished on every owner; among its findings the reported
one is, in this order, a model error, a deadlock (both found expanding level d), an invariant
violation (a state of level d+1), each the smallest packed state of its kind.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from ..explore import Finding, Limits, ProgressFn, SearchResult, Stats, Terminated
from ..model import Model, ModelError, State
from ..store import EMPTY, FingerprintStore
from .owner import Owner, owner_of_fingerprint

INSTALL = "the distributed search needs Ray: pip install 'papcheck[ray]' (or pip install 'ray>=2.9')"


class RayMissing(ImportError):
    pass


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissing(INSTALL) from None
    return ray


@dataclass
class WorkerFigures:
    """Per-owner figures of the last run (for the benchmark and the progress display)."""

    states: list[int] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)  # successors sent to other owners
    sent_bytes: list[int] = field(default_factory=list)  # their pickled bytes (PAPCHECK_RAY_MEASURE=1)
    rss: list[int] = field(default_factory=list)  # each worker's resident memory at the last level


class Cluster:
    """A Ray session with `workers` search workers: a local instance on 127.0.0.1 (dashboard off)
    or an existing cluster at `address`.  Use as a context manager: Ray is shut down on exit."""

    def __init__(self, factory: Callable[[bool], tuple[Any, Callable[..., Any], Any]], workers: int,
                 address: str | None = None) -> None:
        self.ray = _ray()
        self.factory, self.workers, self.address = factory, workers, address
        self.owners: list[Any] = []
        self.figures = WorkerFigures()
        self.lost: str | None = None
        self._own_session = False

    def __enter__(self) -> Cluster:
        ray = self.ray
        if not ray.is_initialized():
            kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            handlers = _python_handlers()
            try:
                if self.address:
                    ray.init(address=self.address, **kw)
                else:
                    ray.init(address="local", num_cpus=self.workers, _node_ip_address="127.0.0.1", **kw)
            finally:
                _restore(handlers)  # Ray installs its own SIGTERM handler, which kills the process at once
            self._own_session = True
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        for a in self.owners:
            try:
                self.ray.kill(a)
            except Exception:  # already gone
                pass
        self.owners = []
        if self._own_session and self.ray.is_initialized():
            self.ray.shutdown()
            self._own_session = False

    def explore(self, model: Model[Any], *, strategy: str = "bfs", store: Any = None, limits: Limits | None = None,
                progress: ProgressFn | None = None, expand: Any = None, canon: Callable[[State], State] | None = None,
                only: Any = None, keep_going: bool = False, checkpoint: Any = None, **_: Any) -> SearchResult:
        """The distributed counterpart of :func:`checker.engine.explore.explore` (BFS only)."""
        if strategy != "bfs" or only is not None or keep_going or checkpoint is not None:
            raise ValueError("the distributed search is breadth-first, without --property, --continue "
                             "or --checkpoint")
        ray = self.ray
        limits = limits or Limits()
        kind = getattr(store, "name", "exact")
        props = list(model.properties)
        check_deadlock = any(p.kind == "deadlock_free" for p in props)
        deadlock_prop = next((p.index for p in props if p.kind == "deadlock_free"), -1)
        n = self.workers
        args = (kind, canon is not None, check_deadlock)
        if len(self.owners) == n and not self.lost:  # reuse the workers of the last search
            ray.get([a.reset.remote(self.factory, i, n, *args) for i, a in enumerate(self.owners)])
        else:
            self._start(n, args)
        owners = self.owners
        stats = Stats()

        proxy = _OwnersStore(self, kind, model.layout.width)  # type: ignore[attr-defined]  # compiled models only; the Model protocol has no layout
        result = SearchResult(False, "done", stats, proxy)
        started = time.perf_counter()
        deadline = started + limits.timeout if limits.timeout else None
        fp = proxy.fp
        found: Finding | None = None
        level = 0
        frontier = 0
        cut = False
        summaries: list[dict[str, Any]] = []
        try:
            init: list[dict[Any, None]] = [dict() for _ in range(n)]
            for s0 in model.initial_states():
                if canon is not None:
                    s0 = canon(s0)
                init[owner_of_fingerprint(fp(s0), n)].setdefault(s0, None)
            refs = [owners[i].receive.remote(init[i]) for i in range(n)]
            got = ray.get(refs)
            result.initial = sorted(s for b in init for s in b)
            found, frontier = self._received(got, result, stats, model)
            while found is None and frontier:
                if limits.max_depth is not None and level >= limits.max_depth:
                    cut = True
                    break
                stats.depth = level
                outs = [owners[i].expand_level.options(num_returns=n + 1).remote() for i in range(n)]
                summaries = ray.get([o[n] for o in outs])
                stats.transitions += sum(x["transitions"] for x in summaries)
                err = [x["error"] for x in summaries if x["error"] is not None]
                dead = [x["deadlock"] for x in summaries if x["deadlock"] is not None]
                if err:
                    s = min(err)
                    found = Finding("model_error", s, error=_model_error(model, s))
                elif dead:
                    found = Finding("deadlock", min(dead), deadlock_prop)
                got = ray.get([owners[j].receive.remote(*[outs[i][j] for i in range(n)]) for j in range(n)])
                level += 1
                f2, frontier = self._received(got, result, stats, model)
                if found is None and f2 is not None:
                    found = f2
                    stats.depth = level
                elif found is None and frontier:
                    stats.depth = level
                if limits.max_states is not None and stats.states >= limits.max_states and found is None:
                    result.stop_reason = "max_states"
                    break
                now = time.perf_counter()
                if deadline is not None and now >= deadline and found is None:
                    result.stop_reason = "timeout"
                    break
                if progress is not None:
                    stats.seconds, stats.queue = now - started, frontier
                    progress(stats)
        except KeyboardInterrupt as e:
            result.stop_reason = "terminated" if isinstance(e, Terminated) or Terminated.received else "interrupted"
        except ray.exceptions.RayError as e:
            result.stop_reason = "worker_lost"
            self.lost = _first_line(e)
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

    def _start(self, n: int, args: tuple[str, bool, bool]) -> None:
        ray = self.ray
        remote = ray.remote(Owner)
        for a in self.owners:
            ray.kill(a)
        self.lost = None
        self.owners = [remote.options(num_cpus=0 if self.address is None else 1, max_restarts=0,
                                      **self._options(i)).remote(self.factory, i, n, *args)
                       for i in range(n)]

    def _options(self, i: int) -> dict[str, Any]:
        """Per-worker actor options: PAPCHECK_RAY_HASHSEEDS=1 gives worker i PYTHONHASHSEED=i+1
        (a test that the partition never depends on Python's salted hash)."""
        if os.environ.get("PAPCHECK_RAY_HASHSEEDS"):
            return {"runtime_env": {"env_vars": {"PYTHONHASHSEED": str(i + 1)}}}
        return {}

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


def _python_handlers() -> dict[int, Any]:
    out: dict[int, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        h = signal.getsignal(sig)
        if callable(h) or h in (signal.SIG_DFL, signal.SIG_IGN):
            out[sig] = h
    return out


def _restore(handlers: dict[int, Any]) -> None:
    """Put back the command line's SIGTERM/SIGINT handlers (stop cleanly with partial figures)."""
    for sig, h in handlers.items():
        try:
            if signal.getsignal(sig) is not h:
                signal.signal(sig, h)
        except ValueError:  # not the main thread
            pass


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

    def __init__(self, cluster: Cluster, kind: str, width: int) -> None:
        self.cluster, self.name = cluster, kind
        self._fps = FingerprintStore(width, capacity=16)
        self.fp = self._fps.fingerprint
        if kind == "fingerprint":
            self.fingerprint = self._fps.fingerprint
            self.exact = self._fps.exact

    def __len__(self) -> int:
        return sum(self.cluster.figures.states)

    def memory_bytes(self) -> int:
        return sum(self.cluster.figures.bytes)

    def _owner(self, fp: int) -> Any:
        return self.cluster.owners[owner_of_fingerprint(fp, self.cluster.workers)]

    def parent(self, state: State) -> State | None:
        if self.name != "exact":
            raise TypeError("a fingerprint store keeps no states")
        return cast("State | None", self.cluster.ray.get(self._owner(self.fp(cast(int, state))).parent.remote(state)))  # distributed states are packed ints

    def __getattr__(self, name: str) -> Any:
        if self.__dict__.get("name") == "fingerprint":  # only a fingerprint store has these
            if name == "fingerprint_path":
                return self._fingerprint_path
            if name == "collision_probability":
                return self._collision_probability
        raise AttributeError(name)

    def _fingerprint_path(self, state: State) -> list[int]:
        ray = self.cluster.ray
        path = [self.fp(cast(int, state))]  # distributed states are packed ints
        while True:
            pf = ray.get(self._owner(path[-1]).parent_fingerprint.remote(path[-1]))
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


def pid_of_workers(cluster: Cluster) -> list[int]:
    """The process ids of the owner actors (tests kill one)."""
    return cast("list[int]", cluster.ray.get([a.pid.remote() for a in cluster.owners]))
