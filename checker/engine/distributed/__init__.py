"""Exhaustive search on Ray: a level-synchronous, hash-partitioned breadth-first search
(Stern and Dill's parallel Murphi, PReach, TLC's distributed mode) over N owner processes.

The only package that imports ray, and only when a distributed search is asked for
(``check --workers N`` or ``--cluster ADDRESS``); nothing else changes when it is not.
``owner`` holds the per-owner search (plain Python, testable without Ray); ``search`` runs the
levels from the driver.

May import: ``checker.lang``, ``checker.engine``.
"""
