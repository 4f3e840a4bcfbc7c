"""Recoverability and liveness: verdicts on the explicit state graph, after the safety search.

The safety search (:mod:`checker.engine.explore`) keeps no edges; the properties here need them.  When a
spec declares one of ``recoverable``, ``eventually``, ``always_eventually`` or ``leads_to``, this
module explores the model again, breadth-first and WITHOUT any reduction (partial-order reduction
and symmetry are sound for invariants, not for these properties as implemented), records every
edge with its action id, and decides each property: strongly connected components with networkx
(after trimming the states that lie on no cycle), forward and backward reachability by plain
breadth-first search over the recorded edges (building a networkx graph of every state would cost
more than the search).  Specs without such properties never reach this module, so the invariant
path stays as fast as it is.

Semantics (README.md, "Recoverability and liveness", gives the user's version):

* A run is an infinite path of the graph, or a finite path ending in a state with no successor,
  which then repeats for ever (stuttering, as SPIN does at end states; TLC would instead report a
  deadlock).  At every step some enabled transition is taken; which one is free, except that
* weak fairness holds for every *fair transition instance*: an action (one machine instance x one
  transition, all parameter values together) declared with ``fair machine`` or ``fair on``.  If it
  is enabled continuously from some point on, the run takes it infinitely often.
* ``recoverable P`` (CTL AG EF P): from every reachable state some run reaches a P-state.
  Fairness plays no part.  A violation is the shortest path to the first state (in BFS order) from
  which no P-state is reachable, with a summary of the trap: the states reachable from there.
* ``eventually P``: every fair run from an initial state reaches a P-state.
* ``always_eventually P``: every fair run passes through P-states infinitely often.
* ``leads_to P ~> Q``: on every fair run, every P-state is followed (at or after it) by a Q-state.

A violation of the last three is a lasso: a prefix and a cycle that repeats for ever, all inside
the states where the awaited predicate is false.  For weak fairness a maximal strongly connected
component C of that subgraph hosts a fair run iff every fair action that is enabled in every state
of C labels an edge inside C (a run that visits all of C, taking all its edges, then meets every
obligation; a run inside a smaller component can only meet fewer).  No Emerson-Lei refinement is
needed: that is for strong fairness, which papcheck does not offer.

The core (:func:`build_graph`, :func:`analyse`) sees only the :class:`checker.engine.model.Model`
interface and predicates as Python callables, so a test can drive it with a hand-written model.
:func:`check_liveness` is the DSL layer: it compiles the spec's predicates to Python with the
model's code generator and turns node paths into :class:`checker.engine.trace.Trace` objects.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..engine.compile import CompiledModel, compile_predicates
from ..engine.explore import Limits, ProgressFn, Stats, Terminated, resident_bytes
from ..engine.model import Label, Model, ModelError, State
from ..engine.trace import Trace, build_trace
from ..lang import ast
from ..lang.types import MapT, format_value

LIVENESS_KINDS = ("recoverable", "eventually", "always_eventually", "leads_to")
FAIRNESS_KINDS = ("eventually", "always_eventually", "leads_to")


# ------------------------------------------------------------------------------------ the graph


@dataclass
class Graph:
    """The reachable states in BFS order (node i is ``states[i]``), each with every outgoing edge.

    Node numbers follow discovery order, so a smaller number is never deeper, and the parent chain
    of a node is a shortest path to it."""

    states: list[State] = field(default_factory=list)
    index: dict[State, int] = field(default_factory=dict)
    parent: list[int] = field(default_factory=list)  # -1 for an initial state
    via: list[Label | None] = field(default_factory=list)  # label of the edge from the parent
    edges: list[tuple[tuple[Label, int], ...]] = field(default_factory=list)  # in model order
    initial: list[int] = field(default_factory=list)
    transitions: int = 0
    complete: bool = False
    stop_reason: str = "done"  # done, max_states, max_depth, timeout, interrupted, model_error
    error: ModelError | None = None
    seconds: float = 0.0
    _nx: nx.DiGraph | None = field(default=None, repr=False)
    _sccs: list[set[int]] | None = field(default=None, repr=False)
    _pred: list[list[int]] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.states)

    def enabled(self, v: int) -> set[int]:
        return {lab.action for lab, _ in self.edges[v]}

    def core(self) -> nx.DiGraph:
        """The part of the graph that can hold cycles, as a networkx DiGraph (built once).

        States with no predecessor or no successor left are trimmed away, repeatedly: they lie on
        no cycle.  Protocol graphs are mostly acyclic, so this leaves networkx a small graph."""
        if self._nx is None:
            pred = self.predecessors()
            indeg = [len(p) for p in pred]
            outdeg = [len(out) for out in self.edges]
            gone = [False] * len(self.states)
            todo = [v for v in range(len(self.states)) if not indeg[v] or not outdeg[v]]
            while todo:
                v = todo.pop()
                if gone[v]:
                    continue
                gone[v] = True
                for _, w in self.edges[v]:
                    indeg[w] -= 1
                    if not indeg[w] and not gone[w]:
                        todo.append(w)
                for u in pred[v]:
                    outdeg[u] -= 1
                    if not outdeg[u] and not gone[u]:
                        todo.append(u)
            g = nx.DiGraph()
            live = [v for v in range(len(self.states)) if not gone[v]]
            g.add_nodes_from(live)
            g.add_edges_from((u, w) for u in live for _, w in self.edges[u] if not gone[w])
            self._nx = g
        return self._nx

    def components(self) -> list[set[int]]:
        """The strongly connected components with a cycle (two or more states, or a self-loop)."""
        if self._sccs is None:
            g = self.core()
            self._sccs = sorted((c for c in nx.strongly_connected_components(g)
                                 if len(c) > 1 or g.has_edge(next(iter(c)), next(iter(c)))), key=min)
        return self._sccs

    def predecessors(self) -> list[list[int]]:
        if self._pred is None:
            pred: list[list[int]] = [[] for _ in self.states]
            for u, out in enumerate(self.edges):
                for _, w in out:
                    pred[w].append(u)
            self._pred = pred
        return self._pred

    def forward(self, source: int) -> set[int]:
        """The nodes reachable from source (itself included)."""
        seen = {source}
        todo = [source]
        while todo:
            for _, w in self.edges[todo.pop()]:
                if w not in seen:
                    seen.add(w)
                    todo.append(w)
        return seen

    def backward(self, targets: Collection[int], allowed: Sequence[bool]) -> set[int]:
        """The allowed nodes from which a path through allowed nodes reaches a target."""
        pred = self.predecessors()
        seen = set(targets)
        todo = list(seen)
        while todo:
            for u in pred[todo.pop()]:
                if u not in seen and allowed[u]:
                    seen.add(u)
                    todo.append(u)
        return seen

    def path_to(self, v: int) -> tuple[list[int], list[Label]]:
        """The shortest path (parent links) from an initial state to node v, with its labels."""
        nodes = [v]
        while self.parent[nodes[-1]] >= 0:
            nodes.append(self.parent[nodes[-1]])
        nodes.reverse()
        labels = [self.via[w] for w in nodes[1:]]
        return nodes, labels  # type: ignore[return-value]


def build_graph(model: Model, limits: Limits | None = None, progress: ProgressFn | None = None,
                progress_every: float = 0.25, canon: Callable[[State], State] | None = None,
                phase: str = "liveness graph") -> Graph:
    """Explore every reachable state breadth-first, recording all labeled edges.

    Stops (``complete`` False) at a limit, on Ctrl-C or at the first model error.  ``progress``
    gets a :class:`Stats` (phase "liveness graph") about four times a second."""
    limits = limits or Limits()
    last_report = time.perf_counter()
    g = Graph()
    started = time.perf_counter()
    deadline = started + limits.timeout if limits.timeout else None
    index, states, parent, via, edges = g.index, g.states, g.parent, g.via, g.edges
    depth: list[int] = []
    cut = False
    max_states, max_depth = limits.max_states, limits.max_depth
    labeled = model.labeled_successors
    labels: dict[Label, Label] = {}
    norm = canon if canon is not None else (lambda x: x)
    try:
        for s0 in map(norm, model.initial_states()):
            if s0 not in index:
                index[s0] = len(states)
                g.initial.append(len(states))
                states.append(s0)
                parent.append(-1)
                via.append(None)
                edges.append(())
                depth.append(0)
        u = 0
        while u < len(states):
            if max_states is not None and len(states) > max_states:
                g.stop_reason = "max_states"
                break
            if max_depth is not None and depth[u] >= max_depth:
                cut = True
                u += 1
                continue
            try:
                succ = labeled(states[u])
            except ModelError as e:
                g.error = e
                g.stop_reason = "model_error"
                break
            d1 = depth[u] + 1
            out = []
            for lab, t in succ:
                if canon is not None:  # the quotient graph: one node per orbit
                    t = canon(t)
                lab = labels.setdefault(lab, lab)  # one object per distinct label: memory
                v = index.get(t)
                if v is None:  # inlined: this loop runs once per transition
                    v = index[t] = len(states)
                    states.append(t)
                    parent.append(u)
                    via.append(lab)
                    edges.append(())
                    depth.append(d1)
                out.append((lab, v))
            edges[u] = tuple(out)
            g.transitions += len(out)
            u += 1
            if not u & 1023 and (deadline is not None or progress is not None or limits.max_memory):
                now = time.perf_counter()
                if deadline is not None and now >= deadline:
                    g.stop_reason = "timeout"
                    break
                if limits.max_memory and resident_bytes() >= limits.max_memory:
                    g.stop_reason = "max_memory"
                    break
                if progress is not None and now - last_report >= progress_every:
                    last_report = now
                    progress(Stats(states=len(states), transitions=g.transitions, depth=depth[u - 1],
                                   seconds=now - started, queue=len(states) - u, phase=phase))
    except KeyboardInterrupt as e:
        g.stop_reason = "terminated" if isinstance(e, Terminated) else "interrupted"
    except MemoryError:
        g.stop_reason = "max_memory"
    if g.stop_reason == "done":
        if cut:
            g.stop_reason = "max_depth"
        g.complete = not cut
    g.seconds = time.perf_counter() - started
    return g


# ------------------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class LiveProperty:
    """A property for :func:`analyse`: ``p`` is EXPR (P of leads_to), ``q`` the Q of leads_to."""

    kind: str
    name: str
    p: Callable[[Any], Any]  # over the model's states
    q: Callable[[Any], Any] | None = None


@dataclass
class Lasso:
    """A run that violates a liveness property: ``nodes[loop:]`` repeats for ever.

    Unless ``stutter``, the last node equals ``nodes[loop]`` (the closing edge is the last label),
    so every step of the cycle is shown.  With ``stutter`` the run ends in a state with no
    successor, ``loop`` is its index, and that state repeats for ever."""

    nodes: list[int]
    labels: list[Label]
    loop: int
    stutter: bool
    cycle_states: int  # states of the strongly connected component the cycle lies in


@dataclass
class Trap:
    """Where a recoverable property is lost: nothing reachable from ``entry`` satisfies P."""

    entry: int
    nodes: list[int]  # every node reachable from entry (entry included), ascending
    stuck: int  # all reachable nodes from which no P-state is reachable
    actions: list[int]  # action ids of the edges inside the trap, ascending
    terminal: int  # trap nodes without a successor
    p_anywhere: bool  # some reachable state satisfies P at all


@dataclass
class Verdict:
    name: str
    kind: str
    status: str  # holds, violated, unknown
    nodes: list[int] = field(default_factory=list)  # recoverable: the path into the trap
    labels: list[Label] = field(default_factory=list)
    lasso: Lasso | None = None
    trap: Trap | None = None
    trigger: int | None = None  # leads_to: index in the lasso of the P-state left unanswered
    reason: str = ""


def analyse(graph: Graph, props: Sequence[LiveProperty], fair: Collection[int] = ()) -> list[Verdict]:
    """Decide each property on a complete graph; ``fair`` are the weakly fair action ids."""
    fairset = frozenset(fair)
    out = []
    for prop in props:
        if not graph.complete:
            out.append(Verdict(prop.name, prop.kind, "unknown",
                               reason=f"the state graph is incomplete ({graph.stop_reason})"))
            continue
        try:
            pv = [bool(prop.p(s)) for s in graph.states]
            qv = [bool(prop.q(s)) for s in graph.states] if prop.q is not None else None
        except ModelError as e:
            out.append(Verdict(prop.name, prop.kind, "unknown",
                               reason=f"evaluating the property raised a model error ({e.code})"))
            continue
        if prop.kind == "recoverable":
            out.append(_recoverable(graph, prop, pv))
        elif prop.kind in FAIRNESS_KINDS:
            out.append(_fair_property(graph, prop, pv, qv, fairset))
        else:
            raise ValueError(f"not a liveness property kind: {prop.kind!r}")
    return out


def _recoverable(graph: Graph, prop: LiveProperty, pv: list[bool]) -> Verdict:
    good = [v for v, ok in enumerate(pv) if ok]
    can = graph.backward(good, [True] * len(graph))
    bad = next((v for v in range(len(graph)) if v not in can), None)
    if bad is None:
        return Verdict(prop.name, prop.kind, "holds")
    trap_nodes = sorted(graph.forward(bad))
    actions = sorted({lab.action for v in trap_nodes for lab, _ in graph.edges[v]})
    terminal = sum(1 for v in trap_nodes if not graph.edges[v])
    trap = Trap(bad, trap_nodes, len(graph) - len(can), actions, terminal, bool(good))
    nodes, labels = graph.path_to(bad)
    return Verdict(prop.name, prop.kind, "violated", nodes, labels, trap=trap)


def _fair_property(graph: Graph, prop: LiveProperty, pv: list[bool], qv: list[bool] | None,
                   fair: frozenset[int]) -> Verdict:
    """eventually / always_eventually / leads_to: look for a fair lasso avoiding the awaited states."""
    awaited = qv if prop.kind == "leads_to" else pv
    assert awaited is not None
    keep = [not x for x in awaited]
    # A component of the subgraph of keep-states lies inside a component of the whole graph, so
    # only the (few, small) cyclic components of the whole graph need a networkx subgraph.
    cand: dict[int, frozenset[int]] = {}  # node -> its fair component, for every candidate node
    g = graph.core()
    for big in graph.components():
        inside = [v for v in big if keep[v]]
        if not inside:
            continue
        h = g.subgraph(inside)
        for comp in nx.strongly_connected_components(h):
            if len(comp) == 1 and not h.has_edge(next(iter(comp)), next(iter(comp))):
                continue
            if _is_fair(graph, comp, fair):
                fc = frozenset(comp)
                for v in comp:
                    cand[v] = fc
    for v in range(len(graph)):
        if keep[v] and not graph.edges[v]:  # a dead end stutters for ever: fair, nothing is enabled
            cand[v] = frozenset((v,))
    if not cand:
        return Verdict(prop.name, prop.kind, "holds")

    trigger = None
    if prop.kind == "eventually":
        starts = [v for v in graph.initial if keep[v]]
        found = _bfs(graph, starts, keep, lambda v: v in cand)
        if found is None:
            return Verdict(prop.name, prop.kind, "holds")
        nodes, labels = found
    elif prop.kind == "always_eventually":
        nodes, labels = graph.path_to(min(cand))
    else:
        doomed = graph.backward(cand, keep)
        start = next((v for v in range(len(graph)) if pv[v] and v in doomed), None)
        if start is None:
            return Verdict(prop.name, prop.kind, "holds")
        nodes, labels = graph.path_to(start)
        trigger = len(nodes) - 1
        found = _bfs(graph, [start], keep, lambda v: v in cand)
        assert found is not None
        nodes, labels = nodes + found[0][1:], labels + found[1]
    entry = nodes[-1]
    comp = cand[entry]
    loop = len(nodes) - 1
    if not graph.edges[entry]:
        lasso = Lasso(nodes, labels, loop, True, 1)
    else:
        cyc_nodes, cyc_labels = _fair_cycle(graph, comp, entry, fair)
        lasso = Lasso(nodes + cyc_nodes[1:], labels + cyc_labels, loop, False, len(comp))
    return Verdict(prop.name, prop.kind, "violated", lasso=lasso, trigger=trigger)


def _is_fair(graph: Graph, comp: Collection[int], fair: frozenset[int]) -> bool:
    """Can a run stay in comp for ever under weak fairness?  (See the module docstring.)"""
    if not fair:
        return True
    always: set[int] | None = None
    for v in comp:
        en = graph.enabled(v) & fair
        always = en if always is None else always & en
        if not always:
            return True
    taken = {lab.action for v in comp for lab, w in graph.edges[v] if w in comp}
    return bool(always is not None and always <= taken)


def _bfs(graph: Graph, sources: Sequence[int], allowed: Sequence[bool] | Collection[int],
         target: Callable[[int], bool]) -> tuple[list[int], list[Label]] | None:
    """Shortest path from a source to a target node through allowed nodes (sources in order)."""
    ok = (lambda v: allowed[v]) if isinstance(allowed, list) else (lambda v: v in allowed)
    prev: dict[int, tuple[int, Label | None]] = {}
    queue: deque[int] = deque()
    for s in sources:
        if s not in prev and ok(s):
            prev[s] = (-1, None)
            queue.append(s)
    while queue:
        u = queue.popleft()
        if target(u):
            return _unwind(prev, u)
        for lab, w in graph.edges[u]:
            if w not in prev and ok(w):
                prev[w] = (u, lab)
                queue.append(w)
    return None


def _unwind(prev: dict[int, tuple[int, Label | None]], v: int) -> tuple[list[int], list[Label]]:
    nodes, labels = [v], []
    while prev[nodes[-1]][0] >= 0:
        p, lab = prev[nodes[-1]]
        labels.append(lab)
        nodes.append(p)
    nodes.reverse()
    labels.reverse()
    return nodes, labels  # type: ignore[return-value]


def _fair_cycle(graph: Graph, comp: frozenset[int], entry: int,
                fair: frozenset[int]) -> tuple[list[int], list[Label]]:
    """A cycle through entry inside comp that meets every weak-fairness obligation.

    An action enabled everywhere in comp must be taken on the cycle; any other fair action
    enabled at entry must be seen disabled somewhere on it.  Greedy: walk to the nearest state or
    edge that discharges an open obligation, repeat, then return to entry."""
    always = set(fair)
    for v in comp:
        always &= graph.enabled(v)
    need_edge = set(always)
    need_off = (graph.enabled(entry) & fair) - always
    nodes, labels = [entry], []

    def discharge(path: list[int], labs: list[Label]) -> None:
        for v in path:
            need_off.intersection_update(graph.enabled(v))
        for lab in labs:
            need_edge.discard(lab.action)

    while need_edge or need_off:
        prev: dict[int, tuple[int, Label | None]] = {nodes[-1]: (-1, None)}
        queue = deque([nodes[-1]])
        hit: tuple[list[int], list[Label]] | None = None
        while queue and hit is None:
            u = queue.popleft()
            for lab, w in graph.edges[u]:
                if w not in comp:
                    continue
                if lab.action in need_edge:
                    p, ls = _unwind(prev, u)
                    hit = (p + [w], ls + [lab])
                    break
                if w not in prev:
                    prev[w] = (u, lab)
                    if need_off - graph.enabled(w):
                        hit = _unwind(prev, w)
                        break
                    queue.append(w)
        assert hit is not None, "a fair component always discharges its obligations"
        discharge(*hit)
        nodes += hit[0][1:]
        labels += hit[1]
    # back to entry, with at least one step
    prev = {}
    queue = deque([nodes[-1]])
    seen = {nodes[-1]}
    prev[nodes[-1]] = (-1, None)
    while queue:
        u = queue.popleft()
        for lab, w in graph.edges[u]:
            if w not in comp:
                continue
            if w == entry:
                p, ls = _unwind(prev, u)
                return nodes + p[1:] + [w], labels + ls + [lab]
            if w not in seen:
                seen.add(w)
                prev[w] = (u, lab)
                queue.append(w)
    raise AssertionError("entry lies on a cycle of its component")


# ---------------------------------------------------------------------------- the DSL layer


@dataclass
class TrapSummary:
    """A recoverable violation's trap, in words: what remains possible and what never changes."""

    entry_step: int  # the step of the trace that enters the trap
    states: int  # states reachable from the entry: none of them can reach the property
    stuck_states: int  # all reachable states from which the property is unreachable
    terminal_states: int  # trap states with no enabled transition
    enabled: list[str]  # transitions still enabled inside the trap ("Enactor[0] pick")
    instances: dict[str, list[str]]  # instance -> control states it takes in the trap
    fixed: list[tuple[str, str]]  # (variable or map entry, value) constant throughout the trap
    property_anywhere: bool  # some reachable state satisfies the property at all
    bounded: list[str] = field(default_factory=list)  # transitions held back only by a constant bound


