"""Checking many specs as a CI gate: which specs, which constants, which limits, pass or fail.

* **Specs.**  Command-line arguments (files, directories searched for `*.pap`, globs) or, with
  none, the `specs` of the configuration.  Always sorted, so a run is the same on every machine.
* **Configuration.**  `papcheck.toml` (top-level keys) or the `[tool.papcheck]` table of
  `pyproject.toml`, the first found walking up from the working directory (stopping at the
  repository root).  It sets specs, constants (`define`), constant matrices (`matrix`), limits,
  strategy, reductions, output format and `fail-on-incomplete`; `[[overrides]]` entries set
  constants, matrices, limits and reductions for the specs matching their globs.  Flags override
  it.  Every mistake is a located error (`pyproject.toml:12:1: error: ...`), exit code 2.
* **Matrix.**  `ENACTORS = [2, 3]` checks each spec that declares `ENACTORS` once per value; several
  entries give their product.  A spec that does not declare a matrix constant runs once.
* **Judgment** (:func:`judge`).  In gate mode a spec passes when its `expect` declaration is met
  (a teaching spec that must fail passes when it fails as declared, and fails the gate when it
  unexpectedly holds); a spec without `expect` must hold.  An incomplete run (a limit reached)
  fails the gate with exit code 4 unless `fail-on-incomplete` is off.  In plain mode (one spec
  file, no `--gate`) the verdict is the result, as in TLC: 0 holds, 1 violated, 4 incomplete.
  Several runs combine by :data:`checker.ci.formats.EXIT_PRIORITY` (1, then 3, 2, 4).

Nothing here prints or exits; the CLI does.
"""

from __future__ import annotations

import fnmatch
import glob
import itertools
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import api
from ..engine.explore import Limits, ProgressFn, parse_size
from ..lang import ast
from ..lang.errors import Diagnostics, PapcheckError, SourceFile, Span, SpecError, UsageError
from ..lang.inputs import MAX_CONFIG_BYTES, InputError, parse_toml, read_bytes, read_text
from ..lang.parser import parse, read_source
from .formats import Outcome, Problem, combine_exit_codes, status_text, stop_text

FORMATS = ("text", "json", "sarif", "junit", "github", "markdown")
STRATEGIES = ("bfs", "dfs")


class ConfigError(UsageError):
    """A mistake in the configuration file (exit code 2); its text is already located."""

    def __init__(self, rendered: str):
        super().__init__(rendered)
        self.rendered = rendered


# ----------------------------------------------------------------------------- settings


@dataclass
class Settings:
    """Options that both the configuration and flags can set; None means "not set here"."""

    format: str | None = None
    strategy: str | None = None
    max_states: int | None = None
    max_depth: int | None = None
    timeout: float | None = None
    fail_on_incomplete: bool | None = None
    por: bool | None = None
    symmetry: bool | None = None
    solver: bool | None = None
    store: str | None = None
    max_memory: int | None = None  # bytes
    keep_going: bool | None = None  # `continue`: search on after a violation
    properties: tuple[str, ...] | None = None  # `check --property`: only these (flag only)

    def over(self, base: Settings) -> Settings:
        """These settings where set, `base` elsewhere."""
        return Settings(**{k: (v if v is not None else getattr(base, k)) for k, v in vars(self).items()})


@dataclass
class Override:
    patterns: list[str]
    define: dict[str, Any]
    matrix: dict[str, list[Any]]
    settings: Settings


@dataclass
class Config:
    path: str  # as shown in messages: relative to the working directory
    root: str  # absolute directory the config's paths are relative to
    specs: list[str] = field(default_factory=list)
    define: dict[str, Any] = field(default_factory=dict)
    matrix: dict[str, list[Any]] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    overrides: list[Override] = field(default_factory=list)
    source: SourceFile | None = None
    table: str = ""  # "tool.papcheck" in pyproject.toml, "" in papcheck.toml

    def error(self, keys: Sequence[str | int], message: str, needle: str | None = None) -> ConfigError:
        line, col = _locate(self.source.text if self.source else "", self.table, keys, needle)
        where = f"[{self.table}] " if self.table else ""
        return _config_error(self.source or SourceFile(self.path, ""), line, col, f"{where}{message}")


