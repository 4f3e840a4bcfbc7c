"""Renderings of a counterexample: sequence chart (SVG), happens-before and state graphs (DOT),
the whole state graph, the HTML report (issue 4).  DOT and SVG are deterministic: golden files."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from checker import api
from checker.cli import main
from checker.explain.minimize import minimize_result
from checker.explain.narrate import pick_property
from checker.explain.race import TraceFacts
from checker.views import dot as render_dot
from checker.views.dot import NOTE, graph_dot, hb_dot, states_dot
from checker.views.svg import sequence_svg

from .test_explain import ROOT, golden

TINY = """protocol Tiny
var x: 0..2 = 0
machine W[2] {
  state s { on inc when x < 2 { x := x + 1 } -> t }
  final state t { }
}
invariant small: x < 2
"""


@pytest.fixture(scope="module")
def incident():
    import os
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        spec = api.load("specs/dynamodb_dns.pap")
        result = api.check(spec)
        minimize_result(result)
    finally:
        os.chdir(old)
    prop = pick_property(result)
    return spec, result, prop, TraceFacts(spec, prop.trace, prop)


def invoke(args, monkeypatch):
    monkeypatch.chdir(ROOT)
    return CliRunner().invoke(main, args)


def test_sequence_svg_golden_and_well_formed(incident):
    spec, result, prop, facts = incident
    svg = sequence_svg(spec, prop.trace, prop, facts)
    golden("sequence_dynamodb_dns.svg", svg)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    steps = [g for g in root.iter(ns + "g") if "step" in (g.get("class") or "").split()]
    assert [int(g.get("data-step")) for g in steps] == list(range(1, prop.trace.length + 1))
    assert "violating" in steps[-1].get("class")
    heads = [g.get("data-lane") for g in root.iter(ns + "g") if g.get("class") == "lane-head"]
    # one lane per acting instance, one per shared object the trace touches
    assert heads == ["Planner", "Enactor[0]", "Enactor[1]", "latest", "applied", "purged", "record[0]",
                     "record[1]"]


def test_sequence_svg_marks_the_deciding_pair(incident):
    spec, result, prop, facts = incident
    svg = sequence_svg(spec, prop.trace, prop, facts)
    pair = facts.deciding_pair()
    for k in (pair.first, pair.second):
        assert re.search(rf'<g class="step[^"]*deciding[^"]*" id="step-{k}"', svg)


def test_hb_dot_golden(incident):
    spec, result, prop, facts = incident
    dot = hb_dot(spec, prop.trace, prop, facts)
    golden("hb_dynamodb_dns.dot", dot)
    assert NOTE in dot
    pair = facts.deciding_pair()
    assert re.search(rf's{pair.first} -> s{pair.second} \[label="record\[0\] \(decides\)", color="#e8590c"', dot)


def test_hb_edges_are_exactly_the_conflicting_pairs(incident):
    spec, result, prop, facts = incident
    edges = {(i, j) for i, j, _ in facts.hb_edges()}
    n = prop.trace.length
    for j in range(1, n + 1):
        for i in range(1, j):
            assert ((i, j) in edges) == bool(facts.conflict_cells(i, j))
    # the reduction keeps the same orderings (same transitive closure)
    def closure(es):
        reach = {i: set() for i in range(1, n + 1)}
        for i, j in sorted(es, reverse=True):
            reach[i] |= {j} | reach[j]
        return reach
    assert closure(edges) == closure({(i, j) for i, j, _ in facts.hb_reduced()})


def test_hb_reorderings_respecting_the_edges_stay_counterexamples(incident):
    """The note's claim, checked on one reordering: run every step as early as its edges allow."""
    spec, result, prop, facts = incident
    n = prop.trace.length
    preds = {j: {i for i, jj, _ in facts.hb_edges() if jj == j} for j in range(1, n + 1)}
    order, done = [], set()
    while len(order) < n:  # highest-numbered ready step first: a different but legal order
        ready = [k for k in range(1, n + 1) if k not in done and preds[k] <= done]
        k = max(ready)
        order.append(k)
        done.add(k)
    assert order != list(range(1, n + 1))
    assert facts.ends_violated(order) is True


def test_states_dot_golden(incident):
    spec, result, prop, facts = incident
    dot = states_dot(spec, prop.trace, prop, facts)
    golden("states_dynamodb_dns.dot", dot)
    assert dot.count(" -> t") >= prop.trace.length
    assert "style=dashed" in dot  # the transitions not taken