@dataclass
class LivenessVerdict:
    name: str
    kind: str
    status: str
    trace: Trace | None = None
    explanation: str = ""
    trap: TrapSummary | None = None


@dataclass
class LivenessOutcome:
    """Every liveness verdict of a spec plus how the graph was built (for the report)."""

    verdicts: dict[str, LivenessVerdict]
    states: int
    transitions: int
    complete: bool
    stop_reason: str
    seconds: float
    fair: list[str]  # the weakly fair transition instances, as "Machine[i] transition"
    reduction: str = "none"  # "symmetry" (recoverable only), "none", or "symmetry+none" (two graphs)
    estimate: str = ""  # what the graph was expected to cost, said before it was built


def fair_actions(model: CompiledModel) -> list[int]:
    """Action ids under weak fairness: every action of a `fair machine`, every `fair on`."""
    return [i for i, a in enumerate(model.actions) if a.machine.fair or a.transition.decl.fair]


def has_liveness(model: CompiledModel) -> bool:
    return any(p.kind in LIVENESS_KINDS for p in model.checked.properties)


def check_liveness(model: CompiledModel, limits: Limits | None = None,
                   progress: ProgressFn | None = None, canon: Callable[[State], State] | None = None,
                   phase: str = "liveness graph") -> LivenessOutcome:
    """Build the unreduced graph of a compiled spec and judge its liveness properties."""
    infos = [p for p in model.checked.properties if p.kind in LIVENESS_KINDS]
    exprs: list[ast.Expr] = []
    for p in infos:
        exprs.append(p.decl.expr)  # type: ignore[arg-type]
        if p.decl.expr2 is not None:
            exprs.append(p.decl.expr2)
    preds = iter(compile_predicates(model, exprs))
    props = []
    for p in infos:
        first = next(preds)
        props.append(LiveProperty(p.kind, p.name, first, next(preds) if p.decl.expr2 is not None else None))
    fair = fair_actions(model)
    fair_names = _fair_names(model, set(fair))
    # `recoverable` (AG EF P) with a symmetric P holds on the symmetry quotient iff it holds on
    # the full graph (Emerson and Sistla): P is symmetric whenever symmetry is on, since the
    # symmetry analysis covers every property.  Fairness properties stay on the full graph.
    # When a fairness property needs the full graph anyway, `recoverable` is decided on it too:
    # a second, reduced graph would only add to the cost.
    all_rec = all(p.kind == "recoverable" for p in props)
    rec = list(props) if canon is not None and all_rec else []
    rest = [p for p in props if p not in rec]
    verdicts: dict[str, LivenessVerdict] = {}
    outcome = LivenessOutcome(verdicts, 0, 0, True, "done", 0.0, fair_names)
    reductions = []
    for group, c in ((rec, canon), (rest, None)):
        if not group:
            continue
        graph = build_graph(model, limits, progress, canon=c, phase=phase)
        for v in analyse(graph, group, fair):
            verdicts[v.name] = _describe(model, graph, v, c)
        outcome.states += len(graph)
        outcome.transitions += graph.transitions
        outcome.seconds += graph.seconds
        if not graph.complete:
            outcome.complete, outcome.stop_reason = False, graph.stop_reason
        reductions.append("symmetry" if c is not None else "none")
    outcome.reduction = "+".join(reductions) if reductions else "none"
    return outcome