def _config_error(source: SourceFile, line: int, col: int, message: str) -> ConfigError:
    diags = Diagnostics(source)
    diags.error(Span(line, col, line, col + 1) if line else Span(0, 0, 0, 0), message)
    return ConfigError(diags.render())


# --------------------------------------------------------------------------- finding config


def find_config(start: str | None = None) -> str | None:
    """The nearest papcheck.toml, or pyproject.toml with a [tool.papcheck] table, from `start`
    upwards; the search stops at the repository root (a directory holding .git)."""
    d = os.path.abspath(start or os.getcwd())
    while True:
        own = os.path.join(d, "papcheck.toml")
        if os.path.isfile(own):
            return own
        py = os.path.join(d, "pyproject.toml")
        if os.path.isfile(py) and _has_papcheck_table(py):
            return py
        parent = os.path.dirname(d)
        if parent == d or os.path.exists(os.path.join(d, ".git")):
            return None
        d = parent


def _has_papcheck_table(path: str) -> bool:
    """Does this pyproject.toml have a [tool.papcheck] table?  Looked for in the raw bytes (at most
    the config size cap), so a pyproject.toml that is not UTF-8 and has no such table is ignored,
    and one that has it is then reported by load_config."""
    try:
        data = read_bytes(path, MAX_CONFIG_BYTES, "config")
    except InputError as e:
        if not e.content:
            return False
        with open(path, "rb") as f:
            data = f.read(MAX_CONFIG_BYTES)
    return re.search(rb"^\s*\[\[?\s*tool\s*\.\s*papcheck\b", data, re.M) is not None


def _shown(path: str) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith(os.pardir + os.sep + os.pardir) else path


TOP_KEYS = ("specs", "format", "strategy", "max-states", "max-depth", "timeout", "max-memory", "fail-on-incomplete",
            "por", "symmetry", "solver", "store", "continue", "define", "matrix", "overrides")
OVERRIDE_KEYS = ("specs", "strategy", "max-states", "max-depth", "timeout", "max-memory", "por", "symmetry", "solver", "store",
                 "continue", "define", "matrix")
STORES = ("exact", "fingerprint")


def load_config(path: str) -> Config:
    """Read and validate a configuration file; ConfigError (located) on any mistake."""
    shown = _shown(path)
    try:
        text = read_text(path, MAX_CONFIG_BYTES, "config file")
    except InputError as e:
        if not e.content:
            raise UsageError(f"{shown}: {e.message}") from None
        raise ConfigError(InputError(shown, e.message, e.line, e.col, e.text).rendered) from None
    source = SourceFile(shown, text)

    def syntax_error(e: Exception) -> Exception:
        msg = str(e)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", msg)
        line, col = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        if m is None and msg.endswith("(at end of document)"):
            m = re.search(r"\s*\(at end of document\)$", msg)
            last = text.rstrip("\n").splitlines() or [""]
            line, col = len(last), len(last[-1]) + 1
        return _config_error(source, line, col, f"not valid TOML: {msg[:m.start()] if m else msg}")

    try:
        data = parse_toml(text, shown, syntax_error)
    except InputError as e:
        raise _config_error(source, 0, 0, e.message) from None
    is_pyproject = os.path.basename(path) == "pyproject.toml"
    table = "tool.papcheck" if is_pyproject else ""
    cfg = Config(shown, os.path.dirname(os.path.abspath(path)), source=source, table=table)
    raw = data.get("tool", {}).get("papcheck", {}) if is_pyproject else data
    if not isinstance(raw, dict):
        raise cfg.error([], "must be a table")
    _check_keys(cfg, raw, TOP_KEYS, [])
    cfg.specs = _string_list(cfg, raw, "specs", [])
    cfg.settings = _settings(cfg, raw, [])
    if "format" in raw:
        cfg.settings.format = _choice(cfg, raw, "format", FORMATS, [])
    if "fail-on-incomplete" in raw:
        cfg.settings.fail_on_incomplete = _bool(cfg, raw, "fail-on-incomplete", [])
    cfg.define = _define(cfg, raw, [])
    cfg.matrix = _matrix(cfg, raw, [])
    overrides = raw.get("overrides", [])
    if not isinstance(overrides, list) or not all(isinstance(o, dict) for o in overrides):
        raise cfg.error(["overrides"], "overrides must be an array of tables ([[overrides]])")
    for i, o in enumerate(overrides):
        at: list[str | int] = ["overrides", i]
        _check_keys(cfg, o, OVERRIDE_KEYS, at)
        if "specs" not in o:
            raise cfg.error(at, "an [[overrides]] entry needs `specs` (the globs of the specs it applies to)")
        cfg.overrides.append(Override(_string_list(cfg, o, "specs", at), _define(cfg, o, at),
                                      _matrix(cfg, o, at), _settings(cfg, o, at)))
    return cfg


