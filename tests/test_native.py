"""The native (C) engine against the Python engine, its oracle.

Differential: every shipped spec, the workshop specs, a slice of the reference grid and
hypothesis-drawn protocols (with model errors, several initial states, symmetric machines) give
the same search outcome in C and in Python: stop reason, states, transitions, depth, queue, the
first finding (kind, property, state, model error site and value) and the witnesses; with and
without symmetry, in both stores.  Through `api.check`: the same verdicts, statuses, trace
lengths and model-error messages.  Then what must never happen: spec text in the C source.
Skipped, with the reason, when there is no C compiler.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings

from checker import api
from checker.engine.explore import Limits, explore
from checker.engine.native import NativeUnavailable, native_explore, native_program, por_candidates
from checker.engine.native.cgen import spec_functions
from checker.engine.native.runtime import RUNTIME
from checker.engine.native.search import compiler
from checker.engine.store import make_store
from checker.lang.errors import SpecError
from tests.genspec import por_protocols, protocols

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(compiler() is None, reason="no C compiler (cc or $CC) on this machine")

SHIPPED = sorted((ROOT / "specs").glob("*.pap"))
WORKSHOP = sorted((ROOT / "examples" / "workshop").glob("*/spec.pap"))


def _outcome(r: Any, model: Any) -> tuple[Any, ...]:
    """What a search found; a model error as its site (kind, place, what) and value: under
    partial-order reduction the Python engine raises it from an instance's own successor function,
    whose sites are copies of the whole successor function's."""
    def site(e: Any) -> Any:
        s = model.error_sites[e.code]
        return (s.kind, s.span, s.detail, e.value)
    return (r.stop_reason, r.complete, r.stats.states, r.stats.transitions, r.stats.depth, r.stats.queue,
            [(f.kind, f.prop, f.state, f.error and site(f.error)) for f in r.findings],
            sorted(r.witnesses.items()), sorted(r.initial))


def search_both(spec: api.Spec, symmetry: bool, store: str, limits: Limits | None = None,
                por: bool = False) -> tuple[Any, Any]:
    """(C outcome, Python outcome) of the same search (with partial-order reduction: the ample
    expansions too)."""
    model = spec.model
    sym = spec.symmetry() if symmetry else None
    po = spec.partial_order(False) if por else None
    cands = por_candidates(model, po, sym is not None) if po is not None and any(po.safe) else None
    prog = native_program(model, sym.slices if sym is not None else None, cands)
    counts: dict[str, int] = {}
    c = native_explore(model, prog, store=store, limits=limits, counters=counts)
    st = make_store(store, model.layout.width)
    kw: dict[str, Any] = {}
    if sym is not None:
        kw = {"expand": sym.expander(model.successors), "canon": sym.canon}
    if cands:
        kw["expand"] = po.expander(st, model.successors, sym.canon if sym else None, "bfs")  # type: ignore[union-attr]
    py = explore(model, store=st, limits=limits, **kw)
    both = _outcome(c, model), _outcome(py, model)
    if cands:
        return (*both[0], counts), (*both[1], po.stats)  # type: ignore[union-attr]
    return both


def assert_same_search(spec: api.Spec, pors: tuple[bool, ...] = (False, True)) -> None:
    sym = spec.symmetry()
    for symmetry in ((False, True) if sym is not None and sym.slices is not None else (False,)):
        for store in ("exact", "fingerprint"):
            for por in pors:
                c, py = search_both(spec, symmetry, store, por=por)
                assert c == py, f"symmetry={symmetry} store={store} por={por}"


def _result(r: api.CheckResult) -> tuple[Any, ...]:
    me = r.model_error
    return (r.verdict, r.stop_reason, r.stats.states, r.stats.transitions, r.stats.depth,
            [(p.name, p.status, p.trace.length if p.trace else None, p.explanation) for p in r.properties],
            me and (me.message, me.line, me.trace.length, [s.state for s in me.trace.steps],
                    me.trace.failing_step and me.trace.failing_step.transition),
            r.reductions and (r.reductions.por_active, r.reductions.ample_expansions, r.reductions.full_expansions))


