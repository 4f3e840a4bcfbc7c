"""The search engine: a checked spec compiled to a model, explored state by state.

The model interface (``model``), the packed state layout, the compiler from a checked spec to
Python successor functions, the state stores (exact and fingerprint), the one search loop (BFS or
DFS, with limits), and traces rebuilt from the stored parents.  The engine knows nothing of the
reductions: they plug into the search loop as an ``expand`` function.

May import: ``checker.lang``.
"""
