"""Import neuron morphologies from SWC files into sections.

SWC rows are ``id type x y z radius parent`` (type 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite;
other types, e.g. navis's 0 undefined, 5 fork point, 6 end point, are neurites). The rules follow NEURON's
Import3d (``Import3d_SWC_read`` + ``Import3d_GUI.instantiate``):

* The tree of points is cut into sections at branch points and where the type changes. Section names are
  Import3d's: ``soma``, ``axon[i]``, ``dend[i]``, ``apic[i]``, ``dend_<t>[i]`` for another type t >= 0
  (``minus_<t>`` for negative types). ``type_names=`` renames types; types given the same name are not cut
  apart (``{0: "dend", 5: "dend", 6: "dend"}`` keeps navis's fork and end points inside their neurites).
* Each section keeps its 3-D points (:meth:`Section.set_pt3d`): a child section starts with a copy of its
  parent point, so ``L`` is the path length from the attachment point; segment areas, axial resistances and
  diameters are integrated over the frustums between points (:mod:`neurodyn.cells.pt3d`, NEURON's rule).
  A neurite leaving a multi-point soma starts with its own first diameter, as in Import3d.
* A one-point root (a sphere of radius r) becomes a cylinder with L = diam = 2 r (same membrane area,
  Import3d's 3-point cylinder); children of a one-point soma attach at soma(0.5) and do not include the soma
  centre. Children attach at x = 1 of their parent, except at the first point of a root section (x = 0):
  a root that is not a soma continues into its child on the next line of the file, and its other children
  attach at its 0 end. Children of interior soma points attach at soma(0.5).
* ``scale`` converts file units to um (coordinates and radii alike, as scaling every pt3d point after
  Import3d); ``nseg`` follows the d_lambda rule (``d_lambda`` of the AC length constant at ``frequency``,
  odd, the length constant averaged over the 3-D points as NEURON's ``lambda_f``) unless given.

Not reproduced from Import3d: its special cases for multi-point somas (the neuromorpho.org 3-point soma,
"wire" connections of dendrites to soma points with several soma children, dendrites connected to a soma by
a wire segment), contour somas (Neurolucida), and its refusal of files with several trees (each tree here is
a separate cell).

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
from neurodyn.cells.pt3d import arc_lengths

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


def _type_name(t: int, type_names: dict) -> str:
    if t in type_names:
        return type_names[t]
    if t in TYPE_NAMES:
        return TYPE_NAMES[t]
    return f"dend_{t}" if t >= 0 else f"minus_{-t}"


def _lambda_f(arc, diam, Ra, cm, frequency) -> float:
    """AC length constant (um) of a tapered section at ``frequency`` (Hz), averaged over its 3-D points the
    way NEURON's d_lambda rule does (electrotonic length = sum of dl / lambda(d) with d the mean diameter)."""
    dl = np.diff(arc)
    electrotonic = np.sum(dl / np.sqrt(0.5 * (diam[1:] + diam[:-1])))      # um^0.5
    return float(arc[-1] / (electrotonic * 1e-5 * math.sqrt(4 * math.pi * frequency * Ra * cm)))


def _d_lambda_nseg(L, lam, d_lambda) -> int:
    return int((L / (d_lambda * lam) + 0.9) / 2) * 2 + 1


def _check_options(scale, type_names, nseg):
    try:
        sc = float(scale)
    except (TypeError, ValueError):
        sc = float("nan")
    if isinstance(scale, bool) or not (math.isfinite(sc) and sc > 0):
        raise SwcError(f"load_swc: scale must be a positive finite number of micrometres per file unit "
                       f"(1 for files in um, 0.008 for 8 nm voxels), got {scale!r}")
    names = {}
    for t, name in dict(type_names or {}).items():
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)):
            raise SwcError(f"load_swc: type_names keys must be integer SWC types, got {t!r}")
        if not isinstance(name, str) or not name.isidentifier():
            raise SwcError(f"load_swc: type_names[{t}] must be a section name such as 'dend', got {name!r}")
        names[int(t)] = name
    if nseg is not None and (isinstance(nseg, bool) or not isinstance(nseg, (int, np.integer)) or nseg < 1):
        raise SwcError(f"load_swc: nseg must be None (d_lambda rule) or an integer >= 1, got {nseg!r}")
    return sc, names


