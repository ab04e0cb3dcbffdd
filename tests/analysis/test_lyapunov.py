"""Lyapunov spectra on compiled tangent kernels (neurodyn.analysis.lyapunov, neurodyn.ir.tangent), checked
against independent results: a linear system's spectrum (the real parts of its eigenvalues), the Lorenz system
(published exponents, and their sum, which is the time average of the Jacobian's trace), the Floquet exponents
of a stable PING cycle computed by collocation (neurodyn.analysis.periodic, a different algorithm), the decay
of a tiny perturbation in two direct simulations of a network, and the eigenvalues of a network's Jacobian
at a stable fixed point.
"""
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.analysis import SymbolicSystem, find_cycle, lyapunov_spectrum
from neurodyn.errors import AnalysisError
from neurodyn.lang.templates import CircuitTemplate, NodeTemplate, OperatorTemplate
from neurodyn.network import BrainNetwork, Connectome, Coupling

LORENZ = NodeTemplate("lorenz_node", [OperatorTemplate(
    "lorenz", ["x' = sigma*(y - x)", "y' = x*(rho - z) - y", "z' = x*y - beta*z"],
    {"x": "output(1.0)", "y": "variable(1.0)", "z": "variable(1.0)", "sigma": 10.0, "rho": 28.0,
     "beta": 8.0 / 3.0})])


def test_linear_system_spectrum_is_the_real_parts_of_its_eigenvalues():
    # a rotation-decay pair (-0.3 +- 2i), a real mode (-1) and a non-normal coupling from z into x
    op = OperatorTemplate("lin3", ["x' = -0.3*x + 2*y + 0.5*z", "y' = -2*x - 0.3*y", "z' = -z"],
                          {"x": "output(1.0)", "y": "variable(0.0)", "z": "variable(1.0)"})
    spec = lyapunov_spectrum(NodeTemplate("lin3_node", [op]), simulation_time=200.0, step_size=0.01)
    # finite-time bias after the alignment phase is O(1/T) of the initial overlaps: 2e-3 at T = 200
    np.testing.assert_allclose(spec.exponents, [-0.3, -0.3, -1.0], atol=2e-3)
    assert spec.settings["backend"] in ("c", "numba")


def test_lorenz_against_published_values_and_the_trace():
    spec = lyapunov_spectrum(LORENZ, simulation_time=2000.0, step_size=0.005, transient=20.0)
    # Sprott (2003), Chaos and Time-Series Analysis: 0.9056, 0, -14.5723; a 2000-unit average fluctuates by
    # ~0.01 around the limit
    np.testing.assert_allclose(spec.exponents, [0.9056, 0.0, -14.5723], atol=0.03)
    # the sum is the average of trace(Df) = -(sigma + 1 + beta), exactly up to the RK4 step map: its determinant
    # misses exp(trace dt) by ~(lambda dt)^5/5! per step for the dominant lambda = -14.6, i.e. ~3e-6 per unit time
    assert spec.exponents.sum() == pytest.approx(-(10 + 1 + 8 / 3), abs=2e-5)
    assert np.max(spec.spread) < 0.05                   # the running estimates have settled


def test_the_trajectory_is_the_simulated_one():
    """The base variables of the tangent kernel follow exactly the plain simulation's trajectory."""
    spec = lyapunov_spectrum(LORENZ, k=1, simulation_time=5.0, step_size=0.005, align=0.0)
    df = nd.integrate(CircuitTemplate("l", nodes={"n": LORENZ}), 5.005, 0.005, solver="rk4")
    last = df.iloc[-1].to_numpy()
    np.testing.assert_allclose(spec.final_state, last, rtol=1e-13, atol=1e-13)


def test_stable_ping_cycle_exponents_are_its_floquet_exponents():
    """The E/I node on its PING cycle: lambda_1 = 0 (the flow direction) and the next ones are the Floquet
    exponents ln|mu|/T of the cycle found by collocation."""
    params = {"p/ei_ping_op/I_ext_e": 10.0}
    df = nd.integrate("ei_ping", simulation_time=800.0, step_size=0.01, solver="rk4", params=params,
                      sampling_step_size=0.05)
    system = SymbolicSystem.from_circuit("ei_ping", params=params)
    orbit = find_cycle(system, df.loc[200.0:])
    floquet = np.sort(np.log(np.abs(orbit.multipliers)) / orbit.period)[::-1]
    spec = lyapunov_spectrum("ei_ping", k=3, simulation_time=600.0, step_size=0.01, transient=200.0,
                             params=params)
    assert abs(spec.exponents[0]) < 2e-3
    # two leading non-trivial exponents: collocation (order 8, tol 1e-10) vs a 600 ms QR average; the spread
    # of the running estimates over the last quarter bounds the latter's error
    np.testing.assert_allclose(spec.exponents[1:], floquet[:2], atol=3e-3)


