// papcheck explore: the page talks to its own server only, sends nothing but a path of choice
// numbers, and builds the page with textContent (spec text is never parsed as HTML here; the
// sequence chart is SVG drawn and escaped by papcheck's renderer).
"use strict";

let spec = null;
let view = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function pathFromUrl() {
  return new URLSearchParams(window.location.search).get("path") || "";
}

function urlFor(path) {
  return path === "" ? window.location.pathname : "?path=" + path;
}

function extend(path, choice) {
  return path === "" ? String(choice) : path + "." + choice;
}

function truncate(path, depth) {
  return path === "" ? "" : path.split(".").slice(0, depth).join(".");
}

async function go(path, push) {
  const response = await fetch("/api/state?path=" + encodeURIComponent(path));
  const data = await response.json();
  const error = document.getElementById("error");
  if (!response.ok) {
    error.textContent = "This path does not name a run of the spec: " + data.error + ". Back at the initial state.";
    error.hidden = false;
    if (path !== "") await go("", false);
    history.replaceState({ path: "" }, "", urlFor(""));
    return;
  }
  error.hidden = true;
  if (push) history.pushState({ path: path }, "", urlFor(path));
  view = data;
  render();
}

function render() {
  const v = view;
  document.getElementById("where").textContent = "depth " + v.depth + (v.path ? "  ·  path " + v.path : "");
  document.getElementById("back").disabled = v.depth === 0;
  document.getElementById("race-next").hidden = v.next_on_counterexample === null;
  document.getElementById("restart").disabled = v.depth === 0;

  const banner = document.getElementById("banner");
  const failing = v.enabled.filter((t) => t.choice === null);
  if (v.violation) {
    banner.textContent = "Violated: " + v.violation.kind + " " + v.violation.name +
      (v.violation.why ? " (" + v.violation.why + ")" : "") + " after " + v.depth + " steps";
    banner.hidden = false;
  } else if (failing.length) {
    banner.textContent = "Model error: " + failing[0].action + " would fail here: " + failing[0].error +
      " (line " + failing[0].line + ")";
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }

  const enabled = document.getElementById("enabled");
  enabled.replaceChildren();
  for (const t of v.enabled) {
    if (t.choice === null) {
      enabled.append(el("li", { class: "failing" }, t.action + " would fail: " + t.error + " (line " + t.line + ")"));
      continue;
    }
    const onRace = v.next_on_counterexample === t.choice;
    const button = el("button", { class: "take", type: "button", "data-choice": String(t.choice),
                                  title: "line " + t.line },
      el("span", { class: "action" }, t.action),
      el("span", { class: "changes" }, t.changes.join(";  ") || "(changes nothing)"));
    if (t.doc) button.append(el("span", { class: "doc" }, t.doc));
    button.addEventListener("click", () => go(extend(v.path, t.choice), true));
    const li = el("li", onRace ? { class: "on-race" } : {}, button);
    if (onRace) li.append(el("span", { class: "race-mark" }, "the race goes on here"));
    enabled.append(li);
  }
  if (!v.enabled.length) {
    enabled.append(el("li", { class: "none" }, v.final ? "Nothing is enabled: every instance is in a final state."
                                                      : "Nothing is enabled: this state is a deadlock."));
  }

  const props = document.querySelector("#props tbody");
  props.replaceChildren();
  for (const p of v.properties) {
    props.append(el("tr", { "data-prop": p.name },
      el("td", {}, p.kind + " " + p.name),
      el("td", { class: p.status.replace(/ /g, "-") }, p.status),
      el("td", {}, p.why || "")));
  }

  const steps = document.getElementById("steps");
  steps.replaceChildren();
  v.steps.forEach((s, i) => {
    const li = el("li", { "data-step": String(i), class: i === v.depth ? "current" : "" },
      s.action, el("span", { class: "changes" }, s.changes.length ? "  " + s.changes.join("; ") : ""));
    li.addEventListener("click", () => { if (i !== v.depth) go(truncate(v.path, i), true); });
    steps.append(li);
  });

  const state = document.querySelector("#state tbody");
  state.replaceChildren();
  for (const c of v.state) {
    const value = el("td", { class: c.changed ? "changed" : "" });
    if (c.cells) {
      for (const cell of c.cells) {
        value.append(el("span", { class: "cell" + (cell.changed ? " changed" : "") }, cell.key + " ↦ " + cell.value));
      }
    } else {
      value.textContent = c.value;
    }
    state.append(el("tr", { "data-var": c.name }, el("td", {}, c.name), value));
  }

  const chart = document.getElementById("chart");
  const svg = new DOMParser().parseFromString(v.chart, "image/svg+xml").documentElement;
  chart.replaceChildren(document.importNode(svg, true));
}

async function start() {
  const response = await fetch("/api/spec");
  spec = await response.json();
  document.getElementById("spec-name").textContent = spec.name + "  (" + spec.path + ")";
  document.title = "papcheck explore: " + spec.name;
  const race = document.getElementById("race");
  if (spec.counterexample) {
    race.hidden = false;
    race.textContent = "Show me the race (" + (spec.counterexample.kind === "model error" ? "model error"
                                                : spec.counterexample.property) + ")";
    race.addEventListener("click", () => go(spec.counterexample.text, true));
  }
  document.getElementById("race-next").addEventListener("click", () => {
    if (view.next_on_counterexample !== null) go(extend(view.path, view.next_on_counterexample), true);
  });
  document.getElementById("back").addEventListener("click", () => go(truncate(view.path, view.depth - 1), true));
  document.getElementById("restart").addEventListener("click", () => go("", true));
  window.addEventListener("popstate", () => go(pathFromUrl(), false));
  await go(pathFromUrl(), false);
}

start();
