"""Second opinions from SPIN and Rumur on the user's own spec (`check --cross-check spin|rumur`).

The spec is exported (checker.export), the peer builds and runs a verifier in a temporary
directory, and its output is parsed into a :class:`PeerOutcome`; :func:`compare` sets it next to
papcheck's result.  Counts are compared on the *whole* reachable state space without reductions
(papcheck's plain breadth-first search over its successor function, SPIN with -c0 so it does not
stop at the first error, Rumur with --max-errors so it does not either), because the point where
a search stops at a violation depends on its order.  Exact accounting (docs/export.md):

* SPIN: "states, stored" = papcheck + 1 (the state before the initialising d_step); every depth
  pan prints is papcheck's depth + 1 for a property, and equals a model-error trace's length.
  With `var x: T in D` declarations, the chain of `if`s choosing the initial values adds
  :func:`checker.export.promela.choice_chain` states and steps, subtracted here.
* Rumur: states = papcheck's states; a property's depth is the trace length Rumur prints.

Nothing here prints; the CLI renders :meth:`CrossCheck.line`.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..api import CheckResult, PropertyResult, Spec
from ..engine.model import ModelError
from ..engine.processes import die_with_parent
from ..export import ExportError, export
from ..lang.outputs import counted
from ..lang.symbols import PropertyInfo

PEERS = ("spin", "rumur")
INSTALL_HINT = {
    "spin": "SPIN and a C compiler are needed: apt-get install spin gcc (or see https://spinroot.com)",
    "rumur": "Rumur and a C compiler are needed: apt-get install rumur gcc (or see https://github.com/Smattr/rumur)",
}


class PeerUnavailable(Exception):
    """The peer or a C compiler is not installed."""


@dataclass
class PeerOutcome:
    tool: str
    verdict: str  # holds, violated, error
    states: int | None
    failed: dict[int, int] = field(default_factory=dict)  # property index -> shortest trace length
    model_error: int | None = None  # shortest trace length of a model error
    seconds: float = 0.0
    build_seconds: float = 0.0
    error: str | None = None
    output: str = ""


@dataclass
class FullCount:
    states: int
    model_error: bool


def full_count(spec: Spec, max_states: int | None = None, *, symmetry: bool = False) -> FullCount:
    """Every reachable state, without reductions and without stopping at violations (a state
    whose successors raise a model error is counted but not expanded).  `symmetry`: one state
    per orbit of papcheck's symmetry reduction (Rumur's --symmetry-reduction exhaustive)."""
    model = spec.model
    sym = spec.symmetry() if symmetry else None
    canon = sym.canon if sym is not None else (lambda s: s)
    seen = {canon(s) for s in model.initial_states()}
    frontier = deque(seen)
    errored = False
    while frontier:
        s = frontier.popleft()
        try:
            succ = model.successors(s)
        except ModelError:
            errored = True
            continue
        for t in succ:
            t = canon(t)
            if t not in seen:
                seen.add(t)
                frontier.append(t)
                if max_states is not None and len(seen) > max_states:
                    raise RuntimeError("state limit")
    return FullCount(len(seen), errored)


def c_compiler() -> str | None:
    cc = os.environ.get("CC")
    if cc and shutil.which(cc):
        return cc
    for name in ("cc", "gcc", "clang"):
        if shutil.which(name):
            return name
    return None


def available(tool: str) -> bool:
    return shutil.which(tool) is not None and c_compiler() is not None


def _die_with_parent() -> None:
    """In the child before exec: no spin, pan, rumur or verifier outlives a killed papcheck."""
    die_with_parent(_PARENT_PID)


_PARENT_PID = os.getpid()


def _run(cmd: list[str], cwd: str, timeout: float | None) -> tuple[int, str]:
    global _PARENT_PID
    _PARENT_PID = os.getpid()
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, text=True, errors="replace", preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired:
        return -1, "timeout"
    return p.returncode, p.stdout


# ----------------------------------------------------------------------------------------- SPIN

_PAN_ERR = re.compile(r"^pan:\d+:\s*(.*?)\s*\(at depth (\d+)\)", re.MULTILINE)
_PAN_PROP = re.compile(r"^pap_prop (\d+)$")
_PAN_MODEL_ERROR = re.compile(r"^pap_model_error (\d+)$")
_PAN_STORED = re.compile(r"^\s*(\d+) states, stored", re.MULTILINE)


def run_spin(spec: Spec, *, timeout: float | None = 600, workdir: str | None = None,
             expected_states: int | None = None, safety_only: bool = False) -> PeerOutcome:
    if not available("spin"):
        raise PeerUnavailable(INSTALL_HINT["spin"])
    from ..export.promela import PROP_BASE, choice_chain
    text = export(spec.checked, "promela", safety_only=safety_only)[".pml"]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="papcheck-spin-", dir=workdir) as wd:
        with open(os.path.join(wd, "model.pml"), "w") as f:
            f.write(text)
        res = _spin_in(wd, started, timeout, expected_states, PROP_BASE)
    # `var x: T in D`: the export chooses the initial values after its initialising d_step, one
    # `if` per variable, which SPIN stores as states and steps (docs/export.md)
    extra_states, extra_steps = choice_chain(spec.checked)
    if res.states is not None:
        res.states -= extra_states
    res.failed = {k: n - extra_steps for k, n in res.failed.items()}
    if res.model_error is not None:
        res.model_error -= extra_steps
    return res


def _spin_in(wd: str, started: float, timeout: float | None, expected_states: int | None,
             prop_base: int) -> PeerOutcome:
    rc, out = _run(["spin", "-a", "model.pml"], wd, timeout)
    if rc != 0:
        return PeerOutcome("spin", "error", None, error=f"spin -a failed: {out.strip()[-400:]}", output=out)
    cc = c_compiler()
    assert cc is not None
    rc, out = _run([cc, "-O0", "-w", "-DBFS", "-DSAFETY", "-DNOREDUCE", "-DMEMLIM=8192",
                    "-DVECTORSZ=65536", "-o", "pan", "pan.c"], wd, timeout)
    if rc != 0:
        return PeerOutcome("spin", "error", None, error=f"compiling pan failed: {out.strip()[-400:]}", output=out)
    built = time.perf_counter()
    bits = 22 if not expected_states else min(30, max(12, int(expected_states).bit_length() + 1))
    rc, out = _run(["./pan", "-c0", "-n", f"-w{bits}", "-m100000000"], wd, timeout)
    done = time.perf_counter()
    return parse_pan(out, prop_base, done - started, built - started)


def parse_pan(out: str, prop_base: int, seconds: float = 0.0, build: float = 0.0) -> PeerOutcome:
    res = PeerOutcome("spin", "holds", None, seconds=seconds, build_seconds=build, output=out)
    m = _PAN_STORED.search(out)
    if m is None or "Search not completed" in out or "timeout" == out:
        res.verdict = "error"
        res.error = "pan did not finish" if out != "timeout" else "timeout"
        return res
    res.states = int(m.group(1)) - 1  # the state before the initialising d_step
    for msg, depth in _PAN_ERR.findall(out):
        pm = _PAN_PROP.search(msg)
        if pm:
            k = int(pm.group(1)) - prop_base
            length = int(depth) - 1
            res.failed[k] = min(res.failed.get(k, length), length)
        else:
            length = int(depth)
            res.model_error = length if res.model_error is None else min(res.model_error, length)
    return res


def batch_spin(specs: list[Spec], *, timeout: float | None = 600, workdir: str | None = None) -> list[PeerOutcome]:
    """SPIN's outcome for each of several specs, from one pan build (see
    checker.export.promela.batch_promela for the accounting)."""
    if not available("spin"):
        raise PeerUnavailable(INSTALL_HINT["spin"])
    from ..export.promela import batch_promela
    text, bases = batch_promela([s.checked for s in specs])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="papcheck-spin-", dir=workdir) as wd:
        with open(os.path.join(wd, "model.pml"), "w") as f:
            f.write(text)
        one = _spin_in(wd, started, timeout, None, 1)
    if one.verdict == "error":
        return [one for _ in specs]
    out = one.output
    counts = {int(a): int(b) for a, b in re.findall(r"^pap_count (\d+) (\d+)$", out, re.MULTILINE)}
    res = [PeerOutcome("spin", "holds", counts.get(j + 1), seconds=one.seconds, build_seconds=one.build_seconds)
           for j in range(len(specs))]
    assert one.states is not None
    total = one.states + 1
    if total != 1 + len(specs) + sum(counts.values()):
        for r in res:
            r.verdict, r.error = "error", f"batch accounting: {total} stored, counts {counts}"
        return res
    nprops = [len(s.checked.properties) for s in specs]
    for msg, depth in _PAN_ERR.findall(out):
        pm = _PAN_PROP.search(msg)
        em = _PAN_MODEL_ERROR.search(msg)
        if pm:
            num = int(pm.group(1))
            j = next((j for j, b in enumerate(bases) if b <= num < b + nprops[j]), None)
            if j is None:
                continue
            k, length = num - bases[j], int(depth) - 2
            res[j].failed[k] = min(res[j].failed.get(k, length), length)
        elif em:
            j = next((j for j, b in enumerate(bases) if b - 1 == int(em.group(1))), None)
            if j is not None:
                length = int(depth) - 1
                res[j].model_error = length if res[j].model_error is None else min(res[j].model_error, length)  # type: ignore[type-var]  # mypy does not narrow res[j].model_error (a variable index)
        else:
            for r in res:
                r.verdict, r.error = "error", f"pan: {msg}"
    return res


# ---------------------------------------------------------------------------------------- Rumur

_RU_STATES = re.compile(r"(\d+) states", re.MULTILINE)


def run_rumur(spec: Spec, *, timeout: float | None = 600, workdir: str | None = None,
              safety_only: bool = False, shortest: bool = True, symmetry: str = "off") -> PeerOutcome:
    """Two builds when something fails: the whole space without traces (every error, the
    count), then with traces and --max-errors 1 without the `reachable` rules for the shortest
    counterexample (Rumur searches breadth-first).  `shortest=False` skips the second.
    `symmetry`: Rumur's --symmetry-reduction (off: the unreduced count; exhaustive: one state
    per orbit of the scalarsets, papcheck's symmetry-reduced count)."""
    if not available("rumur"):
        raise PeerUnavailable(INSTALL_HINT["rumur"])
    from ..export.murphi import to_murphi
    text = to_murphi(spec.checked, safety_only=safety_only)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="papcheck-rumur-", dir=workdir) as wd:
        with open(os.path.join(wd, "model.m"), "w") as f:
            f.write(text)
        res = _rumur_in(wd, timeout, ["--max-errors", "100000000", "--counterexample-trace", "off"], symmetry)
        if res.verdict != "error" and res.model_error is not None and spec.checked.properties and 'cover "pap_prop_' not in res.output:
            # after an error Rumur prints no cover results: learn the hits from error rules
            with open(os.path.join(wd, "model.m"), "w") as f:
                f.write(to_murphi(spec.checked, safety_only=safety_only, properties="errors"))
            hits = _rumur_in(wd, timeout, ["--max-errors", "100000000", "--counterexample-trace", "off"], symmetry)
            if hits.verdict == "error":
                hits.seconds = time.perf_counter() - started
                return hits
            res.failed = {k: -1 for kind, k, _ in _errors(hits.output) if kind == "prop"}
        if res.verdict == "error" or not shortest:
            res.seconds = time.perf_counter() - started
            return res
        live = {k for k, p in enumerate(spec.checked.properties) if p.kind != "reachable"}
        if res.model_error is not None or set(res.failed) & live:
            with open(os.path.join(wd, "model.m"), "w") as f:
                f.write(to_murphi(spec.checked, safety_only=safety_only, properties="counterexample"))
            first = _rumur_in(wd, timeout, ["--max-errors", "1", "--counterexample-trace", "diff"], symmetry)
            for kind, k, length in _errors(first.output):
                if length is None:
                    continue
                if kind == "prop":
                    res.failed[k] = length
                else:
                    res.model_error = length
        res.seconds = time.perf_counter() - started
        return res


