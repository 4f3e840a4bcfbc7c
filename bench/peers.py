#!/usr/bin/env python3
"""Run papcheck's peer model checkers (SPIN, Rumur) and the hand-written BFS
baseline on the reference DNS plan-apply-purge protocol.

Standard library only.  Every run happens in a temporary directory (or in the
``workdir`` the caller passes), never in the repository tree.

Models (see models/README.md):
  models/reference_dns.pml  Promela; parameters are cpp macros (spin -DNE=...).
  models/reference_dns.m    Murphi for Rumur; a template whose ``const`` block
                            lines ``NAME: <int>;`` are rewritten here.

How the numbers correspond (checked by tests/test_peers.py):
  * ``states``      -- distinct reachable states stored.  SPIN (pan compiled
    with -DNOREDUCE) and Rumur (--symmetry-reduction off) equal handbfs's
    ``states=`` exactly whenever the search runs to completion.  With POR on,
    SPIN may store fewer (on this model it stores the same: every d_step
    touches global variables); with Rumur exhaustive symmetry, ``states`` is
    the number of orbits under permutations of enactors.
  * ``transitions`` -- transitions explored, in handbfs's sense (one per
    generated successor, including those leading to already-seen states).
    pan prints ``stored+matched``, which counts the initial state as "stored"
    without a transition into it, so here transitions = pan's number - 1;
    the printed number is kept in ``tool_transitions``.  Rumur's "rules fired"
    is taken as is (equal to handbfs's count with symmetry off).
  * When the invariant is violated every tool stops early, at a point that
    depends on its search order (handbfs: BFS, pan: DFS, Rumur: BFS), so only
    the verdict ``violated`` is comparable then, not the counts.
  * ``wall_seconds`` covers the whole pipeline (model generation, spin -a /
    rumur, C compilation, verifier run); ``build_seconds`` and
    ``run_seconds`` split it.  ``peak_rss_kb`` is the peak resident set of the
    verifier run alone (pan / rumur's verifier / the handbfs interpreter);
    ``build_peak_rss_kb`` is the largest peak among the build steps (the C
    compiler, usually).  Both are the wait4 rusage of the command itself,
    taken by a tiny compiled launcher (see _RSSWRAP_C: a direct child of
    Python would report Python's own size); kilobytes, including the
    command's waited-for descendants.  ``rss_method`` says which was used.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "models"
PROMELA_MODEL = MODELS_DIR / "reference_dns.pml"
MURPHI_MODEL = MODELS_DIR / "reference_dns.m"

PARAM_NAMES = ("NE", "NP", "G", "K", "FIX")

__all__ = [
    "PeerResult",
    "find_handbfs",
    "main",
    "peer_available",
    "render_murphi",
    "rss_method",
    "run_handbfs",
    "run_peer",
    "run_rumur",
    "run_spin",
]


# --------------------------------------------------------------------------
# result type


@dataclass
class PeerResult:
    tool: str                      # "spin", "rumur" or "handbfs"
    ne: int
    np: int
    g: int
    k: int
    fix: int
    options: dict                  # e.g. {"por": False} or {"symmetry": "off"}
    states: int | None          # distinct states stored (orbits under symmetry)
    transitions: int | None     # transitions explored, handbfs's meaning
    violated: bool                 # the invariant was found violated
    complete: bool                 # search ran to the end: no violation, no error
    wall_seconds: float            # generate + compile + run
    peak_rss_kb: int | None     # peak RSS of the verifier run
    build_seconds: float = 0.0
    run_seconds: float = 0.0
    build_peak_rss_kb: int | None = None
    tool_transitions: int | None = None   # transitions exactly as the tool printed them
    depth: int | None = None              # search depth reached / violation depth
    error: str | None = None              # tool-side problem (not an invariant violation)
    returncode: int | None = None         # of the verifier run
    output: str = ""                         # raw stdout+stderr of the verifier run
    build_output: str = ""                   # raw output of the build steps
    commands: list = field(default_factory=list)
    rss_method: str = ""                     # "wrapper" (exact) or "wait4" (upper bound)

    def __post_init__(self) -> None:
        if not self.rss_method:
            self.rss_method = rss_method()

    @property
    def ok(self) -> bool:
        """The run produced a trustworthy verdict (no tool error)."""
        return self.error is None

    def summary(self) -> str:
        opts = " ".join(f"{k}={v}" for k, v in self.options.items())
        verdict = "VIOLATED" if self.violated else ("holds" if self.complete else "unknown")
        rss = "?" if self.peak_rss_kb is None else f"{self.peak_rss_kb}"
        s = (f"{self.tool} NE={self.ne} NP={self.np} G={self.g} K={self.k} FIX={self.fix}"
             f"{' ' + opts if opts else ''}: states={self.states} transitions={self.transitions}"
             f" invariant={verdict} wall={self.wall_seconds:.2f}s"
             f" (build {self.build_seconds:.2f}s, run {self.run_seconds:.2f}s) peak_rss={rss}KB")
        if self.error:
            s += f" ERROR: {self.error}"
        return s

    def to_dict(self, with_output: bool = False) -> dict:
        d = dataclasses.asdict(self)
        if not with_output:
            d.pop("output")
            d.pop("build_output")
        return d


# --------------------------------------------------------------------------
# process helpers


@dataclass
class _Proc:
    returncode: int
    output: str
    seconds: float
    maxrss_kb: int | None
    timed_out: bool


# Peak RSS measurement.  The rusage that os.wait4 returns for a direct child of
# this Python process is NOT that program's own peak: Linux keeps the
# high-water mark of the pre-exec memory image (a copy of, or with vfork the
# very, address space of this interpreter) in the child's maxrss, so a 2 MB
# verifier launched from a 500 MB benchmark process would report 500 MB.  We
# therefore launch every command through a tiny C program (compiled once with
# the C compiler that SPIN and Rumur need anyway) that forks, execs the
# command, wait4()s it and writes the command's ru_maxrss to a file -- what
# GNU time does.  Without a C compiler we fall back to os.wait4 directly and
# the figure is an upper bound (rss_method "wait4").
_RSSWRAP_C = r"""
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
/* usage: rsswrap RSSFILE CMD [ARGS...]  -- run CMD, write its peak RSS (KB) */
int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: rsswrap RSSFILE CMD...\n"); return 125; }
    pid_t pid = fork();
    if (pid < 0) { perror("rsswrap: fork"); return 126; }
    if (pid == 0) { execvp(argv[2], argv + 2); perror("rsswrap: exec"); _exit(127); }
    int status = 0; struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) { perror("rsswrap: wait4"); return 126; }
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status)
             : WIFSIGNALED(status) ? -WTERMSIG(status) : 1;
    FILE *f = fopen(argv[1], "w");  /* "<peak RSS> <exit code or -signal>" */
    if (f) { fprintf(f, "%ld %d\n", (long)ru.ru_maxrss, code); fclose(f); }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}
