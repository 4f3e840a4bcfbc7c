"""Counterexample minimization: among the shortest traces, one with the fewest context switches.

Breadth-first search returns *a* shortest counterexample, whose schedule is whatever order the
frontier happened to hold: often a shuffle ("Planner, Enactor[0], Planner, Enactor[1],
Enactor[0], ...").  A story reads better when each instance runs as long as it can before another
takes over.  This module finds, among all traces of the same (shortest) length that end in a
target state, one with the fewest context switches (a step whose instance differs from the
previous step's).

How: a breadth-first pass over the model (through :meth:`Model.labeled_successors`, so it knows
nothing of the DSL) keeps, for every state at depth d and every instance that could have taken the
last step into it, the fewest switches of any shortest path reaching it that way.  Only edges from
depth d to depth d+1 are shortest-path edges, so this is a dynamic programme over the BFS levels
bounded by the length found.  It runs on the unreduced model, so it is offered only when the
reachable space up to that depth fits a budget; :func:`minimize_result` leaves a result untouched
when it does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ..api import CheckResult, PropertyResult
from ..engine.compile import CompiledModel
from ..engine.explore import ProgressFn, Stats, Terminated
from ..engine.model import Label, Model, ModelError, State
from ..engine.trace import Trace, build_trace, explain_failure

DEFAULT_BUDGET = 100_000  # states the minimizing BFS may visit before giving up ("not affordable")


class TooBig(Exception):
    """The minimizing search would visit more states than its budget."""


class OutOfTime(Exception):
    """The minimizing search reached its deadline (what is left of `--timeout`)."""


def switches(trace: Trace) -> int:
    """Context switches of a trace: steps taken by a different instance than the step before."""
    acts = [s.instance for s in trace.steps[1:]]
    return sum(1 for a, b in zip(acts, acts[1:]) if a != b)


def min_switch_path(model: Model[Any], is_target: Callable[[State], bool], length: int,
                    actor: Callable[[Label], Hashable], *,
                    budget: int = DEFAULT_BUDGET, deadline: float | None = None,
                    progress: ProgressFn | None = None, progress_every: float = 0.25,
                    phase: str = "minimization") -> tuple[list[State], list[Label], int] | None:
    """A path of exactly `length` steps from an initial state to a target state, with the fewest
    context switches among all such paths, or None when no target is reached at that depth.

    Returns (states, labels, switches).  Ties go to the path found first in the model's successor
    order, so the result is deterministic.  Raises :class:`TooBig` past `budget` states and
    :class:`OutOfTime` at `deadline` (a `time.perf_counter()` reading); `progress` gets a
    :class:`Stats` (this `phase`) about four times a second.
    """
    started = reported = time.perf_counter()
    expanded = transitions = 0
    depth: dict[State, int] = {}
    # levels[d][state][actor of the step into it] = (switches, previous actor, label, previous state)
    cur: dict[State, dict[Hashable, tuple]] = {}
    for s0 in model.initial_states():
        if s0 not in depth:
            depth[s0] = 0
            cur[s0] = {None: (0, None, None, None)}
    levels = [cur]
    for d in range(length):
        nxt: dict[State, dict[Hashable, tuple]] = {}
        for s, lasts in cur.items():
            expanded += 1
            if not expanded & 63 and (deadline is not None or progress is not None):
                now = time.perf_counter()
                if deadline is not None and now >= deadline:
                    raise OutOfTime(f"stopped by --timeout after {len(depth):,} states up to depth {d}")
                if progress is not None and now - reported >= progress_every:
                    reported = now
                    progress(Stats(states=len(depth), transitions=transitions, depth=d,
                                   seconds=now - started, queue=len(cur), phase=phase))
            try:
                succs = model.labeled_successors(s)
            except ModelError:
                continue  # a model error ends every path through s
            transitions += len(succs)
            # Cheapest way into s whatever its last actor (first one on ties: deterministic).
            b_last, b_cost = None, None
            for last, entry in lasts.items():
                if b_cost is None or entry[0] < b_cost:
                    b_last, b_cost = last, entry[0]
            assert b_cost is not None
            for lab, t in succs:
                dt = depth.get(t)
                if dt is None:
                    depth[t] = dt = d + 1
                    if len(depth) > budget:
                        raise TooBig(f"more than {budget:,} states up to depth {length}")
                if dt != d + 1:
                    continue  # not on a shortest path to t
                a = actor(lab)
                own = lasts.get(a)
                if own is not None and own[0] <= b_cost + 1:
                    c, via = own[0], a
                else:
                    c, via = b_cost + (0 if b_last is None else 1), b_last
                slot = nxt.get(t)
                if slot is None:
                    nxt[t] = slot = {}
                old = slot.get(a)
                if old is None or c < old[0]:
                    slot[a] = (c, via, lab, s)
        cur = nxt
        levels.append(cur)
    end: tuple[int, State, Hashable] | None = None
    for t, lasts in cur.items():
        if is_target(t):
            for a, entry in lasts.items():
                if end is None or entry[0] < end[0]:
                    end = (entry[0], t, a)
    if end is None:
        return None
    n, t, a = end
    states: list[State] = [t]
    labels: list[Label] = []
    for d in range(length, 0, -1):
        _, prev_a, lab, prev = levels[d][t][a]
        labels.append(lab)
        t, a = prev, prev_a
        states.append(t)
    states.reverse()
    labels.reverse()
    return states, labels, n


def compiled_actor(model: CompiledModel) -> Callable[[Label], Hashable]:
    """The instance (machine name, index) that takes a compiled model's transition."""
    acts = model.actions
    return lambda lab: (acts[lab.action].machine.name, acts[lab.action].instance)


