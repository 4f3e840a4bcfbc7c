"""The language server, `papcheck lsp`: the only module that imports pygls.

Speaks LSP over stdio.  Every open or changed document is parsed and checked (the same errors and
warnings as `papcheck parse`, with their ranges); hover, go to definition, find references,
completion, document symbols and formatting are answered from :mod:`.index`.  The command
``papcheck.check`` (also offered as a code lens on the first line) runs a bounded check and
publishes the verdict as diagnostics, on the violated property's name; they are dropped at the
next edit, since they describe the text that was checked.

LSP positions count lines and characters from 0; the checker's from 1.  Columns are treated as
characters (the specs papcheck reads are ASCII in practice; a non-ASCII line may be off by the
difference between code points and UTF-16 units).
"""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.server import LanguageServer

from .. import __version__
from ..lang.errors import Diagnostic, SourceFile, Span
from .index import BUILTINS, SpecIndex, Symbol, build_index, formatted
from .verdict import Finding, check_text

CHECK_COMMAND = "papcheck.check"
_SYMBOL_KINDS = {"protocol": lsp.SymbolKind.Module, "constant": lsp.SymbolKind.Constant,
                 "type": lsp.SymbolKind.TypeParameter, "enum member": lsp.SymbolKind.EnumMember,
                 "variable": lsp.SymbolKind.Variable, "machine": lsp.SymbolKind.Class,
                 "state": lsp.SymbolKind.Namespace, "transition": lsp.SymbolKind.Method,
                 "parameter": lsp.SymbolKind.Variable, "property": lsp.SymbolKind.Boolean}
_COMPLETION_KINDS = {"protocol": lsp.CompletionItemKind.Module, "constant": lsp.CompletionItemKind.Constant,
                     "type": lsp.CompletionItemKind.TypeParameter,
                     "enum member": lsp.CompletionItemKind.EnumMember,
                     "variable": lsp.CompletionItemKind.Variable, "machine": lsp.CompletionItemKind.Class,
                     "state": lsp.CompletionItemKind.Enum, "transition": lsp.CompletionItemKind.Method,
                     "parameter": lsp.CompletionItemKind.Variable, "property": lsp.CompletionItemKind.Property}
_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning,
             "information": lsp.DiagnosticSeverity.Information}


class PapServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("papcheck", __version__)
        self.indexes: dict[str, SpecIndex] = {}
        self.verdicts: dict[str, list[Finding]] = {}

    def index(self, uri: str) -> SpecIndex:
        doc = self.workspace.get_text_document(uri)
        ix = self.indexes.get(uri)
        if ix is None or ix.source.text != doc.source:
            path = _display_path(uri)
            try:
                ix = build_index(doc.source, path)
            except Exception as e:  # a bug in papcheck: say so in the editor, keep serving
                source = SourceFile(path, doc.source)
                diag = Diagnostic("error", Span.point(1, 1), f"internal error in papcheck ({type(e).__name__}: {e}); "
                                                             "please report it")
                ix = SpecIndex(source, {}, [], [], [diag])
            self.indexes[uri] = ix
        return ix

    def publish(self, uri: str) -> None:
        ix = self.index(uri)
        diags = [_diagnostic(d, uri) for d in ix.diagnostics]
        diags += [lsp.Diagnostic(_range(f.span), f.message, severity=_SEVERITY[f.severity], source="papcheck check")
                  for f in self.verdicts.get(uri, [])]
        self.publish_diagnostics(uri, diags)


def _display_path(uri: str) -> str:
    from urllib.parse import unquote, urlparse
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def _range(span: Span) -> lsp.Range:
    if span.line <= 0:
        return lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    end_line = span.end_line if span.end_line >= span.line else span.line
    end_col = span.end_col if span.end_col > 0 else span.col + 1
    return lsp.Range(lsp.Position(span.line - 1, span.col - 1), lsp.Position(end_line - 1, end_col - 1))


