"""Exact orbit counting for the "sym" family of tests/attack_gen.py, from `papcheck graph --labels`.

Black box: it parses the unreduced state graph's labels (the spec's own schema is known: which
values are instance ids of W) and counts the orbits under every permutation of W's instances,
which is what the symmetry-reduced search must store when W is symmetric (issue 18).
"""

from __future__ import annotations

import itertools
import re

from click.testing import CliRunner

from checker.cli import main


def _id(x: str, p):
    return -1 if x == "none" else p[int(x)]


def _key(label: str, n: int, p) -> tuple:
    g = lambda pat: re.search(pat, label).group(1)
    owner = _id(g(r"owner = (none|\d+)"), p)
    served = tuple(sorted(p[int(x)] for x in g(r"served = \{([^}]*)\}").split(", ") if x))
    q = tuple(p[int(x)] for x in g(r"q = <([^>]*)>").split(", ") if x)
    cnt = dict(re.findall(r"(\d+): (\d+)", g(r"cnt = \[([^\]]*)\]")))
    cnt = tuple(sorted((p[int(k)], v) for k, v in cnt.items()))
    peers = dict(re.findall(r"(\d+): (none|\d+)", g(r"peers = \[([^\]]*)\]")))
    peers = tuple(sorted((p[int(k)], _id(v, p)) for k, v in peers.items()))
    m = re.search(r"rec = \{who = (none|\d+), k = (\d+)\}", label)
    rec = (_id(m.group(1), p), m.group(2))
    box = re.findall(r"(\d+): <([^>]*)>", g(r"box = \[(.*?)\]\\l"))
    box = tuple(sorted((p[int(k)], tuple(p[int(x)] for x in v.split(", ") if x)) for k, v in box))
    hits = g(r"hits = (\d+)")
    ws = {}
    for i, st, me2, mine in re.findall(r"W\[(\d+)\]: (\S+) me2=(\w+) mine=(none|\d+)", label):
        ws[p[int(i)]] = (st, me2, _id(mine, p))
    assert len(ws) == n, label
    rest = tuple(line for line in label.split("\\l")[1:] if not line.startswith("W["))  # S, L
    return (owner, served, q, cnt, peers, rec, box, hits, tuple(ws[i] for i in range(n)), rest)


def orbits(path: str, n: int) -> int | None:
    """Number of orbits of the reachable states under permutations of W (None: too big)."""
    res = CliRunner().invoke(main, ["graph", path, "--labels", "--max-states", "3000"])
    if res.exit_code != 0:
        return None
    labels = re.findall(r'^\s*n\d+ \[label="(.*?)", tooltip', res.stdout, re.M)
    perms = list(itertools.permutations(range(n)))
    return len({min(_key(lab, n, p) for p in perms) for lab in labels})