def _rumur_in(wd: str, timeout: float | None, extra: list[str], symmetry: str = "off") -> PeerOutcome:
    rc, out = _run(["rumur", "--symmetry-reduction", symmetry, "--deadlock-detection", "off", "--value-type", "int32_t",
                    "--threads", "1", *extra, "--output", "model.c", "model.m"], wd, timeout)
    if rc != 0:
        return PeerOutcome("rumur", "error", None, error=f"rumur failed: {out.strip()[-400:]}", output=out)
    cc = c_compiler()
    assert cc is not None
    t0 = time.perf_counter()
    arch = ["-mcx16"] if platform.machine().lower() in ("x86_64", "amd64") else []
    rc, out = _run([cc, "-std=c11", "-O0", "-w", *arch, "-o", "verifier", "model.c", "-lpthread"], wd, timeout)
    if rc != 0:
        return PeerOutcome("rumur", "error", None, error=f"compiling the verifier failed: {out.strip()[-400:]}",
                           output=out)
    build = time.perf_counter() - t0
    rc, out = _run(["./verifier"], wd, timeout)
    return parse_rumur(out, build=build)


def batch_rumur(specs: list[Spec], *, timeout: float | None = 600, workdir: str | None = None) -> list[PeerOutcome]:
    """Rumur's outcome (verdicts, counts; no depths) for each of several specs from one build (see
    checker.export.murphi.batch_murphi)."""
    if not available("rumur"):
        raise PeerUnavailable(INSTALL_HINT["rumur"])
    from ..export.murphi import batch_murphi
    text, bases = batch_murphi([s.checked for s in specs])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="papcheck-rumur-", dir=workdir) as wd:
        with open(os.path.join(wd, "model.m"), "w") as f:
            f.write(text)
        one = _rumur_in(wd, timeout, ["--max-errors", "100000000", "--counterexample-trace", "off"])
    seconds = time.perf_counter() - started
    if one.verdict == "error":
        return [one for _ in specs]
    out = one.output
    counts = {int(j): int(n) for j, n in re.findall(r'cover "pap_count_(\d+)" hit (\d+) times', out)}
    res = [PeerOutcome("rumur", "holds", counts.get(j + 1, 0), seconds=seconds, build_seconds=one.build_seconds)
           for j in range(len(specs))]
    if one.states != sum(counts.values()):
        for r in res:
            r.verdict, r.error = "error", f"batch accounting: {one.states} states, counts {counts}"
            r.output = out
        return res
    nprops = [len(s.checked.properties) for s in specs]
    for num_s in re.findall(r'cover "pap_prop_(\d+)" hit', out):
        num = int(num_s)
        j = next((j for j, b in enumerate(bases) if b <= num < b + nprops[j]), None)
        if j is not None:
            res[j].failed[num - bases[j]] = -1
    for m in re.finditer(r"pap_model_error (\d+):", out):
        j = next((j for j, b in enumerate(bases) if b - 1 == int(m.group(1))), None)
        if j is not None:
            res[j].model_error = -1
    return res