"""
_rsswrap_path: str | None = None
_rsswrap_tried = False
_rsswrap_lock = threading.Lock()


def _rss_wrapper() -> str | None:
    """Path of the compiled rsswrap helper (built once per user and source)."""
    global _rsswrap_path, _rsswrap_tried
    with _rsswrap_lock:
        if _rsswrap_tried:
            return _rsswrap_path
        _rsswrap_tried = True
        cc = _c_compiler()
        if cc is None or sys.platform == "win32":
            return None
        import hashlib
        tag = hashlib.sha1(_RSSWRAP_C.encode()).hexdigest()[:12]
        d = Path(tempfile.gettempdir()) / f"papcheck-rsswrap-{os.getuid()}-{tag}"
        exe = d / "rsswrap"
        if not (exe.is_file() and os.access(exe, os.X_OK)):
            try:
                d.mkdir(mode=0o700, exist_ok=True)
                src = d / f"rsswrap.{os.getpid()}.c"
                tmp = d / f"rsswrap.{os.getpid()}.tmp"
                src.write_text(_RSSWRAP_C)
                r = subprocess.run([cc, "-O2", "-o", str(tmp), str(src)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                src.unlink(missing_ok=True)
                if r.returncode != 0:
                    tmp.unlink(missing_ok=True)
                    return None
                os.replace(tmp, exe)  # atomic: concurrent builders are fine
            except OSError:
                return None
        _rsswrap_path = str(exe)
        return _rsswrap_path


def _run(cmd: Sequence[str], cwd: Path, timeout: float | None = None) -> _Proc:
    """Run cmd in cwd, capturing stdout+stderr, timing it and measuring its
    own peak RSS (see the note above _RSSWRAP_C)."""
    wrap = _rss_wrapper()
    with tempfile.TemporaryDirectory(prefix="papcheck-run-") as td:
        rssfile = os.path.join(td, "rss")
        argv = [wrap, rssfile, *cmd] if wrap else list(cmd)
        with open(os.path.join(td, "out"), "w+b") as out:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, cwd=str(cwd), stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            timed_out = threading.Event()

            def _kill() -> None:
                timed_out.set()
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

            timer = None
            if timeout is not None:
                timer = threading.Timer(timeout, _kill)
                timer.daemon = True
                timer.start()
            try:
                while True:
                    try:
                        _, status, ru = os.wait4(p.pid, 0)
                        break
                    except InterruptedError:  # pragma: no cover (PEP 475 retries)
                        continue
            finally:
                if timer is not None:
                    timer.cancel()
            seconds = time.perf_counter() - t0
            rc = os.waitstatus_to_exitcode(status)
            p.returncode = rc  # tell Popen the child is reaped
            out.seek(0)
            text = out.read().decode("utf-8", errors="replace")
        maxrss: int | None = None
        if wrap:
            try:
                with open(rssfile) as f:
                    rss_s, code_s = f.read().split()
                maxrss, rc = int(rss_s), int(code_s)  # the command's own exit code
            except (OSError, ValueError):
                maxrss = None  # wrapper killed (timeout): keep its status
        else:
            maxrss = int(ru.ru_maxrss)
    if maxrss is not None and sys.platform == "darwin":  # bytes there, KB on Linux
        maxrss //= 1024
    return _Proc(rc, text, seconds, maxrss, timed_out.is_set())


def rss_method() -> str:
    """"wrapper" (exact per-command peak RSS) or "wait4" (an upper bound that
    may include this Python process's own size)."""
    return "wrapper" if _rss_wrapper() else "wait4"


def _c_compiler() -> str | None:
    cc = os.environ.get("CC")
    if cc and shutil.which(cc):
        return cc
    for name in ("cc", "gcc", "clang"):
        if shutil.which(name):
            return name
    return None


def find_handbfs() -> Path | None:
    """Locate shared/bench/handbfs.py: $PAPCHECK_HANDBFS, then a shared/
    folder beside the repository or any of its parents, then /work/shared."""
    env = os.environ.get("PAPCHECK_HANDBFS")
    if env and Path(env).is_file():
        return Path(env)
    for base in [REPO_ROOT, *REPO_ROOT.parents]:
        cand = base / "shared" / "bench" / "handbfs.py"
        if cand.is_file():
            return cand
    cand = Path("/work/shared/bench/handbfs.py")
    return cand if cand.is_file() else None


def peer_available(tool: str) -> bool:
    """True if `tool` ("spin", "rumur" or "handbfs") can be run here."""
    tool = tool.lower()
    if tool == "spin":
        return shutil.which("spin") is not None and _c_compiler() is not None \
            and PROMELA_MODEL.is_file()
    if tool == "rumur":
        return shutil.which("rumur") is not None and _c_compiler() is not None \
            and MURPHI_MODEL.is_file()
    if tool == "handbfs":
        return find_handbfs() is not None
    raise ValueError(f"unknown peer {tool!r}")


class _Workdir:
    """A caller-given directory (kept) or a fresh temporary one (removed)."""

    def __init__(self, workdir, prefix: str):
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=prefix)
            self.path = Path(self._tmp.name)
        else:
            self.path = Path(workdir)
            self.path.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _check_params(ne: int, np: int, g: int, k: int, fix: int) -> None:
    if ne < 1 or np < 1 or g < 1 or k < 0:
        raise ValueError("need NE >= 1, NP >= 1, G >= 1, K >= 0")
    if fix not in (0, 1, 2):
        raise ValueError("FIX must be 0, 1 or 2")
    if g > 250:
        raise ValueError("G must fit a Promela byte (<= 250)")


