"""CellModel: the registry of sections, point processes and connections, and the fixed-step simulator.

The model is compiled into flat arrays (:mod:`neurodyn.cells.topology`) and advanced by one generated Numba
function (:mod:`neurodyn.cells.kernel`) that runs the whole time loop: threshold detection, event delivery,
matrix assembly, Hines solve, channel update, recording. The scheme is NEURON's fixed step (see
``docs/cells.md``): backward Euler by default, Crank-Nicolson with ``secondorder = 2``.

Objects are held weakly, as in NEURON: a section, synapse or NetCon exists while Python references it.

Examples
--------
>>> from neurodyn.cells import CellModel
>>> m = CellModel()
>>> soma = m.section("soma", L=12.6157, diam=12.6157).insert("hh")
>>> stim = m.IClamp(soma(0.5)); stim.delay = 1; stim.dur = 1; stim.amp = 0.5
>>> v = m.record(soma(0.5)._ref_v); t = m.record_time()
>>> m.run(tstop=10)
>>> len(t), round(max(v), 1) > 20
(401, True)
"""
from __future__ import annotations

import weakref

import numpy as np

from neurodyn.errors import SimulationError
from neurodyn.cells import _codes as codes
from neurodyn.cells.errors import (CellError, EventTargetError, NonFiniteVoltageError,
                                   RecordingError)
from neurodyn.cells.events import (Exp2Syn, ExpSyn, IClamp, NetCon, NetStim, PointReference, PreSyn, Vector)
from neurodyn.cells.kernel import ARR_E2_P, ARR_E2_S, ARR_ES_P, ARR_ES_S, ARR_IC_P, ARR_IC_S, ARR_MECH0, ARR_T, \
    ARR_V, load_kernel
from neurodyn.cells.mechanisms import get_mechanism
from neurodyn.cells.section import Reference, Section, TimeReference
from neurodyn.cells.topology import build_tree

_DEFAULT = None


