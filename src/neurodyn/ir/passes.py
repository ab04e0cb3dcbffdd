"""IR passes after flattening: dtype propagation (anything depending on a complex quantity is complex) and
the evaluation order of derived quantities, with group-level loops checked node by node.

Examples
--------
>>> from neurodyn.ir import build_ir
>>> from neurodyn.lang.templates import CircuitTemplate
>>> build_ir(CircuitTemplate.from_yaml("JRC")).order[0]          # (group index, symbol) in dependency order
(0, 'rpo_e_in__u')
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from neurodyn._lazy import sympy as sp
from neurodyn.errors import EquationError
from neurodyn.ir.types import CircuitIR, GroupIR, ProjectionIR, VarIR

__all__ = ["assemble_ir"]

def _outside_real_functions(expr):
    """``expr`` with every |x|, re x, im x and arg x replaced by a real placeholder: what is left decides whether
    the expression can be complex (r = (1 - |z|^2)/(pi |1 + z|^2) is real although z is complex)."""
    funcs = expr.atoms(sp.Abs, sp.re, sp.im, sp.arg)
    return expr.xreplace({f: sp.Dummy(real=True) for f in funcs}) if funcs else expr


def _propagate_dtypes(groups: list[GroupIR], projections: list[ProjectionIR]) -> list[GroupIR]:
    cplx = {(gi, v.sym) for gi, g in enumerate(groups) for v in g.variables
            if v.dtype == "complex" or (v.sym in g.values and np.iscomplexobj(g.values[v.sym])
                                        and np.any(np.imag(g.values[v.sym]) != 0))}
    changed = True
    while changed:
        changed = False
        for gi, g in enumerate(groups):
            for v in g.variables:
                if (gi, v.sym) in cplx:
                    continue
                is_c = False
                if v.expr is not None:
                    outer = _outside_real_functions(v.expr)
                    syms = {str(s) for s in outer.free_symbols}
                    is_c = bool(outer.has(sp.I)) or any((gi, s) in cplx for s in syms)
                if v.kind == "input":
                    is_c = any((gi, s) in cplx for s in v.links) or any(
                        (p.source[0], p.source[1]) in cplx for p in projections if p.target == (gi, v.sym))
                if is_c:
                    cplx.add((gi, v.sym))
                    changed = True
    out = []
    for gi, g in enumerate(groups):
        vs = tuple(VarIR(v.path, v.sym, v.kind, "complex" if (gi, v.sym) in cplx else "float", v.expr, v.links,
                         v.uses_default, v.driven) for v in g.variables)
        out.append(GroupIR(g.name, g.nodes, vs, g.values))
    return out


def _local_deps(groups: list[GroupIR]) -> dict:
    """(group, sym) -> derived syms of the same node it needs (within-node dependencies)."""
    comps = [(gi, v.sym) for gi, g in enumerate(groups) for v in g.variables if v.kind in ("algebraic", "input")]
    deps: dict[tuple, set] = {c: set() for c in comps}
    for gi, g in enumerate(groups):
        kinds = {v.sym: v.kind for v in g.variables}
        for v in g.variables:
            if v.kind == "algebraic":
                deps[(gi, v.sym)] |= {(gi, str(s)) for s in v.expr.free_symbols
                                      if kinds.get(str(s)) in ("algebraic", "input")}
            elif v.kind == "input":
                deps[(gi, v.sym)] |= {(gi, s) for s in v.links if kinds.get(s) in ("algebraic", "input")}
    return deps


def _group_deps(groups: list[GroupIR], projections: list[ProjectionIR]) -> dict:
    """(group, sym) -> set of derived (group, sym) it needs in the same evaluation (group-level graph)."""
    deps = {c: set(d) for c, d in _local_deps(groups).items()}
    for p in projections:
        sg, ss = p.source
        if not p.delayed and groups[sg].var(ss).kind in ("algebraic", "input"):
            deps[p.target].add(p.source)
    return deps


def _strong_components(vertices: list, deps: Mapping) -> list[list]:
    """Tarjan's strongly connected components of the graph ``v -> deps[v]`` (iterative, no recursion limit).

    Components come out dependencies first (a component after every component it depends on).
    """
    pos = {v: k for k, v in enumerate(vertices)}
    index: dict = {}
    low: dict = {}
    on_stack: set = set()
    stack: list = []
    out: list[list] = []
    counter = 0
    for root in vertices:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(deps[root], key=pos.__getitem__)))]
        while work:
            v, it = work[-1]
            advanced = False
            for u in it:
                if u not in index:
                    index[u] = low[u] = counter
                    counter += 1
                    stack.append(u)
                    on_stack.add(u)
                    work.append((u, iter(sorted(deps[u], key=pos.__getitem__))))
                    advanced = True
                    break
                if u in on_stack:
                    low[v] = min(low[v], index[u])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    u = stack.pop()
                    on_stack.discard(u)
                    comp.append(u)
                    if u == v:
                        break
                out.append(sorted(comp, key=pos.__getitem__))
    return out


def _node_level_passes(groups: list[GroupIR], projections: list[ProjectionIR], members: list, local: Mapping) -> int:
    """Passes needed to evaluate a group-level loop ``members`` exactly, or EquationError for a real loop.

    The node-level graph has a vertex (group, sym, node index) per member and node; a within-node dependency
    links the same node, an instantaneous projection links its source node to its target node. When that graph
    has no cycle, evaluating all members in the order given, K times, gives exact values. K is computed along
    that graph: a vertex is final in the pass after its dependencies are, or in the same pass when they come
    earlier in the order (at most the number of vertices on its longest path).
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    mset = set(members)
    base, nv = {}, 0
    for c in members:
        base[c] = nv
        nv += groups[c[0]].n
    src, dst = [], []
    for c in members:
        n = groups[c[0]].n
        for d in local[c]:
            if d in mset:  # within-node dependency: same node index
                src.append(base[d] + np.arange(n))
                dst.append(base[c] + np.arange(n))
    for p in projections:
        if not p.delayed and p.source in mset and p.target in mset:
            src.append(base[p.source] + p.cols)
            dst.append(base[p.target] + p.rows)
    src_a = np.concatenate(src).astype(np.int64) if src else np.zeros(0, dtype=np.int64)
    dst_a = np.concatenate(dst).astype(np.int64) if dst else np.zeros(0, dtype=np.int64)
    A = csr_matrix((np.ones(len(src_a), dtype=np.int64), (src_a, dst_a)), shape=(nv, nv))
    A.sum_duplicates()

    def name(v: int) -> str:
        for c in reversed(members):
            if v >= base[c]:
                g = groups[c[0]]
                return f"{g.nodes[v - base[c]]}/{g.var(c[1]).path}"
        raise AssertionError(v)

    cycle = None
    selfloops = np.flatnonzero(A.diagonal())
    if len(selfloops):
        cycle = [int(selfloops[0])] * 2
    else:
        ncomp, labels = connected_components(A, directed=True, connection="strong")
        sizes = np.bincount(labels, minlength=ncomp)
        if sizes.max(initial=0) > 1:
            lab = int(np.flatnonzero(sizes > 1)[0])
            inside = labels == lab
            s = int(np.flatnonzero(inside)[0])
            sub = A.multiply(inside[:, None]).multiply(inside[None, :]).tocsr()
            # a shortest way back to s: breadth-first from s, then up the predecessors from an edge u -> s
            _, pred = breadth_first_order(sub, s, directed=True, return_predecessors=True)
            v = int(np.flatnonzero(sub[:, [s]].toarray().ravel())[0])
            path = [v]
            while v != s:
                v = int(pred[v])
                path.append(v)
            cycle = path[::-1] + [s]
    if cycle is not None:
        raise EquationError(f"algebraic loop between derived variables: {' -> '.join(name(v) for v in cycle)} "
                            f"(through instantaneous edges and derived variables). Break it with a state "
                            f"variable (e.g. a synaptic filter) or an edge delay.")
    # pass in which each vertex is final: a dependency evaluated earlier in a pass is read in the same pass,
    # one evaluated later (or the same member, read from a snapshot) in the next; sources level by level
    vpos = np.concatenate([np.full(groups[c[0]].n, k, dtype=np.int64) for k, c in enumerate(members)])
    coo = A.tocoo()
    es, ed = coo.row.astype(np.int64), coo.col.astype(np.int64)
    later = (vpos[es] >= vpos[ed]).astype(np.int64)
    final = np.zeros(nv, dtype=np.int64)
    indeg = np.asarray(A.sum(axis=0)).ravel()
    remaining = np.ones(nv, dtype=bool)
    AT = A.T.tocsr()
    while remaining.any():
        frontier = remaining & (indeg == 0)
        sel = frontier[ed]
        np.maximum.at(final, ed[sel], final[es[sel]] + later[sel])
        final[frontier] = np.maximum(final[frontier], 1)
        remaining &= ~frontier
        indeg = indeg - AT @ frontier.astype(np.int64)
    return int(final.max(initial=1))


