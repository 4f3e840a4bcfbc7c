"""Checkpoints of the breadth-first search, so a long run survives a crash, a kill or a CI timeout.

At a level boundary (every state of level d-1 expanded, none of level d yet) the search is fully
described by the store, the frontier (exactly the states of level d, in order), the counters, the
witnesses found so far and a reduction's own bookkeeping.  :class:`Checkpointer` writes that, at
most every `every` seconds, to ``DIR/search.ckpt`` (a pickle written to a temporary file and
renamed over the old one, so a kill while writing leaves the previous checkpoint intact) with a
readable ``DIR/checkpoint.json`` beside it.  Each checkpoint carries a digest of the spec text,
the constants and the search settings; resuming under another digest is refused with
:class:`CheckpointMismatch`, which names what differs.

The exact store is saved as its states in insertion order with each parent as an index (so a
parent link stays a shared reference after loading); the fingerprint store as its two arrays.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
from array import array
from dataclasses import dataclass, field
from typing import Any, cast

from ..lang.errors import UsageError
from .store import ExactStore, FingerprintStore, LevelStore, Store

FORMAT = 3  # 3: a breadth-first fingerprint search without POR keeps a level store (two arrays); 2: the fingerprint store indexes a segment by other hash bits, and hashes only states wider than 63 bits
DATA = "search.ckpt"
META = "checkpoint.json"


class CheckpointError(UsageError):
    """A checkpoint cannot be written or read (the message says why)."""


class CheckpointMismatch(CheckpointError):
    """The checkpoint is of another spec, other constants or other settings."""


def digest(identity: dict[str, Any]) -> str:
    """A stable digest of what a checkpoint must match: spec text, constants, settings (not the
    spec's path: a moved file is the same spec)."""
    identity = {k: v for k, v in identity.items() if k != "spec"}
    text = json.dumps(identity, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Snapshot:
    """The search at a level boundary."""

    level: int  # the depth of the frontier's states
    frontier: list[Any]  # the states of that level, in the order they will be expanded
    store_kind: str
    store_data: dict[str, Any]
    transitions: int
    expanded: int
    seconds: float  # search time before this checkpoint (all earlier sessions)
    pending: int
    inv_left: int
    check_deadlock: bool
    cut_by_depth: bool
    initial: list[Any]
    witnesses: dict[int, Any]
    findings: list[tuple[str, Any, int]]  # (kind, state, prop) of the findings recorded so far (`--continue`)
    counters: dict[str, int] = field(default_factory=dict)  # a reduction's counters


def dump_store(store: Store) -> tuple[str, dict[str, Any]]:
    if isinstance(store, LevelStore):
        return "fingerprint", {"visited": store.visited, "parents": store.parents}
    if isinstance(store, FingerprintStore):
        # the whole table: segments, the directory (whose slots share segments: pickle keeps that)
        return "fingerprint", {"table": dict(vars(store))}
    if isinstance(store, ExactStore):
        d = store._parent
        index = {s: i for i, s in enumerate(d)}
        parents = array("q", (-1 if p is None else index[p] for p in d.values()))
        return "exact", {"states": list(d), "parents": parents}
    raise CheckpointError(f"the {getattr(store, 'name', type(store).__name__)} store cannot be checkpointed")


def load_store(store: Store, kind: str, data: dict[str, Any]) -> None:
    """Fill an empty store of the same kind with a dumped store's contents."""
    if kind != getattr(store, "name", None):
        raise CheckpointMismatch(f"the checkpoint holds a {kind} store, this search uses a "
                                 f"{getattr(store, 'name', '?')} store")
    if isinstance(store, LevelStore) != ("visited" in data):
        raise CheckpointMismatch("the checkpoint holds another layout of the fingerprint store (one search used "
                                 "partial-order reduction or depth-first search, the other not)")
    if isinstance(store, LevelStore):
        store.visited.extend(data["visited"])
        store.parents.extend(data["parents"])
        return
    if isinstance(store, FingerprintStore):
        vars(store).update(data["table"])
        return
    assert isinstance(store, ExactStore)
    states, parents = data["states"], data["parents"]
    d = store._parent
    d.clear()
    for s, p in zip(states, parents):
        d[s] = None if p < 0 else states[p]


class Checkpointer:
    """Where and how often to save; what a checkpoint must match; the snapshot to resume from."""

    def __init__(self, directory: str, every: float, identity: dict[str, Any], resume: bool = False):
        self.directory = directory
        self.every = every
        self.identity = identity
        self.digest = digest(identity)
        self.last = time.monotonic()
        self.saved_level = -1
        self.saves = 0
        self.resumed: Snapshot | None = self._load() if resume else None

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def save(self, snap: Snapshot) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            tmp = os.path.join(self.directory, DATA + ".tmp")
            with open(tmp, "wb") as f:
                pickle.dump({"format": FORMAT, "digest": self.digest, "snapshot": snap}, f,
                            protocol=pickle.HIGHEST_PROTOCOL)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, os.path.join(self.directory, DATA))
            meta = {"format": FORMAT, "digest": self.digest, "identity": self.identity, "level": snap.level,
                    "states": _store_len(snap), "frontier": len(snap.frontier), "transitions": snap.transitions}
            mtmp = os.path.join(self.directory, META + ".tmp")
            with open(mtmp, "w", encoding="utf-8") as f:
                json.dump(meta, f, indent=2, sort_keys=True, default=str)
                f.write("\n")
            os.replace(mtmp, os.path.join(self.directory, META))
        except OSError as e:
            raise CheckpointError(f"cannot write a checkpoint in {self.directory}: {e.strerror or e}") from None
        self.last = time.monotonic()
        self.saved_level = snap.level
        self.saves += 1

    def _load(self) -> Snapshot:
        path = os.path.join(self.directory, DATA)
        meta_path = os.path.join(self.directory, META)
        if not os.path.isfile(path):
            raise CheckpointError(f"--resume {self.directory}: no checkpoint there ({DATA} is missing)")
        try:
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError):
            meta = {}
        if meta.get("digest") not in (None, self.digest):
            raise CheckpointMismatch(self._mismatch(meta.get("identity") or {}))
        try:
            with open(path, "rb") as f:
                data = pickle.load(f)
        except Exception as e:  # a truncated or foreign file
            raise CheckpointError(f"--resume {self.directory}: the checkpoint cannot be read ({type(e).__name__})") \
                from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            fmt = data.get("format") if isinstance(data, dict) else None
            raise CheckpointError(f"--resume {self.directory}: not a checkpoint of this papcheck version "
                                  f"(checkpoint format {fmt if fmt is not None else 'unknown'}, this version reads "
                                  f"format {FORMAT}); start afresh")
        if data.get("digest") != self.digest:
            raise CheckpointMismatch(self._mismatch(meta.get("identity") or {}))
        return cast(Snapshot, data["snapshot"])

    def _mismatch(self, theirs: dict[str, Any]) -> str:
        diffs = [k for k in sorted(set(theirs) | set(self.identity))
                 if k != "spec" and theirs.get(k) != self.identity.get(k)]
        what = ", ".join(_NAMES.get(k, k) for k in diffs) if diffs and theirs else "the spec, constants or settings"
        spec = theirs.get("spec", "?")
        return (f"--resume {self.directory}: the checkpoint is of another search (it differs in: {what}; "
                f"the checkpoint is of {spec} with {_consts(theirs.get('constants'))}, this run has "
                f"{_consts(self.identity.get('constants'))}); "
                "resume with the same spec text, constants and settings, or start afresh")


_NAMES = {"source": "the spec text", "constants": "the constants", "spec": "the spec file",
          "settings": "the search settings", "version": "the papcheck version"}


def _consts(c: Any) -> str:
    if not isinstance(c, dict) or not c:
        return "no constants"
    return " ".join(f"{k}={v}" for k, v in sorted(c.items()))


def _store_len(snap: Snapshot) -> int:
    if snap.store_kind == "exact":
        return len(snap.store_data["states"])
    if "visited" in snap.store_data:
        return len(snap.store_data["visited"])
    return int(snap.store_data["table"]["n"])
