"""Long runs: `papcheck simulate` (random walks for state spaces too large to exhaust) and the
checkpoints of `check --checkpoint DIR / --resume DIR`."""

from __future__ import annotations

import hashlib
import os
import sys
from typing import Any

import click

from ..lang.errors import UsageError
from .main import _SECONDS, _SIZE, _defines, _write, main

SIMULATE_EXAMPLES = """
\b
Examples:
  papcheck simulate specs/dynamodb_dns.pap
  papcheck simulate specs/reference_dns.pap -D ENACTORS=8 --runs 100000 --depth 200 --seed 7
  papcheck simulate specs/dynamodb_dns.pap --trace-out walk.itf.json
  papcheck simulate specs/reference_dns.pap -D ENACTORS=8 --runs 1000000 --workers 8
  papcheck replay specs/dynamodb_dns.pap walk.itf.json --check

\b
Exit codes: 0 no violation found (which proves nothing), 1 a violation or model
            error was found, 2 usage error, 3 spec error, 4 stopped early (--timeout,
            --max-memory, interrupted).
"""


@main.command(epilog=SIMULATE_EXAMPLES)
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--runs", type=click.IntRange(min=1), default=1000, show_default=True,
              help="How many random walks to take.")
@click.option("--depth", type=click.IntRange(min=1), default=100, show_default=True,
              help="The longest walk, in steps.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the walks: the same seed gives the same walks, on any machine.")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Walk on N worker processes (rounds of 64 walks; the same walks for any N).")
@click.option("--timeout", type=_SECONDS, metavar="SECONDS", help="Stop after this many seconds.")
@click.option("--max-memory", type=_SIZE, metavar="SIZE", help="Stop when resident memory reaches SIZE (e.g. 2G).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report here instead of standard output.")
@click.option("--trace-out", type=click.Path(dir_okay=False, writable=True),
              help="Write the violating walk as ITF JSON (replay it with `papcheck replay --check`).")
@click.option("--full-states", is_flag=True, help="Show every variable at every step, not only changes.")
@click.option("--no-timing", is_flag=True, help="Leave time figures out (byte-stable output).")
def simulate(spec: str, defines: tuple[str, ...], runs: int, depth: int, seed: int, workers: int | None,
             timeout: float | None,
             max_memory: int | None, fmt: str, output: str | None, trace_out: str | None, full_states: bool,
             no_timing: bool) -> None:
    """Take random walks through SPEC's state space and report the first violation met.

    For state spaces too large to exhaust.  The first violation (broken invariant, deadlock,
    model error) is shown as a replayable trace, which is NOT necessarily a shortest one; with
    it comes the coverage of the walks: steps, distinct states seen, how often each transition
    fired and which never did.  Liveness properties are not judged by simulation.
    """
    from .. import api
    from ..engine.simulate import simulate as run_simulation
    from ..views import simulation as view

    spec_obj = api.load(spec, _defines(defines))
    if workers:
        import functools

        from ..engine.distributed.walkers import simulate_workers
        factory = functools.partial(api.distributed_parts, spec_obj.checked.source.text, spec_obj.path,
                                    dict(spec_obj.constants))
        sim = simulate_workers(spec_obj.model, factory, workers, runs=runs, depth=depth, seed=seed, timeout=timeout,
                               max_memory=max_memory)
    else:
        sim = run_simulation(spec_obj.model, runs=runs, depth=depth, seed=seed, timeout=timeout, max_memory=max_memory)
    if fmt == "json":
        _write(output, view.render_json(spec_obj, sim, timing=not no_timing))
    else:
        _write(output, view.render_text(spec_obj, sim, full_states=full_states, timing=not no_timing))
    if trace_out:
        itf = view.render_itf(spec_obj, sim)
        if itf is None:
            click.echo("papcheck: no violation to write to --trace-out", err=True)
        else:
            _write(trace_out, itf)
    if sim.finding is not None:
        sys.exit(1)
    sys.exit(0 if sim.stop_reason == "done" else 4)


