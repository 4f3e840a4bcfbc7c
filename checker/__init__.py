"""papcheck: an exhaustive model checker for plan-apply-purge protocols.

The package is a house of layers; each imports only the ones below it (checked in CI by
import-linter, ``[tool.importlinter]`` in pyproject.toml):

    cli                     the command line (the only layer that prints or exits)
    ci                      formats for CI, the gate, spec diffs
    views                   text/JSON/ITF reports, SVG, DOT, HTML
    explain | crosscheck    counterexample explanations and replay | second opinions
    api                     load a spec, check it (the public Python API)
    analysis                recoverability and liveness on the state graph
    reduce                  partial-order and symmetry reduction
    engine | prover         compiled model, stores, the search loop | z3
    lang                    grammar, parser, AST, types, resolution, the interpreter

See README.md, "Architecture".
"""

__version__ = "0.1.0"
