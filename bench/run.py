#!/usr/bin/env python3
"""The papcheck benchmark: papcheck beside handbfs, SPIN and Rumur on the reference DNS protocol.

    python bench/run.py                       # the full grid, 3 repeats, writes bench/results.md
    python bench/run.py --quick               # 3 smallest points, 1 repeat, bench/results-quick.md
    python bench/run.py --points 2x1x6,3x2x6 --repeat 5 --markdown /tmp/r.md
    python bench/run.py --points 4x1x6 --tools papcheck,handbfs --repeat 1 --no-incident

Each row of the grid is the reference protocol (specs/reference_dns.pap and its twins, see
models/README.md) with the compare-and-set fix (FIX = 1, the invariant holds) and purge age 2, at
ENACTORS x ENDPOINTS x PLANS; the last row is the incident spec (specs/dynamodb_dns.pap at its
default constants, against the FIX = 0 twins): time to the first counterexample.

Every tool runs as a separate process, timed as a whole (wall clock; for SPIN and Rumur that
includes generating and compiling the verifier) and with its own peak RSS taken by wait4 through
bench/peers.py's launcher (for SPIN and Rumur the verifier run's peak, not the compiler's).
Seconds are the median of --repeat runs, memory the largest peak among them.  See bench/README.md.

To benchmark a new papcheck option, add a PapcheckConfig to PAPCHECK_CONFIGS (or pass
--papcheck-config NAME=FLAGS); a configuration whose flags the CLI rejects (exit code 2) is
shown as "n/a".  Exit code: 0 when every tool agrees (verdicts, and the counts of the tools that
count the same thing: see REACHABLE and ORBITS), 1 when some disagree or fail, 2 for bad
arguments.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
import peers  # noqa: E402

# What a tool's states and transitions count, where the invariant holds.  Tools with the same
# key must report the same numbers; None: no expectation (POR may store any subset that keeps
# the verdict).
REACHABLE = "every reachable state"
ORBITS = "one state per orbit under permutations of the enactors"


@dataclass(frozen=True)
class PapcheckConfig:
    """One way of running papcheck: a row name and the extra `papcheck check` flags."""

    name: str
    flags: tuple[str, ...] = ()
    counts: str | None = None


# The first entry is the reference of the ratio columns: papcheck doing the same work as the
# peers' unreduced searches.
# The Python engine's rows name it (`--engine python`); the C engine's rows follow.  Every
# papcheck run gets an empty compile cache, so the C rows include generating and compiling C.
PAPCHECK_CONFIGS: list[PapcheckConfig] = [
    PapcheckConfig("papcheck (no reductions)", ("--engine", "python", "--no-por", "--no-symmetry"), REACHABLE),
    PapcheckConfig("papcheck (default: POR + symmetry)", ("--engine", "python")),
    PapcheckConfig("papcheck (POR only)", ("--engine", "python", "--no-symmetry",)),
    PapcheckConfig("papcheck (symmetry only)", ("--engine", "python", "--no-por",), ORBITS),
    PapcheckConfig("papcheck (no reductions, fingerprint store)",
                   ("--engine", "python", "--no-por", "--no-symmetry", "--store", "fingerprint"), REACHABLE),
    PapcheckConfig("papcheck C (no reductions)", ("--engine", "c", "--no-por", "--no-symmetry"), REACHABLE),
    PapcheckConfig("papcheck C (default: auto engine, reductions on)", ()),
    PapcheckConfig("papcheck C (no reductions, fingerprint store)",
                   ("--engine", "c", "--no-por", "--no-symmetry", "--store", "fingerprint"), REACHABLE),
]


@dataclass(frozen=True)
class PeerTool:
    """A reference checker run through bench/peers.py."""

    name: str
    kind: str  # "handbfs", "spin" or "rumur"
    options: tuple[tuple[str, object], ...] = ()
    counts: str | None = None


PEER_TOOLS: list[PeerTool] = [
    PeerTool("handbfs", "handbfs", (), REACHABLE),
    PeerTool("SPIN (POR on)", "spin", (("por", True),)),
    PeerTool("SPIN (POR off)", "spin", (("por", False),), REACHABLE),
    PeerTool("Rumur (symmetry off)", "rumur", (("symmetry", "off"),), REACHABLE),
    PeerTool("Rumur (symmetry exhaustive)", "rumur", (("symmetry", "exhaustive"),), ORBITS),
]

# ENACTORS x ENDPOINTS x PLANS, smallest first; --quick takes the first QUICK_POINTS.
GRID = ["2x1x6", "3x2x6", "3x3x6", "4x1x6", "4x2x6", "3x2x8", "4x2x8", "5x2x6"]
QUICK_POINTS = 3
PURGE_AGE = 2
FIX = 1
REFERENCE_SPEC = "specs/reference_dns.pap"
INCIDENT_SPEC = "specs/dynamodb_dns.pap"
INCIDENT_FIX = 0  # dynamodb_dns.pap has the atomicity of the FIX = 0 twins
CONSTANTS = ("ENACTORS", "ENDPOINTS", "PLANS", "PURGE_AGE", "FIX")


@dataclass(frozen=True)
class Row:
    label: str
    spec: str  # relative to the repository
    defines: tuple[tuple[str, int], ...]  # papcheck -D overrides
    point: tuple[int, int, int, int, int]  # the peers' NE, NP, G, K, FIX


@dataclass
class Measurement:
    """One tool on one row, over the repeats."""

    tool: str
    status: str = "ok"  # ok, timeout, n/a, error
    verdict: str | None = None  # holds, violated, incomplete
    states: int | None = None
    transitions: int | None = None
    depth: int | None = None  # counterexample length, when violated and known
    seconds: list[float] = field(default_factory=list)
    peak_rss_kb: list[int] = field(default_factory=list)
    note: str = ""
    bytes_per_state: float | None = None  # papcheck's store, as its timing report gives it

    @property
    def median_seconds(self) -> float | None:
        return statistics.median(self.seconds) if self.status == "ok" and self.seconds else None

    @property
    def peak_kb(self) -> int | None:
        return max(self.peak_rss_kb) if self.status == "ok" and self.peak_rss_kb else None


@dataclass
class Sample:
    """One run: what a runner returns."""

    status: str
    verdict: str | None = None
    states: int | None = None
    transitions: int | None = None
    depth: int | None = None
    seconds: float | None = None
    peak_rss_kb: int | None = None
    note: str = ""
    bytes_per_state: float | None = None


# ------------------------------------------------------------------------------------ runners


def run_papcheck(cfg: PapcheckConfig, row: Row, timeout: float, _hint: int | None) -> Sample:
    """papcheck as a whole process: interpreter start-up, parsing and compiling the spec count."""
    with tempfile.TemporaryDirectory(prefix="papcheck-cache-") as cache:
        cmd = ["env", f"XDG_CACHE_HOME={cache}", sys.executable, "-m", "checker.cli", "check", row.spec,
               *(f"-D{name}={value}" for name, value in row.defines),
               "--format", "json", "-q", *cfg.flags]
        pr = peers._run(cmd, REPO_ROOT, timeout)
    if pr.timed_out:
        return Sample("timeout", seconds=pr.seconds)
    if pr.returncode == 2:
        # click ends a usage error with the reason, e.g. "Error: No such option '--no-por'."
        reason = (pr.output.strip().splitlines() or [""])[-1]
        return Sample("n/a", note=f"{' '.join(cfg.flags)}: {reason}")
    if pr.returncode not in (0, 1, 4):
        return Sample("error", note=f"{cfg.name}: exit code {pr.returncode}: {pr.output.strip()[-200:]}")
    try:
        # stderr is merged into the output; with -q it carries nothing before the JSON
        data, _ = json.JSONDecoder().raw_decode(pr.output[pr.output.index("{"):])
    except ValueError:
        return Sample("error", note=f"{cfg.name}: could not read the JSON output")
    # reachable properties carry witness traces too: only a violation's trace is a counterexample
    traces = [p["trace"] for p in data["properties"] if p["status"] == "violated" and p.get("trace")]
    if data.get("model_error") and data["model_error"].get("trace"):
        traces.insert(0, data["model_error"]["trace"])
    depth = len(traces[0]["states"]) - 1 if data["verdict"] == "violated" and traces else None
    return Sample("ok", data["verdict"], data["stats"]["states"], data["stats"]["transitions"],
                  depth, pr.seconds, pr.maxrss_kb, bytes_per_state=data["stats"].get("bytes_per_state"))


def run_peer(tool: PeerTool, row: Row, timeout: float, hint: int | None) -> Sample:
    opts = dict(tool.options)
    if tool.kind == "spin":
        # pan allocates its whole hash table up front: size it from the states already counted
        # in this row, as peers.run_spin recommends, so that its memory is not a fixed 32 MB.
        opts["expected_states"] = hint
    r = peers.run_peer(tool.kind, *row.point, timeout=timeout, **opts)
    # peers says "timeout", or "build step failed (rc=-9, timeout): cc" when a compile ran out
    if r.error is not None and "timeout" in r.error:
        return Sample("timeout", seconds=r.wall_seconds)
    if r.error is not None:
        return Sample("error", note=f"{tool.name}: {r.error}")
    verdict = "violated" if r.violated else "holds"
    return Sample("ok", verdict, r.states, r.transitions, r.depth if r.violated else None,
                  r.wall_seconds, r.peak_rss_kb)


Runner = Callable[[Row, float, int | None], Sample]


Tool = tuple[str, str | None, Runner]  # name, what its counts count, how to run it


def tool_list(configs: Sequence[PapcheckConfig], kinds: set[str] | None) -> list[Tool]:
    """Every tool to run, papcheck first (its count sizes pan's hash table)."""
    out: list[Tool] = []
    if kinds is None or "papcheck" in kinds:
        for cfg in configs:
            out.append((cfg.name, cfg.counts, lambda row, t, h, cfg=cfg: run_papcheck(cfg, row, t, h)))
    for tool in PEER_TOOLS:
        if kinds is not None and tool.kind not in kinds:
            continue
        if not peers.peer_available(tool.kind):
            print(f"bench: {tool.name} is not available here, skipped", file=sys.stderr)
            continue
        out.append((tool.name, tool.counts, lambda row, t, h, tool=tool: run_peer(tool, row, t, h)))
    return out


def measure(name: str, runner: Runner, row: Row, repeat: int, timeout: float,
            hint: int | None) -> Measurement:
    m = Measurement(name)
    for i in range(repeat):
        s = runner(row, timeout, hint)
        progress = f"{s.seconds:.2f} s" if s.seconds is not None else ""
        print(f"bench: {row.label:>10}  {name:<44} run {i + 1}/{repeat}: {s.status} {progress}",
              file=sys.stderr, flush=True)
        if s.status != "ok":
            # a timeout, a rejected flag or a failure would only repeat itself
            m.status, m.note = s.status, s.note
            return m
        if i == 0:
            m.verdict, m.states, m.transitions, m.depth = s.verdict, s.states, s.transitions, s.depth
            m.bytes_per_state = s.bytes_per_state
        elif (s.verdict, s.states, s.transitions) != (m.verdict, m.states, m.transitions):
            m.status, m.note = "error", f"{name}: results differ between repeats"
            return m
        m.seconds.append(s.seconds or 0.0)
        if s.peak_rss_kb is not None:
            m.peak_rss_kb.append(s.peak_rss_kb)
    return m


# ------------------------------------------------------------------------------------ rows


def parse_point(text: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"\s*(\d+)x(\d+)x(\d+)\s*", text)
    if not m or min(int(x) for x in m.groups()) < 1:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not ENACTORSxENDPOINTSxPLANS with positive numbers, for example 3x2x6")
    ne, np, g = (int(x) for x in m.groups())
    return ne, np, g


def grid_row(ne: int, np: int, g: int) -> Row:
    values = (ne, np, g, PURGE_AGE, FIX)
    return Row(f"{ne}x{np}x{g}", REFERENCE_SPEC, tuple(zip(CONSTANTS, values)), values)


def incident_row() -> Row:
    """dynamodb_dns.pap at its default constants; the peers run its FIX = 0 twin."""
    sys.path.insert(0, str(REPO_ROOT))
    from checker import api

    c = api.load(str(REPO_ROOT / INCIDENT_SPEC)).constants
    point = (c["ENACTORS"], c["ENDPOINTS"], c["PLANS"], c["PURGE_AGE"], INCIDENT_FIX)
    return Row("incident {}x{}x{}".format(*point[:3]), INCIDENT_SPEC, (), point)


def run_row(row: Row, tools: list[Tool], repeat: int,
            timeout: float) -> list[Measurement]:
    out: list[Measurement] = []
    for name, _, runner in tools:
        hint = max((m.states for m in out if m.status == "ok" and m.states), default=None)
        out.append(measure(name, runner, row, repeat, timeout, hint))
    return out


def disagreements(row: Row, ms: list[Measurement], counts: dict[str, str | None]) -> list[str]:
    """Verdicts must agree among all tools; where the invariant holds, counts must agree among
    the tools that count the same thing."""
    done = [m for m in ms if m.status == "ok"]
    problems = [f"{row.label}: {m.note or m.tool + ' failed'}" for m in ms if m.status == "error"]
    verdicts = {m.verdict for m in done}
    if len(verdicts) > 1:
        problems.append(f"{row.label}: verdicts differ: "
                        + ", ".join(f"{m.tool} {m.verdict}" for m in done))
    for key in sorted({c for c in counts.values() if c is not None}):
        same = [m for m in done if counts[m.tool] == key and m.verdict == "holds"]
        if len({(m.states, m.transitions) for m in same}) > 1:
            problems.append(f"{row.label}: counts of {key} differ: "
                            + ", ".join(f"{m.tool} {m.states}/{m.transitions}" for m in same))
    return problems


# ------------------------------------------------------------------------------------ table

HEADER = ["point", "tool", "verdict", "states", "transitions", "wall s (median)",
          "peak RSS MB", "store B/state", "time papcheck/tool", "memory papcheck/tool"]


def _ratio(num: float | None, den: float | None) -> str:
    return f"{num / den:.2f}x" if num is not None and den else ""


def table_rows(results: list[tuple[Row, list[Measurement]]], reference: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for row, ms in results:
        ref = next((m for m in ms if m.tool == reference), None)
        for m in ms:
            if m.status != "ok":
                rows.append([row.label, m.tool, m.status, "", "", "", "", "", "", ""])
                continue
            verdict = m.verdict or ""
            if m.depth is not None:
                verdict += f" (depth {m.depth})"
            ref_s = ref.median_seconds if ref else None
            ref_kb = ref.peak_kb if ref else None
            rows.append([
                row.label, m.tool, verdict,
                f"{m.states:,}" if m.states is not None else "",
                f"{m.transitions:,}" if m.transitions is not None else "",
                f"{m.median_seconds:.2f}",
                f"{m.peak_kb / 1024:.1f}" if m.peak_kb is not None else "",
                f"{m.bytes_per_state:.1f}" if m.bytes_per_state is not None else "",
                _ratio(ref_s, m.median_seconds),
                _ratio(ref_kb, m.peak_kb),
            ])
    return rows


def render_table(rows: list[list[str]]) -> str:
    """A markdown table, padded so that it also reads well in a terminal."""
    numeric = {3, 4, 5, 6, 7, 8, 9}
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if i in numeric else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in numeric else "-" * (w + 2)
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([line(HEADER), rule, *(line(r) for r in rows)]) + "\n"


def _version(cmd: list[str]) -> str:
    if shutil.which(cmd[0]) is None:
        return "not installed"
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    lines = (out.stdout + out.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def _cpu() -> str:
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(repeat: int, timeout: float, argv: Sequence[str]) -> list[str]:
    cc = os.environ.get("CC") or "cc"
    load = f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown"
    return [
        f"Command: `{shlex.join(['python', 'bench/run.py', *argv])}`.",
        f"Reference DNS protocol, FIX = {FIX} (compare-and-set), PURGE_AGE = {PURGE_AGE}; "
        f"the incident row is {INCIDENT_SPEC} at its default constants against the FIX = "
        f"{INCIDENT_FIX} twins (time to the first counterexample).",
        f"Wall seconds: median of {repeat} run(s), each a whole process (SPIN and Rumur: "
        f"generate + compile + run); peak RSS: largest of the runs' peaks "
        f"(SPIN and Rumur: the verifier run), from wait4 "
        f"({'through the launcher of bench/peers.py' if peers.rss_method() == 'wrapper' else 'direct: an upper bound'}); "
        f"timeout {timeout:g} s per run.",
        f"Machine: {_cpu()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {_version(['spin', '-V'])}; "
        f"{_version(['rumur', '--version'])}; {_version([cc, '--version'])}; "
        f"load average {load} when the benchmark started.",
    ]


def render_markdown(table: str, env: list[str], findings: list[str]) -> str:
    parts = ["# papcheck benchmark", "", "Made by `python bench/run.py` (see bench/README.md).", ""]
    parts += [f"- {e}" for e in env]
    parts += ["", table, *findings]
    return "\n".join(parts)


def compared(results: list[tuple[Row, list[Measurement]]],
             counts: dict[str, str | None]) -> dict[str, list[str]]:
    """For each kind of count, the tools whose counts were compared (finished, invariant holds)."""
    out: dict[str, list[str]] = {}
    for _, ms in results:
        for m in ms:
            key = counts[m.tool]
            if key is not None and m.status == "ok" and m.verdict == "holds" \
                    and m.tool not in out.setdefault(key, []):
                out[key].append(m.tool)
    return out


def findings(problems: list[str], notes: list[str], compared: dict[str, list[str]]) -> list[str]:
    """The lines under the table: disagreements (or what was found to agree), then notes."""
    out = []
    if problems:
        out += ["Disagreements:", ""] + [f"- {p}" for p in problems] + [""]
    else:
        out += ["Every tool that finished agrees on the verdict."]
        for key, names in sorted(compared.items()):
            if len(names) > 1:
                out.append(f"Where the invariant holds, the tools that count {key} report the same "
                           f"states and transitions: {', '.join(names)}.")
        out.append("")
    if notes:
        out += ["Notes:", ""] + [f"- {n}" for n in notes] + [""]
    return out


# ------------------------------------------------------------------------------------ main


def _config_arg(text: str) -> PapcheckConfig:
    name, sep, flags = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=FLAGS, for example "
                                         "'papcheck (fingerprint)=--store fingerprint'")
    return PapcheckConfig(name.strip(), tuple(shlex.split(flags)))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Benchmark papcheck against handbfs, SPIN and Rumur on the reference DNS "
                    "protocol; print a table and write it as markdown.")
    ap.add_argument("--quick", action="store_true",
                    help=f"the {QUICK_POINTS} smallest points, 1 repeat (unless --repeat), "
                         "markdown to bench/results-quick.md (unless --markdown)")
    ap.add_argument("--points", type=lambda s: [parse_point(p) for p in s.split(",") if p.strip()],
                    help="comma-separated ENACTORSxENDPOINTSxPLANS (default: the whole grid "
                         f"{','.join(GRID)})")
    ap.add_argument("--repeat", type=int, default=None, help="runs per tool and point (default 3)")
    ap.add_argument("--timeout-per-run", type=float, default=900.0, metavar="SECONDS",
                    help="kill a run after this long and show 'timeout' (default 900)")
    ap.add_argument("--tools", default=None,
                    help="comma-separated subset of papcheck,handbfs,spin,rumur (default: all)")
    ap.add_argument("--skip-config", action="append", default=[], metavar="TEXT",
                    help="leave out the papcheck configurations whose name contains TEXT "
                         "(repeatable; the first remaining one is the ratio baseline)")
    ap.add_argument("--papcheck-config", action="append", type=_config_arg, default=[],
                    metavar="NAME=FLAGS", help="an extra papcheck row: its name and extra CLI flags")
    ap.add_argument("--no-incident", action="store_true", help="leave out the incident row")
    ap.add_argument("--markdown", default=None, metavar="PATH",
                    help="write the table here (default bench/results.md)")
    ap.add_argument("--no-markdown", action="store_true", help="only print the table")
    ap.add_argument("--json", default=None, metavar="PATH", help="also write every measurement as JSON")
    a = ap.parse_args(argv)
    # `pip install` compiles papcheck's bytecode; do the same, so that start-up is measured as a
    # user sees it even where PYTHONDONTWRITEBYTECODE is set
    import compileall
    compileall.compile_dir(str(REPO_ROOT / "checker"), quiet=1)

    repeat = a.repeat if a.repeat is not None else (1 if a.quick else 3)
    if repeat < 1:
        ap.error("--repeat must be at least 1")
    if a.timeout_per_run <= 0:
        ap.error("--timeout-per-run must be positive")
    kinds = None
    if a.tools is not None:
        kinds = {t.strip() for t in a.tools.split(",") if t.strip()}
        unknown = kinds - {"papcheck", "handbfs", "spin", "rumur"}
        if unknown or not kinds:
            ap.error(f"--tools: unknown tool(s) {', '.join(sorted(unknown)) or '(none given)'}; "
                     "choose from papcheck, handbfs, spin, rumur")
    points = a.points if a.points is not None else \
        [parse_point(p) for p in (GRID[:QUICK_POINTS] if a.quick else GRID)]
    if not points:
        ap.error("--points: no point given")
    markdown = None if a.no_markdown else Path(
        a.markdown or BENCH_DIR / ("results-quick.md" if a.quick else "results.md"))

    args = list(sys.argv[1:] if argv is None else argv)
    env = environment(repeat, a.timeout_per_run, args)  # before the runs: the load average
    configs = [c for c in PAPCHECK_CONFIGS if not a.skip_config or not any(
        s in c.name for s in a.skip_config)] + list(a.papcheck_config)
    tools = tool_list(configs, kinds)
    if not tools:
        print("bench: no tool to run", file=sys.stderr)
        return 1
    counts = {name: c for name, c, _ in tools}
    rows = [grid_row(*p) for p in points] + ([] if a.no_incident else [incident_row()])

    results = [(row, run_row(row, tools, repeat, a.timeout_per_run)) for row in rows]
    problems = [p for row, ms in results for p in disagreements(row, ms, counts)]
    notes = sorted({m.note for _, ms in results for m in ms if m.status == "n/a" and m.note})
    table = render_table(table_rows(results, configs[0].name))

    below = findings(problems, notes, compared(results, counts))
    print(table, end="")
    print("\n".join(["", *below]).rstrip("\n"))
    if markdown is not None:
        markdown.write_text(render_markdown(table, env, below))
        print(f"bench: wrote {markdown}", file=sys.stderr)
    if a.json:
        Path(a.json).write_text(json.dumps(
            [{"point": row.label, "spec": row.spec, "params": dict(zip(peers.PARAM_NAMES, row.point)),
              "results": [asdict(m) for m in ms]} for row, ms in results], indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
