"""The z3 layer for proofs over every size: inductive invariants with symbolic constants.

* :mod:`.translate` turns a checked spec into z3 terms with the constants symbolic (a machine's
  instances are the symbolic range 0..N-1, ranges have symbolic bounds, sets are arrays to Bool,
  maps arrays, records z3 tuples);
* :mod:`.induction` builds and discharges the obligations (initiation, consecution per
  (transition, invariant), no model error per transition) and extracts minimized CTIs;
* :mod:`.classify` judges a CTI by explicit search at its constants (through :mod:`checker.api`);
* :mod:`.synth` checks a grid of constants and fits the boundary between safe and violated;
* :mod:`.infer` finds helper invariants (templates filtered by explicit search, then Houdini).

z3 is imported lazily inside these modules, so importing :mod:`checker.prover` stays cheap.
"""
