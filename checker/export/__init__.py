"""Translators from a checked spec to other model checkers' languages: Promela (SPIN), Murphi
(Rumur) and TLA+ (TLC, Apalache), so a second, independent engine can check the same protocol.

It never prints and never runs the peers (:mod:`checker.crosscheck` does).  A construct a target
cannot express faithfully raises :class:`ExportError`, a located spec error.

May import: ``checker.lang``.
"""

from __future__ import annotations

from .common import ExportError

TARGETS = ("promela", "murphi", "tla")


def export(checked, target: str, *, safety_only: bool = False) -> dict[str, str]:
    """The files of the translation: {suffix: text} (".pml"; ".m"; ".tla" and ".cfg")."""
    if target == "promela":
        from .promela import to_promela
        return {".pml": to_promela(checked, safety_only=safety_only)}
    if target == "murphi":
        from .murphi import to_murphi
        return {".m": to_murphi(checked, safety_only=safety_only)}
    if target == "tla":
        from .tla import to_tla
        return to_tla(checked, safety_only=safety_only)
    raise ValueError(f"unknown export target {target!r}")


__all__ = ["TARGETS", "ExportError", "export"]