def default_model() -> "CellModel":
    """The model used by the NEURON-style facade ``h`` and by objects created without a model."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = CellModel()
    return _DEFAULT


class CellModel:
    """A collection of cells and their connections, with NEURON's run settings.

    Attributes
    ----------
    tstop, dt, v_init, celsius : float
        Defaults 5 ms, 0.025 ms, -65 mV, 6.3 degC (NEURON's).
    secondorder : int
        0 backward Euler (default), 2 Crank-Nicolson.
    usetable : dict
        Per mechanism flag for rate tables (``{'hh': True}``); like NEURON's ``usetable_hh``.
    cvode_active, cvode_atol, cvode_rtol : bool, float, float
        NEURON's ``h.cvode.active()``, ``atol()``, ``rtol()`` (defaults False, 1e-3, 0): with ``cvode_active``,
        ``finitialize`` sets up the adaptive method for the following ``continuerun``/``fadvance``/``run``.
    """

    def __init__(self):
        self._sections = weakref.WeakValueDictionary()
        self._pps = weakref.WeakValueDictionary()
        self._netstims = weakref.WeakValueDictionary()
        self._netcons = weakref.WeakValueDictionary()
        self._presyns = weakref.WeakValueDictionary()
        self._vectors = weakref.WeakValueDictionary()
        self._uid = 0
        self._netcon_count = 0
        self._version = 0
        self.tstop = 5.0
        self.dt = 0.025
        self.v_init = -65.0
        self.celsius = 6.3
        self.secondorder = 0
        self.cvode_active = False     # h.cvode.active(): finitialize sets up the adaptive method
        self.cvode_atol = 1e-3        # NEURON's CVode defaults (rtol 0 means 1e-6 here: SciPy needs rtol > 0)
        self.cvode_rtol = 0.0
        self._netstim_streams = 0
        self.usetable: dict[str, bool] = {}
        self.t = 0.0
        self._state = None

    # ------------------------------------------------------------------ registry
    def _next(self) -> int:
        self._uid += 1
        return self._uid

    def _touch(self) -> None:
        self._version += 1

    def _register_section(self, sec) -> int:
        uid = self._next()
        self._sections[uid] = sec
        self._touch()
        return uid

    def _register_pp(self, pp) -> int:
        uid = self._next()
        self._pps[uid] = pp
        self._touch()
        return uid

    def _register_netstim(self, ns) -> int:
        # NEURON 9 gives each new RANDOM stream the ids (1, 0, n), n counting from 1 in creation order
        self._netstim_streams += 1
        ns.__dict__["_ids"] = (1, 0, self._netstim_streams)
        uid = self._next()
        self._netstims[uid] = ns
        self._touch()
        return uid

    def _register_netcon(self, nc) -> int:
        uid = self._next()
        self._netcons[uid] = nc
        self._touch()
        return uid

    def _next_netcon_index(self) -> int:
        """NEURON's NetCon[i] index: NetCons of this model numbered in creation order from 0."""
        self._netcon_count += 1
        return self._netcon_count - 1

    def _register_vector(self, vec) -> None:
        if getattr(vec, "_uid", None) is None or self._vectors.get(vec._uid) is not vec:
            vec._uid = self._next()
            self._vectors[vec._uid] = vec
        self._touch()

    def _presyn(self, key, source, threshold) -> PreSyn:
        ps = self._presyns.get(key)
        if ps is None:
            ps = PreSyn(source, 10.0 if threshold is None else float(threshold))
            self._presyns[key] = ps
        elif threshold is not None:
            ps.threshold = float(threshold)
        self._touch()
        return ps

    def _pp_index(self, pp) -> int:
        same = [p for p in self._pps.values() if type(p) is type(pp)]
        return same.index(pp) if pp in same else -1

    def _netstim_index(self, ns) -> int:
        lst = list(self._netstims.values())
        return lst.index(ns) if ns in lst else -1

    def sections(self) -> list[Section]:
        """Live sections in creation order."""
        return [s for s in self._sections.values() if not s._deleted]

    def point_processes(self) -> list:
        return list(self._pps.values())

    def delete_section(self, sec: Section) -> None:
        """Remove ``sec``; its children become roots (NEURON's ``h.delete_section(sec=sec)``)."""
        for s in self.sections():
            if s._parent is sec:
                s.disconnect()
        sec.__dict__["_deleted"] = True
        for uid, s in list(self._sections.items()):
            if s is sec:
                del self._sections[uid]
        self._touch()

    # ------------------------------------------------------------------ constructors
    def section(self, name: str = "section", **props) -> Section:
        """Create a section; ``props`` may set L, diam, nseg, Ra, cm."""
        return Section(name, self, **props)

    def IClamp(self, seg, x=None) -> IClamp:
        return IClamp(seg, sec=x) if x is not None else IClamp(seg)

    def ExpSyn(self, seg) -> ExpSyn:
        return ExpSyn(seg)

    def Exp2Syn(self, seg) -> Exp2Syn:
        return Exp2Syn(seg)

    def NetStim(self) -> NetStim:
        return NetStim(self)

    def NetCon(self, source, target, threshold=None, delay=1.0, weight=0.0) -> NetCon:
        return NetCon(self, source, target, threshold=threshold, delay=delay, weight=weight)

    def record(self, ref, Dt: float | None = None) -> Vector:
        """A new Vector recording ``ref``."""
        return Vector(model=self).record(ref, Dt)

    def record_time(self, Dt: float | None = None) -> Vector:
        return Vector(model=self).record(TimeReference(), Dt)

    # ------------------------------------------------------------------ compile
    def _compile(self):
        sections = self.sections()
        if not sections and not len(self._netstims):
            raise CellError("the model has no sections and no NetStims; create a section with model.section(...) "
                            "or h.Section()")
        tree = build_tree(sections)
        st = _State()
        st.version = self._version
        st.tree = tree
        st.parent32 = tree.parent.astype(np.uint32)  # unsigned: no negative-index handling in the kernel
        # mechanisms: sorted by name for stable kernel reuse
        present = sorted({k for s in tree.order for k in s._mechs})
        st.mechs = [get_mechanism(k) for k in present]
        st.kernel = load_kernel(st.mechs)
        st.mech_sections = []  # per mech: list of (sec, offset)
        st.mech_node = []
        st.mech_runs = []
        for mech in st.mechs:
            lst, nodes, off = [], [], 0
            for s in tree.order:
                md = s._mechs.get(mech.name)
                if md is not None:
                    lst.append((s, off))
                    nodes.append(tree.base[id(s)] + np.arange(s._nseg))
                    off += s._nseg
            st.mech_sections.append(lst)
            node = np.concatenate(nodes).astype(np.int64)
            st.mech_node.append(node.astype(np.uint32))
            # runs of consecutive nodes (whole sections): the kernel loops over them without indirection
            brk = np.flatnonzero(np.diff(node) != 1) + 1
            starts = np.concatenate([[0], brk])
            counts = np.diff(np.concatenate([starts, [len(node)]]))
            st.mech_runs.append(np.ascontiguousarray(np.stack([node[starts], starts, counts], axis=1)
                                                     .astype(np.int64)))
        # point processes (those on deleted sections are gone, as in NEURON)
        ids = {id(s) for s in tree.order}
        groups = {IClamp: [], ExpSyn: [], Exp2Syn: []}
        for pp in self._pps.values():
            if id(pp._seg.sec) in ids:
                groups[type(pp)].append(pp)
        st.pps = groups
        st.pp_index = {id(p): k for g in groups.values() for k, p in enumerate(g)}
        st.pp_node = {cls: np.array([tree.node_of(p._seg.sec, p._seg.x) for p in lst], dtype=np.uint32)
                      for cls, lst in groups.items()}
        # netstims, presyns and netcons
        st.netstims = list(self._netstims.values())
        ns_index = {id(n): k for k, n in enumerate(st.netstims)}
        pp_alive = {id(p) for g in groups.values() for p in g}

        def alive(nc):
            src, tg = nc._presyn.source, nc._target
            if not isinstance(src, NetStim) and id(src.sec) not in ids:
                return False
            return tg is None or isinstance(tg, NetStim) or id(tg) in pp_alive
        netcons = [nc for nc in self._netcons.values() if alive(nc)]
        vsyn: list[PreSyn] = []
        vkey: dict[int, int] = {}
        for nc in netcons:
            ps = nc._presyn
            if not isinstance(ps.source, NetStim) and id(ps) not in vkey:
                if id(ps.source.sec) not in ids:
                    raise EventTargetError(f"{nc!r}: its source section was deleted")
                vkey[id(ps)] = len(vsyn)
                vsyn.append(ps)
        st.vsyn = vsyn
        nv = len(vsyn)
        st.nv = nv
        nsrc = nv + len(st.netstims)
        src_of = []
        for nc in netcons:
            ps = nc._presyn
            if isinstance(ps.source, NetStim):
                if id(ps.source) not in ns_index:
                    raise EventTargetError(f"{nc!r}: its NetStim no longer exists")
                src_of.append(nv + ns_index[id(ps.source)])
            else:
                src_of.append(vkey[id(ps)])
        src_of = np.array(src_of, dtype=np.int64)
        orderc = np.argsort(src_of, kind="stable")
        st.src_ptr = np.zeros(nsrc + 1, dtype=np.int64)
        np.add.at(st.src_ptr, src_of + 1, 1)
        st.src_ptr = np.cumsum(st.src_ptr)
        st.src_nc = orderc.astype(np.int64)
        st.netcons = netcons
        kinds, tidx = [], []
        for nc in netcons:
            tg = nc._target
            if tg is None:
                kinds.append(codes.TARGET_NONE)
                tidx.append(0)
            elif isinstance(tg, NetStim):
                kinds.append(codes.TARGET_NETSTIM)
                tidx.append(ns_index[id(tg)])
            else:
                if id(tg) not in st.pp_index or id(tg._seg.sec) not in ids:
                    raise EventTargetError(f"{nc!r}: its target is not in the model")
                kinds.append(codes.TARGET_EXPSYN if isinstance(tg, ExpSyn) else codes.TARGET_EXP2SYN)
                tidx.append(st.pp_index[id(tg)])
        st.nc_kind = np.array(kinds, dtype=np.int64)
        st.nc_tidx = np.array(tidx, dtype=np.int64)
        st.vs_node = np.array([tree.node_of(ps.source.sec, ps.source.x) for ps in vsyn], dtype=np.uint32)
        st.ns_src = nv + np.arange(len(st.netstims), dtype=np.int64)
        st.src_presyn = vsyn + [None] * len(st.netstims)
        # recordings
        def recordable(vec):
            ref = vec._ref
            if isinstance(ref, Reference):
                return id(ref.seg.sec) in ids
            if isinstance(ref, PointReference):
                return id(ref.pp) in pp_alive
            return True
        st.vectors = [v for v in self._vectors.values() if recordable(v)]
        rec = [self._record_code(v._ref, st) for v in st.vectors if v._ref is not None]
        st.rec_vectors = [v for v in st.vectors if v._ref is not None]
        st.rec_arr = np.array([r[0] for r in rec], dtype=np.int64)
        st.rec_row = np.array([r[1] for r in rec], dtype=np.int64)
        st.rec_col = np.array([r[2] for r in rec], dtype=np.int64)
        # spike recordings: one per source (NEURON's PreSyn.record), grouped by the time Vector they fill
        src_index = {id(p): k for k, p in enumerate(vsyn)}
        src_index.update({id(ns): nv + k for k, ns in enumerate(st.netstims)})
        groups: dict[int, list] = {}
        seen = set()
        for nc in netcons:
            ps = nc._presyn
            if ps.recorder is None or id(ps) in seen:
                continue
            seen.add(id(ps))
            src = src_index[id(ps)] if id(ps) in src_index else src_index[id(ps.source)]
            tvec, idvec, rid = ps.recorder
            groups.setdefault(id(tvec), []).append((src, tvec, idvec, rid))
        st.spike_recorders = list(groups.values())
        return st

    def _record_code(self, ref, st) -> tuple[int, int, int]:
        tree = st.tree
        if isinstance(ref, TimeReference):
            return ARR_T, 0, 0
        if isinstance(ref, Reference):
            sec = ref.seg.sec
            if id(sec) not in tree.base:
                raise RecordingError(f"cannot record {ref!r}: section {sec.name()!r} is not in the model")
            if ref.var == "v":
                return ARR_V, 0, tree.node_of(sec, ref.seg.x)
            mname = ref.md.mech.name
            if sec._mechs.get(mname) is not ref.md:
                raise RecordingError(f"cannot record {ref!r}: mechanism {mname!r} is no longer inserted in "
                                     f"{sec.name()!r}")
            j = [m.name for m in st.mechs].index(mname)
            off = dict((id(s), o) for s, o in st.mech_sections[j])[id(sec)]
            kind_off = {"param": 0, "state": 1, "assigned": 2}[ref.kind]
            return ARR_MECH0 + 3 * j + kind_off, ref.row, off + ref.seg.index
        if isinstance(ref, PointReference):
            pp = ref.pp
            if id(pp) not in st.pp_index:
                raise RecordingError(f"cannot record {ref!r}: the point process is not in the model")
            k = st.pp_index[id(pp)]
            if isinstance(pp, IClamp):
                names, arrs = (("del", "dur", "amp"), ("i",)), (ARR_IC_P, ARR_IC_S)
            elif isinstance(pp, ExpSyn):
                names, arrs = (("tau", "e"), ("g", "i")), (ARR_ES_P, ARR_ES_S)
            else:
                names, arrs = (("tau1", "tau2", "e"), ("A", "B", "g", "i")), (ARR_E2_P, ARR_E2_S)
            for nm, arr in zip(names, arrs):
                if ref.var in nm:
                    return arr, nm.index(ref.var), k
        raise RecordingError(f"cannot record {ref!r}")

    # ------------------------------------------------------------------ gather / scatter
    def _gather(self, st) -> None:
        tree = st.tree
        v = np.empty(tree.n)
        for s in tree.order:
            b = tree.base[id(s)]
            v[b:b + s._nseg] = s._v
            v[b + s._nseg] = s._v_end
        for i in range(tree.ncell):
            v[i] = tree.order[int(tree.node_sec[i])]._v_root
        st.v = v
        st.mP, st.mS, st.mA = [], [], []
        for j, mech in enumerate(st.mechs):
            lst = st.mech_sections[j]
            st.mP.append(np.ascontiguousarray(np.concatenate([s._mechs[mech.name].P for s, _ in lst], axis=1)))
            st.mS.append(np.ascontiguousarray(np.concatenate([s._mechs[mech.name].S for s, _ in lst], axis=1)))
            st.mA.append(np.ascontiguousarray(np.concatenate([s._mechs[mech.name].A for s, _ in lst], axis=1)))
        st.cm = np.concatenate([np.zeros(tree.ncell)] + [np.append(s._cm, 0.0) for s in tree.order])
        self._gather_pp(st)

    def _gather_pp(self, st) -> None:
        def params(lst, names, rows):
            P = np.zeros((rows, len(lst)))
            for k, p in enumerate(lst):
                for r, nm in enumerate(names):
                    P[r, k] = p._values[nm]
            return P
        st.ic_P = params(st.pps[IClamp], ("del", "dur", "amp"), 3)
        st.es_P = params(st.pps[ExpSyn], ("tau", "e"), 2)
        st.e2_P = params(st.pps[Exp2Syn], ("tau1", "tau2", "e"), 4)
        if st.e2_P.shape[1]:
            st.e2_P[3] = st.e2_factor
        st.ns_P = np.zeros((4, len(st.netstims)))
        for k, ns in enumerate(st.netstims):
            for r, nm in enumerate(("number", "start", "interval", "noise")):
                st.ns_P[r, k] = ns._values[nm]
        st.vs_thr = np.array([ps.threshold for ps in st.vsyn], dtype=float)
        st.nc_w = np.array([nc._weight for nc in st.netcons], dtype=float)
        st.nc_delay = np.array([nc._delay for nc in st.netcons], dtype=float)
        for k, nc in enumerate(st.netcons):
            if not nc._active:
                st.nc_w[k] = 0.0

    def _scatter(self, st) -> None:
        tree = st.tree
        v = st.v
        for s in tree.order:
            b = tree.base[id(s)]
            s._v[:] = v[b:b + s._nseg]
            s.__dict__["_v_end"] = float(v[b + s._nseg])
        for i in range(tree.ncell):
            tree.order[int(tree.node_sec[i])].__dict__["_v_root"] = float(v[i])
        for j, mech in enumerate(st.mechs):
            for s, off in st.mech_sections[j]:
                md = s._mechs[mech.name]
                md.S[:] = st.mS[j][:, off:off + s._nseg]
                md.A[:] = st.mA[j][:, off:off + s._nseg]
        for k, p in enumerate(st.pps[IClamp]):
            p._values["i"] = float(st.ic_S[0, k])
        for k, p in enumerate(st.pps[ExpSyn]):
            p._values["g"], p._values["i"] = float(st.es_S[0, k]), float(st.es_S[1, k])
        for k, p in enumerate(st.pps[Exp2Syn]):
            for r, nm in enumerate(("A", "B", "g", "i")):
                p._values[nm] = float(st.e2_S[r, k])

    # ------------------------------------------------------------------ running
    def _mech_args(self, st) -> list:
        args = []
        for j, mech in enumerate(st.mechs):
            args += [st.mech_node[j], st.mech_runs[j], st.mP[j], st.mS[j], st.mA[j], st.mG[j], st.mtab[j], st.mti[j], st.mfl[j]]
        return args

    def _pp_args(self, st) -> list:
        return [st.pp_node[IClamp], st.ic_P, st.ic_S, st.pp_node[ExpSyn], st.es_P, st.es_S,
                st.pp_node[Exp2Syn], st.e2_P, st.e2_S]

    def _event_args(self, st) -> list:
        return [st.qt, st.qs, st.qa, st.qb, st.qstate, st.nc_kind, st.nc_tidx, st.nc_w, st.nc_delay, st.es_S,
                st.e2_S, st.e2_P, st.ns_P, st.ns_S, st.ns_rng, st.ns_src, st.src_ptr, st.src_nc, st.sp_t,
                st.sp_s, st.spstate]

    def finitialize(self, v_init: float | None = None) -> None:
        """Compile the model and initialise it at t = 0 (NEURON's ``h.finitialize(v_init)``).

        With ``cvode_active`` (``h.cvode.active(1)``) the following ``continuerun``/``fadvance`` calls use the
        adaptive method (:mod:`neurodyn.cells.adaptive`) with ``cvode_atol`` and ``cvode_rtol`` (0 means
        1e-6), as NEURON's do with CVODE.
        """
        adaptive = None
        if self.cvode_active:
            adaptive = (self.cvode_rtol if self.cvode_rtol > 0 else 1e-6, self.cvode_atol, "BDF")
        self._initialize(v_init, adaptive=adaptive)

    def _initialize(self, v_init: float | None, adaptive: tuple | None) -> None:
        """finitialize; ``adaptive`` = (rtol, atol, SciPy method) sets up the adaptive method."""
        if v_init is not None:
            self.v_init = float(v_init)
        for name, val in (("dt", self.dt), ("celsius", self.celsius)):
            if not np.isfinite(val) or (name == "dt" and val <= 0):
                raise CellError(f"{name} must be finite{' and positive' if name == 'dt' else ''}, got {val!r}")
        if self.secondorder not in (0, 1, 2):
            raise CellError(f"secondorder must be 0, 1 or 2, got {self.secondorder!r}")
        st = self._compile()
        for s in st.tree.order:
            s._v[:] = self.v_init
            s.__dict__["_v_end"] = self.v_init
            s.__dict__["_v_root"] = self.v_init
        # Exp2Syn INITIAL: bound tau1/tau2 and compute the normalisation factor
        e2 = st.pps[Exp2Syn]
        factors = []
        for p in e2:
            t1, t2 = p._values["tau1"], p._values["tau2"]
            if t1 / t2 > 0.9999:
                t1 = 0.9999 * t2
            if t1 / t2 < 1e-9:
                t1 = t2 * 1e-9
            p._values["tau1"] = t1
            tp = (t1 * t2) / (t2 - t1) * np.log(t2 / t1)
            factors.append(1.0 / (-np.exp(-tp / t1) + np.exp(-tp / t2)))
        st.e2_factor = np.array(factors, dtype=float)
        self._gather(st)
        st.ic_S = np.zeros((1, st.ic_P.shape[1]))
        st.es_S = np.zeros((2, st.es_P.shape[1]))
        st.e2_S = np.zeros((4, st.e2_P.shape[1]))
        self._build_tables(st)
        st.kernel.initialize_states(st.v, float(self.celsius), *self._mech_args(st), 0)
        # IClamp current at t = 0
        for k in range(st.ic_P.shape[1]):
            d0, du, amp = st.ic_P[:, k]
            st.ic_S[0, k] = amp if (0.0 < d0 + du and 0.0 >= d0) else 0.0
        # events
        ncap = max(64, 8 * (len(st.netcons) + len(st.netstims)) + 64)
        st.qt = np.zeros(ncap)
        st.qs = np.zeros(ncap, dtype=np.int64)
        st.qa = np.zeros(ncap, dtype=np.int64)
        st.qb = np.zeros(ncap, dtype=np.int64)
        st.qstate = np.zeros(3, dtype=np.int64)
        st.qmargin = 4 * (len(st.netcons) + len(st.netstims)) + 64
        st.spmargin = 4 * (st.nv + len(st.netstims)) + 64
        st.sp_t = np.zeros(max(1024, 2 * st.spmargin))
        st.sp_s = np.zeros(len(st.sp_t), dtype=np.int64)
        st.spstate = np.zeros(2, dtype=np.int64)
        st.spikes_t, st.spikes_s = [], []
        st.vs_flag = np.zeros(st.nv, dtype=np.int64)
        st.ns_S = np.zeros((3, len(st.netstims)))
        # NEURON 9: each NetStim's INITIAL block restarts its Random123 stream (seed(0)) with its ids
        st.ns_rng = np.zeros((len(st.netstims), codes.R123_COLS), dtype=np.uint64)
        for k, ns in enumerate(st.netstims):
            st.kernel.r123_newstream(st.ns_rng, k, *ns._ids)
        st.kernel.netstim_initialize(st.ns_P, st.ns_S, st.ns_rng, st.qt, st.qs, st.qa, st.qb, st.qstate)
        self.t = 0.0
        st.kernel.deliver_events(0.0, *self._event_args(st))
        # clear recordings and take the t = 0 sample
        for vec in st.rec_vectors:
            vec.clear()
        for group in st.spike_recorders:
            for _, tvec, idvec, _ in group:
                tvec.clear()
                if idvec is not None:
                    idvec.clear()
        for vec in st.rec_vectors:
            vec._start_recording(float(self.dt))
        st.info = np.zeros(2)
        self._state = st
        self._record_columns(st, np.zeros((len(st.rec_arr), 1)), 0, 1, 0.0)
        self._flush_spikes(st)
        self._scatter(st)
        # load (or compile) the time-stepping kernel now, so that continuerun only runs it
        args = self._advance_args(st, float(self.dt), 0)
        st.kernel.advance(0, 0.0, float(self.dt), args[0], args[1], 0, *args[2:])
        st.kernel.count_steps(0.0, float(self.dt), 0.0)   # compiled here too, so an AOT build exports it
        st.kernel.maybe_build_aot()     # NEURODYN_AOT=1: freeze the kernel for later processes
        st.cvode_flag = bool(self.cvode_active)
        st.adaptive = None
        if adaptive is not None:
            from neurodyn.cells.adaptive import AdaptiveRun
            st.adaptive = AdaptiveRun(self, st, *adaptive)

    def _record_columns(self, st, out, j0, ncol, t, t_end=None) -> None:
        if len(st.rec_arr) == 0:
            return
        if ncol == 1 and j0 == 0 and out.shape[1] == 1:
            st.kernel.record(0, t, st.v, st.rec_arr, st.rec_row, st.rec_col, out, *self._mech_args(st),
                             *self._pp_args(st))
        for r, vec in enumerate(st.rec_vectors):
            vec._append_samples(out[r, :ncol], t_end)

    def _flush_spikes(self, st) -> None:
        n = int(st.spstate[0])
        if n:
            st.spikes_t.append(st.sp_t[:n].copy())
            st.spikes_s.append(st.sp_s[:n].copy())
            st.spstate[0] = 0
            if st.spike_recorders:
                self._record_spikes(st, st.sp_t[:n], st.sp_s[:n])

    @staticmethod
    def _record_spikes(st, times, sources) -> None:
        """Append spikes (in the order they occurred) to the Vectors recording their sources."""
        order = np.argsort(sources, kind="stable")
        srt = sources[order]
        for group in st.spike_recorders:
            pos, ids = [], []
            for src, _, idvec, rid in group:
                lo, hi = np.searchsorted(srt, src), np.searchsorted(srt, src, side="right")
                pos.append(order[lo:hi])
                ids.append(np.full(hi - lo, rid))
            pos_all = np.concatenate(pos)
            if not pos_all.size:
                continue
            keep = np.argsort(pos_all, kind="stable") if len(group) > 1 else slice(None)
            tvec = group[0][1]
            tvec._chunks.append(times[pos_all[keep]].copy())
            id_all = np.concatenate(ids)[keep]
            for k, (_, _, idvec, _) in enumerate(group):
                if idvec is not None:
                    # entries of one time Vector may name different id Vectors: each gets its own spikes
                    mine = np.concatenate([np.full(len(p), j == k) for j, p in enumerate(pos)])[keep]
                    idvec._chunks.append(id_all[mine].copy())

    def continuerun(self, tstop: float) -> None:
        """Advance from the current time to ``tstop`` (NEURON's ``h.continuerun``)."""
        st = self._state
        if st is None:
            raise CellError("call finitialize() before continuerun()")
        if st.version != self._version:
            raise CellError("the model changed (sections, mechanisms, point processes, NetCons or "
                            "recordings) after finitialize(); call finitialize() again")
        if bool(self.cvode_active) != st.cvode_flag:
            raise CellError(f"cvode.active was switched {'on' if self.cvode_active else 'off'} after "
                            "finitialize(); call finitialize() again to change the integration method")
        if st.adaptive is not None:
            if float(self.dt) != st.adaptive.dt:
                raise CellError("dt changed after finitialize(); the adaptive method records every dt: call "
                                "finitialize() again")
            st.adaptive.advance_to(float(tstop))
            return
        dt = float(self.dt)
        nsteps = int(st.kernel.count_steps(float(self.t), dt, float(tstop)))
        if nsteps <= 0:
            return
        self._gather(st)
        if st.table_key != (float(self.celsius), tuple(sorted(self.usetable.items()))):
            self._build_tables(st)      # celsius or usetable changed since finitialize
        args = self._advance_args(st, dt, nsteps)
        t = float(self.t)
        done_total = 0
        out = args[-2]
        while done_total < nsteps:
            status, done, t = st.kernel.advance(nsteps - done_total, t, dt, args[0], args[1], done_total,
                                                *args[2:])
            done_total += int(done)
            if st.qstate[2]:
                raise SimulationError("event queue overflow (a NetStim with an interval far below dt?)")
            if status == codes.QUEUE_FULL:
                self._grow_queue(st)
                args = self._advance_args(st, dt, nsteps, out)
            elif status == codes.SPIKES_FULL:
                self._flush_spikes(st)
            elif status == codes.NONFINITE:
                self.t = float(t)
                self._record_columns(st, out, 0, done_total, t)
                self._scatter(st)
                node = int(st.info[0])
                raise NonFiniteVoltageError(
                    f"membrane voltage became non-finite at {st.tree.describe(node)} at t = {t:g} ms "
                    f"(step {done_total + 1} after t = {t - dt:g}); reduce dt or check parameters "
                    "(negative conductances, huge currents)")
        self.t = float(t)
        self._record_columns(st, out, 0, nsteps, t, self.t)
        self._flush_spikes(st)
        self._scatter(st)

    def _build_tables(self, st) -> None:
        """Globals, rate tables (at the current celsius, NEURON's DEPEND celsius) and flags per mechanism."""
        st.mG, st.mtab, st.mti, st.mfl = [], [], [], []
        for j, mech in enumerate(st.mechs):
            G = np.array(list(mech.globals.values()), dtype=float)
            use = mech.table is not None and bool(self.usetable.get(mech.name, True))
            store = any(int(a) == ARR_MECH0 + 3 * j + 2 for a in st.rec_arr)
            if use:
                lo, hi, nint = mech.table
                tab = np.zeros((2 * len(mech.gates), nint + 1))
                getattr(st.kernel, f"m{j}_table")(float(self.celsius), st.mP[j][:, :1], G, tab, lo, hi, nint)
                ti = np.array([lo, 1.0 / ((hi - lo) / nint), float(nint)])
            else:
                tab = np.zeros((2 * len(mech.gates), 1))
                ti = np.zeros(3)
            st.mG.append(G)
            st.mtab.append(tab)
            st.mti.append(ti)
            st.mfl.append(np.array([1 if use else 0, 1 if store else 0], dtype=np.int64))
        st.table_key = (float(self.celsius), tuple(sorted(self.usetable.items())))

    def _advance_args(self, st, dt: float, nsteps: int, out=None) -> list:
        """Arguments of the generated ``advance`` after (nsteps, t, dt) and around jcol0 (see continuerun)."""
        cj = (2.0 if self.secondorder == 2 else 1.0) / dt
        vfac = 2.0 if self.secondorder == 2 else 1.0
        tree = st.tree
        # diagonal terms that do not change during the run: capacitance cm*0.001*cj and axial coupling
        dstat = 0.001 * cj * st.cm
        dstat[tree.ncell:] -= tree.b[tree.ncell:]
        np.subtract.at(dstat, tree.parent[tree.ncell:], tree.a[tree.ncell:])
        n = tree.n
        out = np.zeros((len(st.rec_arr), nsteps)) if out is None else out
        return [vfac, float(self.celsius), st.v, st.parent32, tree.a, tree.b, np.zeros(n), np.zeros(n),
                dstat, 100.0 / tree.area, tree.ncell, *self._mech_args(st), *self._pp_args(st), st.vs_node,
                st.vs_thr, st.vs_flag, np.arange(st.nv, dtype=np.int64), st.qt, st.qs, st.qa, st.qb, st.qstate,
                st.nc_kind, st.nc_tidx, st.nc_w, st.nc_delay, st.ns_P, st.ns_S, st.ns_rng, st.ns_src, st.src_ptr,
                st.src_nc, st.sp_t, st.sp_s, st.spstate, st.qmargin, st.spmargin, st.rec_arr, st.rec_row,
                st.rec_col, out, st.info]

    def _grow_queue(self, st) -> None:
        n = len(st.qt)
        for name in ("qt", "qs", "qa", "qb"):
            old = getattr(st, name)
            new = np.zeros(2 * n, dtype=old.dtype)
            new[:n] = old
            setattr(st, name, new)

    def fadvance(self) -> None:
        """One fixed step; with the adaptive method (``cvode_active``), integrate to the next multiple of ``dt``
        (NEURON's CVODE takes one internal step of its own size instead)."""
        self.continuerun(self.t + self.dt)

    def run(self, tstop: float | None = None, dt: float | None = None, v_init: float | None = None,
            celsius: float | None = None, method: str | None = None, rtol: float | None = None,
            atol: float | None = None, secondorder: int | None = None) -> None:
        """Initialise and run to ``tstop``.

        Parameters
        ----------
        method : {'fixed', 'cn', 'adaptive'}, optional
            'fixed': NEURON's default backward Euler step (or Crank-Nicolson if ``secondorder == 2``);
            'cn': Crank-Nicolson; 'adaptive': variable-step BDF on the full cable ODE
            (:mod:`neurodyn.cells.adaptive`), recordings sampled every ``dt``. Default: 'adaptive' if
            ``cvode_active`` (``h.cvode.active(1)``), else 'fixed'.
        rtol, atol : float, optional
            Tolerances of the adaptive method (defaults: ``cvode_rtol`` (0 means 1e-6) and ``cvode_atol`` with
            ``cvode_active``, else 1e-6 and 1e-8).
        """
        if method is None:
            method = "adaptive" if self.cvode_active else "fixed"
        if rtol is None:
            rtol = (self.cvode_rtol if self.cvode_rtol > 0 else 1e-6) if self.cvode_active else 1e-6
        if atol is None:
            atol = self.cvode_atol if self.cvode_active else 1e-8
        if tstop is not None:
            self.tstop = float(tstop)
        if dt is not None:
            self.dt = float(dt)
        if celsius is not None:
            self.celsius = float(celsius)
        if secondorder is not None:
            self.secondorder = int(secondorder)
        if method not in ("fixed", "cn", "adaptive"):
            raise CellError(f"unknown method {method!r}; valid: 'fixed', 'cn', 'adaptive'")
        if method == "cn":
            self.secondorder = 2
        v0 = self.v_init if v_init is None else v_init
        if method == "adaptive":
            from neurodyn.cells.adaptive import run_adaptive
            run_adaptive(self, self.tstop, v_init=v0, rtol=rtol, atol=atol)
            return
        self._initialize(v0, adaptive=None)
        self.continuerun(self.tstop)

    def spikes(self) -> tuple[np.ndarray, list]:
        """All spikes of the last run: times and their sources (segments or NetStims)."""
        st = self._state
        if st is None:
            return np.zeros(0), []
        t = np.concatenate(st.spikes_t) if st.spikes_t else np.zeros(0)
        s = np.concatenate(st.spikes_s) if st.spikes_s else np.zeros(0, np.int64)
        srcs = [ps.source for ps in st.vsyn] + st.netstims
        return t, [srcs[int(i)] for i in s]

    @property
    def kernel_tier(self) -> str | None:
        """Which kernel ran the last ``finitialize``: ``"c"`` (generated C), ``"jit"`` (Numba) or ``"aot"``
        (numba.pycc library); None before the first one. See :func:`neurodyn.cells.kernel.load_kernel`."""
        return None if self._state is None else self._state.kernel.tier

    def provenance(self) -> dict:
        """What produced the current results: neurodyn's version, the kernel tier and its library, the
        mechanisms and the run settings.

        Examples
        --------
        >>> from neurodyn.cells import CellModel
        >>> m = CellModel(); s = m.section("s").insert("pas"); m.run(tstop=0.1)
        >>> sorted(m.provenance())
        ['celsius', 'dt', 'kernel', 'kernel_tier', 'mechanisms', 'neurodyn', 'secondorder', 't']
        """
        from neurodyn._version import __version__
        st = self._state
        return {"neurodyn": __version__, "kernel_tier": self.kernel_tier,
                "kernel": None if st is None else st.kernel.describe(),
                "mechanisms": [] if st is None else [m.name for m in st.mechs], "dt": self.dt,
                "celsius": self.celsius, "secondorder": self.secondorder, "t": self.t}

    def __repr__(self) -> str:
        tier = "" if self._state is None else f", kernel {self._state.kernel.describe()}"
        return (f"CellModel({len(self.sections())} sections, {len(self._pps)} point processes, "
                f"{len(self._netcons)} NetCons{tier})")


class _State:
    """Compiled arrays and the run state of a model (internal)."""
