"""Flatten sections into NEURON's node tree: parent indices, areas, axial coefficients (vectorised per section).

Node layout (as in NEURON): every tree has one root node (x = 0 of its root section, zero area, stored with
the nominal area 100 um2); every section has ``nseg`` nodes at segment centres followed by a zero-area node
at x = 1. The first segment node of a child hangs from the parent node at the connection point (the parent's
x = 1 node, its x = 0 node, or the segment containing x). All root nodes come first (indices < ncell); every
node's parent has a smaller index, so the Hines elimination runs from the last node down.

Axial coefficients: the resistance between a node and its parent is half of each adjacent segment,
``ri = 1e-2 Ra (dx/2) / (pi d^2/4)`` megohm for cylinders (sections with 3-D points: areas and half-segment
resistances integrated over frustums, :mod:`neurodyn.cells.pt3d`); ``a = -100 / (ri area(parent))``,
``b = -100 / (ri area(node))`` in S/cm2 (zero-area nodes: nominal area 100, so their equations are in nA).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ZERO_AREA = 100.0


@dataclass
class Tree:
    """Flat arrays of a model's node tree and the maps back to sections."""

    order: list                      # sections in node order
    ncell: int
    parent: np.ndarray               # int64, -1 for roots
    area: np.ndarray                 # um2 (100 for zero-area nodes)
    a: np.ndarray
    b: np.ndarray
    cm: np.ndarray                   # uF/cm2 at segment nodes, 0 at zero-area nodes
    base: dict = field(default_factory=dict)   # id(sec) -> first segment node
    start: dict = field(default_factory=dict)  # id(sec) -> node at x = 0
    node_sec: np.ndarray = None      # index into order, per node
    node_pos: np.ndarray = None      # segment index, -1 end node, -2 root node

    @property
    def n(self) -> int:
        return len(self.parent)

    def node_of(self, sec, x: float) -> int:
        """Node index of position ``x`` on ``sec`` (x = 0 and 1 map to the end nodes)."""
        if x == 1.0:
            return self.base[id(sec)] + sec._nseg
        if x == 0.0:
            return self.start[id(sec)]
        return self.base[id(sec)] + sec._seg_index(x)

    def describe(self, node: int) -> str:
        sec = self.order[int(self.node_sec[node])]
        pos = int(self.node_pos[node])
        if pos == -1:
            return f"{sec.name()}(1)"
        if pos == -2:
            return f"{sec.name()}(0)"
        return f"{sec.name()}({(pos + 0.5) / sec._nseg:g}) [segment {pos}]"


