"""The native search engine: the checked spec compiled to C, the breadth-first search and its
store run in a shared object, Python keeping the orchestration.

``cgen`` generates C from a checked spec with the Python engine's packed layout (the same
successor order, guards, statements and model-error sites); ``build`` compiles it with the
system C compiler into a shared object cached by a digest of the source and the compiler;
``search`` drives it through ctypes in chunks (so limits, progress and Ctrl-C stay in Python)
and answers the :func:`checker.engine.explore.explore` contract.  Counterexamples and model
errors are rebuilt by the Python model, which stays the oracle.

May import: ``checker.lang`` and ``checker.engine``.
"""

from .cgen import Unsupported, generate
from .search import NativeUnavailable, native_explore, native_program, por_candidates

__all__ = ["NativeUnavailable", "Unsupported", "generate", "native_explore", "native_program", "por_candidates"]
