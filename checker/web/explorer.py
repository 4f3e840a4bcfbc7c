"""The interactive explorer's view of a spec: the state at the end of a path, as JSON-ready dicts.

A path is the list of choices made from the initial state: choice k at a state is the k-th entry
of the model's labeled successors there (with several initial states, `var x: T in D`, the first
choice picks the initial state, and the empty path is the moment before) (the model's fixed order), so ``[3, 0, 2]`` names one run
and fits in a URL (``?path=3.0.2``).  :meth:`Explorer.view` replays a path and returns what the
page shows: the steps so far with what each changed, the current state with the changed cells
marked, the enabled transitions with their bindings, each property's status in this state (an
invariant is judged by the interpreter, :mod:`checker.lang.evaluate`, not by the generated code the
search uses), and the sequence chart of the path drawn by :func:`checker.views.svg.sequence_svg`.

:meth:`Explorer.counterexample` turns the checker's shortest counterexample into such a path, so
the page can jump onto it ("show me the race").  Nothing here does I/O; :mod:`.server` serves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..api import PropertyResult, Spec, check
from ..engine.explore import Limits
from ..engine.model import Label, ModelError
from ..engine.trace import Trace, build_trace, explain_failure, model_error_message, state_view
from ..lang.evaluate import EvalError, Evaluator
from ..lang.symbols import LIVENESS_KINDS
from ..lang.types import MapT, format_value

MAX_PATH = 10_000


class PathError(ValueError):
    """A path that does not name a run of the spec (bad syntax, or a choice that is not enabled)."""


def parse_path(text: str) -> list[int]:
    """`"3.0.2"` -> [3, 0, 2]; the empty string is the initial state."""
    if text == "":
        return []
    parts = text.split(".")
    if len(parts) > MAX_PATH or not all(p.isdigit() and len(p) <= 6 for p in parts):
        raise PathError("a path is a list of choice numbers separated by dots, such as 3.0.2")
    return [int(p) for p in parts]


def format_path(path: list[int]) -> str:
    return ".".join(str(k) for k in path)


@dataclass
class _Run:
    states: list[Any]
    labels: list[Label]


class Explorer:
    """One spec, explored by hand."""

    def __init__(self, spec: Spec, *, max_states: int = 1_000_000, timeout: float = 60.0,
                 show_race: bool = True):
        self.spec = spec
        self.show_race = show_race  # False: no counterexample (a workshop finds it by hand)
        self.model = spec.model
        self.types = self.model.slot_types()
        self.max_states = max_states
        self.timeout = timeout
        self._cex: dict[str, Any] | None = None
        self._cex_state: Any = None

    # ---- paths
    @property
    def several(self) -> bool:
        """Several initial states (`var x: T in D`): a path's first choice picks one of them, and
        the empty path is the moment before that choice."""
        return len(self.model.initial_states()) > 1

    def replay(self, path: list[int]) -> _Run:
        inits = self.model.initial_states()
        if self.several:
            if not path:
                raise PathError("the empty path is before the initial state is chosen")
            if not 0 <= path[0] < len(inits):
                raise PathError(f"step 0: there is no initial state number {path[0]} ({len(inits)} are possible)")
            inits, path = [inits[path[0]]], path[1:]
        s = inits[0]
        states, labels = [s], []
        for n, k in enumerate(path, start=1):
            succ, _ = self.model.tolerant_successors(s)
            if not 0 <= k < len(succ):
                raise PathError(f"step {n}: there is no enabled transition number {k} "
                                f"({len(succ)} are enabled)")
            lab, s = succ[k]
            states.append(s)
            labels.append(lab)
        return _Run(states, labels)

    def trace(self, run: _Run) -> Trace:
        return build_trace(self.model, run.states, run.labels)

    # ---- the page's data
    def summary(self) -> dict[str, Any]:
        checked = self.spec.checked
        return {
            "name": checked.name,
            "path": self.spec.path,
            "source": checked.source.text.splitlines(),
            "constants": {k: format_value(v) for k, v in self.spec.constants.items()},
            "properties": [{"name": p.name, "kind": p.kind, "line": p.decl.span.line, "doc": p.decl.doc}
                           for p in checked.properties],
            "counterexample": self.counterexample(),
        }

    def _start_view(self) -> dict[str, Any]:
        """The empty path when there are several initial states: each is a choice."""
        inits = self.model.initial_states()
        chosen = {slot.display: values for slot, values in self.model.layout.nondeterministic_slots()}
        first = self.model.decode(inits[0])
        state = [{"name": k, "value": ("one of " + ", ".join(format_value(x, self.types.get(k)) for x in chosen[k][:12])
                                       + (", ..." if len(chosen[k]) > 12 else "")) if k in chosen
                  else format_value(v, self.types.get(k)), "changed": False, "cells": None} for k, v in first.items()]
        enabled = []
        for k, s0 in enumerate(inits):
            step = build_trace(self.model, [s0], []).steps[0]
            enabled.append({"choice": k, "action": step.action_text(), "instance": None, "transition": None,
                            "args": {a: format_value(v) for a, v in step.args.items()}, "line": None, "doc": "",
                            "changes": []})
        cex = self.counterexample()
        return {"path": "", "depth": 0,
                "steps": [{"index": 0, "action": f"choose one of the {len(inits):,} initial states", "line": None,
                           "doc": "", "changes": []}],
                "state": state, "enabled": enabled, "properties": [], "violation": None, "final": False,
                "next_on_counterexample": cex["path"][0] if cex is not None and cex["path"] else None,
                "chart": '<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"></svg>'}

    def view(self, path: list[int]) -> dict[str, Any]:
        if self.several and not path:
            return self._start_view()
        run = self.replay(path)
        trace = self.trace(run)
        s = run.states[-1]
        values = trace.last_state
        changed = {name for name, _, _ in trace.steps[-1].changes} if len(trace.steps) > 1 else set()
        props = self._properties(s, values, trace)
        cex = self.counterexample()
        if cex is not None and cex["kind"] in LIVENESS_KINDS and s == self._cex_state:
            # judged by the checker's liveness analysis, not in this one state: the end of its
            # counterexample (for `recoverable`, a state from which no run gets back)
            for p in props:
                if p["name"] == cex["property"]:
                    p.update(status="violated", why=cex["why"])
        violated = next((p for p in props if p["status"] == "violated"), None)
        prop_result = None
        if violated is not None:
            decl = next(p for p in self.spec.checked.properties if p.name == violated["name"])
            prop_result = PropertyResult(decl.name, decl.kind, decl.decl.span.line, "violated", trace,
                                         violated["why"], decl.decl.doc)
        from ..views.svg import sequence_svg
        on_cex = cex is not None and cex["path"][:len(path)] == path and len(cex["path"]) > len(path)
        # with several initial states, the first choice picks one: a step before the initial state
        before = [{"index": 0, "action": "choose an initial state", "line": None, "doc": "", "changes": []}] \
            if self.several else []
        return {
            "path": format_path(path),
            "depth": len(path),
            "steps": before + [{"index": st.index, "action": st.action_text(), "line": st.line, "doc": st.doc,
                                "changes": [self._change(n, o, v) for n, o, v in st.changes]} for st in trace.steps],
            "state": [{"name": k, "value": format_value(v, self.types.get(k)), "changed": k in changed,
                       "cells": self._cells(k, v, trace)} for k, v in values.items()],
            "enabled": self._enabled(s),
            "properties": props,
            "violation": violated,
            "final": bool(self.model.is_final(s)),
            "next_on_counterexample": cex["path"][len(path)] if cex is not None and on_cex else None,
            "chart": sequence_svg(self.spec, trace, prop_result),
        }

    def _change(self, name: str, old: Any, new: Any) -> str:
        t = self.types.get(name)
        if isinstance(t, MapT):
            o, n = dict(old), dict(new)
            return "; ".join(f"{name}[{format_value(k)}]: {format_value(o[k], t.value)} -> "
                             f"{format_value(n[k], t.value)}" for k in n if o[k] != n[k])
        return f"{name}: {format_value(old, t)} -> {format_value(new, t)}"

    def _cells(self, name: str, value: Any, trace: Trace) -> list[dict[str, Any]] | None:
        """A map's entries, each marked when the last step changed it."""
        t = self.types.get(name)
        if not isinstance(t, MapT):
            return None
        before = dict(trace.steps[-2].state[name]) if len(trace.steps) > 1 else dict(value)
        return [{"key": format_value(k), "value": format_value(v, t.value), "changed": before.get(k) != v}
                for k, v in dict(value).items()]

    def _enabled(self, s: Any) -> list[dict[str, Any]]:
        succ, errors = self.model.tolerant_successors(s)
        out = []
        before = self.model.decode(s)
        for k, (lab, t) in enumerate(succ):
            step = build_trace(self.model, [s, t], [lab]).steps[1]
            out.append({"choice": k, "action": step.action_text(), "instance": step.instance,
                        "transition": step.transition, "args": {a: format_value(v) for a, v in step.args.items()},
                        "line": step.line, "doc": step.doc,
                        "changes": [self._change(n, before[n], v) for n, _, v in step.changes]})
        failing = []
        for err in errors:
            msg, line = model_error_message(self.model, err)
            text = ""
            if isinstance(err, ModelError) and err.label is not None:
                failing_step = build_trace(self.model, [s], [], err.label).failing_step
                text = failing_step.action_text() if failing_step is not None else ""
            failing.append({"action": text, "message": msg, "line": line})
        return out + [{"choice": None, "error": f["message"], "action": f["action"], "line": f["line"]}
                      for f in failing]

    def _properties(self, s: Any, values: dict[str, Any], trace: Trace) -> list[dict[str, Any]]:
        ev = Evaluator(self.model.checked, state_view(self.model, values))
        succ, errors = self.model.tolerant_successors(s)
        has_successor = bool(succ or errors)
        out = []
        for p in self.spec.checked.properties:
            d = p.decl
            entry: dict[str, Any] = {"name": p.name, "kind": p.kind, "line": d.span.line}
            if p.kind in ("invariant", "reachable") and d.expr is not None:
                try:
                    ok = bool(ev.eval(d.expr, {}))
                except EvalError as e:
                    entry.update(status="error", why=str(e))
                else:
                    if p.kind == "invariant":
                        entry.update(status="holds" if ok else "violated",
                                     why="" if ok else explain_failure(self.model, d.expr, values))
                    else:
                        entry.update(status="reached" if ok else "not here", why="")
            elif p.kind == "deadlock_free":
                dead = not has_successor and not self.model.is_final(s)
                entry.update(status="violated" if dead else "holds",
                             why="no transition is enabled and not every instance is in a final state" if dead else "")
            elif p.kind in LIVENESS_KINDS:
                entry.update(status="about whole runs", why="judged on infinite runs: run papcheck check")
            out.append(entry)
        return out

    # ---- "show me the race"
    def counterexample(self) -> dict[str, Any] | None:
        """The checker's counterexample (the first violated safety property's), as a path."""
        if not self.show_race:
            return None
        if self._cex is None:
            self._cex = self._find_counterexample() or {}
        return self._cex or None

    def _find_counterexample(self) -> dict[str, Any] | None:
        result = check(self.spec, limits=Limits(max_states=self.max_states, timeout=self.timeout))
        for p in result.properties:
            if p.status == "violated" and p.trace is not None and p.trace.loop is None:
                path = self._path_of(p.trace)
                if path is not None:
                    self._cex_state = self.replay(path).states[-1]
                    return {"property": p.name, "kind": p.kind, "path": path, "text": format_path(path),
                            "why": p.explanation}
        if result.model_error is not None:  # the path ends where the failing transition is enabled
            path = self._path_of(result.model_error.trace)
            if path is not None:
                return {"property": result.model_error.message, "kind": "model error", "path": path,
                        "text": format_path(path), "why": ""}
        return None

    def _path_of(self, trace: Trace) -> list[int] | None:
        """The choices that retrace `trace` (matched by action and resulting state)."""
        inits = self.model.initial_states()
        first = next((k for k, s0 in enumerate(inits) if self.model.decode(s0) == trace.steps[0].state), None)
        if first is None:
            return None
        s = inits[first]
        path = [first] if self.several else []
        for step in trace.steps[1:]:
            succ, _ = self.model.tolerant_successors(s)
            k = next((i for i, (lab, t) in enumerate(succ)
                      if lab.action == step.action and self.model.decode(t) == step.state), None)
            if k is None:
                return None
            path.append(k)
            s = succ[k][1]
        return path