def _fair_names(model: CompiledModel, fair: set[int]) -> list[str]:
    """The fair actions, an instance whose every transition is fair named once ("Enactor[0]")."""
    by_instance: dict[str, list[int]] = {}
    for a, act in enumerate(model.actions):
        by_instance.setdefault(act.instance_name, []).append(a)
    out = []
    for inst, acts in by_instance.items():
        if all(a in fair for a in acts):
            out.append(inst)
        else:
            out.extend(f"{inst} {model.actions[a].transition.name}" for a in acts if a in fair)
    return out


def _describe(model: CompiledModel, graph: Graph, v: Verdict, canon=None) -> LivenessVerdict:
    out = LivenessVerdict(v.name, v.kind, v.status, explanation=v.reason)
    if v.status != "violated":
        return out
    if v.trap is not None:
        if canon is not None:  # a path of orbit representatives: replay it as a concrete run
            from ..engine.explore import concrete_path
            run, labels = concrete_path(model, [graph.states[n] for n in v.nodes], canon)
            out.trace = build_trace(model, run, labels)
        else:
            out.trace = build_trace(model, [graph.states[n] for n in v.nodes], v.labels)
        out.trap = _trap_summary(model, graph, v.trap, len(v.nodes) - 1)
        if not v.trap.p_anywhere:
            out.explanation = "everywhere: no reachable state satisfies it"
        else:
            out.explanation = (f"from step {len(v.nodes) - 1} on: no continuation reaches a state "
                               "where it holds")
        return out
    lasso = v.lasso
    assert lasso is not None
    trace = build_trace(model, [graph.states[n] for n in lasso.nodes], lasso.labels)
    trace.loop = lasso.loop
    out.trace = trace
    what = {"eventually": "on this run: it never holds",
            "always_eventually": f"on this run: it never holds again from step {lasso.loop} on",
            "leads_to": f"on this run: its left side holds at step {v.trigger} and its right side "
                        "never holds from there on"}[v.kind]
    if lasso.stutter:
        how = f"the run stops at step {lasso.loop} (no transition is enabled) and stays there"
    else:
        last = len(lasso.nodes) - 1
        how = (f"step {last} repeats for ever" if last == lasso.loop + 1 else
               f"steps {lasso.loop + 1}..{last} form a cycle that repeats for ever")
        if fair_actions(model):
            how += " (a fair one: every fair transition is taken in it or disabled somewhere on it)"
    out.explanation = f"{what}; {how}"
    return out


