"""Import neuron morphologies from SWC files into sections.

SWC rows are ``id type x y z radius parent`` (type 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite).
The tree of points is cut into sections at branch points and where the type changes. A section's ``L`` is
the 3-D path length from its attachment point through its points; ``nseg`` follows the d_lambda rule
(``d_lambda`` of the AC length constant at ``frequency``, odd, as commonly used with NEURON) unless given;
each segment's ``diam`` is the length-weighted mean of the linearly interpolated diameter over that segment.
A one-point soma (a sphere of radius r) becomes a cylinder with L = diam = 2 r (same membrane area, NEURON's
convention); its children attach at soma(0.5). Other children attach at x = 1 of their parent section.

Differences from NEURON's Import3d: NEURON keeps the 3-D points and integrates area and axial resistance
over frustums; here each segment is a cylinder of the mean diameter, so areas and resistances differ at the
level of the diameter variation within a segment.

Examples
--------
>>> import tempfile, os
>>> from neurodyn.cells import CellModel
>>> from neurodyn.cells.swc import load_swc
>>> text = "1 1 0 0 0 5 -1\\n2 3 5 0 0 1 1\\n3 3 105 0 0 1 2\\n4 3 155 0 0 0.5 3\\n5 3 105 50 0 0.5 3\\n"
>>> path = os.path.join(tempfile.mkdtemp(), "cell.swc"); _ = open(path, "w").write(text)
>>> cell = load_swc(path, CellModel())
>>> [(s.name(), round(s.L, 1)) for s in cell.sections]
[('soma', 10.0), ('dend[0]', 100.0), ('dend[1]', 50.0), ('dend[2]', 50.0)]
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neurodyn.cells.errors import CellError

TYPE_NAMES = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}


class SwcError(CellError):
    """A malformed SWC file (bad row, unknown parent, cycle, non-positive radius)."""


@dataclass
class SwcCell:
    """Sections built from an SWC file."""

    sections: list
    soma: object | None
    by_type: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        counts = {k: len(v) for k, v in self.by_type.items()}
        return f"SwcCell({len(self.sections)} sections: {counts})"


def read_swc(path) -> np.ndarray:
    """Parse an SWC file into an array of rows (id, type, x, y, z, r, parent); checks the structure."""
    rows = []
    for lineno, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 7:
            raise SwcError(f"{path}:{lineno}: expected 7 columns (id type x y z radius parent), got {len(parts)}")
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise SwcError(f"{path}:{lineno}: non-numeric value in {line!r}") from None
        if not all(math.isfinite(v) for v in vals):
            raise SwcError(f"{path}:{lineno}: non-finite value in {line!r}")
        if vals[5] <= 0:
            raise SwcError(f"{path}:{lineno}: radius must be positive, got {vals[5]}")
        rows.append(vals)
    if not rows:
        raise SwcError(f"{path}: no points")
    data = np.array(rows)
    ids = data[:, 0].astype(int)
    if len(set(ids.tolist())) != len(ids):
        dup = sorted({int(i) for i in ids if (ids == i).sum() > 1})[:5]
        raise SwcError(f"{path}: duplicate point ids {dup}")
    known = set(ids.tolist())
    for i, p in zip(ids, data[:, 6].astype(int)):
        if p != -1 and p not in known:
            raise SwcError(f"{path}: point {i} has unknown parent {p}")
    parent = dict(zip(ids.tolist(), data[:, 6].astype(int).tolist()))
    for i in ids.tolist():        # cycle check
        seen = set()
        j = i
        while j != -1:
            if j in seen:
                raise SwcError(f"{path}: the parent links of point {i} form a cycle")
            seen.add(j)
            j = parent[j]
    return data


def _trapezoid(y, x) -> float:
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def _d_lambda_nseg(L, diam_mean, Ra, cm, frequency, d_lambda) -> int:
    lam = 1e5 * math.sqrt(diam_mean / (4 * math.pi * frequency * Ra * cm))   # um
    return int((L / (d_lambda * lam) + 0.9) / 2) * 2 + 1


def load_swc(path, model, nseg: int | None = None, Ra: float = 35.4, cm: float = 1.0,
             frequency: float = 100.0, d_lambda: float = 0.1) -> SwcCell:
    """Build sections of ``model`` from the SWC file ``path``; see the module docstring for the rules."""
    data = read_swc(path)
    ids = data[:, 0].astype(int).tolist()
    row = {i: k for k, i in enumerate(ids)}
    par = {i: int(data[row[i], 6]) for i in ids}
    typ = {i: int(data[row[i], 1]) for i in ids}
    xyz = {i: data[row[i], 2:5] for i in ids}
    rad = {i: data[row[i], 5] for i in ids}
    children: dict[int, list[int]] = {i: [] for i in ids}
    for i in ids:
        if par[i] != -1:
            children[par[i]].append(i)
    # section heads: roots, children of branch points, and points whose type differs from their parent's
    heads = [i for i in ids if par[i] == -1 or len(children[par[i]]) != 1 or typ[par[i]] != typ[i]]
    depth: dict[int, int] = {}

    def _depth(i):          # number of points above i (parents are built before children)
        d, j = 0, par[i]
        while j != -1:
            d, j = d + 1, par[j]
        return d
    for hd in heads:
        depth[hd] = _depth(hd)
    heads.sort(key=lambda i: depth[i])
    paths = []
    head_of: dict[int, int] = {}
    for hd in heads:
        pts = [hd]
        while len(children[pts[-1]]) == 1 and children[pts[-1]][0] not in heads:
            pts.append(children[pts[-1]][0])
        paths.append(pts)
        for p in pts:
            head_of[p] = len(paths) - 1
    counters: dict[str, int] = {}
    sections = []
    by_type: dict[str, list] = {}
    soma = None
    built: dict[int, object] = {}
    single_soma = False
    for k, pts in enumerate(paths):
        t = typ[pts[0]]
        tname = TYPE_NAMES.get(t, f"type{t}")
        attach = par[pts[0]]
        if t == 1 and soma is None:
            name = "soma"
        else:
            c = counters.get(tname, 0)
            counters[tname] = c + 1
            name = f"{tname}[{c}]"
        # 3-D polyline: attachment point (if not a soma) then the section's points
        poly = [xyz[p] for p in pts]
        radii = [rad[p] for p in pts]
        if attach != -1 and typ[attach] != 1:
            poly = [xyz[attach]] + poly
            radii = [rad[attach]] + radii
        poly = np.array(poly)
        radii = np.array(radii)
        seglen = np.linalg.norm(np.diff(poly, axis=0), axis=1) if len(poly) > 1 else np.zeros(0)
        if t == 1 and len(pts) == 1:
            L = 2 * radii[0]
            diam_fn = None
            single_soma = True
        else:
            L = float(seglen.sum())
            if L <= 0:
                raise SwcError(f"{path}: section {name} starting at point {pts[0]} has zero length")
            arc = np.concatenate([[0.0], np.cumsum(seglen)])
            diam_fn = (arc, 2 * radii)
        sec = model.section(name, L=L, Ra=Ra, cm=cm)
        if diam_fn is None:
            sec.diam = 2 * radii[0]
        else:
            arc, dd = diam_fn
            mean_d = float(_trapezoid(dd, arc) / L)
            n = nseg if nseg is not None else _d_lambda_nseg(L, mean_d, Ra, cm, frequency, d_lambda)
            sec.nseg = n
            fine = np.linspace(0, L, 20 * n + 1)
            dfine = np.interp(fine, arc, dd)
            for j in range(n):
                lo, hi = 20 * j, 20 * (j + 1) + 1
                seg_d = float(_trapezoid(dfine[lo:hi], fine[lo:hi]) / (fine[hi - 1] - fine[lo]))
                sec((j + 0.5) / n).diam = seg_d
        if name == "soma":
            soma = sec
        built[k] = sec
        sections.append(sec)
        by_type.setdefault(tname, []).append(sec)
        if attach != -1:
            psec = built[head_of[attach]]
            if psec is soma and single_soma:
                sec.connect(psec(0.5))
            else:
                ppts = paths[head_of[attach]]
                x = 1.0 if attach == ppts[-1] else (ppts.index(attach) + 0.5) / len(ppts)
                sec.connect(psec(x))
    return SwcCell(sections=sections, soma=soma, by_type=by_type)


__all__ = ["load_swc", "read_swc", "SwcCell", "SwcError"]
