"""`papcheck prove`: load, translate, discharge the obligations, classify the CTIs, render.

The outcome's exit code: 0 proved for every size the assumptions allow, 1 a CTI that explicit
search reaches (a real counterexample), 4 undecided (an unreachable CTI: the invariant is too
weak; a CTI that could not be classified; a solver timeout).  Unsupported constructs and bad
specs raise :class:`checker.lang.errors.SpecError` (exit 3).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from .. import api
from ..lang import ast
from ..lang.errors import Diagnostics, SourceFile, SpecError, UsageError
from ..lang.parser import parse, read_source
from ..lang.resolve import check_spec
from ..lang.types import format_value
from ..prover.induction import ProofResult, Prover
from ..prover.translate import Unsupported
from .classify import Verdict, classify, cti_lines, explicit_step_agrees, load_at

EXIT_PROVED, EXIT_REAL, EXIT_UNDECIDED = 0, 1, 4


@dataclass
class ProveOutcome:
    path: str
    spec_name: str
    proof: ProofResult
    verdicts: dict[int, Verdict] = field(default_factory=dict)  # obligation index -> verdict
    texts: dict[int, list[str]] = field(default_factory=dict)
    inferred: Any = None  # infer.InferResult with --infer

    def real_counterexample(self) -> Any:
        """The CheckResult of the first CTI classified reachable (None when there is none)."""
        for v in self.verdicts.values():
            if v.kind == "reachable" and v.result is not None and v.result.counterexample is not None:
                return v.result
        return None

    @property
    def exit_code(self) -> int:
        if self.proof.proved:
            return EXIT_PROVED
        if any(v.kind == "reachable" for v in self.verdicts.values()):
            return EXIT_REAL
        return EXIT_UNDECIDED


def load_with_assumptions(path: str, constants: dict[str, Any], assumes: list[str]) -> tuple[api.Spec, list[ast.Expr]]:
    """The spec, and each --assume parsed and resolved as a constant expression."""
    spec = api.load(path, constants)
    if not assumes:
        return spec, []
    source = read_source(path)
    if any("\n" in a or "\r" in a for a in assumes):
        raise UsageError("--assume: an assumption is one line")
    extra = "".join(f"\ninvariant __assume_{i}: {a}" for i, a in enumerate(assumes))
    src2 = SourceFile(source.path, source.text + extra + "\n")
    try:
        checked = check_spec(parse(src2), src2, constants)
        checked.diagnostics.raise_if_errors()
    except SpecError as e:
        # the assumptions were checked as invariants appended to the spec: say it in their words
        msg = "; ".join(d.message.replace("the invariant property", "an assumption")
                        .replace("the file ends too early", "the assumption ends too early")
                        for d in e.diagnostics.errors)
        raise UsageError(f"--assume: {msg}") from None
    exprs = [p.decl.expr for p in checked.properties if p.name.startswith("__assume_")]
    # the assumption must read constants only: resolve them in the copy, translate there
    from ..lang.symbols import VarSym
    for e in exprs:  # type: ignore[misc]  # mypy: the name of an except clause cannot be bound again after it (Python allows it)
        if _reads_state(e, checked.refs, VarSym):  # type: ignore[misc]  # mypy: the name of an except clause cannot be bound again after it (Python allows it)
            raise UsageError("--assume: an assumption may use only constants")
    spec.__dict__["_assume_checked"] = checked
    return spec, exprs  # type: ignore[return-value]


def _read_names(e: Any) -> set[str]:
    """The names an expression mentions (variables, locals read through instances)."""
    out: set[str] = set()
    if isinstance(e, ast.Name):
        out.add(e.name)
    if isinstance(e, ast.Field):
        out.add(e.name)
    for v in getattr(e, "__dict__", {}).values():
        if isinstance(v, ast.Expr):
            out |= _read_names(v)
        elif isinstance(v, tuple):
            for x in v:
                if isinstance(x, ast.Expr):
                    out |= _read_names(x)
    return out


def _reads_state(e: Any, refs: dict, var_cls: type) -> bool:
    if isinstance(e, ast.At):
        return True
    if isinstance(e, ast.Name) and isinstance(refs.get(id(e)), var_cls):
        return True
    for v in getattr(e, "__dict__", {}).values():
        if isinstance(v, ast.Expr) and _reads_state(v, refs, var_cls):
            return True
        if isinstance(v, tuple) and any(isinstance(x, ast.Expr) and _reads_state(x, refs, var_cls) for x in v):
            return True
    return False


def prove(path: str, constants: dict[str, Any], assumes: list[str], timeout: float = 10.0,
          classify_ctis: bool = True, infer: bool = False, infer_budget: float = 120.0) -> ProveOutcome:
    t0 = time.perf_counter()
    spec, exprs = load_with_assumptions(path, constants, assumes)
    checked = spec.__dict__.get("_assume_checked", spec.checked)
    invariants = [(p.name, p.decl.expr) for p in checked.properties
                  if p.kind == "invariant" and p.decl.expr is not None and not p.name.startswith("__assume_")]
    inferred = None
    try:
        if infer:
            from ..prover.infer import builder
            from ..prover.infer import infer as run_infer
            symbolic = [n for n, c in checked.constants.items() if not c.overridden]
            inferred = run_infer(path, checked, exprs, symbolic, int(timeout * 1000), _Explicit(),
                                 infer_budget)
            if inferred.proved:
                invariants = invariants + [(f"helper{k}", builder(checked, c))
                                           for k, c in enumerate(inferred.inductive)]
        prover = Prover(checked, exprs, int(timeout * 1000), invariants)
        why = prover.vacuous()
        if why is not None:  # every obligation would hold for no value at all: say so, prove nothing
            from ..lang.errors import UsageError
            given = "; ".join(f"--assume '{a}'" for a in assumes)
            raise UsageError(f"{why}{' (' + given + ')' if given else ''}: nothing to prove")
        obligations = prover.run()
    except Unsupported as u:
        diags = Diagnostics(spec.checked.source)
        from ..lang.errors import NO_SPAN
        diags.error(u.span or NO_SPAN, u.message)
        raise SpecError(diags) from None
    pinned = {n: c.value for n, c in spec.checked.constants.items() if c.overridden}
    proof = ProofResult(prover.tr.symbolic, pinned, list(assumes), obligations)
    out = ProveOutcome(path, spec.name, proof, inferred=inferred)
    for i, ob in enumerate(obligations):
        if ob.status != "cti" or ob.cti is None:
            continue
        at = load_at(path, pinned, ob.cti)
        if not explicit_step_agrees(at, ob.cti, ob.kind == "no_error"):
            raise RuntimeError(f"the z3 relation of {ob.transition} disagrees with the explicit "
                               "successors at the CTI (a translation bug)")
        out.texts[i] = cti_lines(at, ob)
        if classify_ctis:
            prop = next((x for x in spec.checked.properties if x.name == ob.invariant), None)
            prefer = _read_names(prop.decl.expr) if prop is not None and prop.decl.expr is not None else set()
            out.verdicts[i] = classify(path, pinned, ob.cti, prefer=prefer)
            if out.verdicts[i].kind == "reachable":
                break  # one real counterexample is the answer
        else:
            break
    if classify_ctis and out.verdicts and not any(v.kind == "reachable" for v in out.verdicts.values()):
        # the smallest CTI may sit below the sizes where the bug appears: search at the spec's own
        # constants too; a violation there is a real counterexample
        from ..engine.explore import Limits
        from .classify import MAX_STATES
        res = api.check(spec, limits=Limits(max_states=MAX_STATES, timeout=60.0))
        if res.verdict == "violated":
            out.verdicts[-1] = Verdict("reachable", res)
    proof.seconds = time.perf_counter() - t0
    return out


def render_text(o: ProveOutcome) -> str:
    from ..views.report import render_text as check_text
    p = o.proof
    lines = [f"Proving {o.spec_name} ({o.path})"]
    sym = ", ".join(p.symbolic) if p.symbolic else "none"
    lines.append(f"  symbolic constants: {sym}")
    if p.pinned:
        lines.append("  pinned: " + ", ".join(f"{k} = {format_value(v)}" for k, v in p.pinned.items()))
    if p.assumptions:
        lines.append("  assuming: " + "; ".join(p.assumptions))
    for ob in p.obligations:
        mark = {"proved": "proved", "cti": "CTI", "unknown": "unknown"}[ob.status]
        extra = f" ({ob.reason})" if ob.status == "unknown" and ob.reason else ""
        lines.append(f"  {mark:<8} {ob.title}{extra}")
    for i, ob in enumerate(p.obligations):
        if i not in o.texts:
            continue
        lines.append("")
        lines.append(f"CTI: {ob.title} (line {ob.line})")
        lines.extend(o.texts[i])
        v = o.verdicts.get(i)
        if v is None:
            continue
        if v.kind == "reachable":
            lines.append("  classified REACHABLE: explicit search at these constants finds a real counterexample:")
            lines.append("")
            lines.append(check_text(v.result).rstrip("\n"))
        elif v.kind == "unreachable":
            lines.append("  classified UNREACHABLE: no reachable state at these constants is this pre-state, "
                         "so the invariant is too weak (add a helper invariant)")
            if v.clause_text:
                lines.append("  no reachable state has: " + " and ".join(v.clause_text))
        else:
            lines.append(f"  not classified: {v.note}")
    if -1 in o.verdicts:
        lines.append("")
        consts = ", ".join(f"{k} = {format_value(v)}" for k, v in o.verdicts[-1].result.spec.constants.items())
        lines.append(f"The CTIs above are unreachable at their constants, but explicit search at the spec's "
                     f"constants ({consts}) finds a real counterexample:")
        lines.append("")
        lines.append(check_text(o.verdicts[-1].result).rstrip("\n"))
    inf = o.inferred
    if inf is not None:
        lines.append("")
        lines.append(f"Inference: {inf.candidates} candidate clauses, {inf.true_at_small} true in every reachable "
                     f"state at " + ", ".join(f"{k} = {v}" for k, v in inf.at_constants.items())
                     + f"; {len(inf.inductive)} kept as helpers")
        if inf.proved:
            lines.append("Helper invariants found (inductive for every size), ready to paste:")
            for k, c in enumerate(inf.inductive):
                lines.append(f"invariant helper{k}: {c.text()}")
        else:
            lines.append(f"Inference did not find helpers that make the invariants inductive: {inf.why}")
    n = len(p.obligations)
    done = sum(1 for ob in p.obligations if ob.status == "proved")
    if o.exit_code == EXIT_PROVED:
        if p.symbolic:
            lines.append(f"Verdict: PROVED for every value of {sym} allowed ({n} obligations)")
        else:  # nothing symbolic: every constant is fixed (or there is none)
            lines.append(f"Verdict: PROVED: the invariants are inductive at these constants ({n} obligations)")
    elif o.exit_code == EXIT_REAL:
        lines.append(f"Verdict: VIOLATED (a real counterexample; {done}/{n} obligations proved)")
    else:
        lines.append(f"Verdict: UNDECIDED ({done}/{n} obligations proved)")
    return "\n".join(lines) + "\n"


def render_json(o: ProveOutcome) -> str:
    p = o.proof
    obs = []
    for i, ob in enumerate(p.obligations):
        d: dict[str, Any] = {"kind": ob.kind, "invariant": ob.invariant, "transition": ob.transition,
                             "line": ob.line, "status": ob.status}
        if ob.reason:
            d["reason"] = ob.reason
        if ob.cti is not None and i in o.texts:
            c = ob.cti
            d["cti"] = {"constants": c.constants, "machine": c.machine, "instance": c.instance,
                        "transition": c.transition,
                        "states": [_itf_state(c.pre)] + ([_itf_state(c.post)] if c.post is not None else []),
                        "args": {k: _itf_value(v) for k, v in c.args.items()}}
            v = o.verdicts.get(i)
            if v is not None:
                d["classification"] = v.kind
                if v.clause:
                    d["unreachable_clause"] = [{"var": k, "value": _itf_value(val)} for k, val in v.clause]
                if v.kind == "reachable" and v.result is not None and v.result.counterexample is not None:
                    d["counterexample_length"] = v.result.counterexample.length
                    d["counterexample_constants"] = v.result.spec.constants
        obs.append(d)
    verdict = {EXIT_PROVED: "proved", EXIT_REAL: "violated", EXIT_UNDECIDED: "undecided"}[o.exit_code]
    doc: dict[str, Any] = {"spec": o.spec_name, "path": o.path, "verdict": verdict, "exit_code": o.exit_code,
                           "constants": {"symbolic": p.symbolic, "pinned": p.pinned}, "assumptions": p.assumptions,
                           "obligations": obs}
    inf = o.inferred
    if inf is not None:  # no timing: the same spec gives the same bytes
        doc["inferred"] = {"candidates": inf.candidates, "true_at_small_constants": inf.true_at_small,
                           "small_constants": inf.at_constants, "proved": inf.proved,
                           **({"why_not": inf.why} if inf.why else {}),
                           "helpers": [f"invariant helper{k}: {c.text()}" for k, c in enumerate(inf.inductive)]}
    real = o.real_counterexample()
    if real is not None:
        doc["real_counterexample"] = {"constants": real.spec.constants, "length": real.counterexample.length}
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def _itf_state(s: dict[str, Any]) -> dict[str, Any]:
    return {k: _itf_value(v) for k, v in s.items()}


def _itf_value(v: Any) -> Any:
    if isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, int):
        return {"#bigint": str(v)}
    if isinstance(v, frozenset):
        return {"#set": [_itf_value(x) for x in sorted(v, key=lambda x: (isinstance(x, str), x))]}
    if isinstance(v, tuple):
        return {"#map": [[_itf_value(k), _itf_value(x)] for k, x in v]}
    return v


class _Explicit:
    """Explicit-state search for the prover's template filter (the prover sits below the api)."""

    def load(self, path: str, constants: dict[str, Any]) -> Any:
        return api.load(path, constants)

    def reachable_states(self, spec: Any, limit: int) -> list[dict[str, Any]] | None:
        from .classify import reachable_states
        return reachable_states(spec, limit)
