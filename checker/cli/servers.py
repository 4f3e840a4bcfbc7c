"""Commands that serve until stopped: `papcheck lsp` (the language server) and `papcheck explore`
(the interactive explorer in the browser).
"""

from __future__ import annotations

import click

from ..lang.errors import UsageError
from .main import (
    _defines,
    main,
)


@main.command()
def lsp() -> None:
    """Run the language server on stdin/stdout (for editors; needs the `editor` extra).

    \b
    Example:
      papcheck lsp      # what an editor starts (editors/vscode does)
    """
    try:
        from ..editor.server import serve_stdio
    except ImportError as e:
        raise UsageError(f"papcheck lsp needs pygls: pip install 'papcheck[editor]' ({e})") from None
    serve_stdio()



EXPLORE_EXAMPLES = """
\b
Examples:
  papcheck explore specs/dynamodb_dns.pap             # then open http://127.0.0.1:8765/
  papcheck explore examples/workshop/03_purge/spec.pap --no-race --port 0
"""



@main.command(name="explore", epilog=EXPLORE_EXAMPLES)
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback lets other machines browse the spec.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--max-states", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Bound of the check that finds the counterexample behind \"Show me the race\".")
@click.option("--no-race", is_flag=True,
              help="Do not look for a counterexample: no \"Show me the race\" button, no hint (for workshops).")
def explore_cmd(spec: str, defines: tuple[str, ...], host: str, port: int, max_states: int,
                no_race: bool) -> None:
    """Walk SPEC's state space by hand in a browser, served on this machine.

    Take one enabled transition at a time, go back, watch the state and the sequence chart grow,
    or jump onto the checker's counterexample.  The path is in the URL, so it can be shared.
    Ctrl-C stops the server.
    """
    import signal

    from .. import api
    from ..web.explorer import Explorer
    from ..web.server import ExplorerServer, is_loopback

    explorer = Explorer(api.load(spec, _defines(defines)), max_states=max_states, show_race=not no_race)
    cex = explorer.counterexample()
    if not is_loopback(host):
        click.echo(f"papcheck: warning: listening on {host}: anyone who can reach this machine can browse "
                   "the spec and its state space", err=True)
    try:
        server = ExplorerServer(explorer, host, port)
    except OSError as e:
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None

    def _stop(signum, frame):  # SIGTERM ends the server like Ctrl-C
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, _stop)
    try:  # a signal right after the announcement still stops cleanly
        if cex:
            click.echo(f"papcheck explore: {cex['kind']} {cex['property']} is violated after {len(cex['path'])} "
                       "steps (\"Show me the race\" on the page)", err=True)
        click.echo(f"papcheck explore: serving {spec} at {server.url}  (Ctrl-C stops)", err=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        signal.signal(signal.SIGTERM, previous)
    click.echo("papcheck explore: stopped", err=True)

