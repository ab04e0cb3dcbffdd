"""Adaptive (variable-step) integration of the full cable ODE with SciPy's BDF, between event times.

The unknowns are the voltages of the nodes with membrane (segment centres), every gating state and the
synaptic conductance states. Zero-area nodes (section ends and roots) carry no capacitance: their voltage is
eliminated algebraically (conductance-weighted mean of the neighbouring nodes, plus point-process terms), the
same constraint NEURON's CVODE imposes. Discontinuities are never integrated across: the run is split at
every queued event (NetCon deliveries, NetStim self-events) and every IClamp on/off time, and restarted after
each jump. Threshold crossings of NetCon sources are located by SciPy's event root finding (to ~1e-12 ms), the
spike is emitted at the crossing time and its deliveries enter the queue, as in NEURON's CVODE.

Rate tables are used when the mechanism's ``usetable`` flag is on, as NEURON's CVODE does. Recordings are
sampled every ``model.dt`` (dense output), starting at t = 0.

Examples
--------
>>> from neurodyn.cells import CellModel
>>> m = CellModel()
>>> s = m.section("s", L=20, diam=20).insert("pas")
>>> ic = m.IClamp(s(0.5)); ic.delay = 1; ic.dur = 5; ic.amp = 0.01
>>> v = m.record(s(0.5)._ref_v)
>>> m.dt = 0.5; m.run(tstop=10, method="adaptive", rtol=1e-9, atol=1e-9)
>>> len(v)
21
"""
from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import coo_matrix

from neurodyn.cells.errors import CellError, NonFiniteVoltageError
from neurodyn.cells.events import Exp2Syn, ExpSyn


#: state-vector size above which the Jacobian is treated as sparse
DENSE_LIMIT = 200


class _Ode:
    """Packs model arrays into the ODE state vector and evaluates the right-hand side."""

    def __init__(self, model, st):
        self.m, self.st = model, st
        tree = st.tree
        self.iscap = (st.cm > 0).astype(np.int64)
        self.capidx = np.nonzero(self.iscap)[0].astype(np.int64)
        self.ncap = len(self.capidx)
        self.n = tree.n
        self.num = np.zeros(self.n)
        self.den = np.zeros(self.n)
        self.rhs = np.zeros(self.n)
        self.ppf = 100.0 / tree.area
        self.ic_on = np.zeros(st.ic_P.shape[1])
        self.sizes = [S.size for S in st.mS]
        self.ny = self.ncap + sum(self.sizes) + st.es_S.shape[1] + 2 * st.e2_S.shape[1]
        self.dydt = np.zeros(self.ny)
        self.nfev = 0

    def pack(self) -> np.ndarray:
        st = self.st
        parts = [st.v[self.capidx]] + [S.ravel() for S in st.mS]
        parts += [st.es_S[0], st.e2_S[0], st.e2_S[1]]
        return np.concatenate(parts).astype(float)

    def eval(self, y, fill_assigned=False) -> np.ndarray:
        st, m = self.st, self.m
        self.nfev += 1
        out = np.empty(self.ny)
        st.kernel.ode_rhs(np.ascontiguousarray(y), out, self.capidx, self.iscap, self.ic_on, st.v,
                          st.parent32, st.tree.a, st.tree.b, st.cm, self.ppf, st.tree.ncell, self.num, self.den,
                          self.rhs, float(m.celsius), *m._mech_args(st), *m._pp_args(st), fill_assigned)
        return out

    def sparsity(self):
        """Jacobian sparsity: tree neighbours (through eliminated zero-area nodes), gates and synapses."""
        st = self.st
        tree = st.tree
        pos = -np.ones(self.n, dtype=np.int64)
        pos[self.capidx] = np.arange(self.ncap)
        nbr: list[set] = [set() for _ in range(self.n)]
        for i in range(tree.ncell, self.n):
            p = int(tree.parent[i])
            nbr[i].add(p)
            nbr[p].add(i)
        rows, cols = [], []

        def cap_neighbours(i):
            out = {i}
            for j in nbr[i]:
                if self.iscap[j]:
                    out.add(j)
                else:
                    out |= {k for k in nbr[j] if self.iscap[k]}
            return out

        node_vars: dict[int, list[int]] = {}
        off = self.ncap
        for j, S in enumerate(st.mS):
            nk = S.shape[1]
            for r in range(S.shape[0]):
                for k in range(nk):
                    node_vars.setdefault(int(st.mech_node[j][k]), []).append(off + r * nk + k)
            off += S.size
        for arr_nodes, count in ((st.pp_node[ExpSyn], 1), (st.pp_node[Exp2Syn], 2)):
            nk = len(arr_nodes)
            for c in range(count):
                for k in range(nk):
                    node_vars.setdefault(int(arr_nodes[k]), []).append(off + c * nk + k)
            off += count * nk
        # point processes at zero-area nodes influence the neighbours of that node
        for c, i in enumerate(self.capidx):
            near = cap_neighbours(int(i))
            for k in near:
                rows.append(c)
                cols.append(int(pos[k]))
            for j in nbr[int(i)] | {int(i)}:
                for var in node_vars.get(j, []):
                    rows.append(c)
                    cols.append(var)
                    rows.append(var)
                    cols.append(c)
        for vars_ in node_vars.values():
            for a_ in vars_:
                rows.append(a_)
                cols.append(a_)
            # a synapse or gate at a node depends on the node voltage only (and itself)
        for i, vars_ in node_vars.items():
            if self.iscap[i]:
                for var in vars_:
                    rows.append(var)
                    cols.append(int(pos[i]))
            else:
                for var in vars_:
                    for k in cap_neighbours(i):
                        if self.iscap[k]:
                            rows.append(var)
                            cols.append(int(pos[k]))
        data = np.ones(len(rows))
        return coo_matrix((data, (rows, cols)), shape=(self.ny, self.ny)).tocsc()