@dataclass
class Minimized:
    """What minimization did to one property's trace."""

    prop: str
    length: int
    before: int  # context switches of the trace BFS found
    after: int  # context switches of the trace now in the result
    note: str = ""  # why it was not minimized, when it was not


def _target(model: CompiledModel, p: PropertyResult, index: int) -> Callable[[State], bool] | None:
    if p.kind == "invariant" and p.status == "violated":
        return lambda s: model.violated_invariant(s) == index
    if p.kind == "reachable" and p.status == "witnessed":
        return lambda s: bool(model.witnesses(s) >> index & 1)
    if p.kind == "deadlock_free" and p.status == "violated":
        def dead(s: State) -> bool:
            try:
                return not model.successors(s) and not model.is_final(s)
            except ModelError:
                return False
        return dead
    return None


def minimize_result(result: CheckResult, *, budget: int = DEFAULT_BUDGET,
                    include_witnesses: bool = False, deadline: float | None = None,
                    progress: ProgressFn | None = None, progress_every: float = 0.25) -> list[Minimized]:
    """Replace each counterexample (and witness) trace of `result` in place by a shortest one with
    the fewest context switches; the explanation of a violated invariant is recomputed for the
    new final state.  Model-error traces are left alone (their last step has no state).

    At `deadline` (a `time.perf_counter()` reading: what `--timeout` leaves) or on Ctrl-C/SIGTERM
    the traces not yet minimized stay as the search found them, each with a note saying why: the
    verdict and the counterexamples stand, only their schedules are not the calmest."""
    model = result.spec.model
    actor = compiled_actor(model)
    out: list[Minimized] = []
    stopped = ""
    for index, p in enumerate(result.properties):
        if p.trace is None or (p.status == "witnessed" and not include_witnesses):
            continue
        target = _target(model, p, index)
        if target is None:
            continue
        before = switches(p.trace)
        info = Minimized(p.name, p.trace.length, before, before)
        out.append(info)
        if before == 0:
            continue
        if stopped:
            info.note = f"not minimized: {stopped}"
            continue
        try:
            found = min_switch_path(model, target, p.trace.length, actor, budget=budget, deadline=deadline,
                                    progress=progress, progress_every=progress_every,
                                    phase=f"minimization ({p.name})")
        except TooBig as e:
            info.note = f"not minimized: {e}"
            continue
        except OutOfTime as e:
            stopped = "stopped by --timeout"
            info.note = f"not minimized: {e}"
            continue
        except KeyboardInterrupt as e:
            stopped = "terminated" if isinstance(e, Terminated) or Terminated.received else "interrupted (Ctrl-C)"
            info.note = f"not minimized: {stopped}"
            continue
        if found is None:  # cannot happen for a BFS trace; keep the original rather than guess
            info.note = "not minimized: no target state at that depth"
            continue
        states, labels, n = found
        if n >= before:
            continue
        p.trace = build_trace(model, states, labels)
        info.after = n
        if p.kind == "invariant":
            decl = result.spec.checked.properties[index].decl
            if decl.expr is not None:
                p.explanation = explain_failure(model, decl.expr, p.trace.last_state)
    return out
