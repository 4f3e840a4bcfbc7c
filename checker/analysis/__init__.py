"""Analyses on the whole state graph: recoverability (AG EF) and liveness under fairness.

The only layer that imports networkx, and never inside the search loop: the graph is built by the
engine first, then analysed.

May import: ``checker.lang``, ``checker.engine``, ``checker.reduce``, ``checker.prover``.
"""
