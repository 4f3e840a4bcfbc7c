"""papcheck: an exhaustive model checker for plan-apply-purge protocols.

Pipeline (each module imports only those before it):
errors -> ast -> parser -> types -> resolve -> evaluate -> layout -> compile -> model/store ->
explore -> trace -> api -> report/pretty -> cli.  See README.md, "Architecture".
"""

__version__ = "0.1.0"