def _network():
    W = np.array([[0, 1.0, 0.5, 0], [0.7, 0, 0.2, 0.4], [0.3, 0.6, 0, 1.0], [0.5, 0, 0.8, 0]])
    return BrainNetwork("ei_ping_pop", Connectome(W).normalise("rows"),
                        Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))


def test_network_largest_exponent_at_a_stable_focus():
    """Four regions at a stable focus (drive below the Hopf point): lambda_1 is the largest real part of the
    full 24 x 24 network Jacobian's eigenvalues there (SymPy), and the distance between two direct simulations
    that start 1e-3 apart decays at that rate."""
    net = _network()
    params = {"ei_ping_op/I_ext_e": 4.5, "ei_ping_op/eps": 3.0}
    # the leading eigenvalues are a pair -0.054 +- i w, the next pair -0.069: a 2000 ms average is needed for
    # the O(1/T) bias of a non-normal linear flow to fall below 1e-3
    spec = lyapunov_spectrum(net, k=2, simulation_time=2000.0, step_size=0.02, transient=300.0, params=params)
    circ = net.circuit()
    system = SymbolicSystem.from_circuit(circ, params={f"all/{k}": v for k, v in params.items()})
    eig = np.linalg.eigvals(system.jacobian(spec.final_state))
    lead = np.sort(eig.real)[::-1]
    np.testing.assert_allclose(spec.exponents, lead[:2], atol=1e-3)
    # two direct simulations: the log-distance decays with slope lambda_1 once the -0.069 pair has died out
    # (fit over 100..300 ms, where the distance is far above round-off and the oscillation of the pair averages)
    variables = ["ei_ping_op/r_e", "ei_ping_op/v_e", "ei_ping_op/s_e", "ei_ping_op/r_i", "ei_ping_op/v_i",
                 "ei_ping_op/s_i"]
    kw = dict(variables=variables, params=params, sampling_step_size=0.5, solver="rk4")
    a = net.simulate(300.0, 0.02, **kw)
    start = {v: a[v.split("/")[-1]].values[-1] for v in variables}
    shifted = dict(start)
    shifted["ei_ping_op/v_e"] = start["ei_ping_op/v_e"] + np.array([1e-3, 0, 0, 0])
    b1 = net.simulate(300.0, 0.02, initial=start, **kw)
    b2 = net.simulate(300.0, 0.02, initial=shifted, **kw)
    names = [v.split("/")[-1] for v in variables]
    dist = np.sqrt(sum(((b1[v] - b2[v]) ** 2).sum("region").values for v in names))
    t = b1.time.values
    window = (t >= 100.0) & (t <= 300.0)
    slope = np.polyfit(t[window], np.log(dist[window]), 1)[0]
    assert slope == pytest.approx(spec.exponents[0], abs=2e-3)


def test_bad_input_is_refused_with_typed_errors():
    with pytest.raises(AnalysisError, match="delayed edges"):
        W = np.array([[0, 1.0], [1.0, 0]])
        net = BrainNetwork("ei_ping_pop", Connectome(W, tract_lengths=W * 10), Coupling("ei_ping_op/s_e",
                                                                                       "ei_ping_op/s_net"), speed=2.0)
        lyapunov_spectrum(net, k=1, simulation_time=10.0, step_size=0.01)
    with pytest.raises(AnalysisError, match=r"k must be an integer in 1\.\.3"):
        lyapunov_spectrum(LORENZ, k=4, simulation_time=1.0, step_size=0.01)
    with pytest.raises(AnalysisError, match="complex states"):
        lyapunov_spectrum("kmo_theta", k=1, simulation_time=1.0, step_size=0.01)
    with pytest.raises(AnalysisError, match="deterministic fixed-step scheme"):
        lyapunov_spectrum(LORENZ, k=1, simulation_time=1.0, step_size=0.01, solver="euler_maruyama")
    with pytest.raises(AnalysisError, match="deterministic fixed-step scheme"):
        lyapunov_spectrum(LORENZ, k=1, simulation_time=1.0, step_size=0.01, solver="RK45")