def _diagnostic(d: Diagnostic, uri: str) -> lsp.Diagnostic:
    related = [lsp.DiagnosticRelatedInformation(lsp.Location(uri, _range(n.span)), n.message)
               for n in d.notes if n.span.line > 0]
    return lsp.Diagnostic(_range(d.span), d.message, severity=_SEVERITY[d.severity], source="papcheck",
                          related_information=related or None)


def _symbol(ls: PapServer, uri: str, pos: lsp.Position) -> tuple[SpecIndex, Symbol | None]:
    ix = ls.index(uri)
    return ix, ix.symbol_at(pos.line + 1, pos.character + 1)


def _document_symbol(item) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(name=item.name, kind=_SYMBOL_KINDS.get(item.kind, lsp.SymbolKind.Variable),
                              range=_range(item.span), selection_range=_range(item.selection),
                              detail=item.detail or None,
                              children=[_document_symbol(c) for c in item.children] or None)


def make_server() -> PapServer:
    server = PapServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PapServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.verdicts.pop(params.text_document.uri, None)
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PapServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.verdicts.pop(params.text_document.uri, None)
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PapServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.indexes.pop(uri, None)
        ls.verdicts.pop(uri, None)
        ls.publish_diagnostics(uri, [])

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: PapServer, params: lsp.HoverParams) -> lsp.Hover | None:
        ix, sym = _symbol(ls, params.text_document.uri, params.position)
        if sym is None:
            return None
        text = ix.hover(params.position.line + 1, params.position.character + 1) or ""
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: PapServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        _, sym = _symbol(ls, params.text_document.uri, params.position)
        return lsp.Location(params.text_document.uri, _range(sym.span)) if sym else None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: PapServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
        ix, sym = _symbol(ls, params.text_document.uri, params.position)
        if sym is None:
            return None
        return [lsp.Location(params.text_document.uri, _range(s))
                for s in ix.references(sym, params.context.include_declaration)]

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION)
    def completion(ls: PapServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        ix = ls.index(params.text_document.uri)
        items = []
        for c in ix.completions(params.position.line + 1, params.position.character + 1):
            if isinstance(c, str):
                kind = lsp.CompletionItemKind.Function if c in BUILTINS else lsp.CompletionItemKind.Keyword
                items.append(lsp.CompletionItem(c, kind=kind))
            else:
                items.append(lsp.CompletionItem(c.name, kind=_COMPLETION_KINDS.get(c.kind), detail=c.detail,
                                                documentation=c.doc or None))
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: PapServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        return [_document_symbol(item) for item in ls.index(params.text_document.uri).outline]

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: PapServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        doc = ls.workspace.get_text_document(params.text_document.uri)
        new, why = formatted(doc.source, _display_path(params.text_document.uri))
        if new is None:
            ls.show_message(f"papcheck: {why}", lsp.MessageType.Warning)
            return None
        if new == doc.source:
            return []
        lines = doc.source.split("\n")
        end = lsp.Position(len(lines) - 1, len(lines[-1]))
        return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), new)]

    @server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
    def code_lens(ls: PapServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
        uri = params.text_document.uri
        ix = ls.index(uri)
        line = (ix.spec.span.line - 1) if ix.spec is not None and ix.spec.span.line else 0
        return [lsp.CodeLens(lsp.Range(lsp.Position(line, 0), lsp.Position(line, 0)),
                             lsp.Command("papcheck: check this spec", CHECK_COMMAND, [uri]))]

    @server.command(CHECK_COMMAND)
    def check(ls: PapServer, args: list) -> dict:
        """Arguments: the document's URI.  Returns the verdict and publishes it as diagnostics."""
        uri = args[0] if args and isinstance(args[0], str) else None
        if uri is None:
            return {"verdict": "error", "message": "papcheck.check takes the document's URI"}
        doc = ls.workspace.get_text_document(uri)
        verdict, findings = check_text(doc.source, _display_path(uri))
        ls.verdicts[uri] = findings
        ls.publish(uri)
        return {"verdict": verdict, "messages": [f.message for f in findings]}

    return server


def serve_stdio() -> None:
    make_server().start_io()
