"""The self-contained HTML report (`papcheck render --to html`, `check --render DIR`).

One file that opens offline (no external scripts, styles or fonts): the verdict and statistics,
the properties, the explanation of :mod:`checker.explain.narrate`, the sequence chart of
:mod:`checker.views.svg` inline, the happens-before and state graphs (SVG when Graphviz's `dot`
is installed, else their DOT text), and the spec source with the violated property's line and
every step's transition line highlighted.  A slider (and the arrow keys) moves through the trace:
the current step is highlighted in the chart, the story and the source, and the full state is
shown with the cells that step changed marked.  A liveness counterexample (a lasso, `trace.loop`
set) gets a note saying where its cycle starts and ends, and the cycle's steps are marked in the
story and on the slider's label.

Everything shown is computed here in Python and embedded as JSON; the page's script only moves
classes and swaps pre-rendered tables, so the output is deterministic.
"""

from __future__ import annotations

import json
from html import escape

from ..api import CheckResult
from ..engine.trace import Trace
from ..explain.minimize import Minimized
from ..explain.narrate import explain, pick_property
from ..explain.race import TraceFacts
from ..lang.outputs import counted
from ..lang.types import MapT, Type, format_value
from .dot import have_dot, hb_dot, states_dot
from .svg import sequence_svg

CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2937;background:#f8fafc}
header{padding:16px 24px;color:#fff}
header.violated{background:#c92a2a}header.holds{background:#2b8a3e}header.incomplete{background:#e67700}
header h1{margin:0;font-size:20px}header p{margin:4px 0 0}
main{padding:16px 24px;max-width:1600px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse}
td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
code,pre,.mono{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
.status-violated,.status-unreachable{color:#c92a2a;font-weight:bold}
.status-holds,.status-witnessed{color:#2b8a3e}
.controls{display:flex;align-items:center;gap:10px;flex-wrap:wrap;position:sticky;top:0;background:#fff;z-index:2;padding:6px 0}
#step-slider{flex:1;min-width:240px}
#step-label{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace}
.cols{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}
.chart{overflow:auto;max-width:100%;flex:3 1 700px}
.state{flex:1 1 320px}
.state td.changed{background:#fff1a8;font-weight:bold}
.state .old{color:#9ca3af;text-decoration:line-through;margin-right:4px;font-weight:normal}
.kv{display:inline-block;border:1px solid #e5e7eb;border-radius:3px;padding:0 4px;margin:0 2px 2px 0}
.kv.changed{background:#fff1a8;border-color:#e8590c}
ol.story{padding-left:2.5em;margin:4px 0}
ol.story li{padding:1px 4px;border-radius:3px}
ol.story li.current{background:#fff1a8}
ol.story li.cycle{border-left:3px solid #1c7ed6}
.loop-note{background:#e7f0ff;border-left:3px solid #1c7ed6;padding:4px 8px}
.why li{margin-bottom:4px}
pre.src{margin:0;overflow:auto;max-height:520px;border:1px solid #e5e7eb;border-radius:4px;padding:6px 0}
pre.src span.line{display:block;padding:0 8px;white-space:pre}
pre.src span.ln{display:inline-block;width:3.5em;color:#9ca3af;user-select:none}
pre.src .tr-line{background:#eef4ff}
pre.src .prop-line{background:#fde2e1}
pre.src .current{background:#fff1a8;outline:1px solid #e8590c}
.graph{overflow:auto}
.graph svg{max-width:none;height:auto}
details summary{cursor:pointer;font-weight:600}
.note{color:#6b7280}
"""

SCRIPT = """
(function(){
  var data = JSON.parse(document.getElementById('papcheck-data').textContent);
  var slider = document.getElementById('step-slider');
  if (!slider) { return; }
  var label = document.getElementById('step-label');
  var table = document.getElementById('state-table');
  function mark(selector, k) {
    var all = document.querySelectorAll(selector);
    for (var i = 0; i < all.length; i++) {
      var on = all[i].getAttribute('data-step') === String(k);
      all[i].classList.toggle('current', on);
    }
  }
  function show(k) {
    k = Math.max(0, Math.min(data.steps.length - 1, k));
    slider.value = String(k);
    var s = data.steps[k];
    label.textContent = s.label;
    table.innerHTML = s.table;
    mark('.papcheck-sequence .step', k);
    mark('ol.story li', k);
    var lines = document.querySelectorAll('pre.src span.line');
    for (var i = 0; i < lines.length; i++) {
      lines[i].classList.toggle('current', lines[i].getAttribute('data-line') === String(s.line));
    }
    var cur = document.querySelector('.papcheck-sequence .step.current');
    if (cur && cur.scrollIntoView) { cur.scrollIntoView({block: 'nearest', inline: 'nearest'}); }
  }
  slider.addEventListener('input', function(){ show(parseInt(slider.value, 10)); });
  document.getElementById('prev').addEventListener('click', function(){ show(parseInt(slider.value, 10) - 1); });
  document.getElementById('next').addEventListener('click', function(){ show(parseInt(slider.value, 10) + 1); });
  document.addEventListener('keydown', function(e){
    if (e.target === slider) { return; }  // the slider moves itself on arrow keys
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') { show(parseInt(slider.value, 10) + 1); e.preventDefault(); }
    if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') { show(parseInt(slider.value, 10) - 1); e.preventDefault(); }
  });
  var steps = document.querySelectorAll('.papcheck-sequence .step');
  for (var i = 0; i < steps.length; i++) {
    steps[i].addEventListener('click', function(){ show(parseInt(this.getAttribute('data-step'), 10)); });
  }
  show(data.steps.length - 1);
})();
"""


def html_report(result: CheckResult, prop_name: str | None = None,
                minimized: list[Minimized] | None = None) -> str:
    """The whole report as one HTML document (`minimized`: what --min-switches did, if it ran)."""
    spec = result.spec
    prop = pick_property(result, prop_name)
    trace: Trace | None = None
    error = ""
    if prop is not None and prop.trace is not None:
        trace = prop.trace
    elif prop_name is None and result.model_error is not None:
        trace, prop, error = result.model_error.trace, None, result.model_error.message
    ex = explain(result, prop_name, minimized)
    types = spec.model.slot_types()
    facts = TraceFacts(spec, trace, prop) if trace is not None else None

    out: list[str] = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
                      f"<title>papcheck: {escape(spec.name)}: {escape(result.verdict)}</title>",
                      f"<style>{CSS}</style>", "</head>", "<body>"]
    consts = " ".join(f"{k}={format_value(v)}" for k, v in spec.constants.items())
    out.append(f'<header class="{escape(result.verdict)}"><h1>{escape(result.verdict.upper())}: '
               f"{escape(spec.name)}</h1><p>{escape(ex.title)} · {escape(spec.path)}"
               + (f" ({escape(consts)})" if consts else "") + "</p></header>")
    out.append("<main>")
    st = result.stats
    out.append("<section><h2>Result</h2><table>")
    for p in result.properties:
        detail = counted(p.trace.length, "step") if p.trace is not None else ""
        if p.status == "unknown" and getattr(p, "reason", ""):  # type: ignore[arg-type]  # mypy takes getattr's bool overload from the `and` context
            detail = p.reason
        word = {"unknown": "not decided", "unreachable": "never reached"}.get(p.status, p.status)  # as the text
        out.append(f'<tr><td class="mono">{escape(p.kind)} {escape(p.name)}</td>'
                   f'<td class="status-{escape(p.status)}">{escape(word)}</td>'
                   f"<td>{escape(detail)}</td><td>{escape(p.doc)}</td></tr>")
    out.append("</table>")
    out.append(f'<p class="note">{st.states:,} distinct states, {counted(st.transitions, "transition")}, depth '
               f"{st.depth}; strategy {escape(result.strategy)}.</p></section>")

    steps_data: list[dict] = []
    if trace is not None and facts is not None:
        n = len(trace.steps) - 1
        out.append('<section><h2>The trace</h2><div class="controls">'
                   '<button id="prev" type="button" title="previous step (left arrow)">◀</button>'
                   f'<input id="step-slider" type="range" min="0" max="{n}" value="{n}" step="1" '
                   'aria-label="step">'
                   '<button id="next" type="button" title="next step (right arrow)">▶</button>'
                   '<span id="step-label"></span></div>')
        if trace.loop is not None:
            out.append(f'<p class="loop-note">{escape(_loop_note(trace))}</p>')
        out.append('<div class="cols"><div class="chart">')
        out.append(sequence_svg(spec, trace, prop, facts, error))
        out.append('</div><div class="state"><h2>State</h2><div id="state-table"></div></div></div>')
        if ex.story:
            out.append(f"<h2>{escape(ex.summary)}</h2>")
            out.append('<ol class="story" start="0"><li data-step="0">' + escape(trace.steps[0].action_text()) + '</li>')
            for k, sentence in ex.story:
                if k == 0:  # the initial choice: already the first item
                    continue
                cyc = ' class="cycle"' if _in_cycle(trace, k) else ""
                out.append(f'<li data-step="{k}" value="{k}"{cyc}>{escape(sentence)}</li>')
            out.append("</ol>")
            if ex.schedule:
                out.append(f'<p class="note">{escape(ex.schedule)}</p>')
        out.append("</section>")
        for k, step in enumerate(trace.steps):
            text = step.action_text() if k == 0 else step.action_text() + (f" (line {step.line})" if step.line else "")
            if _in_cycle(trace, k):
                text += " [cycle, repeats for ever]"
            steps_data.append({"label": f"step {k} / {n}: {text}", "line": step.line or 0,
                               "table": _state_table(trace, k, types)})
    if ex.analysis:
        out.append('<section class="why"><h2>Why</h2><ul>')
        out.extend(f"<li>{escape(p)}</li>" for p in ex.analysis)
        out.append("</ul></section>")
    if trace is not None and facts is not None:
        hb = hb_dot(spec, trace, prop, facts)
        out.append("<section><h2>Happens-before</h2>")
        out.append('<p class="note">Steps as nodes, an edge where two steps touch a common variable and one '
                   "of them writes it. Any reordering of the trace that respects these edges is also a "
                   "counterexample.</p>")
        out.append(_graph(hb))
        out.append("</section>")
        out.append("<section><details><summary>States around the trace (transitions not taken, faded)"
                   "</summary>")
        out.append(_graph(states_dot(spec, trace, prop, facts)))
        out.append("</details></section>")
    out.append("<section><h2>Spec</h2>")
    out.append(_source(result, trace, prop.line if prop is not None and prop.status == "violated" else None))
    out.append("</section>")
    out.append("</main>")
    payload = json.dumps({"steps": steps_data}, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
    out.append(f'<script type="application/json" id="papcheck-data">{payload}</script>')
    out.append(f"<script>{SCRIPT}</script>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _in_cycle(trace: Trace, k: int) -> bool:
    """Is step k one of a lasso's cycle (or the final state a stopped run repeats)?"""
    if trace.loop is None:
        return False
    return k > trace.loop or k == trace.loop == len(trace.steps) - 1


def _loop_note(trace: Trace) -> str:
    last = len(trace.steps) - 1
    if trace.loop == last:
        return (f"A lasso: the run stops after step {last} (no transition is enabled) and that state "
                "repeats for ever.")
    return (f"A lasso: steps 0..{trace.loop} are the prefix; steps {trace.loop + 1}..{last} (marked) form a "  # type: ignore[operator]
            f"cycle: after step {last} the state is again the one after step {trace.loop}, and the cycle "
            "repeats for ever.")


def _graph(dot: str) -> str:
    if have_dot():
        from .dot import convert
        svg = convert(dot, "svg").decode("utf-8")
        start = svg.find("<svg")
        return f'<div class="graph">{svg[start:] if start >= 0 else svg}</div>'
    return ('<p class="note">Graphviz is not installed (apt-get install graphviz), so the graph is given '
            f'as DOT text:</p><pre class="mono">{escape(dot)}</pre>')


def _state_table(trace: Trace, k: int, types: dict[str, Type]) -> str:
    step = trace.steps[k]
    changed = {name: old for name, old, _ in step.changes}
    rows = ['<table class="mono">']
    for name, value in step.state.items():
        t = types.get(name)
        if isinstance(t, MapT):
            old = dict(changed[name]) if name in changed else None
            cells = []
            for key, v in value:
                hit = old is not None and old[key] != v
                shown = (f'<span class="old">{escape(format_value(old[key], t.value))}</span>'  # type: ignore[index]
                         if hit else "") + escape(format_value(v, t.value))
                cells.append(f'<span class="kv{" changed" if hit else ""}">{escape(format_value(key))}: '
                             f"{shown}</span>")
            mark = ' class="changed"' if name in changed else ""
            rows.append(f"<tr><td>{escape(name)}</td><td{mark}>" + "".join(cells) + "</td></tr>")
            continue
        hit = name in changed
        shown = (f'<span class="old">{escape(format_value(changed[name], t))}</span>' if hit else "") + escape(
            format_value(value, t))
        mark = ' class="changed"' if hit else ""
        rows.append(f"<tr><td>{escape(name)}</td><td{mark}>{shown}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _source(result: CheckResult, trace: Trace | None, prop_line: int | None) -> str:
    text = result.spec.checked.source.text
    step_lines: dict[int, list[int]] = {}
    if trace is not None:
        for s in trace.steps[1:]:
            if s.line:
                step_lines.setdefault(s.line, []).append(s.index)
        if trace.failing_step is not None and trace.failing_step.line:
            step_lines.setdefault(trace.failing_step.line, []).append(trace.failing_step.index)
    out = ['<pre class="src">']
    for n, line in enumerate(text.splitlines(), start=1):
        cls = ["line"]
        title = ""
        if n in step_lines:
            cls.append("tr-line")
            title = "steps " + ", ".join(map(str, step_lines[n]))
        if n == prop_line:
            cls.append("prop-line")
            title = "the violated property"
        t = f' title="{escape(title)}"' if title else ""
        out.append(f'<span class="{" ".join(cls)}" data-line="{n}"{t}><span class="ln">{n}</span>'
                   f"{escape(line)}</span>")
    out.append("</pre>")
    return "".join(out)
