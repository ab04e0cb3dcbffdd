"""A NEURON-style facade: ``from neurodyn.cells import h`` lets NEURON Python scripts run unchanged.

``h`` wraps the default :class:`~neurodyn.cells.model.CellModel`. Supported: ``h.Section(name=...)``,
``h.IClamp``, ``h.ExpSyn``, ``h.Exp2Syn``, ``h.NetStim``, ``h.NetCon``, ``h.Vector`` (``record``),
``h._ref_t``, ``h.tstop``, ``h.dt``, ``h.t``, ``h.v_init``, ``h.celsius``, ``h.secondorder``, ``h.usetable_hh``,
``h.finitialize``, ``h.stdinit``, ``h.run``, ``h.continuerun``, ``h.fadvance``, ``h.allsec``,
``h.delete_section``, ``h.topology``, ``h.load_file('stdrun.hoc')`` (no-op) and ``h.cvode.active(1)``
(switches ``h.run`` to the adaptive method; ``h.cvode.atol``/``rtol`` set tolerances).

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
from neurodyn.cells.errors import CellError, RangeVariableError
from neurodyn.cells.events import Exp2Syn, ExpSyn, IClamp, NetCon, NetStim, Vector
from neurodyn.cells.model import CellModel, default_model
from neurodyn.cells.section import Section, TimeReference


class _CVode:
    def __init__(self):
        self._active = False
        self._atol = 1e-3
        self._rtol = 0.0

    def active(self, flag=None):
        if flag is not None:
            self._active = bool(flag)
        return int(self._active)

    def atol(self, value=None):
        if value is not None:
            self._atol = float(value)
        return self._atol

    def rtol(self, value=None):
        if value is not None:
            self._rtol = float(value)
        return self._rtol


_SETTINGS = ("tstop", "dt", "v_init", "celsius", "secondorder")


class HocFacade:
    """NEURON's ``h`` object backed by a :class:`CellModel`."""

    def __init__(self, model: CellModel | None = None):
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "cvode", _CVode())
        object.__setattr__(self, "_ref_t", TimeReference())

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

    def Vector(self, data=None) -> Vector:
        return Vector(data, model=self.model)

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
        m = self.model
        if tstop is not None:
            m.tstop = float(tstop)
        if self.cvode._active:
            atol = self.cvode._atol
            rtol = self.cvode._rtol if self.cvode._rtol > 0 else 1e-6
            m.run(method="adaptive", atol=atol, rtol=rtol)
        else:
            m.run()

    def load_file(self, name, *args) -> int:
        if str(name) not in ("stdrun.hoc", "stdgui.hoc", "nrngui.hoc"):
            raise CellError(f"load_file({name!r}): hoc files are not supported; only the standard run "
                            "library names are accepted (as no-ops)")
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
        return sec(x).area()

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
            "continuerun", "allsec", "delete_section", "cvode", "t", "_ref_t"]))

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