def _check_keys(cfg: Config, d: dict, known: tuple[str, ...], at: list) -> None:
    for k in d:
        if k not in known:
            hint = k.replace("_", "-")
            extra = f" (did you mean '{hint}'?)" if hint in known else f" (known keys: {', '.join(known)})"
            raise cfg.error(at + [k], f"unknown key '{k}'{extra}")


def _string_list(cfg: Config, d: dict, key: str, at: list) -> list[str]:
    v = d.get(key, [])
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise cfg.error(at + [key], f"{key} must be a path or glob, or a list of them")
    return list(v)


def _settings(cfg: Config, d: dict, at: list) -> Settings:
    s = Settings()
    if "strategy" in d:
        s.strategy = _choice(cfg, d, "strategy", STRATEGIES, at)
    for key, attr, lo in (("max-states", "max_states", 1), ("max-depth", "max_depth", 0)):
        if key in d:
            v = d[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise cfg.error(at + [key], f"{key} must be an integer of at least {lo}, not {_toml(v)}")
            setattr(s, attr, v)
    if "timeout" in d:
        v = d["timeout"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise cfg.error(at + ["timeout"], f"timeout must be a positive number of seconds, not {_toml(v)}")
        s.timeout = float(v)
    if "max-memory" in d:
        v = d["max-memory"]
        try:
            s.max_memory = parse_size(v)
        except ValueError as e:
            raise cfg.error(at + ["max-memory"], f"max-memory must be a size such as \"500M\" or \"2G\": {e}") from None
    for key in ("por", "symmetry", "solver"):
        if key in d:
            setattr(s, key, _bool(cfg, d, key, at))
    if "store" in d:
        s.store = _choice(cfg, d, "store", STORES, at)
    if "continue" in d:
        s.keep_going = _bool(cfg, d, "continue", at)
    return s


def _choice(cfg: Config, d: dict, key: str, choices: tuple[str, ...], at: list) -> str:
    v = d[key]
    if v not in choices:
        raise cfg.error(at + [key], f"{key} must be one of {', '.join(choices)}, not {_toml(v)}")
    return v


def _bool(cfg: Config, d: dict, key: str, at: list) -> bool:
    v = d[key]
    if not isinstance(v, bool):
        raise cfg.error(at + [key], f"{key} must be true or false, not {_toml(v)}")
    return v


def _value_ok(v: Any) -> bool:
    return isinstance(v, (bool, int))


def _define(cfg: Config, d: dict, at: list) -> dict[str, Any]:
    v = d.get("define", {})
    if not isinstance(v, dict):
        raise cfg.error(at + ["define"], "define must be a table of constants, for example define = { PLANS = 5 }")
    for name, value in v.items():
        if not name.isidentifier():
            raise cfg.error(at + ["define", name], f"'{name}' is not a constant name")
        if not _value_ok(value):
            raise cfg.error(at + ["define", name], f"constant {name} must be an integer or true/false, "
                                                   f"not {_toml(value)}")
    return dict(v)


def _matrix(cfg: Config, d: dict, at: list) -> dict[str, list[Any]]:
    v = d.get("matrix", {})
    if not isinstance(v, dict):
        raise cfg.error(at + ["matrix"], "matrix must be a table of lists, for example ENACTORS = [2, 3]")
    for name, values in v.items():
        where = at + ["matrix", name]
        if not name.isidentifier():
            raise cfg.error(where, f"'{name}' is not a constant name")
        if not isinstance(values, list) or not values:
            raise cfg.error(where, f"matrix {name} must be a non-empty list of values, for example [2, 3]")
        for x in values:
            if not _value_ok(x):
                raise cfg.error(where, f"matrix {name}: {_toml(x)} is not an integer or true/false")
        if len({(type(x), x) for x in values}) != len(values):
            raise cfg.error(where, f"matrix {name} lists a value twice")
    return {k: list(x) for k, x in v.items()}


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "a list"
    return str(v)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _norm_header(h: str) -> str:
    return re.sub(r"\s*\.\s*", ".", h).replace('"', "").replace("'", "")


def _locate(text: str, table: str, keys: Sequence[str | int], needle: str | None) -> tuple[int, int]:
    """Best-effort line and column of a key in TOML text (tomllib gives no positions)."""
    lines = text.splitlines()
    sections: list[tuple[str, int, int]] = [("", 0, len(lines))]  # (header, first line idx, end idx)
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m and "=" not in line.split("]")[0]:
            sections[-1] = (sections[-1][0], sections[-1][1], i)
            sections.append((_norm_header(m.group(2)), i, len(lines)))
    path: list[str] = []
    occurrence: int | None = None
    parts: list[str] = []  # string keys after the path, in order
    for k in keys:
        if isinstance(k, int):
            occurrence = k
            path = parts[:]
        else:
            parts.append(k)
    array_path = path  # the keys naming an array of tables, e.g. ["overrides"]

    def section_ranges(names: list[str]) -> list[tuple[int, int]]:
        full = ".".join([table] + names if table else names)
        found = [(s, e) for h, s, e in sections if h == full]
        if occurrence is not None and names[:len(array_path)] == array_path and array_path:
            found = found[occurrence:occurrence + 1] if occurrence < len(found) else []
        return found

    for j in range(len(parts) - 1, -1, -1):
        for start, end in section_ranges(parts[:j]):
            key_re = re.compile(r"^\s*([\"']?)" + re.escape(parts[j]) + r"\1\s*[=.]")
            for i in range(start, end):
                if key_re.match(lines[i]):
                    line_i = i
                    for deeper in parts[j + 1:]:  # an inline table: `matrix = { ENACTORS = [2] }`
                        for k in range(line_i, end):
                            m = re.search(r"(^|[\s{,])" + re.escape(deeper) + r"\s*=", lines[k])
                            if m:
                                line_i = k
                                break
                    col = _col(lines[line_i], needle or (parts[-1] if parts else ""))
                    return line_i + 1, col
    for names in ([*parts], parts[:1], []):
        for start, _ in section_ranges(names) if names or table else []:
            if start < len(lines) and _HEADER.match(lines[start]):
                return start + 1, 1
    return 0, 0


def _col(line: str, needle: str) -> int:
    i = line.find(needle) if needle else -1
    if i < 0:
        i = len(line) - len(line.lstrip())
    return i + 1


# -------------------------------------------------------------------------------- planning


@dataclass
class Run:
    """One spec under one constant assignment, with its limits and reductions."""

    path: str
    constants: dict[str, Any]  # every override passed to the spec (matrix values and defines)
    matrix: dict[str, Any]  # the matrix part, which names the run
    settings: Settings

    @property
    def limits(self) -> Limits:
        s = self.settings
        return Limits(max_states=s.max_states, max_depth=s.max_depth, timeout=s.timeout, max_memory=s.max_memory)

    def check_options(self) -> dict[str, Any]:
        """Keyword arguments for api.check."""
        s = self.settings
        opts: dict[str, Any] = {"strategy": s.strategy or "bfs", "limits": self.limits}
        if s.por is not None:
            opts["por"] = s.por
        if s.symmetry is not None:
            opts["symmetry"] = s.symmetry
        if s.solver is not None:
            opts["solver"] = s.solver
        if s.store is not None:
            opts["store"] = s.store
        if s.keep_going:
            opts["keep_going"] = True
        if s.properties:
            opts["properties"] = list(s.properties)
        return opts


def expand_specs(args: Sequence[str], root: str | None = None) -> list[str]:
    """Spec paths from files, directories (every *.pap below, hidden directories skipped) and
    globs, sorted and without duplicates.  `root`: the directory relative paths start from (the
    config's); paths come back relative to the working directory."""
    found: dict[str, str] = {}
    for arg in args:
        full = os.path.join(root, arg) if root else arg
        if os.path.isdir(full):
            hits = _walk(full)
            if not hits:
                raise UsageError(f"{arg}: no .pap spec under this directory")
        elif os.path.exists(full):
            hits = [full]
        elif any(c in arg for c in "*?["):
            hits = sorted(os.path.join(root, m) if root else m
                          for m in glob.glob(arg, root_dir=root, recursive=True)
                          if os.path.isfile(os.path.join(root or "", m)))
            if not hits:
                raise UsageError(f"{arg}: no spec matches this pattern")
        else:
            raise UsageError(f"{arg}: no such file or directory")
        for h in hits:
            shown = _shown(h) if root else (h if h == arg else os.path.normpath(h))
            found.setdefault(os.path.normcase(os.path.abspath(h)), shown)
    return sorted(found.values(), key=lambda p: p.replace("\\", "/"))


def _walk(directory: str) -> list[str]:
    out: list[str] = []
    for d, dirs, files in os.walk(directory):
        dirs[:] = sorted(x for x in dirs if not x.startswith("."))
        out.extend(os.path.normpath(os.path.join(d, f)) for f in sorted(files) if f.endswith(".pap"))
    return sorted(out, key=lambda p: p.replace("\\", "/"))


def declared_constants(path: str) -> list[str] | None:
    """The constants a spec declares, or None when it cannot be parsed (its run will say why)."""
    try:
        return [d.name for d in parse(read_source(path)).of(ast.ConstDecl)]
    except (PapcheckError, RecursionError):
        return None


def _matches(cfg: Config, path: str, patterns: list[str]) -> bool:
    rel = os.path.relpath(os.path.abspath(path), cfg.root).replace("\\", "/")
    for p in patterns:
        p = p.replace("\\", "/").removeprefix("./").rstrip("/")
        if fnmatch.fnmatchcase(rel, p) or rel.startswith(p + "/") or rel == p:
            return True
    return False


def spec_settings(path: str, config: Config | None, cli: Settings) -> tuple[dict[str, Any], dict[str, list[Any]],
                                                                        Settings]:
    """The config's constants, matrix and settings for one spec (its [[overrides]] applied), with
    the flags' settings on top."""
    define: dict[str, Any] = dict(config.define) if config else {}
    matrix: dict[str, list[Any]] = dict(config.matrix) if config else {}
    settings = config.settings if config else Settings()
    for o in (config.overrides if config else []):
        if _matches(config, path, o.patterns):  # type: ignore[arg-type]
            define.update(o.define)
            matrix.update(o.matrix)
            settings = o.settings.over(settings)
    return define, matrix, cli.over(settings)


def plan_runs(spec_args: Sequence[str], config: Config | None, cli_defines: dict[str, Any],
              cli: Settings) -> list[Run]:
    """Every run to make: the specs (arguments, else the config's), each under each matrix
    assignment of the constants it declares."""
    if spec_args:
        paths = expand_specs(spec_args)
    elif config is not None and config.specs:
        paths = []
        for pattern in config.specs:
            try:
                paths.extend(expand_specs([pattern], config.root))
            except UsageError as e:
                raise config.error(["specs"], str(e), needle=pattern) from None
        paths = sorted(set(paths), key=lambda p: p.replace("\\", "/"))
    else:
        where = f" (nor in {config.path})" if config is not None else ""
        raise UsageError("no spec given: name spec files or directories, or set `specs` in "
                         f"[tool.papcheck] of pyproject.toml or in papcheck.toml{where}")
    single = len(paths) == 1 and bool(spec_args)
    runs: list[Run] = []
    declared_anywhere: set[str] = set()
    any_parsed = False
    for path in paths:
        define, matrix, settings = spec_settings(path, config, cli)
        declared = declared_constants(path)
        if declared is not None:
            any_parsed = True
            declared_anywhere.update(declared)
            known = set(declared)
            define = {k: v for k, v in define.items() if k in known}
            matrix = {k: v for k, v in matrix.items() if k in known}
        for k in cli_defines:
            matrix.pop(k, None)  # a flag beats the config's matrix
        # One spec named on the command line gets every -D, so a misspelt constant is reported
        # by the spec itself; across several specs a -D goes to the specs that declare it.
        flags = dict(cli_defines) if single or declared is None else {
            k: v for k, v in cli_defines.items() if k in declared}
        names = list(matrix)
        for values in itertools.product(*(matrix[n] for n in names)):
            assignment = dict(zip(names, values))
            runs.append(Run(path, {**define, **assignment, **flags}, assignment, settings))
    if not single and any_parsed:
        for k in cli_defines:
            if k not in declared_anywhere:
                raise UsageError(f"-D {k}: no spec declares a constant '{k}'")
        if config is not None and not spec_args:
            _check_config_constants(config, declared_anywhere)
    return runs


def _check_config_constants(cfg: Config, declared: set[str]) -> None:
    """A config constant no checked spec declares is a typo, not something to skip silently."""
    tables: list[tuple[list[str | int], dict]] = [([], {"define": cfg.define, "matrix": cfg.matrix})]
    tables += [(["overrides", i], {"define": o.define, "matrix": o.matrix}) for i, o in enumerate(cfg.overrides)]
    for at, t in tables:
        for kind in ("define", "matrix"):
            for name in t[kind]:
                if name not in declared:
                    raise cfg.error(at + [kind, name], f"no checked spec declares a constant '{name}'",
                                    needle=name)


def global_settings(config: Config | None, cli: Settings) -> Settings:
    """Format and fail-on-incomplete: set once for the whole job."""
    return cli.over(config.settings if config else Settings())


# --------------------------------------------------------------------------------- judging


def failure_text(result: api.CheckResult) -> str:
    """The first thing that failed, in a few words."""
    if result.model_error is not None:
        return f"model error at line {result.model_error.line}: {result.model_error.message}"
    for p in result.properties:
        if p.status in ("violated", "unreachable"):
            what = "deadlock freedom" if p.kind == "deadlock_free" else f"{p.kind} {p.name}"
            return f"{what} {status_text(p)}"
    return result.verdict


def judge(result: api.CheckResult, *, gate: bool, fail_on_incomplete: bool = True) -> tuple[str, str, int]:
    """(status, reason, exit code) of one run: status pass, fail or incomplete."""
    v = result.verdict
    e = result.expectation
    want = "" if e is None else ("holds" if e["verdict"] == "holds" else "violated " + ", ".join(e["properties"]))
    if v == "incomplete":
        code = api.EXIT_INCOMPLETE if (fail_on_incomplete or not gate) else 0
        return "incomplete", f"not decided: {stop_text(result.stop_reason)}", code
    if not gate:
        tail = " (as the spec expects)" if e is not None and e["met"] else ""
        if v == "holds":
            return "pass", "holds" + tail, result.exit_code
        return "fail", failure_text(result) + tail, result.exit_code
    if e is not None and e["met"] is None:  # check --property: judge on the checked properties only
        return _judge_partial(result, e, want)
    if e is None or e["verdict"] == "holds":
        if v == "holds":
            return "pass", "holds" + (", as expected" if e is not None else ""), 0
        return "fail", failure_text(result) + ("; the spec expects it to hold" if e is not None else ""), 1
    if e["met"]:
        return "pass", f"{want}, as expected", 0
    if v == "holds":
        return "fail", f"holds, but the spec expects {want}", 1
    return "fail", f"{failure_text(result)}; the spec expects {want}", 1


def _judge_partial(result: api.CheckResult, e: dict[str, Any], want: str) -> tuple[str, str, int]:
    """Gate judgement when `--property` left some properties unchecked: the expectation is met
    when every checked property it names is violated and every other checked one holds."""
    checked = {p.name: p.status for p in result.properties}
    failed = {n for n, st in checked.items() if st in ("violated", "unreachable")}
    named = set(e["properties"]) if e["verdict"] != "holds" else set()
    judged = ", ".join(sorted(checked))
    if result.model_error is None and failed == (named & set(checked)):
        return "pass", f"as expected for the checked properties ({judged}; the spec expects {want})", 0
    if result.verdict == "holds":
        return "fail", f"holds for the checked properties ({judged}), but the spec expects {want}", 1
    return "fail", f"{failure_text(result)}; the spec expects {want} (checked: {judged})", 1


def outcome_of(result: api.CheckResult, path: str, matrix: dict[str, Any] | None = None, *, gate: bool,
               fail_on_incomplete: bool = True) -> Outcome:
    status, reason, code = judge(result, gate=gate, fail_on_incomplete=fail_on_incomplete)
    warnings = result.spec.diagnostics.render() if result.spec.diagnostics.warnings else ""
    return Outcome(path, dict(matrix or {}), result, status, reason, code, gate, fail_on_incomplete,
                   warnings=warnings)


def run_one(run: Run, *, gate: bool, fail_on_incomplete: bool = True,
            progress: ProgressFn | None = None) -> Outcome:
    """Load and check one run; a broken spec becomes an "error" outcome, not an exception."""
    try:
        spec = api.load(run.path, run.constants)
    except SpecError as e:
        errs = e.diagnostics.errors
        n = len(errs)
        return Outcome(run.path, dict(run.matrix), None, "error", f"{n} error{'s' if n != 1 else ''} in the spec",
                       api.EXIT_SPEC_ERROR, gate, fail_on_incomplete,
                       problems=[Problem(d.span.line, d.span.col, d.message) for d in errs],
                       error_text=e.diagnostics.render())
    except UsageError as e:
        return Outcome(run.path, dict(run.matrix), None, "error", str(e), api.EXIT_USAGE, gate, fail_on_incomplete,
                       problems=[Problem(0, 0, str(e))], error_text=f"papcheck: error: {e}")
    options = run.check_options()
    if gate and options.get("properties"):  # across specs, --property names what each spec has
        own = {p.name for p in spec.checked.properties}
        options["properties"] = [n for n in options["properties"] if n in own]
        if not options["properties"]:
            msg = (f"--property {', '.join(run.settings.properties or ())}: the spec has none of these properties "
                   f"(its properties: {', '.join(sorted(own)) or 'none'})")
            return Outcome(run.path, dict(run.matrix), None, "error", msg, api.EXIT_USAGE, gate, fail_on_incomplete,
                           problems=[Problem(0, 0, msg)], error_text=f"papcheck: error: {msg}")
    try:
        result = api.check(spec, progress=progress, **options)
    except UsageError as e:
        return Outcome(run.path, dict(run.matrix), None, "error", str(e), api.EXIT_USAGE, gate, fail_on_incomplete,
                       problems=[Problem(0, 0, str(e))], error_text=f"papcheck: error: {e}")
    return outcome_of(result, run.path, run.matrix, gate=gate, fail_on_incomplete=fail_on_incomplete)


def run_all(runs: Sequence[Run], *, gate: bool, fail_on_incomplete: bool = True,
            progress: Callable[[Run], ProgressFn | None] | None = None) -> list[Outcome]:
    return [run_one(r, gate=gate, fail_on_incomplete=fail_on_incomplete,
                    progress=progress(r) if progress else None) for r in runs]


def exit_code(outcomes: Sequence[Outcome]) -> int:
    return combine_exit_codes(o.exit_code for o in outcomes)

