"""The language server (`papcheck lsp`) driven by pygls's own client over pipes: no editor needed.

One server process serves the whole module; each test opens its own document URI.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient

from checker.editor.index import build_index, formatted

ROOT = Path(__file__).resolve().parent.parent
DNS = (ROOT / "specs" / "dynamodb_dns.pap").read_text()
CAS = (ROOT / "specs" / "dynamodb_dns_cas.pap").read_text()


def where(text: str, line_has: str, word: str, nth: int = 0) -> lsp.Position:
    """The position of `word` (its nth occurrence) on the first line containing `line_has`."""
    for i, line in enumerate(text.splitlines()):
        if line_has in line:
            col = -1
            for _ in range(nth + 1):
                col = line.index(word, col + 1)
            return lsp.Position(i, col)
    raise AssertionError(f"no line has {line_has!r}")


class Session:
    """A started server, a client and the diagnostics it has received, per URI."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = BaseLanguageClient("papcheck-test", "1")
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self.events: dict[str, asyncio.Event] = {}
        self.messages: list[str] = []

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = params.diagnostics
            self.events.setdefault(params.uri, asyncio.Event()).set()

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def on_message(params: lsp.ShowMessageParams) -> None:
            self.messages.append(params.message)

        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.run(self.client.start_io(sys.executable, "-m", "checker.cli", "lsp", env=env, cwd=str(ROOT)))
        self.run(self.client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities())))
        self.client.initialized(lsp.InitializedParams())

    def run(self, coro):
        return self.loop.run_until_complete(asyncio.wait_for(coro, 60))

    def diagnostics_after(self, uri: str, send) -> list[lsp.Diagnostic]:
        event = self.events.setdefault(uri, asyncio.Event())
        event.clear()
        send()
        self.run(event.wait())
        return self.diagnostics[uri]

    def open(self, uri: str, text: str) -> list[lsp.Diagnostic]:
        return self.diagnostics_after(uri, lambda: self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri=uri, language_id="pap", version=1, text=text))))

    def replace(self, uri: str, version: int, text: str) -> list[lsp.Diagnostic]:
        return self.diagnostics_after(uri, lambda: self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                                            content_changes=[lsp.TextDocumentContentChangeEvent_Type2(text=text)])))

    def close(self) -> None:
        self.run(self.client.shutdown_async(None))
        self.client.exit(None)
        self.run(self.client.stop())
        self.loop.close()


@pytest.fixture(scope="module")
def session():
    s = Session()
    yield s
    s.close()


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri)


def test_diagnostics_follow_edits(session):
    uri = "file:///ws/edit.pap"
    assert session.open(uri, DNS) == []
    broken = DNS.replace("latest := latest + 1", "latest := lates + 1")
    diags = session.replace(uri, 2, broken)
    assert len(diags) == 1
    d = diags[0]
    assert d.severity == lsp.DiagnosticSeverity.Error and "lates" in d.message
    pos = where(broken, "latest := lates + 1", "lates + 1")
    assert d.range.start == pos and d.range.end == lsp.Position(pos.line, pos.character + 5)
    # a syntax error is located too, and a fixed text clears everything
    diags = session.replace(uri, 3, DNS.replace("on pick when", "on pick wen"))
    assert len(diags) == 1 and diags[0].range.start.line == where(DNS, "on pick when", "on").line
    assert session.replace(uri, 4, DNS) == []
    # `note:` lines travel as related information, pointing into the same document
    unclosed = (ROOT / "tests" / "bad_specs" / "003_missing_close_brace.pap").read_text()
    diags = session.replace(uri, 5, unclosed)
    notes = diags[0].related_information
    assert len(diags) == 1 and [n.message for n in notes] == ["this '{' is not closed"]
    assert notes[0].location.uri == uri and notes[0].location.range.start == lsp.Position(2, 10)
    # a warning `papcheck parse` gives arrives as a warning
    unused = DNS.replace("const PURGE_AGE = 2", "const PURGE_AGE = 2\nvar unused_flag: bool = false")
    diags = session.replace(uri, 6, unused)
    assert [d.severity for d in diags] == [lsp.DiagnosticSeverity.Warning]
    assert diags[0].range.start == where(unused, "var unused_flag", "unused_flag")


