"""Memory layout of a compiled circuit: where each group variable lives (state vector ``y``, work array ``a``,
parameter array ``p``) and the data arrays the kernels read (sizes, offsets, sparse projections, history).

Slot numbers depend only on the IR's structure (they are baked into generated code); offsets and sizes are
data, computed here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurodyn.ir.hoist import hoisted_values
from neurodyn.ir import CircuitIR

__all__ = ["Layout", "EXT", "DEF", "SNAP"]

EXT = "__ext__"
DEF = "__def__"  # prefix of the parameter slot holding an input's default value
SNAP = "__snap__"  # prefix of the work slot holding the previous pass's value of an input that drives itself


@dataclass
class Layout:
    """Slots of a circuit and their storage.

    Attributes
    ----------
    slots : list of (group, sym, storage)
        storage is 'y' (states), 'a' (derived quantities, inputs and external-drive accumulators) or 'p'
        (constants and input defaults).
    slot_of : dict (group, sym) -> slot
    """

    slots: list
    slot_of: dict

    @classmethod
    def from_ir(cls, ir: CircuitIR) -> "Layout":
        slots = []
        for gi, g in enumerate(ir.groups):
            for v in g.variables:
                if v.kind == "state":
                    slots.append((gi, v.sym, "y"))
        for gi, g in enumerate(ir.groups):
            for v in g.variables:
                if v.kind in ("algebraic", "input"):
                    slots.append((gi, v.sym, "a"))
                if v.driven:
                    slots.append((gi, EXT + v.sym, "a"))
        # an instantaneous projection of an input into itself (inside a repeated block) reads a snapshot
        selfdriven = dict.fromkeys(pj.source for pj in ir.projections if not pj.delayed and pj.source == pj.target)
        slots += [(gi, SNAP + sym, "a") for gi, sym in selfdriven]
        for gi, g in enumerate(ir.groups):
            for v in g.variables:
                if v.kind == "constant":
                    slots.append((gi, v.sym, "p"))
                elif v.kind == "input" and v.uses_default:
                    slots.append((gi, DEF + v.sym, "p"))
            # constant subexpressions computed once per run (neurodyn.ir.hoist)
            slots += [(gi, name, "p") for name in hoisted_values(g).hoisted]
        return cls(slots, {(g, s): k for k, (g, s, _) in enumerate(slots)})

    def offsets(self, sizes) -> tuple[np.ndarray, dict]:
        off = np.zeros(len(self.slots), dtype=np.int64)
        total = {"y": 0, "a": 0, "p": 0}
        for k, (g, _, st) in enumerate(self.slots):
            off[k] = total[st]
            total[st] += int(sizes[g])
        return off, total

    def storage(self, g: int, sym: str) -> str:
        return self.slots[self.slot_of[(g, sym)]][2]