def test_graph_dot_whole_small_spec():
    spec = api.load_text(TINY, "tiny.pap")
    dot = graph_dot(spec)
    golden("graph_tiny.dot", dot)
    # states: x=0; one W moved (x=1) twice; both moved (x=2), which violates `small`
    assert len(re.findall(r"^  n\d+ \[", dot, re.M)) == 4
    assert dot.count("#ffc9c9") == 1


def test_graph_refuses_big_specs(monkeypatch):
    r = invoke(["graph", "specs/dynamodb_dns.pap"], monkeypatch)
    assert r.exit_code == 2
    assert "more than 2,000 reachable states" in r.output


def test_render_cli_sequence_is_deterministic(monkeypatch):
    a = invoke(["render", "specs/dynamodb_dns.pap"], monkeypatch)
    b = invoke(["render", "specs/dynamodb_dns.pap"], monkeypatch)
    assert a.exit_code == 0 and a.output == b.output and a.output.startswith("<svg")


def test_render_sequence_only_as_svg(monkeypatch):
    r = invoke(["render", "specs/dynamodb_dns.pap", "--to", "dot"], monkeypatch)
    assert r.exit_code == 2 and "drawn as SVG" in r.output


def test_render_without_graphviz_says_how_to_install(monkeypatch):
    monkeypatch.setattr(render_dot.shutil, "which", lambda name: None)
    r = invoke(["render", "specs/dynamodb_dns.pap", "--view", "hb", "--to", "svg"], monkeypatch)
    assert r.exit_code == 2
    assert "apt-get install graphviz" in r.output
    r = invoke(["render", "specs/dynamodb_dns.pap", "--view", "hb", "--to", "dot"], monkeypatch)
    assert r.exit_code == 0 and r.output.startswith("digraph happens_before")


def test_html_without_graphviz_embeds_dot_text(monkeypatch, incident):
    from checker.views.html import html_report
    spec, result, prop, facts = incident
    monkeypatch.setattr(render_dot.shutil, "which", lambda name: None)
    page = html_report(result)
    assert "<pre class=\"mono\">digraph happens_before" in page
    assert "apt-get install graphviz" in page


@pytest.mark.skipif(not render_dot.have_dot(), reason="Graphviz's dot is not installed")
def test_render_hb_svg_through_graphviz(monkeypatch):
    r = invoke(["render", "specs/dynamodb_dns.pap", "--view", "hb", "--to", "svg"], monkeypatch)
    assert r.exit_code == 0 and "<svg" in r.output and "decides" in r.output


def test_check_render_writes_every_view(tmp_path, monkeypatch):
    out = tmp_path / "views"
    r = invoke(["check", "specs/dynamodb_dns.pap", "-q", "--render", str(out)], monkeypatch)
    assert r.exit_code == 1
    names = sorted(p.name for p in out.iterdir())
    expected = ["hb.dot", "report.html", "sequence.svg", "states.dot"]
    if render_dot.have_dot():
        expected += ["hb.svg", "states.svg"]
    assert names == sorted(expected)
    page = (out / "report.html").read_text()
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_render_holds_spec_has_nothing_to_draw(monkeypatch):
    r = invoke(["render", "specs/dynamodb_dns_cas.pap"], monkeypatch)
    assert r.exit_code == 0 and "no trace to draw" in r.output
    r = invoke(["render", "specs/dynamodb_dns_cas.pap", "--to", "html"], monkeypatch)
    assert r.exit_code == 0 and "HOLDS" in r.output


def test_readme_picture_is_the_current_chart(incident):
    """docs/img/dynamodb_dns_sequence.svg (shown in the README) is what papcheck draws today."""
    spec, result, prop, facts = incident
    assert (ROOT / "docs" / "img" / "dynamodb_dns_sequence.svg").read_text() == sequence_svg(
        spec, prop.trace, prop, facts)
    assert "docs/img/dynamodb_dns_sequence.svg" in (ROOT / "README.md").read_text()


# ------------------------------------------------------------------ liveness lassos (issue 5)