def test_hover(session):
    uri = "file:///ws/hover.pap"
    session.open(uri, DNS)

    def hover(pos: lsp.Position) -> str:
        h = session.run(session.client.text_document_hover_async(lsp.HoverParams(doc(uri), pos)))
        assert h is not None
        return h.contents.value

    text = hover(where(DNS, "on publish when latest < PLANS", "PLANS"))
    assert "const PLANS = 6" in text and "constant" in text
    text = hover(where(DNS, "on pick when", "latest", 0))
    assert "var latest: Gen = 1" in text and "newest plan the Planner published" in text
    text = hover(where(DNS, "on pick when", "pick"))
    assert "on pick when latest > applied -> applying" in text
    assert "checks, once, that it is newer" in text
    assert session.run(session.client.text_document_hover_async(
        lsp.HoverParams(doc(uri), lsp.Position(0, 0)))) is None  # the keyword `protocol`


def test_definition_and_references(session):
    uri = "file:///ws/nav.pap"
    session.open(uri, DNS)

    def definition(pos: lsp.Position) -> lsp.Position:
        loc = session.run(session.client.text_document_definition_async(lsp.DefinitionParams(doc(uri), pos)))
        assert isinstance(loc, lsp.Location) and loc.uri == uri
        return loc.range.start

    # a shared variable, a machine variable, a state (from `-> applying`), a type, a property
    assert definition(where(DNS, "purged.add(old)", "purged")) == where(DNS, "var purged:", "purged")
    assert definition(where(DNS, "purged.add(old)", "old", 0)) == where(DNS, "var old:", "old")
    assert definition(where(DNS, "plan := latest; next := 0 } -> applying", "applying")) == \
        where(DNS, "state applying", "applying")
    assert definition(where(DNS, "forall e in Endpoint", "Endpoint")) == where(DNS, "type Endpoint", "Endpoint")
    assert definition(where(DNS, "expect violated", "endpoint_has_ips")) == \
        where(DNS, "invariant endpoint_has_ips", "endpoint_has_ips")
    assert definition(where(DNS, "forall e in", "e] not")) == where(DNS, "forall e in", "e in Endpoint")

    refs = session.run(session.client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc(uri), position=where(DNS, "var purged:", "purged"),
        context=lsp.ReferenceContext(include_declaration=True))))
    lines = sorted(r.range.start.line for r in refs)
    expected = sorted(i for i, line in enumerate(DNS.splitlines())
                      for _ in range(line.split("#")[0].count("purged")))
    assert lines == expected  # every use outside comments, the declaration included
    refs = session.run(session.client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc(uri), position=where(DNS, "var plan:", "plan"),
        context=lsp.ReferenceContext(include_declaration=False))))
    assert len(refs) == 6 and where(DNS, "var plan:", "plan") not in [r.range.start for r in refs]


def test_completion(session):
    uri = "file:///ws/complete.pap"
    session.open(uri, DNS)
    inside = where(DNS, "on purge when", "on")
    items = session.run(session.client.text_document_completion_async(lsp.CompletionParams(doc(uri), inside)))
    labels = {i.label: i for i in items.items}
    for name in ("latest", "purged", "PURGE_AGE", "Gen", "plan", "old", "idle", "endpoint_has_ips",
                 "when", "forall", "len", "max"):
        assert name in labels, name
    assert labels["PURGE_AGE"].kind == lsp.CompletionItemKind.Constant
    assert labels["old"].detail == "var old: Gen = 0"
    # the Planner has no `plan` variable: outside the Enactor its locals are not offered
    items = session.run(session.client.text_document_completion_async(
        lsp.CompletionParams(doc(uri), where(DNS, "on publish when", "on"))))
    names = {i.label for i in items.items}
    assert "latest" in names and "plan" not in names and "running" in names


def test_document_symbols(session):
    uri = "file:///ws/outline.pap"
    session.open(uri, DNS)
    syms = session.run(session.client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(doc(uri))))
    top = [s.name for s in syms]
    assert top == ["ENACTORS", "ENDPOINTS", "PLANS", "PURGE_AGE", "Gen", "Endpoint", "latest", "applied",
                   "purged", "record", "Planner", "Enactor", "endpoint_has_ips", "newer_plan_applied",
                   "cleanup_ran"]
    enactor = syms[top.index("Enactor")]
    assert enactor.kind == lsp.SymbolKind.Class
    assert [c.name for c in enactor.children] == ["plan", "next", "old", "idle", "applying", "purging"]
    applying = enactor.children[4]
    assert [t.name for t in applying.children] == ["apply", "finish"]