def _local_first(members: list, local: Mapping, pos: Mapping) -> list:
    """``members`` in an order where within-node dependencies come first (fewer passes), else as in ``pos``."""
    out, left = [], sorted(members, key=pos.__getitem__)
    while left:
        ready = [c for c in left if not (local[c] & set(left))] or left[:1]  # a cycle is reported later
        out.append(ready[0])
        left.remove(ready[0])
    return out


def _order(groups: list[GroupIR], projections: list[ProjectionIR]) -> tuple:
    """Evaluation order of derived quantities (see :class:`CircuitIR`).

    Group-level strongly connected components become ``("repeat", K, members)`` blocks when the node-level
    graph inside them is acyclic; a node-level cycle is an EquationError naming the nodes on it.
    """
    deps = _group_deps(groups, projections)
    local = _local_deps(groups)
    comps = list(deps)
    pos = {c: k for k, c in enumerate(comps)}
    units = []  # a plain (group, sym), or a list of the members of a group-level loop in evaluation order
    for scc in _strong_components(comps, deps):
        loop = len(scc) > 1 or scc[0] in deps[scc[0]]
        units.append(_local_first(scc, local, pos) if loop else scc[0])
    unit_of: dict = {}
    for u in units:
        for c in (u if isinstance(u, list) else [u]):
            unit_of[c] = id(u)
    udeps = {id(u): {unit_of[d] for c in (u if isinstance(u, list) else [u]) for d in deps[c]} - {id(u)}
             for u in units}
    # same sweep as for plain variables (keeps the order of loop-free models), over the condensed graph
    units.sort(key=lambda u: min(pos[c] for c in u) if isinstance(u, list) else pos[u])
    order, done = [], set()
    pending = list(units)
    while pending:
        progressed = False
        for u in list(pending):
            if udeps[id(u)] <= done:
                if isinstance(u, list):
                    order.append(("repeat", _node_level_passes(groups, projections, u, local), tuple(u)))
                else:
                    order.append(u)
                done.add(id(u))
                pending.remove(u)
                progressed = True
        assert progressed, "the condensed dependency graph is acyclic"
    return tuple(order)


def assemble_ir(groups, projections, name="circuit", template_hash="", node_index=None) -> CircuitIR:
    """Finish an IR from groups and projections: dtype propagation and evaluation order."""
    groups = _propagate_dtypes(list(groups), list(projections))
    order = _order(groups, list(projections))
    cplx = any(v.dtype == "complex" for g in groups for v in g.variables)
    if node_index is None:
        node_index = {n: (gi, i) for gi, g in enumerate(groups) for i, n in enumerate(g.nodes)}
    return CircuitIR(tuple(groups), tuple(projections), order, cplx, name, template_hash, dict(node_index))
