"""Papcheck in continuous integration: SARIF/JUnit/GitHub/Markdown formats, the gate over many specs
with expectations and configuration, diffs between spec versions, and the GitHub Action's logic.

May import: ``checker.views`` and everything below it.
"""
