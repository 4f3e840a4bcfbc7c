"""The search: one loop over a frontier (breadth-first or depth-first) on any Model and Store.

Breadth-first (the default) finds every violation, witness and model error at the smallest depth,
so every trace it reports is a shortest one.  The loop checks invariants and `reachable`
witnesses when a state is first stored, detects deadlocks when a state has no successor, and stops
cleanly on a limit (states, depth, time, memory) or Ctrl-C with status "incomplete".  Nothing here
prints; progress goes to an optional callback.
"""

from __future__ import annotations

import math
import os
import resource
import sys
import time
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from .frontier import PackedFifo
from .model import Label, Model, ModelError, State
from .store import ExactStore, LevelStore, Store

if TYPE_CHECKING:
    from .checkpoint import Checkpointer, Snapshot


@dataclass
class Limits:
    max_states: int | None = None
    max_depth: int | None = None
    timeout: float | None = None
    max_memory: int | None = None  # bytes of resident memory (`--max-memory`)


def parse_size(text: str | int) -> int:
    """A memory size in bytes: `500M`, `2G`, `1.5GiB`, `800000000` (suffixes K, M, G, T, powers of
    1024, with or without `B`/`iB`).  ValueError for anything else or a size under 1 MiB."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a memory size")
    if isinstance(text, int):
        n = text
    else:
        raw = str(text).strip().upper().replace(" ", "")
        for suffix in ("IB", "B"):
            if raw.endswith(suffix) and raw[:-len(suffix)][-1:] in "KMGT":
                raw = raw[:-len(suffix)]
                break
        mult = 1
        if raw[-1:] in ("K", "M", "G", "T"):
            mult = 1024 ** ("KMGT".index(raw[-1]) + 1)
            raw = raw[:-1]
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{text!r} is not a memory size (examples: 500M, 2G)") from None
        if not math.isfinite(value):
            raise ValueError(f"{text!r} is not a memory size (examples: 500M, 2G)")
        n = int(value * mult)
    if n < 1 << 20:
        raise ValueError(f"{text!r} is too small a memory limit (at least 1M)")
    return n


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int:
    """This process's resident memory now: /proc/self/statm on Linux (one small read), else the
    peak from getrusage (kilobytes on Linux, bytes on macOS)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