def test_formatting(session):
    uri = "file:///ws/fmt.pap"
    messy = ("protocol   P\nconst N=2\nvar x :0..N= 0\n## the machine\nmachine   M {\n state s { on go when x<N "
             "{ x:=x+1 } }\n}\ninvariant small : x<=N\n")
    session.open(uri, messy)
    edits = session.run(session.client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc(uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True))))
    assert len(edits) == 1
    new, _ = formatted(messy)
    assert edits[0].new_text == new and "const N = 2" in new and "## the machine" in new
    assert build_index(new).diagnostics == []
    # plain `#` comments are kept (the same function as `papcheck fmt`)
    uri2 = "file:///ws/fmt2.pap"
    session.open(uri2, DNS)
    edits = session.run(session.client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc(uri2), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True))))
    new2, why = formatted(DNS)
    assert new2 is not None, why
    if new2 == DNS:
        assert edits == []
    else:
        assert len(edits) == 1 and edits[0].new_text == new2
    comments = [ln[ln.index("#"):].rstrip() for ln in DNS.splitlines() if "#" in ln]
    assert comments and all(c in new2 for c in comments)


def test_check_command_reports_the_verdict(session):
    uri = "file:///ws/race.pap"
    session.open(uri, DNS)
    lenses = session.run(session.client.text_document_code_lens_async(lsp.CodeLensParams(doc(uri))))
    assert lenses[0].command.command == "papcheck.check" and lenses[0].command.arguments == [uri]
    event = session.events[uri]
    event.clear()
    out = session.run(session.client.workspace_execute_command_async(
        lsp.ExecuteCommandParams("papcheck.check", [uri])))
    assert out["verdict"] == "violated"
    session.run(event.wait())
    diags = session.diagnostics[uri]
    errors = [d for d in diags if d.severity == lsp.DiagnosticSeverity.Error]
    assert len(errors) == 1
    assert errors[0].range.start == where(DNS, "invariant endpoint_has_ips", "endpoint_has_ips")
    assert "endpoint_has_ips is violated after 12 steps" in errors[0].message
    # an edit drops the verdict, which described the old text
    assert session.replace(uri, 2, DNS + "\n") == []

    uri2 = "file:///ws/cas.pap"
    session.open(uri2, CAS)
    out = session.run(session.client.workspace_execute_command_async(
        lsp.ExecuteCommandParams("papcheck.check", [uri2])))
    assert out["verdict"] == "holds"
    assert any("every property holds" in m for m in out["messages"])


def test_index_diagnostics_are_those_of_the_command_line():
    """Every bad and warning spec of tests/bad_specs and tests/warn_specs: the editor gets the
    same located errors and warnings, in the same order, as the `.expect` files record."""
    import re

    from checker.lang.errors import SpecError
    from checker.lang.parser import read_source

    compared = 0
    for folder in ("bad_specs", "warn_specs"):
        for pap in sorted((ROOT / "tests" / folder).glob("*.pap")):
            rel = f"tests/{folder}/{pap.name}"
            expect = pap.with_suffix(".expect").read_text().splitlines()
            if folder == "bad_specs" and expect[0] != "# exit: 3":
                continue  # usage errors (-D, files): not about the text
            try:
                text = read_source(rel).text
            except SpecError:
                continue  # undecodable bytes: an editor never holds such a text
            got = [f"{rel}:{d.span.line}:{d.span.col}: {d.severity}: {d.message}" if d.span.line > 0
                   else f"{rel}: {d.severity}: {d.message}" for d in build_index(text, rel).diagnostics]
            want = [line for line in expect if line.startswith(rel) and re.search(r": (error|warning): ", line)]
            assert got == want, rel
            compared += 1
    assert compared >= 80


def test_hover_shows_a_computed_constant_value():
    text = ("protocol P\nconst N = 2\nconst M = N * 3 + 1\nvar x: 0..M = 0\n"
            "machine A { state s { on go when x < M { x := x + 1 } } }\n")
    ix = build_index(text)
    hover = ix.hover(5, text.splitlines()[4].index("M {") + 1)
    assert "const M = N * 3 + 1" in hover and "= 7" in hover
