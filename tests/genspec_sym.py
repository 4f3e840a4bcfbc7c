"""Random small symmetric protocols whose data carries instance ids: a hypothesis strategy.

    from hypothesis import given
    from tests.genspec_sym import symmetric_protocols

    @given(symmetric_protocols())
    def test_something(p: SymProtocol) -> None:
        spec = api.load_text(p.text)

Kept apart from tests/genspec.py (the general generator) on purpose: every protocol drawn here
is built so that the symmetry proof holds for machine W (2 or 3 instances), and exercises the
containers of instance ids that symmetry must rename: channels of ids (`chan[W, c]`), channels of
records carrying ids, a mailbox map of channels (`map[W, chan[W, 1]]`), sets of ids, maps keyed by
ids, maps whose values are ids (`map[W, W?]`), optional ids (`W?`, starting at `none`) in shared
and local variables and in record fields, a map of maps keyed by ids, a record holding a set of
ids; and the symmetric operations on them: assigning,
comparing with == / !=, sending, receiving, `in`, set add/remove, map keys.  A single server
machine S consumes the queues.

Guarantees: the text loads (`api.load_text`), W is interchangeable (symmetry applies), and no
reachable state raises a model error (sends are guarded by a capacity test, `none` is never used
to name an instance).  The state space may still be large: a test bounds its search and rejects
(hypothesis `assume`) what it cannot finish.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

# Every shared declaration a template may need, by name (declared only when used).
_SHARED = {
    "q": "var q: chan[W, {cap}]",
    "rq": "var rq: chan[Msg, {cap}]",
    "served": "var served: set[W] = {{}}",
    "flag": "var flag: map[W, bool] = false",
    "box": "var box: map[W, chan[W, 1]]",
    "leader": "var leader: W?",
    "owner": "var owner: map[W, W?]",
    "last": "var last: Rec",
    "adj": "var adj: map[W, map[W, bool]] = false",
    "grp": "var grp: Grp",
}
_TYPES = {
    "rq": "type Msg = record { src: W, tag: 0..1 }",
    "last": "type Rec = record { who: W?, n: 0..1 }",
    "grp": "type Grp = record { mem: set[W], head: W? }",
}
_LOCALS = {"peer": "var peer: W?", "cnt": "var cnt: 0..1"}

# (shared and local names used, transition text without the target)
_W_TEMPLATES: list[tuple[tuple[str, ...], str]] = [
    (("q",), "on snd when len(q) < {cap} {{ send self to q }}"),
    (("q", "peer"), "on sndp when peer != none and len(q) < {cap} {{ send peer to q }}"),
    (("peer",), "on pick(j: W) when j != self {{ peer := j }}"),
    (("peer",), "on clr {{ peer := none }}"),
    (("peer",), "on look(j: W) when j != self and W[j] at {st} {{ peer := j }}"),
    (("served",), "on add when self not in served {{ served.add(self) }}"),
    (("served",), "on rem when self in served {{ served.remove(self) }}"),
    (("flag",), "on setf {{ flag[self] := not flag[self] }}"),
    (("flag",), "on peek(j: W) when flag[j] and j != self {{ flag[self] := true }}"),
    (("box", "peer"), "on mail when peer != none and len(box[peer]) < 1 {{ send self to box[peer] }}"),
    (("box", "peer"), "on hear recv x from box[self] {{ peer := x }}"),
    (("box",), "on ping(j: W) when j != self and len(box[j]) < 1 {{ send self to box[j] }}"),
    (("leader",), "on lead when leader == none {{ leader := self }}"),
    (("leader",), "on unlead when leader == self {{ leader := none }}"),
    (("leader", "peer"), "on follow when leader != none and leader != self {{ peer := leader }}"),
    (("owner",), "on own(j: W) when owner[j] == none {{ owner[j] := self }}"),
    (("owner",), "on disown(j: W) when owner[j] == self {{ owner[j] := none }}"),
    (("owner", "peer"), "on who when owner[self] != none {{ peer := owner[self] }}"),
    (("rq", "cnt"), "on rsnd when len(rq) < {cap} {{ send {{src = self, tag = cnt}} to rq }}"),
    (("cnt",), "on tick {{ cnt := 1 - cnt }}"),
    (("last", "cnt"), "on mark {{ last := {{who = self, n = cnt}} }}"),
    (("last", "peer"), "on copy when peer != none {{ last.who := peer }}"),
    (("last",), "on forget when last.who == self {{ last.who := none }}"),
    (("adj",), "on link(j: W) when j != self {{ adj[self][j] := true }}"),
    (("adj",), "on unlink(j: W) when adj[j][self] {{ adj[j][self] := false }}"),
    (("grp",), "on join when self not in grp.mem {{ grp.mem.add(self) }}"),
    (("grp",), "on head when self in grp.mem and grp.head == none {{ grp.head := self }}"),
    (("grp",), "on quit when grp.head == self {{ grp := {{mem = {{}}, head = none}} }}"),
    # comprehensions of ids are sets (symmetric); a loop over a domain that is not W is too
    (("served", "flag"), "on gather {{ served := {{j in W where flag[j]}} }}"),
    (("served", "owner"), "on owned {{ served := {{owner[j] for j in W where owner[j] != none}} }}"),
    (("cnt",), "on spin {{ for k in 0..1 {{ if k == cnt {{ cnt := 1 - k }} }} }}"),
]

# Server transitions: (names used, text); x is the received id
_S_TEMPLATES: list[tuple[tuple[str, ...], str]] = [
    (("q",), "on srv recv x from q {{ skip }}"),
    (("q", "served"), "on srv recv x from q {{ if x in served {{ served.remove(x) }} else {{ served.add(x) }} }}"),
    (("q", "leader"), "on srv recv x from q {{ leader := x }}"),
    (("q", "owner"), "on srv recv x from q {{ owner[x] := x }}"),
    (("q", "box"), "on srv recv x from q {{ if len(box[x]) < 1 {{ send x to box[x] }} }}"),
    (("q", "flag"), "on srv recv x from q when not flag[x] {{ flag[x] := true }}"),
    (("rq", "leader"), "on rsrv recv m from rq {{ leader := m.src }}"),
    (("rq", "served"), "on rsrv recv m from rq {{ if m.tag == 1 {{ served.add(m.src) }} }}"),
    (("rq", "last"), "on rsrv recv m from rq {{ last := {{who = m.src, n = m.tag}} }}"),
    (("served",), "on wake(j: W) when j in served and W[j] at {st} {{ served.remove(j) }}"),
]

# Symmetric properties, by the names they need ({top}: W's last state).
_PROPS: list[tuple[tuple[str, ...], str]] = [
    ((), "invariant p_{k}: forall i in W: not (W[i] at {top})"),
    ((), "invariant p_{k}: forall i in W: forall j in W: i != j => not (W[i] at {top} and W[j] at {top})"),
    (("q",), "invariant p_{k}: len(q) < {cap}"),
    (("served",), "invariant p_{k}: len(served) < 2"),
    (("peer",), "invariant p_{k}: forall i in W: W[i].peer != i"),
    (("peer",), "reachable p_{k}: exists i in W: exists j in W: W[i].peer == j and W[j].peer == i"),
    (("leader", "served"), "reachable p_{k}: leader != none and leader in served"),
    (("owner",), "invariant p_{k}: forall i in W: owner[i] == none or owner[i] == i"),
    (("last",), "reachable p_{k}: last.who != none and W[last.who] at {top}"),
    (("box",), "reachable p_{k}: forall i in W: len(box[i]) == 1"),
    (("adj",), "invariant p_{k}: forall i in W: forall j in W: adj[i][j] => not adj[j][i]"),
    (("grp",), "invariant p_{k}: grp.head == none or grp.head in grp.mem"),
    (("served",), "invariant p_{k}: {{i in W where i in served}} == served"),
]


@dataclass(frozen=True)
class SymProtocol:
    text: str  # the spec, with its properties
    bare: str  # the same spec without properties (explores the whole reachable space)
    n: int  # instances of W


@st.composite
def symmetric_protocols(draw, max_n: int = 3) -> SymProtocol:
    n = draw(st.sampled_from([2, 2, 3][: 3 if max_n >= 3 else 2]))
    cap = draw(st.integers(1, 2))
    nstates = draw(st.integers(2, 3))
    states = [f"s{i}" for i in range(nstates)]
    used: set[str] = set()
    w_states = []
    for s in states:
        k = draw(st.integers(1 if s == "s0" else 0, 2))
        trs = []
        for _ in range(k):
            names, text = draw(st.sampled_from(_W_TEMPLATES))
            target = draw(st.sampled_from(states + [""]))
            used.update(names)
            tr = _rename(text.format(cap=cap, st=draw(st.sampled_from(states))), f"_{s}_{len(trs)}")
            trs.append("    " + tr + (f" -> {target}" if target and target != s else ""))
        w_states.append(f"  state {s} {{\n" + "\n".join(trs) + ("\n" if trs else "") + "  }")
    s_trs = []
    for _ in range(draw(st.integers(0, 2))):
        names, text = draw(st.sampled_from(_S_TEMPLATES))
        used.update(names)
        s_trs.append("    " + _rename(text.format(st=draw(st.sampled_from(states))), f"_{len(s_trs)}"))
    # a channel nobody reads is still fine; a server for each queue keeps queues moving
    if "q" in used and not any("from q" in t for t in s_trs):
        s_trs.append("    on srv recv x from q { skip }")
    if "rq" in used and not any("from rq" in t for t in s_trs):
        s_trs.append("    on rsrv recv m from rq { skip }")
    props = []
    for k in range(draw(st.integers(0, 2))):
        names, text = draw(st.sampled_from(_PROPS))
        if any(x in _LOCALS for x in names):
            used.update(x for x in names if x in _LOCALS)
        if not set(names) <= used | set(_LOCALS):
            continue
        used.update(names)
        props.append(text.format(k=k, cap=cap, top=states[-1]))
    head = ["protocol Sym"]
    head += [_TYPES[x] for x in _TYPES if x in used]
    head += [_SHARED[x].format(cap=cap) for x in _SHARED if x in used]
    locals_ = [f"  {_LOCALS[x]}" for x in _LOCALS if x in used]
    body = [f"machine W[{n}] {{"] + locals_ + w_states + ["}"]
    if s_trs:
        body += ["machine S {", "  state serve {"] + s_trs + ["  }", "}"]
    bare = "\n".join(head + body) + "\n"
    return SymProtocol(bare + "".join(p + "\n" for p in props), bare, n)


def _rename(tr: str, suffix: str) -> str:
    """Give a transition a name of its own (`on snd` -> `on snd_s0_1`)."""
    name = tr.split()[1].split("(")[0]
    return tr.replace(f"on {name}", f"on {name}{suffix}", 1)
