"""The right-hand side of an IR as a backend-neutral plan: the sequence of operations every kernel performs.

A plan is what the generated ``rhs(t, tn, y, dy, a, p, M)`` does, in order: read the external inputs, compute
each derived quantity (algebraic variables and inputs, inputs accumulating their links, defaults, drives and
incoming projections), repeat group-level loops, and finally write the state derivatives. Each backend renders
the same plan in its own language (:mod:`neurodyn.backends.pysource` for Numba and NumPy,
:mod:`neurodyn.backends.c.codegen` for C), so that they evaluate the same expressions in the same order.

Examples
--------
>>> from neurodyn.ir import build_ir
>>> from neurodyn.lang.templates import CircuitTemplate
>>> plan = kernel_plan(build_ir(CircuitTemplate.from_yaml("qif")))
>>> [type(op).__name__ for op in plan.ops]
['Elementwise', 'Elementwise', 'Projection', 'Elementwise']
"""
from __future__ import annotations

from dataclasses import dataclass, field

from neurodyn.backends.layout import DEF, EXT, SNAP, Layout
from neurodyn.ir import CircuitIR
from neurodyn.ir.hoist import HOIST, group_hoisting

__all__ = ["Term", "Elementwise", "Snapshot", "Projection", "Repeat", "KernelPlan", "kernel_plan"]


@dataclass(frozen=True)
class Term:
    """One summand of an input: ``kind`` 'default' (parameter slot), 'drive' (work slot of an external series)
    or 'link' (a local symbol of the same node)."""

    kind: str
    ref: object


@dataclass(frozen=True)
class Elementwise:
    """For every node i of group ``group``: load ``loads`` (sym -> (storage, slot)), then assign each target.

    ``targets`` are (storage, slot, value); value is a SymPy expression (algebraic variables, state
    derivatives) or a tuple of :class:`Term` (inputs; empty: 0).
    """

    group: int
    loads: tuple
    targets: tuple


@dataclass(frozen=True)
class Snapshot:
    """Copy work slot ``source`` to ``target`` for every node of ``group`` (previous pass of a loop)."""

    group: int
    source: int
    target: int


@dataclass(frozen=True)
class Projection:
    """Add projection ``index`` into work slot ``target`` of ``group``: instantaneous (``source`` = (storage,
    slot)) or delayed (``source`` None: read from the history ring)."""

    index: int
    group: int
    target: int
    source: tuple | None


@dataclass(frozen=True)
class Repeat:
    """Run ``ops`` ``passes`` times (a group-level loop without a node-level cycle)."""

    passes: int
    ops: tuple


@dataclass
class KernelPlan:
    """The operations of ``rhs`` in order, and what the time loop needs to know."""

    ops: tuple
    drives: bool                          # external inputs are read (ext_apply first)
    has_delays: bool
    push_after_first_stage: bool          # delayed derived sources: stored after the first stage computed them
    layout: Layout = field(repr=False, default=None)


def kernel_plan(ir: CircuitIR) -> KernelPlan:
    """The backend-neutral plan of ``ir``'s right-hand side (see the module docstring)."""
    layout = Layout.from_ir(ir)
    proj_into: dict[tuple, list[int]] = {}
    for k, pj in enumerate(ir.projections):
        proj_into.setdefault(pj.target, []).append(k)

    def loads(gi: int, syms) -> tuple:
        kinds = {v.sym for v in ir.groups[gi].variables}
        out = []
        for s in sorted(syms):
            if s not in kinds and not s.startswith(HOIST):
                continue                    # time and other globals
            out.append((s, layout.storage(gi, s), layout.slot_of[(gi, s)]))
        return tuple(out)

    def derived(gi: int, sym: str, in_loop: bool) -> list:
        g = ir.groups[gi]
        v = g.var(sym)
        slot = layout.slot_of[(gi, sym)]
        if v.kind == "algebraic":
            expr = group_hoisting(g).rewritten[sym]
            return [Elementwise(gi, loads(gi, {str(s) for s in expr.free_symbols}), (("a", slot, expr),))]
        ops = []
        own = [k for k in proj_into.get((gi, sym), [])
               if not ir.projections[k].delayed and ir.projections[k].source == (gi, sym)]
        if own:
            # an instantaneous projection from this input into itself (possible only inside a repeated
            # block): read the previous pass's values, since the slot is reset below
            assert in_loop, "a projection of an input into itself outside a repeated block"
            ops.append(Snapshot(gi, slot, layout.slot_of[(gi, SNAP + sym)]))
        terms = []
        if v.uses_default:
            terms.append(Term("default", layout.slot_of[(gi, DEF + sym)]))
        if v.driven:
            terms.append(Term("drive", layout.slot_of[(gi, EXT + sym)]))
        terms += [Term("link", link) for link in v.links]
        ops.append(Elementwise(gi, loads(gi, set(v.links)), (("a", slot, tuple(terms)),)))
        for k in proj_into.get((gi, sym), []):
            pj = ir.projections[k]
            if pj.delayed:
                ops.append(Projection(k, gi, slot, None))
            elif k in own:
                ops.append(Projection(k, gi, slot, ("a", layout.slot_of[(gi, SNAP + sym)])))
            else:
                ops.append(Projection(k, gi, slot, (layout.storage(*pj.source), layout.slot_of[pj.source])))
        return ops

    ops: list = []
    for entry in ir.order:
        if entry[0] == "repeat":
            _, passes, members = entry
            body = [op for gi, sym in members for op in derived(gi, sym, True)]
            ops.append(Repeat(int(passes), tuple(body)))
        else:
            ops += derived(entry[0], entry[1], False)
    for gi, g in enumerate(ir.groups):
        states = [v for v in g.variables if v.kind == "state"]
        if not states:
            continue
        needed, targets = set(), []
        for v in states:
            expr = group_hoisting(g).rewritten[v.sym]    # constant subexpressions read from p, precomputed
            needed |= {str(s) for s in expr.free_symbols}
            targets.append(("dy", layout.slot_of[(gi, v.sym)], expr))
        ops.append(Elementwise(gi, loads(gi, needed), tuple(targets)))
    derived_sources = any(layout.storage(*p.source) != "y" for p in ir.projections if p.delayed)
    return KernelPlan(tuple(ops), any(v.driven for g in ir.groups for v in g.variables), ir.has_delays,
                      ir.has_delays and derived_sources, layout)
