"""Point processes (IClamp, ExpSyn, Exp2Syn), the NetStim spike generator, NetCon and Vector.

They follow NEURON's ``stim.mod``, ``expsyn.mod``, ``exp2syn.mod`` and ``netstim.mod``: same parameters,
defaults, units (nA, uS, ms, mV) and event semantics. Point-process currents are in nA and enter the cable
equation scaled by 100/area of their node.

Examples
--------
>>> from neurodyn.cells import CellModel
>>> m = CellModel()
>>> soma = m.section("soma", L=20, diam=20).insert("pas")
>>> syn = m.ExpSyn(soma(0.5)); syn.tau = 2.0
>>> stim = m.NetStim(); stim.number = 3; stim.start = 5; stim.interval = 10
>>> nc = m.NetCon(stim, syn, delay=1, weight=0.01)
>>> nc
NetCon(NetStim[0] -> ExpSyn[0] at soma(0.5), delay=1, weight=0.01)
"""
from __future__ import annotations

import math
import numbers


from neurodyn.errors import close_matches
from neurodyn.cells.errors import RangeVariableError, EventTargetError, LocationError, MechanismError, RecordingError
from neurodyn.cells.section import Reference, Section, Segment, _check_x
from neurodyn.cells.vector import Vector


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise MechanismError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


class PointProcess:
    """Base class: a process located at one segment with named parameters and states."""

    kind = ""
    params: dict[str, float] = {}
    states: tuple[str, ...] = ()
    aliases: dict[str, str] = {}

    def __init__(self, loc=None, x: float | None = None, sec: Section | None = None):
        d = self.__dict__
        d["_values"] = dict(self.params)
        d["_values"].update({s: 0.0 for s in self.states})
        if isinstance(loc, Segment):
            seg = loc
        elif isinstance(loc, numbers.Real) and sec is not None:
            seg = sec(_check_x(loc, f"{self.kind}({loc!r}, sec={sec.name()})"))
        elif loc is None and sec is not None:
            seg = sec(0.5 if x is None else x)
        else:
            raise LocationError(f"{self.kind} must be placed on a segment, e.g. {self.kind}(sec(0.5)), "
                                f"got {loc!r}")
        d["_seg"] = seg
        d["_model"] = seg.sec._model
        d["_uid"] = self._model._register_pp(self)

    def loc(self, seg, x=None) -> None:
        if isinstance(seg, Section):
            seg = seg(0.5 if x is None else x)
        if not isinstance(seg, Segment):
            raise LocationError(f"{self.kind}.loc expects a segment, got {seg!r}")
        self.__dict__["_seg"] = seg
        self._model._touch()

    def get_segment(self) -> Segment:
        return self._seg

    def get_loc(self) -> float:
        return self._seg.x

    def hname(self) -> str:
        return f"{self.kind}[{self._model._pp_index(self)}]"

    def __repr__(self) -> str:
        return f"{self.hname()} at {self._seg}"

    def _name(self, name: str) -> str:
        name = self.aliases.get(name, name)
        if name not in self._values:
            raise RangeVariableError(f"{self.kind} has no variable {name!r}; " + close_matches(name, self._values))
        return name

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if name.startswith("_ref_"):
            return PointReference(self, self._name(name[5:]))
        return self._values[self._name(name)]

    def __setattr__(self, name: str, value) -> None:
        self._values[self._name(name)] = _number(value, f"{self.kind}.{name}")

    def has_net_event(self) -> bool:
        return False


class IClamp(PointProcess):
    """Current clamp: ``amp`` nA from ``delay`` (alias ``del``) for ``dur`` ms (NEURON's stim.mod)."""

    kind = "IClamp"
    params = {"del": 0.0, "dur": 0.0, "amp": 0.0}
    states = ("i",)
    aliases = {"delay": "del"}


class ExpSyn(PointProcess):
    """Synapse with conductance jumping by the NetCon weight (uS) and decaying with ``tau`` (ms)."""

    kind = "ExpSyn"
    params = {"tau": 0.1, "e": 0.0}
    states = ("g", "i")


class Exp2Syn(PointProcess):
    """Dual-exponential synapse (rise ``tau1``, decay ``tau2``; peak conductance = weight)."""

    kind = "Exp2Syn"
    params = {"tau1": 0.1, "tau2": 10.0, "e": 0.0}
    states = ("A", "B", "g", "i")


