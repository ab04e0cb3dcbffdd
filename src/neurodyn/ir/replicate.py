"""Replicate an IR into independent copies inside one IR (vectorised parameter sweeps).

Examples
--------
>>> from neurodyn.ir import build_ir
>>> from neurodyn.lang.templates import CircuitTemplate
>>> replicate_ir(build_ir(CircuitTemplate.from_yaml("qif")), 3)
<CircuitIR: 1 groups (3 nodes), 6 states, 1 projections>
"""
from __future__ import annotations

import numpy as np

from neurodyn.errors import TemplateError
from neurodyn.ir.types import CircuitIR, GroupIR, ProjectionIR

__all__ = ["replicate_ir"]


def replicate_ir(ir: CircuitIR, copies: int) -> CircuitIR:
    """``copies`` independent copies of ``ir`` in one IR (for vectorised parameter sweeps).

    Node ``name`` of copy ``r`` is called ``name#r``; each group grows ``copies``-fold (copy-major), and each
    projection is applied to every copy (``ProjectionIR.copies``). The structure, hence the compiled kernel, is
    unchanged, and so is its structure hash.
    """
    if copies < 1:
        raise TemplateError(f"copies must be >= 1, got {copies}")
    groups = []
    for g in ir.groups:
        nodes = tuple(f"{n}#{r}" for r in range(copies) for n in g.nodes)
        values = {k: np.tile(v, copies) for k, v in g.values.items()}
        groups.append(GroupIR(g.name, nodes, g.variables, values))
    # one shared projection per projection: every copy is coupled as the circuit is (see ProjectionIR.copies)
    projections = [ProjectionIR(p.source, p.target, p.rows, p.cols, p.weights, p.delays, p.copies * copies)
                   for p in ir.projections]
    node_index = {n: (gi, i) for gi, g in enumerate(groups) for i, n in enumerate(g.nodes)}
    out = CircuitIR(tuple(groups), tuple(projections), ir.order, ir.complex_system, ir.name, ir.template_hash,
                    node_index)
    object.__setattr__(out, "_structure_hash", ir.structure_hash())      # the same structure: never recomputed
    return out
