"""The Pygments lexer for `.pap` specs, registered as the `pap` lexer (`pygmentize -l pap`).

Imports only pygments, so documentation builds (Sphinx, MkDocs) highlight spec blocks without
the checker's dependencies.  The keyword lists follow checker/lang/grammar/papcheck.lark.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

DECLARATIONS = ("protocol", "const", "type", "var", "machine", "state", "on", "expect")
PROPERTY_KINDS = ("invariant", "reachable", "recoverable", "eventually", "always_eventually", "leads_to",
                  "deadlock_free")
MODIFIERS = ("symmetric", "fair", "init", "final")
STATEMENTS = ("when", "if", "elif", "else", "then", "choose", "for", "where", "send", "to", "recv", "from",
              "assert", "skip", "forall", "exists", "in", "at", "holds", "violated")
WORD_OPERATORS = ("and", "or", "not", "union", "intersect", "minus")
TYPES = ("bool", "set", "map", "enum", "record", "chan")
CONSTANTS = ("true", "false", "self")
BUILTINS = ("min", "max", "len", "abs")
KEYWORDS = DECLARATIONS + PROPERTY_KINDS + MODIFIERS + STATEMENTS + WORD_OPERATORS + TYPES + CONSTANTS


class PapLexer(RegexLexer):
    """Lexer for papcheck protocol specs."""

    name = "papcheck"
    aliases = ["pap", "papcheck"]
    filenames = ["*.pap"]
    mimetypes = ["text/x-papcheck"]
    url = "https://github.com/papcheck/papcheck"

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"##[^\n]*", String.Doc),
            (r"#[^\n]*", Comment.Single),
            (r"(protocol|machine|state|on|type|const|var)(\s+)([A-Za-z_]\w*)",
             bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (words(PROPERTY_KINDS, suffix=r"\b"), Keyword.Declaration),
            (r"(->)(\s*)([A-Za-z_]\w*)", bygroups(Operator, Whitespace, Name.Label)),
            (words(("expect",), suffix=r"\b"), Keyword.Declaration),
            (words(MODIFIERS, suffix=r"\b"), Keyword.Reserved),
            (words(WORD_OPERATORS, suffix=r"\b"), Operator.Word),
            (words(TYPES, suffix=r"\b"), Keyword.Type),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(STATEMENTS, suffix=r"\b"), Keyword),
            (r"(?<=\bin\s)any\b", Keyword),  # `var x: T in any`: a keyword there only, a name elsewhere
            (words(BUILTINS, suffix=r"\b"), Name.Builtin),
            (r"[A-Za-z_]\w*", Name),
            (r"[0-9]+", Number.Integer),
            (r":=|==|!=|<=|>=|=>|~>|\.\.|[-+*/%<>=?]", Operator),  # `?`: an optional id type, `W?`
            (r"[{}()\[\],;:.]", Punctuation),
            (r".", Text),
        ],
    }
