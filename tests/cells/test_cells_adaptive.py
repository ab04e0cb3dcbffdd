"""The adaptive method (SciPy BDF on the full cable ODE, integrated between event times).

Against NEURON's CVODE: the branched cell (IClamp, Exp2Syn driven by a NetStim train, ExpSyn, hh in soma and
a dendrite), NEURON at atol = rtol = 1e-10 (live in a subprocess when NEURON is installed, otherwise the
stored traces), neurodyn at rtol = atol = 1e-8, both sampled every 0.1 ms.
Tolerances: at 1e-8 our global error, measured against our own 1e-10 run, is ~1e-3 mV on the voltages (spike
upstrokes dominate); NEURON at 1e-10 is ~1e-5 mV from converged. We assert 0.01 mV on voltages (10x margin),
1e-4 on the gate m, and 1e-3 ms on spike times: NEURON's CVODE places a threshold crossing by linear
interpolation within its step, which differs from the root of the interpolating polynomial by ~1e-4 ms.
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest

import cells_models as cm
from cells_models import DATA, shared_kernel_model
from neurodyn.cells import CellModel

mr = cm.make_reference_module()
HAVE_NEURON = cm.have_neuron()


@pytest.fixture(scope="module")
def neuron_cvode():
    if HAVE_NEURON:
        with tempfile.TemporaryDirectory() as d:
            return mr.run_neuron("branched_cvode", Path(d))
    if not DATA.exists():
        pytest.skip("NEURON is not installed and tests/cells/data/neuron_reference.npz is missing")
    with np.load(DATA) as f:
        return {k.split("/", 1)[1]: f[k] for k in f.files if k.startswith("branched_cvode/")}


@pytest.mark.peer
def test_adaptive_matches_neuron_cvode(neuron_cvode):
    _, tstop, _, Dt = mr.CVODE_CONFIGS["branched_cvode"]
    _, got = cm.run_adaptive_neurodyn(CellModel(), cm.build_branched, tstop, 1e-8, Dt)
    ref = neuron_cvode
    n = len(ref["t"])               # NEURON stops sampling at the last Dt before tstop
    np.testing.assert_allclose(got["t"][:n], ref["t"], atol=1e-9)
    for key in ("soma", "d1_end", "d1_mid", "d2", "d3", "t1", "t2", "t3", "t4"):
        err = np.max(np.abs(got[key][:n] - ref[key]))
        assert err < 0.01, f"{key}: max |adaptive - CVODE| = {err:.3g} mV"
    assert np.max(np.abs(got["soma_m"][:n] - ref["soma_m"])) < 1e-4
    np.testing.assert_allclose(got["syn_g"][:n], ref["syn_g"], atol=1e-7)
    assert got["spikes_soma"].shape == ref["spikes_soma"].shape and ref["spikes_soma"].size >= 1
    np.testing.assert_allclose(got["spikes_soma"], ref["spikes_soma"], atol=1e-3)


def test_adaptive_single_compartment_is_exact_exponential():
    """rtol = atol = 1e-10 must reproduce v = e + I R (1 - exp(-(t - del)/tau)) to 1e-6 mV."""
    m = shared_kernel_model()
    s = m.section("s", L=20.0, diam=20.0)
    s.insert("pas")
    s.g_pas, s.e_pas = 1e-3, -70.0
    ic = m.IClamp(s(0.5))
    ic.delay, ic.dur, ic.amp = 1.0, 5.0, 0.02
    v = m.record(s(0.5)._ref_v)
    t = m.record_time()
    m.dt = 0.05
    m.run(tstop=10.0, method="adaptive", rtol=1e-10, atol=1e-10, v_init=-70.0)
    t, v = np.asarray(t), np.asarray(v)
    R = 1.0 / (1e-3 * math.pi * 20e-4 * 20e-4)
    vinf = 0.02e-9 * R * 1e3
    tau = 1.0
    on = np.clip(t - 1.0, 0, 5.0)
    exact = -70.0 + vinf * (1 - np.exp(-on / tau)) * np.where(t > 6.0, np.exp(-(t - 6.0) / tau), 1.0)
    np.testing.assert_allclose(v, exact, atol=1e-6)


def test_adaptive_agrees_with_fine_fixed_step():
    """Independent of NEURON: Crank-Nicolson at dt = 0.002 ms and the adaptive method on a spiking cell with a
    dendrite and an event-driven synapse. The fixed-step scheme delivers an event at the start of the step
    whose midpoint follows it (timing error up to dt/2 = 0.001 ms), which on a spike upstroke (~200 mV/ms)
    is ~0.2 mV: we assert 0.5 mV at every sample, and that the fixed-step answer converges to the adaptive one
    (mean error at dt = 0.002 below 0.6 x the mean error at dt = 0.004; first order expected)."""
    def build(m):
        soma = m.section("soma", L=20, diam=20)
        soma.insert("hh")
        dend = m.section("dend", L=300, diam=1, nseg=21)
        dend.insert("pas")
        dend.connect(soma(1))
        syn = m.ExpSyn(dend(0.8))
        syn.tau = 1.0
        ns = m.NetStim()
        ns.number, ns.start, ns.interval = 2, 3.0, 6.0
        nc = m.NetCon(ns, syn, delay=0.5, weight=0.03)
        return (soma, dend, syn, ns, nc), m.record(soma(0.5)._ref_v), m.record(dend(0.5)._ref_v)
    ma = CellModel()
    ka, va, da = build(ma)
    ma.dt = 0.1
    ma.run(tstop=15.0, method="adaptive", rtol=1e-8, atol=1e-8)
    va, da = np.asarray(va), np.asarray(da)
    assert va.max() > 0     # the soma spikes
    mean_err = []
    for dt in (0.004, 0.002):
        mf = CellModel()
        kf, vf, df = build(mf)
        mf.run(tstop=15.0, dt=dt, secondorder=2)
        stride = int(round(0.1 / dt))
        vf_s, df_s = np.asarray(vf)[::stride], np.asarray(df)[::stride]
        mean_err.append(np.mean(np.abs(va - vf_s)))
        assert np.max(np.abs(va - vf_s)) < 1.0
        assert np.max(np.abs(da - df_s)) < 1.0
    assert np.max(np.abs(va - vf_s)) < 0.5
    assert mean_err[1] < 0.6 * mean_err[0]
