"""Sections, segments and range variables (NEURON's cable model objects).

A :class:`Section` is an unbranched cable of length ``L`` (um) split into ``nseg`` segments; ``diam`` (um)
and ``cm`` (uF/cm2) are per-segment range variables, ``Ra`` (ohm cm) is per section. ``sec(x)`` returns the
:class:`Segment` containing ``x`` (NEURON's rule: segment ``int(x*nseg)``, ends map to the end nodes for
voltages). Inserted mechanisms keep one value per segment for each parameter and state.

Examples
--------
>>> from neurodyn.cells import CellModel
>>> m = CellModel()
>>> soma = m.section("soma", L=20, diam=20)
>>> dend = m.section("dend", L=200, diam=1, nseg=5)
>>> _ = dend.connect(soma(1))
>>> soma.insert("hh").gnabar_hh = 0.1
>>> round(soma(0.5).hh.gnabar, 3), [round(s.x, 2) for s in dend]
(0.1, [0.1, 0.3, 0.5, 0.7, 0.9])
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from neurodyn.errors import close_matches
from neurodyn.cells.errors import (GeometryError, LocationError, MechanismError, RangeVariableError,
                                   RecordingError, TopologyError)
from neurodyn.cells.mechanisms import get_mechanism
from neurodyn.cells.pt3d import arc_lengths, frustum_geometry

_SECTION_PROPS = ("L", "diam", "nseg", "Ra", "cm", "v")


def _positive(name: str, value, where: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise GeometryError(f"{where}: {name} must be a positive number, got {value!r}") from None
    if not (math.isfinite(x) and x > 0):
        raise GeometryError(f"{where}: {name} must be positive and finite, got {value!r}")
    return x


class MechanismData:
    """Per-segment values of one mechanism inserted in one section."""

    __slots__ = ("mech", "P", "S", "A")

    def __init__(self, mech, nseg: int):
        self.mech = mech
        self.P = np.repeat(np.array(list(mech.parameters.values()), dtype=float)[:, None], nseg, axis=1)
        self.S = np.zeros((len(mech.gates), nseg))
        self.A = np.zeros((len(mech.assigned_names), nseg))

    def resample(self, idx: np.ndarray) -> None:
        self.P = self.P[:, idx].copy()
        self.S = self.S[:, idx].copy()
        self.A = self.A[:, idx].copy()

    def array(self, kind: str):
        return {"param": self.P, "state": self.S, "assigned": self.A}[kind]


class Section:
    """An unbranched cable (NEURON Section).

    Parameters
    ----------
    name : str
        Name used in messages and ``repr``.
    model : CellModel
        The model the section belongs to (the facade's default model when created through ``h``).
    L, diam, nseg, Ra, cm : float, optional
        Length (um), diameter (um), number of segments, axial resistivity (ohm cm), capacitance (uF/cm2).
        NEURON's defaults: 100, 500, 1, 35.4, 1.

    Examples
    --------
    >>> from neurodyn.cells import CellModel
    >>> sec = CellModel().section("axon", L=1000, diam=1, nseg=11)
    >>> sec
    Section('axon', L=1000, nseg=11)
    """

    def __init__(self, name: str, model, L=100.0, diam=500.0, nseg=1, Ra=35.4, cm=1.0):
        d = self.__dict__
        d["_model"] = model
        d["_name"] = str(name)
        d["_nseg"] = 1
        d["_L"] = 100.0
        d["_Ra"] = 35.4
        d["_diam"] = np.array([500.0])
        d["_cm"] = np.array([1.0])
        d["_v"] = np.array([-65.0])
        d["_v_end"] = -65.0
        d["_v_root"] = -65.0
        d["_mechs"] = {}
        d["_parent"] = None
        d["_parent_x"] = 1.0
        d["_deleted"] = False
        d["_pt3d"] = None
        self.nseg = nseg
        self.L = L
        self.Ra = Ra
        self.diam = diam
        self.cm = cm
        d["_uid"] = model._register_section(self)

    # ------------------------------------------------------------------ basic properties
    def name(self) -> str:
        """Section name (a method, as in NEURON)."""
        return self._name

    def hname(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"Section({self._name!r}, L={self._L:g}, nseg={self._nseg})"

    def __str__(self) -> str:
        return self._name

    @property
    def L(self) -> float:
        return self._L

    @L.setter
    def L(self, value) -> None:
        self.__dict__["_L"] = _positive("L", value, f"section {self._name!r}")
        self.__dict__["_pt3d"] = None
        self._model._touch()

    @property
    def Ra(self) -> float:
        return self._Ra

    @Ra.setter
    def Ra(self, value) -> None:
        self.__dict__["_Ra"] = _positive("Ra", value, f"section {self._name!r}")
        self._model._touch()

    @property
    def nseg(self) -> int:
        return self._nseg

    @nseg.setter
    def nseg(self, value) -> None:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise GeometryError(f"section {self._name!r}: nseg must be an integer >= 1, got {value!r}")
        n = int(value)
        if n < 1:
            raise GeometryError(f"section {self._name!r}: nseg must be >= 1, got {n}")
        old = self._nseg
        if n != old:
            # each new segment takes the values of the old segment containing its centre
            centres = (np.arange(n) + 0.5) / n
            idx = np.minimum((centres * old).astype(int), old - 1)
            d = self.__dict__
            d["_diam"] = self._diam[idx].copy()
            d["_cm"] = self._cm[idx].copy()
            d["_v"] = self._v[idx].copy()
            for md in self._mechs.values():
                md.resample(idx)
            d["_nseg"] = n
            if self._pt3d is not None:
                d["_diam"] = self._geometry3d().diam
            self._model._touch()

    @property
    def diam(self) -> float:
        return float(self._diam[self._nseg // 2]) if self._nseg % 2 else float(self._diam[self._nseg // 2])

    @diam.setter
    def diam(self, value) -> None:
        self._diam[:] = _positive("diam", value, f"section {self._name!r}")
        self.__dict__["_pt3d"] = None
        self._model._touch()

    # ------------------------------------------------------------------ 3-D points
    def set_pt3d(self, xyz, diam) -> "Section":
        """Give the section 3-D points (um): ``xyz`` shape (n, 3), ``diam`` shape (n,), n >= 2.

        ``L`` becomes the path length through the points; segment areas, axial resistances and ``diam``
        are integrated over the frustums between points (:mod:`neurodyn.cells.pt3d`, NEURON's rule) for any
        ``nseg``. Setting ``L`` or ``diam`` afterwards discards the points (the section becomes a
        stylized cylinder again).

        Examples
        --------
        >>> from neurodyn.cells import CellModel
        >>> sec = CellModel().section("d", nseg=1)
        >>> _ = sec.set_pt3d([[0, 0, 0], [30, 40, 0]], [2, 1])
        >>> sec.L, sec.diam, sec.n3d()
        (50.0, 1.5, 2)
        """
        where = f"section {self._name!r}: set_pt3d"
        try:
            xyz = np.array(xyz, dtype=float)
            dd = np.array(diam, dtype=float)
        except (TypeError, ValueError):
            raise GeometryError(f"{where}: points and diameters must be numbers") from None
        if xyz.ndim != 2 or xyz.shape[1] != 3 or dd.shape != (xyz.shape[0],) or len(dd) < 2:
            raise GeometryError(f"{where}: expected xyz of shape (n, 3) and diam of shape (n,) with n >= 2, "
                                f"got {xyz.shape} and {dd.shape}")
        if not (np.all(np.isfinite(xyz)) and np.all(np.isfinite(dd)) and np.all(dd > 0)):
            raise GeometryError(f"{where}: coordinates must be finite and diameters positive")
        arc = arc_lengths(xyz)
        if not arc[-1] > 0:
            raise GeometryError(f"{where}: all points coincide (zero length)")
        d = self.__dict__
        d["_pt3d"] = (xyz, dd, arc)
        d["_L"] = float(arc[-1])
        d["_diam"] = self._geometry3d().diam
        self._model._touch()
        return self

    def n3d(self) -> int:
        """Number of 3-D points (0 for a stylized section)."""
        return 0 if self._pt3d is None else len(self._pt3d[1])

    def pt3d(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Copies of the 3-D points ``(xyz, diam)``, or None for a stylized section."""
        return None if self._pt3d is None else (self._pt3d[0].copy(), self._pt3d[1].copy())

    def _geometry3d(self):
        """Per-segment diam, area and half-segment resistances from the 3-D points (None without points)."""
        if self._pt3d is None:
            return None
        _, dd, arc = self._pt3d
        return frustum_geometry(arc, dd, self._nseg, self._Ra)

    @property
    def cm(self) -> float:
        return float(self._cm[self._nseg // 2])

    @cm.setter
    def cm(self, value) -> None:
        self._cm[:] = _positive("cm", value, f"section {self._name!r}")

    @property
    def v(self) -> float:
        return float(self._v[min(int(0.5 * self._nseg), self._nseg - 1)])

    # ------------------------------------------------------------------ topology
    def __call__(self, x: float = 0.5) -> "Segment":
        return Segment(self, x)

    def __iter__(self):
        n = self._nseg
        for i in range(n):
            yield Segment(self, (i + 0.5) / n)

    def allseg(self):
        """Segments plus the two end points x = 0 and x = 1 (NEURON's ``sec.allseg()``)."""
        yield Segment(self, 0.0)
        yield from self
        yield Segment(self, 1.0)

    def connect(self, parent, x: float | None = None, childend: float = 0.0) -> "Section":
        """Attach this section's 0 end to ``parent`` (a Segment, or a Section with ``x``).

        Raises :class:`TopologyError` for connections to itself, into a cycle, or across models.
        """
        if isinstance(parent, Segment):
            psec, px = parent.sec, parent.x
            if x is not None:
                childend = x
        elif isinstance(parent, Section):
            psec, px = parent, 1.0 if x is None else float(x)
        else:
            raise TopologyError(f"section {self._name!r}: connect() expects a segment such as parent(1) or a "
                                f"Section, got {type(parent).__name__}")
        _check_x(px, f"connect({psec._name}({px!r}))")
        if float(childend) != 0.0:
            raise TopologyError(f"section {self._name!r}: only the 0 end of a child can be connected "
                                f"(childend={childend!r}); build the section in the other direction")
        if psec._deleted or self._deleted:
            raise TopologyError("cannot connect a deleted section")
        if psec._model is not self._model:
            raise TopologyError(f"sections {self._name!r} and {psec._name!r} belong to different models")
        if psec is self:
            raise TopologyError(f"section {self._name!r} cannot be connected to itself")
        anc = psec
        while anc is not None:
            if anc is self:
                raise TopologyError(f"connecting {self._name!r} to {psec._name!r} would make a cycle: "
                                    f"{psec._name!r} is already in the subtree of {self._name!r}")
            anc = anc._parent
        self.__dict__["_parent"] = psec
        self.__dict__["_parent_x"] = float(px)
        self._model._touch()
        return self

    def disconnect(self) -> None:
        self.__dict__["_parent"] = None
        self._model._touch()

    def parentseg(self):
        return None if self._parent is None else Segment(self._parent, self._parent_x)

    def trueparentseg(self):
        return self.parentseg()

    def children(self) -> list["Section"]:
        return [s for s in self._model.sections() if s._parent is self]

    # ------------------------------------------------------------------ mechanisms
    def insert(self, name) -> "Section":
        """Insert a density mechanism (``'hh'``, ``'pas'`` or a registered user mechanism)."""
        mech = get_mechanism(name)
        if mech.name not in self._mechs:
            self._mechs[mech.name] = MechanismData(mech, self._nseg)
            self._model._touch()
        return self

    def uninsert(self, name) -> "Section":
        mech = get_mechanism(name)
        self._mechs.pop(mech.name, None)
        self._model._touch()
        return self

    def has_membrane(self, name: str) -> bool:
        return name in self._mechs

    def psection(self) -> dict:
        """Summary dictionary (like NEURON's ``sec.psection()``, fewer fields)."""
        return {"name": self._name, "L": self._L, "nseg": self._nseg, "Ra": self._Ra,
                "diam": self._diam.tolist(), "cm": self._cm.tolist(),
                "density_mechs": {k: {p: md.P[r].tolist() for r, p in enumerate(md.mech.parameter_names)}
                                  for k, md in self._mechs.items()}}

    def _lookup(self, name: str):
        """Resolve ``var_mech`` to (MechanismData, kind, row)."""
        for mname in sorted(self._mechs, key=len, reverse=True):
            if name.endswith("_" + mname) and len(name) > len(mname) + 1:
                md = self._mechs[mname]
                kind, row = md.mech.resolve(name[:-len(mname) - 1])
                return md, kind, row
        raise RangeVariableError(f"section {self._name!r} has no range variable {name!r}; "
                             + close_matches(name, self._range_names()))

    def _range_names(self) -> list[str]:
        names = ["L", "diam", "nseg", "Ra", "cm", "v"]
        for k, md in self._mechs.items():
            names += [f"{n}_{k}" for n in md.mech.range_names]
        return names

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if name.startswith("_ref_"):
            return Segment(self, 0.5).__getattr__(name)
        if name in self.__dict__.get("_mechs", {}):
            return MechanismView(Segment(self, 0.5), self._mechs[name])
        md, kind, row = self._lookup(name)
        i = min(int(0.5 * self._nseg), self._nseg - 1)
        return float(md.array(kind)[row, i])

    def __setattr__(self, name: str, value) -> None:
        if name in _SECTION_PROPS or name in type(self).__dict__:
            if name == "v":
                self._v[:] = float(value)
                self.__dict__["_v_end"] = float(value)
                return
            object.__setattr__(self, name, value)
            return
        md, kind, row = self._lookup(name)
        md.array(kind)[row, :] = _finite(value, f"{self._name}.{name}")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._range_names()))

    # ------------------------------------------------------------------ per-node helpers
    def _seg_index(self, x: float) -> int:
        i = int(x * self._nseg)
        return min(i, self._nseg - 1)


def _check_x(x, where: str) -> float:
    try:
        xf = float(x)
    except (TypeError, ValueError):
        raise LocationError(f"{where}: position x must be a number in [0, 1], got {x!r}") from None
    if not (0.0 <= xf <= 1.0):
        raise LocationError(f"{where}: position x={x!r} is outside [0, 1]")
    return xf


def _finite(value, where: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise MechanismError(f"{where}: expected a number, got {value!r}") from None
    if not math.isfinite(x):
        raise MechanismError(f"{where}: value must be finite, got {value!r}")
    return x


class Segment:
    """A position ``x`` on a section; gives access to the range variables of the segment containing it.

    Examples
    --------
    >>> from neurodyn.cells import CellModel
    >>> sec = CellModel().section("s", nseg=3).insert("pas")
    >>> seg = sec(0.5); seg.pas.g = 2e-4
    >>> seg.g_pas, seg
    (0.0002, s(0.5))
    """

    __slots__ = ("sec", "x")

    def __init__(self, sec: Section, x: float):
        object.__setattr__(self, "sec", sec)
        object.__setattr__(self, "x", _check_x(x, f"{sec._name}(x)"))

    def __repr__(self) -> str:
        return f"{self.sec._name}({self.x:g})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Segment) and other.sec is self.sec and self.index == other.index

    def __hash__(self) -> int:
        return hash((id(self.sec), self.index))

    @property
    def index(self) -> int:
        return self.sec._seg_index(self.x)

    def node_key(self):
        """Identify the voltage node: ('seg', i), ('end',) at x = 1 or ('start',) at x = 0."""
        if self.x == 1.0:
            return ("end",)
        if self.x == 0.0:
            return ("start",)
        return ("seg", self.index)

    def area(self) -> float:
        """Membrane area of the segment (um2): a cylinder, or the frustums of the section's 3-D points."""
        s = self.sec
        g = s._geometry3d()
        if g is not None:
            return float(g.area[self.index])
        return math.pi * s._diam[self.index] * s._L / s._nseg

    def ri(self) -> float:
        """Axial resistance (megohm) between this node and its parent node (NEURON's ``seg.ri()``)."""
        s = self.sec
        i = self.index
        g = s._geometry3d()
        if g is not None:
            return float(g.rleft[i] + (g.rright[i - 1] if i > 0 else 0.0))
        dx = s._L / s._nseg
        rl = 1e-2 * s._Ra * (dx / 2) / (math.pi * s._diam[i] ** 2 / 4)
        rr = 0.0 if i == 0 else 1e-2 * s._Ra * (dx / 2) / (math.pi * s._diam[i - 1] ** 2 / 4)
        return rl + rr

    def __iter__(self):
        for md in self.sec._mechs.values():
            yield MechanismView(self, md)

    @property
    def v(self) -> float:
        s = self.sec
        if self.x == 1.0:
            return float(s._v_end)
        if self.x == 0.0:
            if s._parent is not None:
                return Segment(s._parent, s._parent_x).v
            return float(s._v_root)
        return float(s._v[self.index])

    @v.setter
    def v(self, value) -> None:
        s = self.sec
        value = _finite(value, f"{self}.v")
        if self.x == 1.0:
            s.__dict__["_v_end"] = value
        elif self.x == 0.0 and s._parent is None:
            s.__dict__["_v_root"] = value
        else:
            s._v[self.index] = value

    @property
    def diam(self) -> float:
        return float(self.sec._diam[self.index])

    @diam.setter
    def diam(self, value) -> None:
        self.sec._diam[self.index] = _positive("diam", value, f"{self}")
        self.sec.__dict__["_pt3d"] = None
        self.sec._model._touch()

    @property
    def cm(self) -> float:
        return float(self.sec._cm[self.index])

    @cm.setter
    def cm(self, value) -> None:
        self.sec._cm[self.index] = _positive("cm", value, f"{self}")

    def __getattr__(self, name: str):
        sec = self.sec
        if name.startswith("_ref_"):
            var = name[5:]
            if var == "v":
                return Reference(self, "v", None, None, None)
            md, kind, row = _seg_lookup(self, var)
            return Reference(self, var, md, kind, row)
        if name in sec._mechs:
            return MechanismView(self, sec._mechs[name])
        if name in ("L", "Ra", "nseg"):
            return getattr(sec, name)
        md, kind, row = _seg_lookup(self, name)
        return float(md.array(kind)[row, self.index])

    def __setattr__(self, name: str, value) -> None:
        if name in ("v", "diam", "cm"):
            object.__setattr__(self, name, value)
            return
        if name in ("sec", "x"):
            raise AttributeError(f"{name} of a segment is read-only")
        md, kind, row = _seg_lookup(self, name)
        md.array(kind)[row, self.index] = _finite(value, f"{self}.{name}")

    def point_processes(self) -> list:
        return [p for p in self.sec._model.point_processes() if p._seg == self]


def _seg_lookup(seg: Segment, name: str):
    try:
        return seg.sec._lookup(name)
    except MechanismError:
        names = seg.sec._range_names() + [n for k in seg.sec._mechs for n in (k,)]
        raise RangeVariableError(f"segment {seg} has no range variable {name!r}; "
                             + close_matches(name, names)) from None


class MechanismView:
    """``seg.hh``: the values of one mechanism at one segment (``seg.hh.gnabar``)."""

    __slots__ = ("seg", "md")

    def __init__(self, seg: Segment, md: MechanismData):
        object.__setattr__(self, "seg", seg)
        object.__setattr__(self, "md", md)

    def name(self) -> str:
        return self.md.mech.name

    def __repr__(self) -> str:
        return f"{self.seg}.{self.md.mech.name}"

    def __getattr__(self, name: str):
        if name.startswith("_ref_"):
            kind, row = self.md.mech.resolve(name[5:])
            return Reference(self.seg, f"{name[5:]}_{self.md.mech.name}", self.md, kind, row)
        kind, row = self.md.mech.resolve(name)
        return float(self.md.array(kind)[row, self.seg.index])

    def __setattr__(self, name: str, value) -> None:
        kind, row = self.md.mech.resolve(name)
        self.md.array(kind)[row, self.seg.index] = _finite(value, f"{self}.{name}")


class Reference:
    """A pointer to a recordable quantity (NEURON's ``_ref_v``): a segment voltage or mechanism variable."""

    __slots__ = ("seg", "var", "md", "kind", "row")

    def __init__(self, seg, var, md, kind, row):
        self.seg, self.var, self.md, self.kind, self.row = seg, var, md, kind, row

    def __repr__(self) -> str:
        return f"<ref {self.seg}._ref_{self.var}>"

    def __getitem__(self, i):
        if i != 0:
            raise RecordingError("a reference has only element 0")
        if self.var == "v":
            return self.seg.v
        return float(self.md.array(self.kind)[self.row, self.seg.index])


class TimeReference:
    """``h._ref_t``."""

    def __repr__(self) -> str:
        return "<ref t>"


__all__ = ["Section", "Segment", "MechanismView", "Reference", "TimeReference"]
