"""Editor support: the symbol index of a spec, the language server and the Pygments lexer.

:mod:`.index` answers an editor's questions about one spec text (where is this name defined and
used, what is its type and doc, what is in scope here) from the parser and resolver alone;
:mod:`.server` is the language server (`papcheck lsp`) and the only module that imports pygls;
:mod:`.lexer` is the Pygments lexer (registered as the `pap` lexer), which imports neither.
May import the language layer (errors, ast, parser, resolve, pretty) and the api.
"""
