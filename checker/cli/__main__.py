"""`python -m checker.cli`: the same as the `papcheck` command."""

from . import main

main()