def _num(s: str) -> int:
    # pan prints counts with "%9.8g": plain integers below 1e8, e.g. 1.2345678e+08 above
    return round(float(s))


# --------------------------------------------------------------------------
# SPIN


_PAN_STORED = re.compile(r"^\s*([0-9.eE+]+)\s+states, stored", re.M)
_PAN_TRANS = re.compile(r"^\s*([0-9.eE+]+)\s+transitions \(= (?:stored\+matched|visited\+matched)", re.M)
_PAN_ERRORS = re.compile(r"State-vector \d+ byte, depth reached (\d+), errors: (\d+)")
_PAN_ASSERT = re.compile(r"pan:\d+: assertion violated.*?(?:\(at depth (\d+)\))?$", re.M)


def run_spin(ne: int, np: int, g: int, k: int, fix: int, por: bool = True,
             workdir=None, *, memlim_mb: int = 8192, hash_bits: int | None = None,
             expected_states: int | None = None, max_depth: int = 100_000, cflags: Sequence[str] = ("-O2",),
             timeout: float | None = None,
             model: Path | None = None) -> PeerResult:
    """Verify the invariant with SPIN: spin -a, cc pan.c, ./pan.

    pan is compiled with -O2 -DSAFETY -DMEMLIM=memlim_mb (plus -DNOREDUCE when
    por is False) and run with -w<hash_bits> -m<max_depth> (the depth bound
    is raised tenfold and pan rerun if pan reports it too small).

    pan allocates and touches its whole hash table (2**hash_bits pointers),
    so for memory comparisons size it to the state space: with hash_bits None
    it is ceil(log2(expected_states)) + 1 when expected_states is given
    (e.g. handbfs's or papcheck's count), else 22 (32 MB).  The hash table
    size never changes the counts (pan chains on collisions)."""
    _check_params(ne, np, g, k, fix)
    model = Path(model) if model is not None else PROMELA_MODEL
    cc = _c_compiler()
    if shutil.which("spin") is None or cc is None:
        raise RuntimeError("spin or a C compiler is not available")
    if hash_bits is None:
        hash_bits = 22 if not expected_states else \
            min(32, max(10, (int(expected_states) - 1).bit_length() + 1))
    options = {"por": bool(por), "hash_bits": int(hash_bits)}
    t_start = time.perf_counter()
    commands: list = []
    build_log: list = []
    build_rss = 0
    with _Workdir(workdir, "papcheck-spin-") as wd:
        shutil.copyfile(model, wd / "model.pml")
        defs = [f"-D{n}={v}" for n, v in zip(PARAM_NAMES, (ne, np, g, k, fix))]
        steps = [
            ["spin", *defs, "-a", "model.pml"],
            [cc, *cflags, "-DSAFETY", f"-DMEMLIM={int(memlim_mb)}",
             *([] if por else ["-DNOREDUCE"]), "-o", "pan", "pan.c"],
        ]
        for cmd in steps:
            commands.append(cmd)
            pr = _run(cmd, wd, timeout)
            build_log.append(f"$ {' '.join(cmd)}\n{pr.output}")
            build_rss = max(build_rss, pr.maxrss_kb or 0)
            if pr.returncode != 0 or pr.timed_out:
                wall = time.perf_counter() - t_start
                return PeerResult(
                    "spin", ne, np, g, k, fix, options, None, None, False, False,
                    wall, None, build_seconds=wall, build_peak_rss_kb=build_rss,
                    error=f"build step failed (rc={pr.returncode}"
                          f"{', timeout' if pr.timed_out else ''}): {cmd[0]}",
                    returncode=pr.returncode, build_output="\n".join(build_log),
                    commands=commands)
        build_seconds = time.perf_counter() - t_start
        depth = max_depth
        run_seconds = 0.0
        run_rss = 0
        while True:
            cmd = ["./pan", f"-m{depth}", f"-w{int(hash_bits)}"]
            commands.append(cmd)
            pr = _run(cmd, wd, None if timeout is None else max(1.0, timeout - build_seconds))
            run_seconds += pr.seconds
            run_rss = max(run_rss, pr.maxrss_kb or 0)
            if "max search depth too small" in pr.output and depth < 100_000_000 \
                    and not pr.timed_out:
                depth *= 10
                continue
            break
    wall = time.perf_counter() - t_start
    res = _parse_pan(pr.output)
    error = res["error"]
    if pr.timed_out:
        error = "timeout"
    elif error is None and res["states"] is None:
        error = f"could not parse pan output (rc={pr.returncode})"
    # pan's "stored+matched" counts the initial state, which no transition reaches
    transitions = None if res["tool_transitions"] is None else max(0, res["tool_transitions"] - 1)
    return PeerResult(
        "spin", ne, np, g, k, fix, options, res["states"], transitions,
        res["violated"], (not res["violated"]) and error is None, wall, run_rss,
        build_seconds=build_seconds, run_seconds=run_seconds,
        build_peak_rss_kb=build_rss, tool_transitions=res["tool_transitions"],
        depth=res["depth"], error=error, returncode=pr.returncode,
        output=pr.output, build_output="\n".join(build_log), commands=commands)


