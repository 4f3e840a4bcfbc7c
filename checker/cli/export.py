"""`papcheck export`: a spec in Promela (SPIN), Murphi (Rumur) or TLA+ (TLC, Apalache)."""

from __future__ import annotations

import os

import click

from .main import _defines, _write, main

EXPORT_EXAMPLES = """
\b
Examples:
  papcheck export specs/dynamodb_dns.pap --to promela -o dns.pml   # spin -a dns.pml ...
  papcheck export specs/dynamodb_dns.pap --to murphi -o dns.m      # rumur dns.m ...
  papcheck export specs/dynamodb_dns.pap --to tla -o DynamoDbDns.tla   # also writes DynamoDbDns.cfg
"""


@main.command(epilog=EXPORT_EXAMPLES)
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--to", "target", type=click.Choice(["promela", "murphi", "tla"]), required=True,
              help="The target language: Promela (SPIN), Murphi (Rumur) or TLA+ (TLC, Apalache).")
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write here instead of standard output (TLA+: also FILE.cfg next to it).")
@click.option("--safety-only", is_flag=True,
              help="Leave out liveness and recoverability properties (Promela, Murphi), instead of failing.")
def export(spec: str, target: str, defines: tuple[str, ...], output: str | None, safety_only: bool) -> None:
    """Translate SPEC to Promela, Murphi or TLA+, one atomic step per papcheck step (docs/export.md)."""
    from .. import api
    from ..export import export as export_spec

    spec_obj = api.load(spec, _defines(defines))
    if target == "tla" and output:
        from ..export.tla import to_tla
        stem = os.path.splitext(os.path.basename(output))[0]
        files = to_tla(spec_obj.checked, module=stem)
        _write(output, files[".tla"])
        _write(os.path.splitext(output)[0] + ".cfg", files[".cfg"])
        return
    files = export_spec(spec_obj.checked, target, safety_only=safety_only)
    if target == "tla":  # text after the module's closing line is ignored by TLA+ tools
        _write(output, files[".tla"] + "\n" + files[".cfg"])
        return
    _write(output, next(iter(files.values())))
