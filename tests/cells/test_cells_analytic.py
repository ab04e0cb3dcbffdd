"""neurodyn.cells against closed-form results (no NEURON needed)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from cells_models import shared_kernel_model
from neurodyn.cells import HH
from neurodyn.cells.kernel import evaluate_rates


def hh_formulas(v, celsius):
    """Hodgkin-Huxley rates written independently of the package (HH 1952, shifted to rest at -65 mV)."""
    q10 = 3.0 ** ((celsius - 6.3) / 10.0)
    am = 0.1 * (v + 40) / (1 - np.exp(-(v + 40) / 10))
    bm = 4 * np.exp(-(v + 65) / 18)
    ah = 0.07 * np.exp(-(v + 65) / 20)
    bh = 1 / (1 + np.exp(-(v + 35) / 10))
    an = 0.01 * (v + 55) / (1 - np.exp(-(v + 55) / 10))
    bn = 0.125 * np.exp(-(v + 65) / 80)
    return {k: (a / (a + b), 1 / (q10 * (a + b))) for k, a, b in (("m", am, bm), ("h", ah, bh), ("n", an, bn))}


@pytest.mark.parametrize("celsius", [6.3, 16.3, 37.0])
def test_hh_rates_match_formulas(celsius):
    # avoid the removable singularities at -40 and -55 mV (tested separately); 1e-12 relative is round-off
    v = np.linspace(-99.7, 99.3, 157)
    got = evaluate_rates(HH, v, celsius)
    want = hh_formulas(v, celsius)
    for s in "mhn":
        np.testing.assert_allclose(got[s][0], want[s][0], rtol=1e-12)
        np.testing.assert_allclose(got[s][1], want[s][1], rtol=1e-12)


def test_hh_rates_at_singular_points_are_limits():
    got = evaluate_rates(HH, np.array([-40.0, -55.0]))
    # limits: alpha_m(-40) = 1, alpha_n(-55) = 0.1
    am, bm = 1.0, 4 * math.exp(-25 / 18)
    an, bn = 0.1, 0.125 * math.exp(-10 / 80)
    assert got["m"][0][0] == pytest.approx(am / (am + bm), rel=1e-12)
    assert got["n"][0][1] == pytest.approx(an / (an + bn), rel=1e-12)


def test_hh_table_is_linear_interpolation_of_exact_rates():
    grid = np.arange(-100.0, 101.0)          # the 201 table points
    exact_grid = evaluate_rates(HH, grid, 6.3)
    tab_grid = evaluate_rates(HH, grid, 6.3, table=True)
    for s in "mhn":
        np.testing.assert_allclose(tab_grid[s][0], exact_grid[s][0], rtol=1e-13, atol=1e-16)
    v = np.array([-64.3, -12.75, 33.1, -150.0, 150.0])
    tab = evaluate_rates(HH, v, 6.3, table=True)
    lo = np.clip(np.floor(v), -100, 100)
    hi = np.clip(lo + 1, -100, 100)
    w = np.clip(v - lo, 0, 1)
    for s in "mhn":
        a = hh_formulas(lo, 6.3)[s][1]
        b = hh_formulas(hi, 6.3)[s][1]
        np.testing.assert_allclose(tab[s][1], a + w * (b - a), rtol=1e-10)


def _single_compartment(g=1e-3, e=-70.0, amp=0.02, secondorder=0, dt=0.025, tstop=10.0):
    m = shared_kernel_model()
    s = m.section("s", L=20.0, diam=20.0)
    s.insert("pas")
    s.g_pas = g
    s.e_pas = e
    stim = m.IClamp(s(0.5))
    stim.delay = 0.0
    stim.dur = 1e9
    stim.amp = amp
    v = m.record(s(0.5)._ref_v)
    t = m.record_time()
    m.dt = dt
    m.secondorder = secondorder
    m.run(tstop=tstop, v_init=e)
    area_cm2 = math.pi * 20e-4 * 20e-4
    R = 1.0 / (g * area_cm2)                     # ohm
    tau = 1.0 / g * 1e-3                         # cm/g with cm = 1 uF/cm2, in ms
    exact = e + amp * 1e-9 * R * 1e3 * (1 - np.exp(-np.asarray(t) / tau))
    return np.asarray(t), np.asarray(v), exact


def test_single_compartment_converges_to_exponential():
    # backward Euler is first order: the error must halve with dt (ratio 2 +- 10%); Crank-Nicolson at
    # dt = 0.01 ms (tau = 1 ms) is within 1e-4 of the amplitude (second order, (dt/tau)^2/12 ~ 1e-5).
    errs = []
    for dt in (0.02, 0.01):
        _, v, exact = _single_compartment(dt=dt)
        errs.append(np.max(np.abs(v - exact)))
    assert 1.8 < errs[0] / errs[1] < 2.2
    _, v, exact = _single_compartment(dt=0.01, secondorder=2)
    amp = np.ptp(exact)
    assert np.max(np.abs(v - exact)[1:]) < 1e-4 * amp
    # steady state is exact for both
    assert v[-1] == pytest.approx(exact[-1], abs=1e-9 * amp + 1e-6)


def test_finite_cable_input_resistance_and_profile():
    """Sealed-end passive cable, current at x = 0: R_in = r_a lambda coth(L/lambda) and
    v(x) - e = v(0) cosh((L - x)/lambda) / cosh(L/lambda). nseg = 301 gives a spatial discretisation error
    ~(dx/lambda)^2 ~ 1e-5; backward Euler's steady state is the exact steady state of the discrete system;
    tolerance 0.1 %."""
    Ra, d, L, g = 100.0, 2.0, 1000.0, 1e-4
    m = shared_kernel_model()
    c = m.section("cable", L=L, diam=d, nseg=301, Ra=Ra)
    c.insert("pas")
    c.g_pas = g
    c.e_pas = -65.0
    stim = m.IClamp(c(0))
    stim.delay = 0
    stim.dur = 1e9
    stim.amp = 0.1
    m.run(tstop=400.0, dt=1.0, v_init=-65.0)
    lam = math.sqrt((1 / g) * d * 1e-4 / (4 * Ra))            # cm
    ra = 4 * Ra / (math.pi * (d * 1e-4) ** 2)                 # ohm/cm
    rin = ra * lam / math.tanh(L * 1e-4 / lam)                # ohm
    v0 = c(0).v + 65.0
    assert v0 == pytest.approx(0.1e-9 * rin * 1e3, rel=1e-3)
    for x in (0.25, 0.5, 0.9):
        want = v0 * math.cosh((L - x * L) * 1e-4 / lam) / math.cosh(L * 1e-4 / lam)
        assert c(x).v + 65.0 == pytest.approx(want, rel=1e-3)


def test_expsyn_conductance_decays_exponentially():
    m = shared_kernel_model()
    s = m.section("s", L=10, diam=10)
    s.insert("pas")
    syn = m.ExpSyn(s(0.5))
    syn.tau = 3.0
    ns = m.NetStim()
    ns.number = 1
    ns.start = 2.0
    nc = m.NetCon(ns, syn, delay=0.5, weight=0.01)  # noqa: F841 (kept alive: objects are held weakly)
    g = m.record(syn._ref_g)
    t = m.record_time()
    m.run(tstop=20, dt=0.025)
    t, g = np.asarray(t), np.asarray(g)
    after = t >= 2.5 + 0.025
    # cnexp is exact for linear decay: g = w exp(-(t - t_delivery)/tau), delivery at the step starting at 2.5
    np.testing.assert_allclose(g[after], 0.01 * np.exp(-(t[after] - 2.5) / 3.0), rtol=1e-9)
    assert np.all(g[t < 2.5 - 1e-9] == 0)
