"""What a newcomer modelling their own protocol meets (issue 17, items 5 and 8): explanations
that say what happened, and the same words everywhere."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from checker import api
from checker.cli import main
from checker.explain.narrate import render_explanation
from checker.views.html import html_report
from checker.views.svg import sequence_svg

CONTROL = """protocol Ctl
machine Agent[2] {
  init state ok {
    on crash { } -> broken
  }
  final state broken { }
}
invariant never_broken: forall a in Agent: not (Agent[a] at broken)
"""

INC = """protocol Inc
var x: 0..3
machine W[2] {
  init state a {
    on inc { x := x + 1 } -> done
  }
  final state done { }
}
invariant small: x < 2
"""

EDGE = """protocol EdgeRev
const VERSIONS = 4
type Ver = 0..VERSIONS
var newest: Ver = 1
var revoked: set[Ver]
machine Edge[2] {
  var picked: Ver
  var serving: Ver = 1
  init state idle {
    on pick when newest > serving { picked := newest } -> loading
  }
  state loading {
    on load { serving := picked } -> idle
  }
}
machine Issuer {
  init state run {
    on mint when newest < VERSIONS { newest := newest + 1 } -> run
  }
}
machine Revoker {
  init state run {
    on revoke(v in Ver) when v + 1 < newest and v not in revoked and (forall e in Edge: Edge[e].serving != v) {
      revoked.add(v)
    } -> run
  }
}
invariant serving_valid: forall e in Edge: Edge[e].serving not in revoked
"""

BOUND = """protocol Rb
const VERSIONS = 3
var newest: 0..VERSIONS = 1
var loaded: 0..VERSIONS = 0
machine Up {
  init state run {
    on upload when newest < VERSIONS { newest := newest + 1 } -> run
  }
}
machine Agent {
  init state idle {
    on fetch when loaded < newest { loaded := newest } -> idle
  }
}
recoverable fresh: loaded < newest
"""


def test_control_state_invariant_says_where_the_instance_is() -> None:
    r = api.check(api.load_text(CONTROL, "ctl.pap"))
    assert r.prop("never_broken").explanation == "for a = 0: Agent[0] at broken"


def test_a_pair_is_called_deciding_only_when_its_swap_avoids_the_violation() -> None:
    r = api.check(api.load_text(INC, "inc.pap"))
    text = render_explanation(r)
    assert "The order that decides it" not in text
    assert "No single swap of two conflicting steps avoids the violation" in text
    assert "small fails in either order" in text
    dns = api.check(api.load(str(Path(__file__).resolve().parents[1] / "specs/dynamodb_dns.pap")))
    text = render_explanation(dns)
    assert "The order that decides it" in text and "holds throughout" in text


def test_sequence_chart_gives_a_lane_to_a_local_others_read() -> None:
    r = api.check(api.load_text(EDGE, "edge.pap"))
    prop = r.prop("serving_valid")
    svg = sequence_svg(r.spec, prop.trace, prop)
    assert ">Edge[0].serving<" in svg  # the lane's head
    assert ":= 2" in svg  # Edge[0]'s load writes it, drawn as an arrow into the lane


def test_trap_names_transitions_held_back_by_a_bound() -> None:
    r = api.check(api.load_text(BOUND, "rb.pap"))
    trap = r.prop("fresh").trap
    assert trap.bounded == ["Up upload: `newest < VERSIONS` is false (newest = 3, VERSIONS = 3)"]
    from checker.views.report import render_text
    assert "held back by a bound of the model" in render_text(r)
    # with no bound in the guard, nothing is claimed
    r2 = api.check(api.load_text(BOUND.replace("when newest < VERSIONS", "when newest < 3"), "rb.pap"))
    assert r2.prop("fresh").trap.bounded == []


def test_explain_por_names_the_property_and_single_instances_as_traces_do() -> None:
    spec = api.load_text(EDGE, "edge.pap")
    text = "\n".join(spec.partial_order(False).explain())
    assert "(visible: writes what serving_valid reads)" in text
    assert "Revoker.state" in text and "Revoker[0]" not in text
    r = api.check(spec)
    assert any(s.instance == "Revoker" for s in r.prop("serving_valid").trace.steps[1:])


def test_html_says_not_decided_like_the_text() -> None:
    two = INC.replace("invariant small: x < 2", "invariant small: x < 2\ninvariant tiny: x < 3")
    r = api.check(api.load_text(two, "two.pap"))
    html = html_report(r)
    assert ">not decided<" in html and ">unknown<" not in html
    assert "use --continue" in html


def test_render_says_what_it_wrote(tmp_path) -> None:
    spec = Path(__file__).resolve().parents[1] / "specs/dynamodb_dns.pap"
    out = tmp_path / "race.svg"
    r = CliRunner().invoke(main, ["render", str(spec), "-o", str(out)])
    assert r.exit_code == 0 and out.exists()
    assert f"papcheck: wrote {out} (the sequence chart of endpoint_has_ips's 12-step counterexample" in r.output


# ------------------------------------------------------------- the catalogue beyond DNS (item 9)

SPECS = Path(__file__).resolve().parents[1] / "specs"


def test_cert_rotation_race_and_fix() -> None:
    race = api.check(api.load(str(SPECS / "cert_rotation.pap")))
    assert race.expectation["met"] is True
    steps = race.prop("serving_valid").trace.steps
    # the server picks, the revoker revokes what it picked, the server loads it
    assert [(s.instance, s.transition) for s in steps[1:]][-2:] == [("Revoker", "revoke"), ("Edge[0]", "load")]
    for consts in ({}, {"EDGES": 3}):
        fixed = api.check(api.load(str(SPECS / "cert_rotation_fixed.pap"), consts))
        assert fixed.verdict == "holds" and fixed.expectation["met"] is True
        assert all(p.status in ("holds", "witnessed") for p in fixed.properties)


def test_flag_rollout_races_and_fix() -> None:
    race = api.check(api.load(str(SPECS / "flag_rollout.pap")), keep_going=True)
    assert race.expectation["met"] is True
    assert race.prop("agents_have_config").status == "violated"
    ptr = race.prop("pointer_live")
    assert ptr.status == "violated"
    assert "rollback" in [s.transition for s in ptr.trace.steps[1:]]
    for consts in ({}, {"AGENTS": 3}):
        fixed = api.check(api.load(str(SPECS / "flag_rollout_fixed.pap"), consts))
        assert fixed.verdict == "holds" and fixed.expectation["met"] is True
        assert all(p.status in ("holds", "witnessed") for p in fixed.properties)


BOOL_DOMAIN = """protocol BoolDomain
var f: bool = false
var n: 0..3 = 0
machine M {
  state s {
    on go when exists b in bool: b != f { f := not f; n := (n + 1) % 4 }
    on stay when forall b in bool: (b or not b) and n < 2 { n := n + 1 }
  }
}
invariant small: n < 3
"""


def test_bool_is_a_domain_as_documented(tmp_path) -> None:
    """docs/dsl.md lists `bool` among the domains of quantifiers: `exists b in bool: ...` means the
    same as `exists b in {false, true}` (8 states by hand: every (f, n) pair)."""
    results = []
    for name, text in (("bool", BOOL_DOMAIN), ("lit", BOOL_DOMAIN.replace("in bool", "in {false, true}"))):
        path = tmp_path / f"{name}.pap"
        path.write_text(text.replace("invariant small: n < 3", "invariant small: n < 4"))
        results.append(api.check(api.load(str(path)), por=False, symmetry=False))
    assert [r.verdict for r in results] == ["holds", "holds"]
    assert [r.stats.states for r in results] == [8, 8]
    path = tmp_path / "v.pap"
    path.write_text(BOOL_DOMAIN)
    r = api.check(api.load(str(path)))
    assert r.verdict == "violated" and r.counterexample is not None and r.counterexample.length == 3
