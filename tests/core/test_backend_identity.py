"""Every compiled tier computes the same trajectory, bit for bit.

The default backend is C where a C compiler exists (``auto``), Numba otherwise; a user's results must not depend
on which one ran. The C kernel is generated from the same plan and printed by the same printer structure as the
Numba kernel, and its runtime mirrors Numba's operation by operation (neurodyn/backends/c/nd_runtime.h), so the
comparisons below use ``np.array_equal`` (no tolerance): any reordering of floating-point operations shows.

Covered: every bundled template with every fixed-step scheme; delayed edges with cubic, linear and per-step
history; driven inputs (linear and step interpolation); additive noise (stochastic Heun); clipped states; dense
and sparse network coupling with delays (including the blocked per-step sums); the adaptive solver calling the
compiled right-hand side; a template the C backend declines (complex states) falls back to Numba.
"""
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.backends.cbuild import find_compiler
from neurodyn.errors import SolverError
from neurodyn.lang.templates import CircuitTemplate
from neurodyn.lang.yaml_io import library_index
from neurodyn.network import BrainNetwork, Connectome, Coupling

from ndcore_models import network_circuit

pytestmark = pytest.mark.skipif(find_compiler() is None, reason="no C compiler on this machine: the C backend "
                                                                 "is off and Numba runs every model")

SOLVERS = ("euler", "heun", "midpoint", "rk4")


def _library_circuits():
    out = []
    for name in library_index():
        circ = CircuitTemplate.from_yaml(name)
        out.append(pytest.param(name, circ, id=name))
    return out


def _both(circuit, **kw):
    c = nd.compile_model(circuit, backend="auto", **kw)
    n = nd.compile_model(circuit, backend="numba", **kw)
    return c, n


@pytest.mark.parametrize("name, circuit", _library_circuits())
def test_every_bundled_template_is_bit_identical_on_c_and_numba(name, circuit):
    c, n = _both(circuit)
    if c.ir.complex_system:
        assert c.backend == "numba"            # complex states: C declines, auto falls back
        with pytest.raises(SolverError, match="backend 'c' cannot run"):
            nd.compile_model(circuit, backend="c")
        return
    assert c.backend == "c" and n.backend == "numba"
    # a short run at a step that is stable for every template in its own time unit
    T = 2.0 if "JRC" in name else 20.0
    dt = T / 4000
    for solver in SOLVERS:
        a = c.run(T, dt, solver=solver, sampling_step_size=dt * 10)
        b = n.run(T, dt, solver=solver, sampling_step_size=dt * 10)
        assert np.isfinite(a.to_numpy()).all()
        assert np.array_equal(a.to_numpy(), b.to_numpy()), (name, solver)
        assert a.attrs["provenance"]["backend"] == "c"


DRIVE_T, DRIVE_DT = 1.5, 3e-3
N_DRIVE = int(round(DRIVE_T / DRIVE_DT))
DRIVE = {"l/li/I_ext": 0.5 + 0.5 * np.sin(2 * np.pi * 1.3 * np.arange(N_DRIVE) * DRIVE_DT)}


@pytest.mark.parametrize("solver, delay_mode, interp", [("heun", "cubic", "linear"), ("rk4", "linear", "step"),
                                                         ("rk4", "step", "linear"), ("euler", "cubic", "step")])
def test_delays_inputs_and_schemes(solver, delay_mode, interp):
    c, n = _both(network_circuit(), driven=tuple(DRIVE), step_size=DRIVE_DT)
    assert c.backend == "c"
    runs = [m.run(DRIVE_T, DRIVE_DT, inputs=DRIVE, solver=solver, delay_mode=delay_mode,
                  input_interpolation=interp) for m in (c, n)]
    assert np.ptp(runs[0].to_numpy()) > 0.1
    assert np.array_equal(runs[0].to_numpy(), runs[1].to_numpy())


def test_noise_and_bounds():
    c, n = _both(network_circuit(), driven=tuple(DRIVE), step_size=DRIVE_DT)
    kw = dict(inputs=DRIVE, solver="heun", noise={"o1/dosc/y": 0.3, "l/li/r": 0.05}, seed=11,
              bounds={"l/li/r": (0.0, 0.6)})
    a, b = (m.run(DRIVE_T, DRIVE_DT, **kw) for m in (c, n))
    assert a.attrs["provenance"]["solver"] == "stochastic_heun"
    assert np.array_equal(a.to_numpy(), b.to_numpy())


def test_adaptive_solver_on_the_compiled_rhs():
    c, n = _both("JRC")
    a, b = (m.run(1.0, 1e-4, solver="RK45", sampling_step_size=1e-3, rtol=1e-8, atol=1e-10) for m in (c, n))
    assert np.array_equal(a.to_numpy(), b.to_numpy())


@pytest.mark.parametrize("delay_mode", ["cubic", "step"])
def test_network_dense_coupling_with_delays(delay_mode):
    """A 24-region E/I network: dense coupling (> 25 % non-zero) and delays long enough for blocked sums."""
    rng = np.random.default_rng(5)
    W = rng.uniform(0, 1, (24, 24)) * (rng.uniform(size=(24, 24)) < 0.6)
    np.fill_diagonal(W, 0)
    L = rng.uniform(5, 80, (24, 24))
    C = Connectome(W, tract_lengths=(L + L.T) / 2).normalise("rows")
    net = BrainNetwork("ei_ping_pop", C, Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"), speed=4.0,
                       delay_mode=delay_mode)
    kw = dict(variables=["ei_ping_op/r_e", "ei_ping_op/v_i"], params={"ei_ping_op/eps": 12.0},
              noise={"ei_ping_op/v_e": 0.02}, seed=2, initial="random", sampling_step_size=0.1)
    a = net.simulate(60.0, 0.01, backend="auto", **kw)
    b = net.simulate(60.0, 0.01, backend="numba", **kw)
    assert a.attrs["backend"] == "c" and b.attrs["backend"] == "numba"
    for v in ("r_e", "v_i"):
        assert np.array_equal(a[v].values, b[v].values), v
