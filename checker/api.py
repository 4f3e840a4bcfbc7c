"""The Python API the CLI is built on: load a spec, check it, read the result.

    from checker import api
    spec = api.load("specs/dynamodb_dns.pap", constants={"ENACTORS": 2})
    result = api.check(spec)
    assert result.verdict == "violated"
    print(result.prop("endpoint_has_ips").trace.length)

:func:`load` raises :class:`checker.lang.errors.SpecError` (with every diagnostic) or
:class:`checker.lang.errors.UsageError`; :func:`check` never raises for a property violation or a
model error: they are part of the :class:`CheckResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .engine.compile import CompiledModel
from .engine.explore import (
    Limits,
    ProgressFn,
    SearchResult,
    Stats,
    TraceNotReproducible,
    concrete_path,
    error_label,
    explore,
    path_to,
)
from .engine.phases import Phases
from .engine.store import LevelStore, make_store
from .engine.trace import Trace, build_trace, explain_failure, model_error_message
from .lang.errors import Diagnostics, SourceFile, SpecError, UsageError
from .lang.parser import parse, read_source
from .lang.resolve import check_spec
from .lang.symbols import LIVENESS_KINDS, CheckedSpec

# What API users need besides load/check: limits for `check`, the errors `load` raises.
__all__ = ["CheckResult", "CheckedSpec", "Limits", "PropertyResult", "Spec", "SpecError", "Trace", "UsageError",
           "check", "load", "load_text"]

EXIT_HOLDS = 0
EXIT_VIOLATED = 1
EXIT_USAGE = 2
EXIT_SPEC_ERROR = 3
EXIT_INCOMPLETE = 4


@dataclass
class Spec:
    """A checked, compiled spec ready to explore."""

    path: str
    checked: CheckedSpec
    model: CompiledModel

    @property
    def name(self) -> str:
        return self.checked.name

    @property
    def constants(self) -> dict[str, Any]:
        return self.checked.constant_values()

    @property
    def diagnostics(self) -> Diagnostics:
        return self.checked.diagnostics

    def symmetry(self):
        """The symmetry reduction (None when no machine is interchangeable), computed once."""
        if "_sym" not in self.__dict__:
            from .reduce.symmetry import build_symmetry, symmetric_machines
            self.__dict__["_sym"] = build_symmetry(self.model, symmetric_machines(self.checked))
        return self.__dict__["_sym"]

    def partial_order(self, solver: bool = True):
        """The static ample-set analysis (computed once per spec and solver setting)."""
        cache = self.__dict__.setdefault("_po", {})
        if solver not in cache:
            from .reduce.por import PartialOrder
            cache[solver] = PartialOrder.build(self.model, use_solver=solver)
        return cache[solver]


def load(path: str, constants: dict[str, Any] | None = None) -> Spec:
    """Read, parse, check and compile a spec file, with constant overrides."""
    return load_source(read_source(path), constants)


def load_text(text: str, path: str = "<spec>", constants: dict[str, Any] | None = None) -> Spec:
    return load_source(SourceFile(path, text), constants)


def load_source(source: SourceFile, constants: dict[str, Any] | None = None) -> Spec:
    checked = check_spec(parse(source), source, constants)
    from .reduce.symmetry import symmetric_machines
    symmetric_machines(checked, checked.diagnostics)  # a `symmetric` machine that is not is an error
    checked.diagnostics.raise_if_errors()
    return Spec(source.path, checked, CompiledModel(checked))


@dataclass
class PropertyResult:
    name: str
    kind: str  # invariant, reachable, deadlock_free
    line: int
    status: str  # holds, violated, unknown, witnessed, unreachable
    trace: Trace | None = None
    explanation: str = ""
    doc: str = ""
    trap: Any = None  # liveness.TrapSummary, for a violated `recoverable`
    reason: str = ""  # for status "unknown": why the property was not decided


@dataclass
class ModelErrorResult:
    message: str
    line: int
    trace: Trace


@dataclass
class CheckResult:
    spec: Spec
    verdict: str  # holds, violated, incomplete
    stop_reason: str
    properties: list[PropertyResult]
    stats: Stats
    strategy: str
    store: str
    model_error: ModelErrorResult | None = None
    expectation: dict[str, Any] | None = None
    search: SearchResult | None = field(default=None, repr=False)
    reductions: Reductions | None = None
    liveness: Any = None  # liveness.LivenessOutcome, when the spec has liveness properties
    phases: Phases = field(default_factory=Phases)  # wall time and peak memory of each phase
    engine: str = "python"  # which engine ran the safety search: "python" or "c"
    engine_note: str = ""  # why --engine auto/c searched in Python (one line), else empty

    @property
    def exit_code(self) -> int:
        return {"holds": EXIT_HOLDS, "violated": EXIT_VIOLATED, "incomplete": EXIT_INCOMPLETE}[self.verdict]

    def prop(self, name: str) -> PropertyResult:
        return next(p for p in self.properties if p.name == name)

    @property
    def counterexample(self) -> Trace | None:
        if self.model_error is not None:
            return self.model_error.trace
        for p in self.properties:
            if p.status == "violated" and p.trace is not None:
                return p.trace
        return None


@dataclass
class Reductions:
    """Which reductions a check uses (all on by default) and what they found applicable."""

    por: bool = True
    symmetry: bool = True
    solver: bool = True
    por_active: bool = False
    symmetric_machines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ample_expansions: int = 0
    full_expansions: int = 0
    symmetry_notes: list[str] = field(default_factory=list)  # located: why symmetry was not applied


def check(spec: Spec, *, strategy: str = "bfs", store: str = "exact", limits: Limits | None = None,
          progress: ProgressFn | None = None, por: bool = True, symmetry: bool = True,
          solver: bool = True, properties: list[str] | None = None,
          keep_going: bool = False, phases: Phases | None = None, checkpoint: Any = None,
          engine: Any = None, backend: str = "python") -> CheckResult:
    """Explore the spec's state space and judge every property.

    `properties` restricts the check (and the result) to the named properties.  `keep_going`
    (`check --continue`) goes on after a violation until every property is decided, reporting the
    shortest violation of each; a model error still stops the search.  `checkpoint` (a
    :class:`checker.engine.checkpoint.Checkpointer`) saves the breadth-first search at level
    boundaries and resumes from its snapshot.  `engine` (a
    :class:`checker.engine.distributed.driver.LevelSearch`: worker processes or Ray) runs the safety
    search partitioned over its workers.  `backend`
    (`check --engine`) picks the search engine: "python", "c" (the native engine, see
    :mod:`checker.engine.native`) or "auto" (the same as "c"; the API's default stays "python",
    the oracle); when C cannot run this search, the result's `engine_note` says why and the
    Python engine searches."""
    from .reduce.symmetry import SymmetryUnavailable, initial_set_notes
    only = _selected(spec, properties)
    phases = phases if phases is not None else Phases()
    red = Reductions(por, symmetry, solver)
    sym = None
    if symmetry:
        try:
            sym = spec.symmetry()
        except SymmetryUnavailable as err:
            red.symmetry_notes.append(_located(spec, err))
        red.symmetry_notes.extend(_located(spec, err) for err in initial_set_notes(spec.checked))
    import time
    started = time.monotonic()
    try:
        return _check(spec, strategy, store, limits, progress, por, solver, sym, red, only, keep_going, phases,
                      checkpoint, engine, backend)
    except (SymmetryUnavailable, TraceNotReproducible) as err:
        # never a crash from a reduction: say where, and search again unreduced
        if sym is None:
            raise
        if isinstance(err, TraceNotReproducible):
            from .lang.errors import Span
            err = SymmetryUnavailable(Span.point(0, 0), f"cannot apply symmetry here: {err} (a value "
                                                        "the canonicalizer renames wrongly)")
        red = Reductions(por, symmetry, solver)
        red.symmetry_notes.append(_located(spec, err))
        red.symmetry_notes.extend(_located(spec, e) for e in initial_set_notes(spec.checked))
        if limits is not None and limits.timeout:  # one time budget for both attempts
            limits = Limits(limits.max_states, limits.max_depth,
                            max(limits.timeout - (time.monotonic() - started), 1e-3))
        return _check(spec, strategy, store, limits, progress, por, solver, None, red, only, keep_going, phases,
                      checkpoint, engine, backend)


def _check(spec: Spec, strategy: str, store: str, limits: Limits | None, progress: ProgressFn | None,
           por: bool, solver: bool, sym: Any, red: Reductions, only: frozenset[int] | None, keep_going: bool,
           phases: Phases, checkpoint: Any = None, engine: Any = None, backend: str = "python") -> CheckResult:
    model = spec.model
    phases.start("safety search")
    st = make_store(store, model.layout.width)
    canon = None
    if sym is not None:
        canon = sym.canon
        red.symmetric_machines = [m.name for m in sym.machines]
    expand = None
    po = None
    por_applies = False
    if por:
        po = spec.partial_order(solver)
        por_applies = any(po.safe)
    native, engine_note = None, ""
    if backend != "python":
        native, engine_note = _native_choice(spec, backend, strategy, limits, sym, po if por_applies else None, only,
                                             keep_going, checkpoint, engine)
    if native is not None:
        from .engine.native import native_explore
        red.por_active = por_applies
        counters = {"ample": 0, "full": 0}
        if po is not None:
            po.stats = counters  # as the Python expander keeps them
        search = native_explore(model, native, store=store, limits=limits, progress=progress, counters=counters)
    else:
        if (store == "fingerprint" and strategy == "bfs" and not por_applies and not keep_going and engine is None
                and model.layout.width <= 64):
            st = LevelStore(model.layout.width)  # level by level, duplicates removed at C speed
        if por_applies:
            red.por_active = True
            expand = po.expander(st, model.successors, canon, strategy)  # type: ignore[union-attr]
        if expand is None and canon is not None:
            expand = sym.expander(model.successors)
        search = (engine.explore if engine is not None else explore)(model, strategy=strategy, store=st, limits=limits,
                         progress=progress, expand=expand, canon=canon, only=only, keep_going=keep_going,
                         checkpoint=checkpoint)
    if po is not None and red.por_active:
        red.ample_expansions = po.stats["ample"]
        red.full_expansions = po.stats["full"]
    traces_from = search
    if red.por_active and strategy == "bfs" and (search.findings or search.witnesses):
        traces_from = _shortest_traces(model, search, canon, limits, only, keep_going)
        red.notes.append("traces recomputed without partial-order reduction, so they are shortest")
    props: list[PropertyResult] = []
    model_error = None
    if search.findings and not traces_from.findings:  # only if the bounded run timed out
        traces_from = search
    violations: dict[int, tuple[SearchResult, Any]] = {}  # property index -> (search, finding)
    sources = (search, traces_from) if keep_going else (traces_from,)
    for src in sources:  # the shortest (traces_from) wins
        for f in reversed(src.findings):
            if f.kind in ("invariant", "deadlock"):
                violations[f.prop] = (src, f)
    finding = next((f for f in traces_from.findings if f.kind == "model_error"), None)
    for i, p in enumerate(spec.checked.properties):
        if only is not None and i not in only:
            continue
        pr = PropertyResult(p.name, p.kind, p.decl.span.line, "unknown", doc=p.decl.doc)
        if p.kind == "reachable":
            if i in search.witnesses:
                pr.status = "witnessed"
                src = traces_from if i in traces_from.witnesses else search
                pr.trace = _trace(model, src, src.witnesses[i], canon)
            elif search.complete:
                pr.status = "unreachable"
        elif i in violations:
            src, f = violations[i]
            pr.status = "violated"
            pr.trace = _trace(model, src, f.state, canon)
            if p.kind == "invariant" and p.decl.expr is not None:
                pr.explanation = explain_failure(model, p.decl.expr, pr.trace.last_state)
            else:
                pr.explanation = "no transition is enabled and not every instance is in a final state"
        elif search.complete:
            pr.status = "holds"
        props.append(pr)
    if finding is not None:
        err = finding.error
        assert err is not None
        path, labels = concrete_path(model, path_to(traces_from.store, finding.state, model, canon), canon)
        label = error_label(model, path[-1])
        trace = build_trace(model, path, labels, label)
        msg, line = model_error_message(model, err)
        model_error = ModelErrorResult(msg, line, trace)

    phases.stop()
    live = None
    if search.stop_reason != "interrupted" and any(p.kind in LIVENESS_KINDS and (only is None or i in only)
           for i, p in enumerate(spec.checked.properties)):
        # on its own unreduced graph, even after a safety violation: these get their own verdicts
        from .analysis.liveness import check_liveness
        live_limits = limits
        if limits is not None and limits.timeout:  # one time budget for both searches
            live_limits = Limits(limits.max_states, limits.max_depth,
                                 max(limits.timeout - search.stats.seconds, 1e-3), limits.max_memory)
        estimate, expected = _liveness_estimate(spec, search, canon, only, red.por_active)
        if progress is not None:  # say what it will cost before building it
            progress(Stats(phase=f"liveness graph ({estimate})", expected=expected))
        with phases.measure("liveness graph"):
            live = check_liveness(model, live_limits, progress=progress, canon=canon,
                                  phase=f"liveness graph ({estimate})")
        live.estimate = estimate
        for pr in props:
            lv = live.verdicts.get(pr.name)
            if lv is not None:
                pr.status, pr.trace, pr.explanation, pr.trap = lv.status, lv.trace, lv.explanation, lv.trap

    _undecided_reasons(props, search, model_error, live, keep_going)
    if finding is not None or any(p.status in ("unreachable", "violated") for p in props):
        verdict = "violated"
    elif search.complete and all(p.status != "unknown" for p in props):
        verdict = "holds"
    else:
        verdict = "incomplete"
    stop = search.stop_reason
    if stop == "done" and live is not None and not live.complete:
        stop = live.stop_reason  # the safety search finished, the liveness graph did not
    result = CheckResult(spec, verdict, stop, props, search.stats, strategy, store,
                         model_error, search=search, reductions=red, liveness=live, phases=phases,
                         engine="c" if native is not None else "python", engine_note=engine_note)
    result.expectation = _expectation(spec, result)
    return result


def _native_choice(spec: Spec, backend: str, strategy: str, limits: Limits | None, sym: Any, po: Any,
                   only: frozenset[int] | None, keep_going: bool, checkpoint: Any, engine: Any) -> tuple[Any, str]:
    """(the compiled native search, "") when the C engine runs this search, else (None, why not).
    With "auto", a search option the C engine lacks (dfs, --continue, ...) picks Python without a
    note; a missing compiler or a construct the generator refuses is said.  `po` is the partial-order analysis when the reduction applies (its ample sets run in C)."""
    if backend not in ("auto", "c"):
        raise UsageError(f"unknown engine {backend!r} (available: auto, c, python)")
    why = ""
    if strategy != "bfs":
        why = "it searches breadth-first only"
    elif keep_going:
        why = "it does not implement --continue"
    elif only is not None:
        why = "it does not implement --property"
    elif checkpoint is not None:
        why = "it does not take checkpoints"
    elif engine is not None:
        why = "the distributed workers run the Python engine"
    elif limits is not None and limits.max_depth is not None:
        why = "it does not implement --max-depth"
    if why and backend == "auto":
        return None, ""  # an option only the Python engine has: no note, the report names the engine
    if sym is not None and sym.slices is None:
        why = "it canonicalizes only machines whose ids stay out of the data"
    if not why:
        from .engine.native import NativeUnavailable, native_program, por_candidates
        candidates = por_candidates(spec.model, po, sym is not None) if po is not None else None
        try:
            return native_program(spec.model, sym.slices if sym is not None else None, candidates), ""
        except NativeUnavailable as e:
            why = str(e)
    return None, f"engine: python (the C engine was not used: {why})"


def distributed_parts(text: str, path: str, constants: dict[str, Any], symmetry: bool) -> tuple[Any, Any, Any]:
    """What a distributed search worker needs, built in the worker from the spec text: the
    model, expand(s, depth) (canonical successors under symmetry) and the canonicalizer."""
    spec = load_text(text, path, constants)
    model = spec.model
    if symmetry:
        sym = spec.symmetry()
        return model, sym.expander(model.successors), sym.canon
    succ = model.successors
    return model, (lambda s, d: succ(s)), None


def _located(spec: Spec, err: Any) -> str:
    """A located note (path:line:col: note: ..., source line, caret) for a reduction given up."""
    from .lang.errors import _located as located
    return located(spec.checked.source, err.span, "note", err.reason)


def _liveness_estimate(spec: Spec, search: SearchResult, canon, only: frozenset[int] | None,
                       por_active: bool) -> tuple[str, int]:
    """What the liveness graph will cost, said before it is built: from the states the safety
    search stored and the reduction factor expected (the orbits of interchangeable instances).
    Returns the sentence and the number of states it expects (at most)."""
    import math
    kinds = [p.kind for i, p in enumerate(spec.checked.properties)
             if p.kind in LIVENESS_KINDS and (only is None or i in only)]
    seen = search.stats.states
    factor = 1
    sym = spec.symmetry() if canon is not None else None
    if sym is not None:
        factor = math.prod(math.factorial(m.count) for m in sym.machines)
    low = "at least " if por_active else "about "
    if canon is not None and all(k == "recoverable" for k in kinds):
        what, expected = f"{low}{seen:,} states with symmetry", seen
    else:
        what = (f"up to {seen * factor:,} states without reductions" if factor > 1
                else f"{low}{seen:,} states without reductions")
        expected = seen * factor
    return f"expect {what}; the safety search stored {seen:,}", expected


def _selected(spec: Spec, names: list[str] | None) -> frozenset[int] | None:
    """The indices of the named properties (`check --property`), or None for all of them."""
    if not names:
        return None
    index = {p.name: i for i, p in enumerate(spec.checked.properties)}
    unknown = [n for n in names if n not in index]
    if unknown:
        from .lang.errors import UsageError
        known = ", ".join(p.name for p in spec.checked.properties) or "none"
        raise UsageError(f"--property {unknown[0]}: the spec has no property of that name "
                         f"(its properties: {known})")
    return frozenset(index[n] for n in names)


_STOPPED_BY = {"max_states": "--max-states", "max_depth": "--max-depth", "timeout": "--timeout",
               "max_memory": "--max-memory", "interrupted": "an interrupt", "worker_lost": "a lost worker"}


def _undecided_reasons(props: list[PropertyResult], search: SearchResult, model_error, live,
                       keep_going: bool) -> None:
    """Say why each undecided property was not decided."""
    violated = [p.name for p in props if p.status == "violated" and p.kind not in LIVENESS_KINDS]
    for p in props:
        if p.status != "unknown":
            continue
        if p.kind in LIVENESS_KINDS and live is not None and not live.complete:
            p.reason = (f"building the state graph stopped at "
                        f"{_STOPPED_BY.get(live.stop_reason, live.stop_reason)}")
        elif search.stop_reason == "violation" and model_error is not None:
            p.reason = "the search stopped at the model error"
        elif search.stop_reason == "violation" and violated and not keep_going:
            p.reason = f"the search stopped at {violated[0]}'s violation; use --continue"
        elif search.stop_reason in _STOPPED_BY:
            p.reason = f"the search stopped at {_STOPPED_BY[search.stop_reason]}"
        else:
            p.reason = "the search did not finish"


def _shortest_traces(model: CompiledModel, search: SearchResult, canon, limits: Limits | None,
                     only: frozenset[int] | None = None, keep_going: bool = False) -> SearchResult:
    """Partial-order reduction keeps a violation reachable but may lengthen the path to it.  A
    breadth-first search without it, bounded by the depth already found, finds the shortest."""
    depth = 0
    stored = [f.state for f in search.findings] + list(search.witnesses.values())
    for s in stored:
        depth = max(depth, len(path_to(search.store, s, model, canon)) - 1)
    full = model.successors
    expand = (lambda s, d: [canon(t) for t in full(s)]) if canon is not None else None
    # deadlocks show when a state is expanded: expand the deepest level too.  The bounded run is
    # a prefix of the unreduced search, so it meets what the unreduced search meets first.
    bound = Limits(max_depth=depth + 1, timeout=limits.timeout if limits else None,
                   max_memory=limits.max_memory if limits else None)
    return explore(model, store=make_store("exact"), limits=bound, expand=expand, canon=canon,
                   only=only, keep_going=keep_going)


def _trace(model: CompiledModel, search: SearchResult, state, canon) -> Trace:
    """The concrete trace to a stored state."""
    path, labels = concrete_path(model, path_to(search.store, state, model, canon), canon)
    return build_trace(model, path, labels)


def _expectation(spec: Spec, result: CheckResult) -> dict[str, Any] | None:
    """Compare the verdict with the spec's `expect` declaration, if it has one."""
    if not spec.checked.expects:
        return None
    e = spec.checked.expects[0]
    failed = sorted(p.name for p in result.properties if p.status in ("violated", "unreachable"))
    checked = {p.name for p in result.properties}
    partial = len(checked) < len(spec.checked.properties)  # check --property: judge only what was checked
    if result.verdict == "incomplete" or (partial and (e.verdict == "holds" or not set(e.names) <= checked)):
        met = None
    elif e.verdict == "holds":
        met = result.verdict == "holds"
    else:
        met = result.verdict == "violated" and all(n in failed for n in e.names) and (
            result.model_error is None)
    return {"verdict": e.verdict, "properties": list(e.names), "met": met}
