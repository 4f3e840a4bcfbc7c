"""Build, cache and drive the native search.

:func:`native_program` generates the C for a compiled model, compiles it with the system compiler
(``$CC`` or ``cc``, ``-O2 -shared -fPIC -fwrapv``) into a shared object cached under
``$XDG_CACHE_HOME/papcheck/native`` (``~/.cache/papcheck/native``) by a digest of the source,
the compiler's version and the flags, and loads it with ctypes.  :func:`native_explore` runs the
breadth-first search in chunks of a few thousand expansions, returning to Python between them for
the limits, the progress display and Ctrl-C/SIGTERM, and answers with the same
:class:`checker.engine.explore.SearchResult` as the Python loop: the stores it returns answer
``parent`` / ``fingerprint_path``, so traces are rebuilt by the Python model.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from ..explore import Finding, Limits, ProgressFn, SearchResult, Stats, Terminated, resident_bytes
from ..model import ModelError
from .cgen import Candidate, Unsupported, generate

FLAGS = ["-O2", "-shared", "-fPIC", "-fwrapv", "-w"]
_R_CONTINUE, _R_DONE, _R_FOUND, _R_MAXSTATES, _R_NOMEM = range(5)
_F_INV, _F_DEADLOCK, _F_ERR_EXPAND, _F_ERR_EXAMINE = 1, 2, 3, 4
_M64 = (1 << 64) - 1


class NativeUnavailable(Exception):
    """No C compiler, a construct the generator does not transcribe, or a failed compile: the
    caller says so in one line and searches in Python."""


def compiler() -> str | None:
    return shutil.which(os.environ.get("CC") or "cc")


_VERSIONS: dict[str, str] = {}


def compiler_version(cc: str) -> str:
    if cc not in _VERSIONS:
        try:
            out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError) as e:
            raise NativeUnavailable(f"the C compiler {cc} does not run ({e})") from None
        _VERSIONS[cc] = out.strip()
    return _VERSIONS[cc]


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "papcheck", "native")


def build(source: str) -> str:
    """The path of the shared object for this C source (compiled unless cached)."""
    cc = compiler()
    if cc is None:
        raise NativeUnavailable("no C compiler found (cc, or $CC)")
    digest = hashlib.sha256("\0".join([source, compiler_version(cc), " ".join(FLAGS)]).encode()).hexdigest()[:32]
    d = cache_dir()
    path = os.path.join(d, f"papc-{digest}.so")
    if os.path.exists(path):
        return path
    try:
        os.makedirs(d, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=d) as tmp:
            src, out = os.path.join(tmp, "model.c"), os.path.join(tmp, "model.so")
            with open(src, "w") as f:
                f.write(source)
            run = subprocess.run([cc, *FLAGS, "-o", out, src], capture_output=True, text=True, timeout=600)
            if run.returncode != 0:
                first = (run.stderr.strip().splitlines() or ["no message"])[0]
                raise NativeUnavailable(f"the C compiler failed ({first})")
            os.replace(out, path)  # atomic: a concurrent run sees the whole file or none
    except OSError as e:
        raise NativeUnavailable(f"cannot build the native engine in {d} ({e})") from None
    except subprocess.TimeoutExpired:
        raise NativeUnavailable("the C compiler took over 10 minutes") from None
    return path


@dataclass
class Program:
    lib: Any
    width: int
    source: str
    por: list[Candidate] | None = None  # the ample-set candidates compiled in


def native_program(model: Any, slices: list[tuple[int, int, int]] | None,
                   por: list[Candidate] | None = None) -> Program:
    """The compiled native search for a :class:`checker.engine.compile.CompiledModel`, with
    symmetry canonicalization over `slices` and partial-order reduction over the `por`
    candidates (instance, pc offset, pc mask, safe pcs, cyclic) when given.  Cached on the model."""
    cache = model.__dict__.setdefault("_native", {})
    key = (tuple(slices or ()), tuple((k, o, m, tuple(sf), c) for k, o, m, sf, c in por or ()))
    if key in cache:
        if isinstance(cache[key], NativeUnavailable):
            raise cache[key]
        return cache[key]  # type: ignore[no-any-return]
    try:
        try:
            source = generate(model.checked, model.layout, slices, por)
        except Unsupported as e:
            raise NativeUnavailable(f"the C engine does not support {e}") from None
        lib = ctypes.CDLL(build(source))
    except NativeUnavailable as e:
        cache[key] = e
        raise
    P, U64, I64, I = ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int64, ctypes.c_int
    buf = ctypes.POINTER(ctypes.c_uint64)
    for name, res, args in [
        ("papc_new", P, [I, I, I, U64, U64]), ("papc_free", None, [P]),
        ("papc_add_initial", I, [P, U64, U64, I]), ("papc_run", I, [P, U64]),
        ("papc_info", None, [P, buf]), ("papc_found_state", None, [P, buf]),
        ("papc_witness", I, [P, I, buf]), ("papc_canonical", None, [U64, U64, buf]), ("papc_state", None, [P, U64, buf]),
        ("papc_fingerprint", U64, [U64, U64]), ("papc_key", U64, [P, U64]),
        ("papc_parent", I64, [P, U64]), ("papc_lookup", I64, [P, U64, U64, I]),
    ]:
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    prog = Program(lib, model.layout.width, source, por)
    cache[key] = prog
    return prog


def por_candidates(model: Any, po: Any, symmetry: bool) -> list[Candidate]:
    """The ample-set candidates of a :class:`checker.reduce.por.PartialOrder` for the C code:
    (instance, pc offset, pc mask, safe control states, whether its safe steps may loop), as its
    Python expander takes them."""
    lay = model.layout
    return [(k, lay.pc_offset(m, inst), (1 << lay.pc_type[m.name].width) - 1, sorted(po.safe[k]),
             bool(po.cyclic_sym[k] if symmetry else po.cyclic[k]))
            for k, (m, inst) in enumerate(model.instances) if po.safe[k]]


class _Handle:
    """The C search context, freed with the last store that refers to it."""

    def __init__(self, prog: Program, ctx: int):
        self.prog, self.ctx = prog, ctx
        self.buf = (ctypes.c_uint64 * 2)()

    def __del__(self) -> None:
        if self.ctx:
            self.prog.lib.papc_free(self.ctx)
            self.ctx = 0

    def state(self, idx: int) -> int:
        self.prog.lib.papc_state(self.ctx, idx, self.buf)
        return self.buf[0] | (self.buf[1] << 64)


class NativeExactStore:
    """The C exact store seen through the Store interface (for traces and reports)."""

    name = "exact"

    def __init__(self, h: _Handle):
        self._h = h
        self.n = 0
        self.bytes = 0

    def _index(self, state: int) -> int:
        return int(self._h.prog.lib.papc_lookup(self._h.ctx, state & _M64, state >> 64, 0))

    def insert(self, state: Any, parent: Any) -> bool:
        raise TypeError("the native store is filled by the native search")

    def parent(self, state: Any) -> int | None:
        i = self._index(state)
        if i < 0:
            raise KeyError(state)
        p = int(self._h.prog.lib.papc_parent(self._h.ctx, i))
        return None if p < 0 else self._h.state(p)

    def __contains__(self, state: Any) -> bool:
        return self._index(state) >= 0

    def __len__(self) -> int:
        return self.n

    def memory_bytes(self) -> int:
        return self.bytes


class NativeFingerprintStore(NativeExactStore):
    """The C fingerprint store: 64-bit hashes (exact for states of up to 64 bits) and parents."""

    name = "fingerprint"

    def fingerprint(self, state: int) -> int:
        return int(self._h.prog.lib.papc_fingerprint(state & _M64, state >> 64))

    def fingerprint_path(self, state: int) -> list[int]:
        lib, ctx = self._h.prog.lib, self._h.ctx
        i = int(lib.papc_lookup(ctx, self.fingerprint(state), 0, 1))
        if i < 0:
            raise KeyError(state)
        path = []
        while i >= 0:
            path.append(int(lib.papc_key(ctx, i)))
            i = int(lib.papc_parent(ctx, i))
        path.reverse()
        return path

    def parent(self, state: Any) -> int | None:
        raise TypeError("a fingerprint store keeps no states; use checker.engine.explore.path_to")

    def __contains__(self, state: Any) -> bool:
        return int(self._h.prog.lib.papc_lookup(self._h.ctx, self.fingerprint(state), 0, 1)) >= 0

    def collision_probability(self, transitions: int) -> float:
        if self._h.prog.width <= 64:
            return 0.0
        return min(1.0, self.n * max(transitions - self.n, 0) / 2.0 ** 64)


def native_explore(model: Any, prog: Program, *, store: str = "exact", limits: Limits | None = None,
                   progress: ProgressFn | None = None, progress_every: float = 0.25,
                   check_deadlock: bool | None = None, chunk: int = 512,
                   counters: dict[str, int] | None = None) -> SearchResult:
    """Breadth-first search in C with :func:`checker.engine.explore.explore`'s semantics (no
    `expand`: the C code canonicalizes under symmetry itself; every property checked)."""
    limits = limits or Limits()
    props = list(model.properties)
    reach_mask = 0
    for p in props:
        if p.kind == "reachable":
            reach_mask |= 1 << p.index
    if check_deadlock is None:
        check_deadlock = any(p.kind == "deadlock_free" for p in props)
    deadlock_prop = next((p.index for p in props if p.kind == "deadlock_free"), -1)
    has_inv = any(p.kind == "invariant" for p in props)
    lib = prog.lib
    fp = store == "fingerprint"
    ctx = lib.papc_new(int(fp), int(has_inv), int(bool(check_deadlock)), reach_mask, limits.max_states or 0)
    if not ctx:
        raise MemoryError("the native search could not allocate its store")
    h = _Handle(prog, ctx)
    st: NativeExactStore = NativeFingerprintStore(h) if fp else NativeExactStore(h)
    stats = Stats()
    result = SearchResult(False, "done", stats, st)
    info = (ctypes.c_uint64 * 11)()
    started = time.perf_counter()
    deadline = started + limits.timeout if limits.timeout else None
    last_report = started
    found: Finding | None = None
    status = _R_CONTINUE

    def refresh() -> None:
        lib.papc_info(ctx, info)
        st.n, stats.transitions, stats.depth, stats.queue, st.bytes = info[0], info[1], info[2], info[8], info[7]
        stats.states = st.n
        if counters is not None:
            counters["ample"], counters["full"] = info[9], info[10]

    try:
        for s0 in model.initial_states():
            r = lib.papc_add_initial(ctx, s0 & _M64, s0 >> 64, int(found is None and (has_inv or reach_mask != 0)))
            if r < 0:
                raise MemoryError
            if r >= 1:
                lib.papc_canonical(s0 & _M64, s0 >> 64, h.buf)
                result.initial.append(h.buf[0] | (h.buf[1] << 64))
            if r == 2:
                found = _finding(model, h, info, has_inv, deadlock_prop)
        while found is None:
            now = time.perf_counter()
            if deadline is not None and now >= deadline:
                result.stop_reason = "timeout"
                break
            status = lib.papc_run(ctx, chunk)
            took = time.perf_counter() - now
            if took < 0.02 and chunk < 1 << 22:  # about 20-50 ms a chunk: limits and Ctrl-C stay prompt
                chunk *= 2
            elif took > 0.1 and chunk > 64:
                chunk //= 2
            if status == _R_FOUND:
                found = _finding(model, h, info, has_inv, deadlock_prop)
                break
            if status == _R_DONE:
                break
            if status == _R_MAXSTATES:
                result.stop_reason = "max_states"
                break
            if status == _R_NOMEM:
                raise MemoryError
            now = time.perf_counter()
            if deadline is not None and now >= deadline:
                result.stop_reason = "timeout"
                break
            if limits.max_memory is not None and resident_bytes() >= limits.max_memory:
                result.stop_reason = "max_memory"
                break
            if progress is not None and now - last_report >= progress_every:
                last_report = now
                refresh()
                stats.seconds = now - started
                progress(stats)
    except KeyboardInterrupt as e:
        result.stop_reason = "terminated" if isinstance(e, Terminated) else "interrupted"
    except MemoryError:
        result.stop_reason = "max_memory"
    refresh()
    # the witnesses found (only those still pending at a finding are missing, as in Python)
    for p in props:
        if p.kind == "reachable":
            if lib.papc_witness(ctx, p.index, h.buf):
                result.witnesses[p.index] = h.buf[0] | (h.buf[1] << 64)
    stats.seconds = time.perf_counter() - started
    stats.peak_memory_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stats.store_bytes = st.memory_bytes()
    if found is not None:
        result.findings.append(found)
        result.stop_reason = "violation"
        result.complete = False
    elif result.stop_reason == "done":
        result.complete = True
    return result


def _finding(model: Any, h: _Handle, info: Any, has_inv: bool, deadlock_prop: int) -> Finding:
    lib, ctx = h.prog.lib, h.ctx
    lib.papc_info(ctx, info)
    kind, prop = int(info[4]), ctypes.c_int64(info[5]).value
    lib.papc_found_state(ctx, h.buf)
    s = h.buf[0] | (h.buf[1] << 64)
    if kind == _F_INV:
        return Finding("invariant", s, prop)
    if kind == _F_DEADLOCK:
        return Finding("deadlock", s, deadlock_prop)
    # a model error: the Python model, replaying the state, gives the error (message, site)
    try:
        if kind == _F_ERR_EXPAND:
            # as the Python expander: the candidates in order (an instance whose safe steps fail
            # raises before any other instance is tried), then every transition
            for k, off, mask, safe, _cyclic in h.prog.por or ():
                if (s >> off) & mask in safe:
                    model.instance_successors[k](s)
            model.successors(s)
        else:
            if has_inv:
                model.violated_invariant(s)
            model.witnesses(s)
    except ModelError as e:
        return Finding("model_error", s, error=e)
    raise RuntimeError("the native engine reported a model error the Python model does not raise "
                       "(a bug in the C generator)")
