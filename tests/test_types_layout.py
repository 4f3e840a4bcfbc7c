"""Bit encodings of every type (hypothesis round trips) and the packed state layout."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import api
from checker.engine.layout import Layout
from checker.lang.types import BoolT, ChanT, EnumT, MapT, RangeT, RecordT, SetT, format_value

# ---------------------------------------------------------------------------- random types


def scalar_types() -> st.SearchStrategy:
    return st.one_of(
        st.just(BoolT()),
        st.tuples(st.integers(-5, 5), st.integers(0, 9)).map(lambda t: RangeT(t[0], t[0] + t[1])),
        st.integers(1, 5).map(lambda n: EnumT("E", tuple(f"m{i}" for i in range(n)))),
    )


def types() -> st.SearchStrategy:
    def extend(inner: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(
            scalar_types().map(SetT),
            st.tuples(scalar_types(), inner).map(lambda kv: MapT(kv[0], kv[1])),
            st.lists(inner, min_size=1, max_size=3).map(
                lambda ts: RecordT("R", tuple((f"f{i}", t) for i, t in enumerate(ts)))),
            st.tuples(scalar_types(), st.integers(1, 4)).map(lambda ec: ChanT(ec[0], ec[1])),
        )
    return st.recursive(scalar_types(), extend, max_leaves=4)


def values(t) -> st.SearchStrategy:
    if isinstance(t, (BoolT, RangeT, EnumT)):
        return st.sampled_from(t.values())
    if isinstance(t, SetT):
        return st.frozensets(st.sampled_from(t.elem.values()))
    if isinstance(t, MapT):
        keys = t.key.values()
        return st.tuples(*[values(t.value) for _ in keys]).map(lambda vs: tuple(zip(keys, vs)))
    if isinstance(t, RecordT):
        return st.tuples(*[values(ft) for _, ft in t.fields]).map(
            lambda vs: tuple((f, v) for (f, _), v in zip(t.fields, vs)))
    assert isinstance(t, ChanT)
    return st.lists(values(t.elem), max_size=t.capacity).map(tuple)


@st.composite
def typed_values(draw):
    t = draw(types())
    return t, draw(values(t))


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(typed_values())
def test_encode_decode_round_trip(tv):
    # decode(encode(v)) == v for every value also makes the encoding injective
    t, v = tv
    n = t.encode(v)
    assert 0 <= n < (1 << t.width) or (n == 0 and t.width == 0)
    assert t.decode(n) == v


def test_widths():
    assert BoolT().width == 1
    assert RangeT(3, 3).width == 0
    assert RangeT(0, 1).width == 1
    assert RangeT(-2, 5).width == 3
    assert RangeT(0, 8).width == 4
    assert EnumT("E", ("a",)).width == 0
    assert EnumT("E", ("a", "b", "c")).width == 2
    assert SetT(RangeT(0, 6)).width == 7
    assert MapT(RangeT(0, 2), RangeT(0, 5)).width == 9
    assert RecordT("R", (("a", BoolT()), ("b", RangeT(1, 4)))).width == 3
    assert ChanT(RangeT(0, 3), 3).width == 2 + 3 * 2


def test_encodings_are_the_documented_ones():
    assert RangeT(-2, 5).encode(-2) == 0 and RangeT(-2, 5).encode(1) == 3
    assert EnumT("E", ("a", "b", "c")).encode("c") == 2
    assert SetT(RangeT(1, 4)).encode(frozenset({1, 3})) == 0b101
    # a map: values side by side in key order
    assert MapT(RangeT(0, 2), RangeT(0, 3)).encode(((0, 1), (1, 2), (2, 3))) == 1 | 2 << 2 | 3 << 4
    # a record: fields in declaration order
    assert RecordT("R", (("a", BoolT()), ("b", RangeT(0, 3)))).encode((("a", True), ("b", 2))) == 1 | 2 << 1
    # a channel: the length, then the messages head first
    assert ChanT(RangeT(0, 3), 2).encode((3, 1)) == 2 | 3 << 2 | 1 << 4


def test_format_value():
    assert format_value(True) == "true"
    assert format_value(frozenset({3, 1})) == "{1, 3}"
    assert format_value(((0, 1), (1, 2)), MapT(RangeT(0, 1), RangeT(0, 3))) == "[0: 1, 1: 2]"
    assert format_value((("a", True),), RecordT("R", (("a", BoolT()),))) == "{a = true}"
    assert format_value((1, 2), ChanT(RangeT(0, 3), 2)) == "<1, 2>"


# ------------------------------------------------------------------------------------ layout

LAYOUT_SPEC = """protocol L
var flag: bool = true
var n: 2..5 = 4
var s: set[0..2] = {0, 2}
machine A[2] {
  var x: 0..3 = self
  var b: bool
  state idle { on go { x := 3 } -> busy }
  state busy { on back { skip } -> idle }
  state gone { on g { skip } }
}
machine B { init state two { on t { skip } -> one } state one { on t { skip } } }
invariant i: flag or n > 2 or len(s) > 0 or A[0].x == 0 or A[1].b
"""


def test_packed_layout_offsets():
    spec = api.load_text(LAYOUT_SPEC)
    lay: Layout = spec.model.layout
    # shared variables first, in declaration order: flag 1 bit, n 2 bits, s 3 bits
    assert lay.shared_offset == {"flag": 0, "n": 1, "s": 3}
    # then each machine: instances side by side, pc (2 bits for 3 states) then the locals
    assert lay.machine_base == {"A": 6, "B": 6 + 2 * 5}
    assert lay.stride == {"A": 2 + 2 + 1, "B": 1}
    assert lay.local_offset == {("A", "x"): 2, ("A", "b"): 4}
    assert lay.width == 6 + 10 + 1
    assert [(s.display, s.offset) for s in lay.slots] == [
        ("flag", 0), ("n", 1), ("s", 3),
        ("A[0].state", 6), ("A[0].x", 8), ("A[0].b", 10),
        ("A[1].state", 11), ("A[1].x", 13), ("A[1].b", 15),
        ("B.state", 16),
    ]


def test_decode_of_the_initial_state():
    spec = api.load_text(LAYOUT_SPEC)
    model = spec.model
    [s0] = model.initial_states()
    assert model.decode(s0) == {
        "flag": True, "n": 4, "s": frozenset({0, 2}),
        "A[0].state": "idle", "A[0].x": 0, "A[0].b": False,
        "A[1].state": "idle", "A[1].x": 1, "A[1].b": False,
        "B.state": "two",  # the `init` state, not the first one
    }
    expected = 1 | (4 - 2) << 1 | 0b101 << 3 | 0 << 8 | 1 << 13 | 0 << 16
    assert s0 == expected
    assert model.layout.encode(model.decode(s0)) == s0


def test_decode_encode_round_trip_on_reachable_states():
    spec = api.load_text(LAYOUT_SPEC)
    model = spec.model
    seen = set(model.initial_states())
    todo = list(seen)
    while todo:
        s = todo.pop()
        assert model.layout.encode(model.decode(s)) == s
        for t in model.successors(s):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    # A: 3 pcs; x is self until `go` sets 3, B: two states; flag, n, s never change
    assert len(seen) > 1