def build_tree(sections: list) -> Tree:
    """Number the nodes of ``sections`` (creation order) and compute coefficients.

    Examples
    --------
    >>> from neurodyn.cells import CellModel
    >>> m = CellModel(); s = m.section("s", L=10, diam=10, nseg=2)
    >>> t = build_tree([s]); t.parent.tolist(), t.area.round(2).tolist()
    ([-1, 0, 1, 2], [100.0, 157.08, 157.08, 100.0])
    """
    alive = [s for s in sections if not s._deleted]
    ids = {id(s) for s in alive}
    children: dict[int, list] = {id(s): [] for s in alive}
    roots = []
    for s in alive:
        p = s._parent
        if p is None or id(p) not in ids:
            roots.append(s)
        else:
            children[id(p)].append(s)
    ncell = len(roots)
    order = []
    for r in roots:
        queue = [r]
        while queue:
            s = queue.pop(0)
            order.append(s)
            queue.extend(children[id(s)])
    base: dict[int, int] = {}
    start: dict[int, int] = {}
    par, rinv, area, cm, nsec, npos = [], [], [], [], [], []
    root_index = {id(r): i for i, r in enumerate(roots)}
    nxt = ncell
    sec_index = {id(s): i for i, s in enumerate(order)}
    for s in order:
        n = s._nseg
        if id(s) in root_index:
            st = root_index[id(s)]
        else:
            p = s._parent
            px = s._parent_x
            if px == 1.0:
                st = base[id(p)] + p._nseg
            elif px == 0.0:
                st = start[id(p)]
            else:
                st = base[id(p)] + p._seg_index(px)
        start[id(s)] = st
        base[id(s)] = nxt
        g = s._geometry3d()
        if g is None:        # cylinders
            dx = s._L / n
            diam = s._diam
            rleft = 1e-2 * s._Ra * (dx / 2.0) / (np.pi * diam * diam / 4.0)
            rright, seg_area = rleft, np.pi * diam * dx
        else:                # frustums between 3-D points (neurodyn.cells.pt3d)
            rleft, rright, seg_area = g.rleft, g.rright, g.area
        rr = np.empty(n)
        rr[0] = 0.0
        rr[1:] = rright[:-1]
        rinv.append(1.0 / (rleft + rr))
        rinv.append(np.array([1.0 / rright[-1]]))
        area.append(seg_area)
        area.append(np.array([ZERO_AREA]))
        cm.append(s._cm)
        cm.append(np.zeros(1))
        pp = np.empty(n + 1, dtype=np.int64)
        pp[0] = st
        pp[1:] = nxt + np.arange(n)
        par.append(pp)
        nsec.append(np.full(n + 1, sec_index[id(s)], dtype=np.int64))
        pos = np.arange(n + 1, dtype=np.int64)
        pos[-1] = -1
        npos.append(pos)
        nxt += n + 1
    parent = np.concatenate([np.full(ncell, -1, dtype=np.int64)] + par) if order else np.zeros(0, np.int64)
    rinv_all = np.concatenate([np.zeros(ncell)] + rinv) if order else np.zeros(0)
    area_all = np.concatenate([np.full(ncell, ZERO_AREA)] + area) if order else np.zeros(0)
    cm_all = np.concatenate([np.zeros(ncell)] + cm) if order else np.zeros(0)
    node_sec = np.concatenate([np.array([sec_index[id(r)] for r in roots], dtype=np.int64)] + nsec) \
        if order else np.zeros(0, np.int64)
    node_pos = np.concatenate([np.full(ncell, -2, dtype=np.int64)] + npos) if order else np.zeros(0, np.int64)
    a = np.zeros(len(parent))
    b = np.zeros(len(parent))
    if len(parent) > ncell:
        pidx = parent[ncell:]
        a[ncell:] = -1e2 * rinv_all[ncell:] / area_all[pidx]
        b[ncell:] = -1e2 * rinv_all[ncell:] / area_all[ncell:]
    return Tree(order=order, ncell=ncell, parent=parent, area=area_all, a=a, b=b, cm=cm_all.astype(float),
                base=base, start=start, node_sec=node_sec, node_pos=node_pos)


#: NEURON's answer for points in different trees
NO_PATH = 1e20


def node_x(sec, x: float) -> float:
    """Position of the voltage node of ``sec(x)``: 0 or 1 at the ends, else the centre of the segment containing
    ``x`` (NEURON's rule, ``int(x nseg)``)."""
    if x <= 0.0 or x >= 1.0:
        return float(x)
    return (sec._seg_index(x) + 0.5) / sec.nseg


def path_distance(sec_a, x_a: float, sec_b, x_b: float) -> float:
    """Distance (um) along the tree between the nodes of ``sec_a(x_a)`` and ``sec_b(x_b)`` (NEURON's
    ``h.distance``): as in NEURON, a location stands for its node (the centre of its segment, or a section
    end) and a child starts at the node it is attached to; arc lengths ``x L`` up to the nearest section the
    two paths share, then the distance within it; ``1e20`` for points in different trees, as NEURON.

    Examples
    --------
    >>> from neurodyn.cells import CellModel
    >>> m = CellModel()
    >>> a = m.section("a", L=100); b = m.section("b", L=50).connect(a(1)); c = m.section("c", L=30).connect(a(0.5))
    >>> path_distance(b, 0.5, c, 0.5)
    90.0
    >>> a.nseg = 5; path_distance(a, 0.0, a, 0.15)     # a(0.15) is the node at the centre of a's segment 0
    10.0
    """
    def chain(sec, x):
        out = []
        while sec is not None:
            out.append((sec, node_x(sec, float(x))))
            sec, x = sec._parent, sec._parent_x
        return out

    up_a = chain(sec_a, x_a)
    pos_a = {id(s): k for k, (s, _) in enumerate(up_a)}
    d_b = 0.0
    for s, xb in chain(sec_b, x_b):
        k = pos_a.get(id(s))
        if k is not None:
            d_a = 0.0
            for sa, xa in up_a[:k]:
                d_a += xa * sa.L
            return d_a + d_b + abs(up_a[k][1] - xb) * s.L
        d_b += xb * s.L
    return NO_PATH