def _parse_pan(out: str) -> dict:
    m = _PAN_STORED.search(out)
    states = _num(m.group(1)) if m else None
    m = _PAN_TRANS.search(out)
    trans = _num(m.group(1)) if m else None
    m = _PAN_ERRORS.search(out)
    depth = int(m.group(1)) if m else None
    errors = int(m.group(2)) if m else None
    am = _PAN_ASSERT.search(out)
    violated = am is not None
    if am and am.group(1):
        depth = int(am.group(1))
    error = None
    if "max search depth too small" in out:
        error = "max search depth too small (search truncated)"
    elif "reached -DMEMLIM bound" in out or "out of memory" in out:
        error = "pan ran out of memory (MEMLIM)"
    elif "VECTORSZ is too small" in out:
        error = "state vector larger than VECTORSZ"
    elif errors and not violated:
        error = f"pan reported {errors} error(s) that are not assertion violations"
    elif errors is None:
        error = "pan did not print its summary"
    return {"states": states, "tool_transitions": trans, "depth": depth,
            "violated": violated, "error": error}


# --------------------------------------------------------------------------
# Rumur


_CONST_LINE = r"^(\s*{name}\s*:\s*)\d+(\s*;)"


def render_murphi(ne: int, np: int, g: int, k: int, fix: int,
                  template: Path | None = None) -> str:
    """The Murphi model text with the five constants set."""
    text = Path(template or MURPHI_MODEL).read_text()
    for name, val in zip(PARAM_NAMES, (ne, np, g, k, fix)):
        text, n = re.subn(_CONST_LINE.format(name=name), rf"\g<1>{int(val)}\g<2>",
                          text, count=1, flags=re.M)
        if n != 1:
            raise ValueError(f"template has no constant line for {name}")
    return text


