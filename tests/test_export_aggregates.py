"""`count`, `min` and `max`, lazy `and`/`or` and model errors, exported and checked by SPIN and Rumur.

The random protocols of tests/genspec.py draw no aggregates, so this file draws small protocols
from a template: an aggregate over a set variable or a range, read through a map, in a guard,
an assignment, an invariant; next to `or true` / `and false` operands that must not be folded
away.  Many of them have model errors (a value outside y's range, a max over an empty set),
which the peers must report as papcheck does.  Each protocol is cross-checked with both peers
(`peers.cross_check`, one build each), so keep the count small; a protocol the exports refuse
(a max over a possibly empty set in a lazy operand) must be refused with a located error and
stay a minority.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import api
from checker.crosscheck import peers
from checker.export import ExportError, export

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (peers.available("spin") and peers.available("rumur")),
                       reason="spin, rumur or a C compiler not installed"),
]

TEMPLATE = """\
protocol Agg
var s: set[0..2] = INIT
var m: map[0..2, 0..2]
var y: 0..5
machine M {
  state a {
    on add(v in 0..2) { s.add(v) }
    on del(v in 0..2) when v in s { s.remove(v) }
    on bump(k in 0..2) when m[k] < 2 { m[k] := m[k] + 1 }
    on agg when GUARD { y := EXPR }
  }
}
invariant inv: PROP
reachable r: y == TARGET
"""

EXPRS = [
    "count v in s: m[v] > 0",
    "count v in 0..2: v in s and m[v] == 1",
    "max v in s: m[v]",
    "min v in s: v + m[v]",
    "(max v in s: v) - (min v in s: v)",
    "max v in 0..2: m[v] * 2",
    "min v in 0..2: 3 - m[v]",
    "count v in s: (max w in 0..2: m[w]) == m[v]",
    "y + (count v in 0..2: m[v] == 2)",
]
GUARDS = [
    "true",
    "len(s) > 0",
    "(count v in 0..2: m[v] == 0) <= 1",
    "m[0] == 1 or true",
    "not (m[1] == 2 and false)",
    "y < 5 and (max v in 0..2: m[v]) >= 1",
]
PROPS = [
    "y <= 5",
    "(count v in s: true) == len(s)",
    "y <= (max v in 0..2: m[v]) + 3",
    "len(s) == 0 or (min v in s: v) <= 2",
]


@st.composite
def _protocol(draw: st.DrawFn) -> str:
    init = draw(st.sampled_from(["{}", "{1}", "{0, 2}"]))
    return (TEMPLATE.replace("INIT", init).replace("GUARD", draw(st.sampled_from(GUARDS)))
            .replace("EXPR", draw(st.sampled_from(EXPRS))).replace("PROP", draw(st.sampled_from(PROPS)))
            .replace("TARGET", str(draw(st.integers(0, 5)))))


TOTALS = {"checked": 0, "refused": 0}


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(_protocol())
def test_peers_agree_on_aggregates(text: str) -> None:
    spec = api.load_text(text, "agg.pap")
    try:
        export(spec.checked, "promela")
        export(spec.checked, "murphi")
    except ExportError as e:
        assert "agg.pap:" in e.diagnostics.render() and "cannot export" in e.diagnostics.render()
        TOTALS["refused"] += 1
        return
    result = api.check(spec)
    for peer in ("spin", "rumur"):
        c = peers.cross_check(spec, result, peer)
        assert c.agree, (peer, c.problems, text)
    TOTALS["checked"] += 1


def test_most_aggregate_protocols_were_checked() -> None:
    """Runs after the test above (file order)."""
    if TOTALS["checked"] + TOTALS["refused"] == 0:
        pytest.skip("the test above did not run (deselected)")
    assert TOTALS["checked"] >= 2 * TOTALS["refused"], TOTALS
