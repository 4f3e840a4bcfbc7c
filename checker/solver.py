"""z3, in one module: proves that two transitions commute where their footprints overlap.

Placeholder until the translation lands: answers "not proven" for every pair, which only costs
reduction, never soundness.
"""

from __future__ import annotations

from typing import Any


class CommutationProver:
    def __init__(self, checked: Any, model: Any):
        self.checked = checked
        self.model = model

    def commute(self, a: int, b: int, clash: list) -> bool:
        return False
