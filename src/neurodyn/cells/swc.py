"""Import neuron morphologies from SWC files into sections.

SWC rows are ``id type x y z radius parent`` (type 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite;
other types, e.g. navis's 0 undefined, 5 fork point, 6 end point, are neurites). The rules are those of
NEURON's Import3d (``Import3d_SWC_read`` + ``Import3d_GUI.instantiate``), so that a file gives the same
sections, with the same names, connections and 3-D points, in both simulators:

* Sections are runs of points, each on the line after its parent, cut at branch points and where the type
  changes. Names: ``soma`` (``soma[i]`` if the soma has several sections), ``axon[i]``, ``dend[i]``,
  ``apic[i]``, ``dend_<t>[i]`` for another type t >= 0 (``minus_<t>`` for t < 0), numbered in file order.
  ``type_names=`` renames types; types given the same name are not cut apart
  (``{0: "dend", 5: "dend", 6: "dend"}`` keeps navis's fork and end points inside their neurites).
* Each section keeps its 3-D points (:meth:`Section.set_pt3d`): a child section starts with a copy of its
  parent point (a neurite leaving a soma with its own first diameter), except for Import3d's "wire"
  connections to somas; segment areas, axial resistances and diameters are integrated over the frustums
  between points (:mod:`neurodyn.cells.pt3d`, NEURON's rule).
* Connections: at x = 1 of the parent section; at x = 0 when the parent point is the first point of a
  root section, or the proximal point of a neurite leaving a soma and the child is not on the next line;
  at 0.5 for children of a one-point soma or of interior soma points. A root that is not a soma continues
  into its child on the next line. A soma point continues into the soma point on the next line even where
  neurites branch off (unless it has several soma children).
* A one-point root (a sphere of radius r) becomes Import3d's 3-point cylinder along x with L = diam = 2 r
  (same membrane area).
* ``scale`` converts file units to um (coordinates and radii alike, as scaling every pt3d point after
  Import3d); ``nseg`` follows the d_lambda rule (``d_lambda`` of the AC length constant at ``frequency``,
  odd, the length constant averaged over the 3-D points as NEURON's ``lambda_f``) unless given.

* The neuromorpho.org 3-point soma (three soma points, the two outer ones childless children of the first,
  all of one diameter, spanning one diameter) is a sphere: only its first point is kept, as in Import3d.

Not reproduced from Import3d: contour somas (Neurolucida files) and its refusal of files with several trees
(each tree here is a separate cell).

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


def _three_point_soma(order, par, typ, xyz, rad, children) -> set:
    """The neuromorpho.org 3-point soma that Import3d reads as a sphere: exactly three soma points, the
    second and third (file order) childless children of the first, all of one diameter, and the two
    distances from the first point summing to that diameter (within 1 %). Returns the two points to drop."""
    if len(order) < 3 or sum(1 for i in order if typ[i] == 1) != 3:
        return set()
    c, a, b = order[:3]
    if not (typ[c] == typ[a] == typ[b] == 1 and par[a] == c and par[b] == c and not children[a]
            and not children[b] and rad[a] == rad[c] == rad[b]):
        return set()
    length = np.linalg.norm(xyz[a] - xyz[c]) + np.linalg.norm(xyz[b] - xyz[c])
    return {a, b} if abs(length / (2 * rad[c]) - 1) < 0.01 else set()


def _section_ends(order, pos, par, typ, key, children):
    """Import3d's section boundaries: ``ends[p]`` is True where the section through point p stops.

    A point ends its section unless it has exactly one child, on the next line, with the same type name;
    exceptions (Import3d): a non-soma root, or a non-soma point hanging from a soma, keeps its section going
    into the child on the next line and its other children attach at the section's 0 end (``prox``); a soma
    point whose next line is its soma child continues into it unless it has several soma children (the
    first point excepted). Returns ``(ends, prox, nchild_soma)``.
    """
    count = {i: 0.0 for i in order}
    prox = set()
    for i in order:
        p = par[i]
        if p == -1:
            continue
        count[p] += 1
        if pos[p] != pos[i] - 1:                # not on the line after its parent
            count[p] += 0.01
            pp = par[p]
            if typ[p] != 1 and (pp == -1 or (pos[p] > 1 and typ[pp] == 1)):
                prox.add(i)
                count[p] = 1.0
        if key[p] != key[i]:
            count[p] += 0.01
    nchild_soma = {i: sum(1 for c in children[i] if typ[c] == 1) if typ[i] == 1 else 0 for i in order}
    for k in range(len(order) - 1):
        i, j = order[k], order[k + 1]
        if typ[i] == 1 and typ[j] == 1 and par[j] == i and not (k != 0 and nchild_soma[i] > 1):
            count[i] = 1.0
    return {i: count[i] != 1.0 for i in order}, prox, nchild_soma


def _attachment(first, pts, ppts, par, typ, prox, nchild_soma):
    """Import3d's connection of the section ``pts`` to its parent section ``ppts``: (parent x, wire).

    ``wire`` True means the section does not start with a copy of its parent point (Import3d's
    pt3dstyle "logical connection" of dendrites to somas)."""
    if ppts is None:
        return 0.0, False
    attach = par[first]
    soma_parent = typ[ppts[0]] == 1
    neurite_on_soma = soma_parent and typ[first] != 1
    x, wire, handled = 1.0, False, False
    if par[ppts[0]] == -1:                       # parent is a root section
        handled = True
        if neurite_on_soma and len(ppts) == 1:   # one-point soma
            x, wire = 0.5, len(pts) > 1
        elif attach == ppts[0]:
            x, wire = 0.0, typ[first] != 1 and nchild_soma[attach] > 1
        else:
            handled = False
    if not handled and soma_parent:
        if attach != ppts[-1]:                   # interior of a soma section
            x, wire = 0.5, neurite_on_soma and len(pts) > 1
        elif len(pts) > 1 and nchild_soma[attach] > 1 and typ[first] != 1:
            wire = True
    if first in prox:
        x = 0.0
    return x, wire


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
    order = sorted(ids)
    pos = {i: k for k, i in enumerate(order)}
    dropped = _three_point_soma(order, par, typ, xyz, rad, children)
    if dropped:               # Import3d keeps only the middle point: a one-point (spherical) soma
        ids = [i for i in ids if i not in dropped]
        order = [i for i in order if i not in dropped]
        children[order[0]] = [c for c in children[order[0]] if c not in dropped]
    ends, prox, nchild_soma = _section_ends(order, pos, par, typ, key, children)

    def continues(p, c):          # is c in the same section as its parent p? (c on the next line, p no end)
        return not ends[p] and pos[c] == pos[p] + 1
    # section heads: roots and points that do not continue their parent's section
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
    # sections are built parents first; names are numbered in file order, as Import3d numbers them
    name_rank = {hd: r for r, hd in enumerate(sorted(heads, key=lambda i: pos[i]))}
    heads.sort(key=lambda i: (depth[i], pos[i]))
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
    names = {}
    counters: dict[str, int] = {}
    soma_heads = sorted((hd for hd in heads if typ[hd] == 1), key=lambda i: name_rank[i])
    soma_head = soma_heads[0] if soma_heads else None
    for hd in sorted(heads, key=lambda i: name_rank[i]):
        if hd == soma_head and len(soma_heads) == 1 and key[hd] == "soma":
            names[hd] = "soma"             # a single soma section (Import3d: soma[0], which hoc calls soma)
            continue
        c = counters.get(key[hd], 0)
        counters[key[hd]] = c + 1
        names[hd] = f"{key[hd]}[{c}]"
    sections = []
    by_type: dict[str, list] = {}
    soma = None
    built: dict[int, object] = {}
    for k, pts in enumerate(paths):
        first = pts[0]
        t = typ[first]
        tname = key[first]
        name = names[first]
        attach = par[first]
        x, wire = _attachment(first, pts, paths[head_of[attach]] if attach != -1 else None, par, typ, prox,
                              nchild_soma)
        # 3-D points: the attachment point (unless connected by a "wire") then the section's own points
        poly = [xyz[p] for p in pts]
        diams = [2 * rad[p] for p in pts]
        if attach != -1 and not wire:
            poly.insert(0, xyz[attach])
            # a neurite leaving a soma starts with its own diameter, not the soma's
            diams.insert(0, diams[0] if typ[attach] == 1 and t != 1 else 2 * rad[attach])
        sec = model.section(name, Ra=Ra, cm=cm)
        sphere = len(poly) == 1
        if sphere:             # one-point root: a sphere, as Import3d's 3-point cylinder along x, L = diam
            c, dd = poly[0], diams[0]
            poly = [c - [dd / 2, 0, 0], c, c + [dd / 2, 0, 0]]
            diams = [dd] * 3
        poly = np.array(poly)
        diams = np.array(diams)
        if sphere:
            sec.set_pt3d(poly, diams)
            sec.nseg = 1
        else:
            arc = arc_lengths(poly)
            if not arc[-1] > 0:
                raise SwcError(f"{path}: section {name} starting at point {first} has zero length "
                               f"(all its points coincide)")
            sec.set_pt3d(poly, diams)
            sec.nseg = nseg if nseg is not None else _d_lambda_nseg(
                arc[-1], _lambda_f(arc, diams, Ra, cm, frequency), d_lambda)
        if first == soma_head:
            soma = sec
        built[k] = sec
        sections.append(sec)
        by_type.setdefault(tname, []).append(sec)
        if attach != -1:
            sec.connect(built[head_of[attach]](x))
    return SwcCell(sections=sections, soma=soma, by_type=by_type)


__all__ = ["load_swc", "read_swc", "SwcCell", "SwcError"]
