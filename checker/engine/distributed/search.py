"""The Ray backend of the partitioned search (``check --cluster ADDRESS``): join a Ray cluster,
create one owner actor per worker, and carry each level's batches as Ray object references
(worker to worker, not through the driver).  The only module that imports ray, and only when
asked to.

Security: Ray's services (GCS, raylet, object manager, every worker) listen on all interfaces,
even for a local instance started with ``_node_ip_address="127.0.0.1"`` (measured with Ray
2.60), so papcheck never starts a Ray instance itself: ``--workers N`` alone runs the local
backend (:mod:`.local`), and Ray is only joined, at an address the user gives, on a cluster that
the user secured (token authentication; see docs/distributed.md).
"""

from __future__ import annotations

import os
import signal
from typing import Any, cast

from ..model import State
from .driver import Args, LevelSearch
from .owner import Factory, Owner

INSTALL = "--cluster needs Ray: pip install 'papcheck[ray]' (or pip install 'ray>=2.9')"


class RayMissing(ImportError):
    pass


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissing(INSTALL) from None
    return ray


class Cluster(LevelSearch):
    """A Ray session with `workers` search workers on the cluster at `address` (or, for the tests
    only, a Ray session the caller already started).  Use as a context manager: the actors are
    killed and a session this object opened is shut down on exit."""

    backend = "ray"

    def __init__(self, factory: Factory, workers: int, address: str | None = None) -> None:
        super().__init__(factory, workers)
        self.ray = _ray()
        self.address = address
        self.owners: list[Any] = []
        self._own_session = False

    def __enter__(self) -> Cluster:
        ray = self.ray
        if not ray.is_initialized():
            if not self.address:
                raise ValueError("papcheck does not start a Ray instance (its services listen on every "
                                 "interface): give the address of a cluster")
            kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            handlers = _python_handlers()
            try:
                ray.init(address=self.address, **kw)
            finally:
                _restore(handlers)  # Ray installs its own SIGTERM handler, which kills the process at once
            self._own_session = True
        return self

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

    def _lost_errors(self) -> tuple[type[BaseException], ...]:
        return (*super()._lost_errors(), self.ray.exceptions.RayError)

    def _prepare(self, n: int, args: Args) -> None:
        ray = self.ray
        if len(self.owners) == n and not self.lost:  # reuse the workers of the last search
            ray.get([a.reset.remote(self.factory, i, n, *args) for i, a in enumerate(self.owners)])
            return
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

    def _seed(self, batches: list[dict[Any, None]]) -> list[dict[str, Any]]:
        return cast("list[dict[str, Any]]",
                    self.ray.get([o.receive.remote(batches[i]) for i, o in enumerate(self.owners)]))

    def _level(self, budgets: list[int | None]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        ray, owners, n = self.ray, self.owners, self.workers
        outs = [owners[i].expand_level.options(num_returns=n + 1).remote() for i in range(n)]
        summaries = ray.get([o[n] for o in outs])
        got = ray.get([owners[j].receive.remote(*[outs[i][j] for i in range(n)], budget=budgets[j]) for j in range(n)])
        return summaries, got

    def _top_up(self, budgets: list[int]) -> list[dict[str, Any]]:
        return cast("list[dict[str, Any]]", self.ray.get([o.top_up.remote(b) for o, b in zip(self.owners, budgets)]))

    def _parent(self, owner: int, state: State) -> State | None:
        return cast("State | None", self.ray.get(self.owners[owner].parent.remote(state)))

    def _parent_fingerprint(self, owner: int, fp: int) -> int:
        return cast(int, self.ray.get(self.owners[owner].parent_fingerprint.remote(fp)))

    def pids(self) -> list[int]:
        """The process ids of the owner actors (tests kill one)."""
        return cast("list[int]", self.ray.get([a.pid.remote() for a in self.owners]))


def pid_of_workers(cluster: Cluster) -> list[int]:
    return cluster.pids()


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
