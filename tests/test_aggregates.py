"""Aggregates (`min x in D: e`, `max x in D: e`, `count x in D: P`) and transitions without a
body (`on retry -> idle`), issue 17 item 6: parsing, printing, the compiled code against the
interpreter on every reachable state, footprints, z3 and the reductions against the unreduced
search."""

from __future__ import annotations

import pytest

from checker import api
from checker.crosscheck.selfcheck import self_check
from checker.lang.errors import SourceFile, SpecError
from checker.lang.parser import parse
from checker.lang.pretty import pretty_spec
from checker.reduce.footprint import FootprintAnalysis, loc_text
from tests.test_generated import check_against_oracle

AGG = """protocol Agg
const N = 3
var revoked: set[0..5] = {}
var top: 0..5 = 0
var low: 0..5 = 0
machine Edge[N] {
  var serving: 0..5 = 1
  init state idle {
    on bump when serving < 5 { serving := serving + 1 } -> busy
    on retry -> idle
  }
  state busy {
    on done -> idle
  }
}
machine Rev {
  init state r {
    on revoke(v in 0..5) when v < (min e in Edge: Edge[e].serving) and v not in revoked { revoked.add(v) } -> r
    on note when (count v in revoked: v > 1) >= 1 { top := max e in Edge: Edge[e].serving } -> r
    on low when revoked != {} { low := min v in revoked: v } -> r
  }
}
invariant ok: forall e in Edge: Edge[e].serving not in revoked
invariant cnt: (count e in Edge: Edge[e].serving == 5) <= N
invariant call_still_works: min(top, 5) == top and max(low, 0) == low
invariant top_bounded: top < 4
reachable lots: (count v in revoked: true) >= 3
"""


def test_parse_print_round_trip() -> None:
    text = pretty_spec(parse(SourceFile("agg.pap", AGG)))
    assert "on retry -> idle" in text and "on done -> idle" in text
    assert "(min e in Edge: Edge[e].serving)" in text and "count v in revoked: v > 1" in text
    assert pretty_spec(parse(SourceFile("agg.pap", text))) == text


def test_compiled_aggregates_agree_with_the_interpreter() -> None:
    check_against_oracle(AGG)


def test_verdicts_and_reductions_agree() -> None:
    spec = api.load_text(AGG, "agg.pap")
    r = api.check(spec, keep_going=True)
    assert r.prop("top_bounded").status == "violated"
    assert r.prop("ok").status == "holds" and r.prop("cnt").status == "holds"
    assert r.prop("lots").status == "witnessed"
    assert self_check(spec).ok


def test_footprint_has_the_aggregate_domain_and_body() -> None:
    spec = api.load_text(AGG, "agg.pap")
    fa = FootprintAnalysis(spec.checked)
    acts = {a.transition.name: a for a in spec.model.actions}
    note = fa.action(acts["note"].machine, acts["note"].instance, acts["note"].transition)
    reads = {loc_text(l) for l in note.reads}
    assert "revoked" in reads and "Edge[*].serving" in reads
    low = fa.action(acts["low"].machine, acts["low"].instance, acts["low"].transition)
    assert "revoked" in {loc_text(l) for l in low.reads}


def test_z3_does_not_claim_a_commutation_it_cannot_translate() -> None:
    from checker.prover.commute import CommutationProver, Unsupported
    spec = api.load_text(AGG, "agg.pap")
    prover = CommutationProver(spec.checked, spec.model)
    ids = {(a.instance_name, a.transition.name): i for i, a in enumerate(spec.model.actions)}
    a, b = sorted((ids[("Edge[0]", "bump")], ids[("Rev", "revoke")]))
    # the aggregate is not translated: the query says so instead of answering
    with pytest.raises(Unsupported):
        prover._prove(a, b)
    assert prover.commute(a, b) is False  # and a pair it cannot prove counts as dependent


def test_empty_min_is_a_model_error() -> None:
    text = AGG.replace("when revoked != {} { low := min v in revoked: v }", "{ low := min v in revoked: v }")
    r = api.check(api.load_text(text, "agg.pap"))
    assert r.model_error is not None and "'min' over an empty domain" in r.model_error.message


@pytest.mark.parametrize("bad,msg", [
    ("top := max e in Edge: Edge[e] at idle", "the body of 'max' must be an integer"),
    ("top := count e in Edge: Edge[e].serving", "must be true or false"),
])
def test_aggregate_type_errors(bad: str, msg: str) -> None:
    text = AGG.replace("top := max e in Edge: Edge[e].serving", bad)
    with pytest.raises(SpecError) as e:
        api.load_text(text, "agg.pap")
    assert msg in e.value.diagnostics.render()


def test_count_and_min_stay_usable_as_names() -> None:
    spec = api.load_text("protocol C\nvar count: 0..3 = 0\nmachine M {\n  init state s {\n"
                         "    on step when count < 3 { count := count + 1 } -> s\n  }\n}\n"
                         "invariant b: count <= 3 and min(count, 3) == count\n", "c.pap")
    assert api.check(spec).verdict == "holds"
