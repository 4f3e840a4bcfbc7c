"""Proofs for every size, as a user runs them: `papcheck prove` (inductive invariants, counterexamples
to induction classified by explicit search) and `papcheck synth` (which constants are safe).

The z3 work is in :mod:`checker.prover`; this layer orchestrates it with explicit search
(:mod:`checker.api`) and renders the results in `check`'s style.

May import: ``checker.views``, ``checker.prover``, ``checker.api`` and everything below.
"""
