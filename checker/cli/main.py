"""The `papcheck` command group and what every command shares: classified exit codes for every
error, SIGTERM handling, `-D` parsing, the config, output files and the progress display.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from typing import Any

import click

from .. import __version__
from ..engine.explore import Terminated
from ..lang.errors import PapcheckError, SpecError, UsageError

EXIT_INTERNAL = 70



class _Seconds(click.FloatRange):
    """A positive, finite number of seconds (`--timeout nan` or `inf` would silently mean no limit)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        v = super().convert(value, param, ctx)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number of seconds (leave --timeout out for no limit)", param, ctx)
        return v



_SECONDS = _Seconds(min=0, min_open=True)


class _Size(click.ParamType):
    """A memory size: 500M, 2G, 1.5GiB, or bytes."""

    name = "size"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from ..engine.explore import parse_size
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


_SIZE = _Size()



def parse_define(text: str) -> tuple[str, Any]:
    """`NAME=VALUE` with VALUE an integer or true/false."""
    if "=" not in text:
        raise UsageError(f"-D {text}: expected NAME=VALUE, for example -D ENACTORS=3")
    name, _, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not name.isidentifier():
        raise UsageError(f"-D {text}: '{name}' is not a constant name")
    if raw in ("true", "false"):
        return name, raw == "true"
    try:
        return name, int(raw, 10)
    except ValueError:
        raise UsageError(f"-D {text}: the value must be an integer or true/false, not '{raw}'") from None



def _defines(values: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in values:
        name, value = parse_define(v)
        if name in out:
            raise UsageError(f"-D {name} is given twice")
        out[name] = value
    return out



def _stop_on_sigterm() -> None:
    """SIGTERM (what a CI job's timeout sends) stops papcheck as Ctrl-C does: a search in progress
    ends with its partial figures and exit 4, instead of dying silently."""
    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills at once
        Terminated.received = True
        raise Terminated()
    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (papcheck called from a test's thread): leave it alone
        pass



class _Main(click.Group):
    """Turn every papcheck error into a message and a classified exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        _stop_on_sigterm()
        try:
            return super().invoke(ctx)
        except SpecError as e:
            click.echo(e.diagnostics.render(), err=True)
            n = len(e.diagnostics.errors)
            click.echo(f"papcheck: {n} error{'s' if n != 1 else ''} in the spec", err=True)
            sys.exit(3)
        except UsageError as e:
            # a config mistake arrives already located (`pyproject.toml:3:1: error: ...`)
            click.echo(getattr(e, "rendered", None) or f"papcheck: error: {e}", err=True)
            sys.exit(2)
        except PapcheckError as e:
            click.echo(f"papcheck: error: {e}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt as e:
            click.echo("papcheck: terminated (SIGTERM)" if isinstance(e, Terminated) else "papcheck: interrupted",
                       err=True)
            sys.exit(4)
        except RecursionError:
            click.echo("papcheck: error: the spec nests expressions too deeply", err=True)
            sys.exit(3)
        except Exception as e:  # a bug in papcheck: say so, briefly
            if os.environ.get("PAPCHECK_DEBUG"):
                raise
            click.echo(f"papcheck: internal error: {type(e).__name__}: {e}\n"
                       "This is a bug in papcheck; set PAPCHECK_DEBUG=1 for the traceback.", err=True)
            sys.exit(EXIT_INTERNAL)



@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="papcheck")
def main() -> None:
    """papcheck: an exhaustive model checker for plan-apply-purge protocols.

    Describe a protocol (a planner, appliers, a cleanup) in a .pap spec; papcheck explores every
    interleaving and shows the shortest trace that breaks a property, or proves none exists
    within the bounds.
    """



FORMATS = ("text", "json", "sarif", "junit", "github", "markdown")



def _config(path: str | None):
    """The configuration: --config FILE, else the nearest papcheck.toml / pyproject.toml."""
    from ..ci import gate
    if path is not None:
        if not os.path.exists(path):  # a device or pipe is read bounded (checker.lang.inputs), not refused as missing
            raise UsageError(f"--config {path}: no such file")
        return gate.load_config(path)
    found = gate.find_config()
    return gate.load_config(found) if found else None



def _reports(values: tuple[str, ...], formats: tuple[str, ...] = FORMATS) -> list[tuple[str, str]]:
    out = []
    for v in values:
        fmt, sep, path = v.partition("=")
        if not sep or fmt not in formats or not path:
            raise UsageError(f"--report {v}: expected FORMAT=PATH with FORMAT one of {', '.join(formats)}")
        out.append((fmt, path))
    return out



def _write_bytes(path: str | None, data: bytes) -> None:
    if path is None:
        out = sys.stdout.buffer  # what click.get_binary_stream gave (deprecated in click 8.5)
        out.write(data)
        out.flush()
        return
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise UsageError(f"{path}: cannot write: {e.strerror or e}") from None



def _write(path: str | None, text: str) -> None:
    from ..lang.outputs import visible
    text = visible(text)  # no control character or escape sequence reaches a terminal or an XML reader
    if path is None:
        click.echo(text, nl=False)
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise UsageError(f"{path}: cannot write: {e.strerror or e}") from None



class _progress_display:
    """A one-line rich status on stderr, shown only on a terminal and after the first second."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.status: Any = None  # a rich Status once shown (rich is imported only then)
        self.enabled = sys.stderr.isatty()
        self.announced = ""

    LARGE = 100_000  # a phase expecting this many states is announced even off a terminal

    def update(self, stats) -> None:
        if getattr(stats, "expected", 0) and stats.phase != self.announced:
            self.announced = stats.phase  # a phase said what it will cost before it starts
            if not self.enabled and stats.expected >= self.LARGE:
                click.echo(f"papcheck: {stats.phase}", err=True)  # a CI log: one line, no live display
        if not self.enabled or time.perf_counter() - self.started < 1.0:
            return
        phase = getattr(stats, "phase", "safety search")
        text = (f"{phase}: states {stats.states:,}  ·  {stats.states / max(stats.seconds, 1e-9):,.0f}/s  ·  "
                f"depth {stats.depth}  ·  queue {stats.queue:,}")
        if self.status is None:
            from rich.console import Console
            self.status = Console(stderr=True).status(text)
            self.status.start()
        else:
            self.status.update(text)

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()

