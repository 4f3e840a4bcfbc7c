"""The language: spec text to a checked, typed spec.

Grammar (``grammar/papcheck.lark``), parser (the only module that imports lark), AST with source
spans, types, name resolution and type checking, the constant/value interpreter, the pretty
printer, and the diagnostics every layer reports errors with.

May import: nothing else of papcheck (this is the ground floor).
"""
