"""Periodic orbits by collocation, checked against analytic orbits (Stuart-Landau), long high-accuracy scipy
simulations of independently written right-hand sides (periods), and finite differences of the flow map
integrated by scipy (monodromy matrices / Floquet multipliers)."""
import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

from cycle_models import ei_rhs, rossler, rossler_rhs, stuart_landau
from neurodyn.analysis import (BatchedSystem, CycleConvergenceError, CycleError, NotACycleError, PeriodicOrbit,
                               SymbolicSystem, find_cycle)
from neurodyn.errors import InputError




def crossing_times(f, x0, t_end, level_index, level, rtol=1e-12, atol=1e-13):
    ev = lambda t, x: x[level_index] - level        # noqa: E731
    ev.direction = 1
    sol = solve_ivp(f, (0.0, t_end), x0, method="DOP853", rtol=rtol, atol=atol, events=ev)
    assert sol.success
    return sol.t_events[0], sol


# ------------------------------------------------------------------------------------------- analytic
@pytest.mark.parametrize("omega", [1.0, 2.5])
def test_stuart_landau_template_cycle_is_the_unit_circle(omega):
    """Bundled 'sl': dx/dt = omega z + x (1 - r^2), dz/dt = -omega x + z (1 - r^2): unit circle, period
    2 pi / omega, radial Floquet exponent -2 (multiplier exp(-4 pi / omega))."""
    s = SymbolicSystem.from_circuit("sl")
    o = find_cycle(s, np.array([0.9, 0.1]), params={"p/sl_op/omega": omega}, period=6.0 / omega)
    # collocation of order 8 on 40 adapted intervals: the period is exact to round-off level (1e-10 relative)
    assert o.period == pytest.approx(2 * np.pi / omega, rel=1e-10)
    r = np.hypot(o.nodes[:, 0], o.nodes[:, 1])
    np.testing.assert_allclose(r, 1.0, atol=1e-9)          # profile error of degree-4 polynomials between nodes
    assert o.amplitude["p/sl_op/x"] == pytest.approx(2.0, abs=1e-9)
    assert o.floquet_exponents[0] == pytest.approx(-2.0, abs=1e-8)
    assert abs(o.trivial_multiplier - 1.0) < 1e-9
    assert o.stable and o.n_unstable == 0


@pytest.mark.parametrize("mu,omega,beta", [(0.7, 1.0, 0.2), (1.5, 2.0, -0.4)])
def test_stuart_landau_with_shear(mu, omega, beta):
    s = SymbolicSystem.from_circuit(stuart_landau(mu, omega, beta))
    o = find_cycle(s, np.array([np.sqrt(mu) * 1.1, 0.0]), period=6.0 / omega)
    assert o.period == pytest.approx(2 * np.pi / (omega - beta * mu), rel=1e-10)
    np.testing.assert_allclose(np.hypot(o.nodes[:, 0], o.nodes[:, 1]), np.sqrt(mu), rtol=1e-9)
    assert o.floquet_exponents[0] == pytest.approx(-2 * mu, abs=1e-7)
    # the orbit evaluates between nodes as the polynomial interpolant: still on the circle to ~1e-6
    X = o(np.linspace(0, o.period, 97))
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1]), np.sqrt(mu), rtol=1e-6)
    m = o.mean
    assert abs(m["p/slmu/x"]) < 1e-9 and abs(m["p/slmu/y"]) < 1e-9


