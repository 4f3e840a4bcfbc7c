"""`papcheck replay`: step through an ITF trace, or `--check` that it is a behaviour of the spec.
"""

from __future__ import annotations

import sys

import click

from .main import (
    _defines,
    main,
)

REPLAY_EXAMPLES = """
\b
Examples:
  papcheck check specs/dynamodb_dns.pap --trace-out race.itf.json
  papcheck replay specs/dynamodb_dns.pap race.itf.json
  papcheck replay --check specs/dynamodb_dns.pap from_logs.itf.json
  printf 'jump 8\\nstate\\nhistory record[0]\\n' | papcheck replay specs/dynamodb_dns.pap race.itf.json

\b
Exit codes: 0 (--check: a legal behaviour), 1 (--check: not one), 2 usage error
            or unreadable trace, 3 spec error.
"""



@main.command(epilog=REPLAY_EXAMPLES)
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("trace_path", metavar="TRACE", type=click.Path(dir_okay=False))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE",
              help="Override a constant (repeatable): the same as when the trace was made.")
@click.option("--check", "check_only", is_flag=True,
              help="Only validate: is TRACE a legal behaviour of SPEC? Reports the first step that is not, and why.")
def replay(spec: str, trace_path: str, defines: tuple[str, ...], check_only: bool) -> None:
    """Step through an ITF trace of SPEC (commands from the terminal or standard input), or
    validate it with --check."""
    from .. import api
    from ..explain.replay import Replayer, decode_itf, read_itf, to_trace, validate
    from ..lang.inputs import InputError, read_command
    spec_obj = api.load(spec, _defines(defines))
    itf = decode_itf(spec_obj, read_itf(trace_path), trace_path)
    if check_only:
        verdict = validate(spec_obj, itf)
        click.echo(verdict.text(trace_path), nl=False)
        sys.exit(0 if verdict.ok else 1)
    session = Replayer(spec_obj, to_trace(spec_obj, itf))
    interactive = sys.stdin.isatty()
    click.echo(session.intro(), nl=False)
    while not session.done:
        if interactive:
            click.echo("replay> ", nl=False)
        try:
            line = read_command(sys.stdin)
        except InputError as e:
            click.echo(f"{e.message}\n", nl=False)
            continue
        if line is None:
            break
        out = session.command(line)
        if out:
            click.echo(out, nl=False)

