"""The logic of the GitHub Action (action.yml), runnable anywhere: `python -m checker.cli.action`.

1. `papcheck check --gate` on the configured specs: GitHub annotations on standard output,
   SARIF to a file (for code scanning), Markdown appended to $GITHUB_STEP_SUMMARY.
2. On a pull request (or when PAPCHECK_DIFF_BASE names a revision): `papcheck diff --git BASE`
   for every .pap file the change adds or modifies, text on standard output, Markdown appended
   to the summary.
3. Exit with the most serious code of these runs (1, then 3, 2, 4), and set the step outputs
   `exit-code` and `sarif-file`.

Inputs come from the environment, as action.yml passes them (never interpolated into a shell):

    PAPCHECK_SPECS               spec files, directories or globs, separated by whitespace;
                                 empty: the config's `specs`, else every .pap in the repository
    PAPCHECK_ARGS                more `papcheck check` arguments, shell-quoted (-D, limits...)
    PAPCHECK_DIFF_ARGS           more `papcheck diff` arguments (-D, limits...)
    PAPCHECK_FAIL_ON_INCOMPLETE  true (default) / false
    PAPCHECK_SARIF               where to write SARIF (default papcheck.sarif; empty: none)
    PAPCHECK_DIFF                true (default) / false: compare changed specs on pull requests
    PAPCHECK_DIFF_BASE           the revision to compare with (default origin/$GITHUB_BASE_REF)
    GITHUB_EVENT_NAME, GITHUB_BASE_REF, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT   set by GitHub

The papcheck commands run as subprocesses of this interpreter, exactly as a user would run them.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence

from ..ci.formats import combine_exit_codes


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    v = env.get(name, "").strip().lower()
    if not v:
        return default
    if v in ("true", "1", "yes", "on"):
        return True
    if v in ("false", "0", "no", "off"):
        return False
    raise SystemExit(f"papcheck action: {name}={v!r}: expected true or false")


def _papcheck(args: Sequence[str], cwd: str) -> int:
    cmd = [sys.executable, "-m", "checker.cli", *args]
    print("$ papcheck " + " ".join(shlex.quote(a) for a in args), flush=True)
    return subprocess.run(cmd, cwd=cwd).returncode


def _git(args: Sequence[str], cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text if text.endswith("\n") else text + "\n")


def _has_config(cwd: str) -> bool:
    from ..ci.gate import find_config, load_config
    found = find_config(cwd)
    if found is None:
        return False
    try:
        return bool(load_config(found).specs)
    except Exception:  # a broken config: let `papcheck check` report it, located
        return True


def changed_specs(base: str, cwd: str) -> list[str]:
    """The .pap files added, modified or renamed since the merge base with `base`, sorted."""
    r = _git(["diff", "--name-only", "--diff-filter=AMR", f"{base}...HEAD", "--", "*.pap"], cwd)
    if r.returncode != 0:  # no merge base in a shallow clone: compare the trees directly
        r = _git(["diff", "--name-only", "--diff-filter=AMR", base, "HEAD", "--", "*.pap"], cwd)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    top = _git(["rev-parse", "--show-toplevel"], cwd).stdout.strip() or cwd
    paths = [os.path.relpath(os.path.join(top, p), cwd) for p in r.stdout.splitlines() if p.strip()]
    return sorted(p for p in paths if os.path.isfile(os.path.join(cwd, p)))


def _resolve_base(env: Mapping[str, str], cwd: str) -> str | None:
    base = env.get("PAPCHECK_DIFF_BASE", "").strip()
    if not base:
        if env.get("GITHUB_EVENT_NAME") not in ("pull_request", "pull_request_target") or not env.get(
                "GITHUB_BASE_REF"):
            return None
        base = f"origin/{env['GITHUB_BASE_REF']}"
    if _git(["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], cwd).returncode != 0 and base.startswith(
            "origin/"):
        branch = base.removeprefix("origin/")
        _git(["fetch", "--no-tags", "--quiet", "origin", f"+{branch}:refs/remotes/origin/{branch}"], cwd)
    return base


def main(env: Mapping[str, str] | None = None, cwd: str | None = None) -> int:
    env = dict(os.environ if env is None else env)
    cwd = cwd or os.getcwd()
    summary = env.get("GITHUB_STEP_SUMMARY") or None
    codes: list[int] = []

    specs = shlex.split(env.get("PAPCHECK_SPECS", ""))
    if not specs and not _has_config(cwd):
        specs = ["."]
    sarif = env.get("PAPCHECK_SARIF", "papcheck.sarif").strip()
    foi = _flag(env, "PAPCHECK_FAIL_ON_INCOMPLETE", True)
    with tempfile.TemporaryDirectory(prefix="papcheck-action-") as tmp:
        md = os.path.join(tmp, "check.md")
        args = ["check", "--gate", "--quiet", "--format", "github", "--report", f"markdown={md}",
                "--fail-on-incomplete" if foi else "--no-fail-on-incomplete"]
        if sarif:
            args += ["--report", f"sarif={sarif}"]
        args += shlex.split(env.get("PAPCHECK_ARGS", "")) + ["--"] + specs
        codes.append(_papcheck(args, cwd))
        if os.path.exists(md):
            with open(md, encoding="utf-8") as f:
                _append(summary, f.read())

        base = _resolve_base(env, cwd) if _flag(env, "PAPCHECK_DIFF", True) else None
        if base is not None:
            try:
                changed = changed_specs(base, cwd)
            except RuntimeError as e:
                print(f"papcheck action: cannot list the specs changed since {base}: {e}", file=sys.stderr)
                changed = []
                codes.append(2)
            if changed:
                _append(summary, f"## Spec changes since `{base}`\n")
            for i, path in enumerate(changed):
                out = os.path.join(tmp, f"diff-{i}.md")
                codes.append(_papcheck(["diff", "--git", base, "--report", f"markdown={out}",
                                        *shlex.split(env.get("PAPCHECK_DIFF_ARGS", "")), "--", path], cwd))
                if os.path.exists(out):
                    with open(out, encoding="utf-8") as f:
                        _append(summary, f.read())
    code = combine_exit_codes(codes)
    outputs = env.get("GITHUB_OUTPUT")
    if outputs:
        sarif_path = sarif if sarif and os.path.exists(os.path.join(cwd, sarif)) else ""
        _append(outputs, f"exit-code={code}\nsarif-file={sarif_path}")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
