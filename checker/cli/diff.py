"""`papcheck diff`: two versions of a spec checked and compared.
"""

from __future__ import annotations

import os
import sys

import click

from ..lang.errors import SpecError, UsageError
from .main import (
    _SECONDS,
    _config,
    _defines,
    _reports,
    _write,
    main,
)

DIFF_EXAMPLES = """
\b
Examples:
  papcheck diff old/dynamodb_dns.pap specs/dynamodb_dns.pap
  papcheck diff --git origin/main specs/dynamodb_dns_cas.pap
  papcheck diff --git HEAD~1 specs/reference_dns.pap -D ENACTORS=2 --format markdown

\b
Exit codes: 0 no regression, 1 a property regressed (held -> violated,
            witnessed -> never reached, or a new model error), 2 usage error,
            3 the new version has spec errors, 4 incomplete (a limit was reached).
"""



@main.command(epilog=DIFF_EXAMPLES)
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--git", "git_rev", metavar="REV", help="Compare PATH with its version at git revision REV.")
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE",
              help="Override a constant in both versions (repeatable).")
@click.option("--strategy", type=click.Choice(["bfs", "dfs"]), default=None, help="Search strategy (default bfs).")
@click.option("--max-states", type=click.IntRange(min=1), help="Stop (incomplete) after this many states.")
@click.option("--max-depth", type=click.IntRange(min=0), help="Do not explore beyond this depth (incomplete).")
@click.option("--timeout", type=_SECONDS, metavar="SECONDS",
              help="Stop each version's check (incomplete) after this many seconds.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the comparison here instead of standard output.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=PATH",
              help="Also write the comparison in FORMAT (text, markdown, json) to PATH (repeatable).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Read this config file instead of the nearest papcheck.toml or pyproject.toml.")
def diff(paths: tuple[str, ...], git_rev: str | None, defines: tuple[str, ...], strategy: str | None,
         max_states: int | None, max_depth: int | None, timeout: float | None, fmt: str, output: str | None,
         reports: tuple[str, ...], config_path: str | None) -> None:
    """Compare two versions of a spec: BASE HEAD, or --git REV PATH.

    Both are checked with the same constants and limits (flags, else the config's `define` and
    limits; a matrix is not expanded).  Shows the properties that newly fail, with the new shortest
    counterexample, or newly hold, witnesses gained or lost, the change in reachable states and
    transitions, and the constants and transitions added, removed or changed.
    """
    from ..ci import diff as specdiff
    from ..ci import gate
    from ..lang.parser import read_source

    if git_rev is not None and len(paths) != 1:
        raise UsageError("diff --git REV takes one spec path (compared with its version at REV)")
    if git_rev is None and len(paths) != 2:
        raise UsageError("diff takes two spec files, BASE and HEAD (or --git REV PATH)")
    config = _config(config_path)
    flags = gate.Settings(None, strategy, max_states, max_depth, timeout)
    targets = _reports(reports, ("text", "markdown", "json"))
    head_path = paths[-1]
    if not os.path.isfile(head_path):
        raise UsageError(f"{head_path}: no such file")
    define, _, settings = gate.spec_settings(head_path, config, flags)  # a matrix is not expanded
    cli_defines = _defines(defines)
    options = gate.Run(head_path, {}, {}, settings).check_options()
    if git_rev is not None:
        label = f"{head_path}@{git_rev}"
        base = specdiff.git_source(git_rev, head_path)
    else:
        label = paths[0]
        try:
            base = read_source(paths[0])
        except SpecError as e:  # unreadable content: the base has errors, as for --git
            base = e
    d = specdiff.diff_files(base, label, head_path, {**define, **cli_defines}, options, strict=set(cli_defines))
    render = {"text": specdiff.render_text, "markdown": specdiff.render_markdown, "json": specdiff.render_json}
    _write(output, render[fmt](d))
    for target_fmt, path in targets:
        _write(path, render[target_fmt](d))
    sys.exit(d.exit_code)