LASSO = """protocol Lasso
## the number of the plan the enactor holds
var plan: 0..1 = 0
## true once a plan has been applied
var done: bool = false

fair machine Enactor {
  state start {
    ## the Enactor starts up
    on boot { skip } -> idle
  }
  state idle {
    ## the Enactor picks the other plan
    on pick { plan := 1 - plan } -> busy
  }
  state busy {
    ## plan 1 can be applied
    on apply when plan == 1 { done := true } -> idle
    ## the Enactor drops its plan
    on drop { skip } -> idle
  }
}

## under weak fairness a plan is applied some day
eventually applied: done
"""

STOP = """protocol Stop
var done: bool = false
fair machine W {
  state a {
    on quit { skip } -> b
    on finish { done := true } -> b
  }
  final state b {}
}
eventually finished: done
"""


@pytest.fixture(scope="module")
def lasso():
    spec = api.load_text(LASSO, "lasso.pap")
    result = api.check(spec)
    prop = pick_property(result, "applied")
    # boot, then pick/drop twice (plan 0 -> 1 -> 0): apply is enabled only half the time, so weak
    # fairness does not force it
    assert prop.status == "violated" and prop.trace.loop == 1 and prop.trace.length == 5
    return spec, result, prop


def test_sequence_svg_marks_the_lasso_cycle(lasso):
    spec, result, prop = lasso
    svg = sequence_svg(spec, prop.trace, prop)
    golden("sequence_lasso.svg", svg)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    band = next(g for g in root.iter(ns + "g") if g.get("class") == "loop")
    assert band.get("data-loop") == "1"
    assert any(t.text == "repeats for ever" for t in band.iter(ns + "text"))
    rect = band.find(ns + "rect")
    top, bottom = int(rect.get("y")), int(rect.get("y")) + int(rect.get("height"))
    steps = {int(g.get("data-step")): g for g in root.iter(ns + "g") if "step" in (g.get("class") or "").split()}
    row_top = {k: int(g.find(ns + "rect").get("y")) for k, g in steps.items()}
    # the band spans exactly the cycle's rows (2..5), not the prefix's (1)
    assert row_top[1] < top == row_top[2] and row_top[5] < bottom
    assert not any("violating" in g.get("class") for g in steps.values())  # the whole cycle violates
    assert band.find(ns + "path").get("marker-end") == "url(#ahl)"


def test_dot_views_close_the_lasso(lasso):
    spec, result, prop = lasso
    states = states_dot(spec, prop.trace, prop)
    golden("states_lasso.dot", states)
    assert re.search(r'^  t5 -> t1 \[label="loop"', states, re.M)
    hb = hb_dot(spec, prop.trace, prop)
    golden("hb_lasso.dot", hb)
    assert re.search(r'^  s5 -> s2 \[label="loop"', hb, re.M)
    assert "steps 2..5 form a cycle" in hb


def test_plain_traces_have_no_loop_marks(incident):
    spec, result, prop, facts = incident
    assert 'class="loop"' not in sequence_svg(spec, prop.trace, prop, facts)
    assert 'label="loop"' not in states_dot(spec, prop.trace, prop, facts)


def test_a_stopped_run_repeats_its_last_state():
    spec = api.load_text(STOP, "stop.pap")
    prop = pick_property(api.check(spec), "finished")
    assert prop.trace.loop == prop.trace.length == 1
    assert re.search(r'^  t1 -> t1 \[label="loop"', states_dot(spec, prop.trace, prop), re.M)
    svg = sequence_svg(spec, prop.trace, prop)
    assert "stops here: repeats for ever" in svg and "no transition is enabled" in svg


def test_html_report_marks_the_cycle(lasso):
    from checker.views.html import html_report
    spec, result, prop = lasso
    page = html_report(result, "applied")
    assert '<p class="loop-note">A lasso: steps 0..1 are the prefix; steps 2..5' in page
    assert re.findall(r'<li data-step="(\d)" value="\d" class="cycle">', page) == ["2", "3", "4", "5"]
    assert "[cycle, repeats for ever]" in page


def test_render_cli_draws_a_liveness_property(monkeypatch):
    r = invoke(["render", "specs/dynamodb_dns_recovery.pap", "--property", "newest_applied", "--to", "svg"],
               monkeypatch)
    assert r.exit_code == 0 and r.output.startswith("<svg")
    assert 'class="loop"' in r.output and "repeats for ever" in r.output
    r = invoke(["render", "specs/dynamodb_dns_recovery.pap", "--property", "newest_applied", "--view", "states",
                "--to", "dot"], monkeypatch)
    assert r.exit_code == 0 and 'label="loop"' in r.output
