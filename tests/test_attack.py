"""Adversarial black-box tests of the reductions (partial-order and symmetry), written from
docs/dsl.md and the README only, independently of genspec*.py and of the reduction code.

Every spec goes through the `papcheck check` CLI (in process) under the default settings,
`--no-por`, `--no-symmetry`, `--no-solver`, `--strategy dfs`, `--store fingerprint` and
`--self-check`, and is compared with `--no-por --no-symmetry` (see tests/attack_harness.py):
exit codes, verdicts, every decided property's status, model errors, shortest-trace lengths of
the runs without POR, and reduced state counts never above the unreduced ones.

- ``test_hand_spec``: the hand-written corpus tests/attack_specs/*.pap (model errors hidden
  behind commuting pairs, footprints, symmetry leaks, instance-typed data).
- ``test_positions``: a hidden read in each expression position against a write in each
  statement form (tests/attack_positions.py), sampled.
- ``test_generated``: seeded specs from tests/attack_gen.py; also measures how often each
  reduction fired and requires POR to fire in at least half of them.
- ``test_symmetry_orbits``: the symmetry-reduced count equals the number of orbits, counted
  here from `papcheck graph --labels`.
- Finds: named regression tests (xfail strict while the bug stands).
"""

from __future__ import annotations

import glob
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from attack_gen import generate
from attack_harness import compare, run
from attack_orbits import orbits
from attack_positions import ALL as POSITIONS
from attack_positions import spec as position_spec

HERE = os.path.dirname(__file__)
SPECS = sorted(glob.glob(os.path.join(HERE, "attack_specs", "*.pap")))
CRASHERS: set[str] = set()  # crash_walrus.pap crashed the compiler (fixed; see test_find_walrus_*)
ROTATE = ["no-solver", "dfs", "fingerprint", "self-check"]
KNOWN_CRASH: set[tuple[int, int]] = set()  # (24, 14) was the walrus crash, now fixed


def _check(text: str, configs=None, extra=None) -> None:
    out = compare(text, configs, extra)
    assert out.runs["oracle"].code in (0, 1), out.runs["oracle"].stderr
    assert not out.problems, "\n".join(out.problems) + "\n" + text


@pytest.mark.parametrize("path", [p for p in SPECS if os.path.basename(p) not in CRASHERS],
                         ids=lambda p: os.path.basename(p))
def test_hand_spec(path: str) -> None:
    with open(path) as f:
        text = f.read()
    # the four core settings, plus one of the others in turn (every spec once in 4 runs each)
    extra = ROTATE[SPECS.index(path) % len(ROTATE)]
    _check(text, ["oracle", "default", "no-por", "no-sym", extra])


def test_positions() -> None:
    # a deterministic sample of the source x sink matrix (the whole matrix is ~900 specs)
    sample = [p for p in POSITIONS[::12] if p not in KNOWN_CRASH]
    bad = []
    for i, j in sample:
        out = compare(position_spec(i, j), ["oracle", "default", "no-solver"])
        if out.runs["oracle"].code == 3:
            continue  # a set literal without a known element type: a spec error by design
        if out.problems:
            bad.append(f"{i}x{j}: {out.problems}")
    assert not bad, "\n".join(bad)


def test_generated() -> None:
    seeds = range(24)
    fired = sym = n = 0
    bad = []
    for seed in seeds:
        out = compare(generate(seed), ["oracle", "default", "no-por", "no-sym"], ["--continue"],
                      max_states=5000)
        if out.skipped:
            continue
        if out.runs["oracle"].code == 3:
            bad.append(f"seed {seed}: the generator wrote a bad spec: {out.runs['oracle'].stderr[:200]}")
            continue
        n += 1
        fired += out.por_fired
        sym += out.sym_fired
        if out.problems:
            bad.append(f"seed {seed}: {out.problems}")
    print(f"\nattack generator: {n} specs, POR reduced the state count in {fired} "
          f"({fired / n:.0%}), symmetry in {sym} ({sym / n:.0%})")
    assert not bad, "\n".join(bad)
    assert fired * 2 >= n, f"POR fired in only {fired} of {n} generated specs"


def test_generated_every_setting() -> None:
    # fewer seeds, every CLI setting (dfs, fingerprint, self-check, no-solver) without --continue
    bad = []
    for seed in (0, 3, 5):
        out = compare(generate(seed), max_states=5000)
        if out.problems:
            bad.append(f"seed {seed}: {out.problems}")
    assert not bad, "\n".join(bad)


def test_symmetry_orbits(tmp_path) -> None:
    tried = 0
    for seed in range(3, 64, 4):  # the "sym" family
        text = generate(seed)
        n = int(re.search(r"machine W\[(\d)\]", text).group(1))
        path = str(tmp_path / f"s{seed}.pap")
        with open(path, "w") as f:
            f.write(text)
        r = run(path, "no-por", ["--max-states", "2000"])
        if r.data is None or r.data["stop_reason"] != "done" or not r.symmetric():
            continue
        o = orbits(path, n)
        if o is None:
            continue
        tried += 1
        assert r.states == o, f"seed {seed}: {r.states} states with symmetry, {o} orbits\n{text}"
    assert tried >= 10


# ---- finds ----------------------------------------------------------------------------------

# Found by this attack: the compiler emitted a walrus (:=) in a comprehension iterable for a
# range-checked map key / instance index inside a quantifier domain (internal error, exit 70).
def test_find_walrus_in_quantifier_domain() -> None:
    out = run(os.path.join(HERE, "attack_specs", "crash_walrus.pap"), "oracle")
    assert out.code == 0, out.stderr


# The same bug: a map read with a computed key in the bound of a range domain (`0..m[n + 1]`), in a
# set-literal domain, an instance index, and in a property.
@pytest.mark.parametrize("where", [
    "machine A { state a { on t { b := forall e in 0..m[n + 1]: e == 1 } } }",
    "machine A { state a { on t { b := exists e in {k[n + 1]}: e } } }",
    "machine A { state a { on t { b := exists e in 0..W[n + 1].t: e == 1 } } }\n"
    "machine W[2] { var t: 0..1  state w { } }",
    "machine A { state a { on t { n := 1 - n } } }\ninvariant i: exists e in {m[n + 1]}: e == 0",
])
def test_find_walrus_variants(tmp_path, where: str) -> None:
    path = tmp_path / "w.pap"
    path.write_text("protocol W\nvar n: 0..1\nvar m: map[0..1, 0..1]\nvar k: map[0..1, bool]\n"
                    f"var b: bool\n{where}\n")
    out = run(str(path), "oracle")
    assert out.code in (0, 1), out.stderr
    _check(path.read_text())  # and every reduction setting agrees with it