def load_swc(path, model, nseg: int | None = None, Ra: float = 35.4, cm: float = 1.0,
             frequency: float = 100.0, d_lambda: float = 0.1, scale: float = 1.0,
             type_names: dict | None = None) -> SwcCell:
    """Build sections of ``model`` from the SWC file ``path``; see the module docstring for the rules.

    Parameters
    ----------
    path : str or Path
        The SWC file.
    model : CellModel
        The model that receives the sections.
    nseg : int, optional
        Segments per section; default: the d_lambda rule (``d_lambda`` of the AC length constant at
        ``frequency`` Hz, odd), computed from the 3-D points as NEURON's ``lambda_f`` does.
    Ra, cm : float
        Axial resistivity (ohm cm) and capacitance (uF/cm2) of every section.
    scale : float
        Micrometres per file unit, applied to coordinates and radii (1 for files in um; 0.008 for the
        hemibrain's 8 nm voxels). The same as scaling every pt3d point after NEURON's Import3d.
    type_names : dict, optional
        Section names of SWC types, e.g. ``{0: "dend", 5: "dend", 6: "dend"}``. Consecutive points whose
        types have the same name stay in one section. Default: NEURON's names (1 soma, 2 axon, 3 dend,
        4 apic, other t >= 0 ``dend_t``, t < 0 ``minus_t``), so every type change starts a section.
    """
    scale, type_names = _check_options(scale, type_names, nseg)
    data = read_swc(path)
    ids = data[:, 0].astype(int).tolist()
    row = {i: k for k, i in enumerate(ids)}
    par = {i: int(data[row[i], 6]) for i in ids}
    typ = {i: int(data[row[i], 1]) for i in ids}
    key = {i: _type_name(typ[i], type_names) for i in ids}
    xyz = {i: data[row[i], 2:5] * scale for i in ids}
    rad = {i: data[row[i], 5] * scale for i in ids}
    children: dict[int, list[int]] = {i: [] for i in ids}
    for i in ids:
        if par[i] != -1:
            children[par[i]].append(i)
    # A root that is not a soma continues into its child on the next line of the file (NEURON's Import3d);
    # its other children start sections attached at the root section's 0 end.
    root_next = {}
    for i in ids:
        if par[i] == -1 and typ[i] != 1 and len(children[i]) > 1:
            nxt = [c for c in children[i] if row[c] == row[i] + 1 and key[c] == key[i]]
            if nxt:
                root_next[i] = nxt[0]

    def continues(p, c):          # is c in the same section as its parent p?
        if key[c] != key[p]:
            return False
        return len(children[p]) == 1 or root_next.get(p) == c
    # section heads: roots, children of branch points, and points whose type name differs from their parent's
    heads = [i for i in ids if par[i] == -1 or not continues(par[i], i)]
    head_set = set(heads)
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
        while True:
            nxt = [c for c in children[pts[-1]] if c not in head_set]
            if not nxt:
                break
            pts.append(nxt[0])
        paths.append(pts)
        for p in pts:
            head_of[p] = len(paths) - 1
    counters: dict[str, int] = {}
    sections = []
    by_type: dict[str, list] = {}
    soma = None
    built: dict[int, object] = {}
    for k, pts in enumerate(paths):
        t = typ[pts[0]]
        tname = key[pts[0]]
        attach = par[pts[0]]
        if t == 1 and soma is None:
            name = "soma"
        else:
            c = counters.get(tname, 0)
            counters[tname] = c + 1
            name = f"{tname}[{c}]"
        ppts = paths[head_of[attach]] if attach != -1 else None
        parent_is_point = ppts is not None and len(ppts) == 1 and par[ppts[0]] == -1
        # 3-D points: the attachment point (NEURON's Import3d rules) then the section's own points
        poly = [xyz[p] for p in pts]
        diams = [2 * rad[p] for p in pts]
        if attach != -1 and not (parent_is_point and typ[attach] == 1 and len(pts) > 1):
            poly.insert(0, xyz[attach])
            # a neurite leaving a soma starts with its own diameter, not the soma's
            diams.insert(0, diams[0] if typ[attach] == 1 and t != 1 else 2 * rad[attach])
        sec = model.section(name, Ra=Ra, cm=cm)
        if len(poly) == 1:                      # one-point root: a sphere, as a cylinder with L = diam
            sec.L = sec.diam = diams[0]
            sec.nseg = 1
        else:
            poly = np.array(poly)
            diams = np.array(diams)
            arc = arc_lengths(poly)
            if not arc[-1] > 0:
                raise SwcError(f"{path}: section {name} starting at point {pts[0]} has zero length "
                               f"(all its points coincide)")
            sec.set_pt3d(poly, diams)
            sec.nseg = nseg if nseg is not None else _d_lambda_nseg(
                arc[-1], _lambda_f(arc, diams, Ra, cm, frequency), d_lambda)
        if name == "soma":
            soma = sec
        built[k] = sec
        sections.append(sec)
        by_type.setdefault(tname, []).append(sec)
        if attach != -1:
            psec = built[head_of[attach]]
            if parent_is_point:
                x = 0.5 if typ[attach] == 1 else 0.0
            elif par[ppts[0]] == -1 and attach == ppts[0]:
                x = 0.0
            elif attach == ppts[-1]:
                x = 1.0
            else:                               # interior of a soma section
                x = 0.5
            sec.connect(psec(x))
    return SwcCell(sections=sections, soma=soma, by_type=by_type)


__all__ = ["load_swc", "read_swc", "SwcCell", "SwcError"]
