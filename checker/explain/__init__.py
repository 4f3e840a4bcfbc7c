"""Making sense of a counterexample: the deciding race, fewer context switches, a plain-English
narration, and step-by-step replay of a trace.

May import: ``checker.api`` and everything below it.
"""