@dataclass
class Stats:
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    queue: int = 0
    peak_memory_kb: int = 0
    store_bytes: int = 0
    phase: str = "safety search"  # which search these figures are of (for a progress display)
    expected: int = 0  # the states this phase expects to visit (an estimate said before it starts), 0: unknown

    @property
    def states_per_second(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0

    @property
    def bytes_per_state(self) -> float:
        return self.store_bytes / self.states if self.states else 0.0


@dataclass
class Finding:
    """Something the search found: a violated invariant, a witness, a deadlock, a model error."""

    kind: str  # "invariant", "reachable", "deadlock", "model_error"
    state: State  # the violating / witnessing state (for a model error: the state it fired in)
    prop: int = -1  # property index, when a property is concerned
    error: ModelError | None = None


@dataclass
class SearchResult:
    complete: bool  # the whole reachable space within the limits was explored
    stop_reason: str  # "done", "violation", "max_states", "max_depth", "timeout", "max_memory",
    #                   "interrupted", "terminated"
    stats: Stats
    store: Store
    findings: list[Finding] = field(default_factory=list)
    witnesses: dict[int, State] = field(default_factory=dict)
    initial: list[State] = field(default_factory=list)


ProgressFn = Callable[[Stats], None]


class Terminated(KeyboardInterrupt):
    """Raised (by the command line's SIGTERM handler) to stop a search as a Ctrl-C would: what a
    CI job's timeout sends.  The search ends with its partial figures, stop reason "terminated".
    `received` stays set once the signal came: a library in between (Ray's `ray.get`) may turn the
    exception into a plain KeyboardInterrupt on its way up."""

    received = False


def explore(model: Model[Any], *, strategy: str = "bfs", store: Store | None = None,
            limits: Limits | None = None, progress: ProgressFn | None = None,
            progress_every: float = 0.25, check_deadlock: bool | None = None,
            expand: Callable[[State, int], list[Any]] | None = None,
            canon: Callable[[State], State] | None = None,
            only: frozenset[int] | None = None, keep_going: bool = False,
            checkpoint: Checkpointer | None = None) -> SearchResult:
    """Explore the model's reachable states; stop at the first violation (or model error).

    `expand(s, depth)`, when given, replaces `model.successors(s)` (a reduction: an ample set or
    all successors, already canonical); `canon` maps initial states to their representative.
    `only` restricts the properties checked to these indices.  `keep_going` records the first
    (under BFS: shortest) violation of each property and goes on searching until every property
    is decided or the space is exhausted; a model error still stops the search.  `checkpoint`
    (breadth-first only) saves the search at level boundaries, and resumes from its snapshot."""
    if strategy not in ("bfs", "dfs"):
        raise ValueError(f"unknown strategy {strategy!r}")
    if checkpoint is not None and strategy != "bfs":
        raise ValueError("checkpoints are taken at breadth-first levels: use strategy bfs")
    limits = limits or Limits()
    store = store if store is not None else ExactStore()
    props = [p for p in model.properties if only is None or p.index in only]
    reach_mask = 0
    for p in props:
        if p.kind == "reachable":
            reach_mask |= 1 << p.index
    if check_deadlock is None:
        check_deadlock = any(p.kind == "deadlock_free" for p in props)
    deadlock_prop = next((p.index for p in props if p.kind == "deadlock_free"), -1)
    has_inv = any(p.kind == "invariant" for p in props)

    stats = Stats()
    result = SearchResult(False, "done", stats, store)
    started = time.perf_counter()
    succ = model.successors
    if expand is None:
        expand = lambda s, d: succ(s)
    inv: Callable[[State], int] = model.violated_invariant
    inv_left = 0  # the invariants not yet violated (keep_going / only)
    for p in props:
        if p.kind == "invariant":
            inv_left |= 1 << p.index
    if keep_going or (only is not None and len(props) != len(model.properties)):
        inv_mask = _invariant_mask(model)
        if not keep_going:
            sel = inv_left

            def inv(t: State) -> int:
                m = inv_mask(t) & sel
                return (m & -m).bit_length() - 1 if m else -1
    reach = model.witnesses
    if isinstance(store, LevelStore):
        if strategy != "bfs" or keep_going:
            raise ValueError("the level store serves a breadth-first search that stops at its first violation")
        return _explore_levels(model, store, limits, progress, progress_every, check_deadlock, deadlock_prop,
                               expand, canon, inv if has_inv else None, props, reach_mask, checkpoint)
    insert = store.insert
    pmap: Any = getattr(store, "parent_map", None)  # optional fast path: a dict state -> parent
    fast = pmap is not None
    max_states = limits.max_states
    max_depth = limits.max_depth
    deadline = started + limits.timeout if limits.timeout else None
    max_memory = limits.max_memory
    pending = reach_mask
    last_report = started
    cut_by_depth = False
    expanded = 0

    def examine(t: State) -> Finding | None:
        """Property checks on a newly stored state."""
        nonlocal pending
        try:
            if has_inv:
                bad = inv(t)
                if bad >= 0:
                    return Finding("invariant", t, bad)
            if pending:
                hit = reach(t) & pending
                if hit:
                    for p in props:
                        if hit >> p.index & 1:
                            result.witnesses[p.index] = t
                    pending &= ~hit
        except ModelError as e:
            return Finding("model_error", t, error=e)
        return None

    def examine_all(t: State) -> Finding | None:
        """keep_going: record each property's first violation; only a model error stops."""
        nonlocal pending, inv_left
        try:
            if inv_left:
                bad = inv_mask(t) & inv_left
                if bad:
                    inv_left &= ~bad
                    result.findings.extend(Finding("invariant", t, p.index) for p in props
                                           if bad >> p.index & 1)
            if pending:
                hit = reach(t) & pending
                if hit:
                    for p in props:
                        if hit >> p.index & 1:
                            result.witnesses[p.index] = t
                    pending &= ~hit
        except ModelError as e:
            return Finding("model_error", t, error=e)
        return None

    if keep_going:
        examine = examine_all
        has_inv = True  # examine every new state

    frontier: deque[tuple[State, int]] | PackedFifo = deque()
    bits = getattr(store, "state_bits", None)
    if strategy == "bfs" and bits is not None and bits <= 64:
        frontier = PackedFifo()  # a fingerprint store keeps no states: keep the queued ones packed
    pop = frontier.popleft if strategy == "bfs" else frontier.pop  # type: ignore[union-attr]
    batch = getattr(store, "insert_batch", None)  # one call per expansion instead of per successor
    if isinstance(frontier, PackedFifo):
        extend: Callable[[list[Any], int], None] = frontier.extend_level
    else:
        def extend(ts: list[Any], d: int) -> None:
            frontier.extend([(t, d) for t in ts])
    stored_ahead = 0
    found: Finding | None = None
    before = 0.0  # search seconds of earlier sessions (a resumed checkpoint)
    snap = checkpoint.resumed if checkpoint is not None else None
    if snap is not None:
        from .checkpoint import load_store
        load_store(store, snap.store_kind, snap.store_data)
        for t in snap.frontier:
            frontier.append((t, snap.level))
        stats.transitions, stats.depth, expanded = snap.transitions, max(snap.level - 1, 0), snap.expanded
        pending, inv_left, check_deadlock, cut_by_depth = snap.pending, snap.inv_left, snap.check_deadlock, \
            snap.cut_by_depth
        before = snap.seconds
        result.initial = list(snap.initial)
        result.witnesses = dict(snap.witnesses)
        result.findings = [Finding(k, st, pr) for k, st, pr in snap.findings]
        if getattr(expand, "prime", None) is not None:
            expand.prime(snap.level, snap.frontier)  # type: ignore[attr-defined]
        if getattr(expand, "counters", None) is not None:
            expand.counters.update(snap.counters)  # type: ignore[attr-defined]
        snap.store_data = {}  # the store holds it now
    level = snap.level if snap is not None else 0
    queued = 0  # the frontier's length when a MemoryError cleared it
    try:
        for s0 in (model.initial_states() if snap is None else ()):
            if canon is not None:
                s0 = canon(s0)
            if insert(s0, None):
                result.initial.append(s0)
                frontier.append((s0, 0))
                found = found or examine(s0)
        while found is None:
            try:
                s, d = pop()
            except IndexError:  # the frontier is empty: the search is done
                break
            if d > level:  # a level boundary (breadth-first): every state of level d-1 expanded
                level = d
                if checkpoint is not None and checkpoint.due():
                    # at a level boundary every queued state is of level d: s and the rest of the queue
                    checkpoint.save(_snapshot(d, [s, *_queued_states(frontier)], store, stats, expanded,
                                              before + time.perf_counter() - started, pending, inv_left,
                                              check_deadlock, cut_by_depth, result, expand))
            if d > stats.depth:
                stats.depth = d
            if max_depth is not None and d >= max_depth:
                cut_by_depth = True
                continue
            try:
                ts = expand(s, d)
            except ModelError as e:
                found = Finding("model_error", s, error=e)
                break
            stats.transitions += len(ts)
            if not ts and check_deadlock and not model.is_final(s):
                if keep_going:  # the first deadlock is a shortest one: record it, go on
                    result.findings.append(Finding("deadlock", s, deadlock_prop))
                    check_deadlock = False
                else:
                    found = Finding("deadlock", s, deadlock_prop)
                    break
            d1 = d + 1
            if batch is not None:  # the fingerprint store: successors stored in one call
                ts = batch(ts, s)
                if has_inv or pending:
                    for k, t in enumerate(ts):
                        found = examine(t)
                        if found is not None:
                            stored_ahead = len(ts) - k - 1  # stored already, not counted
                            if d1 > stats.depth:
                                stats.depth = d1
                            ts = ts[:k]
                            break
                extend(ts, d1)
                if found is not None:
                    break
            else:
                for t in ts:
                    if fast:  # the exact store's parent map, inline: no method call per transition
                        if t in pmap:
                            continue
                        pmap[t] = s
                    elif not insert(t, s):
                        continue
                    if has_inv or pending:
                        found = examine(t)
                        if found is not None:
                            if d1 > stats.depth:
                                stats.depth = d1
                            break
                    frontier.append((t, d1))
            if max_states is not None and len(store) >= max_states:
                result.stop_reason = "max_states"
                break
            expanded += 1
            if keep_going and not inv_left and not pending and not check_deadlock and result.findings:
                result.stop_reason = "decided"  # every property has its answer: nothing left to find
                break
            if not expanded & 511:
                now = time.perf_counter()
                if deadline is not None and now >= deadline:
                    result.stop_reason = "timeout"
                    break
                if max_memory is not None and resident_bytes() >= max_memory:
                    result.stop_reason = "max_memory"
                    break
                if progress is not None and now - last_report >= progress_every:
                    last_report = now
                    stats.states, stats.seconds, stats.queue = len(store), now - started, len(frontier)
                    progress(stats)
    except KeyboardInterrupt as e:
        result.stop_reason = "terminated" if isinstance(e, Terminated) else "interrupted"
    except MemoryError:  # the allocator gave up before the limit check saw it: stop as incomplete
        found = None
        queued = len(frontier)
        frontier.clear()  # give the report room to be written
        result.stop_reason = "max_memory"

    stats.states = len(store) - (stored_ahead if found is not None else 0)
    stats.seconds = before + time.perf_counter() - started
    stats.queue = len(frontier) or queued
    stats.peak_memory_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stats.store_bytes = store.memory_bytes()
    if found is not None:
        result.findings.append(found)
        result.stop_reason = "violation"
        result.complete = False
    elif result.stop_reason == "decided":
        result.stop_reason = "violation"
    elif result.stop_reason == "done":
        if cut_by_depth:
            result.stop_reason = "max_depth"
        result.complete = not cut_by_depth
    return result


def _explore_levels(model: Model[Any], store: LevelStore, limits: Limits, progress: ProgressFn | None,
                    progress_every: float, check_deadlock: bool, deadlock_prop: int,
                    expand: Callable[[State, int], list[Any]], canon: Callable[[State], State] | None,
                    inv: Callable[[State], int] | None, props: list[Any], reach_mask: int,
                    checkpoint: Checkpointer | None) -> SearchResult:
    """explore() on a LevelStore: breadth-first, level by level, with delayed duplicate detection.

    Each level's successors go into a dict (successor -> index of its parent in `store.visited`),
    in discovery order; at the level's end (or at a deadlock, a model error, a time or memory
    limit, Ctrl-C) the ones stored before are removed in one C pass against `store.visited`, and
    the rest are checked in discovery order and appended.  The figures are those of explore()'s
    per-state loop on an exact store: a violation is the first new state, in discovery order, that
    fails a check, with the transitions counted up to its parent's expansion; `--max-states` stops
    after the expansion at which the store reached the limit (the level may have been expanded
    further: that work is dropped); the queue is what that loop would still have queued."""
    stats = Stats()
    result = SearchResult(False, "done", stats, store)
    started = time.perf_counter()
    visited, parents, none = store.visited, store.parents, LevelStore.NO_PARENT
    reach = model.witnesses
    max_states, max_depth = limits.max_states, limits.max_depth
    deadline = started + limits.timeout if limits.timeout else None
    max_memory = limits.max_memory
    pending = reach_mask
    cut_by_depth = False
    expanded = 0
    before = 0.0
    found: Finding | None = None
    last_report = started

    def examine(t: State) -> Finding | None:
        nonlocal pending
        try:
            if inv is not None:
                bad = inv(t)
                if bad >= 0:
                    return Finding("invariant", t, bad)
            if pending:
                hit = reach(t) & pending
                if hit:
                    for p in props:
                        if hit >> p.index & 1:
                            result.witnesses[p.index] = t
                    pending &= ~hit
        except ModelError as e:
            return Finding("model_error", t, error=e)
        return None

    snap = checkpoint.resumed if checkpoint is not None else None
    if snap is not None:
        from .checkpoint import load_store
        load_store(store, snap.store_kind, snap.store_data)
        level, lo = snap.level, len(visited) - len(snap.frontier)
        stats.transitions, stats.depth, expanded = snap.transitions, max(snap.level - 1, 0), snap.expanded
        pending, check_deadlock, cut_by_depth = snap.pending, snap.check_deadlock, snap.cut_by_depth
        before = snap.seconds
        result.initial = list(snap.initial)
        result.witnesses = dict(snap.witnesses)
        if getattr(expand, "counters", None) is not None:
            expand.counters.update(snap.counters)  # type: ignore[attr-defined]
        snap.store_data = {}
    else:
        level = lo = 0
    first_level = level
    queue = 0
    settled = True  # the level's dict is settled (nothing in it, or nothing more to do with it)
    buffer: dict[int, int] = {}  # a level's successor -> its parent's index in `visited`
    cum = array("Q")  # the transition count after each expansion of the level

    def settle(d: int, hi: int, p: int, event: Finding | None) -> Finding | None:
        """The level's successors found by expanding visited[lo:p] (the dict `buffer`): drop the
        ones stored before, check and store the new ones in discovery order, up to the first
        finding or the state limit; `event` (a deadlock or model error at visited[p]) comes after
        them.  Sets the figures; returns the finding that stops the search, if any."""
        nonlocal queue
        for t in filter(buffer.__contains__, visited):  # one C pass over every stored state, no copy
            del buffer[t]
        base = len(visited)
        keep, q = len(buffer), -1  # q: the expansion after which the state limit stops the search
        if max_states is not None and p > lo and base + keep >= max_states:
            if base >= max_states:
                q = lo
            else:
                for k, par in enumerate(buffer.values()):
                    if k == max_states - base - 1:
                        q = par
                        break
            keep = 0
            for par in buffer.values():
                if par > q:
                    break
                keep += 1
        hit = None
        if inv is not None or pending:
            for k, t in enumerate(buffer):
                if k == keep:
                    break
                hit = examine(t)
                if hit is not None:
                    keep = k + 1
                    break
        if keep == len(buffer):
            visited.extend(buffer)
            parents.extend(buffer.values())
        else:
            visited.extend(islice(buffer, keep))
            parents.extend(islice(buffer.values(), keep))
        if hit is not None:
            par = parents[-1]
            stats.transitions = cum[par - lo]
            stats.depth = d + 1
            queue = hi - par - 1 + keep - 1
        elif q >= 0:
            stats.transitions = cum[q - lo]
            queue = hi - q - 1 + keep
            result.stop_reason = "max_states"
        else:
            queue = hi - p + keep - (1 if event is not None else 0)
            hit = event
        buffer.clear()
        return hit

    try:
        if snap is None:
            seen: set[State] = set()
            for s0 in model.initial_states():
                if canon is not None:
                    s0 = canon(s0)
                if s0 not in seen:
                    seen.add(s0)
                    visited.append(s0)
                    parents.append(none)
                    result.initial.append(s0)
                    found = found or examine(s0)
            del seen
            queue = len(visited)
        while found is None and lo < len(visited):
            d, hi = level, len(visited)
            if d > first_level and checkpoint is not None and checkpoint.due():
                checkpoint.save(_snapshot(d, list(visited[lo:hi]), store, stats, expanded,
                                          before + time.perf_counter() - started, pending, 0,
                                          check_deadlock, cut_by_depth, result, expand))
            stats.depth = max(stats.depth, d)
            if max_depth is not None and d >= max_depth:
                cut_by_depth = True
                queue = 0
                break
            cum = array("Q")
            event = None
            p = lo
            transitions = stats.transitions
            settled = False
            try:
                for s in visited[lo:hi]:
                    try:
                        ts = expand(s, d)
                    except ModelError as e:
                        event = Finding("model_error", s, error=e)
                        break
                    transitions += len(ts)
                    cum.append(transitions)
                    if not ts and check_deadlock and not model.is_final(s):
                        event = Finding("deadlock", s, deadlock_prop)
                        break
                    for t in ts:
                        if t not in buffer:
                            buffer[t] = p
                    p += 1
                    expanded += 1
                    if not expanded & 511:
                        now = time.perf_counter()
                        if deadline is not None and now >= deadline:
                            result.stop_reason = "timeout"
                            break
                        if max_memory is not None and resident_bytes() >= max_memory:
                            result.stop_reason = "max_memory"
                            break
                        if progress is not None and now - last_report >= progress_every:
                            last_report = now
                            stats.states, stats.seconds, stats.queue = len(visited), now - started, hi - p
                            stats.transitions = transitions
                            progress(stats)
            except KeyboardInterrupt:
                stats.transitions = transitions
                settled = True
                found = settle(d, hi, p, None)
                raise
            stats.transitions = transitions
            settled = True
            found = settle(d, hi, p, event)
            if result.stop_reason != "done":
                break
            lo = hi
            level = d + 1
    except KeyboardInterrupt as e:
        result.stop_reason = "terminated" if isinstance(e, Terminated) else "interrupted"
        if not settled:
            buffer.clear()
    except MemoryError:
        found = None
        buffer.clear()
        result.stop_reason = "max_memory"

    stats.states = len(visited)
    stats.seconds = before + time.perf_counter() - started
    stats.queue = queue
    stats.peak_memory_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stats.store_bytes = store.memory_bytes()
    if found is not None:
        result.findings.append(found)
        result.stop_reason = "violation"
        result.complete = False
    elif result.stop_reason == "done":
        if cut_by_depth:
            result.stop_reason = "max_depth"
        result.complete = not cut_by_depth
    return result


def _queued_states(frontier: deque[tuple[State, int]] | PackedFifo) -> list[State]:
    """The states still queued, in order (their depths are not needed at a level boundary)."""
    if isinstance(frontier, PackedFifo):
        return list(frontier.states[frontier.head:])
    return [t for t, _ in frontier]


def _snapshot(level: int, frontier: list[State], store: Store, stats: Stats, expanded: int, seconds: float,
              pending: int, inv_left: int, check_deadlock: bool, cut_by_depth: bool, result: SearchResult,
              expand: Callable[[State, int], list[Any]]) -> Snapshot:
    from .checkpoint import Snapshot, dump_store
    kind, data = dump_store(store)
    return Snapshot(level, frontier, kind, data, stats.transitions, expanded, seconds, pending,
                    inv_left, check_deadlock, cut_by_depth, list(result.initial), dict(result.witnesses),
                    [(f.kind, f.state, f.prop) for f in result.findings],
                    dict(getattr(expand, "counters", None) or {}))


def _invariant_mask(model: Model[Any]) -> Callable[[State], int]:
    """Bit i set when the state violates invariant i (every invariant, not only the first).  A
    model without `violated_invariants` reports only its first violated invariant."""
    fn: Callable[[State], int] | None = getattr(model, "violated_invariants", None)
    if fn is not None:
        return fn
    first = model.violated_invariant

    def mask(t: State) -> int:
        i = first(t)
        return 1 << i if i >= 0 else 0
    return mask


def path_to(store: Store, state: State, model: Model[Any] | None = None,
            canon: Callable[[State], State] | None = None) -> list[State]:
    """The stored states from an initial state to `state`, following parent links.  A
    fingerprint store keeps only fingerprints: the path is then replayed from the initial states,
    taking at each step the successor (canonical, under symmetry) with the next fingerprint."""
    if hasattr(store, "fingerprint_path"):
        assert model is not None
        fps = store.fingerprint_path(state)
        fp = store.fingerprint  # type: ignore[attr-defined]
        norm = canon or (lambda x: x)
        cur = next(norm(s) for s in model.initial_states() if fp(norm(s)) == fps[0])
        path = [cur]
        for want in fps[1:]:
            cur = next(u for u in map(norm, _successors(model, cur)) if fp(u) == want)
            path.append(cur)
        return path
    path = [state]
    p = store.parent(state)
    while p is not None:
        path.append(p)
        p = store.parent(p)
    path.reverse()
    return path


def _labeled(model: Model[Any], s: State) -> list[tuple[Label, State]]:
    """Labeled successors of s from the transitions that do not raise a model error there: a path
    found under partial-order reduction may pass a state where a transition it did not take fails."""
    tolerant: Callable[[State], tuple[list[tuple[Label, State]], list[ModelError]]] | None = getattr(model, "tolerant_successors", None)
    if tolerant is not None:
        return tolerant(s)[0]
    return model.labeled_successors(s)


def _successors(model: Model[Any], s: State) -> list[State]:
    return [t for _, t in _labeled(model, s)]


class TraceNotReproducible(RuntimeError):
    """A stored path under symmetry has a step no concrete transition reproduces: the
    canonicalizer is wrong for this spec (the caller gives up symmetry and searches unreduced)."""

    def __init__(self, step: int):
        super().__init__(f"trace step {step} not reproducible under symmetry")
        self.step = step


def concrete_path(model: Model[Any], path: list[State], canon: Callable[[State], State] | None
                  ) -> tuple[list[State], list[Label]]:
    """Turn a stored path (canonical states under symmetry) into a concrete, replayable run and
    the labels of its steps: at each step take the first transition, in model order, whose
    target has the next stored state as its representative."""
    if canon is None:
        return path, label_path(model, path)
    cur = next(s for s in model.initial_states() if canon(s) == path[0])
    states, labels = [cur], []
    for want in path[1:]:
        for lab, u in _labeled(model, cur):
            if canon(u) == want:
                states.append(u)
                labels.append(lab)
                cur = u
                break
        else:
            raise TraceNotReproducible(len(states))
    return states, labels


def label_path(model: Model[Any], path: list[State]) -> list[Label]:
    """The label of each step of a path (the first matching transition in model order)."""
    labels = []
    for s, t in zip(path, path[1:]):
        for lab, u in _labeled(model, s):
            if u == t:
                labels.append(lab)
                break
        else:
            raise RuntimeError("trace step not reproducible: the model is not deterministic")
    return labels


def error_label(model: Model[Any], state: State) -> Label | None:
    """The transition that raises a model error in `state` (the first, in model order)."""
    tolerant = getattr(model, "tolerant_successors", None)
    if tolerant is not None:
        errs = tolerant(state)[1]
        return errs[0].label if errs else None
    try:
        model.labeled_successors(state)
    except ModelError as e:
        return e.label
    return None
