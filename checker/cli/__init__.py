"""The command line: the `papcheck` command and the GitHub Action's script (``action``).
The only layer that prints or exits.

May import: every other layer.

Exit codes (TLC-style, so CI never has to grep): 0 every property holds, 1 a property is violated
or a model error was found, 2 usage error, 3 the spec has errors, 4 incomplete (a limit was
reached or the run was interrupted), 70 internal error (a bug in papcheck: please report it).
"""

from . import check, diff, export, fmt, long_runs, parse, prove, replay, see, servers  # noqa: F401  (each registers its commands)
from .main import main, parse_define

__all__ = ["main", "parse_define"]