_RU_SUMMARY = re.compile(r'<summary\s+states="(\d+)"\s+rules_fired="(\d+)"\s+errors="(\d+)"')
_RU_MESSAGE = re.compile(r"<message>(.*?)</message>", re.S)
_RU_HUMAN = re.compile(r"([\d,]+) states, ([\d,]+) rules fired")


def run_rumur(ne: int, np: int, g: int, k: int, fix: int, symmetry: str = "off",
              workdir=None, *, threads: int = 1, cflags: Sequence[str] = ("-O2",),
              trace: bool = False, timeout: float | None = None,
              template: Path | None = None) -> PeerResult:
    """Verify the invariant with Rumur: render the model, rumur, cc, run.

    symmetry is "off", "heuristic" or "exhaustive" (enactors are a
    scalarset).  Deadlock detection is off (terminal states are fine);
    output is Rumur's machine-readable XML, with the counterexample trace
    only when trace is True."""
    _check_params(ne, np, g, k, fix)
    if symmetry not in ("off", "heuristic", "exhaustive"):
        raise ValueError("symmetry must be off, heuristic or exhaustive")
    cc = _c_compiler()
    if shutil.which("rumur") is None or cc is None:
        raise RuntimeError("rumur or a C compiler is not available")
    options = {"symmetry": symmetry, "threads": threads}
    t_start = time.perf_counter()
    commands: list = []
    build_log: list = []
    build_rss = 0
    with _Workdir(workdir, "papcheck-rumur-") as wd:
        (wd / "model.m").write_text(render_murphi(ne, np, g, k, fix, template))
        extra = ["-mcx16"] if platform.machine().lower() in ("x86_64", "amd64") else []
        steps = [
            ["rumur", "--symmetry-reduction", symmetry, "--deadlock-detection", "off",
             "--threads", str(int(threads)), "--output-format", "machine-readable",
             "--counterexample-trace", "diff" if trace else "off",
             "--output", "model.c", "model.m"],
            [cc, "-std=c11", *cflags, *extra, "-o", "verifier", "model.c", "-lpthread"],
        ]
        for cmd in steps:
            commands.append(cmd)
            pr = _run(cmd, wd, timeout)
            build_log.append(f"$ {' '.join(cmd)}\n{pr.output}")
            build_rss = max(build_rss, pr.maxrss_kb or 0)
            if pr.returncode != 0 or pr.timed_out:
                wall = time.perf_counter() - t_start
                return PeerResult(
                    "rumur", ne, np, g, k, fix, options, None, None, False, False,
                    wall, None, build_seconds=wall, build_peak_rss_kb=build_rss,
                    error=f"build step failed (rc={pr.returncode}"
                          f"{', timeout' if pr.timed_out else ''}): {cmd[0]}",
                    returncode=pr.returncode, build_output="\n".join(build_log),
                    commands=commands)
        build_seconds = time.perf_counter() - t_start
        cmd = ["./verifier"]
        commands.append(cmd)
        pr = _run(cmd, wd, None if timeout is None else max(1.0, timeout - build_seconds))
    wall = time.perf_counter() - t_start
    res = _parse_rumur(pr.output)
    error = res["error"]
    if pr.timed_out:
        error = "timeout"
    return PeerResult(
        "rumur", ne, np, g, k, fix, options, res["states"], res["transitions"],
        res["violated"], (not res["violated"]) and error is None, wall, pr.maxrss_kb,
        build_seconds=build_seconds, run_seconds=pr.seconds,
        build_peak_rss_kb=build_rss, tool_transitions=res["transitions"],
        error=error, returncode=pr.returncode, output=pr.output,
        build_output="\n".join(build_log), commands=commands)


