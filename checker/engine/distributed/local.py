"""The local backend of the partitioned search (``check --workers N``): N worker processes on this
machine, each an :class:`~.owner.Owner`, driven over pipes.  Nothing listens on any network
interface: the workers are started with multiprocessing's "spawn" method and talk to the driver
over anonymous pipes only (socketpairs), never a listening socket.

Per level the driver tells every worker to expand; a worker answers with its summary and one
pickled batch per other owner (its own batch stays where it is); the driver hands the bytes on,
unopened, to their owners, and tells them to receive.

Workers never outlive the driver: each asks the kernel to kill it when its parent dies
(``PR_SET_PDEATHSIG`` on Linux; elsewhere a thread watches the parent's pid), exits when its pipe
closes, ignores SIGINT (a Ctrl-C reaches the whole process group: the driver stops the search
and reports, then kills them), and :meth:`LocalPool.close` ends them on every other exit path.
A worker that dies mid-search ends the search as "worker_lost" with the figures so far.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections.abc import Callable
from typing import Any

from ..model import State
from ..processes import die_with_parent
from .driver import Args, LevelSearch, WorkerLost
from .owner import Factory, Owner


class WorkerProcesses:
    """Worker processes on this machine, each hosting one object (`maker(*args)`) that the driver
    calls over a pipe.  Use as a context manager (or call close())."""

    def __init__(self) -> None:
        self.procs: list[Any] = []
        self.conns: list[Any] = []
        self._clean = False  # the workers are between two operations (a search may reuse them)
        self.lost: str | None = None

    def __enter__(self) -> WorkerProcesses:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self, makers: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> None:
        """One process per (maker, args); returns when every object is built."""
        self.close()
        ctx = multiprocessing.get_context("spawn")
        seeds = bool(os.environ.get("PAPCHECK_HASHSEEDS"))
        saved = os.environ.get("PYTHONHASHSEED")
        try:
            for i, (maker, margs) in enumerate(makers):
                here, there = ctx.Pipe(duplex=True)
                if seeds:  # a test: worker i runs under PYTHONHASHSEED=i+1
                    os.environ["PYTHONHASHSEED"] = str(i + 1)
                p = ctx.Process(target=_worker_main, args=(there, os.getpid(), maker, margs),
                                name=f"papcheck-worker-{i}", daemon=True)
                p.start()
                there.close()
                self.procs.append(p)
                self.conns.append(here)
        finally:
            if seeds:
                if saved is None:
                    os.environ.pop("PYTHONHASHSEED", None)
                else:
                    os.environ["PYTHONHASHSEED"] = saved
        for i in range(len(makers)):
            self._answer(i)  # each built its model (a spec error would show here)

    def call(self, name: str, args: list[tuple[Any, ...]]) -> list[Any]:
        """obj.name(*args[i]) on every worker i, all at once; their answers."""
        self._clean = False
        for i, a in enumerate(args):
            self._send(i, "call", (name, a))
        out = [self._answer(i) for i in range(len(args))]
        self._clean = True
        return out

    def close(self) -> None:
        """Stop every worker: ask, then SIGTERM, then SIGKILL; wait for each."""
        for c in self.conns:
            try:
                c.send(("stop", None))
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 1.0
        for p in self.procs:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.terminate()
                p.join(1.0)
            if p.is_alive():
                p.kill()
                p.join()
        for c in self.conns:
            c.close()
        self.procs, self.conns = [], []
        self._clean = False

    def pids(self) -> list[int]:
        """The process ids of the workers (tests kill one)."""
        return [p.pid for p in self.procs]

    # -- messages -------------------------------------------------------------------------------

    def _send(self, i: int, op: str, payload: Any = None) -> None:
        try:
            self.conns[i].send((op, payload))
        except (OSError, ValueError) as e:
            raise WorkerLost(self._why(i, e)) from None

    def _answer(self, i: int) -> Any:
        try:
            status, value = self.conns[i].recv()
        except (EOFError, OSError) as e:
            raise WorkerLost(self._why(i, e)) from None
        if status == "ok":
            return value
        if status == "lost":
            raise WorkerLost(f"search worker {i}: {value}")
        raise RuntimeError(f"search worker {i} failed:\n{value}")

    def _why(self, i: int, e: BaseException) -> str:
        p = self.procs[i]
        p.join(0.5)
        code = p.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"search worker {i} (pid {p.pid}) was killed by {name}"
        if code is not None:
            return f"search worker {i} (pid {p.pid}) exited with status {code}"
        return f"search worker {i} (pid {p.pid}) stopped answering ({type(e).__name__})"

    def _recv_bytes(self, i: int) -> bytes:
        try:
            return bytes(self.conns[i].recv_bytes())
        except (EOFError, OSError) as e:
            raise WorkerLost(self._why(i, e)) from None

    def _send_bytes(self, i: int, data: bytes) -> None:
        try:
            self.conns[i].send_bytes(data)
        except (OSError, ValueError) as e:
            raise WorkerLost(self._why(i, e)) from None


class LocalPool(WorkerProcesses, LevelSearch):
    """`workers` search processes on this machine, each an Owner.  Use as a context manager."""

    backend = "local"

    def __init__(self, factory: Factory, workers: int) -> None:
        WorkerProcesses.__init__(self)
        LevelSearch.__init__(self, factory, workers)

    def __enter__(self) -> LocalPool:
        return self

    def _prepare(self, n: int, args: Args) -> None:
        if self._clean and len(self.procs) == n and all(p.is_alive() for p in self.procs):
            self.call("reset", [(self.factory, i, n, *args) for i in range(n)])
        else:
            self.start([(Owner, (self.factory, i, n, *args)) for i in range(n)])
        self.lost = None

    def _seed(self, batches: list[dict[Any, None]]) -> list[dict[str, Any]]:
        self._clean = False
        for i, b in enumerate(batches):
            self._send(i, "seed", b)
        got = [self._stored(i, self._answer(i)) for i in range(len(batches))]
        self._clean = True
        return got

    def _stored(self, i: int, answer: dict[str, Any]) -> dict[str, Any]:
        """Note what owner i has stored as each answer arrives (a worker lost later in the level
        leaves the others' figures)."""
        self.stored[i] = answer["states"]
        return answer

    def _level(self, budgets: list[int | None]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        n = self.workers
        self._clean = False
        for i in range(n):
            self._send(i, "expand")
        summaries = []
        blobs: list[list[bytes]] = []
        for i in range(n):
            summaries.append(self._answer(i))
            blobs.append([self._recv_bytes(i) for _ in range(n - 1)])  # for each j != i, in order
        for j in range(n):
            self._send(j, "receive", budgets[j])
            for i in range(n):
                if i != j:
                    self._send_bytes(j, blobs[i][j if j < i else j - 1])
        got = [self._stored(j, self._answer(j)) for j in range(n)]
        self._clean = True
        return summaries, got

    def _top_up(self, budgets: list[int]) -> list[dict[str, Any]]:
        return [self._stored(j, a) for j, a in enumerate(self.call("top_up", [(b,) for b in budgets]))]

    def _parent(self, owner: int, state: State) -> State | None:
        self._send(owner, "parent", state)
        return self._answer(owner)  # type: ignore[no-any-return]

    def _parent_fingerprint(self, owner: int, fp: int) -> int:
        self._send(owner, "parent_fp", fp)
        return int(self._answer(owner))


# -- the worker process ---------------------------------------------------------------------------

def _worker_main(conn: Any, parent: int, maker: Callable[..., Any], margs: tuple[Any, ...]) -> None:
    die_with_parent(parent, watch=True)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        try:
            owner = maker(*margs)
        except BaseException:
            conn.send(("error", traceback.format_exc()))
            return
        conn.send(("ok", os.getpid()))
        keep: Any = None
        while True:
            op, payload = conn.recv()
            try:
                if op == "stop":
                    return
                if op == "expand":
                    out = owner.expand_level()
                    keep = out[owner.index]
                    conn.send(("ok", out[owner.n]))
                    for j in range(owner.n):
                        if j != owner.index:
                            conn.send_bytes(pickle.dumps(out[j], pickle.HIGHEST_PROTOCOL))
                    del out
                elif op == "receive":
                    batches = [keep] + [pickle.loads(conn.recv_bytes()) for _ in range(owner.n - 1)]
                    keep = None
                    conn.send(("ok", owner.receive(*batches, budget=payload)))
                elif op == "seed":
                    conn.send(("ok", owner.receive(payload)))
                elif op == "call":
                    name, a = payload
                    keep = None
                    conn.send(("ok", getattr(owner, name)(*a)))
                elif op == "parent":
                    conn.send(("ok", owner.parent(payload)))
                elif op == "parent_fp":
                    conn.send(("ok", owner.parent_fingerprint(payload)))
                else:
                    conn.send(("error", f"unknown request {op!r}"))
            except MemoryError:
                keep = None
                conn.send(("lost", "out of memory"))
            except (EOFError, BrokenPipeError, KeyboardInterrupt):
                raise
            except Exception:
                conn.send(("error", traceback.format_exc()))
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        return
    finally:
        conn.close()
