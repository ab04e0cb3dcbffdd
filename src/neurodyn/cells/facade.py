"""A NEURON-style facade: ``from neurodyn.cells import h`` lets NEURON Python scripts run unchanged.

``h`` wraps the default :class:`~neurodyn.cells.model.CellModel`. Supported: ``h.Section(name=...)``,
``h.IClamp``, ``h.ExpSyn``, ``h.Exp2Syn``, ``h.NetStim``, ``h.NetCon``, ``h.Vector`` (``record``),
``h._ref_t``, ``h.tstop``, ``h.dt``, ``h.t``, ``h.v_init``, ``h.celsius``, ``h.secondorder``, ``h.usetable_hh``,
``h.finitialize``, ``h.stdinit``, ``h.run``, ``h.continuerun``, ``h.fadvance``, ``h.allsec``,
``h.delete_section``, ``h.topology``, ``h.distance``, ``h.area``, ``h.load_file('stdrun.hoc')`` (no-op) and
``h.cvode`` / ``h.CVode()`` (``active(1)`` switches ``finitialize`` + ``continuerun``/``fadvance`` and ``run``
to the adaptive method; ``atol``/``rtol`` set tolerances). ``h('hoc code')`` raises
:class:`~neurodyn.cells.errors.HocStringError` saying what to write in Python instead.

Examples
--------
>>> from neurodyn.cells import h
>>> soma = h.Section(name="soma_doc"); soma.L = soma.diam = 10; soma.insert("pas")
Section('soma_doc', L=10, nseg=1)
>>> v = h.Vector().record(soma(0.5)._ref_v); t = h.Vector().record(h._ref_t)
>>> h.tstop = 1; h.run(); len(t)
41
>>> h.delete_section(sec=soma)
"""
from __future__ import annotations

from neurodyn.errors import close_matches
from neurodyn.cells.errors import CellError, HocStringError, LocationError, RangeVariableError
from neurodyn.cells.events import Exp2Syn, ExpSyn, IClamp, NetCon, NetStim, Vector
from neurodyn.cells.model import CellModel, default_model
from neurodyn.cells.section import Section, Segment, TimeReference
from neurodyn.cells.topology import path_distance


class _CVode:
    """NEURON's CVode object for one facade: the settings live on the facade's model (``cvode_active``,
    ``cvode_atol``, ``cvode_rtol``), so ``CellModel.finitialize`` honours them too."""

    def __init__(self, facade: "HocFacade"):
        self._facade = facade

    def active(self, flag=None) -> int:
        m = self._facade.model
        if flag is not None:
            m.cvode_active = bool(flag)
        return int(m.cvode_active)

    def atol(self, value=None) -> float:
        m = self._facade.model
        if value is not None:
            if not float(value) > 0:
                raise CellError(f"cvode.atol must be > 0, got {value!r}")
            m.cvode_atol = float(value)
        return m.cvode_atol

    def rtol(self, value=None) -> float:
        m = self._facade.model
        if value is not None:
            if not float(value) >= 0:
                raise CellError(f"cvode.rtol must be >= 0, got {value!r}")
            m.cvode_rtol = float(value)
        return m.cvode_rtol

    def re_init(self) -> None:
        """Nothing to do: events and states are re-read at every ``continuerun``."""

    def __repr__(self) -> str:
        return f"<CVode active={self.active()} atol={self.atol():g} rtol={self.rtol():g}>"


#: common hoc statements and what to write in Python instead (h('...') raises with the matching hint)
_HOC_HINTS = (
    ("forall delete_section", "for sec in h.allsec(): h.delete_section(sec=sec)"),
    ("create ", "soma = h.Section(name='soma')"),
    ("access ", "nothing: pass sec= or use segments (soma(0.5)) explicitly"),
    ("insert ", "sec.insert('hh')"),
    ("connect ", "child.connect(parent(1))"),
    ("load_file", "h.load_file('stdrun.hoc') (the standard run library is built in)"),
    ("nrn_load_dll", "register_mechanism(Mechanism(...)) from neurodyn.cells (mechanisms are written as "
                     "equations, not compiled NMODL)"),
    ("objref", "an ordinary Python variable"),
    ("tstop", "h.tstop = 100"),
    ("celsius", "h.celsius = 6.3"),
    ("run(", "h.run() or h.finitialize(-65); h.continuerun(h.tstop)"),
)


_SETTINGS = ("tstop", "dt", "v_init", "celsius", "secondorder")