def _parse_rumur(out: str) -> dict:
    states = trans = errors = None
    m = _RU_SUMMARY.search(out)
    if m:
        states, trans, errors = (int(x) for x in m.groups())
    else:  # human-readable output, in case someone changes the flags
        m = _RU_HUMAN.search(out)
        if m:
            states, trans = (int(x.replace(",", "")) for x in m.groups())
            e = re.search(r"(\d+) error\(s\) found", out)
            errors = int(e.group(1)) if e else 0
    messages = [x.strip() for x in _RU_MESSAGE.findall(out)]
    if not messages:
        messages = re.findall(r"^\s*(invariant \".*?\" failed.*)$", out, re.M)
    violated = any(msg.startswith("invariant") and "failed" in msg for msg in messages)
    error = None
    if states is None:
        error = "could not parse the verifier's output"
    elif errors and not violated:
        error = "verifier error: " + "; ".join(messages or ["unknown"])
    elif "out of memory" in out.lower():
        error = "verifier ran out of memory"
    return {"states": states, "transitions": trans, "violated": violated, "error": error}


# --------------------------------------------------------------------------
# handbfs


_HB_LINE = re.compile(r"states=(\d+) transitions=(\d+) time=([\d.]+)s .*?violation=(no|yes(?: depth (\d+))?)")


