"""`papcheck parse`: check a spec for errors and print it in normal form.
"""

from __future__ import annotations

import click

from .main import (
    _defines,
    main,
)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
def parse(spec: str, defines: tuple[str, ...]) -> None:
    """Check SPEC for errors and print it in normal form.

    \b
    Example:
      papcheck parse specs/dynamodb_dns.pap
    """
    from ..lang.parser import parse as parse_source
    from ..lang.parser import read_source
    from ..lang.pretty import pretty_spec
    from ..lang.resolve import check_spec

    source = read_source(spec)
    tree = parse_source(source)
    checked = check_spec(tree, source, _defines(defines))
    if checked.diagnostics.warnings:
        click.echo(checked.diagnostics.render(), err=True)
    click.echo(pretty_spec(tree), nl=False)

