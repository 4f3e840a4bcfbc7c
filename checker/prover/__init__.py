"""The z3 layer: the only place papcheck imports z3 (lazily, so ``papcheck --help`` stays fast).

Translates transitions of a checked spec to z3 terms and answers protocol-level questions, such as
whether two transitions of different instances commute (used by partial-order reduction).

May import: ``checker.lang``.
"""