def assert_same_check(spec: api.Spec, store: str = "exact", por: bool = True) -> None:
    c = api.check(spec, por=por, store=store, backend="c")
    py = api.check(spec, por=por, store=store, backend="python")
    if c.engine != "c":  # the C engine refused this spec: say why, it is no failure of the test
        assert c.engine_note.startswith("engine: python (the C engine was not used: ")
        return
    assert py.engine == "python"
    assert _result(c) == _result(py)
    for pc, pp in zip(c.properties, py.properties):
        if pp.trace is not None:
            assert [s.state for s in pc.trace.steps] == [s.state for s in pp.trace.steps]  # type: ignore[union-attr]


@pytest.mark.parametrize("path", SHIPPED + WORKSHOP, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_and_workshop_specs(path: Path) -> None:
    spec = api.load(str(path))
    assert_same_search(spec)
    assert_same_check(spec)
    assert_same_check(spec, "fingerprint")
    assert_same_check(spec, por=False)


@pytest.mark.parametrize("consts", [
    {"ENACTORS": 3, "ENDPOINTS": 2, "PLANS": 6, "FIX": 0},
    {"ENACTORS": 3, "ENDPOINTS": 2, "PLANS": 6, "FIX": 1},
    {"ENACTORS": 3, "ENDPOINTS": 1, "PLANS": 6, "FIX": 2},
    {"ENACTORS": 2, "ENDPOINTS": 3, "PLANS": 7, "FIX": 2},
], ids=lambda c: "x".join(str(c[k]) for k in ("ENACTORS", "ENDPOINTS", "PLANS")) + f"-fix{c['FIX']}")
def test_reference_grid_slice(consts: dict[str, int]) -> None:
    spec = api.load(str(ROOT / "specs" / "reference_dns.pap"), consts)
    assert_same_search(spec)
    assert_same_check(spec)


def test_limits_stop_at_the_same_place() -> None:
    spec = api.load(str(ROOT / "specs" / "reference_dns.pap"), {"ENACTORS": 3, "ENDPOINTS": 2})
    for n in (1, 100, 1000):
        c, py = search_both(spec, False, "exact", Limits(max_states=n))
        assert c == py and c[0] == "max_states"


def test_interrupt_gives_a_partial_result() -> None:
    spec = api.load(str(ROOT / "specs" / "reference_dns.pap"), {"ENACTORS": 3, "ENDPOINTS": 2})
    prog = native_program(spec.model, None)

    def stop(stats: Any) -> None:
        raise KeyboardInterrupt

    r = native_explore(spec.model, prog, progress=stop, progress_every=0.0, chunk=64)
    assert r.stop_reason == "interrupted" and not r.complete and 0 < r.stats.states


PROFILE = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))


@PROFILE
@given(protocols(model_errors=True, initial_domains=True))
def test_generated_protocols_with_model_errors(text: str) -> None:
    spec = api.load_text(text)
    try:
        native_program(spec.model, None)
    except NativeUnavailable:
        return  # the refusal is tested below; counted by the coverage test
    assert_same_search(spec)
    assert_same_check(spec)


@PROFILE
@given(protocols(symmetric=True, max_instances=3))
def test_generated_symmetric_protocols(text: str) -> None:
    try:
        spec = api.load_text(text)
    except SpecError:  # a machine marked symmetric that is not: nothing to compare
        assume(False)
    assert_same_search(spec)
    assert_same_check(spec)


@PROFILE
@given(por_protocols(initial_domains=True))
def test_generated_protocols_where_partial_order_reduction_fires(text: str) -> None:
    spec = api.load_text(text)
    assert_same_search(spec, (True,))
    assert_same_check(spec)