# ----------------------------------------------------------------------------- against long simulations
@pytest.mark.parametrize("I_ext_e,eps", [(10.0, 0.0), (14.0, 5.0)])
def test_ei_node_period_from_neurodyn_simulation_matches_long_scipy_run(I_ext_e, eps):
    """The cycle found from a neurodyn simulation (DataFrame) has the period of a 2 s DOP853 run (rtol 1e-12)
    of the E/I equations written by hand (REFERENCE section 3), measured between event-located crossings."""
    from neurodyn.analysis import homogeneous_node
    from neurodyn.network import Coupling
    from neurodyn.simulate import integrate
    circ = homogeneous_node("ei_ping_pop", Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    p = {"node/ei_ping_op/I_ext_e": I_ext_e, "node/ei_ping_op/eps": eps}
    df = integrate(circ, 400.0, 0.005, solver="rk4", sampling_step_size=0.1, params=p)
    s = SymbolicSystem.from_circuit(circ, params=p)
    o = find_cycle(s, df)
    f = ei_rhs(I_ext_e, eps)
    x0 = df.iloc[-1].to_numpy()
    tc, _ = crossing_times(f, x0, 2000.0, 0, 0.1)
    tc = tc[tc > 500.0]
    T_ref = (tc[-1] - tc[0]) / (len(tc) - 1)
    assert len(tc) > 40
    print(f"E/I period: collocation {o.period:.12f}, scipy {T_ref:.12f}")
    # 1e-6 relative is the requirement; collocation and the reference both reach ~1e-9
    assert o.period == pytest.approx(T_ref, rel=1e-6)
    assert np.all(np.abs(np.diff(tc) - T_ref) < 1e-7 * T_ref)    # the reference is converged and periodic
    assert o.stable


def test_simulation_of_another_circuit_is_matched_by_operator_paths():
    """A run of the library circuit 'ei_ping' (node 'p') starts the cycle of the homogeneous node (node 'node',
    eps = 0: the same equations): columns are matched by op/var."""
    from neurodyn.analysis import homogeneous_system
    from neurodyn.network import Coupling
    from neurodyn.simulate import integrate
    df = integrate("ei_ping", 300.0, 0.005, solver="rk4", sampling_step_size=0.1)
    hom = homogeneous_system("ei_ping_pop", Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"), {"ei_ping_op/eps": 0.0})
    o = find_cycle(hom, df)
    ref = find_cycle(SymbolicSystem.from_circuit("ei_ping"), df)
    assert o.labels[0] == "node/ei_ping_op/r_e" and ref.labels[0] == "p/ei_ping_op/r_e"
    assert o.period == pytest.approx(ref.period, rel=1e-10)


def test_period_two_orbit_from_simulation_rossler():
    """At c = 3.2 the Rossler attractor is a period-2 orbit: the period is read from returns two crossings
    apart and matches the scipy run."""
    f, _ = rossler_rhs(3.2)
    tc, sol = crossing_times(f, [1.0, 0.0, 0.0], 600.0, 1, 0.0)
    tc = tc[tc > 300.0]
    T2 = (tc[-1] - tc[-1 - 2 * 10]) / 10                         # two crossings per period
    s = SymbolicSystem.from_circuit(rossler(3.2))
    t = np.arange(0.0, 600.0, 0.02)
    X = solve_ivp(f, (0.0, 600.0), [1.0, 0.0, 0.0], method="DOP853", rtol=1e-10, atol=1e-12, t_eval=t).y.T
    o = find_cycle(s, (t, X))
    assert o.period == pytest.approx(T2, rel=1e-6)
    assert abs(tc[-1] - tc[-2] - T2) > 1e-3                   # successive returns are not the period
    assert o.stable


# --------------------------------------------------------------------------- Floquet multipliers vs FD
def flow_map_jacobian(f, x0, T, scale, rtol=1e-12, atol=1e-14):
    """Central differences of the flow map x0 -> x(T), integrated by DOP853."""
    n = len(x0)
    M = np.zeros((n, n))
    for j in range(n):
        h = 1e-5 * scale[j]
        e = np.zeros(n)
        e[j] = h
        xp = solve_ivp(f, (0, T), x0 + e, method="DOP853", rtol=rtol, atol=atol).y[:, -1]
        xm = solve_ivp(f, (0, T), x0 - e, method="DOP853", rtol=rtol, atol=atol).y[:, -1]
        M[:, j] = (xp - xm) / (2 * h)
    return M


@pytest.mark.parametrize("case", ["ei", "rossler"])
def test_monodromy_matches_finite_differences_of_flow_map(case):
    if case == "ei":
        s = SymbolicSystem.from_circuit("ei_ping")
        o = find_cycle(s, s.x0, period=20.0, transient=300.0)
        f = ei_rhs(10.0, 0.0)
    else:
        s = SymbolicSystem.from_circuit(rossler(2.5))
        o = find_cycle(s, np.array([3.0, 0.0, 0.0]), period=6.0, transient=200.0)
        f, _ = rossler_rhs(2.5)
    x0 = o.nodes[0]
    scale = np.array(list(o.amplitude.values()))
    M_fd = flow_map_jacobian(f, x0, o.period, scale)
    # FD error: truncation ~(1e-5)^2, round-off ~ rtol / 1e-5 = 1e-7 (per unit of amplitude) -> 1e-5 of max|M|
    col = scale[None, :] / scale[:, None]           # compare in amplitude-scaled coordinates
    np.testing.assert_allclose(o.monodromy / col, M_fd / col, rtol=0, atol=1e-5 * np.abs(M_fd / col).max())
    mu_fd = np.linalg.eigvals(M_fd)
    mu = np.append(o.multipliers, o.trivial_multiplier)
    for m in mu:                                       # each multiplier has an FD partner
        assert np.min(np.abs(mu_fd - m)) < 1e-5 * max(1.0, abs(m))


# --------------------------------------------------------------------------------------- batched system
@pytest.mark.parametrize("name", ["qif", "kmo_theta", "ei_ping", "JRC"])
def test_batched_system_equals_pointwise(name):
    s = SymbolicSystem.from_circuit(name)
    b = BatchedSystem(s)
    rng = np.random.default_rng(0)
    X = s.x0 + 0.1 * rng.standard_normal((5, s.x0.size)) * np.maximum(np.abs(s.x0), 1e-2)
    pname = next(iter(s.parameters))
    vals = s.parameters[pname] * (1 + 0.1 * rng.random(5))
    for k, x in enumerate(X):
        q = {pname: vals[k]}
        np.testing.assert_allclose(b.f(X, {pname: vals})[k], s.f(x, q), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(b.jacobian(X, {pname: vals})[k], s.jacobian(x, q), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(b.dfdp(X, pname, {pname: vals})[k], s.dfdp(x, pname, q), rtol=1e-13,
                                   atol=1e-13)
    path = s.state_paths[0]
    v, g = b.evaluate(path, X)
    v0, g0 = s.evaluate(path, X[0], gradient=True)
    assert v[0] == pytest.approx(np.real(v0), rel=1e-13)
    np.testing.assert_allclose(g[0], np.real(g0), rtol=1e-13, atol=1e-15)


# ------------------------------------------------------------------------------------------ bad input
def test_trajectory_converging_to_equilibrium_is_not_a_cycle():
    s = SymbolicSystem.from_circuit("ei_ping", params={"p/ei_ping_op/I_ext_e": 2.0})   # stable focus
    t = np.linspace(0, 2000, 20001)
    f = ei_rhs(2.0)
    X = solve_ivp(f, (0, 2000), s.x0, method="LSODA", t_eval=t, rtol=1e-9, atol=1e-12).y.T
    with pytest.raises(NotACycleError) as err:
        find_cycle(s, (t, X))
    assert err.value.residual is not None
    assert "equilibrium" in str(err.value)


def test_state_and_period_that_are_not_a_cycle():
    """qif (MPR) has no cycles: from any state the orbit does not close, whatever the period guess."""
    s = SymbolicSystem.from_circuit("qif")
    with pytest.raises(NotACycleError) as err:
        find_cycle(s, np.array([0.3, -1.0]), period=5.0)
    assert err.value.residual > 0.05
    assert "not a periodic orbit" in str(err.value) or "equilibrium" in str(err.value)


def test_non_convergence_reports_where_and_hint():
    s = SymbolicSystem.from_circuit(stuart_landau(1.0))
    with pytest.raises(CycleConvergenceError) as err:
        find_cycle(s, np.array([1.0, 0.0]), period=2 * np.pi / 0.8, max_iter=1)
    e = err.value
    assert e.last_step is not None and e.residual is not None
    assert "Hint" in str(e) and "1 iterations" in str(e)


def test_bad_arguments():
    s = SymbolicSystem.from_circuit("sl")
    with pytest.raises(InputError, match="period"):
        find_cycle(s, np.array([1.0, 0.0]))
    with pytest.raises(InputError, match="shape"):
        find_cycle(s, np.array([1.0, 0.0, 0.0]), period=6.0)
    with pytest.raises(CycleError, match="ncol"):
        find_cycle(s, np.array([1.0, 0.0]), period=6.0, ncol=12)
    df = pd.DataFrame({"p/sl_op/x": np.cos(np.linspace(0, 50, 500))}, index=np.linspace(0, 50, 500))
    with pytest.raises(InputError, match="no column"):
        find_cycle(s, df)
    t = np.linspace(0, 100, 60)                        # ~4 samples per period
    with pytest.raises(InputError, match="samples per oscillation"):
        find_cycle(s, (t, np.column_stack([np.cos(t), -np.sin(t)])))
    o = find_cycle(s, np.array([1.0, 0.0]), period=6.0)
    assert isinstance(o, PeriodicOrbit) and "PeriodicOrbit period 6.2831853" in repr(o)
    with pytest.raises(InputError, match="states"):
        find_cycle(SymbolicSystem.from_circuit("qif"), o)