class AdaptiveRun:
    """The state of an adaptive integration between ``continuerun`` calls (kept in the model's run state).

    Created by ``CellModel.finitialize`` when the adaptive method is on (``h.cvode.active(1)``, or
    ``run(method="adaptive")``); :meth:`advance_to` integrates from the current time to the last recording
    grid point (a multiple of ``dt``) not after ``tstop``, as often as called. One call to ``tstop`` and
    several calls ending at ``tstop`` differ only by the integrator's restarts (within its tolerance).
    """

    def __init__(self, model, st, rtol: float, atol: float, method: str = "BDF"):
        if not (rtol > 0 and atol > 0):
            raise CellError(f"adaptive method needs rtol > 0 and atol > 0, got rtol={rtol!r}, atol={atol!r}")
        self.model, self.st, self.rtol, self.atol, self.method = model, st, float(rtol), float(atol), method
        self.ode = _Ode(model, st)
        self.dt = float(model.dt)
        self.jcol = 0                 # grid samples recorded after t = 0
        self.y = self.ode.pack()
        # small systems: dense LU is faster than SciPy's sparse LU; large ones: sparse finite-difference Jacobian
        self.jac = self.ode.sparsity() if self.ode.ny > DENSE_LIMIT else None
        # IClamp switching times
        self.switches = sorted({float(x) for k in range(st.ic_P.shape[1])
                                for x in (st.ic_P[0, k], st.ic_P[0, k] + st.ic_P[1, k])})
        self.t = 0.0

    def advance_to(self, tstop: float) -> None:
        """Integrate to the last grid point ``k dt <= tstop`` (NEURON's step count rule), recording on the way."""
        model, st, ode, dt = self.model, self.st, self.ode, self.dt
        nsamp = int(st.kernel.count_steps(0.0, dt, float(tstop)))
        if nsamp <= self.jcol:
            return
        grid = dt * np.arange(nsamp + 1)
        j0 = self.jcol
        cols = np.zeros((len(st.rec_arr), nsamp - j0))
        t, y = self.t, self.y
        tend = float(grid[-1])
        flags = st.vs_flag
        ev_args = model._event_args(st)

        def fun(_t, yy):
            return ode.eval(yy)

        def make_event(s, upward):
            node = int(st.vs_node[s])
            thr = float(st.vs_thr[s])
            if ode.iscap[node]:
                c = int(np.searchsorted(ode.capidx, node))

                def ev(_t, yy):
                    return yy[c] - thr
            else:
                def ev(_t, yy):
                    ode.eval(yy)
                    return st.v[node] - thr
            ev.terminal = True
            ev.direction = 1.0 if upward else -1.0
            return ev

        def record_at(ts, ys):
            for tt, yy in zip(ts, ys.T):
                ode.eval(yy, fill_assigned=True)
                if len(st.rec_arr):
                    st.kernel.record(self.jcol - j0, float(tt), st.v, st.rec_arr, st.rec_row, st.rec_col, cols,
                                     *model._mech_args(st), *model._pp_args(st))
                self.jcol += 1

        while t < tend:
            t_ev = float(st.qt[0]) if st.qstate[0] > 0 else np.inf
            t_sw = next((x for x in self.switches if x > t), np.inf)
            t_stop = min(t_ev, t_sw, tend)
            if t_stop > t:
                mid = 0.5 * (t + t_stop)
                for k in range(st.ic_P.shape[1]):
                    ode.ic_on[k] = 1.0 if (st.ic_P[0, k] <= mid < st.ic_P[0, k] + st.ic_P[1, k]) else 0.0
                events = [make_event(s, flags[s] == 0) for s in range(st.nv)]
                gpts = grid[(grid > t) & (grid <= t_stop)]
                t_eval = gpts if len(gpts) and gpts[-1] == t_stop else np.append(gpts, t_stop)
                sol = solve_ivp(fun, (t, t_stop), y, method=self.method, rtol=self.rtol, atol=self.atol,
                                jac_sparsity=self.jac, t_eval=t_eval, events=events or None)
                if sol.status < 0:
                    raise NonFiniteVoltageError(f"adaptive integration failed near t = "
                                                f"{sol.t[-1] if len(sol.t) else t:g} ms: {sol.message}")
                # grid points strictly before t_stop now; a grid point at t_stop after the events there
                nbefore = int(np.sum(gpts < t_stop))
                nrec = min(len(sol.t), nbefore)
                if nrec:
                    record_at(sol.t[:nrec], np.asarray(sol.y)[:, :nrec])
                if sol.status == 1:
                    hits = [(float(te[0]), s) for s, te in enumerate(sol.t_events) if len(te)]
                    ts, s = min(hits)
                    y = np.asarray(sol.y_events[s][0], dtype=float)
                    ode.eval(y)
                    if flags[s] == 0:
                        flags[s] = 1
                        st.kernel.emit_spike(int(s), ts, st.src_ptr, st.src_nc, st.nc_kind, st.nc_delay, st.qt,
                                             st.qs, st.qa, st.qb, st.qstate, st.sp_t, st.sp_s, st.spstate)
                        if st.spstate[0] > len(st.sp_t) - 8:
                            model._flush_spikes(st)
                        if st.qstate[0] > len(st.qt) - 4 * (len(st.netcons) + 4):
                            model._grow_queue(st)
                            ev_args = model._event_args(st)
                    else:
                        flags[s] = 0
                    t = ts
                    continue
                y = np.asarray(sol.y[:, -1], dtype=float)   # t_eval ends at t_stop
                t = t_stop
            # deliver everything due now (events at t), then restart from the jumped state
            ode.eval(y)
            if st.qstate[0] > len(st.qt) - 4 * (len(st.netcons) + len(st.netstims) + 4):
                model._grow_queue(st)
                ev_args = model._event_args(st)
            st.kernel.deliver_events(t, *ev_args)
            y = ode.pack()
            if self.jcol < nsamp and grid[self.jcol + 1] == t:
                record_at([t], y[:, None])
            if not np.all(np.isfinite(y)):
                raise NonFiniteVoltageError(f"adaptive integration produced a non-finite state at t = {t:g} ms")
        self.t, self.y = t, y
        model.t = t
        if len(st.rec_arr):
            for r, vec in enumerate(st.rec_vectors):
                vec._append_samples(cols[r, :self.jcol - j0])
        model._flush_spikes(st)
        ode.eval(y, fill_assigned=True)
        model._scatter(st)
        st.adaptive_stats = {"nfev": ode.nfev}


def run_adaptive(model, tstop: float, v_init: float, rtol: float = 1e-6, atol: float = 1e-8,
                 method: str = "BDF") -> None:
    """Initialise ``model`` for the adaptive method and integrate to ``tstop`` (see module docstring).

    Parameters
    ----------
    rtol, atol : float
        Tolerances of :func:`scipy.integrate.solve_ivp` (atol in the units of each state: mV, unitless
        gates, uS).
    method : {'BDF', 'LSODA', 'Radau'}
        Stiff SciPy integrator.
    """
    model._initialize(v_init, adaptive=(rtol, atol, method))
    model.continuerun(tstop)