def _loop_specs() -> list[tuple[str, str]]:
    """(name, text) of every spec with loops or comprehensions the tests hold: the adversarial
    ones (tests/attack_loops), the shipped bulk purge, and tests/test_loops.py's."""
    from tests import test_loops as tl
    out = [(f"attack_loops/{p.name}", p.read_text()) for p in sorted((ROOT / "tests" / "attack_loops").glob("*.pap"))]
    out.append(("bulk_purge", (ROOT / "specs" / "dynamodb_dns_bulk_purge.pap").read_text()))
    out += [("test_loops static", tl.STATIC_LOOP), ("test_loops dynamic", tl.DYNAMIC),
            ("test_loops comprehensions", tl.COMPREHENSIONS), ("test_loops oracle forms", tl.ORACLE_SPECS[0]),
            ("test_loops oracle model errors", tl.ORACLE_SPECS[1]), ("test_loops loop then choose", tl.LOOP_THEN_CHOOSE),
            ("test_loops nested", tl.NESTED_TLA)]
    return out


@pytest.mark.parametrize("name,text", _loop_specs(), ids=[n for n, _ in _loop_specs()])
def test_loops_and_comprehensions_run_in_c_as_in_python(name: str, text: str) -> None:
    """Loops and comprehensions are transcribed, not refused: the C engine runs these specs (with
    and without symmetry) and finds what the Python engine finds, both stores, model errors
    mid-loop included."""
    spec = api.load_text(text, name)
    sym = spec.symmetry()
    native_program(spec.model, None)  # NativeUnavailable here is a failure: no fallback expected
    if sym is not None and sym.slices is not None:
        native_program(spec.model, sym.slices)
    assert_same_search(spec)
    # ids of a symmetric machine in the data: the C engine cannot canonicalize, it runs unreduced
    symmetry = sym is None or sym.slices is not None
    for store in ("exact", "fingerprint"):
        assert api.check(spec, store=store, symmetry=symmetry, backend="auto").engine == "c"
        assert_same_check(spec, store)
        assert_same_check(spec, store, por=False)


def test_shipped_specs_run_in_c() -> None:
    """Coverage: the C engine takes every shipped and workshop spec (a refusal would be a note)."""
    refused = []
    for path in SHIPPED + WORKSHOP:
        spec = api.load(str(path))
        sym = spec.symmetry()
        try:
            native_program(spec.model, sym.slices if sym is not None else None)
        except NativeUnavailable as e:
            refused.append(f"{path.name}: {e}")
    assert not refused


def test_refusals_fall_back_with_a_note() -> None:
    wide = ("protocol Wide\nvar a: set[0..99]\nvar b: set[0..99]\n"
            "machine M { state s { on go when not (3 in a) { a.add(3); b.add(4) } } }\n")
    r = api.check(api.load_text(wide), backend="c")
    assert r.engine == "python" and r.verdict == "holds"
    assert r.engine_note == "engine: python (the C engine was not used: the C engine does not support " \
                            "states of 200 bits (the C engine packs at most 126))"
    big = ("protocol Big\nconst B = {b}\nvar x: 0..3\n"
           "machine M {{ state s {{ on a when x < 3 and {cond} {{ x := x + 1 }} }} }}\n")
    for b, cond, why in [(10 ** 40, "B > 5", "an integer constant beyond 120 bits"),
                         (10 ** 20, "B * B * B > 5", "arithmetic beyond 120 bits")]:
        r = api.check(api.load_text(big.format(b=b, cond=cond)), backend="c")
        assert r.engine == "python" and r.engine_note.endswith(f"does not support {why})")
        assert r.verdict == "holds" and r.stats.states == 4
    spec = api.load(str(ROOT / "specs" / "reference_dns.pap"))
    assert api.check(spec, strategy="dfs", backend="c").engine_note.endswith("breadth-first only)")
    quiet = api.check(spec, strategy="dfs", backend="auto")
    assert quiet.engine == "python" and quiet.engine_note == ""
    assert api.check(spec, backend="auto").engine == "c"


