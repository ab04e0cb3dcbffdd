"""NEURON idioms written once and run with NEURON's ``h`` and with neurodyn's (tests/cells/test_cells_idioms.py).

Every function takes an ``h`` and returns a dict of plain numbers and lists (JSON), so that a NEURON subprocess
and neurodyn give comparable answers from the same code.
"""
from __future__ import annotations

import numpy as np


def _ring(h, n=3, nseg=5):
    cells = []
    for i in range(n):
        soma = h.Section(name=f"soma{i}"); soma.L = soma.diam = 12.6157; soma.insert("hh")
        dend = h.Section(name=f"dend{i}"); dend.L = 200; dend.nseg = nseg; dend.diam = 1; dend.insert("pas")
        dend.g_pas = 0.001; dend.e_pas = -65
        dend.connect(soma(1))
        cells.append((soma, dend, h.ExpSyn(dend(0.5))))
    ncs = []
    for i in range(n):
        nc = h.NetCon(cells[i][0](0.5)._ref_v, cells[(i + 1) % n][2], sec=cells[i][0])
        nc.weight[0] = 0.04; nc.delay = 1
        ncs.append(nc)
    stim = h.NetStim(); stim.number = 1; stim.start = 2
    ncstim = h.NetCon(stim, cells[0][2]); ncstim.delay = 1; ncstim.weight[0] = 0.04
    return cells, ncs, stim, ncstim


def netcon_record(h) -> dict:
    """All cells' spikes into one (tvec, idvec) pair with ids; default ids; the last record() of a source wins;
    record() stops; NetStim sources."""
    cells, ncs, stim, ncstim = _ring(h)
    tvec, idvec = h.Vector(), h.Vector()
    for i, nc in enumerate(ncs):
        nc.record(tvec, idvec, i + 10)
    ns_t, ns_id = h.Vector(), h.Vector()
    ncstim.record(ns_t, ns_id)                       # default id: the NetCon's index (NetCon[3])
    stim2 = h.NetStim(); stim2.number = 3; stim2.start = 1; stim2.interval = 4
    nc2 = h.NetCon(stim2, None)
    s2 = h.Vector()
    nc2.record(s2)
    h.NetCon(stim2, None).record()                   # another NetCon of the same source: stops its recording
    extra = h.NetCon(cells[1][0](0.5)._ref_v, None, sec=cells[1][0])
    t1 = h.Vector()
    extra.record(t1)                                 # cell 1's source now records into t1 only
    h.dt = 0.025
    h.finitialize(-65)
    h.continuerun(60)
    return {"tvec": list(tvec), "idvec": list(idvec), "ns_t": list(ns_t), "ns_id": list(ns_id), "t1": list(t1),
            "s2": list(s2)}


def vector_methods(h) -> dict:
    out = {}
    v = h.Vector([3, 1, 2])
    out["append"] = v.append(5).to_python()
    out["append_vec"] = h.Vector([1]).append(h.Vector([2, 3])).to_python()
    out["resize_up"] = v.resize(6).to_python()
    out["fill_range"] = v.fill(7, 4, 5).to_python()
    out["stats"] = [v.max(), v.min(), v.max(0, 2), v.min(1, 3), v.sum(), v.mean(), v.stdev(), v.var(),
                    v.max_ind(), v.min_ind(), v.size(), len(v), v[-1], v[0], v.mean(1, 2)]
    out["slice"] = v[1:4].to_python()
    v[1] = 42
    out["setitem"] = v.to_python()
    a = v.as_numpy()
    a[0] = 99
    out["as_numpy_view"] = v[0]
    out["x"] = v.x[2]
    out["resize_down"] = v.resize(2).to_python()
    out["sized"] = [h.Vector(3).to_python(), h.Vector(2, 2.5).to_python()]
    out["from_python"] = h.Vector().from_python([4, 5]).to_python()
    out["c"] = v.c().to_python()
    w = h.Vector()
    w.copy(v)
    out["copy"] = w.to_python()
    out["contains"] = [v.contains(42), v.contains(43)]
    out["empty"] = [h.Vector().max(), h.Vector().min(), h.Vector().sum(), h.Vector().max_ind()]
    out["indgen"] = h.Vector(4).indgen(2, 0.5).to_python()
    out["iter"] = [x for x in h.Vector([1.5, 2.5])]
    # a recorded trace and its statistics
    soma = h.Section(name="soma_v"); soma.L = soma.diam = 20; soma.insert("hh")
    ic = h.IClamp(soma(0.5)); ic.delay = 1; ic.dur = 1; ic.amp = 0.5
    rv = h.Vector().record(soma(0.5)._ref_v)
    rv2 = h.Vector().record(soma(0.5)._ref_v, 0.1)
    t = h.Vector().record(h._ref_t, 0.1)
    h.dt = 0.025
    h.finitialize(-65)
    h.continuerun(10)
    out["rec"] = [rv.size(), rv.max(), rv.min(), rv.max_ind(), rv.mean(), rv2.size(), rv2[5], t[5], t.size()]
    out["rec_list"] = rv2.to_python()
    return out


