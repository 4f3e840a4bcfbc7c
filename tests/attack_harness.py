"""Adversarial differential harness: run one spec through the `papcheck check` CLI (in process,
with click's runner) under every reduction setting and report every disagreement with the
unreduced search (`--no-por --no-symmetry`), the oracle.

Written from docs/dsl.md and the README only (black box): it reads nothing but the CLI's JSON.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from click.testing import CliRunner

from checker.cli import main

CONFIGS: dict[str, list[str]] = {
    "default": [],
    "no-por": ["--no-por"],
    "no-sym": ["--no-symmetry"],
    "oracle": ["--no-por", "--no-symmetry"],
    "no-solver": ["--no-solver"],
    "dfs": ["--strategy", "dfs"],
    "fingerprint": ["--store", "fingerprint"],
    "self-check": ["--self-check"],
}
# configurations whose BFS trace is a shortest one in the full graph (no POR)
SHORTEST = {"no-por", "oracle"}


@dataclass
class Run:
    config: str
    code: int
    data: dict[str, Any] | None
    stderr: str

    @property
    def verdict(self) -> str | None:
        return self.data["verdict"] if self.data else None

    @property
    def states(self) -> int | None:
        return self.data["stats"]["states"] if self.data else None

    def statuses(self) -> dict[str, str]:
        return {p["name"]: p["status"] for p in self.data["properties"]} if self.data else {}

    def first_depth(self) -> int | None:
        """Steps of the reported violation or model error (the search's first find)."""
        if not self.data:
            return None
        me = self.data.get("model_error")
        if me:
            return len(me["trace"]["states"]) if me.get("trace") else None
        lens = [len(p["trace"]["states"]) - 1 for p in self.data["properties"]
                if p["status"] == "violated" and p.get("trace") and p["kind"] != "reachable"]
        return min(lens) if lens else None

    def witness_depths(self) -> dict[str, int]:
        return {p["name"]: len(p["trace"]["states"]) - 1 for p in self.data["properties"]
                if p["kind"] == "reachable" and p["status"] in ("holds", "reached") and p.get("trace")} \
            if self.data else {}

    def por_active(self) -> bool:
        return bool(self.data and self.data["reductions"].get("por_active"))

    def symmetric(self) -> list:
        return list(self.data["reductions"].get("symmetric_machines") or []) if self.data else []


@dataclass
class Outcome:
    text: str
    runs: dict[str, Run] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    skipped: bool = False

    @property
    def por_fired(self) -> bool:
        o, n = self.runs.get("oracle"), self.runs.get("no-sym")
        return bool(o and n and o.data and n.data and o.data["stop_reason"] == "done"
                    and n.data["stop_reason"] == "done" and n.states < o.states)

    @property
    def sym_fired(self) -> bool:
        o, n = self.runs.get("oracle"), self.runs.get("no-por")
        return bool(o and n and n.symmetric() and o.data and n.data
                    and o.data["stop_reason"] == "done" and n.states < o.states)


_runner = CliRunner()


def run(path: str, config: str, extra: list[str] | None = None) -> Run:
    args = ["check", path, "--format", "json", "--no-timing", "-q", *CONFIGS[config], *(extra or [])]
    res = _runner.invoke(main, args, catch_exceptions=True)
    err = res.stderr if hasattr(res, "stderr") else ""
    if res.exception and not isinstance(res.exception, SystemExit):
        return Run(config, 99, None, f"{type(res.exception).__name__}: {res.exception}")
    data = None
    try:
        data = json.loads(res.stdout) if res.stdout.strip() else None
    except json.JSONDecodeError:
        data = None
    return Run(config, res.exit_code, data, err)


def compare(text: str, configs: list[str] | None = None, extra: list[str] | None = None,
            max_states: int | None = None) -> Outcome:
    """Run `text` under `configs` (the oracle first). With `max_states`, a spec whose unreduced
    search goes beyond it is skipped (`out.skipped`), to keep test time bounded."""
    out = Outcome(text)
    configs = configs or list(CONFIGS)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "spec.pap")
        with open(path, "w") as f:
            f.write(text)
        limit = ["--max-states", str(max_states)] if max_states else []
        out.runs["oracle"] = run(path, "oracle", (extra or []) + limit)
        if max_states and out.runs["oracle"].code == 4:
            out.skipped = True
            return out
        for c in configs:
            if c != "oracle":
                out.runs[c] = run(path, c, extra)
    o = out.runs["oracle"]
    if o.code not in (0, 1, 4):
        out.problems.append(f"oracle exit {o.code}: {o.stderr.strip()[:300]}")
        return out
    for name, r in out.runs.items():
        if name == "oracle":
            continue
        if r.code != o.code:
            out.problems.append(f"{name}: exit {r.code} vs oracle {o.code} {r.stderr.strip()[:300]}")
            continue
        if r.data is None:
            continue
        if r.verdict != o.verdict:
            out.problems.append(f"{name}: verdict {r.verdict} vs oracle {o.verdict}")
        if bool(r.data.get("model_error")) != bool(o.data.get("model_error")) and name in SHORTEST:
            out.problems.append(f"{name}: model error {r.data.get('model_error') and r.data['model_error']['message']}"
                                f" vs oracle {o.data.get('model_error') and o.data['model_error']['message']}")
        rs, os_ = r.statuses(), o.statuses()
        for p, s in os_.items():
            if s != "unknown" and rs.get(p, "unknown") != "unknown" and rs[p] != s:
                out.problems.append(f"{name}: property {p} {rs[p]} vs oracle {s}")
        if o.verdict == "holds" and rs != os_:
            out.problems.append(f"{name}: statuses {rs} vs oracle {os_}")
        if name in SHORTEST and r.first_depth() != o.first_depth():
            out.problems.append(f"{name}: first violation at {r.first_depth()} steps vs oracle {o.first_depth()}")
        if name in SHORTEST:
            rw, ow = r.witness_depths(), o.witness_depths()
            for p in ow:
                if p in rw and rw[p] != ow[p]:
                    out.problems.append(f"{name}: witness {p} {rw[p]} steps vs oracle {ow[p]}")
        if (o.data["stop_reason"] == "done" and r.data["stop_reason"] == "done"
                and name not in ("fingerprint", "self-check") and r.states > o.states):
            out.problems.append(f"{name}: {r.states} states > oracle {o.states}")
    nd, ns = out.runs.get("no-sym"), out.runs.get("no-por")
    # exact symmetry: no-por with symmetry vs oracle counts are only comparable by <=; also the
    # no-symmetry run must equal the oracle when POR is inactive
    if nd and nd.data and not nd.por_active() and nd.states != o.states:
        out.problems.append(f"no-sym: POR inactive but {nd.states} states vs oracle {o.states}")
    if ns and ns.data and not ns.symmetric() and ns.states != o.states:
        out.problems.append(f"no-por: no symmetric machine but {ns.states} states vs oracle {o.states}")
    return out
