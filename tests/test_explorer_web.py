"""`papcheck explore`: the explorer's paths and views, its server over HTTP, the CLI's start and
stop, and the page in Debian's headless chromium through Playwright (as tests/test_html_browser.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from checker import api
from checker.web.explorer import Explorer, PathError, parse_path
from checker.web.server import ExplorerServer

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

# The incident, told as the clicks a workshop participant makes: an Enactor picks plan 2 and is
# delayed; the Planner publishes 3, 4, 5; a second Enactor applies 5 to endpoint 0, the delayed
# one overwrites it with 2, the second finishes and its clean-up purges plans 1 and 2.
INCIDENT = ["Planner publish", "Enactor[0] pick", "Planner publish", "Planner publish", "Planner publish",
            "Enactor[1] pick", "Enactor[1] apply", "Enactor[0] apply", "Enactor[1] apply", "Enactor[1] finish",
            "Enactor[1] purge", "Enactor[1] purge"]


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return Explorer(api.load(str(ROOT / "specs" / "dynamodb_dns.pap")))


@pytest.fixture(scope="module")
def server(explorer):
    srv = ExplorerServer(explorer, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(10)


def choices_for(explorer: Explorer, actions: list[str]) -> list[int]:
    path: list[int] = []
    for a in actions:
        enabled = explorer.view(path)["enabled"]
        path.append(next(t["choice"] for t in enabled if t["action"] == a))
    return path


def test_paths_replay_and_views(explorer):
    assert parse_path("") == [] and parse_path("3.0.12") == [3, 0, 12]
    for bad in ("1..2", "a", "1.-2", "1;2", "9" * 7):
        with pytest.raises(PathError):
            parse_path(bad)
    with pytest.raises(PathError, match="step 1: there is no enabled transition number 5"):
        explorer.view([5])
    start = explorer.view([])
    assert [t["action"] for t in start["enabled"]] == ["Planner publish"]  # nothing else at first
    assert all(p["status"] in ("holds", "not here") for p in start["properties"])
    path = choices_for(explorer, INCIDENT)
    before = explorer.view(path[:-1])
    assert before["violation"] is None
    end = explorer.view(path)
    assert end["violation"]["name"] == "endpoint_has_ips"
    assert end["violation"]["why"] == "for e = 0: record[0] = 2, purged = {1, 2}"
    assert {c["name"] for c in end["state"] if c["changed"]} == {"purged", "Enactor[1].old"}
    record = next(c for c in end["state"] if c["name"] == "record")
    assert [c["value"] for c in record["cells"]] == ["2", "5"]
    assert 'id="step-12" data-step="12"' in end["chart"]
    # the checker's counterexample is the same run (the shortest one)
    assert explorer.counterexample()["path"] == path
    assert explorer.view(path[:4])["next_on_counterexample"] == path[4]
    # the views are deterministic: same path, same bytes
    assert json.dumps(explorer.view(path), sort_keys=True) == json.dumps(explorer.view(path), sort_keys=True)


def test_a_model_error_is_a_counterexample_too():
    text = ("protocol Over\nvar x: 0..2 = 0\nmachine M { state s { on inc { x := x + 1 } } }\n"
            "invariant fine: x >= 0\n")
    ex = Explorer(api.load_text(text, "over.pap"))
    cex = ex.counterexample()
    assert cex["kind"] == "model error" and cex["path"] == [0, 0]
    end = ex.view(cex["path"])
    assert end["violation"] is None
    assert end["enabled"] == [{"choice": None, "error": "value 3 is outside the type of x (0..2)",
                               "action": "M inc", "line": 3}]
    assert Explorer(api.load_text(text, "over.pap"), show_race=False).counterexample() is None


def test_a_recoverable_counterexample_ends_at_its_trap_state():
    ex = Explorer(api.load(str(ROOT / "specs" / "dynamodb_dns_recovery.pap")))
    cex = ex.counterexample()
    assert cex["kind"] == "recoverable" and cex["property"] == "healthy"
    end = ex.view(cex["path"])
    assert end["violation"]["name"] == "healthy" and "no continuation reaches" in end["violation"]["why"]
    assert ex.view(cex["path"][:-1])["violation"] is None
    assert next(p for p in ex.view([])["properties"] if p["name"] == "healthy")["status"] == "about whole runs"


def get(server, url: str, method: str = "GET") -> tuple[int, bytes, dict]:
    req = urllib.request.Request(server.url.rstrip("/") + url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_server_serves_only_the_spec(server):
    assert server.server_address[0] == "127.0.0.1"
    status, body, headers = get(server, "/")
    assert status == 200 and b"papcheck explore" in body and "default-src 'self'" in headers["Content-Security-Policy"]
    status, body, _ = get(server, "/api/spec")
    assert status == 200 and json.loads(body)["name"] == "DynamoDbDns"
    assert get(server, "/api/state?path=0.1")[0] == 200
    status, body, _ = get(server, "/api/state?path=0.7")
    assert status == 400 and "no enabled transition number 7" in json.loads(body)["error"]
    assert get(server, "/api/state?path=__import__('os')")[0] == 400
    for url in ("/../specs/dynamodb_dns.pap", "/specs/dynamodb_dns.pap", "/static/app.js", "/etc/passwd"):
        assert get(server, url)[0] == 404, url
    assert get(server, "/api/state", method="POST")[0] == 501
    assert get(server, "/api/state", method="PUT")[0] == 501


def _start_cli(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", "explore", "specs/dynamodb_dns.pap", "--port", "0",
                             *args], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    while True:
        line = proc.stderr.readline()
        assert line, "".join(lines)
        lines.append(line)
        if "serving" in line:
            return proc, "".join(lines)


def test_cli_stops_cleanly_on_ctrl_c():
    proc, out = _start_cli()
    try:
        assert "endpoint_has_ips is violated after 12 steps" in out and "http://127.0.0.1:" in out
        assert "warning" not in out
        url = out.split("at ", 1)[1].split()[0]
        with urllib.request.urlopen(url + "api/spec", timeout=30) as r:
            assert r.status == 200
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert rest.strip() == "papcheck explore: stopped"  # no traceback


def test_cli_warns_about_another_host():
    proc, out = _start_cli("--host", "0.0.0.0")
    try:
        assert "warning: listening on 0.0.0.0" in out
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason="chromium is not installed")
def test_find_the_race_by_hand_in_chromium(server, explorer):
    sync_api = pytest.importorskip("playwright.sync_api")
    base = server.url
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30000)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                    else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("request", lambda r: problems.append(f"request: {r.url}")
                    if not r.url.startswith(base) else None)
            page.goto(base)
            page.wait_for_selector("#enabled button.take")
            assert page.is_hidden("#banner")
            assert page.inner_text("#where") == "depth 0"

            def at_depth(pg, depth: int) -> None:  # the page's CSP forbids eval, so no wait_for_function
                sync_api.expect(pg.locator("#where")).to_have_text(re.compile(rf"^depth {depth}( |$)"))

            def take(action: str, depth: int) -> None:
                page.locator("#enabled button.take", has=page.locator(".action", has_text=action)).first.click()
                at_depth(page, depth)

            for depth, action in enumerate(INCIDENT[:-1], start=1):
                take(action, depth)
                assert page.is_hidden("#banner"), action
            # the step just taken is in the list and the chart; the changed cell is marked
            assert page.locator("#steps li").count() == len(INCIDENT)
            assert page.locator("#chart svg g.step").count() == len(INCIDENT) - 1
            take(INCIDENT[-1], len(INCIDENT))
            page.wait_for_selector("#banner:not([hidden])")
            banner = page.inner_text("#banner")
            assert "endpoint_has_ips" in banner and "purged = {1, 2}" in banner
            assert page.inner_text("#state tr[data-var='purged'] td.changed") == "{1, 2}"
            assert page.inner_text("#props tr[data-prop='endpoint_has_ips'] td.violated") == "violated"
            path = choices_for(explorer, INCIDENT)
            shared = f"{base}?path=" + ".".join(map(str, path))
            assert page.url == shared

            page.go_back()
            at_depth(page, len(INCIDENT) - 1)
            assert page.is_hidden("#banner")
            page.go_forward()
            page.wait_for_selector("#banner:not([hidden])")
            page.click("#back")  # the page's own undo
            at_depth(page, len(INCIDENT) - 1)
            page.locator("#steps li[data-step='2']").click()  # back to an earlier step of the path
            at_depth(page, 2)
            assert page.url == f"{base}?path=" + ".".join(map(str, path[:2]))

            # a shared URL reloads to the same state, in a fresh page
            other = browser.new_page(viewport={"width": 1400, "height": 1000})
            other.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                     else None)
            other.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            other.goto(shared)
            other.wait_for_selector("#banner:not([hidden])")
            assert other.locator("#steps li").count() == len(INCIDENT) + 1
            other.reload()
            other.wait_for_selector("#banner:not([hidden])")

            # "show me the race" jumps onto the checker's counterexample
            page.goto(base)
            page.wait_for_selector("#race:not([hidden])")
            page.click("#race")
            page.wait_for_selector("#banner:not([hidden])")
            assert page.url == shared
            page.click("#restart")
            at_depth(page, 0)
            assert page.locator("#enabled li.on-race").count() == 1
            for depth in range(1, len(INCIDENT) + 1):  # step along the race
                assert page.is_hidden("#banner")
                page.click("#race-next")
                at_depth(page, depth)
            page.wait_for_selector("#banner:not([hidden])")
            assert page.is_hidden("#race-next") and page.url == shared
            assert problems == []
        finally:
            browser.close()


def test_workshop_exercise_answer_reaches_the_banner():
    """The answer key in FACILITATOR.md, clicked through lesson 3 without the race shown (as
    participants run it), ends at the violation and not before; the variant the notes mention
    (the stale write after the purges) is the same race; the state count quoted is right."""
    workshop = ROOT / "examples" / "workshop"
    notes = (workshop / "FACILITATOR.md").read_text()
    answer = notes.split("<!-- solution -->", 1)[1].split("<!-- /solution -->", 1)[0]
    clicks = re.findall(r"`([^`]+)`", answer)
    assert len(clicks) == 12
    ex = Explorer(api.load(str(workshop / "03_purge" / "spec.pap")), show_race=False)
    assert ex.summary()["counterexample"] is None and ex.view([])["next_on_counterexample"] is None
    path = choices_for(ex, clicks)
    assert all(ex.view(path[:k])["violation"] is None for k in range(len(path)))
    assert ex.view(path)["violation"]["name"] == "endpoint_has_ips"
    late = [c for c in clicks if c != "Enactor[0] apply"] + ["Enactor[0] apply"]
    assert ex.view(choices_for(ex, late))["violation"]["name"] == "endpoint_has_ips"
    exercise = (workshop / "find_the_race.md").read_text()
    assert "papcheck explore 03_purge/spec.pap --no-race" in exercise
    model = ex.model
    seen = set(model.initial_states())
    frontier = list(seen)
    while frontier:
        frontier = [t for s in frontier for _, t in model.tolerant_successors(s)[0] if not (t in seen or seen.add(t))]
    assert f"{len(seen):,}".replace(",", " ") in exercise  # "8 810 reachable states"


def test_layering_editor_and_web_never_print_and_pygls_stays_in_the_server():
    checker = ROOT / "checker"
    for mod in sorted((checker / "editor").glob("*.py")) + sorted((checker / "web").glob("*.py")):
        src = mod.read_text()
        assert "import click" not in src and "from ..cli" not in src, mod
        assert not re.search(r"\bprint\(", src) and "sys.exit" not in src, mod
    for mod in checker.rglob("*.py"):
        if mod != checker / "editor" / "server.py":
            assert not re.search(r"^\s*(from|import) (pygls|lsprotocol)", mod.read_text(), re.M), mod
    lexer = (checker / "editor" / "lexer.py").read_text()
    assert re.findall(r"^(?:from|import) (\S+)", lexer, re.M) == ["__future__", "pygments.lexer", "pygments.token"]


def test_cli_port_in_use_is_a_usage_error():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "checker.cli", "explore", "specs/dynamodb_dns.pap", "--no-race",
                            "--port", str(port)], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith(f"papcheck: error: cannot listen on 127.0.0.1:{port}:") and "Traceback" not in r.stderr
