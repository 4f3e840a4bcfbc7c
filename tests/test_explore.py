"""The explorer on a model written by hand in Python (no DSL: the core knows only the Model
interface), BFS and DFS, limits, stores, and DFS against BFS on the shipped specs."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from checker import api
from checker.engine.explore import Limits, explore, label_path, path_to
from checker.engine.model import Label, ModelError, PropertySpec
from tests.conftest import ROOT, SPECS

# --------------------------------------------------------------------------- a hand-made model


@dataclass
class Jugs:
    """The Die Hard water jugs: a 3- and a 5-gallon jug; can we measure 4 gallons?

    States are (small, big) tuples; the model is plain Python, no spec involved."""

    goal: int = 4
    mode: str = "invariant"  # "invariant": big != goal; "reachable": big == goal
    poison: tuple | None = None  # a state whose successors raise a model error

    def __post_init__(self) -> None:
        kind = "invariant" if self.mode == "invariant" else "reachable"
        self.properties = [PropertySpec(kind, "goal", 0)]
        if self.mode == "deadlock":
            self.properties = [PropertySpec("deadlock_free", "dl", 0)]

    ACTIONS = ("fill_small", "fill_big", "empty_small", "empty_big", "small_to_big", "big_to_small")

    def initial_states(self) -> list:
        return [(0, 0)]

    def labeled_successors(self, s) -> list:
        if s == self.poison:
            raise ModelError(7, s, Label(0))
        if self.mode == "deadlock" and s[1] == self.goal:
            return []  # stuck once the goal is reached
        a, b = s
        pour_ab = min(a, 5 - b)
        pour_ba = min(b, 3 - a)
        nexts = [(3, b), (a, 5), (0, b), (a, 0), (a - pour_ab, b + pour_ab), (a + pour_ba, b - pour_ba)]
        return [(Label(i), t) for i, t in enumerate(nexts)]

    def successors(self, s) -> list:
        return [t for _, t in self.labeled_successors(s)]

    def violated_invariant(self, s) -> int:
        return 0 if self.mode == "invariant" and s[1] == self.goal else -1

    def witnesses(self, s) -> int:
        return 1 if self.mode == "reachable" and s[1] == self.goal else 0

    def is_final(self, s) -> bool:
        return False


def reachable_closure(model) -> set:
    """All reachable states by a plain fixpoint, independent of the explorer."""
    seen = set(model.initial_states())
    frontier = list(seen)
    while frontier:
        nxt = []
        for s in frontier:
            for t in model.successors(s):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return seen


def test_hand_model_full_exploration():
    model = Jugs(goal=99)  # never reached: the invariant holds
    result = explore(model)
    everything = reachable_closure(model)
    assert result.complete and result.stop_reason == "done" and not result.findings
    assert result.stats.states == len(everything) == 16
    assert result.stats.transitions == 6 * len(everything)
    assert set(result.store._parent) == everything


def test_hand_model_violation_has_the_shortest_trace():
    model = Jugs()
    result = explore(model)
    [finding] = result.findings
    assert finding.kind == "invariant" and finding.prop == 0 and finding.state[1] == 4
    path = path_to(result.store, finding.state)
    assert len(path) - 1 == 6  # the film's solution takes six pourings; none is shorter
    assert path[0] == (0, 0)
    labels = label_path(model, path)
    names = [Jugs.ACTIONS[lab.action] for lab in labels]
    assert names == ["fill_big", "big_to_small", "empty_small", "big_to_small", "fill_big", "big_to_small"]


def test_hand_model_dfs_finds_the_violation_too():
    result = explore(Jugs(), strategy="dfs")
    assert result.findings and result.findings[0].kind == "invariant"
    path = path_to(result.store, result.findings[0].state)
    assert len(path) - 1 >= 6


def test_hand_model_reachable_witness():
    result = explore(Jugs(mode="reachable"))
    assert result.complete and not result.findings
    assert result.witnesses[0][1] == 4
    assert len(path_to(result.store, result.witnesses[0])) - 1 == 6


def test_hand_model_deadlock():
    result = explore(Jugs(mode="deadlock"))
    [finding] = result.findings
    assert finding.kind == "deadlock" and finding.state[1] == 4


def test_hand_model_model_error():
    result = explore(Jugs(goal=99, poison=(3, 5)))
    [finding] = result.findings
    assert finding.kind == "model_error" and finding.state == (3, 5)
    assert finding.error.code == 7 and finding.error.value == (3, 5)


def test_hand_model_limits():
    r = explore(Jugs(goal=99), limits=Limits(max_states=5))
    assert not r.complete and r.stop_reason == "max_states" and 5 <= r.stats.states <= 5 + 6
    r = explore(Jugs(goal=99), limits=Limits(max_depth=1))
    assert not r.complete and r.stop_reason == "max_depth"
    assert r.stats.states == len({(0, 0), (3, 0), (0, 5)})


def test_explorer_uses_the_store_it_is_given():
    class ListStore:
        """A deliberately different store (a list of pairs): only the Store interface is shared."""

        name = "list"

        def __init__(self) -> None:
            self.pairs: list[tuple] = []
            self.seen: set = set()
            self.inserts = 0

        def insert(self, state, parent) -> bool:
            self.inserts += 1
            if state in self.seen:
                return False
            self.seen.add(state)
            self.pairs.append((state, parent))
            return True

        def parent(self, state):
            return next(p for s, p in self.pairs if s == state)

        def __len__(self) -> int:
            return len(self.pairs)

        def memory_bytes(self) -> int:
            return 0

    store = ListStore()
    r = explore(Jugs(), store=store)
    assert r.store is store and store.inserts >= len(store) > 1
    assert [s for s, _ in store.pairs] == list(explore(Jugs()).store._parent)  # same BFS order
    path = path_to(store, r.findings[0].state)
    assert len(path) - 1 == 6 and path[0] == (0, 0)


def test_bfs_and_dfs_visit_the_same_states_of_a_complete_space():
    bfs = explore(Jugs(goal=99))
    dfs = explore(Jugs(goal=99), strategy="dfs")
    assert set(bfs.store._parent) == set(dfs.store._parent)
    assert bfs.stats.transitions == dfs.stats.transitions
    assert bfs.stats.depth <= dfs.stats.depth


def test_unknown_strategy_is_rejected():
    with pytest.raises(ValueError):
        explore(Jugs(), strategy="random")


# ------------------------------------------------------------------------- the shipped specs


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_dfs_finds_the_same_verdict_as_bfs(path):
    # the BFS result is the golden JSON of the same spec (tests/test_golden.py checks it is current)
    bfs = json.loads((ROOT / "tests" / "golden" / f"{path.stem}.json").read_text())
    dfs = api.check(api.load(str(path)), strategy="dfs")
    assert dfs.verdict == bfs["verdict"]
    assert dfs.expectation == bfs["expectation"] and dfs.expectation["met"] is True
    if dfs.verdict == "holds":
        assert [p.status for p in dfs.properties] == [p["status"] for p in bfs["properties"]]
