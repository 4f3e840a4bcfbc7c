"""State-space reductions that plug into the search loop: partial-order reduction and symmetry.

Static read/write footprints of transitions, ample sets with their provisos, and the symmetry
proof and canonicalizer.  Commutation proofs come from :mod:`checker.prover`.

May import: ``checker.lang``, ``checker.engine``, ``checker.prover``.
"""