class PointReference:
    """A recordable variable of a point process (``syn._ref_g``)."""

    __slots__ = ("pp", "var")

    def __init__(self, pp, var):
        self.pp, self.var = pp, var

    def __repr__(self) -> str:
        return f"<ref {self.pp.hname()}._ref_{self.var}>"


def _stream_word(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < 2 ** 32:
        raise MechanismError(f"{where} expects integers in [0, 2**32), got {value!r}")
    return int(value)


class NetStim:
    """Spike generator (NEURON's netstim.mod): ``number`` spikes from ``start`` every ``interval`` ms,
    with exponential jitter ``noise`` in [0, 1].

    With noise > 0 the intervals come from NEURON 9's stream for this generator (Random123 with ids
    (1, 0, n) for the n-th NetStim created, restarted at every ``finitialize``), so noisy trains are NEURON's
    spike for spike. ``noiseFromRandom123(id1, id2[, id3])`` picks other ids, as in NEURON. ``seed(x)``
    sets the stream's sequence number, as NEURON 9 does; like there, ``finitialize`` resets it to 0, so it
    only matters between ``finitialize`` and the run.
    """

    kind = "NetStim"
    params = {"interval": 10.0, "number": 10.0, "start": 50.0, "noise": 0.0}

    def __init__(self, model):
        d = self.__dict__
        d["_values"] = dict(self.params)
        d["_model"] = model
        d["_uid"] = model._register_netstim(self)

    def seed(self, value: int) -> None:
        """Set the sequence number of this generator's stream (NEURON 9: ``random_setseq(ranvar, x)``)."""
        value = _stream_word(value, "NetStim.seed")
        st = self._model._state
        if st is not None and self in st.netstims:
            st.kernel.r123_setseq(st.ns_rng, st.netstims.index(self), value)

    def noiseFromRandom123(self, id1: int, id2: int, id3: int = 0) -> None:
        """Use the Random123 stream with these ids (NEURON's ``NetStim.noiseFromRandom123``)."""
        ids = tuple(_stream_word(x, "NetStim.noiseFromRandom123") for x in (id1, id2, id3))
        self.__dict__["_ids"] = ids
        st = self._model._state
        if st is not None and self in st.netstims:      # during a run: switch streams now, at sequence 0
            st.kernel.r123_newstream(st.ns_rng, st.netstims.index(self), *ids)

    def hname(self) -> str:
        return f"NetStim[{self._model._netstim_index(self)}]"

    def __repr__(self) -> str:
        return self.hname()

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in self._values:
            raise RangeVariableError(f"NetStim has no variable {name!r}; " + close_matches(name, self._values))
        return self._values[name]

    def __setattr__(self, name: str, value) -> None:
        if name not in self._values:
            raise RangeVariableError(f"NetStim has no variable {name!r}; " + close_matches(name, self._values))
        self._values[name] = _number(value, f"NetStim.{name}")


class PreSyn:
    """A spike source shared by all NetCons watching the same voltage or NetStim (holds the threshold and, as
    NEURON's PreSyn, the one spike recording of that source: ``(tvec, idvec or None, id)``)."""

    def __init__(self, source, threshold: float):
        self.source = source
        self.threshold = threshold
        self.recorder = None


class _Weights:
    def __init__(self, nc):
        self._nc = nc

    def __getitem__(self, i):
        if i != 0:
            raise IndexError("NetCon.weight has one element (index 0)")
        return self._nc._weight

    def __setitem__(self, i, value):
        if i != 0:
            raise IndexError("NetCon.weight has one element (index 0)")
        self._nc.__dict__["_weight"] = _number(value, "NetCon.weight[0]")

    def __len__(self):
        return 1

    def __repr__(self):
        return f"[{self._nc._weight!r}]"


class NetCon:
    """Connection from a spike source (a segment voltage crossing ``threshold`` upward, or a NetStim) to a
    target that receives events (ExpSyn, Exp2Syn, NetStim) after ``delay`` ms with ``weight``.

    A NetCon without target (``target=None``) only detects and records spikes.
    """

    def __init__(self, model, source, target, threshold=None, delay=1.0, weight=0.0):
        d = self.__dict__
        if isinstance(source, NetStim):
            key = ("netstim", id(source))
            psrc = source
        else:
            if isinstance(source, Segment):
                source = Reference(source, "v", None, None, None)
            if not isinstance(source, Reference) or source.var != "v":
                raise EventTargetError(f"NetCon source must be a segment voltage (seg._ref_v) or a NetStim, "
                                       f"got {source!r}")
            key = ("v", id(source.seg.sec), source.seg.node_key())
            psrc = source.seg
        if target is not None and not isinstance(target, (ExpSyn, Exp2Syn, NetStim)):
            what = target.kind if isinstance(target, PointProcess) else type(target).__name__
            raise EventTargetError(f"NetCon target {what} cannot receive events; valid targets are ExpSyn, "
                                   "Exp2Syn, NetStim or None")
        for obj in (source if isinstance(source, NetStim) else source.seg.sec, target):
            if obj is not None and obj._model is not model:
                raise EventTargetError("NetCon source and target must belong to the same model")
        d["_model"] = model
        d["_presyn"] = model._presyn(key, psrc, threshold)
        d["_target"] = target
        d["_delay"] = 1.0
        d["_weight"] = 0.0
        d["_active"] = True
        d["_index"] = model._next_netcon_index()
        self.delay = delay
        self.weight[0] = weight
        d["_uid"] = model._register_netcon(self)

    @property
    def weight(self) -> _Weights:
        return _Weights(self)

    @property
    def delay(self) -> float:
        return self._delay

    @delay.setter
    def delay(self, value) -> None:
        x = _number(value, "NetCon.delay")
        if x < 0:
            raise EventTargetError(f"NetCon.delay must be >= 0, got {value!r}")
        self.__dict__["_delay"] = x

    @property
    def threshold(self) -> float:
        return self._presyn.threshold

    @threshold.setter
    def threshold(self, value) -> None:
        self._presyn.threshold = _number(value, "NetCon.threshold")

    def active(self, flag: bool | None = None) -> bool:
        if flag is not None:
            self.__dict__["_active"] = bool(flag)
        return self._active

    def syn(self):
        return self._target

    def pre(self):
        return self._presyn.source if isinstance(self._presyn.source, NetStim) else None

    def record(self, tvec: Vector | None = None, idvec: Vector | None = None, id: float | None = None) -> None:
        """Record the spike times of this NetCon's source into ``tvec`` and, with ``idvec``, ``id`` for each
        spike into ``idvec`` (default id: this NetCon's index, NEURON's ``NetCon[i]``); ``record()`` stops.

        As in NEURON, the recording belongs to the source: all NetCons watching one source share it, and the
        last ``record`` call made through any of them wins. Several sources may record into the same pair of
        Vectors (spikes are appended in the order they occur). The Vectors are cleared at ``finitialize``.
        """
        ps = self._presyn
        if tvec is None:
            if idvec is not None or id is not None:
                raise RecordingError("NetCon.record(tvec, idvec, id): give tvec first")
            ps.recorder = None
            self._model._touch()
            return
        for what, vec in (("tvec", tvec), ("idvec", idvec)):
            if vec is not None and not isinstance(vec, Vector):
                hint = " (recording through a Python callback is not supported)" if callable(vec) else ""
                raise RecordingError(f"NetCon.record: {what} must be a Vector, got {type(vec).__name__}{hint}")
        if id is not None and idvec is None:
            raise RecordingError("NetCon.record(tvec, idvec, id): an id needs an idvec to record it into")
        rid = float(self._index if id is None else _number(id, "NetCon.record id"))
        ps.recorder = (tvec, idvec, rid)
        for vec in (tvec, idvec):
            if vec is not None:
                vec._model = self._model
                self._model._register_vector(vec)

    def hname(self) -> str:
        return f"NetCon[{self._index}]"

    def __setattr__(self, name: str, value) -> None:
        if name in ("delay", "threshold"):
            object.__setattr__(self, name, value)
        else:
            raise AttributeError(f"NetCon has no settable attribute {name!r}; use delay, threshold or "
                                 "weight[0]")

    def __repr__(self) -> str:
        src = self._presyn.source
        src = src.hname() if isinstance(src, NetStim) else f"{src}.v"
        tgt = "None" if self._target is None else (self._target.hname() if isinstance(self._target, NetStim)
                                                   else repr(self._target))
        return f"NetCon({src} -> {tgt}, delay={self._delay:g}, weight={self._weight:g})"


__all__ = ["IClamp", "ExpSyn", "Exp2Syn", "NetStim", "NetCon", "Vector", "PointProcess", "PointReference"]