# ------------------------------------------------------------------------- spec text is never C

HOSTILE = """\
protocol system
# */ #include <stdlib.h> int main() { system("rm -rf /"); } /*
const popen: 1..3 = 2
type exec = 0..3
type longjmp = enum { memcpy, realloc, main_ }
var free: exec = 0
var malloc: longjmp = memcpy
var V: set[exec] = {}
machine papc_succ[popen] {
  var EMIT: bool = false
  init state s {
    ## */ abort(); /* a doc comment
    on t(b1: exec) when free < 3 and b1 >= 0 {
      free := free + 1; EMIT := not EMIT; V.add(b1)
    } -> s
    on papc_fail when EMIT { malloc := realloc } -> main_
  }
  final state main_ { }
}
invariant papc_inv: free <= 3 and (papc_succ[0].EMIT or not papc_succ[0].EMIT)
reachable papc_reach: malloc == realloc and 2 in V
"""


def test_spec_text_never_reaches_the_c_source() -> None:
    spec = api.load_text(HOSTILE, "hostile.pap")
    generated = spec_functions(spec.checked, spec.model.layout, None)
    runtime_words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", RUNTIME))
    allowed = re.compile(r"b\d+|g_b\d+|t0_\d+|_(v|k|o|c|n|pc|lo|hi|set|r|acc|any)\d+|[stcijx]|LL|ULL|0x[0-9a-f]+|"
                         r"[0-9a-f]*ULL|define|PAPC_[A-Z]+|papc_canon|spec|line|generated|by|papcheck|from|a|"
                         r"checked|bits|states|for|int|return|static|if|continue|break|else|while|uint64_t")
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", generated)) - runtime_words
    leaked = sorted(w for w in words if not allowed.fullmatch(w))
    assert not leaked, f"unexpected identifiers in generated C: {leaked}"
    for text in ("rm -rf", "system(", "abort", "main_", "#include <stdlib.h> int"):
        assert generated.count(text) == RUNTIME.count(text), text
    r = api.check(spec, backend="c")
    assert r.engine == "c" and r.verdict == "holds"
    assert [p.status for p in r.properties] == ["holds", "witnessed"]


# ------------------------------------------------------------------------------ command line


def _cli(*args: str, **kw: Any) -> Any:
    import os
    import subprocess
    import sys
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "checker.cli", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_cli_names_the_engine_and_says_why_not_c() -> None:
    import json
    spec = "specs/reference_dns.pap"
    out = {}
    for engine in ("auto", "c", "python"):
        p = _cli("check", spec, "--format", "json", "--no-timing", "-q", "--engine", engine)
        stdout, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        out[engine] = json.loads(stdout)
    assert [out[e]["engine"] for e in ("auto", "c", "python")] == ["c", "c", "python"]
    assert out["c"]["stats"] == out["python"]["stats"]
    p = _cli("check", spec, "--no-timing", "--engine", "c", "--strategy", "dfs")
    stdout, stderr = p.communicate(timeout=300)
    assert p.returncode == 0 and "; engine python\n" in stdout
    assert "papcheck: note: engine: python (the C engine was not used: it searches breadth-first only)" in stderr


def test_sigterm_ends_a_c_search_with_a_partial_result() -> None:
    import signal
    import time
    # 36 million states (about 20 s of CPU): still searching when the signal comes, even on a
    # loaded machine where start-up takes seconds
    p = _cli("check", "specs/reference_dns.pap", "-D", "ENACTORS=5", "-D", "ENDPOINTS=2", "-D", "PLANS=6",
             "--no-por", "--no-symmetry", "--no-timing", "-q", "--engine", "c")
    time.sleep(10)
    p.send_signal(signal.SIGTERM)
    stdout, _ = p.communicate(timeout=120)
    assert p.returncode == 4, stdout
    assert "Verdict: INCOMPLETE (terminated by SIGTERM)" in stdout and "engine c" in stdout
