"""What a person reads: text, JSON and ITF reports, SVG sequence charts, DOT graphs, HTML reports.

Views render results; they compute nothing a check depends on.

May import: ``checker.explain``, ``checker.crosscheck``, ``checker.api`` and everything below.
"""
