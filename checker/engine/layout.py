"""Where each variable lives in the packed-integer state, and whole-state encode/decode.

A state is one Python int.  Shared variables come first, in declaration order; then, for each
machine, its instances side by side with a fixed stride: the control state ("pc") followed by the
machine's local variables.  Equal strides let compiled code address `Enactor[i].plan` with a
computed offset.  Decoding gives the user values of :mod:`checker.lang.types` under display names
(`latest`, `Enactor[1].plan`, `Enactor[1].state`) in a stable order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..lang.symbols import CheckedSpec, MachineInfo, VarSym
from ..lang.types import EnumT, Type


@dataclass
class Slot:
    display: str
    offset: int
    type: Type
    machine: MachineInfo | None = None
    instance: int = 0
    var: VarSym | None = None  # None for a control state


@dataclass
class Layout:
    checked: CheckedSpec
    shared_offset: dict[str, int] = field(default_factory=dict)
    machine_base: dict[str, int] = field(default_factory=dict)
    stride: dict[str, int] = field(default_factory=dict)
    local_offset: dict[tuple[str, str], int] = field(default_factory=dict)
    pc_type: dict[str, EnumT] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)
    width: int = 0

    @staticmethod
    def build(checked: CheckedSpec) -> Layout:
        lay = Layout(checked)
        off = 0
        for v in checked.shared:
            lay.shared_offset[v.name] = off
            lay.slots.append(Slot(v.name, off, v.type, var=v))
            off += v.type.width
        for m in checked.machines:
            pct = m.state_type
            lay.pc_type[m.name] = pct
            lay.machine_base[m.name] = off
            rel = pct.width
            for v in m.locals:
                lay.local_offset[(m.name, v.name)] = rel
                rel += v.type.width
            lay.stride[m.name] = rel
            for i in range(m.count):
                base = off + i * rel
                lay.slots.append(Slot(f"{m.instance_name(i)}.state", base, pct, m, i))
                for v in m.locals:
                    lay.slots.append(Slot(f"{m.instance_name(i)}.{v.name}",
                                          base + lay.local_offset[(m.name, v.name)], v.type, m, i, v))
            off += m.count * rel
        lay.width = off
        return lay

    def pc_offset(self, m: MachineInfo, inst: int) -> int:
        return self.machine_base[m.name] + inst * self.stride[m.name]

    def var_offset(self, v: VarSym, inst: int = 0) -> int:
        if v.machine is None:
            return self.shared_offset[v.name]
        return self.pc_offset(v.machine, inst) + self.local_offset[(v.machine.name, v.name)]

    def initial_state(self) -> int:
        s = 0
        for slot in self.slots:
            if slot.var is None:
                value = slot.type.members[slot.machine.initial]  # type: ignore[union-attr,attr-defined]
            else:
                inits = slot.var.inits
                value = inits[slot.instance] if slot.var.machine is not None else inits[0]
            s |= slot.type.encode(value) << slot.offset  # type: ignore[attr-defined]
        return s

    def initial_states(self) -> list[int]:
        """Every initial state: each variable declared `in D` / `in any` takes each of its values
        (the product over such variables and instances, the first varying slowest); one state
        when there is none.  Distinct (a slot's choices are distinct values)."""
        states = [self.initial_state()]
        for slot in self.slots:
            choices = slot.var.choices if slot.var is not None else None
            if not choices:
                continue
            values = choices[slot.instance] if slot.var.machine is not None else choices[0]  # type: ignore[union-attr]
            mask = ~(((1 << slot.type.width) - 1) << slot.offset)
            codes = [slot.type.encode(v) << slot.offset for v in values]  # type: ignore[attr-defined]
            states = [(s & mask) | c for s in states for c in codes]
        return states

    def nondeterministic_slots(self) -> list[tuple[Slot, tuple[Any, ...]]]:
        """The slots whose initial value is chosen, with their choices (for traces: step 0)."""
        out = []
        for slot in self.slots:
            if slot.var is not None and slot.var.choices:
                out.append((slot, slot.var.choices[slot.instance if slot.var.machine is not None else 0]))
        return out

    def decode(self, s: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for slot in self.slots:
            raw = (s >> slot.offset) & ((1 << slot.type.width) - 1)
            out[slot.display] = slot.type.decode(raw)  # type: ignore[attr-defined]
        return out

    def encode(self, values: dict[str, Any]) -> int:
        """Inverse of decode (used to replay traces given as values)."""
        s = 0
        for slot in self.slots:
            s |= slot.type.encode(values[slot.display]) << slot.offset  # type: ignore[attr-defined]
        return s