def run_handbfs(ne: int, np: int, g: int, k: int, fix: int, workdir=None, *,
                script: Path | None = None, python: str | None = None,
                timeout: float | None = None) -> PeerResult:
    """Run shared/bench/handbfs.py (BFS; stops at the first violation)."""
    _check_params(ne, np, g, k, fix)
    script = Path(script) if script is not None else find_handbfs()
    if script is None:
        raise RuntimeError("handbfs.py not found (set PAPCHECK_HANDBFS)")
    cmd = [python or sys.executable, str(script), *(str(x) for x in (ne, np, g, k, fix))]
    t_start = time.perf_counter()
    with _Workdir(workdir, "papcheck-handbfs-") as wd:
        pr = _run(cmd, wd, timeout)
    wall = time.perf_counter() - t_start
    m = _HB_LINE.search(pr.output)
    error = None
    if pr.timed_out:
        error = "timeout"
    elif m is None or pr.returncode != 0:
        error = f"could not parse handbfs output (rc={pr.returncode})"
    states = int(m.group(1)) if m else None
    trans = int(m.group(2)) if m else None
    violated = bool(m and m.group(4).startswith("yes"))
    depth = int(m.group(5)) if m and m.group(5) else None
    return PeerResult(
        "handbfs", ne, np, g, k, fix, {}, states, trans, violated,
        (not violated) and error is None, wall, pr.maxrss_kb,
        build_seconds=0.0, run_seconds=pr.seconds, tool_transitions=trans,
        depth=depth, error=error, returncode=pr.returncode, output=pr.output,
        commands=[cmd])


# --------------------------------------------------------------------------
# dispatch + CLI


def run_peer(tool: str, ne: int, np: int, g: int, k: int, fix: int, **kw) -> PeerResult:
    """run_spin / run_rumur / run_handbfs by name."""
    fn = {"spin": run_spin, "rumur": run_rumur, "handbfs": run_handbfs}[tool]
    return fn(ne, np, g, k, fix, **kw)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Run one point of the reference DNS protocol on SPIN, Rumur "
                    "and/or handbfs and print the result.")
    ap.add_argument("tool", choices=["spin", "rumur", "handbfs", "all"])
    for name in ("ne", "np", "g", "k", "fix"):
        ap.add_argument(name, type=int, help=name.upper())
    ap.add_argument("--no-por", action="store_true", help="spin: compile pan with -DNOREDUCE")
    ap.add_argument("--symmetry", default="off", choices=["off", "heuristic", "exhaustive"],
                    help="rumur symmetry reduction (default off)")
    ap.add_argument("--threads", type=int, default=1, help="rumur verifier threads")
    ap.add_argument("--hash-bits", type=int, default=None,
                    help="pan -w (default: sized from --expected-states, else 22)")
    ap.add_argument("--expected-states", type=int, default=None,
                    help="spin: size pan's hash table for this many states")
    ap.add_argument("--memlim-mb", type=int, default=8192, help="pan -DMEMLIM")
    ap.add_argument("--trace", action="store_true", help="rumur: print counterexample trace")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per process")
    ap.add_argument("--workdir", default=None,
                    help="build here and keep the files (default: a temporary directory)")
    ap.add_argument("--json", action="store_true", help="print results as JSON")
    ap.add_argument("--show-output", action="store_true", help="print the tools' raw output")
    a = ap.parse_args(argv)
    tools = ["handbfs", "spin", "rumur"] if a.tool == "all" else [a.tool]
    params = (a.ne, a.np, a.g, a.k, a.fix)
    results = []
    expected = a.expected_states
    for tool in tools:
        if not peer_available(tool):
            print(f"{tool}: not available", file=sys.stderr)
            continue
        wd = None if a.workdir is None else str(Path(a.workdir) / tool)
        if tool == "spin":
            r = run_spin(*params, por=not a.no_por, workdir=wd, memlim_mb=a.memlim_mb,
                         hash_bits=a.hash_bits, expected_states=expected,
                         timeout=a.timeout)
        elif tool == "rumur":
            r = run_rumur(*params, symmetry=a.symmetry, workdir=wd, threads=a.threads,
                          trace=a.trace, timeout=a.timeout)
        else:
            r = run_handbfs(*params, workdir=wd, timeout=a.timeout)
        results.append(r)
        if tool == "handbfs" and r.complete:
            expected = r.states
        if not a.json:
            print(r.summary())
            if a.show_output:
                print(r.build_output)
                print(r.output)
    if a.json:
        print(json.dumps([r.to_dict(with_output=a.show_output) for r in results], indent=2))
    return 0 if results and all(r.error is None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