def _errors(out: str) -> list[tuple[str, int, int | None]]:
    from ..export.murphi import parse_message
    return parse_message(out)


def parse_rumur(out: str, seconds: float = 0.0, build: float = 0.0) -> PeerOutcome:
    res = PeerOutcome("rumur", "holds", None, seconds=seconds, build_seconds=build, output=out)
    m = re.search(r"State Space Explored:\s*\n\s*(\d+) states", out)
    if m is None:
        res.verdict = "error"
        res.error = "the verifier did not finish" if out != "timeout" else "timeout"
        return res
    res.states = int(m.group(1))
    for num, how in re.findall(r'cover "pap_prop_(\d+)" (hit|not hit)', out):
        if how == "hit":
            res.failed[int(num) - 1] = -1  # hit, at a depth Rumur does not report
    for kind, _k, _length in _errors(out):
        if kind == "model_error" and res.model_error is None:
            res.model_error = -1
    return res


# ----------------------------------------------------------------------------------- comparison


@dataclass
class CrossCheck:
    peer: str
    agree: bool
    papcheck_verdict: str
    peer_verdict: str
    papcheck_states: int | None
    peer_states: int | None
    papcheck_length: int | None
    peer_length: int | None
    papcheck_seconds: float
    peer_seconds: float
    problems: list[str] = field(default_factory=list)
    note: str = ""
    outcome: PeerOutcome | None = None
    refused: str | None = None  # the export refused a construct: its located error, rendered

    def line(self, timing: bool = True) -> str:
        def n(x: Any) -> str:
            return "-" if x is None else f"{x:,}"
        if self.refused is not None:
            target = "Promela" if self.peer == "spin" else "Murphi"
            return (f"Cross-check ({self.peer}): could not run: the {target} export refused the spec "
                    f"(papcheck's own result above stands; exit code 3)")
        status = "agree" if self.agree else "DISAGREE"
        s = (f"Cross-check ({self.peer}): {status}: verdict {self.papcheck_verdict} / {self.peer_verdict}, "
             f"states {n(self.papcheck_states)} / {n(self.peer_states)} (unreduced), "
             f"shortest counterexample {n(self.papcheck_length)} / {n(self.peer_length)} steps")
        if timing:
            s += f", time {self.papcheck_seconds:.2f} s / {self.peer_seconds:.2f} s"
        if self.note:
            s += f" ({self.note})"
        return s

    def to_dict(self) -> dict:
        return {"peer": self.peer, "agree": self.agree,
                "verdict": {"papcheck": self.papcheck_verdict, "peer": self.peer_verdict},
                "states": {"papcheck": self.papcheck_states, "peer": self.peer_states},
                "counterexample_length": {"papcheck": self.papcheck_length, "peer": self.peer_length},
                "seconds": {"papcheck": round(self.papcheck_seconds, 3), "peer": round(self.peer_seconds, 3)},
                "problems": list(self.problems), "note": self.note, "refused": self.refused}


