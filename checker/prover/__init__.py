"""The z3 layer, the only place papcheck imports z3: commutation proofs for the reductions, and
inductive invariants with symbolic constants for proofs over every size.

* :mod:`.translate` turns a checked spec into z3 terms with the constants symbolic (a machine's
  instances are the symbolic range 0..N-1, ranges have symbolic bounds, sets are arrays to Bool,
  maps arrays, records z3 tuples);
* :mod:`.induction` builds and discharges the obligations (initiation, consecution per
  (transition, invariant), no model error per transition) and extracts minimized CTIs;
* :mod:`.infer` finds helper invariants (templates filtered by an explicit search the caller gives,
  then Houdini);
* :mod:`.commute` proves that two transitions of different instances commute (for partial-order
  reduction).

The orchestration that needs explicit search (classifying CTIs, `prove`, `synth`) is in
:mod:`checker.proofs`, above the api.

z3 is imported lazily inside these modules, so importing :mod:`checker.prover` stays cheap.

May import: ``checker.lang``.
"""
