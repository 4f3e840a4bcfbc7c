"""Parallel and distributed search: a level-synchronous, hash-partitioned breadth-first search
(Stern and Dill's parallel Murphi, PReach, TLC's distributed mode) over N owners, and random
walks over N walkers.

``owner`` holds one owner's share of the search (plain Python, testable in one process);
``driver`` runs the levels whatever carries the messages; ``local`` carries them between worker
processes on this machine over pipes (``check --workers N``, ``simulate --workers N``: no
network socket); ``search`` carries them as Ray object references on a cluster the user runs
(``--cluster ADDRESS``), the only module that imports ray, and only when asked to; ``walkers``
runs ``simulate --workers``.  See docs/distributed.md.

May import: ``checker.lang``, ``checker.engine``.
"""
