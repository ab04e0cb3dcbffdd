"""Model builders shared by the tests, tests/cells/make_reference.py and the benchmark.

Every builder takes a NEURON-like ``h`` (NEURON's own or ``neurodyn.cells.h``) so that the SAME code builds
the model in both simulators.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
#: NEURON reference traces written by make_reference.py
DATA = HERE / "data" / "neuron_reference.npz"


def have_neuron() -> bool:
    try:
        return importlib.util.find_spec("neuron") is not None
    except (ImportError, ValueError):
        return False


def make_reference_module():
    """tests/cells/make_reference.py, imported under a unique name (other test folders may have one too)."""
    name = "neurodyn_tests_cells_make_reference"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "make_reference.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def shared_kernel_model():
    """A CellModel whose mechanism set is {hh, pas} whatever the test inserts (pas only is common).

    Each distinct set of mechanisms compiles one Numba kernel (~20 s on a cold cache); a disconnected
    one-compartment section with hh (no inputs, it stays at rest and does not affect other sections) keeps
    the passive tests on the same kernel as the hh tests.
    """
    from neurodyn.cells import CellModel
    m = CellModel()
    m._dummy_hh = m.section("unconnected_hh").insert("hh")
    return m


def build_chain(h):
    """The three-cell chain of the task (NEURON teaching example); returns (keep-alive objects, vectors)."""
    cells = {}
    for i in range(3):
        soma = h.Section(name='soma'); soma.L = soma.diam = 12.6157; soma.Ra = 100; soma.cm = 1
        soma.insert('hh'); soma.gnabar_hh = 0.12; soma.gkbar_hh = 0.036; soma.gl_hh = 0.0003; soma.el_hh = -54.3
        dend = h.Section(name='dend'); dend.L = 200; dend.nseg = 101; dend.Ra = 100; dend.cm = 1; dend.diam = 1
        dend.insert('pas'); dend.g_pas = 0.001; dend.e_pas = -65
        dend.connect(soma(1))
        cells[i] = {'soma': soma, 'dend': dend}
    syns = [h.ExpSyn(cells[1]['dend'](0.5)), h.ExpSyn(cells[2]['dend'](0.5))]
    netcons = [h.NetCon(cells[0]['soma'](0.5)._ref_v, syns[0], sec=cells[0]['soma']),
               h.NetCon(cells[1]['soma'](0.5)._ref_v, syns[1], sec=cells[1]['soma'])]
    for nc in netcons:
        nc.weight[0] = 0.04
        nc.delay = 5
    syn_ = h.ExpSyn(cells[0]['dend'](0.5))
    stim = h.NetStim(); stim.number = 1; stim.start = 5
    ncstim = h.NetCon(stim, syn_); ncstim.delay = 1; ncstim.weight[0] = 0.04
    t_vec = h.Vector(); t_vec.record(h._ref_t)
    vecs = {}
    for i in range(3):
        vecs[f"soma{i}"] = h.Vector().record(cells[i]['soma'](0.5)._ref_v)
        vecs[f"dend{i}"] = h.Vector().record(cells[i]['dend'](0.5)._ref_v)
    spikes = {}
    for i in range(2):
        spikes[f"cell{i}"] = h.Vector()
        netcons[i].record(spikes[f"cell{i}"])
    keep = (cells, syns, netcons, syn_, stim, ncstim)
    return keep, t_vec, vecs, spikes


def build_branched(h, rec=None):
    """Soma + three dendrites at x = 1, 0.5, 0 (different nseg and diam) + a two-branch tuft; IClamp, Exp2Syn
    driven by a 4-spike NetStim train, an ExpSyn on the soma driven by a second train."""
    soma = h.Section(name='bsoma'); soma.L = 20; soma.diam = 20; soma.nseg = 1; soma.Ra = 150; soma.cm = 1
    soma.insert('hh')
    d1 = h.Section(name='bd1'); d1.L = 300; d1.diam = 2; d1.nseg = 15; d1.Ra = 150
    d2 = h.Section(name='bd2'); d2.L = 150; d2.diam = 1.2; d2.nseg = 7; d2.Ra = 120
    d3 = h.Section(name='bd3'); d3.L = 80; d3.diam = 0.8; d3.nseg = 3; d3.Ra = 100; d3.cm = 1.5
    t1 = h.Section(name='bt1'); t1.L = 120; t1.diam = 0.7; t1.nseg = 9
    t2 = h.Section(name='bt2'); t2.L = 60; t2.diam = 0.5; t2.nseg = 4
    d1.connect(soma(1)); d2.connect(soma(0.5)); d3.connect(soma(0))
    t1.connect(d1(1)); t2.connect(d1(0.62))
    t3 = h.Section(name='bt3'); t3.L = 40; t3.diam = 0.6; t3.nseg = 2
    t4 = h.Section(name='bt4'); t4.L = 30; t4.diam = 0.9; t4.nseg = 3
    t3.connect(d1(0))           # x = 0 of a non-root section: d1's parent node (soma's 1 end)
    t4.connect(d1(0.4))         # 0.4 * nseg = 6 exactly: a segment boundary
    for s in (d1, d2, d3, t1, t2, t3, t4):
        s.insert('pas'); s.g_pas = 2e-4; s.e_pas = -65
    d1.insert('hh'); d1.gnabar_hh = 0.03; d1.gkbar_hh = 0.01
    for seg in d1:
        seg.hh.gl = 1e-5 * (1 + seg.x)
    ic = h.IClamp(soma(0.5)); ic.delay = 2; ic.dur = 3; ic.amp = 0.3
    ic2 = h.IClamp(t1(1)); ic2.delay = 30; ic2.dur = 5; ic2.amp = 0.05
    syn = h.Exp2Syn(d2(0.7)); syn.tau1 = 0.5; syn.tau2 = 4; syn.e = 0
    ns = h.NetStim(); ns.number = 4; ns.start = 12; ns.interval = 7; ns.noise = 0
    nc = h.NetCon(ns, syn); nc.delay = 0.5; nc.weight[0] = 0.006
    syn2 = h.ExpSyn(d3(0.2)); syn2.tau = 2; syn2.e = -70
    ns2 = h.NetStim(); ns2.number = 3; ns2.start = 20.3; ns2.interval = 3.3
    nc2 = h.NetCon(ns2, syn2, 0, 0.7, 0.01)
    spk = h.Vector()
    nc3 = h.NetCon(soma(0.5)._ref_v, None); nc3.threshold = 0; nc3.record(spk)
    # a NetStim that is off (start < 0) until a spike of the soma turns it on (NET_RECEIVE flag 0)
    ns3 = h.NetStim(); ns3.number = 3; ns3.start = -1; ns3.interval = 2.5
    nc4 = h.NetCon(soma(0.5)._ref_v, ns3, 0, 2.0, 1.0)
    syn3 = h.ExpSyn(t1(0.5)); syn3.tau = 1.5
    nc5 = h.NetCon(ns3, syn3, 0, 0.3, 0.002)
    spk3 = h.Vector(); nc5.record(spk3)
    rec = rec or (lambda ref: h.Vector().record(ref))
    t_vec = rec(h._ref_t)
    vecs = {"soma": rec(soma(0.5)._ref_v), "d1_end": rec(d1(1)._ref_v), "d1_mid": rec(d1(0.5)._ref_v),
            "d2": rec(d2(0.7)._ref_v), "d3": rec(d3(0.2)._ref_v), "t1": rec(t1(0.9)._ref_v),
            "t2": rec(t2(0.5)._ref_v), "t3": rec(t3(0.25)._ref_v), "t4": rec(t4(1)._ref_v),
            "soma_m": rec(soma(0.5).hh._ref_m), "soma_gna": rec(soma(0.5).hh._ref_gna),
            "d1_il": rec(d1(0.3).hh._ref_il), "syn_g": rec(syn._ref_g), "syn2_i": rec(syn2._ref_i),
            "syn3_g": rec(syn3._ref_g)}
    keep = (soma, d1, d2, d3, t1, t2, t3, t4, ic, ic2, syn, ns, nc, syn2, ns2, nc2, nc3, ns3, nc4, syn3, nc5)
    return keep, t_vec, vecs, {"soma": spk, "ns3": spk3}


def run(h, build, tstop, dt=0.025, secondorder=0, celsius=6.3):
    keep, t_vec, vecs, spikes = build(h)
    h.dt = dt
    h.celsius = celsius
    h.secondorder = secondorder
    h.tstop = tstop
    h.run()
    out = {"t": np.array(t_vec)}
    out.update({k: np.array(v) for k, v in vecs.items()})
    out.update({f"spikes_{k}": np.array(v) for k, v in spikes.items()})
    return keep, out


def run_cvode_neuron(h, build, tstop, tol, Dt):
    """NEURON's CVODE (atol = rtol = tol), recordings interpolated every Dt."""
    keep, t_vec, vecs, spikes = build(h, rec=lambda ref: h.Vector().record(ref, Dt))
    h.cvode.active(1)
    h.cvode.atol(tol)
    h.cvode.rtol(tol)
    h.dt = Dt
    h.tstop = tstop
    h.run()
    out = {"t": np.array(t_vec)}
    out.update({k: np.array(v) for k, v in vecs.items()})
    out.update({f"spikes_{k}": np.array(v) for k, v in spikes.items()})
    h.cvode.active(0)
    return keep, out


def run_adaptive_neurodyn(model, build, tstop, tol, Dt):
    """neurodyn's adaptive method (rtol = atol = tol) on the facade of ``model``, samples every Dt."""
    from neurodyn.cells import HocFacade
    h = HocFacade(model)
    keep, t_vec, vecs, spikes = build(h)
    model.dt = Dt
    model.run(tstop=tstop, method="adaptive", rtol=tol, atol=tol)
    out = {"t": np.array(t_vec)}
    out.update({k: np.array(v) for k, v in vecs.items()})
    out.update({f"spikes_{k}": np.array(v) for k, v in spikes.items()})
    return keep, out


def neuron_h():
    """NEURON's h with the standard run system (caller must have checked that neuron imports)."""
    from neuron import h
    h.load_file("stdrun.hoc")
    return h


#: a one-point soma (r = 6), a dendrite that branches and an axon, as SWC text (tests of the SWC import)
BRANCHED_SWC = """1 1 0 0 0 6 -1
2 3 6 0 0 1.0 1
3 3 56 0 0 1.0 2
4 3 106 0 0 1.0 3
5 3 146 30 0 0.6 4
6 3 146 -30 0 0.5 4
7 2 -6 0 0 0.5 1
8 2 -206 0 0 0.5 7
"""
