"""The numba kernels and the numpy reference kernels compute the same trajectories (to round-off).

Model: several groups, an algebraic read-out, instantaneous and delayed projections and a driven input
(``ndcore_models.network_circuit``). The two backends share nothing but the IR: numba loops element-wise in
compiled code, numpy evaluates vectorised expressions in Python.
"""
import numpy as np
import pytest

import neurodyn as nd
from ndcore_models import network_circuit

T, DT = 1.5, 3e-3  # delays 0.13 and 0.05 are not multiples of DT: interpolated history
N = int(round(T / DT))
OUTPUTS = {"x1": "o1/dosc/x", "y1": "o1/dosc/y", "x2": "o2/dosc/x", "r": "l/li/r", "m": "l/li/m",
           "r_in": "l/li/r_in", "c_in": "o1/dosc/c_in"}
DRIVE = {"l/li/I_ext": 0.5 + 0.5 * np.sin(2 * np.pi * 1.3 * np.arange(N) * DT)}


@pytest.fixture(scope="module")
def models():
    return {b: nd.compile_model(network_circuit(), driven=tuple(DRIVE), backend=b, step_size=DT)
            for b in ("numba", "numpy")}


def _assert_same(a, b):
    assert list(a.columns) == list(b.columns) and np.array_equal(a.index, b.index)
    # rtol 1e-12: both backends evaluate the same expressions in double precision; only the summation order
    # of the Runge-Kutta stages differs (a few ulp per step) and the system is damped, so differences stay
    # at round-off level. atol guards entries that cross zero.
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("solver, delay_mode", [("heun", "cubic"), ("rk4", "cubic"), ("rk4", "step"),
                                                ("euler", "linear"), ("midpoint", "cubic")])
def test_numba_equals_numpy(models, solver, delay_mode):
    runs = [m.run(T, DT, outputs=OUTPUTS, inputs=DRIVE, solver=solver, delay_mode=delay_mode)
            for m in (models["numba"], models["numpy"])]
    # the run is not trivial: the delayed and instantaneous couplings and the drive all act
    assert np.ptp(runs[0]["r_in"].to_numpy()) > 0.1 and np.ptp(runs[0]["c_in"].to_numpy()) > 0.1
    _assert_same(*runs)


def test_numba_equals_numpy_with_noise(models):
    noise = {"o1/dosc/y": 0.3, "l/li/r": 0.05}
    runs = [m.run(T, DT, outputs=OUTPUTS, inputs=DRIVE, solver="heun", noise=noise, seed=7)
            for m in (models["numba"], models["numpy"])]
    assert runs[0].attrs["provenance"]["solver"] == "stochastic_heun"
    _assert_same(*runs)


def test_structure_shared_across_sizes_and_values():
    # the kernel depends on structure only: other parameter values give the same structure hash
    a = nd.compile_model(network_circuit(), backend="numpy")
    b = nd.compile_model(network_circuit().update_var({"l/li/tau": 2.0}), backend="numpy")
    assert a.ir.structure_hash() == b.ir.structure_hash()
    assert a.kernel is b.kernel


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_dense_projection_exact(backend):
    """A fully dense 7 x 5 projection (stored as a matrix, applied four rows at a time with a remainder of
    three): sources x_j' = -x_j give x_j = x_j(0) e^-t; targets y_i' = -y_i + sum_j W_ij x_j give
    y_i = C_i t e^-t with C = W x(0). rk4 at dt 0.01 is accurate to ~1e-10 here, hence atol 1e-9."""
    from neurodyn.backends.data import build_data
    from neurodyn.lang.templates import MatrixEdges

    rng = np.random.default_rng(3)
    W = rng.uniform(-1, 1, (7, 5))
    x0 = rng.uniform(0.5, 2, 5)
    src = nd.NodeTemplate("dn_src", [nd.OperatorTemplate("dn_s", ["x' = -x"], {"x": "output(1.0)"})])
    tgt = nd.NodeTemplate("dn_tgt", [nd.OperatorTemplate("dn_t", ["y' = -y + c"], {"y": "output(0.0)",
                                                                                     "c": "input(0.0)"})])
    s_names, t_names = [f"s{j}" for j in range(5)], [f"t{i}" for i in range(7)]
    circ = nd.CircuitTemplate("dense_proj", nodes={**{n: src for n in s_names}, **{n: tgt for n in t_names}},
                              matrix_edges=[MatrixEdges("dn_s/x", "dn_t/c", s_names, t_names, W)])
    model = nd.compile_model(circ, backend=backend)
    assert build_data(model.ir, 0.01).M[2][0, 3] == 1     # the dense path is taken (hdr column 3)
    df = model.run(3.0, 0.01, solver="rk4", outputs={n: f"{n}/dn_t/y" for n in t_names},
                   initial_state={f"{n}/dn_s/x": v for n, v in zip(s_names, x0)})
    t = df.index.to_numpy()
    np.testing.assert_allclose(df.to_numpy(), np.outer(t * np.exp(-t), W @ x0), rtol=0, atol=1e-9)
