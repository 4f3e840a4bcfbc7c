"""Second opinions on a verdict: the self-check (every reduction against the unreduced search).

May import: ``checker.api`` and everything below it.
"""