def safety_verdict(result: CheckResult) -> str:
    """papcheck's verdict on the properties the peers check (liveness left out)."""
    if result.model_error is not None:
        return "violated"
    safety = [p for p in result.properties if p.kind in ("invariant", "reachable", "deadlock_free")]
    if any(p.status in ("violated", "unreachable") for p in safety):
        return "violated"
    if result.search is not None and result.search.complete:
        return "holds"
    return "incomplete"


def compare(spec: Spec, result: CheckResult, peer: PeerOutcome, full: FullCount | None,
            papcheck_seconds: float) -> CrossCheck:
    props = spec.checked.properties
    mine = safety_verdict(result)
    theirs = peer.verdict
    if peer.verdict != "error":
        violated = peer.model_error is not None
        p: PropertyInfo | PropertyResult  # the loop variable here and below
        for k, p in enumerate(props):
            if p.kind in ("invariant", "deadlock_free") and k in peer.failed:
                violated = True
            if p.kind == "reachable" and k not in peer.failed:
                violated = True
        theirs = "violated" if violated else "holds"
    problems: list[str] = []
    if peer.verdict == "error":
        problems.append(f"{peer.tool}: {peer.error}")
    elif mine != "incomplete" and mine != theirs:
        problems.append(f"verdict: papcheck {mine}, {peer.tool} {theirs}")
    # per property: what papcheck decided must match
    my_len = None
    their_len = None
    if peer.verdict != "error":
        for k, p in enumerate(result.properties):
            if k >= len(props) or props[k].kind not in ("invariant", "reachable", "deadlock_free"):
                continue
            hit = k in peer.failed
            if p.status in ("violated", "witnessed") and not hit:
                problems.append(f"{p.kind} {p.name}: papcheck {p.status}, {peer.tool} never")
            if p.status in ("holds", "unreachable") and hit:
                problems.append(f"{p.kind} {p.name}: papcheck {p.status}, {peer.tool} found it")
            if p.status == "witnessed" and hit and p.trace is not None and result.strategy == "bfs" \
                    and peer.failed[k] >= 0 and p.trace.length != peer.failed[k]:
                problems.append(f"reachable {p.name}: witness in {counted(p.trace.length, 'step')}, {peer.tool} {peer.failed[k]}")
        if result.model_error is not None and peer.model_error is None:
            problems.append(f"model error: papcheck found one, {peer.tool} did not")
        elif peer.model_error is not None and result.model_error is None and result.search is not None \
                and result.search.complete:
            problems.append(f"{peer.tool} found a model error, papcheck did not")
        cex = result.model_error.trace if result.model_error is not None else next(
            (p.trace for p in result.properties if p.status == "violated" and p.trace is not None
             and p.kind in ("invariant", "deadlock_free")), None)
        if cex is not None and result.strategy == "bfs":
            # the peers count the failing step of a model error (papcheck's trace stops before it:
            # "reached in N steps; the last one fails" has length N - 1)
            my_len = cex.length + (1 if result.model_error is not None else 0)
            known = [n for k, n in peer.failed.items() if n >= 0 and props[k].kind != "reachable"]
            if peer.model_error is not None and peer.model_error >= 0:
                known.append(peer.model_error)
            their_len = min(known) if known else None
            if their_len is not None and my_len != their_len:
                problems.append(f"shortest counterexample: papcheck {counted(my_len, 'step')}, {peer.tool} {their_len}")
    note = ""
    my_states = full.states if full is not None else None
    if full is not None and peer.states is not None and not full.model_error and peer.model_error is None:
        if full.states != peer.states:
            problems.append(f"states: papcheck {full.states}, {peer.tool} {peer.states}")
    elif full is not None and (full.model_error or peer.model_error is not None):
        note = "counts not comparable after a model error"
    live = [p.name for p in props if p.kind not in ("invariant", "reachable", "deadlock_free")]
    if live:
        note = (note + "; " if note else "") + f"liveness not cross-checked: {', '.join(live)}"
    return CrossCheck(peer.tool, not problems, mine, theirs, my_states, peer.states, my_len, their_len,
                      papcheck_seconds, peer.seconds, problems, note, peer)


def cross_check(spec: Spec, result: CheckResult, peer: str, *, timeout: float | None = 600,
                papcheck_seconds: float = 0.0) -> CrossCheck:
    """Run the peer on the spec and compare with papcheck's result (raises PeerUnavailable)."""
    live = any(p.kind not in ("invariant", "reachable", "deadlock_free") for p in spec.checked.properties)
    if peer not in PEERS:
        raise ValueError(peer)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:  # papcheck counts while the peer's verifier compiles
        if peer == "spin":
            future = pool.submit(run_spin, spec, timeout=timeout, safety_only=live)
        else:
            future = pool.submit(run_rumur, spec, timeout=timeout, safety_only=live)
        t0 = time.perf_counter()
        full = full_count(spec)
        counting_seconds = time.perf_counter() - t0
        try:
            out = future.result()
        except ExportError as e:  # a construct the export cannot translate faithfully: no peer run
            return CrossCheck(peer, False, safety_verdict(result), "-", full.states, None, None, None,
                              papcheck_seconds + counting_seconds, 0.0, [], "", None, e.diagnostics.render())
    return compare(spec, result, out, full, papcheck_seconds + counting_seconds)
