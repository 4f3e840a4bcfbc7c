"""The HTML report in a real headless browser: Debian's chromium driven by Playwright.

Skipped cleanly when chromium or the playwright package is missing (.ci/run installs both).
Never runs `playwright install`: it uses the system's /usr/bin/chromium.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason="chromium is not installed"),
              pytest.mark.slow]  # starting a browser takes seconds


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG (what chromium writes) into rows of raw pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(b"".join(bytes(line[i:i + 3]) for i in range(0, stride, channels)))
        prev = line
    return width, height, rows


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from click.testing import CliRunner

    from checker.cli import main
    root = Path(__file__).resolve().parent.parent
    out = tmp_path_factory.mktemp("html") / "report.html"
    cwd = os.getcwd()
    os.chdir(root)
    try:
        r = CliRunner().invoke(main, ["render", "specs/dynamodb_dns.pap", "--to", "html", "-o", str(out)])
    finally:
        os.chdir(cwd)
    assert r.exit_code == 0, r.output
    return out


def test_report_in_chromium(report):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30000)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                    else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("request", lambda r: problems.append(f"request: {r.url}")
                    if not r.url.startswith(("file:", "data:")) else None)
            page.goto(report.as_uri())
            page.wait_for_selector(".papcheck-sequence .step.current")
            last = page.eval_on_selector("#step-slider", "el => el.max")

            def current() -> str:
                return page.eval_on_selector(".papcheck-sequence .step.current", "el => el.dataset.step")

            assert current() == last
            page.eval_on_selector("#step-slider", "el => { el.value = '3'; el.dispatchEvent(new Event('input')); }")
            assert current() == "3"
            assert page.eval_on_selector("ol.story li.current", "el => el.dataset.step") == "3"
            assert "step 3 /" in page.inner_text("#step-label")
            assert page.locator("#state-table td.changed").count() >= 1  # step 3 changed latest
            page.keyboard.press("ArrowRight")
            assert current() == "4"
            page.click("#prev")
            assert current() == "3"
            line = page.eval_on_selector("pre.src span.line.current", "el => el.dataset.line")
            assert line == page.evaluate("JSON.parse(document.getElementById('papcheck-data').textContent)"
                                         ".steps[3].line.toString()")
            # the top of the page: verdict, result table, the start of the chart (small, to decode fast)
            shot = page.screenshot(timeout=20000, clip={"x": 0, "y": 0, "width": 640, "height": 480})
            assert problems == []
        finally:
            browser.close()
    width, height, rows = png_pixels(shot)
    assert (width, height) == (640, 480)
    pixels = [row[i:i + 3] for row in rows for i in range(0, len(row), 3)]
    colours = set(pixels)
    white = pixels.count(b"\xff\xff\xff")
    total = len(pixels)
    assert len(colours) > 20, "the screenshot looks blank"
    assert white < 0.97 * total
