"""Second opinions on a verdict: the self-check (every reduction against the unreduced search), and
the cross-check (the user's own spec exported to SPIN or Rumur, run as subprocesses in temporary
directories, their verdicts, state counts and shortest counterexamples compared with papcheck's).

May import: ``checker.api``, ``checker.export`` and everything below them.
"""