def checkpointer(spec: Any, checkpoint_dir: str | None, every_minutes: float, resume_dir: str | None, *,
                 strategy: str, store: str, por: bool, symmetry: bool, solver: bool, properties: tuple[str, ...],
                 keep_going: bool, max_depth: int | None) -> Any:
    """The checkpointer of `check --checkpoint DIR / --resume DIR`, or None.  Its identity (what a
    resumed checkpoint must match) is the spec text, the constants and the search settings."""
    if checkpoint_dir is None and resume_dir is None:
        return None
    if strategy != "bfs":
        raise UsageError("--checkpoint and --resume save breadth-first levels: leave out --strategy dfs")
    if checkpoint_dir and resume_dir and os.path.abspath(checkpoint_dir) != os.path.abspath(resume_dir):
        raise UsageError("--resume continues saving in its own directory: give --checkpoint the same DIR or leave it out")
    from .. import __version__
    from ..engine.checkpoint import Checkpointer
    identity = {
        "version": __version__, "spec": spec.path,
        "source": hashlib.sha256(spec.checked.source.text.encode()).hexdigest(),
        "constants": {k: v for k, v in sorted(spec.constants.items())},
        "settings": {"strategy": strategy, "store": store, "por": por, "symmetry": symmetry, "solver": solver,
                     "properties": sorted(properties), "continue": keep_going, "max_depth": max_depth},
    }
    directory = resume_dir or checkpoint_dir
    assert directory is not None
    return Checkpointer(directory, every_minutes * 60.0, identity, resume=resume_dir is not None)


def checkpoint_note(ckpt: Any, result: Any) -> str:
    """One line on stderr after a checkpointed run."""
    where = ckpt.directory
    resumed = f"resumed at level {ckpt.resumed.level}; " if ckpt.resumed is not None else ""
    if result.verdict == "incomplete" and (ckpt.saves or ckpt.resumed is not None):
        level = ckpt.saved_level if ckpt.saves else ckpt.resumed.level
        return f"papcheck: {resumed}checkpoint of level {level} in {where}: continue with --resume {where}"
    if ckpt.saves == 0 and ckpt.resumed is None:
        return f"papcheck: no checkpoint was due yet (--checkpoint-every); nothing saved in {where}"
    return f"papcheck: {resumed}{ckpt.saves} checkpoint(s) saved in {where}"


def distributed_engine(spec: Any, workers: int | None, cluster: str | None, *, strategy: str,
                       only_props: tuple[str, ...], keep_going: bool, checkpointed: bool, no_por: bool,
                       quiet: bool) -> tuple[Any, bool]:
    """The started search of `check --workers N` (worker processes on this machine) or
    `--cluster ADDRESS` (a Ray cluster), and the new no_por."""
    if strategy != "bfs":
        raise UsageError("--workers and --cluster search breadth-first: leave out --strategy dfs")
    if only_props or keep_going or checkpointed:
        raise UsageError("--workers and --cluster do not take --property, --continue, --checkpoint or --resume yet")
    import functools

    from .. import api
    factory = functools.partial(api.distributed_parts, spec.checked.source.text, spec.path, dict(spec.constants))
    if cluster == "auto":
        cluster = os.environ.get("RAY_ADDRESS")
        if not cluster:
            raise UsageError("--cluster auto: RAY_ADDRESS is not set")
    engine: Any
    if cluster:
        from ..engine.distributed.search import Cluster, RayMissing
        try:
            engine = Cluster(factory, workers or 1, cluster)
        except RayMissing as e:
            raise UsageError(str(e)) from None
    else:
        from ..engine.distributed.local import LocalPool
        engine = LocalPool(factory, workers or 1)
    if not no_por and not quiet:
        click.echo("papcheck: note: partial-order reduction is off in the distributed search (its cycle "
                   "proviso depends on the sequential search order)", err=True)
    engine.__enter__()
    if cluster and not workers:
        engine.workers = max(1, int(engine.ray.cluster_resources().get("CPU", 1)))
    return engine, True
