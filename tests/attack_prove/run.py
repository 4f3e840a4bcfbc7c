"""Attack harness for `papcheck prove`: run prove (JSON) on each spec and `check` on a grid of
constants, and compare the verdicts by the oracles of the prove attack (not a test module).

    python3 tests/attack_prove/run.py [SPEC...]      # every tests/attack_prove/*.pap by default

Oracles: (a) exit 0 never coexists with a `check` violation on the grid (each integer constant
0..4); (b) a real counterexample replays (`replay --check`) and is as long as `check`'s
shortest; (c) a CTI classified unreachable: its pre-state, as a `reachable` property, is never
reached at the CTI's constants; (d) no exit 70 / traceback; (g) JSON is byte-identical twice.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
COUNTS: collections.Counter[str] = collections.Counter()


def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=ENV)


def consts(path: Path) -> list[str]:
    return re.findall(r"^const\s+([A-Za-z_]\w*)\s*(?::[^=]*)?=\s*-?\d+\s*(?:#.*)?$",
                      path.read_text(), re.M)


def defines(d: dict[str, Any]) -> list[str]:
    out = []
    for n, v in d.items():
        out += ["-D", f"{n}={str(v).lower() if isinstance(v, bool) else v}"]
    return out


def grid(path: Path, values: range = range(0, 5)) -> dict[tuple[tuple[str, int], ...], int]:
    names = consts(path)
    out = {}
    for combo in itertools.product(values, repeat=len(names)):
        d = dict(zip(names, combo))
        out[tuple(d.items())] = cli("check", str(path), "-q", "--no-timing", "--max-states",
                                    "200000", *defines(d)).returncode
    return out


def val(v: Any) -> str | None:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, dict) and "#bigint" in v:
        return v["#bigint"]
    return None


def eqs(lhs: str, v: Any) -> list[str]:
    """Equalities saying the term lhs has the ITF value v."""
    s = val(v)
    if s is not None:
        return [f"{lhs} == {s}"]
    if isinstance(v, dict) and "#set" in v:
        items = [val(x) for x in v["#set"]]
        return [f"{lhs} == {{{', '.join(x for x in items if x is not None)}}}"]
    if isinstance(v, dict) and "#map" in v:
        return [e for k, x in v["#map"] for e in eqs(f"{lhs}[{val(k)}]", x)]
    if isinstance(v, dict) and "#tup" not in v:
        return [e for f, x in v.items() for e in eqs(f"{lhs}.{f}", x)]
    raise ValueError(f"cannot express {v!r}")


def state_expr(st: dict[str, Any]) -> str:
    parts = []
    for k, v in st.items():
        if k == "#meta":
            continue
        if k.endswith(".state"):
            parts.append(f"{k[:-6]} at {v}")
        else:
            parts.extend(eqs(k, v))
    return " and ".join(parts) or "true"


def pre_reachable(spec: Path, cti: dict[str, Any]) -> bool:
    """Is the CTI's pre-state reachable at its constants (a `reachable` property)?"""
    text = spec.read_text() + f"\nreachable cti_pre__: {state_expr(cti['states'][0])}\n"
    text = re.sub(r"^expect .*$", "", text, flags=re.M)
    with tempfile.NamedTemporaryFile("w", suffix=".pap", delete=False) as f:
        f.write(text)
    r = cli("check", f.name, "--property", "cti_pre__", "-q", "--no-timing", "--format", "json",
            *defines(cti["constants"]))
    os.unlink(f.name)
    j = json.loads(r.stdout)
    return j["properties"][0]["status"] == "witnessed"


def shortest(spec: Path, consts_: dict[str, Any]) -> int | None:
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "c.itf.json"
        cli("check", str(spec), "-q", "--no-timing", "--trace-out", str(out), *defines(consts_))
        if not out.exists():
            return None
        return len(json.loads(out.read_text())["states"]) - 1


def attack(spec: Path, extra: list[str] | None = None) -> list[str]:
    problems = []
    extra = extra or []
    r = cli("prove", str(spec), "--format", "json", *extra)
    r2 = cli("prove", str(spec), "--format", "json", *extra)
    COUNTS["specs"] += 1
    if r.stdout != r2.stdout or r.returncode != r2.returncode:
        problems.append("(g) nondeterministic JSON")
    if r.returncode == 70 or "Traceback" in r.stderr:
        COUNTS["crash"] += 1
        return problems + [f"(d) crash: {r.stderr.strip().splitlines()[-2:]}"]
    if r.returncode == 3:
        COUNTS["spec error / unsupported"] += 1
        if not re.search(r":\d+:\d+: error", r.stderr):
            problems.append(f"(d) unlocated error: {r.stderr.strip()[:200]}")
        return problems
    try:
        j = json.loads(r.stdout)
    except json.JSONDecodeError:
        return problems + [f"(g) invalid JSON (exit {r.returncode}): {r.stderr.strip()[:300]}"]
    if j.get("exit_code") != r.returncode:
        problems.append(f"(g) JSON exit_code {j.get('exit_code')} != {r.returncode}")
    COUNTS[f"verdict {j['verdict']}"] += 1
    for o in j["obligations"]:
        COUNTS[f"obligation {o['status']}"] += 1
        if o["status"] != "cti" or "cti" not in o:
            continue
        cls = o.get("classification")
        COUNTS[f"cti {cls}"] += 1
        if cls == "unreachable":
            COUNTS["oracle (c) run"] += 1
            try:
                if pre_reachable(spec, o["cti"]):
                    problems.append(f"(c) CTI of {o['kind']} {o['transition']} {o['invariant']} "
                                    f"classified unreachable, but its pre-state is reachable")
            except (ValueError, json.JSONDecodeError, KeyError, IndexError) as e:
                problems.append(f"(c) could not test: {e}")
    real = j.get("real_counterexample")
    if real:
        COUNTS["oracle (b) run"] += 1
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "p.itf.json"
            cli("prove", str(spec), "--trace-out", str(out), *extra)
            if not out.exists():
                problems.append("(b) no --trace-out for a real counterexample")
            else:
                rr = cli("replay", "--check", str(spec), str(out), *defines(real["constants"]))
                if rr.returncode != 0:
                    problems.append(f"(b) replay --check rejects: {rr.stdout.strip()[:200]}")
                n = len(json.loads(out.read_text())["states"]) - 1
                m = shortest(spec, real["constants"])
                if n != m or real["length"] != m:
                    problems.append(f"(b) length {n}/{real['length']} != check's {m}")
    if "-D" not in extra and "--assume" not in extra:
        g = grid(spec) if len(consts(spec)) <= 2 else {}
        bad = [k for k, v in g.items() if v == 1]
        COUNTS["oracle (a) run"] += 1 if g else 0
        if r.returncode == 0 and bad:
            problems.append(f"(a) PROVED but check violates at {bad[:3]}")
    return problems


def main() -> None:
    specs = [Path(p).resolve() for p in sys.argv[1:]] or sorted((ROOT / "tests/attack_prove").glob("*.pap"))
    for spec in specs:
        problems = attack(spec)
        print(f"{spec.name}: {'; '.join(problems) or 'ok'}", flush=True)
    print(dict(sorted(COUNTS.items())))


if __name__ == "__main__":
    main()