class HocFacade:
    """NEURON's ``h`` object backed by a :class:`CellModel`."""

    def __init__(self, model: CellModel | None = None):
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "cvode", _CVode(self))
        object.__setattr__(self, "_ref_t", TimeReference())
        object.__setattr__(self, "_origin", None)

    @property
    def model(self) -> CellModel:
        return self._model if self._model is not None else default_model()

    # -- objects
    def Section(self, name: str = "section", cell=None) -> Section:
        return Section(name, self.model)

    def IClamp(self, loc=0.5, sec=None) -> IClamp:
        return IClamp(loc, sec=sec)

    def ExpSyn(self, loc=0.5, sec=None) -> ExpSyn:
        return ExpSyn(loc, sec=sec)

    def Exp2Syn(self, loc=0.5, sec=None) -> Exp2Syn:
        return Exp2Syn(loc, sec=sec)

    def NetStim(self) -> NetStim:
        return NetStim(self.model)

    def NetCon(self, source, target, threshold=None, delay=1.0, weight=0.0, sec=None) -> NetCon:
        return NetCon(self.model, source, target, threshold=threshold, delay=delay, weight=weight)

    def Vector(self, data=None, value=None) -> Vector:
        return Vector(data, value, model=self.model)

    def CVode(self) -> _CVode:
        """The CVode object (the same one as ``h.cvode``)."""
        return self.cvode

    def __call__(self, code, *args):
        text = str(code)
        hint = next((fix for key, fix in _HOC_HINTS if key in text), None)
        raise HocStringError(
            f"h({text!r}): hoc strings are not supported by neurodyn.cells (it runs Python, not the hoc "
            "interpreter); write the Python equivalent"
            + (f", here: {hint}" if hint else ", e.g. h.Section(name='soma'), sec.insert('hh'), h.tstop = 100, "
               "h.run()") + " (docs/cells.md, 'The NEURON facade')")

    # -- run control
    def finitialize(self, v_init=None) -> int:
        self.model.finitialize(v_init)
        return 1

    def stdinit(self) -> None:
        self.model.finitialize(self.model.v_init)

    def continuerun(self, tstop) -> None:
        self.model.continuerun(float(tstop))

    def fadvance(self) -> int:
        self.model.fadvance()
        return 0

    def run(self, tstop=None) -> None:
        """``stdinit()`` then ``continuerun(tstop)`` (the adaptive method when ``cvode.active()``)."""
        m = self.model
        if tstop is not None:
            m.tstop = float(tstop)
        m.finitialize(m.v_init)
        m.continuerun(m.tstop)

    def load_file(self, name, *args) -> int:
        if str(name) not in ("stdrun.hoc", "stdgui.hoc", "nrngui.hoc"):
            raise HocStringError(f"load_file({name!r}): hoc files are not supported; only the standard run "
                                 "library names are accepted (as no-ops); port the file's code to Python")
        return 1

    # -- sections
    def allsec(self):
        return iter(self.model.sections())

    def delete_section(self, sec=None) -> None:
        if not isinstance(sec, Section):
            raise CellError("delete_section needs sec=<Section>")
        self.model.delete_section(sec)

    def topology(self) -> None:
        for s in self.model.sections():
            par = s._parent
            where = "" if par is None else f" connected to {par.name()}({s._parent_x:g})"
            print(f"|{'-' * s.nseg}|  {s.name()}(0-1){where}")

    def area(self, x, sec=None) -> float:
        if not isinstance(sec, Section):
            raise LocationError("h.area(x, sec=section): give the section")
        return sec(x).area()

    def distance(self, *args, sec=None) -> float:
        """Path distance along the tree (um), NEURON's forms:

        ``h.distance(seg_a, seg_b)``: between two locations; ``h.distance(0, seg)``, ``h.distance(0, x,
        sec=s)`` or ``h.distance(sec=s)``: set the origin (returns its x); ``h.distance(seg)`` or
        ``h.distance(1, x, sec=s)``: from the origin. Points in different trees are 1e20 apart (NEURON's
        value).
        """
        def loc(*a):
            if len(a) == 1 and isinstance(a[0], Segment):
                return a[0].sec, a[0].x
            if len(a) == 1 and isinstance(sec, Section):
                return sec, float(a[0])
            raise LocationError(f"h.distance{args!r}: give segments (h.distance(soma(0.5), dend(1))) or x with "
                                "sec= (h.distance(1, 0.5, sec=dend))")

        if len(args) == 2 and all(isinstance(a, Segment) for a in args):
            return path_distance(args[0].sec, args[0].x, args[1].sec, args[1].x)
        if not args and isinstance(sec, Section):
            object.__setattr__(self, "_origin", (sec, 0.0))
            return 0.0
        if len(args) in (2, 3) and args[0] in (0, 1) and not isinstance(args[0], bool):
            where = loc(*args[1:])
            if args[0] == 0:
                object.__setattr__(self, "_origin", where)
                return where[1]
            return self._from_origin(*where)
        if len(args) == 1:
            return self._from_origin(*loc(*args))
        raise LocationError(f"h.distance{args!r}: not a form NEURON knows; use h.distance(seg_a, seg_b), "
                            "h.distance(0, seg) to set the origin and h.distance(seg) from it")

    def _from_origin(self, s, x) -> float:
        if self._origin is None:
            raise LocationError("h.distance(seg): no origin set; set it with h.distance(0, seg) (or pass two "
                                "segments: h.distance(seg_a, seg_b))")
        return path_distance(self._origin[0], self._origin[1], s, x)

    # -- settings
    @property
    def t(self) -> float:
        return self.model.t

    def __getattr__(self, name):
        if name in _SETTINGS:
            return getattr(self.model, name)
        if name.startswith("usetable_"):
            return int(self.model.usetable.get(name[9:], True))
        raise RangeVariableError(f"h has no attribute {name!r}; " + close_matches(name, list(_SETTINGS) + [
            "Section", "IClamp", "ExpSyn", "Exp2Syn", "NetStim", "NetCon", "Vector", "run", "finitialize",
            "continuerun", "allsec", "delete_section", "cvode", "CVode", "distance", "t", "_ref_t"]))

    def __setattr__(self, name, value):
        if name in _SETTINGS:
            if name == "secondorder":
                value = int(value)
            setattr(self.model, name, value if name == "secondorder" else float(value))
        elif name.startswith("usetable_"):
            self.model.usetable[name[9:]] = bool(value)
        elif name == "t":
            self.model.t = float(value)
        else:
            raise RangeVariableError(f"h has no settable attribute {name!r}; " + close_matches(name, _SETTINGS))

    def __repr__(self) -> str:
        return f"<neurodyn.cells.h for {self.model!r}>"


h = HocFacade()
__all__ = ["h", "HocFacade"]
