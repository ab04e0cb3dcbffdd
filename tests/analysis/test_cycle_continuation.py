"""Continuation of periodic orbits, checked against analytic branches (Stuart-Landau from its Hopf point,
the Bautin normal form's fold of cycles, a Neimark-Sacker point with known multipliers), the first period
doubling of the Rossler system located independently by shooting with scipy, the period-2 branch against a
long scipy simulation, and the E/I node's cycle branch between the Hopf points of the fixed-point analysis."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from cycle_models import bautin, rossler, rossler_rhs, stuart_landau, torus
from neurodyn.analysis import (CycleBifurcation, CycleConvergenceError, HopfPoint, NotAHopfPointError,
                               SymbolicSystem, continuation, continue_cycles, cycle_from_hopf, find_cycle,
                               find_fixed_points)
from neurodyn.errors import InputError, VariablePathError


def exponent_tol(orbit):
    """A product of transition matrices resolves a multiplier to ~1e-12 absolute (round-off times the largest,
    trivial, multiplier 1), so ln|mu| / T to ~1e-12 / (|mu| T); plus 1e-9 for the discretisation."""
    mu = abs(orbit.multipliers[0])
    return 1e-9 + 1e-11 / (mu * orbit.period)


def test_stuart_landau_branch_from_hopf_is_analytic():
    mu_, om, beta = "p/slmu/mu", 1.0, 0.2
    s = SymbolicSystem.from_circuit(stuart_landau(0.0, om, beta))
    br = continue_cycles(s, mu_, HopfPoint(mu_, 0.0, np.zeros(2)), (-1.0, 1.0), ds=0.05)
    assert br.stop_reason == "p_range" and br.stopped_at == 1.0
    assert br.orbits[-1].parameter_value == pytest.approx(1.0, abs=1e-12)
    assert len(br.orbits) > 5 and not br.bifurcations
    for o in br.orbits:
        mu = o.parameter_value
        assert mu > 0                                                  # supercritical: cycles for mu > 0
        np.testing.assert_allclose(np.hypot(o.nodes[:, 0], o.nodes[:, 1]), np.sqrt(mu), rtol=1e-8)
        assert o.period == pytest.approx(2 * np.pi / (om - beta * mu), rel=1e-10)
        assert o.floquet_exponents[0] == pytest.approx(-2 * mu, abs=exponent_tol(o))
    small = cycle_from_hopf(s, mu_, HopfPoint(mu_, 0.0, np.zeros(2)), ds=1e-3)
    assert 0 < small.parameter_value < 1e-5 and small.period == pytest.approx(2 * np.pi, rel=1e-5)


def test_bautin_fold_of_cycles_and_end_at_the_subcritical_hopf_point():
    mu_ = "p/bautin/mu"
    s = SymbolicSystem.from_circuit(bautin(-0.5))
    r0 = np.sqrt(1 + np.sqrt(0.5))
    o = find_cycle(s, np.array([r0, 0.0]), period=6.3)
    br = continue_cycles(s, mu_, o, (-2.0, 1.0), direction=-1, ds=0.05)
    folds = [b for b in br.bifurcations if b.type == "fold"]
    assert len(folds) == 1 and len(br.bifurcations) == 1
    fold = folds[0]
    assert fold.value == pytest.approx(-1.0, abs=1e-8)                 # located by Brent to ~1e-10
    np.testing.assert_allclose(np.hypot(fold.orbit.nodes[:, 0], fold.orbit.nodes[:, 1]), 1.0, atol=1e-4)
    assert abs(fold.multiplier - 1.0) < 1e-6
    for orb in br.orbits:                                              # every point on r^2 = 1 +- sqrt(1 + mu)
        r = np.hypot(orb.nodes[:, 0], orb.nodes[:, 1]).mean()
        assert orb.parameter_value == pytest.approx(-2 * r ** 2 + r ** 4, abs=1e-8)
        lam = 4 * r ** 2 * (1 - r ** 2)
        assert orb.floquet_exponents[0] == pytest.approx(lam, abs=exponent_tol(orb))
    # the inner (unstable) branch shrinks to the subcritical Hopf point mu = 0
    assert br.stop_reason == "amplitude" and abs(br.stopped_at) < 1e-4
    assert not br.orbits[-1].stable and br.orbits[0].stable


def test_neimark_sacker_point_with_known_multipliers():
    s = SymbolicSystem.from_circuit(torus(-0.3, 0.3))
    o = find_cycle(s, np.array([1.0, 0.0, 0.0, 0.0]), period=6.3)
    np.testing.assert_allclose(sorted(np.abs(o.multipliers))[-2:], np.exp(-0.3 * 2 * np.pi), rtol=1e-9)
    br = continue_cycles(s, "p/nstor/p", o, (-0.5, 0.5), ds=0.05)
    assert [b.type for b in br.bifurcations] == ["neimark_sacker"]
    ns = br.bifurcations[0]
    assert ns.value == pytest.approx(0.0, abs=1e-8)
    assert ns.angle == pytest.approx(2 * np.pi * 0.3, abs=1e-8)
    assert abs(abs(ns.multiplier) - 1.0) < 1e-8
    assert br.orbits[-1].n_unstable == 2


# ------------------------------------------------------------------------------------- Rossler cascade
def shooting_orbit(c, guess, T):
    """Periodic orbit of the Rossler system through the section y = 0 by Newton on x(T) - x(0) = 0 (unknowns
    x0, z0, T), with the monodromy from the variational equation (DOP853, rtol 1e-12)."""
    f, jac = rossler_rhs(c)

    def flow(x0, T):
        def rhs(t, u):
            return np.concatenate([f(t, u[:3]), (jac(u[:3]) @ u[3:].reshape(3, 3)).ravel()])
        y = solve_ivp(rhs, (0, T), np.concatenate([x0, np.eye(3).ravel()]), method="DOP853", rtol=1e-12,
                      atol=1e-13).y[:, -1]
        return y[:3], y[3:].reshape(3, 3)
    x, z = guess
    for _ in range(20):
        x0 = np.array([x, 0.0, z])
        xT, M = flow(x0, T)
        G = xT - x0
        A = np.column_stack([(M - np.eye(3))[:, 0], (M - np.eye(3))[:, 2], f(0, xT)])
        d = np.linalg.solve(A, -G)
        x, z, T = x + d[0], z + d[1], T + d[2]
        if np.max(np.abs(d)) < 1e-12:
            break
    x0 = np.array([x, 0.0, z])
    xT, M = flow(x0, T)
    return (x, z), T, np.linalg.eigvals(M)


def test_rossler_first_period_doubling_against_shooting_and_switch_to_doubled_branch():
    c_ = "p/ross/c"
    s = SymbolicSystem.from_circuit(rossler(2.5))
    f, _ = rossler_rhs(2.5)
    sol = solve_ivp(f, (0, 300), [1.0, 0.0, 0.0], method="DOP853", rtol=1e-10, atol=1e-12,
                    t_eval=np.arange(0, 300, 0.05))
    o = find_cycle(s, (sol.t, sol.y.T))
    br = continue_cycles(s, c_, o, (2.0, 4.5), ds=0.05)
    pds = [b for b in br.bifurcations if b.type == "period_doubling"]
    assert len(pds) == 1 and br.stop_reason == "p_range"
    pd1 = pds[0]
    # independent reference: shooting + variational equation, the real multiplier = -1 located by Brent
    i0 = np.argmin(np.abs(o.nodes[:, 1]) + 1e9 * (o.nodes[:, 0] < 0))         # a node near the section y = 0
    state = {"g": (o.nodes[i0, 0], o.nodes[i0, 2]), "T": o.period}

    def g(c):
        state["g"], state["T"], mu = shooting_orbit(c, state["g"], state["T"])
        return float(np.min(mu.real) + 1.0)
    c_ref = brentq(g, 2.80, 2.86, xtol=1e-12)
    print(f"Rossler PD1: collocation {pd1.value:.12f}, shooting {c_ref:.12f}")
    # the collocation PD point (order-8 collocation on 40 intervals) agrees to ~1e-9; 1e-7 relative leaves margin
    assert pd1.value == pytest.approx(c_ref, rel=1e-7)
    assert pd1.multiplier.real == pytest.approx(-1.0, abs=1e-8)
    # switch to the doubled branch
    br2 = continue_cycles(s, c_, pd1, (2.0, 4.5), ds=0.05)
    first = br2.orbits[0]
    assert first.period == pytest.approx(2 * pd1.period, rel=1e-2)
    assert first.parameter_value > pd1.value                       # supercritical: the period-2 orbit exists beyond
    gap = np.max(np.abs(first(np.linspace(0, first.period / 2, 50)) -
                        first(np.linspace(first.period / 2, first.period, 50))))
    assert gap > 1e-3                                              # not the period-1 orbit traversed twice
    assert [b.type for b in br2.bifurcations][:1] == ["period_doubling"]
    assert 3.8 < br2.bifurcations[0].value < 3.9                   # period 4 (~3.837)
    # a point of the doubled branch against a long scipy simulation of the period-2 attractor at c = 3.2
    k = int(np.argmin([abs(orb.parameter_value - 3.2) for orb in br2.orbits]))
    o2 = find_cycle(s, br2.orbits[k], params={c_: 3.2})
    f32, _ = rossler_rhs(3.2)
    ev = lambda t, x: x[1]                                         # noqa: E731
    ev.direction = 1
    run = solve_ivp(f32, (0, 800), o2.nodes[0] + 1e-3, method="DOP853", rtol=1e-12, atol=1e-13, events=ev)
    tc = run.t_events[0]
    tc = tc[tc > 300]
    T2 = (tc[-1] - tc[-1 - 2 * 20]) / 20
    print(f"period-2 orbit at c = 3.2: collocation {o2.period:.12f}, simulation {T2:.12f}")
    assert o2.period == pytest.approx(T2, rel=1e-6) and o2.stable


# ------------------------------------------------------------------------------------------ E/I node
def test_ei_node_cycle_branch_connects_the_two_hopf_points():
    """Started at the first Hopf point of the fixed-point continuation (given as its bifurcation row), the
    cycle branch grows, stays stable, and ends at the second Hopf point found by the eigenvalue analysis."""
    s = SymbolicSystem.from_circuit("ei_ping")
    I = "p/ei_ping_op/I_ext_e"
    fp = find_fixed_points(s, params={I: 2.0}, bounds={"p/ei_ping_op/r_e": (1e-9, 1), "p/ei_ping_op/r_i": (1e-9, 1)})
    eq = continuation(s, I, fp[0].x, 2.0, 80.0, ds=0.5)
    hopfs = eq.bifurcations[eq.bifurcations["type"] == "hopf"]
    assert len(hopfs) == 2
    br = continue_cycles(s, I, hopfs.iloc[0], (0.0, 80.0), ds=0.05)
    assert br.stop_reason == "amplitude"
    # A^2 linear in the parameter near the Hopf point: the extrapolated end is good to ~1e-4 here
    assert br.stopped_at == pytest.approx(hopfs.iloc[1][I], abs=1e-3)
    pts = br.points
    assert pts["stable"].all() and not br.bifurcations
    omega0 = hopfs.iloc[0]["omega"]
    assert pts["period"].iloc[0] == pytest.approx(2 * np.pi / omega0, rel=2e-3)   # small cycle: Hopf frequency


# ------------------------------------------------------------------------------------------- bad input
def test_continuation_errors_and_stop_reasons():
    s = SymbolicSystem.from_circuit(stuart_landau(0.5, 1.0, 0.5))
    o = find_cycle(s, np.array([0.7, 0.0]), period=6.0)
    with pytest.raises(VariablePathError, match="did you mean"):
        continue_cycles(s, "p/slmu/muu", o, (0, 1))
    with pytest.raises(InputError, match="outside p_range"):
        continue_cycles(s, "p/slmu/mu", o, (1.0, 2.0))
    with pytest.raises(InputError, match="p_range"):
        continue_cycles(s, "p/slmu/mu", o, 1.0)
    with pytest.raises(NotAHopfPointError, match="not a Hopf point"):
        continue_cycles(s, "p/slmu/mu", HopfPoint("p/slmu/mu", 0.5, np.zeros(2)), (0, 1))
    with pytest.raises(InputError, match="period-doubling"):
        continue_cycles(s, "p/slmu/mu", CycleBifurcation("fold", "p/slmu/mu", 0.5, o, 1.0, 0), (0, 1))
    # the frequency 1 - mu/2 vanishes at mu = 2: the period grows without bound
    br = continue_cycles(s, "p/slmu/mu", o, (0.0, 3.0), max_period=40.0)
    assert br.stop_reason == "max_period" and br.orbits[-1].period > 40.0 and 1.5 < br.stopped_at < 2.0
    assert "max_period" in br.message
    br = continue_cycles(s, "p/slmu/mu", o, (0.0, 3.0), max_steps=2)
    assert br.stop_reason == "max_steps" and len(br.orbits) == 3 and "max_steps" in br.message
    br = continue_cycles(s, "p/slmu/mu", o, (0.0, 3.0), max_iter=1, ds_min=0.01, ds=0.05)
    assert br.stop_reason == "ds_min" and "ds_min" in br.message and br.stopped_at == pytest.approx(0.5)
    with pytest.raises(CycleConvergenceError, match="first step"):
        continue_cycles(s, "p/slmu/mu", HopfPoint("p/slmu/mu", 0.0, np.zeros(2)), (-1, 1), max_iter=1,
                        ds_min=0.01)
    assert "CycleBranch" in repr(br)


def test_jansen_rit_in_si_units_cycle_branch_ends_at_the_hopf_point():
    """States ~1e-2 V, the input u ~ 100-300 /s: the scaled arclength follows the alpha cycle from u = 220 to
    where it shrinks onto the upper Hopf point, which the equilibrium continuation finds from the eigenvalues."""
    s = SymbolicSystem.from_circuit("JRC")
    u = "pc/rpo_e_in/u"
    fp = find_fixed_points(s, params={u: 400.0})
    assert len(fp) == 1
    eq = continuation(s, u, fp[0].x, 400.0, 250.0, ds=0.5)
    hopf = eq.bifurcations[eq.bifurcations["type"] == "hopf"]
    assert len(hopf) == 1
    o = find_cycle(s, s.x0, period=0.1, transient=2.0)            # the ~11 Hz alpha cycle at u = 220
    assert 10.0 < o.frequency < 12.0
    br = continue_cycles(s, u, o, (50.0, 400.0), ds=0.1, ds_max=1.0)
    assert br.stop_reason == "amplitude"
    assert br.stopped_at == pytest.approx(hopf.iloc[0][u], abs=1e-3)   # 315.696 (Grimbert & Faugeras: 315.70)
    assert br.orbits[-1].period == pytest.approx(2 * np.pi / hopf.iloc[0]["omega"], rel=1e-3)
