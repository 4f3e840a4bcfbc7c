"""Symmetry over data that carries instance ids (issue 18): channels of ids, mailboxes, records
and optional ids (`W?`, `none`).

Every reduced search here is judged against independent references:
* the unreduced search (`symmetry=False`): verdicts, property statuses, trace lengths;
* the exact number of orbits, computed by brute force in this file: every reachable state of
  the unreduced search is decoded to user values, every permutation of W's instances is applied
  to those values (instances' slices moved, ids renamed inside channels, sets, maps, records),
  and the least re-encoded image is the orbit's representative.  The reduced store must hold
  exactly these representatives;
* Rumur's `--symmetry-reduction exhaustive` on scalarset twins (models/*_scalarset.m).
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, find, given, settings

from checker import api
from checker.api import Limits
from checker.lang.errors import SpecError
from checker.lang.types import ChanT, MapT, RangeT, RecordT, SetT
from checker.reduce.symmetry import symmetric_machines
from tests.genspec_sym import SymProtocol, symmetric_protocols

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------ the issue's specs

CHMIN = """protocol ChMin
const N = 3
var q: chan[W, 2]
machine W[N] {
  state idle { on req when len(q) < 2 { send self to q } -> sent }
  state sent { }
}
machine S { state s { on serve recv x from q { skip } } }
"""

CHSET = CHMIN.replace("var q: chan[W, 2]", "var q: chan[W, 2]\nvar served: set[W] = {}").replace(
    "when len(q) < 2 {", "when len(q) < 2 and self not in served {").replace(
    "on serve recv x from q { skip }", "on serve recv x from q { served.add(x) }")

CH2 = (ROOT / "models" / "ch2.pap").read_text()

# variants: a queue of records carrying ids, a mailbox map of channels, optional ids
RECQ = """protocol RecQ
const N = 3
type Msg = record { src: W, tag: 0..1 }
var q: chan[Msg, 2]
var last: W?
machine W[N] {
  var t: 0..1
  state idle { on req when len(q) < 2 { send {src = self, tag = t} to q; t := 1 - t } -> sent }
  state sent { on back when last == self { last := none } -> idle }
}
machine S { state s { on serve recv m from q when m.tag == 0 or last == none { last := m.src } } }
invariant inv: last == none or W[last] at sent or W[last] at idle
"""

MAIL = (ROOT / "models" / "mail.pap").read_text()

# a violation that needs ids moving through a queue: the trace must replay concretely
BADQ = """protocol BadQ
const N = 3
var q: chan[W, 2]
var got: set[W] = {}
machine W[N] {
  var peer: W?
  state idle {
    on pick(j: W) when j != self and peer == none { peer := j }
    on tell when peer != none and len(q) < 2 { send peer to q; peer := none } -> told
  }
  state told { }
}
machine S { state s { on serve recv x from q { got.add(x) } } }
invariant few: len(got) < 2
"""

# two symmetric machines whose ids travel together in one queue
TWO = """protocol Two
type Msg = record { w: W, v: V? }
var q: chan[Msg, 2]
machine W[2] {
  state s0 {
    on ask(j: V) when len(q) < 2 { send {w = self, v = j} to q } -> s1
    on any when len(q) < 2 { send {w = self, v = none} to q } -> s1
  }
  state s1 { on again when len(q) == 0 { skip } -> s0 }
}
machine V[2] {
  var last: W?
  state idle { on take recv m from q when m.v == none or m.v == self { last := m.w } }
}
"""

# the server keeps the last id it served in a local; W's own ids start as themselves
SLOCAL = CHSET.replace("machine S { state s {", "machine S { var cur: W? = none\n state s {").replace(
    "{ served.add(x) }", "{ served.add(x); cur := x }").replace(
    "machine W[N] {", "machine W[N] {\n  var me: W = self")

SPECS = {"slocal": SLOCAL, "chmin3": CHMIN, "chmin2": CHMIN.replace("const N = 3", "const N = 2"), "chset": CHSET, "chset2": CHSET.replace("const N = 3", "const N = 2"),
         "ch2": CH2, "ch2_3": CH2.replace("const N = 2", "const N = 3"), "recq": RECQ, "badq": BADQ,
         "mail": MAIL}


# ------------------------------------------------------------------------------ the references


def _rename(v, t, pm: dict):
    """User value v of type t with every id of each machine in pm renamed by its permutation
    (none stays none)."""
    if isinstance(t, RangeT):
        return pm[t.instance_of][v] if t.instance_of in pm and v >= 0 else v
    if isinstance(t, SetT):
        return frozenset(_rename(x, t.elem, pm) for x in v)
    if isinstance(t, MapT):
        moved = {_rename(k, t.key, pm): _rename(x, t.value, pm) for k, x in v}
        return tuple((k, moved[k]) for k in t.key.values())
    if isinstance(t, RecordT):
        return tuple((f, _rename(x, ft, pm)) for (f, x), (_, ft) in zip(v, t.fields))
    if isinstance(t, ChanT):
        return tuple(_rename(x, t.elem, pm) for x in v)
    return v


def _reachable(model, limit: int = 30000) -> set[int]:
    seen = set(model.initial_states())
    todo = list(seen)
    while todo:
        s = todo.pop()
        for t in model.successors(s):
            if t not in seen:
                seen.add(t)
                todo.append(t)
                assert len(seen) <= limit, "state space too large for the brute-force reference"
    return seen


def _orbit_minima(model, states: set[int], counts: dict[str, int]) -> set[int]:
    """The least encoding in each state's orbit under all permutations of the machines' instances."""
    lay = model.layout
    by_key = {(sl.machine.name if sl.machine else None, sl.instance, sl.var.name if sl.var else None): sl
              for sl in lay.slots}
    names = sorted(counts)
    perms = [dict(zip(names, c)) for c in itertools.product(
        *(itertools.permutations(range(counts[x])) for x in names))]
    moves = []  # per permutation: slot display -> display of the slot it moves to
    for pm in perms:
        target = {}
        for sl in lay.slots:
            if sl.machine is not None and sl.machine.name in pm:
                dest = by_key[(sl.machine.name, pm[sl.machine.name][sl.instance], sl.var.name if sl.var else None)]
                target[sl.display] = dest.display
        moves.append(target)
    out = set()
    for s in states:
        vals = lay.decode(s)
        best = None
        for pm, target in zip(perms, moves):
            img = {target.get(sl.display, sl.display): _rename(vals[sl.display], sl.type, pm) for sl in lay.slots}
            e = lay.encode(img)
            best = e if best is None or e < best else best
        out.add(best)
    return out


def _assert_exact(text: str, names: tuple[str, ...] = ("W",)) -> tuple[int, int]:
    """The reduced store holds exactly one state per orbit: the brute-force representative.
    Properties are dropped, so that both searches cover the whole reachable space."""
    text = "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith(("invariant ", "reachable ", "deadlock_free")))
    spec = api.load_text(text)
    counts = {m.name: m.count for m in spec.checked.machines if m.name in names}
    assert [x.name for x in symmetric_machines(spec.checked)] == list(names)
    states = _reachable(spec.model)
    minima = _orbit_minima(spec.model, states, counts)
    reduced = api.check(spec, por=False, symmetry=True)
    assert reduced.reductions.symmetric_machines == list(names)
    assert not reduced.reductions.symmetry_notes
    stored = set(reduced.search.store._parent)
    assert len(stored) == reduced.stats.states
    # each stored state is a reachable state, and they are one per orbit, every orbit covered
    assert stored <= states, "the reduced search stored states that are not reachable"
    reps = _orbit_minima(spec.model, stored, counts)
    assert len(reps) == len(stored) and reps == minima, f"{len(stored)} reduced states, {len(minima)} orbits"
    return len(states), len(minima)


def _summary(r) -> tuple:
    props = tuple((p.name, p.status, len(p.trace.steps) if p.trace else None) for p in r.properties)
    me = (r.model_error.message, len(r.model_error.trace.steps)) if r.model_error else None
    return r.verdict, props, me


def _replays(spec, r) -> None:
    """Every trace is a concrete run of the unreduced model: initial, then successors."""
    model = spec.model
    traces = [p.trace for p in r.properties if p.trace is not None]
    if r.model_error is not None:
        traces.append(r.model_error.trace)
    for tr in traces:
        states = [model.layout.encode(step.state) for step in tr.steps]
        assert states[0] in model.initial_states()
        for a, b in zip(states, states[1:]):
            assert b in model.successors(a)


def _assert_agree(text: str, limits: Limits | None = None) -> None:
    """Default reductions and --no-symmetry agree; --no-por with and without symmetry agree."""
    spec = api.load_text(text)
    for por in (True, False):
        plain = api.check(spec, por=por, symmetry=False, limits=limits)
        reduced = api.check(spec, por=por, symmetry=True, limits=limits)
        assert reduced.reductions.symmetric_machines and not reduced.reductions.symmetry_notes
        assert _summary(reduced) == _summary(plain)
        _replays(spec, reduced)


# ------------------------------------------------------------------------------ regression


@pytest.mark.parametrize("name", sorted(SPECS))
def test_issue_specs_agree_with_no_symmetry_and_count_orbits(name: str) -> None:
    _assert_agree(SPECS[name])
    _assert_exact(SPECS[name])


def test_issue_numbers() -> None:
    # issue 18: W[2] has 10 reachable states in 6 orbits (the buggy canonicalizer stored 9);
    # the served-set variant and Ch2 hold with 10 states unreduced
    assert _assert_exact(SPECS["chmin2"]) == (10, 6)
    assert _assert_exact(SPECS["ch2"]) == (10, 6)
    assert _assert_exact(SPECS["chmin3"])[0] == 32
    assert _assert_exact(SPECS["chset2"])[0] == 10  # the buggy reduced search stored 22
    r = api.check(api.load_text(CH2))
    assert r.verdict == "holds" and r.model_error is None


def test_a_violation_through_a_queue_of_ids_replays() -> None:
    spec = api.load_text(BADQ)
    plain = api.check(spec, symmetry=False)
    for strategy in ("bfs", "dfs"):
        r = api.check(spec, strategy=strategy)
        assert r.verdict == "violated" and r.reductions.symmetric_machines == ["W"]
        _replays(spec, r)
        if strategy == "bfs":
            assert _summary(r) == _summary(plain)


# ------------------------------------------------------------------------------ Rumur twins


def _rumur(model: Path, n: int, symmetry: str, tmp: Path) -> tuple[int, int]:
    import re
    text = re.sub(r"const N: \d+;", f"const N: {n};", model.read_text())
    (tmp / "m.m").write_text(text)
    subprocess.run(["rumur", "--symmetry-reduction", symmetry, "--output", str(tmp / "m.c"), str(tmp / "m.m")],
                   check=True, capture_output=True)
    subprocess.run(["cc", "-std=c11", "-O0", "-mcx16", "-o", str(tmp / "m"), str(tmp / "m.c"), "-lpthread"],
                   check=True, capture_output=True)
    out = subprocess.run([str(tmp / "m")], capture_output=True, text=True).stdout
    m = re.search(r"(\d+) states, (\d+) rules fired", out)
    assert m and "No error found" in out, out
    return int(m.group(1)), int(m.group(2))


@pytest.mark.rumur
@pytest.mark.parametrize("twin, spec, n", [("ch2_scalarset.m", "ch2", 2), ("ch2_scalarset.m", "ch2", 3),
                                           ("mail_scalarset.m", "mail", 2), ("mail_scalarset.m", "mail", 3)])
def test_counts_match_rumur_exhaustive(twin: str, spec: str, n: int, tmp_path: Path) -> None:
    if not (shutil.which("rumur") and shutil.which("cc")):
        pytest.skip("rumur or cc missing")
    s = api.load_text(SPECS[spec], constants={"N": n})
    plain = api.check(s, por=False, symmetry=False)
    reduced = api.check(s, por=False, symmetry=True)
    assert reduced.reductions.symmetric_machines == ["W"]
    assert (plain.stats.states, plain.stats.transitions) == _rumur(ROOT / "models" / twin, n, "off", tmp_path)
    assert (reduced.stats.states, reduced.stats.transitions) == _rumur(ROOT / "models" / twin, n, "exhaustive",
                                                                        tmp_path)


# ------------------------------------------------------------------------------ generated


def _usable(p: SymProtocol) -> bool:
    spec = api.load_text(p.bare)
    r = api.check(spec, por=False, symmetry=False, limits=Limits(max_states=4000))
    return r.verdict != "incomplete"


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(symmetric_protocols())
def test_generated_protocols_reduce_exactly_and_agree(p: SymProtocol) -> None:
    assume(_usable(p))
    _assert_exact(p.bare)
    _assert_agree(p.text)


# ------------------------------------------------------------------------------ mutation


def _all_slots_chan_remapper(monkeypatch) -> None:
    """The bug of issue 18: rename every slot of a channel, empty ones included."""
    from checker.reduce import symmetry as R
    real = R._raw_remapper

    def mutant(t, names):
        if not isinstance(t, ChanT) or not R._mentions_any(t, names):
            return real(t, names)
        lw, ew, cap = t.len_width, t.elem.width, t.capacity
        inner = real(t.elem, names)

        def chan_map(raw, pm):
            out = raw & ((1 << lw) - 1)
            for k in range(cap):
                out |= inner(((raw >> (lw + k * ew)) & ((1 << ew) - 1)), pm) << (lw + k * ew)
            return out
        return chan_map
    monkeypatch.setattr(R, "_raw_remapper", mutant)


def test_mutation_of_channel_remapping_is_caught(monkeypatch) -> None:
    _all_slots_chan_remapper(monkeypatch)
    with pytest.raises(AssertionError):
        _assert_exact(SPECS["chmin2"])
    with pytest.raises(AssertionError):
        _assert_agree(CH2)

    # and the generator finds a protocol the mutant gets wrong on its own
    def wrong(p: SymProtocol) -> bool:
        if not _usable(p):
            return False
        try:
            _assert_exact(p.bare)
        except AssertionError:
            return True
        return False
    found = find(symmetric_protocols(max_n=2), wrong,
                 settings=settings(max_examples=300, deadline=None, database=None, derandomize=True,
                                   suppress_health_check=list(HealthCheck)))
    assert "chan[" in found.bare


# ------------------------------------------------------------------------------ never a crash


def test_a_value_the_canonicalizer_cannot_rename_is_a_note_and_an_unreduced_search(monkeypatch) -> None:
    from checker.reduce import symmetry as R
    real = R._raw_remapper

    def fragile(t, names):
        f = real(t, names)
        if f is None or not isinstance(t, ChanT):
            return f

        def g(raw, pm):
            if raw & 3 == 2:  # two messages queued: pretend this cannot be renamed
                raise IndexError("tuple index out of range")
            return f(raw, pm)
        return g
    monkeypatch.setattr(R, "_raw_remapper", fragile)
    spec = api.load_text(CHMIN, path="chmin.pap")
    r = api.check(spec)
    plain = api.check(spec, symmetry=False)
    assert r.reductions.symmetric_machines == []
    assert (r.verdict, r.stats.states) == (plain.verdict, plain.stats.states)
    note = "\n".join(r.reductions.symmetry_notes)
    assert note.startswith("chmin.pap:3:1: note: cannot apply symmetry here: the value of q")
    assert "^" in note
    from checker.views.report import render_text
    assert "cannot apply symmetry here" in render_text(r)


def test_cli_reports_the_note_with_a_normal_exit(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from checker.cli import main
    from checker.reduce import symmetry as R
    real = R._raw_remapper

    def broken(t, names):
        f = real(t, names)
        return (lambda raw, pm: (_ for _ in ()).throw(KeyError("x"))) if isinstance(t, ChanT) and f else f
    monkeypatch.setattr(R, "_raw_remapper", broken)
    path = tmp_path / "ch2.pap"
    path.write_text(CH2)
    res = CliRunner().invoke(main, ["check", str(path), "--no-timing"])
    assert res.exit_code == 0, res.output
    assert "note: cannot apply symmetry here" in res.output and "internal error" not in res.output


# ------------------------------------------------------------------------------ ids as data


PEER = """protocol Peer
var leader: W?
type Rec = record { p: W?, k: 0..1 }
var r: map[W, Rec]
machine W[3] {
  var peer: W?
  state idle {
    on pick(j: W) when j != self { peer := j; r[self].p := j } -> asked
    on elect when leader == none { leader := self }
  }
  state asked { on drop { peer := none; r[self] := {p = none, k = 1} } -> idle }
}
invariant inv: forall i in W: W[i].peer != i
"""


def test_instance_ids_can_be_assigned_compared_and_stored() -> None:
    spec = api.load_text(PEER)
    assert [m.name for m in symmetric_machines(spec.checked)] == ["W"]
    api.load_text(PEER.replace("machine W", "symmetric machine W"))
    _assert_exact(PEER)
    _assert_agree(PEER)
    r = api.check(spec)
    assert r.verdict == "holds"
    init = spec.model.decode(spec.model.initial_states()[0])
    assert init["leader"] == -1 and init["W[0].peer"] == -1  # `none` is the default of W?


@pytest.mark.parametrize("change, reason", [
    ("peer := j;", None),
    ("peer := 0;", "names a particular instance"),
    ("peer := j; if peer == 1 { skip }", "names a particular instance"),
    ("peer := j; if j < self { skip }", "instance index as a number"),
    ("peer := j; if leader != none and leader + 1 > 1 { skip }", "instance index as a number"),
])
def test_what_still_breaks_symmetry(change: str, reason) -> None:
    text = PEER.replace("peer := j;", change, 1)
    spec = api.load_text(text)
    assert (symmetric_machines(spec.checked) == []) == (reason is not None)
    if reason is not None:
        with pytest.raises(SpecError) as err:
            api.load_text(text.replace("machine W", "symmetric machine W"))
        assert reason in str(err.value)


def test_a_shared_id_that_starts_at_an_instance_is_not_symmetric() -> None:
    text = PEER.replace("var leader: W?", "var leader: W?\nvar first: W")
    assert symmetric_machines(api.load_text(text).checked) == []
    with pytest.raises(SpecError) as err:
        api.load_text(text.replace("machine W", "symmetric machine W"))
    assert "the initial value of 'first' singles out instances" in str(err.value)


def test_none_errors_are_located() -> None:
    cases = [
        ("var leader: W?", "var leader: W?\nvar x: 0..3 = none", "has type none, expected 0..3"),
        ("var leader: W?", "var leader: W?\nvar s: set[W?]", "set elements cannot be W?"),
        ("var leader: W?", "var leader: W?\nvar m: map[W?, bool]", "map keys cannot be W?"),
        ("var leader: W?", "var leader: W?\nvar b: Rec?", "only a machine's instances can be optional"),
        ("leader := self", "leader := none + 1", "must be an integer, but this is none"),
        ("leader := self", "leader := self; if W[none] at idle { skip }", "must be an integer, but this is none"),
        ("when leader == none", "when leader == none and 1 != none", "compares none with an integer"),
    ]
    for old, new, message in cases:
        with pytest.raises(SpecError) as err:
            api.load_text(PEER.replace(old, new, 1), path="p.pap")
        text = str(err.value)
        assert message in text, (new, text)
        assert text.startswith("p.pap:") and "^" in text, text


def test_none_as_a_name_can_be_declared() -> None:
    # `none` is a built-in name, not a keyword: a spec may declare its own
    spec = api.load_text("protocol P\ntype K = enum { none, some }\nvar k: K = none\n"
                         "machine M { state s { on go { k := some } } }\n")
    assert api.check(spec).verdict == "holds"


def test_two_symmetric_machines_sharing_a_queue() -> None:
    _assert_exact(TWO, ("W", "V"))  # in declaration order
    spec = api.load_text(TWO)
    for por in (True, False):
        assert _summary(api.check(spec, por=por)) == _summary(api.check(spec, por=por, symmetry=False))


@pytest.mark.parametrize("flags", [[], ["--no-por"], ["--strategy", "dfs"], ["--no-symmetry"]])
def test_the_issue_commands(flags: list[str], tmp_path: Path) -> None:
    # issue 18: these ended in "internal error: IndexError" (ChMin) and "RuntimeError: trace
    # step not reproducible under symmetry" (Ch2), exit 70
    from click.testing import CliRunner

    from checker.cli import main
    for name, text, states in (("chmin.pap", CHMIN, "32" if "--no-symmetry" in flags else "9"),
                               ("ch2.pap", CH2, "10" if "--no-symmetry" in flags else "6")):
        path = tmp_path / name
        path.write_text(text)
        res = CliRunner().invoke(main, ["check", str(path), "--no-timing", *flags])
        assert res.exit_code == 0, res.output
        assert f"States: {states} distinct" in res.output and "Verdict: HOLDS" in res.output


COND = """protocol Cond
var leader: W?
machine W[3] {
  var peer: W?
  state idle {
    on pick(j: W) when j != self { peer := if leader == none then j else none; leader := if peer == none then self else leader } -> done
  }
  state done { on back { peer := none } -> idle }
}
invariant inv: forall i in W: W[i].peer != i
"""


def test_conditional_ids_are_ids() -> None:
    # `if c then j else none` is an M?, and `if c then self else leader` an id, not a number
    api.load_text(COND.replace("machine W", "symmetric machine W"))
    _assert_exact(COND)
    _assert_agree(COND)
    with pytest.raises(SpecError) as err:
        api.load_text(COND.replace("then j else none", "then 1 else none"))
    assert "only an instance id (M or M?) can be paired with none" in str(err.value)


def test_optional_types_print_and_reparse() -> None:
    from checker.lang.errors import SourceFile
    from checker.lang.parser import parse
    from checker.lang.pretty import pretty_spec
    text = pretty_spec(parse(SourceFile("p.pap", PEER)))
    assert "var leader: W?" in text and "peer := none" in text
    assert pretty_spec(parse(SourceFile("q.pap", text))) == text
    assert _summary(api.check(api.load_text(text))) == _summary(api.check(api.load_text(PEER)))


def test_none_used_as_an_instance_is_a_model_error_that_says_none() -> None:
    text = """protocol Sn
var q: chan[W, 2]
machine W[2] {
  var peer: W?
  state idle { on a when len(q) < 2 { send peer to q } }
}
"""
    for change, line in (("send peer to q", 5), ("send self to q; if W[peer] at idle { skip }", 5)):
        r = api.check(api.load_text(text.replace("send peer to q", change)))
        assert r.model_error is not None and r.model_error.line == line
        assert r.model_error.message.endswith("-1 is none, which names no instance"), r.model_error.message