def distances(h) -> dict:
    a = h.Section(name="a"); a.L = 100; a.nseg = 5
    b = h.Section(name="b"); b.L = 50; b.nseg = 3; b.connect(a(1))
    c = h.Section(name="c"); c.L = 30; c.nseg = 3; c.connect(a(0.5))
    d = h.Section(name="d"); d.L = 40; d.nseg = 4; d.connect(b(0))
    e = h.Section(name="e"); e.L = 25.5; e.nseg = 2; e.connect(c(0.37))
    f = h.Section(name="f"); f.L = 10                      # another tree
    locs = [a(0), a(0.15), a(0.5), a(1), b(0.5), b(1), c(0.5), c(1), d(0.125), d(1), e(0.3), e(0.9), f(0.5)]
    out = {"pairs": [[h.distance(p, q) for q in locs] for p in locs]}
    out["origin_seg"] = h.distance(0, c(0.25))
    out["from_origin"] = [h.distance(p) for p in locs]
    out["origin_x_sec"] = h.distance(0, 0.3, sec=a)
    out["mode1"] = [h.distance(1, 1.0, sec=b), h.distance(0.5, sec=e), h.distance(0, sec=d)]
    out["origin_sec"] = h.distance(sec=b)
    out["from_b0"] = [h.distance(p) for p in locs]
    return out


def cvode_continuerun(h, tol: float) -> dict:
    """cvode.active(1) honoured by finitialize + continuerun (in two pieces) and by fadvance; recordings every
    Dt; the branched cell of the NEURON comparison (IClamps, ExpSyn, Exp2Syn, NetStims, a spike)."""
    import cells_models as cm
    Dt = 0.1
    keep, t_vec, vecs, spikes = cm.build_branched(h, rec=lambda ref: h.Vector().record(ref, Dt))
    cv = h.CVode()
    cv.active(True)
    h.cvode.atol(tol)
    h.cvode.rtol(tol)
    h.dt = Dt
    h.finitialize(-65)
    h.continuerun(12)
    h.continuerun(30)
    out = {"t": list(t_vec), "spikes_soma": list(spikes["soma"]), "spikes_ns3": list(spikes["ns3"])}
    out.update({k: list(v) for k, v in vecs.items() if k in ("soma", "d1_end", "d2", "t1", "syn_g")})
    # fadvance under CVODE: the solution is followed (NEURON steps at its own times; compare by interpolation)
    tt, vv = [], []
    h.finitialize(-65)
    while h.t < 6:
        h.fadvance()
        tt.append(h.t)
        vv.append(keep[0](0.5).v)
    out["fadvance_t"], out["fadvance_v"] = tt, vv
    out["active"] = cv.active()
    cv.active(False)
    return out


def hoc_delete_all(h, use_hoc: bool) -> dict:
    """What the suggested replacement of h('forall delete_section()') does, and the hoc string itself."""
    secs = [h.Section(name=f"s{i}") for i in range(3)]
    secs[1].connect(secs[0](1))
    before = len(list(h.allsec()))
    if use_hoc:
        h("forall delete_section()")
    else:
        for sec in h.allsec():
            h.delete_section(sec=sec)
    return {"before": before, "left": len(list(h.allsec()))}


def spikes_array(d: dict) -> dict:
    return {k: np.asarray(v) for k, v in d.items()}