def _trap_summary(model: CompiledModel, graph: Graph, trap: Trap, entry_step: int) -> TrapSummary:
    seen: dict[str, set[str]] = {}
    trap_states: list[Any] = [graph.states[v] for v in trap.nodes]
    for slot in model.layout.slots:
        # states are packed ints: collect each slot's distinct raw values, decode only those
        t, off, mask = slot.type, slot.offset, (1 << slot.type.width) - 1
        values = [t.decode(r) for r in sorted({(s >> off) & mask for s in trap_states})]  # type: ignore[attr-defined]
        if isinstance(t, MapT):
            for value in values:
                for k, x in value:
                    seen.setdefault(f"{slot.display}[{format_value(k)}]", set()).add(format_value(x, t.value))
        else:
            seen[slot.display] = {format_value(x, t) for x in values}
    instances: dict[str, list[str]] = {}
    for slot in model.layout.slots:
        if slot.machine is not None and slot.var is None:
            order = list(slot.type.members)  # type: ignore[attr-defined]
            inst = slot.machine.instance_name(slot.instance)
            instances[inst] = sorted(seen[slot.display], key=order.index)
    fixed = [(name, next(iter(vals))) for name, vals in seen.items()
             if len(vals) == 1 and not name.endswith(".state")]
    enabled = [f"{model.actions[a].instance_name} {model.actions[a].transition.name}" for a in trap.actions]
    from .bounds import bound_blocked
    bounded = bound_blocked(model, trap_states, set(trap.actions))
    return TrapSummary(entry_step, len(trap.nodes), trap.stuck, trap.terminal, enabled, instances, fixed,
                       trap.p_anywhere, bounded)
