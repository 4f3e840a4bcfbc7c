"""Whole-run figures: the wall time and peak memory of each phase of a run (load, safety search,
liveness graph, counterexample minimization, rendering), as the operating system counts them.

Memory is the process's peak resident set (VmHWM, interpreter included), the figure
`/usr/bin/time` reports.  Linux cannot reset it without also lowering
what the parent sees, so each phase records the high-water mark at its end and whether the
phase raised it: the phase that raised it last is where the run's peak was reached.  Nothing
here prints.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def peak_kb() -> int:
    """The process's peak resident memory so far, in KiB: Linux's VmHWM, the peak since the
    program started (ru_maxrss would also count the memory of a large parent at fork time),
    else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes


def process_seconds() -> float | None:
    """Wall seconds since this process started (None where /proc is not available)."""
    try:
        with open("/proc/self/stat") as f:
            stat = f.read()
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, after the command name
        return max(uptime - start_ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class Phase:
    name: str  # "load", "safety search", "liveness graph", "minimization", "rendering"
    seconds: float
    peak_kb: int  # the process's peak resident memory at the end of the phase
    raised_peak: bool  # the phase raised the process's peak (so its own peak is peak_kb)


@dataclass
class Phases:
    """The phases of one run, in order, and the whole run's figures."""

    items: list[Phase] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    process_started: float | None = field(default_factory=lambda: _process_start())

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        before = peak_kb()
        t0 = time.perf_counter()
        try:
            yield
        finally:
            after = peak_kb()
            self.items.append(Phase(name, time.perf_counter() - t0, after, after > before))

    def start(self, name: str) -> None:
        """Begin a phase (ended by :meth:`stop`), where a `with` block does not fit."""
        self._open = (name, time.perf_counter(), peak_kb())

    def stop(self) -> None:
        name, t0, before = self._open
        after = peak_kb()
        self.items.append(Phase(name, time.perf_counter() - t0, after, after > before))

    def get(self, name: str) -> Phase | None:
        return next((p for p in self.items if p.name == name), None)

    def wall_seconds(self) -> float:
        """The whole run so far: from the process's start (interpreter start-up and imports
        included) when the OS says when that was, else from when these figures began."""
        now = time.perf_counter()
        if self.process_started is not None:
            return now - self.process_started
        return now - self.started

    def startup_seconds(self) -> float | None:
        """From the process's start to when these figures began (interpreter, imports)."""
        return None if self.process_started is None else max(self.started - self.process_started, 0.0)

    @staticmethod
    def peak_kb() -> int:
        return peak_kb()


def _process_start() -> float | None:
    """The process's start as a perf_counter reading."""
    age = process_seconds()
    return None if age is None else time.perf_counter() - age
