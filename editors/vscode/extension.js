// The papcheck extension: starts `papcheck lsp` (stdio) for .pap files.  Highlighting comes from
// syntaxes/pap.tmLanguage.json; everything else (diagnostics, hover, definitions, references,
// completion, outline, formatting, the "check this spec" code lens) from the language server.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("papcheck").get("command", ["papcheck", "lsp"]);
  const serverOptions = { command: command[0], args: command.slice(1), transport: TransportKind.stdio };
  const clientOptions = { documentSelector: [{ scheme: "file", language: "pap" }, { scheme: "untitled", language: "pap" }] };
  client = new LanguageClient("papcheck", "papcheck", serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
