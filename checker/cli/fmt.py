"""`papcheck fmt [--check] SPEC...`: rewrite specs in the canonical layout, comments kept.

The layout and the comment placement are :mod:`checker.lang.formatter`'s (the editor formats with
the same function).  A file is replaced atomically (written next to itself, then renamed over),
so an interrupted run never leaves half a spec.  Exit codes: 0 nothing to do or all rewritten;
1 with ``--check`` when some file would change (it is listed); 2 a file cannot be read; 3 a spec
has errors (shown located, the file is left alone); 70 the formatter could not keep a spec equal.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from ..lang.errors import PapcheckError, SpecError, UsageError
from .main import main


def _atomic_write(path: str, text: str) -> None:
    target = Path(path)
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=str(target.parent) or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _expand(specs: tuple[str, ...]) -> list[str]:
    """Files as given; a directory stands for every .pap file under it (sorted)."""
    out: list[str] = []
    for s in specs:
        if os.path.isdir(s):
            out.extend(str(p) for p in sorted(Path(s).rglob("*.pap")))
        else:
            out.append(s)
    return out


@main.command(name="fmt")
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; list the files that would change and exit 1 if there are any.")
def fmt_command(specs: tuple[str, ...], check_only: bool) -> None:
    """Rewrite SPEC files in the canonical layout of `papcheck parse`, keeping `#` comments and
    `##` doc comments.  A directory stands for every .pap file under it.

    \b
    Examples:
      papcheck fmt specs/dynamodb_dns.pap
      papcheck fmt --check specs/          # in CI: exit 1 and list the files to reformat
    """
    from ..lang.formatter import FormatError, format_source
    from ..lang.parser import read_source

    codes: list[int] = []
    changed = 0
    files = _expand(specs)
    for path in files:
        try:
            source = read_source(path)
            new = format_source(source)
        except SpecError as e:
            click.echo(e.diagnostics.render(), err=True)
            n = len(e.diagnostics.errors)
            click.echo(f"papcheck: {n} error{'s' if n != 1 else ''} in {path}; left as it is", err=True)
            codes.append(3)
            continue
        except UsageError as e:
            click.echo(f"papcheck: error: {e}", err=True)
            codes.append(2)
            continue
        except FormatError as e:
            click.echo(f"papcheck: error: {e}", err=True)
            codes.append(70)
            continue
        except PapcheckError as e:
            click.echo(f"papcheck: error: {e}", err=True)
            codes.append(2)
            continue
        if new == source.text:
            continue
        changed += 1
        if check_only:
            click.echo(f"would reformat {path}")
        else:
            try:
                _atomic_write(path, new)
            except OSError as e:
                click.echo(f"papcheck: error: cannot write {path}: {e.strerror or e}", err=True)
                codes.append(2)
                continue
            click.echo(f"reformatted {path}")
    if check_only and changed:
        codes.append(1)
    verb = "would be reformatted" if check_only else "reformatted"
    click.echo(f"papcheck fmt: {changed} of {len(files)} file{'s' if len(files) != 1 else ''} {verb}",
               err=True)
    for code in (70, 2, 3, 1):  # the most serious first
        if code in codes:
            sys.exit(code)
    sys.exit(0)
